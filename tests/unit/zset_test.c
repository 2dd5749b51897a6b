/* zset_test.c — unit tests for broker/types/zset.c (both encodings). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zset.h"

#define S(x) x, strlen(x)

static zset *mk(int enc) { return zs_new(enc, ZS_MAX_PACK_ENTRIES, ZS_MAX_PACK_VALUE); }

static void add(zset *z, const char *m, double s)
{
    int out;
    double ns;
    assert_int_equal(zs_add(z, S(m), s, 0, &out, &ns), 1);
}

/* Collect members of ascending ranks [r, r+n) as "a,b,c". */
static void members(zset *z, size_t r, int rev, size_t n, char *buf)
{
    zs_iter it;
    const char *m;
    size_t len;
    double s;
    buf[0] = 0;
    zs_iter_init(&it, z, r, rev, n);
    while (zs_iter_next(&it, &m, &len, &s)) {
        if (buf[0]) strcat(buf, ",");
        strncat(buf, m, len);
    }
}

static void test_empty(void **st)
{
    for (int enc = 0; enc < 2; enc++) {
        zset *z = mk(enc);
        assert_int_equal(zs_len(z), 0);
        assert_int_equal(zs_score(z, S("a"), NULL), 0);
        assert_int_equal(zs_del(z, S("a")), 0);
        assert_int_equal(zs_rank(z, S("a"), 0, NULL), -1);
        size_t first;
        zs_range r = {-INFINITY, INFINITY, 0, 0};
        assert_int_equal(zs_range_score(z, &r, &first), 0);
        assert_int_equal(zs_delete_ranks(z, 0, 10), 0);
        char buf[64];
        members(z, 0, 0, 10, buf);
        assert_string_equal(buf, "");
        zset *d = zs_dup(z);
        assert_int_equal(zs_len(d), 0);
        zs_free(d);
        zs_free(z);
    }
}

static void test_one(void **st)
{
    for (int enc = 0; enc < 2; enc++) {
        zset *z = mk(enc);
        add(z, "x", 1.5);
        double s;
        assert_int_equal(zs_score(z, S("x"), &s), 1);
        assert_true(s == 1.5);
        assert_int_equal(zs_rank(z, S("x"), 0, NULL), 0);
        assert_int_equal(zs_rank(z, S("x"), 1, NULL), 0);
        char buf[64];
        members(z, 0, 1, 5, buf);
        assert_string_equal(buf, "x");
        assert_int_equal(zs_del(z, S("x")), 1);
        assert_int_equal(zs_len(z), 0);
        /* empty member */
        add(z, "", 0);
        assert_int_equal(zs_score(z, "", 0, &s), 1);
        zs_free(z);
    }
}

static void test_ranks_and_flags(void **st)
{
    for (int enc = 0; enc < 2; enc++) {
        zset *z = mk(enc);
        add(z, "c", 3);
        add(z, "a", 1);
        add(z, "b", 2);
        add(z, "b2", 2);
        char buf[64];
        members(z, 0, 0, 10, buf);
        assert_string_equal(buf, "a,b,b2,c");
        members(z, 3, 1, 10, buf);
        assert_string_equal(buf, "c,b2,b,a");
        assert_int_equal(zs_rank(z, S("b2"), 0, NULL), 2);
        assert_int_equal(zs_rank(z, S("b2"), 1, NULL), 1);
        int out;
        double ns;
        assert_int_equal(zs_add(z, S("a"), 10, ZS_IN_NX, &out, &ns), 1);
        assert_int_equal(out, ZS_OUT_NOP);
        assert_int_equal(zs_add(z, S("zz"), 10, ZS_IN_XX, &out, &ns), 1);
        assert_int_equal(out, ZS_OUT_NOP);
        assert_int_equal(zs_add(z, S("a"), 0, ZS_IN_GT, &out, &ns), 1);
        assert_int_equal(out, ZS_OUT_NOP);
        assert_int_equal(zs_add(z, S("a"), 5, ZS_IN_INCR, &out, &ns), 1);
        assert_int_equal(out, ZS_OUT_UPDATED);
        assert_true(ns == 6);
        members(z, 0, 0, 10, buf);
        assert_string_equal(buf, "b,b2,c,a");
        assert_int_equal(zs_add(z, S("a"), 6, 0, &out, &ns), 1);
        assert_int_equal(out, 0);
        add(z, "inf", INFINITY);
        assert_int_equal(zs_add(z, S("inf"), -INFINITY, ZS_IN_INCR, &out, &ns), 0);
        assert_int_equal(out, ZS_OUT_NAN);
        assert_int_equal(zs_delete_ranks(z, 1, 2), 2);
        members(z, 0, 0, 10, buf);
        assert_string_equal(buf, "b,a,inf");
        zs_free(z);
    }
}

