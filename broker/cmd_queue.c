/* cmd_queue.c — delayed and reliable job queues: QPUSH QPUSHMANY QFETCH QACK QNACK
 * QEXTEND QINFO QJOB QLIST QREQUEUE QDEL, the internal replay commands
 * QLEASE QRENEW QRETRY QBURY QFINISH QDROP QRESTORE QMETA, the queue
 * object type, the server-wide timer and the INFO section.
 *
 * The structure is broker/types/queue.c; docs/queues.md is the reference.
 *
 * Design notes.
 *
 *  - The value of a queue key is a qobj: the pure queue plus what the
 *    server keeps about it (the key it was last seen under, its place in
 *    the registry and in the timer heap).
 *
 *  - The registry (s->queues) lists every live queue object without
 *    holding a reference (OBJECT REFCOUNT says 1, as for any value): a
 *    queue leaves the registry when it is freed.  Freed on the core thread
 *    (DEL, overwrite, FLUSHALL), it leaves at once.  Freed on the lazy-free
 *    thread (UNLINK, FLUSHALL ASYNC), it frees its jobs there and hands its
 *    small shell to the registry's orphan list under orphan_lock; the core
 *    thread unlinks and frees shells at its next look (a queue command that
 *    registers, the timer, INFO).  The core thread reads a registered
 *    queue's jobs only when it found the queue in the keyspace, or under
 *    orphan_lock (INFO), so it never reads jobs being freed.
 *
 *  - One libevent timer serves every queue: a min-heap of queues by their
 *    next event (a delayed job falls due, a lease ends, a TTL passes,
 *    q_next_event) and the timer armed for the top.  Nothing is armed
 *    while nothing is due.  Every command on a queue first applies what
 *    time has made happen (queue_tick), then updates the heap.
 *
 *  - The timer needs the key to log effects and wake fetchers: a qobj
 *    remembers its db and key, refreshed by every command on it.  A queue
 *    moved without us (RENAME, MOVE, COPY's new value) is found again by a
 *    walk over the keyspace the first time its timer fires.
 *
 *  - Blocked fetchers are served at the end of the event-loop iteration
 *    (queue_flush_wakes, from the server's before-sleep hook), not after
 *    each command that made a job waiting: a producer's pipeline of 64
 *    QPUSHes then hands each blocked worker up to COUNT jobs in one reply
 *    instead of one job per push and a round trip per job.  WATCH is still
 *    invalidated at once.  Blocked fetchers keep their FIFO order; a
 *    non-blocking QFETCH run in the same iteration may take jobs first.
 *
 *  - Effects.  Every queue write suppresses its own argv and logs what it
 *    did in a form that replays identically: QPUSH with the chosen ID and
 *    absolute times, one QLEASE per fetched job naming the consumer,
 *    the lease end and the lease token, QFINISH for acks, QRETRY / QBURY with absolute times
 *    for nacks and expired leases, QRENEW for extends, QDROP for TTL
 *    drops.  A delayed job falling due is not logged: whether it waits is
 *    a function of its due time alone.  While loading, nothing ticks
 *    (the log holds every transition).
 *
 *  - A lease belongs to the job, not to a connection: QACK, QNACK and
 *    QEXTEND from any connection act on a job whose lease has not ended
 *    (workers use connection pools).  Each fetch takes a lease token per
 *    queue (all its jobs from that queue share it); given `LEASE token`,
 *    those commands act only if the job's current lease has that token, so
 *    a worker whose lease ended cannot touch the job's next lease.  Tokens
 *    are logged (QLEASE) and snapshotted, so they survive a restart and a
 *    worker can finish its job after one.
 */
#include "cmd_queue.h"
#include "queue.h"
#include "commands.h"
#include "server.h"
#include "effect.h"
#include "blocking.h"
#include "multi.h"
#include "alloc.h"

#include <event2/event.h>
#include <ctype.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_MS (1LL << 46)                /* ~2200 years: any duration or time */
#define DEFAULT_LEASE_MS 30000
#define DEFAULT_LIST_COUNT 10
#define LEASE_EXPIRED_TEXT "lease expired"

typedef struct qobj {
    queue *q;
    obj *o;                 /* the object this is the value of */
    struct qreg *reg;
    size_t reg_pos;         /* in reg->all */
    size_t heap_pos;        /* in reg->heap, or Q_NOPOS */
    long long when;         /* its heap key: q_next_event */
    int dbid;
    sbuf key;               /* last known key, or NULL */
    int gen_like_ids;       /* a producer gave an ID shaped like generated ones */
    long long gen_ms;       /* the ms gen_pfx holds, or 0 */
    char gen_pfx[24];       /* "<gen_ms>-": generated IDs' prefix, made once per ms */
    size_t gen_plen;
    struct qobj *orphan_next;   /* on reg->orphans: freed off the core thread */
    int wake_pending;       /* on reg->wakes */
} qobj;

typedef struct qreg {
    server *s;
    struct event *timer;
    long long armed;        /* the when the timer is armed for, or 0 */
    qobj **all;
    size_t nall, capall;
    qobj *orphans;          /* freed elsewhere, to unlink (under orphan_lock) */
    pthread_t main;         /* the core thread */
    qobj **heap;
    size_t nheap, capheap;
    qobj **wakes;           /* queues whose blocked fetchers to serve before sleep */
    size_t nwakes, capwakes;
    uint64_t rng;
    int freeing;
} qreg;

/* ---- the registry and its timer ---------------------------------------- */

static void on_timer(evutil_socket_t fd, short what, void *arg);
static int looks_generated(const char *id);
static void qobj_destroy(qobj *x);
static void wake(server *s, db *d, const char *key, qobj *x);

/* orphan_lock orders a lazy-free thread's qobj_free with the core thread's
 * registry walks and teardown (see the design notes). */
static pthread_mutex_t orphan_lock = PTHREAD_MUTEX_INITIALIZER;

static qreg *reg_get(server *s)
{
    if (!s->queues) {
        qreg *r = xcalloc(1, sizeof *r);
        r->s = s;
        r->timer = evtimer_new(s->base, on_timer, r);
        r->rng = (uint64_t)ustime_now() | 1;
        r->main = pthread_self();
        s->queues = r;
    }
    return s->queues;
}

static uint64_t reg_rand(qreg *r)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return r->rng;
}

static int heap_less(qreg *r, size_t a, size_t b) { return r->heap[a]->when < r->heap[b]->when; }

static void heap_swap(qreg *r, size_t a, size_t b)
{
    qobj *t = r->heap[a];
    r->heap[a] = r->heap[b];
    r->heap[b] = t;
    r->heap[a]->heap_pos = a;
    r->heap[b]->heap_pos = b;
}

static void heap_fix(qreg *r, size_t i)
{
    while (i > 0 && heap_less(r, i, (i - 1) / 2)) {
        heap_swap(r, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < r->nheap && heap_less(r, l, m)) m = l;
        if (l + 1 < r->nheap && heap_less(r, l + 1, m)) m = l + 1;
        if (m == i) break;
        heap_swap(r, i, m);
        i = m;
    }
}

static void heap_del(qreg *r, qobj *x)
{
    size_t i = x->heap_pos;
    if (i == Q_NOPOS) return;
    x->heap_pos = Q_NOPOS;
    r->nheap--;
    if (i == r->nheap) return;
    r->heap[i] = r->heap[r->nheap];
    r->heap[i]->heap_pos = i;
    heap_fix(r, i);
}

/* arm points the timer at the heap's top (or stops it).  A timer armed
 * for earlier than the top stays: it fires early, finds nothing due and
 * re-arms, once; re-arming at every ack that moves the earliest lease end
 * later would cost a timer update per command. */
static void arm(qreg *r)
{
    if (!r->nheap) {
        if (r->armed) evtimer_del(r->timer);
        r->armed = 0;
        return;
    }
    long long when = r->heap[0]->when;
    if (r->armed && r->armed <= when) return;
    long long us = when * 1000 - ustime_now();
    if (us < 0) us = 0;
    struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
    evtimer_add(r->timer, &tv);
    r->armed = when;
}

