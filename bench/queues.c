/* queues.c — load generator for bench/queues.py: job-queue enqueue and the
 * full enqueue -> fetch -> ack cycle, against Rill's queue commands or the
 * Lua-free Redis recipe for the same semantics.
 *
 *   queues MODE SYSTEM PORT SECONDS [WORKERS] [BATCH] [PUSH] [FETCH]
 *     MODE    enqueue | cycle
 *     SYSTEM  rill    (QPUSH; QACK LEASE token of the previous batch pipelined
 *                      with QFETCH COUNT BATCH BLOCK GROUPED: one round trip
 *                      per batch)
 *             redis   (LPUSH; BLMOVE then BATCH-1 LMOVE into a processing
 *                      list, pipelined after the LREMs acking the previous
 *                      batch, one round trip per batch; a mover
 *                      thread polling a delayed zset every 10 ms, as the
 *                      recipe needs for delayed jobs and retries)
 *     PUSH    single (default: 64 pipelined single-job pushes per round trip)
 *             | bulk (one push of 64 jobs: QPUSHMANY ... PAYLOADS, or
 *               LPUSH with 64 values)
 *     FETCH   grouped (default: QFETCH ... GROUPED, the reply form a worker
 *             uses: three elements per job) | plain (the original form,
 *             [queue, id, payload, attempt, token] per job)
 *
 * Both sides format a command that never changes (the fetch, BLMOVE, LMOVE)
 * once and send the ready bytes, and build the others from argument
 * vectors: no per-command printf-style formatting on either side.
 *
 * enqueue: WORKERS connections each pipelining 64 pushes at a time.
 * cycle:   one producer (QUEUES_PRODUCERS in the environment: more) pipelining pushes (kept at most 4096 jobs ahead of
 *          the acks) and WORKERS worker connections.
 * Prints one JSON line: {"ops": n, "seconds": s} (pushes, or acked jobs).
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PIPE 64
#define AHEAD 4096
#define PAYLOAD 100

static int port, rill, bulk, plain, batch = 10;
static atomic_int stop;
static atomic_llong pushed, done;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static redisContext *conn(void)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        fprintf(stderr, "connect: %s\n", c ? c->errstr : "oom");
        exit(1);
    }
    return c;
}

static void must(redisReply *r, redisContext *c)
{
    if (!r) {
        fprintf(stderr, "io error: %s\n", c->errstr);
        exit(1);
    }
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "error reply: %s\n", r->str);
        exit(1);
    }
}

/* push_batch enqueues n distinct jobs in one round trip: n pipelined
 * single-job pushes (QPUSH, LPUSH), or with bulk one multi-job push
 * (QPUSHMANY ... PAYLOADS, LPUSH with n values). */
static void push_batch(redisContext *c, long long base, int n)
{
    static _Thread_local char jobs[PIPE][PAYLOAD + 32];
    const char *av[PIPE + 3];
    size_t lv[PIPE + 3];
    int k = 0, head;
    if (bulk && rill) {
        av[k] = "QPUSHMANY", lv[k++] = 9;
        av[k] = "q", lv[k++] = 1;
        av[k] = "PAYLOADS", lv[k++] = 8;
    } else {
        av[k] = rill ? "QPUSH" : "LPUSH", lv[k++] = 5;
        av[k] = "q", lv[k++] = 1;
    }
    head = k;
    for (int i = 0; i < n; i++) {
        char *job = jobs[i];
        int len = snprintf(job, PAYLOAD + 32, "%lld:", base + i);
        memset(job + len, 'x', PAYLOAD);
        len += PAYLOAD;
        if (bulk) {
            av[k] = job, lv[k++] = (size_t)len;
        } else {
            av[head] = job, lv[head] = (size_t)len;
            redisAppendCommandArgv(c, head + 1, av, lv);
        }
    }
    if (bulk) redisAppendCommandArgv(c, k, av, lv);
    for (int i = 0; i < (bulk ? 1 : n); i++) {
        redisReply *r;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) must(NULL, c);
        must(r, c);
        freeReplyObject(r);
    }
}

static void *enqueuer(void *arg)
{
    redisContext *c = conn();
    long long base = (long long)(intptr_t)arg * 1000000000LL;
    while (!atomic_load(&stop)) {
        push_batch(c, base, PIPE);
        base += PIPE;
        atomic_fetch_add(&pushed, PIPE);
    }
    redisFree(c);
    return NULL;
}

