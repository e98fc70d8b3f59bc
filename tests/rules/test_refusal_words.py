"""A player's words for each refusal code (the page shows them in the dice & actions log)."""

from __future__ import annotations

import json
import re

from flask import Flask

from game_master.rules import CODES, CREATION_METHODS, PLAYER_WORDS, player_words
from game_master.rules.refusal_words import FALLBACK, placeholders
from game_master.testing import REPO


def test_every_refusal_code_has_a_players_words() -> None:
    """A code the rules can raise (CODES) without words here fails: add its sentence."""
    assert set(CODES) - set(PLAYER_WORDS) == set()
    assert set(PLAYER_WORDS) - set(CODES) == {FALLBACK}


def test_words_name_only_the_facts_their_code_carries() -> None:
    for code, words in PLAYER_WORDS.items():
        assert placeholders(words) <= set(CODES.get(code, ())), code


def test_words_are_a_players_not_the_models() -> None:
    """Short sentences without ids, underscores or the rules' own jargon."""
    for code, words in PLAYER_WORDS.items():
        assert words[0].isupper() and words.endswith("."), code
        assert len(words) <= 80, code
        prose = re.sub(r"\{\w+\}", "", words).lower()
        assert not re.search(r"_|tool|argument|exits:", prose), code


def test_the_pages_data_block_words_every_code() -> None:
    block = player_words()
    assert set(block) == {FALLBACK, *CODES}
    assert block["no_exit"].format(direction="in", location="Village Square") == (
        "No way in from Village Square."
    )


def test_the_page_names_no_refusal_code_itself(app: Flask) -> None:
    """The page reads every refusal's words from its data block (served from this table);
    its script names no refusal code (a creation method of the same name aside)."""
    html = app.test_client().get("/").get_data(as_text=True)
    block = re.search(r'<script id="gm-refusals" type="application/json">(.*?)<', html, re.S)
    assert block and json.loads(block.group(1)) == player_words()
    script = "\n".join(p.read_text() for p in sorted((REPO / "static" / "js").glob("*.js")))
    named = [c for c in set(CODES) - set(CREATION_METHODS) if re.search(rf"\b{c}\b", script)]
    assert named == []
