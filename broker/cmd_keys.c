/* cmd_keys.c — generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN
 * RENAME RENAMENX RANDOMKEY MOVE COPY TOUCH OBJECT, and the expiry commands
 * EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST.
 *
 * Semantics, replies and error texts follow Redis 7.0.  Effects: the EXPIRE
 * family is rewritten to `PEXPIREAT key <abs ms>`, or to `DEL key` when the
 * time is already past (the key is deleted then); every other command here
 * replays deterministically from its own argv.
 */
#include "notify.h"
#include "server.h"
#include "scan_args.h"
#include "commands.h"
#include "effect.h"
#include "glob.h"
#include "alloc.h"

#include <errno.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers ---------------------------------------------------------- */

/* parse_int_arg parses a C int like Redis's getIntFromObjectOrReply, replying
 * the error itself; 0 ok, -1 replied. */
static int parse_int_arg(session *c, const char *arg, int *out)
{
    long long v;
    if (!str_to_ll(arg, sbuf_len(arg), &v)) {
        reply_err_notint(c);
        return -1;
    }
    if (v < INT_MIN || v > INT_MAX) {
        reply_errorf(c, "ERR value is out of range, value must between %d and %d", INT_MIN, INT_MAX);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* db_by_index returns db id of c's server, or NULL when out of range. */
static db *db_by_index(session *c, int id)
{
    if (id < 0 || id >= c->srv->ndb) return NULL;
    return &c->srv->dbs[id];
}

static int same_key(const char *a, const char *b)
{
    size_t n = sbuf_len(a);
    return n == sbuf_len(b) && memcmp(a, b, n) == 0;
}

/* dup_value deep-copies a value for COPY.  Strings keep their encoding as
 * Redis's dupStringObject does (an int copy is a fresh, unshared object). */
static obj *dup_value(const obj *o)
{
    if (o->type == OBJ_STRING) {
        switch (o->encoding) {
        case ENC_INT: return obj_new(OBJ_STRING, ENC_INT, o->ptr);
        case ENC_EMBSTR: return obj_new_string_raw(o->ptr, sbuf_len(o->ptr));
        default: return obj_new(OBJ_STRING, ENC_RAW, sbuf_new(o->ptr, sbuf_len(o->ptr)));
        }
    }
    return obj_dup(o);
}

/* ---- DEL, UNLINK, EXISTS, TYPE, TOUCH ---------------------------------- */

static void del_generic(session *c, int lazy)
{
    server *s = c->srv;
    long long deleted = 0;
    for (int j = 1; j < c->args.argc; j++) {
        const char *key = c->args.argv[j];
        db_expire_if_needed(s, c->db, key);
        int ok = lazy ? db_delete_async(s, c->db, key) : db_delete(s, c->db, key);
        if (ok) {
            db_signal_modified(s, c->db, key);
            s->dirty++;
            notify_keyspace_event(s, NOTIFY_GENERIC, "del", key, c->dbid);
            deleted++;
        }
    }
    reply_int(c, deleted);
}

/* DEL key [key ...] */
void cmd_del(session *c) { del_generic(c, 0); }

/* UNLINK key [key ...] */
void cmd_unlink(session *c) { del_generic(c, 1); }

/* EXISTS key [key ...]  (a key named twice counts twice) */
void cmd_exists(session *c)
{
    long long n = 0;
    for (int j = 1; j < c->args.argc; j++)
        if (db_lookup_read(c->srv, c->db, c->args.argv[j], LOOKUP_NOTOUCH)) n++;
    reply_int(c, n);
}

/* TYPE key */
void cmd_type(session *c)
{
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[1], LOOKUP_NOTOUCH);
    reply_simple(c, o ? obj_type_name(o) : "none");
}

/* TOUCH key [key ...] */
void cmd_touch(session *c)
{
    long long n = 0;
    for (int j = 1; j < c->args.argc; j++)
        if (db_lookup_read(c->srv, c->db, c->args.argv[j], 0)) n++;
    reply_int(c, n);
}

/* ---- KEYS, SCAN, RANDOMKEY -------------------------------------------- */

/* KEYS pattern */
void cmd_keys(session *c)
{
    server *s = c->srv;
    db *d = c->db;
    const char *pat = c->args.argv[1];
    size_t plen = sbuf_len(pat);
    int all = plen == 1 && pat[0] == '*';

    if (!all && glob_is_literal(pat, plen)) {
        /* One key at most: a lookup instead of a walk. */
        dict_entry *e = dict_find(d->keys, pat);
        if (e && !db_key_is_expired(s, d, e->key)) {
            reply_array(c, 1);
            reply_bulk(c, e->key, sbuf_len(e->key));
        } else {
            reply_empty_array(c);
        }
        return;
    }

    void *h = reply_defer(c);
    long n = 0;
    dict_iter it;
    dict_iter_init(&it, d->keys, 1);
    dict_entry *e;
    while ((e = dict_next(&it)) != NULL) {
        const char *key = e->key;
        size_t klen = sbuf_len(key);
        if (!all && !glob_match(pat, plen, key, klen, 0)) continue;
        if (db_key_is_expired(s, d, key)) continue;     /* skipped, not deleted, as Redis */
        reply_bulk(c, key, klen);
        n++;
    }
    dict_iter_done(&it);
    reply_set_array_len(c, h, n);
}

struct scan_keys {
    const char **v;
    size_t n, cap;
};

static void scan_collect(void *priv, const dict_entry *e)
{
    struct scan_keys *k = priv;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 16;
        k->v = xrealloc(k->v, k->cap * sizeof *k->v);
    }
    k->v[k->n++] = e->key;
}


