/* aof_format.h — the append log on disk: records, segment scan, manifest.
 *
 * A record is [u32 length][LogRecord protobuf (proto/rill.proto)][u32
 * CRC-32C of the protobuf bytes], integers little-endian (docs/formats.md).
 * A segment file is a sequence of records; the manifest is a small text
 * file naming the segments in order.  This module only encodes and checks
 * bytes: it knows nothing of the server, so the loader, rill-check-log and
 * the fuzz target share it.
 */
#ifndef RILL_AOF_FORMAT_H
#define RILL_AOF_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "rill.pb-c.h"

#define AOFREC_OVERHEAD 8u              /* length prefix + CRC */
#define AOFREC_MAX_BODY 0xFFFFFFF0u     /* a length above this is damage */

/* LogRecord.group values. */
enum { AOF_GROUP_NONE = 0, AOF_GROUP_BEGIN = 1, AOF_GROUP_MORE = 2, AOF_GROUP_END = 3 };

/* A growable byte buffer (the core's pending writes). */
typedef struct aof_buf {
    uint8_t *p;
    size_t len, cap;
} aof_buf;

void aof_buf_free(aof_buf *b);
/* aof_buf_consume drops the first n bytes. */
void aof_buf_consume(aof_buf *b, size_t n);

/* aofrec_append encodes one record (argv[i] of lens[i] bytes) at the end
 * of b.  Never fails (allocation failure aborts, as everywhere). */
void aofrec_append(aof_buf *b, uint32_t db, uint32_t group, int argc, const char *const *argv,
                   const size_t *lens);

typedef enum {
    AOFREC_OK = 0,
    AOFREC_SHORT,       /* fewer bytes than the record claims: more needed (or torn) */
    AOFREC_BAD_LENGTH,  /* the length is 0 or beyond AOFREC_MAX_BODY */
    AOFREC_BAD_CRC,     /* the checksum does not match the body */
    AOFREC_BAD_BODY,    /* the body is not a LogRecord, or has no argv / a bad group */
} aofrec_status;

const char *aofrec_strstatus(aofrec_status st);

/* aofrec_decode reads the record at p[0..n).  On AOFREC_OK *used is its
 * size and *out (if out) a LogRecord the caller frees with
 * rill__log_record__free_unpacked(r, NULL).  Checks the length against n
 * before looking further, so damaged input never causes a big allocation
 * (protobuf-c allocates at most about the body's size). */
aofrec_status aofrec_decode(const uint8_t *p, size_t n, size_t *used, Rill__LogRecord **out);

/* Argument views for aofrec_view: a growable array the caller keeps
 * across records (zero-initialised; aofrec_views_free releases it). */
typedef struct aofrec_views {
    ProtobufCBinaryData *v;
    size_t cap;
} aofrec_views;

void aofrec_views_free(aofrec_views *vw);

/* aofrec_view is aofrec_decode without allocating per record: the body is
 * read by a decoder of our own (LogRecord is three fields) that accepts
 * exactly what protobuf-c accepts, and *out is filled in place with its
 * argv pointing into p (views->v), valid while p is and until the next
 * call with the same views.  check_crc 0 skips the checksum (the caller
 * already checked these bytes, e.g. a snapshot's whole-file CRC). */
aofrec_status aofrec_view(const uint8_t *p, size_t n, int check_crc, size_t *used, Rill__LogRecord *out,
                          aofrec_views *views);

/* ---- scanning a segment ---------------------------------------------- */

/* Called for every good record, in order; off is its offset in the
 * segment.  r is only valid during the call.  Return 0 to go on, -1 to
 * stop the scan (it then reports AOF_SCAN_STOPPED). */
typedef int aof_record_fn(void *priv, size_t off, const Rill__LogRecord *r);

typedef enum {
    AOF_SCAN_OK = 0,     /* every byte belongs to a good record */
    AOF_SCAN_TORN,       /* the tail from good_end is a torn write: cut it */
    AOF_SCAN_CORRUPT,    /* damage at bad_off that is not a torn tail */
    AOF_SCAN_STOPPED,    /* the callback asked to stop at bad_off */
} aof_scan_status;

typedef struct aof_scan_result {
    aof_scan_status status;
    size_t good_end;     /* bytes from 0 made of good, complete records (and groups) */
    size_t bad_off;      /* TORN/CORRUPT/STOPPED: where the first bad record starts */
    size_t records;      /* good records seen */
    size_t padding;      /* OK: zero bytes after the last record (preallocated space), from good_end */
    char why[160];       /* TORN/CORRUPT: what was wrong */
} aof_scan_result;

/* aof_scan checks every record of the segment p[0..n) and calls fn for
 * each good one (fn may be NULL).  Zero bytes from the end of a record (not
 * inside a MULTI/EXEC group) to the end of the file are preallocated space:
 * OK, with good_end where they start and padding their length.  last says
 * whether this is the newest segment, the only place a torn write can be:
 * there, a record cut short by the end of the file, a record whose length
 * word is zero (its first page never reached the disk), or one with a bad
 * checksum that ends in zero bytes (its last page never did), is TORN
 * unless a good record follows later in the tail (then it was damage:
 * CORRUPT), and so is a MULTI/EXEC group left open at the end (good_end is
 * then the group's start: a group is replayed whole or not at all).
 * Anything else wrong is CORRUPT.  Group markers out of sequence are
 * CORRUPT. */
void aof_scan(const uint8_t *p, size_t n, int last, aof_record_fn *fn, void *priv, aof_scan_result *res);
/* aof_scan_nocrc is aof_scan without the per-record checksums, for bytes
 * already covered by a checksum the caller verified (a snapshot's). */
void aof_scan_nocrc(const uint8_t *p, size_t n, aof_record_fn *fn, void *priv, aof_scan_result *res);

/* ---- manifest --------------------------------------------------------- */

/* The manifest text is
 *     rill-manifest 1
 *     segment <file name>
 *     ...
 * one segment per line, oldest first, after an optional first entry
 *     base <snapshot file name>
 * naming the snapshot (snapshot.h) the segments apply to (written by a
 * rewrite).  File names are plain names in the manifest's directory (no
 * '/').  */
typedef struct aof_manifest {
    char *base;              /* NULL: no base snapshot */
    char **segments;
    int nsegments;
} aof_manifest;

/* aof_manifest_parse reads text[0..n) into m (empty on entry).  0, or -1
 * with err set ("line 3: ..."), m then empty. */
int aof_manifest_parse(aof_manifest *m, const char *text, size_t n, char *err, size_t errlen);
/* aof_manifest_load reads dir/name; 0, 1 when the file does not exist (m
 * empty), -1 with err set. */
int aof_manifest_load(aof_manifest *m, const char *dir, const char *name, char *err, size_t errlen);
/* aof_manifest_store replaces dir/name atomically and durably: writes
 * dir/name.tmp, fsyncs it, renames it over dir/name, fsyncs dir.  Blocks
 * on the disk.  0, or -1 with err set (the old manifest is then intact). */
int aof_manifest_store(const aof_manifest *m, const char *dir, const char *name, char *err, size_t errlen);
void aof_manifest_add(aof_manifest *m, const char *segment);
void aof_manifest_free(aof_manifest *m);

#endif
