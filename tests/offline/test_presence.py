"""People, fights, locks and ways through the narrator and the real rules (in process): who
answers is whoever stands here, in their own words; a fight, a lock and a route are the
rules' own, and the reply says what they did."""

from __future__ import annotations

import re

from game_master.rules import load_scenario

from .corpus_play import Table

LEDGER = load_scenario("velvet_ledger")
BELL = load_scenario("drowned_bell")


def table(scenario: object = LEDGER, at: str | None = None, *carry: str) -> Table:
    """A fresh game, the character at ``at`` carrying ``carry``, looked around once."""
    t = Table(LEDGER if scenario is None else scenario, seed=3)  # type: ignore[arg-type]
    if at:
        t.move_to(at)
    for item in carry:
        t.give(item)
    t.play("look around")
    return t


def names(turn: object) -> list[str]:
    """The tools a turn called."""
    return [c.name for c in turn.calls]  # type: ignore[attr-defined]


def test_a_person_here_answers_in_their_own_words_and_a_greeting_gives_their_voice() -> None:
    """Nell's own line on the strongroom; a greeting is her voice line and her topics."""
    t = table()
    turn = t.play("Nell, what do you know about the strongroom?")
    assert names(turn) == ["ask"]
    assert LEDGER.npcs["nell"].topics["strongroom"] in turn.prose
    hello = t.play("talk to Nell")
    assert LEDGER.npcs["nell"].voice in hello.prose and "the watergate key" in hello.prose
    assert LEDGER.npcs["nell"].lore not in hello.prose  # no lore read aloud


def test_someone_elsewhere_is_not_here_and_where_they_were_seen_is_said() -> None:
    """From Tallow Lane, Nell (seen on the Canal Steps) is not here: the reply says so, with
    the Canal Steps' own preposition, and quotes nothing of hers."""
    t = table()
    t.play("go south")
    turn = t.play("ask nell about the gold")
    assert re.search(r"not here.*on the Canal Steps", turn.prose), turn.prose
    assert "hanged" not in turn.prose


def test_an_attack_on_someone_elsewhere_or_a_friend_hurts_nobody() -> None:
    """The mastiff is in the strongroom, Nell is no foe: no fight starts, no HP moves."""
    t = table()
    for line in ("attack the mastiff", "attack nell", "kill the dragon"):
        turn = t.play(line)
        assert turn.after.character.hp == turn.before.character.hp and turn.after.fight is None
        said = r"not here|no enemy|no harm|nothing like"
        assert re.search(said, turn.prose), (line, turn.prose)


def test_a_fight_is_the_rules_own_and_told_without_numbers() -> None:
    """With the boathook in hand: initiative, the blow and the mastiff's turn, in words."""
    t = table(LEDGER, "strongroom", "boathook")
    turn = t.play("attack the hound")
    (blow,) = [c for c in turn.calls if c.name == "attack"]
    assert blow.result["weapon"] == "Boathook" and blow.result["initiative"]
    assert "brass mastiff" in turn.prose and not re.search(r"\d", turn.prose)
    assert "flee" in turn.prose or blow.result.get("defeated") or blow.result["down"]


def test_a_dying_character_makes_death_saves_whatever_the_player_says() -> None:
    """At 0 HP every line is a death save; three failures end the game with its defeat."""
    t = table(LEDGER, "strongroom")
    t.store.state.character.hp = 1
    for _ in range(10):
        turn = t.play("attack the mastiff")
        if turn.after.character.down or turn.after.outcome:
            break
    for _ in range(10):
        if t.store.state.outcome or not t.store.state.character.down:
            break
        turn = t.play("I try to crawl away")
        assert names(turn) == ["death_save"], names(turn)
    if t.store.state.outcome == "dead":
        assert LEDGER.ending["defeat"] in turn.prose


def test_unlocking_is_told_before_the_arrival_and_the_look_after_agrees() -> None:
    """The key turns, then the character goes through; the next look shows no lock."""
    t = table(LEDGER, None, "watergate_key")
    turn = t.play("use the key on the watergate")
    assert "canal_steps:east" in turn.after.unlocked and turn.after.location == "canal_steps"
    assert "open" in turn.prose
    look = t.play("look")
    assert "(locked)" not in look.prose and "east through the watergate" in look.prose
    locked = table(BELL, "crypt_hall")
    refused = locked.play("open the gate")
    assert "iron key" in refused.prose and "locked" in refused.prose


def test_where_is_a_place_is_its_true_route() -> None:
    """From the Counting Hall the strongroom is north, then up (locked), as the map has it."""
    t = table(LEDGER, "counting_hall")
    turn = t.play("where is the strongroom?")
    assert names(turn) == ["find_way"]
    assert "north to the Chief Clerk's Study, then up" in turn.prose
    assert "locked" in turn.prose and turn.after.location == "counting_hall"
