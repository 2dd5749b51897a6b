/* hiredis_test.c — Rill through a real C client, hiredis.
 *
 * Usage: it_hiredis_test <path to rill-server>
 *
 * Spawns rill-server on a free port with its own data directory, talks to
 * it with hiredis (plain commands, pipelining, binary-safe and big values,
 * error replies), then stops it with SIGTERM and requires a clean exit (a
 * sanitizer report makes the exit status non-zero).  Prints
 * "N passed, M failed" and exits non-zero if anything failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond, ...)                                             \
    do {                                                             \
        if (cond) {                                                  \
            passed++;                                                \
        } else {                                                     \
            failed++;                                                \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                            \
            fputc('\n', stderr);                                     \
        }                                                            \
    } while (0)

/* ---- the server process ------------------------------------------------ */

static char dir[64] = "/tmp/rill-hiredis-XXXXXX";
static char logpath[128];
static pid_t server_pid = -1;

/* free_port binds port 0 to let the kernel pick a free port, then frees it. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("free_port");
        exit(2);
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static void start_server(const char *exe, int port)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(logpath, sizeof logpath, "%s/server.log", dir);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    server_pid = fork();
    if (server_pid < 0) {
        perror("fork");
        exit(2);
    }
    if (server_pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(exe, exe, "--port", portstr, "--dir", dir, (char *)NULL);
        perror("execl");
        _exit(127);
    }
}

static void print_log_tail(void)
{
    FILE *f = fopen(logpath, "r");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > 4000 ? size - 4000 : 0, SEEK_SET);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fprintf(stderr, "---- server log (tail) ----\n%.*s\n---------------------------\n", (int)n, buf);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* stop_server sends SIGTERM and returns 0 if the server exited cleanly. */
static int stop_server(void)
{
    if (server_pid <= 0) return 0;
    kill(server_pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; i++) {   /* 30 s: a sanitizer's exit report takes a while */
        pid_t r = waitpid(server_pid, &status, WNOHANG);
        if (r == server_pid) break;
        if (i == 299) {
            kill(server_pid, SIGKILL);
            waitpid(server_pid, &status, 0);
        }
        usleep(100 * 1000);
    }
    server_pid = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* connect_wait connects, retrying while the server starts (10 s at most). */
static redisContext *connect_wait(int port)
{
    for (int i = 0; i < 200; i++) {
        redisContext *c = redisConnect("127.0.0.1", port);
        if (c && !c->err) return c;
        if (c) redisFree(c);
        int status;
        if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
            server_pid = -1;
            break;
        }
        usleep(50 * 1000);
    }
    return NULL;
}

/* ---- checks ------------------------------------------------------------ */

static int is_status(redisReply *r, const char *s)
{
    return r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, s) == 0;
}

static int is_string(redisReply *r, const char *p, size_t n)
{
    return r && r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, p, n) == 0;
}

static int is_int(redisReply *r, long long v)
{
    return r && r->type == REDIS_REPLY_INTEGER && r->integer == v;
}

static const char *describe(redisReply *r)
{
    static char buf[160];
    if (!r) return "no reply (connection error)";
    switch (r->type) {
    case REDIS_REPLY_STATUS: snprintf(buf, sizeof buf, "status '%.100s'", r->str); break;
    case REDIS_REPLY_ERROR: snprintf(buf, sizeof buf, "error '%.100s'", r->str); break;
    case REDIS_REPLY_STRING: snprintf(buf, sizeof buf, "string of %zu bytes '%.60s'", (size_t)r->len, r->str); break;
    case REDIS_REPLY_INTEGER: snprintf(buf, sizeof buf, "integer %lld", r->integer); break;
    case REDIS_REPLY_NIL: snprintf(buf, sizeof buf, "nil"); break;
    case REDIS_REPLY_ARRAY: snprintf(buf, sizeof buf, "array of %zu", (size_t)r->elements); break;
    default: snprintf(buf, sizeof buf, "type %d", r->type);
    }
    return buf;
}

