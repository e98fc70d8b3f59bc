"""Datasets (JSONL and Braintrust), offline evals with reports, the CI gate, comparisons."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from game_master import create_app
from game_master.analytics import datasets, evals
from game_master.testing import REPO, BraintrustRecorder, base_config

from .test_analytics import played  # noqa: F401  (module-scoped fixture: two offline games)

Played = tuple[Path, list[str]]


@pytest.fixture
def gm_app(played: Played) -> Any:  # noqa: F811
    """An offline app on the played data dir."""
    app = create_app(base_config(played[0]))
    yield app
    app.extensions["game_master"].shutdown(grace_s=5)


@pytest.fixture
def terse_app(played: Played, tmp_path: Path) -> Any:  # noqa: F811
    """An offline app on a copy of the played games plus one stored turn whose narration is
    too short for the house range ("You wait."): the offline narrator's wording varies with
    the Claude session, so whether a natural reply falls short is luck, and the tests that
    need one must not depend on it."""
    data = tmp_path / "data"
    shutil.copytree(played[0], data)
    app = create_app(base_config(data))
    store = app.extensions["game_master"].store
    turn = store.begin_turn(played[1][0], "wait", lease_owner="test", lease_seconds=5)
    store.finish_turn(turn.id, status="completed", narration="You wait.", tool_calls=[])
    yield app
    app.extensions["game_master"].shutdown(grace_s=5)


def gm(app: Flask, *args: str) -> Any:
    """Invoke ``flask gm ARGS`` through click's runner."""
    return app.test_cli_runner().invoke(args=["gm", *args])


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of one JSONL file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_jsonl_builder_versions_without_duplicates(gm_app: Flask, tmp_path: Path) -> None:
    """Re-running adds nothing; a wider run writes v2 holding the union, ids unique."""
    d = str(tmp_path / "ds")
    first = gm(gm_app, "dataset", "build", "recent", "--limit", "3", "--dir", d)
    assert first.exit_code == 0, first.output
    assert "3 new" in first.output and "version 1" in first.output
    again = gm(gm_app, "dataset", "build", "recent", "--limit", "3", "--dir", d)
    assert "0 new, 0 updated" in again.output and "version 1" in again.output
    wider = gm(gm_app, "dataset", "build", "recent", "--dir", d)
    assert "9 records (6 new, 0 updated)" in wider.output and "version 2" in wider.output
    assert datasets.versions(Path(d), "recent") == [1, 2]
    v2 = read_jsonl(Path(d) / "recent.v2.jsonl")
    assert len({r["id"] for r in v2}) == len(v2) == 9
    assert {r["id"] for r in read_jsonl(Path(d) / "recent.v1.jsonl")} < {r["id"] for r in v2}
    rec = v2[0]
    assert set(rec) == {"id", "input", "expected", "metadata", "tags"}
    assert rec["metadata"]["turn_id"] == rec["id"] and rec["expected"]["tool_calls"]


def test_criteria_and_multi_tool_builders(terse_app: Flask, tmp_path: Path) -> None:
    """Tool used, score range and the multi-tool kind select the right turns."""
    gm_app = terse_app
    d = str(tmp_path / "ds")
    gm(gm_app, "dataset", "build", "takes", "--kind", "criteria", "--tool", "take_item", "--dir", d)
    takes = datasets.load_jsonl(Path(d), "takes")
    assert takes and all("take_item" in r["metadata"]["tools"] for r in takes)
    gm(
        gm_app,
        "dataset",
        "build",
        "short",
        "--kind",
        "criteria",
        "--score",
        "narration_length",
        "--max-score",
        "0.4",
        "--dir",
        d,
    )
    short = datasets.load_jsonl(Path(d), "short")
    assert "You wait." in [r["expected"]["narration"] for r in short]
    assert all(len(r["expected"]["narration"]) < 80 for r in short)
    gm(
        gm_app,
        "dataset",
        "build",
        "rated",
        "--kind",
        "criteria",
        "--score",
        "player_rating",
        "--max-score",
        "0.5",
        "--dir",
        d,
    )
    assert {r["input"] for r in datasets.load_jsonl(Path(d), "rated")} == {
        "take the bread",
        "take the lantern",
    }
    multi = gm(gm_app, "dataset", "build", "multi", "--kind", "multi-tool", "--dir", d)
    assert multi.exit_code == 0, multi.output
    records = datasets.load_jsonl(Path(d), "multi")
    assert [r["input"] for r in records] == ["ask mara about the ghost"]  # ask, then lore
    assert records[0]["tags"] == ["multi-tool"]
    bad = gm(gm_app, "dataset", "build", "../evil", "--dir", d)
    assert bad.exit_code != 0 and "invalid dataset name" in bad.output


