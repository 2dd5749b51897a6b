/* queue.c — delayed and reliable job queue structure (see queue.h).
 *
 * Design notes.  Every job is in exactly one of four ordered indexes, so a
 * job needs one set of skiplist forward pointers, allocated with the job
 * (flexible array member).  A skiplist rather than a heap because listings
 * (QLIST) walk a state in order and resume from a position, and because
 * any job can leave its index at any time (ack, delete, nack) in
 * O(log n).  Keys are (k0, k1, seq) triples computed from the job's
 * fields for its state (q_job_pos); seq makes them unique, so a job is
 * found again for unlinking by searching its own key.
 *
 * The TTL heap holds only jobs with a deadline that are not dead; each
 * such job records its heap position (ttl_pos) so it can leave the heap
 * in O(log n) when acked or buried.  A job without a TTL costs the timer
 * nothing: delays and leases are the delayed and leased indexes.
 *
 * Cost per job.  A plain job is one allocation: 96 bytes of fields,
 * skiplist links, then the ID and payload bytes each behind an sbuf header
 * (found from the level, not stored), so the sbuf views work unchanged.
 * A generated ID equal to "<enq_ms>-<seq>" of the job's own fields is not
 * stored at all (genid): q_jid writes it, lookups compare its two numbers.
 * What few jobs have lives in an optional side allocation (qjob_ext: max
 * attempts, backoff, TTL and its heap position, error text); the lease end
 * and the time of death share one field, read by state.  The ID table is
 * chained through the jobs and stores each ID's hash (32 bits), so growing
 * it rehashes no bytes.  It grows four
 * times over at one job per bucket and halves below one per sixteen, all
 * at once (O(n) then, amortised O(1)).
 *
 * Most jobs carry a generated ID, "<ms>-<seq>" with their own seq, and
 * seqs are handed out in order: such jobs skip the hash table.  A ring of
 * pointers indexed by seq (the seq window, [wbase, whi)) finds them: an
 * enqueue writes the next slot (no hashing, no random access), a lookup
 * parses the seq from the ID and checks one slot.  The window stays dense:
 * it doubles while at least half full, and when a job stays far behind
 * the others (a dead job, a long delay) it moves to the hash table rather
 * than stretch the window; it halves when mostly empty.  Each index keeps its last node per level,
 * so the common moves are O(level), with no search: a push appends to the
 * waiting index (its key, (priority, now, seq), sorts after every
 * same-priority job that is waiting), a fetch takes the head, and a lease
 * of the usual length appends to the leased index.  A job also links back
 * to its predecessor at the bottom level, so one that is only there (3 in
 * 4) leaves from anywhere in O(1): most acks, even out of order.  Anything
 * else (other removals, retries, promotions behind later jobs) searches,
 * O(log n).
 */
#include "queue.h"
#include "alloc.h"
#include "dict.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct qindex {
    qjob *head[Q_MAX_LEVEL];
    qjob *tail[Q_MAX_LEVEL];      /* last node per level, NULL when empty */
    int level;
    size_t count;
} qindex;

#define Q_HT_MIN 8

#define Q_WIN_MIN 64

struct queue {
    qjob **ht;                    /* ID table: chained through qjob.hnext */
    size_t htsize, hcount;        /* buckets (a power of two, or 0), jobs in it */
    size_t njobs;                 /* jobs */
    qjob **win;                   /* seq window: win[seq & (wcap - 1)] */
    size_t wcap, wcount;          /* slots (a power of two, or 0), jobs in it */
    uint64_t wbase, whi;          /* its seqs are in [wbase, whi); win[wbase] is a job if wcount */
    qindex idx[QS_NSTATES];
    qjob **ttl;                   /* min-heap by deadline */
    size_t nttl, capttl;
    uint64_t next_seq;
    uint64_t next_token;          /* lease tokens */
    uint64_t rng;                 /* skiplist levels only */
    size_t bytes;                 /* job allocations, for q_mem */
    q_counters st;
};


/* ---- keys and comparisons --------------------------------------------- */

