#!/usr/bin/env python3
"""run.py — redis-benchmark against rill-server and redis-server, side by side.

Both servers run at once on free ports with persistence off.  For every
test and pipeline depth the runs alternate A B A B (ROUNDS times) so that
machine noise hits both alike, and for each run the server's CPU time
(utime+stime from /proc/PID/stat) is sampled before and after, giving CPU
microseconds per operation.  Prints a markdown table of medians and ratios
(rill / redis): throughput ratio >= 1.0 and CPU ratio <= 1.0 mean Rill wins.

    bench/run.py [--rill build/release/broker/rill-server] [--rounds 3]
                 [--tests ping,set,get,incr,mset] [--clients 50]
"""
import argparse
import csv
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK   # utime, stime


def start(cmd, port):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start: %s" % cmd)


def bench(port, test, clients, pipeline, n):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", test, "-c", str(clients),
                          "-P", str(pipeline), "-n", str(n), "--csv"],
                         capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    # Header then one row per test; "ping" yields PING_INLINE and PING_MBULK: keep MBULK.
    data = [r for r in rows[1:] if r]
    for r in data:
        if r[0].startswith("PING_MBULK") or len(data) == 1 or not r[0].startswith("PING"):
            return float(r[1])
    return float(data[-1][1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(ROOT, "build/release/broker/rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", default="ping,set,get,incr,mset")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--n1", type=int, default=200000, help="requests per run at -P 1")
    ap.add_argument("--n16", type=int, default=2000000, help="requests per run at -P 16")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="rill-bench-")
    rp, sp = free_port(), free_port()
    rill = start([args.rill, "--port", str(rp), "--dir", os.path.join(tmp, "rill")], rp)
    redis = start([args.redis, "--port", str(sp), "--dir", tmp, "--save", "", "--appendonly", "no"], sp)
    servers = [("rill", rill, rp), ("redis", redis, sp)]
    results = {}
    try:
        for test in args.tests.split(","):
            for pl in [int(x) for x in args.pipelines.split(",")]:
                n = args.n1 if pl == 1 else args.n16
                for rnd in range(args.rounds):
                    order = servers if rnd % 2 == 0 else servers[::-1]
                    for name, proc, port in order:
                        c0 = cpu_seconds(proc.pid)
                        rps = bench(port, test, args.clients, pl, n)
                        c1 = cpu_seconds(proc.pid)
                        ops = 2 * n if test == "ping" else n   # -t ping runs PING_INLINE and PING_MBULK
                        results.setdefault((test, pl, name), []).append((rps, (c1 - c0) * 1e6 / ops))
                        print("%-5s P%-2d %-5s rps=%10.0f cpu_us/op=%.3f" %
                              (test, pl, name, rps, (c1 - c0) * 1e6 / ops), file=sys.stderr)
    finally:
        for _, p, _ in servers:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("| test | -P | rill req/s | redis req/s | throughput ratio | rill CPU µs/op | redis CPU µs/op | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for test in args.tests.split(","):
        for pl in [int(x) for x in args.pipelines.split(",")]:
            a = results[(test, pl, "rill")]
            b = results[(test, pl, "redis")]
            ra, rb = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
            ca, cb = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
            print("| %s | %d | %.0f | %.0f | %.2f× | %.3f | %.3f | %.2f× |" %
                  (test.upper(), pl, ra, rb, ra / rb, ca, cb, ca / cb if cb else float("nan")))


if __name__ == "__main__":
    main()
