"""Subscriptions and POLL over the native protocol (docs/protocol.md).

Pushes delivered through POLL are compared byte for byte (as RESP3) with
what redis-server 7.0 pushes to a RESP3 subscriber for the same commands.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from native_wire import NativeClient, stop_checked, ARRAY, PUSH, ERROR  # noqa: E402


def resp3_conn(server):
    c = server.conn()
    c.cmd("HELLO", "3")
    return c


class NativePubSub(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nport = harness.free_port()
        cls.url = "tcp://127.0.0.1:%d" % cls.nport
        cls.rill = harness.Server("rill", extra=["--native-listen", cls.url])
        cls.redis = harness.Server("redis")

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls, cls.rill)
        cls.redis.stop()

    def setUp(self):
        self.n = NativeClient(self.url)
        self.pub = self.rill.conn()
        self.rpub = self.redis.conn()
        self.clients = []

    def tearDown(self):
        self.n.close()
        for c in self.clients:
            c.close()
        self.pub.close()
        self.rpub.close()
        self.assertTrue(self.rill.alive(), "rill died: " + self.rill.read_log()[-3000:])

    def redis_sub(self, *cmd):
        """A RESP3 subscriber on redis-server; returns (conn, raw confirmation bytes)."""
        c = resp3_conn(self.redis)
        self.clients.append(c)
        c.send(*cmd)
        raw = b"".join(c.read_raw() for _ in range(max(1, len(cmd) - 1)))
        return c, raw

    def test_subscribe_reply_is_array_of_pushes(self):
        v = self.n.call("SUBSCRIBE", "a", "b")
        self.assertEqual(v.kind, ARRAY)
        self.assertEqual([e.kind for e in v.elems], [PUSH, PUSH])
        _, raw = self.redis_sub("SUBSCRIBE", "a", "b")
        self.assertEqual(b"".join(e.resp3() for e in v.elems), raw)
        v = self.n.call("SUBSCRIBE", "c")   # one channel: still an ARRAY
        self.assertEqual(v.kind, ARRAY)
        self.assertEqual(v.py(), [[b"subscribe", b"c", 3]])
        v = self.n.call("UNSUBSCRIBE")
        self.assertEqual(sorted(e[1] for e in v.py()), [b"a", b"b", b"c"])
        self.assertEqual([e[2] for e in v.py()], [2, 1, 0])
        v = self.n.call("UNSUBSCRIBE")
        rc = resp3_conn(self.redis)
        self.clients.append(rc)
        self.assertEqual(b"".join(e.resp3() for e in v.elems), rc.cmd("UNSUBSCRIBE"))
        # Confirmations never go to the outbox: a POLL finds nothing.
        self.assertEqual(self.n.call("POLL", "50", "10").py(), [])

    def test_message_pmessage_smessage_match_redis(self):
        self.n.call("SUBSCRIBE", "news")
        self.n.call("PSUBSCRIBE", "n*")
        self.n.call("SSUBSCRIBE", "shard")
        r1, _ = self.redis_sub("SUBSCRIBE", "news")
        r1.send("PSUBSCRIBE", "n*")
        r1.read_raw()
        r1.send("SSUBSCRIBE", "shard")
        r1.read_raw()
        for conn in (self.pub, self.rpub):
            self.assertEqual(conn.cmd("PUBLISH", "news", "hello\r\nworld"), b":2\r\n")
            self.assertEqual(conn.cmd("SPUBLISH", "shard", "s1"), b":1\r\n")
        v = self.n.call("POLL")
        self.assertEqual(v.kind, ARRAY)
        self.assertTrue(all(e.kind == PUSH for e in v.elems), v)
        expected = b"".join(r1.read_raw() for _ in range(3))
        self.assertEqual(b"".join(e.resp3() for e in v.elems), expected)

    def test_parked_poll_answered_on_publish(self):
        self.n.call("SUBSCRIBE", "ch")
        rid = self.n.send("POLL")
        self.assertFalse(self.n.has_reply(rid, 0.2), "POLL answered with nothing to give")
        t0 = time.time()
        self.pub.cmd("PUBLISH", "ch", "m1")
        v = self.n.wait(rid, 5)
        self.assertLess(time.time() - t0, 2)
        self.assertEqual(v.py(), [[b"message", b"ch", b"m1"]])

    def test_batch_and_order(self):
        self.n.call("SUBSCRIBE", "b")
        for i in range(10):
            self.pub.cmd("PUBLISH", "b", str(i))
        got = []
        for size in (3, 3, 3):
            v = self.n.call("POLL", "0", str(size))
            self.assertEqual(len(v.elems), size)
            got += [e.py()[2] for e in v.elems]
        v = self.n.call("POLL", "0", "1024")
        got += [e.py()[2] for e in v.elems]
        self.assertEqual(got, [str(i).encode() for i in range(10)])

    def test_max_wait_timeout(self):
        t0 = time.time()
        v = self.n.call("POLL", "150", "10")
        dt = time.time() - t0
        self.assertEqual((v.kind, v.py()), (ARRAY, []))
        self.assertGreater(dt, 0.1)
        self.assertLess(dt, 5)

    def test_second_poll_answers_first_empty(self):
        self.n.call("SUBSCRIBE", "x")
        first = self.n.send("POLL")
        self.assertFalse(self.n.has_reply(first, 0.1))
        second = self.n.send("POLL", "0", "5")
        self.assertEqual(self.n.wait(first, 5).py(), [])
        self.assertFalse(self.n.has_reply(second, 0.1))
        self.pub.cmd("PUBLISH", "x", "y")
        self.assertEqual(self.n.wait(second, 5).py(), [[b"message", b"x", b"y"]])

    def test_poll_bad_arguments(self):
        cases = [
            (("POLL", "1"), "ERR wrong number of arguments for 'poll' command"),
            (("POLL", "1", "2", "3"), "ERR wrong number of arguments for 'poll' command"),
            (("poll", "abc", "1"), "ERR timeout is not an integer or out of range"),
            (("POLL", "-1", "1"), "ERR timeout is not an integer or out of range"),
            (("POLL", "0", "0"), "ERR max-batch is not an integer or out of range"),
            (("POLL", "0", "x"), "ERR max-batch is not an integer or out of range"),
            (("POLL", "0", "99999999999"), "ERR max-batch is not an integer or out of range"),
        ]
        for cmd, err in cases:
            v = self.n.call(*cmd)
            self.assertEqual((v.kind, v.s.decode()), (ERROR, err), cmd)

    def test_poll_is_not_a_command(self):
        # COMMAND stays Redis's: no POLL in the table; RESP clients get the unknown-command error.
        self.assertEqual(self.pub.cmd("COMMAND", "INFO", "poll"), self.rpub.cmd("COMMAND", "INFO", "poll"))
        self.assertEqual(self.pub.cmd("POLL"), self.rpub.cmd("POLL"))

    def test_subscribed_session_runs_commands(self):
        self.n.call("SUBSCRIBE", "me")
        self.assertEqual(self.n.call("SET", "k", "v").py(), b"OK")
        self.assertEqual(self.n.call("GET", "k").py(), b"v")
        self.assertEqual(self.n.call("PING").py(), b"PONG")
        # Its own publication: the reply is PUBLISH's integer; the message goes to the outbox.
        self.assertEqual(self.n.call("PUBLISH", "me", "self").py(), 1)
        self.assertEqual(self.n.call("POLL", "0", "10").py(), [[b"message", b"me", b"self"]])

    def test_keyspace_notifications(self):
        self.pub.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        self.rpub.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        try:
            self.n.call("PSUBSCRIBE", "__keyspace@0__:*")
            r, _ = self.redis_sub("PSUBSCRIBE", "__keyspace@0__:*")
            self.pub.cmd("SET", "kk", "1")
            self.rpub.cmd("SET", "kk", "1")
            v = self.n.call("POLL", "2000", "10")
            self.assertEqual(b"".join(e.resp3() for e in v.elems), r.read_raw())
        finally:
            self.pub.cmd("CONFIG", "SET", "notify-keyspace-events", "")
            self.rpub.cmd("CONFIG", "SET", "notify-keyspace-events", "")

    def test_hello2_still_push(self):
        self.n.call("HELLO", "2")
        self.n.call("SUBSCRIBE", "h2")
        self.pub.cmd("PUBLISH", "h2", "m")
        v = self.n.call("POLL", "1000", "10")
        self.assertEqual([e.kind for e in v.elems], [PUSH])
        self.assertEqual(v.py(), [[b"message", b"h2", b"m"]])

    def test_quit_answers_parked_poll(self):
        rid = self.n.send("POLL")
        self.assertFalse(self.n.has_reply(rid, 0.1))
        q = self.n.send("QUIT")
        self.assertEqual(self.n.wait(rid, 5).py(), [])
        self.assertEqual(self.n.wait(q, 5).py(), b"OK")
        self.assertEqual(self.n.call("PING").py(), b"PONG")   # a fresh session on the same pipe

    def test_slow_poller_cut_off(self):
        self.pub.cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64kb 0 0")
        try:
            before = self.info_int("client_output_buffer_limit_disconnections")
            self.n.call("SUBSCRIBE", "flood")
            self.n.call("CLIENT", "SETNAME", "slowpoller")
            payload = "x" * 4096
            for _ in range(40):   # 160 KB > 64 KB, never polled
                self.pub.cmd("PUBLISH", "flood", payload)
            deadline = time.time() + 5
            while time.time() < deadline and b"slowpoller" in self.pub.cmd("CLIENT", "LIST"):
                time.sleep(0.05)
            self.assertNotIn(b"slowpoller", self.pub.cmd("CLIENT", "LIST"))
            self.assertEqual(self.info_int("client_output_buffer_limit_disconnections"), before + 1)
            self.assertIn("scheduled to be closed ASAP for overcoming of output buffer limits",
                          self.rill.read_log())
            # The server's memory stayed bounded and other clients are fine.
            self.assertEqual(self.pub.cmd("PING"), b"+PONG\r\n")
        finally:
            self.pub.cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")

    def test_outbox_counts_in_client_list(self):
        self.n.call("SUBSCRIBE", "om")
        self.n.call("CLIENT", "SETNAME", "omem")
        self.pub.cmd("PUBLISH", "om", "y" * 100000)
        line = [ln for ln in self.pub.cmd("CLIENT", "LIST").split(b"\n") if b"name=omem" in ln][0]
        omem = int(line.split(b" omem=")[1].split(b" ")[0])
        self.assertGreater(omem, 0)
        self.assertEqual(len(self.n.call("POLL", "0", "10").elems), 1)

    def info_int(self, field):
        raw = harness.parse(self.pub.cmd("INFO", "stats")).decode()
        for ln in raw.splitlines():
            if ln.startswith(field + ":"):
                return int(ln.split(":")[1])
        raise KeyError(field)


class NativePollAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = "tcp://127.0.0.1:%d" % harness.free_port()
        cls.rill = harness.Server("rill", extra=["--native-listen", cls.url, "--requirepass", "pw"])

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls, cls.rill)

    def test_poll_needs_auth(self):
        n = NativeClient(self.url)
        try:
            v = n.call("POLL", "0", "1")
            self.assertEqual((v.kind, v.s), (ERROR, b"NOAUTH Authentication required."))
            self.assertEqual(n.call("AUTH", "pw").py(), b"OK")
            self.assertEqual(n.call("POLL", "10", "1").py(), [])
        finally:
            n.close()


if __name__ == "__main__":
    harness.main()