def run_flask(
    rec: BraintrustRecorder, data_dir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """``flask --app app gm ARGS`` in a fresh interpreter pointed at the recorder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BRAINTRUST_", "ANTHROPIC_", "GM_"))
    }
    env.update(rec.env(), GM_DATA_DIR=str(data_dir), BRAINTRUST_PROJECT="gm-test")
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "gm", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_braintrust_dataset_and_experiment_via_recorder(played: Played, tmp_path: Path) -> None:  # noqa: F811
    """Building twice upserts the same ids; an eval from that dataset creates an experiment."""
    with BraintrustRecorder() as rec:
        for _ in range(2):
            proc = run_flask(rec, played[0], "dataset", "build", "bt-recent", "--to", "braintrust")
            assert proc.returncode == 0, proc.stderr
            assert "9 records" in proc.stdout and "braintrust:gm-test/bt-recent" in proc.stdout
        ds_id = "ds-gm-test-bt-recent"
        assert rec.datasets()[ds_id]["name"] == "bt-recent"
        inserted = [r for r in rec.rows() if r.get("dataset_id") == ds_id]
        merged = [r for r in rec.spans().values() if r.get("dataset_id") == ds_id]
        assert len(inserted) == 18 and len(merged) == 9  # two runs, nine distinct records
        assert {r["id"] for r in merged} == {r["metadata"]["turn_id"] for r in merged}

        out = tmp_path / "reports"
        proc = run_flask(
            rec,
            played[0],
            "eval",
            "--dataset",
            "bt-recent",
            "--from",
            "braintrust",
            "--no-judge",
            "--out",
            str(out),
        )
        assert proc.returncode == 0, proc.stderr
        assert "experiment:" in proc.stdout
        [experiment] = rec.experiments().values()
        assert experiment["name"].startswith("bt-recent-stored-stored-")
        rows = [r for r in rec.spans().values() if r.get("experiment_id") == experiment["id"]]
        evals_rows = [r for r in rows if (r.get("span_attributes") or {}).get("type") == "eval"]
        assert len(evals_rows) == 9
        score_rows = [r for r in rows if (r.get("span_attributes") or {}).get("type") == "score"]
        assert len(score_rows) == 9 * 5  # each case, each rule scorer, on its own score span
        names = {name for r in score_rows for name in r["scores"]}
        assert names == {
            "narration_length",
            "voice",
            "dice_honesty",
            "state_honesty",
            "uses_tools_for_state_changes",
        }
        assert len(list(out.glob("*.md"))) == 1


def test_offline_replay_eval_writes_json_and_markdown(gm_app: Flask, tmp_path: Path) -> None:
    """Replaying real turns on the offline narrator scores them and writes both reports."""
    d, out = str(tmp_path / "ds"), tmp_path / "reports"
    gm(gm_app, "dataset", "build", "recent", "--dir", d)
    result = gm(
        gm_app,
        "eval",
        "--dataset",
        "recent",
        "--dir",
        d,
        "--mode",
        "replay",
        "--model",
        "offline",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    [json_path] = out.glob("*.json")
    [md_path] = out.glob("*.md")
    report = json.loads(json_path.read_text())
    assert report["mode"] == "replay" and report["target"] == "offline-narrator"
    assert len(report["cases"]) == 9 and not any(c["error"] for c in report["cases"])
    assert all(c["output"] and c["scores"] for c in report["cases"])
    # The replay is a fresh game per original game: Wren's "take the lantern" works again.
    lantern = next(c for c in report["cases"] if c["input"] == "take the lantern")
    assert lantern["tool_calls"][0]["result"]["taken"] == "lantern"
    assert report["means"]["llm_judge"] is None
    assert set(report["means"]) == {
        "narration_length",
        "voice",
        "dice_honesty",
        "state_honesty",
        "uses_tools_for_state_changes",
        "llm_judge",
    }
    md = md_path.read_text()
    assert "| scorer | mean |" in md and "`llm_judge` skipped: no Anthropic credentials" in md
    print(md)


def test_gate_fails_below_threshold(terse_app: Flask, tmp_path: Path) -> None:
    """--min-score: exit 1 when a scorer's mean is below it, 0 when all pass."""
    gm_app = terse_app
    d, out = str(tmp_path / "ds"), str(tmp_path / "reports")
    gm(gm_app, "dataset", "build", "recent", "--dir", d)
    failing = gm(
        gm_app,
        "eval",
        "--dataset",
        "recent",
        "--dir",
        d,
        "--out",
        out,
        "--no-judge",
        "--min-score",
        "narration_length=0.99",
    )
    assert failing.exit_code == 1
    assert "GATE FAILED [stored] narration_length: mean" in failing.output
    passing = gm(
        gm_app,
        "eval",
        "--dataset",
        "recent",
        "--dir",
        d,
        "--out",
        out,
        "--no-judge",
        "--min-score",
        "0.5",
    )
    assert passing.exit_code == 0, passing.output
    unknown = gm(
        gm_app,
        "eval",
        "--dataset",
        "recent",
        "--dir",
        d,
        "--out",
        out,
        "--no-judge",
        "--min-score",
        "nonsense=0.5",
    )
    assert unknown.exit_code == 1 and "no such scorer" in unknown.output
    missing = gm(gm_app, "eval", "--dataset", "nope", "--dir", d)
    assert missing.exit_code == 1 and "no dataset 'nope'" in missing.output


def test_compare_prints_means_side_by_side(gm_app: Flask, tmp_path: Path) -> None:
    """gm compare: one column per answer source, one row per scorer."""
    d = str(tmp_path / "ds")
    gm(gm_app, "dataset", "build", "multi", "--kind", "multi-tool", "--dir", d)
    result = gm(
        gm_app,
        "compare",
        "--dataset",
        "multi",
        "--dir",
        d,
        "--stored",
        "--model",
        "offline",
        "--no-judge",
        "--out",
        str(tmp_path / "r"),
    )
    assert result.exit_code == 0, result.output
    assert "| scorer | stored | offline-narrator |" in result.output
    assert "| dice_honesty | 1.000 | 1.000 |" in result.output


def test_grouping_thresholds_and_skipped_scores() -> None:
    """Records group by game in turn order; a skipped scorer never fails the gate."""
    recs = [
        {"id": "b2", "metadata": {"game_id": "b", "turn_number": 2}},
        {"id": "a1", "metadata": {"game_id": "a", "turn_number": 1}},
        {"id": "b1", "metadata": {"game_id": "b", "turn_number": 1}},
    ]
    assert [[r["id"] for r in g] for g in evals.group_by_game(recs)] == [["b1", "b2"], ["a1"]]
    assert evals.parse_thresholds(["0.7", "voice=0.9"]) == {"*": 0.7, "voice": 0.9}
    with pytest.raises(ValueError):
        evals.parse_thresholds(["voice=high"])
    case = evals.EvalCase("c", "look", None, {}, output="You look.", tool_calls=[])
    report = evals.evaluate(
        [case], dataset="d", mode="stored", target="stored", scorers=evals.default_scorers()
    )
    assert report.means["llm_judge"] is None
    assert evals.gate(report, {"llm_judge": 0.9}) == []
    assert evals.gate(report, {"narration_length": 0.5}) == ["narration_length: mean 0.000 < 0.500"]
