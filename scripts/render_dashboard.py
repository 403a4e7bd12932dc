#!/usr/bin/env python3
"""Render the Grafana dashboard's panels from a real Prometheus, as a PNG (issue 19).

There is no Docker engine (so no Grafana) where this was written; this is the next best
thing, everything real and local on 127.0.0.1, nothing downloaded:

1. SeaweedFS (``tests/support/seaweed.py``) holds a job of ``--objects`` CSV and Parquet
   objects, ``--failing`` of them broken (ragged rows, bad encoding, truncated Parquet ...);
   the fake Atlan server (``tests/support/atlan_server.py``) receives the writes and answers
   a few of them 503 so the Atlan error series has data; Redis (two claimed databases,
   ``tests/support/redis_dbs.py``) is the broker.
2. ``enricher worker`` (two pool processes, /metrics on a free port) and ``enricher serve``
   (/metrics and the S3 event webhook on another) run as in
   ``tests/integration/test_metrics_worker.py``; Debian's ``prometheus`` scrapes both every
   second (temporary data folder) and evaluates ``deploy/prometheus/rules.yml``.
3. ``enricher job start`` runs the job; meanwhile ``--events`` objects are uploaded and their
   S3 event notifications posted, signed, to the webhook (so the event-lag panel has data).
   Writes the 503s sent to the outbox are flushed with ``enricher atlan flush`` when they
   are still there after ``--settle`` (the worker's own periodic flush comes every
   ``atlan_flush_interval_s``, 30 s by default: longer than the run).
4. Every panel's PromQL in ``deploy/grafana/dashboards/s3-enricher.json`` is queried over the
   run's range through ``/api/v1/query_range``; the panels are drawn as inline SVG line
   charts (title, unit, legend format and ``gridPos`` from the dashboard JSON) in one
   self-contained HTML page, which Debian's Chromium screenshots headless.

Usage::

    python scripts/render_dashboard.py                     # docs/dashboard.png
    python scripts/render_dashboard.py --objects 8 --failing 2 --events 2 \\
        --out /tmp/d.png --summary /tmp/d.json              # what the integration test runs

Every process it starts is stopped at the end; temporary folders are removed (``--html``
keeps the page).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "s3-enricher.json"
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
PROMETHEUS = "/usr/bin/prometheus"
CHROMIUM = "/usr/bin/chromium"
WEBHOOK_SECRET = "render-dashboard-hook"
ATLAN_KEY = "render-dashboard-key"
BUCKET = "lake"

#: Grafana's classic palette, in its order.
PALETTE = (
    "#73BF69",
    "#F2CC0C",
    "#8AB8FF",
    "#FF780A",
    "#F2495C",
    "#5794F2",
    "#B877D9",
    "#FADE2A",
    "#37872D",
    "#C4162A",
)
#: Layout: Grafana's grid is 24 columns; a height unit is 30 px, panels 8 px apart.
PAGE_WIDTH = 1600
ROW_PX = 30
GAP_PX = 8
HEADER_PX = 64


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll ``condition`` until truthy; raise ``SystemExit`` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"not within {timeout:g} s: {what}")
        time.sleep(interval)


def http_get(url: str, timeout: float = 5.0) -> bytes | None:
    """The body of a 200 answer, or ``None`` when the server is not (yet) answering."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return bytes(answer.read())
    except (OSError, urllib.error.URLError):
        return None


# --- the objects ---------------------------------------------------------------------------


#: The broken objects, by the error kind they fail with: a few kinds, each several times, so
#: that each kind's counter exists before its later increments (Prometheus does not count a
#: series' first sample as an increase: a kind seen once shows a rate of 0).
BROKEN_KINDS = ("ragged_rows", "invalid_encoding", "truncated_parquet")


