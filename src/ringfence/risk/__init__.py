"""Vectorised float64 risk kernels over arrays (SPEC §3): arrays in, arrays and status codes out.

- :mod:`ringfence.risk.book`: the book of positions, collateral and markets as float64 arrays;
- :mod:`ringfence.risk.screen`: the bulk maintenance-health screen after a price tick;
- :mod:`ringfence.risk.boundary`: the one module that crosses to and from the exact engine
  (atoms and WAD → floats; candidates → ledger keys, re-checked in integers);
- :mod:`ringfence.risk.volatility`: EWMA (RiskMetrics), GARCH(1,1) by maximum likelihood, realised volatility;
- :mod:`ringfence.risk.risk_margin`: margin rates and collateral haircuts from volatility and depth;
- :mod:`ringfence.risk.liquidation_probability`: first-passage probability of the liquidation price
  (closed form under GBM; Monte-Carlo per position and per account under Merton jumps);
- :mod:`ringfence.risk.early_warning`: each position's own liquidation price, its touch probability
  within a horizon (EWMA volatility, drift 0), per-account bounds, and warning records (margin calls:
  risk records, not ledger events);
- :mod:`ringfence.risk.options`: Black-76 and Black–Scholes–Merton prices and Greeks (delta, gamma,
  vega, theta, vanna, volga) in one compiled pass;
- :mod:`ringfence.risk.implied_volatility`: Black-76 implied volatility (safeguarded Newton, status codes);
- :mod:`ringfence.risk.scenario_grid`: spot × volatility scenario grids (Deribit S:PM, CME SPAN, Derive PM2);
- :mod:`ringfence.risk.portfolio_margin`: portfolio margin by scenario grid, collateral inside the
  simulation, each instrument repriced once per scenario and accounts by a sparse product;
- :mod:`ringfence.risk.value_at_risk`: historical and Monte-Carlo VaR and expected shortfall (OCC STANS);
- :mod:`ringfence.risk.errors`: the risk models' input errors (subclasses of ``InvalidParameter``).

Floats here are statistics, never balances: nothing in this package changes the ledger, and the
exact engine re-checks every account the screen flags before anything acts. The package may
import :mod:`ringfence.core` and numpy, never the lab, service, store or CLI (import-linter).
"""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
