"""What a pool with option series owes and holds (docs/solvency-proofs.md, "What a pool owes"): worked numbers.

Premises (``tests/support/series.py``): USDC (6 decimals) at par, ETH at 2,000; pool P lists a call
struck at 2,000 and a put struck at 1,800, expiry 73 days out (``τ = 0.2`` year), marked on a flat
smile of 80% a year (SVI ``a = 0.128``); ``lp`` provides 100,000 USDC and 1,000 USDC of insurance.
alice buys 1 call isolated on 500 USDC of margin, bob sells 1 put isolated on 1,000 USDC, carol buys
1 call and dave sells 1 put, both cross, on 1,000 USDC deposits. Then ETH is quoted at 2,100.

The marks are Black-76 computed here with mpmath at 60 digits (never by the code under test) at the
smile's volatility floored to WAD, the mark floored to WAD (the core's mark, ``series_math``); a value
``size · mark`` is then rounded as the module states: a holder's claim up, the NAV's netting down (the
bound LP shares are minted at), a receivable down. What the trades left (the LP vault's cash, the
margin vaults, the quote balances) is read from the ledger: those are the book's inputs, not its output.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from fractions import Fraction

import mpmath
import pytest

from ringfence.core.errors import VolSurfaceUnavailable
from ringfence.core.pool.commands import AddMarket, CreatePool, ProvideLiquidity, Trade
from ringfence.core.pool.series_commands import ListSeries, SettleSeries
from ringfence.core.pool.state import MarginMode, PoolStatus
from ringfence.core.pricing.black76 import NS_PER_YEAR
from ringfence.core.state import LedgerState
from ringfence.solvency.errors import LiabilitiesNotCovered
from ringfence.solvency.files import Commitment, Opening
from ringfence.solvency.group import encode_scalar
from ringfence.solvency.liabilities import PoolBook, pool_book
from ringfence.solvency.tree import build_tree, prove_coverage
from ringfence.solvency.verify import check_coverage
from support.series import (
    CALL,
    CALL_PARAMS,
    EXPIRY_NS,
    FLAT_A_WAD,
    FUTURE,
    FUTURE_PARAMS,
    PUT,
    PUT_PARAMS,
    flat_smile,
    option_venue,
    trade_series,
)
from support.venue import ETH, MARKET, MARKET_PARAMS, POOL, POOL_PARAMS, SECOND_NS, USDC, WAD, Venue

MINUTE_NS = 60 * SECOND_NS
SPIKE_A_WAD = WAD // 2
GENEROUS_POOL_PARAMS = dataclasses.replace(POOL_PARAMS, reserve_factor_wad=2 * WAD)
"""A pool whose vault may write series worth twice its cash (reserve factor 200%): erin's 90 puts at
1,800 (162,000 USDC at worst) pass the series reserve rule, which at 100% refuses them, so a crash can
bankrupt the vault."""
"""The vol spike: ``a = 0.5`` (about 158% a year at 0.2 year), a jump past the series' 50% limit."""
OTHER = "Q"


@pytest.fixture(autouse=True)
def _mpmath_digits() -> Iterator[None]:
    with mpmath.workdps(60):
        yield


def mark_wad(forward: int, strike: int, now_ns: int, is_call: bool, a_wad: int = FLAT_A_WAD) -> int:
    """Black-76 per ETH in USDC on a flat smile ``a``, at the volatility floored to WAD, floored to WAD."""
    years = mpmath.mpf(EXPIRY_NS - now_ns) / NS_PER_YEAR
    vol = mpmath.floor(mpmath.sqrt(mpmath.mpf(a_wad) / 10**18 / years) * 10**18) / 10**18
    stdev = vol * mpmath.sqrt(years)
    d1 = (mpmath.log(mpmath.mpf(forward) / strike) + stdev**2 / 2) / stdev
    call = forward * mpmath.ncdf(d1) - strike * mpmath.ncdf(d1 - stdev)
    price = call if is_call else call - forward + strike
    return int(mpmath.floor(price * 10**18))


