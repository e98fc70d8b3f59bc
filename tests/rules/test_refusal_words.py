"""A player's words for each refusal code (the page shows them in the dice & actions log)."""

from __future__ import annotations

import re

from game_master.rules import CODES, PLAYER_WORDS, player_words
from game_master.rules.refusal_words import FALLBACK, placeholders


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
