"""One saved workbook through the pipeline: read, check, apply in one transaction, feedback and stamp."""
