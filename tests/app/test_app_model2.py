"""The classroom app on Model 2, in process: the mechanism levers and the model1 switch,
informal roles on the network and in the "who is who" panel, and organisations read
from files (``leadsim-app --organisation``). Properties and equalities between two
paths only: the model's numbers change while Model 2 is built.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

solara = pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402

from simulation.app import classroom, informal, server  # noqa: E402
from simulation.app.classroom import (  # noqa: E402
    SLIDERS,
    ClassroomModel,
    build_config,
    live_numbers,
    organisations,
    series,
    user_params,
)
from simulation.app.components import numbers_table  # noqa: E402
from simulation.app.informal import EVERY, WINDOW, informal_roles, who_is_who_html  # noqa: E402
from simulation.app.pictures import NetworkPicture, layout  # noqa: E402
from simulation.hydra_config import compose_config  # noqa: E402
from simulation.organisations import load_organisation  # noqa: E402
from simulation.roles import ROLES, current_roles, who_is_who  # noqa: E402

KRACK = "krackhardt-1987"
needs_examples = pytest.mark.skipif(KRACK not in organisations(), reason="examples/organisations not shipped")


def _run(m, n):
    for _ in range(n):
        m.step()
    return m


# ---------------------------------------------------------------------------- Model 2's levers
def test_the_model2_levers_are_sliders_with_the_configs_keys():
    keys = {key for key, _ in SLIDERS["mechanisms"].values()}
    assert {"culture.trust_width", "coordination.diffusion", "coordination.load_awareness", "workload.rework"} <= keys
    assert user_params()["mechanisms"]["values"] == ["model2", "model1"]


def test_model1_switch_is_what_the_command_line_means_by_mechanisms_model1():
    """The app's model1 equals ``mechanisms=model1`` composed by Hydra, whatever the
    Model 2 sliders say; model2 leaves the sliders in charge."""
    app = build_config("distributed", 3, mechanisms="model1", trust_width=0.7, diffusion=1.5, rework=0.9)
    cli = compose_config(
        [
            "mechanisms=model1",
            "coordination=distributed",
            "seed=3",
            "steps=2000",
            "organization.size=60",
            "event_log=on",
        ]
    )
    assert dataclasses.asdict(app) == dataclasses.asdict(cli)
    m2 = build_config("distributed", 3, trust_width=0.7, diffusion=1.5, rework=0.9)
    assert (m2.culture.trust_width, m2.coordination.diffusion, m2.workload.rework) == (0.7, 1.5, 0.9)
    assert m2.culture.trust_update != app.culture.trust_update
    with pytest.raises(ValueError, match="mechanisms"):
        build_config("distributed", 1, mechanisms="model3")


def test_model1_in_the_app_runs_like_model1_from_the_api():
    from simulation.model import LeadershipModel

    a = _run(ClassroomModel(compare="none", seed=5, size=30, mechanisms="model1"), 60)
    cfg = compose_config(
        [
            "mechanisms=model1",
            "coordination=distributed",
            "seed=5",
            "steps=2000",
            "organization.size=30",
            "event_log=on",
        ]
    )
    b = _run(LeadershipModel(cfg), 60)
    assert a.recorder.rows == b.recorder.rows


def _shown(**kw) -> dict:
    m = _run(ClassroomModel(compare="none", seed=3, **kw), 150)
    return {k: float(x) for k, x in live_numbers(m).items()}


@pytest.mark.parametrize("lever, low, high", [("trust", 0.4, 0.8), ("clarity", 0.0, 1.0), ("trust_width", 0.0, 0.6)])
def test_moving_trust_or_clarity_changes_what_the_class_sees(lever, low, high):
    a, b = _shown(**{lever: low}), _shown(**{lever: high})
    moved = [k for k in a if k != "trust (mean)" and a[k] != b[k]]
    assert moved, f"{lever} {low} -> {high} changed nothing shown but mean trust: {a}"


def test_clarity_frames_tasks_so_fewer_are_contested_or_unowned():
    assert _shown(clarity=1.0)["contested or unowned"] < _shown(clarity=0.0)["contested or unowned"]


def test_role_ambiguity_shown_is_lived_ambiguity_not_the_old_measure():
    m = _run(ClassroomModel(compare="none", seed=3, clarity=0.0), 80)
    ts, shown = m.timeseries, live_numbers(m)
    np.testing.assert_allclose(series(m)["role_ambiguity"], ts["role_ambiguity"])
    assert shown["role ambiguity"] == pytest.approx(ts["role_ambiguity"].iloc[-1])
    assert shown["contested or unowned"] == pytest.approx(ts["contested_or_unowned"].iloc[-1])
    assert ts["role_ambiguity"].iloc[-1] != ts["contested_or_unowned"].iloc[-1]  # two measures
    assert "contested or unowned" in numbers_table([m])


# ---------------------------------------------------------------------------- informal roles
def test_roles_are_recomputed_every_few_steps_not_every_frame():
    m = ClassroomModel(compare="none", seed=2)
    assert informal_roles(m).top is None  # step 0: nobody yet ...
    assert _run(m, 1) and informal_roles(m).step == 1  # ... not kept for EVERY steps
    _run(m, 29)
    first = informal_roles(m)
    _run(m, EVERY - 1)
    assert informal_roles(m) is first  # cached within EVERY steps
    _run(m, 1)
    again = informal_roles(m)
    assert again is not first and again.step == m.steps


def test_roles_marked_are_the_roles_api_answer():
    m = _run(ClassroomModel(compare="none", seed=2, size=40), 120)
    info = informal_roles(m)
    expected = current_roles(m, window=WINDOW)
    assert {p: set(r) for p, r in info.held.items()} == expected and expected
    pic = NetworkPicture(m)
    holders = pic.mark_informal(m)
    for role in ROLES:
        got = set(holders[role].tolist())
        assert got == {p for p, r in expected.items() if role in r}, role
        offsets = pic.informal[role].get_offsets()
        assert len(offsets) == len(got)
        if len(got):  # just outside each holder's dot
            d = np.hypot(*(offsets - pic.pos[holders[role]]).T)
            assert (d > 0).all() and (d < 0.3).all()


def test_who_is_who_names_the_top_people_of_the_roles_api():
    m = _run(ClassroomModel(compare="none", seed=2, size=40), 120)
    text = who_is_who_html(m)
    top = who_is_who(m, 3, window=WINDOW)
    assert len(top) > 0
    for person in top.person:
        assert f"<b>#{person}</b>" in text
    for role in ROLES:
        assert informal.style(role)[0] in text
    fresh = ClassroomModel(compare="none")
    assert "Nobody yet" in who_is_who_html(fresh)


@needs_examples
def test_who_is_who_names_people_by_their_ids_in_the_files():
    m = _run(ClassroomModel(compare="none", organisation=KRACK, seed=1), 120)
    ids = load_organisation(organisations()[KRACK]).ids
    top = who_is_who(m, 3, window=WINDOW)
    assert len(top) > 0
    text = who_is_who_html(m)
    assert all(f"<b>{ids[p]}</b>" in text for p in top.person)


# ---------------------------------------------------------------------------- organisations
@needs_examples
def test_a_loaded_organisation_is_the_files_network_in_both_models():
    m = ClassroomModel(organisation=KRACK, compare="delegation")
    data = load_organisation(organisations()[KRACK])
    for model in (m, m.twin):
        tn = model.trust
        pairs = {(a, b) for a, b in zip(tn.src.tolist(), tn.dst.tolist()) if a < b}
        assert pairs == set(map(tuple, data.edges.tolist()))
        assert model.cfg.organization.size == data.n and model.cfg.organization.network == "from_files"
    assert np.array_equal(layout(m), layout(m.twin))
    pos = layout(m)
    r = np.hypot(pos[:, 0], pos[:, 1])
    assert r.min() >= 0.39 and r.max() <= 1.0 + 1e-9  # clear of the leader, inside the frame
    assert layout(_run(ClassroomModel(organisation=KRACK, compare="none", seed=9), 5)) is pos  # once


def test_unknown_organisation_is_refused_by_name():
    with pytest.raises(ValueError, match="organisation"):
        ClassroomModel(organisation="nowhere")


def test_organisation_given_on_the_command_line_is_offered_and_opened(tmp_path, monkeypatch):
    org = tmp_path / "acme"
    org.mkdir()
    (org / "people.csv").write_text("id,team\nana,a\nben,a\ncleo,b\ndev,b\n")
    (org / "ties.csv").write_text("source,target\nana,ben\nben,cleo\ncleo,dev\ndev,ana\n")
    args = server.parse_args(["--organisation", str(org)])
    env = server.plan(args)["env"]
    assert env[server.ORGANISATION_ENV] == str(org.resolve())
    monkeypatch.setenv(classroom.ORGANISATION_ENV, env[server.ORGANISATION_ENV])
    assert list(organisations())[:2] == ["generated", "acme"]
    assert user_params()["organisation"]["value"] == "acme"
    m = _run(ClassroomModel(organisation="acme", compare="none"), 3)
    assert m.cfg.organization.size == 4 and m.cfg.organization.path == str(org.resolve())


@pytest.mark.parametrize(
    "files",
    [None, {"people.csv": "id\nana\nana\n", "ties.csv": "source,target\nana,ana\n"}, {"people.csv": "id\nana\nben\n"}],
)
def test_bad_organisation_folder_one_line_exit_2(files, tmp_path, capsys):
    folder = tmp_path / "org"
    if files is not None:
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
    with pytest.raises(SystemExit) as e:
        server.main(["--organisation", str(folder)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "--organisation" in err and "Traceback" not in err


def test_server_and_app_agree_on_the_organisation_variable():
    assert server.ORGANISATION_ENV == classroom.ORGANISATION_ENV


# ---------------------------------------------------------------------------- the page
@pytest.fixture
def page():
    from simulation.app.app import Page, initial_model
    from simulation.app.session import Run

    run = Run(initial_model())
    _, rc = solara.render(solara.AppLayout(children=[Page(run=run)]), handle_error=False)
    # the teacher opens the parameters (their widgets are built only then)
    rc.find(v.ExpansionPanels, class_="leadsim-parameters").widget.v_model = 0
    yield run, rc
    rc.close()
    run.close()


def _slider(rc, start: str):
    (w,) = [s for s in rc.find(v.Slider).widgets if s.label.startswith(start)]
    return w


def test_model1_greys_out_the_model2_levers_and_reset_applies_it(page):
    run, rc = page
    assert not _slider(rc, "Mechanisms: trust width").disabled
    rc.find(v.Select, label=user_params()["mechanisms"]["label"]).widget.v_model = "model1"
    assert _slider(rc, "Mechanisms: trust width").disabled and _slider(rc, "Mechanisms: rework").disabled
    assert not _slider(rc, "Culture: trust").disabled
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert run.model.cfg.culture.trust_update == "legacy" and run.model.twin.cfg.workload.rework == 0


@needs_examples
def test_choosing_an_organisation_greys_out_size_and_reset_loads_it(page):
    run, rc = page
    rc.find(v.Select, label=user_params()["organisation"]["label"]).widget.v_model = KRACK
    assert _slider(rc, "Organisation: size").disabled
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert run.model.cfg.organization.network == "from_files" and run.model.cfg.organization.size == 21


def test_who_is_who_panel_updates_as_the_run_goes(page):
    run, rc = page
    panel = lambda: [
        w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if "updated every" in w.unsafe_innerHTML
    ]
    assert len(panel()) == 1 and "Nobody yet" in panel()[0]
    rc.find(v.CardTitle, children=["Who is who (informal roles)"]).assert_single()
    for _ in range(EVERY + 2):
        rc.find(v.Btn, children=["Step"]).widget.click()
    (text,) = panel()
    assert "Nobody yet" not in text and "informal leader" in text
    as_of = int(re.search(r"as of step (\d+)", text).group(1))
    assert 0 < as_of <= run.model.steps < as_of + EVERY


def test_things_to_try_has_an_informal_roles_entry():
    from simulation.app.info import info_text

    tries = info_text().split("## Things to try")[1]
    items = re.findall(r"(?m)^\d+\. (.+(?:\n {3,4}.+)*)", tries)
    roles = [i for i in items if "Who is who" in i and ("C3" in i or "C14" in i)]
    assert roles and "clarity" in roles[0] and "feedback" in roles[0]