/* reg_update puts x in the heap at its queue's next event (or out of it). */
static void reg_update(qobj *x)
{
    qreg *r = x->reg;
    if (!r || r->freeing) return;
    x->when = q_next_event(x->q);
    if (x->when == LLONG_MAX) {
        heap_del(r, x);
    } else if (x->heap_pos == Q_NOPOS) {
        if (r->nheap == r->capheap) {
            r->capheap = r->capheap ? r->capheap * 2 : 16;
            r->heap = xrealloc(r->heap, r->capheap * sizeof *r->heap);
        }
        x->heap_pos = r->nheap;
        r->heap[r->nheap++] = x;
        heap_fix(r, x->heap_pos);
    } else {
        heap_fix(r, x->heap_pos);
    }
    arm(r);
}

/* reg_release takes x out of the registry (x is being freed). */
static void reg_release(qreg *r, qobj *x)
{
    heap_del(r, x);
    for (size_t i = 0; x->wake_pending && i < r->nwakes; i++)
        if (r->wakes[i] == x) {
            r->wakes[i] = r->wakes[--r->nwakes];
            x->wake_pending = 0;
        }
    size_t i = x->reg_pos;
    r->all[i] = r->all[--r->nall];
    r->all[i]->reg_pos = i;
    x->reg = NULL;
    if (!r->freeing) arm(r);
}

/* reap unlinks and frees the shells of queues freed off the core thread. */
static void reap(qreg *r)
{
    pthread_mutex_lock(&orphan_lock);
    qobj *x = r->orphans;
    r->orphans = NULL;
    pthread_mutex_unlock(&orphan_lock);
    while (x) {
        qobj *n = x->orphan_next;
        reg_release(r, x);
        qobj_destroy(x);
        x = n;
    }
}

static void reg_add(qreg *r, qobj *x)
{
    reap(r);
    if (r->nall == r->capall) {
        r->capall = r->capall ? r->capall * 2 : 16;
        r->all = xrealloc(r->all, r->capall * sizeof *r->all);
    }
    x->reg = r;
    x->reg_pos = r->nall;
    r->all[r->nall++] = x;
    reg_update(x);
}

void queue_server_free(server *s)
{
    qreg *r = s->queues;
    if (!r) return;
    r->freeing = 1;
    if (r->timer) event_free(r->timer);
    pthread_mutex_lock(&orphan_lock);
    for (qobj *x = r->orphans, *n; x; x = n) {
        n = x->orphan_next;
        x->reg = NULL;
        qobj_destroy(x);
    }
    for (size_t i = 0; i < r->nall; i++) r->all[i]->reg = NULL;
    pthread_mutex_unlock(&orphan_lock);
    xfree(r->all);
    xfree(r->heap);
    xfree(r->wakes);
    xfree(r);
    s->queues = NULL;
}

/* ---- the object type ---------------------------------------------------- */

static obj *qobj_new(void)
{
    qobj *x = xcalloc(1, sizeof *x);
    x->q = q_new();
    x->heap_pos = Q_NOPOS;
    x->when = LLONG_MAX;
    x->dbid = -1;
    x->o = obj_new(OBJ_QUEUE, ENC_QUEUE, x);
    return x->o;
}

static void qobj_destroy(qobj *x)
{
    q_free(x->q);
    if (x->key) sbuf_free(x->key);
    xfree(x);
}

/* qobj_free runs on the core thread (DEL, overwrite) or on the lazy-free
 * thread (UNLINK, FLUSHALL ASYNC): see the design notes. */
static void qobj_free(obj *o)
{
    qobj *x = o->ptr;
    pthread_mutex_lock(&orphan_lock);
    qreg *r = x->reg;
    if (r && !pthread_equal(pthread_self(), r->main)) {
        q_free(x->q);                  /* the jobs go now, on this thread */
        x->q = NULL;
        x->orphan_next = r->orphans;
        r->orphans = x;
        pthread_mutex_unlock(&orphan_lock);
        return;
    }
    pthread_mutex_unlock(&orphan_lock);
    if (r) reg_release(r, x);
    qobj_destroy(x);
}

static obj *qobj_dup(const obj *o)
{
    const qobj *src = o->ptr;
    obj *n = qobj_new();
    qobj *x = n->ptr;
    q_free(x->q);
    x->q = q_dup(src->q);
    x->gen_like_ids = src->gen_like_ids;
    if (src->reg) reg_add(src->reg, x);   /* its key is learnt when the timer fires */
    return n;
}

static size_t qobj_mem(const obj *o)
{
    const qobj *x = o->ptr;
    return sizeof *x + q_mem(x->q);
}

static int ll_str(char *buf, long long v) { return ll_to_str(buf, 24, v); }

/* qobj_rewrite (snapshot interface): QMETA with the counters, then one
 * QRESTORE per job with every field, each state in its index order. */
static int qobj_rewrite(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    const qobj *x = o->ptr;
    const q_counters *st = q_stats_const(x->q);
    char nb[9][24];
    const char *av[44];
    size_t lv[44];
    int n = 0;
#define PUT(p, l) (av[n] = (p), lv[n] = (l), n++)
#define PUTS(s) PUT(s, strlen(s))
#define PUTN(b, v) PUT(b, (size_t)ll_str(b, (v)))
    PUTS("QMETA");
    PUT(key, klen);
    PUTS("NEXTSEQ"); PUTN(nb[0], (long long)q_next_seq(x->q));
    PUTS("ENQUEUED"); PUTN(nb[1], st->enqueued);
    PUTS("ACKED"); PUTN(nb[2], st->acked);
    PUTS("RETRIED"); PUTN(nb[3], st->retried);
    PUTS("DEADLETTERED"); PUTN(nb[4], st->deadlettered);
    PUTS("EXPIRED"); PUTN(nb[5], st->expired);
    PUTS("DELETED"); PUTN(nb[6], st->deleted);
    PUTS("DELIVERED"); PUTN(nb[7], st->delivered);
    if (emit(priv, n, av, lv) != 0) return -1;
    char jb[14][24];
    q_iter it;
    q_iter_init(&it, x->q);
    for (const qjob *j; (j = q_iter_next(&it));) {
        qjob_image im;
        q_image(j, &im);
        const qjob_fields *f = &im.f;
        n = 0;
        PUTS("QRESTORE");
        PUT(key, klen);
        PUT(im.id, im.idlen);
        PUT(im.payload, im.plen);
        PUTS("STATE"); PUTS(q_state_name(f->state));
        PUTS("SEQ"); PUTN(jb[0], (long long)f->seq);
        PUTS("PRIORITY"); PUTN(jb[1], f->priority);
        PUTS("DUE"); PUTN(jb[2], f->due);
        PUTS("ENQ"); PUTN(jb[3], f->enq_ms);
        PUTS("ATTEMPT"); PUTN(jb[4], f->attempt);
        PUTS("MAXATTEMPTS"); PUTN(jb[5], f->maxattempts);
        PUTS("BACKOFF"); PUTS(f->bkind == QB_EXP ? "EXP" : "FIXED");
        PUTN(jb[6], f->bbase);
        PUTN(jb[7], f->bmax);
        PUTN(jb[8], f->jitter);
        PUTS("DEADLINE"); PUTN(jb[9], f->deadline);
        PUTS("LEASE"); PUTN(jb[10], f->lease_until);
        PUTN(jb[11], (long long)f->consumer);
        PUTS("DEADAT"); PUTN(jb[12], f->dead_at);
        if (f->lease) {
            PUTS("TOKEN"); PUTN(jb[13], (long long)f->lease);
        }
        if (im.err) {
            PUTS("ERROR");
            PUT(im.err, im.errlen);
        }
        if (emit(priv, n, av, lv) != 0) return -1;
    }
#undef PUT
#undef PUTS
#undef PUTN
    return 0;
}

const obj_type queue_obj_type = {
    .name = "queue", .free = qobj_free, .dup = qobj_dup, .mem = qobj_mem, .rewrite = qobj_rewrite};

/* ---- effects ------------------------------------------------------------ */

/* emit logs one effect of up to 8 parts for queue x's key. */
static void emit(server *s, int dbid, int argc, const char **argv, const size_t *lens)
{
    effect_emit_strs(s, dbid, argc, argv, lens);
}

static void emit_job(server *s, int dbid, const char *cmd, const char *key, const qjob *j, int nnum,
                     const long long *nums, const char *err, size_t errlen)
{
    if (!s->sinks) {                   /* nobody listens: count it, build nothing */
        s->stat.effects++;
        return;
    }
    const char *av[10];
    size_t lv[10];
    char nb[4][24];
    int n = 0;
    av[n] = cmd, lv[n++] = strlen(cmd);
    av[n] = key, lv[n++] = sbuf_len(key);
    q_idbuf ib;
    size_t idlen;
    av[n] = q_jid(j, &ib, &idlen), lv[n++] = idlen;
    for (int i = 0; i < nnum; i++) {
        av[n] = nb[i];
        lv[n++] = (size_t)ll_str(nb[i], nums[i]);
    }
    if (err) {
        av[n] = "ERROR", lv[n++] = 5;
        av[n] = err, lv[n++] = errlen;
    }
    emit(s, dbid, n, av, lv);
}

