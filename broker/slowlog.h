/* slowlog.h — the slow log: commands that took at least
 * slowlog-log-slower-than microseconds, newest first (SLOWLOG, cmd_server.c).
 *
 * As Redis 7.0: an entry keeps at most SLOWLOG_MAX_ARGC arguments (the
 * last one then says how many more there were) and at most
 * SLOWLOG_MAX_STRING bytes of each ("... (N more bytes)" follows), plus
 * the client's address and name.  The log holds at most slowlog-max-len
 * entries: the oldest go when a new one is pushed (lowering the limit
 * trims at the next push, as in Redis).  A negative threshold disables it.
 *
 * Cost: server_call compares the duration with the threshold (one
 * unsigned comparison, so a negative threshold never passes) and calls
 * slowlog_command only when the command was slow.
 *
 * Ownership: the server owns the log (s->slowlog, allocated on first
 * push); every entry owns copies of what it shows. */
#ifndef RILL_SLOWLOG_H
#define RILL_SLOWLOG_H

#include "sbuf.h"

struct server;
struct session;
struct command;

#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_STRING 128   /* at most ARGV_PEEK_MAX, and MAX_ARGC at most ARGV_PEEK_ARGS (argv.h) */

typedef struct slowlog_entry {
    struct slowlog_entry *newer, *older;
    long long id, time, duration;   /* unix seconds; microseconds */
    int argc;
    sbuf *argv;
    sbuf peer, name;
} slowlog_entry;

typedef struct slowlog {
    slowlog_entry *newest, *oldest;
    long long len;
    long long next_id;              /* never reset: SLOWLOG RESET keeps counting */
} slowlog;

/* slowlog_command: c's command cmd ran for dur µs, at least the threshold.
 * Logs c's arguments unless cmd is CMD_SKIP_SLOWLOG, the log is off, or
 * the command blocked (it is logged when served, as Redis does). */
void slowlog_command(struct session *c, const struct command *cmd, long long dur);

/* slowlog_push logs argv[0..argc) for client c if dur reaches the
 * threshold, then trims the log to slowlog-max-len. */
void slowlog_push(struct session *c, sbuf *argv, int argc, long long dur);

/* slowlog_reset drops every entry (ids keep counting). */
void slowlog_reset(struct server *s);

/* slowlog_len: entries held now. */
long long slowlog_len(struct server *s);

/* slowlog_free frees the log (shutdown). */
void slowlog_free(struct server *s);

#endif
