/* set_test.c — unit tests for broker/types/set.c (intset and hashtable). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "set.h"

static int has(set *s, const char *m) { return set_contains(s, m, strlen(m)); }
static int add(set *s, const char *m, size_t max) { return set_add(s, m, strlen(m), max); }
static int rem(set *s, const char *m) { return set_remove(s, m, strlen(m)); }

/* members collects the set's members as strings, in iteration order. */
static size_t members(set *s, char out[][32], size_t max)
{
    set_iter it;
    set_elem e;
    size_t n = 0;
    set_iter_init(&it, s);
    while (set_next(&it, &e)) {
        char buf[24];
        size_t len;
        const char *p = set_elem_str(&e, buf, &len);
        assert_true(n < max);
        assert_true(len < 32);
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
    }
    set_iter_done(&it);
    return n;
}

static void scan_count(void *priv, const set_elem *e)
{
    (void)e;
    (*(size_t *)priv)++;
}

static void test_empty(void **state)
{
    (void)state;
    set *a = set_new_intset(), *b = set_new_hashtable();
    set *all[] = {a, b};
    for (int i = 0; i < 2; i++) {
        set *s = all[i];
        set_elem e;
        char out[1][32];
        size_t n = 0;
        assert_int_equal(set_size(s), 0);
        assert_false(has(s, "1"));
        assert_false(has(s, "x"));
        assert_false(rem(s, "1"));
        assert_null(set_pop(s));
        assert_int_equal(set_random(s, &e), -1);
        assert_int_equal(members(s, out, 1), 0);
        assert_int_equal(set_scan(s, 0, scan_count, &n), 0);
        assert_int_equal(n, 0);
        assert_true(set_mem(s) > 0);
        set *d = set_dup(s);
        assert_int_equal(set_size(d), 0);
        assert_int_equal(set_encoding(d), set_encoding(s));
        set_free(d);
    }
    assert_int_equal(set_encoding(a), SET_INTSET);
    assert_int_equal(set_encoding(b), SET_HASHTABLE);
    set_free(a);
    set_free(b);
    set_free(NULL);
}

static void test_one(void **state)
{
    (void)state;
    set *s = set_new_for("7", 1);
    assert_int_equal(set_encoding(s), SET_INTSET);
    assert_int_equal(add(s, "7", 512), 1);
    assert_int_equal(add(s, "7", 512), 0);
    assert_int_equal(set_size(s), 1);
    assert_true(has(s, "7"));
    assert_false(has(s, "07"));
    set_elem e;
    assert_int_equal(set_random(s, &e), 0);
    assert_true(e.is_int);
    assert_int_equal(e.v, 7);
    sbuf p = set_pop(s);
    assert_string_equal(p, "7");
    sbuf_free(p);
    assert_int_equal(set_size(s), 0);
    set_free(s);

    s = set_new_for("x", 1);
    assert_int_equal(set_encoding(s), SET_HASHTABLE);
    assert_int_equal(add(s, "x", 512), 1);
    assert_true(has(s, "x"));
    assert_int_equal(set_random(s, &e), 0);
    assert_false(e.is_int);
    assert_int_equal(e.len, 1);
    assert_int_equal(rem(s, "x"), 1);
    assert_int_equal(rem(s, "x"), 0);
    assert_int_equal(set_size(s), 0);
    set_free(s);
}

static void test_width_upgrades(void **state)
{
    (void)state;
    set *s = set_new_intset();
    assert_int_equal(add(s, "5", 512), 1);
    assert_int_equal(add(s, "-32768", 512), 1);
    assert_int_equal(add(s, "32767", 512), 1);
    assert_int_equal(set_intset_width(s), 2);
    assert_int_equal(add(s, "32768", 512), 1);              /* up to 32 bits, appended */
    assert_int_equal(set_intset_width(s), 4);
    assert_int_equal(add(s, "-2147483649", 512), 1);        /* up to 64 bits, prepended */
    assert_int_equal(set_intset_width(s), 8);
    assert_int_equal(add(s, "9223372036854775807", 512), 1);
    assert_int_equal(add(s, "-9223372036854775808", 512), 1);
    assert_int_equal(add(s, "32768", 512), 0);
    assert_int_equal(set_encoding(s), SET_INTSET);

    char out[16][32];
    size_t n = members(s, out, 16);
    const char *want[] = {"-9223372036854775808", "-2147483649", "-32768", "5", "32767", "32768",
                          "9223372036854775807"};
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) assert_string_equal(out[i], want[i]);
    for (size_t i = 0; i < n; i++) assert_true(has(s, want[i]));
    assert_false(has(s, "6"));
    assert_false(has(s, "9223372036854775808"));            /* not an integer: not there */

    /* Removal keeps the width; out-of-width values are simply absent. */
    assert_int_equal(rem(s, "-9223372036854775808"), 1);
    assert_int_equal(rem(s, "9223372036854775807"), 1);
    assert_int_equal(rem(s, "-2147483649"), 1);
    assert_int_equal(set_intset_width(s), 8);
    assert_int_equal(rem(s, "nope"), 0);
    assert_int_equal(set_size(s), 4);

    /* A 16-bit set: removing a wider value is a miss, not a crash. */
    set *t = set_new_intset();
    add(t, "1", 512);
    assert_int_equal(rem(t, "100000"), 0);
    assert_int_equal(rem(t, "-5000000000"), 0);
    assert_false(has(t, "100000"));
    set_free(t);

    set *d = set_dup(s);
    assert_int_equal(set_intset_width(d), 8);
    assert_int_equal(members(d, out, 16), 4);
    assert_string_equal(out[0], "-32768");
    set_free(d);
    set_free(s);
}