static void *producer(void *arg)
{
    redisContext *c = conn();
    long long base = (long long)(intptr_t)arg << 40;   /* payloads distinct across producers */
    while (!atomic_load(&stop)) {
        if (atomic_load(&pushed) - atomic_load(&done) > AHEAD) {
            usleep(100);
            continue;
        }
        push_batch(c, base, PIPE);
        base += PIPE;
        atomic_fetch_add(&pushed, PIPE);
    }
    redisFree(c);
    return NULL;
}

/* Both workers send one pipeline per batch: the acks of the previous
 * batch, then the fetch of the next (one round trip per batch). */
static void *rill_worker(void *arg)
{
    redisContext *c = conn();
    const char **av = malloc((size_t)(batch + 4) * sizeof *av);
    size_t *lv = malloc((size_t)(batch + 4) * sizeof *lv);
    char tok[24];
    char *fetch;                         /* the same every time: formatted once */
    int flen = plain ? redisFormatCommand(&fetch, "QFETCH COUNT %d LEASE 30000 BLOCK 100 QUEUES q", batch)
                     : redisFormatCommand(&fetch, "QFETCH COUNT %d LEASE 30000 BLOCK 100 GROUPED QUEUES q", batch);
    redisReply *prev = NULL;             /* the batch being acked */
    while (!atomic_load(&stop)) {
        int n = 0;
        size_t njobs = 0;
        if (prev) {
            /* one fetch, one lease token: acked under it, as a careful worker does */
            av[n] = "QACK", lv[n++] = 4;
            av[n] = "q", lv[n++] = 1;
            av[n] = "LEASE", lv[n++] = 5;
            if (plain) {
                av[n] = tok, lv[n++] = (size_t)snprintf(tok, sizeof tok, "%lld", prev->element[0]->element[4]->integer);
                for (size_t i = 0; i < prev->elements; i++) {
                    redisReply *job = prev->element[i];   /* [queue, id, payload, attempt, token] */
                    av[n] = job->element[1]->str;
                    lv[n++] = job->element[1]->len;
                }
                njobs = prev->elements;
            } else {
                redisReply *g = prev->element[0];          /* [queue, token, [id, payload, attempt, ...]] */
                av[n] = tok, lv[n++] = (size_t)snprintf(tok, sizeof tok, "%lld", g->element[1]->integer);
                for (size_t i = 0; i < g->element[2]->elements; i += 3) {
                    av[n] = g->element[2]->element[i]->str;
                    lv[n++] = g->element[2]->element[i]->len;
                }
                njobs = g->element[2]->elements / 3;
            }
            redisAppendCommandArgv(c, n, av, lv);
        }
        redisAppendFormattedCommand(c, fetch, (size_t)flen);
        if (prev) {
            redisReply *a;
            if (redisGetReply(c, (void **)&a) != REDIS_OK) must(NULL, c);
            must(a, c);
            if (a->integer != (long long)njobs) {
                fprintf(stderr, "acked %lld of %zu\n", a->integer, njobs);
                exit(1);
            }
            atomic_fetch_add(&done, a->integer);
            freeReplyObject(a);
            freeReplyObject(prev);
            prev = NULL;
        }
        redisReply *r;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) must(NULL, c);
        must(r, c);
        if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) prev = r;
        else freeReplyObject(r);
    }
    if (prev) freeReplyObject(prev);
    redisFreeCommand(fetch);
    free(av);
    free(lv);
    redisFree(c);
    return NULL;
}

