/* resp_parse_test.c — unit tests for the RESP request parser.
 *
 * Expected behaviour (replies, error texts, quirks) was checked against
 * redis-server 7.0.15 by sending the same raw bytes over a unix socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "argv.h"
#include "resp_parse.h"
#include "sbuf.h"

/* ---------------------------------------------------------------- helpers */

typedef struct fixture {
    resp_parser p;
    argv_t av;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    resp_parser_init(&f->p);
    argv_init(&f->av);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    resp_parser_reset(&f->p);
    argv_free(&f->av);
    free(f);
    return 0;
}

#define S(lit) (lit), sizeof(lit) - 1

static void assert_arg(const argv_t *av, int i, const char *s, size_t n)
{
    assert_true(i < av->argc);
    assert_int_equal(sbuf_len(av->argv[i]), n);
    assert_memory_equal(av->argv[i], s, n);
    assert_int_equal(av->argv[i][n], '\0');   /* sbufs are NUL-terminated */
}

/* assert_args checks av against NULL-terminated C strings. */
static void assert_args(const argv_t *av, ...)
{
    va_list ap;
    va_start(ap, av);
    int i = 0;
    for (const char *s; (s = va_arg(ap, const char *)) != NULL; i++)
        assert_arg(av, i, s, strlen(s));
    va_end(ap);
    assert_int_equal(av->argc, i);
}

/* one parses buf with a fresh parser and expects rc and consumed. */
static void expect_one(fixture *f, const char *buf, size_t len, int rc, size_t consumed)
{
    size_t used = 12345;
    assert_int_equal(resp_parse(&f->p, buf, len, &used, &f->av), rc);
    assert_int_equal(used, consumed);
}

/* run_err feeds buf whole (running every OK command) and expects err. */
static void run_err(const char *buf, size_t len, int authenticated, long long max_bulk, const char *err)
{
    resp_parser p;
    argv_t av;
    resp_parser_init(&p);
    argv_init(&av);
    p.authenticated = authenticated;
    if (max_bulk) p.max_bulk = max_bulk;
    size_t off = 0, used;
    int rc;
    while ((rc = resp_parse(&p, buf + off, len - off, &used, &av)) == RESP_PARSE_OK) {
        assert_true(used <= len - off);
        off += used;
        argv_reset(&av);
    }
    if (rc != RESP_PARSE_ERR) fail_msg("no error for input, expected \"%s\"", err);
    assert_string_equal(p.err, err);
    /* Sticky until reset. */
    assert_int_equal(resp_parse(&p, S("PING\r\n"), &used, &av), RESP_PARSE_ERR);
    resp_parser_reset(&p);
    argv_reset(&av);
    assert_int_equal(resp_parse(&p, S("PING\r\n"), &used, &av), RESP_PARSE_OK);
    resp_parser_reset(&p);
    argv_free(&av);
}

