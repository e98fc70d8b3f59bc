"""A loopback stand-in for Braintrust's API and app servers that records what the SDK sends.

Point the real ``braintrust`` SDK at it with ``BraintrustRecorder.env()`` (all of
``BRAINTRUST_API_URL``, ``BRAINTRUST_APP_URL`` and the proxy URL are the recorder's base URL).
Endpoints mirror what braintrust 0.47.0 calls:

* login: ``POST /api/apikey/login`` (app; ``/apikey/login`` too) → one org, ``GET /ping``
* registration: ``POST /v1/project``, ``/v1/experiment``, ``/v1/dataset`` (plus ``GET`` by id
  or by name, and the legacy ``/api/{project,experiment,dataset}/register``)
* logging: ``GET /version`` (payload-size probe), ``POST /logs3`` with the envelope
  ``{"rows": [...], "api_version": N}``; the overflow path ``POST /logs3/overflow`` → ``PUT``
  to a signed URL here → ``POST /logs3`` with ``{"rows": {"type": "logs3_overflow", ...}}``
* reading back: ``POST /btql``, ``POST|GET /v1/{experiment,dataset,project_logs}/{id}/fetch``,
  ``GET /v1/experiment/{id}/summarize``, ``GET /v1/dataset/{id}/summarize``
* attachments: ``POST /attachment`` → ``PUT`` here, ``POST /attachment/status``,
  ``GET /attachment``
* ``POST /api/base_experiment/get_id`` answers 400 ("no base experiment").

Anything else answers 404 JSON and is listed by ``unexpected()``.

Caveat for the "refuse" fault: the SDK's long-lived connection retries a refused connection
10 times with 0.5 s doubling backoff (about 8.5 minutes) inside each of its upload tries, so a
flush against a refusing recorder blocks for minutes unless the test installs a lighter adapter
with ``braintrust.set_http_adapter``.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

ORG_ID = "org-recorder"
ORG_NAME = "recorder-org"
API_KEY = "recorder-key"
USER_ID = "user-recorder"
DEFAULT_PAYLOAD_MAX_BYTES = 6 * 1024 * 1024

# Which row field carries the id of each object type's rows.
_OBJECT_ID_FIELD = {
    "experiment": "experiment_id",
    "dataset": "dataset_id",
    "project_logs": "project_id",
}
_FAULT_KINDS = (None, "status", "slow", "refuse")


class RequestRecord(NamedTuple):
    """One request as received: path without query, headers minus Authorization, body bytes."""

    method: str
    path: str
    headers: dict[str, str]
    size: int


class _Reply(NamedTuple):
    """A handler's answer."""

    status: int
    body: Any = None
    raw: bytes | None = None


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that knows its recorder."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, recorder: BraintrustRecorder) -> None:
        """Bind to 127.0.0.1:port (0 for an ephemeral port)."""
        self.recorder = recorder
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, hands it to the recorder, writes its JSON answer."""

    server: _Server
    # HTTP/1.0: one request per connection, so "refuse" takes effect at once.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _read_body(self) -> bytes:
        """The raw request body (Content-Length or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        """Record and answer one request."""
        body = self._read_body()
        reply = self.server.recorder._dispatch(self.command, self.path, dict(self.headers), body)
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            ctype = "application/octet-stream" if reply.raw is not None else "application/json"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815


def _merge_into(target: dict[str, Any], row: dict[str, Any]) -> None:
    """Merge ``row`` into ``target``: dict fields shallowly, None never erases a value."""
    for key, value in row.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = {**target[key], **value}
        elif value is not None or key not in target:
            target[key] = value


def _is_comment(row: dict[str, Any]) -> bool:
    """True for a comment row (``log_feedback(comment=...)``)."""
    return isinstance(row.get("comment"), dict) and "origin" in row


def _decode_body(headers: dict[str, str], body: bytes) -> bytes:
    """Undo gzip/deflate content encoding (declared or sniffed)."""
    encoding = {k.lower(): v for k, v in headers.items()}.get("content-encoding", "").lower()
    if encoding == "gzip" or body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding not in ("", "identity"):
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")
    return body


class BraintrustRecorder:
    """Loopback fake of Braintrust's API + app servers that records every request and row."""

    def __init__(self, payload_max_bytes: int | None = DEFAULT_PAYLOAD_MAX_BYTES) -> None:
        """Configure; ``payload_max_bytes`` is what ``GET /version`` advertises (None: omit)."""
        self.payload_max_bytes = payload_max_bytes
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
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
            self._attachments: dict[str, bytes] = {}
            self._attachment_status: dict[str, dict[str, Any]] = {}
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
        server = _Server(port, self)
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

    def __enter__(self) -> BraintrustRecorder:
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
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {_FAULT_KINDS}")
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

    def _upload_fault(self) -> _Reply | None:
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
        return _Reply(fault["status"], {"error": f"injected fault: HTTP {fault['status']}"})

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
            if _is_comment(row):
                continue
            key = str(row.get("id") or row.get("span_id"))
            if row.get("_is_merge") and key in merged:
                _merge_into(merged[key], row)
            else:
                merged[key] = {}
                _merge_into(merged[key], row)
            merged[key].pop("_is_merge", None)
            xact[key] = x
        return [(row, xact[key]) for key, row in merged.items()]

    def spans(self) -> dict[str, dict[str, Any]]:
        """Rows merged by row id (``_is_merge`` rows update earlier ones), keyed by span id."""
        return {str(row.get("span_id") or row.get("id")): row for row, _ in self._merged()}

    def feedback(self) -> list[dict[str, Any]]:
        """Rows that are feedback: score/expected/tag updates (``_audit_source``) or comments."""
        return [row for row in self.rows() if "_audit_source" in row or _is_comment(row)]

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

    def attachments(self) -> dict[str, bytes]:
        """Uploaded attachment bodies by key."""
        with self._cond:
            return dict(self._attachments)

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

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        """Record a request and route it."""
        split = urlsplit(raw_path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        kept = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        with self._cond:
            self._requests.append(RequestRecord(method, path, kept, len(body)))
            self._cond.notify_all()
        for route_method, pattern, name in _ROUTES:
            if route_method != method:
                continue
            match = re.fullmatch(pattern, path)
            if match:
                try:
                    reply: _Reply = getattr(self, name)(headers, body, query, *match.groups())
                except (ValueError, KeyError, TypeError) as exc:
                    reply = _Reply(400, {"error": f"recorder could not parse request: {exc}"})
                    if name in _UPLOAD_HANDLERS:
                        with self._cond:
                            self.dropped_or_failed += 1
                with self._cond:
                    self._cond.notify_all()
                return reply
        with self._cond:
            self._unknown.append((method, path))
            self._cond.notify_all()
        return _Reply(404, {"error": f"braintrust recorder: no endpoint {method} {path}"})

    @staticmethod
    def _json(headers: dict[str, str], body: bytes) -> Any:
        """Decode a (possibly compressed) JSON body; {} when empty."""
        data = _decode_body(headers, body)
        return json.loads(data) if data.strip() else {}

    # login and probes

    def _org(self) -> dict[str, Any]:
        """The one organization this fake knows."""
        return {
            "id": ORG_ID,
            "name": ORG_NAME,
            "api_url": self.url,
            "proxy_url": self.url,
            "realtime_url": None,
            "is_universal_api": False,
            "git_metadata": {"collect": "none"},
        }

    def _login(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """API-key login: the org list."""
        with self._cond:
            self.logins += 1
        return _Reply(200, {"org_info": [self._org()]})

    def _ping(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """User info."""
        return _Reply(200, {"id": USER_ID, "email": "recorder@example.invalid", "org_id": ORG_ID})

    def _version(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """Server version and the logs3 payload limit the SDK batches against."""
        info: dict[str, Any] = {"version": "bt-recorder"}
        if self.payload_max_bytes is not None:
            info["logs3_payload_max_bytes"] = self.payload_max_bytes
        return _Reply(200, info)

    # registration

    def _project(self, name: str) -> dict[str, Any]:
        """Get or create a project by name."""
        with self._cond:
            if name not in self._projects:
                self._projects[name] = {
                    "id": f"proj-{name}",
                    "name": name,
                    "org_id": ORG_ID,
                    "created": "2024-01-01T00:00:00Z",
                    "user_id": USER_ID,
                    "settings": None,
                }
            return dict(self._projects[name])

    def _project_by_id(self, project_id: str) -> dict[str, Any] | None:
        """A registered project by id."""
        with self._cond:
            for project in self._projects.values():
                if project["id"] == project_id:
                    return dict(project)
        return None

    def _resolve_project(self, args: dict[str, Any]) -> dict[str, Any]:
        """The project named by project_id or project_name in a request."""
        if args.get("project_id"):
            found = self._project_by_id(str(args["project_id"]))
            if found is not None:
                return found
            name = str(args["project_id"]).removeprefix("proj-")
            return self._project(name)
        return self._project(str(args.get("project_name") or args.get("name") or "Global"))

    def _post_project(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """POST /v1/project: create-or-get by name."""
        return _Reply(200, self._project(str(self._json(headers, body)["name"])))

    def _list_projects(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """GET /v1/project?project_name=..."""
        projects = self.projects().values()
        name = query.get("project_name")
        return _Reply(200, {"objects": [p for p in projects if name is None or p["name"] == name]})

    def _get_project(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], project_id: str
    ) -> _Reply:
        """GET /v1/project/{id}."""
        found = self._project_by_id(project_id)
        return _Reply(200, found) if found else _Reply(404, {"error": "no such project"})

    def _legacy_register_project(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """POST /api/project/register (older SDKs)."""
        args = self._json(headers, body)
        return _Reply(200, {"project": self._project(str(args.get("project_name") or "Global"))})

    def _experiment(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create (or, without ensure_new, reuse) an experiment."""
        project = self._resolve_project(args)
        with self._cond:
            base = str(args.get("name") or f"experiment-{len(self._experiments) + 1}")
            same = [
                e
                for e in self._experiments.values()
                if e["project_id"] == project["id"] and e["name"] == base
            ]
            if same and not args.get("ensure_new", True):
                return dict(same[-1])
            name = base if not same else f"{base}-{len(same) + 1}"
            exp_id = f"exp-{project['name']}-{name}"
            self._experiments[exp_id] = {
                "id": exp_id,
                "name": name,
                "project_id": project["id"],
                "created": "2024-01-01T00:00:00Z",
                "user_id": USER_ID,
                "public": bool(args.get("public", False)),
                **{
                    k: args[k]
                    for k in ("description", "metadata", "tags", "dataset_id", "dataset_version")
                    if k in args
                },
                **({"base_exp_id": args["base_exp_id"]} if "base_exp_id" in args else {}),
            }
            return dict(self._experiments[exp_id])

    def _post_experiment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """POST /v1/experiment."""
        return _Reply(200, self._experiment(self._json(headers, body)))

    def _list_experiments(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """GET /v1/experiment?experiment_name=&project_name|project_id=."""
        found = list(self.experiments().values())
        if "experiment_name" in query:
            found = [e for e in found if e["name"] == query["experiment_name"]]
        if "project_id" in query or "project_name" in query:
            project_id = query.get("project_id") or f"proj-{query['project_name']}"
            found = [e for e in found if e["project_id"] == project_id]
        return _Reply(200, {"objects": found})

    def _get_experiment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], exp_id: str
    ) -> _Reply:
        """GET /v1/experiment/{id}."""
        found = self.experiments().get(exp_id)
        return _Reply(200, found) if found else _Reply(404, {"error": "no such experiment"})

    def _legacy_register_experiment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """POST /api/experiment/register (older SDKs)."""
        args = self._json(headers, body)
        args.setdefault("name", args.get("experiment_name"))
        experiment = self._experiment(args)
        project = self._project_by_id(experiment["project_id"])
        return _Reply(200, {"project": project, "experiment": experiment})

    def _dataset(self, args: dict[str, Any]) -> dict[str, Any]:
        """Get or create a dataset by project and name."""
        project = self._resolve_project(args)
        name = str(args.get("name") or args.get("dataset_name") or "logs")
        ds_id = f"ds-{project['name']}-{name}"
        with self._cond:
            if ds_id not in self._datasets:
                self._datasets[ds_id] = {
                    "id": ds_id,
                    "name": name,
                    "project_id": project["id"],
                    "created": "2024-01-01T00:00:00Z",
                    "user_id": USER_ID,
                    **{k: args[k] for k in ("description", "metadata") if k in args},
                }
            return dict(self._datasets[ds_id])

    def _post_dataset(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """POST /v1/dataset."""
        return _Reply(200, self._dataset(self._json(headers, body)))

    def _list_datasets(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """GET /v1/dataset?dataset_name=&project_name|project_id=."""
        found = list(self.datasets().values())
        if "dataset_name" in query:
            found = [d for d in found if d["name"] == query["dataset_name"]]
        if "project_id" in query or "project_name" in query:
            project_id = query.get("project_id") or f"proj-{query['project_name']}"
            found = [d for d in found if d["project_id"] == project_id]
        return _Reply(200, {"objects": found})

    def _get_dataset(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], ds_id: str
    ) -> _Reply:
        """GET /v1/dataset/{id}."""
        found = self.datasets().get(ds_id)
        return _Reply(200, found) if found else _Reply(404, {"error": "no such dataset"})

    def _legacy_register_dataset(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """POST /api/dataset/register (older SDKs)."""
        args = self._json(headers, body)
        dataset = self._dataset(args)
        project = self._project_by_id(dataset["project_id"])
        return _Reply(200, {"project": project, "dataset": dataset})

    def _base_experiment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """POST /api/base_experiment/get_id: never a base experiment (the SDK expects 400)."""
        return _Reply(400, {"error": "no base experiment"})

    # log uploads

    def _accept_rows(self, rows: list[Any], meta: dict[str, Any]) -> None:
        """Store accepted rows (one transaction) and the upload's envelope facts."""
        with self._cond:
            xact = self._next_xact
            self._next_xact += 1
            clean = [dict(r) for r in rows if isinstance(r, dict)]
            self._rows.extend(clean)
            self._xacts.extend([xact] * len(clean))
            self._uploads.append({**meta, "rows": len(clean)})
            self._cond.notify_all()

    def _logs3(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """POST /logs3: ``{"rows": [...] | overflow-reference, "api_version": N}``."""
        with self._cond:
            self.upload_attempts += 1
        fault = self._upload_fault()
        if fault is not None:
            return fault
        envelope = self._json(headers, body)
        rows = envelope["rows"]
        overflow = None
        if isinstance(rows, dict) and rows.get("type") == "logs3_overflow":
            overflow = str(rows["key"])
            with self._cond:
                stored = self._overflow.pop(overflow)
            rows = json.loads(stored)["rows"]
        if not isinstance(rows, list):
            raise ValueError("rows must be a list")
        self._accept_rows(
            rows,
            {
                "path": "/logs3",
                "bytes": len(body),
                "encoding": {k.lower(): v for k, v in headers.items()}.get("content-encoding"),
                "api_version": envelope.get("api_version"),
                "overflow": overflow,
            },
        )
        return _Reply(200, {"ids": [r.get("id") for r in rows if isinstance(r, dict)]})

    def _legacy_logs(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """POST /logs (older SDKs): a bare JSON list of rows, or a list of JSON strings."""
        with self._cond:
            self.upload_attempts += 1
        fault = self._upload_fault()
        if fault is not None:
            return fault
        rows = [json.loads(r) if isinstance(r, str) else r for r in self._json(headers, body)]
        self._accept_rows(rows, {"path": "/logs", "bytes": len(body), "overflow": None})
        return _Reply(200, [r.get("id") for r in rows])

    def _logs3_overflow(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """POST /logs3/overflow: hand out a signed PUT URL on this server."""
        fault = self._upload_fault()
        if fault is not None:
            return fault
        with self._cond:
            key = f"overflow-{len(self._uploads)}-{len(self._overflow)}-{time.monotonic_ns()}"
            self._overflow[key] = b""
        return _Reply(
            200,
            {
                "method": "PUT",
                "signedUrl": f"{self.url}/_upload/overflow/{key}",
                "headers": {"Content-Type": "application/json"},
                "key": key,
            },
        )

    def _put_overflow(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], key: str
    ) -> _Reply:
        """PUT of an overflow payload to its signed URL."""
        with self._cond:
            if key not in self._overflow:
                return _Reply(404, {"error": "unknown overflow key"})
            self._overflow[key] = _decode_body(headers, body)
        return _Reply(200, {})

    def _insert(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], kind: str, obj_id: str
    ) -> _Reply:
        """POST /v1/{kind}/{id}/insert: REST inserts, stamped with their object id."""
        with self._cond:
            self.upload_attempts += 1
        fault = self._upload_fault()
        if fault is not None:
            return fault
        events = self._json(headers, body)["events"]
        stamp = {_OBJECT_ID_FIELD[kind]: obj_id}
        if kind == "project_logs":
            stamp["log_id"] = "g"
        rows = [{**e, **stamp} for e in events]
        self._accept_rows(
            rows, {"path": f"/v1/{kind}/insert", "bytes": len(body), "overflow": None}
        )
        return _Reply(200, {"row_ids": [r.get("id") for r in rows]})

    # reading back

    def _object_rows(self, kind: str, obj_id: str) -> list[dict[str, Any]]:
        """Merged rows of one object, with ``_xact_id`` and ``created`` filled in."""
        field = _OBJECT_ID_FIELD.get(kind)
        if field is None:
            raise ValueError(f"unknown object type {kind!r}")
        out = []
        for row, xact in self._merged():
            if row.get(field) != obj_id:
                continue
            if kind == "project_logs" and row.get("log_id") not in (None, "g"):
                continue
            out.append({"_xact_id": str(xact), "created": "2024-01-01T00:00:00Z", **row})
        return out

    def _fetch(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], kind: str, obj_id: str
    ) -> _Reply:
        """POST|GET /v1/{kind}/{id}/fetch: every merged row in one page."""
        return _Reply(200, {"events": self._object_rows(kind, obj_id), "cursor": None})

    def _btql(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """POST /btql: ``select * from kind(id)`` only; filters are ignored."""
        source = self._json(headers, body)["query"]["from"]
        kind = source["name"]["name"][0]
        obj_id = source["args"][0]["value"]
        return _Reply(200, {"data": self._object_rows(kind, obj_id), "schema": {}, "cursor": None})

    def _experiment_summary(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], exp_id: str
    ) -> _Reply:
        """GET /v1/experiment/{id}/summarize: per score, the mean over traces (no diffs)."""
        per_trace: dict[str, dict[str, list[float]]] = {}
        for row in self._object_rows("experiment", exp_id):
            trace = per_trace.setdefault(str(row.get("root_span_id") or row.get("id")), {})
            for name, value in (row.get("scores") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    trace.setdefault(name, []).append(float(value))
        sums: dict[str, list[float]] = {}
        for trace in per_trace.values():
            for name, vals in trace.items():
                sums.setdefault(name, []).append(sum(vals) / len(vals))
        scores = {
            name: {
                "name": name,
                "score": sum(vals) / len(vals),
                "diff": None,
                "improvements": None,
                "regressions": None,
            }
            for name, vals in sums.items()
        }
        return _Reply(200, {"scores": scores, "metrics": {}, "comparison_experiment_name": None})

    def _dataset_summary(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], ds_id: str
    ) -> _Reply:
        """GET /v1/dataset/{id}/summarize."""
        rows = [r for r in self._object_rows("dataset", ds_id) if not r.get("_object_delete")]
        return _Reply(200, {"data_summary": {"total_records": len(rows)}})

    # attachments

    def _attachment(self, headers: dict[str, str], body: bytes, query: dict[str, str]) -> _Reply:
        """POST /attachment: a signed PUT URL on this server."""
        key = str(self._json(headers, body)["key"])
        return _Reply(200, {"signedUrl": f"{self.url}/_upload/attachment/{key}", "headers": {}})

    def _put_attachment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], key: str
    ) -> _Reply:
        """PUT of attachment bytes to their signed URL."""
        with self._cond:
            self._attachments[key] = body
        return _Reply(200, {})

    def _attachment_status_post(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """POST /attachment/status."""
        args = self._json(headers, body)
        with self._cond:
            self._attachment_status[str(args["key"])] = dict(args["status"])
        return _Reply(200, {})

    def _attachment_get(
        self, headers: dict[str, str], body: bytes, query: dict[str, str]
    ) -> _Reply:
        """GET /attachment?key=...: download URL and status."""
        key = query["key"]
        with self._cond:
            status = self._attachment_status.get(key, {"upload_status": "uploading"})
        return _Reply(
            200, {"downloadUrl": f"{self.url}/_upload/attachment/{key}", "status": status}
        )

    def _download_attachment(
        self, headers: dict[str, str], body: bytes, query: dict[str, str], key: str
    ) -> _Reply:
        """GET of attachment bytes."""
        with self._cond:
            data = self._attachments.get(key)
        return _Reply(200, raw=data) if data is not None else _Reply(404, {"error": "no such key"})


_ID = r"([^/]+)"
_KIND = r"(experiment|dataset|project_logs)"
_ROUTES: list[tuple[str, str, str]] = [
    ("POST", r"/api/apikey/login", "_login"),
    ("POST", r"/apikey/login", "_login"),
    ("GET", r"/ping", "_ping"),
    ("GET", r"/version", "_version"),
    ("POST", r"/v1/project", "_post_project"),
    ("GET", r"/v1/project", "_list_projects"),
    ("GET", rf"/v1/project/{_ID}", "_get_project"),
    ("POST", r"/api/project/register", "_legacy_register_project"),
    ("POST", r"/v1/experiment", "_post_experiment"),
    ("GET", r"/v1/experiment", "_list_experiments"),
    ("GET", rf"/v1/experiment/{_ID}", "_get_experiment"),
    ("GET", rf"/v1/experiment/{_ID}/summarize", "_experiment_summary"),
    ("POST", r"/api/experiment/register", "_legacy_register_experiment"),
    ("POST", r"/v1/dataset", "_post_dataset"),
    ("GET", r"/v1/dataset", "_list_datasets"),
    ("GET", rf"/v1/dataset/{_ID}", "_get_dataset"),
    ("GET", rf"/v1/dataset/{_ID}/summarize", "_dataset_summary"),
    ("POST", r"/api/dataset/register", "_legacy_register_dataset"),
    ("POST", r"/api/base_experiment/get_id", "_base_experiment"),
    ("POST", r"/logs3", "_logs3"),
    ("POST", r"/logs", "_legacy_logs"),
    ("POST", r"/logs3/overflow", "_logs3_overflow"),
    ("PUT", r"/_upload/overflow/([^/]+)", "_put_overflow"),
    ("POST", rf"/v1/{_KIND}/{_ID}/insert", "_insert"),
    ("POST", rf"/v1/{_KIND}/{_ID}/fetch", "_fetch"),
    ("GET", rf"/v1/{_KIND}/{_ID}/fetch", "_fetch"),
    ("POST", r"/btql", "_btql"),
    ("POST", r"/attachment", "_attachment"),
    ("GET", r"/attachment", "_attachment_get"),
    ("POST", r"/attachment/status", "_attachment_status_post"),
    ("PUT", r"/_upload/attachment/(.+)", "_put_attachment"),
    ("GET", r"/_upload/attachment/(.+)", "_download_attachment"),
]
_UPLOAD_HANDLERS = frozenset({"_logs3", "_legacy_logs", "_logs3_overflow", "_insert"})
