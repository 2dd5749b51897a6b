/* config.c — the option table, redis.conf-syntax loading, CONFIG GET/SET.
 *
 * Every option is one row of options[] below: its name, its type, where it
 * lives in struct config, its default written as it would be in a config
 * file, its limits, and flags (OPT_MUTABLE: CONFIG SET may change it).
 * Nothing else in this file names an option; loading, CONFIG SET, CONFIG GET
 * and config_init all work from the row.
 *
 * Setting an option is always the same three steps: parse the words into an
 * optval (nothing in the config changes, so a bad value leaves it intact);
 * swap the optval with the field (the optval now holds the old value); free
 * the optval — or, when the apply hook refuses a CONFIG SET, swap back first.
 * Strings and bind words are heap copies owned by struct config; an optval
 * owns whatever it holds until it is swapped in.
 *
 * Error texts follow Redis 7's config.c so that clients and operators see
 * what they would see from redis-server.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700          /* realpath, strcasecmp, also under strict -std=c11 */
#endif
#include "config.h"

#include "alloc.h"
#include "argv.h"
#include "glob.h"
#include "notify.h"
#include "resp_parse.h"
#include "sbuf.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * The option table
 * ------------------------------------------------------------------------ */

enum opt_type {
    OT_BOOL,    /* int: "yes" -> 1, "no" -> 0 (any case) */
    OT_INT,     /* int: strict decimal, within [min, max] */
    OT_LL,      /* long long: strict decimal, within [min, max] (Redis's
                 * createLongLongConfig INTEGER_CONFIG) */
    OT_MEMORY,  /* long long: digits plus optional unit b k kb m mb g gb (any
                 * case; k = 1000, kb = 1024 ...), within [min, max] */
    OT_OCTAL,   /* int: octal digits, within [min, max] */
    OT_ENUM,    /* int: index of the value in names[] (any case) */
    OT_STRING,  /* char *: any text, may be empty; never NULL after config_init */
    OT_BIND,    /* char *bind[CONFIG_MAX_BIND] + bind_count: 1..16 words; a
                 * single empty word means no address at all (as in Redis) */
    OT_NOTIFY,  /* int: notify-keyspace-events flag letters (pubsub/notify.h) */
    OT_OBUF,    /* struct config_obuf_limit[3]: groups of <class> <hard> <soft>
                 * <soft-seconds>; only the classes given change (as Redis) */
    OT_SAVE,    /* char *: save points, pairs of <seconds> <changes> (one word
                 * or several), kept as "3600 1 300 100"; "" = none */
};

