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

--patterns instead measures PUBLISH against many pattern subscriptions (the
prefix index, issue 5): one idle client PSUBSCRIBEs N patterns (N = 1, 100,
10,000; "prefix": news.<i>.*, user:<i>:*, room:<i>:[ab]*, orders.<i>.?;
"star": *.<i>.*, *:<i>:*, ?<i>*, [a-z]*<i>, none with a literal prefix),
then redis-benchmark -c 20 -P 16 sends PUBLISH misc.<random> (which no
pattern matches, so the figure is the matching cost alone; with 10,000
patterns a tenth as many PUBLISHes for rill, a hundredth for redis-server,
which scans every pattern): publishes/s and
server CPU µs per PUBLISH, rill and redis-server alternating, medians.
(bench/psmatch compares the index with a scan inside one process.)

    bench/fanout.py --patterns [--rounds 3] [--publishes 200000]

--rill2 PATH runs a second rill-server build (an experiment) in the same A B C
rotation, so a change can be judged against the noise; --spread adds each
server's min–max over the rounds.
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
from run import ROOT, cpu_seconds, free_port, resp, start   # noqa: E402

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


PATTERN_SHAPES = {"prefix": ["news.%d.*", "user:%d:*", "room:%d:[ab]*", "orders.%d.?"],
                  "star": ["*.%d.*", "*:%d:*", "?%d*", "[a-z]*%d"]}


def psubscribe_all(port, n, shape):
    """An idle client holding n pattern subscriptions (returned, keep it open)."""
    import socket
    sock = socket.create_connection(("127.0.0.1", port))
    forms = PATTERN_SHAPES[shape]
    pats = [forms[i % 4] % i for i in range(n)]
    for i in range(0, n, 1000):
        sock.sendall(resp("PSUBSCRIBE", *pats[i:i + 1000]))
    want, buf = b":%d\r\n" % n, b""
    while not buf.endswith(want):
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("pattern subscriber closed")
        buf = buf[-64:] + chunk
    return sock


def publish_run(port, pid, publishes):
    cmd = ["redis-benchmark", "-p", str(port), "-c", "20", "-P", "16", "-n", str(publishes), "-r", "1000000",
           "--csv", "PUBLISH", "misc.__rand_int__", "x" * 64]
    cpu0 = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu0
    rps = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
    return rps, cpu * 1e6 / publishes


def patterns_main(args):
    tmp = tempfile.mkdtemp(prefix="rill-patterns-")
    rp, sp = free_port(), free_port()
    rill = start([args.rill, "--port", str(rp), "--dir", os.path.join(tmp, "rill")], rp)
    redis = start([args.redis, "--port", str(sp), "--dir", tmp, "--save", "", "--appendonly", "no"], sp)
    servers = [("rill", rill, rp), ("redis", redis, sp)]
    rows = []
    try:
        for n in (1, 100, 10000):
            for shape in ("prefix", "star"):
                subs = [psubscribe_all(port, n, shape) for _, _, port in servers]
                res = {}
                for rnd in range(args.rounds):
                    for name, proc, port in (servers if rnd % 2 == 0 else servers[::-1]):
                        # Redis scans every pattern (~1 ms per PUBLISH at 10,000): fewer for it there.
                        count = args.publishes // ((100 if name == "redis" else 10) if n >= 10000 else 1)
                        res.setdefault(name, []).append(publish_run(port, proc.pid, count))
                        print("%5d %-6s %-5s %.0f/s %.3f µs CPU" % ((n, shape, name) + res[name][-1]),
                              file=sys.stderr)
                for sock in subs:
                    sock.close()
                rows.append((n, shape, [statistics.median(r[k] for r in res[name]) for name in ("rill", "redis")
                                        for k in (0, 1)]))
    finally:
        for _, p, _ in servers:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("| patterns | shape | rill PUBLISH/s | redis PUBLISH/s | ratio | rill CPU µs/PUBLISH | "
          "redis CPU µs/PUBLISH | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|")
    ratio = lambda x: ("%.2f×" % x) if x >= 0.1 else ("%.2g×" % x)
    for n, shape, (ra, rc, sa, sc) in rows:
        print("| %d | %s | %.0f | %.0f | %s | %.3f | %.3f | %s |" %
              (n, shape, ra, sa, ratio(ra / sa), rc, sc, ratio(rc / sc) if sc else "n/a"))
    print("\nmedian of %d runs per server (%d publishes each; with 10,000 patterns a tenth of that for rill, "
          "a hundredth for redis; no "
          "receiver); ratio >= 1.0 is better for PUBLISH/s, <= 1.0 for CPU." % (args.rounds, args.publishes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(ROOT, "build/release/broker/rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--fanout", default=os.path.join(ROOT, "build/release/bench/fanout"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--scenarios", default="0,1,2,3", help="indexes into SCENARIOS")
    ap.add_argument("--patterns", action="store_true", help="PUBLISH against 1..10,000 pattern subscriptions")
    ap.add_argument("--publishes", type=int, default=200000, help="with --patterns: PUBLISHes per run")
    ap.add_argument("--rill2", help="a second rill-server build (an experiment) in the same rotation")
    ap.add_argument("--spread", action="store_true", help="also print each server's min-max over the rounds")
    args = ap.parse_args()
    if args.patterns:
        return patterns_main(args)
    scen = [SCENARIOS[int(i)] for i in args.scenarios.split(",")]

    tmp = tempfile.mkdtemp(prefix="rill-fanout-")
    rp, sp = free_port(), free_port()
    rill = start([args.rill, "--port", str(rp), "--dir", os.path.join(tmp, "rill")], rp)
    redis = start([args.redis, "--port", str(sp), "--dir", tmp, "--save", "", "--appendonly", "no",
                   "--maxclients", "10000"], sp)
    servers = [("rill", rill, rp), ("redis", redis, sp)]
    if args.rill2:
        r2p = free_port()
        servers.insert(1, ("rill2", start([args.rill2, "--port", str(r2p), "--dir", os.path.join(tmp, "rill2")],
                                          r2p), r2p))
    names = [n for n, _, _ in servers if n != "redis"]
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

    head = ["scenario", "measure"] + names + ["redis"] + ["ratio (%s / redis)" % n for n in names]
    if args.spread:
        head += ["%s runs" % n for n in names + ["redis"]]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, subs, chans, rate in scen:
        for key, title, fmt, _ in COLS:
            med = {n: statistics.median(r[key] for r in results[(label, n)]) for n in names + ["redis"]}
            b = med["redis"]
            t = title.replace("fixed rate", "%s deliveries/s" % format(rate, ","))
            cells = [label, t] + [fmt % med[n] for n in names + ["redis"]]
            cells += [("%.2f×" % (med[n] / b)) if b else "n/a" for n in names]
            if args.spread:
                cells += ["–".join(fmt % f(r[key] for r in results[(label, n)]) for f in (min, max))
                          for n in names + ["redis"]]
            print("| " + " | ".join(cells) + " |")
    print("\nmedian of %d runs per server; ratio >= 1.0 is better for msg/s, <= 1.0 for CPU and latency."
          % args.rounds)


if __name__ == "__main__":
    main()
