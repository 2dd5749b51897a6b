/* rill_benchmark.c — rill-benchmark, a load generator over the native protocol.
 *
 *   rill-benchmark [-u URL] [-c clients] [-n requests] [-P pipeline] [-d bytes]
 *                  [-t set,get,lpush,rpop,xadd,ping,incr] [-r keyspace] [--csv] [-q]
 *
 * Each test sends -n requests spread over -c async clients (librill's
 * rill_async), each sending its -P requests as one batch message (at most
 * 1024, the protocol's batch limit) and the next -P once all are answered,
 * as redis-benchmark pipelines.  One thread drives every client through
 * poll() on their descriptors; NNG's own threads do the socket I/O.
 * Latency is measured per request from the moment it is handed to the
 * library to its callback, and reported as p50/p99/p99.9 in milliseconds
 * with requests per second.  Keys are fixed (key:000000000000,
 * counter:000000000000, mylist, mystream) unless -r spreads them over a
 * keyspace, as redis-benchmark does.
 */
#include <rill/rill_async.h>

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Latency histogram: 1 us buckets to 10 ms, then 100 us buckets to 1 s, then one. */
#define FINE 10000
#define COARSE 10000
static uint32_t hist[FINE + COARSE + 1];

static void hist_add(long us)
{
    if (us < 0) us = 0;
    if (us < FINE) hist[us]++;
    else if (us < FINE + (long)COARSE * 100) hist[FINE + (us - FINE) / 100]++;
    else hist[FINE + COARSE]++;
}

static double hist_pct(double p, long total)
{
    long want = (long)(p / 100.0 * total + 0.5), seen = 0;
    if (want < 1) want = 1;
    for (int i = 0; i <= FINE + COARSE; i++) {
        seen += hist[i];
        if (seen >= want) return i < FINE ? i / 1000.0 : i < FINE + COARSE ? (FINE + (i - FINE) * 100.0) / 1000.0 : 1000.0;
    }
    return 0;
}

static long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

typedef struct bench bench;
typedef struct client {
    bench *b;
    rill_async *ac;
    int inflight;
} client;

typedef struct slot {
    client *cl;
    long start;
} slot;

struct bench {
    const char *test;
    long total, sent, done, errors;
    int pipeline, keyspace, datasize;
    char *value;
    unsigned seed;
};

static void send_one(client *cl);

static void on_reply(rill_async *ac, int err, rill_reply *r, void *arg)
{
    slot *s = arg;
    client *cl = s->cl;
    bench *b = cl->b;
    hist_add(now_us() - s->start);
    if (err != RILL_OK || rill_reply_type(r) == RILL_REPLY_ERROR) {
        if (b->errors++ == 0) {
            fprintf(stderr, "rill-benchmark: %s: %s\n", b->test,
                    err != RILL_OK ? rill_strerror(err) : rill_reply_string(r, NULL));
        }
    }
    free(s);
    cl->inflight--;
    b->done++;
    send_one(cl);
}

/* send_one sends the client's next -P requests as one batch (one message)
 * once all of its previous ones are answered, as redis-benchmark does. */
static void send_one(client *cl)
{
    bench *b = cl->b;
    if (cl->inflight > 0) return;
    rill_async_cork(cl->ac);
    while (cl->inflight < b->pipeline && b->sent < b->total) {
        char key[64];   /* as redis-benchmark: key:<12 digits>, counter:<12 digits> for INCR */
        const char *prefix = !strcmp(b->test, "incr") ? "counter" : "key";
        unsigned k = b->keyspace > 0 ? (unsigned)(rand_r(&b->seed) % (unsigned)b->keyspace) : 0;
        snprintf(key, sizeof key, "%s:%012u", prefix, k);
        const char *argv[6];
        size_t lens[6];
        int argc = 0;
#define ARG(s, n) (argv[argc] = (s), lens[argc++] = (n))
        const char *t = b->test;
        if (!strcmp(t, "set")) ARG("SET", 3), ARG(key, strlen(key)), ARG(b->value, b->datasize);
        else if (!strcmp(t, "get")) ARG("GET", 3), ARG(key, strlen(key));
        else if (!strcmp(t, "incr")) ARG("INCR", 4), ARG(key, strlen(key));
        else if (!strcmp(t, "lpush")) ARG("LPUSH", 5), ARG("mylist", 6), ARG(b->value, b->datasize);
        else if (!strcmp(t, "rpop")) ARG("RPOP", 4), ARG("mylist", 6);
        else if (!strcmp(t, "xadd")) ARG("XADD", 4), ARG("mystream", 8), ARG("*", 1), ARG("field", 5), ARG(b->value, b->datasize);
        else ARG("PING", 4);
#undef ARG
        slot *s = malloc(sizeof *s);
        s->cl = cl;
        s->start = now_us();
        if (!s || rill_async_command(cl->ac, on_reply, s, argc, argv, lens) != RILL_OK) {
            free(s);
            b->errors++;
            b->done++;
            b->sent++;
            continue;
        }
        cl->inflight++;
        b->sent++;
    }
    rill_async_uncork(cl->ac);
}

