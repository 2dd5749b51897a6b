"""Bitmap commands (broker/cmd_bitmap.c) against Redis 7.0.15.

BitmapsDiff sends the same commands to rill-server and redis-server and
asserts byte-identical replies: SETBIT GETBIT BITCOUNT BITPOS BITOP
BITFIELD BITFIELD_RO, every error path, edge offsets, negative ranges,
absent keys, int-encoded strings, keyspace events, dirty counting, RESP3,
and seeded random sequences.  BitmapsRestart checks that what these
commands wrote survives a restart through the append log and a snapshot.
"""
import os
import random
import time

import harness

LLONG_MAX = 2 ** 63 - 1
LLONG_MIN = -2 ** 63


class BitmapsDiff(harness.DiffTestCase):
    def both(self, *args):
        self.a.send(*args)
        self.b.send(*args)
        return self.a.read_raw(), self.b.read_raw()

    def state(self, *keys):
        """GET, STRLEN and OBJECT ENCODING of keys agree on both servers."""
        for k in keys:
            self.diff(("GET", k), ("STRLEN", k), ("OBJECT", "ENCODING", k), ("TTL", k))

    # ---- SETBIT / GETBIT ------------------------------------------------

    def test_setbit_getbit_basic(self):
        self.diff(("SETBIT", "k", "7", "1"), ("GET", "k"), ("SETBIT", "k", "7", "1"),
                  ("SETBIT", "k", "7", "0"), ("GET", "k"), ("SETBIT", "k", "0", "1"),
                  ("SETBIT", "k", "100", "1"), ("GETBIT", "k", "0"), ("GETBIT", "k", "1"),
                  ("GETBIT", "k", "100"), ("GETBIT", "k", "101"), ("GETBIT", "k", "1000000"),
                  ("GETBIT", "nokey", "0"), ("GETBIT", "nokey", "4294967295"))
        self.state("k")
        for i in range(0, 40, 3):
            self.diff(("SETBIT", "w", str(i), "1"), ("GETBIT", "w", str(i)), ("GET", "w"))
        self.state("w")

    def test_setbit_errors(self):
        for off in ("-1", "abc", "", "1.5", " 1", "01", "+1", "4294967296", "4294967297",
                    str(LLONG_MAX), str(LLONG_MIN), str(LLONG_MAX) + "0", "#1", "0x10"):
            self.diff(("SETBIT", "k", off, "1"), ("GETBIT", "k", off), ("EXISTS", "k"))
        for val in ("2", "-1", "abc", "", "1.0", "01", " 1", "10", str(LLONG_MAX), str(LLONG_MIN),
                    str(LLONG_MAX) + "1", "3"):
            self.diff(("SETBIT", "k", "1", val), ("EXISTS", "k"))
        # offset is checked before the value, both before the key type
        self.diff(("RPUSH", "l", "x"), ("SETBIT", "l", "-1", "2"), ("SETBIT", "l", "1", "2"),
                  ("SETBIT", "l", "1", "1"), ("GETBIT", "l", "0"), ("GETBIT", "l", "-1"))
        self.diff(("SETBIT", "k"), ("SETBIT", "k", "1"), ("SETBIT", "k", "1", "1", "1"),
                  ("GETBIT", "k"), ("GETBIT", "k", "1", "2"))

    def test_offset_limit_follows_proto_max_bulk_len(self):
        # 1mb: byte 1048575 is the last allowed one (bit 8388607).
        self.diff(("CONFIG", "SET", "proto-max-bulk-len", "1mb"),
                  ("SETBIT", "k", "8388608", "1"), ("SETBIT", "k", "8388607", "1"),
                  ("STRLEN", "k"), ("GETBIT", "k", "8388607"), ("GETBIT", "k", "8388608"),
                  ("BITFIELD", "k", "GET", "u8", "8388600"), ("BITFIELD", "k", "GET", "u8", "8388608"),
                  ("BITFIELD", "k", "SET", "u8", "#1048575", "1"), ("BITFIELD", "k", "SET", "u8", "#1048576", "1"),
                  ("BITFIELD", "k", "SET", "i64", "8388607", "-1"), ("STRLEN", "k"),
                  ("BITFIELD_RO", "k", "GET", "i64", "8388607"),
                  ("BITCOUNT", "k"), ("BITPOS", "k", "1", "-2"))
        self.diff(("CONFIG", "SET", "proto-max-bulk-len", "512mb"))

    def test_highest_offset_allocates_512mb(self):
        # 2^32-1 is the last bit below the default 512 MB; 2^32 is refused
        # before anything is allocated.
        self.diff(("SETBIT", "big", "4294967296", "1"), ("EXISTS", "big"),
                  ("BITFIELD", "big", "SET", "u8", "#536870912", "1"), ("EXISTS", "big"),
                  ("SETBIT", "big", "4294967295", "1"), ("STRLEN", "big"), ("GETBIT", "big", "4294967295"),
                  ("BITCOUNT", "big"), ("BITCOUNT", "big", "-1", "-1", "BIT"), ("BITPOS", "big", "1"),
                  ("BITPOS", "big", "0", "-1"), ("BITFIELD", "big", "GET", "u8", "#536870911"),
                  ("BITFIELD", "big", "INCRBY", "u8", "#536870911", "1"), ("DEL", "big"))

    def test_int_encoded_strings(self):
        for v in ("123", "-5", "0", "9999", "10000", str(LLONG_MAX), str(LLONG_MIN)):
            self.diff(("SET", "n", v), ("OBJECT", "ENCODING", "n"))
            for off in range(0, 8 * len(v) + 9, 3):
                self.diff(("GETBIT", "n", str(off)))
            self.diff(("BITCOUNT", "n"), ("BITCOUNT", "n", "1", "-1"), ("BITCOUNT", "n", "3", "13", "BIT"),
                      ("BITPOS", "n", "0"), ("BITPOS", "n", "1"), ("BITPOS", "n", "1", "1"),
                      ("BITPOS", "n", "0", "2", "-1", "BIT"),
                      ("BITFIELD_RO", "n", "GET", "u8", "0", "GET", "i12", "5", "GET", "i64", "3"),
                      ("BITFIELD", "n", "GET", "u16", "#1"),
                      ("BITOP", "NOT", "d", "n"), ("GET", "d"), ("OBJECT", "ENCODING", "n"))
            # a write converts it (even when no bit changes), as Redis does
            self.diff(("SETBIT", "n", "2", "1"), ("OBJECT", "ENCODING", "n"), ("GET", "n"))
            self.diff(("SET", "n", v), ("BITFIELD", "n", "SET", "u8", "0", "0"), ("GET", "n"),
                      ("OBJECT", "ENCODING", "n"))
        # small shared integers stay intact for other keys
        self.diff(("SET", "a", "7"), ("SET", "b", "7"), ("SETBIT", "a", "0", "1"), ("GET", "a"), ("GET", "b"))

    def test_embstr_becomes_raw(self):
        self.diff(("SET", "e", "hello"), ("OBJECT", "ENCODING", "e"), ("SETBIT", "e", "0", "0"),
                  ("OBJECT", "ENCODING", "e"), ("SET", "e2", "hello"), ("GETBIT", "e2", "1"),
                  ("OBJECT", "ENCODING", "e2"), ("BITFIELD", "e2", "GET", "u8", "0"),
                  ("OBJECT", "ENCODING", "e2"), ("SETBIT", "fresh", "3", "1"), ("OBJECT", "ENCODING", "fresh"))

    def test_ttl_kept(self):
        self.diff(("SET", "k", "abc", "EX", "1000"), ("SETBIT", "k", "100", "1"),
                  ("BITFIELD", "k", "INCRBY", "u8", "0", "1"), ("TTL", "k"),
                  ("BITOP", "OR", "k", "k"), ("TTL", "k"), ("GET", "k"))

    def test_wrongtype(self):
        self.diff(("RPUSH", "l", "x"), ("HSET", "h", "f", "v"))
        self.diff(("SETBIT", "l", "0", "1"), ("GETBIT", "l", "0"), ("BITCOUNT", "l"),
                  ("BITCOUNT", "l", "0", "1"), ("BITCOUNT", "l", "a", "b"), ("BITPOS", "l", "1"),
                  ("BITPOS", "l", "2"), ("BITPOS", "l", "x"), ("BITPOS", "l", "0", "a"),
                  ("BITOP", "AND", "d", "l"), ("BITOP", "AND", "d", "s", "l"), ("BITOP", "NOT", "d", "h"),
                  ("BITOP", "AND", "l", "nokey"), ("TYPE", "l"),
                  ("SET", "s", "x"), ("BITOP", "OR", "l", "s"), ("TYPE", "l"), ("GET", "l"),
                  ("BITFIELD", "h", "GET", "u8", "0"), ("BITFIELD", "h", "SET", "u8", "0", "1"),
                  ("BITFIELD", "h"), ("BITFIELD_RO", "h", "GET", "u8", "0"), ("BITFIELD_RO", "h"),
                  ("BITFIELD", "h", "GET", "x8", "0"), ("BITFIELD_RO", "h", "SET", "u8", "0", "1"))

    # ---- BITCOUNT -------------------------------------------------------

    def test_bitcount_ranges(self):
        self.diff(("SET", "k", b"\xff\x0f\x00\x81foobar"), ("SET", "empty", ""))
        vals = ["0", "1", "2", "-1", "-2", "-3", "5", "9", "10", "-10", "-100", "100", "63", "64", "79", "80"]
        for s in vals:
            for e in vals:
                self.diff(("BITCOUNT", "k", s, e), ("BITCOUNT", "k", s, e, "BIT"),
                          ("BITCOUNT", "k", s, e, "byte"))
        self.diff(("BITCOUNT", "k"), ("BITCOUNT", "empty"), ("BITCOUNT", "empty", "0", "-1"),
                  ("BITCOUNT", "empty", "0", "0", "BIT"), ("BITCOUNT", "nokey"),
                  ("BITCOUNT", "nokey", "0", "5"), ("BITCOUNT", "k", str(LLONG_MIN), str(LLONG_MAX)),
                  ("BITCOUNT", "k", str(LLONG_MIN), str(LLONG_MAX), "BIT"),
                  ("BITCOUNT", "k", "0", str(LLONG_MAX), "BIT"))

    def test_bitcount_errors(self):
        self.diff(("SET", "k", "foobar"))
        for key in ("k", "nokey"):
            self.diff(("BITCOUNT", key, "0"), ("BITCOUNT", key, "a", "1"), ("BITCOUNT", key, "1", "a"),
                      ("BITCOUNT", key, "0", "1", "BITS"), ("BITCOUNT", key, "0", "1", "BIT", "x"),
                      ("BITCOUNT", key, "-1", "-2", "FOO"), ("BITCOUNT", key, "0", "-1", "FOO"),
                      ("BITCOUNT", key, "x", "-1", "FOO"), ("BITCOUNT", key, "0", "1", ""),
                      ("BITCOUNT", key, str(LLONG_MAX) + "0", "1"), ("BITCOUNT", key, "1.5", "2"),
                      ("BITCOUNT",))

    # ---- BITPOS ---------------------------------------------------------

    def test_bitpos_ranges(self):
        data = {"a": b"\xff\xf0\x00", "b": b"\x00\x00\x01", "c": b"\xff\xff\xff", "d": b"\x00\x00\x00",
                "e": b"\x0f", "f": b"", "g": b"\x00\xff\x00\xff\x80"}
        for k, v in data.items():
            self.diff(("SET", k, v))
        vals = ["0", "1", "2", "-1", "-2", "7", "8", "9", "15", "16", "23", "24", "-9", "-100", "100"]
        for k in list(data) + ["nokey"]:
            for bit in ("0", "1"):
                self.diff(("BITPOS", k, bit))
                for s in vals:
                    self.diff(("BITPOS", k, bit, s))
                    for e in vals:
                        self.diff(("BITPOS", k, bit, s, e), ("BITPOS", k, bit, s, e, "BIT"),
                                  ("BITPOS", k, bit, s, e, "BYTE"))

    def test_bitpos_errors(self):
        self.diff(("SET", "k", "\xff"))
        for key in ("k", "nokey"):
            self.diff(("BITPOS", key, "2"), ("BITPOS", key, "-1"), ("BITPOS", key, "x"), ("BITPOS", key, ""),
                      ("BITPOS", key, "1", "x"), ("BITPOS", key, "1", "0", "x"),
                      ("BITPOS", key, "1", "0", "1", "FOO"), ("BITPOS", key, "1", "0", "x", "FOO"),
                      ("BITPOS", key, "1", "x", "0", "FOO"), ("BITPOS", key, "1", "0", "1", "BIT", "x"),
                      ("BITPOS", key, "2", "x", "y", "FOO"), ("BITPOS", key), ("BITPOS", key, "01"),
                      ("BITPOS", key, str(LLONG_MAX) + "0"))

    # ---- BITOP ----------------------------------------------------------

    def test_bitop(self):
        self.diff(("SET", "a", b"\xf0\x0f\xaa"), ("SET", "b", b"\xff"), ("SET", "c", "12"),
                  ("SET", "e", ""))
        for op in ("AND", "OR", "XOR", "and", "Or", "xOr"):
            for srcs in (("a",), ("a", "b"), ("b", "a"), ("a", "b", "c"), ("a", "nokey"), ("nokey", "a"),
                         ("nokey",), ("nokey", "nokey2"), ("e",), ("e", "a"), ("a", "a")):
                self.diff(("BITOP", op, "d", *srcs), ("GET", "d"), ("EXISTS", "d"))
                self.state("d")
        for src in ("a", "b", "c", "e", "nokey"):
            self.diff(("BITOP", "NOT", "d", src), ("GET", "d"), ("EXISTS", "d"))
        # the destination may be a source; an empty result deletes it (any type)
        self.diff(("BITOP", "XOR", "a", "a", "b"), ("GET", "a"), ("BITOP", "AND", "a", "a", "nokey"),
                  ("GET", "a"), ("RPUSH", "l", "x"), ("BITOP", "OR", "l", "nokey"), ("EXISTS", "l"),
                  ("SET", "x", "v", "EX", "100"), ("BITOP", "OR", "x", "b"), ("TTL", "x"))

    def test_bitop_errors(self):
        self.diff(("SET", "a", "x"))
        self.diff(("BITOP", "NAND", "d", "a"), ("BITOP", "NOT", "d", "a", "a"), ("BITOP", "not", "d", "a", "b"),
                  ("BITOP", "AND", "d"), ("BITOP", "NOT", "d"), ("BITOP", "", "d", "a"),
                  ("BITOP", "ANDX", "d", "a"), ("BITOP", "NOTT", "d", "a", "b"), ("BITOP",),
                  ("BITOP", "AND"), ("EXISTS", "d"))

    # ---- BITFIELD -------------------------------------------------------

    def test_bitfield_types_and_offsets(self):
        self.diff(("SET", "k", b"\x81\x42\xff\x00\x7e\x13\x37\xbe\xef\x01"))
        types = ["i1", "u1", "i2", "u3", "i7", "u8", "i8", "i13", "u16", "i31", "u32", "i33", "u62",
                 "u63", "i63", "i64"]
        for t in types:
            for off in ("0", "1", "7", "9", "40", "70", "79", "80", "1000", "#0", "#1", "#3"):
                self.diff(("BITFIELD", "k", "GET", t, off), ("BITFIELD_RO", "k", "GET", t, off),
                          ("BITFIELD", "nokey", "GET", t, off))
        self.diff(("EXISTS", "nokey"))

    def test_bitfield_set_incrby_overflow(self):
        values = ["0", "1", "-1", "5", "-5", "100", "127", "128", "-128", "-129", "255", "256", "1000",
                  str(2 ** 31), str(2 ** 62), str(LLONG_MAX), str(LLONG_MIN), str(LLONG_MIN + 1)]
        for t in ("u1", "i1", "u4", "i4", "u8", "i8", "u32", "i32", "u63", "i63", "i64"):
            for ow in ("WRAP", "SAT", "FAIL"):
                for v in values:
                    self.diff(("DEL", "k"), ("SET", "k", b"\x12\x34\x56\x78\x9a\xbc\xde\xf0\x55"),
                              ("BITFIELD", "k", "OVERFLOW", ow, "SET", t, "3", v, "GET", t, "3"),
                              ("BITFIELD", "k", "OVERFLOW", ow, "INCRBY", t, "3", v, "INCRBY", t, "3", v),
                              ("GET", "k"))
        # starting from a field's extremes
        for t, lo, hi in (("i8", "-128", "127"), ("u8", "0", "255"), ("i64", str(LLONG_MIN), str(LLONG_MAX)),
                          ("u63", "0", str(LLONG_MAX))):
            for start in (lo, hi):
                for ow in ("WRAP", "SAT", "FAIL"):
                    for inc in ("1", "-1", "0", str(LLONG_MAX), str(LLONG_MIN)):
                        self.diff(("BITFIELD", "x", "SET", t, "0", start),
                                  ("BITFIELD", "x", "OVERFLOW", ow, "INCRBY", t, "0", inc), ("GET", "x"))

    def test_bitfield_overflow_scopes_and_mixes(self):
        self.diff(("BITFIELD", "k", "INCRBY", "u2", "0", "5", "OVERFLOW", "SAT", "INCRBY", "u2", "0", "5",
                   "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5", "OVERFLOW", "wrap", "INCRBY", "u2", "0", "5"),
                  ("BITFIELD", "k", "overflow", "sat", "overflow", "fail", "incrby", "i3", "#1", "100",
                   "get", "i3", "#1", "set", "i3", "#1", "3", "get", "u6", "0"),
                  ("BITFIELD", "k", "OVERFLOW", "SAT"), ("BITFIELD", "k"), ("BITFIELD_RO", "k"),
                  ("GET", "k"))

    def test_bitfield_errors(self):
        self.diff(("SET", "k", "abc"))
        bad = [("GET", "u64", "0"), ("GET", "i65", "0"), ("GET", "i0", "0"), ("GET", "u0", "0"),
               ("GET", "x8", "0"), ("GET", "I8", "0"), ("GET", "U8", "0"), ("GET", "i", "0"),
               ("GET", "u-1", "0"), ("GET", "i08", "0"), ("GET", "i8 ", "0"), ("GET", "", "0"),
               ("GET", "i8", "-1"), ("GET", "i8", "x"), ("GET", "i8", "#x"), ("GET", "i8", "#-1"),
               ("GET", "i8", "##1"), ("GET", "i8", "4294967296"), ("GET", "u8", "#536870912"),
               ("GET", "u8", "#536870911"), ("GET", "i64", "#67108864"), ("GET", "i64", "#67108863"),
               ("GET", "i64", "#2305843009213693952"), ("GET", "u8", "#" + str(LLONG_MAX)),
               ("SET", "u8", "0", "x"), ("SET", "u8", "0", ""), ("SET", "u8", "0", "1.5"),
               ("SET", "u8", "0", str(LLONG_MAX) + "0"), ("INCRBY", "i8", "0", "x"),
               ("OVERFLOW", "NONE"), ("OVERFLOW",), ("GET", "u8"), ("GET",), ("SET", "u8", "0"),
               ("INCRBY", "u8", "0"), ("FOO", "u8", "0"), ("GET", "u8", "0", "extra"),
               ("SET", "x8", "-1", "y"), ("GET", "u8", "0", "SET", "u9", "x", "1"),
               ("SET", "u8", "0", "1", "GET", "u64", "0")]
        for args in bad:
            self.diff(("BITFIELD", "k", *args), ("BITFIELD", "nokey", *args), ("BITFIELD_RO", "k", *args),
                      ("EXISTS", "nokey"), ("GET", "k"))
        self.diff(("BITFIELD_RO", "k", "SET", "u8", "0", "1"), ("BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"),
                  ("BITFIELD_RO", "k", "GET", "u8", "0", "OVERFLOW", "SAT"),
                  ("BITFIELD_RO", "nokey", "INCRBY", "u8", "0", "1"), ("EXISTS", "nokey"),
                  ("BITFIELD",), ("BITFIELD_RO",), ("GET", "k"))

    # ---- events, dirty counting, MULTI, RESP3 ------------------------------

    def dirty(self):
        out = []
        for c in (self.a, self.b):
            info = c.cmd("INFO", "persistence").decode()
            out.append(int(info.split("rdb_changes_since_last_save:")[1].split("\r\n")[0]))
        return out

    def test_dirty_counting(self):
        steps = [("SETBIT", "k", "9", "1"), ("SETBIT", "k", "9", "1"), ("SETBIT", "k", "9", "0"),
                 ("SETBIT", "k", "3", "0"), ("SETBIT", "k", "30", "0"),
                 ("BITFIELD", "k", "SET", "u8", "0", "0"), ("BITFIELD", "k", "SET", "u8", "0", "7"),
                 ("BITFIELD", "k", "SET", "u8", "0", "1", "SET", "u8", "0", "7", "GET", "u8", "0"),
                 ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"),
                 ("BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"), ("EXISTS", "new"),
                 ("BITFIELD", "new", "SET", "u8", "100", "0"), ("STRLEN", "new"),
                 ("BITFIELD", "k", "GET", "u8", "0"), ("BITOP", "AND", "d", "nokey"),
                 ("BITOP", "AND", "d", "k"), ("BITOP", "AND", "d", "nokey"), ("SET", "n", "5"),
                 ("SETBIT", "n", "0", "0"), ("OBJECT", "ENCODING", "n")]
        base = self.dirty()
        for st in steps:
            self.diff(st)
            now = self.dirty()
            self.assertEqual(now[0] - base[0], now[1] - base[1], st)

    def test_keyspace_events(self):
        subs = []
        for srv, c in ((self.rill, self.a), (self.redis, self.b)):
            c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
            s = srv.conn()
            s.cmd("PSUBSCRIBE", "__key*__:*")
            subs.append(s)
        try:
            self.diff(("SETBIT", "k", "1", "1"), ("SETBIT", "k", "1", "1"), ("SETBIT", "k", "1", "0"),
                      ("BITFIELD", "k", "INCRBY", "u8", "0", "1"), ("BITFIELD", "k", "GET", "u8", "0"),
                      ("BITFIELD", "k", "SET", "u8", "0", "1"),
                      ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"),
                      ("BITOP", "OR", "d", "k"), ("BITOP", "OR", "d", "nokey"), ("BITOP", "OR", "d", "nokey"),
                      ("GETBIT", "nokey", "1"), ("BITCOUNT", "nokey"), ("BITPOS", "nokey", "1"),
                      ("SET", "end", "1"))
            got = []
            for s in subs:
                msgs = []
                while True:
                    m = harness.parse(s.read_raw())
                    msgs.append(m)
                    if m[2] == b"__keyevent@0__:set" and m[3] == b"end":
                        break
                got.append(msgs)
            self.assertEqual(got[0], got[1])
        finally:
            for s in subs:
                s.close()
            self.diff(("CONFIG", "SET", "notify-keyspace-events", ""))

    def test_multi(self):
        self.diff(("MULTI",), ("SETBIT", "k", "1", "1"), ("BITFIELD", "k", "INCRBY", "i8", "0", "200"),
                  ("BITOP", "NOT", "d", "k"), ("BITCOUNT", "d"), ("SETBIT", "k", "-1", "1"), ("EXEC",),
                  ("GET", "d"))
        self.diff(("MULTI",), ("SETBIT", "k", "1"), ("EXEC",))

    def test_resp3(self):
        ra, rb = self.both("HELLO", "3")
        self.assertFalse(ra.startswith(b"-"), ra)
        self.diff(("SETBIT", "k", "5", "1"), ("GETBIT", "k", "5"), ("BITCOUNT", "k"), ("BITPOS", "k", "1"),
                  ("BITOP", "OR", "d", "k"), ("BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "FAIL",
                                               "INCRBY", "u8", "0", "300", "SET", "i4", "0", "3"),
                  ("BITFIELD_RO", "k", "GET", "i4", "0"), ("BITFIELD", "nokey"),
                  ("SETBIT", "k", "x", "1"), ("BITFIELD", "k", "GET", "u64", "0"), ("RPUSH", "l", "x"),
                  ("GETBIT", "l", "0"), ("BITPOS", "k", "3"))

    # ---- random sequences ------------------------------------------------

    def test_random_sequences(self):
        seed = int(os.environ.get("RILL_BITMAP_SEED", "7"))
        rng = random.Random(seed)
        keys = ["a", "b", "c", "n"]

        def off():
            return str(rng.choice([rng.randrange(0, 80), rng.randrange(0, 400)]))

        def idx():
            return str(rng.randrange(-90, 90) if rng.random() < 0.5 else rng.randrange(-12, 12))

        def bftype():
            return rng.choice("iu") + str(rng.randrange(1, 64) if rng.random() < 0.5 else rng.choice((1, 8, 16, 63)))

        for step in range(2500):
            r = rng.random()
            k = rng.choice(keys)
            if r < 0.2:
                cmd = ("SETBIT", k, off(), rng.choice("01"))
            elif r < 0.3:
                cmd = ("GETBIT", k, off())
            elif r < 0.45:
                cmd = ("BITCOUNT", k, idx(), idx()) + ((rng.choice(("BIT", "BYTE")),) if rng.random() < 0.6 else ())
            elif r < 0.65:
                n = rng.randrange(0, 4)
                cmd = ("BITPOS", k, rng.choice("01"))
                if n >= 1:
                    cmd += (idx(),)
                if n >= 2:
                    cmd += (idx(),)
                if n >= 3:
                    cmd += (rng.choice(("BIT", "BYTE")),)
            elif r < 0.72:
                op = rng.choice(("AND", "OR", "XOR", "NOT"))
                srcs = [rng.choice(keys + ["nokey"]) for _ in range(1 if op == "NOT" else rng.randrange(1, 4))]
                cmd = ("BITOP", op, rng.choice(keys), *srcs)
            elif r < 0.95:
                cmd = ("BITFIELD", k)
                for _ in range(rng.randrange(1, 4)):
                    sub = rng.random()
                    t = bftype()
                    if t == "u64":
                        t = "i64"
                    o = off() if rng.random() < 0.8 else "#" + str(rng.randrange(0, 10))
                    if sub < 0.2:
                        cmd += ("OVERFLOW", rng.choice(("WRAP", "SAT", "FAIL")))
                    if sub < 0.5:
                        cmd += ("GET", t, o)
                    elif sub < 0.75:
                        cmd += ("SET", t, o, str(rng.randrange(-2 ** 63, 2 ** 63) if rng.random() < 0.3
                                                 else rng.randrange(-300, 300)))
                    else:
                        cmd += ("INCRBY", t, o, str(rng.randrange(-2 ** 63, 2 ** 63) if rng.random() < 0.2
                                                    else rng.randrange(-300, 300)))
            elif r < 0.97:
                cmd = ("SET", "n", str(rng.randrange(-10 ** 6, 10 ** 6)))
            else:
                cmd = ("GET", k)
            self.diff(cmd)
        for k in keys:
            self.state(k)