#define OPT_MUTABLE 1u  /* CONFIG SET may change it at run time */
#define OPT_CLAMP   2u  /* values accepted by [min, max] are then clamped
                         * into [clamp_min, clamp_max] (Redis's hz) */
#define OPT_ULL     4u  /* OT_MEMORY: the field is an unsigned long long and
                         * takes any value (Redis's maxmemory); min/max unused */

typedef struct option {
    const char *name;           /* canonical, lower case */
    enum opt_type type;
    size_t offset;              /* of the field in struct config */
    const char *def;            /* default, as one config-file word */
    long long min, max;         /* OT_INT, OT_MEMORY, OT_OCTAL */
    unsigned flags;
    const char *const *names;   /* OT_ENUM: value names, NULL-terminated */
    int clamp_min, clamp_max;   /* OPT_CLAMP only */
} option;

/* Same order as LL_DEBUG .. LL_NOTHING: the enum value is the index. */
static const char *const loglevel_names[] = {
    "debug", "verbose", "notice", "warning", "nothing", NULL
};

/* Same order as AOF_FSYNC_NO .. AOF_FSYNC_EVERYSEC (persist/aof.h). */
/* native-tls-auth-clients: as Redis's tls-auth-clients. */
static const char *const tls_auth_names[] = {
    "no", "yes", "optional", NULL
};

static const char *const appendfsync_names[] = {
    "no", "always", "everysec", NULL
};

/* Our strings hold at most SBUF_MAX bytes, so no bulk may be longer. */
#define MAX_BULK ((long long)SBUF_MAX)

long long config_max_bulk(const config *c)
{
    return c->proto_max_bulk_len < MAX_BULK ? c->proto_max_bulk_len : MAX_BULK;
}
#define MB (1024LL * 1024)

/* ROW fills the columns every option has; a row adds .names (OT_ENUM) or
 * .clamp_min/.clamp_max (OPT_CLAMP) after it. */
#define ROW(name_, type_, field_, def_, min_, max_, flags_) \
    .name = name_, .type = type_, .offset = offsetof(config, field_), \
    .def = def_, .min = min_, .max = max_, .flags = flags_
#define M OPT_MUTABLE

static const option options[] = {
    /*    name                         type        field                       default      min     max        flags */
    { ROW("bind",                      OT_BIND,    bind,                      "127.0.0.1", 0,      0,         0) },
    { ROW("port",                      OT_INT,     port,                      "6379",      0,      65535,     0) },
    { ROW("tcp-backlog",               OT_INT,     tcp_backlog,               "511",       0,      INT_MAX,   0) },
    { ROW("unixsocket",                OT_STRING,  unixsocket,                "",          0,      0,         0) },
    { ROW("unixsocketperm",            OT_OCTAL,   unixsocketperm,            "0",         0,      0777,      0) },
    { ROW("native-listen",             OT_STRING,  native_listen,             "tcp://127.0.0.1:7379 ipc://rill.sock", 0, 0, 0) },
    { ROW("native-max-frame",          OT_MEMORY,  native_max_frame,          "512mb",     1024,   LLONG_MAX, 0) },
    { ROW("native-tls-cert-file",      OT_STRING,  native_tls_cert_file,      "",          0,      0,         0) },
    { ROW("native-tls-key-file",       OT_STRING,  native_tls_key_file,       "",          0,      0,         0) },
    { ROW("native-tls-ca-file",        OT_STRING,  native_tls_ca_file,        "",          0,      0,         0) },
    { ROW("native-tls-auth-clients",   OT_ENUM,    native_tls_auth_clients,   "no",        0,      0,         0), .names = tls_auth_names },
    { ROW("requirepass",               OT_STRING,  requirepass,               "",          0,      0,         M) },
    { ROW("maxclients",                OT_INT,     maxclients,                "10000",     1,      INT_MAX,   M) },
    { ROW("timeout",                   OT_INT,     timeout,                   "0",         0,      INT_MAX,   M) },
    { ROW("tcp-keepalive",             OT_INT,     tcp_keepalive,             "300",       0,      INT_MAX,   M) },
    { ROW("databases",                 OT_INT,     databases,                 "16",        1,      INT_MAX,   0) },
    { ROW("dir",                       OT_STRING,  dir,                       "./data",    0,      0,         0) },
    { ROW("loglevel",                  OT_ENUM,    loglevel,                  "notice",    0,      0,         M), .names = loglevel_names },
    { ROW("logfile",                   OT_STRING,  logfile,                   "",          0,      0,         0) },
    { ROW("hz",                        OT_INT,     hz,                        "10",        0,      INT_MAX,   M | OPT_CLAMP), .clamp_min = 1, .clamp_max = 500 },
    { ROW("slowlog-log-slower-than",   OT_LL,      slowlog_log_slower_than,   "10000",     -1,     LLONG_MAX, M) },
    { ROW("slowlog-max-len",           OT_LL,      slowlog_max_len,           "128",       0,      LLONG_MAX, M) },
    { ROW("proto-max-bulk-len",        OT_MEMORY,  proto_max_bulk_len,        "512mb",     1 * MB, LLONG_MAX, M) },
    { ROW("client-query-buffer-limit", OT_MEMORY,  client_query_buffer_limit, "1gb",       1 * MB, LLONG_MAX, M) },
    { ROW("maxmemory",                 OT_MEMORY,  maxmemory,                 "0",         0,      0,         M | OPT_ULL) },
    { ROW("pidfile",                   OT_STRING,  pidfile,                   "",          0,      0,         0) },
    { ROW("active-expire-enabled",     OT_BOOL,    active_expire_enabled,     "yes",       0,      0,         M) },
    { ROW("notify-keyspace-events",    OT_NOTIFY,  notify_keyspace_events,    "",          0,      0,         M) },
    { ROW("client-output-buffer-limit", OT_OBUF,   obuf_limits,               "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60", 0, 0, M) },
    { ROW("set-max-intset-entries",    OT_INT,     set_max_intset_entries,    "512",       0,      INT_MAX,   M) },
    { ROW("hash-max-listpack-entries", OT_INT,     hash_max_listpack_entries, "512",       0,      INT_MAX,   M) },
    { ROW("hash-max-listpack-value",   OT_MEMORY,  hash_max_listpack_value,   "64",        0,      LLONG_MAX, M) },
    { ROW("list-max-listpack-size",    OT_INT,     list_max_listpack_size,    "-2",        INT_MIN, INT_MAX,  M) },
    { ROW("zset-max-listpack-entries", OT_INT,     zset_max_listpack_entries, "128",       0,      INT_MAX,   M) },
    { ROW("zset-max-listpack-value",   OT_MEMORY,  zset_max_listpack_value,   "64",        0,      LLONG_MAX, M) },
    { ROW("stream-node-max-bytes",     OT_MEMORY,  stream_node_max_bytes,     "4096",      0,      LLONG_MAX, M) },
    { ROW("stream-node-max-entries",   OT_LL,      stream_node_max_entries,   "100",       0,      LLONG_MAX, M) },
    { ROW("appendonly",                OT_BOOL,    appendonly,                "no",        0,      0,         0) },
    { ROW("appendfsync",               OT_ENUM,    appendfsync,               "everysec",  0,      0,         M), .names = appendfsync_names },
    { ROW("appendfilename",            OT_STRING,  appendfilename,            "appendonly.aof", 0, 0,         0) },
    { ROW("appenddirname",             OT_STRING,  appenddirname,             "appendonlydir", 0,  0,         0) },
    { ROW("aof-load-truncated",        OT_BOOL,    aof_load_truncated,        "yes",       0,      0,         M) },
    { ROW("aof-segment-size",          OT_MEMORY,  aof_segment_size,          "64mb",      4096,   LLONG_MAX, M) },
    { ROW("save",                      OT_SAVE,    save,                      "3600 1 300 100 60 10000", 0, 0, M) },
    { ROW("dbfilename",                OT_STRING,  dbfilename,                "dump.rill", 0,      0,         0) },
    { ROW("stop-writes-on-bgsave-error", OT_BOOL,  stop_writes_on_bgsave_error, "yes",     0,      0,         M) },
    { ROW("rdb-key-save-delay",        OT_INT,     rdb_key_save_delay,        "0",         INT_MIN, INT_MAX,  M) },
    { ROW("auto-aof-rewrite-percentage", OT_INT,   auto_aof_rewrite_percentage, "100",     0,      INT_MAX,   M) },
    { ROW("auto-aof-rewrite-min-size", OT_MEMORY,  auto_aof_rewrite_min_size, "64mb",      0,      LLONG_MAX, M) },
};

#undef M
#undef ROW

#define NOPTIONS (sizeof options / sizeof options[0])

/* Includes nested deeper than this are refused (a file including itself). */
#define MAX_INCLUDE_DEPTH 16

/* ------------------------------------------------------------------------
 * Values: parse, swap, free, format
 * ------------------------------------------------------------------------ */

typedef struct optval {
    long long n;                        /* bool, int, octal, enum, memory */
    char *s;                            /* string (owned) */
    char *words[CONFIG_MAX_BIND];       /* bind (owned) */
    int nwords;
    struct config_obuf_limit lim[3];    /* obuf: the classes in limmask */
    int limmask;
} optval;

static const option *lookup(const char *name)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (!strcasecmp(options[i].name, name)) return &options[i];
    return NULL;
}

/* arity_ok: whether n value words suit the option (bind takes 1..many, the
 * count limit being a value error; everything else exactly one). */
static int arity_ok(const option *o, int n)
{
    return o->type == OT_BIND || o->type == OT_OBUF || o->type == OT_SAVE ? n >= 1 : n == 1;
}

/* parse_decimal parses s as Redis's string2ll does: optional '-', no '+',
 * no leading zeros, no spaces, no overflow. */
static int parse_decimal(const char *s, long long *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-') { neg = 1; p++; }
    if (!isdigit((unsigned char)*p)) return -1;
    if (*p == '0') {
        if (p[1] != '\0' || neg) return -1;
        *out = 0;
        return 0;
    }
    unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p)) return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (lim - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

/* parse_memory parses a memory value as Redis 7.0 does (memtoull): digits,
 * possibly none (""  and "kb" are 0), then an optional unit (b, k, kb, m,
 * mb, g, gb; any case; k = 1000, kb = 1024 ...).  Too many digits for an
 * unsigned long long give its maximum, and the product with the unit wraps
 * around, as there.  -1 if malformed (a sign, a space, a dot, an unknown
 * unit, 128 digits or more). */
static int parse_memory(const char *s, unsigned long long *out)
{
    static const struct { const char *unit; unsigned long long mul; } units[] = {
        { "", 1 }, { "b", 1 },
        { "k", 1000 }, { "kb", 1024 },
        { "m", 1000 * 1000 }, { "mb", 1024 * 1024 },
        { "g", 1000ULL * 1000 * 1000 }, { "gb", 1024ULL * 1024 * 1024 },
    };
    const char *u = s;
    while (isdigit((unsigned char)*u)) u++;
    if (u - s >= 128) return -1;
    unsigned long long mul = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcasecmp(u, units[i].unit)) { mul = units[i].mul; break; }
    if (!mul) return -1;
    unsigned long long v = 0;
    for (const char *p = s; p < u; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - d) / 10) {
            v = ULLONG_MAX;
            break;
        }
        v = v * 10 + d;
    }
    *out = v * mul;
    return 0;
}

