/* rill_helpers.h — librill's helpers for the jobs users bring: a job worker
 * loop over the queue commands and a stream consumer-group reader.  (The
 * subscribe helper is part of the async API: rill_async_subscribe.)
 *
 * Both run on the calling thread with a synchronous client and return when
 * *stop becomes non-zero, after max items, or on a transport error.  They
 * block (in the server, with BLOCK) while there is nothing to do.  Against
 * a server that does not park blocking requests on the native protocol yet,
 * they fall back to short sleeps between non-blocking fetches.
 */
#ifndef RILL_RILL_HELPERS_H
#define RILL_RILL_HELPERS_H

#include "rill/rill.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- job worker: QFETCH / QACK / QNACK / QEXTEND ------------------------- */

typedef struct rill_job {
    const char *queue;
    size_t queue_len;
    const char *id;
    size_t id_len;
    const char *payload;
    size_t payload_len;
    long long attempt;       /* 1 on the first delivery */
} rill_job;

enum { RILL_JOB_ACK = 0, RILL_JOB_RETRY = 1 };

/* rill_job_handler runs one job.  Return RILL_JOB_ACK (done: QACK) or
 * RILL_JOB_RETRY (QNACK; text written to error, up to errlen bytes, goes
 * with it as ERROR).  The job's strings are valid during the call only. */
typedef int rill_job_handler(const rill_job *job, char *error, size_t errlen, void *arg);

typedef struct rill_worker_opts {
    const char *const *queues;   /* queues to fetch from, in priority order */
    int nqueues;
    int count;                   /* jobs per QFETCH; 0: 1 */
    int lease_ms;                /* LEASE per fetch; 0: the server's default */
    int block_ms;                /* BLOCK per fetch; 0: 1000 */
    int retry_delay_ms;          /* DELAY on QNACK; 0: the server's backoff */
    int extend;                  /* with lease_ms: run the handler on a helper
                                    thread and send QEXTEND (on this connection:
                                    leases belong to connections) every
                                    lease_ms/3 while it runs; 0: never extend */
    volatile int *stop;          /* the loop ends when *stop != 0 (may be NULL) */
    long long max_jobs;          /* return after this many jobs; 0: no limit */
} rill_worker_opts;

/* rill_worker_run fetches, runs and acknowledges jobs until stopped.
 * Returns RILL_OK when stopped or max_jobs were done; RILL_EINVAL (no
 * queue); a transport error code; RILL_EPROTO when the server answers
 * QFETCH with an error (rill_errstr(c) has the text). */
RILL_API int rill_worker_run(rill_client *c, const rill_worker_opts *o, rill_job_handler *h, void *arg);

/* ---- stream consumer-group reader: XREADGROUP / XACK / XAUTOCLAIM ------- */

typedef struct rill_entry {
    const char *id;
    size_t id_len;
    const rill_reply *fields;    /* flat: field, value, field, value... (may be NULL: deleted entry) */
    int claimed;                 /* 1: taken over from another consumer by XAUTOCLAIM */
} rill_entry;

/* rill_entry_handler handles one entry: return 0 to XACK it, non-zero to
 * leave it pending (it is read again after claim_idle_ms). */
typedef int rill_entry_handler(const rill_entry *e, void *arg);

typedef struct rill_group_opts {
    const char *stream, *group, *consumer;
    int create;                  /* XGROUP CREATE stream group $ MKSTREAM first (BUSYGROUP is fine) */
    int count;                   /* entries per read; 0: 10 */
    int block_ms;                /* BLOCK per read; 0: 1000 */
    int claim_idle_ms;           /* XAUTOCLAIM entries idle this long; 0: never */
    volatile int *stop;
    long long max_entries;       /* return after this many; 0: no limit */
} rill_group_opts;

/* rill_group_run reads the group's entries (first this consumer's own
 * pending ones, then new ones), runs h on each and acknowledges.  Returns
 * as rill_worker_run does. */
RILL_API int rill_group_run(rill_client *c, const rill_group_opts *o, rill_entry_handler *h, void *arg);

#ifdef __cplusplus
}
#endif
#endif