/* ---- time-driven transitions -------------------------------------------- */

/* queue_tick applies what time has made happen to queue x (key in d):
 * TTL drops, expired leases (redelivered, or dead when out of attempts),
 * due delayed jobs.  Logs each drop and lease end; wakes fetchers if jobs
 * became waiting.  Never while loading. */
static void queue_tick(server *s, db *d, const char *key, qobj *x)
{
    if (s->loading) return;
    long long now = s->mstime;
    if (q_next_event(x->q) > now) return;
    queue *q = x->q;
    int woke = 0;
    qjob *j;
    while ((j = q_ttl_first(q)) && q_deadline(j) <= now) {
        emit_job(s, d->id, "QDROP", key, j, 0, NULL, NULL, 0);
        q_remove(q, j, QR_EXPIRED);
        s->dirty++;
    }
    while ((j = q_first(q, QS_LEASED)) && q_lease_until(j) <= now) {
        if (q_exhausted(j)) {
            long long at = now;
            emit_job(s, d->id, "QBURY", key, j, 1, &at, LEASE_EXPIRED_TEXT, strlen(LEASE_EXPIRED_TEXT));
            q_bury(q, j, now, LEASE_EXPIRED_TEXT, strlen(LEASE_EXPIRED_TEXT));
        } else {
            long long due = q_lease_until(j);
            emit_job(s, d->id, "QRETRY", key, j, 1, &due, LEASE_EXPIRED_TEXT, strlen(LEASE_EXPIRED_TEXT));
            q_retry(q, j, due, now, LEASE_EXPIRED_TEXT, strlen(LEASE_EXPIRED_TEXT));
            woke = 1;
        }
        s->dirty++;
    }
    if (q_promote(q, now)) woke = 1;
    if (woke) wake(s, d, key, x);
}

/* remember records where x lives (the timer logs and wakes by key). */
static void remember(qobj *x, int dbid, const char *key)
{
    if (x->dbid == dbid && x->key && sbuf_len(x->key) == sbuf_len(key) && !memcmp(x->key, key, sbuf_len(key)))
        return;
    if (x->key) sbuf_free(x->key);
    x->key = sbuf_dup(key);
    x->dbid = dbid;
}

/* wake: jobs became waiting in x (at key in d).  WATCH is invalidated now;
 * blocked fetchers, if any wait on the key, are served before sleeping. */
static void wake(server *s, db *d, const char *key, qobj *x)
{
    if (dict_size(d->watched)) multi_touch_key(s, d, key);
    if (!d->blocking || !dict_find(d->blocking, key) || x->wake_pending) return;
    qreg *r = x->reg;
    if (!r) {                              /* not registered (never expected): serve as usual */
        block_signal_key_ready(s, d, key);
        return;
    }
    if (r->nwakes == r->capwakes) {
        r->capwakes = r->capwakes ? r->capwakes * 2 : 8;
        r->wakes = xrealloc(r->wakes, r->capwakes * sizeof *r->wakes);
    }
    r->wakes[r->nwakes++] = x;
    x->wake_pending = 1;
}

/* locate confirms (or finds again, by walking the keyspace) the key
 * holding x; 0, or -1 if it is in no db. */
static int locate(server *s, qobj *x)
{
    if (x->key && x->dbid >= 0 && x->dbid < s->ndb && dict_fetch(s->dbs[x->dbid].keys, x->key) == x->o) return 0;
    for (int i = 0; i < s->ndb; i++) {
        dict_iter it;
        dict_entry *e;
        dict_iter_init(&it, s->dbs[i].keys, 0);
        while ((e = dict_next(&it))) {
            if (e->v.val != x->o) continue;
            remember(x, i, e->key);
            dict_iter_done(&it);
            return 0;
        }
        dict_iter_done(&it);
    }
    return -1;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    qreg *r = arg;
    server *s = r->s;
    server_update_time(s);
    r->armed = 0;
    reap(r);
    while (r->nheap && r->heap[0]->when <= s->mstime) {
        qobj *x = r->heap[0];
        heap_del(r, x);
        if (locate(s, x) < 0) continue;     /* not in the keyspace now: rejoins when used */
        db *d = &s->dbs[x->dbid];
        if (db_key_is_expired(s, d, x->key)) continue;   /* expiry deletes it */
        queue_tick(s, d, x->key, x);
        x->when = LLONG_MAX;
        reg_update(x);
    }
    arm(r);
}

/* ---- lookups -------------------------------------------------------------- */

/* find_write: the queue at key, looked up for writing, as it is (no
 * transitions applied, nothing created).  Returns it, or NULL: *wrong set
 * (WRONGTYPE replied) or absent. */
static qobj *find_write(session *c, const char *key, int *wrong)
{
    *wrong = 0;
    obj *o = db_lookup_write(c->srv, c->db, key);
    if (o && o->type != OBJ_QUEUE) {
        reply_err_wrongtype(c);
        *wrong = 1;
        return NULL;
    }
    return o ? o->ptr : NULL;
}

/* attach records that x is at key in c's db and registers it (the timer
 * and the wakes need both). */
static void attach(session *c, qobj *x, const char *key)
{
    remember(x, c->dbid, key);
    if (!x->reg) reg_add(reg_get(c->srv), x);
}

/* lookup finds the queue at argv key for a command, applying due
 * transitions.  Returns it, or NULL: *wrong set (WRONGTYPE replied) or
 * absent (created when create is set). */
static qobj *lookup(session *c, const char *key, int create, int *wrong)
{
    qobj *x = find_write(c, key, wrong);
    if (*wrong) return NULL;
    if (!x) {
        if (!create) return NULL;
        obj *o = qobj_new();
        db_add(c->srv, c->db, key, o);
        x = o->ptr;
        attach(c, x, key);
        return x;
    }
    attach(c, x, key);
    queue_tick(c->srv, c->db, key, x);
    return x;
}

/* lookup_read: as lookup, never creating, for commands that only look. */
static qobj *lookup_read(session *c, const char *key, int *wrong)
{
    server *s = c->srv;
    *wrong = 0;
    obj *o = db_lookup_read(s, c->db, key, 0);
    if (!o) return NULL;
    if (o->type != OBJ_QUEUE) {
        reply_err_wrongtype(c);
        *wrong = 1;
        return NULL;
    }
    qobj *x = o->ptr;
    attach(c, x, key);
    queue_tick(s, c->db, key, x);
    reg_update(x);
    return x;
}

/* ---- argument parsing ------------------------------------------------------ */

/* parse_ms reads a count of ms (or a unix-ms time) in [min, MAX_MS]. */
static int parse_ms(session *c, const char *arg, long long min, long long *out)
{
    long long v;
    if (!str_to_ll(arg, sbuf_len(arg), &v) || v < min || v > MAX_MS) {
        reply_err_notint(c);
        return -1;
    }
    *out = v;
    return 0;
}

/* parse_time reads a time option's argument: relative to now (rel: DELAY,
 * TTL) or absolute (AT, DEADLINE), in ms, at least min; *out is unix ms.
 * An option that may come once counts in *seen (a second: syntax error);
 * seen NULL: not counted.  0, or -1 after replying. */
static int parse_time(session *c, const char *arg, int *seen, long long min, int rel, long long *out)
{
    if (seen && (*seen)++) {
        reply_err_syntax(c);
        return -1;
    }
    long long v;
    if (parse_ms(c, arg, min, &v) < 0) return -1;
    *out = rel ? c->srv->mstime + v : v;
    return 0;
}

static int parse_ll(session *c, const char *arg, long long *out)
{
    if (!str_to_ll(arg, sbuf_len(arg), out)) {
        reply_err_notint(c);
        return -1;
    }
    return 0;
}

static int parse_positive(session *c, const char *arg, long long *out)
{
    if (parse_ll(c, arg, out) < 0) return -1;
    if (*out <= 0) {
        reply_error(c, "ERR value is out of range, must be positive");
        return -1;
    }
    return 0;
}

/* ---- QPUSH ------------------------------------------------------------------- */

