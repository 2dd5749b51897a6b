/* stream_obj.c — the stream value type (OBJ_STREAM), its shared lookups, and
 * the argument parsing and replies both command files use (stream_obj.h).
 *
 * An OBJ_STREAM object (encoding ENC_STREAM, OBJECT ENCODING "stream", TYPE
 * "stream") points at a stream_value: the entries (stream.h) and the
 * consumer groups (NULL while none; owned and measured by the group side
 * through the stream_groups_* functions, stream_obj.h).  The value owns both:
 * free releases the stream then the groups, dup deep-copies both (COPY).
 * Everything else the keyspace does (DEL, RENAME, EXPIRE, ...) is generic.
 *
 * Snapshot rewrite (object.h, issue 7): the entries as XADD key <id> f v ...,
 * one command per entry with its explicit ID (an entry is the natural unit
 * and its field count is unbounded only by what the client once sent); then
 * XSETID key <last_id> ENTRIESADDED n MAXDELETEDID id, which restores the
 * bookkeeping the entries alone cannot show; then the groups.  A stream with
 * no live entry is created by XADD key MAXLEN 0 <last_id> x y (the entry is
 * trimmed at once, as Redis's AOF rewrite does) before the XSETID.
 */
#include "stream_obj.h"
#include "server.h"
#include "alloc.h"
#include "blocking.h"

#include <stdio.h>
#include <string.h>

/* ---- the type --------------------------------------------------------- */

static void stream_obj_free(obj *o)
{
    stream_value *sv = o->ptr;
    if (!sv) return;
    stream_free(sv->s);
    stream_groups_free(sv->groups);
    xfree(sv);
}

static obj *stream_obj_dup(const obj *o)
{
    const stream_value *from = o->ptr;
    stream_value *sv = xmalloc(sizeof *sv);
    sv->s = stream_dup(from->s);
    sv->groups = stream_groups_dup(from->groups);
    return obj_new(OBJ_STREAM, ENC_STREAM, sv);
}

static size_t stream_obj_mem(const obj *o)
{
    const stream_value *sv = o->ptr;
    return sizeof *sv + stream_memory(sv->s) + stream_groups_mem(sv->groups);
}

/* emit_xsetid: XSETID key <last_id> ENTRIESADDED n MAXDELETEDID id. */
static int emit_xsetid(const stream *st, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    char last[ST_ID_STR_MAX], maxdel[ST_ID_STR_MAX], added[24];
    const char *argv[7] = {"XSETID", key, last, "ENTRIESADDED", added, "MAXDELETEDID", maxdel};
    size_t lens[7] = {6, klen, 0, 12, 0, 12, 0};
    lens[2] = st_id_format(st->last_id, last);
    lens[4] = (size_t)snprintf(added, sizeof added, "%llu", (unsigned long long)st->entries_added);
    lens[6] = st_id_format(st->max_deleted_id, maxdel);
    return emit(priv, 7, argv, lens);
}

static int stream_obj_rewrite(const obj *o, const char *key, size_t klen, obj_emit_fn *emit, void *priv)
{
    const stream_value *sv = o->ptr;
    const stream *st = sv->s;
    char idbuf[ST_ID_STR_MAX];
    int rc = 0;

    if (st->length == 0) {
        /* XADD key MAXLEN 0 <last_id> x y: creates the key, trims the entry. */
        const char *argv[7] = {"XADD", key, "MAXLEN", "0", idbuf, "x", "y"};
        size_t lens[7] = {4, klen, 6, 1, 0, 1, 1};
        stream_id id = st->last_id;
        if (id.ms == 0 && id.seq == 0) id.seq = 1;   /* 0-0 is refused; XSETID puts 0-0 back */
        lens[4] = st_id_format(id, idbuf);
        if (emit(priv, 7, argv, lens) != 0) return -1;
    } else {
        const char **argv = NULL;
        size_t *lens = NULL, cap = 0;
        st_iter it;
        stream_id id;
        st_iter_init(&it, st, ST_ID_MIN, ST_ID_MAX, 0);
        while (st_iter_next(&it, &id)) {
            size_t n = 3 + 2 * it.nf;
            if (n > cap) {
                cap = n * 2;
                argv = xrealloc(argv, cap * sizeof *argv);
                lens = xrealloc(lens, cap * sizeof *lens);
            }
            argv[0] = "XADD";
            lens[0] = 4;
            argv[1] = key;
            lens[1] = klen;
            argv[2] = idbuf;
            lens[2] = st_id_format(id, idbuf);
            for (size_t i = 0; i < it.nf; i++) {
                argv[3 + 2 * i] = (const char *)it.fv[i].name;
                lens[3 + 2 * i] = it.fv[i].nlen;
                argv[4 + 2 * i] = (const char *)it.fv[i].val;
                lens[4 + 2 * i] = it.fv[i].vlen;
            }
            if (emit(priv, (int)n, argv, lens) != 0) {
                rc = -1;
                break;
            }
        }
        st_iter_done(&it);
        xfree(argv);
        xfree(lens);
        if (rc) return rc;
    }
    if (emit_xsetid(st, key, klen, emit, priv) != 0) return -1;
    return stream_groups_rewrite(sv, key, klen, emit, priv);
}

