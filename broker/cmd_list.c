/* cmd_list.c — list commands over broker/types/qlist.h, and the list type.
 *
 * LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM
 * LTRIM LPOS LMOVE RPOPLPUSH LMPOP, and the blocking BLPOP BRPOP BLMOVE
 * BRPOPLPUSH BLMPOP (see blocking.h: a blocked command is run again when
 * served, so each handler's immediate path is also its serving path).
 *
 * Semantics, argument order of checks and replies follow Redis 7.0.  An
 * empty list never exists: the last pop deletes the key.  Effects: pushes
 * and plain pops replay as they are; LMPOP/BLMPOP/BLPOP/BRPOP emit the pop
 * that was done (LPOP/RPOP key [count]), BLMOVE the LMOVE, BRPOPLPUSH the
 * RPOPLPUSH.
 *
 * Encoding: every list is a qlist (chunks as list-max-listpack-size says,
 * 8 KiB by default), reported as "quicklist" as Redis 7.0 reports
 * every list.
 */
#include "server.h"
#include "scan_args.h"
#include "commands.h"
#include "blocking.h"
#include "effect.h"
#include "alloc.h"
#include "qlist.h"
#include "notify.h"

#include <string.h>
#include <strings.h>

/* ---- the type --------------------------------------------------------- */

static void list_free(obj *o) { ql_free(o->ptr); }
static obj *list_dup(const obj *o) { return obj_new(OBJ_LIST, ENC_QUICKLIST, ql_dup(o->ptr)); }
static size_t list_mem(const obj *o) { return ql_mem(o->ptr); }

/* list_rewrite (snapshot interface, object.h): RPUSH key <up to
 * OBJ_REWRITE_BATCH items>, head to tail, as many commands as needed. */
static int list_rewrite(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    const char *argv[2 + OBJ_REWRITE_BATCH];
    size_t lens[2 + OBJ_REWRITE_BATCH];
    char nums[OBJ_REWRITE_BATCH][24];
    argv[0] = "RPUSH";
    lens[0] = 5;
    argv[1] = key;
    lens[1] = klen;
    int n = 0;
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, o->ptr, 0, QL_FORWARD);
    while (ql_next(&it, &e)) {
        argv[2 + n] = ql_entry_bytes(&e, nums[n], &lens[2 + n]);
        if (++n == OBJ_REWRITE_BATCH) {
            if (emit(priv, 2 + n, argv, lens) != 0) return -1;
            n = 0;
        }
    }
    return n ? emit(priv, 2 + n, argv, lens) : 0;
}

const obj_type list_obj_type = {
    .name = "list", .free = list_free, .dup = list_dup, .mem = list_mem, .rewrite = list_rewrite};

/* list_new: a new list chunks as list-max-listpack-size says at its
 * creation (a later CONFIG SET leaves existing lists alone, as Redis's). */
static obj *list_new(server *s) { return obj_new(OBJ_LIST, ENC_QUICKLIST, ql_new(s->cfg.list_max_listpack_size)); }

/* ---- helpers ---------------------------------------------------------- */

static void reply_entry(session *c, const ql_entry *e)
{
    if (e->str) reply_bulk(c, e->str, e->len);
    else reply_bulk_ll(c, e->ll);
}

/* parse_long: Redis's getLongFromObjectOrReply (NULL msg: the usual error). */
static int parse_long(session *c, const char *arg, long long *v, const char *msg)
{
    if (!str_to_ll(arg, sbuf_len(arg), v)) {
        if (msg) reply_error(c, msg);
        else reply_err_notint(c);
        return -1;
    }
    return 0;
}

/* parse_where: LEFT/RIGHT -> QL_HEAD/QL_TAIL, -1 on anything else. */
static int parse_where(const char *arg)
{
    if (!strcasecmp(arg, "left")) return QL_HEAD;
    if (!strcasecmp(arg, "right")) return QL_TAIL;
    return -1;
}

