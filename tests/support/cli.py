"""Run the ``enricher`` command as a separate process, as a user would.

:func:`run_enricher` hands the command to a fork server (:mod:`tests.support.cli_zygote`, one
per test process, started on first use) that has imported the heavy modules once and forks a
fresh process per command: same argv, environment, working directory, output and exit code as
the installed console script, without 5-8 s of imports each time. ``S3E_CLI_FORK=0`` (or
``fresh=True``) runs the console script itself instead. :func:`spawn_enricher` starts a
long-running command (``worker``, ``serve``) the same way and returns a handle with
:class:`subprocess.Popen`'s ``pid``, ``poll``, ``wait``, ``send_signal``, ``terminate`` and
``kill``.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any, Protocol

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
        self.spawned: list[ForkedEnricher] = []

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
        # A spawned process a failed test left running would take the next run's tasks.
        for child in self.spawned:
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGKILL)  # a session leader: its pool too
                except OSError:
                    child.kill()
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

    def spawn(
        self, args: list[str], env: dict[str, str], cwd: Path, log: Path, session: bool
    ) -> ForkedEnricher:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = self._start()
            assert self.proc.stdin is not None and self.proc.stdout is not None
            request: dict[str, Any] = {"args": args, "env": env, "cwd": str(cwd)}
            request.update(stdout=str(log), stderr=None, spawn=True, session=session)
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            child = ForkedEnricher(self, _read(self.proc.stdout)["pid"])
            self.spawned.append(child)
            return child

    def reap(self, pid: int) -> int:
        """The exit code of an ended spawned child (the server waits for it)."""
        with self.lock:
            assert self.proc is not None
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps({"reap": pid}) + "\n")
            self.proc.stdin.flush()
            return int(_read(self.proc.stdout)["returncode"])


class EnricherProcess(Protocol):
    """What the tests use of a long-running ``enricher`` process (a subset of Popen)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


class ForkedEnricher:
    """A spawned child of the fork server, watched through a pidfd (it is not our child)."""

    def __init__(self, zygote: _Zygote, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._zygote = zygote
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        return self._wait(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._wait(timeout)
        if code is None:
            raise subprocess.TimeoutExpired([ENRICHER], timeout or 0)
        return code

    def _wait(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            ready, _, _ = select.select([self._pidfd], [], [], timeout)
            if ready:
                self.returncode = self._zygote.reap(self.pid)
                os.close(self._pidfd)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


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


def spawn_enricher(
    args: list[str], env: dict[str, str], cwd: Path, log: Path, *, new_session: bool = False
) -> EnricherProcess:
    """Start ``enricher *args`` in ``cwd`` and return at once; stdout and stderr go to ``log``.

    :param new_session: the process leads a new session (its pool can be killed as a group).
    """
    full_env = enricher_env(env)
    log.write_bytes(b"")  # there at once, as with Popen, for a caller that reads it at once
    if os.environ.get("S3E_CLI_FORK") == "0":
        with log.open("wb") as out:
            return subprocess.Popen(
                [ENRICHER, *args],
                env=full_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=new_session,
            )
    return _ZYGOTE.spawn(args, full_env, cwd, log, new_session)
