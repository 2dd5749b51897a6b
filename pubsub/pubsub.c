/* pubsub.c — the subscription index: channels, shard channels, patterns
 * (with a literal-prefix trie), per-client subscription sets, and the
 * shared encoded message buffers.
 *
 * Ownership: the index's channel dicts own their ps_chan records (name and
 * subscriber array); the pattern dict owns the ps_pat records, which the
 * trie only points at (removing a pattern unlinks it from its trie node
 * first, then deletes it from the dict).  A ps_client owns its own copies
 * of the names it subscribed to, so it never points into the index.
 */
#include "pubsub.h"
#include "alloc.h"
#include "dict.h"
#include "glob.h"
#include "sbuf.h"

#include <stdio.h>
#include <string.h>

typedef struct ps_subs {
    void **v;
    size_t n, cap;
} ps_subs;

typedef struct ps_chan {
    sbuf name;
    ps_subs subs;
} ps_chan;

typedef struct ps_pnode ps_pnode;

typedef struct ps_pat {
    sbuf pat;
    ps_subs subs;
    ps_pnode *node;       /* trie node of its literal prefix */
} ps_pat;

/* A trie node: one per distinct literal-prefix byte path in use. */
struct ps_pnode {
    ps_pnode *parent;
    unsigned char byte;   /* edge from the parent */
    int nkids, kcap;
    ps_pnode **kids;
    int npats, pcap;
    ps_pat **pats;        /* patterns whose literal prefix ends here */
};

struct ps_index {
    dict *chans[2];       /* PS_CHANNEL, PS_SHARD: name -> ps_chan */
    dict *pats;           /* pattern -> ps_pat */
    ps_pnode root;
};

struct ps_client {
    void *owner;
    dict *chans[2];       /* name -> NULL (own key copies) */
    dict *pats;
};

/* ---- helpers ---------------------------------------------------------- */

static void subs_add(ps_subs *s, void *p)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = p;
}

/* subs_remove keeps the others in subscription order. */
static int subs_remove(ps_subs *s, void *p)
{
    for (size_t i = s->n; i-- > 0;)
        if (s->v[i] == p) {
            memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof *s->v);
            s->n--;
            return 1;
        }
    return 0;
}

static void chan_free(void *v)
{
    ps_chan *ch = v;
    sbuf_free(ch->name);
    xfree(ch->subs.v);
    xfree(ch);
}

static void pat_free(void *v)
{
    ps_pat *p = v;
    sbuf_free(p->pat);
    xfree(p->subs.v);
    xfree(p);
}

/* Index dicts: the key is the record's own name, freed with the record. */
static const dict_type chan_dict_type = {
    .hash = dict_sbuf_hash, .key_equal = dict_sbuf_equal, .val_free = chan_free,
};
static const dict_type pat_dict_type = {
    .hash = dict_sbuf_hash, .key_equal = dict_sbuf_equal, .val_free = pat_free,
};
/* Client sets: keys are the client's own copies. */
static const dict_type set_dict_type = {
    .hash = dict_sbuf_hash, .key_equal = dict_sbuf_equal, .key_free = dict_sbuf_free,
};

/* A lookup key: dict_sbuf_* read the length from the sbuf header, so a
 * temporary sbuf is made for raw bytes.  Short names use the stack. */
typedef struct tmpkey {
    sbuf s;
    char mem[256];
} tmpkey;

static sbuf tmpkey_make(tmpkey *t, const char *p, size_t n)
{
    if (n + 32 <= sizeof t->mem) t->s = sbuf_place(t->mem, p, n);
    else t->s = sbuf_new(p, n);
    return t->s;
}

static void tmpkey_done(tmpkey *t)
{
    if (!(t->s >= t->mem && t->s < t->mem + sizeof t->mem)) sbuf_free(t->s);
}

/* ---- pattern trie ------------------------------------------------------ */

static size_t literal_prefix(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '*' && p[i] != '?' && p[i] != '[' && p[i] != '\\') i++;
    return i;
}

static ps_pnode *node_child(ps_pnode *nd, unsigned char b)
{
    for (int i = 0; i < nd->nkids; i++)
        if (nd->kids[i]->byte == b) return nd->kids[i];
    return NULL;
}

