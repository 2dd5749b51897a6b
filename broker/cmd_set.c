/* cmd_set.c — set commands: SADD SREM SMOVE SISMEMBER SMISMEMBER SCARD
 * SPOP SRANDMEMBER SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
 * SDIFFSTORE SMEMBERS SSCAN.
 *
 * The data structure is broker/types/set.c; this file parses arguments,
 * looks keys up, keeps obj->encoding in step with the set's (OBJECT
 * ENCODING: "intset" or "hashtable", as Redis 7.0 has no listpack sets) and
 * replies.  Semantics, replies and errors follow Redis 7.0.15: SMEMBERS and
 * the set-algebra commands reply a RESP3 set, SRANDMEMBER with a count an
 * array; a set left empty is deleted; *STORE with an empty result deletes
 * the destination.  A set created by a command starts as an intset when its
 * first member is an integer (Redis's setTypeCreate), and the *STORE
 * results start as intsets, so OBJECT ENCODING matches Redis's.
 *
 * Effects: SPOP is random, so it is rewritten to `SREM key <popped...>`,
 * or `DEL key` when it popped the whole set; every other write replays
 * deterministically from its own argv.
 */
#include "server.h"
#include "scan_args.h"
#include "commands.h"
#include "effect.h"
#include "glob.h"
#include "alloc.h"
#include "set.h"
#include "notify.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the object type -------------------------------------------------- */

static void set_obj_free(obj *o) { set_free(o->ptr); }

static obj *set_obj_dup(const obj *o) { return obj_new(OBJ_SET, o->encoding, set_dup(o->ptr)); }

static size_t set_obj_mem(const obj *o) { return set_mem(o->ptr); }

/* set_obj_rewrite (snapshot interface, object.h): SADD key <up to
 * OBJ_REWRITE_BATCH members>, in storage order. */
static int set_obj_rewrite(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    const char *argv[2 + OBJ_REWRITE_BATCH];
    size_t lens[2 + OBJ_REWRITE_BATCH];
    char nums[OBJ_REWRITE_BATCH][24];
    argv[0] = "SADD";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = klen;
    int n = 0, rc = 0;
    set_iter it;
    set_elem e;
    set_iter_init(&it, o->ptr);
    while (rc == 0 && set_next(&it, &e)) {
        argv[2 + n] = set_elem_str(&e, nums[n], &lens[2 + n]);
        if (++n == OBJ_REWRITE_BATCH) {
            rc = emit(priv, 2 + n, argv, lens);
            n = 0;
        }
    }
    set_iter_done(&it);
    if (rc == 0 && n) rc = emit(priv, 2 + n, argv, lens);
    return rc ? -1 : 0;
}

const obj_type set_obj_type = {
    .name = "set", .free = set_obj_free, .dup = set_obj_dup, .mem = set_obj_mem, .rewrite = set_obj_rewrite};

/* ---- helpers ---------------------------------------------------------- */

static size_t max_intset(server *s)
{
    return s->cfg.set_max_intset_entries > 0 ? (size_t)s->cfg.set_max_intset_entries : 0;
}

static void sync_encoding(obj *o)
{
    o->encoding = set_encoding(o->ptr) == SET_INTSET ? ENC_INTSET : ENC_HASHTABLE;
}

static obj *new_set_obj(set *st)
{
    obj *o = obj_new(OBJ_SET, ENC_INTSET, st);
    sync_encoding(o);
    return o;
}

/* lookup returns the set at key, NULL if absent (*err 0), or NULL with
 * WRONGTYPE already replied (*err 1).  write: lookup for write. */
static obj *lookup(session *c, const char *key, int write, int *err)
{
    obj *o = write ? db_lookup_write(c->srv, c->db, key) : db_lookup_read(c->srv, c->db, key, 0);
    *err = 0;
    if (o && o->type != OBJ_SET) {
        reply_err_wrongtype(c);
        *err = 1;
        return NULL;
    }
    return o;
}

static void reply_elem(session *c, const set_elem *e)
{
    if (e->is_int) reply_bulk_ll(c, e->v);
    else reply_bulk(c, e->p, e->len);
}

/* reply_members replies every member of st as a RESP3 set (array in RESP2). */
static void reply_members(session *c, set *st)
{
    set_iter it;
    set_elem e;
    reply_set(c, (long)set_size(st));
    set_iter_init(&it, st);
    while (set_next(&it, &e)) reply_elem(c, &e);
    set_iter_done(&it);
}

