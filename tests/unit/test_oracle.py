"""Unit tests of ``ringfence.core.oracle`` and of the oracle path through ``decide``/``evolve``.

Every expected number is computed by hand (arithmetic in the comment beside it) and written
literally; none is derived by calling the code under test.
"""

from __future__ import annotations

import copy

import pytest

from ringfence.core.commands import Command, ConfigureOracle, RegisterAsset, SubmitPrice
from ringfence.core.decide import decide
from ringfence.core.errors import InvalidParameter, Unauthorized, UnknownEntity
from ringfence.core.events import (
    Event,
    OracleDegraded,
    OracleGuardTripped,
    OraclePriceAccepted,
    PriceSubmitted,
)
from ringfence.core.evolve import evolve_all
from ringfence.core.margin import oracle_status
from ringfence.core.oracle import (
    OracleConfig,
    OracleSource,
    OracleStatus,
    SourceQuote,
    aggregate,
    relative_change_wad,
    weighted_median,
)
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD
from support.authority import bootstrap, named_sender

SECOND_NS = 1_000_000_000
PERCENT_WAD = WAD // 100


def _config(
    *,
    quorum: int = 2,
    max_staleness_ns: int = 60 * SECOND_NS,
    max_deviation_wad: int = 5 * PERCENT_WAD,
    max_confidence_wad: int = 1 * PERCENT_WAD,
    max_jump_wad: int = 20 * PERCENT_WAD,
) -> OracleConfig:
    return OracleConfig(
        sources=(OracleSource("a"), OracleSource("b"), OracleSource("c")),
        quorum=quorum,
        max_staleness_ns=max_staleness_ns,
        max_deviation_wad=max_deviation_wad,
        max_confidence_wad=max_confidence_wad,
        max_jump_wad=max_jump_wad,
        guard_release_ns=300 * SECOND_NS,
    )


def _quote(price_wad: int, published_s: int, confidence_wad: int = 0) -> SourceQuote:
    return SourceQuote(price_wad=price_wad, confidence_wad=confidence_wad, published_ns=published_s * SECOND_NS)


# --- aggregate: freshness and quorum ---------------------------------------------------------


def test_aggregate_is_stale_without_price_when_two_of_three_sources_are_stale() -> None:
    # Arrange: staleness 60 s; at now = 100 s, a and b are 100 s old, c is 0 s old.
    config = _config(quorum=2)
    quotes = {"a": _quote(100 * WAD, 0), "b": _quote(100 * WAD, 0), "c": _quote(100 * WAD, 100)}

    # Act
    result = aggregate(config, quotes, 100 * SECOND_NS, None)

    # Assert: 1 usable source < quorum 2.
    assert result.status is OracleStatus.STALE
    assert result.price_wad is None
    assert result.used_sources == ()


def test_aggregate_ignores_a_stale_source_and_takes_the_mean_of_the_other_two_rounded_down() -> None:
    # Arrange: at now = 100 s, a (published 30 s) is 70 s old > 60 s; b and c are 50 s old.
    config = _config(quorum=2)
    quotes = {
        "a": _quote(200 * WAD, 30),
        "b": _quote(100 * WAD, 50),
        "c": _quote(101 * WAD + 1, 50),
    }

    # Act
    result = aggregate(config, quotes, 100 * SECOND_NS, None)

    # Assert: (100e18 + 101e18 + 1) // 2 = 201_000_000_000_000_000_001 // 2 = 100_500_000_000_000_000_000
    # (the .5 wad unit is dropped); with a included the median would have been 101e18 + 1.
    assert result.status is OracleStatus.FRESH
    assert result.price_wad == 100_500_000_000_000_000_000
    assert result.used_sources == ("b", "c")


