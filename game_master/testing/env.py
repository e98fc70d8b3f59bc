"""Settings the harness starts apps with, and the environment it keeps out of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Settings from the developer's shell or .env must not leak into tests or bench servers.
SCRUB_ENV = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "BRAINTRUST_API_KEY",
    "DATABASE_URL",
    "GM_DATA_DIR",
    "GM_MODEL",
    "GM_DEBUG_TOKEN",
)

# Load-style runs send many requests from one address; the flood tests set their own limits.
NO_RATE_LIMITS = {
    "GM_RATE_TURNS_PER_MIN": "0",
    "GM_RATE_GAMES_PER_MIN": "0",
    "GM_RATE_API_PER_MIN": "0",
}

# The offline narrator at full speed: no simulated model latency.
INSTANT_NARRATOR = {
    "GM_OFFLINE_FIRST_TOKEN_MS": "0",
    "GM_OFFLINE_TOKENS_PER_S": "0",
}


def base_config(data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Fast offline settings for ``create_app``: no narrator latency, a private data dir."""
    config: dict[str, Any] = {
        **NO_RATE_LIMITS,
        **INSTANT_NARRATOR,
        "GM_DATA_DIR": str(data_dir),
        "GM_TURN_TIMEOUT_S": "60",
        "TESTING": True,
    }
    config.update(overrides)
    return config


def scrubbed_environ(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` without the variables in ``SCRUB_ENV``."""
    return {k: v for k, v in environ.items() if k not in SCRUB_ENV}


def chapter_per_turn_budget() -> str:
    """A ``GM_CONTEXT_BUDGET_TOKENS`` just above the bundled adventures' fixed prompt (which
    start-up requires), so that every turn's context passes it: a chapter closes each turn.
    Derived from the measured prompt, so new tools or longer prompts never break the tests
    that need many chapters quickly."""
    from game_master import rules
    from game_master.chapters import fixed_prompt_tokens

    fixed = max(fixed_prompt_tokens(e.scenario) for e in rules.ScenarioLibrary().entries())
    return str(fixed + 1)