/* delete_if_empty deletes key when its set is empty; 1 if it did. */
static int delete_if_empty(session *c, const char *key, obj *o)
{
    if (set_size(o->ptr) != 0) return 0;
    db_delete(c->srv, c->db, key);
    return 1;
}

/* store_result stores st at dst (replacing any value and its TTL, as SET)
 * or, when st is empty, deletes dst; replies the size.  Takes st. */
static void store_result(session *c, const char *dst, set *st, const char *event)
{
    server *s = c->srv;
    size_t n = set_size(st);
    if (n > 0) {
        db_set(s, c->db, dst, new_set_obj(st), 0);
        reply_int(c, (long long)n);
        db_signal_modified(s, c->db, dst);
        notify_keyspace_event(s, NOTIFY_SET, event, dst, c->dbid);
        s->dirty++;
    } else {
        set_free(st);
        reply_int(c, 0);
        if (db_delete(s, c->db, dst)) {
            db_signal_modified(s, c->db, dst);
            notify_keyspace_event(s, NOTIFY_GENERIC, "del", dst, c->dbid);
            s->dirty++;
        }
    }
}

/* ---- SADD, SREM, SMOVE ------------------------------------------------ */

/* SADD key member [member ...] */
void cmd_sadd(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    const char *key = a->argv[1];
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    if (!o) {
        o = new_set_obj(set_new_for(a->argv[2], sbuf_len(a->argv[2])));
        db_add(s, c->db, key, o);
    }
    size_t max = max_intset(s);
    long long added = 0;
    for (int j = 2; j < a->argc; j++) added += set_add(o->ptr, a->argv[j], sbuf_len(a->argv[j]), max);
    sync_encoding(o);
    if (added) {
        db_signal_modified(s, c->db, key);
        notify_keyspace_event(s, NOTIFY_SET, "sadd", key, c->dbid);
        s->dirty += added;
    }
    reply_int(c, added);
}

/* SREM key member [member ...] */
void cmd_srem(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    const char *key = a->argv[1];
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    long long removed = 0;
    int gone = 0;
    for (int j = 2; j < a->argc; j++) {
        removed += set_remove(o->ptr, a->argv[j], sbuf_len(a->argv[j]));
        if ((gone = delete_if_empty(c, key, o))) break;
    }
    if (removed) {
        db_signal_modified(s, c->db, key);
        notify_keyspace_event(s, NOTIFY_SET, "srem", key, c->dbid);
        if (gone) notify_keyspace_event(s, NOTIFY_GENERIC, "del", key, c->dbid);
        s->dirty += removed;
    }
    reply_int(c, removed);
}

/* SMOVE source destination member */
void cmd_smove(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    const char *src = a->argv[1], *dst = a->argv[2], *m = a->argv[3];
    size_t mlen = sbuf_len(m);
    obj *so = db_lookup_write(s, c->db, src);
    obj *dobj = db_lookup_write(s, c->db, dst);
    if (!so) {
        reply_int(c, 0);
        return;
    }
    if (so->type != OBJ_SET || (dobj && dobj->type != OBJ_SET)) {
        reply_err_wrongtype(c);
        return;
    }
    if (so == dobj) {
        reply_int(c, set_contains(so->ptr, m, mlen));
        return;
    }
    if (!set_remove(so->ptr, m, mlen)) {
        reply_int(c, 0);
        return;
    }
    notify_keyspace_event(s, NOTIFY_SET, "srem", src, c->dbid);
    if (delete_if_empty(c, src, so)) notify_keyspace_event(s, NOTIFY_GENERIC, "del", src, c->dbid);
    db_signal_modified(s, c->db, src);
    s->dirty++;
    if (!dobj) {
        dobj = new_set_obj(set_new_for(m, mlen));
        db_add(s, c->db, dst, dobj);
    }
    if (set_add(dobj->ptr, m, mlen, max_intset(s))) {
        s->dirty++;
        notify_keyspace_event(s, NOTIFY_SET, "sadd", dst, c->dbid);
    }
    sync_encoding(dobj);
    db_signal_modified(s, c->db, dst);
    reply_int(c, 1);
}

/* ---- SISMEMBER, SMISMEMBER, SCARD ------------------------------------- */

