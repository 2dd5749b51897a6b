/* hash_test.c — unit tests for broker/types/hash.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "sbuf.h"

static const hash_limits *lim = &hash_default_limits;

/* hset/hget/hdel with C strings (fields become temporary sbufs). */
static int hset(hash *h, const char *f, const char *v)
{
    sbuf s = sbuf_from_cstr(f);
    int r = hash_set(h, s, v, strlen(v), lim);
    sbuf_free(s);
    return r;
}

static const char *hget(hash *h, const char *f, size_t *n)
{
    sbuf s = sbuf_from_cstr(f);
    const char *v = NULL;
    if (!hash_get(h, s, &v, n)) v = NULL;
    sbuf_free(s);
    return v;
}

static int hdel(hash *h, const char *f)
{
    sbuf s = sbuf_from_cstr(f);
    int r = hash_delete(h, s);
    sbuf_free(s);
    return r;
}

static size_t walk_count(hash *h)
{
    hash_iter it;
    hash_entry e;
    size_t n = 0;
    hash_iter_init(&it, h);
    while (hash_next(&it, &e)) n++;
    hash_iter_done(&it);
    return n;
}

static void test_empty(void **state)
{
    (void)state;
    hash *h = hash_new();
    size_t n;
    assert_true(hash_is_packed(h));
    assert_int_equal(hash_len(h), 0);
    assert_null(hget(h, "x", &n));
    assert_int_equal(hdel(h, "x"), 0);
    assert_int_equal(walk_count(h), 0);
    hash_entry out[1];
    hash_random_unique(h, out, 1);   /* nothing to pick: no crash */
    hash *d = hash_dup(h);
    assert_int_equal(hash_len(d), 0);
    hash_free(d);
    hash_free(h);
}

static void test_one_field(void **state)
{
    (void)state;
    hash *h = hash_new();
    size_t n;
    assert_int_equal(hset(h, "f", "v"), 1);
    assert_int_equal(hset(h, "f", "value2"), 0);
    const char *v = hget(h, "f", &n);
    assert_non_null(v);
    assert_int_equal(n, 6);
    assert_memory_equal(v, "value2", 6);
    assert_int_equal(hset(h, "f", ""), 0);
    v = hget(h, "f", &n);
    assert_non_null(v);
    assert_int_equal(n, 0);
    hash_entry e;
    hash_random(h, &e);
    assert_int_equal(e.flen, 1);
    assert_memory_equal(e.f, "f", 1);
    assert_int_equal(hdel(h, "f"), 1);
    assert_int_equal(hash_len(h), 0);
    assert_int_equal(h->used, 0);
    hash_free(h);
}

static void test_entries_boundary(void **state)
{
    (void)state;
    hash *h = hash_new();
    char f[32];
    for (int i = 0; i < HASH_MAX_PACKED_ENTRIES; i++) {
        snprintf(f, sizeof f, "f%d", i);
        assert_int_equal(hset(h, f, "v"), 1);
    }
    assert_true(hash_is_packed(h));
    /* Insertion order while packed. */
    hash_iter it;
    hash_entry e;
    hash_iter_init(&it, h);
    assert_true(hash_next(&it, &e));
    assert_memory_equal(e.f, "f0", 2);
    hash_iter_done(&it);
    /* Overwrites do not convert. */
    assert_int_equal(hset(h, "f0", "w"), 0);
    assert_true(hash_is_packed(h));
    assert_int_equal(hset(h, "one-more", "v"), 1);
    assert_false(hash_is_packed(h));
    assert_int_equal(hash_len(h), HASH_MAX_PACKED_ENTRIES + 1);
    size_t n;
    const char *v = hget(h, "f0", &n);
    assert_non_null(v);
    assert_memory_equal(v, "w", 1);
    /* Deleting back under the limit keeps the dict. */
    assert_int_equal(hdel(h, "one-more"), 1);
    assert_false(hash_is_packed(h));
    assert_int_equal(walk_count(h), HASH_MAX_PACKED_ENTRIES);
    hash_free(h);
}

static void test_value_boundary(void **state)
{
    (void)state;
    char big[HASH_MAX_PACKED_VALUE + 2];
    memset(big, 'x', sizeof big);
    big[HASH_MAX_PACKED_VALUE] = '\0';
    hash *h = hash_new();
    hset(h, "a", big);               /* exactly the limit: stays packed */
    assert_true(hash_is_packed(h));
    hset(h, big, "b");               /* field at the limit too */
    assert_true(hash_is_packed(h));
    big[HASH_MAX_PACKED_VALUE] = 'x';
    big[HASH_MAX_PACKED_VALUE + 1] = '\0';
    hset(h, "c", big);               /* one over: converts */
    assert_false(hash_is_packed(h));
    assert_int_equal(hash_len(h), 3);
    hash_free(h);

    h = hash_new();
    hset(h, big, "v");               /* long field converts too */
    assert_false(hash_is_packed(h));
    hash_free(h);
}

static void test_long_lengths_packed(void **state)
{
    (void)state;
    /* Lengths needing 2- and 3-byte prefixes, under generous limits. */
    hash_limits wide = {16, 1 << 20};
    hash *h = hash_new();
    size_t sizes[] = {127, 128, 300, 16383, 16384, 70000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *v = xmalloc(sizes[i]);
        memset(v, 'a' + (int)i, sizes[i]);
        char f[16];
        snprintf(f, sizeof f, "k%zu", i);
        sbuf s = sbuf_from_cstr(f);
        assert_int_equal(hash_set(h, s, v, sizes[i], &wide), 1);
        /* grow and shrink the first value in place */
        sbuf k0 = sbuf_from_cstr("k0");
        assert_int_equal(hash_set(h, k0, v, sizes[i], &wide), 0);
        assert_int_equal(hash_set(h, k0, "z", 1, &wide), 0);
        sbuf_free(k0);
        sbuf_free(s);
        xfree(v);
    }
    assert_true(hash_is_packed(h));
    for (size_t i = 1; i < sizeof sizes / sizeof sizes[0]; i++) {
        char f[16];
        snprintf(f, sizeof f, "k%zu", i);
        size_t n;
        const char *v = hget(h, f, &n);
        assert_non_null(v);
        assert_int_equal(n, sizes[i]);
        assert_int_equal(v[n - 1], 'a' + (int)i);
    }
    hash_free(h);
}

