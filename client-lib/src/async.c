/* async.c — librill's asynchronous client: callbacks on the app's thread.
 *
 * Design notes.
 *
 * One NNG REQ socket (resend disabled) and one dialer, as in the sync
 * client; one nng_ctx + nng_aio per request in flight (an "areq").  NNG
 * completes aios on its own threads.  on_aio never calls user code: it
 * moves the areq to the done list under ac->mu and, if the list was empty,
 * writes the eventfd.  rill_async_process, on the app's thread, drains the
 * eventfd and the done list and runs the callbacks.  That eventfd is the
 * whole contract with the application's loop.
 *
 * Connection state.  The pipe callbacks (NNG threads) only count: ups,
 * downs, npipes, under mu.  A pipe removal also cancels every aio in
 * flight, so those requests fail (RILL_ECLOSED) instead of being resent by
 * NNG to the next pipe (NNG 1.5 resends a request whose pipe closed), and
 * clears link_up so that no user command is handed to NNG until the new
 * connection has been prepared.  process() sees ups change, sends the
 * handshake (AUTH, SELECT, SUBSCRIBE, PSUBSCRIBE), sets link_up, and only
 * then flushes the queue of user commands and resumes the long-poll.
 * Commands are sent under mu, so a removal either sees them in flight
 * (and cancels them) or happens before the send, which then waits in NNG
 * for the next pipe and is its first transmission, never a resend.
 * Between a send completing and its receive being posted, on_aio checks
 * that no removal happened since the send; if one did, the receive is
 * posted with a zero timeout, which makes NNG drop the request.  (The
 * receive is posted only after the send completes: NNG 1.5's REQ context
 * leaves a pending send aio unfinished for ever when a receive posted
 * early is cancelled.)
 *
 * Batches (docs/protocol.md, "Batches").  User commands given while the
 * client is corked (rill_async_cork) wait in the queue, marked packable;
 * flush_queue (from rill_async_uncork, or at the end of
 * rill_async_process when uncorked inside a callback) packs consecutive
 * packable commands into one batch areq (at most RILL_BATCH_MAX commands,
 * about RILL_BATCH_BYTES), which keeps each command's id, callback and
 * argument in subs[] and runs them in order when the batch's reply comes.
 * A batch counts as one in max_in_flight (one NNG context, one message).
 *
 * Ownership: an areq belongs to the app thread while queued, to NNG while
 * in flight (on the inflight list), and to the app thread again once on
 * the done list.  Areqs are recycled through a small free list (their ctx
 * and aio are kept).  Every areq ever allocated is on the `all` list, so
 * close can stop each aio before freeing.
 */
#include "internal.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum { K_USER, K_POLL, K_INTERNAL };
enum { S_IDLE, S_QUEUED, S_SEND, S_RECV, S_DONE };

typedef struct areq {
    rill_async *ac;
    nng_ctx ctx;
    nng_aio *aio;
    int kind, stage, rv, lost;
    uint64_t id;
    unsigned long downs_at_send;
    rill_reply_cb *cb;
    void *arg;
    nng_msg *out;            /* the request while queued */
    nng_msg *in;             /* the reply once done */
    struct areq *next;       /* queue, done list or free list */
    struct areq *iprev, *inext;   /* inflight list (under mu) */
    struct areq *all_next;
    struct asub { uint64_t id; rill_reply_cb *cb; void *arg; } *subs;   /* a batch's commands */
    int nsub;                /* 0: a single request */
    int packable;            /* queued while corked: may share a batch */
} areq;

struct rill_async {
    nng_socket sock;
    nng_dialer dialer;
    int efd;
    rill_async_opts o;
    char *password, *username;

    pthread_mutex_t mu;      /* guards the fields down to `closing` */
    areq *done_head, *done_tail;
    areq *inflight;
    int signalled;
    unsigned long ups, downs;
    int npipes;
    int link_up;
    int timer_fired;
    int closing;

