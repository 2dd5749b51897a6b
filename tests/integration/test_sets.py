"""Set commands (cmd_set.c, types/set.c) against redis-server 7.0.15.

SetsDiff compares raw replies byte for byte in RESP2 and RESP3 (each test
runs twice, the second time after HELLO 3).  Intsets iterate in ascending
order in both servers, so their replies compare raw; a hashtable's order
depends on the hash function, so those replies are parsed and compared as
sorted lists (diff_sorted) and the RESP type byte is compared separately.
Random commands (SPOP, SRANDMEMBER) are compared by shape and checked for
consistency.  SetsEffects checks what SPOP leaves for the append log via
the keyspace that results (DEBUG-free: by replaying on a second db is not
possible here, so we check key state and OBJECT ENCODING instead).
"""
import unittest

import harness

WT = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


class SetsDiff(harness.DiffTestCase):
    resp = 2

    def setUp(self):
        super().setUp()
        if self.resp == 3:
            self.a.cmd("HELLO", "3")
            self.b.cmd("HELLO", "3")

    def diff_sorted(self, *cmd):
        """Same RESP type byte and the same members in any order."""
        ra, rb = self.a.cmd(*cmd), self.b.cmd(*cmd)
        self.assertEqual(ra[:1], rb[:1], "reply type differs for %r: %r vs %r" % (cmd, ra[:40], rb[:40]))
        pa, pb = harness.parse(ra), harness.parse(rb)
        if isinstance(pa, list):
            self.assertEqual(sorted(pa), sorted(pb), "members differ for %r" % (cmd,))
        else:
            self.assertEqual(pa, pb, "reply differs for %r" % (cmd,))
        return pa

    def both(self, *cmd):
        ra, rb = self.a.cmd(*cmd), self.b.cmd(*cmd)
        return ra, rb

    def fill(self, key, members):
        for i in range(0, len(members), 100):
            self.diff(("SADD", key) + tuple(members[i:i + 100]))

    # ---- SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS -------------

    def test_sadd_srem_basic(self):
        self.diff(("SADD", "s", "3", "1", "2", "1"), ("SADD", "s", "2"), ("SCARD", "s"),
                  ("SMEMBERS", "s"), ("OBJECT", "ENCODING", "s"), ("TYPE", "s"),
                  ("SISMEMBER", "s", "1"), ("SISMEMBER", "s", "01"), ("SISMEMBER", "s", "x"),
                  ("SMISMEMBER", "s", "1", "x", "3", "3"), ("SMISMEMBER", "nokey", "1"),
                  ("SREM", "s", "1", "9", "1"), ("SMEMBERS", "s"), ("SREM", "nokey", "a"),
                  ("SREM", "s", "2", "3", "4"), ("EXISTS", "s"), ("SCARD", "s"), ("SMEMBERS", "s"),
                  ("SISMEMBER", "nokey", "a"), ("SCARD", "nokey"))

    def test_errors_and_arity(self):
        self.diff(("SET", "str", "x"),
                  ("SADD", "str", "a"), ("SREM", "str", "a"), ("SCARD", "str"), ("SISMEMBER", "str", "a"),
                  ("SMISMEMBER", "str", "a"), ("SMEMBERS", "str"), ("SPOP", "str"), ("SPOP", "str", "1"),
                  ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "1"), ("SSCAN", "str", "0"),
                  ("SINTER", "str"), ("SUNION", "str"), ("SDIFF", "str"), ("SINTERCARD", "1", "str"),
                  ("SINTERSTORE", "d", "str"), ("SUNIONSTORE", "d", "str"), ("SDIFFSTORE", "d", "str"),
                  ("SADD", "s"), ("SADD",), ("SREM", "s"), ("SCARD",), ("SCARD", "a", "b"),
                  ("SISMEMBER", "s"), ("SMISMEMBER", "s"), ("SMEMBERS",), ("SMEMBERS", "a", "b"),
                  ("SPOP",), ("SRANDMEMBER",), ("SMOVE", "a", "b"), ("SINTER",), ("SINTERCARD", "1"),
                  ("SINTERSTORE", "d"), ("SUNION",), ("SUNIONSTORE", "d"), ("SDIFF",), ("SDIFFSTORE", "d"),
                  ("SSCAN", "s"), ("sadd", "S", "x"), ("SMEMBERS", "S"))
        self.assertEqual(self.a.cmd("SADD", "str", "a"), WT)   # the test can fail: pin one raw reply

    def test_encodings_and_conversion(self):
        self.fill("i", [str(i) for i in range(512)])
        self.diff(("OBJECT", "ENCODING", "i"), ("SCARD", "i"), ("SADD", "i", "5"), ("OBJECT", "ENCODING", "i"),
                  ("SADD", "i", "512"), ("OBJECT", "ENCODING", "i"), ("SCARD", "i"))
        self.diff(("SADD", "w", "1", "-40000", "70000", "-5000000000", "9223372036854775807",
                   "-9223372036854775808"), ("OBJECT", "ENCODING", "w"), ("SMEMBERS", "w"),
                  ("SISMEMBER", "w", "70000"), ("SREM", "w", "70000", "-9223372036854775808"), ("SMEMBERS", "w"))
        for v in ("01", "-0", "+1", " 1", "9223372036854775808", "1.5", "abc", ""):
            self.diff(("DEL", "n"), ("SADD", "n", v), ("OBJECT", "ENCODING", "n"),
                      ("DEL", "m"), ("SADD", "m", "1", v), ("OBJECT", "ENCODING", "m"), ("SREM", "m", v),
                      ("OBJECT", "ENCODING", "m"), ("SMEMBERS", "m"))
        self.diff(("CONFIG", "SET", "set-max-intset-entries", "4"), ("SADD", "c", "1", "2", "3", "4"),
                  ("OBJECT", "ENCODING", "c"), ("SADD", "c", "5"), ("OBJECT", "ENCODING", "c"),
                  ("CONFIG", "GET", "set-max-intset-entries"),
                  ("CONFIG", "SET", "set-max-intset-entries", "512"))

    def test_hashtable_members(self):
        members = ["m%d" % i for i in range(300)] + ["", "a b", "\x00bin\xff", "x" * 200]
        self.fill("h", members)
        self.diff(("OBJECT", "ENCODING", "h"), ("SCARD", "h"), ("SISMEMBER", "h", "m7"),
                  ("SISMEMBER", "h", ""), ("SISMEMBER", "h", "x" * 200), ("SMISMEMBER", "h", "m1", "zz", ""))
        self.diff_sorted("SMEMBERS", "h")
        self.diff(("SREM", "h", *members[:150]), ("SCARD", "h"))
        self.diff_sorted("SMEMBERS", "h")

    # ---- SMOVE ---------------------------------------------------------

    def test_smove(self):
        self.diff(("SADD", "a", "1", "2"), ("SADD", "b", "x"), ("SET", "str", "v"),
                  ("SMOVE", "a", "b", "1"), ("SMEMBERS", "a"), ("SISMEMBER", "b", "1"), ("SCARD", "b"),
                  ("SMOVE", "a", "b", "9"), ("SMOVE", "nokey", "b", "1"), ("SMOVE", "nokey", "str", "1"),
                  ("SMOVE", "str", "b", "1"), ("SMOVE", "a", "str", "2"), ("SMOVE", "a", "a", "2"),
                  ("SMOVE", "a", "a", "9"), ("SMOVE", "a", "new", "2"), ("EXISTS", "a"),
                  ("SMEMBERS", "new"), ("OBJECT", "ENCODING", "new"),
                  ("SADD", "c", "abc", "5"), ("SMOVE", "c", "new2", "abc"), ("OBJECT", "ENCODING", "new2"),
                  ("SMOVE", "c", "new", "5"), ("SMEMBERS", "new"), ("SMOVE", "new", "b", "2"),
                  ("OBJECT", "ENCODING", "b"))

    # ---- SINTER, SINTERCARD, SINTERSTORE --------------------------------

    def test_sinter_family(self):
        self.diff(("SADD", "a", "1", "2", "3", "4", "5"), ("SADD", "b", "2", "3", "5", "7"),
                  ("SADD", "c", "5", "3", "9", "2"), ("SET", "str", "x"),
                  ("SINTER", "a"), ("SINTER", "a", "b"), ("SINTER", "a", "b", "c"), ("SINTER", "a", "a"),
                  ("SINTER", "a", "nokey"), ("SINTER", "nokey", "a"), ("SINTER", "nokey", "str"),
                  ("SINTER", "str", "nokey"), ("SINTER", "a", "str"),
                  ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "3", "a", "b", "c"),
                  ("SINTERCARD", "2", "a", "b", "LIMIT", "0"), ("SINTERCARD", "2", "a", "b", "limit", "2"),
                  ("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "3"),
                  ("SINTERCARD", "1", "nokey"), ("SINTERCARD", "2", "a", "nokey"),
                  ("SINTERCARD", "x", "a"), ("SINTERCARD", "0", "a"), ("SINTERCARD", "-1", "a"),
                  ("SINTERCARD", "3", "a", "b"), ("SINTERCARD", "1", "a", "LIMIT", "-1"),
                  ("SINTERCARD", "1", "a", "LIMIT", "x"), ("SINTERCARD", "1", "a", "LIMIT"),
                  ("SINTERCARD", "1", "a", "FOO", "1"), ("SINTERCARD", "2", "nokey", "str"),
                  ("SINTERSTORE", "d", "a", "b"), ("SMEMBERS", "d"), ("OBJECT", "ENCODING", "d"),
                  ("SINTERSTORE", "d", "a", "nokey"), ("EXISTS", "d"),
                  ("SINTERSTORE", "d", "a", "b"), ("EXPIRE", "d", "100"), ("SINTERSTORE", "d", "b", "c"),
                  ("TTL", "d"), ("SMEMBERS", "d"),
                  ("SINTERSTORE", "str", "a", "c"), ("TYPE", "str"), ("SMEMBERS", "str"),
                  ("SINTERSTORE", "a", "a", "b"), ("SMEMBERS", "a"),
                  ("SADD", "x", "1"), ("SADD", "y", "2"), ("SINTERSTORE", "d", "x", "y"), ("EXISTS", "d"),
                  ("SINTERSTORE", "d", "x", "str"))

    def test_sinter_hashtables(self):
        self.fill("h1", ["e%d" % i for i in range(0, 200)] + ["1", "2"])
        self.fill("h2", ["e%d" % i for i in range(100, 300)] + ["2"])
        self.diff(("SADD", "i", "1", "2", "3"))
        self.diff_sorted("SINTER", "h1", "h2")
        self.diff_sorted("SINTER", "h2", "h1", "h1")
        self.diff(("SINTER", "h1", "i"), ("SINTER", "i", "h1", "h2"), ("SINTERCARD", "2", "h1", "h2"),
                  ("SINTERCARD", "2", "h1", "h2", "LIMIT", "10"), ("SINTERSTORE", "d", "h1", "h2"),
                  ("OBJECT", "ENCODING", "d"), ("SINTERSTORE", "d2", "h1", "i"), ("OBJECT", "ENCODING", "d2"),
                  ("SMEMBERS", "d2"))

    # ---- SUNION, SDIFF and their STORE forms -----------------------------

    def test_sunion_sdiff(self):
        self.diff(("SADD", "a", "1", "2", "3", "4"), ("SADD", "b", "3", "4", "5"), ("SADD", "c", "-1", "4"),
                  ("SET", "str", "x"),
                  ("SUNION", "a"), ("SUNION", "a", "b", "c"), ("SUNION", "nokey"), ("SUNION", "a", "nokey"),
                  ("SUNION", "nokey", "str"), ("SUNION", "a", "str"),
                  ("SDIFF", "a"), ("SDIFF", "a", "b"), ("SDIFF", "a", "b", "c"), ("SDIFF", "a", "a"),
                  ("SDIFF", "nokey", "a"), ("SDIFF", "a", "nokey"), ("SDIFF", "nokey", "str"),
                  ("SDIFF", "str", "nokey"), ("SDIFF", "b", "a"),
                  ("SUNIONSTORE", "u", "a", "b"), ("SMEMBERS", "u"), ("OBJECT", "ENCODING", "u"),
                  ("SDIFFSTORE", "d", "a", "b"), ("SMEMBERS", "d"),
                  ("SDIFFSTORE", "d", "a", "a"), ("EXISTS", "d"), ("SUNIONSTORE", "u", "nokey"), ("EXISTS", "u"),
                  ("SUNIONSTORE", "str", "a"), ("TYPE", "str"), ("SDIFFSTORE", "a", "a", "c"), ("SMEMBERS", "a"),
                  ("SUNIONSTORE", "u", "a", "str"), ("SDIFFSTORE", "u", "a", "str"),
                  ("SADD", "u", "1"), ("EXPIRE", "u", "100"), ("SUNIONSTORE", "u", "b"), ("TTL", "u"))

    def test_sunion_sdiff_hashtables(self):
        self.fill("h1", ["e%d" % i for i in range(0, 150)] + [str(i) for i in range(10)])
        self.fill("h2", ["e%d" % i for i in range(100, 200)] + [str(i) for i in range(5)])
        self.diff(("SADD", "big", *[str(i) for i in range(600)]))
        self.diff_sorted("SUNION", "h1", "h2")
        self.diff_sorted("SDIFF", "h1", "h2")
        self.diff_sorted("SDIFF", "h2", "h1")
        self.diff_sorted("SDIFF", "big", "h1")
        self.diff_sorted("SDIFF", "h1", "h2", "big")
        self.diff(("SDIFFSTORE", "d", "h1", "h2"), ("OBJECT", "ENCODING", "d"),
                  ("SDIFFSTORE", "d", "h1", "h2", "big"), ("OBJECT", "ENCODING", "d"))
        self.diff_sorted("SMEMBERS", "d")
        self.diff(("SDIFFSTORE", "d", "h2", "h1"), ("OBJECT", "ENCODING", "d"))
        self.diff_sorted("SMEMBERS", "d")
        self.diff(("SADD", "ints", "1", "3", "5", "7"), ("SDIFFSTORE", "d", "ints", "h2"),
                  ("OBJECT", "ENCODING", "d"), ("SMEMBERS", "d"),
                  ("SUNIONSTORE", "u", "big"), ("OBJECT", "ENCODING", "u"), ("SCARD", "u"),
                  ("SDIFFSTORE", "d", "big", "h1"), ("OBJECT", "ENCODING", "d"), ("SCARD", "d"))

    # ---- SPOP, SRANDMEMBER --------------------------------------------------

    def test_spop_deterministic(self):
        self.diff(("SPOP", "nokey"), ("SPOP", "nokey", "2"), ("SPOP", "nokey", "0"),
                  ("SADD", "s", "3", "1", "2"), ("SPOP", "s", "-1"), ("SPOP", "s", "x"), ("SPOP", "s", "1", "2"),
                  ("SPOP", "s", "0"), ("SCARD", "s"), ("SPOP", "s", "3"), ("EXISTS", "s"),
                  ("SADD", "s", "5", "4"), ("SPOP", "s", "10"), ("EXISTS", "s"), ("SADD", "one", "7"),
                  ("SPOP", "one"), ("EXISTS", "one"), ("SPOP", "one"))

    def test_spop_random(self):
        self.fill("i", [str(i) for i in range(100)])
        for cmd in (("SPOP", "i"), ("SPOP", "i", "1"), ("SPOP", "i", "5"), ("SPOP", "i", "80")):
            ra, rb = self.both(*cmd)
            self.assertEqual(ra[:1], rb[:1], cmd)
            pa, pb = harness.parse(ra), harness.parse(rb)
            if isinstance(pa, list):
                self.assertEqual(len(pa), len(pb))
                self.assertEqual(len(set(pa)), len(pa))
            self.diff(("SCARD", "i"), ("OBJECT", "ENCODING", "i"))
        left = harness.parse(self.a.cmd("SMEMBERS", "i"))
        self.assertEqual(len(left), 13)
        # Case "most popped": the remainder is rebuilt; 10 integers left -> intset.
        self.diff(("DEL", "big"))
        self.fill("big", [str(i) for i in range(600)])
        ra, rb = self.both("SPOP", "big", "590")
        self.assertEqual(ra[:5], rb[:5])
        self.diff(("SCARD", "big"), ("OBJECT", "ENCODING", "big"))
        self.diff(("DEL", "big"))
        self.fill("big", [str(i) for i in range(600)])
        self.both("SPOP", "big", "10")
        self.diff(("SCARD", "big"), ("OBJECT", "ENCODING", "big"))
        # TTL survives a partial pop; popping everything deletes the key.
        self.diff(("EXPIRE", "big", "100"))
        self.both("SPOP", "big", "500")
        self.diff(("TTL", "big"))
        ra, rb = self.both("SPOP", "big", "1000")           # random members, sorted (intset)
        self.assertEqual(ra.split(b"\r\n")[0], rb.split(b"\r\n")[0])
        got = harness.parse(ra)
        self.assertEqual(got, sorted(got, key=int))
        self.diff(("EXISTS", "big"))
        # Hashtable: popped members come from the set and leave it.
        members = ["m%d" % i for i in range(50)]
        self.a.cmd("SADD", "h", *members)
        got = harness.parse(self.a.cmd("SPOP", "h", "20")) + [harness.parse(self.a.cmd("SPOP", "h"))]
        self.assertEqual(len(set(got)), 21)
        rest = harness.parse(self.a.cmd("SMEMBERS", "h"))
        self.assertEqual(sorted(got + rest), sorted(m.encode() for m in members))

    def test_srandmember(self):
        self.diff(("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "2"), ("SRANDMEMBER", "nokey", "-2"),
                  ("SADD", "s", "3", "1", "2"), ("SRANDMEMBER", "s", "3"), ("SRANDMEMBER", "s", "10"),
                  ("SRANDMEMBER", "s", "0"), ("SRANDMEMBER", "s", "x"),
                  ("SRANDMEMBER", "s", "-9223372036854775808"), ("SRANDMEMBER", "s", "1", "2"),
                  ("SADD", "one", "z"), ("SRANDMEMBER", "one"), ("SRANDMEMBER", "one", "1"),
                  ("SRANDMEMBER", "one", "-3"), ("SRANDMEMBER", "one", "5"))
        self.fill("h", ["m%d" % i for i in range(200)])
        self.fill("i", [str(i) for i in range(200)])
        for key in ("h", "i"):
            full = set(harness.parse(self.a.cmd("SMEMBERS", key)))
            for n in (1, 2, 5, 50, 100, 199, 200, 500):
                ra, rb = self.both("SRANDMEMBER", key, str(n))
                self.assertEqual(ra.split(b"\r\n")[0], rb.split(b"\r\n")[0], (key, n))
                got = harness.parse(ra)
                self.assertEqual(len(got), min(n, 200))
                self.assertEqual(len(set(got)), len(got))
                self.assertTrue(set(got) <= full)
            for n in (1, 5, 300):
                ra, rb = self.both("SRANDMEMBER", key, str(-n))
                self.assertEqual(ra.split(b"\r\n")[0], rb.split(b"\r\n")[0])
                self.assertTrue(set(harness.parse(ra)) <= full)
            one = harness.parse(self.a.cmd("SRANDMEMBER", key))
            self.assertIn(one, full)
        self.diff(("SCARD", "h"), ("SCARD", "i"))

    # ---- SSCAN ---------------------------------------------------------

    def test_sscan(self):
        self.diff(("SSCAN", "nokey", "0"), ("SSCAN", "nokey", "x"), ("SSCAN", "nokey", "0", "COUNT", "0"),
                  ("SADD", "i", "1", "2", "3", "10", "11"),
                  ("SSCAN", "i", "0"), ("SSCAN", "i", "7"), ("SSCAN", "i", "-1"), ("SSCAN", "i", "0", "MATCH", "1*"),
                  ("SSCAN", "i", "0", "match", "*", "count", "1"), ("SSCAN", "i", "0", "COUNT", "0"),
                  ("SSCAN", "i", "0", "COUNT", "x"), ("SSCAN", "i", "0", "TYPE", "set"), ("SSCAN", "i", "0", "COUNT"),
                  ("SSCAN", "i", " 0"), ("SSCAN", "i", "0x"), ("SSCAN", "i", "0", "MATCH", "2", "COUNT", "-1"))
        self.fill("h", ["m%d" % i for i in range(500)])
        for pat in (None, "m1*", "nomatch"):
            seen_a, seen_b = set(), set()
            for conn, seen in ((self.a, seen_a), (self.b, seen_b)):
                cur = b"0"
                calls = 0
                while True:
                    args = ["SSCAN", "h", cur] + (["MATCH", pat] if pat else []) + ["COUNT", "20"]
                    cur, items = harness.parse(conn.cmd(*args))
                    seen.update(items)
                    calls += 1
                    if cur == b"0":
                        break
                self.assertGreater(calls, 1)
            self.assertEqual(seen_a, seen_b, pat)

    # ---- generic commands on sets ------------------------------------------

    def test_keyspace_integration(self):
        self.diff(("SADD", "s", "1", "2"), ("SADD", "h", "a", "b"),
                  ("COPY", "s", "s2"), ("SMEMBERS", "s2"), ("OBJECT", "ENCODING", "s2"),
                  ("COPY", "h", "h2"), ("SCARD", "h2"), ("OBJECT", "ENCODING", "h2"), ("SADD", "h2", "c"),
                  ("SCARD", "h"), ("RENAME", "s", "r"), ("SMEMBERS", "r"), ("TYPE", "r"), ("TYPE", "h"),
                  ("SCAN", "0", "TYPE", "set", "MATCH", "r"), ("SCAN", "0", "TYPE", "string"),
                  ("PEXPIRE", "r", "1"))
        import time
        time.sleep(0.05)
        self.diff(("SMEMBERS", "r"), ("EXISTS", "r"), ("SADD", "r", "9"), ("TTL", "r"),
                  ("DEL", "h", "h2", "s2"), ("DBSIZE",))

    def test_command_rows(self):
        names = ("sadd", "srem", "smove", "sismember", "smismember", "scard", "spop", "srandmember", "sinter",
                 "sintercard", "sinterstore", "sunion", "sunionstore", "sdiff", "sdiffstore", "smembers", "sscan")
        for name in names:
            ra, rb = harness.parse(self.a.cmd("COMMAND", "INFO", name))[0], harness.parse(self.b.cmd("COMMAND", "INFO", name))[0]
            self.assertEqual(ra[:8], rb[:7] + [ra[7]], name)       # tips are not kept
            # Key specs: same positions; their flags are approximated (cmd_command.c).
            strip = lambda specs: [{k: v for k, v in (sp.items() if isinstance(sp, dict) else
                                    zip(sp[::2], sp[1::2])) if k != b"flags"} for sp in specs]
            self.assertEqual(strip(ra[8]), strip(rb[8]), name)
        self.diff(("COMMAND", "INFO", "sintercard"))        # its key spec flags are RO access too
        self.diff(("COMMAND", "GETKEYS", "sintercard", "2", "a", "b", "LIMIT", "1"),
                  ("COMMAND", "GETKEYS", "sintercard", "1", "a"), ("COMMAND", "GETKEYS", "sintercard", "0", "a"),
                  ("COMMAND", "GETKEYS", "sintercard", "3", "a", "b"), ("COMMAND", "GETKEYS", "sintercard", "x", "a"),
                  ("COMMAND", "GETKEYS", "sintercard", "-1", "a"), ("COMMAND", "GETKEYS", "sintercard", "1"),
                  ("COMMAND", "GETKEYS", "sinterstore", "d", "a", "b"), ("COMMAND", "GETKEYS", "smove", "a", "b", "m"))

    def test_multi_and_watch(self):
        self.diff(("SADD", "s", "1"), ("MULTI",), ("SADD", "s", "2"), ("SREM", "s", "1"), ("SPOP", "s", "5"),
                  ("SMEMBERS", "s"), ("EXEC",))


class SetsDiffResp3(SetsDiff):
    resp = 3


class SetsRill(harness.RillTestCase):
    """Behaviour that cannot be diffed: WATCH invalidation, big sets."""

    def test_watch_invalidated_by_set_writes(self):
        c2 = self.server.conn()
        try:
            for write in (("SADD", "s", "x"), ("SREM", "s", "a"), ("SPOP", "s"), ("SMOVE", "s", "t", "a"),
                          ("SINTERSTORE", "s", "o"), ("SUNIONSTORE", "s", "o"), ("SDIFFSTORE", "s", "nokey")):
                self.c.cmd("DEL", "s", "t")
                self.c.cmd("SADD", "s", "a", "b")
                self.c.cmd("SADD", "o", "z")
                self.c.cmd("WATCH", "s")
                self.c.cmd("MULTI")
                self.c.cmd("PING")
                c2.cmd(*write)
                self.assertEqual(self.c.cmd("EXEC"), b"*-1\r\n", write)
            # A no-op write does not invalidate.
            self.c.cmd("WATCH", "s")
            self.c.cmd("MULTI")
            self.c.cmd("PING")
            c2.cmd("SREM", "s", "nothere")
            self.assertEqual(self.c.cmd("EXEC"), b"*1\r\n+PONG\r\n")
        finally:
            c2.close()

    def test_large_set_pop_all(self):
        n = 20000
        for i in range(0, n, 1000):
            self.c.cmd("SADD", "big", *["k%d" % j for j in range(i, i + 1000)])
        self.assertEqual(self.c.cmd("SCARD", "big"), b":%d\r\n" % n)
        seen = set()
        while True:
            got = harness.parse(self.c.cmd("SPOP", "big", "3000"))
            if not got:
                break
            seen.update(got)
        self.assertEqual(len(seen), n)
        self.assertEqual(self.c.cmd("EXISTS", "big"), b":0\r\n")


if __name__ == "__main__":
    harness.main()
