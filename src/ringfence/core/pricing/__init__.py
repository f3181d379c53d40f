"""Exact-integer option pricing for the ledger: fixed-point ln, exp, sqrt, the normal CDF, Black-76 and SVI."""

__all__: list[str] = []
