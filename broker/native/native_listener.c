/* native_listener.c — the native protocol: NNG REQ/REP carrying protobuf.
 *
 * One NNG *raw* REP socket listens on every native-listen URL.  Raw mode
 * hands us each request with its routing header (the pipe id and the
 * requester's backtrace) and lets any number of requests be outstanding per
 * connection; a reply is routed by copying that header onto it.  The core
 * thread polls the socket through NNG_OPT_RECVFD / NNG_OPT_SENDFD inside the
 * libevent loop and receives and sends with NNG_FLAG_NONBLOCK: no locks on
 * the command path, no thread hop.
 *
 * A connection is an NNG pipe.  Its session is created when its first
 * request arrives and ends when NNG reports the pipe removed.  That report
 * (NNG_PIPE_EV_REM_POST) comes on an NNG thread, which must not touch
 * sessions: the callback appends the pipe id to a small mutex-protected
 * queue and wakes the core through an eventfd watched by libevent.  The
 * core drains that queue before each batch of receives.  Requests of a
 * removed pipe may still sit in the socket's receive queue after its
 * removal was reported; the ids of recently removed pipes are kept in a
 * ring, so such requests are dropped instead of opening a new session.
 *
 * Each request runs exactly as a RESP one does (server_process_command);
 * the session's reply_ops (native_codec.c) build a Value tree, which is
 * encoded into a Reply carrying the request's id and sent as soon as the
 * command returns.  When the socket's send queue is full the reply waits
 * in the listener's queue (in order) until SENDFD reports room.
 *
 * Parked requests (docs/protocol.md).  A command that blocks (blocking.h)
 * keeps its request message in nc->parked and the builder stays active, so
 * the reply written when it is served or times out lands in the tree; the
 * unblock marks the session for writing and native_flush (before-sleep)
 * sends it.  While a request is parked, later requests of the session wait
 * undecoded in nc->waiting (bounded by client-query-buffer-limit) and run
 * from the listener's run event once it is answered: a session's requests
 * run in order, as over RESP.  POLL is the exception: handled on arrival.
 *
 * Pushes (pub/sub messages) reach a native session as raw RESP through
 * reply_raw; the builder's on_push hook appends them to the session's
 * output buffer, which serves as the outbox: so client-output-buffer-limit,
 * CLIENT LIST's omem and INFO count it exactly as for a RESP subscriber.
 * A parked POLL (nc->poll) is answered from it: the RESP aggregates are
 * turned back into PUSH values (native_parse_push), at most max-batch.
 *
 * appendfsync always: a reply produced while the session waits for the
 * log (SESS_AOF_WAIT, set by aof.c during the command) goes to nc->held
 * instead of the socket, and so does every later reply of the session
 * until the release marks it for writing and native_flush sends them in
 * order.  c->fe_pending tells before-sleep to call native_flush although
 * the output buffer is empty (parked, held or waiting requests).
 *
 * A listen failure is fatal when native-listen was configured; with the
 * default it is logged and the server runs without native clients, so
 * several servers can run side by side (decisions.md).
 */
#include "listener.h"
#include "server.h"
#include "session.h"
#include "alloc.h"
#include "command.h"
#include "log.h"
#include "object.h"
#include "native_codec.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NATIVE_DEFAULT_LISTEN "tcp://127.0.0.1:7379 ipc://rill.sock"
#define MAX_RECV_PER_CALL 1024
#define DEAD_RING 4096
#define MAX_URLS 16
#define POLL_DEFAULT_BATCH 1024

typedef struct outmsg {
    nng_msg *m;
    struct outmsg *next;
} outmsg;

/* A FIFO of NNG messages. */
typedef struct msgq {
    outmsg *head, *tail;
    long len;
} msgq;

typedef struct native_listener {
    server *s;
    nng_socket sock;
    int sock_open;
    struct event *rev, *wev, *nev;
    struct event *kev;              /* run event: requests that waited behind a parked one */
    int efd;                        /* eventfd: pipe removals queued */
    /* Non-blocking send and receive through two long-lived aios with a
     * zero timeout: what nng_sendmsg/nng_recvmsg(NNG_FLAG_NONBLOCK) do,
     * without their aio allocation per message (a calloc and a getrandom
     * system call each, in NNG 1.5). */
    nng_aio *raio, *saio;

    /* Filled by NNG threads under mu; drained by the core. */
    pthread_mutex_t mu;
    uint32_t *removed;
    int nremoved, capremoved;

    dict *conns;                    /* pipe id -> native_conn */
    uint32_t dead[DEAD_RING];       /* recently removed pipe ids */
    int dead_pos;

    msgq outq;                      /* replies waiting for room */
    uint32_t *runq;                 /* pipe ids whose waiting requests may run */
    int nrunq, caprunq;
    argv_t scratch;                 /* decoding a request that arrives while another is parked */
    char *ipc[MAX_URLS];            /* socket files we listen on: removed at close */
    int nipc;
} native_listener;

/* A batch request being run (docs/protocol.md, "Batches"): its entries run
 * in order; their replies collect here and leave as one message. */
typedef struct nbatch {
    nng_msg *m;                     /* the batch's request: routing header, entries in its body */
    uint64_t id;
    native_span *spans;
    int n, next;                    /* entries; the next to run (0..next-1 are answered) */
    uint64_t *ids;
    uint8_t *out;                   /* the answered entries, encoded (Reply.batch fields) */
    size_t outlen, outcap;
    int parked;                     /* entry `next` is parked */
} nbatch;

typedef struct native_conn {
    native_builder b;               /* first: native_reply_ops finds it at c->fe_state */
    native_listener *l;             /* NULL once the listener closed */
    session *c;
    nng_pipe pipe;
    uint32_t pipe_id;
    int keep_pipe;                  /* QUIT: end the session, leave the pipe to reconnect */
    int quit_pending;               /* QUIT answered but held: end the session once sent */

    nng_msg *parked;                /* the blocked command's request (its routing header) */
    nbatch *batch;                  /* the batch being run (waiting for its parked entry, maybe) */
    uint64_t parked_id;
    msgq waiting;                   /* later requests, undecoded, run once unparked */
    size_t waiting_bytes;
    msgq held;                      /* encoded replies waiting for the append log */

    nng_msg *poll;                  /* the parked POLL */
    uint64_t poll_id;
    long poll_batch;
    struct event *poll_timer;
} native_conn;

static int native_flush(session *c);
static void native_close(session *c);
static void native_pause(session *c) {}
static void native_resume(session *c) {}

