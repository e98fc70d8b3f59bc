"""The Braintrust recorder's state: what it recorded, its lifecycle, faults and read-out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from .bt_wire import (
    API_KEY,
    DEFAULT_PAYLOAD_MAX_BYTES,
    FAULT_KINDS,
    ORG_NAME,
    Answer,
    RecorderServer,
    RequestRecord,
    decode_body,
    is_comment,
    merge_into,
)


class RecorderState:
    """Everything the recorder holds and the parts that do not answer requests."""

    def __init__(self, payload_max_bytes: int | None = DEFAULT_PAYLOAD_MAX_BYTES) -> None:
        """Configure; ``payload_max_bytes`` is what ``GET /version`` advertises (None: omit)."""
        self.payload_max_bytes = payload_max_bytes
        self._cond = threading.Condition(threading.RLock())
        self._server: RecorderServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self.url = ""
        self._mode: str | None = None
        self._fault: dict[str, Any] = {}
        self.dropped_or_failed = 0
        self._reset_state()

    def _reset_state(self) -> None:
        """Forget everything recorded."""
        with self._cond:
            self._requests: list[RequestRecord] = []
            self._unknown: list[tuple[str, str]] = []
            self._rows: list[dict[str, Any]] = []
            self._xacts: list[int] = []
            self._uploads: list[dict[str, Any]] = []
            self._overflow: dict[str, bytes] = {}
            self._projects: dict[str, dict[str, Any]] = {}
            self._experiments: dict[str, dict[str, Any]] = {}
            self._datasets: dict[str, dict[str, Any]] = {}
            self.logins = 0
            self.upload_attempts = 0
            self.dropped_or_failed = 0
            self._next_xact = 1_000_000_000_000
            self._cond.notify_all()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Serve on an ephemeral loopback port in a daemon thread; return the base URL."""
        if self._server is None:
            self._serve(self._port)
        return self.url

    def _serve(self, port: int) -> None:
        """Bind and start the serving thread."""
        server = RecorderServer(port, self._dispatch)
        self._server = server
        self._port = server.server_address[1]
        self.url = f"http://127.0.0.1:{self._port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _close_server(self) -> None:
        """Stop serving and close the listening socket."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        self._close_server()
        with self._cond:
            self._mode, self._fault = None, {}

    def __enter__(self) -> Self:
        """Start and return self."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop."""
        self.stop()

    def env(self) -> dict[str, str]:
        """Environment variables that point the SDK (in this or a child process) here."""
        if not self.url:
            raise RuntimeError("start() the recorder first")
        return {
            "BRAINTRUST_API_URL": self.url,
            "BRAINTRUST_APP_URL": self.url,
            "BRAINTRUST_APP_PUBLIC_URL": self.url,
            "BRAINTRUST_PROXY_URL": self.url,
            "BRAINTRUST_API_KEY": API_KEY,
            "BRAINTRUST_ORG_NAME": ORG_NAME,
        }

    # ------------------------------------------------------------------ faults

    @property
    def mode(self) -> str | None:
        """The current fault kind (None: normal); assigning it calls ``set_fault`` with defaults."""
        return self._mode

    @mode.setter
    def mode(self, kind: str | None) -> None:
        """Switch faults with default parameters."""
        self.set_fault(kind)

    def set_fault(self, kind: str | None, **kw: Any) -> None:
        """Inject a fault: None, "status" (status=500), "slow" (seconds=1.0), "refuse".

        "status" and "slow" apply to log uploads only; ``times=N`` limits them to the next N
        uploads. "refuse" closes the listening socket (connections are refused) until
        ``restore()`` or ``set_fault(None)``.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if kind is None:
            self.restore()
            return
        if kind == "refuse":
            with self._cond:
                self._mode, self._fault = "refuse", {}
            self._close_server()
            return
        if self._mode == "refuse":
            self.restore()
        with self._cond:
            self._mode = kind
            self._fault = {
                "status": int(kw.get("status", 500)),
                "seconds": float(kw.get("seconds", 1.0)),
                "times": kw.get("times"),
            }

    def restore(self) -> str:
        """Clear any fault; after "refuse", re-bind (same port if still free); return the URL."""
        with self._cond:
            refused = self._mode == "refuse"
            self._mode, self._fault = None, {}
        if refused and self._server is None:
            try:
                self._serve(self._port)
            except OSError:
                self._serve(0)
        return self.url

    def _upload_fault(self) -> Answer | None:
        """Apply the current status/slow fault to one upload; a reply if it must fail."""
        with self._cond:
            mode, fault = self._mode, dict(self._fault)
            if mode not in ("status", "slow"):
                return None
            if fault.get("times") is not None:
                self._fault["times"] = fault["times"] - 1
                if self._fault["times"] <= 0:
                    self._mode, self._fault = None, {}
        if mode == "slow":
            time.sleep(fault["seconds"])
            return None
        with self._cond:
            self.dropped_or_failed += 1
            self._cond.notify_all()
        return Answer(fault["status"], {"error": f"injected fault: HTTP {fault['status']}"})

    # ------------------------------------------------------------------ reading

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received, in arrival order."""
        with self._cond:
            return list(self._requests)

    def paths(self, method: str | None = None) -> list[str]:
        """Paths of every request received (optionally only one method)."""
        return [r.path for r in self.requests if method is None or r.method == method]

    def unexpected(self) -> list[tuple[str, str]]:
        """(method, path) of requests answered 404 because no endpoint matched."""
        with self._cond:
            return list(self._unknown)

    def rows(self) -> list[dict[str, Any]]:
        """Every accepted row, decoded and flattened out of upload envelopes, in arrival order."""
        with self._cond:
            return [dict(row) for row in self._rows]

    def uploads(self) -> list[dict[str, Any]]:
        """One entry per accepted upload: path, rows, bytes, encoding, api_version, overflow."""
        with self._cond:
            return [dict(u) for u in self._uploads]

    def _merged(self) -> list[tuple[dict[str, Any], int]]:
        """Rows merged by row id in arrival order (comments excluded), with their last xact."""
        with self._cond:
            pairs = list(zip(self._rows, self._xacts, strict=True))
        merged: dict[str, dict[str, Any]] = {}
        xact: dict[str, int] = {}
        for row, x in pairs:
            if is_comment(row):
                continue
            key = str(row.get("id") or row.get("span_id"))
            if row.get("_is_merge") and key in merged:
                merge_into(merged[key], row)
            else:
                merged[key] = {}
                merge_into(merged[key], row)
            merged[key].pop("_is_merge", None)
            xact[key] = x
        return [(row, xact[key]) for key, row in merged.items()]

    def spans(self) -> dict[str, dict[str, Any]]:
        """Rows merged by row id (``_is_merge`` rows update earlier ones), keyed by span id."""
        return {str(row.get("span_id") or row.get("id")): row for row, _ in self._merged()}

    def feedback(self) -> list[dict[str, Any]]:
        """Rows that are feedback: score/expected/tag updates (``_audit_source``) or comments."""
        return [row for row in self.rows() if "_audit_source" in row or is_comment(row)]

    def projects(self) -> dict[str, dict[str, Any]]:
        """Registered projects by name."""
        with self._cond:
            return {k: dict(v) for k, v in self._projects.items()}

    def experiments(self) -> dict[str, dict[str, Any]]:
        """Registered experiments by id."""
        with self._cond:
            return {k: dict(v) for k, v in self._experiments.items()}

    def datasets(self) -> dict[str, dict[str, Any]]:
        """Registered datasets by id."""
        with self._cond:
            return {k: dict(v) for k, v in self._datasets.items()}

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` (woken by each request) until truthy or ``timeout``; its outcome."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._cond:
                self._cond.wait(min(remaining, 0.05))

    def clear(self) -> None:
        """Forget all requests, rows, registrations and counters (faults stay)."""
        self._reset_state()

    def _dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        """Record and answer one request (the recorder's routes)."""
        raise NotImplementedError

    @staticmethod
    def _json(headers: dict[str, str], body: bytes) -> Any:
        """Decode a (possibly compressed) JSON body; {} when empty."""
        data = decode_body(headers, body)
        return json.loads(data) if data.strip() else {}
