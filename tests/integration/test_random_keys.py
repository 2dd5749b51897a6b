"""Seeded randomized differential test of the keyspace, database and
transaction commands: rill-server against redis-server 7.0.15.

RandomKeys drives both servers with the same random command sequences over
three connections per server (connection i to rill mirrors connection i to
redis) and compares the raw replies byte for byte.  Commands are sent one at
a time, so the interleaving across connections is the same on both servers.
Covered: SELECT (good and bad indexes), MOVE, SWAPDB, COPY [DB] [REPLACE],
RENAME/RENAMENX across types and with TTLs, DEL/UNLINK/EXISTS/TOUCH with
repeated keys, TYPE, EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT [NX|XX|GT|LT],
PERSIST, TTL/PTTL/EXPIRETIME/PEXPIRETIME, OBJECT ENCODING/REFCOUNT/FREQ/HELP,
KEYS (sorted), DBSIZE, FLUSHDB/FLUSHALL [SYNC|ASYNC], writes of every common
type, and WATCH/UNWATCH/MULTI/EXEC/DISCARD across the connections (queued
errors, WATCH inside MULTI, EXEC without MULTI, watched keys in other dbs,
SWAPDB/FLUSHDB/expiry touching them).  Some connections switch to RESP3.
test_random_diff.py covers the data-type commands themselves.

Time: relative TTLs are large and compared with a tolerance; GT/LT are only
used with absolute times far in the future (a relative deadline set on the
two servers a moment apart could compare differently); keys made to expire
do so with PX 1 / PEXPIRE 1 followed by a short sleep, so they are expired
on both servers before the next command; active expiry is off on both
(DEBUG SET-ACTIVE-EXPIRE 0), so expired keys go only when a command reaches
them and DBSIZE counts the same.  RANDOMKEY, SCAN and OBJECT IDLETIME are
never sent (unspecified order / time dependent), nor OBJECT REFCOUNT inside
MULTI (Redis's queued argv still holds the value: see g_generic).

Replay: RILL_RANDOM_SEEDS=3 RILL_RANDOM_STEPS=2000 python3 test_random_keys.py
(RILL_RANDOM_ALL=1 reports every mismatch, FLUSHALL-ing both after each,
instead of failing at the first).
"""
import os
import random
import time

import harness

SEEDS, STEPS, KEEP_GOING = harness.random_settings([1,2,3,4,5,6,7,8], 1500)
HISTORY = int(os.environ.get("RILL_RANDOM_HISTORY", "20"))   # commands shown before a mismatch
NCONN = 3

KEYS = ["k0", "k1", "k2", "k3", "a:1", "a:2", "b?", "k[1]", "*", "n\x00ul", "K" * 300]
DBS = ["0", "0", "1", "1", "2", "3", "15"]
BAD_DBS = ["16", "-1", "x", "", "1.5", "9223372036854775808", " 1", "00", "+1", "01", "-0", "4294967296"]
VALS = ["1", "12345", "-3", "hello", "", "x" * 44, "x" * 45, "1" * 25, "10000", "9999", "3.5", "y" * 70,
        "-0", "01", "9223372036854775807"]
PATTERNS = ["*", "k*", "k?", "k[0-1]", "k[^0]", "a:*", "*1*", "b\\?", "b?", "[ab]*", "*:*",
            "k[1-", "\\*", "nomatch*", "?", "??", "[a-k]?", "k\\[1]", "k[[]1]", "[*]", "*]", "k[!0]*",
            "[", "[]", "[^]", "\\", "a*2", "***", "k[3-1]", "n\x00*", "n?ul", "K*K", "*K"]
# Odd seeds run with tiny encoding limits, so that OBJECT ENCODING sees
# listpack/intset -> hashtable/skiplist/quicklist conversions of small keys
# (and COPY/RENAME/MOVE/SWAPDB carry converted values).
DEFAULT_LIMITS = {"list-max-listpack-size": "-2", "hash-max-listpack-entries": "512",
                  "hash-max-listpack-value": "64", "zset-max-listpack-entries": "128",
                  "zset-max-listpack-value": "64", "set-max-intset-entries": "512"}
