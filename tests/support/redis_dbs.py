"""Redis database numbers claimed per test, so two test runs on one host never share one.

The tests that start Celery workers, ``enricher serve`` or the flush task need a broker (and a
result backend) of their own: a run that flushed a database another run was using would make
both fail at random. Each claim is a key ``s3e-tests:redis-db:<n>`` in database 0, set with
``SET NX EX``: atomic across processes (xdist workers, other runs, other checkouts), and a run
killed before it released its claims gives them back when the keys expire.

Database 0 holds the claims and databases 0 and 1 are the settings' defaults (the broker and
the result backend of a process started without Celery settings): never handed out, so a test
that forgot its URLs cannot land in another run's database.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

import redis

HOST = os.environ.get("ENRICHER_TEST_REDIS_HOST", "127.0.0.1")
PORT = int(os.environ.get("ENRICHER_TEST_REDIS_PORT", "6379"))
CLAIM_PREFIX = "s3e-tests:redis-db:"
#: Longer than any one test may run (pytest-timeout is 600 s), so a claim never expires under
#: a running test; short enough that a killed run's claims come back soon.
CLAIM_TTL_S = 900
FIRST_DB = 2
#: Redis's default ``databases 16``; ``CONFIG GET`` may be refused (a managed Redis).
DEFAULT_DATABASES = 16


# Compare and delete in one step: a claim that expired meanwhile is someone else's.
_DELETE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class NoFreeRedisDatabase(RuntimeError):
    """Every database number is claimed by another test run (or a killed one, until expiry)."""


@dataclass(frozen=True)
class RedisDatabases:
    """A claimed broker database and result-backend database, both empty at the start."""

    broker_db: int
    backend_db: int
    host: str = HOST
    port: int = PORT

    @property
    def broker_url(self) -> str:
        """The Celery broker URL (``ENRICH_CELERY__BROKER_URL``)."""
        return f"redis://{self.host}:{self.port}/{self.broker_db}"

    @property
    def backend_url(self) -> str:
        """The Celery result backend URL (``ENRICH_CELERY__RESULT_BACKEND``)."""
        return f"redis://{self.host}:{self.port}/{self.backend_db}"

    def broker(self) -> redis.Redis:
        """A client on the broker database, to look at queues and keys."""
        return redis.Redis(host=self.host, port=self.port, db=self.broker_db)


class RedisDatabaseClaims:
    """Claims and releases database numbers on one Redis server for one test process.

    ``owner`` names the claimant in the claim keys (host, pid, xdist worker) so that a
    "no free database" error says who holds them.
    """

    def __init__(self, host: str = HOST, port: int = PORT) -> None:
        self.host, self.port = host, port
        self._admin = redis.Redis(host=host, port=port, db=0)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{worker}:{uuid.uuid4().hex[:8]}"
        self._databases = self._count()

    def _count(self) -> int:
        try:
            reply = self._admin.config_get("databases")
        except redis.ResponseError:
            return DEFAULT_DATABASES
        return int(reply.get("databases") or DEFAULT_DATABASES)

    def claim(self, count: int) -> list[int]:
        """Claim ``count`` free database numbers and empty them; return them in order.

        Raises:
            NoFreeRedisDatabase: fewer than ``count`` are free (nothing stays claimed then).
            redis.ConnectionError: the server is not running (``make services`` starts it).
        """
        claimed: list[int] = []
        for number in range(FIRST_DB, self._databases):
            if len(claimed) == count:
                break
            if self._admin.set(CLAIM_PREFIX + str(number), self.owner, nx=True, ex=CLAIM_TTL_S):
                claimed.append(number)
        if len(claimed) < count:
            self.release(claimed)
            raise NoFreeRedisDatabase(self._busy_message(count))
        for number in claimed:
            # A killed run may have left its queues behind before its claim expired.
            redis.Redis(host=self.host, port=self.port, db=number).flushdb()
        return claimed

    def release(self, numbers: list[int]) -> None:
        """Empty the databases and drop the claims this process still holds on them."""
        for number in numbers:
            key = CLAIM_PREFIX + str(number)
            if self._admin.get(key) != self.owner.encode():
                continue  # expired and claimed by someone else: theirs now
            redis.Redis(host=self.host, port=self.port, db=number).flushdb()
            self._admin.eval(_DELETE_IF_OWNER, 1, key, self.owner)

    def _busy_message(self, count: int) -> str:
        holders = []
        for key in sorted(self._admin.scan_iter(CLAIM_PREFIX + "*")):
            value = self._admin.get(key)
            holders.append(f"  {key!r} held by {value!r}")
        listed = "\n".join(holders)
        return (
            f"no {count} free Redis databases on {self.host}:{self.port} (numbers "
            f"{FIRST_DB}..{self._databases - 1}); claims expire {CLAIM_TTL_S} s after they "
            f"are taken, or delete a dead run's keys from database 0:\n{listed}"
        )
