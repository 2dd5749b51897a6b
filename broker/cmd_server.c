/* cmd_server.c — INFO DBSIZE FLUSHDB FLUSHALL SWAPDB TIME SHUTDOWN DEBUG SLOWLOG WAIT ROLE.
 *
 * CONFIG lives in cmd_config.c and COMMAND in cmd_command.c; the INFO text
 * itself is built by info.c.  Error texts and reply shapes are Redis 7.0's.
 */
#include "persist.h"
#include "aof.h"
#include "server.h"
#include "commands.h"
#include "info.h"
#include "log.h"
#include "multi.h"
#include "blocking.h"
#include "effect.h"
#include "slowlog.h"
#include "object.h"

#include <ctype.h>
#include <limits.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* INFO [section ...] */
void cmd_info(session *c)
{
    sbuf text = info_generate(c->srv, c->args.argc - 1, c->args.argv + 1);
    reply_verbatim(c, text, sbuf_len(text), "txt");
    sbuf_free(text);
}

/* DBSIZE */
void cmd_dbsize(session *c)
{
    reply_int(c, (long long)dict_size(c->db->keys));
}

/* flush_flags parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC into *async;
 * -1 after replying a syntax error. */
static int flush_flags(session *c, int *async)
{
    *async = 0;
    if (c->args.argc == 1) return 0;
    const char *a = c->args.argv[1];
    if (c->args.argc == 2 && !strcasecmp(a, "async")) {
        *async = 1;
        return 0;
    }
    if (c->args.argc == 2 && !strcasecmp(a, "sync")) return 0;
    reply_err_syntax(c);
    return -1;
}

/* FLUSHDB [ASYNC|SYNC] */
void cmd_flushdb(session *c)
{
    server *s = c->srv;
    int async;
    if (flush_flags(c, &async) < 0) return;
    multi_touch_db(s, c->db);               /* before: only keys that existed count */
    s->dirty += db_empty(s, c->db, async);  /* the effect is FLUSHDB itself */
    block_signal_db(s, c->db);              /* XREADGROUP waiters learn their stream is gone */
    reply_ok(c);
}

/* FLUSHALL [ASYNC|SYNC] */
void cmd_flushall(session *c)
{
    server *s = c->srv;
    int async;
    if (flush_flags(c, &async) < 0) return;
    multi_touch_db(s, NULL);
    long long removed = 0;
    for (int i = 0; i < s->ndb; i++) {
        removed += db_empty(s, &s->dbs[i], async);
        block_signal_db(s, &s->dbs[i]);
    }
    s->dirty += removed;
    if (persist_flushall(s)) {   /* kills a BGSAVE; saves with save points (Redis 7) */
        /* The save reset the change counter; the flush must still be logged. */
        const char *av[1] = {"FLUSHALL"};
        effect_suppress(c);
        effect_emit_strs(s, c->dbid, 1, av, NULL);
    }
    reply_ok(c);
}

/* db_index parses a SWAPDB index as Redis's getIntFromObjectOrReply does. */
static int db_index(const char *arg, int *out)
{
    long long v;
    if (!str_to_ll(arg, sbuf_len(arg), &v) || v < -2147483648LL || v > 2147483647LL) return -1;
    *out = (int)v;
    return 0;
}