void q_job_pos(const qjob *j, q_pos *p)
{
    p->seq = j->seq;
    p->k1 = 0;
    switch (j->state) {
    case QS_WAITING: p->k0 = j->priority; p->k1 = j->due; break;
    case QS_DELAYED: p->k0 = j->due; break;
    default: p->k0 = j->until; break;     /* leased: lease end; dead: dead at */
    }
}

/* cmp orders positions in a state's index: waiting by priority
 * descending, everything else ascending. */
static int cmp(int state, const q_pos *a, const q_pos *b)
{
    if (a->k0 != b->k0) {
        int lt = a->k0 < b->k0;
        if (state == QS_WAITING) lt = !lt;
        return lt ? -1 : 1;
    }
    if (a->k1 != b->k1) return a->k1 < b->k1 ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}

/* ---- the skiplist ----------------------------------------------------- */

static int random_level(queue *q)
{
    int lvl = 1;
    for (;;) {
        q->rng ^= q->rng << 13;
        q->rng ^= q->rng >> 7;
        q->rng ^= q->rng << 17;
        if ((q->rng & 3) != 0 || lvl >= Q_MAX_LEVEL) break;
        lvl++;
    }
    return lvl;
}

/* find_preds fills upd[] with, per level, the last node (NULL: the head)
 * whose position is before p. */
static void find_preds(const qindex *x, int state, const q_pos *p, qjob **upd)
{
    qjob *cur = NULL;
    for (int l = x->level - 1; l >= 0; l--) {
        for (;;) {
            qjob *n = cur ? cur->next[l] : x->head[l];
            if (!n) break;
            q_pos np;
            q_job_pos(n, &np);
            if (cmp(state, &np, p) >= 0) break;
            cur = n;
        }
        upd[l] = cur;
    }
}

static void idx_insert(queue *q, qjob *j)
{
    qindex *x = &q->idx[j->state];
    qjob *upd[Q_MAX_LEVEL];
    q_pos p;
    q_job_pos(j, &p);
    qjob *last = x->tail[0];
    q_pos lp;
    if (last) q_job_pos(last, &lp);
    if (!last || cmp(j->state, &lp, &p) < 0) {
        /* after everything: the tails are the predecessors (fast path) */
        for (int l = 0; l < x->level; l++) upd[l] = x->tail[l];
    } else {
        find_preds(x, j->state, &p, upd);
    }
    for (int l = x->level; l < j->level; l++) upd[l] = NULL;
    if (j->level > x->level) x->level = j->level;
    for (int l = 0; l < j->level; l++) {
        qjob **link = upd[l] ? &upd[l]->next[l] : &x->head[l];
        j->next[l] = *link;
        *link = j;
        if (!j->next[l]) x->tail[l] = j;
    }
    j->prev = upd[0];
    if (j->next[0]) j->next[0]->prev = j;
    x->count++;
}

static void idx_remove(queue *q, qjob *j)
{
    qindex *x = &q->idx[j->state];
    qjob *upd[Q_MAX_LEVEL];
    if (x->head[0] == j) {
        /* the first job: first at every level it has (fast path) */
        for (int l = 0; l < j->level; l++) upd[l] = NULL;
    } else if (j->level == 1) {
        /* in the bottom level only (3 jobs in 4): its back pointer */
        upd[0] = j->prev;
    } else {
        q_pos p;
        q_job_pos(j, &p);
        find_preds(x, j->state, &p, upd);
    }
    if (j->next[0]) j->next[0]->prev = j->prev;
    j->prev = NULL;
    for (int l = 0; l < j->level; l++) {
        qjob **link = upd[l] ? &upd[l]->next[l] : &x->head[l];
        if (*link == j) *link = j->next[l];
        if (x->tail[l] == j) x->tail[l] = upd[l];
        j->next[l] = NULL;
    }
    while (x->level > 0 && !x->head[x->level - 1]) x->level--;
    x->count--;
}

/* ---- the ID table ----------------------------------------------------- */

static void ht_resize(queue *q, size_t size)
{
    qjob **t = xcalloc(size, sizeof *t);
    for (size_t i = 0; i < q->htsize; i++) {
        qjob *j = q->ht[i];
        while (j) {
            qjob *n = j->hnext;
            size_t b = j->hash & (size - 1);
            j->hnext = t[b];
            t[b] = j;
            j = n;
        }
    }
    xfree(q->ht);
    q->ht = t;
    q->htsize = size;
}

