/* qlist.h — a list as a chunked deque of packed entries.
 *
 * A qlist is a doubly linked list of chunks; each chunk holds a run of
 * entries packed back to back in one byte block.  An entry is a header
 * (its type and length), its payload, and a trailing "back length" so the
 * block can be walked in both directions:
 *
 *   0xxxxxxx                 integer 0..127, no payload
 *   10llllll                 string of 0..63 bytes
 *   110xxxxx xxxxxxxx        integer -4096..4095
 *   1110llll llllllll        string of 64..4095 bytes
 *   11110000 + u32 length    longer string
 *   11110001/2/3/4 + 2/3/4/8 bytes   integer (little endian, two's complement)
 *
 * followed by the entry's header+payload size in 1..5 bytes, base 128,
 * least significant digit last, every digit but the first carrying 0x80.
 * Strings that spell a canonical integer ("12", "-7", not "012" or "+1")
 * are stored as integers; they read back as the same digits.
 *
 * Chunk size: `fill` follows Redis's list-max-listpack-size: -1..-5 caps a
 * chunk's bytes at 4, 8, 16, 32 or 64 KiB; a positive value caps its entries
 * (and its bytes at 8 KiB, as a safety limit).  A single entry larger than
 * the cap gets a chunk of its own.  Chunks are split when an insert lands in
 * a full one, and neighbours are merged when a delete leaves both small.
 *
 * Costs: push/pop/peek at either end O(1) (plus a memmove inside the end
 * chunk); index, insert, delete in the middle O(n / chunk + chunk).
 *
 * Ownership: a qlist owns its chunks and copies every value pushed.  A
 * ql_entry is a view into a chunk: valid until the list is next modified.
 * No server dependency: only alloc.h.
 */
#ifndef RILL_QLIST_H
#define RILL_QLIST_H

#include <stddef.h>
#include <stdint.h>

enum { QL_HEAD = 0, QL_TAIL = 1 };
enum { QL_FORWARD = 0, QL_BACKWARD = 1 };

typedef struct ql_chunk ql_chunk;

typedef struct qlist {
    ql_chunk *head, *tail;
    uint64_t count;      /* entries in the whole list */
    uint64_t nchunks;
    size_t alloc;        /* bytes allocated (chunk headers and blocks) */
    int fill;            /* list-max-listpack-size */
} qlist;

/* One entry, as a view: str != NULL for a string (str[0..len)), else the
 * integer ll. */
typedef struct ql_entry {
    const unsigned char *str;
    size_t len;
    long long ll;
} ql_entry;

typedef struct ql_pos {
    ql_chunk *c;
    uint32_t off;
} ql_pos;

/* An iterator; ql_next returns the entry at pos and moves on.  The list may
 * be changed only through ql_iter_del / ql_iter_replace while iterating
 * (ql_iter_insert ends the iteration). */
typedef struct ql_iter {
    qlist *l;
    ql_pos pos;          /* next entry to return (c NULL: done) */
    ql_pos last;         /* entry ql_next returned last */
    int dir;
} ql_iter;

qlist *ql_new(int fill);
void ql_free(qlist *l);
/* ql_dup is a deep copy. */
qlist *ql_dup(const qlist *l);
static inline uint64_t ql_len(const qlist *l) { return l->count; }
/* ql_mem is the memory the list takes, headers included. */
size_t ql_mem(const qlist *l);

/* ql_push copies p[0..len) to the head or the tail. */
void ql_push(qlist *l, int where, const void *p, size_t len);
/* ql_peek views the head or tail entry; 0 when the list is empty. */
int ql_peek(const qlist *l, int where, ql_entry *e);
/* ql_pop deletes the head or tail entry (no-op when empty). */
void ql_pop(qlist *l, int where);
/* ql_index views entry idx (negative counts from the tail); 0 if out of range. */
int ql_index(qlist *l, long long idx, ql_entry *e);
/* ql_del_range deletes n entries from index start (0 <= start < len). */
void ql_del_range(qlist *l, uint64_t start, uint64_t n);

/* ql_iter_init starts at index start (negative from the tail) going dir;
 * an out-of-range start gives an iterator that returns nothing. */
void ql_iter_init(ql_iter *it, qlist *l, long long start, int dir);
int ql_next(ql_iter *it, ql_entry *e);
/* ql_iter_del deletes the entry ql_next returned last; iteration continues. */
void ql_iter_del(ql_iter *it);
/* ql_iter_replace replaces that entry's value; iteration continues after it. */
void ql_iter_replace(ql_iter *it, const void *p, size_t len);
/* ql_iter_insert inserts before (after=0) or after that entry; the iterator is spent. */
void ql_iter_insert(ql_iter *it, int after, const void *p, size_t len);

/* ql_entry_eq: does e hold exactly the bytes p[0..len)? */
int ql_entry_eq(const ql_entry *e, const void *p, size_t len);
/* ql_entry_bytes gives e's bytes, formatting an integer into buf (>= 21 bytes). */
const char *ql_entry_bytes(const ql_entry *e, char *buf, size_t *len);

/* ql_range_norm turns Redis's start/end (negative from the tail, inclusive)
 * over a list of len entries into [*from, *from + *n); 0 when empty. */
int ql_range_norm(uint64_t len, long long start, long long end, uint64_t *from, uint64_t *n);

/* ql_check verifies internal invariants (tests); 0 ok, else a code. */
int ql_check(const qlist *l);
/* ql_chunk_count returns the entries of the i-th chunk (tests). */
uint32_t ql_chunk_entries(const qlist *l, uint64_t i);

#endif
