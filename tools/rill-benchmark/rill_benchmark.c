/* rill_benchmark.c — rill-benchmark, a load generator over the native protocol.
 *
 *   rill-benchmark [-u URL] [-c clients] [-n requests] [-P pipeline] [-d bytes]
 *                  [-t set,get,lpush,rpop,xadd,ping,incr] [-r keyspace] [--csv] [-q] [--lib]
 *
 * Each test sends -n requests spread over -c clients, each sending its -P
 * requests as one batch message (at most 1024, the protocol's batch limit)
 * and the next -P once all are answered, as redis-benchmark pipelines.
 * Latency is measured per request from the moment its batch is handed
 * over to the moment its reply is read, and reported as p50/p99/p99.9 in
 * milliseconds with requests per second.  Keys are fixed (key:000000000000,
 * counter:000000000000, mylist, mystream) unless -r spreads them over a
 * keyspace, as redis-benchmark does.
 *
 * Two engines drive the clients, both from one thread:
 *
 *   direct (tcp:// URLs, the default)  each client is a plain non-blocking
 *     TCP socket speaking the SP wire protocol itself (docs/protocol.md,
 *     "Writing the SP wire protocol directly"): an 8-byte handshake, then
 *     frames of an 8-byte length, NNG's 4-byte REQ header and the protobuf
 *     body.  Requests are encoded by hand into a reused buffer and replies
 *     are walked in place, under epoll: one write and one read per batch.
 *     Like redis-benchmark, it costs the client little, so on a small
 *     machine the figures are the server's and not the load generator's.
 *   librill (--lib, and every other transport)  librill's async API, one
 *     rill_async per client, NNG's threads doing the socket I/O.  This is
 *     what an application gets; it costs several NNG thread hand-offs per
 *     message on the client side too.
 */
#include <rill/rill_async.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

typedef struct bench {
    const char *test;
    long total, sent, done, errors;
    int pipeline, keyspace, datasize;
    char *value;
    unsigned seed;
} bench;

/* The command's arguments (key must hold 64 bytes); returns argc. */
static int make_args(bench *b, char *key, const char **argv, size_t *lens)
{
    /* as redis-benchmark: key:<12 digits>, counter:<12 digits> for INCR */
    const char *prefix = !strcmp(b->test, "incr") ? "counter" : "key";
    unsigned k = b->keyspace > 0 ? (unsigned)(rand_r(&b->seed) % (unsigned)b->keyspace) : 0;
    int kl = snprintf(key, 64, "%s:%012u", prefix, k);
    int argc = 0;
#define ARG(s, n) (argv[argc] = (s), lens[argc++] = (size_t)(n))
    const char *t = b->test;
    if (!strcmp(t, "set")) ARG("SET", 3), ARG(key, kl), ARG(b->value, b->datasize);
    else if (!strcmp(t, "get")) ARG("GET", 3), ARG(key, kl);
    else if (!strcmp(t, "incr")) ARG("INCR", 4), ARG(key, kl);
    else if (!strcmp(t, "lpush")) ARG("LPUSH", 5), ARG("mylist", 6), ARG(b->value, b->datasize);
    else if (!strcmp(t, "rpop")) ARG("RPOP", 4), ARG("mylist", 6);
    else if (!strcmp(t, "xadd")) ARG("XADD", 4), ARG("mystream", 8), ARG("*", 1), ARG("field", 5), ARG(b->value, b->datasize);
    else ARG("PING", 4);
#undef ARG
    return argc;
}

static void first_error(bench *b, const char *msg, size_t len)
{
    if (b->errors++ == 0) fprintf(stderr, "rill-benchmark: %s: %.*s\n", b->test, (int)len, msg);
}

/* ---- librill engine (--lib) ------------------------------------------------- */

typedef struct lclient {
    bench *b;
    rill_async *ac;
    int inflight;
} lclient;

typedef struct slot {
    lclient *cl;
    long start;
} slot;

static void lib_send(lclient *cl);

static void on_reply(rill_async *ac, int err, rill_reply *r, void *arg)
{
    slot *s = arg;
    lclient *cl = s->cl;
    bench *b = cl->b;
    hist_add(now_us() - s->start);
    if (err != RILL_OK) {
        const char *m = rill_strerror(err);
        first_error(b, m, strlen(m));
    } else if (rill_reply_type(r) == RILL_REPLY_ERROR) {
        size_t n;
        const char *m = rill_reply_string(r, &n);
        first_error(b, m, n);
    }
    free(s);
    cl->inflight--;
    b->done++;
    lib_send(cl);
}