/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
void cmd_scan(session *c)
{
    server *s = c->srv;
    db *d = c->db;
    unsigned long cursor;
    if (scan_cursor_arg(c, 1, &cursor) < 0) return;

    scan_args sa;
    if (scan_parse_options(c, 2, 1, &sa) < 0) return;
    long count = sa.count;
    const char *pat = sa.pat, *type = sa.type;
    size_t plen = sa.plen;

    /* Visit buckets until count keys are gathered, the walk ends, or ten
     * times count buckets were visited, so a sparse table cannot stall the
     * loop.  Redis counts calls; a call on a rehashing table visits one
     * bucket of the small table and all its expansions in the large one,
     * which after a mass delete can be thousands of buckets, so we count
     * buckets (one call at least). */
    struct scan_keys k = {0};
    unsigned long per_call = 1, visited = 0;
    unsigned long maxbuckets = (unsigned long)count > ULONG_MAX / 10 ? ULONG_MAX : (unsigned long)count * 10;
    if (dict_is_rehashing(d->keys)) {
        size_t x = d->keys->size[0], y = d->keys->size[1];
        per_call += x > y ? x / y : y / x;
    }
    do {
        cursor = dict_scan(d->keys, cursor, scan_collect, &k);
        visited += per_call;
    } while (cursor && visited <= maxbuckets && k.n < (size_t)count);

    reply_array(c, 2);
    reply_bulk_ll(c, (long long)cursor);
    void *h = reply_defer(c);
    long n = 0;
    for (size_t i = 0; i < k.n; i++) {
        /* k.v[i] is the db's own key: once expired and deleted it is freed,
         * so it is not looked at again after a lookup that expired it. */
        const char *key = k.v[i];
        if (pat && !glob_match(pat, plen, key, sbuf_len(key), 0)) continue;
        if (type) {
            obj *o = db_lookup_read(s, d, key, LOOKUP_NOTOUCH);
            if (!o || strcasecmp(type, obj_type_name(o)) != 0) continue;
        } else if (db_expire_if_needed(s, d, key)) {
            continue;
        }
        reply_bulk(c, key, sbuf_len(key));
        n++;
    }
    reply_set_array_len(c, h, n);
    xfree(k.v);
}

/* RANDOMKEY */
void cmd_randomkey(session *c)
{
    const char *key = db_random_key(c->srv, c->db);
    if (!key) reply_null(c);
    else reply_bulk(c, key, sbuf_len(key));
}

/* ---- RENAME, RENAMENX, MOVE, COPY ------------------------------------- */

static void rename_generic(session *c, int nx)
{
    server *s = c->srv;
    db *d = c->db;
    const char *src = c->args.argv[1], *dst = c->args.argv[2];

    if (!db_lookup_write(s, d, src)) {
        reply_err_nokey(c);
        return;
    }
    if (same_key(src, dst)) {
        if (nx) reply_int(c, 0);
        else reply_ok(c);
        return;
    }
    if (db_lookup_write(s, d, dst)) {
        if (nx) {
            reply_int(c, 0);
            return;
        }
        db_delete(s, d, dst);
    }
    long long when = db_get_expire(d, src);
    obj *o = db_take(s, d, src);
    db_add(s, d, dst, o);
    if (when != -1) db_set_expire(s, d, dst, when);
    db_signal_modified(s, d, src);
    db_signal_modified(s, d, dst);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_GENERIC, "rename_from", src, c->dbid);
    notify_keyspace_event(s, NOTIFY_GENERIC, "rename_to", dst, c->dbid);
    if (nx) reply_int(c, 1);
    else reply_ok(c);
}

/* RENAME key newkey */
void cmd_rename(session *c) { rename_generic(c, 0); }

/* RENAMENX key newkey */
void cmd_renamenx(session *c) { rename_generic(c, 1); }

