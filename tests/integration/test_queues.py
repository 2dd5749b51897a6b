"""test_queues.py — delayed and reliable job queues (issue 6): QPUSH QPUSHMANY QFETCH
QACK QNACK QEXTEND QINFO QJOB QLIST QREQUEUE QDEL; ordering, leases and
their expiry without polling, backoff, dead letters, TTL, blocking fetch
across queues, the key commands on queues, INFO queues, and restarts from
the append log.  Queues are Rill's own type: the differential cases check
what Redis defines (WRONGTYPE from Redis's own commands, error texts)."""
import os
import sys
import socket
import statistics
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, parse, RespError  # noqa: E402


def fields(reply):
    """A RESP2 map reply (flat array) as a dict with str keys."""
    v = parse(reply)
    return {v[i].decode(): v[i + 1] for i in range(0, len(v), 2)}


def now_ms():
    return int(time.time() * 1000)


class QueueBasics(harness.RillTestCase):
    def qinfo(self, q="q"):
        return fields(self.c.cmd("QINFO", q))

    def qjob(self, id, q="q"):
        raw = self.c.cmd("QJOB", q, id)
        return None if parse(raw) is None else fields(raw)

    def test_push_fetch_ack(self):
        self.assertEqual(self.c.cmd("QPUSH", "q", "hello", "ID", "j1"), b"$2\r\nj1\r\n")
        self.assertEqual(parse(self.c.cmd("TYPE", "q")), "queue")
        got = parse(self.c.cmd("QFETCH", "QUEUES", "q"))
        self.assertEqual(got, [[b"q", b"j1", b"hello", 1, 1]])   # [queue, id, payload, attempt, token]
        self.assertEqual(self.qinfo()["leased"], 1)
        self.assertEqual(self.c.cmd("QACK", "q", "j1"), b":1\r\n")
        self.assertEqual(self.c.cmd("QACK", "q", "j1"), b":0\r\n")
        i = self.qinfo()
        self.assertEqual((i["waiting"], i["leased"], i["jobs"], i["enqueued"], i["acked"], i["delivered"]),
                         (0, 0, 0, 1, 1, 1))
        # The queue stays (with its counters) when empty.
        self.assertEqual(parse(self.c.cmd("EXISTS", "q")), 1)

    def test_generated_ids_and_idempotent_push(self):
        a = parse(self.c.cmd("QPUSH", "q", "x"))
        b = parse(self.c.cmd("QPUSH", "q", "y"))
        self.assertNotEqual(a, b)
        self.assertRegex(a.decode(), r"^\d{13}-\d+$")
        self.assertEqual(self.c.cmd("QPUSH", "q", "first", "ID", "k", "PRIORITY", "1"), b"$1\r\nk\r\n")
        self.assertEqual(self.c.cmd("QPUSH", "q", "second", "ID", "k", "PRIORITY", "9", "DELAY", "5000"),
                         b"$1\r\nk\r\n")
        j = self.qjob("k")
        self.assertEqual((j["payload"], j["priority"], j["state"]), (b"first", 1, b"waiting"))
        self.assertEqual(self.qinfo()["enqueued"], 3)
        # Binary IDs and payloads.
        self.assertEqual(parse(self.c.cmd("QPUSH", "q", b"\x00\r\n", "ID", b"i\x00d")), b"i\x00d")
        self.assertEqual(self.qjob(b"i\x00d")["payload"], b"\x00\r\n")

    def test_generated_ids_found_exactly(self):
        """A generated ID (which the queue does not store, but writes from
        the job's enqueue time and sequence number) is found by exactly its
        bytes, in every command, and with ENQ still names the push's time."""
        c = self.c
        t0 = now_ms()
        a = parse(c.cmd("QPUSH", "q", "x"))
        ms, seq = a.split(b"-")
        self.assertEqual(self.qjob(a)["id"], a)
        for near in (ms + b"-0" + seq, b"0" + a, str(int(ms) + 1).encode() + b"-" + seq,
                     ms + b"-" + str(int(seq) + 1).encode(), a + b"x", b" " + a):
            self.assertIsNone(parse(c.cmd("QJOB", "q", near)), near)
        b = parse(c.cmd("QPUSH", "q", "y", "ENQ", 1234567))       # the ID still says when it was pushed
        self.assertGreaterEqual(int(b.split(b"-")[0]), t0)
        self.assertEqual(self.qjob(b)["enqueued-at"], 1234567)
        got = parse(c.cmd("QFETCH", "COUNT", 2, "QUEUES", "q"))
        self.assertEqual([j[1] for j in got], [a, b])
        self.assertEqual(parse(c.cmd("QLIST", "q", "STATE", "leased"))[1], [a, b])
        self.assertEqual(c.cmd("QACK", "q", a, b), b":2\r\n")
        self.assertIsNone(parse(c.cmd("QJOB", "q", a)))

    def test_priority_then_fifo(self):
        for id, prio in (("a", 0), ("b", 5), ("c", 0), ("d", 5), ("e", -1)):
            self.c.cmd("QPUSH", "q", id, "ID", id, "PRIORITY", prio)
        got = parse(self.c.cmd("QFETCH", "COUNT", 10, "QUEUES", "q"))
        self.assertEqual([j[1] for j in got], [b"b", b"d", b"a", b"c", b"e"])
        self.assertEqual(parse(self.c.cmd("QFETCH", "QUEUES", "q")), [])

    def test_fetch_across_queues_in_order(self):
        self.c.cmd("QPUSH", "q2", "x", "ID", "x")
        self.c.cmd("QPUSH", "q1", "y", "ID", "y")
        self.c.cmd("QPUSH", "q1", "z", "ID", "z")
        got = parse(self.c.cmd("QFETCH", "COUNT", 2, "QUEUES", "nosuch", "q1", "q2"))
        self.assertEqual([(j[0], j[1]) for j in got], [(b"q1", b"y"), (b"q1", b"z")])
        got = parse(self.c.cmd("QFETCH", "COUNT", 5, "QUEUES", "q1", "q2"))
        self.assertEqual([(j[0], j[1]) for j in got], [(b"q2", b"x")])

    def test_errors(self):
        c = self.c
        c.cmd("SET", "str", "v")
        self.assertTrue(c.cmd("QPUSH", "str", "x").startswith(b"-WRONGTYPE"))
        self.assertTrue(c.cmd("QFETCH", "QUEUES", "q", "str").startswith(b"-WRONGTYPE"))
        self.assertTrue(c.cmd("QINFO", "str").startswith(b"-WRONGTYPE"))
        c.cmd("QPUSH", "q", "x")
        for cmd in (("LPUSH", "q", "a"), ("GET", "q"), ("HSET", "q", "f", "v"), ("ZADD", "q", 1, "m")):
            self.assertTrue(c.cmd(*cmd).startswith(b"-WRONGTYPE"), cmd)
        notint = b"-ERR value is not an integer or out of range\r\n"
        self.assertEqual(c.cmd("QPUSH", "q", "x", "DELAY", "soon"), notint)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "DELAY", "-1"), notint)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "DELAY", "99999999999999999999"), notint)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "PRIORITY", "1.5"), notint)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "TTL", "0"), notint)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "MAXATTEMPTS", "-2"), notint)
        syntax = b"-ERR syntax error\r\n"
        self.assertEqual(c.cmd("QPUSH", "q", "x", "BOGUS"), syntax)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "DELAY"), syntax)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "DELAY", 1, "AT", 5), syntax)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "BACKOFF", "LINEAR", 5), syntax)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "ID", ""), b"-ERR job ID must not be empty\r\n")
        self.assertEqual(c.cmd("QFETCH", "COUNT", 1), syntax)
        self.assertEqual(c.cmd("QFETCH", "COUNT", 1, "QUEUES"),
                         b"-ERR syntax error\r\n")
        self.assertEqual(c.cmd("QFETCH", "COUNT", 0, "QUEUES", "q"),
                         b"-ERR value is out of range, must be positive\r\n")
        self.assertEqual(c.cmd("QFETCH", "BLOCK", -1, "QUEUES", "q"), b"-ERR timeout is negative\r\n")
        self.assertEqual(c.cmd("QFETCH", "LEASE", "x", "QUEUES", "q"), notint)
        self.assertEqual(c.cmd("QEXTEND", "q", "id", "0"), notint)
        self.assertEqual(c.cmd("QNACK", "q", "id", "DELAY", "x"), notint)
        self.assertEqual(c.cmd("QNACK", "q", "id", "WHAT"), syntax)
        self.assertEqual(c.cmd("QLIST", "q", "STATE", "sleeping"),
                         b"-ERR unknown state, expected waiting, delayed, leased or dead\r\n")
        self.assertEqual(c.cmd("QLIST", "q", "STATE", "dead", "CURSOR", "abc"), b"-ERR invalid cursor\r\n")
        self.assertEqual(c.cmd("QLIST", "q", "COUNT", "5", "X"), syntax)
        self.assertEqual(c.cmd("QREQUEUE", "q", "id", "AT"), syntax)
        self.assertEqual(c.cmd("QPUSH", "q"), b"-ERR wrong number of arguments for 'qpush' command\r\n")
        # Huge counts are fine: bounded by what there is.
        self.assertEqual(len(parse(c.cmd("QFETCH", "COUNT", 10 ** 15, "QUEUES", "q"))), 1)
        # Missing things.
        self.assertIsNone(parse(c.cmd("QINFO", "nosuch")))
        self.assertIsNone(parse(c.cmd("QJOB", "q", "nosuch")))
        self.assertEqual(c.cmd("QACK", "nosuch", "a"), b":0\r\n")
        self.assertEqual(c.cmd("QDEL", "nosuch", "a"), b":0\r\n")
        self.assertEqual(parse(c.cmd("QLIST", "nosuch", "STATE", "waiting")), [b"0", []])

    def test_ack_from_another_connection(self):
        """Leases belong to jobs: a pool's other connection may QEXTEND,
        QNACK and QACK them (redis-py pools do exactly that)."""
        c = self.c
        for i in range(3):
            c.cmd("QPUSH", "q", "x", "ID", "j%d" % i)
        got = parse(c.cmd("QFETCH", "COUNT", 3, "QUEUES", "q"))
        self.assertEqual([j[4] for j in got], [1, 1, 1])     # one fetch: one token
        other = self.server.conn()
        self.assertEqual(other.cmd("QEXTEND", "q", "j0", 60000), b":1\r\n")
        self.assertEqual(other.cmd("QACK", "q", "j0", "j1"), b":2\r\n")
        self.assertEqual(other.cmd("QNACK", "q", "j2", "DELAY", 0), b":1\r\n")
        self.assertEqual(other.cmd("QACK", "q", "j2"), b":0\r\n")        # waiting, not leased
        self.assertEqual(self.qinfo()["acked"], 2)
        other.close()

    def test_stale_worker_token(self):
        """With LEASE token, a worker whose lease ran out cannot touch the
        job's next lease; without it, any current lease is acted on."""
        c = self.c
        c.cmd("QPUSH", "q", "x", "ID", "j")
        first = parse(c.cmd("QFETCH", "LEASE", 150, "QUEUES", "q"))[0]
        t1 = first[4]
        self.assertEqual(self.qjob("j")["lease-token"], t1)
        time.sleep(0.3)
        self.assertEqual(c.cmd("QACK", "q", "LEASE", t1, "j"), b":0\r\n")   # the lease ran out
        j = self.qjob("j")
        self.assertEqual((j["state"], j["attempt"], j["last-error"], j["lease-token"]),
                         (b"waiting", 1, b"lease expired", -1))
        other = self.server.conn()
        second = parse(other.cmd("QFETCH", "QUEUES", "q"))[0]
        t2 = second[4]
        self.assertEqual(second[3], 2)
        self.assertGreater(t2, t1)
        # the stale worker, still holding t1, is refused everywhere
        self.assertEqual(c.cmd("QEXTEND", "q", "j", 1000, "LEASE", t1), b":0\r\n")
        self.assertEqual(c.cmd("QNACK", "q", "j", "LEASE", t1, "ERROR", "late"), b":0\r\n")
        self.assertEqual(c.cmd("QACK", "q", "LEASE", t1, "j"), b":0\r\n")
        self.assertEqual(self.qjob("j")["state"], b"leased")
        # the current holder's token works, from any connection
        self.assertEqual(c.cmd("QEXTEND", "q", "j", 1000, "LEASE", t2), b":1\r\n")
        self.assertEqual(c.cmd("QACK", "q", "LEASE", t2, "j"), b":1\r\n")
        self.assertIsNone(self.qjob("j"))
        # A job whose ID is "lease": a three-argument QACK is just two IDs.
        c.cmd("QPUSH", "q", "y", "ID", "lease")
        c.cmd("QFETCH", "QUEUES", "q")
        self.assertEqual(c.cmd("QACK", "q", "lease", "other"), b":1\r\n")
        other.close()

    def test_enq_option(self):
        """ENQ (what a replay passes) sets enqueued-at and nothing else."""
        c = self.c
        notint = b"-ERR value is not an integer or out of range\r\n"
        self.assertEqual(c.cmd("QPUSH", "q", "x", "ID", "a", "ENQ", 1234567), b"$1\r\na\r\n")
        j = self.qjob("a")
        self.assertEqual((j["enqueued-at"], j["state"]), (1234567, b"waiting"))
        self.assertGreater(j["due-at"], 1234567)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "ENQ", "abc"), notint)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "ENQ", 0), notint)
        self.assertEqual(c.cmd("QPUSH", "q", "x", "ENQ"), b"-ERR syntax error\r\n")

    def test_lease_token_errors(self):
        c = self.c
        c.cmd("QPUSH", "q", "x", "ID", "j")
        notint = b"-ERR value is not an integer or out of range\r\n"
        syntax = b"-ERR syntax error\r\n"
        self.assertEqual(c.cmd("QACK", "q", "LEASE", "abc", "j"), notint)
        self.assertEqual(c.cmd("QACK", "q", "LEASE", 0, "j"), notint)
        self.assertEqual(c.cmd("QACK", "q", "LEASE", -3, "j"), notint)
        self.assertEqual(c.cmd("QNACK", "q", "j", "LEASE", "x"), notint)
        self.assertEqual(c.cmd("QNACK", "q", "j", "LEASE"), syntax)
        self.assertEqual(c.cmd("QEXTEND", "q", "j", 100, "LEASE"), syntax)
        self.assertEqual(c.cmd("QEXTEND", "q", "j", 100, "FOO", 1), syntax)
        self.assertEqual(c.cmd("QEXTEND", "q", "j", 100, "LEASE", 1, "x"), syntax)
        self.assertEqual(c.cmd("QEXTEND", "q", "j", 100, "LEASE", 2 ** 63), notint)
        self.assertEqual(c.cmd("QLEASE", "q", "j", 1, 1, 1, 1), syntax)
        self.assertEqual(c.cmd("QLEASE", "q", "j", 1, 1, "x"), notint)
        self.assertEqual(self.qjob("j")["state"], b"waiting")   # nothing happened

    def test_extend_keeps_lease(self):
        self.c.cmd("QPUSH", "q", "x", "ID", "j")
        self.c.cmd("QFETCH", "LEASE", 150, "QUEUES", "q")
        for _ in range(3):
            time.sleep(0.08)
            self.assertEqual(self.c.cmd("QEXTEND", "q", "j", 150), b":1\r\n")
        self.assertEqual(self.qjob("j")["state"], b"leased")
        self.assertEqual(self.c.cmd("QACK", "q", "j"), b":1\r\n")

    def test_lease_expiry_redelivers_without_polling(self):
        """A blocked fetcher gets the job when its lease ends: only the
        server's timer can make that happen."""
        self.c.cmd("QPUSH", "q", "x", "ID", "j")
        t0 = time.time()
        self.c.cmd("QFETCH", "LEASE", 200, "QUEUES", "q")
        w = self.server.conn()
        got = parse(w.cmd("QFETCH", "BLOCK", 5000, "QUEUES", "q"))
        waited = time.time() - t0
        self.assertEqual(got, [[b"q", b"j", b"x", 2, 2]])
        self.assertTrue(0.15 <= waited < 2.0, waited)
        self.assertEqual(fields(self.c.cmd("QINFO", "q"))["retried"], 1)
        w.close()

    def test_killed_worker_job_redelivered(self):
        self.c.cmd("QPUSH", "q", "work", "ID", "j")
        dead = self.server.conn()
        self.assertEqual(parse(dead.cmd("QFETCH", "LEASE", 200, "QUEUES", "q"))[0][1], b"j")
        dead.sock.shutdown(socket.SHUT_RDWR)
        dead.close()
        w = self.server.conn()
        got = parse(w.cmd("QFETCH", "BLOCK", 5000, "QUEUES", "q"))
        self.assertEqual(got, [[b"q", b"j", b"work", 2, 2]])
        self.assertEqual(w.cmd("QACK", "q", "j"), b":1\r\n")
        w.close()

    def test_nack_fixed_and_exponential_backoff(self):
        c = self.c
        c.cmd("QPUSH", "q", "x", "ID", "f", "BACKOFF", "FIXED", 300)
        c.cmd("QFETCH", "QUEUES", "q")
        t = now_ms()
        self.assertEqual(c.cmd("QNACK", "q", "f", "ERROR", "oops"), b":1\r\n")
        j = self.qjob("f")
        self.assertEqual((j["state"], j["last-error"]), (b"delayed", b"oops"))
        self.assertTrue(t + 290 <= j["due-at"] <= now_ms() + 300, (t, j["due-at"]))
        self.assertEqual(parse(c.cmd("QFETCH", "QUEUES", "q")), [])
        c.cmd("QDEL", "q", "f")
        c.cmd("QPUSH", "q", "x", "ID", "e", "BACKOFF", "EXP", 20, "MAX", 100)
        delays = []
        for attempt in range(1, 6):
            got = parse(c.cmd("QFETCH", "BLOCK", 2000, "QUEUES", "q"))
            self.assertEqual(got[0][3], attempt)
            t = now_ms()
            self.assertEqual(c.cmd("QNACK", "q", "e"), b":1\r\n")
            delays.append(self.qjob("e")["due-at"] - t)
        for got, want in zip(delays, (20, 40, 80, 100, 100)):
            self.assertTrue(want - 1 <= got <= want + 20, delays)

    def test_nack_jitter_and_explicit_delay(self):
        c = self.c
        seen = set()
        for i in range(20):
            c.cmd("QPUSH", "q", "x", "ID", "j%d" % i, "BACKOFF", "FIXED", 1000, "JITTER")
        got = parse(c.cmd("QFETCH", "COUNT", 20, "QUEUES", "q"))
        self.assertEqual(len(got), 20)
        for i in range(20):
            t = now_ms()
            c.cmd("QNACK", "q", "j%d" % i)
            d = self.qjob("j%d" % i)["due-at"] - t
            self.assertTrue(480 <= d <= 1005, d)
            seen.add(d)
        self.assertGreater(len(seen), 3)
        c.cmd("QPUSH", "q2", "x", "ID", "k")
        c.cmd("QFETCH", "QUEUES", "q2")
        self.assertEqual(c.cmd("QNACK", "q2", "k", "DELAY", 0), b":1\r\n")
        self.assertEqual(self.qjob("k", "q2")["state"], b"waiting")
        self.assertEqual(parse(c.cmd("QFETCH", "QUEUES", "q2"))[0][3], 2)

    def test_dead_letter_list_requeue_delete(self):
        c = self.c
        c.cmd("QPUSH", "q", "x", "ID", "j", "MAXATTEMPTS", 2, "BACKOFF", "FIXED", 0)
        c.cmd("QFETCH", "QUEUES", "q")
        c.cmd("QNACK", "q", "j", "ERROR", "first")
        self.assertEqual(parse(c.cmd("QFETCH", "QUEUES", "q"))[0][3], 2)
        c.cmd("QNACK", "q", "j", "ERROR", "second")
        j = self.qjob("j")
        self.assertEqual((j["state"], j["last-error"], j["attempt"]), (b"dead", b"second", 2))
        self.assertEqual(parse(c.cmd("QFETCH", "QUEUES", "q")), [])
        self.assertEqual(parse(c.cmd("QLIST", "q", "STATE", "dead")), [b"0", [b"j"]])
        i = self.qinfo()
        self.assertEqual((i["dead"], i["dead-lettered"], i["retried"]), (1, 1, 1))
        self.assertEqual(c.cmd("QREQUEUE", "q", "j"), b":1\r\n")
        self.assertEqual(c.cmd("QREQUEUE", "q", "j"), b":0\r\n")
        self.assertEqual(parse(c.cmd("QFETCH", "QUEUES", "q"))[0][3], 1)   # fresh attempts
        c.cmd("QNACK", "q", "j")
        c.cmd("QFETCH", "QUEUES", "q")
        c.cmd("QNACK", "q", "j")
        self.assertEqual(self.qjob("j")["state"], b"dead")
        self.assertEqual(c.cmd("QDEL", "q", "j", "nosuch"), b":1\r\n")
        self.assertIsNone(self.qjob("j"))
        # An expired lease on the last attempt dead-letters too.
        c.cmd("QPUSH", "q", "x", "ID", "k", "MAXATTEMPTS", 1)
        c.cmd("QFETCH", "LEASE", 50, "QUEUES", "q")
        time.sleep(0.2)
        j = self.qjob("k")
        self.assertEqual((j["state"], j["last-error"]), (b"dead", b"lease expired"))

    def test_list_pagination(self):
        c = self.c
        for i in range(25):
            c.cmd("QPUSH", "q", "x", "ID", "j%02d" % i, "PRIORITY", i % 3)
        expect = [j[1] for j in parse(c.cmd("QFETCH", "COUNT", 25, "QUEUES", "q"))]
        for i in range(25):
            c.cmd("QNACK", "q", "j%02d" % i, "DELAY", 0)
        # Now all waiting again, in the same priority order as fetched? Due times changed; list leased/waiting.
        ids, cursor = [], "0"
        while True:
            cur, page = parse(c.cmd("QLIST", "q", "STATE", "waiting", "CURSOR", cursor, "COUNT", 7))
            self.assertLessEqual(len(page), 7)
            ids += page
            cursor = cur.decode()
            if cursor == "0":
                break
        self.assertEqual(sorted(ids), sorted(expect))
        self.assertEqual(len(ids), 25)
        fetched = [j[1] for j in parse(c.cmd("QFETCH", "COUNT", 25, "QUEUES", "q"))]
        self.assertEqual(ids, fetched)   # listing order is fetch order

    def test_ttl_drops_job(self):
        c = self.c
        c.cmd("QPUSH", "q", "x", "ID", "w", "TTL", 100)
        c.cmd("QPUSH", "q", "x", "ID", "d", "TTL", 100, "DELAY", 1000)
        c.cmd("QPUSH", "q", "x", "ID", "keep")
        time.sleep(0.3)
        self.assertIsNone(self.qjob("w"))
        self.assertIsNone(self.qjob("d"))
        i = self.qinfo()
        self.assertEqual((i["expired"], i["jobs"]), (2, 1))
        # A leased job past its TTL is dropped too: its ack finds nothing.
        c.cmd("QPUSH", "q2", "x", "ID", "l", "TTL", 100)
        c.cmd("QFETCH", "LEASE", 10000, "QUEUES", "q2")
        time.sleep(0.25)
        self.assertEqual(c.cmd("QACK", "q2", "l"), b":0\r\n")

    def test_delay_honoured(self):
        """Delayed jobs reach a blocked fetcher within 10 ms of their due time."""
        c = self.c
        w = self.server.conn()
        late = []
        for i in range(8):
            due = now_ms() + 80
            c.cmd("QPUSH", "q", "x", "ID", "d%d" % i, "AT", due)
            got = parse(w.cmd("QFETCH", "BLOCK", 5000, "QUEUES", "q"))
            t = time.time() * 1000
            self.assertEqual(got[0][1], b"d%d" % i)
            self.assertGreaterEqual(t, due - 1)
            late.append(t - due)
            w.cmd("QACK", "q", "d%d" % i)
        self.assertLess(statistics.median(late), 10, late)
        self.assertLess(max(late), 100, late)
        w.close()

    def test_timer_armed_early_still_delivers_on_time(self):
        """The timer stays armed for an earlier event that went away (a
        deleted delayed job, an acked lease): it fires early, re-arms, and
        the later job is still on time."""
        c = self.c
        w = self.server.conn()
        for i in range(3):
            t0 = now_ms()
            c.cmd("QPUSH", "q", "x", "ID", "early%d" % i, "AT", t0 + 60)
            c.cmd("QPUSH", "q", "x", "ID", "late%d" % i, "AT", t0 + 160)
            c.cmd("QPUSH", "q", "x", "ID", "lease%d" % i, "PRIORITY", 1)
            self.assertEqual(parse(c.cmd("QFETCH", "LEASE", 30, "QUEUES", "q"))[0][1], b"lease%d" % i)
            self.assertEqual(c.cmd("QACK", "q", "lease%d" % i), b":1\r\n")   # its lease end was the first event
            self.assertEqual(c.cmd("QDEL", "q", "early%d" % i), b":1\r\n")   # and the second
            got = parse(w.cmd("QFETCH", "BLOCK", 5000, "QUEUES", "q"))
            t = now_ms()
            self.assertEqual(got[0][1], b"late%d" % i)
            self.assertGreaterEqual(t, t0 + 160 - 1)
            self.assertLess(t, t0 + 160 + 100)
            w.cmd("QACK", "q", "late%d" % i)
        self.assertEqual(fields(c.cmd("QINFO", "q"))["jobs"], 0)
        self.assertIn(b"queue_timer_armed:0", parse(c.cmd("INFO", "queues")))
        w.close()

    def test_blocking_fifo_across_queues(self):
        a, b = self.server.conn(), self.server.conn()
        a.send("QFETCH", "BLOCK", 5000, "QUEUES", "q1", "q2")
        time.sleep(0.05)
        b.send("QFETCH", "BLOCK", 5000, "QUEUES", "q2")
        time.sleep(0.05)
        self.c.cmd("QPUSH", "q2", "first", "ID", "1")
        self.assertEqual(parse(a.read_raw()), [[b"q2", b"1", b"first", 1, 1]])
        self.c.cmd("QPUSH", "q2", "second", "ID", "2")
        self.assertEqual(parse(b.read_raw()), [[b"q2", b"2", b"second", 1, 2]])
        # A delayed push wakes no one until due; a BLOCK timeout is a null array.
        self.c.cmd("QPUSH", "q1", "later", "ID", "3", "DELAY", 10000)
        self.assertEqual(a.cmd("QFETCH", "BLOCK", 100, "QUEUES", "q1"), b"*-1\r\n")
        # Inside MULTI, a blocking fetch answers at once.
        self.c.cmd("MULTI")
        self.c.cmd("QFETCH", "BLOCK", 0, "QUEUES", "empty")
        self.assertEqual(self.c.cmd("EXEC"), b"*1\r\n*-1\r\n")
        a.close()
        b.close()

    def test_blocked_fetcher_gets_a_full_batch(self):
        """Pipelined pushes reach a blocked fetcher together: up to COUNT
        jobs in one reply, not one job per push."""
        w = self.server.conn()
        w.send("QFETCH", "COUNT", 10, "BLOCK", 5000, "QUEUES", "q")
        time.sleep(0.05)
        self.c.send_raw(b"".join(self.c.encode("QPUSH", "q", "p", "ID", "j%d" % i) for i in range(25)))
        for _ in range(25):
            self.c.read_raw()
        got = parse(w.read_raw())
        self.assertEqual([j[1] for j in got], [b"j%d" % i for i in range(10)])
        self.assertEqual(self.qinfo()["waiting"], 15)
        w.close()

    def test_push_invalidates_watch_at_once(self):
        other = self.server.conn()
        self.c.cmd("WATCH", "q")
        other.cmd("QPUSH", "q", "x")
        self.c.cmd("MULTI")
        self.c.cmd("QINFO", "q")
        self.assertEqual(self.c.cmd("EXEC"), b"*-1\r\n")
        other.close()

    def test_push_by_an_unblocked_client_serves_others(self):
        """A's pipelined QPUSH runs when A is served; B, blocked on that
        queue, is served in the same pass."""
        a, b = self.server.conn(), self.server.conn()
        b.send("QFETCH", "BLOCK", 5000, "QUEUES", "qb")
        a.send_raw(a.encode("QFETCH", "BLOCK", 5000, "QUEUES", "qa") + a.encode("QPUSH", "qb", "from-a", "ID", "x"))
        time.sleep(0.05)
        self.c.cmd("QPUSH", "qa", "go", "ID", "g")
        self.assertEqual(parse(a.read_raw())[0][1], b"g")
        self.assertEqual(parse(a.read_raw()), b"x")
        self.assertEqual(parse(b.read_raw())[0][1], b"x")
        a.close()
        b.close()

    def test_concurrent_fetchers_never_share_a_job(self):
        n = 600
        pipe = b"".join(self.c.encode("QPUSH", "q", "p%d" % i, "ID", "j%d" % i) for i in range(n))
        self.c.send_raw(pipe)
        for _ in range(n):
            self.c.read_raw()
        results = []
        lock = threading.Lock()

        def worker():
            conn = self.server.conn()
            mine = []
            while True:
                got = parse(conn.cmd("QFETCH", "COUNT", 3, "BLOCK", 200, "QUEUES", "q"))
                if got is None:
                    break
                for j in got:
                    mine.append(j[1])
                    conn.cmd("QACK", "q", j[1])
            conn.close()
            with lock:
                results.extend(mine)

        ts = [threading.Thread(target=worker) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        self.assertEqual(len(results), n)
        self.assertEqual(len(set(results)), n)
        i = self.qinfo()
        self.assertEqual((i["acked"], i["jobs"], i["delivered"]), (n, 0, n))

    def test_key_commands(self):
        c = self.c
        c.cmd("QPUSH", "q", "x", "ID", "a")
        c.cmd("QPUSH", "q", "y", "ID", "later", "DELAY", 150)
        self.assertEqual(c.cmd("COPY", "q", "q2"), b":1\r\n")
        self.assertEqual(c.cmd("RENAME", "q", "r"), b"+OK\r\n")
        # The renamed queue's timer still fires: a blocked fetcher gets the delayed job.
        w = self.server.conn()
        self.assertEqual(parse(w.cmd("QFETCH", "QUEUES", "r"))[0][1], b"a")
        self.assertEqual(parse(w.cmd("QFETCH", "BLOCK", 3000, "QUEUES", "r"))[0][1], b"later")
        # The copy is independent, with its own timer.
        self.assertEqual(parse(w.cmd("QFETCH", "QUEUES", "q2"))[0][1], b"a")
        self.assertEqual(parse(w.cmd("QFETCH", "BLOCK", 3000, "QUEUES", "q2"))[0][1], b"later")
        self.assertEqual(parse(c.cmd("TYPE", "q2")), "queue")
        self.assertEqual(c.cmd("EXPIRE", "r", 100), b":1\r\n")
        self.assertEqual(c.cmd("DEL", "r", "q2"), b":2\r\n")
        self.assertEqual(parse(c.cmd("EXISTS", "r", "q2")), 0)
        c.cmd("QPUSH", "u", "x", "DELAY", 100)
        self.assertEqual(c.cmd("UNLINK", "u"), b":1\r\n")
        c.cmd("QPUSH", "m", "x")
        self.assertEqual(c.cmd("MOVE", "m", 1), b":1\r\n")
        c.cmd("SELECT", 1)
        self.assertEqual(fields(c.cmd("QINFO", "m"))["waiting"], 1)
        c.cmd("SELECT", 0)
        time.sleep(0.2)   # the deleted queues' timers fire harmlessly
        self.assertEqual(c.cmd("PING"), b"+PONG\r\n")
        w.close()

    def test_info_section(self):
        c = self.c
        text = parse(c.cmd("INFO")).decode()
        self.assertNotIn("# Queues", text)
        self.assertIn("# Queues\r\nqueues:0\r\n", parse(c.cmd("INFO", "queues")).decode())
        c.cmd("QPUSH", "q", "x", "ID", "a")
        c.cmd("QPUSH", "q", "x", "ID", "b", "DELAY", 100000)
        c.cmd("QPUSH", "q2", "x", "ID", "c")
        c.cmd("QFETCH", "QUEUES", "q2")
        time.sleep(0.05)
        for section in ((), ("all",), ("queues",), ("QUEUES",)):
            text = parse(c.cmd("INFO", *section)).decode()
            self.assertIn("# Queues\r\n", text, section)
            f = dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)
            self.assertEqual((f["queues"], f["queue_jobs"], f["queue_jobs_waiting"], f["queue_jobs_delayed"],
                              f["queue_jobs_leased"], f["queue_jobs_dead"]), ("2", "3", "1", "1", "1", "0"))
            self.assertGreaterEqual(int(f["queue_oldest_waiting_ms"]), 40)
            self.assertEqual(f["queue_timer_armed"], "1")
        c.cmd("FLUSHALL")
        self.assertNotIn("# Queues", parse(c.cmd("INFO")).decode())

    def used_memory(self):
        text = parse(self.c.cmd("INFO", "memory")).decode()
        return int(dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)["used_memory"])

    def fill(self, key, n=4000, size=2500):
        payload = b"p" * size
        self.c.send_raw(b"".join(self.c.encode("QPUSH", key, payload, "DELAY", 100000 if i % 2 else 0)
                                 for i in range(n)))
        for _ in range(n):
            self.c.read_raw()

    def queues_info(self):
        text = parse(self.c.cmd("INFO", "queues")).decode()
        return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)

    def test_deleted_queue_freed_promptly(self):
        """DEL frees a queue's jobs at once; UNLINK and FLUSHALL ASYNC on
        the lazy-free thread, without waiting for the queue timer."""
        c = self.c
        for how in (("DEL", "big"), ("UNLINK", "big"), ("FLUSHALL", "ASYNC")):
            base = self.used_memory()
            self.fill("big")
            if how[0] == "FLUSHALL":
                for i in range(100):                  # more than the synchronous limit
                    c.cmd("QPUSH", "small%d" % i, "x")
            full = self.used_memory()
            self.assertGreater(full - base, 8_000_000, how)
            self.assertEqual(c.cmd(*how), b":1\r\n" if how[0] != "FLUSHALL" else b"+OK\r\n")
            # DEL frees at once; the lazy-free thread soon after (it may still
            # be freeing the small queues when the big one is done).
            deadline = time.time() + (0 if how[0] == "DEL" else 3)
            while True:
                freed = full - self.used_memory() > 8_000_000
                left = self.queues_info()["queues"]
                if freed and left == "0" or time.time() >= deadline:
                    break
                time.sleep(0.02)
            self.assertTrue(freed, how)
            self.assertEqual(left, "0", how)
            self.assertEqual(self.queues_info()["queue_timer_armed"], "0", how)

    def test_overwritten_and_renamed_queues(self):
        c = self.c
        c.cmd("QPUSH", "q", "x", "DELAY", 100000)
        c.cmd("SET", "q", "now a string")                   # the queue is freed at once
        self.assertEqual(self.queues_info()["queues"], "0")
        c.cmd("DEL", "q")
        c.cmd("QPUSH", "q", "x", "DELAY", 100000)
        c.cmd("QPUSH", "z", "y")
        self.assertEqual(c.cmd("RENAME", "q", "z"), b"+OK\r\n")   # z's old queue is freed
        self.assertEqual(self.queues_info()["queues"], "1")
        self.assertEqual(parse(c.cmd("QINFO", "z"))[3], 1)        # delayed: 1
        self.assertEqual(c.cmd("OBJECT", "REFCOUNT", "z"), b":1\r\n")

    def test_timer_idle_when_nothing_due(self):
        c = self.c
        c.cmd("QPUSH", "q", "x")
        f = dict(l.split(":", 1) for l in parse(c.cmd("INFO", "queues")).decode().split("\r\n") if ":" in l)
        self.assertEqual(f["queue_timer_armed"], "0")

    def test_resp3_maps(self):
        c = self.c
        c.cmd("HELLO", "3")
        c.cmd("QPUSH", "q", "x", "ID", "a")
        info = parse(c.cmd("QINFO", "q"))
        self.assertEqual(info[b"waiting"], 1)
        j = parse(c.cmd("QJOB", "q", "a"))
        self.assertIsNone(j[b"last-error"])
        self.assertEqual(c.cmd("QJOB", "q", "zz"), b"_\r\n")


