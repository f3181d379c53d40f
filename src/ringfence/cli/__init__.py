"""The ``ringfence`` command line."""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