static const session_ops native_session_ops = {
    .name = "native",
    .flush = native_flush,
    .close = native_close,
    .pause_read = native_pause,
    .resume_read = native_resume,
};

static uint64_t pipe_hash(const void *key)
{
    uint64_t x = (uint64_t)(uintptr_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static const dict_type pipe_dict_type = {.hash = pipe_hash};

/* ---- message queues ------------------------------------------------------ */

static void msgq_push(msgq *q, nng_msg *m)
{
    outmsg *o = xmalloc(sizeof *o);
    o->m = m;
    o->next = NULL;
    if (q->tail) q->tail->next = o;
    else q->head = o;
    q->tail = o;
    q->len++;
}

static nng_msg *msgq_pop(msgq *q)
{
    outmsg *o = q->head;
    if (!o) return NULL;
    q->head = o->next;
    if (!q->head) q->tail = NULL;
    q->len--;
    nng_msg *m = o->m;
    xfree(o);
    return m;
}

static void msgq_free(msgq *q)
{
    nng_msg *m;
    while ((m = msgq_pop(q)) != NULL) nng_msg_free(m);
}

/* ---- pipe events (NNG threads) ----------------------------------------- */

static void on_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    native_listener *l = arg;
    if (ev != NNG_PIPE_EV_REM_POST) return;
    pthread_mutex_lock(&l->mu);
    if (l->nremoved == l->capremoved) {
        int cap = l->capremoved ? l->capremoved * 2 : 64;
        uint32_t *n = realloc(l->removed, cap * sizeof *n);   /* not xrealloc: no exit on an NNG thread */
        if (!n) {
            pthread_mutex_unlock(&l->mu);
            return;
        }
        l->removed = n;
        l->capremoved = cap;
    }
    l->removed[l->nremoved++] = (uint32_t)nng_pipe_id(p);
    pthread_mutex_unlock(&l->mu);
    uint64_t one = 1;
    if (write(l->efd, &one, sizeof one) < 0) { /* the counter is already set: the core will look */ }
}

/* ---- sessions ---------------------------------------------------------- */

static int is_dead(native_listener *l, uint32_t id)
{
    for (int i = 0; i < DEAD_RING; i++)
        if (l->dead[i] == id) return 1;
    return 0;
}

static void mark_dead(native_listener *l, uint32_t id)
{
    l->dead[l->dead_pos] = id;
    l->dead_pos = (l->dead_pos + 1) % DEAD_RING;
}

static void fmt_nng_addr(const nng_sockaddr *sa, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN];
    switch (sa->s_family) {
    case NNG_AF_INET:
        inet_ntop(AF_INET, &sa->s_in.sa_addr, host, sizeof host);
        snprintf(out, len, "%s:%d", host, ntohs(sa->s_in.sa_port));
        break;
    case NNG_AF_INET6:
        inet_ntop(AF_INET6, sa->s_in6.sa_addr, host, sizeof host);
        snprintf(out, len, "[%s]:%d", host, ntohs(sa->s_in6.sa_port));
        break;
    case NNG_AF_IPC:
        snprintf(out, len, "%.*s:0", (int)(len > 3 ? len - 3 : 0), sa->s_ipc.sa_path);
        break;
    default:
        snprintf(out, len, "native:0");
    }
}

static void on_push(session *c, const void *p, size_t n);

static native_conn *conn_new(native_listener *l, nng_pipe p)
{
    server *s = l->s;
    native_conn *nc = xcalloc(1, sizeof *nc);
    native_builder_init(&nc->b);
    nc->b.on_push = on_push;
    nc->l = l;
    nc->pipe = p;
    nc->pipe_id = (uint32_t)nng_pipe_id(p);
    session *c = session_new(s, &native_session_ops, -1);
    c->fe_state = nc;
    c->rops = &native_reply_ops;
    c->resp = 3;               /* the value tree is RESP3's model */
    nc->c = c;
    nng_sockaddr sa;
    if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) == 0) fmt_nng_addr(&sa, c->addr, sizeof c->addr);
    else snprintf(c->addr, sizeof c->addr, "native:%u", nc->pipe_id);
    if (nng_pipe_get_addr(p, NNG_OPT_LOCADDR, &sa) == 0) fmt_nng_addr(&sa, c->laddr, sizeof c->laddr);
    dict_add(l->conns, (void *)(uintptr_t)nc->pipe_id, nc);
    s->stat.numconnections++;
    log_verbose("Accepted native %s (pipe %u)", c->addr, nc->pipe_id);
    return nc;
}

static void schedule_run(native_listener *l, uint32_t pipe_id)
{
    if (l->nrunq == l->caprunq) {
        l->caprunq = l->caprunq ? l->caprunq * 2 : 16;
        l->runq = xrealloc(l->runq, (size_t)l->caprunq * sizeof *l->runq);
    }
    l->runq[l->nrunq++] = pipe_id;
    event_active(l->kev, EV_TIMEOUT, 0);
}

static void batch_free(nbatch *b)
{
    nng_msg_free(b->m);
    xfree(b->spans);
    xfree(b->ids);
    xfree(b->out);
    xfree(b);
}

/* native_close: the session is being freed (core only).  Whatever it had
 * parked or waiting goes with it. */
static void native_close(session *c)
{
    native_conn *nc = c->fe_state;
    if (!nc) return;
    native_listener *l = nc->l;
    if (nc->parked) nng_msg_free(nc->parked);
    if (nc->batch) batch_free(nc->batch);
    if (nc->poll) nng_msg_free(nc->poll);
    if (nc->poll_timer) event_free(nc->poll_timer);
    msgq_free(&nc->held);
    if (l) {
        if (dict_fetch(l->conns, (void *)(uintptr_t)nc->pipe_id) == nc)   /* not after QUIT: a new one may be there */
            dict_delete(l->conns, (void *)(uintptr_t)nc->pipe_id);
        if (!nc->keep_pipe) {
            mark_dead(l, nc->pipe_id);   /* requests still queued from it are dropped */
            nng_pipe_close(nc->pipe);
        }
    }
    msgq_free(&nc->waiting);
    native_builder_free(&nc->b);
    xfree(nc);
    c->fe_state = NULL;
    c->fe_pending = 0;
}