    /* app thread only */
    unsigned long seen_ups, seen_downs;
    int was_up;
    areq *q_head, *q_tail;
    int nqueued, ninflight, nuser_inflight;
    areq *pool;
    int npool;
    areq *all;
    uint64_t next_id;
    rill_subs subs;
    int poll_out, poll_backoff;
    nng_aio *timer;
    int keep;                /* set by rill_async_keep_reply */
    int corked, in_process;
    rill_connect_cb *conn_cb;
    void *conn_arg;
    rill_error_cb *err_cb;
    void *err_arg;
};

static int map_rv(int rv)
{
    switch (rv) {
    case 0: return RILL_OK;
    case NNG_ETIMEDOUT: return RILL_ETIMEDOUT;
    case NNG_ECANCELED: case NNG_ECLOSED: case NNG_ECONNRESET: case NNG_ECONNSHUT: return RILL_ECLOSED;
    case NNG_ENOMEM: return RILL_ENOMEM;
    }
    return RILL_EIO;
}

static void report(rill_async *ac, int err, const char *fmt, ...)
{
    if (!ac->err_cb) return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ac->err_cb(ac, err, buf, ac->err_arg);
}

/* signal_locked wakes the app's loop once per batch (mu held). */
static void signal_locked(rill_async *ac)
{
    if (ac->signalled) return;
    ac->signalled = 1;
    uint64_t one = 1;
    ssize_t n = write(ac->efd, &one, sizeof one);
    (void)n;   /* EAGAIN: the counter is already non-zero, which is all we need */
}

/* ---- NNG threads ------------------------------------------------------------- */

static void inflight_unlink(rill_async *ac, areq *r)
{
    if (r->iprev) r->iprev->inext = r->inext;
    else if (ac->inflight == r) ac->inflight = r->inext;
    if (r->inext) r->inext->iprev = r->iprev;
    r->iprev = r->inext = NULL;
}

static void on_aio(void *arg)
{
    areq *r = arg;
    rill_async *ac = r->ac;
    int rv = nng_aio_result(r->aio);
    pthread_mutex_lock(&ac->mu);
    if (r->stage == S_SEND) {
        if (rv == 0 && !ac->closing) {
            r->stage = S_RECV;
            nng_aio_set_msg(r->aio, NULL);   /* NNG owns the request now */
            if (ac->downs != r->downs_at_send) {
                r->lost = 1;                     /* its pipe went: never let NNG resend it */
                nng_aio_set_timeout(r->aio, NNG_DURATION_ZERO);
            }
            nng_ctx_recv(r->ctx, r->aio);
            pthread_mutex_unlock(&ac->mu);
            return;
        }
        if (rv != 0) {
            nng_msg *m = nng_aio_get_msg(r->aio);   /* not sent: still ours */
            if (m) nng_msg_free(m);
        }
        nng_aio_set_msg(r->aio, NULL);
        if (rv == 0) rv = NNG_ECLOSED;   /* sent, but the client is closing */
    } else if (rv == 0) {
        r->in = nng_aio_get_msg(r->aio);
        nng_aio_set_msg(r->aio, NULL);
    }
    r->rv = rv;
    r->stage = S_DONE;
    inflight_unlink(ac, r);
    r->next = NULL;
    if (ac->done_tail) ac->done_tail->next = r;
    else ac->done_head = r;
    ac->done_tail = r;
    signal_locked(ac);
    pthread_mutex_unlock(&ac->mu);
}

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    rill_async *ac = arg;
    pthread_mutex_lock(&ac->mu);
    if (ev == NNG_PIPE_EV_ADD_POST) {
        ac->npipes++;
        ac->ups++;
    } else if (ev == NNG_PIPE_EV_REM_POST) {
        if (ac->npipes > 0) ac->npipes--;
        ac->downs++;
        ac->link_up = 0;
        /* At most once: what was in flight on the lost pipe fails now. */
        for (areq *r = ac->inflight; r; r = r->inext) {
            r->lost = 1;
            nng_aio_cancel(r->aio);
        }
    }
    signal_locked(ac);
    pthread_mutex_unlock(&ac->mu);
}

