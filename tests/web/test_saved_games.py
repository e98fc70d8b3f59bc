"""Saved games over HTTP: a browser's list of its games and archiving one, through the real
CLI and offline narrator, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from game_master.testing import play

from ..contract.test_scenarios import add_scenario

# What a browser sends with every fetch: the server gives its games to its cookie.
BROWSER = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


@pytest.fixture(params=["sqlite", "postgresql"])
def saved_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An offline app on SQLite or on PostgreSQL."""
    if request.param == "postgresql":
        return make_app(DATABASE_URL=request.getfixturevalue("pg_url"))
    return make_app()


def browser_game(client: FlaskClient, name: str, cls: str = "fighter", **extra: Any) -> str:
    """Start a game as the page does (it belongs to ``client``'s cookie); its id."""
    resp = client.post(
        "/api/games", json={"character": {"name": name, "class": cls}, **extra}, headers=BROWSER
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return str(resp.get_json()["id"])


def saved(client: FlaskClient) -> list[dict[str, Any]]:
    """GET /api/games, asserting 200."""
    resp = client.get("/api/games")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return list(resp.get_json())


def test_the_list_is_this_browsers_games_newest_played_first(saved_app: Flask) -> None:
    """Both games listed with what the start page shows; playing the older one brings it to
    the top; another browser, a client without a cookie and API-made games see none."""
    mine = saved_app.test_client()
    ada = browser_game(mine, "Ada", "fighter")
    bree = browser_game(mine, "Bree", "wizard")
    listed = saved(mine)
    assert [g["id"] for g in listed] == [bree, ada]
    assert listed[1]["character"] == {"name": "Ada", "class": "fighter", "level": 1}
    assert listed[1]["scenario"] == {"id": "drowned_bell", "title": "The Drowned Bell"}
    assert listed[1]["turns"] == 0 and listed[1]["status"] == "active"
    assert listed[0]["last_played"] >= listed[1]["last_played"]

    play(mine, ada, "look around")
    play(mine, ada, "take the bread")
    listed = saved(mine)
    assert [g["id"] for g in listed] == [ada, bree]
    assert [g["turns"] for g in listed] == [2, 0]
    assert listed[0]["last_played"] > listed[1]["last_played"]

    # Turns on the active line: a rewind sets the later turn aside.
    assert mine.post(f"/api/games/{ada}/rewind", json={"to_turn": 1}).status_code == 200
    assert saved(mine)[0]["turns"] == 1

    # An API client's game (no browser headers) has no owner, even sent with the cookie.
    api_made = mine.post("/api/games", json={}).get_json()["id"]
    assert api_made not in [g["id"] for g in saved(mine)]

    theirs = saved_app.test_client()
    assert saved(theirs) == []  # no cookie at all
    cara = browser_game(theirs, "Cara", "rogue")
    assert [g["id"] for g in saved(theirs)] == [cara]
    assert [g["id"] for g in saved(mine)] == [ada, bree]


def test_archive_hides_the_game_and_keeps_all_of_it(saved_app: Flask) -> None:
    """Archived: gone from the list, still readable and playable by id with its turns;
    archiving twice is fine; another browser's or an unknown game is a 404."""
    mine = saved_app.test_client()
    ada = browser_game(mine, "Ada")
    bree = browser_game(mine, "Bree", "cleric")
    play(mine, ada, "look around")
    play(mine, ada, "take the bread")
    before = mine.get(f"/api/games/{ada}").get_json()

    theirs = saved_app.test_client()
    browser_game(theirs, "Cara")
    refused = theirs.post(f"/api/games/{ada}/archive", headers=BROWSER)
    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "game_not_found"
    assert [g["id"] for g in saved(mine)] == [ada, bree]

    resp = mine.post(f"/api/games/{ada}/archive", headers=BROWSER)
    assert resp.status_code == 204 and resp.get_data() == b""
    assert [g["id"] for g in saved(mine)] == [bree]
    assert mine.post(f"/api/games/{ada}/archive", headers=BROWSER).status_code == 204

    after = mine.get(f"/api/games/{ada}")
    assert after.status_code == 200
    assert after.get_json()["turns"] == before["turns"]
    assert "bread" in [i["id"] for i in after.get_json()["inventory"]]
    assert play(mine, ada, "look around")["narration"]
    assert [g["id"] for g in saved(mine)] == [bree]  # playing it does not list it again

    for unknown in ("0123456789abcdef0123456789abcdef", "not-an-id"):
        resp = mine.post(f"/api/games/{unknown}/archive", headers=BROWSER)
        assert resp.status_code == 404
        assert resp.get_json()["error"]["code"] == "game_not_found"


def test_a_game_whose_adventure_was_removed_is_still_listed(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """After its scenario file goes (and a restart), the game is listed with a null title."""
    folder = tmp_path / "adventures"
    folder.mkdir()
    path = add_scenario(folder, "heist", "The Glass Vault")
    first = make_app(GM_SCENARIO_DIR=str(folder)).test_client()
    gid = browser_game(first, "Ada", scenario="heist")
    assert saved(first)[0]["scenario"] == {"id": "heist", "title": "The Glass Vault"}
    path.unlink()
    later = make_app(GM_SCENARIO_DIR=str(folder)).test_client()
    cookie = first.get_cookie("gm_session")
    assert cookie is not None
    later.set_cookie("gm_session", cookie.value)
    [game] = saved(later)
    assert game["id"] == gid and game["scenario"] == {"id": "heist", "title": None}


def test_archived_games_are_listed_apart_and_restored(saved_app: Flask) -> None:
    """?archived=true lists only the archived games, the most recently archived first, with
    when; unarchive puts one back on the list (idempotent); another browser's is a 404."""
    mine = saved_app.test_client()
    ada = browser_game(mine, "Ada")
    bree = browser_game(mine, "Bree", "cleric")
    cara = browser_game(mine, "Cara", "rogue")
    assert saved(mine)[0]["archived_at"] is None

    def archived() -> list[dict[str, Any]]:
        resp = mine.get("/api/games?archived=true")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return list(resp.get_json())

    assert archived() == []
    for gid in (ada, cara):
        assert mine.post(f"/api/games/{gid}/archive", headers=BROWSER).status_code == 204
    assert [g["id"] for g in archived()] == [cara, ada]
    assert all(g["archived_at"] >= g["created_at"] for g in archived())
    assert [g["id"] for g in saved(mine)] == [bree]
    assert mine.get("/api/games?archived=false").get_json() == saved(mine)

    theirs = saved_app.test_client()
    browser_game(theirs, "Dana")
    refused = theirs.post(f"/api/games/{ada}/unarchive", headers=BROWSER)
    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "game_not_found"
    assert theirs.get("/api/games?archived=true").get_json() == []

    resp = mine.post(f"/api/games/{ada}/unarchive", headers=BROWSER)
    assert resp.status_code == 204 and resp.get_data() == b""
    assert mine.post(f"/api/games/{ada}/unarchive", headers=BROWSER).status_code == 204
    assert mine.post(f"/api/games/{bree}/unarchive", headers=BROWSER).status_code == 204
    assert [g["id"] for g in archived()] == [cara]
    assert {g["id"] for g in saved(mine)} == {ada, bree}
    assert saved(mine)[0]["archived_at"] is None
    # A game archived again keeps nothing of the first time: it is listed as archived anew.
    assert mine.post(f"/api/games/{ada}/archive", headers=BROWSER).status_code == 204
    assert [g["id"] for g in archived()] == [ada, cara]

    bad = mine.get("/api/games?archived=yes")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_input"
    assert mine.post(f"/api/games/{'0' * 32}/unarchive", headers=BROWSER).status_code == 404


def test_a_games_page_is_its_owners_alone(saved_app: Flask) -> None:
    """GET /games/<id>: the page for the browser that made the game (archived or not) and for
    an API client's game; another browser, or no game, gets a 404 page without the story."""
    mine = saved_app.test_client()
    ada = browser_game(mine, "Ada")
    play(mine, ada, "take the bread")
    page = mine.get(f"/games/{ada}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert 'data-screen="game"' in page.get_data(as_text=True)
    assert "Content-Security-Policy" in page.headers
    assert mine.post(f"/api/games/{ada}/archive", headers=BROWSER).status_code == 204
    assert mine.get(f"/games/{ada}").status_code == 200

    theirs = saved_app.test_client()
    browser_game(theirs, "Cara")
    api_made = theirs.post("/api/games", json={}).get_json()["id"]
    assert theirs.get(f"/games/{api_made}").status_code == 200
    for gid in (ada, "0123456789abcdef0123456789abcdef"):
        refused = theirs.get(f"/games/{gid}")
        assert refused.status_code == 404 and refused.mimetype == "text/html"
        text = refused.get_data(as_text=True)
        assert "Not your game" in text
        for secret in ("Ada", "bread", "Millbrook", ada):
            assert secret not in text
