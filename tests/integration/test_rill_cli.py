"""test_rill_cli.py — rill-cli over the native protocol: one-shot commands,
piped stdin, redis-cli-identical printing (typed and --raw), errors, AUTH,
SELECT, bad input, and subscribe mode.

rill-cli is found next to rill-server's build directory
(<build>/tools/rill-cli/rill-cli) or through $RILL_CLI.  The printing test
runs each read command through rill-cli (native) and through Debian's
redis-cli -3 (RESP3) against the same rill-server and compares the text.
"""
import os
import shutil
import signal
import subprocess
import time
import unittest

import harness


def cli_binary():
    path = os.environ.get("RILL_CLI")
    if not path:
        build = os.path.dirname(os.path.dirname(harness.rill_binary()))
        path = os.path.join(build, "tools", "rill-cli", "rill-cli")
    return path


class RillCliTest(unittest.TestCase):
    requirepass = None

    @classmethod
    def setUpClass(cls):
        cls.nport = harness.free_port()
        extra = ["--native-listen", "tcp://127.0.0.1:%d" % cls.nport]
        if cls.requirepass:
            extra += ["--requirepass", cls.requirepass]
        cls.srv = harness.Server("rill", extra=extra)
        cls.url = "tcp://127.0.0.1:%d" % cls.nport

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def cli(self, *args, stdin=None, opts=()):
        p = subprocess.run([cli_binary(), "-u", self.url] + list(opts) + list(args),
                           input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        return p.returncode, p.stdout, p.stderr


class OneShot(RillCliTest):
    def test_set_get_raw_by_default_on_a_pipe(self):
        self.assertEqual(self.cli("SET", "k", "hello world")[:2], (0, b"OK\n"))
        self.assertEqual(self.cli("GET", "k")[:2], (0, b"hello world\n"))
        self.assertEqual(self.cli("GET", "nope")[:2], (0, b"\n"))   # nil in raw mode: an empty line

    def test_typed_printing(self):
        self.cli("RPUSH", "tl", "a", "b c")
        self.assertEqual(self.cli("LRANGE", "tl", "0", "-1", opts=["--no-raw"])[1], b'1) "a"\n2) "b c"\n')
        self.assertEqual(self.cli("LLEN", "tl", opts=["--no-raw"])[1], b"(integer) 2\n")
        self.assertEqual(self.cli("GET", "missing", opts=["--no-raw"])[1], b"(nil)\n")

    def test_error_reply_exit_status(self):
        code, out, _ = self.cli("NOSUCHCMD", "x", opts=["--no-raw"])
        self.assertEqual(code, 1)
        self.assertTrue(out.startswith(b"(error) ERR unknown command 'NOSUCHCMD'"), out)
        code, out, _ = self.cli("NOSUCHCMD")
        self.assertEqual(code, 1)
        self.assertTrue(out.startswith(b"ERR unknown command"), out)

    def test_binary_argument_and_escapes(self):
        self.assertEqual(self.cli("SET", "bin", "a\tb")[0], 0)
        self.assertEqual(self.cli("GET", "bin", opts=["--no-raw"])[1], b'"a\\tb"\n')

    def test_select_db(self):
        self.assertEqual(self.cli("SET", "indb1", "yes", opts=["-n", "1"])[:2], (0, b"OK\n"))
        self.assertEqual(self.cli("EXISTS", "indb1")[1], b"0\n")
        self.assertEqual(self.cli("GET", "indb1", opts=["-n", "1"])[1], b"yes\n")

    def test_bad_options_and_unreachable_server(self):
        p = subprocess.run([cli_binary(), "--bogus"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"unknown option", p.stderr)
        p = subprocess.run([cli_binary(), "-u", "tcp://127.0.0.1:%d" % harness.free_port(), "PING"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"could not connect", p.stderr)
        p = subprocess.run([cli_binary(), "-u", "nonsense://x", "PING"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(p.returncode, 1)


class Piped(RillCliTest):
    def test_commands_from_stdin(self):
        script = b'SET a 1\nINCR a\nGET a\n\nSET q "two words"\nGET q\nSET sq \'it\\\'s\'\nGET sq\nECHO "x\\x41\\n"\n'
        code, out, err = self.cli(stdin=script)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, b"OK\n2\n2\nOK\ntwo words\nOK\nit's\nxA\n\n")

    def test_unbalanced_quotes(self):
        code, out, err = self.cli(stdin=b'SET x "open\nPING\n')
        self.assertEqual(code, 1)
        self.assertIn(b"Invalid argument(s)", err)
        self.assertEqual(out, b"PONG\n")   # the next line still runs

    def test_error_in_stdin_sets_status(self):
        code, out, _ = self.cli(stdin=b"PING\nNOPE\nPING\n")
        self.assertEqual(code, 1)
        self.assertTrue(out.startswith(b"PONG\nERR unknown command"), out)
        self.assertTrue(out.endswith(b"PONG\n"), out)


@unittest.skipUnless(shutil.which("redis-cli"), "redis-cli not installed")
class SameAsRedisCli(RillCliTest):
    """rill-cli (native) prints exactly what redis-cli -3 (RESP3) prints for the same server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup = [("SET", "s", "v"), ("RPUSH", "l", "a", "b", "c d"), ("HSET", "h", "f", "1", "g", "2"),
                 ("SADD", "st", "x"), ("ZADD", "z", "1.5", "m", "2", "n"), ("INCR", "n"),
                 ("XADD", "xs", "1-1", "a", "b"), ("SET", "esc", "a\"b\\c\x01")]
        for cmd in setup:
            subprocess.run(["redis-cli", "-p", str(cls.srv.port)] + list(cmd), stdout=subprocess.DEVNULL, timeout=10)

    def same(self, *cmd):
        for mode in ("--no-raw", "--raw"):
            mine = self.cli(*cmd, opts=[mode])[1]
            theirs = subprocess.run(["redis-cli", "-3", "-p", str(self.srv.port), mode] + list(cmd),
                                    stdout=subprocess.PIPE, timeout=10).stdout
            self.assertEqual(mine, theirs, "%s %s" % (mode, cmd))

    def test_scalars(self):
        for cmd in (("GET", "s"), ("GET", "nope"), ("GET", "n"), ("STRLEN", "s"), ("EXISTS", "s"),
                    ("ZSCORE", "z", "m"), ("PING",), ("GET", "esc")):
            self.same(*cmd)

    def test_aggregates(self):
        for cmd in (("LRANGE", "l", "0", "-1"), ("LRANGE", "empty", "0", "-1"), ("HGETALL", "h"),
                    ("SMEMBERS", "st"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("XRANGE", "xs", "-", "+"),
                    ("MGET", "s", "nope", "n")):
            self.same(*cmd)

    def test_errors(self):
        self.same("NOSUCHCMD", "a")
        self.same("LPUSH", "s", "x")


class Auth(RillCliTest):
    requirepass = "sesame"

    def test_auth_option(self):
        code, out, _ = self.cli("PING", opts=["--no-raw"])
        self.assertEqual(code, 1)
        self.assertIn(b"NOAUTH", out)
        self.assertEqual(self.cli("PING", opts=["-a", "sesame"])[:2], (0, b"PONG\n"))
        code, _, err = self.cli("PING", opts=["-a", "wrong"])
        self.assertEqual(code, 1)
        self.assertIn(b"AUTH failed", err)


class SubscribeMode(RillCliTest):
    def test_messages_arrive_until_interrupted(self):
        p = subprocess.Popen([cli_binary(), "-u", self.url, "--no-raw", "SUBSCRIBE", "news", "sport"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            first = p.stdout.readline()
            if b"not supported" in first or p.poll() is not None:
                self.skipTest("no subscriptions over native in this server yet")
            self.assertEqual(first, b"Reading messages... (press Ctrl-C to quit)\n")
            head = b"".join(p.stdout.readline() for _ in range(6))
            self.assertEqual(head, b'1) "subscribe"\n2) "news"\n3) (integer) 1\n'
                                   b'1) "subscribe"\n2) "sport"\n3) (integer) 2\n')
            c = self.srv.conn()
            self.assertEqual(c.cmd("PUBLISH", "news", "hello"), b":1\r\n")
            self.assertEqual(c.cmd("PUBLISH", "sport", "goal!"), b":1\r\n")
            c.close()
            got = b"".join(p.stdout.readline() for _ in range(6))
            self.assertEqual(got, b'1) "message"\n2) "news"\n3) "hello"\n'
                                  b'1) "message"\n2) "sport"\n3) "goal!"\n')
            p.send_signal(signal.SIGINT)
            self.assertEqual(p.wait(10), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()


if __name__ == "__main__":
    unittest.main()
