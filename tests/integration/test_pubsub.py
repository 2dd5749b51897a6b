"""Pub/sub: SUBSCRIBE family, PUBLISH, PUBSUB, shard channels, the RESP2
subscribed context, RESP3 pushes, keyspace notifications and the output
buffer limits for slow subscribers.

Replies, errors and pushes are compared byte for byte with redis-server
7.0.15 (DiffTestCase); fan-out to 1,000 subscribers, the slow-subscriber
cut-off and memory bound run against rill alone.
"""
import re
import socket
import time
import unittest

import harness


class PubSubDiff(harness.DiffTestCase):
    """Same script on rill and redis: every reply and push byte-identical."""

    def pair(self):
        """A second connection to each server."""
        a, b = self.rill.conn(), self.redis.conn()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b

    def same(self, ca, cb, cmd, n=1):
        """Send cmd on ca/cb (rill/redis), read n replies from each, compare."""
        if cmd is not None:
            if isinstance(cmd, bytes):
                ca.send_raw(cmd)
                cb.send_raw(cmd)
            else:
                ca.send(*cmd)
                cb.send(*cmd)
        out = []
        for _ in range(n):
            ra, rb = ca.read_raw(), cb.read_raw()
            self.assertEqual(ra, rb, "differs for %r:\n rill:  %r\n redis: %r" % (cmd, ra, rb))
            out.append(ra)
        return out

    def test_subscribe_publish_unsubscribe(self):
        sa, sb = self.pair()
        r = self.same(sa, sb, ("SUBSCRIBE", "ch1", "ch2", "ch1"), 3)
        self.assertEqual(r[2], b"*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:2\r\n")
        self.diff(("PUBLISH", "ch1", "hello"), ("PUBLISH", "nochan", "x"), ("PUBSUB", "NUMSUB", "ch1", "ch2", "zz"),
                  ("PUBSUB", "CHANNELS", "ch1"), ("PUBSUB", "CHANNELS", "nomatch*"), ("PUBSUB", "NUMPAT"))
        self.same(sa, sb, None, 1)   # the message
        self.same(sa, sb, ("PUBLISH", "ch2", ""), 0)
        self.same(sa, sb, ("UNSUBSCRIBE", "ch2", "nope"), 2)
        self.same(sa, sb, ("UNSUBSCRIBE",), 1)           # ch1: the last one
        self.same(sa, sb, ("UNSUBSCRIBE",), 1)           # nothing left: nil, 0
        self.same(sa, sb, ("PUNSUBSCRIBE",), 1)
        self.same(sa, sb, ("SUNSUBSCRIBE",), 1)
        self.same(sa, sb, ("PING",), 1)                   # out of the subscribed context again
        self.diff(("PUBLISH", "ch1", "gone"), ("PUBSUB", "CHANNELS"))

    def same_unordered(self, ca, cb, n):
        """n pushes from each side, equal as multisets (Redis orders patterns by hash)."""
        ra = sorted(ca.read_raw() for _ in range(n))
        rb = sorted(cb.read_raw() for _ in range(n))
        self.assertEqual(ra, rb)
        return ra

    def test_pattern_and_channel_together(self):
        sa, sb = self.pair()
        self.same(sa, sb, ("SUBSCRIBE", "news.art"), 1)
        self.same(sa, sb, ("PSUBSCRIBE", "news.*", "n[aeiou]ws.?rt", "x\\*y"), 3)
        r = self.diff(("PUBLISH", "news.art", "picasso"))
        self.assertEqual(r[0], b":3\r\n")
        self.same(sa, sb, None, 1)    # the channel's message comes first
        msgs = self.same_unordered(sa, sb, 2)
        self.assertTrue(all(m.startswith(b"*4\r\n$8\r\npmessage\r\n") for m in msgs))
        self.diff(("PUBLISH", "x*y", "lit"), ("PUBLISH", "xzy", "no"), ("PUBSUB", "NUMPAT"))
        self.same(sa, sb, None, 1)
        self.same(sa, sb, ("PUNSUBSCRIBE", "news.*", "zzz"), 2)
        self.diff(("PUBLISH", "news.art", "again"), ("PUBSUB", "NUMPAT"))
        self.same(sa, sb, None, 2)

    def test_pubsub_errors_and_help(self):
        self.diff(("PUBSUB",), ("PUBSUB", "FOO"), ("PUBSUB", "NUMPAT", "x"), ("PUBSUB", "CHANNELS", "a", "b"),
                  ("PUBSUB", "HELP"), ("PUBSUB", "NUMSUB"), ("PUBLISH", "a"), ("SUBSCRIBE",), ("PSUBSCRIBE",),
                  ("SSUBSCRIBE",), ("SPUBLISH", "a", "b"), ("PUBSUB", "SHARDCHANNELS"), ("PUBSUB", "SHARDNUMSUB", "a"))

    def test_shard_channels(self):
        sa, sb = self.pair()
        self.same(sa, sb, ("SSUBSCRIBE", "s1", "s2"), 2)
        self.same(sa, sb, ("SUBSCRIBE", "c1"), 1)
        self.diff(("SPUBLISH", "s1", "m"), ("PUBLISH", "s1", "not shard"), ("PUBSUB", "SHARDNUMSUB", "s1", "s3"),
                  ("PUBSUB", "SHARDCHANNELS", "s1"), ("PUBSUB", "NUMSUB", "s1"))
        self.same(sa, sb, None, 1)
        self.same(sa, sb, ("SUNSUBSCRIBE", "s1"), 1)
        self.same(sa, sb, ("UNSUBSCRIBE",), 1)
        self.same(sa, sb, ("SUNSUBSCRIBE",), 1)
        self.same(sa, sb, ("PING",), 1)

    def test_resp2_subscribed_context(self):
        sa, sb = self.pair()
        self.same(sa, sb, ("SUBSCRIBE", "c"), 1)
        for cmd in (("GET", "k"), ("SET", "k", "v"), ("PUBSUB", "NUMPAT"), ("CONFIG", "GET", "x"),
                    ("PING",), ("PING", "hi"), ("PSUBSCRIBE", "p*"), ("PUNSUBSCRIBE",), ("ECHO", "x"),
                    ("SSUBSCRIBE", "s"), ("SUNSUBSCRIBE", "s")):
            self.same(sa, sb, cmd, 1)
        self.same(sa, sb, ("RESET",), 1)
        self.same(sa, sb, ("GET", "k"), 1)
        self.diff(("PUBSUB", "NUMSUB", "c"), ("PUBSUB", "NUMPAT"))

    def test_pushes_ignore_client_reply_off(self):
        # Redis 7.0.15 sends pub/sub pushes (confirmations and messages)
        # under CLIENT REPLY OFF/SKIP (CLIENT_PUSHING); only replies drop.
        for proto in ("2", "3"):
            sa, sb = self.pair()
            sa.cmd("HELLO", proto)
            sb.cmd("HELLO", proto)
            self.same(sa, sb, ("CLIENT", "REPLY", "OFF"), 0)
            self.same(sa, sb, ("SUBSCRIBE", "c", "d"), 2)
            self.same(sa, sb, ("PSUBSCRIBE", "c*"), 1)
            self.diff(("PUBLISH", "c", "m1"))
            self.same(sa, sb, None, 2)
            self.same(sa, sb, ("PING",), 0)
            self.same(sa, sb, ("GET", "k"), 0)
            self.same(sa, sb, ("UNSUBSCRIBE", "d"), 1)
            self.same(sa, sb, ("CLIENT", "REPLY", "SKIP"), 0)
            self.same(sa, sb, ("SSUBSCRIBE", "s"), 1)
            self.diff(("SPUBLISH", "s", "m2"))
            self.same(sa, sb, None, 1)
            self.same(sa, sb, ("RESET",), 1)              # clears OFF: +RESET
            self.same(sa, sb, ("PING",), 1)

    def test_subscribe_inside_multi(self):
        # EXEC makes the client DENY_BLOCKING: SSUBSCRIBE is refused there,
        # SUBSCRIBE and PSUBSCRIBE are let through (Redis 7.0.15).
        for proto in ("2", "3"):
            sa, sb = self.pair()
            sa.cmd("HELLO", proto)
            sb.cmd("HELLO", proto)
            self.same(sa, sb, ("MULTI",), 1)
            for cmd in (("SUBSCRIBE", "a", "b"), ("SSUBSCRIBE", "s"), ("PSUBSCRIBE", "p*"), ("SUNSUBSCRIBE",)):
                self.same(sa, sb, cmd, 1)
            self.same(sa, sb, ("EXEC",), 1)
            self.diff(("PUBSUB", "SHARDNUMSUB", "s"), ("PUBSUB", "NUMSUB", "a"))
            self.same(sa, sb, ("RESET",), 1)

    def test_resp3_push_interleaving(self):
        sa, sb = self.pair()
        self.same(sa, sb, ("HELLO", "3"), 1) if False else (sa.cmd("HELLO", "3"), sb.cmd("HELLO", "3"))
        self.same(sa, sb, ("SUBSCRIBE", "c"), 1)
        self.same(sa, sb, ("PSUBSCRIBE", "c*"), 1)
        self.same(sa, sb, ("SET", "k", "v"), 1)          # any command works under RESP3
        self.same(sa, sb, ("PUBLISH", "c", "self"), 3)    # message, pmessage, then the reply :2
        self.same(sa, sb, ("GET", "k"), 1)
        self.same(sa, sb, ("PING",), 1)
        self.diff(("PUBLISH", "c", "other"))
        self.same(sa, sb, None, 2)
        self.same(sa, sb, ("UNSUBSCRIBE", "c"), 1)
        self.same(sa, sb, ("PUNSUBSCRIBE",), 1)
        self.same(sa, sb, ("UNSUBSCRIBE",), 1)


