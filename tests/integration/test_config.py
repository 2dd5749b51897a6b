"""CONFIG GET | SET | RESETSTAT | REWRITE | HELP.

Diff cases compare raw replies with redis-server 7.0.15 for the options
both servers share and for the error paths; Rill cases check set-then-get,
all-or-nothing CONFIG SET, RESETSTAT and REWRITE against a real file."""
import os
import socket
import subprocess
import tempfile
import shutil
import time

import harness


class ConfigDiff(harness.DiffTestCase):
    def resp3(self):
        self.a.cmd("HELLO", "3")
        self.b.cmd("HELLO", "3")

    def diff_map(self, *args):
        """CONFIG GET with several matches: Redis orders them by its hash
        table, Rill by its option table; compare the pairs, not the order."""
        self.a.send(*args)
        self.b.send(*args)
        ra, rb = self.a.read_raw(), self.b.read_raw()
        self.assertEqual(ra[:1], rb[:1], (ra, rb))
        pa, pb = harness.parse(ra), harness.parse(rb)
        if isinstance(pa, list):
            pa, pb = dict(zip(pa[0::2], pa[1::2])), dict(zip(pb[0::2], pb[1::2]))
        self.assertEqual(pa, pb, args)
        self.assertEqual(len(ra), len(rb))

    def test_get_shared_options(self):
        self.diff(("CONFIG", "GET", "maxclients"), ("CONFIG", "GET", "timeout"),
                  ("CONFIG", "GET", "databases"), ("CONFIG", "GET", "MAXCLIENTS"),
                  ("CONFIG", "GET", "tcp-keepalive"), ("CONFIG", "GET", "maxmemory"),
                  ("CONFIG", "GET", "proto-max-bulk-len"), ("CONFIG", "GET", "hz"),
                  ("CONFIG", "GET", "requirepass"), ("CONFIG", "GET", "client-query-buffer-limit"))

    def test_get_several_patterns_once_each(self):
        self.diff_map("CONFIG", "GET", "timeout", "maxclients")
        self.diff_map("CONFIG", "GET", "maxclients", "Timeout", "tcp-keepalive")
        self.diff_map("CONFIG", "GET", "timeout", "timeout", "TIMEOUT", "TIME*")
        self.diff_map("CONFIG", "GET", "TIME*", "timeout")
        self.diff(("CONFIG", "GET", "nosuchoption"), ("CONFIG", "GET", "nosuch*"),
                  ("CONFIG", "GET", "maxclients", "nosuch"), ("CONFIG", "GET", "time?ut"),
                  ("CONFIG", "GET", "[t]imeout"), ("CONFIG", "GET", "TIMEOUT"))

    def test_get_benchmark_probes(self):
        # redis-benchmark reads these two; Rill answers what it does.
        self.diff(("CONFIG", "GET", "save"), ("CONFIG", "GET", "appendonly"),
                  ("CONFIG", "GET", "maxmemory-policy"))

    def test_get_resp3_map(self):
        self.resp3()
        self.diff_map("CONFIG", "GET", "maxclients", "timeout")
        self.diff(("CONFIG", "GET", "nosuch"), ("CONFIG", "GET", "databases"))

    def test_arity_and_subcommands(self):
        self.diff(("CONFIG",), ("CONFIG", "GET"), ("CONFIG", "SET"), ("CONFIG", "SET", "timeout"),
                  ("CONFIG", "FOO"), ("CONFIG", "RESETSTAT", "x"), ("CONFIG", "REWRITE", "x"),
                  ("CONFIG", "HELP", "x"), ("CONFIG", "help"), ("CONFIG", "REWRITE"))

    def test_set_errors(self):
        self.diff(("CONFIG", "SET", "foo", "bar"),
                  ("CONFIG", "SET", "timeout", "1", "hz"),                 # odd count
                  ("CONFIG", "SET", "timeout", "abc"),
                  ("CONFIG", "SET", "timeout", "-1"),
                  ("CONFIG", "SET", "databases", "3"),                     # immutable
                  ("CONFIG", "SET", "maxclients", "10", "maxclients", "20"),
                  ("CONFIG", "SET", "timeout", "10", "TIMEOUT", "20"),
                  ("CONFIG", "SET", "timeout", "5", "foo", "1"),
                  ("CONFIG", "SET", "databases", "3", "foo", "1"),
                  ("CONFIG", "SET", "foo", "1", "databases", "3"),
                  ("CONFIG", "SET", "maxmemory", "10xb"),
                  ("CONFIG", "SET", "tcp-keepalive", "-5"),
                  ("CONFIG", "GET", "timeout"))

    def test_set_then_get(self):
        try:
            self.diff(("CONFIG", "SET", "timeout", "300"), ("CONFIG", "GET", "timeout"),
                      ("CONFIG", "SET", "hz", "1000"), ("CONFIG", "GET", "hz"),      # clamped to 500
                      ("CONFIG", "SET", "hz", "0"), ("CONFIG", "GET", "hz"),         # clamped to 1
                      ("CONFIG", "SET", "maxmemory", "1mb"), ("CONFIG", "GET", "maxmemory"),
                      ("CONFIG", "SET", "maxmemory", "2k"), ("CONFIG", "GET", "maxmemory"),
                      ("CONFIG", "SET", "Timeout", "7", "tcp-keepalive", "60"),
                      ("CONFIG", "GET", "timeout"), ("CONFIG", "GET", "tcp-keepalive"))
        finally:
            for conn in (self.a, self.b):
                conn.cmd("CONFIG", "SET", "timeout", "0", "hz", "10", "maxmemory", "0",
                         "tcp-keepalive", "300")

    def test_memory_values(self):
        """Memory values parse as Redis 7.0's memtoull: no digits is 0, too
        many digits saturate and the unit then wraps, a sign, space or dot
        is an error; maxmemory takes the whole unsigned range, the other
        options their own, hash-max-listpack-value included."""
        values = ("", "kb", "0b", "1B", "1GB", "00012", "2k", "99999999999999999999",
                  "18446744073709551615", "18446744073709551616", "9223372036854775808",
                  "99999999999999999999kb", "1" * 127, "1" * 128, "-1", "1.5mb", " 1", "+1",
                  "0x10", "1kb ", "1 kb", "1tb")
        try:
            for name in ("maxmemory", "hash-max-listpack-value", "proto-max-bulk-len",
                         "client-query-buffer-limit"):
                for v in values:
                    self.diff(("CONFIG", "SET", name, v), ("CONFIG", "GET", name))
                self.diff(("CONFIG", "SET", name, "512mb"), ("CONFIG", "GET", name))
        finally:
            for conn in (self.a, self.b):
                conn.cmd("CONFIG", "SET", "maxmemory", "0", "hash-max-listpack-value", "64",
                         "proto-max-bulk-len", "512mb", "client-query-buffer-limit", "1gb")

    def test_set_is_atomic(self):
        self.diff(("CONFIG", "SET", "timeout", "11", "maxclients", "notanumber"))
        self.diff_map("CONFIG", "GET", "timeout", "maxclients")
        self.diff(("CONFIG", "SET", "timeout", "12", "hz", "15", "maxmemory", "bad"))
        self.diff_map("CONFIG", "GET", "timeout", "hz", "maxmemory")

    def test_resetstat_and_help(self):
        self.diff(("CONFIG", "RESETSTAT"), ("CONFIG", "HELP"))


