/* zset.c — sorted set: packed small sets, skiplist + dict for large ones.
 *
 * Ownership (see zset.h): in the skiplist encoding each member's bytes live
 * in its node's allocation (length-prefixed, after the levels).  A small
 * chained hash table of our own maps member -> node through a link inside
 * each node, so a member costs one allocation and one table slot share; the
 * skiplist frees the nodes, and with them the members.
 *
 * Pack layout: entries back to back, each
 *     [len][member bytes][score: 8-byte double][len again]
 * where len is one byte (< 0x80) or 0x80 followed by a 4-byte length (at the
 * back: the 4 bytes then 0x80), so the buffer walks both ways.
 *
 * Skiplist: as in Redis's (Pugh's skiplist with per-level spans for ranks and
 * a backward pointer at level 0), max 32 levels, p = 1/4.  Ordering is by
 * score, then by member bytes (memcmp, shorter first on a tie).
 */
#include "zset.h"
#include "alloc.h"
#include "dict.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZSL_MAXLEVEL 32
#define ZS_HT_MIN 4

/* A skiplist node is one allocation:
 *     [score][bw][hn][lv[0] .. lv[level-1]][uint32 len][member bytes]
 * (no NUL; members are always passed as pointer + length).  bw is the
 * backward pointer and hn the next node in the member hash table's bucket;
 * nodes are malloc'ed, so at least 8-byte aligned, and the low 3 bits of each
 * hold half of (level - 1): bw the low 3 bits, hn the high 3.  So a level-1
 * node with a 12-byte member asks for 56 bytes, one 64-byte malloc chunk, and
 * there is no per-member hash entry: the table's buckets point at nodes. */
typedef struct zs_node {
    double score;
    uintptr_t bw;
    uintptr_t hn;
    struct zs_lvl {
        struct zs_node *forward;
        size_t span;
    } lv[];
} zs_node;

struct zset {
    unsigned char enc;
    uint32_t max_entries, max_value;
    union {
        struct {
            unsigned char *buf;
            size_t bytes;
            size_t count;
        } pk;
        struct {
            zs_node **ht[2];       /* member -> node, chained through hn; [1] while rehashing */
            size_t ht_size[2];     /* buckets: powers of two >= ZS_HT_MIN */
            size_t rehash_idx;     /* next ht[0] bucket to move; RH_NONE when not rehashing */
            zs_node *header, *tail;
            size_t length;
            int level;
            size_t node_bytes;
        } sl;
    } u;
};

#define PTR_MASK (~(uintptr_t)7)

static inline unsigned node_level(const zs_node *n) { return (unsigned)((n->bw & 7) | ((n->hn & 7) << 3)) + 1; }
static inline zs_node *node_bw(const zs_node *n) { return (zs_node *)(n->bw & PTR_MASK); }
static inline void node_set_bw(zs_node *n, zs_node *p) { n->bw = (uintptr_t)p | (n->bw & 7); }
static inline zs_node *node_hn(const zs_node *n) { return (zs_node *)(n->hn & PTR_MASK); }
static inline void node_set_hn(zs_node *n, zs_node *p) { n->hn = (uintptr_t)p | (n->hn & 7); }
static inline size_t node_len(const zs_node *n)
{
    uint32_t v;
    memcpy(&v, &n->lv[node_level(n)], 4);
    return v;
}
static inline const char *node_ele(const zs_node *n) { return (const char *)&n->lv[node_level(n)] + 4; }

/* ---- ordering --------------------------------------------------------- */

static int lexcmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* elemcmp orders (s1, a) against (s2, b). */
static int elemcmp(double s1, const char *a, size_t alen, double s2, const char *b, size_t blen)
{
    if (s1 < s2) return -1;
    if (s1 > s2) return 1;
    return lexcmp(a, alen, b, blen);
}

/* ---- pack ------------------------------------------------------------- */

static size_t len_size(size_t n) { return n < 0x80 ? 1 : 5; }

static size_t pk_entry_size(size_t n) { return 2 * len_size(n) + n + 8; }

/* Decode the entry at off: member pointer/length, score; returns entry size. */
static size_t pk_decode(const unsigned char *p, const char **m, size_t *len, double *score)
{
    size_t n, h;
    if (p[0] < 0x80) {
        n = p[0];
        h = 1;
    } else {
        uint32_t v;
        memcpy(&v, p + 1, 4);
        n = v;
        h = 5;
    }
    if (m) *m = (const char *)p + h;
    if (len) *len = n;
    if (score) memcpy(score, p + h + n, 8);
    return 2 * h + n + 8;
}

/* Size of the entry ending at p (exclusive). */
static size_t pk_prev_size(const unsigned char *end)
{
    if (end[-1] < 0x80) return pk_entry_size(end[-1]);
    uint32_t v;
    memcpy(&v, end - 5, 4);
    return pk_entry_size(v);
}

