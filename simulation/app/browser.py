"""Debian's chromium, driven by Playwright for Python: what works on these machines.

Playwright cannot download its own browser here (no internet), so it launches the
system's ``/usr/bin/chromium`` (``apt-get install chromium``) with these flags
(without the background-networking ones Chromium keeps trying closed hosts). Used by the browser test and ``benchmarks/app_frame.py``.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("LEADSIM_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def launch(playwright):
    """A headless chromium browser from a ``sync_playwright()`` handle."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
