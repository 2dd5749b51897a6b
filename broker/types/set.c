/* set.c — the set type: intset or hashtable (see set.h).
 *
 * Design notes.  The intset is one allocation: a small header (element
 * width in bytes, count) followed by the elements in ascending order, each
 * stored in the width of the widest value so far.  Adding a value that does
 * not fit the width widens every element in place, from the end backwards;
 * such a value is necessarily the new minimum (negative) or maximum
 * (positive), so it goes at one end without a search.  Widths never shrink.
 *
 * The hashtable is a dict of sbuf keys with NULL values.  Lookups build the
 * probe key on the stack when it is short, so SADD of an existing member
 * and SISMEMBER allocate nothing.
 */
#include "set.h"
#include "alloc.h"
#include "object.h"     /* str_to_ll, ll_to_str: number rules only */

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- random numbers (xorshift64*, seeded once from the clock) --------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    if (rng_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_state = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ 0x9e3779b97f4a7c15ULL;
        if (rng_state == 0) rng_state = 1;
    }
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- intset ----------------------------------------------------------- */

struct intset {
    uint32_t width;     /* bytes per element: 2, 4 or 8 */
    uint32_t len;
    unsigned char data[];
};

static uint32_t width_for(long long v)
{
    if (v < INT32_MIN || v > INT32_MAX) return 8;
    if (v < INT16_MIN || v > INT16_MAX) return 4;
    return 2;
}

static long long is_get_w(const intset *is, size_t i, uint32_t w)
{
    const unsigned char *p = is->data + i * w;
    if (w == 2) { int16_t x; memcpy(&x, p, 2); return x; }
    if (w == 4) { int32_t x; memcpy(&x, p, 4); return x; }
    int64_t x;
    memcpy(&x, p, 8);
    return x;
}

static inline long long is_get(const intset *is, size_t i) { return is_get_w(is, i, is->width); }

static void is_put_w(intset *is, size_t i, long long v, uint32_t w)
{
    unsigned char *p = is->data + i * w;
    if (w == 2) { int16_t x = (int16_t)v; memcpy(p, &x, 2); }
    else if (w == 4) { int32_t x = (int32_t)v; memcpy(p, &x, 4); }
    else { int64_t x = v; memcpy(p, &x, 8); }
}

static intset *is_new(void)
{
    intset *is = xmalloc(sizeof *is);
    is->width = 2;
    is->len = 0;
    return is;
}

static intset *is_resize(intset *is, uint32_t len)
{
    return xrealloc(is, sizeof *is + (size_t)len * is->width);
}

/* is_search finds v: 1 and *pos its index, or 0 and *pos where it would go. */
static int is_search(const intset *is, long long v, size_t *pos)
{
    size_t lo = 0, hi = is->len;
    if (is->len == 0) { *pos = 0; return 0; }
    /* Appending in order is the common case: check the ends first. */
    if (v > is_get(is, is->len - 1)) { *pos = is->len; return 0; }
    if (v < is_get(is, 0)) { *pos = 0; return 0; }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        long long cur = is_get(is, mid);
        if (cur == v) { *pos = mid; return 1; }
        if (cur < v) lo = mid + 1;
        else hi = mid;
    }
    *pos = lo;
    return 0;
}

/* is_add adds v; *added says whether it was new.  Returns the (moved) intset. */
static intset *is_add(intset *is, long long v, int *added)
{
    uint32_t w = width_for(v);
    if (w > is->width) {
        /* Widen: v is beyond every element, so it lands at one end. */
        uint32_t old = is->width, n = is->len;
        int prepend = v < 0;
        is->width = w;
        is = is_resize(is, n + 1);
        for (size_t i = n; i-- > 0;) is_put_w(is, i + (size_t)prepend, is_get_w(is, i, old), w);
        is_put_w(is, prepend ? 0 : n, v, w);
        is->len = n + 1;
        *added = 1;
        return is;
    }
    size_t pos;
    if (is_search(is, v, &pos)) {
        *added = 0;
        return is;
    }
    is = is_resize(is, is->len + 1);
    if (pos < is->len)
        memmove(is->data + (pos + 1) * is->width, is->data + pos * is->width, (is->len - pos) * is->width);
    is_put_w(is, pos, v, is->width);
    is->len++;
    *added = 1;
    return is;
}

static intset *is_remove(intset *is, long long v, int *removed)
{
    size_t pos;
    if (width_for(v) > is->width || !is_search(is, v, &pos)) {
        *removed = 0;
        return is;
    }
    if (pos + 1 < is->len)
        memmove(is->data + pos * is->width, is->data + (pos + 1) * is->width, (is->len - pos - 1) * is->width);
    is->len--;
    *removed = 1;
    return is_resize(is, is->len);
}

static int is_contains(const intset *is, long long v)
{
    size_t pos;
    return width_for(v) <= is->width && is_search(is, v, &pos);
}

