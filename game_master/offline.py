"""Offline narrator: a loopback Anthropic Messages API that plays the game master without a key.

The bundled Claude Code CLI is pointed at it with ``ANTHROPIC_BASE_URL``; it answers
``POST /v1/messages`` (streaming SSE or plain JSON) by planning game tool calls from the
player's words and narrating their results, deterministically for the same request.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

log = logging.getLogger(__name__)

MAX_TOOL_CALLS = 4
DUMP_ENV = "OFFLINE_NARRATOR_DUMP"
GAME_TOOLS = (
    "roll_dice",
    "ability_check",
    "get_character",
    "change_hp",
    "set_condition",
    "look_around",
    "move",
    "take_item",
    "drop_item",
    "use_item",
    "search_lore",
)


# --------------------------------------------------------------------------- replies


@dataclass
class Reply:
    """What the assistant says in one response: content blocks and why it stopped."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "end_turn"

    @classmethod
    def text(cls, text: str) -> Reply:
        """A reply that is one text block and ends the turn."""
        return cls([{"type": "text", "text": text}], "end_turn")

    @classmethod
    def tool(cls, tool_id: str, name: str, tool_input: dict[str, Any], lead: str = "") -> Reply:
        """A reply that calls one tool, optionally after a short text lead-in."""
        blocks: list[dict[str, Any]] = [{"type": "text", "text": lead}] if lead else []
        blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": tool_input})
        return cls(blocks, "tool_use")

    @property
    def text_content(self) -> str:
        """All text blocks joined together."""
        return "".join(b.get("text", "") for b in self.blocks if b.get("type") == "text")

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        """The tool_use blocks of this reply."""
        return [b for b in self.blocks if b.get("type") == "tool_use"]


def estimate_tokens(text: str) -> int:
    """A rough, never-zero token estimate for ``text`` (about four characters a token)."""
    return max(1, (len(text) + 3) // 4)


def _block_tokens(block: dict[str, Any]) -> int:
    """Estimated output tokens of one content block."""
    if block.get("type") == "text":
        return estimate_tokens(str(block.get("text", "")))
    return estimate_tokens(json.dumps(block.get("input", {})) + str(block.get("name", "")))


def request_input_tokens(request: dict[str, Any]) -> int:
    """Estimated input tokens of a Messages request (system, messages and tools)."""
    parts = {k: request.get(k) for k in ("system", "messages", "tools") if k in request}
    return estimate_tokens(json.dumps(parts, ensure_ascii=False, default=str))


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
        """Remember the request on the server and optionally dump it to a directory."""
        entry = {
            "method": self.command,
            "path": self.path,
            "body": body,
            "headers": dict(self.headers.items()),
        }
        requests = getattr(self.server, "requests", None)
        if requests is not None:
            requests.append(entry)
        dump_dir = os.environ.get(DUMP_ENV)
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
                "input_tokens": request_input_tokens(request),
                "output_tokens": sum(_block_tokens(b) for b in reply.blocks) or 1,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }

    def send_reply(self, request: dict[str, Any], reply: Reply) -> None:
        """Write ``reply`` as SSE when the request asked to stream, else as one JSON message."""
        if request.get("stream"):
            self.stream_reply(request, reply)
            return
        first_ms = self._setting("first_token_ms", 0.0)
        tps = self._setting("tokens_per_s", 0.0)
        delay = first_ms / 1000.0
        if tps > 0:
            delay += sum(_block_tokens(b) for b in reply.blocks if b.get("type") == "text") / tps
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
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
        self.send_event("message_stop", {"type": "message_stop"})


def split_json(text: str, size: int = 24) -> list[str]:
    """Cut a JSON string into ``partial_json`` pieces."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class NarratorHandler(MessagesHandler):
    """The offline game master: replies come from ``narrate``."""

    def reply(self, request: dict[str, Any]) -> Reply:
        """Plan a tool call or narrate, from the request alone."""
        return narrate(request, seed=self.seed)


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
    ) -> None:
        """Remember the options; nothing listens until ``start``."""
        self.host = host
        self.port = port
        self.first_token_ms = first_token_ms
        self.tokens_per_s = tokens_per_s
        self.seed = seed
        self.handler_class = handler_class
        self.requests: deque[dict[str, Any]] = deque(maxlen=500)
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
    args = parser.parse_args(argv)
    narrator = serve(
        args.host,
        args.port,
        first_token_ms=args.first_token_ms,
        tokens_per_s=args.tokens_per_s,
        seed=args.seed,
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


# --------------------------------------------------------------------------- reading requests

REMINDER = re.compile(r"<system-reminder>.*?(</system-reminder>|$)", re.DOTALL)


@dataclass
class Step:
    """One tool call made this player turn and its result."""

    name: str
    input: dict[str, Any]
    result: dict[str, Any]
    is_error: bool


def _blocks(content: Any) -> list[dict[str, Any]]:
    """A message's content as a list of blocks."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _player_text(message: dict[str, Any]) -> str:
    """The player's words in a user message (system reminders removed), or ''."""
    if message.get("role") != "user":
        return ""
    texts = []
    for block in _blocks(message.get("content")):
        if block.get("type") == "text":
            cleaned = REMINDER.sub("", str(block.get("text", ""))).strip()
            if cleaned:
                texts.append(cleaned)
    return "\n".join(texts)