def test_aggregate_keeps_a_source_exactly_max_staleness_old() -> None:
    # Arrange: at now = 60 s, a is exactly 60 s old (the limit), b is 0 s old; c never quoted.
    config = _config(quorum=2)
    quotes = {"a": _quote(100 * WAD, 0), "b": _quote(102 * WAD, 60)}

    # Act
    result = aggregate(config, quotes, 60 * SECOND_NS, None)

    # Assert: age == limit is still fresh; (100 + 102) / 2 = 101.
    assert result.status is OracleStatus.FRESH
    assert result.price_wad == 101_000_000_000_000_000_000
    assert result.used_sources == ("a", "b")


# --- aggregate: deviation and confidence filters ---------------------------------------------


def test_aggregate_drops_an_outlier_beyond_the_deviation_limit() -> None:
    # Arrange: 100, 101, 150 with a 5% deviation limit.
    config = _config(quorum=2, max_deviation_wad=5 * PERCENT_WAD)
    quotes = {"a": _quote(100 * WAD, 0), "b": _quote(101 * WAD, 0), "c": _quote(150 * WAD, 0)}

    # Act
    result = aggregate(config, quotes, 0, None)

    # Assert: first median 101; |150-101|/101 = 48.5% > 5% → c dropped; |100-101|/101 = 0.99% kept.
    # Median of 100 and 101 = 201 / 2 = 100.5.
    assert result.status is OracleStatus.FRESH
    assert result.price_wad == 100_500_000_000_000_000_000
    assert result.used_sources == ("a", "b")


def test_aggregate_is_stale_when_the_deviation_filter_leaves_fewer_than_quorum() -> None:
    # Arrange: only a and b quote, 100 and 200.
    config = _config(quorum=2, max_deviation_wad=5 * PERCENT_WAD)
    quotes = {"a": _quote(100 * WAD, 0), "b": _quote(200 * WAD, 0)}

    # Act
    result = aggregate(config, quotes, 0, None)

    # Assert: first median (100+200)/2 = 150; both are 50/150 = 33% away → 0 agree < quorum 2.
    assert result.status is OracleStatus.STALE
    assert result.price_wad is None
    assert result.used_sources == ()


def test_aggregate_drops_a_source_whose_confidence_exceeds_the_limit() -> None:
    # Arrange: c quotes 101 with confidence 2.02 → 2.02/101 = 2% > 1% limit.
    config = _config(quorum=2, max_confidence_wad=1 * PERCENT_WAD)
    quotes = {
        "a": _quote(100 * WAD, 0),
        "b": _quote(104 * WAD, 0),
        "c": _quote(101 * WAD, 0, confidence_wad=2_020_000_000_000_000_000),
    }

    # Act
    result = aggregate(config, quotes, 0, None)

    # Assert: without c, median = (100 + 104) / 2 = 102 (with c it would have been 101).
    assert result.status is OracleStatus.FRESH
    assert result.price_wad == 102_000_000_000_000_000_000
    assert result.used_sources == ("a", "b")


def test_aggregate_keeps_a_source_whose_confidence_equals_the_limit() -> None:
    # Arrange: c quotes 101 with confidence 1.01 → 1.01/101 = exactly 1% = the limit.
    config = _config(quorum=2, max_confidence_wad=1 * PERCENT_WAD)
    quotes = {
        "a": _quote(100 * WAD, 0),
        "b": _quote(104 * WAD, 0),
        "c": _quote(101 * WAD, 0, confidence_wad=1_010_000_000_000_000_000),
    }

    # Act
    result = aggregate(config, quotes, 0, None)

    # Assert: median of 100, 101, 104 = 101.
    assert result.price_wad == 101_000_000_000_000_000_000
    assert result.used_sources == ("a", "b", "c")


# --- aggregate: jump guard -------------------------------------------------------------------


def test_aggregate_guards_a_jump_beyond_the_limit_and_shows_the_refused_median() -> None:
    # Arrange: last accepted 100; every source now says 130; jump limit 20%.
    config = _config(max_jump_wad=20 * PERCENT_WAD)
    quotes = {"a": _quote(130 * WAD, 0), "b": _quote(130 * WAD, 0), "c": _quote(130 * WAD, 0)}

    # Act
    result = aggregate(config, quotes, 0, 100 * WAD)

    # Assert: |130 - 100| / 100 = 30% > 20% → GUARDED, price_wad = the refused median 130.
    assert result.status is OracleStatus.GUARDED
    assert result.price_wad == 130_000_000_000_000_000_000
    assert result.used_sources == ("a", "b", "c")


