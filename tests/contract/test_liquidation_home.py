"""Acceptance of issue 11 item 1: every liquidation path runs the functions the conformance tests certify.

Two checks, each of which fails if someone re-adds a private copy of a liquidation formula:

1. **Static**: the engine's liquidation modules (``core/pool/liquidate.py``, ``core/pool/liquidation_policy.py``,
   ``core/pool/portfolio_auction.py``)
   contain no rounding arithmetic of their own (no ``mul_div``, ``Fraction``, ``math``, no ``*``, ``/``,
   ``//``, ``%`` or ``**`` on anything but constants; additions and subtractions of settled amounts are
   bookkeeping), define no function under the name of one in ``core/liquidation``, and every function they
   import from ``core/liquidation`` is named in a conformance test (``tests/conformance/``).
2. **Dynamic**: each liquidation path of the engine (keeper close, backstop close, cross and isolated,
   toxic, pacing-trimmed with its dust rule, ADL, insurance, insurance cover, socialised loss, execution price,
   each sizing and incentive rule, an uncovered position-less debt) is driven through the engine with a call recorder;
   the test asserts which certified functions each path ran, that every function the engine imports from
   ``core/liquidation`` ran on some path, and that every ``core/liquidation`` function that ran is certified.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.core.governance.commands import ExecuteProposal, GrantRole, ProposeVenueChange
from ringfence.core.governance.state import Role
from ringfence.core.pool.commands import AddMarket, CreatePool, Liquidate
from ringfence.core.pool.cover_commands import AcceptCover, OfferCover
from ringfence.core.pool.cover_events import CoverClaimPaid
from ringfence.core.pool.cover_state import CoverTerms
from ringfence.core.pool.liquidation_policy import IncentiveRule, LiquidationPolicy, SizingRule
from ringfence.core.pool.state import MarginMode
from ringfence.core.portfolio.events import PortfolioBid
from ringfence.core.units import WAD
from support.authority import ADMIN
from support.liquidation import TWO_THIRDS_WAD, PolicyVenue, recorded
from support.portfolio_venue import bid_portfolio, portfolio_venue, start_auction
from support.venue import ETH, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, only

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "src" / "ringfence" / "core" / "liquidation"
ENGINE_MODULES = (
    ROOT / "src" / "ringfence" / "core" / "pool" / "liquidate.py",
    ROOT / "src" / "ringfence" / "core" / "pool" / "liquidation_policy.py",
    ROOT / "src" / "ringfence" / "core" / "pool" / "portfolio_auction.py",
)
CONFORMANCE = ROOT / "tests" / "conformance"
_ROUNDING_OPERATORS = (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_FORMULA_CALLS = {"mul_div", "Fraction", "ceil", "floor", "isqrt"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _is_constant(node: ast.expr) -> bool:
    """Return whether an operand is a literal or an UPPER_CASE constant (``3_600 * 10**9``, ``WAD // 2``)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left) and _is_constant(node.right)
    return False


def _home_functions() -> dict[str, str]:
    """Return every public module-level function and class of ``core/liquidation``, by name → module."""
    names: dict[str, str] = {}
    for path in sorted(HOME.glob("*.py")):
        for node in _tree(path).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                names[node.name] = path.stem
    return names


def _imported_from_home(path: Path) -> set[str]:
    imported: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ringfence.core.liquidation"):
            imported.update(alias.name for alias in node.names)
    return imported


def _certified() -> set[str]:
    """Return every name a conformance test imports from ``core/liquidation`` (what it certifies)."""
    names: set[str] = set()
    for path in sorted(CONFORMANCE.glob("test_*.py")):
        names |= _imported_from_home(path)
    return names


# --- 1. static ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ENGINE_MODULES, ids=lambda path: path.name)
def test_the_engine_module_keeps_no_rounding_formula_of_its_own(module: Path) -> None:
    tree = _tree(module)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, _ROUNDING_OPERATORS) and not _is_constant(node):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in _FORMULA_CALLS:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(name in ("math", "fractions", "decimal") for name in modules):
                found.append(f"line {node.lineno}: imports {modules}")
    assert found == [], f"{module.name} computes a formula itself; move it to core/liquidation and certify it"


