"""Application service: load → decide → append → evolve → acknowledge."""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
