"""Story memory on SQLite and PostgreSQL: ranked full-text search over a game's history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from game_master import rules
from game_master.store import SCHEMA_VERSION, Store, TurnRecord, schema
from game_master.store.search import excerpt, search_terms


def new_state() -> rules.GameState:
    """A fresh game state."""
    return rules.new_game_state("Ada", "fighter", rules.load_scenario(), seed=1)


def play(db: Store, game_id: str, message: str, narration: str) -> TurnRecord:
    """One completed turn."""
    turn = db.begin_turn(game_id, message, lease_owner="w", lease_seconds=60)
    return db.finish_turn(turn.id, status="completed", narration=narration, tool_calls=[])


FILLER = "You walk on through the grey drizzle; the road bends past fields of wet barley."


def test_a_fact_from_turn_one_is_found_among_thirty_turns(db: Store) -> None:
    """The planted fact ranks first, with its turn, field and an excerpt around it."""
    gid = db.create_game(new_state()).id
    first = play(
        db,
        gid,
        "I ask the ferryman about the ford",
        "The ferryman Osric leans close. "
        + "He rambles about the weather. " * 8
        + "Then: the silver key lies under the third willow, he whispers.",
    )
    for n in range(2, 31):
        play(db, gid, f"walk on {n}", f"{FILLER} Mile {n}.")
    other = db.create_game(new_state()).id
    elsewhere = play(db, other, "where is the silver key", "Another game's silver willow key.")

    hits = db.search_story(gid, "where is the silver key hidden?")
    assert hits and hits[0]["turn"] == 1 and hits[0]["turn_id"] == first.id
    assert hits[0]["field"] == "narration" and hits[0]["chapter"] is None
    assert "silver key" in hits[0]["excerpt"] and len(hits[0]["excerpt"]) <= 221
    # The other game's turn matches the words better than any of this game's; never shown.
    # Lines given up stay searchable with line_only=False; other games never do.
    for found in (hits, db.search_story(gid, "silver key", line_only=False)):
        assert elsewhere.id not in {h["turn_id"] for h in found}
        assert not any("Another game" in h["excerpt"] for h in found)
    assert {h["turn"] for h in db.search_story(gid, "ferryman")} == {1}
    player = db.search_story(gid, "ford")
    assert [(h["turn"], h["field"]) for h in player] == [(1, "player")]
    assert len(db.search_story(gid, "road barley drizzle", limit=3)) == 3
    assert db.search_story(gid, "dragon") == []


def test_a_turn_on_a_line_given_up_is_not_remembered(db: Store) -> None:
    """After a rewind, the abandoned line's turns are found only with line_only=False."""
    gid = db.create_game(new_state()).id
    play(db, gid, "look", "A quiet hall.")
    gone = play(db, gid, "feed the griffin", "The griffin eats from your hand.")
    db.rewind(gid, 1)
    play(db, gid, "go north", "A cold corridor.")

    assert db.search_story(gid, "griffin") == []
    assert [h["turn_id"] for h in db.search_story(gid, "griffin", line_only=False)] == [
        gone.id,
        gone.id,
    ]
    assert [h["turn"] for h in db.search_story(gid, "corridor")] == [2]


def test_the_turn_being_played_is_not_its_own_memory(db: Store) -> None:
    """The running turn's message is not a hit until the turn completes; its narration is."""
    gid = db.create_game(new_state()).id
    turn = db.begin_turn(gid, "recall the lantern", lease_owner="w", lease_seconds=60)
    assert db.search_story(gid, "lantern") == []
    db.finish_turn(turn.id, status="completed", narration="The lantern glows.", tool_calls=[])
    assert {h["field"] for h in db.search_story(gid, "lantern")} == {"player", "narration"}


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "key*",
        "key NEAR willow",
        "NEAR(key willow)",
        "(key OR",
        "body:key",
        "^key",
        "-key",
        "key AND NOT",
        "'; DROP TABLE turns; --",
        "!!! ??? ***",
        "the of and",
        "<-> & | ! :*",
        "",
        "ключ 鍵 clé",
    ],
)
def test_search_syntax_is_just_characters(db: Store, query: str) -> None:
    """Quotes, *, NEAR, parentheses, :, ^, - and tsquery operators never raise."""
    gid = db.create_game(new_state()).id
    play(db, gid, "look under the willow", "A key lies under the willow.")
    hits = db.search_story(gid, query)
    if "key" in query:
        assert [h["turn"] for h in hits][:1] == [1]
    assert db.count_line(gid) == 1


