"""Regenerate the leadsim files of the example organisations from their sources.

    python examples/organisations/make_leadsim_files.py

krackhardt-1987/: people.csv, ties.csv and organization.yaml from the original files
(kept unchanged beside them). synthetic/graphml/: the synthetic organisation with its
ties as GraphML instead of ties.csv (the same network, to show the second format).
Deterministic: running it again changes nothing.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import networkx as nx

HERE = Path(__file__).resolve().parent
KRACK = HERE / "krackhardt-1987"
LEVELS = {"1": "CEO", "2": "vice president", "3": "manager"}


def _pairs(name: str) -> list[tuple[str, str]]:
    """Ordered pairs (ego, alter) whose tie exists in a Krackhardt edge list."""
    out = []
    for line in (KRACK / f"Krack-High-Tec-edgelist-{name}.txt").read_text().splitlines():
        if line.strip():
            ego, alter, present = line.split()
            if present == "1":
                out.append((ego, alter))
    return out


def krackhardt() -> None:
    manager = dict(_pairs("ReportsTo"))  # each manager reports to at most one
    with open(KRACK / "Krack-High-Tec-Attributes.csv", newline="") as fh:
        attrs = list(csv.DictReader(fh))
    with open(KRACK / "people.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "team", "manager", "age", "tenure", "level", "department"])
        for a in attrs:
            dept = a["DEPT"]
            w.writerow(
                [
                    a["ID"],
                    f"dept {dept}" if dept != "0" else "",
                    manager.get(a["ID"], ""),
                    a["AGE"],
                    a["TENURE"],
                    LEVELS[a["LEVEL"]],
                    dept,
                ]
            )
    with open(KRACK / "ties.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["source", "target", "kind"])
        for kind in ("advice", "friendship"):
            for ego, alter in _pairs(kind.capitalize()):
                w.writerow([ego, alter, kind])
    (KRACK / "organization.yaml").write_text(
        "# Made by ../make_leadsim_files.py from the original files (see README.md).\n"
        "# Manager 7 is the CEO: the formal leader.\n"
        "leaders: [7]\n"
        '# Ties are directed: "source goes to target for advice" / "source calls target a friend".\n'
        "directed: true\n"
        "# Work talk: the advice network plus the reports-to ties of the org chart.\n"
        "communication: [advice]\n"
        "org_chart_ties: true\n"
        "# Seeking advice from someone is read as trusting them (docs/organisations.md).\n"
        "advice_kind: advice\n"
        "advice_trust: 0.8\n"
    )


def synthetic_graphml() -> None:
    src, out = HERE / "synthetic", HERE / "synthetic" / "graphml"
    out.mkdir(exist_ok=True)
    for name in ("people.csv", "skills.csv", "organization.yaml"):
        shutil.copyfile(src / name, out / name)
    g = nx.MultiDiGraph()
    with open(src / "people.csv", newline="") as fh:
        g.add_nodes_from(r["id"] for r in csv.DictReader(fh))
    with open(src / "ties.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            attrs = {"kind": r["kind"]}
            if r["trust"]:
                attrs["trust"] = float(r["trust"])
            g.add_edge(r["source"], r["target"], **attrs)
    nx.write_graphml(g, out / "network.graphml")


if __name__ == "__main__":
    krackhardt()
    synthetic_graphml()