class QueuePushMany(harness.RillTestCase):
    """QPUSHMANY: several jobs with the same options in one command."""

    def test_pushes_in_order_under_generated_ids(self):
        c = self.c
        ids = parse(c.cmd("QPUSHMANY", "q", "PAYLOADS", "a", b"b\x00\r\n", "c"))
        self.assertEqual(len(ids), 3)
        self.assertEqual(len(set(ids)), 3)
        for i in ids:
            self.assertRegex(i.decode(), r"^\d{13}-\d+$")
        one = parse(c.cmd("QPUSH", "q", "d"))
        self.assertNotIn(one, ids)
        got = parse(c.cmd("QFETCH", "COUNT", 10, "QUEUES", "q"))
        self.assertEqual([(j[1], j[2]) for j in got], list(zip(ids + [one], [b"a", b"b\x00\r\n", b"c", b"d"])))
        self.assertEqual(len({j[4] for j in got}), 1)          # one fetch, one token
        self.assertEqual(c.cmd("QACK", "q", "LEASE", got[0][4], *ids), b":3\r\n")
        info = fields(c.cmd("QINFO", "q"))
        self.assertEqual((info["enqueued"], info["acked"], info["leased"]), (4, 3, 1))

    def test_options_apply_to_every_job(self):
        c = self.c
        low = parse(c.cmd("QPUSHMANY", "q", "PAYLOADS", "low"))
        high = parse(c.cmd("QPUSHMANY", "q", "PRIORITY", 5, "MAXATTEMPTS", 2, "BACKOFF", "FIXED", 7, "TTL", 600000,
                           "PAYLOADS", "h1", "h2"))
        later = parse(c.cmd("QPUSHMANY", "q", "DELAY", 600000, "PAYLOADS", "l1", "l2"))
        info = fields(c.cmd("QINFO", "q"))
        self.assertEqual((info["waiting"], info["delayed"]), (3, 2))
        for i in high:
            j = fields(c.cmd("QJOB", "q", i))
            self.assertEqual((j["priority"], j["max-attempts"], j["backoff"], j["backoff-ms"]), (5, 2, b"fixed", 7))
            self.assertGreater(j["deadline"], now_ms())
        for i in later:
            self.assertEqual(fields(c.cmd("QJOB", "q", i))["state"], b"delayed")
        got = parse(c.cmd("QFETCH", "COUNT", 10, "QUEUES", "q"))
        self.assertEqual([j[1] for j in got], high + low)

    def test_serves_blocked_fetchers_full_batches(self):
        w1, w2 = self.server.conn(), self.server.conn()
        w1.send("QFETCH", "COUNT", 4, "BLOCK", 5000, "QUEUES", "q")
        w2.send("QFETCH", "COUNT", 4, "BLOCK", 5000, "QUEUES", "q")
        time.sleep(0.05)
        ids = parse(self.c.cmd("QPUSHMANY", "q", "PAYLOADS", *["p%d" % i for i in range(6)]))
        self.assertEqual([j[1] for j in parse(w1.read_raw())], ids[:4])
        self.assertEqual([j[1] for j in parse(w2.read_raw())], ids[4:])
        w1.close()
        w2.close()

    def test_producer_ids_of_the_generated_shape_are_skipped(self):
        c = self.c
        seq = int(parse(c.cmd("QPUSH", "q", "x")).split(b"-")[1])
        ms = now_ms()
        # The IDs the next two generated ones would be (after these six
        # pushes, each taking a seq; the clock may tick meanwhile).
        for m in (ms, ms + 1, ms + 2):
            for k in (seq + 7, seq + 8):
                c.cmd("QPUSH", "q", "taken", "ID", "%d-%d" % (m, k))
        ids = parse(c.cmd("QPUSHMANY", "q", "PAYLOADS", "a", "b"))
        self.assertEqual(len(set(ids)), 2)
        for i in ids:
            self.assertEqual(fields(c.cmd("QJOB", "q", i))["payload"], b"a" if i == ids[0] else b"b")

    def test_jobs_with_ids_are_idempotent(self):
        c = self.c
        self.assertEqual(c.cmd("QPUSH", "q", "old", "ID", "b", "PRIORITY", 9), b"$1\r\nb\r\n")
        got = parse(c.cmd("QPUSHMANY", "q", "PRIORITY", 1, "JOBS", "a", "pa", "b", "pb", "a", "pa2", "7-1", "pg"))
        self.assertEqual(got, [b"a", b"b", b"a", b"7-1"])
        info = fields(c.cmd("QINFO", "q"))
        self.assertEqual((info["jobs"], info["enqueued"]), (3, 3))
        b = fields(c.cmd("QJOB", "q", "b"))
        self.assertEqual((b["payload"], b["priority"]), (b"old", 9))     # left as it was
        self.assertEqual(fields(c.cmd("QJOB", "q", "a"))["payload"], b"pa")
        gen = parse(c.cmd("QPUSHMANY", "q", "PAYLOADS", "x", "y"))
        got = parse(c.cmd("QFETCH", "COUNT", 10, "QUEUES", "q"))
        self.assertEqual([j[1] for j in got], [b"b", b"a", b"7-1"] + gen)

    def test_bad_input_enqueues_nothing(self):
        c = self.c
        syntax = b"-ERR syntax error\r\n"
        notint = b"-ERR value is not an integer or out of range\r\n"
        self.assertEqual(c.cmd("QPUSHMANY", "q"), b"-ERR wrong number of arguments for 'qpushmany' command\r\n")
        self.assertEqual(c.cmd("QPUSHMANY", "q", "PAYLOADS"), b"-ERR wrong number of arguments for 'qpushmany' command\r\n")
        self.assertEqual(c.cmd("QPUSHMANY", "q", "a", "b"), syntax)                  # no PAYLOADS / JOBS
        self.assertEqual(c.cmd("QPUSHMANY", "q", "PRIORITY", 1, "PAYLOADS"), syntax)  # nothing after it
        self.assertEqual(c.cmd("QPUSHMANY", "q", "ID", "x", "PAYLOADS", "a"), syntax)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "DELAY", 1, "AT", 5, "PAYLOADS", "a"), syntax)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "TTL", 5, "DEADLINE", 5, "PAYLOADS", "a"), syntax)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "BACKOFF", "LINEAR", 5, "PAYLOADS", "a"), syntax)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "DELAY", "PAYLOADS", "a"), notint)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "DELAY", -1, "PAYLOADS", "a"), notint)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "TTL", 0, "PAYLOADS", "a"), notint)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "PRIORITY", "1.5", "PAYLOADS", "a"), notint)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "MAXATTEMPTS", 99999999999999999999, "PAYLOADS", "a"), notint)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "JOBS", "id-without-payload"), syntax)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "JOBS", "a", "pa", "b"), syntax)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "DELAY", 5, "JOBS"), syntax)
        self.assertEqual(c.cmd("QPUSHMANY", "q", "JOBS", "a", "pa", "", "pb"), b"-ERR job ID must not be empty\r\n")
        self.assertEqual(parse(c.cmd("EXISTS", "q")), 0)
        c.cmd("SET", "str", "v")
        self.assertTrue(c.cmd("QPUSHMANY", "str", "PAYLOADS", "a").startswith(b"-WRONGTYPE"))
        self.assertEqual(parse(c.cmd("GET", "str")), b"v")
        # a payload may be any bytes, PAYLOADS among them
        self.assertEqual(len(parse(c.cmd("QPUSHMANY", "q", "PAYLOADS", "PAYLOADS", "ID", ""))), 3)
        self.assertEqual(parse(c.cmd("QPUSHMANY", "q", "JOBS", "JOBS", "PAYLOADS")), [b"JOBS"])

    def test_many_payloads(self):
        n = 5000
        ids = parse(self.c.cmd("QPUSHMANY", "q", "PAYLOADS", *[b"%d" % i for i in range(n)]))
        self.assertEqual(len(set(ids)), n)
        self.assertEqual(fields(self.c.cmd("QINFO", "q"))["waiting"], n)
        got = parse(self.c.cmd("QFETCH", "COUNT", n, "QUEUES", "q"))
        self.assertEqual([j[2] for j in got], [b"%d" % i for i in range(n)])


