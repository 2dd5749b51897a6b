/* cgroup_test.c — unit tests for streams/cgroup.c (groups, consumers, PELs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

#define S(x) x, strlen(x)

static stream_id ID(uint64_t ms, uint64_t seq) { return (stream_id){ms, seq}; }

/* check_tree verifies order, parent links, heights and balance; returns the height. */
static int check_tree(const cg_node *n, const cg_node *parent)
{
    if (!n) return 0;
    assert_ptr_equal(n->p, parent);
    int a = check_tree(n->l, n), b = check_tree(n->r, n);
    assert_true(abs(a - b) <= 1);
    assert_int_equal(n->h, (a > b ? a : b) + 1);
    return n->h;
}

static size_t count_group_pel(const cg_group *g)
{
    size_t n = 0;
    stream_id prev = ID(0, 0);
    for (cg_nack *k = cg_pel_first(g); k; k = cg_pel_next(k)) {
        if (n) assert_true(st_id_cmp(prev, k->id) < 0);
        prev = k->id;
        n++;
    }
    assert_int_equal(n, g->pel.count);
    check_tree(g->pel.root, NULL);
    return n;
}

static size_t count_cons_pel(const cg_consumer *c)
{
    size_t n = 0;
    stream_id prev = ID(0, 0);
    for (cg_nack *k = cg_cpel_seek(c, ST_ID_MIN); k; k = cg_cpel_next(k)) {
        if (n) assert_true(st_id_cmp(prev, k->id) < 0);
        assert_ptr_equal(k->owner, c);
        prev = k->id;
        n++;
    }
    assert_int_equal(n, c->pel.count);
    check_tree(c->pel.root, NULL);
    return n;
}

static void test_groups_sorted(void **state)
{
    (void)state;
    cgroups *gs = cg_set_new();
    assert_non_null(cg_create(gs, S("b"), ID(0, 0), 0));
    assert_non_null(cg_create(gs, S("a"), ID(0, 0), 0));
    assert_non_null(cg_create(gs, S("ab"), ID(0, 0), 0));
    assert_non_null(cg_create(gs, S(""), ID(0, 0), 0));
    assert_null(cg_create(gs, S("a"), ID(0, 0), 0));     /* BUSYGROUP */
    assert_int_equal(gs->n, 4);
    assert_string_equal(gs->v[0]->name, "");
    assert_string_equal(gs->v[1]->name, "a");
    assert_string_equal(gs->v[2]->name, "ab");
    assert_string_equal(gs->v[3]->name, "b");
    assert_non_null(cg_find(gs, S("ab")));
    assert_null(cg_find(gs, S("abc")));
    assert_null(cg_find(NULL, S("a")));
    assert_int_equal(cg_destroy(gs, S("a")), 1);
    assert_int_equal(cg_destroy(gs, S("a")), 0);
    assert_int_equal(gs->n, 3);
    assert_string_equal(gs->v[1]->name, "ab");
    cg_set_free(gs);
    cg_set_free(NULL);
}

static void test_consumers(void **state)
{
    (void)state;
    cgroups *gs = cg_set_new();
    cg_group *g = cg_create(gs, S("g"), ID(0, 0), CG_ENTRIES_READ_UNKNOWN);
    cg_consumer *c1 = cg_consumer_create(g, S("zed"), 100);
    assert_non_null(c1);
    assert_int_equal(c1->seen_time, 100);
    assert_int_equal(c1->active_time, -1);
    assert_null(cg_consumer_create(g, S("zed"), 200));
    int created = -1;
    cg_consumer *c2 = cg_consumer_get(g, S("alice"), 300, &created);
    assert_int_equal(created, 1);
    assert_ptr_equal(cg_consumer_get(g, S("alice"), 400, &created), c2);
    assert_int_equal(created, 0);
    assert_string_equal(g->cons[0]->name, "alice");
    assert_string_equal(g->cons[1]->name, "zed");
    assert_ptr_equal(cg_consumer_find(g, S("zed")), c1);
    assert_null(cg_consumer_find(g, S("bob")));
    cg_set_free(gs);
}

