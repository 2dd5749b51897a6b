/* cmd_zset.c — sorted set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD
 * ZCOUNT ZLEXCOUNT ZRANK ZREVRANK, the ZRANGE family (ZRANGE ZRANGESTORE
 * ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX) and
 * ZREMRANGEBYRANK/SCORE/LEX.  Pops, random members, ZSCAN and the set
 * algebra are in cmd_zset_ops.c.
 *
 * The data structure is broker/types/zset.c; this file parses arguments
 * with Redis 7.0.15's rules and error texts, looks keys up and replies.
 * Scores reply as doubles (RESP2: bulk "%.17g"; RESP3: ','); RESP3 replies
 * with scores nest each [member, score] pair, as Redis 7 does.  A set left
 * empty is deleted.  ZRANK/ZREVRANK take WITHSCORE (Redis 7.2).
 *
 * Effects: ZADD ... INCR and ZINCRBY are rewritten to `ZADD key <resulting
 * score> member`; every other write here replays from its own argv.
 */
#include "cmd_zset.h"
#include "commands.h"
#include "effect.h"
#include "alloc.h"
#include "notify.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the object type -------------------------------------------------- */

static void zobj_free(obj *o) { zs_free(o->ptr); }

static obj *zobj_dup(const obj *o) { return obj_new(OBJ_ZSET, o->encoding, zs_dup(o->ptr)); }

static size_t zobj_mem(const obj *o) { return zs_mem(o->ptr); }

/* zobj_rewrite (snapshot interface, object.h): ZADD key <up to
 * OBJ_REWRITE_BATCH score-member pairs>, lowest score first; scores as
 * %.17g (inf/-inf), which strtod reads back to the same double. */
static int zobj_rewrite(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    const char *argv[2 + 2 * OBJ_REWRITE_BATCH];
    size_t lens[2 + 2 * OBJ_REWRITE_BATCH];
    char scores[OBJ_REWRITE_BATCH][32];
    argv[0] = "ZADD";
    lens[0] = 4;
    argv[1] = key;
    lens[1] = klen;
    zset *z = o->ptr;
    size_t total = zs_len(z);
    if (total == 0) return 0;
    int n = 0;
    zs_iter it;
    const char *m;
    size_t mlen;
    double score;
    zs_iter_init(&it, z, 0, 0, total);
    while (zs_iter_next(&it, &m, &mlen, &score)) {
        argv[2 + 2 * n] = scores[n];
        lens[2 + 2 * n] = (size_t)d_to_str(scores[n], sizeof scores[n], score);
        argv[3 + 2 * n] = m;
        lens[3 + 2 * n] = mlen;
        if (++n == OBJ_REWRITE_BATCH) {
            if (emit(priv, 2 + 2 * n, argv, lens) != 0) return -1;
            n = 0;
        }
    }
    return n ? emit(priv, 2 + 2 * n, argv, lens) : 0;
}

const obj_type zset_obj_type = {
    .name = "zset", .free = zobj_free, .dup = zobj_dup, .mem = zobj_mem, .rewrite = zobj_rewrite};

/* ---- shared helpers ------------------------------------------------------ */

static void zset_limits(server *s, zset *z)
{
    zs_set_limits(z, (size_t)s->cfg.zset_max_listpack_entries, (size_t)s->cfg.zset_max_listpack_value);
}

zset *zset_new_cfg(server *s, int enc)
{
    return zs_new(enc, (size_t)s->cfg.zset_max_listpack_entries, (size_t)s->cfg.zset_max_listpack_value);
}

obj *zobj_new(server *s, int enc)
{
    obj *o = obj_new(OBJ_ZSET, ENC_LISTPACK, zset_new_cfg(s, enc));
    zobj_sync(o);
    return o;
}

void zobj_sync(obj *o) { o->encoding = zs_encoding(o->ptr) == ZS_ENC_PACK ? ENC_LISTPACK : ENC_SKIPLIST; }

