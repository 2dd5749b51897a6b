/* cmd_zset_ops.c — sorted set commands that pop, sample, scan or combine:
 * ZPOPMIN ZPOPMAX ZMPOP BZPOPMIN BZPOPMAX BZMPOP ZRANDMEMBER ZSCAN, and the set algebra ZUNIONSTORE
 * ZINTERSTORE ZDIFFSTORE ZUNION ZINTER ZDIFF ZINTERCARD.
 *
 * Semantics, replies and errors follow Redis 7.0.15 (see cmd_zset.c for the
 * reply conventions).  The set algebra accepts plain sets as inputs (every
 * member scoring 1), applies WEIGHTS (a NaN product counts as 0) and
 * AGGREGATE SUM|MIN|MAX (inf + -inf counts as 0), and visits inputs from
 * the smallest, as Redis does, so float sums come out the same.
 *
 * Blocking pops follow broker/blocking.h: served by re-running the command
 * when a waited key becomes a zset; a timeout (or MULTI) answers a null
 * array.
 *
 * Effects: ZMPOP and BZMPOP are rewritten to `ZPOPMIN|ZPOPMAX key count`,
 * BZPOPMIN/BZPOPMAX to `ZPOPMIN|ZPOPMAX key`; the others replay from their
 * own argv.
 */
#include "cmd_zset.h"
#include "scan_args.h"
#include "commands.h"
#include "effect.h"
#include "alloc.h"
#include "blocking.h"
#include "glob.h"
#include "set.h"
#include "notify.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- ZPOPMIN / ZPOPMAX / ZMPOP ------------------------------------------ */

/* Reply shapes of the pops. */
enum {
    POP_PLAIN,     /* ZPOPMIN/ZPOPMAX: flat [m, s, ...]; RESP3 with a count: [[m, s] ...] */
    POP_KEYED,     /* BZPOPMIN/BZPOPMAX: [key, m, s] */
    POP_MULTI,     /* ZMPOP/BZMPOP: [key, [[m, s] ...]] */
};

/* first_zset finds the first of keys[] holding a zset; NULL if none (or
 * *err after replying WRONGTYPE for a key of another type met first). */
static obj *first_zset(session *c, sbuf *keys, int nkeys, const char **key, int *err)
{
    *err = 0;
    for (int i = 0; i < nkeys; i++) {
        obj *o = zlookup(c, keys[i], 1, err);
        if (*err) return NULL;
        if (o) {
            *key = keys[i];
            return o;
        }
    }
    return NULL;
}

/* pop_from pops up to count (-1: one, no count given) members of the zset
 * o at key, replies in the given shape and, unless shape is POP_PLAIN,
 * rewrites the effect to `ZPOPMIN|ZPOPMAX key [count]`. */
static void pop_from(session *c, obj *o, const char *key, int rev, long long count, int shape)
{
    server *s = c->srv;
    int given = count != -1;
    int nested = shape == POP_MULTI || (shape == POP_PLAIN && c->resp > 2 && given);
    if (count == -1) count = 1;
    zset *z = o->ptr;
    size_t llen = zs_len(z);
    size_t n = (unsigned long long)count > llen ? llen : (size_t)count;
    if (shape == POP_MULTI) {
        reply_array(c, 2);
        reply_bulk_sbuf(c, key);
        reply_array(c, (long)n);
    } else if (shape == POP_KEYED) {
        reply_array(c, (long)n * 2 + 1);
        reply_bulk_sbuf(c, key);
    } else {
        reply_array(c, nested ? (long)n : (long)n * 2);
    }
    zs_iter it;
    const char *m;
    size_t len;
    double score;
    zs_iter_init(&it, z, rev ? llen - 1 : 0, rev, n);
    while (zs_iter_next(&it, &m, &len, &score)) {
        if (nested) reply_array(c, 2);
        reply_bulk(c, m, len);
        reply_double(c, score);
    }
    if (rev) zs_delete_ranks(z, llen - n, llen - 1);
    else zs_delete_ranks(z, 0, n - 1);
    if (shape != POP_PLAIN) {
        char num[24];
        int nl = ll_to_str(num, sizeof num, (long long)n);
        const char *ev[3] = {rev ? "ZPOPMAX" : "ZPOPMIN", key, num};
        size_t lens[3] = {7, sbuf_len(key), (size_t)nl};
        effect_rewrite(c, shape == POP_KEYED ? 2 : 3, ev, lens);
    }
    notify_keyspace_event(s, NOTIFY_ZSET, rev ? "zpopmax" : "zpopmin", key, c->dbid);
    if (zs_len(z) == 0) {
        db_delete(s, c->db, key);
        notify_keyspace_event(s, NOTIFY_GENERIC, "del", key, c->dbid);
    } else {
        zobj_sync(o);
    }
    db_signal_modified(s, c->db, key);
    s->dirty += (long long)n;
}