static void test_ranges(void **st)
{
    for (int enc = 0; enc < 2; enc++) {
        zset *z = mk(enc);
        for (int i = 1; i <= 5; i++) {
            char m[8];
            snprintf(m, sizeof m, "m%d", i);
            add(z, m, i);
        }
        size_t first, n;
        zs_range r = {2, 4, 0, 0};
        n = zs_range_score(z, &r, &first);
        assert_int_equal(n, 3);
        assert_int_equal(first, 1);
        r.minex = 1;
        n = zs_range_score(z, &r, &first);
        assert_int_equal(n, 2);
        assert_int_equal(first, 2);
        r.maxex = 1;
        assert_int_equal(zs_range_score(z, &r, &first), 1);
        zs_range bad = {4, 2, 0, 0};
        assert_int_equal(zs_range_score(z, &bad, &first), 0);
        zs_range eq = {3, 3, 1, 0};
        assert_int_equal(zs_range_score(z, &eq, &first), 0);
        zs_free(z);

        z = mk(enc);
        const char *lex[] = {"a", "b", "c", "d", "e", "ee", "f"};
        for (int i = 0; i < 7; i++) add(z, lex[i], 0);
        zs_lexrange lr = {{0, 0, "b", 1}, {0, 0, "e", 1}};
        n = zs_range_lex(z, &lr, &first);
        assert_int_equal(n, 4);
        assert_int_equal(first, 1);
        lr.min.ex = 1;
        lr.max.ex = 1;
        n = zs_range_lex(z, &lr, &first);
        assert_int_equal(n, 2);
        assert_int_equal(first, 2);
        zs_lexrange all = {{-1, 0, NULL, 0}, {1, 0, NULL, 0}};
        assert_int_equal(zs_range_lex(z, &all, &first), 7);
        zs_lexrange none = {{1, 0, NULL, 0}, {-1, 0, NULL, 0}};
        assert_int_equal(zs_range_lex(z, &none, &first), 0);
        zs_lexrange upto = {{-1, 0, NULL, 0}, {0, 1, "ee", 2}};
        assert_int_equal(zs_range_lex(z, &upto, &first), 5);
        zs_free(z);
    }
}

static void test_conversion_boundary(void **st)
{
    zset *z = mk(ZS_ENC_PACK);
    char m[200];
    for (int i = 0; i < ZS_MAX_PACK_ENTRIES; i++) {
        snprintf(m, sizeof m, "m%03d", i);
        add(z, m, i);
    }
    assert_int_equal(zs_encoding(z), ZS_ENC_PACK);
    add(z, "m000", 7); /* update: no conversion */
    assert_int_equal(zs_encoding(z), ZS_ENC_PACK);
    add(z, "extra", 1000);
    assert_int_equal(zs_encoding(z), ZS_ENC_SKIPLIST);
    assert_int_equal(zs_len(z), ZS_MAX_PACK_ENTRIES + 1);
    assert_int_equal(zs_rank(z, S("extra"), 0, NULL), ZS_MAX_PACK_ENTRIES);
    zs_delete_ranks(z, 0, 0);
    zs_shrink_if_fits(z);
    assert_int_equal(zs_encoding(z), ZS_ENC_PACK);
    assert_int_equal(zs_rank(z, S("extra"), 0, NULL), ZS_MAX_PACK_ENTRIES - 1);
    zs_free(z);

    /* value length: 64 stays, 65 converts */
    z = mk(ZS_ENC_PACK);
    memset(m, 'x', 64);
    zs_add(z, m, 64, 1, 0, &(int){0}, NULL);
    assert_int_equal(zs_encoding(z), ZS_ENC_PACK);
    zs_add(z, m, 65, 1, 0, &(int){0}, NULL);
    assert_int_equal(zs_encoding(z), ZS_ENC_SKIPLIST);
    zs_free(z);

    /* long members (5-byte length headers) walk both ways in a pack */
    z = zs_new(ZS_ENC_PACK, 128, 1000);
    memset(m, 'y', 150);
    zs_add(z, m, 150, 2, 0, &(int){0}, NULL);
    zs_add(z, m, 140, 1, 0, &(int){0}, NULL);
    zs_add(z, "a", 1, 3, 0, &(int){0}, NULL);
    zs_iter it;
    const char *p;
    size_t len;
    double s;
    zs_iter_init(&it, z, 2, 1, 3);
    assert_int_equal(zs_iter_next(&it, &p, &len, &s), 1);
    assert_int_equal(len, 1);
    assert_int_equal(zs_iter_next(&it, &p, &len, &s), 1);
    assert_int_equal(len, 150);
    assert_int_equal(zs_iter_next(&it, &p, &len, &s), 1);
    assert_int_equal(len, 140);
    assert_int_equal(zs_iter_next(&it, &p, &len, &s), 0);
    zs_free(z);

    /* -0 becomes 0 in a pack, stays -0 in a skiplist */
    char buf[32];
    z = mk(ZS_ENC_PACK);
    add(z, "n", -0.0);
    zs_score(z, S("n"), &s);
    assert_false(signbit(s));
    zs_scan_score_str(z, 123456789012345678.0, buf, sizeof buf);
    assert_string_equal(buf, "123456789012345680");
    zs_free(z);
    z = mk(ZS_ENC_SKIPLIST);
    add(z, "n", -0.0);
    zs_score(z, S("n"), &s);
    assert_true(signbit(s));
    zs_scan_score_str(z, 123456789012345678.0, buf, sizeof buf);
    assert_string_equal(buf, "1.2345678901234568e+17");
    zs_free(z);
}