static void *redis_worker(void *arg)
{
    redisContext *c = conn();
    redisReply **got = malloc((size_t)batch * sizeof *got);
    int n = 0;                           /* jobs held from the previous batch */
    char *blmove, *lmove;                /* the same every time: formatted once */
    int blen = redisFormatCommand(&blmove, "BLMOVE q processing RIGHT LEFT 0.1");
    int llen = redisFormatCommand(&lmove, "LMOVE q processing RIGHT LEFT");
    const char *av[4] = {"LREM", "processing", "1", NULL};
    size_t lv[4] = {4, 10, 1, 0};
    while (!atomic_load(&stop)) {
        for (int i = 0; i < n; i++) {
            av[3] = got[i]->str, lv[3] = got[i]->len;
            redisAppendCommandArgv(c, 4, av, lv);
        }
        redisAppendFormattedCommand(c, blmove, (size_t)blen);
        for (int i = 1; i < batch; i++) redisAppendFormattedCommand(c, lmove, (size_t)llen);
        for (int i = 0; i < n; i++) {
            redisReply *a;
            if (redisGetReply(c, (void **)&a) != REDIS_OK) must(NULL, c);
            must(a, c);
            if (a->integer != 1) {
                fprintf(stderr, "LREM removed %lld\n", a->integer);
                exit(1);
            }
            freeReplyObject(a);
            freeReplyObject(got[i]);
        }
        atomic_fetch_add(&done, n);
        n = 0;
        for (int i = 0; i < batch; i++) {
            redisReply *m;
            if (redisGetReply(c, (void **)&m) != REDIS_OK) must(NULL, c);
            must(m, c);
            if (m->type == REDIS_REPLY_STRING) got[n++] = m;
            else freeReplyObject(m);
        }
    }
    for (int i = 0; i < n; i++) freeReplyObject(got[i]);
    redisFreeCommand(blmove);
    redisFreeCommand(lmove);
    free(got);
    redisFree(c);
    return NULL;
}

/* The recipe's mover: delayed jobs (and retries) live in a zset scored by
 * due time; every 10 ms, what is due moves to the list. */
static void *redis_mover(void *arg)
{
    redisContext *c = conn();
    while (!atomic_load(&stop)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        redisReply *r = redisCommand(c, "ZRANGEBYSCORE delayed -inf %lld LIMIT 0 100", ms);
        must(r, c);
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *z = redisCommand(c, "ZREM delayed %b", r->element[i]->str, r->element[i]->len);
            must(z, c);
            if (z->integer == 1) freeReplyObject(redisCommand(c, "LPUSH q %b", r->element[i]->str, r->element[i]->len));
            freeReplyObject(z);
        }
        freeReplyObject(r);
        usleep(10000);
    }
    redisFree(c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: queues enqueue|cycle rill|redis PORT SECONDS [WORKERS] [BATCH] [single|bulk] [grouped|plain]\n");
        return 2;
    }
    int cycle = !strcmp(argv[1], "cycle");
    rill = !strcmp(argv[2], "rill");
    port = atoi(argv[3]);
    double secs = atof(argv[4]);
    int workers = argc > 5 ? atoi(argv[5]) : 10;
    if (argc > 6) batch = atoi(argv[6]);
    if (argc > 7) bulk = !strcmp(argv[7], "bulk");
    if (argc > 8) plain = !strcmp(argv[8], "plain");
    if (workers < 1 || workers > 1000 || batch < 1 || batch > 1000) return 2;

    redisContext *c = conn();
    freeReplyObject(redisCommand(c, "DEL q processing delayed"));
    pthread_t th[1100];
    int n = 0;
    if (!cycle) {
        for (int i = 0; i < workers; i++) pthread_create(&th[n++], NULL, enqueuer, (void *)(intptr_t)(i + 1));
    } else {
        const char *np = getenv("QUEUES_PRODUCERS");
        int producers = np ? atoi(np) : 1;
        if (producers < 1 || producers > 64) return 2;
        for (int i = 0; i < producers; i++) pthread_create(&th[n++], NULL, producer, (void *)(intptr_t)i);
        for (int i = 0; i < workers; i++) pthread_create(&th[n++], NULL, rill ? rill_worker : redis_worker, NULL);
        if (!rill) pthread_create(&th[n++], NULL, redis_mover, NULL);
    }
    usleep(300000);                          /* warm-up */
    long long p0 = atomic_load(&pushed), d0 = atomic_load(&done);
    double t0 = now_s();
    printf("{\"phase\": \"start\"}\n");
    fflush(stdout);
    usleep((useconds_t)(secs * 1e6));
    long long p1 = atomic_load(&pushed), d1 = atomic_load(&done);
    double t1 = now_s();
    printf("{\"ops\": %lld, \"seconds\": %.4f}\n", cycle ? d1 - d0 : p1 - p0, t1 - t0);
    fflush(stdout);
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    redisFree(c);
    return 0;
}
