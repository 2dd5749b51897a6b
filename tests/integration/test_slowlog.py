"""Operational commands: SLOWLOG, WAIT, ROLE, CLIENT UNBLOCK, CLIENT REPLY.

Raw replies are compared byte for byte with redis-server 7.0.15 wherever
they are deterministic (errors, HELP, LEN, ROLE, WAIT, CLIENT REPLY, the
UNBLOCK replies, CONFIG GET/SET of slowlog-*).  SLOWLOG GET entries carry
ids, times, durations and ports that differ between servers: they are
compared by shape, and by the arguments, client names and order logged.
"""
import time
import unittest

import harness

Conn = harness.Conn


def entries(conn, count=-1):
    return harness.parse(conn.cmd("SLOWLOG", "GET", count))


def logged_args(conn):
    """The argument lists in the slow log, oldest first."""
    return [e[3] for e in reversed(entries(conn))]


class SlowlogDiff(harness.DiffTestCase):
    def setUp(self):
        super().setUp()
        for c in (self.a, self.b):
            c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000")
            c.cmd("CONFIG", "SET", "slowlog-max-len", "128")
            c.cmd("SLOWLOG", "RESET")

    def both(self, *args):
        return self.a.cmd(*args), self.b.cmd(*args)

    def log_everything(self):
        for c in (self.a, self.b):
            c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
            c.cmd("SLOWLOG", "RESET")

    def test_help_len_reset_and_errors(self):
        self.diff(("SLOWLOG", "HELP"), ("slowlog", "help"), ("SLOWLOG", "LEN"), ("SLOWLOG", "RESET"),
                  ("SLOWLOG", "GET"), ("SLOWLOG", "GET", "0"), ("SLOWLOG", "GET", "-1"),
                  ("SLOWLOG",), ("SLOWLOG", "nosuch"), ("SLOWLOG", "LEN", "x"), ("SLOWLOG", "RESET", "x"),
                  ("SLOWLOG", "HELP", "x"), ("SLOWLOG", "GET", "1", "2"), ("slowlog", "Get", "1", "2"),
                  ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "abc"), ("SLOWLOG", "GET", "1.5"),
                  ("SLOWLOG", "GET", "9223372036854775807"), ("SLOWLOG", "GET", "9223372036854775808"))

    def test_config(self):
        # (CONFIG GET with a pattern lists in Redis's dict order: not compared)
        self.assertEqual(len(harness.parse(self.a.cmd("CONFIG", "GET", "slowlog*"))), 4)
        self.diff(("CONFIG", "SET", "slowlog-log-slower-than", "-2"),
                  ("CONFIG", "SET", "slowlog-log-slower-than", "x"),
                  ("CONFIG", "SET", "slowlog-max-len", "-1"),
                  ("CONFIG", "SET", "slowlog-max-len", "9223372036854775808"),
                  ("CONFIG", "SET", "slowlog-max-len", "1k"),
                  ("CONFIG", "SET", "slowlog-log-slower-than", "-1"),
                  ("CONFIG", "SET", "slowlog-max-len", "0"),
                  ("CONFIG", "GET", "slowlog-log-slower-than"), ("CONFIG", "GET", "slowlog-max-len"),
                  ("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128"),
                  ("CONFIG", "GET", "slowlog-max-len"), ("CONFIG", "GET", "slowlog-log-slower-than"))

    def test_defaults_log_nothing_fast(self):
        for _ in range(20):
            self.both("SET", "k", "v")
        self.diff(("SLOWLOG", "LEN"), ("SLOWLOG", "GET"))

    def test_disabled(self):
        for c in (self.a, self.b):
            c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "-1")
            c.cmd("SLOWLOG", "RESET")
        for _ in range(5):
            self.both("SET", "k", "v")
        self.diff(("SLOWLOG", "LEN"), ("SLOWLOG", "GET"))

    def test_entry_shape(self):
        self.log_everything()
        self.a.cmd("CLIENT", "SETNAME", "logger")
        t0 = int(time.time())
        self.a.cmd("SET", "k", "v")
        e = entries(self.a, 1)
        self.assertEqual(len(e), 1)
        eid, when, dur, args, peer, name = e[0]
        self.assertIsInstance(eid, int)
        self.assertLessEqual(abs(when - t0), 2)
        self.assertGreaterEqual(dur, 0)
        self.assertEqual(args, [b"SET", b"k", b"v"])
        self.assertRegex(peer, rb"^127\.0\.0\.1:\d+$")
        self.assertEqual(name, b"logger")
        # Ids grow by one per entry, newest first; RESET does not restart them.
        self.a.cmd("PING")
        e2 = entries(self.a, 3)
        self.assertEqual([x[0] for x in e2], [eid + 2, eid + 1, eid])
        self.a.cmd("SLOWLOG", "RESET")
        self.assertEqual(entries(self.a)[0][0], eid + 4)   # SLOWLOG GET, then RESET, were logged

    def test_same_commands_logged(self):
        # Rejected commands are not logged, EXEC is not (CMD_SKIP_SLOWLOG)
        # but what it ran is, SLOWLOG GET is.
        self.log_everything()
        for c in (self.a, self.b):
            c.cmd("CLIENT", "SETNAME", "n1")
            c.cmd("MULTI")
            c.cmd("SET", "k", "v")
            c.cmd("INCR", "n")
            c.cmd("EXEC")
            c.cmd("NOSUCH", "x")
            c.cmd("GET")
            c.cmd("CLIENT", "SETNAME", "n2")
            c.cmd("SLOWLOG", "GET", "0")
            c.cmd("ECHO", "x")
        ea, eb = entries(self.a), entries(self.b)
        self.assertEqual([(e[3], e[5]) for e in ea], [(e[3], e[5]) for e in eb])
        self.assertEqual([len(e) for e in ea], [6] * len(ea))
        self.assertEqual([e[3] for e in ea][:3], [[b"ECHO", b"x"], [b"SLOWLOG", b"GET", b"0"],
                                                  [b"CLIENT", b"SETNAME", b"n2"]])

    def test_long_arguments_cut(self):
        self.log_everything()
        many = ["a%d" % i for i in range(40)]
        long_arg = "x" * 300
        exact = "y" * 128
        for c in (self.a, self.b):
            c.cmd("RPUSH", "l", *many)
            c.cmd("SET", long_arg, exact)
            c.cmd("DEL", *["k%d" % i for i in range(31)])   # 32 arguments: kept whole
            c.cmd("DEL", *["k%d" % i for i in range(32)])   # 33: the 32nd says 2 more
        la, lb = logged_args(self.a), logged_args(self.b)
        self.assertEqual(la, lb)
        self.assertEqual(len(la[1]), 32)
        self.assertEqual(la[1][-1], b"... (11 more arguments)")
        self.assertEqual(la[2][1], b"x" * 128 + b"... (172 more bytes)")
        self.assertEqual(la[2][2], b"y" * 128)
        self.assertEqual(len(la[3]), 32)
        self.assertEqual(la[3][-1], b"k30")
        self.assertEqual(la[4][-1], b"... (2 more arguments)")

    def test_original_arguments_logged(self):
        # Commands that give a big argument away (SET, MSET, even the same
        # key twice, which frees the first value) or rewrite their
        # arguments into their effect (SETEX, SET EX/GET, XREAD BLOCK $)
        # are logged with the arguments the client sent.
        self.log_everything()
        big = "v" * 5000
        for srv, c in ((self.rill, self.a), (self.redis, self.b)):
            c.cmd("SET", "k", big)
            c.cmd("MSET", "m1", big, "m1", big[:4500] + "w", "m2", "x")
            c.cmd("SETEX", "e", "100", big)
            c.cmd("SET", "s", big, "EX", "100", "GET")
            c.cmd("GETEX", "k", "PERSIST")
            c.cmd("MULTI")
            c.cmd("SET", "q", big, "KEEPTTL")
            c.cmd("EXEC")
            w = srv.conn()
            w.send("XREAD", "BLOCK", "0", "STREAMS", "st", "$")
            time.sleep(0.05)
            c.cmd("XADD", "st", "1-1", "f", big)
            w.read_raw()
            w.close()
        la = logged_args(self.a)
        self.assertEqual(la, logged_args(self.b))
        self.assertIn([b"SETEX", b"e", b"100", b"v" * 128 + b"... (4872 more bytes)"], la)
        self.assertIn([b"XREAD", b"BLOCK", b"0", b"STREAMS", b"st", b"$"], la)

    def test_max_len_bounds_the_log(self):
        self.log_everything()
        for c in (self.a, self.b):
            c.cmd("CONFIG", "SET", "slowlog-max-len", "3")
            for i in range(10):
                c.cmd("SET", "k", str(i))
        self.diff(("SLOWLOG", "LEN"))
        self.assertEqual(logged_args(self.a), logged_args(self.b))
        # Lowering the limit trims at the next entry, not at once (as Redis).
        for c in (self.a, self.b):
            c.cmd("CONFIG", "SET", "slowlog-max-len", "5")
            for i in range(10):
                c.cmd("SET", "k", str(i))
            c.cmd("CONFIG", "SET", "slowlog-max-len", "1")
        self.diff(("SLOWLOG", "LEN"), ("SLOWLOG", "LEN"))
        for c in (self.a, self.b):
            c.cmd("CONFIG", "SET", "slowlog-max-len", "0")
        self.diff(("PING",), ("SLOWLOG", "LEN"))

    def test_get_count(self):
        self.log_everything()
        for c in (self.a, self.b):
            for i in range(15):
                c.cmd("SET", "k", str(i))
        for count in (None, 0, 1, 5, -1, 100):
            args = ("SLOWLOG", "GET") + (() if count is None else (count,))
            na, nb = len(harness.parse(self.a.cmd(*args))), len(harness.parse(self.b.cmd(*args)))
            self.assertEqual(na, nb, count)

    def test_blocked_command_logged_when_served(self):
        self.log_everything()
        for srv, c in ((self.rill, self.a), (self.redis, self.b)):
            w = srv.conn()
            w.cmd("CLIENT", "SETNAME", "waiter")
            w.send("BLPOP", "q", "0")
            time.sleep(0.1)
            c.cmd("PING")                  # BLPOP is not logged while it waits
            c.cmd("RPUSH", "q", "x")
            self.assertEqual(w.read_raw(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n")
            w.cmd("BLPOP", "q", "0.05")     # timed out: not logged (7.0)
            w.close()
        ea, eb = entries(self.a), entries(self.b)
        self.assertEqual([(e[3], e[5]) for e in ea], [(e[3], e[5]) for e in eb])
        self.assertIn([b"BLPOP", b"q", b"0"], [e[3] for e in ea])


class WaitRoleDiff(harness.DiffTestCase):
    def test_role(self):
        self.diff(("ROLE",), ("role",), ("ROLE", "x"))
        self.a.cmd("HELLO", "3")
        self.b.cmd("HELLO", "3")
        self.diff(("ROLE",))

    def test_wait_at_once_and_errors(self):
        self.diff(("WAIT", "0", "0"), ("WAIT", "-1", "0"), ("WAIT", "0", "100"), ("WAIT",), ("WAIT", "1"),
                  ("WAIT", "abc", "0"), ("WAIT", "0", "abc"), ("WAIT", "0", "-1"), ("WAIT", "1", "1.5"),
                  ("WAIT", "1", "-1"), ("WAIT", "9223372036854775808", "0"), ("WAIT", "1", "x1"),
                  ("MULTI",), ("WAIT", "5", "0"), ("EXEC",))

    def test_wait_blocks_until_timeout(self):
        for c in (self.a, self.b):
            t = time.time()
            self.assertEqual(c.cmd("WAIT", "1", "150"), b":0\r\n")
            self.assertGreaterEqual(time.time() - t, 0.14)

    def test_wait_forever_until_unblocked(self):
        for srv, c in ((self.rill, self.a), (self.redis, self.b)):
            w = srv.conn()
            wid = harness.parse(w.cmd("CLIENT", "ID"))
            w.send("WAIT", "2", "0")
            time.sleep(0.2)
            w.sock.settimeout(0.1)
            with self.assertRaises((TimeoutError, OSError)):
                w.read_raw()
            w.sock.settimeout(10)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid), b":1\r\n")
            self.assertEqual(w.read_raw(), b":0\r\n")
            w.send("WAIT", "1", "0")
            time.sleep(0.05)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid, "ERROR"), b":1\r\n")
            self.assertEqual(w.read_raw(), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
            self.assertEqual(w.cmd("PING"), b"+PONG\r\n")
            w.close()


class ClientUnblockDiff(harness.DiffTestCase):
    def test_errors(self):
        self.diff(("CLIENT", "UNBLOCK"), ("CLIENT", "UNBLOCK", "abc"), ("CLIENT", "UNBLOCK", "99999"),
                  ("CLIENT", "UNBLOCK", "99999", "timeout"), ("CLIENT", "UNBLOCK", "99999", "ERROR"),
                  ("CLIENT", "UNBLOCK", "99999", "foo"), ("CLIENT", "UNBLOCK", "abc", "foo"),
                  ("CLIENT", "UNBLOCK", "99999", "timeout", "x"), ("client", "unblock", "1", "2", "3"))

    def test_not_blocked_is_zero(self):
        for c in (self.a, self.b):
            me = harness.parse(c.cmd("CLIENT", "ID"))
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", me), b":0\r\n")

    def unblock_script(self, srv, c, blocking_cmd, reason):
        w = srv.conn()
        wid = harness.parse(w.cmd("CLIENT", "ID"))
        w.send(*blocking_cmd)
        time.sleep(0.05)
        args = ("CLIENT", "UNBLOCK", wid) + ((reason,) if reason else ())
        out = [c.cmd(*args), w.read_raw(), w.cmd("PING"), c.cmd("CLIENT", "UNBLOCK", wid)]
        c.cmd("LPUSH", "q", "late")           # must not reach the unblocked client
        out.append(w.cmd("LLEN", "q"))
        w.close()
        return out

    def test_unblock_kinds(self):
        cases = [(("BLPOP", "q", "0"), None), (("BLPOP", "q", "0"), "TIMEOUT"), (("BLPOP", "q", "0"), "error"),
                 (("BRPOPLPUSH", "q", "d", "10"), "TIMEOUT"), (("BZPOPMIN", "z", "0"), None),
                 (("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), None),
                 (("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), "ERROR"),
                 (("BLMPOP", "0", "1", "q", "LEFT"), "TIMEOUT")]
        for cmd, reason in cases:
            self.a.cmd("DEL", "q")
            self.b.cmd("DEL", "q")
            ra = self.unblock_script(self.rill, self.a, cmd, reason)
            rb = self.unblock_script(self.redis, self.b, cmd, reason)
            self.assertEqual(ra, rb, (cmd, reason))

    def test_errorstats_and_slowlog_entry(self):
        # As Redis 7.0.15: the unblocked client's late stats update leaves a
        # slow-log entry with no arguments; the error counts as UNBLOCKED.
        for srv, c in ((self.rill, self.a), (self.redis, self.b)):
            c.cmd("CONFIG", "RESETSTAT")
            c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
            c.cmd("SLOWLOG", "RESET")
            w = srv.conn()
            w.cmd("CLIENT", "SETNAME", "blocked")
            wid = harness.parse(w.cmd("CLIENT", "ID"))
            w.send("BLPOP", "q", "0")
            time.sleep(0.05)
            c.cmd("CLIENT", "UNBLOCK", wid, "ERROR")
            w.read_raw()
            w.close()
            c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        ea, eb = entries(self.a), entries(self.b)
        self.assertEqual([(e[3][:2], e[5]) for e in ea], [(e[3][:2], e[5]) for e in eb])
        self.assertIn([[], b"blocked"], [[e[3], e[5]] for e in ea])
        self.diff(("INFO", "errorstats"))


class ClientReplyDiff(harness.DiffTestCase):
    def script(self, conn, *cmds):
        """Send cmds pipelined, then CLIENT REPLY ON and ECHO end; return all
        the bytes that came back."""
        data = b"".join(Conn.encode(*c) for c in cmds)
        conn.send_raw(data + Conn.encode("CLIENT", "REPLY", "ON") + Conn.encode("ECHO", "end"))
        out = b""
        while not out.endswith(b"$3\r\nend\r\n"):
            out += conn.sock.recv(65536)
        return out

    def check(self, *cmds):
        ra, rb = self.script(self.a, *cmds), self.script(self.b, *cmds)
        self.assertEqual(ra, rb, cmds)
        return ra

    def test_errors(self):
        self.diff(("CLIENT", "REPLY"), ("CLIENT", "REPLY", "foo"), ("CLIENT", "REPLY", "on", "x"),
                  ("CLIENT", "REPLY", "ON"), ("client", "reply", "On"))

    def test_off_skip_on(self):
        out = self.check(("CLIENT", "REPLY", "OFF"), ("PING",), ("SET", "k", "v"), ("NOSUCH",),
                         ("CLIENT", "REPLY", "SKIP"), ("GET", "k"))
        self.assertEqual(out, b"+OK\r\n$3\r\nend\r\n")
        self.check(("CLIENT", "REPLY", "SKIP"), ("PING",), ("ECHO", "x"))
        self.check(("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "SKIP"), ("PING",), ("PING",))
        self.check(("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "ON"), ("PING",))
        self.check(("CLIENT", "REPLY", "SKIP"), ("GET",), ("CLIENT", "REPLY", "foo"),
                   ("CLIENT", "REPLY", "SKIP"), ("HELLO", "3"), ("HGETALL", "h"),
                   ("CLIENT", "REPLY", "SKIP"), ("HELLO", "2"), ("HGETALL", "h"), ("PING",))
        self.check(("MULTI",), ("CLIENT", "REPLY", "OFF"), ("PING",), ("EXEC",), ("PING",))
        self.check(("CLIENT", "REPLY", "OFF"), ("HELLO", "3"), ("CLIENT", "REPLY", "ON"), ("HGETALL", "h"),
                   ("CLIENT", "REPLY", "SKIP"), ("HELLO", "2"), ("HGETALL", "h"))
        self.check(("CLIENT", "REPLY", "OFF"), ("RESET",), ("PING",))
        self.check(("CLIENT", "REPLY", "SKIP"), ("RESET",), ("PING",))
        self.check(("CLIENT", "REPLY", "OFF"), ("COMMAND", "DOCS", "get"), ("LRANGE", "nosuch", "0", "-1"))

    def test_skip_before_blocking_command(self):
        # The skipped command blocked: its late reply is dropped too (Redis
        # 7.0 ends SKIP once the unblocked command is done), and the next
        # command's is sent.
        for srv, c in ((self.rill, self.a), (self.redis, self.b)):
            w = srv.conn()
            w.send_raw(Conn.encode("CLIENT", "REPLY", "SKIP") + Conn.encode("BLPOP", "q", "0"))
            time.sleep(0.05)
            c.cmd("RPUSH", "q", "x")
            self.assertEqual(w.cmd("PING"), b"+PONG\r\n")
            wid = harness.parse(w.cmd("CLIENT", "ID"))
            w.send_raw(Conn.encode("CLIENT", "REPLY", "SKIP") + Conn.encode("BLPOP", "q", "0"))
            time.sleep(0.05)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid, "ERROR"), b":1\r\n")
            self.assertEqual(w.cmd("PING"), b"+PONG\r\n")
            w.send_raw(Conn.encode("CLIENT", "REPLY", "SKIP") + Conn.encode("BLPOP", "q", "0.05"))
            time.sleep(0.15)
            self.assertEqual(w.cmd("PING"), b"+PONG\r\n")
            w.send_raw(Conn.encode("CLIENT", "REPLY", "OFF") + Conn.encode("BLPOP", "q", "0"))
            time.sleep(0.05)
            c.cmd("RPUSH", "q", "y")
            self.assertEqual(w.cmd("CLIENT", "REPLY", "ON"), b"+OK\r\n")   # the BLPOP reply was dropped
            self.assertEqual(c.cmd("LLEN", "q"), b":0\r\n")
            w.close()


if __name__ == "__main__":
    harness.main()