/* looks_generated: id has the shape of a generated ID ("<digits>-<digits>"). */
static int looks_generated(const char *id)
{
    size_t n = sbuf_len(id), i = 0;
    while (i < n && id[i] >= '0' && id[i] <= '9') i++;
    if (i == 0 || i == n || id[i] != '-') return 0;
    size_t j = ++i;
    while (i < n && id[i] >= '0' && id[i] <= '9') i++;
    return i == n && i > j;
}

static void reply_job_id(session *c, const qjob *j)
{
    q_idbuf b;
    size_t len;
    const char *id = q_jid(j, &b, &len);
    reply_bulk(c, id, len);
}

/* parse_push_opts reads QPUSH's options from argv[i..]: with id NULL
 * (QPUSHMANY) every option but ID, up to PAYLOADS or JOBS, which must
 * come; else (QPUSH) every option, to the end.  Returns the index it
 * stopped at, or -1 after replying an error. */
static int parse_push_opts(session *c, int i, qjob_opts *o, const char **id)
{
    argv_t *a = &c->args;
    int have_when = 0, have_ttl = 0;
    for (; i < a->argc; i++) {
        const char *opt = a->argv[i];
        int more = a->argc - i - 1;
        if (!id && (!strcasecmp(opt, "payloads") || !strcasecmp(opt, "jobs"))) {
            return i;
        } else if (id && !strcasecmp(opt, "id") && more >= 1) {
            *id = a->argv[++i];
            if (sbuf_len(*id) == 0) {
                reply_error(c, "ERR job ID must not be empty");
                return -1;
            }
        } else if ((!strcasecmp(opt, "delay") || !strcasecmp(opt, "at")) && more >= 1) {
            if (parse_time(c, a->argv[++i], &have_when, 0, tolower(opt[0]) == 'd', &o->due) < 0) return -1;
        } else if (!strcasecmp(opt, "priority") && more >= 1) {
            if (parse_ll(c, a->argv[++i], &o->priority) < 0) return -1;
        } else if (!strcasecmp(opt, "enq") && more >= 1) {
            if (parse_ms(c, a->argv[++i], 1, &o->enq) < 0) return -1;
        } else if (!strcasecmp(opt, "maxattempts") && more >= 1) {
            if (parse_ms(c, a->argv[++i], 0, &o->maxattempts) < 0) return -1;
        } else if (!strcasecmp(opt, "backoff") && more >= 2) {
            const char *kind = a->argv[++i];
            if (!strcasecmp(kind, "fixed")) o->bkind = QB_FIXED;
            else if (!strcasecmp(kind, "exp")) o->bkind = QB_EXP;
            else {
                reply_err_syntax(c);
                return -1;
            }
            if (parse_ms(c, a->argv[++i], 0, &o->bbase) < 0) return -1;
            o->bmax = 0;
            o->jitter = 0;
            if (i + 2 < a->argc && !strcasecmp(a->argv[i + 1], "max")) {
                if (parse_ms(c, a->argv[i + 2], 0, &o->bmax) < 0) return -1;
                i += 2;
            }
            if (i + 1 < a->argc && !strcasecmp(a->argv[i + 1], "jitter")) {
                o->jitter = 1;
                i++;
            }
        } else if ((!strcasecmp(opt, "ttl") || !strcasecmp(opt, "deadline")) && more >= 1) {
            if (parse_time(c, a->argv[++i], &have_ttl, 1, tolower(opt[0]) == 't', &o->deadline) < 0) return -1;
        } else {
            reply_err_syntax(c);
            return -1;
        }
    }
    if (!id) {                             /* PAYLOADS or JOBS never came */
        reply_err_syntax(c);
        return -1;
    }
    return i;
}

/* emit_push logs job j's enqueue: every option, absolute. */
static void emit_push(server *s, int dbid, const char *key, const qjob *j)
{
    if (!s->sinks) {                       /* nobody listens: count it, build nothing */
        s->stat.effects++;
        return;
    }
    const char *av[22];
    size_t lv[22];
    char nb[7][24];
    const qjob_ext *e = q_opt(j);
    q_idbuf ib;
    size_t idlen;
    const char *id = q_jid(j, &ib, &idlen);
    sbuf pl = q_payload(j);
    int n = 0;
    av[n] = "QPUSH", lv[n++] = 5;
    av[n] = key, lv[n++] = sbuf_len(key);
    av[n] = pl, lv[n++] = sbuf_len(pl);
    av[n] = "ID", lv[n++] = 2;
    av[n] = id, lv[n++] = idlen;
    av[n] = "AT", lv[n++] = 2;
    av[n] = nb[0], lv[n++] = (size_t)ll_str(nb[0], j->due);
    av[n] = "PRIORITY", lv[n++] = 8;
    av[n] = nb[1], lv[n++] = (size_t)ll_str(nb[1], j->priority);
    av[n] = "MAXATTEMPTS", lv[n++] = 11;
    av[n] = nb[2], lv[n++] = (size_t)ll_str(nb[2], e->maxattempts);
    av[n] = "BACKOFF", lv[n++] = 7;
    av[n] = e->bkind == QB_EXP ? "EXP" : "FIXED", lv[n++] = e->bkind == QB_EXP ? 3 : 5;
    av[n] = nb[3], lv[n++] = (size_t)ll_str(nb[3], e->bbase);
    av[n] = "MAX", lv[n++] = 3;
    av[n] = nb[4], lv[n++] = (size_t)ll_str(nb[4], e->bmax);
    if (e->jitter) av[n] = "JITTER", lv[n++] = 6;
    if (e->deadline) {
        av[n] = "DEADLINE", lv[n++] = 8;
        av[n] = nb[5], lv[n++] = (size_t)ll_str(nb[5], e->deadline);
    }
    av[n] = "ENQ", lv[n++] = 3;
    av[n] = nb[6], lv[n++] = (size_t)ll_str(nb[6], j->enq_ms);
    emit(s, dbid, n, av, lv);
}

/* gen_prefix makes x's generated-ID prefix "<ms>-" for ms. */
static void gen_prefix(qobj *x, long long ms)
{
    if (x->gen_ms == ms && x->gen_plen) return;
    x->gen_plen = (size_t)ll_str(x->gen_pfx, ms);
    x->gen_pfx[x->gen_plen++] = '-';
    x->gen_ms = ms;
}

/* reply_id replies j's ID (j in x), a generated one written from x's
 * per-ms prefix (jobs pushed in the same ms share it). */
static void reply_id(session *c, qobj *x, const qjob *j)
{
    if (!j->genid) {
        reply_job_id(c, j);
        return;
    }
    gen_prefix(x, j->enq_ms);
    char b[48];
    memcpy(b, x->gen_pfx, x->gen_plen);
    reply_bulk(c, b, x->gen_plen + q_u64_str(b + x->gen_plen, j->seq));
}

/* push_new enqueues a new job in x (at key) under a generated ID (id
 * NULL) or id (which must not exist), counts and logs it. */
static qjob *push_new(session *c, qobj *x, const char *key, const char *id, const char *payload,
                      const qjob_opts *o)
{
    server *s = c->srv;
    long long now = s->mstime;
    char gen[64];
    size_t glen = 0;
    qjob *j;
    if (!id && !x->gen_like_ids && now > 0 && (!o->enq || o->enq == now)) {
        /* "<now>-<next seq>": the queue derives it from the job's own
         * fields and stores nothing */
        j = q_add(x->q, NULL, 0, payload, sbuf_len(payload), o, now);
        s->dirty++;
        emit_push(s, c->dbid, key, j);
        return j;
    }
    if (!id) {
        /* "<ms>-<seq>": unique among generated IDs; only an ID given by a
         * producer in that shape can collide, so only then probe. */
        uint64_t seq = q_next_seq(x->q);
        gen_prefix(x, now);
        memcpy(gen, x->gen_pfx, x->gen_plen);
        for (;;) {
            glen = x->gen_plen + (size_t)ll_str(gen + x->gen_plen, (long long)seq);
            if (!x->gen_like_ids) break;
            if (!q_find_len(x->q, gen, glen)) break;
            seq++;
        }
    } else if (!x->gen_like_ids && looks_generated(id)) {
        x->gen_like_ids = 1;
    }
    j = q_add(x->q, id ? id : gen, id ? sbuf_len(id) : glen, payload, sbuf_len(payload), o, now);
    s->dirty++;
    emit_push(s, c->dbid, key, j);
    return j;
}

