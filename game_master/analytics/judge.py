"""LLM-as-judge scorer: Claude rates a turn's fairness, vividness and coherence (1-5 each).

Calls the Anthropic Messages API over HTTP (``ANTHROPIC_BASE_URL`` or api.anthropic.com) with
``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``). Without credentials it returns a skipped
score (``None``) whose metadata says why, so evals run offline.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import requests

from .scorers import turn_parts

DEFAULT_JUDGE_MODEL = "claude-sonnet-4-5"
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


def _credentials() -> dict[str, str] | None:
    """Auth headers from the environment, or None when no Anthropic credential is set."""
    key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if key:
        return {"x-api-key": key}
    token = os.environ.get("ANTHROPIC_AUTH_TOKEN", "").strip()
    if token:
        return {"Authorization": f"Bearer {token}"}
    return None


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
    """Claude's mean rating of fairness, vividness and coherence, scaled to 0..1."""
    headers = _credentials()
    if headers is None:
        return _skip("no Anthropic credentials: set ANTHROPIC_API_KEY to run the LLM judge")
    narration, calls = turn_parts(output, metadata)
    tools = [
        {"name": c.get("name"), "input": c.get("input"), "result": c.get("result")} for c in calls
    ]
    base = os.environ.get("ANTHROPIC_BASE_URL", "").strip() or "https://api.anthropic.com"
    body: dict[str, Any] = {
        "model": os.environ.get("GM_JUDGE_MODEL", "").strip() or DEFAULT_JUDGE_MODEL,
        "max_tokens": 300,
        "messages": [
            {
                "role": "user",
                "content": PROMPT.format(
                    message=input if isinstance(input, str) else json.dumps(input),
                    tools=json.dumps(tools, ensure_ascii=False)[:6000],
                    narration=narration,
                ),
            }
        ],
    }
    try:
        resp = requests.post(
            f"{base.rstrip('/')}/v1/messages",
            json=body,
            headers={**headers, "anthropic-version": "2023-06-01"},
            timeout=60,
        )
        resp.raise_for_status()
        text = "".join(
            block.get("text", "")
            for block in resp.json().get("content", [])
            if block.get("type") == "text"
        )
        judgement = parse_judgement(text)
    except (requests.RequestException, ValueError) as exc:
        return _skip(f"the judge could not answer: {exc}")
    criteria = {name: judgement[name] for name in CRITERIA}
    score = sum((v - 1) / 4 for v in criteria.values()) / len(criteria)
    return {
        "name": "llm_judge",
        "score": score,
        "metadata": {"criteria": criteria, "reason": str(judgement.get("reason", ""))[:500]},
    }
