"""The runs behind the app's pages: stepping, playing, a fair share of the server, and
an end to every session.

A :class:`Run` holds a model and, while it plays, one thread that steps it. The thread
stops at once when the run is closed (the session's effects are cleaned up when
Solara shuts the kernel down: tab closed or reloaded), pauses when no page of its
session is connected (network lost; Solara culls the kernel later), and stops when
the model reaches its last step. Closing a run releases its models (Mesa 3.3 keeps
every model reachable through ``Agent._ids`` otherwise).

Stepping is cheap (~1.5 ms for a model and its twin at 60 people); drawing is not
(~40 ms of CPU for the side-by-side page). So the loop steps at the play interval and
redraws on a budget: listeners get a *light* refresh (counters and tables) at most
4 times a second and a *heavy* one (pictures) as often as the server's drawing share
(in CPU time) allows when divided among every run now playing. One student alone sees every step;
thirty students each see a fresh picture every few seconds while their models keep
stepping at full speed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref
from collections.abc import Callable

#: Share of one core the pictures of all playing runs may use together (their CPU
#: time; the steps and the counters keep the rest).
DRAW_SHARE = 0.5
#: Counters and tables: at most this often per run (seconds); more runs, less often.
LIGHT_INTERVAL = 0.25
LIGHT_PER_RUN = 1 / 40
#: Set (to anything) to have every closed run say so on stderr (the benchmark counts them).
TRACE_ENV = "LEADSIM_APP_TRACE"

_playing: set[Run] = set()
_playing_lock = threading.Lock()
_all: weakref.WeakSet = weakref.WeakSet()  # every run not yet garbage (tests, diagnostics)


def live_runs() -> list[Run]:
    """Runs of this process that are not closed."""
    return [r for r in list(_all) if not r.closed]


#: Step-0 frames by (key, settings): every student opens the page with the same
#: settings and seed, hence the same first pictures, drawn once for the whole class.
_first_frames: dict[tuple, object] = {}
FIRST_FRAMES_KEPT = 64


def _signature(model) -> tuple:
    twin = getattr(model, "twin", None)
    return (repr(model.cfg), None if twin is None else repr(twin.cfg))


def playing_runs() -> int:
    """How many runs in this process are playing now (the fair share divides by it)."""
    with _playing_lock:
        return len(_playing)


def release(model) -> None:
    """Let Mesa forget ``model`` and its twin so that dropping them frees their memory."""
    try:
        from ..compat import release as _release  # where the sweeps' helper moves to
    except ImportError:
        from ..runner import release as _release
    for m in (model, getattr(model, "twin", None)):
        if m is not None:
            _release(m)


def _current_context():
    """Solara's kernel context of the calling thread, or None (plain ``solara.render``)."""
    try:
        from solara.server import kernel_context
    except ImportError:  # pragma: no cover
        return None
    return kernel_context.get_current_context() if kernel_context.has_current_context() else None


def _connected(ctx) -> bool:
    """False once no page of this Solara kernel is connected (or it is closed)."""
    if ctx is None:
        return True
    if ctx.closed_event.is_set():
        return False
    statuses = list(ctx.page_status.values())
    return not statuses or any(s.name == "CONNECTED" for s in statuses)


