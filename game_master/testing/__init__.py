"""The test harness, shared by tests/ and bench/: servers, stubs, the Braintrust recorder.

Nothing in the app imports this package; it lives here so that tests and the benchmark
import one copy (``from game_master.testing import Gunicorn``) instead of each other.
"""

from __future__ import annotations

from .api import new_game, play
from .bt_recorder import ORG_ID, BraintrustRecorder, RequestRecord
from .env import (
    INSTANT_NARRATOR,
    NO_RATE_LIMITS,
    SCRUB_ENV,
    base_config,
    chapter_per_turn_budget,
    scrubbed_environ,
)
from .servers import DEBUG_HEADERS, REPO, Gunicorn, LiveServer, cli_processes, free_port, parse_sse
from .services import PG_URL, REDIS_URL, in_ci, missing, pg_available, redis_available

__all__ = [
    "DEBUG_HEADERS",
    "INSTANT_NARRATOR",
    "NO_RATE_LIMITS",
    "ORG_ID",
    "PG_URL",
    "REDIS_URL",
    "REPO",
    "SCRUB_ENV",
    "BraintrustRecorder",
    "Gunicorn",
    "LiveServer",
    "RequestRecord",
    "base_config",
    "chapter_per_turn_budget",
    "cli_processes",
    "free_port",
    "in_ci",
    "missing",
    "new_game",
    "parse_sse",
    "pg_available",
    "play",
    "redis_available",
    "scrubbed_environ",
]
