/* job_queue.c — a producer and a pool of workers on a Rill job queue
 * (hiredis, RESP), with retries, backoff and dead-lettering.
 *
 *   job-queue [host] [port]
 *
 * The producer enqueues 20 jobs ("resize image N"), some delayed, some
 * with a higher priority.  Four worker threads fetch with a lease, "do"
 * the job, and acknowledge it; jobs whose number is divisible by 7 fail
 * (negative acknowledgement with an error text) and are retried with
 * exponential backoff until MAXATTEMPTS, then land in the dead-letter set.
 * One job is given to a worker that "crashes" (never acks): the server
 * redelivers it when its lease runs out.  At the end the main thread
 * prints QINFO and the dead letters with their last error.
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOBS 20
#define WORKERS 4

static const char *host = "127.0.0.1";
static int port = 6379;
static atomic_int finished;          /* jobs acked or dead-lettered */
static atomic_int crashed_once;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static redisContext *conn(void)
{
    redisContext *c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "connect %s:%d: %s\n", host, port, c ? c->errstr : "out of memory");
        exit(1);
    }
    return c;
}

#define say(...) do { pthread_mutex_lock(&out_lock); printf(__VA_ARGS__); fflush(stdout); \
                      pthread_mutex_unlock(&out_lock); } while (0)

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    redisContext *c = conn();
    while (atomic_load(&finished) < JOBS) {
        /* One job at a time, a 1 s lease, waiting up to 500 ms for work. */
        redisReply *r = redisCommand(c, "QFETCH COUNT 1 LEASE 1000 BLOCK 500 QUEUES images");
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            if (r) freeReplyObject(r);
            continue;
        }
        redisReply *job = r->element[0];             /* [queue, id, payload, attempt, token] */
        const char *id = job->element[1]->str;
        const char *payload = job->element[2]->str;
        long long attempt = job->element[3]->integer;
        long long token = job->element[4]->integer;  /* this lease: acks with it cannot hit a later one */
        int n = atoi(strchr(payload, ' ') ? strrchr(payload, ' ') + 1 : payload);

        if (n == 13 && !atomic_exchange(&crashed_once, 1)) {
            /* This worker "crashes": its connection goes away holding the
             * lease; the server redelivers the job when the lease ends. */
            say("worker %d: took %s (%s), attempt %lld ... and crashed\n", me, id, payload, attempt);
            freeReplyObject(r);
            redisFree(c);
            c = conn();
            continue;
        }
        usleep(20000);                                /* the work */
        if (n % 7 == 0) {
            redisReply *k = redisCommand(c, "QNACK images %s LEASE %lld ERROR %s", id, token, "image is corrupt");
            redisReply *info = redisCommand(c, "QJOB images %s", id);
            const char *state = "?";
            for (size_t i = 0; info && i + 1 < info->elements; i += 2)
                if (!strcmp(info->element[i]->str, "state")) state = info->element[i + 1]->str;
            say("worker %d: %s (%s) failed on attempt %lld -> %s\n", me, id, payload, attempt, state);
            if (!strcmp(state, "dead")) atomic_fetch_add(&finished, 1);
            freeReplyObject(k);
            if (info) freeReplyObject(info);
        } else {
            redisReply *k = redisCommand(c, "QACK images LEASE %lld %s", token, id);
            say("worker %d: %s (%s) done on attempt %lld (ack %lld)\n", me, id, payload, attempt, k->integer);
            if (k->integer == 1) atomic_fetch_add(&finished, 1);
            freeReplyObject(k);
        }
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) host = argv[1];
    if (argc > 2) port = atoi(argv[2]);
    redisContext *c = conn();
    freeReplyObject(redisCommand(c, "DEL images"));

    /* The producer: IDs make enqueueing idempotent (a retry of the
     * producer's own request cannot enqueue a job twice). */
    for (int i = 1; i <= JOBS; i++) {
        char id[32], payload[64];
        snprintf(id, sizeof id, "img-%02d", i);
        snprintf(payload, sizeof payload, "resize image %d", i);
        redisReply *r;
        if (i % 5 == 0)            /* every fifth job: urgent */
            r = redisCommand(c, "QPUSH images %s ID %s PRIORITY 10 MAXATTEMPTS 3 BACKOFF EXP 100 MAX 1000",
                             payload, id);
        else if (i % 6 == 0)       /* some jobs only later */
            r = redisCommand(c, "QPUSH images %s ID %s DELAY 300 MAXATTEMPTS 3 BACKOFF EXP 100 MAX 1000",
                             payload, id);
        else
            r = redisCommand(c, "QPUSH images %s ID %s MAXATTEMPTS 3 BACKOFF EXP 100 MAX 1000 JITTER",
                             payload, id);
        freeReplyObject(r);
    }
    redisReply *again = redisCommand(c, "QPUSH images %s ID img-01", "resize image 1");
    printf("producer: enqueued %d jobs (re-enqueue of img-01 answered %s)\n", JOBS, again->str);
    freeReplyObject(again);

    pthread_t th[WORKERS];
    for (int i = 0; i < WORKERS; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)(i + 1));
    for (int i = 0; i < WORKERS; i++) pthread_join(th[i], NULL);

    redisReply *info = redisCommand(c, "QINFO images");
    printf("QINFO images:");
    for (size_t i = 0; i + 1 < info->elements; i += 2)
        if (info->element[i + 1]->type == REDIS_REPLY_INTEGER)
            printf(" %s=%lld", info->element[i]->str, info->element[i + 1]->integer);
    printf("\n");
    freeReplyObject(info);
    redisReply *dead = redisCommand(c, "QLIST images STATE dead COUNT 100");
    for (size_t i = 0; i < dead->element[1]->elements; i++) {
        const char *id = dead->element[1]->element[i]->str;
        redisReply *j = redisCommand(c, "QJOB images %s", id);
        const char *err = "", *attempts = "";
        char buf[32];
        for (size_t k = 0; k + 1 < j->elements; k += 2) {
            if (!strcmp(j->element[k]->str, "last-error")) err = j->element[k + 1]->str;
            if (!strcmp(j->element[k]->str, "attempt")) {
                snprintf(buf, sizeof buf, "%lld", j->element[k + 1]->integer);
                attempts = buf;
            }
        }
        printf("dead letter: %s after %s attempts: %s\n", id, attempts, err);
        freeReplyObject(j);
    }
    freeReplyObject(dead);
    redisFree(c);
    return 0;
}
