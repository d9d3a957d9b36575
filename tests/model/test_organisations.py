"""Real organisations from files (simulation/organisations.py): each format, the shipped
examples against their sources, every bad-file case (as a ConfigError and through the
real command: exit 2, one line, nothing written), and properties of any valid folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import config as simconfig
from simulation.config import ConfigError
from simulation.organisations import load_organisation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "organisations"
KRACK = EXAMPLES / "krackhardt-1987"
SYNTH = EXAMPLES / "synthetic"
INTEGRATED = "from_files" in simconfig.NETWORKS
needs_model = pytest.mark.skipif(not INTEGRATED, reason="the model does not read organization=from_files yet")


def folder(tmp_path: Path, files: dict[str, str | bytes], base: Path | None = SYNTH) -> Path:
    """A copy of ``base`` (its files only) with ``files`` written over it (None deletes)."""
    d = tmp_path / "org"
    d.mkdir(parents=True)
    if base is not None:
        for p in base.iterdir():
            if p.is_file():
                shutil.copyfile(p, d / p.name)
    for name, text in files.items():
        if text is None:
            (d / name).unlink()
        elif isinstance(text, bytes):
            (d / name).write_bytes(text)
        else:
            (d / name).write_text(text)
    return d


# --- the shipped examples ---------------------------------------------------------------


def _krack_pairs(name):
    d = pd.read_csv(
        KRACK / f"Krack-High-Tec-edgelist-{name}.txt", sep=r"\s+", header=None, names=["ego", "alter", "tie"]
    )
    return d[d.tie == 1]


def test_krackhardt_network_and_attributes_as_in_the_source():
    o = load_organisation(KRACK)
    attrs = pd.read_csv(KRACK / "Krack-High-Tec-Attributes.csv")
    assert o.n == 21 and o.ids == [str(i) for i in attrs.ID]
    idx = {pid: i for i, pid in enumerate(o.ids)}
    advice, reports = _krack_pairs("Advice"), _krack_pairs("ReportsTo")
    assert len(advice) == 190 and len(reports) == 20
    # Reports-to is the org chart; the CEO (7) reports to nobody and is the formal leader.
    want = np.full(21, -1)
    for ego, alter in zip(reports.ego, reports.alter):
        want[idx[str(ego)]] = idx[str(alter)]
    assert (o.manager == want).all() and o.manager[idx["7"]] == -1
    assert o.leaders == [idx["7"]]
    # Departments are teams; the CEO's department 0 is no team.
    for dept, t in zip(attrs.DEPT, o.team):
        assert (t == -1) if dept == 0 else o.team_names[t] == f"dept {dept}"
    assert sorted(o.team_names) == [f"dept {k}" for k in (1, 2, 3, 4)]
    # Communication: advice ties (either direction) plus reports-to ties, undirected.
    und = {tuple(sorted((idx[str(a)], idx[str(b)]))) for a, b in zip(advice.ego, advice.alter)}
    und |= {tuple(sorted((idx[str(a)], idx[str(b)]))) for a, b in zip(reports.ego, reports.alter)}
    assert set(map(tuple, o.edges.tolist())) == und
    # Every advice tie is a prior of trust, seeker -> adviser; nothing else is.
    assert set(o.trust) == {(idx[str(a)], idx[str(b)]) for a, b in zip(advice.ego, advice.alter)}
    assert set(o.trust.values()) == {0.8}
    # Friendship is read (for analysis) but not part of the network.
    assert (o.ties.kind == "friendship").sum() == 102 and (o.ties.kind == "advice").sum() == 190
    for col, src in (("age", "AGE"), ("tenure", "TENURE"), ("department", "DEPT")):
        np.testing.assert_allclose(o.attributes[col].to_numpy(float), attrs[src].to_numpy(float))
    assert (o.attributes.level == attrs.LEVEL.map({1: "CEO", 2: "vice president", 3: "manager"}).to_numpy()).all()
    assert o.domains == [] and o.competence.shape == (21, 0)
    assert o.sources == {
        "competence": "config",
        "capacity": "config",
        "initiative": "config",
        "trust": "data",
        "team": "data",
        "manager": "data",
    }


def test_krackhardt_leadsim_files_are_what_the_script_makes(tmp_path):
    """The committed people.csv/ties.csv/organization.yaml are the script's output."""
    copy = tmp_path / "organisations"
    shutil.copytree(EXAMPLES, copy)
    subprocess.run([sys.executable, str(copy / "make_leadsim_files.py")], check=True)
    for name in ("people.csv", "ties.csv", "organization.yaml"):
        assert (copy / "krackhardt-1987" / name).read_text() == (KRACK / name).read_text()
    for name in ("network.graphml", "people.csv"):
        assert (copy / "synthetic/graphml" / name).read_text() == (SYNTH / "graphml" / name).read_text()


