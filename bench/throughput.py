"""stripekit sandbox throughput: every figure and ratio of the benchmark in one run.

    .venv/bin/python bench/throughput.py [--quick]

Measures (see bench/README.md for the method and the targets):
  1. HTTP with a keep-alive Python client (httpx.Client): POST /v1/customers and
     GET /v1/customers/{id} against our server (a `stripekit sandbox serve` subprocess);
  2. the same requests against localstripe, started on 127.0.0.1 from bench/.peers/;
  3. wrk on the same two endpoints against both servers;
  4. in-process calls/s through `Sandbox().client()` against the SDK's own ceiling (the
     same StripeClient over an HTTPClient that returns a canned response);
  5. create time for 100 customers in a row around the 100th vs the 10,000th;
  6. RSS of both server processes after the HTTP runs.

Exits 1 if a target is missed, 0 otherwise (targets that could not run count as SKIP).
Only 127.0.0.1 is ever bound or contacted.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import stripe

from stripekit.sandbox import Sandbox
from stripekit.sandbox.embedded import IN_PROCESS_BASE

BENCH_DIR = Path(__file__).resolve().parent
PEERS_DIR = BENCH_DIR / ".peers"
LOCALSTRIPE_VENV = PEERS_DIR / "localstripe"
# Pinned so ratios from different days compare the same peer.
LOCALSTRIPE_VERSION = "1.15.10"
HOST = "127.0.0.1"
CUSTOMER = {"email": "bench@example.com", "name": "Bench Customer"}
LOCALSTRIPE_KEY = "sk_test_bench_localstripe"  # localstripe accepts any sk_ key

# The targets from the issue.
CREATE_VS_LOCALSTRIPE = 100.0
RETRIEVE_VS_LOCALSTRIPE = 4.0
INPROCESS_VS_CEILING = 0.70
SCALING_SLOWDOWN = 1.20


@dataclass(frozen=True)
class Settings:
    http_requests: int  # per endpoint per server, Python client
    http_budget: float  # seconds; caps each Python-client loop
    wrk_seconds: int
    wrk_threads: int
    wrk_connections: int
    wrk_rounds: int  # the best round counts: on a shared machine noise only slows
    inprocess_calls: int  # per operation per round
    inprocess_rounds: int  # the best round counts, as for wrk
    inprocess_budget: float  # seconds; caps each in-process loop
    scaling_total: int
    scaling_budget: float


FULL = Settings(
    http_requests=2000,
    http_budget=10.0,
    wrk_seconds=5,
    wrk_threads=1,  # one core for wrk, the other for the server under test
    wrk_connections=8,
    wrk_rounds=2,
    inprocess_calls=3000,
    inprocess_rounds=3,
    inprocess_budget=10.0,
    scaling_total=10_000,
    scaling_budget=90.0,
)
QUICK = replace(
    FULL,
    http_requests=300,
    http_budget=3.0,
    wrk_seconds=2,
    wrk_rounds=1,
    inprocess_calls=1000,
    inprocess_rounds=1,
    inprocess_budget=3.0,
    scaling_budget=45.0,  # the scaling target is about the 10,000th customer: no shortcut
)


# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float
    errors: int = 0

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


def bounded(call: Callable[[int], bool], count: int, budget: float) -> Rate:
    """Run `call(i)` up to `count` times, stopping early after `budget` seconds; `call`
    returns whether the request succeeded."""
    errors = done = 0
    start = time.perf_counter()
    deadline = start + budget
    while done < count:
        if not call(done):
            errors += 1
        done += 1
        if time.perf_counter() > deadline:
            break
    return Rate(done, time.perf_counter() - start, errors)


def fmt_rate(rate: Rate) -> str:
    text = f"{rate.per_second:>10,.0f} /s  ({rate.count:,} in {rate.seconds:.2f}s"
    if rate.errors:
        text += f", {rate.errors:,} ERRORS"
    return text + ")"


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs <= 0:
        return None
    return ours / theirs


# -- servers -------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    url: str
    api_key: str
    process: subprocess.Popen[bytes]

    def memory_kb(self) -> dict[str, int]:
        """VmRSS (now) and VmHWM (peak) from /proc; empty where /proc is unavailable."""
        found: dict[str, int] = {}
        try:
            lines = Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
        except OSError:
            return found
        for line in lines:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
        return found


def free_port() -> int:
    # Ask the kernel for a free loopback port; the tiny race until the server binds it
    # is acceptable for a benchmark.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not listening on {HOST}:{port} after {timeout}s")


@contextmanager
def started(name: str, argv: list[str], port: int, workdir: Path) -> Iterator[Server]:
    """Run a server subprocess (output to a log file, so a full pipe can never stall it)
    and stop that one process, by its handle, on the way out."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        wait_listening(proc, port, log, timeout=30)
        yield Server(name, f"http://{HOST}:{port}", "", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def stripekit_argv(port: int) -> list[str]:
    # The console script next to this interpreter is what users run; fall back to the
    # module when the bench runs under some other interpreter.
    script = Path(sys.executable).with_name("stripekit")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "stripekit.cli"]
    return [*base, "sandbox", "serve", "--host", HOST, "--port", str(port)]


