"""Browser test of "Your adventures": two games listed, continue one, archive one, restore it.

Run: ``python -m pytest -q tests/browser/test_saved_games_page.py`` (Debian's Chromium).
"""

from __future__ import annotations

from typing import Any

import pytest

from .pages import expect, play, saved_game, start_game

pytestmark = pytest.mark.browser


def focused(page: Any) -> str | None:
    """The aria-label (or id) of the focused element."""
    return page.evaluate(
        "() => document.activeElement.getAttribute('aria-label') || document.activeElement.id"
    )


def saved_first(page: Any) -> bool:
    """Whether "Your adventures" comes before the new-game form (above it, or left of it)."""
    saved = page.locator("#saved-games").bounding_box()
    form = page.locator(".start-card").bounding_box()
    return bool(saved["y"] + 1 < form["y"] or saved["x"] + 1 < form["x"])


def test_two_games_listed_continue_one_archive_one(serve: Any, new_page: Any) -> None:
    base = serve()
    page, problems = new_page()
    page.goto(base + "/")
    expect(page.locator("#saved-status")).to_contain_text("No adventures yet")
    expect(page.locator("#saved-list")).to_be_hidden()
    assert not saved_first(page), "an empty list comes before the form"

    start_game(page, base, "Ada", "fighter")
    play(page, "look around")
    # "New game" goes back to the start screen, where the game in progress is listed.
    page.click("#new-game-button")
    expect(saved_game(page, "Ada")).to_contain_text("1 turn")
    start_game(page, base, "Bree", "wizard")

    page.goto(base + "/")
    entries = page.locator("#saved-list .saved-item")
    expect(entries).to_have_count(2)
    assert saved_first(page), "the saved games do not come first"
    expect(entries.nth(0).locator(".saved-name")).to_have_text("Bree")  # newest played first
    expect(entries.nth(1).locator(".saved-name")).to_have_text("Ada")
    bree = saved_game(page, "Bree")
    for text in ("Wizard, level 1", "The Drowned Bell", "0 turns", "In progress"):
        expect(bree).to_contain_text(text)
    expect(bree.locator("time")).to_have_count(1)
    expect(saved_game(page, "Ada")).to_contain_text("1 turn")

    # Continue the first game by keyboard: its story and sheet come back at its own address;
    # playing on brings it to the top of the list.
    ada_id = saved_game(page, "Ada").get_attribute("data-game-id")
    saved_game(page, "Ada").locator(".saved-continue").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#game-screen")).to_be_visible()
    expect(page).to_have_url(f"{base}/games/{ada_id}")
    expect(page.locator("#char-name")).to_have_text("Ada")
    expect(page.locator("#story .entry-player .entry-text")).to_have_text(["look around"])
    play(page, "take the bread")
    page.click("#new-game-button")
    expect(entries.nth(0).locator(".saved-name")).to_have_text("Ada")
    expect(saved_game(page, "Ada")).to_contain_text("2 turns")

    # Archive asks first; Escape keeps the game and gives focus back to its button.
    archived: list[str] = []
    page.on("request", lambda r: archived.append(r.url) if r.url.endswith("/archive") else None)
    bree_id = saved_game(page, "Bree").get_attribute("data-game-id")
    archive = saved_game(page, "Bree").locator(".saved-archive")
    archive.click()
    dialog = page.locator("#archive-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Bree in The Drowned Bell")
    expect(dialog).to_contain_text("Nothing is deleted")
    assert focused(page) == "archive-cancel"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(entries).to_have_count(2)
    assert focused(page) == "Archive Bree in The Drowned Bell"

    # By keyboard again: Enter opens it, Tab reaches Archive, Enter confirms.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page) == "archive-confirm"
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(entries).to_have_count(1)
    expect(entries.nth(0).locator(".saved-name")).to_have_text("Ada")
    assert focused(page) == "Continue Ada in The Drowned Bell"
    page.reload()
    expect(entries).to_have_count(1)
    assert archived == [f"{base}/api/games/{bree_id}/archive"], "only the confirmed archive"

    # Nothing was deleted: the archived game still opens by id, with this browser's cookie.
    kept = page.request.get(f"{base}/api/games/{bree_id}")
    assert kept.status == 200 and kept.json()["character"]["name"] == "Bree"

    # It waits, folded, under "Archived"; Restore (by keyboard) puts it back on the list,
    # and focus follows it there.
    archived = page.locator("#archived")
    expect(archived.locator("summary")).to_have_text("Archived (1)")
    expect(archived.locator(".saved-item")).to_be_hidden()
    archived.locator("summary").click()
    bree = archived.locator(".saved-item")
    expect(bree).to_have_count(1)
    expect(bree).to_contain_text("Bree")
    expect(bree).to_contain_text("archived")
    expect(bree.locator(".saved-continue")).to_have_count(0)  # restore it to play it here
    bree.get_by_role("button", name="Restore Bree in The Drowned Bell").focus()
    page.keyboard.press("Enter")
    expect(entries).to_have_count(2)
    expect(archived).to_be_hidden()
    assert focused(page) == "Continue Bree in The Drowned Bell"
    page.reload()
    expect(entries).to_have_count(2)
    expect(archived).to_be_hidden()

    # Nothing scrolls sideways.
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll: {width}"
    assert problems.items == []


def test_an_archive_asked_again_at_once_is_answered_by_its_own_buttons(
    serve: Any, new_page: Any
) -> None:
    """The question is closed and asked again before the browser delivers the first close
    (a quick keyboard on a busy machine): the confirmation that follows archives the game.
    Reading the answer from the queued close event took the second question for the first
    and dropped the archive (seen once in CI)."""
    base = serve()
    page, problems = new_page()
    page.goto(base + "/")
    start_game(page, base, "Cara", "rogue")
    page.click("#new-game-button")
    entries = page.locator("#saved-list .saved-item")
    expect(entries).to_have_count(1)
    # One task: ask, close without an answer, ask again; the first close event comes after.
    page.evaluate(
        """() => {
            const ask = document.querySelector('#saved-list .saved-archive');
            ask.click();
            document.getElementById('archive-dialog').close();
            ask.click();
        }"""
    )
    expect(page.locator("#archive-dialog")).to_be_visible()
    page.click("#archive-confirm")
    expect(entries).to_have_count(0)
    assert problems.items == []
