"""Reports and the operator's view: monthly and by-repository CSVs, dashboard, queue status."""
