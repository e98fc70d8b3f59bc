"""Party play in three browsers (issue 21, "Done when"): a host, a player and a spectator, each
in a browser context of their own, play two rounds at one table over real HTTP.

Both players act, the round resolves, and all three see the same narration stream in; the
spectator has no action box and the server refuses its action; a player who reloads mid-round
finds the table as it was (seats, the round's state, their own sent action). Runs at 1280 and
390 px. Run: ``python -m pytest -q -n0 tests/browser/test_party_page.py``; with
``GM_PARTY_SHOTS=<folder>`` it also saves the three views mid-round to look at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from .pages import (
    TURN_MS,
    act,
    expect,
    join_as_player,
    join_as_spectator,
    make_invite,
    start_game,
    told_rounds,
)

pytestmark = pytest.mark.browser

# Counts the pieces of narration streamed into the story (text-node growth), per page.
WATCH_STREAM = """() => {
    window.__streamed = 0;
    new MutationObserver((records) => {
        for (const r of records) if (r.type === 'characterData') window.__streamed++;
    }).observe(document.getElementById('story'), {subtree: true, characterData: true});
}"""
# An action posted from inside the page (its cookie, its origin): the answer's status.
POST_ACTION = """async (gameId) => (await fetch(`/api/games/${gameId}/actions`, {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({message: 'I grab the bell rope'})})).status"""


def narration_of(page: Any, index: int) -> str:
    """The text of the ``index``-th told round's reply."""
    return str(page.locator("#story .entry-gm:not(.intro) .entry-text").nth(index).inner_text())


