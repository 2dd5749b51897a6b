#!/usr/bin/env python3
"""queues.py — job queues (issue 6): Rill's QPUSH/QFETCH/QACK against the
best Lua-free Redis recipe for the same semantics, side by side in one run.

The Redis recipe: LPUSH to enqueue (ZADD to a "delayed" zset plus a mover
polling it every 10 ms for delayed jobs and retries), BLMOVE into a
processing list for crash safety (then up to BATCH-1 pipelined LMOVEs),
pipelined LREM to acknowledge.  Rill: QPUSH, QFETCH COUNT BATCH BLOCK,
QACK LEASE token with every fetched ID.  The producer sends 64 jobs per
round trip: 64 pipelined single-job pushes, or (the "bulk" scenarios) one
multi-job push on both sides, QPUSHMANY ... PAYLOADS against an LPUSH of 64
values.  Both servers run at once on free
loopback ports with persistence off; each scenario runs ROUNDS times per
server, alternating so machine noise hits both alike; medians with ratios
(rill / redis).
Measures: operations per second (pushes, or jobs acked), and the CPU time
per operation of the server and of the load generator (utime+stime from
/proc/PID/stat over the measured window; on a 2-core machine both share the
CPUs, so throughput is bounded by 2 cores / (server + client CPU per op)).
The load generator is bench/queues.c (hiredis): one thread drives every
connection with epoll, as redis-benchmark does (until 2026-11-24 it ran a
thread per connection with blocking calls, which spent about a fifth of the
two cores on waking those threads).

    bench/queues.py [--rill build/release/broker/rill-server]
                    [--tool build/release/bench/queues] [--rounds 3] [--duration 3]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, free_port, start, cpu_seconds   # noqa: E402

# label, mode, workers, batch, push form (bench/queues.c)
SCENARIOS = [
    ("enqueue, 4 connections x 64 pipelined", "enqueue", 4, 1, "single"),
    ("enqueue -> fetch -> ack, 10 workers, batch 10", "cycle", 10, 10, "single"),
    ("enqueue -> fetch -> ack, 10 workers, batch 1", "cycle", 10, 1, "single"),
    ("enqueue, 4 connections x 64-job bulk pushes", "enqueue", 4, 1, "bulk"),
    ("bulk enqueue (64) -> fetch -> ack, 10 workers, batch 10", "cycle", 10, 10, "bulk"),
]


def run_one(tool, mode, system, port, pid, secs, workers, batch, push):
    p = subprocess.Popen([tool, mode, system, str(port), str(secs), str(workers), str(batch), push],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line:
        raise SystemExit("queues tool failed: %s" % p.stderr.read())
    c0, t0 = cpu_seconds(pid), cpu_seconds(p.pid)
    line = p.stdout.readline()
    c1, t1 = cpu_seconds(pid), cpu_seconds(p.pid)
    p.wait(timeout=60)
    if p.returncode != 0 or not line:
        raise SystemExit("queues tool failed (%s): %s" % (system, p.stderr.read()))
    r = json.loads(line)
    ops = r["ops"]
    return {"ops_per_s": ops / r["seconds"], "cpu_us_per_op": (c1 - c0) * 1e6 / ops if ops else float("nan"),
            "client_us_per_op": (t1 - t0) * 1e6 / ops if ops else float("nan")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(ROOT, "build/release/broker/rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--tool", default=os.path.join(ROOT, "build/release/bench/queues"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--producers", type=int, default=1,
                    help="producer connections in the cycle scenarios (QUEUES_PRODUCERS for the tool)")
    ap.add_argument("--scenarios", default=",".join(str(i) for i in range(len(SCENARIOS))),
                    help="indexes into SCENARIOS")
    args = ap.parse_args()
    os.environ["QUEUES_PRODUCERS"] = str(args.producers)
    scen = [SCENARIOS[int(i)] for i in args.scenarios.split(",")]

    tmp = tempfile.mkdtemp(prefix="rill-queues-")
    rp, sp = free_port(), free_port()
    rill = start([args.rill, "--port", str(rp), "--dir", os.path.join(tmp, "rill"), "--appendonly", "no", "--save", ""], rp)
    redis = start([args.redis, "--port", str(sp), "--dir", tmp, "--save", "", "--appendonly", "no"], sp)
    servers = [("rill", rill, rp), ("redis", redis, sp)]
    results = {}
    try:
        for label, mode, workers, batch, push in scen:
            for rnd in range(args.rounds):
                order = servers if rnd % 2 == 0 else servers[::-1]
                for name, proc, port in order:
                    r = run_one(args.tool, mode, name, port, proc.pid, args.duration, workers, batch, push)
                    results.setdefault((label, name), []).append(r)
                    print("%-48s %-5s %8.0f ops/s %7.2f µs server CPU/op %7.2f µs client CPU/op"
                          % (label, name, r["ops_per_s"], r["cpu_us_per_op"], r["client_us_per_op"]),
                          file=sys.stderr)
    finally:
        for _, p, _ in servers:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("| scenario | measure | rill | redis | ratio (rill / redis) |")
    print("|---|---|---|---|---|")
    for label, mode, workers, batch, push in scen:
        unit = "jobs/s" if mode == "cycle" else "pushes/s"
        per = "job" if mode == "cycle" else "push"
        for key, title, fmt in (("ops_per_s", unit, "%.0f"), ("cpu_us_per_op", "server CPU µs per " + per, "%.2f"),
                                ("client_us_per_op", "client (load generator) CPU µs per " + per, "%.2f")):
            a = statistics.median(r[key] for r in results[(label, "rill")])
            b = statistics.median(r[key] for r in results[(label, "redis")])
            print(("| %s | %s | " + fmt + " | " + fmt + " | %.2f× |") % (label, title, a, b, a / b if b else 0))
    print("\nmedian of %d runs of %.1f s per server; a higher ratio is better for throughput, "
          "a lower one for CPU." % (args.rounds, args.duration))


if __name__ == "__main__":
    main()
