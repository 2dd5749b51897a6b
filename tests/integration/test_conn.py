"""Connection commands and connection safety.

PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT: raw replies byte-identical to
redis-server 7.0.15, under RESP2 and RESP3 (fields that must differ, such as
client ids, ports, ages and memory sizes, are normalized first).  Then Rill's
own behaviour: requirepass and NOAUTH, the unauthenticated protocol limits,
maxclients, the idle timeout, CLIENT KILL closing connections, CLIENT SETINFO
(Redis 7.2), and a real client (redis-py) with a password.
"""
import re
import socket
import time
import unittest

import harness

# CLIENT LIST fields whose values depend on the process, not on behaviour.
VOLATILE = {b"id", b"addr", b"laddr", b"fd", b"age", b"idle", b"qbuf-free", b"tot-mem", b"rbs", b"rbp"}


def norm_info(raw):
    """Normalize a CLIENT LIST / CLIENT INFO reply (bulk or verbatim): volatile
    values become '*', ports in addresses too, and the length header is dropped."""
    m = re.match(rb"([$=])(\d+)\r\n", raw)
    if not m:
        return raw
    body = raw[m.end():m.end() + int(m.group(2))]
    assert raw[m.end() + int(m.group(2)):] == b"\r\n", raw
    prefix = b""
    if m.group(1) == b"=":
        prefix, body = body[:4], body[4:]
    lines = []
    for line in body.split(b"\n"):
        fields = []
        for f in line.split(b" ") if line else []:
            k, _, v = f.partition(b"=")
            fields.append(k + b"=*" if k in VOLATILE else f)
        lines.append(b" ".join(fields))
    return m.group(1) + prefix + b"\n".join(lines)


def norm_info_nested(raw):
    """norm_info for an info text anywhere inside a reply (e.g. in EXEC's array)."""
    raw = re.sub(rb"([$=])\d+\r\n(txt:)?id=", rb"\1N\r\n\2id=", raw)
    return re.sub(rb"(?<=[ :])(id|addr|laddr|fd|age|idle|qbuf-free|tot-mem|rbs|rbp)=[^ \n]*", rb"\1=*", raw)


def norm_hello(raw):
    """The HELLO reply with the client id replaced."""
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", raw)


def norm_int(raw):
    """An integer reply (a client id): checked to be one, then replaced."""
    assert re.fullmatch(rb":\d+\r\n", raw), raw
    return b":N\r\n"


def info_fields(raw):
    """CLIENT INFO reply -> dict of its fields (bytes)."""
    v = harness.parse(raw)
    if isinstance(v, bytes) and v.startswith(b"txt:"):
        v = v[4:]
    return dict(f.partition(b"=")[::2] for f in v.strip().split(b" "))


