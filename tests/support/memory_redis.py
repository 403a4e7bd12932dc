"""An in-memory stand-in for the few Redis calls the delivery counter makes."""

from __future__ import annotations


class InMemoryRedis:
    """INCR, EXPIRE and DEL on a dict, recording each key's last expiry."""

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