/* pop_generic: the non-blocking pops over keys[]. */
static void pop_generic(session *c, sbuf *keys, int nkeys, int rev, long long count, int shape)
{
    const char *key = NULL;
    int err;
    obj *o = first_zset(c, keys, nkeys, &key, &err);
    if (err) return;
    if (!o) {
        if (shape == POP_MULTI) reply_null_array(c);
        else reply_empty_array(c);
        return;
    }
    if (count == 0) {
        reply_empty_array(c);
        return;
    }
    pop_from(c, o, key, rev, count, shape);
}

static void null_array_timeout(session *c) { reply_null_array(c); }

/* bpop_generic: the blocking pops.  timeout is the timeout argument. */
static void bpop_generic(session *c, const char *timeout, sbuf *keys, int nkeys, int rev, long long count, int shape)
{
    long long deadline;
    if (block_parse_timeout(c, timeout, &deadline) < 0) return;
    const char *key = NULL;
    int err;
    obj *o = first_zset(c, keys, nkeys, &key, &err);
    if (err) return;
    if (o) {
        pop_from(c, o, key, rev, count, shape);
        return;
    }
    if (!block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_for_keys(c, keys, nkeys, OBJ_ZSET, deadline, null_array_timeout);
}

/* ZPOPMIN key [count] / ZPOPMAX key [count] */
static void zpop_minmax(session *c, int rev)
{
    argv_t *a = &c->args;
    long long count = -1;
    if (a->argc > 3) {
        reply_err_syntax(c);
        return;
    }
    if (a->argc == 3) {
        if (zparse_long(a->argv[2], &count) < 0 || count < 0) {
            reply_error(c, "ERR value is out of range, must be positive");
            return;
        }
    }
    pop_generic(c, &a->argv[1], 1, rev, count, POP_PLAIN);
}

void cmd_zpopmin(session *c) { zpop_minmax(c, 0); }

void cmd_zpopmax(session *c) { zpop_minmax(c, 1); }

/* zmpop_generic parses [B]ZMPOP from argv[nkidx] (numkeys) on; timeout
 * is BZMPOP's timeout argument or NULL. */
static void zmpop_generic(session *c, int nkidx, const char *timeout)
{
    mpop_args m;
    if (mpop_args_parse(c, nkidx, "min", "max", &m) < 0) return;
    sbuf *keys = &c->args.argv[nkidx + 1];
    if (timeout) bpop_generic(c, timeout, keys, m.numkeys, m.which, m.count, POP_MULTI);
    else pop_generic(c, keys, m.numkeys, m.which, m.count, POP_MULTI);
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_zmpop(session *c) { zmpop_generic(c, 1, NULL); }

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_bzmpop(session *c) { zmpop_generic(c, 2, c->args.argv[1]); }

/* BZPOPMIN key [key ...] timeout */
void cmd_bzpopmin(session *c)
{
    argv_t *a = &c->args;
    bpop_generic(c, a->argv[a->argc - 1], &a->argv[1], a->argc - 2, 0, -1, POP_KEYED);
}

/* BZPOPMAX key [key ...] timeout */
void cmd_bzpopmax(session *c)
{
    argv_t *a = &c->args;
    bpop_generic(c, a->argv[a->argc - 1], &a->argv[1], a->argc - 2, 1, -1, POP_KEYED);
}

/* ---- ZRANDMEMBER --------------------------------------------------------- */

static uint64_t rand_state;

static uint64_t rand64(void)
{
    if (!rand_state) rand_state = (uint64_t)random() << 32 ^ (uint64_t)random() ^ 0x2545f4914f6cdd1dULL;
    rand_state ^= rand_state >> 12;
    rand_state ^= rand_state << 25;
    rand_state ^= rand_state >> 27;
    return rand_state * 0x2545f4914f6cdd1dULL;
}

static void reply_at_rank(session *c, zset *z, size_t rank, int withscores)
{
    zs_iter it;
    const char *m;
    size_t len;
    double score;
    zs_iter_init(&it, z, rank, 0, 1);
    if (zs_iter_next(&it, &m, &len, &score)) zreply_pair(c, m, len, score, withscores);
}

/* ZRANDMEMBER key [count [WITHSCORES]] */
void cmd_zrandmember(session *c)
{
    argv_t *a = &c->args;
    long l = 0;
    int withscores = 0, with_count = a->argc >= 3;
    if (with_count && randcount_args_parse(c, "withscores", &l, &withscores) < 0) return;
    int err;
    obj *o = zlookup(c, a->argv[1], 0, &err);
    if (err) return;
    if (!o) {
        if (with_count) reply_empty_array(c);
        else reply_null(c);
        return;
    }
    zset *z = o->ptr;
    size_t size = zs_len(z);
    if (!with_count) {
        zs_iter it;
        const char *m;
        size_t len;
        double score;
        zs_iter_init(&it, z, (size_t)(rand64() % size), 0, 1);
        zs_iter_next(&it, &m, &len, &score);
        reply_bulk(c, m, len);
        return;
    }
    if (l == 0) {
        reply_empty_array(c);
        return;
    }
    if (l < 0) {
        /* With repetitions. */
        size_t count = (size_t)-l;
        zreply_pairs_header(c, (long)count, withscores);
        for (size_t i = 0; i < count; i++) reply_at_rank(c, z, (size_t)(rand64() % size), withscores);
        return;
    }
    size_t count = (size_t)l;
    if (count >= size) {
        /* The whole set, from the highest score down, as Redis replies. */
        zreply_pairs_header(c, (long)size, withscores);
        zs_iter it;
        const char *m;
        size_t len;
        double score;
        zs_iter_init(&it, z, size - 1, 1, size);
        while (zs_iter_next(&it, &m, &len, &score)) zreply_pair(c, m, len, score, withscores);
        return;
    }
    /* Distinct members: mark chosen ranks in a bitmap (or the unchosen ones
     * when most are wanted), then walk the marks. */
    int pick_excluded = count > size / 2;
    size_t marks = pick_excluded ? size - count : count;
    unsigned char *bits = xcalloc((size + 7) / 8, 1);
    for (size_t got = 0; got < marks;) {
        size_t r = (size_t)(rand64() % size);
        if (bits[r / 8] & (1u << (r % 8))) continue;
        bits[r / 8] |= (unsigned char)(1u << (r % 8));
        got++;
    }
    zreply_pairs_header(c, (long)count, withscores);
    if (!pick_excluded && count < 64) {
        for (size_t r = 0; r < size; r++)
            if (bits[r / 8] & (1u << (r % 8))) reply_at_rank(c, z, r, withscores);
    } else {
        zs_iter it;
        const char *m;
        size_t len;
        double score;
        zs_iter_init(&it, z, 0, 0, size);
        for (size_t r = 0; zs_iter_next(&it, &m, &len, &score); r++) {
            int marked = (bits[r / 8] & (1u << (r % 8))) != 0;
            if (marked != pick_excluded) zreply_pair(c, m, len, score, withscores);
        }
    }
    xfree(bits);
}

/* ---- ZSCAN --------------------------------------------------------------- */

typedef struct scan_out {
    sbuf *v;       /* member, score, member, score ... */
    size_t n, cap;
    const zset *z;
} scan_out;

static void scan_collect(void *priv, const char *m, size_t len, double score)
{
    scan_out *o = priv;
    if (o->n + 2 > o->cap) {
        o->cap = o->cap ? o->cap * 2 : 32;
        o->v = xrealloc(o->v, o->cap * sizeof(sbuf));
    }
    char buf[64];
    int bl = zs_scan_score_str(o->z, score, buf, sizeof buf);
    o->v[o->n++] = sbuf_new(m, len);
    o->v[o->n++] = sbuf_new(buf, (size_t)bl);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count] */
void cmd_zscan(session *c)
{
    unsigned long cursor;
    scan_args sa;
    obj *o = scan_lookup(c, OBJ_ZSET, &cursor, &sa);
    if (!o) return;
    zset *z = o->ptr;
    scan_out out = {.z = z};
    if (zs_encoding(z) == ZS_ENC_PACK) {
        zs_scan(z, 0, scan_collect, &out);
        cursor = 0;
    } else {
        unsigned long long maxiter = (unsigned long long)sa.count * 10;
        do {
            cursor = zs_scan(z, cursor, scan_collect, &out);
        } while (cursor && maxiter-- && out.n < (size_t)sa.count);
    }
    scan_reply_cursor(c, cursor);
    size_t kept = 0;
    for (size_t i = 0; i < out.n; i += 2)
        if (!sa.pat || glob_match(sa.pat, sa.plen, out.v[i], sbuf_len(out.v[i]), 0)) kept += 2;
    reply_array(c, (long)kept);
    for (size_t i = 0; i < out.n; i += 2) {
        if (!sa.pat || glob_match(sa.pat, sa.plen, out.v[i], sbuf_len(out.v[i]), 0)) {
            reply_bulk_sbuf(c, out.v[i]);
            reply_bulk_sbuf(c, out.v[i + 1]);
        }
        sbuf_free(out.v[i]);
        sbuf_free(out.v[i + 1]);
    }
    xfree(out.v);
}

/* ---- set algebra --------------------------------------------------------- */

enum { OP_UNION, OP_INTER, OP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

typedef struct zsrc {
    obj *o;           /* NULL: missing key (empty) */
    double weight;
    size_t card;
} zsrc;

static size_t src_card(const obj *o)
{
    if (!o) return 0;
    return o->type == OBJ_ZSET ? zs_len(o->ptr) : set_size(o->ptr);
}

static int src_score(const zsrc *s, const char *m, size_t len, double *score)
{
    if (!s->o) return 0;
    if (s->o->type == OBJ_ZSET) return zs_score(s->o->ptr, m, len, score);
    if (!set_contains(s->o->ptr, m, len)) return 0;
    *score = 1.0;
    return 1;
}

typedef void src_visit_fn(void *priv, const char *m, size_t len, double score);

static void src_each(const zsrc *s, src_visit_fn *fn, void *priv)
{
    if (!s->o) return;
    if (s->o->type == OBJ_ZSET) {
        zset *z = s->o->ptr;
        zs_iter it;
        const char *m;
        size_t len;
        double score;
        zs_iter_init(&it, z, 0, 0, zs_len(z));
        while (zs_iter_next(&it, &m, &len, &score)) fn(priv, m, len, score);
        return;
    }
    set_iter it;
    set_elem e;
    set_iter_init(&it, s->o->ptr);
    while (set_next(&it, &e)) {
        char buf[24];
        size_t len;
        const char *p = set_elem_str(&e, buf, &len);
        fn(priv, p, len, 1.0);
    }
    set_iter_done(&it);
}

static void aggregate(int agg, double *target, double val)
{
    if (agg == AGG_SUM) {
        *target += val;
        if (isnan(*target)) *target = 0.0;
    } else if (agg == AGG_MIN) {
        if (val < *target) *target = val;
    } else if (val > *target) {
        *target = val;
    }
}

static double weighted(double score, double w)
{
    double v = score * w;
    return isnan(v) ? 0.0 : v;
}

typedef struct algebra {
    zsrc *src;
    int nsrc, agg, op;
    zset *acc;
    size_t i;                 /* current source (union) */
    long long count, limit;   /* ZINTERCARD */
    int card_only;
} algebra;

static void put(zset *acc, const char *m, size_t len, double score)
{
    int out;
    zs_add(acc, m, len, score, 0, &out, NULL);
}

static void union_visit(void *priv, const char *m, size_t len, double score)
{
    algebra *al = priv;
    double v = weighted(score, al->src[al->i].weight), cur;
    if (zs_score(al->acc, m, len, &cur)) {
        double old = cur;
        aggregate(al->agg, &cur, v);
        /* zs_add keeps a score equal to the new one, but -0 + 0 is 0 and
         * Redis keeps the sum itself */
        if (cur == 0 && signbit(cur) != signbit(old)) zs_del(al->acc, m, len);
        put(al->acc, m, len, cur);
    } else {
        put(al->acc, m, len, v);
    }
}

static void inter_visit(void *priv, const char *m, size_t len, double score)
{
    algebra *al = priv;
    if (al->card_only && al->limit && al->count >= al->limit) return;
    double v = weighted(score, al->src[0].weight);
    for (int j = 1; j < al->nsrc; j++) {
        double other;
        if (!src_score(&al->src[j], m, len, &other)) return;
        /* unlike the first, Redis does not turn these products' NaN into 0:
         * SUM makes the NaN sum 0, MIN and MAX keep what they had */
        aggregate(al->agg, &v, other * al->src[j].weight);
    }
    if (al->card_only) al->count++;
    else put(al->acc, m, len, v);
}

static void diff_visit(void *priv, const char *m, size_t len, double score)
{
    algebra *al = priv;
    double other;
    for (int j = 1; j < al->nsrc; j++)
        if (src_score(&al->src[j], m, len, &other)) return;
    put(al->acc, m, len, score);
}

/* Stable sort by cardinality (ascending), as Redis's qsort of the inputs. */
static void sort_by_card(zsrc *v, int n)
{
    for (int i = 1; i < n; i++) {
        zsrc t = v[i];
        int j = i - 1;
        while (j >= 0 && v[j].card > t.card) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = t;
    }
}

/* zalgebra serves the set algebra; numkeys at argv[nkidx]; dst or NULL. */
static void zalgebra(session *c, const char *dst, int nkidx, int op, int card_only, const char *name)
{
    argv_t *a = &c->args;
    long long setnum;
    if (zparse_long(a->argv[nkidx], &setnum) < 0) {
        reply_err_notint(c);
        return;
    }
    if (setnum < 1) {
        reply_errorf(c, "ERR at least 1 input key is needed for '%s' command", name);
        return;
    }
    if (setnum > a->argc - (nkidx + 1)) {
        reply_err_syntax(c);
        return;
    }
    zsrc *src = xcalloc((size_t)setnum, sizeof *src);
    int j = nkidx + 1;
    for (int i = 0; i < setnum; i++, j++) {
        obj *o = db_lookup_read(c->srv, c->db, a->argv[j], 0);   /* also for STORE: keymiss as Redis 7.0 */
        if (o && o->type != OBJ_ZSET && o->type != OBJ_SET) {
            reply_err_wrongtype(c);
            goto done;
        }
        src[i].o = o;
        src[i].weight = 1.0;
        src[i].card = src_card(o);
    }
    int agg = AGG_SUM, withscores = 0;
    long long limit = 0;
    while (j < a->argc) {
        int remaining = a->argc - j;
        const char *opt = a->argv[j];
        if (op != OP_DIFF && !card_only && remaining >= setnum + 1 && !strcasecmp(opt, "weights")) {
            j++;
            for (int i = 0; i < setnum; i++, j++) {
                if (!str_to_d(a->argv[j], sbuf_len(a->argv[j]), &src[i].weight)) {
                    reply_error(c, "ERR weight value is not a float");
                    goto done;
                }
            }
        } else if (op != OP_DIFF && !card_only && remaining >= 2 && !strcasecmp(opt, "aggregate")) {
            const char *v = a->argv[j + 1];
            if (!strcasecmp(v, "sum")) agg = AGG_SUM;
            else if (!strcasecmp(v, "min")) agg = AGG_MIN;
            else if (!strcasecmp(v, "max")) agg = AGG_MAX;
            else {
                reply_err_syntax(c);
                goto done;
            }
            j += 2;
        } else if (!dst && !card_only && !strcasecmp(opt, "withscores")) {
            withscores = 1;
            j++;
        } else if (card_only && remaining >= 2 && !strcasecmp(opt, "limit")) {
            /* Redis answers the same error for a non-integer LIMIT */
            if (zparse_long(a->argv[j + 1], &limit) < 0 || limit < 0) {
                reply_error(c, "ERR LIMIT can't be negative");
                goto done;
            }
            j += 2;
        } else {
            reply_err_syntax(c);
            goto done;
        }
    }

    algebra al = {.src = src, .nsrc = (int)setnum, .agg = agg, .op = op, .limit = limit, .card_only = card_only};
    al.acc = zset_new_cfg(c->srv, ZS_ENC_SKIPLIST);
    if (op == OP_UNION) {
        sort_by_card(src, (int)setnum);
        for (al.i = 0; al.i < (size_t)setnum; al.i++) src_each(&src[al.i], union_visit, &al);
    } else if (op == OP_INTER) {
        sort_by_card(src, (int)setnum);
        if (src[0].card) src_each(&src[0], inter_visit, &al);
    } else {
        src_each(&src[0], diff_visit, &al);
    }

    if (card_only) {
        reply_int(c, al.count);
        zs_free(al.acc);
    } else if (dst) {
        zstore_result(c, dst, al.acc);
    } else {
        zset *z = al.acc;
        size_t n = zs_len(z);
        zreply_pairs_header(c, (long)n, withscores);
        zs_iter it;
        const char *m;
        size_t len;
        double score;
        zs_iter_init(&it, z, 0, 0, n);
        while (zs_iter_next(&it, &m, &len, &score)) zreply_pair(c, m, len, score, withscores);
        zs_free(z);
    }
done:
    xfree(src);
}

/* ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] */
void cmd_zunionstore(session *c) { zalgebra(c, c->args.argv[1], 2, OP_UNION, 0, "zunionstore"); }

/* ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] */
void cmd_zinterstore(session *c) { zalgebra(c, c->args.argv[1], 2, OP_INTER, 0, "zinterstore"); }

/* ZDIFFSTORE destination numkeys key [key ...] */
void cmd_zdiffstore(session *c) { zalgebra(c, c->args.argv[1], 2, OP_DIFF, 0, "zdiffstore"); }

/* ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
void cmd_zunion(session *c) { zalgebra(c, NULL, 1, OP_UNION, 0, "zunion"); }

/* ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
void cmd_zinter(session *c) { zalgebra(c, NULL, 1, OP_INTER, 0, "zinter"); }

/* ZDIFF numkeys key [key ...] [WITHSCORES] */
void cmd_zdiff(session *c) { zalgebra(c, NULL, 1, OP_DIFF, 0, "zdiff"); }

/* ZINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_zintercard(session *c) { zalgebra(c, NULL, 1, OP_INTER, 1, "zintercard"); }
