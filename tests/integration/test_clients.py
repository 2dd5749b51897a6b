"""Real clients against Rill: redis-py and redis-cli, used as people use them.

RedisPy: strings, integers, MGET, pipelines (plain and MULTI/EXEC), a
connection pool shared by threads, decode_responses, error replies.
RedisCli: one-shot commands, --no-raw formatting (compared with what the
same redis-cli prints against redis-server 7.0.15), commands read from
stdin, -x, and --pipe mass insertion of 100,000 keys.
"""
import os
import shutil
import subprocess
import threading
import unittest

import harness

try:
    import redis
except ImportError:  # pragma: no cover
    redis = None

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


@unittest.skipIf(redis is None, "redis-py not installed")
class RedisPy(harness.RillTestCase):

    def setUp(self):
        super().setUp()
        self.r = redis.Redis(port=self.server.port)
        self.addCleanup(self.r.close)

    def test_strings(self):
        r = self.r
        self.assertTrue(r.ping())
        self.assertTrue(r.set("k", "v"))
        self.assertEqual(r.get("k"), b"v")
        self.assertIsNone(r.get("missing"))
        self.assertTrue(r.set("bin", b"\x00\xff\r\n"))
        self.assertEqual(r.get("bin"), b"\x00\xff\r\n")
        self.assertEqual(r.incr("n"), 1)
        self.assertEqual(r.incr("n", 41), 42)
        self.assertEqual(r.decr("n"), 41)
        self.assertAlmostEqual(r.incrbyfloat("f", 1.5), 1.5)
        self.assertEqual(r.mget("k", "missing", "n"), [b"v", None, b"41"])
        self.assertTrue(r.mset({"a": "1", "b": "2"}))
        self.assertEqual(r.mget(["a", "b"]), [b"1", b"2"])
        self.assertIsNone(r.set("k", "w", nx=True))
        self.assertTrue(r.set("e", "x", ex=100))
        self.assertTrue(0 < r.ttl("e") <= 100)
        self.assertEqual(r.append("k", "xyz"), 4)
        self.assertEqual(r.strlen("k"), 4)
        self.assertEqual(r.exists("k", "a", "missing"), 2)
        self.assertEqual(r.delete("a", "b", "missing"), 2)
        self.assertEqual(sorted(r.keys("*")), [b"bin", b"e", b"f", b"k", b"n"])
        self.assertEqual(sorted(r.scan_iter(match="*", count=2)), [b"bin", b"e", b"f", b"k", b"n"])
        self.assertEqual(r.dbsize(), 5)
        self.assertEqual(r.echo("hi"), b"hi")
        big = os.urandom(5 << 20)
        r.set("big", big)
        self.assertEqual(r.get("big"), big)

    def test_errors(self):
        self.r.set("s", "abc")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.incr("s")
        self.assertEqual(str(e.exception), "value is not an integer or out of range")
        with self.assertRaises(redis.ResponseError):
            self.r.execute_command("NOSUCHCOMMAND")
        self.assertEqual(self.r.get("s"), b"abc")   # the connection is still good

    def test_pipeline_no_transaction(self):
        p = self.r.pipeline(transaction=False)
        for i in range(1000):
            p.set("p%d" % i, i)
            p.incr("counter")
        p.get("p999")
        p.incr("p0", "notanumber")   # an error in the middle
        p.get("p1")
        res = p.execute(raise_on_error=False)
        self.assertEqual(res[:4], [True, 1, True, 2])
        self.assertEqual(res[1999], 1000)
        self.assertEqual(res[2000], b"999")
        self.assertIsInstance(res[2001], redis.ResponseError)
        self.assertEqual(res[2002], b"1")

    def test_pipeline_transaction(self):
        p = self.r.pipeline(transaction=True)
        p.set("t", 1).incr("t").incrby("t", 10).get("t")
        self.assertEqual(p.execute(), [True, 2, 12, b"12"])
        self.assertEqual(self.r.get("t"), b"12")

    def test_pool_threads(self):
        pool = redis.ConnectionPool(port=self.server.port, max_connections=8)
        self.addCleanup(pool.disconnect)
        errors = []

        def work(tid):
            try:
                r = redis.Redis(connection_pool=pool)
                for i in range(300):
                    r.incr("shared")
                    r.set("t%d:%d" % (tid, i), i)
                    if r.get("t%d:%d" % (tid, i)) != str(i).encode():
                        errors.append("thread %d: bad value at %d" % (tid, i))
            except Exception as exc:   # reported below
                errors.append("thread %d: %r" % (tid, exc))

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        r = redis.Redis(connection_pool=pool)
        self.assertEqual(r.get("shared"), b"2400")
        self.assertEqual(r.dbsize(), 1 + 8 * 300)
        self.assertLessEqual(len(pool._available_connections) + len(pool._in_use_connections), 8)

    def test_decode_responses(self):
        r = redis.Redis(port=self.server.port, decode_responses=True)
        self.addCleanup(r.close)
        self.assertTrue(r.set("u", "héllo wörld ✓"))
        self.assertEqual(r.get("u"), "héllo wörld ✓")
        self.assertEqual(r.strlen("u"), len("héllo wörld ✓".encode()))
        self.assertEqual(r.mget("u", "nokey"), ["héllo wörld ✓", None])
        self.assertEqual(r.incr("c"), 1)
        self.assertEqual(r.keys("u"), ["u"])
        info = r.info()
        self.assertIn("redis_version", info)
        self.assertEqual(r.config_get("maxmemory"), {"maxmemory": "0"})
        self.assertTrue(any(c.get("cmd") in ("client|list", "client") for c in r.client_list()))