class Config(harness.RillTestCase):
    def get(self, name):
        return harness.parse(self.c.cmd("CONFIG", "GET", name))

    def test_set_then_get(self):
        try:
            self.assertEqual(self.c.cmd("CONFIG", "SET", "maxclients", "1234"), b"+OK\r\n")
            self.assertEqual(self.get("maxclients"), [b"maxclients", b"1234"])
            self.assertEqual(self.c.cmd("CONFIG", "SET", "loglevel", "verbose"), b"+OK\r\n")
            self.assertEqual(self.get("loglevel"), [b"loglevel", b"verbose"])
        finally:
            self.c.cmd("CONFIG", "SET", "maxclients", "10000", "loglevel", "notice")

    def test_glob_patterns(self):
        got = harness.parse(self.c.cmd("CONFIG", "GET", "*max*"))
        names = got[0::2]
        self.assertIn(b"maxclients", names)
        self.assertIn(b"maxmemory", names)
        self.assertEqual(len(names), len(set(names)))
        everything = harness.parse(self.c.cmd("CONFIG", "GET", "*"))
        self.assertIn(b"port", everything[0::2])
        self.assertEqual(everything[everything.index(b"port") + 1], str(self.server.port).encode())

    def test_atomic_rollback_of_several(self):
        before = harness.parse(self.c.cmd("CONFIG", "GET", "timeout", "hz", "tcp-keepalive", "maxmemory"))
        reply = self.c.cmd("CONFIG", "SET", "timeout", "99", "hz", "77", "tcp-keepalive", "5",
                           "maxmemory", "lots")
        self.assertTrue(reply.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory')"),
                        reply)
        after = harness.parse(self.c.cmd("CONFIG", "GET", "timeout", "hz", "tcp-keepalive", "maxmemory"))
        self.assertEqual(before, after)
        # The hz hook ran again on the way back: the server still ticks (expiry works).
        self.c.cmd("SET", "k", "v", "PX", "20")
        time.sleep(0.1)
        self.assertEqual(self.c.cmd("GET", "k"), b"$-1\r\n")

    def test_immutable_and_unknown_leave_nothing_changed(self):
        before = self.get("timeout")
        self.assertTrue(self.c.cmd("CONFIG", "SET", "timeout", "50", "port", "1").startswith(
            b"-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"))
        self.assertTrue(self.c.cmd("CONFIG", "SET", "timeout", "50", "bogus", "1").startswith(
            b"-ERR Unknown option or number of arguments for CONFIG SET - 'bogus'"))
        self.assertEqual(self.get("timeout"), before)

    def test_requirepass_set_and_clear(self):
        try:
            self.assertEqual(self.c.cmd("CONFIG", "SET", "requirepass", "s3cret"), b"+OK\r\n")
            self.assertEqual(self.get("requirepass"), [b"requirepass", b"s3cret"])
        finally:
            self.c.cmd("CONFIG", "SET", "requirepass", "")
        self.assertEqual(self.get("requirepass"), [b"requirepass", b""])

    def test_resetstat(self):
        for _ in range(3):
            self.c.cmd("PING")
        self.c.cmd("GET", "x")
        self.assertEqual(self.c.cmd("CONFIG", "RESETSTAT"), b"+OK\r\n")
        info = harness.parse(self.c.cmd("INFO", "all")).decode()
        fields = dict(l.split(":", 1) for l in info.split("\r\n") if l and not l.startswith("#"))
        # INFO itself is not counted yet when it reports.
        self.assertEqual(fields["total_commands_processed"], "1")
        self.assertEqual(fields["keyspace_misses"], "0")
        self.assertEqual(fields["total_error_replies"], "0")
        self.assertNotIn("cmdstat_ping", fields)
        self.assertNotIn("cmdstat_get", fields)
        self.assertTrue(fields["cmdstat_config|resetstat"].startswith("calls=1,"))

    def test_rewrite_without_file(self):
        self.assertEqual(self.c.cmd("CONFIG", "REWRITE"),
                         b"-ERR The server is running without a config file\r\n")