/* lookup_list: the list at key for write, or NULL; *wrong set on WRONGTYPE (replied). */
static qlist *lookup_list_write(session *c, const char *key, int *wrong)
{
    obj *o = db_lookup_write(c->srv, c->db, key);
    *wrong = 0;
    if (!o) return NULL;
    if (o->type != OBJ_LIST) {
        reply_err_wrongtype(c);
        *wrong = 1;
        return NULL;
    }
    return o->ptr;
}

/* after_pop deletes key when its list emptied, and signals the change. */
static void after_change(session *c, const char *key, qlist *l)
{
    if (ql_len(l) == 0) {
        db_delete(c->srv, c->db, key);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key, c->dbid);
    }
    db_signal_modified(c->srv, c->db, key);
    c->srv->dirty++;
}

static void effect_pop(session *c, int where, const char *key, long long count)
{
    const char *argv[3] = {where == QL_HEAD ? "LPOP" : "RPOP", key, NULL};
    size_t lens[3] = {4, sbuf_len(key), 0};
    char num[24];
    int argc = 2;
    if (count >= 0) {
        lens[2] = (size_t)ll_to_str(num, sizeof num, count);
        argv[2] = num;
        argc = 3;
    }
    effect_rewrite(c, argc, argv, lens);
}

/* ---- pushes ----------------------------------------------------------- */

static void push_generic(session *c, int where, int xx)
{
    server *s = c->srv;
    sbuf key = c->args.argv[1];
    obj *o = db_lookup_write(s, c->db, key);
    if (o && o->type != OBJ_LIST) {
        reply_err_wrongtype(c);
        return;
    }
    if (!o) {
        if (xx) {
            reply_int(c, 0);
            return;
        }
        o = list_new(s);
        db_add(s, c->db, key, o);
    }
    qlist *l = o->ptr;
    for (int i = 2; i < c->args.argc; i++) ql_push(l, where, c->args.argv[i], sbuf_len(c->args.argv[i]));
    reply_int(c, (long long)ql_len(l));
    db_signal_modified(s, c->db, key);
    notify_keyspace_event(s, NOTIFY_LIST, where == QL_HEAD ? "lpush" : "rpush", key, c->dbid);
    s->dirty += c->args.argc - 2;
}

void cmd_lpush(session *c) { push_generic(c, QL_HEAD, 0); }
void cmd_rpush(session *c) { push_generic(c, QL_TAIL, 0); }
void cmd_lpushx(session *c) { push_generic(c, QL_HEAD, 1); }
void cmd_rpushx(session *c) { push_generic(c, QL_TAIL, 1); }

/* ---- pops ------------------------------------------------------------- */

/* pop_range replies with up to count entries popped from where (an array),
 * returns how many. */
static long long pop_range(session *c, qlist *l, int where, long long count)
{
    long long n = (uint64_t)count > ql_len(l) ? (long long)ql_len(l) : count;
    reply_array(c, n);
    for (long long i = 0; i < n; i++) {
        ql_entry e;
        ql_peek(l, where, &e);
        reply_entry(c, &e);
        ql_pop(l, where);
    }
    return n;
}

/* LPOP/RPOP key [count] */
static void pop_generic(session *c, int where)
{
    sbuf key = c->args.argv[1];
    long long count = -1;
    if (c->args.argc > 3) {
        reply_err_arity(c);
        return;
    }
    if (c->args.argc == 3) {
        if (parse_long(c, c->args.argv[2], &count, "ERR value is out of range, must be positive") < 0) return;
        if (count < 0) {
            reply_error(c, "ERR value is out of range, must be positive");
            return;
        }
    }
    int wrong;
    qlist *l = lookup_list_write(c, key, &wrong);
    if (wrong) return;
    if (!l) {
        if (count >= 0) reply_null_array(c);
        else reply_null(c);
        return;
    }
    if (count == 0) {
        reply_empty_array(c);
        return;
    }
    if (count < 0) {
        ql_entry e;
        ql_peek(l, where, &e);
        reply_entry(c, &e);
        ql_pop(l, where);
    } else {
        pop_range(c, l, where, count);
    }
    notify_keyspace_event(c->srv, NOTIFY_LIST, where == QL_HEAD ? "lpop" : "rpop", key, c->dbid);
    after_change(c, key, l);
}

