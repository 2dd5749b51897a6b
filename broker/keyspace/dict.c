/* dict.c — chained hash table with incremental rehashing and a SCAN cursor.
 *
 * Design notes
 * ------------
 * A dict holds two bucket arrays.  Normally only table[0] is in use.  When it
 * must grow (or shrink), table[1] is allocated at the new size and
 * rehash_idx walks table[0] from bucket 0 upwards: each add, find, delete and
 * random pick first moves one bucket (dict_rehash(d, 1)), and a timer may move
 * more (dict_rehash_ms).  While rehashing, buckets of table[0] below
 * rehash_idx are empty and new entries go to table[1]; lookups try table[0]
 * then table[1].  When table[0] is empty it is freed and table[1] takes its
 * place.  Safe iterators and dict_scan raise pause_rehash, which stops the
 * implicit single steps (and dict_rehash / dict_rehash_ms), so entries never
 * move under them.
 *
 * Sizes are powers of two, so a bucket index is hash & (size - 1).  That is
 * what makes the SCAN cursor work across resizes: with a small table of mask
 * m0 and a large one of mask m1, the entries of small bucket b live, in the
 * large table, in the buckets whose low bits equal b (the "expansions" of b).
 * dict_scan counts its cursor in bit-reversed order (increment the reversed
 * value), i.e. it walks the high bits of the bucket index first.  Every
 * expansion of bucket b in a larger table then comes before the expansions of
 * the next cursor, and a table of any other power-of-two size agrees on which
 * cursors are already done.  So when the table grows, buckets already visited
 * map to cursors already passed; when it shrinks, a small bucket may hold
 * entries from buckets already visited (returned twice, which is allowed) but
 * never skips one that has not.  While rehashing, one call visits the small
 * table's bucket and then every expansion of it in the large table, so both
 * halves of the moving data are seen under one cursor.
 *
 * Growth happens when an add finds used >= size (load factor 1), or, while
 * resizing is disabled (a fork child shares our pages), only at load factor 5.
 * Shrinking is explicit: dict_shrink_if_needed, called by the keyspace's cron,
 * starts a rehash to the smallest power of two >= used (min 4) once the table
 * is under 1/8 full.
 *
 * Hashing is SipHash-1-2 keyed with a process-wide seed: one compression round
 * and two finalization rounds, the speed/strength trade Redis makes for
 * hash-flooding resistance on its keyspace.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L    /* clock_gettime, under strict -std=c11 too */
#endif
#include "dict.h"

#include "alloc.h"
#include "sbuf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DICT_INITIAL_SIZE 4
#define DICT_FORCE_RESIZE_RATIO 5
#define DICT_SHRINK_RATIO 8          /* shrink when used * 8 < size */
#define DICT_CLEAR_CALLBACK_EVERY 65536

/* ---------------------------------------------------------------------------
 * Process-wide settings and the random source
 * ------------------------------------------------------------------------- */

static int resize_enabled = 1;

/* The hash seed; fixed until dict_set_hash_seed replaces it (the server
 * seeds it from /dev/urandom at start-up). */
static uint8_t hash_seed[16] = {
    0x52, 0x69, 0x6c, 0x6c, 0x2d, 0x64, 0x69, 0x63,
    0x74, 0x2d, 0x73, 0x65, 0x65, 0x64, 0x21, 0x0a,
};

void dict_enable_resize(int enable)
{
    resize_enabled = enable != 0;
}

void dict_set_hash_seed(const uint8_t seed[16])
{
    memcpy(hash_seed, seed, sizeof(hash_seed));
}

/* xorshift64* per thread: only used for random picks, never for anything an
 * attacker could exploit. */
static _Thread_local uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static inline uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* ---------------------------------------------------------------------------
 * SipHash-1-2
 * ------------------------------------------------------------------------- */

#ifndef DICT_SIP_C_ROUNDS
#define DICT_SIP_C_ROUNDS 1
#endif
#ifndef DICT_SIP_D_ROUNDS
#define DICT_SIP_D_ROUNDS 2
#endif