def printed_key(log: Path) -> str:
    match = re.search(r"secret key: (sk_test_\w+)", log.read_text())
    if match is None:
        raise RuntimeError(f"no secret key in the server's output:\n{log.read_text()}")
    return match.group(1)


def localstripe_python() -> Path | None:
    """The peer venv's interpreter, creating the venv on first run. None if that fails."""
    python = LOCALSTRIPE_VENV / "bin" / "python"
    marker = LOCALSTRIPE_VENV / f".installed-{LOCALSTRIPE_VERSION}"
    if python.exists() and marker.exists():
        return python
    print(f"  setting up {LOCALSTRIPE_VENV} (first run: pip install localstripe) ...")
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(LOCALSTRIPE_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"localstripe=={LOCALSTRIPE_VERSION}"],
            check=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"  could not install localstripe ({exc}); its comparisons are skipped")
        return None
    marker.touch()
    return python


def flush_localstripe(server: Server) -> None:
    # localstripe pickles its whole store on every write, so each write costs more as the
    # store grows; starting each wrk run from an empty store gives it its best case.
    httpx.delete(f"{server.url}/_config/data", timeout=10).raise_for_status()


def create_customer(server: Server) -> str:
    response = httpx.post(
        f"{server.url}/v1/customers",
        data=CUSTOMER,
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["id"])


# -- 1 & 2: keep-alive Python client -------------------------------------------------------


@dataclass(frozen=True)
class HttpResult:
    create: Rate
    retrieve: Rate


def python_client_run(server: Server, settings: Settings) -> HttpResult:
    auth = {"Authorization": f"Bearer {server.api_key}"}
    ids: list[str] = []
    with httpx.Client(base_url=server.url, headers=auth, timeout=10) as client:

        def create(_: int) -> bool:
            response = client.post("/v1/customers", data=CUSTOMER)
            if response.status_code != 200:
                return False
            ids.append(response.json()["id"])
            return True

        def retrieve(i: int) -> bool:
            return client.get(f"/v1/customers/{ids[i % len(ids)]}").status_code == 200

        # Warm the connection and both code paths before the clock starts.
        for i in range(20):
            create(i)
            retrieve(i)
        if not ids:
            raise RuntimeError(f"{server.name}: POST /v1/customers never succeeded")
        created = bounded(create, settings.http_requests, settings.http_budget)
        retrieved = bounded(retrieve, settings.http_requests, settings.http_budget)
    return HttpResult(created, retrieved)


# -- 3: wrk --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    per_second: float
    requests: int
    bad_responses: int
    socket_errors: str
    latency_avg: str

    @property
    def usable(self) -> bool:
        # Error answers are cheap; a rate that includes them says nothing.
        return self.bad_responses == 0 and not self.socket_errors


