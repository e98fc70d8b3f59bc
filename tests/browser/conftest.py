"""Fixtures of the browser tests: one Chromium per module, the real app on loopback HTTP.

Every browser test runs twice: in a 1280 px wide window and in a 390 px wide phone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from game_master import create_app
from game_master.testing import INSTANT_NARRATOR, LiveServer
from game_master.testing.services import CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    from .pages import CHROMIUM_ARGS, sync_api

    pw = sync_api.sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start the real app on loopback HTTP; returns its base URL. Stopped after the test."""
    running: list[tuple[LiveServer, Flask]] = []

    def start(**config: str) -> str:
        settings = {"GM_DATA_DIR": str(tmp_path / f"data{len(running)}"), **INSTANT_NARRATOR}
        settings.update(config)
        app = create_app(settings)
        server = LiveServer(app).__enter__()
        running.append((server, app))
        return server.url

    yield start
    for server, app in running:
        server.__exit__()
        app.extensions["game_master"].shutdown()


# The two windows every page must work in: a desktop and a phone.
WINDOWS = {"1280px": {"width": 1280, "height": 800}, "390px": {"width": 390, "height": 844}}


@pytest.fixture(params=list(WINDOWS))
def window(request: pytest.FixtureRequest) -> dict[str, int]:
    """The viewport of this run of the test: 1280 or 390 px wide."""
    return dict(WINDOWS[request.param])


@pytest.fixture
def phone(window: dict[str, int]) -> bool:
    """Whether this run is the phone's (the narrow layout)."""
    return window["width"] <= 600


@pytest.fixture
def new_page(browser: Any, window: dict[str, int]) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """Pages in fresh contexts (with their Problems) in this run's window, closed after."""
    from .pages import Problems

    contexts: list[Any] = []

    def make(**context_options: Any) -> tuple[Any, Problems]:
        context_options.setdefault("viewport", window)
        ctx = browser.new_context(**context_options)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        return page, Problems(page)

    yield make
    for ctx in contexts:
        ctx.close()
