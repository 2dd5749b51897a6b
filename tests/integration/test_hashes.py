"""Hash commands (broker/cmd_hash.c) against Redis 7.0.15.

HashesDiff sends the same commands to rill-server and redis-server and
asserts byte-identical raw replies for every command, option and error, in
RESP2 and RESP3.  Small hashes keep insertion order in both servers, so
their HGETALL/HKEYS/HRANDFIELD-all/HSCAN replies compare raw; big
(hashtable) hashes have an internal order, so those compare sorted.
OBJECT ENCODING must flip at the same thresholds as Redis.
"""
import harness

LLONG_MAX = 2 ** 63 - 1
LLONG_MIN = -2 ** 63


def pairs(flat):
    return sorted(zip(flat[0::2], flat[1::2]))


class HashesDiffBase(harness.DiffTestCase):
    resp = 2

    def setUp(self):
        super().setUp()
        if self.resp == 3:
            # The HELLO replies differ (server name, version): not compared.
            self.a.cmd("HELLO", "3")
            self.b.cmd("HELLO", "3")

    def both(self, *args):
        """Send one command to both servers; return the parsed (rill, redis) replies."""
        self.a.send(*args)
        self.b.send(*args)
        ra, rb = self.a.read_raw(), self.b.read_raw()
        return harness.parse(ra), harness.parse(rb)

    def same_sorted(self, *args):
        """Both replies hold the same elements, compared as sorted lists."""
        a, b = self.both(*args)
        if isinstance(a, dict):
            a, b = sorted(a.items()), sorted(b.items())
        else:
            a, b = sorted(a, key=repr), sorted(b, key=repr)
        self.assertEqual(a, b, args)
        return a

    def fill(self, key, n, prefix="f", vlen=3):
        args = ["HSET", key]
        for i in range(n):
            args += ["%s%d" % (prefix, i), ("v%d" % i).ljust(vlen, "x")]
        self.diff(args)

    def test_basic(self):
        self.diff(("HSET", "h", "a", "1", "b", "2"),
                  ("HSET", "h", "a", "10", "c", "3"),
                  ("HGET", "h", "a"), ("HGET", "h", "zz"), ("HGET", "nokey", "a"),
                  ("HMGET", "h", "a", "zz", "c"), ("HMGET", "nokey", "a", "b"),
                  ("HLEN", "h"), ("HLEN", "nokey"),
                  ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"), ("HEXISTS", "nokey", "a"),
                  ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "zz"), ("HSTRLEN", "nokey", "a"),
                  ("HSETNX", "h", "a", "x"), ("HSETNX", "h", "d", "4"), ("HSETNX", "new", "f", "v"),
                  ("HMSET", "h", "e", "5", "a", "11"),
                  ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"),
                  ("HGETALL", "nokey"), ("HKEYS", "nokey"), ("HVALS", "nokey"),
                  ("HSET", "h", "", ""), ("HGET", "h", ""), ("HSTRLEN", "h", ""),
                  ("HSET", "h", "bin\x00\r\n", "\x00\xff"), ("HGET", "h", "bin\x00\r\n"),
                  ("HSET", "h", "007", "-0"), ("HSET", "h", "n", "12345678901234567890"),
                  ("HGETALL", "h"), ("HSTRLEN", "h", "n"),
                  ("TYPE", "h"), ("OBJECT", "ENCODING", "h"))

    def test_hdel_and_empty_key_removed(self):
        self.diff(("HSET", "h", "a", "1", "b", "2", "c", "3"),
                  ("HDEL", "h", "zz"), ("HDEL", "h", "a", "a", "zz"),
                  ("HGETALL", "h"), ("HDEL", "nokey", "a"),
                  ("HDEL", "h", "b", "c", "d"), ("EXISTS", "h"), ("TYPE", "h"),
                  ("HLEN", "h"), ("HGETALL", "h"))
        self.fill("big", 600)
        args = ["HDEL", "big"] + ["f%d" % i for i in range(600)] + ["f0"]
        self.diff(args, ("EXISTS", "big"))

    def test_arity_and_wrongtype(self):
        self.diff(("HSET", "h", "f"), ("HSET", "h", "f", "v", "g"), ("HMSET", "h", "f", "v", "g"),
                  ("HSET", "h"), ("HSETNX", "h", "f"), ("HGET", "h"), ("HMGET", "h"),
                  ("HDEL", "h"), ("HLEN",), ("HSTRLEN", "h"), ("HEXISTS", "h"),
                  ("HGETALL",), ("HKEYS",), ("HVALS",), ("HINCRBY", "h", "f"),
                  ("HINCRBYFLOAT", "h", "f"), ("HRANDFIELD",), ("HSCAN", "h"), ("EXISTS", "h"))
        self.diff(("SET", "s", "x"))
        for cmd in (("HSET", "s", "f", "v"), ("HMSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"),
                    ("HGET", "s", "f"), ("HMGET", "s", "f"), ("HDEL", "s", "f"), ("HLEN", "s"),
                    ("HSTRLEN", "s", "f"), ("HEXISTS", "s", "f"), ("HGETALL", "s"),
                    ("HKEYS", "s"), ("HVALS", "s"), ("HINCRBY", "s", "f", "1"),
                    ("HINCRBYFLOAT", "s", "f", "1"), ("HRANDFIELD", "s"),
                    ("HRANDFIELD", "s", "2"), ("HRANDFIELD", "s", "-2", "WITHVALUES"),
                    ("HSCAN", "s", "0"), ("GET", "s")):
            self.diff(cmd)
        self.diff(("HSET", "h", "f", "v"), ("GET", "h"), ("INCR", "h"), ("APPEND", "h", "x"))

    def test_hincrby(self):
        self.diff(("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-15"),
                  ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.5"), ("HINCRBY", "h", "n", ""),
                  ("HINCRBY", "h", "n", "99999999999999999999"),
                  ("HSET", "h", "s", "abc", "big", str(LLONG_MAX), "small", str(LLONG_MIN),
                   "sp", " 1", "lead", "01", "e", ""),
                  ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "sp", "1"), ("HINCRBY", "h", "lead", "1"),
                  ("HINCRBY", "h", "e", "1"),
                  ("HINCRBY", "h", "big", "1"), ("HINCRBY", "h", "big", "0"), ("HINCRBY", "h", "big", "-1"),
                  ("HINCRBY", "h", "small", "-1"), ("HINCRBY", "h", "small", "1"),
                  ("HINCRBY", "nokey", "f", "x"), ("EXISTS", "nokey"),
                  ("HGETALL", "h"))
        self.diff(("SET", "s", "1"), ("HINCRBY", "s", "f", "x"), ("HINCRBY", "s", "f", "1"))

    def test_hincrbyfloat(self):
        self.diff(("HINCRBYFLOAT", "h", "f", "10.5"), ("HINCRBYFLOAT", "h", "f", "0.1"),
                  ("HINCRBYFLOAT", "h", "f", "-5"), ("HINCRBYFLOAT", "h", "f", "5.0e3"),
                  ("HINCRBYFLOAT", "h", "f", "abc"), ("HINCRBYFLOAT", "h", "f", ""),
                  ("HINCRBYFLOAT", "h", "f", "nan"), ("HINCRBYFLOAT", "h", "f", "inf"),
                  ("HINCRBYFLOAT", "h", "f", "-inf"), ("HINCRBYFLOAT", "h", "f", " 1"),
                  ("HSET", "h", "s", "x1", "i", "7", "big", "1e308"),
                  ("HINCRBYFLOAT", "h", "s", "1"), ("HINCRBYFLOAT", "h", "i", "0.25"),
                  ("HINCRBYFLOAT", "h", "big", "1e308"), ("HINCRBYFLOAT", "h", "big", "-1e308"),
                  ("HINCRBYFLOAT", "h", "g", "1.23456789012345678"),
                  ("HINCRBYFLOAT", "h", "g", "3e-20"),
                  ("HINCRBYFLOAT", "nokey", "f", "nan"), ("EXISTS", "nokey"),
                  ("OBJECT", "ENCODING", "h"))
        self.same_sorted("HGETALL", "h")      # converted: a 308-byte value

    def test_hrandfield_errors(self):
        self.diff(("HSET", "h", "a", "1"))
        for args in (("x",), ("1.5",), ("",), (str(LLONG_MIN),), (str(LLONG_MAX + 1),),
                     ("1", "WITHVALUE"), ("1", "WITHVALUES", "x"), ("1", "withvalues", "withvalues"),
                     (str(LLONG_MAX // 2 + 1), "WITHVALUES"), (str(-(LLONG_MAX // 2) - 1), "WITHVALUES"),
                     (str(LLONG_MAX // 2), "WITHVALUES"), (str(LLONG_MAX),)):
            self.diff(("HRANDFIELD", "h") + args)
        # Argument errors come before the key lookup, as in Redis.
        self.diff(("HRANDFIELD", "nokey", "x"), ("HRANDFIELD", "nokey", "1", "bad"),
                  ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "5"),
                  ("HRANDFIELD", "nokey", "-5", "WITHVALUES"), ("HRANDFIELD", "h", "0"),
                  ("HRANDFIELD", "h", "0", "WITHVALUES"))

    def check_randfield(self, key, fields):
        """HRANDFIELD replies on key: shapes and members agree with Redis."""
        size = len(fields)
        # count >= size: the whole hash (raw-equal while small: same order).
        for count in (size, size + 5):
            ra, rb = self.both("HRANDFIELD", key, str(count), "WITHVALUES")
            norm = (lambda r: sorted(map(tuple, r))) if self.resp == 3 else pairs
            self.assertEqual(norm(ra), norm(rb))
        if size <= 512:
            self.diff(("HRANDFIELD", key, str(size + 1)), ("HRANDFIELD", key, str(size + 1), "WITHVALUES"))
        for count in (1, 2, size // 2 + 1, size - 1, -1, -3, -(size * 3)):
            for wv in ((), ("WITHVALUES",)):
                ra, rb = self.both("HRANDFIELD", key, str(count), *wv)
                self.assertEqual(len(ra), len(rb), (count, wv, ra, rb))
                got = ra
                if wv and self.resp == 2:
                    got = list(zip(ra[0::2], ra[1::2]))
                elif wv:
                    got = [tuple(p) for p in ra]
                for item in got:
                    if wv:
                        self.assertEqual(fields.get(item[0]), item[1])
                    else:
                        self.assertIn(item, fields)
                if count > 0:
                    keys = [i[0] for i in got] if wv else got
                    self.assertEqual(len(set(keys)), len(keys), "repeats in positive count")
        one = harness.parse(self.a.cmd("HRANDFIELD", key))
        self.assertIn(one, fields)

    def test_hrandfield_small_and_big(self):
        self.fill("small", 10)
        self.check_randfield("small", {b"f%d" % i: (b"v%d" % i).ljust(3, b"x") for i in range(10)})
        self.fill("mid", 300)
        self.check_randfield("mid", {b"f%d" % i: (b"v%d" % i).ljust(3, b"x") for i in range(300)})
        self.fill("big", 700)
        self.diff(("OBJECT", "ENCODING", "big"))
        self.check_randfield("big", {b"f%d" % i: (b"v%d" % i).ljust(3, b"x") for i in range(700)})
        # Negative count can return every field, repeats included.
        ra = harness.parse(self.a.cmd("HRANDFIELD", "small", "-2000"))
        self.assertEqual(len(ra), 2000)
        self.assertEqual(len(set(ra)), 10)

    def test_encoding_thresholds(self):
        self.fill("h", 512)
        self.diff(("OBJECT", "ENCODING", "h"), ("HSET", "h", "f0", "again"),
                  ("OBJECT", "ENCODING", "h"), ("HSET", "h", "extra", "1"),
                  ("OBJECT", "ENCODING", "h"), ("HDEL", "h", "extra", "f1"),
                  ("OBJECT", "ENCODING", "h"))
        v64, v65 = "x" * 64, "x" * 65
        self.diff(("HSET", "a", "f", v64), ("OBJECT", "ENCODING", "a"),
                  ("HSET", "a", v64, "v"), ("OBJECT", "ENCODING", "a"),
                  ("HSET", "a", "g", v65), ("OBJECT", "ENCODING", "a"),
                  ("HSET", "b", v65, "v"), ("OBJECT", "ENCODING", "b"),
                  ("HSET", "c", "f", "v", "g", v65), ("OBJECT", "ENCODING", "c"),
                  ("HMSET", "d", "f", v65), ("OBJECT", "ENCODING", "d"))
        # HSETNX on an existing field; HINCRBY/HINCRBYFLOAT with a long field.
        self.diff(("HSET", "e", "f", "v"), ("HSETNX", "e", "f", v65), ("OBJECT", "ENCODING", "e"),
                  ("HSETNX", "e", v65, "v"), ("OBJECT", "ENCODING", "e"),
                  ("HINCRBY", "i", v65, "1"), ("OBJECT", "ENCODING", "i"),
                  ("HINCRBYFLOAT", "j", v65, "1.5"), ("OBJECT", "ENCODING", "j"),
                  ("HINCRBYFLOAT", "k", "f", "1" * 70), ("OBJECT", "ENCODING", "k"))
        # Many pairs in one HSET crossing 128.
        args = ["HSET", "m"]
        for i in range(513):
            args += ["k%d" % i, "v"]
        self.diff(args, ("OBJECT", "ENCODING", "m"), ("HLEN", "m"))

    def test_config_thresholds(self):
        try:
            self.diff(("CONFIG", "SET", "hash-max-listpack-entries", "4"),
                      ("CONFIG", "SET", "hash-max-listpack-value", "8"),
                      ("CONFIG", "GET", "hash-max-listpack-entries"),
                      ("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"), ("OBJECT", "ENCODING", "h"),
                      ("HSET", "h", "e", "5"), ("OBJECT", "ENCODING", "h"),
                      ("HSET", "v", "f", "12345678"), ("OBJECT", "ENCODING", "v"),
                      ("HINCRBYFLOAT", "v", "g", "1.23456789"), ("OBJECT", "ENCODING", "v"))
        finally:
            self.diff(("CONFIG", "SET", "hash-max-listpack-entries", "512"),
                      ("CONFIG", "SET", "hash-max-listpack-value", "64"))

    def test_big_hash(self):
        self.fill("h", 600, vlen=20)
        self.diff(("HLEN", "h"), ("HGET", "h", "f250"), ("HMGET", "h", "f1", "nope", "f599"),
                  ("HEXISTS", "h", "f7"), ("HSTRLEN", "h", "f3"), ("OBJECT", "ENCODING", "h"))
        self.same_sorted("HKEYS", "h")
        self.same_sorted("HVALS", "h")
        a, b = self.both("HGETALL", "h")
        if self.resp == 3:
            self.assertEqual(a, b)
        else:
            self.assertEqual(pairs(a), pairs(b))
        self.diff(("HINCRBY", "h", "n", "3"), ("HINCRBYFLOAT", "h", "n", "0.5"), ("HSETNX", "h", "f1", "x"))
        args = ["HDEL", "h"] + ["f%d" % i for i in range(0, 600, 2)]
        self.diff(args, ("HLEN", "h"), ("OBJECT", "ENCODING", "h"))

    def test_hscan_small(self):
        self.fill("h", 20)
        self.diff(("HSCAN", "h", "0"), ("HSCAN", "h", "0", "COUNT", "2"),
                  ("HSCAN", "h", "0", "MATCH", "f1*"), ("HSCAN", "h", "0", "match", "*", "count", "100"),
                  ("HSCAN", "h", "12345"), ("HSCAN", "h", "0", "MATCH", "nothing"),
                  ("HSCAN", "nokey", "0"), ("HSCAN", "nokey", "0", "COUNT", "0"),
                  ("HSCAN", "h", "x"), ("HSCAN", "h", "-1"), ("HSCAN", "h", " 1"), ("HSCAN", "nokey", "x"),
                  ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "x"),
                  ("HSCAN", "h", "0", "COUNT"), ("HSCAN", "h", "0", "MATCH"),
                  ("HSCAN", "h", "0", "TYPE", "string"), ("HSCAN", "h", "0", "NOVALUES"),
                  ("HSCAN", "h", "0", "COUNT", "-1"), ("HSCAN", "h", "0", "FOO", "bar"))

    def full_scan(self, conn, key, *opts):
        cursor, seen, calls = b"0", [], 0
        while True:
            cursor, items = harness.parse(conn.cmd("HSCAN", key, cursor, *opts))
            seen += list(zip(items[0::2], items[1::2]))
            calls += 1
            if cursor == b"0":
                return set(seen), calls

    def test_hscan_big(self):
        self.fill("h", 1000)
        a, calls = self.full_scan(self.a, "h", "COUNT", "20")
        b, _ = self.full_scan(self.b, "h", "COUNT", "20")
        self.assertEqual(a, b)
        self.assertEqual(len(a), 1000)
        self.assertGreater(calls, 5)          # really iterated, not returned whole
        a, _ = self.full_scan(self.a, "h", "MATCH", "f1??")
        b, _ = self.full_scan(self.b, "h", "MATCH", "f1??")
        self.assertEqual(a, b)
        self.assertEqual(len(a), 100)

    def test_keyspace_integration(self):
        self.diff(("HSET", "h", "a", "1", "b", "2"),
                  ("COPY", "h", "h2"), ("HGETALL", "h2"), ("HSET", "h2", "a", "changed"),
                  ("HGET", "h", "a"), ("OBJECT", "ENCODING", "h2"),
                  ("RENAME", "h", "h3"), ("HGETALL", "h3"), ("EXISTS", "h"),
                  ("TYPE", "h3"), ("SCAN", "0", "TYPE", "hash", "MATCH", "h2"),
                  ("SET", "str", "x"), ("SCAN", "0", "TYPE", "string"),
                  ("PEXPIRE", "h3", "1"))
        self.fill("big", 600)
        self.diff(("COPY", "big", "big2"), ("HLEN", "big2"), ("OBJECT", "ENCODING", "big2"),
                  ("DEL", "big"), ("HLEN", "big2"))
        import time
        time.sleep(0.05)
        self.diff(("HGETALL", "h3"), ("EXISTS", "h3"), ("HSET", "h3", "x", "y"), ("TTL", "h3"),
                  ("EXPIRE", "h3", "100"), ("HSET", "h3", "z", "w"), ("TTL", "h3"))

    def test_multi_exec(self):
        self.diff(("MULTI",), ("HSET", "h", "a", "1"), ("HINCRBY", "h", "a", "2"),
                  ("HINCRBYFLOAT", "h", "a", "0.5"), ("HGETALL", "h"), ("EXEC",))


class HashesDiffResp2(HashesDiffBase):
    resp = 2


class HashesDiffResp3(HashesDiffBase):
    resp = 3


del HashesDiffBase      # run only through the two protocol variants


class HashesRill(harness.RillTestCase):
    """Behaviour that cannot be diffed raw: huge values, many random ops."""

    def test_large_value(self):
        big = b"y" * (1 << 20)
        self.assertEqual(self.c.cmd("HSET", "h", "f", big), b":1\r\n")
        self.assertEqual(self.c.cmd("HSTRLEN", "h", "f"), b":1048576\r\n")
        self.assertEqual(self.c.cmd("HGET", "h", "f"), b"$1048576\r\n" + big + b"\r\n")
        self.assertEqual(self.c.cmd("OBJECT", "ENCODING", "h"), b"$9\r\nhashtable\r\n")

    def test_random_ops_shadow(self):
        import random
        rnd = random.Random(7)
        shadow = {}
        for _ in range(3000):
            f = "f%d" % rnd.randrange(300)
            op = rnd.randrange(4)
            if op < 2:
                v = "v" * rnd.randrange(80)
                added = 0 if f in shadow else 1
                self.assertEqual(self.c.cmd("HSET", "h", f, v), b":%d\r\n" % added)
                shadow[f] = v.encode()
            elif op == 2:
                gone = 1 if f in shadow else 0
                self.assertEqual(self.c.cmd("HDEL", "h", f), b":%d\r\n" % gone)
                shadow.pop(f, None)
            else:
                got = harness.parse(self.c.cmd("HGET", "h", f))
                self.assertEqual(got, shadow.get(f))
        got = harness.parse(self.c.cmd("HGETALL", "h"))
        self.assertEqual(sorted(zip(got[0::2], got[1::2])),
                         sorted((k.encode(), v) for k, v in shadow.items()))


if __name__ == "__main__":
    harness.main()
