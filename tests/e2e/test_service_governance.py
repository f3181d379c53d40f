"""Governance over HTTP: roles granted by the admin, a timelocked venue change proposed, executed after the timelock."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.http.client import ProblemError
from support.service import live_service

DAY_S = 86_400
LISTING = {
    "type": "RegisterAsset",
    "asset": "DOGE",
    "decimals": 8,
    "initial_weight_wad": 5 * 10**17,
    "maintenance_weight_wad": 6 * 10**17,
    "supply_cap_atoms": 10**12,
    "weight_scale_start_value": 10**12,
}


def test_a_listing_is_proposed_and_executed_after_the_timelock(tmp_path: Path) -> None:
    with live_service(tmp_path) as live, live.client("admin") as admin, live.client("carol") as carol:
        carol.register()
        with pytest.raises(ProblemError) as not_a_proposer:
            carol.send("ProposeVenueChange", actor="carol", change=LISTING)
        admin.send("GrantRole", actor="admin", role="proposer", principal="carol")
        admin.send("GrantRole", actor="admin", role="executor", principal="admin")
        proposed = carol.send("ProposeVenueChange", actor="carol", change=LISTING)
        proposal_id = proposed.events[0].payload["proposal_id"]
        with pytest.raises(ProblemError) as too_early:
            admin.send("ExecuteProposal", actor="admin", proposal_id=proposal_id)
        live.clock.advance((2 * DAY_S + 1) * 10**9)  # the bundled venue's timelock is 2 days
        executed = admin.send("ExecuteProposal", actor="admin", proposal_id=proposal_id)
        roles = carol.principal("carol").roles

    assert not_a_proposer.value.status == 403
    assert not_a_proposer.value.error == "Unauthorized"
    assert too_early.value.status == 409
    assert too_early.value.error == "ProposalNotExecutable"
    assert "AssetRegistered" in [event.type for event in executed.events]
    assert roles == ["proposer"]
    assert live.service.engine.state.assets["DOGE"].params.decimals == 8