void cmd_lpop(session *c) { pop_generic(c, QL_HEAD); }
void cmd_rpop(session *c) { pop_generic(c, QL_TAIL); }

/* ---- reads ------------------------------------------------------------ */

/* read_list: the list at key for read; replies `missing` or WRONGTYPE and
 * returns NULL when there is none. */
static qlist *read_list(session *c, const char *key, void (*missing)(session *c))
{
    obj *o = db_lookup_read(c->srv, c->db, key, 0);
    if (!o) {
        missing(c);
        return NULL;
    }
    if (o->type != OBJ_LIST) {
        reply_err_wrongtype(c);
        return NULL;
    }
    return o->ptr;
}

static void reply_zero(session *c) { reply_int(c, 0); }

/* LLEN key */
void cmd_llen(session *c)
{
    qlist *l = read_list(c, c->args.argv[1], reply_zero);
    if (l) reply_int(c, (long long)ql_len(l));
}

/* LRANGE key start stop */
void cmd_lrange(session *c)
{
    long long start, end;
    if (parse_long(c, c->args.argv[2], &start, NULL) < 0 || parse_long(c, c->args.argv[3], &end, NULL) < 0) return;
    qlist *l = read_list(c, c->args.argv[1], reply_empty_array);
    if (!l) return;
    uint64_t from, n;
    if (!ql_range_norm(ql_len(l), start, end, &from, &n)) {
        reply_empty_array(c);
        return;
    }
    reply_array(c, (long)n);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, (long long)from, QL_FORWARD);
    while (n-- && ql_next(&it, &e)) reply_entry(c, &e);
}

/* LINDEX key index */
void cmd_lindex(session *c)
{
    qlist *l = read_list(c, c->args.argv[1], reply_null);
    if (!l) return;
    long long idx;
    if (parse_long(c, c->args.argv[2], &idx, NULL) < 0) return;
    ql_entry e;
    if (ql_index(l, idx, &e)) reply_entry(c, &e);
    else reply_null(c);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
void cmd_lpos(session *c)
{
    argv_t *a = &c->args;
    sbuf ele = a->argv[2];
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < a->argc; j++) {
        const char *opt = a->argv[j];
        int more = a->argc - j - 1;
        if (!strcasecmp(opt, "rank") && more) {
            if (parse_long(c, a->argv[++j], &rank, NULL) < 0) return;
            if (rank == 0) {
                reply_error(c, "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
                               "or use negative to start from the end of the list");
                return;
            }
        } else if (!strcasecmp(opt, "count") && more) {
            if (parse_long(c, a->argv[++j], &count, "ERR COUNT can't be negative") < 0) return;
            if (count < 0) {
                reply_error(c, "ERR COUNT can't be negative");
                return;
            }
        } else if (!strcasecmp(opt, "maxlen") && more) {
            if (parse_long(c, a->argv[++j], &maxlen, "ERR MAXLEN can't be negative") < 0) return;
            if (maxlen < 0) {
                reply_error(c, "ERR MAXLEN can't be negative");
                return;
            }
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    obj *o = db_lookup_read(c->srv, c->db, a->argv[1], 0);
    if (!o) {
        if (count != -1) reply_empty_array(c);
        else reply_null(c);
        return;
    }
    if (o->type != OBJ_LIST) {
        reply_err_wrongtype(c);
        return;
    }
    qlist *l = o->ptr;
    int dir = QL_FORWARD;
    /* As Redis: the rank's magnitude, wrapping for LLONG_MIN (which then
     * takes the first match from the tail, and with COUNT every match:
     * Redis's matches-rank+1 >= count wraps negative). */
    if (rank < 0) {
        rank = (long long)(0ULL - (unsigned long long)rank);
        dir = QL_BACKWARD;
    }
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, dir == QL_FORWARD ? 0 : -1, dir);
    void *h = count != -1 ? reply_defer(c) : NULL;
    long long idx = 0, matches = 0, found = 0, len = (long long)ql_len(l);
    unsigned long long first = (unsigned long long)rank - 1;
    while (ql_next(&it, &e) && (maxlen == 0 || idx < maxlen)) {
        if (ql_entry_eq(&e, ele, sbuf_len(ele))) {
            matches++;
            if (matches >= rank) {
                long long pos = dir == QL_FORWARD ? idx : len - idx - 1;
                if (h) {
                    reply_int(c, pos);
                    found++;
                    if (count && (long long)((unsigned long long)matches - first) >= count) break;
                } else {
                    reply_int(c, pos);
                    found = 1;
                    break;
                }
            }
        }
        idx++;
    }
    if (h) reply_set_array_len(c, h, (long)found);
    else if (!found) reply_null(c);
}

/* ---- in-place writes -------------------------------------------------- */

/* LSET key index element */
void cmd_lset(session *c)
{
    server *s = c->srv;
    sbuf key = c->args.argv[1];
    obj *o = db_lookup_write(s, c->db, key);
    if (!o) {
        reply_err_nokey(c);
        return;
    }
    if (o->type != OBJ_LIST) {
        reply_err_wrongtype(c);
        return;
    }
    long long idx;
    if (parse_long(c, c->args.argv[2], &idx, NULL) < 0) return;
    qlist *l = o->ptr;
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, idx, QL_FORWARD);
    if (!ql_next(&it, &e)) {
        reply_err_outofrange(c);
        return;
    }
    ql_iter_replace(&it, c->args.argv[3], sbuf_len(c->args.argv[3]));
    reply_ok(c);
    db_signal_modified(s, c->db, key);
    notify_keyspace_event(s, NOTIFY_LIST, "lset", key, c->dbid);
    s->dirty++;
}

