"""``flask --app app gm ...``: analytics, datasets and evals from the command line.

Answers come from Braintrust (BTQL) when BRAINTRUST_API_KEY is set, else from the game
database (``--local`` forces the database). Datasets go to Braintrust or to versioned JSONL
files; evals write a JSON + Markdown report and exit non-zero under ``--min-score``.
"""

from __future__ import annotations

from . import datasets, evals, queries, scenarios  # noqa: F401  # importing registers the commands
from .base import gm, parse_when

__all__ = ["gm", "parse_when"]
