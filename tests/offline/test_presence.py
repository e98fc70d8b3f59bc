"""Talking and fighting reach only the people who are here."""

from __future__ import annotations

from typing import Any

from game_master.offline import narrate

from .helpers import SQUARE, only_tool, request, use
from .test_wording import SCENARIO, place


def lore_for(*npc_ids: str) -> dict[str, Any]:
    """A search_lore result listing these NPCs' entries, as the lore index returns them."""
    results = []
    for npc_id in npc_ids:
        npc = SCENARIO["npcs"][npc_id]
        text = f"{npc['description']} {npc['lore']}"
        results.append({"kind": "npc", "ref": npc_id, "title": npc["name"], "text": text})
    return {"query": "q", "results": results}


def talk(text: str, here: dict[str, Any], found: dict[str, Any]) -> tuple[dict, str]:
    """The tool the narrator calls for ``text`` at ``here``, and its narration of ``found``."""
    call = only_tool(narrate(request(text, place=here)))
    final = narrate(
        request(text, (use(call["name"][11:], **call["input"]), found, False), place=here)
    )
    return call, final.text_content


def test_talk_to_someone_here_answers_with_their_lore() -> None:
    call, text = talk("talk to the priest", place("chapel"), lore_for("odo"))
    assert call["name"] == "mcp__game__search_lore"
    assert "Father Odo" in text and "guardian" in text
    _, text = talk("ask mara about the crypt", place("tavern"), lore_for("mara"))
    assert "sexton" in text


def test_talk_to_someone_elsewhere_says_they_are_not_here() -> None:
    _, text = talk("talk to the priest", place("tavern"), lore_for("odo", "mara"))
    assert "Father Odo" in text and "not here" in text
    assert "guardian" not in text, "no lore from someone who is not here"
    _, text = talk("talk to the sailor", place("tavern"), {"query": "sailor", "results": []})
    assert "sailor" in text and "here" in text


def test_talk_with_nobody_here_calls_no_tool() -> None:
    reply = narrate(request("talk to the priest", place=SQUARE))
    assert reply.stop_reason == "end_turn" and "no one" in reply.text_content.lower()


def test_attack_someone_not_here_rolls_nothing() -> None:
    for text in ("attack the shadow", "attack the warden"):
        reply = narrate(request(text, place=place("tavern")))
        assert reply.stop_reason == "end_turn" and not reply.tool_uses
        said = reply.text_content.lower()
        assert "nobody" in said or "no one" in said or "nothing like" in said
    for text in ("attack", "attack the shadow"):
        alone = narrate(request(text, place=SQUARE))
        assert not alone.tool_uses and "no one here" in alone.text_content
    reply = narrate(request("attack", place=SQUARE))
    assert not reply.tool_uses and "no one here to fight" in reply.text_content


def test_attack_with_no_place_seen_looks_first() -> None:
    first = only_tool(narrate(request("attack the shadow")))
    assert first["name"] == "mcp__game__look_around"
    seen = (use("look_around"), place("bell_chamber"), False)
    final = narrate(request("attack the shadow", seen))
    assert final.stop_reason == "end_turn" and "Bell Chamber" in final.text_content
    assert "shadow" in final.text_content
    assert only_tool(narrate(request("attack the warden", seen)))["name"] == "mcp__game__attack"


def test_attack_names_the_foe_as_the_scenario_does() -> None:
    here = place("old_mill")
    first = only_tool(narrate(request("attack the ghost", place=here)))
    assert first == {**first, "name": "mcp__game__attack",
                     "input": {"target": "the miller's ghost"}}  # fmt: skip
    blow = {"name": "The miller's ghost", "weapon": "unarmed strike", "success": True,
            "foe_turns": [], "down": False, "dead": False}  # fmt: skip
    step = (use("attack", **first["input"]), blow, False)
    final = narrate(request("attack the ghost", step, place=here)).text_content
    assert "miller's ghost" in final
