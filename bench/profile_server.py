"""Where the HTTP server spends a request: wrk against our server, three ways.

    .venv/bin/python bench/profile_server.py [--op get|post] [--seconds S]

1. the real server, no profiler: the req/s the throughput bench sees;
2. the same uvicorn door around a stub engine that returns a fixed customer: the ceiling
   of the HTTP stack, so (1) vs (2) splits a request between door and engine;
3. the real server under cProfile, printed by own time (profiler overhead inflates many
   small calls; compare shares, and use (1) and (2) for absolute costs).

Every server is a child process on 127.0.0.1, stopped (by its pid) before this exits.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import signal
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from throughput import (
    FULL,
    HOST,
    WrkResult,
    create_customer,
    fmt_wrk,
    free_port,
    run_wrk,
    started,
)

from stripekit.sandbox import Sandbox
from stripekit.sandbox.engine import Response
from stripekit.sandbox.server import serve_forever


class StubEngine:
    """Answers every request with one canned customer: the door's work, no engine."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def handle(self, method: str, path: str, query: Any, headers: Any, body: bytes) -> Response:
        headers_out = [
            ("content-type", "application/json"),
            ("stripe-version", "2026-08-26.dahlia"),
            ("request-id", "req_stubstubstubst"),
        ]
        return Response(200, headers_out, self._body)


def child(mode: str, port: int, key_file: Path, stats_file: Path) -> None:
    """Run in the server process: serve until SIGINT, then write the profile."""
    sandbox = Sandbox()
    key_file.write_text(sandbox.api_key)
    if mode == "stub":
        # The sandbox's own answer, so the door writes exactly as many bytes.
        form = {
            "authorization": f"Bearer {sandbox.api_key}",
            "content-type": "application/x-www-form-urlencoded",
        }
        body = sandbox.engine.handle(
            "POST", "/v1/customers", "", form, b"email=bench%40example.com&name=Bench+Customer"
        ).body
        serve_forever(StubEngine(body), HOST, port)  # type: ignore[arg-type]
        return
    profiler = cProfile.Profile() if mode == "profile" else None
    if profiler is not None:
        profiler.enable()
    try:
        serve_forever(sandbox.engine, HOST, port)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(stats_file)


def measure(mode: str, op: str, seconds: int, workdir: Path) -> tuple[WrkResult | str, Path]:
    port = free_port()
    key_file, stats_file = workdir / f"{mode}.key", workdir / f"{mode}.prof"
    argv = [sys.executable, __file__, "--child", mode, str(port), str(key_file), str(stats_file)]
    settings = replace(FULL, wrk_seconds=seconds)
    with started(mode, argv, port, workdir) as server:
        server.api_key = key_file.read_text()
        url = f"{server.url}/v1/customers"
        if op == "get":
            url += f"/{create_customer(server)}"
        result = run_wrk(url, settings, server.api_key, post=op == "post")
        # SIGINT lets uvicorn return, so the child writes its profile before exiting.
        server.process.send_signal(signal.SIGINT)
        # If it hangs, `started` terminates it on the way out.
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(15)
    return result, stats_file


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, port, key_file, stats_file = sys.argv[2:6]
        child(mode, int(port), Path(key_file), Path(stats_file))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--op", choices=("get", "post"), default="get")
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stripekit-profile-") as tmp:
        workdir = Path(tmp)
        plain, _ = measure("real", args.op, args.seconds, workdir)
        stub, _ = measure("stub", args.op, args.seconds, workdir)
        profiled, stats_file = measure("profile", args.op, args.seconds, workdir)
        print(f"wrk {args.op.upper()} /v1/customers, -c8 -d{args.seconds}s")
        print(f"  real server:               {fmt_wrk(plain)}")
        print(f"  door with a stub engine:   {fmt_wrk(stub)}")
        print(f"  real server under cProfile {fmt_wrk(profiled)}")
        if isinstance(plain, WrkResult) and isinstance(stub, WrkResult):
            per_request, door = 1e6 / plain.per_second, 1e6 / stub.per_second
            print(
                f"  per request: {per_request:.1f} us, of which the door {door:.1f} us and "
                f"the engine (with its adapter) {per_request - door:.1f} us"
            )
        if not stats_file.exists():
            print("no profile written")
            return
        out = io.StringIO()
        stats = pstats.Stats(str(stats_file), stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(r"stripekit", args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
