"""Evals: score stored answers or replay a dataset through the GameMaster, then report.

Two steps, whatever the mode: (1) produce an answer per record — ``stored`` takes the logged
answer from ``expected``; ``replay`` plays the player messages again in fresh games (one per
original game, its turns in order) on a chosen model or endpoint, the offline narrator by
default; (2) score every answer with the scorers and write a report (JSON + Markdown). With a
Braintrust key, the scored cases are also sent as an experiment through ``braintrust.Eval``
(its scorers return the scores computed here, so the judge is never called twice).
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from ..rules import DEFAULT_SCENARIO
from ..settings import Settings
from .judge import llm_judge
from .scorers import RULE_SCORERS, Scorer

Record = dict[str, Any]
Progress = Callable[[int], None]
OFFLINE_MODELS = ("offline", "offline-narrator")


@dataclass
class EvalCase:
    """One record and the answer being scored."""

    id: str
    input: str
    expected: Any
    metadata: dict[str, Any]
    output: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)


def default_scorers(judge: bool = True) -> list[Scorer]:
    """The rule-based scorers, plus the LLM judge (it skips itself without a key)."""
    return [*RULE_SCORERS, llm_judge] if judge else list(RULE_SCORERS)


# ---------------------------------------------------------------------------- answers


def player_message(record: Record) -> str:
    """A record's player message: its input, or ``input.player_message`` (preference kind)."""
    value = record.get("input")
    if isinstance(value, dict):
        value = value.get("player_message")
    return str(value or "")


def stored_cases(records: Iterable[Record]) -> list[EvalCase]:
    """Cases whose answer is the logged one (``expected``): no model call."""
    cases = []
    for r in records:
        expected: dict[str, Any] = r["expected"] if isinstance(r.get("expected"), dict) else {}
        cases.append(
            EvalCase(
                id=str(r["id"]),
                input=player_message(r),
                expected=r.get("expected"),
                metadata=dict(r.get("metadata") or {}),
                output=expected.get("narration"),
                tool_calls=list(expected.get("tool_calls") or []),
            )
        )
    return cases


def group_by_game(records: Iterable[Record]) -> list[list[Record]]:
    """Records grouped by their original game, each group in turn order (first-seen games)."""
    groups: dict[str, list[Record]] = {}
    for r in records:
        meta = r.get("metadata") or {}
        groups.setdefault(str(meta.get("game_id") or r["id"]), []).append(r)
    return [
        sorted(g, key=lambda r: (r.get("metadata") or {}).get("turn_number") or 0)
        for g in groups.values()
    ]


@dataclass(frozen=True)
class Target:
    """Where replayed turns are answered: a model name and/or an Anthropic-compatible URL."""

    model: str | None = None
    endpoint: str | None = None

    @property
    def offline(self) -> bool:
        """True for the built-in offline narrator."""
        if self.model in OFFLINE_MODELS:
            return True
        return (
            self.model is None
            and self.endpoint is None
            and not Settings.from_env().has_anthropic_credentials
        )

    @property
    def label(self) -> str:
        """A short name for tables and experiment names."""
        if self.offline:
            return "offline-narrator"
        name = self.model or "default"
        return f"{name}@{self.endpoint}" if self.endpoint else name


def replay_settings(target: Target, workdir: Path, base: Settings | None = None) -> Settings:
    """Settings for a scratch GameService playing on ``target`` in ``workdir``.

    Nothing else of the app's settings (its database above all) reaches the replay: only
    the CLI path and turn deadline of ``base`` and the environment's Anthropic credentials.
    """
    overrides: dict[str, Any] = {
        "GM_DATA_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'replay.db'}",
        "GM_OFFLINE_FIRST_TOKEN_MS": "0",
        "GM_OFFLINE_TOKENS_PER_S": "0",
    }
    if base is not None:
        overrides["GM_CLI_PATH"] = base.cli_path
        overrides["GM_TURN_TIMEOUT_S"] = base.turn_timeout_s
    if not target.offline:
        env = Settings.from_env()
        if not (env.has_anthropic_credentials or target.endpoint):
            raise ValueError(
                f"model {target.model!r} needs ANTHROPIC_API_KEY or an --endpoint; "
                "use --model offline for the offline narrator"
            )
        overrides.update(env.anthropic_env())
        if target.endpoint:
            overrides["ANTHROPIC_BASE_URL"] = target.endpoint
            overrides.setdefault("ANTHROPIC_API_KEY", "gateway")
        # No --model: the game's own model (GM_MODEL), else the CLI's default model.
        model = target.model or (base.model if base is not None else env.model)
        if model:
            overrides["GM_MODEL"] = model
    return Settings.load(workdir, environ={}, overrides=overrides)


