/* qlist_test.c — unit tests for broker/types/qlist.c. */
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
#include "qlist.h"

/* entry_is: the entry's bytes equal the C string s. */
static int entry_is(const ql_entry *e, const char *s)
{
    char buf[24];
    size_t n;
    const char *p = ql_entry_bytes(e, buf, &n);
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

static void push_s(qlist *l, int where, const char *s) { ql_push(l, where, s, strlen(s)); }

static void test_empty(void **st)
{
    qlist *l = ql_new(-2);
    ql_entry e;
    assert_int_equal(ql_len(l), 0);
    assert_false(ql_peek(l, QL_HEAD, &e));
    assert_false(ql_peek(l, QL_TAIL, &e));
    assert_false(ql_index(l, 0, &e));
    assert_false(ql_index(l, -1, &e));
    ql_pop(l, QL_HEAD);
    ql_del_range(l, 0, 10);
    ql_iter it;
    ql_iter_init(&it, l, 0, QL_FORWARD);
    assert_false(ql_next(&it, &e));
    assert_int_equal(ql_check(l), 0);
    qlist *d = ql_dup(l);
    assert_int_equal(ql_len(d), 0);
    ql_free(d);
    ql_free(l);
}

static void test_one_element(void **st)
{
    qlist *l = ql_new(-2);
    ql_entry e;
    push_s(l, QL_TAIL, "hello");
    assert_int_equal(ql_len(l), 1);
    assert_true(ql_peek(l, QL_HEAD, &e));
    assert_true(entry_is(&e, "hello"));
    assert_true(ql_peek(l, QL_TAIL, &e));
    assert_true(entry_is(&e, "hello"));
    assert_true(ql_index(l, -1, &e));
    assert_false(ql_index(l, 1, &e));
    assert_false(ql_index(l, -2, &e));
    ql_pop(l, QL_TAIL);
    assert_int_equal(ql_len(l), 0);
    assert_null(l->head);
    assert_int_equal(ql_check(l), 0);
    ql_free(l);
}

/* Values of every encoding read back as the same bytes. */
static void test_encodings(void **st)
{
    const char *vals[] = {"0", "1", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767", "-32768",
                          "32768", "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
                          "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                          "-9223372036854775809", "01", "-0", "+1", " 1", "1 ", "", "-", "abc", "1.5"};
    size_t n = sizeof vals / sizeof vals[0];
    qlist *l = ql_new(-2);
    for (size_t i = 0; i < n; i++) push_s(l, QL_TAIL, vals[i]);
    for (size_t i = 0; i < n; i++) {
        ql_entry e;
        assert_true(ql_index(l, (long long)i, &e));
        assert_true(entry_is(&e, vals[i]));
        assert_true(ql_entry_eq(&e, vals[i], strlen(vals[i])));
    }
    ql_entry e;
    ql_index(l, 0, &e);
    assert_null(e.str);             /* "0" stored as an integer */
    assert_false(ql_entry_eq(&e, "00", 2));
    ql_index(l, 22, &e);
    assert_non_null(e.str);         /* "01" stays a string */
    /* Long strings: 63, 64, 4095, 4096, 100000 bytes. */
    size_t lens[] = {63, 64, 4095, 4096, 100000};
    for (size_t i = 0; i < 5; i++) {
        char *b = xmalloc(lens[i]);
        memset(b, 'a' + (int)i, lens[i]);
        ql_push(l, QL_HEAD, b, lens[i]);
        ql_peek(l, QL_HEAD, &e);
        assert_int_equal(e.len, lens[i]);
        assert_memory_equal(e.str, b, lens[i]);
        xfree(b);
    }
    assert_int_equal(ql_check(l), 0);
    ql_free(l);
}

/* Pushing many entries splits into chunks within the size cap; popping them
 * all frees every chunk. */
static void test_chunks_split_and_free(void **st)
{
    qlist *l = ql_new(-2);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(buf, sizeof buf, "value-%d", i);
        push_s(l, i % 2 ? QL_HEAD : QL_TAIL, buf);
    }
    assert_int_equal(ql_check(l), 0);
    assert_true(l->nchunks > 10);
    /* 20000 entries of ~12 bytes in 8 KiB chunks: about 30 chunks, not 20000. */
    assert_true(l->nchunks < 60);
    while (ql_len(l)) ql_pop(l, QL_HEAD);
    assert_int_equal(l->nchunks, 0);
    assert_int_equal(ql_mem(l), sizeof(qlist));
    ql_free(l);

    /* Count-limited chunks. */
    l = ql_new(5);
    for (int i = 0; i < 23; i++) push_s(l, QL_TAIL, "x");
    assert_int_equal(l->nchunks, 5);
    for (uint64_t i = 0; i < 4; i++) assert_int_equal(ql_chunk_entries(l, i), 5);
    assert_int_equal(ql_chunk_entries(l, 4), 3);
    assert_int_equal(ql_check(l), 0);
    ql_free(l);
}

/* Inserting into the middle of a full chunk splits it; deleting lets small
 * neighbours merge back. */
static void test_split_and_merge(void **st)
{
    qlist *l = ql_new(4);
    for (int i = 0; i < 8; i++) push_s(l, QL_TAIL, "a");
    assert_int_equal(l->nchunks, 2);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 1, QL_FORWARD);
    assert_true(ql_next(&it, &e));
    ql_iter_insert(&it, 1, "mid", 3);       /* after index 1 of a full chunk */
    assert_int_equal(ql_check(l), 0);
    assert_int_equal(l->nchunks, 3);
    assert_true(ql_index(l, 2, &e));
    assert_true(entry_is(&e, "mid"));
    assert_int_equal(ql_len(l), 9);
    /* Delete down to small chunks: they merge. */
    ql_del_range(l, 1, 6);
    assert_int_equal(ql_check(l), 0);
    assert_int_equal(ql_len(l), 3);
    assert_int_equal(l->nchunks, 1);
    ql_free(l);

    /* Size-based: a chunk split by insert, then merged by LREM-style deletes. */
    l = ql_new(-1);   /* 4 KiB */
    char v[100];
    memset(v, 'v', sizeof v);
    for (int i = 0; i < 80; i++) ql_push(l, QL_TAIL, v, sizeof v);
    uint64_t before = l->nchunks;
    ql_iter_init(&it, l, 20, QL_FORWARD);
    ql_next(&it, &e);
    ql_iter_insert(&it, 0, v, sizeof v);   /* 40 entries of 102 bytes are full */
    assert_true(l->nchunks > before);
    assert_int_equal(ql_check(l), 0);
    ql_iter_init(&it, l, 0, QL_FORWARD);
    int k = 0;
    while (ql_next(&it, &e))
        if (k++ % 8) ql_iter_del(&it);
    assert_int_equal(ql_check(l), 0);
    assert_int_equal(ql_len(l), 11);   /* 81 entries, every 8th kept */
    assert_int_equal(l->nchunks, 1);
    ql_free(l);
}