const obj_type stream_obj_type = {
    .name = "stream",
    .free = stream_obj_free,
    .dup = stream_obj_dup,
    .mem = stream_obj_mem,
    .rewrite = stream_obj_rewrite,
};

/* ---- construction and lookups ----------------------------------------- */

/* budget clamps a configured block budget to what a stream holds. */
static uint32_t budget(long long v) { return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

obj *stream_obj_new(struct server *s)
{
    stream_value *sv = xmalloc(sizeof *sv);
    sv->s = stream_new(0, 0);
    stream_obj_set_budgets(s, sv->s);
    sv->groups = NULL;
    return obj_new(OBJ_STREAM, ENC_STREAM, sv);
}

void stream_obj_set_budgets(struct server *s, stream *st)
{
    st->max_bytes = budget(s->cfg.stream_node_max_bytes);
    st->max_entries = budget(s->cfg.stream_node_max_entries);
}

static stream_value *check_stream(obj *o, int *wrongtype)
{
    *wrongtype = 0;
    if (!o) return NULL;
    if (o->type != OBJ_STREAM) {
        *wrongtype = 1;
        return NULL;
    }
    return o->ptr;
}

stream_value *stream_lookup_write(struct session *c, sbuf key, int *wrongtype)
{
    return check_stream(db_lookup_write(c->srv, c->db, key), wrongtype);
}

stream_value *stream_lookup_read(struct session *c, sbuf key, int *wrongtype)
{
    return check_stream(db_lookup_read(c->srv, c->db, key, 0), wrongtype);
}

int stream_served_index(struct session *c, const sbuf *keys, int n)
{
    const char *k = block_served_key(c);
    if (!k) return -1;
    for (int i = 0; i < n; i++)
        if (sbuf_len(keys[i]) == sbuf_len(k) && !memcmp(keys[i], k, sbuf_len(k))) return i;
    return -1;
}

stream_value *stream_lookup_read_or_reply(struct session *c, sbuf key, void (*missing)(struct session *))
{
    int wrong;
    stream_value *sv = stream_lookup_read(c, key, &wrong);
    if (wrong) reply_err_wrongtype(c);
    else if (!sv) missing(c);
    return sv;
}

stream_value *stream_lookup_write_or_reply(struct session *c, sbuf key, void (*missing)(struct session *))
{
    int wrong;
    stream_value *sv = stream_lookup_write(c, key, &wrong);
    if (wrong) reply_err_wrongtype(c);
    else if (!sv) missing(c);
    return sv;
}

/* ---- argument parsing and replies ---------------------------------------- */

int stream_parse_id(struct session *c, const char *arg, uint64_t missing_seq, int strict, stream_id *id)
{
    if (st_id_parse(arg, sbuf_len(arg), missing_seq, strict, id, NULL) != 0) {
        if (c) reply_error(c, STREAM_ERR_INVALID_ID);
        return -1;
    }
    return 0;
}

int stream_parse_bound(struct session *c, const char *arg, int end, stream_id *id)
{
    uint64_t missing_seq = end ? UINT64_MAX : 0;
    size_t len = sbuf_len(arg);
    if (len > 1 && arg[0] == '(') {   /* exclusive: strict, then one step inwards */
        if (st_id_parse(arg + 1, len - 1, missing_seq, 1, id, NULL) != 0) {
            reply_error(c, STREAM_ERR_INVALID_ID);
            return -1;
        }
        if ((end ? st_id_decr(id) : st_id_incr(id)) != 0) {
            reply_error(c, end ? "ERR invalid end ID for the interval" : "ERR invalid start ID for the interval");
            return -1;
        }
        return 0;
    }
    return stream_parse_id(c, arg, missing_seq, 0, id);
}

int stream_parse_ll(struct session *c, const char *arg, long long *v, const char *err)
{
    if (!str_to_ll(arg, sbuf_len(arg), v)) {
        if (err) reply_error(c, err);
        else reply_err_notint(c);
        return -1;
    }
    return 0;
}

int stream_count_streams(struct session *c, int first)
{
    int n = c->args.argc - first;
    if (n % 2 != 0) {
        reply_error(c, "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
        return -1;
    }
    return n / 2;
}

void stream_reply_id(struct session *c, stream_id id)
{
    char buf[ST_ID_STR_MAX];
    size_t n = st_id_format(id, buf);
    reply_bulk(c, buf, n);
}

void stream_reply_entry(struct session *c, stream_id id, const st_iter *it)
{
    reply_array(c, 2);
    stream_reply_id(c, id);
    reply_array(c, (long)(2 * it->nf));
    for (size_t i = 0; i < it->nf; i++) {
        reply_bulk(c, it->fv[i].name, it->fv[i].nlen);
        reply_bulk(c, it->fv[i].val, it->fv[i].vlen);
    }
}

void stream_reply_read_key(struct session *c, void **h, long *served, const char *key)
{
    if (!(*served)++) *h = reply_defer(c);
    if (c->resp == 2) reply_array(c, 2);
    reply_bulk_sbuf(c, key);
}

void stream_reply_read_done(struct session *c, void *h, long served)
{
    if (c->resp == 2) reply_set_array_len(c, h, served);
    else reply_set_map_len(c, h, served);
}
