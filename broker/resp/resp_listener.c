/* resp_listener.c — RESP over TCP and unix sockets, on libevent.
 *
 * Accepts connections, reads bytes into the session's query buffer and lets
 * the session parse and run them; writes pending output when the loop is
 * about to sleep (server_before_sleep -> resp_flush), and from a write
 * event while the socket is full; shared pub/sub buffers queued after obuf
 * (session.h oref) go out in order with writev.  Reads go first into one
 * shared buffer, so an idle or caught-up client holds no query buffer at
 * all: only the bytes of an incomplete request are copied into the
 * session's own.
 */
#include "listener.h"
#include "server.h"
#include "session.h"
#include "alloc.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_CHUNK (16 * 1024)
#define SHARED_RBUF (256 * 1024)
#define MAX_ACCEPTS_PER_CALL 1000

typedef struct resp_listener {
    int nfds;
    int fds[CONFIG_MAX_BIND + 1];
    int is_unix[CONFIG_MAX_BIND + 1];
    struct event *evs[CONFIG_MAX_BIND + 1];
    char *unix_path;
} resp_listener;

static char *shared_rbuf;

static int resp_flush(session *c);
static void resp_close(session *c);
static void resp_pause(session *c);
static void resp_resume(session *c);

static const session_ops resp_session_ops = {
    .name = "resp",
    .flush = resp_flush,
    .close = resp_close,
    .pause_read = resp_pause,
    .resume_read = resp_resume,
};

static void fmt_addr(const struct sockaddr_storage *sa, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN];
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        snprintf(out, len, "%s:%d", host, ntohs(s4->sin_port));
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        snprintf(out, len, "[%s]:%d", host, ntohs(s6->sin6_port));   /* Redis's "[::1]:port" */
    } else {
        snprintf(out, len, "/unixsocket");
    }
}

/* ---- reading ---------------------------------------------------------- */

static void qbuf_reserve(session *c, size_t add)
{
    if (c->qpos > 0) {
        memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
        c->qlen -= c->qpos;
        c->qpos = 0;
    }
    if (c->qcap - c->qlen >= add) return;
    size_t cap = c->qcap ? c->qcap : READ_CHUNK;
    while (cap - c->qlen < add) cap *= 2;
    c->qbuf = xrealloc(c->qbuf, cap);
    c->qcap = cap;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    session *c = arg;
    server *s = c->srv;
    if (c->flags & (SESS_CLOSE_ASAP | SESS_CLOSE_AFTER_REPLY)) {
        /* Closing once its output is out: stop listening, or the unread
         * input would wake the (level-triggered) loop again and again. */
        resp_pause(c);
        return;
    }

    int shared = 0;
    ssize_t n;
    if (c->qlen == 0) {
        shared = 1;
        n = read(fd, shared_rbuf, SHARED_RBUF);
    } else {
        qbuf_reserve(c, READ_CHUNK);
        n = read(fd, c->qbuf + c->qlen, c->qcap - c->qlen);
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        log_verbose("Reading from client: %s", strerror(errno));
        session_close_async(c);
        return;
    }
    if (n == 0) {
        log_verbose("Client closed connection id=%llu addr=%s", (unsigned long long)c->id, c->addr);
        session_close_async(c);
        return;
    }
    s->stat.net_input_bytes += n;
    s->stat.total_reads++;
    c->net_in += n;
    server_update_time(s);
    server_note_read(s, c->last_reply_us);
    c->last_interaction = s->mstime;

    char *own = c->qbuf;
    size_t owncap = c->qcap;
    if (shared) {
        c->qbuf = shared_rbuf;
        c->qcap = SHARED_RBUF;
        c->qpos = 0;
    }
    c->qlen += (size_t)n;
    if (c->qlen > c->qpeak) c->qpeak = c->qlen;

    session_process_input(c);

    if (shared) {
        size_t left = c->qlen - c->qpos;
        size_t from = c->qpos;
        c->qbuf = own;
        c->qcap = owncap;
        c->qpos = c->qlen = 0;
        if (left) {
            qbuf_reserve(c, left);
            memcpy(c->qbuf, shared_rbuf + from, left);
            c->qlen = left;
        }
    }
    /* Give back a query buffer that grew for a big request. */
    if (c->qlen == 0 && c->qcap > 4 * READ_CHUNK) {
        xfree(c->qbuf);
        c->qbuf = NULL;
        c->qcap = 0;
    }
    /* Everything a half-received request holds counts: buffered bytes, a big
     * bulk being collected, and the arguments already parsed. */
    size_t held = (c->qlen - c->qpos) + resp_parse_received(&c->parser) +
                  (c->args.argc ? argv_mem(&c->args) : 0);
    if (held > (size_t)s->cfg.client_query_buffer_limit) {
        log_warning("Closing client that reached max query buffer length: id=%llu addr=%s (qbuf %zu bytes)",
                    (unsigned long long)c->id, c->addr, held);
        s->stat.client_qbuf_limit_disconnections++;
        session_close_async(c);
    }
}