static void test_pel_order_ack_claim(void **state)
{
    (void)state;
    cgroups *gs = cg_set_new();
    cg_group *g = cg_create(gs, S("g"), ID(0, 0), 0);
    cg_consumer *a = cg_consumer_create(g, S("a"), 0);
    cg_consumer *b = cg_consumer_create(g, S("b"), 0);
    /* Out of order inserts, alternating owners. */
    uint64_t ms[] = {5, 1, 9, 3, 7, 2, 8, 4, 6, 10};
    for (int i = 0; i < 10; i++) cg_pel_add(g, i % 2 ? b : a, ID(ms[i], 0), 1000 + i, 1);
    assert_int_equal(count_group_pel(g), 10);
    assert_int_equal(count_cons_pel(a), 5);
    assert_int_equal(count_cons_pel(b), 5);
    assert_int_equal(cg_pel_first(g)->id.ms, 1);
    assert_int_equal(cg_pel_last(g)->id.ms, 10);
    assert_int_equal(cg_pel_seek(g, ID(4, 1))->id.ms, 5);
    assert_null(cg_pel_seek(g, ID(10, 1)));
    assert_int_equal(cg_cpel_seek(a, ID(0, 0))->id.ms, 5);   /* a has 5,6,7,8,9 */
    /* Ack: remove 5 (a's). */
    cg_nack *k = cg_pel_find(g, ID(5, 0));
    assert_non_null(k);
    assert_ptr_equal(k->owner, a);
    cg_pel_remove(g, k);
    assert_null(cg_pel_find(g, ID(5, 0)));
    assert_int_equal(count_group_pel(g), 9);
    assert_int_equal(count_cons_pel(a), 4);
    /* Claim: 1 (b's) goes to a. */
    k = cg_pel_find(g, ID(1, 0));
    assert_ptr_equal(k->owner, b);
    cg_pel_set_owner(k, a);
    assert_ptr_equal(k->owner, a);
    assert_int_equal(count_cons_pel(a), 5);
    assert_int_equal(count_cons_pel(b), 4);
    assert_int_equal(count_group_pel(g), 9);
    cg_pel_set_owner(k, a);                                   /* no-op */
    assert_int_equal(count_cons_pel(a), 5);
    /* Deleting a consumer drops its entries from the group PEL (moves nothing). */
    assert_int_equal(cg_consumer_delete(g, a), 5);
    assert_int_equal(count_group_pel(g), 4);
    assert_int_equal(count_cons_pel(b), 4);
    assert_int_equal(g->ncons, 1);
    for (cg_nack *x = cg_pel_first(g); x; x = cg_pel_next(x)) assert_ptr_equal(x->owner, b);
    cg_set_free(gs);
}

/* Many random operations checked against a bitmap of what is pending. */
static void test_pel_random(void **state)
{
    (void)state;
    enum { N = 2000 };
    static int owner_of[N];   /* -1 not pending, else consumer index */
    cgroups *gs = cg_set_new();
    cg_group *g = cg_create(gs, S("g"), ID(0, 0), 0);
    cg_consumer *cs[3];
    cs[0] = cg_consumer_create(g, S("c0"), 0);
    cs[1] = cg_consumer_create(g, S("c1"), 0);
    cs[2] = cg_consumer_create(g, S("c2"), 0);
    for (int i = 0; i < N; i++) owner_of[i] = -1;
    srand(7);
    size_t pending = 0;
    for (int step = 0; step < 20000; step++) {
        int i = rand() % N;
        cg_nack *k = cg_pel_find(g, ID((uint64_t)i / 7, (uint64_t)i % 7));
        assert_int_equal(k != NULL, owner_of[i] >= 0);
        int op = rand() % 3;
        if (!k) {
            int o = rand() % 3;
            cg_pel_add(g, cs[o], ID((uint64_t)i / 7, (uint64_t)i % 7), step, 1);
            owner_of[i] = o;
            pending++;
        } else if (op == 0) {
            cg_pel_remove(g, k);
            owner_of[i] = -1;
            pending--;
        } else {
            int o = rand() % 3;
            cg_pel_set_owner(k, cs[o]);
            owner_of[i] = o;
        }
        if (step % 1000 == 0) {
            assert_int_equal(count_group_pel(g), pending);
            size_t sum = 0;
            for (int c = 0; c < 3; c++) sum += count_cons_pel(cs[c]);
            assert_int_equal(sum, pending);
        }
    }
    /* Dup keeps everything, owners relinked to the copies. */
    cgroups *d = cg_set_dup(gs);
    cg_group *dg = cg_find(d, S("g"));
    assert_int_equal(count_group_pel(dg), pending);
    for (int c = 0; c < 3; c++) {
        cg_consumer *dc = cg_consumer_find(dg, cs[c]->name, cs[c]->nlen);
        assert_ptr_not_equal(dc, cs[c]);
        assert_int_equal(count_cons_pel(dc), cs[c]->pel.count);
    }
    assert_true(cg_set_mem(d) > pending * sizeof(cg_nack));
    cg_set_free(d);
    cg_set_free(gs);
}

