/* hash.c — the hash value type: packed pairs while small, a dict after.
 *
 * Packed layout (see hash.h): pk[0..used) is count pairs, each string a
 * LEB128 length (1 byte below 128, at most 5) followed by its bytes.  An
 * overwrite with a value of the same encoded size is one memcpy; other
 * changes memmove the tail.  The dict form maps sbuf field -> sbuf value,
 * both owned by the dict (hash_dict_type frees them).
 */
#include "hash.h"

#include <string.h>

#include "alloc.h"

const hash_limits hash_default_limits = {HASH_MAX_PACKED_ENTRIES, HASH_MAX_PACKED_VALUE};

static const dict_type hash_dict_type = {
    dict_sbuf_hash, dict_sbuf_equal, dict_sbuf_free, dict_sbuf_free,
};

/* ---- random source (xorshift64*; picks only, nothing security-related) ---- */

static _Thread_local uint64_t rng_state = 0x2545f4914f6cdd1dULL ^ 0x68617368ULL;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static size_t rng_below(size_t n) { return (size_t)(rng_next() % n); }

/* ---- packed encoding helpers ------------------------------------------ */

static size_t varint_size(size_t len)
{
    size_t n = 1;
    while (len >= 0x80) {
        len >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(unsigned char *p, size_t len)
{
    size_t n = 0;
    while (len >= 0x80) {
        p[n++] = (unsigned char)(len & 0x7f) | 0x80;
        len >>= 7;
    }
    p[n++] = (unsigned char)len;
    return n;
}

/* varint_get reads a length at p; returns the prefix size. */
static inline size_t varint_get(const unsigned char *p, size_t *len)
{
    if (p[0] < 0x80) {
        *len = p[0];
        return 1;
    }
    size_t v = 0, n = 0;
    unsigned shift = 0;
    do {
        v |= (size_t)(p[n] & 0x7f) << shift;
        shift += 7;
    } while (p[n++] & 0x80);
    *len = v;
    return n;
}

/* pk_entry reads the pair at off into e; returns the offset after it. */
static size_t pk_entry(const hash *h, size_t off, hash_entry *e)
{
    const unsigned char *p = h->pk;
    off += varint_get(p + off, &e->flen);
    e->f = (const char *)p + off;
    off += e->flen;
    off += varint_get(p + off, &e->vlen);
    e->v = (const char *)p + off;
    return off + e->vlen;
}

/* pk_find returns the offset of the pair whose field is f[0..flen), or -1. */
static long pk_find(const hash *h, const char *f, size_t flen)
{
    const unsigned char *p = h->pk;
    size_t off = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        size_t start = off, len;
        off += varint_get(p + off, &len);
        int hit = len == flen && memcmp(p + off, f, flen) == 0;
        off += len;
        if (hit) return (long)start;
        off += varint_get(p + off, &len);
        off += len;
    }
    return -1;
}

static void pk_reserve(hash *h, size_t need)
{
    if (need <= h->cap) return;
    size_t cap = h->cap ? h->cap + h->cap / 2 : 32;
    if (cap < need) cap = need;
    h->pk = xrealloc(h->pk, cap);
    h->cap = (uint32_t)cap;
}

/* ---- life cycle ---------------------------------------------------------- */

hash *hash_new(void)
{
    return xcalloc(1, sizeof(hash));
}

void hash_free(hash *h)
{
    if (!h) return;
    if (h->d) dict_release(h->d);
    xfree(h->pk);
    xfree(h);
}

hash *hash_dup(const hash *h)
{
    hash *n = hash_new();
    if (h->d) {
        n->d = dict_create(&hash_dict_type);
        dict_expand(n->d, dict_size(h->d));
        dict_iter it;
        dict_iter_init(&it, h->d, 0);
        dict_entry *e;
        while ((e = dict_next(&it)) != NULL)
            dict_add(n->d, sbuf_dup(e->key), sbuf_dup(e->v.val));
        dict_iter_done(&it);
    } else if (h->used) {
        n->pk = xmalloc(h->used);
        memcpy(n->pk, h->pk, h->used);
        n->used = n->cap = h->used;
        n->count = h->count;
    }
    return n;
}

size_t hash_mem(const hash *h)
{
    size_t n = sizeof(*h);
    if (!h->d) return n + h->cap;
    n += sizeof(dict) + dict_mem_usage(h->d);
    dict_iter it;
    dict_iter_init(&it, h->d, 0);
    dict_entry *e;
    while ((e = dict_next(&it)) != NULL)
        n += sbuf_alloc_size(e->key) + sbuf_alloc_size(e->v.val);
    dict_iter_done(&it);
    return n;
}

size_t hash_len(const hash *h)
{
    return h->d ? dict_size(h->d) : h->count;
}

/* ---- lookups and changes ------------------------------------------------- */

int hash_get(hash *h, const char *f, const char **v, size_t *vlen)
{
    if (h->d) {
        dict_entry *e = dict_find(h->d, f);
        if (!e) return 0;
        *v = e->v.val;
        *vlen = sbuf_len(e->v.val);
        return 1;
    }
    long off = pk_find(h, f, sbuf_len(f));
    if (off < 0) return 0;
    hash_entry e;
    pk_entry(h, (size_t)off, &e);
    *v = e.v;
    *vlen = e.vlen;
    return 1;
}

void hash_convert(hash *h)
{
    if (h->d) return;
    dict *d = dict_create(&hash_dict_type);
    if (h->count) dict_expand(d, h->count);
    size_t off = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        hash_entry e;
        off = pk_entry(h, off, &e);
        dict_add(d, sbuf_new(e.f, e.flen), sbuf_new(e.v, e.vlen));
    }
    xfree(h->pk);
    h->pk = NULL;
    h->used = h->cap = h->count = 0;
    h->d = d;
}

