"""Migration scripts; Alembic loads them by file name (the package marker ships them in wheels)."""
