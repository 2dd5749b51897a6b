/* stream.h — the stream data structure: ID-ordered entries in packed blocks.
 *
 * A stream is a log of entries, each an ID (ms-seq, two uint64) and a list
 * of field/value pairs, kept in strictly increasing ID order.
 *
 * Layout.  Entries live in blocks of packed, delta-encoded bytes.  A block
 * begins with its "master" field list (the field names of the first entry
 * appended to it), then its entries back to back:
 *
 *   master:  varint nfields, then per field: varint len, bytes
 *   entry:   flags byte (bit0 deleted, bit1 same fields as the master)
 *            varint ms - block.first.ms
 *            varint seq - block.first.seq  if the ms delta is 0, else seq
 *            same fields:  per master field: varint vlen, value
 *            otherwise:    varint nfields, per field: varint nlen, name,
 *                                                      varint vlen, value
 *            back length:  the entry's size so far, base 128 read from the
 *                          right (least significant digit last; every digit
 *                          but the leftmost carries 0x80), so a block can be
 *                          walked in both directions.
 *
 * A block is closed once it holds max_entries entries (live + deleted) or a
 * new entry would take it past max_bytes (stream-node-max-entries and
 * stream-node-max-bytes; 0 means no limit); a single entry larger than
 * max_bytes gets a block of its own.  A closed block is shrunk to fit.
 *
 * Index.  The blocks are indexed by their first ID (the ID of the first entry
 * ever appended to the block, kept even once that entry is deleted) in a
 * B+ tree of fan-out 64 whose leaves point at blocks and are linked both
 * ways.  Every node keeps, per child, the exact first ID below it.  Appends
 * go down the right spine and split by opening a new right sibling, so an
 * append-only tree stays full; a node emptied by deletes or trims is freed
 * (no merging of underfull nodes: streams drain from the head).  A B+ tree
 * rather than a radix tree: keys are fixed 16-byte IDs that arrive in order,
 * so a comparison tree is simpler, and its leaf links give the block-to-
 * block step of a range walk in O(1) in both directions.
 *
 * Costs: append O(1) amortised (a new block, 1 in max_entries appends, walks
 * the right spine: O(log blocks)); range read O(log blocks + block + k) in
 * either direction; delete by ID O(log blocks + block) (a tombstone; the
 * block is freed when its last live entry goes); trim O(log blocks) per whole
 * block removed, plus one block walk for an exact trim.  An exact MINID trim
 * can leave the head block with tombstones only (its last, deleted, ID is not
 * below minid): like Redis's listpack node it stays until a trim removes it
 * whole, so at most one such block exists, at the head.
 *
 * Bookkeeping as Redis 7 keeps it: length (live entries), last_id (the
 * highest ID ever added or set; XDEL of the top entry does not lower it),
 * max_deleted_id (highest ID removed by XDEL; trims do not touch it) and
 * entries_added (every append ever, the logical offset of the last entry).
 * The command layer (cmd_stream.c) may set these three for XSETID.
 *
 * Ownership: a stream owns its blocks and copies every field and value
 * appended.  An iterator's fields are views into a block: valid until the
 * next st_iter_next or any change to the stream.
 * No server dependency: only alloc.h.
 */
#ifndef RILL_STREAM_H
#define RILL_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct stream_id {
    uint64_t ms;
    uint64_t seq;
} stream_id;

#define ST_ID_MIN ((stream_id){0, 0})
#define ST_ID_MAX ((stream_id){UINT64_MAX, UINT64_MAX})
/* Longest formatted ID, "18446744073709551615-18446744073709551615", + NUL. */
#define ST_ID_STR_MAX 42

typedef struct st_block st_block;
typedef struct st_node st_node;