/* QPUSH queue payload [ID id] [DELAY ms | AT unix-ms] [PRIORITY n]
 *       [MAXATTEMPTS n] [BACKOFF FIXED|EXP ms [MAX ms] [JITTER]]
 *       [TTL ms | DEADLINE unix-ms] */
void cmd_qpush(session *c)
{
    argv_t *a = &c->args;
    qjob_opts o;
    q_opts_default(&o, c->srv->mstime);
    const char *id = NULL;
    if (parse_push_opts(c, 3, &o, &id) < 0) return;
    const char *key = a->argv[1];
    int wrong;
    qobj *x = lookup(c, key, 1, &wrong);
    if (wrong) return;
    effect_suppress(c);
    qjob *j = id ? q_find(x->q, id) : NULL;
    if (!j) {                              /* else idempotent: the job stays as it is */
        j = push_new(c, x, key, id, a->argv[2], &o);
        if (j->state == QS_WAITING) wake(c->srv, c->db, key, x);
    }
    reply_id(c, x, j);
    reg_update(x);
}

/* QPUSHMANY queue [DELAY ms | AT unix-ms] [PRIORITY n] [MAXATTEMPTS n]
 *           [BACKOFF FIXED|EXP ms [MAX ms] [JITTER]] [TTL ms | DEADLINE unix-ms]
 *           PAYLOADS payload [payload ...] | JOBS id payload [id payload ...] */
void cmd_qpushmany(session *c)
{
    argv_t *a = &c->args;
    qjob_opts o;
    q_opts_default(&o, c->srv->mstime);
    int first = parse_push_opts(c, 2, &o, NULL);
    if (first < 0) return;
    int with_ids = tolower(a->argv[first][0]) == 'j';
    int step = with_ids ? 2 : 1;
    first++;
    if (first >= a->argc || (a->argc - first) % step) {   /* nothing after it, or an ID without payload */
        reply_err_syntax(c);
        return;
    }
    for (int i = first; with_ids && i < a->argc; i += 2)
        if (sbuf_len(a->argv[i]) == 0) {
            reply_error(c, "ERR job ID must not be empty");
            return;
        }
    const char *key = a->argv[1];
    int wrong;
    qobj *x = lookup(c, key, 1, &wrong);
    if (wrong) return;
    effect_suppress(c);
    reply_array(c, (a->argc - first) / step);
    int waiting = 0;
    for (int i = first; i < a->argc; i += step) {
        const char *id = with_ids ? a->argv[i] : NULL;
        qjob *j = id ? q_find(x->q, id) : NULL;
        if (!j) {                          /* else idempotent: the job stays as it is */
            j = push_new(c, x, key, id, a->argv[i + step - 1], &o);
            waiting |= j->state == QS_WAITING;
        }
        reply_id(c, x, j);
    }
    if (waiting) wake(c->srv, c->db, key, x);
    reg_update(x);
}

/* ---- QFETCH ------------------------------------------------------------------- */

static void fetch_timeout(session *c) { reply_null_array(c); }

