/* reply.c — reply-builder entry points: dispatch to the session's encoder. */
#include "reply.h"
#include "session.h"
#include "server.h"
#include "command.h"
#include "object.h"
#include "info.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void reply_simple(session *c, const char *s) { c->rops->simple(c, s, strlen(s)); }
void reply_ok(session *c) { c->rops->simple(c, "OK", 2); }

static void error_n(session *c, const char *msg, size_t n)
{
    /* A message that does not begin with an upper-case code gets "ERR ". */
    size_t i = 0;
    while (i < n && isupper((unsigned char)msg[i])) i++;
    int has_code = i > 0 && i < n && msg[i] == ' ';
    if (i == n && n > 0) has_code = 1;
    if (c->srv) c->srv->stat.total_error_replies++;
    if (has_code) {
        if (c->srv) info_count_error(c->srv, msg, n);
        c->rops->error(c, msg, n);
        return;
    }
    char buf[1024];
    int k = snprintf(buf, sizeof buf, "ERR %.*s", (int)(n > 1000 ? 1000 : n), msg);
    if (c->srv) info_count_error(c->srv, buf, (size_t)k);
    c->rops->error(c, buf, (size_t)k);
}

void reply_error(session *c, const char *msg) { error_n(c, msg, strlen(msg)); }

void reply_errorf(session *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    error_n(c, buf, (size_t)n);
}

void reply_int(session *c, long long v) { c->rops->integer(c, v); }
void reply_bulk(session *c, const void *p, size_t n) { c->rops->bulk(c, p, n); }

void reply_bulk_cstr(session *c, const char *s)
{
    if (!s) c->rops->null(c);
    else c->rops->bulk(c, s, strlen(s));
}

void reply_bulk_sbuf(session *c, const char *s) { c->rops->bulk(c, s, sbuf_len(s)); }

void reply_bulk_ll(session *c, long long v)
{
    char buf[24];
    int n = ll_to_str(buf, sizeof buf, v);
    c->rops->bulk(c, buf, (size_t)n);
}

void reply_null(session *c) { c->rops->null(c); }
void reply_null_array(session *c) { c->rops->null_array(c); }
void reply_double(session *c, double d) { c->rops->dbl(c, d); }
void reply_bool(session *c, int b) { c->rops->boolean(c, b); }
void reply_verbatim(session *c, const char *p, size_t n, const char *ext) { c->rops->verbatim(c, p, n, ext); }
void reply_bignum(session *c, const char *p, size_t n) { c->rops->bignum(c, p, n); }
void reply_array(session *c, long n) { c->rops->agg(c, RV_ARRAY, n); }
void reply_map(session *c, long n) { c->rops->agg(c, RV_MAP, n); }
void reply_set(session *c, long n) { c->rops->agg(c, RV_SET, n); }
void reply_push(session *c, long n) { c->rops->agg(c, RV_PUSH, n); }
void reply_empty_array(session *c) { c->rops->agg(c, RV_ARRAY, 0); }
void *reply_defer(session *c) { return c->rops->defer(c); }
/* A placeholder opened while replies were discarded is never filled, even
 * if CLIENT REPLY ON ran in between. */
static char d_handle;
void reply_set_array_len(session *c, void *h, long n) { if (h != &d_handle) c->rops->set_deferred(c, h, RV_ARRAY, n); }
void reply_set_map_len(session *c, void *h, long n) { if (h != &d_handle) c->rops->set_deferred(c, h, RV_MAP, n); }
void reply_set_set_len(session *c, void *h, long n) { if (h != &d_handle) c->rops->set_deferred(c, h, RV_SET, n); }
void reply_raw(session *c, const void *p, size_t n) { c->rops->raw(c, p, n); }

void reply_err_syntax(session *c) { reply_error(c, "ERR syntax error"); }
void reply_err_wrongtype(session *c) { reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value"); }
void reply_err_notint(session *c) { reply_error(c, "ERR value is not an integer or out of range"); }
void reply_err_notfloat(session *c) { reply_error(c, "ERR value is not a valid float"); }
void reply_err_nokey(session *c) { reply_error(c, "ERR no such key"); }
void reply_err_outofrange(session *c) { reply_error(c, "ERR index out of range"); }

void reply_err_arity(session *c)
{
    reply_errorf(c, "ERR wrong number of arguments for '%s' command",
                 c->cmd ? command_fullname(c->cmd) : "unknown");
}

void reply_help(session *c, const char *const *lines, size_t n)
{
    reply_array(c, (long)n);
    for (size_t i = 0; i < n; i++) reply_simple(c, lines[i]);
}

/* ---- reply_discard_ops: replies that go nowhere (CLIENT REPLY OFF/SKIP) ---- */

static void d_str(session *c, const char *s, size_t n) { (void)c, (void)s, (void)n; }
static void d_int(session *c, long long v) { (void)c, (void)v; }
static void d_buf(session *c, const void *p, size_t n) { (void)c, (void)p, (void)n; }
static void d_none(session *c) { (void)c; }
static void d_dbl(session *c, double d) { (void)c, (void)d; }
static void d_bool(session *c, int b) { (void)c, (void)b; }
static void d_verb(session *c, const char *p, size_t n, const char *ext) { (void)c, (void)p, (void)n, (void)ext; }
static void d_agg(session *c, reply_agg k, long n) { (void)c, (void)k, (void)n; }
static void *d_defer(session *c) { (void)c; return &d_handle; }
static void d_set_deferred(session *c, void *h, reply_agg k, long n) { (void)c, (void)h, (void)k, (void)n; }

const reply_ops reply_discard_ops = {
    .simple = d_str, .error = d_str, .integer = d_int, .bulk = d_buf, .null = d_none,
    .null_array = d_none, .dbl = d_dbl, .boolean = d_bool, .verbatim = d_verb, .bignum = d_str,
    .agg = d_agg, .defer = d_defer, .set_deferred = d_set_deferred, .raw = d_buf,
};
