"""String commands (broker/cmd_string.c) against Redis 7.0.15.

StringsDiff sends the same commands to rill-server and redis-server and
asserts byte-identical replies: every command, option combination and error
path, in RESP2 and (when HELLO is available) RESP3.  StringsRill checks what
cannot be compared raw: TTLs within a range, big values, APPEND growth.
"""
import itertools
import time

import harness

LLONG_MAX = 2 ** 63 - 1
LLONG_MIN = -2 ** 63


def is_error(raw):
    return raw.startswith(b"-")


class StringsDiffBase(harness.DiffTestCase):
    def both(self, *args):
        """Send one command to both servers; return (rill, redis) raw replies."""
        self.a.send(*args)
        self.b.send(*args)
        return self.a.read_raw(), self.b.read_raw()

    def make_list(self, key):
        """A non-string key on both servers, or skip when rill has no lists yet."""
        ra, rb = self.both("RPUSH", key, "x")
        if is_error(ra):
            self.skipTest("rill has no list type yet: %r" % ra)
        self.assertEqual(ra, rb)

    def assert_ttl_close(self, key, tolerance=1):
        """TTL of key agrees on both servers: same -1/-2, or within tolerance seconds."""
        ra, rb = self.both("TTL", key)
        a, b = harness.parse(ra), harness.parse(rb)
        self.assertIsInstance(a, int, ra)
        if b < 0 or a < 0:
            self.assertEqual(a, b, "TTL %s" % key)
        else:
            self.assertLessEqual(abs(a - b), tolerance, "TTL %s: rill %d redis %d" % (key, a, b))
        return a

    def hello3(self):
        ra, rb = self.both("HELLO", "3")
        if is_error(ra):
            self.skipTest("HELLO not available in rill yet: %r" % ra)
        self.assertFalse(is_error(rb))


