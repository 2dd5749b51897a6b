/* session.c — client sessions: input processing, output buffer, teardown. */
#include "session.h"
#include "server.h"
#include "alloc.h"
#include "log.h"
#include "multi.h"
#include "info.h"
#include "blocking.h"
#include "pubsub.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define OBUF_MIN 16384

session *session_new(server *s, const session_ops *ops, int fd)
{
    session *c = xcalloc(1, sizeof *c);
    c->id = ++s->next_client_id;
    c->srv = s;
    c->ops = ops;
    c->rops = &resp2_ops;
    c->resp = 2;
    c->fd = fd;
    c->dbid = 0;
    c->db = &s->dbs[0];
    c->ctime = c->last_interaction = s->mstime;
    resp_parser_init(&c->parser);
    argv_init(&c->args);
    argv_init(&c->eff);
    if (!s->cfg.requirepass || !s->cfg.requirepass[0]) c->flags |= SESS_AUTHENTICATED;

    c->next = s->clients;
    if (s->clients) s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    dict_add(s->clients_by_id, (void *)(uintptr_t)c->id, c);
    return c;
}

void session_close_async(session *c)
{
    if (c->flags & SESS_CLOSE_ASAP) return;
    c->flags |= SESS_CLOSE_ASAP;
    c->close_next = c->srv->to_close;
    c->srv->to_close = c;
}

/* unlink_pending takes c out of a pending-write list; 0 if not in it. */
static int unlink_pending(session **list, session *c)
{
    for (session **pp = list; *pp; pp = &(*pp)->pw_next)
        if (*pp == c) {
            *pp = c->pw_next;
            return 1;
        }
    return 0;
}

void session_free(session *c)
{
    server *s = c->srv;
    if (s->current == c) s->current = NULL;
    multi_session_cleanup(c);
    pubsub_session_cleanup(c);
    block_session_free(c);
    if (c->ops && c->ops->close) c->ops->close(c);

    /* Unlink from the client list and the pending-write list. */
    if (c->prev) c->prev->next = c->next;
    else s->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nclients--;
    if (c->flags & SESS_PENDING_WRITE && !unlink_pending(&s->pending_write, c))
        unlink_pending(&s->pending_deliver, c);
    dict_delete(s->clients_by_id, (void *)(uintptr_t)c->id);

    resp_parser_reset(&c->parser);
    argv_free(&c->args);
    argv_free(&c->eff);
    xfree(c->qbuf);
    xfree(c->obuf);
    for (int i = 0; i < c->nref; i++) ps_msg_unref(c->oref[i].m);
    sbuf_free(c->name);
    sbuf_free(c->lib_name);
    sbuf_free(c->lib_ver);
    xfree(c);
}

/* ---- output ----------------------------------------------------------- */

char *session_out_reserve(session *c, size_t n)
{
    if (c->ocap - c->olen >= n) return c->obuf + c->olen;
    /* Slide pending bytes to the front before growing. */
    if (c->osent > 0) {
        memmove(c->obuf, c->obuf + c->osent, c->olen - c->osent);
        c->olen -= c->osent;
        for (int i = 0; i < c->nref; i++) c->oref[i].pos -= c->osent;
        c->osent = 0;
        if (c->ocap - c->olen >= n) return c->obuf + c->olen;
    }
    size_t need = c->olen + n;
    size_t cap = c->ocap ? c->ocap : OBUF_MIN;
    while (cap < need) cap = cap < (64u << 20) ? cap * 2 : cap + (64u << 20);
    c->obuf = xrealloc(c->obuf, cap);
    c->ocap = cap;
    return c->obuf + c->olen;
}

void session_out(session *c, const void *p, size_t n)
{
    if (c->flags & SESS_CLOSE_ASAP) return;
    char *dst = session_out_reserve(c, n);
    memcpy(dst, p, n);
    c->olen += n;
    session_mark_write(c);
}

void session_out_shared(session *c, ps_msg *m)
{
    if (c->flags & SESS_CLOSE_ASAP) return;
    if (!c->oref_ok || c->nref == SESSION_OREF_MAX || c == c->srv->current || (c->flags & SESS_EXECUTING)) {
        session_out(c, m->data, m->len);
        return;
    }
    c->oref[c->nref].m = ps_msg_ref(m);
    c->oref[c->nref].pos = c->olen;
    c->nref++;
    c->oref_bytes += m->len;
    session_mark_write(c);
}

int session_out_iov(session *c, void *iovp, int max)
{
    struct iovec *iov = iovp;
    int n = 0;
    size_t at = c->osent;
    int i;
    for (i = 0; i < c->nref && n + 2 <= max; i++) {
        if (c->oref[i].pos > at) {
            iov[n].iov_base = c->obuf + at;
            iov[n++].iov_len = c->oref[i].pos - at;
            at = c->oref[i].pos;
        }
        size_t skip = i == 0 ? c->oref_sent : 0;
        iov[n].iov_base = c->oref[i].m->data + skip;
        iov[n++].iov_len = c->oref[i].m->len - skip;
    }
    if (i == c->nref && n < max && c->olen > at) {   /* the obuf tail after the last reference */
        iov[n].iov_base = c->obuf + at;
        iov[n++].iov_len = c->olen - at;
    }
    return n;
}