def test_aggregate_accepts_a_move_within_the_jump_limit() -> None:
    # Arrange: last accepted 100; every source now says 115; jump limit 20%.
    config = _config(max_jump_wad=20 * PERCENT_WAD)
    quotes = {"a": _quote(115 * WAD, 0), "b": _quote(115 * WAD, 0), "c": _quote(115 * WAD, 0)}

    # Act
    result = aggregate(config, quotes, 0, 100 * WAD)

    # Assert: 15% ≤ 20%.
    assert result.status is OracleStatus.FRESH
    assert result.price_wad == 115_000_000_000_000_000_000


def test_aggregate_accepts_a_move_of_exactly_the_jump_limit() -> None:
    # Arrange: last accepted 100; every source now says 80; jump limit 20%.
    config = _config(max_jump_wad=20 * PERCENT_WAD)
    quotes = {"a": _quote(80 * WAD, 0), "b": _quote(80 * WAD, 0), "c": _quote(80 * WAD, 0)}

    # Act
    result = aggregate(config, quotes, 0, 100 * WAD)

    # Assert: |80 - 100| / 100 = 20% exactly = limit → not guarded.
    assert result.status is OracleStatus.FRESH
    assert result.price_wad == 80_000_000_000_000_000_000


# --- weighted_median -------------------------------------------------------------------------


def test_weighted_median_picks_the_heavy_price() -> None:
    # Total weight 5; cumulative 1, 2, 5 → first with 2·cum > 5 is 300 (2·5 = 10 > 5).
    assert weighted_median([(100, 1), (200, 1), (300, 3)]) == 300


def test_weighted_median_sorts_its_input() -> None:
    # Same pairs as above, shuffled: still 300.
    assert weighted_median([(300, 3), (100, 1), (200, 1)]) == 300


def test_weighted_median_of_an_even_count_with_equal_weights_is_the_middle_mean_rounded_down() -> None:
    # Total 4; cumulative 2 at 200 → 2·2 == 4 → (200 + 301) // 2 = 501 // 2 = 250 (250.5 rounded down).
    assert weighted_median([(100, 1), (200, 1), (301, 1), (400, 1)]) == 250


def test_weighted_median_averages_when_cumulative_weight_lands_exactly_on_half() -> None:
    # Total 4; cumulative 2 at 100 → 2·2 == 4 → (100 + 200) // 2 = 150.
    assert weighted_median([(100, 2), (200, 1), (300, 1)]) == 150


def test_weighted_median_of_one_price_is_that_price() -> None:
    assert weighted_median([(123, 7)]) == 123


def test_weighted_median_of_nothing_raises() -> None:
    with pytest.raises(ValueError, match="positive weight"):
        weighted_median([])


# --- relative_change_wad ---------------------------------------------------------------------


def test_relative_change_wad_rounds_an_inexact_ratio_up() -> None:
    # |1 - 3| / 3 = 2/3 = 0.666…667 WAD: 2e18 · 1e18 / 3e18 = 666_666_666_666_666_666.67 → up.
    assert relative_change_wad(1 * WAD, 3 * WAD) == 666_666_666_666_666_667


def test_relative_change_wad_rounds_a_rise_up() -> None:
    # |2 - 3| / 3 in raw units: 1 · 1e18 / 3 = 333_333_333_333_333_333.33 → up.
    assert relative_change_wad(2, 3) == 333_333_333_333_333_334


def test_relative_change_wad_is_exact_when_the_ratio_is() -> None:
    # |110 - 100| / 100 = 0.1 = 1e17.
    assert relative_change_wad(110 * WAD, 100 * WAD) == 100_000_000_000_000_000


# --- end to end through decide / evolve ------------------------------------------------------