def value(size_eth: int, mark: int) -> Fraction:
    """``size · mark`` in USDC atoms, exact: ``size_eth · mark_wad / 10^12``."""
    return Fraction(size_eth * mark, 10**12)


def ceil(x: Fraction) -> int:
    return math.ceil(x)


def floor(x: Fraction) -> int:
    return math.floor(x)


def claims(book: PoolBook) -> dict[str, tuple[int, int, int]]:
    return {item.account: (item.isolated_atoms, item.cross_atoms, item.lp_atoms) for item in book.liabilities}


def commitment_of(book: PoolBook) -> tuple[Commitment, Opening]:
    """The book's real (height-3) tree's commitment, with a coverage proof if one exists, and its root's opening.

    The secret is fixed: the same book gives the same bytes.
    """
    tree = build_tree(book.pool, 0, [(item.account, item.total_atoms) for item in book.liabilities], bytes(32), 3)
    commitment = Commitment(
        pool=book.pool,
        sequence=0,
        height=3,
        range_bits=64,
        asset=book.asset,
        decimals=book.decimals,
        root_hash=tree.root.hash,
        root_commitment=tree.root.commitment,
        root_range_proof=tree.range_proof(tree.root),
        coverage_proof=prove_coverage(tree, book.assets.total_atoms),
        root_opening=None,
        assets_atoms={"total_atoms": book.assets.total_atoms},
        raw={},
    )
    return commitment, Opening(
        total_liabilities_atoms=tree.root.value_atoms, blinding=encode_scalar(tree.root.blinding)
    )


def margin(state: LedgerState, owner: str, series: str) -> int:
    return state.pools[POOL].series_positions[((owner, 0), series)].isolated_margin_atoms


def traded(venue: Venue) -> Venue:
    """The premises' four positions, then ETH quoted at 2,100 one second later (the smile still fresh)."""
    for owner in ("alice", "bob", "carol", "dave"):
        venue.deposit(owner, 1_000 * USDC)
    venue.run(trade_series(venue, "alice", CALL, ETH, 500 * USDC))
    venue.run(trade_series(venue, "bob", PUT, -ETH, 1_000 * USDC))
    venue.run(trade_series(venue, "carol", CALL, ETH, mode=MarginMode.CROSS))
    venue.run(trade_series(venue, "dave", PUT, -ETH, mode=MarginMode.CROSS))
    venue.quote_prices(2_100 * WAD)
    return venue


def crash(venue: Venue) -> None:
    """erin buys 90 puts isolated on 20,000 USDC; ETH falls 2,100 → 400 → 200; the smile jumps to ``a = 0.5``."""
    venue.deposit("erin", 20_000 * USDC)
    venue.run(trade_series(venue, "erin", PUT, 90 * ETH, 20_000 * USDC))
    venue.quote_prices(400 * WAD)
    venue.quote_prices(200 * WAD)
    venue.run(flat_smile(venue, a_wad=SPIKE_A_WAD))


def test_each_series_claim_is_its_margin_plus_its_value_at_the_mark_and_the_assets_hold_the_vaults() -> None:
    venue = traded(option_venue(insurance_atoms=1_000 * USDC))
    state, now = venue.state, venue.now
    pool = state.pools[POOL]
    call = value(1, mark_wad(2_100, 2_000, now, True))
    put = value(1, mark_wad(2_100, 1_800, now, False))
    m_alice, m_bob = margin(state, "alice", CALL), margin(state, "bob", PUT)

    book = pool_book(state, POOL, now)

    nav = pool.vault_atoms - floor(call) - floor(-put) - floor(call) - floor(-put)  # the NAV nets each floor
    assert claims(book) == {
        "alice/0": (m_alice + ceil(call), 0, 0),  # a long call: its vault plus its mark value, rounded up
        "bob/0": (m_bob - floor(put), 0, 0),  # a short put: its vault less its mark value (a liability) rounded up
        "carol/0": (0, ceil(call), 0),  # a cross long call: the pool owes her its value
        "dave/0": (0, 0, 0),  # a cross short put owes the pool, floored at zero
        "lp/0": (0, 0, nav),
    }
    assert book.prices_wad == {"ETH": 2_100 * WAD}
    assert book.assets.vault_atoms == pool.vault_atoms
    assert book.assets.insurance_atoms == pool.insurance_atoms
    assert book.assets.isolated_margin_atoms == m_alice + m_bob  # the series' isolated vaults
    # dave owes the put's value, rounded down (an asset), up to his quote balance (he holds more)
    assert venue.balance("dave") > floor(put)
    assert (book.assets.cross_receivable_atoms, book.assets.cross_debt_atoms) == (floor(put), 0)
    # the sanity of the figures: the marks are those of an in-the-money call and an out-of-the-money put
    assert 200 * USDC < call < 400 * USDC and 100 * USDC < put < 200 * USDC


