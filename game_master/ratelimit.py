"""Fixed-window request limits per client, in memory or shared through Redis."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """``count`` requests per ``window_s`` seconds."""

    count: int
    window_s: float


@dataclass(frozen=True)
class Verdict:
    """Whether a request may pass, and when to retry if not."""

    allowed: bool
    retry_after_s: int


class Backend(Protocol):
    """Counts hits of a key within its window."""

    def incr(self, key: str, window_s: float) -> int:
        """Add one hit to ``key`` (which expires with its window); return the count."""
        ...


class MemoryBackend:
    """Counters in this process (one worker); expired windows are dropped as it goes."""

    def __init__(self) -> None:
        """Empty counters."""
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, window_s: float) -> int:
        """Count a hit."""
        now = time.monotonic()
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            count, expires = self._counts.get(key, (0, now + window_s))
            count += 1
            self._counts[key] = (count, expires)
            return count


class RedisBackend:
    """Counters in Redis, shared by every worker and host (``REDIS_URL``)."""

    def __init__(self, url: str) -> None:
        """Connect lazily to ``url``."""
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def incr(self, key: str, window_s: float) -> int:
        """INCR and set the expiry on the first hit, in one round trip."""
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, max(1, int(window_s + 1)), nx=True)
        count, _ = pipe.execute()
        return int(count)


class RateLimiter:
    """Checks a client's requests against named limits."""

    def __init__(self, backend: Backend) -> None:
        """Use ``backend`` for the counters."""
        self.backend = backend
        self.errors = 0

    def hit(self, bucket: str, client: str, limit: Limit) -> Verdict:
        """Count one request; a broken backend lets requests through (and is logged)."""
        now = time.time()
        window = int(now // limit.window_s)
        key = f"gm:rl:{bucket}:{client}:{window}"
        try:
            count = self.backend.incr(key, limit.window_s)
        except Exception as exc:  # availability over limiting when Redis is down
            self.errors += 1
            if self.errors == 1 or self.errors % 100 == 0:
                log.warning("rate limiter backend failed (%d times): %s", self.errors, exc)
            return Verdict(True, 0)
        if count <= limit.count:
            return Verdict(True, 0)
        retry = int((window + 1) * limit.window_s - now) + 1
        return Verdict(False, max(1, retry))


def make_limiter(redis_url: str | None) -> RateLimiter:
    """Redis-backed when ``redis_url`` is set, in-memory otherwise."""
    return RateLimiter(RedisBackend(redis_url) if redis_url else MemoryBackend())
