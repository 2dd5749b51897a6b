/* cmd_string.c — string commands: GET SET SETNX SETEX PSETEX MGET MSET
 * MSETNX GETSET GETDEL GETEX APPEND STRLEN GETRANGE/SUBSTR SETRANGE
 * INCR DECR INCRBY DECRBY INCRBYFLOAT.
 *
 * Semantics, checks and error texts follow Redis 7.0 (argument errors
 * before key lookups where Redis does so, SET's option grammar, the
 * proto-max-bulk-len limit, integer/embstr/raw encodings).
 *
 * Design notes.
 *
 * Values are stored without copying: a SET value is moved out of the
 * command's argv (argv_take) into the object, so a 100 MB SET costs no
 * memcpy.  The argv slot keeps pointing at those bytes, which the stored
 * object now owns; the effect emitted after the handler reads them there.
 *
 * Effect rewrites are done in place on the command's own argv (as Redis's
 * rewriteClientCommandVector does) instead of through effect_rewrite: the
 * key and value keep their sbufs and only the few small literals ("SET",
 * "PXAT", the time) are added, so SET k <big> EX 10 still copies nothing.
 * The dispatcher then emits c->args as the effect.
 *
 * MSET/MSETNX emit their effect themselves *before* storing: with a key
 * given twice (MSET k a k b) the first stored value is freed by the second
 * store, and with it the argv slot the effect would have read.
 */
#include "notify.h"
#include "server.h"
#include "commands.h"
#include "effect.h"

#include <limits.h>
#include <math.h>
#include <string.h>
#include <strings.h>

/* ---- helpers ---------------------------------------------------------- */

/* opt_is: argument a equals word ignoring case, compared as a C string (as
 * Redis does, so "nx\0junk" is NX there and here). */
static int opt_is(const char *a, const char *word) { return strcasecmp(a, word) == 0; }

/* take_value stores argv[i] in a new string object without copying it. */
static obj *take_value(session *c, int i)
{
    sbuf v = c->args.argv[i];
    /* A small argument lives in the argv arena: one copy is the least.  A
     * short heap one (queued by MULTI) is copied too: obj_new_string_sbuf
     * would free it for an int/embstr, leaving argv[i] dangling for the
     * effect. */
    if (!c->args.heap[i] || sbuf_len(v) <= OBJ_EMBSTR_MAX) return obj_new_string(v, sbuf_len(v));
    obj *o = obj_new_string_sbuf(argv_take(&c->args, i));
    /* Keep the slot readable for the effect, should the sbuf have moved. */
    if (o->encoding == ENC_RAW) c->args.argv[i] = o->ptr;
    return o;
}

static void reply_string(session *c, const obj *o)
{
    char buf[24];
    size_t n;
    const char *p = obj_string_ptr(o, buf, &n);
    reply_bulk(c, p, n);
}

/* get_generic is GET's body for GET-like commands: replies the value or a
 * null; returns -1 (after WRONGTYPE) for a non-string.  *out gets the
 * object or NULL. */
static int get_generic(session *c, obj **out)
{
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[1], 0);
    *out = o;
    if (!o) {
        reply_null(c);
        return 0;
    }
    if (o->type != OBJ_STRING) {
        reply_err_wrongtype(c);
        return -1;
    }
    reply_string(c, o);
    return 0;
}

/* check_len: would a string of size + append bytes exceed proto-max-bulk-len
 * (or overflow)?  Replies the error and returns -1 if so. */
