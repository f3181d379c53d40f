"""The stress lab: price processes, historical replay, event templates and scenarios.

Everything here works in float64 arrays (statistics over many paths), never in ledger amounts:
``ringfence.core`` stays exact and does not import this package (an import-linter contract checks
it). Non-determinism is injected: every random function takes a seeded ``numpy.random.Generator``
(``numpy.random.default_rng(seed)``), so the same seed gives identical arrays.

Modules
-------
paths     GBM, Merton jump diffusion, GARCH(1,1), correlated multi-asset GBM
oracle    what an oracle reports given a market path (latency, cadence, a frozen floor)
history   historical replay from CSV files of documented shapes
events    event templates shaped on real incidents (market and oracle paths)
scenario  the scenario TOML schema (pydantic v2) and ``load_scenario``
sample    market paths for a loaded scenario
errors    ``HistoryFileError`` and ``ScenarioError`` (both ``InvalidCommand`` of the core tree)
"""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