void session_out_sent(session *c, size_t n)
{
    while (n > 0) {
        if (c->nref && c->osent == c->oref[0].pos) {
            ps_msg *m = c->oref[0].m;
            size_t left = m->len - c->oref_sent;
            if (n < left) {
                c->oref_sent += n;
                c->oref_bytes -= n;
                return;
            }
            n -= left;
            c->oref_bytes -= left;
            c->oref_sent = 0;
            ps_msg_unref(m);
            c->nref--;
            memmove(c->oref, c->oref + 1, (size_t)c->nref * sizeof c->oref[0]);
        } else {
            size_t end = c->nref ? c->oref[0].pos : c->olen;
            size_t k = end - c->osent < n ? end - c->osent : n;
            c->osent += k;
            n -= k;
        }
    }
}

/* obuf_limit_reached: Redis's rule for the session's class (pubsub when
 * subscribed, else normal): pending output at or over the hard limit, or
 * over the soft limit for longer than soft-seconds (the clock starts the
 * first time it is seen over, and stops when it drops back under). */
static int obuf_limit_reached(session *c)
{
    server *s = c->srv;
    const struct config_obuf_limit *lim =
        &s->cfg.obuf_limits[(c->flags & SESS_PUBSUB) ? CONFIG_OBUF_PUBSUB : CONFIG_OBUF_NORMAL];
    /* As Redis, the first OBUF_MIN bytes (its static reply buffer) are free. */
    size_t pending = session_out_total(c);
    long long used = pending > OBUF_MIN ? (long long)(pending - OBUF_MIN) : 0;
    int hard = lim->hard && used >= lim->hard;
    int soft = lim->soft && used >= lim->soft;
    if (soft) {
        if (c->obuf_soft_since == 0) {
            c->obuf_soft_since = s->mstime;
            soft = 0;
        } else if (s->mstime - c->obuf_soft_since <= (long long)lim->soft_seconds * 1000) {
            soft = 0;
        }
    } else {
        c->obuf_soft_since = 0;
    }
    return soft || hard;
}

/* session_check_output_limit closes c (asynchronously, logged) when its
 * pending output broke its class's client-output-buffer-limit; returns 1
 * if it did.  Output to a closing session is dropped (session_out), so its
 * memory stays bounded by the limit plus one reply. */
int session_check_output_limit(session *c)
{
    if (c->flags & SESS_CLOSE_ASAP) return 1;
    if (!obuf_limit_reached(c)) return 0;
    sbuf info = session_info_line(c, sbuf_empty(256));
    log_warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", info);
    sbuf_free(info);
    c->srv->stat.client_outbuf_limit_disconnections++;
    session_close_async(c);
    return 1;
}

void session_mark_write(session *c)
{
    if (session_out_total(c) && session_check_output_limit(c)) return;
    if (c->flags & SESS_PENDING_WRITE) return;
    c->flags |= SESS_PENDING_WRITE;
    server *s = c->srv;
    session **list = s->delivering && c != s->current ? &s->pending_deliver : &s->pending_write;
    c->pw_next = *list;
    *list = c;
}

/* ---- input ------------------------------------------------------------ */

static void protocol_error(session *c)
{
    char addr[64];
    snprintf(addr, sizeof addr, "%s", c->addr);
    log_verbose("Protocol error (%s) from client: id=%llu addr=%s", c->parser.err,
                (unsigned long long)c->id, addr);
    char msg[200];
    snprintf(msg, sizeof msg, "ERR %s", c->parser.err);
    c->rops->error(c, msg, strlen(msg));
    c->srv->stat.total_error_replies++;
    info_count_error(c->srv, msg, strlen(msg));
    session_mark_write(c);
    c->flags |= SESS_CLOSE_AFTER_REPLY;
}

void session_process_input(session *c)
{
    server *s = c->srv;
    while (c->qpos < c->qlen && !(c->flags & (SESS_CLOSE_ASAP | SESS_CLOSE_AFTER_REPLY | SESS_BLOCKED))) {
        size_t consumed = 0;
        c->parser.max_bulk = config_max_bulk(&s->cfg);
        c->parser.authenticated = (c->flags & SESS_AUTHENTICATED) || !s->cfg.requirepass || !s->cfg.requirepass[0];
        int r = resp_parse(&c->parser, c->qbuf + c->qpos, c->qlen - c->qpos, &consumed, &c->args);
        c->qpos += consumed;
        if (r == RESP_PARSE_ERR) {
            protocol_error(c);
            break;
        }
        if (r == RESP_PARSE_MORE) break;
        c->last_interaction = s->mstime;
        server_process_command(c);
        if (!(c->flags & SESS_BLOCKED)) {
            if (c->flags & (SESS_REPLY_SKIP | SESS_REPLY_SKIP_NEXT)) session_reply_step(c);   /* else when unblocked */
            argv_reset(&c->args);
        }
        session_mark_write(c);
    }
    if (c->qpos == c->qlen) c->qpos = c->qlen = 0;
}