obj *zlookup(session *c, const char *key, int write, int *err)
{
    obj *o = write ? db_lookup_write(c->srv, c->db, key) : db_lookup_read(c->srv, c->db, key, 0);
    *err = 0;
    if (o && o->type != OBJ_ZSET) {
        reply_err_wrongtype(c);
        *err = 1;
        return NULL;
    }
    if (o && write) zset_limits(c->srv, o->ptr);
    return o;
}

int zparse_long(const char *s, long long *v)
{
    long long x;
    if (!str_to_ll(s, sbuf_len(s), &x) || x < LONG_MIN || x > LONG_MAX) return -1;
    *v = x;
    return 0;
}

void zreply_pairs_header(session *c, long n, int withscores)
{
    reply_array(c, withscores && c->resp == 2 ? n * 2 : n);
}

void zreply_pair(session *c, const char *m, size_t len, double score, int withscores)
{
    if (withscores && c->resp > 2) reply_array(c, 2);
    reply_bulk(c, m, len);
    if (withscores) reply_double(c, score);
}

void zstore_result(session *c, const char *dst, zset *z)
{
    server *s = c->srv;
    size_t n = zs_len(z);
    if (n) {
        zset_limits(s, z);
        zs_shrink_if_fits(z);
        obj *o = obj_new(OBJ_ZSET, ENC_LISTPACK, z);
        zobj_sync(o);
        db_set(s, c->db, dst, o, 0);
        db_signal_modified(s, c->db, dst);
        /* The event is the command's name: zrangestore, zunionstore, ... */
        notify_keyspace_event(s, NOTIFY_ZSET, c->cmd->name, dst, c->dbid);
        s->dirty++;
    } else {
        zs_free(z);
        if (db_delete(s, c->db, dst)) {
            db_signal_modified(s, c->db, dst);
            notify_keyspace_event(s, NOTIFY_GENERIC, "del", dst, c->dbid);
            s->dirty++;
        }
    }
    reply_int(c, (long long)n);
}

/* after_write: delete the key if its set is now empty, else resync encoding. */
static void after_write(session *c, const char *key, obj *o)
{
    if (zs_len(o->ptr) == 0) db_delete(c->srv, c->db, key);
    else zobj_sync(o);
    db_signal_modified(c->srv, c->db, key);
}

/* removed ends a removal of n > 0 members from the set o at key (ZREM,
 * ZREMRANGEBY*): after_write, the event, "del" when the set went with
 * it, and n more dirty. */
static void removed(session *c, const char *key, obj *o, const char *event, long long n)
{
    int gone = zs_len(o->ptr) == 0;
    after_write(c, key, o);
    notify_keyspace_event(c->srv, NOTIFY_ZSET, event, key, c->dbid);
    if (gone) notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", key, c->dbid);
    c->srv->dirty += n;
}

/* ---- ranges -------------------------------------------------------------- */

/* Redis's zslParseRange: "(" for exclusive, the rest through strtod. */
static int parse_score_bound(const char *s, double *v, int *ex)
{
    char *end;
    *ex = 0;
    if (s[0] == '(') {
        *ex = 1;
        s++;
    }
    *v = strtod(s, &end);
    if (end[0] != '\0' || isnan(*v)) return -1;
    return 0;
}

static int parse_score_range(const char *min, const char *max, zs_range *r)
{
    if (parse_score_bound(min, &r->min, &r->minex) < 0 || parse_score_bound(max, &r->max, &r->maxex) < 0) return -1;
    return 0;
}

static int parse_lex_bound(const char *s, zs_lexbound *b)
{
    size_t n = sbuf_len(s);
    b->p = NULL;
    b->len = 0;
    b->ex = 0;
    b->kind = 0;
    if (n == 0) return -1;
    switch (s[0]) {
    case '+':
        if (n != 1) return -1;
        b->kind = 1;
        return 0;
    case '-':
        if (n != 1) return -1;
        b->kind = -1;
        return 0;
    case '(':
        b->ex = 1;
        /* fall through */
    case '[':
        b->p = s + 1;
        b->len = n - 1;
        return 0;
    }
    return -1;
}

