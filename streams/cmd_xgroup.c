/* cmd_xgroup.c — consumer-group commands: XGROUP, XREADGROUP, XACK, XPENDING,
 * XCLAIM, XAUTOCLAIM, XINFO GROUPS / CONSUMERS, and the group side of the
 * stream value (stream_obj.h: free, dup, mem, rewrite, XINFO STREAM FULL).
 *
 * Semantics, replies and errors are Redis 7.0's.  The structure is
 * cgroup.c's; this file parses arguments, replies and emits effects.
 *
 * Effects.  Commands whose own argv replays to the same state (XGROUP
 * CREATE/SETID/..., XACK) emit it.  The others emit what they did
 * (effect_suppress, then one effect per change), so a log replay rebuilds
 * the same pending lists whatever the clock says:
 *   - a delivery or claim: XCLAIM key group consumer 0 id TIME <ms>
 *     RETRYCOUNT <n> FORCE JUSTID LASTID <group last id>;
 *   - a pending entry dropped because its entry is gone: XACK key group id;
 *   - the group's read position: XGROUP SETID key group id ENTRIESREAD n;
 *   - a consumer created without a delivery: XGROUP CREATECONSUMER;
 *   - a dead-letter move: XADD dlq <id> ... then XACK key group id.
 *
 * Dead-lettering (Rill's extension, docs/stream-groups.md): a group with
 * XGROUP SETDLQ key group dlq-key max-deliveries moves an entry that is
 * about to be delivered again (XREADGROUP with an ID, XCLAIM, XAUTOCLAIM;
 * JUSTID claims are not deliveries) after max-deliveries deliveries to the
 * stream dlq-key, acknowledging it in the group, instead of delivering it.
 */
#include "stream_obj.h"
#include "cgroup.h"
#include "server.h"
#include "session.h"
#include "reply.h"
#include "effect.h"
#include "blocking.h"
#include "notify.h"
#include "alloc.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Entries a blocked XREADGROUP without COUNT gets when served (Redis's). */
#define XREADGROUP_BLOCKED_COUNT 1000

/* ---- small helpers (ID / integer parsing, entry replies: stream_obj.h) ---- */

static int arg_is(sbuf a, const char *s) { return !strcasecmp(a, s); }

/* reply_entry replies entry id if it exists (1), else nothing (0). */
static int reply_entry(session *c, const stream *s, stream_id id)
{
    st_iter it;
    stream_id got;
    st_iter_init(&it, s, id, id, 0);
    int ok = st_iter_next(&it, &got);
    if (ok) stream_reply_entry(c, got, &it);
    st_iter_done(&it);
    return ok;
}

/* Effects are built as up to EFF_MAX C strings; numbers and IDs are
 * formatted into the builder's own buffers. */
#define EFF_MAX 16
typedef struct eff {
    const char *v[EFF_MAX];
    size_t l[EFF_MAX];
    int n, nb;
    char buf[6][ST_ID_STR_MAX];
} eff;

static void eff_add(eff *e, const char *p, size_t n)
{
    e->v[e->n] = p;
    e->l[e->n++] = n;
}
static void eff_str(eff *e, const char *s) { eff_add(e, s, strlen(s)); }
static void eff_id(eff *e, stream_id id)
{
    char *b = e->buf[e->nb++];
    eff_add(e, b, st_id_format(id, b));
}
static void eff_ll(eff *e, long long v)
{
    char *b = e->buf[e->nb++];
    eff_add(e, b, (size_t)snprintf(b, ST_ID_STR_MAX, "%lld", v));
}
static void eff_emit(session *c, eff *e) { effect_emit_strs(c->srv, c->dbid, e->n, e->v, e->l); }

/* XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID id */
/* claim_form fills e with the XCLAIM that recreates pending entry k exactly:
 * XCLAIM key group owner 0 id TIME ms RETRYCOUNT n FORCE JUSTID (effects add
 * LASTID; the snapshot form needs none). */
static void claim_form(eff *e, const char *key, size_t klen, const cg_group *g, const cg_nack *k)
{
    eff_str(e, "XCLAIM");
    eff_add(e, key, klen);
    eff_add(e, g->name, g->nlen);
    eff_add(e, k->owner->name, k->owner->nlen);
    eff_str(e, "0");
    eff_id(e, k->id);
    eff_str(e, "TIME");
    eff_ll(e, k->delivery_time);
    eff_str(e, "RETRYCOUNT");
    eff_ll(e, (long long)k->delivery_count);
    eff_str(e, "FORCE");
    eff_str(e, "JUSTID");
}

static void emit_claim(session *c, const char *key, size_t klen, const cg_group *g, const cg_nack *k)
{
    eff e = {0};
    claim_form(&e, key, klen, g, k);
    eff_str(&e, "LASTID");
    eff_id(&e, g->last_id);
    eff_emit(c, &e);
}

/* XACK key group id */
static void emit_ack(session *c, const char *key, size_t klen, const cg_group *g, stream_id id)
{
    eff e = {0};
    eff_str(&e, "XACK");
    eff_add(&e, key, klen);
    eff_add(&e, g->name, g->nlen);
    eff_id(&e, id);
    eff_emit(c, &e);
}

/* group_form fills e with XGROUP <sub> key group <last id> ENTRIESREAD n,
 * the group's read position: SETID as an effect, CREATE in the snapshot. */
static void group_form(eff *e, const char *sub, const char *key, size_t klen, const cg_group *g)
{
    eff_str(e, "XGROUP");
    eff_str(e, sub);
    eff_add(e, key, klen);
    eff_add(e, g->name, g->nlen);
    eff_id(e, g->last_id);
    eff_str(e, "ENTRIESREAD");
    eff_ll(e, g->entries_read);
}

/* consumer_form fills e with XGROUP CREATECONSUMER key group consumer. */
static void consumer_form(eff *e, const char *key, size_t klen, const cg_group *g, const cg_consumer *cons)
{
    eff_str(e, "XGROUP");
    eff_str(e, "CREATECONSUMER");
    eff_add(e, key, klen);
    eff_add(e, g->name, g->nlen);
    eff_add(e, cons->name, cons->nlen);
}

static void emit_setid(session *c, const char *key, size_t klen, const cg_group *g)
{
    eff e = {0};
    group_form(&e, "SETID", key, klen, g);
    eff_emit(c, &e);
}

