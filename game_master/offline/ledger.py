"""What the offline narrator keeps of the requests it is sent: the last ones, and a prompt cache.

The prompt cache plays the Messages API's, so the usage it reports (and every cost figure
built on it) is what Claude would bill. A request is a sequence of blocks — each tool, each
system block, each message's content blocks, in that order — and a ``cache_control`` mark
makes the prefix up to and including its block a cache entry. An entry lives five minutes
(an hour with ``"ttl": "1h"``) and every read renews it. A later request reads the longest
entry that its own prefix matches, at a mark or at one of the 20 blocks before a mark
(``cache_read_input_tokens``); what follows the read, up to the last mark, is written
(``cache_creation_input_tokens``, split by lifetime in ``cache_creation``); the rest is
``input_tokens``. A prefix under the minimum cacheable size (1,024 tokens) is neither
written nor read. The model is part of the key.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .conversation import request_input_tokens

LIFETIME_S = {"5m": 300.0, "1h": 3600.0}
LOOKBACK_BLOCKS = 20
MIN_CACHED_TOKENS = 1024
MAX_ENTRIES = 20_000


class RequestLog:
    """The last requests a server received, safe to read while its handler threads append.

    Iterating walks a copy taken under the lock, so a test reading the log while the CLI
    is still talking to the server never sees it change underfoot."""

    def __init__(self, maxlen: int = 500) -> None:
        """Keep at most ``maxlen`` entries, dropping the oldest."""
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        """The recorded requests, oldest first, as a list of their own."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        """How many requests are recorded."""
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Iterate over a snapshot."""
        return iter(self.snapshot())


@dataclass(frozen=True)
class Block:
    """One block of a request: the digest and tokens of the prefix it ends, and its mark."""

    digest: str
    tokens: int
    ttl: str | None  # "5m" or "1h" when the block carries a cache_control mark


def _blocks(request: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any, int]]:
    """(where, block, its text as sent, characters of framing it adds) for every block of
    the request, in the order the API caches them: tools, system, messages."""
    for tool in request.get("tools") or []:
        if isinstance(tool, dict):
            yield "tool", tool, tool, 2
    system = request.get("system")
    if isinstance(system, str) and system:
        yield "system", {"type": "text", "text": system}, system, 0
    elif isinstance(system, list):
        for block in system:
            if isinstance(block, dict):
                yield "system", block, block, 2
    for index, message in enumerate(request.get("messages") or []):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        where = f"{index}:{message.get('role')}"
        # The message's own braces, role and key go with its first block.
        framing = len(json.dumps({"role": message.get("role"), "content": ""})) + 2
        if isinstance(content, str):
            yield where, {"type": "text", "text": content}, content, framing
        elif isinstance(content, list):
            for block in content:
                if isinstance(block, dict):
                    yield where, block, block, framing
                    framing = 2


def prefix_blocks(request: dict[str, Any]) -> list[Block]:
    """Each block of the request with the digest and token count of the prefix it ends.

    Tokens are counted as the narrator counts a whole request (four characters of its JSON
    a token), so a prefix costs the same in every request that carries it; marks
    themselves are left out of both the count and the digest.
    """
    digest = hashlib.sha256(str(request.get("model") or "").encode())
    chars = 0
    out: list[Block] = []
    for where, block, sent, framing in _blocks(request):
        mark = block.get("cache_control")
        plain = {k: v for k, v in block.items() if k != "cache_control"}
        digest.update(f"\x00{where}\x00".encode())
        digest.update(json.dumps(plain, sort_keys=True, ensure_ascii=False, default=str).encode())
        if isinstance(sent, dict):
            sent = {k: v for k, v in sent.items() if k != "cache_control"}
        chars += len(json.dumps(sent, ensure_ascii=False, default=str)) + framing
        ttl = ("1h" if mark.get("ttl") == "1h" else "5m") if isinstance(mark, dict) else None
        out.append(Block(digest.hexdigest(), chars // 4, ttl))
    return out


class PromptCache:
    """The prompt cache of one narrator: prefixes seen, each until its lifetime runs out."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_tokens: int = MIN_CACHED_TOKENS,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        """``clock`` gives seconds (a test passes its own to age the entries)."""
        self._clock = clock
        self._min = min_tokens
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()  # -> (until, ttl)
        self._lock = threading.Lock()

    def usage(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request's input tokens split as the API bills them; its writes are kept."""
        total = request_input_tokens(request)
        blocks = prefix_blocks(request)
        marks = [i for i, b in enumerate(blocks) if b.ttl is not None]
        now = self._clock()
        with self._lock:
            read = self._longest_read(blocks, marks, now)
            cached = blocks[read].tokens if read >= 0 else 0
            written = {"5m": 0, "1h": 0}
            end = cached
            for mark in marks:
                block = blocks[mark]
                if mark > read and block.tokens >= self._min and block.ttl is not None:
                    self._keep(block.digest, block.ttl, now)
                    written[block.ttl] += block.tokens - end
                    end = block.tokens
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return {
            "input_tokens": max(0, total - end),
            "cache_creation_input_tokens": end - cached,
            "cache_read_input_tokens": cached,
            "cache_creation": {
                "ephemeral_5m_input_tokens": written["5m"],
                "ephemeral_1h_input_tokens": written["1h"],
            },
        }

    def _keep(self, digest: str, ttl: str, now: float) -> None:
        """Cache (or renew) a prefix for its lifetime from ``now``."""
        self._entries[digest] = (now + LIFETIME_S[ttl], ttl)
        self._entries.move_to_end(digest)

    def _longest_read(self, blocks: list[Block], marks: list[int], now: float) -> int:
        """The last block of the longest live entry the request matches (-1: none), renewed."""
        read = -1
        for mark in marks:
            for i in range(mark, max(-1, mark - LOOKBACK_BLOCKS - 1), -1):
                if i <= read:
                    break
                entry = self._entries.get(blocks[i].digest)
                if entry is not None and entry[0] >= now and blocks[i].tokens >= self._min:
                    read = i
                    break
        if read >= 0:
            self._keep(blocks[read].digest, self._entries[blocks[read].digest][1], now)
        return read

    def __len__(self) -> int:
        """How many prefixes are remembered (expired ones until they are pushed out)."""
        with self._lock:
            return len(self._entries)
