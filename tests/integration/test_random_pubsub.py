"""Seeded randomized differential test of pub/sub: rill-server against redis-server 7.0.15.

RandomPubSub opens, on each server, SUBS subscriber connections and one
publisher connection, and drives both servers with the same random
sequence: SUBSCRIBE/UNSUBSCRIBE/PSUBSCRIBE/PUNSUBSCRIBE/SSUBSCRIBE/SUNSUBSCRIBE
(several names, duplicates, none = all), PING, ECHO, other commands in the
RESP2 subscribed context (refused) and in RESP3 (allowed), HELLO 2/3, RESET,
QUIT (the connection is opened again), CLIENT REPLY OFF/ON/SKIP, PUBLISH,
SPUBLISH, PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB, and
keyspace notifications (CONFIG SET notify-keyspace-events with random flags,
then writes), MULTI/EXEC blocks around all that.  Channel names include
binary and empty ones; patterns use [] ? * ^ and escapes.

Excluded: QUIT on a connection that may be under CLIENT REPLY OFF/SKIP (RESET
is sent instead): Redis then writes nothing, so its CLOSE_AFTER_REPLY waits
for the next push and the connection stays open and deaf; Rill closes it.

The publisher's replies are read one by one and compared raw (PUBSUB
CHANNELS / SHARDCHANNELS with their elements sorted).  After every step each
subscriber connection is drained on both servers (after a PING round trip on
the publishers, until the sockets go quiet) and the byte streams are compared
per connection, with two normalizations for orders Redis takes from a
hash table with a random seed: a run of pmessages for one published message
(one per matching pattern of the connection) is sorted, and so are the
channel names of a run of unsubscribe / punsubscribe / sunsubscribe replies
(UNSUBSCRIBE with no arguments walks the client's channel or pattern dict);
the counts keep their order.  The client id in HELLO replies is masked.

Replay: RILL_RANDOM_SEEDS=7,8 RILL_RANDOM_STEPS=2000 python3 test_random_pubsub.py
(RILL_RANDOM_ALL=1 reports every mismatch, resetting all connections after
each, instead of failing at the first).
"""
import random
import re
import select
import socket

import harness

SEEDS, STEPS, KEEP_GOING = harness.random_settings([1,2,3,4], 1000)
HISTORY = 20
SUBS = 4
QUIET = 0.003       # a subscriber socket is drained when it stays silent this long
SETTLE = 0.3        # how long to wait for more bytes before calling a difference a mismatch

CHANNELS = ["ch1", "ch2", "ch3", "news.tech", "news.art", "", "a\x00b", "\xff\xfe", "hello", "hallo",
            "*", "[x]", "a?b", "ch:1", "x" * 70, "__keyspace@0__:k1", "__keyevent@0__:set", b"\xff\x80\r\n"]
PATTERNS = ["*", "ch*", "ch?", "news.*", "n[ae]ws.*", "h[a-e]llo", "h[^e]llo", "\\*", "a\\?b", "[x]",
            "\\[x\\]", "", "a\x00*", "\xff*", "ch[12]", "*.*", "[", "a[", "h\\", "__key*@0__:*",
            "__keyspace@0__:k*", "__keyevent@0__:*", "*:1", "?", "__key*@*__:*", "*[0-9]", b"\xff\x80*",
            b"[\x80-\xff]*"]
KEYS = ["k1", "k2", "k3"]
NOTIFY_FLAGS = "KEg$lshzxetmdnA"


def enc(args):
    return harness.Conn.encode(*args)


def _end(b, i):
    """Offset just past the RESP value that starts at b[i], or -1 if b holds only part of it."""
    e = b.find(b"\r\n", i)
    if e < 0:
        return -1
    t = b[i:i + 1]
    if t in b"+-:_,#(":
        return e + 2
    if t in b"$=!":
        n = int(b[i + 1:e])
        end = e + 2 if n < 0 else e + 4 + n
        return end if end <= len(b) else -1
    n = int(b[i + 1:e])
    if t in b"%|":
        n *= 2
    p = e + 2
    for _ in range(max(n, 0)):
        if p >= len(b):
            return -1
        p = _end(b, p)
        if p < 0:
            return -1
    return p


def split(buf):
    """The complete RESP values at the head of buf, and the incomplete rest."""
    out, p = [], 0
    while p < len(buf):
        q = _end(buf, p)
        if q < 0:
            break
        out.append(buf[p:q])
        p = q
    return out, buf[p:]


HELLO_ID = re.compile(rb"\$2\r\nid\r\n:\d+\r\n")


