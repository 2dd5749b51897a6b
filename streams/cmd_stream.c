/* cmd_stream.c — stream entry commands over streams/stream.h.
 *
 * XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD (with BLOCK), XINFO
 * STREAM and XINFO HELP.  The consumer-group commands live in cmd_xgroup.c;
 * the value type and the lookups in stream_obj.c.
 *
 * Semantics, order of argument checks, replies and error texts follow
 * Redis 7.0 (t_stream.c's behaviour, checked against redis-server 7.0.15 by
 * tests/integration/test_streams.py).  Beyond 7.0: XREAD accepts "+" as the
 * ID meaning "the last entry" (Redis 7.4).
 *
 * Effects (docs/internals.md): every XADD that chose its ID (* or ms-*)
 * emits the ID it chose.  An approximate trim (~, LIMIT) removes what the
 * block layout allows, which depends on the block budgets, so XADD and
 * XTRIM with ~ emit the exact trim that happened instead: MAXLEN = <length
 * after the trim> (trims only ever remove the oldest entries, so the final
 * length pins the result down whatever strategy was asked for), or no trim
 * at all when nothing was removed.
 *
 * Blocking XREAD (blocking.h): a blocked XREAD is re-run when a waited key
 * is written.  "$" and "+" are resolved to concrete IDs when the command
 * blocks, and written back into the session's argv, so the re-run reads
 * from where the client was when it blocked, not from the new top.  While
 * being served (c->bc set) an XREAD without COUNT returns at most 1000
 * entries per stream, as Redis.  Keys of another type, or a deleted stream,
 * do not serve the waiter (Redis 7.0): it keeps waiting.  A re-run answers
 * only for the key whose readiness woke it (stream_served_index), and
 * serves it once the stream's last ID is above the reader's, as Redis 7.0's
 * serveClientsBlockedOnStreamKey does.
 */
#include "server.h"
#include "commands.h"
#include "blocking.h"
#include "effect.h"
#include "notify.h"
#include "alloc.h"
#include "stream_obj.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define XREAD_BLOCKED_DEFAULT_COUNT 1000

static const char ERR_XADD_ZERO_ID[] = "ERR The ID specified in XADD must be greater than 0-0";
static const char ERR_XADD_EXHAUSTED[] = "ERR The stream has exhausted the last possible ID, unable to add more items";

/* ---- helpers (parsing and entry replies: stream_obj.h) ---------------- */

static void reply_zero(session *c) { reply_int(c, 0); }

/* reply_range replies the entries with start <= ID <= end (descending if
 * rev) as an array, at most count of them (0 = all); returns how many. */
static long reply_range(session *c, const stream *st, stream_id start, stream_id end, long long count, int rev)
{
    void *h = reply_defer(c);
    long n = 0;
    if (st_id_cmp(start, end) <= 0) {
        st_iter it;
        stream_id id;
        st_iter_init(&it, st, start, end, rev);
        while ((count == 0 || n < count) && st_iter_next(&it, &id)) {
            stream_reply_entry(c, id, &it);
            n++;
        }
        st_iter_done(&it);
    }
    reply_set_array_len(c, h, n);
    return n;
}

/* The key was written: WATCH, blocked readers, dirty. */
static void touched(session *c, const char *key, long long dirty)
{
    db_signal_modified(c->srv, c->db, key);
    c->srv->dirty += dirty;
}

/* ---- XADD / XTRIM argument parsing ------------------------------------- */

enum { TRIM_NONE, TRIM_MAXLEN, TRIM_MINID };

typedef struct trim_args {
    int strategy;
    int approx;
    long long maxlen;
    stream_id minid;
    long long limit;        /* blocks budget for ~ (0 = none) */
    int limit_given;
    int nomkstream;
    int id_given, seq_given;
    stream_id id;
} trim_args;

/* parse_add_trim parses XADD's or XTRIM's options as Redis's
 * streamParseAddOrTrimArgsOrReply does.  For XADD returns the position of
 * the ID argument (argc when it is missing), for XTRIM argc; -1 after
 * replying an error. */
