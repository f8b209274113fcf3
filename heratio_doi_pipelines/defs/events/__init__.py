"""DataCite events and usage: the events flush, metrics backfill, funding import, usage report."""
