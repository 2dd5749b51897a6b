#!/usr/bin/env python3
"""bench/persist.py — persistence side by side with redis-server, one run.

  python3 bench/persist.py [--rill PATH] [--redis PATH] [--keys N] [--requests N] [--rounds N]
                           [--skip-throughput] [--skip-data] [--fsync everysec|always]

1. SET and LPUSH throughput with appendonly yes, appendfsync everysec and
   always, redis-benchmark -c 50, -P 1 and -P 16; server CPU time per op
   (utime+stime from /proc/PID/stat).  --rounds alternating rounds (who
   goes first alternates), medians reported.
2. Start-up time loading a data set (--keys SETs of 64-byte values plus
   --keys/10 list pushes: about 400 MB of RSS for the default 2M) from the
   snapshot (Rill dump.rill, Redis dump.rdb) and from the log (appendonly
   yes, everysec, built by the same writes with the automatic rewrites as
   they came: a base snapshot plus the commands after it), wall time to the
   first PONG and the server's CPU time until then.
3. BGSAVE of that data set (appendonly no): wall time until the child is reaped, and the
   child's peak extra memory (Private_Dirty of /proc/CHILD/smaps_rollup,
   sampled every 5 ms, plus what the server reports as rdb_last_cow_size).
Ratios are Rill/Redis for throughput and Redis/Rill for times and memory,
so > 1.0 means Rill is better everywhere.  Both servers: save "", same dir
layout, one at a time on the same machine.
"""
import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cmd(port, *args, timeout=600):
    return subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args], capture_output=True,
                          timeout=timeout).stdout.decode().strip()


def info(port, section="persistence"):
    out = {}
    for line in cmd(port, "INFO", section).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