/* parse_octal parses one or more octal digits (no sign, no spaces). */
static int parse_octal(const char *s, long long *out)
{
    long long v = 0;
    if (!*s) return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '7') return -1;
        if (v > (LLONG_MAX >> 3)) return -1;
        v = v * 8 + (*p - '0');
    }
    *out = v;
    return 0;
}

static void optval_free(const option *o, optval *v)
{
    if (o->type == OT_STRING || o->type == OT_SAVE) xfree(v->s);
    if (o->type == OT_BIND)
        for (int i = 0; i < v->nwords; i++) xfree(v->words[i]);
    memset(v, 0, sizeof *v);
}

/* opt_parse turns the value words w[0..n) (arity already checked) into *v.
 * Returns 0, or -1 with reason (Redis's wording) and *v left empty. */
static int opt_parse(const option *o, const char *const *w, int n, optval *v,
                     char *reason, size_t rlen)
{
    memset(v, 0, sizeof *v);
    switch (o->type) {
    case OT_BOOL:
        if (!strcasecmp(w[0], "yes")) v->n = 1;
        else if (!strcasecmp(w[0], "no")) v->n = 0;
        else { snprintf(reason, rlen, "argument must be 'yes' or 'no'"); return -1; }
        return 0;

    case OT_INT:
    case OT_LL:
    case OT_OCTAL:
        if (o->type != OT_OCTAL ? parse_decimal(w[0], &v->n) : parse_octal(w[0], &v->n)) {
            snprintf(reason, rlen, o->type != OT_OCTAL
                     ? "argument couldn't be parsed into an integer"
                     : "argument couldn't be parsed as an octal number");
            return -1;
        }
        if (v->n < o->min || v->n > o->max) goto range;
        if (o->flags & OPT_CLAMP) {
            if (v->n < o->clamp_min) v->n = o->clamp_min;
            if (v->n > o->clamp_max) v->n = o->clamp_max;
        }
        return 0;

    case OT_MEMORY: {
        unsigned long long u;
        if (parse_memory(w[0], &u)) {
            snprintf(reason, rlen, "argument must be a memory value");
            return -1;
        }
        if (!(o->flags & OPT_ULL) && (u < (unsigned long long)o->min || u > (unsigned long long)o->max)) goto range;
        v->n = (long long)u;   /* OPT_ULL: the same bits */
        return 0;
    }

    case OT_ENUM:
        for (int i = 0; o->names[i]; i++)
            if (!strcasecmp(w[0], o->names[i])) { v->n = i; return 0; }
        {
            size_t at = (size_t)snprintf(reason, rlen, "argument must be one of the following: ");
            for (int i = 0; o->names[i] && at < rlen; i++)
                at += (size_t)snprintf(reason + at, rlen - at, "%s%s", i ? ", " : "", o->names[i]);
        }
        return -1;

    case OT_STRING:
        v->s = xstrdup(w[0]);
        return 0;

    case OT_SAVE: {
        if (n == 1 && w[0][0] == '\0') {    /* save "": no save points */
            v->s = xstrdup("");
            return 0;
        }
        if (n == 1 && strchr(w[0], ' ')) {   /* save "3600 1 300 100" (a rewritten file) */
            argv_t split;
            argv_init(&split);
            int rc = -1;
            if (resp_split_inline(w[0], strlen(w[0]), &split) == 0 && split.argc > 1)
                rc = opt_parse(o, (const char *const *)split.argv, split.argc, v, reason, rlen);
            else
                snprintf(reason, rlen, "Invalid save parameters");
            argv_free(&split);
            return rc;
        }
        sbuf out = sbuf_empty(64);
        for (int i = 0; i < n; i++) {
            long long x;
            if (n % 2 || parse_decimal(w[i], &x) || x < (i % 2 ? 0 : 1) || x > INT_MAX) {
                sbuf_free(out);
                snprintf(reason, rlen, "Invalid save parameters");
                return -1;
            }
            out = sbuf_catfmt(out, "%s%lld", i ? " " : "", x);
        }
        v->s = xstrdup(out);
        sbuf_free(out);
        return 0;
    }

    case OT_BIND:
        if (n > CONFIG_MAX_BIND) {
            snprintf(reason, rlen, "Too many bind addresses specified.");
            return -1;
        }
        if (n == 1 && w[0][0] == '\0') return 0;    /* no address at all */
        for (int i = 0; i < n; i++) v->words[i] = xstrdup(w[i]);
        v->nwords = n;
        return 0;

    case OT_NOTIFY: {
        int f = notify_flags_parse(w[0], strlen(w[0]));
        if (f < 0) {
            snprintf(reason, rlen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
            return -1;
        }
        v->n = f;
        return 0;
    }

    case OT_OBUF:
        if (n % 4 != 0) {
            snprintf(reason, rlen, "Wrong number of arguments in buffer limit configuration.");
            return -1;
        }
        for (int i = 0; i < n; i += 4) {
            int cls;
            if (!strcasecmp(w[i], "normal")) cls = CONFIG_OBUF_NORMAL;
            else if (!strcasecmp(w[i], "replica") || !strcasecmp(w[i], "slave")) cls = CONFIG_OBUF_REPLICA;
            else if (!strcasecmp(w[i], "pubsub")) cls = CONFIG_OBUF_PUBSUB;
            else {
                snprintf(reason, rlen, "Invalid client class specified in buffer limit configuration.");
                return -1;
            }
            unsigned long long hard, soft;
            long long secs;
            if (parse_memory(w[i + 1], &hard) || parse_memory(w[i + 2], &soft) || parse_decimal(w[i + 3], &secs) ||
                secs < 0 || secs > INT_MAX || hard > LLONG_MAX || soft > LLONG_MAX) {
                snprintf(reason, rlen, "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
                return -1;
            }
            v->lim[cls].hard = (long long)hard;
            v->lim[cls].soft = (long long)soft;
            v->lim[cls].soft_seconds = (int)secs;
            v->limmask |= 1 << cls;
        }
        return 0;
    }
    return -1;

range:
    snprintf(reason, rlen, "argument must be between %lld and %lld inclusive", o->min, o->max);
    return -1;
}

/* opt_swap exchanges the option's field in c with *v: afterwards the config
 * holds v's value and v holds the config's previous one. */
static void opt_swap(config *c, const option *o, optval *v)
{
    char *field = (char *)c + o->offset;
    switch (o->type) {
    case OT_BOOL: case OT_INT: case OT_OCTAL: case OT_ENUM: case OT_NOTIFY: {
        int old = *(int *)field;
        *(int *)field = (int)v->n;
        v->n = old;
        break;
    }
    case OT_MEMORY: case OT_LL: {
        long long old = *(long long *)field;
        *(long long *)field = v->n;
        v->n = old;
        break;
    }
    case OT_STRING: case OT_SAVE: {
        char *old = *(char **)field;
        *(char **)field = v->s;
        v->s = old;
        break;
    }
    case OT_BIND: {
        char *old[CONFIG_MAX_BIND];
        int nold = c->bind_count;
        memcpy(old, c->bind, sizeof old);
        memcpy(c->bind, v->words, sizeof old);
        c->bind_count = v->nwords;
        memcpy(v->words, old, sizeof old);
        v->nwords = nold;
        break;
    }
    case OT_OBUF: {
        struct config_obuf_limit *lim = (struct config_obuf_limit *)field;
        for (int i = 0; i < 3; i++)
            if (v->limmask & (1 << i)) {
                struct config_obuf_limit old = lim[i];
                lim[i] = v->lim[i];
                v->lim[i] = old;
            }
        break;
    }
    }
}

/* opt_format returns the option's current value as CONFIG GET shows it, as a
 * new sbuf the caller frees. */
static sbuf opt_format(const config *c, const option *o)
{
    const char *field = (const char *)c + o->offset;
    switch (o->type) {
    case OT_BOOL:   return sbuf_from_cstr(*(const int *)field ? "yes" : "no");
    case OT_INT:    return sbuf_from_ll(*(const int *)field);
    case OT_OCTAL:  return sbuf_catfmt(sbuf_empty(16), "%o", (unsigned)*(const int *)field);
    case OT_ENUM:   return sbuf_from_cstr(o->names[*(const int *)field]);
    case OT_MEMORY:
        if (o->flags & OPT_ULL) return sbuf_catfmt(sbuf_empty(24), "%llu", *(const unsigned long long *)field);
        return sbuf_from_ll(*(const long long *)field);
    case OT_LL: return sbuf_from_ll(*(const long long *)field);
    case OT_STRING: case OT_SAVE: return sbuf_from_cstr(*(char *const *)field);
    case OT_BIND: {
        sbuf s = sbuf_empty(64);
        for (int i = 0; i < c->bind_count; i++) {
            if (i) s = sbuf_cat(s, " ", 1);
            s = sbuf_cat(s, c->bind[i], strlen(c->bind[i]));
        }
        return s;
    }
    case OT_NOTIFY: {
        char buf[32];
        notify_flags_string(*(const int *)field, buf);
        return sbuf_from_cstr(buf);
    }
    case OT_OBUF: {
        static const char *const names[3] = {"normal", "slave", "pubsub"};
        const struct config_obuf_limit *lim = (const struct config_obuf_limit *)field;
        sbuf s = sbuf_empty(128);
        for (int i = 0; i < 3; i++)
            s = sbuf_catfmt(s, "%s%s %lld %lld %d", i ? " " : "", names[i], lim[i].hard, lim[i].soft,
                            lim[i].soft_seconds);
        return s;
    }
    }
    return sbuf_empty(0);
}

/* opt_apply parses the words and, if valid, installs the value in c (no
 * hook: this is the load path). */
static int opt_apply(config *c, const option *o, const char *const *w, int n,
                     char *reason, size_t rlen)
{
    optval v;
    if (opt_parse(o, w, n, &v, reason, rlen)) return -1;
    opt_swap(c, o, &v);
    optval_free(o, &v);
    return 0;
}

/* ------------------------------------------------------------------------
 * Init and free
 * ------------------------------------------------------------------------ */

void config_init(config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NOPTIONS; i++) {
        char reason[128];
        const char *w[1] = { options[i].def };
        int rc;
        if (options[i].type == OT_OBUF || options[i].type == OT_SAVE) {    /* a multi-word default */
            argv_t split;
            argv_init(&split);
            resp_split_inline(w[0], strlen(w[0]), &split);
            rc = opt_apply(c, &options[i], (const char *const *)split.argv, split.argc, reason, sizeof reason);
            argv_free(&split);
        } else {
            rc = opt_apply(c, &options[i], w, 1, reason, sizeof reason);
        }
        assert(rc == 0 && "bad default in the option table");
        (void)rc;
    }
}

void config_free(config *c)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        optval v;
        memset(&v, 0, sizeof v);
        opt_swap(c, &options[i], &v);   /* empties the field */
        optval_free(&options[i], &v);
    }
    xfree(c->config_file);
    c->config_file = NULL;
}