def start_with_file(path, port):
    """Start rill-server with a config file (the file names port and dir)."""
    log = open(path + ".log", "wb")
    proc = subprocess.Popen([harness.rill_binary(), path], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("rill exited: " + open(path + ".log").read())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, log
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("rill did not start")


def stop(proc, log):
    if proc.poll() is None:
        proc.terminate()
        proc.wait(10)
    log.close()


class ConfigRewrite(harness.unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rill-it-conf-")
        self.port = harness.free_port()
        self.path = os.path.join(self.dir, "rill.conf")
        with open(self.path, "w") as f:
            f.write("# Rill test configuration\n"
                    "port %d\n"
                    "dir %s\n"
                    "save \"\"\n"
                    "\n"
                    "timeout 10\n"
                    "# keep this comment\n"
                    "hz 20\n"
                    "hz 30\n" % (self.port, self.dir))
        self.proc, self.log = start_with_file(self.path, self.port)
        self.c = harness.Conn(self.port)

    def tearDown(self):
        self.c.close()
        stop(self.proc, self.log)
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_rewrite_updates_in_place_and_appends(self):
        self.assertEqual(harness.parse(self.c.cmd("CONFIG", "GET", "hz")), [b"hz", b"30"])
        self.assertEqual(self.c.cmd("CONFIG", "SET", "timeout", "20", "maxclients", "555",
                                    "loglevel", "verbose", "hz", "10"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "requirepass", "a b\"c"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("CONFIG", "REWRITE"), b"+OK\r\n")
        with open(self.path) as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[0], "# Rill test configuration")
        self.assertIn("# keep this comment", lines)
        self.assertIn("timeout 20", lines)
        self.assertLess(lines.index("timeout 20"), lines.index("# keep this comment"))
        self.assertEqual([l for l in lines if l.startswith("hz ")], ["hz 10"])   # duplicates dropped
        self.assertIn("# Generated by CONFIG REWRITE", lines)
        self.assertLess(lines.index("# Generated by CONFIG REWRITE"), lines.index("maxclients 555"))
        self.assertIn('requirepass "a b\\"c"', lines)
        self.assertIn("loglevel verbose", lines)
        self.assertFalse([l for l in lines if l.startswith("tcp-keepalive")])   # defaults are not added
        # The rewritten file loads back to the same values.
        self.c.send("SHUTDOWN")
        self.assertEqual(self.proc.wait(10), 0)
        self.log.close()
        self.proc, self.log = start_with_file(self.path, self.port)
        self.c.close()
        self.c = harness.Conn(self.port)
        self.assertEqual(self.c.cmd("AUTH", 'a b"c'), b"+OK\r\n")
        got = harness.parse(self.c.cmd("CONFIG", "GET", "timeout", "maxclients", "hz", "requirepass"))
        self.assertEqual(got, [b"requirepass", b'a b"c', b"maxclients", b"555", b"timeout", b"20",
                               b"hz", b"10"])

    def test_rewrite_twice_is_stable(self):
        self.c.cmd("CONFIG", "SET", "maxclients", "777")
        self.assertEqual(self.c.cmd("CONFIG", "REWRITE"), b"+OK\r\n")
        with open(self.path) as f:
            first = f.read()
        self.assertEqual(self.c.cmd("CONFIG", "REWRITE"), b"+OK\r\n")
        with open(self.path) as f:
            self.assertEqual(f.read(), first)
        self.assertEqual(first.count("# Generated by CONFIG REWRITE"), 1)

    def test_rewrite_error_when_dir_is_gone(self):
        self.log.close()
        shutil.rmtree(self.dir)
        reply = self.c.cmd("CONFIG", "REWRITE")
        self.assertEqual(reply, b"-ERR Rewriting config file: No such file or directory\r\n")
        self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")


if __name__ == "__main__":
    harness.main()