static void pk_write(unsigned char *p, const char *m, size_t n, double score)
{
    if (score == 0) score = 0;   /* -0 stored as 0, as Redis's listpack */
    size_t h;
    if (n < 0x80) {
        p[0] = (unsigned char)n;
        h = 1;
    } else {
        uint32_t v = (uint32_t)n;
        p[0] = 0x80;
        memcpy(p + 1, &v, 4);
        h = 5;
    }
    if (n) memcpy(p + h, m, n);
    memcpy(p + h + n, &score, 8);
    unsigned char *t = p + h + n + 8;
    if (n < 0x80) {
        t[0] = (unsigned char)n;
    } else {
        uint32_t v = (uint32_t)n;
        memcpy(t, &v, 4);
        t[4] = 0x80;
    }
}

/* Offset of member, or (size_t)-1. */
static size_t pk_find(const zset *z, const char *m, size_t len, double *score)
{
    const unsigned char *b = z->u.pk.buf;
    size_t off = 0;
    while (off < z->u.pk.bytes) {
        const char *em;
        size_t el;
        double s;
        size_t sz = pk_decode(b + off, &em, &el, &s);
        if (el == len && (len == 0 || memcmp(em, m, len) == 0)) {
            if (score) *score = s;
            return off;
        }
        off += sz;
    }
    return (size_t)-1;
}

static void pk_delete_at(zset *z, size_t off)
{
    size_t sz = pk_decode(z->u.pk.buf + off, NULL, NULL, NULL);
    memmove(z->u.pk.buf + off, z->u.pk.buf + off + sz, z->u.pk.bytes - off - sz);
    z->u.pk.bytes -= sz;
    z->u.pk.count--;
    if (z->u.pk.bytes == 0) {
        xfree(z->u.pk.buf);
        z->u.pk.buf = NULL;
    } else {
        z->u.pk.buf = xrealloc(z->u.pk.buf, z->u.pk.bytes);
    }
}

static void pk_insert(zset *z, const char *m, size_t len, double score)
{
    if (score == 0) score = 0;
    size_t off = 0;
    const unsigned char *b = z->u.pk.buf;
    while (off < z->u.pk.bytes) {
        const char *em;
        size_t el;
        double s;
        size_t sz = pk_decode(b + off, &em, &el, &s);
        if (elemcmp(s, em, el, score, m, len) > 0) break;
        off += sz;
    }
    size_t need = pk_entry_size(len);
    z->u.pk.buf = xrealloc(z->u.pk.buf, z->u.pk.bytes + need);
    memmove(z->u.pk.buf + off + need, z->u.pk.buf + off, z->u.pk.bytes - off);
    pk_write(z->u.pk.buf + off, m, len, score);
    z->u.pk.bytes += need;
    z->u.pk.count++;
}

/* Offset of the entry at ascending rank r (< count). */
static size_t pk_offset_of_rank(const zset *z, size_t r)
{
    size_t off;
    if (r <= z->u.pk.count / 2) {
        off = 0;
        for (size_t i = 0; i < r; i++) off += pk_decode(z->u.pk.buf + off, NULL, NULL, NULL);
    } else {
        off = z->u.pk.bytes;
        for (size_t i = z->u.pk.count; i > r; i--) off -= pk_prev_size(z->u.pk.buf + off);
    }
    return off;
}

/* ---- skiplist --------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static int random_level(void)
{
    int level = 1;
    for (;;) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        uint64_t r = rng_state;
        /* each pair of bits: 1 in 4 chance to go up */
        while (level < ZSL_MAXLEVEL && (r & 3) == 0) {
            level++;
            r >>= 2;
        }
        if ((r & 3) != 0 || level == ZSL_MAXLEVEL) return level;
    }
}

static size_t node_size(unsigned level, size_t len)
{
    return sizeof(zs_node) + level * sizeof(struct zs_lvl) + 4 + len;
}

static zs_node *node_new(unsigned level, double score, const char *m, size_t len)
{
    zs_node *n = xmalloc(node_size(level, len));
    if (((uintptr_t)n & 7) != 0) abort();   /* the level bits need 8-byte alignment */
    unsigned l = level - 1;
    n->score = score;
    n->bw = l & 7;
    n->hn = (l >> 3) & 7;
    uint32_t v = (uint32_t)len;
    char *p = (char *)&n->lv[level];
    memcpy(p, &v, 4);
    if (len) memcpy(p + 4, m, len);
    return n;
}

/* node_before: does node n sort before (score, m)?  The score decides
 * first, so the member bytes (another cache line) are read only on a tie. */
static inline int node_before(const zs_node *n, double score, const char *m, size_t len)
{
    if (n->score != score) return n->score < score;
    return lexcmp(node_ele(n), node_len(n), m, len) < 0;
}