def run_wrk(url: str, settings: Settings, api_key: str, *, post: bool) -> WrkResult | str:
    """One wrk run; a string explains why there is no result."""
    argv = [
        "wrk",
        f"-t{settings.wrk_threads}",
        f"-c{settings.wrk_connections}",
        f"-d{settings.wrk_seconds}s",
    ]
    if post:
        argv += ["-s", str(BENCH_DIR / "post_customer.lua")]
    else:
        argv += ["-H", f"Authorization: Bearer {api_key}"]
    env = {**os.environ, "BENCH_API_KEY": api_key}
    try:
        done = subprocess.run(
            [*argv, url],
            capture_output=True,
            text=True,
            env=env,
            timeout=settings.wrk_seconds + 30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "wrk timed out"
    out = done.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if done.returncode != 0 or rate is None:
        return f"wrk failed ({done.returncode}): {done.stderr.strip() or out.strip()}"
    total = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    latency = re.search(r"Latency\s+(\S+)", out)
    return WrkResult(
        float(rate.group(1)),
        int(total.group(1)) if total else 0,
        int(bad.group(1)) if bad else 0,
        errors.group(1).strip() if errors else "",
        latency.group(1) if latency else "?",
    )


def wrk_rate(result: WrkResult | str | None) -> float | None:
    return result.per_second if isinstance(result, WrkResult) and result.usable else None


def fmt_wrk(result: WrkResult | str | None) -> str:
    if result is None:
        return "skipped"
    if isinstance(result, str):
        return result
    text = (
        f"{result.per_second:>10,.0f} /s  ({result.requests:,} requests, "
        f"avg latency {result.latency_avg}"
    )
    if result.bad_responses:
        text += f", {result.bad_responses:,} NON-2xx"
    if result.socket_errors:
        text += f", socket errors: {result.socket_errors}"
    return text + ")"


# -- 4: in-process and the SDK's ceiling ---------------------------------------------------


CannedResponse = tuple[str, int, dict[str, str]]


class CannedHTTPClient(stripe.HTTPClient):
    """Answers every request with a fixed response: what the SDK costs with no server."""

    name = "bench-canned"

    def __init__(self, responses: Mapping[str, CannedResponse]) -> None:
        super().__init__()
        self._responses = responses

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        body, status, response_headers = self._responses[method.lower()]
        # A fresh dict per call, as a real transport builds one.
        return body, status, dict(response_headers)

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        body, status, response_headers = self._responses[method.lower()]
        return io.BytesIO(body.encode()), status, dict(response_headers)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class InProcessResult:
    create: Rate
    retrieve: Rate
    ceiling_create: Rate
    ceiling_retrieve: Rate


def best(rates: list[Rate]) -> Rate:
    return max(rates, key=lambda r: r.per_second)


def inprocess_run(settings: Settings) -> InProcessResult:
    with Sandbox() as sandbox:
        client = sandbox.client()
        ids: list[str] = []

        def create(_: int) -> bool:
            ids.append(client.v1.customers.create(params=CUSTOMER).id)
            return True

        def retrieve(i: int) -> bool:
            client.v1.customers.retrieve(ids[i % len(ids)])
            return True

        for i in range(50):
            create(i)
            retrieve(i)

        # The ceiling replays the sandbox's own answers (body and headers), so the SDK
        # parses exactly what it parses from the sandbox; only the engine is missing.
        auth = {"authorization": f"Bearer {sandbox.api_key}"}
        form = {**auth, "content-type": "application/x-www-form-urlencoded"}
        posted = sandbox.engine.handle(
            "POST", "/v1/customers", "", form, b"email=bench%40example.com&name=Bench+Customer"
        )
        got = sandbox.engine.handle("GET", f"/v1/customers/{ids[0]}", "", auth, b"")
        canned = CannedHTTPClient(
            {
                "post": (posted.body.decode(), posted.status, dict(posted.headers)),
                "get": (got.body.decode(), got.status, dict(got.headers)),
            }
        )
        ceiling = stripe.StripeClient(
            sandbox.api_key, http_client=canned, base_addresses={"api": IN_PROCESS_BASE}
        )

        def ceiling_create(_: int) -> bool:
            ceiling.v1.customers.create(params=CUSTOMER)
            return True

        def ceiling_retrieve(i: int) -> bool:
            ceiling.v1.customers.retrieve(ids[i % len(ids)])
            return True

        for i in range(50):
            ceiling_create(i)
            ceiling_retrieve(i)

        # Interleaved rounds, best of each: interference on a shared machine only ever
        # slows a round down, so the best round is the closest to the true cost.
        runs: dict[str, list[Rate]] = {"c": [], "r": [], "cc": [], "cr": []}
        n, budget = settings.inprocess_calls, settings.inprocess_budget
        for _ in range(settings.inprocess_rounds):
            runs["c"].append(bounded(create, n, budget))
            runs["cc"].append(bounded(ceiling_create, n, budget))
            runs["r"].append(bounded(retrieve, n, budget))
            runs["cr"].append(bounded(ceiling_retrieve, n, budget))
    return InProcessResult(best(runs["c"]), best(runs["r"]), best(runs["cc"]), best(runs["cr"]))


# -- 5: scaling ----------------------------------------------------------------------------

BATCH = 100
WINDOW = 3  # timed batches per position; their median damps a single GC pause or hiccup


@dataclass(frozen=True)
class ScalingResult:
    total: int
    early: list[float]  # seconds per batch of BATCH creates, customers 101 onwards
    late: list[float]  # the same, the last batches before customer `total`
    build: list[float]  # every batch of the untimed build-up, for the curve
    complete: bool


def scaling_run(settings: Settings) -> ScalingResult:
    """Two sandboxes: one filled up to just before the 10,000th customer, one holding
    100. Their measured batches then alternate, so whatever else the machine is doing
    weighs on both positions alike."""
    deadline = time.perf_counter() + settings.scaling_budget
    late_start = settings.scaling_total - BATCH * WINDOW
    with Sandbox() as full, Sandbox() as fresh:
        clients = []
        for sandbox in (full, fresh):
            # Warm the code paths on another account of the same sandbox, so no measured
            # batch pays for first-call work (50 extra rows move positions by 0.5%).
            warm = sandbox.client(sandbox.new_api_key())
            for _ in range(50):
                warm.v1.customers.create(params=CUSTOMER)
            clients.append(sandbox.client())
        late_client, early_client = clients

        def batch(client: stripe.StripeClient) -> float:
            start = time.perf_counter()
            for _ in range(BATCH):
                client.v1.customers.create(params=CUSTOMER)
            return time.perf_counter() - start

        build: list[float] = []
        while len(build) * BATCH < late_start and time.perf_counter() < deadline:
            build.append(batch(late_client))
        complete = len(build) * BATCH >= late_start
        early: list[float] = []
        late: list[float] = []
        if complete:
            batch(early_client)  # customers 1-100 of the early sandbox
            for _ in range(WINDOW):
                early.append(batch(early_client))
                late.append(batch(late_client))
    return ScalingResult(settings.scaling_total, early, late, build, complete)


# -- the run -------------------------------------------------------------------------------


@dataclass
class Verdicts:
    lines: list[tuple[str, str, str]]

    def add(self, name: str, value: float | None, target: float, *, at_most: bool) -> None:
        if value is None:
            self.lines.append((name, "n/a", "SKIP"))
            return
        ok = value <= target if at_most else value >= target
        bound = f"<= {target:g}" if at_most else f">= {target:g}"
        self.lines.append((name, f"{value:,.2f}x (target {bound})", "PASS" if ok else "MISS"))

    @property
    def missed(self) -> bool:
        return any(verdict == "MISS" for _, _, verdict in self.lines)


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}x"


