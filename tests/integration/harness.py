"""harness.py — start rill-server (and redis-server) on free ports, talk raw RESP.

Used by every integration test (tests/integration/test_*.py, stdlib unittest).
Environment:
  RILL_SERVER   path to the rill-server binary (set by ctest)
  REDIS_SERVER  path to redis-server (default: found on PATH) for differential tests
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    """A TCP port that was free a moment ago (bound to 0, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rill_binary():
    path = os.environ.get("RILL_SERVER")
    if not path:
        path = os.path.join(HERE, "..", "..", "build", "test", "broker", "rill-server")
    return os.path.abspath(path)


class Server:
    """A server process on a free port with its own data directory.

    kind is "rill" or "redis"; extra are extra command-line options
    (["--requirepass", "x"]).  stop() kills it and removes the directory.
    dir=path reuses an existing data directory (restart after a crash):
    the log is appended to and stop() leaves the directory in place."""

    def __init__(self, kind="rill", extra=(), port=None, unixsocket=False, dir=None):
        self.kind = kind
        self.keep_dir = dir is not None
        self.dir = dir if dir is not None else tempfile.mkdtemp(prefix="rill-it-")
        self.port = port or free_port()
        self.unixsocket = os.path.join(self.dir, "s.sock") if unixsocket else None
        self.logpath = os.path.join(self.dir, "server.log")
        if kind == "rill":
            cmd = [rill_binary(), "--port", str(self.port), "--dir", self.dir]
            if not any(str(a) == "--native-listen" for a in extra):
                cmd += ["--native-listen", ""]   # no native listener unless a test asks (decisions.md)
            if not any(str(a) == "--save" for a in extra):
                cmd += ["--save", ""]            # no save points (as the redis-server below) unless a test asks
        else:
            exe = os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
            cmd = [exe, "--port", str(self.port), "--dir", self.dir, "--save", "",
                   "--appendonly", "no", "--daemonize", "no"]
        if self.unixsocket:
            cmd += ["--unixsocket", self.unixsocket]
        cmd += list(extra)
        self.log = open(self.logpath, "ab" if self.keep_dir else "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited at start: %s" % (kind, self.read_log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("%s did not start listening: %s" % (kind, self.read_log()))

    def read_log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def conn(self, timeout=10):
        return Conn(self.port, timeout=timeout)

    def kill9(self):
        """Crash it: SIGKILL, no shutdown code runs.  Keeps the directory."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Conn:
    """A raw RESP connection: send bytes or commands, read one whole reply as raw bytes."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _skip(self, pos):
        """Return the end offset of the reply starting at pos."""
        while len(self.buf) <= pos:
            self._fill()
        t = self.buf[pos:pos + 1]
        e = self._line(pos)
        if t in b"+-:_,#(":
            return e + 2
        if t in b"$=!":
            n = int(self.buf[pos + 1:e])
            if n < 0:
                return e + 2
            end = e + 2 + n + 2
            while len(self.buf) < end:
                self._fill()
            return end
        if t in b"*%~>|":
            n = int(self.buf[pos + 1:e])
            if t in b"%|":
                n *= 2
            p = e + 2
            for _ in range(max(n, 0)):
                p = self._skip(p)
            return p
        raise ValueError("bad reply type %r in %r" % (t, self.buf[pos:pos + 50]))

    def read_raw(self):
        """One whole reply (a RESP3 push counts as one), as bytes."""
        end = self._skip(0)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out

    def cmd(self, *args):
        self.send(*args)
        return self.read_raw()

    def closed_by_peer(self, wait=2.0):
        """True if the server closes the connection within wait seconds (after any pending bytes)."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True


def parse(raw):
    """Decode one raw RESP reply into Python values (bytes, int, list, dict, None, errors as RespError)."""
    v, _ = _parse(raw, 0)
    return v


class RespError(Exception):
    pass


def _parse(b, i):
    t = b[i:i + 1]
    e = b.index(b"\r\n", i)
    body = b[i + 1:e]
    if t == b"+":
        return body.decode(), e + 2
    if t == b"-":
        return RespError(body.decode()), e + 2
    if t == b":":
        return int(body), e + 2
    if t == b"_":
        return None, e + 2
    if t == b",":
        return float(body), e + 2
    if t == b"#":
        return body == b"t", e + 2
    if t in b"$=":
        n = int(body)
        if n < 0:
            return None, e + 2
        return b[e + 2:e + 2 + n], e + 4 + n
    if t in b"*~>":
        n = int(body)
        if n < 0:
            return None, e + 2
        out, p = [], e + 2
        for _ in range(n):
            v, p = _parse(b, p)
            out.append(v)
        return out, p
    if t == b"%":
        n = int(body)
        out, p = {}, e + 2
        for _ in range(n):
            k, p = _parse(b, p)
            v, p = _parse(b, p)
            out[k if not isinstance(k, list) else tuple(k)] = v
        return out, p
    raise ValueError("bad type %r" % t)


class RillTestCase(unittest.TestCase):
    """Starts one rill-server for the whole class (cls.extra = extra options)."""
    extra = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server("rill", extra=cls.extra)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.c = self.server.conn()
        self.c.cmd("FLUSHALL")

    def tearDown(self):
        self.c.close()
        self.assertTrue(self.server.alive(), "server died: " + self.server.read_log()[-2000:])


class RestartTestCase(unittest.TestCase):
    """A test that owns a data directory and starts rill servers on it (and
    again, to see what survives): start(*extra) adds base_args and extra to
    the command line; log() is the directory's server.log."""
    base_args = ()
    dir_prefix = "rill-restart-"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=self.dir_prefix)
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, *extra):
        s = Server("rill", extra=tuple(self.base_args) + tuple(extra), dir=self.dir)
        self.servers.append(s)
        return s

    def log(self):
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")


class DiffTestCase(unittest.TestCase):
    """Starts rill-server and redis-server; self.diff(script) sends the same
    commands to both and asserts the raw replies are byte-identical."""
    extra = ()

    @classmethod
    def setUpClass(cls):
        cls.rill = Server("rill", extra=cls.extra)
        cls.redis = Server("redis", extra=cls.extra)

    @classmethod
    def tearDownClass(cls):
        cls.rill.stop()
        cls.redis.stop()

    def setUp(self):
        self.a = self.rill.conn()
        self.b = self.redis.conn()
        self.a.cmd("FLUSHALL")
        self.b.cmd("FLUSHALL")

    def tearDown(self):
        self.a.close()
        self.b.close()
        self.assertTrue(self.rill.alive(), "rill died: " + self.rill.read_log()[-2000:])

    def hello(self, proto):
        """HELLO proto on both (the reply is not compared: it holds the client
        id); fails if either refuses it."""
        for conn in (self.a, self.b):
            rep = conn.cmd("HELLO", str(proto))
            self.assertTrue(rep.startswith(b"%" if proto == 3 else b"*"), rep)

    def both_protocols(self, *commands, setup=None):
        """Run commands in RESP2, then FLUSHALL and again in RESP3 (setup()
        runs before each round when given); back to RESP2 at the end."""
        if setup:
            setup()
        self.diff(*commands)
        self.diff(("FLUSHALL",))
        self.hello(3)
        if setup:
            setup()
        self.diff(*commands)
        self.hello(2)

    def diff(self, *commands):
        """Each command is a tuple/list of args, or raw bytes to send as is
        (then exactly one reply is read).  Returns the list of rill replies."""
        out = []
        for cmd in commands:
            if isinstance(cmd, bytes):
                self.a.send_raw(cmd)
                self.b.send_raw(cmd)
            else:
                self.a.send(*cmd)
                self.b.send(*cmd)
            ra, rb = self.a.read_raw(), self.b.read_raw()
            self.assertEqual(ra, rb, "reply differs for %r:\n rill:  %r\n redis: %r" % (cmd, ra, rb))
            out.append(ra)
        return out


def random_settings(seeds, steps):
    """The seeds, steps per seed and keep-going flag of a randomized
    differential test: the defaults given, or RILL_RANDOM_SEEDS (comma
    separated), RILL_RANDOM_STEPS and RILL_RANDOM_ALL=1 (note every
    mismatch and go on instead of failing at the first)."""
    env = os.environ.get("RILL_RANDOM_SEEDS")
    return ([int(s) for s in env.split(",")] if env else list(seeds),
            int(os.environ.get("RILL_RANDOM_STEPS", steps)),
            os.environ.get("RILL_RANDOM_ALL") == "1")


class RandomDiffTestCase(DiffTestCase):
    """A DiffTestCase for seeded randomized runs: a mismatch fails the test
    at once, or with keep_going is written to stderr and counted, and
    end_run() fails if rill died or anything was counted."""
    keep_going = False

    def mismatch(self, msg, mismatches):
        if not self.keep_going:
            self.fail(msg)
        mismatches.append(msg)
        sys.stderr.write(msg + "\n\n")

    def end_run(self, mismatches):
        self.assertTrue(self.rill.alive(), "rill died: " + self.rill.read_log()[-2000:])
        self.assertEqual(len(mismatches), 0, "%d mismatches (above)" % len(mismatches))


def main():
    unittest.main(verbosity=1)
