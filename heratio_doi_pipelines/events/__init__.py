"""DataCite events and usage: recording, COUNTER aggregation, flushing, access-log backfill and
the monthly usage report.

Modules: ``identity`` (de-duplication hash, event ids), ``store`` (recording events),
``aggregate`` (double-click filter, daily totals), ``usage`` (per-source daily counts),
``capture`` (live hits from the web layer), ``access_logs`` (backfill), ``flush`` (sending),
``status``, ``usage_report`` (COUNTER SUSHI report), ``sample_logs`` (test and demo logs).
"""