def kind_of(item):
    """('pmessage', channel, message) / ('unsub', kind) / None for one raw value."""
    if item[:1] not in b"*>":
        return None
    try:
        v = harness.parse(item)
    except Exception:
        return None
    if not isinstance(v, list) or not v or not isinstance(v[0], bytes):
        return None
    if v[0] == b"pmessage" and len(v) == 4:
        return ("pmessage", v[2], v[3])
    if v[0] in (b"unsubscribe", b"sunsubscribe", b"punsubscribe") and len(v) == 3:
        return ("unsub", v[0], item[:1])
    return None


def normalize(items):
    items = [HELLO_ID.sub(b"$2\r\nid\r\n:0\r\n", it) for it in items]
    out, i = [], 0
    while i < len(items):
        k = kind_of(items[i])
        j = i + 1
        while k is not None and j < len(items) and kind_of(items[j]) == k:
            j += 1
        run = items[i:j]
        if k is not None and k[0] == "pmessage":
            run = sorted(run)
        elif k is not None and k[0] == "unsub" and len(run) > 1:
            vals = [harness.parse(x) for x in run]
            names = sorted(v[1] for v in vals if v[1] is not None)
            if len(names) == len(vals):
                run = [(run[n][:1] + b"3\r\n" + enc([vals[n][0]])[4:] + enc([names[n]])[4:]
                        + b":%d\r\n" % vals[n][2]) for n in range(len(run))]
        out.extend(run)
        i = j
    return out


def sort_reply(raw):
    items, rest = split(raw)
    if len(items) != 1 or raw[:1] not in b"*~":
        return raw
    e = raw.index(b"\r\n")
    els, _ = split(raw[e + 2:])
    return raw[:e + 2] + b"".join(sorted(els))


def show(args, limit=200):
    s = repr(tuple(args))
    return s if len(s) <= limit else s[:limit] + "..."


class Side:
    """One server's connections: SUBS subscribers and a publisher."""

    def __init__(self, server):
        self.server = server
        self.subs = [server.conn() for _ in range(SUBS)]
        self.buf = [b""] * SUBS         # bytes read, not yet compared
        self.closed = [False] * SUBS
        self.pub = server.conn()

    def reopen(self, i):
        self.subs[i].close()
        self.subs[i] = self.server.conn()
        self.buf[i] = b""
        self.closed[i] = False

    def settle(self):
        """Wait until the server has dropped the connections closed before
        (the publisher, DiffTestCase's connection and the subscribers remain)."""
        for _ in range(500):
            if harness.parse(self.pub.cmd("CLIENT", "LIST")).count(b"\n") == SUBS + 2:
                return
            select.select([], [], [], 0.002)
        raise AssertionError("%s: closed connections linger: %r" % (self.server.kind, self.pub.cmd("CLIENT", "LIST")))

    def close(self):
        for c in self.subs + [self.pub]:
            c.close()

    def drain(self, quiet):
        """Read every subscriber socket until all stay silent for quiet seconds."""
        socks = {c.sock: i for i, c in enumerate(self.subs) if not self.closed[i]}
        for i, c in enumerate(self.subs):       # bytes Conn has buffered already
            if c.buf:
                self.buf[i] += c.buf
                c.buf = b""
        while socks:
            ready, _, _ = select.select(list(socks), [], [], quiet)
            if not ready:
                break
            for s in ready:
                i = socks[s]
                try:
                    chunk = s.recv(1 << 20)
                except (ConnectionResetError, socket.timeout):
                    chunk = b""
                if not chunk:
                    self.closed[i] = True
                    del socks[s]
                else:
                    self.buf[i] += chunk


