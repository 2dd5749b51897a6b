"""Parked requests over the native protocol: blocking commands, request
order behind a parked one, vanished clients, appendfsync always.

Served and timed-out replies are compared (as RESP3 bytes) with what
redis-server 7.0 answers a RESP3 client in the same situation.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from native_wire import NativeClient, stop_checked, ERROR  # noqa: E402


class NativeBlocking(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = "tcp://127.0.0.1:%d" % harness.free_port()
        cls.rill = harness.Server("rill", extra=["--native-listen", cls.url])
        cls.redis = harness.Server("redis")

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls, cls.rill)
        cls.redis.stop()

    def setUp(self):
        self.n = NativeClient(self.url)
        self.c = self.rill.conn()
        self.c.cmd("FLUSHALL")
        self.rc = self.redis.conn()
        self.rc.cmd("FLUSHALL")
        self.r3 = self.redis.conn()
        self.r3.cmd("HELLO", "3")

    def tearDown(self):
        self.n.close()
        self.c.close()
        self.rc.close()
        self.r3.close()
        self.assertTrue(self.rill.alive(), "rill died: " + self.rill.read_log()[-3000:])

    def info(self, field, section="clients"):
        raw = harness.parse(self.c.cmd("INFO", section)).decode()
        for ln in raw.splitlines():
            if ln.startswith(field + ":"):
                return int(ln.split(":")[1])
        raise KeyError(field)

    def served(self, block, *push):
        """block parks over native and on redis (RESP3); push serves both;
        the replies must match."""
        rid = self.n.send(*block)
        self.r3.send(*block)
        self.assertFalse(self.n.has_reply(rid, 0.15), "%r answered before it was served" % (block,))
        for p in push:
            self.c.cmd(*p)
            self.rc.cmd(*p)
        v = self.n.wait(rid, 5)
        self.assertEqual(v.resp3(), self.r3.read_raw(), block)
        return v

    def test_blpop_served(self):
        v = self.served(("BLPOP", "l1", "0"), ("RPUSH", "l1", "a", "b"))
        self.assertEqual(v.py(), [b"l1", b"a"])
        self.assertEqual(self.c.cmd("LRANGE", "l1", "0", "-1"), self.rc.cmd("LRANGE", "l1", "0", "-1"))

    def test_brpop_blmove_bzpopmin_blmpop_bzmpop_served(self):
        self.served(("BRPOP", "a", "b", "0"), ("LPUSH", "b", "x"))
        self.served(("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"), ("RPUSH", "src", "1", "2"))
        self.assertEqual(self.c.cmd("LRANGE", "dst", "0", "-1"), self.rc.cmd("LRANGE", "dst", "0", "-1"))
        self.served(("BZPOPMIN", "z", "0"), ("ZADD", "z", "1", "m", "2", "n"))
        self.served(("BZPOPMAX", "z2", "0"), ("ZADD", "z2", "1", "m", "2", "n"))
        self.served(("BLMPOP", "0", "2", "q1", "q2", "RIGHT", "COUNT", "2"), ("RPUSH", "q2", "1", "2", "3"))
        self.served(("BZMPOP", "0", "1", "zz", "MIN"), ("ZADD", "zz", "1", "m"))

    def test_xread_block_served(self):
        self.c.cmd("XADD", "s", "1-1", "f", "v")
        self.rc.cmd("XADD", "s", "1-1", "f", "v")
        self.served(("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), ("XADD", "s", "2-1", "a", "b"))
        t0 = time.time()
        v = self.n.call("XREAD", "BLOCK", "150", "STREAMS", "s", "$", timeout=5)
        self.assertGreater(time.time() - t0, 0.1)
        self.assertEqual(v.resp3(), self.r3.cmd("XREAD", "BLOCK", "150", "STREAMS", "s", "$"))

    def test_qfetch_block_served(self):
        rid = self.n.send("QFETCH", "BLOCK", "0", "QUEUES", "jobs")
        self.assertFalse(self.n.has_reply(rid, 0.15))
        t0 = time.time()
        self.assertTrue(self.c.cmd("QPUSH", "jobs", "payload").startswith(b"$"))
        v = self.n.wait(rid, 5)
        self.assertLess(time.time() - t0, 1.0)
        self.assertIn(b"payload", v.resp3())
        t0 = time.time()
        v = self.n.call("QFETCH", "BLOCK", "100", "QUEUES", "jobs", timeout=5)
        self.assertGreater(time.time() - t0, 0.08)
        r3 = self.rill.conn()   # the same timed-out reply as a RESP3 client of rill gets
        r3.cmd("HELLO", "3")
        self.assertEqual(v.resp3(), r3.cmd("QFETCH", "BLOCK", "100", "QUEUES", "jobs"))
        r3.close()

    def test_timeout(self):
        t0 = time.time()
        v = self.n.call("BLPOP", "nothing", "0.2", timeout=5)
        self.assertGreater(time.time() - t0, 0.15)
        self.assertEqual(v.resp3(), self.r3.cmd("BLPOP", "nothing", "0.2"))
        v = self.n.call("BZPOPMIN", "nothing", "0.1", timeout=5)
        self.assertEqual(v.resp3(), self.r3.cmd("BZPOPMIN", "nothing", "0.1"))

    def test_bad_timeout_answers_at_once(self):
        for args in (("BLPOP", "k", "-1"), ("BLPOP", "k", "abc"), ("BZPOPMIN", "k", "nan")):
            v = self.n.call(*args, timeout=2)
            self.assertEqual(v.kind, ERROR)
            self.assertEqual(v.resp3(), self.r3.cmd(*args))

    def test_later_requests_wait_behind_parked(self):
        b = self.n.send("BLPOP", "ord", "0")
        p = self.n.send("PING")
        s = self.n.send("SET", "after", "1")
        self.assertFalse(self.n.has_reply(p, 0.2), "PING overtook the parked BLPOP")
        self.assertEqual(self.c.cmd("EXISTS", "after"), b":0\r\n")   # not run yet
        self.c.cmd("RPUSH", "ord", "x")
        self.assertEqual(self.n.wait(b, 5).py(), [b"ord", b"x"])
        self.assertEqual(self.n.wait(p, 5).py(), b"PONG")
        self.assertEqual(self.n.wait(s, 5).py(), b"OK")
        # A second blocking command in the queue parks in its turn.
        b1 = self.n.send("BLPOP", "q", "0")
        b2 = self.n.send("BLPOP", "q", "0")
        g = self.n.send("GET", "after")
        self.c.cmd("RPUSH", "q", "1")
        self.assertEqual(self.n.wait(b1, 5).py(), [b"q", b"1"])
        self.assertFalse(self.n.has_reply(b2, 0.15))
        self.c.cmd("RPUSH", "q", "2")
        self.assertEqual(self.n.wait(b2, 5).py(), [b"q", b"2"])
        self.assertEqual(self.n.wait(g, 5).py(), b"1")

    def test_poll_not_held_behind_parked(self):
        self.n.call("SUBSCRIBE", "c")
        b = self.n.send("BLPOP", "never", "0")
        p = self.n.send("POLL", "0", "10")
        self.c.cmd("PUBLISH", "c", "m")
        self.assertEqual(self.n.wait(p, 5).py(), [[b"message", b"c", b"m"]])
        self.assertFalse(self.n.has_reply(b, 0.05))
        self.c.cmd("RPUSH", "never", "z")
        self.assertEqual(self.n.wait(b, 5).py(), [b"never", b"z"])

    def test_pipe_dropped_while_parked(self):
        self.n.call("CLIENT", "SETNAME", "parked")
        self.n.send("BLPOP", "keep", "0")
        self.n.send("GET", "x")            # waits behind it
        deadline = time.time() + 5
        while self.info("blocked_clients") != 1 and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.info("blocked_clients"), 1)
        self.n.close()
        deadline = time.time() + 5
        while (self.info("blocked_clients") or b"parked" in self.c.cmd("CLIENT", "LIST")) and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.info("blocked_clients"), 0)
        self.assertNotIn(b"parked", self.c.cmd("CLIENT", "LIST"))
        self.c.cmd("RPUSH", "keep", "elem")
        self.assertEqual(self.c.cmd("LRANGE", "keep", "0", "-1"), b"*1\r\n$4\r\nelem\r\n")
        self.n = NativeClient(self.url)   # for tearDown; and the listener still works
        self.assertEqual(self.n.call("LPOP", "keep").py(), b"elem")

    def test_multi_does_not_block(self):
        self.assertEqual(self.n.call("MULTI").py(), b"OK")
        self.assertEqual(self.n.call("BLPOP", "empty", "0").py(), b"QUEUED")
        v = self.n.call("EXEC", timeout=2)
        self.r3.cmd("MULTI")
        self.r3.cmd("BLPOP", "empty", "0")
        self.assertEqual(v.resp3(), self.r3.cmd("EXEC"))

    def test_many_parked_clients_served_in_order(self):
        clients = [NativeClient(self.url) for _ in range(20)]
        try:
            ids = []
            for cl in clients:
                ids.append(cl.send("BLPOP", "fifo", "0"))
                time.sleep(0.005)   # arrival order
            deadline = time.time() + 5
            while self.info("blocked_clients") < 20 and time.time() < deadline:
                time.sleep(0.02)
            self.c.cmd("RPUSH", "fifo", *[str(i) for i in range(20)])
            got = [cl.wait(r, 5).py()[1] for cl, r in zip(clients, ids)]
            self.assertEqual(got, [str(i).encode() for i in range(20)])
        finally:
            for cl in clients:
                cl.close()


class NativeAppendfsyncAlways(unittest.TestCase):
    def test_reply_held_until_on_disk(self):
        url = "tcp://127.0.0.1:%d" % harness.free_port()
        s = harness.Server("rill", extra=["--native-listen", url, "--appendonly", "yes", "--appendfsync", "always"])
        try:
            n = NativeClient(url)
            c = s.conn()
            self.assertEqual(n.call("SET", "a", "1").py(), b"OK")
            self.assertEqual(c.cmd("DEBUG", "AOF-FAIL-WRITES", "28"), b"+OK\r\n")
            held = n.send("SET", "held", "1")
            ping = n.send("GET", "held")   # a later reply of the same session waits behind it
            self.assertFalse(n.has_reply(held, 0.3), "reply sent before its record was on disk")
            self.assertFalse(n.has_reply(ping, 0.05))
            self.assertEqual(harness.parse(c.cmd("GET", "held")), b"1")
            self.assertEqual(c.cmd("DEBUG", "AOF-FAIL-WRITES", "0"), b"+OK\r\n")
            self.assertEqual(n.wait(held, 5).py(), b"OK")
            self.assertEqual(n.wait(ping, 5).py(), b"1")
            # A served blocking command's reply is held the same way.
            b = n.send("BLPOP", "bl", "0")
            self.assertFalse(n.has_reply(b, 0.1))
            self.assertEqual(c.cmd("RPUSH", "bl", "v"), b":1\r\n")
            self.assertEqual(n.wait(b, 5).py(), [b"bl", b"v"])
            n.close()
            c.close()
            self.assertTrue(s.alive())
        finally:
            stop_checked(type(self), s)


if __name__ == "__main__":
    harness.main()
