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
 *                      batch, one round trip per batch; a mover polling a
 *                      delayed zset every 10 ms, as the recipe needs for
 *                      delayed jobs and retries)
 *     PUSH    single (default: 64 pipelined single-job pushes per round trip)
 *             | bulk (one push of 64 jobs: QPUSHMANY ... PAYLOADS, or
 *               LPUSH with 64 values)
 *     FETCH   grouped (default: QFETCH ... GROUPED, the reply form a worker
 *             uses: three elements per job) | plain (the original form,
 *             [queue, id, payload, attempt, token] per job)
 *
 * enqueue: WORKERS connections each pipelining 64 pushes at a time.
 * cycle:   one producer (QUEUES_PRODUCERS in the environment: more) pipelining
 *          pushes (kept at most 4096 jobs ahead of the acks) and WORKERS
 *          worker connections.
 * Prints one JSON line: {"ops": n, "seconds": s} (pushes, or acked jobs).
 *
 * Every connection is driven from one thread with epoll, as redis-benchmark
 * drives its clients: each is a small state machine that sends one pipeline
 * and waits for all its replies.  (The first version ran a thread per
 * connection with blocking hiredis calls; on two cores shared with the
 * server, a fifth of the machine went to waking those threads, which is a
 * cost of neither server.)  Both sides format a command that never changes
 * (the fetch, BLMOVE, LMOVE) once and send the ready bytes, and build the
 * others from argument vectors: no per-command printf-style formatting on
 * either side.
 */
#include <hiredis/hiredis.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define PIPE 64
#define AHEAD 4096
#define PAYLOAD 100
#define MAXCONN 1100

static int port, rill, bulk, plain, batch = 10;
static long long pushed, done;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s\n", what, detail);
    exit(1);
}

static redisContext *conn(void)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) die("connect", c ? c->errstr : "oom");
    return c;
}

static void must(redisReply *r)
{
    if (r->type == REDIS_REPLY_ERROR) die("error reply", r->str);
}

/* ---- connections --------------------------------------------------------- */

enum role { ENQUEUER, PRODUCER, RILL_WORKER, REDIS_WORKER, MOVER };

typedef struct client {
    enum role role;
    redisContext *c;
    int expect;              /* replies still due for the pipeline in flight */
    int got;                 /* replies seen of it */
    int parked;              /* producer: too far ahead of the acks */
    int writing;             /* EPOLLOUT armed */
    long long base;          /* producer/enqueuer: next job number */
    /* rill worker */
    redisReply *prev;        /* the batch being acked */
    size_t njobs;            /* jobs acked by the pipeline in flight */
    /* redis worker */
    redisReply **held;       /* jobs moved into processing by the last batch */
    int nheld, nacks;
    /* mover */
    int phase;               /* 0 idle, 1 ZRANGEBYSCORE, 2 ZREMs, 3 LPUSHes */
    redisReply *due;
    int *removed;
    double next_run;
} client;

static int ep;
static client *clients[MAXCONN];
static int nclients;
static char *fetch_cmd, *blmove_cmd, *lmove_cmd;
static int fetch_len, blmove_len, lmove_len;

static void flush_out(client *k)
{
    int written = 0;
    if (redisBufferWrite(k->c, &written) != REDIS_OK) die("write", k->c->errstr);
    int want = !written;
    if (want != k->writing) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = k};
        epoll_ctl(ep, EPOLL_CTL_MOD, k->c->fd, &ev);
        k->writing = want;
    }
}

