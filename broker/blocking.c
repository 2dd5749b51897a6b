/* blocking.c — per-key FIFO waiters, ready keys, timeouts (see blocking.h). */
#include "blocking.h"
#include "server.h"
#include "alloc.h"

#include <event2/event.h>
#include <math.h>
#include <string.h>

struct block_client;

/* The waiters of one key of one db: the value of d->blocking[key]. */
typedef struct waitq {
    struct waiter *head, *tail;
    const char *key;              /* the sbuf owned by d->blocking */
    db *d;
    int ready;                    /* on the ready list */
    struct waitq *ready_next;
} waitq;

/* One session waiting on one key. */
typedef struct waiter {
    struct block_client *bc;
    waitq *q;
    struct waiter *prev, *next;
} waiter;

/* A blocked session (c->bc). */
typedef struct block_client {
    session *c;
    command *cmd;                 /* the command to run again */
    int type;                     /* obj type waited for */
    long long deadline;           /* unix ms, 0 = never */
    struct event *timer;
    block_timeout_fn *timeout_reply;
    int reprocessing, reblocked;
    int wake_on_delete;           /* re-run also when the key is gone (block_wake_on_delete) */
    const char *served_key;       /* while re-run: the ready key that woke it (block_served_key) */
    int nw;
    waiter w[];
} block_client;

typedef struct block_state {
    waitq *ready_head, *ready_tail;
    int serving;
    int nblocked;
    uint64_t *resume;             /* ids of sessions unblocked, to resume input */
    size_t nresume, resume_cap;
} block_state;

static void waitq_val_free(void *v) { xfree(v); }

static const dict_type blocking_type = {
    .hash = dict_sbuf_hash,
    .key_equal = dict_sbuf_equal,
    .key_free = dict_sbuf_free,
    .val_free = waitq_val_free,
};

static block_state *state(server *s)
{
    if (!s->blk) s->blk = xcalloc(1, sizeof(block_state));
    return s->blk;
}

int block_count(server *s) { return s->blk ? s->blk->nblocked : 0; }

void block_state_free(server *s)
{
    if (!s->blk) return;
    xfree(s->blk->resume);
    xfree(s->blk);
    s->blk = NULL;
}

/* ---- timeout parsing -------------------------------------------------- */

static int block_deadline(session *c, long long ms, long long *deadline_ms);

int block_parse_timeout(session *c, const char *arg, long long *deadline_ms)
{
    long double v;
    if (!str_to_ld(arg, sbuf_len(arg), &v)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return -1;
    }
    v *= 1000;
    /* Redis casts ceill(v) to long long: out-of-range values (inf, 1e20)
     * come out negative on the platforms it runs on. */
    long double r = ceill(v);
    long long ms = (r >= 9223372036854775807.0L || r < -9223372036854775807.0L) ? LLONG_MIN : (long long)r;
    return block_deadline(c, ms, deadline_ms);
}

int block_parse_timeout_ms(session *c, const char *arg, long long *deadline_ms)
{
    long long ms;
    if (!str_to_ll(arg, sbuf_len(arg), &ms)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return -1;
    }
    return block_deadline(c, ms, deadline_ms);
}

/* Redis 7.0 adds the timeout to the clock without an overflow check: a
 * timeout past the end of the clock wraps and blocks for good.  It is
 * "forever" here too (no error, as 7.2's "timeout is out of range" would
 * be), and anything past half the clock's range is, so no deadline
 * arithmetic can overflow. */
static int block_deadline(session *c, long long ms, long long *deadline_ms)
{
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return -1;
    }
    if (ms == 0 || ms > LLONG_MAX / 2 - c->srv->mstime) *deadline_ms = 0;
    else *deadline_ms = c->srv->mstime + ms;
    return 0;
}

int block_allowed(session *c) { return !c->srv->in_exec && !(c->flags & SESS_MULTI); }

/* ---- blocking and unblocking ------------------------------------------ */

static void on_timeout(evutil_socket_t fd, short what, void *arg);

static void queue_resume(server *s, session *c)
{
    block_state *st = state(s);
    if (st->nresume == st->resume_cap) {
        st->resume_cap = st->resume_cap ? st->resume_cap * 2 : 16;
        st->resume = xrealloc(st->resume, st->resume_cap * sizeof *st->resume);
    }
    st->resume[st->nresume++] = c->id;
}

