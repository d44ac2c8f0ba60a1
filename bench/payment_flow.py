"""Payment flows per second: "create a PaymentIntent, then confirm it with pm_card_visa"
(two requests, a charge, a balance transaction and four events per flow).

    .venv/bin/python bench/payment_flow.py            # both figures, ~10 s
    .venv/bin/python bench/payment_flow.py --quick    # shorter runs, noisier

1. in-process: `Sandbox().client()` (official SDK, no socket), in memory;
2. over HTTP: a `stripekit sandbox serve` subprocess on 127.0.0.1 (in memory), one
   keep-alive `httpx.Client` posting the same two form bodies.

Each figure is the best of a few rounds; every round stops at its flow count or its time
budget, whichever comes first, and counts a flow only if it ended `succeeded`.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from stripekit.sandbox import Sandbox

HOST = "127.0.0.1"
CREATE = {"amount": "2000", "currency": "usd", "payment_method_types[]": "card"}


@dataclass(frozen=True)
class Rate:
    flows: int
    seconds: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.flows / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        text = f"{self.per_second:>9,.0f} flows/s  ({self.flows:,} in {self.seconds:.2f}s"
        return text + (f", {self.errors:,} ERRORS)" if self.errors else ")")


def bounded(flow: Callable[[], bool], count: int, budget: float) -> Rate:
    """Run `flow` up to `count` times, stopping after `budget` seconds."""
    errors = done = 0
    start = time.perf_counter()
    deadline = start + budget
    while done < count and time.perf_counter() < deadline:
        if not flow():
            errors += 1
        done += 1
    return Rate(done - errors, time.perf_counter() - start, errors)


def best(rounds: int, run: Callable[[], Rate]) -> Rate:
    results = [run() for _ in range(rounds)]
    return max(results, key=lambda r: r.per_second)


def in_process(count: int, budget: float, rounds: int) -> Rate:
    with Sandbox() as sandbox:
        client = sandbox.client()

        def flow() -> bool:
            pi = client.v1.payment_intents.create(
                params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"]}
            )
            done = client.v1.payment_intents.confirm(
                pi.id, params={"payment_method": "pm_card_visa"}
            )
            return done.status == "succeeded"

        for _ in range(20):  # warm up: imports, validators, caches
            flow()
        return best(rounds, lambda: bounded(flow, count, budget))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(workdir: Path) -> Iterator[tuple[str, str]]:
    """A `stripekit sandbox serve` subprocess; yields (base URL, secret key) and stops that
    one process, by its handle, on the way out."""
    port = free_port()
    script = Path(sys.executable).with_name("stripekit")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "stripekit.cli"]
    log = workdir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*base, "sandbox", "serve", "--host", HOST, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            try:
                with socket.create_connection((HOST, port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.05)
        key = re.search(r"secret key: (sk_test_\w+)", log.read_text())
        if key is None:
            raise RuntimeError(f"no key in the server's output:\n{log.read_text()}")
        yield f"http://{HOST}:{port}", key.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def over_http(count: int, budget: float, rounds: int) -> Rate:
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp)) as (url, key):
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=headers) as http:

            def flow() -> bool:
                created = http.post("/v1/payment_intents", data=CREATE)
                if created.status_code != 200:
                    return False
                confirmed = http.post(
                    f"/v1/payment_intents/{created.json()['id']}/confirm",
                    data={"payment_method": "pm_card_visa"},
                )
                return confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"

            for _ in range(20):
                flow()
            return best(rounds, lambda: bounded(flow, count, budget))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter rounds, noisier")
    args = parser.parse_args()
    count, budget, rounds = (500, 1.0, 2) if args.quick else (3000, 2.5, 3)
    print(f"payment flow = create PaymentIntent + confirm with pm_card_visa; best of {rounds}")
    local = in_process(count, budget, rounds)
    print(f"  in-process (Sandbox().client())     {local}")
    remote = over_http(count, budget, rounds)
    print(f"  over HTTP (serve + keep-alive httpx) {remote}")
    return 1 if local.errors or remote.errors else 0


if __name__ == "__main__":
    sys.exit(main())
