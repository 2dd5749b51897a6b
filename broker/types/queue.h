/* queue.h — a delayed and reliable job queue: the pure data structure.
 *
 * A queue holds jobs found by ID.  Each job is in exactly one state:
 *
 *   waiting  due, fetchable: ordered by (priority desc, due asc, seq asc),
 *            so the highest priority goes first and, within a priority,
 *            the job that became due first (FIFO);
 *   delayed  not due yet: ordered by (due, seq);
 *   leased   handed to a consumer until its lease expires: by (until, seq);
 *   dead     out of attempts (dead-letter set): by (dead_at, seq).
 *
 * One ordered index per state, all four the same intrusive skiplist: a job
 * carries its own forward pointers (and a back pointer at the bottom level)
 * and sits in exactly one index.  Jobs
 * with a time to live are also in a binary min-heap by deadline (waiting,
 * delayed and leased jobs; a dead job no longer expires).  `seq` is a
 * per-queue enqueue sequence that makes every index key unique.
 *
 * Ownership: the queue owns its jobs.  A job is one allocation holding its
 * fields, its skiplist links, its ID-table link and the bytes of its ID
 * (unless generated: q_jid) and payload (q_payload, an sbuf view into that
 * allocation).  Only a job with options other than the defaults (or an
 * error text) has a second allocation, its qjob_ext, and the error text a
 * third.  Jobs are found by ID through the queue's own chained hash
 * table threaded through the jobs (no entry per job), except jobs whose ID
 * is the generated "<ms>-<seq>" of their own seq, found through a ring of
 * pointers indexed by seq; q_free frees every job.
 *
 * Leases are identified by the job and a lease token: each fetch takes a
 * token from the queue (q_token_next; every job leased by one fetch shares
 * it), and a job remembers the token of its last lease, so a worker whose
 * lease ended cannot act on a later lease of the same job.
 *
 * Time is always passed in (unix ms): this module reads no clock, knows no
 * server, and draws no random numbers (jitter takes the caller's).  The
 * caller decides every transition: q_promote moves due delayed jobs to
 * waiting (a pure function of time), everything else (lease, retry, bury,
 * remove) is an explicit call, so a command layer can log each one.
 */
#ifndef RILL_QUEUE_H
#define RILL_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "sbuf.h"

#define Q_NOPOS ((size_t)-1)

enum q_state { QS_WAITING = 0, QS_DELAYED = 1, QS_LEASED = 2, QS_DEAD = 3, QS_NSTATES = 4 };
enum q_backoff { QB_FIXED = 0, QB_EXP = 1 };
/* Why a job left the queue (which counter q_remove bumps). */
enum q_reason { QR_ACKED = 0, QR_EXPIRED = 1, QR_DELETED = 2 };

#define Q_MAX_LEVEL 24

/* A job's rarely-set options: a job has this side allocation only when
 * one differs from the defaults (q_ext_default: unlimited attempts,
 * BACKOFF EXP 1000 MAX 300000, no jitter, no TTL, no error text), so a
 * plain job is the qjob alone.  Once a job has one it keeps it. */
typedef struct qjob_ext {
    sbuf error;              /* last error text, or NULL (own allocation) */
    long long maxattempts;   /* 0: unlimited */
    long long bbase, bmax;   /* backoff base and cap (ms; cap 0: none) */
    long long deadline;      /* TTL: unix ms it is dropped at, 0: never */
    size_t ttl_pos;          /* position in the TTL heap, or Q_NOPOS */
    int bkind;               /* enum q_backoff */
    int jitter;              /* 1: backoff drawn in [d/2, d] */
} qjob_ext;

extern const qjob_ext q_ext_default;

/* A job: 96 bytes of fields, `level` forward pointers, then its ID and its
 * payload, each as [sbuf header][bytes][NUL] (q_payload: an sbuf view into
 * the allocation; read it with sbuf_len, never free or grow it).  A job
 * whose ID is the generated "<enq_ms>-<seq>" of its own fields (genid)
 * stores no ID: q_jid formats it when asked.
 * Fields one state needs share storage: `until` is the lease end while
 * leased and the time it died while dead (0 otherwise: q_lease_until,
 * q_dead_at read it by state). */
typedef struct qjob {
    qjob_ext *ext;           /* rarely-set options, or NULL (q_opt reads either) */
    long long enq_ms;        /* when it was enqueued */
    long long attempt;       /* deliveries so far */
    uint64_t lease;          /* token of its last lease (0: never leased) */
    uint64_t consumer;       /* session id it was last delivered to (for QJOB) */
    uint32_t hash;           /* of the ID (in the ID table only) */
    uint8_t state;           /* enum q_state */
    uint8_t level;           /* skiplist levels (next[0..level)) */
    uint8_t inwin;           /* found through the seq window, not the ID table */
    uint8_t genid;           /* its ID is "<enq_ms>-<seq>", not stored */
    /* what the index searches read, next to the links */
    uint64_t seq;
    long long priority;
    long long due;           /* unix ms it is (or was) due */
    long long until;         /* leased: lease end; dead: when it got there; else 0 */
    struct qjob *prev;       /* the job before it in its index (level 0), or NULL */
    struct qjob *hnext;      /* next job in the ID table's bucket */
    struct qjob *next[];     /* skiplist forward pointers */
} qjob;

