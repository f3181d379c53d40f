"""State of portfolio margin: which sub-accounts are enrolled and their live portfolio auctions."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PortfolioAuction"]


@dataclass(frozen=True, slots=True)
class PortfolioAuction:
    """A live auction of a portfolio-margined sub-account (Derive ``DutchAuction.Auction``).

    Solvent (``insolvent`` False): a bidder pays ``share · MtM · d(t)`` for a share of the
    portfolio, ``d`` the discount schedule from ``started_ns``. Insolvent: a bidder is paid
    ``share · deficit_atoms · min(t, T) / T`` (``T`` the rule's ``insolvent_auction_seconds``) to
    take a share over, by the pools in ``pools`` in proportion to ``pool_weights_value``.
    """

    keeper_owner: str
    keeper_sub_account: int
    started_ns: int
    insolvent: bool = False
    deficit_atoms: int = 0
    """Insolvent: the initial-margin deficit (cash atoms) the payment grows to (the contract's lower bound)."""
    pools: tuple[str, ...] = ()
    """Insolvent: the pools that pay a bidder, those the portfolio held positions in at conversion."""
    pool_weights_value: tuple[int, ...] = ()
    """Insolvent: each pool's claim on the account at conversion (its net loss, value atoms), or 1 each."""