/* dict_set_value replaces the value of e, reusing its buffer when it fits
 * without wasting more than half of it. */
static void dict_set_value(dict_entry *e, const void *v, size_t vlen)
{
    sbuf old = e->v.val;
    size_t cap = sbuf_cap(old);
    if (vlen <= cap && cap <= 2 * vlen + 32) {
        memcpy(old, v, vlen);
        sbuf_setlen(old, vlen);
    } else {
        sbuf_free(old);
        e->v.val = sbuf_new(v, vlen);
    }
}

int hash_set(hash *h, const char *f, const void *v, size_t vlen, const hash_limits *lim)
{
    size_t flen = sbuf_len(f);
    if (!h->d && (flen > lim->max_value || vlen > lim->max_value)) hash_convert(h);

    if (h->d) {
        dict_entry *existing = NULL;
        /* Add with the caller's field, then store our own copy: one hash. */
        dict_entry *e = dict_add_raw(h->d, (void *)f, &existing);
        if (!e) {
            dict_set_value(existing, v, vlen);
            return 0;
        }
        e->key = sbuf_new(f, flen);
        e->v.val = sbuf_new(v, vlen);
        return 1;
    }

    long at = pk_find(h, f, flen);
    if (at >= 0) {
        hash_entry e;
        size_t end = pk_entry(h, (size_t)at, &e);
        size_t voff = (size_t)(e.v - (const char *)h->pk);
        size_t vstart = voff - varint_size(e.vlen);
        size_t oldsz = end - vstart, newsz = varint_size(vlen) + vlen;
        if (newsz != oldsz) {
            if (newsz > oldsz) pk_reserve(h, h->used + newsz - oldsz);
            memmove(h->pk + vstart + newsz, h->pk + end, h->used - end);
            h->used = (uint32_t)(h->used + newsz - oldsz);
        }
        size_t o = vstart + varint_put(h->pk + vstart, vlen);
        if (vlen) memcpy(h->pk + o, v, vlen);
        return 0;
    }

    size_t need = varint_size(flen) + flen + varint_size(vlen) + vlen;
    pk_reserve(h, h->used + need);
    unsigned char *p = h->pk + h->used;
    p += varint_put(p, flen);
    if (flen) memcpy(p, f, flen);
    p += flen;
    p += varint_put(p, vlen);
    if (vlen) memcpy(p, v, vlen);
    h->used = (uint32_t)(h->used + need);
    h->count++;
    if (h->count > lim->max_entries) hash_convert(h);
    return 1;
}

int hash_delete(hash *h, const char *f)
{
    if (h->d) {
        if (dict_delete(h->d, f) != 0) return 0;
        dict_shrink_if_needed(h->d);
        return 1;
    }
    long at = pk_find(h, f, sbuf_len(f));
    if (at < 0) return 0;
    hash_entry e;
    size_t end = pk_entry(h, (size_t)at, &e);
    memmove(h->pk + at, h->pk + end, h->used - end);
    h->used = (uint32_t)(h->used - (end - (size_t)at));
    h->count--;
    return 1;
}

