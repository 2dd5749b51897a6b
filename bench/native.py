#!/usr/bin/env python3
"""native.py — the native protocol against RESP, in one run.

Four paths side by side, for SET, GET, LPUSH, RPOP and XADD at 50 clients,
pipeline 1 and 16, all but the last against one rill-server whose native
tcp:// listener is NNG's (a raw REP socket and NNG's task threads):

  native  rill-benchmark (its default engine writes the SP wire protocol
          directly: the load generator costs about what redis-benchmark
          costs, so the rows compare the server's two paths)
  lib     rill-benchmark --lib (librill's async client, NNG on the client side
          too: what an application linking librill gets)
  resp    redis-benchmark (RESP) -> the same rill-server
  redis   redis-benchmark (RESP) -> redis-server

Both servers run at once on free ports with persistence off.  For each test
and pipeline depth the paths alternate (ROUNDS times) so machine noise hits
them alike; each run samples its server's CPU time (utime+stime from
/proc/PID/stat, and per thread from /proc/PID/task/*/stat, NNG's threads
being named "nng:...") before and after, giving server CPU microseconds per
operation (and NNG's threads' share), and takes the load generator's own
CPU time from wait4(), giving client CPU microseconds per operation.
Prints a markdown table of medians: requests/s, p50/p99 latency (ms), CPU
us/op per path, and the ratios native/resp (target >= 0.8), lib/resp and
resp/redis.

    bench/native.py [--build build/release] [--rounds 1] [--clients 50]
                    [--tests set,get,lpush,rpop,xadd] [--n1 100000] [--n16 1000000]
                    [--no-lib]

--build names a Release build tree holding broker/rill-server and
tools/rill-benchmark/rill-benchmark.  rill-benchmark reports p99.9 too;
redis-benchmark's CSV has no p99.9, so the table shows p50 and p99 for all.
"""
import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, CLK, free_port, cpu_seconds, start   # noqa: E402
XADD = ["XADD", "mystream", "*", "field", "xxx"]   # what rill-benchmark -t xadd sends (-d 3)


def nng_seconds(pid):
    """CPU time of the process's NNG threads (named nng:...); live threads only."""
    total = 0.0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                head, rest = f.read().rsplit(")", 1)
            if "(nng:" in head:
                fields = rest.split()
                total += (int(fields[11]) + int(fields[12])) / CLK
        except OSError:
            pass
    return total


def timed(cmd):
    """Runs cmd; returns (stdout, its user+system CPU seconds)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    out, err = p.stdout.read(), p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    if p.returncode != 0:
        raise SystemExit("%s failed (%d): %s%s" % (cmd[0], p.returncode, out, err))
    return out, ru.ru_utime + ru.ru_stime


def run_native(bench_bin, url, test, clients, pipeline, n, lib=False):
    cmd = [bench_bin, "-u", url, "-c", str(clients), "-P", str(pipeline), "-n", str(n), "-t", test, "--csv"]
    out, cpu = timed(cmd + (["--lib"] if lib else []))
    row = list(csv.DictReader(io.StringIO(out)))[0]
    if int(row["errors"]):
        raise SystemExit("rill-benchmark reported errors for %s: %s" % (test, out))
    return float(row["rps"]), float(row["p50_ms"]), float(row["p99_ms"]), cpu


def run_resp(port, test, clients, pipeline, n):
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-P", str(pipeline), "-n", str(n), "--csv"]
    cmd += XADD if test == "xadd" else ["-t", test]
    out, cpu = timed(cmd)
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r]
    r = rows[-1]
    return float(r["rps"]), float(r["p50_latency_ms"]), float(r["p99_latency_ms"]), cpu


# A measurement: rps, p50, p99, server CPU s, server NNG-thread CPU s, client CPU s.
def measure(proc, fn, *args):
    c0, n0 = cpu_seconds(proc.pid), nng_seconds(proc.pid)
    rps, p50, p99, client = fn(*args)
    cpu, nng = cpu_seconds(proc.pid) - c0, nng_seconds(proc.pid) - n0
    return rps, p50, p99, cpu, nng, client


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
    ap.add_argument("--no-lib", action="store_true", help="skip the librill (rill-benchmark --lib) runs")
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
                res = {"native": [], "lib": [], "resp": [], "redis": []}
                for _ in range(args.rounds):
                    res["native"].append(measure(rill, run_native, bench_bin, url, test, args.clients, pl, n))
                    if not args.no_lib:
                        res["lib"].append(measure(rill, run_native, bench_bin, url, test, args.clients, pl, n, True))
                    res["resp"].append(measure(rill, run_resp, rp, test, args.clients, pl, n))
                    res["redis"].append(measure(redis, run_resp, sp, test, args.clients, pl, n))
                med = {k: [statistics.median(x[i] for x in v) for i in range(6)] if v else [float("nan")] * 6
                       for k, v in res.items()}
                rows.append((test.upper(), pl, n, med))
                nat, lib, rsp, red = med["native"], med["lib"], med["resp"], med["redis"]
                print("%-5s P%-2d native %9.0f rps p50 %.3f p99 %.3f | lib %9.0f | resp %9.0f rps p50 %.3f p99 %.3f | "
                      "redis %9.0f rps | native/resp %.2f" % (test.upper(), pl, nat[0], nat[1], nat[2], lib[0], rsp[0],
                                                               rsp[1], rsp[2], red[0], nat[0] / rsp[0]),
                      file=sys.stderr, flush=True)
    finally:
        for p in (rill, redis):
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("| test | -P | native rps | librill rps | RESP rps (rill) | redis rps | native/RESP | librill/RESP | RESP/redis "
          "| p50 / p99 ms native | librill | RESP | redis "
          "| server CPU us/op native (its NNG threads) / librill / RESP / redis "
          "| client CPU us/op native / librill / redis-benchmark |")
    print("|---" * 15 + "|")
    for test, pl, n, med in rows:
        nat, lib, rsp, red = (med[k] for k in ("native", "lib", "resp", "redis"))
        us = lambda x: x * 1e6 / n
        lat = lambda m: "%.3f / %.3f" % (m[1], m[2])
        print("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f "
              "| %s | %s | %s | %s | %.2f (%.2f) / %.2f / %.2f / %.2f "
              "| %.2f / %.2f / %.2f |"
              % (test, pl, nat[0], lib[0], rsp[0], red[0], nat[0] / rsp[0], lib[0] / rsp[0], rsp[0] / red[0],
                 lat(nat), lat(lib), lat(rsp), lat(red), us(nat[3]), us(nat[4]), us(lib[3]), us(rsp[3]), us(red[3]),
                 us(nat[5]), us(lib[5]), us(rsp[5])))
    print("\n%d clients, %d round(s), medians; command: %s" % (args.clients, args.rounds, " ".join(sys.argv)))

if __name__ == "__main__":
    main()