/* pipe_gone: NNG reported pipe id gone. */
static void pipe_gone(native_listener *l, uint32_t id)
{
    mark_dead(l, id);
    native_conn *nc = dict_fetch(l->conns, (void *)(uintptr_t)id);
    if (nc) {
        log_verbose("Native client gone id=%llu addr=%s", (unsigned long long)nc->c->id, nc->c->addr);
        nc->keep_pipe = 1;   /* already gone */
        nc->quit_pending = 0;
        session_close_async(nc->c);
    }
}

static void drain_removed(native_listener *l)
{
    uint64_t cnt;
    if (read(l->efd, &cnt, sizeof cnt) < 0) { /* EAGAIN: nothing new */ }
    pthread_mutex_lock(&l->mu);
    int n = l->nremoved;
    uint32_t buf[256];
    int take = n < 256 ? n : 256;
    if (take) {
        memcpy(buf, l->removed, take * sizeof *buf);
        memmove(l->removed, l->removed + take, (n - take) * sizeof *buf);
    }
    l->nremoved = n - take;
    pthread_mutex_unlock(&l->mu);
    if (n > take) {   /* more left: come back at once */
        uint64_t one = 1;
        if (write(l->efd, &one, sizeof one) < 0) {}
    }
    for (int i = 0; i < take; i++) pipe_gone(l, buf[i]);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    drain_removed(arg);
}

/* ---- sending ------------------------------------------------------------ */

/* try_send hands m to NNG; 1 sent (or dropped for good), 0 no room. */
static int try_send(native_listener *l, nng_msg *m)
{
    size_t n = nng_msg_len(m);
    nng_aio_set_msg(l->saio, m);
    nng_send_aio(l->sock, l->saio);
    nng_aio_wait(l->saio);
    int rv = nng_aio_result(l->saio);
    if (rv == NNG_ETIMEDOUT) return 0;   /* no room (zero timeout); m is still ours */
    if (rv != 0) {
        log_verbose("Native send failed: %s", nng_strerror(rv));
        nng_msg_free(m);   /* ownership stays with us on failure */
        return 1;
    }
    l->s->stat.net_output_bytes += (long long)n;
    l->s->stat.total_writes++;
    return 1;
}

static void send_reply(native_listener *l, nng_msg *m)
{
    if (l->outq.head || !try_send(l, m)) {
        msgq_push(&l->outq, m);
        event_add(l->wev, NULL);
    }
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    native_listener *l = arg;
    while (l->outq.head) {
        if (!try_send(l, l->outq.head->m)) return;
        outmsg *o = l->outq.head;
        o->m = NULL;   /* handed over */
        l->outq.head = o->next;
        if (!l->outq.head) l->outq.tail = NULL;
        l->outq.len--;
        xfree(o);
    }
    event_del(l->wev);
}

/* build_reply encodes Reply{id, v} routed like req (NULL: out of memory). */
static nng_msg *build_reply(native_conn *nc, nng_msg *req, uint64_t id, const Rill__Value *v)
{
    size_t n = native_reply_size(id, v);
    nng_msg *r;
    if (nng_msg_alloc(&r, n) != 0) {
        log_warning("Native reply: out of memory for %zu bytes", n);
        return NULL;
    }
    native_encode_reply(id, v, nng_msg_body(r));
    if (nng_msg_header_append(r, nng_msg_header(req), nng_msg_header_len(req)) != 0) {
        nng_msg_free(r);
        return NULL;
    }
    if (nc) nc->c->net_out += (long long)n;
    return r;
}

static void update_pending(native_conn *nc)
{
    nc->c->fe_pending = nc->parked || nc->batch || nc->held.head || nc->waiting.head || nc->quit_pending;
}

/* answer sends the reply to req, or holds it while the session waits for
 * the append log (and behind replies already held, to keep their order). */
static void deliver(native_listener *l, native_conn *nc, nng_msg *r, int may_hold)
{
    if (nc && may_hold && ((nc->c->flags & SESS_AOF_WAIT) || nc->held.head)) {
        msgq_push(&nc->held, r);
        update_pending(nc);
        return;
    }
    send_reply(l, r);
}

static void answer(native_listener *l, native_conn *nc, nng_msg *req, uint64_t id, const Rill__Value *v, int may_hold)
{
    nng_msg *r = build_reply(nc, req, id, v);
    if (r) deliver(l, nc, r, may_hold);
}

static void reply_error_now(native_listener *l, native_conn *nc, nng_msg *req, uint64_t id, const char *msg)
{
    Rill__Value v = RILL__VALUE__INIT;
    v.kind = RILL__VALUE__KIND__ERROR;
    v.str.data = (uint8_t *)msg;
    v.str.len = strlen(msg);
    l->s->stat.total_error_replies++;
    answer(l, nc, req, id, &v, 1);
}

/* ---- POLL ---------------------------------------------------------------- */

/* on_push: a pub/sub message for c (raw RESP): into the outbox. */
static void on_push(session *c, const void *p, size_t n)
{
    session_out(c, p, n);
    session_mark_write(c);   /* checks the output-buffer limit; the flush answers a parked POLL */
}

static void poll_done(native_conn *nc)
{
    nng_msg_free(nc->poll);
    nc->poll = NULL;
    if (nc->poll_timer) evtimer_del(nc->poll_timer);
}

/* answer_poll answers the parked POLL with what the outbox holds (up to
 * its batch; nothing: an empty ARRAY). */
static void answer_poll(native_conn *nc)
{
    session *c = nc->c;
    Rill__Value arr = RILL__VALUE__INIT;
    arr.kind = RILL__VALUE__KIND__ARRAY;
    size_t cap = 0;
    while ((long)arr.n_elems < nc->poll_batch && session_out_pending(c)) {
        Rill__Value *v;
        size_t k = native_parse_push(c->obuf + c->osent, session_out_pending(c), &v);
        if (!k) {   /* cannot happen (on_push takes whole aggregates): drop the rest, loudly */
            log_warning("Native client id=%llu: unreadable push in the outbox; %zu bytes dropped",
                        (unsigned long long)c->id, session_out_pending(c));
            session_out_sent(c, session_out_pending(c));
            break;
        }
        if (arr.n_elems == cap) {
            cap = cap ? cap * 2 : 16;
            arr.elems = xrealloc(arr.elems, cap * sizeof *arr.elems);
        }
        arr.elems[arr.n_elems++] = v;
        session_out_sent(c, k);
    }
    answer(nc->l, nc, nc->poll, nc->poll_id, &arr, 0);
    for (size_t i = 0; i < arr.n_elems; i++) native_value_free(arr.elems[i]);
    xfree(arr.elems);
    poll_done(nc);
}

