"""Browser tests of the page (Chromium through Playwright)."""