static int parse_lex_range(const char *min, const char *max, zs_lexrange *r)
{
    if (parse_lex_bound(min, &r->min) < 0 || parse_lex_bound(max, &r->max) < 0) return -1;
    return 0;
}

/* The kinds of range: by rank, by score, by lex; ZR_AUTO is ZRANGE's
 * "not chosen yet" (rank unless BYSCORE or BYLEX). */
enum { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };

/* A parsed min..max of one kind; only that kind's fields are set. */
typedef struct zrange_spec {
    int type;                /* ZR_RANK, ZR_SCORE or ZR_LEX */
    long long start, end;    /* ZR_RANK: as given, negatives count from the end */
    zs_range sr;             /* ZR_SCORE */
    zs_lexrange lr;          /* ZR_LEX */
} zrange_spec;

/* parse_range reads min and max as a range of the given type: 0, or -1
 * after replying Redis's error for that kind (not an integer; "min or
 * max is not a float"; "min or max not valid string range item").  A lex
 * range points into min and max. */
static int parse_range(session *c, int type, const char *min, const char *max, zrange_spec *r)
{
    r->type = type;
    if (type == ZR_RANK) {
        if (zparse_long(min, &r->start) < 0 || zparse_long(max, &r->end) < 0) {
            reply_err_notint(c);
            return -1;
        }
    } else if (type == ZR_SCORE) {
        if (parse_score_range(min, max, &r->sr) < 0) {
            reply_error(c, "ERR min or max is not a float");
            return -1;
        }
    } else if (parse_lex_range(min, max, &r->lr) < 0) {
        reply_error(c, "ERR min or max not valid string range item");
        return -1;
    }
    return 0;
}

/* range_ranks gives the ranks r covers in z: the count, and the lowest
 * rank in *first (left alone when the count is 0).  A rank range is
 * clamped to the set as ZRANGE does (start below 0 becomes 0, end past
 * the last rank the last). */
static size_t range_ranks(zset *z, const zrange_spec *r, size_t *first)
{
    if (r->type == ZR_SCORE) return zs_range_score(z, &r->sr, first);
    if (r->type == ZR_LEX) return zs_range_lex(z, &r->lr, first);
    long long llen = (long long)zs_len(z), start = r->start, end = r->end;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return 0;
    if (end >= llen) end = llen - 1;
    *first = (size_t)start;
    return (size_t)(end - start + 1);
}

/* ---- ZADD / ZINCRBY ------------------------------------------------------ */

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
 * ZINCRBY key increment member */
static void zadd_generic(session *c, int in)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    const char *key = a->argv[1];
    int ch = 0;
    int idx = 2;
    for (; idx < a->argc; idx++) {
        const char *opt = a->argv[idx];
        if (!strcasecmp(opt, "nx")) in |= ZS_IN_NX;
        else if (!strcasecmp(opt, "xx")) in |= ZS_IN_XX;
        else if (!strcasecmp(opt, "ch")) ch = 1;
        else if (!strcasecmp(opt, "incr")) in |= ZS_IN_INCR;
        else if (!strcasecmp(opt, "gt")) in |= ZS_IN_GT;
        else if (!strcasecmp(opt, "lt")) in |= ZS_IN_LT;
        else break;
    }
    int incr = in & ZS_IN_INCR, nx = in & ZS_IN_NX, xx = in & ZS_IN_XX, gt = in & ZS_IN_GT, lt = in & ZS_IN_LT;
    int elements = a->argc - idx;
    if (elements % 2 || elements == 0) {
        reply_err_syntax(c);
        return;
    }
    elements /= 2;
    if (nx && xx) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if (incr && elements > 1) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    double stack_scores[16];
    double *scores = elements <= 16 ? stack_scores : xmalloc(sizeof(double) * (size_t)elements);
    for (int j = 0; j < elements; j++) {
        const char *sc = a->argv[idx + j * 2];
        if (!str_to_d(sc, sbuf_len(sc), &scores[j])) {
            reply_err_notfloat(c);
            goto done;
        }
    }
    int err;
    obj *o = zlookup(c, key, 1, &err);
    if (err) goto done;
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    if (!o) {
        if (xx) goto reply;
        size_t first_len = sbuf_len(a->argv[idx + 1]);
        /* As Redis 7.0: the first member's length and a 0 entry limit decide. */
        int sl = s->cfg.zset_max_listpack_entries == 0 || first_len > (size_t)s->cfg.zset_max_listpack_value;
        o = zobj_new(s, sl ? ZS_ENC_SKIPLIST : ZS_ENC_PACK);
        db_add(s, c->db, key, o);
    }
    for (int j = 0; j < elements; j++) {
        const char *m = a->argv[idx + j * 2 + 1];
        int out;
        double ns;
        if (!zs_add(o->ptr, m, sbuf_len(m), scores[j], in, &out, &ns)) {
            reply_error(c, "ERR resulting score is not a number (NaN)");
            if (zs_len(o->ptr) == 0) db_delete(s, c->db, key);
            goto done;
        }
        if (out & ZS_OUT_ADDED) added++;
        if (out & ZS_OUT_UPDATED) updated++;
        if (!(out & ZS_OUT_NOP)) processed++;
        score = ns;
    }