TINY_LIMITS = {"list-max-listpack-size": "3", "hash-max-listpack-entries": "5",
               "hash-max-listpack-value": "8", "zset-max-listpack-entries": "5",
               "zset-max-listpack-value": "8", "set-max-intset-entries": "5"}
TTLS = ["1000", "5000", "20000", "100000"]
BAD_TTLS = ["0", "-5", "x", "", "1.5", "9223372036854775807", "-9223372036854775808"]
BASE = int(time.time()) + 10 ** 6
ABS = [str(BASE + d) for d in (30000, 70000, 300000, 700000)]
FLAGS = ["NX", "XX", "GT", "LT", "nx", "gt", "FOO"]
TTL_CMDS = ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME")


def key(r):
    return r.choice(KEYS)


def db(r):
    return r.choice(DBS) if r.random() < 0.9 else r.choice(BAD_DBS)


def g_write(r):
    k = key(r)
    x = r.random()
    if x < 0.4:
        a = ["SET", k, r.choice(VALS)]
        y = r.random()
        if y < 0.2:
            a += ["EX", r.choice(TTLS)]
        elif y < 0.3:
            a += ["PXAT", r.choice(ABS) + "000"]
        elif y < 0.35:
            a += ["KEEPTTL"]
        return a
    if x < 0.55:
        return ["RPUSH", k] + [r.choice(VALS) for _ in range(r.randint(1, 3))]
    if x < 0.7:
        return ["HSET", k, "f", r.choice(VALS)] + (["g", "1"] if r.random() < 0.3 else [])
    if x < 0.8:
        return ["SADD", k] + [r.choice(VALS) for _ in range(r.randint(1, 3))]
    if x < 0.88:
        return ["ZADD", k, str(r.randint(0, 5)), r.choice(VALS)]
    if x < 0.9:
        # many elements at once, so encodings flip (listpack/intset -> hashtable/skiplist/quicklist)
        n = r.choice([100, 200, 600])
        t = r.choice(["RPUSH", "SADD", "SADDI", "ZADD", "HSET"])
        if t == "RPUSH":
            return ["RPUSH", k] + ["e%d" % i * 20 for i in range(n)]
        if t == "SADD":
            return ["SADD", k] + ["m%d" % i for i in range(n)]
        if t == "SADDI":
            return ["SADD", k] + [str(i) for i in range(n)]
        if t == "ZADD":
            return ["ZADD", k] + [x for i in range(n) for x in (str(i), "m%d" % i)]
        return ["HSET", k] + [x for i in range(n) for x in ("f%d" % i, "v")]
    if x < 0.92:
        return ["XADD", k, r.choice(["1-1", "2-0", "5-5", "0-1"]), "f", "v"]
    if x < 0.94:
        return ["INCR", k]
    if x < 0.95:
        return ["APPEND", k, r.choice(VALS)]
    if x < 0.97:
        return ["GETEX", k] + r.choice([[], ["PERSIST"], ["EX", r.choice(TTLS)], ["EXAT", r.choice(ABS)]])
    if x < 0.975:
        return ["GETDEL", k]
    if x < 0.98:
        # already in the past: the key is deleted at once
        return r.choice([["SET", k, "v", "PXAT", "1"], ["EXPIREAT", k, "1"], ["PEXPIRE", k, "-1"],
                         ["GETEX", k, "EXAT", "1"], ["SET", k, "v", "EX", "0"]])
    if x < 0.99:
        a = [r.choice(["MSET", "MSETNX"])]
        for _ in range(r.randint(1, 3)):
            a += [key(r), r.choice(VALS)]
        return a
    return ["GET", k]


