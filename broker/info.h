/* info.h — the INFO report: Redis 7.0's sections, field names and layout.
 *
 * The text is what redis-server 7.0 prints, so that redis-cli,
 * redis-benchmark, monitoring agents and client libraries that parse INFO
 * (redis-py's info(), ...) read Rill unchanged: "# Section\r\n" headers,
 * "field:value\r\n" lines, one "\r\n" between sections.  Fields Rill has no
 * counterpart for (replication, Lua, forks) keep Redis's names with neutral
 * values; Rill's own facts get rill_-prefixed fields (rill_version).
 */
#ifndef RILL_INFO_H
#define RILL_INFO_H

#include "sbuf.h"

struct server;

/* info_generate returns a new sbuf (the caller frees it) holding the INFO
 * text for the section names names[0..n), matched case-insensitively.
 * No names means "default"; "all" is every section, "everything" the same
 * (Rill has no module sections).  Unknown names are ignored, so only
 * unknown names give an empty text, as in Redis.  Sections always come out
 * in Redis's order whatever the order asked.  Never blocks (it reads
 * /proc/self/statm and getrusage). */
sbuf info_generate(struct server *s, int n, char *const *names);

/* info_reset_stats zeroes what CONFIG RESETSTAT resets: the server's
 * counters (struct server_stats, except the effects counter the append log
 * relies on) and every command's calls/usec/rejected/failed. */
void info_reset_stats(struct server *s);

/* info_count_error records one error reply for INFO errorstats.  msg is the
 * error as sent, without the '-' ("WRONGTYPE Operation ..."); its code is
 * the text before the first space within 32 bytes, else "ERR", as Redis
 * takes it.  Meant to be called wherever total_error_replies is counted. */
void info_count_error(struct server *s, const char *msg, size_t len);

/* info_mem: the memory figures INFO memory and MEMORY STATS report.
 * info_mem_read fills it (and raises the server's peak). */
typedef struct info_mem {
    size_t used;        /* live bytes allocated through alloc.h */
    size_t peak;        /* the most used seen */
    size_t rss;         /* resident set size (0 if unknown) */
    size_t clients;     /* sessions' structs, buffers and arguments */
    size_t tables;      /* every database's key and expiry tables */
    size_t overhead;    /* clients + tables */
    size_t dataset;     /* used - overhead */
} info_mem;
void info_mem_read(struct server *s, info_mem *m);

/* info_bytes_to_human formats n as Redis's bytesToHuman does ("894.91K",
 * "1.00M", "0B") into buf. */
void info_bytes_to_human(char *buf, size_t len, unsigned long long n);

#endif
