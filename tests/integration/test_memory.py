"""MEMORY USAGE | STATS | PURGE | DOCTOR | MALLOC-STATS | HELP.

Diff cases compare raw replies with redis-server 7.0.15 where they must be
the same (errors, HELP, DOCTOR on an empty server, the STATS field names);
the byte counts are Rill's own, so those cases check how they behave."""
import os
import unittest

import harness
from harness import parse


class MemoryDiff(harness.DiffTestCase):
    def test_errors_and_help(self):
        self.a.cmd("SET", "k", "v")
        self.b.cmd("SET", "k", "v")
        self.diff(("MEMORY",), ("MEMORY", "FOO"), ("MEMORY", "USAGE"), ("MEMORY", "PURGE", "x"),
                  ("MEMORY", "DOCTOR", "x"), ("MEMORY", "STATS", "x"), ("MEMORY", "MALLOC-STATS", "x"),
                  ("MEMORY", "HELP", "x"), ("MEMORY", "HELP"), ("MEMORY", "help"),
                  ("MEMORY", "USAGE", "k", "SAMPLES"), ("MEMORY", "USAGE", "k", "SAMPLES", "-1"),
                  ("MEMORY", "USAGE", "k", "SAMPLES", "x"), ("MEMORY", "USAGE", "k", "FOO", "1"),
                  ("MEMORY", "USAGE", "nokey"), ("MEMORY", "USAGE", "nokey", "SAMPLES", "x"),
                  ("MEMORY", "PURGE"))

    def test_doctor_on_an_empty_server(self):
        self.diff(("MEMORY", "DOCTOR"))
        self.a.cmd("HELLO", "3")
        self.b.cmd("HELLO", "3")
        self.diff(("MEMORY", "DOCTOR"))

    def test_stats_fields(self):
        """The same field names in the same order (the values are each
        server's own), with db.N only for databases holding keys."""
        for c in (self.a, self.b):
            c.cmd("SET", "k", "v")
            c.cmd("SELECT", "3")
            c.cmd("SET", "k3", "v")
            c.cmd("SELECT", "0")
        ra, rb = parse(self.a.cmd("MEMORY", "STATS")), parse(self.b.cmd("MEMORY", "STATS"))
        self.assertEqual(ra[0::2], rb[0::2])
        stats = dict(zip(ra[0::2], ra[1::2]))
        self.assertEqual(stats[b"keys.count"], 2)
        self.assertIsInstance(stats[b"db.3"], list)
        self.assertNotIn(b"db.1", stats)
        self.assertGreater(stats[b"total.allocated"], 0)
        self.assertGreaterEqual(stats[b"peak.allocated"], stats[b"total.allocated"])


class Memory(harness.RillTestCase):
    def usage(self, key, *extra):
        r = parse(self.c.cmd("MEMORY", "USAGE", key, *extra))
        self.assertIsInstance(r, int, r)
        return r

    def test_usage_grows_with_the_value(self):
        self.c.cmd("SET", "small", "x")
        self.c.cmd("SET", "big", "x" * 10000)
        self.assertGreater(self.usage("small"), 0)
        self.assertGreater(self.usage("big"), 10000)
        self.assertLess(self.usage("big"), 10000 + 1024)
        self.assertEqual(self.usage("big", "SAMPLES", "0"), self.usage("big"))
        self.c.cmd("SET", "ttl", "x", "EX", "100")
        self.assertGreater(self.usage("ttl"), self.usage("small"))   # the expiry's entry

    def test_usage_of_every_type(self):
        c = self.c
        c.cmd("RPUSH", "l", *[b"e%d" % i for i in range(1000)])
        c.cmd("HSET", "h", *[b"f%d" % (i // 2) if i % 2 == 0 else b"v" for i in range(2000)])
        c.cmd("SADD", "s", *[b"m%d" % i for i in range(1000)])
        c.cmd("ZADD", "z", *[x for i in range(1000) for x in (str(i).encode(), b"m%d" % i)])
        for i in range(100):
            c.cmd("XADD", "x", "*", "f", "v%d" % i)
        c.cmd("QPUSH", "q", "job")
        for key in ("l", "h", "s", "z", "x", "q"):
            self.assertGreater(self.usage(key), 100, key)
        # A list ten times longer takes more.
        c.cmd("RPUSH", "l2", *[b"e%d" % i for i in range(10000)])
        self.assertGreater(self.usage("l2"), self.usage("l"))

    def test_usage_does_not_touch_the_key(self):
        self.c.cmd("SET", "k", "v")
        self.c.cmd("DEBUG", "SLEEP", "0")
        before = parse(self.c.cmd("OBJECT", "IDLETIME", "k"))
        self.c.cmd("MEMORY", "USAGE", "k")
        self.assertGreaterEqual(parse(self.c.cmd("OBJECT", "IDLETIME", "k")), before)

    def test_purge_and_malloc_stats(self):
        self.assertEqual(self.c.cmd("MEMORY", "PURGE"), b"+OK\r\n")
        allocator = parse(self.c.cmd("INFO", "memory")).decode()
        stats = parse(self.c.cmd("MEMORY", "MALLOC-STATS"))
        if "mem_allocator:jemalloc-" in allocator:
            self.assertTrue(stats.startswith(b"___ Begin jemalloc statistics ___"), stats[:80])
        else:
            self.assertIn("mem_allocator:libc", allocator)
            self.assertEqual(stats, b"Stats not supported for the current allocator")

    @unittest.skipUnless(os.path.exists("/usr/bin/ldd"), "needs ldd")
    def test_allocator_reported_is_the_one_linked(self):
        import subprocess
        linked = "libjemalloc" in subprocess.run(["ldd", harness.rill_binary()], capture_output=True,
                                                 text=True).stdout
        allocator = parse(self.c.cmd("INFO", "memory")).decode()
        self.assertEqual("mem_allocator:jemalloc-" in allocator, linked, allocator)


if __name__ == "__main__":
    harness.main()