def g_expire(r):
    k = key(r)
    x = r.random()
    if x < 0.35:
        cmd = r.choice(["EXPIREAT", "PEXPIREAT"])
        t = r.choice(ABS) + ("000" if cmd == "PEXPIREAT" else "")
        if r.random() < 0.1:
            t = r.choice(BAD_TTLS)
        a = [cmd, k, t]
        if r.random() < 0.6:
            a.append(r.choice(FLAGS))
        if r.random() < 0.1:
            a.append(r.choice(FLAGS))
        return a
    cmd = r.choice(["EXPIRE", "PEXPIRE"])
    t = r.choice(TTLS) if r.random() < 0.85 else r.choice(BAD_TTLS)
    if cmd == "PEXPIRE" and t in TTLS:
        t += "000"
    a = [cmd, k, t]
    if r.random() < 0.3:
        a.append(r.choice(["NX", "XX", "xx", "FOO"]))
    return a


def g_generic(r, in_multi):
    """A keyspace command.  Returns (args, kind): kind None (raw compare),
    "set" (array elements sorted), "ttl" (integers within a tolerance),
    "sleep" (compare raw, then sleep so a 1 ms TTL has passed)."""
    x = r.random()
    if x < 0.22:
        return g_write(r), None
    if x < 0.32:
        return g_expire(r), None
    if x < 0.34:
        return ["PEXPIRE", key(r), "1"], "sleep"
    if x < 0.35:
        return ["SET", key(r), "v", "PX", "1"], "sleep"
    if x < 0.39:
        return [r.choice(TTL_CMDS), key(r)], "ttl"
    if x < 0.41:
        return ["PERSIST", key(r)], None
    if x < 0.46:
        return [r.choice(["DEL", "UNLINK", "EXISTS", "TOUCH"])] + [key(r) for _ in range(r.randint(1, 4))], None
    if x < 0.49:
        return ["TYPE", key(r)], None
    if x < 0.55:
        return [r.choice(["RENAME", "RENAMENX"]), key(r), key(r)], None
    if x < 0.59:
        a = ["COPY", key(r), key(r)]
        if r.random() < 0.5:
            a += ["DB", db(r)]
        if r.random() < 0.4:
            a.append("REPLACE")
        if r.random() < 0.05:
            a.append(r.choice(["FOO", "DB"]))
        r.shuffle(a[3:]) if r.random() < 0.2 else None
        return a, None
    if x < 0.63:
        return ["MOVE", key(r), db(r)], None
    if x < 0.66:
        return ["SWAPDB", db(r), db(r)], None
    if x < 0.72:
        return ["SELECT", db(r)], None
    if x < 0.77:
        sub = r.choice(["ENCODING", "ENCODING", "REFCOUNT", "FREQ", "HELP", "encoding", "NOPE"])
        if sub == "REFCOUNT" and in_multi:
            # Not inside MULTI: a string a queued SET stored is still
            # referenced by the queued command's argv until EXEC ends, so
            # Redis answers 2 there (an artifact of sharing argv objects).
            sub = "ENCODING"
        if sub == "HELP":
            return ["OBJECT", "HELP"] + (["x"] if r.random() < 0.2 else []), None
        return ["OBJECT", sub, key(r)], None
    if x < 0.81 and not in_multi:
        return ["KEYS", r.choice(PATTERNS)], "set"
    if x < 0.84:
        return ["DBSIZE"], None
    if x < 0.86:
        a = [r.choice(["FLUSHDB", "FLUSHALL"])]
        if r.random() < 0.6:
            a.append(r.choice(["SYNC", "ASYNC", "async", "FOO"]))
        return a, None
    if x < 0.88:
        # wrong arity and other errors of the generic commands
        return r.choice([["MOVE", key(r)], ["SWAPDB", "0"], ["COPY", key(r)], ["RENAME", key(r)],
                         ["EXPIRE", key(r)], ["TTL"], ["SELECT"], ["OBJECT"], ["TYPE"],
                         ["KEYS"], ["DBSIZE", "x"], ["PERSIST"], ["EXISTS"], ["OBJECT", "ENCODING", key(r), "x"],
                         ["OBJECT", "REFCOUNT"], ["OBJECT", "FREQ", key(r), "x"], ["FLUSHALL", "SYNC", "ASYNC"],
                         ["FLUSHDB", "x", "y"], ["SWAPDB", "0", "1", "2"], ["MOVE", key(r), "1", "2"], ["TOUCH"],
                         ["COPY", key(r), key(r), "DB"], ["COPY", key(r), key(r), "DB", "1", "DB", "2"],
                         ["COPY", key(r), key(r), "REPLACE", "REPLACE"], ["SELECT", "1", "2"], ["KEYS", "a", "b"],
                         ["RENAME", key(r), key(r), "x"], ["EXPIRETIME", key(r), "x"], ["UNWATCH", "x"],
                         ["MULTI", "x"], ["EXEC", "x"], ["DISCARD", "x"], ["WATCH"], ["DEL"], ["UNLINK"],
                         ["EXPIRE", key(r), "100", "GT", "LT"], ["EXPIRE", key(r), "100", "NX", "NX"],
                         ["PEXPIREAT", key(r), r.choice(ABS), "XX", "GT", "NX"], ["object", "help"]]), None
    return g_write(r), None


