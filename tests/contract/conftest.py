"""The contract checker: every answer of a test client is validated against the served
OpenAPI document with openapi-core (status, content type, headers, body schema)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import TestResponse

from game_master.openapi import document


class _SentRequest(WerkzeugOpenAPIRequest):
    """The request as the test client sent it; its body was read by the app already
    (and only the response is validated)."""

    @property
    def body(self) -> bytes | None:
        """Not needed to validate a response."""
        return None


class Contract:
    """Validates responses against the OpenAPI document; counts what it checked."""

    def __init__(self, spec: dict[str, Any]) -> None:
        """Load ``spec``; SSE bodies are checked as text (their frames by the web tests)."""
        config = Config(extra_media_type_deserializers={"text/event-stream": _as_text})
        self.openapi = OpenAPI.from_dict(spec, config=config)
        self.checked: list[tuple[str, str, int]] = []

    def check(self, resp: TestResponse) -> TestResponse:
        """Raise when ``resp`` (from a Flask test client) breaks the document; return it."""
        request = resp.request
        self.openapi.validate_response(_SentRequest(request), WerkzeugOpenAPIResponse(resp))
        self.checked.append((request.method, request.path, resp.status_code))
        return resp


def _as_text(data: bytes, **_: Any) -> str:
    """An SSE body as a string."""
    return data.decode("utf-8")


class CheckedClient:
    """A Flask test client whose every answer goes through :meth:`Contract.check`."""

    def __init__(self, client: FlaskClient, contract: Contract) -> None:
        """Wrap ``client``."""
        self.client = client
        self.contract = contract

    def get(self, path: str, **kw: Any) -> TestResponse:
        """GET, checked."""
        return self.contract.check(self.client.get(path, **kw))

    def post(self, path: str, **kw: Any) -> TestResponse:
        """POST, checked."""
        return self.contract.check(self.client.post(path, **kw))


@pytest.fixture
def contract() -> Contract:
    """A checker for the document as the app builds it."""
    return Contract(document())


@pytest.fixture
def api(app: Flask, contract: Contract) -> CheckedClient:
    """A test client (of the shared offline ``app``) whose answers are all checked."""
    return CheckedClient(app.test_client(), contract)