static int check_len(session *c, long long size, long long append)
{
    unsigned long long total = (unsigned long long)size + (unsigned long long)append;
    if (total > (unsigned long long)config_max_bulk(&c->srv->cfg)) {
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

/* ---- effects in place -------------------------------------------------- */

/* One slot of a rewritten argv: the command's own argument idx (>= 0), or
 * the literal lit[0..len). */
typedef struct {
    int idx;
    const char *lit;
    size_t len;
} eslot;

#define OWN(i) {(i), NULL, 0}
#define LIT(s) {-1, (s), sizeof(s) - 1}
#define LITN(s, n) {-1, (s), (n)}
#define ESLOT_MAX 5

/* effect_in_place turns c->args into the n slots (n <= ESLOT_MAX); own
 * arguments are moved, not copied; arguments left out are released. */
static void effect_in_place(session *c, int n, const eslot *sl)
{
    argv_t *a = &c->args;
    argv_keep_original(a);   /* the slow log shows what the client sent */
    int src[ESLOT_MAX];
    for (int i = 0; i < n; i++) {
        if (sl[i].idx >= 0) {
            src[i] = sl[i].idx;
        } else {
            argv_push(a, sl[i].lit, sl[i].len);
            src[i] = a->argc - 1;
        }
    }
    sbuf nv[ESLOT_MAX];
    unsigned char nh[ESLOT_MAX];
    for (int i = 0; i < n; i++) {
        nv[i] = a->argv[src[i]];
        nh[i] = a->heap[src[i]];
    }
    for (int j = 0; j < a->argc; j++) {
        if (!a->heap[j]) continue;
        int used = 0;
        for (int i = 0; i < n; i++) used |= src[i] == j;
        if (!used) sbuf_free(a->argv[j]);
    }
    for (int i = 0; i < n; i++) {
        a->argv[i] = nv[i];
        a->heap[i] = nh[i];
    }
    a->argc = n;
}

/* effect_drop_get removes SET's GET options (from argument 3 on). */
static void effect_drop_get(session *c)
{
    argv_t *a = &c->args;
    argv_keep_original(a);
    int k = 3;
    for (int j = 3; j < a->argc; j++) {
        if (opt_is(a->argv[j], "GET")) {
            if (a->heap[j]) sbuf_free(a->argv[j]);
            continue;
        }
        a->argv[k] = a->argv[j];
        a->heap[k] = a->heap[j];
        k++;
    }
    a->argc = k;
}

/* effect_del makes the effect DEL key. */
static void effect_del(session *c)
{
    const eslot sl[] = {LIT("DEL"), OWN(1)};
    effect_in_place(c, 2, sl);
}

/* ---- SET and its options ---------------------------------------------- */

enum {
    SF_NX = 1 << 0,
    SF_XX = 1 << 1,
    SF_GET = 1 << 2,
    SF_KEEPTTL = 1 << 3,
    SF_PERSIST = 1 << 4,
    SF_EX = 1 << 5,
    SF_PX = 1 << 6,
    SF_EXAT = 1 << 7,
    SF_PXAT = 1 << 8,
};
#define SF_EXPIRE (SF_EX | SF_PX | SF_EXAT | SF_PXAT)

/* parse_ext parses SET's options (for_set) or GETEX's from argument j on,
 * with Redis 7.0's acceptance rules: an expire kind excludes the others (the
 * same one may repeat, the last wins), KEEPTTL and PERSIST exclude expire
 * kinds, NX excludes XX.  Values are checked later.  *ei gets the index of
 * the expire value (0 if none).  Replies a syntax error and returns -1. */
static int parse_ext(session *c, int j, int for_set, int *flags, int *ei)
{
    int f = 0;
    *ei = 0;
    for (; j < c->args.argc; j++) {
        const char *o = c->args.argv[j];
        int has_next = j + 1 < c->args.argc;
        if (for_set && opt_is(o, "NX") && !(f & SF_XX)) {
            f |= SF_NX;
        } else if (for_set && opt_is(o, "XX") && !(f & SF_NX)) {
            f |= SF_XX;
        } else if (for_set && opt_is(o, "GET")) {
            f |= SF_GET;
        } else if (for_set && opt_is(o, "KEEPTTL") && !(f & (SF_PERSIST | SF_EXPIRE))) {
            f |= SF_KEEPTTL;
        } else if (!for_set && opt_is(o, "PERSIST") && !(f & (SF_KEEPTTL | SF_EXPIRE))) {
            f |= SF_PERSIST;
        } else if (has_next && opt_is(o, "EX") && !(f & (SF_KEEPTTL | SF_PERSIST | (SF_EXPIRE & ~SF_EX)))) {
            f |= SF_EX;
            *ei = ++j;
        } else if (has_next && opt_is(o, "PX") && !(f & (SF_KEEPTTL | SF_PERSIST | (SF_EXPIRE & ~SF_PX)))) {
            f |= SF_PX;
            *ei = ++j;
        } else if (has_next && opt_is(o, "EXAT") && !(f & (SF_KEEPTTL | SF_PERSIST | (SF_EXPIRE & ~SF_EXAT)))) {
            f |= SF_EXAT;
            *ei = ++j;
        } else if (has_next && opt_is(o, "PXAT") && !(f & (SF_KEEPTTL | SF_PERSIST | (SF_EXPIRE & ~SF_PXAT)))) {
            f |= SF_PXAT;
            *ei = ++j;
        } else {
            reply_err_syntax(c);
            return -1;
        }
    }
    *flags = f;
    return 0;
}

static void reply_err_expire(session *c)
{
    reply_errorf(c, "ERR invalid expire time in '%s' command", command_fullname(c->cmd));
}

/* expire_when turns the expire argument of an EX/PX/EXAT/PXAT option into
 * an absolute unix time in ms; replies the error and returns -1 when it is
 * not an integer, not positive, or overflows. */
static int expire_when(session *c, const char *arg, int flags, long long *when)
{
    long long v;
    if (!str_to_ll(arg, sbuf_len(arg), &v)) {
        reply_err_notint(c);
        return -1;
    }
    int seconds = (flags & (SF_EX | SF_EXAT)) != 0;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        reply_err_expire(c);
        return -1;
    }
    if (seconds) v *= 1000;
    if (flags & (SF_EX | SF_PX)) {
        long long now = c->srv->mstime;
        if (v > LLONG_MAX - now) {
            reply_err_expire(c);
            return -1;
        }
        v += now;
    }
    *when = v;
    return 0;
}

enum { REPLY_OK_NULL, REPLY_ONE_ZERO };

/* set_generic is SET, SETNX, SETEX and PSETEX: value at argument vi, the
 * expire value (if any) at ei.  Order as Redis: expire check, GET reply,
 * NX/XX condition, store. */
static void set_generic(session *c, int flags, int vi, int ei, int replies)
{
    server *s = c->srv;
    db *d = c->db;
    sbuf key = c->args.argv[1];
    long long when = 0;

    if (ei && expire_when(c, c->args.argv[ei], flags, &when) != 0) return;
    if (flags & SF_GET) {
        obj *old;
        if (get_generic(c, &old) != 0) return;
    }
    if (flags & (SF_NX | SF_XX)) {
        int found = db_lookup_write(s, d, key) != NULL;
        if (((flags & SF_NX) && found) || ((flags & SF_XX) && !found)) {
            if (!(flags & SF_GET)) {
                if (replies == REPLY_ONE_ZERO) reply_int(c, 0);
                else reply_null(c);
            }
            return;
        }
    } else if (dict_size(d->expires)) {
        db_expire_if_needed(s, d, key);     /* an expired key's TTL must not survive KEEPTTL */
    }

    db_set(s, d, key, take_value(c, vi), flags & SF_KEEPTTL);
    if (ei) db_set_expire(s, d, key, when);
    db_signal_modified(s, d, key);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_STRING, "set", key, c->dbid);
    if (ei) notify_keyspace_event(s, NOTIFY_GENERIC, "expire", key, c->dbid);
    if (!(flags & SF_GET)) {
        if (replies == REPLY_ONE_ZERO) reply_int(c, 1);
        else reply_ok(c);
    }

    if (ei) {
        char buf[24];
        int n = ll_to_str(buf, sizeof buf, when);
        const eslot sl[] = {LIT("SET"), OWN(1), OWN(vi), LIT("PXAT"), LITN(buf, (size_t)n)};
        effect_in_place(c, 5, sl);
    } else if (flags & SF_GET) {
        effect_drop_get(c);
    }
}

