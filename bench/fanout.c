/* fanout.c — pub/sub fan-out benchmark (issue 5), a small hiredis client.
 *
 * One publisher and SUBS subscribers on loopback.  Subscriber j subscribes to
 * channel "ch:<j % CHANNELS>", so every PUBLISH reaches SUBS/CHANNELS
 * subscribers; the publisher goes round the channels.  Each message is a
 * 64-byte payload carrying a phase letter and the CLOCK_MONOTONIC send time
 * in nanoseconds; the subscriber threads parse it with hiredis's reader and
 * record the end-to-end latency in a 1 µs histogram.
 *
 * Phases, all bounded in time:
 *   warm-up  (-w s)  closed loop, not measured;
 *   load     (-d s)  closed loop: as fast as the subscribers take it, with at
 *                    most INFLIGHT deliveries published but not yet received
 *                    (so no output buffer grows without bound): delivered
 *                    messages per second, latency under load, and the
 *                    server's CPU per delivered message (-P PID);
 *   fixed    (-d s)  open loop at -r deliveries per second (0 = skip):
 *                    latency without queueing.
 * After each phase the publisher waits (up to 5 s) until every message has
 * arrived; the "lost" figure counts what never did (by the last drain).
 *
 *   fanout -p PORT -s SUBS -c CHANNELS [-d 3] [-w 0.5] [-r 50000] [-P PID]
 *          [-i INFLIGHT] [-T SUB_THREADS]
 * Prints one JSON line.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define PAYLOAD 64
#define HMAX 1000000            /* histogram: 1 µs buckets up to 1 s, then overflow */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *m)
{
    fprintf(stderr, "fanout: %s (%s)\n", m, strerror(errno));
    exit(1);
}

/* ---- shared state ------------------------------------------------------- */

static atomic_ullong delivered;        /* messages received, all subscribers */
static atomic_int stop_subs;
static atomic_int pub_waiting;
static int wake_fd;                    /* eventfd: subscriber -> publisher */

typedef struct {
    int epfd;
    int nfds;
    int *fds;
    redisReader **readers;
    uint64_t *hist[2];                 /* [0] load, [1] fixed */
    uint64_t errors;
} subthread;

static void record(subthread *t, const char *p, size_t len, uint64_t now)
{
    if (len != PAYLOAD) { t->errors++; return; }
    int ph = p[0] == 'L' ? 0 : p[0] == 'F' ? 1 : -1;
    if (ph < 0) return;
    uint64_t ts = 0;
    for (int i = 1; i <= 20; i++) ts = ts * 10 + (uint64_t)(p[i] - '0');
    uint64_t us = now > ts ? (now - ts) / 1000 : 0;
    t->hist[ph][us < HMAX ? us : HMAX]++;
}

static void *sub_main(void *arg)
{
    subthread *t = arg;
    struct epoll_event ev[256];
    static __thread char buf[1 << 16];
    while (!atomic_load_explicit(&stop_subs, memory_order_relaxed)) {
        int n = epoll_wait(t->epfd, ev, 256, 50);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        uint64_t got = 0;
        for (int i = 0; i < n; i++) {
            int k = ev[i].data.u32;
            redisReader *r = t->readers[k];
            for (;;) {
                ssize_t m = recv(t->fds[k], buf, sizeof buf, MSG_DONTWAIT);
                if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (m < 0 && errno == EINTR) continue;
                if (m <= 0) { fprintf(stderr, "fanout: subscriber %d: connection closed\n", k); exit(1); }
                uint64_t now = now_ns();
                if (redisReaderFeed(r, buf, m) != REDIS_OK) die("reader feed");
                void *rep;
                while (redisReaderGetReply(r, &rep) == REDIS_OK && rep) {
                    redisReply *x = rep;
                    if (x->type == REDIS_REPLY_ARRAY && x->elements == 3 &&
                        x->element[0]->len == 7 && !memcmp(x->element[0]->str, "message", 7)) {
                        record(t, x->element[2]->str, x->element[2]->len, now);
                        got++;
                    } else {
                        t->errors++;
                    }
                    freeReplyObject(rep);
                }
                if (r->err) { fprintf(stderr, "fanout: protocol error: %s\n", r->errstr); exit(1); }
                if ((size_t)m < sizeof buf) break;
            }
        }
        if (got) {
            atomic_fetch_add_explicit(&delivered, got, memory_order_relaxed);
            if (atomic_load_explicit(&pub_waiting, memory_order_relaxed)) {
                uint64_t one = 1;
                if (write(wake_fd, &one, 8) < 0) { /* counter overflow only; ignore */ }
            }
        }
    }
    return NULL;
}

