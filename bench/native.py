#!/usr/bin/env python3
"""native.py — the native protocol against RESP, in one run.

Three paths side by side, for SET, GET, LPUSH, RPOP and XADD at 50 clients,
pipeline 1 and 16:

  native  rill-benchmark (librill async, NNG + protobuf) -> rill-server
  resp    redis-benchmark (RESP)                         -> the same rill-server
  redis   redis-benchmark (RESP)                         -> redis-server

Both servers run at once on free ports with persistence off.  For each test
and pipeline depth the three runs alternate (ROUNDS times) so machine noise
hits them alike; each run samples its server's CPU time (utime+stime from
/proc/PID/stat) before and after, giving CPU microseconds per operation.
Prints a markdown table of medians: requests/s, p50/p99 latency (ms) and
CPU us/op per path, and the ratios native/resp (target >= 0.8) and
resp/redis.

    bench/native.py [--build build/release] [--rounds 1] [--clients 50]
                    [--tests set,get,lpush,rpop,xadd] [--n1 100000] [--n16 1000000]

--build names a Release build tree holding broker/rill-server and
tools/rill-benchmark/rill-benchmark.  rill-benchmark reports p99.9 too;
redis-benchmark's CSV has no p99.9, so the table shows p50 and p99 for all.
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
XADD = ["XADD", "mystream", "*", "field", "xxx"]   # what rill-benchmark -t xadd sends (-d 3)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def start(cmd, port):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start: %s" % cmd)


def run_native(bench_bin, url, test, clients, pipeline, n):
    out = subprocess.run([bench_bin, "-u", url, "-c", str(clients), "-P", str(pipeline), "-n", str(n),
                          "-t", test, "--csv"], capture_output=True, text=True, check=True).stdout
    row = list(csv.DictReader(io.StringIO(out)))[0]
    if int(row["errors"]):
        raise SystemExit("rill-benchmark reported errors for %s: %s" % (test, out))
    return float(row["rps"]), float(row["p50_ms"]), float(row["p99_ms"])


def run_resp(port, test, clients, pipeline, n):
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-P", str(pipeline), "-n", str(n), "--csv"]
    cmd += XADD if test == "xadd" else ["-t", test]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r]
    r = rows[-1]
    return float(r["rps"]), float(r["p50_latency_ms"]), float(r["p99_latency_ms"])


def measure(proc, fn, *args):
    c0 = cpu_seconds(proc.pid)
    rps, p50, p99 = fn(*args)
    cpu = cpu_seconds(proc.pid) - c0
    return rps, p50, p99, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--tests", default="set,get,lpush,rpop,xadd")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--n1", type=int, default=100000, help="requests per run at -P 1")
    ap.add_argument("--n16", type=int, default=1000000, help="requests per run at -P 16")
    args = ap.parse_args()
    rill_bin = os.path.join(args.build, "broker", "rill-server")
    bench_bin = os.path.join(args.build, "tools", "rill-benchmark", "rill-benchmark")
    for b in (rill_bin, bench_bin):
        if not os.access(b, os.X_OK):
            raise SystemExit("missing %s (build a Release tree: cmake -DCMAKE_BUILD_TYPE=Release)" % b)

    tmp = tempfile.mkdtemp(prefix="rill-native-bench-")
    rp, np_, sp = free_port(), free_port(), free_port()
    url = "tcp://127.0.0.1:%d" % np_
    os.makedirs(os.path.join(tmp, "rill"))
    rill = start([rill_bin, "--port", str(rp), "--dir", os.path.join(tmp, "rill"), "--native-listen", url], rp)
    redis = start([args.redis, "--port", str(sp), "--dir", tmp, "--save", "", "--appendonly", "no"], sp)
    rows = []
    try:
        for pl in [int(x) for x in args.pipelines.split(",")]:
            n = args.n1 if pl == 1 else args.n16
            for test in args.tests.split(","):
                res = {"native": [], "resp": [], "redis": []}
                for _ in range(args.rounds):
                    res["native"].append(measure(rill, run_native, bench_bin, url, test, args.clients, pl, n))
                    res["resp"].append(measure(rill, run_resp, rp, test, args.clients, pl, n))
                    res["redis"].append(measure(redis, run_resp, sp, test, args.clients, pl, n))
                med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in res.items()}
                rows.append((test.upper(), pl, n, med))
                nat, rsp, red = med["native"], med["resp"], med["redis"]
                print("%-5s P%-2d native %9.0f rps p50 %.3f p99 %.3f | resp %9.0f rps p50 %.3f p99 %.3f | "
                      "redis %9.0f rps | native/resp %.2f" % (test.upper(), pl, nat[0], nat[1], nat[2], rsp[0],
                                                               rsp[1], rsp[2], red[0], nat[0] / rsp[0]),
                      file=sys.stderr, flush=True)
    finally:
        for p in (rill, redis):
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("| test | -P | native rps | RESP rps (rill) | redis rps | native/RESP | RESP/redis "
          "| native p50 / p99 ms | RESP p50 / p99 ms | redis p50 / p99 ms | CPU us/op native / RESP / redis |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for test, pl, n, med in rows:
        nat, rsp, red = med["native"], med["resp"], med["redis"]
        cpu = lambda m: m[3] * 1e6 / n
        print("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.2f | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %.2f / %.2f / %.2f |"
              % (test, pl, nat[0], rsp[0], red[0], nat[0] / rsp[0], rsp[0] / red[0], nat[1], nat[2], rsp[1], rsp[2],
                 red[1], red[2], cpu(nat), cpu(rsp), cpu(red)))
    print("\n%d clients, %d round(s), medians; command: %s" % (args.clients, args.rounds, " ".join(sys.argv)))


if __name__ == "__main__":
    main()