static void on_poll_timeout(evutil_socket_t fd, short what, void *arg)
{
    native_conn *nc = arg;
    if (!nc->l) return;
    server_update_time(nc->l->s);
    if (nc->poll) answer_poll(nc);
}

/* handle_poll: ["POLL"] or ["POLL", max-wait-ms, max-batch].  Takes m. */
static void handle_poll(native_listener *l, native_conn *nc, nng_msg *m, uint64_t id, argv_t *a)
{
    server *s = l->s;
    session *c = nc->c;
    long long wait = 0, batch = POLL_DEFAULT_BATCH;
    const char *err = NULL;
    if (!(c->flags & SESS_AUTHENTICATED) && s->cfg.requirepass && s->cfg.requirepass[0])
        err = "NOAUTH Authentication required.";
    else if (a->argc != 1 && a->argc != 3)
        err = "ERR wrong number of arguments for 'poll' command";
    else if (a->argc == 3 && (!str_to_ll(a->argv[1], sbuf_len(a->argv[1]), &wait) || wait < 0))
        err = "ERR timeout is not an integer or out of range";
    else if (a->argc == 3 && (!str_to_ll(a->argv[2], sbuf_len(a->argv[2]), &batch) || batch < 1 || batch > INT_MAX))
        err = "ERR max-batch is not an integer or out of range";
    argv_reset(a);
    if (err) {
        reply_error_now(l, nc, m, id, err);
        nng_msg_free(m);
        return;
    }
    if (nc->poll) {   /* one POLL parked per session: the older one is answered empty */
        nc->poll_batch = 0;
        answer_poll(nc);
    }
    nc->poll = m;
    nc->poll_id = id;
    nc->poll_batch = (long)batch;
    if (session_out_pending(c)) {
        answer_poll(nc);
        return;
    }
    if (wait > 0) {
        if (!nc->poll_timer) nc->poll_timer = evtimer_new(s->base, on_poll_timeout, nc);
        struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)((wait % 1000) * 1000)};
        evtimer_add(nc->poll_timer, &tv);
    }
}

/* ---- running requests ---------------------------------------------------- */

static int is_poll(const argv_t *a)
{
    return a->argc >= 1 && sbuf_len(a->argv[0]) == 4 && !strncasecmp(a->argv[0], "poll", 4);
}

/* Commands whose reply is an ARRAY of confirmation pushes over native. */
static int is_subscribe_family(const command *cmd)
{
    /* subscribe, psubscribe, ssubscribe, unsubscribe, punsubscribe,
     * sunsubscribe: the only command names ending so (one compare per
     * request instead of six). */
    if (!cmd) return 0;
    size_t n = strlen(cmd->name);
    return n >= 9 && !strcasecmp(cmd->name + n - 9, "subscribe");
}

/* take_value takes the reply tree the builder holds (caller frees it). */
static Rill__Value *take_value(native_conn *nc, int wrap)
{
    Rill__Value *v = native_builder_finish(&nc->b);
    if (wrap && v->kind == RILL__VALUE__KIND__PUSH) {   /* one confirmation: still an ARRAY of them */
        Rill__Value *arr = xmalloc(sizeof *arr);
        rill__value__init(arr);
        arr->kind = RILL__VALUE__KIND__ARRAY;
        arr->elems = xmalloc(sizeof *arr->elems);
        arr->elems[0] = v;
        arr->n_elems = 1;
        v = arr;
    }
    return v;
}

/* finish_reply answers req with the tree the builder holds. */
static void finish_reply(native_conn *nc, nng_msg *req, uint64_t id, int wrap)
{
    Rill__Value *v = take_value(nc, wrap);
    answer(nc->l, nc, req, id, v, 1);
    native_value_free(v);
}

/* exec_args runs the command in c->args.  1: it parked (the builder stays
 * active for its reply); 0: answered, *wrap says whether its reply is an
 * ARRAY of confirmation pushes. */
static int exec_args(native_listener *l, native_conn *nc, int *wrap)
{
    session *c = nc->c;
    nc->b.active = 1;
    command *cmd = command_lookup(l->s, c->args.argv[0], sbuf_len(c->args.argv[0]));
    if (cmd && !strcasecmp(cmd->name, "monitor") && !(c->flags & SESS_MULTI))
        reply_error(c, "ERR 'monitor' is not supported over the native protocol");
    else
        server_process_command(c);
    if (c->flags & SESS_BLOCKED) return 1;
    argv_reset(&c->args);
    *wrap = is_subscribe_family(cmd) && !(c->flags & SESS_MULTI);
    return 0;
}

static void after_reply(native_listener *l, native_conn *nc);

/* run_request runs the command in c->args for request m (taking m). */
static void run_request(native_listener *l, native_conn *nc, nng_msg *m, uint64_t id)
{
    int wrap = 0;
    if (exec_args(l, nc, &wrap)) {   /* parked: answered when served or timed out (native_flush) */
        nc->parked = m;
        nc->parked_id = id;
        update_pending(nc);
        return;
    }
    finish_reply(nc, m, id, wrap);
    nng_msg_free(m);
    after_reply(l, nc);
}

/* error_value makes an ERROR value (the caller frees it). */
static Rill__Value *error_value(const char *msg)
{
    Rill__Value *v = xmalloc(sizeof *v);
    rill__value__init(v);
    v->kind = RILL__VALUE__KIND__ERROR;
    v->str.len = strlen(msg);
    v->str.data = xmalloc(v->str.len);
    memcpy(v->str.data, msg, v->str.len);
    return v;
}

/* batch_answer encodes the reply v of the batch's next entry (as a
 * Reply.batch field) after those answered before it, and frees v: each
 * entry's tree lives only until it is encoded. */
static void batch_answer(nbatch *b, Rill__Value *v)
{
    uint64_t id = b->ids[b->next];
    size_t e = native_reply_size(id, v);
    if (b->outlen + 11 + e > b->outcap) {
        size_t cap = b->outcap ? b->outcap * 2 : 256;
        while (cap < b->outlen + 11 + e) cap *= 2;
        b->out = xrealloc(b->out, cap);
        b->outcap = cap;
    }
    uint8_t *p = b->out + b->outlen;
    *p++ = 0x1a;   /* Reply.batch, length-delimited */
    uint64_t n = e;
    while (n >= 0x80) {
        *p++ = (uint8_t)(n | 0x80);
        n >>= 7;
    }
    *p++ = (uint8_t)n;
    p += native_encode_reply(id, v, p);
    b->outlen = (size_t)(p - b->out);
    native_value_free(v);
    b->next++;
}

