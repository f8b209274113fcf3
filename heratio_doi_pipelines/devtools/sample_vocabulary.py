"""Names, places and texts the sample archive draws from (data apart from generator logic).

A mix of scripts on purpose: real archives hold Greek, Cyrillic, Arabic and CJK names next to
Latin ones, and the pipeline must carry them through to DataCite unchanged.
"""

from __future__ import annotations

# (code, authorised name, source culture, country code or None, English name when not English)
REPOSITORIES: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    ("WCARS", "Western Cape Archives and Records Service", "en", "ZA", None),
    ("UCT-SC", "University of Cape Town Libraries, Special Collections", "en", "ZA", None),
    ("NLW", "National Library of Wales", "en", "GB", None),
    ("AMH", "Archives municipales de Hauteville", "fr", "FR", "Hauteville Municipal Archives"),
    ("GAK", "Γενικά Αρχεία του Κράτους", "el", "GR", "General State Archives"),
    ("HDA", "Heratio Demonstration Archive", "en", None, None),
)

FIRST_NAMES = (
    "Anna",
    "Thomas",
    "Nomvula",
    "Pieter",
    "Margaret",
    "Sipho",
    "Elizabeth",
    "Johannes",
    "Catherine",
    "David",
    "Thandiwe",
    "Hendrik",
    "Mary",
    "Samuel",
    "Lerato",
    "Jan",
    "Sarah",
    "William",
    "Zanele",
    "Frederik",
    "Alice",
    "George",
    "Ayesha",
    "Rhys",
    "Gwen",
    "Amélie",
    "Étienne",
    "Søren",
    "Zoë",
    "José",
)
LAST_NAMES = (
    "van der Merwe",
    "Mokoena",
    "Jones",
    "Botha",
    "Davies",
    "Dlamini",
    "Smith",
    "Naidoo",
    "Williams",
    "Nkosi",
    "Roux",
    "Evans",
    "Pillay",
    "du Plessis",
    "Hughes",
    "Khumalo",
    "Fourie",
    "Thomas",
    "Adams",
    "Ndlovu",
    "Morgan",
    "Ó Briain",
    "Łukasiewicz",
    "Müller",
)
NON_LATIN_PERSONS = (
    ("Νίκος Καζαντζάκης", "el"),
    ("Анна Ахматова", "ru"),
    ("نجيب محفوظ", "ar"),
    ("魯迅", "zh"),
    ("Μαρία Κάλλας", "el"),
    ("Лев Толстой", "ru"),
)
CORPORATE_BODIES = (
    "Cape Town City Council",
    "South African Railways and Harbours",
    "Cambrian Mining Company",
    "Hauteville Chamber of Commerce",
    "Society for the Preservation of Old Buildings",
    "Women's Enfranchisement Association",
    "Cape Colony Department of Education",
    "Welsh Folk Song Society",
    "Table Bay Harbour Board",
    "Union Castle Line",
    "Royal Observatory, Cape of Good Hope",
    "Mission Society of Genadendal",
    "Εταιρεία Ελληνικών Σπουδών",
    "Société des amis de Hauteville",
)

SUBJECTS = (
    "Agriculture",
    "Architecture",
    "Education",
    "Elections",
    "Emigration and immigration",
    "Fisheries",
    "Harbours",
    "Health",
    "Labour",
    "Land tenure",
    "Law",
    "Maps",
    "Mining",
    "Missions",
    "Music",
    "Photography",
    "Politics and government",
    "Railways",
    "Religion",
    "Schools",
    "Shipping",
    "Slavery",
    "Sports",
    "Trade",
    "Universities",
    "Urban planning",
    "Water supply",
    "Women",
    "World War, 1914-1918",
    "World War, 1939-1945",
)
# A few subjects also have a French label (a second term_i18n culture)
SUBJECTS_FR = {
    "Agriculture": "Agriculture",
    "Architecture": "Architecture",
    "Education": "Éducation",
    "Harbours": "Ports",
    "Music": "Musique",
    "Railways": "Chemins de fer",
    "Women": "Femmes",
}

