"""Dual-track reconciliation of hand-made reports against the system's (docs/domain.md §8)."""