static int parse_add_trim(session *c, trim_args *a, int xadd)
{
    argv_t *av = &c->args;
    int i = 2;
    memset(a, 0, sizeof *a);
    for (; i < av->argc; i++) {
        int moreargs = av->argc - 1 - i;
        const char *opt = av->argv[i];
        if (xadd && opt[0] == '*' && opt[1] == '\0') {
            break;
        } else if ((!strcasecmp(opt, "maxlen") || !strcasecmp(opt, "minid")) && moreargs) {
            int maxlen = (opt[1] | 0x20) == 'a';
            if (a->strategy != TRIM_NONE) {
                reply_error(c, "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                return -1;
            }
            a->approx = 0;
            const char *next = av->argv[i + 1];
            if (moreargs >= 2 && next[0] == '~' && next[1] == '\0') {
                a->approx = 1;
                i++;
            } else if (moreargs >= 2 && next[0] == '=' && next[1] == '\0') {
                i++;
            }
            if (maxlen) {
                if (stream_parse_ll(c, av->argv[i + 1], &a->maxlen, NULL) < 0) return -1;
                if (a->maxlen < 0) {
                    reply_error(c, "ERR The MAXLEN argument must be >= 0.");
                    return -1;
                }
            } else if (stream_parse_id(c, av->argv[i + 1], 0, 1, &a->minid) < 0) {
                return -1;
            }
            i++;
            a->strategy = maxlen ? TRIM_MAXLEN : TRIM_MINID;
        } else if (!strcasecmp(opt, "limit") && moreargs) {
            if (stream_parse_ll(c, av->argv[i + 1], &a->limit, NULL) < 0) return -1;
            if (a->limit < 0) {
                reply_error(c, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            a->limit_given = 1;
            i++;
        } else if (xadd && !strcasecmp(opt, "nomkstream")) {
            a->nomkstream = 1;
        } else if (xadd) {
            if (st_id_parse(opt, sbuf_len(opt), 0, 1, &a->id, &a->seq_given) != 0) {
                reply_error(c, STREAM_ERR_INVALID_ID);
                return -1;
            }
            a->id_given = 1;
            break;
        } else {
            reply_err_syntax(c);
            return -1;
        }
    }
    if (a->limit && a->strategy == TRIM_NONE) {
        reply_error(c, "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return -1;
    }
    if (a->limit_given) {
        if (!a->approx) {
            reply_error(c, "ERR syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (a->approx) {
        /* 100 x entries, wrapping as Redis's does for huge settings */
        unsigned long long per = (unsigned long long)c->srv->cfg.stream_node_max_entries;
        a->limit = (long long)(100 * per);
        if (a->limit <= 0) a->limit = 10000;
        if (a->limit > 1000000) a->limit = 1000000;
    } else {
        a->limit = 0;
    }
    if (!xadd && a->strategy == TRIM_NONE) {   /* XTRIM needs a strategy */
        reply_err_syntax(c);
        return -1;
    }
    return i;
}

/* do_trim applies a's trim to st; returns the entries removed.  An
 * approximate trim with LIMIT 0 means no limit, as in Redis. */
static uint64_t do_trim(stream *st, const trim_args *a)
{
    uint64_t limit = a->approx ? (uint64_t)a->limit : 0;
    if (a->strategy == TRIM_MAXLEN) return stream_trim_maxlen(st, (uint64_t)a->maxlen, a->approx, limit);
    if (a->strategy == TRIM_MINID) return stream_trim_minid(st, a->minid, a->approx, limit);
    return 0;
}

/* ---- XADD -------------------------------------------------------------- */

/* xadd_effect makes XADD emit "XADD key [MAXLEN = <len>] <id> f v ...":
 * the chosen ID and the exact trim done (none if nothing was removed). */
static void xadd_effect(session *c, int field_pos, stream_id id, uint64_t removed, uint64_t len)
{
    argv_t *av = &c->args;
    int nf = av->argc - field_pos;
    int n = 3 + nf + (removed ? 3 : 0);
    const char **argv = xmalloc((size_t)n * sizeof *argv);
    size_t *lens = xmalloc((size_t)n * sizeof *lens);
    char idbuf[ST_ID_STR_MAX], lenbuf[24];
    int k = 0;
    argv[k] = "XADD";
    lens[k++] = 4;
    argv[k] = av->argv[1];
    lens[k++] = sbuf_len(av->argv[1]);
    if (removed) {
        argv[k] = "MAXLEN";
        lens[k++] = 6;
        argv[k] = "=";
        lens[k++] = 1;
        argv[k] = lenbuf;
        lens[k++] = (size_t)snprintf(lenbuf, sizeof lenbuf, "%llu", (unsigned long long)len);
    }
    argv[k] = idbuf;
    lens[k++] = st_id_format(id, idbuf);
    for (int j = field_pos; j < av->argc; j++) {
        argv[k] = av->argv[j];
        lens[k++] = sbuf_len(av->argv[j]);
    }
    effect_rewrite(c, k, argv, lens);
    xfree(argv);
    xfree(lens);
}

/* XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...] */
void cmd_xadd(session *c)
{
    server *srv = c->srv;
    argv_t *av = &c->args;
    trim_args a;
    int idpos = parse_add_trim(c, &a, 1);
    if (idpos < 0) return;
    int field_pos = idpos + 1;
    if (av->argc - field_pos < 2 || (av->argc - field_pos) % 2 == 1) {
        reply_err_arity(c);
        return;
    }
    if (a.id_given && a.seq_given && a.id.ms == 0 && a.id.seq == 0) {
        reply_error(c, ERR_XADD_ZERO_ID);
        return;
    }
    const char *key = av->argv[1];
    int wrong;
    stream_value *sv = stream_lookup_write(c, (sbuf)key, &wrong);
    if (wrong) {
        reply_err_wrongtype(c);
        return;
    }
    obj *fresh = NULL;
    if (!sv) {
        if (a.nomkstream) {
            reply_null(c);
            return;
        }
        fresh = stream_obj_new(srv);
        sv = fresh->ptr;
    }
    stream *st = sv->s;
    if (!fresh) stream_obj_set_budgets(srv, st);   /* CONFIG SET applies to the next block */
    if (st->last_id.ms == UINT64_MAX && st->last_id.seq == UINT64_MAX) {
        reply_error(c, ERR_XADD_EXHAUSTED);
        return;
    }
    if (a.id_given && !a.seq_given && a.id.ms == st->last_id.ms && st->last_id.seq == UINT64_MAX) {
        /* ms-* with no sequence left: Redis 7.0 fails this one with ERANGE. */
        if (fresh) obj_decref(fresh);
        reply_error(c, "ERR Elements are too large to be stored");
        return;
    }
    stream_id id;
    int rc = st_id_next(st->last_id, !a.id_given, (uint64_t)srv->mstime, a.id, a.seq_given, &id);
    if (rc != ST_ID_OK) {
        if (fresh) obj_decref(fresh);
        if (rc == ST_ID_ERR_ZERO) reply_error(c, ERR_XADD_ZERO_ID);
        else if (rc == ST_ID_ERR_EXHAUSTED) reply_error(c, ERR_XADD_EXHAUSTED);
        else reply_error(c, "ERR The ID specified in XADD is equal or smaller than the target stream top item");
        return;
    }

    size_t nf = (size_t)(av->argc - field_pos) / 2;
    const unsigned char **names = xmalloc(2 * nf * sizeof *names);
    size_t *lens = xmalloc(2 * nf * sizeof *lens);
    const unsigned char **vals = names + nf;
    size_t *vlens = lens + nf;
    for (size_t i = 0; i < nf; i++) {
        names[i] = (const unsigned char *)av->argv[field_pos + 2 * i];
        lens[i] = sbuf_len(av->argv[field_pos + 2 * i]);
        vals[i] = (const unsigned char *)av->argv[field_pos + 2 * i + 1];
        vlens[i] = sbuf_len(av->argv[field_pos + 2 * i + 1]);
    }
    stream_append(st, id, nf, names, lens, vals, vlens);
    xfree(names);
    xfree(lens);
    if (fresh) db_add(srv, c->db, key, fresh);

    stream_reply_id(c, id);
    touched(c, key, 1);
    notify_keyspace_event(srv, NOTIFY_STREAM, "xadd", key, c->dbid);

    uint64_t removed = 0;
    if (a.strategy != TRIM_NONE) {
        removed = do_trim(st, &a);
        if (removed) notify_keyspace_event(srv, NOTIFY_STREAM, "xtrim", key, c->dbid);
    }
    if (!a.id_given || !a.seq_given || a.approx)
        xadd_effect(c, field_pos, id, removed, st->length);
}

/* ---- XTRIM ------------------------------------------------------------- */

/* XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
void cmd_xtrim(session *c)
{
    trim_args a;
    if (parse_add_trim(c, &a, 0) < 0) return;
    const char *key = c->args.argv[1];
    stream_value *sv = stream_lookup_write_or_reply(c, (sbuf)key, reply_zero);
    if (!sv) return;
    uint64_t removed = do_trim(sv->s, &a);
    if (removed) {
        notify_keyspace_event(c->srv, NOTIFY_STREAM, "xtrim", key, c->dbid);
        if (a.approx) {
            char lenbuf[24];
            const char *argv[5] = {"XTRIM", key, "MAXLEN", "=", lenbuf};
            size_t lens[5] = {5, sbuf_len(key), 6, 1, 0};
            lens[4] = (size_t)snprintf(lenbuf, sizeof lenbuf, "%llu", (unsigned long long)sv->s->length);
            effect_rewrite(c, 5, argv, lens);
        }
        touched(c, key, (long long)removed);
    }
    reply_int(c, (long long)removed);
}

/* ---- XLEN, XRANGE, XREVRANGE ------------------------------------------ */

/* XLEN key */
void cmd_xlen(session *c)
{
    int wrong;
    stream_value *sv = stream_lookup_read(c, c->args.argv[1], &wrong);
    if (wrong) {
        reply_err_wrongtype(c);
        return;
    }
    reply_int(c, sv ? (long long)sv->s->length : 0);
}

static void xrange_generic(session *c, int rev)
{
    argv_t *av = &c->args;
    const char *startarg = rev ? av->argv[3] : av->argv[2];
    const char *endarg = rev ? av->argv[2] : av->argv[3];
    stream_id start, end;
    long long count = -1;

    if (stream_parse_bound(c, startarg, 0, &start) < 0) return;
    if (stream_parse_bound(c, endarg, 1, &end) < 0) return;
    for (int j = 4; j < av->argc; j++) {
        int additional = av->argc - j - 1;
        if (!strcasecmp(av->argv[j], "count") && additional >= 1) {
            if (stream_parse_ll(c, av->argv[j + 1], &count, NULL) < 0) return;
            if (count < 0) count = 0;
            j++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    stream_value *sv = stream_lookup_read_or_reply(c, av->argv[1], reply_empty_array);
    if (!sv) return;
    if (count == 0) {
        reply_null_array(c);
        return;
    }
    reply_range(c, sv->s, start, end, count == -1 ? 0 : count, rev);
}

/* XRANGE key start end [COUNT count] */
void cmd_xrange(session *c) { xrange_generic(c, 0); }

/* XREVRANGE key end start [COUNT count] */
void cmd_xrevrange(session *c) { xrange_generic(c, 1); }

/* ---- XDEL -------------------------------------------------------------- */

/* XDEL key id [id ...] */
void cmd_xdel(session *c)
{
    argv_t *av = &c->args;
    const char *key = av->argv[1];
    stream_value *sv = stream_lookup_write_or_reply(c, (sbuf)key, reply_zero);
    if (!sv) return;
    /* All IDs are checked before any is deleted, so an error changes nothing. */
    int nids = av->argc - 2;
    stream_id *ids = xmalloc((size_t)nids * sizeof *ids);
    for (int j = 0; j < nids; j++) {
        if (stream_parse_id(c, av->argv[2 + j], 0, 1, &ids[j]) < 0) {
            xfree(ids);
            return;
        }
    }
    long long deleted = 0;
    for (int j = 0; j < nids; j++) deleted += stream_delete(sv->s, ids[j]);
    xfree(ids);
    if (deleted) {
        notify_keyspace_event(c->srv, NOTIFY_STREAM, "xdel", key, c->dbid);
        touched(c, key, deleted);
    }
    reply_int(c, deleted);
}

/* ---- XSETID ------------------------------------------------------------ */

/* XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
void cmd_xsetid(session *c)
{
    argv_t *av = &c->args;
    const char *key = av->argv[1];
    stream_id id, maxdel = ST_ID_MIN;
    long long added = -1;
    if (stream_parse_id(c, av->argv[2], 0, 1, &id) < 0) return;
    for (int i = 3; i < av->argc;) {
        int moreargs = av->argc - 1 - i;
        const char *opt = av->argv[i];
        if (!strcasecmp(opt, "entriesadded") && moreargs) {
            if (stream_parse_ll(c, av->argv[i + 1], &added, NULL) < 0) return;
            if (added < 0) {
                reply_error(c, "ERR entries_added must be positive");
                return;
            }
            i += 2;
        } else if (!strcasecmp(opt, "maxdeletedid") && moreargs) {
            if (stream_parse_id(c, av->argv[i + 1], 0, 1, &maxdel) < 0) return;
            if (st_id_cmp(id, maxdel) < 0) {
                reply_error(c, "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                return;
            }
            i += 2;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    stream_value *sv = stream_lookup_write_or_reply(c, (sbuf)key, reply_err_nokey);
    if (!sv) return;
    stream *st = sv->s;
    if (st->length > 0) {
        stream_id top;
        stream_last_entry_id(st, &top);
        if (st_id_cmp(id, top) < 0) {
            reply_error(c, "ERR The ID specified in XSETID is smaller than the target stream top item");
            return;
        }
        if (added != -1 && st->length > (uint64_t)added) {
            reply_error(c, "ERR The entries_added specified in XSETID is smaller than the target stream length");
            return;
        }
    }
    st->last_id = id;
    if (added != -1) st->entries_added = (uint64_t)added;
    if (maxdel.ms || maxdel.seq) st->max_deleted_id = maxdel;
    reply_ok(c);
    notify_keyspace_event(c->srv, NOTIFY_STREAM, "xsetid", key, c->dbid);
    touched(c, key, 1);
}

/* ---- XREAD ------------------------------------------------------------- */

/* XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...] */
void cmd_xread(session *c)
{
    argv_t *av = &c->args;
    long long deadline = -1, count = 0;
    int streams_arg = 0, nstreams = 0;

    for (int i = 1; i < av->argc; i++) {
        int moreargs = av->argc - i - 1;
        const char *o = av->argv[i];
        if (!strcasecmp(o, "block") && moreargs) {
            i++;
            if (block_parse_timeout_ms(c, av->argv[i], &deadline) < 0) return;
        } else if (!strcasecmp(o, "count") && moreargs) {
            i++;
            if (stream_parse_ll(c, av->argv[i], &count, NULL) < 0) return;
            if (count < 0) count = 0;
        } else if (!strcasecmp(o, "streams") && moreargs) {
            streams_arg = i + 1;
            if ((nstreams = stream_count_streams(c, streams_arg)) < 0) return;
            break;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (streams_arg == 0) {
        reply_err_syntax(c);
        return;
    }

    stream_id *ids = xmalloc((size_t)nstreams * sizeof *ids);
    unsigned char *special = xcalloc((size_t)nstreams, 1);   /* "$" or "+": resolved here */
    int only = stream_served_index(c, av->argv + streams_arg, nstreams);   /* woken by this key */
    for (int k = 0; k < nstreams; k++) {
        if (only >= 0 && k != only) continue;
        const char *key = av->argv[streams_arg + k];
        const char *arg = av->argv[streams_arg + nstreams + k];
        int wrong;
        stream_value *sv = stream_lookup_read(c, (sbuf)key, &wrong);
        if (wrong) {
            reply_err_wrongtype(c);
            goto done;
        }
        if (!strcmp(arg, "$")) {
            ids[k] = sv ? sv->s->last_id : ST_ID_MIN;
            special[k] = 1;
        } else if (!strcmp(arg, "+")) {
            /* Redis 7.4: the last entry, so read from just below it. */
            stream_id top;
            if (sv && stream_last_entry_id(sv->s, &top)) {
                ids[k] = top;
                st_id_decr(&ids[k]);
            } else {
                ids[k] = sv ? sv->s->last_id : ST_ID_MIN;
            }
            special[k] = 1;
        } else if (!strcmp(arg, ">")) {
            reply_error(c, "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
            goto done;
        } else if (stream_parse_id(c, arg, 0, 1, &ids[k]) < 0) {
            goto done;
        }
    }

    if (c->bc && count == 0) count = XREAD_BLOCKED_DEFAULT_COUNT;
    void *h = NULL;
    long served = 0;
    for (int k = 0; k < nstreams; k++) {
        if (only >= 0 && k != only) continue;
        int wrong;
        stream_value *sv = stream_lookup_read(c, av->argv[streams_arg + k], &wrong);
        if (!sv) continue;
        stream_id top, start = ids[k];
        if (only >= 0) {
            /* As Redis serves a woken reader: the stream's last ID moved
             * past the reader's, even if those entries are gone again. */
            if (st_id_cmp(sv->s->last_id, start) <= 0) continue;
        } else {
            if (!sv->s->length) continue;
            stream_last_entry_id(sv->s, &top);
            if (st_id_cmp(top, start) <= 0) continue;
        }
        stream_reply_read_key(c, &h, &served, av->argv[streams_arg + k]);
        st_id_incr(&start);
        reply_range(c, sv->s, start, ST_ID_MAX, count, 0);
    }
    if (served) {
        stream_reply_read_done(c, h, served);
        goto done;
    }
    if (deadline == -1 || !block_allowed(c)) {
        reply_null_array(c);
        goto done;
    }
    /* Pin "$" / "+" to what they meant now, for the re-runs. */
    for (int k = 0; k < nstreams; k++) {
        if (!special[k]) continue;
        char buf[ST_ID_STR_MAX];
        size_t n = st_id_format(ids[k], buf);
        argv_replace(av, streams_arg + nstreams + k, sbuf_new(buf, n));
    }
    block_for_keys(c, av->argv + streams_arg, nstreams, OBJ_STREAM, deadline, reply_null_array);
done:
    xfree(ids);
    xfree(special);
}

/* ---- XINFO ------------------------------------------------------------- */

static void reply_first_or_last(session *c, const stream *st, int last)
{
    st_iter it;
    stream_id id;
    st_iter_init(&it, st, ST_ID_MIN, ST_ID_MAX, last);
    if (st_iter_next(&it, &id)) stream_reply_entry(c, id, &it);
    else reply_null(c);
    st_iter_done(&it);
}

/* XINFO STREAM key [FULL [COUNT count]] */
void cmd_xinfo_stream(session *c)
{
    argv_t *av = &c->args;
    stream_value *sv = stream_lookup_read_or_reply(c, av->argv[2], reply_err_nokey);
    if (!sv) return;
    int full = 0;
    long long count = 10;
    int argc = av->argc - 3;
    if (argc) {
        if (strcasecmp(av->argv[3], "full") || (argc > 1 && (argc != 3 || strcasecmp(av->argv[4], "count")))) {
            reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try XINFO HELP.",
                         av->argv[1]);
            return;
        }
        if (argc == 3) {
            if (stream_parse_ll(c, av->argv[5], &count, NULL) < 0) return;
            if (count < 0) count = 10;
        }
        full = 1;
    }
    const stream *st = sv->s;
    stream_id first = ST_ID_MIN;
    stream_first_id(st, &first);
    size_t nblocks = stream_nblocks(st);
    reply_map(c, full ? 9 : 10);
    reply_bulk_cstr(c, "length");
    reply_int(c, (long long)st->length);
    /* Redis reports its radix tree: one key per block (the block's first
     * ID), and the nodes of a rax holding those keys (stream.h). */
    reply_bulk_cstr(c, "radix-tree-keys");
    reply_int(c, (long long)nblocks);
    reply_bulk_cstr(c, "radix-tree-nodes");
    reply_int(c, (long long)stream_radix_nodes(st));
    reply_bulk_cstr(c, "last-generated-id");
    stream_reply_id(c, st->last_id);
    reply_bulk_cstr(c, "max-deleted-entry-id");
    stream_reply_id(c, st->max_deleted_id);
    reply_bulk_cstr(c, "entries-added");
    reply_int(c, (long long)st->entries_added);
    reply_bulk_cstr(c, "recorded-first-entry-id");
    stream_reply_id(c, first);
    if (!full) {
        reply_bulk_cstr(c, "groups");
        reply_int(c, (long long)stream_groups_count(sv->groups));
        reply_bulk_cstr(c, "first-entry");
        reply_first_or_last(c, st, 0);
        reply_bulk_cstr(c, "last-entry");
        reply_first_or_last(c, st, 1);
    } else {
        reply_bulk_cstr(c, "entries");
        reply_range(c, st, ST_ID_MIN, ST_ID_MAX, count, 0);
        reply_bulk_cstr(c, "groups");
        stream_groups_reply_full(c, sv, count);
    }
}

/* XINFO HELP */
void cmd_xinfo_help(session *c)
{
    static const char *const help[] = {
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof help / sizeof help[0];
    reply_help(c, help, n);
}
