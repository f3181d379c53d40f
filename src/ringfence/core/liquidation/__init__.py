"""Liquidation policies: sizing, incentives, auctions and pacing presets from real venues (SPEC §2.6)."""
