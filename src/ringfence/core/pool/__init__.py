"""Pools: isolated units of risk with their own LP vault, insurance fund, markets and breakers."""
