"""Smoke test of the benchmarks in their ``--quick`` mode: they run end to end and
write results with the expected columns and plausible (positive) numbers.

Speed itself is never asserted here (docs/performance.md holds the measurements).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    """Import a benchmark script as a module (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so that joblib's workers can unpickle its functions
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _positive(row: dict, *columns: str) -> None:
    for c in columns:
        value = float(row[c])
        assert math.isfinite(value) and value > 0, f"{c} = {row[c]!r} in {row}"


def _finite(row: dict, *columns: str) -> None:
    for c in columns:
        assert math.isfinite(float(row[c])), f"{c} = {row[c]!r} in {row}"


def test_scaling_quick(tmp_path):
    bench = _load("bench_scaling")
    figure = tmp_path / "scaling.png"
    assert bench.main(["--quick", "--out", str(tmp_path), "--figure", str(figure)]) == 0
    rows = _rows(tmp_path / "scaling.csv")
    cases = {label for label, _, _ in bench.CASES} | {bench.FLOOR}
    assert {(r["case"], int(r["size"])) for r in rows} == {(c, n) for c in cases for n in bench.QUICK_PLAN}
    for r in rows:
        # CPU time is immune to the pauses a busy machine inflicts on wall time, so
        # only it must be positive in a run this short.
        _positive(r, "ns_per_agent_step_cpu", "floor_ns_per_agent_step_cpu", "ratio_to_floor_cpu", "traced_peak_mb")
        _finite(r, "ns_per_agent_step", "floor_ns_per_agent_step", "ratio_to_floor")
        assert int(r["long_steps"]) > int(r["short_steps"])
    for r in rows:
        if r["case"] != bench.FLOOR:
            _positive(r, "leader_capacity", "arrival_rate", "throughput_per_person")
            assert float(r["arrival_rate"]) == pytest.approx(int(r["size"]) / 30, abs=1e-3)
    # Every row of one size shares the floor measured in the same process.
    for n in bench.QUICK_PLAN:
        assert len({r["floor_ns_per_agent_step"] for r in rows if int(r["size"]) == n}) == 1
    meta = json.loads((tmp_path / "scaling.json").read_text())
    for key in ("cpu_model", "logical_cores", "python", "numpy", "mesa", "date", "git_commit"):
        assert meta["machine"][key], key
    assert len(meta["rows"]) == len(rows)
    assert figure.stat().st_size > 10_000


def test_sweep_quick(tmp_path):
    bench = _load("bench_sweep")
    assert bench.main(["--quick", "--out", str(tmp_path)]) == 0
    rows = _rows(tmp_path / "sweep.csv")
    assert {(r["mode"], int(r["workers"])) for r in rows} == {("in_process", 1), ("in_process", 2), ("command_line", 1)}
    for r in rows:
        assert int(r["runs"]) == bench.QUICK_SEEDS * len(bench.REGIMES)
        _positive(r, "wall_s", "runs_per_s", "speedup", "efficiency")
        # Same seeds, same metrics: in-process, in parallel and through Hydra.
        assert r["same_metrics_as_first"] == "True"
    inproc = [r for r in rows if r["mode"] == "in_process"]
    for r in inproc:
        _positive(r, "model_wall_per_run_s", "model_cpu_per_run_s")
    cli = next(r for r in rows if r["mode"] == "command_line")
    _positive(cli, "startup_s", "report_s")
    meta = json.loads((tmp_path / "sweep.json").read_text())
    assert meta["runs"] == len(bench.REGIMES) * bench.QUICK_SEEDS
    assert meta["command"].startswith("leadsim -m coordination=delegation,distributed,hybrid")


@pytest.mark.parametrize("script", ["bench_scaling.py", "bench_sweep.py"])
def test_scripts_run_from_the_command_line(script):
    out = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--quick" in out.stdout


def test_bad_arguments_exit_2(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_scaling.py"), "--sizes", "7", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "--sizes" in out.stderr and "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_instructions.py"), "--other", ".", "--hash-seeds", "0"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "--hash-seeds: must be at least 1" in out.stderr and "Traceback" not in out.stderr


def test_fingerprint_compare_flags_any_changed_output(tmp_path):
    """The refactoring check (benchmarks/fingerprint.py) exits 0 only when every
    configuration's outputs hash the same."""
    before = {"a": {"events": "1", "metrics": "2"}, "b": {"events": "3", "metrics": "4"}}
    after = {"a": {"events": "1", "metrics": "2"}, "b": {"events": "3", "metrics": "5"}}
    paths = []
    for name, data in (("before", before), ("after", after), ("same", before)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(data))
    script = [sys.executable, str(BENCH / "fingerprint.py"), "--compare"]
    changed = subprocess.run([*script, str(paths[0]), str(paths[1])], capture_output=True, text=True)
    assert changed.returncode == 1 and "1 of 2 differ: b" in changed.stdout
    same = subprocess.run([*script, str(paths[0]), str(paths[2])], capture_output=True, text=True)
    assert same.returncode == 0 and same.stdout.strip() == "identical"


def test_ab_of_a_checkout_against_itself_gives_the_same_runs(tmp_path):
    """``bench_ab.py`` runs each variant in its own process from the checkout it names:
    this checkout against itself must reproduce the same model (same throughput) and a
    ratio of 1 for the baseline; a missing ``--other`` is a one-line error, exit 2."""
    script = [sys.executable, str(BENCH / "bench_ab.py")]
    bad = subprocess.run([*script, "--sizes", "1000"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--other" in bad.stderr and "Traceback" not in bad.stderr
    out = tmp_path / "ab"
    args = ["--other", str(BENCH.parent), "--sizes", "1000", "--regimes", "distributed"]
    args += ["--variants", "other", "model2", "--repeats", "1", "--out", str(out)]
    done = subprocess.run([*script, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = {r["variant"]: r for r in json.loads(out.with_suffix(".json").read_text())["rows"]}
    assert rows["other"]["ratio_to_other"] == 1.0
    assert rows["model2"]["throughput"] == rows["other"]["throughput"] > 0
    assert rows["model2"]["cpu_ns"] > 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (make system-deps)")
def test_instruction_counts_of_a_checkout_against_itself_agree(tmp_path):
    """``bench_instructions.py`` counts what a step executes: the same code counted twice
    (this checkout as ``--other``) gives the same cost within 3 % (memory layout still
    differs between processes); a missing comparison is a one-line error."""
    script = [sys.executable, str(BENCH / "bench_instructions.py")]
    bad = subprocess.run(script, capture_output=True, text=True)
    assert bad.returncode == 2 and "--other or --switches" in bad.stderr and "Traceback" not in bad.stderr
    out = tmp_path / "instructions"
    args = ["--other", str(BENCH.parent), "--regimes", "distributed", "--out", str(out)]
    done = subprocess.run([*script, *args], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    rows = {r["variant"]: r for r in json.loads(out.with_suffix(".json").read_text())["rows"]}
    assert rows["other"]["ratio"] == 1.0
    assert 1_000 < rows["model2"]["instructions"] < 100_000
    assert abs(rows["model2"]["ratio"] - 1.0) < 0.03  # memory addresses move a count by 1-2 %
