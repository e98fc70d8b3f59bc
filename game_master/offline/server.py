"""The offline narrator's HTTP server: a loopback Anthropic Messages API (no key needed).

The bundled Claude Code CLI is pointed at it with ``ANTHROPIC_BASE_URL``; it answers
``POST /v1/messages`` (streaming SSE or plain JSON) by planning game tool calls from the
player's words and narrating their results, deterministically for the same request.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from .conversation import Reply, block_tokens, estimate_tokens, request_input_tokens
from .ledger import PromptCache, RequestLog
from .planner import narrate
from .tellings import Tellings

log = logging.getLogger(__name__)


def split_text(text: str, words: int = 3) -> list[str]:
    """Cut ``text`` into pieces of a few words each that concatenate back to ``text``."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [text]


# --------------------------------------------------------------------------- HTTP


class MessagesHandler(BaseHTTPRequestHandler):
    """A reusable Anthropic Messages API handler; override ``reply`` to choose the content."""

    protocol_version = "HTTP/1.1"
    server_version = "OfflineNarrator/1.0"

    # ---- hooks

    def reply(self, request: dict[str, Any]) -> Reply:
        """The content for one Messages request; subclasses override this."""
        return Reply.text("The narrator is silent.")

    def handle_messages(self, request: dict[str, Any]) -> None:
        """Answer ``POST /v1/messages``; override to script faults (see ``send_error_json``)."""
        self.send_reply(request, self.reply(request))

    # ---- settings from the server

    def _setting(self, name: str, default: float) -> float:
        """A numeric option stored on the server object."""
        return float(getattr(self.server, name, default) or 0.0)

    @property
    def seed(self) -> int:
        """The narrator's RNG seed."""
        return int(self._setting("seed", 0))

    # ---- plumbing

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests at debug level instead of printing them to stderr."""
        log.debug("%s - %s", self.address_string(), format % args)

    def _path(self) -> str:
        """The request path without its query string or trailing slash."""
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        return path.rstrip("/") or "/"

    def _read_body(self) -> bytes:
        """Read the request body (Content-Length or chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _record(self, body: Any) -> None:
        """Remember the request on the server and, with a ``dump_dir``, write it to a file."""
        entry = {
            "method": self.command,
            "path": self.path,
            "body": body,
            "headers": dict(self.headers.items()),
        }
        requests = getattr(self.server, "requests", None)
        if requests is not None:
            requests.append(entry)
        dump_dir = getattr(self.server, "dump_dir", None)
        if dump_dir:
            os.makedirs(dump_dir, exist_ok=True)
            name = f"{time.time():.6f}-{threading.get_ident()}.json"
            with open(os.path.join(dump_dir, name), "w", encoding="utf-8") as fh:
                json.dump(entry, fh, indent=1, ensure_ascii=False, default=str)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Send ``payload`` as a JSON response with the given status."""
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", "req_" + os.urandom(12).hex())
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def send_error_json(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send an error in Anthropic's shape, e.g. ``(529, "overloaded_error", "busy")``."""
        payload = {"type": "error", "error": {"type": error_type, "message": message}}
        self.send_json(status, payload, headers)

    def send_raw(
        self,
        status: int,
        body: bytes | str,
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send an arbitrary status and body (for scripting odd faults)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    # ---- verbs

    def do_GET(self) -> None:
        """Health check on ``/`` and ``/healthz``; anything else is 404."""
        if self._path() in ("/", "/healthz"):
            self.send_json(200, {"status": "ok", "service": "offline-narrator"})
        else:
            self._not_found()

    def do_HEAD(self) -> None:
        """Like GET, without a body."""
        self.do_GET()

    def do_POST(self) -> None:
        """Route Messages and count_tokens requests."""
        raw = self._read_body()
        path = self._path()
        if path not in ("/v1/messages", "/v1/messages/count_tokens"):
            self._record(raw.decode("utf-8", "replace")[:2000])
            self._not_found()
            return
        try:
            request = json.loads(raw or b"{}")
        except ValueError as exc:
            self._record(raw.decode("utf-8", "replace")[:2000])
            self.send_error_json(400, "invalid_request_error", f"body is not JSON: {exc}")
            return
        self._record(request)
        if not isinstance(request, dict):
            self.send_error_json(400, "invalid_request_error", "body must be a JSON object")
            return
        if path.endswith("/count_tokens"):
            self.send_json(200, {"input_tokens": request_input_tokens(request)})
            return
        try:
            self.handle_messages(request)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            log.debug("client went away mid-response")

    def _not_found(self) -> None:
        """Answer an unknown route with a 404 JSON error."""
        self.send_error_json(404, "not_found_error", f"no route for {self.command} {self._path()}")

    def do_PUT(self) -> None:
        """Unsupported method."""
        self._read_body()
        self._not_found()

    def do_DELETE(self) -> None:
        """Unsupported method."""
        self.do_PUT()

    def do_PATCH(self) -> None:
        """Unsupported method."""
        self.do_PUT()

    # ---- writing replies

    def _message_id(self, request: dict[str, Any]) -> str:
        """A fresh message id."""
        return "msg_" + os.urandom(12).hex()

    def message_json(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        """The complete non-streaming message for ``reply``."""
        return {
            "id": self._message_id(request),
            "type": "message",
            "role": "assistant",
            "model": str(request.get("model") or "offline-narrator"),
            "content": reply.blocks,
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": {
                **self.input_usage(request),
                "output_tokens": sum(block_tokens(b) for b in reply.blocks) or 1,
            },
        }

    def input_usage(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request's input tokens as billed: split by the server's prompt cache (none: 0)."""
        cache = getattr(self.server, "prompt_cache", None)
        return (cache if cache is not None else PromptCache(min_tokens=2**62)).usage(request)

    def send_reply(self, request: dict[str, Any], reply: Reply) -> None:
        """Write ``reply`` as SSE when the request asked to stream, else as one JSON message."""
        if request.get("stream"):
            self.stream_reply(request, reply)
            return
        first_ms = self._setting("first_token_ms", 0.0)
        tps = self._setting("tokens_per_s", 0.0)
        delay = first_ms / 1000.0
        if tps > 0:
            delay += sum(block_tokens(b) for b in reply.blocks if b.get("type") == "text") / tps
        if delay > 0:
            time.sleep(delay)
        self.send_json(200, self.message_json(request, reply))

    def start_sse(self, status: int = 200) -> None:
        """Send the headers of an event stream (the connection closes at its end)."""
        self.send_response(status)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("request-id", "req_" + os.urandom(12).hex())
        self.end_headers()
        self.close_connection = True

    def send_event(self, name: str, data: dict[str, Any]) -> None:
        """Write one SSE event and flush it."""
        payload = json.dumps(data, ensure_ascii=False)
        self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
        self.wfile.flush()

    def stream_reply(self, request: dict[str, Any], reply: Reply) -> None:
        """Write ``reply`` as Anthropic's streaming event sequence, paced by the options."""
        first_ms = self._setting("first_token_ms", 0.0)
        tps = self._setting("tokens_per_s", 0.0)
        message = self.message_json(request, reply)
        usage = message["usage"]
        start = dict(message, content=[], stop_reason=None, stop_sequence=None)
        start["usage"] = dict(usage, output_tokens=1)
        self.start_sse()
        self.send_event("message_start", {"type": "message_start", "message": start})
        first = True
        for index, block in enumerate(reply.blocks):
            if block.get("type") == "tool_use":
                head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                pieces = split_json(json.dumps(block.get("input", {}), ensure_ascii=False))
                kind = "input_json_delta"
            else:
                head = {"type": "text", "text": ""}
                pieces = split_text(str(block.get("text", "")))
                kind = "text_delta"
            self.send_event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": head},
            )
            for piece in pieces:
                if first and first_ms > 0:
                    time.sleep(first_ms / 1000.0)
                elif kind == "text_delta" and tps > 0:
                    time.sleep(estimate_tokens(piece) / tps)
                first = False
                delta = (
                    {"type": "text_delta", "text": piece}
                    if kind == "text_delta"
                    else {"type": "input_json_delta", "partial_json": piece}
                )
                self.send_event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            self.send_event("content_block_stop", {"type": "content_block_stop", "index": index})
        self.send_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                "usage": usage,  # the final totals, input and cache included, as the API sends
            },
        )
        self.send_event("message_stop", {"type": "message_stop"})


