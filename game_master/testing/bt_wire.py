"""The Braintrust recorder's wire: constants, the HTTP server and handler, body helpers."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

ORG_ID = "org-recorder"
ORG_NAME = "recorder-org"
API_KEY = "recorder-key"
USER_ID = "user-recorder"
DEFAULT_PAYLOAD_MAX_BYTES = 6 * 1024 * 1024

# Which row field carries the id of each object type's rows.
OBJECT_ID_FIELD = {
    "experiment": "experiment_id",
    "dataset": "dataset_id",
    "project_logs": "project_id",
}
FAULT_KINDS = (None, "status", "slow", "refuse")


class RequestRecord(NamedTuple):
    """One request as received: path without query, headers minus Authorization, body bytes."""

    method: str
    path: str
    headers: dict[str, str]
    size: int


class Answer(NamedTuple):
    """A handler's answer."""

    status: int
    body: Any = None
    raw: bytes | None = None


# (method, path with query, headers, body) -> the answer.
Dispatch = Callable[[str, str, dict[str, str], bytes], "Answer"]


class RecorderServer(ThreadingHTTPServer):
    """A threading HTTP server that hands every request to ``dispatch``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, dispatch: Dispatch) -> None:
        """Bind to 127.0.0.1:port (0 for an ephemeral port)."""
        self.dispatch = dispatch
        super().__init__(("127.0.0.1", port), RecorderHandler)


class RecorderHandler(BaseHTTPRequestHandler):
    """Reads a request, hands it to the recorder, writes its JSON answer."""

    server: RecorderServer
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
        reply = self.server.dispatch(self.command, self.path, dict(self.headers), body)
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


def merge_into(target: dict[str, Any], row: dict[str, Any]) -> None:
    """Merge ``row`` into ``target``: dict fields shallowly, None never erases a value."""
    for key, value in row.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = {**target[key], **value}
        elif value is not None or key not in target:
            target[key] = value


def is_comment(row: dict[str, Any]) -> bool:
    """True for a comment row (``log_feedback(comment=...)``)."""
    return isinstance(row.get("comment"), dict) and "origin" in row


def decode_body(headers: dict[str, str], body: bytes) -> bytes:
    """Undo gzip/deflate content encoding (declared or sniffed)."""
    encoding = {k.lower(): v for k, v in headers.items()}.get("content-encoding", "").lower()
    if encoding == "gzip" or body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding not in ("", "identity"):
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")
    return body