static void test_conversion_boundary(void **state)
{
    (void)state;
    char buf[32];
    set *s = set_new_intset();
    for (int i = 0; i < 512; i++) {
        snprintf(buf, sizeof buf, "%d", i * 3);
        assert_int_equal(add(s, buf, 512), 1);
    }
    assert_int_equal(set_encoding(s), SET_INTSET);
    assert_int_equal(add(s, "0", 512), 0);                  /* a duplicate at the limit: stays */
    assert_int_equal(set_encoding(s), SET_INTSET);
    assert_int_equal(add(s, "1", 512), 1);                  /* the 513th member converts */
    assert_int_equal(set_encoding(s), SET_HASHTABLE);
    assert_int_equal(set_size(s), 513);
    for (int i = 0; i < 512; i++) {
        snprintf(buf, sizeof buf, "%d", i * 3);
        assert_true(has(s, buf));
    }
    assert_true(has(s, "1"));
    /* Removing back below the limit never converts back. */
    for (int i = 0; i < 500; i++) {
        snprintf(buf, sizeof buf, "%d", i * 3);
        assert_int_equal(rem(s, buf), 1);
    }
    assert_int_equal(set_encoding(s), SET_HASHTABLE);
    set_free(s);

    /* Non-canonical integers are strings. */
    const char *notint[] = {"01", "-0", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "", "1.0", "0x1"};
    for (size_t i = 0; i < sizeof notint / sizeof notint[0]; i++) {
        s = set_new_for(notint[i], strlen(notint[i]));
        assert_int_equal(set_encoding(s), SET_HASHTABLE);
        set_free(s);
        s = set_new_intset();
        add(s, "1", 512);
        assert_int_equal(add(s, notint[i], 512), 1);
        assert_int_equal(set_encoding(s), SET_HASHTABLE);
        assert_true(has(s, "1"));
        assert_true(has(s, notint[i]));
        assert_int_equal(set_size(s), 2);
        set_free(s);
    }

    /* max 0: the first member converts. */
    s = set_new_intset();
    assert_int_equal(add(s, "1", 0), 1);
    assert_int_equal(set_encoding(s), SET_HASHTABLE);
    set_free(s);
}

static void test_binary_and_long_members(void **state)
{
    (void)state;
    set *s = set_new_hashtable();
    char big[1000];
    memset(big, 'z', sizeof big);
    assert_int_equal(set_add(s, "a\0b", 3, 512), 1);
    assert_int_equal(set_add(s, "a\0c", 3, 512), 1);
    assert_int_equal(set_add(s, big, sizeof big, 512), 1);
    assert_int_equal(set_add(s, big, sizeof big, 512), 0);
    assert_true(set_contains(s, big, sizeof big));
    assert_false(set_contains(s, big, sizeof big - 1));
    assert_true(set_contains(s, "a\0b", 3));
    assert_false(set_contains(s, "a", 1));
    assert_int_equal(set_remove(s, big, sizeof big), 1);
    assert_int_equal(set_size(s), 2);
    set_elem e = {.is_int = 1, .v = 12};
    assert_false(set_contains_elem(s, &e));
    assert_int_equal(set_add_elem(s, &e, 512), 1);
    assert_true(set_contains(s, "12", 2));
    assert_true(set_contains_elem(s, &e));
    set_free(s);
}

/* A shadow model: a universe of candidate members and a present[] flag. */
#define UNIVERSE 300