/* LINSERT key BEFORE|AFTER pivot element */
void cmd_linsert(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    int after;
    if (!strcasecmp(a->argv[2], "after")) after = 1;
    else if (!strcasecmp(a->argv[2], "before")) after = 0;
    else {
        reply_err_syntax(c);
        return;
    }
    int wrong;
    qlist *l = lookup_list_write(c, a->argv[1], &wrong);
    if (wrong) return;
    if (!l) {
        reply_int(c, 0);
        return;
    }
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 0, QL_FORWARD);
    while (ql_next(&it, &e)) {
        if (ql_entry_eq(&e, a->argv[3], sbuf_len(a->argv[3]))) {
            ql_iter_insert(&it, after, a->argv[4], sbuf_len(a->argv[4]));
            reply_int(c, (long long)ql_len(l));
            db_signal_modified(s, c->db, a->argv[1]);
            notify_keyspace_event(s, NOTIFY_LIST, "linsert", a->argv[1], c->dbid);
            s->dirty++;
            return;
        }
    }
    reply_int(c, -1);
}

/* LREM key count element */
void cmd_lrem(session *c)
{
    argv_t *a = &c->args;
    long long count;
    if (parse_long(c, a->argv[2], &count, NULL) < 0) return;
    int wrong;
    qlist *l = lookup_list_write(c, a->argv[1], &wrong);
    if (wrong) return;
    if (!l) {
        reply_int(c, 0);
        return;
    }
    unsigned long long limit = count < 0 ? 0ULL - (unsigned long long)count : (unsigned long long)count;
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, count < 0 ? -1 : 0, count < 0 ? QL_BACKWARD : QL_FORWARD);
    unsigned long long removed = 0;
    while (ql_next(&it, &e)) {
        if (ql_entry_eq(&e, a->argv[3], sbuf_len(a->argv[3]))) {
            ql_iter_del(&it);
            removed++;
            if (limit && removed == limit) break;
        }
    }
    reply_int(c, (long long)removed);
    if (removed) {
        notify_keyspace_event(c->srv, NOTIFY_LIST, "lrem", a->argv[1], c->dbid);
        after_change(c, a->argv[1], l);
        c->srv->dirty += (long long)removed - 1;
    }
}