typedef struct stream {
    st_node *root;           /* B+ tree of blocks keyed by first ID, NULL if none */
    st_node *first_leaf, *last_leaf;
    size_t nblocks;
    uint64_t length;         /* live entries */
    stream_id last_id;       /* highest ID ever added (or set by XSETID) */
    stream_id max_deleted_id;/* highest ID removed by XDEL, 0-0 if none */
    uint64_t entries_added;  /* appends ever made (or set by XSETID) */
    size_t alloc;            /* bytes allocated: blocks, their data, the index */
    uint32_t max_bytes;      /* block byte budget, 0 = unlimited */
    uint32_t max_entries;    /* block entry budget, 0 = unlimited */
} stream;

/* One field/value pair of an entry, as views. */
typedef struct st_field {
    const unsigned char *name;
    size_t nlen;
    const unsigned char *val;
    size_t vlen;
} st_field;

/* A range iterator.  Fill with st_iter_init; release with st_iter_done. */
typedef struct st_iter {
    const stream *s;
    const st_node *leaf;     /* the current block is leaf->child[slot] */
    uint32_t slot;
    uint32_t off;            /* forward: next entry; backward: end of next entry */
    int rev;
    int done;
    stream_id start, end;    /* inclusive bounds */
    st_field *fv;            /* the current entry's fields (owned, reused) */
    size_t nf, fcap;
} st_iter;

/* ---- IDs: pure helpers ------------------------------------------------- */

/* st_id_cmp returns <0, 0 or >0 as a is below, equal to or above b. */
int st_id_cmp(stream_id a, stream_id b);

/* st_id_incr sets *id to the next ID (seq overflow carries into ms).
 * Returns 0, or -1 (id unchanged) if id is UINT64_MAX-UINT64_MAX. */
int st_id_incr(stream_id *id);

/* st_id_decr sets *id to the previous ID (seq underflow borrows from ms).
 * Returns 0, or -1 (id unchanged) if id is 0-0. */
int st_id_decr(stream_id *id);

/* st_id_parse parses an ID the way Redis 7's streamGenericParseIDOrReply does:
 * "ms-seq", or "ms" alone (seq = missing_seq), each number an unsigned 64-bit
 * decimal with Redis's string2ull rules.  Unless strict, "-" is 0-0 and "+"
 * is the maximum ID.  If seq_given is not NULL, "ms-*" is accepted and sets
 * *seq_given to 0 (seq 0 in *out); otherwise *seq_given is set to 1.
 * Returns 0, or -1 for anything else (the caller replies "ERR Invalid stream
 * ID specified as stream command argument"). */
int st_id_parse(const char *s, size_t len, uint64_t missing_seq, int strict,
                stream_id *out, int *seq_given);

/* st_id_format writes "ms-seq" and a NUL into buf (ST_ID_STR_MAX bytes) and
 * returns the length without the NUL. */
size_t st_id_format(stream_id id, char *buf);

/* ID generation errors for st_id_next. */
enum {
    ST_ID_OK = 0,
    ST_ID_ERR_SMALL = -1,    /* "ERR The ID specified in XADD is equal or smaller than the target stream top item" */
    ST_ID_ERR_ZERO = -2,     /* "ERR The ID specified in XADD must be greater than 0-0" */
    ST_ID_ERR_EXHAUSTED = -3 /* last ID is the maximum: no auto ID left ("ERR The stream has exhausted the last possible ID, unable to add more items") */
};

/* st_id_next chooses the ID of an XADD after an entry with ID last.
 *   auto_ms: "*"; the ID is (now_ms, 0) if now_ms > last.ms, else last + 1.
 *   otherwise ms is given; seq_given says whether seq was ("ms-*" if not):
 *     partial: seq is 0 if ms > last.ms, last.seq + 1 if ms == last.ms.
 *     explicit: the ID must be above last.
 * An explicit 0-0 is ST_ID_ERR_ZERO (checked before the order check, as Redis
 * does). Returns ST_ID_OK with *out set, or one of the errors above. */
