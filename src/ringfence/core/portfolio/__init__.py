"""Portfolio margin in the exact engine: the integer scenario grid, its rule and its requirement (SPEC §2.2, §3).

- :mod:`.grid`: scenarios (spot shock × volatility move × weight) in exact integers, with the
  Deribit S:PM preset the float grids of :mod:`ringfence.risk.scenario_grid` also build;
- :mod:`.rule`: a venue's portfolio-margin rule (grid, factors, contingencies, opt-in gate,
  auction parameters) and its validation;
- :mod:`.requirement`: the worst loss over the grid per underlying and the requirement, rounded
  up in one place;
- :mod:`.commands`, :mod:`.events`, :mod:`.state`: the opt-in and the portfolio auction's data.

The ledger side (which positions and balances a sub-account holds, their prices, the auction's
decisions) is in :mod:`ringfence.core.pool.portfolio_margin` and
:mod:`ringfence.core.pool.portfolio_auction`.
"""

__all__: list[str] = []