class Conns:
    """State the generator needs about each mirrored connection."""

    def __init__(self):
        self.multi = [False] * NCONN
        self.queued = [0] * NCONN
        self.sleepy = [False] * NCONN   # a 1 ms TTL is queued: sleep after EXEC
        self.ttly = [False] * NCONN     # a TTL read is queued: EXEC's integers within a tolerance


def generate(r, st):
    """(connection index, args, kind)."""
    c = r.randrange(NCONN)
    x = r.random()
    if st.multi[c]:
        if x < 0.12 or st.queued[c] > 6:
            return c, [r.choice(["EXEC", "EXEC", "EXEC", "DISCARD"])], None
        if x < 0.15:
            return c, r.choice([["WATCH", key(r)], ["MULTI"], ["UNWATCH"], ["NOSUCHCMD"],
                                ["GET"], ["SELECT", db(r)]]), None
        args, kind = g_generic(r, True)
        return c, args, kind
    if x < 0.07:
        return c, ["WATCH"] + [key(r) for _ in range(r.randint(1, 2))], None
    if x < 0.1:
        return c, ["MULTI"], None
    if x < 0.11:
        return c, [r.choice(["UNWATCH", "EXEC", "DISCARD"])], None
    args, kind = g_generic(r, False)
    return c, args, kind


def same(kind, cmd, ra, rb):
    if kind == "ttl" and ra[:1] == rb[:1] == b":":
        x, y = int(ra[1:-2]), int(rb[1:-2])
        slack = 3000 if cmd[0].upper().startswith("P") else 3
        return x == y or (x > 0 and y > 0 and abs(x - y) <= slack)
    if kind == "set" and ra[:1] == rb[:1] and ra[:1] in b"*~":
        return sorted(_elements(ra)) == sorted(_elements(rb))
    if kind == "exec" and ra[:1] == rb[:1] == b"*" and ra[:4] != b"*-1\r":
        # a transaction that read TTLs: its integer replies within a tolerance
        ea, eb = _elements(ra), _elements(rb)
        return len(ea) == len(eb) and all(
            x == y or same("ttl", ("PTTL",), x, y) for x, y in zip(ea, eb))
    return ra == rb


def _end(b, i):
    """End offset of the reply starting at b[i]."""
    t = b[i:i + 1]
    e = b.index(b"\r\n", i)
    if t in b"$=!":
        n = int(b[i + 1:e])
        return e + 2 if n < 0 else e + 4 + n
    if t in b"*%~>|" and int(b[i + 1:e]) >= 0:
        n = int(b[i + 1:e]) * (2 if t in b"%|" else 1)
        p = e + 2
        for _ in range(n):
            p = _end(b, p)
        return p
    return e + 2


def _elements(raw):
    """[header, raw element, ...] of an aggregate reply."""
    e = raw.index(b"\r\n")
    out, p = [raw[:e]], e + 2
    while p < len(raw):
        q = _end(raw, p)
        out.append(raw[p:q])
        p = q
    return out


