/* cmd_sort.c — SORT and SORT_RO over lists, sets and sorted sets.
 *
 * SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
 * [ALPHA] [STORE destination], as Redis 7.0's sort.c does it:
 *
 *  - Options are parsed first (a bad LIMIT number or unknown word replies
 *    before the key is looked at), then the key's type is checked.  A
 *    missing key sorts as an empty list.
 *  - A pattern's first '*' is replaced by the element; "->field" after it
 *    reads a hash field; "#" is the element itself; a pattern without '*'
 *    finds nothing.  BY without '*' (BY nosort) skips sorting: lists and
 *    sorted sets keep their order (DESC walks it backwards), sets keep
 *    their storage order unless STORE asks for a result a replay can
 *    rebuild, in which case they are sorted ALPHA.
 *  - Numeric sorting reads each weight with strtod; one that does not
 *    parse gives "ERR One or more scores can't be converted into double"
 *    (after sorting, as Redis).  Equal scores fall back to comparing the
 *    elements' bytes.  ALPHA compares with strcoll (main.c sets
 *    LC_COLLATE from the environment, as Redis does) unless STORE is
 *    given, then bytes.  A missing BY weight is 0 (numeric) or sorts
 *    first (ALPHA).  The sort is stable, as glibc's qsort (a merge sort),
 *    except BY with a LIMIT, which runs Redis's partial quicksort (pqsort)
 *    so that ties come out in the same order.
 *  - Sorting a sorted set turns it into a skiplist, as Redis does
 *    (OBJECT ENCODING shows it).
 *  - STORE writes a list (or deletes the destination when the result is
 *    empty) and replies its length; missing GET values are stored as "".
 *    Its effect is DEL destination + RPUSH destination elements... in
 *    batches, one atomic group, so a replay never re-sorts.
 */
#include "server.h"
#include "commands.h"
#include "effect.h"
#include "alloc.h"
#include "qlist.h"
#include "set.h"
#include "hash.h"
#include "zset.h"
#include "cmd_zset.h"
#include "notify.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One element to sort: its bytes, and its weight (a score, or the bytes
 * of its BY value for ALPHA; NULL when the BY key is missing). */
typedef struct sort_obj {
    sbuf elem;
    double score;
    sbuf cmp;
} sort_obj;

typedef struct sort_cfg {
    int desc, alpha, bypattern, store;
} sort_cfg;

/* ---- patterns --------------------------------------------------------- */

/* lookup_by_pattern is Redis's lookupKeyByPattern: the value the pattern
 * names for elem, as a new sbuf (the caller frees it), or NULL. */
static sbuf lookup_by_pattern(session *c, const char *pat, const char *elem)
{
    if (pat[0] == '#' && pat[1] == '\0') return sbuf_dup(elem);
    const char *star = strchr(pat, '*');
    if (!star) return NULL;
    size_t patlen = sbuf_len(pat), fieldlen = 0;
    const char *arrow = strstr(star + 1, "->");
    if (arrow && arrow[2] != '\0') fieldlen = patlen - (size_t)(arrow - pat) - 2;
    size_t prefixlen = (size_t)(star - pat), sublen = sbuf_len(elem);
    size_t postfixlen = patlen - (prefixlen + 1) - (fieldlen ? fieldlen + 2 : 0);
    sbuf key = sbuf_empty(prefixlen + sublen + postfixlen);
    key = sbuf_cat(key, pat, prefixlen);
    key = sbuf_cat(key, elem, sublen);
    key = sbuf_cat(key, star + 1, postfixlen);
    obj *o = db_lookup_read(c->srv, c->db, key, 0);
    sbuf_free(key);
    if (!fieldlen) {
        if (!o || o->type != OBJ_STRING) return NULL;
        char buf[32];
        size_t len;
        const char *p = obj_string_ptr(o, buf, &len);
        return sbuf_new(p, len);
    }
    if (!o || o->type != OBJ_HASH) return NULL;
    sbuf field = sbuf_new(arrow + 2, fieldlen);
    const char *v;
    size_t vlen;
    int found = hash_get(o->ptr, field, &v, &vlen);
    sbuf_free(field);
    return found ? sbuf_new(v, vlen) : NULL;
}

