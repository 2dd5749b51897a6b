/* cmd_multi.c — MULTI EXEC DISCARD WATCH UNWATCH: transactions and WATCH.
 *
 * Transactions.  MULTI sets SESS_MULTI; from then on the dispatcher
 * (server_process_command) hands every command but EXEC, DISCARD, MULTI,
 * WATCH, QUIT and RESET to multi_queue, which stores a copy of its argv and
 * answers +QUEUED.  A command refused while queueing (unknown, wrong arity,
 * CMD_NO_MULTI, ...) calls multi_flag_error: the transaction is then
 * doomed (SESS_DIRTY_EXEC, EXEC answers EXECABORT) and, as in Redis 7.0,
 * nothing more is stored, though the replies stay +QUEUED.  EXEC runs the
 * queue through server_call, each command's reply (errors included) being
 * one element of EXEC's array, with the effects of the whole transaction
 * bracketed by effect_group_begin/end when at least one was emitted.
 *
 * The queue's memory is bounded: its copies are counted, and a transaction
 * that would hold more than client-query-buffer-limit bytes is dropped and
 * doomed at once (Redis 7.0 only bounds it by maxmemory; this is ours).
 *
 * WATCH.  Each db's d->watched maps a key (an sbuf the dict owns) to a
 * `watchers` list; each element is a watched_key, which is at the same
 * time an element of its session's c->watched list.  So a touched key finds
 * its sessions in O(watchers), and a session drops all its watches in
 * O(its keys).  Who frees: a watched_key is freed by unwatch_one, always
 * through its session (UNWATCH, EXEC, DISCARD, RESET, disconnect); the last
 * one of a key frees the watchers list and the dict entry (and its key).
 *
 * Touching.  db_signal_modified -> multi_touch_key flags every watcher of
 * the key SESS_DIRTY_CAS; FLUSHDB/FLUSHALL (multi_touch_db) and SWAPDB
 * (multi_touch_swapdb) flag the watchers of keys that exist.  A flag stays
 * until EXEC, DISCARD, UNWATCH or RESET; a dirty session's later WATCHes
 * are not even recorded (EXEC will fail anyway), as in Redis 7.0.
 *
 * Expiry, as Redis 7.0.15:
 *  - A watched key whose time runs out fails the EXEC even if no one
 *    deleted it yet (watched_key_expired, checked at EXEC).
 *  - A key already expired when WATCHed (logically absent, `stale`) does
 *    not fail the EXEC by being expired; its deletion (lazy or active
 *    expiry, DEL, FLUSHDB) is no logical change either: it only clears
 *    `stale`, after which any change counts as usual.  So WATCH x on a stale
 *    x, then SET x by anyone, fails the EXEC (SET's lookup deletes the stale
 *    x first, then writes) while DEL x does not.
 *  - Redis tests "deleted" as "physically absent"; we also accept "present
 *    but expired", because our expiry signals the key just before deleting
 *    it.  A stale watcher touched while the key is live, which Redis can
 *    only reach on paths that skip the expiry check, is not flagged (Redis
 *    even stops scanning the list there; we just skip that watcher).
 */
#include "server.h"
#include "commands.h"
#include "alloc.h"
#include "effect.h"
#include "multi.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

/* ---- the queue --------------------------------------------------------- */

/* c->mstate points at cmds[] of one of these, so that the bytes the queue
 * holds (for the limit and for client memory reports) travel with it. */
typedef struct mqueue {
    size_t mem;
    multi_cmd cmds[];
} mqueue;

static mqueue *queue_of(session *c)
{
    return c->mstate ? (mqueue *)(void *)((char *)c->mstate - offsetof(mqueue, cmds)) : NULL;
}

size_t multi_mem(session *c)
{
    mqueue *q = queue_of(c);
    return q ? q->mem + (size_t)c->mcap * sizeof(multi_cmd) : 0;
}