def test_synthetic_example_every_column():
    o = load_organisation(SYNTH)
    i = {pid: k for k, pid in enumerate(o.ids)}
    assert o.n == 12 and o.team_names == ["product", "sales"] and o.team[i["ana"]] == -1
    assert o.manager[i["cleo"]] == i["ben"] and o.manager[i["ana"]] == -1
    assert o.capacity[i["ana"]] == 3 and o.capacity[i["dev"]] == -1
    assert o.initiative[i["kim"]] == 0.9 and np.isnan(o.initiative[i["eva"]])
    # Wide columns first, then new domains from skills.csv; NaN where nobody said.
    assert o.domains == ["product", "sales", "support"]
    c = dict(zip(o.domains, o.competence[i["dev"]]))
    assert c["product"] == 0.6 and c["sales"] == 0.35 and np.isnan(c["support"])
    assert o.competence[i["lea"], 2] == 0.8
    assert o.leaders == [i["ana"]] and o.leader_capacity == 2
    # Explicit trust wins over the advice prior; friends are not in the network.
    assert o.trust[(i["cleo"], i["ben"])] == 0.9 and o.trust[(i["dev"], i["ben"])] == 0.8
    assert o.trust[(i["finn"], i["ben"])] == 0.5
    assert (i["ben"], i["finn"]) not in o.trust  # directed: only finn's trust in ben
    assert (min(i["kim"], i["lea"]), max(i["kim"], i["lea"])) not in set(map(tuple, o.edges.tolist()))
    # org_chart_ties: everyone is connected with their manager.
    edges = set(map(tuple, o.edges.tolist()))
    assert all(tuple(sorted((k, o.manager[k]))) in edges for k in range(o.n) if o.manager[k] >= 0)
    assert list(o.attributes.columns) == ["role", "years"] and o.attributes.loc["kim", "years"] == 0


def test_graphml_and_ties_csv_give_the_same_organisation():
    a, b = load_organisation(SYNTH), load_organisation(SYNTH / "graphml")
    assert a.ids == b.ids and (a.edges == b.edges).all() and a.trust == b.trust
    np.testing.assert_array_equal(a.competence, b.competence)


def test_wide_and_long_competence_are_the_same(tmp_path):
    people = "id,competence.x,competence.y\na,0.1,0.2\nb,,0.4\n"
    long = "id,domain,competence\na,x,0.1\na,y,0.2\nb,y,0.4\n"
    ties = "source,target\na,b\n"
    w = load_organisation(folder(tmp_path / "w", {"people.csv": people, "ties.csv": ties}, None))
    lg = load_organisation(
        folder(tmp_path / "l", {"people.csv": "id\na\nb\n", "skills.csv": long, "ties.csv": ties}, None)
    )
    assert w.domains == lg.domains == ["x", "y"]
    np.testing.assert_array_equal(w.competence, lg.competence)


def test_undirected_ties_trust_both_ways_and_minimal_folder(tmp_path):
    d = folder(
        tmp_path,
        {
            "people.csv": "id\n1\n2\n3\n",
            "ties.csv": "source,target,trust\n1,2,0.3\n2,3,\n",
            "organization.yaml": "directed: false\n",
        },
        None,
    )
    o = load_organisation(d)
    assert o.trust == {(0, 1): 0.3, (1, 0): 0.3}
    assert o.edges.tolist() == [[0, 1], [1, 2]] and o.leaders == [] and o.leader_capacity is None
    assert (o.team == -1).all() and (o.manager == -1).all() and o.sources["team"] == "config"
    assert o.sources["trust"] == "data" and o.attributes.shape == (3, 0)


def test_cached_until_a_file_changes(tmp_path):
    d = folder(tmp_path, {})
    a = load_organisation(d)
    assert load_organisation(str(d)) is a
    with pytest.raises(ValueError):
        a.edges[0, 0] = 5  # shared through the cache, so read-only
    text = (d / "people.csv").read_text().replace("ana,,,3", "ana,,,4")
    (d / "people.csv").write_text(text)
    b = load_organisation(d)
    assert b is not a and b.capacity[0] == 4