static client *client_new(enum role role)
{
    if (nclients == MAXCONN) die("too many connections", "");
    client *k = calloc(1, sizeof *k);
    k->role = role;
    k->c = conn();
    k->c->flags &= ~REDIS_BLOCK;   /* from here on driven by epoll */
    fcntl(k->c->fd, F_SETFL, fcntl(k->c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};
    epoll_ctl(ep, EPOLL_CTL_ADD, k->c->fd, &ev);
    clients[nclients++] = k;
    return k;
}

/* ---- pushes ------------------------------------------------------------- */

/* send_pushes appends n distinct jobs: n single-job pushes (QPUSH, LPUSH),
 * or with bulk one multi-job push (QPUSHMANY ... PAYLOADS, LPUSH with n
 * values); returns the number of replies to expect. */
static int send_pushes(client *k, int n)
{
    static char jobs[PIPE][PAYLOAD + 32];
    const char *av[PIPE + 3];
    size_t lv[PIPE + 3];
    int a = 0, head;
    if (bulk && rill) {
        av[a] = "QPUSHMANY", lv[a++] = 9;
        av[a] = "q", lv[a++] = 1;
        av[a] = "PAYLOADS", lv[a++] = 8;
    } else {
        av[a] = rill ? "QPUSH" : "LPUSH", lv[a++] = 5;
        av[a] = "q", lv[a++] = 1;
    }
    head = a;
    for (int i = 0; i < n; i++) {
        char *job = jobs[i];
        int len = snprintf(job, PAYLOAD + 32, "%lld:", k->base + i);
        memset(job + len, 'x', PAYLOAD);
        len += PAYLOAD;
        if (bulk) {
            av[a] = job, lv[a++] = (size_t)len;
        } else {
            av[head] = job, lv[head] = (size_t)len;
            redisAppendCommandArgv(k->c, head + 1, av, lv);
        }
    }
    if (bulk) redisAppendCommandArgv(k->c, a, av, lv);
    k->base += n;
    return bulk ? 1 : n;
}

/* ---- one round trip per role --------------------------------------------- */

static void start(client *k);

static void start_producer(client *k)
{
    if (k->role == PRODUCER && pushed - done > AHEAD) {
        k->parked = 1;
        k->expect = 0;
        return;
    }
    k->parked = 0;
    k->expect = send_pushes(k, PIPE);
}

/* Both workers send one pipeline per batch: the acks of the previous
 * batch, then the fetch of the next. */
static void start_rill_worker(client *k)
{
    k->expect = 0;
    k->njobs = 0;
    if (k->prev) {
        /* one fetch, one lease token: acked under it, as a careful worker does */
        const char **av = malloc((size_t)(batch + 4) * sizeof *av);
        size_t *lv = malloc((size_t)(batch + 4) * sizeof *lv);
        char tok[24];
        int n = 0;
        av[n] = "QACK", lv[n++] = 4;
        av[n] = "q", lv[n++] = 1;
        av[n] = "LEASE", lv[n++] = 5;
        if (plain) {
            redisReply *p = k->prev;   /* [[queue, id, payload, attempt, token], ...] */
            av[n] = tok, lv[n++] = (size_t)snprintf(tok, sizeof tok, "%lld", p->element[0]->element[4]->integer);
            for (size_t i = 0; i < p->elements; i++) {
                av[n] = p->element[i]->element[1]->str;
                lv[n++] = p->element[i]->element[1]->len;
            }
            k->njobs = p->elements;
        } else {
            redisReply *g = k->prev->element[0];   /* [queue, token, [id, payload, attempt, ...]] */
            av[n] = tok, lv[n++] = (size_t)snprintf(tok, sizeof tok, "%lld", g->element[1]->integer);
            for (size_t i = 0; i < g->element[2]->elements; i += 3) {
                av[n] = g->element[2]->element[i]->str;
                lv[n++] = g->element[2]->element[i]->len;
            }
            k->njobs = g->element[2]->elements / 3;
        }
        redisAppendCommandArgv(k->c, n, av, lv);
        free(av);
        free(lv);
        k->expect++;
    }
    redisAppendFormattedCommand(k->c, fetch_cmd, (size_t)fetch_len);
    k->expect++;
}

static void start_redis_worker(client *k)
{
    const char *av[4] = {"LREM", "processing", "1", NULL};
    size_t lv[4] = {4, 10, 1, 0};
    for (int i = 0; i < k->nheld; i++) {
        av[3] = k->held[i]->str, lv[3] = k->held[i]->len;
        redisAppendCommandArgv(k->c, 4, av, lv);
    }
    k->nacks = k->nheld;
    redisAppendFormattedCommand(k->c, blmove_cmd, (size_t)blmove_len);
    for (int i = 1; i < batch; i++) redisAppendFormattedCommand(k->c, lmove_cmd, (size_t)lmove_len);
    k->expect = k->nacks + batch;
}

/* The recipe's mover: delayed jobs (and retries) live in a zset scored by
 * due time; every 10 ms, what is due moves to the list (ZREM, then LPUSH of
 * what this mover removed). */
static void start_mover(client *k)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char lim[32];
    snprintf(lim, sizeof lim, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    const char *av[] = {"ZRANGEBYSCORE", "delayed", "-inf", lim, "LIMIT", "0", "100"};
    redisAppendCommandArgv(k->c, 7, av, NULL);
    k->phase = 1;
    k->expect = 1;
}

static void start(client *k)
{
    k->got = 0;
    switch (k->role) {
    case ENQUEUER:
    case PRODUCER: start_producer(k); break;
    case RILL_WORKER: start_rill_worker(k); break;
    case REDIS_WORKER: start_redis_worker(k); break;
    case MOVER: start_mover(k); break;
    }
    if (k->expect) flush_out(k);
}

/* on_reply handles reply number k->got (0-based) of the pipeline in flight;
 * returns 1 once the client's round is over. */
static int on_reply(client *k, redisReply *r)
{
    int i = k->got++;
    must(r);
    switch (k->role) {
    case ENQUEUER:
    case PRODUCER:
        freeReplyObject(r);
        if (k->got < k->expect) return 0;
        pushed += PIPE;
        return 1;
    case RILL_WORKER:
        if (k->prev && i == 0) {   /* the ack */
            if (r->integer != (long long)k->njobs) {
                fprintf(stderr, "acked %lld of %zu\n", r->integer, k->njobs);
                exit(1);
            }
            done += r->integer;
            freeReplyObject(r);
            freeReplyObject(k->prev);
            k->prev = NULL;
            return 0;
        }
        if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) k->prev = r;
        else freeReplyObject(r);
        return 1;
    case REDIS_WORKER:
        if (i < k->nacks) {
            if (r->integer != 1) {
                fprintf(stderr, "LREM removed %lld\n", r->integer);
                exit(1);
            }
            freeReplyObject(r);
            freeReplyObject(k->held[i]);
            if (k->got == k->nacks) {
                done += k->nacks;
                k->nheld = 0;
            }
            return 0;
        }
        if (r->type == REDIS_REPLY_STRING) k->held[k->nheld++] = r;
        else freeReplyObject(r);
        return k->got == k->expect;
    case MOVER:
        if (k->phase == 1) {
            k->due = r;
            if (r->elements == 0) break;
            for (size_t j = 0; j < r->elements; j++)
                redisAppendCommand(k->c, "ZREM delayed %b", r->element[j]->str, r->element[j]->len);
            k->removed = realloc(k->removed, r->elements * sizeof *k->removed);
            k->phase = 2, k->got = 0, k->expect = (int)r->elements;
            flush_out(k);
            return 0;
        }
        if (k->phase == 2) {
            k->removed[i] = r->integer == 1;
            freeReplyObject(r);
            if (k->got < k->expect) return 0;
            int n = 0;
            for (size_t j = 0; j < k->due->elements; j++)
                if (k->removed[j]) {
                    redisAppendCommand(k->c, "LPUSH q %b", k->due->element[j]->str, k->due->element[j]->len);
                    n++;
                }
            if (n == 0) break;
            k->phase = 3, k->got = 0, k->expect = n;
            flush_out(k);
            return 0;
        }
        freeReplyObject(r);   /* phase 3: the LPUSHes */
        if (k->got < k->expect) return 0;
        break;
    }
    /* mover round over */
    if (k->due) freeReplyObject(k->due);
    k->due = NULL;
    k->phase = 0;
    k->expect = 0;
    k->next_run = now_s() + 0.010;
    return 0;
}

