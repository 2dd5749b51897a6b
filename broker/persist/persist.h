/* persist.h — persistence at run time: start-up loading, the background
 * child (BGSAVE, BGREWRITEAOF), save points, automatic rewrite, SAVE at
 * shutdown, INFO persistence.
 *
 * One child at a time, as Redis: a forked copy of the server (copy-on-write)
 * that writes a snapshot (snapshot.h) and _exits; it touches nothing but
 * its file and a pipe to report how it went.  The parent reaps it from
 * the cron (waitpid WNOHANG) and records status and time; for a rewrite
 * it then switches the append log's manifest (aof_rewrite_done).  Writes
 * keep flowing while a child runs.
 */
#ifndef RILL_PERSIST_H
#define RILL_PERSIST_H

#include <stddef.h>
#include "sbuf.h"

struct server;

/* persist_start loads the data at start-up: with appendonly yes the append
 * log (its base snapshot, then its segments: aof_start); otherwise the
 * dump file <dir>/<dbfilename> if there is one (expired keys dropped).
 * Blocks on the disk.  0, or -1 with err set: start-up must stop (a
 * damaged file is never loaded in part or ignored). */
int persist_start(struct server *s, char *err, size_t errlen);

/* persist_cron: reap a finished child, start a scheduled BGSAVE or
 * rewrite, apply the save points and the automatic rewrite.  Core thread,
 * from the server cron. */
void persist_cron(struct server *s);

/* persist_save writes the dump file synchronously (SAVE, shutdown).  0, or
 * -1 (logged). */
int persist_save(struct server *s);

/* persist_flushall: what FLUSHALL does to persistence once the databases
 * are empty (Redis 7.0): a running BGSAVE child is killed (its snapshot is
 * out of date) and, with save points configured, the empty dump file is
 * written synchronously, which resets the change counter (not counted in
 * rdb_saves, as Redis).  1 when it saved: the caller must then emit the
 * flush's effect itself, the counter no longer showing the change. */
int persist_flushall(struct server *s);

/* persist_debug_reload is DEBUG RELOAD: save the dump file (unless !save),
 * empty every database and load the dump file back (keys already expired
 * dropped), as Redis does.  0; -1 the save failed (nothing changed); -2
 * the load failed (no file, or a bad one: the databases are left empty,
 * as Redis leaves them).  Logged. */
int persist_debug_reload(struct server *s, int save);

/* persist_bgsave forks a child writing the dump file.  0 started, -1
 * (logged) on failure or when a child is already running. */
int persist_bgsave(struct server *s);

/* persist_rewrite forks a child writing a new base snapshot of the append
 * log.  0 started, -1 (logged). */
int persist_rewrite(struct server *s);

/* State for the commands and INFO. */
enum { PERSIST_CHILD_NONE = 0, PERSIST_CHILD_RDB = 1, PERSIST_CHILD_AOF = 2 };
int persist_child_type(const struct server *s);
/* persist_schedule_bgsave / persist_schedule_rewrite: run it once no child is. */
void persist_schedule_bgsave(struct server *s);
void persist_schedule_rewrite(struct server *s);
/* persist_bgsave_failed: the last BGSAVE failed and writes must be
 * refused (stop-writes-on-bgsave-error with save points configured). */
int persist_bgsave_failed(const struct server *s);

/* persist_shutdown: kill a running child (removing its file) and, when
 * save points are configured or save is set (SHUTDOWN SAVE), and nosave
 * is not, write the dump file.  0 may exit, -1 the save failed (logged). */
int persist_shutdown(struct server *s, int save, int nosave);

/* persist_info appends the INFO persistence lines (Redis 7.0's names). */
sbuf persist_info(struct server *s, sbuf out);

/* persist_free releases the state (the child, if any, killed). */
void persist_free(struct server *s);

#endif