/* SISMEMBER key member */
void cmd_sismember(session *c)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    const char *m = c->args.argv[2];
    reply_int(c, o && set_contains(o->ptr, m, sbuf_len(m)));
}

/* SMISMEMBER key member [member ...] */
void cmd_smismember(session *c)
{
    argv_t *a = &c->args;
    int err;
    obj *o = lookup(c, a->argv[1], 0, &err);
    if (err) return;
    reply_array(c, a->argc - 2);
    for (int j = 2; j < a->argc; j++) reply_int(c, o && set_contains(o->ptr, a->argv[j], sbuf_len(a->argv[j])));
}

/* SCARD key */
void cmd_scard(session *c)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    reply_int(c, o ? (long long)set_size(o->ptr) : 0);
}

/* ---- SPOP, SRANDMEMBER ------------------------------------------------ */

/* A growing list of popped members (sbufs owned here), for the reply and the effect. */
typedef struct popped {
    sbuf *v;
    size_t n, cap;
} popped;

static void popped_push(popped *p, sbuf m)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = m;
}

static void popped_free(popped *p)
{
    for (size_t i = 0; i < p->n; i++) sbuf_free(p->v[i]);
    xfree(p->v);
}

/* emit_srem makes the running command's effect `SREM key m1 m2 ...`. */
static void emit_srem(session *c, const char *key, const popped *p)
{
    size_t argc = p->n + 2;
    const char **argv = xmalloc(argc * sizeof *argv);
    size_t *lens = xmalloc(argc * sizeof *lens);
    argv[0] = "SREM";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = sbuf_len(key);
    for (size_t i = 0; i < p->n; i++) {
        argv[i + 2] = p->v[i];
        lens[i + 2] = sbuf_len(p->v[i]);
    }
    effect_rewrite(c, (int)argc, argv, lens);
    xfree(argv);
    xfree(lens);
}

static void emit_del(session *c, const char *key)
{
    const char *argv[2] = {"DEL", key};
    size_t lens[2] = {3, sbuf_len(key)};
    effect_rewrite(c, 2, argv, lens);
}

/* union_copy builds a fresh set with st's members, as Redis's SUNION of
 * one set does (an integer-only result is an intset). */
static set *union_copy(set *st, size_t max)
{
    set *u = set_new_intset();
    set_iter it;
    set_elem e;
    set_iter_init(&it, st);
    while (set_next(&it, &e)) set_add_elem(u, &e, max);
    set_iter_done(&it);
    return u;
}

static void spop_with_count(session *c)
{
    server *s = c->srv;
    const char *key = c->args.argv[1], *arg = c->args.argv[2];
    long long count;
    if (!str_to_ll(arg, sbuf_len(arg), &count) || count < 0) {
        reply_error(c, "ERR value is out of range, must be positive");
        return;
    }
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    if (!o || count == 0) {
        reply_set(c, 0);
        return;
    }
    set *st = o->ptr;
    size_t size = set_size(st), max = max_intset(s);
    notify_keyspace_event(s, NOTIFY_SET, "spop", key, c->dbid);

    if ((unsigned long long)count >= size) {
        /* The whole set: reply it, delete the key. */
        set *u = union_copy(st, max);
        reply_members(c, u);
        set_free(u);
        db_delete(s, c->db, key);
        notify_keyspace_event(s, NOTIFY_GENERIC, "del", key, c->dbid);
        emit_del(c, key);
        db_signal_modified(s, c->db, key);
        s->dirty++;
        return;
    }

    popped p = {0};
    size_t remaining = size - (size_t)count;
    if (remaining * 5 > (size_t)count) {
        /* Few to pop: pop them one by one. */
        reply_set(c, count);
        for (long long i = 0; i < count; i++) {
            sbuf m = set_pop(st);
            reply_bulk(c, m, sbuf_len(m));
            popped_push(&p, m);
        }
    } else {
        /* Most to pop: move the few that remain to a new set, and reply
         * what is left in the old one. */
        set *keep = NULL;
        for (size_t i = 0; i < remaining; i++) {
            sbuf m = set_pop(st);
            if (!keep) keep = set_new_for(m, sbuf_len(m));
            set_add(keep, m, sbuf_len(m), max);
            sbuf_free(m);
        }
        reply_set(c, count);
        set_iter it;
        set_elem e;
        set_iter_init(&it, st);
        while (set_next(&it, &e)) {
            char buf[24];
            size_t len;
            const char *m = set_elem_str(&e, buf, &len);
            reply_bulk(c, m, len);
            popped_push(&p, sbuf_new(m, len));
        }
        set_iter_done(&it);
        db_overwrite(s, c->db, key, new_set_obj(keep));    /* keeps the TTL */
    }
    emit_srem(c, key, &p);
    popped_free(&p);
    db_signal_modified(s, c->db, key);
    s->dirty++;
}