class Srv:
    def __init__(self, kind, exe, d, extra):
        self.kind, self.port, self.dir = kind, free_port(), d
        args = [exe, "--port", str(self.port), "--dir", d, "--save", ""] + list(extra)
        if kind == "rill":
            args += ["--native-listen", ""]
        else:
            args += ["--daemonize", "no"]
        self.log = open(os.path.join(d, kind + ".log"), "ab")
        self.t0 = time.time()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited" % kind)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            time.sleep(0.005)
        self.ready = time.time() - self.t0

    def cpu(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def bench_throughput(kind, exe, fsync, test, pipeline, requests):
    d = tempfile.mkdtemp(prefix="pbench-")
    try:
        s = Srv(kind, exe, d, ["--appendonly", "yes", "--appendfsync", fsync])
        c0 = s.cpu()
        out = subprocess.run(["redis-benchmark", "-p", str(s.port), "-t", test, "-c", "50", "-P", str(pipeline),
                              "-n", str(requests), "-r", "100000", "--csv", "-q"], capture_output=True).stdout.decode()
        c1 = s.cpu()
        s.stop()
        rps = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
        return rps, (c1 - c0) / requests * 1e6
    finally:
        shutil.rmtree(d, ignore_errors=True)


def populate(port, keys):
    subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(keys), "-r", str(keys * 10),
                    "-d", "64", "-P", "64", "-c", "20", "-q"], capture_output=True, check=True)
    subprocess.run(["redis-benchmark", "-p", str(port), "-t", "lpush", "-n", str(keys // 10), "-d", "64", "-P", "64",
                    "-c", "20", "-q"], capture_output=True, check=True)


def private_dirty(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return 0


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def prepare(kind, exe, keys, d):
    """Fills d with the data set: the append log (appendonly yes, everysec,
    automatic rewrites as they come) and a dump file (SAVE)."""
    res = {}
    s = Srv(kind, exe, d, ["--appendonly", "yes", "--appendfsync", "everysec"])
    populate(s.port, keys)
    res["dbsize"] = int(cmd(s.port, "DBSIZE"))
    res["rss_mb"] = int(info(s.port, "memory")["used_memory_rss"]) / 2**20
    cmd(s.port, "SAVE")
    time.sleep(1.5)
    s.stop()
    return res


def measure_bgsave(kind, exe, d):
    """BGSAVE: wall time until reaped, the child's peak Private_Dirty."""
    s = Srv(kind, exe, d, ["--appendonly", "no"])
    try:
        t0 = time.time()
        cmd(s.port, "BGSAVE")
        peak = 0
        while True:
            for ch in children(s.proc.pid):
                v = private_dirty(ch)
                if v:
                    peak = max(peak, v)
            if info(s.port)["rdb_bgsave_in_progress"] == "0":
                break
            time.sleep(0.005)
        wall = time.time() - t0
        i = info(s.port)
        assert i["rdb_last_bgsave_status"] == "ok", i
        return wall, peak / 2**20, int(i["rdb_last_cow_size"]) / 2**20
    finally:
        s.stop()


def measure_load(kind, exe, d, mode, dbsize):
    """Start-up time to the first PONG, and the CPU time the server used for it."""
    s = Srv(kind, exe, d, ["--appendonly", "yes" if mode == "log" else "no"])
    try:
        cpu = s.cpu()
        with open("/proc/%d/schedstat" % s.proc.pid) as f:
            runq = int(f.read().split()[1]) / 1e9   # time spent runnable but waiting for a CPU
        n = int(cmd(s.port, "DBSIZE"))
        assert n == dbsize, (kind, mode, n, dbsize)
        return s.ready, cpu, runq
    finally:
        s.stop()


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(HERE, "..", "build", "release", "broker", "rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--keys", type=int, default=2000000)
    ap.add_argument("--requests", type=int, default=300000, help="per run at -P 1 (4x at -P 16)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rill/redis rounds; medians reported")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-data", action="store_true")
    ap.add_argument("--fsync", choices=("everysec", "always"), action="append",
                    help="only this appendfsync policy (repeatable; default both)")
    a = ap.parse_args()
    exes = {"rill": os.path.abspath(a.rill), "redis": a.redis}

    def order(r):   # alternate who goes first
        return ("rill", "redis") if r % 2 == 0 else ("redis", "rill")

    if not a.skip_throughput:
        print("## Throughput, appendonly yes, redis-benchmark -c 50 -r 100000, -n %d at -P 1 and %d at -P 16; "
              "median of %d alternating rounds" % (a.requests, a.requests * 4, a.rounds))
        print("| fsync | test | -P | rill rps | redis rps | ratio | rill us/op | redis us/op | CPU ratio |")
        print("|---|---|---|---|---|---|---|---|---|")
        for fsync in a.fsync or ("everysec", "always"):
            for test in ("set", "lpush"):
                for p in (1, 16):
                    n = a.requests * (4 if p > 1 else 1)
                    got = {"rill": [], "redis": []}
                    for r in range(a.rounds):
                        for k in order(r):
                            got[k].append(bench_throughput(k, exes[k], fsync, test, p, n))
                    rps = {k: median([x[0] for x in v]) for k, v in got.items()}
                    us = {k: median([x[1] for x in v]) for k, v in got.items()}
                    print("| %s | %s | %d | %.0f | %.0f | %.2fx | %.2f | %.2f | %.2fx |" % (
                        fsync, test.upper(), p, rps["rill"], rps["redis"], rps["rill"] / rps["redis"],
                        us["rill"], us["redis"], us["redis"] / max(us["rill"], 1e-9)), flush=True)
    if a.skip_data:
        return
    print("\n## Data set: %d SETs of 64-byte values (-r %d) + %d LPUSHes; median of %d alternating rounds"
          % (a.keys, a.keys * 10, a.keys // 10, a.rounds))
    dirs = {k: tempfile.mkdtemp(prefix="pbench-data-") for k in ("rill", "redis")}
    try:
        prep = {k: prepare(k, exes[k], a.keys, dirs[k]) for k in ("rill", "redis")}
        m = {k: {} for k in exes}
        for r in range(a.rounds):
            for k in order(r):
                for mode in ("snapshot", "log"):
                    wall, cpu, runq = measure_load(k, exes[k], dirs[k], mode, prep[k]["dbsize"])
                    m[k].setdefault("load_%s_s" % mode, []).append(wall)
                    m[k].setdefault("load_%s_cpu" % mode, []).append(cpu)
                    m[k].setdefault("load_%s_runq" % mode, []).append(runq)
                wall, peak, cow = measure_bgsave(k, exes[k], dirs[k])
                m[k].setdefault("bgsave_s", []).append(wall)
                m[k].setdefault("bgsave_peak_mb", []).append(peak)
                m[k].setdefault("cow_mb", []).append(cow)
        sizes = {}
        for k in exes:
            dump = [f for f in os.listdir(dirs[k]) if f.startswith("dump.")][0]
            logdir = os.path.join(dirs[k], "appendonlydir")
            sizes[k] = (os.path.getsize(os.path.join(dirs[k], dump)) / 2**20,
                        sum(os.path.getsize(os.path.join(logdir, f)) for f in os.listdir(logdir)) / 2**20)
    finally:
        for d in dirs.values():
            shutil.rmtree(d, ignore_errors=True)
    print("| measure | rill | redis | ratio (>1: rill better) |")
    print("|---|---|---|---|")
    print("| keys / RSS MB | %d / %.0f | %d / %.0f | |" % (prep["rill"]["dbsize"], prep["rill"]["rss_mb"],
                                                          prep["redis"]["dbsize"], prep["redis"]["rss_mb"]))
    print("| snapshot file / log files, MB | %.0f / %.0f | %.0f / %.0f | |" % (sizes["rill"] + sizes["redis"]))
    for k, label in (("load_snapshot_s", "start-up from snapshot, wall s"),
                     ("load_snapshot_cpu", "start-up from snapshot, server CPU s"),
                     ("load_snapshot_runq", "start-up from snapshot, waiting for a CPU s (machine noise)"),
                     ("load_log_s", "start-up from log, wall s"), ("load_log_cpu", "start-up from log, server CPU s"),
                     ("load_log_runq", "start-up from log, waiting for a CPU s (machine noise)"),
                     ("bgsave_s", "BGSAVE wall time, s"), ("bgsave_peak_mb", "BGSAVE child peak Private_Dirty, MB"),
                     ("cow_mb", "rdb_last_cow_size, MB")):
        x, y = median(m["rill"][k]), median(m["redis"][k])
        print("| %s | %.3f | %.3f | %s |" % (label, x, y, "%.2fx" % (y / x) if x > 0 else "-"), flush=True)


if __name__ == "__main__":
    main()