static inline uint64_t rotl64(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

/* load_le64 reads 8 bytes as a little-endian integer. */
static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* fold8 lowercases the ASCII letters among 8 packed bytes and leaves every
 * other byte (including bytes >= 0x80) alone.  For each byte, with its top
 * bit cleared, adding 0x80-'A' sets the top bit iff it is >= 'A', and adding
 * 0x80-'Z'-1 sets it iff it is > 'Z'; no addition carries into the next byte. */
static inline uint64_t fold8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t low7 = x & ~high;
    uint64_t ge_a = low7 + ones * (0x80 - 'A');
    uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1);
    uint64_t upper = ge_a & ~gt_z & ~x & high;
    return x | (upper >> 2);
}

#define SIP_ROUND(v0, v1, v2, v3)                                       \
    do {                                                                \
        v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);   \
        v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;                        \
        v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;                        \
        v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);   \
    } while (0)

/* siphash computes SipHash-c-d of p[0..len) under the current seed; with
 * fold set, ASCII letters are lowercased as they are read.  fold is a
 * constant at both call sites, so the compiler drops the unused branch. */
static inline uint64_t siphash(const uint8_t *p, size_t len, int fold)
{
    uint64_t k0 = load_le64(hash_seed), k1 = load_le64(hash_seed + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
    uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
    uint64_t v3 = k1 ^ 0x7465646279746573ULL;
    const uint8_t *end = p + (len & ~(size_t)7);

    for (; p != end; p += 8) {
        uint64_t m = load_le64(p);
        if (fold) m = fold8(m);
        v3 ^= m;
        for (int i = 0; i < DICT_SIP_C_ROUNDS; i++) SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }

    /* Last block: the remaining 0..7 bytes, with len mod 256 in the top byte. */
    uint64_t b = (uint64_t)len << 56, tail = 0;
    switch (len & 7) {
    case 7: tail |= (uint64_t)p[6] << 48; /* fall through */
    case 6: tail |= (uint64_t)p[5] << 40; /* fall through */
    case 5: tail |= (uint64_t)p[4] << 32; /* fall through */
    case 4: tail |= (uint64_t)p[3] << 24; /* fall through */
    case 3: tail |= (uint64_t)p[2] << 16; /* fall through */
    case 2: tail |= (uint64_t)p[1] << 8;  /* fall through */
    case 1: tail |= (uint64_t)p[0]; break;
    case 0: break;
    }
    if (fold) tail = fold8(tail);    /* the zero padding bytes stay zero */
    b |= tail;

    v3 ^= b;
    for (int i = 0; i < DICT_SIP_C_ROUNDS; i++) SIP_ROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    for (int i = 0; i < DICT_SIP_D_ROUNDS; i++) SIP_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t dict_hash_bytes(const void *p, size_t len)
{
    return siphash(p, len, 0);
}

uint64_t dict_hash_bytes_nocase(const void *p, size_t len)
{
    return siphash(p, len, 1);
}

/* ---------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------- */

static inline int keys_equal(const dict *d, const void *a, const void *b)
{
    return a == b || (d->type->key_equal && d->type->key_equal(a, b));
}

static inline void free_entry(dict *d, dict_entry *e)
{
    if (d->type->key_free) d->type->key_free(e->key);
    if (d->type->val_free) d->type->val_free(e->v.val);
    xfree(e);
}

/* table_size returns the power of two a table for n elements needs (at least
 * DICT_INITIAL_SIZE), or 0 when that would not fit in memory. */
static size_t table_size(size_t n)
{
    const size_t max = ((size_t)1 << (sizeof(size_t) * CHAR_BIT - 1)) / sizeof(dict_entry *);
    if (n > max) return 0;
    size_t s = DICT_INITIAL_SIZE;
    while (s < n) s <<= 1;
    return s;
}

/* resize_to allocates a table of exactly size buckets (a power of two): as
 * table[0] when the dict has none yet, else as table[1] with a rehash begun.
 * The caller has checked that no rehash is running. */
static void resize_to(dict *d, size_t size)
{
    dict_entry **t = xcalloc(size, sizeof(*t));
    if (d->table[0] == NULL) {
        d->table[0] = t;
        d->size[0] = size;
        d->used[0] = 0;
        return;
    }
    d->table[1] = t;
    d->size[1] = size;
    d->used[1] = 0;
    d->rehash_idx = 0;
}

/* expand_if_needed grows the table before an add that would push it past its
 * load factor.  Does nothing while a rehash is running. */
static inline void expand_if_needed(dict *d)
{
    if (dict_is_rehashing(d)) return;
    if (d->size[0] == 0) {
        resize_to(d, DICT_INITIAL_SIZE);
        return;
    }
    if (d->used[0] >= d->size[0] &&
        (resize_enabled || d->used[0] >= d->size[0] * DICT_FORCE_RESIZE_RATIO)) {
        size_t s = table_size(d->used[0] + 1);
        if (s > d->size[0]) resize_to(d, s);
    }
}

/* ---------------------------------------------------------------------------
 * Creation and destruction
 * ------------------------------------------------------------------------- */

dict *dict_create(const dict_type *type)
{
    dict *d = xcalloc(1, sizeof(*d));
    d->type = type;
    d->rehash_idx = -1;
    return d;
}

/* clear_table frees every entry of table[t] and the table itself. */
static void clear_table(dict *d, int t, void (*callback)(dict *))
{
    dict_entry **tab = d->table[t];
    for (size_t i = 0; i < d->size[t] && d->used[t] > 0; i++) {
        if (callback && (i & (DICT_CLEAR_CALLBACK_EVERY - 1)) == 0) callback(d);
        dict_entry *e = tab[i];
        while (e) {
            dict_entry *next = e->next;
            free_entry(d, e);
            d->used[t]--;
            e = next;
        }
    }
    xfree(tab);
    d->table[t] = NULL;
    d->size[t] = 0;
    d->used[t] = 0;
}

void dict_clear(dict *d, void (*callback)(dict *))
{
    clear_table(d, 0, callback);
    clear_table(d, 1, callback);
    d->rehash_idx = -1;
}

void dict_release(dict *d)
{
    if (!d) return;
    dict_clear(d, NULL);
    xfree(d);
}

/* ---------------------------------------------------------------------------
 * Rehashing
 * ------------------------------------------------------------------------- */

/* rehash_buckets moves up to n non-empty buckets from table[0] to table[1],
 * giving up after 10*n empty ones; *moved counts the buckets moved.  Returns
 * 1 if the rehash is still unfinished. */
static int rehash_buckets(dict *d, int n, long *moved)
{
    if (!dict_is_rehashing(d)) return 0;
    size_t empty_visits = (size_t)n * 10;
    size_t mask1 = d->size[1] - 1;
    int shrinking = d->size[1] < d->size[0];

    while (n-- > 0 && d->used[0] != 0) {
        while (d->table[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0) return 1;
        }
        dict_entry *e = d->table[0][d->rehash_idx];
        while (e) {
            dict_entry *next = e->next;
            /* Shrinking: the new mask is a subset of the old one, so the new
             * index follows from the old one without rehashing the key. */
            size_t idx = shrinking ? ((size_t)d->rehash_idx & mask1)
                                   : (d->type->hash(e->key) & mask1);
            e->next = d->table[1][idx];
            d->table[1][idx] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        d->table[0][d->rehash_idx] = NULL;
        d->rehash_idx++;
        (*moved)++;
    }

    if (d->used[0] == 0) {
        xfree(d->table[0]);
        d->table[0] = d->table[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        d->table[1] = NULL;
        d->size[1] = 0;
        d->used[1] = 0;
        d->rehash_idx = -1;
        return 0;
    }
    return 1;
}

int dict_rehash(dict *d, int n)
{
    long moved = 0;
    if (d->pause_rehash > 0) return dict_is_rehashing(d);
    return rehash_buckets(d, n, &moved);
}

/* rehash_step is the single bucket move done by ordinary operations. */
static inline void rehash_step(dict *d)
{
    if (d->pause_rehash == 0) {
        long moved = 0;
        rehash_buckets(d, 1, &moved);
    }
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dict_rehash_ms(dict *d, int ms)
{
    if (d->pause_rehash > 0) return 0;
    long long start = monotonic_ms();
    long moved = 0;
    while (rehash_buckets(d, 100, &moved)) {
        if (monotonic_ms() - start > ms) break;
    }
    return moved > INT_MAX ? INT_MAX : (int)moved;
}

int dict_expand(dict *d, size_t size)
{
    if (dict_is_rehashing(d) || size < d->used[0]) return -1;
    size_t s = table_size(size);
    if (s == 0) return -1;
    if (s <= d->size[0]) return 0;    /* already room */
    resize_to(d, s);
    return 0;
}

void dict_shrink_if_needed(dict *d)
{
    if (!resize_enabled || dict_is_rehashing(d)) return;
    if (d->size[0] <= DICT_INITIAL_SIZE) return;
    if (d->used[0] * DICT_SHRINK_RATIO >= d->size[0]) return;
    size_t s = table_size(d->used[0]);
    if (s < d->size[0]) resize_to(d, s);
}

/* ---------------------------------------------------------------------------
 * Add, find, delete
 * ------------------------------------------------------------------------- */

dict_entry *dict_add_raw(dict *d, void *key, dict_entry **existing)
{
    if (dict_is_rehashing(d)) rehash_step(d);
    expand_if_needed(d);

    uint64_t h = d->type->hash(key);
    for (int t = 0; t <= 1; t++) {
        size_t idx = h & (d->size[t] - 1);
        for (dict_entry *e = d->table[t][idx]; e; e = e->next) {
            if (keys_equal(d, key, e->key)) {
                if (existing) *existing = e;
                return NULL;
            }
        }
        if (!dict_is_rehashing(d)) break;
    }

    /* While rehashing new entries go to table[1], which survives. */
    int t = dict_is_rehashing(d) ? 1 : 0;
    size_t idx = h & (d->size[t] - 1);
    dict_entry *e = xmalloc(sizeof(*e));
    e->key = key;
    e->v.val = NULL;
    e->next = d->table[t][idx];
    d->table[t][idx] = e;
    d->used[t]++;
    return e;
}

int dict_add(dict *d, void *key, void *val)
{
    dict_entry *e = dict_add_raw(d, key, NULL);
    if (!e) return -1;
    e->v.val = val;
    return 0;
}

int dict_set(dict *d, void *key, void *val)
{
    dict_entry *existing = NULL;
    dict_entry *e = dict_add_raw(d, key, &existing);
    if (e) {
        e->v.val = val;
        return 1;
    }
    /* Store first, free second: with refcounted values val may be the very
     * object already stored, handed in with an extra reference. */
    void *old = existing->v.val;
    existing->v.val = val;
    if (d->type->val_free) d->type->val_free(old);
    if (d->type->key_free && key != existing->key) d->type->key_free(key);
    return 0;
}

dict_entry *dict_find(dict *d, const void *key)
{
    if (dict_size(d) == 0) return NULL;
    if (dict_is_rehashing(d)) rehash_step(d);

    uint64_t h = d->type->hash(key);
    for (int t = 0; t <= 1; t++) {
        size_t idx = h & (d->size[t] - 1);
        /* Buckets of table[0] below rehash_idx are already empty. */
        if (t == 0 && (long)idx < d->rehash_idx) continue;
        for (dict_entry *e = d->table[t][idx]; e; e = e->next) {
            if (keys_equal(d, key, e->key)) return e;
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

void *dict_fetch(dict *d, const void *key)
{
    dict_entry *e = dict_find(d, key);
    return e ? e->v.val : NULL;
}

/* remove_entry unlinks key's entry and returns it, or NULL if absent. */
static dict_entry *remove_entry(dict *d, const void *key)
{
    if (dict_size(d) == 0) return NULL;
    if (dict_is_rehashing(d)) rehash_step(d);

    uint64_t h = d->type->hash(key);
    for (int t = 0; t <= 1; t++) {
        size_t idx = h & (d->size[t] - 1);
        if (t == 0 && (long)idx < d->rehash_idx) continue;
        dict_entry **link = &d->table[t][idx];
        for (dict_entry *e = *link; e; link = &e->next, e = e->next) {
            if (keys_equal(d, key, e->key)) {
                *link = e->next;
                e->next = NULL;
                d->used[t]--;
                return e;
            }
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

int dict_delete(dict *d, const void *key)
{
    dict_entry *e = remove_entry(d, key);
    if (!e) return -1;
    free_entry(d, e);
    return 0;
}

dict_entry *dict_unlink(dict *d, const void *key)
{
    return remove_entry(d, key);
}

void dict_free_unlinked(dict *d, dict_entry *e)
{
    if (e) free_entry(d, e);
}

/* ---------------------------------------------------------------------------
 * Random picks
 * ------------------------------------------------------------------------- */

dict_entry *dict_random_entry(dict *d)
{
    if (dict_size(d) == 0) return NULL;
    if (dict_is_rehashing(d)) rehash_step(d);

    dict_entry *e;
    if (dict_is_rehashing(d)) {
        /* Pick among the buckets that can hold entries: table[0] from
         * rehash_idx on, then all of table[1]. */
        size_t first = (size_t)d->rehash_idx;
        size_t span = d->size[0] + d->size[1] - first;
        do {
            size_t i = first + rng_next() % span;
            e = i >= d->size[0] ? d->table[1][i - d->size[0]] : d->table[0][i];
        } while (e == NULL);
    } else {
        size_t mask = d->size[0] - 1;
        do {
            e = d->table[0][rng_next() & mask];
        } while (e == NULL);
    }

    /* A uniform pick within the chain. */
    size_t len = 0;
    for (dict_entry *c = e; c; c = c->next) len++;
    for (size_t k = rng_next() % len; k > 0; k--) e = e->next;
    return e;
}

size_t dict_sample(dict *d, dict_entry **out, size_t count)
{
    size_t n = dict_size(d);
    if (count > n) count = n;
    if (count == 0) return 0;
    if (dict_is_rehashing(d)) rehash_step(d);

    /* Walk buckets from a random place, taking whole chains, and jump to a
     * fresh random place after a run of empty buckets.  Fast, not uniform. */
    int tables = dict_is_rehashing(d) ? 2 : 1;
    size_t maxmask = d->size[0] - 1;
    if (tables == 2 && d->size[1] - 1 > maxmask) maxmask = d->size[1] - 1;
    size_t i = rng_next() & maxmask, empty_run = 0, stored = 0;
    size_t steps = count * 10;

    while (stored < count && steps-- > 0) {
        for (int t = 0; t < tables; t++) {
            /* Buckets of table[0] below rehash_idx are empty; if table[1]
             * has no such index either, jump to rehash_idx. */
            if (tables == 2 && t == 0 && i < (size_t)d->rehash_idx) {
                if (i >= d->size[1]) i = (size_t)d->rehash_idx;
                else continue;
            }
            if (i >= d->size[t]) continue;
            dict_entry *e = d->table[t][i];
            if (e == NULL) {
                empty_run++;
                if (empty_run >= 5 && empty_run > count) {
                    i = rng_next() & maxmask;
                    empty_run = 0;
                }
                continue;
            }
            empty_run = 0;
            for (; e; e = e->next) {
                out[stored++] = e;
                if (stored == count) return stored;
            }
        }
        i = (i + 1) & maxmask;
    }
    return stored;
}

/* ---------------------------------------------------------------------------
 * SCAN
 * ------------------------------------------------------------------------- */

static inline uint64_t rev64(uint64_t v)
{
    v = __builtin_bswap64(v);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    return v;
}

/* next_cursor increments the bits of v under mask in reversed order: setting
 * the bits above the mask makes the carry run off the top. */
static inline uint64_t next_cursor(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    return rev64(rev64(v) + 1);
}

/* emit_chain hands each entry of a chain to fn, reading next first so that fn
 * may delete the entry it is given. */
static inline void emit_chain(dict_entry *e, dict_scan_fn *fn, void *priv)
{
    while (e) {
        dict_entry *next = e->next;
        fn(priv, e);
        e = next;
    }
}

/* dict_scan: fn may delete the entry it is handed (rehashing is paused during
 * the call) but must not otherwise change d. */
uint64_t dict_scan(dict *d, uint64_t cursor, dict_scan_fn *fn, void *priv)
{
    if (dict_size(d) == 0) return 0;
    uint64_t v = cursor;
    d->pause_rehash++;

    if (!dict_is_rehashing(d)) {
        uint64_t m0 = d->size[0] - 1;
        emit_chain(d->table[0][v & m0], fn, priv);
        v = next_cursor(v, m0);
    } else {
        int small = d->size[0] <= d->size[1] ? 0 : 1, large = !small;
        dict_entry **t0 = d->table[small], **t1 = d->table[large];
        uint64_t m0 = d->size[small] - 1, m1 = d->size[large] - 1;

        emit_chain(t0[v & m0], fn, priv);
        /* Every large-table bucket whose low bits are v & m0, in cursor
         * order; the loop ends when the carry leaves the bits m1 adds to m0,
         * which leaves v incremented as a small-table cursor. */
        do {
            emit_chain(t1[v & m1], fn, priv);
            v = next_cursor(v, m1);
        } while (v & (m0 ^ m1));
    }

    d->pause_rehash--;
    return v;
}

/* ---------------------------------------------------------------------------
 * Iterators
 * ------------------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* fingerprint summarises the dict's shape; any add, delete or rehash step
 * changes it (barring a 64-bit collision). */
static uint64_t fingerprint(const dict *d)
{
    uint64_t vals[7] = {
        (uint64_t)(uintptr_t)d->table[0], d->size[0], d->used[0],
        (uint64_t)(uintptr_t)d->table[1], d->size[1], d->used[1],
        (uint64_t)d->rehash_idx,
    };
    uint64_t h = 0;
    for (int i = 0; i < 7; i++) h = mix64(h ^ vals[i]) + (uint64_t)i;
    return h;
}

void dict_iter_init(dict_iter *it, dict *d, int safe)
{
    it->d = d;
    it->index = -1;
    it->table = 0;
    it->safe = safe;
    it->entry = NULL;
    it->next_entry = NULL;
    it->fingerprint = 0;
}

dict_entry *dict_next(dict_iter *it)
{
    dict *d = it->d;
    for (;;) {
        if (it->entry == NULL) {
            if (it->index == -1 && it->table == 0) {
                if (it->safe) d->pause_rehash++;
                else it->fingerprint = fingerprint(d);
            }
            it->index++;
            if ((size_t)it->index >= d->size[it->table]) {
                if (dict_is_rehashing(d) && it->table == 0) {
                    it->table = 1;
                    it->index = 0;
                } else {
                    return NULL;
                }
            }
            it->entry = d->table[it->table][it->index];
        } else {
            it->entry = it->next_entry;
        }
        if (it->entry) {
            /* Saved now: a safe iterator's caller may delete entry. */
            it->next_entry = it->entry->next;
            return it->entry;
        }
    }
}

void dict_iter_done(dict_iter *it)
{
    if (it->index == -1 && it->table == 0) return;    /* never started */
    if (it->safe) {
        it->d->pause_rehash--;
    } else if (it->fingerprint != fingerprint(it->d)) {
        fprintf(stderr, "rill: dict changed under an unsafe iterator\n");
        abort();
    }
}

/* ---------------------------------------------------------------------------
 * Accounting and ready-made types
 * ------------------------------------------------------------------------- */

size_t dict_mem_usage(const dict *d)
{
    return dict_buckets(d) * sizeof(dict_entry *) + dict_size(d) * sizeof(dict_entry);
}

uint64_t dict_sbuf_hash(const void *key)
{
    return dict_hash_bytes(key, sbuf_len(key));
}

int dict_sbuf_equal(const void *a, const void *b)
{
    size_t n = sbuf_len(a);
    return n == sbuf_len(b) && memcmp(a, b, n) == 0;
}

uint64_t dict_sbuf_hash_nocase(const void *key)
{
    return dict_hash_bytes_nocase(key, sbuf_len(key));
}

static inline unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

int dict_sbuf_equal_nocase(const void *a, const void *b)
{
    size_t n = sbuf_len(a);
    if (n != sbuf_len(b)) return 0;
    const unsigned char *p = a, *q = b;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != q[i] && ascii_lower(p[i]) != ascii_lower(q[i])) return 0;
    }
    return 1;
}

void dict_sbuf_free(void *key)
{
    sbuf_free(key);
}