def replay_cases(
    records: list[Record],
    target: Target,
    *,
    workdir: Path | None = None,
    base_settings: Settings | None = None,
    progress: Progress | None = None,
    turn_timeout_s: float = 180.0,
) -> list[EvalCase]:
    """Play each record's player message again: a fresh game per original game, in order."""
    from ..events import TurnCompleted, TurnError
    from ..service import GameService

    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="gm-replay-")
        workdir = Path(own_tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    settings = replay_settings(target, workdir, base_settings)
    service = GameService(settings, offline=target.offline)
    by_id = {c.id: c for c in stored_cases(records)}
    try:
        for group in group_by_game(records):
            meta = group[0].get("metadata") or {}
            game = service.create_game(
                {
                    "character": meta.get("character") or {"name": "Wren", "class": "rogue"},
                    "scenario": meta.get("scenario") or DEFAULT_SCENARIO,
                }
            )
            for record in group:
                case = by_id[str(record["id"])]
                case.output, case.tool_calls = None, []
                try:
                    handle = service.start_turn(game.id, case.input)
                    for event in handle.events(timeout=turn_timeout_s):
                        if isinstance(event, TurnCompleted):
                            case.output, case.tool_calls = event.narration, event.tool_calls
                        elif isinstance(event, TurnError):
                            case.error = f"{event.code}: {event.message}"
                except Exception as exc:  # one broken turn must not end the eval
                    case.error = f"{type(exc).__name__}: {exc}"
                if progress:
                    progress(1)
    finally:
        service.shutdown(grace_s=5)
        if own_tmp is not None:
            own_tmp.cleanup()
    return [by_id[str(r["id"])] for r in records]


# ---------------------------------------------------------------------------- scoring


def score_cases(
    cases: list[EvalCase], scorers: list[Scorer], progress: Progress | None = None
) -> None:
    """Fill every case's scores (a failed turn scores 0 on every scorer)."""
    for case in cases:
        for scorer in scorers:
            result: dict[str, Any]
            if case.output is None:
                result = {
                    "name": _score_name(scorer),
                    "score": 0.0,
                    "metadata": {"reason": f"no answer: {case.error or 'missing narration'}"},
                }
            else:
                result = scorer(
                    case.input,
                    case.output,
                    case.expected,
                    {**case.metadata, "tool_calls": case.tool_calls},
                )
            case.scores[result["name"]] = result
        if progress:
            progress(1)


def _score_name(scorer: Scorer) -> str:
    """The name a scorer's results carry (its function name)."""
    return str(getattr(scorer, "__name__", "score"))


def means(cases: list[EvalCase]) -> dict[str, float | None]:
    """Mean of each score over the cases where it was not skipped (None: all skipped)."""
    names: dict[str, list[float]] = {}
    for case in cases:
        for name, result in case.scores.items():
            bucket = names.setdefault(name, [])
            if result.get("score") is not None:
                bucket.append(float(result["score"]))
    return {n: (round(sum(v) / len(v), 4) if v else None) for n, v in names.items()}


# ---------------------------------------------------------------------------- report


@dataclass
class EvalReport:
    """An eval's result: per-case scores, means, and where it was sent."""

    name: str
    dataset: str
    mode: str
    target: str
    created: float
    cases: list[EvalCase]
    means: dict[str, float | None]
    experiment: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "dataset": self.dataset,
            "mode": self.mode,
            "target": self.target,
            "created": self.created,
            "means": self.means,
            "experiment": self.experiment,
            "cases": [asdict(c) for c in self.cases],
        }

    def skipped(self) -> dict[str, str]:
        """Scorers skipped on every case, with the reason the first one gave."""
        out = {}
        for name, mean in self.means.items():
            if mean is None:
                first = next(c.scores[name] for c in self.cases if name in c.scores)
                out[name] = str(first.get("metadata", {}).get("skipped", "skipped"))
        return out

    def to_markdown(self, worst: int = 5) -> str:
        """A readable summary: means, skipped scorers, the lowest-scoring cases with reasons."""
        lines = [
            f"# Eval `{self.name}`",
            "",
            f"- dataset: `{self.dataset}` ({len(self.cases)} records), mode: `{self.mode}`, "
            f"target: `{self.target}`",
            f"- errors: {sum(1 for c in self.cases if c.error)}",
        ]
        if self.experiment:
            lines.append(f"- Braintrust experiment: {self.experiment.get('url') or '-'}")
        lines += ["", "| scorer | mean |", "| --- | --- |"]
        for name, mean in self.means.items():
            lines.append(f"| {name} | {'skipped' if mean is None else f'{mean:.3f}'} |")
        for name, reason in self.skipped().items():
            lines.append(f"\n`{name}` skipped: {reason}")
        ranked = sorted(
            self.cases,
            key=lambda c: sum(r["score"] for r in c.scores.values() if r.get("score") is not None),
        )
        lines += ["", f"## Lowest-scoring cases (up to {worst})", ""]
        for case in ranked[:worst]:
            bad = {
                n: r
                for n, r in case.scores.items()
                if r.get("score") is not None and r["score"] < 0.5
            }
            if not bad:
                continue
            lines.append(f"- `{case.id}` — player: {short(case.input)!r}")
            lines.append(f"  - answer: {short(case.output or case.error or '')!r}")
            for n, r in bad.items():
                lines.append(f"  - **{n}** {r['score']:.2f}: {r['metadata'].get('reason', '')}")
        return "\n".join(lines) + "\n"

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write ``<name>.json`` and ``<name>.md`` into ``directory``."""
        return write_report(directory, self.name, self.to_dict(), self.to_markdown())


def write_report(
    directory: Path, name: str, data: dict[str, Any], markdown: str
) -> tuple[Path, Path]:
    """Write an eval report as ``<name>.json`` and ``<name>.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{name}.json"
    md_path = directory / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