/* GET key */
void cmd_get(session *c)
{
    obj *o;
    get_generic(c, &o);
}

/* SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
 *     EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] */
void cmd_set(session *c)
{
    int flags = 0, ei = 0;
    if (c->args.argc > 3 && parse_ext(c, 3, 1, &flags, &ei) != 0) return;
    set_generic(c, flags, 2, ei, REPLY_OK_NULL);
}

/* SETNX key value */
void cmd_setnx(session *c) { set_generic(c, SF_NX, 2, 0, REPLY_ONE_ZERO); }

/* SETEX key seconds value */
void cmd_setex(session *c) { set_generic(c, SF_EX, 3, 2, REPLY_OK_NULL); }

/* PSETEX key milliseconds value */
void cmd_psetex(session *c) { set_generic(c, SF_PX, 3, 2, REPLY_OK_NULL); }

/* GETSET key value */
void cmd_getset(session *c)
{
    server *s = c->srv;
    obj *old;
    if (get_generic(c, &old) != 0) return;
    db_set(s, c->db, c->args.argv[1], take_value(c, 2), 0);
    db_signal_modified(s, c->db, c->args.argv[1]);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_STRING, "set", c->args.argv[1], c->dbid);
    const eslot sl[] = {LIT("SET"), OWN(1), OWN(2)};
    effect_in_place(c, 3, sl);
}

