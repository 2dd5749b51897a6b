/* client_async_test.c — librill's async API, libevent adapter and helpers
 * against a real rill-server.
 *
 * Usage: it_client_async_test <path to rill-server>
 *
 * Spawns rill-server on free ports (RESP and native) and checks, through
 * <rill/adapters/libevent.h>: replies and error replies; 500 commands with
 * at most 64 in flight (the rest queued client-side, answered in order of
 * their values); AUTH on connect; a server restart while the client is
 * connected (in-flight commands fail with RILL_ECLOSED, the client
 * re-dials and works again); subscriptions with POLL (and their return
 * after the restart); the job worker and consumer-group helpers.  Parts
 * whose server commands do not exist yet are reported as skipped.
 */
#include <rill/adapters/libevent.h>
#include <rill/rill.h>
#include <rill/rill_async.h>
#include <rill/rill_helpers.h>

#include <event2/event.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
static const char *server_bin;
static char dir[] = "/tmp/rill-client-async-XXXXXX";
static int port, nport;
static char url[64];
static pid_t server_pid;
static struct event_base *base;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);              \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static void on_alarm(int sig)
{
    fprintf(stderr, "FAIL: watchdog\n");
    if (server_pid > 0) kill(server_pid, SIGKILL);
    _exit(1);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0) exit(2);
    close(fd);
    return ntohs(sa.sin_port);
}

static void start_server(const char *pass)
{
    char portstr[16], logpath[160];
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(logpath, sizeof logpath, "%s/server.log", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        if (pass)
            execl(server_bin, server_bin, "--port", portstr, "--dir", dir, "--native-listen", url, "--requirepass", pass,
                  (char *)NULL);
        else
            execl(server_bin, server_bin, "--port", portstr, "--dir", dir, "--native-listen", url, (char *)NULL);
        _exit(127);
    }
    server_pid = pid;
    rill_client *c = NULL;
    for (int i = 0; i < 100 && rill_connect(url, 100, &c) != RILL_OK; i++) usleep(20000);
    if (!c) {
        fprintf(stderr, "FAIL: rill-server did not start (log in %s)\n", dir);
        if (server_pid > 0) kill(server_pid, SIGKILL);
        exit(1);
    }
    rill_close(c);
}

