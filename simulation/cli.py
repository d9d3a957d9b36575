"""The ``leadsim`` command: Hydra's command line around :func:`simulation.runner.simulate`.

Bad input is caught *before* Hydra creates an output folder, so a mistyped key or
an out-of-range value ends with one line on stderr, exit code 2 and nothing written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .config import ConfigError
from .hydra_config import GROUPS, as_config_error, config_dir, to_sim_config

#: Hydra flags that take a value (their value is not an override).
_VALUE_FLAGS = {
    "--config-name",
    "-cn",
    "--config-path",
    "-cp",
    "--config-dir",
    "-cd",
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--experimental-rerun",
}
_NO_VALIDATE = {"--help", "-h", "--hydra-help", "--version", "--shell-completion", "-sc"}
_INFO = {"all", "config", "defaults", "defaults-tree", "plugins", "searchpath"}
#: Every flag Hydra's command line knows; anything else that starts with "-" is refused.
_FLAGS = _VALUE_FLAGS | _NO_VALIDATE | {"-m", "--multirun", "-r", "--run", "--resolve", "-i", "--info"}


def split_args(argv: list[str]) -> tuple[list[str], bool]:
    """The overrides among ``argv`` and whether this is a multirun."""
    overrides, multirun, skip = [], False, False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a in ("-m", "--multirun"):
            multirun = True
        elif a in _VALUE_FLAGS:
            skip = True
        elif a == "--info":
            skip = i + 1 < len(argv) and argv[i + 1] in _INFO
        elif not a.startswith("-"):
            overrides.append(a)
    return overrides, multirun


def prevalidate(argv: list[str]) -> None:
    """Compose and validate every configuration the command would run.

    For a sweep, every value of every swept key is checked (with the other keys at
    their first value): group options by composing, plain values by merging into the
    composed config, which is fast enough for ``seed='range(1000)'``. Sweeps set in
    ``hydra.sweeper.params`` (the named experiments) count too, the command line
    winning for a key set in both, as in Hydra's sweeper. leadsim's sweeper relies on
    this and composes only the first job of a batch itself.
    """
    if any(a in _NO_VALIDATE for a in argv):
        return
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf, open_dict

    tokens, multirun = split_args(argv)
    _check_launcher(tokens)
    params_tokens = [t for t in tokens if t.startswith("hydra.sweeper.params.")]
    tokens = [t for t in tokens if not t.lstrip("+~").startswith(("hydra.", "hydra/"))]
    parsed = _parse(tokens)

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):

        def composed(overrides, with_hydra=False):
            try:
                return compose(config_name="config", overrides=overrides, return_hydra_config=with_hydra)
            except Exception as exc:
                raise as_config_error(exc) from None

        sweeps, first, base = _first_job(parsed, multirun)
        if multirun:
            cfg = composed(base + params_tokens, with_hydra=True)
            params = _params(cfg, parsed)
            if params:
                sweeps, first, base = _first_job(params + parsed, multirun)
                cfg = composed(base)
            else:
                with open_dict(cfg):
                    del cfg["hydra"]
        else:
            cfg = composed(base)
        to_sim_config(cfg)
        for o in sweeps:
            is_group = o.key_or_group.split("/")[0] in GROUPS and "." not in o.key_or_group
            for value in first[o.input_line][1:]:
                line = f"{o.get_key_element()}={value}"
                if is_group or o.is_add() or o.is_force_add():
                    to_sim_config(composed([line if b == base_line(o, first) else b for b in base]))
                else:
                    c = cfg.copy()
                    try:
                        OmegaConf.update(c, o.key_or_group, _parse([line])[0].value(), merge=True)
                    except Exception as exc:
                        raise as_config_error(exc) from None
                    to_sim_config(c)
    GlobalHydra.instance().clear()


def _check_launcher(tokens: list[str]) -> None:
    """leadsim's launcher settings on the command line (``hydra.launcher.storage=...``),
    checked before Hydra writes the sweep folder."""
    from .sweep.launch import check_setting

    for t in tokens:
        key, eq, value = t.partition("=")
        if eq and key.startswith("hydra.launcher."):
            check_setting(key.removeprefix("hydra.launcher."), value)


def _parse(lines: list[str]) -> list:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_overrides(lines)
    except Exception as exc:
        raise as_config_error(exc) from None


def _first_job(parsed: list, multirun: bool) -> tuple[list, dict, list[str]]:
    """The sweeps among ``parsed``, their values, and the overrides of the first job."""
    sweeps = [o for o in parsed if o.is_sweep_override()] if multirun else []
    first = {}
    for o in sweeps:
        values = list(o.sweep_string_iterator())
        if not values:
            raise ConfigError(o.key_or_group, "the sweep has no values")
        first[o.input_line] = values
    base = [base_line(o, first) if o.input_line in first else o.input_line for o in parsed]
    return sweeps, first, base


def base_line(o, first) -> str:
    return f"{o.get_key_element()}={first[o.input_line][0]}"


def _params(cfg, parsed: list) -> list:
    """``hydra.sweeper.params`` as parsed overrides, minus keys set on the command line."""
    from omegaconf import OmegaConf

    params = OmegaConf.select(cfg, "hydra.sweeper.params")
    if not params:
        return []
    given = {o.get_key_element() for o in parsed}
    lines = [
        f"{k}={v}"
        for k, v in OmegaConf.to_container(params, resolve=False).items()
        if k not in given and not str(k).lstrip("+~").startswith(("hydra.", "hydra/"))
    ]
    return _parse(lines)


def _task(cfg) -> dict:
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    if hc.mode.name != "RUN":
        return _sweep_job(cfg, hc)
    from .runner import simulate, write_outputs

    sim = to_sim_config(cfg)
    result = simulate(sim)
    out = write_outputs(Path(hc.runtime.output_dir), result)
    _print_summary(result.metrics, out)
    return result.metrics


def _sweep_job(cfg, hc) -> dict:
    """One run of a multirun. It never raises, so one failure cannot stop the sweep
    (and Hydra still calls ``on_multirun_end``): a run already complete with the same
    config and model code is skipped; a failure is recorded in the run folder and returned."""
    import time

    from .runner import resolved_config, simulate, write_outputs
    from .sweep import plan, resume

    out = Path(hc.runtime.output_dir)
    sweep_dir = _sweep_dir(out, str(hc.sweep.subdir))
    info = {
        "job": hc.job.num,
        "overrides": list(hc.overrides.task),
        "choices": {k: v for k, v in hc.runtime.choices.items() if k in GROUPS and v is not None},
        "code": resume.code_fingerprint(),
    }
    t0 = time.perf_counter()
    try:
        sim = to_sim_config(cfg)
        want = resolved_config(sim)
        metrics = resume.stored_metrics(out, want, info["code"])
        if metrics is not None:
            resume.clean_temporaries(out)
            resume.succeed(out, info, skipped=True)
            plan.record(sweep_dir, hc.job.num, "skipped", time.perf_counter() - t0)
            return metrics
        resume.begin(out, want, info)
        result = simulate(sim, progress=False)  # releases the model (runner.release)
        write_outputs(out, result)
    except Exception as exc:
        info["seconds"] = round(time.perf_counter() - t0, 3)
        error = resume.fail(out, exc, info)
        plan.record(sweep_dir, hc.job.num, "failed", info["seconds"])
        return {"status": "failed", "error": error}
    info["seconds"] = round(time.perf_counter() - t0, 3)
    resume.succeed(out, info)
    plan.record(sweep_dir, hc.job.num, "ok", info["seconds"])
    return result.metrics


def _sweep_dir(out: Path, subdir: str) -> Path:
    """The sweep folder, taken from the job's folder (``sweep.dir/subdir``) rather than
    re-resolving ``${now:...}`` in a worker process."""
    parts = Path(subdir).parts
    return Path(*out.parts[: len(out.parts) - len(parts)]) if out.parts[-len(parts) :] == parts else out.parent


def _print_summary(metrics: dict, out: Path) -> None:
    keys = (
        "throughput",
        "lead_time_mean",
        "owner_wait_mean",
        "success_rate",
        "role_ambiguity",
        "conflict_rate",
        "leader_utilization",
        "workload_gini",
        "role_fluidity",
        "engagement_mean",
    )
    width = max(map(len, keys))
    for k in keys:
        print(f"{k:<{width}}  {metrics[k]:.3f}")
    print(f"outputs: {out}")


def check_flags(argv: list[str]) -> None:
    """Refuse a flag Hydra does not know before Hydra's own parser does, with the
    override the user probably meant (``--coordination delegation`` ->
    ``coordination=delegation``) instead of a usage dump or a grammar error."""
    from .config import field_docs

    keys = set(field_docs())
    names = keys | set(GROUPS) | {k.split(".")[0] for k in keys}
    for i, a in enumerate(argv):
        if not a.startswith("-") or a.split("=", 1)[0] in _FLAGS or (i and argv[i - 1] in _VALUE_FLAGS):
            continue
        name, eq, value = a.lstrip("-").partition("=")
        if not eq:
            nxt = argv[i + 1] if i + 1 < len(argv) else ""
            value = nxt if nxt and not nxt.startswith("-") and "=" not in nxt else "VALUE"
        key = name.replace("-", "_")
        if key not in names:
            key = next((k for k in sorted(keys) if k.rpartition(".")[2] == key), "")
        if key:
            raise ConfigError(a.split("=", 1)[0], f"settings are written key=value, without dashes: {key}={value}")
        raise ConfigError(
            a.split("=", 1)[0], "unknown option; settings are written key=value (leadsim --help lists them)"
        )


def main(argv: list[str] | None = None) -> None:
    import hydra

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--help" in argv or "-h" in argv:  # every group and parameter, not Hydra's generic help
        from .hydra_config import help_text

        return _print(help_text())
    if "--version" in argv:
        from . import __version__, compat

        return _print(f"leadsim {__version__} ({compat.describe()})")
    try:
        check_flags(argv)
        prevalidate(argv)
    except ConfigError as exc:
        _fail(exc)
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    sys.argv = ["leadsim", *argv]
    entry = hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")(_task)
    try:
        entry()
    except ConfigError as exc:
        _fail(exc)
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("hydra", "omegaconf"):
            _fail(as_config_error(exc))
        raise


def _print(text: str) -> None:
    """Print, quietly stopping when the reader has gone (``leadsim --help | head``)."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(exc: ConfigError) -> None:
    print(f"leadsim: error: {exc}", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