/* lib_send sends the client's next -P requests as one batch (one message)
 * once all of its previous ones are answered, as redis-benchmark does. */
static void lib_send(lclient *cl)
{
    bench *b = cl->b;
    if (cl->inflight > 0) return;
    rill_async_cork(cl->ac);
    while (cl->inflight < b->pipeline && b->sent < b->total) {
        char key[64];
        const char *argv[6];
        size_t lens[6];
        int argc = make_args(b, key, argv, lens);
        slot *s = malloc(sizeof *s);
        if (s) {
            s->cl = cl;
            s->start = now_us();
        }
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

typedef struct lib_engine {
    lclient *cls;
    int n, ep;
} lib_engine;

static int lib_open(lib_engine *e, bench *b, const char *url, int clients)
{
    e->n = clients;
    e->cls = calloc((size_t)clients, sizeof *e->cls);
    e->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!e->cls || e->ep < 0) return -1;
    rill_async_opts opts = {.max_in_flight = b->pipeline < RILL_MAX_PIPELINE ? b->pipeline : RILL_MAX_PIPELINE};
    for (int i = 0; i < clients; i++) {
        if (rill_async_connect(url, &opts, &e->cls[i].ac) != RILL_OK) {
            fprintf(stderr, "rill-benchmark: cannot create a client for %s\n", url);
            return -1;
        }
        e->cls[i].b = b;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &e->cls[i]};
        epoll_ctl(e->ep, EPOLL_CTL_ADD, rill_async_fd(e->cls[i].ac), &ev);
    }
    /* Wait until every client is connected (commands would queue meanwhile, but
     * connection set-up must not count as latency). */
    long deadline = now_us() + 5000000;
    for (;;) {
        int up = 0;
        for (int i = 0; i < clients; i++) {
            rill_async_process(e->cls[i].ac);
            up += rill_async_connected(e->cls[i].ac);
        }
        if (up == clients) return 0;
        if (now_us() > deadline) {
            fprintf(stderr, "rill-benchmark: only %d of %d clients connected to %s\n", up, clients, url);
            return -1;
        }
        struct epoll_event evs[64];
        epoll_wait(e->ep, evs, 64, 10);
    }
}

static void lib_run(lib_engine *e, bench *b)
{
    for (int i = 0; i < e->n; i++) lib_send(&e->cls[i]);
    struct epoll_event evs[256];
    while (b->done < b->total) {
        int n = epoll_wait(e->ep, evs, 256, 1000);
        for (int i = 0; i < n; i++) rill_async_process(((lclient *)evs[i].data.ptr)->ac);
    }
}

static void lib_close(lib_engine *e)
{
    for (int i = 0; e->cls && i < e->n; i++)
        if (e->cls[i].ac) rill_async_close(e->cls[i].ac);
    free(e->cls);
    if (e->ep >= 0) close(e->ep);
}

/* ---- direct engine: the SP wire protocol over TCP ----------------------------
 *
 * A connection opens with each side sending 0 'S' 'P' 0, its protocol id
 * (16 bits, big-endian: REQ 0x30, REP 0x31) and two zero bytes.  Then each
 * message is a 64-bit big-endian length and that many bytes: NNG's REQ
 * header (a 32-bit request id with the high bit set, echoed by the server)
 * and the protobuf body. */

#define SP_MAX_FRAME (1ull << 30)

typedef struct dconn {
    int fd;
    uint32_t spid;               /* the REQ header of the message in flight */
    uint64_t next_id;
    int inflight;                /* requests in the message in flight */
    long start;
    unsigned char *in;
    size_t inlen, incap;
    unsigned char *out;
    size_t outlen, outsent, outcap;
    int want_out;                /* EPOLLOUT registered */
} dconn;

typedef struct direct_engine {
    dconn *c;
    int n, ep;
    const char **argvs;          /* scratch for one batch's arguments */
} direct_engine;

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) v >>= 7, n++;
    return n;
}

/* get_varint reads a varint at *p (< end); 0 when malformed. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char byte = *(*p)++;
        r |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *v = r;
            return 1;
        }
    }
    return 0;
}

static int reserve(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    unsigned char *q = realloc(*buf, c);
    if (!q) return -1;
    *buf = q;
    *cap = c;
    return 0;
}

/* Request{id, argv} (without the outer tag): its size, or its bytes at p. */
static size_t request_size(uint64_t id, int argc, const size_t *lens)
{
    size_t n = 1 + varint_len(id);
    for (int i = 0; i < argc; i++) n += 1 + varint_len(lens[i]) + lens[i];
    return n;
}

