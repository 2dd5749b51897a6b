"""Smoke test: the server starts, answers PING and SET/GET, and shuts down on SIGTERM."""
import harness


class Smoke(harness.RillTestCase):
    def test_ping(self):
        self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")
        self.assertEqual(self.c.cmd("PING", "hi"), b"$2\r\nhi\r\n")

    def test_set_get(self):
        self.assertEqual(self.c.cmd("SET", "k", "v"), b"+OK\r\n")
        self.assertEqual(self.c.cmd("GET", "k"), b"$1\r\nv\r\n")
        self.assertEqual(self.c.cmd("GET", "missing"), b"$-1\r\n")

    def test_pipeline_in_order(self):
        n = 1000
        self.c.send_raw(b"".join(self.c.encode("SET", "k%d" % i, i) for i in range(n)))
        for _ in range(n):
            self.assertEqual(self.c.read_raw(), b"+OK\r\n")
        self.c.send_raw(b"".join(self.c.encode("GET", "k%d" % i) for i in range(n)))
        for i in range(n):
            v = str(i).encode()
            self.assertEqual(self.c.read_raw(), b"$%d\r\n%s\r\n" % (len(v), v))


if __name__ == "__main__":
    harness.main()
