"""The chronicle on SQLite and PostgreSQL: chapters roll into arcs, what a fresh session is
told stays bounded and leaves no turn out, every summary stays searchable, and arcs follow
the line of play like chapters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from game_master import rules
from game_master.chapters import chapters_of, due_roll_up, story_so_far
from game_master.store import SCHEMA_VERSION, ArcRecord, ChapterRecord, Store, TurnRecord


def new_state() -> rules.GameState:
    """A fresh game state."""
    return rules.new_game_state("Ada", "fighter", rules.load_scenario(), seed=1)


def play(db: Store, game_id: str, message: str, narration: str = "Time passes.") -> TurnRecord:
    """One completed turn."""
    turn = db.begin_turn(game_id, message, lease_owner="w", lease_seconds=60)
    return db.finish_turn(turn.id, status="completed", narration=narration, tool_calls=[])


def roll_up(db: Store, game_id: str) -> list[ArcRecord]:
    """Roll up every arc that is due, as the chapters part does after a close."""
    made = []
    while (due := due_roll_up(db.chronicle(game_id), db.arcs(game_id))) is not None:
        level, entries = due
        first, last = chapters_of(entries)
        summary = f"The deeds of chapters {first} to {last}, level {level}."
        arc = db.close_arc(
            game_id, level, (first, last), entries[0].first_turn, entries[-1].last_turn_id, summary
        )
        assert arc is not None
        made.append(arc)
    return made


def chapters(db: Store, game_id: str, count: int, turns: int = 2) -> list[ChapterRecord]:
    """Play ``count`` chapters of ``turns`` turns each, closing and rolling up as the game does."""
    closed = []
    for _ in range(count):
        for _ in range(turns):
            last = play(db, game_id, "walk on")
        number = len(db.chronicle(game_id)) + 1
        chapter = db.close_chapter(game_id, last.id, f"Chapter {number}: Ada walked on.", 900)
        assert chapter is not None
        closed.append(chapter)
        roll_up(db, game_id)
    return closed


def test_chapters_roll_into_arcs_and_a_fresh_session_is_told_a_bounded_chronicle(
    db: Store,
) -> None:
    """Nine chapters: 1-4 become an arc (four chapters still stand after it: 5-8, and 9);
    the story so far is that arc, then chapters 5 to 9, and covers every turn once."""
    gid = db.create_game(new_state()).id
    chapters(db, gid, 7)
    assert db.arcs(gid) == []  # seven chapters are told one by one
    chapters(db, gid, 2)
    [arc] = db.arcs(gid)
    assert (arc.level, arc.first_chapter, arc.last_chapter) == (1, 1, 4)
    assert (arc.first_turn, arc.last_turn) == (1, 8)
    assert arc.heading == "Chapters 1-4 (turns 1-8)"
    told = story_so_far(db.chronicle(gid), db.arcs(gid))
    assert [e.heading for e in told] == [
        "Chapters 1-4 (turns 1-8)",
        "Chapter 5 (turns 9-10)",
        "Chapter 6 (turns 11-12)",
        "Chapter 7 (turns 13-14)",
        "Chapter 8 (turns 15-16)",
        "Chapter 9 (turns 17-18)",
    ]
    # Recall reaches the arc's summary as well as every chapter's and every turn.
    hits = db.search_story(gid, "deeds")
    assert [(h["turn"], h["field"]) for h in hits] == [(8, "arc")]
    assert {h["turn"] for h in db.search_story(gid, "Ada walked", limit=20)} >= {2, 10, 18}


def test_arcs_of_arcs_keep_the_chronicle_bounded(db: Store) -> None:
    """Twenty-four chapters: four arcs of chapters roll into one arc of arcs (level 2)."""
    gid = db.create_game(new_state()).id
    chapters(db, gid, 24, turns=1)
    arcs = db.arcs(gid)
    assert [(a.level, a.first_chapter, a.last_chapter) for a in arcs] == [
        (1, 1, 4),
        (1, 5, 8),
        (1, 9, 12),
        (1, 13, 16),
        (1, 17, 20),
        (2, 1, 16),
    ]
    told = story_so_far(db.chronicle(gid), arcs)
    assert [e.heading for e in told] == [
        "Chapters 1-16 (turns 1-16)",
        "Chapters 17-20 (turns 17-20)",
        "Chapter 21 (turns 21-21)",
        "Chapter 22 (turns 22-22)",
        "Chapter 23 (turns 23-23)",
        "Chapter 24 (turns 24-24)",
    ]


def simulate(count: int, per: int = 77) -> tuple[list[ChapterRecord | ArcRecord], int]:
    """Roll ``count`` chapters of ``per`` turns in memory: (the story so far, its longest)."""
    closed: list[ChapterRecord] = []
    arcs: list[ArcRecord] = []
    longest = 0
    for k in range(1, count + 1):
        turns = ((k - 1) * per + 1, k * per)
        closed.append(ChapterRecord(f"c{k}", "g", k, *turns, f"t{k * per}", "s", None, 0.0))
        while (due := due_roll_up(closed, arcs)) is not None:
            level, entries = due
            first, last = chapters_of(entries)
            span = (entries[0].first_turn, entries[-1].last_turn)
            last_id = entries[-1].last_turn_id
            arcs.append(ArcRecord(f"a{len(arcs)}", "g", level, first, last, *span, last_id, "", 0))
        longest = max(longest, len(story_so_far(closed, arcs)))
    return story_so_far(closed, arcs), longest


@pytest.mark.parametrize(
    ("count", "bound"),
    [(130, 13), (1000, 18)],
)
def test_the_story_so_far_grows_only_with_the_logarithm_of_the_game(count: int, bound: int) -> None:
    """130 chapters (10,000 turns at the default budget) are never told in more than 13
    summaries, 1,000 in 18; every turn is in exactly one of them, and the newest four
    chapters are always told one by one."""
    told, longest = simulate(count)
    assert longest <= bound
    assert told[0].first_turn == 1 and told[-1].last_turn == count * 77
    assert all(b.first_turn == a.last_turn + 1 for a, b in zip(told, told[1:], strict=False))
    newest = [e.number for e in told if isinstance(e, ChapterRecord)]
    assert newest[-4:] == [count - 3, count - 2, count - 1, count]


def test_an_arc_belongs_to_its_line(db: Store) -> None:
    """Rewinding into an arc leaves it (and the chapters after the rewind) out; switching
    back to the old line brings them again; the new line rolls up its own."""
    gid = db.create_game(new_state()).id
    chapters(db, gid, 9)  # arc of chapters 1-4 ends at turn 8
    old = db.arcs(gid)
    db.rewind(gid, 7)
    assert db.arcs(gid) == []
    assert [c.number for c in db.chronicle(gid)] == [1, 2, 3]
    play(db, gid, "turn back")
    chapters(db, gid, 5)
    [arc] = db.arcs(gid)
    assert (arc.first_chapter, arc.last_chapter, arc.last_turn) == (1, 4, 10)
    assert arc.id != old[0].id
    [previous] = [b for b in db.branches(gid) if not b["active"]]
    db.activate_branch(gid, previous["id"])
    assert db.arcs(gid) == old
    assert [c.number for c in db.chronicle(gid)] == list(range(1, 10))


def test_a_closed_arc_is_not_closed_twice(db: Store) -> None:
    """A second roll-up of the same chapters (two workers at once) stores nothing."""
    gid = db.create_game(new_state()).id
    chapters(db, gid, 8)
    [arc] = db.arcs(gid)
    again = db.close_arc(gid, 1, (1, 4), arc.first_turn, arc.last_turn_id, "again")
    assert again is None and db.arcs(gid) == [arc]


def test_each_line_keeps_its_own_chapter_in_story_memory(db: Store) -> None:
    """Chapter 1 closed on two lines: each summary is found while its line is played."""
    gid = db.create_game(new_state()).id
    play(db, gid, "look")
    first = play(db, gid, "wait")
    assert db.close_chapter(gid, first.id, "Ada met the smuggler queen.", 900) is not None
    db.rewind(gid, 1)
    second = play(db, gid, "sleep")
    assert db.close_chapter(gid, second.id, "Ada met the pirate king.", 900) is not None
    assert [h["field"] for h in db.search_story(gid, "pirate")] == ["chapter"]
    [previous] = [b for b in db.branches(gid) if not b["active"]]
    db.activate_branch(gid, previous["id"])
    assert [h["field"] for h in db.search_story(gid, "smuggler")] == ["chapter"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_at_6(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store at schema version 6 (chapters, no arcs)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'six.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = Store(url, busy_timeout_ms=1000)
    assert store.migrate(up_to=6) == 6
    yield store
    store.close()


def test_a_database_with_chapters_migrates_to_arcs(db_at_6: Store) -> None:
    """Chapters closed before migration 7 roll into arcs after it, searchable like new ones."""
    db = db_at_6
    gid = db.create_game(new_state()).id
    for n in range(1, 9):
        last = play(db, gid, f"walk {n}")
        db.close_chapter(gid, last.id, f"Chapter {n}: the lantern {n} glows.", 900)
    assert db.migrate() == SCHEMA_VERSION
    [arc] = roll_up(db, gid)
    assert (arc.first_chapter, arc.last_chapter) == (1, 4)
    assert {h["field"] for h in db.search_story(gid, "deeds")} == {"arc"}
    assert {h["turn"] for h in db.search_story(gid, "lantern glows", limit=10)} == set(range(1, 9))


def test_the_latest_chapter_is_the_active_lines(db: Store) -> None:
    """The newest chapter of the line being played, whatever the other lines hold; none
    before the first close or after a rewind to before it."""
    gid = db.create_game(new_state()).id
    assert db.latest_chapter(gid) is None
    chapters(db, gid, 3)
    play(db, gid, "wait")  # the fourth chapter has begun
    assert db.latest_chapter(gid) == db.chronicle(gid)[-1]
    assert db.latest_chapter(gid).number == 3  # type: ignore[union-attr]
    db.rewind(gid, 5)
    assert db.latest_chapter(gid).number == 2  # type: ignore[union-attr]
    db.rewind(gid, 1)
    assert db.latest_chapter(gid) is None
    old = [b for b in db.branches(gid) if not b["active"]]
    first_line = min(old, key=lambda b: b["created_at"])
    db.activate_branch(gid, first_line["id"])
    assert db.latest_chapter(gid) == db.chronicle(gid)[-1]


def test_two_workers_rolling_the_same_arc_at_once_store_one(
    db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker A has checked that no arc covers chapters 1-4 and is about to store its own
    when worker B tries the same: B waits for A's transaction and then stores nothing."""
    import threading
    import uuid

    from game_master.store import chapters as store_chapters

    gid = db.create_game(new_state()).id
    for n in range(1, 9):
        last = play(db, gid, f"walk {n}")
        assert db.close_chapter(gid, last.id, f"Chapter {n}.", 900) is not None
    level, entries = due_roll_up(db.chronicle(gid), db.arcs(gid)) or (0, [])
    args = (gid, level, chapters_of(entries), entries[0].first_turn, entries[-1].last_turn_id)
    a_checked, b_finished = threading.Event(), threading.Event()

    class Pausing:
        """uuid for the store: worker A pauses after its check until B is done (or blocked)."""

        def uuid4(self) -> uuid.UUID:
            if threading.current_thread().name == "worker-a":
                a_checked.set()
                b_finished.wait(timeout=0.5)  # B blocked on A's lock never finishes first
            return uuid.uuid4()

    monkeypatch.setattr(store_chapters, "uuid", Pausing())
    results: dict[str, ArcRecord | None] = {}

    def close(name: str) -> None:
        results[name] = db.close_arc(*args, f"summary by {name}")
        if name == "worker-b":
            b_finished.set()

    a = threading.Thread(target=close, args=("worker-a",), name="worker-a")
    a.start()
    assert a_checked.wait(timeout=10)
    b = threading.Thread(target=close, args=("worker-b",), name="worker-b")
    b.start()
    a.join(timeout=10)
    b.join(timeout=10)
    assert results["worker-b"] is None and results["worker-a"] is not None
    assert [arc.summary for arc in db.arcs(gid)] == ["summary by worker-a"]