class BitmapsCommandTable(harness.DiffTestCase):
    NAMES = ("setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro")

    def test_rows_match_redis(self):
        for name in self.NAMES:
            ra = harness.parse(self.a.cmd("COMMAND", "INFO", name))[0]
            rb = harness.parse(self.b.cmd("COMMAND", "INFO", name))[0]
            self.assertEqual(ra[:7], rb[:7], name)
            self.assertEqual(len(ra[8]), len(rb[8]), name)
            for sa, sb in zip(ra[8], rb[8]):
                da, db = dict(zip(sa[0::2], sa[1::2])), dict(zip(sb[0::2], sb[1::2]))
                self.assertEqual(da[b"begin_search"], db[b"begin_search"], name)
                self.assertEqual(da[b"find_keys"], db[b"find_keys"], name)
            da = harness.parse(self.a.cmd("COMMAND", "DOCS", name))
            db = harness.parse(self.b.cmd("COMMAND", "DOCS", name))
            fa, fb = dict(zip(da[1][0::2], da[1][1::2])), dict(zip(db[1][0::2], db[1][1::2]))
            for k in (b"summary", b"since", b"group", b"complexity"):
                self.assertEqual(fa[k], fb[k], (name, k))

    def test_info_identical(self):
        # BITFIELD's key spec carries Redis's notes and variable_flags, which
        # Rill does not keep; the others are byte-identical, RESP2 and RESP3.
        names = [n for n in self.NAMES if n != "bitfield"]
        self.diff(*[("COMMAND", "INFO", n) for n in names], ("COMMAND", "INFO", "SETBIT", "BITOP"))
        self.a.cmd("HELLO", "3")
        self.b.cmd("HELLO", "3")
        self.diff(*[("COMMAND", "INFO", n) for n in names])

    def test_getkeys_and_lists(self):
        self.diff(("COMMAND", "GETKEYS", "bitop", "and", "d", "a", "b"),
                  ("COMMAND", "GETKEYS", "setbit", "k", "1", "1"),
                  ("COMMAND", "GETKEYS", "bitfield", "k", "GET", "u8", "0"),
                  ("COMMAND", "GETKEYS", "bitfield_ro", "k"))
        ra = sorted(harness.parse(self.a.cmd("COMMAND", "LIST", "FILTERBY", "ACLCAT", "bitmap")))
        rb = sorted(harness.parse(self.b.cmd("COMMAND", "LIST", "FILTERBY", "ACLCAT", "bitmap")))
        self.assertEqual(ra, [n for n in rb if n.decode() in self.NAMES])


