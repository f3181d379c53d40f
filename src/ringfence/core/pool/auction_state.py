"""State of a pool's collateral auctions: their per-pool parameters and the live auctions.

A pool sells the non-quote collateral of a sub-account that owes it quote (a negative quote
balance left by realised losses once its cross positions are closed) in a Dutch auction:
Maker's Clipper (``makerdao/dss`` ``src/clip.sol``, curves in ``src/abaci.sol``) or Lyra v2 /
Derive's two-phase auction (``derivexyz/v2-core`` ``src/liquidation/DutchAuction.sol``). The
arithmetic lives in :mod:`ringfence.core.liquidation.auctions`; the commands in
:mod:`ringfence.core.pool.auction`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ringfence.core.units import WAD

__all__ = ["AuctionCurve", "AuctionParams", "CollateralAuction"]


class AuctionCurve(enum.Enum):
    """How an auction's price falls with time."""

    LINEAR = "linear"
    """Maker ``LinearDecrease``: ``top · (tau − t) / tau``."""
    STAIRSTEP = "stairstep_exponential"
    """Maker ``StairstepExponentialDecrease``: ``top · cut^⌊t / step⌋``."""
    EXPONENTIAL = "exponential"
    """Maker ``ExponentialDecrease``: ``top · cut^t``."""
    LYRA = "lyra"
    """Lyra v2 / Derive: the oracle price times 95% → 70% over the fast phase, then → 0."""


@dataclass(frozen=True, slots=True)
class AuctionParams:
    """A pool's collateral-auction parameters (ratios in WAD, amounts in the pool's quote atoms).

    Only the numbers of the chosen ``curve`` are read: ``tau_seconds`` for LINEAR,
    ``cut_wad`` and ``step_seconds`` for STAIRSTEP, ``cut_wad`` for EXPONENTIAL, the
    ``lyra_*`` numbers for LYRA (their defaults are Derive's published values). ``buf_wad``,
    ``tail_seconds`` and ``cusp_wad`` drive the Clipper curves; a LYRA auction is reset only
    once its price has reached 0. ``chop_wad``, ``chip_wad``, ``tip_atoms`` and ``dust_atoms``
    apply to every curve.
    """

    curve: AuctionCurve
    chop_wad: int
    """Liquidation penalty on the debt: ``tab = debt + ⌈debt · chop⌉`` (Maker's ``chop − 1``)."""
    buf_wad: int
    """Starting price factor on the oracle: ``top = oracle · buf``."""
    tail_seconds: int
    """A Clipper auction older than this needs a reset."""
    cusp_wad: int
    """A Clipper auction whose ``price / top`` fell below this needs a reset."""
    chip_wad: int
    """Keeper reward on kick and redo, as a share of the tab."""
    tip_atoms: int
    """Flat keeper reward on kick and redo."""
    dust_atoms: int
    """A take may not leave a tab below this (Maker's ``dust``); a dusty redo pays no reward."""
    tau_seconds: int = 0
    cut_wad: int = 0
    step_seconds: int = 0
    lyra_starting_mtm_wad: int = 95 * WAD // 100
    lyra_fast_cutoff_wad: int = 70 * WAD // 100
    lyra_fast_seconds: int = 900
    lyra_slow_seconds: int = 43_200


@dataclass(frozen=True, slots=True)
class CollateralAuction:
    """One live auction of a sub-account's seized collateral (Maker's ``Sale``).

    The debt itself stays on the sub-account (its negative quote balance): what a take pays
    goes first to that balance, up to ``debt_atoms``, and the rest (the penalty) to the pool's
    insurance fund.
    """

    owner: str
    sub_account: int
    asset: str
    lot_atoms: int
    """Collateral still for sale (held by the auction, counted in conservation)."""
    tab_atoms: int
    """Quote still to raise: the remaining debt plus the unpaid penalty."""
    debt_atoms: int
    """Part of the tab that repays the sub-account's debt (paid first)."""
    top_wad: int
    """Starting price of the current run (Clipper): ``oracle · buf`` at kick or redo."""
    started_ns: int
    """Start of the current run (kick or last redo): the curves' clock."""
