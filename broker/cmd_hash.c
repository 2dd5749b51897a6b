/* cmd_hash.c — hash commands: HSET HSETNX HGET HMGET HMSET HDEL HLEN
 * HSTRLEN HEXISTS HGETALL HKEYS HVALS HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
 *
 * The data structure is broker/types/hash.c; this file parses arguments,
 * keeps obj->encoding in step with the hash (ENC_LISTPACK while packed,
 * ENC_HASHTABLE after, as OBJECT ENCODING reports it), and follows the
 * handler recipe of docs/internals.md.  Replies and errors are Redis
 * 7.0's.  A hash that becomes empty is deleted, so no empty hash is ever
 * stored; a missing key reads as an empty hash.
 */
#include "server.h"
#include "scan_args.h"
#include "commands.h"
#include "effect.h"
#include "glob.h"
#include "alloc.h"
#include "hash.h"
#include "notify.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the registered value type -------------------------------------- */

static void hash_obj_free(obj *o) { hash_free(o->ptr); }
static obj *hash_obj_dup(const obj *o) { return obj_new(OBJ_HASH, o->encoding, hash_dup(o->ptr)); }
static size_t hash_obj_mem(const obj *o) { return hash_mem(o->ptr); }

/* hash_obj_rewrite (snapshot interface, object.h): HSET key <up to
 * OBJ_REWRITE_BATCH field-value pairs>, in storage order. */
static int hash_obj_rewrite(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    const char *argv[2 + 2 * OBJ_REWRITE_BATCH];
    size_t lens[2 + 2 * OBJ_REWRITE_BATCH];
    argv[0] = "HSET";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = klen;
    int n = 0, rc = 0;
    hash_iter it;
    hash_entry e;
    hash_iter_init(&it, o->ptr);
    while (rc == 0 && hash_next(&it, &e)) {
        argv[2 + 2 * n] = e.f;
        lens[2 + 2 * n] = e.flen;
        argv[3 + 2 * n] = e.v;
        lens[3 + 2 * n] = e.vlen;
        if (++n == OBJ_REWRITE_BATCH) {
            rc = emit(priv, 2 + 2 * n, argv, lens);
            n = 0;
        }
    }
    hash_iter_done(&it);
    if (rc == 0 && n) rc = emit(priv, 2 + 2 * n, argv, lens);
    return rc ? -1 : 0;
}

const obj_type hash_obj_type = {
    .name = "hash", .free = hash_obj_free, .dup = hash_obj_dup, .mem = hash_obj_mem, .rewrite = hash_obj_rewrite};

/* The conversion thresholds: hash-max-listpack-entries / -value. */
static hash_limits limits(const server *s)
{
    hash_limits l = {(size_t)s->cfg.hash_max_listpack_entries, (size_t)s->cfg.hash_max_listpack_value};
    return l;
}

static void sync_encoding(obj *o)
{
    o->encoding = hash_is_packed(o->ptr) ? ENC_LISTPACK : ENC_HASHTABLE;
}

/* lookup returns the hash at key, NULL if absent (*err 0), or NULL with
 * WRONGTYPE already replied (*err 1).  write: lookup for write. */
static obj *lookup(session *c, const char *key, int write, int *err)
{
    obj *o = write ? db_lookup_write(c->srv, c->db, key) : db_lookup_read(c->srv, c->db, key, 0);
    *err = 0;
    if (o && o->type != OBJ_HASH) {
        reply_err_wrongtype(c);
        *err = 1;
        return NULL;
    }
    return o;
}

/* create adds an empty hash at key (known absent) and returns it. */
static obj *create(session *c, const char *key)
{
    obj *o = obj_new(OBJ_HASH, ENC_LISTPACK, hash_new());
    db_add(c->srv, c->db, key, o);
    return o;
}

/* set_one stores field = v (vlen bytes) in o's hash, first creating the
 * hash at key when o is NULL (the key is then known absent); returns the
 * object.  The caller replies, then calls written. */
