/* native_codec.h — the native protocol's messages: Request in, Reply out.
 *
 * Pure code, no sockets: native_listener.c feeds it message bodies and
 * sends what it encodes, the unit tests and the fuzz target call it alone.
 *
 * Requests: native_decode_request checks the body's size against the
 * configured frame limit before protobuf-c allocates anything, then checks
 * the argv (at least one argument, at most NATIVE_MAX_ARGC) and copies it
 * into an argv_t.  Unknown fields are skipped (protobuf rules).
 *
 * Replies: a native session's reply_ops (native_reply_ops) build a tree of
 * Rill__Value in the session's native_builder as the handler replies;
 * aggregates are announced with their count (a map counts pairs) or
 * deferred and closed later.  native_builder_finish returns the finished
 * top-level value, which native_encode_reply packs with the request's id.
 */
#ifndef RILL_NATIVE_CODEC_H
#define RILL_NATIVE_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "argv.h"
#include "reply.h"
#include "rill.pb-c.h"

struct session;

/* At most this many arguments in one request (RESP's multibulk limit). */
#define NATIVE_MAX_ARGC (1024 * 1024)
/* At most this many entries in one batch request (docs/protocol.md). */
#define NATIVE_MAX_BATCH 1024

enum {
    NATIVE_OK = 0,
    NATIVE_ETOOBIG,     /* body longer than the frame limit */
    NATIVE_EPARSE,      /* not a valid Request protobuf */
    NATIVE_EEMPTY,      /* no argv */
    NATIVE_ETOOMANY,    /* more than NATIVE_MAX_ARGC arguments */
    NATIVE_BATCH,       /* not an error: a batch (entries in field 3, no argv) */
    NATIVE_EMIXED,      /* batch entries and argv in one Request */
    NATIVE_ETOOMANYBATCH, /* more than NATIVE_MAX_BATCH entries */
    NATIVE_ENESTED,     /* a batch entry that is a batch itself (the listener's check) */
    NATIVE_EBATCHPOLL,  /* POLL as a batch entry (the listener's check) */
};

/* native_strerror describes a NATIVE_E* code (static text). */
const char *native_strerror(int err);

/* native_decode_request decodes body[0..len) into *id and out (an
 * initialised, empty argv_t, filled only on success).  max_frame is the
 * largest body accepted (0: no limit).  Returns NATIVE_OK or a NATIVE_E*
 * code; on error out is left empty and *id is the request's id if it could
 * be read (else 0), so the caller may answer it. */
int native_decode_request(const void *body, size_t len, size_t max_frame, uint64_t *id, argv_t *out);
/* With batch entries (field 3) and no argv it returns NATIVE_BATCH (out left
 * empty, *id the batch's id): the caller lists the entries with
 * native_batch_entries and decodes each with native_decode_request. */

/* Where one batch entry lies in the body. */
typedef struct native_span {
    size_t off, len;
} native_span;

/* native_batch_entries lists the batch entries of a body for which
 * native_decode_request returned NATIVE_BATCH into spans (at most max) and
 * returns how many there are (spans may be NULL: just count). */
int native_batch_entries(const void *body, size_t len, native_span *spans, int max);

/* A batch's answer: Reply{id, batch: [Reply{ids[i], values[i]}...]}. */
size_t native_batch_reply_size(uint64_t id, int n, const uint64_t *ids, Rill__Value *const *values);
size_t native_encode_batch_reply(uint64_t id, int n, const uint64_t *ids, Rill__Value *const *values, uint8_t *out);

/* An open aggregate in the builder. */
typedef struct native_open {
    Rill__Value *v;
    long want;                  /* elements expected; -1 while deferred */
} native_open;

/* The reply tree under construction for one request. */
typedef struct native_builder {
    Rill__Value **top;          /* completed top-level values (normally one) */
    int ntop, captop;
    native_open *stack;         /* open aggregates, innermost last */
    int depth, capdepth;
    int active;                 /* a request is being answered */
    long long dropped;          /* values written with no request active */
    /* on_push, if set, takes pushes written as raw RESP aggregates (pub/sub
     * messages: "*" or ">" first) instead of the tree: they are not part of
     * any request's reply (the listener queues them for POLL). */
    void (*on_push)(struct session *c, const void *p, size_t n);
} native_builder;

void native_builder_init(native_builder *b);
/* native_builder_reset frees any tree and starts over (active = 0). */
void native_builder_reset(native_builder *b);
/* native_builder_free frees the tree and the builder's own arrays. */
void native_builder_free(native_builder *b);

/* native_builder_finish closes whatever is still open and returns the
 * reply value, which the caller owns (free with native_value_free): the one
 * top-level value, NULL-kind if there was none, or an ARRAY of them if the
 * command wrote several.  The builder is left empty. */
Rill__Value *native_builder_finish(native_builder *b);

void native_value_free(Rill__Value *v);

/* native_encode_reply packs Reply{id, value} into a new buffer of *len
 * bytes (xmalloc; the caller frees it).  Or, with out != NULL, into out
 * which must hold native_reply_size(id, value) bytes. */
size_t native_reply_size(uint64_t id, const Rill__Value *value);
size_t native_encode_reply(uint64_t id, const Rill__Value *value, uint8_t *out);

/* native_parse_push reads one RESP aggregate of pushes' shape (">" or "*"
 * first: bulks, integers, simple strings, errors, nulls, nested arrays) at
 * p[0..n) into a new PUSH value (*out, free with native_value_free).
 * Returns the bytes it took, or 0 (and *out NULL) if they are not one
 * complete valid aggregate. */
size_t native_parse_push(const void *p, size_t n, Rill__Value **out);

/* The reply_ops of native sessions.  Their contract: c->fe_state points at
 * a struct whose first member is the session's native_builder. */
extern const reply_ops native_reply_ops;

#endif