class FanOut(harness.RillTestCase):
    def test_thousand_subscribers_in_order(self):
        subs = []
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", self.server.port))
            s.sendall(harness.Conn.encode("SUBSCRIBE", "fan"))
            subs.append(s)
        self.addCleanup(lambda: [s.close() for s in subs])
        confirm = b"*3\r\n$9\r\nsubscribe\r\n$3\r\nfan\r\n:1\r\n"
        bufs = [b""] * len(subs)
        for i, s in enumerate(subs):
            s.settimeout(10)
            while len(bufs[i]) < len(confirm):
                bufs[i] += s.recv(4096)
            self.assertEqual(bufs[i][:len(confirm)], confirm)
            bufs[i] = bufs[i][len(confirm):]
        self.assertEqual(self.c.cmd("PUBSUB", "NUMSUB", "fan"), b"*2\r\n$3\r\nfan\r\n:1000\r\n")
        N = 50
        pipe = b"".join(harness.Conn.encode("PUBLISH", "fan", "m%03d" % i) for i in range(N))
        self.c.send_raw(pipe)
        for i in range(N):
            self.assertEqual(self.c.read_raw(), b":1000\r\n")
        expect = b"".join(b"*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$4\r\nm%03d\r\n" % i for i in range(N))
        for i, s in enumerate(subs):
            while len(bufs[i]) < len(expect):
                chunk = s.recv(65536)
                self.assertTrue(chunk, "subscriber %d closed" % i)
                bufs[i] += chunk
            self.assertEqual(bufs[i], expect, "subscriber %d" % i)
        for s in subs:
            s.close()
        deadline = time.time() + 10
        while self.c.cmd("PUBSUB", "NUMSUB", "fan") != b"*2\r\n$3\r\nfan\r\n:0\r\n" and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.c.cmd("PUBSUB", "CHANNELS"), b"*0\r\n")