static void test_basic(redisContext *c)
{
    redisReply *r = redisCommand(c, "PING");
    CHECK(is_status(r, "PONG"), "PING: %s", describe(r));
    freeReplyObject(r);

    r = redisCommand(c, "SET %s %s", "foo", "bar");
    CHECK(is_status(r, "OK"), "SET: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "GET foo");
    CHECK(is_string(r, "bar", 3), "GET: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "GET nosuchkey");
    CHECK(r && r->type == REDIS_REPLY_NIL, "GET missing: %s", describe(r));
    freeReplyObject(r);

    for (int i = 1; i <= 3; i++) {
        r = redisCommand(c, "INCR counter");
        CHECK(is_int(r, i), "INCR #%d: %s", i, describe(r));
        freeReplyObject(r);
    }
    r = redisCommand(c, "INCRBY counter %lld", -10LL);
    CHECK(is_int(r, -7), "INCRBY: %s", describe(r));
    freeReplyObject(r);

    r = redisCommand(c, "MGET foo nosuchkey counter");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "MGET: %s", describe(r));
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
        CHECK(is_string(r->element[0], "bar", 3), "MGET[0]: %s", describe(r->element[0]));
        CHECK(r->element[1]->type == REDIS_REPLY_NIL, "MGET[1]: %s", describe(r->element[1]));
        CHECK(is_string(r->element[2], "-7", 2), "MGET[2]: %s", describe(r->element[2]));
    }
    freeReplyObject(r);

    r = redisCommand(c, "DEL foo counter nosuchkey");
    CHECK(is_int(r, 2), "DEL: %s", describe(r));
    freeReplyObject(r);
}

static void test_binary(redisContext *c)
{
    const char key[] = "bin\0key\r\n";
    const char val[] = "a\0b\r\n\0\xff$3\r\n*1";
    size_t klen = sizeof key - 1, vlen = sizeof val - 1;
    redisReply *r = redisCommand(c, "SET %b %b", key, klen, val, vlen);
    CHECK(is_status(r, "OK"), "SET binary: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "GET %b", key, klen);
    CHECK(is_string(r, val, vlen), "GET binary: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "STRLEN %b", key, klen);
    CHECK(is_int(r, (long long)vlen), "STRLEN binary: %s", describe(r));
    freeReplyObject(r);

    /* Through redisCommandArgv as well, with an empty argument. */
    const char *argv[] = {"SET", "empty", ""};
    size_t lens[] = {3, 5, 0};
    r = redisCommandArgv(c, 3, argv, lens);
    CHECK(is_status(r, "OK"), "SET empty: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "GET empty");
    CHECK(is_string(r, "", 0), "GET empty: %s", describe(r));
    freeReplyObject(r);
}

static void test_big_value(redisContext *c)
{
    size_t n = 10 * 1024 * 1024;
    char *val = malloc(n);
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        val[i] = (char)(x >> 16);
    }
    redisReply *r = redisCommand(c, "SET big %b", val, n);
    CHECK(is_status(r, "OK"), "SET 10 MB: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "STRLEN big");
    CHECK(is_int(r, (long long)n), "STRLEN 10 MB: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "GET big");
    CHECK(is_string(r, val, n), "GET 10 MB: %s", describe(r));
    freeReplyObject(r);
    r = redisCommand(c, "DEL big");
    CHECK(is_int(r, 1), "DEL big: %s", describe(r));
    freeReplyObject(r);
    free(val);
}

static void test_pipeline(redisContext *c)
{
    enum { N = 10000 };
    for (int i = 0; i < N; i++) redisAppendCommand(c, "SET key:%d %d", i, i * 7);
    int ok = 0;
    for (int i = 0; i < N; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) break;
        ok += is_status(r, "OK");
        freeReplyObject(r);
    }
    CHECK(ok == N, "%d of %d pipelined SETs answered OK", ok, N);

    for (int i = 0; i < N; i++) {
        if (i % 2) redisAppendCommand(c, "GET key:%d", i);
        else redisAppendCommand(c, "INCR key:%d", i);
    }
    ok = 0;
    for (int i = 0; i < N; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) break;
        char want[32];
        int wl = snprintf(want, sizeof want, "%d", i * 7);
        if (i % 2) ok += is_string(r, want, (size_t)wl);
        else ok += is_int(r, i * 7 + 1);
        freeReplyObject(r);
    }
    CHECK(ok == N, "%d of %d pipelined GET/INCR replies right, in order", ok, N);

    redisReply *r = redisCommand(c, "DBSIZE");
    CHECK(is_int(r, N + 2), "DBSIZE after the pipeline: %s", describe(r));   /* + the binary key, "empty" */
    freeReplyObject(r);
}

static void test_errors(redisContext *c)
{
    redisReply *r = redisCommand(c, "SET notnum abc");
    freeReplyObject(r);
    r = redisCommand(c, "INCR notnum");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR value is not an integer or out of range") == 0,
          "INCR non-number: %s", describe(r));
    freeReplyObject(r);

    r = redisCommand(c, "NOSUCHCOMMAND a b");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR unknown command 'NOSUCHCOMMAND'", 35) == 0,
          "unknown command: %s", describe(r));
    freeReplyObject(r);

    r = redisCommand(c, "GET");
    CHECK(r && r->type == REDIS_REPLY_ERROR &&
          strcmp(r->str, "ERR wrong number of arguments for 'get' command") == 0,
          "GET arity: %s", describe(r));
    freeReplyObject(r);

    r = redisCommand(c, "LPUSH notnum x");
    CHECK(r && r->type == REDIS_REPLY_ERROR, "LPUSH on a string: %s", describe(r));
    freeReplyObject(r);

    /* An error inside a pipeline does not disturb the replies around it. */
    redisAppendCommand(c, "SET p1 v1");
    redisAppendCommand(c, "INCR notnum");
    redisAppendCommand(c, "GET p1");
    redisReply *a = NULL, *b = NULL, *d = NULL;
    redisGetReply(c, (void **)&a);
    redisGetReply(c, (void **)&b);
    redisGetReply(c, (void **)&d);
    CHECK(is_status(a, "OK") && b && b->type == REDIS_REPLY_ERROR && is_string(d, "v1", 2),
          "pipeline with an error: %s", describe(b));
    freeReplyObject(a);
    freeReplyObject(b);
    freeReplyObject(d);

    r = redisCommand(c, "PING");
    CHECK(is_status(r, "PONG"), "usable after errors: %s", describe(r));
    freeReplyObject(r);
}

