"""Unit tests of collateral auctions inside a pool: Maker Clipper curves and the Lyra/Derive auction.

The story behind every test: dave holds 1 ETH and no USDC and goes cross long 5 ETH at
2000·(1 + 5/2e6) = 2000.005 (basis 10_000_025_000). ETH falls to 1500 and a keeper liquidates:
the whole 5 ETH closes for −2_500_025_000; the 1 ETH backs 1·1500·0.85 = 1_275 USDC of that at
maintenance, the rest (1_225_025_000) is written off, the insurance fund paying its 1,000 USDC window
cap. Dave is left with 1 ETH, a USDC balance of −1_275_000_000 and no position; the insurance fund
holds 5_000 − 1_000 = 4_000 USDC (see ``test_pool_liquidation.py`` for those numbers).

Auction premises (unless a test says otherwise): chop 13%, buf 1.2, tip 5 USDC, chip 0.1%, dust
10 USDC. So at every kick below: tab = 1_275_000_000 + ⌈1_275_000_000·0.13⌉ = 1_275_000_000 +
165_750_000 = 1_440_750_000; the keeper earns 5_000_000 + ⌊1_440_750_000·0.001⌋ = 5_000_000 +
1_440_750 = 6_440_750 from the insurance fund; top = 1500·1.2 = 1800.

Every expected number is computed by hand (arithmetic in the comment) or with ``fractions.Fraction``,
in the style of ``tests/conformance/test_auction_pacing_margin_presets.py``. Sources: Maker
``makerdao/dss`` ``src/clip.sol`` and ``src/abaci.sol``; Lyra v2 / Derive ``derivexyz/v2-core``
``src/liquidation/DutchAuction.sol`` and the Derive docs, *Liquidation Parameters*.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import support.venue
from ringfence.core.commands import Deposit
from ringfence.core.errors import (
    CommandRejected,
    InsufficientBalance,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    OracleUnavailable,
    RingfenceError,
    Unauthorized,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.pool.auction_commands import (
    ConfigureAuctions,
    RedoCollateralAuction,
    StartCollateralAuction,
    TakeCollateral,
)
from ringfence.core.pool.auction_events import (
    CollateralAuctionEnded,
    CollateralAuctionRestarted,
    CollateralAuctionStarted,
    CollateralTaken,
)
from ringfence.core.pool.auction_state import AuctionCurve, AuctionParams
from ringfence.core.pool.commands import AddMarket, CreatePool, ProvideLiquidity, Trade
from ringfence.core.pool.events import InsuranceDrawn, LossSocialised
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD
from support.venue import (
    ETH,
    HOUR_NS,
    MARKET,
    MARKET_PARAMS,
    PERCENT,
    POOL,
    POOL_PARAMS,
    SECOND_NS,
    USDC,
    none_of,
    only,
)

INSURANCE_ATOMS = 5_000 * USDC
DEBT = 1_275_000_000
TAB = 1_440_750_000
KICK_REWARD = 6_440_750
TOP = 1_800 * WAD


def auction_params(curve: AuctionCurve, **changes: int) -> AuctionParams:
    """The module's premises for ``curve``: chop 13%, buf 1.2, tip 5 USDC, chip 0.1%, dust 10 USDC."""
    base = AuctionParams(
        curve=curve,
        chop_wad=13 * PERCENT,
        buf_wad=12 * WAD // 10,
        tail_seconds=3_600,
        cusp_wad=50 * PERCENT,
        chip_wad=WAD // 1_000,
        tip_atoms=5 * USDC,
        dust_atoms=10 * USDC,
        tau_seconds=3_600,
        cut_wad=99 * PERCENT,
        step_seconds=60,
    )
    return dataclasses.replace(base, **changes)