/* ---- publisher ---------------------------------------------------------- */

static int pubfd;
static int nchan;
static uint64_t sent, acked;
static char *wbuf;
static size_t wlen;

static void append_publish(char phase, uint64_t seq)
{
    char ch[32], payload[PAYLOAD + 1];
    int cl = snprintf(ch, sizeof ch, "ch:%d", (int)(seq % nchan));
    int n = snprintf(payload, sizeof payload, "%c%020llu", phase, (unsigned long long)now_ns());
    memset(payload + n, 'x', PAYLOAD - n);
    wlen += sprintf(wbuf + wlen, "*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n", cl, ch, PAYLOAD);
    memcpy(wbuf + wlen, payload, PAYLOAD);
    wlen += PAYLOAD;
    memcpy(wbuf + wlen, "\r\n", 2);
    wlen += 2;
}

static void flush_pub(void)
{
    size_t off = 0;
    while (off < wlen) {
        ssize_t m = send(pubfd, wbuf + off, wlen - off, MSG_NOSIGNAL);
        if (m < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd p = {pubfd, POLLOUT, 0}; poll(&p, 1, 100); continue; }
            die("publisher send");
        }
        off += m;
    }
    wlen = 0;
}

static uint64_t receivers_expected;    /* PUBLISH must answer this count */
static uint64_t bad_publish_replies;
static redisReader *pubreader;

static void drain_acks(int wait_ms)
{
    static char buf[1 << 16];
    struct pollfd p = {pubfd, POLLIN, 0};
    if (wait_ms && poll(&p, 1, wait_ms) <= 0) return;
    for (;;) {
        ssize_t m = recv(pubfd, buf, sizeof buf, MSG_DONTWAIT);
        if (m < 0 && errno == EINTR) continue;
        if (m < 0) break;
        if (m == 0) { fprintf(stderr, "fanout: publisher connection closed\n"); exit(1); }
        redisReaderFeed(pubreader, buf, m);
        void *rep;
        while (redisReaderGetReply(pubreader, &rep) == REDIS_OK && rep) {
            redisReply *x = rep;
            if (x->type != REDIS_REPLY_INTEGER || (uint64_t)x->integer != receivers_expected) {
                if (bad_publish_replies++ == 0)
                    fprintf(stderr, "fanout: unexpected PUBLISH reply (type %d, %lld)\n", x->type,
                            x->type == REDIS_REPLY_INTEGER ? x->integer : 0);
            }
            acked++;
            freeReplyObject(rep);
        }
        if ((size_t)m < sizeof buf) break;
    }
}

static uint64_t fanout_per_msg;

