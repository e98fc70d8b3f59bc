"""A URL per game: /games/<id> opens the game where it stands (reload at any point), Back and
Forward move between it and the start page, and another browser gets a page saying the game is
not theirs, with none of its story.

Run: ``python -m pytest -q tests/browser/test_game_address.py`` (Debian's Chromium).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from .pages import TURN_MS, expect, play, saved_game, start_game

pytestmark = pytest.mark.browser

WAIT_S = 30  # the longest a stub waits to be released (a test that forgets fails, not hangs)


def test_back_forward_and_reload_move_between_start_and_game(serve: Any, new_page: Any) -> None:
    base = serve()
    page, problems = new_page()
    gid = start_game(page, base)
    play(page, "look around")
    start, game = page.locator("#start-screen"), page.locator("#game-screen")
    players = page.locator("#story .entry-player .entry-text")

    # Back: the start page, with the game on the list; Forward: the game again.
    page.go_back()
    expect(start).to_be_visible()
    expect(game).to_be_hidden()
    expect(page).to_have_url(base + "/")
    expect(saved_game(page, "Ada")).to_contain_text("1 turn")
    page.reload()
    expect(start).to_be_visible()
    page.go_forward()
    expect(game).to_be_visible()
    expect(page).to_have_url(f"{base}/games/{gid}")
    expect(players).to_have_text(["look around"])

    # "New game" is a step of its own in the history too; Back from it returns to the game.
    page.click("#new-game-button")
    expect(start).to_be_visible()
    expect(page).to_have_url(base + "/")
    page.go_back()
    expect(game).to_be_visible()
    expect(players).to_have_text(["look around"])

    # Continue on the list opens the game's address; the address alone opens it as well.
    page.go_back()
    saved_game(page, "Ada").locator(".saved-continue").click()
    expect(page).to_have_url(f"{base}/games/{gid}")
    expect(page.locator("#char-name")).to_have_text("Ada")
    other = page.context.new_page()
    other.goto(f"{base}/games/{gid}")
    expect(other.locator("#game-screen")).to_be_visible()
    expect(other.locator("#story .entry-player .entry-text")).to_have_text(["look around"])
    expect(other).to_have_title("Ada in The Drowned Bell · Game Master")
    assert problems.items == []


class Gate:
    """Holds the model's reply to one player message until the test releases it."""

    def __init__(self, message: str, reply: str) -> None:
        """Gate the reply to ``message`` (the first time it is asked)."""
        self.message, self.reply = message, reply
        self.asked, self.released = threading.Event(), threading.Event()

    def answer(self, request: dict[str, Any]) -> str | None:
        """The reply, after the release, if ``request`` plays this message (first time)."""
        if self.asked.is_set() or self.message not in json.dumps(request.get("messages", [])):
            return None
        self.asked.set()
        self.released.wait(WAIT_S)
        return self.reply


def test_reload_or_back_mid_turn_return_to_the_turn_and_follow_it(
    serve: Any, new_page: Any
) -> None:
    """Reloaded, or left with Back and come back to with Forward, while the game master is
    still telling a turn: the page opens on the game, shows the turn as still being told
    (nothing can be sent meanwhile), and draws the reply once it is told."""
    from game_master.offline import Reply
    from game_master.testing.stubs import ScriptedStub

    gates = [
        Gate("light the lantern", "The lantern flares, and the fog draws back."),
        Gate("ring the bell", "The bell is silent; only the rain answers."),
    ]

    def script(request: dict[str, Any], n: int) -> Reply:
        for gate in gates:
            reply = gate.answer(request)
            if reply is not None:
                return Reply.text(reply)
        return Reply.text("Rain drums on the cottages.")

    stub = ScriptedStub(script)
    url = stub.start()
    try:
        base = serve(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY="stub-key")
        page, problems = new_page()
        gid = start_game(page, base)
        replies = page.locator("#story .entry-gm:not(.intro)")
        players = page.locator("#story .entry-player .entry-text")
        for gate, leave in zip(gates, ("reload", "back"), strict=True):
            page.fill("#turn-input", gate.message)
            page.press("#turn-input", "Enter")
            assert gate.asked.wait(WAIT_S), "the turn never reached the model"
            if leave == "reload":
                page.reload()
            else:
                page.go_back()
                expect(page.locator("#start-screen")).to_be_visible()
                expect(saved_game(page, "Ada")).to_be_visible()
                page.go_forward()
            expect(page).to_have_url(f"{base}/games/{gid}")
            expect(page.locator("#game-screen")).to_be_visible()
            expect(players.last).to_have_text(gate.message)
            expect(replies.last).to_contain_text("still telling this turn")
            expect(page.locator("#busy-indicator")).to_be_visible()
            expect(page.locator("#send-button")).to_be_disabled()

            gate.released.set()
            expect(replies.last).to_contain_text(gate.reply, timeout=TURN_MS)
            expect(replies.last).not_to_contain_text("still telling")
            expect(page.locator("#busy-indicator")).to_be_hidden(timeout=TURN_MS)
            expect(page.locator("#send-button")).to_be_enabled()
            expect(replies.last.get_by_role("button", name="Retry this reply")).to_be_visible()
        expect(players).to_have_text([gate.message for gate in gates])
        assert problems.items == []
    finally:
        for gate in gates:
            gate.released.set()
        stub.stop()


def test_another_browser_gets_a_not_your_game_page(serve: Any, new_page: Any) -> None:
    """The game's address in another browser: a 404 page that says so, with nothing of the
    game on it; an id that names no game gets the same page."""
    base = serve()
    mine, _ = new_page()
    gid = start_game(mine, base, "Ada")
    play(mine, "take the bread")

    theirs, problems = new_page()
    for address in (f"{base}/games/{gid}", f"{base}/games/{'0' * 32}"):
        answer = theirs.goto(address)
        assert answer is not None and answer.status == 404
        expect(theirs.get_by_role("heading", name="Not your game")).to_be_visible()
        expect(theirs).to_have_title("Not your game · Game Master")
        text = theirs.locator("body").inner_text()
        for secret in ("Ada", "bread", "Millbrook", "Drowned Bell", gid):
            assert secret not in text, f"{secret!r} shows on the page"
        assert theirs.locator("script").count() == 0
    theirs.get_by_role("link", name="Go to your adventures").click()
    expect(theirs.locator("#start-screen")).to_be_visible()
    expect(theirs.locator("#saved-status")).to_contain_text("No adventures yet")
    # The browser logs the two 404 answers itself; that is expected here.
    assert [p for p in problems.items if "404" not in p] == []
