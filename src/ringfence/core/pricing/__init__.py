"""Exact-integer option pricing for the ledger: fixed-point ln, exp, sqrt, the normal CDF and Black-76."""

__all__: list[str] = []
