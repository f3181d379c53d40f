"""Unit tests of liquidation at an execution price (``Liquidate.execution_price_wad``).

Same premises as ``tests/unit/test_pool_liquidation.py``: no spread, fee or funding, skew scale
1,000,000 ETH (a long of 10 ETH from skew 0 fills at 2000.01, basis 20_000_100_000 USDC atoms),
IM 10%, MM 5%, close factor 50%, penalty 2% (half to the keeper), insurance 5,000 USDC with a
draw cap of 1,000 USDC per hour. USDC has 6 decimals, ETH 18. Here the pool lets a keeper's
execution price lie up to ``max_execution_gap_wad`` (20%) from the oracle. Every expected
number is worked by hand in the comment beside it; ``check_conservation`` runs after each
command (every asset, to the atom).
"""

from __future__ import annotations

import dataclasses

import pytest

import support.venue
from ringfence.core.errors import InvalidParameter
from ringfence.core.pool.commands import Liquidate
from ringfence.core.pool.events import InsuranceDrawn, LiquidationRecorded, LossSocialised, PositionLiquidated
from ringfence.core.pool.liquidation_policy import LiquidationPolicy
from ringfence.core.pool.state import MarginMode, PoolParams
from ringfence.core.units import WAD
from ringfence.store.codec import decode_event
from support.legacy import dumps, liquidation_recorded_v1, position_changed_v1
from support.venue import ETH, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, only

INSURANCE_ATOMS = 5_000 * USDC
GAP_POOL = dataclasses.replace(POOL_PARAMS, liquidation=LiquidationPolicy(max_execution_gap_wad=20 * PERCENT))
"""The test pool, letting an execution price lie up to 20% from the oracle."""


class Venue(support.venue.Venue):
    """The shared venue with 100k LP and 5k insurance."""

    def __init__(self, pool: PoolParams = GAP_POOL) -> None:
        super().__init__(pool, MARKET_PARAMS, insurance_atoms=INSURANCE_ATOMS)

    def open_isolated_long_of_ten(self, owner: str) -> None:
        """Isolated long 10 ETH at 2000.01 (basis 20_000_100_000) with 2_100 USDC of margin."""
        self.deposit(owner, 2_100 * USDC)
        self.trade(owner, 10 * ETH, MarginMode.ISOLATED, 2_100 * USDC)

    def liquidate_at(self, owner: str, price_wad: int | None) -> Liquidate:
        return Liquidate("keeper", 0, owner, 0, POOL, MARKET, self.now, execution_price_wad=price_wad)


def test_execution_cost_is_charged_to_the_vault_before_the_penalty_and_paid_to_the_keeper() -> None:
    # Arrange: ETH 2000 → 1850: equity 2_100 + 18_500 − 20_000.1 = 599.9 USDC < maintenance 925 USDC
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_850 * WAD)
    pool = venue.state.pools[POOL]
    vault_before, insurance_before = pool.vault_atoms, pool.insurance_atoms

    # Act: the keeper sold the closed half in the market at 1800
    events = venue.run(venue.liquidate_at("alice", 1_800 * WAD))

    # Assert: closed 5 ETH at the oracle: PnL 5·1850 − 10_000.05 = −750.05 USDC; penalty 2% of 9_250 = 185 USDC.
    # Execution cost 5·(1850 − 1800) = 250 USDC, charged before the penalty:
    # vault 2_100 − 750.05 − 250 = 1_099.95 ≥ 185, so the whole penalty is paid (92.5 each way)
    change = only(events, PositionLiquidated)
    assert change.price_wad == 1_850 * WAD
    assert change.realised_pnl_atoms == -750_050_000
    assert change.execution_cost_atoms == 250_000_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms, change.shortfall_atoms) == (
        92_500_000,
        92_500_000,
        0,
    )
    record = only(events, LiquidationRecorded)
    assert (record.path, record.execution_price_wad, record.execution_cost_atoms) == (
        "keeper",
        1_800 * WAD,
        250_000_000,
    )
    # vault 2_100_000_000 − 750_050_000 − 250_000_000 − 185_000_000 = 914_950_000
    assert pool.positions[(("alice", 0), MARKET)].isolated_margin_atoms == 914_950_000
    assert venue.balance("keeper") == 92_500_000 + 250_000_000
    assert pool.vault_atoms == vault_before + 750_050_000  # the LP vault still settles at the oracle
    assert pool.insurance_atoms == insurance_before + 92_500_000
    venue.assert_replay_equals_live()


def test_execution_cost_the_vault_cannot_cover_takes_the_penalty_first_then_goes_down_the_waterfall() -> None:
    # Arrange: ETH → 1850, the keeper sold at 1570 (280 below: 15.1% of the oracle, inside 20%)
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_850 * WAD)

    # Act
    events = venue.run(venue.liquidate_at("alice", 1_570 * WAD))

    # Assert: the path is still the keeper's (decided at the oracle); cost 5·280 = 1_400 USDC;
    # vault 2_100 − 750.05 − 1_400 = −50.05 USDC: no penalty, shortfall 50.05 USDC, drawn from insurance
    change = only(events, PositionLiquidated)
    assert only(events, LiquidationRecorded).path == "keeper"
    assert change.execution_cost_atoms == 1_400_000_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (0, 0)
    assert change.shortfall_atoms == 50_050_000
    assert only(events, InsuranceDrawn).amount_atoms == 50_050_000
    assert venue.balance("keeper") == 1_400_000_000
    assert venue.state.pools[POOL].positions[(("alice", 0), MARKET)].isolated_margin_atoms == 0
    venue.assert_replay_equals_live()