/* GETDEL key */
void cmd_getdel(session *c)
{
    server *s = c->srv;
    obj *o;
    if (get_generic(c, &o) != 0 || !o) return;
    db_delete(s, c->db, c->args.argv[1]);          /* after the reply copied it */
    db_signal_modified(s, c->db, c->args.argv[1]);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_GENERIC, "del", c->args.argv[1], c->dbid);
    effect_del(c);
}

/* GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
 *     PXAT unix-time-milliseconds | PERSIST] */
void cmd_getex(session *c)
{
    server *s = c->srv;
    db *d = c->db;
    sbuf key = c->args.argv[1];
    int flags = 0, ei = 0;
    if (parse_ext(c, 2, 0, &flags, &ei) != 0) return;

    obj *o = db_lookup_read(s, d, key, 0);
    if (!o) {
        reply_null(c);
        return;
    }
    if (o->type != OBJ_STRING) {
        reply_err_wrongtype(c);
        return;
    }
    long long when = 0;
    if (ei && expire_when(c, c->args.argv[ei], flags, &when) != 0) return;
    reply_string(c, o);                             /* before a delete frees it */

    if ((flags & (SF_EXAT | SF_PXAT)) && when <= s->mstime && !s->loading) {
        db_delete(s, d, key);
        db_signal_modified(s, d, key);
        s->dirty++;
        notify_keyspace_event(s, NOTIFY_GENERIC, "del", key, c->dbid);
        effect_del(c);
    } else if (ei) {
        db_set_expire(s, d, key, when);
        db_signal_modified(s, d, key);
        s->dirty++;
        notify_keyspace_event(s, NOTIFY_GENERIC, "expire", key, c->dbid);
        char buf[24];
        int n = ll_to_str(buf, sizeof buf, when);
        const eslot sl[] = {LIT("PEXPIREAT"), OWN(1), LITN(buf, (size_t)n)};
        effect_in_place(c, 3, sl);
    } else if ((flags & SF_PERSIST) && db_remove_expire(d, key)) {
        db_signal_modified(s, d, key);
        s->dirty++;
        notify_keyspace_event(s, NOTIFY_GENERIC, "persist", key, c->dbid);
        const eslot sl[] = {LIT("PERSIST"), OWN(1)};
        effect_in_place(c, 2, sl);
    }
}

/* ---- several keys ----------------------------------------------------- */

/* MGET key [key ...] */
void cmd_mget(session *c)
{
    server *s = c->srv;
    reply_array(c, c->args.argc - 1);
    for (int j = 1; j < c->args.argc; j++) {
        obj *o = db_lookup_read(s, c->db, c->args.argv[j], 0);
        if (!o || o->type != OBJ_STRING) reply_null(c);
        else reply_string(c, o);
    }
}