class ConnDiff(harness.DiffTestCase):
    """Rill vs redis-server 7.0.15 on the same commands (RESP2; see ConnDiffResp3)."""
    proto = 2

    def setUp(self):
        super().setUp()
        if self.proto == 3:
            self.ndiff(norm_hello, ("HELLO", "3"))

    def ndiff(self, norm, *commands):
        """Like diff(), comparing norm(reply) instead of the raw reply."""
        out = []
        for cmd in commands:
            self.a.send(*cmd)
            self.b.send(*cmd)
            ra, rb = self.a.read_raw(), self.b.read_raw()
            na, nb = norm(ra), norm(rb)
            self.assertEqual(na, nb, "reply differs for %r:\n rill:  %r\n redis: %r" % (cmd, ra, rb))
            out.append(ra)
        return out

    def conns(self):
        """A second connection to each server (closed at the end of the test)."""
        a, b = self.rill.conn(), self.redis.conn()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        for c in (a, b):   # one round trip: the server has accepted it
            c.cmd("HELLO", str(self.proto))
        return a, b

    # ---- PING, ECHO, SELECT, QUIT ----

    def test_ping(self):
        r = self.diff(("PING",), ("PING", "hello"), ("ping", ""), ("PING", "a", "b"), ("PING", "a", "b", "c"))
        self.assertEqual(r[0], b"+PONG\r\n")
        self.assertEqual(r[2], b"$0\r\n\r\n")
        self.assertEqual(r[3], b"-ERR wrong number of arguments for 'ping' command\r\n")

    def test_ping_binary(self):
        r = self.diff(("PING", b"a\x00b\r\n"))
        self.assertEqual(r[0], b"$5\r\na\x00b\r\n\r\n")

    def test_echo(self):
        r = self.diff(("ECHO", "hi there"), ("ECHO", ""), ("ECHO",), ("ECHO", "a", "b"), ("echo", b"\xff\x00"))
        self.assertEqual(r[0], b"$8\r\nhi there\r\n")
        self.assertEqual(r[2], b"-ERR wrong number of arguments for 'echo' command\r\n")

    def test_select(self):
        r = self.diff(("SELECT", "15"), ("SET", "k", "v"), ("SELECT", "0"), ("GET", "k"),
                      ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "x"), ("SELECT", "1.0"),
                      ("SELECT", "01"), ("SELECT", " 1"), ("SELECT", "2147483647"), ("SELECT", "2147483648"),
                      ("SELECT", "99999999999999999999"), ("SELECT",), ("SELECT", "1", "2"), ("SELECT", "15"),
                      ("GET", "k"))
        self.assertEqual(r[0], b"+OK\r\n")
        self.assertEqual(r[4], b"-ERR DB index is out of range\r\n")
        self.assertEqual(r[6], b"-ERR value is not an integer or out of range\r\n")
        self.assertEqual(r[-1], b"$1\r\nv\r\n")

    def test_select_shows_in_client_info(self):
        self.diff(("SELECT", "7"))
        r = self.ndiff(norm_info, ("CLIENT", "INFO"))
        self.assertEqual(info_fields(r[0])[b"db"], b"7")

    def test_quit(self):
        r = self.diff(("QUIT",))
        self.assertEqual(r[0], b"+OK\r\n")
        self.assertTrue(self.a.closed_by_peer())
        self.assertTrue(self.b.closed_by_peer())

    def test_quit_with_args_and_pipeline(self):
        # QUIT takes any arguments; commands pipelined after it are not run.
        a, b = self.conns()
        for c in (a, b):
            c.send_raw(c.encode("QUIT", "x") + c.encode("SET", "after-quit", "1"))
        ra, rb = a.read_raw(), b.read_raw()
        self.assertEqual(ra, rb)
        self.assertEqual(ra, b"+OK\r\n")
        self.assertTrue(a.closed_by_peer())
        self.diff(("EXISTS", "after-quit"))

    # ---- HELLO ----

    def test_hello(self):
        r = self.ndiff(norm_hello, ("HELLO",), ("HELLO", "2"), ("HELLO", "3"), ("PING",), ("HELLO",),
                       ("ECHO", "x"), ("HELLO", "2"), ("ECHO", "x"))
        self.assertEqual(norm_hello(r[1]),
                         b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                         b"$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:ID\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
                         b"$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n")
        self.assertTrue(r[2].startswith(b"%7\r\n"))

    def test_hello_id_is_client_id(self):
        hello = harness.parse(self.a.cmd("HELLO"))
        if isinstance(hello, list):
            hello = dict(zip(hello[::2], hello[1::2]))
        self.assertEqual(b":%d\r\n" % hello[b"id"], self.a.cmd("CLIENT", "ID"))

    def test_hello_errors(self):
        r = self.ndiff(norm_hello, ("HELLO", "1"), ("HELLO", "4"), ("HELLO", "0"), ("HELLO", "-3"),
                       ("HELLO", "abc"), ("HELLO", "03"), ("HELLO", "3.0"), ("HELLO", ""),
                       ("HELLO", "99999999999999999999"), ("HELLO", "3", "AUTH"),
                       ("HELLO", "3", "AUTH", "default"), ("HELLO", "3", "SETNAME"), ("HELLO", "3", "foo"),
                       ("HELLO", "3", "setname", "a b"), ("HELLO", "3", "auth", "nobody", "x"),
                       ("HELLO", "2", "SETNAME", "n", "bogus"), ("HELLO", "3", "new\r\nline"),
                       ("HELLO", "3", b"nul\x00byte"), ("PING",))
        self.assertEqual(r[0], b"-NOPROTO unsupported protocol version\r\n")
        self.assertEqual(r[4], b"-ERR Protocol version is not an integer or out of range\r\n")
        self.assertEqual(r[12], b"-ERR Syntax error in HELLO option 'foo'\r\n")
        self.assertEqual(r[14], b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        # Deliberate difference: Redis 7.0 applies a SETNAME that precedes a bad
        # option (the name above would now be "n"); Rill's failed HELLO changes nothing.
        self.assertIn(self.a.cmd("CLIENT", "GETNAME"), (b"$-1\r\n", b"_\r\n"))

    def test_hello_setname_and_auth(self):
        r = self.ndiff(norm_hello, ("HELLO", "3", "SETNAME", "conn1"), ("CLIENT", "GETNAME"),
                       ("HELLO", "2", "AUTH", "default", "anything", "SETNAME", "conn2"), ("CLIENT", "GETNAME"),
                       ("hello", "2", "setname", "x", "setname", "y"), ("CLIENT", "GETNAME"),
                       ("HELLO", "2", "SETNAME", ""), ("CLIENT", "GETNAME"))
        self.assertEqual(r[1], b"$5\r\nconn1\r\n")
        self.assertEqual(r[5], b"$1\r\ny\r\n")

    # ---- AUTH without a password configured ----

    def test_auth_without_password(self):
        r = self.diff(("AUTH", "x"), ("AUTH", "default", "x"), ("AUTH", "Default", "x"), ("AUTH", "bob", "x"),
                      ("AUTH", "a", "b", "c"), ("AUTH",), ("PING",))
        self.assertEqual(r[0], b"-ERR AUTH <password> called without any password configured for the default user."
                               b" Are you sure your configuration is correct?\r\n")
        self.assertEqual(r[1], b"+OK\r\n")
        self.assertEqual(r[3], b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        self.assertEqual(r[4], b"-ERR syntax error\r\n")

    # ---- CLIENT ----

    def test_client_id(self):
        ra, rb = self.a.cmd("CLIENT", "ID"), self.b.cmd("CLIENT", "ID")
        self.assertEqual(norm_int(ra), norm_int(rb))
        self.assertEqual(ra, self.a.cmd("CLIENT", "ID"))   # stable
        a2, _ = self.conns()
        self.assertGreater(harness.parse(a2.cmd("CLIENT", "ID")), harness.parse(ra))
        self.diff(("CLIENT", "ID", "x"))

    def test_client_names(self):
        r = self.diff(("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "worker-1"), ("CLIENT", "GETNAME"),
                      ("CLIENT", "SETNAME", "two words"), ("CLIENT", "SETNAME", "nl\n"),
                      ("CLIENT", "SETNAME", b"caf\xc3\xa9"), ("CLIENT", "SETNAME", b"x\x00"),
                      ("CLIENT", "SETNAME", "~!{}"), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", ""),
                      ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME"), ("CLIENT", "SETNAME", "a", "b"),
                      ("CLIENT", "GETNAME", "x"))
        self.assertEqual(r[2], b"$8\r\nworker-1\r\n")
        self.assertEqual(r[3], b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
        self.assertIn(r[10], (b"$-1\r\n", b"_\r\n"))
        self.assertEqual(r[11], b"-ERR wrong number of arguments for 'client|setname' command\r\n")

    def test_client_info(self):
        self.diff(("CLIENT", "SETNAME", "me"))
        r = self.ndiff(norm_info, ("CLIENT", "INFO"), ("CLIENT", "INFO"))
        f = info_fields(r[0])
        self.assertEqual(f[b"name"], b"me")
        self.assertEqual(f[b"cmd"], b"client|info")
        self.assertEqual(f[b"resp"], str(self.proto).encode())
        self.assertEqual(f[b"id"], str(harness.parse(self.a.cmd("CLIENT", "ID"))).encode())
        self.assertEqual(f[b"laddr"], b"127.0.0.1:%d" % self.rill.port)
        self.assertEqual(f[b"addr"], b"127.0.0.1:%d" % self.a.sock.getsockname()[1])
        self.diff(("CLIENT", "INFO", "x"))

    def test_client_list(self):
        a2, b2 = self.conns()
        for c in (a2, b2):
            c.cmd("CLIENT", "SETNAME", "second")
            c.cmd("SELECT", "3")
        self.diff(("CLIENT", "SETNAME", "first"))
        r = self.ndiff(norm_info, ("CLIENT", "LIST"), ("client", "list", "type", "NORMAL"),
                       ("CLIENT", "LIST", "TYPE", "pubsub"), ("CLIENT", "LIST", "TYPE", "replica"),
                       ("CLIENT", "LIST", "TYPE", "master"), ("CLIENT", "LIST", "TYPE", "slave"))
        lines = harness.parse(r[0])
        lines = (lines[4:] if lines.startswith(b"txt:") else lines).split(b"\n")
        self.assertEqual(len(lines), 3)   # two clients, then the final newline
        self.assertIn(b" name=first ", lines[0])   # oldest first
        self.assertIn(b" name=second ", lines[1])
        self.assertIn(b" db=3 ", lines[1])
        self.assertIn(b" cmd=select ", lines[1])

    def test_client_list_ids(self):
        a2, b2 = self.conns()
        ida, ida2 = harness.parse(self.a.cmd("CLIENT", "ID")), harness.parse(a2.cmd("CLIENT", "ID"))
        idb, idb2 = harness.parse(self.b.cmd("CLIENT", "ID")), harness.parse(b2.cmd("CLIENT", "ID"))
        for c in (a2, b2):
            c.cmd("CLIENT", "SETNAME", "other")
        cmds = [("CLIENT", "LIST", "ID", "{me}"), ("CLIENT", "LIST", "ID", "{other}", "{me}", "{other}"),
                ("CLIENT", "LIST", "ID", "999999"), ("CLIENT", "LIST", "ID", "0", "-1"),
                ("CLIENT", "LIST", "ID", "x"), ("CLIENT", "LIST", "ID", "{me}", "1.5"), ("CLIENT", "LIST", "ID"),
                ("CLIENT", "LIST", "TYPE"), ("CLIENT", "LIST", "TYPE", "bogus"), ("CLIENT", "LIST", "bogus"),
                ("CLIENT", "LIST", "TYPE", "normal", "ID", "{me}")]
        for cmd in cmds:
            ra = self.a.cmd(*[x.format(me=ida, other=ida2) for x in cmd])
            rb = self.b.cmd(*[x.format(me=idb, other=idb2) for x in cmd])
            self.assertEqual(norm_info(ra), norm_info(rb), "reply differs for %r:\n rill:  %r\n redis: %r"
                             % (cmd, ra, rb))
            if cmd == cmds[1]:
                self.assertEqual(norm_info(ra).count(b"name=other"), 2)
            if cmd == cmds[4]:
                self.assertEqual(ra, b"-ERR Invalid client ID\r\n")
            if cmd == cmds[8]:
                self.assertEqual(ra, b"-ERR Unknown client type 'bogus'\r\n")

    def test_client_kill_errors(self):
        r = self.diff(("CLIENT", "KILL"), ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID"),
                      ("CLIENT", "KILL", "ID", "999999"), ("CLIENT", "KILL", "ID", "x"), ("CLIENT", "KILL", "ID", "0"),
                      ("CLIENT", "KILL", "ID", "-4"), ("CLIENT", "KILL", "ID", "1", "TYPE"),
                      ("CLIENT", "KILL", "TYPE", "bogus"), ("CLIENT", "KILL", "USER", "bob"),
                      ("CLIENT", "KILL", "SKIPME", "maybe"), ("CLIENT", "KILL", "FOO", "bar"),
                      ("CLIENT", "KILL", "ADDR", "1.2.3.4:5"), ("CLIENT", "KILL", "LADDR", "1.2.3.4:5"),
                      ("CLIENT", "KILL", "TYPE", "master"), ("CLIENT", "KILL", "TYPE", "pubsub"),
                      ("CLIENT", "KILL", "USER", "default"), ("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"),
                      ("PING",))
        self.assertEqual(r[0], b"-ERR wrong number of arguments for 'client|kill' command\r\n")
        self.assertEqual(r[1], b"-ERR No such client\r\n")
        self.assertEqual(r[3], b":0\r\n")
        self.assertEqual(r[4], b"-ERR client-id should be greater than 0\r\n")
        self.assertEqual(r[9], b"-ERR No such user 'bob'\r\n")
        self.assertEqual(r[10], b"-ERR syntax error\r\n")

    def test_client_kill_other(self):
        a2, b2 = self.conns()
        ida, idb = harness.parse(a2.cmd("CLIENT", "ID")), harness.parse(b2.cmd("CLIENT", "ID"))
        ra = self.a.cmd("CLIENT", "KILL", "ID", str(ida))
        rb = self.b.cmd("CLIENT", "KILL", "ID", str(idb))
        self.assertEqual(ra, rb)
        self.assertEqual(ra, b":1\r\n")
        self.assertTrue(a2.closed_by_peer())
        self.assertTrue(b2.closed_by_peer())
        self.diff(("PING",))
        self.assertEqual(self.a.cmd("CLIENT", "KILL", "ID", str(ida)), b":0\r\n")

    def test_client_kill_old_form_self(self):
        # The old form may kill the caller: +OK, then the connection closes.
        for c in (self.a, self.b):
            addr = "127.0.0.1:%d" % c.sock.getsockname()[1]
            self.assertEqual(c.cmd("CLIENT", "KILL", addr), b"+OK\r\n")
            self.assertTrue(c.closed_by_peer())

    def test_client_kill_skipme(self):
        a2, b2 = self.conns()
        r = self.diff(("CLIENT", "KILL", "TYPE", "normal"))
        self.assertEqual(r[0], b":1\r\n")   # the other one, not me
        self.assertTrue(a2.closed_by_peer())
        self.assertTrue(b2.closed_by_peer())
        self.diff(("PING",))
        r = self.ndiff(lambda x: x, ("CLIENT", "KILL", "SKIPME", "no", "TYPE", "normal"))
        self.assertEqual(r[0], b":1\r\n")
        self.assertTrue(self.a.closed_by_peer())
        self.assertTrue(self.b.closed_by_peer())

    def test_client_kill_by_addr_and_laddr(self):
        a2, b2 = self.conns()
        r = [c.cmd("CLIENT", "KILL", "ADDR", "127.0.0.1:%d" % c2.sock.getsockname()[1], "SKIPME", "yes")
             for c, c2 in ((self.a, a2), (self.b, b2))]
        self.assertEqual(r, [b":1\r\n", b":1\r\n"])
        self.assertTrue(a2.closed_by_peer())
        a3, b3 = self.conns()
        r = [c.cmd("CLIENT", "KILL", "LADDR", "127.0.0.1:%d" % srv.port)
             for c, srv in ((self.a, self.rill), (self.b, self.redis))]
        self.assertEqual(r, [b":1\r\n", b":1\r\n"])
        self.assertTrue(a3.closed_by_peer())
        self.assertEqual(self.a.cmd("PING"), b"+PONG\r\n")

    def test_client_no_evict(self):
        r = self.diff(("CLIENT", "NO-EVICT", "on"))
        self.assertEqual(r[0], b"+OK\r\n")
        r = self.ndiff(norm_info, ("CLIENT", "INFO"))
        self.assertEqual(info_fields(r[0])[b"flags"], b"e")
        self.diff(("CLIENT", "NO-EVICT", "OFF"), ("CLIENT", "NO-EVICT", "maybe"), ("CLIENT", "NO-EVICT"))
        r = self.ndiff(norm_info, ("CLIENT", "INFO"))
        self.assertEqual(info_fields(r[0])[b"flags"], b"N")

    def test_client_help_and_unknown(self):
        r = self.diff(("CLIENT", "HELP"), ("client", "help"), ("CLIENT", "HELP", "x"), ("CLIENT", "FOO"),
                      ("CLIENT",), ("CLIENT", "BAR", "x"))
        self.assertTrue(r[0].startswith(b"*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"))
        self.assertEqual(r[3], b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n")

    # ---- RESET ----

    def test_reset(self):
        r = self.ndiff(norm_hello, ("HELLO", "3", "SETNAME", "n"), ("SELECT", "5"), ("CLIENT", "NO-EVICT", "on"),
                       ("RESET",), ("CLIENT", "GETNAME"), ("SET", "k", "v"), ("SELECT", "0"), ("EXISTS", "k"),
                       ("HELLO",), ("RESET", "x"))
        self.assertEqual(r[3], b"+RESET\r\n")
        self.assertEqual(r[4], b"$-1\r\n")   # RESP2 again, no name
        r = self.ndiff(norm_info, ("CLIENT", "INFO"))
        f = info_fields(r[0])
        self.assertEqual((f[b"db"], f[b"resp"], f[b"name"], f[b"flags"]), (b"0", b"2", b"", b"e"))

    def test_reset_leaves_multi(self):
        if self.a.cmd("MULTI") != b"+OK\r\n":
            self.skipTest("MULTI not implemented yet")
        self.a.cmd("RESET")
        r = self.diff(("WATCH", "w"), ("MULTI",), ("SET", "k", "v"), ("RESET",), ("EXEC",), ("EXISTS", "k"))
        self.assertEqual(r[3], b"+RESET\r\n")
        self.assertEqual(r[4], b"-ERR EXEC without MULTI\r\n")
        r = self.ndiff(norm_info, ("CLIENT", "INFO"))
        self.assertEqual(info_fields(r[0])[b"multi"], b"-1")

    # ---- inside MULTI ----

    def test_conn_commands_in_multi(self):
        if self.a.cmd("MULTI") != b"+OK\r\n":
            self.skipTest("MULTI not implemented yet")
        self.a.cmd("DISCARD")
        r = self.ndiff(lambda x: norm_hello(re.sub(rb"\r\n:\d+\r\n", b"\r\n:N\r\n", x)),
                       ("MULTI",), ("PING",), ("ECHO", "e"), ("SELECT", "2"), ("SELECT", "x"), ("CLIENT", "ID"),
                       ("CLIENT", "SETNAME", "a b"), ("HELLO", "3"), ("AUTH", "x"), ("EXEC",), ("PING",))
        self.assertEqual(r[1], b"+QUEUED\r\n")
        # CLIENT LIST of a client in MULTI (from another connection), then CLIENT INFO run by EXEC.
        a2, b2 = self.conns()
        ida, idb = harness.parse(self.a.cmd("CLIENT", "ID")), harness.parse(self.b.cmd("CLIENT", "ID"))
        self.diff(("MULTI",), ("PING",))
        r = [a2.cmd("CLIENT", "LIST", "ID", ida), b2.cmd("CLIENT", "LIST", "ID", idb)]
        self.assertEqual(norm_info(r[0]), norm_info(r[1]))
        f = info_fields(r[0])
        self.assertEqual((f[b"flags"], f[b"multi"], f[b"multi-mem"], f[b"cmd"]), (b"x", b"1", b"12", b"ping"))
        # (argv-mem inside EXEC: Redis counts EXEC's own arguments, Rill the running queued command's.)
        r = self.ndiff(lambda x: re.sub(rb"argv-mem=\d+", b"argv-mem=*", norm_info_nested(x)),
                       ("CLIENT", "INFO"), ("SELECT", "3"), ("EXEC",))
        self.assertEqual(r[0], b"+QUEUED\r\n")
        self.assertIn(b" flags=x db=2 sub=0 psub=0 ssub=0 multi=3 ", r[2])   # SELECT 2 ran in the first EXEC
        self.assertIn(b" cmd=exec ", r[2])
        r = self.ndiff(norm_info, ("CLIENT", "INFO"))
        f = info_fields(r[0])
        self.assertEqual((f[b"flags"], f[b"multi"], f[b"db"], f[b"cmd"]), (b"N", b"-1", b"3", b"client|info"))


class ConnDiffResp3(ConnDiff):
    """Every ConnDiff case again after HELLO 3."""
    proto = 3


class AuthDiff(harness.DiffTestCase):
    """requirepass set: NOAUTH, AUTH, HELLO AUTH, RESET, the unauthenticated limits."""
    extra = ("--requirepass", "secret")

    def test_noauth(self):
        r = self.diff(("PING",), ("ECHO", "x"), ("SELECT", "1"), ("CLIENT", "ID"), ("CLIENT", "SETNAME", "x"),
                      ("GET", "k"), ("SET", "k", "v"), ("GET",), ("NOSUCH",), ("CLIENT", "NOPE"),
                      ("client", "list"))
        self.assertEqual(r[0], b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(r[7], b"-ERR wrong number of arguments for 'get' command\r\n")   # arity first
        self.assertEqual(r[8], b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n")

    def test_hello_needs_auth(self):
        msg = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH "
               b"<user> <pass> option can be used to authenticate the client and select the RESP protocol "
               b"version at the same time\r\n")
        r = self.diff(("HELLO",), ("HELLO", "3"), ("HELLO", "2", "SETNAME", "x"), ("HELLO", "3", "AUTH", "default"),
                      ("HELLO", "3", "AUTH", "default", "wrong"), ("HELLO", "3", "AUTH", "bob", "secret"),
                      ("HELLO", "5", "AUTH", "default", "secret"), ("PING",))
        self.assertEqual(r[0], msg)
        self.assertEqual(r[2], msg)
        self.assertEqual(r[4], b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        self.assertEqual(r[-1], b"-NOAUTH Authentication required.\r\n")
        r = [norm_hello(c.cmd("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "n")) for c in (self.a, self.b)]
        self.assertEqual(r[0], r[1])
        self.assertTrue(r[0].startswith(b"%7\r\n"))
        self.diff(("PING",), ("CLIENT", "GETNAME"))

    def test_auth(self):
        r = self.diff(("AUTH",), ("AUTH", "wrong"), ("AUTH", "bob", "secret"), ("AUTH", "default", "Secret"),
                      ("AUTH", "a", "b", "c"), ("PING",), ("AUTH", "secret"), ("PING",),
                      ("AUTH", "wrong"), ("PING",), ("AUTH", "default", "secret"), ("ECHO", "ok"))
        self.assertEqual(r[1], b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        self.assertEqual(r[6], b"+OK\r\n")
        self.assertEqual(r[7], b"+PONG\r\n")
        self.assertEqual(r[9], b"+PONG\r\n")   # a failed AUTH does not log out

    def test_reset_logs_out(self):
        r = self.diff(("AUTH", "secret"), ("PING",), ("RESET",), ("PING",), ("QUIT",))
        self.assertEqual(r[3], b"-NOAUTH Authentication required.\r\n")
        self.assertTrue(self.a.closed_by_peer())

    def test_unauthenticated_multibulk_limit(self):
        r = self.diff(b"*11\r\n")
        self.assertEqual(r[0], b"-ERR Protocol error: unauthenticated multibulk length\r\n")
        self.assertTrue(self.a.closed_by_peer())
        self.assertTrue(self.b.closed_by_peer())

    def test_unauthenticated_bulk_limit(self):
        r = self.diff(b"*1\r\n$16385\r\n")
        self.assertEqual(r[0], b"-ERR Protocol error: unauthenticated bulk length\r\n")
        self.assertTrue(self.a.closed_by_peer())
        self.assertTrue(self.b.closed_by_peer())

    def test_limits_at_the_edge_and_after_auth(self):
        # 10 arguments and 16384-byte bulks are fine before AUTH; anything after AUTH.
        big = "x" * 16384
        r = self.diff(("PING", big) + ("a",) * 8, ("AUTH", "secret"), ("ECHO", "y" * 100000),
                      ("SET", "k", "v") + ("x",) * 20, ("PING",))
        self.assertEqual(r[0], b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(r[2], b"$100000\r\n" + b"y" * 100000 + b"\r\n")
        self.assertEqual(r[-1], b"+PONG\r\n")


class AuthState(harness.RillTestCase):
    """What a failed or partial HELLO leaves behind, and state across RESET."""
    extra = ("--requirepass", "secret")

    def test_failed_hello_changes_nothing(self):
        c = self.c
        self.assertTrue(c.cmd("HELLO", "3", "SETNAME", "x", "AUTH", "default", "bad").startswith(b"-WRONGPASS"))
        self.assertTrue(c.cmd("HELLO", "3", "SETNAME", "y").startswith(b"-NOAUTH HELLO"))
        self.assertEqual(c.cmd("PING"), b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(c.cmd("AUTH", "secret"), b"+OK\r\n")
        self.assertEqual(c.cmd("CLIENT", "GETNAME"), b"$-1\r\n")   # RESP2 still, no name
        self.assertTrue(c.cmd("HELLO", "3", "SETNAME", "z", "bogus").startswith(b"-ERR Syntax error"))
        self.assertTrue(c.cmd("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "a b").startswith(
            b"-ERR Client names cannot"))
        self.assertEqual(c.cmd("CLIENT", "GETNAME"), b"$-1\r\n")
        self.assertTrue(c.cmd("HELLO", "3", "AUTH", "default", "nope").startswith(b"-WRONGPASS"))
        self.assertEqual(c.cmd("PING"), b"+PONG\r\n")   # still authenticated

    def test_new_connection_needs_auth_each_time(self):
        self.assertEqual(self.c.cmd("AUTH", "secret"), b"+OK\r\n")
        c2 = self.server.conn()
        self.addCleanup(c2.close)
        self.assertEqual(c2.cmd("PING"), b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")

    def test_binary_password_mismatch(self):
        for p in ("secret\x00", "secre", "secretx", "", "SECRET"):
            self.assertTrue(self.c.cmd("AUTH", p).startswith(b"-WRONGPASS"), p)
        self.assertEqual(self.c.cmd("PING"), b"-NOAUTH Authentication required.\r\n")

    def test_config_set_requirepass(self):
        c = self.c
        self.assertEqual(c.cmd("AUTH", "secret"), b"+OK\r\n")
        r = c.cmd("CONFIG", "SET", "requirepass", "")
        if r != b"+OK\r\n":
            self.skipTest("CONFIG SET requirepass not available yet: %r" % r)
        try:
            c2 = self.server.conn()
            self.addCleanup(c2.close)
            self.assertEqual(c2.cmd("PING"), b"+PONG\r\n")
            self.assertTrue(c2.cmd("AUTH", "x").startswith(b"-ERR AUTH <password> called without"))
        finally:
            self.assertEqual(c.cmd("CONFIG", "SET", "requirepass", "secret"), b"+OK\r\n")
        c3 = self.server.conn()
        self.addCleanup(c3.close)
        self.assertEqual(c3.cmd("PING"), b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(c.cmd("PING"), b"+PONG\r\n")   # already authenticated stays so


class ClientExtras(harness.RillTestCase):
    """CLIENT SETINFO (Redis 7.2 semantics) and CLIENT LIST details beyond 7.0."""

    def test_setinfo(self):
        c = self.c
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "LIB-NAME", "mylib"), b"+OK\r\n")
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "lib-ver", "1.2.3"), b"+OK\r\n")
        f = info_fields(c.cmd("CLIENT", "INFO"))
        self.assertEqual((f[b"lib-name"], f[b"lib-ver"]), (b"mylib", b"1.2.3"))
        self.assertTrue(c.cmd("CLIENT", "INFO").endswith(b" resp=2 lib-name=mylib lib-ver=1.2.3\n\r\n"))
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "LIB-NAME", "my lib"),
                         b"-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n")
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "lib-ver", "1\n"),
                         b"-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n")
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "lib-foo", "x"), b"-ERR Unrecognized option 'lib-foo'\r\n")
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "lib-name"),
                         b"-ERR wrong number of arguments for 'client|setinfo' command\r\n")
        f = info_fields(c.cmd("CLIENT", "INFO"))
        self.assertEqual((f[b"lib-name"], f[b"lib-ver"]), (b"mylib", b"1.2.3"))   # unchanged by the errors
        self.assertEqual(c.cmd("RESET"), b"+RESET\r\n")   # RESET keeps them (7.2)
        self.assertEqual(info_fields(c.cmd("CLIENT", "INFO"))[b"lib-name"], b"mylib")
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "LIB-NAME", ""), b"+OK\r\n")
        self.assertEqual(c.cmd("CLIENT", "SETINFO", "LIB-VER", ""), b"+OK\r\n")
        self.assertNotIn(b"lib-name", c.cmd("CLIENT", "INFO"))

    def test_list_after_kill_in_same_pipeline(self):
        c2 = self.server.conn()
        self.addCleanup(c2.close)
        id2 = harness.parse(c2.cmd("CLIENT", "ID"))
        self.c.send_raw(self.c.encode("CLIENT", "KILL", "ID", id2) + self.c.encode("CLIENT", "KILL", "ID", id2))
        self.assertEqual(self.c.read_raw(), b":1\r\n")
        self.assertEqual(self.c.read_raw(), b":0\r\n")   # counted once
        self.assertTrue(c2.closed_by_peer())
        self.assertNotIn(b"id=%d " % id2, self.c.cmd("CLIENT", "LIST"))

    def test_kill_self_pipeline_stops(self):
        self.c.send_raw(self.c.encode("CLIENT", "KILL", "SKIPME", "no", "ID", harness.parse(self.c.cmd("CLIENT", "ID")))
                        + self.c.encode("SET", "after-kill", "1"))
        self.assertEqual(self.c.read_raw(), b":1\r\n")
        self.assertTrue(self.c.closed_by_peer())
        c2 = self.server.conn()
        self.addCleanup(c2.close)
        self.assertEqual(c2.cmd("EXISTS", "after-kill"), b":0\r\n")

    def test_unknown_command_shows_null_cmd(self):
        self.c.cmd("NOSUCHCMD")
        self.assertEqual(info_fields(self.c.cmd("CLIENT", "INFO"))[b"cmd"], b"client|info")
        c2 = self.server.conn()
        self.addCleanup(c2.close)
        c2.cmd("NOSUCHCMD")
        me = harness.parse(c2.cmd("CLIENT", "ID"))
        c2.cmd("NOSUCHCMD")
        line = harness.parse(self.c.cmd("CLIENT", "LIST", "ID", me))
        self.assertIn(b" cmd=NULL ", line)


class UnixSocket(unittest.TestCase):
    """A unix-socket client: flag U, addr and laddr "<path>:0", killable by that address."""

    def setUp(self):
        self.server = harness.Server("rill", unixsocket=True)
        self.addCleanup(self.server.stop)

    def unix_conn(self):
        c = harness.Conn.__new__(harness.Conn)
        c.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.sock.settimeout(10)
        c.sock.connect(self.server.unixsocket)
        c.buf = b""
        self.addCleanup(c.close)
        return c

    def test_unix_client(self):
        u = self.unix_conn()
        f = info_fields(u.cmd("CLIENT", "INFO"))
        path = self.server.unixsocket.encode()
        self.assertEqual((f[b"flags"], f[b"addr"], f[b"laddr"]), (b"U", path + b":0", path + b":0"))
        tcp = self.server.conn()
        self.addCleanup(tcp.close)
        self.assertEqual(tcp.cmd("CLIENT", "KILL", "ADDR", path + b":0"), b":1\r\n")
        self.assertTrue(u.closed_by_peer())
        self.assertEqual(tcp.cmd("PING"), b"+PONG\r\n")


class MaxClients(harness.RillTestCase):
    extra = ("--maxclients", "3")

    def test_extra_client_refused(self):
        # self.c is one; two more fit; the fourth gets Redis's error and is closed.
        c2, c3 = self.server.conn(), self.server.conn()
        self.addCleanup(c2.close)
        self.addCleanup(c3.close)
        self.assertEqual(c2.cmd("PING"), b"+PONG\r\n")
        self.assertEqual(c3.cmd("PING"), b"+PONG\r\n")
        c4 = self.server.conn()
        self.addCleanup(c4.close)
        self.assertEqual(c4.read_raw(), b"-ERR max number of clients reached\r\n")
        self.assertTrue(c4.closed_by_peer())
        self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")
        # A slot freed is a slot usable again.
        c3.cmd("QUIT")
        self.assertTrue(c3.closed_by_peer())
        deadline = time.time() + 5
        while True:
            c5 = self.server.conn()
            self.addCleanup(c5.close)
            try:
                r = c5.cmd("PING")
            except ConnectionError:
                r = b"closed"
            if r == b"+PONG\r\n" or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(r, b"+PONG\r\n")


class IdleTimeout(harness.RillTestCase):
    extra = ("--timeout", "1")

    def test_idle_client_closed(self):
        idle = self.server.conn()
        self.addCleanup(idle.close)
        self.assertEqual(idle.cmd("PING"), b"+PONG\r\n")
        busy_closed = False
        deadline = time.time() + 3.5
        while time.time() < deadline:
            try:
                if self.c.cmd("PING") != b"+PONG\r\n":
                    busy_closed = True
            except (ConnectionError, OSError):
                busy_closed = True
            time.sleep(0.25)
        self.assertFalse(busy_closed, "an active client was closed")
        self.assertTrue(idle.closed_by_peer(0.5), "idle client still open after 3.5 s with timeout 1")

    def test_not_closed_too_early(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("PING"), b"+PONG\r\n")
        time.sleep(0.6)
        self.assertEqual(c.cmd("PING"), b"+PONG\r\n")


class NoTimeout(harness.RillTestCase):
    def test_idle_client_kept(self):
        time.sleep(1.5)
        self.assertEqual(self.c.cmd("PING"), b"+PONG\r\n")


try:
    import redis
except ImportError:  # pragma: no cover
    redis = None


@unittest.skipIf(redis is None, "redis-py not installed")
class RedisPy(harness.RillTestCase):
    """A real client: redis-py with a password (RESP3 when the library supports it)."""
    extra = ("--requirepass", "secret")

    def setUp(self):
        super().setUp()
        self.r = redis.Redis(port=self.server.port, password="secret", decode_responses=True)
        self.addCleanup(self.r.close)

    def test_password_and_commands(self):
        self.assertTrue(self.r.ping())
        self.assertEqual(self.r.echo("hi"), "hi")
        self.assertIsInstance(self.r.client_id(), int)

    def test_wrong_or_missing_password(self):
        # redis-py 4.3 raises WRONGPASS as a plain ResponseError, later versions as AuthenticationError.
        with self.assertRaisesRegex(redis.exceptions.RedisError, "^WRONGPASS invalid username-password pair"):
            redis.Redis(port=self.server.port, password="wrong").ping()
        with self.assertRaisesRegex(redis.exceptions.AuthenticationError, "Authentication required"):
            redis.Redis(port=self.server.port).ping()

    def test_db_selection(self):
        r2 = redis.Redis(port=self.server.port, password="secret", db=4, decode_responses=True)
        self.addCleanup(r2.close)
        r2.client_setname("db4")
        info = [c for c in self.r.client_list() if c["name"] == "db4"]
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0]["db"], "4")
        with self.assertRaises(redis.exceptions.ResponseError):
            redis.Redis(port=self.server.port, password="secret", db=16).ping()

    def test_setname_list_kill(self):
        other = redis.Redis(port=self.server.port, password="secret", decode_responses=True)
        self.addCleanup(other.close)
        self.assertTrue(other.client_setname("victim"))
        self.assertEqual(other.client_getname(), "victim")
        self.assertTrue(self.r.client_setname("boss"))
        clients = {c["name"]: c for c in self.r.client_list()}
        self.assertIn("victim", clients)
        self.assertIn("boss", clients)
        self.assertEqual(clients["boss"]["cmd"], "client|list")
        self.assertEqual(self.r.client_info()["name"], "boss")
        vid = clients["victim"]["id"]
        self.assertEqual([c["name"] for c in self.r.client_list(client_id=[vid])], ["victim"])
        self.assertEqual(self.r.client_kill_filter(_id=vid), 1)
        names = [c["name"] for c in self.r.client_list()]
        self.assertNotIn("victim", names)
        # The old form, by address.
        other2 = redis.Redis(port=self.server.port, password="secret", decode_responses=True)
        self.addCleanup(other2.close)
        other2.client_setname("victim2")
        addr = [c["addr"] for c in self.r.client_list() if c["name"] == "victim2"][0]
        self.assertTrue(self.r.client_kill(addr))
        with self.assertRaises(redis.exceptions.ResponseError):
            self.r.client_kill(addr)   # No such client
        self.assertNotIn("victim2", [c["name"] for c in self.r.client_list()])
        with self.assertRaises(redis.exceptions.ResponseError):
            self.r.client_setname("bad name")

    def test_no_evict_and_reset(self):
        self.assertEqual(self.r.client_no_evict("on"), "OK")
        self.assertIn("e", self.r.client_info()["flags"])
        self.assertEqual(self.r.reset(), "RESET")

    def test_resp3(self):
        import inspect
        if "protocol" not in inspect.signature(redis.Redis.__init__).parameters:
            self.skipTest("redis-py %s has no RESP3 (protocol=3 came in 5.0)" % redis.__version__)
        r3 = redis.Redis(port=self.server.port, password="secret", protocol=3, decode_responses=True)
        self.addCleanup(r3.close)
        self.assertTrue(r3.ping())
        self.assertEqual(r3.client_info()["resp"], "3")
        r3.client_setname("three")
        self.assertIn("three", [c["name"] for c in r3.client_list()])


if __name__ == "__main__":
    harness.main()
