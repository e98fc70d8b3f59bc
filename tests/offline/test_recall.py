"""The offline narrator's story memory: recall questions call ``recall`` and word the hits."""

from __future__ import annotations

import pytest

from game_master.offline import narrate, parse_intent

from .helpers import only_tool, request, use


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("what did Mara tell me", "mara"),
        ("What did Mara's brother say about the bridge?", "mara brother bridge"),
        ("remember the bread", "bread"),
        ("recall the bread", "bread"),
        ("think back to the drowned bell", "drowned bell"),
        ("try to remember what the warden told us", "warden"),
    ],
)
def test_recall_questions_and_their_topics(text: str, topic: str) -> None:
    """Questions about the past are recall intents; the topic drops how it was heard."""
    intent = parse_intent(text)
    assert (intent.kind, intent.target) == ("recall", topic)


def test_other_talk_is_not_recall() -> None:
    """Telling and asking stay talk."""
    assert parse_intent("tell Mara about the bread").kind == "talk"
    assert parse_intent("ask the warden about the bell").kind == "talk"


def test_recall_calls_the_tool_then_words_the_turns() -> None:
    """The first reply calls recall with the topic; the last tells the best hits by turn."""
    call = only_tool(narrate(request("what did Mara tell me")))
    assert call == {**call, "name": "mcp__game__recall", "input": {"query": "mara"}}

    found = {
        "query": "mara",
        "results": [
            {"turn": 3, "excerpt": "Mara warns you the bridge is out", "from": "narration"},
            {"turn": 2, "excerpt": "ask Mara about the bridge", "from": "player"},
            {"turn": 9, "excerpt": "Mara left town.", "from": "chapter", "chapter": 1},
        ],
    }
    final = narrate(request("what did Mara tell me", (use("recall", query="mara"), found, False)))
    assert final.stop_reason == "end_turn" and not final.tool_uses
    text = final.text_content
    assert "You remember, from turn 3: Mara warns you the bridge is out." in text
    assert "from turn 2, your own words: “ask Mara about the bridge”" in text
    assert "turn 9" not in text  # two memories are enough


def test_nothing_found_and_nothing_asked_are_said_plainly() -> None:
    """No hits: nothing comes to mind; no topic at all: no call, and no invented memory."""
    empty = {"query": "dragon", "results": []}
    final = narrate(request("recall the dragon", (use("recall", query="dragon"), empty, False)))
    assert "dragon" in final.text_content and "nothing" in final.text_content.lower()
    assert "remember, from turn" not in final.text_content
    bare = narrate(request("remember"))
    assert bare.stop_reason == "end_turn" and not bare.tool_uses
    assert "remember, from turn" not in bare.text_content
