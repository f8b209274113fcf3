"""Reports and operator views over the ahg_* tables: monthly and by-repository CSVs, the
dashboard, queue status and per-DOI history. Plain Python; the Dagster layer is defs/reports."""