/* ---- comparing -------------------------------------------------------- */

/* bytes_cmp is Redis's compareStringObjects: memcmp, then the shorter first. */
static int bytes_cmp(const char *a, const char *b)
{
    size_t alen = sbuf_len(a), blen = sbuf_len(b), min = alen < blen ? alen : blen;
    int cmp = memcmp(a, b, min);
    if (cmp) return cmp;
    return alen < blen ? -1 : alen > blen;
}

/* sort_compare is Redis's sortCompare. */
static int sort_compare(const sort_obj *a, const sort_obj *b, const sort_cfg *cfg)
{
    int cmp;
    if (!cfg->alpha) {
        if (a->score > b->score) cmp = 1;
        else if (a->score < b->score) cmp = -1;
        else cmp = bytes_cmp(a->elem, b->elem);
    } else if (cfg->bypattern) {
        if (!a->cmp || !b->cmp) cmp = a->cmp == b->cmp ? 0 : (a->cmp == NULL ? -1 : 1);
        else cmp = cfg->store ? bytes_cmp(a->cmp, b->cmp) : strcoll(a->cmp, b->cmp);
    } else {
        cmp = cfg->store ? bytes_cmp(a->elem, b->elem) : strcoll(a->elem, b->elem);
    }
    return cfg->desc ? -cmp : cmp;
}

/* merge_sort sorts v[0..n) stably (tmp holds n), as glibc's qsort does. */
static void merge_sort(sort_obj *v, sort_obj *tmp, long n, const sort_cfg *cfg)
{
    if (n < 2) return;
    long n1 = n / 2, n2 = n - n1;
    merge_sort(v, tmp, n1, cfg);
    merge_sort(v + n1, tmp, n2, cfg);
    long i = 0, j = n1, k = 0;
    while (i < n1 && j < n) tmp[k++] = sort_compare(&v[i], &v[j], cfg) <= 0 ? v[i++] : v[j++];
    while (i < n1) tmp[k++] = v[i++];
    memcpy(v, tmp, (size_t)k * sizeof *v);
}

/* Redis's pqsort (pqsort.c: NetBSD's qsort, recursing only into parts
 * that overlap the range [lo, hi] wanted), used for BY with a LIMIT.  It
 * is not stable, so ties come out as Redis's come out only when the same
 * algorithm sees the same input: this is that algorithm, step for step. */
static void so_swap(sort_obj *a, sort_obj *b)
{
    sort_obj t = *a;
    *a = *b;
    *b = t;
}

static void so_vecswap(sort_obj *a, sort_obj *b, long n)
{
    for (long i = 0; i < n; i++) so_swap(a + i, b + i);
}

static sort_obj *so_med3(sort_obj *a, sort_obj *b, sort_obj *c, const sort_cfg *cfg)
{
    return sort_compare(a, b, cfg) < 0
               ? (sort_compare(b, c, cfg) < 0 ? b : (sort_compare(a, c, cfg) < 0 ? c : a))
               : (sort_compare(b, c, cfg) > 0 ? b : (sort_compare(a, c, cfg) < 0 ? a : c));
}