/* ---- state ------------------------------------------------------------ */

void session_set_resp(session *c, int resp)
{
    c->resp = resp;
    session_reply_sync(c);   /* native sessions keep their encoder */
}

int session_is_resp(const session *c)
{
    return c->rops == &resp2_ops || c->rops == &resp3_ops || c->rops == &reply_discard_ops;
}

void session_reply_sync(session *c)
{
    if (!session_is_resp(c)) return;
    if (c->flags & (SESS_REPLY_OFF | SESS_REPLY_SKIP)) c->rops = &reply_discard_ops;
    else c->rops = c->resp == 3 ? &resp3_ops : &resp2_ops;
}

void session_reply_step(session *c)
{
    c->flags &= ~(uint32_t)SESS_REPLY_SKIP;
    if (c->flags & SESS_REPLY_SKIP_NEXT) {
        c->flags &= ~(uint32_t)SESS_REPLY_SKIP_NEXT;
        c->flags |= SESS_REPLY_SKIP;
    }
    session_reply_sync(c);
}

int session_select(session *c, int id)
{
    if (id < 0 || id >= c->srv->ndb) return -1;
    c->dbid = id;
    c->db = &c->srv->dbs[id];
    return 0;
}

/* flags_string: CLIENT LIST's flags, in Redis 7.0's order. */
static void flags_string(session *c, char *out)
{
    char *p = out;
    if (c->flags & SESS_PUBSUB) *p++ = 'P';
    if (c->flags & SESS_MULTI) *p++ = 'x';
    if (c->flags & SESS_BLOCKED) *p++ = 'b';
    if (c->flags & SESS_DIRTY_CAS) *p++ = 'd';
    if (c->flags & SESS_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & SESS_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & SESS_UNIX) *p++ = 'U';
    if (c->flags & SESS_NO_EVICT) *p++ = 'e';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

/* session_info_line: Redis 7.0's CLIENT LIST fields, in its order, with
 * Redis 7.2's lib-name/lib-ver appended once CLIENT SETINFO set one.
 *  qbuf      bytes in the query buffer, the running command's included
 *  argv-mem  bytes of the current command's arguments
 *  multi-mem queued commands: argument bytes plus a pointer per argument
 *  rbs/rbp   reply buffer size (Rill has one buffer; its size, at least 16k)
 *  obl/omem  pending reply bytes / reply memory beyond the first 16k
 *  cmd       the last command looked up for it (the running one included) */
sbuf session_info_line(session *c, sbuf out)
{
    server *s = c->srv;
    char flags[16];
    flags_string(c, flags);
    const char *cmdname = c->lastcmd ? command_fullname(c->lastcmd) : "NULL";

    size_t argv_len = 0;
    for (int i = 0; i < c->args.argc; i++) argv_len += sbuf_len(c->args.argv[i]);
    size_t multi_mem = 0;
    if (c->flags & SESS_MULTI) {
        for (int j = 0; j < c->mcount; j++) {
            const argv_t *q = &c->mstate[j].args;
            for (int i = 0; i < q->argc; i++) multi_mem += sbuf_len(q->argv[i]) + sizeof(void *);
        }
    }
    int own_qbuf = c->qbuf && c->qcap != 0 && s->current != c;
    size_t qcap = c->qcap > c->qlen ? c->qcap : c->qlen;
    size_t rbs = c->ocap > OBUF_MIN ? c->ocap : OBUF_MIN;
    size_t omem = (c->ocap > OBUF_MIN ? c->ocap - OBUF_MIN : 0) + c->oref_bytes;
    size_t tot = sizeof *c + (own_qbuf ? c->qcap : 0) + c->ocap + c->oref_bytes + argv_mem(&c->args) + multi_mem;
    int writing = c->wev && event_pending(c->wev, EV_WRITE, NULL);

    out = sbuf_catfmt(out,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
        "sub=%d psub=%d ssub=%d multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=%zu "
        "rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=r%s cmd=%s user=default "
        "redir=-1 resp=%d",
        (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
        s->mstime / 1000 - c->ctime / 1000, s->mstime / 1000 - c->last_interaction / 1000, flags, c->dbid,
        (int)ps_client_channels(c->ps), (int)ps_client_patterns(c->ps), (int)ps_client_shard(c->ps),
        (c->flags & SESS_MULTI) ? c->mcount : -1,
        c->qlen, qcap - c->qlen, argv_len, multi_mem,
        rbs, rbs, session_out_total(c), omem, tot,
        writing ? "w" : "", cmdname, c->resp);
    if (c->lib_name || c->lib_ver)
        out = sbuf_catfmt(out, " lib-name=%s lib-ver=%s", c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "");
    return out;
}
