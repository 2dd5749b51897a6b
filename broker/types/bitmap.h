/* bitmap.h — bit arithmetic on byte strings, for the bitmap commands.
 *
 * Bits are numbered as Redis numbers them: bit 0 is the most significant
 * bit of byte 0, bit 8 the most significant bit of byte 1, and so on.
 * Bitfields are read and written most significant bit first, at any bit
 * offset, 1 to 64 bits wide.
 *
 * Everything here is pure: the caller owns every buffer, makes it long
 * enough (the functions never grow or allocate) and checks offsets against
 * its limits first.  Nothing here knows the server.
 */
#ifndef RILL_BITMAP_H
#define RILL_BITMAP_H

#include <stddef.h>
#include <stdint.h>

/* bm_popcount: the number of set bits in p[0..n). */
long long bm_popcount(const unsigned char *p, size_t n);

/* bm_count_range: the number of set bits in bits [first, last] of p
 * (inclusive; the caller keeps both inside the buffer, first <= last). */
long long bm_count_range(const unsigned char *p, uint64_t first, uint64_t last);

/* bm_pos_range: the position of the first bit equal to bit (0 or 1) in
 * bits [first, last] of p (inclusive, inside the buffer, first <= last), or
 * -1 if there is none. */
long long bm_pos_range(const unsigned char *p, uint64_t first, uint64_t last, int bit);

/* Bitwise operations of BITOP. */
enum bm_op { BM_AND, BM_OR, BM_XOR, BM_NOT };

/* bm_op computes op over n sources into dst[0..dstlen): source i is
 * src[i][0..len[i]), read as zero past its end (src[i] may be NULL when
 * len[i] is 0).  BM_NOT uses src[0] only. */
void bm_op(enum bm_op op, unsigned char *dst, size_t dstlen, const unsigned char *const *src,
           const size_t *len, size_t n);

/* bm_get_unsigned reads bits [offset, offset+bits) of p as an unsigned
 * integer (1 <= bits <= 64); bm_get_signed as a two's complement one. */
uint64_t bm_get_unsigned(const unsigned char *p, uint64_t offset, int bits);
int64_t bm_get_signed(const unsigned char *p, uint64_t offset, int bits);

/* bm_set_unsigned writes the low bits of value at bits [offset, offset+bits). */
void bm_set_unsigned(unsigned char *p, uint64_t offset, int bits, uint64_t value);

/* Overflow behaviours of BITFIELD. */
enum bm_overflow { BM_WRAP, BM_SAT, BM_FAIL };

/* bm_overflow_unsigned: does value + incr leave the range of an unsigned
 * field of bits bits (value itself may already be out of it, as a SET value
 * is checked with incr 0)?  Returns 0 if not, 1 above the range, -1 below.
 * On overflow *limit gets the wrapped (BM_WRAP) or saturated (BM_SAT) result;
 * with BM_FAIL it is left alone.  Redis's checkUnsignedBitfieldOverflow rules. */
int bm_overflow_unsigned(uint64_t value, int64_t incr, int bits, enum bm_overflow ow, uint64_t *limit);

/* bm_overflow_signed is the same for a signed field (Redis's
 * checkSignedBitfieldOverflow). */
int bm_overflow_signed(int64_t value, int64_t incr, int bits, enum bm_overflow ow, int64_t *limit);

#endif