/* ---- writing ---------------------------------------------------------- */

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    session *c = arg;
    if (resp_flush(c) < 0) {
        event_del(c->wev);   /* a dead socket stays writable: don't hear of it again */
        session_close_async(c);
    }
}

static int resp_flush(session *c)
{
    server *s = c->srv;
    if (c->flags & SESS_AOF_WAIT) {
        /* Replies wait for the append log's fsync (persist/aof.h); the
         * release marks c for writing again. */
        if (c->wev) event_del(c->wev);
        return 0;
    }
    while (session_out_total(c)) {
        struct iovec iov[2 * SESSION_OREF_MAX + 1];
        int niov = session_out_iov(c, iov, 2 * SESSION_OREF_MAX + 1);
        ssize_t n = niov == 1 ? write(c->fd, iov[0].iov_base, iov[0].iov_len) : writev(c->fd, iov, niov);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c->wev) c->wev = event_new(s->base, c->fd, EV_WRITE | EV_PERSIST, on_write, c);
                event_add(c->wev, NULL);
                return 0;
            }
            log_verbose("Error writing to client: %s", strerror(errno));
            return -1;
        }
        session_out_sent(c, (size_t)n);
        s->stat.net_output_bytes += n;
        s->stat.total_writes++;
        c->net_out += n;
    }
    c->olen = c->osent = 0;
    if (c->ocap > 1024 * 1024) {   /* a big reply passed: give the memory back */
        xfree(c->obuf);
        c->obuf = NULL;
        c->ocap = 0;
    }
    if (c->wev) event_del(c->wev);
    if (c->flags & SESS_CLOSE_AFTER_REPLY) session_close_async(c);
    return 0;
}

static void resp_close(session *c)
{
    if (c->rev) event_free(c->rev);
    if (c->wev) event_free(c->wev);
    c->rev = c->wev = NULL;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static void resp_pause(session *c)
{
    if (c->rev) event_del(c->rev);
}

static void resp_resume(session *c)
{
    if (c->rev) event_add(c->rev, NULL);
}

/* ---- accepting -------------------------------------------------------- */

static void set_keepalive(int fd, int interval)
{
    int yes = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof yes) < 0) return;
    if (interval <= 0) return;
    int idle = interval, intvl = interval / 3 ? interval / 3 : 1, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    server *s = arg;
    for (int i = 0; i < MAX_ACCEPTS_PER_CALL; i++) {
        struct sockaddr_storage sa;
        socklen_t salen = sizeof sa;
        int fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warning("Accepting client connection: %s", strerror(errno));
            return;
        }
        server_update_time(s);
        if (s->nclients >= s->cfg.maxclients) {
            static const char msg[] = "-ERR max number of clients reached\r\n";
            if (write(fd, msg, sizeof msg - 1) < 0) { /* best effort */ }
            close(fd);
            s->stat.rejected_conn++;
            continue;
        }
        int is_unix = sa.ss_family == AF_UNIX;
        if (!is_unix) {
            int yes = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
            set_keepalive(fd, s->cfg.tcp_keepalive);
        }
        session *c = session_new(s, &resp_session_ops, fd);
        c->oref_ok = 1;   /* resp_flush writes shared pub/sub buffers */
        if (is_unix) {
            c->flags |= SESS_UNIX;
            snprintf(c->addr, sizeof c->addr, "%s:0", s->cfg.unixsocket);
            snprintf(c->laddr, sizeof c->laddr, "%s:0", s->cfg.unixsocket);
        } else {
            fmt_addr(&sa, c->addr, sizeof c->addr);
            struct sockaddr_storage la;
            socklen_t lalen = sizeof la;
            if (getsockname(fd, (struct sockaddr *)&la, &lalen) == 0) fmt_addr(&la, c->laddr, sizeof c->laddr);
        }
        c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
        event_add(c->rev, NULL);
        s->stat.numconnections++;
        log_verbose("Accepted %s", c->addr);
    }
}