# --- bad files ------------------------------------------------------------------------

PEOPLE = (SYNTH / "people.csv").read_text()
TIES = (SYNTH / "ties.csv").read_text()
BAD = {
    "competence out of range": (
        {"people.csv": PEOPLE.replace("cleo,product,ben,2,0.4,0.7", "cleo,product,ben,2,0.4,1.3")},
        "people.csv line 4, column competence.product: must be in [0, 1], got 1.3",
    ),
    "unknown id in ties": (
        {"ties.csv": TIES + "zoe,ben,advice,\n"},
        "ties.csv line 26, column source: unknown id 'zoe'",
    ),
    "duplicate id": (
        {"people.csv": PEOPLE + "ben,sales,ana,2,0.5,0.5,0.5,x,1\n"},
        "people.csv line 14, column id: duplicate id 'ben' (first on line 3)",
    ),
    "manager cycle": (
        {"people.csv": PEOPLE.replace("ana,,,3", "ana,,lea,3")},
        "people.csv line 2, column manager: the org chart has a cycle: ana -> lea -> ana",
    ),
    "self manager": ({"people.csv": PEOPLE.replace("ana,,,3", "ana,,ana,3")}, "cycle: ana -> ana"),
    "unknown manager": (
        {"people.csv": PEOPLE.replace("hugo,sales,gita", "hugo,sales,gina")},
        "people.csv line 9, column manager: unknown id 'gina'",
    ),
    "empty file": ({"people.csv": ""}, "people.csv: the file is empty"),
    "header only": ({"ties.csv": "source,target\n"}, "ties.csv: no rows after the header"),
    "not utf-8": (
        {"people.csv": PEOPLE.replace("lea,", "l\u00e9a,").encode("latin-1")},
        "people.csv line 13: not UTF-8 text (byte 0xe9)",
    ),
    "no id column": ({"people.csv": PEOPLE.replace("id,team", "name,team", 1)}, "people.csv line 1: no 'id' column"),
    "non-numeric capacity": (
        {"people.csv": PEOPLE.replace("ana,,,3", "ana,,,three")},
        "people.csv line 2, column capacity: must be an integer in [1, 100], got 'three'",
    ),
    "non-numeric trust": (
        {"ties.csv": TIES.replace("0.9", "high")},
        "ties.csv line 3, column trust: must be a number in [0, 1], got 'high'",
    ),
    "self tie": ({"ties.csv": TIES + "ben,ben,advice,\n"}, "ties.csv line 26: source and target are the same person"),
    "ragged row": ({"people.csv": PEOPLE + "zed,sales\n"}, "people.csv line 14: 2 values for 9 columns"),
    "skills unknown id": (
        {"skills.csv": "id,domain,competence\nzed,sales,0.5\n"},
        "skills.csv line 2, column id: unknown id 'zed'",
    ),
    "skills twice": (
        {"skills.csv": "id,domain,competence\ndev,sales,0.3\ncleo,sales,0.5\n"},
        "skills.csv line 3: competence of 'cleo' in 'sales' is also in people.csv",
    ),
    "no people": ({"people.csv": None}, "people.csv not found"),
    "no ties": ({"ties.csv": None}, "no ties: ties.csv"),
    "two tie files": (
        {"net.graphml": (SYNTH / "graphml/network.graphml").read_text()},
        "give the ties in one file, ties.csv or one .graphml file; found ties.csv, net.graphml",
    ),
    "yaml unknown key": ({"organization.yaml": "leader: [ana]\n"}, "organization.yaml, key leader: unknown key"),
    "yaml unknown leader": (
        {"organization.yaml": "leaders: [zoe]\n"},
        "organization.yaml, key leaders: unknown id 'zoe'",
    ),
    "yaml syntax": ({"organization.yaml": "leaders: [ana\n"}, "organization.yaml line 2: not valid YAML"),
    "yaml unknown kind": (
        {"organization.yaml": "communication: [email]\n"},
        "organization.yaml, key communication: no ties of kind 'email'",
    ),
    "graphml unknown id": (
        {
            "ties.csv": None,
            "n.graphml": (SYNTH / "graphml/network.graphml").read_text().replace('target="gita"', 'target="gina"'),
        },
        "unknown id 'gina'",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_file_is_one_line_naming_file_line_and_column(case, tmp_path):
    files, expected = BAD[case]
    with pytest.raises(ConfigError) as err:
        load_organisation(folder(tmp_path, files))
    msg = str(err.value)
    assert err.value.key == "organization.path" and "\n" not in msg
    assert expected in msg, msg


def test_not_a_folder(tmp_path):
    with pytest.raises(ConfigError, match="is not a folder"):
        load_organisation(tmp_path / "nowhere")


def _leadsim(*args, cwd):
    exe = Path(sys.executable).parent / "leadsim"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "simulation"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, cwd=cwd, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )


FAST = ("steps=60", "warmup=10")


@needs_model
@pytest.mark.parametrize(
    "case",
    [
        "competence out of range",
        "unknown id in ties",
        "duplicate id",
        "manager cycle",
        "empty file",
        "not utf-8",
        "no id column",
        "non-numeric capacity",
        "yaml unknown leader",
    ],
)
def test_bad_file_through_the_real_command(case, tmp_path):
    files, expected = BAD[case]
    d = folder(tmp_path, files)
    out = tmp_path / "run"
    r = _leadsim("organization=from_files", f"organization.path={d}", f"hydra.run.dir={out}", *FAST, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("leadsim: error: organization.path: ") and expected in lines[0]
    assert not out.exists() and not (tmp_path / "outputs").exists()


@needs_model
def test_the_example_runs_through_the_command_and_records_its_sources(tmp_path):
    import yaml

    out = tmp_path / "run"
    r = _leadsim("organization=from_files", f"organization.path={KRACK}", f"hydra.run.dir={out}", *FAST, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (out / "metrics.json").is_file()
    text = (out / "config.yaml").read_text()
    cfg = yaml.safe_load(text)
    assert cfg["organization"]["network"] == "from_files" and cfg["organization"]["size"] == 21
    assert cfg["organization_data"]["trust"] == "data" and cfg["organization_data"]["competence"] == "config"


@needs_model
def test_the_run_records_which_values_came_from_data():
    import simulation
    from simulation.runner import resolved_config

    r = simulation.run(["organization=from_files", f"organization.path={KRACK}"], steps=30, warmup=5)
    assert resolved_config(r.config)["organization_data"] == load_organisation(KRACK).sources


@needs_model
def test_example_runs_through_the_python_api_reproducibly():
    import simulation

    args = (["organization=from_files", f"organization.path={KRACK}"],)
    a = simulation.run(*args, seed=3, steps=60, warmup=10)
    b = simulation.run(*args, seed=3, steps=60, warmup=10)
    assert json.dumps(a.metrics) == json.dumps(b.metrics) and a.metrics["tasks_arrived"] > 0


# --- properties -----------------------------------------------------------------------


@st.composite
def organisations(draw):
    n = draw(st.integers(2, 12))
    ids = [f"p{k}" for k in draw(st.permutations(range(n)))]
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda t: t[0] != t[1]),
            min_size=1,
            max_size=30,
            unique=True,
        )
    )
    trust = draw(st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=len(pairs), max_size=len(pairs)))
    directed = draw(st.booleans())
    return ids, pairs, trust, directed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(organisations())
def test_any_valid_folder_gives_a_consistent_organisation(tmp_path_factory, org):
    ids, pairs, trust, directed = org
    d = tmp_path_factory.mktemp("org")
    (d / "people.csv").write_text("id\n" + "\n".join(ids) + "\n")
    (d / "ties.csv").write_text(
        "source,target,trust\n"
        + "".join(f"{ids[a]},{ids[b]},{'' if t is None else repr(t)}\n" for (a, b), t in zip(pairs, trust))
    )
    (d / "organization.yaml").write_text(f"directed: {str(directed).lower()}\n")
    o = load_organisation(d)
    e = o.edges
    assert e.dtype == np.int64 and e.shape[1] == 2 and (e[:, 0] < e[:, 1]).all()
    assert len({tuple(x) for x in e.tolist()}) == len(e)
    assert {tuple(x) for x in e.tolist()} == {tuple(sorted(p)) for p in pairs}
    g = nx.Graph(e.tolist())
    assert all(g.has_edge(a, b) and 0 <= t <= 1 for (a, b), t in o.trust.items())
    for (a, b), t in zip(pairs, trust):
        if t is not None:
            assert (a, b) in o.trust
            if not directed:
                assert (b, a) in o.trust
    assert o.n == len(ids) and o.ids == ids
