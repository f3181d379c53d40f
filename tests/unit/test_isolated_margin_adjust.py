"""Unit tests of ``AdjustIsolatedMargin``: adding margin to an isolated position's vault and removing it.

Every expected number is computed by hand, with the arithmetic in the comment beside it. The
market has no spread, no taker fee and no funding; the skew premium stays (skew scale
1,000,000 ETH), so an isolated long of 10 ETH from skew 0 fills at 2000·(1 + 10/2e6) = 2000.01:
basis 20_000_100_000 quote atoms, unrealised PnL at ETH 2000 of 20_000_000_000 − 20_000_100_000
= −100_000. IM 10%, MM 5%, positive PnL at 50%. USDC has 6 decimals, ETH 18.

Every command runs through the :class:`~ringfence.service.engine.Engine`, and
``check_conservation`` runs after each one (every asset, to the atom).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import support.venue
from ringfence.core.errors import (
    CommandRejected,
    InsufficientBalance,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    OracleUnavailable,
    UnknownEntity,
)
from ringfence.core.margin import Denomination, MarginKind
from ringfence.core.pool import margin_adjust
from ringfence.core.pool.commands import AdjustIsolatedMargin
from ringfence.core.pool.events import IsolatedMarginAdjusted, PoolHalted, PositionLiquidated
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.state import MarginMode, PoolStatus, Position
from ringfence.core.units import WAD
from support.venue import ETH, HOUR_NS, MARKET, MARKET_PARAMS, PERCENT, POOL, USDC, only
from support.venue import POOL_PARAMS as STANDARD_POOL

POOL_PARAMS = dataclasses.replace(STANDARD_POOL, nav_drawdown_limit_wad=1 * PERCENT)

VAULT_ATOMS = 2_100 * USDC


class Venue(support.venue.Venue):
    """The shared venue with this module's pool and market (100k LP, no insurance)."""

    def __init__(self) -> None:
        super().__init__(POOL_PARAMS, MARKET_PARAMS)

    def open_isolated_long_of_ten(self, owner: str = "alice", margin_atoms: int = VAULT_ATOMS, spare: int = 0) -> None:
        """Deposit ``margin_atoms + spare`` and open an isolated long of 10 ETH with ``margin_atoms``."""
        self.deposit(owner, margin_atoms + spare)
        self.trade(owner, 10 * ETH, MarginMode.ISOLATED, margin_atoms)

    def adjust(self, delta_atoms: int, owner: str = "alice") -> AdjustIsolatedMargin:
        return AdjustIsolatedMargin(owner, 0, POOL, MARKET, delta_atoms, self.now)

    def position(self, owner: str = "alice") -> Position:
        return self.state.pools[POOL].positions[((owner, 0), MARKET)]


# --- adding ---------------------------------------------------------------------------------------


def test_adding_margin_moves_quote_from_the_balance_into_the_vault() -> None:
    # Arrange: vault 2_100 USDC, 500 USDC left on the balance
    venue = Venue()
    venue.open_isolated_long_of_ten(spare=500 * USDC)

    # Act
    events = venue.run(venue.adjust(500 * USDC))

    # Assert
    assert events == (
        IsolatedMarginAdjusted(
            owner="alice", sub_account=0, pool=POOL, market=MARKET, delta_atoms=500 * USDC, timestamp_ns=venue.now
        ),
    )
    assert venue.position().isolated_margin_atoms == 2_600 * USDC
    assert venue.balance("alice") == 0
    venue.assert_replay_equals_live()


def test_adding_more_than_the_balance_is_refused() -> None:
    venue = Venue()
    venue.open_isolated_long_of_ten(spare=500 * USDC)

    venue.refuse(
        venue.adjust(500 * USDC + 1),
        InsufficientBalance,
        "alice/0 holds 500000000 atoms of USDC, cannot take 500000001; at most 500000000 would be accepted",
    )


def test_adding_margin_rescues_a_position_from_liquidation() -> None:
    # Arrange: ETH 2000 → 1850: equity 2_100_000_000 + (18_500_000_000 − 20_000_100_000) = 599_900_000,
    # maintenance ceil(18_500_000_000·0.05) = 925_000_000: short of it by 325_100_000.
    rescued, short_by_one = Venue(), Venue()
    for venue in (rescued, short_by_one):
        venue.open_isolated_long_of_ten(spare=1_000 * USDC)
        venue.quote_prices(1_850 * WAD)

    # Act: one adds exactly the gap, the other one atom less
    rescued.run(rescued.adjust(325_100_000))
    short_by_one.run(short_by_one.adjust(325_099_999))

    # Assert: equity 925_000_000 = maintenance, so the liquidation is refused; one atom less is liquidated
    rescued.refuse(
        rescued.liquidate_command("alice"),
        CommandRejected,
        "alice/0 is not liquidatable: maintenance equity 925000000 covers its requirement 925000000",
    )
    assert only(short_by_one.liquidate("alice"), PositionLiquidated)
    rescued.assert_replay_equals_live()
    short_by_one.assert_replay_equals_live()


