/* stream.c — ID-ordered packed blocks under a sorted index (see stream.h). */
#include "stream.h"
#include "alloc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct st_block {
    stream_id first;         /* index key: ID of the first entry appended */
    uint32_t live;           /* live entries */
    uint32_t deleted;        /* tombstones */
    uint32_t used;           /* bytes of data in use */
    uint32_t cap;            /* bytes allocated for data */
    uint32_t master_end;     /* data[0 .. master_end) is the master field list */
    unsigned char *data;
};

enum { F_DELETED = 1, F_SAME = 2 };

#define MIN_CAP 64
/* Offsets are 32-bit: even with both budgets at 0 ("unlimited") a block is
 * closed before it passes 1 GiB (one entry is at most 512 MB + names). */
#define BLOCK_HARD_MAX (1u << 30)

/* ==== IDs =============================================================== */

int st_id_cmp(stream_id a, stream_id b)
{
    if (a.ms != b.ms) return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq) return a.seq < b.seq ? -1 : 1;
    return 0;
}

int st_id_incr(stream_id *id)
{
    if (id->seq != UINT64_MAX) {
        id->seq++;
    } else {
        if (id->ms == UINT64_MAX) return -1;
        id->ms++;
        id->seq = 0;
    }
    return 0;
}

int st_id_decr(stream_id *id)
{
    if (id->seq != 0) {
        id->seq--;
    } else {
        if (id->ms == 0) return -1;
        id->ms--;
        id->seq = UINT64_MAX;
    }
    return 0;
}

/* parse_u64 follows Redis's string2ull: a strict long long (no sign, no
 * leading zeros, no spaces) that is not negative, or else whatever strtoull
 * accepts whole without errno (so "+5", "007" and " 5" pass, as in Redis). */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) return -1;
    /* strict long long */
    const char *p = buf;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (*p >= '1' && *p <= '9') {
        unsigned long long v = 0;
        int ok = 1;
        for (; *p; p++) {
            if (*p < '0' || *p > '9') { ok = 0; break; }
            unsigned d = (unsigned)(*p - '0');
            if (v > (ULLONG_MAX - d) / 10) { ok = 0; break; }
            v = v * 10 + d;
        }
        if (ok && (neg ? v <= (unsigned long long)LLONG_MAX + 1 : v <= (unsigned long long)LLONG_MAX)) {
            if (neg) return -1;
            *out = v;
            return 0;
        }
    } else if (!neg && p[0] == '0' && p[1] == '\0') {
        *out = 0;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno == EINVAL || errno == ERANGE || end == buf || *end != '\0') return -1;
    *out = v;
    return 0;
}

int st_id_parse(const char *s, size_t len, uint64_t missing_seq, int strict,
                stream_id *out, int *seq_given)
{
    if (seq_given) *seq_given = 1;
    if (len > 127) return -1;
    if (!strict && len == 1 && (s[0] == '-' || s[0] == '+')) {
        *out = s[0] == '-' ? ST_ID_MIN : ST_ID_MAX;
        return 0;
    }
    const char *dot = memchr(s, '-', len);
    stream_id id;
    if (!dot) {
        if (parse_u64(s, len, &id.ms) != 0) return -1;
        id.seq = missing_seq;
    } else {
        size_t mlen = (size_t)(dot - s), slen = len - mlen - 1;
        if (parse_u64(s, mlen, &id.ms) != 0) return -1;
        if (seq_given && slen == 1 && dot[1] == '*') {
            id.seq = 0;
            *seq_given = 0;
        } else if (parse_u64(dot + 1, slen, &id.seq) != 0) {
            return -1;
        }
    }
    *out = id;
    return 0;
}

static size_t fmt_u64(uint64_t v, char *p)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

size_t st_id_format(stream_id id, char *buf)
{
    size_t n = fmt_u64(id.ms, buf);
    buf[n++] = '-';
    n += fmt_u64(id.seq, buf + n);
    buf[n] = '\0';
    return n;
}

