"""The compliance report's file forms: JSON, one CSV per table, one self-contained HTML page.

Pure: each function takes the report data of :func:`worker.core.compliance.build_report` and
returns text; the compliance service writes the files. The same data gives the same bytes
(sorted keys, fixed row order, Unix line ends). The HTML has inline CSS (with print
rules) and inline SVG charts, and no script, image or link that reaches the network.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

#: CSV table name → header, in file order.
CSV_TABLES: Mapping[str, Sequence[str]] = {
    "inventory": (
        "dataset",
        "system",
        "source",
        "entities",
        "special_categories",
        "category",
        "owner",
        "owner_source",
        "steward",
        "decision_state",
        "columns",
    ),
    "inventory_by_entity": ("entity", "datasets"),
    "inventory_by_system": ("system", "datasets"),
    "flows": (
        "masked",
        "source",
        "source_system",
        "source_column",
        "upstream_masked",
        "s3_dataset",
        "s3_column",
        "downstream_masked",
        "target",
        "target_system",
        "target_column",
        "entities",
        "special_categories",
        "column_map",
    ),
    "contracts": (
        "item",
        "contract",
        "dataset",
        "status",
        "owner",
        "outcome",
        "kind",
        "column",
        "rule",
        "expected",
        "observed",
        "reason",
        "passed",
        "violations_by_kind",
    ),
    "kpis": ("id", "name", "value", "unit", "numerator", "denominator", "definition", "note"),
    "steward_activity": ("audit_id", "at", "actor", "action", "target", "state", "count", "reason"),
    "changes": ("change", "item"),
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(report: Mapping[str, Any]) -> str:
    """The report as JSON text (sorted keys, two-space indent, final newline)."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    text = str(value)
    # A spreadsheet would run a cell starting like a formula (CSV injection).
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _inventory_columns(row: Mapping[str, Any]) -> str:
    parts = []
    for e in row["entities"]:
        for c in e["columns"]:
            share = c["partition_share"]
            suffix = f"@{share:g}" if share is not None else ""
            if c["state"] != e["state"]:
                suffix += f"({c['state']})"
            parts.append(f"{c['column']}:{e['entity']}{suffix}")
    return ";".join(parts)


def _kinds(counts: Mapping[str, int]) -> str:
    return ";".join(f"{kind}:{n}" for kind, n in counts.items())


def _contract_rows(section: Mapping[str, Any]) -> list[list[Any]]:
    """The ``contracts`` table's rows.

    Per contract a ``contract`` row (its counts), then its ``violation`` rows (forbidden PII
    first) and ``not_checkable`` rows; then one ``no_contract`` row per PII dataset without a
    contract.
    """
    rows: list[list[Any]] = []
    for c in section["contracts"]:
        head = [c["contract"], c["dataset"], c["status"], c["owner"] or c["team"], c["outcome"]]
        rows.append(["contract", *head, None, None, None, None, None, None, c["passed"],
                     _kinds(c["violations_by_kind"])])  # fmt: skip
        for v in c["violations"]:
            rows.append(["violation", *head, v["kind"], v["column"], v["rule"], v["expected"],
                         v["observed"], None, None, None])  # fmt: skip
        for u in c["not_checkable"]:
            rows.append(["not_checkable", *head, None, u["column"], u["rule"], None, None,
                         u["reason"], None, None])  # fmt: skip
    for dataset in section["pii_datasets_without_contract"] or []:
        rows.append(["no_contract", None, dataset, *[None] * 11])
    return rows


