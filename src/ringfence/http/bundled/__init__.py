"""The bundled example venue ``ringfence serve`` starts from when given no venue (a copy of examples/venue.toml)."""

__all__: list[str] = []
