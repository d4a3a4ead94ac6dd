"""Orchestration: reading saved workbooks, syncing them into the database, feedback and the CLI."""
