from ringfence import (
    Deposit,
    Engine,
    Liquidate,
    ManualClock,
    MarginKind,
    MarginMode,
    MemoryJournal,
    RingfenceError,
    SubmitPrice,
    Trade,
    Withdraw,
    base_price_wad,
    create_venue,
    format_fixed,
    isolated_margin,
    margin_snapshot,
    parse_amount,
    parse_price,
    pool_nav_atoms,
)

ORACLE = {  # one feeder, "feed"; guards and stable-price tuning as in examples/venue.toml
    "sources": ["feed"], "quorum": 1, "max_staleness": "1h", "max_deviation": "2%", "max_confidence": "1%",
    "max_jump": "15%", "guard_release": "5m", "delay_interval": "1h", "delay_growth_limit": "6%",
    "stable_growth_limit": "0.03%",
}
VENUE = {  # a venue file's tables, in human units (README: "Define a venue")
    "venue": {"name": "quickstart", "admin": "admin", "start": "2026-01-01T00:00:00Z"},
    "assets": {
        "USDC": {"decimals": 6, "initial_weight": "98%", "maintenance_weight": "99%"},
        "ETH": {"decimals": 18, "initial_weight": "80%", "maintenance_weight": "85%"},
    },
    "oracles": {"USDC": ORACLE, "ETH": ORACLE},
    "prices": {"USDC": "1", "ETH": "4000"},
    "pools": {"eth": {
        "template": "perp", "quote_asset": "USDC", "lp_fee_share": "70%", "insurance_fee_share": "20%",
        "reserve_factor": "50%", "liquidation_penalty": "1%", "liquidator_share": "50%",
        "insurance_draw_cap": "10000", "insurance_window": "1h", "close_factor": "50%", "nav_drawdown_limit": "20%",
        "markets": {"ETH-PERP": {
            "base_asset": "ETH", "initial_margin": "10%", "maintenance_margin": "5%", "spread": "0.05%",
            "taker_fee": "0.05%", "skew_scale": "100000", "max_funding_rate_per_day": "1%",
            "open_interest_cap": "100000", "pnl_weight": "80%",
        }},
    }},
    "deposits": [{"owner": "lpfund", "asset": "USDC", "amount": "1000000"}],
    "liquidity": [{"owner": "lpfund", "pool": "eth", "amount": "500000"}],
    "insurance": [{"owner": "lpfund", "pool": "eth", "amount": "5000"}],
}
USDC, ETH = 6, 18  # decimals: amounts are integer atoms

engine = Engine(MemoryJournal())  # SqliteJournal("venue.sqlite") for a durable venue
venue = create_venue(engine, VENUE)  # the admin's genesis, one all-or-nothing batch
clock = ManualClock(venue.start_ns)  # the core reads no clock: each command carries its time
now = clock.advance(60 * 10**9)

# carol deposits and opens 10 ETH long with 4,500 USDC in the position's own (isolated) vault;
# dave goes 5 ETH long on his sub-account's cross margin. Each command names its sender.
engine.execute(Deposit("carol", 0, "USDC", parse_amount("10000", USDC), now), sender="carol")
engine.execute(Deposit("dave", 0, "USDC", parse_amount("5000", USDC), now), sender="dave")
engine.execute(
    Trade("carol", 0, "eth", "ETH-PERP", parse_amount("10", ETH), MarginMode.ISOLATED,
          parse_amount("4500", USDC), 0, now),
    sender="carol",
)
engine.execute(Trade("dave", 0, "eth", "ETH-PERP", parse_amount("5", ETH), MarginMode.CROSS, 0, 0, now), sender="dave")

# A refused command raises a named error and changes nothing.
try:
    engine.execute(Withdraw("carol", 0, "USDC", parse_amount("1", USDC), now), sender="mallory")
except RingfenceError as error:
    print(f"refused: {type(error).__name__}: {error}")

# ETH falls 10%: the feeder sends the price. Then a keeper liquidates carol's position.
now = clock.advance(60 * 10**9)
engine.execute(SubmitPrice("ETH", "feed", parse_price("3600"), 0, now, now), sender="feed")
events = engine.execute(Liquidate("keeper", 0, "carol", 0, "eth", "ETH-PERP", now), sender="keeper")
print("liquidation:", ", ".join(type(event).__name__ for event in events))

# Read the state: the pool, carol's position, dave's account, the keeper's reward.
state = engine.state
pool = state.pools["eth"]
low, high = pool_nav_atoms(state, pool, now)
print(f"pool eth: LP vault {format_fixed(pool.vault_atoms, USDC)} USDC, insurance "
      f"{format_fixed(pool.insurance_atoms, USDC)} USDC, NAV {format_fixed(low, USDC)}–{format_fixed(high, USDC)}")
position = pool.positions[(("carol", 0), "ETH-PERP")]
price = base_price_wad(state, "ETH", now)
carol = isolated_margin(state, pool, "ETH-PERP", position, MarginKind.MAINTENANCE, price)
print(f"carol: {format_fixed(position.size_atoms, ETH)} ETH long left, isolated margin "
      f"{format_fixed(position.isolated_margin_atoms, USDC)} USDC, "
      f"maintenance health {format_fixed((carol.health_wad() or 0) // 10**14, 4)}")
dave = margin_snapshot(state, ("dave", 0), MarginKind.MAINTENANCE, now)  # cross: value atoms, 6 decimals of USD
print(f"dave: equity {format_fixed(dave.equity_atoms, 6)} USD against {format_fixed(dave.requirement_atoms, 6)} "
      f"required (cross, healthy: {dave.is_healthy})")
print(f"keeper earned {format_fixed(state.accounts[('keeper', 0)].balances['USDC'], USDC)} USDC")
