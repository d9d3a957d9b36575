"""Sessions of the classroom app, in process: a session that ends stops its play loop at
once and gives its models back; playing runs share the drawing budget; class mode
draws once for everyone and lets only the teacher drive; the redirector of
``--workers`` hands visitors out in turn. The real-server version is in
``test_app_browser.py``.
"""

from __future__ import annotations

import gc
import http.client
import threading
import time
import weakref

import pytest

solara = pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402
import psutil  # noqa: E402
from mesa import Agent  # noqa: E402

MESA_IDS = getattr(Agent, "_ids", {})  # Mesa 3.3 keeps every model here; later Mesa does not

from simulation.app import app as app_module  # noqa: E402
from simulation.app import session  # noqa: E402
from simulation.app.app import Page, initial_model  # noqa: E402
from simulation.app.session import Run, live_runs, playing_runs  # noqa: E402
from simulation.app.supervise import redirector  # noqa: E402
from simulation.model import LeadershipModel  # noqa: E402


def _wait(cond, timeout=20.0):
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.02)
    return cond()


def _open_session():
    """Render the page the way the server does (no run passed) and find its run."""
    before = set(map(id, live_runs()))
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    (run,) = [r for r in live_runs() if id(r) not in before]
    return run, rc


def _play_threads() -> int:
    return sum(t.name == "leadsim-play" and t.is_alive() for t in threading.enumerate())


def test_closing_a_playing_session_stops_its_loop_at_once_and_frees_its_models():
    run, rc = _open_session()
    rc.find(v.Btn, children=["▶"]).widget.click()
    assert _wait(lambda: run.model.steps >= 3)
    model, twin = weakref.ref(run.model), weakref.ref(run.model.twin)
    thread = run._thread
    rc.close()  # what Solara does when the tab closes
    del rc  # and it drops the closed app
    assert run.closed and run.model is None and playing_runs() == 0
    thread.join(timeout=2)
    assert not thread.is_alive()
    # Mesa forgets both models, and the run holds neither. (Outside a server, reacton's
    # debugging record of the last re-renders may still point at them for a while;
    # the next test measures that nothing accumulates.)
    assert model() not in MESA_IDS and twin() not in MESA_IDS and run._pictures == {}


@pytest.mark.slow
def test_many_sessions_opened_played_and_closed_leave_nothing_behind():
    """The issue's leak: ~4-14 MB kept per session and loops running on. Here: none."""
    proc = psutil.Process()

    def one_session():
        run, rc = _open_session()
        rc.find(v.Btn, children=["▶"]).widget.click()
        assert _wait(lambda: run.model.steps >= 2)
        rc.find(v.Btn, children=["Step"])  # still rendered while playing
        rc.close()

    for _ in range(3):  # warm-up: imports, caches, fonts
        one_session()
    gc.collect()
    ids, rss, objects = len(MESA_IDS), proc.memory_info().rss, len(gc.get_objects())
    models0 = sum(isinstance(o, LeadershipModel) for o in gc.get_objects())
    n = 10
    for _ in range(n):
        one_session()
    assert _wait(lambda: _play_threads() == 0, 5), "no play loop outlives its session"
    gc.collect()
    assert live_runs() == [] and playing_runs() == 0
    assert len(MESA_IDS) <= ids  # Mesa forgot every model
    models = sum(isinstance(o, LeadershipModel) for o in gc.get_objects()) - models0
    assert models <= 4, (
        f"{models} more models alive after {n} sessions ({2 * n} built)"
    )  # a bounded few (see above), not all
    kept = (len(gc.get_objects()) - objects) / n
    assert kept < 200, f"{kept:.0f} Python objects kept per session"  # a page makes ~100,000
    # A coarse guard on the process: freed memory is kept by the allocator for reuse
    # (~1 MB per session on Python 3.11, ~4 on 3.13 here), a leaked model adds far more.
    growth = (proc.memory_info().rss - rss) / n / 2**20
    assert growth < 6.0, f"{growth:.2f} MB kept per session (the issue measured 4-14)"


class _FakeKernel:
    """The two things a run reads from Solara's kernel context."""

    def __init__(self):
        from solara.server.kernel_context import PageStatus

        self.status = PageStatus
        self.closed_event = threading.Event()
        self.page_status = {"page": PageStatus.CONNECTED}


def test_a_run_pauses_when_its_page_disconnects_and_stops_when_its_kernel_closes():
    run = Run(initial_model(compare="none", size=20))
    kernel = run.owner = _FakeKernel()
    run.interval = 0.01
    run.play()
    assert _wait(lambda: run.model.steps >= 3)
    kernel.page_status["page"] = kernel.status.DISCONNECTED  # network lost
    assert _wait(lambda: not run.playing, 2)
    n = run.model.steps
    time.sleep(0.1)
    assert run.model.steps == n
    kernel.page_status["page"] = kernel.status.CONNECTED
    run.play()
    assert _wait(lambda: run.model.steps > n)
    kernel.closed_event.set()  # Solara ended the session
    assert _wait(lambda: not run.playing, 2)
    run.close()


