"""Venue governance (SPEC §2.5): roles, timelocked proposals, bounded steps, template versions.

- :mod:`.state` the roles, templates and proposals held in ``LedgerState.governance``;
- :mod:`.params` integer parameter paths, bounds and the bounded step;
- :mod:`.commands`, :mod:`.events`, :mod:`.decide`, :mod:`.evolve` the usual event-sourced split.
"""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
