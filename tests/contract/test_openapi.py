"""The OpenAPI document is valid 3.1, served, complete, and true to the API's answers."""

from __future__ import annotations

import pytest
from flask import Flask
from openapi_spec_validator import validate

from game_master.openapi import document

from .conftest import CheckedClient, Contract

SSE = {"Accept": "text/event-stream"}
BROWSER = {"Sec-Fetch-Site": "same-origin"}


def test_the_document_is_valid_openapi_3_1() -> None:
    """openapi-spec-validator accepts it."""
    spec = document()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_api_route_is_documented(app: Flask) -> None:
    """Each Flask route of the blueprint (but the page) has its path and method here."""
    spec = document()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule == "/":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        documented = spec["paths"].get(path)
        assert documented is not None, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented, (method, path)


def test_the_document_is_served(api: CheckedClient) -> None:
    """GET /api/openapi.json answers the same document."""
    resp = api.get("/api/openapi.json")
    assert resp.status_code == 200 and resp.get_json() == document()


def test_a_whole_flow_answers_as_documented(api: CheckedClient, contract: Contract) -> None:
    """Create, play (JSON and SSE), rate, retry, choose, rewind, lines, paging and the
    error bodies: every answer validates against the document."""
    game = api.post("/api/games", json={"character": {"name": "Ada", "class": "fighter"}})
    assert game.status_code == 201
    gid = game.get_json()["id"]
    assert api.get(f"/api/games/{gid}").status_code == 200
    played = api.post(f"/api/games/{gid}/turns", json={"message": "look around"})
    assert played.status_code == 200
    tid = played.get_json()["turn_id"]
    assert api.post(f"/api/games/{gid}/turns/{tid}/feedback", json={"score": 1}).status_code == 204
    retold = api.post(f"/api/games/{gid}/turns/{tid}/retry")
    assert retold.status_code == 200 and retold.get_json()["alternative"]["count"] == 2
    assert api.post(f"/api/games/{gid}/turns/{tid}/choose").status_code == 200
    streamed = api.post(f"/api/games/{gid}/turns", json={"message": "go north"}, headers=SSE)
    assert streamed.status_code == 200 and streamed.mimetype == "text/event-stream"
    assert "event: turn.completed" in streamed.get_data(as_text=True)
    assert api.get(f"/api/games/{gid}").get_json()["turns"][-1]["number"] == 2
    assert api.post(f"/api/games/{gid}/rewind", json={"to_turn": 1}).status_code == 200
    lines = api.get(f"/api/games/{gid}/branches")
    assert lines.status_code == 200 and len(lines.get_json()) == 2
    other = next(b["id"] for b in lines.get_json() if not b["active"])
    assert api.post(f"/api/games/{gid}/branches/{other}/activate").status_code == 200
    page = api.get(f"/api/games/{gid}/turns?limit=1")
    assert page.status_code == 200 and page.get_json()["next_before"] == 2
    mine = api.post("/api/games", json={}, headers=BROWSER).get_json()["id"]
    saved = api.get("/api/games")
    assert saved.status_code == 200 and [g["id"] for g in saved.get_json()] == [mine]
    assert api.post(f"/api/games/{mine}/archive", headers=BROWSER).status_code == 204
    assert api.get("/api/games").get_json() == []
    assert api.get("/healthz").status_code == 200
    assert api.get("/debug/tracing").status_code == 200

    # Error bodies, each the contract's JSON with its documented status.
    errors = [
        (api.post(f"/api/games/{gid}/turns", json={"message": ""}), 400, "invalid_input"),
        (api.get(f"/api/games/{gid}/turns?limit=0"), 400, "invalid_input"),
        (api.get(f"/api/games/{gid}/turns?before={2**64}"), 400, "invalid_input"),
        (api.get("/api/games/0123456789abcdef0123456789abcdef"), 404, "game_not_found"),
        (api.post(f"/api/games/{gid}/turns/{tid}/retry"), 409, "not_latest_turn"),
        (api.post(f"/api/games/{gid}/turns", data="look", content_type="text/plain"), 415, None),
        (api.post(f"/api/games/{gid}/rewind", json={"to_turn": 99}), 400, "invalid_input"),
    ]
    for resp, status, code in errors:
        assert resp.status_code == status, resp.get_json()
        assert code is None or resp.get_json()["error"]["code"] == code
    methods = {(m, s) for m, _, s in contract.checked}
    assert {("POST", 201), ("POST", 204), ("POST", 409), ("POST", 415)} <= methods


@pytest.mark.parametrize("status", [404, 405])
def test_werkzeug_errors_are_contract_json(api: CheckedClient, status: int) -> None:
    """An unknown game path and a wrong method answer the contract's JSON."""
    resp = (
        api.get("/api/games/0123456789abcdef0123456789abcdef")
        if status == 404
        else api.client.put("/api/games")
    )
    assert resp.status_code == status and "error" in resp.get_json()
