/* fanout.c — one publisher, many subscribers, end-to-end latency.
 *
 *   fanout [-u URL] [-s subscribers] [-m messages] [-r rate]
 *
 * Starts -s subscriber clients and one publisher client (librill's async
 * API, all in one libevent loop through <rill/adapters/libevent.h>).  Each
 * subscriber subscribes to the channel "fanout" (the library keeps a POLL
 * parked on the server and re-subscribes after a reconnect).  The publisher
 * sends -m messages at -r per second; each payload carries its send time,
 * so every delivery yields an end-to-end latency: publisher -> server ->
 * each subscriber.  Prints deliveries and latency percentiles.
 */
#include <rill/adapters/libevent.h>
#include <rill/rill_async.h>

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXSUB 1000

static struct event_base *base;
static long long *lat_us;       /* one slot per expected delivery */
static long ndeliv, nexpected, nsent, nmessages;
static int nsubs, rate;
static rill_async *pub;

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void on_message(rill_async *ac, const rill_message *m, void *arg)
{
    char buf[32];
    size_t n = m->payload_len < sizeof buf - 1 ? m->payload_len : sizeof buf - 1;
    memcpy(buf, m->payload, n);
    buf[n] = 0;
    long long sent = atoll(buf);
    if (ndeliv < nexpected) lat_us[ndeliv++] = now_us() - sent;
    if (ndeliv == nexpected) event_base_loopbreak(base);
}

static void on_published(rill_async *ac, int err, rill_reply *r, void *arg)
{
    if (err != RILL_OK) fprintf(stderr, "fanout: PUBLISH failed: %s\n", rill_strerror(err));
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    /* Send what is due since the start at `rate` per second (a timer tick may be late). */
    static long long t0;
    if (!t0) t0 = now_us();
    long due = (long)((now_us() - t0) * rate / 1000000) + 1;
    while (nsent < nmessages && nsent < due) {
        char payload[32];
        snprintf(payload, sizeof payload, "%lld", now_us());
        rill_async_commandf(pub, on_published, NULL, "PUBLISH fanout %s", payload);
        nsent++;
    }
    if (nsent == nmessages) event_del((struct event *)arg);
}

static long long subscribed_count;
static void on_numsub(rill_async *ac, int err, rill_reply *r, void *arg)
{
    if (err == RILL_OK && rill_reply_len(r) == 2) subscribed_count = rill_reply_integer(rill_reply_element(r, 1));
    event_base_loopbreak(base);
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *url = "tcp://127.0.0.1:7379";
    nsubs = 10;
    nmessages = 1000;
    rate = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-u")) url = argv[i + 1];
        else if (!strcmp(argv[i], "-s")) nsubs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-m")) nmessages = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-r")) rate = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: fanout [-u URL] [-s subscribers] [-m messages] [-r rate]\n");
            return 2;
        }
    }
    if (nsubs < 1 || nsubs > MAXSUB || nmessages < 1 || rate < 1) {
        fprintf(stderr, "fanout: -s 1..%d, -m >= 1, -r >= 1\n", MAXSUB);
        return 2;
    }
    base = event_base_new();
    rill_async *subs[MAXSUB];
    struct event *evs[MAXSUB];
    for (int i = 0; i < nsubs; i++) {
        if (rill_async_connect(url, &(rill_async_opts){.poll_wait_ms = 1000}, &subs[i]) != RILL_OK) {
            fprintf(stderr, "fanout: bad URL %s\n", url);
            return 1;
        }
        evs[i] = rill_libevent_attach(subs[i], base);
        rill_async_subscribe(subs[i], "fanout", on_message, NULL);
    }
    rill_async_connect(url, NULL, &pub);
    struct event *pev = rill_libevent_attach(pub, base);

    /* Wait until the server counts every subscriber. */
    long long deadline = now_us() + 10000000;
    while (subscribed_count < nsubs && now_us() < deadline) {
        rill_async_commandf(pub, on_numsub, NULL, "PUBSUB NUMSUB fanout");
        event_base_dispatch(base);
        if (subscribed_count < nsubs) {
            struct timeval tv = {0, 20000};
            event_base_loopexit(base, &tv);
            event_base_dispatch(base);
        }
    }
    if (subscribed_count < nsubs) {
        fprintf(stderr, "fanout: only %lld of %d subscribers registered at %s\n", subscribed_count, nsubs, url);
        return 1;
    }

    nexpected = nmessages * nsubs;
    lat_us = calloc((size_t)nexpected, sizeof *lat_us);
    printf("fanout: %d subscribers, %ld messages at %d/s over %s\n", nsubs, nmessages, rate, url);
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, event_self_cbarg());
    struct timeval every = {0, 1000};
    event_add(tick, &every);
    long long t0 = now_us();
    struct timeval limit = {30, 0};
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    double secs = (now_us() - t0) / 1e6;

    printf("delivered %ld of %ld messages in %.2f s (%.0f deliveries/s)\n", ndeliv, nexpected, secs, ndeliv / secs);
    if (ndeliv > 0) {
        qsort(lat_us, (size_t)ndeliv, sizeof *lat_us, cmp);
        printf("end-to-end latency: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
               lat_us[ndeliv / 2] / 1000.0, lat_us[(long)(ndeliv * 0.99)] / 1000.0,
               lat_us[(long)(ndeliv * 0.999)] / 1000.0, lat_us[ndeliv - 1] / 1000.0);
    }
    event_free(tick);
    for (int i = 0; i < nsubs; i++) {
        rill_libevent_detach(evs[i]);
        rill_async_close(subs[i]);
    }
    rill_libevent_detach(pev);
    rill_async_close(pub);
    event_base_free(base);
    free(lat_us);
    return ndeliv == nexpected ? 0 : 1;
}