static void pqsort_range(sort_obj *a, long n, const sort_obj *lrange, const sort_obj *rrange, const sort_cfg *cfg)
{
    sort_obj *pa, *pb, *pc, *pd, *pl, *pm, *pn;
    long r;
    int cmp;
loop:
    if (n < 7) {
        for (pm = a + 1; pm < a + n; pm++)
            for (pl = pm; pl > a && sort_compare(pl - 1, pl, cfg) > 0; pl--) so_swap(pl, pl - 1);
        return;
    }
    pm = a + n / 2;
    if (n > 7) {
        pl = a;
        pn = a + n - 1;
        if (n > 40) {
            long d = n / 8;
            pl = so_med3(pl, pl + d, pl + 2 * d, cfg);
            pm = so_med3(pm - d, pm, pm + d, cfg);
            pn = so_med3(pn - 2 * d, pn - d, pn, cfg);
        }
        pm = so_med3(pl, pm, pn, cfg);
    }
    so_swap(a, pm);
    pa = pb = a + 1;
    pc = pd = a + n - 1;
    for (;;) {
        while (pb <= pc && (cmp = sort_compare(pb, a, cfg)) <= 0) {
            if (cmp == 0) so_swap(pa++, pb);
            pb++;
        }
        while (pb <= pc && (cmp = sort_compare(pc, a, cfg)) >= 0) {
            if (cmp == 0) so_swap(pc, pd--);
            pc--;
        }
        if (pb > pc) break;
        so_swap(pb++, pc--);
    }
    pn = a + n;
    r = pa - a < pb - pa ? pa - a : pb - pa;
    so_vecswap(a, pb - r, r);
    r = pd - pc < pn - pd - 1 ? pd - pc : pn - pd - 1;
    so_vecswap(pb, pn - r, r);
    if ((r = pb - pa) > 1) {
        const sort_obj *l = a, *rr = a + r - 1;
        if (!((lrange < l && rrange < l) || (lrange > rr && rrange > rr))) pqsort_range(a, r, lrange, rrange, cfg);
    }
    if ((r = pd - pc) > 1) {
        a = pn - r;
        n = r;
        const sort_obj *l = a, *rr = a + r - 1;
        if (!((lrange < l && rrange < l) || (lrange > rr && rrange > rr))) goto loop;
    }
}

/* ---- loading the vector ----------------------------------------------- */

static long load_list(qlist *l, sort_obj *v, long vectorlen, long start, int desc, int dontsort)
{
    ql_iter it;
    ql_entry e;
    long j = 0;
    long long from = dontsort ? (desc ? (long long)ql_len(l) - start - 1 : start) : 0;
    ql_iter_init(&it, l, from, dontsort && desc ? QL_BACKWARD : QL_FORWARD);
    while (j < vectorlen && ql_next(&it, &e)) {
        char buf[24];
        size_t len;
        const char *p = ql_entry_bytes(&e, buf, &len);
        v[j++].elem = sbuf_new(p, len);
    }
    return j;
}

static long load_set(set *st, sort_obj *v)
{
    set_iter it;
    set_elem e;
    long j = 0;
    set_iter_init(&it, st);
    while (set_next(&it, &e)) {
        char buf[24];
        size_t len;
        const char *p = set_elem_str(&e, buf, &len);
        v[j++].elem = sbuf_new(p, len);
    }
    set_iter_done(&it);
    return j;
}

static long load_zset(zset *z, sort_obj *v, long vectorlen, long start, int desc)
{
    if (vectorlen == 0) return 0;
    size_t len = zs_len(z);
    size_t rank = desc ? len - (size_t)start - 1 : (size_t)start;
    zs_iter it;
    const char *m;
    size_t mlen;
    double score;
    long j = 0;
    zs_iter_init(&it, z, rank, desc, (size_t)vectorlen);
    while (j < vectorlen && zs_iter_next(&it, &m, &mlen, &score)) v[j++].elem = sbuf_new(m, mlen);
    return j;
}

/* ---- STORE ------------------------------------------------------------ */

/* store_effect emits DEL dst + RPUSH dst batches for the list l (a group
 * of its own unless EXEC already opened one). */
static void store_effect(session *c, const char *dst, qlist *l)
{
    server *s = c->srv;
    const char *argv[2 + OBJ_REWRITE_BATCH];
    size_t lens[2 + OBJ_REWRITE_BATCH];
    char nums[OBJ_REWRITE_BATCH][24];
    if (!s->in_exec) effect_group_begin(s);
    argv[0] = "DEL";
    argv[1] = dst;
    lens[0] = 3;
    lens[1] = sbuf_len(dst);
    effect_emit_strs(s, c->dbid, 2, argv, lens);
    argv[0] = "RPUSH";
    lens[0] = 5;
    int n = 0;
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 0, QL_FORWARD);
    while (ql_next(&it, &e)) {
        argv[2 + n] = ql_entry_bytes(&e, nums[n], &lens[2 + n]);
        if (++n == OBJ_REWRITE_BATCH) {
            effect_emit_strs(s, c->dbid, 2 + n, argv, lens);
            n = 0;
        }
    }
    if (n) effect_emit_strs(s, c->dbid, 2 + n, argv, lens);
    if (!s->in_exec) effect_group_end(s);
}

