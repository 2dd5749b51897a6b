/* bitmap_test.c — unit tests for broker/types/bitmap: popcount, bit ranges
 * for BITCOUNT/BITPOS, BITOP, bitfield get/set, and BITFIELD's overflow
 * rules (expected values checked against redis-server 7.0.15's BITFIELD),
 * with naive bit-by-bit models for random cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bitmap.h"

static int naive_bit(const unsigned char *p, uint64_t i) { return (p[i >> 3] >> (7 - (i & 7))) & 1; }

static void fill_random(unsigned char *p, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++) {
        int kind = rand_r(seed) % 4;
        p[i] = kind == 0 ? 0 : kind == 1 ? 0xff : (unsigned char)rand_r(seed);
    }
}

static void test_popcount(void **state)
{
    (void)state;
    unsigned char z[40] = {0}, f[40];
    memset(f, 0xff, sizeof f);
    assert_int_equal(bm_popcount(z, sizeof z), 0);
    assert_int_equal(bm_popcount(f, sizeof f), 320);
    assert_int_equal(bm_popcount(f, 0), 0);
    assert_int_equal(bm_popcount((const unsigned char *)"foobar", 6), 26);   /* Redis's doc example */
    for (size_t n = 0; n < sizeof f; n++) assert_int_equal(bm_popcount(f + 1, n), 8 * (long long)n);
}

static void test_count_range(void **state)
{
    (void)state;
    const unsigned char *s = (const unsigned char *)"foobar";
    assert_int_equal(bm_count_range(s, 0, 47), 26);
    assert_int_equal(bm_count_range(s, 5, 30), 17);      /* BITCOUNT foobar 5 30 BIT */
    assert_int_equal(bm_count_range(s, 8, 15), 6);       /* BITCOUNT foobar 1 1 */
    assert_int_equal(bm_count_range(s, 3, 3), 0);
    assert_int_equal(bm_count_range(s, 1, 1), 1);
    unsigned seed = 1;
    unsigned char buf[64];
    for (int iter = 0; iter < 3000; iter++) {
        fill_random(buf, sizeof buf, &seed);
        uint64_t a = (uint64_t)(rand_r(&seed) % 512), b = (uint64_t)(rand_r(&seed) % 512);
        if (a > b) { uint64_t t = a; a = b; b = t; }
        long long want = 0;
        for (uint64_t i = a; i <= b; i++) want += naive_bit(buf, i);
        assert_int_equal(bm_count_range(buf, a, b), want);
    }
}

static void test_pos_range(void **state)
{
    (void)state;
    const unsigned char a[] = {0xff, 0xf0, 0x00};
    assert_int_equal(bm_pos_range(a, 0, 23, 0), 12);
    assert_int_equal(bm_pos_range(a, 0, 23, 1), 0);
    assert_int_equal(bm_pos_range(a, 16, 23, 1), -1);
    assert_int_equal(bm_pos_range(a, 0, 11, 0), -1);
    assert_int_equal(bm_pos_range(a, 7, 7, 1), 7);
    const unsigned char z[] = {0, 0, 1};
    assert_int_equal(bm_pos_range(z, 0, 23, 1), 23);
    assert_int_equal(bm_pos_range(z, 0, 22, 1), -1);
    unsigned seed = 2;
    unsigned char buf[80];
    for (int iter = 0; iter < 5000; iter++) {
        fill_random(buf, sizeof buf, &seed);
        if (iter % 3 == 0) memset(buf + 1, iter % 2 ? 0xff : 0, sizeof buf - 2);   /* long runs */
        uint64_t x = (uint64_t)(rand_r(&seed) % 640), y = (uint64_t)(rand_r(&seed) % 640);
        if (x > y) { uint64_t t = x; x = y; y = t; }
        for (int bit = 0; bit <= 1; bit++) {
            long long want = -1;
            for (uint64_t i = x; i <= y; i++)
                if (naive_bit(buf, i) == bit) { want = (long long)i; break; }
            assert_int_equal(bm_pos_range(buf, x, y, bit), want);
        }
    }
}