ASSET = "ETH"
STALENESS_S = 120
GUARD_RELEASE_S = 60


def _apply(state: LedgerState, command: Command) -> list[Event]:
    events = decide(state, command, named_sender(command))
    evolve_all(state, events)
    return list(events)


def _submit(state: LedgerState, source: str, price: int, at_s: int) -> list[Event]:
    return _apply(
        state,
        SubmitPrice(
            asset=ASSET,
            source=source,
            price_wad=price * WAD,
            confidence_wad=0,
            published_ns=at_s * SECOND_NS,
            timestamp_ns=at_s * SECOND_NS,
        ),
    )


def _configured_state() -> LedgerState:
    """An asset with oracle sources a, b, c; quorum 2; staleness 120 s; jump 20%; release 60 s."""
    state = LedgerState()
    _apply(state, bootstrap(0))
    _apply(
        state,
        RegisterAsset(
            asset=ASSET,
            decimals=18,
            initial_weight_wad=8 * WAD // 10,
            maintenance_weight_wad=9 * WAD // 10,
            supply_cap_atoms=10**30,
            weight_scale_start_value=10**15,
            timestamp_ns=0,
        ),
    )
    _apply(
        state,
        ConfigureOracle(
            asset=ASSET,
            source_names=("a", "b", "c"),
            source_weights=(1, 1, 1),
            quorum=2,
            max_staleness_ns=STALENESS_S * SECOND_NS,
            max_deviation_wad=5 * PERCENT_WAD,
            max_confidence_wad=1 * PERCENT_WAD,
            max_jump_wad=20 * PERCENT_WAD,
            guard_release_ns=GUARD_RELEASE_S * SECOND_NS,
            delay_interval_seconds=3600,
            delay_growth_limit_wad=6 * PERCENT_WAD,
            stable_growth_limit_wad=3 * WAD // 10_000,
            timestamp_ns=0,
        ),
    )
    return state


def _state_accepted_at_100() -> LedgerState:
    """Sources a, b, c all quote 100 at 1 s, 2 s, 3 s; the price is accepted from 2 s on."""
    state = _configured_state()
    _submit(state, "a", 100, 1)
    _submit(state, "b", 100, 2)
    _submit(state, "c", 100, 3)
    return state


def test_submit_price_accepts_the_first_price_once_a_quorum_quotes() -> None:
    # Arrange
    state = _configured_state()
    _submit(state, "a", 100, 1)

    # Act
    events = _submit(state, "b", 102, 2)

    # Assert: median of 100 and 102 = 101, accepted at 2 s; the stable price starts there.
    assert events == [
        PriceSubmitted(
            asset=ASSET, source="b", price_wad=102_000_000_000_000_000_000, confidence_wad=0, published_ns=2_000_000_000
        ),
        OraclePriceAccepted(
            asset=ASSET, price_wad=101_000_000_000_000_000_000, accepted_ns=2_000_000_000, released_guard=False
        ),
    ]
    oracle = state.oracles[ASSET]
    assert oracle.status is OracleStatus.FRESH
    assert oracle.accepted_price_wad == 101_000_000_000_000_000_000
    assert oracle.accepted_ns == 2_000_000_000
    assert oracle.stable is not None
    assert oracle.stable.stable_price_wad == 101_000_000_000_000_000_000
    assert oracle.stable.last_update_seconds == 2