/* q_sbuf_part: bytes an sbuf of len bytes takes in a job's allocation. */
static inline size_t q_sbuf_part(size_t len) { return (sizeof(struct sbuf_hdr) + len + 1 + 3) & ~(size_t)3; }
/* q_stored_id: the ID a job stores (not genid). */
static inline sbuf q_stored_id(const qjob *j)
{
    return (char *)(uintptr_t)j + sizeof *j + (size_t)j->level * sizeof(qjob *) + sizeof(struct sbuf_hdr);
}
/* q_payload: j's payload, an sbuf view into j (after its ID if stored). */
static inline sbuf q_payload(const qjob *j)
{
    const char *p = q_stored_id(j);
    return (char *)(uintptr_t)p + (j->genid ? 0 : q_sbuf_part(sbuf_len(p)));
}

/* Room for any job's formatted ID: "<ms>-<seq>", two 64-bit numbers. */
typedef struct q_idbuf {
    char b[48];
} q_idbuf;
/* q_jid: j's ID, *len bytes (NUL-terminated): its stored bytes, or for a
 * genid job formatted into *buf. */
const char *q_jid(const qjob *j, q_idbuf *buf, size_t *len);
/* q_u64_str writes v in decimal at p (room for 20); returns its length. */
size_t q_u64_str(char *p, uint64_t v);
/* q_opt: j's rarely-set options, its side allocation or the defaults.
 * q_lease_until, q_dead_at: the shared `until` in its state, else 0.
 * q_deadline (0: none) and q_error (NULL: none) read the side allocation. */
static inline const qjob_ext *q_opt(const qjob *j) { return j->ext ? j->ext : &q_ext_default; }
static inline long long q_lease_until(const qjob *j) { return j->state == QS_LEASED ? j->until : 0; }
static inline long long q_dead_at(const qjob *j) { return j->state == QS_DEAD ? j->until : 0; }
static inline long long q_deadline(const qjob *j) { return j->ext ? j->ext->deadline : 0; }
static inline sbuf q_error(const qjob *j) { return j->ext ? j->ext->error : NULL; }

/* Every field of a job, flat: what q_restore takes and q_fields gives. */
typedef struct qjob_fields {
    int state;
    uint64_t seq;
    long long priority, due, enq_ms, attempt, maxattempts;
    int bkind, jitter;
    long long bbase, bmax, deadline;
    long long lease_until;   /* meaningful while leased */
    uint64_t consumer, lease;
    long long dead_at;       /* meaningful while dead */
} qjob_fields;

/* q_fields fills *f from j (lease_until / dead_at 0 outside their state). */
void q_fields(const qjob *j, qjob_fields *f);

/* A job as q_restore takes it back: its fields, and its ID, payload and
 * last error as bytes (err NULL: none).  The bytes point into the job, or
 * for a generated ID into idbuf: valid while the job and the image live,
 * and until the job changes. */
typedef struct qjob_image {
    qjob_fields f;
    const char *id, *payload, *err;
    size_t idlen, plen, errlen;
    q_idbuf idbuf;
} qjob_image;

/* q_image fills *im from j (q_fields, q_jid, q_payload, q_error). */
void q_image(const qjob *j, qjob_image *im);

typedef struct q_counters {
    long long enqueued, acked, retried, deadlettered, expired, deleted, delivered;
} q_counters;

typedef struct queue queue;

/* What a new job is given; q_opts_default fills the defaults. */
typedef struct qjob_opts {
    long long priority;
    long long due;           /* absolute ms */
    long long maxattempts;
    int bkind, jitter;
    long long bbase, bmax;
    long long deadline;      /* absolute ms, 0: none */
    long long enq;           /* enqueued-at (absolute ms), 0: now (a replay keeps the original) */
} qjob_opts;

/* Defaults: priority 0, MAXATTEMPTS 0 (unlimited), BACKOFF EXP 1000 MAX 300000. */
void q_opts_default(qjob_opts *o, long long now);

/* q_new returns an empty queue; q_free frees it and every job. */
queue *q_new(void);
void q_free(queue *q);
/* q_dup deep-copies q, every job in the same state and order. */
queue *q_dup(const queue *q);
/* q_mem: approximate bytes held. */
size_t q_mem(const queue *q);

size_t q_len(const queue *q);                     /* jobs in all states */
size_t q_count(const queue *q, int state);
q_counters *q_stats(queue *q);
const q_counters *q_stats_const(const queue *q);
uint64_t q_next_seq(const queue *q);
void q_set_next_seq(queue *q, uint64_t seq);