static void ht_add(queue *q, qjob *j)
{
    /* x4: a job is rehashed a third of a time on average, not once */
    if (q->hcount >= q->htsize) ht_resize(q, q->htsize ? q->htsize * 4 : Q_HT_MIN);
    size_t b = j->hash & (q->htsize - 1);
    j->hnext = q->ht[b];
    q->ht[b] = j;
    q->hcount++;
}

static void ht_del(queue *q, qjob *j)
{
    qjob **link = &q->ht[j->hash & (q->htsize - 1)];
    while (*link != j) link = &(*link)->hnext;
    *link = j->hnext;
    q->hcount--;
    if (q->htsize > Q_HT_MIN && q->hcount * 16 < q->htsize) ht_resize(q, q->htsize / 2);
}

/* ---- the seq window ----------------------------------------------------- */

/* gen_seq: the seq of a generated-looking ID ("<digits>-<digits>", the
 * second without a leading zero), or 0. */
static uint64_t gen_seq(const char *id, size_t len)
{
    size_t i = 0;
    while (i < len && id[i] >= '0' && id[i] <= '9') i++;
    if (i == 0 || i + 1 >= len || id[i] != '-' || id[i + 1] == '0' || len - i - 1 > 19) return 0;
    uint64_t v = 0;
    for (i++; i < len; i++) {
        if (id[i] < '0' || id[i] > '9') return 0;
        v = v * 10 + (uint64_t)(id[i] - '0');
    }
    return v;
}

/* ms_is: the digits before the '-' of a generated-looking ID are ms,
 * written as ll_str writes it (no leading zero). */
static int ms_is(const char *id, long long ms)
{
    if (ms <= 0 || id[0] == '0') return 0;
    uint64_t v = 0;
    for (size_t i = 0; id[i] != '-'; i++) {
        if (i == 19) return 0;
        v = v * 10 + (uint64_t)(id[i] - '0');
    }
    return v == (uint64_t)ms;
}

/* is_derived: id is "<enq>-<seq>", exactly as q_jid would format it. */
static int is_derived(const char *id, size_t len, long long enq, uint64_t seq)
{
    return seq && gen_seq(id, len) == seq && ms_is(id, enq);
}

size_t q_u64_str(char *p, uint64_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    size_t n = 1;
    for (uint64_t t = v; t >= 10; t /= 10) n++;
    char *e = p + n;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--e = pairs[d + 1];
        *--e = pairs[d];
    }
    if (v >= 10) {
        unsigned d = (unsigned)v * 2;
        *--e = pairs[d + 1];
        *--e = pairs[d];
    } else {
        *--e = (char)('0' + v);
    }
    return n;
}

const char *q_jid(const qjob *j, q_idbuf *buf, size_t *len)
{
    if (!j->genid) {
        sbuf id = q_stored_id(j);
        *len = sbuf_len(id);
        return id;
    }
    size_t n = q_u64_str(buf->b, (uint64_t)j->enq_ms);
    buf->b[n++] = '-';
    n += q_u64_str(buf->b + n, j->seq);
    buf->b[n] = '\0';
    *len = n;
    return buf->b;
}

/* id_is: j's ID is id[0..len). */
static int id_is(const qjob *j, const char *id, size_t len)
{
    if (j->genid) return is_derived(id, len, j->enq_ms, j->seq);
    sbuf s = q_stored_id(j);
    return sbuf_len(s) == len && !memcmp(s, id, len);
}

static void win_resize(queue *q, size_t cap)
{
    qjob **w = xcalloc(cap, sizeof *w);
    for (uint64_t n = q->wbase; n < q->whi; n++) {
        qjob *j = q->win[n & (q->wcap - 1)];
        if (j) w[n & (cap - 1)] = j;
    }
    xfree(q->win);
    q->win = w;
    q->wcap = cap;
}

/* win_advance moves wbase to the oldest job in the window. */
static void win_advance(queue *q)
{
    if (!q->wcount) {
        q->wbase = q->whi;
        return;
    }
    while (!q->win[q->wbase & (q->wcap - 1)]) q->wbase++;
}

