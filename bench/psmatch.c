/* psmatch.c — pattern index microbenchmark (issue 5): PUBLISH's pattern
 * matching through the literal-prefix trie (ps_match) against trying every
 * pattern (ps_match_scan), on the index alone, without sockets.
 *
 * For each shape and pattern count, one client psubscribes N patterns and
 * a fixed set of 4,096 channels is matched round and round for -t seconds
 * of CPU per case (CLOCK_PROCESS_CPUTIME_ID).  Shapes:
 *   prefix  mixed literal prefixes: news.<i>.*, user:<i>:*, room:<i>:[ab]*,
 *           orders.<i>.? (a quarter of the patterns each);
 *   star    no literal prefix at all: *.<i>.*, *:<i>:*, ?<i>*, [a-z]*<i>
 *           (every pattern hangs at the trie's root: the index's worst case).
 * Channels: news.<r>.sports, user:<r>:login, room:<r>:alpha, orders.<r>.x
 * and misc.<r> (r random below N), so some messages match and some do not.
 * Printed per case: messages/s, CPU ns per message, receivers per message
 * (both paths must agree), and patterns tried per message by the index.
 *
 *   psmatch [-t SECONDS_PER_CASE] [-n MAX_PATTERNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pubsub.h"

#define NCHAN 4096

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void count_fn(void *priv, const char *pattern, void *owner)
{
    (void)pattern;
    (void)owner;
    (*(long *)priv)++;
}

typedef long match_fn(ps_index *, int, const char *, size_t, ps_visit_fn *, void *);

typedef struct result {
    double msgs_per_s, ns_per_msg, recv_per_msg;
} result;

static result run(ps_index *ix, char chans[][48], match_fn *fn, double secs)
{
    long msgs = 0, recv = 0;
    double t0 = cpu_now(), t;
    do {
        for (int k = 0; k < NCHAN; k++) fn(ix, PS_CHANNEL, chans[k], strlen(chans[k]), count_fn, &recv);
        msgs += NCHAN;
        t = cpu_now() - t0;
    } while (t < secs);
    return (result){msgs / t, t * 1e9 / msgs, (double)recv / msgs};
}

int main(int argc, char **argv)
{
    double secs = 0.3;
    int maxn = 10000;
    for (int o; (o = getopt(argc, argv, "t:n:")) != -1;) {
        if (o == 't') secs = atof(optarg);
        else if (o == 'n') maxn = atoi(optarg);
        else {
            fprintf(stderr, "usage: psmatch [-t seconds_per_case] [-n max_patterns]\n");
            return 2;
        }
    }
    static const char *shapes[2][4] = {
        {"news.%d.*", "user:%d:*", "room:%d:[ab]*", "orders.%d.?"},
        {"*.%d.*", "*:%d:*", "?%d*", "[a-z]*%d"},
    };
    static const char *names[2] = {"prefix", "star"};
    static const char *chforms[5] = {"news.%d.sports", "user:%d:login", "room:%d:alpha", "orders.%d.x", "misc.%d"};
    static char chans[NCHAN][48];
    const int counts[3] = {1, 100, 10000};

    printf("| patterns | shape | index msg/s | scan msg/s | index CPU ns/msg | scan CPU ns/msg | "
           "scan / index | receivers/msg | patterns tried/msg (index) |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int ci = 0; ci < 3; ci++) {
        int n = counts[ci];
        if (n > maxn) continue;
        for (int sh = 0; sh < 2; sh++) {
            srand(42);
            ps_index *ix = ps_index_new();
            int owner;
            ps_client *cl = ps_client_new(&owner);
            char buf[48];
            for (int i = 0; i < n; i++) {
                snprintf(buf, sizeof buf, shapes[sh][i % 4], i);
                ps_psubscribe(ix, cl, buf, strlen(buf));
            }
            double tried = 0;
            for (int k = 0; k < NCHAN; k++) {
                snprintf(chans[k], sizeof chans[k], chforms[k % 5], rand() % n);
                tried += (double)ps_pattern_candidates(ix, chans[k], strlen(chans[k]));
            }
            result a = run(ix, chans, ps_match, secs);
            result b = run(ix, chans, ps_match_scan, secs);
            if (a.recv_per_msg != b.recv_per_msg) {
                fprintf(stderr, "psmatch: index and scan disagree (%f vs %f receivers/msg)\n", a.recv_per_msg,
                        b.recv_per_msg);
                return 1;
            }
            printf("| %d | %s | %.0f | %.0f | %.1f | %.1f | %.2f× | %.3f | %.1f |\n", n, names[sh], a.msgs_per_s,
                   b.msgs_per_s, a.ns_per_msg, b.ns_per_msg, b.ns_per_msg / a.ns_per_msg, a.recv_per_msg,
                   tried / NCHAN);
            ps_client_free(ix, cl);
            ps_index_free(ix);
        }
    }
    return 0;
}