/* ---- hashtable helpers ------------------------------------------------ */

static const dict_type set_dict_type = {
    .hash = dict_sbuf_hash,
    .key_equal = dict_sbuf_equal,
    .key_free = dict_sbuf_free,
    .val_free = NULL,
};

/* A probe key: an sbuf on the stack when short, else on the heap. */
#define PROBE_STACK 120
typedef struct probe {
    char mem[sizeof(struct sbuf_hdr) + PROBE_STACK + 1];
    sbuf s;
    int heap;
} probe;

static void probe_init(probe *k, const char *p, size_t len)
{
    k->heap = len > PROBE_STACK;
    k->s = k->heap ? sbuf_new(p, len) : sbuf_place(k->mem, p, len);
}

static void probe_done(probe *k)
{
    if (k->heap) sbuf_free(k->s);
}

static int ht_add(dict *d, const char *p, size_t len)
{
    probe k;
    probe_init(&k, p, len);
    dict_entry *e = dict_add_raw(d, k.s, NULL);
    if (!e) {
        probe_done(&k);
        return 0;
    }
    e->key = k.heap ? k.s : sbuf_new(p, len);   /* same bytes, same bucket */
    return 1;
}

static int ht_remove(dict *d, const char *p, size_t len)
{
    probe k;
    probe_init(&k, p, len);
    int ok = dict_delete(d, k.s) == 0;
    probe_done(&k);
    if (ok) dict_shrink_if_needed(d);
    return ok;
}

static int ht_contains(dict *d, const char *p, size_t len)
{
    probe k;
    probe_init(&k, p, len);
    int ok = dict_find(d, k.s) != NULL;
    probe_done(&k);
    return ok;
}

/* ---- the set ---------------------------------------------------------- */

const char *set_elem_str(const set_elem *e, char *buf, size_t *len)
{
    if (!e->is_int) {
        *len = e->len;
        return e->p;
    }
    *len = (size_t)ll_to_str(buf, 24, e->v);
    return buf;
}

set *set_new_intset(void)
{
    set *s = xmalloc(sizeof *s);
    s->enc = SET_INTSET;
    s->u.is = is_new();
    return s;
}

set *set_new_hashtable(void)
{
    set *s = xmalloc(sizeof *s);
    s->enc = SET_HASHTABLE;
    s->u.ht = dict_create(&set_dict_type);
    return s;
}

set *set_new_for(const char *p, size_t len)
{
    long long v;
    return str_to_ll(p, len, &v) ? set_new_intset() : set_new_hashtable();
}

void set_free(set *s)
{
    if (!s) return;
    if (s->enc == SET_INTSET) xfree(s->u.is);
    else dict_release(s->u.ht);
    xfree(s);
}

set *set_dup(const set *s)
{
    set *n = xmalloc(sizeof *n);
    n->enc = s->enc;
    if (s->enc == SET_INTSET) {
        size_t sz = sizeof(intset) + (size_t)s->u.is->len * s->u.is->width;
        n->u.is = xmalloc(sz);
        memcpy(n->u.is, s->u.is, sz);
        return n;
    }
    n->u.ht = dict_create(&set_dict_type);
    dict_expand(n->u.ht, dict_size(s->u.ht));
    dict_iter it;
    dict_iter_init(&it, s->u.ht, 0);
    dict_entry *e;
    while ((e = dict_next(&it)) != NULL) dict_add(n->u.ht, sbuf_dup(e->key), NULL);
    dict_iter_done(&it);
    return n;
}

size_t set_mem(const set *s)
{
    size_t n = sizeof *s;
    if (s->enc == SET_INTSET) return n + sizeof(intset) + (size_t)s->u.is->len * s->u.is->width;
    n += sizeof(dict) + dict_mem_usage(s->u.ht);
    dict_iter it;
    dict_iter_init(&it, s->u.ht, 0);
    dict_entry *e;
    while ((e = dict_next(&it)) != NULL) n += sbuf_alloc_size(e->key);
    dict_iter_done(&it);
    return n;
}

size_t set_size(const set *s)
{
    return s->enc == SET_INTSET ? s->u.is->len : dict_size(s->u.ht);
}

void set_convert_to_hashtable(set *s)
{
    if (s->enc != SET_INTSET) return;
    intset *is = s->u.is;
    dict *d = dict_create(&set_dict_type);
    dict_expand(d, is->len);
    for (size_t i = 0; i < is->len; i++) dict_add(d, sbuf_from_ll(is_get(is, i)), NULL);
    xfree(is);
    s->enc = SET_HASHTABLE;
    s->u.ht = d;
}

int set_add_ll(set *s, long long v, size_t max_intset)
{
    if (s->enc == SET_INTSET) {
        int added;
        s->u.is = is_add(s->u.is, v, &added);
        if (added && s->u.is->len > max_intset) set_convert_to_hashtable(s);
        return added;
    }
    char buf[24];
    int n = ll_to_str(buf, sizeof buf, v);
    return ht_add(s->u.ht, buf, (size_t)n);
}