/* finish_batch sends a batch's reply (every entry answered) and frees it. */
static void finish_batch(native_listener *l, native_conn *nc, nbatch *b)
{
    size_t head = native_reply_size(b->id, NULL), n = head + b->outlen;   /* Reply.id, then the entries */
    nng_msg *r = NULL;
    if (nng_msg_alloc(&r, n) != 0) {
        log_warning("Native batch reply: out of memory for %zu bytes", n);
    } else {
        native_encode_reply(b->id, NULL, nng_msg_body(r));
        if (b->outlen) memcpy((uint8_t *)nng_msg_body(r) + head, b->out, b->outlen);
        if (nng_msg_header_append(r, nng_msg_header(b->m), nng_msg_header_len(b->m)) != 0) {
            nng_msg_free(r);
        } else {
            nc->c->net_out += (long long)n;
            deliver(l, nc, r, 1);
        }
    }
    batch_free(b);
}

/* run_batch runs nc's batch from its next entry until one parks or all
 * are answered; then the batch's reply leaves. */
static void run_batch(native_listener *l, native_conn *nc)
{
    nbatch *b = nc->batch;
    session *c = nc->c;
    const uint8_t *body = nng_msg_body(b->m);
    while (b->next < b->n) {
        native_span *sp = &b->spans[b->next];
        uint64_t eid = 0;
        int rc = native_decode_request(body + sp->off, sp->len, 0, &eid, &c->args);
        b->ids[b->next] = eid;
        if (rc == NATIVE_BATCH) rc = NATIVE_ENESTED;
        if (rc == NATIVE_OK && is_poll(&c->args)) {
            argv_reset(&c->args);
            rc = NATIVE_EBATCHPOLL;
        }
        if (rc != NATIVE_OK) {
            char msg[160];
            log_verbose("Native protocol error (%s) in a batch from client: id=%llu addr=%s", native_strerror(rc),
                        (unsigned long long)c->id, c->addr);
            snprintf(msg, sizeof msg, "ERR Protocol error: %s", native_strerror(rc));
            l->s->stat.total_error_replies++;
            batch_answer(b, error_value(msg));
            continue;
        }
        if (c->flags & (SESS_CLOSE_ASAP | SESS_CLOSE_AFTER_REPLY)) {   /* QUIT earlier in the batch */
            argv_reset(&c->args);
            l->s->stat.total_error_replies++;
            batch_answer(b, error_value("ERR not run: the session ended earlier in this batch"));
            continue;
        }
        c->last_interaction = l->s->mstime;
        int wrap = 0;
        if (exec_args(l, nc, &wrap)) {   /* the rest waits; native_flush resumes */
            b->parked = 1;
            update_pending(nc);
            return;
        }
        batch_answer(b, take_value(nc, wrap));
    }
    nc->batch = NULL;
    finish_batch(l, nc, b);
    update_pending(nc);
    after_reply(l, nc);
}

/* start_batch runs batch request m (taking m). */
static void start_batch(native_listener *l, native_conn *nc, nng_msg *m, uint64_t id)
{
    nbatch *b = xcalloc(1, sizeof *b);
    b->m = m;
    b->id = id;
    b->n = native_batch_entries(nng_msg_body(m), nng_msg_len(m), NULL, 0);
    b->spans = xmalloc((size_t)b->n * sizeof *b->spans);
    native_batch_entries(nng_msg_body(m), nng_msg_len(m), b->spans, b->n);
    b->ids = xcalloc((size_t)b->n, sizeof *b->ids);
    nc->batch = b;
    run_batch(l, nc);
}

/* after_reply: a command asked for the session to end once answered. */
static void after_reply(native_listener *l, native_conn *nc)
{
    session *c = nc->c;
    if (c->flags & SESS_CLOSE_AFTER_REPLY) {
        /* QUIT ends the session; the pipe stays, so the OK can still leave
         * (the next request opens a fresh session).  Anything else that
         * closes after replying (CLIENT KILL of itself) drops the pipe. */
        extern cmd_fn cmd_quit;
        nc->keep_pipe = c->cmd && c->cmd->fn == cmd_quit;
        if (nc->poll) {
            nc->poll_batch = 0;
            answer_poll(nc);
        }
        if (nc->keep_pipe) {   /* the pipe's next request opens a new session at once */
            if (dict_fetch(l->conns, (void *)(uintptr_t)nc->pipe_id) == nc)
                dict_delete(l->conns, (void *)(uintptr_t)nc->pipe_id);
            if (nc->held.head) {   /* its OK waits for the log: end the session after it */
                nc->quit_pending = 1;
                update_pending(nc);
                return;
            }
        }
        session_close_async(c);
    }
}

/* decode_into decodes m's body into a (empty): 0, or 1 for a batch (a
 * stays empty); on error answers it and returns -1 (m is still the
 * caller's). */
static int decode_into(native_listener *l, native_conn *nc, nng_msg *m, argv_t *a, uint64_t *id)
{
    session *c = nc->c;
    *id = 0;
    int rc = native_decode_request(nng_msg_body(m), nng_msg_len(m), (size_t)l->s->cfg.native_max_frame, id, a);
    if (rc == NATIVE_OK) return 0;
    if (rc == NATIVE_BATCH) return 1;
    char msg[160];
    log_verbose("Native protocol error (%s) from client: id=%llu addr=%s", native_strerror(rc),
                (unsigned long long)c->id, c->addr);
    snprintf(msg, sizeof msg, "ERR Protocol error: %s", native_strerror(rc));
    reply_error_now(l, nc, m, *id, msg);
    return -1;
}

/* run_waiting runs the requests that waited behind a parked one, until
 * one parks again. */
static void run_waiting(native_listener *l, native_conn *nc)
{
    session *c = nc->c;
    if (nc->batch && !nc->batch->parked) run_batch(l, nc);
    while (!nc->parked && !nc->batch && nc->waiting.head &&
           !(c->flags & (SESS_CLOSE_ASAP | SESS_CLOSE_AFTER_REPLY))) {
        nng_msg *m = msgq_pop(&nc->waiting);
        nc->waiting_bytes -= nng_msg_len(m);
        uint64_t id;
        int rc = decode_into(l, nc, m, &c->args, &id);
        if (rc < 0) {
            nng_msg_free(m);
            continue;
        }
        c->last_interaction = l->s->mstime;
        if (rc == 1) start_batch(l, nc, m, id);
        else run_request(l, nc, m, id);
        if (c->fe_state != nc) return;   /* cannot happen (closing is deferred); be safe */
    }
    update_pending(nc);
}