def save_views(window: dict[str, int], **pages: Any) -> None:
    """Screenshots of each seat's view into GM_PARTY_SHOTS, when it is set (to look at)."""
    folder = os.environ.get("GM_PARTY_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for who, page in pages.items():
        page.screenshot(path=str(Path(folder) / f"{who}-{window['width']}.png"))


def test_three_browsers_play_two_rounds(serve: Any, new_page: Any, window: Any) -> None:
    base = serve(GM_OFFLINE_FIRST_TOKEN_MS="50", GM_OFFLINE_TOKENS_PER_S="200")
    host, host_problems = new_page()
    player, player_problems = new_page()
    spectator, spectator_problems = new_page()

    # The host starts a game and makes a player invite and a spectator invite.
    gid = start_game(host, base, "Mara", "fighter")
    player_link = make_invite(host, "player")
    spectator_link = make_invite(host, "spectator")
    assert player_link != spectator_link
    # A revoked invite leaves the list, and its link opens nothing but a page saying so.
    revoked_link = make_invite(host, "player")
    host.locator("#invite-list .invite-item").last.get_by_role("button", name="Revoke").click()
    expect(host.locator("#invite-list .invite-item")).to_have_count(2)
    host.click("#invite-close")
    expect(host.locator("#invite-dialog")).to_be_hidden()
    stranger, _ = new_page()  # its one problem is that 404
    assert stranger.goto(revoked_link).status == 404
    expect(stranger.locator("h2")).to_have_text("This invite is closed")

    # The player makes a character as in a solo game; the spectator gives a name.
    assert join_as_player(player, player_link, "Odo", "rogue") == gid
    assert join_as_spectator(spectator, spectator_link, "Sam") == gid

    # Every seat sees the table: three seats, the host's "(host)", nobody's action yet.
    for page in (host, player, spectator):
        seats = page.locator("#seats .seat")
        expect(seats).to_have_count(3)
        expect(seats.filter(has_text="Mara")).to_contain_text("host")
        expect(seats.filter(has_text="Sam")).to_contain_text("spectator")
        # The party's sheets: each character's class, level and hit points.
        expect(seats.filter(has_text="Odo")).to_contain_text(re.compile(r"rogue 1 · HP \d+/\d+"))
        expect(seats.filter(has_text="Mara")).to_contain_text(re.compile(r"fighter 1 · HP"))
    # Each player's side panel shows their own character; a spectator sees the host's.
    for page, name in ((host, "Mara"), (player, "Odo"), (spectator, "Mara")):
        expect(page.locator("#char-name")).to_have_text(name)
    expect(host.locator("#table-panel")).to_be_visible()
    # Only the host invites; a spectator reads and has no action box.
    expect(host.locator("#invite-button")).to_be_visible()
    expect(player.locator("#invite-button")).to_be_hidden()
    expect(spectator.locator("#turn-input")).to_be_hidden()
    expect(spectator.locator("#spectator-note")).to_be_visible()
    # ...and the server refuses a spectator's action all the same.
    assert spectator.evaluate(POST_ACTION, gid) == 403

    for page in (host, player, spectator):
        page.evaluate(WATCH_STREAM)

    # Round 1: the host acts; every seat sees who the round waits for, with its countdown.
    act(host, "I look around the square")
    expect(host.locator("#round-status")).to_contain_text("waiting for Odo")
    expect(player.locator("#round-status")).to_contain_text("waiting for you")
    expect(spectator.locator("#round-status")).to_contain_text("waiting for Odo")
    expect(host.locator("#round-clock")).to_have_text(re.compile(r"\d+:\d\d$"))
    expect(host.locator("#seats .seat").filter(has_text="Mara")).to_contain_text("acted")
    expect(host.locator("#resolve-button")).to_be_visible()
    expect(player.locator("#resolve-button")).to_be_hidden()
    # The host may change the action until the round resolves.
    act(host, "I look around the square for the bell")
    expect(host.locator("#send-button")).to_have_text("Change action")

    # The player's action is the last awaited one: the round resolves at once.
    act(player, "I keep watch by the well", last=True)
    for page in (host, player, spectator):
        expect(told_rounds(page)).to_have_count(1, timeout=TURN_MS)
        expect(page.locator("#story .entry-round")).to_have_count(1)
        round_entry = page.locator("#story .entry-round")
        expect(round_entry).to_contain_text("Mara: I look around the square for the bell")
        expect(round_entry).to_contain_text("Odo: I keep watch by the well")
    # Retry, rewind and lines of play are the host's: the others see none of them.
    expect(host.locator("#story .turn-actions").first).to_be_visible()
    expect(host.locator("#lines-button")).to_be_visible()
    for page in (player, spectator):
        expect(page.locator("#story .turn-actions").first).to_be_hidden()
        expect(page.locator("#lines-button")).to_be_hidden()
    first = narration_of(host, 0)
    assert first.strip()
    assert narration_of(player, 0) == first
    assert narration_of(spectator, 0) == first
    for name, page in (("host", host), ("player", player), ("spectator", spectator)):
        streamed = page.evaluate("window.__streamed")
        assert streamed >= 3, f"the {name} did not see the narration stream in ({streamed})"

    # Round 2: the others see the player typing; the player acts first, then reloads
    # mid-round: the table is restored.
    player.fill("#turn-input", "I climb")
    expect(host.locator("#seats .seat").filter(has_text="Odo")).to_contain_text("typing")
    expect(spectator.locator("#seats .seat").filter(has_text="Odo")).to_contain_text("typing")
    act(player, "I climb the bell tower")
    expect(host.locator("#round-status")).to_contain_text("waiting for you")
    player.reload()
    expect(player.locator("#table-panel")).to_be_visible()
    expect(player.locator("#seats .seat")).to_have_count(3)
    expect(player.locator("#round-status")).to_contain_text("waiting for Mara")
    expect(player.locator("#action-sent")).to_contain_text("I climb the bell tower")
    expect(player.locator("#turn-input")).to_have_value("I climb the bell tower")  # to edit
    expect(player.locator("#story .entry-round")).to_have_count(1)
    assert narration_of(player, 0) == first
    player.evaluate(WATCH_STREAM)
    save_views(window, host=host, player=player, spectator=spectator)

    # The host acts: the round resolves, and all three see the same second telling.
    act(host, "I follow Odo up the stairs", last=True)
    for page in (host, player, spectator):
        expect(told_rounds(page)).to_have_count(2, timeout=TURN_MS)
        expect(page.locator("#story .entry-round").nth(1)).to_contain_text(
            "Odo: I climb the bell tower"
        )
    second = narration_of(host, 1)
    assert second.strip() and second != first
    assert narration_of(player, 1) == second
    assert narration_of(spectator, 1) == second
    assert player.evaluate("window.__streamed") >= 3, "the reloaded player saw no stream"
    # A new round waits; the action box is empty and editable again.
    expect(player.locator("#turn-input")).to_be_enabled()
    expect(player.locator("#action-sent")).to_be_hidden()

    assert host_problems.items == []
    assert player_problems.items == []
    # The spectator's one problem is the refused action it was made to send above.
    assert [p for p in spectator_problems.items if "403" not in p] == []
    assert len(spectator_problems.items) <= 1
