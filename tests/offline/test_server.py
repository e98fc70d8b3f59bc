"""The offline narrator's HTTP endpoint and the real CLI against it."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from game_master.offline import MessagesHandler, OfflineNarrator, narrate

from .helpers import SQUARE, request, use


@pytest.fixture()
def narrator() -> Iterator[OfflineNarrator]:
    """A started narrator on a free port."""
    with OfflineNarrator() as server:
        yield server


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """POST JSON and return status, headers and body (errors included)."""
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def sse_events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Parse an SSE body into (event, data) pairs."""
    events = []
    for chunk in raw.decode().split("\n\n"):
        if not chunk.strip():
            continue
        lines = dict(line.split(": ", 1) for line in chunk.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_streaming_text_reply(narrator: OfflineNarrator) -> None:
    body = request("look", (use("look_around"), SQUARE, False), stream=True)
    status, headers, raw = post(narrator.url + "/v1/messages?beta=true", body)
    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert names[1:-2] == ["content_block_start"] + ["content_block_delta"] * (len(names) - 5) + [
        "content_block_stop"
    ]
    assert names.count("content_block_delta") > 1
    start = events[0][1]["message"]
    assert start["model"] == "claude-test" and start["role"] == "assistant"
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["input_tokens"] > 0
    assert start["usage"]["cache_read_input_tokens"] == 0
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == narrate(body).text_content
    delta = events[-2][1]
    assert delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert delta["usage"]["output_tokens"] > 0


def test_streaming_tool_use(narrator: OfflineNarrator) -> None:
    body = request("take the lantern", stream=True)
    _, _, raw = post(narrator.url + "/v1/messages", body)
    events = sse_events(raw)
    starts = [d for n, d in events if n == "content_block_start"]
    tool = [s for s in starts if s["content_block"]["type"] == "tool_use"][0]
    index = tool["index"]
    assert tool["content_block"]["name"] == "mcp__game__take_item"
    assert tool["content_block"]["input"] == {}
    partial = "".join(
        d["delta"]["partial_json"]
        for n, d in events
        if n == "content_block_delta" and d["index"] == index
    )
    assert json.loads(partial) == {"item": "lantern"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_non_streaming_json(narrator: OfflineNarrator) -> None:
    status, headers, raw = post(narrator.url + "/v1/messages", request("take the lantern"))
    assert status == 200 and headers["Content-Type"] == "application/json"
    message = json.loads(raw)
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["stop_reason"] == "tool_use"
    assert message["content"][-1]["input"] == {"item": "lantern"}
    assert message["usage"]["output_tokens"] > 0


def test_errors_count_tokens_and_health(narrator: OfflineNarrator) -> None:
    status, _, raw = post(narrator.url + "/v1/nothing", {})
    assert status == 404
    error = json.loads(raw)
    assert error["type"] == "error" and error["error"]["type"] == "not_found_error"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(narrator.url + "/elsewhere", timeout=5)
    assert info.value.code == 404
    status, _, raw = post(narrator.url + "/v1/messages/count_tokens", request("look"))
    assert status == 200 and json.loads(raw)["input_tokens"] > 0
    with urllib.request.urlopen(narrator.url + "/healthz", timeout=5) as resp:
        assert resp.status == 200 and json.loads(resp.read())["status"] == "ok"
    head = urllib.request.Request(narrator.url + "/", method="HEAD")
    with urllib.request.urlopen(head, timeout=5) as resp:
        assert resp.status == 200 and resp.read() == b""
    status, _, raw = post(narrator.url + "/v1/messages", {"messages": "nonsense"})  # no crash
    assert status == 200


def test_subclass_can_script_faults() -> None:
    class Overloaded(MessagesHandler):
        """Always overloaded."""

        def handle_messages(self, request: dict[str, Any]) -> None:
            """Answer 529."""
            self.send_error_json(529, "overloaded_error", "busy", {"retry-after": "0"})

    with OfflineNarrator(handler_class=Overloaded) as server:
        status, headers, raw = post(server.url + "/v1/messages", request("look"))
    assert status == 529 and headers["retry-after"] == "0"
    assert json.loads(raw)["error"]["type"] == "overloaded_error"


def test_latency_pacing() -> None:
    with OfflineNarrator(first_token_ms=150, tokens_per_s=2000) as server:
        began = time.monotonic()
        post(server.url + "/v1/messages", request("look", stream=True))
        assert time.monotonic() - began >= 0.15


def test_concurrent_requests(narrator: OfflineNarrator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    bodies = [request(f"take the thing {n}", stream=bool(n % 2)) for n in range(16)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda b: post(narrator.url + "/v1/messages", b)[0], bodies))
    assert statuses == [200] * 16


# --------------------------------------------------------------------------- the real CLI


def test_end_to_end_through_the_bundled_cli(narrator: OfflineNarrator, tmp_path: Path) -> None:
    from claude_agent_sdk import (
        AssistantMessage,
        ClaudeAgentOptions,
        ClaudeSDKClient,
        ResultMessage,
        StreamEvent,
        TextBlock,
        ToolUseBlock,
        create_sdk_mcp_server,
        tool,
    )

    calls: list[dict[str, Any]] = []

    @tool("look_around", "Describe the current location.", {})
    async def look_around(args: dict[str, Any]) -> dict[str, Any]:
        """A fixed location."""
        calls.append(args)
        return {"content": [{"type": "text", "text": json.dumps(SQUARE)}]}

    options = ClaudeAgentOptions(
        tools=[],
        allowed_tools=["mcp__game__look_around"],
        mcp_servers={"game": create_sdk_mcp_server("game", tools=[look_around])},
        setting_sources=[],
        permission_mode="dontAsk",
        cwd=tmp_path,
        env={
            "ANTHROPIC_BASE_URL": narrator.url,
            "ANTHROPIC_API_KEY": "offline",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "CLAUDE_CONFIG_DIR": str(tmp_path / "claude"),
        },
        include_partial_messages=True,
        max_turns=8,
    )

    async def play() -> tuple[list[Any], ResultMessage | None]:
        """One connect and one turn."""
        seen: list[Any] = []
        result = None
        async with ClaudeSDKClient(options) as client:
            await client.query("look around")
            async for message in client.receive_response():
                seen.append(message)
                if isinstance(message, ResultMessage):
                    result = message
        return seen, result

    seen, result = asyncio.run(asyncio.wait_for(play(), timeout=120))
    assert calls == [{}]
    assert result is not None and result.subtype == "success" and not result.is_error
    tools_used = [
        b.name for m in seen if isinstance(m, AssistantMessage)
        for b in m.content if isinstance(b, ToolUseBlock)
    ]  # fmt: skip
    assert tools_used == ["mcp__game__look_around"]
    texts = " ".join(
        b.text for m in seen if isinstance(m, AssistantMessage)
        for b in m.content if isinstance(b, TextBlock)
    )  # fmt: skip
    assert "Village Square" in texts and "Chapel of the Lantern" in texts
    assert any(isinstance(m, StreamEvent) for m in seen)
    paths = [r["path"].split("?")[0] for r in narrator.requests]
    assert paths.count("/v1/messages") >= 2


def test_a_retold_moment_never_reads_word_for_word_like_an_earlier_telling() -> None:
    """Two Claude sessions at the same moment of a story (a retry is a fork taken before the
    turn) that the wording dice would tell alike are told apart; one session told the same
    moment again gets the same words."""
    from game_master.offline.server import Tellings

    body = request("look around", (use("look_around"), SQUARE, False))

    def as_session(session: str) -> dict[str, Any]:
        return {**body, "metadata": {"user_id": json.dumps({"session_id": session})}}

    first = narrate(as_session("s-0")).text_content
    twin = next(  # a session whose own dice would repeat the first telling word for word
        f"s-{n}" for n in range(1, 500) if narrate(as_session(f"s-{n}")).text_content == first
    )
    tellings = Tellings()
    assert tellings.reply(as_session("s-0"), seed=0).text_content == first
    retold = tellings.reply(as_session(twin), seed=0).text_content
    assert retold and retold != first
    assert tellings.reply(as_session("s-0"), seed=0).text_content == first


def test_a_retold_turn_is_another_telling_not_the_same_one_in_synonyms() -> None:
    """Two sessions at the same moment get two shapes: other parts, in another order (the
    description, the ways out, what lies here), not the same sentences reworded."""
    from game_master.offline.tellings import Tellings

    body = request("look around", (use("look_around"), SQUARE, False))

    def as_session(session: str) -> dict[str, Any]:
        return {**body, "metadata": {"user_id": json.dumps({"session_id": session})}}

    def parts(text: str) -> list[str]:
        """Which part each sentence tells."""
        kinds = {"muddy": "description", "Chapel of the Lantern": "ways", "lantern": "items"}
        return [next((k for w, k in kinds.items() if w in s), "other") for s in text.split(". ")]

    for n in range(6):  # whatever the first telling's dice chose, the next is another shape
        tellings = Tellings()
        first = tellings.reply(as_session(f"a-{n}"), seed=0)
        second = tellings.reply(as_session(f"b-{n}"), seed=0)
        assert first.shape and first.shape != second.shape
        assert parts(first.text_content) != parts(second.text_content), (first, second)
