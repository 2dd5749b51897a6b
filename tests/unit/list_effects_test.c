/* list_effects_test.c — the effects of list commands and blocking pops, in
 * an in-process server: pops emit what they did (LMPOP -> LPOP/RPOP key n,
 * BLPOP -> LPOP key, BLMOVE -> LMOVE, BRPOPLPUSH -> RPOPLPUSH), served
 * waiters emit theirs right after the write that fed them, in arrival order.
 * (Replies against Redis: tests/integration/test_lists.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "server.h"
#include "effect.h"
#include "inproc.h"
#include "blocking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static server *new_server(void) { return new_server_in("/tmp/rill-unit-list-effects"); }

#define RUN(c, ...) runv(c, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                         (const char *[]){__VA_ARGS__})


/* effect_is: effect i is exactly the given words. */
static void effect_is(int i, int n, const char **want)
{
    assert_true(i < neffects);
    assert_int_equal(effects[i].argc, n);
    for (int j = 0; j < n; j++) assert_string_equal(effects[i].argv[j], want[j]);
}
#define EFFECT(i, ...) effect_is(i, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                                 (const char *[]){__VA_ARGS__})

/* The non-blocking pops and moves emit what was done. */
static void test_pop_effects(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    RUN(c, "RPUSH", "k", "a", "b", "c", "d", "e");
    recording = 1;
    RUN(c, "LMPOP", "2", "nokey", "k", "RIGHT", "COUNT", "2");
    EFFECT(0, "RPOP", "k", "2");
    RUN(c, "BLPOP", "nokey", "k", "0");
    EFFECT(1, "LPOP", "k");
    RUN(c, "BLMOVE", "k", "d", "RIGHT", "LEFT", "0");
    EFFECT(2, "LMOVE", "k", "d", "RIGHT", "LEFT");
    RUN(c, "BRPOPLPUSH", "k", "d", "0");
    EFFECT(3, "RPOPLPUSH", "k", "d");
    RUN(c, "LPOP", "nokey");
    RUN(c, "LMPOP", "1", "nokey", "LEFT");
    RUN(c, "LREM", "d", "0", "zz");
    assert_int_equal(neffects, 4);
    RUN(c, "LMPOP", "1", "d", "LEFT", "COUNT", "10");
    EFFECT(4, "LPOP", "d", "2");
    rec_clear();
    recording = 0;
    session_free(c);
    server_free(s);
}

/* A served blocking pop emits its pop after the push that fed it, and its
 * client gets the reply; a waiter on a key of another type keeps waiting. */
static void test_served_effects(void **state)
{
    server *s = new_server();
    session *w1 = session_new(s, &test_ops, -1);
    session *w2 = session_new(s, &test_ops, -1);
    session *c = session_new(s, &test_ops, -1);
    recording = 1;
    assert_string_equal(RUN(w1, "BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5"), "");
    assert_string_equal(RUN(w2, "BRPOP", "q", "0"), "");
    assert_true(w1->flags & SESS_BLOCKED);
    assert_int_equal(block_count(s), 2);
    assert_int_equal(neffects, 0);
    RUN(c, "SET", "q", "str");                  /* another type: both keep waiting */
    assert_int_equal(block_count(s), 2);
    RUN(c, "DEL", "q");
    rec_clear();
    RUN(c, "RPUSH", "q", "a", "b");
    EFFECT(0, "RPUSH", "q", "a", "b");
    EFFECT(1, "LPOP", "q", "2");                  /* w1 came first and took both */
    assert_int_equal(neffects, 2);
    assert_int_equal(block_count(s), 1);
    assert_false(w1->flags & SESS_BLOCKED);
    assert_memory_equal(w1->obuf, "*2\r\n$1\r\nq\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n", w1->olen);
    rec_clear();
    /* A BLMOVE chain: w3 waits on src, w2 on q; one push serves both. */
    session *w3 = session_new(s, &test_ops, -1);
    RUN(w3, "BLMOVE", "src", "q", "LEFT", "RIGHT", "0");
    RUN(c, "LPUSH", "src", "x");
    EFFECT(0, "LPUSH", "src", "x");
    EFFECT(1, "LMOVE", "src", "q", "LEFT", "RIGHT");
    EFFECT(2, "RPOP", "q");
    assert_int_equal(neffects, 3);
    assert_int_equal(block_count(s), 0);
    assert_int_equal(dict_size(s->dbs[0].keys), 0);
    rec_clear();
    recording = 0;
    /* Freeing a blocked session leaves no waiter behind. */
    RUN(w1, "BLPOP", "gone", "0");
    assert_int_equal(dict_size(s->dbs[0].blocking), 1);
    session_free(w1);
    assert_int_equal(dict_size(s->dbs[0].blocking), 0);
    assert_int_equal(block_count(s), 0);
    session_free(w2);
    session_free(w3);
    session_free(c);
    server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pop_effects),
        cmocka_unit_test(test_served_effects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
