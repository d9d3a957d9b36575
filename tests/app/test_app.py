"""The classroom app, in process: its model factory, its pictures, the page
(rendered with ``solara.render``, Step and Reset clicked), the Info text and the
``leadsim-app`` command line. The real-browser test is in ``test_app_browser.py``.
"""

from __future__ import annotations

import io
import re
import socket
import time

import numpy as np
import pytest

solara = pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402
from PIL import Image  # noqa: E402

from simulation.agents import Role  # noqa: E402
from simulation.app import server  # noqa: E402
from simulation.app.classroom import (  # noqa: E402
    APP_RANGES,
    KEYS,
    ROLE_NAMES,
    SLIDERS,
    ClassroomModel,
    role_codes,
    series,
    slider_help,
    user_params,
)
from simulation.app.info import info_sections, info_text  # noqa: E402
from simulation.app.pictures import NetworkPicture, SeriesPicture  # noqa: E402
from simulation.config import ConfigError  # noqa: E402


# ---------------------------------------------------------------------------- the model factory
def test_sliders_cover_every_level_with_explanations():
    assert list(SLIDERS) == ["culture", "organisation", "people", "workload", "mechanisms"]
    params = user_params()
    assert params["regime"]["values"] == ["delegation", "distributed", "hybrid"]
    assert set(KEYS) <= set(params)
    for level, rows in slider_help():
        assert rows and all(len(text) > 20 and "default" in text for _, text in rows), level


@pytest.mark.parametrize("end", ["min", "max"])
def test_every_slider_end_builds_a_valid_model(end):
    """A slider can never produce a config the core rejects."""
    params = user_params()
    for name in KEYS:
        p = params[name]
        value = p["values"][-1] if p["type"] == "Select" else p[end]
        m = ClassroomModel(compare="none", **{name: value})
        section, field = KEYS[name].split(".")
        assert getattr(getattr(m.cfg, section), field) == value
        m.step()


def test_app_ranges_stay_inside_the_config_ranges():
    from simulation.config import field_docs

    docs = field_docs()
    for key, (lo, hi) in APP_RANGES.items():
        clo, chi = docs[key]["range"]
        assert clo <= lo < hi <= chi, key


def test_unknown_or_bad_values_are_refused_by_name():
    with pytest.raises(TypeError, match="bogus"):
        ClassroomModel(bogus=1)
    with pytest.raises(ConfigError, match=r"culture\.trust"):
        ClassroomModel(trust=1.5)
    with pytest.raises(ValueError, match="compare"):
        ClassroomModel(compare="anarchy")


def test_twin_has_the_same_people_and_network_and_its_own_regime():
    m = ClassroomModel(regime="distributed", compare="hybrid", seed=4, size=40)
    t = m.twin
    assert t.cfg.coordination.name == "hybrid" and m.cfg.coordination.name == "distributed"
    np.testing.assert_array_equal(m.trust.src, t.trust.src)
    np.testing.assert_array_equal(m.trust.dst, t.trust.dst)
    np.testing.assert_array_equal(m.competence, t.competence)
    for _ in range(15):
        m.step()
    assert m.steps == t.steps == 15
    arrived = [r[1] for r in m.recorder.rows]  # the same tasks reach both
    assert arrived == [r[1] for r in t.recorder.rows] and sum(arrived) > 0
    assert ClassroomModel(compare="none").twin is None


def test_same_seed_same_run_in_the_app():
    a = ClassroomModel(seed=7, compare="delegation", size=30)
    b = ClassroomModel(seed=7, compare="delegation", size=30)
    for _ in range(30):
        a.step()
        b.step()
    assert a.recorder.rows == b.recorder.rows and a.twin.recorder.rows == b.twin.recorder.rows


@pytest.mark.parametrize("regime", ["delegation", "distributed", "hybrid"])
def test_role_colours_agree_with_worker_role(regime):
    m = ClassroomModel(regime=regime, compare="none", size=40, arrival_rate=6, clarity=0.0)
    seen = set()
    for _ in range(25):
        m.step()
        codes = role_codes(m)
        expected = [ROLE_NAMES.index(w.role.value) for w in m.workers]
        np.testing.assert_array_equal(codes, expected)
        seen |= {ROLE_NAMES[c] for c in codes}
    assert {Role.LEADING.value, Role.IDLE.value} <= seen
    if regime == "distributed":
        assert Role.CONFLICT.value in seen  # clarity 0: unsettled contests


