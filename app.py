"""Entry point: ``flask --app app run`` or ``gunicorn -c gunicorn.conf.py app:app``.

Start-up order matters: ``.env`` first (so its values win), then Braintrust set-up (so it
patches the Claude Agent SDK), then everything that imports the SDK.
"""

from __future__ import annotations

import logging

from dotenv import load_dotenv

load_dotenv(override=True)

from tracing import setup_tracing  # noqa: E402

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
setup_tracing()

from game_master import create_app  # noqa: E402

# create_app() registers a before_request hook that calls tracing.restore_logger_context(),
# so every request thread gets Braintrust's logger back in its contextvar.
app = create_app()
