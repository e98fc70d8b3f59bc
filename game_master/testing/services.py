"""The outside services some tests need (PostgreSQL, Redis, Chromium) and whether they answer.

Outside CI a missing service skips the tests that need it; with ``CI=true`` it fails the run,
so a broken CI machine cannot pass by skipping (see tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

PG_URL = os.environ.get("GM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("GM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("GM_CHROMIUM") or "/usr/bin/chromium"


def in_ci() -> bool:
    """True when the run is CI's (``CI=true``, as GitHub Actions and most runners set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@cache
def pg_available() -> bool:
    """True when PostgreSQL answers at ``PG_URL`` (checked once per process)."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@cache
def redis_available() -> bool:
    """True when Redis answers at ``REDIS_URL`` (checked once per process)."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def chromium_available() -> bool:
    """True when the Chromium binary the browser tests drive exists."""
    return Path(CHROMIUM).exists()


# Service name -> (is it there?, why a test cannot run without it).
SERVICES: dict[str, tuple[Callable[[], bool], str]] = {
    "postgres": (pg_available, f"no PostgreSQL answers at {PG_URL}"),
    "redis": (redis_available, f"no Redis answers at {REDIS_URL}"),
    "browser": (
        chromium_available,
        f"Chromium not found at {CHROMIUM} (install Debian's chromium or set GM_CHROMIUM)",
    ),
}


def missing(service: str) -> str | None:
    """Why ``service`` (a key of ``SERVICES``) cannot be used, or None when it answers."""
    check, reason = SERVICES[service]
    return None if check() else reason
