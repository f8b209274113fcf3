-- AtoM's catalogue tables as a MySQL/MariaDB site has them (data/sql/lib.model.schema.sql,
-- AtoM 2.x): the subset heratio_doi_pipelines.catalogue.atom_tables declares, with AtoM's own
-- column types: DATE event dates (zero-filled partial dates such as 1890-00-00), TIME,
-- TINYINT, FLOAT, AUTO_INCREMENT serials, information_object.oai_local_identifier
-- AUTO_INCREMENT. No table names a character set or collation: they inherit the database's
-- (utf8mb4 with utf8mb4_0900_ai_ci on MySQL 8, the test server's UCA collation on MariaDB),
-- as an AtoM install does. Left out: foreign keys (AtoM enforces them, the reader never relies
-- on them) and NOT NULL on actor/term lft and rgt, which the sample generator leaves empty
-- because nothing here reads those nested sets.

CREATE TABLE `object` (
    `class_name` VARCHAR(255),
    `created_at` DATETIME NOT NULL,
    `updated_at` DATETIME NOT NULL,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `object_updated_at` (`updated_at`)
) ENGINE=InnoDB;

CREATE TABLE `information_object` (
    `id` INTEGER NOT NULL,
    `identifier` VARCHAR(1024),
    `oai_local_identifier` INTEGER NOT NULL AUTO_INCREMENT,
    `level_of_description_id` INTEGER,
    `collection_type_id` INTEGER,
    `repository_id` INTEGER,
    `parent_id` INTEGER,
    `description_status_id` INTEGER,
    `description_detail_id` INTEGER,
    `description_identifier` VARCHAR(1024),
    `source_standard` VARCHAR(1024),
    `display_standard_id` INTEGER,
    `lft` INTEGER NOT NULL,
    `rgt` INTEGER NOT NULL,
    `source_culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `information_object_U_1` (`oai_local_identifier`),
    INDEX `information_object_FI_2` (`level_of_description_id`),
    INDEX `information_object_FI_4` (`repository_id`),
    INDEX `information_object_FI_5` (`parent_id`),
    INDEX `information_object_lft` (`lft`)
) ENGINE=InnoDB;

CREATE TABLE `information_object_i18n` (
    `title` VARCHAR(1024),
    `alternate_title` VARCHAR(1024),
    `edition` VARCHAR(1024),
    `extent_and_medium` TEXT,
    `archival_history` TEXT,
    `acquisition` TEXT,
    `scope_and_content` TEXT,
    `appraisal` TEXT,
    `accruals` TEXT,
    `arrangement` TEXT,
    `access_conditions` TEXT,
    `reproduction_conditions` TEXT,
    `physical_characteristics` TEXT,
    `finding_aids` TEXT,
    `location_of_originals` TEXT,
    `location_of_copies` TEXT,
    `related_units_of_description` TEXT,
    `institution_responsible_identifier` VARCHAR(1024),
    `rules` TEXT,
    `sources` TEXT,
    `revision_history` TEXT,
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `actor` (
    `id` INTEGER NOT NULL,
    `corporate_body_identifiers` VARCHAR(1024),
    `entity_type_id` INTEGER,
    `description_status_id` INTEGER,
    `description_detail_id` INTEGER,
    `description_identifier` VARCHAR(1024),
    `source_standard` VARCHAR(1024),
    `parent_id` INTEGER,
    `lft` INTEGER,
    `rgt` INTEGER,
    `source_culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `actor_FI_2` (`entity_type_id`),
    INDEX `actor_FI_5` (`parent_id`)
) ENGINE=InnoDB;

CREATE TABLE `actor_i18n` (
    `authorized_form_of_name` VARCHAR(1024),
    `dates_of_existence` VARCHAR(1024),
    `history` TEXT,
    `places` TEXT,
    `legal_status` TEXT,
    `functions` TEXT,
    `mandates` TEXT,
    `internal_structures` TEXT,
    `general_context` TEXT,
    `institution_responsible_identifier` VARCHAR(1024),
    `rules` TEXT,
    `sources` TEXT,
    `revision_history` TEXT,
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `repository` (
    `id` INTEGER NOT NULL,
    `identifier` VARCHAR(1024),
    `desc_status_id` INTEGER,
    `desc_detail_id` INTEGER,
    `desc_identifier` VARCHAR(1024),
    `upload_limit` FLOAT,
    `source_culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB;

CREATE TABLE `contact_information` (
    `actor_id` INTEGER NOT NULL,
    `primary_contact` TINYINT,
    `contact_person` VARCHAR(1024),
    `street_address` TEXT,
    `website` VARCHAR(1024),
    `email` VARCHAR(255),
    `telephone` VARCHAR(255),
    `fax` VARCHAR(255),
    `postal_code` VARCHAR(255),
    `country_code` VARCHAR(255),
    `longitude` FLOAT,
    `latitude` FLOAT,
    `created_at` DATETIME NOT NULL,
    `updated_at` DATETIME NOT NULL,
    `source_culture` VARCHAR(7) NOT NULL,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `contact_information_FI_1` (`actor_id`)
) ENGINE=InnoDB;

CREATE TABLE `event` (
    `id` INTEGER NOT NULL,
    `start_date` DATE,
    `start_time` TIME,
    `end_date` DATE,
    `end_time` TIME,
    `type_id` INTEGER NOT NULL,
    `object_id` INTEGER,
    `actor_id` INTEGER,
    `source_culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `event_FI_2` (`type_id`),
    INDEX `event_FI_3` (`object_id`),
    INDEX `event_FI_4` (`actor_id`)
) ENGINE=InnoDB;

CREATE TABLE `event_i18n` (
    `name` VARCHAR(1024),
    `description` TEXT,
    `date` VARCHAR(1024),
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `taxonomy` (
    `id` INTEGER NOT NULL,
    `usage` VARCHAR(1024),
    `parent_id` INTEGER,
    `lft` INTEGER,
    `rgt` INTEGER,
    `source_culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB;

CREATE TABLE `taxonomy_i18n` (
    `name` VARCHAR(1024),
    `note` TEXT,
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `term` (
    `id` INTEGER NOT NULL,
    `taxonomy_id` INTEGER NOT NULL,
    `code` VARCHAR(1024),
    `parent_id` INTEGER,
    `lft` INTEGER,
    `rgt` INTEGER,
    `source_culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `term_FI_2` (`taxonomy_id`)
) ENGINE=InnoDB;

CREATE TABLE `term_i18n` (
    `name` VARCHAR(1024),
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `object_term_relation` (
    `id` INTEGER NOT NULL,
    `object_id` INTEGER NOT NULL,
    `term_id` INTEGER NOT NULL,
    `start_date` DATE,
    `end_date` DATE,
    PRIMARY KEY (`id`),
    INDEX `object_term_relation_FI_2` (`object_id`),
    INDEX `object_term_relation_FI_3` (`term_id`)
) ENGINE=InnoDB;

CREATE TABLE `slug` (
    `object_id` INTEGER NOT NULL,
    `slug` VARCHAR(255) NOT NULL,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `slug_U_1` (`object_id`),
    UNIQUE KEY `slug_U_2` (`slug`)
) ENGINE=InnoDB;

CREATE TABLE `property` (
    `object_id` INTEGER NOT NULL,
    `scope` VARCHAR(1024),
    `name` VARCHAR(1024),
    `source_culture` VARCHAR(7) NOT NULL,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `property_FI_1` (`object_id`)
) ENGINE=InnoDB;

CREATE TABLE `property_i18n` (
    `value` TEXT,
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `digital_object` (
    `id` INTEGER NOT NULL,
    `object_id` INTEGER,
    `usage_id` INTEGER,
    `mime_type` VARCHAR(255),
    `media_type_id` INTEGER,
    `name` VARCHAR(1024) NOT NULL,
    `path` VARCHAR(1024) NOT NULL,
    `sequence` INTEGER,
    `byte_size` BIGINT,
    `checksum` VARCHAR(255),
    `checksum_type` VARCHAR(50),
    `parent_id` INTEGER,
    PRIMARY KEY (`id`),
    INDEX `digital_object_FI_2` (`object_id`),
    INDEX `digital_object_FI_5` (`parent_id`)
) ENGINE=InnoDB;

CREATE TABLE `relation` (
    `id` INTEGER NOT NULL,
    `subject_id` INTEGER NOT NULL,
    `object_id` INTEGER NOT NULL,
    `type_id` INTEGER,
    `start_date` DATE,
    `end_date` DATE,
    `source_culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `relation_FI_2` (`subject_id`),
    INDEX `relation_FI_3` (`object_id`)
) ENGINE=InnoDB;

CREATE TABLE `status` (
    `object_id` INTEGER NOT NULL,
    `type_id` INTEGER,
    `status_id` INTEGER,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `status_FI_1` (`object_id`)
) ENGINE=InnoDB;

CREATE TABLE `note` (
    `object_id` INTEGER NOT NULL,
    `type_id` INTEGER,
    `scope` VARCHAR(1024),
    `user_id` INTEGER,
    `source_culture` VARCHAR(7) NOT NULL,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `note_FI_1` (`object_id`),
    INDEX `note_FI_2` (`type_id`)
) ENGINE=InnoDB;

CREATE TABLE `note_i18n` (
    `content` TEXT,
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `other_name` (
    `object_id` INTEGER NOT NULL,
    `type_id` INTEGER,
    `start_date` DATE,
    `end_date` DATE,
    `source_culture` VARCHAR(7) NOT NULL,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`),
    INDEX `other_name_FI_1` (`object_id`)
) ENGINE=InnoDB;

CREATE TABLE `other_name_i18n` (
    `name` VARCHAR(1024),
    `note` VARCHAR(1024),
    `dates` TEXT,
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `setting` (
    `name` VARCHAR(255),
    `scope` VARCHAR(255),
    `editable` TINYINT DEFAULT 0,
    `deleteable` TINYINT DEFAULT 0,
    `source_culture` VARCHAR(7) NOT NULL,
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `serial_number` INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB;

CREATE TABLE `setting_i18n` (
    `value` TEXT,
    `id` INTEGER NOT NULL,
    `culture` VARCHAR(7) NOT NULL,
    PRIMARY KEY (`id`, `culture`)
) ENGINE=InnoDB;

CREATE TABLE `user` (
    `id` INTEGER NOT NULL,
    `username` VARCHAR(255),
    `email` VARCHAR(255),
    `password_hash` VARCHAR(255),
    `salt` VARCHAR(255),
    `active` TINYINT DEFAULT 1,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB;
