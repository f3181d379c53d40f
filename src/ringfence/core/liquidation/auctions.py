"""Dutch-auction presets for seized collateral: Maker Clipper and the Lyra (Derive) v2 auction.

Both auctions start at a premium or small discount to the oracle and fall with time until a
keeper buys. Every function here is pure: time enters as integer seconds since the auction
started, prices and ratios are ``WAD`` fixed point, amounts are atoms and value atoms.

**Maker Clipper** (``makerdao/dss``, ``src/clip.sol`` and ``src/abaci.sol``)

- ``top = price · buf`` on kick and on redo (``clip.sol`` ``kick``/``redo``: ``rmul(getPrice(), buf)``).
- Price curves (``abaci.sol``), with ``dur`` the seconds since kick:

  - ``LinearDecrease``: ``top · (tau − dur) / tau``, zero from ``dur ≥ tau``;
  - ``StairstepExponentialDecrease``: ``top · cut^⌊dur / step⌋``;
  - ``ExponentialDecrease``: ``top · cut^dur``.

  ``cut`` is Maker's *multiplicative factor* (``0.99`` for a 1% drop), not the drop itself.
- Reset (``status``): an auction needs a redo when ``dur > tail`` or ``price / top < cusp``.
- Keeper incentive on kick and on redo: ``coin = tip + chip · tab`` (redo pays it only when
  neither the tab nor the lot's value is dusty).
- ``take``: a keeper asks for at most ``amt`` collateral at the current price; see
  :func:`clipper_take`.

Maker computes the price factor in ``RAY = 1e27`` with ``rpow`` (exponentiation by squaring,
each product rounded half up) and truncates ``rmul(top, factor)``. ringfence keeps exactly that
arithmetic for the factor (``cut`` and ``tau``'s fraction are lifted to RAY without loss:
``cut_ray = cut_wad · 1e9``) and keeps ``top`` in WAD, so every price here equals Maker's RAY
price for ``top_ray = top_wad · 1e9`` divided by ``1e9`` and floored, bit for bit.

**Lyra v2, now Derive** (``derivexyz/v2-core``, ``src/liquidation/DutchAuction.sol``,
``_getDiscountPercentage`` and ``_getSolventAuctionBidPrice``; parameters from the Derive docs,
*Liquidation Parameters*: ``starting_mtm_pct`` 0.95, ``fast_auction_cutoff_pct`` 0.70,
``fast_auction_length_sec`` 900, ``slow_auction_length_sec`` 43,200).

The bid for a whole portfolio is ``(MtM − reserved cash) · d(t)``, where ``d`` falls linearly
from 95% to 70% of mark-to-market over the 15-minute fast phase, then linearly from 70% to 0
over the 12-hour slow phase, and is 0 afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import CommandRejected, InvalidParameter
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div, value_of

__all__ = [
    "LYRA_DEFAULT_AUCTION",
    "RAY",
    "ClipperParams",
    "ClipperStatus",
    "ClipperTake",
    "ExponentialDecrease",
    "LinearDecrease",
    "LyraAuctionParams",
    "PriceCurve",
    "StairstepExponentialDecrease",
    "clipper_keeper_incentive",
    "clipper_price",
    "clipper_redo_incentive",
    "clipper_status",
    "clipper_take",
    "clipper_top",
    "lyra_discount_percentage_wad",
    "lyra_solvent_bid_value",
    "rpow",
]

RAY = 10**27
"""Maker's high-precision scale; the price factor is computed in it, as in ``abaci.sol``."""

_WAD_TO_RAY = RAY // WAD


def rpow(x: int, n: int, base: int) -> int:
    """Return ``x**n`` in fixed point of scale ``base``, exactly as dss ``rpow`` does.

    Exponentiation by squaring (dss PR #78, ``abaci.sol``): every intermediate product is
    divided by ``base`` after adding ``base // 2``, i.e. rounded half up. ``rpow(x, 0, b) = b``
    and ``rpow(0, n, b) = 0`` for ``n > 0``. Python integers do not overflow, so the EVM's
    overflow reverts never trigger; for the inputs Maker accepts the results are identical.

    Parameters
    ----------
    x:
        Base, scaled by ``base`` (``x = base`` is 1.0).
    n:
        Non-negative integer exponent.
    base:
        Positive scale (``RAY`` in Maker).

    Raises
    ------
    InvalidParameter
        If ``x`` or ``n`` is negative or ``base`` is not positive.
    """
    if base <= 0:
        raise InvalidParameter("base", base, "a positive fixed-point scale")
    if x < 0 or n < 0:
        raise InvalidParameter("x, n", (x, n), "a non-negative base and exponent")
    if n == 0:
        return base
    if x == 0:
        return 0
    half = base // 2
    z = x if n % 2 else base
    n //= 2
    while n:
        x = (x * x + half) // base
        if n % 2:
            z = (z * x + half) // base
        n //= 2
    return z