/* MOVE key db */
void cmd_move(session *c)
{
    server *s = c->srv;
    db *src = c->db;
    const char *key = c->args.argv[1];
    int id;
    if (parse_int_arg(c, c->args.argv[2], &id) < 0) return;
    db *dst = db_by_index(c, id);
    if (!dst) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    if (dst == src) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    if (!db_lookup_write(s, src, key) || db_lookup_write(s, dst, key)) {
        reply_int(c, 0);
        return;
    }
    long long when = db_get_expire(src, key);
    obj *o = db_take(s, src, key);
    db_add(s, dst, key, o);
    if (when != -1) db_set_expire(s, dst, key, when);
    db_signal_modified(s, src, key);
    db_signal_modified(s, dst, key);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_GENERIC, "move_from", key, c->dbid);
    notify_keyspace_event(s, NOTIFY_GENERIC, "move_to", key, id);
    reply_int(c, 1);
}

/* COPY source destination [DB destination-db] [REPLACE] */
void cmd_copy(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    db *src = c->db, *dst = c->db;
    int replace = 0;
    for (int j = 3; j < a->argc; j++) {
        if (!strcasecmp(a->argv[j], "replace")) {
            replace = 1;
        } else if (!strcasecmp(a->argv[j], "db") && j + 1 < a->argc) {
            int id;
            if (parse_int_arg(c, a->argv[j + 1], &id) < 0) return;
            if (!(dst = db_by_index(c, id))) {
                reply_error(c, "ERR DB index is out of range");
                return;
            }
            j++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    const char *key = a->argv[1], *newkey = a->argv[2];
    if (src == dst && same_key(key, newkey)) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    obj *o = db_lookup_read(s, src, key, 0);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    long long when = db_get_expire(src, key);
    int exists = db_lookup_write(s, dst, newkey) != NULL;
    if (exists && !replace) {
        reply_int(c, 0);
        return;
    }
    obj *copy = dup_value(o);
    if (!copy) {
        reply_error(c, "ERR unknown type object");
        return;
    }
    if (exists) db_delete(s, dst, newkey);
    db_add(s, dst, newkey, copy);
    if (when != -1) db_set_expire(s, dst, newkey, when);
    db_signal_modified(s, dst, newkey);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_GENERIC, "copy_to", newkey, dst->id);
    reply_int(c, 1);
}

/* ---- OBJECT ----------------------------------------------------------- */

/* object_lookup finds argv[2] without touching its access time; replies
 * null and returns NULL when absent. */
static obj *object_lookup(session *c)
{
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[2], LOOKUP_NOTOUCH | LOOKUP_NONOTIFY);
    if (!o) reply_null(c);
    return o;
}

/* OBJECT ENCODING key */
void cmd_object_encoding(session *c)
{
    obj *o = object_lookup(c);
    if (o) reply_bulk_cstr(c, obj_encoding_name(o));
}

/* OBJECT FREQ key  (no LFU policy exists, so always the error, as Redis
 * under an LRU or no-eviction policy) */
void cmd_object_freq(session *c)
{
    if (!object_lookup(c)) return;
    reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                   "Please note that when switching between policies at runtime LRU and LFU data "
                   "will take some time to adjust.");
}

/* OBJECT IDLETIME key: seconds since the last access, from the 24-bit
 * seconds clock (wrapping as Redis's).  Shared integers carry no access
 * time of their own and report 0. */
void cmd_object_idletime(session *c)
{
    obj *o = object_lookup(c);
    if (!o) return;
    long long idle = 0;
    if (o->refcount != OBJ_SHARED_REFCOUNT) {
        unsigned now = obj_lru_clock, lru = o->lru;
        idle = now >= lru ? (long long)(now - lru) : (long long)now + (LRU_CLOCK_MAX - lru);
    }
    reply_int(c, idle);
}

/* OBJECT REFCOUNT key */
void cmd_object_refcount(session *c)
{
    obj *o = object_lookup(c);
    if (o) reply_int(c, o->refcount);
}

/* OBJECT HELP */
void cmd_object_help(session *c)
{
    static const char *const help[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c, help, sizeof help / sizeof help[0]);
}