/* ---- member hash table -------------------------------------------------
 * Chained, power-of-two buckets holding the nodes themselves (linked through
 * hn), keyed by member bytes with the dict's seeded SipHash.  Grows to keep
 * the load factor <= 1 and shrinks below 1/8 full.  Resizing is incremental,
 * as the keyspace dict's (dict.c): a resize allocates ht[1] and every later
 * add, lookup or delete first moves one bucket of ht[0] (rehash_idx walks it
 * upwards, skipping at most RH_EMPTY_VISITS empty buckets), so a burst of
 * ZADDs into a million-member set never pays for a whole-table rehash at
 * once.  While rehashing, new nodes go to ht[1] and lookups try ht[0] then
 * ht[1].  Power-of-two sizes keep zs_scan's reverse-binary cursor valid
 * across resizes and during a rehash, as dict_scan's. */

#define RH_NONE ((size_t)-1)
#define RH_EMPTY_VISITS 10

static inline uint64_t mhash(const char *m, size_t len) { return dict_hash_bytes(m, len); }

static inline int ht_rehashing(const zset *z) { return z->u.sl.rehash_idx != RH_NONE; }

/* ht_rehash_step moves up to n non-empty buckets from ht[0] to ht[1] and
 * finishes the rehash once ht[0] is empty. */
static void ht_rehash_step(zset *z, int n)
{
    if (!ht_rehashing(z)) return;
    zs_node **t0 = z->u.sl.ht[0], **t1 = z->u.sl.ht[1];
    size_t size0 = z->u.sl.ht_size[0], mask1 = z->u.sl.ht_size[1] - 1;
    size_t empty = (size_t)n * RH_EMPTY_VISITS;
    while (n > 0 && z->u.sl.rehash_idx < size0) {
        zs_node *x = t0[z->u.sl.rehash_idx];
        if (!x) {
            z->u.sl.rehash_idx++;
            if (--empty == 0) return;
            continue;
        }
        while (x) {
            zs_node *next = node_hn(x);
            size_t nb = mhash(node_ele(x), node_len(x)) & mask1;
            node_set_hn(x, t1[nb]);
            t1[nb] = x;
            x = next;
        }
        t0[z->u.sl.rehash_idx++] = NULL;
        n--;
    }
    if (z->u.sl.rehash_idx < size0) return;
    xfree(t0);
    z->u.sl.ht[0] = t1;
    z->u.sl.ht_size[0] = z->u.sl.ht_size[1];
    z->u.sl.ht[1] = NULL;
    z->u.sl.ht_size[1] = 0;
    z->u.sl.rehash_idx = RH_NONE;
}

/* ht_start_resize begins moving to a table of size buckets (not while a
 * rehash runs; an empty set switches at once). */
static void ht_start_resize(zset *z, size_t size)
{
    if (ht_rehashing(z) || size == z->u.sl.ht_size[0]) return;
    if (z->u.sl.length == 0) {
        xfree(z->u.sl.ht[0]);
        z->u.sl.ht[0] = xcalloc(size, sizeof(zs_node *));
        z->u.sl.ht_size[0] = size;
        return;
    }
    z->u.sl.ht[1] = xcalloc(size, sizeof(zs_node *));
    z->u.sl.ht_size[1] = size;
    z->u.sl.rehash_idx = 0;
}

static size_t ht_size_for(size_t n)
{
    size_t s = ZS_HT_MIN;
    while (s < n) s <<= 1;
    return s;
}

static void ht_add(zset *z, zs_node *x)
{
    /* length already counts x */
    ht_rehash_step(z, 1);
    if (!ht_rehashing(z) && z->u.sl.length > z->u.sl.ht_size[0]) ht_start_resize(z, z->u.sl.ht_size[0] * 2);
    int t = ht_rehashing(z);
    size_t b = mhash(node_ele(x), node_len(x)) & (z->u.sl.ht_size[t] - 1);
    node_set_hn(x, z->u.sl.ht[t][b]);
    z->u.sl.ht[t][b] = x;
}

/* ht_unlink_from takes x out of table t's chain; 1 if it was there. */
static int ht_unlink_from(zset *z, int t, zs_node *x, uint64_t h)
{
    size_t b = h & (z->u.sl.ht_size[t] - 1);
    zs_node *prev = NULL, *n = z->u.sl.ht[t][b];
    while (n && n != x) {
        prev = n;
        n = node_hn(n);
    }
    if (!n) return 0;
    if (prev) node_set_hn(prev, node_hn(x));
    else z->u.sl.ht[t][b] = node_hn(x);
    return 1;
}

static void ht_remove(zset *z, zs_node *x)
{
    uint64_t h = mhash(node_ele(x), node_len(x));
    if (ht_unlink_from(z, 0, x, h)) return;
    if (!ht_rehashing(z) || !ht_unlink_from(z, 1, x, h)) abort();
}

/* Called after removals (length already updated). */
static void ht_shrink_if_needed(zset *z)
{
    ht_rehash_step(z, 1);
    if (!ht_rehashing(z) && z->u.sl.ht_size[0] > ZS_HT_MIN && z->u.sl.length * 8 < z->u.sl.ht_size[0])
        ht_start_resize(z, ht_size_for(z->u.sl.length));
}

