"""Head-to-head evals: replay a dataset on two targets; a pairwise judge picks the better telling.

Each case's two answers (target A's and target B's) go to Claude side by side, in a random
order per case so the judge's position bias cannot favour one target. The result is the win
rate of A over B (ties count half) with a 95 % Wilson score interval.

Why not autoevals' ``Battle``: it calls an OpenAI-style ``chat/completions`` endpoint with
function calling through the ``openai`` client. Our judges must work wherever the game's model
works — ``ANTHROPIC_BASE_URL`` gateways and stubs that speak only the Messages API, and
``ANTHROPIC_AUTH_TOKEN`` bearer auth — so the same comparison prompt goes through the Messages
call :mod:`.judge` already makes (and no ``autoevals``/``openai`` dependency is added).

Without credentials or a judge model the judge is skipped, and a skipped judge yields no win
rate at all (never a pass, never a win). A judge that errors raises :class:`JudgeError`.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..settings import Settings
from .evals import EvalCase, Record, player_message, report_name, short, write_report
from .judge import JudgeError, ask_claude, judge_model

Progress = Callable[[int], None]
Z95 = 1.959963984540054  # the standard normal quantile for a two-sided 95 % interval
WINNERS = ("A", "B", "tie")

PROMPT = """You are comparing two replies by an AI game master to the same turn of a solo
tabletop role-playing game. Both replies answer the same player message in the same situation.

Situation before the turn:
<situation>{situation}</situation>

Player's message:
<message>{message}</message>

<reply_1>{first}</reply_1>

<reply_2>{second}</reply_2>

Which reply is the better telling? Prefer the one that is fair (follows the situation and the
rules, invents no outcome or item, respects the player's choice), vivid (concrete, sensory,
second person) and coherent (answers what the player did). Ignore the order the replies are
shown in and do not prefer a reply for being longer. Answer "tie" only if neither is better.

Answer with JSON only: {{"winner": "1" or "2" or "tie", "reason": "..."}}"""


@dataclass
class PairCase:
    """One situation, the two targets' answers, and the judge's verdict."""

    id: str
    situation: str
    message: str
    output_a: str | None
    output_b: str | None
    error_a: str | None = None
    error_b: str | None = None
    a_first: bool | None = None  # whether A's answer was shown as reply 1
    winner: str | None = None  # "A", "B", "tie"; None: not judged (neither answered)
    reason: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def situation_of(record: Record) -> str:
    """The situation text of a record (preference records carry one; others: none)."""
    value = record.get("input")
    if isinstance(value, dict):
        return str(value.get("situation") or "")
    return ""


def pair_cases(records: list[Record], a: list[EvalCase], b: list[EvalCase]) -> list[PairCase]:
    """Join records with the two targets' replayed answers (all three in the same order)."""
    pairs = []
    for record, ca, cb in zip(records, a, b, strict=True):
        pairs.append(
            PairCase(
                id=str(record["id"]),
                situation=situation_of(record),
                message=player_message(record),
                output_a=ca.output,
                output_b=cb.output,
                error_a=ca.error,
                error_b=cb.error,
                metadata=dict(record.get("metadata") or {}),
            )
        )
    return pairs


def parse_verdict(text: str) -> tuple[str, str]:
    """("1" | "2" | "tie", reason) from the judge's JSON; ValueError when there is none."""
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise ValueError("no JSON object in the judge's answer")
    data = json.loads(match.group(0))
    if not isinstance(data, dict):
        raise ValueError("the judge's answer is not a JSON object")
    winner = str(data.get("winner", "")).strip().lower()
    if winner not in ("1", "2", "tie"):
        raise ValueError(f"judge gave no winner 1, 2 or tie (got {data.get('winner')!r})")
    return winner, str(data.get("reason", ""))[:500]


def judge_pair(settings: Settings, case: PairCase, a_first: bool) -> tuple[str, str]:
    """Ask Claude which telling is better; ("A" | "B" | "tie", reason) or JudgeError."""
    first, second = (case.output_a, case.output_b) if a_first else (case.output_b, case.output_a)
    prompt = PROMPT.format(
        situation=case.situation or "(not recorded)",
        message=case.message,
        first=first,
        second=second,
    )
    text = ask_claude(settings, prompt)
    try:
        shown, reason = parse_verdict(text)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        raise JudgeError(f"the judge's answer could not be read: {exc}: {text[:200]!r}") from exc
    if shown == "tie":
        return "tie", reason
    # Map the position the judge picked back to the target shown there.
    picked_first = shown == "1"
    return ("A" if picked_first == a_first else "B"), reason