static void mset_generic(session *c, int nx)
{
    server *s = c->srv;
    db *d = c->db;
    int argc = c->args.argc;
    if (argc % 2 == 0) {
        reply_err_arity(c);
        return;
    }
    /* Lookups first: NX's check, and lazy expiry (whose DEL effects must
     * precede ours). */
    for (int j = 1; j < argc; j += 2) {
        if (nx) {
            if (db_lookup_write(s, d, c->args.argv[j])) {
                reply_int(c, 0);
                return;
            }
        } else if (dict_size(d->expires)) {
            db_expire_if_needed(s, d, c->args.argv[j]);
        }
    }
    /* Our effect now, while every argument is still ours (see the top). */
    effect_suppress(c);
    effect_emit(s, c->dbid, argc, c->args.argv);
    for (int j = 1; j < argc; j += 2) {
        db_set(s, d, c->args.argv[j], take_value(c, j + 1), 0);
        db_signal_modified(s, d, c->args.argv[j]);
        s->dirty++;
        notify_keyspace_event(s, NOTIFY_STRING, "set", c->args.argv[j], c->dbid);
    }
    if (nx) reply_int(c, 1);
    else reply_ok(c);
}

/* MSET key value [key value ...] */
void cmd_mset(session *c) { mset_generic(c, 0); }

/* MSETNX key value [key value ...] */
void cmd_msetnx(session *c) { mset_generic(c, 1); }

/* ---- in-place edits --------------------------------------------------- */

/* APPEND key value */
void cmd_append(session *c)
{
    server *s = c->srv;
    db *d = c->db;
    sbuf key = c->args.argv[1];
    size_t total;
    obj *o = db_lookup_write(s, d, key);
    if (!o) {
        o = take_value(c, 2);
        total = obj_string_len(o);
        db_add(s, d, key, o);
    } else {
        if (o->type != OBJ_STRING) {
            reply_err_wrongtype(c);
            return;
        }
        sbuf add = c->args.argv[2];
        if (check_len(c, (long long)obj_string_len(o), (long long)sbuf_len(add)) != 0) return;
        obj *w = obj_string_unshare(o);
        if (w != o) db_overwrite(s, d, key, w);
        w->ptr = sbuf_cat(w->ptr, add, sbuf_len(add));
        total = sbuf_len(w->ptr);
    }
    db_signal_modified(s, d, key);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_STRING, "append", key, c->dbid);
    reply_int(c, (long long)total);
}

/* STRLEN key */
void cmd_strlen(session *c)
{
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[1], 0);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    if (o->type != OBJ_STRING) {
        reply_err_wrongtype(c);
        return;
    }
    reply_int(c, (long long)obj_string_len(o));
}

/* GETRANGE key start end (also SUBSTR) */
void cmd_getrange(session *c)
{
    long long start, end;
    sbuf a2 = c->args.argv[2], a3 = c->args.argv[3];
    if (!str_to_ll(a2, sbuf_len(a2), &start) || !str_to_ll(a3, sbuf_len(a3), &end)) {
        reply_err_notint(c);
        return;
    }
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[1], 0);
    if (!o) {
        reply_bulk(c, "", 0);
        return;
    }
    if (o->type != OBJ_STRING) {
        reply_err_wrongtype(c);
        return;
    }
    char buf[24];
    size_t n;
    const char *p = obj_string_ptr(o, buf, &n);
    long long len = (long long)n;

    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c, "", 0);
        return;
    }
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len == 0) reply_bulk(c, "", 0);
    else reply_bulk(c, p + start, (size_t)(end - start + 1));
}

/* SETRANGE key offset value */
void cmd_setrange(session *c)
{
    server *s = c->srv;
    db *d = c->db;
    sbuf key = c->args.argv[1], val = c->args.argv[3];
    size_t vlen = sbuf_len(val);
    long long offset;
    if (!str_to_ll(c->args.argv[2], sbuf_len(c->args.argv[2]), &offset)) {
        reply_err_notint(c);
        return;
    }
    if (offset < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }

    obj *o = db_lookup_write(s, d, key);
    if (!o) {
        if (vlen == 0) {                           /* nothing set on nothing */
            reply_int(c, 0);
            return;
        }
        if (check_len(c, offset, (long long)vlen) != 0) return;
        o = obj_new(OBJ_STRING, ENC_RAW, sbuf_new(NULL, (size_t)offset + vlen));
        db_add(s, d, key, o);
    } else {
        if (o->type != OBJ_STRING) {
            reply_err_wrongtype(c);
            return;
        }
        if (vlen == 0) {
            reply_int(c, (long long)obj_string_len(o));
            return;
        }
        if (check_len(c, offset, (long long)vlen) != 0) return;
        obj *w = obj_string_unshare(o);
        if (w != o) db_overwrite(s, d, key, w);
        o = w;
        if (sbuf_len(o->ptr) < (size_t)offset + vlen) o->ptr = sbuf_resize(o->ptr, (size_t)offset + vlen);
    }
    memcpy((char *)o->ptr + offset, val, vlen);
    db_signal_modified(s, d, key);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_STRING, "setrange", key, c->dbid);
    reply_int(c, (long long)sbuf_len(o->ptr));
}