static void sl_init(zset *z)
{
    z->u.sl.ht[0] = xcalloc(ZS_HT_MIN, sizeof(zs_node *));
    z->u.sl.ht_size[0] = ZS_HT_MIN;
    z->u.sl.ht[1] = NULL;
    z->u.sl.ht_size[1] = 0;
    z->u.sl.rehash_idx = RH_NONE;
    z->u.sl.header = node_new(ZSL_MAXLEVEL, 0, NULL, 0);
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        z->u.sl.header->lv[i].forward = NULL;
        z->u.sl.header->lv[i].span = 0;
    }
    z->u.sl.tail = NULL;
    z->u.sl.length = 0;
    z->u.sl.level = 1;
    z->u.sl.node_bytes = 0;
}

/* sl_presize makes room for n members in a new, empty set. */
static void sl_presize(zset *z, size_t n)
{
    size_t s = ht_size_for(n);
    if (s > z->u.sl.ht_size[0]) ht_start_resize(z, s);
}

static void sl_release(zset *z)
{
    zs_node *n = z->u.sl.header->lv[0].forward;
    xfree(z->u.sl.header);
    while (n) {
        zs_node *next = n->lv[0].forward;
        xfree(n);
        n = next;
    }
    xfree(z->u.sl.ht[0]);
    xfree(z->u.sl.ht[1]);
    z->u.sl.ht[0] = z->u.sl.ht[1] = NULL;
    z->u.sl.ht_size[0] = z->u.sl.ht_size[1] = 0;
    z->u.sl.rehash_idx = RH_NONE;
}

/* sl_prefetch: the walks below read the next node at level i, and when
 * that one is past the target they drop to level i - 1 from the same node.
 * Asking for the level-(i-1) successor while the level-i one is still being
 * fetched overlaps the two cache misses (a large set is a walk of misses). */
static inline void sl_prefetch(const zs_node *n)
{
#if defined(__GNUC__) || defined(__clang__)
    if (n) __builtin_prefetch(n);
#else
    (void)n;
#endif
}

/* Link node x (level set, score/ele set) into the list. */
static void sl_link(zset *z, zs_node *x)
{
    zs_node *update[ZSL_MAXLEVEL];
    size_t rank[ZSL_MAXLEVEL];
    zs_node *h = z->u.sl.header;
    const char *xe = node_ele(x);
    size_t xlen = node_len(x);
    for (int i = z->u.sl.level - 1; i >= 0; i--) {
        rank[i] = i == z->u.sl.level - 1 ? 0 : rank[i + 1];
        while (h->lv[i].forward) {
            if (i > 0) sl_prefetch(h->lv[i - 1].forward);
            if (!node_before(h->lv[i].forward, x->score, xe, xlen)) break;
            rank[i] += h->lv[i].span;
            h = h->lv[i].forward;
        }
        update[i] = h;
    }
    int level = (int)node_level(x);
    if (level > z->u.sl.level) {
        for (int i = z->u.sl.level; i < level; i++) {
            rank[i] = 0;
            update[i] = z->u.sl.header;
            update[i]->lv[i].span = z->u.sl.length;
        }
        z->u.sl.level = level;
    }
    for (int i = 0; i < level; i++) {
        x->lv[i].forward = update[i]->lv[i].forward;
        update[i]->lv[i].forward = x;
        x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < z->u.sl.level; i++) update[i]->lv[i].span++;
    node_set_bw(x, update[0] == z->u.sl.header ? NULL : update[0]);
    if (x->lv[0].forward) node_set_bw(x->lv[0].forward, x);
    else z->u.sl.tail = x;
    z->u.sl.length++;
}

/* Find the update[] vector for node x (which must be in the list). */
static void sl_find_update(zset *z, const zs_node *x, zs_node **update)
{
    zs_node *h = z->u.sl.header;
    const char *xe = node_ele(x);
    size_t xlen = node_len(x);
    for (int i = z->u.sl.level - 1; i >= 0; i--) {
        while (h->lv[i].forward && h->lv[i].forward != x) {
            if (i > 0) sl_prefetch(h->lv[i - 1].forward);
            if (!node_before(h->lv[i].forward, x->score, xe, xlen)) break;
            h = h->lv[i].forward;
        }
        update[i] = h;
    }
}

static void sl_unlink(zset *z, zs_node *x, zs_node **update)
{
    for (int i = 0; i < z->u.sl.level; i++) {
        if (update[i]->lv[i].forward == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].forward = x->lv[i].forward;
        } else {
            update[i]->lv[i].span -= 1;
        }
    }
    if (x->lv[0].forward) node_set_bw(x->lv[0].forward, node_bw(x));
    else z->u.sl.tail = node_bw(x);
    while (z->u.sl.level > 1 && z->u.sl.header->lv[z->u.sl.level - 1].forward == NULL) z->u.sl.level--;
    z->u.sl.length--;
}

