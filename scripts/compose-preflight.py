#!/usr/bin/env python3
"""Refuse to start the docker-compose stack with example, empty, weak or reused credentials.

Run by the ``preflight`` service of docker-compose.yml, which every other service waits for
(``service_completed_successfully``): a refusal here means Redis, PostgreSQL and MinIO never
start, so a volume is never initialised with a password copied from the documentation.

The example values are read from ``.env.example`` itself (mounted read-only into the container),
so the file a user copies and the values refused cannot drift apart. With
``ENRICH_ALLOW_DEV_DEFAULTS=1`` exactly those example values are accepted (a throwaway stack on
one's own machine); nothing else is relaxed: empty, short or reused secrets, a worker key equal
to the MinIO root key and characters that would break the Redis/PostgreSQL URLs stay refused.

Only variable names are printed, never a value. Standard library only: the service runs in the
plain Python image, before anything is built or connected, with no network.

Exit status: 0 accepted, 1 refused (each problem on its own line on stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: The switch named in issue 13; only this exact value turns it on.
DEV_SWITCH = "ENRICH_ALLOW_DEV_DEFAULTS"

#: Shorter secrets are refused: 16 characters of `openssl rand -hex` are 64 bits.
MIN_SECRET_LENGTH = 16

#: RFC 3986 unreserved characters: a secret made of these goes into a URL unescaped.
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")


@dataclass(frozen=True)
class Secret:
    """A password-like variable: must be set, long, not the example value, not reused."""

    name: str
    #: The value is spliced into a URL (redis://:PASSWORD@..., postgresql://u:PASSWORD@...).
    in_url: bool = False
    #: Characters that would split a list the value is joined into (Flower's basic_auth).
    forbidden: str = ""


@dataclass(frozen=True)
class Name:
    """A user name or access key id: must be set; not secret, so examples are fine."""

    name: str
    min_length: int = 3
    forbidden: str = ""


CORE_SECRETS = (
    Secret("MINIO_ROOT_PASSWORD"),
    Secret("MINIO_WORKER_SECRET_KEY"),
    Secret("REDIS_PASSWORD", in_url=True),
    Secret("POSTGRES_PASSWORD", in_url=True),
)
CORE_NAMES = (Name("MINIO_ROOT_USER"), Name("MINIO_WORKER_ACCESS_KEY"))
# FLOWER_BASIC_AUTH is "user:password[,user:password...]".
FLOWER_SECRETS = (Secret("FLOWER_PASSWORD", forbidden=","),)
FLOWER_NAMES = (Name("FLOWER_USER", min_length=1, forbidden=":,"),)
# Grafana's admin login (`--profile monitoring`).
MONITORING_SECRETS = (Secret("GRAFANA_ADMIN_PASSWORD"),)
MONITORING_NAMES = (Name("GRAFANA_ADMIN_USER"),)


def read_example(path: Path) -> dict[str, str]:
    """``KEY=value`` pairs of an env file as Compose reads them (comments, quotes, export)."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        values[key.strip()] = value
    return values


def problems(
    env: Mapping[str, str],
    example: Mapping[str, str],
    flower: bool = False,
    monitoring: bool = False,
) -> tuple[list[str], list[str]]:
    """Return (refusals, example values accepted by the dev switch), as variable names only."""
    refused: list[str] = []
    accepted_examples: list[str] = []
    switch = env.get(DEV_SWITCH, "")
    if switch not in {"", "0", "1"}:
        refused.append(
            f"{DEV_SWITCH} must be 1 (accept the example values) or 0, not another value"
        )
    dev = switch == "1"
    secrets = CORE_SECRETS + (FLOWER_SECRETS if flower else ())
    names = CORE_NAMES + (FLOWER_NAMES if flower else ())
    if monitoring:
        secrets += MONITORING_SECRETS
        names += MONITORING_NAMES

    for item in names:
        value = env.get(item.name, "")
        if not value.strip():
            refused.append(f"{item.name} is empty: set it in .env (see .env.example)")
        elif len(value) < item.min_length:
            refused.append(f"{item.name} is shorter than {item.min_length} characters")
        elif any(ch in value for ch in item.forbidden):
            refused.append(f"{item.name} must not contain any of {' '.join(item.forbidden)}")

    for secret in secrets:
        value = env.get(secret.name, "")
        if not value.strip():
            refused.append(f"{secret.name} is empty: set it in .env (see .env.example)")
            continue
        if value == example.get(secret.name):
            if dev:
                accepted_examples.append(secret.name)
            else:
                refused.append(
                    f"{secret.name} is the example value from .env.example: set your own "
                    f"(e.g. `openssl rand -hex 24`), or {DEV_SWITCH}=1 for a throwaway local stack"
                )
            continue
        if len(value) < MIN_SECRET_LENGTH:
            refused.append(
                f"{secret.name} is shorter than {MIN_SECRET_LENGTH} characters "
                "(e.g. `openssl rand -hex 24`)"
            )
        if secret.in_url and not _URL_SAFE.fullmatch(value):
            refused.append(
                f"{secret.name} goes into a connection URL: use only letters, digits and . _ ~ -"
            )
        if any(ch in value for ch in secret.forbidden):
            refused.append(f"{secret.name} must not contain any of {' '.join(secret.forbidden)}")

    # One leaked secret must not open a second service, and the worker's read-only key must
    # really be a different MinIO account from the root one.
    if env.get("MINIO_WORKER_ACCESS_KEY") and env.get("MINIO_WORKER_ACCESS_KEY") == env.get(
        "MINIO_ROOT_USER"
    ):
        refused.append(
            "MINIO_WORKER_ACCESS_KEY equals MINIO_ROOT_USER: the worker needs its own read-only key"
        )
    seen: dict[str, str] = {}
    for secret in secrets:
        value = env.get(secret.name, "")
        if not value.strip():
            continue
        if value in seen:
            refused.append(f"{secret.name} and {seen[value]} are the same: give each its own value")
        else:
            seen[value] = secret.name
    return refused, accepted_examples


def main(argv: Sequence[str] | None = None) -> int:
    """Check the environment; print what is wrong (names only) and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--example",
        type=Path,
        default=Path(__file__).resolve().parent.parent / ".env.example",
        help="the example env file whose values are refused (default: the repository's)",
    )
    parser.add_argument(
        "--flower", action="store_true", help="also check FLOWER_USER and FLOWER_PASSWORD"
    )
    parser.add_argument(
        "--monitoring",
        action="store_true",
        help="also check GRAFANA_ADMIN_USER and GRAFANA_ADMIN_PASSWORD",
    )
    args = parser.parse_args(argv)
    try:
        example = read_example(args.example)
    except OSError as exc:
        # Without the example values nothing can be compared: refuse rather than guess.
        print(f"preflight: cannot read {args.example}: {exc.strerror}", file=sys.stderr)
        return 1
    refused, accepted = problems(
        os.environ, example, flower=args.flower, monitoring=args.monitoring
    )
    for line in refused:
        print(f"preflight: {line}", file=sys.stderr)
    if refused:
        print("preflight: refusing to start the stack", file=sys.stderr)
        return 1
    if accepted:
        print(
            f"preflight: {DEV_SWITCH}=1: accepting the example values of {', '.join(accepted)}; "
            "for a local throwaway stack only",
            file=sys.stderr,
        )
    print("preflight: credentials accepted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
