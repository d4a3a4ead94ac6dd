"""Where a workbook's cells come from: the seam between a source and the pipeline (docs/sources.md)."""
