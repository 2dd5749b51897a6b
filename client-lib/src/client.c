/* client.c — librill's synchronous client over an NNG REQ socket.
 *
 * One REQ socket per client with request resending disabled
 * (NNG_OPT_REQ_RESENDTIME infinite): a resent command would run twice.
 * Each command in flight has its own nng_ctx and aio, so commands can be
 * pipelined: rill_append sends and posts the receive, rill_get_reply waits
 * for the oldest.  The dialer reconnects on its own after a drop.
 *
 * NNG 1.5 resends a request whose pipe closed even with resending
 * disabled; to keep "at most once", the pipe-removed callback cancels every
 * receive in flight (the request is then discarded by NNG), and the caller
 * gets RILL_ECLOSED: the command may or may not have run.
 */
#include "rill/rill.h"
#include "rill.pb-c.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct pending {
    nng_ctx ctx;
    nng_aio *aio;
    uint64_t id;
    int failed;          /* send failed: rc holds the error */
    int rc;
} pending;

struct rill_client {
    nng_socket sock;
    nng_dialer dialer;
    int timeout_ms;
    uint64_t next_id;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int connected;       /* pipes up (under mu) */
    pending q[RILL_MAX_PIPELINE];   /* ring of in-flight commands */
    int qhead, qlen;
    char err[160];
};

struct rill_reply {
    rill_reply_type type;
    long long integer;
    double dbl;
    char *str;
    size_t len;
    char fmt[8];
    size_t nelem;
    rill_reply **elem;
};

const char *rill_strerror(int err)
{
    switch (err) {
    case RILL_OK: return "ok";
    case RILL_EINVAL: return "invalid argument";
    case RILL_ENOMEM: return "out of memory";
    case RILL_ECONNECT: return "could not connect";
    case RILL_ETIMEDOUT: return "timed out";
    case RILL_ECLOSED: return "connection lost";
    case RILL_EPROTO: return "protocol error";
    case RILL_ESTATE: return "invalid state";
    case RILL_EIO: return "transport error";
    }
    return "unknown error";
}

static int fail(rill_client *c, int code, const char *fmt, ...)
{
    if (c) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, sizeof c->err, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int map_nng(int rv)
{
    switch (rv) {
    case NNG_ETIMEDOUT: return RILL_ETIMEDOUT;
    case NNG_ECANCELED: case NNG_ECLOSED: case NNG_ECONNRESET: case NNG_ECONNSHUT: return RILL_ECLOSED;
    case NNG_ENOMEM: return RILL_ENOMEM;
    case NNG_ECONNREFUSED: case NNG_EADDRINVAL: case NNG_ENOTSUP: case NNG_EINVAL: return RILL_ECONNECT;
    }
    return RILL_EIO;
}

/* ---- connection ---------------------------------------------------------- */

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    rill_client *c = arg;
    pthread_mutex_lock(&c->mu);
    if (ev == NNG_PIPE_EV_ADD_POST) {
        c->connected++;
        pthread_cond_broadcast(&c->cv);
    } else if (ev == NNG_PIPE_EV_REM_POST) {
        if (c->connected > 0) c->connected--;
        /* At most once: what was in flight on the lost pipe must not be resent. */
        for (int i = 0; i < c->qlen; i++) {
            pending *pd = &c->q[(c->qhead + i) % RILL_MAX_PIPELINE];
            if (!pd->failed) nng_aio_cancel(pd->aio);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

int rill_connect(const char *url, int timeout_ms, rill_client **out)
{
    if (out) *out = NULL;
    if (!url || !out) return RILL_EINVAL;
    if (timeout_ms <= 0) timeout_ms = 5000;
    rill_client *c = calloc(1, sizeof *c);
    if (!c) return RILL_ENOMEM;
    c->timeout_ms = timeout_ms;
    c->next_id = 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    int rv;
    if ((rv = nng_req0_open(&c->sock)) != 0) {
        free(c);
        return map_nng(rv);
    }
    nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 0);   /* replies may be big: no limit */
    nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, on_pipe, c);
    nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, on_pipe, c);
    int code = RILL_OK;
    if ((rv = nng_dialer_create(&c->dialer, c->sock, url)) != 0) {
        code = RILL_ECONNECT;
        goto out;
    }
    nng_dialer_set_ms(c->dialer, NNG_OPT_RECONNMINT, 50);
    nng_dialer_set_ms(c->dialer, NNG_OPT_RECONNMAXT, 2000);
    nng_dialer_set_size(c->dialer, NNG_OPT_RECVMAXSZ, 0);
    if ((rv = nng_dialer_start(c->dialer, NNG_FLAG_NONBLOCK)) != 0) {
        code = map_nng(rv);
        goto out;
    }
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    while (!c->connected) {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) == ETIMEDOUT) break;
    }
    int ok = c->connected > 0;
    pthread_mutex_unlock(&c->mu);
    if (!ok) {
        code = RILL_ECONNECT;
        rv = NNG_ETIMEDOUT;
    }