def csv_tables(report: Mapping[str, Any]) -> dict[str, str]:
    """Table name → CSV text, one per table of :data:`CSV_TABLES`.

    ``changes`` only with a previous report, ``contracts`` only with a contracts folder.
    """
    inv = report["inventory"]
    tables: dict[str, list[list[Any]]] = {
        "inventory": [
            [
                r["dataset"],
                r["system"],
                r["source"],
                [f"{e['entity']}({e['state']})" for e in r["entities"]],
                r["special_categories"],
                r["category"],
                r["owner"],
                r["owner_source"],
                r["steward"],
                r["decision_state"],
                _inventory_columns(r),
            ]
            for r in inv["datasets"]
        ],
        "inventory_by_entity": [[k, v] for k, v in inv["by_entity"].items()],
        "inventory_by_system": [[k, v] for k, v in inv["by_system"].items()],
        "flows": [[f[h] for h in CSV_TABLES["flows"]] for f in report["flows"]],
        "kpis": [[k[h] for h in CSV_TABLES["kpis"]] for k in report["kpis"]],
        "steward_activity": [
            [d[h] for h in CSV_TABLES["steward_activity"]]
            for d in report["steward_activity"]["decisions"]
        ],
    }
    if report["contracts"]["configured"]:
        tables["contracts"] = _contract_rows(report["contracts"])
    changes = report.get("changes")
    if changes is not None:
        rows: list[list[Any]] = []
        for kind in ("new_pii_datasets", "removed_pii_datasets", "new_flows", "removed_flows"):
            rows.extend([kind, item] for item in changes[kind])
        rows.append(["decisions_made", changes["decisions_made"]])
        rows.append(["previous_period", changes["previous_period"]])
        tables["changes"] = rows
    return {name: _csv(CSV_TABLES[name], rows) for name, rows in tables.items()}


