"""Braintrust eval of the Game Master over a dataset of logged turns.

Usage::

    braintrust eval evals/eval_game_master.py                 # creates an experiment
    braintrust eval --no-send-logs evals/eval_game_master.py  # runs locally, prints a summary

Settings (environment):
    GM_EVAL_DATASET   dataset name (default ``recent``)
    GM_EVAL_SOURCE    ``auto`` (Braintrust when BRAINTRUST_API_KEY is set), ``jsonl`` or
                      ``braintrust``
    GM_EVAL_MODE      ``stored`` (score the logged answers) or ``replay`` (play them again)
    GM_EVAL_MODEL     model for replays (``offline`` = the offline narrator, the default
                      without ANTHROPIC_API_KEY); GM_EVAL_ENDPOINT an Anthropic-compatible URL
    GM_EVAL_JUDGE     ``0`` leaves out the LLM judge

The app's own settings (GM_DATA_DIR, GM_DATASET_DIR, BRAINTRUST_API_KEY, BRAINTRUST_PROJECT)
are read through ``game_master.settings.Settings``, as the app reads them.
"""

from __future__ import annotations

import os
from typing import Any

from braintrust import Eval

from game_master.analytics import datasets, evals
from game_master.settings import Settings

SETTINGS = Settings.from_env()

DATASET = os.environ.get("GM_EVAL_DATASET", "recent")
MODE = os.environ.get("GM_EVAL_MODE", "stored")
TARGET = evals.Target(
    model=os.environ.get("GM_EVAL_MODEL") or None,
    endpoint=os.environ.get("GM_EVAL_ENDPOINT") or None,
)


def load_records() -> list[dict[str, Any]]:
    """The dataset's records from Braintrust or JSONL."""
    source = os.environ.get("GM_EVAL_SOURCE", "auto")
    if source == "braintrust" or (source == "auto" and SETTINGS.has_braintrust_key):
        return datasets.load_braintrust(SETTINGS.braintrust_project, DATASET)
    return datasets.load_jsonl(SETTINGS.dataset_dir, DATASET)


def build_cases() -> list[evals.EvalCase]:
    """Answers to score: the logged ones, or new ones replayed in order, game by game."""
    records = load_records()
    if MODE == "replay":
        return evals.replay_cases(records, TARGET)
    return evals.stored_cases(records)


CASES = build_cases()

Eval(
    SETTINGS.braintrust_project,
    experiment_name=f"{DATASET}-{MODE}-{TARGET.label if MODE == 'replay' else 'stored'}",
    data=lambda: evals.experiment_data(CASES),  # type: ignore[arg-type, return-value]
    task=evals.answer_task(CASES),
    scores=evals.default_scorers(judge=os.environ.get("GM_EVAL_JUDGE", "1") != "0"),  # type: ignore[arg-type]
    metadata={"dataset": DATASET, "mode": MODE, "target": TARGET.label},
)
