/* cgroup.c — consumer groups, consumers and pending lists (see cgroup.h). */
#include "cgroup.h"
#include "alloc.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

/* ---- intrusive AVL tree keyed by a record's ID --------------------------- */

/* A node sits at `off` bytes into its cg_nack; the key is the record's id. */
static inline stream_id node_id(const cg_node *n, size_t off)
{
    return ((const cg_nack *)(const void *)((const char *)n - off))->id;
}

static inline int ht(const cg_node *n) { return n ? n->h : 0; }

static inline void fix_height(cg_node *n)
{
    int a = ht(n->l), b = ht(n->r);
    n->h = (a > b ? a : b) + 1;
}

/* replace_child makes `to` take `from`'s place under parent p (or the root). */
static void replace_child(cg_tree *t, cg_node *p, cg_node *from, cg_node *to)
{
    if (!p) t->root = to;
    else if (p->l == from) p->l = to;
    else p->r = to;
    if (to) to->p = p;
}

static cg_node *rotate_left(cg_tree *t, cg_node *x)
{
    cg_node *y = x->r;
    x->r = y->l;
    if (y->l) y->l->p = x;
    replace_child(t, x->p, x, y);
    y->l = x;
    x->p = y;
    fix_height(x);
    fix_height(y);
    return y;
}

static cg_node *rotate_right(cg_tree *t, cg_node *x)
{
    cg_node *y = x->l;
    x->l = y->r;
    if (y->r) y->r->p = x;
    replace_child(t, x->p, x, y);
    y->r = x;
    x->p = y;
    fix_height(x);
    fix_height(y);
    return y;
}

/* rebalance restores the AVL property from n up to the root. */
static void rebalance(cg_tree *t, cg_node *n)
{
    while (n) {
        fix_height(n);
        int bf = ht(n->l) - ht(n->r);
        if (bf > 1) {
            if (ht(n->l->l) < ht(n->l->r)) rotate_left(t, n->l);
            n = rotate_right(t, n);
        } else if (bf < -1) {
            if (ht(n->r->r) < ht(n->r->l)) rotate_right(t, n->r);
            n = rotate_left(t, n);
        }
        n = n->p;
    }
}

static void tree_insert(cg_tree *t, cg_node *n, size_t off)
{
    stream_id id = node_id(n, off);
    cg_node *p = NULL, **link = &t->root;
    while (*link) {
        p = *link;
        link = st_id_cmp(id, node_id(p, off)) < 0 ? &p->l : &p->r;
    }
    n->l = n->r = NULL;
    n->p = p;
    n->h = 1;
    *link = n;
    t->count++;
    rebalance(t, p);
}

static void tree_remove(cg_tree *t, cg_node *n)
{
    cg_node *fix;
    if (!n->l || !n->r) {
        cg_node *child = n->l ? n->l : n->r;
        fix = n->p;
        replace_child(t, n->p, n, child);
    } else {
        cg_node *s = n->r;
        while (s->l) s = s->l;
        if (s->p != n) {
            fix = s->p;
            fix->l = s->r;
            if (s->r) s->r->p = fix;
            s->r = n->r;
            n->r->p = s;
        } else {
            fix = s;
        }
        s->l = n->l;
        n->l->p = s;
        replace_child(t, n->p, n, s);
        s->h = n->h;
    }
    t->count--;
    rebalance(t, fix);
}

static cg_node *tree_first(const cg_tree *t)
{
    cg_node *n = t->root;
    if (n) while (n->l) n = n->l;
    return n;
}

static cg_node *tree_last(const cg_tree *t)
{
    cg_node *n = t->root;
    if (n) while (n->r) n = n->r;
    return n;
}

static cg_node *tree_next(const cg_node *n)
{
    if (n->r) {
        n = n->r;
        while (n->l) n = n->l;
        return (cg_node *)n;
    }
    while (n->p && n->p->r == n) n = n->p;
    return n->p;
}

/* tree_seek: the first node with key >= id. */
static cg_node *tree_seek(const cg_tree *t, stream_id id, size_t off)
{
    cg_node *n = t->root, *best = NULL;
    while (n) {
        int c = st_id_cmp(node_id(n, off), id);
        if (c == 0) return n;
        if (c > 0) {
            best = n;
            n = n->l;
        } else {
            n = n->r;
        }
    }
    return best;
}