static void sl_insert(zset *z, const char *m, size_t len, double score)
{
    unsigned level = (unsigned)random_level();
    zs_node *x = node_new(level, score, m, len);
    z->u.sl.node_bytes += node_size(level, len);
    sl_link(z, x);
    ht_add(z, x);
}

/* Lookup by member bytes through the hash table. */
static zs_node *sl_find(zset *z, const char *m, size_t len)
{
    ht_rehash_step(z, 1);
    uint64_t h = mhash(m, len);
    for (int t = 0; t <= (ht_rehashing(z) ? 1 : 0); t++)
        for (zs_node *n = z->u.sl.ht[t][h & (z->u.sl.ht_size[t] - 1)]; n; n = node_hn(n))
            if (node_len(n) == len && (len == 0 || memcmp(node_ele(n), m, len) == 0)) return n;
    return NULL;
}

/* sl_free_node drops an unlinked node from the table and frees it. */
static void sl_free_node(zset *z, zs_node *x)
{
    ht_remove(z, x);
    z->u.sl.node_bytes -= node_size(node_level(x), node_len(x));
    xfree(x);
}

static void sl_delete_node(zset *z, zs_node *x)
{
    zs_node *update[ZSL_MAXLEVEL];
    sl_find_update(z, x, update);
    sl_unlink(z, x, update);
    sl_free_node(z, x);
    ht_shrink_if_needed(z);
}

static void sl_update_score(zset *z, zs_node *x, double score)
{
    /* Still in order: change in place. */
    const char *xe = node_ele(x);
    size_t xlen = node_len(x);
    const zs_node *b = node_bw(x), *f = x->lv[0].forward;
    if ((b == NULL || elemcmp(b->score, node_ele(b), node_len(b), score, xe, xlen) < 0) &&
        (f == NULL || elemcmp(f->score, node_ele(f), node_len(f), score, xe, xlen) > 0)) {
        x->score = score;
        return;
    }
    zs_node *update[ZSL_MAXLEVEL];
    sl_find_update(z, x, update);
    sl_unlink(z, x, update);
    x->score = score;
    sl_link(z, x);
}

/* Node at 1-based rank r. */
static zs_node *sl_by_rank(zset *z, size_t r)
{
    zs_node *h = z->u.sl.header;
    size_t traversed = 0;
    for (int i = z->u.sl.level - 1; i >= 0; i--) {
        while (h->lv[i].forward && traversed + h->lv[i].span <= r) {
            traversed += h->lv[i].span;
            h = h->lv[i].forward;
        }
        if (traversed == r) return h;
    }
    return NULL;
}

/* 1-based rank of node x. */
static size_t sl_rank_of(zset *z, const zs_node *x)
{
    zs_node *h = z->u.sl.header;
    size_t rank = 0;
    const char *xe = node_ele(x);
    size_t xlen = node_len(x);
    for (int i = z->u.sl.level - 1; i >= 0; i--) {
        while (h->lv[i].forward &&
               elemcmp(h->lv[i].forward->score, node_ele(h->lv[i].forward), node_len(h->lv[i].forward), x->score,
                       xe, xlen) <= 0) {
            rank += h->lv[i].span;
            h = h->lv[i].forward;
        }
        if (h == x) return rank;
    }
    return 0;
}

/* ---- public: lifetime --------------------------------------------------- */

zset *zs_new(int encoding, size_t max_entries, size_t max_value)
{
    zset *z = xcalloc(1, sizeof *z);
    z->enc = (unsigned char)encoding;
    z->max_entries = (uint32_t)max_entries;
    z->max_value = (uint32_t)max_value;
    if (encoding == ZS_ENC_SKIPLIST) sl_init(z);
    return z;
}

void zs_set_limits(zset *z, size_t max_entries, size_t max_value)
{
    z->max_entries = max_entries > UINT32_MAX ? UINT32_MAX : (uint32_t)max_entries;
    z->max_value = max_value > UINT32_MAX ? UINT32_MAX : (uint32_t)max_value;
}

void zs_free(zset *z)
{
    if (!z) return;
    if (z->enc == ZS_ENC_PACK) xfree(z->u.pk.buf);
    else sl_release(z);
    xfree(z);
}

zset *zs_dup(const zset *src)
{
    zset *z = zs_new(src->enc, src->max_entries, src->max_value);
    if (src->enc == ZS_ENC_PACK) {
        if (src->u.pk.bytes) {
            z->u.pk.buf = xmalloc(src->u.pk.bytes);
            memcpy(z->u.pk.buf, src->u.pk.buf, src->u.pk.bytes);
        }
        z->u.pk.bytes = src->u.pk.bytes;
        z->u.pk.count = src->u.pk.count;
        return z;
    }
    sl_presize(z, src->u.sl.length);
    for (zs_node *n = src->u.sl.tail; n; n = node_bw(n)) sl_insert(z, node_ele(n), node_len(n), n->score);
    return z;
}

