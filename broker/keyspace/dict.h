/* dict.h — chained hash table with incremental rehashing and a SCAN cursor.
 *
 * A dict maps keys to values; both are opaque pointers whose meaning comes
 * from the dict_type: it hashes and compares keys and says who frees what.
 * Ownership: the dict owns a key and a value once dict_add/dict_set returns
 * success, and frees them through key_free / val_free (NULL callbacks: not
 * freed) on delete, overwrite, clear and release.  dict_unlink hands the
 * entry back to the caller instead, who ends it with dict_free_unlinked.
 *
 * Rehashing is incremental, as in Redis: growing (load factor 1, or 5 while
 * resizing is discouraged because a fork is running) or shrinking (below
 * 1/8 full, via dict_shrink_if_needed) allocates a second table, and every
 * add, find and delete moves one bucket across; dict_rehash_ms lets a timer
 * move more.  Tables are powers of two in size, so dict_scan's reverse-binary
 * cursor returns every element present for the whole scan at least once,
 * rehashing or not (elements may be returned more than once).
 *
 * Safe iterators pause rehashing and allow deleting the current entry;
 * unsafe ones check a fingerprint and abort if the dict changed under them.
 * Nothing here blocks, takes locks, or knows about the server.
 */
#ifndef RILL_DICT_H
#define RILL_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct dict_entry {
    void *key;
    union {
        void *val;
        int64_t s64;
        uint64_t u64;
        double d;
    } v;
    struct dict_entry *next;
} dict_entry;

typedef struct dict_type {
    uint64_t (*hash)(const void *key);
    /* key_equal returns nonzero when a and b are the same key.  NULL: pointer equality. */
    int (*key_equal)(const void *a, const void *b);
    void (*key_free)(void *key);
    void (*val_free)(void *val);
} dict_type;

typedef struct dict {
    const dict_type *type;
    dict_entry **table[2];
    size_t size[2];         /* buckets; 0 or a power of two */
    size_t used[2];
    long rehash_idx;        /* -1 when not rehashing */
    int pause_rehash;       /* >0: safe iterators running */
} dict;

typedef struct dict_iter {
    dict *d;
    long index;
    int table, safe;
    dict_entry *entry, *next_entry;
    uint64_t fingerprint;
} dict_iter;

/* Hash helpers (SipHash-1-2 keyed with a process-wide 16-byte seed). */
void dict_set_hash_seed(const uint8_t seed[16]);
uint64_t dict_hash_bytes(const void *p, size_t len);
uint64_t dict_hash_bytes_nocase(const void *p, size_t len);   /* ASCII case-folded */

dict *dict_create(const dict_type *type);
/* dict_release frees every entry (through the type) and the dict. */
void dict_release(dict *d);
/* dict_clear frees every entry and leaves an empty dict. callback, if not
 * NULL, is called every 65536 buckets (for long clears). */
void dict_clear(dict *d, void (*callback)(dict *));

static inline size_t dict_size(const dict *d) { return d->used[0] + d->used[1]; }
static inline size_t dict_buckets(const dict *d) { return d->size[0] + d->size[1]; }
static inline int dict_is_rehashing(const dict *d) { return d->rehash_idx != -1; }

/* dict_add adds key->val; returns 0, or -1 (and takes nothing) when key exists. */
int dict_add(dict *d, void *key, void *val);
/* dict_add_raw adds key with a NULL value and returns its entry for the caller
 * to fill; when key exists returns NULL and sets *existing (if not NULL). */
dict_entry *dict_add_raw(dict *d, void *key, dict_entry **existing);
/* dict_set adds or overwrites; returns 1 if added, 0 if overwritten (the old
 * value freed through val_free, the passed key freed through key_free since
 * the stored one is kept). */
int dict_set(dict *d, void *key, void *val);
dict_entry *dict_find(dict *d, const void *key);
void *dict_fetch(dict *d, const void *key);          /* value or NULL */
/* dict_delete removes key, freeing key and value; returns 0 or -1 if absent. */
int dict_delete(dict *d, const void *key);
/* dict_unlink removes key without freeing; NULL if absent. */
dict_entry *dict_unlink(dict *d, const void *key);
void dict_free_unlinked(dict *d, dict_entry *e);

/* dict_expand makes room for size elements now; 0 or -1 (bad size / rehashing). */
int dict_expand(dict *d, size_t size);
/* dict_shrink_if_needed starts a shrinking rehash when under 1/8 full (min 4 buckets). */
void dict_shrink_if_needed(dict *d);
/* dict_rehash moves up to n buckets (visiting at most 10*n empty ones); 1 if more remains. */
int dict_rehash(dict *d, int n);
/* dict_rehash_ms rehashes for about ms milliseconds; returns buckets moved. */
int dict_rehash_ms(dict *d, int ms);
/* Allow/forbid growing past load factor 1 (forbidden while a fork child runs; 5 still forces it). */
void dict_enable_resize(int enable);

/* dict_random_entry returns a random entry or NULL when empty. */
dict_entry *dict_random_entry(dict *d);
/* dict_sample fills out[] with up to count entries from random places (may repeat); returns how many. */
size_t dict_sample(dict *d, dict_entry **out, size_t count);

typedef void dict_scan_fn(void *priv, const dict_entry *e);
/* dict_scan visits the bucket(s) for cursor and returns the next cursor (0: done). */
uint64_t dict_scan(dict *d, uint64_t cursor, dict_scan_fn *fn, void *priv);

void dict_iter_init(dict_iter *it, dict *d, int safe);
dict_entry *dict_next(dict_iter *it);
void dict_iter_done(dict_iter *it);

/* dict_mem_usage is the bytes taken by tables and entries (not keys/values). */
size_t dict_mem_usage(const dict *d);

/* Ready-made types. */
uint64_t dict_sbuf_hash(const void *key);
int dict_sbuf_equal(const void *a, const void *b);
uint64_t dict_sbuf_hash_nocase(const void *key);
int dict_sbuf_equal_nocase(const void *a, const void *b);
void dict_sbuf_free(void *key);

#endif