/* A value larger than the chunk cap gets its own chunk. */
static void test_big_entry(void **st)
{
    qlist *l = ql_new(-1);
    push_s(l, QL_TAIL, "a");
    size_t n = 10000;
    char *b = xmalloc(n);
    memset(b, 'z', n);
    ql_push(l, QL_TAIL, b, n);
    push_s(l, QL_TAIL, "c");
    assert_int_equal(l->nchunks, 3);
    assert_int_equal(ql_check(l), 0);
    ql_entry e;
    ql_index(l, 1, &e);
    assert_int_equal(e.len, n);
    ql_iter it;
    ql_iter_init(&it, l, 0, QL_FORWARD);
    ql_next(&it, &e);
    ql_iter_replace(&it, b, n);     /* replace a small one by a big one */
    assert_int_equal(ql_check(l), 0);
    ql_index(l, 0, &e);
    assert_int_equal(e.len, n);
    xfree(b);
    ql_free(l);
}

/* Random operations against a shadow array of strings. */
typedef struct shadow {
    char **v;
    size_t n, cap;
} shadow;

static void sh_insert(shadow *s, size_t at, const char *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof *s->v);
    s->v[at] = xstrdup(v);
    s->n++;
}

static void sh_delete(shadow *s, size_t at, size_t k)
{
    for (size_t i = at; i < at + k; i++) xfree(s->v[i]);
    memmove(s->v + at, s->v + at + k, (s->n - at - k) * sizeof *s->v);
    s->n -= k;
}