size_t zs_mem(const zset *z)
{
    if (z->enc == ZS_ENC_PACK) return sizeof *z + z->u.pk.bytes;
    return sizeof *z + z->u.sl.node_bytes + node_size(ZSL_MAXLEVEL, 0) +
           (z->u.sl.ht_size[0] + z->u.sl.ht_size[1]) * sizeof(zs_node *);
}

int zs_encoding(const zset *z) { return z->enc; }

size_t zs_len(const zset *z) { return z->enc == ZS_ENC_PACK ? z->u.pk.count : z->u.sl.length; }

/* ---- public: members ---------------------------------------------------- */

int zs_score(zset *z, const char *m, size_t len, double *score)
{
    if (z->enc == ZS_ENC_PACK) return pk_find(z, m, len, score) != (size_t)-1;
    zs_node *n = sl_find(z, m, len);
    if (!n) return 0;
    if (score) *score = n->score;
    return 1;
}

int zs_add(zset *z, const char *m, size_t len, double score, int in, int *out, double *newscore)
{
    int incr = in & ZS_IN_INCR, nx = in & ZS_IN_NX, xx = in & ZS_IN_XX, gt = in & ZS_IN_GT, lt = in & ZS_IN_LT;
    *out = 0;
    if (isnan(score)) {
        *out = ZS_OUT_NAN;
        return 0;
    }
    double cur;
    size_t off = 0;
    zs_node *node = NULL;
    int exists;
    if (z->enc == ZS_ENC_PACK) {
        off = pk_find(z, m, len, &cur);
        exists = off != (size_t)-1;
    } else {
        node = sl_find(z, m, len);
        exists = node != NULL;
        if (exists) cur = node->score;
    }
    if (exists) {
        if (nx) {
            *out = ZS_OUT_NOP;
            return 1;
        }
        if (incr) {
            score += cur;
            if (isnan(score)) {
                *out = ZS_OUT_NAN;
                return 0;
            }
        }
        if ((gt && score <= cur) || (lt && score >= cur)) {
            *out = ZS_OUT_NOP;
            return 1;
        }
        if (newscore) *newscore = score;
        if (score != cur) {
            if (z->enc == ZS_ENC_PACK) {
                pk_delete_at(z, off);
                pk_insert(z, m, len, score);
            } else {
                sl_update_score(z, node, score);
            }
            *out = ZS_OUT_UPDATED;
        }
        return 1;
    }
    if (xx) {
        *out = ZS_OUT_NOP;
        return 1;
    }
    if (z->enc == ZS_ENC_PACK && (z->u.pk.count + 1 > z->max_entries || len > z->max_value))
        zs_convert(z, ZS_ENC_SKIPLIST);
    if (z->enc == ZS_ENC_PACK) pk_insert(z, m, len, score);
    else sl_insert(z, m, len, score);
    if (newscore) *newscore = score;
    *out = ZS_OUT_ADDED;
    return 1;
}

int zs_del(zset *z, const char *m, size_t len)
{
    if (z->enc == ZS_ENC_PACK) {
        size_t off = pk_find(z, m, len, NULL);
        if (off == (size_t)-1) return 0;
        pk_delete_at(z, off);
        return 1;
    }
    zs_node *n = sl_find(z, m, len);
    if (!n) return 0;
    sl_delete_node(z, n);
    return 1;
}

long long zs_rank(zset *z, const char *m, size_t len, int rev, double *score)
{
    size_t n = zs_len(z);
    long long rank;
    if (z->enc == ZS_ENC_PACK) {
        const unsigned char *b = z->u.pk.buf;
        size_t off = 0, i = 0;
        rank = -1;
        while (off < z->u.pk.bytes) {
            const char *em;
            size_t el;
            double s;
            off += pk_decode(b + off, &em, &el, &s);
            if (el == len && (len == 0 || memcmp(em, m, len) == 0)) {
                if (score) *score = s;
                rank = (long long)i;
                break;
            }
            i++;
        }
        if (rank < 0) return -1;
    } else {
        zs_node *x = sl_find(z, m, len);
        if (!x) return -1;
        if (score) *score = x->score;
        rank = (long long)sl_rank_of(z, x) - 1;
    }
    return rev ? (long long)n - 1 - rank : rank;
}

/* ---- public: ranges ----------------------------------------------------- */

/* A predicate that holds for a prefix of the ordered set. */
typedef int prefix_pred(const void *arg, double score, const char *m, size_t len);

static size_t count_prefix(zset *z, prefix_pred *pred, const void *arg)
{
    if (z->enc == ZS_ENC_PACK) {
        size_t off = 0, n = 0;
        while (off < z->u.pk.bytes) {
            const char *em;
            size_t el;
            double s;
            off += pk_decode(z->u.pk.buf + off, &em, &el, &s);
            if (!pred(arg, s, em, el)) break;
            n++;
        }
        return n;
    }
    zs_node *h = z->u.sl.header;
    size_t rank = 0;
    for (int i = z->u.sl.level - 1; i >= 0; i--) {
        while (h->lv[i].forward &&
               pred(arg, h->lv[i].forward->score, node_ele(h->lv[i].forward), node_len(h->lv[i].forward))) {
            rank += h->lv[i].span;
            h = h->lv[i].forward;
        }
    }
    return rank;
}

