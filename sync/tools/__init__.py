"""Tooling around the service: the demo, example workbooks and generated reference docs."""