/* ------------------------------------------------------------------------
 * Loading: files, strings, command-line arguments
 * ------------------------------------------------------------------------ */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* read_file reads a whole file into a new sbuf; NULL with reason on error. */
static sbuf read_file(const char *path, char *reason, size_t rlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(reason, rlen, "can't open config file '%s': %s", path, strerror(errno));
        return NULL;
    }
    sbuf s = sbuf_empty(4096);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) s = sbuf_cat(s, buf, n);
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        snprintf(reason, rlen, "can't read config file '%s': %s", path, strerror(saved));
        sbuf_free(s);
        return NULL;
    }
    return s;
}

static int load_text(config *c, const char *name, const char *text, size_t len,
                     int depth, char *err, size_t errlen);

/* directive applies one split line w[0..n) (w[0] the option name).
 * Returns 0; -1 with reason set (the caller adds file, line and text); or
 * -2 when a nested include failed and err is already complete. */
static int directive(config *c, const char *const *w, int n, int depth,
                     char *reason, size_t rlen, char *err, size_t errlen)
{
    if (!strcasecmp(w[0], "include") && n == 2) {
        if (depth >= MAX_INCLUDE_DEPTH) {
            snprintf(reason, rlen, "includes nested more than %d deep", MAX_INCLUDE_DEPTH);
            return -1;
        }
        sbuf text = read_file(w[1], reason, rlen);
        if (!text) return -1;
        int rc = load_text(c, w[1], text, sbuf_len(text), depth + 1, err, errlen);
        sbuf_free(text);
        return rc ? -2 : 0;
    }
    const option *o = lookup(w[0]);
    if (!o) {
        snprintf(reason, rlen, "Bad directive or wrong number of arguments");
        return -1;
    }
    if (!arity_ok(o, n - 1)) {
        snprintf(reason, rlen, "wrong number of arguments");
        return -1;
    }
    return opt_apply(c, o, w + 1, n - 1, reason, rlen);
}