# -- HTML ------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232b;margin:2rem;}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.25rem;border-bottom:2px solid #2f5d8a;
padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
.meta{color:#555}.meta code{font-size:.85em}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.9em}
th,td{border:1px solid #cfd6de;padding:.25rem .45rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#eef2f6}tr.unmasked td{background:#fdecea}
.flag{display:inline-block;padding:0 .35rem;border-radius:3px;background:#b3261e;color:#fff;
font-size:.8em;margin-right:.2rem;white-space:nowrap}.ok{color:#1b6e3a;white-space:nowrap}
.bad{color:#b3261e;font-weight:600;white-space:nowrap}
.kpi-def{color:#444;font-size:.85em}.charts{display:flex;flex-wrap:wrap;gap:2rem}
svg text{font:11px sans-serif;fill:#1d232b}
@media print{body{margin:0;font-size:10pt}h2{page-break-after:avoid}
table{page-break-inside:auto}tr{page-break-inside:avoid}
section{page-break-before:always}section:first-of-type{page-break-before:auto}
tr.unmasked td{background:#fdecea !important;-webkit-print-color-adjust:exact;
print-color-adjust:exact}}
"""


def _e(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], classes: Iterable[str] = ()
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    class_list = list(classes)
    for i, row in enumerate(rows):
        cls = class_list[i] if i < len(class_list) and class_list[i] else ""
        attr = f' class="{cls}"' if cls else ""
        body.append(f"<tr{attr}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(header)}">none</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(title: str, data: Mapping[str, float], fmt: str = "{:g}", width: int = 420) -> str:
    """A horizontal bar chart as inline SVG (``title`` is its accessible name)."""
    items = list(data.items())
    bar, gap, label_w = 16, 6, 190
    height = max(1, len(items)) * (bar + gap) + 8
    top = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + i * (bar + gap)
        w = (width - label_w - 60) * (value / top)
        parts.append(
            f'<text x="0" y="{y + 12}">{escape(label[:30])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="#2f5d8a"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 12}">{escape(fmt.format(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _kpi_value(kpi: Mapping[str, Any]) -> str:
    value = kpi["value"]
    if value is None:
        return "—"
    if kpi["unit"] == "share":
        return f"{value * 100:.1f}% ({kpi['numerator']} of {kpi['denominator']})"
    return f"{value:g} {kpi['unit']}" if kpi["unit"] != "count" else f"{value:g}"


def _inventory_html(report: Mapping[str, Any]) -> str:
    inv = report["inventory"]
    rows = []
    for r in inv["datasets"]:
        flags = "".join(f'<span class="flag">{escape(s)}</span>' for s in r["special_categories"])
        ents = "<br>".join(
            f"{escape(e['entity'])} ({escape(e['state'])}): "
            + escape(
                ", ".join(
                    c["column"] + ("" if c["state"] == e["state"] else f" ({c['state']})")
                    for c in e["columns"]
                )
            )
            for e in r["entities"]
        )
        rows.append(
            [
                _e(r["dataset"]),
                _e(r["system"]),
                ents,
                flags or "—",
                _e(r["category"]),
                _e(r["owner"]) + ("" if r["owner"] is None else f" ({escape(r['owner_source'])})"),
                _e(r["steward"]),
                _e(r["decision_state"]),
            ]
        )
    charts = (
        '<div class="charts"><figure>'
        + bar_chart("Datasets by entity", inv["by_entity"])
        + "<figcaption>Datasets by entity</figcaption></figure><figure>"
        + bar_chart("Datasets by system", inv["by_system"])
        + "<figcaption>Datasets by system</figcaption></figure></div>"
    )
    table = _table(
        (
            "Dataset",
            "System",
            "Entities (state): columns",
            "Special",
            "Category",
            "Owner (from)",
            "Steward",
            "Decision",
        ),  # fmt: skip
        rows,
    )
    return (
        '<section id="inventory"><h2>1. PII inventory (data map)</h2>'
        f"<p>{len(inv['datasets'])} datasets hold personal data. Evidence is the column and "
        "the share of sampled partitions where the entity holds; no sampled value is shown."
        f"</p>{charts}{table}</section>"
    )


def _flows_html(report: Mapping[str, Any]) -> str:
    flows = report["flows"]
    unmasked = sum(1 for f in flows if not f["masked"])
    rows, classes = [], []
    for f in flows:
        rows.append(
            [
                '<span class="ok">masked</span>'
                if f["masked"]
                else '<span class="bad">unmasked</span>',
                _e(f"{f['source']}.{f['source_column']}" if f["source"] else None),
                _e(f["upstream_masked"]),
                _e(f"{f['s3_dataset']} {f['s3_column']}"),
                _e(f["downstream_masked"]),
                _e(f"{f['target']}.{f['target_column']}" if f["target"] else None),
                _e(f["entities"]),
            ]
        )
        classes.append("" if f["masked"] else "unmasked")
    table = _table(
        (
            "Masked",
            "From (table.column)",
            "Hop 1 masks",
            "Through S3 (dataset column)",
            "Hop 2 masks",
            "Into (table.column)",
            "Entities",
        ),  # fmt: skip
        rows,
        classes,
    )
    return (
        '<section id="flows"><h2>2. Personal-data flows</h2>'
        f"<p>{len(flows)} flows carry a PII column; {unmasked} are not masked on any hop "
        f"(listed first).</p>{table}</section>"
    )


def _contracts_html(report: Mapping[str, Any]) -> str:
    section = report["contracts"]
    head = '<section id="contracts"><h2>3. Data contracts</h2>'
    if not section["configured"]:
        return f"{head}<p>{_e(section['note'])}</p></section>"
    if section["note"] is not None:
        return f"{head}<p>The contracts could not be read: {_e(section['note'])}</p></section>"
    contracts = section["contracts"]
    forbidden = section["violations_by_kind"].get("classification", 0)
    total = sum(section["violations_by_kind"].values())
    uncovered = section["pii_datasets_without_contract"] or []
    summary = (
        f"<p>Contracts checked against the latest scans: {len(contracts)}; violated: "
        f"{sum(1 for c in contracts if c['violations'])}; violations: {total}, of which "
        f"{forbidden} of forbidden personal data (listed first). Datasets with personal data "
        f"and no contract: {len(uncovered)}. Observed values are counts, shares and types; "
        "rules a sample cannot decide are listed as not checkable, never as passed.</p>"
    )

    def outcome(c: Mapping[str, Any]) -> str:
        if c["outcome"] == "violated":
            return '<span class="bad">violated</span>'
        return '<span class="ok">kept</span>' if c["outcome"] == "kept" else "not checked"

    overview = _table(
        ("Contract", "Dataset", "Status", "Owner", "Outcome", "Passed", "Violations by kind",
         "Not checkable"),
        [
            [
                _e(c["contract"]),
                _e(c["dataset"]),
                _e(c["status"]),
                _e(c["owner"] or c["team"]),
                outcome(c),
                _e(c["passed"]),
                _e([f"{k}: {n}" for k, n in c["violations_by_kind"].items()] or None),
                _e(len(c["not_checkable"])),
            ]
            for c in contracts
        ],
    )  # fmt: skip
    violations = _table(
        ("Dataset", "Kind", "Column", "Rule", "Expected", "Observed"),
        [
            [
                _e(c["dataset"]),
                '<span class="flag">forbidden PII</span>'
                if v["kind"] == "classification"
                else _e(v["kind"]),
                _e(v["column"]),
                _e(v["rule"]),
                _e(v["expected"]),
                _e(v["observed"]),
            ]
            for c in contracts
            for v in c["violations"]
        ],
    )
    unchecked = _table(
        ("Dataset", "Column", "Rule", "Why not"),
        [
            [_e(c["dataset"]), _e(u["column"]), _e(u["rule"]), _e(u["reason"])]
            for c in contracts
            for u in c["not_checkable"]
        ],
    )
    items = "".join(f"<li>{escape(d)}</li>" for d in uncovered) or "<li>none</li>"
    return (
        f"{head}{summary}{overview}<h3>Violations</h3>{violations}"
        f"<h3>Rules not checkable from a sample</h3>{unchecked}"
        f"<h3>Datasets with personal data and no contract ({len(uncovered)})</h3>"
        f"<ul>{items}</ul></section>"
    )


def _kpis_html(report: Mapping[str, Any]) -> str:
    shares = {
        k["name"]: k["value"] * 100
        for k in report["kpis"]
        if k["unit"] == "share" and k["value"] is not None
    }
    rows = [
        [
            _e(k["name"]),
            escape(_kpi_value(k)) + (f"<br>{escape(k['note'])}" if k["note"] else ""),
            f'<span class="kpi-def">{escape(k["definition"])}</span>',
        ]
        for k in report["kpis"]
    ]
    chart = bar_chart("Coverage (%)", shares, fmt="{:.1f}%") if shares else ""
    return (
        '<section id="kpis"><h2>4. Coverage KPIs</h2>'
        f"{chart}{_table(('KPI', 'Value', 'Definition'), rows)}</section>"
    )


def _activity_html(report: Mapping[str, Any]) -> str:
    act = report["steward_activity"]
    chain = act["audit_chain"]
    rows = [
        [
            _e(d["at"]),
            _e(d["actor"]),
            _e(d["action"]),
            _e(d["target"]),
            _e(d["state"]),
            _e(d["count"]),
            _e(d["reason"]),
        ]
        for d in act["decisions"]
    ]
    return (
        '<section id="steward-activity"><h2>5. Steward activity</h2>'
        f"<p>Audit chain: {_e(chain['rows'])} rows, head #{_e(chain['head_seq'])} "
        f"<code>{_e(chain['head_hash'])}</code>; this period's rows "
        f"#{_e(chain['period_first_seq'])} to #{_e(chain['period_last_seq'])} "
        "(check with <code>enricher audit verify</code>).</p>"
        + _table(("When", "Who", "Action", "Target", "State", "Items", "Why"), rows)
        + "</section>"
    )


def _changes_html(report: Mapping[str, Any]) -> str:
    changes = report.get("changes")
    if changes is None:
        body = "<p>No previous report was kept beside this one: nothing to compare.</p>"
    else:
        lists = []
        for key, title in (
            ("new_pii_datasets", "New PII datasets"),
            ("removed_pii_datasets", "Removed PII datasets"),
            ("new_flows", "New flows"),
            ("removed_flows", "Removed flows"),
        ):
            items = "".join(f"<li>{escape(i)}</li>" for i in changes[key]) or "<li>none</li>"
            lists.append(f"<h3>{title} ({len(changes[key])})</h3><ul>{items}</ul>")
        body = (
            f"<p>Compared with {_e(changes['previous_period'])}; decisions made in the period: "
            f"{_e(changes['decisions_made'])}.</p>" + "".join(lists)
        )
    return f'<section id="changes"><h2>6. Changes since the previous report</h2>{body}</section>'


def to_html(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    state = report["catalog_state"]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Compliance report {escape(report['period'])}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>Compliance report {escape(report['period'])}</h1>"
        f'<p class="meta">Period {_e(report["period_start"])} to {_e(report["period_end"])} '
        f"(exclusive), as of {_e(report['as_of'])}. Drawn from {state['datasets']} datasets, "
        f"{state['lineage_edges']} applied lineage edges, {state['suggestions']} suggestions "
        f"and the audit chain at #{_e(state['audit_chain_head_seq'])} "
        f"<code>{_e(state['audit_chain_head_hash'])}</code>.</p>"
        + _inventory_html(report)
        + _flows_html(report)
        + _contracts_html(report)
        + _kpis_html(report)
        + _activity_html(report)
        + _changes_html(report)
        + "</body></html>\n"
    )