def test_submit_price_trips_the_guard_on_a_jump_and_keeps_the_accepted_price() -> None:
    # Arrange: accepted 100; a moves to 130 first (an outlier against b, c at 100: re-accepts 100).
    state = _state_accepted_at_100()
    _submit(state, "a", 130, 10)

    # Act: b joins a at 130 → median of 130, 130, 100 is 130; 100 is 23% away and dropped.
    events = _submit(state, "b", 130, 11)

    # Assert: |130 - 100| / 100 = 30% > 20% → guard tripped at 11 s, 130 refused.
    assert events[0] == PriceSubmitted(
        asset=ASSET, source="b", price_wad=130_000_000_000_000_000_000, confidence_wad=0, published_ns=11_000_000_000
    )
    assert len(events) == 2
    tripped = events[1]
    assert isinstance(tripped, OracleGuardTripped)
    assert tripped.asset == ASSET
    assert tripped.refused_price_wad == 130_000_000_000_000_000_000
    assert tripped.timestamp_ns == 11_000_000_000
    oracle = state.oracles[ASSET]
    assert oracle.status is OracleStatus.GUARDED
    assert oracle.guarded_since_ns == 11_000_000_000
    assert oracle.accepted_price_wad == 100_000_000_000_000_000_000
    assert oracle.accepted_ns == 10_000_000_000


def test_submit_price_keeps_the_guard_before_guard_release_ns() -> None:
    # Arrange: guard tripped at 11 s.
    state = _state_accepted_at_100()
    _submit(state, "a", 130, 10)
    _submit(state, "b", 130, 11)

    # Act: a confirms at 40 s; 40 - 11 = 29 s < 60 s release.
    events = _submit(state, "a", 130, 40)

    # Assert: only the quote is recorded.
    assert events == [
        PriceSubmitted(
            asset=ASSET,
            source="a",
            price_wad=130_000_000_000_000_000_000,
            confidence_wad=0,
            published_ns=40_000_000_000,
        )
    ]
    oracle = state.oracles[ASSET]
    assert oracle.status is OracleStatus.GUARDED
    assert oracle.guarded_since_ns == 11_000_000_000
    assert oracle.accepted_price_wad == 100_000_000_000_000_000_000


def test_submit_price_releases_the_guard_after_guard_release_ns_of_confirmation() -> None:
    # Arrange: guard tripped at 11 s; a confirmed at 40 s.
    state = _state_accepted_at_100()
    _submit(state, "a", 130, 10)
    _submit(state, "b", 130, 11)
    _submit(state, "a", 130, 40)

    # Act: b confirms at 71 s; 71 - 11 = 60 s ≥ 60 s release.
    events = _submit(state, "b", 130, 71)

    # Assert
    assert events == [
        PriceSubmitted(
            asset=ASSET,
            source="b",
            price_wad=130_000_000_000_000_000_000,
            confidence_wad=0,
            published_ns=71_000_000_000,
        ),
        OraclePriceAccepted(
            asset=ASSET, price_wad=130_000_000_000_000_000_000, accepted_ns=71_000_000_000, released_guard=True
        ),
    ]
    oracle = state.oracles[ASSET]
    assert oracle.status is OracleStatus.FRESH
    assert oracle.guarded_since_ns is None
    assert oracle.accepted_price_wad == 130_000_000_000_000_000_000
    assert oracle.accepted_ns == 71_000_000_000
    # Stable price: reset to 100 at 2 s (updates at 3 s and 10 s had dt < 10 s). At 71 s:
    # dt = 69 s, delay price 100 = stable → f = 1, g = 0.0003 · 69 = 0.0207 → 100 · 1.0207 = 102.07.
    assert oracle.stable is not None
    assert oracle.stable.stable_price_wad == 102_070_000_000_000_000_000


def test_submit_price_emits_oracle_degraded_when_the_quorum_is_lost() -> None:
    # Arrange: accepted 100 from quotes at 1-3 s; staleness 120 s.
    state = _state_accepted_at_100()

    # Act: at 200 s only a is fresh (b, c are 198 s and 197 s old).
    events = _submit(state, "a", 100, 200)

    # Assert: 1 usable < quorum 2.
    assert events == [
        PriceSubmitted(
            asset=ASSET,
            source="a",
            price_wad=100_000_000_000_000_000_000,
            confidence_wad=0,
            published_ns=200_000_000_000,
        ),
        OracleDegraded(asset=ASSET, reason="1 usable source(s), quorum is 2", timestamp_ns=200_000_000_000),
    ]
    oracle = state.oracles[ASSET]
    assert oracle.status is OracleStatus.STALE
    assert oracle.accepted_price_wad == 100_000_000_000_000_000_000
    assert oracle_status(oracle, 200 * SECOND_NS)[0] is OracleStatus.STALE