/* A second connection sees the first one's writes; closing it abruptly
 * mid-pipeline leaves the server up. */
static void test_second_connection(int port)
{
    redisContext *c = redisConnect("127.0.0.1", port);
    CHECK(c && !c->err, "second connection: %s", c ? c->errstr : "alloc");
    if (!c || c->err) {
        if (c) redisFree(c);
        return;
    }
    redisReply *r = redisCommand(c, "GET p1");
    CHECK(is_string(r, "v1", 2), "GET from another connection: %s", describe(r));
    freeReplyObject(r);
    for (int i = 0; i < 1000; i++) redisAppendCommand(c, "GET key:%d", i);
    r = NULL;
    redisGetReply(c, (void **)&r);   /* flushes the whole pipeline, reads one */
    freeReplyObject(r);
    redisFree(c);                    /* 999 replies never read */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <rill-server>\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int port = free_port();
    start_server(argv[1], port);
    redisContext *c = connect_wait(port);
    CHECK(c != NULL, "connect to rill-server on port %d", port);
    if (c) {
        struct timeval tv = {60, 0};
        redisSetTimeout(c, tv);
        test_basic(c);
        test_binary(c);
        test_big_value(c);
        test_pipeline(c);
        test_errors(c);
        test_second_connection(port);
        redisReply *r = redisCommand(c, "PING");
        CHECK(is_status(r, "PONG"), "server still answers: %s", describe(r));
        freeReplyObject(r);
        redisFree(c);
    }
    int clean = stop_server();
    CHECK(clean == 0, "rill-server exited uncleanly on SIGTERM (sanitizer report?)");
    if (failed) print_log_tail();
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
