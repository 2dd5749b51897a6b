/* multi_test.c — MULTI/EXEC inside an in-process server: the effect group
 * around a transaction's effects, queue memory, teardown of queues and
 * watches.  (Replies against Redis: tests/integration/test_multi.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "server.h"
#include "effect.h"
#include "multi.h"
#define INPROC_NO_RECORDER
#include "inproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an in-process server and sessions whose output we read ----------- */

/* The effect log: "[" at group begin, "]" at group end, argv[0] for an effect. */
static char elog[1024];

static void log_emit(void *priv, int dbid, int argc, sbuf *argv)
{
    strncat(elog, argv[0], sizeof elog - strlen(elog) - 1);
    strncat(elog, " ", sizeof elog - strlen(elog) - 1);
}

static void log_group(void *priv, int begin)
{
    strncat(elog, begin ? "[ " : "] ", sizeof elog - strlen(elog) - 1);
}

static effect_sink sink = {.emit = log_emit, .group = log_group};

static server *new_server(void) { return inproc_server("/tmp/rill-unit-multi", &sink); }

/* run feeds commands (each a NULL-terminated list of words, the list ended
 * by NULL) to c and returns its output since the last call. */
static const char *run(session *c, ...)
{
    char *q = NULL;
    size_t qlen = 0;
    FILE *f = open_memstream(&q, &qlen);
    va_list ap;
    va_start(ap, c);
    const char **cmd;
    while ((cmd = va_arg(ap, const char **))) {
        int n = 0;
        while (cmd[n]) n++;
        inproc_append_cmd(f, n, cmd);
    }
    va_end(ap);
    fclose(f);
    return inproc_feed(c, q, qlen);
}

#define CMD(...) ((const char *[]){__VA_ARGS__, NULL})

/* ---- effects ------------------------------------------------------------ */

