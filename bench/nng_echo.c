/* nng_echo.c — NNG's own per-message cost, without Rill (issue 8).
 *
 *   nng_echo serve PORT [-f]
 *   nng_echo load URL CLIENTS SECONDS [-p PID]
 *
 * serve: what the native listener's transport does and nothing else: a raw
 * REP socket listening on tcp://127.0.0.1:PORT (RECVBUF/SENDBUF 1024, as
 * the listener sets them), RECVFD/SENDFD watched with poll(2), every
 * queued request received without blocking and its body sent straight back
 * under the request's routing header.  By default receive and send go
 * through two long-lived aios with a zero timeout, as the listener does;
 * -f uses nng_recvmsg/nng_sendmsg with NNG_FLAG_NONBLOCK instead.
 *
 * load: CLIENTS threads, each with its own REQ socket, doing synchronous
 * request/reply for SECONDS.  The request is a valid 40-byte native
 * protocol Request (id 1, argv PING and a 30-byte message), so the same
 * load runs against rill-server's native listener and against serve.
 * With -p it reads the server's utime+stime from /proc/PID/stat, and per
 * thread name from /proc/PID/task/<tid>/stat, before and after, and prints
 * the server's CPU microseconds per message.
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, int rv)
{
    fprintf(stderr, "nng_echo: %s: %s\n", what, nng_strerror(rv));
    exit(1);
}

/* ---- serve -------------------------------------------------------------- */

static nng_aio *raio, *saio;
static int use_flags;

static int recv_nb(nng_socket s, nng_msg **m)
{
    if (use_flags) return nng_recvmsg(s, m, NNG_FLAG_NONBLOCK);
    nng_recv_aio(s, raio);
    nng_aio_wait(raio);
    int rv = nng_aio_result(raio);
    if (rv == 0) *m = nng_aio_get_msg(raio);
    return rv == NNG_ETIMEDOUT ? NNG_EAGAIN : rv;
}

static int send_nb(nng_socket s, nng_msg *m)
{
    if (use_flags) return nng_sendmsg(s, m, NNG_FLAG_NONBLOCK);
    nng_aio_set_msg(saio, m);
    nng_send_aio(s, saio);
    nng_aio_wait(saio);
    int rv = nng_aio_result(saio);
    return rv == NNG_ETIMEDOUT ? NNG_EAGAIN : rv;
}

static _Noreturn void serve(const char *port)
{
    nng_socket s;
    int rv, rfd, sfd;
    char url[64];
    if ((rv = nng_rep0_open_raw(&s)) != 0) die("nng_rep0_open_raw", rv);
    if ((rv = nng_aio_alloc(&raio, NULL, NULL)) != 0 || (rv = nng_aio_alloc(&saio, NULL, NULL)) != 0)
        die("nng_aio_alloc", rv);
    nng_aio_set_timeout(raio, NNG_DURATION_ZERO);
    nng_aio_set_timeout(saio, NNG_DURATION_ZERO);
    nng_socket_set_int(s, NNG_OPT_RECVBUF, 1024);
    nng_socket_set_int(s, NNG_OPT_SENDBUF, 1024);
    if ((rv = nng_socket_get_int(s, NNG_OPT_RECVFD, &rfd)) != 0) die("NNG_OPT_RECVFD", rv);
    if ((rv = nng_socket_get_int(s, NNG_OPT_SENDFD, &sfd)) != 0) die("NNG_OPT_SENDFD", rv);
    snprintf(url, sizeof url, "tcp://127.0.0.1:%s", port);
    if ((rv = nng_listen(s, url, NULL, 0)) != 0) die(url, rv);
    printf("listening on %s (pid %d, %s)\n", url, (int)getpid(), use_flags ? "NONBLOCK flags" : "zero-timeout aios");
    fflush(stdout);

    nng_msg *held = NULL;   /* a reply waiting for room to send */
    for (;;) {
        struct pollfd p[2] = {{rfd, POLLIN, 0}, {sfd, POLLIN, 0}};
        int np = held ? 2 : 1;
        if (held) p[0].fd = -1;   /* receive nothing more until the held reply is out */
        if (poll(p, (nfds_t)np, -1) < 0) continue;
        if (held) {
            if ((rv = send_nb(s, held)) == NNG_EAGAIN) continue;
            if (rv != 0) nng_msg_free(held);
            held = NULL;
        }
        for (int i = 0; i < 64; i++) {
            nng_msg *req, *rep;
            if ((rv = recv_nb(s, &req)) == NNG_EAGAIN) break;
            if (rv != 0) die("receive", rv);
            /* A fresh reply with the same body under a copy of the routing header. */
            if (nng_msg_alloc(&rep, nng_msg_len(req)) != 0) die("nng_msg_alloc", NNG_ENOMEM);
            memcpy(nng_msg_body(rep), nng_msg_body(req), nng_msg_len(req));
            if (nng_msg_header_append(rep, nng_msg_header(req), nng_msg_header_len(req)) != 0)
                die("nng_msg_header_append", NNG_ENOMEM);
            nng_msg_free(req);
            if ((rv = send_nb(s, rep)) == NNG_EAGAIN) {
                held = rep;
                break;
            }
            if (rv != 0) nng_msg_free(rep);
        }
    }
}

/* ---- load --------------------------------------------------------------- */