/* load_text applies config text line by line.  Lines are split on '\n' and
 * trimmed of " \t\r\n"; empty lines and lines starting with '#' are skipped,
 * so a '#' after an option is not a comment (as in Redis). */
static int load_text(config *c, const char *name, const char *text, size_t len,
                     int depth, char *err, size_t errlen)
{
    argv_t av;
    argv_init(&av);
    const char *p = text, *end = text + len;
    int lineno = 0, rc = 0;
    char reason[256];

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        lineno++;
        while (s < e && strchr(" \t\r\n", *s)) s++;
        while (e > s && strchr(" \t\r\n", e[-1])) e--;
        if (s == e || *s == '#') continue;

        argv_reset(&av);
        int r;
        if (resp_split_inline(s, (size_t)(e - s), &av) < 0) {
            snprintf(reason, sizeof reason, "Unbalanced quotes in configuration line");
            r = -1;
        } else if (av.argc == 0) {
            continue;
        } else {
            r = directive(c, (const char *const *)av.argv, av.argc, depth,
                          reason, sizeof reason, err, errlen);
        }
        if (r == -1)
            set_err(err, errlen, "%s:%d: '%.*s': %s", name, lineno, (int)(e - s), s, reason);
        if (r) { rc = -1; break; }
    }
    argv_free(&av);
    return rc;
}

