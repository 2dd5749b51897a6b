/* zset.h — sorted set: members ordered by (score, member bytes), with ranks.
 *
 * Two encodings, as Redis 7.0:
 *  - ZS_ENC_PACK ("listpack"): one contiguous buffer of entries sorted by
 *    (score, member), for small sets (at most max_entries members, none
 *    longer than max_value bytes).  Lookups are linear scans.  A score of
 *    -0 is stored as 0, as Redis's listpack does.
 *  - ZS_ENC_SKIPLIST ("skiplist"): a skiplist with spans (O(log n) rank and
 *    range lookups) plus a hash table from member to node (O(1) ZSCORE),
 *    resized incrementally (one bucket moved per operation).
 * A pack converts to a skiplist when an add would break either limit; it
 * never converts back by itself (zs_shrink_if_fits does, for STORE results).
 *
 * Ownership: the zset owns every member.  In the skiplist encoding a member
 * lives inside its node's allocation (one allocation per member, nothing
 * else per member): the member -> node hash table chains the nodes
 * themselves.  The skiplist frees nodes, and only the skiplist.
 *
 * Members are passed as (pointer, length) and copied; pointers returned by
 * the iterator stay valid until the zset is next modified.  Nothing here
 * knows about the server; nothing blocks.  Allocation failure aborts.
 */
#ifndef RILL_ZSET_H
#define RILL_ZSET_H

#include <stddef.h>
#include <stdint.h>

#define ZS_MAX_PACK_ENTRIES 128   /* zset-max-listpack-entries default */
#define ZS_MAX_PACK_VALUE 64      /* zset-max-listpack-value default */

enum zs_encoding { ZS_ENC_PACK = 0, ZS_ENC_SKIPLIST = 1 };

typedef struct zset zset;

/* zs_new makes an empty set in the given encoding with the pack limits. */
zset *zs_new(int encoding, size_t max_entries, size_t max_value);
void zs_free(zset *z);
/* zs_set_limits changes the pack limits that later adds convert at. */
void zs_set_limits(zset *z, size_t max_entries, size_t max_value);
/* zs_dup is a deep copy (same encoding and limits). */
zset *zs_dup(const zset *z);
/* zs_mem is the bytes used by the set (approximate, for MEMORY USAGE). */
size_t zs_mem(const zset *z);
int zs_encoding(const zset *z);
size_t zs_len(const zset *z);

/* zs_score: 1 and *score when member exists, else 0. */
int zs_score(zset *z, const char *m, size_t len, double *score);

/* zs_add flags in */
enum { ZS_IN_INCR = 1, ZS_IN_NX = 2, ZS_IN_XX = 4, ZS_IN_GT = 8, ZS_IN_LT = 16 };
/* zs_add flags out */
enum { ZS_OUT_NAN = 1, ZS_OUT_ADDED = 2, ZS_OUT_UPDATED = 4, ZS_OUT_NOP = 8 };
/* zs_add adds member with score, or updates it, with ZADD's NX/XX/GT/LT/INCR
 * rules.  Returns 1 and sets *out (ADDED, UPDATED, NOP or 0 for "same
 * score") and *newscore (when not NOP); returns 0 with *out = ZS_OUT_NAN when
 * INCR made the score NaN (nothing changed).  May convert pack -> skiplist. */
int zs_add(zset *z, const char *m, size_t len, double score, int in, int *out, double *newscore);
/* zs_del removes member; 1 if it was there. */
int zs_del(zset *z, const char *m, size_t len);
/* zs_rank is member's 0-based rank (from the highest score when rev), or -1.
 * *score (if not NULL) gets the member's score. */
long long zs_rank(zset *z, const char *m, size_t len, int rev, double *score);

/* Score interval [min, max], each end exclusive when *ex is set. */
typedef struct zs_range {
    double min, max;
    int minex, maxex;
} zs_range;

/* One end of a lex interval: kind -1 is "-", +1 is "+", 0 a member (ptr,len,ex). */
typedef struct zs_lexbound {
    int kind;
    int ex;
    const char *p;
    size_t len;
} zs_lexbound;

typedef struct zs_lexrange {
    zs_lexbound min, max;
} zs_lexrange;

/* zs_range_score finds the members inside r: returns how many and sets
 * *first to the ascending rank of the lowest one. */
size_t zs_range_score(zset *z, const zs_range *r, size_t *first);
/* zs_range_lex is zs_range_score by member bytes (meaningful when all scores are equal). */
size_t zs_range_lex(zset *z, const zs_lexrange *r, size_t *first);
/* zs_delete_ranks removes ascending ranks [start, end] (inclusive, in range); returns count. */
size_t zs_delete_ranks(zset *z, size_t start, size_t end);

/* Iterator over consecutive ranks.  Invalidated by any change to the set. */
typedef struct zs_iter {
    zset *z;
    int rev;
    size_t left;      /* elements not yet returned */
    void *node;       /* skiplist: next node */
    size_t off;       /* pack: offset of next entry */
} zs_iter;

/* zs_iter_init starts at ascending rank `rank` (< zs_len) and walks up, or
 * down when rev, returning at most count elements. */
void zs_iter_init(zs_iter *it, zset *z, size_t rank, int rev, size_t count);
/* zs_iter_next gives the next member and score; 0 when done. */
int zs_iter_next(zs_iter *it, const char **m, size_t *len, double *score);

/* zs_scan visits members for cursor (as dict_scan) and returns the next
 * cursor; a pack is visited whole and returns 0. */
typedef void zs_scan_fn(void *priv, const char *m, size_t len, double score);
uint64_t zs_scan(zset *z, uint64_t cursor, zs_scan_fn *fn, void *priv);

/* zs_convert changes the encoding (pack -> skiplist always works; skiplist ->
 * pack ignores the limits). */
void zs_convert(zset *z, int encoding);
/* zs_shrink_if_fits converts a skiplist to a pack when within the limits. */
void zs_shrink_if_fits(zset *z);

/* zs_ht_info reports the skiplist encoding's member table, for tests: the
 * bucket counts of the current and (while an incremental rehash runs) the
 * new table, and the next bucket the rehash moves (SIZE_MAX when not
 * rehashing).  All zero for a pack. */
void zs_ht_info(const zset *z, size_t *size0, size_t *size1, size_t *rehash_idx);

/* zs_scan_score_str formats a score the way Redis shows a score read back from
 * this encoding in ZSCAN: packs print integral scores as integers, the
 * skiplist as %.17g.  Returns the length (buf >= 32 bytes). */
int zs_scan_score_str(const zset *z, double score, char *buf, size_t buflen);

#endif