static void on_run(evutil_socket_t fd, short what, void *arg)
{
    native_listener *l = arg;
    server_update_time(l->s);
    uint32_t *ids = l->runq;
    int n = l->nrunq;
    l->runq = NULL;
    l->nrunq = l->caprunq = 0;
    for (int i = 0; i < n; i++) {
        native_conn *nc = dict_fetch(l->conns, (void *)(uintptr_t)ids[i]);
        if (nc) run_waiting(l, nc);
    }
    xfree(ids);
}

/* native_flush (before-sleep, never while the session waits for the log):
 * sends the parked command's reply once it was answered, then the held
 * replies, answers a parked POLL from the outbox, and lets waiting
 * requests run. */
static int native_flush(session *c)
{
    native_conn *nc = c->fe_state;
    if (!nc || !nc->l) return 0;
    native_listener *l = nc->l;
    if (nc->parked && !(c->flags & SESS_BLOCKED)) {
        nng_msg *m = nc->parked;
        nc->parked = NULL;
        finish_reply(nc, m, nc->parked_id, 0);
        nng_msg_free(m);
    }
    if (nc->batch && nc->batch->parked && !(c->flags & SESS_BLOCKED)) {   /* the rest of the batch runs from on_run */
        nbatch *b = nc->batch;
        b->parked = 0;
        batch_answer(b, take_value(nc, 0));
        if (!(c->flags & SESS_CLOSE_ASAP)) schedule_run(l, nc->pipe_id);
    }
    if (!(c->flags & SESS_AOF_WAIT)) {
        nng_msg *r;
        while ((r = msgq_pop(&nc->held)) != NULL) send_reply(l, r);
        if (nc->quit_pending) {
            nc->quit_pending = 0;
            session_close_async(c);
        }
    }
    if (nc->poll && session_out_pending(c)) answer_poll(nc);
    if (!nc->parked && !nc->batch && nc->waiting.head && !(c->flags & SESS_CLOSE_ASAP)) schedule_run(l, nc->pipe_id);
    update_pending(nc);
    return 0;
}

/* ---- receiving ---------------------------------------------------------- */

static void handle_request(native_listener *l, nng_msg *m)
{
    server *s = l->s;
    nng_pipe p = nng_msg_get_pipe(m);
    uint32_t pid = (uint32_t)nng_pipe_id(p);
    size_t len = nng_msg_len(m);
    native_conn *nc = dict_fetch(l->conns, (void *)(uintptr_t)pid);
    s->stat.net_input_bytes += (long long)len;
    s->stat.total_reads++;
    server_update_time(s);
    if (!nc) {
        if (is_dead(l, pid)) {   /* its connection is gone: nobody to answer */
            nng_msg_free(m);
            return;
        }
        if (s->nclients >= s->cfg.maxclients) {
            s->stat.rejected_conn++;
            reply_error_now(l, NULL, m, 0, "ERR max number of clients reached");
            nng_msg_free(m);
            return;
        }
        nc = conn_new(l, p);
    }
    session *c = nc->c;
    if (c->flags & SESS_CLOSE_ASAP) {
        nng_msg_free(m);
        return;
    }
    c->net_in += (long long)len;
    server_note_read(s, c->last_reply_us);
    c->last_interaction = s->mstime;

    uint64_t id = 0;
    if (nc->parked || nc->batch || nc->waiting.head) {
        /* Another request is parked: this one waits its turn, unless it is a POLL. */
        int rc = decode_into(l, nc, m, &l->scratch, &id);
        if (rc < 0) {
            nng_msg_free(m);
            return;
        }
        if (rc == 0 && is_poll(&l->scratch)) {
            handle_poll(l, nc, m, id, &l->scratch);
            return;
        }
        argv_reset(&l->scratch);
        if (nc->waiting_bytes + len > (size_t)s->cfg.client_query_buffer_limit) {
            sbuf info = session_info_line(c, sbuf_empty(256));
            log_warning("Closing client that reached max query buffer length: %s (requests waiting behind a parked one: %zu bytes)",
                        info, nc->waiting_bytes + len);
            sbuf_free(info);
            nng_msg_free(m);
            session_close_async(c);
            return;
        }
        nc->waiting_bytes += len;
        msgq_push(&nc->waiting, m);
        update_pending(nc);
        return;
    }
    int rc = decode_into(l, nc, m, &c->args, &id);
    if (rc < 0) {
        nng_msg_free(m);
        return;
    }
    if (rc == 1) {
        start_batch(l, nc, m, id);
        return;
    }
    if (is_poll(&c->args)) {
        handle_poll(l, nc, m, id, &c->args);
        return;
    }
    run_request(l, nc, m, id);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    native_listener *l = arg;
    drain_removed(l);
    for (int i = 0; i < MAX_RECV_PER_CALL; i++) {
        nng_msg *m;
        nng_recv_aio(l->sock, l->raio);
        nng_aio_wait(l->raio);
        int rv = nng_aio_result(l->raio);
        if (rv == NNG_ETIMEDOUT) return;   /* nothing queued (zero timeout) */
        if (rv != 0) {
            log_warning("Native receive failed: %s", nng_strerror(rv));
            return;
        }
        m = nng_aio_get_msg(l->raio);
        handle_request(l, m);
    }
}

/* ---- open / close ------------------------------------------------------- */

/* ---- closing the socket, with a limit ----------------------------------
 * nng_close waits for every pipe to wind down.  With libnng 1.5.2 that can
 * wait forever when a peer keeps sending while we close (seen with
 * rill-benchmark's four pipelined clients and SIGTERM: one shutdown in ~15).
 * A server asked to stop must stop, so the close runs on a thread of its
 * own and we wait for it at most CLOSE_LIMIT_MS; past that we go on without
 * it.  The listener then stays allocated (pipe callbacks may still touch
 * it) and reachable from orphaned, and the process exits, which closes the
 * connections anyway. */
#define CLOSE_LIMIT_MS 2000

struct bounded_close {
    nng_socket sock;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, abandoned;
};

static native_listener *orphaned;

static void *close_main(void *arg)
{
    struct bounded_close *bc = arg;
    nng_close(bc->sock);
    pthread_mutex_lock(&bc->mu);
    bc->done = 1;
    int free_it = bc->abandoned;
    pthread_cond_signal(&bc->cv);
    pthread_mutex_unlock(&bc->mu);
    if (free_it) free(bc);
    return NULL;
}

