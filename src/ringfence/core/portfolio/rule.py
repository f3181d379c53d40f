"""A venue's portfolio-margin rule: the grid, the factors, the contingencies, the opt-in gate, the auction.

Choices (where the sources leave one open, what a demanding risk desk would expect):

- **Requirement** ``= ⌈factor · max_loss + contingency⌉`` in value atoms, with ``max_loss`` the sum
  over underlyings of each underlying's worst weighted loss over the grid (Deribit S:PM margins
  each currency's risk matrix on its own and adds them: a long BTC and a short ETH do not net).
  ``initial_factor_wad`` 1.0 and ``maintenance_factor_wad`` 0.8 of the max loss follow Derive's
  PM2 (docs.derive.xyz, "Portfolio Margin Parameters": the maintenance margin is the max loss
  times 0.8 plus the contingencies; the initial margin is the max loss plus them). The float
  model :class:`ringfence.risk.portfolio_margin.PortfolioMarginRule` takes the same ``im_factor``.
- **Options** are repriced at the shocked forward and at their volatility moved by Deribit's
  shock (``volatility_*`` fields, Deribit's BTC parameters by default; ``core/portfolio/options.py``).
- **Contingencies**: ``linear_contingency_wad`` of the underlying's price per delta-one contract,
  long or short (Derive's "perp contingency"); ``option_contingency_wad`` per net short option per
  strike and expiry (Deribit's and Derive's option contingency), read once option series are
  margined.
- **Collateral inside the grid**: every collateral balance counts at its price with weight 1 (no
  haircut) and moves with its own underlying in every scenario, as Deribit values collateral at
  mark in portfolio margin and shocks it; the grid's worst loss replaces the haircut. The rule's
  ``cash_asset`` (the venue's cash, Derive's USDC) never moves; portfolio positions are accepted
  only in pools whose quote asset it is.
- **Opt-in gate**: an owner enables portfolio margin for a sub-account holding at least
  ``minimum_equity_value`` of maintenance equity and no position (Deribit and Binance require a
  minimum equity for portfolio margin; enabling on an empty position book keeps the switch a
  pure change of rule, never a margin call).
- **Auction**: the Derive (Lyra v2) portfolio auction, ``derivexyz/v2-core``
  ``src/liquidation/DutchAuction.sol``; its parameters are those of
  :class:`ringfence.core.liquidation.auctions.LyraAuctionParams` (Derive's published 95% → 70% of
  mark-to-market in 15 min, then → 0 in 12 h) plus ``insolvent_auction_seconds``, the time over
  which an insolvent auction's payment to a bidder grows to the account's initial-margin deficit
  (the contract's ``lengthOfAuction`` for ``_startInsolventAuction``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter
from ringfence.core.liquidation.auctions import LYRA_DEFAULT_AUCTION, LyraAuctionParams
from ringfence.core.portfolio.grid import Scenario, deribit_standard_scenarios, scenarios_of
from ringfence.core.portfolio.options import VolatilityShock
from ringfence.core.units import MAX_ATOMS, WAD
from ringfence.core.validation import check_int, check_name, check_ratio

__all__ = ["DERIVE_MAINTENANCE_FACTOR_WAD", "PortfolioRule", "check_rule", "deribit_rule"]

DERIVE_MAINTENANCE_FACTOR_WAD = 8 * WAD // 10
"""Derive PM2: the maintenance margin counts 0.8 of the max loss."""
MAX_AUCTION_SECONDS = 10**9


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioRule:
    """The venue's portfolio-margin rule (module docstring). Ratios in WAD, shocks and weights in ppm."""

    cash_asset: str
    spot_shocks_ppm: tuple[int, ...]
    volatility_moves: tuple[int, ...]
    weights_ppm: tuple[int, ...]
    initial_factor_wad: int = WAD
    maintenance_factor_wad: int = DERIVE_MAINTENANCE_FACTOR_WAD
    linear_contingency_wad: int = 0
    option_contingency_wad: int = 0
    minimum_equity_value: int = 0
    """Maintenance equity (value atoms) a sub-account needs to enable portfolio margin."""
    auction_starting_mtm_wad: int = LYRA_DEFAULT_AUCTION.starting_mtm_percentage_wad
    auction_fast_cutoff_wad: int = LYRA_DEFAULT_AUCTION.fast_auction_cutoff_percentage_wad
    auction_fast_seconds: int = LYRA_DEFAULT_AUCTION.fast_auction_length_seconds
    auction_slow_seconds: int = LYRA_DEFAULT_AUCTION.slow_auction_length_seconds
    insolvent_auction_seconds: int = 3_600
    """Seconds over which an insolvent auction's payment grows to the initial-margin deficit."""
    volatility_range_up_wad: int = WAD // 2
    """Deribit's BTC volatility shock (``core/portfolio/options.py``): range up 0.5, down 0.25,
    minimum up-shocked volatility 0.5, powers 0.3 (under 30 days) and 0.13."""
    volatility_range_down_wad: int = WAD // 4
    min_volatility_up_wad: int = WAD // 2
    short_term_power_wad: int = 3 * WAD // 10
    long_term_power_wad: int = 13 * WAD // 100

    @property
    def volatility_shock(self) -> VolatilityShock:
        """Return the options' volatility shock."""
        return VolatilityShock(
            self.volatility_range_up_wad,
            self.volatility_range_down_wad,
            self.min_volatility_up_wad,
            self.short_term_power_wad,
            self.long_term_power_wad,
        )

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """Return the grid's scenarios (checked)."""
        return scenarios_of(self.spot_shocks_ppm, self.volatility_moves, self.weights_ppm)

    @property
    def auction(self) -> LyraAuctionParams:
        """Return the solvent auction's discount schedule (checked by ``LyraAuctionParams``)."""
        return LyraAuctionParams(
            self.auction_starting_mtm_wad,
            self.auction_fast_cutoff_wad,
            self.auction_fast_seconds,
            self.auction_slow_seconds,
        )