int config_load_string(config *c, const char *name, const char *text, char *err, size_t errlen)
{
    return load_text(c, name, text, strlen(text), 0, err, errlen);
}

int config_load_file(config *c, const char *path, char *err, size_t errlen)
{
    char reason[512];
    sbuf text = read_file(path, reason, sizeof reason);
    if (!text) {
        set_err(err, errlen, "%s", reason);
        return -1;
    }
    int rc = load_text(c, path, text, sbuf_len(text), 0, err, errlen);
    sbuf_free(text);
    if (rc == 0) {
        char *abs = realpath(path, NULL);   /* plain malloc: copy into ours */
        xfree(c->config_file);
        c->config_file = xstrdup(abs ? abs : path);
        free(abs);
    }
    return rc;
}

/* cat_word appends w to s as a config-file word: bare when it needs no
 * quoting, else in double quotes with escapes (for error messages). */
static sbuf cat_word(sbuf s, const char *w)
{
    int plain = *w != '\0';
    for (const char *p = w; *p && plain; p++)
        if (!isgraph((unsigned char)*p) || *p == '"' || *p == '\'' || *p == '\\') plain = 0;
    if (plain) return sbuf_cat(s, w, strlen(w));
    s = sbuf_cat(s, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        switch (*p) {
        case '"':  s = sbuf_cat(s, "\\\"", 2); break;
        case '\\': s = sbuf_cat(s, "\\\\", 2); break;
        case '\n': s = sbuf_cat(s, "\\n", 2); break;
        case '\r': s = sbuf_cat(s, "\\r", 2); break;
        case '\t': s = sbuf_cat(s, "\\t", 2); break;
        default:
            if (isprint(*p)) s = sbuf_cat(s, p, 1);
            else s = sbuf_catfmt(s, "\\x%02x", *p);
        }
    }
    return sbuf_cat(s, "\"", 1);
}

