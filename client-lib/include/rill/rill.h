/* rill.h — librill, the C client library for Rill's native protocol.
 *
 * Synchronous API over NNG (REQ socket) and protobuf.  A client is one
 * connection to one server (it reconnects by itself when the connection
 * drops).  Thread safety: a rill_client is used by one thread at a time;
 * use one client per thread.  Nothing here exits or aborts: every call
 * reports failure with a RILL_E* code, and rill_errstr() says more.
 *
 * Ownership: a reply returned through an out-parameter belongs to the
 * caller only when the call returned RILL_OK; free it with rill_reply_free.
 * Elements reached through rill_reply_element belong to their parent.
 *
 *     rill_client *c;
 *     if (rill_connect("tcp://127.0.0.1:7379", 1000, &c) != RILL_OK) ...
 *     rill_reply *r;
 *     if (rill_commandf(c, &r, "SET %s %b", key, val, vlen) == RILL_OK) {
 *         ... rill_reply_type(r) == RILL_REPLY_SIMPLE ...
 *         rill_reply_free(r);
 *     }
 *     rill_close(c);
 */
#ifndef RILL_RILL_H
#define RILL_RILL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RILL_API __attribute__((visibility("default")))
#else
#define RILL_API
#endif

#define RILL_VERSION_MAJOR 0
#define RILL_VERSION_MINOR 1

/* Error codes: 0 is success. */
enum rill_err {
    RILL_OK = 0,
    RILL_EINVAL = 1,     /* bad argument (NULL, argc < 1, bad format) */
    RILL_ENOMEM = 2,     /* out of memory */
    RILL_ECONNECT = 3,   /* could not connect (bad URL, refused, no server within the timeout) */
    RILL_ETIMEDOUT = 4,  /* no reply within the timeout; the command may have run */
    RILL_ECLOSED = 5,    /* the connection dropped while waiting; the command may have run */
    RILL_EPROTO = 6,     /* the server's reply could not be decoded */
    RILL_ESTATE = 7,     /* rill_get_reply with nothing pending, or too many pending */
    RILL_EIO = 8,        /* any other transport failure (see rill_errstr) */
};

/* The reply model: RESP3's types (numbering as in the protocol). */
typedef enum rill_reply_type {
    RILL_REPLY_NULL = 0,
    RILL_REPLY_SIMPLE = 1,     /* status line: "OK", "PONG" */
    RILL_REPLY_ERROR = 2,      /* "ERR ...", "WRONGTYPE ..." (code first) */
    RILL_REPLY_INTEGER = 3,
    RILL_REPLY_BULK = 4,       /* binary-safe string */
    RILL_REPLY_DOUBLE = 5,
    RILL_REPLY_BOOLEAN = 6,    /* rill_reply_integer is 0 or 1 */
    RILL_REPLY_VERBATIM = 7,   /* string + rill_reply_format ("txt", "mkd") */
    RILL_REPLY_BIGNUM = 8,     /* decimal digits as a string */
    RILL_REPLY_ARRAY = 9,
    RILL_REPLY_MAP = 10,       /* elements alternate key, value */
    RILL_REPLY_SET = 11,
    RILL_REPLY_PUSH = 12,
} rill_reply_type;

typedef struct rill_client rill_client;
typedef struct rill_reply rill_reply;

/* rill_strerror describes an error code (static text). */
RILL_API const char *rill_strerror(int err);

/* rill_connect connects to url ("tcp://host:port", "ipc:///path") and waits
 * up to timeout_ms for the connection (<= 0: 5000).  The same timeout is
 * then used for every command (rill_set_timeout changes it).  On RILL_OK
 * *out is a new client the caller closes with rill_close; on error *out is
 * NULL. */
RILL_API int rill_connect(const char *url, int timeout_ms, rill_client **out);

/* rill_set_timeout sets the per-command timeout (ms; <= 0: wait forever). */
RILL_API void rill_set_timeout(rill_client *c, int timeout_ms);

/* rill_close closes the connection and frees c, with any pending replies. */
RILL_API void rill_close(rill_client *c);

/* rill_errstr is the last error's detailed message for c ("" if none). */
RILL_API const char *rill_errstr(const rill_client *c);

/* rill_command sends one command (argv[0..argc), lengths in argvlen, or
 * strlen when argvlen is NULL) and waits for its reply.  A server-side
 * error ("ERR ...") is a RILL_OK call with a RILL_REPLY_ERROR reply. */
RILL_API int rill_command(rill_client *c, rill_reply **out, int argc, const char *const *argv,
                          const size_t *argvlen);

/* rill_commandf formats a command like hiredis: the format is split into
 * arguments at spaces; %s is a C string, %b a (const void *, size_t) pair,
 * %d %i %u %ld %lu %lld %llu integers, %f %g doubles, %% a '%'.  A
 * directive inside a word joins it ("key:%d"). */
RILL_API int rill_commandf(rill_client *c, rill_reply **out, const char *fmt, ...);   /* no printf attribute: %b */

/* Pipelining: rill_append sends a command without waiting; rill_get_reply
 * returns the replies in the order the commands were appended.  At most
 * RILL_MAX_PIPELINE commands may be pending. */
#define RILL_MAX_PIPELINE 64
RILL_API int rill_append(rill_client *c, int argc, const char *const *argv, const size_t *argvlen);
RILL_API int rill_get_reply(rill_client *c, rill_reply **out);
/* rill_pending is the number of appended commands whose reply was not taken. */
RILL_API int rill_pending(const rill_client *c);

/* Reply accessors.  Strings are NUL-terminated (and binary safe: use len). */
RILL_API rill_reply_type rill_reply_type_of(const rill_reply *r);
RILL_API long long rill_reply_integer(const rill_reply *r);          /* INTEGER, BOOLEAN */
RILL_API double rill_reply_double(const rill_reply *r);              /* DOUBLE */
RILL_API const char *rill_reply_string(const rill_reply *r, size_t *len); /* SIMPLE ERROR BULK VERBATIM BIGNUM; NULL otherwise */
RILL_API const char *rill_reply_format(const rill_reply *r);         /* VERBATIM: "txt"; else "" */
RILL_API size_t rill_reply_len(const rill_reply *r);                 /* elements of an aggregate (a map: 2 per pair) */
RILL_API const rill_reply *rill_reply_element(const rill_reply *r, size_t i); /* NULL if out of range */
RILL_API void rill_reply_free(rill_reply *r);

/* rill_reply_type is rill_reply_type_of (a shorter name for the common call). */
#define rill_reply_type(r) rill_reply_type_of(r)

#ifdef __cplusplus
}
#endif
#endif