# (name, latitude, longitude, bounding box west/east/south/north or None)
PLACES: tuple[tuple[str, float, float, tuple[float, float, float, float] | None], ...] = (
    ("Cape Town", -33.9249, 18.4241, (18.3074, 18.9421, -34.3583, -33.4717)),
    ("Stellenbosch", -33.9321, 18.8602, None),
    ("Genadendal", -34.0333, 19.55, None),
    ("Kimberley", -28.7282, 24.7499, None),
    ("Durban", -29.8587, 31.0218, (30.8, 31.15, -30.05, -29.7)),
    ("Aberystwyth", 52.4153, -4.0829, None),
    ("Cardiff", 51.4816, -3.1791, (-3.35, -3.05, 51.38, 51.56)),
    ("Swansea", 51.6214, -3.9436, None),
    ("Hauteville-Lompnes", 45.9775, 5.6008, None),
    ("Lyon", 45.764, 4.8357, None),
    ("Αθήνα", 37.9838, 23.7275, (23.65, 23.8, 37.93, 38.05)),
    ("Θεσσαλονίκη", 40.6401, 22.9444, None),
    ("Robben Island", -33.8076, 18.3712, None),
    ("Table Mountain", -33.9628, 18.4098, None),
    ("Port Elizabeth", -33.9608, 25.6022, None),
    ("Namaqualand", -30.0, 17.5, None),
)
# Polygons (closed rings of longitude, latitude) for a couple of places
PLACE_POLYGONS = {
    "Robben Island": [
        [18.358, -33.797],
        [18.385, -33.797],
        [18.387, -33.822],
        [18.361, -33.823],
        [18.358, -33.797],
    ],
    "Table Mountain": [
        [18.38, -33.95],
        [18.43, -33.95],
        [18.44, -33.98],
        [18.39, -33.985],
        [18.38, -33.95],
    ],
}

GENRES = (
    "Correspondence",
    "Photographs",
    "Maps",
    "Minutes",
    "Sound recordings",
    "Diaries",
    "Architectural drawings",
    "Posters",
    "Ledgers",
    "Films",
)

SERIES_TOPICS = (
    "Correspondence",
    "Minutes of meetings",
    "Photographs",
    "Financial records",
    "Maps and plans",
    "Press cuttings",
    "Sound recordings",
    "Reports",
    "Legal documents",
    "Diaries and notebooks",
    "Publicity material",
    "Staff records",
)
ITEM_TEMPLATES = (
    "Letter from {person} to {other}",
    "Photograph of {place}",
    "Minutes of the meeting held at {place}",
    "Report on {subject} in {place}",
    "Map of {place}",
    "Diary of {person}",
    "Notes on {subject}",
    "Petition concerning {subject}",
    "Interview with {person}",
    "Plan of buildings at {place}",
)
SCOPE_SENTENCES = (
    "The material documents the activities of {agent} in {place}.",
    "Includes correspondence, notes and printed ephemera relating to {subject}.",
    "Records were received in their original order and arranged by date.",
    "Several items are damaged by damp; fragile originals are available as copies only.",
    "The collection reflects changing attitudes to {subject} over the period.",
    "Annotations in the margins are in the hand of {agent}.",
)
ARCHIVAL_HISTORY = (
    "Kept by the creator until transfer to the archive.",
    "The records passed through several hands before their transfer; the original order was "
    "partly lost.",
    "Retrieved from the basement of the town hall after the flood.",
)
ACQUISITIONS = (
    "Donated by the family.",
    "Transferred from the municipal registry.",
    "Purchased at auction.",
    "Deposited on long-term loan.",
)

NON_LATIN_TITLES = (
    ("Επιστολές του Νίκου Καζαντζάκη προς τον εκδότη του", "el"),
    ("Переписка городской думы о строительстве порта", "ru"),
    ("رسائل وصور من أرشيف العائلة", "ar"),
    ("上海商會會議記錄", "zh"),
    ("Φωτογραφίες της Θεσσαλονίκης, 1912-1920", "el"),
    ("Дневник путешествия по Кавказу", "ru"),
    ("東京大学図書館所蔵の古地図", "ja"),
)

# Funders: (name, identifier, identifier type). Crossref Funder IDs are real registry
# entries; RORs/ISNIs carry valid checksums.
CROSSREF_FUNDERS = (
    ("National Science Foundation", "https://doi.org/10.13039/100000001"),
    ("European Commission", "https://doi.org/10.13039/501100000780"),
    ("Swiss National Science Foundation", "https://doi.org/10.13039/501100001711"),
    ("National Research Foundation", "https://doi.org/10.13039/501100001321"),
)
ROR_FUNDERS = (
    "Heritage Digitisation Fund",
    "Cape Archives Trust",
    "Foundation for Welsh Memory",
)
ISNI_FUNDERS = ("Hauteville Cultural Foundation", "Mellon Archival Programme")
AWARD_TITLES = (
    "Digitising colonial-era correspondence",
    "Community archives in the Western Cape",
    "Sound heritage at risk",
    "Opening the photographic collections",
)
