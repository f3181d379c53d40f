"""Identifiers shared across the core's state modules."""

from __future__ import annotations

__all__ = ["AccountKey"]

AccountKey = tuple[str, int]
"""``(owner, sub_account index)``."""