/* ---- EXPIRE family ---------------------------------------------------- */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* parse_expire_flags reads NX|XX|GT|LT from argv[3...]; 0 ok, -1 replied. */
static int parse_expire_flags(session *c, int *flags)
{
    *flags = 0;
    for (int j = 3; j < c->args.argc; j++) {
        const char *opt = c->args.argv[j];
        if (!strcasecmp(opt, "nx")) *flags |= EXP_NX;
        else if (!strcasecmp(opt, "xx")) *flags |= EXP_XX;
        else if (!strcasecmp(opt, "gt")) *flags |= EXP_GT;
        else if (!strcasecmp(opt, "lt")) *flags |= EXP_LT;
        else {
            reply_errorf(c, "ERR Unsupported option %s", opt);
            return -1;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

/* expire_allowed applies NX/XX/GT/LT to the key's current expiry (-1: none,
 * which counts as an infinite TTL for GT and LT). */
static int expire_allowed(int flags, long long cur, long long when)
{
    if ((flags & EXP_NX) && cur != -1) return 0;
    if ((flags & EXP_XX) && cur == -1) return 0;
    if ((flags & EXP_GT) && (cur == -1 || when <= cur)) return 0;
    if ((flags & EXP_LT) && cur != -1 && when >= cur) return 0;
    return 1;
}

/* expire_generic: the time argument is relative to basetime (ms; 0 for the
 * *AT forms) in seconds or milliseconds. */
static void expire_generic(session *c, long long basetime, int seconds)
{
    server *s = c->srv;
    db *d = c->db;
    const char *key = c->args.argv[1], *arg = c->args.argv[2];
    int flags;
    if (parse_expire_flags(c, &flags) < 0) return;

    long long when;
    if (!str_to_ll(arg, sbuf_len(arg), &when)) {
        reply_err_notint(c);
        return;
    }
    /* Negative times are allowed (the key goes at once); overflow is not. */
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto overflow;
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime) goto overflow;
    when += basetime;

    if (!db_lookup_write(s, d, key) || !expire_allowed(flags, db_get_expire(d, key), when)) {
        reply_int(c, 0);
        return;
    }

    size_t klen = sbuf_len(key);
    if (when <= s->mstime && !s->loading) {
        const char *argv[2] = {"DEL", key};
        size_t lens[2] = {3, klen};
        db_delete(s, d, key);
        effect_rewrite(c, 2, argv, lens);
        notify_keyspace_event(s, NOTIFY_GENERIC, "del", key, c->dbid);
    } else {
        char num[24];
        int nlen = ll_to_str(num, sizeof num, when);
        const char *argv[3] = {"PEXPIREAT", key, num};
        size_t lens[3] = {9, klen, (size_t)nlen};
        db_set_expire(s, d, key, when);
        effect_rewrite(c, 3, argv, lens);
        notify_keyspace_event(s, NOTIFY_GENERIC, "expire", key, c->dbid);
    }
    db_signal_modified(s, d, key);
    s->dirty++;
    reply_int(c, 1);
    return;

overflow:
    reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
}

/* EXPIRE key seconds [NX | XX | GT | LT] */
void cmd_expire(session *c) { expire_generic(c, c->srv->mstime, 1); }

/* PEXPIRE key milliseconds [NX | XX | GT | LT] */
void cmd_pexpire(session *c) { expire_generic(c, c->srv->mstime, 0); }

/* EXPIREAT key unix-time-seconds [NX | XX | GT | LT] */
void cmd_expireat(session *c) { expire_generic(c, 0, 1); }

/* PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] */
void cmd_pexpireat(session *c) { expire_generic(c, 0, 0); }

/* ttl_generic: -2 no key, -1 no expiry, else the remaining (or, abs, the
 * absolute) time in ms or rounded seconds. */
static void ttl_generic(session *c, int ms, int abs)
{
    server *s = c->srv;
    const char *key = c->args.argv[1];
    if (!db_lookup_read(s, c->db, key, LOOKUP_NOTOUCH)) {
        reply_int(c, -2);
        return;
    }
    long long when = db_get_expire(c->db, key);
    if (when == -1) {
        reply_int(c, -1);
        return;
    }
    long long t = abs ? when : when - s->mstime;
    if (t < 0) t = 0;
    /* Rounded to the nearest second; unsigned so that t near LLONG_MAX
     * cannot overflow (Redis answers the exact quotient there too). */
    reply_int(c, ms ? t : (long long)(((unsigned long long)t + 500) / 1000));
}

/* TTL key */
void cmd_ttl(session *c) { ttl_generic(c, 0, 0); }

/* PTTL key */
void cmd_pttl(session *c) { ttl_generic(c, 1, 0); }

/* EXPIRETIME key */
void cmd_expiretime(session *c) { ttl_generic(c, 0, 1); }

/* PEXPIRETIME key */
void cmd_pexpiretime(session *c) { ttl_generic(c, 1, 1); }

/* PERSIST key */
void cmd_persist(session *c)
{
    server *s = c->srv;
    const char *key = c->args.argv[1];
    if (!db_lookup_write(s, c->db, key) || !db_remove_expire(c->db, key)) {
        reply_int(c, 0);
        return;
    }
    db_signal_modified(s, c->db, key);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_GENERIC, "persist", key, c->dbid);
    reply_int(c, 1);
}
