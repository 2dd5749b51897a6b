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
    case RILL_ECANCELED: return "canceled: the client was closed";
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

int rill_client_fail(rill_client *c, int code, const char *msg)
{
    return fail(c, code, "%s", msg);
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
    size_t n;
    uint64_t id = c->next_id++;
    void *body = rill_encode_request(id, argc, argv, argvlen, &n);
    if (!body) return fail(c, RILL_ENOMEM, "out of memory for a request");
    nng_msg *m;
    if (nng_msg_alloc(&m, n) != 0) {
        free(body);
        return fail(c, RILL_ENOMEM, "out of memory for a %zu byte request", n);
    }
    memcpy(nng_msg_body(m), body, n);
    free(body);

    pending *pd = &c->q[(c->qhead + c->qlen) % RILL_MAX_PIPELINE];
    memset(pd, 0, sizeof *pd);
    pd->id = id;
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
            uint64_t rid = 0;
            code = rill_decode_reply(nng_msg_body(m), nng_msg_len(m), &rid, out, c->err, sizeof c->err);
            nng_msg_free(m);
            if (code == RILL_OK && rid != pd->id) {
                rill_reply_free(*out);
                *out = NULL;
                code = fail(c, RILL_EPROTO, "reply id %llu for request %llu",
                            (unsigned long long)rid, (unsigned long long)pd->id);
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

int rill_commandf(rill_client *c, rill_reply **out, const char *fmt, ...)
{
    if (out) *out = NULL;
    if (!c || !out || !fmt) return RILL_EINVAL;
    rill_fargs fa;
    va_list ap;
    va_start(ap, fmt);
    int code = rill_format_argv(&fa, fmt, ap, c->err, sizeof c->err);
    va_end(ap);
    if (code != RILL_OK) return code;
    code = rill_command(c, out, fa.argc, fa.argv, fa.lens);
    rill_format_free(&fa);
    return code;
}