def test_chapter_summaries_are_searched_and_follow_the_line(db: Store) -> None:
    """index_chapter makes a summary searchable under its last turn; re-indexing replaces."""
    gid = db.create_game(new_state()).id
    t1 = play(db, gid, "look", "A hall.")
    t2 = play(db, gid, "wait", "Time passes.")
    db.index_chapter(gid, 1, "Ada met the smuggler queen.", last_turn_id=t2.id)
    [hit] = db.search_story(gid, "smuggler")
    assert (hit["turn"], hit["field"], hit["chapter"]) == (2, "chapter", 1)
    db.index_chapter(gid, 1, "Ada met the pirate queen.", last_turn_id=t2.id)
    assert db.search_story(gid, "smuggler") == []
    assert len(db.search_story(gid, "pirate")) == 1
    db.rewind(gid, 1)  # the chapter's last turn leaves the line
    assert db.search_story(gid, "pirate") == []
    assert t1.id != t2.id


def test_search_helpers() -> None:
    """Terms are plain words without stopwords; excerpts are one bounded line."""
    assert search_terms('What did "Mara" tell me (about) the NEAR-bridge*?') == [
        "mara",
        "tell",
        "near",
        "bridge",
    ]
    assert search_terms("the_end") == ["end"]
    assert excerpt("a\n b") == "a b"
    long = excerpt("word " * 100)
    assert long.endswith("…") and len(long) <= 221


@pytest.fixture(params=["sqlite", "postgresql"])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store at schema version 3 (before story memory)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = Store(url, busy_timeout_ms=1000)
    assert store.migrate(up_to=3) == 3
    yield store
    store.close()


def test_a_migrated_database_finds_its_old_turns(old_db: Store) -> None:
    """Turns played before the migration are indexed by it; new ones by the store."""
    gid = old_db.create_game(new_state()).id
    play(old_db, gid, "greet the hermit", "The hermit Tobin tells you of the sunken bell.")
    play(old_db, gid, "wait", "Rain.")
    assert old_db.migrate() == SCHEMA_VERSION
    [hit] = old_db.search_story(gid, "sunken bell")
    assert (hit["turn"], hit["field"]) == (1, "narration")
    play(old_db, gid, "ring the bell", "The bell tolls under the water.")
    assert {h["turn"] for h in old_db.search_story(gid, "bell")} == {1, 3}
    assert old_db.migrate() == SCHEMA_VERSION  # twice changes nothing
    assert len(old_db.search_story(gid, "hermit")) == 2


def test_a_migration_numbered_lower_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions apply by number, not by maximum: a database that got 5 still gets 4."""
    store = Store(f"sqlite:///{tmp_path / 'gap.db'}")
    assert store.migrate() == SCHEMA_VERSION
    # The lowest free number (4 while chapters are on another branch).
    gap = min(set(range(1, SCHEMA_VERSION + 2)) - {v for v, _ in schema.MIGRATIONS})
    late = (gap, ["CREATE TABLE late_probe (x INTEGER)"])
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, late])
    assert store.migrate() == max(SCHEMA_VERSION, gap)
    assert store.read_all("SELECT x FROM late_probe") == []
    rows = store.read_all("SELECT version FROM schema_version ORDER BY version")
    assert sorted(r[0] for r in rows) == sorted(v for v, _ in schema.MIGRATIONS)
    store.close()


def test_words_said_again_are_one_memory(db: Store) -> None:
    """A question asked on six turns is one result: the other four go to the turns that
    hold the answer, which would otherwise rank below the short, repeated question."""
    gid = db.create_game(new_state()).id
    play(db, gid, "The password for the crypt door is thornwick.", "You nod.")
    for n in range(6):
        play(db, gid, "recall the crypt door password", f"You try to remember ({n}).")
    hits = db.search_story(gid, "crypt door password")
    assert [h["excerpt"] for h in hits].count("recall the crypt door password") == 1
    assert hits[0]["turn"] == 7  # the newest asking ranks first among equals
    assert 1 in [h["turn"] for h in hits]
    assert len(db.search_story(gid, "crypt door password", limit=1)) == 1
