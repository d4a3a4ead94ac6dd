"""Pure validation: DataFrames (and read-only lookups) in, findings out.

Nothing here touches the database, the file system or the web layer.
"""

from validators.findings import Finding, Severity

__all__ = ["Finding", "Severity"]