/* Wait for the subscribers (eventfd) or publish acks, at most ms. */
static void wait_progress(int ms)
{
    atomic_store(&pub_waiting, 1);
    struct pollfd p[2] = {{pubfd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    poll(p, 2, ms);
    atomic_store(&pub_waiting, 0);
    if (p[1].revents & POLLIN) { uint64_t v; if (read(wake_fd, &v, 8) < 0) {} }
    drain_acks(0);
}

static void closed_loop(char phase, double secs, uint64_t inflight_max)
{
    uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
    while (now_ns() < end) {
        uint64_t d = atomic_load_explicit(&delivered, memory_order_relaxed);
        uint64_t inflight = sent * fanout_per_msg - d;
        if (inflight + fanout_per_msg > inflight_max || sent - acked >= 1024) {
            wait_progress(10);
            continue;
        }
        uint64_t k = (inflight_max - inflight) / fanout_per_msg;
        if (k > 32) k = 32;
        if (k > 1024 - (sent - acked)) k = 1024 - (sent - acked);
        for (uint64_t i = 0; i < k; i++) append_publish(phase, sent++);
        flush_pub();
        drain_acks(0);
    }
}

static void open_loop(char phase, double secs, double deliveries_per_s)
{
    double interval = (double)fanout_per_msg / deliveries_per_s * 1e9;
    uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9);
    for (uint64_t i = 0;; i++) {
        uint64_t due = start + (uint64_t)(i * interval);
        if (due >= end) break;
        struct timespec ts = {(time_t)(due / 1000000000ull), (long)(due % 1000000000ull)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
        append_publish(phase, sent++);
        flush_pub();
        drain_acks(0);
    }
}

static uint64_t drain_all(void)
{
    uint64_t end = now_ns() + 5000000000ull;
    while (now_ns() < end &&
           (atomic_load(&delivered) < sent * fanout_per_msg || acked < sent))
        wait_progress(10);
    uint64_t d = atomic_load(&delivered);
    return sent * fanout_per_msg > d ? sent * fanout_per_msg - d : 0;
}

static double proc_cpu(int pid)
{
    if (pid <= 0) return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    unsigned long ut = 0, st = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double pct(uint64_t *h, uint64_t total, double q)
{
    if (!total) return -1;
    uint64_t want = (uint64_t)(q * total), acc = 0;
    if (want >= total) want = total - 1;
    for (int i = 0; i <= HMAX; i++) {
        acc += h[i];
        if (acc > want) return i;
    }
    return HMAX;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 6379, subs = 1, threads = 1, pid = 0;
    double secs = 3, warm = 0.5, rate = 50000;
    long long inflight_opt = 0;
    nchan = 1;
    int o;
    while ((o = getopt(argc, argv, "h:p:s:c:d:w:r:P:i:T:")) != -1) {
        switch (o) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 's': subs = atoi(optarg); break;
        case 'c': nchan = atoi(optarg); break;
        case 'd': secs = atof(optarg); break;
        case 'w': warm = atof(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'P': pid = atoi(optarg); break;
        case 'i': inflight_opt = atoll(optarg); break;
        case 'T': threads = atoi(optarg); break;
        default: fprintf(stderr, "usage: see the comment at the top of fanout.c\n"); return 2;
        }
    }
    if (subs < 1 || nchan < 1 || subs % nchan || threads < 1) {
        fprintf(stderr, "fanout: SUBS must be a positive multiple of CHANNELS\n");
        return 2;
    }
    fanout_per_msg = subs / nchan;
    receivers_expected = fanout_per_msg;
    uint64_t inflight_max = inflight_opt > 0 ? (uint64_t)inflight_opt
                          : (8 * fanout_per_msg > 4096 ? 8 * fanout_per_msg : 4096);
    if (inflight_max < fanout_per_msg) inflight_max = fanout_per_msg;

    wake_fd = eventfd(0, EFD_NONBLOCK);
    subthread *th = calloc(threads, sizeof *th);
    for (int t = 0; t < threads; t++) {
        th[t].epfd = epoll_create1(0);
        th[t].fds = calloc(subs, sizeof(int));
        th[t].readers = calloc(subs, sizeof(void *));
        th[t].hist[0] = calloc(HMAX + 1, 8);
        th[t].hist[1] = calloc(HMAX + 1, 8);
    }
    /* Subscribe everyone (blocking, confirmed), then hand the sockets over. */
    for (int j = 0; j < subs; j++) {
        redisContext *c = redisConnect(host, port);
        if (!c || c->err) { fprintf(stderr, "fanout: connect %d: %s\n", j, c ? c->errstr : "oom"); return 1; }
        redisReply *r = redisCommand(c, "SUBSCRIBE ch:%d", j % nchan);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
            fprintf(stderr, "fanout: SUBSCRIBE failed for subscriber %d\n", j);
            return 1;
        }
        freeReplyObject(r);
        subthread *t = &th[j % threads];
        int k = t->nfds++;
        t->fds[k] = c->fd;                   /* the context is kept (leaked) open */
        t->readers[k] = redisReaderCreate();
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
        if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
    }
    redisContext *pc = redisConnect(host, port);
    if (!pc || pc->err) { fprintf(stderr, "fanout: publisher connect failed\n"); return 1; }
    pubfd = pc->fd;
    pubreader = redisReaderCreate();
    wbuf = malloc(1 << 20);

    pthread_t *tids = calloc(threads, sizeof *tids);
    for (int t = 0; t < threads; t++) pthread_create(&tids[t], NULL, sub_main, &th[t]);

    closed_loop('W', warm, inflight_max);
    uint64_t lost_warm = drain_all();

    uint64_t d0 = atomic_load(&delivered), s0 = sent, t0 = now_ns();
    double c0 = proc_cpu(pid), m0 = self_cpu();
    closed_loop('L', secs, inflight_max);
    uint64_t d1 = atomic_load(&delivered), s1 = sent, t1 = now_ns();
    double c1 = proc_cpu(pid), m1 = self_cpu();
    uint64_t lost_load = drain_all();

    uint64_t lost_fixed = 0, fs0 = sent;
    double fc0 = 0, fc1 = 0;
    if (rate > 0) {
        fc0 = proc_cpu(pid);
        open_loop('F', secs, rate);
        lost_fixed = drain_all();
        fc1 = proc_cpu(pid);
    }
    uint64_t fixed_sent = sent - fs0;
    atomic_store(&stop_subs, 1);
    for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);

    uint64_t tot[2] = {0, 0}, errors = 0;
    for (int t = 1; t < threads; t++)
        for (int i = 0; i <= HMAX; i++) {
            th[0].hist[0][i] += th[t].hist[0][i];
            th[0].hist[1][i] += th[t].hist[1][i];
        }
    for (int t = 0; t < threads; t++) errors += th[t].errors;
    for (int i = 0; i <= HMAX; i++) { tot[0] += th[0].hist[0][i]; tot[1] += th[0].hist[1][i]; }

    double el = (t1 - t0) / 1e9;
    uint64_t dd = d1 - d0;
    printf("{\"subs\": %d, \"channels\": %d, \"fanout\": %llu, \"inflight_max\": %llu, "
           "\"load_secs\": %.3f, \"published_per_s\": %.0f, \"delivered_per_s\": %.0f, "
           "\"load_p50_us\": %.0f, \"load_p99_us\": %.0f, "
           "\"server_cpu_us_per_msg\": %.4f, \"client_cpu_us_per_msg\": %.4f, "
           "\"fixed_rate\": %.0f, \"fixed_p50_us\": %.0f, \"fixed_p99_us\": %.0f, "
           "\"fixed_server_cpu_us_per_msg\": %.4f, "
           "\"lost\": %llu, \"errors\": %llu, \"bad_publish_replies\": %llu}\n",
           subs, nchan, (unsigned long long)fanout_per_msg, (unsigned long long)inflight_max,
           el, (s1 - s0) / el, dd / el,
           pct(th[0].hist[0], tot[0], 0.50), pct(th[0].hist[0], tot[0], 0.99),
           dd ? (c1 - c0) * 1e6 / dd : 0, dd ? (m1 - m0) * 1e6 / dd : 0,
           rate, pct(th[0].hist[1], tot[1], 0.50), pct(th[0].hist[1], tot[1], 0.99),
           fixed_sent ? (fc1 - fc0) * 1e6 / (fixed_sent * fanout_per_msg) : 0,
           (unsigned long long)(lost_fixed ? lost_fixed : lost_load ? lost_load : lost_warm), (unsigned long long)errors,
           (unsigned long long)bad_publish_replies);
    return 0;
}
