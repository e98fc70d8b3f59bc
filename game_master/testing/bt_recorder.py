"""A loopback stand-in for Braintrust's API and app servers that records what the SDK sends.

Point the real ``braintrust`` SDK at it with ``BraintrustRecorder.env()`` (all of
``BRAINTRUST_API_URL``, ``BRAINTRUST_APP_URL`` and the proxy URL are the recorder's base URL).
Endpoints mirror what braintrust 0.47.0 calls:

* login: ``POST /api/apikey/login`` (app; ``/apikey/login`` too) → one org, ``GET /ping``
* registration: ``POST /v1/project``, ``/v1/experiment``, ``/v1/dataset`` (plus ``GET`` by id
  or by name)
* logging: ``GET /version`` (payload-size probe), ``POST /logs3`` with the envelope
  ``{"rows": [...], "api_version": N}``; the overflow path ``POST /logs3/overflow`` → ``PUT``
  to a signed URL here → ``POST /logs3`` with ``{"rows": {"type": "logs3_overflow", ...}}``
* reading back: ``POST /btql``, ``POST|GET /v1/{experiment,dataset,project_logs}/{id}/fetch``,
  ``GET /v1/experiment/{id}/summarize``, ``GET /v1/dataset/{id}/summarize``
* ``POST /api/base_experiment/get_id`` answers 400 ("no base experiment").

Anything else answers 404 JSON and is listed by ``unexpected()``.

Caveat for the "refuse" fault: the SDK's long-lived connection retries a refused connection
10 times with 0.5 s doubling backoff (about 8.5 minutes) inside each of its upload tries, so a
flush against a refusing recorder blocks for minutes unless the test installs a lighter adapter
with ``braintrust.set_http_adapter``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from .bt_logs import LogEndpoints
from .bt_registry import RegistryEndpoints
from .bt_wire import ORG_ID, Answer, RequestRecord

__all__ = ["ORG_ID", "BraintrustRecorder", "RequestRecord"]


class BraintrustRecorder(RegistryEndpoints, LogEndpoints):
    """Loopback fake of Braintrust's API + app servers that records every request and row."""

    def _dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        """Record a request and route it."""
        split = urlsplit(raw_path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        kept = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        with self._cond:
            self._requests.append(RequestRecord(method, path, kept, len(body)))
            self._cond.notify_all()
        for route_method, pattern, name in _ROUTES:
            if route_method != method:
                continue
            match = re.fullmatch(pattern, path)
            if match:
                try:
                    reply: Answer = getattr(self, name)(headers, body, query, *match.groups())
                except (ValueError, KeyError, TypeError) as exc:
                    reply = Answer(400, {"error": f"recorder could not parse request: {exc}"})
                    if name in _UPLOAD_HANDLERS:
                        with self._cond:
                            self.dropped_or_failed += 1
                with self._cond:
                    self._cond.notify_all()
                return reply
        with self._cond:
            self._unknown.append((method, path))
            self._cond.notify_all()
        return Answer(404, {"error": f"braintrust recorder: no endpoint {method} {path}"})


_ID = r"([^/]+)"
_KIND = r"(experiment|dataset|project_logs)"
_ROUTES: list[tuple[str, str, str]] = [
    ("POST", r"/api/apikey/login", "_login"),
    ("POST", r"/apikey/login", "_login"),
    ("GET", r"/ping", "_ping"),
    ("GET", r"/version", "_version"),
    ("POST", r"/v1/project", "_post_project"),
    ("POST", r"/api/project/register", "_register_project"),
    ("GET", r"/v1/project", "_list_projects"),
    ("GET", rf"/v1/project/{_ID}", "_get_project"),
    ("POST", r"/v1/experiment", "_post_experiment"),
    ("GET", r"/v1/experiment", "_list_experiments"),
    ("GET", rf"/v1/experiment/{_ID}", "_get_experiment"),
    ("GET", rf"/v1/experiment/{_ID}/summarize", "_experiment_summary"),
    ("POST", r"/v1/dataset", "_post_dataset"),
    ("GET", r"/v1/dataset", "_list_datasets"),
    ("GET", rf"/v1/dataset/{_ID}", "_get_dataset"),
    ("GET", rf"/v1/dataset/{_ID}/summarize", "_dataset_summary"),
    ("POST", r"/api/base_experiment/get_id", "_base_experiment"),
    ("POST", r"/logs3", "_logs3"),
    ("POST", r"/logs3/overflow", "_logs3_overflow"),
    ("PUT", r"/_upload/overflow/([^/]+)", "_put_overflow"),
    ("POST", rf"/v1/{_KIND}/{_ID}/insert", "_insert"),
    ("POST", rf"/v1/{_KIND}/{_ID}/fetch", "_fetch"),
    ("GET", rf"/v1/{_KIND}/{_ID}/fetch", "_fetch"),
    ("POST", r"/btql", "_btql"),
]
_UPLOAD_HANDLERS = frozenset({"_logs3", "_logs3_overflow", "_insert"})