def load_note() -> str:
    # Other work on a 2-core machine takes a core from the server; say so up front.
    one, five, _ = os.getloadavg()
    note = f"load average {one:.2f} (1 min), {five:.2f} (5 min)"
    if one > 0.5:
        note += "  << the machine is busy: figures may be low and ratios noisy"
    return note


class CpuMeter:
    """CPU time that processes other than this bench and its children used during the
    run: the machine's busy time (/proc/stat) minus our own. The load average cannot
    tell, since the bench itself keeps a core busy."""

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        except OSError:
            return None
        user, nice, system = (int(v) for v in fields[1:4])
        machine = (user + nice + system) / os.sysconf("SC_CLK_TCK")
        times = os.times()
        # Children count once waited for: the servers, wrk and pip all are by the end.
        ours = times.user + times.system + times.children_user + times.children_system
        return machine, ours, time.monotonic()

    def note(self) -> str:
        end = self._sample()
        if self._start is None or end is None:
            return "CPU used by other processes: unknown (no /proc/stat)"
        other = max(0.0, (end[0] - self._start[0]) - (end[1] - self._start[1]))
        share = other / max(end[2] - self._start[2], 1e-9)
        note = f"CPU used by other processes during the run: {other:.1f}s ({share:.0%} of a core)"
        if share > 0.10:
            note += "  << figures may be low and ratios noisy"
        return note