out:
    if (code != RILL_OK) {
        nng_close(c->sock);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c);
        return code;
    }
    *out = c;
    return RILL_OK;
}

void rill_set_timeout(rill_client *c, int timeout_ms)
{
    if (c) c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

const char *rill_errstr(const rill_client *c) { return c ? c->err : ""; }

int rill_pending(const rill_client *c) { return c ? c->qlen : 0; }

static void pending_release(pending *pd)
{
    nng_msg *m = nng_aio_get_msg(pd->aio);
    if (m) nng_msg_free(m);
    nng_aio_free(pd->aio);
    nng_ctx_close(pd->ctx);
    pd->aio = NULL;
}

void rill_close(rill_client *c)
{
    if (!c) return;
    nng_close(c->sock);   /* fails what is in flight, waits for callbacks */
    while (c->qlen > 0) {
        pending *pd = &c->q[c->qhead];
        if (!pd->failed) nng_aio_wait(pd->aio);
        pending_release(pd);
        c->qhead = (c->qhead + 1) % RILL_MAX_PIPELINE;
        c->qlen--;
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

/* ---- requests ------------------------------------------------------------- */

int rill_append(rill_client *c, int argc, const char *const *argv, const size_t *argvlen)
{
    if (!c || argc < 1 || !argv) return fail(c, RILL_EINVAL, "argc must be at least 1");
    if (c->qlen == RILL_MAX_PIPELINE) return fail(c, RILL_ESTATE, "too many commands pending (%d)", RILL_MAX_PIPELINE);
    ProtobufCBinaryData *args = malloc((size_t)argc * sizeof *args);
    if (!args) return fail(c, RILL_ENOMEM, "out of memory");
    for (int i = 0; i < argc; i++) {
        args[i].data = (uint8_t *)argv[i];
        args[i].len = argvlen ? argvlen[i] : strlen(argv[i]);
    }
    Rill__Request req = RILL__REQUEST__INIT;
    req.id = c->next_id++;
    req.n_argv = (size_t)argc;
    req.argv = args;
    size_t n = rill__request__get_packed_size(&req);
    nng_msg *m;
    if (nng_msg_alloc(&m, n) != 0) {
        free(args);
        return fail(c, RILL_ENOMEM, "out of memory for a %zu byte request", n);
    }
    rill__request__pack(&req, nng_msg_body(m));
    free(args);

    pending *pd = &c->q[(c->qhead + c->qlen) % RILL_MAX_PIPELINE];
    memset(pd, 0, sizeof *pd);
    pd->id = req.id;
    int rv;
    if ((rv = nng_ctx_open(&pd->ctx, c->sock)) != 0) {
        nng_msg_free(m);
        return fail(c, map_nng(rv), "nng_ctx_open: %s", nng_strerror(rv));
    }
    if ((rv = nng_aio_alloc(&pd->aio, NULL, NULL)) != 0) {
        nng_ctx_close(pd->ctx);
        nng_msg_free(m);
        return fail(c, RILL_ENOMEM, "nng_aio_alloc: %s", nng_strerror(rv));
    }
    nng_aio_set_timeout(pd->aio, c->timeout_ms > 0 ? c->timeout_ms : NNG_DURATION_INFINITE);
    nng_aio_set_msg(pd->aio, m);
    pthread_mutex_lock(&c->mu);
    c->qlen++;   /* visible to the pipe callback from here */
    nng_ctx_send(pd->ctx, pd->aio);
    pthread_mutex_unlock(&c->mu);
    nng_aio_wait(pd->aio);
    if ((rv = nng_aio_result(pd->aio)) != 0) {
        /* Not sent: the message is still ours (ownership on success only). */
        nng_msg *left = nng_aio_get_msg(pd->aio);
        if (left) nng_msg_free(left);
        nng_aio_set_msg(pd->aio, NULL);
        pd->failed = 1;
        pd->rc = map_nng(rv);
        snprintf(c->err, sizeof c->err, "sending: %s", nng_strerror(rv));
        return RILL_OK;   /* the error is reported by rill_get_reply, in order */
    }
    nng_aio_set_msg(pd->aio, NULL);
    pthread_mutex_lock(&c->mu);
    nng_ctx_recv(pd->ctx, pd->aio);
    pthread_mutex_unlock(&c->mu);
    return RILL_OK;
}

static void reply_free_tree(rill_reply *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nelem; i++) reply_free_tree(r->elem[i]);
    free(r->elem);
    free(r->str);
    free(r);
}

void rill_reply_free(rill_reply *r) { reply_free_tree(r); }

static rill_reply *convert(const Rill__Value *v, int depth)
{
    if (depth > 512) return NULL;
    rill_reply *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->type = v->kind <= RILL__VALUE__KIND__PUSH ? (rill_reply_type)v->kind : RILL_REPLY_NULL;
    r->integer = v->integer;
    r->dbl = v->dbl;
    switch (r->type) {
    case RILL_REPLY_SIMPLE: case RILL_REPLY_ERROR: case RILL_REPLY_BULK:
    case RILL_REPLY_VERBATIM: case RILL_REPLY_BIGNUM:
        r->str = malloc(v->str.len + 1);
        if (!r->str) goto oom;
        if (v->str.len) memcpy(r->str, v->str.data, v->str.len);
        r->str[v->str.len] = '\0';
        r->len = v->str.len;
        if (r->type == RILL_REPLY_VERBATIM) snprintf(r->fmt, sizeof r->fmt, "%s", v->fmt ? v->fmt : "txt");
        break;
    case RILL_REPLY_ARRAY: case RILL_REPLY_MAP: case RILL_REPLY_SET: case RILL_REPLY_PUSH:
        if (v->n_elems) {
            r->elem = calloc(v->n_elems, sizeof *r->elem);
            if (!r->elem) goto oom;
            for (size_t i = 0; i < v->n_elems; i++) {
                r->elem[i] = convert(v->elems[i], depth + 1);
                if (!r->elem[i]) goto oom;
                r->nelem = i + 1;
            }
        }
        break;
    default:
        break;
    }
    return r;
oom:
    reply_free_tree(r);
    return NULL;
}

int rill_get_reply(rill_client *c, rill_reply **out)
{
    if (out) *out = NULL;
    if (!c || !out) return RILL_EINVAL;
    if (c->qlen == 0) return fail(c, RILL_ESTATE, "no command pending");
    pending *pd = &c->q[c->qhead];
    int code = RILL_OK;
    if (pd->failed) {
        code = pd->rc;
    } else {
        nng_aio_wait(pd->aio);
        int rv = nng_aio_result(pd->aio);
        if (rv != 0) {
            code = map_nng(rv);
            if (rv == NNG_ECANCELED) snprintf(c->err, sizeof c->err, "connection lost while waiting; the command may have run");
            else snprintf(c->err, sizeof c->err, "receiving: %s", nng_strerror(rv));
        } else {
            nng_msg *m = nng_aio_get_msg(pd->aio);
            nng_aio_set_msg(pd->aio, NULL);
            Rill__Reply *rep = rill__reply__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
            nng_msg_free(m);
            if (!rep) {
                code = fail(c, RILL_EPROTO, "reply is not a valid Reply message");
            } else {
                if (rep->id != pd->id) {
                    code = fail(c, RILL_EPROTO, "reply id %llu for request %llu",
                                (unsigned long long)rep->id, (unsigned long long)pd->id);
                } else {
                    static const Rill__Value null_value = RILL__VALUE__INIT;
                    *out = convert(rep->value ? rep->value : &null_value, 0);
                    if (!*out) code = fail(c, RILL_ENOMEM, "out of memory decoding the reply");
                }
                rill__reply__free_unpacked(rep, NULL);
            }
        }
    }
    pthread_mutex_lock(&c->mu);
    pending_release(pd);
    c->qhead = (c->qhead + 1) % RILL_MAX_PIPELINE;
    c->qlen--;
    pthread_mutex_unlock(&c->mu);
    return code;
}

int rill_command(rill_client *c, rill_reply **out, int argc, const char *const *argv, const size_t *argvlen)
{
    if (out) *out = NULL;
    if (!c || !out) return RILL_EINVAL;
    if (c->qlen > 0) return fail(c, RILL_ESTATE, "%d pipelined replies not taken yet", c->qlen);
    int rc = rill_append(c, argc, argv, argvlen);
    if (rc != RILL_OK) return rc;
    return rill_get_reply(c, out);
}

/* ---- formatting ------------------------------------------------------------ */

typedef struct fbuf {
    char *p;
    size_t len, cap;
} fbuf;

static int fb_add(fbuf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int rill_commandf(rill_client *c, rill_reply **out, const char *fmt, ...)
{
    if (out) *out = NULL;
    if (!c || !out || !fmt) return RILL_EINVAL;
    /* Arguments are collected in one buffer; offsets and lengths on the side. */
    fbuf all = {0};
    size_t *offs = NULL, *lens = NULL;
    int argc = 0, cap = 0, inword = 0, code = RILL_OK;
    size_t start = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt;; f++) {
        if (*f == ' ' || *f == '\0') {
            if (inword) {
                if (argc == cap) {
                    cap = cap ? cap * 2 : 8;
                    size_t *o2 = realloc(offs, cap * sizeof *o2), *l2 = o2 ? realloc(lens, cap * sizeof *l2) : NULL;
                    if (o2) offs = o2;
                    if (!o2 || !l2) { code = RILL_ENOMEM; break; }
                    lens = l2;
                }
                offs[argc] = start;
                lens[argc] = all.len - start;
                argc++;
                inword = 0;
            }
            if (*f == '\0') break;
            continue;
        }
        if (!inword) {
            inword = 1;
            start = all.len;
        }
        if (*f != '%') {
            if (fb_add(&all, f, 1)) { code = RILL_ENOMEM; break; }
            continue;
        }
        f++;
        char num[64];
        int k = -1;
        if (*f == 's') {
            const char *s = va_arg(ap, const char *);
            if (fb_add(&all, s ? s : "", s ? strlen(s) : 0)) { code = RILL_ENOMEM; break; }
        } else if (*f == 'b') {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            if (fb_add(&all, p, n)) { code = RILL_ENOMEM; break; }
        } else if (*f == '%') {
            if (fb_add(&all, "%", 1)) { code = RILL_ENOMEM; break; }
        } else if (*f == 'd' || *f == 'i') {
            k = snprintf(num, sizeof num, "%d", va_arg(ap, int));
        } else if (*f == 'u') {
            k = snprintf(num, sizeof num, "%u", va_arg(ap, unsigned));
        } else if (*f == 'f' || *f == 'g') {
            k = snprintf(num, sizeof num, *f == 'f' ? "%f" : "%.17g", va_arg(ap, double));
        } else if (f[0] == 'l' && (f[1] == 'd' || f[1] == 'i')) {
            k = snprintf(num, sizeof num, "%ld", va_arg(ap, long));
            f++;
        } else if (f[0] == 'l' && f[1] == 'u') {
            k = snprintf(num, sizeof num, "%lu", va_arg(ap, unsigned long));
            f++;
        } else if (f[0] == 'l' && f[1] == 'l' && (f[2] == 'd' || f[2] == 'i')) {
            k = snprintf(num, sizeof num, "%lld", va_arg(ap, long long));
            f += 2;
        } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'u') {
            k = snprintf(num, sizeof num, "%llu", va_arg(ap, unsigned long long));
            f += 2;
        } else {
            code = fail(c, RILL_EINVAL, "unsupported format directive '%%%c'", *f ? *f : '?');
            break;
        }
        if (k >= 0 && fb_add(&all, num, (size_t)k)) { code = RILL_ENOMEM; break; }
    }
    va_end(ap);
    if (code == RILL_OK && argc == 0) code = fail(c, RILL_EINVAL, "empty command");
    if (code == RILL_OK) {
        const char **argv = malloc((size_t)argc * sizeof *argv);
        if (!argv) {
            code = RILL_ENOMEM;
        } else {
            for (int i = 0; i < argc; i++) argv[i] = all.p + offs[i];
            code = rill_command(c, out, argc, argv, lens);
            free(argv);
        }
    }
    free(all.p);
    free(offs);
    free(lens);
    return code;
}

/* ---- accessors -------------------------------------------------------------- */

rill_reply_type rill_reply_type_of(const rill_reply *r) { return r ? r->type : RILL_REPLY_NULL; }
long long rill_reply_integer(const rill_reply *r) { return r ? r->integer : 0; }
double rill_reply_double(const rill_reply *r) { return r ? r->dbl : 0.0; }
const char *rill_reply_format(const rill_reply *r) { return r ? r->fmt : ""; }
size_t rill_reply_len(const rill_reply *r) { return r ? r->nelem : 0; }

const char *rill_reply_string(const rill_reply *r, size_t *len)
{
    if (!r || !r->str) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = r->len;
    return r->str;
}

const rill_reply *rill_reply_element(const rill_reply *r, size_t i)
{
    return r && i < r->nelem ? r->elem[i] : NULL;
}