/* win_evict_oldest moves the window's oldest job to the hash table. */
static void win_evict_oldest(queue *q)
{
    qjob *j = q->win[q->wbase & (q->wcap - 1)];
    q->win[q->wbase & (q->wcap - 1)] = NULL;
    q->wcount--;
    j->inwin = 0;
    q_idbuf b;
    size_t len;
    const char *id = q_jid(j, &b, &len);
    j->hash = (uint32_t)dict_hash_bytes(id, len);
    ht_add(q, j);
    win_advance(q);
}

/* win_add puts j (seq at or above every seq in the window) in the window. */
static void win_add(queue *q, qjob *j)
{
    if (!q->wcount) q->wbase = q->whi = j->seq;
    while (j->seq - q->wbase >= q->wcap) {
        if (!q->wcap) {
            win_resize(q, Q_WIN_MIN);
        } else if (q->wcount * 2 >= q->wcap && j->seq - q->wbase < 2 * q->wcap) {
            win_resize(q, q->wcap * 2);        /* dense: grow */
        } else {
            win_evict_oldest(q);               /* sparse, or a jump: the laggard goes */
            if (!q->wcount) q->wbase = q->whi = j->seq;
        }
    }
    q->win[j->seq & (q->wcap - 1)] = j;
    q->wcount++;
    q->whi = j->seq + 1;
    j->inwin = 1;
}

static void win_del(queue *q, qjob *j)
{
    q->win[j->seq & (q->wcap - 1)] = NULL;
    q->wcount--;
    j->inwin = 0;
    if (j->seq == q->wbase) win_advance(q);
    if (q->wcap > Q_WIN_MIN && q->wcount * 8 < q->wcap && q->whi - q->wbase <= q->wcap / 2)
        win_resize(q, q->wcap / 2);
}

qjob *q_find_len(const queue *q, const char *id, size_t len)
{
    if (q->wcount) {
        uint64_t n = gen_seq(id, len);
        if (n >= q->wbase && n < q->whi) {
            qjob *j = q->win[n & (q->wcap - 1)];
            /* the slot holds seq n's job: a genid one only needs its ms checked */
            if (j && (j->genid ? ms_is(id, j->enq_ms) : id_is(j, id, len))) return j;
        }
    }
    if (!q->hcount) return NULL;
    uint32_t h = (uint32_t)dict_hash_bytes(id, len);
    for (qjob *j = q->ht[h & (q->htsize - 1)]; j; j = j->hnext)
        if (j->hash == h && id_is(j, id, len)) return j;
    return NULL;
}

qjob *q_find(const queue *q, const char *id) { return q_find_len(q, id, sbuf_len(id)); }

/* ---- the TTL heap ----------------------------------------------------- */

static void ttl_swap(queue *q, size_t a, size_t b)
{
    qjob *t = q->ttl[a];
    q->ttl[a] = q->ttl[b];
    q->ttl[b] = t;
    q->ttl[a]->ext->ttl_pos = a;
    q->ttl[b]->ext->ttl_pos = b;
}

static void ttl_up(queue *q, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (q->ttl[p]->ext->deadline <= q->ttl[i]->ext->deadline) break;
        ttl_swap(q, p, i);
        i = p;
    }
}

static void ttl_down(queue *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->nttl && q->ttl[l]->ext->deadline < q->ttl[m]->ext->deadline) m = l;
        if (r < q->nttl && q->ttl[r]->ext->deadline < q->ttl[m]->ext->deadline) m = r;
        if (m == i) break;
        ttl_swap(q, i, m);
        i = m;
    }
}

static void ttl_add(queue *q, qjob *j)
{
    qjob_ext *e = j->ext;
    if (!e || !e->deadline || e->ttl_pos != Q_NOPOS) return;
    if (q->nttl == q->capttl) {
        q->capttl = q->capttl ? q->capttl * 2 : 8;
        q->ttl = xrealloc(q->ttl, q->capttl * sizeof *q->ttl);
    }
    e->ttl_pos = q->nttl;
    q->ttl[q->nttl++] = j;
    ttl_up(q, e->ttl_pos);
}