int set_add(set *s, const char *p, size_t len, size_t max_intset)
{
    if (s->enc == SET_INTSET) {
        long long v;
        if (str_to_ll(p, len, &v)) return set_add_ll(s, v, max_intset);
        set_convert_to_hashtable(s);
    }
    return ht_add(s->u.ht, p, len);
}

int set_add_elem(set *s, const set_elem *e, size_t max_intset)
{
    if (e->is_int) return set_add_ll(s, e->v, max_intset);
    return set_add(s, e->p, e->len, max_intset);
}

int set_remove(set *s, const char *p, size_t len)
{
    if (s->enc == SET_INTSET) {
        long long v;
        int removed;
        if (!str_to_ll(p, len, &v)) return 0;
        s->u.is = is_remove(s->u.is, v, &removed);
        return removed;
    }
    return ht_remove(s->u.ht, p, len);
}

int set_contains(const set *s, const char *p, size_t len)
{
    if (s->enc == SET_INTSET) {
        long long v;
        return str_to_ll(p, len, &v) && is_contains(s->u.is, v);
    }
    return ht_contains(s->u.ht, p, len);
}

int set_contains_elem(const set *s, const set_elem *e)
{
    if (!e->is_int) return set_contains(s, e->p, e->len);
    if (s->enc == SET_INTSET) return is_contains(s->u.is, e->v);
    char buf[24];
    int n = ll_to_str(buf, sizeof buf, e->v);
    return ht_contains(s->u.ht, buf, (size_t)n);
}

int set_random(set *s, set_elem *e)
{
    if (set_size(s) == 0) return -1;
    if (s->enc == SET_INTSET) {
        e->is_int = 1;
        e->v = is_get(s->u.is, rng() % s->u.is->len);
        e->p = NULL;
        e->len = 0;
        return 0;
    }
    dict_entry *de = dict_random_entry(s->u.ht);
    e->is_int = 0;
    e->p = de->key;
    e->len = sbuf_len(de->key);
    return 0;
}

sbuf set_pop(set *s)
{
    if (set_size(s) == 0) return NULL;
    if (s->enc == SET_INTSET) {
        intset *is = s->u.is;
        size_t i = rng() % is->len;
        long long v = is_get(is, i);
        if (i + 1 < is->len)
            memmove(is->data + i * is->width, is->data + (i + 1) * is->width, (is->len - i - 1) * is->width);
        is->len--;
        s->u.is = is_resize(is, is->len);
        return sbuf_from_ll(v);
    }
    dict_entry *de = dict_random_entry(s->u.ht);
    de = dict_unlink(s->u.ht, de->key);
    sbuf key = de->key;
    de->key = NULL;                     /* handed to the caller */
    dict_free_unlinked(s->u.ht, de);
    dict_shrink_if_needed(s->u.ht);
    return key;
}

/* ---- iteration and scan ----------------------------------------------- */

void set_iter_init(set_iter *it, set *s)
{
    it->s = s;
    it->i = 0;
    if (s->enc == SET_HASHTABLE) dict_iter_init(&it->di, s->u.ht, 1);   /* safe: lookups may run meanwhile */
}

int set_next(set_iter *it, set_elem *e)
{
    if (it->s->enc == SET_INTSET) {
        if (it->i >= it->s->u.is->len) return 0;
        e->is_int = 1;
        e->v = is_get(it->s->u.is, it->i++);
        e->p = NULL;
        e->len = 0;
        return 1;
    }
    dict_entry *de = dict_next(&it->di);
    if (!de) return 0;
    e->is_int = 0;
    e->p = de->key;
    e->len = sbuf_len(de->key);
    return 1;
}

void set_iter_done(set_iter *it)
{
    if (it->s->enc == SET_HASHTABLE) dict_iter_done(&it->di);
}

struct scan_ctx {
    set_scan_fn *fn;
    void *priv;
};

static void scan_one(void *priv, const dict_entry *de)
{
    struct scan_ctx *ctx = priv;
    set_elem e = {.is_int = 0, .p = de->key, .len = sbuf_len(de->key)};
    ctx->fn(ctx->priv, &e);
}

uint64_t set_scan(set *s, uint64_t cursor, set_scan_fn *fn, void *priv)
{
    if (s->enc == SET_INTSET) {
        for (size_t i = 0; i < s->u.is->len; i++) {
            set_elem e = {.is_int = 1, .v = is_get(s->u.is, i)};
            fn(priv, &e);
        }
        return 0;
    }
    struct scan_ctx ctx = {fn, priv};
    return dict_scan(s->u.ht, cursor, scan_one, &ctx);
}

int set_intset_width(const set *s)
{
    return s->enc == SET_INTSET ? (int)s->u.is->width : 0;
}
