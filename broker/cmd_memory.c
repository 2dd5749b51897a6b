/* cmd_memory.c — MEMORY USAGE | STATS | PURGE | DOCTOR | MALLOC-STATS | HELP.
 *
 * Replies have Redis 7.0's shapes, errors and field names.  The byte counts
 * are Rill's own (its structures are not Redis's): MEMORY USAGE adds the
 * key's table entry, the key, the value header and what the value's type
 * reports (obj_mem), the expiry entry if any; it is an estimate, as in
 * Redis, and SAMPLES is accepted and checked but the count is exact or
 * the type's own estimate.
 */
#include "commands.h"
#include "server.h"
#include "session.h"
#include "reply.h"
#include "db.h"
#include "dict.h"
#include "object.h"
#include "info.h"
#include "alloc.h"
#include "sbuf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Defined when the program is linked with jemalloc (see alloc.c). */
extern void malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque, const char *opts)
    __attribute__((weak));

/* MEMORY USAGE key [SAMPLES count] */
void cmd_memory_usage(session *c)
{
    long long samples = 5;
    for (int j = 3; j < c->args.argc; j++) {
        if (!strcasecmp(c->args.argv[j], "samples") && j + 1 < c->args.argc) {
            if (!str_to_ll(c->args.argv[j + 1], sbuf_len(c->args.argv[j + 1]), &samples)) {
                reply_err_notint(c);
                return;
            }
            if (samples < 0) {
                reply_err_syntax(c);
                return;
            }
            j++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    const char *key = c->args.argv[2];
    obj *o = db_lookup_read(c->srv, c->db, key, LOOKUP_NOTOUCH | LOOKUP_NONOTIFY);
    if (!o) {
        reply_null(c);
        return;
    }
    size_t bytes = sizeof(dict_entry) + obj_mem(o);
    dict_entry *de = dict_find(c->db->keys, key);
    if (de) bytes += sbuf_alloc_size(de->key);
    if (db_get_expire(c->db, key) != -1) bytes += sizeof(dict_entry);
    reply_int(c, (long long)bytes);
}

/* A MEMORY STATS field: its value is an integer, or a double (kind 'd'). */
typedef struct stat_field {
    const char *name;
    char kind;
    double v;
} stat_field;

static void reply_fields(session *c, const stat_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        reply_bulk_cstr(c, f[i].name);
        if (f[i].kind == 'd') reply_double(c, f[i].v);
        else reply_int(c, (long long)f[i].v);
    }
}

/* MEMORY STATS: Redis 7.0's fields, in its order.  The allocator's own
 * view is not read: ours counts what we asked for. */
void cmd_memory_stats(session *c)
{
    server *s = c->srv;
    info_mem m;
    info_mem_read(s, &m);
    long long keys = 0;
    int dbs = 0;
    for (int i = 0; i < s->ndb; i++) {
        if (dict_size(s->dbs[i].keys) == 0) continue;
        keys += (long long)dict_size(s->dbs[i].keys);
        dbs++;
    }
    double used = (double)m.used, rss = (double)m.rss;
    const stat_field head[] = {
        {"peak.allocated", 'i', (double)m.peak}, {"total.allocated", 'i', used},
        {"startup.allocated", 'i', 0}, {"replication.backlog", 'i', 0}, {"clients.slaves", 'i', 0},
        {"clients.normal", 'i', (double)m.clients}, {"cluster.links", 'i', 0}, {"aof.buffer", 'i', 0},
        {"lua.caches", 'i', 0}, {"functions.caches", 'i', 0},
    };
    const stat_field tail[] = {
        {"overhead.total", 'i', (double)m.overhead}, {"keys.count", 'i', (double)keys},
        {"keys.bytes-per-key", 'i', keys ? (double)(m.dataset / (size_t)keys) : 0},
        {"dataset.bytes", 'i', (double)m.dataset},
        {"dataset.percentage", 'd', m.used ? (double)m.dataset * 100 / used : 0},
        {"peak.percentage", 'd', m.peak ? used * 100 / (double)m.peak : 0},
        {"allocator.allocated", 'i', used}, {"allocator.active", 'i', used}, {"allocator.resident", 'i', rss},
        {"allocator-fragmentation.ratio", 'd', 1.0}, {"allocator-fragmentation.bytes", 'i', 0},
        {"allocator-rss.ratio", 'd', m.used ? rss / used : 0}, {"allocator-rss.bytes", 'i', rss - used},
        {"rss-overhead.ratio", 'd', 1.0}, {"rss-overhead.bytes", 'i', 0},
        {"fragmentation", 'd', m.used ? rss / used : 0}, {"fragmentation.bytes", 'i', rss - used},
    };
    size_t nhead = sizeof head / sizeof head[0], ntail = sizeof tail / sizeof tail[0];
    reply_map(c, (long)(nhead + ntail) + dbs);
    reply_fields(c, head, nhead);
    for (int i = 0; i < s->ndb; i++) {
        if (dict_size(s->dbs[i].keys) == 0) continue;
        char name[32];
        snprintf(name, sizeof name, "db.%d", i);
        reply_bulk_cstr(c, name);
        const stat_field db[] = {
            {"overhead.hashtable.main", 'i', (double)dict_mem_usage(s->dbs[i].keys)},
            {"overhead.hashtable.expires", 'i', (double)dict_mem_usage(s->dbs[i].expires)},
            {"overhead.hashtable.slot-to-keys", 'i', 0},
        };
        reply_map(c, 3);
        reply_fields(c, db, 3);
    }
    reply_fields(c, tail, ntail);
}

/* MEMORY PURGE: give the allocator's unused dirty pages back now. */
void cmd_memory_purge(session *c)
{
    if (xallocator_purge() != 0) {
        reply_error(c, "ERR Error purging dirty pages");
        return;
    }
    reply_ok(c);
}

/* MEMORY DOCTOR: Redis's two texts for "too little to judge" and "fine";
 * Rill does not run Redis's checks (fragmentation, big buffers) yet. */
void cmd_memory_doctor(session *c)
{
    info_mem m;
    info_mem_read(c->srv, &m);
    static const char empty[] = "Hi Sam, this instance is empty or is using very little memory, my issues "
                                "detector can't be used in these conditions. Please, leave for your mission on "
                                "Earth and fill it with some data. The new Sam and I will be back to our "
                                "programming as soon as I finished rebooting.\n";
    static const char fine[] = "Hi Sam, I can't find any memory issue in your instance. I can only account for "
                               "what occurs on this base.\n";
    if (m.used < 5 * 1024 * 1024) reply_verbatim(c, empty, sizeof empty - 1, "txt");
    else reply_verbatim(c, fine, sizeof fine - 1, "txt");
}

static void stats_append(void *priv, const char *text)
{
    sbuf *out = priv;
    *out = sbuf_cat(*out, text, strlen(text));
}

/* MEMORY MALLOC-STATS: jemalloc's report, or Redis's text for other allocators. */
void cmd_memory_malloc_stats(session *c)
{
    if (!malloc_stats_print) {
        static const char none[] = "Stats not supported for the current allocator";
        reply_verbatim(c, none, sizeof none - 1, "txt");
        return;
    }
    sbuf out = sbuf_empty(4096);
    malloc_stats_print(stats_append, &out, NULL);
    reply_verbatim(c, out, sbuf_len(out), "txt");
    sbuf_free(out);
}

void cmd_memory_help(session *c)
{
    static const char *const help[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c, help, sizeof help / sizeof help[0]);
}