static obj *set_one(session *c, obj *o, const char *key, const char *field, const char *v, size_t vlen)
{
    if (!o) o = create(c, key);
    hash_limits lim = limits(c->srv);
    hash_set(o->ptr, field, v, vlen, &lim);
    return o;
}

/* written ends a write to key: encoding, WATCH/blockers, dirty. */
static void written(session *c, obj *o, const char *key, long long dirty)
{
    sync_encoding(o);
    db_signal_modified(c->srv, c->db, key);
    c->srv->dirty += dirty;
}

/* ---- HSET, HMSET, HSETNX ----------------------------------------------- */

static void hset_generic(session *c, int hmset)
{
    argv_t *a = &c->args;
    if (a->argc % 2 == 1) {
        reply_err_arity(c);
        return;
    }
    const char *key = a->argv[1];
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    if (!o) o = create(c, key);
    hash *h = o->ptr;
    hash_limits lim = limits(c->srv);
    long long created = 0;
    for (int i = 2; i < a->argc; i += 2)
        created += hash_set(h, a->argv[i], a->argv[i + 1], sbuf_len(a->argv[i + 1]), &lim);
    if (hmset) reply_ok(c);
    else reply_int(c, created);
    written(c, o, key, (a->argc - 2) / 2);
    notify_keyspace_event(c->srv, NOTIFY_HASH, "hset", key, c->dbid);
}

/* HSET key field value [field value ...] */
void cmd_hset(session *c) { hset_generic(c, 0); }

/* HMSET key field value [field value ...] */
void cmd_hmset(session *c) { hset_generic(c, 1); }

/* HSETNX key field value */
void cmd_hsetnx(session *c)
{
    argv_t *a = &c->args;
    const char *key = a->argv[1];
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    if (o && hash_exists(o->ptr, a->argv[2])) {
        reply_int(c, 0);
        return;
    }
    o = set_one(c, o, key, a->argv[2], a->argv[3], sbuf_len(a->argv[3]));
    reply_int(c, 1);
    written(c, o, key, 1);
    notify_keyspace_event(c->srv, NOTIFY_HASH, "hset", key, c->dbid);
}

/* ---- HGET, HMGET, HEXISTS, HSTRLEN, HLEN ------------------------------- */

/* HGET key field */
void cmd_hget(session *c)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    const char *v;
    size_t n;
    if (o && hash_get(o->ptr, c->args.argv[2], &v, &n)) reply_bulk(c, v, n);
    else reply_null(c);
}

/* HMGET key field [field ...] */
void cmd_hmget(session *c)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    reply_array(c, c->args.argc - 2);
    for (int i = 2; i < c->args.argc; i++) {
        const char *v;
        size_t n;
        if (o && hash_get(o->ptr, c->args.argv[i], &v, &n)) reply_bulk(c, v, n);
        else reply_null(c);
    }
}

/* HEXISTS key field */
void cmd_hexists(session *c)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    reply_int(c, o && hash_exists(o->ptr, c->args.argv[2]));
}

/* HSTRLEN key field */
void cmd_hstrlen(session *c)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    const char *v;
    size_t n = 0;
    if (!o || !hash_get(o->ptr, c->args.argv[2], &v, &n)) n = 0;
    reply_int(c, (long long)n);
}

/* HLEN key */
void cmd_hlen(session *c)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    reply_int(c, o ? (long long)hash_len(o->ptr) : 0);
}

/* ---- HDEL -------------------------------------------------------------- */

/* HDEL key field [field ...] */
void cmd_hdel(session *c)
{
    argv_t *a = &c->args;
    const char *key = a->argv[1];
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    hash *h = o->ptr;
    long long deleted = 0;
    int removed = 0;
    for (int i = 2; i < a->argc; i++) {
        if (!hash_delete(h, a->argv[i])) continue;
        deleted++;
        if (hash_len(h) == 0) {
            removed = 1;
            break;
        }
    }
    reply_int(c, deleted);
    if (!deleted) return;
    notify_keyspace_event(c->srv, NOTIFY_HASH, "hdel", key, c->dbid);
    if (removed) {
        db_delete(c->srv, c->db, key);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key, c->dbid);
        db_signal_modified(c->srv, c->db, key);
        c->srv->dirty += deleted;
    } else {
        written(c, o, key, deleted);
    }
}