class QueueFetchGrouped(harness.RillTestCase):
    """QFETCH GROUPED: [queue, token, [id, payload, attempt, ...]] per queue."""

    def test_shape_across_queues(self):
        c = self.c
        c.cmd("QPUSHMANY", "q1", "JOBS", "a", "pa", "b", "pb")
        c.cmd("QPUSH", "q2", "pc", "ID", "c")
        c.cmd("QPUSH", "q3", "pd", "ID", "d")
        raw = c.cmd("QFETCH", "COUNT", 3, "GROUPED", "QUEUES", "q1", "empty", "q2", "q3")
        self.assertEqual(raw, b"*2\r\n*3\r\n$2\r\nq1\r\n:1\r\n*6\r\n$1\r\na\r\n$2\r\npa\r\n:1\r\n$1\r\nb\r\n$2\r\npb\r\n:1\r\n"
                              b"*3\r\n$2\r\nq2\r\n:1\r\n*3\r\n$1\r\nc\r\n$2\r\npc\r\n:1\r\n")
        # the same jobs, the same leases as the plain form
        self.assertEqual(c.cmd("QACK", "q1", "LEASE", 1, "a", "b"), b":2\r\n")
        self.assertEqual(fields(c.cmd("QJOB", "q2", "c"))["lease-token"], 1)
        # second delivery: attempt 2; nothing due: an empty array
        c.cmd("QNACK", "q2", "c", "DELAY", 0)
        self.assertEqual(parse(c.cmd("QFETCH", "GROUPED", "COUNT", 5, "QUEUES", "q2")), [[b"q2", 2, [b"c", b"pc", 2]]])
        self.assertEqual(c.cmd("QFETCH", "GROUPED", "QUEUES", "q2"), b"*0\r\n")
        # options in any order before QUEUES; GROUPED after QUEUES is a queue name
        c.cmd("QPUSH", "GROUPED", "pg", "ID", "g")
        self.assertEqual(parse(c.cmd("QFETCH", "QUEUES", "GROUPED")), [[b"GROUPED", b"g", b"pg", 1, 1]])

    def test_resp3_and_blocking(self):
        c = self.c
        c.cmd("HELLO", "3")
        w = self.server.conn()
        w.send("QFETCH", "GROUPED", "COUNT", 10, "BLOCK", 5000, "QUEUES", "q")
        time.sleep(0.05)
        c.cmd("QPUSHMANY", "q", "JOBS", "x", "px", "y", "py")
        self.assertEqual(parse(w.read_raw()), [[b"q", 1, [b"x", b"px", 1, b"y", b"py", 1]]])
        self.assertEqual(w.cmd("QFETCH", "GROUPED", "BLOCK", 50, "QUEUES", "q"), b"*-1\r\n")
        c.cmd("QPUSH", "q", "pz", "ID", "z")
        self.assertEqual(c.cmd("QFETCH", "GROUPED", "QUEUES", "q"),
                         b"*1\r\n*3\r\n$1\r\nq\r\n:2\r\n*3\r\n$1\r\nz\r\n$2\r\npz\r\n:1\r\n")
        # inside MULTI it answers at once, grouped
        c.cmd("QPUSH", "q", "pm", "ID", "m")
        c.cmd("MULTI")
        c.cmd("QFETCH", "GROUPED", "BLOCK", 0, "QUEUES", "q")
        c.cmd("QFETCH", "GROUPED", "BLOCK", 0, "QUEUES", "q")
        self.assertEqual(parse(c.cmd("EXEC")), [[[b"q", 3, [b"m", b"pm", 1]]], None])
        w.close()

    def test_native_reply_matches_resp3(self):
        try:
            from native_wire import NativeClient
        except ImportError as e:
            self.skipTest("no native client: %s" % e)
        url = "tcp://127.0.0.1:%d" % harness.free_port()
        srv = Server("rill", extra=["--native-listen", url])
        try:
            n = NativeClient(url)
            r3 = srv.conn()
            r3.cmd("HELLO", "3")
            for q in ("qa", "qb"):
                r3.cmd("QPUSHMANY", q, "JOBS", "a", "pa", "b", "pb")
            v = n.call("QFETCH", "GROUPED", "COUNT", 10, "QUEUES", "qa")
            raw = r3.cmd("QFETCH", "GROUPED", "COUNT", 10, "QUEUES", "qb")
            self.assertEqual(v.resp3(), raw.replace(b"qb", b"qa"))
            n.close()
            r3.close()
        finally:
            srv.stop()

    def test_bad_input(self):
        c = self.c
        syntax = b"-ERR syntax error\r\n"
        self.assertEqual(c.cmd("QFETCH", "GROUPED", "QUEUES"), syntax)
        self.assertEqual(c.cmd("QFETCH", "GROUPED", "1", "QUEUES", "q"), syntax)
        self.assertEqual(c.cmd("QFETCH", "GROUPED", "COUNT", 0, "QUEUES", "q"),
                         b"-ERR value is out of range, must be positive\r\n")
        c.cmd("SET", "str", "v")
        self.assertTrue(c.cmd("QFETCH", "GROUPED", "QUEUES", "q", "str").startswith(b"-WRONGTYPE"))