/* Serialise a command as "argc{len:bytes}..." so runs can be compared. */
static sbuf serialise(sbuf out, const argv_t *av)
{
    out = sbuf_catfmt(out, "%d", av->argc);
    for (int i = 0; i < av->argc; i++) {
        out = sbuf_catfmt(out, "{%zu:", sbuf_len(av->argv[i]));
        out = sbuf_cat(out, av->argv[i], sbuf_len(av->argv[i]));
        out = sbuf_cat(out, "}", 1);
    }
    return sbuf_cat(out, "\n", 1);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct feed_stats {
    size_t max_kept;      /* most bytes the caller had to keep after MORE */
    size_t max_pending;   /* largest resp_parse_pending seen */
    int rc;               /* last return code */
} feed_stats;

/* feed plays the caller: appends pieces of in (sizes 1..maxpiece, or all at
 * once when maxpiece is 0), parses, keeps unconsumed bytes.  Returns the
 * serialised commands. */
static sbuf feed(resp_parser *p, const char *in, size_t len, size_t maxpiece, feed_stats *st)
{
    argv_t av;
    argv_init(&av);
    sbuf out = sbuf_empty(64);
    char *buf = malloc(len + 1);
    size_t have = 0, off = 0;
    memset(st, 0, sizeof *st);
    while (off < len) {
        size_t n = maxpiece ? 1 + xorshift() % maxpiece : len;
        if (n > len - off) n = len - off;
        memcpy(buf + have, in + off, n);
        have += n;
        off += n;
        for (;;) {
            size_t used;
            int rc = resp_parse(p, buf, have, &used, &av);
            st->rc = rc;
            assert_true(used <= have);
            if (rc == RESP_PARSE_ERR) goto done;
            memmove(buf, buf + used, have - used);
            have -= used;
            if (resp_parse_pending(p) > st->max_pending) st->max_pending = resp_parse_pending(p);
            if (rc == RESP_PARSE_MORE) {
                if (have > st->max_kept) st->max_kept = have;
                break;
            }
            assert_true(av.argc >= 1);
            out = serialise(out, &av);
            argv_reset(&av);
        }
    }
done:
    free(buf);
    argv_free(&av);
    return out;
}

/* ------------------------------------------------------------- multibulk */

static void test_multibulk_simple(void **state)
{
    fixture *f = *state;
    const char in[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
    expect_one(f, S(in), RESP_PARSE_OK, sizeof in - 1);
    assert_args(&f->av, "SET", "k", "hello", NULL);
    assert_int_equal(f->p.type, 0);
}

static void test_multibulk_empty_bulk(void **state)
{
    fixture *f = *state;
    expect_one(f, S("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), RESP_PARSE_OK, 20);
    assert_args(&f->av, "ECHO", "", NULL);
}

static void test_empty_requests_skipped(void **state)
{
    fixture *f = *state;
    /* Each alone: nothing to run, all consumed. */
    const char *empties[] = {"\r\n", "\n", "   \r\n", " \t \n", "*0\r\n", "*-1\r\n", "*-10\r\n", "\r\r\n"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        size_t n = strlen(empties[i]);
        expect_one(f, empties[i], n, RESP_PARSE_MORE, n);
        assert_int_equal(f->av.argc, 0);
    }
    /* Skipped in front of a real command. */
    const char in[] = "\r\n*0\r\n  \r\n*-1\r\nPING\r\n";
    expect_one(f, S(in), RESP_PARSE_OK, sizeof in - 1);
    assert_args(&f->av, "PING", NULL);
}

static void test_pipeline(void **state)
{
    fixture *f = *state;
    const char in[] = "*1\r\n$4\r\nPING\r\n"
                      "SET a \"b c\"\r\n"
                      "\r\n"
                      "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
                      "*0\r\n"
                      "ECHO x\n"
                      "*2\r\n$3\r\nGET";   /* incomplete tail */
    size_t off = 0, used;
    assert_int_equal(resp_parse(&f->p, in + off, sizeof in - 1 - off, &used, &f->av), RESP_PARSE_OK);
    assert_int_equal(used, 14);
    assert_args(&f->av, "PING", NULL);
    argv_reset(&f->av);
    off += used;
    assert_int_equal(resp_parse(&f->p, in + off, sizeof in - 1 - off, &used, &f->av), RESP_PARSE_OK);
    assert_int_equal(used, 13);
    assert_args(&f->av, "SET", "a", "b c", NULL);
    argv_reset(&f->av);
    off += used;
    assert_int_equal(resp_parse(&f->p, in + off, sizeof in - 1 - off, &used, &f->av), RESP_PARSE_OK);
    assert_int_equal(used, 2 + 20);   /* the empty line went with it */
    assert_args(&f->av, "GET", "a", NULL);
    argv_reset(&f->av);
    off += used;
    assert_int_equal(resp_parse(&f->p, in + off, sizeof in - 1 - off, &used, &f->av), RESP_PARSE_OK);
    assert_int_equal(used, 4 + 7);
    assert_args(&f->av, "ECHO", "x", NULL);
    argv_reset(&f->av);
    off += used;
    /* Tail: header and whole bulks consumed, nothing left over. */
    assert_int_equal(resp_parse(&f->p, in + off, sizeof in - 1 - off, &used, &f->av), RESP_PARSE_MORE);
    assert_int_equal(off + used, sizeof in - 1 - 3);   /* "GET" has no trailer yet: kept */
    assert_int_equal(f->av.argc, 0);
    assert_int_equal(resp_parse(&f->p, S("GET\r\n$1\r"), &used, &f->av), RESP_PARSE_MORE);
    assert_int_equal(used, 5);   /* GET taken; "$1\r" needs one more byte */
    assert_args(&f->av, "GET", NULL);
    assert_int_equal(resp_parse(&f->p, S("$1\r\nz\r\n"), &used, &f->av), RESP_PARSE_OK);
    assert_int_equal(used, 7);
    assert_args(&f->av, "GET", "z", NULL);
}

static void test_partial_small_bulk_kept(void **state)
{
    fixture *f = *state;
    const char in[] = "*2\r\n$3\r\nGET\r\n$5\r\nhel";
    expect_one(f, S(in), RESP_PARSE_MORE, sizeof in - 1 - 3);
    assert_args(&f->av, "GET", NULL);
    assert_int_equal(resp_parse_pending(&f->p), 0);
    /* Payload complete, trailer not: still kept. */
    expect_one(f, S("hello\r"), RESP_PARSE_MORE, 0);
    expect_one(f, S("hello\r\n"), RESP_PARSE_OK, 7);
    assert_args(&f->av, "GET", "hello", NULL);
}

static void test_partial_headers(void **state)
{
    fixture *f = *state;
    expect_one(f, S("*"), RESP_PARSE_MORE, 0);
    expect_one(f, S("*2"), RESP_PARSE_MORE, 0);
    expect_one(f, S("*2\r"), RESP_PARSE_MORE, 0);   /* needs the byte after \r */
    expect_one(f, S("*2\r\n"), RESP_PARSE_MORE, 4);
    assert_int_equal(f->av.argc, 0);
    expect_one(f, S("$"), RESP_PARSE_MORE, 0);
    expect_one(f, S("$4\r"), RESP_PARSE_MORE, 0);
    expect_one(f, S("$4\r\n"), RESP_PARSE_MORE, 4);
    expect_one(f, S("ECHO\r\n$1\r\n"), RESP_PARSE_MORE, 10);
    expect_one(f, S("x\r\n"), RESP_PARSE_OK, 3);
    assert_args(&f->av, "ECHO", "x", NULL);
}

/* Redis skips the byte after a header's \r and the two after a payload
 * without looking at them (checked against 7.0.15: "+PONG" twice). */
static void test_unchecked_line_ends(void **state)
{
    fixture *f = *state;
    const char in[] = "*1\rX$4\rXPINGxxPING\r\n";
    expect_one(f, S(in), RESP_PARSE_OK, 14);
    assert_args(&f->av, "PING", NULL);
    argv_reset(&f->av);
    expect_one(f, in + 14, sizeof in - 1 - 14, RESP_PARSE_OK, 6);
    assert_args(&f->av, "PING", NULL);
}

static void test_binary_bulks(void **state)
{
    fixture *f = *state;
    const char in[] = "*3\r\n$3\r\nSET\r\n$3\r\n\0\r\n\r\n$13\r\n*1\r\n$4\0\r\nx\0\r\n\r\n";
    expect_one(f, S(in), RESP_PARSE_OK, sizeof in - 1);
    assert_int_equal(f->av.argc, 3);
    assert_arg(&f->av, 1, "\0\r\n", 3);
    assert_arg(&f->av, 2, "*1\r\n$4\0\r\nx\0\r\n", 13);
    /* A big binary bulk, whole in the buffer and in pieces. */
    size_t n = RESP_BIG_ARG + 100;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++) big[i] = "\0\r\n*$x"[i % 6];
    sbuf msg = sbuf_catfmt(sbuf_empty(0), "*2\r\n$4\r\nECHO\r\n$%zu\r\n", n);
    msg = sbuf_cat(msg, big, n);
    msg = sbuf_cat(msg, "\r\n", 2);
    argv_reset(&f->av);
    expect_one(f, msg, sbuf_len(msg), RESP_PARSE_OK, sbuf_len(msg));
    assert_arg(&f->av, 1, big, n);
    feed_stats st;
    sbuf out = feed(&f->p, msg, sbuf_len(msg), 997, &st);
    assert_int_equal(st.rc, RESP_PARSE_MORE);
    assert_true(st.max_pending >= n);   /* went through p->big */
    sbuf want = serialise(sbuf_empty(0), &f->av);
    assert_int_equal(sbuf_len(out), sbuf_len(want));
    assert_memory_equal(out, want, sbuf_len(want));
    sbuf_free(out);
    sbuf_free(want);
    sbuf_free(msg);
    free(big);
}

/* ---------------------------------------------------------------- errors */

static void test_errors_multibulk_count(void **state)
{
    (void)state;
    const char *inv = "Protocol error: invalid multibulk length";
    run_err(S("*01\r\n$4\r\nPING\r\n"), 1, 0, inv);
    run_err(S("*-0\r\n"), 1, 0, inv);
    run_err(S("*+1\r\n"), 1, 0, inv);
    run_err(S("*\r\n"), 1, 0, inv);
    run_err(S("*1 \r\n"), 1, 0, inv);
    run_err(S("* 1\r\n"), 1, 0, inv);
    run_err(S("*abc\r\n"), 1, 0, inv);
    run_err(S("*1x\r\n"), 1, 0, inv);
    run_err(S("*-\r\n"), 1, 0, inv);
    run_err(S("*2147483648\r\n"), 1, 0, inv);           /* > INT_MAX: Redis too */
    run_err(S("*99999999999999999999\r\n"), 1, 0, inv); /* overflows long long */
    run_err(S("*-9223372036854775809\r\n"), 1, 0, inv);
    run_err(S("*000000000000000000001\r\n"), 1, 0, inv);
    /* After a good command in the same buffer. */
    run_err(S("PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n"), 1, 0, inv);
}

static void test_multibulk_count_limits(void **state)
{
    fixture *f = *state;
    /* The largest allowed count is accepted, argv not sized from it blindly. */
    expect_one(f, S("*1048576\r\n"), RESP_PARSE_MORE, 10);
    assert_true(f->av.cap <= 1024);
    resp_parser_reset(&f->p);
    f->p.max_multibulk = 3;
    expect_one(f, S("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"), RESP_PARSE_OK, 25);
    argv_reset(&f->av);
    expect_one(f, S("*4\r\n"), RESP_PARSE_ERR, 0);
    assert_string_equal(f->p.err, "Protocol error: invalid multibulk length");
    resp_parser_reset(&f->p);
    f->p.max_multibulk = LLONG_MAX;   /* INT_MAX still holds */
    expect_one(f, S("*2147483647\r\n"), RESP_PARSE_MORE, 13);
    resp_parser_reset(&f->p);
    expect_one(f, S("*2147483648\r\n"), RESP_PARSE_ERR, 0);
    /* The most negative long long parses (and is skipped like *-1). */
    resp_parser_reset(&f->p);
    expect_one(f, S("*-9223372036854775808\r\n"), RESP_PARSE_MORE, 23);
}

static void test_errors_bulk_header(void **state)
{
    (void)state;
    const char *inv = "Protocol error: invalid bulk length";
    run_err(S("*1\r\n$-1\r\n"), 1, 0, inv);
    run_err(S("*1\r\n$-0\r\n"), 1, 0, inv);
    run_err(S("*1\r\n$04\r\nPING\r\n"), 1, 0, inv);
    run_err(S("*1\r\n$+4\r\nPING\r\n"), 1, 0, inv);
    run_err(S("*1\r\n$\r\n"), 1, 0, inv);
    run_err(S("*1\r\n$4 \r\nPING\r\n"), 1, 0, inv);
    run_err(S("*1\r\n$abc\r\n"), 1, 0, inv);
    run_err(S("*1\r\n$536870913\r\n"), 1, 0, inv);   /* > 512 MB default */
    run_err(S("*1\r\n$99999999999999999999\r\n"), 1, 0, inv);
    run_err(S("*2\r\n$4\r\nECHO\r\n$x\r\n"), 1, 0, inv);

    run_err(S("*1\r\nfoo\r\n"), 1, 0, "Protocol error: expected '$', got 'f'");
    run_err(S("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"), 1, 0, "Protocol error: expected '$', got 'f'");
    run_err(S("*1\r\n:4\r\n"), 1, 0, "Protocol error: expected '$', got ':'");
    run_err(S("*1\r\n\x01\r\n"), 1, 0, "Protocol error: expected '$', got '\x01'");
    /* \r and \n are shown as spaces, as Redis sanitises error text. */
    run_err(S("*1\r\n\r\n"), 1, 0, "Protocol error: expected '$', got ' '");
    run_err(S("*1\r\n\nfoo\r\n"), 1, 0, "Protocol error: expected '$', got ' '");
    /* A bulk header only counts once its line is complete. */
    resp_parser p;
    argv_t av;
    size_t used;
    resp_parser_init(&p);
    argv_init(&av);
    assert_int_equal(resp_parse(&p, S("*1\r\nfoo"), &used, &av), RESP_PARSE_MORE);
    assert_int_equal(used, 4);
    assert_int_equal(resp_parse(&p, S("foo\r"), &used, &av), RESP_PARSE_MORE);
    assert_int_equal(resp_parse(&p, S("foo\r\n"), &used, &av), RESP_PARSE_ERR);
    assert_string_equal(p.err, "Protocol error: expected '$', got 'f'");
    resp_parser_reset(&p);
    argv_free(&av);
}

static void test_errors_too_big_lines(void **state)
{
    fixture *f = *state;
    size_t n = RESP_INLINE_MAX + 100;
    char *buf = malloc(n + 4);

    /* Inline: 65536 bytes without \n wait, 65537 fail. */
    memset(buf, 'A', n);
    expect_one(f, buf, RESP_INLINE_MAX, RESP_PARSE_MORE, 0);
    run_err(buf, RESP_INLINE_MAX + 1, 1, 0, "Protocol error: too big inline request");
    /* A longer line whose \n is already in the buffer is fine (Redis too). */
    memcpy(buf + n, "\r\n", 2);
    resp_parser_reset(&f->p);
    expect_one(f, buf, n + 2, RESP_PARSE_OK, n + 2);
    assert_int_equal(f->av.argc, 1);
    assert_int_equal(sbuf_len(f->av.argv[0]), n);
    argv_reset(&f->av);

    /* Multibulk count line: measured from the '*'. */
    memset(buf, '1', n);
    buf[0] = '*';
    resp_parser_reset(&f->p);
    expect_one(f, buf, RESP_INLINE_MAX, RESP_PARSE_MORE, 0);
    run_err(buf, RESP_INLINE_MAX + 1, 1, 0, "Protocol error: too big mbulk count string");

    /* Bulk count line: measured from the '$'. */
    memcpy(buf, "*1\r\n$", 5);
    resp_parser_reset(&f->p);
    expect_one(f, buf, 4 + RESP_INLINE_MAX, RESP_PARSE_MORE, 4);
    run_err(buf, 4 + RESP_INLINE_MAX + 1, 1, 0, "Protocol error: too big bulk count string");
    free(buf);
}

/* Redis finds line ends with strchr on a C string, so a NUL before the line
 * end hides it: the request waits, then fails as too big (7.0.15 does). */
static void test_nul_hides_line_end(void **state)
{
    fixture *f = *state;
    expect_one(f, S("PI\0NG\r\n"), RESP_PARSE_MORE, 0);
    expect_one(f, S("*1\0\r\n"), RESP_PARSE_MORE, 0);
    expect_one(f, S("*1\r\n$4\0\r\nPING\r\n"), RESP_PARSE_MORE, 4);
    resp_parser_reset(&f->p);
    argv_reset(&f->av);

    size_t n = RESP_INLINE_MAX + 10;
    char *buf = calloc(1, n);
    memcpy(buf, "PI\0NG\r\n", 7);
    run_err(buf, n, 1, 0, "Protocol error: too big inline request");
    memcpy(buf, "*1\r\n\0abc\r\n", 10);
    run_err(buf, n, 1, 0, "Protocol error: too big bulk count string");
    free(buf);
}

static void test_errors_unbalanced_quotes(void **state)
{
    (void)state;
    const char *e = "Protocol error: unbalanced quotes in request";
    run_err(S("ECHO \"abc\r\n"), 1, 0, e);
    run_err(S("ECHO 'abc\r\n"), 1, 0, e);
    run_err(S("ECHO \"a\"b\r\n"), 1, 0, e);
    run_err(S("ECHO 'a'b\r\n"), 1, 0, e);
    run_err(S("ECHO \"a\\\r\n"), 1, 0, e);
    run_err(S("PING\r\nECHO \"\r\n"), 1, 0, e);
}

static void test_unauthenticated_limits(void **state)
{
    fixture *f = *state;
    run_err(S("*11\r\n"), 0, 0, "Protocol error: unauthenticated multibulk length");
    run_err(S("*1\r\n$16385\r\n"), 0, 0, "Protocol error: unauthenticated bulk length");
    /* Invalid wins over unauthenticated, as in Redis. */
    run_err(S("*01\r\n"), 0, 0, "Protocol error: invalid multibulk length");
    run_err(S("*1\r\n$536870913\r\n"), 0, 0, "Protocol error: invalid bulk length");

    /* At the limits: accepted. */
    f->p.authenticated = 0;
    sbuf msg = sbuf_cat(sbuf_empty(0), S("*10\r\n"));
    for (int i = 0; i < 9; i++) msg = sbuf_cat(msg, S("$1\r\na\r\n"));
    msg = sbuf_cat(msg, S("$16384\r\n"));
    msg = sbuf_resize(msg, sbuf_len(msg) + 16384);
    msg = sbuf_cat(msg, S("\r\n"));
    expect_one(f, msg, sbuf_len(msg), RESP_PARSE_OK, sbuf_len(msg));
    assert_int_equal(f->av.argc, 10);
    assert_int_equal(sbuf_len(f->av.argv[9]), 16384);
    argv_reset(&f->av);
    sbuf_free(msg);

    /* The flag is read on each call: authenticating lifts the limits. */
    expect_one(f, S("*11\r\n"), RESP_PARSE_ERR, 0);
    resp_parser_reset(&f->p);
    f->p.authenticated = 1;
    expect_one(f, S("*11\r\n$16385\r\n"), RESP_PARSE_MORE, 13);
}

static void test_max_bulk_changed(void **state)
{
    fixture *f = *state;
    f->p.max_bulk = 10;
    expect_one(f, S("*1\r\n$10\r\n0123456789\r\n"), RESP_PARSE_OK, 21);
    argv_reset(&f->av);
    expect_one(f, S("*1\r\n$11\r\n"), RESP_PARSE_ERR, 4);
    assert_string_equal(f->p.err, "Protocol error: invalid bulk length");
    resp_parser_reset(&f->p);
    f->p.max_bulk = 0;
    expect_one(f, S("*1\r\n$0\r\n\r\n"), RESP_PARSE_OK, 10);
    argv_reset(&f->av);
    expect_one(f, S("*1\r\n$1\r\n"), RESP_PARSE_ERR, 4);
}

/* ------------------------------------------------------------ big bulks */

static void test_big_bulk_random_pieces(void **state)
{
    fixture *f = *state;
    size_t n = 1024 * 1024;
    char *val = malloc(n);
    for (size_t i = 0; i < n; i++) val[i] = (char)(xorshift() & 0xff);
    sbuf msg = sbuf_cat(sbuf_empty(0), S("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1048576\r\n"));
    msg = sbuf_cat(msg, val, n);
    msg = sbuf_cat(msg, S("\r\n*1\r\n$4\r\nPING\r\n"));

    for (size_t maxpiece = 1; maxpiece <= 65536; maxpiece *= 16) {
        feed_stats st;
        sbuf out = feed(&f->p, msg, sbuf_len(msg), maxpiece == 1 ? 3 : maxpiece, &st);
        assert_int_equal(st.rc, RESP_PARSE_MORE);
        /* The caller never kept more than a header's worth. */
        assert_true(st.max_kept < 32);
        assert_true(st.max_pending >= n);
        assert_true(st.max_pending <= 2 * n + 65536);
        assert_int_equal(resp_parse_pending(&f->p), 0);
        sbuf want = sbuf_catfmt(sbuf_empty(0), "3{3:SET}{3:key}{%zu:", n);
        want = sbuf_cat(want, val, n);
        want = sbuf_cat(want, S("}\n1{4:PING}\n"));
        assert_int_equal(sbuf_len(out), sbuf_len(want));
        assert_memory_equal(out, want, sbuf_len(want));
        sbuf_free(out);
        sbuf_free(want);
    }
    sbuf_free(msg);
    free(val);
}

static void test_big_bulk_trailer_split(void **state)
{
    fixture *f = *state;
    size_t n = RESP_BIG_ARG;
    sbuf msg = sbuf_catfmt(sbuf_empty(0), "*1\r\n$%zu\r\n", n);
    size_t hdr = sbuf_len(msg);
    msg = sbuf_resize(msg, hdr + n);
    memset(msg + hdr, 'z', n);
    msg = sbuf_cat(msg, S("\r\n"));
    /* Payload complete but trailer missing: payload taken, "\r" kept. */
    expect_one(f, msg, hdr + n + 1, RESP_PARSE_MORE, hdr + n);
    assert_true(resp_parse_pending(&f->p) >= n);
    assert_int_equal(f->av.argc, 0);
    expect_one(f, S("\r"), RESP_PARSE_MORE, 0);
    expect_one(f, S("\r\n"), RESP_PARSE_OK, 2);
    assert_int_equal(resp_parse_pending(&f->p), 0);
    assert_int_equal(f->av.argc, 1);
    assert_int_equal(sbuf_len(f->av.argv[0]), n);
    assert_int_equal(f->av.argv[0][n - 1], 'z');
    assert_int_equal(f->av.argv[0][n], '\0');
    argv_reset(&f->av);

    /* Fed in two halves the sbuf grew by doubling; the argument handed on
     * has its slack trimmed. */
    size_t half = hdr + n / 2;
    expect_one(f, msg, half, RESP_PARSE_MORE, half);
    assert_true(resp_parse_pending(&f->p) < n);
    expect_one(f, msg + half, sbuf_len(msg) - half, RESP_PARSE_OK, sbuf_len(msg) - half);
    assert_int_equal(sbuf_len(f->av.argv[0]), n);
    assert_true(sbuf_alloc_size(f->av.argv[0]) < n + 128);
    assert_memory_equal(f->av.argv[0], msg + hdr, n);
    sbuf_free(msg);
}

static void test_big_bulk_claim_does_not_allocate(void **state)
{
    fixture *f = *state;
    const char hdr[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n";
    size_t before = xused_memory();
    expect_one(f, S(hdr), RESP_PARSE_MORE, sizeof hdr - 1);
    assert_int_equal(resp_parse_pending(&f->p), 0);   /* header alone: nothing */
    assert_true(xused_memory() - before < 64 * 1024);   /* argv arrays + one arena chunk */

    char piece[1000];
    memset(piece, 'v', sizeof piece);
    size_t sent = 0;
    for (int i = 0; i < 100; i++) {
        expect_one(f, piece, sizeof piece, RESP_PARSE_MORE, sizeof piece);
        sent += sizeof piece;
        size_t pend = resp_parse_pending(&f->p);
        assert_true(pend >= sent);
        assert_true(pend <= 2 * sent + 4096);
    }
    assert_true(xused_memory() - before <= 2 * sent + 64 * 1024);
    assert_int_equal(f->av.argc, 2);
    resp_parser_reset(&f->p);
    assert_int_equal(resp_parse_pending(&f->p), 0);
    argv_free(&f->av);
    assert_int_equal(xused_memory(), before);   /* nothing leaked */
}

/* ----------------------------------------------------- piecewise feeding */

static sbuf mixed_pipeline(void)
{
    sbuf m = sbuf_empty(0);
    m = sbuf_cat(m, S("*3\r\n$3\r\nSET\r\n$3\r\nk\0y\r\n$5\r\nv\r\n\0x\r\n"));
    m = sbuf_cat(m, S("\r\n"));
    m = sbuf_cat(m, S("  set 'a b' \"c\\x41\\n\"  x\r\n"));
    m = sbuf_cat(m, S("*0\r\n*-1\r\n"));
    m = sbuf_cat(m, S("PING\n"));
    m = sbuf_catfmt(m, "*2\r\n$4\r\nECHO\r\n$%d\r\n", 40000);
    size_t at = sbuf_len(m);
    m = sbuf_resize(m, at + 40000);
    for (size_t i = 0; i < 40000; i++) m[at + i] = (char)('a' + i % 26);
    m = sbuf_cat(m, S("\r\n"));
    m = sbuf_catfmt(m, "*2\r\n$4\r\nECHO\r\n$%d\r\n", 5000);
    at = sbuf_len(m);
    m = sbuf_resize(m, at + 5000);
    memset(m + at, '#', 5000);
    m = sbuf_cat(m, S("\r\n"));
    m = sbuf_cat(m, S("*1\r\n$4\r\nQUIT\r\n"));
    return m;
}

static void test_byte_at_a_time(void **state)
{
    fixture *f = *state;
    sbuf m = mixed_pipeline();
    feed_stats whole, bytes, pieces;
    sbuf a = feed(&f->p, m, sbuf_len(m), 0, &whole);
    sbuf b = feed(&f->p, m, sbuf_len(m), 1, &bytes);
    sbuf c = feed(&f->p, m, sbuf_len(m), 700, &pieces);
    assert_int_equal(whole.rc, RESP_PARSE_MORE);
    assert_int_equal(bytes.rc, RESP_PARSE_MORE);
    assert_int_equal(pieces.rc, RESP_PARSE_MORE);

    /* The whole-buffer run gives the right commands... */
    assert_int_equal(whole.max_kept, 0);
    assert_true(sbuf_len(a) > 45000);
    static const char head[] = "3{3:SET}{3:k\0y}{5:v\r\n\0x}\n"
                       "4{3:set}{3:a b}{3:cA\n}{1:x}\n"
                       "1{4:PING}\n"
                       "2{4:ECHO}{40000:abcdefghijklmnopqrstuvwxyzabcd";
    assert_memory_equal(a, head, sizeof head - 1);
    const char *tail = "}\n1{4:QUIT}\n";
    assert_memory_equal(a + sbuf_len(a) - strlen(tail), tail, strlen(tail));
    /* ...and feeding a byte at a time or in pieces gives the same ones. */
    assert_int_equal(sbuf_len(b), sbuf_len(a));
    assert_memory_equal(b, a, sbuf_len(a));
    assert_int_equal(sbuf_len(c), sbuf_len(a));
    assert_memory_equal(c, a, sbuf_len(a));
    /* Byte at a time, the caller kept at most the 5000-byte bulk (+1). */
    assert_int_equal(bytes.max_kept, 5001);
    sbuf_free(a);
    sbuf_free(b);
    sbuf_free(c);
    sbuf_free(m);
}

/* ---------------------------------------------------------- inline split */

typedef struct split_case {
    const char *line;
    size_t len;            /* 0: strlen */
    int argc;              /* -1: unbalanced */
    const char *args[5];
    size_t lens[5];        /* 0: strlen */
} split_case;

static void test_split_inline(void **state)
{
    (void)state;
    static const split_case cases[] = {
        {"set k v", 0, 3, {"set", "k", "v"}, {0}},
        {"  a   b  ", 0, 2, {"a", "b"}, {0}},
        {"", 0, 0, {0}, {0}},
        {" \t\r\n\v\f ", 0, 0, {0}, {0}},
        {"\"hello world\"", 0, 1, {"hello world"}, {0}},
        {"\"a\\x41\\xzz\"", 0, 1, {"aAxzz"}, {0}},
        {"\"\\x4a\\x4B\\x4\"", 0, 1, {"JKx4"}, {0}},
        {"\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"", 0, 1, {"\n\r\t\b\a\\\"q"}, {0}},
        {"'a\\'b\\n'", 0, 1, {"a'b\\n"}, {0}},
        {"a\"b c\"", 0, 1, {"ab c"}, {0}},
        {"foo'bar' x", 0, 2, {"foobar", "x"}, {0}},
        {"\"\" ''", 0, 2, {"", ""}, {0}},
        {"'a\"b' \"a'b\"", 0, 2, {"a\"b", "a'b"}, {0}},
        {"a\vb", 0, 1, {"a\vb"}, {0}},
        {"\"a\"\vb", 0, 2, {"a", "b"}, {0}},
        {"a\rb\tc\nd", 0, 4, {"a", "b", "c", "d"}, {0}},
        {"\"x\\x00y\"", 0, 1, {"x\0y"}, {3}},
        {"\"\\xff\"", 0, 1, {"\xff"}, {0}},
        {"a\0b c", 5, 1, {"a"}, {0}},   /* a NUL ends the line, as in sdssplitargs */
        {"\"a\" \"b\"", 0, 2, {"a", "b"}, {0}},
        {"\"abc", 0, -1, {0}, {0}},
        {"'abc", 0, -1, {0}, {0}},
        {"\"a\"b", 0, -1, {0}, {0}},
        {"'a'b", 0, -1, {0}, {0}},
        {"\"a\\", 0, -1, {0}, {0}},
        {"\"a\\\"", 0, -1, {0}, {0}},
        {"'a\\'", 0, -1, {0}, {0}},
        {"\"a\"\"b\"", 0, -1, {0}, {0}},
        {"ok \"bad", 0, -1, {0}, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const split_case *c = &cases[i];
        argv_t av;
        argv_init(&av);
        size_t len = c->len ? c->len : strlen(c->line);
        int rc = resp_split_inline(c->line, len, &av);
        if (c->argc < 0) {
            if (rc != -1) fail_msg("case %zu: expected unbalanced quotes", i);
        } else {
            if (rc != 0) fail_msg("case %zu: unexpected error", i);
            if (av.argc != c->argc) fail_msg("case %zu: argc %d, want %d", i, av.argc, c->argc);
            for (int j = 0; j < c->argc; j++)
                assert_arg(&av, j, c->args[j], c->lens[j] ? c->lens[j] : strlen(c->args[j]));
        }
        argv_free(&av);
    }
}

static void test_split_inline_long_quoted(void **state)
{
    (void)state;
    /* Longer than the on-stack scratch, with escapes. */
    size_t n = 3000;
    sbuf line = sbuf_cat(sbuf_empty(0), S("cmd \""));
    for (size_t i = 0; i < n; i++) line = sbuf_cat(line, S("\\x41b"));
    line = sbuf_cat(line, S("\" tail"));
    argv_t av;
    argv_init(&av);
    assert_int_equal(resp_split_inline(line, sbuf_len(line), &av), 0);
    assert_int_equal(av.argc, 3);
    assert_int_equal(sbuf_len(av.argv[1]), 2 * n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(av.argv[1][2 * i], 'A');
        assert_int_equal(av.argv[1][2 * i + 1], 'b');
    }
    assert_arg(&av, 2, "tail", 4);
    argv_free(&av);
    sbuf_free(line);
}

static void test_inline_line_endings(void **state)
{
    fixture *f = *state;
    expect_one(f, S("PING\n"), RESP_PARSE_OK, 5);
    assert_args(&f->av, "PING", NULL);
    argv_reset(&f->av);
    expect_one(f, S("PING\r\r\n"), RESP_PARSE_OK, 7);   /* inner \r is a separator */
    assert_args(&f->av, "PING", NULL);
    argv_reset(&f->av);
    expect_one(f, S("ECHO a\rb\r\n"), RESP_PARSE_OK, 10);
    assert_args(&f->av, "ECHO", "a", "b", NULL);
    argv_reset(&f->av);
    expect_one(f, S("ECHO \"\"\r\n"), RESP_PARSE_OK, 9);
    assert_args(&f->av, "ECHO", "", NULL);
    argv_reset(&f->av);
    expect_one(f, S("GET k"), RESP_PARSE_MORE, 0);
    assert_int_equal(f->av.argc, 0);
    /* A line starting with blanks then '*' is inline. */
    expect_one(f, S(" *1\r\n"), RESP_PARSE_OK, 5);
    assert_args(&f->av, "*1", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_multibulk_simple),
        T(test_multibulk_empty_bulk),
        T(test_empty_requests_skipped),
        T(test_pipeline),
        T(test_partial_small_bulk_kept),
        T(test_partial_headers),
        T(test_unchecked_line_ends),
        T(test_binary_bulks),
        T(test_errors_multibulk_count),
        T(test_multibulk_count_limits),
        T(test_errors_bulk_header),
        T(test_errors_too_big_lines),
        T(test_nul_hides_line_end),
        T(test_errors_unbalanced_quotes),
        T(test_unauthenticated_limits),
        T(test_max_bulk_changed),
        T(test_big_bulk_random_pieces),
        T(test_big_bulk_trailer_split),
        T(test_big_bulk_claim_does_not_allocate),
        T(test_byte_at_a_time),
        T(test_split_inline),
        T(test_split_inline_long_quoted),
        T(test_inline_line_endings),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
