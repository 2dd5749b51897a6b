"""List commands (broker/cmd_list.c) and blocking (broker/blocking.c).

ListsDiff sends the same commands to rill-server and redis-server 7.0.15 and
asserts byte-identical raw replies, in RESP2 and RESP3, for every command,
option and error path.  ListsBlocking drives rill alone with several
connections: FIFO serving, timeouts, disconnects, LMOVE chains, MULTI/EXEC.
"""
import socket
import time

import harness

LLONG_MAX = 2 ** 63 - 1
LLONG_MIN = -2 ** 63


class ListsDiff(harness.DiffTestCase):
    def test_push_pop_len(self):
        self.both_protocols(
            ("LPUSH", "k", "a", "b", "c"), ("RPUSH", "k", "1", "2", "-3", "0", "01", ""),
            ("LLEN", "k"), ("LLEN", "nokey"), ("LRANGE", "k", "0", "-1"),
            ("LPUSHX", "nokey", "a"), ("RPUSHX", "nokey", "a"), ("EXISTS", "nokey"),
            ("LPUSHX", "k", "x", "y"), ("RPUSHX", "k", "z"),
            ("LPOP", "k"), ("RPOP", "k"), ("LPOP", "k", "2"), ("RPOP", "k", "3"), ("LPOP", "k", "0"),
            ("LPOP", "nokey"), ("RPOP", "nokey"), ("LPOP", "nokey", "0"), ("LPOP", "nokey", "3"),
            ("LPOP", "k", "-1"), ("LPOP", "k", "x"), ("LPOP", "nokey", "-1"), ("LPOP", "k", "1", "2"),
            ("RPOP", "k", "100"), ("EXISTS", "k"), ("LPOP", "k"),
            ("RPUSH", "n", str(LLONG_MAX), str(LLONG_MIN), str(LLONG_MAX) + "0", "127", "128", "-4096",
             "4095", "4096", "32768", "8388608", "2147483648", "-01", "+1", " 1", "1.0"),
            ("LRANGE", "n", "0", "-1"), ("RPOP", "n", "20"),
            ("LPUSH",), ("LPUSH", "k"), ("LLEN",), ("LPOP",),
        )

    def test_wrongtype(self):
        self.both_protocols(
            ("SET", "s", "x"),
            ("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"),
            ("LPOP", "s"), ("RPOP", "s", "1"), ("LPOP", "s", "0"), ("LLEN", "s"), ("LRANGE", "s", "0", "1"),
            ("LINDEX", "s", "0"), ("LSET", "s", "0", "x"), ("LINSERT", "s", "before", "a", "b"),
            ("LREM", "s", "0", "a"), ("LTRIM", "s", "0", "1"), ("LPOS", "s", "a"),
            ("LMOVE", "s", "d", "LEFT", "RIGHT"), ("RPOPLPUSH", "s", "d"), ("LMPOP", "1", "s", "LEFT"),
            ("BLPOP", "s", "0"), ("BRPOP", "nokey", "s", "0"), ("BLMOVE", "s", "d", "left", "left", "0"),
            ("BRPOPLPUSH", "s", "d", "0"), ("BLMPOP", "0", "2", "nokey", "s", "RIGHT"),
            ("RPUSH", "l", "a"), ("LMOVE", "l", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "l", "s"),
            ("BLMOVE", "l", "s", "RIGHT", "LEFT", "0"), ("LRANGE", "l", "0", "-1"), ("TYPE", "l"),
            ("OBJECT", "ENCODING", "l"),
        )

    def test_lrange_lindex(self):
        items = [str(i) for i in range(30)] + ["x" * 100, "y", ""]
        cmds = [("RPUSH", "k") + tuple(items)]
        for start, end in [(0, -1), (0, 0), (-1, -1), (5, 2), (-100, 100), (3, -3), (40, 50), (-50, -40),
                           (0, LLONG_MAX), (LLONG_MIN, LLONG_MAX), (-3, 1), (31, 31)]:
            cmds.append(("LRANGE", "k", str(start), str(end)))
        for i in [0, 1, -1, -32, -33, 31, 32, 33, LLONG_MAX, LLONG_MIN]:
            cmds.append(("LINDEX", "k", str(i)))
        cmds += [("LRANGE", "k", "x", "1"), ("LRANGE", "k", "1", "1.5"), ("LRANGE", "nokey", "0", "-1"),
                 ("LRANGE", "nokey", "x", "1"), ("LINDEX", "k", "x"), ("LINDEX", "nokey", "x"),
                 ("LINDEX", "nokey", "0"), ("LRANGE", "k", "0")]
        self.both_protocols(*cmds)

    def test_lset_linsert(self):
        self.both_protocols(
            ("RPUSH", "k", "a", "b", "c", "1"),
            ("LSET", "k", "0", "A"), ("LSET", "k", "-1", "12345678901"), ("LSET", "k", "1", "x" * 5000),
            ("LSET", "k", "3", "-1"), ("LSET", "k", "10", "x"), ("LSET", "k", "-5", "x"), ("LSET", "k", "x", "x"),
            ("LSET", "nokey", "0", "x"), ("LSET", "nokey", "x", "x"), ("LRANGE", "k", "0", "-1"),
            ("LINSERT", "k", "BEFORE", "A", "first"), ("LINSERT", "k", "after", "-1", "last"),
            ("LINSERT", "k", "after", "c", "mid"), ("LINSERT", "k", "before", "zz", "x"),
            ("LINSERT", "k", "middle", "A", "x"), ("LINSERT", "nokey", "before", "a", "x"),
            ("LINSERT", "nokey", "middle", "a", "x"), ("LRANGE", "k", "0", "-1"), ("LLEN", "k"),
        )

    def test_lrem_ltrim(self):
        base = ("RPUSH", "k", "a", "b", "a", "c", "a", "1", "a", "01", "1")
        self.both_protocols(
            base, ("LREM", "k", "2", "a"), ("LRANGE", "k", "0", "-1"),
            ("LREM", "k", "-1", "a"), ("LRANGE", "k", "0", "-1"), ("LREM", "k", "0", "1"),
            ("LRANGE", "k", "0", "-1"), ("LREM", "k", "0", "zz"), ("LREM", "k", "x", "a"),
            ("LREM", "nokey", "0", "a"), ("LREM", "nokey", "x", "a"),
            ("LREM", "k", "0", "a"), ("LREM", "k", "0", "b"), ("LREM", "k", "0", "c"), ("LREM", "k", "0", "01"),
            ("EXISTS", "k"),
            base, ("LTRIM", "k", "1", "-2"), ("LRANGE", "k", "0", "-1"), ("LTRIM", "k", "-3", "100"),
            ("LRANGE", "k", "0", "-1"), ("LTRIM", "k", "5", "1"), ("EXISTS", "k"),
            base, ("LTRIM", "k", "0", "-100"), ("EXISTS", "k"), ("LTRIM", "nokey", "0", "1"),
            ("LTRIM", "k", "x", "1"), ("LTRIM", "k", "0", "y"),
        )

    def test_lpos(self):
        self.both_protocols(
            ("RPUSH", "k", "a", "b", "c", "1", "2", "3", "c", "c", "a"),
            ("LPOS", "k", "a"), ("LPOS", "k", "c"), ("LPOS", "k", "1"), ("LPOS", "k", "zz"),
            ("LPOS", "k", "c", "RANK", "2"), ("LPOS", "k", "c", "RANK", "-1"), ("LPOS", "k", "c", "RANK", "-3"),
            ("LPOS", "k", "c", "RANK", "4"), ("LPOS", "k", "c", "COUNT", "0"), ("LPOS", "k", "c", "COUNT", "2"),
            ("LPOS", "k", "c", "COUNT", "2", "RANK", "-1"), ("LPOS", "k", "c", "COUNT", "0", "MAXLEN", "7"),
            ("LPOS", "k", "c", "MAXLEN", "2"), ("LPOS", "k", "c", "MAXLEN", "3"),
            ("LPOS", "k", "a", "RANK", "-1", "MAXLEN", "1"), ("LPOS", "k", "zz", "COUNT", "0"),
            ("LPOS", "k", "a", "RANK", "0"), ("LPOS", "k", "a", "RANK", "x"), ("LPOS", "k", "a", "COUNT", "-1"),
            ("LPOS", "k", "a", "COUNT", "x"), ("LPOS", "k", "a", "MAXLEN", "-1"), ("LPOS", "k", "a", "MAXLEN", "x"),
            ("LPOS", "k", "a", "RANK", str(LLONG_MIN)), ("LPOS", "k", "a", "RANK", str(LLONG_MAX)),
            ("LPOS", "k", "c", "RANK", str(LLONG_MIN), "COUNT", "1"),
            ("LPOS", "k", "c", "RANK", str(LLONG_MIN), "COUNT", "2", "MAXLEN", "3"),
            ("LPOS", "k", "c", "RANK", str(-LLONG_MAX), "COUNT", "1"),
            ("LPOS", "k", "a", "foo"), ("LPOS", "k", "a", "RANK"), ("LPOS", "k", "a", "RANK", "1", "COUNT"),
            ("LPOS", "nokey", "a"), ("LPOS", "nokey", "a", "COUNT", "0"), ("LPOS", "nokey", "a", "RANK", "0"),
            ("LPOS", "k"),
        )

    def test_lmove_rpoplpush(self):
        cmds = [("RPUSH", "k", "a", "b", "c")]
        for f in ("LEFT", "RIGHT"):
            for t in ("LEFT", "RIGHT"):
                cmds += [("LMOVE", "k", "d", f, t), ("LRANGE", "d", "0", "-1"), ("LMOVE", "k", "k", f, t),
                         ("LRANGE", "k", "0", "-1")]
        cmds += [("LMOVE", "k", "d", "up", "left"), ("LMOVE", "k", "d", "left", "down"),
                 ("LMOVE", "nokey", "d", "left", "left"), ("LMOVE", "nokey", "d", "x", "left"),
                 ("RPOPLPUSH", "d", "e"), ("RPOPLPUSH", "nokey", "e"), ("RPOPLPUSH", "e", "e"),
                 ("LRANGE", "e", "0", "-1"), ("RPOPLPUSH", "e", "e2"), ("EXISTS", "e"),
                 ("RPUSH", "one", "x"), ("LMOVE", "one", "one", "LEFT", "RIGHT"), ("LRANGE", "one", "0", "-1"),
                 ("LMOVE", "one", "two", "RIGHT", "LEFT"), ("EXISTS", "one"), ("LRANGE", "two", "0", "-1")]
        self.both_protocols(*cmds)

    def test_lmpop(self):
        self.both_protocols(
            ("RPUSH", "k1", "a", "b", "c"), ("RPUSH", "k2", "1", "2"),
            ("LMPOP", "2", "nokey", "k1", "LEFT"), ("LMPOP", "2", "nokey", "k1", "RIGHT", "COUNT", "10"),
            ("LMPOP", "3", "k1", "nokey", "k2", "left", "count", "1"), ("LMPOP", "1", "nokey", "LEFT"),
            ("LMPOP", "1", "nokey", "LEFT", "COUNT", "2"),
            ("LMPOP", "0", "k1", "LEFT"), ("LMPOP", "-1", "k1", "LEFT"), ("LMPOP", "x", "k1", "LEFT"),
            ("LMPOP", "1", "k1", "middle"), ("LMPOP", "2", "k1", "LEFT"), ("LMPOP", "1", "k1", "LEFT", "COUNT"),
            ("LMPOP", "1", "k1", "LEFT", "COUNT", "0"), ("LMPOP", "1", "k1", "LEFT", "COUNT", "-1"),
            ("LMPOP", "1", "k1", "LEFT", "COUNT", "x"), ("LMPOP", "1", "k1", "LEFT", "COUNT", "1", "COUNT", "2"),
            ("LMPOP", "1", "k1", "LEFT", "foo"), ("LMPOP", "1", "k1"), ("LMPOP", str(LLONG_MAX), "k", "LEFT"),
            ("LMPOP", "1", "k2", "RIGHT", "COUNT", "5"), ("EXISTS", "k2"),
        )

    def test_blocking_commands_immediate(self):
        """Errors and the non-blocking path of the blocking commands."""
        self.both_protocols(
            ("RPUSH", "k", "a", "b", "c", "d"),
            ("BLPOP", "nokey", "k", "0"), ("BRPOP", "k", "nokey", "0.5"), ("BLPOP", "k", "k", "1"),
            ("BLMOVE", "k", "d", "RIGHT", "LEFT", "0"), ("BRPOPLPUSH", "d", "e", "0"),
            ("BLMPOP", "0", "2", "nokey", "e", "LEFT", "COUNT", "5"), ("EXISTS", "k"), ("EXISTS", "e"),
            ("BLPOP", "k", "abc"), ("BLPOP", "k", "-1"), ("BLPOP", "k", "1e20"),
            ("BLPOP", "k", "inf"), ("BLPOP", "k", "nan"), ("BLPOP", "k", ""), ("BLPOP", "k", " 1"),
            ("BLMOVE", "k", "d", "UP", "LEFT", "0"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "x"),
            ("BRPOPLPUSH", "k", "d", "-1"), ("BLMPOP", "x", "1", "k", "LEFT"), ("BLMPOP", "0", "0", "k", "LEFT"),
            ("BLMPOP", "0", "1", "k", "UP"), ("BLMPOP", "-1", "1", "k", "LEFT"), ("BLPOP", "k"),
            ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"),
            # Timeouts that expire (short): null shapes.
            ("BLPOP", "nokey", "0.01"), ("BRPOP", "nokey", "0.01"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01"),
            ("BRPOPLPUSH", "nokey", "d", "0.01"), ("BLMPOP", "0.01", "1", "nokey", "LEFT"),
        )

    def test_multi_blocking_returns_at_once(self):
        self.both_protocols(
            ("MULTI",), ("BLPOP", "nokey", "0"), ("BRPOP", "nokey", "0"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"),
            ("BRPOPLPUSH", "nokey", "d", "0"), ("BLMPOP", "0", "1", "nokey", "LEFT"), ("RPUSH", "k", "a"),
            ("BLPOP", "k", "0"), ("EXEC",),
        )

    def test_type_encoding_copy_rename(self):
        self.both_protocols(
            ("RPUSH", "k", "a", "1"), ("TYPE", "k"), ("OBJECT", "ENCODING", "k"),
            ("COPY", "k", "k2"), ("RPUSH", "k2", "b"), ("LRANGE", "k", "0", "-1"), ("LRANGE", "k2", "0", "-1"),
            ("RENAME", "k2", "k3"), ("LRANGE", "k3", "0", "-1"), ("DEL", "k3"), ("SET", "str", "x"), ("SCAN", "0", "TYPE", "list"),
            ("EXPIRE", "k", "100"), ("RPUSH", "k", "c"), ("TTL", "k"), ("DEL", "k", "k3"),
        )

    def test_big_lists(self):
        """Many elements across chunks: inserts, removes, trims in the middle."""
        vals = ["v%d" % i if i % 3 else str(i) for i in range(3000)]
        self.diff(("RPUSH", "big") + tuple(vals))
        self.diff(("LINSERT", "big", "BEFORE", "1500", "x" * 3000), ("LINDEX", "big", "1001"),
                  ("LREM", "big", "-50", "v1"), ("LSET", "big", "2000", "y" * 9000), ("LLEN", "big"),
                  ("LPOS", "big", "y" * 9000), ("LTRIM", "big", "100", "-100"), ("LRANGE", "big", "0", "-1"),
                  ("LRANGE", "big", "-5", "-1"), ("LPOP", "big", "500"), ("RPOP", "big", "500"),
                  ("LMOVE", "big", "big", "LEFT", "RIGHT"), ("LRANGE", "big", "0", "-1"))

    def test_large_value(self):
        v = "z" * 200000
        self.diff(("RPUSH", "k", "a", v, "b"), ("LINDEX", "k", "1"), ("LRANGE", "k", "0", "-1"),
                  ("LSET", "k", "0", v), ("LREM", "k", "0", v), ("LRANGE", "k", "0", "-1"))


class HugeTimeoutsDiff(harness.DiffTestCase):
    """Redis 7.0 adds a blocking timeout to the clock unchecked: one past the
    clock's end blocks for good, with no error, so the waiter is served by
    the next push.  Checked against redis-server for every blocking command
    whose timeout is representable but absurd; timeouts that are not (seconds
    that overflow to negative ms) are the "negative" error in both."""

    def served(self, server, block, push):
        w, p = server.conn(), server.conn()
        try:
            w.send(*block)
            deadline = time.time() + 3
            while b"blocked_clients:1\r\n" not in p.cmd("INFO", "clients"):
                if time.time() > deadline:   # replied at once (an error), or never blocked
                    return w.read_raw()
                time.sleep(0.01)
            p.cmd(*push)
            return w.read_raw()
        finally:
            w.close()
            p.close()

    def test_huge_timeouts_block(self):
        cases = [
            (("BLPOP", "l", "9223372036854775"), ("RPUSH", "l", "a")),
            (("BRPOP", "l", "9223372036853"), ("RPUSH", "l", "a")),
            (("BLMOVE", "l", "d", "LEFT", "LEFT", "9223372036854775"), ("RPUSH", "l", "a")),
            (("BLMPOP", "9223372036854775", "1", "l", "LEFT"), ("RPUSH", "l", "a")),
            (("BZPOPMIN", "z", "9223372036854775"), ("ZADD", "z", "1", "m")),
            (("XREAD", "BLOCK", "9223372036854775807", "STREAMS", "s", "$"), ("XADD", "s", "1-1", "f", "v")),
            (("XREADGROUP", "GROUP", "g", "c", "BLOCK", "9223372036854775000", "STREAMS", "s", ">"),
             ("XADD", "s", "*", "f", "v")),
        ]
        for block, push in cases:
            replies = []
            for server, c in ((self.rill, self.a), (self.redis, self.b)):
                c.cmd("FLUSHALL")
                c.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
                r = self.served(server, block, push)
                replies.append(r if block[0] != "XREADGROUP" else r[:20])   # the ID is the clock's
            self.assertEqual(replies[0], replies[1], "reply differs for %r" % (block,))
            self.assertNotIn(b"-ERR", replies[0], block)
        self.diff(("BLPOP", "l", "9223372036854775807"), ("BLPOP", "l", "1e30"),
                  ("XREAD", "BLOCK", "-1", "STREAMS", "s", "$"), ("XREAD", "BLOCK", "9223372036854775808", "STREAMS", "s", "$"))


class ListsBlocking(harness.RillTestCase):
    def conn(self):
        return self.server.conn()

    def wait_blocked(self, n, timeout=3.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            info = self.c.cmd("INFO", "clients")
            for line in info.split(b"\r\n"):
                if line.startswith(b"blocked_clients:") and int(line.split(b":")[1]) == n:
                    return
            time.sleep(0.01)
        self.fail("never %d blocked clients: %r" % (n, info))

    def test_fifo_several_waiters(self):
        ws = [self.conn() for _ in range(4)]
        for i, w in enumerate(ws):
            w.send("BLPOP", "q", "0")
            self.wait_blocked(i + 1)
        self.assertIn(b"flags=b", self.c.cmd("CLIENT", "LIST"))
        self.assertEqual(self.c.cmd("RPUSH", "q", "a", "b", "c"), b":3\r\n")
        for w, v in zip(ws[:3], [b"a", b"b", b"c"]):
            self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\n" + v + b"\r\n")
        self.wait_blocked(1)
        self.assertEqual(self.c.cmd("EXISTS", "q"), b":0\r\n")
        self.c.cmd("LPUSH", "q", "d")
        self.assertEqual(ws[3].read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\nd\r\n")
        self.wait_blocked(0)
        for w in ws:
            w.close()

    def test_multiple_keys_and_brpop(self):
        w = self.conn()
        w.send("BRPOP", "a", "b", "0")
        self.wait_blocked(1)
        self.c.cmd("RPUSH", "b", "1", "2")
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nb\r\n$1\r\n2\r\n")
        self.assertEqual(self.c.cmd("LRANGE", "b", "0", "-1"), b"*1\r\n$1\r\n1\r\n")
        w.close()

    def test_timeout(self):
        w = self.conn()
        t0 = time.time()
        self.assertEqual(w.cmd("BLPOP", "q", "0.2"), b"*-1\r\n")
        el = time.time() - t0
        self.assertGreaterEqual(el, 0.18)
        self.assertLess(el, 2.0)
        self.assertEqual(w.cmd("BLMOVE", "q", "d", "LEFT", "LEFT", "0.1"), b"*-1\r\n")
        self.assertEqual(w.cmd("BLMPOP", "0.1", "1", "q", "LEFT"), b"*-1\r\n")
        w.cmd("HELLO", "3")
        self.assertEqual(w.cmd("BLPOP", "q", "0.1"), b"_\r\n")
        self.wait_blocked(0)
        w.close()

    def test_pipelined_commands_resume(self):
        w = self.conn()
        w.send_raw(w.encode("BLPOP", "q", "0") + w.encode("SET", "after", "1") + w.encode("GET", "after"))
        self.wait_blocked(1)
        self.assertEqual(self.c.cmd("EXISTS", "after"), b":0\r\n")
        self.c.cmd("RPUSH", "q", "x")
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
        self.assertEqual(w.read_raw(), b"+OK\r\n")
        self.assertEqual(w.read_raw(), b"$1\r\n1\r\n")
        # Also after a timeout.
        w.send_raw(w.encode("BLPOP", "q", "0.05") + w.encode("PING"))
        self.assertEqual(w.read_raw(), b"*-1\r\n")
        self.assertEqual(w.read_raw(), b"+PONG\r\n")
        w.close()

    def test_disconnect_while_blocked(self):
        w1, w2 = self.conn(), self.conn()
        w1.send("BLPOP", "q", "0")
        self.wait_blocked(1)
        w2.send("BLPOP", "q", "0")
        self.wait_blocked(2)
        w1.close()
        self.wait_blocked(1)
        self.c.cmd("RPUSH", "q", "x")
        self.assertEqual(w2.read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
        # A client that vanishes while blocked with a timeout: nothing fires later.
        w3 = self.conn()
        w3.send("BLPOP", "q", "0.2")
        self.wait_blocked(1)
        w3.close()
        self.wait_blocked(0)
        time.sleep(0.3)
        self.c.cmd("RPUSH", "q", "y")
        self.assertEqual(self.c.cmd("LRANGE", "q", "0", "-1"), b"*1\r\n$1\r\ny\r\n")
        w2.close()

    def test_killed_waiter_loses_nothing(self):
        w1, w2 = self.conn(), self.conn()
        w1.send("CLIENT", "SETNAME", "victim")
        self.assertEqual(w1.read_raw(), b"+OK\r\n")
        w1.send("BLPOP", "q", "0")
        self.wait_blocked(1)
        w2.send("BLPOP", "q", "0")
        self.wait_blocked(2)
        # Kill w1 and push in one transaction-free pipeline: the element goes to w2.
        id1 = None
        for line in self.c.cmd("CLIENT", "LIST").split(b"\n"):
            if b"name=victim" in line:
                id1 = line.split(b" ")[0].split(b"=")[1]
        self.c.send_raw(self.c.encode("CLIENT", "KILL", "ID", id1) + self.c.encode("RPUSH", "q", "x"))
        self.assertEqual(self.c.read_raw(), b":1\r\n")
        self.assertEqual(self.c.read_raw(), b":1\r\n")
        self.assertEqual(w2.read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
        self.assertEqual(self.c.cmd("EXISTS", "q"), b":0\r\n")
        w1.close()
        w2.close()

    def test_lmove_chain_wakes_waiters(self):
        w1, w2, w3 = self.conn(), self.conn(), self.conn()
        w1.send("BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
        self.wait_blocked(1)
        w2.send("BRPOPLPUSH", "b", "c", "0")
        self.wait_blocked(2)
        w3.send("BLPOP", "c", "0")
        self.wait_blocked(3)
        self.c.cmd("RPUSH", "a", "x")
        self.assertEqual(w1.read_raw(), b"$1\r\nx\r\n")
        self.assertEqual(w2.read_raw(), b"$1\r\nx\r\n")
        self.assertEqual(w3.read_raw(), b"*2\r\n$1\r\nc\r\n$1\r\nx\r\n")
        self.wait_blocked(0)
        self.assertEqual(self.c.cmd("DBSIZE"), b":0\r\n")
        for w in (w1, w2, w3):
            w.close()

    def test_multi_exec_wakes_after_exec(self):
        w = self.conn()
        w.send("BLPOP", "q", "0")
        self.wait_blocked(1)
        self.c.cmd("MULTI")
        self.c.cmd("RPUSH", "q", "a")
        self.c.cmd("RPUSH", "q", "b")
        self.c.cmd("LPOP", "q")
        reply = self.c.cmd("EXEC")
        # Inside EXEC the pushes did not wake the waiter: LPOP got "a".
        self.assertEqual(reply, b"*3\r\n:1\r\n:2\r\n$1\r\na\r\n")
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n")
        # A push then a delete inside one EXEC: nothing to serve.
        w.send("BLPOP", "q", "0")
        self.wait_blocked(1)
        self.c.cmd("MULTI")
        self.c.cmd("RPUSH", "q", "a")
        self.c.cmd("DEL", "q")
        self.c.cmd("EXEC")
        time.sleep(0.1)
        self.wait_blocked(1)
        self.c.cmd("RPUSH", "q", "z")
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\nz\r\n")
        w.close()

    def test_blocking_inside_multi(self):
        self.c.cmd("MULTI")
        self.c.cmd("BLPOP", "q", "0")
        self.c.cmd("BLMOVE", "q", "d", "LEFT", "LEFT", "0")
        t0 = time.time()
        self.assertEqual(self.c.cmd("EXEC"), b"*2\r\n*-1\r\n$-1\r\n")
        self.assertLess(time.time() - t0, 1.0)
        self.wait_blocked(0)

    def test_wrongtype_while_waiting(self):
        w = self.conn()
        w.send("BLPOP", "q", "0")
        self.wait_blocked(1)
        self.c.cmd("SET", "q", "string")
        self.c.cmd("HSET", "q2", "f", "v")
        time.sleep(0.1)
        self.wait_blocked(1)
        self.c.cmd("DEL", "q")
        self.c.cmd("RPUSH", "q", "ok")
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nq\r\n$2\r\nok\r\n")
        # BLMOVE whose destination became another type: served with the error, element kept.
        w.send("BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
        self.wait_blocked(1)
        self.c.cmd("SET", "dst", "x")
        self.c.cmd("RPUSH", "src", "e")
        self.assertTrue(w.read_raw().startswith(b"-WRONGTYPE"))
        self.assertEqual(self.c.cmd("LRANGE", "src", "0", "-1"), b"*1\r\n$1\r\ne\r\n")
        w.close()

    def test_blmpop_served_with_count(self):
        w = self.conn()
        w.send("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
        self.wait_blocked(1)
        self.c.cmd("RPUSH", "b", "1", "2", "3")
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n")
        w.close()

    def test_same_client_many_keys_one_serve(self):
        w = self.conn()
        w.send("BLPOP", "a", "b", "a", "0")
        self.wait_blocked(1)
        self.c.send_raw(self.c.encode("MULTI") + self.c.encode("RPUSH", "a", "1") + self.c.encode("RPUSH", "b", "2") +
                        self.c.encode("EXEC"))
        for _ in range(4):
            self.c.read_raw()
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\na\r\n$1\r\n1\r\n")
        self.assertEqual(self.c.cmd("LRANGE", "b", "0", "-1"), b"*1\r\n$1\r\n2\r\n")
        self.wait_blocked(0)
        w.close()

    def test_forever_then_select_other_db(self):
        w = self.conn()
        w.cmd("SELECT", "1")
        w.send("BLPOP", "q", "0")
        self.wait_blocked(1)
        self.c.cmd("RPUSH", "q", "db0")        # db 0: not this waiter's
        time.sleep(0.1)
        self.wait_blocked(1)
        self.c.cmd("SELECT", "1")
        self.c.cmd("RPUSH", "q", "db1")
        self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nq\r\n$3\r\ndb1\r\n")
        self.c.cmd("SELECT", "0")
        w.close()


if __name__ == "__main__":
    harness.main()