int st_id_next(stream_id last, int auto_ms, uint64_t now_ms, stream_id want,
               int seq_given, stream_id *out)
{
    stream_id id;
    if (auto_ms) {
        if (now_ms > last.ms) {
            id.ms = now_ms;
            id.seq = 0;
        } else {
            id = last;
            if (st_id_incr(&id) != 0) return ST_ID_ERR_EXHAUSTED;
        }
        *out = id;
        return ST_ID_OK;
    }
    if (seq_given) {
        if (want.ms == 0 && want.seq == 0) return ST_ID_ERR_ZERO;
        id = want;
    } else if (want.ms == last.ms) {
        if (last.seq == UINT64_MAX) return ST_ID_ERR_SMALL;
        id = last;
        id.seq++;
    } else {
        id.ms = want.ms;
        id.seq = 0;
    }
    if (st_id_cmp(id, last) <= 0) return ST_ID_ERR_SMALL;
    *out = id;
    return ST_ID_OK;
}

/* ==== varints =========================================================== */

static uint32_t varint_size(uint64_t v)
{
    uint32_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 128) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static const unsigned char *get_varint(const unsigned char *p, uint64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0;
    for (;;) {
        unsigned char b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    *v = r;
    return p;
}

/* put_backlen writes v to be read from the right; returns the end. */
static unsigned char *put_backlen(unsigned char *p, uint64_t v)
{
    uint32_t k = varint_size(v);
    for (uint32_t i = k; i-- > 0;) {
        p[i] = (unsigned char)((v & 0x7f) | (i == 0 ? 0 : 0x80));
        v >>= 7;
    }
    return p + k;
}

/* get_backlen reads the back length ending at end; sets *start to its first byte. */
static uint64_t get_backlen(const unsigned char *end, const unsigned char **start)
{
    uint64_t v = 0;
    unsigned shift = 0;
    const unsigned char *p = end;
    for (;;) {
        unsigned char b = *--p;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    *start = p;
    return v;
}

/* ==== blocks ============================================================ */

/* A decoded entry; fields are appended to the iterator-style array. */
typedef struct dec {
    stream_id id;
    unsigned flags;
    uint32_t size;           /* whole entry including the back length */
} dec;

static void fv_reserve(st_field **fv, size_t *cap, size_t n)
{
    if (n <= *cap) return;
    size_t c = *cap ? *cap : 8;
    while (c < n) c *= 2;
    *fv = xrealloc(*fv, c * sizeof **fv);
    *cap = c;
}

/* decode_entry decodes the entry at b->data + off.  If fv is not NULL the
 * fields are stored there (growing it) and *nf set. */
static void decode_entry(const st_block *b, uint32_t off, dec *d,
                         st_field **fv, size_t *fcap, size_t *nf)
{
    const unsigned char *p = b->data + off, *q;
    uint64_t v, dms, seq, n;
    d->flags = *p++;
    p = get_varint(p, &dms);
    p = get_varint(p, &seq);
    d->id.ms = b->first.ms + dms;
    d->id.seq = dms == 0 ? b->first.seq + seq : seq;
    if (d->flags & F_SAME) {
        q = get_varint(b->data, &n);
        if (fv) fv_reserve(fv, fcap, n);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t nl;
            q = get_varint(q, &nl);
            p = get_varint(p, &v);
            if (fv) (*fv)[i] = (st_field){q, (size_t)nl, p, (size_t)v};
            q += nl;
            p += v;
        }
    } else {
        p = get_varint(p, &n);
        if (fv) fv_reserve(fv, fcap, n);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t nl;
            p = get_varint(p, &nl);
            const unsigned char *name = p;
            p += nl;
            p = get_varint(p, &v);
            if (fv) (*fv)[i] = (st_field){name, (size_t)nl, p, (size_t)v};
            p += v;
        }
    }
    if (nf) *nf = (size_t)n;
    uint64_t body = (uint64_t)(p - (b->data + off));
    d->size = (uint32_t)(body + varint_size(body));
}