/* SPOP key [count] */
void cmd_spop(session *c)
{
    server *s = c->srv;
    if (c->args.argc == 3) {
        spop_with_count(c);
        return;
    }
    if (c->args.argc > 3) {
        reply_err_syntax(c);
        return;
    }
    const char *key = c->args.argv[1];
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    if (!o) {
        reply_null(c);
        return;
    }
    popped p = {0};
    sbuf m = set_pop(o->ptr);
    reply_bulk(c, m, sbuf_len(m));
    popped_push(&p, m);
    notify_keyspace_event(s, NOTIFY_SET, "spop", key, c->dbid);
    emit_srem(c, key, &p);
    popped_free(&p);
    if (delete_if_empty(c, key, o)) notify_keyspace_event(s, NOTIFY_GENERIC, "del", key, c->dbid);
    db_signal_modified(s, c->db, key);
    s->dirty++;
}

static void srandmember_with_count(session *c)
{
    const char *arg = c->args.argv[2];
    long long l;
    if (!str_to_ll(arg, sbuf_len(arg), &l)) {
        reply_err_notint(c);
        return;
    }
    if (l < -LLONG_MAX) {
        reply_errorf(c, "ERR value is out of range, value must between %lld and %lld", -LLONG_MAX, LLONG_MAX);
        return;
    }
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    if (!o || l == 0) {
        reply_empty_array(c);
        return;
    }
    set *st = o->ptr;
    size_t size = set_size(st);
    int uniq = l > 0;
    unsigned long long count = uniq ? (unsigned long long)l : (unsigned long long)(-l);
    set_elem e;

    if (!uniq || count == 1) {
        /* Repetitions allowed: count independent picks. */
        reply_array(c, (long)count);
        for (unsigned long long i = 0; i < count; i++) {
            set_random(st, &e);
            reply_elem(c, &e);
        }
        return;
    }
    if (count >= size) {
        /* All of them, in storage order. */
        reply_array(c, (long)size);
        set_iter it;
        set_iter_init(&it, st);
        while (set_next(&it, &e)) reply_elem(c, &e);
        set_iter_done(&it);
        return;
    }
    if (count * 3 > size) {
        /* Many of them: shuffle a list of all members and take a prefix. */
        set_elem *all = xmalloc(size * sizeof *all);
        size_t n = 0;
        set_iter it;
        set_iter_init(&it, st);
        while (n < size && set_next(&it, &all[n])) n++;
        set_iter_done(&it);
        reply_array(c, (long)count);
        for (size_t i = 0; i < count; i++) {
            size_t j = i + (size_t)((unsigned long)random() % (n - i));
            set_elem t = all[i];
            all[i] = all[j];
            all[j] = t;
            reply_elem(c, &all[i]);
        }
        xfree(all);
        return;
    }
    /* Few of them: random picks, skipping repeats. */
    set *seen = set_new_hashtable();
    reply_array(c, (long)count);
    while (set_size(seen) < count) {
        char buf[24];
        size_t len;
        set_random(st, &e);
        const char *m = set_elem_str(&e, buf, &len);
        if (set_add(seen, m, len, 0)) reply_bulk(c, m, len);
    }
    set_free(seen);
}

/* SRANDMEMBER key [count] */
void cmd_srandmember(session *c)
{
    if (c->args.argc == 3) {
        srandmember_with_count(c);
        return;
    }
    if (c->args.argc > 3) {
        reply_err_syntax(c);
        return;
    }
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    if (!o) {
        reply_null(c);
        return;
    }
    set_elem e;
    set_random(o->ptr, &e);
    reply_elem(c, &e);
}

/* ---- SINTER, SINTERCARD, SINTERSTORE, SMEMBERS ------------------------ */

/* lookup_sets fills sets[0..n) with the sets at keys (NULL when absent);
 * returns 0, or -1 with WRONGTYPE replied.  Every key is type-checked. */
