#!/usr/bin/env python3
"""stream_groups.py — consumer groups (issue 4): XREADGROUP + XACK throughput
with 10 consumers in one group, rill-server against redis-server in one run.

Each round pre-fills a stream with N entries of two small fields (redis-cli
--pipe, outside the measurement), creates group g at 0, then starts
WORKERS processes, each a consumer of g, looping: XREADGROUP GROUP g cN
COUNT 10 STREAMS s > and XACK of the IDs it got (the ack pipelined with the
next read), until the group has delivered every entry.  Measured: entries
processed (read and acked) per second, and the server's CPU time per entry
(utime+stime from /proc/PID/stat across the run).  Both servers run at once
on free loopback ports with persistence off; rounds alternate A B A B so
machine noise hits both alike; medians with ratios (rill / redis).

    bench/stream_groups.py [--rill build/release/broker/rill-server]
                           [--entries 200000] [--workers 10] [--count 10] [--rounds 3]
"""
import argparse
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, free_port, start, cpu_seconds, resp, pipe_load, cli   # noqa: E402


class Conn:
    """A minimal RESP2 client: enough to read XREADGROUP and XACK replies."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    def line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                out = self.buf[self.pos:i]
                self.pos = i + 2
                return out
            self.fill()

    def fill(self):
        self.buf = self.buf[self.pos:] + self.s.recv(1 << 20)
        self.pos = 0

    def read(self):
        l = self.line()
        t = l[:1]
        if t == b"*":
            n = int(l[1:])
            return None if n < 0 else [self.read() for _ in range(n)]
        if t == b"$":
            n = int(l[1:])
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self.fill()
            out = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return out
        if t == b":":
            return int(l[1:])
        if t == b"-":
            raise RuntimeError(l.decode())
        return l[1:]


def worker(port, name, count, barrier, out):
    c = Conn(port)
    read = resp("XREADGROUP", "GROUP", "g", name, "COUNT", count, "STREAMS", "s", ">")
    barrier.wait()
    done = 0
    c.s.sendall(read)
    while True:
        r = c.read()
        if r is None:
            break
        ids = [e[0] for e in r[0][1]]
        done += len(ids)
        c.s.sendall(resp("XACK", "s", "g", *ids) + read)   # ack pipelined with the next read
        c.read()
    out.put(done)


def fill(port, n):
    def gen():
        for i in range(0, n, 1000):
            yield b"".join(resp("XADD", "s", "*", "f1", "v%d" % j, "f2", "x") for j in range(i, min(n, i + 1000)))
    pipe_load(port, gen())
    cli(port, "XGROUP", "CREATE", "s", "g", "0")


def run_one(port, pid, n, workers, count):
    cli(port, "DEL", "s")
    fill(port, n)
    barrier = mp.Barrier(workers + 1)
    out = mp.Queue()
    ps = [mp.Process(target=worker, args=(port, "c%d" % i, count, barrier, out)) for i in range(workers)]
    for p in ps:
        p.start()
    barrier.wait()
    c0, t0 = cpu_seconds(pid), time.time()
    total = sum(out.get() for _ in ps)
    t1, c1 = time.time(), cpu_seconds(pid)
    for p in ps:
        p.join()
    pending = cli(port, "XPENDING", "s", "g").split("\n")[0]
    if total != n or pending != "0":
        raise SystemExit("port %d: processed %d of %d, pending %s" % (port, total, n, pending))
    return {"per_s": total / (t1 - t0), "cpu_us": (c1 - c0) * 1e6 / total}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rill", default=os.path.join(ROOT, "build/release/broker/rill-server"))
    ap.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--entries", type=int, default=200000)
    ap.add_argument("--workers", type=int, default=10)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="rill-bench-")
    pr, pd = free_port(), free_port()
    rill = start([a.rill, "--port", str(pr), "--dir", d, "--appendonly", "no", "--save", "",
                  "--native-listen", ""], pr)
    redis = start([a.redis, "--port", str(pd), "--dir", d, "--appendonly", "no", "--save", "",
                   "--daemonize", "no"], pd)
    res = {"rill": [], "redis": []}
    try:
        for _ in range(a.rounds):
            res["rill"].append(run_one(pr, rill.pid, a.entries, a.workers, a.count))
            res["redis"].append(run_one(pd, redis.pid, a.entries, a.workers, a.count))
    finally:
        rill.terminate()
        redis.terminate()
        rill.wait()
        redis.wait()
        shutil.rmtree(d, ignore_errors=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("per_s", "cpu_us")} for k, v in res.items()}
    print("XREADGROUP COUNT %d + XACK, %d consumers, %d entries, %d rounds (medians)"
          % (a.count, a.workers, a.entries, a.rounds))
    print("| test | rill entries/s | redis entries/s | ratio | rill CPU us/entry | redis CPU us/entry | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    r, s = med["rill"], med["redis"]
    print("| xreadgroup+xack | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |"
          % (r["per_s"], s["per_s"], r["per_s"] / s["per_s"], r["cpu_us"], s["cpu_us"], r["cpu_us"] / s["cpu_us"]))


if __name__ == "__main__":
    main()