static void free_queue(session *c)
{
    for (int i = 0; i < c->mcount; i++) argv_free(&c->mstate[i].args);
    xfree(queue_of(c));
    c->mstate = NULL;
    c->mcount = c->mcap = 0;
}

/* copy_args makes dst a compact copy of src: one allocation per argument
 * (argv_copy would give each queued command a 16 KB arena chunk).  Large
 * arguments, which src holds on the heap, are taken, not copied: src stays
 * readable until it is reset, which is all the dispatcher needs. */
static void copy_args(argv_t *dst, argv_t *src)
{
    argv_reserve(dst, src->argc);
    for (int i = 0; i < src->argc; i++) {
        if (src->heap[i]) argv_push_sbuf(dst, argv_take(src, i));
        else argv_push_sbuf(dst, sbuf_new(src->argv[i], sbuf_len(src->argv[i])));
    }
}

/* queued_size is what copy_args will hold for args (argv_mem of the copy). */
static size_t queued_size(const argv_t *args)
{
    size_t n = (size_t)(args->argc < 8 ? 8 : args->argc) * (sizeof(sbuf) + 1);
    for (int i = 0; i < args->argc; i++) n += sizeof(struct sbuf_hdr) + sbuf_len(args->argv[i]) + 1;
    return n;
}

void multi_queue(session *c)
{
    server *s = c->srv;
    /* A doomed transaction stores nothing more (its EXEC fails anyway). */
    if (c->flags & (SESS_DIRTY_EXEC | SESS_DIRTY_CAS)) {
        reply_simple(c, "QUEUED");
        return;
    }
    size_t need = queued_size(&c->args) + sizeof(multi_cmd);
    if (multi_mem(c) + need > (size_t)s->cfg.client_query_buffer_limit || c->mcount >= INT_MAX / 2) {
        log_warning("Discarding the transaction of client id=%llu addr=%s: its queue would exceed "
                    "client-query-buffer-limit", (unsigned long long)c->id, c->addr);
        free_queue(c);
        c->flags |= SESS_DIRTY_EXEC;
        if (c->cmd) c->cmd->rejected_calls++;
        reply_error(c, "ERR Transaction discarded: the queued commands exceed client-query-buffer-limit");
        return;
    }
    mqueue *q = queue_of(c);
    if (c->mcount == c->mcap) {
        int cap = c->mcap ? c->mcap * 2 : 2;
        q = xrealloc(q, sizeof *q + (size_t)cap * sizeof(multi_cmd));
        if (!c->mstate) q->mem = 0;
        c->mstate = q->cmds;
        c->mcap = cap;
    }
    multi_cmd *mc = &c->mstate[c->mcount++];
    mc->cmd = c->cmd;
    argv_init(&mc->args);
    copy_args(&mc->args, &c->args);
    q->mem += argv_mem(&mc->args);
    reply_simple(c, "QUEUED");
}

void multi_flag_error(session *c)
{
    if (c->flags & SESS_MULTI) c->flags |= SESS_DIRTY_EXEC;
}

void multi_discard(session *c)
{
    free_queue(c);
    c->flags &= ~(uint32_t)(SESS_MULTI | SESS_DIRTY_CAS | SESS_DIRTY_EXEC);
    multi_unwatch_all(c);
}

void multi_session_cleanup(session *c) { multi_discard(c); }

void multi_exec_abort(session *c, const char *err)
{
    multi_discard(c);
    /* Redis's reasons carry their code, except ERR which it leaves out. */
    if (!strncmp(err, "ERR ", 4)) err += 4;
    reply_errorf(c, "EXECABORT Transaction discarded because of: %s", err);
}

/* ---- watched keys ------------------------------------------------------ */

/* The value of d->watched for one key: the sessions watching it, oldest first. */
typedef struct watchers {
    struct watched_key *head, *tail;
} watchers;

struct watched_key {
    const char *key;                  /* the sbuf owned by d->watched */
    db *d;
    session *c;
    watchers *list;
    struct watched_key *prev, *next;  /* in list */
    struct watched_key *cnext;        /* in c->watched */
    unsigned stale : 1;               /* already expired when WATCHed (Redis's wk->expired) */
};

