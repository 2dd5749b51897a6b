/* hash.h — the hash value type: field -> value, compact while small.
 *
 * A hash starts packed: its pairs sit in one byte buffer, each string a
 * length prefix (LEB128 varint) followed by its bytes, field then value,
 * in insertion order (an overwrite keeps the pair's place, a delete closes
 * the gap).  Lookups walk the buffer, which for a few dozen short pairs is
 * faster and far smaller than a table.  Like Redis's listpack encoding, a
 * hash stays packed while it has at most lim->max_entries pairs and every
 * field and value is at most lim->max_value bytes; the first set that
 * breaks either limit converts it, once and for good, to a dict of sbuf
 * field -> sbuf value (the dict owns both).
 *
 * Fields passed in are sbufs (hashing a dict lookup needs the length
 * header); values are byte ranges.  Entries handed out (hash_entry) point
 * into the hash and stay valid until the next change to it.
 * Nothing here blocks or knows about the server; allocation failure aborts
 * (alloc.h).
 */
#ifndef RILL_HASH_H
#define RILL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include "dict.h"
#include "sbuf.h"

/* Redis 7.0's defaults for hash-max-listpack-entries / -value. */
#define HASH_MAX_PACKED_ENTRIES 512
#define HASH_MAX_PACKED_VALUE 64

typedef struct hash_limits {
    size_t max_entries;     /* pairs a packed hash may hold */
    size_t max_value;       /* longest field or value a packed hash may hold */
} hash_limits;

extern const hash_limits hash_default_limits;

typedef struct hash {
    dict *d;                /* NULL while packed */
    unsigned char *pk;      /* packed pairs (NULL when empty or a dict) */
    uint32_t count;         /* pairs while packed */
    uint32_t used, cap;     /* bytes of pk used / allocated */
} hash;

typedef struct hash_entry {
    const char *f, *v;
    size_t flen, vlen;
} hash_entry;

/* hash_new returns an empty packed hash; hash_free frees it and every pair. */
hash *hash_new(void);
void hash_free(hash *h);
/* hash_dup returns a deep copy with the same encoding. */
hash *hash_dup(const hash *h);
/* hash_mem is the bytes h takes (header, buffer or table, fields, values). */
size_t hash_mem(const hash *h);

static inline int hash_is_packed(const hash *h) { return h->d == NULL; }
size_t hash_len(const hash *h);

/* hash_get finds field f (an sbuf); 1 with v, vlen set, or 0 if absent. */
int hash_get(hash *h, const char *f, const char **v, size_t *vlen);
static inline int hash_exists(hash *h, const char *f)
{
    const char *v;
    size_t n;
    return hash_get(h, f, &v, &n);
}

/* hash_set sets f (an sbuf) to v[0..vlen); returns 1 if f was added, 0 if
 * its value was replaced.  Converts h to a dict first when f or v is longer
 * than lim->max_value, and after adding when h has more than
 * lim->max_entries pairs. */
int hash_set(hash *h, const char *f, const void *v, size_t vlen, const hash_limits *lim);
/* hash_delete removes f; 1 if it was there, 0 if not. */
int hash_delete(hash *h, const char *f);
/* hash_convert turns a packed hash into a dict (no-op if it is one). */
void hash_convert(hash *h);
/* hash_convert_if_long converts h when len exceeds lim->max_value (for
 * commands that convert on their arguments before looking, as HSETNX). */
static inline void hash_convert_if_long(hash *h, size_t len, const hash_limits *lim)
{
    if (len > lim->max_value && hash_is_packed(h)) hash_convert(h);
}

/* Iteration in storage order: insertion order while packed.  h must not
 * change during the walk. */
typedef struct hash_iter {
    hash *h;
    size_t off;             /* packed: offset of the next pair */
    dict_iter di;
} hash_iter;
void hash_iter_init(hash_iter *it, hash *h);
/* hash_next fills e with the next pair; 0 at the end. */
int hash_next(hash_iter *it, hash_entry *e);
void hash_iter_done(hash_iter *it);

/* hash_random fills e with a uniformly chosen pair; h must not be empty. */
void hash_random(hash *h, hash_entry *e);
/* hash_random_many fills out[0..n) with independent random pairs (repeats
 * allowed); h must not be empty. */
void hash_random_many(hash *h, hash_entry *out, size_t n);
/* hash_random_unique fills out[0..n) with n distinct random pairs, n <=
 * hash_len(h).  Order: storage order while packed, random for a dict. */
void hash_random_unique(hash *h, hash_entry *out, size_t n);

/* hash_scan calls fn for pairs from cursor on and returns the next cursor
 * (0: done).  A packed hash is visited whole in one call (cursor ignored),
 * as Redis does; a dict one bucket per call, with dict_scan's guarantees. */
typedef void hash_scan_fn(void *priv, const hash_entry *e);
uint64_t hash_scan(hash *h, uint64_t cursor, hash_scan_fn *fn, void *priv);

#endif