def test_adding_margin_needs_no_price_while_removing_needs_a_fresh_one() -> None:
    # Arrange: two hours without a quote: the one-hour staleness limit has passed
    venue = Venue()
    venue.open_isolated_long_of_ten(spare=500 * USDC)
    venue.now += 2 * HOUR_NS

    # Act / Assert: adding lowers risk and needs no price; removing waits for a fresh oracle
    venue.run(venue.adjust(1))
    venue.refuse(venue.adjust(-1), OracleUnavailable, "ETH")
    assert venue.position().isolated_margin_atoms == VAULT_ATOMS + 1
    venue.assert_replay_equals_live()


# --- removing -------------------------------------------------------------------------------------


def test_removing_to_exactly_initial_margin_is_accepted() -> None:
    # Arrange: equity 2_100_000_000 − 100_000 = 2_099_900_000; IM ceil(20_000_000_000·0.1) = 2_000_000_000:
    # 99_900_000 can go
    venue = Venue()
    venue.open_isolated_long_of_ten()

    # Act
    events = venue.run(venue.adjust(-99_900_000))

    # Assert
    assert events == (
        IsolatedMarginAdjusted(
            owner="alice", sub_account=0, pool=POOL, market=MARKET, delta_atoms=-99_900_000, timestamp_ns=venue.now
        ),
    )
    assert venue.position().isolated_margin_atoms == 2_000_100_000
    assert venue.balance("alice") == 99_900_000
    venue.assert_replay_equals_live()


def test_removing_one_atom_past_initial_margin_is_refused() -> None:
    venue = Venue()
    venue.open_isolated_long_of_ten()

    # equity 2_100_000_000 − 99_900_001 − 100_000 = 1_999_999_999 < 2_000_000_000
    venue.refuse(
        venue.adjust(-99_900_001),
        InsufficientMargin,
        "alice/0 would have initial-margin equity 1999999999 below its requirement 2000000000 \\(quote atoms\\)",
    )


def test_positive_pnl_counts_at_its_weight_in_the_removal_check() -> None:
    # Arrange: ETH 2000 → 2500: PnL 25_000_000_000 − 20_000_100_000 = 4_999_900_000, at 50%: 2_499_950_000;
    # IM ceil(25_000_000_000·0.1) = 2_500_000_000, so the vault must keep 50_000: 2_099_950_000 can go
    venue = Venue()
    venue.open_isolated_long_of_ten()
    venue.quote_until_stable(2_500 * WAD)  # a settled price: IM counts PnL at the stable price

    # Act / Assert: one atom more leaves 49_999 + 2_499_950_000 = 2_499_999_999
    venue.refuse(
        venue.adjust(-2_099_950_001),
        InsufficientMargin,
        "alice/0 would have initial-margin equity 2499999999 below its requirement 2500000000",
    )
    venue.run(venue.adjust(-2_099_950_000))
    assert venue.position().isolated_margin_atoms == 50_000
    venue.assert_replay_equals_live()


def test_unrealised_profit_cannot_be_withdrawn_beyond_the_vault_cash() -> None:
    # Arrange: ETH 2000 → 3000: PnL 30_000_000_000 − 20_000_100_000 = 9_999_900_000, at 50%: 4_999_950_000,
    # more than the IM of 3_000_000_000 on its own: the whole vault may go, and nothing more
    venue = Venue()
    venue.open_isolated_long_of_ten()
    venue.quote_until_stable(3_000 * WAD)  # a settled price: IM counts PnL at the stable price

    # Act / Assert
    venue.refuse(
        venue.adjust(-(VAULT_ATOMS + 1)),
        InsufficientBalance,
        r"alice/0 \(isolated vault of P/ETH-PERP\) holds 2100000000 atoms of USDC, cannot take 2100000001",
    )
    venue.run(venue.adjust(-VAULT_ATOMS))
    assert venue.position().isolated_margin_atoms == 0
    assert venue.balance("alice") == VAULT_ATOMS
    venue.assert_replay_equals_live()


