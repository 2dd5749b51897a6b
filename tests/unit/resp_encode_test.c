/* resp_encode_test.c — the reply model encoded as RESP2 and RESP3 bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "session.h"
#include "reply.h"

static server fake_srv;

static session *new_session(int resp)
{
    session *c = calloc(1, sizeof *c);
    c->srv = &fake_srv;
    c->fd = -1;
    c->rops = &resp2_ops;   /* a RESP session, as the listener makes it */
    session_set_resp(c, resp);
    return c;
}

static void free_session(session *c)
{
    /* Taken off the fake server's pending-write list by resetting it. */
    fake_srv.pending_write = NULL;
    free(c->obuf);
    free(c);
}

#define assert_out(c, lit)                                                      \
    do {                                                                        \
        assert_int_equal((c)->olen - (c)->osent, sizeof(lit) - 1);              \
        assert_memory_equal((c)->obuf + (c)->osent, lit, sizeof(lit) - 1);      \
    } while (0)

static void test_scalars_resp2(void **state)
{
    (void)state;
    session *c = new_session(2);
    reply_ok(c);
    reply_error(c, "ERR bad");
    reply_error(c, "no code here");
    reply_int(c, -42);
    reply_bulk(c, "a\0b", 3);
    reply_null(c);
    reply_null_array(c);
    reply_bool(c, 1);
    reply_bool(c, 0);
    assert_out(c, "+OK\r\n-ERR bad\r\n-ERR no code here\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n*-1\r\n:1\r\n:0\r\n");
    free_session(c);
}

static void test_scalars_resp3(void **state)
{
    (void)state;
    session *c = new_session(3);
    reply_null(c);
    reply_null_array(c);
    reply_bool(c, 1);
    reply_bool(c, 0);
    reply_double(c, 1.5);
    reply_double(c, INFINITY);
    reply_double(c, -INFINITY);
    reply_verbatim(c, "hi", 2, "txt");
    reply_bignum(c, "123456789012345678901234567890", 30);
    assert_out(c, "_\r\n_\r\n#t\r\n#f\r\n,1.5\r\n,inf\r\n,-inf\r\n=6\r\ntxt:hi\r\n(123456789012345678901234567890\r\n");
    free_session(c);
}

static void test_doubles_resp2(void **state)
{
    (void)state;
    session *c = new_session(2);
    reply_double(c, 1.5);
    reply_double(c, 0.1);
    reply_double(c, -INFINITY);
    assert_out(c, "$3\r\n1.5\r\n$19\r\n0.10000000000000001\r\n$4\r\n-inf\r\n");
    free_session(c);
}

static void test_aggregates(void **state)
{
    (void)state;
    session *c2 = new_session(2), *c3 = new_session(3);
    session *cs[2] = {c2, c3};
    for (int i = 0; i < 2; i++) {
        reply_map(cs[i], 1);
        reply_bulk_cstr(cs[i], "k");
        reply_set(cs[i], 1);
        reply_int(cs[i], 1);
        reply_push(cs[i], 0);
        reply_empty_array(cs[i]);
    }
    assert_out(c2, "*2\r\n$1\r\nk\r\n*1\r\n:1\r\n*0\r\n*0\r\n");
    assert_out(c3, "%1\r\n$1\r\nk\r\n~1\r\n:1\r\n>0\r\n*0\r\n");
    free_session(c2);
    free_session(c3);
}

static void test_deferred_lengths(void **state)
{
    (void)state;
    session *c = new_session(2);
    reply_ok(c);
    void *h = reply_defer(c);
    for (int i = 0; i < 12; i++) reply_int(c, i % 10);
    reply_set_array_len(c, h, 12);
    void *m = reply_defer(c);
    reply_bulk_cstr(c, "a");
    reply_int(c, 1);
    reply_set_map_len(c, m, 1);
    assert_out(c, "+OK\r\n*12\r\n:0\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:0\r\n:1\r\n*2\r\n$1\r\na\r\n:1\r\n");
    free_session(c);
}

/* A deferred header must land in the right place even when earlier output
 * was partly sent and the buffer is compacted while the aggregate grows. */
static void test_deferred_after_partial_send(void **state)
{
    (void)state;
    session *c = new_session(3);
    char big[20000];
    memset(big, 'x', sizeof big);
    reply_bulk(c, big, sizeof big);
    c->osent = 15000;                     /* pretend the socket took part of it */
    void *h = reply_defer(c);
    for (int i = 0; i < 3000; i++) reply_bulk(c, big, 40);  /* forces growth/compaction */
    reply_set_set_len(c, h, 3000);
    size_t pending = c->olen - c->osent;
    const char *p = c->obuf + c->osent;
    size_t first = 20000 + 8 + 2 - 15000;  /* rest of "$20000\r\n<20000>\r\n" */
    assert_true(pending > first + 7);
    assert_memory_equal(p + first, "~3000\r\n$40\r\n", 12);
    free_session(c);
}

static void test_error_newlines_sanitised(void **state)
{
    (void)state;
    session *c = new_session(2);
    reply_error(c, "ERR line1\r\nline2");
    assert_out(c, "-ERR line1  line2\r\n");
    free_session(c);
}

static void test_large_bulk(void **state)
{
    (void)state;
    session *c = new_session(2);
    size_t n = 1 << 20;
    char *v = malloc(n);
    memset(v, 'z', n);
    reply_bulk(c, v, n);
    assert_int_equal(c->olen, n + 12);   /* "$1048576\r\n" + data + "\r\n" */
    assert_memory_equal(c->obuf, "$1048576\r\n", 10);
    assert_memory_equal(c->obuf + 10 + n, "\r\n", 2);
    free(v);
    free_session(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_resp2),
        cmocka_unit_test(test_scalars_resp3),
        cmocka_unit_test(test_doubles_resp2),
        cmocka_unit_test(test_aggregates),
        cmocka_unit_test(test_deferred_lengths),
        cmocka_unit_test(test_deferred_after_partial_send),
        cmocka_unit_test(test_error_newlines_sanitised),
        cmocka_unit_test(test_large_bulk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