#define GOFF offsetof(cg_nack, gnode)
#define COFF offsetof(cg_nack, cnode)
#define G2N(x) ((cg_nack *)(void *)((char *)(x) - GOFF))
#define C2N(x) ((cg_nack *)(void *)((char *)(x) - COFF))

/* gnack / cnack: the record of a group-PEL / consumer-PEL node, NULL for NULL. */
static cg_nack *gnack(const cg_node *n) { return n ? G2N(n) : NULL; }
static cg_nack *cnack(const cg_node *n) { return n ? C2N(n) : NULL; }

/* ---- name-sorted pointer arrays ----------------------------------------- */

/* name_cmp orders names as a radix tree lists them: bytes, then length. */
static int name_cmp(const char *a, size_t al, const void *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

/* bisect_<kind> returns the index of name in a sorted array of n items,
 * with *found = 1, or its insertion point with *found = 0. */
#define DEFINE_BISECT(fn, type)                                              \
    static size_t fn(type *const *arr, size_t n, const void *name, size_t len, int *found) \
    {                                                                        \
        size_t lo = 0, hi = n;                                               \
        *found = 0;                                                          \
        while (lo < hi) {                                                    \
            size_t mid = lo + (hi - lo) / 2;                                 \
            int c = name_cmp(arr[mid]->name, arr[mid]->nlen, name, len);     \
            if (c == 0) { *found = 1; return mid; }                          \
            if (c < 0) lo = mid + 1;                                         \
            else hi = mid;                                                   \
        }                                                                    \
        return lo;                                                           \
    }
DEFINE_BISECT(bisect_cons, cg_consumer)
DEFINE_BISECT(bisect_groups, cg_group)

/* slot_open makes room at index i of an array of n items of size sz with
 * capacity *cap (growing it: x2, from 4), shifting i.. up one; returns the
 * array (moved if it grew).  slot_close removes index i, shifting down. */
static void *slot_open(void *arr, size_t *cap, size_t n, size_t i, size_t sz)
{
    if (n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        arr = xrealloc(arr, *cap * sz);
    }
    memmove((char *)arr + (i + 1) * sz, (char *)arr + i * sz, (n - i) * sz);
    return arr;
}

static void slot_close(void *arr, size_t n, size_t i, size_t sz)
{
    memmove((char *)arr + i * sz, (char *)arr + (i + 1) * sz, (n - i - 1) * sz);
}

static char *copy_name(const void *p, size_t len)
{
    char *s = xmalloc(len + 1);
    if (len) memcpy(s, p, len);
    s[len] = 0;
    return s;
}

/* ---- consumers ---------------------------------------------------------- */

static void consumer_free(cg_consumer *c)
{
    xfree(c->name);
    xfree(c);
}

cg_consumer *cg_consumer_find(const cg_group *g, const void *name, size_t len)
{
    int found;
    size_t i = bisect_cons(g->cons, g->ncons, name, len, &found);
    return found ? g->cons[i] : NULL;
}

cg_consumer *cg_consumer_get(cg_group *g, const void *name, size_t len, int64_t now, int *created)
{
    int found;
    size_t i = bisect_cons(g->cons, g->ncons, name, len, &found);
    if (created) *created = !found;
    if (found) return g->cons[i];
    g->cons = slot_open(g->cons, &g->capcons, g->ncons, i, sizeof *g->cons);
    cg_consumer *c = xcalloc(1, sizeof *c);
    c->name = copy_name(name, len);
    c->nlen = len;
    c->seen_time = now;
    c->active_time = -1;
    g->cons[i] = c;
    g->ncons++;
    return c;
}

cg_consumer *cg_consumer_create(cg_group *g, const void *name, size_t len, int64_t now)
{
    int created;
    cg_consumer *c = cg_consumer_get(g, name, len, now, &created);
    return created ? c : NULL;
}

size_t cg_consumer_delete(cg_group *g, cg_consumer *c)
{
    size_t had = c->pel.count;
    cg_node *n;
    while ((n = c->pel.root) != NULL) {
        cg_nack *k = C2N(n);
        tree_remove(&c->pel, n);
        tree_remove(&g->pel, &k->gnode);
        xfree(k);
    }
    int found;
    size_t i = bisect_cons(g->cons, g->ncons, c->name, c->nlen, &found);
    if (found) {
        slot_close(g->cons, g->ncons, i, sizeof *g->cons);
        g->ncons--;
    }
    consumer_free(c);
    return had;
}

/* ---- pending entries ---------------------------------------------------- */

cg_nack *cg_pel_find(const cg_group *g, stream_id id)
{
    cg_nack *k = cg_pel_seek(g, id);
    return k && st_id_cmp(k->id, id) == 0 ? k : NULL;
}

cg_nack *cg_pel_add(cg_group *g, cg_consumer *owner, stream_id id, int64_t time, uint64_t count)
{
    cg_nack *k = xcalloc(1, sizeof *k);
    k->id = id;
    k->delivery_time = time;
    k->delivery_count = count;
    k->owner = owner;
    tree_insert(&g->pel, &k->gnode, GOFF);
    tree_insert(&owner->pel, &k->cnode, COFF);
    return k;
}

void cg_pel_set_owner(cg_nack *n, cg_consumer *owner)
{
    if (n->owner == owner) return;
    tree_remove(&n->owner->pel, &n->cnode);
    n->owner = owner;
    tree_insert(&owner->pel, &n->cnode, COFF);
}

void cg_pel_remove(cg_group *g, cg_nack *n)
{
    tree_remove(&g->pel, &n->gnode);
    tree_remove(&n->owner->pel, &n->cnode);
    xfree(n);
}

cg_nack *cg_pel_seek(const cg_group *g, stream_id id) { return gnack(tree_seek(&g->pel, id, GOFF)); }
cg_nack *cg_pel_next(const cg_nack *k) { return gnack(tree_next(&k->gnode)); }
cg_nack *cg_pel_first(const cg_group *g) { return gnack(tree_first(&g->pel)); }
cg_nack *cg_pel_last(const cg_group *g) { return gnack(tree_last(&g->pel)); }
cg_nack *cg_cpel_seek(const cg_consumer *c, stream_id id) { return cnack(tree_seek(&c->pel, id, COFF)); }
cg_nack *cg_cpel_next(const cg_nack *k) { return cnack(tree_next(&k->cnode)); }

/* ---- groups ------------------------------------------------------------- */

static void group_free(cg_group *g)
{
    /* Every record is in the group's PEL: free them leaves first,
     * detaching each from its parent (O(n), no rebalancing). */
    cg_node *n = g->pel.root;
    while (n) {
        if (n->l) { n = n->l; continue; }
        if (n->r) { n = n->r; continue; }
        cg_node *p = n->p;
        if (p) {
            if (p->l == n) p->l = NULL;
            else p->r = NULL;
        }
        xfree(G2N(n));
        n = p;
    }
    for (size_t i = 0; i < g->ncons; i++) consumer_free(g->cons[i]);
    xfree(g->cons);
    xfree(g->name);
    xfree(g->dlq_key);
    xfree(g);
}

cgroups *cg_set_new(void) { return xcalloc(1, sizeof(cgroups)); }

void cg_set_free(cgroups *gs)
{
    if (!gs) return;
    for (size_t i = 0; i < gs->n; i++) group_free(gs->v[i]);
    xfree(gs->v);
    xfree(gs);
}

cg_group *cg_find(const cgroups *gs, const void *name, size_t len)
{
    if (!gs) return NULL;
    int found;
    size_t i = bisect_groups(gs->v, gs->n, name, len, &found);
    return found ? gs->v[i] : NULL;
}

cg_group *cg_create(cgroups *gs, const void *name, size_t len, stream_id last_id,
                    long long entries_read)
{
    int found;
    size_t i = bisect_groups(gs->v, gs->n, name, len, &found);
    if (found) return NULL;
    gs->v = slot_open(gs->v, &gs->cap, gs->n, i, sizeof *gs->v);
    cg_group *g = xcalloc(1, sizeof *g);
    g->name = copy_name(name, len);
    g->nlen = len;
    g->last_id = last_id;
    g->entries_read = entries_read;
    gs->v[i] = g;
    gs->n++;
    return g;
}

int cg_destroy(cgroups *gs, const void *name, size_t len)
{
    if (!gs) return 0;
    int found;
    size_t i = bisect_groups(gs->v, gs->n, name, len, &found);
    if (!found) return 0;
    group_free(gs->v[i]);
    slot_close(gs->v, gs->n, i, sizeof *gs->v);
    gs->n--;
    return 1;
}

void cg_set_dlq(cg_group *g, const void *key, size_t klen, uint64_t max_deliveries)
{
    xfree(g->dlq_key);
    g->dlq_key = NULL;
    g->dlq_klen = 0;
    g->dlq_max = 0;
    if (!key) return;
    g->dlq_key = copy_name(key, klen);
    g->dlq_klen = klen;
    g->dlq_max = max_deliveries;
}

cgroups *cg_set_dup(const cgroups *gs)
{
    if (!gs) return NULL;
    cgroups *d = cg_set_new();
    for (size_t i = 0; i < gs->n; i++) {
        const cg_group *g = gs->v[i];
        cg_group *ng = cg_create(d, g->name, g->nlen, g->last_id, g->entries_read);
        if (g->dlq_key) cg_set_dlq(ng, g->dlq_key, g->dlq_klen, g->dlq_max);
        ng->dead_lettered = g->dead_lettered;
        for (size_t j = 0; j < g->ncons; j++) {
            const cg_consumer *c = g->cons[j];
            cg_consumer *nc = cg_consumer_get(ng, c->name, c->nlen, c->seen_time, NULL);
            nc->active_time = c->active_time;
        }
        for (cg_nack *k = cg_pel_first(g); k; k = cg_pel_next(k)) {
            cg_consumer *nc = cg_consumer_find(ng, k->owner->name, k->owner->nlen);
            cg_pel_add(ng, nc, k->id, k->delivery_time, k->delivery_count);
        }
    }
    return d;
}

size_t cg_set_mem(const cgroups *gs)
{
    if (!gs) return 0;
    size_t m = sizeof *gs + gs->cap * sizeof *gs->v;
    for (size_t i = 0; i < gs->n; i++) {
        const cg_group *g = gs->v[i];
        m += sizeof *g + g->nlen + 1 + g->capcons * sizeof *g->cons + g->pel.count * sizeof(cg_nack);
        if (g->dlq_key) m += g->dlq_klen + 1;
        for (size_t j = 0; j < g->ncons; j++) m += sizeof(cg_consumer) + g->cons[j]->nlen + 1;
    }
    return m;
}

/* ---- logical offsets ------------------------------------------------------ */

static int id_is_zero(stream_id id) { return id.ms == 0 && id.seq == 0; }

int cg_range_has_tombstones(const stream *s, const stream_id *start, const stream_id *end)
{
    if (!s->length || id_is_zero(s->max_deleted_id)) return 0;
    stream_id first;
    if (!stream_first_id(s, &first)) first = ST_ID_MIN;
    if (st_id_cmp(first, s->max_deleted_id) > 0) return 0;
    stream_id a = start ? *start : ST_ID_MIN;
    stream_id b = end ? *end : ST_ID_MAX;
    return st_id_cmp(a, s->max_deleted_id) <= 0 && st_id_cmp(s->max_deleted_id, b) <= 0;
}

long long cg_estimate_offset(const stream *s, stream_id id)
{
    if (!s->entries_added) return 0;
    if (!s->length && st_id_cmp(id, s->last_id) <= 0) return (long long)s->entries_added;
    int cmp_last = st_id_cmp(id, s->last_id);
    if (cmp_last == 0) return (long long)s->entries_added;
    if (cmp_last > 0) return CG_ENTRIES_READ_UNKNOWN;
    stream_id first;
    if (!stream_first_id(s, &first)) first = ST_ID_MIN;
    if (id_is_zero(s->max_deleted_id) || st_id_cmp(s->max_deleted_id, first) < 0) {
        int c = st_id_cmp(id, first);
        if (c < 0) return (long long)(s->entries_added - s->length);
        if (c == 0) return (long long)(s->entries_added - s->length + 1);
    }
    return CG_ENTRIES_READ_UNKNOWN;
}

int cg_lag(const stream *s, const cg_group *g, long long *lag)
{
    if (!s->entries_added) {
        *lag = 0;
        return 1;
    }
    if (g->entries_read != CG_ENTRIES_READ_UNKNOWN && !cg_range_has_tombstones(s, &g->last_id, NULL)) {
        *lag = (long long)s->entries_added - g->entries_read;
        return 1;
    }
    long long off = cg_estimate_offset(s, g->last_id);
    if (off == CG_ENTRIES_READ_UNKNOWN) return 0;
    *lag = (long long)s->entries_added - off;
    return 1;
}

void cg_advance(const stream *s, cg_group *g, stream_id id)
{
    if (st_id_cmp(id, g->last_id) <= 0) return;
    if (g->entries_read != CG_ENTRIES_READ_UNKNOWN && !cg_range_has_tombstones(s, &id, NULL)) {
        if (g->entries_read < LLONG_MAX) g->entries_read++;
    }
    else if (s->entries_added)
        g->entries_read = cg_estimate_offset(s, id);
    g->last_id = id;
}
