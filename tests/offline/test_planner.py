"""The offline narrator's planner through ``narrate``: which tool next, and the narration."""

from __future__ import annotations

import json

from game_master.offline import narrate, parse_intent

from .helpers import SQUARE, TOOLS, only_tool, request, use

BELL = {
    "location": "bell_chamber",
    "name": "Bell Chamber",
    "description": "A round chamber; the great bell hangs silent.",
    "exits": {"up": "Hall of Niches"},
    "locked_exits": [],
    "items": [],
    "npcs": [{"id": "warden", "name": "The Warden"}],
}


def test_take_plans_take_item_then_narrates_the_item() -> None:
    first = narrate(request("take the lantern"))
    call = only_tool(first)
    assert call["name"] == "mcp__game__take_item"
    assert call["input"] == {"item": "lantern"}

    taken = {"taken": "lantern", "name": "Lantern", "inventory": ["lantern"]}
    final = narrate(request("take the lantern", (use("take_item", item="lantern"), taken, False)))
    assert final.stop_reason == "end_turn"
    assert not final.tool_uses
    assert "the lantern" in final.text_content


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


def test_an_attack_is_the_rules_fight() -> None:
    """The Warden is here (an earlier look saw him): one attack call; the rules' result
    (the blow, the Warden's turn) is what the narration tells."""
    text = "attack the warden"
    first = only_tool(narrate(request(text, place=BELL)))
    assert (first["name"], first["input"]) == ("mcp__game__attack", {"target": "The Warden"})
    blow = {"name": "The Warden", "weapon": "Silver dagger", "success": True, "down": False,
            "dead": False, "foe_turns": [{"name": "The Warden", "hit": True}]}  # fmt: skip
    final = narrate(request(text, (use("attack", **first["input"]), blow, False), place=BELL))
    assert final.stop_reason == "end_turn" and "the Warden" in final.text_content


def test_a_line_it_cannot_act_on_says_what_the_player_can_do() -> None:
    """No roll and no room again: with no place known it looks (quietly) first; then the
    answer lists the ways, the things here and whom to ask. Never a Perception check."""
    first = only_tool(narrate(request("sing a song")))
    assert (
        first["name"] == "mcp__game__look_around"
        and not narrate(request("sing a song")).text_content
    )
    final = narrate(request("sing a song", (use("look_around"), SQUARE, False)))
    text = final.text_content
    assert final.stop_reason == "end_turn" and "ability_check" not in json.dumps(final.blocks)
    assert "north to Chapel of the Lantern" in text and "a lantern" in text
    assert "muddy square" not in text  # the room is not described again
    known = narrate(request("xyzzy plugh", place=SQUARE))
    assert not known.tool_uses and "north" in known.text_content


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
    reply = narrate(request("help", place=SQUARE))
    assert reply.stop_reason == "end_turn" and "east to the Crooked Kettle" in reply.text_content
    assert parse_intent("i").kind == "inventory"
    assert parse_intent("pick up the rope").target == "rope"
    assert parse_intent("talk to Mara").kind == "talk"
    assert parse_intent("sneak past the ghost").skill == "stealth"
    assert parse_intent("drink the healing potion").kind == "use"
