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
 * Not yet over native (DESIGN.md's parked requests and POLL long-polls,
 * issue 8's later parts): blocking commands outside MULTI and the
 * subscribe family get an error reply.
 *
 * A listen failure is fatal when native-listen was configured; with the
 * default (tcp://127.0.0.1:7379) it is logged and the server runs without
 * native clients, so several servers can run side by side (decisions.md).
 */
#include "listener.h"
#include "server.h"
#include "session.h"
#include "alloc.h"
#include "log.h"
#include "native_codec.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NATIVE_DEFAULT_LISTEN "tcp://127.0.0.1:7379"
#define MAX_RECV_PER_CALL 1024
#define DEAD_RING 4096
#define MAX_URLS 16

typedef struct outmsg {
    nng_msg *m;
    struct outmsg *next;
} outmsg;

typedef struct native_listener {
    server *s;
    nng_socket sock;
    int sock_open;
    struct event *rev, *wev, *nev;
    int efd;                        /* eventfd: pipe removals queued */

    /* Filled by NNG threads under mu; drained by the core. */
    pthread_mutex_t mu;
    uint32_t *removed;
    int nremoved, capremoved;

    dict *conns;                    /* pipe id -> native_conn */
    uint32_t dead[DEAD_RING];       /* recently removed pipe ids */
    int dead_pos;

    outmsg *outq, *outq_tail;       /* replies waiting for room */
    long outq_len;
} native_listener;

typedef struct native_conn {
    native_builder b;               /* first: native_reply_ops finds it at c->fe_state */
    native_listener *l;             /* NULL once the listener closed */
    session *c;
    nng_pipe pipe;
    uint32_t pipe_id;
    int keep_pipe;                  /* QUIT: end the session, leave the pipe to reconnect */
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
        snprintf(out, len, "%s:0", sa->s_ipc.sa_path);
        break;
    default:
        snprintf(out, len, "native:0");
    }
}

static native_conn *conn_new(native_listener *l, nng_pipe p)
{
    server *s = l->s;
    native_conn *nc = xcalloc(1, sizeof *nc);
    native_builder_init(&nc->b);
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

/* native_close: the session is being freed (core only). */
static void native_close(session *c)
{
    native_conn *nc = c->fe_state;
    if (!nc) return;
    native_listener *l = nc->l;
    if (l) {
        dict_delete(l->conns, (void *)(uintptr_t)nc->pipe_id);
        if (!nc->keep_pipe) {
            mark_dead(l, nc->pipe_id);   /* requests still queued from it are dropped */
            nng_pipe_close(nc->pipe);
        }
    }
    native_builder_free(&nc->b);
    xfree(nc);
    c->fe_state = NULL;
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
    for (int i = 0; i < take; i++) {
        mark_dead(l, buf[i]);
        native_conn *nc = dict_fetch(l->conns, (void *)(uintptr_t)buf[i]);
        if (nc) {
            log_verbose("Native client gone id=%llu addr=%s", (unsigned long long)nc->c->id, nc->c->addr);
            nc->keep_pipe = 1;   /* already gone */
            session_close_async(nc->c);
        }
    }
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    drain_removed(arg);
}

/* ---- sending ------------------------------------------------------------ */

static void outq_push(native_listener *l, nng_msg *m)
{
    outmsg *o = xmalloc(sizeof *o);
    o->m = m;
    o->next = NULL;
    if (l->outq_tail) l->outq_tail->next = o;
    else l->outq = o;
    l->outq_tail = o;
    l->outq_len++;
    event_add(l->wev, NULL);
}

/* try_send hands m to NNG; 1 sent (or dropped for good), 0 no room. */
static int try_send(native_listener *l, nng_msg *m)
{
    size_t n = nng_msg_len(m);
    int rv = nng_sendmsg(l->sock, m, NNG_FLAG_NONBLOCK);
    if (rv == NNG_EAGAIN) return 0;
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
    if (l->outq || !try_send(l, m)) outq_push(l, m);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    native_listener *l = arg;
    while (l->outq) {
        outmsg *o = l->outq;
        if (!try_send(l, o->m)) return;
        l->outq = o->next;
        if (!l->outq) l->outq_tail = NULL;
        l->outq_len--;
        xfree(o);
    }
    event_del(l->wev);
}

static int native_flush(session *c)
{
    return 0;   /* each reply is handed to NNG as its command ends */
}

/* reply_to builds the Reply for header (the request's routing header). */
static void reply_to(native_listener *l, native_conn *nc, nng_msg *req, uint64_t id, Rill__Value *v)
{
    size_t n = native_reply_size(id, v);
    nng_msg *r;
    if (nng_msg_alloc(&r, n) != 0) {
        log_warning("Native reply: out of memory for %zu bytes", n);
        return;
    }
    native_encode_reply(id, v, nng_msg_body(r));
    if (nng_msg_header_append(r, nng_msg_header(req), nng_msg_header_len(req)) != 0) {
        nng_msg_free(r);
        return;
    }
    if (nc) nc->c->net_out += (long long)n;
    send_reply(l, r);
}

static void reply_error_now(native_listener *l, native_conn *nc, nng_msg *req, uint64_t id, const char *msg)
{
    Rill__Value v = RILL__VALUE__INIT;
    v.kind = RILL__VALUE__KIND__ERROR;
    v.str.data = (uint8_t *)msg;
    v.str.len = strlen(msg);
    l->s->stat.total_error_replies++;
    reply_to(l, nc, req, id, &v);
}

/* ---- receiving ---------------------------------------------------------- */

static int not_yet_native(command *cmd, session *c)
{
    static const char *const subs[] = {"subscribe", "psubscribe", "ssubscribe", "unsubscribe",
                                       "punsubscribe", "sunsubscribe", "monitor", NULL};
    if (!cmd) return 0;
    if ((cmd->flags & CMD_BLOCKING) && !(c->flags & SESS_MULTI)) return 1;
    for (int i = 0; subs[i]; i++)
        if (!strcasecmp(cmd->name, subs[i])) return 1;
    return 0;
}

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
    c->last_interaction = s->mstime;

    uint64_t id = 0;
    int rc = native_decode_request(nng_msg_body(m), len, (size_t)s->cfg.native_max_frame, &id, &c->args);
    if (rc != NATIVE_OK) {
        char msg[160];
        log_verbose("Native protocol error (%s) from client: id=%llu addr=%s", native_strerror(rc),
                    (unsigned long long)c->id, c->addr);
        snprintf(msg, sizeof msg, "ERR Protocol error: %s", native_strerror(rc));
        reply_error_now(l, nc, m, id, msg);
        nng_msg_free(m);
        return;
    }

    nc->b.active = 1;
    command *cmd = command_lookup(s, c->args.argv[0], sbuf_len(c->args.argv[0]));
    if (not_yet_native(cmd, c))
        reply_errorf(c, "ERR '%s' is not supported over the native protocol yet", cmd->name);
    else
        server_process_command(c);
    if (c->flags & SESS_BLOCKED)
        log_warning("Native client id=%llu blocked in '%s': blocking is not supported over native yet",
                    (unsigned long long)c->id, cmd ? cmd->name : "?");
    else
        argv_reset(&c->args);
    Rill__Value *v = native_builder_finish(&nc->b);
    reply_to(l, nc, m, id, v);
    native_value_free(v);
    nng_msg_free(m);

    if (c->flags & SESS_CLOSE_AFTER_REPLY) {
        /* QUIT ends the session; the pipe stays, so the OK can still leave
         * (the next request opens a fresh session).  Anything else that
         * closes after replying (CLIENT KILL of itself) drops the pipe. */
        extern cmd_fn cmd_quit;
        nc->keep_pipe = c->cmd && c->cmd->fn == cmd_quit;
        session_close_async(c);
    }
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    native_listener *l = arg;
    drain_removed(l);
    for (int i = 0; i < MAX_RECV_PER_CALL; i++) {
        nng_msg *m;
        int rv = nng_recvmsg(l->sock, &m, NNG_FLAG_NONBLOCK);
        if (rv == NNG_EAGAIN) return;
        if (rv != 0) {
            log_warning("Native receive failed: %s", nng_strerror(rv));
            return;
        }
        handle_request(l, m);
    }
}

/* ---- open / close ------------------------------------------------------- */

static void listener_free(native_listener *l)
{
    /* Sessions stay (the server frees them); they only forget us. */
    if (l->conns) {
        dict_iter it;
        dict_entry *e;
        dict_iter_init(&it, l->conns, 1);
        while ((e = dict_next(&it)) != NULL) ((native_conn *)e->v.val)->l = NULL;
        dict_iter_done(&it);
    }
    if (l->rev) event_free(l->rev);
    if (l->wev) event_free(l->wev);
    if (l->nev) event_free(l->nev);
    while (l->outq) {
        outmsg *o = l->outq;
        l->outq = o->next;
        nng_msg_free(o->m);
        xfree(o);
    }
    if (l->sock_open) nng_close(l->sock);   /* waits for pipe callbacks: l must still be alive */
    if (l->efd >= 0) close(l->efd);
    if (l->conns) dict_release(l->conns);
    free(l->removed);
    pthread_mutex_destroy(&l->mu);
    xfree(l);
}

static int native_lopen(server *s, void **state)
{
    *state = NULL;
    const char *conf = s->cfg.native_listen ? s->cfg.native_listen : "";
    int explicit = strcmp(conf, NATIVE_DEFAULT_LISTEN) != 0;
    char *copy = xstrdup(conf);
    char *urls[MAX_URLS];
    int nurls = 0;
    for (char *tok = strtok(copy, " \t,"); tok && nurls < MAX_URLS; tok = strtok(NULL, " \t,")) urls[nurls++] = tok;
    if (nurls == 0) {
        xfree(copy);
        return 0;
    }

    native_listener *l = xcalloc(1, sizeof *l);
    l->s = s;
    l->efd = -1;
    pthread_mutex_init(&l->mu, NULL);
    l->conns = dict_create(&pipe_dict_type);
    int rv, recvfd = -1, sendfd = -1;
    const char *what = "nng_rep0_open_raw";
    if ((rv = nng_rep0_open_raw(&l->sock)) != 0) goto fail;
    l->sock_open = 1;
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
        if ((rv = nng_listen(l->sock, urls[i], NULL, 0)) != 0) {
            log_warning("Could not listen for native clients on %s: %s", urls[i], nng_strerror(rv));
            if (explicit) goto fail_logged;
            log_warning("Native protocol disabled (native-listen was not configured; the default address is taken)");
            listener_free(l);
            xfree(copy);
            return 0;
        }
        log_notice("Ready to accept native connections on %s", urls[i]);
    }
    l->rev = event_new(s->base, recvfd, EV_READ | EV_PERSIST, on_readable, l);
    l->wev = event_new(s->base, sendfd, EV_READ | EV_PERSIST, on_writable, l);
    l->nev = event_new(s->base, l->efd, EV_READ | EV_PERSIST, on_notify, l);
    event_add(l->rev, NULL);
    event_add(l->nev, NULL);
    xfree(copy);
    *state = l;
    return 0;

fail:
    log_warning("Native listener: %s: %s", what, nng_strerror(rv));
fail_logged:
    listener_free(l);
    xfree(copy);
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
