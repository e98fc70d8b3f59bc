"""Braintrust tracing for Game Master: set-up, flush, per-request logger restore, status.

This is the only module that reaches into Braintrust internals (pinned: braintrust 0.47);
the spans themselves are opened by ``game_master.spans``. Every function here logs problems
and returns; none raises into a request or a turn.

Order matters: call :func:`setup_tracing` after ``load_dotenv`` and before anything that
creates a ``ClaudeSDKClient`` or an SDK MCP tool, so Braintrust's wrapper patches the SDK
classes first (``app.py`` does this).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import braintrust
from braintrust import logger as bt_logger
from braintrust.wrappers.claude_agent_sdk import setup_claude_agent_sdk

if TYPE_CHECKING:
    from game_master.settings import Settings

log = logging.getLogger("game_master.tracing")

DASHBOARD_URL = "https://www.braintrust.dev/app/{project}/logs"
FLUSH_DEADLINE_S = 5.0

_lock = threading.Lock()
_status: dict[str, Any] = {
    "setup_done": False,
    "enabled": False,
    "project": None,
    "settings": None,
    "logger": None,
    "error": None,
    "last_flush": None,
    "last_flush_error": None,
    "restore_errors": 0,
    "dropped_batches": 0,
    "last_drop": None,
    "flush_failures": 0,
}


def _settings() -> Settings:
    """The settings tracing was set up with, else the environment's."""
    from game_master.settings import Settings

    stored: Settings | None = _status["settings"]
    return stored if stored is not None else Settings.from_env()


def setup_tracing(settings: Settings | None = None, *, force: bool = False) -> bool:
    """Patch the Claude Agent SDK for auto-tracing and keep a logger; idempotent.

    ``settings`` defaults to the environment's. Returns False (and logs "tracing
    disabled") without BRAINTRUST_API_KEY, with unusable settings, or when set-up fails.
    ``force`` sets up again (tests use it with a new environment).
    """
    from game_master.settings import ConfigError, Settings

    with _lock:
        if _status["setup_done"] and not force:
            return bool(_status["enabled"])
        _status.update(setup_done=True, enabled=False, logger=None, error=None, settings=None)
        try:
            settings = settings or Settings.from_env()
        except ConfigError as exc:  # create_app reports it too; tracing just stays off
            log.warning("tracing disabled: %s", exc)
            _status["error"] = str(exc)
            return False
        _status.update(settings=settings, project=settings.braintrust_project)
        api_key = settings.braintrust_api_key
        if not api_key:
            log.info("tracing disabled: BRAINTRUST_API_KEY is not set")
            _status["error"] = "BRAINTRUST_API_KEY is not set"
            return False
        try:
            project = _status["project"]
            _bound_braintrust_io()
            if not setup_claude_agent_sdk(api_key=api_key, project=project):
                raise RuntimeError("setup_claude_agent_sdk returned False")
            # Keep our own logger: worker threads and the agent loop get it back through
            # restore_logger_context() even when Braintrust's contextvar is empty there.
            logger = braintrust.init_logger(project=project, api_key=api_key, async_flush=True)
        except Exception as exc:
            log.warning("tracing disabled: Braintrust set-up failed: %s", exc)
            _status["error"] = f"set-up failed: {exc}"
            return False
        _status.update(enabled=True, logger=logger)
        _count_dropped_batches()
        atexit.register(flush_tracing)
        log.info("tracing enabled: Braintrust project %r", project)
        return True


HTTP_RETRIES = 2
HTTP_TIMEOUT_S = 10.0


def _bound_braintrust_io() -> None:
    """Keep Braintrust's network I/O bounded: telemetry must never hold the app.

    Out of the box a refused connection is retried with doubling backoff for minutes
    inside every upload try, and Braintrust's own atexit flush waits for all of it, so a
    down Braintrust could hold a stopping worker past gunicorn's graceful timeout. We use
    a short retry policy and our own atexit flush, which has a deadline.
    """
    # A write, not a read: Braintrust's background logger takes this switch from the
    # environment when it is created.
    os.environ.setdefault("BRAINTRUST_DISABLE_ATEXIT_FLUSH", "1")
    braintrust.set_http_adapter(
        braintrust.RetryRequestExceptionsAdapter(
            base_num_retries=HTTP_RETRIES,
            backoff_factor=0.2,
            default_timeout_secs=HTTP_TIMEOUT_S,
        )
    )


class _DropCounter:
    """Stands in for the background logger's stderr: counts dropped batches, logs them."""

    def __init__(self, target: Any) -> None:
        """Forward everything to ``target`` (normally sys.stderr)."""
        self.target = target

    def write(self, text: str) -> int:
        """Count "Dropping batch" / "Dropped N elements" lines, then forward."""
        if "Dropping batch" in text or "Dropped " in text:
            _status["dropped_batches"] += 1
            _status["last_drop"] = text.strip()[:300]
            log.warning("Braintrust dropped spans: %s", text.strip()[:300])
            return len(text)
        return int(self.target.write(text))

    def flush(self) -> None:
        """Flush the target."""
        self.target.flush()


def _count_dropped_batches() -> None:
    """Route the background logger's drop messages through :class:`_DropCounter`."""
    try:
        bg = bt_logger._state.global_bg_logger()
        if not isinstance(getattr(bg, "outfile", None), _DropCounter):
            setattr(bg, "outfile", _DropCounter(sys.stderr))  # noqa: B010  # not in its type
    except Exception as exc:  # status reporting is best effort
        log.debug("cannot count dropped Braintrust batches: %s", exc)