/* LTRIM key start stop */
void cmd_ltrim(session *c)
{
    argv_t *a = &c->args;
    long long start, end;
    if (parse_long(c, a->argv[2], &start, NULL) < 0 || parse_long(c, a->argv[3], &end, NULL) < 0) return;
    int wrong;
    qlist *l = lookup_list_write(c, a->argv[1], &wrong);
    if (wrong) return;
    if (!l) {
        reply_ok(c);
        return;
    }
    uint64_t len = ql_len(l), from, n;
    uint64_t removed;
    if (!ql_range_norm(len, start, end, &from, &n)) {
        removed = len;
        ql_del_range(l, 0, len);
    } else {
        removed = len - n;
        ql_del_range(l, from + n, len - from - n);
        ql_del_range(l, 0, from);
    }
    reply_ok(c);
    notify_keyspace_event(c->srv, NOTIFY_LIST, "ltrim", a->argv[1], c->dbid);
    if (ql_len(l) == 0) {
        db_delete(c->srv, c->db, a->argv[1]);
        notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", a->argv[1], c->dbid);
    }
    db_signal_modified(c->srv, c->db, a->argv[1]);
    c->srv->dirty += (long long)removed;
}

/* ---- moves ------------------------------------------------------------ */

/* move_one moves the `from` end of the list at src to the `to` end of dst
 * (created if absent) and replies the element; dst must be absent or a
 * list (checked by the caller). */
static void move_one(session *c, const char *src, qlist *sl, const char *dst, int from, int to)
{
    server *s = c->srv;
    ql_entry e;
    ql_peek(sl, from, &e);
    char buf[24];
    size_t len;
    const char *p = ql_entry_bytes(&e, buf, &len);
    /* Copy before pushing: with src == dst the push may move the bytes. */
    sbuf val = sbuf_new(p, len);
    obj *dobj = db_lookup_write(s, c->db, dst);
    if (!dobj) {
        dobj = list_new(s);
        db_add(s, c->db, dst, dobj);
    }
    /* Push, then pop: with src == dst the list never empties meanwhile. */
    ql_push(dobj->ptr, to, val, len);
    db_signal_modified(s, c->db, dst);
    notify_keyspace_event(s, NOTIFY_LIST, to == QL_HEAD ? "lpush" : "rpush", dst, c->dbid);
    reply_bulk(c, val, len);
    sbuf_free(val);
    ql_pop(sl, from);
    notify_keyspace_event(s, NOTIFY_LIST, from == QL_HEAD ? "lpop" : "rpop", src, c->dbid);
    after_change(c, src, sl);
}

/* lmove_generic: LMOVE's body; 1 if it moved, 0 if src is empty (nothing
 * replied), -1 on error (replied). */