static void emit_createconsumer(session *c, const char *key, size_t klen, const cg_group *g,
                                const cg_consumer *cons)
{
    eff e = {0};
    consumer_form(&e, key, klen, g, cons);
    eff_emit(c, &e);
}

/* group_changed: the key's group state changed (dirty, keyspace event). */
static void group_changed(session *c, const char *event, sbuf key)
{
    c->srv->dirty++;
    notify_keyspace_event(c->srv, NOTIFY_STREAM, event, key, c->dbid);
}

/* get_consumer finds or creates a consumer for a command that emits its
 * own effects; a new one is announced (dirty, notification and, when
 * announce, a CREATECONSUMER effect).  Its seen time becomes now. */
static cg_consumer *get_consumer(session *c, sbuf key, cg_group *g, sbuf name, int announce)
{
    int created;
    cg_consumer *cons = cg_consumer_get(g, name, sbuf_len(name), c->srv->mstime, &created);
    cons->seen_time = c->srv->mstime;
    if (created) {
        group_changed(c, "xgroup-createconsumer", key);
        if (announce) emit_createconsumer(c, key, sbuf_len(key), g, cons);
    }
    return cons;
}

/* ---- dead-lettering ------------------------------------------------------- */

/* dlq_due: would delivering k now go past the group's limit? */
static int dlq_due(const cg_group *g, const cg_nack *k)
{
    return g->dlq_key && k->delivery_count >= g->dlq_max;
}

/* dlq_move appends entry k of sv (key) to the group's dead-letter stream
 * with its provenance, removes k from the PEL (acknowledged) and emits
 * XADD + XACK.  Returns 1 if moved; 0 (nothing changed) when the entry is
 * gone, the target holds another type or is this very stream, or the
 * target's IDs are exhausted: the caller then delivers as usual. */
static int dlq_move(session *c, stream_value *sv, sbuf key, cg_group *g, cg_nack *k)
{
    server *s = c->srv;
    if (g->dlq_klen == sbuf_len(key) && !memcmp(g->dlq_key, key, g->dlq_klen)) return 0;
    st_iter it;
    stream_id id;
    st_iter_init(&it, sv->s, k->id, k->id, 0);
    if (!st_iter_next(&it, &id)) {
        st_iter_done(&it);
        return 0;
    }
    sbuf dkey = sbuf_new(g->dlq_key, g->dlq_klen);
    obj *o = db_lookup_write(s, c->db, dkey);
    int moved = 0;
    if (o && o->type != OBJ_STREAM) goto out;
    stream *ds = o ? ((stream_value *)o->ptr)->s : NULL;
    stream_id nid;
    if (st_id_next(ds ? ds->last_id : ST_ID_MIN, 1, (uint64_t)s->mstime, ST_ID_MIN, 1, &nid) != ST_ID_OK)
        goto out;
    if (!o) {
        o = stream_obj_new(s);
        db_add(s, c->db, dkey, o);
        ds = ((stream_value *)o->ptr)->s;
    }
    /* Fields: id, group, consumer, deliveries, then the entry's own. */
    size_t nf = 4 + it.nf, argc = 3 + 2 * nf;
    const unsigned char **names = xmalloc(nf * sizeof *names), **vals = xmalloc(nf * sizeof *vals);
    size_t *nl = xmalloc(nf * sizeof *nl), *vl = xmalloc(nf * sizeof *vl);
    const char **argv = xmalloc(argc * sizeof *argv);
    size_t *lens = xmalloc(argc * sizeof *lens);
    char idbuf[ST_ID_STR_MAX], cnt[24], nidbuf[ST_ID_STR_MAX];
    static const char *const meta[4] = {"id", "group", "consumer", "deliveries"};
    const char *mv[4] = {idbuf, g->name, k->owner->name, cnt};
    size_t ml[4] = {st_id_format(k->id, idbuf), g->nlen, k->owner->nlen,
                    (size_t)snprintf(cnt, sizeof cnt, "%llu", (unsigned long long)k->delivery_count)};
    for (size_t i = 0; i < 4; i++) {
        names[i] = (const unsigned char *)meta[i];
        nl[i] = strlen(meta[i]);
        vals[i] = (const unsigned char *)mv[i];
        vl[i] = ml[i];
    }
    for (size_t i = 0; i < it.nf; i++) {
        names[4 + i] = it.fv[i].name;
        nl[4 + i] = it.fv[i].nlen;
        vals[4 + i] = it.fv[i].val;
        vl[4 + i] = it.fv[i].vlen;
    }
    stream_append(ds, nid, nf, names, nl, vals, vl);
    argv[0] = "XADD";
    lens[0] = 4;
    argv[1] = dkey;
    lens[1] = sbuf_len(dkey);
    argv[2] = nidbuf;
    lens[2] = st_id_format(nid, nidbuf);
    for (size_t i = 0; i < nf; i++) {
        argv[3 + 2 * i] = (const char *)names[i];
        lens[3 + 2 * i] = nl[i];
        argv[4 + 2 * i] = (const char *)vals[i];
        lens[4 + 2 * i] = vl[i];
    }
    effect_emit_strs(s, c->dbid, (int)argc, argv, lens);
    xfree(names);
    xfree(vals);
    xfree(nl);
    xfree(vl);
    xfree(argv);
    xfree(lens);
    notify_keyspace_event(s, NOTIFY_STREAM, "xadd", dkey, c->dbid);
    db_signal_modified(s, c->db, dkey);
    s->dirty++;
    stream_id gone = k->id;
    cg_pel_remove(g, k);
    g->dead_lettered++;
    emit_ack(c, key, sbuf_len(key), g, gone);
    moved = 1;
out:
    st_iter_done(&it);
    sbuf_free(dkey);
    return moved;
}

/* ---- the group side of the stream value (stream_obj.h) ------------------- */

void stream_groups_free(struct cgroups *g) { cg_set_free(g); }
struct cgroups *stream_groups_dup(const struct cgroups *g) { return cg_set_dup(g); }
size_t stream_groups_mem(const struct cgroups *g) { return cg_set_mem(g); }
size_t stream_groups_count(const struct cgroups *g) { return g ? g->n : 0; }