/* ---- iteration ------------------------------------------------------------ */

void hash_iter_init(hash_iter *it, hash *h)
{
    it->h = h;
    it->off = 0;
    if (h->d) dict_iter_init(&it->di, h->d, 0);
}

int hash_next(hash_iter *it, hash_entry *e)
{
    hash *h = it->h;
    if (h->d) {
        dict_entry *de = dict_next(&it->di);
        if (!de) return 0;
        e->f = de->key;
        e->flen = sbuf_len(de->key);
        e->v = de->v.val;
        e->vlen = sbuf_len(de->v.val);
        return 1;
    }
    if (it->off >= h->used) return 0;
    it->off = pk_entry(h, it->off, e);
    return 1;
}

void hash_iter_done(hash_iter *it)
{
    if (it->h->d) dict_iter_done(&it->di);
}

/* ---- random picks ----------------------------------------------------------- */

static void entry_from_dict(const dict_entry *de, hash_entry *e)
{
    e->f = de->key;
    e->flen = sbuf_len(de->key);
    e->v = de->v.val;
    e->vlen = sbuf_len(de->v.val);
}

void hash_random(hash *h, hash_entry *e)
{
    if (h->d) {
        entry_from_dict(dict_random_entry(h->d), e);
        return;
    }
    size_t k = rng_below(h->count), off = 0;
    do off = pk_entry(h, off, e);
    while (k-- > 0);
}

void hash_random_many(hash *h, hash_entry *out, size_t n)
{
    if (h->d) {
        for (size_t i = 0; i < n; i++) entry_from_dict(dict_random_entry(h->d), &out[i]);
        return;
    }
    /* Index the pairs once, then pick from the index. */
    hash_entry *all = xmalloc(h->count * sizeof(*all));
    size_t off = 0;
    for (uint32_t i = 0; i < h->count; i++) off = pk_entry(h, off, &all[i]);
    for (size_t i = 0; i < n; i++) out[i] = all[rng_below(h->count)];
    xfree(all);
}

static uint64_t ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    return dict_hash_bytes(&x, sizeof(x));
}

static const dict_type ptr_set_type = {ptr_hash, NULL, NULL, NULL};

void hash_random_unique(hash *h, hash_entry *out, size_t n)
{
    size_t size = hash_len(h);
    if (n > size) n = size;
    if (n == 0) return;
    if (!h->d) {
        /* Selection sampling: each pair taken with probability
         * (still needed) / (still left), in storage order. */
        size_t off = 0, got = 0;
        for (size_t i = 0; i < size && got < n; i++) {
            hash_entry e;
            off = pk_entry(h, off, &e);
            if (rng_below(size - i) < n - got) out[got++] = e;
        }
        return;
    }
    if (n * 3 > size) {
        /* Many of them: a partial shuffle of all the pairs. */
        hash_entry *all = xmalloc(size * sizeof(*all));
        hash_iter it;
        hash_iter_init(&it, h);
        size_t k = 0;
        while (k < size && hash_next(&it, &all[k])) k++;
        hash_iter_done(&it);
        for (size_t i = 0; i < n; i++) {
            size_t j = i + rng_below(k - i);
            hash_entry t = all[i];
            all[i] = all[j];
            all[j] = t;
            out[i] = all[i];
        }
        xfree(all);
        return;
    }
    /* Few of a big hash: random picks, duplicates (same stored field) skipped. */
    dict *seen = dict_create(&ptr_set_type);
    dict_expand(seen, n);
    size_t got = 0;
    while (got < n) {
        dict_entry *de = dict_random_entry(h->d);
        if (dict_add(seen, de->key, NULL) != 0) continue;
        entry_from_dict(de, &out[got++]);
    }
    dict_release(seen);
}

/* ---- scan ------------------------------------------------------------------- */

struct scan_ctx {
    hash_scan_fn *fn;
    void *priv;
};

static void scan_one(void *priv, const dict_entry *de)
{
    struct scan_ctx *x = priv;
    hash_entry e;
    entry_from_dict(de, &e);
    x->fn(x->priv, &e);
}

uint64_t hash_scan(hash *h, uint64_t cursor, hash_scan_fn *fn, void *priv)
{
    if (h->d) {
        struct scan_ctx x = {fn, priv};
        return dict_scan(h->d, cursor, scan_one, &x);
    }
    size_t off = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        hash_entry e;
        off = pk_entry(h, off, &e);
        fn(priv, &e);
    }
    return 0;
}