static void test_op(void **state)
{
    (void)state;
    const unsigned char a[] = {0xf0, 0x0f, 0xaa}, b[] = {0xff};
    const unsigned char *src[] = {a, b, NULL};
    size_t len[] = {3, 1, 0};
    unsigned char out[3];
    bm_op(BM_AND, out, 3, src, len, 2);
    assert_memory_equal(out, ((unsigned char[]){0xf0, 0, 0}), 3);
    bm_op(BM_OR, out, 3, src, len, 2);
    assert_memory_equal(out, ((unsigned char[]){0xff, 0x0f, 0xaa}), 3);
    bm_op(BM_XOR, out, 3, src, len, 2);
    assert_memory_equal(out, ((unsigned char[]){0x0f, 0x0f, 0xaa}), 3);
    bm_op(BM_NOT, out, 3, src, len, 1);
    assert_memory_equal(out, ((unsigned char[]){0x0f, 0xf0, 0x55}), 3);
    bm_op(BM_OR, out, 3, src, len, 3);                    /* an absent source reads as zeroes */
    assert_memory_equal(out, ((unsigned char[]){0xff, 0x0f, 0xaa}), 3);
    bm_op(BM_AND, out, 3, src, len, 3);
    assert_memory_equal(out, ((unsigned char[]){0, 0, 0}), 3);
}

static void test_get_set_roundtrip(void **state)
{
    (void)state;
    unsigned char buf[16] = {0};
    bm_set_unsigned(buf, 0, 8, 0xab);
    assert_int_equal(buf[0], 0xab);
    assert_int_equal(bm_get_unsigned(buf, 0, 4), 0xa);
    assert_int_equal(bm_get_unsigned(buf, 4, 4), 0xb);
    assert_int_equal(bm_get_signed(buf, 0, 4), -6);
    assert_int_equal(bm_get_signed(buf, 0, 8), (int8_t)0xab);
    bm_set_unsigned(buf, 3, 64, UINT64_MAX);
    assert_int_equal(bm_get_signed(buf, 3, 64), -1);
    assert_int_equal(bm_get_unsigned(buf, 3, 63), (uint64_t)INT64_MAX);
    assert_int_equal(buf[0] >> 5, 0xab >> 5);                 /* bits before the field kept */
    assert_int_equal(bm_get_unsigned(buf, 67, 5), 0);         /* and after it */
    unsigned seed = 3;
    for (int iter = 0; iter < 5000; iter++) {
        unsigned char before[16], after[16];
        fill_random(before, sizeof before, &seed);
        memcpy(after, before, sizeof after);
        int bits = 1 + rand_r(&seed) % 64;
        uint64_t off = (uint64_t)(rand_r(&seed) % (128 - bits + 1));
        uint64_t v = ((uint64_t)rand_r(&seed) << 40) ^ ((uint64_t)rand_r(&seed) << 20) ^ (uint64_t)rand_r(&seed);
        bm_set_unsigned(after, off, bits, v);
        uint64_t mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
        assert_int_equal(bm_get_unsigned(after, off, bits), v & mask);
        for (uint64_t i = 0; i < 128; i++)
            if (i < off || i >= off + (uint64_t)bits) assert_int_equal(naive_bit(after, i), naive_bit(before, i));
    }
}

static void test_overflow_unsigned(void **state)
{
    (void)state;
    uint64_t lim = 12345;
    assert_int_equal(bm_overflow_unsigned(250, 5, 8, BM_WRAP, &lim), 0);
    assert_int_equal(lim, 12345);
    assert_int_equal(bm_overflow_unsigned(250, 10, 8, BM_WRAP, &lim), 1);
    assert_int_equal(lim, 4);
    assert_int_equal(bm_overflow_unsigned(250, 10, 8, BM_SAT, &lim), 1);
    assert_int_equal(lim, 255);
    assert_int_equal(bm_overflow_unsigned(3, -5, 8, BM_WRAP, &lim), -1);
    assert_int_equal(lim, 254);
    assert_int_equal(bm_overflow_unsigned(3, -5, 8, BM_SAT, &lim), -1);
    assert_int_equal(lim, 0);
    lim = 7;
    assert_int_equal(bm_overflow_unsigned(3, -5, 8, BM_FAIL, &lim), -1);
    assert_int_equal(lim, 7);                                 /* FAIL leaves it alone */
    /* SET u8 -1: the value itself is out of range (checked with incr 0). */
    assert_int_equal(bm_overflow_unsigned((uint64_t)-1, 0, 8, BM_WRAP, &lim), 1);
    assert_int_equal(lim, 255);
    assert_int_equal(bm_overflow_unsigned((uint64_t)-1, 0, 8, BM_SAT, &lim), 1);
    assert_int_equal(lim, 255);
    assert_int_equal(bm_overflow_unsigned((uint64_t)INT64_MAX, 1, 63, BM_WRAP, &lim), 1);
    assert_int_equal(lim, 0);
    assert_int_equal(bm_overflow_unsigned(0, INT64_MIN, 63, BM_SAT, &lim), -1);
    assert_int_equal(lim, 0);
    assert_int_equal(bm_overflow_unsigned(0, INT64_MAX, 63, BM_SAT, &lim), 0);
}