static void on_readable(client *k)
{
    if (redisBufferRead(k->c) != REDIS_OK) die("read", k->c->errstr);
    void *r;
    while (k->expect && k->got < k->expect) {
        if (redisGetReplyFromReader(k->c, &r) != REDIS_OK) die("protocol", k->c->errstr);
        if (!r) return;
        if (on_reply(k, r)) start(k);
    }
    if (k->c->reader->len > k->c->reader->pos) die("protocol", "reply nobody asked for");
}

/* ---- main ----------------------------------------------------------------- */

static void run_for(double secs)
{
    double end = now_s() + secs;
    struct epoll_event evs[256];
    for (;;) {
        double now = now_s();
        if (now >= end) return;
        for (int i = 0; i < nclients; i++) {
            client *k = clients[i];
            if (k->parked && pushed - done <= AHEAD) start(k);
            if (k->role == MOVER && k->phase == 0 && now >= k->next_run) start(k);
        }
        int n = epoll_wait(ep, evs, 256, 1);
        if (n < 0 && errno != EINTR) die("epoll_wait", strerror(errno));
        for (int i = 0; i < n; i++) {
            client *k = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) flush_out(k);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(k);
        }
    }
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
    ep = epoll_create1(EPOLL_CLOEXEC);
    fetch_len = plain ? redisFormatCommand(&fetch_cmd, "QFETCH COUNT %d LEASE 30000 BLOCK 100 QUEUES q", batch)
                      : redisFormatCommand(&fetch_cmd, "QFETCH COUNT %d LEASE 30000 BLOCK 100 GROUPED QUEUES q", batch);
    blmove_len = redisFormatCommand(&blmove_cmd, "BLMOVE q processing RIGHT LEFT 0.1");
    lmove_len = redisFormatCommand(&lmove_cmd, "LMOVE q processing RIGHT LEFT");
    if (!cycle) {
        for (int i = 0; i < workers; i++) client_new(ENQUEUER)->base = (long long)(i + 1) * 1000000000LL;
    } else {
        const char *np = getenv("QUEUES_PRODUCERS");
        int producers = np ? atoi(np) : 1;
        if (producers < 1 || producers > 64) return 2;
        for (int i = 0; i < producers; i++) client_new(PRODUCER)->base = (long long)i << 40;   /* distinct payloads */
        for (int i = 0; i < workers; i++) {
            client *k = client_new(rill ? RILL_WORKER : REDIS_WORKER);
            k->held = calloc((size_t)batch, sizeof *k->held);
        }
        if (!rill) client_new(MOVER);
    }
    for (int i = 0; i < nclients; i++) start(clients[i]);
    run_for(0.3);                            /* warm-up */
    long long p0 = pushed, d0 = done;
    double t0 = now_s();
    printf("{\"phase\": \"start\"}\n");
    fflush(stdout);
    run_for(secs);
    double t1 = now_s();
    printf("{\"ops\": %lld, \"seconds\": %.4f}\n", cycle ? done - d0 : pushed - p0, t1 - t0);
    fflush(stdout);
    redisFree(c);
    return 0;
}
