"""The workbook file itself: safety inspection before any parser, the Rust reader, the version stamp and
the templates generated from the kind specs."""