/* same_as_master: the names equal the block's master field list. */
static int same_as_master(const st_block *b, size_t nfields,
                          const unsigned char *const *names, const size_t *nlens)
{
    uint64_t n, nl;
    const unsigned char *q = get_varint(b->data, &n);
    if (n != nfields) return 0;
    for (size_t i = 0; i < nfields; i++) {
        q = get_varint(q, &nl);
        if (nl != nlens[i] || memcmp(q, names[i], nlens[i]) != 0) return 0;
        q += nl;
    }
    return 1;
}

static size_t block_footprint(const st_block *b) { return sizeof *b + b->cap; }

static void block_free(stream *s, st_block *b)
{
    s->alloc -= block_footprint(b);
    xfree(b->data);
    xfree(b);
}

static void block_reserve(stream *s, st_block *b, uint64_t need)
{
    if (need <= b->cap) return;
    if (need > UINT32_MAX) abort();      /* 4 GiB entry: command limits forbid it */
    uint64_t c = b->cap ? b->cap : MIN_CAP;
    while (c < need) c *= 2;
    if (s->max_bytes && c > s->max_bytes && need <= s->max_bytes) c = s->max_bytes;
    if (c > UINT32_MAX) c = need;
    s->alloc -= b->cap;
    b->data = xrealloc(b->data, (size_t)c);
    b->cap = (uint32_t)c;
    s->alloc += b->cap;
}

/* block_shrink trims a closed block's allocation to what it uses. */
static void block_shrink(stream *s, st_block *b)
{
    if (b->cap == b->used || b->used == 0) return;
    s->alloc -= b->cap;
    b->data = xrealloc(b->data, b->used);
    b->cap = b->used;
    s->alloc += b->cap;
}

/* ==== the index: a B+ tree of blocks ================================== */

/* Every node holds up to FAN children in ID order with, for each, the first
 * ID of the first block below it (exact: kept up to date when a subtree's
 * first block goes).  Leaves point at blocks and are linked both ways.
 * Appends go down the right spine; a full node splits by starting a new right
 * sibling holding just the new child, so append-only trees stay 100% full.
 * A node emptied by removals is freed; nodes are not merged (a stream drains
 * from the head, so underfull nodes go away soon). */
#define FAN 64
#define MAX_HEIGHT 12            /* 64^12 blocks: more than memory holds */

struct st_node {
    uint32_t n;
    uint32_t leaf;
    st_node *prev, *next;        /* leaves only: neighbours in ID order */
    uint32_t cap;                /* slots allocated: 2, 4, ... FAN */
    stream_id *key;              /* key[cap], then child[cap], one allocation */
    void **child;                /* st_node *, or st_block * in a leaf */
};

#define SLOT_BYTES (sizeof(stream_id) + sizeof(void *))

/* node_reserve grows x to hold need slots (small streams stay small). */
static void node_reserve(stream *s, st_node *x, uint32_t need)
{
    if (need <= x->cap) return;
    uint32_t c = x->cap ? x->cap : 2;
    while (c < need) c *= 2;
    unsigned char *mem = xmalloc(c * SLOT_BYTES);
    stream_id *key = (stream_id *)(void *)mem;
    void **child = (void **)(void *)(mem + c * sizeof(stream_id));
    if (x->n) {
        memcpy(key, x->key, x->n * sizeof *key);
        memcpy(child, x->child, x->n * sizeof *child);
    }
    xfree(x->key);
    s->alloc += (c - x->cap) * SLOT_BYTES;
    x->key = key;
    x->child = child;
    x->cap = c;
}

static st_node *node_new(stream *s, int leaf, uint32_t cap)
{
    st_node *x = xcalloc(1, sizeof *x);
    x->leaf = (uint32_t)leaf;
    s->alloc += sizeof *x;
    node_reserve(s, x, cap);
    return x;
}

static void node_free(stream *s, st_node *x)
{
    s->alloc -= sizeof *x + x->cap * SLOT_BYTES;
    xfree(x->key);
    xfree(x);
}