def split_json(text: str, size: int = 24) -> list[str]:
    """Cut a JSON string into ``partial_json`` pieces."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class NarratorHandler(MessagesHandler):
    """The offline game master: replies come from ``narrate``."""

    def reply(self, request: dict[str, Any]) -> Reply:
        """Plan a tool call or narrate, from the request alone (and the tellings so far)."""
        tellings: Tellings | None = getattr(self.server, "tellings", None)
        if tellings is None:
            return narrate(request, seed=self.seed)
        return tellings.reply(request, self.seed)


# --------------------------------------------------------------------------- server


class OfflineNarrator:
    """Runs the narrator's HTTP server on a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        first_token_ms: float = 0.0,
        tokens_per_s: float = 0.0,
        seed: int = 0,
        handler_class: type[MessagesHandler] = NarratorHandler,
        dump_dir: str | None = None,
    ) -> None:
        """Remember the options; nothing listens until ``start``."""
        self.host = host
        self.port = port
        self.first_token_ms = first_token_ms
        self.tokens_per_s = tokens_per_s
        self.seed = seed
        self.handler_class = handler_class
        self.dump_dir = dump_dir
        self.requests = RequestLog()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _make_server(self) -> ThreadingHTTPServer:
        """Bind the HTTP server and attach the options its handlers read."""
        server = ThreadingHTTPServer((self.host, self.port), self.handler_class)
        server.daemon_threads = True
        server.first_token_ms = self.first_token_ms  # type: ignore[attr-defined]
        server.tokens_per_s = self.tokens_per_s  # type: ignore[attr-defined]
        server.seed = self.seed  # type: ignore[attr-defined]
        server.requests = self.requests  # type: ignore[attr-defined]
        server.tellings = Tellings()  # type: ignore[attr-defined]
        server.prompt_cache = PromptCache()  # type: ignore[attr-defined]
        server.dump_dir = self.dump_dir  # type: ignore[attr-defined]
        return server

    def start(self) -> str:
        """Start serving on a daemon thread and return the base URL."""
        with self._lock:
            if self._server is None:
                self._server = self._make_server()
                self._thread = threading.Thread(
                    target=self._server.serve_forever,
                    kwargs={"poll_interval": 0.2},
                    name="offline-narrator",
                    daemon=True,
                )
                self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8765`` (after ``start``)."""
        if self._server is None:
            raise RuntimeError("the offline narrator is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        """Start on entering a ``with`` block."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a ``with`` block."""
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 0, **kw: Any) -> OfflineNarrator:
    """Start an ``OfflineNarrator`` (options as its constructor) and return it."""
    narrator = OfflineNarrator(host=host, port=port, **kw)
    narrator.start()
    return narrator


def main(argv: list[str] | None = None) -> int:
    """Run the narrator standalone until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--first-token-ms", type=float, default=0.0)
    parser.add_argument("--tokens-per-s", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dump-dir", default=None, help="write every request to this folder")
    args = parser.parse_args(argv)
    narrator = serve(
        args.host,
        args.port,
        first_token_ms=args.first_token_ms,
        tokens_per_s=args.tokens_per_s,
        seed=args.seed,
        dump_dir=args.dump_dir,
    )
    print(f"offline narrator listening on {narrator.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        narrator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