def test_plotted_series_match_the_models_time_series():
    m = ClassroomModel(compare="none", size=30)
    for _ in range(40):
        m.step()
    s, ts = series(m), m.timeseries
    np.testing.assert_array_equal(s["step"], ts["step"])
    np.testing.assert_allclose(s["role_ambiguity"], ts["role_ambiguity"])
    np.testing.assert_allclose(s["conflict_rate"], ts["conflict_rate"])
    rolling = ts["completed"].rolling(10, min_periods=1).mean()
    np.testing.assert_allclose(s["throughput"], rolling)


# ---------------------------------------------------------------------------- pictures
def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_network_picture_draws_each_tie_once_shaded_by_mean_trust():
    m = ClassroomModel(compare="none", size=40)
    pic = NetworkPicture(m)
    tn = m.trust
    assert len(pic.ties.get_segments()) == tn.n_ties // 2
    for _ in range(30):
        m.step()
    pos = pic.pos.copy()
    pic.update(m)
    np.testing.assert_array_equal(pic.pos, pos)  # the layout never moves
    a, b = tn.src[pic.fwd], tn.dst[pic.fwd]
    expected = (tn.get(a, b) + tn.get(b, a)) / 2
    np.testing.assert_allclose(pic.ties.get_array(), expected)


@pytest.mark.parametrize("kind", ["network", "series"])
def test_blitted_frames_look_like_full_redraws(kind):
    """Redrawing only what moves over a cached background gives the same picture."""
    m = ClassroomModel(compare="delegation", size=40, arrival_rate=4)
    pic = NetworkPicture(m) if kind == "network" else SeriesPicture([m, m.twin])
    pic.png()
    for _ in range(30):
        m.step()
    pic.update(m) if kind == "network" else pic.update([m, m.twin])
    blitted = _pixels(pic.png())
    pic._bg = None  # force a full draw
    full = _pixels(pic.png())
    assert blitted.shape == full.shape
    assert (np.abs(blitted - full).max(axis=2) > 40).mean() < 0.005


@pytest.mark.parametrize("kind", ["network", "series"])
def test_sessions_on_the_same_settings_share_the_static_background(kind, monkeypatch):
    """A class on the same settings draws each background once: a second session's
    picture restores the first one's and still looks like its own full redraw."""
    from simulation.app import pictures

    monkeypatch.setattr(pictures, "_backgrounds", {})
    models = [ClassroomModel(compare="delegation", size=40, arrival_rate=4) for _ in range(2)]
    for m in models:
        for _ in range(20):
            m.step()
    make = (lambda m: NetworkPicture(m)) if kind == "network" else (lambda m: SeriesPicture([m, m.twin]))
    first, second = make(models[0]), make(models[1])
    first.png()
    draws = []
    second.canvas.draw = lambda: draws.append(1)
    shared = _pixels(second.png())
    assert not draws and len(pictures._backgrounds) == 1
    del second.canvas.draw
    second._bg = None
    pictures._backgrounds.clear()
    own = _pixels(second.png())  # drawn from scratch
    assert (np.abs(shared - own).max(axis=2) > 40).mean() < 0.002


def test_frames_are_small_palette_pngs_that_look_like_the_figure():
    """A frame is a 256-colour PNG: a fraction of an RGBA one's bytes, same picture."""
    from simulation.app.pictures import encode_png

    m = ClassroomModel(compare="none", size=60)
    for _ in range(50):
        m.step()
    pic = NetworkPicture(m)
    png = pic.png()
    rgba = np.asarray(pic.canvas.buffer_rgba())
    assert Image.open(io.BytesIO(png)).mode == "P"
    plain = io.BytesIO()
    Image.fromarray(rgba).save(plain, format="png", compress_level=1)
    assert len(png) < 0.5 * len(plain.getvalue())
    diff = np.abs(_pixels(png) - rgba[..., :3].astype(int)).max(axis=2)
    assert (diff > 40).mean() < 0.002 and encode_png(rgba) == png


