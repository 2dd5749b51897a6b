"""test_aof.py — the append log: crash and restart, torn tails, damage,
segments, fsync policies, -MISCONF on write errors, rill-check-log."""
import os
import resource
import subprocess
import time
import unittest

import harness
from harness import Server, parse

AOF = ("--appendonly", "yes")


def check_log_tool():
    return os.path.join(os.path.dirname(harness.rill_binary()), "rill-check-log")


def segdir(d):
    return os.path.join(d, "appendonlydir")


def segments(d):
    with open(os.path.join(segdir(d), "appendonly.aof.manifest")) as f:
        return [os.path.join(segdir(d), l.split()[1]) for l in f if l.startswith("segment ")]


def info(c, section="persistence"):
    out = {}
    for line in parse(c.cmd("INFO", section)).decode().split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def record_offsets(path):
    """Offsets of the records in a segment, from rill-check-log --print."""
    out = subprocess.run([check_log_tool(), "--print", path], capture_output=True, check=True).stdout.decode()
    return [int(l.split()[0]) for l in out.splitlines() if l[:1].isdigit()]


class AofBasics(harness.RillTestCase):
    extra = AOF + ("--appendfsync", "always")

    def test_info_fields(self):
        self.c.cmd("SET", "k", "v")
        i = info(self.c)
        self.assertEqual(i["aof_enabled"], "1")
        self.assertEqual(i["aof_last_write_status"], "ok")
        for f in ("aof_current_size", "aof_base_size", "aof_buffer_length", "aof_pending_bio_fsync",
                  "aof_delayed_fsync"):
            self.assertIn(f, i)
        self.assertGreater(int(i["aof_current_size"]), 0)
        self.assertEqual(i["aof_delayed_fsync"], "0")

    def test_always_replies_after_fsync(self):
        """Writes from several pipelining clients are all answered, each
        released by an fsync (counted in rill_aof_released_replies)."""
        before = int(info(self.c)["rill_aof_released_replies"])
        conns = [self.server.conn() for _ in range(5)]
        for n, c in enumerate(conns):
            c.send_raw(b"".join(c.encode("INCR", "ctr%d" % n) for _ in range(50)))
        for c in conns:
            for i in range(50):
                self.assertEqual(parse(c.read_raw()), i + 1)
        after = int(info(self.c)["rill_aof_released_replies"])
        self.assertGreater(after, before)
        self.assertEqual(info(self.c)["rill_aof_held_clients"], "0")
        # Reads are never held.
        self.assertEqual(self.c.cmd("GET", "ctr0"), b"$2\r\n50\r\n")
        for c in conns:
            c.close()

    def test_group_commit(self):
        """Twenty clients writing in lock step: one fsync answers many of
        them (the loop waits for the writers the last fsync released), and
        every write is answered exactly once."""
        i0 = info(self.c)
        conns = [self.server.conn() for _ in range(20)]
        rounds = 30
        for r in range(rounds):
            for n, c in enumerate(conns):
                c.send_raw(c.encode("INCR", "g%d" % n))
            for c in conns:
                self.assertEqual(parse(c.read_raw()), r + 1)
        i1 = info(self.c)
        writes = rounds * len(conns)
        fsyncs = int(i1["rill_aof_fsyncs"]) - int(i0["rill_aof_fsyncs"])
        self.assertEqual(int(i1["rill_aof_released_replies"]) - int(i0["rill_aof_released_replies"]), writes)
        self.assertGreater(fsyncs, 0)
        self.assertLess(fsyncs, writes // 3, "%d fsyncs for %d writes" % (fsyncs, writes))
        self.assertGreater(int(i1["rill_aof_last_fsync_us"]), 0)
        for c in conns:
            c.close()

    def test_slow_fsync_keeps_serving(self):
        """A write waits for its fsync; while a slow one runs (300 ms), the
        loop waits for it only briefly and serves the other clients."""
        self.assertEqual(self.c.cmd("DEBUG", "AOF-FSYNC-DELAY", "300"), b"+OK\r\n")
        try:
            w = self.server.conn()
            t0 = time.time()
            w.send_raw(w.encode("SET", "slow", "1"))
            time.sleep(0.02)   # the write is read and its fsync under way
            for _ in range(5):
                t = time.time()
                self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")
                self.assertEqual(self.c.cmd("GET", "slow"), b"$1\r\n1\r\n")
                self.assertLess(time.time() - t, 0.1, "a read waited for the slow fsync")
            self.assertEqual(w.read_raw(), b"+OK\r\n")
            self.assertGreaterEqual(time.time() - t0, 0.25, "the write was answered before its fsync")
            w.close()
            self.assertGreater(int(info(self.c)["rill_aof_fsync_wait_timeouts"]), 0)
        finally:
            self.c.cmd("DEBUG", "AOF-FSYNC-DELAY", "0")

    def fsync_thread_cpus(self):
        pid = self.server.proc.pid
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() == "rill-aof-fsync":
                    return os.sched_getaffinity(int(tid))
        self.fail("no rill-aof-fsync thread")

    @unittest.skipIf(len(os.sched_getaffinity(0)) < 2, "needs two CPUs")
    def test_fsync_thread_follows_core_thread(self):
        """Under always the fsync thread is held to one CPU, one the
        server may use (the core thread's); under everysec it gets every
        CPU back."""
        allowed = os.sched_getaffinity(self.server.proc.pid)
        for i in range(20):
            self.c.cmd("SET", "pin%d" % i, "v")
        cpus = self.fsync_thread_cpus()
        self.assertEqual(len(cpus), 1, cpus)
        self.assertTrue(cpus <= allowed)
        try:
            self.assertEqual(self.c.cmd("CONFIG", "SET", "appendfsync", "everysec"), b"+OK\r\n")
            self.c.cmd("SET", "pin", "everysec")
            deadline = time.time() + 5
            while self.fsync_thread_cpus() != allowed and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(self.fsync_thread_cpus(), allowed)
        finally:
            self.c.cmd("CONFIG", "SET", "appendfsync", "always")

    def test_config(self):
        self.assertEqual(parse(self.c.cmd("CONFIG", "GET", "appendonly")), [b"appendonly", b"yes"])
        self.assertEqual(self.c.cmd("CONFIG", "SET", "appendfsync", "everysec"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("SET", "x", "1"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "appendfsync", "no"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("SET", "x", "2"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "appendfsync", "always"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("SET", "x", "3"), b"+OK\r\n")
        self.assertTrue(self.c.cmd("CONFIG", "SET", "appendfsync", "sometimes").startswith(b"-ERR"))


class AofRestart(harness.RestartTestCase):
    """Each test owns a data directory and restarts servers on it."""

    base_args = AOF
    dir_prefix = "rill-aof-"

    def fill(self, c):
        """A bit of everything the log must bring back."""
        self.assertEqual(c.cmd("SET", "s", "hello"), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "big", "x" * 100000), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "bin", b"a\x00\r\nb"), b"+OK\r\n")
        c.cmd("SET", "ttl", "v", "EX", "1000")
        c.cmd("SET", "gone", "v", "PX", "50")
        c.cmd("INCRBYFLOAT", "f", "1.5")
        c.cmd("SET", "del", "x")
        c.cmd("DEL", "del")
        c.cmd("SELECT", "3")
        c.cmd("SET", "indb3", "yes")
        c.cmd("SELECT", "0")
        c.cmd("MULTI")
        c.cmd("INCR", "m1")
        c.cmd("SET", "m2", "z")
        c.cmd("EXPIRE", "m2", "500")
        self.assertEqual(parse(c.cmd("EXEC")), [1, "OK", 1])
        time.sleep(0.1)

    def check(self, c):
        self.assertEqual(c.cmd("GET", "s"), b"$5\r\nhello\r\n")
        self.assertEqual(parse(c.cmd("GET", "big")), b"x" * 100000)
        self.assertEqual(parse(c.cmd("GET", "bin")), b"a\x00\r\nb")
        ttl = parse(c.cmd("TTL", "ttl"))
        self.assertTrue(990 <= ttl <= 1000, ttl)
        self.assertEqual(parse(c.cmd("EXISTS", "gone")), 0)
        self.assertEqual(parse(c.cmd("GET", "f")), b"1.5")
        self.assertEqual(parse(c.cmd("EXISTS", "del")), 0)
        self.assertEqual(parse(c.cmd("GET", "m1")), b"1")
        self.assertTrue(0 < parse(c.cmd("TTL", "m2")) <= 500)
        c.cmd("SELECT", "3")
        self.assertEqual(parse(c.cmd("GET", "indb3")), b"yes")
        c.cmd("SELECT", "0")

    def test_kill9_always(self):
        s = self.start("--appendfsync", "always")
        c = s.conn()
        self.fill(c)
        s.kill9()
        s = self.start()
        self.check(s.conn())
        self.assertIn("DB loaded from append only file", self.log())

    def test_kill9_everysec(self):
        s = self.start("--appendfsync", "everysec")
        c = s.conn()
        self.fill(c)
        time.sleep(3.5)   # at most ~1 s is at risk, plus up to 2 s of write postponed behind a slow fsync
        s.kill9()
        s = self.start()
        self.check(s.conn())

    def test_kill9_counted_writes(self):
        """appendfsync always: every write whose reply arrived survives."""
        s = self.start("--appendfsync", "always")
        c = s.conn()
        acked = 0
        c.send_raw(b"".join(c.encode("INCR", "n") for _ in range(300)))
        for _ in range(300):
            c.read_raw()
            acked += 1
        s.kill9()
        s = self.start()
        self.assertGreaterEqual(int(parse(s.conn().cmd("GET", "n"))), acked)

    def test_torn_tail_is_cut(self):
        s = self.start("--appendfsync", "always")
        c = s.conn()
        c.cmd("SET", "a", "1")
        c.cmd("SET", "b", "2")
        s.kill9()
        seg = segments(self.dir)[-1]
        # Under always the segment is preallocated: zeros follow the records.
        offs = record_offsets(seg)
        self.assertEqual(len(offs), 2)
        with open(seg, "rb") as f:
            data = f.read()
        end = len(data.rstrip(b"\0"))
        self.assertGreater(len(data), end)
        r = subprocess.run([check_log_tool(), seg], capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn(b"2 records, %d bytes, then %d bytes of preallocated zeros" % (end, len(data) - end), r.stdout)
        with open(seg, "ab") as f:
            f.write(b"\x40\x00\x00\x00\x0a\x03SET")   # a record cut short
        s = self.start()
        c = s.conn()
        self.assertEqual(parse(c.cmd("MGET", "a", "b")), [b"1", b"2"])
        self.assertEqual(os.path.getsize(seg), end)
        log = self.log()
        self.assertIn("torn tail at offset %d" % end, log)
        self.assertIn("%d bytes dropped" % (len(data) - end + 9), log)
        # Appending goes on after the cut.
        c.cmd("SET", "c", "3")
        s.kill9()
        s = self.start()
        self.assertEqual(parse(s.conn().cmd("MGET", "a", "b", "c")), [b"1", b"2", b"3"])

    def test_preallocated_space(self):
        """Under always the newest segment is kept filled with zeros ahead of
        the records (a write over existing blocks syncs faster); a crash
        leaves them, start-up cuts them quietly, a clean stop leaves none,
        and everysec never preallocates."""
        s = self.start("--appendfsync", "always")
        c = s.conn()
        for i in range(50):
            c.cmd("SET", "k%d" % i, "v" * 100)
        s.kill9()
        seg = segments(self.dir)[-1]
        with open(seg, "rb") as f:
            data = f.read()
        end = len(data.rstrip(b"\0"))
        self.assertGreater(len(data) - end, 1 << 19)
        s = self.start("--appendfsync", "always")
        c = s.conn()
        self.assertEqual(parse(c.cmd("DBSIZE")), 50)
        self.assertNotIn("torn", self.log())
        c.cmd("SET", "after", "1")
        s.stop()
        with open(seg, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), len(data.rstrip(b"\0")), "zeros left after a clean stop")
        self.assertEqual(len(record_offsets(seg)), 51)
        s = self.start("--appendfsync", "everysec")
        c = s.conn()
        self.assertEqual(parse(c.cmd("GET", "after")), b"1")
        c.cmd("SET", "e", "1")
        s.kill9()
        with open(seg, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), len(data.rstrip(b"\0")))

    def test_corrupt_middle_stops_startup(self):
        s = self.start("--appendfsync", "always")
        c = s.conn()
        for i in range(5):
            c.cmd("SET", "k%d" % i, "v%d" % i)
        s.kill9()
        seg = segments(self.dir)[-1]
        offs = record_offsets(seg)
        self.assertEqual(len(offs), 5)
        with open(seg, "r+b") as f:
            f.seek(offs[2] + 6)
            b = f.read(1)
            f.seek(offs[2] + 6)
            f.write(bytes([b[0] ^ 0x20]))
        with self.assertRaises(RuntimeError) as cm:
            self.start()
        msg = str(cm.exception)
        self.assertIn("at offset %d" % offs[2], msg)
        self.assertIn(seg, msg)
        self.assertIn("rill-check-log --fix", msg)
        # The tool finds the same record and cuts the segment there.
        r = subprocess.run([check_log_tool(), seg], capture_output=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"bad record at offset %d" % offs[2], r.stdout)
        r = subprocess.run([check_log_tool(), "--fix", seg], capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(os.path.getsize(seg), offs[2])
        s = self.start()
        self.assertEqual(parse(s.conn().cmd("DBSIZE")), 2)

    def test_segments(self):
        # always: each loop iteration's records are written (and rotated) at
        # once; everysec may postpone writes behind a running fsync.
        s = self.start("--appendfsync", "always", "--aof-segment-size", "4096")
        c = s.conn()
        for i in range(300):
            c.cmd("SET", "key:%d" % i, "v" * 100)
        n = int(info(c)["rill_aof_segments"])
        self.assertGreater(n, 5)
        segs = segments(self.dir)
        self.assertEqual(len(segs), n)
        for p in segs:
            self.assertTrue(os.path.exists(p), p)
        s.kill9()
        s = self.start("--aof-segment-size", "4096")
        c = s.conn()
        self.assertEqual(parse(c.cmd("DBSIZE")), 300)
        self.assertEqual(parse(c.cmd("GET", "key:299")), b"v" * 100)

    def test_misconf_on_file_size_limit(self):
        """A write error (here EFBIG from a file size limit, as a full disk
        would give ENOSPC) refuses writes with -MISCONF until the disk
        takes the buffered records; reads go on; nothing acked is lost."""
        s = self.start("--appendfsync", "everysec")
        c = s.conn()
        c.cmd("SET", "before", "1")
        size = os.path.getsize(segments(self.dir)[-1])
        resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (size + 3000, resource.RLIM_INFINITY))
        acked = []
        refused = None
        for i in range(20):
            r = c.cmd("SET", "k%d" % i, "x" * 1000)
            if r == b"+OK\r\n":
                acked.append(i)
            else:
                refused = r
                break
        self.assertEqual(refused, b"-MISCONF Errors writing to the AOF file: File too large\r\n")
        self.assertEqual(info(c)["aof_last_write_status"], "err")
        self.assertEqual(c.cmd("GET", "before"), b"$1\r\n1\r\n")
        self.assertEqual(c.cmd("PING"), refused)   # as Redis
        # The disk takes writes again: the buffer goes out, writes resume.
        resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        deadline = time.time() + 5
        while c.cmd("SET", "after", "1") != b"+OK\r\n":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        self.assertEqual(info(c)["aof_last_write_status"], "ok")
        time.sleep(1.5)
        s.kill9()
        s = self.start()
        c = s.conn()
        for i in acked:
            self.assertEqual(parse(c.cmd("GET", "k%d" % i)), b"x" * 1000)
        self.assertEqual(parse(c.cmd("GET", "after")), b"1")
        self.assertIn("Error writing to the append log: File too large", self.log())

    def test_misconf_always_holds_reply(self):
        """appendfsync always: the write whose record could not be written
        gets no reply until it is on disk; other writes get -MISCONF."""
        s = self.start("--appendfsync", "always")
        c = s.conn()
        self.assertEqual(c.cmd("DEBUG", "AOF-FAIL-WRITES", "28"), b"+OK\r\n")
        c.send("SET", "held", "1")
        time.sleep(0.3)
        c2 = s.conn()
        self.assertEqual(c2.cmd("SET", "other", "1"), b"-MISCONF Errors writing to the AOF file: No space left on device\r\n")
        self.assertEqual(parse(c2.cmd("GET", "held")), b"1")   # applied in memory, not acknowledged
        c.sock.settimeout(0.3)
        with self.assertRaises(OSError):
            c.read_raw()
        c.sock.settimeout(10)
        self.assertEqual(c2.cmd("DEBUG", "AOF-FAIL-WRITES", "0"), b"+OK\r\n")
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        s.kill9()
        s = self.start()
        self.assertEqual(parse(s.conn().cmd("GET", "held")), b"1")

    def test_check_log_tool_print(self):
        s = self.start("--appendfsync", "always")
        c = s.conn()
        c.cmd("SET", "a", "b\nc")
        c.cmd("MULTI")
        c.cmd("SET", "x", "1")
        c.cmd("SET", "y", "2")
        c.cmd("EXEC")
        s.stop()
        seg = segments(self.dir)[-1]
        out = subprocess.run([check_log_tool(), "--print", seg], capture_output=True, check=True).stdout.decode()
        self.assertIn('"SET" "a" "b\\nc"', out)
        self.assertIn('group=begin "SET" "x" "1"', out)
        self.assertIn('group=end "SET" "y" "2"', out)
        self.assertIn("OK, 3 records", out)


if __name__ == "__main__":
    harness.main()