static void trie_insert(ps_index *ix, ps_pat *p)
{
    size_t L = literal_prefix(p->pat, sbuf_len(p->pat));
    ps_pnode *nd = &ix->root;
    for (size_t i = 0; i < L; i++) {
        unsigned char b = (unsigned char)p->pat[i];
        ps_pnode *k = node_child(nd, b);
        if (!k) {
            k = xcalloc(1, sizeof *k);
            k->parent = nd;
            k->byte = b;
            if (nd->nkids == nd->kcap) {
                nd->kcap = nd->kcap ? nd->kcap * 2 : 2;
                nd->kids = xrealloc(nd->kids, nd->kcap * sizeof *nd->kids);
            }
            nd->kids[nd->nkids++] = k;
        }
        nd = k;
    }
    if (nd->npats == nd->pcap) {
        nd->pcap = nd->pcap ? nd->pcap * 2 : 2;
        nd->pats = xrealloc(nd->pats, nd->pcap * sizeof *nd->pats);
    }
    nd->pats[nd->npats++] = p;
    p->node = nd;
}

static void trie_remove(ps_index *ix, ps_pat *p)
{
    ps_pnode *nd = p->node;
    for (int i = 0; i < nd->npats; i++)
        if (nd->pats[i] == p) {
            memmove(nd->pats + i, nd->pats + i + 1, (nd->npats - i - 1) * sizeof *nd->pats);
            nd->npats--;
            break;
        }
    /* Prune nodes that no longer lead anywhere. */
    while (nd != &ix->root && nd->npats == 0 && nd->nkids == 0) {
        ps_pnode *up = nd->parent;
        for (int i = 0; i < up->nkids; i++)
            if (up->kids[i] == nd) {
                up->kids[i] = up->kids[--up->nkids];
                break;
            }
        xfree(nd->kids);
        xfree(nd->pats);
        xfree(nd);
        nd = up;
    }
}

static void trie_free_children(ps_pnode *nd)
{
    for (int i = 0; i < nd->nkids; i++) {
        trie_free_children(nd->kids[i]);
        xfree(nd->kids[i]);
    }
    xfree(nd->kids);
    xfree(nd->pats);
    nd->kids = NULL;
    nd->pats = NULL;
    nd->nkids = nd->npats = 0;
}

/* ---- index ------------------------------------------------------------- */

ps_index *ps_index_new(void)
{
    ps_index *ix = xcalloc(1, sizeof *ix);
    ix->chans[0] = dict_create(&chan_dict_type);
    ix->chans[1] = dict_create(&chan_dict_type);
    ix->pats = dict_create(&pat_dict_type);
    return ix;
}

void ps_index_free(ps_index *ix)
{
    if (!ix) return;
    trie_free_children(&ix->root);
    dict_release(ix->chans[0]);
    dict_release(ix->chans[1]);
    dict_release(ix->pats);
    xfree(ix);
}

ps_client *ps_client_new(void *owner)
{
    ps_client *cl = xcalloc(1, sizeof *cl);
    cl->owner = owner;
    cl->chans[0] = dict_create(&set_dict_type);
    cl->chans[1] = dict_create(&set_dict_type);
    cl->pats = dict_create(&set_dict_type);
    return cl;
}

/* drop_all unsubscribes cl from every name in set (a client dict). */
static void drop_all(ps_index *ix, ps_client *cl, int kind)
{
    char **names;
    size_t n = ps_client_names(cl, kind, &names);
    for (size_t i = 0; i < n; i++) {
        if (kind < 0) ps_punsubscribe(ix, cl, names[i], sbuf_len(names[i]));
        else ps_unsubscribe(ix, cl, kind, names[i], sbuf_len(names[i]));
    }
    xfree(names);
}

void ps_client_free(ps_index *ix, ps_client *cl)
{
    if (!cl) return;
    if (ix) {
        drop_all(ix, cl, PS_CHANNEL);
        drop_all(ix, cl, PS_SHARD);
        drop_all(ix, cl, -1);
    }
    dict_release(cl->chans[0]);
    dict_release(cl->chans[1]);
    dict_release(cl->pats);
    xfree(cl);
}

