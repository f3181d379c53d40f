"""Who bears a loss: the LP vault's P&L attributed per market, contagion and latent bad debt (pure kernels).

Both engines call these formulas (the exact runner converts its atoms to float at the boundary),
so the two count every loss the same way (``docs/stress-model.md``, "Metrics").

- A market's **mark** is its running contribution to its pool's LP vault: the vault's cash flows
  booked by the market's commands (fees, traders' realised PnL, shortfall absorbed, insurance
  drawn, backstop fees) minus the market's open positions' unrealised PnL at the oracle. The marks
  of a pool's markets sum to its NAV less the LPs' own deposits and redemptions.
- Each step's change of a mark is shared by the pool's LPs pro rata to their shares at the start
  of the step (:func:`attribute_marks`).
- **LP contagion** of an LP is the net loss it bears from markets other than its home market
  that *defaulted* in the run (:func:`lp_contagion`): a market defaulted when its bad debt,
  realised or latent, exceeds :data:`DEFAULT_MATERIALITY_USD` (:func:`defaulted_markets`). What a
  shared vault's LPs gain or lose to another market's traders in a run where that market did
  not default is ordinary risk sharing; it shows in ``vault_pnl_by_market_usd``, not here.
- **Latent bad debt** of a margin unit still open at the end is its negative equity at the final
  market price (:func:`latent_bad_debt`). The oracle marks count the unit's whole loss as owed to
  the vault; at the end the part it cannot pay is written off the marks of the markets it lost in
  (:func:`allocate_latent`), so the vault's P&L per market counts it too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_MATERIALITY_USD",
    "allocate_latent",
    "attribute_marks",
    "defaulted_markets",
    "latent_bad_debt",
    "lp_contagion",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_MATERIALITY_USD = 1.0
"""A market has defaulted in a run once its bad debt (realised and latent) exceeds $1: far above
the engines' rounding (at most ~5 atoms, 5e-6 USD, per close) and float dust, so both engines
flag the same markets except when a market's bad debt lies within their 1e-3 USD tolerance of $1."""


def attribute_marks(lp_pnl: FloatArray, fraction: FloatArray, delta: FloatArray, same_pool: BoolArray) -> None:
    """Add each LP's share of the markets' mark changes to ``lp_pnl`` in place.

    ``lp_pnl[..., i, m] += fraction[..., i] · delta[..., m]`` where LP ``i`` and market ``m`` share
    a pool, else nothing.

    Parameters
    ----------
    lp_pnl:
        Shape ``(..., L, M)``: LP ``i``'s P&L from market ``m`` so far (USD).
    fraction:
        Shape ``(..., L)``: LP ``i``'s fraction of its pool's shares at the start of the step.
    delta:
        Shape ``(..., M)``: the change of each market's mark over the step (USD).
    same_pool:
        Shape ``(L, M)``: LP ``i``'s pool holds market ``m``.
    """
    lp_pnl += np.where(same_pool, fraction[..., :, None] * delta[..., None, :], 0.0)


def defaulted_markets(bad_debt_by_market: FloatArray) -> BoolArray:
    """Return which markets defaulted: bad debt (realised plus latent) above :data:`DEFAULT_MATERIALITY_USD`."""
    return np.asarray(np.asarray(bad_debt_by_market) > DEFAULT_MATERIALITY_USD)


def lp_contagion(lp_pnl: FloatArray, home: BoolArray, defaulted: BoolArray) -> FloatArray:
    """Return the LPs' contagion: ``Σ_i max(0, −Σ_{m ≠ home(i), m defaulted} lp_pnl[i, m])``.

    Parameters
    ----------
    lp_pnl:
        Shape ``(..., L, M)``: LP ``i``'s P&L from market ``m`` over the run (USD).
    home:
        Shape ``(L, M)``: market ``m`` is LP ``i``'s home market.
    defaulted:
        Shape ``(..., M)``: market ``m`` defaulted in the run (:func:`defaulted_markets`).

    Returns
    -------
    FloatArray
        Shape ``lp_pnl.shape[:-2]``.
    """
    counted = ~home & np.asarray(defaulted)[..., None, :]
    foreign = np.where(counted, lp_pnl, 0.0).sum(axis=-1)
    return np.asarray(np.maximum(-foreign, 0.0).sum(axis=-1), dtype=np.float64)


def latent_bad_debt(equity: FloatArray) -> FloatArray:
    """Return each open unit's latent bad debt: ``max(0, −equity)`` at the final market price (USD)."""
    return np.asarray(np.maximum(-equity, 0.0), dtype=np.float64)


def allocate_latent(latent: FloatArray, position_pnl: FloatArray) -> FloatArray:
    """Split each unit's latent bad debt over its positions pro rata to their losses.

    Parameters
    ----------
    latent:
        Shape ``(..., U)``: each unit's latent bad debt (USD, ``≥ 0``).
    position_pnl:
        Shape ``(..., U, S)``: the unrealised PnL of the unit's ``S`` position slots at the final
        market price (0 for an empty slot).

    Returns
    -------
    FloatArray
        Shape ``(..., U, S)``: ``latent · loss_s / Σ loss`` with ``loss = max(0, −pnl)``; a unit whose
        positions show no loss (its margin alone is negative) puts it all on its first slot.
    """
    loss = np.maximum(-position_pnl, 0.0)
    total = loss.sum(axis=-1, keepdims=True)
    first = np.zeros_like(loss)
    first[..., 0] = 1.0
    weight = np.where(total > 0.0, loss / np.where(total > 0.0, total, 1.0), first)
    return np.asarray(latent[..., None] * weight, dtype=np.float64)