def broken_object(i: int) -> tuple[str, bytes]:
    """The ``i``-th broken object: (file name suffix, bytes), cycling through BROKEN_KINDS."""
    from tests.support.badfiles import bad_objects

    by_kind = {kind: (key, body) for key, (body, _s, kind) in bad_objects().items()}
    key, body = by_kind[BROKEN_KINDS[i % len(BROKEN_KINDS)]]
    return key.rsplit("/", 1)[-1], body


def job_objects(good: int, failing: int) -> dict[str, bytes]:
    """``good`` CSV/Parquet objects with PII and ``failing`` broken ones spread among them.

    Keys sort in listing order, so the broken ones are processed across the whole job.
    """
    from tests.support.badfiles import csv_bytes, parquet_bytes

    total = good + failing
    bad_at = {round((j + 0.5) * total / failing) for j in range(failing)} if failing else set()
    objects: dict[str, bytes] = {}
    made_bad = 0
    for i in range(total):
        if i in bad_at and made_bad < failing:
            name, body = broken_object(made_bad)
            objects[f"data/part-{i:03d}-bad-{name}"] = body
            made_bad += 1
        elif i % 4 == 3:
            objects[f"data/part-{i:03d}.parquet"] = parquet_bytes(60 + i)
        else:
            objects[f"data/part-{i:03d}.csv"] = csv_bytes(40 + i, ";" if i % 5 == 0 else ",")
    return objects


def event_document(key: str, size: int, etag: str) -> bytes:
    """One S3 event notification (MinIO's shape) for ``s3://lake/<key>``, timed now."""
    now = datetime.now(UTC)
    record = {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "eventName": "s3:ObjectCreated:Put",
        "s3": {
            "bucket": {"name": BUCKET},
            "object": {"key": urllib.parse.quote(key), "size": size, "eTag": etag},
        },
    }
    return json.dumps({"EventName": "s3:ObjectCreated:Put", "Records": [record]}).encode()


def post_event(url: str, body: bytes) -> int:
    """POST one signed event document to the webhook; its HTTP status."""
    from worker.web.webhook import signature

    stamp = str(int(time.time()))
    request = urllib.request.Request(
        f"{url}/events/s3",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-S3E-Timestamp": stamp,
            "X-S3E-Signature": f"sha256={signature(WEBHOOK_SECRET, stamp, body)}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


# --- Prometheus ----------------------------------------------------------------------------


def prometheus_config(worker_port: int, web_port: int) -> str:
    """A 1 s scrape of the worker and ``enricher serve``, with the stack's alert rules."""
    return json.dumps(  # JSON is YAML
        {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {
                    "job_name": "s3e-worker",
                    "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
                },
                {
                    "job_name": "s3e-web",
                    "metrics_path": "/metrics",
                    "static_configs": [{"targets": [f"127.0.0.1:{web_port}"]}],
                },
            ],
        },
        indent=1,
    )


