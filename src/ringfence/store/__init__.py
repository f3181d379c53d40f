"""Durable and in-memory journals of events (adapters around the pure core)."""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