reply:
    if (incr) {
        if (processed) reply_double(c, score);
        else reply_null(c);
    } else {
        reply_int(c, ch ? added + updated : added);
    }
    if (o && (added || updated)) {
        after_write(c, key, o);
        notify_keyspace_event(s, NOTIFY_ZSET, incr ? "zincr" : "zadd", key, c->dbid);
        s->dirty += added + updated;
        if (incr) {
            char buf[64];
            int n = d_to_str(buf, sizeof buf, score);
            const char *m = a->argv[idx + 1];
            const char *ev[4] = {"ZADD", key, buf, m};
            size_t lens[4] = {4, sbuf_len(key), (size_t)n, sbuf_len(m)};
            effect_rewrite(c, 4, ev, lens);
        }
    } else if (o && zs_len(o->ptr) == 0) {
        db_delete(s, c->db, key);
    }
done:
    if (scores != stack_scores) xfree(scores);
}

void cmd_zadd(session *c) { zadd_generic(c, 0); }

void cmd_zincrby(session *c) { zadd_generic(c, ZS_IN_INCR); }

/* ZREM key member [member ...] */
void cmd_zrem(session *c)
{
    argv_t *a = &c->args;
    int err;
    obj *o = zlookup(c, a->argv[1], 1, &err);
    if (err) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    long long deleted = 0;
    for (int j = 2; j < a->argc; j++) {
        deleted += zs_del(o->ptr, a->argv[j], sbuf_len(a->argv[j]));
        if (zs_len(o->ptr) == 0) break;
    }
    reply_int(c, deleted);
    if (deleted) removed(c, a->argv[1], o, "zrem", deleted);
}

/* ---- reads --------------------------------------------------------------- */

/* ZSCORE key member */
void cmd_zscore(session *c)
{
    int err;
    obj *o = zlookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    double score;
    if (!o || !zs_score(o->ptr, c->args.argv[2], sbuf_len(c->args.argv[2]), &score)) reply_null(c);
    else reply_double(c, score);
}

/* ZMSCORE key member [member ...] */
void cmd_zmscore(session *c)
{
    argv_t *a = &c->args;
    int err;
    obj *o = zlookup(c, a->argv[1], 0, &err);
    if (err) return;
    reply_array(c, a->argc - 2);
    for (int j = 2; j < a->argc; j++) {
        double score;
        if (!o || !zs_score(o->ptr, a->argv[j], sbuf_len(a->argv[j]), &score)) reply_null(c);
        else reply_double(c, score);
    }
}

/* ZCARD key */
void cmd_zcard(session *c)
{
    int err;
    obj *o = zlookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    reply_int(c, o ? (long long)zs_len(o->ptr) : 0);
}

