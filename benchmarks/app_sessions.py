"""A class on one server: N browser sessions at once against a real ``leadsim-app``.

For each N: starts the server, opens N sessions (one Chromium context each, like N
students' devices), records in each page when its app mounted (the step counter and
all three pictures of the side-by-side tab shown), presses Play in every one, and
counts over a window how many steps each session advanced and how many new pictures
it received. Then it closes every page and checks that the server's play loops stopped
(its CPU falls to idle) and how much memory it kept.

The browsers run on the same machine as the server (on a classroom network they run
on the students' devices), so on a small machine the rates are pessimistic; medians
are reported, with the load average during each run.

    python benchmarks/app_sessions.py [--sessions 10 20 30] [--window 20] \
        [--workers 1] [--class-mode] [--out benchmarks/results/app_sessions]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import psutil

# Runs in every page before the app: notes when Solara's page had loaded its JavaScript
# and opened its websocket, when the first message of the server came, when the app
# mounted (the step counter and all three pictures of the side-by-side tab shown), and
# counts pictures.
_PROBE_JS = """
(() => {
  const probe = window.__probe = {mounted: null, ws_open: null, ws_first: null, pictures: 0, srcs: []};
  const Socket = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Socket(...args);
    ws.addEventListener('open', () => { if (probe.ws_open === null) probe.ws_open = performance.now(); });
    ws.addEventListener('message', () => { if (probe.ws_first === null) probe.ws_first = performance.now(); });
    return ws;
  };
  window.WebSocket.prototype = Socket.prototype;
  Object.assign(window.WebSocket, Socket);
  const check = () => {
    const imgs = [...document.querySelectorAll('img.widget-image')].map(e => e.src);
    // textContent, not innerText: innerText forces a layout, 20 times a second in
    // every page, which on shared cores slows the very pages being timed
    if (probe.mounted === null && imgs.length >= 3 && imgs.every(s => s.startsWith('blob:'))
        && /Step: \\d+/.test(document.body.textContent)) probe.mounted = performance.now();
    for (let k = 0; k < imgs.length; k++)
      if (imgs[k] !== probe.srcs[k] && probe.srcs[k] !== undefined) probe.pictures++;
    probe.srcs = imgs;
  };
  setInterval(check, 50);
})();
"""

_STEP_JS = "() => { const m = /Step: (\\d+)/.exec(document.body.textContent); return m ? +m[1] : -1 }"


def _server_processes(proc: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(proc.pid).children(recursive=True)


def _rss_mb(procs) -> float:
    return sum(p.memory_info().rss for p in procs) / 2**20


def _cpu_percent(procs, seconds: float = 3.0) -> float:
    for p in procs:
        p.cpu_percent(None)
    time.sleep(seconds)
    return sum(p.cpu_percent(None) for p in procs)


def _cpu_seconds(procs) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def _browsers() -> list[psutil.Process]:
    """Chromium's processes started by this benchmark (browser, renderers, helpers)."""
    return [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]


def _cpu_of(procs) -> float:
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += sum(p.cpu_times()[:2])
    return total


def _round(b, url: str, n: int, window: float, teacher: str, servers=()) -> tuple:
    """Open ``n`` sessions, play for ``window`` seconds, close them; mount times, rates,
    pictures per second, and CPU seconds per mount of the server and of the browsers."""
    cpu0 = _cpu_seconds(servers)
    browsers0 = _browsers()
    bcpu0 = _cpu_of(browsers0)
    pages = []
    for i in range(n):
        ctx = b.new_context(viewport={"width": 1400, "height": 1000})
        ctx.add_init_script(_PROBE_JS)
        page = ctx.new_page()
        # class mode: the first session is the teacher's (the only one with Play)
        page.goto(url + (teacher if i == 0 else ""), wait_until="commit")
        pages.append(page)
    mounted = []
    deadline = time.monotonic() + 60
    for page in pages:
        try:
            page.wait_for_function(
                "() => window.__probe && window.__probe.mounted !== null",
                timeout=max(0.1, deadline - time.monotonic()) * 1000,
                polling=200,  # not Playwright's default of every animation frame
            )
            mounted.append(page.evaluate("() => window.__probe.mounted") / 1000)
        except Exception:
            mounted.append(float("nan"))
    ok = [pg for pg, m in zip(pages, mounted) if m == m]
    cpu_per_mount = (_cpu_seconds(servers) - cpu0) / max(len(ok), 1)
    # renderers of new contexts started at zero; those of closed ones are gone
    browser_per_mount = (_cpu_of(set(browsers0) | set(_browsers())) - bcpu0) / max(len(ok), 1)
    phases = [pg.evaluate("() => [window.__probe.ws_open, window.__probe.ws_first]") for pg in pages]
    clicked = []
    for page in ok:
        btn = page.get_by_role("button", name="▶", exact=True)
        if btn.count():
            btn.click()
            clicked.append(page)
    # The rates are of runs that play: wait until every page shows its run playing (on a
    # saturated machine the last clicks take seconds to reach the server); how long
    # that took is reported apart.
    t_clicked = time.monotonic()
    for page in clicked:
        with contextlib.suppress(Exception):
            page.get_by_role("button", name="❚❚", exact=True).wait_for(timeout=30_000)
    play_wait = time.monotonic() - t_clicked
    time.sleep(1)  # every loop under way
    probe = "() => [window.__probe.pictures, performance.now()]"
    start = [(pg.evaluate(_STEP_JS), *pg.evaluate(probe)) for pg in ok]
    play0, t0 = _cpu_seconds(servers), time.monotonic()
    time.sleep(window)
    server_playing = 100 * (_cpu_seconds(servers) - play0) / (time.monotonic() - t0)  # % of one core
    end = [(pg.evaluate(_STEP_JS), *pg.evaluate(probe)) for pg in ok]
    rates = [(e[0] - s[0]) / ((e[2] - s[2]) / 1000) for s, e in zip(start, end)]
    pics = [(e[1] - s[1]) / ((e[2] - s[2]) / 1000) for s, e in zip(start, end)]
    for page in pages:
        page.close(run_before_unload=True)  # like closing the tab
        page.context.close()
    return mounted, rates, pics, cpu_per_mount, browser_per_mount, phases, server_playing, play_wait