static void random_ops_with(size_t max_intset, int ints_only, unsigned seed)
{
    static char uni[UNIVERSE][32];
    int present[UNIVERSE] = {0};
    size_t count = 0;
    srand(seed);
    for (int i = 0; i < UNIVERSE; i++) {
        if (ints_only || i % 3) {
            long long v = (long long)(rand() % 2000) - 1000;
            if (i % 7 == 0) v *= 100000;
            if (i % 11 == 0) v *= 10000000000LL;
            snprintf(uni[i], sizeof uni[i], "%lld", v);
        } else {
            snprintf(uni[i], sizeof uni[i], "m:%d", i);
        }
        for (int j = 0; j < i; j++)             /* keep the universe distinct */
            if (!strcmp(uni[i], uni[j])) snprintf(uni[i], sizeof uni[i], "%d", 5000000 + i);
    }
    set *s = set_new_intset();
    for (int step = 0; step < 20000; step++) {
        int i = rand() % UNIVERSE, op = rand() % 10;
        if (op < 5) {
            int added = add(s, uni[i], max_intset);
            assert_int_equal(added, !present[i]);
            if (added) count++;
            present[i] = 1;
        } else if (op < 8) {
            int removed = rem(s, uni[i]);
            assert_int_equal(removed, present[i]);
            if (removed) count--;
            present[i] = 0;
        } else if (op < 9) {
            sbuf p = set_pop(s);
            if (count == 0) {
                assert_null(p);
                continue;
            }
            int found = -1;
            for (int j = 0; j < UNIVERSE; j++)
                if (present[j] && !strcmp(uni[j], p)) found = j;
            assert_true(found >= 0);
            present[found] = 0;
            count--;
            sbuf_free(p);
        } else {
            assert_int_equal(has(s, uni[i]), present[i]);
        }
        assert_int_equal(set_size(s), count);
        if (ints_only && count <= max_intset && set_encoding(s) == SET_HASHTABLE) {
            /* Converted earlier by size; fine, never back. */
        }
        if (ints_only && count > max_intset) assert_int_equal(set_encoding(s), SET_HASHTABLE);
    }
    /* Full comparison: iteration, scan, dup. */
    static char out[UNIVERSE][32];
    size_t n = members(s, out, UNIVERSE);
    assert_int_equal(n, count);
    for (size_t k = 0; k < n; k++) {
        int found = 0;
        for (int j = 0; j < UNIVERSE; j++)
            if (present[j] && !strcmp(uni[j], out[k])) found = 1;
        assert_true(found);
    }
    if (set_encoding(s) == SET_INTSET)
        for (size_t k = 1; k < n; k++) assert_true(atoll(out[k - 1]) < atoll(out[k]));
    size_t scanned = 0;
    uint64_t cur = 0;
    do cur = set_scan(s, cur, scan_count, &scanned);
    while (cur);
    assert_true(scanned >= count);
    set *d = set_dup(s);
    for (int j = 0; j < UNIVERSE; j++) assert_int_equal(has(d, uni[j]), present[j]);
    set_free(d);
    /* Drain by popping: every member exactly once. */
    while (count) {
        sbuf p = set_pop(s);
        assert_non_null(p);
        int found = -1;
        for (int j = 0; j < UNIVERSE; j++)
            if (present[j] && !strcmp(uni[j], p)) found = j;
        assert_true(found >= 0);
        present[found] = 0;
        count--;
        sbuf_free(p);
    }
    assert_int_equal(set_size(s), 0);
    set_free(s);
}

static void test_random_ops_vs_shadow(void **state)
{
    (void)state;
    random_ops_with(512, 1, 1);
    random_ops_with(64, 1, 2);
    random_ops_with(512, 0, 3);
    random_ops_with(16, 0, 4);
}

static void test_random_covers_members(void **state)
{
    (void)state;
    set *a = set_new_intset(), *b = set_new_hashtable();
    for (int i = 0; i < 5; i++) {
        set_add_ll(a, i * 1000, 512);
        set_add_ll(b, i * 1000, 512);
    }
    set *all[] = {a, b};
    for (int k = 0; k < 2; k++) {
        int seen[5] = {0};
        for (int t = 0; t < 500; t++) {
            set_elem e;
            char buf[24];
            size_t len;
            assert_int_equal(set_random(all[k], &e), 0);
            const char *p = set_elem_str(&e, buf, &len);
            long v = strtol(p, NULL, 10);
            assert_true(v % 1000 == 0 && v / 1000 < 5);
            seen[v / 1000] = 1;
        }
        for (int i = 0; i < 5; i++) assert_true(seen[i]);
    }
    set_free(a);
    set_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one),
        cmocka_unit_test(test_width_upgrades),
        cmocka_unit_test(test_conversion_boundary),
        cmocka_unit_test(test_binary_and_long_members),
        cmocka_unit_test(test_random_ops_vs_shadow),
        cmocka_unit_test(test_random_covers_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
