"""Keyspace/keyevent notifications of the list, hash, set and sorted-set
commands (notify-keyspace-events KEA), compared with redis-server 7.0.15.

Each server gets a subscriber (PSUBSCRIBE __key*__:*) and a command
connection.  A test runs the same commands on both, then publishes a
sentinel on a channel the pattern matches; the pmessages each subscriber
got before the sentinel must be byte-identical, and (so that a server
emitting nothing, or the wrong thing, cannot pass by agreeing with itself)
the keyevent names must equal the sequence the test expects.
"""
import time
import unittest

import harness

PATTERN = b"__key*__:*"
SENTINEL_CH = b"__keyevent@0__:zz-sentinel"
SENTINEL_MSG = b"zz-end"


class NotifyTypesDiff(harness.DiffTestCase):
    extra = ("--notify-keyspace-events", "KEA")

    @classmethod
    def setUpClass(cls):
        # DEBUG SET-ACTIVE-EXPIRE (test_keymiss_after_expiry) needs enable-debug-command on Redis 7.0.
        cls.rill = harness.Server("rill", extra=cls.extra)
        cls.redis = harness.Server("redis", extra=cls.extra + ("--enable-debug-command", "yes"))

    def setUp(self):
        super().setUp()
        self.sa, self.sb = self.rill.conn(), self.redis.conn()
        self.addCleanup(self.sa.close)
        self.addCleanup(self.sb.close)
        self.same_reply(self.sa, self.sb, ("PSUBSCRIBE", PATTERN))

    def tearDown(self):
        # Leave the flags as the class set them, whatever a test changed.
        self.a.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        self.b.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        self.a.cmd("SELECT", "0")
        self.b.cmd("SELECT", "0")
        super().tearDown()

    # ---- helpers ----------------------------------------------------------

    def same_reply(self, ca, cb, cmd):
        ca.send(*cmd)
        cb.send(*cmd)
        ra, rb = ca.read_raw(), cb.read_raw()
        self.assertEqual(ra, rb, "reply differs for %r:\n rill:  %r\n redis: %r" % (cmd, ra, rb))
        return ra

    def run_both(self, *commands):
        """Run commands whose replies may legitimately differ (random pops):
        read and discard the replies, but fail on an error from either."""
        for cmd in commands:
            ra, rb = self.a.cmd(*cmd), self.b.cmd(*cmd)
            self.assertFalse(ra.startswith(b"-"), "rill error for %r: %r" % (cmd, ra))
            self.assertFalse(rb.startswith(b"-"), "redis error for %r: %r" % (cmd, rb))

    def collect(self, sub, pub):
        """The raw pmessages sub received, up to the sentinel pub publishes."""
        pub.cmd("PUBLISH", SENTINEL_CH, SENTINEL_MSG)
        out = []
        while True:
            raw = sub.read_raw()
            v = harness.parse(raw)
            self.assertEqual(v[0], b"pmessage", "not a pmessage: %r" % raw)
            if v[2] == SENTINEL_CH and v[3] == SENTINEL_MSG:
                return out
            out.append(raw)

    def check(self, expect_events, expect_key_pairs=None):
        """Compare the notifications of both servers since the last check.
        expect_events: the keyevent event names in order (db any);
        expect_key_pairs: optional list of (key, event) for the keyspace side."""
        got_a = self.collect(self.sa, self.a)
        got_b = self.collect(self.sb, self.b)
        self.assertEqual(got_a, got_b, "notifications differ:\n rill:  %r\n redis: %r" % (got_a, got_b))
        events, pairs = [], []
        for raw in got_b:
            _, _, ch, msg = harness.parse(raw)
            if ch.startswith(b"__keyevent@"):
                events.append(ch.split(b"__:", 1)[1].decode())
            else:
                pairs.append((ch.split(b"__:", 1)[1].decode(), msg.decode()))
        self.assertEqual(events, expect_events, "keyevents (redis 7.0.15 itself) not as expected")
        if expect_key_pairs is not None:
            self.assertEqual(pairs, expect_key_pairs)
        return got_a

    def wait_blocked(self, n):
        """Wait until n clients are blocked on both servers."""
        deadline = time.time() + 5
        for c in (self.a, self.b):
            while True:
                info = c.cmd("INFO", "clients")
                if b"blocked_clients:%d\r\n" % n in info:
                    break
                self.assertLess(time.time(), deadline, "client never blocked: %r" % info)
                time.sleep(0.01)

    def blockers(self):
        ba, bb = self.rill.conn(), self.redis.conn()
        self.addCleanup(ba.close)
        self.addCleanup(bb.close)
        return ba, bb

    # ---- lists ------------------------------------------------------------

    def test_list_push_pop(self):
        self.diff(("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "d"), ("LPUSHX", "l", "e"),
                  ("RPUSHX", "l", "f"), ("LPUSHX", "nol", "x"), ("RPUSHX", "nol", "x"),
                  ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("RPOP", "l", "0"),
                  ("LPOP", "nol"), ("RPOP", "l", "10"), ("LPOP", "l"))
        self.check(["lpush", "rpush", "lpush", "rpush", "lpop", "rpop", "lpop", "rpop", "del"],
                   [("l", "lpush"), ("l", "rpush"), ("l", "lpush"), ("l", "rpush"), ("l", "lpop"),
                    ("l", "rpop"), ("l", "lpop"), ("l", "rpop"), ("l", "del")])

    def test_list_in_place(self):
        self.diff(("RPUSH", "l", "a", "b", "a", "c", "a"),
                  ("LSET", "l", "1", "B"), ("LSET", "l", "99", "x"), ("LSET", "nol", "0", "x"),
                  ("LINSERT", "l", "BEFORE", "c", "x"), ("LINSERT", "l", "AFTER", "zz", "y"),
                  ("LINSERT", "nol", "AFTER", "a", "y"),
                  ("LREM", "l", "0", "nothere"), ("LREM", "l", "-1", "a"), ("LREM", "l", "0", "a"),
                  ("LTRIM", "l", "0", "-1"), ("LTRIM", "l", "1", "1"), ("LTRIM", "nol", "0", "1"),
                  ("LRANGE", "l", "0", "-1"),
                  ("LTRIM", "l", "5", "1"), ("EXISTS", "l"),
                  ("RPUSH", "m", "a", "a"), ("LREM", "m", "0", "a"))
        self.check(["rpush", "lset", "linsert", "lrem", "lrem", "ltrim", "ltrim", "ltrim", "del",
                    "rpush", "lrem", "del"])

    def test_list_moves(self):
        self.diff(("RPUSH", "src", "1", "2", "3"),
                  ("LMOVE", "src", "dst", "LEFT", "RIGHT"), ("LMOVE", "src", "dst", "RIGHT", "LEFT"),
                  ("RPOPLPUSH", "src", "src"), ("LMOVE", "nosrc", "dst", "LEFT", "LEFT"),
                  ("SET", "str", "x"), ("LMOVE", "src", "str", "LEFT", "LEFT"),
                  ("RPOPLPUSH", "src", "dst"), ("LRANGE", "dst", "0", "-1"))
        self.check(["rpush", "rpush", "lpop", "lpush", "rpop", "lpush", "rpop", "set", "lpush", "rpop", "del"],
                   [("src", "rpush"), ("dst", "rpush"), ("src", "lpop"), ("dst", "lpush"), ("src", "rpop"),
                    ("src", "lpush"), ("src", "rpop"), ("str", "set"), ("dst", "lpush"), ("src", "rpop"),
                    ("src", "del")])

    def test_list_lmpop(self):
        self.diff(("RPUSH", "b", "1", "2", "3"), ("RPUSH", "c", "x"),
                  ("LMPOP", "3", "a", "b", "c", "LEFT"), ("LMPOP", "2", "b", "c", "RIGHT", "COUNT", "5"),
                  ("LMPOP", "1", "c", "LEFT", "COUNT", "3"), ("LMPOP", "1", "none", "LEFT"),
                  ("BLMPOP", "0.01", "1", "none", "LEFT"))
        self.check(["rpush", "rpush", "lpop", "rpop", "del", "lpop", "del"])

    def test_list_blocking_immediate(self):
        self.diff(("RPUSH", "l", "a", "b"), ("BLPOP", "none", "l", "1"), ("BRPOP", "l", "1"),
                  ("RPUSH", "l", "a", "b"), ("BLMOVE", "l", "d", "RIGHT", "LEFT", "1"),
                  ("BRPOPLPUSH", "l", "d", "1"), ("BLMPOP", "1", "1", "d", "RIGHT", "COUNT", "9"))
        self.check(["rpush", "lpop", "rpop", "del", "rpush", "lpush", "rpop", "lpush", "rpop", "del",
                    "rpop", "del"])

    def test_list_blocking_served(self):
        ba, bb = self.blockers()
        for cmd, push, expect in (
                (("BLPOP", "q", "0"), ("RPUSH", "q", "x", "y"), ["rpush", "lpop"]),
                (("BRPOP", "q2", "0"), ("RPUSH", "q2", "x"), ["rpush", "rpop", "del"]),
                (("BLMOVE", "q3", "d3", "LEFT", "RIGHT", "0"), ("LPUSH", "q3", "x"),
                 ["lpush", "rpush", "lpop", "del"]),
                (("BRPOPLPUSH", "q4", "d4", "0"), ("RPUSH", "q4", "x", "y"), ["rpush", "lpush", "rpop"]),
                (("BLMPOP", "0", "2", "q5", "q6", "RIGHT", "COUNT", "3"), ("RPUSH", "q6", "x", "y"),
                 ["rpush", "rpop", "del"])):
            ba.send(*cmd)
            bb.send(*cmd)
            self.wait_blocked(1)
            self.diff(push)
            ra, rb = ba.read_raw(), bb.read_raw()
            self.assertEqual(ra, rb, "served reply differs for %r" % (cmd,))
            self.check(expect)

    def test_list_served_in_multi(self):
        ba, bb = self.blockers()
        ba.send("BLPOP", "q", "0")
        bb.send("BLPOP", "q", "0")
        self.wait_blocked(1)
        self.diff(("MULTI",), ("RPUSH", "q", "1"), ("LPUSH", "q", "0"), ("EXEC",))
        self.assertEqual(ba.read_raw(), bb.read_raw())
        self.check(["rpush", "lpush", "lpop"])

    # ---- hashes -----------------------------------------------------------

    def test_hash(self):
        self.diff(("HSET", "h", "f1", "1", "f2", "2"), ("HSET", "h", "f1", "1"), ("HMSET", "h", "f3", "x"),
                  ("HSETNX", "h", "f1", "9"), ("HSETNX", "h", "f4", "9"),
                  ("HINCRBY", "h", "f1", "5"), ("HINCRBY", "h", "f3", "1"),
                  ("HINCRBYFLOAT", "h", "f2", "0.5"), ("HINCRBYFLOAT", "h", "f3", "1"),
                  ("HINCRBY", "new", "n", "1"), ("HINCRBYFLOAT", "new2", "n", "1.5"),
                  ("HDEL", "h", "nope"), ("HDEL", "h", "f1", "nope"), ("HDEL", "nokey", "f"),
                  ("HDEL", "h", "f2", "f3", "f4", "f5"), ("EXISTS", "h"),
                  ("HGET", "new", "n"), ("HGETALL", "new2"), ("HLEN", "new"))
        self.check(["hset", "hset", "hset", "hset", "hincrby", "hincrbyfloat", "hincrby", "hincrbyfloat",
                    "hdel", "hdel", "del"])

    # ---- sets -------------------------------------------------------------

    def test_set_add_rem_move(self):
        self.diff(("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "zz"), ("SREM", "s", "a", "zz"),
                  ("SMOVE", "s", "t", "b"), ("SMOVE", "s", "t", "zz"), ("SADD", "t", "c"),
                  ("SMOVE", "s", "t", "c"), ("SMOVE", "t", "t", "b"), ("SMOVE", "nos", "t", "b"),
                  ("SREM", "t", "b", "c", "x"), ("EXISTS", "t"), ("SREM", "t", "b"))
        self.check(["sadd", "srem", "srem", "sadd", "sadd", "srem", "del", "srem", "del"],
                   [("s", "sadd"), ("s", "srem"), ("s", "srem"), ("t", "sadd"), ("t", "sadd"), ("s", "srem"),
                    ("s", "del"), ("t", "srem"), ("t", "del")])

    def test_set_spop(self):
        self.diff(("SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), ("SPOP", "none"),
                  ("SPOP", "s", "0"), ("SPOP", "none", "3"))
        self.run_both(("SPOP", "s"), ("SPOP", "s", "2"), ("SPOP", "s", "6"))   # random members: 1 left
        self.diff(("SCARD", "s"))
        self.run_both(("SPOP", "s", "5"))                                     # the last one
        self.diff(("EXISTS", "s"),
                  ("SADD", "one", "x"), ("SPOP", "one"), ("EXISTS", "one"))
        self.check(["sadd", "spop", "spop", "spop", "spop", "del", "sadd", "spop", "del"])

    def test_set_store(self):
        self.diff(("SADD", "a", "1", "2", "3"), ("SADD", "b", "2", "3", "4"), ("SET", "str", "x"),
                  ("SINTERSTORE", "d1", "a", "b"), ("SUNIONSTORE", "d2", "a", "b"), ("SDIFFSTORE", "d3", "a", "b"),
                  ("SINTERSTORE", "d1", "a", "none"),        # missing key: empty result deletes d1
                  ("SINTERSTORE", "d1", "a", "none"),        # nothing to delete: no event
                  ("SDIFFSTORE", "d2", "a", "a"),            # empty result deletes d2
                  ("SUNIONSTORE", "d4", "none", "none2"),    # empty, no key: no event
                  ("SUNIONSTORE", "str", "a"),               # overwrites another type
                  ("SET", "str2", "x"), ("SINTERSTORE", "d3", "str2", "a"),   # WRONGTYPE: no event
                  ("SINTERCARD", "2", "a", "b"), ("SMEMBERS", "d3"))
        self.check(["sadd", "sadd", "set", "sinterstore", "sunionstore", "sdiffstore", "del", "del", "sunionstore", "set"])

    # ---- sorted sets ------------------------------------------------------

    def test_zset_add_incr_rem(self):
        self.diff(("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"),
                  ("ZADD", "z", "CH", "5", "a"), ("ZADD", "z", "NX", "9", "a"), ("ZADD", "z", "XX", "9", "new"),
                  ("ZADD", "nz", "XX", "1", "m"), ("ZADD", "z", "GT", "0", "b"),
                  ("ZADD", "z", "INCR", "1", "b"), ("ZINCRBY", "z", "0", "b"), ("ZINCRBY", "z", "2.5", "c"),
                  ("ZINCRBY", "nz2", "1", "m"), ("ZADD", "z", "NX", "INCR", "1", "b"),
                  ("ZREM", "z", "zz"), ("ZREM", "z", "a", "zz"), ("ZREM", "nz", "a"),
                  ("ZREM", "z", "b", "c", "d"), ("EXISTS", "z"))
        self.check(["zadd", "zadd", "zincr", "zincr", "zincr", "zrem", "zrem", "del"])

    def test_zset_remrange(self):
        members = []
        for i, m in enumerate("abcdefghij"):
            members += [str(i), m]
        self.diff(("ZADD", "z", *members), ("ZREMRANGEBYRANK", "z", "0", "1"),
                  ("ZREMRANGEBYRANK", "z", "50", "60"), ("ZREMRANGEBYSCORE", "z", "(2", "4"),
                  ("ZREMRANGEBYSCORE", "z", "100", "+inf"), ("ZREMRANGEBYSCORE", "none", "-inf", "+inf"),
                  ("ZADD", "lex", "0", "a", "0", "b", "0", "c"), ("ZREMRANGEBYLEX", "lex", "[a", "(c"),
                  ("ZREMRANGEBYLEX", "lex", "-", "+"), ("EXISTS", "lex"),
                  ("ZREMRANGEBYRANK", "z", "0", "-1"), ("EXISTS", "z"))
        self.check(["zadd", "zremrangebyrank", "zremrangebyscore", "zadd", "zremrangebylex", "zremrangebylex",
                    "del", "zremrangebyrank", "del"])

    def test_zset_pops(self):
        self.diff(("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
                  ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "0"), ("ZPOPMIN", "none"),
                  ("ZPOPMAX", "z", "2"), ("ZADD", "y", "1", "y"),
                  ("ZMPOP", "3", "none", "y", "z", "MIN"), ("ZMPOP", "1", "z", "MAX", "COUNT", "5"),
                  ("ZADD", "w", "1", "a", "2", "b"), ("BZPOPMIN", "none", "w", "1"), ("BZPOPMAX", "w", "1"),
                  ("ZADD", "w", "1", "a"), ("BZMPOP", "1", "1", "w", "MIN", "COUNT", "2"))
        self.check(["zadd", "zpopmin", "zpopmax", "zpopmax", "zadd", "zpopmin", "del", "zpopmax", "del",
                    "zadd", "zpopmin", "zpopmax", "del", "zadd", "zpopmin", "del"])

    def test_zset_blocking_served(self):
        ba, bb = self.blockers()
        for cmd, push, expect in (
                (("BZPOPMIN", "q", "0"), ("ZADD", "q", "1", "a", "2", "b"), ["zadd", "zpopmin"]),
                (("BZPOPMAX", "q2", "0"), ("ZADD", "q2", "1", "a"), ["zadd", "zpopmax", "del"]),
                (("BZMPOP", "0", "2", "q3", "q4", "MAX", "COUNT", "5"), ("ZADD", "q4", "1", "a", "2", "b"),
                 ["zadd", "zpopmax", "del"])):
            ba.send(*cmd)
            bb.send(*cmd)
            self.wait_blocked(1)
            self.diff(push)
            ra, rb = ba.read_raw(), bb.read_raw()
            self.assertEqual(ra, rb, "served reply differs for %r" % (cmd,))
            self.check(expect)

    def test_zset_store(self):
        self.diff(("ZADD", "a", "1", "x", "2", "y"), ("ZADD", "b", "3", "y", "4", "z"), ("SADD", "s", "x"),
                  ("ZUNIONSTORE", "u", "2", "a", "b"), ("ZINTERSTORE", "i", "2", "a", "b", "WEIGHTS", "1", "2"),
                  ("ZDIFFSTORE", "d", "2", "a", "b"), ("ZINTERSTORE", "mix", "2", "a", "s"),
                  ("ZRANGESTORE", "r", "a", "0", "0"), ("ZRANGESTORE", "r2", "a", "(1", "+inf", "BYSCORE"),
                  ("ZINTERSTORE", "u", "2", "a", "none"),       # empty result deletes u
                  ("ZDIFFSTORE", "d", "2", "a", "a"),            # empty result deletes d
                  ("ZRANGESTORE", "r", "none", "0", "-1"),       # missing source deletes r
                  ("ZRANGESTORE", "r", "a", "5", "9"),           # empty, r gone: no event
                  ("ZUNIONSTORE", "nothing", "1", "none"),       # no event
                  ("ZUNION", "2", "a", "b"), ("ZINTERCARD", "2", "a", "b"))
        self.check(["zadd", "zadd", "sadd", "zunionstore", "zinterstore", "zdiffstore", "zinterstore",
                    "zrangestore", "zrangestore", "del", "del", "del"])

    # ---- cross-cutting ----------------------------------------------------

    def test_other_db_and_multi(self):
        """The db number in the channel, and event names inside MULTI/EXEC."""
        self.diff(("SELECT", "3"), ("MULTI",), ("ZADD", "a", "1", "x"), ("ZUNIONSTORE", "u", "1", "a"),
                  ("SADD", "t", "m"), ("SINTERSTORE", "t", "none"), ("RPUSH", "l", "v"),
                  ("HSET", "h", "f", "v"), ("EXEC",))
        got = self.check(["zadd", "zunionstore", "sadd", "del", "rpush", "hset"])
        self.assertTrue(all(b"@3__:" in raw for raw in got), got)

    def test_class_flags(self):
        """Only the enabled classes: l and h keyevents, no generic del, no keyspace side."""
        self.diff(("CONFIG", "SET", "notify-keyspace-events", "Elh"))
        self.diff(("RPUSH", "l", "a"), ("SADD", "s", "a"), ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "a"),
                  ("LPOP", "l"), ("HDEL", "h", "f"), ("SREM", "s", "a"), ("ZREM", "z", "a"))
        self.check(["rpush", "hset", "lpop", "hdel"], [])
        self.diff(("CONFIG", "SET", "notify-keyspace-events", "Ksz"))
        self.diff(("SADD", "s", "a"), ("ZADD", "z", "1", "a"), ("RPUSH", "l", "a"), ("SPOP", "s"),
                  ("ZPOPMIN", "z"), ("HSET", "h", "f", "v"))
        self.check([], [("s", "sadd"), ("z", "zadd"), ("s", "spop"), ("z", "zpopmin")])

    def test_resp3_subscriber(self):
        """A RESP3 subscriber gets the same push frames from both."""
        ca, cb = self.rill.conn(), self.redis.conn()
        self.addCleanup(ca.close)
        self.addCleanup(cb.close)
        ca.cmd("HELLO", "3")      # the reply holds the client id, which differs
        cb.cmd("HELLO", "3")
        self.same_reply(ca, cb, ("SUBSCRIBE", "__keyevent@0__:zpopmax", "__keyspace@0__:l"))
        self.assertEqual(ca.read_raw(), cb.read_raw())   # the second channel's confirmation
        self.diff(("ZADD", "z", "1", "a", "2", "b"), ("ZPOPMAX", "z"), ("RPUSH", "l", "1", "2"),
                  ("LMOVE", "l", "l", "LEFT", "RIGHT"))
        for _ in range(4):
            self.assertEqual(ca.read_raw(), cb.read_raw())
        self.check(["zadd", "zpopmax", "rpush", "rpush", "lpop"])

    # ---- n (new key) and m (key miss), not part of A --------------------------

    def flags(self, f):
        self.diff(("CONFIG", "SET", "notify-keyspace-events", f))

    def test_new_strings_and_keys(self):
        """"new" comes from adding a key, before the command's own event;
        overwrites, RENAME onto an existing key aside, are not new."""
        self.flags("EAn")
        self.diff(("SET", "k", "v", "NX"), ("SET", "k", "w"), ("SET", "k", "x", "GET"), ("SET", "no", "v", "XX"),
                  ("MSET", "k", "1", "m", "2"), ("MSETNX", "m", "1", "m2", "2"), ("SETNX", "k", "v"),
                  ("APPEND", "ap", "x"), ("APPEND", "ap", "y"), ("SETRANGE", "sr", "0", ""), ("INCR", "c"),
                  ("INCRBYFLOAT", "f", "1.5"), ("SETEX", "se", "100", "v"), ("GETSET", "gs", "v"),
                  ("RENAME", "k", "k2"), ("RENAME", "k2", "m"), ("MOVE", "m", "1"), ("COPY", "ap", "cp"),
                  ("COPY", "ap", "cp", "REPLACE"), ("EXPIRE", "cp", "100"), ("DEL", "cp"))
        self.check(["new", "set", "set", "set", "set", "new", "set", "new", "append", "append",
                    "new", "incrby", "new", "incrbyfloat", "new", "set", "expire",
                    "new", "set", "new", "rename_from", "rename_to", "new", "rename_from", "rename_to",
                    "new", "move_from", "move_to", "new", "copy_to", "new", "copy_to", "expire", "del"])

    def test_new_collections(self):
        """Keyspace side only (K + n): which keys each command creates."""
        self.flags("Kn")
        self.diff(("LPUSH", "l", "a", "b"), ("LPUSH", "l", "c"), ("RPUSHX", "nol", "a"),
                  ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("LMOVE", "nol", "l3", "LEFT", "RIGHT"),
                  ("HSET", "h", "f", "v"), ("HINCRBY", "h2", "f", "1"), ("HSETNX", "h", "g", "v"),
                  ("SADD", "s", "a", "b"), ("SMOVE", "s", "s2", "a"), ("SMOVE", "s", "s2", "b"),
                  ("SUNIONSTORE", "su", "s2"), ("SUNIONSTORE", "su", "s2"), ("SINTERSTORE", "si", "s2", "nos"),
                  ("ZADD", "z", "XX", "1", "a"), ("ZADD", "z", "GT", "1", "a"), ("ZINCRBY", "z2", "1", "a"),
                  ("ZRANGESTORE", "zr", "z", "0", "-1"), ("ZUNIONSTORE", "zu", "2", "z", "z2"),
                  ("ZINTERSTORE", "zi", "2", "z", "noz"), ("XADD", "x", "NOMKSTREAM", "*", "f", "v"),
                  ("XGROUP", "CREATE", "x", "g", "$", "MKSTREAM"), ("XGROUP", "CREATE", "x", "g2", "$", "MKSTREAM"))
        self.run_both(("XADD", "x2", "*", "f", "v"), ("XADD", "x2", "*", "f", "v"))
        self.check([], [("l", "new"), ("l2", "new"), ("h", "new"), ("h2", "new"), ("s", "new"), ("s2", "new"),
                        ("su", "new"), ("z", "new"), ("z2", "new"), ("zr", "new"), ("zu", "new"), ("x", "new"),
                        ("x2", "new")])

    def test_new_when_blocked_pop_served(self):
        """A served BLMOVE creates its destination: "new" at the push."""
        self.flags("EAn")
        ba, bb = self.blockers()
        ba.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
        bb.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
        self.wait_blocked(1)
        self.diff(("RPUSH", "src", "a"))
        self.assertEqual(ba.read_raw(), bb.read_raw())
        self.check(["new", "rpush", "new", "rpush", "lpop", "del"])

    # Read commands on missing keys: each lookup is one keymiss (XREAD looks
    # each stream up twice, as Redis 7.0 does); OBJECT, SCAN, KEYS and
    # RANDOMKEY never report misses.
    MISS_READS = [
        (("GET", "k"), 1), (("MGET", "a", "b"), 2), (("STRLEN", "k"), 1), (("GETRANGE", "k", "0", "1"), 1),
        (("SUBSTR", "k", "0", "1"), 1), (("GETDEL", "k"), 1), (("GETEX", "k", "PERSIST"), 1),
        (("EXISTS", "a", "b"), 2), (("TYPE", "k"), 1), (("TTL", "k"), 1), (("PTTL", "k"), 1),
        (("EXPIRETIME", "k"), 1), (("PEXPIRETIME", "k"), 1), (("TOUCH", "a", "b"), 2), (("COPY", "k", "k2"), 1),
        (("OBJECT", "ENCODING", "k"), 0), (("SCAN", "0", "TYPE", "string"), 0), (("KEYS", "*"), 0),
        (("RANDOMKEY",), 0),
        (("LLEN", "l"), 1), (("LRANGE", "l", "0", "-1"), 1), (("LINDEX", "l", "0"), 1), (("LPOS", "l", "a"), 1),
        (("HGET", "h", "f"), 1), (("HMGET", "h", "f", "g"), 1), (("HLEN", "h"), 1), (("HSTRLEN", "h", "f"), 1),
        (("HKEYS", "h"), 1), (("HVALS", "h"), 1), (("HGETALL", "h"), 1), (("HEXISTS", "h", "f"), 1),
        (("HRANDFIELD", "h"), 1), (("HSCAN", "h", "0"), 1),
        (("SISMEMBER", "s", "a"), 1), (("SMISMEMBER", "s", "a", "b"), 1), (("SCARD", "s"), 1),
        (("SRANDMEMBER", "s", "2"), 1), (("SMEMBERS", "s"), 1), (("SINTER", "a", "b"), 2), (("SUNION", "a", "b"), 2),
        (("SDIFF", "a", "b"), 2), (("SINTERCARD", "2", "a", "b"), 2), (("SSCAN", "s", "0"), 1),
        (("ZSCORE", "z", "a"), 1), (("ZMSCORE", "z", "a"), 1), (("ZCARD", "z"), 1), (("ZCOUNT", "z", "0", "1"), 1),
        (("ZLEXCOUNT", "z", "-", "+"), 1), (("ZRANK", "z", "a"), 1), (("ZREVRANK", "z", "a"), 1),
        (("ZRANGE", "z", "0", "-1"), 1), (("ZRANGEBYSCORE", "z", "0", "1"), 1), (("ZREVRANGEBYLEX", "z", "+", "-"), 1),
        (("ZRANDMEMBER", "z"), 1), (("ZSCAN", "z", "0"), 1), (("ZUNION", "2", "a", "b"), 2),
        (("ZINTER", "2", "a", "b"), 2), (("ZDIFF", "2", "a", "b"), 2), (("ZINTERCARD", "2", "a", "b"), 2),
        (("XLEN", "x"), 1), (("XRANGE", "x", "-", "+"), 1), (("XREVRANGE", "x", "+", "-"), 1),
        (("XREAD", "STREAMS", "x", "y", "0", "0"), 4), (("XINFO", "STREAM", "x"), 1), (("XPENDING", "x", "g"), 1),
        (("XACK", "x", "g", "1-1"), 1), (("XCLAIM", "x", "g", "c", "0", "1-1"), 1),
        (("XAUTOCLAIM", "x", "g", "c", "0", "0"), 1), (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"), 1),
        (("XGROUP", "CREATE", "x", "g", "$"), 0),
    ]

    def test_keymiss_reads(self):
        self.flags("Em")
        self.diff(*[cmd for cmd, _ in self.MISS_READS])
        self.check(["keymiss"] * sum(n for _, n in self.MISS_READS))

    def test_keymiss_keyspace_side_and_hits(self):
        """K + m: the key's channel gets "keymiss"; a hit (even WRONGTYPE) is silent."""
        self.flags("Km")
        self.diff(("RPUSH", "l", "a"), ("GET", "l"), ("LLEN", "l"), ("HGET", "l", "f"), ("EXISTS", "l"),
                  ("MGET", "l", "nok"), ("SMEMBERS", "nos"))
        self.check([], [("nok", "keymiss"), ("nos", "keymiss")])

    def test_keymiss_writes(self):
        """Write lookups never report misses; the reads inside writes do (SET GET,
        GETSET, COPY's source and the STORE commands' sources, in Redis 7.0)."""
        self.flags("EAmn")
        self.diff(("CONFIG", "RESETSTAT"))
        self.diff(("LPOP", "l"), ("RPOP", "l", "2"), ("LSET", "l", "0", "x"), ("LREM", "l", "0", "x"),
                  ("LTRIM", "l", "0", "1"), ("LPUSHX", "l", "x"), ("LINSERT", "l", "BEFORE", "a", "b"),
                  ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("LMPOP", "2", "l", "l2", "LEFT"), ("HDEL", "h", "f"),
                  ("SREM", "s", "a"), ("SPOP", "s"), ("SMOVE", "s", "s2", "a"), ("ZREM", "z", "a"),
                  ("ZPOPMIN", "z"), ("ZREMRANGEBYRANK", "z", "0", "1"), ("ZMPOP", "1", "z", "MIN"),
                  ("XDEL", "x", "1-1"), ("XTRIM", "x", "MAXLEN", "0"), ("XSETID", "x", "1-1"),
                  ("DEL", "a", "b"), ("UNLINK", "a"), ("EXPIRE", "a", "10"), ("PERSIST", "a"),
                  ("RENAME", "a", "b"), ("MOVE", "a", "1"), ("ZADD", "z", "XX", "1", "a"),
                  ("MULTI",), ("BLPOP", "l", "0"), ("BZPOPMIN", "z", "0"), ("EXEC",))
        self.check([])
        self.diff(("SET", "k", "v", "GET"), ("GETSET", "g", "v"), ("SADD", "s", "a"),
                  ("SUNIONSTORE", "d", "s", "nos"), ("SINTERSTORE", "d", "nos", "s"), ("SDIFFSTORE", "d", "nos"),
                  ("ZADD", "z", "1", "a"), ("ZUNIONSTORE", "zd", "2", "z", "noz"), ("ZINTERSTORE", "zd", "1", "noz"),
                  ("ZDIFFSTORE", "zd", "1", "noz"), ("ZRANGESTORE", "zd", "noz", "0", "-1"))
        self.check(["keymiss", "new", "set", "keymiss", "new", "set", "new", "sadd",
                    "keymiss", "new", "sunionstore", "keymiss", "del", "keymiss",
                    "new", "zadd", "keymiss", "new", "zunionstore", "keymiss", "del", "keymiss", "keymiss"])
        # The STORE sources are read lookups in Redis 7.0: they count as misses too.
        stat = lambda c: [l for l in c.cmd("INFO", "stats").split(b"\r\n") if l.startswith(b"keyspace_")]
        self.assertEqual(stat(self.a), stat(self.b))

    def test_keymiss_after_expiry(self):
        """A read of a key whose time has passed: "expired", then "keymiss";
        a write over it: "expired", then "new"."""
        self.flags("Exmn")
        def active_expire_on(srv):
            c = srv.conn()
            c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            c.close()
        for c, srv in ((self.a, self.rill), (self.b, self.redis)):
            self.assertEqual(c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0"), b"+OK\r\n")
            self.addCleanup(active_expire_on, srv)
        self.diff(("SET", "k", "v", "PX", "1"), ("SET", "k2", "v", "PX", "1"), ("SET", "k3", "v", "PX", "1"),
                  ("SET", "k4", "v", "PX", "1"))
        time.sleep(0.05)
        self.diff(("GET", "k"), ("GET", "k"), ("SET", "k2", "v"), ("EXISTS", "k3"), ("SCAN", "0", "TYPE", "hash"))
        self.check(["new", "new", "new", "new", "expired", "keymiss", "keymiss", "expired", "new",
                    "expired", "keymiss", "expired", "keymiss"])

    def test_new_and_keymiss_in_multi_other_db(self):
        self.flags("KEmn")
        self.diff(("SELECT", "5"), ("MULTI",), ("GET", "nok"), ("LPUSH", "l", "a"), ("ZSCORE", "noz", "a"),
                  ("EXEC",))
        got = self.check(["keymiss", "new", "keymiss"],
                         [("nok", "keymiss"), ("l", "new"), ("noz", "keymiss")])
        self.assertTrue(all(b"@5__:" in raw for raw in got), got)

    def test_all_excludes_new_and_keymiss(self):
        """A is every class but n and m."""
        self.flags("KEA")
        self.diff(("GET", "nok"), ("SET", "k", "v"), ("HGET", "noh", "f"), ("LPUSH", "l", "a"))
        self.check(["set", "lpush"], [("k", "set"), ("l", "lpush")])
        self.flags("Emn")
        self.diff(("GET", "nok"), ("SET", "k2", "v"), ("DEL", "k2"))
        self.check(["keymiss", "new"])


if __name__ == "__main__":
    harness.main()
