"""Durable and in-memory journals of events (adapters around the pure core)."""
