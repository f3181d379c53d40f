"""The pure core: deterministic, exact, no I/O, no clock, no randomness, no numpy."""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