def _result_payload(block: dict[str, Any]) -> dict[str, Any]:
    """A tool_result's content decoded as JSON (or wrapped as ``{"text": ...}``)."""
    content = block.get("content")
    if isinstance(content, list):
        text = "".join(str(b.get("text", "")) for b in _blocks(content) if b.get("type") == "text")
    else:
        text = "" if content is None else str(content)
    text = text.strip()
    try:
        value = json.loads(text)
    except ValueError:
        match = re.search(r"\{.*\}", text, re.DOTALL)
        value = None
        if match:
            try:
                value = json.loads(match.group(0))
            except ValueError:
                value = None
        if value is None:
            return {"error": text} if block.get("is_error") else {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def short_tool_name(name: str) -> str:
    """``mcp__game__look_around`` -> ``look_around``."""
    return name.rsplit("__", 1)[-1] if name.startswith("mcp__") else name


def offered_tools(request: dict[str, Any]) -> dict[str, str]:
    """Map short game tool names to the full names the request offers."""
    offered: dict[str, str] = {}
    for tool in request.get("tools") or []:
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            continue
        full = tool["name"]
        short = short_tool_name(full)
        if short in GAME_TOOLS and (short not in offered or full.startswith("mcp__game__")):
            offered[short] = full
    return offered


def read_conversation(request: dict[str, Any]) -> tuple[str, list[Step], int]:
    """The latest player text, the tool steps after it, and the index of its message."""
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    start = -1
    text = ""
    for index in range(len(messages) - 1, -1, -1):
        text = _player_text(messages[index])
        if text:
            start = index
            break
    if start < 0:
        return "", [], -1
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    steps: list[Step] = []
    for message in messages[start:]:
        for block in _blocks(message.get("content")):
            if block.get("type") == "tool_use" and message.get("role") == "assistant":
                raw_input = block.get("input")
                calls[str(block.get("id"))] = (
                    short_tool_name(str(block.get("name", ""))),
                    raw_input if isinstance(raw_input, dict) else {},
                )
            elif block.get("type") == "tool_result":
                name, tool_input = calls.get(str(block.get("tool_use_id")), ("unknown", {}))
                result = _result_payload(block)
                is_error = bool(block.get("is_error")) or "error" in result
                steps.append(Step(name, tool_input, result, is_error))
    return text, steps, start


def known_exits(request: dict[str, Any], before: int | None = None) -> dict[str, str]:
    """The latest exits map (direction -> place name) in tool results before message ``before``."""
    exits: dict[str, str] = {}
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    for message in messages[:before]:
        for block in _blocks(message.get("content")):
            if block.get("type") == "tool_result":
                found = _result_payload(block).get("exits")
                if isinstance(found, dict) and found:
                    exits = {str(k): str(v) for k, v in found.items()}
    return exits


# --------------------------------------------------------------------------- intent

DIRECTIONS = {
    "n": "north", "s": "south", "e": "east", "w": "west", "u": "up", "d": "down",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
    "north": "north", "south": "south", "east": "east", "west": "west", "up": "up",
    "down": "down", "northeast": "northeast", "northwest": "northwest",
    "southeast": "southeast", "southwest": "southwest", "upstairs": "up",
    "downstairs": "down", "in": "in", "out": "out", "inside": "in", "outside": "out",
}  # fmt: skip
FILLER = {
    "the",
    "a",
    "an",
    "to",
    "at",
    "my",
    "some",
    "this",
    "that",
    "it",
    "on",
    "with",
    "into",
    "onto",
    "toward",
    "towards",
    "of",
    "please",
    "then",
    "and",
    "up",
    "around",
}
# (words that trigger it, skill, dc, look afterwards on success, what the character tries)
CHECKS: list[tuple[tuple[str, ...], str, int, bool, str]] = [
    (("pick the lock", "pick lock", "lockpick", "pick the gate", "jimmy"),
     "sleight_of_hand", 15, False, "work at the lock"),
    (("sneak", "hide", "creep", "tiptoe", "stealth"), "stealth", 12, False,
     "move without a sound"),
    (("listen", "hear", "eavesdrop"), "perception", 10, True, "listen closely"),
    (("investigate", "inspect", "study", "search carefully"), "investigation", 12, True,
     "study your surroundings"),
    (("persuade", "convince", "charm", "bargain", "haggle", "plead"), "persuasion", 13, False,
     "make your case"),
    (("intimidate", "threaten"), "intimidation", 13, False, "lean on them"),
    (("lie", "bluff", "deceive"), "deception", 13, False, "spin a tale"),
    (("climb", "jump", "leap", "swim", "push", "force", "break", "kick", "lift"),
     "athletics", 12, False, "put your back into it"),
    (("pray", "bless"), "religion", 10, True, "pray"),
    (("track", "forage"), "survival", 12, True, "read the ground"),
]  # fmt: skip
VERBS: list[tuple[str, tuple[str, ...]]] = [
    ("help", ("help", "what can i do", "commands", "hint")),
    ("inventory", ("inventory", "inv", "i", "items", "bag", "pack", "what do i have",
                   "what am i carrying", "backpack", "character", "stats", "sheet", "hp")),
    ("take", ("pick up", "take", "get", "grab", "collect", "pocket", "snatch")),
    ("drop", ("drop", "discard", "put down", "throw away", "leave behind")),
    ("use", ("use", "drink", "eat", "light", "read", "quaff", "apply", "wear", "ring",
             "consume")),
    ("attack", ("attack", "fight", "hit", "strike", "stab", "kill", "slash", "punch",
                "shoot", "smite", "swing at")),
    ("talk", ("talk", "speak", "ask", "greet", "chat", "say", "tell", "hello", "hail")),
    ("look", ("look", "examine", "search", "where am i", "l", "x", "observe", "survey",
              "look around")),
    ("go", ("go", "walk", "move", "head", "enter", "run", "travel", "climb", "descend",
            "ascend", "return", "leave", "follow", "exit", "proceed", "step")),
]  # fmt: skip


WHOLE_COMMANDS = {"i", "l", "x", "inv", "hp"}  # only when they are the whole command


@dataclass
class Intent:
    """What the player is trying to do."""

    kind: str
    target: str = ""
    skill: str = ""
    dc: int = 0
    look_after: bool = False
    attempt: str = ""


def _words(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return re.findall(r"[a-z0-9']+", text.lower())


def _has_phrase(words: list[str], phrase: str) -> int:
    """Index just after ``phrase`` in ``words``, or -1."""
    want = phrase.split()
    for i in range(len(words) - len(want) + 1):
        if words[i : i + len(want)] == want:
            return i + len(want)
    return -1


def _object(words: list[str]) -> str:
    """The object of a command: the words left after fillers."""
    kept = [w for w in words if w not in FILLER]
    return " ".join(kept)


def _place_direction(words: list[str], exits: dict[str, str]) -> str:
    """A direction whose destination's name the words mention, or ''."""
    mentioned = {w for w in words if len(w) >= 4 and w not in FILLER}
    for direction, place in exits.items():
        place_words = {w for w in _words(place) if len(w) >= 4 and w not in FILLER}
        if mentioned & place_words:
            return direction
    return ""


def _cut(words: list[str]) -> list[str]:
    """Words before a trailing 'with ...' or 'using ...' clause."""
    for stop in ("with", "using"):
        if stop in words[1:]:
            return words[: words.index(stop, 1)]
    return words


def _matches(words: list[str]) -> list[tuple[int, int, int, str, tuple[Any, ...]]]:
    """Every verb phrase found: (start, -length, order, kind, check spec)."""
    found: list[tuple[int, int, int, str, tuple[Any, ...]]] = []
    order = 0
    for phrases, skill, dc, look_after, attempt in CHECKS:
        for phrase in phrases:
            order += 1
            end = _has_phrase(words, phrase)
            if end >= 0:
                size = len(phrase.split())
                found.append((end - size, -size, order, "check", (skill, dc, look_after, attempt)))
    for kind, phrases in VERBS:
        for phrase in phrases:
            order += 1
            end = _has_phrase(words, phrase)
            if end < 0:
                continue
            size = len(phrase.split())
            if phrase in WHOLE_COMMANDS and len(words) > 1:
                continue  # "i", "l", "x" only count as whole commands
            found.append((end - size, -size, order, kind, ()))
    return sorted(found)


def parse_intent(text: str, exits: dict[str, str] | None = None) -> Intent:
    """Read the player's intent from their words with keyword matching."""
    exits = exits or {}
    words = _words(text)
    if not words:
        return Intent("unknown")
    direction = next((DIRECTIONS[w] for w in words if w in DIRECTIONS), "")
    if (
        len(words) <= 2
        and words[-1] in DIRECTIONS
        and words[0] in ("go", "walk", "run", "head", "move", words[-1])
    ):
        return Intent("go", DIRECTIONS[words[-1]])
    found = _matches(words)
    if not found:
        place = "" if len(words) > 4 else direction or _place_direction(words, exits)
        return Intent("go", place) if place else Intent("unknown", " ".join(words))
    start, neg_size, _, kind, spec = found[0]
    rest = _cut(words[start - neg_size :])
    if kind == "check":
        skill, dc, look_after, attempt = spec
        if skill == "athletics" and words[start] == "climb":
            where = direction or _place_direction(rest, exits)
            if where:
                return Intent("go", where)
        return Intent("check", _object(rest), skill, dc, look_after, attempt)
    if kind == "go":
        where = direction or _place_direction(rest, exits) or _object(rest)
        return Intent("go", where) if where else Intent("look")
    if kind == "talk":
        if "about" in rest:
            cut = rest.index("about")
            who, topic = _object(rest[:cut]), _object(rest[cut + 1 :])
            return Intent("talk", " ".join(x for x in (who, topic) if x))
        return Intent("talk", _object(rest))
    if kind in ("take", "drop", "use"):
        target = _object([w for w in rest if w not in ("down", "away")])
        return Intent(kind, target) if target else Intent("look")
    return Intent(kind, _object(rest))


# --------------------------------------------------------------------------- planning


def _find(steps: list[Step], name: str, index: int = 0) -> Step | None:
    """The ``index``-th step that called ``name``."""
    found = [s for s in steps if s.name == name]
    return found[index] if len(found) > index else None


def _foe(target: str) -> str:
    """How the narration names the one being attacked."""
    return f"the {target}" if target else "your foe"


def _plan(intent: Intent, steps: list[Step]) -> list[tuple[str, dict[str, Any]]]:
    """The whole sequence of tool calls for ``intent``, given the results so far."""
    kind, target = intent.kind, intent.target
    if kind == "look":
        return [("look_around", {})]
    if kind == "go":
        return [("move", {"direction": target})]
    if kind == "take":
        return [("take_item", {"item": target})]
    if kind == "drop":
        return [("drop_item", {"item": target})]
    if kind == "use":
        return [("use_item", {"item": target})]
    if kind == "inventory":
        return [("get_character", {})]
    if kind == "talk":
        return [("search_lore", {"query": target or "rumours"})]
    if kind == "attack":
        foe = _foe(target)
        plan: list[tuple[str, dict[str, Any]]] = [
            ("ability_check", {"skill": "athletics", "dc": 12, "reason": f"attack {foe}"})
        ]
        check = _find(steps, "ability_check")
        if check is not None and not check.is_error:
            if check.result.get("success"):
                plan.append(("roll_dice", {"notation": "1d8+3", "reason": f"damage to {foe}"}))
            else:
                plan.append(("roll_dice", {"notation": "1d6", "reason": f"{foe} strikes back"}))
                roll = _find(steps, "roll_dice")
                if roll is not None and not roll.is_error:
                    amount = -max(1, int(roll.result.get("total") or 1))
                    plan.append(("change_hp", {"amount": amount, "reason": f"hit by {foe}"}))
        return plan
    if kind == "check":
        plan = [
            (
                "ability_check",
                {
                    "skill": intent.skill,
                    "dc": intent.dc,
                    "reason": intent.attempt or "a risky attempt",
                },
            )
        ]
        check = _find(steps, "ability_check")
        if intent.look_after and check is not None and check.result.get("success"):
            plan.append(("look_around", {}))
        return plan
    if kind == "unknown":
        return [
            ("ability_check", {"skill": "perception", "dc": 10, "reason": "get your bearings"}),
            ("look_around", {}),
        ]
    return []


def _game_over(steps: list[Step]) -> bool:
    """Whether a result says the adventure ended."""
    return any(s.result.get("game_over") or s.result.get("dead") for s in steps)


def next_call(
    intent: Intent, steps: list[Step], offered: dict[str, str]
) -> tuple[str, dict[str, Any]] | None:
    """The next tool call to make, or None when it is time to narrate."""
    if len(steps) >= MAX_TOOL_CALLS or any(s.is_error for s in steps) or _game_over(steps):
        return None
    plan = [(name, args) for name, args in _plan(intent, steps) if name in offered]
    if len(steps) >= len(plan):
        return None
    name, args = plan[len(steps)]
    if any(s.name == name and s.input == args and s.is_error for s in steps):
        return None
    return name, args


# --------------------------------------------------------------------------- narration


def _pick(rng: random.Random, options: list[str], **values: Any) -> str:
    """One of ``options``, formatted with ``values``."""
    return rng.choice(options).format(**values)


def _names(items: Any) -> list[str]:
    """Display names from a list of ``{"name": ...}`` dicts or strings."""
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append(str(item.get("name") or item.get("id") or "something"))
        else:
            out.append(str(item).replace("_", " "))
    return out


def _listing(names: list[str]) -> str:
    """``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _sentence(text: str) -> str:
    """Capitalise and end with a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…\"'" else text + "."


def _describe_place(rng: random.Random, r: dict[str, Any], arrived: bool) -> list[str]:
    """Sentences describing a location result."""
    name = r.get("name") or str(r.get("location", "somewhere")).replace("_", " ")
    out = []
    if arrived:
        out.append(
            _pick(
                rng,
                [
                    "You head {d} and arrive at {n}.",
                    "You make your way {d} and find yourself in {n}.",
                    "Going {d}, you step into {n}.",
                    "The way {d} brings you to {n}.",
                ],
                d=r.get("moved", "onward"),
                n=name,
            )
        )
        if r.get("unlocked_with"):
            key = str(r["unlocked_with"]).replace("_", " ")
            out.append(
                _pick(
                    rng,
                    [
                        "The {k} turns in the lock with a groan of old iron.",
                        "You fit the {k} to the lock and it gives way.",
                        "With the {k}, the barrier swings open.",
                    ],
                    k=key,
                )
            )
    else:
        out.append(
            _pick(
                rng,
                [
                    "You stand in {n}.",
                    "You take in {n} around you.",
                    "You are in {n}.",
                    "Around you lies {n}.",
                ],
                n=name,
            )
        )
    if r.get("description") and (not arrived or r.get("first_visit", True)):
        out.append(_sentence(str(r["description"])))
    extras = []
    exits = r.get("exits") if isinstance(r.get("exits"), dict) else {}
    if exits:
        ways = [f"{d} to {p}" for d, p in exits.items()]
        extras.append(
            _pick(
                rng,
                [
                    "Exits lead {w}.",
                    "From here you could go {w}.",
                    "Paths lead {w}.",
                ],
                w=_listing(ways),
            )
        )
    locked = r.get("locked_exits") or []
    if locked:
        extras.append(
            _pick(
                rng,
                [
                    "The way {d} is barred.",
                    "The way {d} is locked fast.",
                    "Something bars the way {d}.",
                ],
                d=_listing([str(x) for x in locked]),
            )
        )
    items = _names(r.get("items"))
    npcs = _names(r.get("npcs"))
    if items:
        extras.append(
            _pick(
                rng,
                [
                    "You notice {i} here.",
                    "Lying nearby: {i}.",
                    "Your eye falls on {i}.",
                ],
                i=_listing(items),
            )
        )
    if npcs:
        extras.append(
            _pick(
                rng,
                [
                    "{p} {v} here.",
                    "You are not alone: {p} {v} nearby.",
                    "{p} {v} watching you.",
                ],
                p=_listing(npcs),
                v="are" if len(npcs) > 1 else "is",
            )
        )
    out.append(" ".join(extras))
    return out


def _refusal(rng: random.Random, step: Step) -> str:
    """In-world wording for a tool result the rules refused."""
    error = str(step.result.get("error") or step.result.get("text") or "it cannot be done")
    m = re.search(r"the way (\w+) is locked; it needs the (.+)$", error)
    if m:
        return _pick(
            rng,
            [
                "The way {d} is barred by an iron gate; you will need the {k}.",
                "You try the way {d}, but it is locked fast. Only the {k} will open it.",
                "Cold metal blocks the way {d}. You will need the {k} to pass.",
            ],
            d=m.group(1),
            k=m.group(2).rstrip("."),
        )
    m = re.search(r"there is no exit '?(.+?)'? from (.+?); exits: (.*)$", error)
    if m:
        return _pick(
            rng,
            [
                "There is no way {w} from {p}. The paths here lead {e}.",
                "You look for a way {w}, but {p} offers none. You could go {e}.",
                "No path runs {w} from {p}; the exits are {e}.",
            ],
            w=m.group(1),
            p=m.group(2),
            e=m.group(3) or "nowhere",
        )
    m = re.search(r"there is no '?(.+?)'? here; items here: (.*)$", error)
    if m and m.group(2).strip() in ("", "nothing"):
        return _pick(
            rng,
            [
                "You search, but there is no {i} here, nor anything else worth taking.",
                "No {i} is to be found here; the place is bare.",
                "You look in vain for any {i}. Nothing lies here.",
            ],
            i=m.group(1),
        )
    if m:
        return _pick(
            rng,
            [
                "You search, but there is no {i} here. You see: {s}.",
                "No {i} is to be found here; only {s}.",
                "You look in vain for any {i}. What lies here: {s}.",
            ],
            i=m.group(1),
            s=m.group(2),
        )
    m = re.search(r"already carries the (.+)$", error)
    if m:
        return _pick(
            rng,
            [
                "You already carry the {i}.",
                "The {i} is already in your pack.",
                "You pat your pack: the {i} is already there.",
            ],
            i=m.group(1),
        )
    m = re.search(r"does not carry '?(.+?)'?; inventory: (.*)$", error)
    if m and m.group(2).strip() in ("", "nothing"):
        return _pick(
            rng,
            [
                "You have no {i}; your pack is empty.",
                "You rummage for a {i}, but your pack holds nothing at all.",
                "There is no {i} to be had: you carry nothing.",
            ],
            i=m.group(1),
        )
    if m:
        return _pick(
            rng,
            [
                "You have no {i}. You carry: {s}.",
                "You rummage for a {i} but find none; you have {s}.",
                "There is no {i} in your pack, only {s}.",
            ],
            i=m.group(1),
            s=m.group(2),
        )
    if "adventure is over" in error or "is dead" in error:
        return _pick(
            rng,
            [
                "The tale is already told; nothing more can change it.",
                "Your adventure has ended. The story is over.",
                "The story has reached its end.",
            ],
        )
    return _pick(
        rng,
        [
            "The world resists you: {e}.",
            "It cannot be done: {e}.",
            "Fate says no: {e}.",
        ],
        e=error.rstrip("."),
    )


def _check_sentence(rng: random.Random, r: dict[str, Any], attempt: str) -> str:
    """A sentence reporting an ability check."""
    total, dc = r.get("total", "?"), r.get("dc", "?")
    what = str(r.get("check") or "check").replace("_", " ")
    if r.get("success"):
        return _pick(
            rng,
            [
                "You {a} — your {c} check comes to {t} against DC {dc}, and you succeed.",
                "Rolling {t} on {c} against DC {dc}, you {a} and it works.",
                "Your {c} roll of {t} beats DC {dc}: you {a} with confidence.",
            ],
            a=attempt,
            c=what,
            t=total,
            dc=dc,
        )
    return _pick(
        rng,
        [
            "You {a}, but your {c} check of {t} falls short of DC {dc}.",
            "A {c} roll of {t} against DC {dc} — not enough, though you {a} as best you can.",
            "You try to {a}; {t} on {c} misses DC {dc}.",
        ],
        a=attempt,
        c=what,
        t=total,
        dc=dc,
    )


def _step_sentences(rng: random.Random, step: Step, intent: Intent, attempt: str) -> list[str]:
    """Sentences for one tool step."""
    if step.is_error:
        return [_refusal(rng, step)]
    r = step.result
    foe = _foe(intent.target)
    if step.name == "look_around":
        return _describe_place(rng, r, arrived=False)
    if step.name == "move":
        return _describe_place(rng, r, arrived=True)
    if step.name == "take_item":
        return [
            _pick(
                rng,
                [
                    "You pick up the {i} and stow it away.",
                    "You take the {i}.",
                    "The {i} is yours now; you tuck it into your pack.",
                ],
                i=r.get("name") or step.input.get("item", "item"),
            )
        ]
    if step.name == "drop_item":
        return [
            _pick(
                rng,
                [
                    "You set the {i} down.",
                    "You leave the {i} behind.",
                    "The {i} drops from your hands.",
                ],
                i=r.get("name") or step.input.get("item", "item"),
            )
        ]
    if step.name == "use_item":
        out = [
            _pick(
                rng,
                [
                    "You use the {i}.",
                    "You put the {i} to use.",
                    "You try the {i}.",
                ],
                i=r.get("name") or step.input.get("item", "item"),
            )
        ]
        if r.get("healed") is not None:
            out.append(
                _pick(
                    rng,
                    [
                        "Warmth floods through you: +{h} HP, now {hp} of {m}.",
                        "Your wounds knit ({h} HP back); you are at {hp}/{m}.",
                        "Strength returns — {h} HP restored, {hp}/{m} now.",
                    ],
                    h=r.get("healed"),
                    hp=r.get("hp"),
                    m=r.get("max_hp"),
                )
            )
        elif r.get("consumed"):
            out.append("It is used up.")
        return out
    if step.name == "get_character":
        inv = _names(r.get("inventory")) or ["nothing at all"]
        out = [
            _pick(
                rng,
                [
                    "You check your pack: {i}.",
                    "You carry {i}.",
                    "Rummaging through your belongings, you find {i}.",
                ],
                i=_listing(inv),
            )
        ]
        out.append(
            _pick(
                rng,
                [
                    "You have {hp} of {m} HP.",
                    "Your health stands at {hp}/{m} HP.",
                    "HP: {hp} of {m}.",
                ],
                hp=r.get("hp", "?"),
                m=r.get("max_hp", "?"),
            )
        )
        if r.get("conditions"):
            out.append(f"You are {_listing([str(c) for c in r['conditions']])}.")
        if r.get("goal"):
            out.append(_sentence(f"Your goal: {r['goal']}"))
        return out
    if step.name == "search_lore":
        results = [x for x in r.get("results") or [] if isinstance(x, dict)]
        if not results:
            return [
                _pick(
                    rng,
                    [
                        "You ask around, but nobody has anything to say about {q}.",
                        "Your questions about {q} meet only blank stares.",
                        "No one here knows anything of {q}.",
                    ],
                    q=r.get("query") or step.input.get("query", "that"),
                )
            ]
        top = results[0]
        return [
            _pick(
                rng,
                [
                    "You ask what is known, and learn of {t}: {x}",
                    "Talk turns to {t}. {x}",
                    "Of {t}, this much is told: {x}",
                ],
                q=r.get("query") or step.input.get("query", "that"),
                t=top.get("title", "it"),
                x=_sentence(str(top.get("text", ""))),
            )
        ]
    if step.name == "ability_check":
        return [_check_sentence(rng, r, attempt)]
    if step.name == "roll_dice":
        total = r.get("total", "?")
        if "strikes back" in str(step.input.get("reason", "")):
            return [
                _pick(
                    rng,
                    [
                        "{F} strikes back for {t} damage.",
                        "{F} answers with a blow: {t} damage.",
                        "Before you can recover, {f} hits you for {t}.",
                    ],
                    F=foe[:1].upper() + foe[1:],
                    f=foe,
                    t=total,
                )
            ]
        if "damage" in str(step.input.get("reason", "")):
            return [
                _pick(
                    rng,
                    [
                        "Your blow lands on {f} for {t} damage.",
                        "You strike true, dealing {t} damage to {f}.",
                        "Steel bites: {t} damage to {f}.",
                    ],
                    f=foe,
                    t=total,
                )
            ]
        return [f"The dice come up {total}."]
    if step.name == "change_hp":
        if r.get("dead"):
            return [
                _pick(
                    rng,
                    [
                        "You fall, your HP at {hp}. Darkness takes you.",
                        "Your strength fails at {hp} HP, and the world goes dark.",
                        "At {hp} HP you collapse; your tale ends here.",
                    ],
                    hp=r.get("hp", 0),
                )
            ]
        return [
            _pick(
                rng,
                [
                    "You are down to {hp} of {m} HP.",
                    "You now have {hp}/{m} HP.",
                    "Bleeding, you stand at {hp} of {m} HP.",
                ],
                hp=r.get("hp", "?"),
                m=r.get("max_hp", "?"),
            )
        ]
    if step.name == "set_condition":
        state = "now" if step.input.get("active") else "no longer"
        return [f"You are {state} {step.input.get('condition', 'affected')}."]
    return []


HELP_TEXT = [
    (
        "You pause to consider your options. You could look around, go north or down, "
        "take or use an item, talk to someone, check your inventory, or attack a foe."
    ),
    (
        "Many paths lie open: try 'look', 'go east', 'take the lantern', 'talk to the priest', "
        "'inventory' or 'attack'. You might also sneak, listen or climb."
    ),
    (
        "Take stock: you can examine your surroundings, move through an exit, pick things up, "
        "use what you carry, ask people what they know, or fight. What do you do?"
    ),
]
CLOSERS = [
    "What do you do?",
    "What now?",
    "The choice is yours.",
    "What will you do next?",
    "The story waits on you.",
]
LEADS = {
    "look_around": ["You look around...", "You take in your surroundings...",
                    "You pause and look about..."],
    "move": ["You set off {t}...", "You head {t}...", "You make for the way {t}..."],
    "take_item": ["You reach for the {t}...", "You stoop to take the {t}...",
                  "You go for the {t}..."],
    "drop_item": ["You reach into your pack for the {t}...", "You feel for the {t}...",
                  "You look for the {t} in your pack..."],
    "use_item": ["You try the {t}...", "You ready the {t}...", "You bring out the {t}..."],
    "get_character": ["You check your gear...", "You take stock of yourself...",
                      "You look through your pack..."],
    "search_lore": ["You speak up...", "You strike up a conversation...",
                    "You lean in and ask..."],
    "ability_check": ["You steady yourself...", "You try your luck...", "You make your move..."],
}  # fmt: skip


def _rng(seed: int, text: str, n_results: int) -> random.Random:
    """The wording RNG: seed + hash of the player's text + number of tool results."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return random.Random(f"{seed}|{digest}|{n_results}")


def _tool_id(seed: int, request: dict[str, Any], text: str, n_results: int) -> str:
    """A deterministic ``toolu_`` id, unique within the conversation."""
    n_messages = len(request.get("messages") or [])
    rng = random.Random(f"id|{seed}|{text}|{n_results}|{n_messages}")
    return "toolu_" + f"{rng.getrandbits(96):024x}"


def _system_text(request: dict[str, Any]) -> str:
    """The request's system prompt as one string (it may be a string or a list of blocks)."""
    system = request.get("system")
    if isinstance(system, str):
        return system
    return " ".join(str(b.get("text", "")) for b in _blocks(system))


def _brief(request: dict[str, Any], text: str) -> Reply:
    """A short answer for requests that are not a game turn (titles, summaries, probes)."""
    system = _system_text(request).lower()
    if "title" in system and text:
        title = " ".join(_words(text)[:6]).capitalize() or "An adventure"
        return Reply.text(json.dumps({"title": title}) if "json" in system else title)
    if not text:
        return Reply.text("The narrator nods and waits.")
    options = [
        "The narrator listens. The tale goes on.",
        "Noted; the story continues.",
        "The narrator nods. The adventure awaits.",
    ]
    return Reply.text(options[int(hashlib.sha256(text.encode()).hexdigest(), 16) % 3])


def narrate(request: dict[str, Any], seed: int = 0) -> Reply:
    """Decide the next response of the offline game master from the request alone."""
    text, steps, start = read_conversation(request)
    offered = offered_tools(request)
    if not offered or not text:
        return _brief(request, text)
    intent = parse_intent(text, known_exits(request, max(start, 0)))
    rng = _rng(seed, text, len(steps))
    call = next_call(intent, steps, offered)
    if call is not None:
        name, args = call
        lead = ""
        if not steps:
            target = str(args.get("item") or args.get("direction") or args.get("query") or "")
            lead = _pick(rng, LEADS.get(name, ["You act..."]), t=target or "it")
        return Reply.tool(_tool_id(seed, request, text, len(steps)), offered[name], args, lead)
    if intent.kind == "help" or not steps:
        if intent.kind == "help":
            return Reply.text(rng.choice(HELP_TEXT))
        return Reply.text(_pick(rng, [
            "You hesitate, unsure how to {t}. Try looking around or heading somewhere.",
            "Nothing comes of it. Perhaps look around, or try another way.",
            "The moment passes. You could look around, move on, or talk to someone.",
        ], t=" ".join(_words(text)[:6]) or "act"))  # fmt: skip
    sentences: list[str] = []
    attempt = intent.attempt or (
        "attack " + _foe(intent.target) if intent.kind == "attack" else "take a careful look"
    )
    for step in steps:
        sentences.extend(s for s in _step_sentences(rng, step, intent, attempt) if s)
    for step in steps:
        over = step.result.get("game_over")
        if isinstance(over, dict) and over.get("text"):
            sentences.append(_sentence(str(over["text"])))
            break
    else:
        if not any(s.result.get("dead") for s in steps):
            sentences.append(rng.choice(CLOSERS))
    return Reply.text(" ".join(sentences))


if __name__ == "__main__":
    raise SystemExit(main())
