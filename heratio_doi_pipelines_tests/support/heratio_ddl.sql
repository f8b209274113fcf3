-- Heratio's ahg_* tables as its install SQL creates them (packages/ahg-doi/database/install.sql,
-- packages/ahg-doi-manage/database/install.sql, database/core/00_core_schema.sql), written with
-- placeholders so the same text runs on each backend: ${pk} an auto-increment key, ${datetime},
-- ${bool}, ${json}, ${doi_url} the generated column. Index names carry the table name because
-- PostgreSQL and SQLite share one index namespace per schema; MySQL's inline KEYs become
-- separate CREATE INDEX statements. ahg_settings has no is_locked column, as in Heratio.

CREATE TABLE ahg_doi (
    id ${pk},
    information_object_id INT NOT NULL,
    doi VARCHAR(255) NOT NULL,
    doi_url ${doi_url},
    status VARCHAR(56) NOT NULL DEFAULT 'draft',
    minted_at ${datetime},
    minted_by INT,
    updated_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    datacite_response ${json},
    metadata_json ${json},
    last_sync_at ${datetime},
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uk_doi UNIQUE (doi),
    CONSTRAINT uk_object UNIQUE (information_object_id)
);
CREATE INDEX idx_status ON ahg_doi (status);
CREATE INDEX idx_minted_at ON ahg_doi (minted_at);

CREATE TABLE ahg_doi_config (
    id ${pk},
    repository_id INT,
    datacite_repo_id VARCHAR(100) NOT NULL,
    datacite_prefix VARCHAR(50) NOT NULL,
    datacite_password VARCHAR(255),
    datacite_url VARCHAR(255) DEFAULT 'https://api.datacite.org',
    environment VARCHAR(28) NOT NULL DEFAULT 'test',
    auto_mint ${bool} NOT NULL DEFAULT FALSE,
    auto_mint_levels ${json},
    require_digital_object ${bool} NOT NULL DEFAULT FALSE,
    default_publisher VARCHAR(255),
    default_resource_type VARCHAR(100) DEFAULT 'Text',
    suffix_pattern VARCHAR(100) DEFAULT '{repository_code}/{year}/{object_id}',
    is_active ${bool} NOT NULL DEFAULT TRUE,
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    updated_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uk_repository UNIQUE (repository_id)
);
CREATE INDEX idx_config_is_active ON ahg_doi_config (is_active);

