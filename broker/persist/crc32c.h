/* crc32c.h — CRC-32C (Castagnoli), the checksum of log records.
 *
 * Polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value and final
 * xor 0xFFFFFFFF, as iSCSI, ext4 and LevelDB use it: crc32c("123456789")
 * is 0xE3069283.  Uses the SSE4.2 crc32 instruction when the CPU has it,
 * else a slice-by-8 table; both give the same values.  Pure: no server
 * dependency, thread-safe after the first call (the table is built once).
 */
#ifndef RILL_CRC32C_H
#define RILL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc32c_extend continues crc (0 to start) over p[0..n); the result of
 * crc32c_extend(crc32c_extend(0, a), b) equals crc32c of a followed by b. */
uint32_t crc32c_extend(uint32_t crc, const void *p, size_t n);

static inline uint32_t crc32c(const void *p, size_t n) { return crc32c_extend(0, p, n); }

/* crc32c_sw is the table implementation, whatever the CPU (for tests). */
uint32_t crc32c_sw(uint32_t crc, const void *p, size_t n);

#endif
