"""Benchmark: the scoring API (``python -m core serve``, issue 19) under load, on this machine.

    .venv/bin/python bench/bench_serve.py                 # 10 s per case
    .venv/bin/python bench/bench_serve.py --seconds 3     # a quick look
    .venv/bin/python bench/bench_serve.py --workers 2     # one server process per core

In a temporary KEEL_HOME it trains a model on the churn sample (``data/customer_churn.csv``, Keel's own choice
of algorithm within ``--time-budget``), makes an API key, starts a real server on a free loopback port, then
for one row and for 1,000 rows per request, with 1 and with 10 clients at once (each its own process, one
kept-alive connection, requests back to back), counts requests a second and the latency each client saw
(p50/p95, milliseconds). Clients and server share this machine's cores, as they would on one small box.
Target (issue 19): p95 under 50 ms for one row at 10 clients on 2 cores.

Measured 2026-12-07 on this 2-core machine, quiet (load average 0.8), one server process, churn:1 (logistic
regression), 10 s per case:

    1 row     x  1 client:    67.9 req/s, p50 13.9 ms, p95  20.6 ms, server CPU 14.3 ms/req
    1 row     x 10 clients:  298.4 req/s, p50 31.5 ms, p95  46.4 ms, server CPU  3.3 ms/req   (target met)
    1000 rows x  1 client:    24.6 req/s (24,600 rows/s), p50  38.9 ms, p95  54.8 ms
    1000 rows x 10 clients:   31.6 req/s (31,600 rows/s), p50 323.4 ms, p95 396.3 ms

On the same machine with other work running (load 6-7.5), one row at 10 clients had p95 69-144 ms: the clients
and the server then wait for a core, which the server's CPU time per request shows is not its own cost.

Latency on a shared machine moves with whatever else runs, so each case also gives the machine's load average
and the server's own CPU time per request (its processes' user + system time, from /proc): that number hardly
depends on the neighbours, and is the one to compare between two versions of the server.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import multiprocessing as mp
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "customer_churn.csv"


def _client(port: int, path: str, key: str, body: bytes, seconds: float, start_at: float, out: mp.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    while time.time() < start_at:
        time.sleep(0.001)
    latencies, errors, end = [], 0, start_at + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        errors += response.status != 200
    out.put((latencies, errors))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = " ".join(p.read_text() for p in Path(f"/proc/{pid}/task").glob("*/children")).split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(c)) for c in children)


def run_case(port: int, ref: str, key: str, rows: list[dict], clients: int, seconds: float, server_pid: int = 0,
             query: str = "") -> dict:
    body = json.dumps({"rows": rows}).encode()
    cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
    out: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0
    path = f"/v1/models/{ref}/predict{query}"
    procs = [mp.Process(target=_client, args=(port, path, key, body, seconds, start_at, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    cpu = _cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    latencies = [x for lat, _ in results for x in lat]
    return {
        "rows_per_request": len(rows),
        "clients": clients,
        "requests": len(latencies),
        "errors": sum(e for _, e in results),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "rows_per_s": round(len(latencies) * len(rows) / seconds),
        "p50_ms": round(_percentile(latencies, 0.50), 1),
        "p95_ms": round(_percentile(latencies, 0.95), 1),
        "server_cpu_ms_per_request": round(cpu * 1000 / max(1, len(latencies)), 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def _typed(text: str) -> str | float | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"`core {' '.join(args)}` failed: {done.stderr[-2000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each case runs")
    parser.add_argument("--time-budget", type=float, default=30.0, help="training time for the model")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--explain", action="store_true", help="also one row with ?explain=true, 1 client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keel-bench-serve-") as tmp:
        env = {**os.environ, "KEEL_HOME": str(Path(tmp) / "keel_home")}
        trained = json.loads(
            _cli(env, "train", str(SAMPLE), "--target", "churned", "--name", "churn", "--json",
                 "--time-budget", str(args.time_budget))
        )
        key = json.loads(_cli(env, "apikey", "create", "bench", "--rate", "100000000", "--json"))["key"]
        with SAMPLE.open(newline="") as fh:  # as a program sends them: numbers as JSON numbers, blanks as null
            table = [{k: _typed(v) for k, v in r.items() if k != "churned"} for r in csv.DictReader(fh)]
        log = Path(tmp) / "server.log"
        server = subprocess.Popen([sys.executable, "-m", "core", "serve", "--port", "0", "--workers", str(args.workers)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=log.open("wb"))
        try:
            port = 0
            for _ in range(600):
                found = re.search(r"127\.0\.0\.1:(\d+)", log.read_text())
                if found:
                    port = int(found.group(1))
                    break
                time.sleep(0.1)
            if not port:
                raise SystemExit(f"the server did not start: {log.read_text()[-2000:]}")
            run_case(port, "churn", key, table[:1], 10, 3.0)  # warm up: every worker process loads the model
            model = trained["model"]
            print(f"model: {model['name']}:{model['version']} ({model['algorithm']}), cores: {os.cpu_count()}, "
                  f"{args.workers} server process(es), {args.seconds:g} s per case", file=sys.stderr)
            results = []
            cases = [(rows, clients, "") for rows in (table[:1], table[:1000]) for clients in (1, 10)]
            if args.explain:
                cases.append((table[:1], 1, "?explain=true"))
            for rows, clients, query in cases:
                result = run_case(port, "churn@champion", key, rows, clients, args.seconds, server.pid, query)
                result["explain"] = bool(query)
                results.append(result)
                print(
                    f"{result['rows_per_request']:>5} rows x {clients:>2} clients{' explain' if query else ''}: "
                    f"{result['requests_per_s']:>7.1f} req/s ({result['rows_per_s']:>8,} rows/s), "
                    f"p50 {result['p50_ms']:>7.1f} ms, p95 {result['p95_ms']:>7.1f} ms, "
                    f"server CPU {result['server_cpu_ms_per_request']:>6.2f} ms/req, "
                    f"load {result['load_average_1min']:.2f}, errors {result['errors']}",
                    file=sys.stderr,
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        one_row_10 = next(r for r in results if r["rows_per_request"] == 1 and r["clients"] == 10 and not r["explain"])
        print(json.dumps({"algorithm": model["algorithm"], "cores": os.cpu_count(), "workers": args.workers,
                          "results": results,
                          "target_met": one_row_10["p95_ms"] < 50}))


if __name__ == "__main__":
    main()
