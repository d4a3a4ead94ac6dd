"""Storage for salesync: typed SQLAlchemy models, workbook-kind specs and migrations.

``schema.models`` holds the tables of the whole domain; ``schema.spec`` is the
declarative language in which each workbook kind (``sync.kinds``) is written.
"""