/* SWAPDB index1 index2 */
void cmd_swapdb(session *c)
{
    server *s = c->srv;
    int a, b;
    if (db_index(c->args.argv[1], &a) < 0) { reply_error(c, "ERR invalid first DB index"); return; }
    if (db_index(c->args.argv[2], &b) < 0) { reply_error(c, "ERR invalid second DB index"); return; }
    if (a < 0 || a >= s->ndb || b < 0 || b >= s->ndb) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    if (a != b) {
        db *x = &s->dbs[a], *y = &s->dbs[b];
        /* A watched key changes if it exists on either side (Redis's rules
         * for stale keys included); watchers stay with their db. */
        multi_touch_swapdb(s, x, y);
        /* Swap the data; watchers and blocked clients stay with their db. */
        dict *keys = x->keys, *expires = x->expires;
        long long ttl = x->avg_ttl;
        unsigned long cursor = x->expire_cursor;
        x->keys = y->keys; x->expires = y->expires;
        x->avg_ttl = y->avg_ttl; x->expire_cursor = y->expire_cursor;
        y->keys = keys; y->expires = expires;
        y->avg_ttl = ttl; y->expire_cursor = cursor;
        /* Waiters whose key exists after the swap are served (Redis 7.0). */
        block_signal_db(s, x);
        block_signal_db(s, y);
    }
    s->dirty++;
    reply_ok(c);
}

