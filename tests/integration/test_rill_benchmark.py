"""test_rill_benchmark.py — rill-benchmark: a short run of every test kind
against rill-server over the native protocol (the effects are checked with
RESP), the CSV output, and bad arguments."""
import csv
import io
import os
import subprocess
import unittest

import harness


def tool(name):
    build = os.path.dirname(os.path.dirname(harness.rill_binary()))
    return os.path.join(build, "tools", name, name)


class RillBenchmark(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nport = harness.free_port()
        cls.srv = harness.Server("rill", extra=["--native-listen", "tcp://127.0.0.1:%d" % cls.nport])
        cls.url = "tcp://127.0.0.1:%d" % cls.nport

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def run_bench(self, *args):
        return subprocess.run([tool("rill-benchmark"), "-u", self.url] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)

    def test_every_test_runs_and_does_its_work(self):
        p = self.run_bench("-c", "4", "-n", "300", "-P", "8", "-t", "ping,set,get,incr,lpush,rpop,xadd", "--csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout.decode())))
        self.assertEqual([r["test"] for r in rows], ["PING", "SET", "GET", "INCR", "LPUSH", "RPOP", "XADD"])
        for r in rows:
            self.assertGreater(float(r["rps"]), 0)
            self.assertEqual(r["errors"], "0")
            self.assertLessEqual(float(r["p50_ms"]), float(r["p99_ms"]))
            self.assertLessEqual(float(r["p99_ms"]), float(r["p999_ms"]))
        c = self.srv.conn()
        self.assertEqual(c.cmd("GET", "key:000000000000"), b"$3\r\nxxx\r\n")
        self.assertEqual(c.cmd("GET", "counter:000000000000"), b"$3\r\n300\r\n")
        self.assertEqual(c.cmd("LLEN", "mylist"), b":0\r\n")                   # 300 pushed, 300 popped
        self.assertEqual(c.cmd("XLEN", "mystream"), b":300\r\n")
        c.close()

    def test_text_output_and_keyspace(self):
        p = self.run_bench("-c", "2", "-n", "100", "-t", "set", "-r", "1000", "-d", "10")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.decode(), r"^SET: [0-9.]+ requests per second, p50=[0-9.]+ msec p99=[0-9.]+ msec "
                                            r"p99\.9=[0-9.]+ msec \(100 requests, 2 clients, pipeline 1\)\n$")
        c = self.srv.conn()
        keys = c.cmd("DBSIZE")
        c.close()
        self.assertGreater(int(keys[1:-2]), 10)   # spread over many keys

    def test_errors_are_counted(self):
        c = self.srv.conn()
        c.cmd("SET", "mylist", "not a list")
        c.close()
        p = self.run_bench("-c", "2", "-n", "50", "-t", "lpush")
        c = self.srv.conn()
        c.cmd("DEL", "mylist")
        c.close()
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"WRONGTYPE", p.stderr)
        self.assertIn(b"ERRORS", p.stdout)

    def test_bad_arguments(self):
        for args in (["-P", "1025"], ["-P", "0"], ["-c", "0"], ["-n", "0"], ["-t", "nosuch"], ["--what"], ["-d", "-1"]):
            p = self.run_bench(*args)
            self.assertEqual(p.returncode, 2, args)

    def test_unreachable_server(self):
        p = subprocess.run([tool("rill-benchmark"), "-u", "tcp://127.0.0.1:%d" % harness.free_port(), "-n", "10",
                            "-c", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"connected", p.stderr)


if __name__ == "__main__":
    unittest.main()