def judge_cases(
    cases: list[PairCase],
    settings: Settings,
    rng: random.Random,
    progress: Progress | None = None,
) -> None:
    """Fill every case's verdict; a target that gave no answer loses without a judge call.

    Raises JudgeError on the first judge failure (it must never pass as a result).
    """
    for case in cases:
        if case.output_a is None and case.output_b is None:
            case.reason = f"neither target answered (A: {case.error_a}; B: {case.error_b})"
        elif case.output_a is None:
            case.winner, case.reason = "B", f"A gave no answer: {case.error_a}"
        elif case.output_b is None:
            case.winner, case.reason = "A", f"B gave no answer: {case.error_b}"
        else:
            case.a_first = rng.random() < 0.5
            case.winner, case.reason = judge_pair(settings, case, case.a_first)
        if progress:
            progress(1)


# ---------------------------------------------------------------------------- statistics


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``successes / n`` (ties may count as 0.5)."""
    if n <= 0:
        raise ValueError("a proportion of no trials has no interval")
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Tally:
    """Verdicts counted from A's side."""

    wins: int
    losses: int
    ties: int

    @property
    def n(self) -> int:
        """Judged cases (cases neither target answered are not counted)."""
        return self.wins + self.losses + self.ties

    @property
    def points(self) -> float:
        """A's points: a win is 1, a tie half."""
        return self.wins + 0.5 * self.ties

    @property
    def win_rate(self) -> float | None:
        """A's win rate over B (ties count half); None without a judged case."""
        return self.points / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95 % Wilson score interval of the win rate; None without a judged case."""
        return wilson_interval(self.points, self.n) if self.n else None


def count_verdicts(cases: list[PairCase]) -> Tally:
    """Count A's wins, losses and ties."""
    winners = [c.winner for c in cases]
    return Tally(winners.count("A"), winners.count("B"), winners.count("tie"))


# ---------------------------------------------------------------------------- report


@dataclass
class PairwiseReport:
    """A head-to-head eval: per-case verdicts, the tally, or why the judge was skipped."""

    name: str
    dataset: str
    target_a: str
    target_b: str
    created: float
    cases: list[PairCase]
    judge_model: str | None = None
    skipped: str | None = None

    @property
    def tally(self) -> Tally:
        """Verdicts counted from A's side."""
        return count_verdicts(self.cases)

    def summary(self) -> str:
        """One line: the win rate with its interval, or why there is none."""
        if self.skipped:
            return f"pairwise judge skipped: {self.skipped} — no win rate"
        t = self.tally
        if t.win_rate is None or t.interval is None:
            return "no case was judged — no win rate"
        low, high = t.interval
        return (
            f"win rate of {self.target_a} over {self.target_b}: {t.win_rate:.3f} "
            f"(95% CI {low:.3f}–{high:.3f}, Wilson; n={t.n}: {t.wins} wins, "
            f"{t.losses} losses, {t.ties} ties counted half)"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (win rate and interval None when skipped or nothing was judged)."""
        t = self.tally
        return {
            "name": self.name,
            "dataset": self.dataset,
            "mode": "pairwise",
            "target_a": self.target_a,
            "target_b": self.target_b,
            "created": self.created,
            "judge_model": self.judge_model,
            "skipped": self.skipped,
            "wins": t.wins,
            "losses": t.losses,
            "ties": t.ties,
            "win_rate": None if self.skipped else t.win_rate,
            "interval95": None if self.skipped or t.interval is None else list(t.interval),
            "cases": [asdict(c) for c in self.cases],
        }

    def to_markdown(self) -> str:
        """A readable summary: the result line, then each case's verdict and reason."""
        lines = [
            f"# Pairwise eval `{self.name}`",
            "",
            f"- dataset: `{self.dataset}` ({len(self.cases)} cases); "
            f"A: `{self.target_a}`, B: `{self.target_b}`",
            f"- judge: {('skipped: ' + self.skipped) if self.skipped else self.judge_model}",
            f"- {self.summary()}",
        ]
        if self.cases:
            lines += ["", "| case | player | shown first | winner | reason |"]
            lines.append("| --- | --- | --- | --- | --- |")
            for c in self.cases:
                first = "-" if c.a_first is None else ("A" if c.a_first else "B")
                cells = [c.id, short(c.message, 40), first, c.winner or "-", short(c.reason, 100)]
                lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
        return "\n".join(lines) + "\n"

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write ``<name>.json`` and ``<name>.md`` into ``directory``."""
        return write_report(directory, self.name, self.to_dict(), self.to_markdown())


def new_report(
    dataset: str,
    target_a: str,
    target_b: str,
    cases: list[PairCase],
    settings: Settings,
    skipped: str | None = None,
) -> PairwiseReport:
    """A report named like the other evals' (dataset, mode, targets, time)."""
    return PairwiseReport(
        name=report_name(dataset, "pairwise", f"{target_a}-vs-{target_b}"),
        dataset=dataset,
        target_a=target_a,
        target_b=target_b,
        created=time.time(),
        cases=cases,
        judge_model=judge_model(settings),
        skipped=skipped,
    )