static int is_option_arg(const char *a)
{
    return a[0] == '-' && a[1] == '-';
}

/* config_apply_args: each `--name` starts an option (numbered 1, 2, ... for
 * errors) whose values are the following arguments up to the next `--...`.
 * An argument such as "--port 7000" carries its values inside (split as a
 * config line).  An option with no value is an error, so a value may never
 * start with "--"; an empty argument ("") is a value. */
int config_apply_args(config *c, int argc, char **argv, char *err, size_t errlen)
{
    argv_t words;
    argv_init(&words);
    char reason[256];
    int line = 0, rc = 0;

    for (int i = 0; i < argc && rc == 0; ) {
        line++;
        argv_reset(&words);
        int j = i + 1, r;
        if (!is_option_arg(argv[i])) {
            /* Only possible first: values are consumed with their option. */
            argv_push(&words, argv[i], strlen(argv[i]));
            snprintf(reason, sizeof reason, "Bad directive or wrong number of arguments");
            r = -1;
        } else {
            const char *name = argv[i] + 2;
            if (strpbrk(name, " \t") && resp_split_inline(name, strlen(name), &words) == 0 && words.argc > 0) {
                /* "--port 7000": name and values in one argument */
            } else {
                argv_reset(&words);
                argv_push(&words, name, strlen(name));
            }
            for (; j < argc && !is_option_arg(argv[j]); j++)
                argv_push(&words, argv[j], strlen(argv[j]));
            r = directive(c, (const char *const *)words.argv, words.argc, 0,
                          reason, sizeof reason, err, errlen);
        }
        if (r == -1) {
            sbuf text = sbuf_empty(64);
            for (int k = 0; k < words.argc; k++) {
                if (k) text = sbuf_cat(text, " ", 1);
                text = cat_word(text, words.argv[k]);
            }
            set_err(err, errlen, "<command line>:%d: '%s': %s", line, text, reason);
            sbuf_free(text);
        }
        if (r) rc = -1;
        i = j;
    }
    argv_free(&words);
    return rc;
}

