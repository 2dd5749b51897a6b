#!/usr/bin/env python3
"""streams.py — stream entry commands (issue 4): rill-server against
redis-server in one run.

Throughput rows use redis-benchmark with a raw command, 50 clients:
  * XADD with auto IDs at -P 1 and -P 16: XADD s * f1 v1 f2 v2 (the stream
    is deleted before each run, outside the CPU sample);
  * XRANGE of 100 entries at -P 1 and -P 16: XRANGE r - + COUNT 100 on a
    stream pre-filled with 10,000 entries of two small fields.
For every row the runs alternate A B A B (--rounds times) so machine noise
hits both alike; each run samples the server's CPU time (utime+stime from
/proc/PID/stat) before and after, giving CPU microseconds per operation.
Medians and ratios (rill / redis): throughput ratio >= 1.0 and CPU ratio
<= 1.0 mean Rill wins.

The memory row loads 1,000,000 entries of two small fields (f1 <i> f2 <i>)
with explicit increasing IDs into a fresh stream of each server (generated
RESP through redis-cli --pipe, 1,000 XADDs per chunk) and reports the
used_memory and RSS growth over the empty server.

    bench/streams.py [--rill build/release/broker/rill-server] [--rounds 3]
                     [--n1 200000] [--n16 1000000] [--entries 1000000]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, free_port, start, cpu_seconds, resp, pipe_load, cli, info_memory, rss_bytes  # noqa: E402

TESTS = {
    "xadd": ["XADD", "s", "*", "f1", "v1", "f2", "v2"],
    "xrange_100": ["XRANGE", "r", "-", "+", "COUNT", "100"],
}


def fill(port, key, count, start_ms=1):
    def gen():
        for b in range(0, count, 1000):
            yield b"".join(resp("XADD", key, "%d-1" % (start_ms + i), "f1", i, "f2", i)
                           for i in range(b, min(count, b + 1000)))
    pipe_load(port, gen())


def bench(port, test, clients, pipeline, n):
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-P", str(pipeline),
           "-n", str(n), "--csv"] + TESTS[test]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = [r for r in out.splitlines()[1:] if r]
    return float(rows[-1].split(",")[1].strip('"'))


def start_pair(args, tmp):
    rp, sp = free_port(), free_port()
    rill = start([args.rill, "--port", str(rp), "--dir", os.path.join(tmp, "rill"), "--native-listen", "",
                  "--appendonly", "no", "--save", ""], rp)
    redis = start([args.redis, "--port", str(sp), "--dir", tmp, "--save", "", "--appendonly", "no"], sp)
    return [("rill", rill, rp), ("redis", redis, sp)]


def stop(servers):
    for _, p, _ in servers:
        p.terminate()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(ROOT, "build/release/broker/rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--n1", type=int, default=200000)
    ap.add_argument("--n16", type=int, default=1000000)
    ap.add_argument("--entries", type=int, default=1000000)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="rill-bench-streams-")
    results = {}
    mem = {}
    servers = start_pair(args, tmp)
    try:
        for _, _, port in servers:
            fill(port, "r", 10000)
        for test in TESTS:
            for pl in (1, 16):
                n = args.n1 if pl == 1 else args.n16
                if test == "xrange_100":
                    n //= 4
                for rnd in range(args.rounds):
                    order = servers if rnd % 2 == 0 else servers[::-1]
                    for name, proc, port in order:
                        cli(port, "DEL", "s")
                        c0 = cpu_seconds(proc.pid)
                        rps = bench(port, test, args.clients, pl, n)
                        c1 = cpu_seconds(proc.pid)
                        us = (c1 - c0) * 1e6 / n
                        results.setdefault((test, pl, name), []).append((rps, us))
                        print("%-10s P%-2d %-5s rps=%10.0f cpu_us/op=%.3f" % (test, pl, name, rps, us),
                              file=sys.stderr)
        for _, _, port in servers:
            cli(port, "FLUSHALL")
    finally:
        stop(servers)

    # Memory: fresh servers, growth over the empty one.
    servers = start_pair(args, tmp)
    try:
        for name, proc, port in servers:
            u0, r0 = info_memory(port), rss_bytes(proc.pid)
            fill(port, "m", args.entries)
            assert int(cli(port, "XLEN", "m")) == args.entries
            mem[name] = (info_memory(port) - u0, rss_bytes(proc.pid) - r0)
            print("memory %-5s used=%d rss=%d" % (name, mem[name][0], mem[name][1]), file=sys.stderr)
    finally:
        stop(servers)
        shutil.rmtree(tmp, ignore_errors=True)

    print("| test | -P | rill req/s | redis req/s | throughput ratio | rill CPU µs/op | redis CPU µs/op | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for test in TESTS:
        for pl in (1, 16):
            a, b = results[(test, pl, "rill")], results[(test, pl, "redis")]
            ra, rb = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
            ca, cb = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
            print("| %s | %d | %.0f | %.0f | %.2f× | %.3f | %.3f | %.2f× |" %
                  (test.upper(), pl, ra, rb, ra / rb, ca, cb, ca / cb if cb else float("nan")))
    print()
    print("| %d entries (f1 i f2 i) | rill | redis | ratio |" % args.entries)
    print("|---|---|---|---|")
    for i, label in enumerate(("used_memory growth", "RSS growth")):
        a, b = mem["rill"][i], mem["redis"][i]
        print("| %s | %.1f MB | %.1f MB | %.2f× |" % (label, a / 1e6, b / 1e6, a / b))


if __name__ == "__main__":
    main()
