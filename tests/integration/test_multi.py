"""MULTI / EXEC / DISCARD / WATCH / UNWATCH against redis-server 7.0.15, byte for byte.

Covers queueing, EXEC results (errors inside are per-command replies),
EXECABORT cases, WATCH with a second connection changing the key, WATCH with
FLUSHDB/FLUSHALL/SWAPDB and with expiry (Redis 7.0's stale-key rules), DISCARD,
nesting, QUIT/RESET/SELECT inside MULTI and RESP3.  Rill-only cases (no Redis
equivalent to compare with): a session that disconnects in MULTI leaves
nothing behind, and the queue is bounded by client-query-buffer-limit.
"""
import re
import time

import harness


class MultiDiff(harness.DiffTestCase):
    @classmethod
    def setUpClass(cls):
        # DEBUG SET-ACTIVE-EXPIRE needs enable-debug-command on Redis 7.0.
        cls.rill = harness.Server("rill")
        cls.redis = harness.Server("redis", extra=["--enable-debug-command", "yes"])

    def tearDown(self):
        # Leave active expiry on for the next test, whatever this one did
        # (on fresh connections: self.a/self.b may have been left in MULTI).
        for server in (self.rill, self.redis):
            c = server.conn()
            c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            c.close()
        super().tearDown()

    # ---- helpers ----------------------------------------------------------

    def pair(self):
        """A second (rill, redis) connection pair, closed after the test."""
        p = (self.rill.conn(), self.redis.conn())
        self.addCleanup(p[0].close)
        self.addCleanup(p[1].close)
        return p

    def on(self, p, *commands):
        """diff() on another connection pair."""
        out = []
        for cmd in commands:
            if isinstance(cmd, bytes):
                p[0].send_raw(cmd)
                p[1].send_raw(cmd)
            else:
                p[0].send(*cmd)
                p[1].send(*cmd)
            ra, rb = p[0].read_raw(), p[1].read_raw()
            self.assertEqual(ra, rb, "reply differs for %r:\n rill:  %r\n redis: %r" % (cmd, ra, rb))
            out.append(ra)
        return out

    def hello3(self, p):
        """Switch a pair to RESP3 (HELLO's reply holds the client id, so it is not compared)."""
        for c in p:
            self.assertTrue(c.cmd("HELLO", "3").startswith(b"%"))

    def no_active_expire(self):
        self.diff(("DEBUG", "SET-ACTIVE-EXPIRE", "0"))

    def exec_ping(self, p=None):
        """MULTI PING EXEC on p (default: the main pair); returns EXEC's reply."""
        p = p or (self.a, self.b)
        return self.on(p, ("MULTI",), ("PING",), ("EXEC",))[2]

    # ---- queueing and EXEC -------------------------------------------------

    def test_queue_and_exec(self):
        r = self.diff(("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("EXEC",), ("GET", "a"))
        self.assertEqual(r[1], b"+QUEUED\r\n")
        self.assertEqual(r[4], b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n")

    def test_nothing_runs_before_exec(self):
        other = self.pair()
        self.diff(("MULTI",), ("SET", "a", "1"))
        self.on(other, ("EXISTS", "a"))
        self.diff(("EXEC",))
        self.assertEqual(self.on(other, ("GET", "a"))[0], b"$1\r\n1\r\n")

    def test_empty_exec(self):
        self.assertEqual(self.diff(("MULTI",), ("EXEC",))[1], b"*0\r\n")

    def test_pipelined_transaction(self):
        c = harness.Conn.encode
        self.diff(c("MULTI") + c("INCR", "n") + c("INCR", "n") + c("EXEC"))
        for _ in range(3):
            self.diff(b"")
        self.diff(("GET", "n"))

    def test_without_multi(self):
        self.diff(("EXEC",), ("DISCARD",), ("UNWATCH",))

    def test_exec_twice(self):
        self.diff(("MULTI",), ("EXEC",), ("EXEC",))

    def test_runtime_errors_are_replies(self):
        r = self.diff(("SET", "s", "abc"), ("MULTI",), ("INCR", "s"), ("SET", "t", "1"),
                      ("SET", "u", "1", "EX", "0"), ("GET", "t"), ("INCR", "t"), ("EXEC",),
                      ("GET", "t"), ("GET", "s"))
        self.assertTrue(r[7].startswith(b"*5\r\n-ERR value is not an integer"))

    def test_select_inside_multi(self):
        self.diff(("MULTI",), ("SELECT", "1"), ("SET", "s", "1"), ("EXEC",), ("GET", "s"),
                  ("SELECT", "0"), ("GET", "s"))

    def test_select_out_of_range_inside_exec(self):
        self.diff(("MULTI",), ("SELECT", "99"), ("PING",), ("EXEC",))

    def test_discard(self):
        r = self.diff(("MULTI",), ("SET", "d", "1"), ("DISCARD",), ("GET", "d"), ("EXEC",))
        self.assertEqual(r[3], b"$-1\r\n")

    def test_resp3_exec(self):
        self.hello3((self.a, self.b))
        self.diff(("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "nope"), ("EXEC",), ("EXEC",))

    # ---- errors while queueing: EXECABORT ---------------------------------

    def test_nested_multi_is_not_fatal(self):
        r = self.diff(("MULTI",), ("SET", "a", "1"), ("MULTI",), ("EXEC",))
        self.assertEqual(r[2], b"-ERR MULTI calls can not be nested\r\n")
        self.assertEqual(r[3], b"*1\r\n+OK\r\n")

    def test_watch_inside_multi_is_not_fatal(self):
        r = self.diff(("SET", "x", "1"), ("MULTI",), ("WATCH", "x"), ("PING",), ("EXEC",))
        self.assertEqual(r[2], b"-ERR WATCH inside MULTI is not allowed\r\n")

    def test_watch_inside_multi_watches_nothing(self):
        other = self.pair()
        self.diff(("MULTI",), ("WATCH", "x"))
        self.on(other, ("SET", "x", "2"))
        self.assertEqual(self.diff(("EXEC",))[0], b"*0\r\n")

    def test_unknown_command_aborts(self):
        r = self.diff(("MULTI",), ("SET", "q", "1"), ("FOO", "bar"), ("SET", "q2", "1"), ("EXEC",),
                      ("EXISTS", "q", "q2"), ("PING",))
        self.assertEqual(r[4], b"-EXECABORT Transaction discarded because of previous errors.\r\n")
        self.assertEqual(r[5], b":0\r\n")

    def test_wrong_arity_aborts(self):
        self.diff(("MULTI",), ("GET",), ("PING",), ("EXEC",), ("PING",))

    def test_unknown_subcommand_aborts(self):
        self.diff(("MULTI",), ("CLIENT", "FOO"), ("EXEC",))

    def test_no_multi_command_aborts(self):
        # SHUTDOWN is CMD_NO_MULTI: refused (not run!) inside MULTI.
        r = self.diff(("MULTI",), ("SHUTDOWN",), ("PING",), ("EXEC",))
        self.assertEqual(r[1], b"-ERR Command not allowed inside a transaction\r\n")

    def test_multi_watch_discard_arity_inside_multi_abort(self):
        for cmd in (("MULTI", "x"), ("WATCH",), ("DISCARD", "x")):
            self.diff(("MULTI",), cmd, ("EXEC",))

    def test_exec_arity(self):
        r = self.diff(("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",), ("EXISTS", "a"))
        self.assertEqual(r[2], b"-EXECABORT Transaction discarded because of: "
                               b"wrong number of arguments for 'exec' command\r\n")
        self.diff(("EXEC", "x"))

    def test_errors_then_dirty_cas(self):
        other = self.pair()
        self.diff(("WATCH", "x"))
        self.on(other, ("SET", "x", "6"))
        self.diff(("MULTI",), ("FOO",), ("EXEC",))

    # ---- QUIT / RESET inside MULTI -----------------------------------------

    def test_reset_inside_multi(self):
        other = self.pair()
        r = self.diff(("WATCH", "a"), ("MULTI",), ("SET", "a", "1"), ("RESET",), ("EXEC",), ("GET", "a"))
        self.assertEqual(r[3], b"+RESET\r\n")
        self.on(other, ("SET", "a", "2"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")   # the watch went with RESET

    def test_quit_inside_multi(self):
        p = self.pair()
        self.on(p, ("MULTI",), ("SET", "quit", "1"), ("QUIT",))
        self.assertTrue(p[0].closed_by_peer())
        self.assertTrue(p[1].closed_by_peer())
        self.diff(("EXISTS", "quit"))

    # ---- WATCH -------------------------------------------------------------

    def test_watch_unchanged(self):
        self.diff(("SET", "x", "1"), ("WATCH", "x"))
        self.assertEqual(self.diff(("MULTI",), ("INCR", "x"), ("EXEC",))[2], b"*1\r\n:2\r\n")

    def test_watch_changed_by_other(self):
        other = self.pair()
        self.diff(("SET", "x", "1"), ("WATCH", "x"))
        self.on(other, ("SET", "x", "2"))
        r = self.diff(("MULTI",), ("INCR", "x"), ("EXEC",), ("GET", "x"))
        self.assertEqual(r[2], b"*-1\r\n")
        self.assertEqual(r[3], b"$1\r\n2\r\n")

    def test_watch_changed_resp3(self):
        other = self.pair()
        self.hello3((self.a, self.b))
        self.diff(("SET", "w", "1"), ("WATCH", "w"))
        self.on(other, ("SET", "w", "2"))
        self.assertEqual(self.exec_ping(), b"_\r\n")

    def test_watch_changed_during_multi(self):
        other = self.pair()
        self.diff(("WATCH", "x"), ("MULTI",), ("PING",))
        self.on(other, ("SET", "x", "4"))
        self.assertEqual(self.diff(("EXEC",))[0], b"*-1\r\n")

    def test_watch_changed_by_own_command(self):
        self.diff(("WATCH", "x"), ("SET", "x", "3"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watch_same_value_counts(self):
        other = self.pair()
        self.diff(("SET", "x", "5"), ("WATCH", "x"))
        self.on(other, ("SET", "x", "5"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watch_changed_by_other_transaction(self):
        other = self.pair()
        self.diff(("WATCH", "x"))
        self.on(other, ("MULTI",), ("SET", "x", "1"), ("EXEC",))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_own_transaction_changes_do_not_count(self):
        self.diff(("WATCH", "x"), ("MULTI",), ("SET", "x", "1"), ("EXEC",))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_watch_several_keys(self):
        other = self.pair()
        self.diff(("WATCH", "k1", "k2", "k1"), ("WATCH", "k2"))
        self.on(other, ("SET", "k2", "x"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_two_watchers(self):
        p2, other = self.pair(), self.pair()
        self.diff(("WATCH", "x"))
        self.on(p2, ("WATCH", "x", "y"))
        self.on(other, ("SET", "x", "1"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")
        self.assertEqual(self.exec_ping(p2), b"*-1\r\n")

    def test_one_watcher_leaves(self):
        p2, other = self.pair(), self.pair()
        self.diff(("WATCH", "x"))
        self.on(p2, ("WATCH", "x"), ("UNWATCH",))
        self.on(other, ("SET", "x", "1"))
        self.assertEqual(self.exec_ping(p2), b"*1\r\n+PONG\r\n")
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_unwatch(self):
        other = self.pair()
        self.diff(("SET", "x", "1"), ("WATCH", "x"))
        self.on(other, ("SET", "x", "2"))
        self.diff(("UNWATCH",))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_exec_unwatches(self):
        other = self.pair()
        self.diff(("WATCH", "x"), ("MULTI",), ("EXEC",))
        self.on(other, ("SET", "x", "2"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_failed_exec_unwatches(self):
        other = self.pair()
        self.diff(("WATCH", "x"))
        self.on(other, ("SET", "x", "1"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_discard_unwatches(self):
        other = self.pair()
        self.diff(("SET", "x", "1"), ("WATCH", "x"), ("MULTI",), ("DISCARD",))
        self.on(other, ("SET", "x", "2"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_watch_is_per_db(self):
        other = self.pair()
        self.diff(("SELECT", "1"), ("WATCH", "x"), ("SELECT", "0"))
        self.on(other, ("SET", "x", "2"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")
        self.diff(("SELECT", "1"), ("WATCH", "x"), ("SELECT", "0"))
        self.on(other, ("SELECT", "1"), ("SET", "x", "2"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watch_missing_key_del_is_no_change(self):
        other = self.pair()
        self.diff(("WATCH", "nx"))
        self.on(other, ("DEL", "nx"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_watch_missing_key_created(self):
        other = self.pair()
        self.diff(("WATCH", "nx"))
        self.on(other, ("SET", "nx", "1"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watch_then_expire_command(self):
        other = self.pair()
        self.diff(("SET", "e", "1"), ("WATCH", "e"))
        self.on(other, ("EXPIRE", "e", "100"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watch_then_del(self):
        other = self.pair()
        self.diff(("SET", "e", "1"), ("WATCH", "e"))
        self.on(other, ("DEL", "e"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watch_while_dirty(self):
        other = self.pair()
        self.diff(("WATCH", "x"))
        self.on(other, ("SET", "x", "1"))
        self.diff(("WATCH", "y"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    # ---- FLUSHDB / FLUSHALL / SWAPDB ---------------------------------------

    def test_flushall_touches_existing_key(self):
        other = self.pair()
        self.diff(("SET", "x", "1"), ("WATCH", "x"))
        self.on(other, ("FLUSHALL",))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_flushall_skips_missing_key(self):
        other = self.pair()
        self.diff(("SET", "y", "1"), ("WATCH", "x"))
        self.on(other, ("FLUSHALL",))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_flushall_other_db(self):
        other = self.pair()
        self.diff(("SELECT", "2"), ("SET", "x", "1"), ("WATCH", "x"), ("SELECT", "0"))
        self.on(other, ("FLUSHALL", "ASYNC"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_flushdb(self):
        other = self.pair()
        self.diff(("SET", "x", "1"), ("WATCH", "x"))
        self.on(other, ("SELECT", "1"), ("FLUSHDB",))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")
        self.diff(("WATCH", "x"))
        self.on(other, ("SELECT", "0"), ("FLUSHDB",))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_swapdb_touches(self):
        other = self.pair()
        # Key only in the other db: it appears here.
        self.diff(("SELECT", "1"), ("SET", "x", "1"), ("SELECT", "0"), ("WATCH", "x"))
        self.on(other, ("SWAPDB", "0", "1"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")
        # Key only here: it goes away.
        self.diff(("WATCH", "x"))
        self.on(other, ("SWAPDB", "0", "1"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")
        # In neither db: nothing.
        self.diff(("WATCH", "nope"))
        self.on(other, ("SWAPDB", "0", "1"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    # ---- expiry (Redis 7.0: isWatchedKeyExpired, stale keys) ---------------

    def test_watched_key_expires(self):
        self.diff(("SET", "x", "foo", "PX", "50"), ("WATCH", "x"))
        time.sleep(0.12)
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watched_key_expires_not_yet_deleted(self):
        self.no_active_expire()
        self.diff(("SET", "x", "foo", "PX", "50"), ("WATCH", "x"))
        time.sleep(0.12)
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_watched_key_expires_read_by_other(self):
        other = self.pair()
        self.diff(("SET", "x", "foo", "PX", "50"), ("WATCH", "x"))
        time.sleep(0.12)
        self.on(other, ("GET", "x"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def stale(self, key="x"):
        """key is set to expire at once, then WATCHed while expired but not yet deleted."""
        self.no_active_expire()
        self.diff(("SET", key, "foo", "PX", "1"))
        time.sleep(0.02)
        self.diff(("WATCH", key))

    def test_stale_key_does_not_fail_exec(self):
        self.stale()
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_stale_key_deleted_is_no_change(self):
        other = self.pair()
        self.stale()
        self.on(other, ("DEL", "x"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_stale_key_read_is_no_change(self):
        other = self.pair()
        self.stale()
        self.on(other, ("GET", "x"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_stale_key_set_fails_exec(self):
        other = self.pair()
        self.stale()
        self.on(other, ("SET", "x", "bar"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_stale_key_deleted_then_set_fails_exec(self):
        other = self.pair()
        self.stale()
        self.on(other, ("GET", "x"), ("SET", "x", "bar"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    def test_stale_key_flushdb_is_no_change(self):
        other = self.pair()
        self.stale()
        self.on(other, ("FLUSHDB",))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_swapdb_stale_key_replaced_by_missing(self):
        other = self.pair()
        self.stale()
        self.on(other, ("SWAPDB", "0", "1"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_swapdb_missing_key_replaced_by_stale(self):
        other = self.pair()
        self.no_active_expire()
        self.diff(("SELECT", "1"), ("SET", "x", "foo", "PX", "1"), ("SELECT", "0"))
        time.sleep(0.02)
        self.diff(("WATCH", "x"))
        self.on(other, ("SWAPDB", "0", "1"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_swapdb_stale_key_replaced_by_stale(self):
        other = self.pair()
        self.no_active_expire()
        self.diff(("SELECT", "1"), ("SET", "x", "foo", "PX", "1"), ("SELECT", "0"))
        self.stale()
        self.on(other, ("SWAPDB", "0", "1"))
        self.assertEqual(self.exec_ping(), b"*1\r\n+PONG\r\n")

    def test_swapdb_stale_key_replaced_by_live(self):
        other = self.pair()
        self.diff(("SELECT", "1"), ("SET", "x", "live"), ("SELECT", "0"))
        self.stale()
        self.on(other, ("SWAPDB", "0", "1"))
        self.assertEqual(self.exec_ping(), b"*-1\r\n")

    # ---- introspection -----------------------------------------------------

    def test_client_info_in_multi(self):
        def fields(line, names):
            return {n: re.search(r"\b%s=(\S*)" % n, line).group(1) for n in names}

        def line_of(listing, name):
            return [l for l in harness.parse(listing).decode().split("\n") if "name=%s " % name in l][0]

        watcher = self.pair()
        self.on(watcher, ("CLIENT", "SETNAME", "watcher"))
        self.diff(("CLIENT", "SETNAME", "txn"), ("MULTI",), ("PING",), ("PING",))
        names = ("flags", "multi", "cmd")
        self.assertEqual(fields(line_of(watcher[0].cmd("CLIENT", "LIST"), "txn"), names),
                         fields(line_of(watcher[1].cmd("CLIENT", "LIST"), "txn"), names))
        self.diff(("CLIENT", "INFO"))   # queued: runs inside EXEC
        ra, rb = harness.parse(self.a.cmd("EXEC")), harness.parse(self.b.cmd("EXEC"))
        names = ("flags", "multi", "cmd", "db")
        self.assertEqual(fields(ra[2].decode(), names), fields(rb[2].decode(), names))
        self.assertEqual(fields(ra[2].decode(), ("multi",)), {"multi": "3"})

    STATS_SCRIPT = (("CONFIG", "RESETSTAT"), ("SET", "s", "abc"),
                    ("MULTI",), ("INCR", "s"), ("GET", "s"), ("EXEC",),   # an error inside: EXEC did not fail
                    ("MULTI",), ("FOO",), ("EXEC",),                      # EXECABORT: failed
                    ("MULTI",), ("GET",), ("EXEC",),
                    ("EXEC", "x"))                                        # rejected

    def test_commandstats(self):
        def stats(c):
            raw = harness.parse(c.cmd("INFO", "commandstats")).decode()
            out = {}
            for m in re.finditer(r"cmdstat_(\w+):calls=(\d+),usec=\d+,usec_per_call=[\d.]+,"
                                 r"rejected_calls=(\d+),failed_calls=(\d+)", raw):
                if m.group(1) in ("exec", "multi", "incr", "get"):
                    out[m.group(1)] = m.group(2, 3, 4)
            return out
        self.diff(*self.STATS_SCRIPT)
        self.assertEqual(stats(self.a), stats(self.b))

    def test_errorstats(self):
        def stats(c):
            err = harness.parse(c.cmd("INFO", "errorstats")).decode()
            return sorted(re.findall(r"errorstat_\w+:count=\d+", err))
        self.diff(*self.STATS_SCRIPT)
        self.assertEqual(stats(self.a), stats(self.b))


class MultiRill(harness.RillTestCase):
    """Cases with no Redis reply to compare: resources and limits."""

    @classmethod
    def tearDownClass(cls):
        # Stop first, so that a sanitizer report at exit is in the log.
        cls.server.proc.terminate()
        cls.server.proc.wait(30)
        log = cls.server.read_log()
        cls.server.stop()
        assert "Sanitizer" not in log, log[-4000:]

    def used_memory(self):
        if not hasattr(self, "probe"):   # a connection of its own: self.c may be in MULTI
            self.probe = self.server.conn()
            self.addCleanup(self.probe.close)
        info = harness.parse(self.probe.cmd("INFO", "memory")).decode()
        return int(re.search(r"used_memory:(\d+)", info).group(1))

    def settle(self, before, slack):
        """Wait until used_memory is back within slack bytes of before."""
        deadline = time.time() + 5
        while True:
            now = self.used_memory()
            if now - before <= slack or time.time() > deadline:
                return now
            time.sleep(0.05)

    def test_disconnect_in_multi_leaves_nothing(self):
        self.c.cmd("SET", "k0", "v")
        for _ in range(3):   # warm up allocator caches, client ids, dict sizes
            c = self.server.conn()
            c.cmd("WATCH", "k0")
            c.close()
        time.sleep(0.1)
        before = self.used_memory()
        conns = []
        for i in range(20):
            c = self.server.conn()
            c.cmd("WATCH", *["k%d" % j for j in range(200)])
            c.cmd("MULTI")
            payload = b"".join(c.encode("SET", "k%d" % j, "x" * (j * 50)) for j in range(200))
            c.send_raw(payload)
            for _ in range(200):
                self.assertEqual(c.read_raw(), b"+QUEUED\r\n")
            conns.append(c)
        during = self.used_memory()
        self.assertGreater(during - before, 20 * 200 * 50, "the queues should hold memory")
        for c in conns:
            c.close()
        after = self.settle(before, 64 * 1024)
        self.assertLessEqual(after - before, 64 * 1024, "memory left behind: %d bytes" % (after - before))
        # The keys are no longer watched by anyone; the server still works.
        self.assertEqual(self.c.cmd("WATCH", "k1"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("SET", "k1", "v"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("MULTI"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("EXEC"), b"*-1\r\n")
        self.assertEqual(self.c.cmd("GET", "k199"), b"$-1\r\n")

    def test_queue_is_bounded(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb"), b"+OK\r\n")
        self.addCleanup(lambda: self.server.conn().cmd("CONFIG", "SET", "client-query-buffer-limit", "1gb"))
        before = self.used_memory()
        self.assertEqual(self.c.cmd("MULTI"), b"+OK\r\n")
        value = "v" * 4000
        replies = []
        for i in range(600):   # 2.4 MB of arguments
            replies.append(self.c.cmd("SET", "big%d" % i, value))
        errors = [r for r in replies if r.startswith(b"-")]
        self.assertEqual(len(errors), 1, replies[-3:])
        self.assertIn(b"client-query-buffer-limit", errors[0])
        first = replies.index(errors[0])
        self.assertTrue(200 <= first <= 262, first)
        self.assertTrue(all(r == b"+QUEUED\r\n" for r in replies[:first] + replies[first + 1:]))
        self.assertLess(self.used_memory() - before, 512 * 1024, "the dropped queue should be freed")
        self.assertEqual(self.c.cmd("EXEC"), b"-EXECABORT Transaction discarded because of previous errors.\r\n")
        self.assertEqual(self.c.cmd("EXISTS", "big0"), b":0\r\n")

    def test_large_argument_queued_and_executed(self):
        big = "z" * (1 << 20)
        self.assertEqual(self.c.cmd("MULTI"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("SET", "big", big), b"+QUEUED\r\n")
        self.assertEqual(self.c.cmd("STRLEN", "big"), b"+QUEUED\r\n")
        self.assertEqual(self.c.cmd("EXEC"), b"*2\r\n+OK\r\n:1048576\r\n")
        self.assertEqual(self.c.cmd("GET", "big"), b"$1048576\r\n" + big.encode() + b"\r\n")

    def test_many_watchers_one_key(self):
        conns = [self.server.conn() for _ in range(50)]
        for c in conns:
            self.assertEqual(c.cmd("WATCH", "hot", "cold%d" % id(c)), b"+OK\r\n")
        for c in conns[::2]:
            c.close()
        self.assertEqual(self.c.cmd("SET", "hot", "1"), b"+OK\r\n")
        for c in conns[1::2]:
            self.assertEqual(c.cmd("MULTI"), b"+OK\r\n")
            self.assertEqual(c.cmd("EXEC"), b"*-1\r\n")
            c.close()


if __name__ == "__main__":
    harness.main()
