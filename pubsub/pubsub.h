/* pubsub.h — the subscription index and message fan-out.
 *
 * Two layers.  The index (ps_index, ps_client) is a pure data structure with
 * no server dependency, unit-tested alone (tests/unit/pubsub_test.c):
 *   - channels: dict channel -> subscribers in subscription order;
 *   - shard channels: a second, separate channel dict (SSUBSCRIBE);
 *   - patterns: dict pattern -> subscribers, plus a trie keyed by each
 *     pattern's literal prefix (the bytes before its first * ? [ or \), so
 *     a message only tries the patterns whose prefix is a prefix of its
 *     channel: walking the channel's bytes down the trie collects them;
 *   - per-client sets (ps_client) of what the client subscribed to, so that
 *     double subscriptions are refused and disconnect drops everything.
 * Subscribers are opaque pointers (the server passes sessions).  The index
 * owns copies of channel and pattern names.
 *
 * The server glue (implemented in cmd_pubsub.c) publishes: a message is
 * encoded once per protocol (RESP2 array, RESP3 push; pmessage once per
 * matching pattern and protocol) into an immutable refcounted ps_msg shared
 * by all its receivers.
 */
#ifndef RILL_PUBSUB_H
#define RILL_PUBSUB_H

#include <stddef.h>

typedef struct ps_index ps_index;
typedef struct ps_client ps_client;

enum { PS_CHANNEL = 0, PS_SHARD = 1 };

/* ps_index_new/free: free drops every subscription; clients must have been
 * freed (ps_client_free) first or are left dangling-free (their sets still
 * point at nothing owned by the index: they own their own copies). */
ps_index *ps_index_new(void);
void ps_index_free(ps_index *ix);

/* ps_client_new makes the subscription sets for subscriber `owner`. */
ps_client *ps_client_new(void *owner);
/* ps_client_free unsubscribes cl from everything in ix and frees it. */
void ps_client_free(ps_index *ix, ps_client *cl);

/* Counts of the client's subscriptions. */
size_t ps_client_channels(const ps_client *cl);   /* plain channels */
size_t ps_client_patterns(const ps_client *cl);
size_t ps_client_shard(const ps_client *cl);

/* ps_subscribe adds cl to channel ch (kind PS_CHANNEL or PS_SHARD); returns
 * 1, or 0 if it was already subscribed.  ps_unsubscribe: 1 removed, 0 not
 * subscribed. */
int ps_subscribe(ps_index *ix, ps_client *cl, int kind, const char *ch, size_t n);
int ps_unsubscribe(ps_index *ix, ps_client *cl, int kind, const char *ch, size_t n);
int ps_psubscribe(ps_index *ix, ps_client *cl, const char *pat, size_t n);
int ps_punsubscribe(ps_index *ix, ps_client *cl, const char *pat, size_t n);

/* ps_client_names lists the client's channels (kind) or, with kind -1, its
 * patterns, as sbufs the caller must NOT free (valid until the next change);
 * returns the count and fills *out (caller frees the array with xfree). */
size_t ps_client_names(const ps_client *cl, int kind, char ***out);

size_t ps_numsub(ps_index *ix, int kind, const char *ch, size_t n);
size_t ps_numpat(const ps_index *ix);            /* distinct patterns */
size_t ps_nchannels(const ps_index *ix, int kind);

/* ps_visit_fn is called for each receiver: pattern is NULL for a channel
 * subscription, else the (sbuf) pattern that matched. */
typedef void ps_visit_fn(void *priv, const char *pattern, void *owner);
/* ps_match calls fn for every subscription matching channel ch: channel
 * subscribers first in subscription order, then (kind PS_CHANNEL only)
 * each matching pattern's subscribers.  Returns the number of calls.  fn
 * must not change the index. */
long ps_match(ps_index *ix, int kind, const char *ch, size_t n, ps_visit_fn *fn, void *priv);
/* ps_match_scan is ps_match without the prefix trie: every pattern is
 * tried against ch (patterns in no particular order).  It exists as the
 * baseline the index is measured against (bench/psmatch.c) and is checked
 * to give the same receivers (tests/unit/pubsub_test.c). */
long ps_match_scan(ps_index *ix, int kind, const char *ch, size_t n, ps_visit_fn *fn, void *priv);
/* ps_pattern_candidates counts the patterns the trie made ps_match test
 * for ch (for tests and benchmarks of the prefix index). */
size_t ps_pattern_candidates(ps_index *ix, const char *ch, size_t n);

/* ps_channel_list calls fn(priv, name sbuf) for every active channel of
 * kind matching glob pattern (NULL: all). */
void ps_channel_list(ps_index *ix, int kind, const char *pat, size_t patlen,
                     void (*fn)(void *priv, const char *name), void *priv);

/* ---- shared encoded messages ---------------------------------------- */

/* ps_msg: immutable encoded bytes shared by every receiver; freed when the
 * last reference goes. */
typedef struct ps_msg {
    unsigned refs;
    size_t len;
    char data[];
} ps_msg;

ps_msg *ps_msg_new(size_t len);
static inline ps_msg *ps_msg_ref(ps_msg *m) { m->refs++; return m; }
void ps_msg_unref(ps_msg *m);
/* ps_encode_message builds RESP bytes for [kind, (pattern), channel, msg]:
 * resp 2 -> "*N" array, 3 -> ">N" push.  kind is "message", "pmessage" or
 * "smessage"; pattern NULL for message/smessage.  Returns a new ps_msg
 * with one reference. */
ps_msg *ps_encode_message(int resp, const char *kind, const char *pat, size_t patlen,
                          const char *ch, size_t chlen, const char *msg, size_t msglen);

/* ---- server glue (cmd_pubsub.c) -------------------------------------- */
struct server;
struct session;
/* pubsub_publish delivers msg on channel to every receiver; returns their
 * count (PUBLISH's reply).  kind PS_SHARD for SPUBLISH. */
long pubsub_publish(struct server *s, int kind, const char *ch, size_t chlen, const char *msg, size_t msglen);
/* pubsub_session_cleanup drops every subscription of c (disconnect, RESET)
 * and clears SESS_PUBSUB. */
void pubsub_session_cleanup(struct session *c);
/* pubsub_server_init/free make and drop s->pubsub. */
void pubsub_server_init(struct server *s);
void pubsub_server_free(struct server *s);

#endif