static void test_effects_grouped(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    elog[0] = '\0';
    assert_string_equal(run(c, CMD("MULTI"), CMD("SET", "a", "1"), CMD("GET", "a"), CMD("SET", "b", "2"),
                            CMD("EXEC"), NULL),
                        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n$1\r\n1\r\n+OK\r\n");
    assert_string_equal(elog, "[ SET SET ] ");
    session_free(c);
    server_free(s);
}

static void test_read_only_transaction_has_no_group(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    run(c, CMD("SET", "a", "1"), NULL);
    elog[0] = '\0';
    assert_string_equal(run(c, CMD("MULTI"), CMD("GET", "a"), CMD("PING"), CMD("EXEC"), NULL),
                        "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$1\r\n1\r\n+PONG\r\n");
    assert_string_equal(elog, "");
    /* A failed or aborted transaction leaves no effect either. */
    run(c, CMD("MULTI"), CMD("SET", "a", "2"), CMD("NOSUCHCOMMAND"), CMD("EXEC"), NULL);
    assert_string_equal(elog, "");
    session_free(c);
    server_free(s);
}

static void test_group_opens_at_first_effect(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    run(c, CMD("SET", "v", "1", "PX", "10"), NULL);
    s->mstime += 1000;   /* v is now expired: reading it deletes it (a DEL effect) */
    elog[0] = '\0';
    assert_string_equal(run(c, CMD("MULTI"), CMD("GET", "v"), CMD("GET", "w"), CMD("EXEC"), NULL),
                        "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$-1\r\n$-1\r\n");
    assert_string_equal(elog, "[ DEL ] ");
    /* Commands that run in SELECTed dbs and errors between writes. */
    elog[0] = '\0';
    run(c, CMD("SET", "s", "abc"), NULL);
    elog[0] = '\0';
    assert_string_equal(run(c, CMD("MULTI"), CMD("INCR", "s"), CMD("SELECT", "1"), CMD("SET", "s", "1"),
                            CMD("EXEC"), NULL),
                        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                        "*3\r\n-ERR value is not an integer or out of range\r\n+OK\r\n+OK\r\n");
    assert_string_equal(elog, "[ SET ] ");
    assert_int_equal(c->dbid, 1);
    session_free(c);
    server_free(s);
}

/* ---- memory --------------------------------------------------------------- */

static void test_queue_memory(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    static char big[200000];
    memset(big, 'x', sizeof big - 1);
    assert_int_equal(multi_mem(c), 0);
    run(c, CMD("MULTI"), CMD("SET", "big", big), NULL);
    assert_int_equal(c->mcount, 1);
    assert_true(multi_mem(c) > sizeof big);
    assert_true(multi_mem(c) < sizeof big + 4096);
    run(c, CMD("PING"), NULL);
    size_t two = multi_mem(c);
    assert_true(two < sizeof big + 4096);   /* a small command costs little (no 16 KB arena) */
    assert_string_equal(run(c, CMD("DISCARD"), NULL), "+OK\r\n");
    assert_int_equal(multi_mem(c), 0);
    assert_null(c->mstate);
    assert_int_equal(c->flags & (SESS_MULTI | SESS_DIRTY_EXEC | SESS_DIRTY_CAS), 0);

    /* Over the limit: dropped and doomed, later commands are not stored. */
    s->cfg.client_query_buffer_limit = 1 << 20;
    run(c, CMD("MULTI"), NULL);
    int refused = -1;
    for (int i = 0; i < 8; i++) {
        const char *r = run(c, CMD("SET", "big", big), NULL);
        if (refused < 0 && strcmp(r, "+QUEUED\r\n") != 0) {
            assert_non_null(strstr(r, "client-query-buffer-limit"));
            refused = i;
        } else {
            assert_string_equal(r, "+QUEUED\r\n");
        }
    }
    assert_int_equal(refused, 5);   /* 5 x 200 KB fit in 1 MB, the 6th does not */
    assert_true(c->flags & SESS_DIRTY_EXEC);
    assert_int_equal(c->mcount, 0);
    assert_int_equal(multi_mem(c), 0);
    assert_string_equal(run(c, CMD("SET", "big", big), NULL), "+QUEUED\r\n");
    assert_int_equal(c->mcount, 0);
    assert_string_equal(run(c, CMD("EXEC"), NULL), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    session_free(c);
    server_free(s);
}

/* A session freed in MULTI with watches: LeakSanitizer checks nothing stays;
 * the keys' watcher lists must be gone from the dbs. */
static void test_free_in_multi(void **state)
{
    server *s = new_server();
    session *a = session_new(s, &test_ops, -1);
    session *b = session_new(s, &test_ops, -1);
    run(a, CMD("WATCH", "k1", "k2"), CMD("SELECT", "2"), CMD("WATCH", "k1"), CMD("MULTI"),
        CMD("SET", "k1", "v"), NULL);
    run(b, CMD("WATCH", "k1"), NULL);
    assert_int_equal(dict_size(s->dbs[0].watched), 2);
    assert_int_equal(dict_size(s->dbs[2].watched), 1);
    session_free(a);
    assert_int_equal(dict_size(s->dbs[0].watched), 1);
    assert_int_equal(dict_size(s->dbs[2].watched), 0);
    /* b still watches k1 in db 0. */
    run(b, CMD("SET", "k1", "x"), NULL);
    assert_true(b->flags & SESS_DIRTY_CAS);
    assert_string_equal(run(b, CMD("UNWATCH"), NULL), "+OK\r\n");
    assert_int_equal(dict_size(s->dbs[0].watched), 0);
    assert_int_equal(b->flags & SESS_DIRTY_CAS, 0);
    /* And a session freed while holding its only watch of a key. */
    run(b, CMD("WATCH", "k9"), CMD("MULTI"), CMD("PING"), NULL);
    session_free(b);
    assert_int_equal(dict_size(s->dbs[0].watched), 0);
    server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_effects_grouped),
        cmocka_unit_test(test_read_only_transaction_has_no_group),
        cmocka_unit_test(test_group_opens_at_first_effect),
        cmocka_unit_test(test_queue_memory),
        cmocka_unit_test(test_free_in_multi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