/* ---- HGETALL, HKEYS, HVALS --------------------------------------------- */

enum { WANT_FIELDS = 1, WANT_VALUES = 2 };

static void getall_generic(session *c, int want)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    size_t n = o ? hash_len(o->ptr) : 0;
    if (want == (WANT_FIELDS | WANT_VALUES)) reply_map(c, (long)n);
    else reply_array(c, (long)n);
    if (!o) return;
    hash_iter it;
    hash_entry e;
    hash_iter_init(&it, o->ptr);
    while (hash_next(&it, &e)) {
        if (want & WANT_FIELDS) reply_bulk(c, e.f, e.flen);
        if (want & WANT_VALUES) reply_bulk(c, e.v, e.vlen);
    }
    hash_iter_done(&it);
}

/* HGETALL key */
void cmd_hgetall(session *c) { getall_generic(c, WANT_FIELDS | WANT_VALUES); }
/* HKEYS key */
void cmd_hkeys(session *c) { getall_generic(c, WANT_FIELDS); }
/* HVALS key */
void cmd_hvals(session *c) { getall_generic(c, WANT_VALUES); }

/* ---- HINCRBY, HINCRBYFLOAT --------------------------------------------- */

/* HINCRBY key field increment */
void cmd_hincrby(session *c)
{
    argv_t *a = &c->args;
    const char *key = a->argv[1], *field = a->argv[2];
    long long incr, value = 0;
    if (!str_to_ll(a->argv[3], sbuf_len(a->argv[3]), &incr)) {
        reply_err_notint(c);
        return;
    }
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    const char *v;
    size_t vlen;
    if (o && hash_get(o->ptr, field, &v, &vlen) && !str_to_ll(v, vlen, &value)) {
        reply_error(c, "ERR hash value is not an integer");
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;
    char buf[24];
    int n = ll_to_str(buf, sizeof buf, value);
    o = set_one(c, o, key, field, buf, (size_t)n);
    reply_int(c, value);
    written(c, o, key, 1);
    notify_keyspace_event(c->srv, NOTIFY_HASH, "hincrby", key, c->dbid);
}

#define LD_STR_MAX (5 * 1024)

/* HINCRBYFLOAT key field increment */
void cmd_hincrbyfloat(session *c)
{
    argv_t *a = &c->args;
    const char *key = a->argv[1], *field = a->argv[2];
    long double incr, value = 0;
    if (!str_to_ld(a->argv[3], sbuf_len(a->argv[3]), &incr)) {
        reply_err_notfloat(c);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    int err;
    obj *o = lookup(c, key, 1, &err);
    if (err) return;
    const char *v;
    size_t vlen;
    if (o && hash_get(o->ptr, field, &v, &vlen) && !str_to_ld(v, vlen, &value)) {
        reply_error(c, "ERR hash value is not a float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_STR_MAX];
    int n = ld_to_str(buf, sizeof buf, value, 1);
    o = set_one(c, o, key, field, buf, (size_t)n);
    reply_bulk(c, buf, (size_t)n);
    written(c, o, key, 1);
    notify_keyspace_event(c->srv, NOTIFY_HASH, "hincrbyfloat", key, c->dbid);
    /* Replay must not depend on float formatting: HSET key field <result>. */
    const char *ev[4] = {"HSET", key, field, buf};
    size_t el[4] = {4, sbuf_len(key), sbuf_len(field), (size_t)n};
    effect_rewrite(c, 4, ev, el);
}

/* ---- HRANDFIELD -------------------------------------------------------- */

/* Negative counts are served in batches so the index stays small. */
#define RANDFIELD_BATCH 1000

static void reply_pairs(session *c, const hash_entry *e, size_t n, int withvalues)
{
    for (size_t i = 0; i < n; i++) {
        if (withvalues && c->resp > 2) reply_array(c, 2);
        reply_bulk(c, e[i].f, e[i].flen);
        if (withvalues) reply_bulk(c, e[i].v, e[i].vlen);
    }
}

static void hrandfield_count(session *c, long l, int withvalues)
{
    int err;
    obj *o = lookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    if (!o || l == 0) {
        reply_empty_array(c);
        return;
    }
    hash *h = o->ptr;
    size_t size = hash_len(h);
    int uniq = l > 0;
    unsigned long count = uniq ? (unsigned long)l : (unsigned long)-l;
    int flat = withvalues && c->resp == 2;

    if (!uniq || count == 1) {
        /* Repeats allowed: independent picks, in random order. */
        reply_array(c, (long)(flat ? count * 2 : count));
        size_t batch = count < RANDFIELD_BATCH ? count : RANDFIELD_BATCH;
        hash_entry *e = xmalloc(batch * sizeof(*e));
        while (count) {
            size_t k = count < batch ? count : batch;
            hash_random_many(h, e, k);
            reply_pairs(c, e, k, withvalues);
            count -= k;
        }
        xfree(e);
        return;
    }

    size_t n = count < size ? count : size;
    reply_array(c, (long)(flat ? n * 2 : n));
    if (count >= size) {
        /* All of them, in storage order. */
        hash_iter it;
        hash_entry e;
        hash_iter_init(&it, h);
        while (hash_next(&it, &e)) reply_pairs(c, &e, 1, withvalues);
        hash_iter_done(&it);
        return;
    }
    hash_entry *e = xmalloc(n * sizeof(*e));
    hash_random_unique(h, e, n);
    reply_pairs(c, e, n, withvalues);
    xfree(e);
}

/* HRANDFIELD key [count [WITHVALUES]] */
void cmd_hrandfield(session *c)
{
    argv_t *a = &c->args;
    if (a->argc >= 3) {
        long count;
        int withvalues;
        if (randcount_args_parse(c, "withvalues", &count, &withvalues) == 0) hrandfield_count(c, count, withvalues);
        return;
    }
    int err;
    obj *o = lookup(c, a->argv[1], 0, &err);
    if (err) return;
    if (!o) {
        reply_null(c);
        return;
    }
    hash_entry e;
    hash_random(o->ptr, &e);
    reply_bulk(c, e.f, e.flen);
}

/* ---- HSCAN ------------------------------------------------------------- */

struct scan_out {
    hash_entry *v;
    size_t n, cap;
};

static void scan_collect(void *priv, const hash_entry *e)
{
    struct scan_out *k = priv;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 16;
        k->v = xrealloc(k->v, k->cap * sizeof(*k->v));
    }
    k->v[k->n++] = *e;
}


/* HSCAN key cursor [MATCH pattern] [COUNT count] */
void cmd_hscan(session *c)
{
    unsigned long cursor;
    scan_args sa;
    obj *o = scan_lookup(c, OBJ_HASH, &cursor, &sa);
    if (!o) return;

    /* A packed hash is returned whole with cursor 0; a dict bucket by
     * bucket until count pairs, at most ten times count buckets. */
    hash *h = o->ptr;
    struct scan_out k = {0};
    if (hash_is_packed(h)) {
        cursor = hash_scan(h, cursor, scan_collect, &k);
    } else {
        unsigned long steps = 0;
        do {
            cursor = hash_scan(h, cursor, scan_collect, &k);
        } while (scan_more(cursor, ++steps, k.n, sa.count));
    }

    scan_reply_cursor(c, cursor);
    void *hd = reply_defer(c);
    long n = 0;
    for (size_t i = 0; i < k.n; i++) {
        if (sa.pat && !glob_match(sa.pat, sa.plen, k.v[i].f, k.v[i].flen, 0)) continue;
        reply_bulk(c, k.v[i].f, k.v[i].flen);
        reply_bulk(c, k.v[i].v, k.v[i].vlen);
        n += 2;
    }
    reply_set_array_len(c, hd, n);
    xfree(k.v);
}