# ---------------------------------------------------------------------------- the page
@pytest.fixture
def page():
    from simulation.app.app import Page, initial_model
    from simulation.app.session import Run

    run = Run(initial_model())
    _, rc = solara.render(solara.AppLayout(children=[Page(run=run)]), handle_error=False)
    yield run, rc
    rc.close()
    run.close()


def _images(rc) -> list[bytes]:
    return [w.value for w in rc.find(ipywidgets.Image).widgets]


def _html(rc) -> list[str]:
    return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]


def _click(rc, label):
    rc.find(v.Btn, children=[label]).widget.click()


def test_tabs_have_names_and_the_side_by_side_view_comes_first(page):
    rc = page[1]
    names = [t.children[0] for t in rc.find(v.Tab).widgets]
    assert names == ["Side by side", "One regime", "Things to try"]
    assert len(_images(rc)) == 3  # two networks and the shared plots
    table = [h for h in _html(rc) if "<table" in h]
    assert table and "distributed" in table[0] and "delegation" in table[0]


def test_step_advances_both_models_and_changes_the_pictures(page):
    run, rc = page
    assert "Step: 0" in _html(rc)
    before = _images(rc)
    for _ in range(3):
        _click(rc, "Step")
    assert run.model.steps == 3 and run.model.twin.steps == 3
    assert "Step: 3" in _html(rc)
    after = _images(rc)
    assert all(a != b for a, b in zip(after, before)), "every picture redrawn"
    assert all(bytes(a[:4]) == b"\x89PNG" for a in after)
    assert any("<b>Step 3</b>" in h for h in _html(rc))


def _open_parameters(rc):
    """Open the sidebar's parameters panel (its sliders are built only then)."""
    rc.find(v.ExpansionPanels, class_="leadsim-parameters").widget.v_model = 0


def test_parameters_and_help_are_built_only_when_opened(page):
    """What the page builds before its first paint, every browser of a class pays for
    at once: the ~25 parameter widgets and the help wait until their panel opens."""
    run, rc = page
    assert [s.label for s in rc.find(v.Slider).widgets] == ["Pause between steps: 100 ms", "Steps per tick: 1"]
    assert not rc.find(v.Select).widgets
    assert not any("<details>" in h for h in _html(rc))
    _open_parameters(rc)
    assert "Culture: trust: 0.60" in [s.label for s in rc.find(v.Slider).widgets]
    rc.find(v.Slider, label="Culture: trust: 0.60").widget.v_model = 0.3
    panel = rc.find(v.ExpansionPanels, class_="leadsim-parameters").widget
    panel.v_model = None  # closed: the sliders go, the choice stays with the run
    assert len(rc.find(v.Slider).widgets) == 2 and run.params == {"trust": 0.3}
    panel.v_model = 0
    assert "Culture: trust: 0.30" in [s.label for s in rc.find(v.Slider).widgets]
    rc.find(v.ExpansionPanels, class_="leadsim-help").widget.v_model = 0
    (help_html,) = [h for h in _html(rc) if "<details>" in h]
    assert all(level in help_html for level, _ in slider_help())


def test_sliders_show_their_values_in_their_labels(page):
    rc = page[1]
    _open_parameters(rc)
    labels = [s.label for s in rc.find(v.Slider).widgets]
    assert "Culture: trust: 0.60" in labels and "Organisation: size: 60" in labels
    rc.find(v.Slider, label="Culture: trust: 0.60").widget.v_model = 0.3
    labels = [s.label for s in rc.find(v.Slider).widgets]
    assert "Culture: trust: 0.30" in labels


def test_reset_builds_the_model_the_sliders_describe(page):
    run, rc = page
    first = run.model
    _click(rc, "Step")
    _open_parameters(rc)
    rc.find(v.Select, label="Regime").widget.v_model = "hybrid"
    rc.find(v.Slider, label="Culture: trust: 0.60").widget.v_model = 0.8
    _click(rc, "Reset")
    assert run.model is not first
    assert run.model.steps == 0 and run.model.cfg.coordination.name == "hybrid"
    assert run.model.cfg.culture.trust == pytest.approx(0.8)
    _click(rc, "Step")
    assert run.model.steps == 1 and "Step: 1" in _html(rc)