/* TIME */
void cmd_time(session *c)
{
    long long us = c->srv->ustime;
    reply_array(c, 2);
    reply_bulk_ll(c, us / 1000000);
    reply_bulk_ll(c, us % 1000000);
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
 *
 * Rill stops at once: there is no pending save to wait for, so NOW and
 * FORCE change nothing and ABORT always finds no shutdown in progress.  On
 * success nothing is replied; the connection closes as the process exits
 * (with code 0). */
void cmd_shutdown(session *c)
{
    enum { NOSAVE = 1, SAVE = 2, NOW = 4, FORCE = 8 };
    int flags = 0, abort_req = 0;
    for (int i = 1; i < c->args.argc; i++) {
        const char *a = c->args.argv[i];
        if (!strcasecmp(a, "nosave")) flags |= NOSAVE;
        else if (!strcasecmp(a, "save")) flags |= SAVE;
        else if (!strcasecmp(a, "now")) flags |= NOW;
        else if (!strcasecmp(a, "force")) flags |= FORCE;
        else if (!strcasecmp(a, "abort")) abort_req = 1;
        else { reply_err_syntax(c); return; }
    }
    if ((abort_req && flags) || ((flags & NOSAVE) && (flags & SAVE))) {
        reply_err_syntax(c);
        return;
    }
    if (abort_req) {
        reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    log_warning("User requested shutdown...");
    if (persist_shutdown(c->srv, (flags & SAVE) != 0, (flags & NOSAVE) != 0) != 0) {
        reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    c->srv->exit_code = 0;
    c->flags |= SESS_CLOSE_AFTER_REPLY;      /* nothing pipelined after it runs */
    server_request_shutdown(c->srv);
}

/* ---- DEBUG ------------------------------------------------------------ */

static const char *const debug_help[] = {
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "AOF-FAIL-WRITES <0|errno>",
    "    Make every append log write fail with that errno (28 = ENOSPC); 0 stops.",
    "AOF-FSYNC-DELAY <milliseconds>",
    "    Make every append log fsync take that much longer (a slow disk); 0 stops.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, push, verbatim, true, false.",
    "RELOAD [NOSAVE]",
    "    Save the RDB on disk and reload it back to memory. NOSAVE: load the file",
    "    as it is, without saving first (MERGE and NOFLUSH are not supported).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Prints this help.",
};

/* debug_protocol answers DEBUG PROTOCOL <type> with a sample of that type. */
static void debug_protocol(session *c, const char *type)
{
    if (!strcasecmp(type, "string")) reply_bulk_cstr(c, "Hello World");
    else if (!strcasecmp(type, "integer")) reply_int(c, 12345);
    else if (!strcasecmp(type, "double")) reply_double(c, 3.141);
    else if (!strcasecmp(type, "bignum")) reply_bignum(c, "1234567999999999999999999999999999999", 37);
    else if (!strcasecmp(type, "null")) reply_null(c);
    else if (!strcasecmp(type, "array") || !strcasecmp(type, "set")) {
        if (!strcasecmp(type, "set")) reply_set(c, 3);
        else reply_array(c, 3);
        for (int i = 0; i < 3; i++) reply_int(c, i);
    } else if (!strcasecmp(type, "map")) {
        reply_map(c, 3);
        for (int i = 0; i < 3; i++) {
            reply_int(c, i);
            reply_bool(c, i == 1);
        }
    } else if (!strcasecmp(type, "push")) {
        if (c->resp < 3) {
            reply_error(c, "ERR RESP2 is not supported by this command");
            return;
        }
        reply_push(c, 2);
        reply_bulk_cstr(c, "server-cpu-usage");
        reply_int(c, 42);
        /* Then a normal reply, as Redis does. */
        reply_bulk_cstr(c, "Some real reply following the push reply");
    } else if (!strcasecmp(type, "verbatim")) {
        reply_verbatim(c, "This is a verbatim\nstring", 25, "txt");
    } else if (!strcasecmp(type, "true")) reply_bool(c, 1);
    else if (!strcasecmp(type, "false")) reply_bool(c, 0);
    else reply_error(c, "ERR Wrong protocol type name. Please use one of the following: "
                        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
}

/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty, load (persist.h). */
static void debug_reload(session *c)
{
    int save = 1, merge = 0, noflush = 0;
    for (int i = 2; i < c->args.argc; i++) {
        const char *o = c->args.argv[i];
        if (!strcasecmp(o, "merge")) merge = 1;
        else if (!strcasecmp(o, "noflush")) noflush = 1;
        else if (!strcasecmp(o, "nosave")) save = 0;
        else {
            reply_error(c, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    if (merge || noflush) {
        reply_error(c, "ERR DEBUG RELOAD MERGE and NOFLUSH are not supported by Rill");
        return;
    }
    int rc = persist_debug_reload(c->srv, save);
    if (rc == -1) reply_error(c, "ERR");
    else if (rc == -2) reply_error(c, "ERR Error trying to load the RDB dump");
    else reply_ok(c);
}

/* DEBUG <subcommand> [args] — the subset of Redis's DEBUG that tests use. */
void cmd_debug(session *c)
{
    server *s = c->srv;
    int argc = c->args.argc;
    sbuf *argv = c->args.argv;
    const char *sub = argv[1];

    if (argc == 2 && !strcasecmp(sub, "help")) {
        reply_help(c, debug_help, sizeof debug_help / sizeof debug_help[0]);
    } else if (argc == 3 && !strcasecmp(sub, "sleep")) {
        /* Blocks the whole server, as in Redis; bad numbers sleep 0. */
        double secs = strtod(argv[2], NULL);
        if (secs > 0) {
            long long us = (long long)(secs * 1e6);
            struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
        }
        reply_ok(c);
    } else if (argc == 3 && !strcasecmp(sub, "set-active-expire")) {
        s->cfg.active_expire_enabled = atoi(argv[2]) != 0;
        reply_ok(c);
    } else if (argc == 3 && !strcasecmp(sub, "error")) {
        /* The argument is the whole error line, code included ("-" added). */
        sbuf line = sbuf_catfmt(sbuf_empty(sbuf_len(argv[2]) + 4), "-%s", argv[2]);
        for (size_t i = 0; i < sbuf_len(line); i++)
            if (line[i] == '\r' || line[i] == '\n') line[i] = ' ';
        s->stat.total_error_replies++;
        info_count_error(s, line + 1, sbuf_len(line) - 1);
        line = sbuf_cat(line, "\r\n", 2);
        reply_raw(c, line, sbuf_len(line));
        sbuf_free(line);
    } else if (argc == 3 && !strcasecmp(sub, "aof-fail-writes")) {
        if (aof_debug_fail_writes(s, atoi(argv[2])) != 0) reply_error(c, "ERR the append log is off");
        else reply_ok(c);
    } else if (argc == 3 && !strcasecmp(sub, "aof-fsync-delay")) {
        if (aof_debug_fsync_delay(s, atoi(argv[2])) != 0) reply_error(c, "ERR the append log is off");
        else reply_ok(c);
    } else if (!strcasecmp(sub, "reload")) {
        debug_reload(c);
    } else if (argc == 3 && !strcasecmp(sub, "log")) {
        log_warning("DEBUG LOG: %s", argv[2]);
        reply_ok(c);
    } else if (argc == 3 && !strcasecmp(sub, "protocol")) {
        debug_protocol(c, argv[2]);
    } else {
        reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try DEBUG HELP.", sub);
    }
}

/* ---- SLOWLOG, WAIT, ROLE ---------------------------------------------- */

/* subcommand_syntax_error: Redis's addReplySubcommandSyntaxError. */
static void subcommand_syntax_error(session *c)
{
    char up[64];
    size_t i;
    const char *name = c->args.argv[0];
    for (i = 0; name[i] && i < sizeof up - 1; i++) up[i] = (char)toupper((unsigned char)name[i]);
    up[i] = '\0';
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
                 c->args.argv[1], up);
}

/* SLOWLOG GET [count]: the newest count entries (10; -1 = all). */
void cmd_slowlog_get(session *c)
{
    server *s = c->srv;
    if (c->args.argc > 3) {
        subcommand_syntax_error(c);
        return;
    }
    long long len = slowlog_len(s), count = 10;
    if (c->args.argc == 3) {
        const char *a = c->args.argv[2];
        if (!str_to_ll(a, sbuf_len(a), &count) || count < -1 || count > LONG_MAX) {
            reply_error(c, "ERR count should be greater than or equal to -1");
            return;
        }
        if (count == -1) count = len;
    }
    if (count > len) count = len;
    reply_array(c, count);
    const slowlog_entry *e = s->slowlog ? s->slowlog->newest : NULL;
    for (; count > 0 && e; count--, e = e->older) {
        reply_array(c, 6);
        reply_int(c, e->id);
        reply_int(c, e->time);
        reply_int(c, e->duration);
        reply_array(c, e->argc);
        for (int j = 0; j < e->argc; j++) reply_bulk_sbuf(c, e->argv[j]);
        reply_bulk_sbuf(c, e->peer);
        reply_bulk_sbuf(c, e->name);
    }
}

/* SLOWLOG LEN */
void cmd_slowlog_len(session *c) { reply_int(c, slowlog_len(c->srv)); }

/* SLOWLOG RESET */
void cmd_slowlog_reset(session *c)
{
    slowlog_reset(c->srv);
    reply_ok(c);
}

/* SLOWLOG HELP: Redis 7.0's text. */
void cmd_slowlog_help(session *c)
{
    static const char *const help[] = {
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c, help, sizeof help / sizeof help[0]);
}

static void wait_timeout_reply(session *c) { reply_int(c, 0); }

/* WAIT numreplicas timeout: Rill has no replicas, so 0 replicas
 * acknowledged.  As Redis 7.0 it answers at once when that is enough
 * (numreplicas <= 0) or inside MULTI, and otherwise blocks until the
 * timeout (milliseconds; 0 = forever) and then answers 0. */
void cmd_wait(session *c)
{
    const char *n = c->args.argv[1];
    long long numreplicas, deadline;
    if (!str_to_ll(n, sbuf_len(n), &numreplicas)) {
        reply_err_notint(c);
        return;
    }
    if (block_parse_timeout_ms(c, c->args.argv[2], &deadline) < 0) return;
    if (numreplicas <= 0 || !block_allowed(c)) {
        reply_int(c, 0);
        return;
    }
    block_for_keys(c, NULL, 0, 0, deadline, wait_timeout_reply);
}

/* ROLE: a master without replicas. */
void cmd_role(session *c)
{
    reply_array(c, 3);
    reply_bulk_cstr(c, "master");
    reply_int(c, 0);
    reply_array(c, 0);
}
