"""Vectorised float64 risk kernels over arrays (SPEC §3): arrays in, arrays and status codes out.

- :mod:`ringfence.risk.book`: the book of positions, collateral and markets as float64 arrays;
- :mod:`ringfence.risk.screen`: the bulk maintenance-health screen after a price tick;
- :mod:`ringfence.risk.boundary`: the one module that crosses to and from the exact engine
  (atoms and WAD → floats; candidates → ledger keys, re-checked in integers).

Floats here are statistics, never balances: nothing in this package changes the ledger, and the
exact engine re-checks every account the screen flags before anything acts. The package may
import :mod:`ringfence.core` and numpy, never the lab, service, store or CLI (import-linter).
"""
