-- Heratio's ahg_* tables in MySQL's own DDL, as a Heratio site's database has them
-- (packages/ahg-doi/database/install.sql, packages/ahg-doi-manage/database/install.sql,
-- database/core/00_core_schema.sql): BIGINT UNSIGNED AUTO_INCREMENT keys, TINYINT(1) flags,
-- JSON columns, a STORED generated doi_url, ON UPDATE CURRENT_TIMESTAMP, TIMESTAMP columns in
-- the -manage tables, inline KEYs named as Heratio names them. Sites that came from the AtoM
-- ahgDoiPlugin still have its ENUM columns where Heratio's port has VARCHAR ... COMMENT; the
-- ENUMs are the stricter case, so they are used here. ahg_settings has no is_locked column.
-- The same rows as heratio_ddl.sql follow the tables: a few of a running site's, and
-- install.sql's own (its mapping seed and the active global placeholder configuration).

CREATE TABLE ahg_doi (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    information_object_id INT NOT NULL,
    doi VARCHAR(255) NOT NULL COMMENT 'Full DOI string (10.xxxxx/xxxxxx)',
    doi_url VARCHAR(500) GENERATED ALWAYS AS (CONCAT('https://doi.org/', doi)) STORED,
    status ENUM('draft','registered','findable','failed','deleted','tombstone') NOT NULL DEFAULT 'draft',
    minted_at DATETIME,
    minted_by INT COMMENT 'User who minted',
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    datacite_response JSON COMMENT 'Last DataCite API response',
    metadata_json JSON COMMENT 'Cached DataCite metadata',
    last_sync_at DATETIME COMMENT 'Last metadata sync to DataCite',
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    UNIQUE KEY uk_doi (doi),
    UNIQUE KEY uk_object (information_object_id),
    INDEX idx_status (status),
    INDEX idx_minted_at (minted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ahg_doi_config (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    repository_id INT COMMENT 'NULL = global default',
    datacite_repo_id VARCHAR(100) NOT NULL COMMENT 'DataCite repository ID',
    datacite_prefix VARCHAR(50) NOT NULL COMMENT 'DOI prefix (e.g., 10.12345)',
    datacite_password VARCHAR(255) COMMENT 'Encrypted password',
    datacite_url VARCHAR(255) DEFAULT 'https://api.datacite.org' COMMENT 'API endpoint',
    environment ENUM('test','production') NOT NULL DEFAULT 'test',
    auto_mint TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'Auto-mint on publish',
    auto_mint_levels JSON COMMENT 'Levels to auto-mint: ["fonds", "collection", "item"]',
    require_digital_object TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'Only mint if has digital object',
    default_publisher VARCHAR(255) COMMENT 'Default publisher name',
    default_resource_type VARCHAR(100) DEFAULT 'Text' COMMENT 'Default DataCite resourceType',
    suffix_pattern VARCHAR(100) DEFAULT '{repository_code}/{year}/{object_id}' COMMENT 'Pattern for DOI suffix',
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    UNIQUE KEY uk_repository (repository_id),
    INDEX idx_is_active (is_active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ahg_doi_queue (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    information_object_id INT NOT NULL,
    action ENUM('mint','update','delete','verify') NOT NULL DEFAULT 'mint',
    status ENUM('pending','processing','completed','failed') NOT NULL DEFAULT 'pending',
    priority INT NOT NULL DEFAULT 100 COMMENT 'Higher = processed first',
    attempts INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL DEFAULT 3,
    last_error TEXT,
    scheduled_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    started_at DATETIME,
    completed_at DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_status_priority (status, priority DESC),
    INDEX idx_object_id (information_object_id),
    INDEX idx_scheduled_at (scheduled_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ahg_doi_mapping (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    repository_id INT COMMENT 'NULL = global default',
    datacite_field VARCHAR(100) NOT NULL COMMENT 'DataCite schema field',
    source_type ENUM('field','property','note','constant','template') NOT NULL DEFAULT 'field',
    source_value VARCHAR(255) NOT NULL COMMENT 'AtoM field name, property type, or constant value',
    transformation VARCHAR(100) COMMENT 'Optional transformation function',
    is_required TINYINT(1) NOT NULL DEFAULT 0,
    fallback_value VARCHAR(255) COMMENT 'Value if source is empty',
    sort_order INT NOT NULL DEFAULT 0,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_repository (repository_id),
    INDEX idx_datacite_field (datacite_field)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ahg_doi_log (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    doi_id BIGINT UNSIGNED,
    information_object_id INT,
    action VARCHAR(50) NOT NULL COMMENT 'minted, updated, deleted, verified, failed',
    status_before VARCHAR(50),
    status_after VARCHAR(50),
    details JSON,
    performed_by INT,
    performed_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_doi_id (doi_id),
    INDEX idx_object_id (information_object_id),
    INDEX idx_performed_at (performed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ahg_settings (
    id INT NOT NULL AUTO_INCREMENT,
    setting_key VARCHAR(100) NOT NULL,
    setting_value TEXT,
    setting_type ENUM('string','integer','boolean','json','float') DEFAULT 'string',
    setting_group VARCHAR(50) NOT NULL DEFAULT 'general',
    description VARCHAR(500) DEFAULT NULL,
    is_sensitive TINYINT(1) DEFAULT 0,
    updated_by INT DEFAULT NULL,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY setting_key (setting_key),
    KEY idx_setting_group (setting_group)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ahg_io_funding (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    information_object_id INT NOT NULL,
    funder_name VARCHAR(500) NOT NULL,
    funder_identifier VARCHAR(500) NULL COMMENT 'e.g. ROR id, ISNI, Crossref Funder ID, GRID',
    funder_identifier_type VARCHAR(30) NULL COMMENT 'ROR, ISNI, Crossref Funder ID, GRID, Other',
    award_number VARCHAR(255) NULL,
    award_uri VARCHAR(1000) NULL,
    award_title VARCHAR(1000) NULL,
    created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_funding_io (information_object_id),
    KEY idx_funding_funder (funder_name),
    KEY idx_funding_funder_id (funder_identifier)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ahg_datacite_event (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    dedupe_hash CHAR(64) NOT NULL COMMENT 'sha256(subj|rel|obj|src)',
    subj_id VARCHAR(500) NOT NULL COMMENT 'subject DOI (Heratio side)',
    relation_type_id VARCHAR(64) NOT NULL,
    obj_id VARCHAR(500) NOT NULL COMMENT 'object id (other DOI, URL, etc)',
    obj_id_type VARCHAR(32) NOT NULL DEFAULT 'doi' COMMENT 'doi | url | uri | other',
    source_id VARCHAR(64) NOT NULL DEFAULT 'heratio-archive',
    source_token VARCHAR(64) NULL,
    payload_json JSON NULL COMMENT 'final JSON-API body submitted',
    response_status SMALLINT UNSIGNED NULL,
    response_body TEXT NULL,
    state ENUM('pending','sent','failed') NOT NULL DEFAULT 'pending',
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    submitted_at TIMESTAMP NULL,
    created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uk_event_dedupe (dedupe_hash),
    KEY idx_event_subj (subj_id),
    KEY idx_event_obj (obj_id),
    KEY idx_event_state (state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Heratio's catalogue-side tables the reader uses, verbatim: exhibitions and their placements
-- (packages/ahg-exhibition/database/install.sql; its foreign key to exhibition_section is left
-- out with that table, which nothing here reads) and the audit log that records who created a
-- description (database/core/00_core_schema.sql). Their install scripts insert no rows.

CREATE TABLE IF NOT EXISTS `exhibition` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `title` varchar(500) COLLATE utf8mb4_unicode_ci NOT NULL,
  `subtitle` varchar(500) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `slug` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `description` text COLLATE utf8mb4_unicode_ci,
  `theme` text COLLATE utf8mb4_unicode_ci,
  `exhibition_type` VARCHAR(59) COLLATE utf8mb4_unicode_ci DEFAULT 'temporary' COMMENT 'permanent, temporary, traveling, online, pop_up',
  `status` VARCHAR(99) COLLATE utf8mb4_unicode_ci DEFAULT 'concept' COMMENT 'concept, planning, preparation, installation, open, closing, closed, archived, canceled',
  `planning_start_date` date DEFAULT NULL,
  `preparation_start_date` date DEFAULT NULL,
  `installation_start_date` date DEFAULT NULL,
  `opening_date` date DEFAULT NULL,
  `closing_date` date DEFAULT NULL,
  `actual_closing_date` date DEFAULT NULL,
  `venue_id` bigint unsigned DEFAULT NULL,
  `venue_name` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `venue_address` text COLLATE utf8mb4_unicode_ci,
  `venue_city` varchar(100) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `venue_country` varchar(100) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `is_external_venue` tinyint(1) DEFAULT '0',
  `gallery_ids` json DEFAULT NULL,
  `total_square_meters` decimal(10,2) DEFAULT NULL,
  `admission_fee` decimal(10,2) DEFAULT NULL,
  `admission_currency` varchar(3) COLLATE utf8mb4_unicode_ci DEFAULT 'ZAR',
  `is_free_admission` tinyint(1) DEFAULT '0',
  `expected_visitors` int DEFAULT NULL,
  `actual_visitors` int DEFAULT NULL,
  `wheelchair_accessible` tinyint(1) DEFAULT '1',
  `audio_guide_available` tinyint(1) DEFAULT '0',
  `braille_available` tinyint(1) DEFAULT '0',
  `sign_language_tours` tinyint(1) DEFAULT '0',
  `budget_amount` decimal(12,2) DEFAULT NULL,
  `budget_currency` varchar(3) COLLATE utf8mb4_unicode_ci DEFAULT 'ZAR',
  `actual_cost` decimal(12,2) DEFAULT NULL,
  `total_insurance_value` decimal(15,2) DEFAULT NULL,
  `insurance_policy_number` varchar(100) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `insurance_provider` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `has_catalog` tinyint(1) DEFAULT '0',
  `catalog_isbn` varchar(20) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `catalog_publication_date` date DEFAULT NULL,
  `has_virtual_tour` tinyint(1) DEFAULT '0',
  `virtual_tour_url` varchar(500) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `online_exhibition_url` varchar(500) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `curator_id` int DEFAULT NULL,
  `curator_name` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `designer_name` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `organized_by` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `sponsored_by` text COLLATE utf8mb4_unicode_ci,
  `project_code` varchar(50) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `notes` text COLLATE utf8mb4_unicode_ci,
  `internal_notes` text COLLATE utf8mb4_unicode_ci,
  `created_by` int DEFAULT NULL,
  `updated_by` int DEFAULT NULL,
  `created_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  `updated_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  UNIQUE KEY `slug` (`slug`),
  KEY `idx_exhibition_status` (`status`),
  KEY `idx_exhibition_type` (`exhibition_type`),
  KEY `idx_exhibition_dates` (`opening_date`,`closing_date`),
  KEY `idx_exhibition_venue` (`venue_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `exhibition_object` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `exhibition_id` bigint unsigned NOT NULL,
  `section_id` bigint unsigned DEFAULT NULL,
  `information_object_id` int NOT NULL,
  `sequence_order` int DEFAULT '0',
  `display_position` varchar(100) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `status` VARCHAR(78) COLLATE utf8mb4_unicode_ci DEFAULT 'proposed' COMMENT 'proposed, confirmed, on_loan_request, installed, removed, returned',
  `requires_loan` tinyint(1) DEFAULT '0',
  `loan_id` bigint unsigned DEFAULT NULL,
  `lender_institution` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `display_case_required` tinyint(1) DEFAULT '0',
  `mount_required` tinyint(1) DEFAULT '0',
  `mount_description` text COLLATE utf8mb4_unicode_ci,
  `special_lighting` tinyint(1) DEFAULT '0',
  `lighting_notes` text COLLATE utf8mb4_unicode_ci,
  `security_level` VARCHAR(39) COLLATE utf8mb4_unicode_ci DEFAULT 'standard' COMMENT 'standard, enhanced, maximum',
  `climate_controlled` tinyint(1) DEFAULT '0',
  `max_lux_level` int DEFAULT NULL,
  `uv_filtering_required` tinyint(1) DEFAULT '0',
  `rotation_required` tinyint(1) DEFAULT '0',
  `max_display_days` int DEFAULT NULL,
  `display_start_date` date DEFAULT NULL,
  `display_end_date` date DEFAULT NULL,
  `pre_installation_condition_report_id` bigint unsigned DEFAULT NULL,
  `post_exhibition_condition_report_id` bigint unsigned DEFAULT NULL,
  `insurance_value` decimal(15,2) DEFAULT NULL,
  `label_text` text COLLATE utf8mb4_unicode_ci,
  `label_credits` text COLLATE utf8mb4_unicode_ci,
  `extended_label` text COLLATE utf8mb4_unicode_ci,
  `audio_stop_number` varchar(20) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  `installation_notes` text COLLATE utf8mb4_unicode_ci,
  `handling_notes` text COLLATE utf8mb4_unicode_ci,
  `installed_by` int DEFAULT NULL,
  `installed_at` timestamp NULL DEFAULT NULL,
  `removed_by` int DEFAULT NULL,
  `removed_at` timestamp NULL DEFAULT NULL,
  `created_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  `updated_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  KEY `idx_exobj_exhibition` (`exhibition_id`),
  KEY `idx_exobj_section` (`section_id`),
  KEY `idx_exobj_object` (`information_object_id`),
  KEY `idx_exobj_status` (`status`),
  CONSTRAINT `exhibition_object_ibfk_1` FOREIGN KEY (`exhibition_id`) REFERENCES `exhibition` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `security_audit_log` (
  `id` int NOT NULL AUTO_INCREMENT,
  `object_id` int DEFAULT NULL,
  `object_type` varchar(50) DEFAULT 'information_object',
  `user_id` int DEFAULT NULL,
  `user_name` varchar(255) DEFAULT NULL,
  `action` varchar(100) NOT NULL,
  `action_category` varchar(50) DEFAULT 'access',
  `details` json DEFAULT NULL,
  `ip_address` varchar(45) DEFAULT NULL,
  `user_agent` text,
  `created_at` datetime DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  KEY `idx_object` (`object_id`),
  KEY `idx_user` (`user_id`),
  KEY `idx_action` (`action`),
  KEY `idx_category` (`action_category`),
  KEY `idx_created` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

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
('creators', 'field', 'creators', 1, 'Unknown', 1),
('title', 'field', 'title', 1, 'Untitled', 2),
('publisher', 'constant', '', 0, NULL, 3),
('publicationYear', 'template', '{date_year}', 1, NULL, 4),
('resourceType', 'constant', 'Text', 1, 'Text', 5),
('subjects', 'field', 'subject_access_points', 0, NULL, 10),
('descriptions', 'field', 'scope_and_content', 0, NULL, 11),
('dates', 'field', 'dates', 0, NULL, 12),
('language', 'field', 'language', 0, NULL, 13),
('alternateIdentifiers', 'field', 'identifier', 0, NULL, 14),
('relatedIdentifiers', 'field', 'related_units_of_description', 0, NULL, 15),
('sizes', 'field', 'extent_and_medium', 0, NULL, 16),
('formats', 'constant', 'application/pdf', 0, NULL, 17),
('rights', 'field', 'access_conditions', 0, NULL, 18),
('geoLocations', 'field', 'place_access_points', 0, NULL, 19);
INSERT INTO ahg_settings (setting_key, setting_value, setting_group)
VALUES ('datacite_prefix', '10.1234', 'doi');
INSERT INTO ahg_settings (setting_key, setting_value, setting_group)
VALUES ('site_title', 'Heratio Archive', 'general');
