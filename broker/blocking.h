/* blocking.h — clients waiting for keys (BLPOP, BLMOVE, BLMPOP; later
 * BZPOPMIN/BZPOPMAX/BZMPOP, XREAD BLOCK, queue fetches).
 *
 * Design note, for whoever adds the next blocking command:
 *
 *  - A blocking command is an ordinary handler.  It tries to do its work;
 *    when nothing is there it parses its timeout with block_parse_timeout
 *    (before touching any key, as Redis), checks block_allowed (inside
 *    MULTI/EXEC it must answer "timed out" at once: null array / null), and
 *    calls block_for_keys(c, keys, n, OBJ_<type>, deadline, timeout_reply)
 *    and returns without replying.  The session keeps its argv (and any
 *    pipelined input waits in its query buffer).
 *  - Serving is by re-execution: when a write touches a waited key
 *    (db_signal_modified -> block_signal_key_ready), the key is put on the
 *    ready list; after the writing command finishes (after EXEC as a whole,
 *    never inside it) block_handle_ready visits the key's waiters oldest
 *    first, and for each one whose key now holds the type it waits for,
 *    runs its command again through server_call.  So a served command
 *    replies, emits its effect (rewrite it to the non-blocking form: BLPOP
 *    -> LPOP key, BZPOPMIN -> ZPOPMIN key ...) and counts its stats exactly
 *    as when it succeeds at once.  A key of another type is simply not
 *    served: its waiters keep waiting.  Writes done by served commands
 *    (BLMOVE's push) mark further keys ready; they are served in the same
 *    pass, in turn.
 *  - If a re-executed command finds nothing after all (XREAD on an ID not
 *    reached), calling block_for_keys again keeps the client blocked where
 *    it was in every queue, with its original deadline.
 *  - A waiter whose session is closing is dropped, not served, so a popped
 *    element is never handed to a client that is already gone.  A session
 *    freed while blocked leaves nothing behind (block_session_free).
 *  - Timeouts: one libevent timer per blocked session, armed for its
 *    deadline (no polling); timeout_reply sends the "timed out" reply.
 *  - After unblocking, the session's pipelined commands run in the
 *    before-sleep hook (block_before_sleep).
 *
 * Ownership: each db's d->blocking maps a key (sbuf owned by the dict) to a
 * FIFO of waiters (freed with its last waiter, or once processed if it was
 * on the ready list); a session owns its block_client (c->bc) and the
 * waiter nodes, one per distinct key, which are linked into those FIFOs.
 */
#ifndef RILL_BLOCKING_H
#define RILL_BLOCKING_H

#include "sbuf.h"

struct server;
struct session;
struct db;

typedef void block_timeout_fn(struct session *c);

/* block_parse_timeout parses a timeout in seconds (fractions allowed) as
 * Redis does; *deadline_ms is 0 for "forever", else an absolute unix time
 * in ms.  Returns 0, or -1 after replying the error. */
int block_parse_timeout(struct session *c, const char *arg, long long *deadline_ms);

/* block_parse_timeout_ms: the same for a timeout in whole milliseconds
 * (XREAD and XREADGROUP's BLOCK). */
int block_parse_timeout_ms(struct session *c, const char *arg, long long *deadline_ms);

/* block_allowed: may c block now?  Not inside MULTI/EXEC. */
int block_allowed(struct session *c);

/* block_for_keys blocks c on nkeys keys (argv sbufs) until one holds a
 * value of obj type `type` or deadline_ms passes (0 = never), when
 * timeout_reply(c) answers.  The running command's argv is kept and the
 * command re-run when served. */
void block_for_keys(struct session *c, sbuf *keys, int nkeys, int type, long long deadline_ms,
                    block_timeout_fn *timeout_reply);

/* block_wake_on_delete (call right after block_for_keys): c's command is
 * also re-run when a waited key is deleted or now holds another type, so it
 * can answer with an error (XREADGROUP: "UNBLOCKED the stream key no longer
 * exists", or NOGROUP after XGROUP DESTROY signals the key).  The re-run
 * sees c->bc set, which tells it that it was blocked. */
void block_wake_on_delete(struct session *c);

/* block_served_key: while block_handle_ready re-runs c's command, the key
 * whose readiness woke it (an sbuf), else NULL.  Commands that answer for
 * one key per wake-up, as Redis's blocked XREAD / XREADGROUP, use it. */
const char *block_served_key(struct session *c);

/* block_keeps_waiting: is c still blocked after the command that just ran
 * (it blocked, or its re-run found nothing)?  0 once a re-run served it. */
int block_keeps_waiting(struct session *c);

/* block_unblock_client ends c's wait at once (CLIENT UNBLOCK): with error
 * it replies "-UNBLOCKED client unblocked via CLIENT UNBLOCK", else its
 * command's timeout reply.  Returns 0 if c was not blocked. */
int block_unblock_client(struct session *c, int error);

/* block_signal_key_ready: key in d was written; wake its waiters later. */
void block_signal_key_ready(struct server *s, struct db *d, const char *key);

/* block_signal_db marks every key waited for in d as ready: after SWAPDB
 * or FLUSHDB/FLUSHALL changed the whole db at once.  As in Redis 7.0,
 * waiters whose key now holds their type are served, and those that asked
 * block_wake_on_delete are re-run when their key is gone. */
void block_signal_db(struct server *s, struct db *d);

/* block_signal_all_keys: every key of d was removed (FLUSHDB/FLUSHALL);
 * wake all its waiters later (only block_wake_on_delete ones act on it). */
void block_signal_all_keys(struct server *s, struct db *d);

/* block_handle_ready serves the waiters of every ready key (no-op while
 * already serving, or with nothing ready). */
void block_handle_ready(struct server *s);

/* block_before_sleep serves ready keys and resumes the input of sessions
 * unblocked since the last call. */
void block_before_sleep(struct server *s);

/* block_session_free drops everything c waits for (on disconnect). */
void block_session_free(struct session *c);

/* block_count: sessions blocked now. */
int block_count(struct server *s);

/* block_state_free frees the server's blocking state (shutdown). */
void block_state_free(struct server *s);

#endif