int stream_groups_rewrite(const stream_value *sv, const char *key, size_t klen,
                          obj_emit_fn *emit, void *priv)
{
    const cgroups *gs = sv->groups;
    if (!gs) return 0;
    for (size_t i = 0; i < gs->n; i++) {
        const cg_group *g = gs->v[i];
        eff e = {0};
        group_form(&e, "CREATE", key, klen, g);
        if (emit(priv, e.n, e.v, e.l) != 0) return -1;
        if (g->dlq_key) {
            eff d = {0};
            eff_str(&d, "XGROUP");
            eff_str(&d, "SETDLQ");
            eff_add(&d, key, klen);
            eff_add(&d, g->name, g->nlen);
            eff_add(&d, g->dlq_key, g->dlq_klen);
            eff_ll(&d, (long long)g->dlq_max);
            if (emit(priv, d.n, d.v, d.l) != 0) return -1;
        }
        for (size_t j = 0; j < g->ncons; j++) {
            eff cc = {0};
            consumer_form(&cc, key, klen, g, g->cons[j]);
            if (emit(priv, cc.n, cc.v, cc.l) != 0) return -1;
        }
        for (const cg_nack *k = cg_pel_first(g); k; k = cg_pel_next(k)) {
            eff x = {0};
            claim_form(&x, key, klen, g, k);
            if (emit(priv, x.n, x.v, x.l) != 0) return -1;
        }
    }
    return 0;
}

static void reply_lag(session *c, const stream *s, const cg_group *g)
{
    long long lag;
    if (cg_lag(s, g, &lag)) reply_int(c, lag);
    else reply_null(c);
}

static void reply_entries_read(session *c, const cg_group *g)
{
    if (g->entries_read != CG_ENTRIES_READ_UNKNOWN) reply_int(c, g->entries_read);
    else reply_null(c);
}

void stream_groups_reply_full(struct session *c, const stream_value *sv, long long count)
{
    const cgroups *gs = sv->groups;
    if (!gs) {
        reply_array(c, 0);
        return;
    }
    reply_array(c, (long)gs->n);
    for (size_t i = 0; i < gs->n; i++) {
        const cg_group *g = gs->v[i];
        reply_map(c, 7);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, g->name, g->nlen);
        reply_bulk_cstr(c, "last-delivered-id");
        stream_reply_id(c, g->last_id);
        reply_bulk_cstr(c, "entries-read");
        reply_entries_read(c, g);
        reply_bulk_cstr(c, "lag");
        reply_lag(c, sv->s, g);
        reply_bulk_cstr(c, "pel-count");
        reply_int(c, (long long)g->pel.count);
        reply_bulk_cstr(c, "pending");
        long long n = 0;
        void *h = reply_defer(c);
        for (const cg_nack *k = cg_pel_first(g); k && (!count || n < count); k = cg_pel_next(k), n++) {
            reply_array(c, 4);
            stream_reply_id(c, k->id);
            reply_bulk(c, k->owner->name, k->owner->nlen);
            reply_int(c, k->delivery_time);
            reply_int(c, (long long)k->delivery_count);
        }
        reply_set_array_len(c, h, (long)n);
        reply_bulk_cstr(c, "consumers");
        reply_array(c, (long)g->ncons);
        for (size_t j = 0; j < g->ncons; j++) {
            const cg_consumer *cs = g->cons[j];
            reply_map(c, 4);
            reply_bulk_cstr(c, "name");
            reply_bulk(c, cs->name, cs->nlen);
            reply_bulk_cstr(c, "seen-time");
            reply_int(c, cs->seen_time);
            reply_bulk_cstr(c, "pel-count");
            reply_int(c, (long long)cs->pel.count);
            reply_bulk_cstr(c, "pending");
            long long m = 0;
            void *hc = reply_defer(c);
            for (const cg_nack *k = cg_cpel_seek(cs, ST_ID_MIN); k && (!count || m < count);
                 k = cg_cpel_next(k), m++) {
                reply_array(c, 3);
                stream_reply_id(c, k->id);
                reply_int(c, k->delivery_time);
                reply_int(c, (long long)k->delivery_count);
            }
            reply_set_array_len(c, hc, (long)m);
        }
    }
}

/* ---- XGROUP --------------------------------------------------------------- */

static void reply_subcommand_error(session *c)
{
    char up[32];
    size_t n = sbuf_len(c->args.argv[0]);
    if (n >= sizeof up) n = sizeof up - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = c->args.argv[0][i];
        up[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
    }
    up[n] = 0;
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
                 c->args.argv[1], up);
}

/* What xgroup_prepare found for an XGROUP subcommand (key argv[2], group argv[3]). */
typedef struct xgroup_args {
    stream_value *sv;            /* NULL only when MKSTREAM may create it */
    cg_group *g;                 /* NULL if absent (and not needed) */
    int mkstream;
    long long entries_read;      /* ENTRIESREAD, else CG_ENTRIES_READ_UNKNOWN */
} xgroup_args;

/* xgroup_prepare does what every XGROUP subcommand but HELP shares, in
 * Redis's order: options (CREATE's MKSTREAM, CREATE/SETID's ENTRIESREAD),
 * the key's type, the key's existence, the group's (need_group).  Returns
 * 0 with *x filled, or -1 after replying. */
