"""Server commands: INFO DBSIZE FLUSHDB FLUSHALL SWAPDB TIME SHUTDOWN DEBUG.

Diff cases compare raw replies with redis-server 7.0.15 byte for byte;
Rill cases check what cannot be compared (INFO values, timing, exit)."""
import os
import shutil
import subprocess
import time

import harness


class ServerDiff(harness.DiffTestCase):
    @classmethod
    def setUpClass(cls):
        cls.rill = harness.Server("rill")
        # Redis refuses DEBUG unless enabled; Rill always allows it.
        cls.redis = harness.Server("redis", extra=["--enable-debug-command", "yes"])

    def resp3(self):
        """Switch both connections to RESP3 (HELLO's reply has the client id: not compared)."""
        self.a.cmd("HELLO", "3")
        self.b.cmd("HELLO", "3")

    def test_dbsize(self):
        self.diff(("DBSIZE",), ("SET", "a", "1"), ("SET", "b", "2"), ("DBSIZE",),
                  ("DBSIZE", "x"), ("SELECT", "1"), ("DBSIZE",), ("SET", "c", "3"),
                  ("DBSIZE",), ("SELECT", "0"), ("DBSIZE",))

    def test_flushdb(self):
        self.diff(("SET", "a", "1"), ("SELECT", "2"), ("SET", "b", "1"), ("FLUSHDB",),
                  ("DBSIZE",), ("SELECT", "0"), ("DBSIZE",), ("FLUSHDB", "ASYNC"),
                  ("DBSIZE",), ("FLUSHDB", "sync"), ("FLUSHDB", "foo"),
                  ("FLUSHDB", "async", "sync"), ("FLUSHDB", "async", "x"))

    def test_flushall(self):
        self.diff(("SET", "a", "1"), ("SELECT", "3"), ("SET", "b", "1"), ("FLUSHALL",),
                  ("DBSIZE",), ("SELECT", "0"), ("DBSIZE",), ("FLUSHALL", "ASYNC"),
                  ("FLUSHALL", "SYNC"), ("FLUSHALL", "foo"), ("FLUSHALL", "async", "sync"))

    def test_swapdb(self):
        self.diff(("SET", "a", "in0"), ("SELECT", "1"), ("SET", "b", "in1"),
                  ("SWAPDB", "0", "1"), ("GET", "a"), ("GET", "b"), ("SELECT", "0"),
                  ("GET", "a"), ("GET", "b"), ("SWAPDB", "0", "0"), ("GET", "b"),
                  ("SWAPDB", "1", "0"), ("GET", "a"))

    def test_swapdb_errors(self):
        self.diff(("SWAPDB", "0"), ("SWAPDB", "a", "1"), ("SWAPDB", "0", "a"),
                  ("SWAPDB", "0", "100"), ("SWAPDB", "100", "0"), ("SWAPDB", "-1", "0"),
                  ("SWAPDB", "0", "16"), ("SWAPDB", "99999999999", "0"), ("SWAPDB", "1.5", "0"),
                  ("SWAPDB", "", "0"))

    def test_time_arity(self):
        self.diff(("TIME", "x"),)

    def test_shutdown_errors(self):
        self.diff(("SHUTDOWN", "foo"), ("SHUTDOWN", "SAVE", "NOSAVE"), ("SHUTDOWN", "ABORT"),
                  ("SHUTDOWN", "ABORT", "NOW"), ("SHUTDOWN", "NOSAVE", "ABORT"),
                  ("SHUTDOWN", "now", "bar"))

    def test_info_keyspace_and_unknown_section(self):
        self.diff(("SET", "a", "1"), ("SET", "b", "1"), ("SELECT", "5"), ("SET", "c", "1"),
                  ("INFO", "keyspace"), ("INFO", "KEYSPACE"), ("INFO", "nosuchsection"),
                  ("INFO", "a", "b", "c"), ("INFO", "cluster"), ("INFO", "modules"))

    def test_info_resp3_verbatim(self):
        self.resp3()
        self.diff(("SET", "a", "1"), ("INFO", "keyspace"), ("INFO", "foo"))

    def test_debug_errors_and_simple(self):
        self.diff(("DEBUG",), ("DEBUG", "foo"), ("DEBUG", "SLEEP"), ("DEBUG", "SLEEP", "0.1", "x"),
                  ("DEBUG", "SLEEP", "0"), ("DEBUG", "SLEEP", "abc"),
                  ("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("DEBUG", "set-active-expire", "1"),
                  ("DEBUG", "SET-ACTIVE-EXPIRE"), ("DEBUG", "ERROR", "foo"),
                  ("DEBUG", "ERROR", "WRONGTYPE bad\nthing"), ("DEBUG", "LOG", "hello"))

    def test_debug_protocol(self):
        types = ("string", "integer", "double", "bignum", "null", "array", "set", "map",
                 "verbatim", "true", "false", "push", "nosuch")
        self.diff(*[("DEBUG", "PROTOCOL", t) for t in types])
        self.resp3()
        self.diff(*[("DEBUG", "PROTOCOL", t) for t in types if t != "push"])


class Server(harness.RillTestCase):
    def info(self, *sections):
        raw = self.c.cmd("INFO", *sections)
        self.assertTrue(raw.startswith(b"$"), raw[:50])
        return harness.parse(raw).decode()

    def fields(self, text):
        out = {}
        for line in text.split("\r\n"):
            if line and not line.startswith("#"):
                k, _, v = line.partition(":")
                out[k] = v
        return out

    def test_info_default_sections(self):
        text = self.info()
        headers = [l for l in text.split("\r\n") if l.startswith("# ")]
        self.assertEqual(headers, ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                                   "# Replication", "# CPU", "# Modules", "# Errorstats",
                                   "# Cluster", "# Keyspace"])
        self.assertTrue(text.startswith("# Server\r\nredis_version:7.0.15\r\n"), text[:60])
        self.assertTrue(text.endswith("\r\n"))
        self.assertNotIn("\r\n\r\n\r\n", text)
        for line in text.split("\r\n"):
            if line and not line.startswith("#"):
                self.assertRegex(line, r"^[A-Za-z0-9_|-]+:", line)

    def test_info_fields(self):
        f = self.fields(self.info("everything"))
        for k in ("redis_version", "rill_version", "redis_mode", "os", "arch_bits", "process_id",
                  "run_id", "tcp_port", "uptime_in_seconds", "hz", "executable", "config_file",
                  "connected_clients", "maxclients", "blocked_clients", "used_memory",
                  "used_memory_human", "used_memory_rss", "used_memory_peak", "maxmemory",
                  "maxmemory_policy", "mem_fragmentation_ratio", "loading",
                  "rdb_changes_since_last_save", "aof_enabled", "total_connections_received",
                  "total_commands_processed", "instantaneous_ops_per_sec", "total_net_input_bytes",
                  "expired_keys", "keyspace_hits", "keyspace_misses", "total_error_replies",
                  "role", "used_cpu_sys", "used_cpu_user", "cluster_enabled"):
            self.assertIn(k, f)
        self.assertEqual(f["redis_version"], "7.0.15")
        self.assertEqual(f["tcp_port"], str(self.server.port))
        self.assertEqual(f["process_id"], str(self.server.proc.pid))
        self.assertEqual(f["role"], "master")
        self.assertEqual(len(f["run_id"]), 40)
        self.assertGreater(int(f["used_memory"]), 0)
        self.assertGreater(int(f["used_memory_rss"]), 4096)
        self.assertGreaterEqual(int(f["used_memory_peak"]), 1)
        self.assertGreaterEqual(int(f["connected_clients"]), 1)
        self.assertRegex(f["used_cpu_user"], r"^\d+\.\d{6}$")
        self.assertRegex(f["used_memory_human"], r"^\d+(\.\d\d[KMGTP]|B)$")

    def test_info_redis_py_parses(self):
        import redis
        r = redis.Redis(port=self.server.port)
        try:
            r.config_resetstat()
            r.set("k1", "v")
            r.set("k2", "v")
            r.expire("k2", 1000)
            info = r.info()
            self.assertEqual(info["redis_version"], "7.0.15")
            self.assertIsInstance(info["used_memory"], int)
            self.assertEqual(info["db0"]["keys"], 2)
            self.assertEqual(info["db0"]["expires"], 1)
            self.assertGreater(info["db0"]["avg_ttl"], 900000)
            allinfo = r.info("all")
            self.assertIn("cmdstat_set", allinfo)
            self.assertEqual(allinfo["cmdstat_set"]["calls"], 2)
            self.assertIn("usec_per_call", allinfo["cmdstat_set"])
            self.assertEqual(r.info("server")["tcp_port"], self.server.port)
        finally:
            r.close()

    def test_info_section_selection(self):
        self.assertEqual(self.info("nosuch"), "")
        t = self.info("keyspace", "server")
        self.assertTrue(t.startswith("# Server\r\n"))
        self.assertIn("\r\n\r\n# Keyspace\r\n", t)
        self.assertNotIn("# Clients", t)
        self.assertTrue(self.info("CPU").startswith("# CPU\r\nused_cpu_sys:"))
        all_ = self.info("all")
        self.assertIn("# Commandstats", all_)
        self.assertIn("# Latencystats", all_)
        self.assertNotIn("# Commandstats", self.info())
        self.assertNotIn("# Commandstats", self.info("default"))
        self.assertIn("# Commandstats", self.info("default", "commandstats"))
        self.assertEqual(self.info("memory", "memory").count("# Memory"), 1)

    def test_info_commandstats(self):
        self.assertEqual(self.c.cmd("CONFIG", "RESETSTAT"), b"+OK\r\n")
        self.c.cmd("SET", "a", "1")
        self.c.cmd("GET", "a")
        self.c.cmd("GET", "a")
        self.c.cmd("GET", "a", "extra")          # rejected: arity
        self.c.cmd("CONFIG", "GET", "timeout")
        f = self.fields(self.info("commandstats"))
        self.assertRegex(f["cmdstat_get"],
                         r"^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$")
        self.assertTrue(f["cmdstat_set"].startswith("calls=1,"))
        self.assertTrue(f["cmdstat_config|get"].startswith("calls=1,"))
        self.assertNotIn("cmdstat_del", f)

    def test_info_errorstats(self):
        self.c.cmd("CONFIG", "RESETSTAT")
        self.assertEqual(self.c.cmd("DEBUG", "ERROR", "WRONGTYPE made up"), b"-WRONGTYPE made up\r\n")
        self.c.cmd("DEBUG", "ERROR", "WRONGTYPE again")
        self.c.cmd("DEBUG", "ERROR", "nospace")
        f = self.fields(self.info("errorstats"))
        self.assertEqual(f["errorstat_WRONGTYPE"], "count=2")
        self.assertEqual(f["errorstat_ERR"], "count=1")
        self.assertEqual(self.fields(self.info("stats"))["total_error_replies"], "3")
        self.c.cmd("CONFIG", "RESETSTAT")
        self.assertEqual(self.info("errorstats"), "# Errorstats\r\n")

    def test_info_keyspace_values(self):
        self.c.cmd("SET", "a", "1")
        self.c.cmd("SET", "b", "1", "EX", "100")
        self.c.cmd("SELECT", "3")
        self.c.cmd("SET", "c", "1")
        f = self.fields(self.info("keyspace"))
        self.assertRegex(f["db0"], r"^keys=2,expires=1,avg_ttl=\d+$")
        self.assertGreater(int(f["db0"].rsplit("=", 1)[1]), 90000)
        self.assertEqual(f["db3"], "keys=1,expires=0,avg_ttl=0")
        self.assertNotIn("db1", f)

    def test_info_resp3_is_verbatim_txt(self):
        self.c.cmd("HELLO", "3")
        raw = self.c.cmd("INFO", "server")
        self.assertTrue(raw.startswith(b"="), raw[:20])
        self.assertIn(b"\r\ntxt:# Server\r\n", raw)

    def test_info_stats_counts(self):
        f1 = self.fields(self.info("stats"))
        for _ in range(5):
            self.c.cmd("PING")
        self.c.cmd("GET", "nosuchkey")
        f2 = self.fields(self.info("stats"))
        self.assertGreaterEqual(int(f2["total_commands_processed"]) - int(f1["total_commands_processed"]), 7)
        self.assertGreaterEqual(int(f2["keyspace_misses"]), int(f1["keyspace_misses"]) + 1)
        self.assertGreater(int(f2["total_net_input_bytes"]), int(f1["total_net_input_bytes"]))

    def test_maxmemory_in_info(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", "100mb"), b"+OK\r\n")
        try:
            f = self.fields(self.info("memory"))
            self.assertEqual(f["maxmemory"], str(100 * 1024 * 1024))
            self.assertEqual(f["maxmemory_human"], "100.00M")
        finally:
            self.c.cmd("CONFIG", "SET", "maxmemory", "0")

    def test_time(self):
        raw = self.c.cmd("TIME")
        secs, usecs = harness.parse(raw)
        self.assertLess(abs(int(secs) - time.time()), 5)
        self.assertTrue(0 <= int(usecs) < 1000000)

    def test_swapdb_visible_to_other_clients(self):
        other = self.server.conn()
        try:
            other.cmd("SELECT", "1")
            self.c.cmd("SET", "x", "from0")
            self.assertEqual(other.cmd("GET", "x"), b"$-1\r\n")
            self.assertEqual(self.c.cmd("SWAPDB", "0", "1"), b"+OK\r\n")
            self.assertEqual(other.cmd("GET", "x"), b"$5\r\nfrom0\r\n")
            self.assertEqual(self.c.cmd("DBSIZE"), b":0\r\n")
        finally:
            other.close()

    def test_flushall_async_large(self):
        self.c.send_raw(b"".join(self.c.encode("SET", "k%d" % i, "v" * 20) for i in range(2000)))
        for _ in range(2000):
            self.c.read_raw()
        self.assertEqual(self.c.cmd("DBSIZE"), b":2000\r\n")
        self.assertEqual(self.c.cmd("FLUSHALL", "ASYNC"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("DBSIZE"), b":0\r\n")
        self.assertEqual(self.c.cmd("SET", "k1", "again"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("GET", "k1"), b"$5\r\nagain\r\n")

    def test_flush_changes_counted(self):
        self.c.cmd("SET", "a", "1")
        self.c.cmd("SET", "b", "1")
        before = int(self.fields(self.info("persistence"))["rdb_changes_since_last_save"])
        self.c.cmd("FLUSHDB")
        after = int(self.fields(self.info("persistence"))["rdb_changes_since_last_save"])
        self.assertEqual(after - before, 2)

    def test_debug_sleep_blocks_server(self):
        other = self.server.conn()
        try:
            t0 = time.time()
            self.c.send("DEBUG", "SLEEP", "0.3")
            time.sleep(0.05)
            self.assertEqual(other.cmd("PING"), b"+PONG\r\n")
            waited = time.time() - t0
            self.assertEqual(self.c.read_raw(), b"+OK\r\n")
            self.assertGreaterEqual(waited, 0.25)
        finally:
            other.close()
        t0 = time.time()
        self.assertEqual(self.c.cmd("DEBUG", "SLEEP", "0.2"), b"+OK\r\n")
        self.assertGreaterEqual(time.time() - t0, 0.19)

    def test_debug_set_active_expire(self):
        try:
            self.assertEqual(self.c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0"), b"+OK\r\n")
            self.c.cmd("SET", "gone", "1", "PX", "30")
            time.sleep(0.4)
            self.assertEqual(self.c.cmd("DBSIZE"), b":1\r\n")   # still in the table
            self.assertEqual(self.c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1"), b"+OK\r\n")
            deadline = time.time() + 3
            while time.time() < deadline and self.c.cmd("DBSIZE") != b":0\r\n":
                time.sleep(0.05)
            self.assertEqual(self.c.cmd("DBSIZE"), b":0\r\n")
        finally:
            self.c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")

    def test_debug_help(self):
        lines = harness.parse(self.c.cmd("DEBUG", "HELP"))
        self.assertTrue(lines[0].startswith("DEBUG <subcommand>"))
        self.assertIn("SLEEP <seconds>", lines)
        self.assertIn("SET-ACTIVE-EXPIRE <0|1>", lines)

    def test_redis_cli_info(self):
        cli = shutil.which("redis-cli")
        if not cli:
            self.skipTest("redis-cli not installed")
        out = subprocess.run([cli, "-p", str(self.server.port), "INFO", "server"],
                             capture_output=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"redis_version:7.0.15", out.stdout)

    def test_redis_benchmark_fetches_config(self):
        bench = shutil.which("redis-benchmark")
        if not bench:
            self.skipTest("redis-benchmark not installed")
        out = subprocess.run([bench, "-p", str(self.server.port), "-t", "set,get", "-n", "200",
                              "-c", "2", "-q"], capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        both = out.stdout + out.stderr
        self.assertNotIn(b"Could not fetch server CONFIG", both)
        self.assertNotIn(b"failed to fetch CONFIG", both)
        self.assertIn(b"GET:", out.stdout)


class Shutdown(harness.RillTestCase):
    """Each case starts its own server, as SHUTDOWN ends it."""

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        self.server = harness.Server("rill")
        self.c = self.server.conn()

    def tearDown(self):
        self.c.close()
        self.server.stop()

    def assert_shuts_down(self, *args):
        self.c.send("SHUTDOWN", *args)
        self.assertTrue(self.c.closed_by_peer(wait=10))
        self.assertEqual(self.server.proc.wait(10), 0, self.server.read_log()[-2000:])

    def test_shutdown(self):
        self.c.cmd("SET", "a", "1")
        self.assert_shuts_down()

    def test_shutdown_nosave_now_force(self):
        self.assert_shuts_down("NOSAVE", "NOW", "FORCE")

    def test_shutdown_save(self):
        self.assert_shuts_down("save")

    def test_shutdown_runs_nothing_pipelined_after_it(self):
        self.c.send_raw(self.c.encode("SET", "before", "1") + self.c.encode("SHUTDOWN") +
                        self.c.encode("PING"))
        self.assertEqual(self.c.read_raw(), b"+OK\r\n")
        rest = self.c.buf
        self.c.sock.settimeout(10)
        while True:
            chunk = self.c.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.assertEqual(rest, b"")                  # no reply to SHUTDOWN, no PONG
        self.assertEqual(self.server.proc.wait(10), 0)

    def test_shutdown_with_redis_py(self):
        import redis
        r = redis.Redis(port=self.server.port)
        try:
            r.shutdown()
        except redis.exceptions.ConnectionError:
            pass
        self.assertEqual(self.server.proc.wait(10), 0)
        r.close()

    def test_shutdown_bad_args_keep_running(self):
        self.assertEqual(self.c.cmd("SHUTDOWN", "ABORT"), b"-ERR No shutdown in progress.\r\n")
        self.assertEqual(self.c.cmd("SHUTDOWN", "SAVE", "NOSAVE"), b"-ERR syntax error\r\n")
        self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")
        self.assertTrue(self.server.alive())

    def test_sigterm_still_works(self):
        self.server.proc.terminate()
        self.assertEqual(self.server.proc.wait(10), 0)


if __name__ == "__main__":
    harness.main()
