#!/usr/bin/env python3
"""run.py — redis-benchmark against rill-server and redis-server, side by side.

Both servers run at once on free ports with persistence off.  For every
test and pipeline depth the runs alternate A B A B (ROUNDS times) so that
machine noise hits both alike, and for each run the server's CPU time
(utime+stime from /proc/PID/stat) is sampled before and after, giving CPU
microseconds per operation; the progress lines on stderr also show how many
times the server went to sleep during the run (voluntary context switches,
/proc/PID/status) and the load average, to judge the noise.  Prints a markdown table of medians and ratios
(rill / redis): throughput ratio >= 1.0 and CPU ratio <= 1.0 mean Rill wins.

    bench/run.sh [options]    (RILL_BUILD=<dir> picks the Release tree, default build/release)
    bench/run.py [--rill build/release/broker/rill-server] [--rounds 5]
                 [--tests ping,set,get,incr,mset] [--clients 50]
    bench/run.py --tests lpush,rpush,lpop,rpop,lrange_100,zadd,zpopmin,hset,sadd,spop
    bench/run.py --memory

Collection tests (issue 3) use redis-benchmark's built-in -t tests, with
these details:
  * zadd, hset, sadd run with -r KEYSPACE (default 1,000,000) so members are
    distinct (__rand_int__; without -r every request hits the same member);
    lpush/rpush/lpop/rpop/zpopmin/spop don't use __rand_int__.
  * lpop, rpop, zpopmin, spop: before each run (outside the CPU sample) the
    key is topped up so it holds at least -n elements and no pop finds it
    empty: mylist with `redis-benchmark -t lpush`, myzset/myset with
    distinct members loaded through `redis-cli --pipe`.
  * lrange_100: `-t lrange_100` first runs its own "LPUSH (needed to
    benchmark LRANGE)" with the same -n, which would land in the CPU sample;
    so mylist is topped up to >= 100 items outside the sample and the
    measured run is the identical command `redis-benchmark ... LRANGE mylist 0 99`.
--memory loads 100 lists of 100,000 items and 100 sorted sets of 100,000
members into each server (generated protocol through redis-cli --pipe) and
compares used_memory (INFO memory) and RSS (/proc/PID/status), as ratios.
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


def ctx_switches(pid):
    """Voluntary context switches of pid (times it went to sleep)."""
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("voluntary_ctxt_switches:"):
                return int(l.split()[1])
    return 0


def start(cmd, port):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start: %s" % cmd)


RANDOM_MEMBER_TESTS = {"zadd", "hset", "sadd"}       # built-ins that expand __rand_int__
CUSTOM = {"lrange_100": ["LRANGE", "mylist", "0", "99"]}  # same command as -t lrange_100


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args],
                          capture_output=True, text=True, check=True).stdout.strip()


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def pipe_load(port, chunks):
    """Send generated RESP through redis-cli --pipe; fail on any error reply."""
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for c in chunks:
        p.stdin.write(c)
    p.stdin.close()
    out = p.stdout.read().decode()
    p.wait()
    if p.returncode != 0 or "errors: 0," not in out:
        raise SystemExit("redis-cli --pipe failed on port %d: %s" % (port, out))


FILL_SEQ = {}


def fill_members(port, cmd, key, count, scored):
    """Add `count` new distinct members to a set/zset, 1,000 per command."""
    def gen():
        left = count
        while left > 0:
            k = min(1000, left)
            base = FILL_SEQ.get(port, 0)
            FILL_SEQ[port] = base + k
            args = [cmd, key]
            for i in range(base, base + k):
                if scored:
                    args.append(i)
                args.append("fill:%d" % i)
            yield resp(*args)
            left -= k
    pipe_load(port, gen())


def prepare(port, test, n, clients):
    """Top up the key a test pops from or reads, outside the CPU sample."""
    if test in ("lpop", "rpop", "lrange_100"):
        need = (n if test != "lrange_100" else 100) - int(cli(port, "LLEN", "mylist"))
        if need > 0:
            subprocess.run(["redis-benchmark", "-p", str(port), "-t", "lpush", "-c", str(clients),
                            "-P", "16", "-n", str(need), "-q"],
                           stdout=subprocess.DEVNULL, check=True)
        assert int(cli(port, "LLEN", "mylist")) >= (n if test != "lrange_100" else 100)
    elif test == "zpopmin":
        need = n - int(cli(port, "ZCARD", "myzset"))
        if need > 0:
            fill_members(port, "ZADD", "myzset", need, True)
        assert int(cli(port, "ZCARD", "myzset")) >= n
    elif test == "spop":
        need = n - int(cli(port, "SCARD", "myset"))
        if need > 0:
            fill_members(port, "SADD", "myset", need, False)
        assert int(cli(port, "SCARD", "myset")) >= n


def bench(port, test, clients, pipeline, n, keyspace=0):
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients),
           "-P", str(pipeline), "-n", str(n), "--csv"]
    if test in RANDOM_MEMBER_TESTS and keyspace:
        cmd += ["-r", str(keyspace)]
    cmd += CUSTOM[test] if test in CUSTOM else ["-t", test]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    # Header then one row per test; "ping" yields PING_INLINE and PING_MBULK: keep MBULK.
    data = [r for r in rows[1:] if r and not r[0].startswith("LPUSH (needed")]
    for r in data:
        if r[0].startswith("PING_MBULK") or len(data) == 1 or not r[0].startswith("PING"):
            return float(r[1])
    return float(data[-1][1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(ROOT, "build/release/broker/rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tests", default="ping,set,get,incr,mset")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--n1", type=int, default=200000, help="requests per run at -P 1")
    ap.add_argument("--n16", type=int, default=2000000, help="requests per run at -P 16")
    ap.add_argument("--keyspace", type=int, default=1000000,
                    help="-r for zadd, hset, sadd (distinct members); 0 = no -r")
    ap.add_argument("--memory", action="store_true",
                    help="compare memory after loading 100 lists and 100 sorted sets")
    ap.add_argument("--keys", type=int, default=100, help="--memory: lists and sorted sets")
    ap.add_argument("--items", type=int, default=100000, help="--memory: items per key")
    args = ap.parse_args()
    if args.memory:
        return memory_main(args)

    tmp = tempfile.mkdtemp(prefix="rill-bench-")
    rp, sp = free_port(), free_port()
    rill = start([args.rill, "--port", str(rp), "--dir", os.path.join(tmp, "rill"), "--native-listen", "", "--save", ""], rp)
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
                        prepare(port, test, n, args.clients)
                        c0, v0 = cpu_seconds(proc.pid), ctx_switches(proc.pid)
                        rps = bench(port, test, args.clients, pl, n, args.keyspace)
                        c1, v1 = cpu_seconds(proc.pid), ctx_switches(proc.pid)
                        ops = 2 * n if test == "ping" else n   # -t ping runs PING_INLINE and PING_MBULK
                        results.setdefault((test, pl, name), []).append((rps, (c1 - c0) * 1e6 / ops))
                        print("%-10s P%-2d %-5s rps=%10.0f cpu_us/op=%.3f sleeps=%d load=%.1f" %
                              (test, pl, name, rps, (c1 - c0) * 1e6 / ops, v1 - v0, os.getloadavg()[0]),
                              file=sys.stderr)
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


def info_memory(port):
    f = dict(l.split(":", 1) for l in cli(port, "INFO", "memory").splitlines() if ":" in l)
    return int(f["used_memory"])


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1]) * 1024
    return 0


def load_lists(port, keys, items):
    # RPUSH list:K item:0 .. item:ITEMS-1, 1,000 items per command.
    bodies = []
    for b in range(0, items, 1000):
        vals = [("item:%d" % i).encode() for i in range(b, min(items, b + 1000))]
        bodies.append((len(vals), b"".join(b"$%d\r\n%s\r\n" % (len(v), v) for v in vals)))
    def gen():
        for k in range(keys):
            key = ("list:%d" % k).encode()
            for cnt, body in bodies:
                yield b"*%d\r\n$5\r\nRPUSH\r\n$%d\r\n%s\r\n" % (cnt + 2, len(key), key) + body
    pipe_load(port, gen())


def load_zsets(port, keys, items):
    # ZADD zset:K score member:I, scores a deterministic permutation of 0..ITEMS-1.
    bodies = []
    for b in range(0, items, 1000):
        parts = []
        rng = range(b, min(items, b + 1000))
        for i in rng:
            sc, m = str((i * 7919) % items).encode(), ("member:%d" % i).encode()
            parts.append(b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(sc), sc, len(m), m))
        bodies.append((len(rng), b"".join(parts)))
    def gen():
        for k in range(keys):
            key = ("zset:%d" % k).encode()
            for cnt, body in bodies:
                yield b"*%d\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n" % (2 * cnt + 2, len(key), key) + body
    pipe_load(port, gen())


def memory_main(args):
    """One server at a time (the numbers don't depend on machine noise)."""
    tmp = tempfile.mkdtemp(prefix="rill-bench-mem-")
    res = {}
    try:
        for name in ("rill", "redis"):
            port = free_port()
            if name == "rill":
                cmd = [args.rill, "--port", str(port), "--dir", os.path.join(tmp, "rill"), "--save", ""]
            else:
                cmd = [args.redis, "--port", str(port), "--dir", tmp, "--save", "", "--appendonly", "no"]
            proc = start(cmd, port)
            try:
                snap = lambda: (info_memory(port), rss_bytes(proc.pid))
                r = {"empty": snap()}
                t0 = time.time()
                load_lists(port, args.keys, args.items)
                r["lists_s"] = time.time() - t0
                r["lists"] = snap()
                t0 = time.time()
                load_zsets(port, args.keys, args.items)
                r["zsets_s"] = time.time() - t0
                r["zsets"] = snap()
                for k in (0, args.keys - 1):
                    assert int(cli(port, "LLEN", "list:%d" % k)) == args.items
                    assert int(cli(port, "ZCARD", "zset:%d" % k)) == args.items
                r["enc"] = (cli(port, "OBJECT", "ENCODING", "list:0"),
                            cli(port, "OBJECT", "ENCODING", "zset:0"))
                res[name] = r
                print("%-5s %r" % (name, r), file=sys.stderr)
            finally:
                proc.terminate()
                proc.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    a, b = res["rill"], res["redis"]
    mb = lambda x: "%.1f MB" % (x / 1048576)
    n = args.keys * args.items
    print("%d lists x %d items, then %d sorted sets x %d members (encodings rill %s/%s, redis %s/%s)\n" %
          (args.keys, args.items, args.keys, args.items, a["enc"][0], a["enc"][1], b["enc"][0], b["enc"][1]))
    print("| state | measure | rill | redis | ratio (rill / redis) |")
    print("|---|---|---|---|---|")
    rows = [("empty server", "empty", None), ("+ lists", "lists", "empty"), ("+ sorted sets", "zsets", "lists")]
    for label, k, _ in rows:
        for i, meas in ((0, "used_memory"), (1, "RSS")):
            print("| %s (total) | %s | %s | %s | %.2f× |" % (label, meas, mb(a[k][i]), mb(b[k][i]), a[k][i] / b[k][i]))
    for label, k, prev in rows[1:]:
        for i, meas in ((0, "used_memory"), (1, "RSS")):
            da, db = a[k][i] - a[prev][i], b[k][i] - b[prev][i]
            print("| %s (delta) | %s | %s (%.1f B/item) | %s (%.1f B/item) | %.2f× |" %
                  (label, meas, mb(da), da / n, mb(db), db / n, da / db))
    print("\nload time: lists rill %.1f s, redis %.1f s; sorted sets rill %.1f s, redis %.1f s" %
          (a["lists_s"], b["lists_s"], a["zsets_s"], b["zsets_s"]))


if __name__ == "__main__":
    main()
