"""The Braintrust recorder, driven by the real SDK in a subprocess (the SDK keeps global state)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from game_master.testing import ORG_ID, BraintrustRecorder

# Logs a root span with a child, rates the root, updates it through an exported handle.
# argv[1]: "flush" (explicit flushes) or "atexit" (leave every row to the SDK's atexit flush).
TRACE_SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    import braintrust

    explicit = sys.argv[1] == "flush"
    logger = braintrust.init_logger(project="rec-test")
    with logger.start_span(name="root") as root:
        root.log(input={"q": 1})
        with root.start_span(name="child") as child:
            child.log(output="kid")
        exported = root.export()
    if explicit:
        logger.flush()  # the trace lands before the rating, as in the app
    logger.log_feedback(id=root.id, scores={"player_rating": 1}, comment="nice")
    braintrust.update_span(exported, output={"x": 1})
    if explicit:
        logger.flush()
    print(json.dumps({"root_id": root.id, "root_span": root.span_id,
                      "child_span": child.span_id, "trace": root.root_span_id}))
    """
)

# A dataset, read back, then an Eval over it: the endpoints an eval feature would use.
EVAL_SCRIPT = textwrap.dedent(
    """
    import json

    import braintrust

    ds = braintrust.init_dataset(project="rec-eval", name="cases")
    ds.insert(input={"q": "a"}, expected="A", id="case-1")
    ds.insert(input={"q": "b"}, expected="C", id="case-2")
    ds.flush()
    fetched = sorted(r["id"] for r in braintrust.init_dataset(project="rec-eval", name="cases"))

    def exact(input, output, expected):
        return 1.0 if output == expected else 0.0

    result = braintrust.Eval(
        "rec-eval",
        data=lambda: braintrust.init_dataset(project="rec-eval", name="cases"),
        task=lambda inp: inp["q"].upper(),
        scores=[exact],
        experiment_name="exp1",
    )
    print(json.dumps({"fetched": fetched, "exact": result.summary.scores["exact"].score}))
    """
)