def bitmap_writes(c):
    """Writes of every bitmap command; returns the keys they touch."""
    c.cmd("SETBIT", "sb", "1000", "1")
    c.cmd("SETBIT", "sb", "3", "1")
    c.cmd("SETBIT", "sb", "1000", "0")
    c.cmd("SET", "n", "12345")
    c.cmd("SETBIT", "n", "6", "1")
    c.cmd("SET", "ttl", "abc", "EX", "10000")
    c.cmd("SETBIT", "ttl", "50", "1")
    c.cmd("BITOP", "XOR", "op", "sb", "n", "ttl")
    c.cmd("BITOP", "NOT", "notted", "n")
    c.cmd("SET", "gone", "x")
    c.cmd("BITOP", "AND", "gone", "nokey")
    c.cmd("BITFIELD", "bf", "SET", "i17", "#3", "-1000", "INCRBY", "u5", "1", "40", "OVERFLOW", "SAT",
          "INCRBY", "i8", "100", "500", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9")
    c.cmd("BITFIELD", "failed", "OVERFLOW", "FAIL", "INCRBY", "u8", "200", "1000")   # created, nothing set
    c.cmd("SELECT", "3")
    c.cmd("SETBIT", "db3", "77", "1")
    c.cmd("SELECT", "0")
    return ["sb", "n", "ttl", "op", "notted", "gone", "bf", "failed", "nokey"]


def bitmap_state(c, keys):
    out = {}
    for k in keys:
        out[k] = (harness.parse(c.cmd("GET", k)), harness.parse(c.cmd("PEXPIRETIME", k)))
    c.cmd("SELECT", "3")
    out["db3"] = harness.parse(c.cmd("GET", "db3"))
    c.cmd("SELECT", "0")
    return out


class BitmapsRestart(harness.RestartTestCase):
    dir_prefix = "rill-bits-"

    def test_append_log_replay(self):
        s = self.start("--appendonly", "yes", "--appendfsync", "always")
        c = s.conn()
        keys = bitmap_writes(c)
        want = bitmap_state(c, keys)
        self.assertEqual(want["failed"][0], b"\x00" * 26)
        c.close()
        s.kill9()
        c = self.start("--appendonly", "yes").conn()
        self.assertEqual(bitmap_state(c, keys), want)
        c.close()

    def test_append_log_after_rewrite(self):
        s = self.start("--appendonly", "yes", "--appendfsync", "always")
        c = s.conn()
        keys = bitmap_writes(c)
        self.assertTrue(c.cmd("BGREWRITEAOF").startswith(b"+"))
        for _ in range(200):
            info = c.cmd("INFO", "persistence").decode()
            if "aof_rewrite_in_progress:0" in info and "aof_rewrite_scheduled:0" in info:
                break
            time.sleep(0.05)
        c.cmd("SETBIT", "sb", "2000", "1")
        c.cmd("BITFIELD", "bf", "INCRBY", "i64", "0", "-7")
        want = bitmap_state(c, keys)
        c.close()
        s.kill9()
        c = self.start("--appendonly", "yes").conn()
        self.assertEqual(bitmap_state(c, keys), want)
        c.close()

    def test_snapshot(self):
        s = self.start()
        c = s.conn()
        keys = bitmap_writes(c)
        want = bitmap_state(c, keys)
        self.assertEqual(c.cmd("SAVE"), b"+OK\r\n")
        c.close()
        s.kill9()
        c = self.start().conn()
        self.assertEqual(bitmap_state(c, keys), want)
        c.close()


if __name__ == "__main__":
    harness.main()
