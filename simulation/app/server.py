"""``leadsim-app``: serve the classroom app on this machine.

Runs ``solara run simulation.app.app --production --no-open`` in a child process
(the way verified to work offline, shared/FACTS.md) and prints the address. With
``solara-assets`` installed (the ``app`` extra) the page needs no internet.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

from .classroom import APP_RANGES, SIZE_ENV

APP_MODULE = "simulation.app.app"
DEFAULT_PORT = 8765
SIZE_RANGE = APP_RANGES["organization.size"]     # the size slider's range


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2 (the house rule for bad input)
        self.exit(2, f"leadsim-app: error: {message}\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer in [1, 65535], got {text!r}")
    return port


def _size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = -1
    if not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
        raise argparse.ArgumentTypeError(f"must be an integer in [{SIZE_RANGE[0]}, {SIZE_RANGE[1]}], got {text!r}")
    return size


def parse_args(argv=None) -> argparse.Namespace:
    p = _Parser(prog="leadsim-app", description="Serve the leadsim classroom app (Mesa SolaraViz).")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1; 0.0.0.0 lets a classroom network in)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--size", type=_size, default=None,
                   help=f"people in the organisation when the page opens ({SIZE_RANGE[0]}-{SIZE_RANGE[1]}; "
                        "default 60; the slider changes it later)")
    return p.parse_args(argv)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_up(host: str, port: int, proc: subprocess.Popen, timeout: float = 60.0) -> bool:
    """True once the server accepts connections; False if it died or timed out."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", host, "--port", str(port),
            "--production", "--no-open"]


def environment(size: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if size is not None:
        env[SIZE_ENV] = str(size)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"   # no phoning home from a classroom
    # Solara's hook linter flags a line in Mesa's SolaraViz at start-up: noise for a teacher.
    env.setdefault("PYTHONWARNINGS", "ignore::UserWarning:solara.validate_hooks")
    return env


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(port: int | None = None, size: int | None = None, timeout: float = 90.0):
    """Run ``leadsim-app`` (the installed console script) for the duration of a block;
    yields its URL. For tests and benchmarks."""
    port = port or free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "leadsim-app")
    args = [exe, "--port", str(port)] + (["--size", str(size)] if size else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if not wait_until_up("127.0.0.1", port, proc, timeout):
            proc.kill()
            raise RuntimeError(f"leadsim-app did not start:\n{proc.communicate()[0]}")
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import solara  # noqa: F401
        import solara_assets  # noqa: F401  (offline JavaScript; without it the page is blank)
    except ImportError as exc:
        print(f"leadsim-app: error: {exc.name} is missing; install the app extra: "
              "pip install 'leadsim[app]'", file=sys.stderr)
        return 2
    if not port_free(args.host, args.port):
        print(f"leadsim-app: error: --port: {args.port} is in use on {args.host}; choose another",
              file=sys.stderr)
        return 2
    url = f"http://{args.host}:{args.port}"
    print(f"leadsim-app: starting on {url} (Ctrl+C stops it)", flush=True)
    proc = subprocess.Popen(command(args.host, args.port), env=environment(args.size))
    # Stopping this process (Ctrl+C, kill, a closed terminal) stops the server too.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        if wait_until_up(args.host, args.port, proc):
            print(f"leadsim-app: ready, open {url} in a browser", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
