"""Liquidation policies: sizing, incentives, auctions and pacing presets from real venues (SPEC §2.6)."""

__all__: list[str] = []  # the package exports no names of its own: import them from its modules
