"""Tests of the offline narrator: the pure planner, the HTTP endpoint and the real CLI."""

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

from game_master.offline import (
    GAME_TOOLS,
    MessagesHandler,
    OfflineNarrator,
    Reply,
    narrate,
    parse_intent,
)

TOOLS = [
    {"name": f"mcp__game__{name}", "description": name, "input_schema": {"type": "object"}}
    for name in GAME_TOOLS
]
SQUARE = {
    "location": "village_square",
    "name": "Village Square",
    "description": "A muddy square ringed by slate-roofed cottages.",
    "exits": {"north": "Chapel of the Lantern", "east": "The Crooked Kettle"},
    "locked_exits": [],
    "items": [{"id": "lantern", "name": "Lantern"}],
    "npcs": [],
}


def request(text: str, *turns: tuple[dict[str, Any], dict[str, Any], bool], **kw: Any) -> dict:
    """A Messages request: the player's text, then (tool_use, result, is_error) turns."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": text}]},
    ]
    for n, (use, result, is_error) in enumerate(turns):
        tool_id = f"toolu_{n:024x}"
        messages.append({"role": "assistant", "content": [dict(use, type="tool_use", id=tool_id)]})
        block = {
            "type": "tool_result",
            "tool_use_id": tool_id,
            "content": [{"type": "text", "text": json.dumps(result)}],
        }
        if is_error:
            block["is_error"] = True
        messages.append({"role": "user", "content": [block]})
    body = {"model": "claude-test", "max_tokens": 1024, "tools": TOOLS, "messages": messages}
    body.update(kw)
    return body


def use(name: str, **args: Any) -> dict[str, Any]:
    """A tool_use block body for game tool ``name``."""
    return {"name": f"mcp__game__{name}", "input": args}


def only_tool(reply: Reply) -> dict[str, Any]:
    """The single tool_use block of a tool-calling reply."""
    assert reply.stop_reason == "tool_use"
    uses = reply.tool_uses
    assert len(uses) == 1
    assert uses[0]["id"].startswith("toolu_") and len(uses[0]["id"]) == 6 + 24
    return uses[0]


# --------------------------------------------------------------------------- narrate


def test_take_plans_take_item_then_narrates_the_item() -> None:
    first = narrate(request("take the lantern"))
    call = only_tool(first)
    assert call["name"] == "mcp__game__take_item"
    assert call["input"] == {"item": "lantern"}

    taken = {"taken": "lantern", "name": "Lantern", "inventory": ["lantern"]}
    final = narrate(request("take the lantern", (use("take_item", item="lantern"), taken, False)))
    assert final.stop_reason == "end_turn"
    assert not final.tool_uses
    assert "Lantern" in final.text_content


def test_go_north_moves_and_describes_the_new_place() -> None:
    call = only_tool(narrate(request("go north")))
    assert call["name"] == "mcp__game__move"
    assert call["input"] == {"direction": "north"}
    arrived = dict(SQUARE, name="Chapel of the Lantern", moved="north", first_visit=True)
    final = narrate(request("go north", (use("move", direction="north"), arrived, False)))
    assert final.stop_reason == "end_turn"
    assert "Chapel of the Lantern" in final.text_content
    assert "north" in final.text_content


def test_errored_move_is_narrated_not_repeated() -> None:
    refused = {"error": "the way down is locked; it needs the Iron key"}
    final = narrate(request("go down", (use("move", direction="down"), refused, True)))
    assert final.stop_reason == "end_turn"
    assert not final.tool_uses
    assert "Iron key" in final.text_content
    assert "down" in final.text_content


def test_place_name_resolves_through_known_exits() -> None:
    req = request("look", (use("look_around"), SQUARE, False))
    req["messages"].append({"role": "assistant", "content": [{"type": "text", "text": "ok"}]})
    req["messages"].append({"role": "user", "content": "walk to the chapel"})
    call = only_tool(narrate(req))
    assert call["input"] == {"direction": "north"}


def test_attack_plan_on_a_miss() -> None:
    text = "attack the warden"
    first = only_tool(narrate(request(text)))
    assert first["name"] == "mcp__game__ability_check"
    assert first["input"]["skill"] == "athletics" and first["input"]["dc"] == 12

    miss = {"check": "athletics", "natural": 4, "total": 6, "dc": 12, "success": False}
    step1 = (use("ability_check", **first["input"]), miss, False)
    second = only_tool(narrate(request(text, step1)))
    assert second["name"] == "mcp__game__roll_dice"
    assert second["input"]["notation"] == "1d6"

    roll = {"notation": "1d6", "rolls": [5], "kept": [5], "modifier": 0, "total": 5}
    step2 = (use("roll_dice", **second["input"]), roll, False)
    third = only_tool(narrate(request(text, step1, step2)))
    assert third["name"] == "mcp__game__change_hp"
    assert third["input"]["amount"] == -5

    hurt = {"hp": 7, "max_hp": 12, "change": -5, "dead": False}
    step3 = (use("change_hp", **third["input"]), hurt, False)
    final = narrate(request(text, step1, step2, step3))
    assert final.stop_reason == "end_turn"
    for fact in ("6", "12", "5", "7"):
        assert fact in final.text_content


def test_attack_plan_on_a_hit() -> None:
    text = "attack the warden"
    hit = {"check": "athletics", "natural": 17, "total": 19, "dc": 12, "success": True}
    step1 = (use("ability_check", skill="athletics", dc=12), hit, False)
    second = only_tool(narrate(request(text, step1)))
    assert second["input"]["notation"] == "1d8+3"
    roll = {"notation": "1d8+3", "rolls": [6], "kept": [6], "modifier": 3, "total": 9}
    step2 = (use("roll_dice", **second["input"]), roll, False)
    final = narrate(request(text, step1, step2))
    assert final.stop_reason == "end_turn"
    assert "9" in final.text_content and "19" in final.text_content


def test_unknown_text_checks_perception_then_looks() -> None:
    first = only_tool(narrate(request("xyzzy plugh")))
    assert first["name"] == "mcp__game__ability_check"
    assert first["input"]["skill"] == "perception" and first["input"]["dc"] == 10
    ok = {"check": "perception", "total": 14, "dc": 10, "success": True}
    step1 = (use("ability_check", **first["input"]), ok, False)
    assert only_tool(narrate(request("xyzzy plugh", step1)))["name"] == "mcp__game__look_around"


def test_game_over_text_is_included() -> None:
    won = dict(SQUARE, moved="north", first_visit=False)
    won["game_over"] = {"outcome": "won", "text": "The bell rings out over Millbrook."}
    final = narrate(request("go north", (use("move", direction="north"), won, False)))
    assert "The bell rings out over Millbrook." in final.text_content


def test_same_request_gives_same_reply() -> None:
    req = request("look around", (use("look_around"), SQUARE, False))
    assert narrate(req) == narrate(json.loads(json.dumps(req)))
    first = narrate(request("take the lantern"))
    assert first == narrate(request("take the lantern"))


def test_wording_varies_across_inputs() -> None:
    texts = ["look around", "look", "where am i", "l", "examine the room", "search", "x"]
    narrations = {
        narrate(request(t, (use("look_around"), SQUARE, False))).text_content for t in texts
    }
    assert len(narrations) >= 3
    seeds = {narrate(request("look", (use("look_around"), SQUARE, False)), seed=s).text_content
             for s in range(6)}  # fmt: skip
    assert len(seeds) >= 2


def test_never_more_than_four_tool_calls() -> None:
    ok = {"check": "perception", "total": 14, "dc": 10, "success": True}
    steps = [(use("ability_check", skill="perception", dc=10), ok, False)] * 5
    final = narrate(request("xyzzy", *steps))
    assert final.stop_reason == "end_turn"
    assert not final.tool_uses and final.text_content


def test_tools_not_offered_are_not_called() -> None:
    req = request("take the lantern")
    req["tools"] = [t for t in TOOLS if t["name"] != "mcp__game__take_item"]
    assert narrate(req).stop_reason == "end_turn"
    req["tools"] = []
    reply = narrate(req)
    assert reply.stop_reason == "end_turn" and reply.text_content


def test_no_user_text_and_system_reminders() -> None:
    empty = {"model": "m", "messages": [], "tools": TOOLS}
    assert narrate(empty).stop_reason == "end_turn"
    reminder = "<system-reminder>You have tools.</system-reminder>"
    req = request("take the lantern")
    req["messages"][0]["content"] = [
        {"type": "text", "text": reminder},
        {"type": "text", "text": "take the lantern " + reminder},
    ]
    req["system"] = [{"type": "text", "text": "You are a game master."}]
    assert only_tool(narrate(req))["input"] == {"item": "lantern"}
    only_reminder = request("x")
    only_reminder["messages"][0]["content"] = reminder
    assert narrate(only_reminder).stop_reason == "end_turn"


def test_help_and_intents() -> None:
    reply = narrate(request("help"))
    assert reply.stop_reason == "end_turn" and "look" in reply.text_content.lower()
    assert parse_intent("i").kind == "inventory"
    assert parse_intent("pick up the rope").target == "rope"
    assert parse_intent("talk to Mara").kind == "talk"
    assert parse_intent("sneak past the ghost").skill == "stealth"
    assert parse_intent("drink the healing potion").kind == "use"


# --------------------------------------------------------------------------- HTTP


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