static int lookup_sets(session *c, sbuf *keys, int n, int write, set **sets)
{
    for (int j = 0; j < n; j++) {
        int err;
        obj *o = lookup(c, keys[j], write, &err);
        if (err) return -1;
        sets[j] = o ? o->ptr : NULL;
    }
    return 0;
}

/* sort_by_size orders sets by ascending size, stably (insertion sort). */
static void sort_by_size(set **sets, int n)
{
    for (int i = 1; i < n; i++) {
        set *x = sets[i];
        int j = i - 1;
        while (j >= 0 && set_size(sets[j]) > set_size(x)) {
            sets[j + 1] = sets[j];
            j--;
        }
        sets[j + 1] = x;
    }
}

/* in_all_others: e (a member of sets[0]) is in every other set. */
static int in_all_others(set **sets, int n, const set_elem *e)
{
    for (int j = 1; j < n; j++) {
        if (sets[j] == sets[0]) continue;
        if (!set_contains_elem(sets[j], e)) return 0;
    }
    return 1;
}

/* sinter_generic: the intersection of the sets at keys, replied as a set,
 * counted (cardinality, stopping at limit when > 0), or stored at dst. */
static void sinter_generic(session *c, sbuf *keys, int n, const char *dst, int cardinality, long long limit)
{
    server *s = c->srv;
    set **sets = xmalloc((size_t)n * sizeof *sets);
    if (lookup_sets(c, keys, n, 0, sets) < 0) {   /* read lookups even for STORE (keymiss), as Redis 7.0 */
        xfree(sets);
        return;
    }
    int empty = 0;
    for (int j = 0; j < n; j++) empty |= sets[j] == NULL;
    if (empty) {
        xfree(sets);
        if (dst) store_result(c, dst, set_new_intset(), "sinterstore");
        else if (cardinality) reply_int(c, 0);
        else reply_set(c, 0);
        return;
    }
    sort_by_size(sets, n);

    set_iter it;
    set_elem e;
    if (dst) {
        set *out = set_new_intset();
        size_t max = max_intset(s);
        set_iter_init(&it, sets[0]);
        while (set_next(&it, &e))
            if (in_all_others(sets, n, &e)) set_add_elem(out, &e, max);
        set_iter_done(&it);
        xfree(sets);
        store_result(c, dst, out, "sinterstore");
        return;
    }
    long long count = 0;
    void *h = cardinality ? NULL : reply_defer(c);
    set_iter_init(&it, sets[0]);
    while (set_next(&it, &e)) {
        if (!in_all_others(sets, n, &e)) continue;
        if (!cardinality) reply_elem(c, &e);
        count++;
        if (cardinality && limit && count >= limit) break;
    }
    set_iter_done(&it);
    xfree(sets);
    if (cardinality) reply_int(c, count);
    else reply_set_set_len(c, h, (long)count);
}

/* SINTER key [key ...] */
void cmd_sinter(session *c) { sinter_generic(c, c->args.argv + 1, c->args.argc - 1, NULL, 0, 0); }

/* SMEMBERS key  (SINTER of one key, as in Redis) */
void cmd_smembers(session *c) { sinter_generic(c, c->args.argv + 1, 1, NULL, 0, 0); }

