/* helpers.c — the job worker loop and the stream consumer-group reader.
 *
 * Both are plain loops over the synchronous client.  The worker extends
 * leases from a second thread with its own connection (a rill_client is
 * one thread's), which only ever sends QEXTEND for the job running now.
 */
#include "internal.h"
#include "rill/rill_helpers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int stopped(volatile int *stop) { return stop && *stop; }

/* not_parked: the server refused BLOCK over native (parked requests missing). */
static int not_parked(const rill_reply *r)
{
    return r && r->type == RILL_REPLY_ERROR && strstr(r->str, "native protocol");
}

static int is_str(const rill_reply *r)
{
    return r && (r->type == RILL_REPLY_BULK || r->type == RILL_REPLY_SIMPLE);
}

/* ---- running a handler while extending its lease ------------------------------ */

/* A runner thread executes handlers; the worker thread, which owns the
 * connection, waits for it and sends QEXTEND meanwhile.  Leases belong to
 * the connection that fetched the job, so the extension cannot come from a
 * second connection, and a rill_client serves one thread at a time. */
typedef struct runner {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rill_job_handler *h;
    void *arg;
    const rill_job *job;     /* set: a job to run; NULL: idle */
    int done, outcome, quit;
    char err[256];
} runner;

static void *runner_main(void *p)
{
    runner *x = p;
    pthread_mutex_lock(&x->mu);
    for (;;) {
        while (!x->quit && (!x->job || x->done)) pthread_cond_wait(&x->cv, &x->mu);
        if (x->quit) break;
        const rill_job *j = x->job;
        x->err[0] = 0;
        pthread_mutex_unlock(&x->mu);
        char err[256] = "";
        int outcome = x->h(j, err, sizeof err, x->arg);
        pthread_mutex_lock(&x->mu);
        memcpy(x->err, err, sizeof err);
        x->outcome = outcome;
        x->done = 1;
        pthread_cond_broadcast(&x->cv);
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

static runner *runner_start(rill_job_handler *h, void *arg)
{
    runner *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->h = h;
    x->arg = arg;
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    if (pthread_create(&x->th, NULL, runner_main, x) != 0) {
        free(x);
        return NULL;
    }
    return x;
}

static void runner_stop(runner *x)
{
    if (!x) return;
    pthread_mutex_lock(&x->mu);
    x->quit = 1;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    pthread_join(x->th, NULL);
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    free(x);
}

/* run_extending runs j on the runner and extends its lease every lease_ms/3. */
static int run_extending(rill_client *c, runner *x, const rill_job *j, int lease_ms, char *err, size_t errlen)
{
    pthread_mutex_lock(&x->mu);
    x->job = j;
    x->done = 0;
    pthread_cond_broadcast(&x->cv);
    while (!x->done) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        long step = lease_ms / 3 > 0 ? lease_ms / 3 : 1;
        long ns = dl.tv_nsec + (step % 1000) * 1000000L;
        dl.tv_sec += step / 1000 + ns / 1000000000L;
        dl.tv_nsec = ns % 1000000000L;
        if (pthread_cond_timedwait(&x->cv, &x->mu, &dl) == 0 || x->done) continue;
        pthread_mutex_unlock(&x->mu);
        char ms[24];
        snprintf(ms, sizeof ms, "%d", lease_ms);
        const char *argv[] = {"QEXTEND", j->queue, j->id, ms};
        size_t lens[] = {7, j->queue_len, j->id_len, strlen(ms)};
        rill_reply *r = NULL;
        rill_command(c, &r, 4, argv, lens);   /* best effort: a lost lease shows as a redelivery */
        rill_reply_free(r);
        pthread_mutex_lock(&x->mu);
    }
    int outcome = x->outcome;
    snprintf(err, errlen, "%s", x->err);
    x->job = NULL;
    pthread_mutex_unlock(&x->mu);
    return outcome;
}

/* ---- job worker -------------------------------------------------------------------- */

static int settle(rill_client *c, const rill_job *j, int outcome, const char *err, int delay_ms)
{
    const char *argv[8];
    size_t lens[8];
    int n = 0;
    char d[24];
    argv[n] = outcome == RILL_JOB_ACK ? "QACK" : "QNACK";
    lens[n] = strlen(argv[n]);
    n++;
    argv[n] = j->queue, lens[n++] = j->queue_len;
    argv[n] = j->id, lens[n++] = j->id_len;
    if (outcome != RILL_JOB_ACK && delay_ms > 0) {
        snprintf(d, sizeof d, "%d", delay_ms);
        argv[n] = "DELAY", lens[n++] = 5;
        argv[n] = d, lens[n++] = strlen(d);
    }
    if (outcome != RILL_JOB_ACK && err && *err) {
        argv[n] = "ERROR", lens[n++] = 5;
        argv[n] = err, lens[n++] = strlen(err);
    }
    rill_reply *r = NULL;
    int rc = rill_command(c, &r, n, argv, lens);
    rill_reply_free(r);
    return rc;
}

int rill_worker_run(rill_client *c, const rill_worker_opts *o, rill_job_handler *h, void *arg)
{
    if (!c || !o || !h || o->nqueues < 1 || !o->queues) return RILL_EINVAL;
    int block_ms = o->block_ms > 0 ? o->block_ms : 1000, parked = 1;
    int count = o->count > 0 ? o->count : 1;
    runner *x = o->extend && o->lease_ms > 0 ? runner_start(h, arg) : NULL;
    const char **argv = malloc((size_t)(o->nqueues + 9) * sizeof *argv);
    if (!argv) {
        runner_stop(x);
        return RILL_ENOMEM;
    }
    long long done = 0;
    int rc = RILL_OK;
    char cnt[24], lease[24], blk[24];
    while (!stopped(o->stop) && (o->max_jobs <= 0 || done < o->max_jobs)) {
        int n = 0;
        argv[n++] = "QFETCH";
        snprintf(cnt, sizeof cnt, "%d", count);
        argv[n++] = "COUNT", argv[n++] = cnt;
        if (o->lease_ms > 0) {
            snprintf(lease, sizeof lease, "%d", o->lease_ms);
            argv[n++] = "LEASE", argv[n++] = lease;
        }
        if (parked) {
            snprintf(blk, sizeof blk, "%d", block_ms);
            argv[n++] = "BLOCK", argv[n++] = blk;
        }
        argv[n++] = "QUEUES";
        for (int i = 0; i < o->nqueues; i++) argv[n++] = o->queues[i];
        rill_reply *r = NULL;
        rc = rill_command(c, &r, n, argv, NULL);
        if (rc == RILL_ETIMEDOUT) continue;   /* a long BLOCK against a short client timeout */
        if (rc != RILL_OK) break;
        if (r->type == RILL_REPLY_ERROR) {
            if (parked && not_parked(r)) {
                parked = 0;
                rill_reply_free(r);
                continue;
            }
            rc = rill_client_fail(c, RILL_EPROTO, r->str);
            rill_reply_free(r);
            break;
        }
        if (r->type != RILL_REPLY_ARRAY || r->nelem == 0) {
            rill_reply_free(r);
            if (!parked) sleep_ms(50);
            continue;
        }
        for (size_t i = 0; i < r->nelem && rc == RILL_OK; i++) {
            const rill_reply *e = r->elem[i];
            if (e->type != RILL_REPLY_ARRAY || e->nelem < 3 || !is_str(e->elem[0]) || !is_str(e->elem[1])) continue;
            rill_job j = {e->elem[0]->str, e->elem[0]->len, e->elem[1]->str, e->elem[1]->len,
                          e->elem[2]->str ? e->elem[2]->str : "", e->elem[2]->len, 1};
            if (e->nelem > 3) j.attempt = e->elem[3]->type == RILL_REPLY_INTEGER ? e->elem[3]->integer
                                          : e->elem[3]->str ? atoll(e->elem[3]->str) : 1;
            char err[256] = "";
            int outcome = x ? run_extending(c, x, &j, o->lease_ms, err, sizeof err) : h(&j, err, sizeof err, arg);
            rc = settle(c, &j, outcome, err, o->retry_delay_ms);
            done++;
        }
        rill_reply_free(r);
    }
    free(argv);
    runner_stop(x);
    return rc;
}

/* ---- consumer-group reader ---------------------------------------------------------- */

/* handle_entries runs h over an array of [id, fields] entries and acks. */
static int handle_entries(rill_client *c, const rill_group_opts *o, const rill_reply *entries, int claimed,
                          rill_entry_handler *h, void *arg, long long *done, size_t *seen, char *last, size_t lastlen)
{
    *seen = 0;
    if (!entries || entries->type != RILL_REPLY_ARRAY) return RILL_OK;
    for (size_t i = 0; i < entries->nelem; i++) {
        const rill_reply *e = entries->elem[i];
        if (e->type != RILL_REPLY_ARRAY || e->nelem < 1 || !is_str(e->elem[0])) continue;
        (*seen)++;
        const rill_reply *fields = e->nelem > 1 && e->elem[1]->type != RILL_REPLY_NULL ? e->elem[1] : NULL;
        rill_entry en = {e->elem[0]->str, e->elem[0]->len, fields, claimed};
        if (last) snprintf(last, lastlen, "%s", en.id);
        if (h(&en, arg) == 0) {
            const char *argv[] = {"XACK", o->stream, o->group, en.id};
            size_t lens[] = {4, strlen(o->stream), strlen(o->group), en.id_len};
            rill_reply *r = NULL;
            int rc = rill_command(c, &r, 4, argv, lens);
            rill_reply_free(r);
            if (rc != RILL_OK) return rc;
        }
        (*done)++;
    }
    return RILL_OK;
}

/* stream_entries finds the entries array in an XREADGROUP reply: RESP3 MAP
 * {stream: entries} or RESP2 [[stream, entries]]. */
static const rill_reply *stream_entries(const rill_reply *r)
{
    if (!r) return NULL;
    if (r->type == RILL_REPLY_MAP && r->nelem >= 2) return r->elem[1];
    if (r->type == RILL_REPLY_ARRAY && r->nelem >= 1 && r->elem[0]->type == RILL_REPLY_ARRAY && r->elem[0]->nelem >= 2)
        return r->elem[0]->elem[1];
    return NULL;
}

int rill_group_run(rill_client *c, const rill_group_opts *o, rill_entry_handler *h, void *arg)
{
    if (!c || !o || !h || !o->stream || !o->group || !o->consumer) return RILL_EINVAL;
    rill_reply *r = NULL;
    int rc;
    if (o->create) {
        const char *argv[] = {"XGROUP", "CREATE", o->stream, o->group, "$", "MKSTREAM"};
        if ((rc = rill_command(c, &r, 6, argv, NULL)) != RILL_OK) return rc;
        if (r->type == RILL_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0) {
            rc = rill_client_fail(c, RILL_EPROTO, r->str);
            rill_reply_free(r);
            return rc;
        }
        rill_reply_free(r);
    }
    int count = o->count > 0 ? o->count : 10, block_ms = o->block_ms > 0 ? o->block_ms : 1000, parked = 1;
    int history = 1;   /* first this consumer's own pending entries (after `from`), then new ones (">") */
    char from[64] = "0";
    long long done = 0;
    struct timespec last_claim;
    clock_gettime(CLOCK_MONOTONIC, &last_claim);
    char cnt[24], blk[24], idle[24];
    snprintf(cnt, sizeof cnt, "%d", count);
    snprintf(idle, sizeof idle, "%d", o->claim_idle_ms);
    rc = RILL_OK;
    while (!stopped(o->stop) && (o->max_entries <= 0 || done < o->max_entries)) {
        if (o->claim_idle_ms > 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long el = (now.tv_sec - last_claim.tv_sec) * 1000LL + (now.tv_nsec - last_claim.tv_nsec) / 1000000;
            if (el >= o->claim_idle_ms) {
                last_claim = now;
                const char *argv[] = {"XAUTOCLAIM", o->stream, o->group, o->consumer, idle, "0-0", "COUNT", cnt};
                if ((rc = rill_command(c, &r, 8, argv, NULL)) != RILL_OK) break;
                size_t seen;
                if (r->type == RILL_REPLY_ARRAY && r->nelem >= 2)
                    rc = handle_entries(c, o, r->elem[1], 1, h, arg, &done, &seen, NULL, 0);
                rill_reply_free(r);
                if (rc != RILL_OK) break;
            }
        }
        const char *argv[12];
        int n = 0;
        argv[n++] = "XREADGROUP", argv[n++] = "GROUP", argv[n++] = o->group, argv[n++] = o->consumer;
        argv[n++] = "COUNT", argv[n++] = cnt;
        if (parked && !history) {
            snprintf(blk, sizeof blk, "%d", block_ms);
            argv[n++] = "BLOCK", argv[n++] = blk;
        }
        argv[n++] = "STREAMS", argv[n++] = o->stream, argv[n++] = history ? from : ">";
        rc = rill_command(c, &r, n, argv, NULL);
        if (rc == RILL_ETIMEDOUT) continue;
        if (rc != RILL_OK) break;
        if (r->type == RILL_REPLY_ERROR) {
            if (parked && not_parked(r)) {
                parked = 0;
                rill_reply_free(r);
                continue;
            }
            rc = rill_client_fail(c, RILL_EPROTO, r->str);
            rill_reply_free(r);
            break;
        }
        size_t seen = 0;
        rc = handle_entries(c, o, stream_entries(r), 0, h, arg, &done, &seen, history ? from : NULL, sizeof from);
        rill_reply_free(r);
        if (rc != RILL_OK) break;
        if (history && seen == 0) history = 0;
        else if (!history && seen == 0 && !parked) sleep_ms(50);
    }
    return rc;
}