size_t ps_client_channels(const ps_client *cl) { return cl ? dict_size(cl->chans[0]) : 0; }
size_t ps_client_shard(const ps_client *cl) { return cl ? dict_size(cl->chans[1]) : 0; }
size_t ps_client_patterns(const ps_client *cl) { return cl ? dict_size(cl->pats) : 0; }

size_t ps_client_names(const ps_client *cl, int kind, char ***out)
{
    *out = NULL;
    if (!cl) return 0;
    dict *d = kind < 0 ? cl->pats : cl->chans[kind];
    size_t n = dict_size(d), i = 0;
    if (!n) return 0;
    char **v = xmalloc(n * sizeof *v);
    dict_iter it;
    dict_iter_init(&it, d, 0);
    for (dict_entry *e; (e = dict_next(&it)) && i < n;) v[i++] = e->key;
    dict_iter_done(&it);
    *out = v;
    return i;
}

int ps_subscribe(ps_index *ix, ps_client *cl, int kind, const char *ch, size_t n)
{
    sbuf name = sbuf_new(ch, n);
    if (dict_add(cl->chans[kind], name, NULL) != 0) {
        sbuf_free(name);
        return 0;
    }
    ps_chan *c = dict_fetch(ix->chans[kind], name);
    if (!c) {
        c = xcalloc(1, sizeof *c);
        c->name = sbuf_new(ch, n);
        dict_add(ix->chans[kind], c->name, c);
    }
    subs_add(&c->subs, cl->owner);
    return 1;
}

int ps_unsubscribe(ps_index *ix, ps_client *cl, int kind, const char *ch, size_t n)
{
    tmpkey t;
    sbuf k = tmpkey_make(&t, ch, n);
    int r = 0;
    if (dict_find(cl->chans[kind], k)) {
        ps_chan *c = dict_fetch(ix->chans[kind], k);
        if (c) {
            subs_remove(&c->subs, cl->owner);
            if (c->subs.n == 0) dict_delete(ix->chans[kind], k);
        }
        dict_delete(cl->chans[kind], k);
        r = 1;
    }
    tmpkey_done(&t);
    return r;
}

int ps_psubscribe(ps_index *ix, ps_client *cl, const char *pat, size_t n)
{
    sbuf name = sbuf_new(pat, n);
    if (dict_add(cl->pats, name, NULL) != 0) {
        sbuf_free(name);
        return 0;
    }
    ps_pat *p = dict_fetch(ix->pats, name);
    if (!p) {
        p = xcalloc(1, sizeof *p);
        p->pat = sbuf_new(pat, n);
        dict_add(ix->pats, p->pat, p);
        trie_insert(ix, p);
    }
    subs_add(&p->subs, cl->owner);
    return 1;
}

int ps_punsubscribe(ps_index *ix, ps_client *cl, const char *pat, size_t n)
{
    tmpkey t;
    sbuf k = tmpkey_make(&t, pat, n);
    int r = 0;
    if (dict_find(cl->pats, k)) {
        ps_pat *p = dict_fetch(ix->pats, k);
        if (p) {
            subs_remove(&p->subs, cl->owner);
            if (p->subs.n == 0) {
                trie_remove(ix, p);
                dict_delete(ix->pats, k);
            }
        }
        dict_delete(cl->pats, k);
        r = 1;
    }
    tmpkey_done(&t);
    return r;
}

size_t ps_numsub(ps_index *ix, int kind, const char *ch, size_t n)
{
    tmpkey t;
    ps_chan *c = dict_fetch(ix->chans[kind], tmpkey_make(&t, ch, n));
    tmpkey_done(&t);
    return c ? c->subs.n : 0;
}

size_t ps_numpat(const ps_index *ix) { return dict_size(ix->pats); }
size_t ps_nchannels(const ps_index *ix, int kind) { return dict_size(ix->chans[kind]); }

