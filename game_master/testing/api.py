"""Short-hands for driving the game's HTTP API through Flask's test client."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def new_game(
    client: FlaskClient, name: str = "Ada", cls: str = "fighter", scenario: str | None = None
) -> str:
    """Create a game through the API (in ``scenario``, else the default) and return its id."""
    body: dict[str, Any] = {"character": {"name": name, "class": cls}}
    if scenario is not None:
        body["scenario"] = scenario
    resp = client.post("/api/games", json=body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return str(resp.get_json()["id"])


def play(client: FlaskClient, game_id: str, message: str) -> dict[str, Any]:
    """Play one turn in JSON mode and return the answer (asserting success)."""
    resp = client.post(f"/api/games/{game_id}/turns", json={"message": message})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return dict(resp.get_json())
