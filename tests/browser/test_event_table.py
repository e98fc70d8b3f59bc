"""The page's table of a turn's events (EVENT_HANDLERS in static/js/turn.js) handles exactly
the events game_master/events.py defines, and its table of a party's table stream
(TABLE_HANDLERS in static/js/table.js) exactly TABLE_EVENT_NAMES there: an event added on the
server and not on the page (or the reverse) fails here. tests/contract/test_events.py holds
the OpenAPI document to the same sets.
"""

from __future__ import annotations

from typing import Any

import pytest

from game_master.events import EVENT_NAMES, TABLE_EVENT_NAMES

from .pages import expect

pytestmark = pytest.mark.browser

# The module as the page loaded it (a module is evaluated once per page: same table).
PAGE_TABLE = "async () => Object.keys((await import('/static/js/turn.js')).EVENT_HANDLERS)"
TABLE_STREAM = "async () => Object.keys((await import('/static/js/table.js')).TABLE_HANDLERS)"


def test_the_pages_event_table_is_events_py(serve: Any, new_page: Any) -> None:
    base = serve()
    page, problems = new_page()
    page.goto(base + "/")
    expect(page.locator("#start-screen")).to_be_visible()
    assert sorted(page.evaluate(PAGE_TABLE)) == sorted(EVENT_NAMES)
    assert sorted(page.evaluate(TABLE_STREAM)) == sorted(TABLE_EVENT_NAMES)
    assert problems.items == []