static void rand_value(char *buf, size_t cap, unsigned *seed)
{
    int kind = rand_r(seed) % 5;
    if (kind == 0) snprintf(buf, cap, "%d", rand_r(seed) % 300 - 150);
    else if (kind == 1) snprintf(buf, cap, "%lld", (long long)rand_r(seed) * rand_r(seed) * (rand_r(seed) % 2 ? 1 : -1));
    else if (kind == 2) snprintf(buf, cap, "s%d", rand_r(seed) % 1000);
    else if (kind == 3) {
        size_t n = (size_t)(rand_r(seed) % 300);
        for (size_t i = 0; i < n; i++) buf[i] = (char)('a' + rand_r(seed) % 26);
        buf[n] = '\0';
    } else snprintf(buf, cap, "0%d", rand_r(seed) % 10);
}

static void compare(qlist *l, shadow *s)
{
    assert_int_equal(ql_len(l), s->n);
    assert_int_equal(ql_check(l), 0);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 0, QL_FORWARD);
    for (size_t i = 0; i < s->n; i++) {
        assert_true(ql_next(&it, &e));
        assert_true(entry_is(&e, s->v[i]));
    }
    assert_false(ql_next(&it, &e));
    ql_iter_init(&it, l, -1, QL_BACKWARD);
    for (size_t i = s->n; i-- > 0;) {
        assert_true(ql_next(&it, &e));
        assert_true(entry_is(&e, s->v[i]));
    }
    assert_false(ql_next(&it, &e));
}

static void run_random(int fill, unsigned seed, int ops)
{
    qlist *l = ql_new(fill);
    shadow s = {0};
    char buf[400];
    for (int op = 0; op < ops; op++) {
        int what = rand_r(&seed) % 10;
        rand_value(buf, sizeof buf, &seed);
        if (what <= 2) {
            int head = rand_r(&seed) % 2;
            ql_push(l, head ? QL_HEAD : QL_TAIL, buf, strlen(buf));
            sh_insert(&s, head ? 0 : s.n, buf);
        } else if (what == 3 && s.n) {
            int head = rand_r(&seed) % 2;
            ql_entry e;
            assert_true(ql_peek(l, head ? QL_HEAD : QL_TAIL, &e));
            assert_true(entry_is(&e, s.v[head ? 0 : s.n - 1]));
            ql_pop(l, head ? QL_HEAD : QL_TAIL);
            sh_delete(&s, head ? 0 : s.n - 1, 1);
        } else if (what == 4 && s.n) {      /* insert before/after an index */
            size_t i = (size_t)rand_r(&seed) % s.n;
            int after = rand_r(&seed) % 2;
            ql_iter it;
            ql_entry e;
            ql_iter_init(&it, l, (long long)i, QL_FORWARD);
            assert_true(ql_next(&it, &e));
            ql_iter_insert(&it, after, buf, strlen(buf));
            sh_insert(&s, i + (size_t)after, buf);
        } else if (what == 5 && s.n) {      /* replace */
            size_t i = (size_t)rand_r(&seed) % s.n;
            ql_iter it;
            ql_entry e;
            ql_iter_init(&it, l, (long long)i, QL_FORWARD);
            assert_true(ql_next(&it, &e));
            ql_iter_replace(&it, buf, strlen(buf));
            xfree(s.v[i]);
            s.v[i] = xstrdup(buf);
        } else if (what == 6 && s.n) {      /* delete range */
            size_t i = (size_t)rand_r(&seed) % s.n;
            size_t k = (size_t)rand_r(&seed) % (s.n - i) + 1;
            if (rand_r(&seed) % 4) k = k % 20 + 1;
            if (k > s.n - i) k = s.n - i;
            ql_del_range(l, i, k);
            sh_delete(&s, i, k);
        } else if (what == 7 && s.n) {      /* iterate, deleting some, either way */
            int dir = rand_r(&seed) % 2;
            ql_iter it;
            ql_entry e;
            size_t i = dir ? s.n : 0;
            ql_iter_init(&it, l, dir ? -1 : 0, dir ? QL_BACKWARD : QL_FORWARD);
            int mod = rand_r(&seed) % 5 + 2;
            while (ql_next(&it, &e)) {
                size_t at = dir ? --i : i;
                assert_true(entry_is(&e, s.v[at]));
                if (rand_r(&seed) % mod == 0) {
                    ql_iter_del(&it);
                    sh_delete(&s, at, 1);
                } else if (!dir) {
                    i++;
                }
            }
        } else if (what == 8 && s.n) {
            long long i = (long long)(rand_r(&seed) % (int)s.n);
            if (rand_r(&seed) % 2) i = i - (long long)s.n;
            ql_entry e;
            assert_true(ql_index(l, i, &e));
            assert_true(entry_is(&e, s.v[i < 0 ? (size_t)(i + (long long)s.n) : (size_t)i]));
        } else if (what == 9 && op % 50 == 0) {
            qlist *d = ql_dup(l);
            compare(d, &s);
            ql_free(l);
            l = d;
        }
        if (op % 97 == 0) compare(l, &s);
    }
    compare(l, &s);
    sh_delete(&s, 0, s.n);
    xfree(s.v);
    ql_free(l);
}