void block_for_keys(session *c, sbuf *keys, int nkeys, int type, long long deadline_ms,
                    block_timeout_fn *timeout_reply)
{
    server *s = c->srv;
    if (c->bc) {                       /* re-run found nothing: keep its place */
        c->bc->reblocked = 1;
        return;
    }
    block_client *bc = xcalloc(1, sizeof *bc + (size_t)nkeys * sizeof(waiter));
    bc->c = c;
    bc->cmd = c->cmd;
    bc->type = type;
    bc->deadline = deadline_ms;
    bc->timeout_reply = timeout_reply;
    db *d = c->db;
    if (!d->blocking) d->blocking = dict_create(&blocking_type);
    for (int i = 0; i < nkeys; i++) {
        int dup = 0;
        for (int j = 0; j < bc->nw && !dup; j++) dup = sbuf_len(bc->w[j].q->key) == sbuf_len(keys[i]) &&
                                                       !memcmp(bc->w[j].q->key, keys[i], sbuf_len(keys[i]));
        if (dup) continue;
        waitq *q = dict_fetch(d->blocking, keys[i]);
        if (!q) {
            q = xcalloc(1, sizeof *q);
            sbuf k = sbuf_new(keys[i], sbuf_len(keys[i]));
            dict_add(d->blocking, k, q);
            q->key = k;
            q->d = d;
        }
        waiter *w = &bc->w[bc->nw++];
        w->bc = bc;
        w->q = q;
        w->prev = q->tail;
        if (q->tail) q->tail->next = w;
        else q->head = w;
        q->tail = w;
    }
    c->bc = bc;
    c->flags |= SESS_BLOCKED;
    state(s)->nblocked++;
    if (deadline_ms > 0) {
        bc->timer = evtimer_new(s->base, on_timeout, c);
        long long left = deadline_ms - s->mstime;
        if (left < 0) left = 0;
        struct timeval tv = {(time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000)};
        evtimer_add(bc->timer, &tv);
    }
}

void block_wake_on_delete(session *c)
{
    if (c->bc) c->bc->wake_on_delete = 1;
}

const char *block_served_key(session *c)
{
    return c->bc && c->bc->reprocessing ? c->bc->served_key : NULL;
}

/* drop_waiter unlinks w from its queue, freeing the queue when it empties
 * (unless it is on the ready list: then block_handle_ready frees it). */
static void drop_waiter(waiter *w)
{
    waitq *q = w->q;
    if (w->prev) w->prev->next = w->next;
    else q->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else q->tail = w->prev;
    if (!q->head && !q->ready) dict_delete(q->d->blocking, q->key);
}

/* unblock releases c's block state; its argv and flags are reset and, if
 * resume, its pipelined input is queued to run before the loop sleeps. */
static void unblock(session *c, int resume)
{
    block_client *bc = c->bc;
    if (!bc) return;
    for (int i = 0; i < bc->nw; i++) drop_waiter(&bc->w[i]);
    if (bc->timer) event_free(bc->timer);
    xfree(bc);
    c->bc = NULL;
    c->flags &= ~(uint32_t)SESS_BLOCKED;
    c->srv->blk->nblocked--;
    if (resume) {
        if (c->flags & (SESS_REPLY_SKIP | SESS_REPLY_SKIP_NEXT)) session_reply_step(c);
        argv_reset(&c->args);
        queue_resume(c->srv, c);
    }
}

void block_session_free(session *c)
{
    unblock(c, 0);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    session *c = arg;
    server *s = c->srv;
    server_update_time(s);
    if (!c->bc) return;
    if (!(c->flags & SESS_CLOSE_ASAP)) c->bc->timeout_reply(c);
    unblock(c, 1);
    session_mark_write(c);
}

int block_keeps_waiting(session *c)
{
    return c->bc && (!c->bc->reprocessing || c->bc->reblocked);
}

int block_unblock_client(session *c, int error)
{
    if (!c->bc || c->bc->reprocessing || (c->flags & SESS_CLOSE_ASAP)) return 0;
    if (error) reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else c->bc->timeout_reply(c);
    unblock(c, 1);
    session_mark_write(c);
    return 1;
}

/* ---- serving ---------------------------------------------------------- */