/* SINTERSTORE destination key [key ...] */
void cmd_sinterstore(session *c)
{
    sinter_generic(c, c->args.argv + 2, c->args.argc - 2, c->args.argv[1], 0, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_sintercard(session *c)
{
    argv_t *a = &c->args;
    long long numkeys, limit = 0;
    if (!str_to_ll(a->argv[1], sbuf_len(a->argv[1]), &numkeys) || numkeys < 1) {
        reply_error(c, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys > a->argc - 2) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < a->argc; j++) {
        if (!strcasecmp(a->argv[j], "limit") && j + 1 < a->argc) {
            const char *v = a->argv[++j];
            if (!str_to_ll(v, sbuf_len(v), &limit) || limit < 0) {
                reply_error(c, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    sinter_generic(c, a->argv + 2, (int)numkeys, NULL, 1, limit);
}

/* ---- SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE --------------------------- */

enum { OP_UNION, OP_DIFF };

static void sunion_diff_generic(session *c, sbuf *keys, int n, const char *dst, int op)
{
    server *s = c->srv;
    set **sets = xmalloc((size_t)n * sizeof *sets);
    if (lookup_sets(c, keys, n, 0, sets) < 0) {   /* read lookups even for STORE (keymiss), as Redis 7.0 */
        xfree(sets);
        return;
    }
    size_t max = max_intset(s);
    set *out = set_new_intset();
    set_iter it;
    set_elem e;
    if (op == OP_UNION) {
        for (int j = 0; j < n; j++) {
            if (!sets[j]) continue;
            set_iter_init(&it, sets[j]);
            while (set_next(&it, &e)) set_add_elem(out, &e, max);
            set_iter_done(&it);
        }
    } else if (sets[0]) {
        /* Either test each member of the first set against the others
         * (about size(first) * nsets / 2 work), or copy the first set and
         * remove every other set's members (the sum of the sizes). */
        size_t work1 = 0, work2 = 0;
        for (int j = 0; j < n; j++) {
            if (!sets[j]) continue;
            work1 += set_size(sets[0]);
            work2 += set_size(sets[j]);
        }
        if (work1 / 2 <= work2) {
            set_iter_init(&it, sets[0]);
            while (set_next(&it, &e)) {
                int keep = 1;
                for (int j = 1; j < n && keep; j++) {
                    if (!sets[j]) continue;
                    if (sets[j] == sets[0] || set_contains_elem(sets[j], &e)) keep = 0;
                }
                if (keep) set_add_elem(out, &e, max);
            }
            set_iter_done(&it);
        } else {
            set_iter_init(&it, sets[0]);
            while (set_next(&it, &e)) set_add_elem(out, &e, max);
            set_iter_done(&it);
            for (int j = 1; j < n && set_size(out); j++) {
                if (!sets[j]) continue;
                set_iter_init(&it, sets[j]);
                while (set_next(&it, &e)) {
                    char buf[24];
                    size_t len;
                    const char *m = set_elem_str(&e, buf, &len);
                    set_remove(out, m, len);
                }
                set_iter_done(&it);
            }
        }
    }
    xfree(sets);
    if (dst) {
        store_result(c, dst, out, op == OP_UNION ? "sunionstore" : "sdiffstore");
        return;
    }
    reply_members(c, out);
    set_free(out);
}

/* SUNION key [key ...] */
void cmd_sunion(session *c) { sunion_diff_generic(c, c->args.argv + 1, c->args.argc - 1, NULL, OP_UNION); }

/* SUNIONSTORE destination key [key ...] */
void cmd_sunionstore(session *c)
{
    sunion_diff_generic(c, c->args.argv + 2, c->args.argc - 2, c->args.argv[1], OP_UNION);
}

/* SDIFF key [key ...] */
void cmd_sdiff(session *c) { sunion_diff_generic(c, c->args.argv + 1, c->args.argc - 1, NULL, OP_DIFF); }

/* SDIFFSTORE destination key [key ...] */
void cmd_sdiffstore(session *c)
{
    sunion_diff_generic(c, c->args.argv + 2, c->args.argc - 2, c->args.argv[1], OP_DIFF);
}

/* ---- SSCAN ------------------------------------------------------------ */


typedef struct scan_out {
    set_elem *v;
    size_t n, cap;
} scan_out;

static void scan_collect(void *priv, const set_elem *e)
{
    scan_out *o = priv;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->v = xrealloc(o->v, o->cap * sizeof *o->v);
    }
    o->v[o->n++] = *e;
}

/* SSCAN key cursor [MATCH pattern] [COUNT count] */
void cmd_sscan(session *c)
{
    unsigned long cursor;
    scan_args sa;
    obj *o = scan_lookup(c, OBJ_SET, &cursor, &sa);
    if (!o) return;

    scan_out out = {0};
    set *st = o->ptr;
    if (set_encoding(st) == SET_INTSET) {
        set_scan(st, 0, scan_collect, &out);
        cursor = 0;
    } else {
        unsigned long steps = 0;
        do {
            cursor = set_scan(st, cursor, scan_collect, &out);
        } while (scan_more(cursor, ++steps, out.n, sa.count));
    }

    scan_reply_cursor(c, cursor);
    void *h = reply_defer(c);
    long n = 0;
    for (size_t i = 0; i < out.n; i++) {
        char buf[24];
        size_t len;
        const char *m = set_elem_str(&out.v[i], buf, &len);
        if (sa.pat && !glob_match(sa.pat, sa.plen, m, len, 0)) continue;
        reply_bulk(c, m, len);
        n++;
    }
    reply_set_array_len(c, h, n);
    xfree(out.v);
}