class Venue(support.venue.Venue):
    """The shared venue with 100k LP and 5k insurance; ``dave`` left owing 1_275 USDC with 1 ETH.

    Auctions are part of a pool's listing: the admin configures them in the genesis
    (``auctions`` for pool ``P``; none: ``P`` runs no auctions), before ``OpenVenue``.
    ``second_pool`` lists pool ``Q`` in the genesis too (:func:`_second_usdc_pool`).
    """

    def __init__(self, auctions: AuctionParams | None = None, *, second_pool: bool = False) -> None:
        super().__init__(POOL_PARAMS, MARKET_PARAMS, insurance_atoms=INSURANCE_ATOMS, in_genesis=True)
        if auctions is not None:
            self.run(ConfigureAuctions(POOL, auctions, self.now))
        if second_pool:
            _second_usdc_pool(self)
        self.finish_genesis()
        self.deposit("dave", 1 * ETH, asset="ETH")
        self.trade("dave", 5 * ETH)
        self.quote_prices(1_500 * WAD)
        self.liquidate("dave")
        self.deposit("tom", 10_000 * USDC)
        if second_pool:
            self.deposit("lp", 100_000 * USDC)
            self.run(ProvideLiquidity("lp", 0, "Q", 100_000 * USDC, self.now))
        self.kicked_ns = 0

    def kick_command(self, owner: str = "dave", asset: str = "ETH", keeper: str = "keeper") -> StartCollateralAuction:
        return StartCollateralAuction(keeper, 0, owner, 0, POOL, asset, self.now)

    def kick(self) -> CollateralAuctionStarted:
        started = only(self.run(self.kick_command()), CollateralAuctionStarted)
        self.kicked_ns = self.now
        return started

    def at(self, seconds: int) -> None:
        """Set the clock to ``seconds`` after the kick."""
        self.now = self.kicked_ns + seconds * SECOND_NS

    def requote_at(self, seconds: int, eth_price_wad: int) -> None:
        """Have the oracle quote ETH exactly ``seconds`` after the kick."""
        self.now = self.kicked_ns + seconds * SECOND_NS - SECOND_NS
        self.quote_prices(eth_price_wad)

    def take_command(
        self, amount_atoms: int, max_price_wad: int, auction_id: int = 1, taker: str = "tom"
    ) -> TakeCollateral:
        return TakeCollateral(taker, 0, POOL, auction_id, amount_atoms, max_price_wad, self.now)

    def take(self, amount_atoms: int, max_price_wad: int = 10**6 * WAD) -> tuple[Event, ...]:
        return self.run(self.take_command(amount_atoms, max_price_wad))

    def redo_command(self, auction_id: int = 1) -> RedoCollateralAuction:
        return RedoCollateralAuction("keeper", 0, POOL, auction_id, self.now)

    @property
    def insurance(self) -> int:
        return self.state.pools[POOL].insurance_atoms


def test_the_premise_dave_owes_1275_usdc_and_holds_1_eth() -> None:
    venue = Venue()

    assert (venue.balance("dave"), venue.balance("dave", "ETH")) == (-DEBT, 1 * ETH)
    # no position is left, but the debt keeps dave bound to the pool that produced it
    assert venue.state.pools[POOL].positions == {}
    assert venue.state.cross_pool[("dave", 0)] == POOL
    assert venue.insurance == 4_000 * USDC


# --- kick --------------------------------------------------------------------------------------


def test_kick_seizes_the_lot_sets_the_tab_and_pays_the_keeper_from_insurance() -> None:
    # Arrange
    venue = Venue(auction_params(AuctionCurve.LINEAR))

    # Act
    started = venue.kick()

    # Assert: the numbers of the module docstring
    assert (started.auction_id, started.lot_atoms, started.debt_atoms) == (1, 1 * ETH, DEBT)
    assert started.tab_atoms == TAB == 1_275_000_000 + math.ceil(Fraction(1_275_000_000 * 13, 100))
    assert (started.oracle_price_wad, started.top_wad) == (1_500 * WAD, TOP)
    assert started.keeper_incentive_atoms == KICK_REWARD
    assert venue.balance("keeper") == KICK_REWARD
    assert venue.insurance == 4_000 * USDC - KICK_REWARD
    assert venue.balance("dave", "ETH") == 0
    assert venue.balance("dave") == -DEBT  # the debt stays on the account until the auction repays it
    auction = venue.state.pools[POOL].auctions[1]
    assert (auction.lot_atoms, auction.tab_atoms, auction.debt_atoms, auction.top_wad) == (ETH, TAB, DEBT, TOP)
    assert venue.state.pools[POOL].next_auction_id == 2
    venue.assert_replay_equals_live()


def test_kick_reward_is_capped_at_what_the_insurance_fund_holds() -> None:
    # Arrange: tip 5_000 USDC is more than the 4_000 USDC the fund holds
    venue = Venue(auction_params(AuctionCurve.LINEAR, tip_atoms=5_000 * USDC))

    # Act
    started = venue.kick()

    # Assert
    assert started.keeper_incentive_atoms == 4_000 * USDC
    assert venue.insurance == 0


def test_kick_is_refused_when_the_pool_runs_no_auctions() -> None:
    venue = Venue()

    venue.refuse(venue.kick_command(), CommandRejected, "pool P runs no collateral auctions: send ConfigureAuctions")


def test_kick_is_refused_while_the_account_holds_a_cross_position() -> None:
    # Arrange: erin holds ETH, owes nothing yet, and is cross long
    venue = Venue(auction_params(AuctionCurve.LINEAR))
    venue.deposit("erin", 1 * ETH, asset="ETH")
    venue.trade("erin", 1 * ETH)

    # Act / Assert
    venue.refuse(venue.kick_command("erin"), CommandRejected, "erin/0 holds cross positions in pool P; liquidate")