static void test_overflow_signed(void **state)
{
    (void)state;
    int64_t lim = 0;
    assert_int_equal(bm_overflow_signed(120, 7, 8, BM_WRAP, &lim), 0);
    assert_int_equal(bm_overflow_signed(120, 8, 8, BM_WRAP, &lim), 1);
    assert_int_equal(lim, -128);
    assert_int_equal(bm_overflow_signed(120, 8, 8, BM_SAT, &lim), 1);
    assert_int_equal(lim, 127);
    assert_int_equal(bm_overflow_signed(-120, -9, 8, BM_WRAP, &lim), -1);
    assert_int_equal(lim, 127);
    assert_int_equal(bm_overflow_signed(-120, -9, 8, BM_SAT, &lim), -1);
    assert_int_equal(lim, -128);
    assert_int_equal(bm_overflow_signed(-300, 0, 8, BM_SAT, &lim), -1);   /* SET i8 -300 */
    assert_int_equal(lim, -128);
    assert_int_equal(bm_overflow_signed(-300, 0, 8, BM_WRAP, &lim), -1);
    assert_int_equal(lim, -44);
    assert_int_equal(bm_overflow_signed(INT64_MAX, 1, 64, BM_WRAP, &lim), 1);
    assert_int_equal(lim, INT64_MIN);
    assert_int_equal(bm_overflow_signed(INT64_MIN, -1, 64, BM_SAT, &lim), -1);
    assert_int_equal(lim, INT64_MIN);
    assert_int_equal(bm_overflow_signed(INT64_MIN, INT64_MAX, 64, BM_SAT, &lim), 0);
    assert_int_equal(bm_overflow_signed(-1, 1, 1, BM_WRAP, &lim), 0);     /* i1 holds -1..0 */
    assert_int_equal(bm_overflow_signed(0, 1, 1, BM_WRAP, &lim), 1);
    assert_int_equal(lim, -1);
    /* SET i8 LLONG_MIN saturates at the top, as Redis's wrapping arithmetic has it. */
    assert_int_equal(bm_overflow_signed(INT64_MIN, 0, 8, BM_SAT, &lim), 1);
    assert_int_equal(lim, 127);
}

/* Random INCRBYs on narrow fields against exact arithmetic in __int128. */
static void test_overflow_model(void **state)
{
    (void)state;
    unsigned seed = 4;
    for (int iter = 0; iter < 20000; iter++) {
        int bits = 1 + rand_r(&seed) % 62;
        __int128 smin = -((__int128)1 << (bits - 1)), smax = ((__int128)1 << (bits - 1)) - 1;
        __int128 umax = ((__int128)1 << bits) - 1;
        int64_t incr = (int64_t)(rand_r(&seed) % 2001) - 1000;
        if (iter % 5 == 0) incr = (int64_t)(((uint64_t)rand_r(&seed) << 33) ^ (uint64_t)rand_r(&seed));
        int64_t sv = (int64_t)(smin + (__int128)(rand_r(&seed) % (int)(smax - smin + 1 > 100000 ? 100000 : smax - smin + 1)));
        __int128 sum = (__int128)sv + incr;
        int64_t sl = 0;
        int r = bm_overflow_signed(sv, incr, bits, BM_SAT, &sl);
        assert_int_equal(r, sum > smax ? 1 : sum < smin ? -1 : 0);
        if (r) assert_int_equal(sl, r > 0 ? (int64_t)smax : (int64_t)smin);
        r = bm_overflow_signed(sv, incr, bits, BM_WRAP, &sl);
        if (r) {
            __int128 m = umax + 1, w = ((sum % m) + m) % m;
            if (w > smax) w -= m;
            assert_int_equal(sl, (int64_t)w);
        }
        uint64_t uv = (uint64_t)(rand_r(&seed) % (umax + 1 > 100000 ? 100000 : (int)(umax + 1)));
        __int128 usum = (__int128)uv + incr;
        uint64_t ul = 0;
        r = bm_overflow_unsigned(uv, incr, bits, BM_SAT, &ul);
        assert_int_equal(r, usum > umax ? 1 : usum < 0 ? -1 : 0);
        if (r) assert_int_equal(ul, r > 0 ? (uint64_t)umax : 0);
        r = bm_overflow_unsigned(uv, incr, bits, BM_WRAP, &ul);
        if (r) {
            __int128 m = umax + 1;
            assert_int_equal(ul, (uint64_t)(((usum % m) + m) % m));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_popcount),
        cmocka_unit_test(test_count_range),
        cmocka_unit_test(test_pos_range),
        cmocka_unit_test(test_op),
        cmocka_unit_test(test_get_set_roundtrip),
        cmocka_unit_test(test_overflow_unsigned),
        cmocka_unit_test(test_overflow_signed),
        cmocka_unit_test(test_overflow_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
