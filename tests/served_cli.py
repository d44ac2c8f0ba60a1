"""`stripekit sandbox serve` as a real subprocess, for the tests of what survives it."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db: str | Path, port: int, *, stop: int = signal.SIGTERM) -> Iterator[str]:
    """Run the real CLI on `db` (a SQLite file or a database URL); yield the secret key it
    prints; end it with `stop` (SIGKILL: a crash, nothing flushed on the way out)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripekit.cli",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        key = None
        deadline = time.monotonic() + 20
        while key is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            match = re.search(r"secret key: (sk_test_\w+)", line)
            if match:
                key = match.group(1)
        assert key, "the server did not print its key"
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield key
    finally:
        proc.send_signal(stop)
        proc.wait(10)