def _second_usdc_pool(venue: support.venue.Venue) -> None:
    """Pool ``Q`` in the genesis: the same parameters and quote asset as ``P``, auctions configured.

    ``Venue(second_pool=True)`` funds it with 100k LP once open.
    """
    venue.run(CreatePool("Q", "perp", 1, POOL_PARAMS, venue.now))
    venue.run(AddMarket("Q", MARKET_PARAMS, venue.now))
    venue.run(ConfigureAuctions("Q", auction_params(AuctionCurve.LINEAR), venue.now))


def test_a_debt_is_auctioned_only_in_the_pool_that_produced_it() -> None:
    # Arrange: dave owes P; pool Q has the same quote asset and runs auctions too
    venue = Venue(auction_params(AuctionCurve.LINEAR), second_pool=True)
    q_before = copy.deepcopy(venue.state.pools["Q"])

    # Act / Assert: a kick naming Q is refused and changes nothing; Q is untouched
    wrong = StartCollateralAuction("keeper", 0, "dave", 0, "Q", "ETH", venue.now)
    venue.refuse(wrong, InvalidParameter, "P, the pool dave/0 is bound to and owes")
    assert venue.state.pools["Q"] == q_before
    venue.kick()
    assert venue.state.pools["Q"] == q_before


def test_an_indebted_sub_account_cannot_cross_trade_in_another_pool_until_the_debt_is_settled() -> None:
    # Arrange: dave owes P 1_275 USDC; he deposits 3_000 USDC (repaying the debt) only in the second step
    venue = Venue(second_pool=True)
    cross_in_q = Trade("dave", 0, "Q", MARKET, 1 * ETH, MarginMode.CROSS, 0, 0, venue.now)

    # Act / Assert 1: refused while the debt is owed (Q would otherwise inherit P's debt in its margin)
    venue.refuse(cross_in_q, InvalidParameter, "not bound to pool P")

    # Act / Assert 2: once the balance is back to ≥ 0 the binding is released and Q accepts him
    venue.deposit("dave", 3_000 * USDC)
    assert venue.balance("dave") == 3_000 * USDC - DEBT
    assert ("dave", 0) not in venue.state.cross_pool
    venue.run(dataclasses.replace(cross_in_q, timestamp_ns=venue.now))
    assert venue.state.cross_pool[("dave", 0)] == "Q"
    venue.assert_replay_equals_live()


def test_kick_is_refused_for_an_account_without_debt() -> None:
    venue = Venue(auction_params(AuctionCurve.LINEAR))
    venue.deposit("erin", 1 * ETH, asset="ETH")

    venue.refuse(venue.kick_command("erin"), CommandRejected, r"erin/0 owes no USDC \(balance 0\)")


def test_kick_is_refused_for_the_quote_asset_self_kicks_and_a_second_live_auction() -> None:
    # Arrange
    venue = Venue(auction_params(AuctionCurve.LINEAR))

    # Act / Assert
    venue.refuse(venue.kick_command(asset="USDC"), InvalidParameter, "a collateral asset other than the pool's quote")
    venue.refuse(venue.kick_command(asset="BTC"), UnknownEntity, "unknown asset 'BTC'")
    # A self-kick is refused by the authority check (SPEC §2.5) before the auction rules read it.
    venue.refuse(venue.kick_command(keeper="dave"), Unauthorized, "never liquidates its own sub-accounts")
    venue.kick()
    venue.refuse(venue.kick_command(), CommandRejected, "dave/0 holds no ETH to auction")
    venue.deposit("dave", 1 * ETH, asset="ETH")  # fresh ETH does not open a second auction on the same debt
    venue.refuse(venue.kick_command(), CommandRejected, "dave/0 already has auction 1 running in pool P")


def test_configure_rejects_parameters_outside_their_domain() -> None:
    # ConfigureAuctions is the admin's, in the genesis: the venue is checked before OpenVenue
    venue = support.venue.Venue(POOL_PARAMS, MARKET_PARAMS, in_genesis=True)

    venue.refuse(
        ConfigureAuctions(POOL, auction_params(AuctionCurve.LINEAR, tau_seconds=0), venue.now),
        InvalidParameter,
        "tau_seconds=0",
    )
    venue.refuse(
        ConfigureAuctions(POOL, auction_params(AuctionCurve.EXPONENTIAL, cut_wad=WAD + 1), venue.now),
        InvalidAmount,
        "cut_wad",
    )
    venue.refuse(
        ConfigureAuctions(POOL, auction_params(AuctionCurve.LINEAR, chop_wad=2 * WAD), venue.now),
        InvalidAmount,
        "chop_wad",
    )
    venue.refuse(  # Derive's setAuctionParams: the fast cutoff may not exceed the start
        ConfigureAuctions(POOL, auction_params(AuctionCurve.LYRA, lyra_fast_cutoff_wad=96 * PERCENT), venue.now),
        InvalidParameter,
        "cutoff ≤ start",
    )
    venue.refuse(
        ConfigureAuctions("Q", auction_params(AuctionCurve.LINEAR), venue.now), UnknownEntity, "unknown pool 'Q'"
    )