def short(text: str, n: int = 120) -> str:
    """One line of at most ``n`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def report_name(dataset: str, mode: str, target: str) -> str:
    """A file-safe report name with a timestamp."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{dataset}-{mode}-{target}-{stamp}")


def evaluate(
    cases: list[EvalCase],
    *,
    dataset: str,
    mode: str,
    target: str,
    scorers: list[Scorer],
    name: str | None = None,
    progress: Progress | None = None,
    braintrust_project: str | None = None,
) -> EvalReport:
    """Score the cases; with ``braintrust_project``, also log them as an experiment."""
    score_cases(cases, scorers, progress)
    report = EvalReport(
        name=name or report_name(dataset, mode, target),
        dataset=dataset,
        mode=mode,
        target=target,
        created=time.time(),
        cases=cases,
        means=means(cases),
    )
    if braintrust_project:
        report.experiment = send_experiment(report, braintrust_project)
    return report


def experiment_data(cases: list[EvalCase]) -> list[dict[str, Any]]:
    """Eval data for ``braintrust.Eval``: the answer's tool calls ride in the metadata."""
    return [
        {
            "input": c.input,
            "expected": c.expected,
            "metadata": {**c.metadata, "record_id": c.id, "tool_calls": c.tool_calls},
        }
        for c in cases
    ]


def answer_task(cases: list[EvalCase]) -> Callable[[Any, Any], Any]:
    """A ``braintrust.Eval`` task returning the answer produced before the eval started."""
    by_id = {c.id: c for c in cases}

    def task(input: Any, hooks: Any) -> Any:
        """The case's narration (None when its turn failed)."""
        return by_id[hooks.metadata["record_id"]].output

    return task


def send_experiment(report: EvalReport, project: str) -> dict[str, Any]:
    """Log a scored report as a Braintrust experiment via ``braintrust.Eval``."""
    import braintrust

    by_id = {c.id: c for c in report.cases}

    def replay_scorer(name: str) -> Scorer:
        """A scorer returning the score already computed for the case."""

        def scorer(input: Any, output: Any, expected: Any = None, **kwargs: Any) -> Any:
            meta = kwargs.get("metadata") or {}
            result = by_id[meta["record_id"]].scores[name]
            return braintrust.Score(
                name=name, score=result.get("score"), metadata=result.get("metadata") or {}
            )

        scorer.__name__ = name
        return scorer

    scores: Any = [replay_scorer(n) for n in report.means]
    result = braintrust.Eval(
        project,
        data=cast(Any, experiment_data(report.cases)),
        task=answer_task(report.cases),
        scores=scores,
        experiment_name=report.name,
        metadata={"dataset": report.dataset, "mode": report.mode, "target": report.target},
    )
    summary = result.summary
    return {
        "name": summary.experiment_name,
        "url": summary.experiment_url,
        "scores": {k: v.score for k, v in (summary.scores or {}).items()},
    }


# ---------------------------------------------------------------------------- gate & compare


def parse_thresholds(values: Iterable[str]) -> dict[str, float]:
    """``--min-score`` values: ``0.8`` (every scorer) or ``name=0.8``; key ``*`` = all."""
    out: dict[str, float] = {}
    for value in values:
        name, _, number = value.rpartition("=")
        try:
            out[name or "*"] = float(number)
        except ValueError as exc:
            raise ValueError(f"bad --min-score {value!r}: use 0.8 or scorer=0.8") from exc
    return out


def gate(report: EvalReport, thresholds: Mapping[str, float]) -> list[str]:
    """Scorers whose mean is below their threshold (skipped scorers never fail the gate)."""
    failures = []
    for name, mean in report.means.items():
        limit = thresholds.get(name, thresholds.get("*"))
        if limit is not None and mean is not None and mean < limit:
            failures.append(f"{name}: mean {mean:.3f} < {limit:.3f}")
    missing = [n for n in thresholds if n != "*" and n not in report.means]
    failures += [f"{n}: no such scorer in this eval" for n in missing]
    return failures


def compare_table(reports: list[EvalReport]) -> str:
    """Scorer means side by side, one column per report's target (Markdown table)."""
    names: list[str] = []
    for r in reports:
        names += [n for n in r.means if n not in names]
    header = "| scorer | " + " | ".join(r.target for r in reports) + " |"
    rule = "| --- |" + " --- |" * len(reports)
    rows = [header, rule]
    for n in names:
        cells = []
        for r in reports:
            mean = r.means.get(n)
            cells.append("skipped" if mean is None else f"{mean:.3f}")
        rows.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
