"""The configs travel with the package: a non-editable install finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_configs_and_runs_from_outside_the_checkout(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("leadsim-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for group in ("config.yaml", "coordination/hybrid.yaml", "organization/large.yaml", "hydra/sweeper/leadsim.yaml"):
        assert f"simulation/configs/{group}" in names
    # The sweepers, in Hydra's plugin namespace (which must stay a namespace package).
    assert {"hydra_plugins/leadsim_sweeper/__init__.py", "hydra_plugins/leadsim_sweeper/_loader.py"} <= names
    assert "hydra_plugins/__init__.py" not in names
    # Unpack the wheel and import it from there, away from the checkout's configs/.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import simulation.hydra_config as h, simulation;"
            "print(h.config_dir());"
            "print(simulation.run(['organization=team'], steps=20, warmup=2).config.organization.size)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    where, size = out.stdout.split()
    assert Path(where) == site / "simulation" / "configs" and size == "12"


def test_the_sweeper_plugin_is_served_from_the_checkout():
    """An editable install must not carry a copy of the plugin that shadows the
    checkout's (a force-include once did: edits to the sweeper had no effect)."""
    out = subprocess.run([sys.executable, "-c", "import hydra_plugins.leadsim_sweeper as m; print(m.__file__)"],
                         capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_relative_to(ROOT)
