"""``GET /v1/owners/{owner}``: the unified view of one owner's isolated vaults, and the allocator's suggestion.

The service's counterpart of ``ringfence allocate`` (issue 14 item 4; ``docs/allocator.md``). The
owner's book is read under the engine's lock (:func:`ringfence.risk.owner_book.owner_book`); the
risk and the allocation are computed outside it (:func:`ringfence.risk.owner_view.owner_view`), so
the writer never waits for them. Only closed forms run: no simulation, no Monte Carlo.

Who may read it: the owner itself, and the venue's ``admin`` and ``risk_model`` role holders (a
risk desk watches every book); any other principal is refused (``Unauthorized``, 403), an
anonymous request is not authenticated (401).

Query parameters, as ``allocate`` takes them: ``volatility=ASSET=RATIO`` (repeatable, one per asset
the owner holds; without any the view has health and distance but no probability or allocation),
``horizon`` (``"1d"``), ``threshold`` (``"0.5%"``), ``vaults_only``.
"""

from __future__ import annotations

from ringfence.core.errors import InvalidParameter, Unauthorized, UnknownEntity
from ringfence.core.governance.state import Role
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD
from ringfence.http.schemas import (
    OwnerAllocationView,
    OwnerSubAccountView,
    OwnerTransferView,
    OwnerVaultView,
    OwnerView,
)
from ringfence.risk.owner_book import OwnerBook, owner_book
from ringfence.risk.owner_view import Allocation, RiskInputs, VaultRisk, owner_view, position_label
from ringfence.service.venue.human import duration_seconds, ratio_wad, volatilities

__all__ = ["READERS", "authorize_owner_read", "owner_book_for", "owner_response", "risk_inputs"]

READERS = (Role.ADMIN, Role.RISK_MODEL)
"""The roles that may read any owner's view (besides the owner itself)."""


def authorize_owner_read(state: LedgerState, principal: str, owner: str) -> None:
    """Refuse ``principal`` reading ``owner``'s view unless it is the owner or holds a reader role.

    Raises
    ------
    Unauthorized
        Another principal without the admin or risk_model role.
    """
    if principal == owner:
        return
    governance = state.governance
    if governance is not None and any(principal in governance.holders.get(role, set()) for role in READERS):
        return
    raise Unauthorized(
        principal,
        tuple(role.value for role in READERS),
        f"read the vaults of {owner!r}",
        remedy="only the owner itself or a holder of those roles may read an owner's view",
    )


def owner_book_for(state: LedgerState, owner: str, now_ns: int) -> OwnerBook:
    """Return the owner's book (call under the engine's lock).

    Raises
    ------
    UnknownEntity
        An owner with no sub-account.
    """
    book = owner_book(state, owner, now_ns)
    if not book.balances and not book.positions:
        raise UnknownEntity("owner", owner)
    return book


def risk_inputs(volatility: list[str], horizon: str, threshold: str, vaults_only: bool) -> RiskInputs | None:
    """Return the model inputs from the query (None without any volatility), refusing malformed ones.

    Raises
    ------
    InvalidParameter
        A volatility not ``ASSET=RATIO`` with a ratio above 0, the same asset twice, a horizon that is
        not a positive duration, or a threshold that is not a ratio in [0, 1].
    """
    if not volatility:
        return None
    sigmas = volatilities(volatility, "volatility")
    try:
        horizon_s = duration_seconds(horizon)
    except ValueError as error:
        raise InvalidParameter("horizon", horizon, f'a duration such as "4h" or "1d" ({error})') from None
    try:
        level = ratio_wad(threshold) / WAD
    except ValueError as error:
        raise InvalidParameter("threshold", threshold, f'a ratio such as "0.5%" or "0.005" ({error})') from None
    if horizon_s <= 0:
        raise InvalidParameter("horizon", horizon, "a duration above 0")
    if not 0.0 <= level <= 1.0:
        raise InvalidParameter("threshold", threshold, "a ratio in [0, 1]")
    return RiskInputs(sigmas, horizon_s, level, vaults_only)


def _vault(risk: VaultRisk) -> OwnerVaultView:
    p = risk.position
    return OwnerVaultView(
        sub_account=p.sub_account,
        pool=p.pool,
        market=p.market,
        base_asset=p.base_asset,
        quote_asset=p.quote_asset,
        mode=p.mode.value,
        size_atoms=p.size_atoms,
        price_wad=p.price_wad,
        margin_atoms=p.margin_atoms,
        maintenance_atoms=p.maintenance_atoms,
        maintenance_equity_atoms=p.maintenance_equity_atoms,
        floor_atoms=p.floor_atoms,
        movable=p.movable,
        note=p.note,
        health=risk.health,
        liquidation_price=risk.liquidation_price,
        distance_to_liquidation=risk.distance,
        liquidation_probability=risk.probability,
    )


def _allocation(owner: str, allocation: Allocation) -> OwnerAllocationView:
    result = allocation.result
    return OwnerAllocationView(
        quote_asset=allocation.quote_asset,
        vaults=[position_label(p, owner) for p in allocation.vaults],
        margin_atoms=[p.margin_atoms for p in allocation.vaults],
        floor_atoms=[p.floor_atoms for p in allocation.vaults],
        suggested_atoms=list(result.target.margins_atoms),
        probability_now=[float(value) for value in result.current.probabilities],
        probability_suggested=[float(value) for value in result.target.probabilities],
        any_probability_now=float(result.current.any_probability),
        any_probability_suggested=float(result.target.any_probability),
        improvement=float(result.improvement),
        threshold=result.threshold,
        suggested=result.suggested,
        transfers=[
            OwnerTransferView(
                source=allocation.holder_label(owner, move.source),
                destination=allocation.holder_label(owner, move.destination),
                amount_atoms=move.amount_atoms,
            )
            for move in result.transfers
        ],
        commands=[dict(command) for command in allocation.commands],
    )


def owner_response(book: OwnerBook, inputs: RiskInputs | None, now_ns: int) -> OwnerView:
    """Compute the owner's view (outside the engine's lock) and return the response body."""
    view = owner_view(book, inputs)
    idle: dict[int, dict[str, int]] = {}
    for allocation in view.allocations:
        for sub, atoms in allocation.idle_atoms.items():
            idle.setdefault(sub, {})[allocation.quote_asset] = atoms
    return OwnerView(
        owner=book.owner,
        now_ns=now_ns,
        horizon_seconds=None if inputs is None else inputs.horizon_seconds,
        volatility={} if inputs is None else dict(inputs.volatility),
        sub_accounts=[
            OwnerSubAccountView(
                sub_account=sub,
                balances=balances,
                positions=sum(1 for p in book.positions if p.sub_account == sub),
                backs_cross_positions=book.has_cross(sub),
                idle_atoms=idle.get(sub, {}),
            )
            for sub, balances in book.balances.items()
        ],
        vaults=[_vault(risk) for risk in view.vaults],
        any_liquidation_probability=view.any_probability,
        allocations=[_allocation(book.owner, allocation) for allocation in view.allocations],
    )
