/* bitmap.c — bit arithmetic on byte strings (see bitmap.h).
 *
 * The overflow checks reproduce Redis 7.0's arithmetic exactly, including
 * its intermediate values wrapping in 64 bits (a SET of a value far outside
 * a narrow signed field saturates the way Redis's does); the wrapping is
 * done in unsigned arithmetic here, so it is defined behaviour.
 */
#include "bitmap.h"

#include <string.h>

long long bm_popcount(const unsigned char *p, size_t n)
{
    long long count = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        count += __builtin_popcountll(w);
    }
    for (; i < n; i++) count += __builtin_popcount(p[i]);
    return count;
}

/* Mask of the bits of a byte from bit `from` (0 = most significant) on. */
static unsigned char mask_from(unsigned from) { return (unsigned char)(0xffu >> from); }

/* Mask of the bits of a byte up to bit `to` included. */
static unsigned char mask_to(unsigned to) { return (unsigned char)(0xff00u >> (to + 1)); }

long long bm_count_range(const unsigned char *p, uint64_t first, uint64_t last)
{
    uint64_t fb = first >> 3, lb = last >> 3;
    unsigned char fm = mask_from((unsigned)(first & 7)), lm = mask_to((unsigned)(last & 7));
    if (fb == lb) return __builtin_popcount(p[fb] & fm & lm);
    return __builtin_popcount(p[fb] & fm) + bm_popcount(p + fb + 1, (size_t)(lb - fb - 1)) +
           __builtin_popcount(p[lb] & lm);
}

/* Position (0..7) of the first bit equal to bit in byte b under mask m, or -1. */
static int first_in_byte(unsigned char b, unsigned char m, int bit)
{
    unsigned v = (unsigned)(bit ? b : (unsigned char)~b) & m;
    if (!v) return -1;
    return __builtin_clz(v) - (int)(sizeof(unsigned) * 8 - 8);
}

long long bm_pos_range(const unsigned char *p, uint64_t first, uint64_t last, int bit)
{
    uint64_t fb = first >> 3, lb = last >> 3;
    unsigned char fm = mask_from((unsigned)(first & 7)), lm = mask_to((unsigned)(last & 7));
    int r;
    if (fb == lb) {
        r = first_in_byte(p[fb], fm & lm, bit);
        return r < 0 ? -1 : (long long)(fb * 8 + (uint64_t)r);
    }
    if ((r = first_in_byte(p[fb], fm, bit)) >= 0) return (long long)(fb * 8 + (uint64_t)r);
    uint64_t i = fb + 1;
    const uint64_t skip = bit ? 0 : UINT64_MAX;     /* words with nothing to find */
    for (; i + 8 <= lb; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != skip) break;
    }
    for (; i < lb; i++)
        if ((r = first_in_byte(p[i], 0xff, bit)) >= 0) return (long long)(i * 8 + (uint64_t)r);
    if ((r = first_in_byte(p[lb], lm, bit)) >= 0) return (long long)(lb * 8 + (uint64_t)r);
    return -1;
}

void bm_op(enum bm_op op, unsigned char *dst, size_t dstlen, const unsigned char *const *src,
           const size_t *len, size_t n)
{
    for (size_t j = 0; j < dstlen; j++) {
        unsigned char out = len[0] > j ? src[0][j] : 0;
        if (op == BM_NOT) {
            dst[j] = (unsigned char)~out;
            continue;
        }
        for (size_t i = 1; i < n; i++) {
            unsigned char b = len[i] > j ? src[i][j] : 0;
            if (op == BM_AND) out &= b;
            else if (op == BM_OR) out |= b;
            else out ^= b;
        }
        dst[j] = out;
    }
}

uint64_t bm_get_unsigned(const unsigned char *p, uint64_t offset, int bits)
{
    uint64_t value = 0;
    for (int j = 0; j < bits; j++, offset++) {
        unsigned bit = 7 - (unsigned)(offset & 7);
        value = (value << 1) | ((p[offset >> 3] >> bit) & 1u);
    }
    return value;
}

int64_t bm_get_signed(const unsigned char *p, uint64_t offset, int bits)
{
    uint64_t u = bm_get_unsigned(p, offset, bits);
    if (bits < 64 && (u & ((uint64_t)1 << (bits - 1)))) u |= UINT64_MAX << bits;
    return (int64_t)u;
}

void bm_set_unsigned(unsigned char *p, uint64_t offset, int bits, uint64_t value)
{
    for (int j = 0; j < bits; j++, offset++) {
        unsigned bit = 7 - (unsigned)(offset & 7);
        unsigned v = (unsigned)(value >> (bits - 1 - j)) & 1u;
        unsigned char *b = p + (offset >> 3);
        *b = (unsigned char)((*b & ~(1u << bit)) | (v << bit));
    }
}

int bm_overflow_unsigned(uint64_t value, int64_t incr, int bits, enum bm_overflow ow, uint64_t *limit)
{
    uint64_t max = bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    int64_t maxincr = (int64_t)(max - value);
    int64_t minincr = (int64_t)(0 - value);
    int r;
    if (value > max || (incr > 0 && incr > maxincr)) r = 1;
    else if (incr < 0 && incr < minincr) r = -1;
    else return 0;
    if (ow == BM_WRAP) {
        uint64_t res = value + (uint64_t)incr;
        *limit = bits >= 64 ? res : res & max;
    } else if (ow == BM_SAT) {
        *limit = r > 0 ? max : 0;
    }
    return r;
}

int bm_overflow_signed(int64_t value, int64_t incr, int bits, enum bm_overflow ow, int64_t *limit)
{
    int64_t max = bits >= 64 ? INT64_MAX : (int64_t)(((uint64_t)1 << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    int r;
    if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) r = 1;
    else if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) r = -1;
    else return 0;
    if (ow == BM_WRAP) {
        uint64_t c = (uint64_t)value + (uint64_t)incr;
        if (bits < 64) {
            uint64_t mask = UINT64_MAX << bits;
            if (c & ((uint64_t)1 << (bits - 1))) c |= mask;
            else c &= ~mask;
        }
        *limit = (int64_t)c;
    } else if (ow == BM_SAT) {
        *limit = r > 0 ? max : min;
    }
    return r;
}
