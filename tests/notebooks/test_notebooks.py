"""The students' notebooks (notebooks/): each .py/.ipynb pair is in sync and stripped,
each has the parts a lesson needs, and each runs end to end at small size
(``LEADSIM_NB_SMALL=1``) with every figure titled, labelled and, where it has several
series, with a legend.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

NB_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = [
    "01_first_run",
    "02_regimes_compared",
    "03_leader_capacity_and_trust",
    "04_reading_a_sweep",
    "05_informal_roles",
    "06_your_organisation",
]
CELL_TIMEOUT = 240  # seconds per cell at small size; the whole test has its own timeout


def _cells(nb):
    return [(c.cell_type, c.source) for c in nb.cells]


def test_every_notebook_and_its_pair_exist():
    assert sorted(p.stem for p in NB_DIR.glob("[0-9][0-9]_*.py")) == NOTEBOOKS
    assert sorted(p.stem for p in NB_DIR.glob("[0-9][0-9]_*.ipynb")) == NOTEBOOKS
    assert "ipynb,py:percent" in (NB_DIR / "jupytext.toml").read_text()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_py_and_ipynb_are_in_sync_and_stripped(name):
    """The .py (percent format) is the source; the .ipynb must hold the same cells, no outputs.

    After editing the .py: ``jupytext --sync notebooks/*.py`` (or ``--to ipynb``).
    """
    py = jupytext.read(NB_DIR / f"{name}.py")
    ipynb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    assert _cells(ipynb) == _cells(py), f"{name}.ipynb is out of sync with {name}.py: run jupytext --sync"
    assert ipynb.metadata["kernelspec"]["name"] == "python3"
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}.ipynb has outputs: strip them"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_is_a_lesson(name):
    nb = jupytext.read(NB_DIR / f"{name}.py")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "**Learning goals.**" in text
    assert "## Exercises" in text and "## What to take away" in text
    hints = re.findall(r"<details><summary>Hint</summary>.+?</details>", text, re.S)
    exercises = re.findall(r"\*\*Exercise \d", text)
    assert len(exercises) >= 3 and len(hints) == len(exercises), "every exercise has a hidden hint"
    assert re.search(r"\bC\d+\b", text) and re.search(r"\bH[1-5]\b", text), "ties to claims and hypotheses"
    # The first code cell is the parameters cell that the small-size switch controls.
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", [])
    assert 'os.environ.get("LEADSIM_NB_SMALL") == "1"' in first.source


# Runs inside the kernel before the notebook: every figure shown is checked.
FIGURE_CHECK = r"""
import matplotlib.pyplot as _plt

_figure_problems, _figures_checked = [], []


def _is_number(text):
    try:
        float(text.replace("\u2212", "-"))
        return True
    except ValueError:
        return False


def _check_axis_label(ax, axis, name, problems):
    label = getattr(ax, f"get_{axis}label")()
    siblings = getattr(ax, f"get_shared_{axis}_axes")().get_siblings(ax)
    if not label and not any(getattr(s, f"get_{axis}label")() for s in siblings):
        problems.append(f"{name}: no {axis} label")
    ticks = [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")() if t.get_text()]
    categorical = ticks and not all(_is_number(t) for t in ticks)
    if label and not categorical and "(" not in label:
        problems.append(f"{name}: {axis} label {label!r} has no unit in parentheses")


def _check_figure(fig):
    fig.canvas.draw()
    sup = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not (ax.lines or ax.patches or ax.collections or ax.images):
            continue
        name = f"figure {sup or ax.get_title()!r}"
        if not (ax.get_title() or sup):
            _figure_problems.append(f"{name}: no title")
        _check_axis_label(ax, "x", name, _figure_problems)
        _check_axis_label(ax, "y", name, _figure_problems)
        labelled = {a.get_label() for a in ax.lines + ax.patches + ax.collections
                    if a.get_label() and not a.get_label().startswith("_")}
        if len(labelled) > 1 and ax.get_legend() is None and not fig.legends:
            _figure_problems.append(f"{name}: {len(labelled)} labelled series but no legend")
    _figures_checked.append(sup or fig.axes[0].get_title())


_original_show = _plt.show


def _checked_show(*args, **kwargs):
    for num in _plt.get_fignums():
        _check_figure(_plt.figure(num))
    return _original_show(*args, **kwargs)


_plt.show = _checked_show
"""

FIGURE_VERDICT = r"""
assert _figures_checked, "the notebook showed no figure"
assert not _figure_problems, "figure problems:\n" + "\n".join(_figure_problems)
print(f"{len(_figures_checked)} figures checked")
"""


def execute(name: str, monkeypatch, tmp_path, **env) -> nbformat.NotebookNode:
    """Run a notebook at small size in a fresh kernel; raise on the first failing cell.

    TMPDIR points into ``tmp_path``, so temporary folders (notebook 4's sweep) are
    cleaned up with the test's.
    """
    monkeypatch.setenv("LEADSIM_NB_SMALL", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    nb = jupytext.read(NB_DIR / f"{name}.py")
    nb.cells.insert(0, nbformat.v4.new_code_cell(FIGURE_CHECK))
    nb.cells.append(nbformat.v4.new_code_cell(FIGURE_VERDICT))
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}}
    )
    client.execute()
    return nb


def _text_outputs(nb) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if n != "04_reading_a_sweep"])  # 4 has its own test
def test_notebook_runs_at_small_size(name, monkeypatch, tmp_path):
    nb = execute(name, monkeypatch, tmp_path)
    assert re.search(r"\d+ figures checked", _text_outputs(nb))


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", ["python", "cli"])
def test_reading_a_sweep_runs_with_either_backend(backend, monkeypatch, tmp_path):
    """Notebook 4 makes its sweep with ``leadsim -m`` + ``leadsim-report`` or with a
    Python loop writing the same table; both must give a readable results.parquet."""
    if (
        backend == "cli"
        and not (Path(sys.executable).parent / "leadsim-report").exists()
        and shutil.which("leadsim-report") is None
    ):
        pytest.skip("leadsim-report is not installed")
    nb = execute("04_reading_a_sweep", monkeypatch, tmp_path, LEADSIM_NB_SWEEP=backend)
    text = _text_outputs(nb)
    sweeps = list(tmp_path.glob("leadsim-sweep-*/results.parquet"))
    assert len(sweeps) == 1, "the sweep went into a temporary folder"
    made_with = "the command line" if backend == "cli" else "Python"
    assert f"made with {made_with}" in text
    # 2 regimes x 2 trust x 2 clarity x 2 seeds at small size, all finished.
    assert "16 runs; status: {'ok': 16}" in text
    assert re.search(r"\d+ figures checked", text)


def test_the_figure_check_catches_unlabelled_figures():
    """The in-kernel check must fail on a figure without title, units or legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scope: dict = {}
    exec(FIGURE_CHECK, scope)
    try:
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4], label="a")
        ax.plot([1, 2], [4, 3], label="b")
        ax.set_xlabel("step")
        scope["_check_figure"](fig)
        problems = "\n".join(scope["_figure_problems"])
        assert "no title" in problems and "no y label" in problems
        assert "'step' has no unit" in problems and "no legend" in problems
        scope["_figure_problems"].clear()
        ax.set(title="ok", xlabel="step (steps)", ylabel="throughput (tasks / step)")
        ax.legend()
        scope["_check_figure"](fig)
        assert scope["_figure_problems"] == []
    finally:
        plt.close("all")
        scope["_plt"].show = scope["_original_show"]