def cli(port, *args, stdin=None, timeout=60):
    """Run redis-cli against port; returns (returncode, stdout bytes, stderr bytes)."""
    p = subprocess.run([REDIS_CLI, "-p", str(port)] + list(args), input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


@unittest.skipIf(not os.path.exists(REDIS_CLI), "redis-cli not installed")
class RedisCli(harness.DiffTestCase):

    def both_cli(self, *args, stdin=None):
        """The same redis-cli invocation against both servers: same output."""
        ra = cli(self.rill.port, *args, stdin=stdin)
        rb = cli(self.redis.port, *args, stdin=stdin)
        self.assertEqual(ra, rb, "redis-cli %r differs" % (args,))
        return ra

    def test_ping(self):
        rc, out, err = cli(self.rill.port, "ping")
        self.assertEqual((rc, out), (0, b"PONG\n"), err)

    def test_no_raw(self):
        self.assertEqual(cli(self.rill.port, "set", "k", "v")[1], b"OK\n")
        self.assertEqual(cli(self.rill.port, "--no-raw", "get", "k")[1], b'"v"\n')
        self.both_cli("set", "k", "va\x01ue")
        for args in (("get", "k"), ("get", "missing"), ("incr", "n"), ("incr", "k"),
                     ("mget", "k", "missing", "n"), ("exists", "k", "n"), ("nosuch", "x")):
            self.both_cli("--no-raw", *args)
            self.both_cli(*args)   # raw: stdout is not a terminal

    def test_commands_from_stdin(self):
        script = (b"SET a 1\nINCR a\nINCRBY a 10\nGET a\nSET b \"hello world\"\nGET b\n"
                  b"MGET a b nokey\nDEL a\nEXISTS a b\nECHO 'quoted \\'x\\''\nINCR b\nPING\n")
        rc, out, err = cli(self.rill.port, stdin=script)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.split(b"\n")[:7], [b"OK", b"2", b"12", b"12", b"OK", b"hello world", b"12"])
        for c in (self.a, self.b):
            c.cmd("FLUSHALL")
        self.both_cli(stdin=script)
        self.both_cli("--no-raw", stdin=script)

    def test_x_reads_last_argument(self):
        rc, out, err = cli(self.rill.port, "-x", "set", "fromstdin", stdin=b"line1\nline2\x00end")
        self.assertEqual((rc, out), (0, b"OK\n"), err)
        self.assertEqual(self.a.cmd("GET", "fromstdin"), b"$15\r\nline1\nline2\x00end\r\n")

    def test_pipe_mass_insertion(self):
        n = 100000
        data = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nvalue:%d\r\n"
                        % (len(b"key:%d" % i), i, len(b"value:%d" % i), i) for i in range(n))
        rc, out, err = cli(self.rill.port, "--pipe", stdin=data, timeout=120)
        self.assertEqual(rc, 0, err)
        self.assertIn(b"errors: 0, replies: %d" % n, out, out + err)
        self.assertEqual(self.a.cmd("DBSIZE"), b":%d\r\n" % n)
        self.assertEqual(self.a.cmd("GET", "key:77777"), b"$11\r\nvalue:77777\r\n")
        # Errors are counted too, as redis-server counts them.
        bad = (data[:data.index(b"*3", 1000)] + b"*2\r\n$4\r\nINCR\r\n$5\r\nkey:1\r\n" +
               b"*1\r\n$6\r\nNOSUCH\r\n")
        ra = cli(self.rill.port, "--pipe", stdin=bad)
        rb = cli(self.redis.port, "--pipe", stdin=bad)
        self.assertIn(b"errors: 2, replies:", ra[1])
        self.assertEqual(ra[1].split(b"errors:")[1], rb[1].split(b"errors:")[1])
        # A stream cut inside a bulk: the same protocol error from both.
        self.both_cli("--pipe", stdin=data[:1000] + bad[-40:])


if __name__ == "__main__":
    harness.main()
