/* cmd_zset.h — helpers shared by cmd_zset.c and cmd_zset_ops.c (not a public API).
 *
 * A sorted-set key holds an obj of type OBJ_ZSET whose ptr is a zset
 * (broker/types/zset.h); obj->encoding mirrors the zset's (ENC_LISTPACK or
 * ENC_SKIPLIST, for OBJECT ENCODING) and is refreshed by zobj_sync after
 * every change.
 */
#ifndef RILL_CMD_ZSET_H
#define RILL_CMD_ZSET_H

#include "server.h"
#include "zset.h"

/* zobj_new wraps a new, empty zset in the given encoding, with the
 * configured pack limits. */
obj *zobj_new(server *s, int zs_encoding);
/* zset_new_cfg is a bare zset with the configured pack limits
 * (zset-max-listpack-entries / -value). */
zset *zset_new_cfg(server *s, int zs_encoding);
/* zobj_sync copies the zset's encoding into o->encoding. */
void zobj_sync(obj *o);
/* zlookup returns the zset object at key or NULL when absent; when the key
 * holds another type it replies WRONGTYPE and sets *err.  For writing, the
 * set's pack limits are brought up to the configured ones first (a CONFIG
 * SET applies to existing sets' next conversion, as in Redis). */
obj *zlookup(session *c, const char *key, int write, int *err);
/* zparse_long parses a long like Redis's getLongFromObject; 0 ok, -1 bad (no reply). */
int zparse_long(const char *s, long long *v);
/* zreply_pair emits one member (and its score when withscores): RESP3 gets
 * a [member, score] array, RESP2 the two flat. */
void zreply_pair(session *c, const char *m, size_t len, double score, int withscores);
/* zreply_pairs_header announces n pairs in the form zreply_pair uses. */
void zreply_pairs_header(session *c, long n, int withscores);
/* zstore_result stores z at dst (replacing whatever was there, dropping its
 * TTL) when non-empty, else deletes dst; replies the length.  Takes z. */
void zstore_result(session *c, const char *dst, zset *z);

#endif
