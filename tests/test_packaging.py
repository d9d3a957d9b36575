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
    for group in ("config.yaml", "coordination/hybrid.yaml", "organization/large.yaml"):
        assert f"simulation/configs/{group}" in names
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
