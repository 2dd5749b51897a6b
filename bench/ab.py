#!/usr/bin/env python3
"""ab.py — A/B two (or more) rill-server builds against redis-server in one run.

  python3 bench/ab.py TEST P N ROUNDS name=/path/to/rill-server ... [redis]

Each server gets a free port and its own data directory; each round runs
redis-benchmark -c 50 -P P -n N -t TEST against every server in turn, and
reads the server's CPU time (utime+stime, /proc/PID/stat) around the run.
Prints the median requests/s and CPU µs per request of each, as ratios to the
last one named (put `redis` last to compare with redis-server).
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (free_port, cpu_seconds)


def start(name, path, tmp):
    port = run.free_port()
    d = os.path.join(tmp, name)
    os.makedirs(d)
    if name == "redis":
        cmd = ["redis-server", "--port", str(port), "--dir", d, "--save", "", "--appendonly", "no"]
    else:
        cmd = [path, "--port", str(port), "--dir", d, "--native-listen", "", "--save", ""]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return port, p


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    test, pipe, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    tmp = tempfile.mkdtemp(prefix="rill-ab-")
    servers = []
    try:
        for v in sys.argv[5:]:
            name, _, path = v.partition("=")
            servers.append((name,) + start(name, path, tmp))
        res = {s[0]: ([], []) for s in servers}
        for _ in range(rounds):
            for name, port, p in servers:
                c0, t0 = run.cpu_seconds(p.pid), time.time()
                subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-P", str(pipe), "-n", str(n),
                                "-t", test, "-q"], stdout=subprocess.DEVNULL)
                dt, c1 = time.time() - t0, run.cpu_seconds(p.pid)
                res[name][0].append(n / dt)
                res[name][1].append((c1 - c0) * 1e6 / n)
        base = servers[-1][0]
        br, bc = statistics.median(res[base][0]), statistics.median(res[base][1])
        for name, _, _ in servers:
            r, c = statistics.median(res[name][0]), statistics.median(res[name][1])
            print("%-10s %-6s P%-2d rps %9.0f (%.3fx)  cpu %.3f us/op (%.3fx)" % (name, test, pipe, r, r / br, c, c / bc))
    finally:
        for _, _, p in servers:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
