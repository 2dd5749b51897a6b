/* qlist.c — chunked deque of packed entries (see qlist.h for the format). */
#include "qlist.h"
#include "alloc.h"

#include <limits.h>
#include <string.h>

struct ql_chunk {
    ql_chunk *prev, *next;
    uint32_t count;          /* entries */
    uint32_t used;           /* bytes of data in use */
    uint32_t cap;            /* bytes allocated for data */
    unsigned char *data;
};

#define SAFETY_LIMIT 8192
#define MIN_CAP 32

/* ---- entry encoding --------------------------------------------------- */

/* An encoded value ready to be written: header bytes, then payload. */
typedef struct enc {
    unsigned char hdr[9];
    uint32_t hlen;
    const void *payload;
    size_t plen;
    size_t total;            /* hlen + plen + back length */
} enc;

static uint32_t backlen_size(size_t n)
{
    uint32_t k = 1;
    while (n >= 128) {
        n >>= 7;
        k++;
    }
    return k;
}

/* write_backlen writes n so that it ends at p + size, readable from the right. */
static void write_backlen(unsigned char *p, size_t n)
{
    uint32_t k = backlen_size(n);
    for (uint32_t i = 0; i < k; i++) {
        unsigned char b = (unsigned char)((n >> (7 * i)) & 127);
        if (i < k - 1) b |= 128;
        p[k - 1 - i] = b;
    }
}

/* read_backlen reads the size ending just before end. */
static size_t read_backlen(const unsigned char *end)
{
    size_t v = 0;
    int shift = 0;
    for (;;) {
        unsigned char b = *--end;
        v |= (size_t)(b & 127) << shift;
        shift += 7;
        if (!(b & 128)) return v;
    }
}