static void on_timer(void *arg)
{
    rill_async *ac = arg;
    pthread_mutex_lock(&ac->mu);
    ac->timer_fired = 1;
    signal_locked(ac);
    pthread_mutex_unlock(&ac->mu);
}

/* ---- requests (app thread) ---------------------------------------------------- */

static areq *areq_get(rill_async *ac)
{
    areq *r = ac->pool;
    if (r) {
        ac->pool = r->next;
        ac->npool--;
    } else {
        r = calloc(1, sizeof *r);
        if (!r) return NULL;
        r->ac = ac;
        if (nng_ctx_open(&r->ctx, ac->sock) != 0) {
            free(r);
            return NULL;
        }
        if (nng_aio_alloc(&r->aio, on_aio, r) != 0) {
            nng_ctx_close(r->ctx);
            free(r);
            return NULL;
        }
        r->all_next = ac->all;
        ac->all = r;
    }
    r->stage = S_IDLE;
    r->rv = r->lost = 0;
    r->cb = NULL;
    r->arg = NULL;
    r->out = r->in = NULL;
    r->next = NULL;
    r->subs = NULL;
    r->nsub = r->packable = 0;
    return r;
}

/* areq_put recycles r.  Its messages are freed; its ctx and aio are kept. */
static void areq_put(rill_async *ac, areq *r)
{
    if (r->out) nng_msg_free(r->out);
    if (r->in) nng_msg_free(r->in);
    r->out = r->in = NULL;
    free(r->subs);
    r->subs = NULL;
    r->nsub = 0;
    r->stage = S_IDLE;
    r->next = ac->pool;
    ac->pool = r;
    ac->npool++;
}

static areq *build(rill_async *ac, int kind, rill_reply_cb *cb, void *arg, int argc, const char *const *argv,
                   const size_t *argvlen, int *code)
{
    areq *r = areq_get(ac);
    if (!r) {
        *code = RILL_ENOMEM;
        return NULL;
    }
    size_t n;
    r->id = ac->next_id++;
    void *body = rill_encode_request(r->id, argc, argv, argvlen, &n);
    if (!body || nng_msg_alloc(&r->out, n) != 0) {
        free(body);
        areq_put(ac, r);
        *code = RILL_ENOMEM;
        return NULL;
    }
    memcpy(nng_msg_body(r->out), body, n);
    free(body);
    r->kind = kind;
    r->cb = cb;
    r->arg = arg;
    *code = RILL_OK;
    return r;
}

/* transmit hands r to NNG.  internal requests go even before link_up (they
 * are the handshake); user requests only when the link is prepared.
 * Returns 0, or -1 when the link is not up (r stays the caller's). */
static int transmit(rill_async *ac, areq *r, int internal)
{
    pthread_mutex_lock(&ac->mu);
    if ((!internal && !ac->link_up) || ac->closing) {
        pthread_mutex_unlock(&ac->mu);
        return -1;
    }
    r->stage = S_SEND;
    r->downs_at_send = ac->downs;
    r->inext = ac->inflight;
    r->iprev = NULL;
    if (ac->inflight) ac->inflight->iprev = r;
    ac->inflight = r;
    int t = NNG_DURATION_INFINITE;
    if (r->kind == K_USER && ac->o.command_timeout_ms > 0) t = ac->o.command_timeout_ms;
    if (r->kind == K_POLL) t = ac->o.poll_wait_ms + 10000;   /* a safety net; the server answers by poll_wait_ms */
    nng_aio_set_timeout(r->aio, t);
    nng_aio_set_msg(r->aio, r->out);
    r->out = NULL;
    nng_ctx_send(r->ctx, r->aio);
    pthread_mutex_unlock(&ac->mu);
    ac->ninflight++;
    if (r->kind == K_USER) ac->nuser_inflight += r->nsub ? r->nsub : 1;
    return 0;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7) n++;
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7) *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

