"""Isolation across domains (chains) in the stress lab, on the exact engine (``docs/domains.md``).

Modules
-------
scenario  the domains scenario: domains, bridges, one failure (TOML, validated)
bridge    a lock-and-mint bridge in integer atoms: latency, halt, escrow invariant
holders   holders of a wrapped asset and the auction keeper that sells what they leave
runner    ``play_domains``: one path through every domain in lockstep
outcome   where a failure's loss lands: per domain, pool and party, failure against control
report    the domains study over many paths, its HTML and JSON report
plot      the report's plot: value lost by party on each domain
"""

__all__: list[str] = []