static int lmove_generic(session *c, const char *src, const char *dst, int from, int to)
{
    int wrong;
    qlist *sl = lookup_list_write(c, src, &wrong);
    if (wrong) return -1;
    if (!sl) return 0;
    obj *d = db_lookup_write(c->srv, c->db, dst);
    if (d && d->type != OBJ_LIST) {
        reply_err_wrongtype(c);
        return -1;
    }
    move_one(c, src, sl, dst, from, to);
    return 1;
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
void cmd_lmove(session *c)
{
    argv_t *a = &c->args;
    int from = parse_where(a->argv[3]), to = parse_where(a->argv[4]);
    if (from < 0 || to < 0) {
        reply_err_syntax(c);
        return;
    }
    if (lmove_generic(c, a->argv[1], a->argv[2], from, to) == 0) reply_null(c);
}

/* RPOPLPUSH source destination */
void cmd_rpoplpush(session *c)
{
    if (lmove_generic(c, c->args.argv[1], c->args.argv[2], QL_TAIL, QL_HEAD) == 0) reply_null(c);
}

/* ---- multi-key pops --------------------------------------------------- */

/* mpop_generic: [B]LMPOP from numkeys at argv[ki]; deadline < 0 means not
 * blocking. */
static void mpop_generic(session *c, int ki, long long deadline, int blocking)
{
    argv_t *a = &c->args;
    mpop_args m;
    if (mpop_args_parse(c, ki, "left", "right", &m) < 0) return;
    int where = m.which ? QL_TAIL : QL_HEAD;
    long long count = m.count;
    int wi = ki + 1 + m.numkeys;
    for (int k = ki + 1; k < wi; k++) {
        int wrong;
        qlist *l = lookup_list_write(c, a->argv[k], &wrong);
        if (wrong) return;
        if (!l) continue;
        reply_array(c, 2);
        reply_bulk_sbuf(c, a->argv[k]);
        long long n = pop_range(c, l, where, count);
        effect_pop(c, where, a->argv[k], n);
        notify_keyspace_event(c->srv, NOTIFY_LIST, where == QL_HEAD ? "lpop" : "rpop", a->argv[k], c->dbid);
        after_change(c, a->argv[k], l);
        return;
    }
    if (!blocking || !block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_for_keys(c, a->argv + ki + 1, m.numkeys, OBJ_LIST, deadline, reply_null_array);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_lmpop(session *c) { mpop_generic(c, 1, 0, 0); }

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_blmpop(session *c)
{
    long long deadline;
    if (block_parse_timeout(c, c->args.argv[1], &deadline) < 0) return;
    mpop_generic(c, 2, deadline, 1);
}

/* ---- blocking --------------------------------------------------------- */

/* BLPOP/BRPOP key [key ...] timeout */
static void bpop_generic(session *c, int where)
{
    argv_t *a = &c->args;
    long long deadline;
    if (block_parse_timeout(c, a->argv[a->argc - 1], &deadline) < 0) return;
    for (int k = 1; k < a->argc - 1; k++) {
        int wrong;
        qlist *l = lookup_list_write(c, a->argv[k], &wrong);
        if (wrong) return;
        if (!l) continue;
        ql_entry e;
        ql_peek(l, where, &e);
        reply_array(c, 2);
        reply_bulk_sbuf(c, a->argv[k]);
        reply_entry(c, &e);
        ql_pop(l, where);
        effect_pop(c, where, a->argv[k], -1);
        notify_keyspace_event(c->srv, NOTIFY_LIST, where == QL_HEAD ? "lpop" : "rpop", a->argv[k], c->dbid);
        after_change(c, a->argv[k], l);
        return;
    }
    if (!block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_for_keys(c, a->argv + 1, a->argc - 2, OBJ_LIST, deadline, reply_null_array);
}

void cmd_blpop(session *c) { bpop_generic(c, QL_HEAD); }
void cmd_brpop(session *c) { bpop_generic(c, QL_TAIL); }

/* blmove_generic: BLMOVE/BRPOPLPUSH; the effect is the LMOVE/RPOPLPUSH done. */
static void blmove_generic(session *c, int from, int to, const char *timeout, int rpoplpush)
{
    argv_t *a = &c->args;
    long long deadline;
    if (block_parse_timeout(c, timeout, &deadline) < 0) return;
    int r = lmove_generic(c, a->argv[1], a->argv[2], from, to);
    if (r > 0) {
        if (rpoplpush) {
            const char *argv[3] = {"RPOPLPUSH", a->argv[1], a->argv[2]};
            size_t lens[3] = {9, sbuf_len(a->argv[1]), sbuf_len(a->argv[2])};
            effect_rewrite(c, 3, argv, lens);
        } else {
            const char *argv[5] = {"LMOVE", a->argv[1], a->argv[2], from == QL_HEAD ? "LEFT" : "RIGHT",
                                   to == QL_HEAD ? "LEFT" : "RIGHT"};
            size_t lens[5] = {5, sbuf_len(a->argv[1]), sbuf_len(a->argv[2]), strlen(argv[3]), strlen(argv[4])};
            effect_rewrite(c, 5, argv, lens);
        }
        return;
    }
    if (r < 0) return;
    if (!block_allowed(c)) {
        reply_null(c);
        return;
    }
    /* As Redis 7.0: null inside MULTI, but a timeout answers a null array. */
    block_for_keys(c, a->argv + 1, 1, OBJ_LIST, deadline, reply_null_array);
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
void cmd_blmove(session *c)
{
    int from = parse_where(c->args.argv[3]), to = parse_where(c->args.argv[4]);
    if (from < 0 || to < 0) {
        reply_err_syntax(c);
        return;
    }
    blmove_generic(c, from, to, c->args.argv[5], 0);
}

/* BRPOPLPUSH source destination timeout */
void cmd_brpoplpush(session *c) { blmove_generic(c, QL_TAIL, QL_HEAD, c->args.argv[3], 1); }