/* close_socket closes sock; 0 once closed, -1 if still closing after the limit. */
static int close_socket(nng_socket sock)
{
    struct bounded_close *bc = calloc(1, sizeof *bc);
    pthread_t th;
    if (!bc) {
        nng_close(sock);
        return 0;
    }
    bc->sock = sock;
    pthread_mutex_init(&bc->mu, NULL);
    pthread_cond_init(&bc->cv, NULL);
    if (pthread_create(&th, NULL, close_main, bc) != 0) {
        free(bc);
        nng_close(sock);
        return 0;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CLOSE_LIMIT_MS / 1000;
    until.tv_nsec += (CLOSE_LIMIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&bc->mu);
    while (!bc->done && pthread_cond_timedwait(&bc->cv, &bc->mu, &until) == 0) {}
    int done = bc->done;
    if (!done) bc->abandoned = 1;   /* the thread frees bc if it ever finishes */
    pthread_mutex_unlock(&bc->mu);
    if (done) {
        pthread_join(th, NULL);
        pthread_mutex_destroy(&bc->mu);
        pthread_cond_destroy(&bc->cv);
        free(bc);
        return 0;
    }
    pthread_detach(th);
    return -1;
}

static void listener_free(native_listener *l)
{
    /* Sessions stay (the server frees them); they only forget us (those
     * that ended by QUIT and wait for the log included: not in conns). */
    for (session *c = l->s->clients; c; c = c->next)
        if (c->ops == &native_session_ops && c->fe_state) {
            native_conn *nc = c->fe_state;
            nc->l = NULL;
            if (nc->poll_timer) evtimer_del(nc->poll_timer);
        }
    if (l->rev) event_free(l->rev);
    if (l->wev) event_free(l->wev);
    if (l->nev) event_free(l->nev);
    if (l->kev) event_free(l->kev);
    msgq_free(&l->outq);
    argv_free(&l->scratch);
    xfree(l->runq);
    if (l->sock_open && close_socket(l->sock) != 0) {   /* waits for pipe callbacks: l must still be alive */
        log_warning("Native listener: NNG did not close its socket within %d ms (a peer still sending); "
                    "going on without it", CLOSE_LIMIT_MS);
        orphaned = l;
        return;
    }
    if (l->raio) nng_aio_free(l->raio);
    if (l->saio) nng_aio_free(l->saio);
    for (int i = 0; i < l->nipc; i++) {
        if (unlink(l->ipc[i]) < 0 && errno != ENOENT)
            log_warning("Could not remove native socket file %s: %s", l->ipc[i], strerror(errno));
        xfree(l->ipc[i]);
    }
    if (l->efd >= 0) close(l->efd);
    if (l->conns) dict_release(l->conns);
    free(l->removed);
    pthread_mutex_destroy(&l->mu);
    xfree(l);
}

/* resolve_url turns a relative ipc:// path into one under dir (new string). */
static char *resolve_url(server *s, const char *url)
{
    const char *dir = s->cfg.dir && s->cfg.dir[0] ? s->cfg.dir : ".";
    if (strncmp(url, "ipc://", 6) != 0 || url[6] == '/' || url[6] == '\0') return xstrdup(url);
    size_t n = strlen(url) + strlen(dir) + 2;
    char *out = xmalloc(n);
    snprintf(out, n, "ipc://%s/%s", dir, url + 6);
    return out;
}

/* check_ipc unlinks the socket file at path if no server answers on it
 * (left by a crash) and returns 0; 1 if a server answers there.  That one
 * gets a proper SP handshake (a REQ header, its own read) before we hang
 * up, and we then do not call nng_listen on the path at all: NNG 1.5.2's
 * ipc listener stops accepting after a connection that closes before
 * negotiating, which is what NNG's own stale-file check in nng_listen
 * does to a live peer. */
static int check_ipc(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) return 0;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int live = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if ((errno == ECONNREFUSED || errno == ENOENT) && unlink(path) == 0)
            log_notice("Removed stale native socket file %s", path);
    } else {
        live = 1;
        static const unsigned char hello[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};   /* SP header, req0 */
        char peer[8];
        size_t got = 0;
        if (write(fd, hello, sizeof hello) == (ssize_t)sizeof hello) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            while (got < sizeof peer && poll(&pfd, 1, 500) > 0) {
                ssize_t n = read(fd, peer + got, sizeof peer - got);
                if (n <= 0) break;
                got += (size_t)n;
            }
        }
    }
    close(fd);
    return live;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "can't open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            if (cap > (16u << 20)) break;   /* no PEM file is that large */
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* tls_config builds the server-side TLS configuration from the
 * native-tls-* options; NULL (err filled) if they are unusable. */
static nng_tls_config *tls_config(server *s, char *err, size_t errlen)
{
    const char *cert = s->cfg.native_tls_cert_file, *key = s->cfg.native_tls_key_file;
    const char *ca = s->cfg.native_tls_ca_file;
    if (!cert || !cert[0] || !key || !key[0]) {
        snprintf(err, errlen, "native-tls-cert-file and native-tls-key-file are required for tls+tcp://");
        return NULL;
    }
    int auth = s->cfg.native_tls_auth_clients;
    if (auth != 0 && (!ca || !ca[0])) {
        snprintf(err, errlen, "native-tls-auth-clients needs native-tls-ca-file");
        return NULL;
    }
    nng_tls_config *tc = NULL;
    char *certpem = NULL, *keypem = NULL;
    int rv;
    if ((rv = nng_tls_config_alloc(&tc, NNG_TLS_MODE_SERVER)) != 0) {
        snprintf(err, errlen, "nng_tls_config_alloc: %s", nng_strerror(rv));
        return NULL;
    }
    if (!(certpem = read_file(cert, err, errlen)) || !(keypem = read_file(key, err, errlen))) goto fail;
    if ((rv = nng_tls_config_own_cert(tc, certpem, keypem, NULL)) != 0) {
        snprintf(err, errlen, "certificate '%s' / key '%s': %s", cert, key, nng_strerror(rv));
        goto fail;
    }
    if (ca && ca[0] && (rv = nng_tls_config_ca_file(tc, ca)) != 0) {
        snprintf(err, errlen, "native-tls-ca-file '%s': %s", ca, nng_strerror(rv));
        goto fail;
    }
    static const nng_tls_auth_mode modes[] = {NNG_TLS_AUTH_MODE_NONE, NNG_TLS_AUTH_MODE_REQUIRED,
                                              NNG_TLS_AUTH_MODE_OPTIONAL};
    if ((rv = nng_tls_config_auth_mode(tc, modes[auth < 0 || auth > 2 ? 0 : auth])) != 0) {
        snprintf(err, errlen, "nng_tls_config_auth_mode: %s", nng_strerror(rv));
        goto fail;
    }
    xfree(certpem);
    xfree(keypem);
    return tc;
fail:
    xfree(certpem);
    xfree(keypem);
    nng_tls_config_free(tc);
    return NULL;
}

