/* multi.h — MULTI/EXEC transactions and WATCH (optimistic locking).
 *
 * While a session is in MULTI, the dispatcher queues each command with
 * multi_queue instead of running it; a command refused while queueing
 * (unknown, wrong arity, ...) flags the transaction so EXEC answers
 * EXECABORT.  WATCHed keys live in db->watched (key -> sessions); any
 * change to such a key (db_signal_modified -> multi_touch_key) flags the
 * watchers DIRTY_CAS, and their EXEC then returns a null array.
 */
#ifndef RILL_MULTI_H
#define RILL_MULTI_H

struct session;
struct server;
struct db;

/* multi_queue queues c's current command (c->cmd, c->args) and replies QUEUED. */
void multi_queue(struct session *c);
/* multi_flag_error marks c's transaction as failed (if c is in MULTI). */
void multi_flag_error(struct session *c);
/* multi_session_cleanup drops c's queue and watches (on RESET and free). */
void multi_session_cleanup(struct session *c);
/* multi_discard leaves MULTI, dropping the queue (watches are removed too). */
void multi_discard(struct session *c);
void multi_unwatch_all(struct session *c);
/* multi_touch_key flags every session watching key in d. */
void multi_touch_key(struct server *s, struct db *d, const char *key);
/* multi_touch_db flags every session watching any key of d (FLUSHDB, SWAPDB);
 * with d NULL, of every db (FLUSHALL). Only keys that existed count, as Redis. */
void multi_touch_db(struct server *s, struct db *d);
/* multi_touch_expired: a watched key expired is treated as modified. */

#endif