static void stop_server(void)
{
    kill(server_pid, SIGTERM);
    int status;
    waitpid(server_pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rill-server exited uncleanly (%d)", status);
    server_pid = 0;
}

/* run_until runs the loop until *flag >= want or ms pass. */
static int run_until(volatile int *flag, int want, int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (flag && *flag >= want) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms) return flag == NULL;
        struct timeval tv = {0, 10000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
}

/* sync_cmd runs one command over a fresh sync client; returns the reply. */
static rill_reply *sync_cmd(const char *pass, int argc, const char **argv)
{
    rill_client *c;
    if (rill_connect(url, 2000, &c) != RILL_OK) return NULL;
    rill_reply *r = NULL;
    if (pass) {
        const char *a[] = {"AUTH", pass};
        rill_command(c, &r, 2, a, NULL);
        rill_reply_free(r);
    }
    if (rill_command(c, &r, argc, argv, NULL) != RILL_OK) r = NULL;
    rill_close(c);
    return r;
}

static int unsupported(const rill_reply *r)
{
    const char *s = r ? rill_reply_string(r, NULL) : NULL;
    return !r || (rill_reply_type(r) == RILL_REPLY_ERROR && s &&
                  (strstr(s, "unknown command") || strstr(s, "not supported over the native")));
}

/* ---- replies, queueing, errors ---------------------------------------------------- */

typedef struct result {
    int calls, err;
    rill_reply_type type;
    long long integer;
    char str[128];
} result;

static void on_result(rill_async *ac, int err, rill_reply *r, void *arg)
{
    result *o = arg;
    o->calls++;
    o->err = err;
    o->type = rill_reply_type(r);
    o->integer = rill_reply_integer(r);
    const char *s = rill_reply_string(r, NULL);
    snprintf(o->str, sizeof o->str, "%s", s ? s : "");
}

static int counted;
static void on_count(rill_async *ac, int err, rill_reply *r, void *arg)
{
    long want = (long)(intptr_t)arg;
    if (err == RILL_OK && rill_reply_integer(r) == want) counted++;
    else counted = -100000;
}

static void basics(void)
{
    rill_async *ac;
    CHECK(rill_async_connect(url, NULL, &ac) == RILL_OK, "connect");
    struct event *ev = rill_libevent_attach(ac, base);
    CHECK(ev != NULL, "attach");
    result set = {0}, get = {0}, bad = {0};
    rill_async_commandf(ac, on_result, &set, "SET greeting %s", "hello world");
    rill_async_commandf(ac, on_result, &get, "GET greeting");
    rill_async_commandf(ac, on_result, &bad, "LPUSH greeting x");
    CHECK(run_until(&bad.calls, 1, 5000), "replies");
    CHECK(set.err == RILL_OK && !strcmp(set.str, "OK"), "SET: %d %s", set.err, set.str);
    CHECK(get.type == RILL_REPLY_BULK && !strcmp(get.str, "hello world"), "GET: %s", get.str);
    CHECK(bad.err == RILL_OK && bad.type == RILL_REPLY_ERROR && !strncmp(bad.str, "WRONGTYPE", 9), "WRONGTYPE: %s", bad.str);

    /* 500 INCRs: at most 64 in flight, the rest queued; each sees its own count. */
    counted = 0;
    for (long i = 1; i <= 500; i++) rill_async_commandf(ac, on_count, (void *)(intptr_t)i, "INCR counter");
    CHECK(rill_async_pending(ac) == 500, "pending %d", rill_async_pending(ac));
    CHECK(run_until(&counted, 500, 20000), "500 INCRs in order: %d", counted);
    CHECK(rill_async_pending(ac) == 0, "pending after");

    /* Corked: 2,500 INCRs (more than one 1024-command batch message) with a
     * WRONGTYPE error in the middle; every command still gets its own
     * reply, in order, and the error touches only its own command. */
    counted = 0;
    result mid = {0};
    rill_async_cork(ac);
    for (long i = 1; i <= 1200; i++) rill_async_commandf(ac, on_count, (void *)(intptr_t)i, "INCR corked");
    rill_async_commandf(ac, on_result, &mid, "LPUSH greeting x");
    for (long i = 1201; i <= 2500; i++) rill_async_commandf(ac, on_count, (void *)(intptr_t)i, "INCR corked");
    CHECK(run_until(&counted, 1, 200) == 0 && counted == 0, "corked commands wait for uncork: %d", counted);
    rill_async_uncork(ac);
    CHECK(run_until(&counted, 2500, 20000), "2,500 corked INCRs in order: %d", counted);
    CHECK(mid.calls == 1 && mid.type == RILL_REPLY_ERROR && !strncmp(mid.str, "WRONGTYPE", 9),
          "error inside a batch: %d %s", mid.calls, mid.str);
    rill_libevent_detach(ev);
    rill_async_close(ac);
}

/* ---- AUTH and restart ------------------------------------------------------------------- */

static int ups, downs;
static void on_conn(rill_async *ac, int up, void *arg)
{
    if (up) ups++;
    else downs++;
}

static char last_error[256];
static void on_error(rill_async *ac, int err, const char *msg, void *arg)
{
    snprintf(last_error, sizeof last_error, "%s", msg);
}

typedef struct msgs {
    int n;
    char last[64];
} msgs;

static void on_message(rill_async *ac, const rill_message *m, void *arg)
{
    msgs *g = arg;
    g->n++;
    snprintf(g->last, sizeof g->last, "%.*s", (int)m->payload_len, m->payload);
}

static void publish(const char *pass, const char *ch, const char *payload)
{
    const char *a[] = {"PUBLISH", ch, payload};
    rill_reply_free(sync_cmd(pass, 3, a));
}

static void auth_restart_subscribe(void)
{
    stop_server();
    start_server("sesame");
    rill_async *wrong;
    rill_async_connect(url, &(rill_async_opts){.password = "nope"}, &wrong);
    rill_async_set_error_cb(wrong, on_error, NULL);
    struct event *evw = rill_libevent_attach(wrong, base);
    result r0 = {0};
    rill_async_commandf(wrong, on_result, &r0, "PING");
    run_until(&r0.calls, 1, 5000);
    CHECK(r0.type == RILL_REPLY_ERROR && strstr(r0.str, "NOAUTH"), "wrong password: %s", r0.str);
    CHECK(strstr(last_error, "WRONGPASS") != NULL, "AUTH failure reported: '%s'", last_error);
    rill_libevent_detach(evw);
    rill_async_close(wrong);

    rill_async *ac;
    ups = downs = 0;
    rill_async_connect(url, &(rill_async_opts){.password = "sesame", .poll_wait_ms = 500, .reconnect_max_ms = 200}, &ac);
    rill_async_set_connect_cb(ac, on_conn, NULL);
    struct event *ev = rill_libevent_attach(ac, base);
    result r1 = {0};
    rill_async_commandf(ac, on_result, &r1, "SET a 1");
    CHECK(run_until(&r1.calls, 1, 5000) && r1.err == RILL_OK && !strcmp(r1.str, "OK"), "with AUTH: %s", r1.str);

    const char *probe[] = {"SUBSCRIBE", "probe"};
    rill_reply *pr = sync_cmd("sesame", 2, probe);
    int have_poll = !unsupported(pr);
    rill_reply_free(pr);
    msgs g = {0};
    if (have_poll) {
        rill_async_subscribe(ac, "news", on_message, &g);
        run_until(NULL, 0, 300);
        publish("sesame", "news", "first");
        CHECK(run_until(&g.n, 1, 5000) && !strcmp(g.last, "first"), "message before restart: %d '%s'", g.n, g.last);
    } else {
        printf("client_async: SKIP subscriptions (no POLL over native in this server yet)\n");
    }

    /* A command parked in the server across the restart fails with ECLOSED. */
    result held = {0};
    const char *bl[] = {"BLPOP", "nothing", "0"};
    rill_async_command(ac, on_result, &held, 3, bl, NULL);
    run_until(NULL, 0, 200);
    stop_server();
    start_server("sesame");
    CHECK(run_until(&held.calls, 1, 5000), "BLPOP answered");
    CHECK(held.err == RILL_ECLOSED || (held.err == RILL_OK && held.type == RILL_REPLY_ERROR),
          "in flight across the restart: err %d '%s'", held.err, held.str);
    CHECK(run_until(&ups, 2, 10000) && downs >= 1, "re-dialed: ups %d downs %d", ups, downs);
    result r2 = {0};
    rill_async_commandf(ac, on_result, &r2, "GET a");
    CHECK(run_until(&r2.calls, 1, 5000) && r2.err == RILL_OK && r2.type != RILL_REPLY_ERROR,
          "after restart (AUTH again): %d %s", r2.err, r2.str);
    if (have_poll) {
        run_until(NULL, 0, 300);   /* re-subscription and the POLL reach the new server */
        publish("sesame", "news", "second");
        CHECK(run_until(&g.n, 2, 5000) && !strcmp(g.last, "second"), "message after restart: %d '%s'", g.n, g.last);
    }
    rill_libevent_detach(ev);
    rill_async_close(ac);
    stop_server();
    start_server(NULL);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static int jobs_seen;
static int job_handler(const rill_job *job, char *error, size_t errlen, void *arg)
{
    jobs_seen++;
    if (job->payload_len == 4 && !memcmp(job->payload, "fail", 4) && job->attempt == 1) {
        snprintf(error, errlen, "first try fails");
        return RILL_JOB_RETRY;
    }
    return RILL_JOB_ACK;
}

static void worker(void)
{
    const char *push[] = {"QPUSH", "jobs", "ok"};
    rill_reply *r = sync_cmd(NULL, 3, push);
    if (unsupported(r)) {
        printf("client_async: SKIP job worker (no QPUSH in this server yet)\n");
        rill_reply_free(r);
        return;
    }
    rill_reply_free(r);
    const char *push2[] = {"QPUSH", "jobs", "fail"};
    rill_reply_free(sync_cmd(NULL, 3, push2));
    rill_client *c;
    rill_connect(url, 2000, &c);
    const char *queues[] = {"jobs"};
    rill_worker_opts o = {.queues = queues, .nqueues = 1, .block_ms = 200, .retry_delay_ms = 1, .max_jobs = 3,
                          .lease_ms = 3000, .extend = 1};
    int rc = rill_worker_run(c, &o, job_handler, NULL);
    CHECK(rc == RILL_OK, "worker: %s %s", rill_strerror(rc), rill_errstr(c));
    CHECK(jobs_seen == 3, "jobs seen %d (2 + one retry)", jobs_seen);
    rill_close(c);
}

static int entries_seen, entries_claimed;
static int entry_handler(const rill_entry *e, void *arg)
{
    entries_seen++;
    entries_claimed += e->claimed;
    return arg ? 1 : 0;   /* non-NULL arg: leave it pending */
}

static void group(void)
{
    const char *add[] = {"XADD", "events", "*", "k", "v"};
    rill_client *c;
    rill_connect(url, 2000, &c);
    rill_group_opts o = {.stream = "events", .group = "g", .consumer = "c1", .create = 1, .block_ms = 200,
                         .max_entries = 2};
    /* Create the group first (from $), then add two entries, then read them. */
    const char *create[] = {"XGROUP", "CREATE", "events", "g", "$", "MKSTREAM"};
    rill_reply *r = sync_cmd(NULL, 6, create);
    if (unsupported(r)) {
        printf("client_async: SKIP consumer group (no XGROUP in this server yet)\n");
        rill_reply_free(r);
        rill_close(c);
        return;
    }
    rill_reply_free(r);
    rill_reply_free(sync_cmd(NULL, 5, add));
    rill_reply_free(sync_cmd(NULL, 5, add));
    int rc = rill_group_run(c, &o, entry_handler, NULL);
    CHECK(rc == RILL_OK, "group: %s %s", rill_strerror(rc), rill_errstr(c));
    CHECK(entries_seen == 2, "entries %d", entries_seen);
    const char *pending[] = {"XPENDING", "events", "g"};
    r = sync_cmd(NULL, 3, pending);
    CHECK(r && rill_reply_len(r) > 0 && rill_reply_integer(rill_reply_element(r, 0)) == 0, "all acknowledged");
    rill_reply_free(r);

    /* c1 takes an entry and leaves it pending; c2 claims it once it is idle. */
    rill_reply_free(sync_cmd(NULL, 5, add));
    rill_group_opts o1 = {.stream = "events", .group = "g", .consumer = "c1", .block_ms = 200, .max_entries = 1};
    entries_seen = 0;
    CHECK(rill_group_run(c, &o1, entry_handler, (void *)1) == RILL_OK && entries_seen == 1, "c1 read it");
    usleep(150000);
    rill_group_opts o2 = {.stream = "events", .group = "g", .consumer = "c2", .block_ms = 100, .claim_idle_ms = 100,
                          .max_entries = 1};
    entries_seen = 0;
    rc = rill_group_run(c, &o2, entry_handler, NULL);
    CHECK(rc == RILL_OK && entries_seen == 1 && entries_claimed == 1, "c2 claimed it: rc %d seen %d claimed %d", rc,
          entries_seen, entries_claimed);
    r = sync_cmd(NULL, 3, pending);
    CHECK(r && rill_reply_integer(rill_reply_element(r, 0)) == 0, "claimed entry acknowledged");
    rill_reply_free(r);
    rill_close(c);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <rill-server>\n", argv[0]);
        return 2;
    }
    server_bin = argv[1];
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm(150);
    if (!mkdtemp(dir)) return 2;
    port = free_port();
    nport = free_port();
    while (nport == port) nport = free_port();
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", nport);
    base = event_base_new();
    start_server(NULL);
    basics();
    auth_restart_subscribe();
    worker();
    group();
    stop_server();
    event_base_free(base);
    if (failures == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) {}
        printf("client_async: all checks passed\n");
        return 0;
    }
    fprintf(stderr, "client_async: %d failure(s); server log in %s\n", failures, dir);
    return 1;
}