static void ttl_del(queue *q, qjob *j)
{
    if (!j->ext || j->ext->ttl_pos == Q_NOPOS) return;
    size_t i = j->ext->ttl_pos;
    j->ext->ttl_pos = Q_NOPOS;
    q->nttl--;
    if (i == q->nttl) return;
    q->ttl[i] = q->ttl[q->nttl];
    q->ttl[i]->ext->ttl_pos = i;
    ttl_down(q, i);
    ttl_up(q, i);
}

/* ---- life cycle ------------------------------------------------------- */

#define Q_DEFAULT_BBASE 1000
#define Q_DEFAULT_BMAX 300000

const qjob_ext q_ext_default = {.bkind = QB_EXP, .bbase = Q_DEFAULT_BBASE, .bmax = Q_DEFAULT_BMAX, .ttl_pos = Q_NOPOS};

void q_opts_default(qjob_opts *o, long long now)
{
    memset(o, 0, sizeof *o);
    o->due = now;
    o->bkind = QB_EXP;
    o->bbase = Q_DEFAULT_BBASE;
    o->bmax = Q_DEFAULT_BMAX;
}

queue *q_new(void)
{
    queue *q = xcalloc(1, sizeof *q);
    q->next_seq = 1;
    q->next_token = 1;
    q->rng = 0x9e3779b97f4a7c15ULL;
    return q;
}

/* A job's allocation: the struct with its links, then each of ID and
 * payload as [sbuf header][bytes][NUL], headers 4-byte aligned
 * (q_sbuf_part; q_stored_id and q_payload find them from the level); a
 * genid job has no ID part. */
static size_t job_alloc_size(int level, int genid, size_t idlen, size_t plen)
{
    return sizeof(qjob) + (size_t)level * sizeof(qjob *) + (genid ? 0 : q_sbuf_part(idlen)) + q_sbuf_part(plen);
}

static size_t job_bytes(const qjob *j)
{
    size_t n = job_alloc_size(j->level, j->genid, j->genid ? 0 : sbuf_len(q_stored_id(j)), sbuf_len(q_payload(j)));
    if (j->ext) n += sizeof *j->ext + (j->ext->error ? sbuf_alloc_size(j->ext->error) : 0);
    return n;
}

static void job_free(queue *q, qjob *j)
{
    q->bytes -= job_bytes(j);
    if (j->ext) {
        if (j->ext->error) sbuf_free(j->ext->error);
        xfree(j->ext);
    }
    xfree(j);
}

/* ext_new: j's side allocation, made (with the defaults) if it has none;
 * for a job not yet linked (q->bytes counts it at job_link). */
static qjob_ext *ext_new(qjob *j)
{
    if (!j->ext) {
        j->ext = xmalloc(sizeof *j->ext);
        *j->ext = q_ext_default;
    }
    return j->ext;
}

/* ext_get: the same for a linked job, counted in q->bytes. */
static qjob_ext *ext_get(queue *q, qjob *j)
{
    if (!j->ext) q->bytes += sizeof *j->ext;
    return ext_new(j);
}

/* set_opts gives a new job its options: a side allocation only when one
 * differs from the defaults. */
static void set_opts(qjob *j, long long maxattempts, int bkind, int jitter, long long bbase, long long bmax,
                     long long deadline)
{
    if (!maxattempts && bkind == QB_EXP && !jitter && bbase == Q_DEFAULT_BBASE && bmax == Q_DEFAULT_BMAX &&
        !deadline)
        return;
    qjob_ext *e = ext_new(j);
    e->maxattempts = maxattempts;
    e->bkind = bkind;
    e->jitter = jitter;
    e->bbase = bbase;
    e->bmax = bmax;
    e->deadline = deadline;
}

void q_free(queue *q)
{
    if (!q) return;
    for (int s = 0; s < QS_NSTATES; s++) {
        qjob *j = q->idx[s].head[0];
        while (j) {
            qjob *n = j->next[0];
            job_free(q, j);
            j = n;
        }
    }
    xfree(q->ht);
    xfree(q->win);
    xfree(q->ttl);
    xfree(q);
}