def python_client_section(servers: list[Server], settings: Settings) -> None:
    section(
        f"1-2. HTTP, keep-alive httpx.Client, up to {settings.http_requests:,} requests "
        f"or {settings.http_budget:g}s per line"
    )
    http = {server.name: python_client_run(server, settings) for server in servers}
    for name, result in http.items():
        print(f"  {name:<12} POST /v1/customers      {fmt_rate(result.create)}")
        print(f"  {name:<12} GET  /v1/customers/{{id}} {fmt_rate(result.retrieve)}")
    if "localstripe" in http:
        ours, peer = http["stripekit"], http["localstripe"]
        c = ratio(ours.create.per_second, peer.create.per_second)
        r = ratio(ours.retrieve.per_second, peer.retrieve.per_second)
        print(f"  ratio stripekit/localstripe: create {fmt_ratio(c)}, retrieve {fmt_ratio(r)}")
        print("  (one Python client caps these figures; wrk below measures the servers)")


def wrk_section(servers: list[Server], settings: Settings, verdicts: Verdicts) -> None:
    section(
        f"3. wrk -t{settings.wrk_threads} -c{settings.wrk_connections} "
        f"-d{settings.wrk_seconds}s, best of {settings.wrk_rounds} round(s)"
    )
    results: dict[tuple[str, str], WrkResult | str] = {}
    if shutil.which("wrk") is None:
        print("  wrk not found, skipped (install it: apt-get install -y wrk)")
    else:
        # Rounds alternate the servers so that a burst of other load hits both.
        for _ in range(settings.wrk_rounds):
            for op in ("POST", "GET"):
                for server in servers:
                    if server.name == "localstripe":
                        flush_localstripe(server)
                    url = f"{server.url}/v1/customers"
                    if op == "GET":
                        url += f"/{create_customer(server)}"
                    result = run_wrk(url, settings, server.api_key, post=op == "POST")
                    kept = results.get((server.name, op))
                    if kept is None or (wrk_rate(result) or 0) > (wrk_rate(kept) or 0):
                        results[server.name, op] = result
        for server in servers:
            for op, label in (
                ("POST", "POST /v1/customers     "),
                ("GET", "GET  /v1/customers/{id}"),
            ):
                print(f"  {server.name:<12} {label} {fmt_wrk(results.get((server.name, op)))}")
        if len(servers) > 1:
            print("  (localstripe is emptied before each run: its writes slow down as it grows)")

    def wrk_ratio(op: str) -> float | None:
        return ratio(
            wrk_rate(results.get(("stripekit", op))), wrk_rate(results.get(("localstripe", op)))
        )

    create, retrieve = wrk_ratio("POST"), wrk_ratio("GET")
    print(
        f"  ratio stripekit/localstripe: create {fmt_ratio(create)}, retrieve {fmt_ratio(retrieve)}"
    )
    verdicts.add("wrk create, stripekit/localstripe", create, CREATE_VS_LOCALSTRIPE, at_most=False)
    verdicts.add(
        "wrk retrieve, stripekit/localstripe", retrieve, RETRIEVE_VS_LOCALSTRIPE, at_most=False
    )


def memory_section(servers: list[Server]) -> None:
    section("6. server memory after the HTTP runs")
    for server in servers:
        memory = server.memory_kb()
        if not memory:
            print(f"  {server.name:<12} RSS unavailable (no /proc)")
            continue
        print(
            f"  {server.name:<12} RSS {memory.get('VmRSS', 0) / 1024:,.1f} MiB "
            f"(peak {memory.get('VmHWM', 0) / 1024:,.1f} MiB)"
        )