def is_enabled() -> bool:
    """True when set-up succeeded."""
    return bool(_status["enabled"])


def get_logger() -> Any:
    """The stored Braintrust logger, or None."""
    return _status["logger"]


def restore_logger_context() -> bool:
    """Set Braintrust's current-logger contextvar to the stored logger (per request).

    In braintrust 0.47 ``current_logger()`` reads ``_state._cv_logger`` and then
    ``_state._local_logger``. A request thread starts with an empty contextvar, so spans
    started there would not find our logger if anything had replaced the fallback. Errors
    are logged once, then only counted, so a broken upgrade cannot flood the log.
    """
    logger = _status["logger"]
    if logger is None:
        return False
    try:
        state = bt_logger._state
        if state._cv_logger.get() is not logger:
            state._cv_logger.set(logger)
        if state._local_logger is None:
            state._local_logger = logger
        return True
    except Exception as exc:
        _status["restore_errors"] += 1
        if _status["restore_errors"] == 1:
            log.warning("could not restore the Braintrust logger context: %s", exc)
        _status["error"] = f"restore_logger_context failed: {exc}"
        return False


def flush_tracing(deadline_s: float = FLUSH_DEADLINE_S) -> bool:
    """Send queued spans, waiting at most ``deadline_s``; True when the flush finished."""
    logger = _status["logger"]
    if logger is None:
        return False
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            logger.flush()
        except BaseException as exc:  # a flush error must never reach the caller
            failure.append(exc)
        finally:
            done.set()

    # Run the flush on a helper thread so a slow or dead Braintrust cannot hold the caller
    # (a request, or gunicorn's worker_exit) past the deadline.
    threading.Thread(target=run, name="braintrust-flush", daemon=True).start()
    finished = done.wait(deadline_s)
    _status["last_flush"] = time.time()
    if not finished:
        _status["flush_failures"] += 1
        _status["last_flush_error"] = f"flush did not finish within {deadline_s:.1f}s"
        log.warning("Braintrust flush did not finish within %.1fs", deadline_s)
        return False
    if failure:
        _status["flush_failures"] += 1
        _status["last_flush_error"] = f"{type(failure[0]).__name__}: {failure[0]}"[:500]
        log.warning("Braintrust flush failed: %s", failure[0])
        return False
    _status["last_flush_error"] = None
    return True


def _describe(logger: Any) -> str | None:
    """A short, secret-free description of a logger."""
    if logger is None:
        return None
    return f"{type(logger).__name__}(project={_status['project']!r})"


def _queue_length() -> int | None:
    """Spans waiting in Braintrust's background logger, when that can be read."""
    try:
        bg = bt_logger._state.global_bg_logger()
        queue = getattr(bg, "queue", None)
        return len(queue) if queue is not None else None
    except Exception:
        return None


def get_tracing_status() -> dict[str, Any]:
    """Tracing status for /debug/tracing: never the key itself."""
    try:
        settings: Settings | None = _settings()
    except ValueError:  # ConfigError: status must answer anyway
        settings = None
    project = _status["project"] or (settings.braintrust_project if settings else None)
    status: dict[str, Any] = {
        "enabled": bool(_status["enabled"]),
        "api_key_set": bool(settings and settings.braintrust_api_key),
        "project": project,
        "stored_logger": _describe(_status["logger"]),
        "context_logger": None,
        "span_type": None,
        "error": _status["error"],
        "dashboard_url": DASHBOARD_URL.format(project=project),
        "last_flush": _status["last_flush"],
        "last_flush_error": _status["last_flush_error"],
        "queue_length": None,
        "dropped_batches": _status["dropped_batches"],
        "last_drop": _status["last_drop"],
        "flush_failures": _status["flush_failures"],
    }
    try:
        status["context_logger"] = _describe(bt_logger._state._cv_logger.get())
        status["span_type"] = type(braintrust.current_span()).__name__
        if _status["enabled"]:
            status["queue_length"] = _queue_length()
    except Exception as exc:  # status must answer even with a broken braintrust
        status["error"] = status["error"] or f"status unavailable: {exc}"
    return status


def reset_for_tests() -> None:
    """Forget set-up so a test can call setup_tracing() under a new environment.

    Braintrust's own logger is forgotten too: the Agent SDK stays patched for the life of
    the process, and its spans must not reach a logger whose key the test has taken away
    (its background flush would fail to log in, over and over, on stderr).
    """
    bt_logger._state.reset_parent_state()
    with _lock:
        _status.update(
            setup_done=False,
            enabled=False,
            logger=None,
            error=None,
            project=None,
            settings=None,
            last_flush=None,
            last_flush_error=None,
            restore_errors=0,
        )


_login_started = threading.Event()


def permalink(exported: str) -> str | None:
    """A browser link to a span, or None until Braintrust's org info is known.

    Building a link needs a login; that must never hold a turn, so the first call starts
    the login on a background thread and later calls return links.
    """
    if _status["logger"] is None or not exported:
        return None
    try:
        if not bt_logger._state.logged_in:
            if not _login_started.is_set():
                _login_started.set()
                threading.Thread(target=_background_login, daemon=True).start()
            return None
        return str(braintrust.permalink(exported))
    except Exception as exc:
        log.debug("no permalink: %s", exc)
        return None


def _background_login() -> None:
    """Log in to Braintrust off the request path (errors are recorded, not raised)."""
    try:
        braintrust.login(api_key=_settings().braintrust_api_key)
    except Exception as exc:
        log.warning("Braintrust login failed: %s", exc)
        _status["error"] = f"login failed: {exc}"