def deribit_rule(cash_asset: str, **overrides: int) -> PortfolioRule:
    """Return a rule on Deribit S:PM's standard 27 scenarios (±16% × vol up/same/down), other fields as given."""
    shocks, moves, weights = deribit_standard_scenarios()
    return PortfolioRule(
        cash_asset=cash_asset, spot_shocks_ppm=shocks, volatility_moves=moves, weights_ppm=weights, **overrides
    )


def check_rule(rule: PortfolioRule, listed_assets: tuple[str, ...]) -> None:
    """Check a rule: a listed cash asset, a valid grid, factors, contingencies and auction in range.

    The maintenance factor may not exceed the initial one (IM ≥ MM), and neither may be 0 (a zero
    requirement would make a portfolio impossible to liquidate).

    Raises
    ------
    InvalidParameter
        Naming the field, its value and what would be accepted.
    """
    check_name("cash_asset", rule.cash_asset)
    if rule.cash_asset not in listed_assets:
        raise InvalidParameter("cash_asset", rule.cash_asset, f"a listed asset: {', '.join(listed_assets)}")
    _ = rule.scenarios  # builds and checks the grid
    check_ratio("initial_factor_wad", rule.initial_factor_wad, 1, 10 * WAD)
    check_ratio("maintenance_factor_wad", rule.maintenance_factor_wad, 1, rule.initial_factor_wad)
    check_ratio("linear_contingency_wad", rule.linear_contingency_wad, 0, WAD)
    check_ratio("option_contingency_wad", rule.option_contingency_wad, 0, WAD)
    check_int("minimum_equity_value", rule.minimum_equity_value, 0, MAX_ATOMS)
    check_int("auction_fast_seconds", rule.auction_fast_seconds, 1, MAX_AUCTION_SECONDS)
    check_int("auction_slow_seconds", rule.auction_slow_seconds, 1, MAX_AUCTION_SECONDS)
    check_int("insolvent_auction_seconds", rule.insolvent_auction_seconds, 1, MAX_AUCTION_SECONDS)
    check_ratio("auction_starting_mtm_wad", rule.auction_starting_mtm_wad, 0, WAD)
    check_ratio("auction_fast_cutoff_wad", rule.auction_fast_cutoff_wad, 0, rule.auction_starting_mtm_wad)
    check_ratio("volatility_range_up_wad", rule.volatility_range_up_wad, 0, 10 * WAD)
    check_ratio("volatility_range_down_wad", rule.volatility_range_down_wad, 0, WAD - 1)
    check_ratio("min_volatility_up_wad", rule.min_volatility_up_wad, 0, 10 * WAD)
    check_ratio("short_term_power_wad", rule.short_term_power_wad, 0, WAD)
    check_ratio("long_term_power_wad", rule.long_term_power_wad, 0, WAD)