static int below_min(const void *arg, double s, const char *m, size_t len)
{
    const zs_range *r = arg;
    return r->minex ? s <= r->min : s < r->min;
}

static int within_max(const void *arg, double s, const char *m, size_t len)
{
    const zs_range *r = arg;
    return r->maxex ? s < r->max : s <= r->max;
}

size_t zs_range_score(zset *z, const zs_range *r, size_t *first)
{
    size_t lo = count_prefix(z, below_min, r);
    size_t hi = count_prefix(z, within_max, r);
    *first = lo;
    return hi > lo ? hi - lo : 0;
}

/* Compare member against a lex bound: <0, 0, >0 (the bound as a value). */
static int lexbound_cmp(const char *m, size_t len, const zs_lexbound *b)
{
    if (b->kind < 0) return 1;    /* everything is above "-" */
    if (b->kind > 0) return -1;   /* everything is below "+" */
    return lexcmp(m, len, b->p, b->len);
}

static int lex_below_min(const void *arg, double s, const char *m, size_t len)
{
    const zs_lexrange *r = arg;
    int c = lexbound_cmp(m, len, &r->min);
    return r->min.ex ? c <= 0 : c < 0;
}

static int lex_within_max(const void *arg, double s, const char *m, size_t len)
{
    const zs_lexrange *r = arg;
    int c = lexbound_cmp(m, len, &r->max);
    return r->max.ex ? c < 0 : c <= 0;
}

size_t zs_range_lex(zset *z, const zs_lexrange *r, size_t *first)
{
    size_t lo = count_prefix(z, lex_below_min, r);
    size_t hi = count_prefix(z, lex_within_max, r);
    *first = lo;
    return hi > lo ? hi - lo : 0;
}

size_t zs_delete_ranks(zset *z, size_t start, size_t end)
{
    size_t n = zs_len(z);
    if (start >= n || end < start) return 0;
    if (end >= n) end = n - 1;
    size_t count = end - start + 1;
    if (z->enc == ZS_ENC_PACK) {
        size_t a = pk_offset_of_rank(z, start);
        size_t b = a;
        for (size_t i = 0; i < count; i++) b += pk_decode(z->u.pk.buf + b, NULL, NULL, NULL);
        memmove(z->u.pk.buf + a, z->u.pk.buf + b, z->u.pk.bytes - b);
        z->u.pk.bytes -= b - a;
        z->u.pk.count -= count;
        if (z->u.pk.bytes == 0) {
            xfree(z->u.pk.buf);
            z->u.pk.buf = NULL;
        } else {
            z->u.pk.buf = xrealloc(z->u.pk.buf, z->u.pk.bytes);
        }
        return count;
    }
    /* Find the update vector for rank start+1 once, then unlink forward. */
    zs_node *update[ZSL_MAXLEVEL];
    zs_node *h = z->u.sl.header;
    size_t traversed = 0;
    for (int i = z->u.sl.level - 1; i >= 0; i--) {
        while (h->lv[i].forward && traversed + h->lv[i].span <= start) {
            traversed += h->lv[i].span;
            h = h->lv[i].forward;
        }
        update[i] = h;
    }
    zs_node *x = h->lv[0].forward;
    for (size_t i = 0; i < count && x; i++) {
        zs_node *next = x->lv[0].forward;
        sl_unlink(z, x, update);
        sl_free_node(z, x);
        x = next;
    }
    ht_shrink_if_needed(z);
    return count;
}

/* ---- public: iteration -------------------------------------------------- */

void zs_iter_init(zs_iter *it, zset *z, size_t rank, int rev, size_t count)
{
    it->z = z;
    it->rev = rev;
    size_t n = zs_len(z);
    if (rank >= n) {
        it->left = 0;
        return;
    }
    size_t avail = rev ? rank + 1 : n - rank;
    it->left = count < avail ? count : avail;
    if (z->enc == ZS_ENC_PACK) it->off = pk_offset_of_rank(z, rank);
    else it->node = sl_by_rank(z, rank + 1);
}

int zs_iter_next(zs_iter *it, const char **m, size_t *len, double *score)
{
    if (it->left == 0) return 0;
    it->left--;
    zset *z = it->z;
    if (z->enc == ZS_ENC_PACK) {
        size_t sz = pk_decode(z->u.pk.buf + it->off, m, len, score);
        if (it->left) {
            if (it->rev) it->off -= pk_prev_size(z->u.pk.buf + it->off);
            else it->off += sz;
        }
        return 1;
    }
    zs_node *x = it->node;
    *m = node_ele(x);
    *len = node_len(x);
    *score = x->score;
    it->node = it->rev ? node_bw(x) : x->lv[0].forward;
    return 1;
}

