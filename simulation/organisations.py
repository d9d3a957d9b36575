"""A real organisation read from a folder of files (``organization.network=from_files``).

The folder holds ``people.csv`` (one row per person), the ties between them in
``ties.csv`` or one GraphML file, and optionally ``skills.csv`` (competence in long
format) and ``organization.yaml`` (formal leaders and how to read the ties). File
formats and their meaning: docs/organisations.md.

Every problem with a file is a :class:`~simulation.config.ConfigError` on the key
``organization.path`` whose message is one line naming the file, the line and the
column and what is allowed, so that the command line stops with exit code 2 before
anything is written, exactly as for a bad parameter. Values the files leave out are
NaN or -1 here; the model draws them from the configured distributions.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .config import ConfigError

KEY = "organization.path"
PEOPLE, SKILLS, TIES, ORG = "people.csv", "skills.csv", "ties.csv", "organization.yaml"
COMPETENCE = "competence."
KNOWN = ("id", "team", "manager", "capacity", "initiative")
#: organization.yaml: key -> default. ``advice_kind`` ties say "source seeks advice from target".
ORG_KEYS = {
    "leaders": [],
    "leader_capacity": None,
    "directed": True,
    "communication": None,
    "org_chart_ties": False,
    "advice_kind": "advice",
    "advice_trust": 0.8,
}
SOURCED = ("competence", "capacity", "initiative", "trust", "team", "manager")


@dataclass(frozen=True, eq=False)
class Organisation:
    """The people of a real organisation and the ties between them (row i = person i).

    Arrays are read-only because loaded organisations are cached and shared.
    """

    ids: list[str]
    n: int
    edges: np.ndarray  # (m, 2) int64, undirected, i < j, unique
    trust: dict  # (i, j) -> how much i trusts j, only where the data say
    team: np.ndarray  # int64, -1 unknown
    team_names: list[str]
    manager: np.ndarray  # int64 index of the manager, -1 none
    competence: np.ndarray  # (n, d_data), NaN missing
    domains: list[str]
    capacity: np.ndarray  # int64, -1 missing
    initiative: np.ndarray  # float, NaN missing
    leaders: list[int]
    leader_capacity: int | None
    attributes: pd.DataFrame  # the other columns of people.csv, indexed by id
    sources: dict  # SOURCED item -> "data" | "config"
    ties: pd.DataFrame = field(repr=False, default=None)  # every tie read: source, target, kind, trust


def _fail(message: str):
    raise ConfigError(KEY, message)


_cache: dict = {}


def load_organisation(path: str | os.PathLike) -> Organisation:
    """Read the folder ``path``; cached on the resolved path and the files' mtimes and sizes."""
    folder = Path(path).expanduser()
    if not str(path):
        _fail("is empty; give the folder that holds people.csv and ties.csv")
    if not folder.is_dir():
        _fail(f"{str(path)!r} is not a folder; give the folder that holds people.csv and ties.csv")
    folder = folder.resolve()
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()))
    key = (str(folder), stamp)
    if key not in _cache:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = _load(folder)
    return _cache[key]


# --- reading text ---------------------------------------------------------------------


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        _fail(f"{path.name} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8")
    if not text.strip():
        _fail(f"{path.name}: the file is empty")
    return text


