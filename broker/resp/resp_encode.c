/* resp_encode.c — the reply model encoded as RESP2 and RESP3 bytes.
 *
 * Both tables write straight into the session's output buffer.  RESP2 has
 * no map, set, push, double, boolean or verbatim types: they become arrays,
 * bulk strings and integers, as Redis does for HELLO 2 clients.
 */
#include "reply.h"
#include "session.h"
#include "object.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Write "<prefix><n>\r\n". */
static void out_len(session *c, char prefix, long long n)
{
    char *p = session_out_reserve(c, 32);
    p[0] = prefix;
    int k = ll_to_str(p + 1, 30, n);
    p[1 + k] = '\r';
    p[2 + k] = '\n';
    session_out_commit(c, (size_t)k + 3);
}

static void r_simple(session *c, const char *s, size_t n)
{
    char *p = session_out_reserve(c, n + 3);
    p[0] = '+';
    memcpy(p + 1, s, n);
    p[n + 1] = '\r';
    p[n + 2] = '\n';
    session_out_commit(c, n + 3);
}

static void r_error(session *c, const char *s, size_t n)
{
    char *p = session_out_reserve(c, n + 3);
    p[0] = '-';
    for (size_t i = 0; i < n; i++) p[i + 1] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
    p[n + 1] = '\r';
    p[n + 2] = '\n';
    session_out_commit(c, n + 3);
}

static void r_integer(session *c, long long v)
{
    out_len(c, ':', v);
}

static void r_bulk(session *c, const void *data, size_t n)
{
    if (n < 4096) {
        char *p = session_out_reserve(c, n + 32);
        p[0] = '$';
        int k = ll_to_str(p + 1, 30, (long long)n);
        p[1 + k] = '\r';
        p[2 + k] = '\n';
        memcpy(p + 3 + k, data, n);
        p[3 + k + n] = '\r';
        p[4 + k + n] = '\n';
        session_out_commit(c, (size_t)k + 5 + n);
        return;
    }
    out_len(c, '$', (long long)n);
    session_out(c, data, n);
    session_out(c, "\r\n", 2);
}

static void r2_null(session *c) { session_out(c, "$-1\r\n", 5); }
static void r2_null_array(session *c) { session_out(c, "*-1\r\n", 5); }
static void r3_null(session *c) { session_out(c, "_\r\n", 3); }

static void r2_double(session *c, double d)
{
    char buf[64];
    int n = d_to_str(buf, sizeof buf, d);
    r_bulk(c, buf, (size_t)n);
}

static void r3_double(session *c, double d)
{
    char buf[64];
    buf[0] = ',';
    int n = d_to_str(buf + 1, sizeof buf - 3, d);
    buf[n + 1] = '\r';
    buf[n + 2] = '\n';
    session_out(c, buf, (size_t)n + 3);
}

static void r2_bool(session *c, int b) { session_out(c, b ? ":1\r\n" : ":0\r\n", 4); }
static void r3_bool(session *c, int b) { session_out(c, b ? "#t\r\n" : "#f\r\n", 4); }

static void r2_verbatim(session *c, const char *p, size_t n, const char *ext) { r_bulk(c, p, n); }

static void r3_verbatim(session *c, const char *p, size_t n, const char *ext)
{
    out_len(c, '=', (long long)n + 4);
    session_out(c, ext, 3);
    session_out(c, ":", 1);
    session_out(c, p, n);
    session_out(c, "\r\n", 2);
}

static void r2_bignum(session *c, const char *p, size_t n) { r_bulk(c, p, n); }

static void r3_bignum(session *c, const char *p, size_t n)
{
    session_out(c, "(", 1);
    session_out(c, p, n);
    session_out(c, "\r\n", 2);
}

static void r2_agg(session *c, reply_agg kind, long n)
{
    out_len(c, '*', kind == RV_MAP ? 2 * (long long)n : n);
}

static char agg_char(reply_agg kind)
{
    switch (kind) {
    case RV_MAP: return '%';
    case RV_SET: return '~';
    case RV_PUSH: return '>';
    case RV_ATTRIBUTE: return '|';
    default: return '*';
    }
}

static void r3_agg(session *c, reply_agg kind, long n) { out_len(c, agg_char(kind), n); }

/* A deferred header is where the header will be inserted, counted from the
 * first unsent byte (session_out_reserve may slide the unsent bytes to the
 * front of the buffer meanwhile); +1 so that a handle is never NULL.  The
 * bytes after it are moved up when it is filled. */
static void *r_defer(session *c) { return (void *)(uintptr_t)(session_out_pending(c) + 1); }

static void insert_header(session *c, void *h, char prefix, long long n)
{
    char hdr[32];
    hdr[0] = prefix;
    int k = ll_to_str(hdr + 1, 30, n);
    hdr[1 + k] = '\r';
    hdr[2 + k] = '\n';
    size_t hl = (size_t)k + 3;
    session_out_reserve(c, hl);
    size_t off = c->osent + (size_t)(uintptr_t)h - 1;
    memmove(c->obuf + off + hl, c->obuf + off, c->olen - off);
    memcpy(c->obuf + off, hdr, hl);
    c->olen += hl;
}

static void r2_set_deferred(session *c, void *h, reply_agg kind, long n)
{
    insert_header(c, h, '*', kind == RV_MAP ? 2 * (long long)n : n);
}

static void r3_set_deferred(session *c, void *h, reply_agg kind, long n)
{
    insert_header(c, h, agg_char(kind), n);
}

static void r_raw(session *c, const void *p, size_t n) { session_out(c, p, n); }

const reply_ops resp2_ops = {
    .simple = r_simple, .error = r_error, .integer = r_integer, .bulk = r_bulk,
    .null = r2_null, .null_array = r2_null_array, .dbl = r2_double, .boolean = r2_bool,
    .verbatim = r2_verbatim, .bignum = r2_bignum, .agg = r2_agg, .defer = r_defer,
    .set_deferred = r2_set_deferred, .raw = r_raw,
};

const reply_ops resp3_ops = {
    .simple = r_simple, .error = r_error, .integer = r_integer, .bulk = r_bulk,
    .null = r3_null, .null_array = r3_null, .dbl = r3_double, .boolean = r3_bool,
    .verbatim = r3_verbatim, .bignum = r3_bignum, .agg = r3_agg, .defer = r_defer,
    .set_deferred = r3_set_deferred, .raw = r_raw,
};
