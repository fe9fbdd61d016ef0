"""Debian's chromium, as the leaderboard's browser tests and ``docs/screenshots.py`` start it."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("LAWBENCH_CHROMIUM", "/usr/bin/chromium")
# No background networking: this machine's closed network refuses those connections.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
