"""The service floor of salesync: the pipeline from a saved workbook to the database, the domain
operations, reports, reconciliation, the watcher and the command line (see docs/architecture.md)."""
