"""The report's stylesheet, inlined into ``report.html`` (the page loads nothing from anywhere)."""

from __future__ import annotations

__all__ = ["CSS"]

CSS = """
:root {
  --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --paper: #ffffff; --wash: #f5f7fa;
  --accent: #2563eb; --warn: #b45309; --bad: #b91c1c;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { background: var(--wash); }
body {
  margin: 0 auto; max-width: 1120px; padding: 2.5rem 2rem 4rem; color: var(--ink); background: var(--paper);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  box-shadow: 0 0 0 1px var(--line);
}
header { border-bottom: 3px solid var(--ink); padding-bottom: 1.2rem; margin-bottom: 1.5rem; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .75rem; color: var(--muted); margin: 0; }
h1 { font-size: 2rem; line-height: 1.2; margin: .2rem 0 .6rem; }
h2 { font-size: 1.3rem; margin: 2.6rem 0 .3rem; padding-top: 1rem; border-top: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
p { margin: .4rem 0 .8rem; }
.description { font-size: 1.05rem; max-width: 52rem; }
.sources { margin: .3rem 0 0; padding-left: 1.2rem; color: var(--muted); font-size: .9rem; }
.engine {
  display: inline-block; font-size: .78rem; color: var(--muted); border: 1px solid var(--line);
  border-radius: 999px; padding: .05rem .6rem; margin: 0 0 .6rem;
}
.engine b { color: var(--ink); font-weight: 600; }
dl.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: 1rem 0 0; font-size: .9rem;
}
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5rem, 1fr)); gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; background: var(--paper); }
.card .label { font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.card .value { font-size: 1.35rem; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: .15rem; }
.card .note { font-size: .75rem; color: var(--muted); }
figure { margin: 1rem 0 1.4rem; }
figure svg, figure img { display: block; width: 100%; height: auto; }
figcaption { font-size: .88rem; color: var(--muted); max-width: 56rem; margin-top: .4rem; }
figcaption b { color: var(--ink); }
.table-wrap { overflow-x: auto; margin: .6rem 0 1.2rem; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .84rem; font-variant-numeric: tabular-nums; }
th, td { padding: .4rem .65rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { text-align: left; background: var(--wash); font-weight: 600; vertical-align: bottom; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:last-child td { border-bottom: none; }
th:first-child, td:first-child { position: sticky; left: 0; background: inherit; }
thead th:first-child { background: var(--wash); }
.note { color: var(--muted); font-size: .88rem; }
.callout {
  border-left: 3px solid var(--warn); background: #fffbeb; padding: .5rem .9rem; margin: .8rem 0; font-size: .9rem;
}
.finding {
  border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px;
  background: #f8fafc; padding: .2rem 1.2rem .6rem; margin: 0 0 1.2rem;
}
.finding h2 { border-top: none; margin: .6rem 0 .2rem; padding-top: 0; }
.finding .headline { font-size: 1.08rem; line-height: 1.6; max-width: 62rem; }
.finding ul.ladder-findings { margin: .2rem 0 .6rem; padding-left: 1.3rem; }
.finding ul.ladder-findings li { margin: .2rem 0; }
.not-computed { margin: -.6rem 0 1rem; }
.card .value .figure { display: block; }
.card .value .ci { display: block; font-size: .75rem; font-weight: 400; color: var(--muted); margin-top: .1rem; }
.card .value .needs { display: block; font-size: .95rem; font-weight: 600; color: var(--warn); }
td .figure { display: block; }
td .ci { display: block; font-size: .72rem; color: var(--muted); }
td .needs { color: var(--warn); font-style: italic; }
.key-table th { white-space: normal; }
.wrap-table td, .wrap-table th { white-space: normal; }
details.full-table { margin: -.4rem 0 1.2rem; }
details.full-table summary { cursor: pointer; color: var(--accent); font-size: .9rem; margin-bottom: .4rem; }
dl.defs dt { font-weight: 600; margin-top: .6rem; }
dl.defs dd { margin: .1rem 0 0 0; color: var(--ink); max-width: 56rem; }
code { font-family: var(--mono); font-size: .85em; background: var(--wash); padding: 0 .25em; border-radius: 3px; }
footer {
  margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--line); font-size: .8rem; color: var(--muted);
}
@media print {
  html { background: none; }
  body { box-shadow: none; max-width: none; padding: 0; }
}
"""
