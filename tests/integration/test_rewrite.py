"""test_rewrite.py — compaction of the append log: BGREWRITEAOF replies
against redis-server, every type through a rewrite and a restart, writes
during a rewrite under load (none lost), a killed rewrite child leaving the
old manifest in force, automatic rewrite by growth, and kill -9 under write
load with appendfsync always, 20 times, rewrites mixed in."""
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import unittest

import harness
from harness import Server, parse
from test_snapshot import fill, listing, info, wait_bgsave

AOF = ("--appendonly", "yes")


def manifest(d):
    with open(os.path.join(d, "appendonlydir", "appendonly.aof.manifest")) as f:
        return f.read().split("\n")


def wait_rewrite(c, timeout=30):
    wait_bgsave(c, "aof_rewrite_in_progress", timeout)
    deadline = time.time() + timeout
    while info(c)["aof_rewrite_scheduled"] != "0":
        if time.time() > deadline:
            raise AssertionError("rewrite still scheduled")
        time.sleep(0.02)


def child_of(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        kids = f.read().split()
    return int(kids[0]) if kids else None


class RewriteReplies(harness.DiffTestCase):
    extra = AOF

    def test_bgrewriteaof(self):
        self.diff(("SET", "k", "v"), ("BGREWRITEAOF",))
        for c in (self.a, self.b):
            wait_rewrite(c)
        self.diff(("MULTI",), ("BGREWRITEAOF",), ("EXEC",))
        for c in (self.a, self.b):
            wait_rewrite(c)
        self.diff(("GET", "k"))


class Rewrite(harness.RestartTestCase):
    base_args = AOF
    dir_prefix = "rill-rw-"

    def test_every_type_through_rewrite(self):
        s = self.start()
        c = s.conn()
        fill(c)
        c.cmd("SET", "gone", "x", "PX", "100")
        time.sleep(0.2)
        self.assertEqual(c.cmd("BGREWRITEAOF"), b"+Background append only file rewriting started\r\n")
        wait_rewrite(c)
        i = info(c)
        self.assertEqual(i["aof_last_bgrewrite_status"], "ok")
        self.assertEqual(i["aof_rewrites"], "1")
        m = manifest(self.dir)
        self.assertTrue(m[1].startswith("base appendonly.aof."), m)
        c.cmd("SET", "after", "1")
        want = listing(c)
        s.kill9()
        files = os.listdir(os.path.join(self.dir, "appendonlydir"))
        self.assertNotIn("appendonly.aof.1.log", files)      # the old segment went after the switch
        c = self.start().conn()
        self.assertEqual(listing(c), want)
        self.assertEqual(parse(c.cmd("EXISTS", "gone")), 0)
        # And a second rewrite over a log that already has a base.
        self.assertEqual(c.cmd("BGREWRITEAOF"), b"+Background append only file rewriting started\r\n")
        wait_rewrite(c)
        self.servers[-1].kill9()
        c = self.start().conn()
        self.assertEqual(listing(c), want)

    def test_writes_during_rewrite_none_lost(self):
        """A writer runs INCRs on several keys while two rewrites happen."""
        s = self.start("--appendfsync", "always", "--rdb-key-save-delay", "200")
        c = s.conn()
        for i in range(2000):
            c.send("SET", "pad%d" % i, "x")
        for i in range(2000):
            c.read_raw()
        acked = [0, 0, 0]
        stop = threading.Event()

        def writer(k):
            w = s.conn()
            while not stop.is_set():
                if w.cmd("INCR", "n%d" % k) == b":%d\r\n" % (acked[k] + 1):
                    acked[k] += 1
            w.close()

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        try:
            for _ in range(2):
                time.sleep(0.2)
                self.assertEqual(c.cmd("BGREWRITEAOF"), b"+Background append only file rewriting started\r\n")
                self.assertEqual(info(c)["aof_rewrite_in_progress"], "1")
                wait_rewrite(c)
                self.assertEqual(info(c)["aof_last_bgrewrite_status"], "ok")
            time.sleep(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertGreater(min(acked), 0)
        s.kill9()
        c = self.start().conn()
        for k in range(3):
            self.assertEqual(int(parse(c.cmd("GET", "n%d" % k))), acked[k])
        self.assertEqual(parse(c.cmd("DBSIZE")), 2003)

    def test_killed_child_keeps_old_manifest(self):
        s = self.start("--rdb-key-save-delay", "100000")
        c = s.conn()
        for i in range(50):
            c.cmd("SET", "k%d" % i, "v")
        before = manifest(self.dir)
        self.assertEqual(c.cmd("BGREWRITEAOF"), b"+Background append only file rewriting started\r\n")
        self.assertEqual(c.cmd("BGREWRITEAOF"),
                         b"-ERR Background append only file rewriting already in progress\r\n")
        self.assertEqual(c.cmd("BGSAVE"), b"-ERR Another child process is active (AOF?): can't BGSAVE right now. "
                                           b"Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n")
        self.assertEqual(c.cmd("BGSAVE", "SCHEDULE"), b"+Background saving scheduled\r\n")
        c.cmd("SET", "during", "1")
        pid = child_of(s.proc.pid)
        self.assertIsNotNone(pid)
        os.kill(pid, signal.SIGKILL)
        wait_rewrite(c)
        self.assertEqual(info(c)["aof_last_bgrewrite_status"], "err")
        m = manifest(self.dir)
        self.assertFalse(any(l.startswith("base ") for l in m), m)
        for l in before:
            self.assertIn(l, m)   # nothing dropped; the segment started at the fork added
        self.assertIn("killed by signal 9", self.log())
        wait_bgsave(c)    # the scheduled BGSAVE ran after the rewrite
        c.cmd("SET", "after", "1")
        s.kill9()
        c = self.start().conn()
        self.assertEqual(parse(c.cmd("DBSIZE")), 52)
        self.assertFalse([f for f in os.listdir(os.path.join(self.dir, "appendonlydir")) if "base" in f])

    def test_automatic_rewrite_by_growth(self):
        s = self.start("--auto-aof-rewrite-min-size", "20000", "--auto-aof-rewrite-percentage", "100")
        c = s.conn()
        for i in range(400):
            c.cmd("SET", "k", "x" * 100)
        deadline = time.time() + 10
        while info(c)["aof_rewrites"] == "0":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        self.assertIn("Starting automatic rewriting of AOF", self.log())
        wait_rewrite(c)
        i = info(c)
        self.assertLess(int(i["aof_current_size"]), 20000)
        s.kill9()
        c = self.start().conn()
        self.assertEqual(parse(c.cmd("GET", "k")), b"x" * 100)

    def test_bgrewriteaof_with_log_off(self):
        s = Server("rill", dir=self.dir)
        self.servers.append(s)
        r = s.conn().cmd("BGREWRITEAOF")
        self.assertTrue(r.startswith(b"-ERR The append only file is off"), r)


class KillUnderLoad(unittest.TestCase):
    """kill -9 under write load with appendfsync always, 20 times: every
    INCR whose reply arrived survives; every other round a rewrite runs."""

    def test_kill9_20_times(self):
        d = tempfile.mkdtemp(prefix="rill-k9-")
        try:
            acked = [0] * 4
            for rnd in range(20):
                s = Server("rill", extra=AOF + ("--appendfsync", "always", "--rdb-key-save-delay", "300"), dir=d)
                try:
                    c = s.conn()
                    for k in range(4):
                        got = int(parse(c.cmd("GET", "n%d" % k)) or 0)
                        # Acknowledged ones are there; at most the one in flight more.
                        self.assertGreaterEqual(got, acked[k], "round %d key %d" % (rnd, k))
                        self.assertLessEqual(got, acked[k] + 1, "round %d key %d" % (rnd, k))
                        acked[k] = got
                    if rnd % 2 and rnd > 0:
                        c.cmd("BGREWRITEAOF")
                    stop = threading.Event()

                    def writer(k):
                        w = s.conn()
                        try:
                            while not stop.is_set():
                                r = w.cmd("INCR", "n%d" % k)
                                acked[k] = int(r[1:-2])
                        except (OSError, ValueError):
                            pass

                    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
                    for t in threads:
                        t.start()
                    time.sleep(0.25)
                    s.kill9()
                    stop.set()
                    for t in threads:
                        t.join()
                finally:
                    s.stop()
            self.assertGreater(min(acked), 20)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