static int xgroup_prepare(session *c, int create, int setid, int need_group, xgroup_args *x)
{
    argv_t *a = &c->args;
    x->sv = NULL;
    x->g = NULL;
    x->mkstream = 0;
    x->entries_read = CG_ENTRIES_READ_UNKNOWN;
    if (create || setid) {
        for (int i = 5; i < a->argc;) {
            if (create && arg_is(a->argv[i], "MKSTREAM")) {
                x->mkstream = 1;
                i++;
            } else if (arg_is(a->argv[i], "ENTRIESREAD") && i + 1 < a->argc) {
                if (stream_parse_ll(c, a->argv[i + 1], &x->entries_read, NULL) < 0) return -1;
                if (x->entries_read < 0 && x->entries_read != CG_ENTRIES_READ_UNKNOWN) {
                    reply_error(c, "ERR value for ENTRIESREAD must be positive or -1");
                    return -1;
                }
                i += 2;
            } else {
                reply_subcommand_error(c);
                return -1;
            }
        }
    }
    int wrongtype;
    stream_value *sv = stream_lookup_write(c, a->argv[2], &wrongtype);
    if (wrongtype) {
        reply_err_wrongtype(c);
        return -1;
    }
    if (!x->mkstream) {
        if (!sv) {
            reply_error(c, "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                           "may want to use the MKSTREAM option to create an empty stream automatically.");
            return -1;
        }
        x->g = cg_find(sv->groups, a->argv[3], sbuf_len(a->argv[3]));
        if (!x->g && need_group) {
            reply_errorf(c, "NOGROUP No such consumer group '%s' for key name '%s'", a->argv[3], a->argv[2]);
            return -1;
        }
    } else if (sv) {
        x->g = cg_find(sv->groups, a->argv[3], sbuf_len(a->argv[3]));
    }
    x->sv = sv;
    return 0;
}

/* XGROUP CREATE key group <id|$> [MKSTREAM] [ENTRIESREAD n] */
void cmd_xgroup_create(session *c)
{
    argv_t *a = &c->args;
    server *s = c->srv;
    xgroup_args x;
    if (xgroup_prepare(c, 1, 0, 0, &x) < 0) return;
    if (a->argc > 8) {                  /* Redis checks this after the shared part */
        reply_subcommand_error(c);
        return;
    }
    stream_value *sv = x.sv;
    stream_id id;
    if (!strcmp(a->argv[4], "$")) {
        id = sv ? sv->s->last_id : ST_ID_MIN;
    } else if (stream_parse_id(c, a->argv[4], 0, 1, &id) < 0) {
        return;
    }
    if (!sv) {
        obj *o = stream_obj_new(s);
        db_add(s, c->db, a->argv[2], o);
        sv = o->ptr;
        db_signal_modified(s, c->db, a->argv[2]);
    }
    if (!sv->groups) sv->groups = cg_set_new();
    if (!cg_create(sv->groups, a->argv[3], sbuf_len(a->argv[3]), id, x.entries_read)) {
        reply_error(c, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    reply_ok(c);
    group_changed(c, "xgroup-create", a->argv[2]);
}

/* XGROUP SETID key group <id|$> [ENTRIESREAD n] */
void cmd_xgroup_setid(session *c)
{
    argv_t *a = &c->args;
    xgroup_args x;
    if (xgroup_prepare(c, 0, 1, 1, &x) < 0) return;
    if (a->argc != 5 && a->argc != 7) {
        reply_subcommand_error(c);
        return;
    }
    stream_id id;
    if (!strcmp(a->argv[4], "$")) id = x.sv->s->last_id;
    else if (stream_parse_id(c, a->argv[4], 0, 0, &id) < 0) return;
    x.g->last_id = id;
    x.g->entries_read = x.entries_read;
    reply_ok(c);
    group_changed(c, "xgroup-setid", a->argv[2]);
}

/* XGROUP DESTROY key group */
void cmd_xgroup_destroy(session *c)
{
    argv_t *a = &c->args;
    xgroup_args x;
    if (xgroup_prepare(c, 0, 0, 0, &x) < 0) return;
    if (!x.g) {
        reply_int(c, 0);
        return;
    }
    cg_destroy(x.sv->groups, a->argv[3], sbuf_len(a->argv[3]));
    reply_int(c, 1);
    group_changed(c, "xgroup-destroy", a->argv[2]);
    /* Wake XREADGROUP readers blocked on this group: they get NOGROUP. */
    block_signal_key_ready(c->srv, c->db, a->argv[2]);
}

/* XGROUP CREATECONSUMER key group consumer */
void cmd_xgroup_createconsumer(session *c)
{
    argv_t *a = &c->args;
    xgroup_args x;
    if (xgroup_prepare(c, 0, 0, 1, &x) < 0) return;
    cg_consumer *cons = cg_consumer_create(x.g, a->argv[4], sbuf_len(a->argv[4]), c->srv->mstime);
    reply_int(c, cons ? 1 : 0);
    if (cons) group_changed(c, "xgroup-createconsumer", a->argv[2]);
}

/* XGROUP DELCONSUMER key group consumer */
void cmd_xgroup_delconsumer(session *c)
{
    argv_t *a = &c->args;
    xgroup_args x;
    if (xgroup_prepare(c, 0, 0, 1, &x) < 0) return;
    cg_consumer *cons = cg_consumer_find(x.g, a->argv[4], sbuf_len(a->argv[4]));
    long long pending = 0;
    if (cons) {
        pending = (long long)cg_consumer_delete(x.g, cons);
        notify_keyspace_event(c->srv, NOTIFY_STREAM, "xgroup-delconsumer", a->argv[2], c->dbid);
    }
    reply_int(c, pending);
    c->srv->dirty++;
}

/* XGROUP SETDLQ key group dlq-key max-deliveries | XGROUP SETDLQ key group OFF */
void cmd_xgroup_setdlq(session *c)
{
    argv_t *a = &c->args;
    xgroup_args x;
    if (a->argc != 5 && a->argc != 6) {
        reply_subcommand_error(c);
        return;
    }
    if (a->argc == 5 && !arg_is(a->argv[4], "OFF")) {
        reply_err_syntax(c);
        return;
    }
    long long max = 0;
    if (a->argc == 6) {
        if (stream_parse_ll(c, a->argv[5], &max, NULL) < 0) return;
        if (max < 1) {
            reply_error(c, "ERR max-deliveries must be a positive integer");
            return;
        }
        if (sbuf_len(a->argv[4]) == sbuf_len(a->argv[2]) && !memcmp(a->argv[4], a->argv[2], sbuf_len(a->argv[2]))) {
            reply_error(c, "ERR the dead-letter stream must be another key");
            return;
        }
    }
    /* The group part first, so NOGROUP and missing keys read as for SETID. */
    if (xgroup_prepare(c, 0, 0, 1, &x) < 0) return;
    if (a->argc == 6) {
        obj *o = db_lookup_read(c->srv, c->db, a->argv[4], LOOKUP_NOTOUCH | LOOKUP_NONOTIFY);
        if (o && o->type != OBJ_STREAM) {
            reply_err_wrongtype(c);
            return;
        }
        cg_set_dlq(x.g, a->argv[4], sbuf_len(a->argv[4]), (uint64_t)max);
    } else {
        cg_set_dlq(x.g, NULL, 0, 0);
    }
    reply_ok(c);
    group_changed(c, "xgroup-setdlq", a->argv[2]);
}

/* XGROUP HELP: Redis 7.0's text (SETDLQ is documented in docs/stream-groups.md). */
void cmd_xgroup_help(session *c)
{
    static const char *help[] = {
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    };
    long n = (long)(sizeof help / sizeof help[0]);
    reply_help(c, (const char *const *)help, (size_t)n);
}

/* ---- XACK ----------------------------------------------------------------- */

/* find_group looks up key argv[1]'s group argv[2] (XACK, XPENDING, XCLAIM,
 * XAUTOCLAIM): 0 with *svp and *gp set (*gp NULL when the key or the group
 * is missing), or -1 after replying WRONGTYPE. */
static int find_group(session *c, stream_value **svp, cg_group **gp)
{
    argv_t *a = &c->args;
    int wrongtype;
    stream_value *sv = stream_lookup_read(c, a->argv[1], &wrongtype);
    if (wrongtype) {
        reply_err_wrongtype(c);
        return -1;
    }
    *svp = sv;
    *gp = sv ? cg_find(sv->groups, a->argv[2], sbuf_len(a->argv[2])) : NULL;
    return 0;
}

/* lookup_group is find_group for the commands that answer a missing key or
 * group with NOGROUP: the group, or NULL after replying. */
static cg_group *lookup_group(session *c, stream_value **svp)
{
    argv_t *a = &c->args;
    cg_group *g;
    if (find_group(c, svp, &g) < 0) return NULL;
    if (!g) reply_errorf(c, "NOGROUP No such key '%s' or consumer group '%s'", a->argv[1], a->argv[2]);
    return g;
}

/* XACK key group id [id ...] */
void cmd_xack(session *c)
{
    argv_t *a = &c->args;
    stream_value *sv;
    cg_group *g;
    if (find_group(c, &sv, &g) < 0) return;
    if (!g) {
        reply_int(c, 0);
        return;
    }
    stream_id id;
    for (int j = 3; j < a->argc; j++)
        if (stream_parse_id(c, a->argv[j], 0, 1, &id) < 0) return;
    long long acked = 0;
    for (int j = 3; j < a->argc; j++) {
        stream_parse_id(NULL, a->argv[j], 0, 1, &id);
        cg_nack *k = cg_pel_find(g, id);
        if (k) {
            cg_pel_remove(g, k);
            acked++;
            c->srv->dirty++;
        }
    }
    reply_int(c, acked);
}

/* ---- XPENDING ------------------------------------------------------------- */

/* XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
void cmd_xpending(session *c)
{
    argv_t *a = &c->args;
    server *s = c->srv;
    int justinfo = a->argc == 3;
    stream_id start = ST_ID_MIN, end = ST_ID_MAX;
    long long count = 0, minidle = 0;
    sbuf cname = NULL;
    if (a->argc != 3 && (a->argc < 6 || a->argc > 9)) {
        reply_err_syntax(c);
        return;
    }
    if (a->argc >= 6) {
        int si = 3;
        if (arg_is(a->argv[3], "IDLE")) {
            if (stream_parse_ll(c, a->argv[4], &minidle, NULL) < 0) return;
            if (a->argc < 8) {
                reply_err_syntax(c);
                return;
            }
            si += 2;
        }
        if (stream_parse_ll(c, a->argv[si + 2], &count, NULL) < 0) return;
        if (count < 0) count = 0;
        if (stream_parse_bound(c, a->argv[si], 0, &start) < 0) return;
        if (stream_parse_bound(c, a->argv[si + 1], 1, &end) < 0) return;
        if (si + 3 < a->argc) cname = a->argv[si + 3];
    }
    stream_value *sv;
    cg_group *g = lookup_group(c, &sv);
    if (!g) return;
    if (justinfo) {
        reply_array(c, 4);
        reply_int(c, (long long)g->pel.count);
        if (!g->pel.count) {
            reply_null(c);
            reply_null(c);
            reply_null_array(c);
            return;
        }
        stream_reply_id(c, cg_pel_first(g)->id);
        stream_reply_id(c, cg_pel_last(g)->id);
        long n = 0;
        void *h = reply_defer(c);
        for (size_t i = 0; i < g->ncons; i++) {
            const cg_consumer *cs = g->cons[i];
            if (!cs->pel.count) continue;
            reply_array(c, 2);
            reply_bulk(c, cs->name, cs->nlen);
            reply_bulk_ll(c, (long long)cs->pel.count);
            n++;
        }
        reply_set_array_len(c, h, n);
        return;
    }
    const cg_consumer *cs = NULL;
    if (cname) {
        cs = cg_consumer_find(g, cname, sbuf_len(cname));
        if (!cs) {
            reply_array(c, 0);
            return;
        }
    }
    long n = 0;
    void *h = reply_defer(c);
    for (cg_nack *k = cs ? cg_cpel_seek(cs, start) : cg_pel_seek(g, start);
         count && k && st_id_cmp(k->id, end) <= 0; k = cs ? cg_cpel_next(k) : cg_pel_next(k)) {
        long long idle = s->mstime - k->delivery_time;
        if (minidle && idle < minidle) continue;
        n++;
        count--;
        reply_array(c, 4);
        stream_reply_id(c, k->id);
        reply_bulk(c, k->owner->name, k->owner->nlen);
        reply_int(c, idle < 0 ? 0 : idle);
        reply_int(c, (long long)k->delivery_count);
    }
    reply_set_array_len(c, h, n);
}

/* ---- XREADGROUP ------------------------------------------------------------ */

/* serve_new delivers up to count (0 = all) entries after the group's last
 * ID to cons (">"), replying them; returns how many. */
static long serve_new(session *c, stream_value *sv, sbuf key, cg_group *g, cg_consumer *cons,
                      long long count, int noack)
{
    server *s = c->srv;
    stream_id start = g->last_id;
    long n = 0;
    if (st_id_incr(&start) != 0) {
        reply_array(c, 0);
        return 0;
    }
    stream_id before = g->last_id;
    long long er_before = g->entries_read;
    void *h = reply_defer(c);
    st_iter it;
    stream_id id;
    st_iter_init(&it, sv->s, start, ST_ID_MAX, 0);
    while ((!count || n < count) && st_iter_next(&it, &id)) {
        cg_advance(sv->s, g, id);
        stream_reply_entry(c, id, &it);
        n++;
        if (noack) continue;
        cg_nack *k = cg_pel_find(g, id);
        if (k) {                         /* pending already (SETID moved back) */
            cg_pel_set_owner(k, cons);
            k->delivery_time = s->mstime;
            k->delivery_count = 1;
        } else {
            k = cg_pel_add(g, cons, id, s->mstime, 1);
        }
        emit_claim(c, key, sbuf_len(key), g, k);
    }
    st_iter_done(&it);
    reply_set_array_len(c, h, n);
    if (n) cons->active_time = s->mstime;
    if (st_id_cmp(before, g->last_id) != 0 || er_before != g->entries_read) emit_setid(c, key, sbuf_len(key), g);
    return n;
}

/* serve_history replies cons's own pending entries from start (an explicit
 * ID), counting a new delivery of each; entries deleted from the stream
 * show as [id, nil]; entries past the dead-letter limit are moved instead. */
static void serve_history(session *c, stream_value *sv, sbuf key, cg_group *g, cg_consumer *cons,
                          stream_id start, long long count)
{
    server *s = c->srv;
    long n = 0;
    void *h = reply_defer(c);
    cg_nack *k = cg_cpel_seek(cons, start);
    while (k && (!count || n < count)) {
        cg_nack *next = cg_cpel_next(k);
        if (dlq_due(g, k) && dlq_move(c, sv, key, g, k)) {
            k = next;
            continue;
        }
        if (reply_entry(c, sv->s, k->id)) {
            k->delivery_time = s->mstime;
            k->delivery_count++;
            emit_claim(c, key, sbuf_len(key), g, k);
        } else {
            reply_array(c, 2);
            stream_reply_id(c, k->id);
            reply_null_array(c);
        }
        n++;
        k = next;
    }
    reply_set_array_len(c, h, n);
    if (n) cons->active_time = s->mstime;
}

/* XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...] */
void cmd_xreadgroup(session *c)
{
    argv_t *a = &c->args;
    server *s = c->srv;
    long long count = 0, timeout = -1;
    int streams_arg = 0, nstreams = 0, noack = 0;
    sbuf gname = NULL, cname = NULL;
    int rerun = c->bc != NULL;          /* served after blocking */

    for (int i = 1; i < a->argc; i++) {
        int more = a->argc - i - 1;
        sbuf o = a->argv[i];
        if (arg_is(o, "BLOCK") && more) {
            i++;
            if (block_parse_timeout_ms(c, a->argv[i], &timeout) < 0) return;
        } else if (arg_is(o, "COUNT") && more) {
            i++;
            if (stream_parse_ll(c, a->argv[i], &count, NULL) < 0) return;
            if (count < 0) count = 0;
        } else if (arg_is(o, "STREAMS") && more) {
            streams_arg = i + 1;
            if ((nstreams = stream_count_streams(c, streams_arg)) < 0) return;
            break;
        } else if (arg_is(o, "GROUP") && more >= 2) {
            gname = a->argv[i + 1];
            cname = a->argv[i + 2];
            i += 2;
        } else if (arg_is(o, "NOACK")) {
            noack = 1;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (!streams_arg) {
        reply_err_syntax(c);
        return;
    }
    if (!gname) {
        reply_error(c, "ERR Missing GROUP option for XREADGROUP");
        return;
    }

    /* Validate every stream, group and ID before serving any. */
    stream_id stack_ids[8];
    stream_id *ids = nstreams <= 8 ? stack_ids : xmalloc((size_t)nstreams * sizeof *ids);
    char stack_hist[8];
    char *hist = nstreams <= 8 ? stack_hist : xmalloc((size_t)nstreams);
    /* A re-run answers only for the stream whose readiness woke it (Redis 7.0). */
    int only = rerun ? stream_served_index(c, a->argv + streams_arg, nstreams) : -1;
    for (int i = 0; i < nstreams; i++) {
        if (only >= 0 && i != only) continue;
        sbuf key = a->argv[streams_arg + i], ida = a->argv[streams_arg + nstreams + i];
        int wrongtype;
        stream_value *sv = stream_lookup_read(c, key, &wrongtype);
        if (rerun && (!sv || wrongtype)) {
            reply_error(c, "UNBLOCKED the stream key no longer exists");
            goto done;
        }
        if (wrongtype) {
            reply_err_wrongtype(c);
            goto done;
        }
        if (!sv || !cg_find(sv->groups, gname, sbuf_len(gname))) {
            if (rerun) reply_error(c, "NOGROUP the consumer group this client was blocked on no longer exists");
            else reply_errorf(c, "NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option",
                              key, gname);
            goto done;
        }
        if (!strcmp(ida, "$")) {
            reply_error(c, "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history "
                           "of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID "
                           "would just return an empty result set.");
            goto done;
        }
        hist[i] = strcmp(ida, ">") != 0;
        if (hist[i] && stream_parse_id(c, ida, 0, 1, &ids[i]) < 0) goto done;
        /* Redis marks ">" as the maximum ID, so an explicit maximum ID reads as ">". */
        if (hist[i] && st_id_cmp(ids[i], ST_ID_MAX) == 0) hist[i] = 0;
        if (hist[i]) st_id_incr(&ids[i]);   /* exclusive: entries above the ID */
    }

    effect_suppress(c);
    if (rerun && !count) count = XREADGROUP_BLOCKED_COUNT;
    long served = 0;
    void *h = NULL;
    for (int i = 0; i < nstreams; i++) {
        if (only >= 0 && i != only) continue;
        sbuf key = a->argv[streams_arg + i];
        int wrongtype;
        stream_value *sv = stream_lookup_read(c, key, &wrongtype);
        cg_group *g = cg_find(sv->groups, gname, sbuf_len(gname));
        stream_id last;
        int fresh;
        if (only >= 0)   /* woken: served once the last ID passed the group's, as Redis */
            fresh = !hist[i] && st_id_cmp(sv->s->last_id, g->last_id) > 0;
        else
            fresh = !hist[i] && stream_last_entry_id(sv->s, &last) && st_id_cmp(last, g->last_id) > 0;
        if (!hist[i] && !fresh) continue;
        /* As Redis, the consumer is created (and seen) only when served. */
        cg_consumer *cons = get_consumer(c, key, g, cname, 1);
        stream_reply_read_key(c, &h, &served, key);
        if (hist[i]) serve_history(c, sv, key, g, cons, ids[i], count);
        else serve_new(c, sv, key, g, cons, count, noack);
        s->dirty++;
    }
    if (served) {
        stream_reply_read_done(c, h, served);
        goto done;
    }
    if (timeout != -1) {
        if (!block_allowed(c)) {
            reply_null_array(c);
            goto done;
        }
        block_for_keys(c, a->argv + streams_arg, nstreams, OBJ_STREAM, timeout, reply_null_array);
        block_wake_on_delete(c);
        goto done;
    }
    reply_null_array(c);
done:
    if (ids != stack_ids) xfree(ids);
    if (hist != stack_hist) xfree(hist);
}

/* ---- XCLAIM / XAUTOCLAIM -------------------------------------------------- */

/* XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms]
 *        [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id] */
void cmd_xclaim(session *c)
{
    argv_t *a = &c->args;
    server *s = c->srv;
    stream_value *sv;
    cg_group *g = lookup_group(c, &sv);
    if (!g) return;
    long long minidle, retrycount = -1, deliverytime = -1;
    int force = 0, justid = 0;
    if (stream_parse_ll(c, a->argv[4], &minidle, "ERR Invalid min-idle-time argument for XCLAIM") < 0) return;
    if (minidle < 0) minidle = 0;
    int j;
    stream_id id, lastid = ST_ID_MIN;
    for (j = 5; j < a->argc; j++)
        if (stream_parse_id(NULL, a->argv[j], 0, 1, &id) < 0) break;
    int last_id_arg = j - 1;
    long long now = s->mstime;
    for (; j < a->argc; j++) {
        int more = a->argc - 1 - j;
        sbuf opt = a->argv[j];
        if (arg_is(opt, "FORCE")) {
            force = 1;
        } else if (arg_is(opt, "JUSTID")) {
            justid = 1;
        } else if (arg_is(opt, "IDLE") && more) {
            j++;
            if (stream_parse_ll(c, a->argv[j], &deliverytime, "ERR Invalid IDLE option argument for XCLAIM") < 0) return;
            /* now - idle; a negative idle past LLONG_MAX lands in the future: now below */
            if (__builtin_sub_overflow(now, deliverytime, &deliverytime)) deliverytime = LLONG_MAX;
        } else if (arg_is(opt, "TIME") && more) {
            j++;
            if (stream_parse_ll(c, a->argv[j], &deliverytime, "ERR Invalid TIME option argument for XCLAIM") < 0) return;
        } else if (arg_is(opt, "RETRYCOUNT") && more) {
            j++;
            if (stream_parse_ll(c, a->argv[j], &retrycount, "ERR Invalid RETRYCOUNT option argument for XCLAIM") < 0)
                return;
        } else if (arg_is(opt, "LASTID") && more) {
            j++;
            if (stream_parse_id(c, a->argv[j], 0, 1, &lastid) < 0) return;
        } else {
            reply_errorf(c, "ERR Unrecognized XCLAIM option '%s'", opt);
            return;
        }
    }
    effect_suppress(c);
    int setid = 0;
    if (st_id_cmp(lastid, g->last_id) > 0) {
        g->last_id = lastid;
        setid = 1;
    }
    if (deliverytime != -1) {
        if (deliverytime < 0 || deliverytime > now) deliverytime = now;
    } else {
        deliverytime = now;
    }
    cg_consumer *cons = NULL;
    sbuf key = a->argv[1];
    long n = 0;
    void *h = reply_defer(c);
    for (j = 5; j <= last_id_arg; j++) {
        stream_parse_id(NULL, a->argv[j], 0, 1, &id);
        cg_nack *k = cg_pel_find(g, id);
        if (!stream_exists(sv->s, id)) {
            if (k) {                       /* the entry is gone: drop it */
                cg_pel_remove(g, k);
                emit_ack(c, key, sbuf_len(key), g, id);
                s->dirty++;
            }
            continue;
        }
        int created = 0;
        if (!k) {
            if (!force) continue;
            created = 1;
        } else if (minidle && now - k->delivery_time < minidle) {
            continue;
        }
        if (!cons) cons = get_consumer(c, key, g, a->argv[3], 0);
        if (!created && !justid && retrycount < 0 && dlq_due(g, k) && dlq_move(c, sv, key, g, k)) continue;
        if (created) k = cg_pel_add(g, cons, id, deliverytime, 1);   /* Redis: streamCreateNACK counts 1 */
        else cg_pel_set_owner(k, cons);
        k->delivery_time = deliverytime;
        if (retrycount >= 0) k->delivery_count = (uint64_t)retrycount;
        else if (!justid) k->delivery_count++;
        if (justid) stream_reply_id(c, id);
        else if (!reply_entry(c, sv->s, id)) reply_null(c);
        n++;
        cons->active_time = now;
        emit_claim(c, key, sbuf_len(key), g, k);
        s->dirty++;
    }
    if (setid) {
        emit_setid(c, key, sbuf_len(key), g);
        s->dirty++;
    }
    reply_set_array_len(c, h, n);
}

/* XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
void cmd_xautoclaim(session *c)
{
    argv_t *a = &c->args;
    server *s = c->srv;
    long long minidle, count = 100;
    int justid = 0;
    if (stream_parse_ll(c, a->argv[4], &minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM") < 0) return;
    if (minidle < 0) minidle = 0;
    stream_id start;
    if (stream_parse_bound(c, a->argv[5], 0, &start) < 0) return;
    for (int j = 6; j < a->argc; j++) {
        int more = a->argc - 1 - j;
        if (arg_is(a->argv[j], "COUNT") && more) {
            long long max = LONG_MAX / 16;   /* Redis: LONG_MAX / max(sizeof(streamID), 10) */
            if (!str_to_ll(a->argv[j + 1], sbuf_len(a->argv[j + 1]), &count) || count < 1 || count > max) {
                reply_error(c, "ERR COUNT must be > 0");
                return;
            }
            j++;
        } else if (arg_is(a->argv[j], "JUSTID")) {
            justid = 1;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    stream_value *sv;                   /* Redis parses XAUTOCLAIM's arguments first */
    cg_group *g = lookup_group(c, &sv);
    if (!g) return;
    effect_suppress(c);
    /* Claim first, reply after: the cursor comes first in the reply. */
    long long attempts = count * 10;
    long long now = s->mstime;
    sbuf key = a->argv[1];
    cg_consumer *cons = NULL;
    stream_id *ids = NULL, *del = NULL;   /* claimed, deleted */
    size_t nclaimed = 0, ndel = 0, cap = 0, capdel = 0;
    cg_nack *k = cg_pel_seek(g, start);
    while (attempts-- && count && k) {
        cg_nack *next = cg_pel_next(k);
        stream_id id = k->id;
        int gone = !stream_exists(sv->s, id);
        if (!gone && minidle && now - k->delivery_time < minidle) {
            k = next;
            continue;
        }
        if (!gone && !cons) cons = get_consumer(c, key, g, a->argv[3], 0);
        if (!gone && !justid && dlq_due(g, k) && dlq_move(c, sv, key, g, k)) {
            count--;                       /* a move is work done, as a claim */
            k = next;
            continue;
        }
        if (gone) {
            cg_pel_remove(g, k);
            emit_ack(c, key, sbuf_len(key), g, id);
            if (ndel == capdel) {
                capdel = capdel ? capdel * 2 : 8;
                del = xrealloc(del, capdel * sizeof *del);
            }
            del[ndel++] = id;
        } else {
            if (nclaimed == cap) {
                cap = cap ? cap * 2 : 16;
                ids = xrealloc(ids, cap * sizeof *ids);
            }
            cg_pel_set_owner(k, cons);
            k->delivery_time = now;
            if (!justid) k->delivery_count++;
            cons->active_time = now;
            emit_claim(c, key, sbuf_len(key), g, k);
            ids[nclaimed++] = id;
        }
        s->dirty++;
        count--;
        k = next;
    }
    /* The cursor: the record after the last one examined, 0-0 at the end. */
    reply_array(c, 3);
    stream_reply_id(c, k ? k->id : ST_ID_MIN);
    reply_array(c, (long)nclaimed);
    for (size_t i = 0; i < nclaimed; i++) {
        if (justid) stream_reply_id(c, ids[i]);
        else if (!reply_entry(c, sv->s, ids[i])) reply_null(c);
    }
    reply_array(c, (long)ndel);
    for (size_t i = 0; i < ndel; i++) stream_reply_id(c, del[i]);
    xfree(ids);
    xfree(del);
}

/* ---- XINFO GROUPS / CONSUMERS ---------------------------------------------- */

/* XINFO GROUPS key */
void cmd_xinfo_groups(session *c)
{
    stream_value *sv = stream_lookup_read_or_reply(c, c->args.argv[2], reply_err_nokey);
    if (!sv) return;
    const cgroups *gs = sv->groups;
    reply_array(c, gs ? (long)gs->n : 0);
    for (size_t i = 0; gs && i < gs->n; i++) {
        const cg_group *g = gs->v[i];
        reply_map(c, g->dlq_key ? 9 : 6);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, g->name, g->nlen);
        reply_bulk_cstr(c, "consumers");
        reply_int(c, (long long)g->ncons);
        reply_bulk_cstr(c, "pending");
        reply_int(c, (long long)g->pel.count);
        reply_bulk_cstr(c, "last-delivered-id");
        stream_reply_id(c, g->last_id);
        reply_bulk_cstr(c, "entries-read");
        reply_entries_read(c, g);
        reply_bulk_cstr(c, "lag");
        reply_lag(c, sv->s, g);
        if (g->dlq_key) {
            reply_bulk_cstr(c, "dlq-key");
            reply_bulk(c, g->dlq_key, g->dlq_klen);
            reply_bulk_cstr(c, "dlq-max-deliveries");
            reply_int(c, (long long)g->dlq_max);
            reply_bulk_cstr(c, "dead-lettered");
            reply_int(c, (long long)g->dead_lettered);
        }
    }
}

/* XINFO CONSUMERS key group */
void cmd_xinfo_consumers(session *c)
{
    argv_t *a = &c->args;
    stream_value *sv = stream_lookup_read_or_reply(c, c->args.argv[2], reply_err_nokey);
    if (!sv) return;
    const cg_group *g = cg_find(sv->groups, a->argv[3], sbuf_len(a->argv[3]));
    if (!g) {
        reply_errorf(c, "NOGROUP No such consumer group '%s' for key name '%s'", a->argv[3], a->argv[2]);
        return;
    }
    long long now = c->srv->mstime;
    reply_array(c, (long)g->ncons);
    for (size_t i = 0; i < g->ncons; i++) {
        const cg_consumer *cs = g->cons[i];
        long long idle = now - cs->seen_time;
        long long inactive = cs->active_time < 0 ? -1 : now - cs->active_time;
        reply_map(c, 4);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, cs->name, cs->nlen);
        reply_bulk_cstr(c, "pending");
        reply_int(c, (long long)cs->pel.count);
        reply_bulk_cstr(c, "idle");
        reply_int(c, idle < 0 ? 0 : idle);
        /* Redis 7.2's field (the issue asks for it): ms since the last
         * successful read or claim, -1 if the consumer never got anything. */
        reply_bulk_cstr(c, "inactive");
        reply_int(c, inactive < 0 && cs->active_time >= 0 ? 0 : inactive);
    }
}

/* ---- INFO streams ------------------------------------------------------------ */

/* stream_groups_info appends the "# Streams" lines: streams, groups, total
 * pending entries, the age of the oldest pending delivery and the entries
 * dead-lettered so far.  It walks every key of every db: O(keys), which is
 * why plain INFO leaves the section out (INFO streams / INFO ALL show it). */
sbuf stream_groups_info(struct server *s, sbuf out)
{
    long long streams = 0, groups = 0, pending = 0, dead = 0, oldest = -1;
    for (int i = 0; i < s->ndb; i++) {
        db *d = &s->dbs[i];
        if (!dict_size(d->keys)) continue;
        dict_iter it;
        dict_iter_init(&it, d->keys, 0);
        dict_entry *e;
        while ((e = dict_next(&it)) != NULL) {
            const obj *o = e->v.val;
            if (o->type != OBJ_STREAM) continue;
            streams++;
            const cgroups *gs = ((const stream_value *)o->ptr)->groups;
            for (size_t j = 0; gs && j < gs->n; j++) {
                const cg_group *g = gs->v[j];
                groups++;
                pending += (long long)g->pel.count;
                dead += (long long)g->dead_lettered;
                /* The oldest delivery is not always the lowest ID (XCLAIM
                 * renews times), so every record is looked at. */
                for (const cg_nack *k = cg_pel_first(g); k; k = cg_pel_next(k))
                    if (oldest < 0 || k->delivery_time < oldest) oldest = k->delivery_time;
            }
        }
        dict_iter_done(&it);
    }
    long long age = oldest < 0 ? 0 : s->mstime - oldest;
    return sbuf_catfmt(out,
                       "streams:%lld\r\nstream_groups:%lld\r\nstream_pending:%lld\r\n"
                       "stream_oldest_pending_ms:%lld\r\nstream_dead_lettered:%lld\r\n",
                       streams, groups, pending, age < 0 ? 0 : age, dead);
}
