"""test_rill_benchmark.py — rill-benchmark: a short run of every test kind
against rill-server over the native protocol (the effects are checked with
RESP), with both engines (the direct SP wire protocol writer and librill,
--lib), the CSV output, refused and very large batches, a server that goes
away, a peer that is not a Rill server, and bad arguments."""
import csv
import io
import os
import socket
import subprocess
import threading
import time
import unittest

import harness


def tool(name):
    build = os.path.dirname(os.path.dirname(harness.rill_binary()))
    return os.path.join(build, "tools", name, name)


class RillBenchmark(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nport = harness.free_port()
        cls.srv = harness.Server("rill", extra=["--native-listen", "tcp://127.0.0.1:%d" % cls.nport,
                                                "--native-max-frame", "64kb"])
        cls.url = "tcp://127.0.0.1:%d" % cls.nport

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def run_bench(self, *args):
        return subprocess.run([tool("rill-benchmark"), "-u", self.url] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)

    def run_on_own_server(self, listen, url_of, *args):
        """A run (which must succeed) against a server of its own listening
        on `listen` (url_of(server) is the URL to give); returns a RESP
        connection to that server, closed at cleanup."""
        srv = harness.Server("rill", extra=["--native-listen", listen])
        self.addCleanup(srv.stop)
        p = subprocess.run([tool("rill-benchmark"), "-u", url_of(srv), *args, "--csv"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = srv.conn()
        self.addCleanup(c.close)
        return c

    def test_every_test_runs_and_does_its_work(self):
        self.every_test(())

    def test_every_test_runs_and_does_its_work_through_librill(self):
        self.every_test(("--lib",))

    def test_every_test_runs_and_does_its_work_one_request_per_message(self):
        self.every_test(("-P", "1"))

    def every_test(self, extra):
        c = self.srv.conn()
        c.cmd("FLUSHALL")
        c.close()
        p = self.run_bench("-c", "4", "-n", "300", "-P", "8", "-t", "ping,set,get,incr,lpush,rpop,xadd", "--csv", *extra)
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

    def _errors_are_counted(self, *extra):
        c = self.srv.conn()
        c.cmd("SET", "mylist", "not a list")
        c.close()
        p = self.run_bench("-c", "2", "-n", "50", "-t", "lpush", *extra)
        c = self.srv.conn()
        c.cmd("DEL", "mylist")
        c.close()
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"WRONGTYPE", p.stderr)
        self.assertIn(b"ERRORS", p.stdout)

    def test_errors_are_counted(self):
        self._errors_are_counted()

    def test_errors_are_counted_through_librill(self):
        self._errors_are_counted("-P", "4", "--lib")

    def test_refused_batch_is_an_error(self):
        # Two 32 KB SETs make a batch over native-max-frame (64 KB): refused whole with one ERROR.
        p = self.run_bench("-c", "1", "-n", "2", "-P", "2", "-d", "32768", "-t", "set")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"native-max-frame", p.stderr)

    def test_large_batches_go_out_whole(self):
        # 8 x 1 MB per message: more than a socket buffer, written in parts (EPOLLOUT).
        url = "tcp://127.0.0.1:%d" % harness.free_port()
        c = self.run_on_own_server(url, lambda srv: url, "-c", "2", "-n", "32", "-P", "8", "-d", "1000000", "-t", "lpush")
        self.assertEqual(c.cmd("LLEN", "mylist"), b":32\r\n")

    def test_server_going_away_ends_the_run(self):
        nport = harness.free_port()
        srv = harness.Server("rill", extra=["--native-listen", "tcp://127.0.0.1:%d" % nport])
        p = subprocess.Popen([tool("rill-benchmark"), "-u", "tcp://127.0.0.1:%d" % nport, "-c", "4",
                              "-n", "100000000", "-P", "4", "-t", "ping"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Stop the server only once all four clients are in (NNG's handshake
        # runs on its threads: on a loaded machine it can take a while).
        c = srv.conn()
        deadline = time.time() + 10
        while time.time() < deadline:
            info = c.cmd("INFO", "clients")
            n = int(info.split(b"connected_clients:")[1].split(b"\r\n")[0])
            if n >= 5:   # us and the four (a harness probe may still be closing)
                break
            time.sleep(0.05)
        c.close()
        time.sleep(0.2)
        srv.stop()
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("rill-benchmark did not notice the server going away")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"connection lost", err)

    def test_sigterm_under_native_load_stops_the_server(self):
        """SIGTERM while four native clients keep sending: the server exits
        within a few seconds every time (libnng 1.5.2's nng_close could wait
        forever here, about one time in fifteen; it is now bounded)."""
        for i in range(12):
            nport = harness.free_port()
            srv = harness.Server("rill", extra=["--native-listen", "tcp://127.0.0.1:%d" % nport])
            p = subprocess.Popen([tool("rill-benchmark"), "-u", "tcp://127.0.0.1:%d" % nport, "-c", "4",
                                  "-n", "100000000", "-P", "4", "-t", "ping"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(0.2)
                srv.proc.terminate()
                try:
                    srv.proc.wait(6)
                except subprocess.TimeoutExpired:
                    self.fail("round %d: rill-server still running 6 s after SIGTERM" % i)
                self.assertEqual(srv.proc.returncode, 0, srv.read_log()[-2000:])
                self.assertNotIn("Sanitizer", srv.read_log())
            finally:
                p.kill()
                p.wait()
                srv.stop()

    def test_peer_that_is_not_a_rill_server(self):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(4)
        port = ls.getsockname()[1]

        def serve():
            try:
                while True:
                    s, _ = ls.accept()
                    s.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                    s.close()
            except OSError:
                pass

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        try:
            p = subprocess.run([tool("rill-benchmark"), "-u", "tcp://127.0.0.1:%d" % port, "-n", "10", "-c", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        finally:
            ls.close()
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"only 0 of 2 clients connected", p.stderr)

    def test_ipc_url_goes_through_librill(self):
        c = self.run_on_own_server("ipc://bench.sock", lambda srv: "ipc://" + os.path.join(srv.dir, "bench.sock"),
                                   "-c", "2", "-n", "40", "-P", "4", "-t", "incr")
        self.assertEqual(c.cmd("GET", "counter:000000000000"), b"$2\r\n40\r\n")

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