/* pack takes the queue's head, and the single requests after it that fit,
 * off the queue: one areq to send (a batch when there were several). */
static areq *pack(rill_async *ac)
{
    areq *h = ac->q_head;
    int k = 0;
    size_t bytes = 0;
    for (areq *r = h; r && r->packable && !r->nsub && k < RILL_BATCH_MAX; r = r->next) {
        size_t e = nng_msg_len(r->out);
        if (k > 0 && bytes + e > RILL_BATCH_BYTES) break;
        bytes += 1 + varint_len(e) + e;
        k++;
    }
    areq *b = k > 1 ? areq_get(ac) : NULL;
    if (b) {
        b->id = ac->next_id++;
        b->subs = malloc((size_t)k * sizeof *b->subs);
        if (!b->subs || nng_msg_alloc(&b->out, 1 + varint_len(b->id) + bytes) != 0) {
            areq_put(ac, b);
            b = NULL;
        }
    }
    if (!b) {   /* one request (or out of memory: send them one by one) */
        ac->q_head = h->next;
        if (!ac->q_head) ac->q_tail = NULL;
        ac->nqueued -= h->nsub ? h->nsub : 1;
        h->next = NULL;
        return h;
    }
    uint8_t *p = nng_msg_body(b->out);
    *p++ = 0x08;   /* Request.id */
    p = put_varint(p, b->id);
    for (int i = 0; i < k; i++) {
        areq *r = ac->q_head;
        ac->q_head = r->next;
        size_t e = nng_msg_len(r->out);
        *p++ = 0x1a;   /* Request.batch, length-delimited */
        p = put_varint(p, e);
        memcpy(p, nng_msg_body(r->out), e);
        p += e;
        b->subs[i] = (struct asub){r->id, r->cb, r->arg};
        areq_put(ac, r);
    }
    if (!ac->q_head) ac->q_tail = NULL;
    ac->nqueued -= k;
    b->nsub = k;
    b->kind = K_USER;
    return b;
}

static void flush_queue(rill_async *ac)
{
    while (ac->q_head && ac->ninflight < ac->o.max_in_flight) {
        areq *r = pack(ac);
        if (transmit(ac, r, 0) != 0) {   /* not connected: back at the head */
            r->stage = S_QUEUED;
            r->next = ac->q_head;
            ac->q_head = r;
            if (!ac->q_tail) ac->q_tail = r;
            ac->nqueued += r->nsub ? r->nsub : 1;
            return;
        }
    }
}

/* internal sends one of the library's own requests now (handshake, POLL,
 * subscription changes).  They bypass the queue: they must precede queued
 * user commands on a new connection. */
static void internal(rill_async *ac, int kind, int argc, const char *const *argv, const size_t *lens)
{
    int code;
    areq *r = build(ac, kind, NULL, NULL, argc, argv, lens, &code);
    if (!r) {
        report(ac, code, "%s: %s", argv[0], rill_strerror(code));
        return;
    }
    if (transmit(ac, r, 1) != 0) {
        areq_put(ac, r);
        return;
    }
    if (kind == K_POLL) ac->poll_out = 1;
}

static void maybe_poll(rill_async *ac)
{
    if (ac->poll_out || ac->poll_backoff || !ac->was_up) return;
    if (ac->subs.nchannels + ac->subs.npatterns == 0) return;
    char wait[24], batch[24];
    snprintf(wait, sizeof wait, "%d", ac->o.poll_wait_ms);
    snprintf(batch, sizeof batch, "%d", ac->o.poll_batch);
    const char *argv[] = {"POLL", wait, batch};
    internal(ac, K_POLL, 3, argv, NULL);
}

