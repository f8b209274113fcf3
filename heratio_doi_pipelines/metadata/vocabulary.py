"""Controlled lists of the DataCite 4.7 schema that the builder checks before the XSD does.

Kept in code (a test compares them with the vendored XSD) so a configuration value can be
matched case-insensitively and reported in plain words.
"""

from __future__ import annotations

RESOURCE_TYPE_GENERAL_VALUES = (
    "Audiovisual", "Award", "Book", "BookChapter", "Collection", "ComputationalNotebook",
    "ConferencePaper", "ConferenceProceeding", "DataPaper", "Dataset", "Dissertation", "Event",
    "Image", "Instrument", "InteractiveResource", "Journal", "JournalArticle", "Model",
    "OutputManagementPlan", "PeerReview", "PhysicalObject", "Poster", "Preprint", "Presentation",
    "Project", "Report", "Service", "Software", "Sound", "Standard", "StudyRegistration", "Text",
    "Workflow", "Other",
)  # fmt: skip
RESOURCE_TYPES_GENERAL = {value.casefold(): value for value in RESOURCE_TYPE_GENERAL_VALUES}

FUNDER_IDENTIFIER_TYPES = ("ISNI", "GRID", "ROR", "Crossref Funder ID", "Other")