/* ZCOUNT key min max / ZLEXCOUNT key min max */
static void zcount_generic(session *c, int type)
{
    zrange_spec r;
    if (parse_range(c, type, c->args.argv[2], c->args.argv[3], &r) < 0) return;
    int err;
    obj *o = zlookup(c, c->args.argv[1], 0, &err);
    if (err) return;
    size_t first;
    reply_int(c, o ? (long long)range_ranks(o->ptr, &r, &first) : 0);
}

void cmd_zcount(session *c) { zcount_generic(c, ZR_SCORE); }

void cmd_zlexcount(session *c) { zcount_generic(c, ZR_LEX); }

/* ZRANK key member [WITHSCORE] / ZREVRANK key member [WITHSCORE] */
static void zrank_generic(session *c, int rev)
{
    argv_t *a = &c->args;
    int withscore = 0;
    if (a->argc > 4) {
        reply_err_syntax(c);
        return;
    }
    if (a->argc == 4) {
        if (strcasecmp(a->argv[3], "withscore")) {
            reply_err_syntax(c);
            return;
        }
        withscore = 1;
    }
    int err;
    obj *o = zlookup(c, a->argv[1], 0, &err);
    if (err) return;
    double score;
    long long rank = o ? zs_rank(o->ptr, a->argv[2], sbuf_len(a->argv[2]), rev, &score) : -1;
    if (rank < 0) {
        if (withscore) reply_null_array(c);
        else reply_null(c);
        return;
    }
    if (withscore) reply_array(c, 2);
    reply_int(c, rank);
    if (withscore) reply_double(c, score);
}

void cmd_zrank(session *c) { zrank_generic(c, 0); }

void cmd_zrevrank(session *c) { zrank_generic(c, 1); }

/* ---- the ZRANGE family --------------------------------------------------- */

/* Emit ascending ranks [first, first+n) (or down from first+n-1 when rev)
 * to the client or into dst. */
static void emit_ranks(session *c, zset *z, size_t start, int rev, size_t n, int withscores, zset *dst)
{
    if (!dst) zreply_pairs_header(c, (long)n, withscores);
    if (n == 0) return;
    zs_iter it;
    const char *m;
    size_t len;
    double score;
    zs_iter_init(&it, z, start, rev, n);
    while (zs_iter_next(&it, &m, &len, &score)) {
        if (dst) {
            int out;
            zs_add(dst, m, len, score, 0, &out, NULL);
        } else {
            zreply_pair(c, m, len, score, withscores);
        }
    }
}

/* zrange_generic serves every ZRANGE form.  argv[keyidx] is the source,
 * argv[keyidx+1..2] the range; dst (ZRANGESTORE) or NULL.  type and rev
 * are fixed by the legacy commands, ZR_AUTO / -1 for ZRANGE. */
