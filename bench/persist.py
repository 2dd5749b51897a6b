#!/usr/bin/env python3
"""bench/persist.py — persistence side by side with redis-server, one run.

  python3 bench/persist.py [--rill PATH] [--redis PATH] [--keys N] [--requests N]

1. SET and LPUSH throughput with appendonly yes, appendfsync everysec and
   always, redis-benchmark -c 50, -P 1 and -P 16; server CPU time per op
   (utime+stime from /proc/PID/stat).
2. Start-up time loading a data set (--keys SETs of 64-byte values plus
   --keys/10 list pushes: about 200 MB of RSS by default) from the snapshot
   (Rill dump.rill, Redis dump.rdb) and from the log (appendonly yes,
   everysec; Redis 7's AOF: an empty RDB base plus the commands).
3. BGSAVE of that data set: wall time until the child is reaped, and the
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


def bench_data(kind, exe, keys):
    res = {}
    d = tempfile.mkdtemp(prefix="pbench-")
    try:
        # From the log.
        s = Srv(kind, exe, d, ["--appendonly", "yes", "--appendfsync", "everysec"])
        populate(s.port, keys)
        res["dbsize"] = int(cmd(s.port, "DBSIZE"))
        res["rss_mb"] = int(info(s.port, "memory")["used_memory_rss"]) / 2**20
        time.sleep(1.5)
        s.stop()
        s = Srv(kind, exe, d, ["--appendonly", "yes"])
        res["load_log_s"] = s.ready
        assert int(cmd(s.port, "DBSIZE")) == res["dbsize"]
        cmd(s.port, "SAVE")
        # BGSAVE: time and peak extra memory of the child.
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
        res["bgsave_s"] = time.time() - t0
        i = info(s.port)
        assert i["rdb_last_bgsave_status"] == "ok", i
        res["bgsave_peak_mb"] = peak / 2**20
        res["cow_mb"] = int(i["rdb_last_cow_size"]) / 2**20
        s.stop()
        shutil.rmtree(os.path.join(d, "appendonlydir"), ignore_errors=True)
        s = Srv(kind, exe, d, ["--appendonly", "no"])
        res["load_snapshot_s"] = s.ready
        assert int(cmd(s.port, "DBSIZE")) == res["dbsize"], (kind, cmd(s.port, "DBSIZE"))
        s.stop()
        return res
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(HERE, "..", "build", "h-persist-rel", "broker", "rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--keys", type=int, default=2000000)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--skip-throughput", action="store_true")
    a = ap.parse_args()
    exes = {"rill": os.path.abspath(a.rill), "redis": a.redis}
    if not a.skip_throughput:
        print("## Throughput, appendonly yes, redis-benchmark -c 50 -n %d -r 100000" % a.requests)
        print("| fsync | test | -P | rill rps | redis rps | ratio | rill us/op | redis us/op | CPU ratio |")
        print("|---|---|---|---|---|---|---|---|---|")
        for fsync in ("everysec", "always"):
            for test in ("set", "lpush"):
                for p in (1, 16):
                    r = {k: bench_throughput(k, exes[k], fsync, test, p, a.requests) for k in ("rill", "redis")}
                    print("| %s | %s | %d | %.0f | %.0f | %.2fx | %.2f | %.2f | %.2fx |" % (
                        fsync, test.upper(), p, r["rill"][0], r["redis"][0], r["rill"][0] / r["redis"][0],
                        r["rill"][1], r["redis"][1], r["redis"][1] / max(r["rill"][1], 1e-9)), flush=True)
    print("\n## Data set: %d SETs of 64-byte values + %d LPUSHes" % (a.keys, a.keys // 10))
    r = {k: bench_data(k, exes[k], a.keys) for k in ("rill", "redis")}
    print("| measure | rill | redis | ratio (>1: rill better) |")
    print("|---|---|---|---|")
    print("| keys / RSS MB | %d / %.0f | %d / %.0f | |" % (r["rill"]["dbsize"], r["rill"]["rss_mb"],
                                                          r["redis"]["dbsize"], r["redis"]["rss_mb"]))
    for k, label in (("load_snapshot_s", "start-up from snapshot, s"), ("load_log_s", "start-up from log, s"),
                     ("bgsave_s", "BGSAVE wall time, s"), ("bgsave_peak_mb", "BGSAVE child peak Private_Dirty, MB"),
                     ("cow_mb", "rdb_last_cow_size, MB")):
        x, y = r["rill"][k], r["redis"][k]
        print("| %s | %.3f | %.3f | %s |" % (label, x, y, "%.2fx" % (y / x) if x > 0 else "-"))


if __name__ == "__main__":
    main()