/* canonical_ll: does p[0..len) spell a canonical long long? */
static int canonical_ll(const unsigned char *p, size_t len, long long *out)
{
    if (len == 0 || len > 20) return 0;
    size_t i = 0;
    int neg = 0;
    if (p[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1) return 0;
    }
    if (p[i] == '0') {
        if (len == 1) {
            *out = 0;
            return 1;
        }
        return 0;   /* "01", "-0" */
    }
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        unsigned d = p[i] - '0';
        if (v > (ULLONG_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return 0;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return 0;
        *out = (long long)v;
    }
    return 1;
}

static void put_le(unsigned char *p, unsigned long long v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static long long get_le_signed(const unsigned char *p, int n)
{
    unsigned long long v = 0;
    for (int i = 0; i < n; i++) v |= (unsigned long long)p[i] << (8 * i);
    if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ULL << (8 * n);
    return (long long)v;
}

static void encode(enc *e, const void *p, size_t len)
{
    long long v;
    e->payload = NULL;
    e->plen = 0;
    if (canonical_ll(p, len, &v)) {
        if (v >= 0 && v <= 127) {
            e->hdr[0] = (unsigned char)v;
            e->hlen = 1;
        } else if (v >= -4096 && v <= 4095) {
            unsigned u = (unsigned)(v & 0x1fff);
            e->hdr[0] = (unsigned char)(0xc0 | (u >> 8));
            e->hdr[1] = (unsigned char)(u & 0xff);
            e->hlen = 2;
        } else {
            int n = (v >= -32768 && v <= 32767) ? 2 : (v >= -8388608 && v <= 8388607) ? 3
                  : (v >= INT32_MIN && v <= INT32_MAX) ? 4 : 8;
            e->hdr[0] = (unsigned char)(n == 2 ? 0xf1 : n == 3 ? 0xf2 : n == 4 ? 0xf3 : 0xf4);
            put_le(e->hdr + 1, (unsigned long long)v, n);
            e->hlen = 1 + (uint32_t)n;
        }
    } else {
        if (len < 64) {
            e->hdr[0] = (unsigned char)(0x80 | len);
            e->hlen = 1;
        } else if (len < 4096) {
            e->hdr[0] = (unsigned char)(0xe0 | (len >> 8));
            e->hdr[1] = (unsigned char)(len & 0xff);
            e->hlen = 2;
        } else {
            e->hdr[0] = 0xf0;
            put_le(e->hdr + 1, len, 4);
            e->hlen = 5;
        }
        e->payload = p;
        e->plen = len;
    }
    size_t body = e->hlen + e->plen;
    e->total = body + backlen_size(body);
}

static void write_enc(unsigned char *dst, const enc *e)
{
    memcpy(dst, e->hdr, e->hlen);
    if (e->plen) memcpy(dst + e->hlen, e->payload, e->plen);
    write_backlen(dst + e->hlen + e->plen, e->hlen + e->plen);
}

/* decode views the entry at p; returns its total size. */
static size_t decode(const unsigned char *p, ql_entry *out)
{
    unsigned char b = p[0];
    size_t body;
    ql_entry e = {NULL, 0, 0};
    if (b < 0x80) {
        e.ll = b;
        body = 1;
    } else if ((b & 0xc0) == 0x80) {
        e.len = b & 0x3f;
        e.str = p + 1;
        body = 1 + e.len;
    } else if ((b & 0xe0) == 0xc0) {
        unsigned u = ((unsigned)(b & 0x1f) << 8) | p[1];
        e.ll = (u & 0x1000) ? (long long)u - 0x2000 : (long long)u;
        body = 2;
    } else if ((b & 0xf0) == 0xe0) {
        e.len = ((size_t)(b & 0x0f) << 8) | p[1];
        e.str = p + 2;
        body = 2 + e.len;
    } else if (b == 0xf0) {
        e.len = (size_t)p[1] | (size_t)p[2] << 8 | (size_t)p[3] << 16 | (size_t)p[4] << 24;
        e.str = p + 5;
        body = 5 + e.len;
    } else {
        int n = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
        e.ll = get_le_signed(p + 1, n);
        body = 1 + (size_t)n;
    }
    if (out) *out = e;
    return body + backlen_size(body);
}

static size_t entry_size(const unsigned char *p) { return decode(p, NULL); }

/* prev_off: offset of the entry before the one at off (off > 0). */
static uint32_t prev_off(const ql_chunk *c, uint32_t off)
{
    size_t body = read_backlen(c->data + off);
    return off - (uint32_t)(body + backlen_size(body));
}

static uint32_t last_off(const ql_chunk *c) { return prev_off(c, c->used); }

/* ---- chunks ----------------------------------------------------------- */

static size_t size_limit(const qlist *l)
{
    static const size_t classes[] = {4096, 8192, 16384, 32768, 65536};
    if (l->fill < 0) {
        int i = -l->fill - 1;
        if (i > 4) i = 4;
        return classes[i];
    }
    return SAFETY_LIMIT;
}

/* fits: may c take another entry of sz bytes? An empty chunk takes anything. */
static int fits(const qlist *l, const ql_chunk *c, size_t sz)
{
    if (c->count == 0) return 1;
    if ((size_t)c->used + sz > size_limit(l)) return 0;
    if (l->fill > 0 && c->count >= (uint32_t)l->fill) return 0;
    return 1;
}

static ql_chunk *chunk_new(qlist *l, size_t cap)
{
    ql_chunk *c = xcalloc(1, sizeof *c);
    if (cap < MIN_CAP) cap = MIN_CAP;
    c->data = xmalloc(cap);
    c->cap = (uint32_t)cap;
    l->alloc += sizeof *c + cap;
    l->nchunks++;
    return c;
}

/* chunk_reserve makes room for add more bytes. */
static void chunk_reserve(qlist *l, ql_chunk *c, size_t add)
{
    size_t need = (size_t)c->used + add;
    if (need <= c->cap) return;
    size_t cap = (size_t)c->cap + c->cap / 2;
    if (cap < need) cap = need;
    size_t lim = size_limit(l);
    if (cap > lim && need <= lim) cap = lim;
    c->data = xrealloc(c->data, cap);
    l->alloc += cap - c->cap;
    c->cap = (uint32_t)cap;
}

/* chunk_shrink gives back memory a chunk no longer needs. */
static void chunk_shrink(qlist *l, ql_chunk *c)
{
    if (c->cap <= 256 || c->used > c->cap / 4) return;
    size_t cap = (size_t)c->used * 2;
    if (cap < MIN_CAP) cap = MIN_CAP;
    c->data = xrealloc(c->data, cap);
    l->alloc -= c->cap - cap;
    c->cap = (uint32_t)cap;
}

static void link_after(qlist *l, ql_chunk *at, ql_chunk *c)
{
    c->prev = at;
    c->next = at ? at->next : l->head;
    if (c->next) c->next->prev = c;
    else l->tail = c;
    if (at) at->next = c;
    else l->head = c;
}

static void chunk_unlink_free(qlist *l, ql_chunk *c)
{
    if (c->prev) c->prev->next = c->next;
    else l->head = c->next;
    if (c->next) c->next->prev = c->prev;
    else l->tail = c->prev;
    l->alloc -= sizeof *c + c->cap;
    l->nchunks--;
    xfree(c->data);
    xfree(c);
}

/* write_at inserts e at c->data + off (room is made). */
static void write_at(qlist *l, ql_chunk *c, uint32_t off, const enc *e)
{
    chunk_reserve(l, c, e->total);
    memmove(c->data + off + e->total, c->data + off, c->used - off);
    write_enc(c->data + off, e);
    c->used += (uint32_t)e->total;
    c->count++;
    l->count++;
}

/* count_from counts the entries of c from off to its end. */
static uint32_t count_from(const ql_chunk *c, uint32_t off)
{
    uint32_t n = 0;
    while (off < c->used) {
        off += (uint32_t)entry_size(c->data + off);
        n++;
    }
    return n;
}

/* split moves the entries of c from off on into a new chunk after c. */
static ql_chunk *split(qlist *l, ql_chunk *c, uint32_t off)
{
    uint32_t moved = c->used - off;
    uint32_t n = count_from(c, off);
    ql_chunk *d = chunk_new(l, moved);
    memcpy(d->data, c->data + off, moved);
    d->used = moved;
    d->count = n;
    c->used = off;
    c->count -= n;
    link_after(l, c, d);
    return d;
}

/* insert_at inserts e at (c, off), splitting c if it is full; c NULL means
 * an empty list. */
static void insert_at(qlist *l, ql_chunk *c, uint32_t off, const enc *e)
{
    if (!c) {
        c = chunk_new(l, e->total);
        link_after(l, NULL, c);
        write_at(l, c, 0, e);
        return;
    }
    if (fits(l, c, e->total)) {
        write_at(l, c, off, e);
        return;
    }
    if (off == c->used) {                      /* at the end: the next chunk's head? */
        if (c->next && fits(l, c->next, e->total)) {
            write_at(l, c->next, 0, e);
            return;
        }
        ql_chunk *d = chunk_new(l, e->total);
        link_after(l, c, d);
        write_at(l, d, 0, e);
        return;
    }
    if (off == 0) {                            /* at the start: the previous chunk's tail? */
        if (c->prev && fits(l, c->prev, e->total)) {
            write_at(l, c->prev, c->prev->used, e);
            return;
        }
        ql_chunk *d = chunk_new(l, e->total);
        link_after(l, c->prev, d);
        write_at(l, d, 0, e);
        return;
    }
    ql_chunk *d = split(l, c, off);
    chunk_shrink(l, c);
    if (fits(l, c, e->total)) write_at(l, c, c->used, e);
    else if (fits(l, d, e->total)) write_at(l, d, 0, e);
    else {
        ql_chunk *m = chunk_new(l, e->total);
        link_after(l, c, m);
        write_at(l, m, 0, e);
    }
}

/* A position some caller holds, kept valid across merges. */
static void merge_into_prev(qlist *l, ql_chunk *b, ql_pos *keep)
{
    ql_chunk *a = b->prev;
    uint32_t shift = a->used;
    chunk_reserve(l, a, b->used);
    memcpy(a->data + a->used, b->data, b->used);
    a->used += b->used;
    a->count += b->count;
    if (keep && keep->c == b) {
        keep->c = a;
        keep->off += shift;
    }
    chunk_unlink_free(l, b);
}

/* maybe_merge joins c with a neighbour when both are small. */
static void maybe_merge(qlist *l, ql_chunk *c, ql_pos *keep)
{
    size_t lim = size_limit(l) / 2;
    if (c->next && (size_t)c->used + c->next->used <= lim &&
        (l->fill <= 0 || c->count + c->next->count <= (uint32_t)l->fill))
        merge_into_prev(l, c->next, keep);
    if (c->prev && (size_t)c->used + c->prev->used <= lim &&
        (l->fill <= 0 || c->count + c->prev->count <= (uint32_t)l->fill))
        merge_into_prev(l, c, keep);
}

/* remove_bytes deletes n entries taking sz bytes at (c, off). */
static void remove_bytes(qlist *l, ql_chunk *c, uint32_t off, uint32_t sz, uint32_t n)
{
    memmove(c->data + off, c->data + off + sz, c->used - off - sz);
    c->used -= sz;
    c->count -= n;
    l->count -= n;
}

/* ---- public: life cycle ----------------------------------------------- */

qlist *ql_new(int fill)
{
    qlist *l = xcalloc(1, sizeof *l);
    if (fill == 0) fill = -2;
    if (fill > 32768) fill = 32768;
    l->fill = fill;
    l->alloc = sizeof *l;
    return l;
}

void ql_free(qlist *l)
{
    if (!l) return;
    ql_chunk *c = l->head;
    while (c) {
        ql_chunk *n = c->next;
        xfree(c->data);
        xfree(c);
        c = n;
    }
    xfree(l);
}

qlist *ql_dup(const qlist *l)
{
    qlist *d = ql_new(l->fill);
    for (ql_chunk *c = l->head; c; c = c->next) {
        ql_chunk *n = chunk_new(d, c->used);
        memcpy(n->data, c->data, c->used);
        n->used = c->used;
        n->count = c->count;
        link_after(d, d->tail, n);
        d->count += c->count;
    }
    return d;
}

size_t ql_mem(const qlist *l) { return l->alloc; }

/* ---- ends ------------------------------------------------------------- */

void ql_push(qlist *l, int where, const void *p, size_t len)
{
    enc e;
    encode(&e, p, len);
    if (where == QL_HEAD) insert_at(l, l->head, 0, &e);
    else insert_at(l, l->tail, l->tail ? l->tail->used : 0, &e);
}

int ql_peek(const qlist *l, int where, ql_entry *e)
{
    if (!l->count) return 0;
    if (where == QL_HEAD) decode(l->head->data, e);
    else decode(l->tail->data + last_off(l->tail), e);
    return 1;
}

/* del_one deletes the entry at (c, off), freeing or merging chunks;
 * keep (may be NULL) is a position kept valid (its chunk may change; if its
 * chunk is freed, keep->c is set to NULL). */
static void del_one(qlist *l, ql_chunk *c, uint32_t off, ql_pos *keep)
{
    uint32_t sz = (uint32_t)entry_size(c->data + off);
    remove_bytes(l, c, off, sz, 1);
    if (c->count == 0) {
        if (keep && keep->c == c) keep->c = NULL;
        chunk_unlink_free(l, c);
        return;
    }
    chunk_shrink(l, c);
    maybe_merge(l, c, keep);
}

void ql_pop(qlist *l, int where)
{
    if (!l->count) return;
    if (where == QL_HEAD) del_one(l, l->head, 0, NULL);
    else del_one(l, l->tail, last_off(l->tail), NULL);
}

/* ---- positions -------------------------------------------------------- */

/* locate finds entry idx (0 <= idx < count). */
static ql_pos locate(const qlist *l, uint64_t idx)
{
    ql_pos p = {NULL, 0};
    uint64_t base;
    ql_chunk *c;
    if (idx < l->count / 2) {
        base = 0;
        for (c = l->head; c && base + c->count <= idx; c = c->next) base += c->count;
    } else {
        base = l->count;
        for (c = l->tail; c; c = c->prev) {
            base -= c->count;
            if (base <= idx) break;
        }
    }
    if (!c) return p;
    uint32_t in = (uint32_t)(idx - base);
    p.c = c;
    if (in <= c->count / 2) {
        uint32_t off = 0;
        while (in--) off += (uint32_t)entry_size(c->data + off);
        p.off = off;
    } else {
        uint32_t off = c->used;
        for (uint32_t k = c->count - in; k; k--) off = prev_off(c, off);
        p.off = off;
    }
    return p;
}

int ql_index(qlist *l, long long idx, ql_entry *e)
{
    if (idx < 0) {
        if ((unsigned long long)-(idx + 1) >= l->count) return 0;
        idx = (long long)(l->count - (unsigned long long)-(idx + 1) - 1);
    } else if ((unsigned long long)idx >= l->count) {
        return 0;
    }
    ql_pos p = locate(l, (uint64_t)idx);
    decode(p.c->data + p.off, e);
    return 1;
}

void ql_del_range(qlist *l, uint64_t start, uint64_t n)
{
    if (start >= l->count || n == 0) return;
    if (n > l->count - start) n = l->count - start;
    ql_pos p = locate(l, start);
    ql_chunk *c = p.c, *partial[2] = {NULL, NULL};
    uint32_t off = p.off;
    while (n && c) {
        ql_chunk *next = c->next;
        if (off == 0 && n >= c->count) {
            n -= c->count;
            l->count -= c->count;
            chunk_unlink_free(l, c);
        } else {
            uint32_t end = off, k = 0;
            while (end < c->used && k < n) {
                end += (uint32_t)entry_size(c->data + end);
                k++;
            }
            remove_bytes(l, c, off, end - off, k);
            n -= k;
            partial[partial[0] ? 1 : 0] = c;
        }
        c = next;
        off = 0;
    }
    /* At most two chunks were cut partly (never emptied): shrink, then merge
     * them, keeping track of the second across the first's merges. */
    for (int i = 0; i < 2; i++)
        if (partial[i]) chunk_shrink(l, partial[i]);
    ql_pos keep = {partial[1], 0};
    if (partial[0]) maybe_merge(l, partial[0], &keep);
    if (keep.c) maybe_merge(l, keep.c, NULL);
}

/* ---- iteration -------------------------------------------------------- */

void ql_iter_init(ql_iter *it, qlist *l, long long start, int dir)
{
    it->l = l;
    it->dir = dir;
    it->last.c = NULL;
    it->pos.c = NULL;
    it->pos.off = 0;
    if (start < 0) {
        if ((unsigned long long)-(start + 1) >= l->count) return;
        start = (long long)(l->count - (unsigned long long)-(start + 1) - 1);
    }
    if ((unsigned long long)start >= l->count) return;
    it->pos = locate(l, (uint64_t)start);
}

/* step moves p one entry in dir. */
static void step(ql_pos *p, int dir)
{
    ql_chunk *c = p->c;
    if (dir == QL_FORWARD) {
        p->off += (uint32_t)entry_size(c->data + p->off);
        if (p->off >= c->used) {
            p->c = c->next;
            p->off = 0;
        }
    } else if (p->off > 0) {
        p->off = prev_off(c, p->off);
    } else {
        p->c = c->prev;
        p->off = p->c ? last_off(p->c) : 0;
    }
}

int ql_next(ql_iter *it, ql_entry *e)
{
    if (!it->pos.c) return 0;
    decode(it->pos.c->data + it->pos.off, e);
    it->last = it->pos;
    step(&it->pos, it->dir);
    return 1;
}

void ql_iter_del(ql_iter *it)
{
    qlist *l = it->l;
    ql_chunk *c = it->last.c;
    uint32_t off = it->last.off;
    if (!c) return;
    it->last.c = NULL;
    /* The next entry, seen from after the deletion. */
    ql_pos next;
    uint32_t sz = (uint32_t)entry_size(c->data + off);
    if (it->dir == QL_FORWARD) {
        if (off + sz < c->used) next = (ql_pos){c, off};
        else next = (ql_pos){c->next, 0};
    } else {
        if (off > 0) next = (ql_pos){c, prev_off(c, off)};
        else next = (ql_pos){c->prev, c->prev ? last_off(c->prev) : 0};
    }
    int same = next.c == c;
    if (!same) {
        /* next is in a neighbour: keep it by index-free means (merges move it). */
        it->pos = next;
        remove_bytes(l, c, off, sz, 1);
        if (c->count == 0) {
            chunk_unlink_free(l, c);
            return;
        }
        chunk_shrink(l, c);
        maybe_merge(l, c, &it->pos);
        return;
    }
    it->pos = next;
    del_one(l, c, off, &it->pos);
}

void ql_iter_replace(ql_iter *it, const void *p, size_t len)
{
    qlist *l = it->l;
    ql_chunk *c = it->last.c;
    uint32_t off = it->last.off;
    enc e;
    encode(&e, p, len);
    uint32_t old = (uint32_t)entry_size(c->data + off);
    if (e.total == old) {
        write_enc(c->data + off, &e);
        return;
    }
    /* Delete in place (the chunk may not vanish), then insert there. */
    remove_bytes(l, c, off, old, 1);
    if (c->count == 0) {
        write_at(l, c, 0, &e);
    } else {
        insert_at(l, c, off, &e);
    }
    it->pos.c = NULL;   /* positions may have moved: the iteration ends */
}

void ql_iter_insert(ql_iter *it, int after, const void *p, size_t len)
{
    ql_chunk *c = it->last.c;
    uint32_t off = it->last.off;
    enc e;
    encode(&e, p, len);
    if (after) off += (uint32_t)entry_size(c->data + off);
    insert_at(it->l, c, off, &e);
    it->pos.c = NULL;
    it->last.c = NULL;
}

/* ---- helpers ---------------------------------------------------------- */

const char *ql_entry_bytes(const ql_entry *e, char *buf, size_t *len)
{
    if (e->str) {
        *len = e->len;
        return (const char *)e->str;
    }
    unsigned long long v = e->ll < 0 ? 0ULL - (unsigned long long)e->ll : (unsigned long long)e->ll;
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t k = 0;
    if (e->ll < 0) buf[k++] = '-';
    while (n) buf[k++] = tmp[--n];
    buf[k] = '\0';
    *len = k;
    return buf;
}

int ql_entry_eq(const ql_entry *e, const void *p, size_t len)
{
    if (e->str) return e->len == len && (len == 0 || memcmp(e->str, p, len) == 0);
    long long v;
    return canonical_ll(p, len, &v) && v == e->ll;
}

int ql_range_norm(uint64_t len, long long start, long long end, uint64_t *from, uint64_t *n)
{
    /* Work in signed 128-free arithmetic: clamp negatives first. */
    long long ls = len > (uint64_t)LLONG_MAX ? LLONG_MAX : (long long)len;
    if (start < 0) start = start < -ls ? 0 : ls + start;
    if (end < 0) {
        if (end < -ls) return 0;
        end = ls + end;
    }
    if (start > end || start >= ls) return 0;
    if (end >= ls) end = ls - 1;
    *from = (uint64_t)start;
    *n = (uint64_t)(end - start) + 1;
    return 1;
}

int ql_check(const qlist *l)
{
    uint64_t count = 0, chunks = 0;
    size_t alloc = sizeof *l;
    const ql_chunk *prev = NULL;
    for (const ql_chunk *c = l->head; c; c = c->next) {
        if (c->prev != prev) return 1;
        if (c->count == 0) return 2;
        if (c->used > c->cap) return 3;
        uint32_t off = 0, n = 0;
        while (off < c->used) {
            size_t sz = entry_size(c->data + off);
            off += (uint32_t)sz;
            n++;
            if (read_backlen(c->data + off) + backlen_size(read_backlen(c->data + off)) != sz) return 4;
        }
        if (off != c->used || n != c->count) return 5;
        if (c->count > 1 && c->used > size_limit(l)) return 6;
        count += c->count;
        chunks++;
        alloc += sizeof *c + c->cap;
        prev = c;
    }
    if (prev != l->tail) return 7;
    if (count != l->count || chunks != l->nchunks) return 8;
    if (alloc != l->alloc) return 9;
    return 0;
}

uint32_t ql_chunk_entries(const qlist *l, uint64_t i)
{
    const ql_chunk *c = l->head;
    while (c && i--) c = c->next;
    return c ? c->count : 0;
}
