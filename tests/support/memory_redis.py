"""An in-memory stand-in for the few Redis calls the delivery counter makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class InMemoryRedis:
    """INCR, EXPIRE and DEL on a dict, recording each key's last expiry; pipelines of them."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.ttls: dict[str, int] = {}

    def incr(self, name: str, amount: int = 1) -> int:
        self.values[name] = self.values.get(name, 0) + amount
        return self.values[name]

    def expire(self, name: str, time: int) -> bool:
        # As Redis: EXPIRE on a missing key sets nothing and answers 0.
        if name not in self.values:
            return False
        self.ttls[name] = time
        return True

    def delete(self, *names: str) -> int:
        found = [n for n in names if n in self.values]
        for n in names:
            self.values.pop(n, None)
            self.ttls.pop(n, None)
        return len(found)

    def pipeline(self, transaction: bool = True) -> InMemoryPipeline:
        """Calls queued and run in order by ``execute`` (one "round trip")."""
        return InMemoryPipeline(self)


class InMemoryPipeline:
    """A pipeline of :class:`InMemoryRedis`: INCR, EXPIRE and DEL queued, answered as a list."""

    def __init__(self, redis: InMemoryRedis) -> None:
        self._redis = redis
        self._calls: list[Callable[[], Any]] = []

    def incr(self, name: str, amount: int = 1) -> InMemoryPipeline:
        self._calls.append(lambda: self._redis.incr(name, amount))
        return self

    def expire(self, name: str, time: int) -> InMemoryPipeline:
        self._calls.append(lambda: self._redis.expire(name, time))
        return self

    def execute(self) -> list[Any]:
        calls, self._calls = self._calls, []
        return [call() for call in calls]