def test_a_run_stops_by_itself_at_its_last_step_and_shows_play_again():
    run = Run(initial_model(compare="none", size=20, steps=250))
    run.interval = 0.001
    seen = []
    run.watch(lambda: seen.append(run.playing))
    run.play()
    assert _wait(lambda: not run.playing, 10)
    assert run.model.steps == 250 and seen == [True, False] and _wait(lambda: _play_threads() == 0, 2)
    run.play()  # nothing left to play
    assert not run.playing
    run.close()


def test_pause_then_play_never_leaves_two_loops():
    run = Run(initial_model(compare="none", size=20))
    run.interval = 0.001
    for _ in range(20):
        run.play()
        run.pause()
    run.play()
    time.sleep(0.2)
    assert _play_threads() == 1
    run.close()
    assert _wait(lambda: _play_threads() == 0, 2)


def test_pictures_share_the_drawing_budget_among_playing_runs():
    runs = [Run(initial_model(compare="none", size=20)) for _ in range(6)]
    for r in runs:
        r._heavy_cost = 0.06  # 60 ms a frame
        r.interval = 5.0  # play without stepping soon
    alone = runs[0].heavy_interval()
    for r in runs:
        r.play()
    assert playing_runs() == 6
    shared = runs[0].heavy_interval()
    assert shared == pytest.approx(6 * 0.06 / session.DRAW_SHARE) and shared > alone
    assert runs[0].light_interval() >= session.LIGHT_INTERVAL
    for r in runs:
        r.close()
    assert playing_runs() == 0


def test_a_frame_is_drawn_once_per_step_however_many_watch():
    run = Run(initial_model(compare="none", size=20), shared=True)
    calls = []

    def draw(_, m):
        calls.append(m.steps)
        return f"step {m.steps}"

    outs = []
    for _ in range(30):
        run.subscribe(lambda heavy: outs.append(run.frame("x", draw)))
    run.step()
    assert len(outs) == 30 and set(outs) == {"step 1"} and calls == [1]
    run.close()


def test_the_first_pictures_are_drawn_once_for_everyone_with_the_same_settings():
    """Every student opens the page at the same settings: one drawing of step 0 serves all."""
    calls = []

    def draw(_, m):
        calls.append(m.cfg.seed)
        return f"seed {m.cfg.seed}"

    runs = [Run(initial_model(seed=s, size=20)) for s in (41, 41, 42)]
    assert [r.frame("t", draw) for r in runs] == ["seed 41", "seed 41", "seed 42"]
    assert calls == [41, 42]
    runs[0].step()
    assert runs[0].frame("t", draw) == "seed 41" and calls == [41, 42, 41]  # later steps: its own
    for r in runs:
        r.close()


# ---------------------------------------------------------------------------- class mode
@pytest.fixture
def class_mode(monkeypatch):
    monkeypatch.setenv(app_module.MODE_ENV, "class")
    monkeypatch.setenv(app_module.KEY_ENV, "secret123")
    monkeypatch.setattr(app_module, "_shared", None)
    yield
    if app_module._shared is not None:
        app_module._shared.close()


def _render_as(search: str):
    """The page as a browser at ``/?search`` would see it."""
    return solara.render(solara.AppLayout(children=[Page(search=search)]), handle_error=False)[1]


def test_class_mode_teacher_drives_students_watch_the_same_run(class_mode):
    assert app_module.is_teacher("teacher=secret123") and not app_module.is_teacher("teacher=guess")
    assert not app_module.is_teacher(None)
    student = _render_as("")
    teacher = _render_as("teacher=secret123")
    assert student.find(v.Btn, children=["Step"]).widgets == []  # read-only
    assert student.find(v.Slider).widgets == []
    teacher.find(v.Btn, children=["Step"]).widget.click()
    teacher.find(v.Btn, children=["Step"]).widget.click()
    shown = [w.unsafe_innerHTML for w in student.find(solara.widgets.HTML).widgets]
    assert "Step: 2" in shown, "the student sees the teacher's steps"
    run = app_module._shared
    assert run.listeners() > 0
    student.close()
    teacher.close()
    assert run.listeners() == 0 and not run.closed  # the class run outlives a tab


def test_class_run_pauses_when_everyone_has_left(class_mode):
    teacher = _render_as("teacher=secret123")
    run = app_module._shared
    run.interval = 0.01
    teacher.find(v.Btn, children=["▶"]).widget.click()
    assert _wait(lambda: run.model.steps >= 2)
    teacher.close()
    assert _wait(lambda: not run.playing, 2)


# ---------------------------------------------------------------------------- several workers
def test_redirector_hands_visitors_to_each_worker_in_turn():
    server = redirector("127.0.0.1", 0, [9101, 9102])
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        places = []
        for _ in range(4):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/?x=1", headers={"Host": f"classroom.local:{port}"})
            r = c.getresponse()
            assert r.status == 307
            places.append(r.getheader("Location"))
            c.close()
        assert places == ["http://classroom.local:9101/?x=1", "http://classroom.local:9102/?x=1"] * 2
    finally:
        server.shutdown()
        server.server_close()