static stream *mkstream(int n)
{
    stream *s = stream_new(4096, 100);
    const unsigned char *f = (const unsigned char *)"f";
    size_t l = 1;
    for (int i = 1; i <= n; i++) stream_append(s, ID((uint64_t)i, 0), 1, &f, &l, &f, &l);
    return s;
}

static void test_lag(void **state)
{
    (void)state;
    stream *s = mkstream(0);
    cgroups *gs = cg_set_new();
    cg_group *g = cg_create(gs, S("g"), ID(0, 0), CG_ENTRIES_READ_UNKNOWN);
    long long lag = -5;
    assert_int_equal(cg_lag(s, g, &lag), 1);   /* never-used stream: 0 */
    assert_int_equal(lag, 0);
    stream_free(s);

    s = mkstream(5);
    g->last_id = ID(0, 0);
    g->entries_read = 0;
    assert_int_equal(cg_lag(s, g, &lag), 1);
    assert_int_equal(lag, 5);
    cg_advance(s, g, ID(1, 0));
    cg_advance(s, g, ID(2, 0));
    assert_int_equal(g->entries_read, 2);
    assert_int_equal(cg_lag(s, g, &lag), 1);
    assert_int_equal(lag, 3);
    cg_advance(s, g, ID(2, 0));                /* not above: ignored */
    assert_int_equal(g->entries_read, 2);
    /* A tombstone ahead of the group makes its counter unusable. */
    stream_delete(s, ID(4, 0));
    assert_true(cg_range_has_tombstones(s, &g->last_id, NULL));
    assert_int_equal(cg_lag(s, g, &lag), 0);
    /* At the last ID the offset is exact again. */
    assert_int_equal(cg_estimate_offset(s, ID(5, 0)), 5);
    assert_int_equal(cg_estimate_offset(s, ID(6, 0)), CG_ENTRIES_READ_UNKNOWN);
    cg_advance(s, g, ID(3, 0));                /* entry by entry, as XREADGROUP */
    assert_int_equal(g->entries_read, CG_ENTRIES_READ_UNKNOWN);
    cg_advance(s, g, ID(5, 0));
    assert_int_equal(g->entries_read, 5);
    assert_int_equal(cg_lag(s, g, &lag), 1);
    assert_int_equal(lag, 0);
    /* Unknown counter, no tombstones: estimated from the first entry. */
    stream_free(s);
    s = mkstream(5);
    g->entries_read = CG_ENTRIES_READ_UNKNOWN;
    g->last_id = ID(0, 0);
    assert_int_equal(cg_lag(s, g, &lag), 1);
    assert_int_equal(lag, 5);
    g->last_id = ID(1, 0);
    assert_int_equal(cg_estimate_offset(s, ID(1, 0)), 1);
    assert_int_equal(cg_estimate_offset(s, ID(3, 0)), CG_ENTRIES_READ_UNKNOWN);
    stream_free(s);
    cg_set_free(gs);
}

static void test_dlq_setting(void **state)
{
    (void)state;
    cgroups *gs = cg_set_new();
    cg_group *g = cg_create(gs, S("g"), ID(0, 0), 0);
    cg_set_dlq(g, S("dead"), 3);
    assert_string_equal(g->dlq_key, "dead");
    assert_int_equal(g->dlq_max, 3);
    cgroups *d = cg_set_dup(gs);
    assert_string_equal(cg_find(d, S("g"))->dlq_key, "dead");
    cg_set_dlq(g, NULL, 0, 0);
    assert_null(g->dlq_key);
    cg_set_free(d);
    cg_set_free(gs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_sorted),
        cmocka_unit_test(test_consumers),
        cmocka_unit_test(test_pel_order_ack_claim),
        cmocka_unit_test(test_pel_random),
        cmocka_unit_test(test_lag),
        cmocka_unit_test(test_dlq_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