def test_a_penalty_partly_paid_after_the_execution_cost() -> None:
    # Arrange: ETH → 1850, sold at 1610 (240 below): cost 5·240 = 1_200 USDC
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_850 * WAD)

    # Act
    change = only(venue.run(venue.liquidate_at("alice", 1_610 * WAD)), PositionLiquidated)

    # Assert: left 2_100 − 750.05 − 1_200 = 149.95 USDC < penalty 185: all of it is paid,
    # keeper floor(149_950_000/2) = 74_975_000, insurance 74_975_000; the vault is emptied
    assert change.execution_cost_atoms == 1_200_000_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms, change.shortfall_atoms) == (
        74_975_000,
        74_975_000,
        0,
    )
    assert venue.state.pools[POOL].positions[(("alice", 0), MARKET)].isolated_margin_atoms == 0


def test_execution_cost_rounds_up_against_the_account() -> None:
    # Arrange: sold one wei of price below the oracle: 5 ETH · 1e-18 USD = 5e-12 USDC → 1 atom
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_850 * WAD)

    # Act
    change = only(venue.run(venue.liquidate_at("alice", 1_850 * WAD - 1)), PositionLiquidated)

    # Assert
    assert change.execution_cost_atoms == 1
    assert change.keeper_reward_atoms == 92_500_000


def test_cross_bankruptcy_adds_the_execution_cost_to_the_shortfall() -> None:
    # Arrange: frank holds 1_100 USDC; cross long 5 ETH at 2000.005 (basis 10_000_025_000); ETH → 1500
    venue = Venue()
    venue.deposit("frank", 1_100 * USDC)
    venue.trade("frank", 5 * ETH)
    venue.quote_prices(1_500 * WAD)

    # Act: the keeper sold the whole 5 ETH at 1470 (2% below)
    events = venue.run(venue.liquidate_at("frank", 1_470 * WAD))

    # Assert: backstop path (bankrupt), whole close: PnL 7_500 − 10_000.025 = −2_500.025 USDC;
    # cost 5·30 = 150 USDC; balance 1_100 − 2_500.025 − 150 = −1_550.025: shortfall 1_550.025 USDC,
    # insurance pays its cap of 1_000, the LPs 550.025
    change = only(events, PositionLiquidated)
    assert only(events, LiquidationRecorded).path == "backstop"
    assert change.execution_cost_atoms == 150_000_000
    assert change.shortfall_atoms == 1_550_025_000
    assert only(events, InsuranceDrawn).amount_atoms == 1_000 * USDC
    assert only(events, LossSocialised).amount_atoms == 550_025_000
    assert venue.balance("frank") == 0
    assert venue.balance("keeper") == 150_000_000
    venue.assert_replay_equals_live()


def test_a_short_closes_by_a_purchase_above_the_oracle() -> None:
    # Arrange: isolated short 10 ETH at 2000·(1 − 10/2e6) = 1999.99 (basis −19_999_900_000), 2_100 USDC;
    # ETH → 2150: equity 2_100 + 19_999.9 − 21_500 = 599.9 < maintenance 1_075
    venue = Venue()
    venue.deposit("bob", 2_100 * USDC)
    venue.trade("bob", -10 * ETH, MarginMode.ISOLATED, 2_100 * USDC)
    venue.quote_prices(2_150 * WAD)

    # Act: bought back at 2160
    change = only(venue.run(venue.liquidate_at("bob", 2_160 * WAD)), PositionLiquidated)

    # Assert: cost 5·10 = 50 USDC; PnL −(5·2150 − 9_999.95) = −750.05; penalty 2% of 10_750 = 215
    assert change.execution_cost_atoms == 50_000_000
    assert change.realised_pnl_atoms == -750_050_000
    assert change.keeper_reward_atoms == 107_500_000


@pytest.mark.parametrize(
    ("price_wad", "reason"),
    [
        (1_851 * WAD, "at or below the oracle"),  # a sale above the oracle is the account's favourable side
        (1_479 * WAD, "at most 370000000000000000000 away"),  # 371 below: past 20% of 1850 = 370
        (0, "a positive integer price"),
    ],
)
def test_execution_prices_outside_the_bound_or_favourable_to_the_account_are_refused(
    price_wad: int, reason: str
) -> None:
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_850 * WAD)

    venue.refuse(venue.liquidate_at("alice", price_wad), InvalidParameter, reason)


def test_the_default_pool_accepts_only_the_oracle_price() -> None:
    # Arrange: a pool with the default policy (gap 0)
    venue = Venue(POOL_PARAMS)
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_850 * WAD)

    # Act / Assert: one wei off is refused; the oracle itself is accepted at no cost
    venue.refuse(venue.liquidate_at("alice", 1_850 * WAD - 1), InvalidParameter, "at most 0 away")
    change = only(venue.run(venue.liquidate_at("alice", 1_850 * WAD)), PositionLiquidated)
    assert change.execution_cost_atoms == 0
    assert change.keeper_reward_atoms == 92_500_000


def test_journals_written_before_the_execution_fields_replay_as_at_the_oracle() -> None:
    # Arrange: a liquidation's events, with the new fields dropped from the payloads as an old journal has them
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_850 * WAD)
    events = venue.liquidate("alice")
    change, record = only(events, PositionLiquidated), only(events, LiquidationRecorded)

    old_change = position_changed_v1(change)
    old_record = liquidation_recorded_v1(record)
    for body in (old_change, old_record):
        body.pop("execution_cost_atoms")
        body.pop("execution_price_wad", None)

    def old_payload(event_type: str, body: dict[str, object]) -> object:
        return decode_event(event_type, 1, dumps(body))

    # Act / Assert: no execution cost; the old record names no execution price (0)
    assert old_payload("PositionChanged", old_change) == change
    assert old_payload("LiquidationRecorded", old_record) == dataclasses.replace(record, execution_price_wad=0)
    assert record.execution_price_wad == 1_850 * WAD
