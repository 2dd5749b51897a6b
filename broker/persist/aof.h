/* aof.h — the append log: every effect on disk, fsync policies, replay.
 *
 * When `appendonly yes`, aof_start (after the configuration, before the
 * listeners open) replays the log named by the manifest under
 * <dir>/<appenddirname>, then registers an effect sink.  Effects are
 * encoded as records (aof_format.h) into a buffer during the loop
 * iteration and written in one write() from server_before_sleep
 * (aof_before_sleep).  fsync runs on a background thread:
 *   always    replies of sessions whose commands wrote are held
 *             (SESS_AOF_WAIT) until the fsync covering their records is
 *             done; one fsync covers every record written before it
 *             started (group commit).  The thread signals back through an
 *             eventfd watched by the loop, which releases the sessions.
 *   everysec  the thread fsyncs once a second; writes are postponed (up
 *             to 2 s, then done anyway and counted in aof_delayed_fsync)
 *             while an fsync is still running.
 *   no        write only; the kernel flushes when it likes.
 * The hold works on any session: the command's session gets SESS_AOF_WAIT
 * and c->aof_wait_seq, and release calls session_mark_write(c).  A front
 * end that sends replies itself (not from server_before_sleep's flush) must
 * keep a session's replies while SESS_AOF_WAIT is set and send them on
 * session_mark_write: the native listener does not yet (docs/decisions.md).
 * A failed write keeps the buffer, refuses write commands with -MISCONF
 * (aof_write_error) and is retried every iteration until it succeeds.
 */
#ifndef RILL_AOF_H
#define RILL_AOF_H

#include <stddef.h>
#include "sbuf.h"

struct server;
struct session;

/* appendfsync values, in config.c's order. */
enum { AOF_FSYNC_NO = 0, AOF_FSYNC_ALWAYS = 1, AOF_FSYNC_EVERYSEC = 2 };

/* aof_start does nothing unless appendonly is yes.  Otherwise it opens
 * (creating on first use) the log directory and manifest, replays every
 * segment through the command table (s->loading set, effects not logged),
 * cuts a torn tail, opens the newest segment for appending, starts the
 * fsync thread and registers the effect sink.  Blocks on the disk.
 * Returns 0, or -1 with err set (start-up must stop: damaged log, I/O
 * error); the message names the file and offset of damage. */
int aof_start(struct server *s, char *err, size_t errlen);

/* aof_stop writes what is buffered, fsyncs, stops the thread, closes the
 * files.  Called at shutdown; safe when the log was never started. */
void aof_stop(struct server *s);

/* aof_before_sleep writes the iteration's records (core thread, once per
 * loop iteration, before replies are flushed) and asks for the fsync
 * appendfsync needs.  No-op when the log is off. */
void aof_before_sleep(struct server *s);

/* aof_wait_fsync: with `always`, while replies are held for an fsync,
 * waits for the fsync's end (bounded; once per write, see aof.c), so the
 * requests arriving meanwhile are read together.  1 if it waited (the
 * caller then runs the loop without blocking), 0 if there was nothing to
 * wait for. */
int aof_wait_fsync(struct server *s);

/* aof_write_error: the errno that makes writes refused with -MISCONF (the
 * last write or background fsync failed), or 0. */
int aof_write_error(const struct server *s);

/* aof_config_changed applies a new appendfsync at run time. */
void aof_config_changed(struct server *s);

/* aof_enabled: 1 when the log is on; aof_last_write_status: "ok" or
 * "err" (INFO persistence). */
int aof_enabled(const struct server *s);
const char *aof_last_write_status(const struct server *s);
/* aof_info_tail appends the lines Redis prints only when the AOF is on
 * (aof_current_size ... aof_delayed_fsync). */
sbuf aof_info_tail(struct server *s, sbuf out);

/* ---- rewrite (driven by persist.c) ------------------------------------
 * aof_rewrite_prepare, just before the fork: writes out the buffered
 * records and starts a new segment (named in the manifest), so the child
 * sees exactly what the older segments hold and every later write goes to
 * the new one.  base_path gets the file the child must write (the new
 * base snapshot).  0, or -1 with err set (nothing changed but maybe a new,
 * empty segment).  Not inside a MULTI/EXEC group.
 * aof_rewrite_done, after the child wrote base_bytes to base_path: the
 * manifest becomes that base plus the segments from the fork on (temp,
 * fsync, rename, fsync of the directory); only then are the old base and
 * segments deleted.  0, or -1 with err set (the old manifest stays in
 * force: nothing is lost).
 * aof_rewrite_failed: the child failed or was killed; removes its file. */
int aof_rewrite_prepare(struct server *s, char *base_path, size_t len, char *err, size_t errlen);
int aof_rewrite_done(struct server *s, long long base_bytes, char *err, size_t errlen);
void aof_rewrite_failed(struct server *s);
/* aof_current_size: base snapshot + segments, bytes; aof_rewrite_base_size:
 * that size after the last load or rewrite (the growth reference). */
long long aof_current_size(const struct server *s);
long long aof_rewrite_base_size(const struct server *s);
void aof_set_rewrite_scheduled(struct server *s, int on);
/* aof_dir: <dir>/<appenddirname> while the log is on, else NULL. */
const char *aof_dir(const struct server *s);

/* aof_debug_fail_writes makes every log write fail with err (0: stop),
 * for tests of the -MISCONF path (DEBUG AOF-FAIL-WRITES).  -1 if the log
 * is off. */
int aof_debug_fail_writes(struct server *s, int err);

/* aof_debug_fsync_delay makes the fsync thread sleep ms before each fsync
 * (a slow disk; 0: stop), DEBUG AOF-FSYNC-DELAY.  -1 when the log is off. */
int aof_debug_fsync_delay(struct server *s, int ms);

#endif