static void dispatch_pushes(rill_async *ac, const rill_reply *r)
{
    if (!r || (r->type != RILL_REPLY_ARRAY && r->type != RILL_REPLY_PUSH)) return;
    if (r->type == RILL_REPLY_PUSH) {
        rill_message m;
        if (!rill_parse_message(r, &m)) return;
        int pat = m.pattern != NULL;
        rill_sub *s = pat ? rill_subs_find(&ac->subs, m.pattern, m.pattern_len, 1)
                          : rill_subs_find(&ac->subs, m.channel, m.channel_len, 0);
        if (s && s->cb) s->cb(ac, &m, s->arg);
        return;
    }
    for (size_t i = 0; i < r->nelem; i++)
        if (r->elem[i]->type == RILL_REPLY_PUSH) dispatch_pushes(ac, r->elem[i]);
}

static void handshake(rill_async *ac, unsigned long downs_seen)
{
    if (ac->password) {
        const char *a[] = {"AUTH", ac->username ? ac->username : ac->password, ac->password};
        internal(ac, K_INTERNAL, ac->username ? 3 : 2, a, NULL);
    }
    if (ac->o.db > 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", ac->o.db);
        const char *a[] = {"SELECT", db};
        internal(ac, K_INTERNAL, 2, a, NULL);
    }
    for (int pat = 0; pat <= 1; pat++) {
        const char **argv;
        size_t *lens;
        int n = rill_subs_argv(&ac->subs, pat, &argv, &lens);
        if (n < 0) report(ac, RILL_ENOMEM, "re-subscribing: out of memory");
        if (n > 0) internal(ac, K_INTERNAL, n, argv, lens);
        free(argv);
        free(lens);
    }
    pthread_mutex_lock(&ac->mu);
    if (ac->downs == downs_seen) ac->link_up = 1;
    pthread_mutex_unlock(&ac->mu);
}

/* complete runs r's callback (or the library's own handling) and recycles it. */
static void complete_batch(rill_async *ac, areq *r)
{
    ac->nuser_inflight -= r->nsub;
    int code = RILL_OK;
    char err[160] = "";
    rill_reply *stack[64], **replies = r->nsub <= 64 ? stack : calloc((size_t)r->nsub, sizeof *replies);
    uint64_t idstack[64], *ids = r->nsub <= 64 ? idstack : calloc((size_t)r->nsub, sizeof *ids);
    if (!replies || !ids) {
        code = RILL_ENOMEM;
    } else if (r->rv != 0) {
        code = r->lost ? RILL_ECLOSED : map_rv(r->rv);
    } else {
        for (int i = 0; i < r->nsub; i++) ids[i] = r->subs[i].id;
        uint64_t id = 0;
        code = rill_decode_batch_reply(nng_msg_body(r->in), nng_msg_len(r->in), &id, (size_t)r->nsub, ids, replies,
                                       err, sizeof err);
        if (code == RILL_OK && id != r->id) {
            for (int i = 0; i < r->nsub; i++) rill_reply_free(replies[i]);
            code = RILL_EPROTO;
        }
    }
    for (int i = 0; i < r->nsub; i++) {
        rill_reply *reply = code == RILL_OK ? replies[i] : NULL;
        if (r->subs[i].cb) {
            ac->keep = 0;
            r->subs[i].cb(ac, code, reply, r->subs[i].arg);
            if (ac->keep) reply = NULL;
        }
        rill_reply_free(reply);
    }
    if (replies != stack) free(replies);
    if (ids != idstack) free(ids);
    areq_put(ac, r);
}

