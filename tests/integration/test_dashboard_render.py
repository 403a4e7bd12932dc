"""scripts/render_dashboard.py end to end: a real Prometheus answers every panel's query.

A small run (8 objects, 2 broken, 3 S3 events through the webhook, 2 refused Atlan writes):
SeaweedFS, the fake Atlan, Redis, a worker, ``enricher serve``, Debian's Prometheus and
Chromium, as the script runs for docs/dashboard.png. About 30 s.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

# A real worker and Prometheus, no latency bound: in make test's background lane.
pytestmark = [pytest.mark.serial, pytest.mark.beside]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "render_dashboard.py"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "s3-enricher.json"
#: Targets that may stay empty on such a run: no alert is opened by a job or an event.
MAY_BE_EMPTY = {("Review backlog", "B")}


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_every_panel_query_returns_series_and_the_page_is_screenshot(tmp_path: Path) -> None:
    for binary in ("/usr/bin/prometheus", "/usr/bin/chromium"):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is missing: install Debian's prometheus and chromium")
    out, page, summary_file = tmp_path / "d.png", tmp_path / "d.html", tmp_path / "d.json"
    failing, events = 2, 3
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--objects=8",
            f"--failing={failing}",
            f"--events={events}",
            "--event-gap=0.3",
            "--atlan-failures=2",
            "--tail=1",
            "--settle=5",
            "--timeout=120",
            f"--out={out}",
            f"--html={page}",
            f"--summary={summary_file}",
        ],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("ENRICH_")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads(summary_file.read_text())
    dashboard = json.loads(DASHBOARD.read_text())
    expected = {(p["title"], t["refId"]) for p in dashboard["panels"] for t in p["targets"]}
    got = {(p["title"], t["refId"]): t["series"] for p in summary["panels"] for t in p["targets"]}
    assert set(got) == expected
    empty = {key for key, n in got.items() if n == 0}
    assert empty <= MAY_BE_EMPTY, f"queries without a series: {sorted(empty)}"
    for panel in summary["panels"]:
        assert sum(t["series"] for t in panel["targets"]) > 0, panel["title"]
    counts = summary["counts"]
    # Every third event uploads a broken object, as do ``failing`` objects of the job.
    assert counts["objects_by_status"]["failed"] == failing + events // 3
    assert counts["objects_by_status"]["classified"] == 8 - failing + events - events // 3
    assert counts["events_stored"] == events
    assert counts["atlan_requests_by_outcome"].get("catalog_unavailable", 0) >= 1
    html = page.read_text()
    assert html.count('class="panel"') == len(dashboard["panels"])
    for panel in dashboard["panels"]:
        assert panel["title"] in html
    width, height = _png_size(out)
    assert width == 1600 and height > 1000
    assert "wrote" in proc.stdout and "query_range" in proc.stdout