/* ---- counters --------------------------------------------------------- */

static void incr_generic(session *c, long long incr)
{
    server *s = c->srv;
    db *d = c->db;
    sbuf key = c->args.argv[1];
    obj *o = db_lookup_write(s, d, key);
    long long v = 0;
    if (o) {
        if (o->type != OBJ_STRING) {
            reply_err_wrongtype(c);
            return;
        }
        if (obj_get_ll(o, &v) != 0) {
            reply_err_notint(c);
            return;
        }
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) || (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    v += incr;
    if (o && o->refcount == 1 && o->encoding == ENC_INT && (v < 0 || v >= OBJ_SHARED_INTEGERS)) {
        o->ptr = (void *)(intptr_t)v;               /* in place: no allocation */
    } else {
        obj *n = obj_new_ll(v);
        if (o) db_overwrite(s, d, key, n);
        else db_add(s, d, key, n);
    }
    db_signal_modified(s, d, key);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_STRING, "incrby", key, c->dbid);
    reply_int(c, v);
}

/* INCR key */
void cmd_incr(session *c) { incr_generic(c, 1); }

/* DECR key */
void cmd_decr(session *c) { incr_generic(c, -1); }

/* INCRBY key increment */
void cmd_incrby(session *c)
{
    long long incr;
    if (!str_to_ll(c->args.argv[2], sbuf_len(c->args.argv[2]), &incr)) {
        reply_err_notint(c);
        return;
    }
    incr_generic(c, incr);
}

/* DECRBY key decrement */
void cmd_decrby(session *c)
{
    long long decr;
    if (!str_to_ll(c->args.argv[2], sbuf_len(c->args.argv[2]), &decr)) {
        reply_err_notint(c);
        return;
    }
    if (decr == LLONG_MIN) {
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -decr);
}

/* Room for any finite long double printed with %.17Lf (as Redis's
 * MAX_LONG_DOUBLE_CHARS). */
#define LD_STR_MAX (5 * 1024)

/* INCRBYFLOAT key increment */
void cmd_incrbyfloat(session *c)
{
    server *s = c->srv;
    db *d = c->db;
    sbuf key = c->args.argv[1], arg = c->args.argv[2];
    obj *o = db_lookup_write(s, d, key);
    long double v = 0, incr;
    if (o) {
        if (o->type != OBJ_STRING) {
            reply_err_wrongtype(c);
            return;
        }
        if (o->encoding == ENC_INT) v = (long double)(intptr_t)o->ptr;
        else if (!str_to_ld(o->ptr, sbuf_len(o->ptr), &v)) {
            reply_err_notfloat(c);
            return;
        }
    }
    if (!str_to_ld(arg, sbuf_len(arg), &incr)) {
        reply_err_notfloat(c);
        return;
    }
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_STR_MAX];
    int n = ld_to_str(buf, sizeof buf, v, 1);
    obj *nv = obj_new_string_raw(buf, (size_t)n);  /* embstr/raw, never int: as Redis */
    if (o) db_overwrite(s, d, key, nv);
    else db_add(s, d, key, nv);
    db_signal_modified(s, d, key);
    s->dirty++;
    notify_keyspace_event(s, NOTIFY_STRING, "incrbyfloat", key, c->dbid);
    reply_bulk(c, buf, (size_t)n);
    /* Replay must not depend on float formatting: SET key <result> KEEPTTL. */
    const eslot sl[] = {LIT("SET"), OWN(1), LITN(buf, (size_t)n), LIT("KEEPTTL")};
    effect_in_place(c, 4, sl);
}
