"""The offline narrator bills input as the Messages API does for ``cache_control`` marks: a
prefix seen within its lifetime is read, the rest up to the last mark is written — checked
on hand-made requests, then through the real CLI, whose turns record that usage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from game_master.offline.conversation import request_input_tokens
from game_master.offline.ledger import PromptCache
from game_master.testing import new_game, play

MARK = {"type": "ephemeral"}


def words(tokens: int) -> str:
    """Text the narrator counts as ``tokens`` tokens (four characters each)."""
    return "owl " * tokens


def request(system_tokens: int, *turns: str, model: str = "m", ttl: str | None = None) -> Any:
    """A request with a marked system prompt and a mark on its last user message."""
    mark = dict(MARK, ttl=ttl) if ttl else MARK
    messages: list[dict[str, Any]] = []
    for n, text in enumerate(turns):
        role = "user" if n % 2 == 0 else "assistant"
        messages.append({"role": role, "content": [{"type": "text", "text": text}]})
    messages[-1]["content"][0]["cache_control"] = mark
    return {
        "model": model,
        "system": [{"type": "text", "text": words(system_tokens), "cache_control": mark}],
        "messages": messages,
    }


class Clock:
    """Seconds that a test moves by hand."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


def test_a_conversation_reads_what_it_wrote_and_writes_only_what_is_new() -> None:
    """Turn 1 writes the whole prompt; turn 2 reads it and writes only its new messages;
    the three parts always add up to the whole request."""
    cache = PromptCache()
    first = request(2000, "look around")
    one = cache.usage(first)
    assert one["cache_read_input_tokens"] == 0
    assert one["cache_creation_input_tokens"] > 2000
    second = request(2000, "look around", "A hall.", "go north")
    two = cache.usage(second)
    assert two["cache_read_input_tokens"] == one["cache_creation_input_tokens"]
    assert 0 < two["cache_creation_input_tokens"] < 50
    for usage, body in ((one, first), (two, second)):
        parts = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
        assert sum(usage[k] for k in parts) == request_input_tokens(body)
        assert usage["input_tokens"] < 40  # the marks and outer braces: the rest is cached
    assert two["cache_creation"] == {
        "ephemeral_5m_input_tokens": two["cache_creation_input_tokens"],
        "ephemeral_1h_input_tokens": 0,
    }


def test_a_prefix_shorter_than_1024_tokens_is_never_cached() -> None:
    """900 tokens: written and read as nothing; 1,100: cached."""
    cache = PromptCache()
    for _ in range(2):
        small = cache.usage(request(900, "hi"))
        assert small["cache_read_input_tokens"] == small["cache_creation_input_tokens"] == 0
    cache.usage(request(1100, "hi"))
    assert cache.usage(request(1100, "hi"))["cache_read_input_tokens"] > 1100


def test_a_prefix_lives_five_minutes_from_its_last_read() -> None:
    """Read after 4 minutes (which renews it), again 4 minutes later; gone 6 minutes after."""
    clock = Clock()
    cache = PromptCache(clock=clock)
    cache.usage(request(2000, "hi"))
    for minutes in (4, 8):
        clock.now = minutes * 60
        assert cache.usage(request(2000, "hi"))["cache_read_input_tokens"] > 2000
    clock.now = 14 * 60
    assert cache.usage(request(2000, "hi"))["cache_read_input_tokens"] == 0


def test_an_hour_mark_lives_an_hour_and_is_billed_as_such() -> None:
    """A ``"ttl": "1h"`` prefix is read after 50 minutes; its write counts as one hour's."""
    clock = Clock()
    cache = PromptCache(clock=clock)
    written = cache.usage(request(2000, "hi", ttl="1h"))
    assert written["cache_creation"]["ephemeral_1h_input_tokens"] > 2000
    clock.now = 50 * 60
    assert cache.usage(request(2000, "hi", ttl="1h"))["cache_read_input_tokens"] > 2000


def test_another_model_or_another_prefix_misses() -> None:
    """The model is part of the key, and one changed word early in the prompt misses."""
    cache = PromptCache()
    cache.usage(request(2000, "hi"))
    assert cache.usage(request(2000, "hi", model="other"))["cache_read_input_tokens"] == 0
    changed = request(2000, "hi")
    changed["system"][0]["text"] = "Changed. " + changed["system"][0]["text"]
    assert cache.usage(changed)["cache_read_input_tokens"] == 0


def test_a_mark_looks_back_twenty_blocks_for_an_entry() -> None:
    """The entry written at a mark is found from a mark 20 blocks later, not from 21."""

    def chat(blocks: int) -> dict[str, Any]:
        body = request(2000, "start")
        extra = [{"type": "text", "text": f"step {n}"} for n in range(blocks)]
        body["messages"][0]["content"] += extra
        body["messages"][0]["content"][0].pop("cache_control")
        body["messages"][0]["content"][-1]["cache_control"] = MARK
        return body

    near, far = PromptCache(), PromptCache()
    near.usage(chat(0))
    far.usage(chat(0))
    # The system mark is read either way: compare what is read beyond it.
    assert (
        near.usage(chat(20))["cache_read_input_tokens"]
        > far.usage(chat(21))["cache_read_input_tokens"]
    )


def test_turns_through_the_cli_record_cache_reads_and_writes(
    make_app: Callable[..., Flask],
) -> None:
    """The CLI marks its requests for caching: a game's second turn reads most of its input
    from the cache, and each turn stores that usage with the turn."""
    client = make_app().test_client()
    gid = new_game(client)
    first = play(client, gid, "look around")["usage"]
    second = play(client, gid, "take the bread")["usage"]
    assert first["cache_creation_input_tokens"] > 1024
    total = sum(
        second[k]
        for k in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    )
    assert second["cache_read_input_tokens"] > 0.8 * total
    stored = client.get(f"/api/games/{gid}").get_json()["turns"]
    assert stored[-1]["usage"]["cache_read_input_tokens"] == second["cache_read_input_tokens"]