class Run:
    """A model, the controls' state, and the thread that plays it.

    ``owner`` is the Solara kernel context of the session that owns the run (taken
    from the calling thread when omitted); a shared run (class mode) has none and
    pauses when its last listener leaves.
    """

    def __init__(self, model, shared: bool = False, min_heavy: float = 0.1):
        self.model = model
        self.shared = shared
        self.owner = None if shared else _current_context()
        self.min_heavy = min_heavy
        self.interval = 0.1  # seconds between ticks while playing
        self.steps_per_tick = 1
        self.params: dict = {}  # slider values chosen for the next Reset
        self.playing = False
        self.closed = False
        self.generation = 0  # bumped by reset: views rebuild their pictures
        self.lock = threading.RLock()  # one step or one redraw at a time
        self._listeners: dict[int, tuple[Callable, object]] = {}
        self._next_id = 0
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._heavy_cost = 0.05  # seconds per heavy refresh, a running estimate
        self._last_heavy = self._last_light = 0.0
        _all.add(self)
        self._watchers: dict[int, tuple[Callable, object]] = {}  # told when playing or the model changes
        self._pictures: dict[str, tuple[object, object]] = {}  # key -> (model, picture)
        self._frames: dict[str, tuple[tuple, object]] = {}  # key -> ((model id, step), output)

    # ------------------------------------------------------------------ listeners
    def _add(self, table: dict, fn: Callable) -> Callable[[], None]:
        with self.lock:
            key = self._next_id
            self._next_id += 1
            table[key] = (fn, _current_context())

        def remove():
            with self.lock:
                table.pop(key, None)

        return remove

    def subscribe(self, fn: Callable[[bool], None]) -> Callable[[], None]:
        """Call ``fn(heavy)`` after steps, in the subscriber's own kernel context."""
        return self._add(self._listeners, fn)

    def watch(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` when the run starts or stops playing or gets a new model."""
        return self._add(self._watchers, fn)

    @staticmethod
    def _call(fn, ctx, *args) -> None:
        if ctx is None:
            fn(*args)
        elif not ctx.closed_event.is_set():
            with ctx:
                fn(*args)

    def listeners(self) -> int:
        return len(self._listeners)

    def notify(self, heavy: bool = True) -> None:
        """Refresh every listener now (Step, Reset, or a due frame while playing)."""
        cpu0 = time.thread_time()
        with self.lock:
            for k in [k for k, (_, c) in self._listeners.items() if c is not None and c.closed_event.is_set()]:
                del self._listeners[k]  # sessions that ended without cleaning up
            targets = list(self._listeners.values())
        for fn, ctx in targets:
            try:
                self._call(fn, ctx, heavy)
            except Exception:
                if not self.shared:
                    raise
        now = time.perf_counter()
        self._last_light = now
        if heavy:
            self._last_heavy = now
            # This thread's CPU time, not the wall clock: with many runs the wall clock
            # mostly counts waiting for the other runs' threads (one interpreter lock),
            # so the budget shrank with the square of the runs. Measured at 20 and 30
            # sessions: no new picture in 15 s while the server used 60 % of a core.
            # The budget bounds the drawing of all runs to DRAW_SHARE of a core, so the
            # steps keep the rest.
            self._heavy_cost = 0.8 * self._heavy_cost + 0.2 * (time.thread_time() - cpu0)

    def heavy_interval(self) -> float:
        """Seconds between pictures: this run's share of the server's drawing time."""
        return max(self.min_heavy, playing_runs() * self._heavy_cost / DRAW_SHARE)

    def light_interval(self) -> float:
        return max(LIGHT_INTERVAL, playing_runs() * LIGHT_PER_RUN)

    def frame(self, key: str, draw: Callable, make: Callable | None = None, model=None):
        """``draw(picture, model)`` for the model's current step, computed once per step
        however many sessions ask (class mode: one drawing for the whole class).

        ``make(model)`` builds the picture once per model; ``model`` defaults to the run's.
        """
        with self.lock:
            model = self.model if model is None else model
            if model is None or self.closed:
                return None
            first = (key, _signature(model)) if model.steps == 0 else None
            if first in _first_frames:
                return _first_frames[first]
            pic = self._pictures.get(key)
            if make is not None and (pic is None or pic[0] is not model):
                pic = self._pictures[key] = (model, make(model))
            stamp = (id(model), model.steps)
            cached = self._frames.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            out = draw(pic[1] if pic else None, model)
            self._frames[key] = (stamp, out)
            if first is not None:
                if len(_first_frames) >= FIRST_FRAMES_KEPT:
                    _first_frames.pop(next(iter(_first_frames)))
                _first_frames[first] = out
            return out

    # ------------------------------------------------------------------ controls
    def step(self, n: int = 1) -> None:
        """Step once (the Step button): the model, then every picture."""
        with self.lock:
            for _ in range(n):
                if not self.model.running:
                    break
                self.model.step()
        self.notify(heavy=True)

    def play(self) -> None:
        with self.lock:
            if self.playing or self.closed or not self.model.running:
                return
            self.playing = True
            with _playing_lock:
                _playing.add(self)
            self._wake = threading.Event()  # a fresh one: the old thread may still wake
            self._thread = threading.Thread(target=self._loop, name="leadsim-play", daemon=True)
            self._thread.start()
        self._changed()

    def pause(self, wait: bool = False) -> None:
        with self.lock:
            was = self.playing
            self.playing = False
            thread, self._thread = self._thread, None
            with _playing_lock:
                _playing.discard(self)
        self._wake.set()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if was:
            self._changed()

    def reset(self, model) -> None:
        """Replace the model (Reset): the old one stops and is released."""
        self.pause()
        with self.lock:
            old, self.model = self.model, model
            self.generation += 1
            self._pictures.clear()
            self._frames.clear()
        release(old)
        self._changed()

    def close(self) -> None:
        """The session ended: stop at once and release the models."""
        with self.lock:
            if self.closed:
                return
            self.closed = True  # from here on frame() draws nothing
            self._listeners.clear()  # and nobody is told: the page is going away
            self._watchers.clear()
        self.pause()
        with self.lock:
            self._pictures.clear()
            self._frames.clear()
            model, self.model = self.model, None
        if model is not None:
            release(model)
        if os.environ.get(TRACE_ENV):
            print("leadsim-app: run closed", file=sys.stderr, flush=True)

    def _changed(self) -> None:
        with self.lock:
            targets = list(self._watchers.values())
        for fn, ctx in targets:
            self._call(fn, ctx)

    # ------------------------------------------------------------------ the loop
    def _alive(self) -> bool:
        if self.closed:
            return False
        if self.shared:
            return bool(self._listeners)
        return _connected(self.owner)

    def _loop(self) -> None:
        me, wake = threading.current_thread(), self._wake
        tick = time.perf_counter()
        try:
            while self._thread is me and self._alive():
                tick = max(tick + self.interval, time.perf_counter())  # drawing eats into the wait
                if wake.wait(max(0.0, tick - time.perf_counter())):
                    break  # paused or closed
                with self.lock:
                    if self._thread is not me or self.model is None:
                        break
                    for _ in range(self.steps_per_tick):
                        self.model.step()
                    running = self.model.running
                now = time.perf_counter()
                heavy = now - self._last_heavy >= self.heavy_interval()
                if heavy or not running or now - self._last_light >= self.light_interval():
                    self.notify(heavy=heavy or not running)
                if not running:
                    break
        finally:
            with self.lock:
                mine = self._thread is me
                if mine:  # ended by itself: show Play again
                    self.playing = False
                    self._thread = None
            if mine:
                with _playing_lock:
                    _playing.discard(self)
                if not self.closed:
                    self._changed()
