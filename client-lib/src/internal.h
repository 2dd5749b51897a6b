/* internal.h — librill's private declarations, shared by client.c, async.c,
 * codec.c and the helpers.  Nothing here is installed.
 *
 * The reply tree (struct rill_reply) is decoded from a protobuf Reply by
 * codec.c; rill_decode_reply is the one entry point, used by the sync and
 * the async client and unit-tested alone (tests/unit/rill_client_test.c).
 */
#ifndef RILL_CLIENT_INTERNAL_H
#define RILL_CLIENT_INTERNAL_H

#include "rill/rill.h"
#include "rill/rill_async.h"

#include <stddef.h>
#include <stdint.h>

/* Deepest value tree accepted from a server (a deeper one is EPROTO). */
#define RILL_MAX_DEPTH 128

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

/* rill_decode_reply decodes one Reply message body (buf, len).  On RILL_OK
 * *out is a new tree the caller frees with rill_reply_free and *id the
 * Reply's id.  RILL_EPROTO: not a Reply, or nested deeper than
 * RILL_MAX_DEPTH; RILL_ENOMEM.  errbuf (may be NULL) gets a message. */
int rill_decode_reply(const void *buf, size_t len, uint64_t *id, rill_reply **out, char *errbuf, size_t errlen);

/* rill_decode_batch_reply decodes the Reply to a batch of n requests whose
 * ids are ids[]: on RILL_OK out[i] is entry i's reply (a refused batch's
 * single reply, an error, is given to every entry).  RILL_EPROTO when the
 * replies do not match the requests one for one. */
int rill_decode_batch_reply(const void *buf, size_t len, uint64_t *id, size_t n, const uint64_t *ids,
                            rill_reply **out, char *errbuf, size_t errlen);

/* A batch is at most this many requests (the server's limit) and, unless
 * one request alone is larger, about this many bytes. */
#define RILL_BATCH_MAX 1024
#define RILL_BATCH_BYTES (1u << 20)

/* rill_encode_request packs Request{id, argv} into a new buffer of *outlen
 * bytes (malloc'd, caller frees).  NULL when out of memory. */
void *rill_encode_request(uint64_t id, int argc, const char *const *argv, const size_t *argvlen, size_t *outlen);

/* rill_format_argv splits a hiredis-style format (see rill_commandf) into
 * arguments.  On RILL_OK fa holds argv and lens (malloc'd; free them with
 * rill_format_free).  RILL_EINVAL: bad directive or empty command. */
typedef struct rill_fargs {
    int argc;
    const char **argv;
    size_t *lens;
    char *buf;
} rill_fargs;
#include <stdarg.h>
int rill_format_argv(rill_fargs *fa, const char *fmt, va_list ap, char *errbuf, size_t errlen);
void rill_format_free(rill_fargs *fa);

/* ---- the subscription registry (subs.c) -----------------------------------
 * What the client is subscribed to, kept client-side so a new connection can
 * subscribe again.  Channels and patterns each map a name to a callback.
 * Pure data structure: no NNG, unit-tested alone. */
typedef struct rill_sub {
    char *name;
    size_t len;
    int pattern;            /* 1: PSUBSCRIBE pattern, 0: channel */
    rill_message_cb *cb;
    void *arg;
    struct rill_sub *next;
} rill_sub;

typedef struct rill_subs {
    rill_sub *head;
    int nchannels, npatterns;
} rill_subs;

/* rill_subs_add adds or replaces (same name and kind) an entry.  0 or -1 (ENOMEM). */
int rill_subs_add(rill_subs *s, const char *name, size_t len, int pattern, rill_message_cb *cb, void *arg);
/* rill_subs_remove removes an entry; 1 if it was there, 0 if not. */
int rill_subs_remove(rill_subs *s, const char *name, size_t len, int pattern);
rill_sub *rill_subs_find(const rill_subs *s, const char *name, size_t len, int pattern);
void rill_subs_clear(rill_subs *s);
/* rill_subs_argv builds the command that re-establishes every entry of one
 * kind ("SUBSCRIBE" + channels or "PSUBSCRIBE" + patterns).  Returns argc
 * (0 when there is none of that kind, -1 on ENOMEM); *argv and *lens are
 * malloc'd arrays pointing into the registry (valid until it changes). */
int rill_subs_argv(const rill_subs *s, int pattern, const char ***argv, size_t **lens);

/* rill_parse_message reads one push (["message", ch, payload],
 * ["pmessage", pattern, ch, payload], ["smessage", ch, payload]) into m.
 * 1 if it is a message, 0 if another push (subscribe confirmations). */
int rill_parse_message(const rill_reply *push, rill_message *m);

/* rill_backoff_ms is the wait before reconnect attempt n (0-based):
 * min_ms doubled each attempt, capped at max_ms. */
int rill_backoff_ms(int attempt, int min_ms, int max_ms);

/* rill_client_fail records msg as c's rill_errstr and returns code. */
int rill_client_fail(rill_client *c, int code, const char *msg);

#endif
