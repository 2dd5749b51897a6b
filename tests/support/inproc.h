/* inproc.h — an in-process rill server for unit tests that drive commands.
 *
 * Header-only, included by one test file each: a session whose output stays
 * in its buffer (test_ops), inproc_server(dir, sink) which builds a server
 * with no listeners, runv(c, n, argv) which feeds one command and returns
 * its raw reply (inproc_append_cmd + inproc_feed for several at once), and
 * unless INPROC_NO_RECORDER is defined an effect sink that records argv
 * copies (effects[], neffects, recording, rec_clear) with
 * new_server_in(dir) registering it. */
#ifndef RILL_TEST_INPROC_H
#define RILL_TEST_INPROC_H

#include "server.h"
#include "effect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int keep_output(session *c) { return 0; }
static void noop(session *c) {}
static const session_ops test_ops = {
    .name = "test", .flush = keep_output, .close = noop, .pause_read = noop, .resume_read = noop,
};

/* inproc_server builds a server with no listeners, writing under dir, with
 * sk (if not NULL) registered as an effect sink. */
static inline server *inproc_server(const char *dir, effect_sink *sk)
{
    config cfg;
    config_init(&cfg);
    free(cfg.dir);
    cfg.dir = strdup(dir);
    cfg.port = 0;
    cfg.databases = 4;
    char err[256];
    server *s = server_new(&cfg, err, sizeof err);
    assert_non_null(s);
    log_set_level(LL_NOTHING);
    if (sk) effect_register(s, sk);
    return s;
}

/* inproc_feed runs the request bytes q[0..qlen) (a malloc'd buffer, freed
 * here) through c and returns its output (the first 64 KB). */
static inline const char *inproc_feed(session *c, char *q, size_t qlen)
{
    static char out[1 << 16];
    c->olen = c->osent = 0;
    c->qbuf = q;
    c->qcap = qlen + 1;
    c->qlen = qlen;
    c->qpos = 0;
    session_process_input(c);
    c->qbuf = NULL;
    c->qcap = c->qlen = c->qpos = 0;
    free(q);
    size_t m = c->olen < sizeof out - 1 ? c->olen : sizeof out - 1;
    if (m) memcpy(out, c->obuf, m);
    out[m] = '\0';
    return out;
}

/* inproc_append_cmd writes one command (argv of n C strings) as RESP to f. */
static inline void inproc_append_cmd(FILE *f, int n, const char **argv)
{
    fprintf(f, "*%d\r\n", n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(argv[i]);
        fprintf(f, "$%zu\r\n", len);
        fwrite(argv[i], 1, len, f);
        fputs("\r\n", f);
    }
}

/* runv feeds one command (argv of n C strings) to c; returns its output. */
static inline const char *runv(session *c, int n, const char **argv)
{
    char *q = NULL;
    size_t qlen = 0;
    FILE *f = open_memstream(&q, &qlen);
    inproc_append_cmd(f, n, argv);
    fclose(f);
    return inproc_feed(c, q, qlen);
}

#ifndef INPROC_NO_RECORDER
/* Recorded effects: argv copies. */
#define MAX_EFFECTS 20000
static struct rec { int argc; sbuf *argv; } effects[MAX_EFFECTS];
static int neffects, recording;

static void rec_emit(void *priv, int dbid, int argc, sbuf *argv)
{
    if (!recording) return;
    assert_int_equal(dbid, 0);
    assert_true(neffects < MAX_EFFECTS);
    struct rec *r = &effects[neffects++];
    r->argc = argc;
    r->argv = malloc((size_t)argc * sizeof *r->argv);
    for (int i = 0; i < argc; i++) r->argv[i] = sbuf_dup(argv[i]);
}

static void rec_group(void *priv, int begin) {}

static effect_sink sink = {.emit = rec_emit, .group = rec_group};

static void rec_clear(void)
{
    for (int i = 0; i < neffects; i++) {
        for (int j = 0; j < effects[i].argc; j++) sbuf_free(effects[i].argv[j]);
        free(effects[i].argv);
    }
    neffects = 0;
}

static server *new_server_in(const char *dir) { return inproc_server(dir, &sink); }
#endif

#endif