def _rows(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (line number, row) pairs of a CSV file; blank lines skipped."""
    reader = csv.reader(io.StringIO(_text(path), newline=""))
    header = [h.strip() for h in next(reader)]
    for name in required:
        if name not in header:
            _fail(f"{path.name} line 1: no {name!r} column; columns found: {', '.join(header)}")
    seen = set()
    for h in header:
        if not h or h in seen:
            _fail(f"{path.name} line 1: {'an empty' if not h else 'a repeated'} column name {h!r}")
        seen.add(h)
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            _fail(f"{path.name} line {reader.line_num}: {len(cells)} values for {len(header)} columns")
        rows.append((reader.line_num, {h: c.strip() for h, c in zip(header, cells)}))
    if not rows:
        _fail(f"{path.name}: no rows after the header")
    return header, rows


def _number(fname, line, col, text, lo, hi, integer=False) -> float:
    """A cell as a number in [lo, hi]; an empty cell is NaN (missing)."""
    if text == "":
        return math.nan
    kind = "an integer" if integer else "a number"
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not math.isfinite(x) or (integer and not x.is_integer()):
        _fail(f"{fname} line {line}, column {col}: must be {kind} in [{lo}, {hi}], got {text!r}")
    if not lo <= x <= hi:
        _fail(f"{fname} line {line}, column {col}: must be in [{lo}, {hi}], got {text}")
    return x


def _person(index, fname, line, col, text):
    if text not in index:
        _fail(f"{fname} line {line}, column {col}: unknown id {text!r} (not an id in {PEOPLE})")
    return index[text]


# --- the folder -----------------------------------------------------------------------


def _load(folder: Path) -> Organisation:
    if not (folder / PEOPLE).is_file():
        _fail(f"{PEOPLE} not found in {folder.name!r}; it is required (one row per person, column 'id')")
    spec = _org_yaml(folder / ORG)
    header, rows = _rows(folder / PEOPLE, ("id",))
    ids, index = [], {}
    for line, r in rows:
        pid = r["id"]
        if not pid:
            _fail(f"{PEOPLE} line {line}, column id: empty id")
        if pid in index:
            _fail(f"{PEOPLE} line {line}, column id: duplicate id {pid!r} (first on line {rows[index[pid]][0]})")
        index[pid] = len(ids)
        ids.append(pid)
    n = len(ids)
    sources = dict.fromkeys(SOURCED, "config")

    team = np.full(n, -1, dtype=np.int64)
    team_names: list[str] = []
    if "team" in header:
        for i, (_, r) in enumerate(rows):
            if r["team"]:
                if r["team"] not in team_names:
                    team_names.append(r["team"])
                team[i] = team_names.index(r["team"])
        sources["team"] = "data" if team_names else "config"

    manager = np.full(n, -1, dtype=np.int64)
    if "manager" in header:
        for i, (line, r) in enumerate(rows):
            if r["manager"]:
                manager[i] = _person(index, PEOPLE, line, "manager", r["manager"])
        _check_no_cycle(manager, ids, rows)
        sources["manager"] = "data" if (manager >= 0).any() else "config"

    capacity = np.full(n, -1, dtype=np.int64)
    initiative = np.full(n, np.nan)
    for col, lo, hi, integer, out in (("capacity", 1, 100, True, capacity), ("initiative", 0, 1, False, initiative)):
        if col in header:
            for i, (line, r) in enumerate(rows):
                x = _number(PEOPLE, line, col, r[col], lo, hi, integer)
                if not math.isnan(x):
                    out[i] = x
            sources[col] = "data" if ((out >= 0) if integer else ~np.isnan(out)).any() else "config"

    domains = [h[len(COMPETENCE) :] for h in header if h.startswith(COMPETENCE)]
    if any(not d for d in domains):
        _fail(f"{PEOPLE} line 1: a competence column needs a domain name, e.g. competence.sales")
    comp = np.full((n, len(domains)), np.nan)
    for i, (line, r) in enumerate(rows):
        for k, d in enumerate(domains):
            comp[i, k] = _number(PEOPLE, line, COMPETENCE + d, r[COMPETENCE + d], 0, 1)
    if (folder / SKILLS).is_file():
        comp, domains = _skills(folder / SKILLS, index, comp, domains)
    sources["competence"] = "data" if (~np.isnan(comp)).any() else "config"

    ties = _read_ties(folder, index, spec)
    edges, trust = _network(ties, manager, spec, n)
    sources["trust"] = "data" if trust else "config"

    leaders = []
    for pid in spec["leaders"]:
        if pid not in index:
            _fail(f"{ORG}, key leaders: unknown id {pid!r} (not an id in {PEOPLE})")
        leaders.append(index[pid])
    other = [h for h in header if h not in KNOWN and not h.startswith(COMPETENCE)]
    attributes = pd.DataFrame({h: _column([r[h] for _, r in rows]) for h in other}, index=pd.Index(ids, name="id"))
    for a in (edges, team, manager, comp, capacity, initiative):
        a.flags.writeable = False
    return Organisation(
        ids=ids,
        n=n,
        edges=edges,
        trust=trust,
        team=team,
        team_names=team_names,
        manager=manager,
        competence=comp,
        domains=domains,
        capacity=capacity,
        initiative=initiative,
        leaders=leaders,
        leader_capacity=spec["leader_capacity"],
        attributes=attributes,
        sources=sources,
        ties=ties,
    )


def _column(values: list[str]) -> pd.Series:
    """Numbers as numbers where the whole column is numeric; text otherwise."""
    s = pd.Series(values, dtype=object).replace("", None)
    num = pd.to_numeric(s, errors="coerce")
    return (num if num.notna().sum() == s.notna().sum() else s).to_numpy()


def _check_no_cycle(manager: np.ndarray, ids: list[str], rows) -> None:
    state = np.zeros(len(ids), dtype=np.int8)  # 0 unseen, 1 on the current path, 2 done
    for start in range(len(ids)):
        path, i = [], start
        while i >= 0 and state[i] == 0:
            state[i] = 1
            path.append(i)
            i = manager[i]
        if i >= 0 and state[i] == 1:
            loop = [*path[path.index(i) :], i]
            _fail(
                f"{PEOPLE} line {rows[i][0]}, column manager: the org chart has a cycle: "
                + " -> ".join(ids[j] for j in loop)
            )
        state[path] = 2


def _skills(path: Path, index: dict, comp: np.ndarray, domains: list[str]):
    _, rows = _rows(path, ("id", "domain", "competence"))
    domains = list(domains)
    extra: dict[tuple[int, str], tuple[float, int]] = {}
    for line, r in rows:
        i = _person(index, SKILLS, line, "id", r["id"])
        if not r["domain"]:
            _fail(f"{SKILLS} line {line}, column domain: empty domain")
        x = _number(SKILLS, line, "competence", r["competence"], 0, 1)
        key = (i, r["domain"])
        if key in extra:
            _fail(
                f"{SKILLS} line {line}: competence of {r['id']!r} in {r['domain']!r} given twice "
                f"(first on line {extra[key][1]})"
            )
        if r["domain"] in domains[: comp.shape[1]] and not np.isnan(comp[i, domains.index(r["domain"])]):
            _fail(
                f"{SKILLS} line {line}: competence of {r['id']!r} in {r['domain']!r} is also in {PEOPLE}; "
                "give it in one file"
            )
        extra[key] = (x, line)
        if r["domain"] not in domains:
            domains.append(r["domain"])
    out = np.full((comp.shape[0], len(domains)), np.nan)
    out[:, : comp.shape[1]] = comp
    for (i, d), (x, _) in extra.items():
        out[i, domains.index(d)] = x
    return out, domains


def _org_yaml(path: Path) -> dict:
    spec = {k: (list(v) if isinstance(v, list) else v) for k, v in ORG_KEYS.items()}
    if not path.is_file():
        return spec
    try:
        data = yaml.safe_load(_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        _fail(f"{ORG}{where}: not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})")
    if not isinstance(data, dict):
        _fail(f"{ORG}: must be a mapping of keys ({', '.join(ORG_KEYS)})")
    for k, v in data.items():
        if k not in ORG_KEYS:
            _fail(f"{ORG}, key {k}: unknown key; allowed: {', '.join(ORG_KEYS)}")
        spec[k] = v
    leaders = spec["leaders"]
    if leaders is None:
        leaders = []
    if not isinstance(leaders, list):
        leaders = [leaders]
    spec["leaders"] = [str(x) for x in leaders]
    cap = spec["leader_capacity"]
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or not 0 <= cap <= 1_000_000):
        _fail(f"{ORG}, key leader_capacity: must be an integer in [0, 1000000], got {cap!r}")
    for k in ("directed", "org_chart_ties"):
        if not isinstance(spec[k], bool):
            _fail(f"{ORG}, key {k}: must be true or false, got {spec[k]!r}")
    t = spec["advice_trust"]
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not 0 <= t <= 1:
        _fail(f"{ORG}, key advice_trust: must be a number in [0, 1], got {t!r}")
    comm = spec["communication"]
    if comm is not None:
        comm = [comm] if isinstance(comm, str) else comm
        if not isinstance(comm, list) or not comm:
            _fail(f"{ORG}, key communication: must be a list of tie kinds, got {spec['communication']!r}")
        spec["communication"] = [str(c) for c in comm]
    return spec


# --- ties -----------------------------------------------------------------------------


def _read_ties(folder: Path, index: dict, spec: dict) -> pd.DataFrame:
    """Every tie as a row (source, target, kind, trust, directed), by person index."""
    graphml = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".graphml")
    has_csv = (folder / TIES).is_file()
    if (has_csv and graphml) or len(graphml) > 1:
        _fail(
            f"give the ties in one file, {TIES} or one .graphml file; found "
            + ", ".join(([TIES] if has_csv else []) + [p.name for p in graphml])
        )
    if not has_csv and not graphml:
        _fail(f"no ties: {TIES} (source,target[,trust][,kind]) or a .graphml file is required")
    rows = _graphml(graphml[0], index) if graphml else _ties_csv(folder / TIES, index, spec["directed"])
    ties = pd.DataFrame(rows, columns=["source", "target", "kind", "trust", "directed", "line"])
    seen = ties.duplicated(["source", "target", "kind"], keep="first")
    if seen.any():
        r = ties[seen].iloc[0]
        name = graphml[0].name if graphml else TIES
        _fail(
            f"{name} line {r.line}: tie {_ids(index)[r.source]!r} -> {_ids(index)[r.target]!r} "
            f"of kind {r.kind!r} is given twice"
        )
    comm = spec["communication"]
    if comm is not None:
        missing = [k for k in comm if k not in set(ties.kind)]
        if missing:
            _fail(
                f"{ORG}, key communication: no ties of kind {missing[0]!r}; kinds in the ties: "
                + ", ".join(sorted(set(ties.kind)))
            )
    return ties.drop(columns="line")


def _ids(index: dict) -> list[str]:
    return list(index)


def _ties_csv(path: Path, index: dict, directed: bool) -> list[tuple]:
    header, rows = _rows(path, ("source", "target"))
    out = []
    for line, r in rows:
        a = _person(index, TIES, line, "source", r["source"])
        b = _person(index, TIES, line, "target", r["target"])
        if a == b:
            _fail(f"{TIES} line {line}: source and target are the same person ({r['source']!r})")
        t = _number(TIES, line, "trust", r["trust"], 0, 1) if "trust" in header else math.nan
        d = directed
        if "directed" in header and r["directed"]:
            if r["directed"].lower() not in ("true", "false", "1", "0", "yes", "no"):
                _fail(f"{TIES} line {line}, column directed: must be true or false, got {r['directed']!r}")
            d = r["directed"].lower() in ("true", "1", "yes")
        out.append((a, b, r.get("kind", "") or "tie", t, d, line))
    return out


def _graphml(path: Path, index: dict) -> list[tuple]:
    import networkx as nx

    try:
        g = nx.read_graphml(io.BytesIO(_text(path).encode("utf-8")))
    except Exception as exc:  # networkx raises several kinds for malformed XML
        _fail(f"{path.name}: not valid GraphML ({' '.join(str(exc).split())[:120]})")
    out = []
    for k, (u, v, data) in enumerate(g.edges(data=True), start=1):
        where = f"{path.name} edge {k} ({u} -> {v})"
        for col, node in (("source", u), ("target", v)):
            if str(node) not in index:
                _fail(f"{where}, {col}: unknown id {str(node)!r} (not an id in {PEOPLE})")
        if str(u) == str(v):
            _fail(f"{where}: source and target are the same person")
        t = data.get("trust", math.nan)
        if not isinstance(t, (int, float)) or not (math.isnan(t) or 0 <= t <= 1):
            _fail(f"{where}, trust: must be a number in [0, 1], got {t!r}")
        out.append((index[str(u)], index[str(v)], str(data.get("kind", "tie")), float(t), g.is_directed(), k))
    return out


def _network(ties: pd.DataFrame, manager: np.ndarray, spec: dict, n: int):
    """The undirected communication network and the directed trust the data give."""
    comm = ties if spec["communication"] is None else ties[ties.kind.isin(spec["communication"])]
    pairs = [comm[["source", "target"]].to_numpy(np.int64).reshape(-1, 2)]
    if spec["org_chart_ties"]:
        has = np.nonzero(manager >= 0)[0]
        pairs.append(np.column_stack([has, manager[has]]))
    p = np.concatenate(pairs)
    edges = np.unique(np.sort(p, axis=1), axis=0).reshape(-1, 2).astype(np.int64)
    on_tie = set(map(tuple, edges.tolist()))
    trust: dict[tuple[int, int], float] = {}
    # An advice tie gives the seeker a prior trust in the adviser; explicit trust wins.
    advice = ties[(ties.kind == spec["advice_kind"]) & ties.trust.isna()]
    for a, b in zip(advice.source.tolist(), advice.target.tolist()):
        trust[(a, b)] = float(spec["advice_trust"])
    explicit = ties[ties.trust.notna()]
    for a, b, t, d in zip(
        explicit.source.tolist(), explicit.target.tolist(), explicit.trust.tolist(), explicit.directed.tolist()
    ):
        trust[(a, b)] = float(t)
        if not d:
            trust[(b, a)] = float(t)
    # Trust lives on the ties of the communication network only.
    trust = {k: v for k, v in trust.items() if (min(k), max(k)) in on_tie}
    return edges, trust