def test_submit_price_does_not_repeat_oracle_degraded_for_the_same_reason() -> None:
    # Arrange: the quorum was lost at 200 s.
    state = _state_accepted_at_100()
    _submit(state, "a", 100, 200)

    # Act: a quotes again at 210 s; still 1 usable source.
    events = _submit(state, "a", 100, 210)

    # Assert
    assert events == [
        PriceSubmitted(
            asset=ASSET,
            source="a",
            price_wad=100_000_000_000_000_000_000,
            confidence_wad=0,
            published_ns=210_000_000_000,
        )
    ]


def test_oracle_status_is_fresh_up_to_max_staleness_after_acceptance() -> None:
    # Arrange: last accepted at 3 s; staleness 120 s → fresh through 123 s.
    state = _state_accepted_at_100()

    # Act
    status, _ = oracle_status(state.oracles[ASSET], 123 * SECOND_NS)

    # Assert: age = 120 s = limit.
    assert status is OracleStatus.FRESH


def test_oracle_status_is_stale_once_max_staleness_has_passed_since_acceptance() -> None:
    # Arrange: last accepted at 3 s; staleness 120 s.
    state = _state_accepted_at_100()

    # Act: now = 123 s + 1 ns → age 120 s + 1 ns > 120 s.
    status, _ = oracle_status(state.oracles[ASSET], 123_000_000_001)

    # Assert
    assert status is OracleStatus.STALE


def _rejected_submission_leaves_state_unchanged(command: SubmitPrice, error: type[Exception], field: str) -> None:
    state = _state_accepted_at_100()
    before = copy.deepcopy(state)

    with pytest.raises(error) as raised:
        evolve_all(state, decide(state, command, named_sender(command)))

    assert state == before
    if isinstance(raised.value, InvalidParameter):
        assert raised.value.field == field
    if isinstance(raised.value, UnknownEntity):
        assert raised.value.kind == field


def test_submit_price_rejects_a_quote_published_in_the_future() -> None:
    # published 11 s > timestamp 10 s.
    command = SubmitPrice(ASSET, "a", 100 * WAD, 0, published_ns=11 * SECOND_NS, timestamp_ns=10 * SECOND_NS)
    _rejected_submission_leaves_state_unchanged(command, InvalidParameter, "published_ns")


def test_submit_price_rejects_a_quote_published_at_the_same_time_as_the_previous_one() -> None:
    # a last published at 1 s; 1 s is not newer.
    command = SubmitPrice(ASSET, "a", 101 * WAD, 0, published_ns=1 * SECOND_NS, timestamp_ns=10 * SECOND_NS)
    _rejected_submission_leaves_state_unchanged(command, InvalidParameter, "published_ns")


def test_submit_price_rejects_a_quote_older_than_the_previous_one() -> None:
    # b last published at 2 s; 1 s is older.
    command = SubmitPrice(ASSET, "b", 101 * WAD, 0, published_ns=1 * SECOND_NS, timestamp_ns=10 * SECOND_NS)
    _rejected_submission_leaves_state_unchanged(command, InvalidParameter, "published_ns")


def test_submit_price_from_a_principal_not_among_the_sources_is_unauthorized() -> None:
    # "z" sends its own quote, but only the oracle's sources a, b, c feed it
    command = SubmitPrice(ASSET, "z", 100 * WAD, 0, published_ns=10 * SECOND_NS, timestamp_ns=10 * SECOND_NS)
    _rejected_submission_leaves_state_unchanged(command, Unauthorized, "")


def test_submit_price_rejects_an_unknown_asset() -> None:
    command = SubmitPrice("BTC", "a", 100 * WAD, 0, published_ns=10 * SECOND_NS, timestamp_ns=10 * SECOND_NS)
    _rejected_submission_leaves_state_unchanged(command, UnknownEntity, "asset")