def test_play_and_pause(page):
    run, rc = page
    _click(rc, "▶")
    assert run.playing
    rc.find(v.Btn, children=["Step"]).assert_single()
    assert rc.find(v.Btn, children=["Step"]).widget.disabled
    deadline = time.monotonic() + 20
    while run.model.steps < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    _click(rc, "❚❚")
    time.sleep(0.3)  # a redraw in flight may land
    n = run.model.steps
    time.sleep(0.5)
    assert n >= 3 and run.model.steps == n and not run.playing
    rc.find(v.Btn, children=["▶"]).assert_single()


def test_one_regime_and_things_to_try_tabs(page):
    rc = page[1]
    tabs = rc.find(v.Tabs).widget
    tabs.v_model = 1
    assert len(_images(rc)) == 2  # network and plots of one regime
    tabs.v_model = 2
    assert _images(rc) == []  # hidden tabs draw nothing
    shown = " ".join(_html(rc))
    for title in ("What is it?", "How it works", "How to use it", "Things to notice", "Things to try"):
        assert title in shown
    tabs.v_model = 0  # back: fresh widgets, still live
    before = _images(rc)
    for _ in range(2):
        _click(rc, "Step")
    assert len(before) == 3 and all(a != b for a, b in zip(_images(rc), before))


# ---------------------------------------------------------------------------- the Info text
def test_info_has_at_least_five_things_to_try_each_tied_to_a_claim():
    text = info_text()
    tries = text.split("## Things to try")[1]
    items = re.findall(r"(?m)^\d+\. (.+(?:\n   .+)*)", tries)
    assert len(items) >= 5
    for item in items:
        claims = [int(c) for c in re.findall(r"\bC(\d+)\b", item)]
        assert claims and all(1 <= c <= 14 for c in claims), item
        controls = {n.replace("_", " ") for n in KEYS} | {"delegation", "distributed", "hybrid"}
        assert any(c in item.lower() for c in controls), f"names no slider or regime: {item[:60]}"
    assert len(info_sections()) == 5


# ---------------------------------------------------------------------------- the command line
@pytest.mark.parametrize(
    "args, key",
    [
        (["--port", "70000"], "--port"),
        (["--port", "x"], "--port"),
        (["--size", "5"], "--size"),
        (["--bogus"], "--bogus"),
        (["--workers", "0"], "--workers"),
        (["--workers", "99"], "--workers"),
        (["--class", "--workers", "2"], "--workers"),
    ],
)
def test_bad_arguments_one_line_exit_2(args, key, capsys):
    with pytest.raises(SystemExit) as e:
        server.main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and key in err and "Traceback" not in err


def test_port_in_use_is_reported_not_crashed(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert server.main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(port) in err


def test_server_command_is_solara_production_without_telemetry():
    cmd = server.command("127.0.0.1", 8765)
    assert cmd[1:4] == ["-m", "solara", "run"] and "--production" in cmd and "--no-open" in cmd
    env = server.environment(100)
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false" and env["LEADSIM_APP_SIZE"] == "100"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == server.CULL_TIMEOUT
    assert "LEADSIM_APP_MODE" not in env


def test_server_constants_agree_with_the_app():
    from simulation.app import classroom

    assert APP_RANGES["organization.size"] == server.SIZE_RANGE
    assert server.SIZE_ENV == classroom.SIZE_ENV


def test_plan_for_workers_and_for_class_mode():
    p = server.plan(server.parse_args(["--port", "9000", "--workers", "3"]))
    assert [w["port"] for w in p["workers"]] == [9001, 9002, 9003]
    assert all(w["command"][-4:-2] == ["--port", str(w["port"])] for w in p["workers"])
    c = server.plan(server.parse_args(["--port", "9000", "--class"]))
    key = c["env"]["LEADSIM_APP_KEY"]
    assert c["env"]["LEADSIM_APP_MODE"] == "class" and len(key) >= 8
    assert [w["port"] for w in c["workers"]] == [9000]
    assert any(f"?teacher={key}" in line for line in c["ready"])
    assert server.plan(server.parse_args(["--class"]))["env"]["LEADSIM_APP_KEY"] != key  # new each start
