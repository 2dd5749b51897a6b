/* slowlog.c — the slow log (see slowlog.h). */
#include "slowlog.h"
#include "server.h"
#include "alloc.h"
#include "blocking.h"

#include <time.h>

static slowlog *get(server *s)
{
    if (!s->slowlog) s->slowlog = xcalloc(1, sizeof(slowlog));
    return s->slowlog;
}

static void entry_free(slowlog_entry *e)
{
    for (int i = 0; i < e->argc; i++) sbuf_free(e->argv[i]);
    xfree(e->argv);
    sbuf_free(e->peer);
    sbuf_free(e->name);
    xfree(e);
}

/* arg_at: argument j as the client sent it, even if the command took or
 * rewrote it (argv_peek). */
static size_t arg_at(const argv_t *a, sbuf *argv, int j, const char **p)
{
    if (a) return argv_peek(a, j, p);
    *p = argv[j];
    return sbuf_len(argv[j]);
}

static slowlog_entry *entry_new(session *c, const argv_t *a, sbuf *argv, int argc, long long dur, long long id)
{
    slowlog_entry *e = xcalloc(1, sizeof *e);
    int n = argc < SLOWLOG_MAX_ARGC ? argc : SLOWLOG_MAX_ARGC;
    e->argc = n;
    e->argv = n ? xmalloc((size_t)n * sizeof(sbuf)) : NULL;
    for (int j = 0; j < n; j++) {
        if (n != argc && j == n - 1) {   /* the last slot says how many were left out */
            e->argv[j] = sbuf_catfmt(sbuf_empty(32), "... (%d more arguments)", argc - n + 1);
            continue;
        }
        const char *p;
        size_t len = arg_at(a, argv, j, &p);
        if (len > SLOWLOG_MAX_STRING) {
            sbuf cut = sbuf_new(p, SLOWLOG_MAX_STRING);
            e->argv[j] = sbuf_catfmt(cut, "... (%lu more bytes)", (unsigned long)(len - SLOWLOG_MAX_STRING));
        } else {
            e->argv[j] = sbuf_new(p, len);
        }
    }
    e->time = (long long)time(NULL);
    e->duration = dur;
    e->id = id;
    e->peer = sbuf_from_cstr(c->addr);
    e->name = c->name ? sbuf_new(c->name, sbuf_len(c->name)) : sbuf_empty(0);
    return e;
}

/* push logs argv[0..argc), read through a unless a is NULL. */
static void push(session *c, const argv_t *a, sbuf *argv, int argc, long long dur)
{
    server *s = c->srv;
    long long thr = s->cfg.slowlog_log_slower_than;
    if (thr < 0 || dur < thr) return;
    slowlog *l = get(s);
    slowlog_entry *e = entry_new(c, a, argv, argc, dur, l->next_id++);
    e->older = l->newest;
    if (l->newest) l->newest->newer = e;
    else l->oldest = e;
    l->newest = e;
    l->len++;
    while (l->len > s->cfg.slowlog_max_len && l->oldest) {
        slowlog_entry *o = l->oldest;
        l->oldest = o->newer;
        if (l->oldest) l->oldest->older = NULL;
        else l->newest = NULL;
        entry_free(o);
        l->len--;
    }
}

void slowlog_push(session *c, sbuf *argv, int argc, long long dur)
{
    push(c, NULL, argv, argc, dur);
}

void slowlog_command(session *c, const command *cmd, long long dur)
{
    if (cmd->flags & CMD_SKIP_SLOWLOG) return;
    if (block_keeps_waiting(c)) return;
    push(c, &c->args, c->args.argv, argv_original_argc(&c->args), dur);
}

void slowlog_reset(server *s)
{
    slowlog *l = s->slowlog;
    if (!l) return;
    while (l->newest) {
        slowlog_entry *e = l->newest;
        l->newest = e->older;
        entry_free(e);
    }
    l->oldest = NULL;
    l->len = 0;
}

long long slowlog_len(server *s) { return s->slowlog ? s->slowlog->len : 0; }

void slowlog_free(server *s)
{
    slowlog_reset(s);
    xfree(s->slowlog);
    s->slowlog = NULL;
}