/* ---- random operations against a shadow (sorted array) ------------------ */

typedef struct {
    char m[16];
    double s;
} shadow_el;

static int shcmp(const void *a, const void *b)
{
    const shadow_el *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    return strcmp(x->m, y->m);
}

static void check_against(zset *z, shadow_el *sh, size_t n)
{
    qsort(sh, n, sizeof *sh, shcmp);
    assert_int_equal(zs_len(z), n);
    zs_iter it;
    const char *m;
    size_t len;
    double s;
    zs_iter_init(&it, z, 0, 0, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(zs_iter_next(&it, &m, &len, &s), 1);
        assert_int_equal(len, strlen(sh[i].m));
        assert_memory_equal(m, sh[i].m, len);
        assert_true(s == sh[i].s);
    }
    assert_int_equal(zs_iter_next(&it, &m, &len, &s), 0);
    if (n) {
        size_t i = (size_t)rand() % n;
        assert_int_equal(zs_rank(z, S(sh[i].m), 0, NULL), (long long)i);
        assert_int_equal(zs_rank(z, S(sh[i].m), 1, NULL), (long long)(n - 1 - i));
        zs_iter_init(&it, z, i, 1, 1);
        assert_int_equal(zs_iter_next(&it, &m, &len, &s), 1);
        assert_memory_equal(m, sh[i].m, len);
        /* score range count */
        double lo = sh[i].s, hi = sh[(i + n) / 2 < n ? (i + n) / 2 : n - 1].s;
        zs_range r = {lo, hi, rand() & 1, rand() & 1};
        size_t expect = 0, efirst = n, first;
        for (size_t k = 0; k < n; k++) {
            int ok = (r.minex ? sh[k].s > lo : sh[k].s >= lo) && (r.maxex ? sh[k].s < hi : sh[k].s <= hi);
            if (ok) {
                if (efirst == n) efirst = k;
                expect++;
            }
        }
        assert_int_equal(zs_range_score(z, &r, &first), expect);
        if (expect) assert_int_equal(first, efirst);
    }
}