static void complete(rill_async *ac, areq *r)
{
    nng_aio_wait(r->aio);   /* on_aio may still be returning: reuse the aio only after */
    ac->ninflight--;
    if (r->nsub) {
        complete_batch(ac, r);
        return;
    }
    if (r->kind == K_USER) ac->nuser_inflight--;
    int code = RILL_OK;
    rill_reply *reply = NULL;
    char err[160] = "";
    if (r->rv != 0) {
        code = r->lost ? RILL_ECLOSED : map_rv(r->rv);
        snprintf(err, sizeof err, "%s", r->lost ? "connection lost; the command may have run" : nng_strerror(r->rv));
    } else {
        uint64_t id = 0;
        code = rill_decode_reply(nng_msg_body(r->in), nng_msg_len(r->in), &id, &reply, err, sizeof err);
        if (code == RILL_OK && id != r->id) {
            rill_reply_free(reply);
            reply = NULL;
            code = RILL_EPROTO;
            snprintf(err, sizeof err, "reply id %llu for request %llu", (unsigned long long)id, (unsigned long long)r->id);
        }
    }
    if (r->kind == K_USER) {
        if (r->cb) {
            ac->keep = 0;
            r->cb(ac, code, reply, r->arg);
            if (ac->keep) reply = NULL;
        }
    } else {
        if (r->kind == K_POLL) ac->poll_out = 0;
        if (code == RILL_OK && reply->type == RILL_REPLY_ERROR) {
            report(ac, RILL_OK, "%s", reply->str);
            if (r->kind == K_POLL && !ac->poll_backoff) {   /* no hot loop against a server without POLL */
                ac->poll_backoff = 1;
                nng_sleep_aio(1000, ac->timer);
            }
        } else if (code == RILL_OK) {
            dispatch_pushes(ac, reply);
        } else if (code != RILL_ECLOSED) {
            report(ac, code, "%s", err);
        }
    }
    rill_reply_free(reply);
    areq_put(ac, r);
}

/* ---- public API ------------------------------------------------------------------ */