static unsigned char *put_request(unsigned char *p, uint64_t id, int argc, const char *const *argv, const size_t *lens)
{
    *p++ = 0x08;   /* Request.id */
    p = put_varint(p, id);
    for (int i = 0; i < argc; i++) {
        *p++ = 0x12;   /* Request.argv */
        p = put_varint(p, lens[i]);
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
    }
    return p;
}

/* direct_send encodes the connection's next batch (up to -P requests) as one
 * message and writes it.  -1: the connection failed. */
static int direct_send(direct_engine *e, dconn *c, bench *b)
{
    int k = 0;
    size_t body = 0;
    char keys[64];
    const char *argv[6];
    size_t lens[6];
    /* First pass: size.  The arguments are regenerated in the second pass from
     * a saved seed, so -r draws the same keys. */
    unsigned seed = b->seed;
    uint64_t first = c->next_id;
    while (k < b->pipeline && b->sent + k < b->total) {
        int argc = make_args(b, keys, argv, lens);
        size_t r = request_size(first + (uint64_t)k, argc, lens);
        body += b->pipeline > 1 ? 1 + varint_len(r) + r : r;
        k++;
    }
    if (k == 0) return 0;
    uint64_t batch_id = first + (uint64_t)k;
    if (b->pipeline > 1) body += 1 + varint_len(batch_id);
    b->seed = seed;
    size_t frame = 4 + body;
    if (reserve(&c->out, &c->outcap, c->outlen + 8 + frame) != 0) return -1;
    unsigned char *p = c->out + c->outlen;
    for (int i = 7; i >= 0; i--) *p++ = (unsigned char)(frame >> (8 * i));
    c->spid = (c->spid + 1) & 0x7fffffffu;
    uint32_t h = c->spid | 0x80000000u;
    *p++ = (unsigned char)(h >> 24), *p++ = (unsigned char)(h >> 16), *p++ = (unsigned char)(h >> 8), *p++ = (unsigned char)h;
    if (b->pipeline > 1) {
        *p++ = 0x08;   /* Request.id of the batch */
        p = put_varint(p, batch_id);
    }
    for (int i = 0; i < k; i++) {
        int argc = make_args(b, keys, argv, lens);
        uint64_t id = first + (uint64_t)i;
        if (b->pipeline > 1) {
            *p++ = 0x1a;   /* Request.batch */
            p = put_varint(p, request_size(id, argc, lens));
        }
        p = put_request(p, id, argc, argv, lens);
    }
    c->outlen = (size_t)(p - c->out);
    c->next_id = batch_id + 1;
    c->inflight = k;
    b->sent += k;
    c->start = now_us();
    while (c->outsent < c->outlen) {
        ssize_t w = write(c->fd, c->out + c->outsent, c->outlen - c->outsent);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        if (w <= 0) return -1;
        c->outsent += (size_t)w;
    }
    if (c->outsent == c->outlen) {
        c->outsent = c->outlen = 0;
    } else if (!c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(e->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 1;
    }
    return 0;
}

/* value_error: if the Value at [p, end) is an ERROR, its text; else NULL. */
static const unsigned char *value_error(const unsigned char *p, const unsigned char *end, size_t *len)
{
    uint64_t kind = 0;
    const unsigned char *str = NULL;
    size_t slen = 0;
    while (p < end) {
        uint64_t tag, v;
        if (!get_varint(&p, end, &tag)) return NULL;
        switch (tag & 7) {
        case 0:
            if (!get_varint(&p, end, &v)) return NULL;
            if (tag >> 3 == 1) kind = v;
            break;
        case 1: p += 8; break;
        case 5: p += 4; break;
        case 2:
            if (!get_varint(&p, end, &v) || v > (uint64_t)(end - p)) return NULL;
            if (tag >> 3 == 2) str = p, slen = (size_t)v;
            p += v;
            break;
        default: return NULL;
        }
    }
    if (kind != 2) return NULL;   /* Value.Kind.ERROR */
    *len = slen;
    return str ? str : (const unsigned char *)"";
}

/* direct_reply checks one Reply body: one answer per request in flight
 * (a batch's entries, or the value of a single one), errors counted.
 * Returns the number of answers, -1 if the body is malformed. */
static int direct_reply(bench *b, const unsigned char *p, const unsigned char *end, int batch)
{
    int answers = 0;
    const unsigned char *value = NULL, *vend = NULL;
    while (p < end) {
        uint64_t tag, v;
        if (!get_varint(&p, end, &tag)) return -1;
        if ((tag & 7) == 0) {
            if (!get_varint(&p, end, &v)) return -1;
            continue;
        }
        if ((tag & 7) != 2 || !get_varint(&p, end, &v) || v > (uint64_t)(end - p)) return -1;
        if (tag >> 3 == 2) {
            value = p, vend = p + v;
        } else if (tag >> 3 == 3 && batch) {
            int n = direct_reply(b, p, p + v, 0);
            if (n != 1) return -1;
            answers++;
        }
        p += v;
    }
    if (answers == 0) {   /* a single reply, or a batch refused whole (one ERROR) */
        size_t len;
        const unsigned char *err = value ? value_error(value, vend, &len) : NULL;
        if (err) first_error(b, (const char *)err, len);
        return batch && !err ? -1 : 1;
    }
    return answers;
}

/* direct_read reads what the connection has; completes its batch when the
 * whole reply is in and sends the next.  -1: the connection failed. */
static int direct_read(direct_engine *e, dconn *c, bench *b)
{
    for (;;) {
        if (reserve(&c->in, &c->incap, c->inlen + 65536) != 0) return -1;
        ssize_t r = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) return 0;
        if (r <= 0) return -1;
        c->inlen += (size_t)r;
        while (c->inlen >= 8) {
            uint64_t len = 0;
            for (int i = 0; i < 8; i++) len = len << 8 | c->in[i];
            if (len < 4 || len > SP_MAX_FRAME) return -1;
            if (c->inlen - 8 < len) break;
            const unsigned char *m = c->in + 8;
            uint32_t h = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
            if (h != (c->spid | 0x80000000u) || c->inflight == 0) return -1;   /* not the reply to our message */
            int n = direct_reply(b, m + 4, m + len, b->pipeline > 1);
            if (n < 0 || (n != 1 && n != c->inflight)) return -1;
            long lat = now_us() - c->start;
            for (int i = 0; i < c->inflight; i++) hist_add(lat);
            b->done += c->inflight;
            c->inflight = 0;
            memmove(c->in, c->in + 8 + len, c->inlen - 8 - (size_t)len);
            c->inlen -= 8 + (size_t)len;
            if (direct_send(e, c, b) != 0) return -1;
        }
    }
}

