/* stream_obj.h — the stream value a key points at, and the seam between
 * the entry commands (cmd_stream.c) and the consumer-group commands
 * (cmd_xgroup.c, over the pure group structure in cgroup.c).
 *
 * An OBJ_STREAM object's ptr is a stream_value: the entries (stream.h) and
 * the consumer groups.  stream_obj.c owns the value's life cycle (the
 * obj_type: free, dup, mem, rewrite), the lookups the commands share, and
 * the ID / integer argument parsing and entry replies both command files
 * need (arguments are the session's argv sbufs); the group side supplies
 * the stream_groups_* functions below, so the entry side never looks
 * inside a group.
 */
#ifndef RILL_STREAM_OBJ_H
#define RILL_STREAM_OBJ_H

#include <stddef.h>
#include <stdint.h>
#include "stream.h"
#include "object.h"
#include "sbuf.h"

struct server;
struct session;
struct db;
struct cgroups;

typedef struct stream_value {
    stream *s;
    struct cgroups *groups;   /* consumer groups, NULL while there are none */
} stream_value;

extern const obj_type stream_obj_type;   /* stream_obj.c */

/* stream_obj_new: an empty stream with the configured block budgets
 * (stream-node-max-bytes / stream-node-max-entries) and no groups. */
obj *stream_obj_new(struct server *s);

/* stream_obj_set_budgets sets st's block budgets to the configured ones
 * (clamped to 0..UINT32_MAX); XADD calls it on an existing stream so that
 * a CONFIG SET applies from the next block on. */
void stream_obj_set_budgets(struct server *s, stream *st);

/* stream_lookup_write / stream_lookup_read find key in c's db: the
 * stream_value, or NULL with *wrongtype set (and nothing replied) when the
 * key holds another type, or NULL with *wrongtype clear when missing. */
stream_value *stream_lookup_write(struct session *c, sbuf key, int *wrongtype);
stream_value *stream_lookup_read(struct session *c, sbuf key, int *wrongtype);

/* stream_served_index: while a blocked XREAD / XREADGROUP is re-run because
 * one of its keys became ready, the index in keys[0..n) of that key (its
 * first occurrence), else -1.  As Redis 7.0, such a wake-up answers for
 * that one stream only (blocking.h: block_served_key). */
int stream_served_index(struct session *c, const sbuf *keys, int n);

/* ---- argument parsing and replies both command files use ----------------- */

/* The error Redis replies for a malformed stream ID argument. */
#define STREAM_ERR_INVALID_ID "ERR Invalid stream ID specified as stream command argument"

/* stream_lookup_read_or_reply / stream_lookup_write_or_reply: the lookups
 * above for a command with one answer to a missing key: the stream_value,
 * or NULL after replying WRONGTYPE or calling missing(c) (key absent). */
stream_value *stream_lookup_read_or_reply(struct session *c, sbuf key, void (*missing)(struct session *));
stream_value *stream_lookup_write_or_reply(struct session *c, sbuf key, void (*missing)(struct session *));

/* stream_parse_id parses an ID argument as Redis's streamParseIDOrReply
 * (strict: streamParseStrictIDOrReply, "-" and "+" refused); an absent
 * sequence reads as missing_seq.  0, or -1 after replying
 * STREAM_ERR_INVALID_ID (c NULL: nothing replied). */
int stream_parse_id(struct session *c, const char *arg, uint64_t missing_seq, int strict, stream_id *id);

/* stream_parse_bound parses a range bound (XRANGE, XREVRANGE, XPENDING,
 * XAUTOCLAIM) as Redis's streamParseIntervalIDOrReply plus the step past
 * an exclusive "(id": the start bound (end 0; absent sequence 0, "(id"
 * stepped up) or the end bound (end 1; absent sequence the highest, "(id"
 * stepped down).  0, or -1 after replying the error. */
int stream_parse_bound(struct session *c, const char *arg, int end, stream_id *id);

/* stream_parse_ll parses an integer argument (Redis's
 * getLongLongFromObjectOrReply).  0, or -1 after replying err, or "ERR
 * value is not an integer or out of range" when err is NULL. */
int stream_parse_ll(struct session *c, const char *arg, long long *v, const char *err);

/* stream_count_streams: XREAD's / XREADGROUP's STREAMS list starts at
 * argv[first]: the keys, then one ID per key.  Returns the number of keys,
 * or -1 after replying the unbalanced-list error. */
int stream_count_streams(struct session *c, int first);

/* stream_reply_id replies id as a bulk string "ms-seq". */
void stream_reply_id(struct session *c, stream_id id);

/* stream_reply_entry replies [id, [field, value, ...]] for the entry the
 * iterator is on (id as st_iter_next returned it). */
void stream_reply_entry(struct session *c, stream_id id, const st_iter *it);

/* An XREAD / XREADGROUP reply: RESP2 an array of [key, entries] pairs,
 * RESP3 a map key -> entries, holding only the streams served.
 * stream_reply_read_key starts key's part: the first call (*served 0)
 * defers the outer reply into *h; *served counts the keys.  The caller
 * then replies the entries.  stream_reply_read_done sets the outer length
 * (call it only when *served > 0). */
void stream_reply_read_key(struct session *c, void **h, long *served, const char *key);
void stream_reply_read_done(struct session *c, void *h, long served);

/* ---- provided by the group side (cmd_xgroup.c) -------------------------- */

/* Free / deep-copy / measure a stream's groups (NULL allowed). */
void stream_groups_free(struct cgroups *g);
struct cgroups *stream_groups_dup(const struct cgroups *g);
size_t stream_groups_mem(const struct cgroups *g);
/* Number of groups (XINFO STREAM "groups"). */
size_t stream_groups_count(const struct cgroups *g);
/* stream_groups_rewrite emits the commands recreating every group, its
 * consumers and pending lists (after the entries and XSETID were emitted). */
int stream_groups_rewrite(const stream_value *sv, const char *key, size_t klen,
                          obj_emit_fn *emit, void *priv);
/* stream_groups_reply_full replies XINFO STREAM FULL's "groups" value
 * (an array; count limits each PEL / consumer PEL as Redis does, 0 = all). */
void stream_groups_reply_full(struct session *c, const stream_value *sv, long long count);
/* stream_groups_info appends INFO's "# Streams" lines to out (returns it). */
sbuf stream_groups_info(struct server *s, sbuf out);

#endif
