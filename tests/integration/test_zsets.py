"""Sorted set commands (broker/cmd_zset.c, cmd_zset_ops.c) against Redis 7.0.15.

ZsetsDiff sends the same scripts to rill-server and redis-server and asserts
byte-identical raw replies, once in RESP2 and once more after HELLO 3, for
every command, option combination and error path, including score
formatting and the listpack/skiplist encodings.  ZsetsRill checks what
cannot be compared raw: random replies, ZSCAN over a big set, ZRANK
WITHSCORE (Redis 7.2, absent from 7.0.15), effects of ZADD INCR.
"""
import random
import time

import harness

LONG_MAX = 2 ** 63 - 1


def big_members(n, prefix="m"):
    args = []
    for i in range(n):
        args += [str(i), "%s%d" % (prefix, i)]
    return args


class ZsetsDiff(harness.DiffTestCase):
    # ---- ZADD ---------------------------------------------------------------

    def test_zadd_basic_and_flags(self):
        self.both_protocols(
            ("ZADD", "z", "1", "a", "2", "b", "3", "c"),
            ("ZADD", "z", "1", "a"),
            ("ZADD", "z", "CH", "5", "a", "2", "b", "9", "d"),
            ("ZADD", "z", "NX", "100", "a", "7", "e"),
            ("ZADD", "z", "XX", "100", "a", "7", "f"),
            ("ZADD", "z", "XX", "CH", "101", "a", "7", "f"),
            ("ZADD", "z", "GT", "CH", "50", "a", "200", "b", "1", "g"),
            ("ZADD", "z", "LT", "CH", "500", "a", "0", "b"),
            ("ZADD", "z", "xx", "gt", "ch", "1000", "a"),
            ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
            ("ZADD", "z", "INCR", "5", "a"),
            ("ZADD", "z", "INCR", "5", "new"),
            ("ZADD", "z", "INCR", "NX", "5", "a"),
            ("ZADD", "z", "INCR", "XX", "5", "nothere"),
            ("ZADD", "z", "INCR", "GT", "-5", "a"),
            ("ZADD", "z", "INCR", "LT", "-5", "a"),
            ("ZADD", "nokey", "XX", "1", "a"),
            ("ZADD", "nokey", "XX", "INCR", "1", "a"),
            ("EXISTS", "nokey"),
            ("ZADD", "z", "NX", "XX", "1", "a"),
            ("ZADD", "z", "GT", "LT", "1", "a"),
            ("ZADD", "z", "GT", "NX", "1", "a"),
            ("ZADD", "z", "LT", "NX", "1", "a"),
            ("ZADD", "z", "INCR", "1", "a", "2", "b"),
            ("ZADD", "z", "1"),
            ("ZADD", "z", "1", "a", "2"),
            ("ZADD", "z", "NX"),
            ("ZADD", "z"),
            ("ZADD", "z", "nan", "a"),
            ("ZADD", "z", "abc", "a"),
            ("ZADD", "z", "1", "a", "x", "b"),
            ("ZADD", "z", "", "a"),
            ("ZADD", "z", " 1", "a"),
            ("ZADD", "z", "1 ", "a"),
            ("ZADD", "z", "inf", "pinf", "-inf", "ninf", "+inf", "pinf2", "1e400", "big"),
            ("ZADD", "z", "INCR", "-inf", "pinf"),
            ("ZADD", "z", "INCR", "inf", "pinf"),
            ("ZSCORE", "z", "pinf"),
            ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
            ("SET", "s", "x"),
            ("ZADD", "s", "1", "a"),
            ("ZADD", "s", "NX", "XX", "1", "a"),
            ("ZCARD", "z"),
            ("ZINCRBY", "z", "2.5", "a"),
            ("ZINCRBY", "z", "1", "fresh"),
            ("ZINCRBY", "z", "abc", "a"),
            ("ZINCRBY", "z", "-inf", "pinf"),
            ("ZINCRBY", "s", "1", "a"),
            ("ZINCRBY", "z", "nx", "a"),
            ("ZINCRBY", "z2", "1.5", "m"),
        )

    def test_score_formatting(self):
        scores = ["0", "-0", "1", "-1", "1.5", "0.1", "1.1", "3.0000000000000004", "1e20", "1e-20",
                  "123456789012345678", "4503599627370496", "9007199254740993", "1e18", "5e18", "-5e18",
                  "5e-324", "1.7976931348623157e308", "inf", "-inf", "0x10", "1E3", "+5", ".5", "5."]
        cmds = []
        for i, sc in enumerate(scores):
            cmds.append(("ZADD", "lp", sc, "m%d" % i))
            cmds.append(("ZSCORE", "lp", "m%d" % i))
        cmds.append(("ZRANGE", "lp", "0", "-1", "WITHSCORES"))
        cmds.append(("ZSCAN", "lp", "0"))
        cmds.append(("ZSCAN", "lp", "0", "MATCH", "m1*"))
        cmds.append(("OBJECT", "ENCODING", "lp"))
        # the same scores in a skiplist
        cmds.append(("ZADD", "sl", "0", "x" * 65))
        for i, sc in enumerate(scores):
            cmds.append(("ZADD", "sl", sc, "m%d" % i))
            cmds.append(("ZSCORE", "sl", "m%d" % i))
        cmds.append(("OBJECT", "ENCODING", "sl"))
        cmds.append(("ZRANGE", "sl", "0", "-1", "WITHSCORES"))
        cmds.append(("ZMSCORE", "sl", "m0", "m1", "nope", "m5"))
        cmds.append(("ZMSCORE", "nokey", "a", "b"))
        self.both_protocols(*cmds)

    def test_encoding_boundaries(self):
        self.both_protocols(
            ("ZADD", "a", *big_members(128)),
            ("OBJECT", "ENCODING", "a"),
            ("ZADD", "a", "1", "m0"),
            ("OBJECT", "ENCODING", "a"),
            ("ZADD", "a", "1000", "extra"),
            ("OBJECT", "ENCODING", "a"),
            ("ZREM", "a", "extra", "m1", "m2"),
            ("OBJECT", "ENCODING", "a"),
            ("ZADD", "b", "1", "x" * 64),
            ("OBJECT", "ENCODING", "b"),
            ("ZADD", "b", "1", "y" * 65),
            ("OBJECT", "ENCODING", "b"),
            ("ZADD", "c", "1", "y" * 65),
            ("OBJECT", "ENCODING", "c"),
            ("ZADD", "d", *big_members(129)),
            ("OBJECT", "ENCODING", "d"),
            ("ZADD", "e", *(["1", "same"] * 129)),
            ("OBJECT", "ENCODING", "e"),
            ("ZRANGESTORE", "dst", "d", "0", "9"),
            ("OBJECT", "ENCODING", "dst"),
            ("ZRANGESTORE", "dst", "d", "0", "-1"),
            ("OBJECT", "ENCODING", "dst"),
            ("ZUNIONSTORE", "u", "1", "d"),
            ("OBJECT", "ENCODING", "u"),
            ("ZINTERSTORE", "u", "2", "d", "a"),
            ("OBJECT", "ENCODING", "u"),
            ("ZUNIONSTORE", "u", "1", "c"),
            ("OBJECT", "ENCODING", "u"),
            ("TYPE", "a"),
            ("ZCARD", "d"),
            ("ZRANK", "d", "m128"),
            ("ZREVRANK", "d", "m128"),
            ("ZRANK", "d", "nope"),
            ("ZRANGE", "d", "60", "70", "WITHSCORES"),
            ("ZRANGE", "d", "60", "70", "REV", "WITHSCORES"),
            ("ZRANGEBYSCORE", "d", "(10", "20", "LIMIT", "2", "3", "WITHSCORES"),
            ("ZREVRANGEBYSCORE", "d", "20", "(10", "LIMIT", "2", "3", "WITHSCORES"),
            ("ZCOUNT", "d", "5", "(100"),
            ("ZREMRANGEBYRANK", "d", "0", "9"),
            ("ZREMRANGEBYSCORE", "d", "(20", "30"),
            ("ZRANGE", "d", "0", "12", "WITHSCORES"),
            ("ZPOPMIN", "d", "3"),
            ("ZPOPMAX", "d", "3"),
            ("ZPOPMIN", "d"),
            ("ZCARD", "d"),
            ("OBJECT", "ENCODING", "d"),
        )

    # ---- reads --------------------------------------------------------------

    def test_reads_and_errors(self):
        self.both_protocols(
            ("ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "cc", "4", "d"),
            ("SET", "s", "x"),
            ("ZSCORE", "z", "a"), ("ZSCORE", "z", "nope"), ("ZSCORE", "nokey", "a"), ("ZSCORE", "s", "a"),
            ("ZMSCORE", "z", "a", "nope", "d"), ("ZMSCORE", "s", "a"), ("ZMSCORE", "z"),
            ("ZCARD", "z"), ("ZCARD", "nokey"), ("ZCARD", "s"),
            ("ZCOUNT", "z", "-inf", "+inf"), ("ZCOUNT", "z", "(1", "(3"), ("ZCOUNT", "z", "3", "3"),
            ("ZCOUNT", "z", "(3", "3"), ("ZCOUNT", "z", "4", "1"), ("ZCOUNT", "z", "x", "1"),
            ("ZCOUNT", "z", "1", "(x"), ("ZCOUNT", "z", "nan", "1"), ("ZCOUNT", "z", "(", "2"),
            ("ZCOUNT", "z", "", "2"), ("ZCOUNT", "nokey", "1", "2"), ("ZCOUNT", "s", "1", "2"),
            ("ZCOUNT", "nokey", "a", "b"),
            ("ZRANK", "z", "c"), ("ZREVRANK", "z", "c"), ("ZRANK", "z", "nope"), ("ZRANK", "nokey", "a"),
            ("ZRANK", "s", "a"), ("ZRANK", "z"),
            ("ZRANGE", "z", "0", "-1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
            ("ZRANGE", "z", "-2", "-1"), ("ZRANGE", "z", "-100", "100"), ("ZRANGE", "z", "3", "1"),
            ("ZRANGE", "z", "10", "20"), ("ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"),
            ("ZRANGE", "z", "a", "1"), ("ZRANGE", "z", "0", "1", "FOO"), ("ZRANGE", "nokey", "0", "1"),
            ("ZRANGE", "s", "0", "1"), ("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"),
            ("ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"), ("ZRANGE", "z", "0", "1", "LIMIT", "0"),
            ("ZRANGE", "z", "1", "3", "BYSCORE"), ("ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"),
            ("ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "WITHSCORES"),
            ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"),
            ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"),
            ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"),
            ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"),
            ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "2"),
            ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "x", "2"),
            ("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"),
            ("ZRANGE", "z", "a", "b", "BYSCORE"),
            ("ZRANGE", "z", "1", "2", "BYSCORE", "BYLEX"), ("ZRANGE", "z", "1", "2", "REV", "REV"),
            ("ZRANGE", "z", "[a", "[c", "BYLEX"), ("ZRANGE", "z", "[a", "[c", "BYLEX", "WITHSCORES"),
            ("ZRANGE", "z", "a", "c", "BYLEX"),
            ("ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES"), ("ZRANGEBYSCORE", "z", "2", "3", "LIMIT", "1", "1"),
            ("ZRANGEBYSCORE", "z", "2", "3", "REV"), ("ZRANGEBYSCORE", "z", "2", "3", "BYSCORE"),
            ("ZRANGEBYSCORE", "z", "2", "x"), ("ZRANGEBYSCORE", "nokey", "2", "3"),
            ("ZREVRANGEBYSCORE", "z", "3", "2", "WITHSCORES"), ("ZREVRANGEBYSCORE", "z", "2", "3"),
            ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2", "WITHSCORES"),
            ("ZREVRANGE", "z", "0", "1", "WITHSCORES"), ("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"),
            ("ZREVRANGE", "z", "0", "1", "BYSCORE"),
            ("ZRANGESTORE", "dst", "z", "0", "1"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("ZRANGESTORE", "dst", "z", "(1", "3", "BYSCORE", "LIMIT", "1", "5"),
            ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("ZRANGESTORE", "dst", "z", "3", "1", "BYSCORE", "REV"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"),
            ("ZRANGESTORE", "dst", "z", "5", "10"), ("EXISTS", "dst"),
            ("SET", "dst2", "str"), ("EXPIRE", "dst2", "100"),
            ("ZRANGESTORE", "dst2", "z", "0", "0"), ("TTL", "dst2"), ("TYPE", "dst2"),
            ("ZRANGESTORE", "dst2", "nokey", "0", "-1"), ("EXISTS", "dst2"),
            ("ZRANGESTORE", "dst", "s", "0", "1"),
            ("ZRANGESTORE", "dst", "z", "0"),
        )

    def test_lex(self):
        self.both_protocols(
            ("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ee", "0", "f", "0", ""),
            ("ZRANGEBYLEX", "z", "-", "+"), ("ZRANGEBYLEX", "z", "[b", "[e"), ("ZRANGEBYLEX", "z", "(b", "(e"),
            ("ZRANGEBYLEX", "z", "(b", "[ee"), ("ZRANGEBYLEX", "z", "-", "(c"), ("ZRANGEBYLEX", "z", "[", "[a"),
            ("ZRANGEBYLEX", "z", "+", "-"), ("ZRANGEBYLEX", "z", "[e", "[b"),
            ("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "2", "3"), ("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "2", "-1"),
            ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"),
            ("ZRANGEBYLEX", "z", "b", "e"), ("ZRANGEBYLEX", "z", "[b", "e"), ("ZRANGEBYLEX", "z", "--", "+"),
            ("ZRANGEBYLEX", "z", "-", "++"), ("ZRANGEBYLEX", "z", "", "+"),
            ("ZREVRANGEBYLEX", "z", "+", "-"), ("ZREVRANGEBYLEX", "z", "[e", "(b"),
            ("ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "2"), ("ZREVRANGEBYLEX", "z", "(b", "[e"),
            ("ZRANGE", "z", "[e", "(b", "BYLEX", "REV"), ("ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "1", "1"),
            ("ZLEXCOUNT", "z", "-", "+"), ("ZLEXCOUNT", "z", "[b", "(e"), ("ZLEXCOUNT", "z", "x", "+"),
            ("ZLEXCOUNT", "nokey", "-", "+"), ("ZLEXCOUNT", "nokey", "x", "+"),
            ("ZREMRANGEBYLEX", "z", "[b", "(d"), ("ZRANGEBYLEX", "z", "-", "+"),
            ("ZREMRANGEBYLEX", "z", "x", "+"), ("ZREMRANGEBYLEX", "nokey", "-", "+"),
            ("ZREMRANGEBYLEX", "z", "-", "+"), ("EXISTS", "z"),
        )

    def test_lex_skiplist(self):
        members = []
        for i in range(200):
            members += ["0", "k%03d" % i]
        self.both_protocols(
            ("ZADD", "z", *members),
            ("OBJECT", "ENCODING", "z"),
            ("ZRANGEBYLEX", "z", "[k010", "(k020"), ("ZREVRANGEBYLEX", "z", "(k020", "[k010", "LIMIT", "2", "3"),
            ("ZLEXCOUNT", "z", "(k100", "+"), ("ZREMRANGEBYLEX", "z", "[k150", "+"), ("ZCARD", "z"),
            ("ZRANGE", "z", "(k140", "+", "BYLEX"),
        )

    # ---- removals -----------------------------------------------------------

    def test_rem_and_remrange(self):
        self.both_protocols(
            ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
            ("SET", "s", "x"),
            ("ZREM", "z", "a", "nope", "a"), ("ZREM", "nokey", "a"), ("ZREM", "s", "a"),
            ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZRANGE", "z", "0", "-1"),
            ("ZREMRANGEBYRANK", "z", "5", "10"), ("ZREMRANGEBYRANK", "z", "-1", "-1"),
            ("ZREMRANGEBYRANK", "z", "a", "1"), ("ZREMRANGEBYRANK", "nokey", "0", "1"),
            ("ZREMRANGEBYRANK", "s", "0", "1"), ("ZREMRANGEBYRANK", "z", "2", "1"),
            ("ZADD", "z", "10", "x", "20", "y"),
            ("ZREMRANGEBYSCORE", "z", "(10", "20"), ("ZREMRANGEBYSCORE", "z", "x", "20"),
            ("ZREMRANGEBYSCORE", "nokey", "x", "20"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
            ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"), ("EXISTS", "z"),
            ("ZADD", "z", "1", "a"), ("ZREM", "z", "a"), ("EXISTS", "z"),
            ("ZADD", "z", "1", "a", "2", "b"), ("ZREMRANGEBYRANK", "z", "0", "-1"), ("EXISTS", "z"),
        )

    # ---- pops ---------------------------------------------------------------

    def test_pops(self):
        self.both_protocols(
            ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
            ("SET", "s", "x"),
            ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "2"), ("ZPOPMAX", "z", "0"),
            ("ZPOPMIN", "z", "-1"), ("ZPOPMIN", "z", "x"), ("ZPOPMIN", "z", "1", "2"),
            ("ZPOPMIN", "nokey"), ("ZPOPMIN", "nokey", "2"), ("ZPOPMIN", "s"), ("ZPOPMAX", "z", "10"),
            ("EXISTS", "z"),
            ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "y", "10", "x"),
            ("ZMPOP", "1", "z", "MIN"), ("ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "1"),
            ("ZMPOP", "2", "nokey", "y", "MAX", "COUNT", "10"), ("ZMPOP", "1", "nokey", "MIN"),
            ("ZMPOP", "2", "nokey", "s", "MIN"), ("ZMPOP", "2", "s", "z", "MIN"),
            ("ZMPOP", "0", "z", "MIN"), ("ZMPOP", "-1", "z", "MIN"), ("ZMPOP", "x", "z", "MIN"),
            ("ZMPOP", "1", "z", "MIDDLE"), ("ZMPOP", "3", "z", "MIN"), ("ZMPOP", "1", "z", "MIN", "COUNT", "0"),
            ("ZMPOP", "1", "z", "MIN", "COUNT", "-1"), ("ZMPOP", "1", "z", "MIN", "COUNT", "x"),
            ("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"), ("ZMPOP", "1", "z", "MIN", "COUNT"),
            ("ZMPOP", "1", "z", "MIN", "FOO"),
            ("ZMPOP", "1", "z", "max", "count", "5"), ("EXISTS", "z"),
        )

    # ---- random (deterministic cases) ---------------------------------------

    def test_randmember_deterministic(self):
        self.both_protocols(
            ("ZADD", "z", "1", "a", "2", "b", "3", "c"),
            ("ZADD", "big", *big_members(200)),
            ("SET", "s", "x"),
            ("ZRANDMEMBER", "nokey"), ("ZRANDMEMBER", "nokey", "5"), ("ZRANDMEMBER", "nokey", "5", "WITHSCORES"),
            ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", "1"), ("ZRANDMEMBER", "z", "0"),
            ("ZRANDMEMBER", "z", "3"), ("ZRANDMEMBER", "z", "10", "WITHSCORES"),
            ("ZRANDMEMBER", "big", "300", "WITHSCORES"), ("ZRANDMEMBER", "big", "200"),
            ("ZRANDMEMBER", "z", "x"), ("ZRANDMEMBER", "z", "1", "WITHSCORE"), ("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
            ("ZRANDMEMBER", "z", "-9223372036854775808"), ("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"),
            ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"), ("ZRANDMEMBER", "z", "9223372036854775808"),
            ("ZADD", "one", "7", "only"), ("ZRANDMEMBER", "one"), ("ZRANDMEMBER", "one", "-3", "WITHSCORES"),
            ("ZRANDMEMBER", "one", "1", "WITHSCORES"),
        )

    # ---- scan ---------------------------------------------------------------

    def test_zscan_listpack(self):
        self.both_protocols(
            ("ZADD", "z", "1", "a", "2.5", "b", "-0", "c", "1e20", "d", "inf", "e"),
            ("SET", "s", "x"),
            ("ZSCAN", "z", "0"), ("ZSCAN", "z", "0", "COUNT", "1"), ("ZSCAN", "z", "0", "MATCH", "[ab]"),
            ("ZSCAN", "z", "0", "MATCH", "*"), ("ZSCAN", "z", "0", "COUNT", "0"), ("ZSCAN", "z", "0", "COUNT", "x"),
            ("ZSCAN", "z", "0", "FOO", "1"), ("ZSCAN", "z", "0", "MATCH"), ("ZSCAN", "z", "x"),
            ("ZSCAN", "z", "-1"), ("ZSCAN", "z", " 1"), ("ZSCAN", "nokey", "0"), ("ZSCAN", "nokey", "0", "FOO"),
            ("ZSCAN", "s", "0"), ("ZSCAN", "z", "0", "TYPE", "zset"),
        )

    # ---- set algebra --------------------------------------------------------

    def test_algebra(self):
        self.both_protocols(
            ("ZADD", "z1", "1", "a", "2", "b", "3", "c"),
            ("ZADD", "z2", "10", "b", "20", "c", "30", "d"),
            ("ZADD", "z3", "inf", "a", "-inf", "b", "5", "c"),
            ("SADD", "set", "a", "d", "x"),
            ("SET", "str", "v"),
            ("ZUNION", "2", "z1", "z2"), ("ZUNION", "2", "z1", "z2", "WITHSCORES"),
            ("ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "WITHSCORES"),
            ("ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"),
            ("ZUNION", "2", "z1", "z2", "AGGREGATE", "max", "WITHSCORES"),
            ("ZUNION", "3", "z1", "z3", "z2", "WITHSCORES"),
            ("ZUNION", "2", "z3", "z3", "WEIGHTS", "1", "-1", "WITHSCORES"),
            ("ZUNION", "2", "z3", "z1", "WEIGHTS", "0", "1", "WITHSCORES"),
            ("ZUNION", "2", "z1", "set", "WITHSCORES"), ("ZUNION", "2", "z1", "nokey", "WITHSCORES"),
            ("ZUNION", "2", "z1", "str"), ("ZUNION", "0", "z1"), ("ZUNION", "-1", "z1"), ("ZUNION", "x", "z1"),
            ("ZUNION", "3", "z1", "z2"), ("ZUNION", "2", "z1", "z2", "WEIGHTS", "1"),
            ("ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"), ("ZUNION", "2", "z1", "z2", "AGGREGATE", "avg"),
            ("ZUNION", "2", "z1", "z2", "AGGREGATE"), ("ZUNION", "2", "z1", "z2", "FOO"),
            ("ZINTER", "2", "z1", "z2", "WITHSCORES"), ("ZINTER", "2", "z1", "z2", "AGGREGATE", "MAX", "WITHSCORES"),
            ("ZINTER", "3", "z1", "z2", "z3", "WITHSCORES"), ("ZINTER", "2", "z1", "set", "WITHSCORES"),
            ("ZINTER", "2", "z1", "nokey"), ("ZINTER", "1", "z1", "WEIGHTS", "nan"),
            ("ZINTER", "2", "z3", "z3", "WITHSCORES"),
            ("ZDIFF", "2", "z1", "z2", "WITHSCORES"), ("ZDIFF", "1", "z1"), ("ZDIFF", "2", "nokey", "z1"),
            ("ZDIFF", "2", "z1", "set", "WITHSCORES"), ("ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "1"),
            ("ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"), ("ZDIFF", "0", "z1"),
            ("ZINTERCARD", "2", "z1", "z2"), ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"),
            ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"), ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "-1"),
            ("ZINTERCARD", "2", "z1", "z2", "LIMIT", "x"), ("ZINTERCARD", "1", "z1", "LIMIT", "1.5"),
            ("ZINTERCARD", "2", "z1", "z2", "WITHSCORES"), ("ZINTERCARD", "0", "z1"), ("ZINTERCARD", "2", "z1", "str"),
            ("ZINTERCARD", "1", "nokey"), ("ZINTERCARD", "2", "z1", "set"),
            ("ZUNIONSTORE", "dst", "2", "z1", "z2"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2", "AGGREGATE", "MIN"),
            ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("ZUNIONSTORE", "dst", "2", "z1", "z2", "WITHSCORES"),
            ("ZINTERSTORE", "dst", "2", "z1", "z2"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("ZINTERSTORE", "dst", "2", "z1", "nokey"), ("EXISTS", "dst"),
            ("ZDIFFSTORE", "dst", "2", "z1", "z2"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("ZDIFFSTORE", "dst", "2", "z1", "z1"), ("EXISTS", "dst"),
            ("ZUNIONSTORE", "dst", "0", "z1"), ("ZINTERSTORE", "dst", "0", "z1"), ("ZDIFFSTORE", "dst", "0", "z1"),
            ("ZUNIONSTORE", "str", "1", "z1"), ("TYPE", "str"), ("ZUNIONSTORE", "z1", "2", "z1", "z2"),
            ("ZRANGE", "z1", "0", "-1", "WITHSCORES"),
        )

    def test_algebra_float_sums(self):
        self.both_protocols(
            ("ZADD", "a", "0.1", "x", "1e16", "y"),
            ("ZADD", "b", "0.2", "x", "1", "y", "5", "z"),
            ("ZADD", "c", "0.3", "x", "1", "y"),
            ("ZUNION", "3", "a", "b", "c", "WITHSCORES"),
            ("ZUNION", "3", "c", "b", "a", "WITHSCORES"),
            ("ZINTER", "3", "b", "a", "c", "WEIGHTS", "3", "0.1", "7", "WITHSCORES"),
        )

    def test_algebra_nan_and_signed_zero(self):
        """0 * inf is NaN: Redis makes it 0 only for the first input of ZINTER
        (the others reach SUM, which zeroes a NaN sum, or MIN/MAX, which keep
        their value); ZUNION's -0 + 0 is 0, not the -0 seen first."""
        self.both_protocols(
            ("ZADD", "z", "0", "a", "1", "b"),
            ("SADD", "s", "a", "b"),
            ("ZINTER", "3", "s", "z", "z", "WEIGHTS", "0.5", "2", "-inf", "WITHSCORES"),
            ("ZINTER", "3", "s", "z", "z", "WEIGHTS", "0.5", "-inf", "2", "AGGREGATE", "MIN", "WITHSCORES"),
            ("ZINTER", "3", "s", "z", "z", "WEIGHTS", "0.5", "inf", "2", "AGGREGATE", "MAX", "WITHSCORES"),
            ("ZINTERSTORE", "d", "2", "z", "z", "WEIGHTS", "1", "inf"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
            ("ZUNION", "2", "z", "z", "WEIGHTS", "-0", "0", "WITHSCORES"),
            ("ZUNION", "2", "z", "s", "WEIGHTS", "-0", "0", "AGGREGATE", "MAX", "WITHSCORES"),
            ("ZUNIONSTORE", "d", "2", "z", "z", "WEIGHTS", "-0", "0"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
            ("ZSCORE", "d", "a"), ("ZSCORE", "d", "b"),
        )

    def test_wrongtype_and_arity(self):
        cmds = [("SET", "s", "x")]
        for cmd in ["ZADD", "ZINCRBY", "ZREM", "ZSCORE", "ZMSCORE", "ZCARD", "ZCOUNT", "ZLEXCOUNT", "ZRANGE",
                    "ZRANGESTORE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX",
                    "ZREVRANGEBYLEX", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK", "ZREMRANGEBYLEX", "ZPOPMIN",
                    "ZPOPMAX", "ZMPOP", "ZRANDMEMBER", "ZSCAN", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE",
                    "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"]:
            cmds.append((cmd,))
            cmds.append((cmd, "s"))
        self.both_protocols(*cmds)

    def test_multi_and_expiry(self):
        self.both_protocols(
            ("MULTI",), ("ZADD", "z", "1", "a"), ("ZINCRBY", "z", "2", "a"), ("ZPOPMIN", "z"), ("EXEC",),
            ("ZADD", "z", "1", "a"), ("PEXPIRE", "z", "1"),
        )
        import time
        time.sleep(0.05)
        self.both_protocols(("ZCARD", "z"), ("ZADD", "z", "INCR", "1", "a"))

    # ---- blocking pops (immediate, timeout, MULTI) --------------------------

    def test_blocking_pops_no_wait(self):
        self.both_protocols(
            ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"),
            ("SET", "s", "x"),
            ("BZPOPMIN", "nokey", "z", "0"), ("BZPOPMAX", "z", "0"), ("BZPOPMIN", "s", "z", "0"),
            ("BZPOPMIN", "z", "-1"), ("BZPOPMIN", "z", "x"), ("BZPOPMIN", "nokey", "0.01"),
            ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"), ("BZMPOP", "0.01", "1", "z", "MAX"),
            ("BZMPOP", "0", "0", "z", "MIN"), ("BZMPOP", "0", "1", "z", "FOO"), ("BZMPOP", "x", "1", "z", "MIN"),
            ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"), ("BZMPOP", "0", "2", "s", "z", "MIN"),
            ("ZADD", "z", "1", "a"),
            ("MULTI",), ("BZPOPMIN", "nokey", "0"), ("BZMPOP", "0", "1", "nokey", "MIN"), ("BZPOPMAX", "z", "0"),
            ("EXEC",),
        )


class ZsetsRill(harness.RillTestCase):
    def test_zrank_withscore(self):
        c = self.c
        c.cmd("ZADD", "z", "1", "a", "2.5", "b")
        self.assertEqual(c.cmd("ZRANK", "z", "b", "WITHSCORE"), b"*2\r\n:1\r\n$3\r\n2.5\r\n")
        self.assertEqual(c.cmd("ZREVRANK", "z", "b", "WITHSCORE"), b"*2\r\n:0\r\n$3\r\n2.5\r\n")
        self.assertEqual(c.cmd("ZRANK", "z", "x", "WITHSCORE"), b"*-1\r\n")
        self.assertEqual(c.cmd("ZRANK", "nokey", "x", "WITHSCORE"), b"*-1\r\n")
        self.assertEqual(c.cmd("ZRANK", "z", "a", "WITHSCOREX"), b"-ERR syntax error\r\n")
        self.assertEqual(c.cmd("ZRANK", "z", "a", "WITHSCORE", "x"), b"-ERR syntax error\r\n")
        c.cmd("HELLO", "3")
        self.assertEqual(c.cmd("ZRANK", "z", "b", "WITHSCORE"), b"*2\r\n:1\r\n,2.5\r\n")
        self.assertEqual(c.cmd("ZRANK", "z", "x", "WITHSCORE"), b"_\r\n")

    def test_random_members(self):
        c = self.c
        members = {("m%d" % i).encode() for i in range(300)}
        args = []
        for i in range(300):
            args += [str(i), "m%d" % i]
        for key, n in (("small", 50), ("big", 300)):
            c.cmd("ZADD", key, *args[:2 * n])
            pool = {("m%d" % i).encode() for i in range(n)}
            one = harness.parse(c.cmd("ZRANDMEMBER", key))
            self.assertIn(one, pool)
            for count in (1, 5, n // 2, n // 2 + 1, n - 1):
                got = harness.parse(c.cmd("ZRANDMEMBER", key, count))
                self.assertEqual(len(got), count)
                self.assertEqual(len(set(got)), count, "distinct")
                self.assertTrue(set(got) <= pool)
            got = harness.parse(c.cmd("ZRANDMEMBER", key, -(n * 2)))
            self.assertEqual(len(got), n * 2)
            self.assertTrue(set(got) <= pool)
            got = harness.parse(c.cmd("ZRANDMEMBER", key, "7", "WITHSCORES"))
            self.assertEqual(len(got), 14)
            for m, s in zip(got[::2], got[1::2]):
                self.assertEqual(int(float(s)), int(m[1:]))
        self.assertTrue(members)

    def test_blocking_served_in_order(self):
        w1, w2, w3 = self.server.conn(), self.server.conn(), self.server.conn()
        try:
            w1.send("BZPOPMIN", "q", "0")
            time.sleep(0.1)
            w2.send("BZPOPMAX", "other", "q", "0")
            time.sleep(0.1)
            w3.send("BZMPOP", "0", "2", "other", "q", "MAX", "COUNT", "5")
            time.sleep(0.1)
            self.c.cmd("SET", "q", "string")   # wrong type: waiters keep waiting
            self.c.cmd("DEL", "q")
            self.assertEqual(self.c.cmd("ZADD", "q", "1", "a", "2", "b", "3", "c", "4", "d"), b":4\r\n")
            self.assertEqual(w1.read_raw(), b"*3\r\n$1\r\nq\r\n$1\r\na\r\n$1\r\n1\r\n")
            self.assertEqual(w2.read_raw(), b"*3\r\n$1\r\nq\r\n$1\r\nd\r\n$1\r\n4\r\n")
            self.assertEqual(w3.read_raw(), b"*2\r\n$1\r\nq\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
                                            b"*2\r\n$1\r\nb\r\n$1\r\n2\r\n")
            self.assertEqual(self.c.cmd("EXISTS", "q"), b":0\r\n")
            w1.send("BZPOPMIN", "t", "0.1")
            self.assertEqual(w1.read_raw(), b"*-1\r\n")
        finally:
            for w in (w1, w2, w3):
                w.close()

    def test_blocking_disconnect_leaves_element(self):
        w = self.server.conn()
        w.send("BZPOPMIN", "q", "0")
        time.sleep(0.1)
        w.close()
        time.sleep(0.1)
        self.c.cmd("ZADD", "q", "1", "a")
        self.assertEqual(self.c.cmd("ZCARD", "q"), b":1\r\n")

    def test_zscan_skiplist_complete(self):
        c = self.c
        args = []
        for i in range(1000):
            args += [str(i * 0.5), "m%d" % i]
        c.cmd("ZADD", "z", *args)
        self.assertEqual(c.cmd("OBJECT", "ENCODING", "z"), b"$8\r\nskiplist\r\n")
        seen = {}
        cursor = b"0"
        rounds = 0
        while True:
            cursor, items = harness.parse(c.cmd("ZSCAN", "z", cursor, "COUNT", "50"))
            for m, s in zip(items[::2], items[1::2]):
                seen[m] = s
            rounds += 1
            if cursor == b"0":
                break
        self.assertGreater(rounds, 1)
        self.assertEqual(len(seen), 1000)
        self.assertEqual(seen[b"m3"], b"1.5")
        self.assertEqual(seen[b"m4"], b"2")

    def test_shadow_random_ops(self):
        """Random ZADD/ZREM/ZINCRBY/ZPOP* against a Python model, crossing the encoding boundary."""
        c = self.c
        rnd = random.Random(42)
        model = {}
        for step in range(3000):
            op = rnd.random()
            m = "k%d" % rnd.randrange(300)
            if op < 0.5:
                sc = rnd.randrange(-50, 50) / 4
                c.cmd("ZADD", "z", repr(sc), m)
                model[m] = sc
            elif op < 0.65:
                inc = rnd.randrange(-10, 10) / 2
                got = harness.parse(c.cmd("ZINCRBY", "z", repr(inc), m))
                model[m] = model.get(m, 0) + inc
                self.assertEqual(float(got), model[m])
            elif op < 0.85:
                got = harness.parse(c.cmd("ZREM", "z", m))
                self.assertEqual(got, 1 if m in model else 0)
                model.pop(m, None)
            else:
                which = "ZPOPMIN" if op < 0.93 else "ZPOPMAX"
                got = harness.parse(c.cmd(which, "z"))
                if not model:
                    self.assertEqual(got, [])
                    continue
                order = sorted(model.items(), key=lambda kv: (kv[1], kv[0].encode()))
                exp = order[0] if which == "ZPOPMIN" else order[-1]
                self.assertEqual(got[0], exp[0].encode())
                del model[exp[0]]
            if step % 100 == 0:
                got = harness.parse(c.cmd("ZRANGE", "z", "0", "-1", "WITHSCORES"))
                order = sorted(model.items(), key=lambda kv: (kv[1], kv[0].encode()))
                self.assertEqual(got[::2], [k.encode() for k, _ in order])
                self.assertEqual([float(x) for x in got[1::2]], [v for _, v in order])


if __name__ == "__main__":
    harness.main()
