/* sbuf.h — binary-safe byte strings with a length header.
 *
 * An sbuf is a char * that points at the bytes; a small header
 * {uint32 len, uint32 cap} sits just before it, and a NUL always follows the
 * bytes, so an sbuf can be passed to C string functions when it holds no NUL.
 * Lengths are limited to SBUF_MAX (4 GiB - 64).  Functions that may grow the
 * buffer return the (possibly moved) pointer; they abort on out-of-memory, as
 * every allocation in Rill does (see xmalloc in alloc.h).
 */
#ifndef RILL_SBUF_H
#define RILL_SBUF_H

#include <stddef.h>
#include <stdint.h>

typedef char *sbuf;

struct sbuf_hdr {
    uint32_t len;
    uint32_t cap;   /* bytes available for data, not counting the NUL */
};

#define SBUF_HDR(s) ((struct sbuf_hdr *)((s) - sizeof(struct sbuf_hdr)))
#define SBUF_MAX ((size_t)UINT32_MAX - 64)

static inline size_t sbuf_len(const char *s) { return ((const struct sbuf_hdr *)(s - sizeof(struct sbuf_hdr)))->len; }
static inline size_t sbuf_cap(const char *s) { return ((const struct sbuf_hdr *)(s - sizeof(struct sbuf_hdr)))->cap; }

/* sbuf_new makes a new sbuf holding a copy of p[0..len) (p may be NULL: zeroes). */
sbuf sbuf_new(const void *p, size_t len);
/* sbuf_empty makes an empty sbuf with room for cap bytes. */
sbuf sbuf_empty(size_t cap);
sbuf sbuf_from_cstr(const char *s);
sbuf sbuf_from_ll(long long v);
sbuf sbuf_dup(const char *s);
void sbuf_free(sbuf s);
/* sbuf_grow makes room for at least add more bytes (amortised doubling up to 1 MiB steps). */
sbuf sbuf_grow(sbuf s, size_t add);
sbuf sbuf_cat(sbuf s, const void *p, size_t len);
sbuf sbuf_catfmt(sbuf s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* sbuf_setlen sets the length (<= cap) and writes the NUL. */
void sbuf_setlen(sbuf s, size_t len);
/* sbuf_resize sets the length to len, growing with zero bytes when longer. */
sbuf sbuf_resize(sbuf s, size_t len);
/* sbuf_shrink gives back unused capacity. */
sbuf sbuf_shrink(sbuf s);
/* sbuf_range keeps bytes [start, start+len). */
void sbuf_range(sbuf s, size_t start, size_t len);
/* sbuf_alloc_size is the heap size the sbuf takes, for memory accounting. */
size_t sbuf_alloc_size(const char *s);

/* sbuf_place formats an sbuf inside caller memory mem (of at least
 * sizeof(struct sbuf_hdr)+len+1 bytes), copying p; used by the argument arena. */
sbuf sbuf_place(void *mem, const void *p, size_t len);

#endif
