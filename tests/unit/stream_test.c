/* stream_test.c — unit tests for streams/stream.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "stream.h"

static stream_id ID(uint64_t ms, uint64_t seq) { return (stream_id){ms, seq}; }

/* add appends id with n pairs given as "f1","v1","f2","v2",... */
static int add(stream *s, stream_id id, size_t n, const char *const *kv)
{
    const unsigned char *names[16], *vals[16];
    size_t nl[16], vl[16];
    for (size_t i = 0; i < n; i++) {
        names[i] = (const unsigned char *)kv[2 * i];
        nl[i] = strlen(kv[2 * i]);
        vals[i] = (const unsigned char *)kv[2 * i + 1];
        vl[i] = strlen(kv[2 * i + 1]);
    }
    return stream_append(s, id, n, names, nl, vals, vl);
}

static int add1(stream *s, stream_id id, const char *f, const char *v)
{
    const char *kv[2] = {f, v};
    return add(s, id, 1, kv);
}

static int field_is(const st_field *f, const char *n, const char *v)
{
    return f->nlen == strlen(n) && memcmp(f->name, n, f->nlen) == 0 &&
           f->vlen == strlen(v) && memcmp(f->val, v, f->vlen) == 0;
}

/* collect walks [a,b] and stores the IDs; returns the count. */
static size_t collect(const stream *s, stream_id a, stream_id b, int rev,
                      stream_id *out, size_t max)
{
    st_iter it;
    stream_id id;
    size_t n = 0;
    st_iter_init(&it, s, a, b, rev);
    while (st_iter_next(&it, &id)) {
        assert_true(n < max);
        out[n++] = id;
    }
    st_iter_done(&it);
    return n;
}

static void test_empty(void **st)
{
    (void)st;
    stream *s = stream_new(4096, 100);
    stream_id out[4], id;
    assert_int_equal(s->length, 0);
    assert_int_equal(collect(s, ST_ID_MIN, ST_ID_MAX, 0, out, 4), 0);
    assert_int_equal(collect(s, ST_ID_MIN, ST_ID_MAX, 1, out, 4), 0);
    assert_false(stream_first_id(s, &id));
    assert_false(stream_last_entry_id(s, &id));
    assert_false(stream_exists(s, ID(0, 1)));
    assert_int_equal(stream_delete(s, ID(0, 1)), 0);
    assert_int_equal(stream_trim_maxlen(s, 0, 0, 0), 0);
    assert_int_equal(stream_trim_minid(s, ST_ID_MAX, 0, 0), 0);
    assert_int_equal(stream_nblocks(s), 0);
    assert_true(stream_memory(s) >= sizeof *s);
    /* 0-0 can never be appended: every ID must be above last_id. */
    assert_int_equal(add1(s, ID(0, 0), "f", "v"), -1);
    stream_free(s);
    stream_free(NULL);
}

static void test_one_entry(void **st)
{
    (void)st;
    stream *s = stream_new(4096, 100);
    const char *kv[] = {"name", "ann", "age", "", "", "empty-name"};
    assert_int_equal(add(s, ID(5, 3), 3, kv), 0);
    assert_int_equal(s->length, 1);
    assert_int_equal(s->entries_added, 1);
    assert_int_equal(st_id_cmp(s->last_id, ID(5, 3)), 0);
    assert_int_equal(add1(s, ID(5, 3), "x", "y"), -1);   /* not above last */
    assert_int_equal(add1(s, ID(5, 2), "x", "y"), -1);
    st_iter it;
    stream_id id;
    for (int rev = 0; rev < 2; rev++) {
        st_iter_init(&it, s, ST_ID_MIN, ST_ID_MAX, rev);
        assert_true(st_iter_next(&it, &id));
        assert_int_equal(st_id_cmp(id, ID(5, 3)), 0);
        assert_int_equal(it.nf, 3);
        assert_true(field_is(&it.fv[0], "name", "ann"));
        assert_true(field_is(&it.fv[1], "age", ""));
        assert_true(field_is(&it.fv[2], "", "empty-name"));
        assert_false(st_iter_next(&it, &id));
        assert_false(st_iter_next(&it, &id));
        st_iter_done(&it);
    }
    stream_id out[2];
    assert_int_equal(collect(s, ID(5, 4), ST_ID_MAX, 0, out, 2), 0);
    assert_int_equal(collect(s, ST_ID_MIN, ID(5, 2), 1, out, 2), 0);
    assert_int_equal(collect(s, ID(5, 3), ID(5, 3), 1, out, 2), 1);
    assert_int_equal(collect(s, ID(6, 0), ID(5, 0), 0, out, 2), 0);   /* start > end */
    assert_true(stream_first_id(s, &id));
    assert_int_equal(st_id_cmp(id, ID(5, 3)), 0);
    assert_true(stream_last_entry_id(s, &id));
    assert_int_equal(st_id_cmp(id, ID(5, 3)), 0);
    assert_true(stream_exists(s, ID(5, 3)));
    assert_int_equal(stream_delete(s, ID(5, 3)), 1);
    assert_int_equal(stream_delete(s, ID(5, 3)), 0);
    assert_int_equal(s->length, 0);
    assert_int_equal(stream_nblocks(s), 0);
    assert_int_equal(st_id_cmp(s->last_id, ID(5, 3)), 0);          /* kept */
    assert_int_equal(st_id_cmp(s->max_deleted_id, ID(5, 3)), 0);
    assert_int_equal(s->entries_added, 1);
    assert_int_equal(add1(s, ID(5, 4), "x", "y"), 0);
    assert_int_equal(s->entries_added, 2);
    stream_free(s);
}

