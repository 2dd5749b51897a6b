/* reply.h — the protocol-agnostic reply builder.
 *
 * Handlers answer only through these calls; they never know which protocol
 * their client speaks.  The value model is RESP3's: simple string, error,
 * integer, bulk, null, double, boolean, verbatim, big number, and the
 * aggregates array, map, set and push.  Each session carries a reply_ops
 * table (RESP2, RESP3, later the native protocol) that encodes each value
 * its own way: e.g. under RESP2 a map becomes an array of 2n elements, a
 * double a bulk string, a boolean the integer 1/0, a null "$-1".
 *
 * Aggregates are announced with their element count first (a map counts
 * pairs), then the elements follow as further calls.  When the count is not
 * known up front, reply_defer() returns a handle and reply_set_*_len()
 * fills it in later, within the same command.
 *
 * Errors: reply_error takes the whole message starting with its code, as
 * Redis sends it without the '-': "ERR syntax error", "WRONGTYPE ...".  A
 * message without an upper-case code first gets "ERR " put in front.
 * Newlines in an error are replaced with spaces (they would break RESP).
 */
#ifndef RILL_REPLY_H
#define RILL_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct session;

typedef enum {
    RV_ARRAY, RV_MAP, RV_SET, RV_PUSH, RV_ATTRIBUTE
} reply_agg;

/* How one protocol encodes the value model.  Every field is required. */
typedef struct reply_ops {
    void (*simple)(struct session *c, const char *s, size_t n);
    void (*error)(struct session *c, const char *s, size_t n);  /* s has the code, no '-' */
    void (*integer)(struct session *c, long long v);
    void (*bulk)(struct session *c, const void *p, size_t n);
    void (*null)(struct session *c);
    void (*null_array)(struct session *c);                      /* RESP2 *-1, RESP3 _ */
    void (*dbl)(struct session *c, double d);
    void (*boolean)(struct session *c, int b);
    void (*verbatim)(struct session *c, const char *p, size_t n, const char *ext);
    void (*bignum)(struct session *c, const char *p, size_t n);
    void (*agg)(struct session *c, reply_agg kind, long n);
    /* defer opens a placeholder for an aggregate header; set_deferred fills it. */
    void *(*defer)(struct session *c);
    void (*set_deferred)(struct session *c, void *handle, reply_agg kind, long n);
    /* raw appends already-encoded bytes of this protocol (shared messages). */
    void (*raw)(struct session *c, const void *p, size_t n);
} reply_ops;

void reply_simple(struct session *c, const char *s);
void reply_ok(struct session *c);
void reply_error(struct session *c, const char *msg);
void reply_errorf(struct session *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(struct session *c, long long v);
void reply_bulk(struct session *c, const void *p, size_t n);
void reply_bulk_cstr(struct session *c, const char *s);      /* NULL -> null */
void reply_bulk_sbuf(struct session *c, const char *s);      /* an sbuf */
void reply_bulk_ll(struct session *c, long long v);          /* integer as bulk */
void reply_null(struct session *c);
void reply_null_array(struct session *c);
void reply_double(struct session *c, double d);
/* reply_human_double: RESP2 bulk formatted like Redis's %.17g for INCRBYFLOAT-style values, RESP3 double */
void reply_bool(struct session *c, int b);
void reply_verbatim(struct session *c, const char *p, size_t n, const char *ext);
void reply_bignum(struct session *c, const char *p, size_t n);
void reply_array(struct session *c, long n);
void reply_map(struct session *c, long n);
void reply_set(struct session *c, long n);
void reply_push(struct session *c, long n);
void reply_empty_array(struct session *c);
void *reply_defer(struct session *c);
void reply_set_array_len(struct session *c, void *h, long n);
void reply_set_map_len(struct session *c, void *h, long n);
void reply_set_set_len(struct session *c, void *h, long n);
void reply_raw(struct session *c, const void *p, size_t n);
/* reply_help answers a HELP subcommand: the n lines as simple strings. */
void reply_help(struct session *c, const char *const *lines, size_t n);

/* Common errors, Redis's exact text. */
void reply_err_syntax(struct session *c);           /* ERR syntax error */
void reply_err_wrongtype(struct session *c);        /* WRONGTYPE Operation against a key holding the wrong kind of value */
void reply_err_notint(struct session *c);           /* ERR value is not an integer or out of range */
void reply_err_notfloat(struct session *c);         /* ERR value is not a valid float */
void reply_err_arity(struct session *c);            /* ERR wrong number of arguments for '<cmd>' command */
void reply_err_nokey(struct session *c);            /* ERR no such key */
void reply_err_outofrange(struct session *c);       /* ERR index out of range */

extern const reply_ops resp2_ops;
extern const reply_ops resp3_ops;
/* reply_discard_ops drops every reply (CLIENT REPLY OFF/SKIP, session.h). */
extern const reply_ops reply_discard_ops;

#endif
