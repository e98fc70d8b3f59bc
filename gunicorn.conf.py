"""gunicorn settings: ``gunicorn -c gunicorn.conf.py app:app``.

gthread workers (threads carry concurrent SSE streams); each worker starts its own agent
loop, CLI pool, offline narrator and Braintrust background logger after the fork, and on
exit finishes running turns, stops every CLI process and flushes spans within the
graceful timeout.
"""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import gunicorn.util


def _env_float(name: str, default: float) -> float:
    """A float from the environment."""
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


_turn_timeout = _env_float("GM_TURN_TIMEOUT_S", 120.0)
_shutdown_grace = _env_float("GM_SHUTDOWN_GRACE_S", 20.0)
_flush_deadline = _env_float("GM_FLUSH_DEADLINE_S", 5.0)

os.environ.setdefault("GM_ENV", "production")  # SECRET_KEY required, debug off

bind = os.environ.get("GM_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_class = "gthread"
threads = int(os.environ.get("GM_THREADS", "16"))
# The worker heartbeat must outlast the longest turn a thread can be busy with.
timeout = int(_turn_timeout + 30)
# SIGTERM: running turns get the grace period, then CLI shutdown and a bounded flush.
graceful_timeout = int(_shutdown_grace + _flush_deadline + 10)
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GM_LOG_LEVEL", "info")
# Never preload: the agent loop thread, CLI processes and Braintrust's background thread
# must be created in the worker that uses them (threads do not survive fork).
preload_app = False
# CLI processes live in the worker; recycle workers only if asked to.
max_requests = int(os.environ.get("GM_MAX_REQUESTS", "0"))
max_requests_jitter = 50 if max_requests else 0


def _json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own refusals (a header over limit_request_field_size, a bad request line)
    in the app's error JSON instead of an HTML page; the offending text is not echoed."""
    code = reason.lower().replace(" ", "_")
    body = json.dumps({"error": {"code": code, "message": reason}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin1") + body)


# Workers look the writer up on the module at each error, so replacing it here covers them.
gunicorn.util.write_error = _json_error


def _service(worker: Any) -> Any:
    """The worker's GameService, if the app loaded."""
    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", None) or {}
    return extensions.get("game_master")


def post_worker_init(worker: Any) -> None:
    """Start tracing and the agent runtime in the worker process, after the fork."""
    import tracing

    tracing.setup_tracing()
    service = _service(worker)
    if service is not None:
        service.ensure_started()
        # SIGTERM ends this worker's table streams at once (their clients reconnect to
        # another worker with Last-Event-ID); otherwise each idle stream would hold the
        # worker until graceful_timeout. gunicorn bound its handler before this hook.
        stop_worker = worker.handle_exit

        def handle_exit(sig: int, frame: Any) -> None:
            service.party.feed.stop()
            stop_worker(sig, frame)

        signal.signal(signal.SIGTERM, handle_exit)


def worker_exit(server: Any, worker: Any) -> None:
    """Finish running turns, stop every CLI process, flush Braintrust (all bounded)."""
    import tracing

    service = _service(worker)
    if service is not None:
        service.shutdown(grace_s=_shutdown_grace)
    tracing.flush_tracing(deadline_s=_flush_deadline)
