#!/usr/bin/env python3
"""fanout.py — pub/sub fan-out (issue 5): bench/fanout against rill-server and
redis-server, side by side.

Both servers run at once on free loopback ports with persistence off.  Each
scenario runs ROUNDS times per server, alternating A B A B so machine noise
hits both alike; medians are reported with ratios (rill / redis).  One
fanout run = 0.5 s warm-up, DURATION s closed loop (delivered messages per
second, latency under load, server CPU per delivered message from
/proc/PID/stat), then DURATION s open loop at a fixed delivery rate (latency
without queueing).  See bench/fanout.c.

    bench/fanout.py [--rill build/release/broker/rill-server]
                    [--fanout build/release/bench/fanout] [--rounds 3] [--duration 3]
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
from run import ROOT, free_port, start   # noqa: E402

# label, subscribers, channels, fixed-rate deliveries/s
SCENARIOS = [
    ("1 channel, 1 subscriber", 1, 1, 10000),
    ("1 channel, 100 subscribers", 100, 1, 100000),
    ("1 channel, 1,000 subscribers", 1000, 1, 100000),
    ("1,000 channels, 1 subscriber each", 1000, 1000, 10000),
]

COLS = [("delivered_per_s", "delivered msg/s", "%.0f", True),
        ("server_cpu_us_per_msg", "server CPU µs/msg", "%.3f", False),
        ("load_p50_us", "p50 µs (load)", "%.0f", False),
        ("load_p99_us", "p99 µs (load)", "%.0f", False),
        ("fixed_p50_us", "p50 µs (fixed rate)", "%.0f", False),
        ("fixed_p99_us", "p99 µs (fixed rate)", "%.0f", False)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(ROOT, "build/release/broker/rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--fanout", default=os.path.join(ROOT, "build/release/bench/fanout"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--scenarios", default="0,1,2,3", help="indexes into SCENARIOS")
    args = ap.parse_args()
    scen = [SCENARIOS[int(i)] for i in args.scenarios.split(",")]

    tmp = tempfile.mkdtemp(prefix="rill-fanout-")
    rp, sp = free_port(), free_port()
    rill = start([args.rill, "--port", str(rp), "--dir", os.path.join(tmp, "rill")], rp)
    redis = start([args.redis, "--port", str(sp), "--dir", tmp, "--save", "", "--appendonly", "no",
                   "--maxclients", "10000"], sp)
    servers = [("rill", rill, rp), ("redis", redis, sp)]
    results = {}
    try:
        for label, subs, chans, rate in scen:
            for rnd in range(args.rounds):
                order = servers if rnd % 2 == 0 else servers[::-1]
                for name, proc, port in order:
                    out = subprocess.run([args.fanout, "-p", str(port), "-s", str(subs), "-c", str(chans),
                                          "-d", str(args.duration), "-r", str(rate), "-P", str(proc.pid)],
                                         capture_output=True, text=True, timeout=120 + 3 * args.duration)
                    if out.returncode != 0:
                        raise SystemExit("fanout failed against %s: %s" % (name, out.stderr))
                    r = json.loads(out.stdout)
                    if r["lost"] or r["errors"] or r["bad_publish_replies"]:
                        print("WARNING %s %s: %s" % (label, name, out.stdout.strip()), file=sys.stderr)
                    results.setdefault((label, name), []).append(r)
                    print("%-34s %-5s %s" % (label, name, out.stdout.strip()), file=sys.stderr)
    finally:
        for _, p, _ in servers:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("| scenario | measure | rill | redis | ratio (rill / redis) |")
    print("|---|---|---|---|---|")
    for label, subs, chans, rate in scen:
        for key, title, fmt, _ in COLS:
            a = statistics.median(r[key] for r in results[(label, "rill")])
            b = statistics.median(r[key] for r in results[(label, "redis")])
            t = title.replace("fixed rate", "%s deliveries/s" % format(rate, ","))
            print(("| %s | %s | " + fmt + " | " + fmt + " | %s |") %
                  (label, t, a, b, ("%.2f×" % (a / b)) if b else "n/a"))
    print("\nmedian of %d runs per server; ratio >= 1.0 is better for msg/s, <= 1.0 for CPU and latency."
          % args.rounds)


if __name__ == "__main__":
    main()