def start_prometheus(work: Path, port: int, config: str) -> subprocess.Popen[bytes]:
    """Debian's Prometheus on 127.0.0.1:``port``, data in ``work``; returns once ready."""
    (work / "prometheus.yml").write_text(config, encoding="utf-8")
    out = (work / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1d",
        ],
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    out.close()

    def ready() -> bool:
        if proc.poll() is not None:
            tail = (work / "prometheus.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"prometheus exited with {proc.returncode}:\n{tail}")
        return http_get(f"http://127.0.0.1:{port}/-/ready", 1.0) is not None

    wait_for(ready, 30, "Prometheus did not become ready")
    return proc


def instant(prom: str, query: str) -> list[dict[str, Any]]:
    """The result vector of an instant query."""
    body = http_get(f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": query}))
    if body is None:
        return []
    result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
    return result


def scalar(prom: str, query: str) -> float:
    """The first value of an instant query (0 when empty)."""
    found = instant(prom, query)
    return float(found[0]["value"][1]) if found else 0.0


def query_range(prom: str, expr: str, start: float, end: float, step: float) -> list[Any]:
    """``/api/v1/query_range`` of ``expr``; raises ``SystemExit`` on a query error."""
    params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
    url = f"{prom}/api/v1/query_range?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            data = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"query failed ({exc.code}): {expr}\n{exc.read().decode()}") from exc
    if data.get("status") != "success":
        raise SystemExit(f"query failed: {expr}: {data}")
    result: list[Any] = data["data"]["result"]
    return result


# --- drawing -------------------------------------------------------------------------------

_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _num(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 0.1 else 3
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _si(value: float) -> str:
    for factor, suffix in _SI:
        if abs(value) >= factor:
            return f"{_num(value / factor)} {suffix}"
    return _num(value)


def format_value(value: float, unit: str) -> str:
    """``value`` in Grafana's notation for the dashboard's units."""
    if unit == "percentunit":
        return f"{_num(value * 100)}%"
    if unit == "s":
        magnitude = abs(value)
        if magnitude == 0:
            return "0 s"
        if magnitude < 1:
            return f"{_num(value * 1000)} ms"
        if magnitude < 60:
            return f"{_num(value)} s"
        if magnitude < 3600:
            return f"{_num(value / 60)} min"
        return f"{_num(value / 3600)} hour"
    if unit == "ops":
        return f"{_si(value)} ops/s".replace("  ", " ")
    if unit == "reqps":
        return f"{_si(value)} req/s".replace("  ", " ")
    return _si(value)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low..high``."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def legend_name(fmt: str, labels: dict[str, str]) -> str:
    """Grafana's legend format: ``{{label}}`` replaced by the series' label value."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt).strip()


def panel_svg(
    series: list[dict[str, Any]], unit: str, start: float, end: float, w: int, h: int
) -> str:
    """An SVG line chart of ``series`` (``name``, ``color``, ``points`` [(t, v | None)])."""
    left, right, top, bottom = 78, 12, 8, 22
    plot_w, plot_h = w - left - right, h - top - bottom
    values = [v for s in series for _, v in s["points"] if v is not None]
    low = min([0.0, *values])
    high = max(values) if values else 1.0
    if high <= low:
        high = low + 1.0
    ticks = nice_ticks(low, high)
    low, high = ticks[0], ticks[-1]

    def x(t: float) -> float:
        return left + (t - start) / max(end - start, 1e-9) * plot_w

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    parts = [
        f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{ty:.1f}" y2="{ty:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" class="axis" text-anchor="end">'
            f"{html.escape(format_value(tick, unit))}</text>"
        )
    span = end - start
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600) if span / s <= 8), 1800)
    t = math.ceil(start / step) * step
    while t <= end:
        tx = x(t)
        label = datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top}" y2="{top + plot_h}" class="grid"/>'
            f'<text x="{tx:.1f}" y="{h - 6}" class="axis" text-anchor="middle">{label}</text>'
        )
        t += step
    for s in series:
        runs: list[list[str]] = [[]]
        for pt, pv in s["points"]:
            if pv is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append(f"{x(pt):.1f},{y(pv):.1f}")
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{s["color"]}"/>')
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{s["color"]}" '
                    'stroke-width="1.5" stroke-linejoin="round"/>'
                )
    if not values:
        parts.append(
            f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" class="nodata" '
            'text-anchor="middle">No data</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def panel_series(
    panel: dict[str, Any], results: dict[str, list[Any]], color_start: int = 0
) -> list[dict[str, Any]]:
    """The panel's drawable series: every target's result, named by its legend format."""
    series: list[dict[str, Any]] = []
    for target in panel["targets"]:
        for item in results[target["refId"]]:
            points = []
            for t, v in item["values"]:
                value = float(v)
                points.append((float(t), None if math.isnan(value) or math.isinf(value) else value))
            name = legend_name(target.get("legendFormat", ""), item["metric"]) or json.dumps(
                item["metric"]
            )
            color = PALETTE[(color_start + len(series)) % len(PALETTE)]
            series.append({"name": name, "color": color, "points": points})
    return series


CSS = """
body { margin: 0; background: #111217; color: #ccccdc; font: 13px Inter, 'DejaVu Sans',
  Helvetica, Arial, sans-serif; }
header { height: 48px; display: flex; align-items: center; justify-content: space-between;
  padding: 8px 16px; border-bottom: 1px solid #2c2d33; }
header h1 { font-size: 18px; font-weight: 500; margin: 0; color: #d8d9da; }
header .range { color: #8e8e9e; font-size: 12px; text-align: right; }
.grid-area { position: relative; margin: 8px; }
.panel { position: absolute; background: #181b1f; border: 1px solid #2c2d33;
  border-radius: 2px; box-sizing: border-box; overflow: hidden; }
.panel h2 { font-size: 13px; font-weight: 500; margin: 6px 8px 0; color: #d8d9da;
  white-space: nowrap; }
.panel .desc { font-size: 10.5px; color: #8e8e9e; margin: 1px 8px 0; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 0 10px; font-size: 11.5px; }
.legend span::before { content: ''; display: inline-block; width: 14px; height: 4px;
  border-radius: 2px; margin-right: 5px; vertical-align: middle; background: var(--c); }
svg .grid { stroke: #2c2d33; stroke-width: 1; }
svg .axis { fill: #8e8e9e; font-size: 10.5px; }
svg .nodata { fill: #8e8e9e; font-size: 14px; }
"""


def render_html(
    dashboard: dict[str, Any],
    results: dict[int, dict[str, list[Any]]],
    start: float,
    end: float,
    note: str,
) -> tuple[str, int]:
    """The page, and its height in pixels."""
    col = (PAGE_WIDTH - 16) / 24
    body: list[str] = []
    bottom = 0
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        left, top = grid["x"] * col, grid["y"] * (ROW_PX + GAP_PX)
        width = grid["w"] * col - GAP_PX
        height = grid["h"] * (ROW_PX + GAP_PX) - GAP_PX
        bottom = max(bottom, int(top + height))
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        series = panel_series(panel, results[panel["id"]])
        legend_rows = 1 + sum(len(s["name"]) + 4 for s in series) * 7 // max(int(width) - 20, 1)
        chart_h = int(height - 44 - 17 * legend_rows)
        svg = panel_svg(series, unit, start, end, int(width) - 2, chart_h)
        legend = "".join(
            f'<span style="--c:{s["color"]}">{html.escape(s["name"])}</span>' for s in series
        )
        body.append(
            f'<div class="panel" style="left:{left:.0f}px;top:{top:.0f}px;width:{width:.0f}px;'
            f'height:{height:.0f}px"><h2>{html.escape(panel["title"])}</h2>'
            f'<div class="desc">{html.escape(panel.get("description", ""))}</div>{svg}'
            f'<div class="legend">{legend}</div></div>'
        )
    fmt = "%Y-%m-%d %H:%M:%S"
    span = (
        f"{datetime.fromtimestamp(start, UTC):{fmt}} to {datetime.fromtimestamp(end, UTC):%H:%M:%S}"
        " UTC"
    )
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(dashboard['title'])}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{html.escape(dashboard["title"])}</h1><div class="range">{span}<br>'
        f"{html.escape(note)}</div></header>"
        f'<div class="grid-area" style="height:{bottom}px">{"".join(body)}</div></body></html>'
    )
    return page, HEADER_PX + bottom + 16


def screenshot(page: Path, out: Path, height: int, work: Path) -> None:
    """Debian's Chromium, headless, takes a PNG of ``page`` ``PAGE_WIDTH`` x ``height``."""
    args = [
        CHROMIUM,
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--force-device-scale-factor=1",
        f"--user-data-dir={work / 'chromium'}",
        f"--window-size={PAGE_WIDTH},{height}",
        f"--screenshot={out}",
        page.as_uri(),
    ]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0 or not out.exists():
        raise SystemExit(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")


# --- the run -------------------------------------------------------------------------------


@contextlib.contextmanager
def stopping(proc: Any, name: str) -> Iterator[Any]:
    """Yield ``proc``; at the end SIGTERM its process group, SIGKILL after 20 s."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        log(f"stopped {name}")


def kill_worker(worker: Any) -> None:
    """SIGKILL the worker and its pool (its session): the job is over, nothing to finish."""
    worker.kill_all()
    log("stopped enricher worker")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start everything, run the job and the events, query the panels, draw, screenshot.

    :returns: the summary (what ran, each panel's series counts).
    Side effects: starts and stops SeaweedFS, a fake Atlan, Prometheus, a worker, ``enricher
    serve``; claims, empties and releases two Redis databases; writes ``args.out``.
    """
    from tests.support.atlan_server import FakeAtlan
    from tests.support.badfiles import csv_bytes
    from tests.support.cli import run_enricher, spawn_enricher
    from tests.support.redis_dbs import RedisDatabaseClaims
    from tests.support.seaweed import SeaweedServer, free_ports
    from tests.support.workers import Worker

    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    objects = job_objects(args.objects - args.failing, args.failing)
    claims = RedisDatabaseClaims()
    broker_db, backend_db = claims.claim(2)
    tmp = Path(tempfile.mkdtemp(prefix="s3e-dashboard-"))
    summary: dict[str, Any] = {"objects": len(objects), "failing": args.failing}
    try:
        with contextlib.ExitStack() as stack:
            weed = stack.enter_context(SeaweedServer())
            atlan = stack.enter_context(FakeAtlan(api_key=ATLAN_KEY))
            log(f"SeaweedFS at {weed.endpoint_url}, fake Atlan at {atlan.base_url}")
            s3 = weed.client()
            s3.create_bucket(Bucket=BUCKET)
            for key, body in objects.items():
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            worker_port, web_port, prom_port = free_ports(3)
            env = {
                "ENRICH_DATABASE_URL": f"sqlite:///{tmp / 'catalog.db'}",
                "ENRICH_S3__ENDPOINT_URL": weed.endpoint_url,
                "ENRICH_S3__ACCESS_KEY_ID": "testing",
                "ENRICH_S3__SECRET_ACCESS_KEY": "testing",
                "ENRICH_CELERY__BROKER_URL": f"redis://{claims.host}:{claims.port}/{broker_db}",
                "ENRICH_CELERY__RESULT_BACKEND": f"redis://{claims.host}:{claims.port}/{backend_db}",
                "ENRICH_CELERY__ATLAN_FLUSH_DELAY_S": "0.5",
                "ENRICH_ATLAN__ENABLED": "true",
                "ENRICH_ATLAN__MAX_RETRIES": "1",
                "ENRICH_ATLAN__BACKOFF_S": "0.05",
                "ATLAN_BASE_URL": atlan.base_url,
                "ATLAN_API_KEY": ATLAN_KEY,
                "ENRICH_METRICS__PORT": str(worker_port),
                "ENRICH_WEB__PORT": str(web_port),
                "ENRICH_WEB__WEBHOOK_SECRET": WEBHOOK_SECRET,
                "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prom-worker"),
                "AWS_EC2_METADATA_DISABLED": "true",
            }
            init = run_enricher(["atlan", "init"], env, tmp)
            if init.returncode != 0:
                raise SystemExit(f"enricher atlan init failed: {init.stderr[-2000:]}")
            config = prometheus_config(worker_port, web_port)
            stack.enter_context(stopping(start_prometheus(tmp, prom_port, config), "prometheus"))
            prom_url = f"http://127.0.0.1:{prom_port}"
            log(f"Prometheus {prom_url} (scrape and evaluation every 1 s)")
            serve_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prom-web")}
            web = spawn_enricher(["serve"], serve_env, tmp, tmp / "serve.log", new_session=True)
            stack.enter_context(stopping(web, "enricher serve"))
            worker = Worker(env, tmp, concurrency=2, wait=False)
            stack.callback(kill_worker, worker)
            wait_for(worker.ready, 90, "the worker did not start")
            web_url = f"http://127.0.0.1:{web_port}"
            wait_for(lambda: http_get(f"{web_url}/healthz", 1.0), 60, "enricher serve")
            wait_for(
                lambda: scalar(prom_url, 'count(up{job=~"s3e-.*"} == 1)') == 2,
                30,
                "Prometheus does not see both targets up",
            )
            started = time.time() - 2
            # Refuse a few Atlan bulk writes (retries included) so the error series has data.
            atlan.fail_next(503, times=args.atlan_failures, path_contains="entity/bulk")
            job = run_enricher(["job", "start", f"s3://{BUCKET}/data/"], env, tmp)
            if job.returncode != 0:
                raise SystemExit(f"enricher job start failed: {job.stderr[-2000:]}")
            log(f"job of {len(objects)} objects started ({args.failing} broken)")
            for i in range(args.events):
                # Every third upload is broken: failures after the job's, at the events' pace.
                if i % 3 == 2:
                    name, body = broken_object(i // 3)
                    key = f"events/upload-{i:02d}-bad-{name}"
                else:
                    key, body = f"events/upload-{i:02d}.csv", csv_bytes(30 + i)
                put = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
                status = post_event(web_url, event_document(key, 0, str(put["ETag"]).strip('"')))
                if status != 202:
                    raise SystemExit(f"the webhook answered {status}")
                time.sleep(args.event_gap)
            total = len(objects)
            wait_for(
                lambda: scalar(prom_url, "sum(s3e_job_objects_total)") >= total,
                args.timeout,
                "the job's objects did not all finish",
                0.5,
            )
            wait_for(
                lambda: scalar(prom_url, "sum(s3e_event_lag_seconds_count)") >= args.events,
                args.timeout,
                "the events' objects were not all stored",
                0.5,
            )
            with contextlib.suppress(SystemExit):  # a refused write may wait for its retry
                wait_for(
                    lambda: instant(prom_url, "max(s3e_outbox_entries) == 0"),
                    args.settle,
                    "outbox not empty",
                    0.5,
                )
            if not instant(prom_url, "max(s3e_outbox_entries) == 0"):
                # The refused writes wait for their back-off, then for the worker's periodic
                # flush (every 30 s by default, longer than the run): flush them now, so
                # that what they carry (the review suggestions of the uncertain objects)
                # lands.
                flushed = run_enricher(["atlan", "flush"], env, tmp)
                log(f"enricher atlan flush: {flushed.stdout.strip() or flushed.stderr[-300:]}")
                with contextlib.suppress(SystemExit):
                    wait_for(
                        lambda: instant(prom_url, "max(s3e_outbox_entries) == 0"),
                        args.settle,
                        "outbox not empty after the flush",
                        0.5,
                    )
            time.sleep(args.tail)  # a few more scrapes after the end: the tail of the curves
            ended = time.time()
            results: dict[int, dict[str, list[Any]]] = {}
            panels = []
            for panel in dashboard["panels"]:
                results[panel["id"]] = {}
                targets = []
                for target in panel["targets"]:
                    found = query_range(prom_url, target["expr"], started, ended, args.step)
                    results[panel["id"]][target["refId"]] = found
                    targets.append(
                        {"refId": target["refId"], "expr": target["expr"], "series": len(found)}
                    )
                panels.append({"id": panel["id"], "title": panel["title"], "targets": targets})
            summary["panels"] = panels
            summary["firing_alerts"] = sorted(
                a["labels"]["alertname"]
                for a in json.loads(http_get(f"{prom_url}/api/v1/alerts") or b'{"data":{}}')
                .get("data", {})
                .get("alerts", [])
                if a.get("state") == "firing"
            )
            summary["counts"] = {
                "objects_by_status": {
                    r["metric"].get("status", ""): float(r["value"][1])
                    for r in instant(prom_url, "sum by (status) (s3e_objects_total)")
                },
                "atlan_requests_by_outcome": {
                    r["metric"].get("outcome", ""): float(r["value"][1])
                    for r in instant(prom_url, "sum by (outcome) (s3e_atlan_requests_total)")
                },
                "events_stored": scalar(prom_url, "sum(s3e_event_lag_seconds_count)"),
            }
            summary["range"] = {"start": started, "end": ended, "step": args.step}
        note = (
            "Panels of deploy/grafana/dashboards/s3-enricher.json queried from Prometheus "
            f"(query_range, step {args.step:g} s), drawn by scripts/render_dashboard.py, "
            "not Grafana"
        )
        page, height = render_html(dashboard, results, started, ended, note)
        html_path = Path(args.html) if args.html else tmp / "dashboard.html"
        html_path.write_text(page, encoding="utf-8")
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            out.unlink()
        screenshot(html_path, out, height, tmp)
        summary["png"] = str(out)
        summary["seconds"] = round(ended - started, 1)
        return summary
    finally:
        claims.release([broker_db, backend_db])
        shutil.rmtree(tmp, ignore_errors=True)


def describe(summary: dict[str, Any]) -> str:
    """How the picture was made, for a human."""
    lines = [
        f"wrote {summary['png']}: {summary['objects']} objects in a job ({summary['failing']} "
        f"broken) plus {summary['counts']['events_stored']:.0f} S3 events, "
        f"{summary['seconds']} s of Prometheus data",
        "made with: SeaweedFS (weed mini), the fake Atlan server, Redis, `enricher worker` "
        "(--concurrency=2) and `enricher serve`, Debian's Prometheus 1 s scrape, every panel's "
        "PromQL through /api/v1/query_range, inline SVG, Debian's Chromium --headless "
        "--screenshot",
        f"objects by status: {summary['counts']['objects_by_status']}",
        f"Atlan requests by outcome: {summary['counts']['atlan_requests_by_outcome']}",
        f"alerts firing at the end: {summary['firing_alerts'] or 'none'}",
    ]
    for panel in summary["panels"]:
        counts = ", ".join(f"{t['refId']}={t['series']}" for t in panel["targets"])
        lines.append(f"  panel {panel['id']} {panel['title']!r}: series {counts}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, make the picture, print how it was made."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=48, help="objects in the job")
    parser.add_argument("--failing", type=int, default=6, help="of which broken")
    parser.add_argument("--events", type=int, default=12, help="S3 events posted to the webhook")
    parser.add_argument("--event-gap", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--atlan-failures", type=int, default=4, help="Atlan 503 answers")
    parser.add_argument("--step", type=float, default=1.0, help="query_range step, seconds")
    parser.add_argument("--tail", type=float, default=5.0, help="seconds scraped after the end")
    parser.add_argument("--settle", type=float, default=20.0, help="max wait for the outbox")
    parser.add_argument("--timeout", type=float, default=300.0, help="max wait for the job")
    parser.add_argument("--out", default=str(ROOT / "docs" / "dashboard.png"))
    parser.add_argument("--html", default=None, help="also keep the HTML page here")
    parser.add_argument("--summary", default=None, help="write the summary JSON here")
    args = parser.parse_args(argv)
    if not 0 <= args.failing < args.objects:
        parser.error("--failing must be below --objects")
    for binary in (PROMETHEUS, CHROMIUM):
        if not os.access(binary, os.X_OK):
            parser.error(f"{binary} is missing (Debian packages prometheus, chromium)")
    summary = run(args)
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(describe(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
