/* fuzz_commands.c — libFuzzer target: arbitrary bytes through the whole
 * command path (RESP parser, dispatcher, every handler) of an in-process
 * server with no listeners.  Catches crashes, leaks and UB in handlers.
 *
 * Commands that would stop or stall the process (SHUTDOWN, DEBUG SLEEP) are
 * neutralised by renaming them in the input before it is parsed. */
#include "server.h"
#include "session.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static server *srv;

static int discard_flush(session *c)
{
    c->olen = c->osent = 0;
    return 0;
}
static void noop(session *c) {}

static const session_ops fuzz_ops = {
    .name = "fuzz", .flush = discard_flush, .close = noop, .pause_read = noop, .resume_read = noop,
};

static void neutralise(char *p, size_t n)
{
    static const char *bad[] = {"shutdown", "debug", "monitor"};
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            size_t l = strlen(bad[b]);
            if (i + l <= n && strncasecmp(p + i, bad[b], l) == 0) p[i] = 'x';
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv) {
        config cfg;
        config_init(&cfg);
        free(cfg.dir);
        cfg.dir = strdup("/tmp/rill-fuzz-commands");
        cfg.port = 0;
        cfg.databases = 4;
        char err[256];
        srv = server_new(&cfg, err, sizeof err);
        if (!srv) abort();
        log_set_level(LL_NOTHING);
    }
    session *c = session_new(srv, &fuzz_ops, -1);
    c->qbuf = malloc(size + 1);
    memcpy(c->qbuf, data, size);
    neutralise(c->qbuf, size);
    c->qcap = size + 1;
    c->qlen = size;
    char *q = c->qbuf;
    session_process_input(c);
    c->qbuf = NULL;
    c->qcap = c->qlen = c->qpos = 0;
    free(q);
    /* A killed session (CLIENT KILL, QUIT) is freed by the before-sleep hook. */
    if (!(c->flags & SESS_CLOSE_ASAP)) session_close_async(c);
    server_before_sleep(srv);
    /* Keep the keyspace small between runs. */
    for (int i = 0; i < srv->ndb; i++) db_empty(srv, &srv->dbs[i], 0);
    return 0;
}
