"""The benchmark's liquidation model written idiomatically in radCAD (see ``_stress_model.py``).

cadCAD's policy → state-update split: state variables ``price``, ``accounts`` (a list of
dicts), ``insurance``, ``bad_debt`` and ``liquidations``; one partial state update block whose
policy decides the step's liquidations and whose state update functions write them. One
radCAD run per path (the run number selects the path). ``deepcopy`` on: radCAD copies the state
before every policy and update (its default, protecting the history); off: shallow copies, and
the state update functions never mutate what they were given.
"""

from __future__ import annotations

from typing import Any

from radcad import Engine, Model, Simulation
from radcad.engine import Backend

from _stress_model import PathOutcome, Rules, Workload, liquidate


def _initial_state(workload: Workload) -> dict[str, Any]:
    accounts = [
        {"index": j, "margin": m, "size": s, "basis": b, "first_seen": None, "open": True}
        for j, (m, s, b) in enumerate(zip(workload.margin, workload.size, workload.basis, strict=True))
    ]
    return {
        "price": workload.prices[0][0],
        "accounts": accounts,
        "insurance": workload.rules.insurance,
        "bad_debt": 0.0,
        "liquidations": 0,
    }


def p_keepers(
    params: dict[str, Any], substep: int, state_history: Any, previous_state: dict[str, Any]
) -> dict[str, Any]:
    """Policy: read the step's price, find candidates and liquidate the eligible ones in order."""
    rules: Rules = params["rules"]
    step = previous_state["timestep"] + 1
    price = params["prices"][previous_state["run"] - 1][step]
    seen: dict[int, int | None] = {}
    eligible = []
    for account in previous_state["accounts"]:
        if not account["open"]:
            continue
        equity = account["margin"] + (account["size"] * price - account["basis"])
        requirement = abs(account["size"]) * price * rules.maintenance_margin
        first = (account["first_seen"] if account["first_seen"] is not None else step) if equity < requirement else None
        seen[account["index"]] = first
        if first is not None and step - first >= rules.latency_steps:
            eligible.append(account)
    eligible.sort(key=lambda account: (-abs(account["size"]) * price, account["index"]))
    insurance, bad_debt, closed = previous_state["insurance"], 0.0, []
    for account in eligible:
        penalty, shortfall = liquidate(account["margin"], account["size"], account["basis"], price, rules)
        drawn = min(shortfall, insurance)
        insurance += penalty - drawn
        bad_debt += shortfall
        closed.append(account["index"])
    return {"price": price, "first_seen": seen, "closed": closed, "insurance": insurance, "bad_debt": bad_debt}


def s_price(
    params: dict[str, Any],
    substep: int,
    state_history: Any,
    previous_state: dict[str, Any],
    policy_input: dict[str, Any],
) -> tuple[str, Any]:
    return "price", policy_input["price"]


def s_accounts(
    params: dict[str, Any],
    substep: int,
    state_history: Any,
    previous_state: dict[str, Any],
    policy_input: dict[str, Any],
) -> tuple[str, Any]:
    seen, closed = policy_input["first_seen"], set(policy_input["closed"])
    accounts = []
    for account in previous_state["accounts"]:
        index = account["index"]
        if index in closed:
            accounts.append({**account, "open": False, "first_seen": None})
        elif index in seen and seen[index] != account["first_seen"]:
            accounts.append({**account, "first_seen": seen[index]})
        else:
            accounts.append(account)
    return "accounts", accounts


def s_insurance(
    params: dict[str, Any],
    substep: int,
    state_history: Any,
    previous_state: dict[str, Any],
    policy_input: dict[str, Any],
) -> tuple[str, Any]:
    return "insurance", policy_input["insurance"]


def s_bad_debt(
    params: dict[str, Any],
    substep: int,
    state_history: Any,
    previous_state: dict[str, Any],
    policy_input: dict[str, Any],
) -> tuple[str, Any]:
    return "bad_debt", previous_state["bad_debt"] + policy_input["bad_debt"]


def s_liquidations(
    params: dict[str, Any],
    substep: int,
    state_history: Any,
    previous_state: dict[str, Any],
    policy_input: dict[str, Any],
) -> tuple[str, Any]:
    return "liquidations", previous_state["liquidations"] + len(policy_input["closed"])


def run_radcad(workload: Workload, paths: int, deepcopy: bool) -> list[PathOutcome]:
    """Run ``paths`` radCAD runs (single process) and return each run's final outcome."""
    blocks = [
        {
            "policies": {"keepers": p_keepers},
            "variables": {
                "price": s_price,
                "accounts": s_accounts,
                "insurance": s_insurance,
                "bad_debt": s_bad_debt,
                "liquidations": s_liquidations,
            },
        }
    ]
    params = {"rules": [workload.rules], "prices": [workload.prices]}
    model = Model(initial_state=_initial_state(workload), state_update_blocks=blocks, params=params)
    simulation = Simulation(model=model, timesteps=workload.steps, runs=paths)
    simulation.engine = Engine(backend=Backend.SINGLE_PROCESS, deepcopy=deepcopy, drop_substeps=True)
    rows = simulation.run()
    finals = sorted((row for row in rows if row["timestep"] == workload.steps), key=lambda row: row["run"])
    return [PathOutcome(row["bad_debt"], row["liquidations"], row["insurance"]) for row in finals]