size_t q_mem(const queue *q)
{
    return sizeof *q + q->bytes + (q->htsize + q->wcap + q->capttl) * sizeof(qjob *);
}

size_t q_len(const queue *q) { return q->njobs; }
size_t q_count(const queue *q, int state) { return q->idx[state].count; }
q_counters *q_stats(queue *q) { return &q->st; }
const q_counters *q_stats_const(const queue *q) { return &q->st; }
uint64_t q_next_seq(const queue *q) { return q->next_seq; }
void q_set_next_seq(queue *q, uint64_t seq) { q->next_seq = seq; }

/* sbuf_lay lays out [header][bytes][NUL] at p. */
static void sbuf_lay(char *p, const void *bytes, size_t len)
{
    struct sbuf_hdr *h = (struct sbuf_hdr *)(void *)p;
    h->len = (uint32_t)len;
    h->cap = (uint32_t)len;
    char *s = p + sizeof *h;
    if (len) memcpy(s, bytes, len);
    s[len] = '\0';
}

/* job_new allocates a job holding copies of id/payload, not yet indexed;
 * inwin: it will be found through the seq window (no hash needed); genid:
 * the ID is "<enq_ms>-<seq>" of the fields the caller sets (not stored). */
static qjob *job_new(queue *q, const char *id, size_t idlen, const void *payload, size_t plen, int inwin,
                     int genid)
{
    /* The ID's bucket is likely a cache miss in a big queue: start loading
     * it now, while the job is allocated and filled in. */
    uint32_t hash = 0;
    if (!inwin) {
        hash = (uint32_t)dict_hash_bytes(id, idlen);
        if (q->htsize) __builtin_prefetch(&q->ht[hash & (q->htsize - 1)], 1);
    }
    int level = random_level(q);
    size_t links = (size_t)level * sizeof(qjob *);
    qjob *j = xmalloc(job_alloc_size(level, genid, idlen, plen));
    memset(j, 0, sizeof *j + links);
    j->level = (uint8_t)level;
    j->inwin = (uint8_t)inwin;
    j->genid = (uint8_t)genid;
    char *p = (char *)j + sizeof *j + links;
    if (!genid) {
        sbuf_lay(p, id, idlen);
        p += q_sbuf_part(idlen);
    }
    sbuf_lay(p, payload, plen);
    j->hash = hash;
    return j;
}

/* job_link indexes a filled-in job: ID table or seq window, its state's
 * index, TTL heap. */
static void job_link(queue *q, qjob *j)
{
    if (j->inwin) win_add(q, j);
    else ht_add(q, j);
    q->njobs++;
    idx_insert(q, j);
    if (j->state != QS_DEAD) ttl_add(q, j);
    q->bytes += job_bytes(j);
}

qjob *q_add(queue *q, const char *id, size_t idlen, const void *payload, size_t plen, const qjob_opts *o,
            long long now)
{
    /* a generated ID naming this job's seq: the seq window finds it */
    long long enq = o->enq ? o->enq : now;
    q_idbuf b;
    if (!id && enq <= 0) {                 /* not a time q_jid writes: store it */
        size_t n = (size_t)snprintf(b.b, sizeof b.b, "%lld-%llu", enq, (unsigned long long)q->next_seq);
        id = b.b;
        idlen = n;
    }
    int inwin = !id || gen_seq(id, idlen) == q->next_seq;
    qjob *j = job_new(q, id, idlen, payload, plen, inwin, inwin && (!id || ms_is(id, enq)));
    j->seq = q->next_seq++;
    j->priority = o->priority;
    j->due = o->due;
    j->enq_ms = enq;
    set_opts(j, o->maxattempts, o->bkind, o->jitter, o->bbase, o->bmax, o->deadline);
    j->state = o->due > now ? QS_DELAYED : QS_WAITING;
    job_link(q, j);
    q->st.enqueued++;
    return j;
}

