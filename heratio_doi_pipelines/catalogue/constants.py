"""AtoM's fixed database ids (``QubitTaxonomy``/``QubitTerm`` constants and root objects).

AtoM hard-codes these ids in PHP rather than looking them up, so every AtoM/Heratio database
has them; reading by id keeps the catalogue queries free of name lookups. Terms without a fixed
id (levels of description, note types other than AtoM's own) are resolved by name.
"""

from __future__ import annotations

# Root objects: never real descriptions/actors; parent_id = ROOT means "top level".
ROOT_INFORMATION_OBJECT_ID = 1
ROOT_ACTOR_ID = 3
ROOT_REPOSITORY_ID = 6
ROOT_TAXONOMY_ID = 30
ROOT_TERM_ID = 110

# Taxonomies (QubitTaxonomy)
TAXONOMY_DESCRIPTION_DETAIL_LEVEL = 31
TAXONOMY_ACTOR_ENTITY_TYPE = 32
TAXONOMY_DESCRIPTION_STATUS = 33
TAXONOMY_LEVEL_OF_DESCRIPTION = 34
TAXONOMY_SUBJECT = 35
TAXONOMY_ACTOR_NAME_TYPE = 36
TAXONOMY_NOTE_TYPE = 37
TAXONOMY_REPOSITORY_TYPE = 38
TAXONOMY_EVENT_TYPE = 40
TAXONOMY_PLACE = 42
TAXONOMY_MEDIA_TYPE = 46
TAXONOMY_DIGITAL_OBJECT_USAGE = 47
TAXONOMY_RELATION_TYPE = 49
TAXONOMY_STATUS_TYPE = 59
TAXONOMY_PUBLICATION_STATUS = 60
TAXONOMY_GENRE = 78

# Event types (taxonomy 40)
EVENT_CREATION = 111
EVENT_CUSTODY = 113
EVENT_PUBLICATION = 114
EVENT_CONTRIBUTION = 115
EVENT_COLLECTION = 117
EVENT_ACCUMULATION = 118

# Note types (taxonomy 37) with fixed ids
NOTE_TITLE = 119
NOTE_PUBLICATION = 120
NOTE_SOURCE = 121
NOTE_SCOPE = 122
NOTE_DISPLAY = 123
NOTE_ARCHIVIST = 124
NOTE_GENERAL = 125
NOTE_LANGUAGE = 174

# Actor entity types (taxonomy 32)
ENTITY_CORPORATE_BODY = 131
ENTITY_PERSON = 132
ENTITY_FAMILY = 133

# Media types (taxonomy 46)
MEDIA_AUDIO = 135
MEDIA_IMAGE = 136
MEDIA_TEXT = 137
MEDIA_VIDEO = 138
MEDIA_OTHER = 139

# Digital object usage (taxonomy 47); derivatives point at their master through parent_id
USAGE_MASTER = 140
USAGE_REFERENCE = 141
USAGE_THUMBNAIL = 142
USAGE_COMPOUND = 143
USAGE_EXTERNAL_URI = 166

# Relation types
RELATION_NAME_ACCESS_POINT = 161

# Status (status.type_id / status.status_id)
STATUS_TYPE_PUBLICATION = 158
PUBLICATION_STATUS_DRAFT = 159
PUBLICATION_STATUS_PUBLISHED = 160
PUBLICATION_STATUS_NAMES = {
    PUBLICATION_STATUS_DRAFT: "draft",
    PUBLICATION_STATUS_PUBLISHED: "published",
}

# object.class_name values (AtoM's Propel class per row)
CLASS_INFORMATION_OBJECT = "QubitInformationObject"
CLASS_ACTOR = "QubitActor"
CLASS_REPOSITORY = "QubitRepository"
CLASS_EVENT = "QubitEvent"
CLASS_TERM = "QubitTerm"
CLASS_TAXONOMY = "QubitTaxonomy"
CLASS_DIGITAL_OBJECT = "QubitDigitalObject"
CLASS_OBJECT_TERM_RELATION = "QubitObjectTermRelation"
CLASS_RELATION = "QubitRelation"
CLASS_USER = "QubitUser"

# setting.name values that shape the reference code (scope NULL, value in setting_i18n)
SETTING_INHERIT_CODE = "inherit_code_informationobject"
SETTING_SEPARATOR = "separator_character"
DEFAULT_SEPARATOR = "-"

# property.name values; the value is a PHP-serialised array in property_i18n.value
PROPERTY_LANGUAGE = "language"
PROPERTY_SCRIPT = "script"
PROPERTY_LANGUAGE_OF_DESCRIPTION = "languageOfDescription"

# AtoM has no exhibition entity: the pipeline reads exhibition placements from notes whose
# type is a note-type term (taxonomy 37) named like this, in any culture, case-insensitive.
# The note's content holds the exhibition's public URL(s).
EXHIBITION_NOTE_TYPE_NAMES = ("exhibition", "exhibitions", "exhibition history")

# Level-of-description names AtoM installs (taxonomy 34; ids differ per site)
LEVELS_OF_DESCRIPTION = (
    "Fonds",
    "Subfonds",
    "Collection",
    "Series",
    "Subseries",
    "File",
    "Item",
    "Part",
    "Record group",
)

# ahg_doi states under which a DOI resolves publicly and may be cited as a parent
CITABLE_DOI_STATES = ("findable", "registered")
