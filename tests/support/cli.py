"""Run the ``enricher`` command as a separate process, as a user would.

:func:`run_enricher` hands the command to a fork server (:mod:`tests.support.cli_zygote`, one
per test process, started on first use) that has imported the heavy modules once and forks a
fresh process per command: same argv, environment, working directory, output and exit code as
the installed console script, without 5-8 s of imports each time. ``S3E_CLI_FORK=0`` (or
``fresh=True``) runs the console script itself instead.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

#: The console script installed next to this interpreter (the venv's ``bin/``).
ENRICHER = str(Path(sys.executable).with_name("enricher"))
_ZYGOTE_SCRIPT = Path(__file__).with_name("cli_zygote.py")
_TIMEOUT_S = 300


def enricher_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of an ``enricher`` process: this one's without ENRICH_*, plus ``env``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("ENRICH_")}
    full.update(env)
    return full


class _Zygote:
    """The fork server of this test process, and the lock that keeps its requests in turn."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(_ZYGOTE_SCRIPT)],
            env=enricher_env({}),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        if not ready:
            raise RuntimeError(f"the enricher fork server did not start ({proc.wait()})")
        atexit.register(self.close)
        return proc

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(10)

    def run(
        self, args: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        with self.lock, tempfile.TemporaryDirectory() as tmp:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = self._start()
            assert self.proc.stdin is not None and self.proc.stdout is not None
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            request = {"args": args, "env": env, "cwd": str(cwd), "stdout": str(out)}
            request["stderr"] = str(err)
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            pid = _read(self.proc.stdout)["pid"]
            code = _wait_code(self.proc, pid, args)
            return subprocess.CompletedProcess(
                [ENRICHER, *args], code, out.read_text(), err.read_text()
            )


def _read(stream: IO[str]) -> dict[str, Any]:
    line = stream.readline()
    if not line:
        raise RuntimeError("the enricher fork server ended")
    answer: dict[str, Any] = json.loads(line)
    return answer


def _wait_code(proc: subprocess.Popen[str], pid: int, args: list[str]) -> int:
    """The child's exit code; after ``_TIMEOUT_S`` the child is killed, as subprocess.run."""
    assert proc.stdout is not None
    stdout = proc.stdout
    result: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: result.update(_read(stdout)), daemon=True)
    reader.start()
    reader.join(_TIMEOUT_S)
    if reader.is_alive():
        os.kill(pid, 9)
        reader.join(30)
        raise subprocess.TimeoutExpired([ENRICHER, *args], _TIMEOUT_S)
    if "returncode" not in result:
        raise RuntimeError("the enricher fork server ended")
    return int(result["returncode"])


_ZYGOTE = _Zygote()


def run_enricher(
    args: list[str], env: dict[str, str], cwd: Path, *, fresh: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``enricher *args`` in ``cwd`` to completion (at most 300 s); capture its output.

    :param fresh: start the installed console script itself rather than a fork of the
        preloaded server (also with ``S3E_CLI_FORK=0`` in the environment).
    """
    full_env = enricher_env(env)
    if fresh or os.environ.get("S3E_CLI_FORK") == "0":
        return subprocess.run(
            [ENRICHER, *args],
            env=full_env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
        )
    return _ZYGOTE.run(args, full_env, cwd)