void q_fields(const qjob *j, qjob_fields *f)
{
    const qjob_ext *e = q_opt(j);
    f->state = j->state;
    f->seq = j->seq;
    f->priority = j->priority;
    f->due = j->due;
    f->enq_ms = j->enq_ms;
    f->attempt = j->attempt;
    f->maxattempts = e->maxattempts;
    f->bkind = e->bkind;
    f->jitter = e->jitter;
    f->bbase = e->bbase;
    f->bmax = e->bmax;
    f->deadline = e->deadline;
    f->lease_until = q_lease_until(j);
    f->consumer = j->consumer;
    f->lease = j->lease;
    f->dead_at = q_dead_at(j);
}

qjob *q_restore(queue *q, const qjob_fields *t, const char *id, size_t idlen, const void *payload, size_t plen,
                const char *err, size_t errlen)
{
    /* any order: the ID table */
    qjob *j = job_new(q, id, idlen, payload, plen, 0, is_derived(id, idlen, t->enq_ms, t->seq));
    j->seq = t->seq;
    j->state = (uint8_t)t->state;
    j->priority = t->priority;
    j->due = t->due;
    j->enq_ms = t->enq_ms;
    j->attempt = t->attempt;
    set_opts(j, t->maxattempts, t->bkind, t->jitter, t->bbase, t->bmax, t->deadline);
    j->until = t->state == QS_LEASED ? t->lease_until : t->state == QS_DEAD ? t->dead_at : 0;
    j->lease = t->lease;
    j->consumer = t->consumer;
    if (err) ext_new(j)->error = sbuf_new(err, errlen);
    if (j->seq >= q->next_seq) q->next_seq = j->seq + 1;
    if (j->lease >= q->next_token) q->next_token = j->lease + 1;
    job_link(q, j);
    return j;
}

void q_image(const qjob *j, qjob_image *im)
{
    q_fields(j, &im->f);
    im->id = q_jid(j, &im->idbuf, &im->idlen);
    sbuf pl = q_payload(j), err = q_error(j);
    im->payload = pl;
    im->plen = sbuf_len(pl);
    im->err = err;
    im->errlen = err ? sbuf_len(err) : 0;
}

queue *q_dup(const queue *q)
{
    queue *d = q_new();
    d->st = q->st;
    q_iter it;
    q_iter_init(&it, q);
    for (const qjob *j; (j = q_iter_next(&it));) {
        qjob_image im;
        q_image(j, &im);
        q_restore(d, &im.f, im.id, im.idlen, im.payload, im.plen, im.err, im.errlen);
    }
    d->next_seq = q->next_seq;
    d->next_token = q->next_token;
    return d;
}

/* ---- transitions ------------------------------------------------------ */

/* relink indexes j under `state`: callers unlink it first (idx_remove),
 * change the fields its position depends on, then call this. */
static void relink(queue *q, qjob *j, int state)
{
    j->state = state;
    idx_insert(q, j);
}

static void set_error(queue *q, qjob *j, const char *err, size_t errlen)
{
    if (!err) return;
    qjob_ext *e = ext_get(q, j);
    if (e->error) {
        q->bytes -= sbuf_alloc_size(e->error);
        sbuf_free(e->error);
    }
    e->error = sbuf_new(err, errlen);
    q->bytes += sbuf_alloc_size(e->error);
}

size_t q_promote(queue *q, long long now)
{
    size_t n = 0;
    qjob *j;
    while ((j = q->idx[QS_DELAYED].head[0]) && j->due <= now) {
        idx_remove(q, j);
        relink(q, j, QS_WAITING);
        n++;
    }
    return n;
}

qjob *q_first(const queue *q, int state) { return q->idx[state].head[0]; }
qjob *q_next(const qjob *j) { return j->next[0]; }
qjob *q_ttl_first(const queue *q) { return q->nttl ? q->ttl[0] : NULL; }

void q_iter_init(q_iter *it, const queue *q)
{
    it->q = q;
    it->state = 0;
    it->next = q->idx[0].head[0];
}

const qjob *q_iter_next(q_iter *it)
{
    while (!it->next && it->state + 1 < QS_NSTATES) it->next = it->q->idx[++it->state].head[0];
    const qjob *j = it->next;
    if (j) it->next = j->next[0];
    return j;
}

uint64_t q_token_next(const queue *q) { return q->next_token; }