/* QFETCH [COUNT n] [LEASE ms] [BLOCK ms] [GROUPED] QUEUES queue [queue ...] */
void cmd_qfetch(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    long long count = 1, lease = DEFAULT_LEASE_MS, block = -1;
    int first = -1, grouped = 0;
    for (int i = 1; i < a->argc; i++) {
        const char *opt = a->argv[i];
        int more = a->argc - i - 1;
        if (!strcasecmp(opt, "queues")) {
            first = i + 1;
            break;
        } else if (!strcasecmp(opt, "grouped")) {
            grouped = 1;
        } else if (!strcasecmp(opt, "count") && more >= 1) {
            if (parse_positive(c, a->argv[++i], &count) < 0) return;
        } else if (!strcasecmp(opt, "lease") && more >= 1) {
            if (parse_positive(c, a->argv[++i], &lease) < 0) return;
            if (lease > MAX_MS) {
                reply_err_notint(c);
                return;
            }
        } else if (!strcasecmp(opt, "block") && more >= 1) {
            if (parse_ll(c, a->argv[++i], &block) < 0) return;
            if (block < 0) {
                reply_error(c, "ERR timeout is negative");
                return;
            }
            if (block > MAX_MS) {
                reply_error(c, "ERR timeout is out of range");
                return;
            }
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (first < 0 || first >= a->argc) {
        reply_err_syntax(c);
        return;
    }
    /* Every key must be a queue (or absent) before anything is taken. */
    for (int i = first; i < a->argc; i++) {
        obj *o = db_lookup_read(s, c->db, a->argv[i], LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY);
        if (o && o->type != OBJ_QUEUE) {
            reply_err_wrongtype(c);
            return;
        }
    }
    effect_suppress(c);
    long long until = s->mstime + lease;
    void *h = NULL;
    long long got = 0, groups = 0;
    for (int i = first; i < a->argc && got < count; i++) {
        const char *key = a->argv[i];
        int wrong;
        qobj *x = lookup(c, key, 0, &wrong);
        if (!x) continue;
        qjob *j;
        uint64_t token = q_token_next(x->q);
        void *hg = NULL;                   /* GROUPED: this queue's flat job list */
        long long mine = 0;
        while (got < count && (j = q_first(x->q, QS_WAITING))) {
            if (!h) h = reply_defer(c);
            q_lease(x->q, j, c->id, token, until);
            long long nums[3] = {(long long)c->id, until, (long long)token};
            emit_job(s, c->dbid, "QLEASE", key, j, 3, nums, NULL, 0);
            s->dirty++;
            if (grouped) {                 /* [queue, token, [id, payload, attempt, ...]] */
                if (!hg) {
                    reply_array(c, 3);
                    reply_bulk(c, key, sbuf_len(key));
                    reply_int(c, (long long)token);
                    hg = reply_defer(c);
                }
            } else {                       /* [queue, id, payload, attempt, token] */
                reply_array(c, 5);
                reply_bulk(c, key, sbuf_len(key));
            }
            reply_id(c, x, j);
            reply_bulk(c, q_payload(j), sbuf_len(q_payload(j)));
            reply_int(c, j->attempt);
            if (!grouped) reply_int(c, (long long)token);
            got++;
            mine++;
        }
        if (hg) {
            reply_set_array_len(c, hg, 3 * mine);
            groups++;
        }
        reg_update(x);
    }
    if (h) {
        reply_set_array_len(c, h, grouped ? groups : got);
        return;
    }
    if (block < 0) {
        reply_empty_array(c);
        return;
    }
    if (!block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_for_keys(c, a->argv + first, a->argc - first, OBJ_QUEUE, block ? s->mstime + block : 0, fetch_timeout);
}

/* ---- QACK QNACK QEXTEND ---------------------------------------------------------- */

/* held: j is leased, its lease has not ended, and (token > 0) the lease
 * has that token. */
static qjob *held(session *c, qobj *x, const char *id, uint64_t token)
{
    qjob *j = q_find(x->q, id);
    if (!j || j->state != QS_LEASED || j->until <= c->srv->mstime) return NULL;
    if (token && j->lease != token) return NULL;
    return j;
}

/* named_job: for QNACK, QEXTEND and QREQUEUE: the queue at argv[1] (due
 * transitions applied, *xp) and its job argv[2], which must be in
 * `state`, and when that is leased also held (token > 0: under that
 * lease).  Suppresses the command's own effect.  NULL after replying:
 * WRONGTYPE, or 0 when there is no such job. */
static qjob *named_job(session *c, int state, uint64_t token, qobj **xp)
{
    int wrong;
    qobj *x = lookup(c, c->args.argv[1], 0, &wrong);
    if (wrong) return NULL;
    effect_suppress(c);
    qjob *j = NULL;
    if (x) j = state == QS_LEASED ? held(c, x, c->args.argv[2], token) : q_find(x->q, c->args.argv[2]);
    if (!j || j->state != state) {
        if (x) reg_update(x);
        reply_int(c, 0);
        return NULL;
    }
    *xp = x;
    return j;
}

/* job_done ends a command that changed a job of x (at argv[1]): dirty,
 * woke: signals the key modified (internal commands; the user commands
 * call wake instead), the timer heap, reply 1. */
static void job_done(session *c, qobj *x, int woke)
{
    c->srv->dirty++;
    if (woke) db_signal_modified(c->srv, c->db, c->args.argv[1]);
    reg_update(x);
    reply_int(c, 1);
}

/* parse_token reads a lease token (a positive integer). */
static int parse_token(session *c, const char *arg, uint64_t *token)
{
    long long v;
    if (parse_ms(c, arg, 1, &v) < 0) return -1;
    *token = (uint64_t)v;
    return 0;
}

/* remove_jobs removes the jobs named by argv[first..] from queue x (found
 * at key, possibly NULL) — acked: only jobs held under a current lease
 * (QACK), else any job (QDEL) — logs them as one effect named effname and
 * replies how many went. */
static void remove_jobs(session *c, qobj *x, const char *key, const char *effname, int first,
                        int acked, uint64_t token)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    effect_suppress(c);
    if (!x) {
        reply_int(c, 0);
        return;
    }
    int log = s->sinks != NULL;            /* nobody listens: build no effect */
    argv_t eff;
    argv_init(&eff);
    if (log) {
        argv_push(&eff, effname, strlen(effname));
        argv_push(&eff, key, sbuf_len(key));
    }
    long long n = 0;
    for (int i = first; i < a->argc; i++) {
        qjob *j = acked ? held(c, x, a->argv[i], token) : q_find(x->q, a->argv[i]);
        if (!j) continue;
        if (log) argv_push(&eff, a->argv[i], sbuf_len(a->argv[i]));   /* j's ID, byte for byte */
        q_remove(x->q, j, acked ? QR_ACKED : QR_DELETED);
        n++;
    }
    if (n) {
        if (log) effect_emit(s, c->dbid, eff.argc, eff.argv);
        else s->stat.effects++;
        s->dirty++;
    }
    argv_free(&eff);
    reg_update(x);
    reply_int(c, n);
}

/* QACK queue [LEASE token] id [id ...] */
void cmd_qack(session *c)
{
    argv_t *a = &c->args;
    const char *key = a->argv[1];
    uint64_t token = 0;
    int first = 2;
    if (a->argc >= 5 && !strcasecmp(a->argv[2], "lease")) {
        if (parse_token(c, a->argv[3], &token) < 0) return;
        first = 4;
    }
    int wrong;
    qobj *x = lookup(c, key, 0, &wrong);
    if (wrong) return;
    remove_jobs(c, x, key, "QFINISH", first, 1, token);
}

/* QNACK queue id [LEASE token] [DELAY ms] [ERROR text] */
void cmd_qnack(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    long long delay = -1;
    const char *err = NULL;
    uint64_t token = 0;
    for (int i = 3; i < a->argc; i++) {
        if (!strcasecmp(a->argv[i], "lease") && i + 1 < a->argc) {
            if (parse_token(c, a->argv[++i], &token) < 0) return;
        } else if (!strcasecmp(a->argv[i], "delay") && i + 1 < a->argc) {
            if (parse_ms(c, a->argv[++i], 0, &delay) < 0) return;
        } else if (!strcasecmp(a->argv[i], "error") && i + 1 < a->argc) {
            err = a->argv[++i];
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    const char *key = a->argv[1];
    qobj *x;
    qjob *j = named_job(c, QS_LEASED, token, &x);
    if (!j) return;
    long long now = s->mstime;
    size_t elen = err ? sbuf_len(err) : 0;
    if (q_exhausted(j)) {
        emit_job(s, c->dbid, "QBURY", key, j, 1, &now, err, elen);
        q_bury(x->q, j, now, err, elen);
    } else {
        long long d = delay >= 0 ? delay : q_backoff(j, reg_rand(reg_get(s)));
        long long due = now + d;
        emit_job(s, c->dbid, "QRETRY", key, j, 1, &due, err, elen);
        q_retry(x->q, j, due, now, err, elen);
        if (j->state == QS_WAITING) wake(s, c->db, key, x);
    }
    job_done(c, x, 0);
}

/* QEXTEND queue id ms [LEASE token] */
void cmd_qextend(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    long long ms;
    uint64_t token = 0;
    if (parse_ms(c, a->argv[3], 1, &ms) < 0) return;
    if (a->argc == 6 && !strcasecmp(a->argv[4], "lease")) {
        if (parse_token(c, a->argv[5], &token) < 0) return;
    } else if (a->argc != 4) {
        reply_err_syntax(c);
        return;
    }
    qobj *x;
    qjob *j = named_job(c, QS_LEASED, token, &x);
    if (!j) return;
    long long until = s->mstime + ms;
    emit_job(s, c->dbid, "QRENEW", a->argv[1], j, 1, &until, NULL, 0);
    q_extend(x->q, j, until);
    job_done(c, x, 0);
}

/* ---- QREQUEUE QDEL ------------------------------------------------------------------ */

/* QREQUEUE queue id [DELAY ms | AT unix-ms] */
void cmd_qrequeue(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    long long now = s->mstime, due = now;
    if (a->argc == 5 && (!strcasecmp(a->argv[3], "delay") || !strcasecmp(a->argv[3], "at"))) {
        if (parse_time(c, a->argv[4], NULL, 0, tolower(a->argv[3][0]) == 'd', &due) < 0) return;
    } else if (a->argc != 3) {
        reply_err_syntax(c);
        return;
    }
    const char *key = a->argv[1];
    qobj *x;
    qjob *j = named_job(c, QS_DEAD, 0, &x);
    if (!j) return;
    q_requeue(x->q, j, due, now);
    const char *av[5] = {"QREQUEUE", key, a->argv[2], "AT", NULL};   /* j's ID, byte for byte */
    char nb[24];
    size_t lv[5] = {8, sbuf_len(key), sbuf_len(a->argv[2]), 2, 0};
    av[4] = nb;
    lv[4] = (size_t)ll_str(nb, due);
    emit(s, c->dbid, 5, av, lv);
    if (j->state == QS_WAITING) wake(s, c->db, key, x);
    job_done(c, x, 0);
}

/* QDEL queue id [id ...] */
void cmd_qdel(session *c)
{
    const char *key = c->args.argv[1];
    int wrong;
    qobj *x = lookup(c, key, 0, &wrong);
    if (wrong) return;
    remove_jobs(c, x, key, "QDEL", 2, 0, 0);
}

/* ---- QINFO QJOB QLIST ----------------------------------------------------------------- */

static void map_int(session *c, const char *k, long long v)
{
    reply_bulk_cstr(c, k);
    reply_int(c, v);
}

/* QINFO queue */
void cmd_qinfo(session *c)
{
    int wrong;
    qobj *x = lookup_read(c, c->args.argv[1], &wrong);
    if (wrong) return;
    if (!x) {
        reply_null(c);
        return;
    }
    queue *q = x->q;
    const q_counters *st = q_stats_const(q);
    long long oldest = q_oldest_waiting_due(q);
    long long next = q_next_event(q);
    reply_map(c, 14);
    map_int(c, "waiting", (long long)q_count(q, QS_WAITING));
    map_int(c, "delayed", (long long)q_count(q, QS_DELAYED));
    map_int(c, "leased", (long long)q_count(q, QS_LEASED));
    map_int(c, "dead", (long long)q_count(q, QS_DEAD));
    map_int(c, "jobs", (long long)q_len(q));
    map_int(c, "enqueued", st->enqueued);
    map_int(c, "delivered", st->delivered);
    map_int(c, "acked", st->acked);
    map_int(c, "retried", st->retried);
    map_int(c, "dead-lettered", st->deadlettered);
    map_int(c, "expired", st->expired);
    map_int(c, "deleted", st->deleted);
    map_int(c, "oldest-waiting-ms", oldest == LLONG_MAX ? 0 : (c->srv->mstime - oldest > 0 ? c->srv->mstime - oldest : 0));
    map_int(c, "next-event-ms", next == LLONG_MAX ? -1 : (next - c->srv->mstime > 0 ? next - c->srv->mstime : 0));
}

/* QJOB queue id */
void cmd_qjob(session *c)
{
    int wrong;
    qobj *x = lookup_read(c, c->args.argv[1], &wrong);
    if (wrong) return;
    qjob *j = x ? q_find(x->q, c->args.argv[2]) : NULL;
    if (!j) {
        reply_null(c);
        return;
    }
    reply_map(c, 18);
    reply_bulk_cstr(c, "id");
    reply_id(c, x, j);
    reply_bulk_cstr(c, "state");
    reply_bulk_cstr(c, q_state_name(j->state));
    reply_bulk_cstr(c, "payload");
    reply_bulk(c, q_payload(j), sbuf_len(q_payload(j)));
    const qjob_ext *e = q_opt(j);
    map_int(c, "priority", j->priority);
    map_int(c, "attempt", j->attempt);
    map_int(c, "max-attempts", e->maxattempts);
    map_int(c, "enqueued-at", j->enq_ms);
    map_int(c, "due-at", j->due);
    map_int(c, "lease-until", j->state == QS_LEASED ? j->until : -1);
    map_int(c, "consumer", j->consumer ? (long long)j->consumer : -1);
    map_int(c, "dead-at", j->state == QS_DEAD ? j->until : -1);
    map_int(c, "deadline", e->deadline ? e->deadline : -1);
    reply_bulk_cstr(c, "backoff");
    reply_bulk_cstr(c, e->bkind == QB_EXP ? "exp" : "fixed");
    map_int(c, "backoff-ms", e->bbase);
    map_int(c, "backoff-max-ms", e->bmax);
    map_int(c, "jitter", e->jitter);
    reply_bulk_cstr(c, "last-error");
    if (e->error) reply_bulk(c, e->error, sbuf_len(e->error));
    else reply_null(c);
    map_int(c, "lease-token", j->state == QS_LEASED ? (long long)j->lease : -1);
}

/* A listing cursor is "0" or "<k0>:<k1>:<seq>", the position of the next job. */
static int parse_cursor(const char *s, q_pos *p)
{
    if (!strcmp(s, "0")) {
        p->k0 = LLONG_MIN;
        p->k1 = LLONG_MIN;
        p->seq = 0;
        return 1;
    }
    char *e;
    long long k0 = strtoll(s, &e, 10);
    if (e == s || *e != ':') return -1;
    const char *t = e + 1;
    long long k1 = strtoll(t, &e, 10);
    if (e == t || *e != ':') return -1;
    t = e + 1;
    if (*t < '0' || *t > '9') return -1;
    unsigned long long seq = strtoull(t, &e, 10);
    if (*e) return -1;
    p->k0 = k0;
    p->k1 = k1;
    p->seq = seq;
    return 0;
}

/* QLIST queue STATE waiting|delayed|leased|dead [CURSOR c] [COUNT n] */
void cmd_qlist(session *c)
{
    argv_t *a = &c->args;
    int state = -1;
    long long count = DEFAULT_LIST_COUNT;
    q_pos pos;
    int start = 1;
    parse_cursor("0", &pos);
    for (int i = 2; i < a->argc; i++) {
        if (!strcasecmp(a->argv[i], "state") && i + 1 < a->argc) {
            state = q_state_parse(a->argv[++i]);
            if (state < 0) {
                reply_error(c, "ERR unknown state, expected waiting, delayed, leased or dead");
                return;
            }
        } else if (!strcasecmp(a->argv[i], "cursor") && i + 1 < a->argc) {
            int r = parse_cursor(a->argv[++i], &pos);
            if (r < 0) {
                reply_error(c, "ERR invalid cursor");
                return;
            }
            start = r;
        } else if (!strcasecmp(a->argv[i], "count") && i + 1 < a->argc) {
            if (parse_positive(c, a->argv[++i], &count) < 0) return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (state < 0) {
        reply_err_syntax(c);
        return;
    }
    int wrong;
    qobj *x = lookup_read(c, a->argv[1], &wrong);
    if (wrong) return;
    reply_array(c, 2);
    if (!x) {
        reply_bulk_cstr(c, "0");
        reply_empty_array(c);
        return;
    }
    qjob *j = start ? q_first(x->q, state) : q_seek(x->q, state, &pos);
    sbuf ids = NULL;
    long long n = 0;
    const qjob *first = j;
    for (; j && n < count; j = q_next(j)) n++;
    if (j) {
        q_job_pos(j, &pos);
        ids = sbuf_catfmt(sbuf_empty(64), "%lld:%lld:%llu", pos.k0, pos.k1, (unsigned long long)pos.seq);
        reply_bulk(c, ids, sbuf_len(ids));
        sbuf_free(ids);
    } else {
        reply_bulk_cstr(c, "0");
    }
    reply_array(c, n);
    for (const qjob *k = first; n-- > 0; k = q_next(k)) reply_id(c, x, k);
}

/* ---- internal replay commands -------------------------------------------------------- */

/* internal_job: the queue and job an internal command names; replies 0
 * and returns NULL when there is none (or it is in another state than
 * `state`, unless state < 0). */
static qjob *internal_job(session *c, qobj **xp, int state)
{
    int wrong;
    qobj *x = find_write(c, c->args.argv[1], &wrong);
    if (wrong) return NULL;
    qjob *j = x ? q_find(x->q, c->args.argv[2]) : NULL;
    if (!j || (state >= 0 && j->state != state)) {
        reply_int(c, 0);
        return NULL;
    }
    attach(c, x, c->args.argv[1]);
    *xp = x;
    return j;
}

/* optional_error reads [ERROR text] at argv[i]; 0, or -1 after replying. */
static int optional_error(session *c, int i, const char **err, size_t *elen)
{
    argv_t *a = &c->args;
    *err = NULL;
    *elen = 0;
    if (a->argc == i) return 0;
    if (a->argc == i + 2 && !strcasecmp(a->argv[i], "error")) {
        *err = a->argv[i + 1];
        *elen = sbuf_len(*err);
        return 0;
    }
    reply_err_syntax(c);
    return -1;
}

/* QLEASE queue id consumer until-ms [token] (internal: the effect of a fetch) */
void cmd_qlease(session *c)
{
    long long consumer, until, token = 0;
    if (c->args.argc > 6) {
        reply_err_syntax(c);
        return;
    }
    if (parse_ms(c, c->args.argv[3], 0, &consumer) < 0 || parse_ms(c, c->args.argv[4], 0, &until) < 0) return;
    if (c->args.argc == 6 && parse_ms(c, c->args.argv[5], 1, &token) < 0) return;
    qobj *x;
    qjob *j = internal_job(c, &x, -1);
    if (!j) return;
    if (j->state == QS_LEASED || j->state == QS_DEAD) {
        reply_int(c, 0);
        return;
    }
    q_lease(x->q, j, (uint64_t)consumer, token ? (uint64_t)token : q_token_next(x->q), until);
    job_done(c, x, 0);
}

/* QRENEW queue id until-ms (internal: the effect of QEXTEND) */
void cmd_qrenew(session *c)
{
    long long until;
    if (parse_ms(c, c->args.argv[3], 0, &until) < 0) return;
    qobj *x;
    qjob *j = internal_job(c, &x, QS_LEASED);
    if (!j) return;
    q_extend(x->q, j, until);
    job_done(c, x, 0);
}

/* QRETRY queue id due-ms [ERROR text] (internal: nack, expired lease) */
void cmd_qretry(session *c)
{
    long long due;
    const char *err;
    size_t elen;
    if (parse_ms(c, c->args.argv[3], 0, &due) < 0 || optional_error(c, 4, &err, &elen) < 0) return;
    qobj *x;
    qjob *j = internal_job(c, &x, QS_LEASED);
    if (!j) return;
    q_retry(x->q, j, due, c->srv->mstime, err, elen);
    job_done(c, x, j->state == QS_WAITING);
}

/* QBURY queue id at-ms [ERROR text] (internal: out of attempts) */
void cmd_qbury(session *c)
{
    long long at;
    const char *err;
    size_t elen;
    if (parse_ms(c, c->args.argv[3], 0, &at) < 0 || optional_error(c, 4, &err, &elen) < 0) return;
    qobj *x;
    qjob *j = internal_job(c, &x, -1);
    if (!j) return;
    if (j->state == QS_DEAD) {
        reply_int(c, 0);
        return;
    }
    q_bury(x->q, j, at, err, elen);
    job_done(c, x, 0);
}

/* QDROP queue id (internal: a job's TTL passed) */
void cmd_qdrop(session *c)
{
    qobj *x;
    qjob *j = internal_job(c, &x, -1);
    if (!j) return;
    q_remove(x->q, j, QR_EXPIRED);
    job_done(c, x, 0);
}

/* QFINISH queue id [id ...] (internal: the effect of QACK) */
void cmd_qfinish(session *c)
{
    argv_t *a = &c->args;
    int wrong;
    qobj *x = find_write(c, a->argv[1], &wrong);
    if (wrong) return;
    long long n = 0;
    if (x) {
        for (int i = 2; i < a->argc; i++) {
            qjob *j = q_find(x->q, a->argv[i]);
            if (!j || j->state != QS_LEASED) continue;
            q_remove(x->q, j, QR_ACKED);
            n++;
        }
        if (n) c->srv->dirty++;
        attach(c, x, a->argv[1]);
        reg_update(x);
    }
    reply_int(c, n);
}

/* QMETA queue [NEXTSEQ n] [ENQUEUED n] [ACKED n] [RETRIED n]
 *       [DEADLETTERED n] [EXPIRED n] [DELETED n] [DELIVERED n]
 * (internal: a rewrite's queue header; creates the queue) */
void cmd_qmeta(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    if (a->argc % 2) {
        reply_err_syntax(c);
        return;
    }
    long long v[8] = {0};
    static const char *const names[8] = {"nextseq", "enqueued", "acked", "retried",
                                         "deadlettered", "expired", "deleted", "delivered"};
    int seen[8] = {0};
    for (int i = 2; i < a->argc; i += 2) {
        int k = -1;
        for (int m = 0; m < 8 && k < 0; m++)
            if (!strcasecmp(a->argv[i], names[m])) k = m;
        if (k < 0) {
            reply_err_syntax(c);
            return;
        }
        if (parse_ms(c, a->argv[i + 1], 0, &v[k]) < 0) return;
        seen[k] = 1;
    }
    int wrong;
    qobj *x = lookup(c, a->argv[1], 1, &wrong);
    if (wrong) return;
    q_counters *st = q_stats(x->q);
    long long *dst[8] = {NULL, &st->enqueued, &st->acked, &st->retried,
                         &st->deadlettered, &st->expired, &st->deleted, &st->delivered};
    if (seen[0] && (uint64_t)v[0] > q_next_seq(x->q)) q_set_next_seq(x->q, (uint64_t)v[0]);
    for (int k = 1; k < 8; k++)
        if (seen[k]) *dst[k] = v[k];
    s->dirty++;
    reg_update(x);
    reply_ok(c);
}

/* QRESTORE queue id payload [STATE s] [SEQ n] [PRIORITY n] [DUE ms] [ENQ ms]
 *          [ATTEMPT n] [MAXATTEMPTS n] [BACKOFF FIXED|EXP base max jitter]
 *          [DEADLINE ms] [LEASE until consumer] [DEADAT ms] [ERROR text]
 * (internal: one job in an exact state, from a rewrite) */
void cmd_qrestore(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    qjob_fields t;
    memset(&t, 0, sizeof t);
    t.state = QS_WAITING;
    t.bkind = QB_EXP;
    const char *err = NULL;
    long long seq = -1, token = 0;
    for (int i = 4; i < a->argc; i++) {
        const char *f = a->argv[i];
        int more = a->argc - i - 1;
        long long *dst = NULL;
        long long min = 0;
        if (!strcasecmp(f, "state") && more >= 1) {
            t.state = q_state_parse(a->argv[++i]);
            if (t.state < 0) {
                reply_err_syntax(c);
                return;
            }
            continue;
        } else if (!strcasecmp(f, "backoff") && more >= 4) {
            const char *k = a->argv[++i];
            if (!strcasecmp(k, "fixed")) t.bkind = QB_FIXED;
            else if (!strcasecmp(k, "exp")) t.bkind = QB_EXP;
            else {
                reply_err_syntax(c);
                return;
            }
            long long j;
            if (parse_ms(c, a->argv[++i], 0, &t.bbase) < 0 || parse_ms(c, a->argv[++i], 0, &t.bmax) < 0 ||
                parse_ms(c, a->argv[++i], 0, &j) < 0)
                return;
            t.jitter = j != 0;
            continue;
        } else if (!strcasecmp(f, "lease") && more >= 2) {
            long long cons;
            if (parse_ms(c, a->argv[++i], 0, &t.lease_until) < 0 || parse_ms(c, a->argv[++i], 0, &cons) < 0) return;
            t.consumer = (uint64_t)cons;
            continue;
        } else if (!strcasecmp(f, "error") && more >= 1) {
            err = a->argv[++i];
            continue;
        } else if (!strcasecmp(f, "priority") && more >= 1) {
            if (parse_ll(c, a->argv[++i], &t.priority) < 0) return;
            continue;
        } else if (!strcasecmp(f, "seq") && more >= 1) dst = &seq, min = 1;
        else if (!strcasecmp(f, "due") && more >= 1) dst = &t.due;
        else if (!strcasecmp(f, "enq") && more >= 1) dst = &t.enq_ms;
        else if (!strcasecmp(f, "attempt") && more >= 1) dst = &t.attempt;
        else if (!strcasecmp(f, "maxattempts") && more >= 1) dst = &t.maxattempts;
        else if (!strcasecmp(f, "deadline") && more >= 1) dst = &t.deadline;
        else if (!strcasecmp(f, "deadat") && more >= 1) dst = &t.dead_at;
        else if (!strcasecmp(f, "token") && more >= 1) dst = &token;
        else {
            reply_err_syntax(c);
            return;
        }
        if (parse_ms(c, a->argv[++i], min, dst) < 0) return;
    }
    if (sbuf_len(a->argv[2]) == 0) {
        reply_error(c, "ERR job ID must not be empty");
        return;
    }
    int wrong;
    qobj *x = lookup(c, a->argv[1], 1, &wrong);
    if (wrong) return;
    if (q_find(x->q, a->argv[2])) {
        reg_update(x);
        reply_int(c, 0);
        return;
    }
    if (looks_generated(a->argv[2])) x->gen_like_ids = 1;
    t.seq = seq > 0 ? (uint64_t)seq : q_next_seq(x->q);
    t.lease = (uint64_t)token;
    /* delayed vs waiting follows the due time, as everywhere */
    if (t.state == QS_WAITING || t.state == QS_DELAYED) t.state = t.due > s->mstime ? QS_DELAYED : QS_WAITING;
    q_restore(x->q, &t, a->argv[2], sbuf_len(a->argv[2]), a->argv[3], sbuf_len(a->argv[3]), err,
              err ? sbuf_len(err) : 0);
    job_done(c, x, t.state == QS_WAITING);
}

/* ---- before sleep ------------------------------------------------------------------ */

int queue_flush_wakes(server *s)
{
    qreg *r = s->queues;
    if (!r || !r->nwakes) return 0;
    reap(r);
    size_t n = r->nwakes;
    for (size_t i = 0; i < r->nwakes; i++) {
        qobj *x = r->wakes[i];
        x->wake_pending = 0;
        /* moved meanwhile (RENAME, MOVE): its new key was signalled then */
        if (x->dbid < 0 || x->dbid >= s->ndb || !x->key) continue;
        db *d = &s->dbs[x->dbid];
        if (dict_fetch(d->keys, x->key) == x->o) block_signal_key_ready(s, d, x->key);
    }
    r->nwakes = 0;
    return n > 0;
}

int queue_wakes_pending(server *s)
{
    qreg *r = s->queues;
    return r && r->nwakes > 0;
}

/* ---- INFO ------------------------------------------------------------------------------ */

int queue_info_any(server *s)
{
    qreg *r = s->queues;
    if (!r) return 0;
    reap(r);
    return r->nall > 0;
}

sbuf queue_info(server *s, sbuf out)
{
    qreg *r = s->queues;
    long long n[QS_NSTATES] = {0}, oldest = LLONG_MAX, total = 0;
    size_t nq = 0;
    if (r) {
        reap(r);
        pthread_mutex_lock(&orphan_lock);   /* a queue may be freeing elsewhere */
        for (size_t i = 0; i < r->nall; i++) {
            queue *q = r->all[i]->q;
            if (!q) continue;               /* orphaned meanwhile */
            nq++;
            for (int k = 0; k < QS_NSTATES; k++) n[k] += (long long)q_count(q, k);
            total += (long long)q_len(q);
            long long o = q_oldest_waiting_due(q);
            if (o < oldest) oldest = o;
        }
        pthread_mutex_unlock(&orphan_lock);
    }
    long long age = oldest == LLONG_MAX || s->mstime < oldest ? 0 : s->mstime - oldest;
    return sbuf_catfmt(out,
                       "queues:%zu\r\nqueue_jobs:%lld\r\nqueue_jobs_waiting:%lld\r\nqueue_jobs_delayed:%lld\r\n"
                       "queue_jobs_leased:%lld\r\nqueue_jobs_dead:%lld\r\nqueue_oldest_waiting_ms:%lld\r\n"
                       "queue_timer_armed:%d\r\n",
                       nq, total, n[QS_WAITING], n[QS_DELAYED], n[QS_LEASED], n[QS_DEAD], age,
                       r && r->armed ? 1 : 0);
}