/* listen_one starts listening on url; 0, or an NNG error / -1 (err filled). */
static int listen_one(native_listener *l, const char *url, char *err, size_t errlen)
{
    server *s = l->s;
    nng_listener nl;
    int rv;
    if (!strncmp(url, "ipc://", 6) && check_ipc(url + 6)) {
        snprintf(err, errlen, "Address in use (another server answers on this socket file)");
        return NNG_EADDRINUSE;
    }
    if ((rv = nng_listener_create(&nl, l->sock, url)) != 0) {
        snprintf(err, errlen, "%s", nng_strerror(rv));
        return rv;
    }
    if (!strncmp(url, "tls+tcp://", 10)) {
        nng_tls_config *tc = tls_config(s, err, errlen);
        if (!tc) {
            nng_listener_close(nl);
            return -1;
        }
        rv = nng_listener_set_ptr(nl, NNG_OPT_TLS_CONFIG, tc);
        nng_tls_config_free(tc);   /* the listener holds its own reference */
        if (rv != 0) {
            snprintf(err, errlen, "NNG_OPT_TLS_CONFIG: %s", nng_strerror(rv));
            nng_listener_close(nl);
            return rv;
        }
    }
    if ((rv = nng_listener_start(nl, 0)) != 0) {
        snprintf(err, errlen, "%s", nng_strerror(rv));
        nng_listener_close(nl);
        return rv;
    }
    if (!strncmp(url, "ipc://", 6) && l->nipc < MAX_URLS) l->ipc[l->nipc++] = xstrdup(url + 6);
    return 0;
}

static int native_lopen(server *s, void **state)
{
    *state = NULL;
    const char *conf = s->cfg.native_listen ? s->cfg.native_listen : "";
    int explicit = strcmp(conf, NATIVE_DEFAULT_LISTEN) != 0;
    char *copy = xstrdup(conf);
    char *urls[MAX_URLS];
    int nurls = 0;
    for (char *tok = strtok(copy, " \t,"); tok && nurls < MAX_URLS; tok = strtok(NULL, " \t,"))
        urls[nurls++] = resolve_url(s, tok);
    xfree(copy);
    if (nurls == 0) return 0;

    native_listener *l = xcalloc(1, sizeof *l);
    l->s = s;
    l->efd = -1;
    pthread_mutex_init(&l->mu, NULL);
    l->conns = dict_create(&pipe_dict_type);
    argv_init(&l->scratch);
    int rv, recvfd = -1, sendfd = -1, listening = 0;
    const char *what = "nng_rep0_open_raw";
    if ((rv = nng_rep0_open_raw(&l->sock)) != 0) goto fail;
    l->sock_open = 1;
    what = "nng_aio_alloc";
    if ((rv = nng_aio_alloc(&l->raio, NULL, NULL)) != 0 || (rv = nng_aio_alloc(&l->saio, NULL, NULL)) != 0) goto fail;
    nng_aio_set_timeout(l->raio, NNG_DURATION_ZERO);
    nng_aio_set_timeout(l->saio, NNG_DURATION_ZERO);
    what = "options";
    size_t maxsz = (size_t)s->cfg.native_max_frame + 1024;   /* + room for the routing header */
    if ((rv = nng_socket_set_size(l->sock, NNG_OPT_RECVMAXSZ, maxsz)) != 0) goto fail;
    if ((rv = nng_socket_set_int(l->sock, NNG_OPT_RECVBUF, 1024)) != 0) goto fail;
    if ((rv = nng_socket_set_int(l->sock, NNG_OPT_SENDBUF, 1024)) != 0) goto fail;
    if ((rv = nng_pipe_notify(l->sock, NNG_PIPE_EV_REM_POST, on_pipe_event, l)) != 0) goto fail;
    what = "NNG_OPT_RECVFD";
    if ((rv = nng_socket_get_int(l->sock, NNG_OPT_RECVFD, &recvfd)) != 0) goto fail;
    what = "NNG_OPT_SENDFD";
    if ((rv = nng_socket_get_int(l->sock, NNG_OPT_SENDFD, &sendfd)) != 0) goto fail;
    l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->efd < 0) {
        log_warning("Native listener: eventfd: %s", strerror(errno));
        goto fail_logged;
    }
    for (int i = 0; i < nurls; i++) {
        char err[512];
        if (listen_one(l, urls[i], err, sizeof err) != 0) {
            log_warning("Could not listen for native clients on %s: %s", urls[i], err);
            if (explicit) goto fail_logged;
            log_warning("Native address %s skipped (native-listen was not configured; the default address is not available)",
                        urls[i]);
            continue;
        }
        listening++;
        log_notice("Ready to accept native connections on %s", urls[i]);
    }
    if (listening == 0) {   /* only possible with the default */
        log_warning("Native protocol disabled: no default native address is available");
        listener_free(l);
        for (int i = 0; i < nurls; i++) xfree(urls[i]);
        return 0;
    }
    l->rev = event_new(s->base, recvfd, EV_READ | EV_PERSIST, on_readable, l);
    l->wev = event_new(s->base, sendfd, EV_READ | EV_PERSIST, on_writable, l);
    l->nev = event_new(s->base, l->efd, EV_READ | EV_PERSIST, on_notify, l);
    l->kev = event_new(s->base, -1, 0, on_run, l);
    event_add(l->rev, NULL);
    event_add(l->nev, NULL);
    for (int i = 0; i < nurls; i++) xfree(urls[i]);
    *state = l;
    return 0;

fail:
    log_warning("Native listener: %s: %s", what, nng_strerror(rv));
fail_logged:
    listener_free(l);
    for (int i = 0; i < nurls; i++) xfree(urls[i]);
    return -1;
}

static void native_lclose(server *s, void *state)
{
    if (state) listener_free(state);
}

const listener_ops native_listener_ops = {
    .name = "native",
    .open = native_lopen,
    .close = native_lclose,
};