static void random_ops(size_t max_entries, int rounds)
{
    enum { N = 600 };
    shadow_el *sh = calloc(N, sizeof *sh);
    size_t n = 0;
    zset *z = zs_new(ZS_ENC_PACK, max_entries, ZS_MAX_PACK_VALUE);
    srand(1234);
    for (int round = 0; round < rounds; round++) {
        int op = rand() % 10;
        char m[16];
        snprintf(m, sizeof m, "k%d", rand() % 400);
        double s = (double)(rand() % 50) / 2;
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(sh[i].m, m) == 0) break;
        if (op < 6) {
            int out;
            double ns;
            int incr = op == 5;
            zs_add(z, S(m), s, incr ? ZS_IN_INCR : 0, &out, &ns);
            if (i < n) sh[i].s = incr ? sh[i].s + s : s;
            else {
                strcpy(sh[n].m, m);
                sh[n++].s = s;
            }
        } else if (op < 8) {
            assert_int_equal(zs_del(z, S(m)), i < n);
            if (i < n) sh[i] = sh[--n];
        } else if (op == 8 && n) {
            qsort(sh, n, sizeof *sh, shcmp);
            size_t a = (size_t)rand() % n, b = a + (size_t)rand() % 4;
            if (b >= n) b = n - 1;
            assert_int_equal(zs_delete_ranks(z, a, b), b - a + 1);
            memmove(sh + a, sh + b + 1, (n - b - 1) * sizeof *sh);
            n -= b - a + 1;
        } else {
            zset *d = zs_dup(z);
            zs_free(z);
            z = d;
        }
        if (round % 17 == 0) check_against(z, sh, n);
    }
    check_against(z, sh, n);
    zs_free(z);
    free(sh);
}

/* ---- incremental rehash of the member table ---------------------------- */

static void mname(char *buf, size_t n, int i) { snprintf(buf, n, "member:%d", i); }

static void assert_all_present(zset *z, int from, int to)
{
    char m[32];
    for (int i = from; i < to; i++) {
        double s;
        mname(m, sizeof m, i);
        assert_int_equal(zs_score(z, S(m), &s), 1);
        assert_true(s == (double)i);
    }
}

/* A grow starts a rehash instead of moving everything; each later add moves
 * at most one non-empty bucket (plus RH_EMPTY_VISITS empty ones); lookups,
 * ranks and deletes work with members in both tables. */
static void test_rehash_grow_incremental(void **st)
{
    zset *z = zs_new(ZS_ENC_SKIPLIST, 0, 0);
    char m[32];
    size_t s0, s1, idx;
    int i = 0;
    for (; i < 4096; i++) {   /* fill to exactly load factor 1, finishing any rehash on the way */
        mname(m, sizeof m, i);
        add(z, m, i);
    }
    for (int k = 0; k < 10000; k++) {
        zs_ht_info(z, &s0, &s1, &idx);
        if (idx == SIZE_MAX) break;
        assert_int_equal(zs_score(z, S("member:0"), NULL), 1);
    }
    zs_ht_info(z, &s0, &s1, &idx);
    assert_int_equal(s0, 4096);
    assert_true(idx == SIZE_MAX);
    mname(m, sizeof m, i);
    add(z, m, i);   /* 4097 members > 4096 buckets: rehash starts */
    i++;
    zs_ht_info(z, &s0, &s1, &idx);
    assert_int_equal(s0, 4096);
    assert_int_equal(s1, 8192);
    assert_true(idx <= 11);
    size_t last = idx;
    int steps = 0;
    while (1) {
        mname(m, sizeof m, i);
        add(z, m, i);
        i++;
        steps++;
        zs_ht_info(z, &s0, &s1, &idx);
        if (idx == SIZE_MAX) break;
        /* zs_add looks the member up then links it: two steps at most */
        assert_true(idx - last <= 2 * 11);
        assert_true(idx > last);
        last = idx;
        if (steps == 50) {   /* everything findable mid-rehash (these lookups step it too), ranks intact */
            for (int k = 0; k < i; k += i / 16) assert_all_present(z, k, k + 1);
            mname(m, sizeof m, i / 2);
            assert_int_equal(zs_rank(z, S(m), 0, NULL), i / 2);
            zs_ht_info(z, &s0, &s1, &idx);
            last = idx;
        }
    }
    assert_true(steps > 100);   /* it really was spread out */
    zs_ht_info(z, &s0, &s1, &idx);
    assert_int_equal(s0, 8192);
    assert_int_equal(s1, 0);
    assert_int_equal(zs_len(z), (size_t)i);
    assert_all_present(z, 0, i);
    zs_free(z);
}

/* Deleting members while a rehash runs (some in each table), and shrinking,
 * which is incremental too. */
