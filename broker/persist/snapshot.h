/* snapshot.h — the snapshot file: every key of every database, checksummed.
 *
 * Layout (docs/formats.md): a 16-byte header ("RILLSNAP", u32 version,
 * u32 zero), then append-log records (aof_format.h: length, LogRecord of
 * db + argv, CRC-32C) holding the commands that recreate each key
 * (obj_type.rewrite, object.h) followed by PEXPIREAT when the key has an
 * expiry, then a trailer record ["#end", <key count>, <CRC-32C of every
 * byte before the trailer, 8 hex digits>, then (version 2) one
 * "<db>:<keys>:<expires>" per database written, so the loader sizes the
 * tables before the first key].  Loading is the append log's
 * replay path through the command table.  A file is only loaded once the
 * whole of it checks out: the header, the record framing up to the end of
 * the file, the trailer being the last record, and the whole-file CRC.
 */
#ifndef RILL_SNAPSHOT_H
#define RILL_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct replay;

#define SNAP_MAGIC "RILLSNAP"
#define SNAP_VERSION 2u          /* written; 1 (no per-database sizes) still loads */
#define SNAP_HEADER_SIZE 16u
#define SNAP_TRAILER_CMD "#end"

/* ---- checking (pure: no server; rill-check-log and the tests use it) --- */

typedef struct snap_check {
    int ok;                 /* 1: the file checks out */
    size_t bad_off;         /* !ok: where the damage is (or the end of the file) */
    char why[200];          /* !ok: what is wrong */
    long long keys;         /* ok: key count from the trailer */
    size_t records;         /* records before the trailer (framing walk) */
    size_t trailer_off;     /* ok: offset of the trailer record */
} snap_check;

/* snapshot_is_snapshot: does p[0..n) start with the snapshot magic? */
int snapshot_is_snapshot(const uint8_t *p, size_t n);

/* snapshot_verify checks the whole file p[0..n) (see the top comment).
 * 0 and res->ok, or -1 with res->bad_off / res->why.  Never allocates
 * more than one record's protobuf (the trailer). */
int snapshot_verify(const uint8_t *p, size_t n, snap_check *res);

/* ---- writing ------------------------------------------------------------- */

typedef struct snapshot_write_stats {
    long long keys;         /* keys written */
    long long bytes;        /* file size */
} snapshot_write_stats;

/* snapshot_write_fd writes the snapshot of every database of s to fd
 * (header to trailer; no fsync).  Safe in a forked child: it only reads
 * the keyspace, allocates its buffer and writes.  key_delay_us > 0 sleeps
 * that long after each key (rdb-key-save-delay, for tests).  0, or -1 with
 * err set: a write failed (errno kept) or a value's type has no rewrite
 * (the snapshot would be incomplete: never written silently). */
int snapshot_write_fd(struct server *s, int fd, int key_delay_us, snapshot_write_stats *st, char *err,
                      size_t errlen);

/* snapshot_write_file writes the snapshot to <dir of path>/temp-<pid>.rill,
 * fsyncs it, renames it to path and fsyncs the directory.  Blocks on the
 * disk.  0, or -1 with err set (the temporary file removed, any old file
 * at path intact). */
int snapshot_write_file(struct server *s, const char *path, int key_delay_us, snapshot_write_stats *st, char *err,
                        size_t errlen);

/* ---- loading ------------------------------------------------------------- */

typedef struct snapshot_load_stats {
    long long keys_loaded;   /* keys present after the load */
    long long keys_expired;  /* keys dropped because their time had passed */
    long long bytes;         /* file size */
} snapshot_load_stats;

/* snapshot_replay_file verifies path and replays it through r (aof_internal.h).
 * drop_expired: keys whose PEXPIREAT is already past are deleted instead
 * of loaded (a dump file; not a log's base, whose segments may still
 * refer to them).  The dbs should be empty (the key count is checked
 * against the trailer).  0, or -1 with err naming the file, the offset
 * and the rill-check-log command. */
int snapshot_replay_file(struct replay *r, const char *path, int drop_expired, snapshot_load_stats *st, char *err,
                         size_t errlen);

/* snapshot_load loads the dump file path into s at start-up (replay with
 * expired keys dropped).  0 loaded, 1 no such file, -1 with err set. */
int snapshot_load(struct server *s, const char *path, snapshot_load_stats *st, char *err, size_t errlen);

/* snapshot_base_name formats the name of a log's base snapshot,
 * "<appendfilename>.<index>.base.rill"; snapshot_base_index parses the
 * index back (0 if name is not one). */
void snapshot_base_name(char *buf, size_t len, const char *appendfilename, int index);
int snapshot_base_index(const char *appendfilename, const char *name);

#endif
