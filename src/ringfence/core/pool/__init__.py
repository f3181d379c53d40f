"""Pools: isolated units of risk with their own LP vault, insurance fund, markets and breakers."""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
