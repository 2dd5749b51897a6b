"""Batches over the native protocol (docs/protocol.md, "Batches"): one
message carrying several requests, one reply message carrying their replies.

Each entry's reply must be what the same command gets alone: the replies
are compared (as RESP3 bytes) with redis-server 7.0 answering the same
commands to a RESP3 client, pipelined.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from native_wire import NativeClient, stop_checked, encode_request, encode_batch, ERROR, NULL  # noqa: E402


class NativeBatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = "tcp://127.0.0.1:%d" % harness.free_port()
        cls.rill = harness.Server("rill", extra=["--native-listen", cls.url, "--native-max-frame", "64kb"])
        cls.redis = harness.Server("redis")

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls, cls.rill)
        cls.redis.stop()

    def setUp(self):
        self.n = NativeClient(self.url)
        self.c = self.rill.conn()
        self.c.cmd("FLUSHALL")
        self.r3 = self.redis.conn()
        self.r3.cmd("HELLO", "3")
        self.r3.cmd("FLUSHALL")

    def tearDown(self):
        self.n.close()
        self.c.close()
        self.r3.close()
        self.assertTrue(self.rill.alive(), "rill died: " + self.rill.read_log()[-3000:])

    def same_as_redis(self, *commands):
        """Runs commands as one batch and on redis; every reply must match."""
        got = self.n.batch(*commands, timeout=5)
        self.assertEqual(len(got), len(commands))
        for cmd, v in zip(commands, got):
            self.assertEqual(v.resp3(), self.r3.cmd(*cmd), cmd)
        return got

    def test_order_and_replies(self):
        self.same_as_redis(("SET", "k", "v"), ("GET", "k"), ("APPEND", "k", "w"), ("GET", "k"),
                           ("RPUSH", "l", "a", "b", "c"), ("LPOP", "l"), ("LRANGE", "l", "0", "-1"),
                           ("HSET", "h", "f", "1"), ("HGETALL", "h"), ("XADD", "s", "1-1", "f", "v"),
                           ("XRANGE", "s", "-", "+"), ("INCRBYFLOAT", "fl", "1.5"), ("GET", "nothing"))

    def test_errors_in_the_middle(self):
        got = self.same_as_redis(("SET", "n", "1"), ("INCR", "n"), ("LPUSH", "n", "x"), ("NOSUCHCMD", "a"),
                                 ("GET",), ("INCR", "n"))
        self.assertEqual(got[2].kind, ERROR)
        self.assertEqual(got[5].py(), 3)

    def test_bad_entries_answered_in_place(self):
        ok = encode_request(11, ["SET", "bad", "1"])
        entries = [ok,
                   encode_request(12, []),                            # no argv
                   b"\x08\x0d\x12\x05ab",                             # truncated: not a valid Request
                   encode_batch(14, [encode_request(15, ["PING"])]),  # nested batch
                   encode_request(16, ["POLL"]),                      # POLL is not a batch entry
                   encode_request(17, ["INCR", "bad"])]
        rid, _ = self.n.send_batch(raw_entries=entries)
        v = self.n.wait(rid, 5)
        self.assertEqual([i for i, _ in v.batch], [11, 12, 13, 14, 16, 17])
        vals = [x for _, x in v.batch]
        self.assertEqual(vals[0].py(), b"OK")
        self.assertEqual(vals[1].py(), ("ERR", "ERR Protocol error: empty request: argv has no command"))
        self.assertEqual(vals[2].py(), ("ERR", "ERR Protocol error: not a valid Request message"))
        self.assertEqual(vals[3].py(), ("ERR", "ERR Protocol error: a batch entry cannot be a batch"))
        self.assertEqual(vals[4].py(), ("ERR", "ERR Protocol error: POLL cannot be part of a batch"))
        self.assertEqual(vals[5].py(), 2)

    def test_malformed_batches_refused_whole(self):
        # argv and entries in one Request
        body = encode_request(5, ["PING"]) + b"\x1a" + bytes([len(encode_request(6, ["PING"]))]) + \
            encode_request(6, ["PING"])
        v, _ = self.n.raw_call(body, timeout=5)
        self.assertEqual(v.py(), ("ERR", "ERR Protocol error: a batch request cannot have argv of its own"))
        self.assertIsNone(v.batch)
        # an entry that is not length-delimited, and a truncated one
        for body in (b"\x08\x01\x18\x05", b"\x08\x01\x1a\x09\x12\x01x"):
            v, _ = self.n.raw_call(body, timeout=5)
            self.assertEqual(v.py(), ("ERR", "ERR Protocol error: not a valid Request message"))
        self.assertEqual(self.n.call("PING").py(), b"PONG")   # the connection is fine

    def test_oversized_batch_refused(self):
        # More entries than the limit: nothing runs.
        entries = [encode_request(100 + i, ["INCR", "cnt"]) for i in range(1025)]
        rid, _ = self.n.send_batch(raw_entries=entries)
        v = self.n.wait(rid, 5)
        self.assertEqual(v.py(), ("ERR", "ERR Protocol error: too many requests in one batch"))
        self.assertEqual(self.c.cmd("EXISTS", "cnt"), b":0\r\n")
        # Exactly the limit is fine.
        got = self.n.batch(*[("INCR", "cnt")] * 1024, timeout=10)
        self.assertEqual(got[-1].py(), 1024)
        # Larger than native-max-frame (64kb here): refused whole.
        big = "x" * 32900   # together just over 64kb, under the 1kb NNG adds to its limit
        body = encode_batch(1, [encode_request(2, ["SET", "b1", big]), encode_request(3, ["SET", "b2", big])])
        v, rid = self.n.raw_call(body, timeout=5)   # id 0: not read from a body that large
        self.assertEqual(v.py(), ("ERR", "ERR Protocol error: request larger than native-max-frame"))
        self.assertEqual(self.c.cmd("EXISTS", "b1"), b":0\r\n")

    def test_multi_inside_a_batch(self):
        self.same_as_redis(("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("LPUSH", "a", "x"), ("EXEC",),
                           ("GET", "a"))
        self.same_as_redis(("MULTI",), ("SET", "b", "1"), ("NOSUCHCMD",), ("EXEC",), ("EXISTS", "b"))
        # MULTI opened in one batch, ended by a later single request
        got = self.n.batch(("MULTI",), ("SET", "c", "1"))
        self.assertEqual([g.py() for g in got], [b"OK", b"QUEUED"])
        self.assertEqual(self.n.call("EXEC").py(), [b"OK"])

    def test_blocking_command_holds_the_batch(self):
        rid, ids = self.n.send_batch(("SET", "before", "1"), ("BLPOP", "bq", "0"), ("SET", "after", "1"))
        later = self.n.send("GET", "after")               # a single request behind the batch
        self.assertFalse(self.n.has_reply(rid, 0.2), "batch answered while an entry is parked")
        self.assertFalse(self.n.has_reply(later, 0.01), "a later request overtook the parked batch")
        self.assertEqual(self.c.cmd("EXISTS", "before"), b":1\r\n")
        self.assertEqual(self.c.cmd("EXISTS", "after"), b":0\r\n")   # waits behind BLPOP
        self.c.cmd("RPUSH", "bq", "x")
        v = self.n.wait(rid, 5)
        self.assertEqual([i for i, _ in v.batch], ids)
        self.assertEqual([x.py() for _, x in v.batch], [b"OK", [b"bq", b"x"], b"OK"])
        self.assertEqual(self.n.wait(later, 5).py(), b"1")
        # Two parked entries in one batch, the second with a timeout.
        t0 = time.time()
        rid, _ = self.n.send_batch(("BLPOP", "bq", "0"), ("BLPOP", "empty", "0.2"), ("PING",))
        self.c.cmd("RPUSH", "bq", "y")
        v = self.n.wait(rid, 5)
        self.assertGreater(time.time() - t0, 0.15)
        self.r3.cmd("RPUSH", "bq", "y")
        self.assertEqual(v.batch[0][1].resp3(), self.r3.cmd("BLPOP", "bq", "0"))
        self.assertEqual(v.batch[1][1].resp3(), self.r3.cmd("BLPOP", "empty", "0.1"))
        self.assertEqual(v.batch[1][1].kind, NULL)
        self.assertEqual(v.batch[2][1].py(), b"PONG")

    def test_poll_not_held_behind_parked_batch(self):
        self.n.call("SUBSCRIBE", "ch")
        rid, _ = self.n.send_batch(("BLPOP", "never", "0"), ("PING",))
        p = self.n.send("POLL", "0", "10")
        self.c.cmd("PUBLISH", "ch", "m")
        self.assertEqual(self.n.wait(p, 5).py(), [[b"message", b"ch", b"m"]])
        self.assertFalse(self.n.has_reply(rid, 0.05))
        self.c.cmd("RPUSH", "never", "z")
        self.assertEqual([x.py() for _, x in self.n.wait(rid, 5).batch], [[b"never", b"z"], b"PONG"])

    def test_quit_in_a_batch(self):
        self.n.call("CLIENT", "SETNAME", "old")
        got = self.n.batch(("SET", "q", "1"), ("QUIT",), ("SET", "q", "2"))
        self.assertEqual(got[0].py(), b"OK")
        self.assertEqual(got[1].py(), b"OK")
        self.assertEqual(got[2].py(), ("ERR", "ERR not run: the session ended earlier in this batch"))
        self.assertEqual(self.c.cmd("GET", "q"), b"$1\r\n1\r\n")
        self.assertEqual(self.n.call("CLIENT", "GETNAME").kind, NULL)   # a fresh session

    def test_pipe_dropped_while_batch_parked(self):
        self.n.call("CLIENT", "SETNAME", "bparked")
        self.n.send_batch(("BLPOP", "keep", "0"), ("SET", "never", "1"))
        self.n.send("GET", "x")
        deadline = time.time() + 5
        while b"cmd=blpop" not in self.c.cmd("CLIENT", "LIST") and time.time() < deadline:
            time.sleep(0.02)
        self.n.close()
        deadline = time.time() + 5
        while b"bparked" in self.c.cmd("CLIENT", "LIST") and time.time() < deadline:
            time.sleep(0.02)
        self.assertNotIn(b"bparked", self.c.cmd("CLIENT", "LIST"))
        self.c.cmd("RPUSH", "keep", "elem")
        self.assertEqual(self.c.cmd("LRANGE", "keep", "0", "-1"), b"*1\r\n$4\r\nelem\r\n")
        self.assertEqual(self.c.cmd("EXISTS", "never"), b":0\r\n")
        self.n = NativeClient(self.url)
        self.assertEqual(self.n.batch(("LPOP", "keep"))[0].py(), b"elem")

    def test_single_requests_unchanged(self):
        v = self.n.call("PING")
        self.assertEqual(v.py(), b"PONG")
        self.assertIsNone(v.batch)


class NativeBatchAppendfsyncAlways(unittest.TestCase):
    def test_batch_reply_after_the_log(self):
        url = "tcp://127.0.0.1:%d" % harness.free_port()
        srv = harness.Server("rill", extra=["--native-listen", url, "--appendonly", "yes",
                                            "--appendfsync", "always"])
        try:
            n = NativeClient(url)
            got = n.batch(("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), timeout=5)
            self.assertEqual([g.py() for g in got], [b"OK", 2, b"2"])
            self.assertEqual(n.call("GET", "a").py(), b"2")
            n.close()
        finally:
            stop_checked(NativeBatchAppendfsyncAlways, srv)


if __name__ == "__main__":
    unittest.main()
