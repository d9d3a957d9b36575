"""What stays running of ``leadsim-app``: start the server process(es), say when they
are up, stop them with Ctrl+C; with several workers, hand each new visitor to one.

Run as a script (``python supervise.py PLAN``) with only the standard library, so the
process that waits in the teacher's terminal holds ~10 MB rather than the ~170 MB of
an interpreter that imported the model (``leadsim-app`` parses its arguments, then
replaces itself with this). ``PLAN`` is JSON written by :mod:`simulation.app.server`.

Several workers: each is its own Solara server on its own port; the address given to
the class is a tiny redirector that sends each new visitor to the next worker in turn.
A session then talks to one process only (sticky by construction: its page, its
websocket and its close beacon all go to that worker's port), and the operating
system spreads the workers over the cores.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def wait_until_up(host: str, port: int, proc: subprocess.Popen, timeout: float = 90.0) -> bool:
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


def redirector(host: str, port: int, targets: list[int]) -> ThreadingHTTPServer:
    """An HTTP server on ``port`` that sends each request to the next worker's port."""
    turn = itertools.cycle(targets)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                target = next(turn)
            name = (self.headers.get("Host") or "127.0.0.1").rsplit(":", 1)[0]
            self.send_response(307)
            self.send_header("Location", f"http://{name}:{target}{self.path}")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET

        def log_message(self, *args):  # quiet: the teacher's terminal stays readable
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run(plan: dict) -> int:
    host = plan["host"]
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    env = {**os.environ, **plan["env"]}
    procs = [subprocess.Popen(w["command"], env=env) for w in plan["workers"]]
    front = None
    try:
        for w, p in zip(plan["workers"], procs):
            if not wait_until_up(host, w["port"], p):
                print("leadsim-app: error: the server did not start (see above)", file=sys.stderr, flush=True)
                _stop(procs)
                return 1
        if len(procs) > 1:
            front = redirector(host, plan["port"], [w["port"] for w in plan["workers"]])
            threading.Thread(target=front.serve_forever, daemon=True).start()
        for line in plan["ready"]:
            print(line, flush=True)
        while True:
            for p in procs:
                if p.poll() is not None:
                    _stop(procs)
                    return p.returncode
            time.sleep(0.5)
    except KeyboardInterrupt:
        _stop(procs)
        return 0
    finally:
        if front is not None:
            front.shutdown()


if __name__ == "__main__":
    sys.exit(run(json.loads(sys.argv[1])))
