#!/usr/bin/env python3
"""Encoding thresholds set at run time, and SWAPDB / FLUSHDB / FLUSHALL
waking blocked clients: every reply compared byte for byte with Redis
7.0.15 (harness.DiffTestCase)."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def enc(key):
    return ("OBJECT", "ENCODING", key)


class EncodingConfig(harness.DiffTestCase):
    def tearDown(self):
        for c in (self.a, self.b):
            for name, val in (("zset-max-listpack-entries", "128"), ("zset-max-listpack-value", "64"),
                              ("list-max-listpack-size", "-2"), ("hash-max-listpack-entries", "512"),
                              ("hash-max-listpack-value", "64"), ("set-max-intset-entries", "512")):
                c.cmd("CONFIG", "SET", name, val)
        super().tearDown()

    def test_config_get_set(self):
        self.diff(("CONFIG", "GET", "zset-max-listpack-entries"), ("CONFIG", "GET", "zset-max-listpack-value"),
                  ("CONFIG", "GET", "list-max-listpack-size"),
                  ("CONFIG", "SET", "zset-max-listpack-entries", "3"), ("CONFIG", "GET", "zset-max-listpack-entries"),
                  ("CONFIG", "SET", "zset-max-listpack-value", "0"), ("CONFIG", "GET", "zset-max-listpack-value"),
                  ("CONFIG", "SET", "list-max-listpack-size", "-5"), ("CONFIG", "GET", "list-max-listpack-size"),
                  ("CONFIG", "SET", "list-max-listpack-size", "7"), ("CONFIG", "GET", "list-max-listpack-size"),
                  ("CONFIG", "SET", "list-max-listpack-size", "-2"))

    def test_bad_values(self):
        for name in ("zset-max-listpack-entries", "zset-max-listpack-value", "list-max-listpack-size"):
            # (Redis takes "" as 0 for memory values; we refuse it.)
            self.diff(("CONFIG", "SET", name, "abc"), ("CONFIG", "SET", name, "1.5"), ("CONFIG", "GET", name))
        # (zset-max-listpack-entries takes 0..INT_MAX here, Redis 0..LONG_MAX: out-of-range texts differ.)
        self.diff(("CONFIG", "SET", "zset-max-listpack-value", "-1"), ("CONFIG", "SET", "zset-max-listpack-value", "1kb"),
                  ("CONFIG", "GET", "zset-max-listpack-value"), ("CONFIG", "SET", "zset-max-listpack-value", "64"))

    def test_zset_entries(self):
        self.diff(("CONFIG", "SET", "zset-max-listpack-entries", "4"),
                  ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), enc("z"),
                  ("ZADD", "z", "4", "d"), enc("z"),          # an update adds nothing
                  ("ZADD", "z", "5", "e"), enc("z"),          # the fifth converts
                  ("ZREM", "z", "a", "b", "c"), enc("z"),     # never back
                  ("ZADD", "big", *[str(x) for i in range(6) for x in (i, "m%d" % i)]), enc("big"),
                  ("ZADD", "dups", *["1", "a"] * 6), enc("dups"))

    def test_zset_entries_zero(self):
        self.diff(("CONFIG", "SET", "zset-max-listpack-entries", "0"),
                  ("ZADD", "z", "1", "a"), enc("z"), ("ZINCRBY", "y", "1", "a"), enc("y"))

    def test_existing_set_follows_config(self):
        self.diff(("ZADD", "z", "1", "a", "2", "b", "3", "c"), enc("z"),
                  ("CONFIG", "SET", "zset-max-listpack-entries", "3"), enc("z"),
                  ("ZSCORE", "z", "a"), enc("z"),
                  ("ZADD", "z", "4", "d"), enc("z"))
        self.diff(("ZADD", "w", "1", "abc"), ("CONFIG", "SET", "zset-max-listpack-value", "3"),
                  ("ZADD", "w", "2", "abd"), enc("w"), ("ZADD", "w", "3", "abcd"), enc("w"))

    def test_zset_value(self):
        self.diff(("CONFIG", "SET", "zset-max-listpack-value", "3"),
                  ("ZADD", "long", "1", "abcd"), enc("long"),
                  ("ZADD", "short", "1", "abc", "2", "xyz"), enc("short"),
                  ("ZADD", "short", "3", "abcd"), enc("short"),
                  ("ZADD", "first", "1", "a", "2", "abcdef"), enc("first"))

    def test_store_results(self):
        self.diff(("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("ZADD", "b", "1", "x", "2", "y"),
                  ("CONFIG", "SET", "zset-max-listpack-entries", "2"),
                  ("ZUNIONSTORE", "u", "2", "a", "b"), enc("u"),
                  ("ZINTERSTORE", "i", "2", "a", "b"), enc("i"),
                  ("ZDIFFSTORE", "d", "2", "a", "b"), enc("d"),
                  ("ZRANGESTORE", "r3", "a", "0", "-1"), enc("r3"),
                  ("ZRANGESTORE", "r2", "a", "0", "1"), enc("r2"),
                  ("CONFIG", "SET", "zset-max-listpack-value", "0"),
                  ("ZRANGESTORE", "r1", "a", "0", "0"), enc("r1"),
                  ("ZUNIONSTORE", "u1", "1", "b"), enc("u1"))

    def test_lists_stay_quicklist(self):
        for fill in ("1", "-1", "-5", "100", "0"):
            self.diff(("CONFIG", "SET", "list-max-listpack-size", fill), ("DEL", "l"),
                      ("RPUSH", "l", *[str(i) for i in range(10)]), enc("l"),
                      ("LINSERT", "l", "BEFORE", "5", "x" * 100), ("LRANGE", "l", "0", "-1"),
                      ("LREM", "l", "0", "3"), ("LINDEX", "l", "4"), ("LLEN", "l"), enc("l"))

    def test_hash_and_set_thresholds(self):
        self.diff(("CONFIG", "SET", "hash-max-listpack-entries", "2"),
                  ("HSET", "h", "a", "1", "b", "2"), enc("h"), ("HSET", "h", "c", "3"), enc("h"),
                  ("CONFIG", "SET", "hash-max-listpack-value", "2"),
                  ("HSET", "h2", "a", "123"), enc("h2"),
                  ("CONFIG", "SET", "set-max-intset-entries", "2"),
                  ("SADD", "s", "1", "2"), enc("s"), ("SADD", "s", "3"), enc("s"))


class BlockedWakeups(harness.DiffTestCase):
    """A waiter on each server, the same write on each, the same reply."""

    def waiter(self, *cmd):
        ws = (self.rill.conn(), self.redis.conn())
        for w in ws:
            w.send(*cmd)
        for c in (self.a, self.b):
            self.wait_blocked(c, 1)
        return ws

    def wait_blocked(self, c, n, timeout=3.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            info = c.cmd("INFO", "clients")
            for line in info.split(b"\r\n"):
                if line.startswith(b"blocked_clients:") and int(line.split(b":")[1]) == n:
                    return
            time.sleep(0.01)
        self.fail("never %d blocked clients" % n)

    def same_reply(self, ws):
        ra, rb = ws[0].read_raw(), ws[1].read_raw()
        self.assertEqual(ra, rb)
        return ra

    def close(self, ws):
        for w in ws:
            w.close()

    def test_swapdb_serves_list_waiter(self):
        ws = self.waiter("BLPOP", "l", "0")
        self.diff(("SELECT", "1"), ("RPUSH", "l", "x", "y"), ("SWAPDB", "0", "1"))
        self.assertEqual(self.same_reply(ws), b"*2\r\n$1\r\nl\r\n$1\r\nx\r\n")
        self.diff(("LRANGE", "l", "0", "-1"), ("SELECT", "0"), ("LRANGE", "l", "0", "-1"), ("DBSIZE",))
        self.close(ws)

    def test_swapdb_serves_zset_waiter(self):
        ws = self.waiter("BZPOPMIN", "z", "0")
        self.diff(("SELECT", "3"), ("ZADD", "z", "2", "b", "1", "a"), ("SWAPDB", "3", "0"))
        self.assertEqual(self.same_reply(ws), b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n")
        self.diff(("SELECT", "0"), ("ZRANGE", "z", "0", "-1"))
        self.close(ws)

    def test_swapdb_wrong_type_keeps_waiting(self):
        ws = self.waiter("BLPOP", "l", "0")
        self.diff(("SELECT", "1"), ("SET", "l", "str"), ("SWAPDB", "0", "1"), ("SELECT", "0"), ("GET", "l"))
        for c in (self.a, self.b):
            self.wait_blocked(c, 1)
        self.diff(("DEL", "l"), ("RPUSH", "l", "z"))
        self.assertEqual(self.same_reply(ws), b"*2\r\n$1\r\nl\r\n$1\r\nz\r\n")
        self.close(ws)

    def test_swapdb_away_keeps_waiting(self):
        # The waited key leaves db 0: the waiter stays blocked on db 0.
        ws = self.waiter("BLPOP", "l", "0")
        self.diff(("SWAPDB", "0", "2"), ("SELECT", "2"), ("RPUSH", "l", "x"))
        for c in (self.a, self.b):
            self.wait_blocked(c, 1)
        self.diff(("SELECT", "0"), ("RPUSH", "l", "y"))
        self.assertEqual(self.same_reply(ws), b"*2\r\n$1\r\nl\r\n$1\r\ny\r\n")
        self.close(ws)

    def test_swapdb_in_multi(self):
        ws = self.waiter("BLPOP", "l", "0")
        self.diff(("SELECT", "1"), ("RPUSH", "l", "x"), ("MULTI",), ("SWAPDB", "0", "1"), ("RPUSH", "l", "w"),
                  ("EXEC",))
        self.assertEqual(self.same_reply(ws), b"*2\r\n$1\r\nl\r\n$1\r\nx\r\n")
        self.diff(("LRANGE", "l", "0", "-1"), ("SELECT", "0"), ("LRANGE", "l", "0", "-1"))
        self.close(ws)

    def test_flush_keeps_list_waiters(self):
        for flush in (("FLUSHALL",), ("FLUSHDB",), ("FLUSHALL", "ASYNC")):
            ws = self.waiter("BLPOP", "l", "0")
            self.diff(("SET", "other", "1"), flush)
            for c in (self.a, self.b):
                self.wait_blocked(c, 1)
            self.diff(("RPUSH", "l", "v"))
            self.assertEqual(self.same_reply(ws), b"*2\r\n$1\r\nl\r\n$1\r\nv\r\n")
            self.close(ws)

    def test_flush_unblocks_xreadgroup(self):
        for flush in (("FLUSHALL",), ("FLUSHDB",)):
            self.diff(("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"))
            ws = self.waiter("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
            self.diff(flush)
            self.assertEqual(self.same_reply(ws), b"-UNBLOCKED the stream key no longer exists\r\n")
            self.close(ws)

    def test_swapdb_unblocks_xreadgroup(self):
        self.diff(("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"))
        ws = self.waiter("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
        self.diff(("SWAPDB", "0", "1"))
        self.assertEqual(self.same_reply(ws), b"-UNBLOCKED the stream key no longer exists\r\n")
        self.close(ws)


if __name__ == "__main__":
    harness.main()