def one(n: int, window: float, args: list[str], rounds: int = 2) -> dict:
    """Warm the server up with one session, then ``rounds`` times: n sessions at once."""
    from playwright.sync_api import sync_playwright

    from simulation.app import browser
    from simulation.app.server import serving

    row: dict = {"sessions": n, "server_args": " ".join(args)}
    with serving(args=args) as url, sync_playwright() as p:
        servers = _server_processes(url.proc)
        teacher = re.search(r"\?teacher=\S+", "".join(url.lines))
        teacher = teacher.group(0) if teacher else ""
        b = browser.launch(p)
        try:
            _round(b, url, 1, 1.0, teacher)  # first use: imports, fonts, caches
            time.sleep(3)
            row["rss_idle_mb"] = _rss_mb(servers)
            rss = []
            for r in range(rounds):
                load0 = os.getloadavg()[0]
                res = _round(b, url, n, window, teacher, servers)
                if r == 0:
                    mounted, rates, pics, row["server_cpu_s_per_mount"], row["browser_cpu_s_per_mount"], phases = res[
                        :6
                    ]
                    row["server_cpu_pct_playing"] = round(res[6], 1)
                    row["all_playing_after_s"] = round(res[7], 1)
                    row["load_before"], row["load_after"] = round(load0, 1), round(os.getloadavg()[0], 1)
                    row["load_avg"] = round((load0 + os.getloadavg()[0]) / 2, 1)
                time.sleep(3)
                rss.append(_rss_mb(servers))
        finally:
            b.close()
        row["cpu_after_close_pct"] = _cpu_percent(servers)
    m = np.array(mounted)
    ws = np.array([[np.nan if v is None else v / 1000 for v in ph] for ph in phases], dtype=float)
    row.update(
        {
            # Solara's page loaded and its websocket open; the server's first message
            "ws_open_median_s": float(np.nanmedian(ws[:, 0])) if np.isfinite(ws[:, 0]).any() else None,
            "first_message_median_s": float(np.nanmedian(ws[:, 1])) if np.isfinite(ws[:, 1]).any() else None,
            "mounted": int(np.isfinite(m).sum()),
            "mounted_within_10s": int((m <= 10).sum()),
            "mount_median_s": float(np.nanmedian(m)) if np.isfinite(m).any() else None,
            "mount_max_s": float(np.nanmax(m)) if np.isfinite(m).any() else None,
            "steps_per_s_median": float(np.median(rates)) if rates else None,
            "steps_per_s_min": float(np.min(rates)) if rates else None,
            "pictures_per_s_median": float(np.median(pics)) if pics else None,
            "rss_after_rounds_mb": rss,
            # growth from one class to the next: what a leak would add (the first round
            # raises the allocator's high-water mark, which Python keeps for reuse)
            "rss_kept_per_session_mb": (rss[-1] - rss[0]) / n / max(rounds - 1, 1) if rounds > 1 else None,
        }
    )
    return row


def _fmt(v) -> str:
    return "–" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[10, 20, 30])
    ap.add_argument("--window", type=float, default=20.0, help="seconds of play measured")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2, help="classes in a row (memory kept between them)")
    ap.add_argument("--class-mode", action="store_true", help="serve with --class (students watch)")
    ap.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    a = ap.parse_args()
    args = ["--workers", str(a.workers)] if a.workers > 1 else []
    if a.class_mode:
        args = ["--class"]
    rows = []
    for n in a.sessions:
        row = one(n, a.window, args, a.rounds)
        rows.append(row)
        print(json.dumps(row), flush=True)
    cols = [
        "sessions",
        "server_args",
        "mounted_within_10s",
        "ws_open_median_s",
        "first_message_median_s",
        "mount_median_s",
        "mount_max_s",
        "all_playing_after_s",
        "steps_per_s_median",
        "steps_per_s_min",
        "pictures_per_s_median",
        "server_cpu_s_per_mount",
        "browser_cpu_s_per_mount",
        "server_cpu_pct_playing",
        "rss_idle_mb",
        "rss_kept_per_session_mb",
        "cpu_after_close_pct",
        "load_avg",
    ]
    table = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    table += ["| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |" for r in rows]
    print("\n".join(table))
    if a.out:
        out = Path(a.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        meta = {
            "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "commit": commit or None,
            "command": "python benchmarks/app_sessions.py "
            + " ".join(f"--sessions {' '.join(map(str, a.sessions))} --window {a.window}".split())
            + (f" --workers {a.workers}" if a.workers > 1 else "")
            + (" --class-mode" if a.class_mode else ""),
        }
        existing = json.loads(out.with_suffix(".json").read_text()) if out.with_suffix(".json").exists() else []
        existing.append({**meta, "rows": rows})
        out.with_suffix(".json").write_text(json.dumps(existing, indent=1) + "\n")
        with out.with_suffix(".md").open("a") as f:
            f.write(f"\n`{meta['command']}` ({meta['date']}, commit {commit})\n\n" + "\n".join(table) + "\n")


if __name__ == "__main__":
    main()