static inline uint64_t rev64(uint64_t v)
{
    v = __builtin_bswap64(v);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    return v;
}

static uint64_t next_cursor(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    return rev64(rev64(v) + 1);
}

static void scan_chain(zs_node *n, zs_scan_fn *fn, void *priv)
{
    while (n) {
        zs_node *next = node_hn(n);
        fn(priv, node_ele(n), node_len(n), n->score);
        n = next;
    }
}

uint64_t zs_scan(zset *z, uint64_t cursor, zs_scan_fn *fn, void *priv)
{
    if (z->enc == ZS_ENC_PACK) {
        size_t off = 0;
        while (off < z->u.pk.bytes) {
            const char *em;
            size_t el;
            double s;
            off += pk_decode(z->u.pk.buf + off, &em, &el, &s);
            fn(priv, em, el, s);
        }
        return 0;
    }
    if (z->u.sl.length == 0) return 0;
    /* One bucket per call, the cursor counted in bit-reversed order (see
     * dict.c): valid across the table's power-of-two resizes.  While
     * rehashing, the small table's bucket and then every bucket of the
     * large one whose low bits match it (fn must not change the set). */
    uint64_t v = cursor;
    if (!ht_rehashing(z)) {
        uint64_t m0 = z->u.sl.ht_size[0] - 1;
        scan_chain(z->u.sl.ht[0][v & m0], fn, priv);
        return next_cursor(v, m0);
    }
    int small = z->u.sl.ht_size[0] <= z->u.sl.ht_size[1] ? 0 : 1, large = !small;
    uint64_t m0 = z->u.sl.ht_size[small] - 1, m1 = z->u.sl.ht_size[large] - 1;
    scan_chain(z->u.sl.ht[small][v & m0], fn, priv);
    do {
        scan_chain(z->u.sl.ht[large][v & m1], fn, priv);
        v = next_cursor(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

/* ---- public: encodings -------------------------------------------------- */

void zs_convert(zset *z, int encoding)
{
    if (z->enc == encoding) return;
    if (encoding == ZS_ENC_SKIPLIST) {
        unsigned char *buf = z->u.pk.buf;
        size_t bytes = z->u.pk.bytes, count = z->u.pk.count;
        z->enc = ZS_ENC_SKIPLIST;
        sl_init(z);
        sl_presize(z, count);
        /* Insert from the back: each new node goes first, O(1) per level walk. */
        size_t off = bytes;
        while (off > 0) {
            off -= pk_prev_size(buf + off);
            const char *em;
            size_t el;
            double s;
            pk_decode(buf + off, &em, &el, &s);
            sl_insert(z, em, el, s);
        }
        xfree(buf);
        return;
    }
    /* skiplist -> pack: entries already sorted; append in order. */
    size_t bytes = 0;
    for (zs_node *x = z->u.sl.header->lv[0].forward; x; x = x->lv[0].forward) bytes += pk_entry_size(node_len(x));
    unsigned char *buf = bytes ? xmalloc(bytes) : NULL;
    size_t off = 0, count = z->u.sl.length;
    for (zs_node *x = z->u.sl.header->lv[0].forward; x; x = x->lv[0].forward) {
        pk_write(buf + off, node_ele(x), node_len(x), x->score);
        off += pk_entry_size(node_len(x));
    }
    sl_release(z);
    z->enc = ZS_ENC_PACK;
    z->u.pk.buf = buf;
    z->u.pk.bytes = bytes;
    z->u.pk.count = count;
}

void zs_shrink_if_fits(zset *z)
{
    if (z->enc == ZS_ENC_PACK || z->u.sl.length > z->max_entries) return;
    for (zs_node *x = z->u.sl.header->lv[0].forward; x; x = x->lv[0].forward)
        if (node_len(x) > z->max_value) return;
    zs_convert(z, ZS_ENC_PACK);
}

void zs_ht_info(const zset *z, size_t *size0, size_t *size1, size_t *rehash_idx)
{
    *size0 = *size1 = *rehash_idx = 0;
    if (z->enc == ZS_ENC_PACK) return;
    *size0 = z->u.sl.ht_size[0];
    *size1 = z->u.sl.ht_size[1];
    *rehash_idx = z->u.sl.rehash_idx;
}

int zs_scan_score_str(const zset *z, double score, char *buf, size_t buflen)
{
    if (z->enc == ZS_ENC_PACK && isfinite(score) && score >= -(double)(LLONG_MAX / 2) &&
        score <= (double)(LLONG_MAX / 2) && (double)(long long)score == score)
        return snprintf(buf, buflen, "%lld", (long long)score);
    if (isinf(score)) return snprintf(buf, buflen, "%s", score > 0 ? "inf" : "-inf");
    return snprintf(buf, buflen, "%.17g", score);
}
