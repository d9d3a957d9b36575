"""``leadsim-app``: serve the classroom app on this machine.

Checks its arguments, then replaces itself with :mod:`simulation.app.supervise` (a
standard-library script, ~10 MB instead of the ~170 MB of an interpreter that
imported the model) that runs ``solara run simulation.app.app --production
--no-open`` in one child process per worker and prints the address. With
``solara-assets`` installed (the ``app`` extra) the page needs no internet.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

from .supervise import wait_until_up

APP_MODULE = "simulation.app.app"
DEFAULT_PORT = 8765
SIZE_ENV = "LEADSIM_APP_SIZE"  # read by classroom.start_size()
SIZE_RANGE = (10, 200)  # the size slider's range (classroom.APP_RANGES, tested)
ORGANISATION_ENV = "LEADSIM_APP_ORGANISATION"  # read by classroom.organisations()
MAX_WORKERS = 8
#: A session whose page lost its connection (network gone, laptop asleep) keeps its
#: run, paused, this long; then Solara ends it (Solara's own default is 24 hours).
CULL_TIMEOUT = "2m"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2 (the house rule for bad input)
        self.exit(2, f"leadsim-app: error: {message}\n")


def _int_in(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = lo - 1
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer in [{lo}, {hi}], got {text!r}")
        return n

    return parse


def parse_args(argv=None) -> argparse.Namespace:
    p = _Parser(prog="leadsim-app", description="Serve the leadsim classroom app.")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1; 0.0.0.0 lets a classroom network in)",
    )
    p.add_argument("--port", type=_int_in(1, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--size",
        type=_int_in(*SIZE_RANGE),
        default=None,
        help=f"people in the organisation when the page opens ({SIZE_RANGE[0]}-{SIZE_RANGE[1]}; "
        "default 60; the slider changes it later)",
    )
    p.add_argument(
        "--class",
        dest="class_mode",
        action="store_true",
        help="class mode: one shared run that the teacher drives and every student watches",
    )
    p.add_argument(
        "--workers",
        type=_int_in(1, MAX_WORKERS),
        default=1,
        help=f"server processes for one run per student (1-{MAX_WORKERS}; default 1); worker k "
        "listens on port+k and the given port hands each new visitor to the next one",
    )
    p.add_argument(
        "--organisation",
        "--organization",
        dest="organisation",
        default=None,
        metavar="DIR",
        help="open with a real organisation read from the folder DIR (people.csv and ties; "
        "docs/organisations.md); the page's organisation select also offers it",
    )
    args = p.parse_args(argv)
    if args.organisation is not None:
        args.organisation = _organisation(p, args.organisation)
    if args.class_mode and args.workers > 1:
        p.error("--workers: class mode serves one shared run from one process; leave --workers at 1")
    if args.port + args.workers > 65535 and args.workers > 1:
        p.error(f"--port: with --workers {args.workers} it must be at most {65535 - args.workers}")
    return args


def _organisation(p: _Parser, folder: str) -> str:
    """The folder as an absolute path, after checking that the app can run on it (the
    server processes start elsewhere); a bad folder ends here with one line."""
    from ..config import ConfigError
    from .classroom import check_organisation

    path = str(Path(folder).expanduser().resolve())
    try:
        check_organisation(path)
    except ConfigError as exc:
        p.error(f"--organisation: {str(exc).removeprefix(exc.key + ': ')}")
    return path


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def environment(
    size: int | None = None, class_key: str | None = None, organisation: str | None = None
) -> dict[str, str]:
    """What the server processes get on top of this environment."""
    env = {}
    if size is not None:
        env[SIZE_ENV] = str(size)
    if organisation:
        env[ORGANISATION_ENV] = organisation
    if class_key:
        env["LEADSIM_APP_MODE"], env["LEADSIM_APP_KEY"] = "class", class_key
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"  # no phoning home from a classroom
    env["SOLARA_KERNEL_CULL_TIMEOUT"] = os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    return env


def plan(args: argparse.Namespace) -> dict:
    """What :mod:`~simulation.app.supervise` runs: workers, environment, messages."""
    key = secrets.token_urlsafe(6) if args.class_mode else None
    ports = [args.port] if args.workers == 1 else [args.port + 1 + i for i in range(args.workers)]
    url = f"http://{args.host}:{args.port}"
    ready = [f"leadsim-app: ready, open {url} in a browser"]
    if key:
        ready = [
            f"leadsim-app: class mode. Teacher (controls): {url}/?teacher={key}",
            f"leadsim-app: students (watch only): {url}",
        ]
    return {
        "host": args.host,
        "port": args.port,
        "env": environment(args.size, key, getattr(args, "organisation", None)),
        "workers": [{"port": p, "command": command(args.host, p)} for p in ports],
        "ready": ready,
    }


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Served(str):
    """The URL of a server started by :func:`serving`; ``.proc`` is its process and
    ``.lines`` what it printed before it was ready."""

    proc: subprocess.Popen
    lines: list[str]


@contextlib.contextmanager
def serving(port: int | None = None, size: int | None = None, timeout: float = 90.0, args=()):
    """Run ``leadsim-app`` (the installed console script) for the duration of a block;
    yields its URL (a :class:`Served`). For tests and benchmarks."""
    port = port or free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "leadsim-app")
    argv = [exe, "--port", str(port), *(["--size", str(size)] if size else []), *args]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        while not any("ready" in ln or "students" in ln for ln in lines[-1:]):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("leadsim-app did not start:\n" + "".join(lines))
            lines.append(line)
        if not wait_until_up("127.0.0.1", port, proc, timeout):
            raise RuntimeError("leadsim-app did not start:\n" + "".join(lines))
        served = Served(f"http://127.0.0.1:{port}/")
        served.proc, served.lines = proc, lines
        # Keep reading what the server prints: a full pipe would block it.
        threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
        yield served
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main(argv=None) -> int:
    args = parse_args(argv)
    for module in ("solara", "solara_assets"):  # without solara_assets the page is blank offline
        if importlib.util.find_spec(module) is None:
            print(
                f"leadsim-app: error: {module} is missing; install the app extra: pip install 'leadsim[app]'",
                file=sys.stderr,
            )
            return 2
    p = plan(args)
    for port in sorted({args.port, *(w["port"] for w in p["workers"])}):
        if not port_free(args.host, port):
            print(f"leadsim-app: error: --port: {port} is in use on {args.host}; choose another", file=sys.stderr)
            return 2
    print(f"leadsim-app: starting on http://{args.host}:{args.port} (Ctrl+C stops it)", flush=True)
    script = str(Path(__file__).with_name("supervise.py"))
    # Replace this process (it imported the model) by the small supervisor.
    os.execv(sys.executable, [sys.executable, "-I", script, json.dumps(p)])
    return 0  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