class RandomPubSub(harness.RandomDiffTestCase):
    keep_going = KEEP_GOING

    # ---- generators ---------------------------------------------------------

    def names(self, r, pool, lo=1, hi=3):
        n = r.randint(lo, hi)
        out = [r.choice(pool) for _ in range(n)]
        if n and r.random() < 0.2:
            out.append(out[0])          # a duplicate
        return out

    def sub_command(self, r):
        x = r.random()
        if x < 0.17:
            return ["SUBSCRIBE"] + self.names(r, CHANNELS)
        if x < 0.27:
            return ["UNSUBSCRIBE"] + self.names(r, CHANNELS, 0, 2)
        if x < 0.42:
            return ["PSUBSCRIBE"] + self.names(r, PATTERNS)
        if x < 0.50:
            return ["PUNSUBSCRIBE"] + self.names(r, PATTERNS, 0, 2)
        if x < 0.58:
            return ["SSUBSCRIBE"] + self.names(r, CHANNELS)
        if x < 0.63:
            return ["SUNSUBSCRIBE"] + self.names(r, CHANNELS, 0, 2)
        if x < 0.67:
            return ["PING"] + ([r.choice(["hi", "", "a\x00b"])] if r.random() < 0.5 else [])
        if x < 0.74:
            return r.choice([["GET", "k1"], ["ECHO", "e"], ["SET", "k9", "v"], ["PUBLISH", "ch1", "self"],
                             ["PUBSUB", "NUMPAT"], ["PUBSUB", "NUMSUB", "ch1"], ["SPUBLISH", "ch2", "s"],
                             ["DBSIZE"], ["NOSUCH", "x"], ["SUBSCRIBE"], ["PSUBSCRIBE"], ["SSUBSCRIBE"],
                             ["PING", "a", "b"], ["CLIENT", "SETNAME", "n"], ["MULTI"], ["EXEC"],
                             ["subscribe", "ch3"], ["Ping"], ["HELLO", "4"]])
        if x < 0.83:
            return ["HELLO", r.choice(["3", "3", "2"])] + (["SETNAME", "nm"] if r.random() < 0.1 else [])
        if x < 0.87:
            return ["RESET"]
        if x < 0.88:
            return ["QUIT"]
        if x < 0.91:
            return ["CLIENT", "REPLY", r.choice(["OFF", "ON", "ON", "SKIP"])]
        return None

    def pub_command(self, r, step):
        x = r.random()
        msg = "m%d" % step
        if x < 0.35:
            return ["PUBLISH", r.choice(CHANNELS), msg], None
        if x < 0.45:
            return ["SPUBLISH", r.choice(CHANNELS), msg], None
        if x < 0.55:
            return ["PUBSUB", "CHANNELS"] + ([r.choice(PATTERNS)] if r.random() < 0.6 else []), "sort"
        if x < 0.60:
            return ["PUBSUB", "SHARDCHANNELS"] + ([r.choice(PATTERNS)] if r.random() < 0.6 else []), "sort"
        if x < 0.67:
            return ["PUBSUB", "NUMSUB"] + self.names(r, CHANNELS, 0, 3), None
        if x < 0.70:
            return ["PUBSUB", "SHARDNUMSUB"] + self.names(r, CHANNELS, 0, 3), None
        if x < 0.73:
            return ["PUBSUB", "NUMPAT"], None
        if x < 0.77:
            flags = "".join(r.sample(NOTIFY_FLAGS, r.randint(0, 5)))
            if r.random() < 0.05:
                flags += "Q"
            return ["CONFIG", "SET", "notify-keyspace-events", flags], None
        k = r.choice(KEYS)
        return r.choice([["SET", k, msg], ["DEL", k], ["LPUSH", k, "a", "b"], ["RPOP", k], ["HSET", k, "f", "v"],
                         ["SADD", k, "m"], ["ZADD", k, "1", "m"], ["INCR", k], ["EXPIRE", k, "1000"],
                         ["PERSIST", k], ["RENAME", k, r.choice(KEYS)], ["APPEND", k, "x"], ["GETDEL", k],
                         ["SETRANGE", k, "2", "zz"], ["LPOP", k, "5"], ["HDEL", k, "f"], ["SREM", k, "m"],
                         ["XADD", k, "%d-1" % step, "f", "v"], ["COPY", k, r.choice(KEYS)], ["MSET", k, "1", "k3", "2"],
                         ["INCRBYFLOAT", k, "1.5"], ["GETEX", k, "PERSIST"], ["SET", k, "v", "EX", "1000"],
                         ["FLUSHALL"], ["PUBSUB", "HELP"], ["PUBSUB", "NOSUCH"], ["PUBLISH", "x"],
                         ["EXPIRE", k, "0"], ["EXPIRE", k, "-5"], ["PEXPIREAT", k, "1"], ["SETEX", k, "1000", "v"],
                         ["LMOVE", k, r.choice(KEYS), "LEFT", "RIGHT"], ["SMOVE", k, r.choice(KEYS), "m"],
                         ["ZINCRBY", k, "2", "m"], ["HINCRBY", k, "n", "3"], ["HINCRBYFLOAT", k, "n", "0.5"],
                         ["LTRIM", k, "1", "-1"], ["LSET", k, "0", "z"], ["LINSERT", k, "BEFORE", "a", "q"],
                         ["LREM", k, "0", "a"], ["SUNIONSTORE", k, r.choice(KEYS), r.choice(KEYS)],
                         ["ZUNIONSTORE", k, "2", r.choice(KEYS), r.choice(KEYS)], ["SORT", r.choice(KEYS), "STORE", k],
                         ["DECR", k], ["GETSET", k, "g"], ["SETNX", k, "n"], ["MOVE", k, "1"], ["FLUSHDB"],
                         ["XTRIM", k, "MAXLEN", "0"], ["XGROUP", "CREATE", k, "g", "$", "MKSTREAM"],
                         ["RENAMENX", k, r.choice(KEYS)], ["HSETNX", k, "f", "w"],
                         ["ZREMRANGEBYSCORE", k, "-inf", "+inf"], ["ZPOPMIN", k], ["BLPOP", k, "0.01"],
                         ["PUBSUB", "CHANNELS", "a", "b"], ["PUBSUB", "NUMPAT", "x"], ["PUBLISH", "c", "m", "x"],
                         ["SPUBLISH", "c"], ["PUBSUB"], ["PUBSUB", "SHARDCHANNELS", "a", "b"]]), None

    # ---- the run ------------------------------------------------------------

    def compare_subs(self, A, B, seed, step, args, history, mismatches, silenced):
        for settle in (QUIET, SETTLE, SETTLE):
            A.drain(settle)
            B.drain(settle)
            bad = None
            for i in range(SUBS):
                ia, ra = split(A.buf[i])
                ib, rb = split(B.buf[i])
                na, nb = normalize(ia), normalize(ib)
                if na != nb or ra != rb or A.closed[i] != B.closed[i]:
                    bad = i
                    break
            if bad is None:
                break
        else:
            i = bad
            msg = ("seed %d step %d: subscriber %d streams differ after %s\n rill:  %r%s\n redis: %r%s\n"
                   "last commands (oldest first):\n  %s" %
                   (seed, step, i, show(args), A.buf[i][:1500], " (closed)" if A.closed[i] else "",
                    B.buf[i][:1500], " (closed)" if B.closed[i] else "",
                    "\n  ".join(history[-HISTORY:])))
            self.mismatch(msg, mismatches)
            for i in range(SUBS):
                A.reopen(i)
                B.reopen(i)
                silenced[i] = False
            A.settle()
            B.settle()
            return
        reopened = False
        for i in range(SUBS):
            A.buf[i] = B.buf[i] = b""
            if A.closed[i]:
                A.reopen(i)
                B.reopen(i)
                reopened = True
                silenced[i] = False
        if reopened:
            A.settle()
            B.settle()

    def run_seed(self, seed):
        r = random.Random(seed)
        A, B = Side(self.rill), Side(self.redis)
        try:
            self.run_sides(seed, r, A, B)
        finally:
            A.close()
            B.close()

    def run_sides(self, seed, r, A, B):
        for side in (A, B):
            side.pub.cmd("FLUSHALL")
            side.pub.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        history = []
        mismatches = []
        silenced = [False] * SUBS   # CLIENT REPLY OFF/SKIP may be in force
        for step in range(STEPS):
            if r.random() < 0.55:
                i = r.randrange(SUBS)
                args = self.sub_command(r)
                if args and args[0] == "CLIENT" and args[2] in ("OFF", "SKIP"):
                    silenced[i] = True
                elif args == ["QUIT"] and silenced[i]:
                    # Excluded: Redis answers QUIT with addReply + CLOSE_AFTER_REPLY,
                    # so under CLIENT REPLY OFF/SKIP nothing is written and the
                    # connection stays open (deaf) until some push is written to
                    # it; Rill closes it at once.  RESET instead (it clears OFF).
                    args = ["RESET"]
                if args == ["RESET"]:
                    silenced[i] = False
                if args is None:
                    args = ["PUBLISH", r.choice(CHANNELS), "s%d" % step]
                    A.pub.send(*args)
                    B.pub.send(*args)
                    who = "pub"
                else:
                    A.subs[i].send(*args)
                    B.subs[i].send(*args)
                    who = "sub%d" % i
                history.append("%s %s" % (who, show(args)))
                if who == "pub":
                    ra, rb = A.pub.read_raw(), B.pub.read_raw()
                    if ra != rb:
                        self.mismatch("seed %d step %d: replies differ for %s\n rill:  %r\n redis: %r\n"
                                          "last commands (oldest first):\n  %s" %
                                          (seed, step, show(args), ra, rb, "\n  ".join(history[-HISTORY:])),
                                          mismatches)
            else:
                args, kind = self.pub_command(r, step)
                history.append("pub %s" % show(args))
                A.pub.send(*args)
                B.pub.send(*args)
                ra, rb = A.pub.read_raw(), B.pub.read_raw()
                if kind == "sort":
                    ra, rb = sort_reply(ra), sort_reply(rb)
                if ra != rb:
                    self.mismatch("seed %d step %d: replies differ for %s\n rill:  %r\n redis: %r\n"
                                      "last commands (oldest first):\n  %s" %
                                      (seed, step, show(args), ra, rb, "\n  ".join(history[-HISTORY:])),
                                      mismatches)
            # A round trip on the publishers: what the step sent to subscribers is on its way.
            self.assertEqual(A.pub.cmd("PING"), B.pub.cmd("PING"))
            self.compare_subs(A, B, seed, step, args, history, mismatches, silenced)
            history = history[-HISTORY:]
        self.end_run(mismatches)

    def test_seeds(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                try:
                    self.run_seed(seed)
                finally:
                    for c in (self.a, self.b):
                        c.cmd("CONFIG", "SET", "notify-keyspace-events", "")


if __name__ == "__main__":
    harness.main()