static int known(const char *t)
{
    static const char *tests[] = {"ping", "set", "get", "incr", "lpush", "rpop", "xadd"};
    for (size_t i = 0; i < sizeof tests / sizeof *tests; i++)
        if (!strcmp(t, tests[i])) return 1;
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: rill-benchmark [-u URL] [-c clients] [-n requests] [-P pipeline] [-d bytes]\n"
          "                      [-t tests] [-r keyspace] [--csv] [-q]\n"
          "  -u URL      server (default tcp://127.0.0.1:7379)\n"
          "  -c N        parallel connections (default 50)\n"
          "  -n N        requests per test (default 100000)\n"
          "  -P N        requests per batch message per connection (default 1, at most 1024)\n"
          "  -d N        value size in bytes for SET/LPUSH/XADD (default 3)\n"
          "  -t LIST     comma-separated: ping,set,get,incr,lpush,rpop,xadd (default set,get,lpush,rpop,xadd)\n"
          "  -r N        spread keys over N random names (default: one key)\n"
          "  --csv       one CSV line per test: test,rps,p50_ms,p99_ms,p999_ms,errors\n"
          "  -q          quiet: only the summary line per test\n",
          f);
}

int main(int argc, char **argv)
{
    const char *url = "tcp://127.0.0.1:7379", *tests = "set,get,lpush,rpop,xadd";
    int clients = 50, pipeline = 1, datasize = 3, keyspace = 0, csv = 0;
    long total = 100000;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "-u") && v) url = v, i++;
        else if (!strcmp(o, "-c") && v) clients = atoi(v), i++;
        else if (!strcmp(o, "-n") && v) total = atol(v), i++;
        else if (!strcmp(o, "-P") && v) pipeline = atoi(v), i++;
        else if (!strcmp(o, "-d") && v) datasize = atoi(v), i++;
        else if (!strcmp(o, "-t") && v) tests = v, i++;
        else if (!strcmp(o, "-r") && v) keyspace = atoi(v), i++;
        else if (!strcmp(o, "--csv")) csv = 1;
        else if (!strcmp(o, "-q")) ;
        else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "rill-benchmark: bad option '%s'\n", o);
            usage(stderr);
            return 2;
        }
    }
    if (clients < 1 || clients > 10000 || total < 1 || pipeline < 1 || pipeline > 1024 || datasize < 0 ||
        datasize > 64 * 1024 * 1024 || keyspace < 0) {
        fprintf(stderr, "rill-benchmark: -c 1..10000, -n >= 1, -P 1..1024, -d 0..64MB, -r >= 0\n");
        return 2;
    }
    char *list = strdup(tests);
    for (char *t = strtok(list, ","); t; t = strtok(NULL, ","))
        if (!known(t)) {
            fprintf(stderr, "rill-benchmark: unknown test '%s'\n", t);
            return 2;
        }
    free(list);

    client *cls = calloc((size_t)clients, sizeof *cls);
    struct pollfd *pfd = calloc((size_t)clients, sizeof *pfd);
    bench b = {0};
    b.pipeline = pipeline;
    b.keyspace = keyspace;
    b.datasize = datasize;
    b.value = malloc((size_t)datasize + 1);
    memset(b.value, 'x', (size_t)datasize);
    b.seed = 12345;
    rill_async_opts opts = {.max_in_flight = pipeline < RILL_MAX_PIPELINE ? pipeline : RILL_MAX_PIPELINE};
    for (int i = 0; i < clients; i++) {
        if (rill_async_connect(url, &opts, &cls[i].ac) != RILL_OK) {
            fprintf(stderr, "rill-benchmark: cannot create a client for %s\n", url);
            return 1;
        }
        cls[i].b = &b;
        pfd[i].fd = rill_async_fd(cls[i].ac);
        pfd[i].events = POLLIN;
    }
    /* Wait until every client is connected (commands would queue meanwhile, but
     * connection set-up must not count as latency). */
    long deadline = now_us() + 5000000;
    for (;;) {
        int up = 0;
        for (int i = 0; i < clients; i++) {
            rill_async_process(cls[i].ac);
            up += rill_async_connected(cls[i].ac);
        }
        if (up == clients) break;
        if (now_us() > deadline) {
            fprintf(stderr, "rill-benchmark: only %d of %d clients connected to %s\n", up, clients, url);
            return 1;
        }
        poll(pfd, (nfds_t)clients, 10);
    }

    if (csv) puts("test,rps,p50_ms,p99_ms,p999_ms,errors");
    list = strdup(tests);
    int status = 0;
    for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
        memset(hist, 0, sizeof hist);
        b.test = t;
        b.total = total;
        b.sent = b.done = b.errors = 0;
        long t0 = now_us();
        for (int i = 0; i < clients; i++) send_one(&cls[i]);
        while (b.done < b.total) {
            int n = poll(pfd, (nfds_t)clients, 1000);
            if (n <= 0) continue;
            for (int i = 0; i < clients; i++)
                if (pfd[i].revents) rill_async_process(cls[i].ac);
        }
        double secs = (now_us() - t0) / 1e6;
        double rps = b.total / (secs > 0 ? secs : 1e-9);
        char up[16];
        snprintf(up, sizeof up, "%s", t);
        for (char *p = up; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        if (csv)
            printf("%s,%.2f,%.3f,%.3f,%.3f,%ld\n", up, rps, hist_pct(50, b.total), hist_pct(99, b.total),
                   hist_pct(99.9, b.total), b.errors);
        else
            printf("%s: %.2f requests per second, p50=%.3f msec p99=%.3f msec p99.9=%.3f msec "
                   "(%ld requests, %d clients, pipeline %d%s)\n",
                   up, rps, hist_pct(50, b.total), hist_pct(99, b.total), hist_pct(99.9, b.total), b.total, clients,
                   pipeline, b.errors ? ", ERRORS" : "");
        fflush(stdout);
        if (b.errors) status = 1;
    }
    free(list);
    for (int i = 0; i < clients; i++) rill_async_close(cls[i].ac);
    free(cls);
    free(pfd);
    free(b.value);
    return status;
}
