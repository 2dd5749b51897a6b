/* set_effects_test.c — the effects of set commands, in an in-process server:
 * SPOP is rewritten to SREM of what it popped (DEL when it popped the whole
 * set), and replaying every effect of a random workload in another db
 * rebuilds exactly the same sets.  (Replies against Redis:
 * tests/integration/test_sets.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "server.h"
#include "effect.h"
#include "inproc.h"
#include "set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static server *new_server(void) { return new_server_in("/tmp/rill-unit-set-effects"); }

#define RUN(c, ...) runv(c, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                         (const char *[]){__VA_ARGS__})

static void test_spop_effects(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    RUN(c, "SADD", "k", "1", "2", "3", "4", "5");
    recording = 1;
    const char *r = RUN(c, "SPOP", "k");
    assert_int_equal(neffects, 1);
    assert_int_equal(effects[0].argc, 3);
    assert_string_equal(effects[0].argv[0], "SREM");
    assert_string_equal(effects[0].argv[1], "k");
    char want[64];
    snprintf(want, sizeof want, "$1\r\n%s\r\n", effects[0].argv[2]);
    assert_string_equal(r, want);
    rec_clear();

    RUN(c, "SPOP", "k", "2");
    assert_int_equal(neffects, 1);
    assert_int_equal(effects[0].argc, 4);
    assert_string_equal(effects[0].argv[0], "SREM");
    rec_clear();

    RUN(c, "SPOP", "k", "0");
    RUN(c, "SPOP", "nokey", "3");
    RUN(c, "SPOP", "nokey");
    assert_int_equal(neffects, 0);

    RUN(c, "SPOP", "k", "10");               /* the rest: DEL */
    assert_int_equal(neffects, 1);
    assert_int_equal(effects[0].argc, 2);
    assert_string_equal(effects[0].argv[0], "DEL");
    assert_string_equal(effects[0].argv[1], "k");
    rec_clear();

    /* No-op writes emit nothing. */
    RUN(c, "SREM", "nokey", "a");
    RUN(c, "SADD", "x", "a");
    RUN(c, "SADD", "x", "a");
    RUN(c, "SMOVE", "x", "y", "zz");
    assert_int_equal(neffects, 1);                /* the first SADD only */
    recording = 0;
    rec_clear();
    session_free(c);
    server_free(s);
}

/* same_sets asserts db a and db b hold the same keys with the same sets. */
static void same_sets(server *s, int a, int b)
{
    db *da = &s->dbs[a], *dbb = &s->dbs[b];
    assert_int_equal(dict_size(da->keys), dict_size(dbb->keys));
    dict_iter it;
    dict_iter_init(&it, da->keys, 0);
    dict_entry *e;
    while ((e = dict_next(&it)) != NULL) {
        obj *oa = e->v.val, *ob = dict_fetch(dbb->keys, e->key);
        assert_non_null(ob);
        assert_int_equal(oa->type, OBJ_SET);
        assert_int_equal(ob->type, OBJ_SET);
        assert_int_equal(set_size(oa->ptr), set_size(ob->ptr));
        set_iter si;
        set_elem m;
        set_iter_init(&si, oa->ptr);
        while (set_next(&si, &m)) assert_true(set_contains_elem(ob->ptr, &m));
        set_iter_done(&si);
    }
    dict_iter_done(&it);
}

static void test_replay_rebuilds_sets(void **state)
{
    server *s = new_server();
    session *c = session_new(s, &test_ops, -1);
    srand(42);
    recording = 1;
    char k1[8], k2[8], k3[8], m[32], cnt[16];
    for (int step = 0; step < 3000; step++) {
        snprintf(k1, sizeof k1, "s%d", rand() % 5);
        snprintf(k2, sizeof k2, "s%d", rand() % 5);
        snprintf(k3, sizeof k3, "s%d", rand() % 5);
        if (rand() % 2) snprintf(m, sizeof m, "%d", rand() % 40);
        else snprintf(m, sizeof m, "m%d", rand() % 40);
        snprintf(cnt, sizeof cnt, "%d", rand() % 12);
        switch (rand() % 10) {
        case 0: case 1: case 2: RUN(c, "SADD", k1, m, "7", "x"); break;
        case 3: RUN(c, "SREM", k1, m, "7"); break;
        case 4: RUN(c, "SPOP", k1); break;
        case 5: RUN(c, "SPOP", k1, cnt); break;
        case 6: RUN(c, "SMOVE", k1, k2, m); break;
        case 7: RUN(c, "SINTERSTORE", k3, k1, k2); break;
        case 8: RUN(c, "SUNIONSTORE", k3, k1, k2); break;
        case 9: RUN(c, "SDIFFSTORE", k3, k1, k2); break;
        }
    }
    recording = 0;
    assert_true(neffects > 100);
    RUN(c, "SELECT", "1");
    for (int i = 0; i < neffects; i++) {
        const char *argv[64];
        assert_true(effects[i].argc <= 64);
        for (int j = 0; j < effects[i].argc; j++) argv[j] = effects[i].argv[j];
        runv(c, effects[i].argc, argv);
    }
    same_sets(s, 0, 1);
    rec_clear();
    session_free(c);
    server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spop_effects),
        cmocka_unit_test(test_replay_rebuilds_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
