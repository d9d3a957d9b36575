"""leadsim's default sweeper and launcher: the same jobs, configs and results as Hydra's
basic sweeper and joblib launcher, with less composition; the report's own costs."""

from __future__ import annotations

import pandas as pd
import pytest
from sweep_helpers import NO_FIGURES, SMALL, leadsim_m, results, run_dirs


def test_a_sweep_gives_the_same_results_as_hydras_basic_sweeper_and_joblib_launcher(tmp_path):
    """The documented fallback (``hydra/sweeper=basic hydra/launcher=joblib``: Hydra's own
    path, a config composed per job) and leadsim's (composed by values, per chunk)."""
    args = [
        "coordination=delegation,hybrid",
        "seed=0,1",
        "culture.trust=0.3,0.7",
        *SMALL,
        NO_FIGURES,
        "hydra.launcher.n_jobs=2",
    ]
    tables = {}
    for name, extra in (("hydra", ["hydra/sweeper=basic", "hydra/launcher=joblib"]), ("leadsim", [])):
        d = tmp_path / name
        r = leadsim_m(d, *extra, *args, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        tables[name] = results(d).drop(columns=["run_dir", "seconds"])
        assert len(tables[name]) == 8 and (tables[name].status == "ok").all()
        assert [p.name for p in run_dirs(d)] == [str(i) for i in range(8)]
    pd.testing.assert_frame_equal(tables["hydra"], tables["leadsim"])
    assert tables["hydra"]["culture.trust"].tolist() == [0.3, 0.7] * 4
    for a, b in zip(run_dirs(tmp_path / "hydra"), run_dirs(tmp_path / "leadsim")):
        assert (a / "config.yaml").read_text() == (b / "config.yaml").read_text()
        assert (a / "metrics.json").read_text() == (b / "metrics.json").read_text()
    assert (tmp_path / "hydra" / "0" / ".hydra").is_dir() and not (tmp_path / "leadsim" / "0" / ".hydra").exists()


def test_sweeps_from_hydra_sweeper_params_are_validated_before_anything_is_written(tmp_path):
    out = tmp_path / "out"
    r = leadsim_m(out, "+experiment=headline", "hydra.sweeper.params.seed='0,abc'", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == ["leadsim: error: seed: must be an integer, got 'abc'"]
    r = leadsim_m(
        out, "+experiment=headline", "seed=0", "hydra.sweeper.params.coordination='hybrid,anarchy'", cwd=tmp_path
    )
    assert r.returncode == 2 and "coordination: unknown option 'anarchy'" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_report_keeps_student_t_intervals_without_importing_scipy_stats(tmp_path):
    """The report after every sweep: Student-t quantiles from scipy.special (bit for bit
    scipy.stats.t.ppf), so tables alone do not import scipy.stats (~0.3 s)."""
    import subprocess
    import sys

    import numpy as np
    import pandas as pd
    from scipy import stats

    from simulation.sweep.report import _t_half

    n = pd.Series([0, 1, 2, 3, 5, 10, 134, 10_000])
    std = pd.Series(np.linspace(0.5, 2.0, len(n)))
    want = std * stats.t.ppf(0.975, (n - 1).where(n > 1).astype(float)) / np.sqrt(n.astype(float))
    got = _t_half(std, n)
    assert np.array_equal(got.to_numpy(), want.to_numpy(), equal_nan=True)
    assert got.isna().tolist() == [True, True] + [False] * 6 and got[2] == std[2] * 12.706204736174698 / np.sqrt(2)

    d = tmp_path / "s"
    r = leadsim_m(
        d, "coordination=delegation,distributed", "seed=0,1", *SMALL, NO_FIGURES, "hydra/launcher=basic", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    code = (
        "import sys; from simulation.sweep.report import write_report; "
        f"info = write_report({str(d)!r}, figures=False); "
        "print(info['ok'], 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["4", "False"]
    summary = pd.read_csv(d / "summary.csv").set_index("coordination.name")
    ok = results(d)
    x = ok[ok["coordination.name"] == "delegation"].throughput
    half = stats.t.ppf(0.975, 1) * x.std() / np.sqrt(2)
    assert summary.loc["delegation", "throughput_ci_high"] == pytest.approx(x.mean() + half, rel=1e-12)


def test_figures_lay_out_once_png_unchanged_pdf_written(tmp_path):
    """``figures._save`` computes the constrained layout for the PNG and keeps it for the
    PDF: the PNG is byte for byte what a plain ``savefig`` gives (colorbars included)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from simulation.sweep.figures import _save

    def figure():
        fig, axes = plt.subplots(1, 2, figsize=(7, 3), constrained_layout=True)
        im = axes[0].imshow(np.arange(12.0).reshape(3, 4))
        fig.colorbar(im, ax=axes[0], label="a long colorbar label")
        axes[1].bar([0, 1, 2], [3, 1, 2], yerr=0.5)
        axes[1].set_ylabel("a long axis label (tasks / step)")
        fig.suptitle("a title")
        return fig

    plain = figure()
    plain.savefig(tmp_path / "plain.png", dpi=100)
    fig = figure()
    paths = _save(fig, tmp_path / "ours")
    assert [p.name for p in paths] == ["ours.png", "ours.pdf"]
    assert (tmp_path / "ours.png").read_bytes() == (tmp_path / "plain.png").read_bytes()
    assert (tmp_path / "ours.pdf").read_bytes().startswith(b"%PDF")
    assert fig.get_layout_engine().__class__.__name__ == "PlaceHolderLayoutEngine"  # not laid out again
    assert not list(tmp_path.glob(".*tmp*"))
    plt.close("all")
