"""test_client_examples.py — the librill examples (examples/fanout, chat,
delayed-notifications) run against rill-server over the native protocol
and do what their READMEs show."""
import os
import re
import subprocess
import time
import unittest

import harness


def example(subdir, name):
    build = os.path.dirname(os.path.dirname(harness.rill_binary()))
    return os.path.join(build, "examples", subdir, name)


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nport = harness.free_port()
        cls.srv = harness.Server("rill", extra=["--native-listen", "tcp://127.0.0.1:%d" % cls.nport])
        cls.url = "tcp://127.0.0.1:%d" % cls.nport

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def run_ex(self, path, *args, timeout=60):
        return subprocess.run([path, "-u", self.url] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)

    def test_fanout_delivers_everything(self):
        p = self.run_ex(example("fanout", "fanout"), "-s", "5", "-m", "200", "-r", "2000")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.decode()
        self.assertIn("delivered 1000 of 1000 messages", out)
        self.assertRegex(out, r"end-to-end latency: p50 [0-9.]+ ms, p99 [0-9.]+ ms")

    def test_chat_late_joiner_sees_last_50_then_live(self):
        chat = example("chat", "chat")
        for i in range(1, 56):
            self.assertEqual(self.run_ex(chat, "--say", "room", "alice", "msg %d" % i).returncode, 0)
        bob = subprocess.Popen([chat, "-u", self.url, "--exit-after", "2", "room", "bob"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            first = bob.stdout.readline()
            self.assertEqual(first, b"-- room: last 50 messages --\n")
            hist = [bob.stdout.readline() for _ in range(50)]
            self.assertTrue(hist[0].endswith(b"<alice> msg 6\n"), hist[0])
            self.assertTrue(hist[-1].endswith(b"<alice> msg 55\n"), hist[-1])
            self.assertEqual(bob.stdout.readline(), b"-- live --\n")
            self.run_ex(chat, "--say", "room", "carol", "hello bob")
            self.run_ex(chat, "--say", "room", "alice", "hi")
            rest = bob.stdout.read()
            self.assertEqual(bob.wait(20), 0)
            self.assertEqual([l.split(b"] ", 1)[1] for l in rest.splitlines()], [b"<carol> hello bob", b"<alice> hi"])
        finally:
            if bob.poll() is None:
                bob.kill()
                bob.wait()
            bob.stdout.close()
            bob.stderr.close()

    def test_chat_bad_usage(self):
        p = subprocess.run([example("chat", "chat")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(p.returncode, 2)

    def test_reminders_arrive_on_time(self):
        p = self.run_ex(example("delayed-notifications", "reminders"))
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.decode()
        self.assertIn("all 6 reminders delivered", out)
        delivered = re.findall(r'\[\+ *(\d+) ms\] worker \d: "([^"]+)" \(due \+(\d+) ms, attempt (\d+)', out)
        self.assertEqual(len(delivered), 6, out)
        for at, text, due, attempt in delivered:
            self.assertGreaterEqual(int(at), int(due) - 5, out)   # never early (allow clock rounding)
        self.assertIn(("call the dentist", "2"), [(t, a) for _, t, _, a in delivered])


if __name__ == "__main__":
    unittest.main()
