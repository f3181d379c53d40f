"""The pure core: deterministic, exact, no I/O, no clock, no randomness, no numpy."""