class QueueWrongType(harness.DiffTestCase):
    """Redis's commands on a queue key answer exactly what Redis answers on
    a key of another type."""

    def test_redis_commands_on_a_queue(self):
        self.assertEqual(parse(self.a.cmd("QPUSH", "k", "x")) is not None, True)
        self.assertEqual(self.b.cmd("HSET", "k", "f", "v"), b":1\r\n")
        self.diff(("LPUSH", "k", "a"), ("GET", "k"), ("SADD", "k", "m"), ("INCR", "k"), ("ZADD", "k", 1, "m"),
                  ("LRANGE", "k", 0, -1), ("APPEND", "k", "x"), ("EXISTS", "k"))

    def test_object_refcount(self):
        """A fresh value has refcount 1: the queue registry holds none."""
        self.a.cmd("QPUSH", "k", "x")
        self.b.cmd("RPUSH", "k", "x")
        self.assertEqual(self.a.cmd("OBJECT", "REFCOUNT", "k"), self.b.cmd("OBJECT", "REFCOUNT", "k"))
        self.assertEqual(self.a.cmd("OBJECT", "REFCOUNT", "k"), b":1\r\n")

    def test_integer_error_text(self):
        self.assertEqual(self.a.cmd("QPUSH", "k", "x", "PRIORITY", "abc"),
                         self.b.cmd("INCRBY", "k", "abc"))