/* Request{id: 1, argv: ["PING", 30 x 'x']}: 40 bytes. */
static unsigned char body[40] = {0x08, 0x01, 0x12, 0x04, 'P', 'I', 'N', 'G', 0x12, 0x1e};

static const char *load_url;
static atomic_long total, errors;
static atomic_int stop;

static void *client_main(void *arg)
{
    (void)arg;
    nng_socket s;
    int rv;
    if ((rv = nng_req0_open(&s)) != 0) die("nng_req0_open", rv);
    if ((rv = nng_dial(s, load_url, NULL, 0)) != 0) die(load_url, rv);
    while (!atomic_load(&stop)) {
        nng_msg *m;
        if (nng_msg_alloc(&m, sizeof body) != 0) die("nng_msg_alloc", NNG_ENOMEM);
        memcpy(nng_msg_body(m), body, sizeof body);
        if ((rv = nng_sendmsg(s, m, 0)) != 0) {
            nng_msg_free(m);
            atomic_fetch_add(&errors, 1);
            continue;
        }
        if ((rv = nng_recvmsg(s, &m, 0)) != 0) {
            atomic_fetch_add(&errors, 1);
            continue;
        }
        if (nng_msg_len(m) == 0) atomic_fetch_add(&errors, 1);
        nng_msg_free(m);
        atomic_fetch_add(&total, 1);
    }
    nng_close(s);
    return NULL;
}

/* CPU ticks (utime+stime) by thread name; the whole process under "total". */
#define MAXNAMES 32
typedef struct cpu {
    char name[MAXNAMES][24];
    long ticks[MAXNAMES];
    int n;
    long total;
} cpu;

static int stat_ticks(const char *path, char *name, size_t namelen, long *ticks)
{
    char buf[1024];
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close) return -1;
    snprintf(name, namelen, "%.*s", (int)(close - open - 1), open + 1);
    long ut = 0, st = 0;
    /* Fields after the name: state is field 3, utime 14, stime 15. */
    if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) != 2) return -1;
    *ticks = ut + st;
    return 0;
}

static void read_cpu(int pid, cpu *c)
{
    char path[320], name[24];
    long t;
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (stat_ticks(path, name, sizeof name, &c->total) != 0) {
        fprintf(stderr, "nng_echo: cannot read %s\n", path);
        exit(1);
    }
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/stat", pid, e->d_name);
        if (stat_ticks(path, name, sizeof name, &t) != 0) continue;
        int i;
        for (i = 0; i < c->n && strcmp(c->name[i], name) != 0; i++) {}
        if (i == c->n) {
            if (c->n == MAXNAMES) continue;
            snprintf(c->name[c->n++], sizeof c->name[0], "%s", name);
        }
        c->ticks[i] += t;
    }
    if (d) closedir(d);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int load(int argc, char **argv)
{
    if (argc < 5) return 2;
    load_url = argv[2];
    int clients = atoi(argv[3]), pid = 0;
    double seconds = atof(argv[4]);
    for (int i = 5; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "-p") == 0) pid = atoi(argv[i + 1]);
    if (clients < 1 || clients > 10000 || seconds <= 0) return 2;
    memset(body + 10, 'x', sizeof body - 10);

    pthread_t *th = calloc((size_t)clients, sizeof *th);
    if (!th) return 1;
    for (int i = 0; i < clients; i++) pthread_create(&th[i], NULL, client_main, NULL);
    usleep(500000);   /* let every client connect before measuring */
    cpu c0, c1;
    if (pid) read_cpu(pid, &c0);
    long n0 = atomic_load(&total);
    double t0 = now_s();
    usleep((useconds_t)(seconds * 1e6));
    double t1 = now_s();
    long n1 = atomic_load(&total);
    if (pid) read_cpu(pid, &c1);
    atomic_store(&stop, 1);
    for (int i = 0; i < clients; i++) pthread_join(th[i], NULL);
    free(th);
    double window_msgs = (double)(n1 - n0), rate = window_msgs / (t1 - t0);
    printf("%s: %d clients, %.1f s: %.0f req/s, %ld errors\n", load_url, clients, t1 - t0, rate,
           atomic_load(&errors));
    if (pid) {
        double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK);
        printf("server pid %d: %.2f us CPU per request (%.2f s CPU in %.1f s)\n", pid,
               (c1.total - c0.total) * tick_us / window_msgs, (c1.total - c0.total) * tick_us / 1e6, t1 - t0);
        for (int i = 0; i < c1.n; i++) {
            long before = 0;
            for (int j = 0; j < c0.n; j++)
                if (strcmp(c0.name[j], c1.name[i]) == 0) before = c0.ticks[j];
            long d = c1.ticks[i] - before;
            if (d <= 0) continue;
            printf("  %-16s %6.2f us/req  %5.1f%%\n", c1.name[i], d * tick_us / window_msgs,
                   100.0 * d / (double)(c1.total - c0.total));
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "serve") == 0) {
        use_flags = argc >= 4 && strcmp(argv[3], "-f") == 0;
        serve(argv[2]);
    }
    if (argc >= 5 && strcmp(argv[1], "load") == 0) {
        int rc = load(argc, argv);
        if (rc != 2) return rc;
    }
    fprintf(stderr, "usage: nng_echo serve PORT [-f]\n"
                    "       nng_echo load URL CLIENTS SECONDS [-p PID]\n");
    return 2;
}