class DeliveryOrder(harness.RillTestCase):
    def test_messages_leave_before_the_publishers_reply(self):
        """A pipeline of PUBLISHes to 200 channels with one subscriber each:
        every message is written before the publisher hears back, so the
        publisher cannot run ahead of its subscribers (docs/decisions.md,
        "Output order").  Replies first would leave ~200 socket writes still
        to come when the publisher has its answers."""
        n = 200
        subs = []
        self.addCleanup(lambda: [s.close() for s in subs])
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", self.server.port))
            s.sendall(harness.Conn.encode("SUBSCRIBE", "ch%03d" % i))
            subs.append(s)
        confirm = [b"*3\r\n$9\r\nsubscribe\r\n$5\r\nch%03d\r\n:1\r\n" % i for i in range(n)]
        for i, s in enumerate(subs):
            s.settimeout(10)
            got = b""
            while len(got) < len(confirm[i]):
                got += s.recv(4096)
            self.assertEqual(got, confirm[i])
        for rnd in range(3):
            pipe = b"".join(harness.Conn.encode("PUBLISH", "ch%03d" % i, "r%d" % rnd) for i in range(n))
            self.c.send_raw(pipe)
            for i in range(n):
                self.assertEqual(self.c.read_raw(), b":1\r\n")
            # The publisher has every reply: every subscriber's message must
            # already be in its socket (loopback delivers within write()).
            expect = [b"*3\r\n$7\r\nmessage\r\n$5\r\nch%03d\r\n$2\r\nr%d\r\n" % (i, rnd) for i in range(n)]
            for i in reversed(range(n)):
                s = subs[i]
                s.setblocking(False)
                try:
                    got = s.recv(4096)
                except BlockingIOError:
                    got = b""
                s.setblocking(True)
                s.settimeout(10)
                while got and len(got) < len(expect[i]):
                    got += s.recv(4096)
                self.assertEqual(got, expect[i], "round %d: subscriber %d's message was not out yet" % (rnd, i))