# --- Maker Clipper -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinearDecrease:
    """Maker ``LinearDecrease``: ``price = top · (tau − dur) / tau``, zero from ``dur ≥ tau``."""

    tau_seconds: int
    """Seconds after kick at which the price reaches zero."""

    def __post_init__(self) -> None:
        """Reject a non-positive ``tau``."""
        if self.tau_seconds <= 0:
            raise InvalidParameter("tau_seconds", self.tau_seconds, "a positive number of seconds")


@dataclass(frozen=True, slots=True)
class StairstepExponentialDecrease:
    """Maker ``StairstepExponentialDecrease``: ``price = top · cut^⌊dur / step⌋``."""

    cut_wad: int
    """Per-step multiplicative factor (``0.99`` for a 1% drop per step), at most 1."""
    step_seconds: int
    """Seconds between price drops."""

    def __post_init__(self) -> None:
        """Reject ``cut`` outside ``[0, 1]`` and a non-positive step."""
        _check_cut(self.cut_wad)
        if self.step_seconds <= 0:
            raise InvalidParameter("step_seconds", self.step_seconds, "a positive number of seconds")


@dataclass(frozen=True, slots=True)
class ExponentialDecrease:
    """Maker ``ExponentialDecrease``: ``price = top · cut^dur`` (a per-second factor)."""

    cut_wad: int
    """Per-second multiplicative factor, at most 1."""

    def __post_init__(self) -> None:
        """Reject ``cut`` outside ``[0, 1]``."""
        _check_cut(self.cut_wad)


PriceCurve = LinearDecrease | StairstepExponentialDecrease | ExponentialDecrease
"""One of Maker's three ``Abacus`` price calculators."""


def _check_cut(cut_wad: int) -> None:
    # abaci.sol: require((cut = data) <= RAY, "...Decrease/cut-gt-RAY")
    if not 0 <= cut_wad <= WAD:
        raise InvalidParameter("cut_wad", cut_wad, f"a multiplicative factor between 0 and {WAD} (1.0)")


@dataclass(frozen=True, slots=True)
class ClipperParams:
    """Parameters of one Maker Clipper (``clip.sol``), in ringfence units."""

    buf_wad: int
    """Multiplicative factor on the oracle price for the starting price ``top``."""
    tail_seconds: int
    """Seconds after which the auction needs a reset."""
    cusp_wad: int
    """Reset once ``price / top`` falls below this ratio."""
    chip_wad: int
    """Keeper reward as a fraction of ``tab``."""
    tip_value: int
    """Flat keeper reward, in value atoms."""
    curve: PriceCurve
    """Price calculator (``calc``)."""

    def __post_init__(self) -> None:
        """Reject negative parameters and a zero ``buf``."""
        if self.buf_wad <= 0:
            raise InvalidParameter("buf_wad", self.buf_wad, "a positive WAD factor (1.2 is 1_200_000_000_000_000_000)")
        for field, value in (
            ("tail_seconds", self.tail_seconds),
            ("cusp_wad", self.cusp_wad),
            ("chip_wad", self.chip_wad),
            ("tip_value", self.tip_value),
        ):
            if value < 0:
                raise InvalidParameter(field, value, "a non-negative integer")


@dataclass(frozen=True, slots=True)
class ClipperStatus:
    """Result of Maker's ``status(tic, top)``: the current price and whether a redo is due."""

    price_wad: int
    needs_redo: bool


