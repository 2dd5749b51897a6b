"""Native transports and connection life: the default ipc socket in the
data directory, tls+tcp with a certificate made at test time, 1,000
concurrent clients, a server restart under connected clients, and the
malformed requests that the POLL and parked paths add."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from native_wire import NativeClient, NngError, stop_checked, encode_request, ERROR  # noqa: E402

DEFAULT_LISTEN = "tcp://127.0.0.1:7379 ipc://rill.sock"


def start_must_fail(extra):
    """Runs rill-server with extra options; it must exit non-zero at start.
    Returns its output."""
    d = tempfile.mkdtemp(prefix="rill-it-fail-")
    try:
        p = subprocess.run([harness.rill_binary(), "--port", str(harness.free_port()), "--dir", d] + extra,
                           capture_output=True, timeout=20)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        if p.returncode == 0:
            raise AssertionError("rill-server started with %r:\n%s" % (extra, out))
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


class NativeIpcDefault(unittest.TestCase):
    def test_default_ipc_in_data_dir(self):
        # The default value (given literally, so the harness does not turn
        # the listener off): tcp may be taken by another server, which is
        # logged and not fatal; the ipc socket lives in the data directory.
        d = tempfile.mkdtemp(prefix="rill-it-ipc-")
        path = os.path.join(d, "rill.sock")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()   # a socket file nobody listens on: left by a crash
        s = harness.Server("rill", extra=["--native-listen", DEFAULT_LISTEN], dir=d)
        try:
            n = NativeClient("ipc://" + path)
            self.assertEqual(n.call("PING").py(), b"PONG")
            self.assertEqual(n.call("SET", "k", "v").py(), b"OK")
            n.close()
            self.assertIn("Removed stale native socket file", s.read_log())
            self.assertTrue(os.path.exists(path))
        finally:
            stop_checked(type(self), s)
        self.assertFalse(os.path.exists(path), "socket file left after shutdown")
        shutil.rmtree(d, ignore_errors=True)

    def test_default_address_taken_is_not_fatal(self):
        d = tempfile.mkdtemp(prefix="rill-it-ipc-")
        first = harness.Server("rill", extra=["--native-listen", DEFAULT_LISTEN], dir=d)
        try:
            # Same data directory: its ipc socket is live, so not removed, and skipped.
            second = harness.Server("rill", extra=["--native-listen", DEFAULT_LISTEN], dir=d)
            try:
                self.assertEqual(second.conn().cmd("PING"), b"+PONG\r\n")
                self.assertNotIn("Removed stale", second.read_log())
                self.assertIn("skipped", second.read_log())
                n = NativeClient("ipc://" + os.path.join(d, "rill.sock"))
                self.assertEqual(n.call("PING").py(), b"PONG")   # the first server still answers
                n.close()
            finally:
                second.proc.terminate()
                second.proc.wait(10)
                second.log.close()
        finally:
            stop_checked(type(self), first)
            shutil.rmtree(d, ignore_errors=True)

    def test_explicit_address_failure_is_fatal(self):
        out = start_must_fail(["--native-listen", "ipc:///nonexistent-dir/x/rill.sock"])
        self.assertIn("Could not listen for native clients on ipc:///nonexistent-dir/x/rill.sock", out)

    def test_relative_ipc_path(self):
        s = harness.Server("rill", extra=["--native-listen", "ipc://sub.sock"])
        try:
            n = NativeClient("ipc://" + os.path.join(s.dir, "sub.sock"))
            self.assertEqual(n.call("PING").py(), b"PONG")
            n.close()
        finally:
            stop_checked(type(self), s)


@unittest.skipUnless(shutil.which("openssl"), "openssl is not installed: cannot make a test certificate")
def close_tls_client(n, wait=5.0):
    """Closes a tls+tcp NativeClient without letting a hang stop the suite:
    libnng 1.5.2's nng_close of a TLS dialer hung twice in full parallel
    runs (client side; the server had answered).  The close runs on a
    daemon thread; if it has not returned after `wait`, the socket is left
    to the process exit (os._exit below)."""
    import threading
    t = threading.Thread(target=n.close, daemon=True)
    t.start()
    t.join(wait)


class NativeTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rill-it-tls-")
        cls.cert = os.path.join(cls.tmp, "server.crt")
        cls.key = os.path.join(cls.tmp, "server.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", cls.key, "-out", cls.cert],
                       check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_tls_ping(self):
        url = "tls+tcp://127.0.0.1:%d" % harness.free_port()
        s = harness.Server("rill", extra=["--native-listen", url, "--native-tls-cert-file", self.cert,
                                          "--native-tls-key-file", self.key])
        try:
            n = NativeClient(url, tls_ca=self.cert)
            self.assertEqual(n.call("PING").py(), b"PONG")
            self.assertEqual(n.call("ECHO", "over tls").py(), b"over tls")
            close_tls_client(n)
            # A plain tcp client on the TLS port gets nothing useful; the server survives.
            raw = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
            raw.sendall(b"\x00SP\x00\x00\x30\x00\x00" + b"garbage" * 10)
            raw.close()
            n = NativeClient(url, tls_ca=self.cert)
            self.assertEqual(n.call("PING").py(), b"PONG")
            close_tls_client(n)
        finally:
            stop_checked(type(self), s)

    def test_client_certificate_required(self):
        url = "tls+tcp://127.0.0.1:%d" % harness.free_port()
        s = harness.Server("rill", extra=["--native-listen", url, "--native-tls-cert-file", self.cert,
                                          "--native-tls-key-file", self.key, "--native-tls-ca-file", self.cert,
                                          "--native-tls-auth-clients", "yes"])
        try:
            n = NativeClient(url, tls_ca=self.cert, tls_cert=self.cert, tls_key=self.key)
            self.assertEqual(n.call("PING").py(), b"PONG")
            close_tls_client(n)
            # Without a client certificate: no session (the dial or the request fails).
            # The socket is not closed: NNG 1.5.2 can hang closing a dialer whose
            # TLS handshake was refused; the process exit cleans it up.
            with self.assertRaises((NngError, TimeoutError)):
                n = NativeClient(url, tls_ca=self.cert, retry=False, timeout=2)
                n.call("PING", timeout=1)
        finally:
            stop_checked(type(self), s)

    def test_tls_without_certificate_is_fatal(self):
        url = "tls+tcp://127.0.0.1:%d" % harness.free_port()
        out = start_must_fail(["--native-listen", url])
        self.assertIn("native-tls-cert-file and native-tls-key-file are required", out)
        out = start_must_fail(["--native-listen", url, "--native-tls-cert-file", "/nonexistent.crt",
                               "--native-tls-key-file", self.key])
        self.assertIn("/nonexistent.crt", out)
        out = start_must_fail(["--native-listen", url, "--native-tls-cert-file", self.cert,
                               "--native-tls-key-file", self.key, "--native-tls-auth-clients", "yes"])
        self.assertIn("native-tls-auth-clients needs native-tls-ca-file", out)


class NativeConnections(unittest.TestCase):
    def test_thousand_concurrent_clients(self):
        url = "tcp://127.0.0.1:%d" % harness.free_port()
        s = harness.Server("rill", extra=["--native-listen", url])
        clients = []
        try:
            for _ in range(1000):
                clients.append(NativeClient(url))
            # Every client has a request in flight at once, then a second round.
            ids = [c.send("INCR", "counter") for c in clients]
            vals = sorted(c.wait(i, 20).py() for c, i in zip(clients, ids))
            self.assertEqual(vals, list(range(1, 1001)))
            ids = [c.send("SET", "k%d" % n, str(n)) for n, c in enumerate(clients)]
            self.assertTrue(all(c.wait(i, 20).py() == b"OK" for c, i in zip(clients, ids)))
            ids = [c.send("GET", "k%d" % n) for n, c in enumerate(clients)]
            self.assertEqual([c.wait(i, 20).py() for c, i in zip(clients, ids)],
                             [str(n).encode() for n in range(1000)])
            info = harness.parse(s.conn().cmd("INFO", "clients")).decode()
            connected = int([ln for ln in info.splitlines() if ln.startswith("connected_clients:")][0].split(":")[1])
            self.assertGreaterEqual(connected, 1000)
            for c in clients:
                c.close()
            clients = []
            deadline = time.time() + 10
            c = s.conn()
            while time.time() < deadline:
                info = harness.parse(c.cmd("INFO", "clients")).decode()
                if "connected_clients:1\r" in info:
                    break
                time.sleep(0.05)
            self.assertIn("connected_clients:1\r", info)
        finally:
            for c in clients:
                c.close()
            stop_checked(type(self), s)

    def test_restart_with_clients_connected(self):
        port = harness.free_port()
        url = "tcp://127.0.0.1:%d" % port
        d = tempfile.mkdtemp(prefix="rill-it-restart-")
        extra = ["--native-listen", url, "--appendonly", "yes"]
        s = harness.Server("rill", extra=extra, dir=d)
        old = [NativeClient(url) for _ in range(5)]
        try:
            self.assertEqual(old[0].call("SET", "persist", "1").py(), b"OK")
            old[1].call("SUBSCRIBE", "ch")
            parked = old[2].send("BLPOP", "never", "0")
            poll = old[1].send("POLL")
            stop_checked(type(self), s)
            s = harness.Server("rill", extra=extra, dir=d)
            n = NativeClient(url)
            self.assertEqual(n.call("GET", "persist").py(), b"1")
            n.close()
            # The parked requests died with the old server: never answered by the new one.
            self.assertFalse(old[2].has_reply(parked, 0.2))
            self.assertFalse(old[1].has_reply(poll, 0.05))
            # NNG redials the old sockets: a new request gets a new session.
            self.assertEqual(old[3].call("GET", "persist", timeout=10).py(), b"1")
            self.assertTrue(s.alive())
        finally:
            for c in old:
                c.close()
            stop_checked(type(self), s)
            shutil.rmtree(d, ignore_errors=True)


class NativeMalformed(unittest.TestCase):
    """Bad input on the new paths: answered with an error, never a crash."""

    @classmethod
    def setUpClass(cls):
        cls.url = "tcp://127.0.0.1:%d" % harness.free_port()
        cls.rill = harness.Server("rill", extra=["--native-listen", cls.url])

    @classmethod
    def tearDownClass(cls):
        stop_checked(cls, cls.rill)

    def setUp(self):
        self.n = NativeClient(self.url)

    def tearDown(self):
        self.n.close()
        self.assertTrue(self.rill.alive(), self.rill.read_log()[-3000:])

    def test_garbage_while_parked(self):
        b = self.n.send("BLPOP", "mq", "0")
        v, _ = self.n.raw_call(b"\xff\xff\xff", timeout=5)      # not protobuf: answered at once
        self.assertEqual((v.kind, v.s), (ERROR, b"ERR Protocol error: not a valid Request message"))
        v, _ = self.n.raw_call(encode_request(77, []), timeout=5)
        self.assertEqual(v.s, b"ERR Protocol error: empty request: argv has no command")
        p = self.n.send("POLL", "x", "1")                          # bad POLL while parked: at once
        self.assertEqual(self.n.wait(p, 5).s, b"ERR timeout is not an integer or out of range")
        self.assertFalse(self.n.has_reply(b, 0.05))
        c = self.rill.conn()
        c.cmd("RPUSH", "mq", "1")
        self.assertEqual(self.n.wait(b, 5).py(), [b"mq", b"1"])

    def test_poll_binary_and_huge_arguments(self):
        for args in (("POLL", "\x00", "1"), ("POLL", "1" * 100, "1"), ("POLL", "10", "1" * 100),
                     ("POLL", "", ""), ("POLL", "9223372036854775808", "1")):
            v = self.n.call(*args)
            self.assertEqual(v.kind, ERROR, args)

    def test_monitor_refused(self):
        v = self.n.call("MONITOR")
        self.assertEqual(v.kind, ERROR)
        c = self.rill.conn()
        resp = c.cmd("MONITOR")
        c.close()
        if resp.startswith(b"-ERR unknown command"):   # no MONITOR at all yet: the same error as RESP
            self.assertEqual(v.resp3(), resp)
        else:
            self.assertEqual(v.s, b"ERR 'monitor' is not supported over the native protocol")

    def test_queued_behind_parked_bounded(self):
        c = self.rill.conn()
        c.cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb")
        try:
            self.n.call("CLIENT", "SETNAME", "flooder")
            self.n.send("BLPOP", "nothing", "0")
            big = "x" * (200 * 1024)
            for _ in range(8):   # 1.6 MB waiting behind the parked BLPOP
                self.n.send("SET", "k", big)
            deadline = time.time() + 5
            while time.time() < deadline and b"flooder" in c.cmd("CLIENT", "LIST"):
                time.sleep(0.05)
            self.assertNotIn(b"flooder", c.cmd("CLIENT", "LIST"))
            self.assertIn("Closing client that reached max query buffer length", self.rill.read_log())
            # (No check that the SETs never ran: NNG's client socket sends
            # whatever it still had queued again on the pipe it redials.)
        finally:
            c.cmd("CONFIG", "SET", "client-query-buffer-limit", "1gb")
            c.close()


if __name__ == "__main__":
    # os._exit: skip libnng's exit-time finaliser, which can hang on the
    # socket whose TLS dial was refused (test_client_certificate_required).
    # A hang (seen once under a full parallel ctest run, not reproduced
    # alone) dumps every thread's stack and fails in 4 minutes instead of
    # eating ctest's whole timeout.
    import faulthandler
    faulthandler.dump_traceback_later(240, exit=True)
    prog = unittest.main(verbosity=2, exit=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if prog.result.wasSuccessful() else 1)