/* sp_connect opens a TCP connection to host:port and exchanges the SP
 * headers (blocking, 5 s limit); the socket is left non-blocking. */
static int sp_connect(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return -1;
    static const unsigned char hello[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};   /* REQ */
    unsigned char peer[8];
    size_t got = 0;
    if (write(fd, hello, sizeof hello) != (ssize_t)sizeof hello) goto fail;
    while (got < sizeof peer) {
        ssize_t r = read(fd, peer + got, sizeof peer - got);
        if (r <= 0) goto fail;
        got += (size_t)r;
    }
    if (memcmp(peer, "\0SP\0\0\x31", 6) != 0) goto fail;   /* not a REP peer */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
fail:
    close(fd);
    return -1;
}

/* direct_url splits tcp://host:port (host may be [v6]); 0 if it is not one. */
static int direct_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen)
{
    if (strncmp(url, "tcp://", 6) != 0) return 0;
    const char *h = url + 6, *colon;
    if (*h == '[') {
        const char *close = strchr(h, ']');
        if (!close || close[1] != ':') return 0;
        snprintf(host, hostlen, "%.*s", (int)(close - h - 1), h + 1);
        colon = close + 1;
    } else {
        colon = strrchr(h, ':');
        if (!colon) return 0;
        snprintf(host, hostlen, "%.*s", (int)(colon - h), h);
    }
    snprintf(port, portlen, "%s", colon + 1);
    if (!*host || !*port) return 0;
    return 1;
}