static void test_random_vs_shadow(void **st)
{
    int fills[] = {-2, -1, 1, 2, 3, 16, 128};
    for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++)
        for (unsigned seed = 1; seed <= 4; seed++) run_random(fills[f], seed * 7919 + (unsigned)f, 4000);
}

/* Ranges and indexes near and past 2^32 entries, by arithmetic. */
static void test_range_norm_big(void **st)
{
    uint64_t from, n;
    uint64_t big = (1ULL << 32) + 5;
    assert_true(ql_range_norm(big, 0, -1, &from, &n));
    assert_int_equal(from, 0);
    assert_true(n == big);
    assert_true(ql_range_norm(big, -2, -1, &from, &n));
    assert_true(from == big - 2 && n == 2);
    assert_true(ql_range_norm(big, (long long)(1ULL << 32), (long long)(1ULL << 32) + 100, &from, &n));
    assert_true(from == (1ULL << 32) && n == 5);
    assert_false(ql_range_norm(big, (long long)big, -1, &from, &n));
    assert_true(ql_range_norm(big, -(long long)big - 100, 0, &from, &n));
    assert_true(from == 0 && n == 1);
    assert_false(ql_range_norm(big, 0, -(long long)big - 1, &from, &n));
    assert_true(ql_range_norm(UINT32_MAX, 0, (long long)UINT32_MAX, &from, &n));
    assert_true(n == UINT32_MAX);
    assert_false(ql_range_norm(0, 0, -1, &from, &n));
    assert_false(ql_range_norm(10, 5, 4, &from, &n));
    assert_true(ql_range_norm(10, LLONG_MIN, LLONG_MAX, &from, &n));
    assert_true(from == 0 && n == 10);
    /* The list's own counters are 64-bit. */
    qlist *l = ql_new(-2);
    assert_int_equal(sizeof l->count, 8);
    ql_free(l);
}

/* Memory per small element stays at or under Redis's quicklist (about 8 KiB
 * listpacks: ~2-3 bytes per small integer, plus 32+ bytes per node). */
static void test_memory_small_elements(void **st)
{
    qlist *l = ql_new(-2);
    char buf[16];
    for (int i = 0; i < 100000; i++) {
        snprintf(buf, sizeof buf, "%d", i % 100);
        push_s(l, QL_TAIL, buf);
    }
    double per = (double)ql_mem(l) / 100000.0;
    assert_true(per < 2.2);   /* 2 bytes per entry plus chunk headers */
    ql_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one_element),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_chunks_split_and_free),
        cmocka_unit_test(test_split_and_merge),
        cmocka_unit_test(test_big_entry),
        cmocka_unit_test(test_random_vs_shadow),
        cmocka_unit_test(test_range_norm_big),
        cmocka_unit_test(test_memory_small_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
