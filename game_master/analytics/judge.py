"""LLM-as-judge scorer: Claude rates a turn's fairness, vividness and coherence (1-5 each).

Calls the Anthropic Messages API over HTTP (``ANTHROPIC_BASE_URL`` or api.anthropic.com) with
``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``) on ``GM_JUDGE_MODEL``, else the game's
``GM_MODEL``. Without credentials or a model it returns a skipped score (``None``) whose
metadata says why, so evals run offline. A judge that was asked and failed (HTTP error, an
answer it cannot parse) raises :class:`JudgeError`: a broken judge must never look skipped.
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from ..settings import Settings
from .scorers import turn_parts

NO_CREDENTIALS = (
    "no Anthropic credentials: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN or "
    "ANTHROPIC_BASE_URL) to run the LLM judge"
)
NO_MODEL = (
    "no judge model: the judge calls the Messages API directly, which needs a model name; "
    "set GM_JUDGE_MODEL or GM_MODEL"
)

CRITERIA = ("fairness", "vividness", "coherence")
PROMPT = """You are reviewing one turn of a solo tabletop role-playing game run by an AI game
master. Rate the game master's reply from 1 (poor) to 5 (excellent) on:
- fairness: outcomes follow the dice and tool results shown; nothing is invented or granted
  that the rules did not allow; the player's agency is respected;
- vividness: concrete, sensory, second-person narration that moves the scene;
- coherence: the reply answers what the player did and is consistent with the tool results.

Player's message:
<message>{message}</message>

Tool calls the game master made this turn (name, input, result):
<tools>{tools}</tools>

Game master's reply:
<reply>{narration}</reply>

Answer with JSON only: {{"fairness": n, "vividness": n, "coherence": n, "reason": "..."}}"""


def _auth_headers(settings: Settings) -> dict[str, str]:
    """The key or bearer token as headers (none for a gateway that needs no auth)."""
    if settings.anthropic_api_key:
        return {"x-api-key": settings.anthropic_api_key}
    if settings.anthropic_auth_token:
        return {"Authorization": f"Bearer {settings.anthropic_auth_token}"}
    return {}


class JudgeError(RuntimeError):
    """The judge was asked and could not give a verdict (HTTP error, unparseable answer)."""


def judge_model(settings: Settings) -> str | None:
    """The judges' model: GM_JUDGE_MODEL, else the game's GM_MODEL, else None (skip)."""
    return settings.judge_model or settings.model


def skip_reason(settings: Settings) -> str | None:
    """Why a judge cannot run with these settings, or None when it can."""
    if not settings.has_anthropic_credentials:
        return NO_CREDENTIALS
    if not judge_model(settings):
        return NO_MODEL
    return None


def ask_claude(settings: Settings, prompt: str, max_tokens: int = 300) -> str:
    """One user message to the Messages API on the judge model; its text, or JudgeError."""
    model = judge_model(settings)
    if model is None:
        raise JudgeError(NO_MODEL)
    base = settings.anthropic_base_url or "https://api.anthropic.com"
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": prompt}],
    }
    try:
        resp = requests.post(
            f"{base.rstrip('/')}/v1/messages",
            json=body,
            headers={**_auth_headers(settings), "anthropic-version": "2023-06-01"},
            timeout=60,
        )
        resp.raise_for_status()
        content = resp.json().get("content", [])
    except (requests.RequestException, ValueError) as exc:
        raise JudgeError(f"the judge's Messages API call failed: {exc}") from exc
    if not isinstance(content, list):
        raise JudgeError("the judge's answer has no content list")
    return "".join(
        str(block.get("text", ""))
        for block in content
        if isinstance(block, dict) and block.get("type") == "text"
    )


def _skip(reason: str) -> dict[str, Any]:
    """A skipped judge score (Braintrust treats score None as skipped)."""
    return {"name": "llm_judge", "score": None, "metadata": {"skipped": reason}}


def parse_judgement(text: str) -> dict[str, Any]:
    """The judge's JSON object (the first {...} in its text); ValueError if none is valid."""
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise ValueError("no JSON object in the judge's answer")
    data = json.loads(match.group(0))
    for name in CRITERIA:
        value = data.get(name)
        if not isinstance(value, int | float) or not 1 <= value <= 5:
            raise ValueError(f"judge gave no 1-5 value for {name!r}")
    return dict(data)


def llm_judge(
    input: Any, output: Any, expected: Any = None, metadata: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """Claude's mean rating of fairness, vividness and coherence, scaled to 0..1.

    Skipped (score None) without credentials or a model; raises JudgeError when it fails.
    """
    settings = Settings.from_env()
    reason = skip_reason(settings)
    if reason is not None:
        return _skip(reason)
    narration, calls = turn_parts(output, metadata)
    tools = [
        {"name": c.get("name"), "input": c.get("input"), "result": c.get("result")} for c in calls
    ]
    prompt = PROMPT.format(
        message=input if isinstance(input, str) else json.dumps(input),
        tools=json.dumps(tools, ensure_ascii=False)[:6000],
        narration=narration,
    )
    text = ask_claude(settings, prompt)
    try:
        judgement = parse_judgement(text)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        raise JudgeError(f"the judge's answer could not be read: {exc}: {text[:200]!r}") from exc
    criteria = {name: judgement[name] for name in CRITERIA}
    score = sum((v - 1) / 4 for v in criteria.values()) / len(criteria)
    return {
        "name": "llm_judge",
        "score": score,
        "metadata": {"criteria": criteria, "reason": str(judgement.get("reason", ""))[:500]},
    }
