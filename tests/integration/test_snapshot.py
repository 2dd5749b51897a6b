"""test_snapshot.py — snapshots: SAVE / BGSAVE / LASTSAVE replies against
redis-server, every type through SAVE and BGSAVE and a restart, expired keys
dropped at load, save points and SHUTDOWN [NO]SAVE, a damaged snapshot
refusing start-up, a failed BGSAVE (file size limit) giving -MISCONF and
recovering, rill-check-log on snapshots, DEBUG RELOAD and FLUSHALL's save
(side by side with redis-server)."""
import os
import resource
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Server, parse


def info(c, section="persistence"):
    out = {}
    for line in parse(c.cmd("INFO", section)).decode().split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def wait_bgsave(c, field="rdb_bgsave_in_progress", timeout=20):
    deadline = time.time() + timeout
    while info(c)[field] != "0":
        if time.time() > deadline:
            raise AssertionError("background job still running")
        time.sleep(0.02)


def fill(c):
    """Every type, several batches, binary data, expiries, two dbs."""
    c.cmd("SET", "s", "hello")
    c.cmd("SET", "n", "12345")
    c.cmd("SET", "bin", b"a\x00\r\nb\xff")
    c.cmd("SET", "big", "x" * 200000)
    c.cmd("RPUSH", "l", *[("e%d" % i if i % 2 else str(i)) for i in range(300)])
    c.cmd("HSET", "h", *sum([["f%d" % i, "v%d" % i] for i in range(200)], []))
    c.cmd("HSET", "hs", "a", "1")
    c.cmd("SADD", "is", *[str(i) for i in range(150)])
    c.cmd("SADD", "ss", *["m%d" % i for i in range(150)])
    c.cmd("ZADD", "z", "0.1", "a", "-inf", "b", "inf", "c", "3.141592653589793", "d", "1e-300", "e")
    c.cmd("ZADD", "zbig", *sum([["%r" % (i / 7.0), "m%d" % i] for i in range(200)], []))
    c.cmd("SET", "ttl", "v", "EX", "1000")
    c.cmd("RPUSH", "ttll", "a")
    c.cmd("PEXPIREAT", "ttll", str(int(time.time() * 1000) + 5000000))
    c.cmd("SELECT", "5")
    c.cmd("SET", "s", "db5")
    c.cmd("SELECT", "0")


def listing(c):
    """Everything, as comparable Python values."""
    out = {}
    for db in (0, 5):
        c.cmd("SELECT", str(db))
        for k in sorted(parse(c.cmd("KEYS", "*"))):
            t = parse(c.cmd("TYPE", k))
            if t == "string":
                v = parse(c.cmd("GET", k))
            elif t == "list":
                v = parse(c.cmd("LRANGE", k, "0", "-1"))
            elif t == "hash":
                v = sorted(parse(c.cmd("HGETALL", k)))
            elif t == "set":
                v = sorted(parse(c.cmd("SMEMBERS", k)))
            elif t == "zset":
                v = parse(c.cmd("ZRANGE", k, "0", "-1", "WITHSCORES"))
            else:
                v = None
            ttl = parse(c.cmd("PEXPIRETIME", k))
            out[(db, k)] = (t, v, ttl)
    c.cmd("SELECT", "0")
    return out


class SnapshotReplies(harness.DiffTestCase):
    """Replies compared byte for byte with redis-server 7.0."""

    def test_save_and_bgsave(self):
        self.diff(("SET", "k", "v"), ("SAVE",))
        self.diff(("BGSAVE", "FOO"), ("BGSAVE", "SCHEDULE", "X"))
        time.sleep(0.1)
        self.diff(("BGSAVE",))
        for c in (self.a, self.b):
            wait_bgsave(c)
        self.diff(("BGSAVE", "SCHEDULE"))
        for c in (self.a, self.b):
            wait_bgsave(c)
        self.diff(("LASTSAVE", "x"), ("SAVE", "x"), ("BGREWRITEAOF", "x"))

    def test_in_multi(self):
        self.diff(("MULTI",), ("SAVE",), ("DISCARD",))
        self.diff(("MULTI",), ("BGSAVE",), ("EXEC",))
        for c in (self.a, self.b):
            wait_bgsave(c)
        time.sleep(0.3)   # the scheduled save runs from the cron
        for c in (self.a, self.b):
            wait_bgsave(c)

    def test_config_save(self):
        self.diff(("CONFIG", "SET", "save", "100 x"), ("CONFIG", "SET", "save", "100"),
                  ("CONFIG", "SET", "save", "0 1"), ("CONFIG", "SET", "save", "-1 1"),
                  ("CONFIG", "SET", "save", "3600 1 300 100"), ("CONFIG", "GET", "save"),
                  ("CONFIG", "SET", "save", ""), ("CONFIG", "GET", "save"))

    def test_info_fields(self):
        self.a.cmd("SET", "k", "v")
        i = info(self.a)
        for f in ("rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                  "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec",
                  "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
                  "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status", "aof_rewrites"):
            self.assertIn(f, i)
        self.assertEqual(i["rdb_changes_since_last_save"], "1")
        self.assertEqual(self.a.cmd("SAVE"), b"+OK\r\n")
        i = info(self.a)
        self.assertEqual(i["rdb_changes_since_last_save"], "0")
        self.assertLessEqual(abs(int(i["rdb_last_save_time"]) - time.time()), 5)
        self.assertEqual(int(parse(self.a.cmd("LASTSAVE"))), int(i["rdb_last_save_time"]))