static void test_rehash_delete_and_shrink(void **st)
{
    zset *z = zs_new(ZS_ENC_SKIPLIST, 0, 0);
    char m[32];
    size_t s0, s1, idx;
    int n = 20000;
    for (int i = 0; i < n; i++) {
        mname(m, sizeof m, i);
        add(z, m, i);
    }
    /* Delete every third member; along the way shrinks may start. */
    int deleted = 0, saw_rehash = 0;
    for (int i = 0; i < n; i += 3) {
        mname(m, sizeof m, i);
        assert_int_equal(zs_del(z, S(m)), 1);
        assert_int_equal(zs_del(z, S(m)), 0);
        deleted++;
        zs_ht_info(z, &s0, &s1, &idx);
        if (idx != SIZE_MAX) saw_rehash = 1;
    }
    assert_int_equal(zs_len(z), (size_t)(n - deleted));
    /* Now delete down to 100 members: the table must shrink, incrementally. */
    for (int i = 0; i < n - 300; i++) {
        if (i % 3 == 0) continue;
        mname(m, sizeof m, i);
        assert_int_equal(zs_del(z, S(m)), 1);
        zs_ht_info(z, &s0, &s1, &idx);
        if (idx != SIZE_MAX) {
            saw_rehash = 1;
            assert_true(s1 < s0);
        }
    }
    assert_true(saw_rehash);
    for (int k = 0; k < 100000; k++) {   /* lookups finish it */
        zs_ht_info(z, &s0, &s1, &idx);
        if (idx == SIZE_MAX) break;
        zs_score(z, S("nope"), NULL);
    }
    zs_ht_info(z, &s0, &s1, &idx);
    assert_true(idx == SIZE_MAX);
    assert_true(s0 <= 8 * zs_len(z));
    for (int i = n - 300; i < n; i++) {
        if (i % 3 == 0) continue;
        mname(m, sizeof m, i);
        double s;
        assert_int_equal(zs_score(z, S(m), &s), 1);
        assert_true(s == (double)i);
    }
    zs_free(z);
}

typedef struct {
    unsigned char *seen;
    int n;
} scan_seen;

static void scan_mark(void *priv, const char *m, size_t len, double score)
{
    scan_seen *ss = priv;
    int i = (int)score;
    assert_true(i >= 0 && i < ss->n);
    ss->seen[i] = 1;
}

/* SCAN's guarantee holds while the table rehashes between calls: every
 * member present for the whole scan is returned. */
static void test_rehash_scan_guarantee(void **st)
{
    for (int grow = 0; grow < 2; grow++) {
        zset *z = zs_new(ZS_ENC_SKIPLIST, 0, 0);
        char m[32];
        int n = grow ? 4096 : 30000, total = 40000;
        for (int i = 0; i < n; i++) {
            mname(m, sizeof m, i);
            add(z, m, i);
        }
        scan_seen ss = {calloc((size_t)total, 1), total};
        uint64_t cursor = 0;
        int next = n, del = n - 1, calls = 0, rehashing_calls = 0;
        do {
            cursor = zs_scan(z, cursor, scan_mark, &ss);
            calls++;
            size_t s0, s1, idx;
            zs_ht_info(z, &s0, &s1, &idx);
            if (idx != SIZE_MAX) rehashing_calls++;
            for (int k = 0; k < 3; k++) {
                if (grow && next < total) {   /* adds: table grows under the scan */
                    mname(m, sizeof m, next);
                    add(z, m, next);
                    next++;
                } else if (!grow && del >= 1000) {   /* deletes of the upper part: it shrinks */
                    mname(m, sizeof m, del);
                    zs_del(z, S(m));
                    del--;
                }
            }
        } while (cursor != 0);
        assert_true(rehashing_calls > 0);
        int stable = grow ? n : 1000;   /* members present from start to end */
        for (int i = 0; i < stable; i++) assert_true(ss.seen[i]);
        free(ss.seen);
        zs_free(z);
    }
}

static void test_random_pack(void **st) { random_ops(1000000, 4000); }
static void test_random_skiplist(void **st) { random_ops(0, 20000); }
static void test_random_mixed(void **st) { random_ops(100, 20000); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one),
        cmocka_unit_test(test_ranks_and_flags),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_conversion_boundary),
        cmocka_unit_test(test_random_pack),
        cmocka_unit_test(test_random_skiplist),
        cmocka_unit_test(test_random_mixed),
        cmocka_unit_test(test_rehash_grow_incremental),
        cmocka_unit_test(test_rehash_delete_and_shrink),
        cmocka_unit_test(test_rehash_scan_guarantee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