class QueueRestart(harness.RestartTestCase):
    """Restart from the append log keeps every job in its state."""

    base_args = ("--appendonly", "yes", "--appendfsync", "always")
    dir_prefix = "rill-q-"

    def test_restart_preserves_states(self):
        s = self.start()
        c = s.conn()
        c.cmd("QPUSH", "q", "acked", "ID", "acked")
        c.cmd("QPUSH", "q", "leased-short", "ID", "ls", "PRIORITY", 9)
        c.cmd("QPUSH", "q", "leased-long", "ID", "ll", "PRIORITY", 8)
        self.assertEqual(len(parse(c.cmd("QFETCH", "LEASE", 300, "QUEUES", "q"))), 1)        # ls
        ll_token = parse(c.cmd("QFETCH", "LEASE", 600000, "QUEUES", "q"))[0][4]           # ll
        got = parse(c.cmd("QFETCH", "QUEUES", "q"))
        self.assertEqual(got[0][1], b"acked")
        c.cmd("QACK", "q", "acked")
        c.cmd("QPUSH", "q", "waiting", "ID", "w", "PRIORITY", -1)
        c.cmd("QPUSH", "q", "delayed", "ID", "d", "DELAY", 600000)
        c.cmd("QPUSH", "q", "dead", "ID", "x", "MAXATTEMPTS", 1, "PRIORITY", 100)
        c.cmd("QFETCH", "QUEUES", "q")
        c.cmd("QNACK", "q", "x", "ERROR", "bad input")
        gen = parse(c.cmd("QPUSH", "q2", "generated"))
        before = fields(c.cmd("QINFO", "q"))
        w_before = fields(c.cmd("QJOB", "q", "w"))
        c.close()
        s.kill9()
        time.sleep(0.4)                       # ls's lease runs out while the server is down
        s = self.start()
        c = s.conn()
        self.assertIsNone(parse(c.cmd("QJOB", "q", "acked")))
        after = fields(c.cmd("QINFO", "q"))
        for k in ("enqueued", "acked", "dead-lettered", "delivered"):
            self.assertEqual(after[k], before[k], k)
        x = fields(c.cmd("QJOB", "q", "x"))
        self.assertEqual((x["state"], x["last-error"]), (b"dead", b"bad input"))
        self.assertEqual(fields(c.cmd("QJOB", "q", "d"))["state"], b"delayed")
        self.assertEqual(fields(c.cmd("QJOB", "q", "ll"))["state"], b"leased")
        # ll's lease survives the restart, token included: its worker can
        # still finish it, and a stale token is still refused.
        self.assertEqual(fields(c.cmd("QJOB", "q", "ll"))["lease-token"], ll_token)
        self.assertEqual(c.cmd("QACK", "q", "LEASE", ll_token + 100, "ll"), b":0\r\n")
        self.assertEqual(c.cmd("QEXTEND", "q", "ll", 600000, "LEASE", ll_token), b":1\r\n")
        # the enqueue time is the original one, not the replay's
        self.assertEqual(fields(c.cmd("QJOB", "q", "w"))["enqueued-at"], w_before["enqueued-at"])
        got = parse(c.cmd("QFETCH", "COUNT", 10, "QUEUES", "q"))
        self.assertEqual([(j[1], j[3]) for j in got], [(b"ls", 2), (b"w", 1)])
        self.assertTrue(all(j[4] > ll_token for j in got))     # tokens are never reused
        self.assertEqual(parse(c.cmd("QJOB", "q2", gen))[1], gen)
        # And once more: what happened after the restart survives the next one.
        c.cmd("QACK", "q", "ls")
        c.close()
        s.stop()
        s = self.start()
        c = s.conn()
        self.assertIsNone(parse(c.cmd("QJOB", "q", "ls")))
        self.assertEqual(fields(c.cmd("QJOB", "q", "w"))["state"], b"leased")
        self.assertEqual(c.cmd("QACK", "q", "LEASE", ll_token, "ll"), b":1\r\n")
        c.close()

    def test_restart_keeps_bulk_pushes(self):
        """QPUSHMANY is logged job by job: IDs, options and order come back."""
        s = self.start()
        c = s.conn()
        ids = parse(c.cmd("QPUSHMANY", "q", "PRIORITY", 2, "MAXATTEMPTS", 3, "PAYLOADS", "a", "b", "c"))
        late = parse(c.cmd("QPUSHMANY", "q", "DELAY", 600000, "PAYLOADS", "d"))
        late += parse(c.cmd("QPUSHMANY", "q", "DELAY", 600000, "JOBS", "e", "pe", ids[0], "again"))[:1]
        before = {i: parse(c.cmd("QJOB", "q", i)) for i in ids + late}
        c.close()
        s.kill9()
        s = self.start()
        c = s.conn()
        for i in ids + late:
            self.assertEqual(parse(c.cmd("QJOB", "q", i)), before[i], i)
        got = parse(c.cmd("QFETCH", "COUNT", 10, "QUEUES", "q"))
        self.assertEqual([j[1] for j in got], ids)
        self.assertNotIn(parse(c.cmd("QPUSH", "q", "f")), ids + late)
        c.close()

    def test_side_options_survive_copy_replay_and_rewrite(self):
        """Jobs with rarely-set options (kept apart from plain jobs) and plain
        jobs, in every state, come back field for field through COPY, a
        replay of the append log and a rewrite."""
        s = self.start()
        c = s.conn()
        c.cmd("QPUSH", "q", "plain", "ID", "p")
        c.cmd("QPUSH", "q", "opts", "ID", "o", "MAXATTEMPTS", 5, "BACKOFF", "FIXED", 7, "MAX", 11, "JITTER",
              "TTL", 600000, "PRIORITY", -4)
        c.cmd("QPUSH", "q", "exp", "ID", "e", "BACKOFF", "EXP", 1000, "MAX", 300000)     # the defaults, spelt out
        c.cmd("QPUSH", "q", "ttl-only", "ID", "t", "DEADLINE", now_ms() + 600000, "DELAY", 600000)
        c.cmd("QPUSH", "q", "failed", "ID", "f", "PRIORITY", 50)
        c.cmd("QPUSH", "q", "dead", "ID", "x", "PRIORITY", 40, "MAXATTEMPTS", 1)
        c.cmd("QPUSH", "q", "leased", "ID", "l", "PRIORITY", 30, "TTL", 600000)
        c.cmd("QFETCH", "COUNT", 2, "QUEUES", "q")                  # f, x
        c.cmd("QNACK", "q", "f", "DELAY", 600000, "ERROR", "first failure")
        c.cmd("QNACK", "q", "x", "ERROR", b"dead\x00end")
        c.cmd("QFETCH", "LEASE", 600000, "QUEUES", "q")              # l
        gen = parse(c.cmd("QPUSH", "q", "generated"))
        ids = [b"p", b"o", b"e", b"t", b"f", b"x", b"l", gen]
        before = {i: parse(c.cmd("QJOB", "q", i)) for i in ids}
        self.assertEqual(fields(c.cmd("QJOB", "q", "o"))["backoff"], b"fixed")
        self.assertEqual(fields(c.cmd("QJOB", "q", "f"))["last-error"], b"first failure")
        self.assertEqual(fields(c.cmd("QJOB", "q", "x"))["state"], b"dead")
        self.assertEqual(c.cmd("COPY", "q", "q2"), b":1\r\n")
        for i in ids:
            self.assertEqual(parse(c.cmd("QJOB", "q2", i)), before[i], i)
        c.close()
        s.kill9()
        s = self.start()                                             # replay
        c = s.conn()
        for i in ids:
            self.assertEqual(parse(c.cmd("QJOB", "q", i)), before[i], i)
            self.assertEqual(parse(c.cmd("QJOB", "q2", i)), before[i], i)
        s = self.rewrite_and_restart(s, c)                           # from the rewrite
        c = s.conn()
        for i in ids:
            self.assertEqual(parse(c.cmd("QJOB", "q", i)), before[i], i)
            self.assertEqual(parse(c.cmd("QJOB", "q2", i)), before[i], i)
        c.close()

    def rewrite_and_restart(self, s, c):
        """BGREWRITEAOF, wait for it, kill -9, start again on the rewrite."""
        r = c.cmd("BGREWRITEAOF")
        if r.startswith(b"-"):
            self.skipTest("no BGREWRITEAOF: %r" % r)
        for _ in range(100):
            if b"aof_rewrite_in_progress:0" in parse(c.cmd("INFO", "persistence")):
                break
            time.sleep(0.05)
        time.sleep(0.2)
        c.close()
        s.kill9()
        return self.start()

    def test_rewrite_keeps_exact_states(self):
        """A log rewrite (snapshot base, QMETA/QRESTORE) brings every job
        back field for field, with the counters."""
        s = self.start()
        c = s.conn()
        c.cmd("QPUSH", "q", "w", "ID", "w", "PRIORITY", 3, "TTL", 600000, "BACKOFF", "FIXED", 5, "MAX", 9, "JITTER")
        c.cmd("QPUSH", "q", "d", "ID", "d", "DELAY", 600000)
        c.cmd("QPUSH", "q", "l", "ID", "l", "PRIORITY", 9)
        c.cmd("QFETCH", "LEASE", 600000, "QUEUES", "q")
        c.cmd("QPUSH", "q", "x", "ID", "x", "MAXATTEMPTS", 1, "PRIORITY", 10)
        c.cmd("QFETCH", "QUEUES", "q")
        c.cmd("QNACK", "q", "x", "ERROR", b"bad\x00bytes")
        c.cmd("QPUSH", "empty", "e", "ID", "e")
        c.cmd("QDEL", "empty", "e")
        ids = [b"w", b"d", b"l", b"x"]
        before = {i: parse(c.cmd("QJOB", "q", i)) for i in ids}
        info = parse(c.cmd("QINFO", "q"))
        s = self.rewrite_and_restart(s, c)
        c = s.conn()
        for i in ids:
            self.assertEqual(parse(c.cmd("QJOB", "q", i)), before[i], i)
        after = parse(c.cmd("QINFO", "q"))
        self.assertEqual(after[:-4], info[:-4])        # all but the time-relative fields
        self.assertEqual(parse(c.cmd("TYPE", "empty")), "queue")
        c.close()


if __name__ == "__main__":
    harness.main()