/* slot_le: the last i in x with key[i] <= id (x->key[0] <= id is given). */
static uint32_t slot_le(const st_node *x, stream_id id)
{
    uint32_t lo = 1, hi = x->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (st_id_cmp(x->key[mid], id) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo - 1;
}

static st_block *first_block(const stream *s)
{
    return s->first_leaf ? s->first_leaf->child[0] : NULL;
}

static st_block *last_block(const stream *s)
{
    return s->last_leaf ? s->last_leaf->child[s->last_leaf->n - 1] : NULL;
}

/* index_find sets *leaf and *slot to the last block whose first ID is <= id and
 * returns 1, or returns 0 if id is below every block. */
static int index_find(const stream *s, stream_id id, const st_node **leaf, uint32_t *slot)
{
    const st_node *x = s->root;
    if (!x || st_id_cmp(x->key[0], id) > 0) return 0;
    for (;;) {
        uint32_t i = slot_le(x, id);
        if (x->leaf) {
            *leaf = x;
            *slot = i;
            return 1;
        }
        x = x->child[i];
    }
}

static void index_push(stream *s, st_block *b)
{
    s->nblocks++;
    if (!s->root) {
        st_node *l = node_new(s, 1, 1);
        l->key[0] = b->first;
        l->child[0] = b;
        l->n = 1;
        s->root = s->first_leaf = s->last_leaf = l;
        return;
    }
    st_node *path[MAX_HEIGHT];
    int h = 0;
    st_node *x = s->root;
    while (!x->leaf) {
        path[h++] = x;
        x = x->child[x->n - 1];
    }
    void *item = b;
    for (;;) {
        if (x->n < FAN) {
            node_reserve(s, x, x->n + 1);
            x->key[x->n] = b->first;
            x->child[x->n++] = item;
            return;
        }
        st_node *y = node_new(s, (int)x->leaf, 1);
        y->key[0] = b->first;
        y->child[0] = item;
        y->n = 1;
        if (x->leaf) {
            x->next = y;
            y->prev = x;
            s->last_leaf = y;
        }
        item = y;
        if (h == 0) {                           /* x was the root */
            st_node *r = node_new(s, 0, 2);
            r->key[0] = x->key[0];
            r->child[0] = x;
            r->key[1] = b->first;
            r->child[1] = y;
            r->n = 2;
            s->root = r;
            return;
        }
        x = path[--h];
    }
}

/* index_remove takes block b out of the index and frees it. */
static void index_remove(stream *s, st_block *b)
{
    st_node *path[MAX_HEIGHT];
    uint32_t pos[MAX_HEIGHT];
    int h = 0;
    st_node *x = s->root;
    stream_id key = b->first;
    while (!x->leaf) {
        uint32_t i = slot_le(x, key);
        path[h] = x;
        pos[h++] = i;
        x = x->child[i];
    }
    uint32_t i = slot_le(x, key);
    if (x->child[i] != b) abort();               /* index out of step */
    block_free(s, b);
    s->nblocks--;
    for (;;) {
        memmove(x->key + i, x->key + i + 1, (x->n - i - 1) * sizeof *x->key);
        memmove(x->child + i, x->child + i + 1, (x->n - i - 1) * sizeof *x->child);
        x->n--;
        if (x->n > 0) {
            if (i == 0) {                        /* the subtree's first ID changed */
                for (int j = h - 1; j >= 0; j--) {
                    path[j]->key[pos[j]] = x->key[0];
                    if (pos[j] != 0) break;
                }
            }
            break;
        }
        if (x->leaf) {
            if (x->prev) x->prev->next = x->next;
            else s->first_leaf = x->next;
            if (x->next) x->next->prev = x->prev;
            else s->last_leaf = x->prev;
        }
        node_free(s, x);
        if (h == 0) {
            s->root = NULL;
            break;
        }
        x = path[--h];
        i = pos[h];
    }
    while (s->root && !s->root->leaf && s->root->n == 1) {
        st_node *r = s->root;
        s->root = r->child[0];
        node_free(s, r);
    }
}

static void node_free_all(st_node *x)
{
    for (uint32_t i = 0; i < x->n; i++) {
        if (x->leaf) {
            st_block *b = x->child[i];
            xfree(b->data);
            xfree(b);
        } else {
            node_free_all(x->child[i]);
        }
    }
    xfree(x->key);
    xfree(x);
}

/* ==== the stream ======================================================== */

stream *stream_new(uint32_t max_bytes, uint32_t max_entries)
{
    stream *s = xcalloc(1, sizeof *s);
    s->max_bytes = max_bytes;
    s->max_entries = max_entries;
    s->alloc = sizeof *s;
    return s;
}

void stream_free(stream *s)
{
    if (!s) return;
    if (s->root) node_free_all(s->root);
    xfree(s);
}

stream *stream_dup(const stream *from)
{
    stream *s = stream_new(from->max_bytes, from->max_entries);
    for (const st_node *leaf = from->first_leaf; leaf; leaf = leaf->next)
        for (uint32_t i = 0; i < leaf->n; i++) {
            const st_block *fb = leaf->child[i];
            st_block *b = xmalloc(sizeof *b);
            *b = *fb;
            b->data = NULL;
            b->cap = 0;
            s->alloc += sizeof *b;
            block_reserve(s, b, fb->used);
            memcpy(b->data, fb->data, fb->used);
            index_push(s, b);
        }
    s->length = from->length;
    s->last_id = from->last_id;
    s->max_deleted_id = from->max_deleted_id;
    s->entries_added = from->entries_added;
    return s;
}

size_t stream_memory(const stream *s) { return s->alloc; }
size_t stream_nblocks(const stream *s) { return s->nblocks; }

#define RAX_KEY 16

/* rax_count: nodes of the rax subtree holding keys k[lo..hi) (sorted,
 * distinct, RAX_KEY bytes each) that all agree on their first depth bytes,
 * counted from the node reached after those bytes. */
static size_t rax_count(const unsigned char (*k)[RAX_KEY], size_t lo, size_t hi, int depth)
{
    if (depth == RAX_KEY) return 1;                       /* the key's own (leaf) node */
    if (hi - lo == 1) return 2;                           /* one compressed run, then the leaf */
    int common = depth;                                   /* sorted: first and last bound the rest */
    while (common < RAX_KEY && k[lo][common] == k[hi - 1][common]) common++;
    if (common > depth) return 1 + rax_count(k, lo, hi, common);   /* a compressed run */
    size_t n = 1;                                         /* a branching node */
    for (size_t i = lo; i < hi;) {
        size_t j = i + 1;
        while (j < hi && k[j][depth] == k[i][depth]) j++;
        n += rax_count(k, i, j, depth + 1);
        i = j;
    }
    return n;
}

size_t stream_radix_nodes(const stream *s)
{
    if (!s->nblocks) return 1;
    unsigned char (*k)[RAX_KEY] = xmalloc(s->nblocks * RAX_KEY);
    size_t n = 0;
    for (const st_node *l = s->first_leaf; l; l = l->next)
        for (uint32_t i = 0; i < l->n; i++, n++)
            for (int b = 0; b < 8; b++) {
                k[n][b] = (unsigned char)(l->key[i].ms >> (56 - 8 * b));
                k[n][8 + b] = (unsigned char)(l->key[i].seq >> (56 - 8 * b));
            }
    size_t nodes = rax_count((const unsigned char (*)[RAX_KEY])k, 0, n, 0);
    xfree(k);
    return nodes;
}

/* new_block opens a block for an entry with ID id and the given names. */
static st_block *new_block(stream *s, stream_id id, size_t nfields,
                           const unsigned char *const *names, const size_t *nlens)
{
    st_block *b = xcalloc(1, sizeof *b);
    b->first = id;
    s->alloc += sizeof *b;
    uint64_t need = varint_size(nfields);
    for (size_t i = 0; i < nfields; i++) need += varint_size(nlens[i]) + nlens[i];
    block_reserve(s, b, need);
    unsigned char *p = put_varint(b->data, nfields);
    for (size_t i = 0; i < nfields; i++) {
        p = put_varint(p, nlens[i]);
        memcpy(p, names[i], nlens[i]);
        p += nlens[i];
    }
    b->used = b->master_end = (uint32_t)need;
    index_push(s, b);
    return b;
}

int stream_append(stream *s, stream_id id, size_t nfields,
                  const unsigned char *const *names, const size_t *nlens,
                  const unsigned char *const *vals, const size_t *vlens)
{
    if (st_id_cmp(id, s->last_id) <= 0) return -1;
    st_block *b = last_block(s);
    int same = 0;
    uint64_t values = 0, pairs = 0;
    for (size_t i = 0; i < nfields; i++) {
        values += varint_size(vlens[i]) + vlens[i];
        pairs += varint_size(nlens[i]) + nlens[i];
    }
    /* Does the entry fit in the tail block? (Sizes: same-fields form.) */
    if (b) {
        uint64_t dms = id.ms - b->first.ms;
        uint64_t seq = dms == 0 ? id.seq - b->first.seq : id.seq;
        same = same_as_master(b, nfields, names, nlens);
        uint64_t body = 1 + varint_size(dms) + varint_size(seq) +
                        (same ? values : varint_size(nfields) + pairs + values);
        uint64_t esize = body + varint_size(body);
        if ((s->max_entries && b->live + b->deleted >= s->max_entries) ||
            (s->max_bytes && b->used + esize > s->max_bytes) ||
            b->used + esize > BLOCK_HARD_MAX) {
            block_shrink(s, b);
            b = NULL;
        }
    }
    if (!b) {
        b = new_block(s, id, nfields, names, nlens);
        same = 1;
    }
    uint64_t dms = id.ms - b->first.ms;
    uint64_t seq = dms == 0 ? id.seq - b->first.seq : id.seq;
    uint64_t body = 1 + varint_size(dms) + varint_size(seq) +
                    (same ? values : varint_size(nfields) + pairs + values);
    uint64_t esize = body + varint_size(body);
    block_reserve(s, b, b->used + esize);
    unsigned char *p = b->data + b->used;
    *p++ = (unsigned char)(same ? F_SAME : 0);
    p = put_varint(p, dms);
    p = put_varint(p, seq);
    if (!same) p = put_varint(p, nfields);
    for (size_t i = 0; i < nfields; i++) {
        if (!same) {
            p = put_varint(p, nlens[i]);
            memcpy(p, names[i], nlens[i]);
            p += nlens[i];
        }
        p = put_varint(p, vlens[i]);
        if (vlens[i]) memcpy(p, vals[i], vlens[i]);
        p += vlens[i];
    }
    put_backlen(p, body);
    b->used += (uint32_t)esize;
    b->live++;
    s->length++;
    s->entries_added++;
    s->last_id = id;
    return 0;
}

/* find_live locates the live entry with ID id: returns its block and sets
 * *off, or NULL if there is none.  It walks as Redis's iterator over [id, id]
 * does: from the last block whose first ID is <= id (else the first block),
 * tombstones skipped, stopping at the first live entry not below id.  Entries
 * are in ID order, except after XSETID lowered the last ID below a deleted
 * top entry: later appends then follow that tombstone in its block (and
 * Redis's listpack), and only skipping it finds them. */
static st_block *find_live(const stream *s, stream_id id, uint32_t *off)
{
    const st_node *leaf;
    uint32_t slot;
    if (!s->root) return NULL;
    if (!index_find(s, id, &leaf, &slot)) {
        leaf = s->first_leaf;
        slot = 0;
    }
    for (;;) {
        st_block *b = leaf->child[slot];
        for (uint32_t o = b->master_end; o < b->used;) {
            dec d;
            decode_entry(b, o, &d, NULL, NULL, NULL);
            if (!(d.flags & F_DELETED)) {
                int c = st_id_cmp(d.id, id);
                if (c == 0) {
                    *off = o;
                    return b;
                }
                if (c > 0) return NULL;
            }
            o += d.size;
        }
        if (++slot == leaf->n) {
            if (!(leaf = leaf->next)) return NULL;
            slot = 0;
        }
    }
}

int stream_exists(const stream *s, stream_id id)
{
    uint32_t off;
    return find_live(s, id, &off) != NULL;
}

/* tombstone marks the live entry at off deleted. */
static void tombstone(stream *s, st_block *b, uint32_t off)
{
    b->data[off] |= F_DELETED;
    b->live--;
    b->deleted++;
    s->length--;
}

int stream_delete(stream *s, stream_id id)
{
    uint32_t off;
    st_block *b = find_live(s, id, &off);
    if (!b) return 0;
    tombstone(s, b, off);
    if (b->live == 0) index_remove(s, b);      /* its last live entry: the block goes */
    if (st_id_cmp(id, s->max_deleted_id) > 0) s->max_deleted_id = id;
    return 1;
}

/* The first / last block with a live entry (an exact trim can leave blocks
 * of tombstones only, at either end), or NULL. */
static const st_block *first_live_block(const stream *s)
{
    for (const st_node *leaf = s->first_leaf; leaf; leaf = leaf->next)
        for (uint32_t i = 0; i < leaf->n; i++)
            if (((const st_block *)leaf->child[i])->live) return leaf->child[i];
    return NULL;
}

static const st_block *last_live_block(const stream *s)
{
    for (const st_node *leaf = s->last_leaf; leaf; leaf = leaf->prev)
        for (uint32_t i = leaf->n; i > 0; i--)
            if (((const st_block *)leaf->child[i - 1])->live) return leaf->child[i - 1];
    return NULL;
}

int stream_first_id(const stream *s, stream_id *out)
{
    const st_block *b = first_live_block(s);
    if (!b) return 0;
    for (uint32_t o = b->master_end; o < b->used;) {
        dec d;
        decode_entry(b, o, &d, NULL, NULL, NULL);
        if (!(d.flags & F_DELETED)) {
            *out = d.id;
            return 1;
        }
        o += d.size;
    }
    return 0;
}

int stream_last_entry_id(const stream *s, stream_id *out)
{
    const st_block *b = last_live_block(s);
    if (!b) return 0;
    for (uint32_t end = b->used; end > b->master_end;) {
        const unsigned char *start;
        uint64_t body = get_backlen(b->data + end, &start);
        uint32_t o = (uint32_t)((size_t)(start - b->data) - body);
        if (!(b->data[o] & F_DELETED)) {
            dec d;
            decode_entry(b, o, &d, NULL, NULL, NULL);
            *out = d.id;
            return 1;
        }
        end = o;
    }
    return 0;
}

/* trim is streamTrim: maxlen mode if minid is NULL. */
static uint64_t trim(stream *s, uint64_t maxlen, const stream_id *minid,
                     int approx, uint64_t limit)
{
    uint64_t removed = 0;
    st_block *b;
    while ((b = first_block(s)) != NULL) {
        if (!minid && s->length <= maxlen) break;
        if (limit && removed + b->live > limit) break;
        int whole;
        if (!minid) {
            whole = s->length - b->live >= maxlen;
        } else {
            const unsigned char *start;
            uint64_t body = get_backlen(b->data + b->used, &start);
            dec d;
            decode_entry(b, (uint32_t)((size_t)(start - b->data) - body), &d, NULL, NULL, NULL);
            whole = st_id_cmp(d.id, *minid) < 0;
        }
        if (whole) {
            removed += b->live;
            s->length -= b->live;
            index_remove(s, b);
            continue;
        }
        if (approx) break;
        /* Walk into the block, deleting from its front.  A MINID trim may
         * leave it with tombstones only (its last ID, deleted, is >= minid):
         * it stays, as Redis's streamTrim leaves the listpack node, until a
         * later trim removes it whole (it counts in XINFO's radix-tree-keys
         * and keeps taking appends while it has room). */
        for (uint32_t o = b->master_end; o < b->used;) {
            if (!minid && s->length <= maxlen) break;
            dec d;
            decode_entry(b, o, &d, NULL, NULL, NULL);
            if (minid && st_id_cmp(d.id, *minid) >= 0) break;
            if (!(d.flags & F_DELETED)) {
                removed++;
                tombstone(s, b, o);
            }
            o += d.size;
        }
        break;
    }
    return removed;
}

uint64_t stream_trim_maxlen(stream *s, uint64_t maxlen, int approx, uint64_t limit)
{
    return trim(s, maxlen, NULL, approx, limit);
}

uint64_t stream_trim_minid(stream *s, stream_id minid, int approx, uint64_t limit)
{
    return trim(s, 0, &minid, approx, limit);
}

/* ==== iteration ========================================================= */

void st_iter_init(st_iter *it, const stream *s, stream_id start, stream_id end, int rev)
{
    memset(it, 0, sizeof *it);
    it->s = s;
    it->start = start;
    it->end = end;
    it->rev = rev;
    if (!s->root || st_id_cmp(start, end) > 0) {
        it->done = 1;
        return;
    }
    if (!rev) {
        if (!index_find(s, start, &it->leaf, &it->slot)) {
            it->leaf = s->first_leaf;
            it->slot = 0;
        }
        it->off = ((const st_block *)it->leaf->child[it->slot])->master_end;
    } else {
        if (!index_find(s, end, &it->leaf, &it->slot)) {   /* Redis: from the last block */
            it->leaf = s->last_leaf;
            it->slot = it->leaf->n - 1;
        }
        it->off = ((const st_block *)it->leaf->child[it->slot])->used;
    }
}

int st_iter_next(st_iter *it, stream_id *id)
{
    while (!it->done) {
        const st_block *b = it->leaf->child[it->slot];
        uint32_t o;
        if (!it->rev) {
            if (it->off >= b->used) {
                if (it->slot + 1 < it->leaf->n) {
                    it->slot++;
                } else {
                    if (!it->leaf->next) break;
                    it->leaf = it->leaf->next;
                    it->slot = 0;
                }
                it->off = ((const st_block *)it->leaf->child[it->slot])->master_end;
                continue;
            }
            o = it->off;
        } else {
            if (it->off <= b->master_end) {
                if (it->slot > 0) {
                    it->slot--;
                } else {
                    if (!it->leaf->prev) break;
                    it->leaf = it->leaf->prev;
                    it->slot = it->leaf->n - 1;
                }
                it->off = ((const st_block *)it->leaf->child[it->slot])->used;
                continue;
            }
            const unsigned char *start;
            uint64_t body = get_backlen(b->data + it->off, &start);
            o = (uint32_t)((size_t)(start - b->data) - body);
        }
        dec d;
        if (b->data[o] & F_DELETED) {
            decode_entry(b, o, &d, NULL, NULL, NULL);
            it->off = it->rev ? o : o + d.size;
            continue;
        }
        decode_entry(b, o, &d, &it->fv, &it->fcap, &it->nf);
        it->off = it->rev ? o : o + d.size;
        if (!it->rev) {
            if (st_id_cmp(d.id, it->start) < 0) continue;
            if (st_id_cmp(d.id, it->end) > 0) break;
        } else {
            if (st_id_cmp(d.id, it->end) > 0) continue;
            if (st_id_cmp(d.id, it->start) < 0) break;
        }
        *id = d.id;
        return 1;
    }
    it->done = 1;
    it->nf = 0;
    return 0;
}

void st_iter_done(st_iter *it)
{
    xfree(it->fv);
    it->fv = NULL;
    it->fcap = it->nf = 0;
}
