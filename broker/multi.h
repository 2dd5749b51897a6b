/* multi.h — MULTI/EXEC transactions and WATCH (optimistic locking).
 *
 * While a session is in MULTI, the dispatcher queues each command with
 * multi_queue instead of running it; a command refused while queueing
 * (unknown, wrong arity, ...) flags the transaction so EXEC answers
 * EXECABORT.  WATCHed keys live in db->watched (key -> sessions); any
 * change to such a key (db_signal_modified -> multi_touch_key) flags the
 * watchers DIRTY_CAS, and their EXEC then returns a null array.  A watched
 * key that expires counts as changed, unless it had expired already when
 * WATCHed (Redis 7.0's rule; see cmd_multi.c).
 * Nothing here blocks; everything runs on the core thread.
 */
#ifndef RILL_MULTI_H
#define RILL_MULTI_H

#include <stddef.h>

struct session;
struct server;
struct db;

/* multi_queue queues c's current command (c->cmd, c->args) and replies
 * QUEUED.  It may take c's large arguments (argv_take): c->args stays
 * readable until reset.  A transaction whose queue would pass
 * client-query-buffer-limit is dropped and doomed (EXECABORT) instead,
 * with an error reply. */
void multi_queue(struct session *c);
/* multi_flag_error marks c's transaction as failed (if c is in MULTI). */
void multi_flag_error(struct session *c);
/* multi_exec_abort answers a refused EXEC (wrong arity, NOAUTH, ...):
 * drops the transaction and replies "EXECABORT Transaction discarded
 * because of: <err>" (err as given to reply_error; a leading "ERR " is
 * dropped, as Redis). */
void multi_exec_abort(struct session *c, const char *err);
/* multi_session_cleanup drops c's queue and watches and leaves MULTI (on RESET and free). */
void multi_session_cleanup(struct session *c);
/* multi_discard leaves MULTI, dropping the queue (watches are removed too). */
void multi_discard(struct session *c);
/* multi_unwatch_all forgets every key c watches (the DIRTY_CAS flag is the caller's). */
void multi_unwatch_all(struct session *c);
/* multi_mem is the bytes c's transaction queue holds (CLIENT LIST multi-mem). */
size_t multi_mem(struct session *c);
/* multi_touch_key flags every session watching key in d. */
void multi_touch_key(struct server *s, struct db *d, const char *key);
/* multi_touch_db flags every session watching a key of d that exists (call
 * it before FLUSHDB empties d); with d NULL, of every db (FLUSHALL).  Keys
 * that do not exist do not count, as Redis. */
void multi_touch_db(struct server *s, struct db *d);
/* multi_touch_swapdb, for SWAPDB a b, before the contents are swapped (the
 * watched dicts stay with their db): flags watchers of a key that exists in
 * either db. */
void multi_touch_swapdb(struct server *s, struct db *a, struct db *b);

#endif