/* key_gone: key is logically absent from d (never there, deleted, or
 * expired and about to be deleted). */
static int key_gone(server *s, db *d, const char *key)
{
    return dict_find(d->keys, key) == NULL || db_key_is_expired(s, d, key);
}

static void watch_key(session *c, const char *key)
{
    db *d = c->db;
    watchers *w;
    const char *stored;
    dict_entry *e = dict_find(d->watched, key);
    if (e) {
        w = e->v.val;
        for (struct watched_key *wk = w->head; wk; wk = wk->next)
            if (wk->c == c) return;      /* already watched */
        stored = e->key;
    } else {
        w = xcalloc(1, sizeof *w);
        sbuf k = sbuf_new(key, sbuf_len(key));
        dict_add(d->watched, k, w);
        stored = k;
    }
    struct watched_key *wk = xcalloc(1, sizeof *wk);
    wk->key = stored;
    wk->d = d;
    wk->c = c;
    wk->list = w;
    wk->stale = db_key_is_expired(c->srv, d, key) ? 1 : 0;
    wk->prev = w->tail;
    if (w->tail) w->tail->next = wk;
    else w->head = wk;
    w->tail = wk;
    wk->cnext = c->watched;
    c->watched = wk;
}

/* unwatch_one frees wk, and its key's entry if it was the last watcher;
 * the caller unlinks it from its session's list. */
static void unwatch_one(struct watched_key *wk)
{
    watchers *w = wk->list;
    if (wk->prev) wk->prev->next = wk->next;
    else w->head = wk->next;
    if (wk->next) wk->next->prev = wk->prev;
    else w->tail = wk->prev;
    if (!w->head) {
        dict_entry *e = dict_unlink(wk->d->watched, wk->key);
        dict_free_unlinked(wk->d->watched, e);   /* frees the key wk->key points at */
        xfree(w);
    }
    xfree(wk);
}

void multi_unwatch_all(session *c)
{
    struct watched_key *wk = c->watched;
    c->watched = NULL;
    while (wk) {
        struct watched_key *next = wk->cnext;
        unwatch_one(wk);
        wk = next;
    }
}

/* watched_key_expired: has one of c's keys expired since it was WATCHed? */
static int watched_key_expired(session *c)
{
    for (struct watched_key *wk = c->watched; wk; wk = wk->cnext)
        if (!wk->stale && db_key_is_expired(c->srv, wk->d, wk->key)) return 1;
    return 0;
}

void multi_touch_key(server *s, db *d, const char *key)
{
    if (dict_size(d->watched) == 0) return;
    watchers *w = dict_fetch(d->watched, key);
    if (!w) return;
    int gone = -1;   /* computed once, if a stale watcher needs it */
    for (struct watched_key *wk = w->head; wk; wk = wk->next) {
        if (wk->stale) {
            if (gone < 0) gone = key_gone(s, d, key);
            if (gone) wk->stale = 0;   /* the stale key is being deleted: no logical change */
            continue;
        }
        wk->c->flags |= SESS_DIRTY_CAS;
    }
}

/* touch_emptied flags the watchers of keys of `emptied` that exist in it or
 * in `replaced_with` (SWAPDB: the keys it will hold), before the change. */
static void touch_emptied(server *s, db *emptied, db *replaced_with)
{
    if (dict_size(emptied->watched) == 0) return;
    dict_iter it;
    dict_iter_init(&it, emptied->watched, 0);
    dict_entry *e;
    while ((e = dict_next(&it))) {
        const char *key = e->key;
        watchers *w = e->v.val;
        int in_emptied = dict_find(emptied->keys, key) != NULL;
        int in_new = replaced_with && dict_find(replaced_with->keys, key) != NULL;
        if (!in_emptied && !in_new) continue;
        int new_expired = in_new && db_key_is_expired(s, replaced_with, key);
        for (struct watched_key *wk = w->head; wk; wk = wk->next) {
            if (wk->stale) {
                if (!in_new) {
                    wk->stale = 0;   /* the stale key goes: no logical change */
                    continue;
                }
                if (new_expired) continue;   /* stale, and replaced by a stale key */
            } else if (!in_emptied && new_expired) {
                wk->stale = 1;   /* absent, and replaced by a stale key */
                continue;
            }
            wk->c->flags |= SESS_DIRTY_CAS;
        }
    }
    dict_iter_done(&it);
}