int st_id_next(stream_id last, int auto_ms, uint64_t now_ms, stream_id want,
               int seq_given, stream_id *out);

/* ---- the stream -------------------------------------------------------- */

/* stream_new returns an empty stream with the given block budgets (Redis's
 * defaults are 4096 bytes and 100 entries; 0 = unlimited). */
stream *stream_new(uint32_t max_bytes, uint32_t max_entries);

/* stream_free frees s and every block.  NULL is allowed. */
void stream_free(stream *s);

/* stream_dup returns a copy of s with the same blocks, tombstones included
 * (COPY: Redis duplicates a stream's listpack nodes as they are, so the copy
 * splits where the original does and reports the same XINFO radix-tree-*). */
stream *stream_dup(const stream *s);

/* stream_append appends an entry with ID id and nfields pairs (copied).
 * id must be above s->last_id (choose it with st_id_next); nfields may be 0
 * here although commands never do that.  Sets last_id, bumps length and
 * entries_added.  Returns 0, or -1 (nothing changed) if id is not above
 * last_id. */
int stream_append(stream *s, stream_id id, size_t nfields,
                  const unsigned char *const *names, const size_t *nlens,
                  const unsigned char *const *vals, const size_t *vlens);

/* stream_delete removes the live entry with ID id (XDEL): 1 if it was there,
 * else 0.  Raises max_deleted_id; frees the block if it was its last live
 * entry. */
int stream_delete(stream *s, stream_id id);

/* stream_exists: 1 if a live entry has ID id. */
int stream_exists(const stream *s, stream_id id);

/* stream_first_id / stream_last_entry_id set *out to the lowest / highest
 * live ID and return 1, or return 0 if the stream is empty. */
int stream_first_id(const stream *s, stream_id *out);
int stream_last_entry_id(const stream *s, stream_id *out);

/* stream_trim_maxlen / stream_trim_minid remove the oldest entries until at
 * most maxlen remain / no entry is below minid (XTRIM, XADD's trim options),
 * with Redis 7's streamTrim rules: whole blocks go first; if approx, stop at
 * the first block that cannot go whole; else walk into it.  limit (0 = none)
 * stops before a block whose live entries would take the count removed past
 * limit (Redis's rule; commands only pass a limit with approx, defaulting to
 * 100 * stream-node-max-entries).  Returns the number of entries removed.  Neither
 * touches last_id, max_deleted_id or entries_added. */
uint64_t stream_trim_maxlen(stream *s, uint64_t maxlen, int approx, uint64_t limit);
uint64_t stream_trim_minid(stream *s, stream_id minid, int approx, uint64_t limit);

/* stream_memory returns the bytes the stream uses (struct, index, blocks). */
size_t stream_memory(const stream *s);

/* stream_nblocks returns how many blocks the index holds (tests, DEBUG). */
size_t stream_nblocks(const stream *s);

/* stream_radix_nodes returns the node count of a Redis rax holding the
 * blocks' first IDs as 16-byte big-endian keys (XINFO STREAM's
 * radix-tree-nodes): a compressed trie with a node per unary run, per
 * branching point and per key end, plus the root; 1 when empty.  Equal to
 * Redis's figure whenever the blocks split where Redis's nodes do.  O(blocks). */
size_t stream_radix_nodes(const stream *s);

/* st_iter_init starts a walk over live entries with start <= ID <= end,
 * ascending, or descending if rev.  Exclusive bounds are the caller's job
 * (st_id_incr / st_id_decr).  Costs O(log blocks) to position. */
void st_iter_init(st_iter *it, const stream *s, stream_id start, stream_id end, int rev);

/* st_iter_next moves to the next entry: returns 1 with *id, and it->fv[0 ..
 * it->nf) holding its fields, or 0 at the end of the range. */
int st_iter_next(st_iter *it, stream_id *id);

/* st_iter_done frees the iterator's field array (the stream is untouched). */
void st_iter_done(st_iter *it);

#endif