def inprocess_section(settings: Settings, verdicts: Verdicts) -> None:
    section(
        f"4. in-process, best of {settings.inprocess_rounds} round(s) of up to "
        f"{settings.inprocess_calls:,} calls"
    )
    result = inprocess_run(settings)
    pairs = (
        ("create  ", result.create, result.ceiling_create),
        ("retrieve", result.retrieve, result.ceiling_retrieve),
    )
    for label, rate, ceiling in pairs:
        share = ratio(rate.per_second, ceiling.per_second)
        per_call, ceiling_per_call = 1e6 / rate.per_second, 1e6 / ceiling.per_second
        print(f"  Sandbox().client() customers.{label} {fmt_rate(rate)}  {per_call:6.1f} us/call")
        print(
            f"  SDK ceiling        customers.{label} {fmt_rate(ceiling)}  "
            f"{ceiling_per_call:6.1f} us/call"
        )
        print(
            f"  in-process/ceiling {fmt_ratio(share)}; the sandbox adds "
            f"{per_call - ceiling_per_call:.1f} us/call"
        )
        verdicts.add(
            f"in-process {label.strip()}/SDK ceiling", share, INPROCESS_VS_CEILING, at_most=False
        )


def scaling_section(settings: Settings, verdicts: Verdicts) -> None:
    section(f"5. scaling: {BATCH} creates in a row, in-process, one account")
    result = scaling_run(settings)
    name = f"scaling, {result.total:,}th/{BATCH}th create"
    # The build-up curve is not interleaved, so it is context, not the verdict.
    curve = ", ".join(
        f"{(i + 1) * BATCH:,}: {t * 1e3:.0f}"
        for i, t in enumerate(result.build)
        if (i + 1) % max(1, len(result.build) // 8) == 0
    )
    print(f"  build-up, ms per {BATCH} creates by position: {curve}")
    if not result.complete:
        print(f"  stopped after {len(result.build) * BATCH:,} customers: time budget spent")
        verdicts.add(name, None, SCALING_SLOWDOWN, at_most=True)
        return
    early, late = statistics.median(result.early), statistics.median(result.late)
    late_from = result.total - BATCH * WINDOW + 1
    print("  measured batches alternate between the two positions:")
    print(
        f"  around the {BATCH}th    (customers {BATCH + 1}-{BATCH * (WINDOW + 1)}):"
        f"      {early * 1e3:6.1f} ms per {BATCH} (median of {WINDOW})"
    )
    print(
        f"  around the {result.total:,}th (customers {late_from:,}-{result.total:,}):"
        f" {late * 1e3:6.1f} ms per {BATCH} (median of {WINDOW})"
    )
    slowdown = late / early
    print(f"  late/early {fmt_ratio(slowdown)}")
    verdicts.add(name, slowdown, SCALING_SLOWDOWN, at_most=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (well under a minute)")
    parser.add_argument("--no-localstripe", action="store_true", help="skip the peer")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    verdicts = Verdicts([])
    began = time.monotonic()
    cpu = CpuMeter()
    print(
        f"stripekit bench: python {sys.version.split()[0]}, stripe {stripe.VERSION}, "
        f"{os.cpu_count()} CPUs, {'quick' if args.quick else 'full'} run"
    )
    print(f"  {load_note()}")

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stripekit-bench-")))
        port = free_port()
        ours = stack.enter_context(started("stripekit", stripekit_argv(port), port, workdir))
        ours.api_key = printed_key(workdir / "stripekit.log")
        servers = [ours]
        peer_python = None if args.no_localstripe else localstripe_python()
        if peer_python is not None:
            peer_port = free_port()
            peer_argv = [
                str(peer_python),
                str(BENCH_DIR / "localstripe_launcher.py"),
                "--port",
                str(peer_port),
                "--state-file",
                str(workdir / "localstripe.pickle"),
            ]
            peer = stack.enter_context(started("localstripe", peer_argv, peer_port, workdir))
            peer.api_key = LOCALSTRIPE_KEY
            servers.append(peer)
        python_client_section(servers, settings)
        wrk_section(servers, settings, verdicts)
        memory_section(servers)
    # Both servers are stopped here: the in-process runs get the machine to themselves.
    inprocess_section(settings, verdicts)
    scaling_section(settings, verdicts)

    section("targets")
    for name, value, verdict in verdicts.lines:
        print(f"  {verdict:<4}  {name:<40} {value}")
    print(f"\n  {cpu.note()}")
    print(f"  bench took {time.monotonic() - began:.0f}s")
    return 1 if verdicts.missed else 0


if __name__ == "__main__":
    sys.exit(main())