# --- linear: partial takes, then the lot runs out and the rest is socialised ------------------------


def test_linear_story_partial_takes_then_the_residual_debt_is_socialised() -> None:
    # Arrange: LinearDecrease, tau 3_600 s, kicked right after the liquidation (same insurance window,
    # whose 1_000 USDC cap the liquidation used up)
    venue = Venue(auction_params(AuctionCurve.LINEAR))
    venue.kick()
    vault_before = venue.state.pools[POOL].vault_atoms
    socialised_before = venue.state.pools[POOL].socialised_loss_atoms

    # Act 1: 900 s in, price 1800·(3600 − 900)/3600 = 1350; tom buys 0.5 ETH for 0.5·1350 = 675 USDC
    venue.at(900)
    first = only(venue.take(ETH // 2), CollateralTaken)

    # Assert 1: all of it repays the debt (675 < 1_275), nothing to the insurance fund yet
    assert first.price_wad == 1_350 * WAD == TOP * 2_700 // 3_600
    assert (first.slice_atoms, first.paid_atoms) == (ETH // 2, 675 * USDC)
    assert (first.debt_repaid_atoms, first.penalty_atoms) == (675 * USDC, 0)
    assert venue.balance("dave") == -DEBT + 675 * USDC  # −600 USDC
    auction = venue.state.pools[POOL].auctions[1]
    assert (auction.lot_atoms, auction.tab_atoms, auction.debt_atoms) == (ETH // 2, TAB - 675 * USDC, 600 * USDC)

    # Act 2: 1_800 s in, price 1800·1800/3600 = 900; tom asks for 1 ETH, only 0.5 is left: 450 USDC
    venue.at(1_800)
    events = venue.take(ETH)

    # Assert 2: the lot is sold out with 600 − 450 = 150 USDC of debt unraised: a shortfall, written off
    # through the waterfall; the insurance fund has no room left this hour, so the LPs bear it.
    second = only(events, CollateralTaken)
    assert (second.price_wad, second.slice_atoms, second.paid_atoms) == (900 * WAD, ETH // 2, 450 * USDC)
    assert second.debt_repaid_atoms == 450 * USDC
    ended = only(events, CollateralAuctionEnded)
    assert (ended.lot_returned_atoms, ended.shortfall_atoms, ended.unsettled_debt_atoms) == (0, 150 * USDC, 0)
    assert none_of(events, InsuranceDrawn)
    assert only(events, LossSocialised).amount_atoms == 150 * USDC
    assert venue.balance("dave") == 0  # −1_275 + 675 + 450 + 150: no silent negative is left
    assert venue.balance("tom", "ETH") == 1 * ETH
    assert venue.balance("tom") == 10_000 * USDC - 1_125 * USDC
    assert venue.state.pools[POOL].vault_atoms == vault_before - 150 * USDC
    assert venue.state.pools[POOL].socialised_loss_atoms == socialised_before + 150 * USDC
    assert venue.state.pools[POOL].auctions == {}
    assert venue.insurance == 4_000 * USDC - KICK_REWARD
    venue.assert_replay_equals_live()


# --- stairstep: one take covers the tab and the leftover lot goes home -----------------------------


def test_stairstep_story_one_take_covers_the_tab_and_returns_the_leftover_lot() -> None:
    # Arrange: StairstepExponentialDecrease, cut 0.99 every 60 s
    venue = Venue(auction_params(AuctionCurve.STAIRSTEP, cut_wad=99 * PERCENT, step_seconds=60))
    venue.kick()
    venue.at(150)  # ⌊150/60⌋ = 2 steps

    # Act: price 1800·0.99² = 1800·0.9801 = 1764.18; 1 ETH is worth 1764.18 > tab 1_440.75
    events = venue.take(ETH, max_price_wad=1_764_180 * WAD // 1_000)

    # Assert: tom pays exactly the tab and gets ⌊1440.75/1764.18 ETH⌋
    taken = only(events, CollateralTaken)
    assert taken.price_wad == 1_764_180 * WAD // 1_000
    slice_atoms = math.floor(Fraction(144_075, 100) / Fraction(176_418, 100) * ETH)
    assert slice_atoms == 816_668_367_173_417_678
    assert (taken.slice_atoms, taken.paid_atoms) == (slice_atoms, TAB)
    # the debt first (1_275 USDC), the penalty 1_440.75 − 1_275 = 165.75 USDC to the insurance fund
    assert (taken.debt_repaid_atoms, taken.penalty_atoms) == (DEBT, 165_750_000)
    ended = only(events, CollateralAuctionEnded)
    assert (ended.lot_returned_atoms, ended.shortfall_atoms) == (ETH - slice_atoms, 0)
    assert venue.balance("dave") == 0
    assert venue.balance("dave", "ETH") == ETH - slice_atoms == 183_331_632_826_582_322
    assert venue.insurance == 4_000 * USDC - KICK_REWARD + 165_750_000
    assert venue.state.pools[POOL].auctions == {}
    venue.assert_replay_equals_live()


# --- exponential: the residual is drawn from a fresh insurance window --------------------------------


def test_exponential_story_residual_debt_is_drawn_from_insurance_in_a_new_window() -> None:
    # Arrange: ExponentialDecrease with cut 0.9 per second; kicked 2 h after the liquidation (ETH requoted
    # at 1500), so the insurance fund's hourly window has reset
    venue = Venue(auction_params(AuctionCurve.EXPONENTIAL, cut_wad=90 * PERCENT))
    venue.quote_prices(1_500 * WAD, advance_ns=2 * HOUR_NS)
    venue.kick()

    # Act 1: 2 s in, price 1800·0.9² = 1800·0.81 = 1458; 0.25 ETH costs 364.5 USDC
    venue.at(2)
    first = only(venue.take(ETH // 4), CollateralTaken)
    # Act 2: 4 s in, price 1800·0.9⁴ = 1800·0.6561 = 1180.98; the last 0.75 ETH costs 885.735 USDC
    venue.at(4)
    events = venue.take(ETH)

    # Assert: rpow squares 0.9 exactly in RAY, so both prices are exact
    assert first.price_wad == 1_458 * WAD
    assert first.paid_atoms == first.debt_repaid_atoms == 364_500_000
    second = only(events, CollateralTaken)
    assert second.price_wad == 1_180_980 * WAD // 1_000 == TOP * 6_561 // 10_000
    assert second.paid_atoms == second.debt_repaid_atoms == 885_735_000
    # unraised debt 1_275 − 364.5 − 885.735 = 24.765 USDC; the fresh window pays it all from insurance
    assert only(events, CollateralAuctionEnded).shortfall_atoms == 24_765_000
    assert only(events, InsuranceDrawn).amount_atoms == 24_765_000
    assert none_of(events, LossSocialised)
    assert venue.balance("dave") == 0
    assert venue.insurance == 4_000 * USDC - KICK_REWARD - 24_765_000
    venue.assert_replay_equals_live()


def test_exponential_price_after_many_seconds_matches_the_exact_rational() -> None:
    # Arrange: cut 0.999 per second, 100 s in
    venue = Venue(auction_params(AuctionCurve.EXPONENTIAL, cut_wad=999 * WAD // 1_000))
    venue.kick()
    venue.at(100)

    # Act
    price = only(venue.take(ETH // 10), CollateralTaken).price_wad

    # Assert: 1800·0.999¹⁰⁰ ≈ 1628.63; rpow's half-up roundings move the RAY factor by at most ~100·1e-27
    # (one half unit per product), times top 1.8e21 / 1e27 that is < 1e-3 wad units: only the final floor remains
    exact = Fraction(TOP) * Fraction(999, 1_000) ** 100
    assert abs(exact - price) < 1


# --- Lyra / Derive: the two-phase schedule on the oracle price ---------------------------------------


def test_lyra_story_fast_phase_take_then_slow_phase_take_and_the_residual_goes_to_insurance() -> None:
    # Arrange: Derive's defaults: 95% → 70% of mark-to-market over 900 s, then → 0 over 43_200 s
    venue = Venue(auction_params(AuctionCurve.LYRA))
    venue.kick()

    # Act 1: 450 s in, d = 0.95 − 0.25·450/900 = 0.825; the oracle says 1500: price 1237.5; 0.4 ETH = 495 USDC
    venue.at(450)
    first = only(venue.take(4 * ETH // 10), CollateralTaken)
    # Act 2: 6 h into the slow phase (900 + 21_600 s), ETH quoted 1600; d = 0.7 − ⌊0.7·21_600⌋/43_200 =
    # 0.7 − 15_120/43_200 = 0.35, price 1600·0.35 = 560; the last 0.6 ETH = 336 USDC
    venue.requote_at(900 + 21_600, 1_600 * WAD)
    events = venue.take(ETH)

    # Assert
    assert first.price_wad == 1_237_500 * WAD // 1_000
    assert first.paid_atoms == first.debt_repaid_atoms == 495 * USDC
    second = only(events, CollateralTaken)
    assert second.price_wad == 560 * WAD
    assert second.paid_atoms == second.debt_repaid_atoms == 336 * USDC
    # unraised 1_275 − 495 − 336 = 444 USDC, hours after the liquidation's window: insurance pays it
    assert only(events, CollateralAuctionEnded).shortfall_atoms == 444 * USDC
    assert only(events, InsuranceDrawn).amount_atoms == 444 * USDC
    assert venue.balance("dave") == 0
    venue.assert_replay_equals_live()


def test_lyra_auction_needs_a_redo_once_both_phases_are_over() -> None:
    # Arrange
    venue = Venue(auction_params(AuctionCurve.LYRA))
    venue.kick()
    venue.requote_at(900 + 43_199, 1_500 * WAD)
    venue.refuse(venue.redo_command(), CommandRejected, "does not need a redo")

    # Act: at 900 + 43_200 s the factor is 0: no take, a redo restarts the clock
    venue.requote_at(900 + 43_200, 1_500 * WAD)
    venue.refuse(venue.take_command(ETH, 10**6 * WAD), CommandRejected, "needs a redo: its price reached 0")
    restarted = only(venue.run(venue.redo_command()), CollateralAuctionRestarted)
    taken = only(venue.take(ETH // 10), CollateralTaken)

    # Assert: the keeper earns tip + chip·tab again; the new run starts at 95% of 1500 = 1425
    assert restarted.keeper_incentive_atoms == KICK_REWARD
    assert venue.balance("keeper") == 2 * KICK_REWARD
    assert taken.price_wad == 1_425 * WAD
    venue.assert_replay_equals_live()


# --- redo on tail and on cusp --------------------------------------------------------------------------


def test_redo_on_tail_resets_top_to_the_fresh_oracle_and_pays_the_keeper() -> None:
    # Arrange: LinearDecrease over 7_200 s, tail 3_600 s, no cusp
    venue = Venue(auction_params(AuctionCurve.LINEAR, tau_seconds=7_200, cusp_wad=0))
    venue.kick()
    venue.requote_at(3_600, 1_400 * WAD)
    venue.refuse(venue.redo_command(), CommandRejected, "does not need a redo: price 900000000000000000000 after 3600")

    # Act: at 3_601 s the auction is past its tail (status: dur > tail)
    venue.requote_at(3_601, 1_400 * WAD)
    venue.refuse(venue.take_command(ETH, 10**6 * WAD), CommandRejected, "past the tail of 3600 s")
    keeper_before, insurance_before = venue.balance("keeper"), venue.insurance
    restarted = only(venue.run(venue.redo_command()), CollateralAuctionRestarted)

    # Assert: top = 1400·1.2 = 1680; tab 1_440.75 and lot value 1·1400 are above dust: reward tip + chip·tab
    assert (restarted.oracle_price_wad, restarted.top_wad) == (1_400 * WAD, 1_680 * WAD)
    assert restarted.keeper_incentive_atoms == KICK_REWARD
    assert venue.balance("keeper") == keeper_before + KICK_REWARD
    assert venue.insurance == insurance_before - KICK_REWARD
    auction = venue.state.pools[POOL].auctions[1]
    assert (auction.top_wad, auction.started_ns) == (1_680 * WAD, venue.now)
    # 720 s into the new run: 1680·(7200 − 720)/7200 = 1512
    venue.now += 720 * SECOND_NS
    assert only(venue.take(ETH // 10), CollateralTaken).price_wad == 1_512 * WAD
    venue.assert_replay_equals_live()


def test_redo_on_cusp_at_the_first_step_below_it() -> None:
    # Arrange: stairstep 0.99 every 90 s, cusp 0.9, a long tail: 0.99¹⁰ = 0.904382… ≥ 0.9 until 989 s,
    # 0.99¹¹ = 0.895338… < 0.9 from 11·90 = 990 s
    venue = Venue(auction_params(AuctionCurve.STAIRSTEP, step_seconds=90, cusp_wad=90 * PERCENT, tail_seconds=100_000))
    venue.kick()
    venue.requote_at(989, 1_500 * WAD)
    venue.refuse(venue.redo_command(), CommandRejected, "does not need a redo")

    # Act
    venue.requote_at(990, 1_500 * WAD)
    venue.refuse(venue.take_command(ETH, 10**6 * WAD), CommandRejected, "fell below cusp")
    restarted = only(venue.run(venue.redo_command()), CollateralAuctionRestarted)

    # Assert
    assert Fraction(99, 100) ** 10 >= Fraction(9, 10) > Fraction(99, 100) ** 11
    assert (restarted.top_wad, restarted.keeper_incentive_atoms) == (TOP, KICK_REWARD)
    assert venue.state.pools[POOL].auctions[1].started_ns == venue.now
    venue.assert_replay_equals_live()


def test_redo_of_a_dusty_auction_pays_no_reward() -> None:
    # Arrange: dust 2_000 USDC is above the tab (1_440.75): clip.sol redo pays only when tab ≥ dust
    venue = Venue(auction_params(AuctionCurve.LINEAR, dust_atoms=2_000 * USDC))
    venue.kick()
    venue.requote_at(3_601, 1_500 * WAD)

    # Act
    restarted = only(venue.run(venue.redo_command()), CollateralAuctionRestarted)

    # Assert
    assert restarted.keeper_incentive_atoms == 0


# --- takes that are refused ----------------------------------------------------------------------------


def test_take_rejections_change_nothing() -> None:
    # Arrange: linear, 900 s in: price 1350
    venue = Venue(auction_params(AuctionCurve.LINEAR))
    venue.kick()
    venue.at(900)
    venue.deposit("poor", 100 * USDC)

    # Act / Assert
    venue.refuse(venue.take_command(ETH, 10**6 * WAD, auction_id=7), UnknownEntity, "unknown auction of pool P 7")
    venue.refuse(
        venue.take_command(ETH, 1_350 * WAD - 1),
        CommandRejected,
        "sells at 1350000000000000000000 \\(WAD\\), above max_price_wad 1349999999999999999999",
    )
    # 0.5 ETH at 1350 costs 675 USDC; poor holds 100
    venue.refuse(
        venue.take_command(ETH // 2, 1_350 * WAD, taker="poor"),
        InsufficientBalance,
        "poor/0 holds 100000000 atoms of USDC, cannot take 675000000",
    )
    venue.refuse(venue.take_command(0, 1_350 * WAD), InvalidAmount, "max_amount_atoms=0")
    venue.refuse(
        venue.take_command(ETH, 1_350 * WAD, taker="dave"), InvalidParameter, "a taker other than the indebted"
    )
    venue.now = venue.kicked_ns + 3_601 * SECOND_NS
    venue.refuse(venue.take_command(ETH, 10**6 * WAD), CommandRejected, "needs a redo")
    venue.refuse(TakeCollateral("tom", 0, POOL, 1, ETH, WAD, venue.kicked_ns - 1), InvalidParameter, "timestamp_ns")


def test_a_taker_with_cross_positions_must_stay_healthy_at_initial_margin() -> None:
    # Arrange: erin holds 1_000 USDC and is cross long 5 ETH at about 1500 (IM 10%: 750 USDC required)
    venue = Venue(auction_params(AuctionCurve.LINEAR))
    venue.kick()
    venue.deposit("erin", 1_000 * USDC)
    venue.trade("erin", 5 * ETH)

    # Act / Assert: at the start the price is top = 1800: 0.5 ETH costs 900 USDC but counts only
    # 0.5·1500·0.8 = 600 at initial margin: equity ≈ 100 + 600 < 750
    venue.refuse(venue.take_command(ETH // 2, TOP, taker="erin"), InsufficientMargin, "erin/0 would have initial")
    # 0.1 ETH (180 USDC, counting 120) keeps her at ≈ 820 + 120 ≥ 750
    assert only(venue.run(venue.take_command(ETH // 10, TOP, taker="erin")), CollateralTaken).paid_atoms == 180 * USDC


def test_lyra_take_needs_a_usable_oracle_price() -> None:
    # Arrange: the LYRA price is the oracle's; no quote for over an hour (the staleness limit)
    venue = Venue(auction_params(AuctionCurve.LYRA))
    venue.kick()
    venue.at(3_601)

    # Act / Assert
    venue.refuse(venue.take_command(ETH, 10**6 * WAD), OracleUnavailable, "oracle for ETH is stale")


def test_lot_sold_out_while_the_account_holds_other_collateral_leaves_the_debt_for_a_later_auction() -> None:
    # Arrange: linear; dave deposits 0.1 ETH more during the auction
    venue = Venue(auction_params(AuctionCurve.LINEAR))
    venue.kick()
    venue.at(1_800)  # price 900
    venue.run(Deposit("dave", 0, "ETH", ETH // 10, venue.now))

    # Act: tom buys the whole lot for 900 USDC
    events = venue.take(ETH)

    # Assert: 1_275 − 900 = 375 USDC is still owed, backed by the fresh 0.1 ETH: no write-off
    ended = only(events, CollateralAuctionEnded)
    assert (ended.shortfall_atoms, ended.unsettled_debt_atoms) == (0, 375 * USDC)
    assert none_of(events, InsuranceDrawn) and none_of(events, LossSocialised)
    assert venue.balance("dave") == -375 * USDC
    # a second auction can now sell the new ETH: tab 375 + ⌈375·0.13⌉ = 375 + 48.75 = 423.75 USDC
    assert venue.kick().tab_atoms == 423_750_000


def test_debt_the_owner_repaid_during_the_auction_is_not_written_off() -> None:
    # Arrange: linear; 1_800 s in (price 900) dave pays 100 USDC of his debt himself: balance −1_175
    venue = Venue(auction_params(AuctionCurve.LINEAR))
    venue.kick()
    venue.at(1_800)
    venue.deposit("dave", 100 * USDC)

    # Act: tom buys the whole lot for 900 USDC, all of it credited to dave: balance −275
    events = venue.take(ETH)

    # Assert: the auction's debt left is 1_275 − 900 = 375, but dave owes only 275: that is the
    # write-off; the other 100 he repaid himself
    ended = only(events, CollateralAuctionEnded)
    assert (ended.shortfall_atoms, ended.unsettled_debt_atoms) == (275 * USDC, 100 * USDC)
    assert only(events, LossSocialised).amount_atoms == 275 * USDC
    assert venue.balance("dave") == 0
    venue.assert_replay_equals_live()


# --- property: conservation and debt accounting over random take sequences ------------------------------

_CURVES = [
    auction_params(AuctionCurve.LINEAR),
    auction_params(AuctionCurve.STAIRSTEP),
    auction_params(AuctionCurve.EXPONENTIAL, cut_wad=9_999 * WAD // 10_000),
    auction_params(AuctionCurve.LYRA),
]
_STEP = st.tuples(
    st.integers(min_value=1, max_value=1_800),  # seconds to wait
    st.integers(min_value=1_100, max_value=1_900),  # ETH price then
    st.sampled_from(["take", "take", "take", "redo"]),
    st.integers(min_value=1, max_value=12),  # tenths of an ETH to ask for
    st.integers(min_value=0, max_value=20),  # slack over the price, in percent (0: max price maybe too low)
)


@given(params=st.sampled_from(_CURVES), steps=st.lists(_STEP, min_size=1, max_size=12))
def test_random_take_sequences_conserve_every_asset_and_close_the_debt_accounting(
    params: AuctionParams, steps: list[tuple[int, int, str, int, int]]
) -> None:
    # Arrange (Venue.run checks conservation of USDC and ETH after every command)
    venue = Venue(params)
    insurance_before_kick = venue.insurance
    started = venue.kick()
    outcome: list[Event] = [started]

    # Act
    for wait_seconds, price_dollars, action, tenths, slack in steps:
        if venue.state.pools[POOL].auctions == {}:
            break
        venue.quote_prices(price_dollars * WAD, advance_ns=wait_seconds * SECOND_NS)
        if action == "redo":
            command: RedoCollateralAuction | TakeCollateral = venue.redo_command()
        else:
            command = venue.take_command(tenths * ETH // 10, price_dollars * WAD * (100 + slack) // 100)
        try:
            outcome.extend(venue.run(command))
        except RingfenceError:
            continue  # refused (price above the limit, redo due or not, dust): changes nothing

    # Assert: every atom of debt is repaid, written off, or still owed; every atom of the lot is accounted for
    taken = [event for event in outcome if isinstance(event, CollateralTaken)]
    ended = [event for event in outcome if isinstance(event, CollateralAuctionEnded)]
    repaid = sum(event.debt_repaid_atoms for event in taken)
    paid = sum(event.paid_atoms for event in taken)
    penalty = sum(event.penalty_atoms for event in taken)
    assert paid == repaid + penalty
    sold = sum(event.slice_atoms for event in taken)
    shortfall = sum(event.shortfall_atoms for event in ended)
    live = venue.state.pools[POOL].auctions.get(1)
    if live is not None:
        assert ended == []
        assert (live.lot_atoms, live.tab_atoms, live.debt_atoms) == (ETH - sold, TAB - paid, DEBT - repaid)
        assert venue.balance("dave", "ETH") == 0
    else:
        (end,) = ended
        assert sold + end.lot_returned_atoms == ETH == sold + venue.balance("dave", "ETH")
        assert repaid + end.shortfall_atoms + end.unsettled_debt_atoms == DEBT
        assert end.unsettled_debt_atoms == 0  # dave holds nothing else: every unraised atom is written off
        assert penalty <= TAB - DEBT
        assert (end.lot_returned_atoms > 0) <= (paid == TAB)  # a lot comes home only once the tab is raised
    assert venue.balance("dave") == -DEBT + repaid + shortfall
    assert venue.balance("tom", "ETH") == sold
    rewards = sum(
        event.keeper_incentive_atoms
        for event in outcome
        if isinstance(event, CollateralAuctionStarted | CollateralAuctionRestarted)
    )
    drawn = sum(event.amount_atoms for event in outcome if isinstance(event, InsuranceDrawn))
    socialised = sum(event.amount_atoms for event in outcome if isinstance(event, LossSocialised))
    assert drawn + socialised == shortfall
    assert venue.insurance == insurance_before_kick - rewards + penalty - drawn
    assert venue.balance("keeper") == rewards
    venue.assert_replay_equals_live()


@pytest.mark.parametrize("curve", list(AuctionCurve))
def test_each_curve_can_be_configured_and_kicked(curve: AuctionCurve) -> None:
    venue = Venue(auction_params(curve))

    assert venue.kick().tab_atoms == TAB
    assert venue.state.pools[POOL].auction_params == auction_params(curve)
