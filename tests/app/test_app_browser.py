"""The classroom app in a real browser: Debian's chromium driven by Playwright.

Starts ``leadsim-app`` on a free port, loads the page, clicks Step and Play, and
checks that the network and the plots change, that the browser logged no errors,
and that every request stayed on this machine (offline: with ``solara-assets`` no
JavaScript comes from a CDN; the machines that run this have no internet, so a page
that draws its plots is the proof). Skips when ``/usr/bin/chromium`` is missing
(``make system-deps`` installs it).
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest

from simulation.app import browser

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not browser.available():
    pytest.skip(f"{browser.CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


def _sources(page) -> list[str]:
    return page.eval_on_selector_all("img.widget-image", "els => els.map(e => e.src)")


def _wait_for_new_sources(page, old: list[str], timeout: float = 20.0) -> list[str]:
    """Image sources once every picture shown has been replaced (a blob: URL per frame)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        new = _sources(page)
        if len(new) == len(old) and all(a != b for a, b in zip(new, old)):
            return new
        page.wait_for_timeout(100)
    raise AssertionError(f"pictures did not change: {old} -> {_sources(page)}")


def _wait_for_pictures(page, n: int, timeout: float = 20.0) -> list[str]:
    """The sources once ``n`` pictures are shown and the page has settled."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        srcs = _sources(page)
        if len(srcs) == n and all(s.startswith("blob:") for s in srcs):
            page.wait_for_timeout(300)
            if _sources(page) == srcs:
                return srcs
        page.wait_for_timeout(100)
    raise AssertionError(f"expected {n} pictures, see {_sources(page)}")


def _remote_host(url: str) -> str | None:
    """The host a request goes to over the network (None for blob: and data: URLs)."""
    u = urlparse(url)
    return u.hostname if u.scheme in ("http", "https", "ws", "wss") else None


def _shown_step(page) -> int:
    return int(page.get_by_text("Step: ").first.inner_text().split(":")[1])


def test_app_in_chromium_steps_plays_and_stays_offline():
    from simulation.app.server import serving

    errors, failed, hosts = [], [], set()
    with serving() as url, sync_api.sync_playwright() as p:
        b = browser.launch(p)
        try:
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("request", lambda r: hosts.add(_remote_host(r.url)))
            page.goto(url)
            page.get_by_text("Step: 0").wait_for(timeout=60_000)  # the app is mounted
            tabs = page.get_by_role("tab").all_inner_texts()
            assert [t.lower() for t in tabs] == ["side by side", "one regime", "things to try"]
            start = _wait_for_pictures(page, 3)  # two networks, plots

            step = page.get_by_role("button", name="Step", exact=True)
            step.click()
            page.get_by_text("Step: 1", exact=True).wait_for()
            step.click()  # a line needs two points: the plots change now
            page.get_by_text("Step: 2", exact=True).wait_for()
            stepped = _wait_for_new_sources(page, start)
            # The who-is-who panel and its role legend (a glyph and a name per informal role).
            page.get_by_text("Who is who (informal roles)").wait_for()
            page.locator("table.who-is-who").get_by_text("informal leader").wait_for()
            assert page.locator("table.who-is-who tr").count() >= 5

            page.get_by_role("button", name="▶", exact=True).click()
            page.wait_for_function("() => /Step: ([5-9]|\\d\\d+)/.test(document.body.innerText)", timeout=30_000)
            page.get_by_role("button", name="❚❚", exact=True).click()
            played = _wait_for_new_sources(page, stepped)
            page.wait_for_timeout(700)  # a step in flight may still land
            n = _shown_step(page)
            assert n >= 5
            page.wait_for_timeout(1000)
            assert _shown_step(page) == n, "Pause stops the run"

            page.get_by_role("tab", name="One regime").click()
            _wait_for_pictures(page, 2)
            page.get_by_role("tab", name="Things to try").click()
            page.get_by_text("Things to try").nth(1).wait_for()
            assert _sources(page) == []  # hidden tabs draw nothing
            page.get_by_role("tab", name="Side by side").click()  # back: the live view again
            again = _wait_for_pictures(page, 3)
            assert page.get_by_text("delegation", exact=True).count() >= 1
            step.click()
            _wait_for_new_sources(page, again)

            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text("Step: 0").wait_for()
            assert played
        finally:
            b.close()
    assert errors == [], errors
    assert failed == [], failed
    assert hosts - {None} == {"127.0.0.1"}, f"requests left the machine: {hosts}"
    log = "".join(url.lines)
    assert "Warning" not in log and "Traceback" not in log, log  # a quiet teacher's terminal


def _server_processes(url):
    import psutil

    return psutil.Process(url.proc.pid).children(recursive=True)


@pytest.mark.slow
@pytest.mark.timeout(420)  # up to 150 s for a session Solara ends as a lost connection
def test_closed_sessions_stop_playing_and_give_their_memory_back(monkeypatch):
    """The issue's leak, in the real server: sessions played and closed, three classes
    in a row. Every run is closed with its tab, the server idles afterwards, and a
    class adds (almost) nothing to the memory the previous one left."""
    import psutil

    from simulation.app.server import serving
    from simulation.app.session import TRACE_ENV

    monkeypatch.setenv(TRACE_ENV, "1")
    n, rss = 3, []
    with serving() as url, sync_api.sync_playwright() as p:
        servers = _server_processes(url)
        b = browser.launch(p)
        try:
            for _ in range(3):
                pages = []
                for _ in range(n):
                    page = b.new_context().new_page()
                    page.goto(url)
                    pages.append(page)
                for page in pages:
                    page.get_by_text("Step: 0").wait_for(timeout=90_000)
                    page.get_by_role("button", name="▶", exact=True).click()
                pages[-1].wait_for_function(
                    "() => /Step: ([3-9]|\\d\\d+)/.test(document.body.innerText)", timeout=60_000
                )
                for page in pages:
                    page.close(run_before_unload=True)
                    page.context.close()
                end = time.monotonic() + 20
                while "".join(url.lines).count("run closed") < n * (len(rss) + 1) and time.monotonic() < end:
                    time.sleep(0.2)
                time.sleep(1)
                rss.append(sum(s.memory_info().rss for s in servers) / 2**20)
        finally:
            b.close()
        # Under load a closed tab can reach the server as a lost connection: its run pauses
        # at once and Solara ends the session after 2 minutes (docs/app.md), so wait that long.
        end = time.monotonic() + 150
        while "".join(url.lines).count("run closed") < 3 * n and time.monotonic() < end:
            time.sleep(0.2)
        assert "".join(url.lines).count("run closed") == 3 * n, "every session's run closed with its tab"
        for s in servers:
            s.cpu_percent(None)
        time.sleep(2)
        cpu = sum(s.cpu_percent(None) for s in servers)
        assert cpu < 10, f"the idle server still uses {cpu:.0f} % of a core: a loop outlived its session"
        assert psutil.Process(servers[0].pid).num_threads() < 40
    # What each later class adds: a leak shows in every class, noise (RSS under the
    # parallel suite: 19 MB one class, 6 MB the next, seen) in one, so the smaller of the
    # two increments is read. The exact bound on what a session keeps is the in-process
    # test in test_app_sessions.py. The baseline was 4-14 MB per session.
    kept = min(rss[1] - rss[0], rss[2] - rss[1]) / n
    assert kept < 4, f"{kept:.1f} MB kept per session ({rss})"
