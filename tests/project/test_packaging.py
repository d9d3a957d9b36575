"""The configs travel with the package: a non-editable install finds them."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_ships_configs_and_runs_from_outside_the_checkout(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("leadsim-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for group in ("config.yaml", "coordination/hybrid.yaml", "organization/large.yaml", "hydra/sweeper/leadsim.yaml"):
        assert f"simulation/configs/{group}" in names
    # The sweepers, in Hydra's plugin namespace (which must stay a namespace package).
    assert {"hydra_plugins/leadsim_sweeper/__init__.py", "hydra_plugins/leadsim_launcher/__init__.py"} <= names
    assert "hydra_plugins/__init__.py" not in names
    # Unpack the wheel and import it from there, away from the checkout's configs/.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import simulation.hydra_config as h, simulation;"
        "print(h.config_dir());"
        "print(simulation.run(['organization=team'], steps=20, warmup=2).config.organization.size)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    where, size = out.stdout.split()
    assert Path(where) == site / "simulation" / "configs" and size == "12"


def test_the_sweeper_plugin_is_served_from_the_checkout():
    """An editable install must not carry a copy of the plugin that shadows the
    checkout's (a force-include once did: edits to the sweeper had no effect)."""
    out = subprocess.run(
        [sys.executable, "-c", "import hydra_plugins.leadsim_sweeper as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_relative_to(ROOT)


# --------------------------------------------------------------- citable, one version
def _pyproject() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


#: The top-level keys of the Citation File Format 1.2.0 and what each must be, for
#: the keys leadsim uses: an offline check (the published schema is not fetched).
CFF_SCHEMA = {
    "type": "object",
    "required": ["cff-version", "message", "title", "authors"],
    "additionalProperties": False,
    "properties": {
        "cff-version": {"const": "1.2.0"},
        "message": {"type": "string", "minLength": 1},
        "title": {"type": "string", "minLength": 1},
        "type": {"enum": ["software", "dataset"]},
        "version": {"type": "string", "minLength": 1},
        "license": {"type": "string", "pattern": "^[A-Za-z0-9.+-]+$"},
        "abstract": {"type": "string", "minLength": 1},
        "keywords": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
        "date-released": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "authors": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "anyOf": [{"required": ["name"]}, {"required": ["family-names"]}]},
        },
        **{
            k: {}
            for k in (
                "commit",
                "contact",
                "doi",
                "identifiers",
                "license-url",
                "preferred-citation",
                "references",
                "repository",
                "repository-artifact",
                "repository-code",
                "url",
            )
        },
    },
}

CODEMETA_SCHEMA = {
    "type": "object",
    "required": ["@context", "@type", "name", "version", "license", "author", "keywords", "softwareHelp"],
    "properties": {
        "@context": {"const": "https://w3id.org/codemeta/3.0"},
        "@type": {"const": "SoftwareSourceCode"},
        "license": {"const": "https://spdx.org/licenses/MIT"},
        "author": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["@type", "name"]}},
        "keywords": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "softwareRequirements": {"type": "array", "items": {"type": "string"}},
    },
}


def test_citation_cff_is_valid_and_agrees_with_the_package():
    import jsonschema
    import yaml

    import simulation

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    jsonschema.validate(cff, CFF_SCHEMA)
    meta = _pyproject()["project"]
    assert cff["version"] == simulation.__version__
    assert cff["license"] == "MIT" and "MIT License" in (ROOT / "LICENSE").read_text()
    assert cff["authors"] == [{"name": "leadsim developers"}]
    assert cff["keywords"] == meta["keywords"]
    assert "docs/ODD.md" in cff["abstract"] and (ROOT / "docs" / "ODD.md").is_file()


def test_codemeta_is_valid_and_agrees_with_the_package():
    import json
    import re

    import jsonschema

    import simulation

    cm = json.loads((ROOT / "codemeta.json").read_text())
    jsonschema.validate(cm, CODEMETA_SCHEMA)
    meta = _pyproject()["project"]
    assert cm["version"] == simulation.__version__ and cm["name"] == meta["name"]
    assert cm["author"] == [{"@type": "Organization", "name": "leadsim developers"}]
    assert cm["keywords"] == meta["keywords"]
    assert (ROOT / cm["softwareHelp"]["identifier"]).is_file() and cm["softwareHelp"]["identifier"] == "docs/ODD.md"
    # Every requirement named is pyproject's (extras such as mesa[network] dropped).
    deps = {
        re.match(r"[\w.-]+", d).group(0).lower(): re.sub(r"\[.*?\]", "", d).replace(" ", "")
        for d in meta["dependencies"]
    }
    for req in cm["softwareRequirements"]:
        assert deps[re.match(r"[\w.-]+", req).group(0).lower()] == req
    versions = [c.split(":: ")[-1] for c in meta["classifiers"] if c.startswith("Programming Language :: Python :: 3.")]
    assert cm["runtimePlatform"] == [f"Python {v}" for v in versions]


def test_the_version_is_written_in_one_place():
    """pyproject reads it from simulation/__init__.py; nothing else spells it out."""
    meta = _pyproject()
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["hatch"]["version"]["path"] == "simulation/__init__.py"
    import simulation

    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", simulation.__version__)


def test_supported_pythons_agree():
    """requires-python, the classifiers and the README name the same versions."""
    meta = _pyproject()["project"]
    assert meta["requires-python"] == ">=3.11"
    versions = [c.split(":: ")[-1] for c in meta["classifiers"] if c.startswith("Programming Language :: Python :: 3.")]
    assert versions == ["3.11", "3.12", "3.13"]
    table = (ROOT / "README.md").read_text().split("### Supported versions")[1].split("\n\n")[1]
    assert [row.split("|")[1].strip() for row in table.splitlines()[2:]] == versions
    mesa_dep = next(d for d in meta["dependencies"] if d.startswith("mesa"))
    assert mesa_dep.endswith(">=3.3.1,<4")