static int direct_open(direct_engine *e, const char *host, const char *port, const char *url, int clients)
{
    e->n = clients;
    e->c = calloc((size_t)clients, sizeof *e->c);
    e->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!e->c || e->ep < 0) return -1;
    for (int i = 0; i < clients; i++) e->c[i].fd = -1;
    for (int i = 0; i < clients; i++) {
        dconn *c = &e->c[i];
        c->next_id = 1;
        if ((c->fd = sp_connect(host, port)) < 0) {
            fprintf(stderr, "rill-benchmark: only %d of %d clients connected to %s\n", i, clients, url);
            return -1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(e->ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    return 0;
}

static int direct_run(direct_engine *e, bench *b)
{
    for (int i = 0; i < e->n; i++)
        if (direct_send(e, &e->c[i], b) != 0) goto lost;
    struct epoll_event evs[256];
    while (b->done < b->total) {
        int n = epoll_wait(e->ep, evs, 256, 1000);
        for (int i = 0; i < n; i++) {
            dconn *c = evs[i].data.ptr;
            if ((evs[i].events & EPOLLOUT) && c->outsent < c->outlen) {
                ssize_t w = write(c->fd, c->out + c->outsent, c->outlen - c->outsent);
                if (w < 0 && errno != EAGAIN && errno != EINTR) goto lost;
                if (w > 0) c->outsent += (size_t)w;
                if (c->outsent == c->outlen) {
                    c->outsent = c->outlen = 0;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(e->ep, EPOLL_CTL_MOD, c->fd, &ev);
                    c->want_out = 0;
                }
            }
            if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && direct_read(e, c, b) != 0) goto lost;
        }
    }
    return 0;
lost:
    fprintf(stderr, "rill-benchmark: %s: connection lost or bad reply from the server\n", b->test);
    return -1;
}

static void direct_close(direct_engine *e)
{
    for (int i = 0; e->c && i < e->n; i++) {
        if (e->c[i].fd >= 0) close(e->c[i].fd);
        free(e->c[i].in);
        free(e->c[i].out);
    }
    free(e->c);
    if (e->ep >= 0) close(e->ep);
}

/* ---- main ------------------------------------------------------------------- */

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
          "                      [-t tests] [-r keyspace] [--csv] [-q] [--lib]\n"
          "  -u URL      server (default tcp://127.0.0.1:7379)\n"
          "  -c N        parallel connections (default 50)\n"
          "  -n N        requests per test (default 100000)\n"
          "  -P N        requests per batch message per connection (default 1, at most 1024)\n"
          "  -d N        value size in bytes for SET/LPUSH/XADD (default 3)\n"
          "  -t LIST     comma-separated: ping,set,get,incr,lpush,rpop,xadd (default set,get,lpush,rpop,xadd)\n"
          "  -r N        spread keys over N random names (default: one key)\n"
          "  --csv       one CSV line per test: test,rps,p50_ms,p99_ms,p999_ms,errors\n"
          "  -q          quiet: only the summary line per test\n"
          "  --lib       drive the clients through librill's async API (always so for\n"
          "              URLs other than tcp://); by default tcp:// clients speak the SP\n"
          "              wire protocol directly, costing the client little\n",
          f);
}

int main(int argc, char **argv)
{
    const char *url = "tcp://127.0.0.1:7379", *tests = "set,get,lpush,rpop,xadd";
    int clients = 50, pipeline = 1, datasize = 3, keyspace = 0, csv = 0, uselib = 0;
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
        else if (!strcmp(o, "--lib")) uselib = 1;
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
            free(list);
            return 2;
        }
    free(list);

    bench b = {0};
    b.pipeline = pipeline;
    b.keyspace = keyspace;
    b.datasize = datasize;
    b.value = malloc((size_t)datasize + 1);
    memset(b.value, 'x', (size_t)datasize);
    b.seed = 12345;
    char host[256], port[32];
    int direct = !uselib && direct_url(url, host, sizeof host, port, sizeof port);
    direct_engine de = {.ep = -1};
    lib_engine le = {.ep = -1};
    int status = 0;
    if (direct ? direct_open(&de, host, port, url, clients) : lib_open(&le, &b, url, clients)) {
        status = 1;
        goto out;
    }

    if (csv) puts("test,rps,p50_ms,p99_ms,p999_ms,errors");
    list = strdup(tests);
    for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
        memset(hist, 0, sizeof hist);
        b.test = t;
        b.total = total;
        b.sent = b.done = b.errors = 0;
        long t0 = now_us();
        if (direct) {
            if (direct_run(&de, &b) != 0) {
                status = 1;
                break;
            }
        } else {
            lib_run(&le, &b);
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
out:
    if (direct) direct_close(&de);
    else lib_close(&le);
    free(b.value);
    return status;
}