def test_a_solvent_option_pool_is_covered_up_to_the_rounding_against_the_venue() -> None:
    venue = traded(option_venue(insurance_atoms=1_000 * USDC))
    call = value(1, mark_wad(2_100, 2_000, venue.now, True))
    put = value(1, mark_wad(2_100, 1_800, venue.now, False))
    book = pool_book(venue.state, POOL, venue.now)
    # the exact claims add up to the vault + the margin vaults + dave's debt; each of the four values is
    # rounded once against the venue in a trader's claim (or dave's receivable) and once in the NAV
    rounding = 2 * (ceil(call) - floor(call)) + 2 * (ceil(put) - floor(put))
    assert rounding == 4  # none of the four values is a whole number of atoms
    surplus = book.assets.total_atoms - book.total_liabilities_atoms
    assert surplus == book.assets.insurance_atoms - rounding
    commitment, opening = commitment_of(book)
    assert check_coverage(commitment, book.assets.total_atoms, opening).surplus_atoms == surplus
    assert check_coverage(commitment, book.assets.total_atoms).how == "range proof"


def test_a_crash_and_a_vol_spike_that_bankrupt_the_vault_leave_the_pool_uncovered() -> None:
    venue = traded(option_venue(GENEROUS_POOL_PARAMS, insurance_atoms=1_000 * USDC))
    crash(venue)
    state, now = venue.state, venue.now
    assert state.pools[POOL].status is PoolStatus.REDUCE_ONLY  # the smile's jump guard tripped; the smile counts
    call = value(1, mark_wad(200, 2_000, now, True, SPIKE_A_WAD))
    put_mark = mark_wad(200, 1_800, now, False, SPIKE_A_WAD)
    put, erin_puts = value(1, put_mark), value(90, put_mark)
    pool = state.pools[POOL]
    m_alice, m_bob, m_erin = margin(state, "alice", CALL), margin(state, "bob", PUT), margin(state, "erin", PUT)

    book = pool_book(state, POOL, now)

    nav = pool.vault_atoms - 2 * floor(call) - 2 * floor(-put) - floor(erin_puts)
    assert nav < 0  # the vault wrote puts worth more than it holds: bankrupt
    assert m_bob - floor(put) < 0  # bob's short put is under water past his margin
    assert claims(book) == {
        "alice/0": (m_alice + ceil(call), 0, 0),
        "bob/0": (0, 0, 0),
        "carol/0": (0, ceil(call), 0),
        "dave/0": (0, 0, 0),
        "erin/0": (m_erin + ceil(erin_puts), 0, 0),
        "lp/0": (0, 0, 0),
    }
    # dave owes the put's value but holds less: only his quote balance counts
    dave_balance = venue.balance("dave")
    assert 0 < dave_balance < floor(put)
    assert book.assets.cross_receivable_atoms == dave_balance
    assets = pool.vault_atoms + pool.insurance_atoms + m_alice + m_bob + m_erin + dave_balance
    assert book.assets.total_atoms == assets
    liabilities = m_alice + 2 * ceil(call) + m_erin + ceil(erin_puts)
    assert book.total_liabilities_atoms == liabilities
    commitment, opening = commitment_of(book)
    assert commitment.coverage_proof is None  # the venue cannot prove A − L ≥ 0
    with pytest.raises(LiabilitiesNotCovered, match=f"short by {liabilities - assets}"):
        check_coverage(commitment, book.assets.total_atoms, opening)


