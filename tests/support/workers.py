"""``enricher worker`` processes for the worker tests: start, wait for ready, kill outright."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.cli import EnricherProcess, spawn_enricher
from tests.support.polling import wait_until


class Worker:
    """An ``enricher worker`` process (prefork, leading its own session) and its log.

    :param args: more ``enricher worker`` arguments (a node name ...).
    :param log: the log file (default: a new one in ``cwd``).
    :param wait: wait (up to 60 s) for Celery's "ready." before returning; without it the
        caller polls :meth:`ready`, e.g. to start several workers at once.
    """

    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        concurrency: int = 2,
        args: tuple[str, ...] = (),
        log: Path | None = None,
        wait: bool = True,
    ) -> None:
        self.log = log or cwd / f"worker-{time.monotonic_ns()}.log"
        # Temporary files (the metrics' s3e-metrics-* folder, which a killed worker cannot
        # remove) go under cwd, the test's own folder, unless the caller chose a TMPDIR.
        env = {"TMPDIR": str(cwd), **env}
        self.proc: EnricherProcess = spawn_enricher(
            ["worker", *args, f"--concurrency={concurrency}"], env, cwd, self.log, new_session=True
        )
        if wait:
            try:
                wait_until(self.ready, 60, "worker did not start")
            except BaseException:  # never leave a worker behind to take the next test's tasks
                self.kill_all()
                raise

    def ready(self) -> bool:
        """Whether the worker said "ready."; fails with its log's tail if it exited."""
        assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
        return b"ready." in self.log.read_bytes()

    def children(self) -> list[int]:
        """The pool processes' pids."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(p) for p in out.split()]

    def kill_all(self) -> None:
        """SIGKILL the main process and its pool (the session), then reap the main process."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