class SnapshotRestart(harness.RestartTestCase):
    """Each test owns a data directory and restarts servers on it."""

    base_args = ()
    dir_prefix = "rill-snap-"

    def dump(self):
        return os.path.join(self.dir, "dump.rill")

    def test_save_restart_every_type(self):
        s = self.start()
        c = s.conn()
        fill(c)
        want = listing(c)
        self.assertEqual(c.cmd("SAVE"), b"+OK\r\n")
        c.cmd("SET", "after-save", "lost")
        s.kill9()
        c = self.start().conn()
        self.assertEqual(listing(c), want)
        self.assertEqual(info(c)["rdb_last_load_keys_loaded"], str(len(want)))

    def test_bgsave_restart_every_type(self):
        s = self.start()
        c = s.conn()
        fill(c)
        want = listing(c)
        self.assertEqual(c.cmd("BGSAVE"), b"+Background saving started\r\n")
        wait_bgsave(c)
        i = info(c)
        self.assertEqual(i["rdb_last_bgsave_status"], "ok")
        self.assertEqual(i["rdb_changes_since_last_save"], "0")
        self.assertEqual(i["rdb_saves"], "1")
        s.kill9()
        c = self.start().conn()
        self.assertEqual(listing(c), want)
        self.assertFalse([f for f in os.listdir(self.dir) if f.startswith("temp-")])

    def test_writes_during_bgsave(self):
        """The child saves the fork's state; writes go on meanwhile and stay counted."""
        s = self.start("--rdb-key-save-delay", "2000")
        c = s.conn()
        for i in range(300):
            c.cmd("SET", "k%d" % i, "v")
        self.assertEqual(c.cmd("BGSAVE"), b"+Background saving started\r\n")
        self.assertEqual(info(c)["rdb_bgsave_in_progress"], "1")
        self.assertEqual(c.cmd("BGSAVE"), b"-ERR Background save already in progress\r\n")
        self.assertEqual(c.cmd("SAVE"), b"-ERR Background save already in progress\r\n")
        c.cmd("SET", "during", "1")
        c.cmd("SET", "during2", "1")
        wait_bgsave(c)
        self.assertEqual(info(c)["rdb_changes_since_last_save"], "2")
        s.kill9()
        c = self.start().conn()
        self.assertEqual(parse(c.cmd("DBSIZE")), 300)
        self.assertEqual(parse(c.cmd("EXISTS", "during")), 0)

    def test_current_cow_fields(self):
        """INFO current_cow_size/peak: the running child's copied memory,
        sampled about once a second; 0 when no child runs."""
        s = self.start("--rdb-key-save-delay", "20000")
        c = s.conn()
        for i in range(200):
            c.cmd("SET", "k%d" % i, "v" * 1000)
        self.assertEqual(info(c)["current_cow_size"], "0")
        self.assertEqual(c.cmd("BGSAVE"), b"+Background saving started\r\n")
        deadline = time.time() + 10
        while int(info(c)["current_cow_size"]) == 0:
            self.assertLess(time.time(), deadline, "current_cow_size never sampled")
            c.cmd("SET", "x%d" % int(time.time() * 1000), "v" * 10000)   # pages copied on write
            time.sleep(0.1)
        i = info(c)
        self.assertEqual(i["rdb_bgsave_in_progress"], "1")
        self.assertGreaterEqual(int(i["current_cow_peak"]), int(i["current_cow_size"]))
        self.assertLessEqual(int(i["current_cow_size_age"]), 3)
        s.stop()   # SIGTERM: the child is killed with it

    def test_expired_keys_dropped_at_load(self):
        s = self.start()
        c = s.conn()
        c.cmd("SET", "short", "v", "PX", "300")
        c.cmd("SET", "long", "v", "EX", "1000")
        self.assertEqual(c.cmd("SAVE"), b"+OK\r\n")
        s.kill9()
        time.sleep(0.4)
        c = self.start().conn()
        self.assertEqual(parse(c.cmd("KEYS", "*")), [b"long"])
        i = info(c)
        self.assertEqual(i["rdb_last_load_keys_expired"], "1")
        self.assertEqual(i["rdb_last_load_keys_loaded"], "1")

    def test_shutdown_save_and_nosave(self):
        s = self.start("--save", "3600 1")
        c = s.conn()
        c.cmd("SET", "a", "1")
        s.stop()                      # SIGTERM with save points: saves
        self.assertTrue(os.path.exists(self.dump()))
        s = self.start("--save", "3600 1")
        c = s.conn()
        self.assertEqual(parse(c.cmd("GET", "a")), b"1")
        c.cmd("SET", "b", "2")
        c.send("SHUTDOWN", "NOSAVE")
        s.proc.wait(10)
        c = self.start().conn()       # no save points
        self.assertEqual(parse(c.cmd("EXISTS", "b")), 0)
        c.cmd("SET", "c", "3")
        c.send("SHUTDOWN", "SAVE")    # saves though no save points
        self.servers[-1].proc.wait(10)
        c = self.start().conn()
        self.assertEqual(parse(c.cmd("GET", "c")), b"3")

    def test_save_point_triggers_bgsave(self):
        s = self.start("--save", "1 2")
        c = s.conn()
        c.cmd("SET", "a", "1")
        c.cmd("SET", "b", "1")
        deadline = time.time() + 8
        while info(c)["rdb_saves"] == "0":
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.assertIn("2 changes in 1 seconds. Saving...", self.log())

    def test_damaged_snapshot_stops_startup(self):
        s = self.start()
        c = s.conn()
        fill(c)
        c.cmd("SAVE")
        s.kill9()
        size = os.path.getsize(self.dump())
        with open(self.dump(), "r+b") as f:
            f.seek(size // 2)
            b = f.read(1)
            f.seek(size // 2)
            f.write(bytes([b[0] ^ 0x10]))
        with self.assertRaises(RuntimeError) as ctx:
            self.start()
        msg = str(ctx.exception)
        self.assertIn("Bad snapshot %s at offset" % self.dump(), msg)
        self.assertIn("rill-check-log", msg)
        tool = os.path.join(os.path.dirname(harness.rill_binary()), "rill-check-log")
        r = subprocess.run([tool, self.dump()], capture_output=True)
        self.assertEqual(r.returncode, 1, r.stdout)
        # Cut short: refused too.
        with open(self.dump(), "r+b") as f:
            f.truncate(size - 3)
        with self.assertRaises(RuntimeError):
            self.start()

    def test_check_log_tool_on_snapshot(self):
        s = self.start()
        c = s.conn()
        c.cmd("SET", "k", "v")
        c.cmd("RPUSH", "l", "a", "b")
        c.cmd("SAVE")
        tool = os.path.join(os.path.dirname(harness.rill_binary()), "rill-check-log")
        r = subprocess.run([tool, "--print", self.dump()], capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        out = r.stdout.decode()
        self.assertIn('"SET" "k" "v"', out)
        self.assertIn('"RPUSH" "l" "a" "b"', out)
        self.assertIn("snapshot OK, 2 keys", out)

    def test_bgsave_failure_misconf_and_recovery(self):
        """A failed BGSAVE (file size limit, as a full disk) with save points
        refuses writes with -MISCONF until a save succeeds."""
        s = self.start("--save", "3600 1")
        c = s.conn()
        c.cmd("SET", "big", "x" * 100000)
        resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (10000, resource.RLIM_INFINITY))
        self.assertEqual(c.cmd("BGSAVE"), b"+Background saving started\r\n")
        wait_bgsave(c)
        self.assertEqual(info(c)["rdb_last_bgsave_status"], "err")
        r = c.cmd("SET", "k", "v")
        self.assertTrue(r.startswith(b"-MISCONF Redis is configured to save RDB snapshots"), r)
        self.assertEqual(parse(c.cmd("GET", "big")), b"x" * 100000)   # reads go on
        self.assertEqual(c.cmd("SAVE"), b"-ERR\r\n")
        self.assertIn("Background saving error", self.log())
        resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        self.assertEqual(c.cmd("BGSAVE"), b"+Background saving started\r\n")
        wait_bgsave(c)
        self.assertEqual(info(c)["rdb_last_bgsave_status"], "ok")
        self.assertEqual(c.cmd("SET", "k", "v"), b"+OK\r\n")
        self.assertFalse([f for f in os.listdir(self.dir) if f.startswith("temp-")])


class ReloadAndFlushall(unittest.TestCase):
    """DEBUG RELOAD and FLUSHALL's save, side by side with redis-server 7.0
    (which needs enable-debug-command for DEBUG)."""

    def start_pair(self, *extra):
        a = Server("rill", extra=extra)
        b = Server("redis", extra=("--enable-debug-command", "yes") + extra)
        self.addCleanup(a.stop)
        self.addCleanup(b.stop)
        return a, b, a.conn(), b.conn()

    def same(self, ca, cb, *cmd):
        ra, rb = ca.cmd(*cmd), cb.cmd(*cmd)
        self.assertEqual(ra, rb, "reply differs for %r:\n rill:  %r\n redis: %r" % (cmd, ra, rb))
        return ra

    def same_info(self, ca, cb, *fields):
        ia, ib = info(ca), info(cb)
        for f in fields:
            self.assertEqual(ia[f], ib[f], f)

    def test_debug_reload(self):
        a, b, ca, cb = self.start_pair()
        for c in (ca, cb):
            c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            c.cmd("RPUSH", "l", "x", "y", "z")
            c.cmd("HSET", "h", "f", "v")
            c.cmd("SET", "ttl", "v", "EX", "1000")
            c.cmd("SET", "short", "v", "PX", "150")
            c.cmd("SELECT", "3")
            c.cmd("SET", "db3", "1")
            c.cmd("SELECT", "0")
        want = listing(ca)
        time.sleep(0.3)   # "short" expired, not yet removed
        self.same(ca, cb, "DEBUG", "RELOAD")
        self.same_info(ca, cb, "rdb_changes_since_last_save", "rdb_last_load_keys_loaded",
                       "rdb_last_load_keys_expired", "rdb_saves")
        self.assertEqual(info(ca)["rdb_last_load_keys_expired"], "1")
        del want[(0, b"short")]
        self.assertEqual(listing(ca), want)
        for cmd in (("LRANGE", "l", "0", "-1"), ("HGETALL", "h"), ("EXISTS", "short"), ("DBSIZE",),
                    ("SELECT", "3"), ("GET", "db3"), ("SELECT", "0")):
            self.same(ca, cb, *cmd)
        self.assertGreater(parse(ca.cmd("PTTL", "ttl")), 900000)
        # NOSAVE loads the file as it is: later writes are dropped.
        self.same(ca, cb, "SET", "later", "1")
        self.same(ca, cb, "DEBUG", "RELOAD", "NOSAVE")
        self.same(ca, cb, "EXISTS", "later")
        self.same_info(ca, cb, "rdb_changes_since_last_save")
        self.same(ca, cb, "DEBUG", "RELOAD", "foo")
        self.same(ca, cb, "DEBUG", "RELOAD", "NOSAVE", "bar")
        self.same(ca, cb, "MULTI")
        self.same(ca, cb, "DEBUG", "RELOAD")
        self.same(ca, cb, "EXEC")
        # The save fails (a file size limit, which would kill redis-server
        # with SIGXFSZ; its reply, seen with a removed directory, is -ERR):
        # nothing changed.
        resource.prlimit(a.proc.pid, resource.RLIMIT_FSIZE, (20, resource.RLIM_INFINITY))
        ca.cmd("SET", "after", "1")
        self.assertEqual(ca.cmd("DEBUG", "RELOAD"), b"-ERR\r\n")
        self.assertEqual(parse(ca.cmd("GET", "after")), b"1")
        resource.prlimit(a.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        # No file to load: the data is gone and the error says so (as Redis).
        os.unlink(os.path.join(a.dir, "dump.rill"))
        os.unlink(os.path.join(b.dir, "dump.rdb"))
        self.same(ca, cb, "DEBUG", "RELOAD", "NOSAVE")
        self.same(ca, cb, "DBSIZE")
        self.assertEqual(ca.cmd("PING"), b"+PONG\r\n")

    def test_debug_reload_publishes_no_events(self):
        a, b, ca, cb = self.start_pair("--notify-keyspace-events", "KEA")
        subs = []
        for s in (a, b):
            sub = s.conn()
            sub.cmd("PSUBSCRIBE", "__key*__:*")
            subs.append(sub)
        for c in (ca, cb):
            c.cmd("SET", "k", "v")
        for sub in subs:   # the SET's two events
            sub.read_raw()
            sub.read_raw()
        self.same(ca, cb, "DEBUG", "RELOAD")
        self.same(ca, cb, "SET", "k2", "v")
        for sub in subs:   # next come k2's events, nothing from the reload
            self.assertIn(b"k2", sub.read_raw())
        self.same(ca, cb, "GET", "k")

    def test_debug_reload_keeps_the_log_consistent(self):
        """With the append log on, a reload changes nothing in it: a restart
        from the log gives the same data."""
        d = tempfile.mkdtemp(prefix="rill-reload-")
        self.addCleanup(shutil.rmtree, d, True)
        s = Server("rill", extra=("--appendonly", "yes", "--appendfsync", "always"), dir=d)
        c = s.conn()
        fill(c)
        want = listing(c)
        self.assertEqual(c.cmd("DEBUG", "RELOAD"), b"+OK\r\n")
        self.assertEqual(listing(c), want)
        c.cmd("SET", "after", "1")
        want = listing(c)
        s.kill9()
        s = Server("rill", extra=("--appendonly", "yes"), dir=d)
        self.addCleanup(s.stop)
        self.assertEqual(listing(s.conn()), want)

    def test_flushall_saves_with_save_points(self):
        a, b, ca, cb = self.start_pair("--save", "3600 100")
        for c in (ca, cb):
            c.cmd("SET", "k", "v")
            c.cmd("SET", "k2", "v")
            self.assertEqual(c.cmd("SAVE"), b"+OK\r\n")
            c.cmd("SET", "k3", "v")
        time.sleep(1.1)
        before = int(parse(ca.cmd("LASTSAVE")))
        self.same(ca, cb, "FLUSHALL")
        self.same_info(ca, cb, "rdb_changes_since_last_save", "rdb_saves", "rdb_last_bgsave_status")
        self.assertEqual(info(ca)["rdb_changes_since_last_save"], "0")   # saved
        self.assertGreater(int(parse(ca.cmd("LASTSAVE"))), before)
        self.same(ca, cb, "FLUSHALL")                 # nothing to remove: still counted
        self.same_info(ca, cb, "rdb_changes_since_last_save")
        # The empty dump file replaced the one holding k, k2: a crash now
        # restarts empty.
        a.kill9()
        a2 = Server("rill", extra=("--save", "3600 100"), dir=a.dir)
        self.addCleanup(a2.stop)
        self.assertEqual(parse(a2.conn().cmd("DBSIZE")), 0)

    def test_flushall_without_save_points(self):
        a, b, ca, cb = self.start_pair()
        self.same(ca, cb, "SET", "k", "v")
        self.same(ca, cb, "FLUSHALL")
        self.same(ca, cb, "FLUSHALL", "ASYNC")
        self.same_info(ca, cb, "rdb_changes_since_last_save", "rdb_saves")
        self.assertFalse(os.path.exists(os.path.join(a.dir, "dump.rill")))

    def test_flushall_kills_a_running_bgsave(self):
        s = Server("rill", extra=("--rdb-key-save-delay", "20000"))
        self.addCleanup(s.stop)
        c = s.conn()
        for i in range(200):
            c.cmd("SET", "k%d" % i, "v")
        self.assertEqual(c.cmd("BGSAVE"), b"+Background saving started\r\n")
        self.assertEqual(info(c)["rdb_bgsave_in_progress"], "1")
        self.assertEqual(c.cmd("FLUSHALL"), b"+OK\r\n")
        i = info(c)
        self.assertEqual(i["rdb_bgsave_in_progress"], "0")
        self.assertEqual(i["rdb_last_bgsave_status"], "ok")
        self.assertFalse(os.path.exists(os.path.join(s.dir, "dump.rill")))
        self.assertFalse([f for f in os.listdir(s.dir) if f.startswith("temp-")])


if __name__ == "__main__":
    harness.main()
