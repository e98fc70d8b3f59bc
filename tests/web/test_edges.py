"""The HTTP edges found by an outside probe: the debug guard in production, oversized headers
and bodies, numbers in queries, deeply nested JSON — each a JSON error, never a 500 or HTML."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from game_master.testing import DEBUG_HEADERS, Gunicorn

# Headers some relays send that no deny-list named (the probe's finds).
UNLISTED_RELAY_HEADERS = [
    {"X-Cluster-Client-IP": "127.0.0.1"},
    {"X-Forwarded": "for=127.0.0.1"},
    {"Fastly-Client-IP": "127.0.0.1"},
    {"X-Envoy-External-Address": "127.0.0.1"},
    {},
]


@pytest.mark.parametrize("headers", UNLISTED_RELAY_HEADERS, ids=lambda h: next(iter(h), "none"))
def test_production_debug_answers_only_the_token_whatever_the_headers(
    make_app: Callable[..., Flask], headers: dict[str, str]
) -> None:
    """GM_ENV=production: a loopback caller without the token is 403 with any headers (or
    none); the token opens it; a bearer with non-ASCII characters is a 403, not a 500."""
    app = make_app(GM_ENV="production", SECRET_KEY="k" * 32, GM_DEBUG_TOKEN="debug-secret")
    client = app.test_client()
    assert client.get("/debug/tracing", headers=headers).status_code == 403
    odd = {**headers, "Authorization": "Bearer dé-bug"}
    assert client.get("/debug/tracing", headers=odd).status_code == 403
    token = {**headers, "Authorization": "Bearer debug-secret"}
    assert client.get("/debug/tracing", headers=token).status_code == 200


def test_development_loopback_still_answers_without_a_token(client: Flask) -> None:
    """The development convenience stays: a direct loopback call without a token is 200."""
    assert client.get("/debug/tracing").status_code == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["²", "¹⁰", "٣", "1e3", "0x10", "1_000", "9" * 40, " ", "-"])
def test_numbers_in_the_turns_query_are_parsed_not_guessed(client: Flask, value: str) -> None:
    """``before``/``limit`` that are not plain ASCII whole numbers are a 400 with the
    contract's JSON (``before=²`` was a 500: isdigit() accepts a superscript two)."""
    gid = client.post("/api/games", json={}).get_json()["id"]  # type: ignore[attr-defined]
    for name in ("before", "limit"):
        resp = client.get(f"/api/games/{gid}/turns", query_string={name: value})  # type: ignore[attr-defined]
        assert resp.status_code == 400, (name, value, resp.status_code)
        assert resp.get_json()["error"]["code"] == "invalid_input"


def test_plain_numbers_in_the_turns_query_still_work(client: Flask) -> None:
    """ " 2 " and "+2" are two; the edge check above must not refuse real numbers."""
    gid = client.post("/api/games", json={}).get_json()["id"]  # type: ignore[attr-defined]
    for value in (" 2 ", "+2", "2"):
        resp = client.get(f"/api/games/{gid}/turns", query_string={"limit": value})  # type: ignore[attr-defined]
        assert resp.status_code == 200, (value, resp.get_data(as_text=True))


def test_json_nested_thousands_deep_is_a_400(client: Flask) -> None:
    """A body of 30,000 nested arrays (under the size limit) is invalid input, not a 500."""
    gid = client.post("/api/games", json={}).get_json()["id"]  # type: ignore[attr-defined]
    nested = "[" * 30_000 + "]" * 30_000
    for path in ("/api/games", f"/api/games/{gid}/turns", f"/api/games/{gid}/rewind"):
        resp = client.post(path, data=nested, content_type="application/json")  # type: ignore[attr-defined]
        assert resp.status_code == 400, (path, resp.status_code)
        assert resp.get_json()["error"]["code"] == "invalid_input"


def test_headers_past_16_kib_are_a_json_431(client: Flask) -> None:
    """Three 6 KiB headers (each under any server's per-line limit) are a 431 in JSON."""
    headers = {f"X-Pad-{i}": "a" * 6000 for i in range(3)}
    resp = client.get("/api/scenarios", headers=headers)  # type: ignore[attr-defined]
    assert resp.status_code == 431
    assert resp.get_json()["error"]["code"] == "request_header_fields_too_large"
    small = {f"X-Pad-{i}": "a" * 4000 for i in range(3)}
    assert client.get("/api/scenarios", headers=small).status_code == 200  # type: ignore[attr-defined]


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    """The app under gunicorn, as deployed."""
    server = Gunicorn(tmp_path / "data").start()
    try:
        yield server
    finally:
        server.stop()


def chunks(size: int) -> Iterator[bytes]:
    """A JSON turn body of about ``size`` bytes, sent chunked (no Content-Length)."""
    yield b'{"message": "'
    yield b"a" * size
    yield b'"}'


def test_under_gunicorn_oversized_headers_and_chunked_bodies_are_json_errors(
    gunicorn: Gunicorn,
) -> None:
    """A 10 kB header (gunicorn's own refusal) is a 431 in JSON; a 1 MB chunked body is a
    413 in JSON (it was a 400: Werkzeug cut the stream at the limit without saying so), while
    a small chunked body plays; and /debug/tracing needs the token there (production)."""
    url = gunicorn.url
    resp = requests.get(f"{url}/api/scenarios", headers={"X-Big": "a" * 10_000}, timeout=10)
    assert resp.status_code == 431
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.json()["error"]["code"] == "request_header_fields_too_large"

    gid = requests.post(f"{url}/api/games", json={}, timeout=30).json()["id"]
    turn = f"{url}/api/games/{gid}/turns"
    big = requests.post(turn, data=chunks(1 << 20), headers=JSON, timeout=30)
    assert big.status_code == 413, big.text
    assert big.json()["error"]["code"] == "request_entity_too_large"
    small = requests.post(turn, data=chunks(20), headers=JSON, timeout=60)
    assert small.status_code == 200, small.text
    assert small.json()["narration"]
    created = requests.post(f"{url}/api/games", data=chunks(1 << 20), headers=JSON, timeout=30)
    assert created.status_code == 413, created.text

    assert requests.get(f"{url}/debug/tracing", timeout=10).status_code == 403
    status = requests.get(f"{url}/debug/tracing", headers=DEBUG_HEADERS, timeout=10)
    assert status.status_code == 200 and json.loads(status.text)["enabled"] is False


JSON = {"Content-Type": "application/json"}