long ps_match(ps_index *ix, int kind, const char *ch, size_t n, ps_visit_fn *fn, void *priv)
{
    long count = 0;
    tmpkey t;
    ps_chan *c = dict_fetch(ix->chans[kind], tmpkey_make(&t, ch, n));
    tmpkey_done(&t);
    if (c)
        for (size_t i = 0; i < c->subs.n; i++, count++) fn(priv, NULL, c->subs.v[i]);
    if (kind != PS_CHANNEL || dict_size(ix->pats) == 0) return count;

    /* Walk the channel's bytes down the trie: only patterns whose literal
     * prefix is a prefix of the channel can match. */
    ps_pnode *nd = &ix->root;
    for (size_t i = 0;; i++) {
        for (int j = 0; j < nd->npats; j++) {
            ps_pat *p = nd->pats[j];
            if (!glob_match(p->pat, sbuf_len(p->pat), ch, n, 0)) continue;
            for (size_t k = 0; k < p->subs.n; k++, count++) fn(priv, p->pat, p->subs.v[k]);
        }
        if (i == n || !(nd = node_child(nd, (unsigned char)ch[i]))) break;
    }
    return count;
}

long ps_match_scan(ps_index *ix, int kind, const char *ch, size_t n, ps_visit_fn *fn, void *priv)
{
    long count = 0;
    tmpkey t;
    ps_chan *c = dict_fetch(ix->chans[kind], tmpkey_make(&t, ch, n));
    tmpkey_done(&t);
    if (c)
        for (size_t i = 0; i < c->subs.n; i++, count++) fn(priv, NULL, c->subs.v[i]);
    if (kind != PS_CHANNEL || dict_size(ix->pats) == 0) return count;
    dict_iter it;
    dict_iter_init(&it, ix->pats, 0);
    for (dict_entry *e; (e = dict_next(&it));) {
        ps_pat *p = e->v.val;
        if (!glob_match(p->pat, sbuf_len(p->pat), ch, n, 0)) continue;
        for (size_t k = 0; k < p->subs.n; k++, count++) fn(priv, p->pat, p->subs.v[k]);
    }
    dict_iter_done(&it);
    return count;
}

size_t ps_pattern_candidates(ps_index *ix, const char *ch, size_t n)
{
    size_t cand = 0;
    ps_pnode *nd = &ix->root;
    for (size_t i = 0;; i++) {
        cand += (size_t)nd->npats;
        if (i == n || !(nd = node_child(nd, (unsigned char)ch[i]))) break;
    }
    return cand;
}

void ps_channel_list(ps_index *ix, int kind, const char *pat, size_t patlen,
                     void (*fn)(void *priv, const char *name), void *priv)
{
    dict_iter it;
    dict_iter_init(&it, ix->chans[kind], 0);
    for (dict_entry *e; (e = dict_next(&it));) {
        const char *name = e->key;
        if (!pat || glob_match(pat, patlen, name, sbuf_len(name), 0)) fn(priv, name);
    }
    dict_iter_done(&it);
}

/* ---- shared messages ----------------------------------------------------- */

ps_msg *ps_msg_new(size_t len)
{
    ps_msg *m = xmalloc(sizeof *m + len);
    m->refs = 1;
    m->len = len;
    return m;
}

void ps_msg_unref(ps_msg *m)
{
    if (m && --m->refs == 0) xfree(m);
}

static size_t put_bulk(char *dst, const char *p, size_t n)
{
    int h = sprintf(dst, "$%zu\r\n", n);
    memcpy(dst + h, p, n);
    memcpy(dst + h + n, "\r\n", 2);
    return (size_t)h + n + 2;
}

ps_msg *ps_encode_message(int resp, const char *kind, const char *pat, size_t patlen,
                          const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    size_t klen = strlen(kind);
    /* header + each bulk's "$<len>\r\n...\r\n" (a length fits 20 digits) */
    size_t cap = 8 + (klen + 25) + (chlen + 25) + (msglen + 25) + (pat ? patlen + 25 : 0);
    ps_msg *m = ps_msg_new(cap);
    char *d = m->data;
    size_t at = (size_t)sprintf(d, "%c%d\r\n", resp == 3 ? '>' : '*', pat ? 4 : 3);
    at += put_bulk(d + at, kind, klen);
    if (pat) at += put_bulk(d + at, pat, patlen);
    at += put_bulk(d + at, ch, chlen);
    at += put_bulk(d + at, msg, msglen);
    m->len = at;
    return m;
}