class RandomKeys(harness.RandomDiffTestCase):
    keep_going = KEEP_GOING

    @classmethod
    def setUpClass(cls):
        # DEBUG SET-ACTIVE-EXPIRE needs enable-debug-command on Redis 7.0.
        cls.rill = harness.Server("rill")
        cls.redis = harness.Server("redis", extra=["--enable-debug-command", "yes"])

    def tearDown(self):
        for conn in (self.a, self.b):
            conn.cmd("RESET")
            conn.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        self.configure(DEFAULT_LIMITS)
        super().tearDown()

    def setUp(self):
        super().setUp()
        self.pairs = [(self.a, self.b)]
        for _ in range(NCONN - 1):
            p = (self.rill.conn(), self.redis.conn())
            self.addCleanup(p[0].close)
            self.addCleanup(p[1].close)
            self.pairs.append(p)

    def hello(self, p, proto):
        for conn in p:
            rep = conn.cmd("HELLO", str(proto))
            self.assertTrue(rep.startswith(b"%" if proto == 3 else b"*"), rep)

    def configure(self, limits):
        for conn in (self.a, self.b):
            for name, value in limits.items():
                self.assertEqual(conn.cmd("CONFIG", "SET", name, value), b"+OK\r\n", name)

    def reset_all(self):
        for p in self.pairs:
            for conn in p:
                conn.cmd("RESET")      # out of MULTI, no WATCH, db 0, RESP2
        for conn in (self.a, self.b):
            conn.cmd("FLUSHALL")
            # Expired keys are deleted only when a command reaches them, on
            # both servers: DBSIZE counts expired keys not yet deleted, and
            # when the active cycles of the two servers reclaim them differs.
            self.assertEqual(conn.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0"), b"+OK\r\n")

    def run_seed(self, seed):
        r = random.Random(seed)
        self.reset_all()
        self.configure(TINY_LIMITS if seed % 2 else DEFAULT_LIMITS)
        st = Conns()
        history = []
        mismatches = []
        protos = [2] * NCONN
        for step in range(STEPS):
            # A share of the run in RESP3: connection 1 from a third on, all
            # from two thirds on (each as soon as it is not inside MULTI).
            for i in range(NCONN):
                want = 3 if step >= (STEPS // 3 if i == 1 else 2 * STEPS // 3) else 2
                if protos[i] != want and not st.multi[i]:
                    self.hello(self.pairs[i], want)
                    protos[i] = want
            c, args, kind = generate(r, st)
            queued_kind = kind
            if st.multi[c] and kind == "ttl":
                kind = None                      # +QUEUED
            if st.multi[c] and args[0].upper() == "EXEC" and st.ttly[c]:
                kind = "exec"
            ca, cb = self.pairs[c]
            wire = harness.Conn.encode(*args)
            ca.send_raw(wire)
            cb.send_raw(wire)
            ra, rb = ca.read_raw(), cb.read_raw()
            history.append(("c%d" % c,) + tuple(args))
            name = args[0].upper() if len(args) == 1 else None    # MULTI x, EXEC x: arity errors
            if st.multi[c]:
                if name in ("EXEC", "DISCARD"):
                    st.multi[c] = False
                    if st.sleepy[c]:
                        time.sleep(0.003)
                else:
                    st.queued[c] += 1
                    st.sleepy[c] = st.sleepy[c] or queued_kind == "sleep"
                    st.ttly[c] = st.ttly[c] or queued_kind == "ttl"
            elif name == "MULTI":
                st.multi[c] = True
                st.queued[c] = 0
                st.sleepy[c] = False
                st.ttly[c] = False
            elif kind == "sleep":
                time.sleep(0.003)
            if not same(kind, args, ra, rb):
                msg = ("seed %d step %d (conn %d, RESP%d): replies differ for %r\n rill:  %r\n redis: %r\n"
                       "last commands (oldest first):\n  %s" %
                       (seed, step, c, protos[c], tuple(args), ra[:600], rb[:600],
                        "\n  ".join(repr(h) for h in history[-HISTORY:])))
                self.mismatch(msg, mismatches)
                self.reset_all()
                st = Conns()
                protos = [2] * NCONN
            history = history[-HISTORY:]
        self.end_run(mismatches)

    def test_seeds(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                self.run_seed(seed)


if __name__ == "__main__":
    harness.main()