int rill_async_connect(const char *url, const rill_async_opts *opts, rill_async **out)
{
    if (out) *out = NULL;
    if (!url || !out) return RILL_EINVAL;
    rill_async *ac = calloc(1, sizeof *ac);
    if (!ac) return RILL_ENOMEM;
    if (opts) ac->o = *opts;
    if (ac->o.reconnect_min_ms <= 0) ac->o.reconnect_min_ms = 50;
    if (ac->o.reconnect_max_ms <= 0) ac->o.reconnect_max_ms = 2000;
    if (ac->o.poll_wait_ms <= 0) ac->o.poll_wait_ms = 1000;
    if (ac->o.poll_batch <= 0) ac->o.poll_batch = 256;
    if (ac->o.max_queued <= 0) ac->o.max_queued = 65536;
    if (ac->o.max_in_flight <= 0 || ac->o.max_in_flight > RILL_MAX_PIPELINE) ac->o.max_in_flight = RILL_MAX_PIPELINE;
    ac->password = ac->o.password ? strdup(ac->o.password) : NULL;
    ac->username = ac->o.username ? strdup(ac->o.username) : NULL;
    ac->next_id = 1;
    ac->efd = -1;
    pthread_mutex_init(&ac->mu, NULL);
    int code = RILL_OK, rv;
    if ((ac->o.password && !ac->password) || (ac->o.username && !ac->username)) {
        code = RILL_ENOMEM;
        goto fail;
    }
    ac->o.password = ac->o.username = NULL;
    if ((ac->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        code = RILL_EIO;
        goto fail;
    }
    if (nng_aio_alloc(&ac->timer, on_timer, ac) != 0) {
        code = RILL_ENOMEM;
        goto fail;
    }
    if ((rv = nng_req0_open(&ac->sock)) != 0) {
        code = map_rv(rv);
        goto fail;
    }
    nng_socket_set_ms(ac->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    nng_socket_set_size(ac->sock, NNG_OPT_RECVMAXSZ, 0);
    nng_pipe_notify(ac->sock, NNG_PIPE_EV_ADD_POST, on_pipe, ac);
    nng_pipe_notify(ac->sock, NNG_PIPE_EV_REM_POST, on_pipe, ac);
    if (nng_dialer_create(&ac->dialer, ac->sock, url) != 0) {
        code = RILL_ECONNECT;
        goto fail_sock;
    }
    nng_dialer_set_ms(ac->dialer, NNG_OPT_RECONNMINT, ac->o.reconnect_min_ms);
    nng_dialer_set_ms(ac->dialer, NNG_OPT_RECONNMAXT, ac->o.reconnect_max_ms);
    nng_dialer_set_size(ac->dialer, NNG_OPT_RECVMAXSZ, 0);
    if ((rv = nng_dialer_start(ac->dialer, NNG_FLAG_NONBLOCK)) != 0) {
        code = RILL_ECONNECT;
        goto fail_sock;
    }
    *out = ac;
    return RILL_OK;
fail_sock:
    nng_close(ac->sock);
fail:
    if (ac->timer) nng_aio_free(ac->timer);
    if (ac->efd >= 0) close(ac->efd);
    pthread_mutex_destroy(&ac->mu);
    free(ac->password);
    free(ac->username);
    free(ac);
    return code;
}

int rill_async_fd(const rill_async *ac) { return ac ? ac->efd : -1; }
int rill_async_pending(const rill_async *ac) { return ac ? ac->nqueued + ac->nuser_inflight : 0; }
int rill_async_connected(const rill_async *ac) { return ac ? ac->was_up : 0; }
void rill_async_keep_reply(rill_async *ac) { if (ac) ac->keep = 1; }

void rill_async_set_connect_cb(rill_async *ac, rill_connect_cb *cb, void *arg)
{
    ac->conn_cb = cb;
    ac->conn_arg = arg;
}

void rill_async_set_error_cb(rill_async *ac, rill_error_cb *cb, void *arg)
{
    ac->err_cb = cb;
    ac->err_arg = arg;
}

int rill_async_process(rill_async *ac)
{
    if (!ac) return 0;
    pthread_mutex_lock(&ac->mu);
    uint64_t v;
    ssize_t n = read(ac->efd, &v, sizeof v);
    (void)n;
    areq *done = ac->done_head;
    ac->done_head = ac->done_tail = NULL;
    ac->signalled = 0;
    unsigned long ups = ac->ups, downs = ac->downs;
    int npipes = ac->npipes, fired = ac->timer_fired;
    ac->timer_fired = 0;
    pthread_mutex_unlock(&ac->mu);

    int ran = 0;
    ac->in_process++;   /* rill_async_uncork in a callback: packed once the callbacks return */
    while (done) {
        areq *r = done;
        done = r->next;
        if (r->kind == K_USER) ran += r->nsub ? r->nsub : 1;
        complete(ac, r);
    }
    ac->in_process--;
    if (downs != ac->seen_downs) {
        ac->seen_downs = downs;
        if (ac->was_up) {
            ac->was_up = 0;
            if (ac->conn_cb) ac->conn_cb(ac, 0, ac->conn_arg);
        }
    }
    if (ups != ac->seen_ups) {
        ac->seen_ups = ups;
        if (npipes > 0 && !ac->was_up) {
            handshake(ac, downs);
            ac->was_up = 1;
            if (ac->conn_cb) ac->conn_cb(ac, 1, ac->conn_arg);
        }
    }
    if (fired) ac->poll_backoff = 0;
    flush_queue(ac);
    maybe_poll(ac);
    return ran;
}

int rill_async_command(rill_async *ac, rill_reply_cb *cb, void *arg, int argc, const char *const *argv,
                       const size_t *argvlen)
{
    if (!ac || argc < 1 || !argv) return RILL_EINVAL;
    if (ac->closing) return RILL_ESTATE;
    if (ac->nqueued >= ac->o.max_queued) return RILL_ESTATE;
    int code;
    areq *r = build(ac, K_USER, cb, arg, argc, argv, argvlen, &code);
    if (!r) return code;
    if (!ac->q_head && !ac->corked && ac->ninflight < ac->o.max_in_flight && transmit(ac, r, 0) == 0)
        return RILL_OK;
    r->packable = ac->corked;
    r->stage = S_QUEUED;
    if (ac->q_tail) ac->q_tail->next = r;
    else ac->q_head = r;
    ac->q_tail = r;
    ac->nqueued++;
    return RILL_OK;
}

void rill_async_cork(rill_async *ac)
{
    if (ac) ac->corked = 1;
}

void rill_async_uncork(rill_async *ac)
{
    if (!ac) return;
    ac->corked = 0;
    if (!ac->in_process) flush_queue(ac);
}

int rill_async_commandf(rill_async *ac, rill_reply_cb *cb, void *arg, const char *fmt, ...)
{
    if (!ac || !fmt) return RILL_EINVAL;
    rill_fargs fa;
    va_list ap;
    va_start(ap, fmt);
    int code = rill_format_argv(&fa, fmt, ap, NULL, 0);
    va_end(ap);
    if (code != RILL_OK) return code;
    code = rill_async_command(ac, cb, arg, fa.argc, fa.argv, fa.lens);
    rill_format_free(&fa);
    return code;
}

static int sub_change(rill_async *ac, const char *name, int pattern, int add, rill_message_cb *cb, void *arg)
{
    if (!ac || !name || ac->closing || (add && !cb)) return RILL_EINVAL;
    size_t len = strlen(name);
    int existed = rill_subs_find(&ac->subs, name, len, pattern) != NULL;
    if (add) {
        if (rill_subs_add(&ac->subs, name, len, pattern, cb, arg) != 0) return RILL_ENOMEM;
        if (existed) return RILL_OK;
    } else {
        if (!rill_subs_remove(&ac->subs, name, len, pattern)) return RILL_EINVAL;
    }
    pthread_mutex_lock(&ac->mu);
    int up = ac->link_up;
    pthread_mutex_unlock(&ac->mu);
    if (up) {   /* else the next handshake subscribes from the registry */
        const char *cmd = add ? (pattern ? "PSUBSCRIBE" : "SUBSCRIBE") : (pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE");
        const char *argv[] = {cmd, name};
        internal(ac, K_INTERNAL, 2, argv, NULL);
    }
    maybe_poll(ac);
    return RILL_OK;
}

int rill_async_subscribe(rill_async *ac, const char *channel, rill_message_cb *cb, void *arg)
{
    return sub_change(ac, channel, 0, 1, cb, arg);
}

int rill_async_psubscribe(rill_async *ac, const char *pattern, rill_message_cb *cb, void *arg)
{
    return sub_change(ac, pattern, 1, 1, cb, arg);
}

int rill_async_unsubscribe(rill_async *ac, const char *channel) { return sub_change(ac, channel, 0, 0, NULL, NULL); }
int rill_async_punsubscribe(rill_async *ac, const char *pattern) { return sub_change(ac, pattern, 1, 0, NULL, NULL); }

static void cancel_cbs(rill_async *ac, areq *r)
{
    if (r->nsub) {
        for (int i = 0; i < r->nsub; i++)
            if (r->subs[i].cb) r->subs[i].cb(ac, RILL_ECANCELED, NULL, r->subs[i].arg);
    } else if (r->cb) {
        r->cb(ac, RILL_ECANCELED, NULL, r->arg);
    }
}

void rill_async_close(rill_async *ac)
{
    if (!ac) return;
    pthread_mutex_lock(&ac->mu);
    ac->closing = 1;
    pthread_mutex_unlock(&ac->mu);
    nng_close(ac->sock);
    nng_aio_stop(ac->timer);
    for (areq *r = ac->all; r; r = r->all_next) nng_aio_stop(r->aio);   /* no callback runs after this */
    areq *done = ac->done_head;
    ac->done_head = ac->done_tail = NULL;
    while (done) {
        areq *r = done;
        done = r->next;
        if (r->kind == K_USER) cancel_cbs(ac, r);
    }
    while (ac->q_head) {
        areq *r = ac->q_head;
        ac->q_head = r->next;
        cancel_cbs(ac, r);
    }
    while (ac->all) {
        areq *r = ac->all;
        ac->all = r->all_next;
        if (r->out) nng_msg_free(r->out);
        if (r->in) nng_msg_free(r->in);
        nng_aio_free(r->aio);
        free(r->subs);
        free(r);
    }
    nng_aio_free(ac->timer);
    rill_subs_clear(&ac->subs);
    close(ac->efd);
    pthread_mutex_destroy(&ac->mu);
    free(ac->password);
    free(ac->username);
    free(ac);
}