void q_lease(queue *q, qjob *j, uint64_t consumer, uint64_t token, long long until)
{
    idx_remove(q, j);
    j->attempt++;
    j->lease = token;
    if (token >= q->next_token) q->next_token = token + 1;
    j->consumer = consumer;
    j->until = until;
    relink(q, j, QS_LEASED);
    q->st.delivered++;
}

void q_extend(queue *q, qjob *j, long long until)
{
    idx_remove(q, j);
    j->until = until;
    relink(q, j, QS_LEASED);
}

void q_retry(queue *q, qjob *j, long long due, long long now, const char *err, size_t errlen)
{
    idx_remove(q, j);
    j->due = due;
    j->until = 0;
    set_error(q, j, err, errlen);
    relink(q, j, due > now ? QS_DELAYED : QS_WAITING);
    q->st.retried++;
}

void q_bury(queue *q, qjob *j, long long now, const char *err, size_t errlen)
{
    idx_remove(q, j);
    ttl_del(q, j);
    j->until = now;
    set_error(q, j, err, errlen);
    relink(q, j, QS_DEAD);
    q->st.deadlettered++;
}

void q_requeue(queue *q, qjob *j, long long due, long long now)
{
    idx_remove(q, j);
    j->attempt = 0;
    j->until = 0;
    j->due = due;
    relink(q, j, due > now ? QS_DELAYED : QS_WAITING);
    ttl_add(q, j);
}

void q_remove(queue *q, qjob *j, int reason)
{
    idx_remove(q, j);
    ttl_del(q, j);
    if (j->inwin) win_del(q, j);
    else ht_del(q, j);
    q->njobs--;
    job_free(q, j);
    if (reason == QR_ACKED) q->st.acked++;
    else if (reason == QR_EXPIRED) q->st.expired++;
    else q->st.deleted++;
}

int q_exhausted(const qjob *j)
{
    long long max = q_opt(j)->maxattempts;
    return max > 0 && j->attempt >= max;
}

long long q_backoff(const qjob *j, uint64_t rnd)
{
    const qjob_ext *e = q_opt(j);
    long long d = e->bbase < 0 ? 0 : e->bbase;
    long long cap = Q_BACKOFF_LIMIT;
    if (e->bmax > 0 && e->bmax < cap) cap = e->bmax;
    if (e->bkind == QB_EXP && d > 0) {
        for (long long n = 1; n < j->attempt && d < cap; n++) d = d > cap / 2 ? cap : d * 2;
    }
    if (d > cap) d = cap;
    if (e->jitter && d > 0) d -= (long long)(rnd % (uint64_t)(d / 2 + 1));
    return d;
}

long long q_next_event(const queue *q)
{
    long long t = LLONG_MAX;
    qjob *j;
    if ((j = q->idx[QS_DELAYED].head[0]) && j->due < t) t = j->due;
    if ((j = q->idx[QS_LEASED].head[0]) && j->until < t) t = j->until;
    if (q->nttl && q->ttl[0]->ext->deadline < t) t = q->ttl[0]->ext->deadline;
    return t;
}

long long q_oldest_waiting_due(const queue *q)
{
    long long best = LLONG_MAX;
    qjob *j = q->idx[QS_WAITING].head[0];
    while (j) {
        if (j->due < best) best = j->due;   /* the oldest of this priority */
        if (j->priority == LLONG_MIN) break;
        q_pos p = {.k0 = j->priority - 1, .k1 = LLONG_MIN, .seq = 0};
        j = q_seek(q, QS_WAITING, &p);
    }
    return best;
}

qjob *q_seek(const queue *q, int state, const q_pos *p)
{
    qjob *upd[Q_MAX_LEVEL];
    const qindex *x = &q->idx[state];
    if (!x->level) return NULL;
    find_preds(x, state, p, upd);
    return upd[0] ? upd[0]->next[0] : x->head[0];
}

static const char *const state_names[QS_NSTATES] = {"waiting", "delayed", "leased", "dead"};

const char *q_state_name(int state) { return state >= 0 && state < QS_NSTATES ? state_names[state] : "?"; }

int q_state_parse(const char *s)
{
    for (int i = 0; i < QS_NSTATES; i++)
        if (!strcasecmp(s, state_names[i])) return i;
    return -1;
}