@settings(max_examples=20, deadline=None)
@given(amount=st.integers(1, 99_900_000))
def test_adding_then_removing_the_same_amount_restores_the_state(amount: int) -> None:
    # Arrange: any amount up to the removable 99_900_000 (see the exact-IM test)
    venue = Venue()
    venue.open_isolated_long_of_ten(spare=99_900_000)
    vault, balance = venue.position().isolated_margin_atoms, venue.balance("alice")

    # Act
    venue.run(venue.adjust(amount))
    venue.run(venue.adjust(-amount))

    # Assert
    assert (venue.position().isolated_margin_atoms, venue.balance("alice")) == (vault, balance)
    venue.assert_replay_equals_live()


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "error", "match"),
    [
        pytest.param(
            AdjustIsolatedMargin("alice", 0, POOL, MARKET, 0, 0), InvalidAmount, "delta_atoms=0", id="zero-delta"
        ),
        pytest.param(
            AdjustIsolatedMargin("alice", 0, POOL, MARKET, 2.5, 0),  # type: ignore[arg-type]
            InvalidAmount,
            "delta_atoms=2.5",
            id="float-delta",
        ),
        pytest.param(
            AdjustIsolatedMargin("alice", 0, POOL, MARKET, -(2**128), 0),
            InvalidAmount,
            "delta_atoms",
            id="delta-beyond-max-atoms",
        ),
        pytest.param(
            AdjustIsolatedMargin("alice", 0, "Q", MARKET, 1, 0), UnknownEntity, "unknown pool 'Q'", id="unknown-pool"
        ),
        pytest.param(
            AdjustIsolatedMargin("alice", 0, POOL, "BTC-PERP", 1, 0),
            UnknownEntity,
            "unknown market of pool P 'BTC-PERP'",
            id="unknown-market",
        ),
        pytest.param(
            AdjustIsolatedMargin("bob", 0, POOL, MARKET, 1, 0),
            UnknownEntity,
            "unknown position 'bob/0 in P/ETH-PERP'",
            id="no-position",
        ),
        pytest.param(
            AdjustIsolatedMargin("carol", 0, POOL, MARKET, -1, 0),
            InvalidParameter,
            "a market where carol/0 holds an isolated position",
            id="cross-position",
        ),
        pytest.param(
            AdjustIsolatedMargin("carol", 0, POOL, MARKET, 1, 0),
            InvalidParameter,
            "its position here is cross-margined",
            id="cross-position-add",
        ),
    ],
)
def test_malformed_or_misdirected_adjustments_are_refused_and_change_nothing(
    command: AdjustIsolatedMargin, error: type[Exception], match: str
) -> None:
    # Arrange: alice isolated, carol a cross long of 1 ETH, bob a balance but no position
    venue = Venue()
    venue.open_isolated_long_of_ten(spare=1_000 * USDC)
    venue.deposit("carol", 1_000 * USDC)
    venue.trade("carol", 1 * ETH)
    venue.deposit("bob", 1_000 * USDC)

    # Act / Assert
    venue.refuse(command, error, match)  # type: ignore[arg-type]


def test_a_fault_inside_the_adjustment_halts_the_pool_and_a_halted_pool_refuses_both_directions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Arrange: the margin check raises a non-ringfence error once (a bug): the pool is halted, not the venue
    venue = Venue()
    venue.open_isolated_long_of_ten(spare=1_000 * USDC)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected fault")

    with monkeypatch.context() as patch:
        patch.setattr(margin_adjust, "isolated_margin", broken)
        events = venue.run(venue.adjust(-1))
    assert only(events, PoolHalted).cause == "RuntimeError: injected fault"
    assert venue.state.pools[POOL].status is PoolStatus.HALTED

    # Act / Assert
    for delta in (1, -1):
        venue.refuse(venue.adjust(delta), CommandRejected, "pool P is halted")
    venue.assert_replay_equals_live()


def test_a_reduce_only_pool_accepts_added_margin_and_refuses_removed_margin() -> None:
    # Arrange: bob (2_100 USDC) and alice (6_000 USDC) go long 10 ETH isolated; ETH 2000 → 1500 bankrupts
    # bob: his 2_900_100_000 shortfall goes to the LPs (no insurance) and trips the 1% NAV-drawdown breaker.
    # alice, filled at 2000·(1 + 30/2e6) = 2000.03, keeps 6_000_000_000 + 15_000_000_000 − 20_000_300_000
    # = 999_700_000 of equity against an IM of 1_500_000_000 and an MM of 750_000_000.
    venue = Venue()
    venue.open_isolated_long_of_ten("bob")
    venue.open_isolated_long_of_ten("alice", 6_000 * USDC, spare=100 * USDC)
    venue.quote_prices(1_500 * WAD)
    venue.liquidate("bob")
    assert venue.state.pools[POOL].status is PoolStatus.REDUCE_ONLY

    # Act / Assert: adding lowers risk; removing adds it
    venue.run(venue.adjust(100 * USDC))
    assert venue.position().isolated_margin_atoms == 6_100 * USDC
    venue.refuse(venue.adjust(-1), CommandRejected, "pool P is reduce-only .*margin can be added but not removed")
    venue.assert_replay_equals_live()


def test_an_isolated_snapshot_is_in_quote_atoms_and_a_cross_one_in_value_atoms() -> None:
    # Arrange: alice's isolated vault holds 2_100_000_000 quote atoms at a 10% initial margin on 10 ETH at 2000
    venue = Venue()
    venue.open_isolated_long_of_ten()
    position = venue.position()
    pool = venue.state.pools[POOL]

    # Act
    isolated = isolated_margin(venue.state, pool, MARKET, position, MarginKind.INITIAL, 2_000 * WAD)
    cross = margin_snapshot(venue.state, ("alice", 0), MarginKind.INITIAL, venue.now)

    # Assert: the isolated figures are the vault's quote atoms; the cross snapshot says value atoms
    assert isolated.denomination is Denomination.QUOTE
    assert isolated.requirement_atoms == 2_000_000_000
    assert cross.denomination is Denomination.VALUE