/* ------------------------------------------------------------------------
 * Run time: CONFIG SET, CONFIG GET
 * ------------------------------------------------------------------------ */

int config_set(config *c, const char *name, const char **values, int nvalues, char *err, size_t errlen)
{
    const option *o = lookup(name);
    argv_t split;
    argv_init(&split);
    const char *const *w = values;
    int n = nvalues;
    char reason[256];

    /* CONFIG SET bind "a b": a multi-word option given one value is split
     * as a config line would be (so config_get_value output round-trips). */
    if (o && (o->type == OT_BIND || o->type == OT_OBUF || o->type == OT_SAVE) && n == 1 && values[0][0]) {
        if (resp_split_inline(values[0], strlen(values[0]), &split) == 0 && split.argc > 0) {
            w = (const char *const *)split.argv;
            n = split.argc;
        }
    }

    int rc = -1;
    optval v;
    if (!o || !arity_ok(o, n)) {
        set_err(err, errlen, "Unknown option or number of arguments for CONFIG SET - '%s'", name);
    } else if (!(o->flags & OPT_MUTABLE)) {
        set_err(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - can't set immutable config", name);
    } else if (opt_parse(o, w, n, &v, reason, sizeof reason)) {
        set_err(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s", name, reason);
    } else {
        opt_swap(c, o, &v);                 /* v now holds the old value */
        reason[0] = '\0';
        if (c->hook && c->hook(c->hook_priv, o->name, reason, sizeof reason) != 0) {
            opt_swap(c, o, &v);             /* restore; v holds the refused one */
            set_err(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s",
                    name, reason[0] ? reason : "the server refused the new value");
        } else {
            rc = 0;
        }
        optval_free(o, &v);
    }
    argv_free(&split);
    return rc;
}

void config_get(const config *c, const char *pattern, config_get_fn *fn, void *priv)
{
    size_t plen = strlen(pattern);
    for (size_t i = 0; i < NOPTIONS; i++) {
        const option *o = &options[i];
        if (!glob_match(pattern, plen, o->name, strlen(o->name), 1)) continue;
        sbuf v = opt_format(c, o);
        fn(priv, o->name, v);
        sbuf_free(v);
    }
}

int config_get_value(const config *c, const char *name, char *buf, size_t buflen)
{
    const option *o = lookup(name);
    if (!o) return -1;
    sbuf v = opt_format(c, o);
    size_t len = sbuf_len(v);
    if (buflen) {
        size_t k = len < buflen - 1 ? len : buflen - 1;
        memcpy(buf, v, k);
        buf[k] = '\0';
    }
    sbuf_free(v);
    return len > INT_MAX ? INT_MAX : (int)len;
}

int config_is_mutable(const char *name)
{
    const option *o = lookup(name);
    return o ? !!(o->flags & OPT_MUTABLE) : -1;
}

const char *config_canonical_name(const char *name)
{
    const option *o = lookup(name);
    return o ? o->name : NULL;
}

void config_set_hook(config *c, config_hook_fn *fn, void *priv)
{
    c->hook = fn;
    c->hook_priv = priv;
}
