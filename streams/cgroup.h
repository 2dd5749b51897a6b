/* cgroup.h — consumer groups of a stream: groups, consumers, pending lists.
 *
 * A stream's groups (struct cgroups) are kept sorted by name, byte order
 * with a shorter prefix first (the order Redis lists them in, its radix tree
 * order); each group keeps its consumers the same way.  Both are sorted
 * arrays of pointers searched by bisection: groups and consumers are few
 * next to entries, and a listing needs the order anyway.
 *
 * Pending entries.  An entry delivered to a consumer and not yet
 * acknowledged has one record, cg_nack (ID, delivery time, delivery count,
 * owner).  The record is linked into two ordered trees by ID at once: the
 * group's PEL and its owner's PEL (intrusive AVL trees with parent links,
 * so a range walk is O(log n + k) and moving an entry to another consumer
 * (XCLAIM) relinks it without copying).  One allocation per pending entry.
 *
 * Groups also carry last_delivered_id, entries_read (the logical offset of
 * the last delivered entry, CG_ENTRIES_READ_UNKNOWN when unknown, as Redis 7
 * keeps it) and the dead-letter setting (a target key and a delivery limit,
 * Rill's extension; see docs/stream-groups.md).
 *
 * Consumers carry seen_time (last interaction of any kind: Redis 7.0's idle)
 * and active_time (last successful read or claim, -1 if never).
 *
 * Ownership: cgroups owns its groups, a group its consumers and records; names
 * are copied.  Times are unix ms given by the caller (no clock here).
 * No server dependency: stream.h for IDs and the lag estimate, alloc.h.
 */
#ifndef RILL_CGROUP_H
#define RILL_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include "stream.h"

#define CG_ENTRIES_READ_UNKNOWN (-1LL)

/* An intrusive AVL node; a tree is its root plus a count. */
typedef struct cg_node {
    struct cg_node *l, *r, *p;
    int h;
} cg_node;

typedef struct cg_tree {
    cg_node *root;
    size_t count;
} cg_tree;

typedef struct cg_consumer cg_consumer;

typedef struct cg_nack {
    stream_id id;
    int64_t delivery_time;       /* unix ms of the last delivery */
    uint64_t delivery_count;
    cg_consumer *owner;
    cg_node gnode;               /* in the group's PEL */
    cg_node cnode;               /* in the owner's PEL */
} cg_nack;

struct cg_consumer {
    char *name;
    size_t nlen;
    int64_t seen_time;           /* last interaction (ms) */
    int64_t active_time;         /* last successful read or claim, -1 never */
    cg_tree pel;
};

typedef struct cg_group {
    char *name;
    size_t nlen;
    stream_id last_id;           /* last_delivered_id */
    long long entries_read;      /* or CG_ENTRIES_READ_UNKNOWN */
    cg_tree pel;
    cg_consumer **cons;          /* sorted by name */
    size_t ncons, capcons;
    /* Dead-lettering: dlq_key NULL when off. */
    char *dlq_key;
    size_t dlq_klen;
    uint64_t dlq_max;            /* deliveries allowed; the next one dead-letters */
    uint64_t dead_lettered;      /* entries moved so far */
} cg_group;

typedef struct cgroups {
    cg_group **v;                /* sorted by name */
    size_t n, cap;
} cgroups;

/* ---- the set of groups ------------------------------------------------- */

cgroups *cg_set_new(void);
/* cg_set_free frees every group; NULL allowed. */
void cg_set_free(cgroups *gs);
/* cg_set_dup deep-copies (owners relinked to the copies); NULL gives NULL. */
cgroups *cg_set_dup(const cgroups *gs);
/* cg_set_mem: bytes used, approximately (structs, names, records). */
size_t cg_set_mem(const cgroups *gs);

/* cg_find returns the group named name, or NULL (gs may be NULL). */
cg_group *cg_find(const cgroups *gs, const void *name, size_t len);
/* cg_create adds a group; NULL if the name is taken. */
cg_group *cg_create(cgroups *gs, const void *name, size_t len, stream_id last_id,
                    long long entries_read);
/* cg_destroy removes and frees the group; 1 if it existed. */
int cg_destroy(cgroups *gs, const void *name, size_t len);

/* cg_set_dlq sets (key non-NULL) or clears the dead-letter target. */
void cg_set_dlq(cg_group *g, const void *key, size_t klen, uint64_t max_deliveries);

/* ---- consumers --------------------------------------------------------- */

cg_consumer *cg_consumer_find(const cg_group *g, const void *name, size_t len);
/* cg_consumer_create adds a consumer seen (not active) at now; NULL if it exists. */
cg_consumer *cg_consumer_create(cg_group *g, const void *name, size_t len, int64_t now);
/* cg_consumer_get finds or creates; *created says which (may be NULL). */
cg_consumer *cg_consumer_get(cg_group *g, const void *name, size_t len, int64_t now, int *created);
/* cg_consumer_delete removes the consumer and its pending entries (from the
 * group's PEL too: they are not moved to anyone).  Returns how many it had. */
size_t cg_consumer_delete(cg_group *g, cg_consumer *c);

/* ---- pending entries --------------------------------------------------- */

cg_nack *cg_pel_find(const cg_group *g, stream_id id);
/* cg_pel_add records id as delivered to owner at time with count deliveries.
 * id must not be pending already (check with cg_pel_find). */
cg_nack *cg_pel_add(cg_group *g, cg_consumer *owner, stream_id id, int64_t time, uint64_t count);
/* cg_pel_set_owner moves a record to another consumer's PEL. */
void cg_pel_set_owner(cg_nack *n, cg_consumer *owner);
/* cg_pel_remove unlinks and frees a record (acknowledged or dead). */
void cg_pel_remove(cg_group *g, cg_nack *n);

/* Walks.  seek: the first record with ID >= id (NULL if none); next / prev
 * step in ID order within the same list; last: the highest. */
cg_nack *cg_pel_seek(const cg_group *g, stream_id id);
cg_nack *cg_pel_next(const cg_nack *n);
cg_nack *cg_pel_first(const cg_group *g);
cg_nack *cg_pel_last(const cg_group *g);
cg_nack *cg_cpel_seek(const cg_consumer *c, stream_id id);
cg_nack *cg_cpel_next(const cg_nack *n);

/* ---- Redis 7's logical offsets (entries_read, lag) ---------------------- */

/* cg_range_has_tombstones: may [start, end] (NULL = open) hold a deleted entry? */
int cg_range_has_tombstones(const stream *s, const stream_id *start, const stream_id *end);
/* cg_estimate_offset: the logical offset of id in s, or CG_ENTRIES_READ_UNKNOWN. */
long long cg_estimate_offset(const stream *s, stream_id id);
/* cg_lag: 1 with *lag set when the group's lag is known, else 0. */
int cg_lag(const stream *s, const cg_group *g, long long *lag);
/* cg_advance records that entry id (above last_id) was delivered: updates
 * entries_read and last_id as XREADGROUP ">" does. */
void cg_advance(const stream *s, cg_group *g, stream_id id);

#endif