static int listen_tcp(server *s, resp_listener *l, const char *addr)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", s->cfg.port);
    const char *host = addr;
    int optional = 0;
    if (host[0] == '-') {   /* "-::*": don't fail if unavailable */
        optional = 1;
        host++;
    }
    if (!strcmp(host, "*")) host = "0.0.0.0";
    else if (!strcmp(host, "::*")) host = "::";
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        log_warning("Could not resolve bind address %s: %s", addr, gai_strerror(rc));
        return optional ? 0 : -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof yes);
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, s->cfg.tcp_backlog) < 0) goto fail;
    freeaddrinfo(res);
    l->fds[l->nfds] = fd;
    l->is_unix[l->nfds] = 0;
    l->nfds++;
    return 0;
fail:
    log_warning("Could not create server TCP listening socket %s:%d: %s", addr, s->cfg.port, strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return optional ? 0 : -1;
}

static int listen_unix(server *s, resp_listener *l, const char *path)
{
    struct sockaddr_un sa = {0};
    if (strlen(path) >= sizeof sa.sun_path) {
        log_warning("unixsocket path too long: %s", path);
        return -1;
    }
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, s->cfg.tcp_backlog) < 0) {
        log_warning("Failed opening Unix socket %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (s->cfg.unixsocketperm) chmod(path, (mode_t)s->cfg.unixsocketperm);
    l->fds[l->nfds] = fd;
    l->is_unix[l->nfds] = 1;
    l->nfds++;
    l->unix_path = xstrdup(path);
    return 0;
}

static void close_all(resp_listener *l)
{
    for (int i = 0; i < l->nfds; i++) {
        if (l->evs[i]) event_free(l->evs[i]);
        close(l->fds[i]);
    }
    if (l->unix_path) {
        unlink(l->unix_path);
        xfree(l->unix_path);
    }
    xfree(l);
}

static int resp_open(server *s, void **state)
{
    if (!shared_rbuf) shared_rbuf = xmalloc(SHARED_RBUF);
    resp_listener *l = xcalloc(1, sizeof *l);
    if (s->cfg.port > 0) {
        for (int i = 0; i < s->cfg.bind_count; i++)
            if (listen_tcp(s, l, s->cfg.bind[i]) != 0) {
                close_all(l);
                return -1;
            }
    }
    if (s->cfg.unixsocket && s->cfg.unixsocket[0] && listen_unix(s, l, s->cfg.unixsocket) != 0) {
        close_all(l);
        return -1;
    }
    if (l->nfds == 0) log_warning("No TCP port nor unix socket configured: not listening for RESP clients");
    for (int i = 0; i < l->nfds; i++) {
        l->evs[i] = event_new(s->base, l->fds[i], EV_READ | EV_PERSIST, on_accept, s);
        event_add(l->evs[i], NULL);
    }
    if (s->cfg.port > 0 && l->nfds > 0) log_notice("Ready to accept connections tcp on port %d", s->cfg.port);
    if (l->unix_path) log_notice("Ready to accept connections unix on %s", l->unix_path);
    *state = l;
    return 0;
}

static void resp_lclose(server *s, void *state)
{
    if (state) close_all(state);
}

const listener_ops resp_listener_ops = {
    .name = "resp",
    .open = resp_open,
    .close = resp_lclose,
};