static void zrange_generic(session *c, int keyidx, const char *dst, int type, int rev)
{
    argv_t *a = &c->args;
    int withscores = 0;
    long long offset = 0, limit = -1;
    for (int j = keyidx + 3; j < a->argc; j++) {
        int left = a->argc - j - 1;
        const char *opt = a->argv[j];
        if (!dst && !strcasecmp(opt, "withscores")) {
            withscores = 1;
        } else if (!strcasecmp(opt, "limit") && left >= 2) {
            if (zparse_long(a->argv[j + 1], &offset) < 0 || zparse_long(a->argv[j + 2], &limit) < 0) {
                reply_err_notint(c);
                return;
            }
            j += 2;
        } else if (rev == -1 && !strcasecmp(opt, "rev")) {
            rev = 1;
        } else if (type == ZR_AUTO && !strcasecmp(opt, "bylex")) {
            type = ZR_LEX;
        } else if (type == ZR_AUTO && !strcasecmp(opt, "byscore")) {
            type = ZR_SCORE;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (rev == -1) rev = 0;
    if (type == ZR_AUTO) type = ZR_RANK;
    if (limit != -1 && type == ZR_RANK) {
        reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return;
    }
    if (withscores && type == ZR_LEX) {
        reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    const char *minarg = a->argv[keyidx + 1], *maxarg = a->argv[keyidx + 2];
    if (rev && type != ZR_RANK) {
        const char *t = minarg;
        minarg = maxarg;
        maxarg = t;
    }
    zrange_spec r;
    if (parse_range(c, type, minarg, maxarg, &r) < 0) return;

    int err;
    obj *o = zlookup(c, a->argv[keyidx], 0, &err);   /* a read even for STORE: keymiss as Redis 7.0 */
    if (err) return;
    zset *out = dst ? zset_new_cfg(c->srv, ZS_ENC_PACK) : NULL;
    if (!o) {
        if (dst) zstore_result(c, dst, out);
        else reply_empty_array(c);
        return;
    }
    zset *z = o->ptr;
    size_t first = 0, n = 0;
    if (type == ZR_RANK) {
        n = range_ranks(z, &r, &first);
        if (n && rev) first = zs_len(z) - 1 - first;
    } else {
        size_t lo = 0;
        size_t cnt = range_ranks(z, &r, &lo);
        if (offset < 0 || (unsigned long long)offset >= cnt) {
            n = 0;
        } else {
            size_t avail = cnt - (size_t)offset;
            n = limit < 0 || (unsigned long long)limit >= avail ? avail : (size_t)limit;
            first = rev ? lo + cnt - 1 - (size_t)offset : lo + (size_t)offset;
        }
    }
    emit_ranks(c, z, first, rev, n, withscores, out);
    if (dst) zstore_result(c, dst, out);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
void cmd_zrange(session *c) { zrange_generic(c, 1, NULL, ZR_AUTO, -1); }

/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
void cmd_zrangestore(session *c) { zrange_generic(c, 2, c->args.argv[1], ZR_AUTO, -1); }

/* ZREVRANGE key start stop [WITHSCORES] */
void cmd_zrevrange(session *c) { zrange_generic(c, 1, NULL, ZR_RANK, 1); }

/* ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
void cmd_zrangebyscore(session *c) { zrange_generic(c, 1, NULL, ZR_SCORE, 0); }

/* ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
void cmd_zrevrangebyscore(session *c) { zrange_generic(c, 1, NULL, ZR_SCORE, 1); }

/* ZRANGEBYLEX key min max [LIMIT offset count] */
void cmd_zrangebylex(session *c) { zrange_generic(c, 1, NULL, ZR_LEX, 0); }

/* ZREVRANGEBYLEX key max min [LIMIT offset count] */
void cmd_zrevrangebylex(session *c) { zrange_generic(c, 1, NULL, ZR_LEX, 1); }

/* ---- ZREMRANGEBY* -------------------------------------------------------- */

static void zremrange_generic(session *c, int type)
{
    argv_t *a = &c->args;
    zrange_spec r;
    if (parse_range(c, type, a->argv[2], a->argv[3], &r) < 0) return;
    int err;
    obj *o = zlookup(c, a->argv[1], 1, &err);
    if (err) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    zset *z = o->ptr;
    size_t first = 0, n = range_ranks(z, &r, &first);
    size_t deleted = n ? zs_delete_ranks(z, first, first + n - 1) : 0;
    reply_int(c, (long long)deleted);
    if (deleted) {
        const char *event = type == ZR_RANK ? "zremrangebyrank" : type == ZR_SCORE ? "zremrangebyscore" : "zremrangebylex";
        removed(c, a->argv[1], o, event, (long long)deleted);
    }
}

/* ZREMRANGEBYRANK key start stop */
void cmd_zremrangebyrank(session *c) { zremrange_generic(c, ZR_RANK); }

/* ZREMRANGEBYSCORE key min max */
void cmd_zremrangebyscore(session *c) { zremrange_generic(c, ZR_SCORE); }

/* ZREMRANGEBYLEX key min max */
void cmd_zremrangebylex(session *c) { zremrange_generic(c, ZR_LEX); }
