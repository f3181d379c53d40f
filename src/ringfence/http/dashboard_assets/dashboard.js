// ringfence venue dashboard: reads the venue service's public JSON endpoints, then follows its event stream.
//
// Plain JS, no dependency, nothing loaded from anywhere but the service. Money arrives as JSON integers
// in atoms (prices and ratios scaled by 10**18); integers past 2**53 are read as BigInt and every amount
// is formatted from its exact digits, never through a float. Health is a ratio and is binned as a
// float (a statistic, not a balance); stress results are float statistics (USD) by construction.
"use strict";

(() => {
  const HOUR_NS = 3_600_000_000_000n;
  const WAD_DECIMALS = 18;
  const FEED_ROWS = 60;
  const PAGE = 500; // the service's largest page (GET /v1/liquidations?limit=)
  const MAX_FEED_ENTRIES = 20_000; // how many liquidation-feed entries the page holds (and its first load reads) at most
  const MIN_REFRESH_MS = 500; // at most two refreshes a second, however fast events arrive...
  const REFRESH_COST_FACTOR = 2; // ...and never more than a third of the time spent refreshing
  const FEED_COALESCE_MS = 50; // streamed liquidations arriving together are drawn together
  const STRESS_RECHECK_MS = 60_000;
  const RETRY_MS = 5_000;
  const TONES = { bad: "#dc2626", warn: "#f59e0b", ok: "#16a34a" };
  const STATUS_TEXT = { active: "active", reduce_only: "reduce-only", halted: "halted" };
  const REASONS = [
    "below maintenance", "bankrupt", "toxic: a bonus would lower health", "bankrupt after the close",
    "the close would lower health", "below the backstop threshold",
  ];
  const RUNG_NAMES = {
    monolithic: "monolithic (one shared pool)", subaccounts: "sub-accounts",
    isolated_pools: "isolated pools", isolated_positions: "isolated positions",
  };

  const view = {
    settings: null, venue: null, pools: [], markets: new Map(), decimals: new Map(),
    feed: new Map(), // sequence (string) -> entry, every liquidation-feed entry loaded or streamed
    lastSequence: 0n, rendered: new Set(), source: null, feedTimer: null, refreshTimer: null, refreshing: false, lastRefreshEnd: 0, lastRefreshCost: 0,
    pending: false, initialised: false, feedComplete: false,
  };

  // ---- exact numbers ------------------------------------------------------------------------------

  /** Parse JSON keeping integers past 2**53 exact, as BigInt (JSON.parse's source text access). */
  function parseJson(text) {
    return JSON.parse(text, (key, value, context) => {
      if (typeof value === "number" && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)) {
        return BigInt(context.source);
      }
      return value;
    });
  }

  function big(value) {
    return typeof value === "bigint" ? value : BigInt(value ?? 0);
  }

  /** Return the decimal string of `atoms` / 10**decimals, exactly. */
  function fromAtoms(atoms, decimals) {
    const value = big(atoms);
    const negative = value < 0n;
    const digits = (negative ? -value : value).toString().padStart(decimals + 1, "0");
    const whole = digits.slice(0, digits.length - decimals);
    const fraction = decimals ? "." + digits.slice(digits.length - decimals) : "";
    return (negative ? "-" : "") + whole + fraction;
  }

  /** Show a decimal string with `places` decimals, rounded toward zero, thousands grouped. */
  function formatDecimal(text, places = 2) {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (!match) return text;
    const fraction = ((match[3] || "") + "0".repeat(places)).slice(0, places);
    const whole = match[2].replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const isZero = /^0*$/.test(match[2] + fraction);
    return (match[1] && !isZero ? "−" : "") + whole + (places ? "." + fraction : "");
  }

  function money(atoms, decimals, unit, places = 2) {
    if (atoms == null) return element("span", { class: "na" }, "n/a");
    const exact = fromAtoms(atoms, decimals);
    return element("span", { title: `${exact} ${unit} (exact)` }, formatDecimal(exact, places), element("span", { class: "u" }, ` ${unit}`));
  }

  function quoteOf(poolName) {
    const pool = view.pools.find((candidate) => candidate.pool === poolName);
    return pool ? { unit: pool.quote_asset, decimals: pool.quote_decimals } : { unit: "", decimals: 0 };
  }

  function baseOf(poolName, marketName) {
    const market = view.markets.get(`${poolName}/${marketName}`);
    return market ? { unit: market.base_asset, decimals: market.base_decimals } : { unit: "", decimals: 0 };
  }

  function usd(value) {
    if (value == null || !Number.isFinite(value)) return "—";
    const magnitude = Math.abs(value);
    const sign = value < 0 ? "−" : "";
    if (magnitude >= 1e9) return `${sign}$${(magnitude / 1e9).toFixed(2)}B`;
    if (magnitude >= 1e6) return `${sign}$${(magnitude / 1e6).toFixed(2)}M`;
    if (magnitude >= 1e3) return `${sign}$${(magnitude / 1e3).toFixed(2)}k`;
    return `${sign}$${magnitude.toFixed(2)}`;
  }

  function utc(nanoseconds) {
    if (nanoseconds == null) return "—";
    return new Date(Number(big(nanoseconds) / 1_000_000n)).toISOString().replace("T", " ").slice(0, 19);
  }

  // ---- DOM ----------------------------------------------------------------------------------------

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function setCard(id, value, unit, note, alert = false) {
    const card = document.getElementById(id);
    card.classList.toggle("alert", alert);
    const valueNode = card.querySelector(".value");
    valueNode.replaceChildren(String(value));
    if (unit) valueNode.append(" ", element("span", { class: "unit" }, unit));
    const noteNode = card.querySelector(".note");
    noteNode.textContent = note ?? "";
    noteNode.title = note ?? "";
  }

  function showBanner(message) {
    const banner = document.getElementById("banner");
    banner.textContent = message ?? "";
    banner.classList.toggle("shown", Boolean(message));
  }

  // ---- fetching -----------------------------------------------------------------------------------

  async function getJson(path) {
    const response = await fetch(path, { headers: { accept: "application/json" }, cache: "no-store" });
    const text = await response.text();
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try {
        const problem = JSON.parse(text);
        detail = `${problem.error ?? problem.title}: ${problem.detail ?? ""}`;
      } catch (_) { /* not a problem document */ }
      throw new Error(`${path}: ${detail}`);
    }
    return parseJson(text);
  }

  function api(path) {
    return `${view.settings.api}${path}`;
  }

  // ---- pools and breakers -------------------------------------------------------------------------

  function poolAssets(pool) {
    const assets = [pool.quote_asset];
    for (const market of pool.markets) {
      const found = view.markets.get(`${pool.pool}/${market}`);
      if (found && !assets.includes(found.base_asset)) assets.push(found.base_asset);
    }
    return assets;
  }

  function oracleChips(pool, oracles) {
    return element("ul", { class: "oracles" }, poolAssets(pool).map((asset) => {
      const oracle = oracles.get(asset);
      const status = oracle ? oracle.status : "none";
      const price = oracle?.accepted_price_wad != null ? ` ${formatDecimal(fromAtoms(oracle.accepted_price_wad, WAD_DECIMALS))}` : "";
      return element("li", { class: `oracle ${status}`, title: oracle?.reason || `${asset} oracle ${status}, last accepted price${price || " none"}`, "data-asset": asset },
        `${asset}${price} ${status}`);
    }));
  }

  function marketLines(pool) {
    return pool.markets.map((name) => {
      const market = view.markets.get(`${pool.pool}/${name}`);
      if (!market) return element("span", { class: "sub" }, name);
      const size = (atoms) => formatDecimal(fromAtoms(atoms, market.base_decimals), 2);
      return element("span", { class: "sub market", title: `${name}: open interest, long / short, in ${market.base_asset}` },
        element("span", { class: "market-name" }, name), `OI ${size(market.long_atoms)} / ${size(market.short_atoms)}`);
    });
  }

  function sharePrice(pool) {
    if (pool.nav_low_atoms == null || big(pool.total_shares) === 0n) return null;
    // NAV per share, to 4 decimals rounded down: both in quote atoms, so the ratio has no unit scale
    const scaled = (big(pool.nav_low_atoms) * 10_000n) / big(pool.total_shares);
    return `${formatDecimal(fromAtoms(scaled, 4), 4)} ${pool.quote_asset} / share`;
  }

  function poolRow(pool, oracles) {
    const unit = pool.quote_asset, decimals = pool.quote_decimals;
    const status = pool.status;
    const nav = element("td", { class: "num", "data-field": "nav" });
    if (pool.nav_low_atoms == null) {
      nav.append(element("span", { class: "na", title: pool.nav_unavailable ?? "" }, "n/a"),
        element("span", { class: "sub" }, "oracle unavailable; vault ", money(pool.vault_atoms, decimals, unit)));
    } else {
      nav.append(money(pool.nav_low_atoms, decimals, unit));
      // the upper bound only when it differs at the precision shown
      if (formatDecimal(fromAtoms(pool.nav_high_atoms, decimals)) !== formatDecimal(fromAtoms(pool.nav_low_atoms, decimals))) {
        nav.append(element("span", { class: "sub" }, "high ", money(pool.nav_high_atoms, decimals, unit)));
      }
      const share = sharePrice(pool);
      if (share) nav.append(element("span", { class: "sub" }, share));
    }
    const waterfall = [
      ["backstop", pool.backstop_absorbed_atoms], ["ADL", pool.deleveraged_atoms], ["socialised", pool.socialised_loss_atoms],
    ];
    return element("tr", { "data-pool": pool.pool, "data-status": status },
      element("td", { title: `template ${pool.template} v${pool.template_version}` }, element("b", {}, pool.pool), marketLines(pool)),
      element("td", {},
        element("span", { class: `badge ${status}` }, STATUS_TEXT[status] ?? status),
        pool.status_reason ? element("span", { class: "reason" }, pool.status_reason) : null,
        oracleChips(pool, oracles)),
      nav,
      element("td", { class: "num", "data-field": "insurance" }, money(pool.insurance_atoms, decimals, unit)),
      element("td", { class: "num", "data-field": "waterfall" }, waterfall.map(([label, atoms]) =>
        element("span", { class: `line${big(atoms) > 0n ? " hit" : ""}` }, `${label} `, money(atoms, decimals, unit)))),
    );
  }

  function totalsByAsset(pools, field) {
    const totals = new Map();
    for (const pool of pools) {
      if (pool[field] == null) continue;
      const [atoms] = totals.get(pool.quote_asset) ?? [0n];
      totals.set(pool.quote_asset, [atoms + big(pool[field]), pool.quote_decimals]);
    }
    return [...totals.entries()];
  }

  function totalCard(id, totals, note) {
    if (totals.length === 1) {
      const [unit, [atoms, decimals]] = totals[0];
      setCard(id, formatDecimal(fromAtoms(atoms, decimals)), unit, note);
    } else {
      const text = totals.map(([unit, [atoms, decimals]]) => `${formatDecimal(fromAtoms(atoms, decimals))} ${unit}`).join(" + ");
      setCard(id, text || "n/a", "", note);
    }
  }

  function renderPools(breakers) {
    const oracles = new Map(breakers.oracles.map((oracle) => [oracle.asset, oracle]));
    const pools = breakers.pools;
    document.querySelector("#pools tbody").replaceChildren(...(pools.length ? pools.map((pool) => poolRow(pool, oracles))
      : [element("tr", {}, element("td", { colspan: 5, class: "empty" }, "no pool yet"))]));
    const unavailable = pools.filter((pool) => pool.nav_low_atoms == null).length;
    totalCard("card-nav", totalsByAsset(pools, "nav_low_atoms"),
      unavailable ? `n/a for ${unavailable} of ${pools.length} pools (oracle unavailable)` : `${pools.length} pools, lower NAV bound`);
    totalCard("card-insurance", totalsByAsset(pools, "insurance_atoms"), "each pool's own fund, summed");
    const tripped = pools.filter((pool) => pool.status !== "active");
    const degraded = breakers.oracles.filter((oracle) => oracle.status !== "fresh");
    setCard("card-breakers", String(tripped.length), `of ${pools.length} pools`,
      [...tripped.map((pool) => `${pool.pool} ${STATUS_TEXT[pool.status] ?? pool.status}`),
        ...degraded.map((oracle) => `${oracle.asset} oracle ${oracle.status}`)].join(" · ") || "every pool active, every oracle fresh",
      tripped.length > 0);
  }

  // ---- health distribution ------------------------------------------------------------------------

  /** Label and tone of a bucket [lower, upper) of GET /v1/health (the first holds every health below 1). */
  function bucketLook(bucket, index) {
    const number = (value) => String(+value.toFixed(4));
    const label = index === 0 ? `< ${number(bucket.upper)}` : bucket.upper == null ? `≥ ${number(bucket.lower)}`
      : `${number(bucket.lower)} – ${number(bucket.upper)}`;
    const tone = bucket.upper != null && bucket.upper <= 1 ? "bad" : bucket.upper != null && bucket.upper <= 1.25 ? "warn" : "ok";
    return { label, tone };
  }

  function svgNode(tag, attributes, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    if (text != null) node.textContent = text;
    return node;
  }

  function renderHealth(distribution) {
    const bins = distribution.buckets.map(bucketLook);
    const counts = distribution.buckets.map((bucket) => bucket.count);
    const total = counts.reduce((sum, count) => sum + count, 0);
    const width = 640, height = 150, left = 40, right = 8, top = 16, bottom = 24;
    const plotWidth = width - left - right, plotHeight = height - top - bottom;
    const highest = Math.max(1, ...counts), step = plotWidth / counts.length;
    const svg = svgNode("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "margin accounts by health" });
    svg.append(svgNode("line", { x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight, stroke: "#9aa5b1" }));
    svg.append(svgNode("text", { x: left - 6, y: top + 4, "text-anchor": "end" }, String(highest)));
    svg.append(svgNode("text", { x: left - 6, y: top + plotHeight, "text-anchor": "end" }, "0"));
    counts.forEach((count, index) => {
      const bin = bins[index];
      const barHeight = (count / highest) * plotHeight;
      const x = left + index * step + step * 0.15, barWidth = step * 0.7, middle = x + barWidth / 2;
      const bar = svgNode("rect", {
        x: x.toFixed(1), y: (top + plotHeight - barHeight).toFixed(1), width: barWidth.toFixed(1),
        height: barHeight.toFixed(1), fill: TONES[bin.tone], rx: 2, "data-bin": bin.label, "data-count": count,
      });
      bar.append(svgNode("title", {}, `health ${bin.label}: ${count}`));
      svg.append(bar,
        svgNode("text", { x: middle.toFixed(1), y: (top + plotHeight - barHeight - 4).toFixed(1), "text-anchor": "middle", class: "count" }, String(count)),
        svgNode("text", { x: middle.toFixed(1), y: height - 7, "text-anchor": "middle" }, bin.label));
    });
    const legend = element("div", { class: "legend" },
      element("span", {}, element("i", { class: "bad" }), "below maintenance: liquidatable"),
      element("span", {}, element("i", { class: "warn" }), "within 25% of maintenance"),
      element("span", {}, element("i", { class: "ok" }), "healthy"),
      element("span", { class: "counted" }, `${total} margin accounts`,
        distribution.unavailable ? `; ${distribution.unavailable} not computable (oracle unavailable)` : ""));
    document.getElementById("health").replaceChildren(svg, legend);
    const near = counts.filter((count, index) => bins[index].tone === "warn").reduce((sum, count) => sum + count, 0);
    setCard("card-at-risk", String(distribution.below_maintenance), `of ${total}`,
      `${near} more within 25% of it`, distribution.below_maintenance > 0);
  }

  // ---- liquidation feed ---------------------------------------------------------------------------

  function remember(entry) {
    if (!entry || entry.sequence == null) return false;
    const key = String(entry.sequence);
    if (view.feed.has(key)) return false;
    view.feed.set(key, entry);
    // Keep memory bounded on a long watch: drop the oldest entries (a Map iterates in insertion order,
    // which is sequence order here); if one was inside the last hour, the hour's count becomes a floor.
    while (view.feed.size > MAX_FEED_ENTRIES) {
      const [oldestKey, oldest] = view.feed.entries().next().value;
      view.feed.delete(oldestKey);
      const time = oldest.payload.timestamp_ns;
      if (time != null && view.venue && big(time) >= big(view.venue.now_ns) - HOUR_NS) view.feedComplete = false;
    }
    return true;
  }

  /** Group the feed's entries by the command that produced them, newest command first. */
  function feedCommands() {
    const commands = new Map();
    const ordered = [...view.feed.values()].sort((a, b) => (big(a.sequence) < big(b.sequence) ? -1 : 1));
    for (const entry of ordered) {
      const group = commands.get(entry.command_id) ?? { entries: [], last: 0n };
      group.entries.push(entry);
      group.last = big(entry.sequence);
      commands.set(entry.command_id, group);
    }
    return [...commands.values()].sort((a, b) => (a.last > b.last ? -1 : 1));
  }

  function waterfallNote(entries, pool) {
    const { unit, decimals } = quoteOf(pool);
    const steps = [];
    for (const entry of entries) {
      const payload = entry.payload;
      if (payload.pool !== pool) continue;
      if (entry.type === "InsuranceDrawn") steps.push(["insurance", payload.amount_atoms]);
      if (entry.type === "BackstopAbsorbed") steps.push(["LP backstop", payload.amount_atoms]);
      if (entry.type === "LossSocialised") steps.push(["socialised", payload.amount_atoms]);
      if (entry.type === "AutoDeleveraged") steps.push([`ADL ${payload.owner}/${payload.sub_account}`, payload.forgone_atoms]);
    }
    return steps.map(([label, atoms], index) => [index ? " · " : "", element("span", { class: "cover" }, `${label} `, money(atoms, decimals, unit))]);
  }

  /** Return when a command's liquidation happened: the first timestamp among its entries (a close carries none). */
  function groupTime(group) {
    const stamped = group.entries.find((entry) => entry.payload.timestamp_ns != null);
    return stamped ? big(stamped.payload.timestamp_ns) : null;
  }

  function timeCell(nanoseconds) {
    return element("td", { class: "time" }, utc(nanoseconds).slice(11), element("span", { class: "sub" }, utc(nanoseconds).slice(0, 10)));
  }

  function closeRow(entry, group, fresh) {
    const payload = entry.payload;
    const record = group.entries.find((other) => other.type === "LiquidationRecorded" && other.payload.owner === payload.owner
      && other.payload.sub_account === payload.sub_account && other.payload.market === payload.market);
    const quote = quoteOf(payload.pool), base = baseOf(payload.pool, payload.market);
    const path = record?.payload.path ?? "";
    const reason = record ? REASONS[Number(record.payload.reason)] ?? String(record.payload.reason) : "";
    const shortfall = big(payload.shortfall_atoms);
    const closed = -big(payload.size_delta_atoms); // closing a long sells: the closed size is the position's own sign
    const cover = waterfallNote(group.entries, payload.pool);
    const row = element("tr", { class: fresh ? "fresh" : null, "data-sequence": String(entry.sequence), "data-kind": "liquidation" },
      timeCell(groupTime(group)),
      element("td", {}, element("b", { "data-field": "account" }, `${payload.owner}/${payload.sub_account}`),
        element("span", { class: "sub" }, payload.pool), element("span", { class: "sub" }, payload.market)),
      element("td", { class: "num", "data-field": "closed" }, money(closed < 0n ? -closed : closed, base.decimals, base.unit, 4),
        element("span", { class: "side" }, closed < 0n ? " short" : " long"),
        element("span", { class: "sub" }, "at ", money(payload.price_wad, WAD_DECIMALS, quote.unit))),
      element("td", {}, element("span", { class: `path ${path}` }, path || "—"),
        element("span", { class: "sub" }, reason),
        element("span", { class: "sub" }, `keeper ${payload.keeper_owner}/${payload.keeper_sub_account}`)),
      element("td", { class: `num${shortfall > 0n ? " shortfall" : ""}`, "data-field": "shortfall" },
        money(shortfall, quote.decimals, quote.unit)));
    if (!cover.length) return [row];
    row.classList.add("has-cover");
    return [row, element("tr", { class: `cover-row${fresh ? " fresh" : ""}`, "data-cover-of": String(entry.sequence) },
      element("td", {}), element("td", { colspan: 4 }, "shortfall covered by ", cover))];
  }

  function otherRow(entry, fresh) {
    const payload = entry.payload;
    const quote = quoteOf(payload.pool);
    let text;
    if (entry.type === "CollateralAuctionStarted") {
      text = [`auction #${payload.auction_id} of ${payload.owner}/${payload.sub_account}'s ${payload.asset}: debt `, money(payload.debt_atoms, quote.decimals, quote.unit)];
    } else if (entry.type === "CollateralTaken") {
      text = [`auction #${payload.auction_id}: ${payload.taker_owner} paid `, money(payload.paid_atoms, quote.decimals, quote.unit)];
    } else {
      text = [entry.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()];
    }
    return element("tr", { class: fresh ? "fresh" : null, "data-sequence": String(entry.sequence), "data-kind": entry.type },
      timeCell(payload.timestamp_ns), element("td", { colspan: 4 }, `${payload.pool} · `, text));
  }

  const OTHER_FEED_EVENTS = ["CollateralAuctionStarted", "CollateralTaken", "InsuranceDrawn", "BackstopAbsorbed",
    "LossSocialised", "AutoDeleveraged"];

  function renderFeed() {
    const rows = [];
    for (const group of feedCommands()) {
      const closes = group.entries.filter((entry) => entry.type === "PositionLiquidated");
      const shown = closes.length ? closes : group.entries.filter((entry) => OTHER_FEED_EVENTS.includes(entry.type));
      for (const entry of [...shown].reverse()) {
        const key = String(entry.sequence);
        // highlighted once, when it first appears after the page's first load
        const fresh = view.initialised && !view.rendered.has(key);
        view.rendered.add(key);
        rows.push(...(entry.type === "PositionLiquidated" ? closeRow(entry, group, fresh) : [otherRow(entry, fresh)]));
        if (rows.length >= FEED_ROWS) break;
      }
      if (rows.length >= FEED_ROWS) break;
    }
    document.querySelector("#feed tbody").replaceChildren(...rows);
    document.getElementById("feed-empty").hidden = rows.length > 0;
    renderLiquidationCard();
  }

  function renderLiquidationCard() {
    const now = view.venue ? big(view.venue.now_ns) : 0n;
    const recent = [];
    for (const group of feedCommands()) {
      const time = groupTime(group);
      if (time == null || time < now - HOUR_NS) continue;
      recent.push(...group.entries.filter((entry) => entry.type === "PositionLiquidated"));
    }
    const shortfalls = totalsByAsset(recent.map((entry) => ({ ...quoteOfPool(entry.payload.pool), shortfall: entry.payload.shortfall_atoms })), "shortfall");
    const shortText = shortfalls.map(([unit, [atoms, decimals]]) => `${formatDecimal(fromAtoms(atoms, decimals))} ${unit}`).join(" + ") || "0";
    setCard("card-liquidations", `${view.feedComplete ? "" : "≥ "}${recent.length}`, "",
      `shortfall ${shortText}`, false);
  }

  function quoteOfPool(poolName) {
    const { unit, decimals } = quoteOf(poolName);
    return { quote_asset: unit, quote_decimals: decimals };
  }

  /** Read the liquidation feed back from the head until it holds an hour and a screen of closes. */
  async function loadRecentFeed(head, nowNs) {
    let span = 4096n;
    for (;;) {
      const after = head > span ? head - span : 0n;
      let cursor = after, count = 0;
      view.feed.clear();
      for (;;) {
        const page = await getJson(api(`/liquidations?after=${cursor}&limit=${PAGE}`));
        page.forEach(remember);
        count += page.length;
        if (page.length < PAGE || count >= MAX_FEED_ENTRIES) break;
        cursor = big(page[page.length - 1].sequence);
      }
      const closes = [...view.feed.values()].filter((entry) => entry.type === "PositionLiquidated");
      const groups = feedCommands();
      const oldest = groups.length ? groupTime(groups[groups.length - 1]) : null;
      const coversHour = oldest != null && oldest < nowNs - HOUR_NS;
      if (after === 0n || count >= MAX_FEED_ENTRIES || (coversHour && closes.length >= FEED_ROWS)) {
        view.feedComplete = after === 0n || coversHour;
        return;
      }
      span *= 8n;
    }
  }

  // ---- stress results -----------------------------------------------------------------------------

  function estimateCell(estimate, format) {
    if (!estimate) return element("td", { class: "num" }, "—");
    if (estimate.value == null) {
      return element("td", { class: "num", title: estimate.method ?? "" }, "n/a",
        element("span", { class: "ci" }, estimate.runs_needed ? `needs ${estimate.runs_needed} runs` : "not supported"));
    }
    return element("td", { class: "num", title: `95% interval, ${estimate.method ?? ""}; ${estimate.runs} runs` }, format(estimate.value),
      estimate.low != null ? element("span", { class: "ci" }, `${format(estimate.low)} – ${format(estimate.high)}`) : null);
  }

  const times = (value) => `${value.toFixed(2)}×`;
  const count = (value) => value.toFixed(1);

  function ladderTable(results) {
    const rows = results.ladder.map((rung) => {
      const intervals = rung.summary.intervals ?? {};
      const isBase = rung.isolation === results.base.isolation && rung.margin_scale === results.base.margin_scale;
      return element("tr", { "data-rung": rung.isolation, class: isBase ? "base" : null },
        element("td", {}, RUNG_NAMES[rung.isolation] ?? rung.isolation, isBase ? element("span", { class: "sub" }, "the scenario's own design") : null),
        element("td", { class: "num" }, `×${rung.margin_scale}`),
        estimateCell(intervals.bad_debt_mean_usd, usd),
        estimateCell(intervals.var95_usd, usd),
        estimateCell(intervals.evar99_usd, usd),
        estimateCell(intervals.contagion_mean_usd, usd),
        estimateCell(intervals.capital_efficiency_mean, times),
        estimateCell(intervals.liquidation_count_mean, count));
    });
    return element("table", { class: "ladder" },
      element("thead", {}, element("tr", {},
        element("th", {}, "isolation rung"), element("th", { class: "num" }, "margins"),
        element("th", { class: "num" }, "bad debt / run"), element("th", { class: "num" }, "VaR95"),
        element("th", { class: "num" }, "EVaR99"), element("th", { class: "num" }, "contagion / run"),
        element("th", { class: "num" }, "capital efficiency"), element("th", { class: "num" }, "liquidations / run"))),
      element("tbody", {}, rows));
  }

  function poolTable(results) {
    const pools = results.base.summary.per_pool ?? [];
    return element("table", { class: "per-pool" },
      element("thead", {}, element("tr", {},
        element("th", {}, "pool (own design)"), element("th", { class: "num" }, "bad debt / run"),
        element("th", { class: "num" }, "VaR95"), element("th", { class: "num" }, "LaR95"),
        element("th", { class: "num" }, "insurance drawdown"))),
      element("tbody", {}, pools.map((pool) => element("tr", { "data-pool": pool.pool },
        element("td", {}, pool.pool), estimateCell(pool.bad_debt_mean, usd), estimateCell(pool.var95, usd),
        estimateCell(pool.lar95, usd), estimateCell(pool.insurance_drawdown_mean, usd)))));
  }

  function renderStress(stress) {
    const target = document.getElementById("stress");
    const results = stress?.results;
    if (!results || !results.base) {
      target.replaceChildren(element("div", { class: "empty" },
        "No stress results on this service. Run `ringfence stress --out DIR`, then start it with `ringfence serve --results DIR`."));
      return;
    }
    const scenario = results.scenario ?? {};
    const head = element("p", { class: "scenario" }, element("b", {}, scenario.name ?? "stress study"),
      ` · ${results.runs_per_design} runs per design · seed ${scenario.seed} · base design ${RUNG_NAMES[results.base.isolation] ?? results.base.isolation}, margins ×${results.base.margin_scale}`,
      element("span", { class: "source", title: stress.source }, ` · written ${utc(stress.modified_ns)} UTC`));
    const parts = [head];
    if (results.ladder?.length) {
      parts.push(element("h3", {}, "Isolation ladder: the same population and price paths under each design"), ladderTable(results));
    }
    parts.push(element("h3", {}, "Per pool, the scenario's own design"), poolTable(results));
    target.replaceChildren(...parts);
  }

  async function refreshStress() {
    try {
      view.settings = await getJson("settings.json");
      renderStress(view.settings.stress_results ? await getJson(api("/stress")) : null);
    } catch (error) {
      showBanner(`Could not load the stress results: ${error.message}`);
    }
  }

  // ---- refresh and stream -------------------------------------------------------------------------

  async function refreshFigures() {
    const started = performance.now();
    const [venue, markets, breakers, health] = await Promise.all([
      getJson(api("/venue")), getJson(api("/markets")), getJson(api("/breakers")), getJson(api("/health")),
    ]);
    view.venue = venue;
    view.markets = new Map(markets.map((market) => [`${market.pool}/${market.market}`, market]));
    view.pools = breakers.pools;
    renderPools(breakers);
    renderHealth(health);
    document.getElementById("as-of").textContent = `venue clock ${utc(venue.now_ns)} UTC`;
    document.getElementById("sequence").textContent = `journal seq ${venue.head_sequence}`;
    view.lastRefreshCost = performance.now() - started;
    return venue;
  }

  function scheduleRefresh() {
    view.pending = true;
    if (view.refreshTimer || view.refreshing) return;
    const gap = Math.max(MIN_REFRESH_MS, view.lastRefreshCost * REFRESH_COST_FACTOR);
    const wait = Math.max(0, gap - (performance.now() - view.lastRefreshEnd));
    view.refreshTimer = setTimeout(runRefresh, wait);
  }

  async function runRefresh() {
    view.refreshTimer = null;
    view.refreshing = true;
    view.pending = false;
    try {
      await refreshFigures();
      renderFeed();
      showBanner(null);
    } catch (error) {
      showBanner(`Could not refresh the figures: ${error.message}`);
      setTimeout(scheduleRefresh, RETRY_MS); // try again even if no event comes to prompt it
    } finally {
      view.refreshing = false;
      view.lastRefreshEnd = performance.now();
      if (view.pending) scheduleRefresh();
    }
  }

  /** Show streamed liquidations at once (coalesced over FEED_COALESCE_MS), ahead of the throttled refresh. */
  function scheduleFeed() {
    if (view.feedTimer) return;
    view.feedTimer = setTimeout(() => {
      view.feedTimer = null;
      renderFeed();
    }, FEED_COALESCE_MS);
  }

  function setStream(state, text) {
    const badge = document.getElementById("stream");
    badge.dataset.state = state;
    badge.textContent = text;
  }

  function onEvent(message) {
    let entry;
    try {
      entry = parseJson(message.data);
    } catch (_) {
      return;
    }
    if (big(entry.sequence) <= view.lastSequence) return; // already seen (a resumed stream repeats nothing we keep)
    view.lastSequence = big(entry.sequence);
    if (view.settings.liquidation_events.includes(entry.type) && remember(entry)) scheduleFeed();
    scheduleRefresh();
  }

  function follow() {
    const source = new EventSource(api(`/events?after=${view.lastSequence}`));
    view.source = source;
    for (const type of view.settings.event_types) source.addEventListener(type, onEvent);
    source.onopen = () => {
      setStream("live", "live");
      scheduleRefresh(); // after a reconnection the figures may be older than the stream
    };
    source.onerror = () => {
      // Reopen from the last sequence we hold ourselves, whatever the browser would resume from.
      source.close();
      setStream("reconnecting", "reconnecting…");
      setTimeout(follow, 1000);
    };
  }

  async function start() {
    try {
      view.settings = await getJson("settings.json");
      const venue = await refreshFigures();
      view.lastSequence = big(venue.head_sequence);
      await loadRecentFeed(view.lastSequence, big(venue.now_ns));
      renderFeed();
      view.initialised = true;
      document.body.dataset.loaded = "true";
      follow();
      refreshStress();
      setInterval(refreshStress, STRESS_RECHECK_MS);
    } catch (error) {
      setStream("down", "not connected");
      showBanner(`Could not load the dashboard: ${error.message}`);
    }
  }

  start();
})();