class StringsDiff(StringsDiffBase):
    # ---- GET / SET ------------------------------------------------------

    def test_get_set_values(self):
        values = ["v", "", "123", "-123", "0", "9999", "10000", "01", "+1", " 1", "1.5",
                  str(LLONG_MAX), str(LLONG_MIN), str(LLONG_MAX) + "0", "a" * 44, "a" * 45,
                  b"bin\x00ary\r\n\xff", "x" * 5000]
        for v in values:
            self.diff(("SET", "k", v), ("GET", "k"), ("STRLEN", "k"), ("OBJECT", "ENCODING", "k"))
        self.diff(("GET", "missing"), ("SET", "k", "v", "EXTRA"), ("GET", "k"))

    def test_set_overwrites_and_clears_ttl(self):
        self.diff(("SET", "k", "v", "EX", "100"), ("SET", "k", "w"), ("TTL", "k"), ("GET", "k"))
        self.diff(("SET", "k", "v", "EX", "100"), ("SET", "k", "w", "KEEPTTL"), ("GET", "k"))
        self.assert_ttl_close("k")

    def test_set_option_grammar(self):
        """Every combination of up to three options, on an absent key, a key
        with a TTL, and a plain key: reply, value and TTL class agree."""
        future_s = str(int(time.time()) + 1000)
        future_ms = str(int(time.time() * 1000) + 1000000)
        opts = [("NX",), ("XX",), ("GET",), ("KEEPTTL",), ("EX", "100"), ("PX", "100000"),
                ("EXAT", future_s), ("PXAT", future_ms), ("nx",), ("Get",), ("keepTTL",),
                ("ex", "50"), ("PERSIST",), ("EX",), ("FOO",)]
        combos = [()]
        for n in (1, 2, 3):
            combos += list(itertools.product(opts, repeat=n)) if n < 3 else \
                list(itertools.combinations(opts, 3))
        for state in ("absent", "ttl", "plain"):
            for combo in combos:
                args = [a for opt in combo for a in opt]
                self.diff(("DEL", "k"))
                if state == "ttl":
                    self.diff(("SET", "k", "old", "EX", "200"))
                elif state == "plain":
                    self.diff(("SET", "k", "old"))
                self.diff(("SET", "k", "new", *args), ("GET", "k"))
                self.assert_ttl_close("k")

    def test_set_option_case_and_binary(self):
        self.diff(("SET", "k", "v", b"nx\x00junk"), ("GET", "k"))       # C-string compare, as Redis
        self.diff(("SET", "k", "v", b"get\x00"), ("SET", "k", "w", b"Ex\x00", "10"))
        self.diff(("SET", "k", "v", "NXX"), ("SET", "k", "v", "N"), ("SET", "k", "v", ""))
        self.diff(("SET", "k", "v", "EX", "10", "EX", "20"), ("TTL", "k"))
        self.diff(("SET", "k", "v", "PX", "10", "PXAT", "99999999999999"),
                  ("SET", "k", "v", "EXAT", "1", "EX", "1"),
                  ("SET", "k", "v", "KEEPTTL", "PX", "1"),
                  ("SET", "k", "v", "PX", "1", "KEEPTTL"),
                  ("SET", "k", "v", "XX", "NX"),
                  ("SET", "k", "v", "NX", "GET"),
                  ("SET", "k", "v", "GET", "GET", "NX", "NX"))

    def test_set_expire_errors(self):
        cases = ["0", "-1", "-100", "abc", "1.5", "", " 1", "1 ", "01", str(LLONG_MAX), str(LLONG_MIN),
                 str(LLONG_MAX // 1000), str(LLONG_MAX // 1000 + 1), str(LLONG_MAX) + "1",
                 "9223372036854775", "9223372036854776"]
        for unit in ("EX", "PX", "EXAT", "PXAT"):
            for v in cases:
                self.diff(("SET", "k", "v", unit, v), ("EXISTS", "k"), ("DEL", "k"))
        # the expire is validated before GET replies and before NX/XX
        self.diff(("SET", "k", "old"), ("SET", "k", "v", "GET", "EX", "0"), ("SET", "k", "v", "NX", "EX", "x"),
                  ("GET", "k"))

    def test_set_past_absolute_time(self):
        self.diff(("SET", "k", "v", "EXAT", "1"), ("GET", "k"), ("EXISTS", "k"))
        self.diff(("SET", "k", "v", "PXAT", "1", "GET"), ("GET", "k"))
        self.diff(("SET", "k", "v", "PXAT", str(int(time.time() * 1000) - 1)), ("GET", "k"))

    def test_set_nx_xx_get(self):
        self.diff(("SET", "k", "v", "XX"), ("GET", "k"), ("SET", "k", "v", "NX"), ("SET", "k", "w", "NX"),
                  ("GET", "k"), ("SET", "k", "w", "XX"), ("GET", "k"),
                  ("SET", "k", "x", "NX", "GET"), ("GET", "k"),
                  ("SET", "k2", "x", "XX", "GET"), ("EXISTS", "k2"),
                  ("SET", "k2", "x", "NX", "GET"), ("GET", "k2"),
                  ("SET", "k2", "y", "GET"), ("SET", "k2", "z", "XX", "GET"), ("GET", "k2"),
                  ("SET", "n", "42"), ("SET", "n", "43", "GET"), ("SET", "n", "44", "GET", "KEEPTTL"))

    def test_set_get_wrongtype(self):
        self.make_list("l")
        self.diff(("SET", "l", "v", "GET"), ("TYPE", "l"), ("SET", "l", "v", "NX", "GET"),
                  ("SET", "l", "v", "XX", "GET", "EX", "10"), ("TYPE", "l"),
                  ("SET", "l", "v", "GET", "EX", "0"),          # expire error first
                  ("SET", "l", "v", "NX"), ("TYPE", "l"),
                  ("SET", "l", "v"), ("TYPE", "l"), ("GET", "l"))

    def test_expired_key_and_keepttl(self):
        self.diff(("PSETEX", "k", "1", "v"))
        time.sleep(0.05)
        self.diff(("SET", "k", "w", "KEEPTTL"), ("GET", "k"), ("TTL", "k"))
        self.diff(("PSETEX", "k", "1", "v"))
        time.sleep(0.05)
        self.diff(("SET", "k", "w", "XX"), ("GET", "k"), ("SET", "k", "x", "NX", "GET"), ("GET", "k"))

    # ---- SETNX / SETEX / PSETEX / GETSET / GETDEL -------------------------

    def test_setnx(self):
        self.diff(("SETNX", "k", "v"), ("SETNX", "k", "w"), ("GET", "k"), ("SETNX", "n", "12"),
                  ("OBJECT", "ENCODING", "n"), ("SETNX", "k"), ("SETNX", "k", "v", "x"))

    def test_setnx_wrongtype_key_exists(self):
        self.make_list("l")
        self.diff(("SETNX", "l", "v"), ("TYPE", "l"))

    def test_setex_psetex(self):
        for cmd in ("SETEX", "PSETEX"):
            for t in ("0", "-1", "abc", "", "1.5", str(LLONG_MAX), str(LLONG_MAX // 1000),
                      str(LLONG_MAX // 1000 + 1), "9223372036854775", "100000"):
                self.diff((cmd, "k", t, "v"), ("GET", "k"), ("DEL", "k"))
            self.diff((cmd, "k", "100"), (cmd, "k", "100", "v", "x"), ("setex" if cmd == "SETEX" else "psetex", "k", "0", "v"))
        self.diff(("SET", "k", "old"), ("SETEX", "k", "100", "123"), ("GET", "k"), ("OBJECT", "ENCODING", "k"))
        self.assert_ttl_close("k")
        self.diff(("PSETEX", "k", "100000", "val"), ("GET", "k"))
        self.assert_ttl_close("k")

    def test_setex_overwrites_other_type(self):
        self.make_list("l")
        self.diff(("SETEX", "l", "100", "v"), ("TYPE", "l"), ("GET", "l"))

    def test_getset(self):
        self.diff(("GETSET", "k", "v"), ("GETSET", "k", "w"), ("GET", "k"),
                  ("SET", "k", "v", "EX", "100"), ("GETSET", "k", "123"), ("TTL", "k"),
                  ("OBJECT", "ENCODING", "k"), ("GETSET", "k", "x" * 100), ("GETSET", "k", ""),
                  ("GET", "k"), ("GETSET", "k"))

    def test_getset_wrongtype(self):
        self.make_list("l")
        self.diff(("GETSET", "l", "v"), ("TYPE", "l"))

    def test_getdel(self):
        self.diff(("GETDEL", "k"), ("SET", "k", "v", "EX", "100"), ("GETDEL", "k"), ("EXISTS", "k"),
                  ("GETDEL", "k"), ("SET", "n", "77"), ("GETDEL", "n"), ("GETDEL", "n", "x"))

    def test_getdel_wrongtype(self):
        self.make_list("l")
        self.diff(("GETDEL", "l"), ("TYPE", "l"))

    # ---- GETEX -----------------------------------------------------------

    def test_getex_grammar(self):
        future_s = str(int(time.time()) + 1000)
        opts = [("EX", "100"), ("PX", "100000"), ("EXAT", future_s), ("PXAT", future_s + "000"),
                ("PERSIST",), ("KEEPTTL",), ("NX",), ("XX",), ("GET",), ("EX",), ("persist",), ("Px", "5000")]
        combos = [()] + [c for n in (1, 2) for c in itertools.product(opts, repeat=n)]
        for combo in combos:
            args = [a for opt in combo for a in opt]
            self.diff(("SET", "k", "v", "EX", "200"), ("GETEX", "k", *args), ("GET", "k"))
            self.assert_ttl_close("k")
            self.diff(("GETEX", "missing", *args))

    def test_getex_errors_and_order(self):
        for unit in ("EX", "PX", "EXAT", "PXAT"):
            for v in ("0", "-1", "abc", str(LLONG_MAX), str(LLONG_MAX // 1000 + 1), "9223372036854775"):
                # a missing key answers null before the value is checked
                self.diff(("GETEX", "nokey", unit, v), ("SET", "k", "v"), ("GETEX", "k", unit, v),
                          ("GET", "k"))
        self.diff(("GETEX", "k", "EX", "1", "garbage"), ("GETEX", "nokey", "garbage"))

    def test_getex_wrongtype(self):
        self.make_list("l")
        self.diff(("GETEX", "l"), ("GETEX", "l", "EX", "-1"), ("GETEX", "l", "PERSIST"),
                  ("GETEX", "l", "BAD"), ("TYPE", "l"))

    def test_getex_persist_and_past(self):
        self.diff(("SET", "k", "v", "EX", "100"), ("GETEX", "k", "PERSIST"), ("TTL", "k"),
                  ("GETEX", "k", "PERSIST"), ("TTL", "k"),
                  ("GETEX", "k", "EXAT", "1"), ("EXISTS", "k"),
                  ("SET", "k", "12"), ("GETEX", "k", "PXAT", "1"), ("EXISTS", "k"),
                  ("SET", "k", "v"), ("GETEX", "k", "PXAT", str(int(time.time() * 1000) - 5)),
                  ("GET", "k"), ("SET", "k", "v"), ("GETEX", "k", "EX", "100"), ("GETEX", "k"))
        self.assert_ttl_close("k")

    # ---- MGET / MSET / MSETNX --------------------------------------------

    def test_mget(self):
        self.diff(("MSET", "a", "1", "b", "", "c", "x" * 50), ("MGET", "a", "b", "c", "missing", "a"),
                  ("MGET", "missing"), ("MGET",))

    def test_mget_wrongtype_is_null(self):
        self.make_list("l")
        self.diff(("SET", "s", "v"), ("MGET", "s", "l", "nope"))

    def test_mset(self):
        self.diff(("MSET", "a", "1", "b", "2"), ("MGET", "a", "b"), ("MSET", "a"), ("MSET", "a", "1", "b"),
                  ("MSET",), ("MSET", "a", "x", "a", "y", "a", "12"), ("GET", "a"), ("OBJECT", "ENCODING", "a"),
                  ("SET", "t", "v", "EX", "100"), ("MSET", "t", "w"), ("TTL", "t"))

    def test_msetnx(self):
        self.diff(("MSETNX", "a", "1", "b", "2"), ("MSETNX", "b", "3", "c", "4"), ("MGET", "a", "b", "c"),
                  ("MSETNX", "c", "1", "c", "2"), ("GET", "c"), ("MSETNX", "d"), ("MSETNX", "d", "1", "e"),
                  ("EXISTS", "d", "e"))

    def test_mset_over_other_type(self):
        self.make_list("l")
        self.diff(("MSETNX", "l", "v", "z", "1"), ("EXISTS", "z"), ("MSET", "l", "v"), ("TYPE", "l"))

    # ---- APPEND / STRLEN -------------------------------------------------

    def test_append(self):
        self.diff(("APPEND", "n", "123"), ("OBJECT", "ENCODING", "n"), ("APPEND", "n", "4"),
                  ("OBJECT", "ENCODING", "n"), ("GET", "n"), ("INCR", "n"), ("OBJECT", "ENCODING", "n"),
                  ("APPEND", "s", "abc"), ("OBJECT", "ENCODING", "s"), ("APPEND", "s", ""),
                  ("OBJECT", "ENCODING", "s"), ("APPEND", "s", b"\x00\xff"), ("GET", "s"),
                  ("APPEND", "e", ""), ("EXISTS", "e"), ("GET", "e"),
                  ("SET", "z", "1"), ("APPEND", "z", "0"), ("GET", "z"), ("GET", "1"),
                  ("SET", "t", "v", "EX", "100"), ("APPEND", "t", "w"), ("APPEND", "big", "x" * 5000),
                  ("STRLEN", "big"), ("APPEND", "big", "y" * 10), ("STRLEN", "big"))
        self.assert_ttl_close("t")

    def test_append_wrongtype(self):
        self.make_list("l")
        self.diff(("APPEND", "l", "x"), ("STRLEN", "l"))

    def test_strlen(self):
        self.diff(("STRLEN", "nope"), ("SET", "k", "hello"), ("STRLEN", "k"), ("SET", "k", "-12345"),
                  ("STRLEN", "k"), ("SET", "k", ""), ("STRLEN", "k"), ("STRLEN", "k", "x"))

    # ---- GETRANGE / SUBSTR / SETRANGE --------------------------------------

    def test_getrange(self):
        idx = ["0", "1", "2", "4", "5", "6", "100", "-1", "-2", "-5", "-6", "-100", str(LLONG_MAX), str(LLONG_MIN)]
        for value in ("hello", "-1234", ""):
            self.diff(("SET", "k", value))
            for s, e in itertools.product(idx, repeat=2):
                self.diff(("GETRANGE", "k", s, e))
        self.diff(("SUBSTR", "k", "0", "-1"), ("SET", "k", "abcdef"), ("SUBSTR", "k", "1", "3"),
                  ("GETRANGE", "nope", "0", "-1"), ("GETRANGE", "k", "a", "1"), ("GETRANGE", "k", "0", "1.0"),
                  ("GETRANGE", "nope", "x", "1"), ("GETRANGE", "k", "0"), ("SUBSTR", "k", str(LLONG_MAX) + "0", "1"))

    def test_getrange_wrongtype(self):
        self.make_list("l")
        self.diff(("GETRANGE", "l", "0", "-1"), ("GETRANGE", "l", "x", "0"))

    def test_setrange(self):
        self.diff(("SETRANGE", "k", "0", "abc"), ("GET", "k"), ("OBJECT", "ENCODING", "k"),
                  ("SETRANGE", "k", "1", "X"), ("GET", "k"), ("SETRANGE", "k", "6", "Z"), ("GET", "k"),
                  ("SETRANGE", "k", "2", ""), ("SETRANGE", "k", "-1", "x"), ("SETRANGE", "k", "x", "y"),
                  ("SETRANGE", "new", "3", "ab"), ("GET", "new"), ("SETRANGE", "empty", "100", ""),
                  ("EXISTS", "empty"), ("SET", "n", "12"), ("SETRANGE", "n", "0", "3"), ("GET", "n"),
                  ("OBJECT", "ENCODING", "n"), ("SET", "sh", "5"), ("SETRANGE", "sh", "1", "0"), ("GET", "sh"),
                  ("GET", "5"), ("SET", "t", "v", "EX", "100"), ("SETRANGE", "t", "0", "w"))
        self.assert_ttl_close("t")

    def test_setrange_limits(self):
        # 512 MB: only the refused sizes (a successful one would allocate 512 MB on each server)
        for off, val in (("536870912", "x"), ("536870911", "xy"), ("536870913", ""), (str(LLONG_MAX), "x"),
                         (str(2 ** 62), "xy"), ("1099511627776", "x"), (str(LLONG_MAX) + "0", "x"),
                         (str(LLONG_MIN), "x"), ("-0", "x")):
            self.diff(("SETRANGE", "nk", off, val), ("EXISTS", "nk"), ("SET", "k", "abc"),
                      ("SETRANGE", "k", off, val), ("GET", "k"))

    def test_setrange_wrongtype(self):
        self.make_list("l")
        self.diff(("SETRANGE", "l", "0", "x"), ("SETRANGE", "l", "0", ""), ("SETRANGE", "l", "-1", "x"),
                  ("SETRANGE", "l", "536870912", "x"))

    # ---- INCR family ------------------------------------------------------

    def test_incr_decr(self):
        self.diff(("INCR", "k"), ("INCR", "k"), ("DECR", "k"), ("DECR", "k"), ("DECR", "k"),
                  ("OBJECT", "ENCODING", "k"), ("INCRBY", "k", "10000"), ("OBJECT", "ENCODING", "k"),
                  ("INCRBY", "k", "-20000"), ("DECRBY", "k", "-5"), ("DECRBY", "new", "3"),
                  ("INCRBY", "k", "abc"), ("INCRBY", "k", ""), ("INCRBY", "k", "1.5"), ("INCRBY", "k", " 1"),
                  ("INCRBY", "k", str(LLONG_MAX) + "0"), ("DECRBY", "k", "x"), ("GET", "k"))

    def test_incr_values(self):
        for v in ("abc", "", " 1", "1 ", "01", "+1", "1.0", "0x10", "1e3", "-0", "-", str(LLONG_MAX) + "0",
                  "9999", "-1", "10000", "x" * 50, "123456789012345678901"):
            self.diff(("SET", "k", v), ("INCR", "k"), ("GET", "k"), ("OBJECT", "ENCODING", "k"))

    def test_incr_overflow(self):
        self.diff(("SET", "k", str(LLONG_MAX)), ("INCR", "k"), ("INCRBY", "k", "0"), ("DECR", "k"),
                  ("INCRBY", "k", "2"), ("SET", "k", str(LLONG_MIN)), ("DECR", "k"), ("DECRBY", "k", "1"),
                  ("INCRBY", "k", str(LLONG_MIN)), ("INCRBY", "k", str(LLONG_MAX)), ("GET", "k"),
                  ("DECRBY", "k", str(LLONG_MIN)), ("DECRBY", "z", str(LLONG_MIN)), ("EXISTS", "z"),
                  ("SET", "k", "-1"), ("INCRBY", "k", str(LLONG_MIN)), ("DECRBY", "k", str(LLONG_MAX)),
                  ("GET", "k"), ("SET", "k", "1"), ("INCRBY", "k", str(LLONG_MAX)),
                  ("SET", "k", "0"), ("DECRBY", "k", str(LLONG_MAX)), ("DECR", "k"), ("DECR", "k"))

    def test_incr_keeps_ttl_and_encodings(self):
        self.diff(("SET", "k", "10", "EX", "100"), ("INCR", "k"), ("OBJECT", "ENCODING", "k"))
        self.assert_ttl_close("k")
        self.diff(("SET", "k", "99999"), ("INCR", "k"), ("INCR", "k"), ("OBJECT", "ENCODING", "k"),
                  ("SETRANGE", "r", "0", "42"), ("OBJECT", "ENCODING", "r"), ("INCR", "r"),
                  ("OBJECT", "ENCODING", "r"), ("APPEND", "a", "x"), ("SET", "a", "7"), ("DECR", "a"),
                  ("OBJECT", "ENCODING", "a"))

    def test_incr_wrongtype(self):
        self.make_list("l")
        self.diff(("INCR", "l"), ("DECR", "l"), ("INCRBY", "l", "1"), ("INCRBY", "l", "x"),
                  ("DECRBY", "l", str(LLONG_MIN)), ("DECRBY", "l", "1"), ("INCRBYFLOAT", "l", "1"),
                  ("INCRBYFLOAT", "l", "x"), ("TYPE", "l"))

    def test_incrbyfloat(self):
        self.diff(("INCRBYFLOAT", "f", "10.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "5.0e3"),
                  ("OBJECT", "ENCODING", "f"), ("INCRBYFLOAT", "f", "-5010.6"), ("GET", "f"),
                  ("SET", "i", "5"), ("INCRBYFLOAT", "i", "1"), ("OBJECT", "ENCODING", "i"),
                  ("INCRBYFLOAT", "i", "-6"), ("INCRBYFLOAT", "i", "-0.0"), ("GET", "i"),
                  ("SET", "y", "1"), ("INCRBYFLOAT", "y", "1e-20"), ("INCRBYFLOAT", "y", "3e-17"),
                  ("SET", "b", "1e308"), ("INCRBYFLOAT", "b", "1e308"), ("INCRBYFLOAT", "b", "-1e308"),
                  ("SET", "t", "1.5", "EX", "100"), ("INCRBYFLOAT", "t", "1.5"), ("OBJECT", "ENCODING", "t"),
                  ("INCR", "t"), ("OBJECT", "ENCODING", "t"), ("INCRBYFLOAT", "neg", "-0.000001"),
                  ("INCRBYFLOAT", "big", "1e40"), ("STRLEN", "big"), ("OBJECT", "ENCODING", "big"))
        self.assert_ttl_close("t")

    def test_incrbyfloat_parsing(self):
        for inc in ("abc", "", " 1", "1 ", "nan", "NaN", "-nan", "inf", "-inf", "infinity", "+inf", "1e",
                    ".5", "5.", "+1", "0x10", "1e5000", "-1e5000", "1e-5000", "1,5", "1.5.5", "0", "-0",
                    "1" * 100, "0." + "0" * 300 + "1", b"1\x00"):
            self.diff(("SET", "k", "1"), ("INCRBYFLOAT", "k", inc), ("GET", "k"),
                      ("INCRBYFLOAT", "new", inc), ("GET", "new"), ("DEL", "new"))
        for val in ("abc", "", " 1", "inf", "-inf", "1e5000", "0x1p3", "3.0", "1e2", "nan"):
            self.diff(("SET", "k", val), ("INCRBYFLOAT", "k", "1"), ("INCRBYFLOAT", "k", "x"), ("GET", "k"))

    def test_incrbyfloat_huge(self):
        self.diff(("SET", "k", "1e4900"), ("INCRBYFLOAT", "k", "1e4900"), ("STRLEN", "k"),
                  ("INCRBYFLOAT", "k", "1e4930"), ("GET", "k"))

    # ---- arity and other small things -------------------------------------

    def test_arity(self):
        for cmd in (("GET",), ("GET", "a", "b"), ("SET", "k"), ("SETNX", "k"), ("SETEX", "k", "1"),
                    ("PSETEX", "k"), ("MGET",), ("MSET", "k"), ("MSETNX",), ("GETSET", "k"), ("GETDEL",),
                    ("GETEX",), ("APPEND", "k"), ("STRLEN",), ("GETRANGE", "k", "0"), ("SUBSTR", "k"),
                    ("SETRANGE", "k", "0"), ("INCR",), ("DECR", "a", "b"), ("INCRBY", "k"),
                    ("DECRBY", "k", "1", "2"), ("INCRBYFLOAT", "k"), ("get",), ("Set", "k")):
            self.diff(cmd)

    def test_pipelined_mix(self):
        cmds = [("SET", "k%d" % i, str(i)) for i in range(50)] + \
               [("INCR", "k%d" % i) for i in range(50)] + \
               [("APPEND", "k%d" % i, "x") for i in range(0, 50, 7)] + \
               [("MGET",) + tuple("k%d" % i for i in range(50))]
        raw = b"".join(harness.Conn.encode(*c) for c in cmds)
        self.a.send_raw(raw)
        self.b.send_raw(raw)
        for c in cmds:
            self.assertEqual(self.a.read_raw(), self.b.read_raw(), c)

    # ---- RESP3 ------------------------------------------------------------

    def test_resp3(self):
        self.hello3()
        self.diff(("GET", "nope"), ("SET", "k", "v"), ("SET", "k", "w", "NX"), ("SET", "k", "w", "XX", "GET"),
                  ("SET", "q", "w", "XX", "GET"), ("MGET", "k", "nope", "q"), ("GETEX", "nope"),
                  ("GETDEL", "nope"), ("GETSET", "nope", "1"), ("INCRBYFLOAT", "f", "1.5"),
                  ("INCR", "n"), ("GETRANGE", "nope", "0", "1"), ("STRLEN", "k"), ("SETNX", "k", "1"),
                  ("MSETNX", "a", "1"), ("SET", "k", "v", "EX", "0"), ("INCR", "k"))

    def test_resp3_wrongtype(self):
        self.hello3()
        self.make_list("l")
        self.diff(("GET", "l"), ("MGET", "l", "x"), ("SET", "l", "v", "GET"))


class StringsDiffSmallLimit(StringsDiffBase):
    """proto-max-bulk-len at its minimum (1 MB) to reach the size checks."""
    extra = ("--proto-max-bulk-len", "1mb")

    def test_append_limit(self):
        mb = 1024 * 1024
        self.diff(("SET", "k", "x" * (mb - 3)), ("APPEND", "k", "abc"), ("APPEND", "k", "d"), ("STRLEN", "k"),
                  ("APPEND", "k", ""), ("APPEND", "new", "y" * 10))

    def test_setrange_limit(self):
        mb = 1024 * 1024
        self.diff(("SETRANGE", "k", str(mb - 1), "x"), ("STRLEN", "k"), ("SETRANGE", "k", str(mb), "x"),
                  ("SETRANGE", "k", str(mb - 1), "xy"), ("SETRANGE", "k", str(mb - 2), "xy"),
                  ("SETRANGE", "k2", str(mb), "x"), ("EXISTS", "k2"), ("SETRANGE", "k2", str(mb), ""))


class StringsRill(harness.RillTestCase):
    def pttl(self, key):
        return harness.parse(self.c.cmd("PTTL", key))

    def test_ttl_ranges(self):
        c = self.c
        now_ms = int(time.time() * 1000)
        self.assertEqual(c.cmd("SET", "a", "v", "EX", "100"), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "b", "v", "PX", "5000"), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "c", "v", "EXAT", str(now_ms // 1000 + 200)), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "d", "v", "PXAT", str(now_ms + 300000)), b"+OK\r\n")
        self.assertEqual(c.cmd("SETEX", "e", "50", "v"), b"+OK\r\n")
        self.assertEqual(c.cmd("PSETEX", "f", "7000", "v"), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "g", "v"), b"+OK\r\n")
        self.assertEqual(c.cmd("GETEX", "g", "PX", "9000"), b"$1\r\nv\r\n")
        self.assertEqual(c.cmd("SET", "h", "v"), b"+OK\r\n")
        self.assertEqual(c.cmd("GETEX", "h", "EXAT", str(now_ms // 1000 + 400)), b"$1\r\nv\r\n")
        for key, lo, hi in (("a", 98000, 100000), ("b", 3000, 5000), ("c", 198000, 201000),
                            ("d", 298000, 300000), ("e", 48000, 50000), ("f", 5000, 7000),
                            ("g", 7000, 9000), ("h", 398000, 401000)):
            p = self.pttl(key)
            self.assertTrue(lo <= p <= hi, "PTTL %s = %r not in [%d, %d]" % (key, p, lo, hi))

    def test_short_expiry_really_expires(self):
        c = self.c
        c.cmd("SET", "a", "v", "PX", "50")
        c.cmd("PSETEX", "b", "50", "v")
        c.cmd("SET", "k", "v")
        c.cmd("GETEX", "k", "PX", "50")
        c.cmd("SET", "x", "1", "PX", "50")
        self.assertEqual(c.cmd("INCR", "x"), b":2\r\n")          # keeps the TTL
        self.assertEqual(c.cmd("INCRBYFLOAT", "x", "0.5"), b"$3\r\n2.5\r\n")
        time.sleep(0.2)
        for k in ("a", "b", "k", "x"):
            self.assertEqual(c.cmd("GET", k), b"$-1\r\n", k)

    def test_keepttl_keeps(self):
        c = self.c
        c.cmd("SET", "k", "v", "EX", "100")
        c.cmd("SET", "k", "w", "KEEPTTL")
        self.assertGreater(self.pttl("k"), 90000)
        c.cmd("SET", "k", "x", "GET")
        self.assertEqual(self.pttl("k"), -1)

    def test_big_value_roundtrip(self):
        c = self.server.conn(timeout=60)
        try:
            big = bytes(range(256)) * (100 * 1024 * 1024 // 256)
            self.assertEqual(c.cmd("SET", "big", big), b"+OK\r\n")
            self.assertEqual(c.cmd("STRLEN", "big"), b":%d\r\n" % len(big))
            self.assertEqual(c.cmd("GET", "big"), b"$%d\r\n%s\r\n" % (len(big), big))
            self.assertEqual(c.cmd("SET", "big2", big, "EX", "100", "GET"), b"$-1\r\n")
            self.assertEqual(c.cmd("GETRANGE", "big2", "-3", "-1"), b"$3\r\n\xfd\xfe\xff\r\n")
            self.assertEqual(c.cmd("APPEND", "big", "tail"), b":%d\r\n" % (len(big) + 4))
            self.assertEqual(c.cmd("GETRANGE", "big", "-6", "-1"), b"$6\r\n\xfe\xfftail\r\n")
            self.assertEqual(c.cmd("GETSET", "big2", "small"), b"$%d\r\n%s\r\n" % (len(big), big))
            self.assertEqual(c.cmd("GET", "big2"), b"$5\r\nsmall\r\n")
            # the same key twice with big values: the first value is freed by the second
            self.assertEqual(c.cmd("MSET", "m1", big, "m1", big[:5000], "m2", "x"), b"+OK\r\n")
            self.assertEqual(c.cmd("STRLEN", "m1"), b":5000\r\n")
            self.assertEqual(c.cmd("GETDEL", "big"), b"$%d\r\n%stail\r\n" % (len(big) + 4, big))
            self.assertEqual(c.cmd("EXISTS", "big"), b":0\r\n")
        finally:
            c.close()

    def test_append_growth(self):
        c = self.c
        expect = b""
        for i in range(2000):
            piece = (b"%d," % i) * (1 + i % 7)
            expect += piece
            self.assertEqual(c.cmd("APPEND", "g", piece), b":%d\r\n" % len(expect))
        self.assertEqual(c.cmd("GET", "g"), b"$%d\r\n%s\r\n" % (len(expect), expect))
        self.assertEqual(c.cmd("OBJECT", "ENCODING", "g"), b"$3\r\nraw\r\n")
        # a shared small integer is copied, never changed in place
        c.cmd("SET", "one", "5")
        c.cmd("SET", "two", "5")
        self.assertEqual(c.cmd("APPEND", "one", "0"), b":2\r\n")
        self.assertEqual(c.cmd("SETRANGE", "two", "0", "7"), b":1\r\n")
        self.assertEqual(c.cmd("MGET", "one", "two"), b"*2\r\n$2\r\n50\r\n$1\r\n7\r\n")
        self.assertEqual(c.cmd("INCRBY", "three", "5"), b":5\r\n")

    def test_incr_many(self):
        c = self.c
        n = 20000
        c.send_raw(harness.Conn.encode("INCR", "ctr") * n)
        for i in range(1, n + 1):
            self.assertEqual(c.read_raw(), b":%d\r\n" % i)
        self.assertEqual(c.cmd("OBJECT", "ENCODING", "ctr"), b"$3\r\nint\r\n")
        # two counters that pass through the shared range stay independent
        c.cmd("SET", "x", "9998")
        c.cmd("SET", "y", "9998")
        c.cmd("INCR", "x")
        c.cmd("INCR", "x")
        self.assertEqual(c.cmd("MGET", "x", "y"), b"*2\r\n$5\r\n10000\r\n$4\r\n9998\r\n")
        c.cmd("DECRBY", "x", "10001")
        self.assertEqual(c.cmd("MGET", "x", "y"), b"*2\r\n$2\r\n-1\r\n$4\r\n9998\r\n")

    def test_set_get_many_pipelined(self):
        c = self.c
        n = 5000
        c.send_raw(b"".join(harness.Conn.encode("SET", "k%d" % i, "v%d" % i) for i in range(n)))
        for _ in range(n):
            self.assertEqual(c.read_raw(), b"+OK\r\n")
        keys = ["k%d" % i for i in range(0, n, 10)]
        reply = harness.parse(c.cmd("MGET", *keys))
        self.assertEqual(reply, [("v%d" % i).encode() for i in range(0, n, 10)])


if __name__ == "__main__":
    harness.main()