def run_sdk(
    rec: BraintrustRecorder,
    tmp_path: Path,
    script: str,
    *args: str,
    timeout: float = 30,
    **env: str,
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``script`` in a fresh interpreter pointed at the recorder; (result, seconds)."""
    path = tmp_path / "sdk_script.py"
    path.write_text(script)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("BRAINTRUST_")}
    child_env.update(rec.env(), **env)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(path), *args],
        env=child_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc, time.monotonic() - started


def last_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON object the script printed last."""
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.fixture
def rec() -> Any:
    """A running recorder."""
    with BraintrustRecorder() as recorder:
        yield recorder


def assert_trace_recorded(rec: BraintrustRecorder, ids: dict[str, Any]) -> None:
    """Login, registration, both spans linked, the update merged, the rating and comment."""
    assert rec.logins == 1
    assert ("POST", "/api/apikey/login") in [(r.method, r.path) for r in rec.requests]
    assert rec.paths("POST").count("/v1/project") == 1
    assert rec.projects()["rec-test"]["id"] == "proj-rec-test"
    assert rec.unexpected() == []
    assert all(not any(k.lower() == "authorization" for k in r.headers) for r in rec.requests)

    spans = rec.spans()
    root, child = spans[ids["root_span"]], spans[ids["child_span"]]
    assert root["id"] == ids["root_id"]
    assert root["span_attributes"]["name"] == "root"
    assert child["span_attributes"]["name"] == "child"
    assert not root["span_parents"]
    assert child["span_parents"] == [ids["root_span"]]
    assert root["root_span_id"] == child["root_span_id"] == ids["trace"]
    assert root["input"] == {"q": 1}
    assert root["output"] == {"x": 1}  # update_span merged over the span's row
    assert root["scores"] == {"player_rating": 1}
    assert child["output"] == "kid"
    for row in rec.rows():
        assert (row["project_id"], row["log_id"]) == ("proj-rec-test", "g")

    feedback = rec.feedback()
    scores = [f for f in feedback if f.get("scores")]
    assert [(f["id"], f["scores"], f["_audit_source"]) for f in scores] == [
        (ids["root_id"], {"player_rating": 1}, "external")
    ]
    comments = [f for f in feedback if "comment" in f]
    assert [(c["comment"], c["origin"]) for c in comments] == [
        ({"text": "nice"}, {"id": ids["root_id"]})
    ]


def test_sdk_trace_feedback_and_update_reach_the_recorder(
    rec: BraintrustRecorder, tmp_path: Path
) -> None:
    """Explicit flushes: login, /v1/project, /version probe, then plain /logs3 envelopes."""
    proc, _ = run_sdk(rec, tmp_path, TRACE_SCRIPT, "flush")
    assert_trace_recorded(rec, last_json(proc))
    assert rec.paths()[:3] == ["/api/apikey/login", "/v1/project", "/version"]
    uploads = rec.uploads()
    assert len(uploads) >= 2  # one per flush at least
    assert {(u["api_version"], u["encoding"], u["overflow"]) for u in uploads} == {(2, None, None)}
    # Rating and update arrive as `_is_merge` rows for the root's row id (the SDK merges
    # same-id rows within one batch client-side, so how many depends on batching).
    merge_rows = [r for r in rec.rows() if r.get("_is_merge")]
    assert merge_rows and {r["id"] for r in merge_rows} == {last_json(proc)["root_id"]}


def test_atexit_flush_delivers_every_row(rec: BraintrustRecorder, tmp_path: Path) -> None:
    """No explicit flush: the SDK's background thread and atexit hook still send everything."""
    proc, _ = run_sdk(rec, tmp_path, TRACE_SCRIPT, "atexit")
    assert_trace_recorded(rec, last_json(proc))


def test_failing_uploads_are_retried_then_dropped(rec: BraintrustRecorder, tmp_path: Path) -> None:
    """Every upload answered 500: the process still exits 0 quickly; each batch tried twice."""
    rec.set_fault("status", status=500)
    # BRAINTRUST_NUM_RETRIES=1 → 2 tries per batch, 1 s sleep between (default 2 → 3 tries,
    # 1 s + 2 s of sleep). HTTP status errors are not retried by the connection adapter.
    proc, elapsed = run_sdk(rec, tmp_path, TRACE_SCRIPT, "atexit", BRAINTRUST_NUM_RETRIES="1")
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 10
    assert "Dropping batch" in proc.stderr
    assert rec.rows() == []
    assert rec.upload_attempts >= 2
    assert rec.dropped_or_failed == rec.upload_attempts
    assert rec.dropped_or_failed % 2 == 0


def test_eval_endpoints(rec: BraintrustRecorder, tmp_path: Path) -> None:
    """Datasets and experiments register, insert, fetch back and summarize."""
    result = last_json(run_sdk(rec, tmp_path, EVAL_SCRIPT)[0])
    assert result == {"fetched": ["case-1", "case-2"], "exact": 0.5}
    assert list(rec.datasets()) == ["ds-rec-eval-cases"]
    [experiment] = rec.experiments().values()
    assert (experiment["name"], experiment["project_id"]) == ("exp1", "proj-rec-eval")
    assert "/v1/experiment/exp-rec-eval-exp1/summarize" in rec.paths("GET")
    assert rec.unexpected() == []


def _call(url: str, data: bytes | None = None, **headers: str) -> tuple[int, Any]:
    """(status, JSON body) of one request, HTTP errors included."""
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def test_recorder_mechanics(rec: BraintrustRecorder) -> None:
    """gzip envelopes, unknown paths, faults with a budget, refuse/restore, clear."""
    envelope = {"rows": [{"id": "a", "span_id": "s", "output": 1}], "api_version": 2}
    body = gzip.compress(json.dumps(envelope).encode())
    assert _call(rec.url + "/logs3", body, **{"Content-Encoding": "gzip"})[0] == 200
    assert rec.rows() == envelope["rows"]
    merge = {"rows": [{"id": "a", "_is_merge": True, "metadata": {"k": 1}}], "api_version": 2}
    assert _call(rec.url + "/logs3", json.dumps(merge).encode())[0] == 200
    assert rec.spans() == {"s": {"id": "a", "span_id": "s", "output": 1, "metadata": {"k": 1}}}

    status, answer = _call(rec.url + "/nope")
    assert status == 404 and "nope" in answer["error"]
    assert rec.unexpected() == [("GET", "/nope")]
    assert _call(rec.url + "/api/apikey/login", b"")[1]["org_info"][0]["id"] == ORG_ID

    rec.set_fault("status", status=401, times=1)
    assert _call(rec.url + "/logs3", json.dumps(envelope).encode())[0] == 401
    assert _call(rec.url + "/logs3", json.dumps(envelope).encode())[0] == 200
    assert rec.dropped_or_failed == 1 and rec.mode is None
    rec.mode = "status"  # assigning the attribute works too (defaults: HTTP 500, no budget)
    assert _call(rec.url + "/logs3", json.dumps(envelope).encode())[0] == 500
    rec.mode = None
    rec.set_fault("slow", seconds=0.3, times=1)
    started = time.monotonic()
    assert _call(rec.url + "/logs3", json.dumps(envelope).encode())[0] == 200
    assert time.monotonic() - started >= 0.3 and rec.mode is None

    url = rec.url
    rec.set_fault("refuse")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/version", timeout=2)
    assert rec.restore() == url
    assert _call(url + "/version")[1]["logs3_payload_max_bytes"] > 0

    rec.clear()
    assert rec.rows() == [] and rec.requests == [] and rec.logins == 0
    assert rec.wait_for(lambda: rec.requests, timeout=0.1) is False