@dataclass(frozen=True, slots=True)
class ClipperTake:
    """Outcome of one ``take``: what the keeper pays and receives, and what remains."""

    slice_atoms: int
    """Collateral the keeper receives."""
    owe_value: int
    """Value the keeper pays, in value atoms."""
    tab_after_value: int
    """Debt still to raise after this take."""
    lot_after_atoms: int
    """Collateral still in the auction (returned to the owner when ``tab_after_value == 0``)."""

    @property
    def is_finished(self) -> bool:
        """Return whether the auction ends: all collateral sold or the whole tab raised."""
        return self.lot_after_atoms == 0 or self.tab_after_value == 0


def clipper_top(oracle_price_wad: int, buf_wad: int) -> int:
    """Return the starting price ``top = price · buf`` (``clip.sol`` ``kick``/``redo``), floored.

    Raises
    ------
    InvalidParameter
        If the result is zero (Maker reverts with ``Clipper/zero-top-price``).
    """
    top = mul_div(oracle_price_wad, buf_wad, WAD, Rounding.DOWN)
    if top <= 0:
        raise InvalidParameter("top", top, "a positive starting price (check the oracle price and buf)")
    return top


def _price_factor_ray(curve: PriceCurve, elapsed_seconds: int) -> int:
    if isinstance(curve, LinearDecrease):
        if elapsed_seconds >= curve.tau_seconds:
            return 0
        return (curve.tau_seconds - elapsed_seconds) * RAY // curve.tau_seconds
    if isinstance(curve, StairstepExponentialDecrease):
        return rpow(curve.cut_wad * _WAD_TO_RAY, elapsed_seconds // curve.step_seconds, RAY)
    return rpow(curve.cut_wad * _WAD_TO_RAY, elapsed_seconds, RAY)


def clipper_price(curve: PriceCurve, top_wad: int, elapsed_seconds: int) -> int:
    """Return the auction price ``elapsed_seconds`` after kick (``abaci.sol`` ``price(top, dur)``).

    ``price = ⌊top · factor / RAY⌋`` where ``factor`` is the curve's RAY factor: ``⌊(tau − dur) ·
    RAY / tau⌋`` (linear), ``rpow(cut, ⌊dur / step⌋, RAY)`` (stairstep) or ``rpow(cut, dur, RAY)``
    (exponential). Truncation as in Maker's ``rmul``: the price rounds down, so the liquidated
    owner's collateral never sells above the curve.

    Raises
    ------
    InvalidParameter
        If ``elapsed_seconds`` or ``top_wad`` is negative.
    """
    if elapsed_seconds < 0:
        raise InvalidParameter("elapsed_seconds", elapsed_seconds, "seconds since kick, not negative")
    if top_wad < 0:
        raise InvalidParameter("top_wad", top_wad, "a non-negative starting price")
    return top_wad * _price_factor_ray(curve, elapsed_seconds) // RAY


def clipper_status(params: ClipperParams, top_wad: int, elapsed_seconds: int) -> ClipperStatus:
    """Return the price and whether the auction needs a redo (``clip.sol`` ``status``).

    ``done = dur > tail or price / top < cusp``. Maker compares ``rdiv(price, top) < cusp``
    with a truncated quotient; against an integer threshold that is the same as the exact
    ``price · WAD < cusp · top`` used here.
    """
    price = clipper_price(params.curve, top_wad, elapsed_seconds)
    needs_redo = elapsed_seconds > params.tail_seconds or price * WAD < params.cusp_wad * top_wad
    return ClipperStatus(price_wad=price, needs_redo=needs_redo)


def clipper_keeper_incentive(params: ClipperParams, tab_value: int) -> int:
    """Return the keeper reward on kick, ``coin = tip + chip · tab`` (``clip.sol`` ``kick``).

    The reward is a payout, so ``chip · tab`` rounds down (Maker's ``wmul`` truncates).
    """
    if tab_value < 0:
        raise InvalidParameter("tab_value", tab_value, "a non-negative debt in value atoms")
    return params.tip_value + mul_div(tab_value, params.chip_wad, WAD, Rounding.DOWN)


def clipper_redo_incentive(params: ClipperParams, tab_value: int, lot_value: int, dust_value: int) -> int:
    """Return the keeper reward on redo: ``tip + chip · tab`` unless the auction is dusty.

    ``clip.sol`` ``redo`` pays only when ``tab ≥ dust`` and ``lot · price ≥ dust`` (``price``
    being the fresh oracle price), so resetting a dust auction earns nothing.

    Parameters
    ----------
    params:
        The Clipper's parameters (``tip``, ``chip``).
    tab_value:
        Debt still to raise, in value atoms.
    lot_value:
        Value of the remaining lot at the oracle price, in value atoms.
    dust_value:
        The collateral type's dust, in value atoms.
    """
    if tab_value >= dust_value and lot_value >= dust_value:
        return clipper_keeper_incentive(params, tab_value)
    return 0


def _atoms_for_value(value: int, price_wad: int, asset_decimals: int, rounding: Rounding) -> int:
    """Return the atoms worth ``value`` value atoms at ``price_wad`` (the inverse of ``value_of``)."""
    shift = asset_decimals - VALUE_DECIMALS
    if shift >= 0:
        return mul_div(value * 10**shift, WAD, price_wad, rounding)
    return mul_div(value, WAD, price_wad * 10**-shift, rounding)


def _check_take_inputs(tab_value: int, lot_atoms: int, max_amount_atoms: int, price_wad: int) -> None:
    if price_wad <= 0:
        raise InvalidParameter("price_wad", price_wad, "a positive auction price (the auction has ended at 0)")
    for field, value in (("tab_value", tab_value), ("lot_atoms", lot_atoms), ("max_amount_atoms", max_amount_atoms)):
        if value < 0:
            raise InvalidParameter(field, value, "a non-negative integer")


def clipper_take(
    tab_value: int,
    lot_atoms: int,
    max_amount_atoms: int,
    price_wad: int,
    asset_decimals: int,
    dust_value: int,
) -> ClipperTake:
    """Return the outcome of buying up to ``max_amount_atoms`` at ``price_wad`` (``clip.sol`` ``take``).

    Maker's rule, with ``slice = min(lot, amt)`` and ``owe = slice · price``:

    - if ``owe > tab``: the keeper pays the whole tab, ``owe = tab``, ``slice = owe / price``;
    - else if ``owe < tab`` and ``slice < lot`` and ``tab − owe < dust``: the keeper may not
      leave a dusty tab, so ``owe = tab − dust`` and ``slice = owe / price`` (refused when
      ``tab ≤ dust``: such an auction can only be bought whole);
    - otherwise the keeper pays ``owe`` for ``slice``.

    Rounding: Maker's ``owe`` is exact (``wad · ray``); here the keeper's payment rounds up and
    the collateral it receives rounds down. The caller checks its own limit price (Maker's
    ``max``) and that the auction does not need a redo.

    Raises
    ------
    CommandRejected
        When a partial purchase would leave a dusty tab that cannot be trimmed (Maker's
        ``Clipper/no-partial-purchase``).
    """
    _check_take_inputs(tab_value, lot_atoms, max_amount_atoms, price_wad)
    slice_atoms = min(lot_atoms, max_amount_atoms)
    owe = value_of(slice_atoms, price_wad, asset_decimals, Rounding.UP)
    if owe > tab_value:
        owe = tab_value
        slice_atoms = _atoms_for_value(owe, price_wad, asset_decimals, Rounding.DOWN)
    elif owe < tab_value and slice_atoms < lot_atoms and tab_value - owe < dust_value:
        if tab_value <= dust_value:
            raise CommandRejected(
                f"a partial take would leave a tab of {tab_value - owe} value atoms, below the dust "
                f"{dust_value}; buy the whole lot ({lot_atoms} atoms) instead"
            )
        owe = tab_value - dust_value
        slice_atoms = _atoms_for_value(owe, price_wad, asset_decimals, Rounding.DOWN)
    return ClipperTake(
        slice_atoms=slice_atoms,
        owe_value=owe,
        tab_after_value=tab_value - owe,
        lot_after_atoms=lot_atoms - slice_atoms,
    )


# --- Lyra v2 (Derive) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LyraAuctionParams:
    """Solvent-auction parameters of Lyra v2 / Derive (``IDutchAuction.AuctionParams``).

    Defaults are Derive's published values (docs, *Liquidation Parameters*): the price factor
    starts at 95% of mark-to-market, reaches 70% after the 900 s fast phase and 0 after a
    further 43,200 s (12 h) slow phase.
    """

    starting_mtm_percentage_wad: int = 95 * WAD // 100
    fast_auction_cutoff_percentage_wad: int = 70 * WAD // 100
    fast_auction_length_seconds: int = 900
    slow_auction_length_seconds: int = 43_200

    def __post_init__(self) -> None:
        """Apply ``setAuctionParams``' checks: start ≤ 100%, cutoff ≤ start; positive lengths."""
        if not 0 <= self.fast_auction_cutoff_percentage_wad <= self.starting_mtm_percentage_wad <= WAD:
            raise InvalidParameter(
                "starting_mtm_percentage_wad, fast_auction_cutoff_percentage_wad",
                (self.starting_mtm_percentage_wad, self.fast_auction_cutoff_percentage_wad),
                "0 ≤ cutoff ≤ start ≤ 1.0 (WAD)",
            )
        if self.fast_auction_length_seconds <= 0 or self.slow_auction_length_seconds <= 0:
            raise InvalidParameter(
                "fast_auction_length_seconds, slow_auction_length_seconds",
                (self.fast_auction_length_seconds, self.slow_auction_length_seconds),
                "positive numbers of seconds",
            )


LYRA_DEFAULT_AUCTION = LyraAuctionParams()
"""Derive's published solvent-auction parameters (95% → 70% in 15 min, → 0 in 12 h more)."""


def lyra_discount_percentage_wad(params: LyraAuctionParams, elapsed_seconds: int) -> int:
    """Return the fraction of mark-to-market a bidder pays ``elapsed_seconds`` into the auction.

    ``DutchAuction._getDiscountPercentage`` (the contract calls the factor a *discount
    percentage*; it is the share of MtM paid, 95% meaning a 5% discount), with ``t`` elapsed:

    - fast phase, ``t < F``: ``start − ⌊(start − cutoff) · t / F⌋``;
    - after both phases, ``t ≥ F + S``: ``0``;
    - slow phase: ``cutoff − ⌊⌊cutoff · (t − F) / 1e18⌋ · 1e18 / S⌋``.

    The slow phase is reproduced with the contract's ``multiplyDecimal``/``divideDecimal`` on a
    plain seconds count: the inner product is truncated to a whole number (``⌊0.7 · t⌋`` with the
    defaults) before the division, so the factor falls in steps of ``1e18 / S`` and lies up to
    ``1e18 / S`` (≈ 2.3e-5 with 12 h) above the ideal line. Every truncation raises the factor,
    i.e. favours the liquidated account.
    """
    if elapsed_seconds < 0:
        raise InvalidParameter("elapsed_seconds", elapsed_seconds, "seconds since the auction started, not negative")
    start = params.starting_mtm_percentage_wad
    cutoff = params.fast_auction_cutoff_percentage_wad
    fast = params.fast_auction_length_seconds
    slow = params.slow_auction_length_seconds
    if elapsed_seconds < fast:
        return start - (start - cutoff) * elapsed_seconds // fast
    if elapsed_seconds >= fast + slow:
        return 0
    whole_units = cutoff * (elapsed_seconds - fast) // WAD
    return cutoff - whole_units * WAD // slow


def lyra_solvent_bid_value(
    params: LyraAuctionParams, mark_to_market_value: int, reserved_cash_value: int, elapsed_seconds: int
) -> int:
    """Return the bid for the whole portfolio: ``(MtM − reserved cash) · d(t)``, rounded down.

    ``DutchAuction._getSolventAuctionBidPrice``: zero once both phases are over; the bidder pays
    this to the liquidated account (a credit to it, so it rounds down as the contract's
    ``multiplyDecimal`` does). A bid for a fraction ``f`` of the portfolio pays ``f`` times it.

    Raises
    ------
    InvalidParameter
        If the reserved cash exceeds the mark-to-market (the contract reverts with
        ``DA_ReservedCashGreaterThanMtM``) or either is negative.
    """
    if reserved_cash_value < 0 or mark_to_market_value < reserved_cash_value:
        raise InvalidParameter(
            "mark_to_market_value, reserved_cash_value",
            (mark_to_market_value, reserved_cash_value),
            "0 ≤ reserved cash ≤ mark-to-market",
        )
    if elapsed_seconds >= params.fast_auction_length_seconds + params.slow_auction_length_seconds:
        return 0
    discount = lyra_discount_percentage_wad(params, elapsed_seconds)
    return mul_div(mark_to_market_value - reserved_cash_value, discount, WAD, Rounding.DOWN)