static void push_sbuf(qlist *l, const char *p) { ql_push(l, QL_TAIL, p, sbuf_len(p)); }

static void store_result(session *c, const char *dst, sort_obj *v, long start, long end, sbuf *gets,
                         int ngets)
{
    server *s = c->srv;
    qlist *l = ql_new(s->cfg.list_max_listpack_size);
    for (long j = start; j <= end; j++) {
        if (!ngets) push_sbuf(l, v[j].elem);
        for (int g = 0; g < ngets; g++) {
            sbuf val = lookup_by_pattern(c, gets[g], v[j].elem);
            if (val) push_sbuf(l, val);
            else ql_push(l, QL_TAIL, "", 0);
            sbuf_free(val);
        }
    }
    long long outputlen = (long long)ql_len(l);
    effect_suppress(c);
    if (outputlen) {
        store_effect(c, dst, l);
        db_set(s, c->db, dst, obj_new(OBJ_LIST, ENC_QUICKLIST, l), 0);
        db_signal_modified(s, c->db, dst);
        notify_keyspace_event(s, NOTIFY_LIST, "sortstore", dst, c->dbid);
        s->dirty += outputlen;
    } else {
        ql_free(l);
        if (db_delete(s, c->db, dst)) {
            const char *argv[2] = {"DEL", dst};
            size_t lens[2] = {3, sbuf_len(dst)};
            effect_emit_strs(s, c->dbid, 2, argv, lens);
            db_signal_modified(s, c->db, dst);
            notify_keyspace_event(s, NOTIFY_GENERIC, "del", dst, c->dbid);
            s->dirty++;
        }
    }
    reply_int(c, outputlen);
}

/* ---- the command ------------------------------------------------------ */

static int parse_long(const char *arg, long long *v) { return str_to_ll(arg, sbuf_len(arg), v); }