void multi_touch_db(server *s, db *d)
{
    if (d) {
        touch_emptied(s, d, NULL);
        return;
    }
    for (int i = 0; i < s->ndb; i++) touch_emptied(s, &s->dbs[i], NULL);
}

void multi_touch_swapdb(server *s, db *a, db *b)
{
    touch_emptied(s, a, b);
    touch_emptied(s, b, a);
}

/* ---- commands ---------------------------------------------------------- */

/* MULTI */
void cmd_multi(session *c)
{
    if (c->flags & SESS_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    c->flags |= SESS_MULTI;
    reply_ok(c);
}

/* DISCARD */
void cmd_discard(session *c)
{
    if (!(c->flags & SESS_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_discard(c);
    reply_ok(c);
}

/* EXEC runs with a temporary effect sink at the head of the list, whose
 * only job is to open the effect group just before the transaction's first
 * effect reaches the real sinks, so read-only transactions leave none. */
struct exec_group {
    server *s;
    int open;
};

static void exec_group_emit(void *priv, int dbid, int argc, sbuf *argv)
{
    struct exec_group *g = priv;
    (void)dbid, (void)argc, (void)argv;
    if (!g->open) {
        g->open = 1;
        effect_group_begin(g->s);
    }
}

/* EXEC */
void cmd_exec(session *c)
{
    server *s = c->srv;
    if (!(c->flags & SESS_MULTI)) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (watched_key_expired(c)) c->flags |= SESS_DIRTY_CAS;
    if (c->flags & (SESS_DIRTY_EXEC | SESS_DIRTY_CAS)) {
        if (c->flags & SESS_DIRTY_EXEC) reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        else reply_null_array(c);
        multi_discard(c);
        return;
    }
    multi_unwatch_all(c);   /* nothing to watch for any more */

    struct exec_group g = {.s = s, .open = 0};
    effect_sink sink = {.emit = exec_group_emit, .priv = &g};
    effect_register(s, &sink);
    command *self = c->cmd;
    argv_t own = c->args;
    s->in_exec = 1;
    c->flags |= SESS_EXECUTING;

    /* SESS_MULTI stays set while the queue runs (CLIENT LIST shows it, as
     * Redis's); nothing queues meanwhile, since only the dispatcher does. */
    int n = c->mcount;
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        multi_cmd *mc = &c->mstate[i];
        c->args = mc->args;
        server_call(c, mc->cmd);
        mc->args = c->args;   /* the command may have taken or replaced arguments */
    }

    c->args = own;
    c->cmd = self;
    c->flags &= ~(uint32_t)SESS_EXECUTING;
    s->in_exec = 0;
    effect_unregister(s, &sink);
    if (g.open) effect_group_end(s);
    effect_suppress(c);     /* EXEC itself is no effect */
    multi_discard(c);
}

/* WATCH key [key ...] */
void cmd_watch(session *c)
{
    if (c->flags & SESS_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    /* Already dirty: the next EXEC fails whatever we watch. */
    if (!(c->flags & SESS_DIRTY_CAS))
        for (int i = 1; i < c->args.argc; i++) watch_key(c, c->args.argv[i]);
    reply_ok(c);
}

/* UNWATCH */
void cmd_unwatch(session *c)
{
    multi_unwatch_all(c);
    c->flags &= ~(uint32_t)SESS_DIRTY_CAS;
    reply_ok(c);
}
