"""Helpers for the browser tests: Chromium's flags, a page's problems, playing turns."""

from __future__ import annotations

import re
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
# Conditions are waited for, never slept on; on a machine shared by many jobs (load 20+ on
# 2 cores) a page can take longer than Playwright's 5 s to get there. The pages' own
# default (conftest) is the same 10 s.
expect.set_options(timeout=10_000)
# A turn: the CLI, the model stand-in and the store, plus any chapter closing before it.
TURN_MS = 30_000

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Problems:
    """Console errors, page errors and dialogs seen by a page (CSP violations land here)."""

    def __init__(self, page: Any) -> None:
        self.items: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.items.append(f"pageerror: {exc}"))
        page.on("dialog", self._dialog)

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.items.append(f"console: {msg.text}")

    def _dialog(self, dialog: Any) -> None:
        self.items.append(f"dialog: {dialog.message}")
        dialog.dismiss()


GAME_URL = re.compile(r"/games/([0-9a-f]{32})$")


def start_game(page: Any, base: str, name: str = "Ada", cls: str = "fighter") -> str:
    """Open the page, start a new game from the start screen; the game's id (its page's
    address is /games/<id>)."""
    page.goto(base + "/")
    page.fill("#character-name", name)
    page.select_option("#character-class", cls)
    page.click("#start-button")
    expect(page.locator("#game-screen")).to_be_visible()
    expect(page.locator("#story .entry-gm.intro")).to_contain_text("Millbrook")
    expect(page).to_have_url(GAME_URL)
    return game_id(page)


def game_id(page: Any) -> str:
    """The id of the game whose page is open."""
    match = GAME_URL.search(page.url)
    assert match, page.url
    return match.group(1)


def open_sheet(page: Any, phone: bool) -> None:
    """Make the side panel visible: on a phone through the quick bar above the story."""
    if phone:
        page.click("#quick-bar")
    expect(page.locator("#inventory")).to_be_visible()


def close_sheet(page: Any, phone: bool) -> None:
    """Back to the story from the side panel (on a phone; a desktop always shows both)."""
    if phone:
        page.click("#panel-close")
        expect(page.locator("#turn-input")).to_be_visible()


def saved_game(page: Any, name: str) -> Any:
    """The start screen's entry in "Your adventures" for the character ``name``."""
    return page.locator("#saved-list .saved-item").filter(
        has=page.locator(".saved-name", has_text=name)
    )


def play(page: Any, message: str) -> None:
    """Type a message, send it with Enter and wait until the turn is over."""
    page.fill("#turn-input", message)
    page.press("#turn-input", "Enter")
    expect(page.locator("#busy-indicator")).to_be_hidden(timeout=TURN_MS)
    expect(page.locator("#send-button")).to_be_enabled()


def watch_story(page: Any) -> None:
    """Count text-node growth and busy-indicator sightings inside the page."""
    page.evaluate(
        """() => {
            window.__gm = {textChanges: 0, busySeen: false, sendDisabledWhileBusy: true};
            const busy = document.getElementById('busy-indicator');
            const send = document.getElementById('send-button');
            const input = document.getElementById('turn-input');
            new MutationObserver((records) => {
                for (const r of records) if (r.type === 'characterData') window.__gm.textChanges++;
            }).observe(document.getElementById('story'),
                       {subtree: true, characterData: true, childList: true});
            new MutationObserver(() => {
                if (!busy.hidden) {
                    window.__gm.busySeen = true;
                    if (!send.disabled || !input.disabled) {
                        window.__gm.sendDisabledWhileBusy = false;
                    }
                }
            }).observe(busy, {attributes: true});
        }"""
    )


# --------------------------------------------------------------------------- party play


def make_invite(page: Any, role: str) -> str:
    """As the host on a game's page: make a ``role`` invite in the invite dialog; its link."""
    if not page.locator("#invite-dialog").is_visible():
        page.click("#invite-button")
    items = page.locator(f"#invite-list .invite-item[data-role={role}]")
    before = items.count()
    page.click(f"#invite-{role}")
    expect(items).to_have_count(before + 1)
    return str(items.last.locator(".invite-link").input_value())


def join_as_player(page: Any, link: str, name: str, cls: str = "rogue") -> str:
    """Open an invite's link, make a character and take the seat; the game's id."""
    page.goto(link)
    expect(page.locator("#start-heading")).to_have_text("Join the table")
    page.fill("#character-name", name)
    page.select_option("#character-class", cls)
    page.click("#start-button")
    expect(page).to_have_url(GAME_URL)
    expect(page.locator("#table-panel")).to_be_visible()
    return game_id(page)


def join_as_spectator(page: Any, link: str, name: str) -> str:
    """Open a spectator invite's link, give a name and sit down to watch; the game's id."""
    page.goto(link)
    expect(page.locator("#spectate-form")).to_be_visible()
    page.fill("#spectator-name", name)
    page.click("#spectate-button")
    expect(page).to_have_url(GAME_URL)
    expect(page.locator("#table-panel")).to_be_visible()
    return game_id(page)


def act(page: Any, message: str, last: bool = False) -> None:
    """Send this seat's action for the round (Enter in the action box). Unless it is the
    ``last`` awaited one (which resolves the round at once), wait until the page shows it
    as this seat's sent action."""
    page.fill("#turn-input", message)
    page.press("#turn-input", "Enter")
    if not last:
        expect(page.locator("#action-sent")).to_contain_text(message)


def told_rounds(page: Any) -> Any:
    """The game master's replies of resolved rounds (not the intro, not one still streaming)."""
    return page.locator("#story .entry-gm:not(.intro):not(.streaming)")
