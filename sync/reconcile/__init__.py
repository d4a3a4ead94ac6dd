"""Dual-track reconciliation of hand-made reports against the system's (DOMAIN.md §8)."""