CREATE TABLE ahg_doi_queue (
    id ${pk},
    information_object_id INT NOT NULL,
    action VARCHAR(40) NOT NULL DEFAULT 'mint',
    status VARCHAR(50) NOT NULL DEFAULT 'pending',
    priority INT NOT NULL DEFAULT 100,
    attempts INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL DEFAULT 3,
    last_error TEXT,
    scheduled_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    started_at ${datetime},
    completed_at ${datetime},
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_queue_status_priority ON ahg_doi_queue (status, priority);
CREATE INDEX idx_queue_object_id ON ahg_doi_queue (information_object_id);
CREATE INDEX idx_queue_scheduled_at ON ahg_doi_queue (scheduled_at);

CREATE TABLE ahg_doi_mapping (
    id ${pk},
    repository_id INT,
    datacite_field VARCHAR(100) NOT NULL,
    source_type VARCHAR(53) NOT NULL DEFAULT 'field',
    source_value VARCHAR(255) NOT NULL,
    transformation VARCHAR(100),
    is_required ${bool} NOT NULL DEFAULT FALSE,
    fallback_value VARCHAR(255),
    sort_order INT NOT NULL DEFAULT 0,
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_mapping_repository ON ahg_doi_mapping (repository_id);

CREATE TABLE ahg_doi_log (
    id ${pk},
    doi_id BIGINT,
    information_object_id INT,
    action VARCHAR(50) NOT NULL,
    status_before VARCHAR(50),
    status_after VARCHAR(50),
    details ${json},
    performed_by INT,
    performed_at ${datetime} DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_log_doi_id ON ahg_doi_log (doi_id);
CREATE INDEX idx_log_object_id ON ahg_doi_log (information_object_id);
CREATE INDEX idx_log_performed_at ON ahg_doi_log (performed_at);

CREATE TABLE ahg_settings (
    id ${pk},
    setting_key VARCHAR(100) NOT NULL,
    setting_value TEXT,
    setting_type VARCHAR(20) DEFAULT 'string',
    setting_group VARCHAR(50) NOT NULL DEFAULT 'general',
    description VARCHAR(500),
    is_sensitive ${bool} DEFAULT FALSE,
    updated_by INT,
    updated_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT setting_key UNIQUE (setting_key)
);
CREATE INDEX idx_setting_group ON ahg_settings (setting_group);

CREATE TABLE ahg_io_funding (
    id ${pk},
    information_object_id INT NOT NULL,
    funder_name VARCHAR(500) NOT NULL,
    funder_identifier VARCHAR(500),
    funder_identifier_type VARCHAR(30),
    award_number VARCHAR(255),
    award_uri VARCHAR(1000),
    award_title VARCHAR(1000),
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    updated_at ${datetime} DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_funding_io ON ahg_io_funding (information_object_id);

CREATE TABLE ahg_datacite_event (
    id ${pk},
    dedupe_hash CHAR(64) NOT NULL,
    subj_id VARCHAR(500) NOT NULL,
    relation_type_id VARCHAR(64) NOT NULL,
    obj_id VARCHAR(500) NOT NULL,
    obj_id_type VARCHAR(32) NOT NULL DEFAULT 'doi',
    source_id VARCHAR(64) NOT NULL DEFAULT 'heratio-archive',
    source_token VARCHAR(64),
    payload_json ${json},
    response_status INT,
    response_body TEXT,
    state VARCHAR(16) NOT NULL DEFAULT 'pending',
    attempts INT NOT NULL DEFAULT 0,
    last_error TEXT,
    submitted_at ${datetime},
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    updated_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uk_event_dedupe UNIQUE (dedupe_hash)
);
CREATE INDEX idx_event_state ON ahg_datacite_event (state);

-- Heratio's catalogue-side tables the reader uses (packages/ahg-exhibition/database/install.sql,
-- database/core/00_core_schema.sql), with the columns the MySQL text has that matter here;
-- their install scripts insert no rows.
CREATE TABLE exhibition (
    id ${pk},
    title VARCHAR(500) NOT NULL,
    subtitle VARCHAR(500),
    slug VARCHAR(255),
    description TEXT,
    exhibition_type VARCHAR(59) DEFAULT 'temporary',
    status VARCHAR(99) DEFAULT 'concept',
    opening_date DATE,
    closing_date DATE,
    venue_name VARCHAR(255),
    curator_id INT,
    created_by INT,
    updated_by INT,
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    updated_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uk_exhibition_slug UNIQUE (slug)
);
CREATE INDEX idx_exhibition_status ON exhibition (status);

CREATE TABLE exhibition_object (
    id ${pk},
    exhibition_id BIGINT NOT NULL REFERENCES exhibition (id) ON DELETE CASCADE,
    section_id BIGINT,
    information_object_id INT NOT NULL,
    sequence_order INT DEFAULT 0,
    display_position VARCHAR(100),
    status VARCHAR(78) DEFAULT 'proposed',
    requires_loan ${bool} DEFAULT FALSE,
    label_text TEXT,
    display_start_date DATE,
    display_end_date DATE,
    installed_by INT,
    installed_at ${datetime},
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP,
    updated_at ${datetime} DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_exobj_exhibition ON exhibition_object (exhibition_id);
CREATE INDEX idx_exobj_object ON exhibition_object (information_object_id);

CREATE TABLE security_audit_log (
    id ${pk},
    object_id INT,
    object_type VARCHAR(50) DEFAULT 'information_object',
    user_id INT,
    user_name VARCHAR(255),
    action VARCHAR(100) NOT NULL,
    action_category VARCHAR(50) DEFAULT 'access',
    details ${json},
    ip_address VARCHAR(45),
    user_agent TEXT,
    created_at ${datetime} DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_security_audit_log_object ON security_audit_log (object_id);

INSERT INTO ahg_doi (information_object_id, doi, status, minted_at, datacite_response)
VALUES (450, '10.1234/h/2024/450', 'findable', '2024-03-01 10:00:00', '{"data": {"id": "10.1234/h/2024/450"}}');
INSERT INTO ahg_doi_queue (information_object_id, action, status, attempts, last_error)
VALUES (451, 'mint', 'failed', 3, 'HTTP 500');
INSERT INTO ahg_doi_log (doi_id, information_object_id, action, status_before, status_after)
VALUES (1, 450, 'minted', 'draft', 'findable');
-- packages/ahg-doi/database/install.sql's own rows: its mapping seed and the active global
-- placeholder configuration every fresh Heratio site has.
INSERT INTO ahg_doi_config (repository_id, datacite_repo_id, datacite_prefix, datacite_url, environment, default_publisher, default_resource_type) VALUES
(NULL, 'DATACITE.EXAMPLE', '10.12345', 'https://api.test.datacite.org', 'test', 'Archive Repository', 'Text');
INSERT INTO ahg_doi_mapping (datacite_field, source_type, source_value, is_required, fallback_value, sort_order) VALUES
('creators', 'field', 'creators', TRUE, 'Unknown', 1),
('title', 'field', 'title', TRUE, 'Untitled', 2),
('publisher', 'constant', '', FALSE, NULL, 3),
('publicationYear', 'template', '{date_year}', TRUE, NULL, 4),
('resourceType', 'constant', 'Text', TRUE, 'Text', 5),
('subjects', 'field', 'subject_access_points', FALSE, NULL, 10),
('descriptions', 'field', 'scope_and_content', FALSE, NULL, 11),
('dates', 'field', 'dates', FALSE, NULL, 12),
('language', 'field', 'language', FALSE, NULL, 13),
('alternateIdentifiers', 'field', 'identifier', FALSE, NULL, 14),
('relatedIdentifiers', 'field', 'related_units_of_description', FALSE, NULL, 15),
('sizes', 'field', 'extent_and_medium', FALSE, NULL, 16),
('formats', 'constant', 'application/pdf', FALSE, NULL, 17),
('rights', 'field', 'access_conditions', FALSE, NULL, 18),
('geoLocations', 'field', 'place_access_points', FALSE, NULL, 19);
INSERT INTO ahg_settings (setting_key, setting_value, setting_group)
VALUES ('datacite_prefix', '10.1234', 'doi');
INSERT INTO ahg_settings (setting_key, setting_value, setting_group)
VALUES ('site_title', 'Heratio Archive', 'general');
