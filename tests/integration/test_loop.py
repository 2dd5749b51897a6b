#!/usr/bin/env python3
"""The event loop's pacing and command clock (broker/server.c): pipelined
load from many clients is served in order, the loop goes back to sleep
when the load stops (its polling budget is bounded), it coalesces the
input of many busy clients with short sleeps but never makes a lone client
wait, and INFO commandstats times commands right with the TSC clock."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


class LoopPacing(harness.RillTestCase):
    def pipelined_burst(self, nconn=20, depth=16, rounds=200):
        socks = [socket.create_connection(("127.0.0.1", self.server.port)) for _ in range(nconn)]
        batch = b"".join(b"*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n" for _ in range(depth))
        for _ in range(rounds):
            for s in socks:
                s.sendall(batch)
            for s in socks:
                got = b""
                while got.count(b"\r\n") < depth:
                    chunk = s.recv(65536)
                    self.assertTrue(chunk, "connection closed")
                    got += chunk
        for s in socks:
            s.close()
        return nconn * depth * rounds

    def test_pipelined_clients_in_order(self):
        n = self.pipelined_burst()
        self.assertEqual(self.c.cmd("GET", "ctr"), b"$%d\r\n%d\r\n" % (len(str(n)), n))

    def test_sleeps_when_load_stops(self):
        self.pipelined_burst(rounds=100)
        time.sleep(0.2)
        pid = self.server.proc.pid
        c0 = cpu_seconds(pid)
        time.sleep(1.0)
        used = cpu_seconds(pid) - c0
        # Idle (10 crons a second): a few ms at most; a loop still spinning
        # would use the whole second.
        self.assertLess(used, 0.2, "idle server used %.2f s of CPU in 1 s" % used)

    def stat(self, name):
        info = self.c.cmd("INFO", "stats").decode()
        return int(info.split(name + ":")[1].split("\r\n")[0])

    def test_coalesces_many_busy_clients(self):
        self.c.cmd("CONFIG", "RESETSTAT")
        n = self.pipelined_burst(nconn=20, rounds=100)
        self.assertEqual(self.c.cmd("GET", "ctr"), b"$%d\r\n%d\r\n" % (len(str(n)), n))
        self.assertGreater(self.stat("rill_loop_coalesced"), 0)
        self.assertGreater(self.stat("rill_client_think_us"), 0)

    def test_lone_client_never_waits(self):
        for _ in range(200):   # the loop forgets any earlier busy clients
            self.c.cmd("PING")
        before = self.stat("rill_loop_coalesced")
        t0 = time.time()
        for _ in range(2000):
            self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")
        took = time.time() - t0
        self.assertEqual(self.stat("rill_loop_coalesced"), before)
        self.assertLess(took, 10.0)

    def test_commandstats_clock(self):
        time.sleep(0.15)   # the TSC rate is measured after 100 ms
        self.c.cmd("CONFIG", "RESETSTAT")
        self.c.cmd("DEBUG", "SLEEP", "0.2")
        info = self.c.cmd("INFO", "commandstats").decode()
        line = [l for l in info.split("\r\n") if l.startswith("cmdstat_debug:")]
        self.assertEqual(len(line), 1, info)
        fields = dict(kv.split("=") for kv in line[0].split(":", 1)[1].split(","))
        self.assertEqual(fields["calls"], "1")
        usec = int(fields["usec"])
        self.assertGreaterEqual(usec, 190000)
        self.assertLess(usec, 2000000)


if __name__ == "__main__":
    harness.main()