@pytest.mark.parametrize("module", ENGINE_MODULES, ids=lambda path: path.name)
def test_the_engine_module_defines_no_copy_of_a_home_function(module: Path) -> None:
    home = _home_functions()
    defined = {node.name.lstrip("_") for node in _tree(module).body if isinstance(node, ast.FunctionDef)}
    copies = {name for name in defined if name in home and name not in _imported_from_home(module)}
    assert copies == set(), f"{module.name} redefines {sorted(copies)} of core/liquidation"


def test_every_function_the_engine_imports_from_the_home_is_certified() -> None:
    home, certified = _home_functions(), _certified()
    imported = set().union(*(_imported_from_home(module) for module in ENGINE_MODULES))
    functions = {name for name in imported if name in home and name[0].islower()}
    uncertified = functions - certified
    assert uncertified == set(), f"the engine runs {sorted(uncertified)}, which no conformance test certifies"
    assert imported, "the engine imports nothing from core/liquidation"


# --- 2. dynamic ----------------------------------------------------------------------------------------


@contextmanager
def recorded_calls() -> Iterator[set[str]]:
    """Record the names of the ``core/liquidation`` functions called (module-level and methods) while open."""
    calls: set[str] = set()
    home = str(HOME)

    def profile(frame: FrameType, event: str, _: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(home):
            calls.add(frame.f_code.co_name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(previous)


def _isolated_at_1850(policy: LiquidationPolicy, margin_usdc: int = 2_100, **venue: Any) -> PolicyVenue:
    """Alice isolated long 10 ETH at 2000.01 with ``margin_usdc``, ETH at 1850 (E = M − 1_500.1, R = 925)."""
    built = PolicyVenue(policy, **venue)
    built.open_isolated("alice", 10 * ETH, margin_usdc * USDC)
    built.quote_prices(1_850 * WAD)
    return built


def keeper_close_isolated() -> str:
    record = recorded(_isolated_at_1850(LiquidationPolicy()).liquidate("alice"))
    return record.path


def keeper_close_cross() -> str:
    venue = PolicyVenue()
    venue.deposit("alice", 2_100 * USDC)
    venue.trade("alice", 10 * ETH)
    venue.quote_prices(1_850 * WAD)
    return recorded(venue.liquidate("alice")).path


def backstop_below_threshold() -> str:
    return recorded(_isolated_at_1850(LiquidationPolicy(backstop_health_wad=TWO_THIRDS_WAD)).liquidate("alice")).path


def toxic() -> str:
    # at 1810: E = 2_100 + 18_100 − 20_000.1 = 199.9 < p·N = 2%·18_100 = 362: a penalty would lower health
    venue = PolicyVenue(LiquidationPolicy())
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_810 * WAD)
    return recorded(venue.liquidate("alice")).detail.split(":")[0]


def pacing_trimmed() -> str:
    policy = LiquidationPolicy(max_liquidated_atoms_per_window=3_700 * USDC)
    return str(recorded(_isolated_at_1850(policy).liquidate("alice")).closed_atoms)


def pacing_trimmed_to_dust() -> str:
    policy = LiquidationPolicy(
        sizing=SizingRule.WHOLE_POSITION, max_liquidated_atoms_per_window=18_000 * USDC, dust_atoms=1_000 * USDC
    )
    return str(recorded(_isolated_at_1850(policy).liquidate("alice")).closed_atoms)


def _bankrupt_bob(policy: LiquidationPolicy, insurance_atoms: int = 0, with_ann: bool = True) -> PolicyVenue:
    venue = PolicyVenue(policy, insurance_atoms=insurance_atoms)
    venue.open_isolated("bob", 10 * ETH, 2_100 * USDC)
    if with_ann:
        venue.open_isolated("ann", -3 * ETH, 700 * USDC)
    venue.quote_prices(1_500 * WAD)
    return venue


def auto_deleverage() -> str:
    return recorded(_bankrupt_bob(LiquidationPolicy()).liquidate("bob")).path


def insurance_then_backstop_budget() -> str:
    venue = _bankrupt_bob(LiquidationPolicy(backstop_loss_cap_atoms=1_000 * USDC), 1_000 * USDC, with_ann=False)
    return recorded(venue.liquidate("bob")).path


def socialised_loss() -> str:
    return recorded(_bankrupt_bob(LiquidationPolicy(auto_deleverage=False), with_ann=False).liquidate("bob")).path


def insurance_cover() -> str:
    # fund 100 pays the first premium; bob's 2_900.1 USDC shortfall: deductible 300 retained, the cover pays
    # min(2_900.1 − 300, 1_000) = 1_000 (docs/insurance.md)
    venue = PolicyVenue(LiquidationPolicy(auto_deleverage=False), insurance_atoms=100 * USDC)
    venue.run(GrantRole(ADMIN, Role.PROPOSER, "council", venue.now))
    venue.run(GrantRole(ADMIN, Role.EXECUTOR, "exec", venue.now))
    venue.deposit("uw", 1_000 * USDC)
    terms = CoverTerms(1_000 * USDC, 300 * USDC, 100 * USDC, 86_400 * 10**9, 1)
    venue.run(OfferCover("uw", 0, POOL, terms, venue.now))
    venue.run(ProposeVenueChange("council", AcceptCover(POOL, 1, venue.now), venue.now))
    venue.quote_prices(2_000 * WAD, advance_ns=2 * 86_400 * 10**9)
    venue.run(ExecuteProposal("exec", 1, venue.now))
    venue.open_isolated("bob", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_500 * WAD)
    claim = next(event for event in venue.liquidate("bob") if isinstance(event, CoverClaimPaid))
    return str(claim.amount_atoms)


def execution_price() -> str:
    # the close factor's 5 ETH sold at 1849 against the oracle's 1850: 5·1 = 5 USDC (within 1%: 18.5)
    venue = _isolated_at_1850(LiquidationPolicy(max_execution_gap_wad=PERCENT))
    priced = dataclasses.replace(venue.liquidate_command("alice"), execution_price_wad=1_849 * WAD)
    return str(recorded(venue.run(priced)).execution_cost_atoms)


def target_health_sizing() -> str:
    policy = LiquidationPolicy(sizing=SizingRule.TARGET_HEALTH, target_health_wad=12 * WAD // 10)
    return str(recorded(_isolated_at_1850(policy).liquidate("alice")).closed_atoms)


def linear_bonus() -> str:
    policy = LiquidationPolicy(
        incentive=IncentiveRule.LINEAR_BONUS,
        max_penalty_wad=25 * PERCENT // 10,
        min_penalty_share_wad=50 * PERCENT,
        health_for_max_penalty_wad=50 * PERCENT,
    )
    return str(recorded(_isolated_at_1850(policy).liquidate("alice")).penalty_wad)


def health_scaled() -> str:
    policy = LiquidationPolicy(incentive=IncentiveRule.HEALTH_SCALED, max_penalty_wad=2 * PERCENT)
    return str(recorded(_isolated_at_1850(policy).liquidate("alice")).penalty_wad)


def hyperliquid_partial() -> str:
    policy = LiquidationPolicy(
        sizing=SizingRule.HYPERLIQUID_PARTIAL, partial_threshold_atoms=10_000 * USDC, partial_fraction_wad=20 * PERCENT
    )
    return str(recorded(_isolated_at_1850(policy).liquidate("alice")).closed_atoms)


def uncovered_cross_debt() -> str:
    venue = PolicyVenue()
    venue.deposit("alice", 5 * ETH, asset="ETH")
    venue.deposit("alice", 100 * USDC)
    venue.trade("alice", 10 * ETH, MarginMode.CROSS)
    venue.quote_prices(1_420 * WAD)
    venue.liquidate("alice")
    venue.quote_prices(1_300 * WAD)
    return recorded(venue.liquidate("alice")).detail.split(":")[0]


def policy_refused_at_add_market() -> str:
    # a linear bonus past the no-split guard (4% + 1 > 5%·0.8) and Euler's 20% cap (> 5/105), both refused
    refused = []
    for policy in (
        LiquidationPolicy(
            incentive=IncentiveRule.LINEAR_BONUS,
            max_penalty_wad=4 * PERCENT + 1,
            health_for_max_penalty_wad=80 * PERCENT,
        ),
        LiquidationPolicy(incentive=IncentiveRule.HEALTH_SCALED, max_penalty_wad=20 * PERCENT),
    ):
        venue = PolicyVenue(in_genesis=True)
        venue.run(CreatePool("Q", "perp", 1, dataclasses.replace(POOL_PARAMS, liquidation=policy), venue.now))
        with pytest.raises(InvalidParameter) as refusal:
            venue.run(AddMarket("Q", MARKET_PARAMS, venue.now))
        refused.append(type(refusal.value).__name__)
    return " ".join(refused)


def morpho_lif() -> str:
    # R_p/N = 925/18_500 = 5% → LLTV 95%: LIF − 1 = ⌊1e36/(1e18 − 0.3·0.05e18)⌋ − 1e18 (by hand)
    venue = _isolated_at_1850(LiquidationPolicy(incentive=IncentiveRule.MORPHO_LIF))
    return str(recorded(venue.liquidate("alice")).penalty_wad)


def dydx_fillable_price() -> str:
    # E = 599.9, R = 925: fillable 1850 − (325.1/925)·92.5/10 = 1846.749; 5 ETH · 3.251 = 16.255 USDC
    policy = LiquidationPolicy(bankruptcy_adjustment_ppm=1_000_000, spread_to_maintenance_ppm=100_000)
    venue = _isolated_at_1850(policy)
    command = Liquidate("keeper", 0, "alice", 0, POOL, MARKET, venue.now, execution_price_wad=1_846_749 * WAD // 1_000)
    return str(recorded(venue.run(command)).execution_cost_atoms)


def drift_phased() -> str:
    policy = LiquidationPolicy(
        sizing=SizingRule.DRIFT_PHASED, phased_initial_share_bps=1_000, phased_duration_ns=60 * 10**9
    )
    return str(recorded(_isolated_at_1850(policy).liquidate("alice")).phase_open)


def portfolio_solvent() -> str:
    venue, _ = portfolio_venue(1_700)
    start_auction(venue)
    venue.now += 450 * 10**9
    return str(only(bid_portfolio(venue, WAD), PortfolioBid).share_wad)


def portfolio_insolvent() -> str:
    venue, _ = portfolio_venue(1_500, insurance_atoms=500 * USDC)
    start_auction(venue)
    venue.now += 1_800 * 10**9
    venue.quote_all(1_500 * WAD)
    return str(-only(bid_portfolio(venue, WAD, 0), PortfolioBid).price_atoms)


PATHS: dict[str, tuple[Callable[[], str], str, set[str]]] = {
    # path: (scenario, what it returns, the certified functions it must run)
    "keeper close, isolated": (
        keeper_close_isolated,
        "keeper",
        {"close_factor_size_atoms", "keeper_close", "split_paid_penalty", "health_lowered", "is_toxic"},
    ),
    "keeper close, cross": (
        keeper_close_cross,
        "keeper",
        {"value_to_quote_atoms", "keeper_close", "split_paid_penalty", "liquidation_lowers_health"},
    ),
    "backstop close": (backstop_below_threshold, "backstop", {"backstop_reason", "backstop_close"}),
    "toxic": (toxic, "toxic", {"is_toxic", "liquidation_lowers_health", "backstop_close"}),
    "pacing-trimmed": (pacing_trimmed, str(2 * ETH), {"paced_size_atoms", "room", "closed_notional_atoms"}),
    "pacing-trimmed to dust": (pacing_trimmed_to_dust, str(10 * ETH), {"without_dust", "apply_dust_floor"}),
    "ADL": (auto_deleverage, "backstop", {"adl_score", "adl_forgone_atoms", "split_shortfall"}),
    "insurance and backstop budget": (
        insurance_then_backstop_budget,
        "backstop",
        {"insurance_room_atoms", "split_shortfall", "room", "charge", "nav_drawdown_excess"},
    ),
    "socialised loss": (socialised_loss, "backstop", {"split_shortfall", "nav_drawdown_excess", "charge"}),
    "insurance cover": (
        insurance_cover,
        str(1_000 * USDC),
        {"claim_cover", "in_force", "deductible_left_atoms", "insurance_room_atoms", "split_shortfall"},
    ),
    "execution price": (
        execution_price,
        str(5 * USDC),
        {"execution_gap_bound_wad", "execution_cost_atoms", "charge_execution_cost"},
    ),
    "target health": (
        target_health_sizing,
        "6893243300000000000",
        {"target_health_size_atoms", "repay_to_target_health", "target_reachable"},
    ),
    # H = ⌈599.9/925⌉ = 0.648540540540540541 above h_max 0.5: 1.25% + ⌊1.25%·0.351459459459459459/0.5⌋
    "linear bonus": (linear_bonus, str(12_500_000_000_000_000 + 8_786_486_486_486_486), {"aave_v4_penalty_rate_wad"}),
    "health scaled": (health_scaled, str(2 * PERCENT), {"euler_discount_wad"}),
    "hyperliquid partial": (hyperliquid_partial, str(2 * ETH), {"hyperliquid_liquidation_size"}),
    "policy refused": (
        policy_refused_at_add_market,
        "InvalidParameter ToxicLiquidationPolicy",
        {"no_split_guard_holds", "largest_unsplit_penalty_wad", "largest_health_scaled_penalty_wad"},
    ),
    "uncovered cross debt": (uncovered_cross_debt, "debt uncovered", {"value_to_quote_atoms", "split_shortfall"}),
    "Morpho LIF": (morpho_lif, "15228426395939086", {"morpho_penalty_rate_wad"}),
    "dYdX fillable price": (dydx_fillable_price, str(16_255_000), {"dydx_fillable_gap_wad", "execution_cost_atoms"}),
    # the worked numbers of tests/unit/test_portfolio_auction.py (the share cap; the insolvent payment)
    "portfolio auction, solvent": (
        portfolio_solvent,
        "696164941846599516",
        {
            "elapsed_seconds",
            "lyra_discount_percentage_wad",
            "lyra_solvent_bid_value",
            "solvent_share_cap_wad",
            "solvent_price_atoms",
            "portfolio_share_atoms",
            "moved_basis_atoms",
            "value_to_quote_atoms",
        },
    ),
    "portfolio auction, insolvent": (
        portfolio_insolvent,
        "1776036138",
        {"insolvent_payment_atoms", "split_by_weight", "split_shortfall", "insurance_room_atoms"},
    ),
    "Drift phased": (
        drift_phased,
        "True",
        {"drift_share_bps", "drift_phased_close_atoms", "drift_margin_freed_atoms", "drift_next_phase"},
    ),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_each_liquidation_path_runs_the_certified_functions(path: str) -> None:
    scenario, outcome, expected = PATHS[path]
    with recorded_calls() as calls:
        assert scenario() == outcome
    assert expected <= calls, f"{path} did not run {sorted(expected - calls)}"


def test_every_home_function_the_engine_imports_runs_on_some_path_and_everything_that_runs_is_certified() -> None:
    with recorded_calls() as calls:
        for scenario, _, _ in PATHS.values():
            scenario()
    home, certified = _home_functions(), _certified()
    imported = set().union(*(_imported_from_home(module) for module in ENGINE_MODULES))
    functions = {name for name in imported if name in home and name[0].islower()}
    assert functions - calls == set(), "the engine imports home functions no liquidation path runs"
    ran_uncertified = {name for name in calls if name in home and name not in certified}
    assert ran_uncertified == set(), f"liquidation paths ran {sorted(ran_uncertified)}, which nothing certifies"