static void sort_generic(session *c, int readonly)
{
    argv_t *a = &c->args;
    sort_cfg cfg = {0, 0, 0, 0};
    long long limit_start = 0, limit_count = -1;
    int dontsort = 0, ngets = 0;
    const char *sortby = NULL, *storekey = NULL;
    sbuf *gets = xmalloc(sizeof(sbuf) * (size_t)a->argc);

    for (int j = 2; j < a->argc; j++) {
        const char *opt = a->argv[j];
        int leftargs = a->argc - j - 1;
        if (!strcasecmp(opt, "asc")) {
            cfg.desc = 0;
        } else if (!strcasecmp(opt, "desc")) {
            cfg.desc = 1;
        } else if (!strcasecmp(opt, "alpha")) {
            cfg.alpha = 1;
        } else if (!strcasecmp(opt, "limit") && leftargs >= 2) {
            if (!parse_long(a->argv[j + 1], &limit_start) || !parse_long(a->argv[j + 2], &limit_count)) {
                reply_err_notint(c);
                goto out;
            }
            j += 2;
        } else if (!readonly && !strcasecmp(opt, "store") && leftargs >= 1) {
            storekey = a->argv[++j];
        } else if (!strcasecmp(opt, "by") && leftargs >= 1) {
            sortby = a->argv[++j];
            if (!strchr(sortby, '*')) dontsort = 1;
        } else if (!strcasecmp(opt, "get") && leftargs >= 1) {
            gets[ngets++] = a->argv[++j];
        } else {
            reply_err_syntax(c);
            goto out;
        }
    }

    obj *o = storekey ? db_lookup_write(c->srv, c->db, a->argv[1]) : db_lookup_read(c->srv, c->db, a->argv[1], 0);
    if (o && o->type != OBJ_SET && o->type != OBJ_LIST && o->type != OBJ_ZSET) {
        reply_err_wrongtype(c);
        goto out;
    }
    int type = o ? o->type : OBJ_LIST;

    /* A set in storage order would not replay the same: sort it instead. */
    if (dontsort && type == OBJ_SET && storekey) {
        dontsort = 0;
        cfg.alpha = 1;
        sortby = NULL;
    }
    if (type == OBJ_ZSET) {
        zs_convert(o->ptr, ZS_ENC_SKIPLIST);
        zobj_sync(o);
    }

    long vectorlen = 0;
    if (o) {
        if (type == OBJ_LIST) vectorlen = (long)ql_len(o->ptr);
        else if (type == OBJ_SET) vectorlen = (long)set_size(o->ptr);
        else vectorlen = (long)zs_len(o->ptr);
    }

    /* LIMIT, clamped to the size as Redis does. */
    long start = limit_start < 0 ? 0 : (limit_start > vectorlen ? vectorlen : (long)limit_start);
    long count = limit_count < -1 ? -1 : (limit_count > vectorlen ? vectorlen : (long)limit_count);
    long end = count < 0 ? vectorlen - 1 : start + count - 1;
    if (start >= vectorlen) {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if (end >= vectorlen) end = vectorlen - 1;

    if ((type == OBJ_ZSET || type == OBJ_LIST) && dontsort && (start != 0 || end != vectorlen - 1))
        vectorlen = end - start + 1;

    sort_obj *v = xcalloc((size_t)(vectorlen > 0 ? vectorlen : 1), sizeof *v);
    if (type == OBJ_LIST && dontsort) {
        if (end >= start) {
            if (o) load_list(o->ptr, v, vectorlen, start, cfg.desc, 1);
            end -= start;
            start = 0;
        }
    } else if (type == OBJ_LIST) {
        if (o) load_list(o->ptr, v, vectorlen, 0, 0, 0);
    } else if (type == OBJ_SET) {
        load_set(o->ptr, v);
    } else if (dontsort) {
        load_zset(o->ptr, v, vectorlen, start, cfg.desc);
        end -= start;
        start = 0;
    } else {
        load_zset(o->ptr, v, vectorlen, 0, 0);
    }

    int conversion_error = 0;
    if (!dontsort) {
        for (long j = 0; j < vectorlen; j++) {
            sbuf byval = sortby ? lookup_by_pattern(c, sortby, v[j].elem) : NULL;
            if (sortby && !byval) continue;
            const char *w = sortby ? byval : v[j].elem;
            if (cfg.alpha) {
                if (sortby) {
                    v[j].cmp = byval;
                    byval = NULL;
                }
            } else {
                char *eptr;
                errno = 0;
                v[j].score = strtod(w, &eptr);
                if (eptr[0] != '\0' || errno == ERANGE || isnan(v[j].score)) conversion_error = 1;
            }
            sbuf_free(byval);
        }
        cfg.bypattern = sortby != NULL;
        cfg.store = storekey != NULL;
        if (sortby && (start != 0 || end != vectorlen - 1)) {
            pqsort_range(v, vectorlen, v + start, v + end, &cfg);
        } else {
            sort_obj *tmp = xmalloc(sizeof *tmp * (size_t)(vectorlen > 0 ? vectorlen : 1));
            merge_sort(v, tmp, vectorlen, &cfg);
            xfree(tmp);
        }
    }

    long outputlen = ngets ? ngets * (end - start + 1) : end - start + 1;
    if (conversion_error) {
        reply_error(c, "ERR One or more scores can't be converted into double");
    } else if (!storekey) {
        reply_array(c, outputlen);
        for (long j = start; j <= end; j++) {
            if (!ngets) reply_bulk(c, v[j].elem, sbuf_len(v[j].elem));
            for (int g = 0; g < ngets; g++) {
                sbuf val = lookup_by_pattern(c, gets[g], v[j].elem);
                if (val) reply_bulk(c, val, sbuf_len(val));
                else reply_null(c);
                sbuf_free(val);
            }
        }
    } else {
        store_result(c, storekey, v, start, end, gets, ngets);
    }

    for (long j = 0; j < vectorlen; j++) {
        sbuf_free(v[j].elem);
        sbuf_free(v[j].cmp);
    }
    xfree(v);
out:
    xfree(gets);
}

/* SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination] */
void cmd_sort(session *c) { sort_generic(c, 0); }

/* SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] */
void cmd_sort_ro(session *c) { sort_generic(c, 1); }