void block_signal_key_ready(server *s, db *d, const char *key)
{
    if (!d->blocking || dict_size(d->blocking) == 0) return;
    waitq *q = dict_fetch(d->blocking, key);
    if (!q || q->ready == 1) return;   /* 2: being served now; list it again */
    block_state *st = state(s);
    q->ready = 1;
    q->ready_next = NULL;
    if (st->ready_tail) st->ready_tail->ready_next = q;
    else st->ready_head = q;
    st->ready_tail = q;
}

void block_signal_db(server *s, db *d)
{
    if (!d->blocking || dict_size(d->blocking) == 0) return;
    dict_iter it;
    dict_iter_init(&it, d->blocking, 1);
    dict_entry *e;
    while ((e = dict_next(&it)) != NULL) block_signal_key_ready(s, d, e->key);
    dict_iter_done(&it);
}

void block_signal_all_keys(server *s, db *d)
{
    if (!d->blocking || dict_size(d->blocking) == 0) return;
    dict_iter it;
    dict_iter_init(&it, d->blocking, 0);
    dict_entry *e;
    while ((e = dict_next(&it)) != NULL) block_signal_key_ready(s, d, e->key);
    dict_iter_done(&it);
}

/* serve runs c's command again; it stays blocked only if the command
 * blocked again (found nothing after all). */
static void serve(block_client *bc)
{
    session *c = bc->c;
    bc->reprocessing = 1;
    bc->reblocked = 0;
    server_call(c, bc->cmd);
    bc->reprocessing = 0;
    if (bc->reblocked) return;
    unblock(c, 1);
    session_mark_write(c);
}

/* serve_key visits the waiters of q, oldest first, serving each whose key
 * now holds the type it waits for. */
static void serve_key(server *s, waitq *q)
{
    size_t n = 0;
    for (waiter *w = q->head; w; w = w->next) n++;
    if (!n) return;
    /* The queue changes as waiters are served: walk a snapshot of ids. */
    uint64_t stack_ids[16];
    uint64_t *ids = n <= 16 ? stack_ids : xmalloc(n * sizeof *ids);
    size_t k = 0;
    for (waiter *w = q->head; w; w = w->next) ids[k++] = w->bc->c->id;
    for (size_t i = 0; i < n; i++) {
        session *c = dict_fetch(s->clients_by_id, (void *)(uintptr_t)ids[i]);
        if (!c || !c->bc) continue;
        int still = 0;
        for (int j = 0; j < c->bc->nw && !still; j++) still = c->bc->w[j].q == q;
        if (!still) continue;
        if (c->flags & SESS_CLOSE_ASAP) {   /* gone: never hand it an element */
            unblock(c, 0);
            continue;
        }
        c->bc->served_key = q->key;
        obj *o = db_lookup_read(s, q->d, q->key, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY);
        if (!o || (int)o->type != c->bc->type) {
            if (c->bc->wake_on_delete) serve(c->bc);   /* it answers with an error */
            continue;
        }
        serve(c->bc);
    }
    if (ids != stack_ids) xfree(ids);
}

void block_handle_ready(server *s)
{
    block_state *st = s->blk;
    if (!st || st->serving || !st->ready_head) return;
    st->serving = 1;
    while (st->ready_head) {
        waitq *q = st->ready_head;
        st->ready_head = q->ready_next;
        if (!st->ready_head) st->ready_tail = NULL;
        q->ready = 0;
        /* Keep q alive while serving: marked ready, drop_waiter leaves it. */
        q->ready = 2;
        serve_key(s, q);
        if (q->ready == 2) q->ready = 0;
        else if (q->ready == 1) continue;   /* re-marked by a served write; stays listed */
        if (!q->head) dict_delete(q->d->blocking, q->key);
    }
    st->serving = 0;
}

void block_before_sleep(server *s)
{
    block_state *st = s->blk;
    if (!st) return;
    for (;;) {
        block_handle_ready(s);
        if (!st->nresume) break;
        /* Swap out the list: resuming may unblock (and queue) others. */
        uint64_t *ids = st->resume;
        size_t n = st->nresume;
        st->resume = NULL;
        st->nresume = st->resume_cap = 0;
        for (size_t i = 0; i < n; i++) {
            session *c = dict_fetch(s->clients_by_id, (void *)(uintptr_t)ids[i]);
            if (!c || (c->flags & (SESS_BLOCKED | SESS_CLOSE_ASAP))) continue;
            if (c->qpos < c->qlen) session_process_input(c);
        }
        xfree(ids);
    }
}