/* q_find: the job whose ID is `id` (an sbuf), or NULL. */
qjob *q_find(const queue *q, const char *id);
/* q_find_len: the same with a pointer and length. */
qjob *q_find_len(const queue *q, const char *id, size_t len);

/* q_add creates a job with a copy of id/payload, seq = next seq, attempt
 * 0, state delayed if opts->due > now else waiting, and counts it as
 * enqueued.  The ID must not exist (q_find first).  id NULL: the ID is
 * the generated "<enqueued-at>-<seq>" (which must not exist either). */
qjob *q_add(queue *q, const char *id, size_t idlen, const void *payload, size_t plen, const qjob_opts *opts,
            long long now);

/* q_restore creates a job in an exact state (snapshot / COPY): fields come
 * from *tmpl (id, payload, error taken as bytes and copied; lease_until
 * kept only for a leased job, dead_at only for a dead one); counters are
 * untouched; next seq moves past tmpl->seq, next token past tmpl->lease.
 * The ID must not exist. */
qjob *q_restore(queue *q, const qjob_fields *tmpl, const char *id, size_t idlen, const void *payload, size_t plen,
                const char *err, size_t errlen);

/* q_promote moves every delayed job due at or before now to waiting;
 * returns how many moved. */
size_t q_promote(queue *q, long long now);

/* q_first: the head of a state's index (waiting: the next to fetch), or NULL. */
qjob *q_first(const queue *q, int state);
/* q_next: the job after j in j's index, or NULL. */
qjob *q_next(const qjob *j);
/* q_ttl_first: the job with the earliest TTL deadline, or NULL. */
qjob *q_ttl_first(const queue *q);

/* A walk over every job of a queue, state by state (waiting, delayed,
 * leased, dead), each state in its index order: the order q_dup copies
 * jobs in and a snapshot writes them in.  The queue must not change
 * during the walk.  Use: q_iter_init(&it, q); while ((j = q_iter_next(&it))). */
typedef struct q_iter {
    const queue *q;
    int state;               /* the state `next` is in */
    const qjob *next;        /* the job the next call returns, or NULL: look in the next state */
} q_iter;
void q_iter_init(q_iter *it, const queue *q);
/* q_iter_next: the next job of the walk, or NULL when every job was seen. */
const qjob *q_iter_next(q_iter *it);

/* q_token_next: the lease token the next fetch uses (1, 2, ...: above
 * every token any job of this queue holds). */
uint64_t q_token_next(const queue *q);
/* q_lease hands j (waiting or delayed) to consumer until `until` under
 * lease token `token`: attempt + 1, delivered + 1; the queue's next token
 * moves past `token`. */
void q_lease(queue *q, qjob *j, uint64_t consumer, uint64_t token, long long until);
/* q_extend moves a leased job's lease end. */
void q_extend(queue *q, qjob *j, long long until);
/* q_retry puts j back, due at `due` (delayed if due > now, else waiting),
 * with err (if not NULL) as its last error; retried + 1. */
void q_retry(queue *q, qjob *j, long long due, long long now, const char *err, size_t errlen);
/* q_bury moves j to the dead set at `now`, with err if given; deadlettered + 1. */
void q_bury(queue *q, qjob *j, long long now, const char *err, size_t errlen);
/* q_requeue moves a dead job back, attempt 0, due at `due`. */
void q_requeue(queue *q, qjob *j, long long due, long long now);
/* q_remove frees j, counting it by reason (acked / expired / deleted). */
void q_remove(queue *q, qjob *j, int reason);

/* q_exhausted: 1 if j has used every attempt it may have. */
int q_exhausted(const qjob *j);
/* q_backoff: the delay (ms) before retrying j after its attempt number
 * j->attempt failed.  FIXED: base.  EXP: base * 2^(attempt-1), capped at
 * bmax when bmax > 0 and at Q_BACKOFF_LIMIT always.  JITTER: the delay d
 * becomes d - rnd % (d/2 + 1), i.e. within [d/2, d]. */
#define Q_BACKOFF_LIMIT (365LL * 24 * 3600 * 1000)
long long q_backoff(const qjob *j, uint64_t rnd);

/* q_next_event: the earliest time something happens without a command
 * (a delayed job falls due, a lease ends, a TTL passes), or LLONG_MAX. */
long long q_next_event(const queue *q);

/* q_oldest_waiting_due: the smallest due time among waiting jobs, or
 * LLONG_MAX when none wait; O(P log n) for P distinct priorities. */
long long q_oldest_waiting_due(const queue *q);

/* Listing: a job's position in its state's index as three numbers, and a
 * seek to the first job of a state at or after such a position. */
typedef struct q_pos {
    long long k0, k1;
    uint64_t seq;
} q_pos;
void q_job_pos(const qjob *j, q_pos *p);
qjob *q_seek(const queue *q, int state, const q_pos *p);

/* q_state_name / q_state_parse: "waiting" ... (parse: case-insensitive; -1 if unknown). */
const char *q_state_name(int state);
int q_state_parse(const char *s);

#endif