def two_pool_venue() -> Venue:
    """Pool P with the call and the put, pool Q an ETH perp pool: quinn provides 50,000 USDC, rita and sam trade."""
    venue = Venue(GENEROUS_POOL_PARAMS, MARKET_PARAMS, in_genesis=True, insurance_atoms=1_000 * USDC)
    for params in (CALL_PARAMS, PUT_PARAMS):
        venue.run(ListSeries(POOL, params, venue.now))
    venue.run(CreatePool(OTHER, "perp", 1, POOL_PARAMS, venue.now))
    venue.run(AddMarket(OTHER, MARKET_PARAMS, venue.now))
    venue.finish_genesis()
    venue.run(flat_smile(venue))
    venue.deposit("quinn", 50_000 * USDC)
    venue.run(ProvideLiquidity("quinn", 0, OTHER, 50_000 * USDC, venue.now))
    for owner in ("rita", "sam"):
        venue.deposit(owner, 2_000 * USDC)
    venue.run(Trade("rita", 0, OTHER, MARKET, -ETH, MarginMode.ISOLATED, 1_500 * USDC, 0, venue.now))
    venue.run(Trade("sam", 0, OTHER, MARKET, -ETH // 2, MarginMode.CROSS, 0, 0, venue.now))
    return venue


def test_one_pools_option_insolvency_leaves_the_other_pools_proof_unchanged() -> None:
    calm = two_pool_venue()  # the same prices and smiles, no option position in P
    calm.quote_prices(2_100 * WAD)
    calm.quote_prices(400 * WAD)
    calm.quote_prices(200 * WAD)
    calm.run(flat_smile(calm, a_wad=SPIKE_A_WAD))
    bankrupt = traded(two_pool_venue())
    crash(bankrupt)
    assert calm.now == bankrupt.now

    troubled = pool_book(bankrupt.state, POOL, bankrupt.now)
    assert troubled.total_liabilities_atoms > troubled.assets.total_atoms  # P is insolvent (the test above)
    calm_q, bankrupt_q = pool_book(calm.state, OTHER, calm.now), pool_book(bankrupt.state, OTHER, bankrupt.now)
    assert calm_q == bankrupt_q
    assert commitment_of(calm_q) == commitment_of(bankrupt_q)
    assert bankrupt_q.assets.total_atoms >= bankrupt_q.total_liabilities_atoms  # Q's shorts gained: covered
    assert {item.account for item in bankrupt_q.liabilities} == {"quinn/0", "rita/0", "sam/0"}


def test_a_stale_smile_refuses_the_book_with_a_named_error_and_a_fresh_one_restores_it() -> None:
    venue = traded(option_venue())
    for _ in range(4):  # the index stays fresh for 80 minutes; the smile (max age 1 hour) is not republished
        venue.quote_prices(2_100 * WAD, advance_ns=20 * MINUTE_NS)
    with pytest.raises(VolSurfaceUnavailable, match="published 4801000000000 ns ago, limit 3600000000000"):
        pool_book(venue.state, POOL, venue.now)
    venue.run(flat_smile(venue))
    book = pool_book(venue.state, POOL, venue.now)
    call = value(1, mark_wad(2_100, 2_000, venue.now, True))
    assert claims(book)["carol/0"] == (0, ceil(call), 0)


def test_a_future_needs_no_smile_and_counts_its_pnl_rounded_up() -> None:
    venue = Venue(POOL_PARAMS, MARKET_PARAMS, in_genesis=True)
    venue.run(ListSeries(POOL, FUTURE_PARAMS, venue.now))
    venue.finish_genesis()  # no smile is ever published
    venue.deposit("alice", 1_000 * USDC)
    venue.run(trade_series(venue, "alice", FUTURE, ETH, 300 * USDC))
    venue.quote_prices(2_100 * WAD, advance_ns=2 * 3_600 * SECOND_NS)
    state = venue.state
    position = state.pools[POOL].series_positions[(("alice", 0), FUTURE)]
    book = pool_book(state, POOL, venue.now)
    # 1 ETH · 2,100 − open notional (2,021.01, the fill of test_option_series), exact
    assert position.open_value_atoms == 2_021_010_000
    assert claims(book)["alice/0"] == (position.isolated_margin_atoms + 2_100 * USDC - 2_021_010_000, 0, 0)
    assert book.assets.isolated_margin_atoms == position.isolated_margin_atoms


def test_a_dust_long_counts_one_atom_to_its_holder_and_none_in_the_nav() -> None:
    venue = option_venue()
    venue.deposit("alice", 1_000 * USDC)
    venue.run(trade_series(venue, "alice", CALL, 1, 10))  # 1 contract = 10⁻¹⁸ ETH
    state = venue.state
    call = value(1, mark_wad(2_000, 2_000, venue.now, True)) / 10**18  # 1 atom of ETH, not 1 ETH
    assert 0 < call < 1
    book = pool_book(state, POOL, venue.now)
    assert claims(book)["alice/0"] == (margin(state, "alice", CALL) + 1, 0, 0)  # ⌈value⌉ = 1
    assert claims(book)["lp/0"] == (0, 0, state.pools[POOL].vault_atoms)  # ⌊value⌋ = 0 netted


def test_an_expired_series_counts_its_intrinsic_value_then_settlement_moves_it_out_of_the_pool_once() -> None:
    venue = traded(option_venue())
    # the smile goes stale past its hour: an expired series' value no longer depends on it
    venue.quote_prices(2_000 * WAD, advance_ns=EXPIRY_NS - 40 * MINUTE_NS - venue.now)
    venue.quote_prices(2_100 * WAD, advance_ns=20 * MINUTE_NS)  # accepted at E − 20 min
    venue.quote_prices(2_200 * WAD, advance_ns=25 * MINUTE_NS)  # accepted at E + 5 min
    state = venue.state
    m_alice, m_bob = margin(state, "alice", CALL), margin(state, "bob", PUT)
    vault = state.pools[POOL].vault_atoms

    expired = pool_book(state, POOL, venue.now)

    # at τ = 0 the call is worth 2,200 − 2,000 = 200 USDC on the index, exactly; the put (1,800) nothing
    assert claims(expired) == {
        "alice/0": (m_alice + 200 * USDC, 0, 0),
        "bob/0": (m_bob, 0, 0),
        "carol/0": (0, 200 * USDC, 0),
        "dave/0": (0, 0, 0),
        "lp/0": (0, 0, vault - 400 * USDC),
    }
    # exact values, no rounding: the surplus is the insurance fund (the trades' fees fed it)
    assert expired.assets.insurance_atoms == 480_000  # 20% of four fees of 0.03% · 2,000 USDC
    assert expired.assets.total_atoms - expired.total_liabilities_atoms == 480_000

    venue.run(SettleSeries("keeper", POOL, CALL, venue.now))
    settled = pool_book(venue.state, POOL, venue.now)
    # alice and carol were paid (their payouts are in their balances now) and hold nothing in the pool
    assert claims(settled) == {
        "bob/0": (m_bob, 0, 0),
        "dave/0": (0, 0, 0),
        "lp/0": (0, 0, venue.state.pools[POOL].vault_atoms),
    }
    # S = (2,000 · 10 min + 2,100 · 20 min) / 30 min, floored to WAD; each long paid its payoff floored
    payoff = floor(Fraction(math.floor(Fraction(2_000 * 10 + 2_100 * 20, 30) * WAD) - 2_000 * WAD, 10**12))
    assert venue.state.pools[POOL].vault_atoms == vault - 2 * payoff
    assert settled.assets.isolated_margin_atoms == m_bob
    assert settled.assets.total_atoms - settled.total_liabilities_atoms == 480_000