static void test_block_splits(void **st)
{
    (void)st;
    stream *s = stream_new(4096, 10);
    for (uint64_t i = 1; i <= 95; i++) assert_int_equal(add1(s, ID(i, 0), "f", "v"), 0);
    assert_int_equal(stream_nblocks(s), 10);                      /* by entry count */
    stream_free(s);

    s = stream_new(256, 0);                                       /* by bytes */
    char big[100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (uint64_t i = 1; i <= 10; i++) assert_int_equal(add1(s, ID(1, i), "f", big), 0);
    size_t nb = stream_nblocks(s);
    assert_true(nb >= 4 && nb <= 5);
    /* An entry above max_bytes gets a block of its own. */
    char *huge = xmalloc(1000);
    memset(huge, 'h', 999);
    huge[999] = '\0';
    assert_int_equal(add1(s, ID(2, 0), "f", huge), 0);
    assert_int_equal(add1(s, ID(3, 0), "f", "small"), 0);
    assert_int_equal(stream_nblocks(s), nb + 2);
    stream_id out[16];
    assert_int_equal(collect(s, ST_ID_MIN, ST_ID_MAX, 0, out, 16), 12);
    assert_int_equal(collect(s, ST_ID_MIN, ST_ID_MAX, 1, out, 16), 12);
    assert_int_equal(st_id_cmp(out[0], ID(3, 0)), 0);
    assert_int_equal(st_id_cmp(out[1], ID(2, 0)), 0);
    st_iter it;
    stream_id id;
    st_iter_init(&it, s, ID(2, 0), ID(2, 0), 0);
    assert_true(st_iter_next(&it, &id));
    assert_true(field_is(&it.fv[0], "f", huge));
    st_iter_done(&it);
    xfree(huge);
    stream_free(s);
}

static void test_field_sharing(void **st)
{
    (void)st;
    stream *a = stream_new(4096, 100), *b = stream_new(4096, 100);
    const char *kv1[] = {"temperature", "1", "humidity", "2"};
    for (uint64_t i = 1; i <= 500; i++) assert_int_equal(add(a, ID(1000, i), 2, kv1), 0);
    for (uint64_t i = 1; i <= 500; i++) {
        const char *kv2[] = {i % 2 ? "temperature" : "humidity", "1",
                             i % 2 ? "humidity" : "temperature", "2"};
        assert_int_equal(add(b, ID(1000, i), 2, kv2), 0);
    }
    /* Shared names: about 8 bytes an entry; b pays the names in half. */
    assert_true(stream_memory(a) < 500 * 12);
    assert_true(stream_memory(b) > stream_memory(a) + 250 * 15);
    st_iter it;
    stream_id id;
    st_iter_init(&it, b, ID(1000, 2), ID(1000, 3), 0);
    assert_true(st_iter_next(&it, &id));
    assert_true(field_is(&it.fv[0], "humidity", "1"));
    assert_true(field_is(&it.fv[1], "temperature", "2"));
    assert_true(st_iter_next(&it, &id));
    assert_true(field_is(&it.fv[0], "temperature", "1"));
    assert_true(field_is(&it.fv[1], "humidity", "2"));
    assert_false(st_iter_next(&it, &id));
    st_iter_done(&it);
    /* An entry with fewer fields than the master, and with none. */
    const char *kv3[] = {"temperature", "9"};
    assert_int_equal(add(a, ID(2000, 0), 1, kv3), 0);
    assert_int_equal(add(a, ID(2000, 1), 0, NULL), 0);
    st_iter_init(&it, a, ID(2000, 0), ST_ID_MAX, 0);
    assert_true(st_iter_next(&it, &id));
    assert_int_equal(it.nf, 1);
    assert_true(field_is(&it.fv[0], "temperature", "9"));
    assert_true(st_iter_next(&it, &id));
    assert_int_equal(it.nf, 0);
    st_iter_done(&it);
    /* Memory per small entry stays within Redis's (~ 10-12 bytes here). */
    size_t before = xused_memory();
    stream *m = stream_new(4096, 100);
    for (uint64_t i = 1; i <= 100000; i++) {
        char v[16];
        snprintf(v, sizeof v, "%llu", (unsigned long long)(i % 1000));
        const char *kv[] = {"a", v, "b", "x"};
        assert_int_equal(add(m, ID(1700000000000ULL + i / 3, i % 3), 2, kv), 0);
    }
    if (getenv("STREAM_TEST_VERBOSE"))
        printf("bytes per entry: %.2f\n", (double)stream_memory(m) / 100000.0);
    assert_true((double)stream_memory(m) / 100000.0 < 14.0);
    /* The accounting agrees with the allocator within its rounding. */
    size_t real = xused_memory() - before;
    if (getenv("STREAM_TEST_VERBOSE")) printf("allocator: %zu, stream_memory: %zu\n", real, stream_memory(m));
    assert_true(real >= stream_memory(m) && real < stream_memory(m) + stream_memory(m) / 10);
    stream_free(m);
    stream_free(a);
    stream_free(b);
}

/* 50 entries 1-0 .. 50-0 in blocks of 10. */
static stream *fifty(void)
{
    stream *s = stream_new(4096, 10);
    for (uint64_t i = 1; i <= 50; i++) assert_int_equal(add1(s, ID(i, 0), "f", "v"), 0);
    return s;
}

static void test_ranges_both_ways(void **st)
{
    (void)st;
    stream *s = fifty();
    stream_id out[64];
    size_t n = collect(s, ID(10, 0), ID(21, 0), 0, out, 64);
    assert_int_equal(n, 12);
    assert_int_equal(out[0].ms, 10);
    assert_int_equal(out[11].ms, 21);
    n = collect(s, ID(10, 0), ID(21, 0), 1, out, 64);
    assert_int_equal(n, 12);
    assert_int_equal(out[0].ms, 21);
    assert_int_equal(out[11].ms, 10);
    /* Exclusive bounds through incr/decr: (10-0 .. (21-0. */
    stream_id a = ID(10, 0), b = ID(21, 0);
    assert_int_equal(st_id_incr(&a), 0);
    assert_int_equal(st_id_decr(&b), 0);
    assert_int_equal(st_id_cmp(b, ID(20, UINT64_MAX)), 0);
    n = collect(s, a, b, 0, out, 64);
    assert_int_equal(n, 10);
    assert_int_equal(out[0].ms, 11);
    assert_int_equal(out[9].ms, 20);
    n = collect(s, a, b, 1, out, 64);
    assert_int_equal(n, 10);
    assert_int_equal(out[0].ms, 20);
    /* Bounds between entries, before all, after all. */
    assert_int_equal(collect(s, ID(0, 5), ID(1, 0), 0, out, 64), 1);
    assert_int_equal(collect(s, ID(50, 1), ST_ID_MAX, 1, out, 64), 0);
    assert_int_equal(collect(s, ID(10, 1), ID(10, 9), 0, out, 64), 0);
    assert_int_equal(collect(s, ID(10, 1), ID(10, 9), 1, out, 64), 0);
    assert_int_equal(collect(s, ST_ID_MIN, ST_ID_MAX, 1, out, 64), 50);
    assert_int_equal(out[49].ms, 1);
    /* Block edges: 10-0 ends block 0, 11-0 starts block 1. */
    assert_int_equal(collect(s, ID(11, 0), ID(11, 0), 1, out, 64), 1);
    assert_int_equal(collect(s, ID(10, 0), ID(10, 0), 0, out, 64), 1);
    stream_free(s);
}

static void test_delete_at_block_edges(void **st)
{
    (void)st;
    stream *s = fifty();
    stream_id out[64], id;
    assert_int_equal(stream_delete(s, ID(11, 0)), 1);   /* a block's first (master) */
    assert_int_equal(stream_delete(s, ID(20, 0)), 1);   /* a block's last */
    assert_int_equal(stream_delete(s, ID(1, 0)), 1);    /* the stream's first */
    assert_int_equal(stream_delete(s, ID(50, 0)), 1);   /* the stream's last */
    assert_int_equal(stream_delete(s, ID(50, 0)), 0);
    assert_int_equal(stream_delete(s, ID(51, 0)), 0);
    assert_int_equal(stream_delete(s, ID(0, 1)), 0);
    assert_int_equal(s->length, 46);
    assert_int_equal(st_id_cmp(s->last_id, ID(50, 0)), 0);
    assert_int_equal(st_id_cmp(s->max_deleted_id, ID(50, 0)), 0);
    assert_true(stream_first_id(s, &id));
    assert_int_equal(id.ms, 2);
    assert_true(stream_last_entry_id(s, &id));
    assert_int_equal(id.ms, 49);
    assert_int_equal(collect(s, ID(11, 0), ID(20, 0), 0, out, 64), 8);
    assert_int_equal(out[0].ms, 12);
    assert_int_equal(collect(s, ID(11, 0), ID(20, 0), 1, out, 64), 8);
    assert_int_equal(out[0].ms, 19);
    /* Emptying a middle block frees it. */
    for (uint64_t i = 21; i <= 30; i++) assert_int_equal(stream_delete(s, ID(i, 0)), 1);
    assert_int_equal(stream_nblocks(s), 4);
    assert_int_equal(collect(s, ID(19, 0), ID(32, 0), 0, out, 64), 3);
    assert_int_equal(out[0].ms, 19);
    assert_int_equal(out[1].ms, 31);
    assert_int_equal(collect(s, ID(19, 0), ID(32, 0), 1, out, 64), 3);
    assert_int_equal(out[0].ms, 32);
    assert_false(stream_exists(s, ID(25, 0)));
    assert_true(stream_exists(s, ID(31, 0)));
    /* Appending after the top entry was deleted. */
    assert_int_equal(add1(s, ID(50, 0), "f", "v"), -1);
    assert_int_equal(add1(s, ID(50, 1), "f", "v"), 0);
    assert_int_equal(s->length, 37);
    stream_free(s);
}

static void test_trim_maxlen(void **st)
{
    (void)st;
    stream *s = fifty();
    stream_id id;
    /* Approximate: only whole blocks; 50 -> keep >= 35 -> removes one block. */
    assert_int_equal(stream_trim_maxlen(s, 35, 1, 0), 10);
    assert_int_equal(s->length, 40);
    assert_int_equal(stream_trim_maxlen(s, 35, 1, 0), 0);
    /* Exact: walks into the block. */
    assert_int_equal(stream_trim_maxlen(s, 35, 0, 0), 5);
    assert_int_equal(s->length, 35);
    assert_true(stream_first_id(s, &id));
    assert_int_equal(id.ms, 16);
    /* Exact at a block edge: 16..20 is one block remainder. */
    assert_int_equal(stream_trim_maxlen(s, 30, 0, 0), 5);
    assert_int_equal(stream_nblocks(s), 3);
    assert_true(stream_first_id(s, &id));
    assert_int_equal(id.ms, 21);
    /* Limit: a block goes only if it keeps the count within the limit. */
    assert_int_equal(stream_trim_maxlen(s, 0, 1, 5), 0);
    assert_int_equal(stream_trim_maxlen(s, 0, 1, 19), 10);
    assert_int_equal(stream_trim_minid(s, ST_ID_MAX, 1, 9), 0);
    assert_int_equal(stream_trim_maxlen(s, 0, 0, 0), 20);
    assert_int_equal(s->length, 0);
    assert_int_equal(stream_nblocks(s), 0);
    assert_int_equal(s->entries_added, 50);
    assert_int_equal(st_id_cmp(s->last_id, ID(50, 0)), 0);
    assert_int_equal(st_id_cmp(s->max_deleted_id, ID(0, 0)), 0);  /* trims leave it */
    stream_free(s);

    /* Tombstones in a block count as gone for MAXLEN. */
    s = fifty();
    for (uint64_t i = 1; i <= 9; i++) stream_delete(s, ID(i, 0));
    assert_int_equal(s->length, 41);
    assert_int_equal(stream_trim_maxlen(s, 40, 0, 0), 1);
    assert_int_equal(stream_nblocks(s), 4);
    stream_free(s);
}

static void test_trim_minid(void **st)
{
    (void)st;
    stream *s = fifty();
    stream_id id;
    assert_int_equal(stream_trim_minid(s, ID(15, 0), 1, 0), 10);
    assert_int_equal(stream_trim_minid(s, ID(15, 0), 1, 0), 0);
    assert_int_equal(stream_trim_minid(s, ID(15, 0), 0, 0), 4);
    assert_true(stream_first_id(s, &id));
    assert_int_equal(id.ms, 15);
    assert_int_equal(stream_trim_minid(s, ID(15, 0), 0, 0), 0);
    /* minid at a block edge: 21-0 starts block 2, so block 1 goes whole. */
    assert_int_equal(stream_trim_minid(s, ID(21, 0), 0, 0), 6);
    assert_int_equal(stream_nblocks(s), 3);
    /* Block whose last ID (a tombstone) is >= minid cannot go whole. */
    stream_delete(s, ID(30, 0));
    assert_int_equal(stream_trim_minid(s, ID(30, 0), 1, 0), 0);
    assert_int_equal(stream_trim_minid(s, ID(30, 0), 0, 0), 9);
    assert_int_equal(stream_nblocks(s), 3);                     /* emptied, kept (as Redis) */
    assert_true(stream_first_id(s, &id));
    assert_int_equal(id.ms, 31);
    assert_int_equal(stream_trim_minid(s, ID(30, 0), 0, 0), 0);
    assert_int_equal(stream_nblocks(s), 3);
    assert_int_equal(stream_trim_minid(s, ID(30, 1), 1, 0), 0);   /* last ID 30-0 below: goes whole */
    assert_int_equal(stream_nblocks(s), 2);
    assert_int_equal(stream_trim_minid(s, ST_ID_MAX, 0, 0), 20);
    assert_int_equal(s->length, 0);
    stream_free(s);
}

static void test_id_parse_format(void **st)
{
    (void)st;
    stream_id id;
    int given;
    char buf[ST_ID_STR_MAX];
#define P(str, miss, strict) st_id_parse(str, strlen(str), miss, strict, &id, NULL)
    assert_int_equal(P("1-2", 0, 0), 0);
    assert_int_equal(st_id_cmp(id, ID(1, 2)), 0);
    assert_int_equal(P("5", 0, 0), 0);
    assert_int_equal(st_id_cmp(id, ID(5, 0)), 0);
    assert_int_equal(P("5", UINT64_MAX, 0), 0);
    assert_int_equal(st_id_cmp(id, ID(5, UINT64_MAX)), 0);
    assert_int_equal(P("-", 0, 0), 0);
    assert_int_equal(st_id_cmp(id, ST_ID_MIN), 0);
    assert_int_equal(P("+", 0, 0), 0);
    assert_int_equal(st_id_cmp(id, ST_ID_MAX), 0);
    assert_int_equal(P("-", 0, 1), -1);
    assert_int_equal(P("+", 0, 1), -1);
    assert_int_equal(P("18446744073709551615-18446744073709551615", 0, 1), 0);
    assert_int_equal(st_id_cmp(id, ST_ID_MAX), 0);
    assert_int_equal(P("18446744073709551616-0", 0, 0), -1);   /* overflow */
    assert_int_equal(P("0-18446744073709551616", 0, 0), -1);
    assert_int_equal(P("", 0, 0), -1);
    assert_int_equal(P("1-", 0, 0), -1);
    assert_int_equal(P("-1", 0, 0), -1);
    assert_int_equal(P("1-2-3", 0, 0), -1);
    assert_int_equal(P("a-1", 0, 0), -1);
    assert_int_equal(P("1-*", 0, 0), -1);                      /* no seq_given slot */
    assert_int_equal(P("9223372036854775808", 0, 0), 0);       /* via strtoull */
    assert_int_equal(id.ms, 9223372036854775808ULL);
    assert_int_equal(P("007", 0, 0), 0);                       /* as string2ull */
    assert_int_equal(id.ms, 7);
    assert_int_equal(st_id_parse("1-*", 3, 0, 0, &id, &given), 0);
    assert_int_equal(given, 0);
    assert_int_equal(id.ms, 1);
    assert_int_equal(st_id_parse("1-3", 3, 0, 0, &id, &given), 0);
    assert_int_equal(given, 1);
    assert_int_equal(st_id_parse("*-1", 3, 0, 0, &id, &given), -1);
    char longs[200];
    memset(longs, '1', sizeof longs);
    assert_int_equal(st_id_parse(longs, sizeof longs, 0, 0, &id, NULL), -1);
#undef P
    assert_int_equal(st_id_format(ID(0, 0), buf), 3);
    assert_string_equal(buf, "0-0");
    assert_int_equal(st_id_format(ST_ID_MAX, buf), ST_ID_STR_MAX - 1);
    assert_string_equal(buf, "18446744073709551615-18446744073709551615");
    assert_int_equal(st_id_format(ID(1526919030474ULL, 55), buf), 16);
    assert_string_equal(buf, "1526919030474-55");
}

static void test_id_edges(void **st)
{
    (void)st;
    stream_id id = ST_ID_MAX, out;
    assert_int_equal(st_id_incr(&id), -1);
    assert_int_equal(st_id_cmp(id, ST_ID_MAX), 0);
    id = ST_ID_MIN;
    assert_int_equal(st_id_decr(&id), -1);
    id = ID(1, UINT64_MAX);
    assert_int_equal(st_id_incr(&id), 0);
    assert_int_equal(st_id_cmp(id, ID(2, 0)), 0);
    assert_int_equal(st_id_decr(&id), 0);
    assert_int_equal(st_id_cmp(id, ID(1, UINT64_MAX)), 0);

    /* Auto IDs. */
    assert_int_equal(st_id_next(ID(0, 0), 1, 100, ID(0, 0), 0, &out), ST_ID_OK);
    assert_int_equal(st_id_cmp(out, ID(100, 0)), 0);
    assert_int_equal(st_id_next(ID(100, 0), 1, 100, ID(0, 0), 0, &out), ST_ID_OK);
    assert_int_equal(st_id_cmp(out, ID(100, 1)), 0);
    assert_int_equal(st_id_next(ID(200, 5), 1, 100, ID(0, 0), 0, &out), ST_ID_OK); /* clock behind */
    assert_int_equal(st_id_cmp(out, ID(200, 6)), 0);
    assert_int_equal(st_id_next(ID(7, UINT64_MAX), 1, 5, ID(0, 0), 0, &out), ST_ID_OK);
    assert_int_equal(st_id_cmp(out, ID(8, 0)), 0);                 /* seq overflow */
    assert_int_equal(st_id_next(ST_ID_MAX, 1, 5, ID(0, 0), 0, &out), ST_ID_ERR_EXHAUSTED);
    /* Partial ms-*. */
    assert_int_equal(st_id_next(ID(0, 0), 0, 0, ID(0, 0), 0, &out), ST_ID_OK);
    assert_int_equal(st_id_cmp(out, ID(0, 1)), 0);                 /* 0-* is 0-1 */
    assert_int_equal(st_id_next(ID(5, 3), 0, 0, ID(5, 0), 0, &out), ST_ID_OK);
    assert_int_equal(st_id_cmp(out, ID(5, 4)), 0);
    assert_int_equal(st_id_next(ID(5, 3), 0, 0, ID(9, 0), 0, &out), ST_ID_OK);
    assert_int_equal(st_id_cmp(out, ID(9, 0)), 0);
    assert_int_equal(st_id_next(ID(5, 3), 0, 0, ID(4, 0), 0, &out), ST_ID_ERR_SMALL);
    assert_int_equal(st_id_next(ID(5, UINT64_MAX), 0, 0, ID(5, 0), 0, &out), ST_ID_ERR_SMALL);
    /* Explicit. */
    assert_int_equal(st_id_next(ID(0, 0), 0, 0, ID(0, 0), 1, &out), ST_ID_ERR_ZERO);
    assert_int_equal(st_id_next(ID(5, 3), 0, 0, ID(0, 0), 1, &out), ST_ID_ERR_ZERO);
    assert_int_equal(st_id_next(ID(5, 3), 0, 0, ID(5, 3), 1, &out), ST_ID_ERR_SMALL);
    assert_int_equal(st_id_next(ID(0, 0), 0, 0, ID(0, 1), 1, &out), ST_ID_OK);

    /* The extreme IDs in a stream: 0-1 and UINT64_MAX-UINT64_MAX. */
    stream *s = stream_new(4096, 100);
    stream_id ids[3];
    assert_int_equal(add1(s, ID(0, 1), "f", "min"), 0);
    assert_int_equal(add1(s, ID(0, UINT64_MAX), "f", "mid"), 0);
    assert_int_equal(add1(s, ID(UINT64_MAX, 0), "f", "big"), 0);   /* huge deltas */
    assert_int_equal(add1(s, ST_ID_MAX, "f", "max"), 0);
    assert_int_equal(add1(s, ST_ID_MAX, "f", "again"), -1);
    stream_id all[8];
    assert_int_equal(collect(s, ST_ID_MIN, ST_ID_MAX, 0, all, 8), 4);
    assert_int_equal(st_id_cmp(all[0], ID(0, 1)), 0);
    assert_int_equal(st_id_cmp(all[3], ST_ID_MAX), 0);
    assert_int_equal(collect(s, ST_ID_MAX, ST_ID_MAX, 1, ids, 3), 1);
    assert_int_equal(collect(s, ID(0, 1), ID(0, 1), 0, ids, 3), 1);
    assert_int_equal(st_id_next(s->last_id, 1, UINT64_MAX, ID(0, 0), 0, &out), ST_ID_ERR_EXHAUSTED);
    assert_int_equal(stream_delete(s, ST_ID_MAX), 1);
    assert_int_equal(st_id_cmp(s->max_deleted_id, ST_ID_MAX), 0);
    assert_int_equal(stream_trim_minid(s, ST_ID_MAX, 0, 0), 3);
    stream_free(s);
}

/* One entry a block: 20,000 blocks make a three-level index.  Deleting in
 * a scattered order exercises node removal and first-ID upkeep. */
static void test_index_deep(void **st)
{
    (void)st;
    enum { N = 20000 };
    stream *s = stream_new(4096, 1);
    size_t empty = stream_memory(s);
    for (uint64_t i = 1; i <= N; i++) assert_int_equal(add1(s, ID(i, 0), "f", "v"), 0);
    assert_int_equal(stream_nblocks(s), N);
    stream_id *out = xmalloc(N * sizeof *out);
    assert_int_equal(collect(s, ID(4000, 0), ID(8200, 0), 0, out, N), 4201);
    assert_int_equal(collect(s, ID(4000, 0), ID(8200, 0), 1, out, N), 4201);
    assert_int_equal(out[0].ms, 8200);
    /* Delete every id with i % 7 == 3, then whole runs that span leaves. */
    uint64_t left = N;
    for (uint64_t i = 3; i <= N; i += 7, left--) assert_int_equal(stream_delete(s, ID(i, 0)), 1);
    for (uint64_t i = 4000; i <= 9000; i++)
        if (i % 7 != 3) {
            assert_int_equal(stream_delete(s, ID(i, 0)), 1);
            left--;
        }
    assert_int_equal(s->length, left);
    assert_int_equal(stream_nblocks(s), left);
    size_t n = collect(s, ST_ID_MIN, ST_ID_MAX, 0, out, N);
    assert_int_equal(n, left);
    for (size_t i = 1; i < n; i++) assert_true(st_id_cmp(out[i - 1], out[i]) < 0);
    assert_int_equal(collect(s, ID(3990, 0), ID(9010, 0), 0, out, N), 18);
    assert_int_equal(collect(s, ID(3990, 0), ID(9010, 0), 1, out, N), 18);
    assert_int_equal(out[0].ms, 9010);
    assert_int_equal(collect(s, ID(4001, 0), ID(9000, 0), 1, out, N), 0);
    size_t keep = collect(s, ID(12345, 0), ST_ID_MAX, 0, out, N);
    assert_int_equal(stream_trim_minid(s, ID(12345, 0), 1, 0), left - keep);   /* whole blocks */
    stream_id f;
    assert_true(stream_first_id(s, &f));
    assert_int_equal(f.ms, 12345);
    assert_int_equal(stream_trim_maxlen(s, 0, 1, 0), keep);
    assert_int_equal(s->length, 0);
    assert_int_equal(stream_nblocks(s), 0);
    assert_int_equal(stream_memory(s), empty);         /* every node freed */
    assert_int_equal(add1(s, ID(N + 1, 0), "f", "v"), 0);
    assert_int_equal(collect(s, ST_ID_MIN, ST_ID_MAX, 1, out, N), 1);
    xfree(out);
    stream_free(s);
}

/* ---- random operations against a shadow array --------------------------- */

typedef struct shadow_entry {
    stream_id id;
    int nf;
    char f[3][8], v[3][12];
} shadow_entry;

static void check_range(stream *s, shadow_entry *sh, size_t n, stream_id a, stream_id b, int rev)
{
    st_iter it;
    stream_id id;
    size_t lo = 0, hi = n;             /* shadow indexes in [a, b] */
    while (lo < n && st_id_cmp(sh[lo].id, a) < 0) lo++;
    while (hi > lo && st_id_cmp(sh[hi - 1].id, b) > 0) hi--;
    if (st_id_cmp(a, b) > 0) hi = lo;
    size_t k = 0;
    st_iter_init(&it, s, a, b, rev);
    while (st_iter_next(&it, &id)) {
        assert_true(lo + k < hi);
        const shadow_entry *e = &sh[rev ? hi - 1 - k : lo + k];
        assert_int_equal(st_id_cmp(id, e->id), 0);
        assert_int_equal(it.nf, (size_t)e->nf);
        for (int j = 0; j < e->nf; j++) assert_true(field_is(&it.fv[j], e->f[j], e->v[j]));
        k++;
    }
    st_iter_done(&it);
    assert_int_equal(k, hi - lo);
}

static stream_id random_id(const shadow_entry *sh, size_t n, stream_id last)
{
    if (n && rand() % 2) {
        stream_id id = sh[rand() % n].id;
        if (rand() % 3 == 0) st_id_incr(&id);
        return id;
    }
    return ID((uint64_t)rand() % (last.ms + 2), (uint64_t)(rand() % 4));
}

static void test_random_vs_shadow(void **st)
{
    (void)st;
    const char *seed = getenv("STREAM_TEST_SEED");
    srand(seed ? (unsigned)strtoul(seed, NULL, 10) : 12345u);
    for (int round = 0; round < 5; round++) {
        stream *s = stream_new(round % 2 ? 300 : 4096, round == 4 ? 1 : round < 2 ? 7 : 100);
        const char *ops_env = getenv("STREAM_TEST_OPS");   /* longer soak runs */
        int ops = ops_env ? atoi(ops_env) : 6000;
        size_t cap = (size_t)ops + 1, n = 0;
        shadow_entry *sh = xmalloc(cap * sizeof *sh);
        stream_id last = ID(0, 0), maxdel = ID(0, 0);
        uint64_t added = 0;
        static const char *names[] = {"a", "bb", "ccc", "temp"};
        for (int op = 0; op < ops; op++) {
            int r = rand() % 100;
            if (r < 60) {
                shadow_entry e;
                stream_id id;
                int mode = rand() % 3;
                int rc = st_id_next(last, mode == 0, last.ms + (uint64_t)(rand() % 3),
                                    ID(last.ms + (uint64_t)(rand() % 2), 0), 0, &id);
                assert_int_equal(rc, ST_ID_OK);
                if (mode == 2) id = ID(last.ms + 1 + (uint64_t)(rand() % 1000), (uint64_t)rand());
                e.id = id;
                e.nf = rand() % 4;
                const char *kv[6];
                int fixed = rand() % 4 != 0;         /* mostly the same names */
                for (int j = 0; j < e.nf; j++) {
                    snprintf(e.f[j], sizeof e.f[j], "%s", fixed ? names[j] : names[rand() % 4]);
                    snprintf(e.v[j], sizeof e.v[j], "%d", rand() % 100000);
                    kv[2 * j] = e.f[j];
                    kv[2 * j + 1] = e.v[j];
                }
                assert_int_equal(add(s, id, (size_t)e.nf, kv), 0);
                assert_true(n < cap);
                sh[n++] = e;
                last = id;
                added++;
            } else if (r < 80) {
                stream_id id = random_id(sh, n, last);
                size_t i = 0;
                while (i < n && st_id_cmp(sh[i].id, id) < 0) i++;
                int present = i < n && st_id_cmp(sh[i].id, id) == 0;
                assert_int_equal(stream_exists(s, id), present);
                assert_int_equal(stream_delete(s, id), present);
                if (present) {
                    memmove(sh + i, sh + i + 1, (n - i - 1) * sizeof *sh);
                    n--;
                    if (st_id_cmp(id, maxdel) > 0) maxdel = id;
                }
            } else if (r < 84) {
                uint64_t maxlen = n ? (uint64_t)(rand() % (int)(n + 1)) : 0;
                int approx = rand() % 2;
                uint64_t got = stream_trim_maxlen(s, maxlen, approx, 0);
                assert_true(got <= n);
                if (!approx) assert_int_equal(n - got, n > maxlen ? maxlen : n);
                else assert_true(n - got >= (n > maxlen ? maxlen : n));
                memmove(sh, sh + got, (n - got) * sizeof *sh);
                n -= got;
            } else if (r < 88) {
                stream_id minid = random_id(sh, n, last);
                int approx = rand() % 2;
                uint64_t got = stream_trim_minid(s, minid, approx, 0);
                assert_true(got <= n);
                for (size_t i = 0; i < got; i++) assert_true(st_id_cmp(sh[i].id, minid) < 0);
                if (!approx && got < n) assert_true(st_id_cmp(sh[got].id, minid) >= 0);
                memmove(sh, sh + got, (n - got) * sizeof *sh);
                n -= got;
            } else {
                stream_id a = random_id(sh, n, last), b = random_id(sh, n, last);
                if (rand() % 4 == 0) a = ST_ID_MIN;
                if (rand() % 4 == 0) b = ST_ID_MAX;
                check_range(s, sh, n, a, b, rand() % 2);
            }
            assert_int_equal(s->length, n);
            assert_int_equal(s->entries_added, added);
            assert_int_equal(st_id_cmp(s->last_id, last), 0);
            assert_int_equal(st_id_cmp(s->max_deleted_id, maxdel), 0);
        }
        check_range(s, sh, n, ST_ID_MIN, ST_ID_MAX, 0);
        check_range(s, sh, n, ST_ID_MIN, ST_ID_MAX, 1);
        stream_id f;
        if (n) {
            assert_true(stream_first_id(s, &f));
            assert_int_equal(st_id_cmp(f, sh[0].id), 0);
            assert_true(stream_last_entry_id(s, &f));
            assert_int_equal(st_id_cmp(f, sh[n - 1].id), 0);
        }
        xfree(sh);
        stream_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one_entry),
        cmocka_unit_test(test_block_splits),
        cmocka_unit_test(test_field_sharing),
        cmocka_unit_test(test_ranges_both_ways),
        cmocka_unit_test(test_delete_at_block_edges),
        cmocka_unit_test(test_trim_maxlen),
        cmocka_unit_test(test_trim_minid),
        cmocka_unit_test(test_id_parse_format),
        cmocka_unit_test(test_id_edges),
        cmocka_unit_test(test_index_deep),
        cmocka_unit_test(test_random_vs_shadow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
