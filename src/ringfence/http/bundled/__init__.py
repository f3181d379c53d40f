"""The bundled example venue ``ringfence serve`` starts from when given no venue (a copy of examples/venue.toml)."""
