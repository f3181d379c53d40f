"""What a file's amounts need to know: each asset's decimals, oracle sources, pool quotes, market bases.

Built from the engine's state and extended by the commands compiled so far (a script may
list an asset or create a pool that later commands use), so every amount in a venue and a
script converts to atoms before anything is executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ringfence.core.commands import Command, ConfigureOracle, RegisterAsset
from ringfence.core.governance.commands import ProposeVenueChange
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.series_commands import ListSeries
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin
from ringfence.core.state import LedgerState

__all__ = ["Catalog"]


@dataclass(slots=True)
class Catalog:
    """Decimals and oracle sources per asset, quote asset per pool, base per market or series, portfolio cash."""

    decimals: dict[str, int] = field(default_factory=dict)
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pool_quote: dict[str, str] = field(default_factory=dict)
    market_base: dict[tuple[str, str], str] = field(default_factory=dict)
    portfolio_cash: str | None = None
    """The portfolio-margin rule's cash asset (a portfolio bid's limit is in it), once a rule is set."""

    @classmethod
    def from_state(cls, state: LedgerState) -> Catalog:
        """Return the catalog of what the state already holds."""
        return cls(
            decimals={code: asset.params.decimals for code, asset in state.assets.items()},
            sources={code: oracle.config.source_names() for code, oracle in state.oracles.items()},
            pool_quote={pool_id: pool.params.quote_asset for pool_id, pool in state.pools.items()},
            market_base={
                (pool_id, market_id): market.params.base_asset
                for pool_id, pool in state.pools.items()
                for market_id, market in pool.markets.items()
            }
            | {
                (pool_id, series_id): series.params.underlying
                for pool_id, pool in state.pools.items()
                for series_id, series in pool.series.items()
            },
            portfolio_cash=state.portfolio_rule.cash_asset if state.portfolio_rule is not None else None,
        )

    def learn(self, command: Command) -> None:
        """Record what a compiled command defines (it has not been executed yet)."""
        if isinstance(command, RegisterAsset):
            self.decimals.setdefault(command.asset, command.decimals)
        elif isinstance(command, ConfigureOracle):
            self.sources[command.asset] = command.source_names
        elif isinstance(command, CreatePool):
            self.pool_quote.setdefault(command.pool, command.params.quote_asset)
        elif isinstance(command, AddMarket):
            self.market_base.setdefault((command.pool, command.params.market), command.params.base_asset)
        elif isinstance(command, ListSeries):
            self.market_base.setdefault((command.pool, command.params.series), command.params.underlying)
        elif isinstance(command, ConfigurePortfolioMargin):
            self.portfolio_cash = command.rule.cash_asset
        elif isinstance(command, ProposeVenueChange) and isinstance(
            command.change, ListSeries | ConfigurePortfolioMargin
        ):
            self.learn(command.change)  # in force at execution; a later trade's size is in its underlying