/* ---- random operations against a shadow table ------------------------------ */

#define SHADOW_KEYS 800

typedef struct {
    char *val[SHADOW_KEYS];      /* NULL: absent */
} shadow;

static void check_against(hash *h, shadow *sh)
{
    size_t expect = 0;
    for (int i = 0; i < SHADOW_KEYS; i++) {
        char f[16];
        snprintf(f, sizeof f, "field:%d", i);
        size_t n;
        const char *v = hget(h, f, &n);
        if (sh->val[i]) {
            expect++;
            assert_non_null(v);
            assert_int_equal(n, strlen(sh->val[i]));
            assert_memory_equal(v, sh->val[i], n);
        } else {
            assert_null(v);
        }
    }
    assert_int_equal(hash_len(h), expect);
    assert_int_equal(walk_count(h), expect);
}

static void scan_count(void *priv, const hash_entry *e)
{
    (void)e;
    (*(size_t *)priv)++;
}

static void run_shadow(unsigned seed, int nkeys, int maxval)
{
    srand(seed);
    shadow sh = {{0}};
    hash *h = hash_new();
    int was_dict = 0;
    for (int op = 0; op < 8000; op++) {
        int k = rand() % nkeys;
        char f[32];
        snprintf(f, sizeof f, "field:%d", k);
        int r = rand() % 10;
        if (r < 6) {
            int len = rand() % (maxval + 1);
            char *v = xmalloc((size_t)len + 1);
            for (int j = 0; j < len; j++) v[j] = (char)('a' + rand() % 26);
            v[len] = '\0';
            int added = hset(h, f, v);
            assert_int_equal(added, sh.val[k] == NULL);
            xfree(sh.val[k]);
            sh.val[k] = v;
        } else {
            int del = hdel(h, f);
            assert_int_equal(del, sh.val[k] != NULL);
            xfree(sh.val[k]);
            sh.val[k] = NULL;
        }
        if (!hash_is_packed(h)) was_dict = 1;
        assert_true(!was_dict || !hash_is_packed(h));    /* never converts back */
        if (op % 97 == 0) {
            check_against(h, &sh);
            size_t len = hash_len(h);
            if (len) {
                /* random picks are real pairs; unique picks are distinct */
                hash_entry pick[32];
                size_t want = len < 32 ? len : 32;
                hash_random_unique(h, pick, want);
                for (size_t a = 0; a < want; a++)
                    for (size_t b = a + 1; b < want; b++)
                        assert_false(pick[a].flen == pick[b].flen &&
                                     memcmp(pick[a].f, pick[b].f, pick[a].flen) == 0);
                hash_random_many(h, pick, 32);
                for (int a = 0; a < 32; a++) {
                    sbuf s = sbuf_new(pick[a].f, pick[a].flen);
                    assert_true(hash_exists(h, s));
                    sbuf_free(s);
                }
            }
            /* a full scan sees every pair at least once */
            size_t seen = 0;
            uint64_t cur = 0;
            do cur = hash_scan(h, cur, scan_count, &seen);
            while (cur);
            assert_true(seen >= len);
            hash *d = hash_dup(h);
            assert_int_equal(hash_is_packed(d), hash_is_packed(h));
            check_against(d, &sh);
            hash_free(d);
            assert_true(hash_mem(h) > 0);
        }
    }
    check_against(h, &sh);
    for (int i = 0; i < SHADOW_KEYS; i++) xfree(sh.val[i]);
    hash_free(h);
}

static void test_shadow_small(void **state)
{
    (void)state;
    run_shadow(1, 60, 20);       /* stays packed: few keys, short values */
}

static void test_shadow_converting(void **state)
{
    (void)state;
    run_shadow(2, SHADOW_KEYS, 40);   /* crosses 512 entries */
    run_shadow(3, 50, 80);            /* crosses the value limit */
}

static void test_random_unique_all(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        hash *h = hash_new();
        int n = round ? 2000 : 50;
        char f[16];
        for (int i = 0; i < n; i++) {
            snprintf(f, sizeof f, "%d", i);
            hset(h, f, "v");
        }
        assert_int_equal(hash_is_packed(h), round == 0);
        hash_entry *out = xmalloc((size_t)n * sizeof(*out));
        /* all of them, a third, a few */
        size_t wants[] = {(size_t)n, (size_t)n / 3 + 1, 5};
        for (int w = 0; w < 3; w++) {
            hash_random_unique(h, out, wants[w]);
            char *seen = xcalloc((size_t)n, 1);
            for (size_t i = 0; i < wants[w]; i++) {
                int k = atoi(out[i].f);
                assert_false(seen[k]);
                seen[k] = 1;
            }
            xfree(seen);
        }
        xfree(out);
        hash_free(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one_field),
        cmocka_unit_test(test_entries_boundary),
        cmocka_unit_test(test_value_boundary),
        cmocka_unit_test(test_long_lengths_packed),
        cmocka_unit_test(test_shadow_small),
        cmocka_unit_test(test_shadow_converting),
        cmocka_unit_test(test_random_unique_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