class NotifyDiff(harness.DiffTestCase):
    """Keyspace/keyevent notifications: the same pushes as redis-server."""

    def collect(self, sa, sb, cmds):
        """Run cmds on the main connections; return what the subscribers got,
        using a PING on each subscriber as the end marker."""
        for cmd in cmds:
            self.diff(cmd)
        got = []
        for conn in (sa, sb):
            conn.send("PING")
            out = []
            while True:
                r = conn.read_raw()
                if r == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n":
                    break
                out.append(r)
            got.append(out)
        self.assertEqual(got[0], got[1])
        return got[0]

    def setUp(self):
        super().setUp()
        self.diff(("CONFIG", "SET", "notify-keyspace-events", "KEA"))
        self.sa, self.sb = self.rill.conn(), self.redis.conn()
        self.addCleanup(self.sa.close)
        self.addCleanup(self.sb.close)
        for conn in (self.sa, self.sb):
            self.assertEqual(conn.cmd("PSUBSCRIBE", "__key*__:*"), b"*3\r\n$10\r\npsubscribe\r\n$10\r\n__key*__:*\r\n:1\r\n")

    def test_config_flags(self):
        for f in ("KEA", "Kg$lshzxet", "Kg$lshzxetd", "Edn", "xEn", "", "KA", "m", "E", "AKEnm", "Eq"):
            self.diff(("CONFIG", "SET", "notify-keyspace-events", f), ("CONFIG", "GET", "notify-keyspace-events"))

    def test_strings(self):
        got = self.collect(self.sa, self.sb, [
            ("SET", "s", "1"), ("SET", "s", "2", "EX", "100"), ("SETRANGE", "s", "1", "abc"), ("APPEND", "s", "z"),
            ("INCR", "n"), ("INCRBY", "n", "5"), ("DECR", "n"), ("INCRBYFLOAT", "n", "1.5"), ("MSET", "a", "1", "b", "2"),
            ("GETSET", "a", "x"), ("GETDEL", "a"), ("GETEX", "b", "EX", "10"), ("GETEX", "b", "PERSIST"),
            ("SETNX", "c", "1"), ("SETEX", "d", "10", "v"), ("PSETEX", "e", "1000", "v"), ("GET", "s")])
        self.assertIn(b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$21\r\n__keyevent@0__:append\r\n$1\r\ns\r\n", got)
        self.assertGreater(len(got), 30)

    def test_generic_keys(self):
        self.collect(self.sa, self.sb, [
            ("SET", "k", "v"), ("EXPIRE", "k", "100"), ("PERSIST", "k"), ("RENAME", "k", "k2"),
            ("COPY", "k2", "k3"), ("COPY", "k2", "k4", "DB", "2"), ("MOVE", "k3", "1"), ("PEXPIRE", "k2", "-1"),
            ("DEL", "k4", "nokey"), ("UNLINK", "k"), ("EXPIREAT", "nokey", "1"), ("SELECT", "2"), ("DEL", "k4"),
            ("SELECT", "0")])

    def test_expired(self):
        got = self.collect(self.sa, self.sb, [("SET", "e", "v", "PX", "30")])
        time.sleep(0.2)
        got = self.collect(self.sa, self.sb, [("GET", "e")])
        self.assertEqual(got, [b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@0__:e\r\n$7\r\nexpired\r\n",
                               b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$22\r\n__keyevent@0__:expired\r\n$1\r\ne\r\n"])

    def test_off_by_default_class(self):
        self.diff(("CONFIG", "SET", "notify-keyspace-events", "Kl"))   # lists only: strings stay silent
        got = self.collect(self.sa, self.sb, [("SET", "s", "1"), ("DEL", "s")])
        self.assertEqual(got, [])


class OutputLimitConfigDiff(harness.DiffTestCase):
    def test_config_get_set(self):
        self.diff(("CONFIG", "GET", "client-output-buffer-limit"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2k 5"),
                  ("CONFIG", "GET", "client-output-buffer-limit"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2k 5 normal 1 1 1"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "replica 10 5 1"),
                  ("CONFIG", "GET", "client-output-buffer-limit"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2k"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "foo 1mb 2k 3"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "master 1mb 2k 3"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "normal x 2k 3"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2k -3"),
                  ("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
                  ("CONFIG", "GET", "client-output-buffer-limit"))


class SlowSubscriber(harness.RillTestCase):
    """Subscribers that stop reading are cut off at the pubsub hard limit;
    the others keep receiving and the server's memory stays bounded."""
    extra = ("--client-output-buffer-limit", "pubsub", "1mb", "256kb", "60")

    def info_field(self, name):
        raw = self.c.cmd("INFO", "all")
        m = re.search(rb"\r\n" + name.encode() + rb":(\d+)\r\n", raw)
        return int(m.group(1))

    def test_slow_subscribers_cut_off(self):
        NSLOW = 20
        slow = []
        for _ in range(NSLOW):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", self.server.port))
            s.sendall(harness.Conn.encode("SUBSCRIBE", "firehose"))
            slow.append(s)
        self.addCleanup(lambda: [s.close() for s in slow])
        fast = self.server.conn()
        self.addCleanup(fast.close)
        fast.cmd("SUBSCRIBE", "firehose")
        deadline = time.time() + 10
        while self.c.cmd("PUBSUB", "NUMSUB", "firehose") != b"*2\r\n$8\r\nfirehose\r\n:%d\r\n" % (NSLOW + 1):
            self.assertLess(time.time(), deadline)
            time.sleep(0.02)
        base_mem = self.info_field("used_memory")

        payload = b"x" * 4096
        msg = b"*3\r\n$7\r\nmessage\r\n$8\r\nfirehose\r\n$4096\r\n" + payload + b"\r\n"
        BATCH, NBATCH = 100, 40      # 4,000 messages, 16 MB per subscriber
        received = 0
        for b in range(NBATCH):
            self.c.send_raw(harness.Conn.encode("PUBLISH", "firehose", payload) * BATCH)
            for _ in range(BATCH):
                self.c.read_raw()
            for _ in range(BATCH):      # the fast subscriber keeps up
                self.assertEqual(fast.read_raw(), msg)
                received += 1
        self.assertEqual(received, BATCH * NBATCH)
        # The last publishes reach only the fast subscriber.
        self.assertEqual(self.c.cmd("PUBLISH", "firehose", "last"), b":1\r\n")
        self.assertEqual(self.info_field("client_output_buffer_limit_disconnections"), NSLOW)
        # Memory: each slow subscriber held at most ~1 MB before it was cut off.
        self.assertLess(self.info_field("used_memory") - base_mem, 8 << 20)
        log = self.server.read_log()
        self.assertEqual(log.count("scheduled to be closed ASAP for overcoming of output buffer limits."), NSLOW)
        self.assertRegex(log, r"Client id=\d+ addr=127\.0\.0\.1:\d+ .*flags=P.* scheduled to be closed ASAP")
        for s in slow:                  # they were really disconnected
            s.settimeout(5)
            try:
                while s.recv(1 << 20):
                    pass
            except (ConnectionResetError, socket.timeout):
                pass
        self.assertEqual(self.c.cmd("PUBSUB", "NUMSUB", "firehose"), b"*2\r\n$8\r\nfirehose\r\n:1\r\n")

    def test_normal_clients_unlimited_by_default(self):
        self.c.cmd("SET", "big", "y" * (2 << 20))
        self.assertEqual(len(self.c.cmd("GET", "big")), (2 << 20) + 12)


if __name__ == "__main__":
    harness.main()
