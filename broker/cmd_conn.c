/* cmd_conn.c — connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT.
 *
 * These act on the calling session (protocol, name, db, authentication)
 * or, for CLIENT LIST/KILL, on the server's session list.  Replies and
 * error texts are Redis 7.0's, byte for byte; CLIENT SETINFO follows Redis
 * 7.2 (it does not exist in 7.0).
 *
 * Authentication: there is one user, "default".  Without requirepass it
 * accepts any password (as Redis's "nopass" default user does); with
 * requirepass set, only that password.  A failed AUTH never logs a session
 * out.  The dispatcher (server_process_command) refuses every command
 * without CMD_NO_AUTH from a session that still has to authenticate.
 */
#include "server.h"
#include "commands.h"
#include "alloc.h"
#include "multi.h"
#include "object.h"
#include "pubsub.h"
#include "blocking.h"
#include "slowlog.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* The Redis version HELLO reports (clients check it for features). */
#define CONN_REDIS_VERSION "7.0.15"

/* ---- helpers ---------------------------------------------------------- */

static int arg_is(session *c, int i, const char *word)
{
    return !strcasecmp(c->args.argv[i], word);
}

/* auth_required: does the server ask for a password at all? */
static int auth_required(const server *s)
{
    return s->cfg.requirepass && s->cfg.requirepass[0];
}

/* auth_check tells whether user/pass would authenticate (no side effect).
 * The password is compared in time independent of where it differs. */
static int auth_check(server *s, const char *user, size_t ulen, const char *pass, size_t plen)
{
    if (ulen != 7 || memcmp(user, "default", 7) != 0) return 0;
    if (!auth_required(s)) return 1;
    const char *want = s->cfg.requirepass;
    size_t wlen = strlen(want);
    unsigned char diff = (unsigned char)(wlen != plen);
    for (size_t i = 0; i < plen; i++) diff |= (unsigned char)(pass[i] ^ want[wlen ? i % wlen : 0]);
    return diff == 0;
}

static void reply_wrongpass(session *c)
{
    reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
}

/* name_valid: printable ASCII without spaces ('!'..'~'), Redis's rule for
 * client names and library attributes (keeps CLIENT LIST splittable). */
static int name_valid(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < '!' || (unsigned char)p[i] > '~') return 0;
    return 1;
}

/* set_attr replaces *dst by a copy of v (or clears it when v is empty). */
static void set_attr(sbuf *dst, const char *v, size_t n)
{
    sbuf_free(*dst);
    *dst = n ? sbuf_new(v, n) : NULL;
}

/* ---- PING, ECHO, SELECT, QUIT ----------------------------------------- */

/* PING [message] */
void cmd_ping(session *c)
{
    if (c->args.argc > 2) {
        reply_err_arity(c);
        return;
    }
    if ((c->flags & SESS_PUBSUB) && c->resp == 2) {
        /* A subscribed RESP2 client can only take arrays. */
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->args.argc == 1) reply_bulk(c, "", 0);
        else reply_bulk_sbuf(c, c->args.argv[1]);
        return;
    }
    if (c->args.argc == 2) reply_bulk_sbuf(c, c->args.argv[1]);
    else reply_simple(c, "PONG");
}

/* ECHO message */
void cmd_echo(session *c) { reply_bulk_sbuf(c, c->args.argv[1]); }

/* SELECT index */
void cmd_select(session *c)
{
    long long id;
    sbuf a = c->args.argv[1];
    if (!str_to_ll(a, sbuf_len(a), &id)) {
        reply_err_notint(c);
        return;
    }
    if (id < INT32_MIN || id > INT32_MAX) {   /* Redis 7.0's text, its grammar included */
        reply_error(c, "ERR value is out of range, value must between -2147483648 and 2147483647");
        return;
    }
    if (session_select(c, (int)id) != 0) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    reply_ok(c);
}

/* QUIT */
void cmd_quit(session *c)
{
    reply_ok(c);
    c->flags |= SESS_CLOSE_AFTER_REPLY;
}

/* ---- AUTH, HELLO, RESET ----------------------------------------------- */

/* AUTH [username] password */
void cmd_auth(session *c)
{
    server *s = c->srv;
    if (c->args.argc > 3) {
        reply_err_syntax(c);
        return;
    }
    const char *user = "default", *pass;
    size_t ulen = 7, plen;
    if (c->args.argc == 2) {
        if (!auth_required(s)) {
            reply_error(c, "ERR AUTH <password> called without any password configured for the default user. "
                           "Are you sure your configuration is correct?");
            return;
        }
        pass = c->args.argv[1];
        plen = sbuf_len(c->args.argv[1]);
    } else {
        user = c->args.argv[1];
        ulen = sbuf_len(c->args.argv[1]);
        pass = c->args.argv[2];
        plen = sbuf_len(c->args.argv[2]);
    }
    if (!auth_check(s, user, ulen, pass, plen)) {
        reply_wrongpass(c);
        return;
    }
    c->flags |= SESS_AUTHENTICATED;
    reply_ok(c);
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]]
 *
 * The options are checked in order and the first bad one answers the error
 * Redis 7.0 gives for it, but nothing is applied unless all are good: a
 * failed HELLO leaves protocol, name and authentication as they were. */
void cmd_hello(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    long long ver = 0;
    if (a->argc >= 2) {
        if (!str_to_ll(a->argv[1], sbuf_len(a->argv[1]), &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }

    int auth = 0;
    sbuf name = NULL;
    for (int j = 2; j < a->argc; j++) {
        int more = a->argc - 1 - j;
        if (arg_is(c, j, "auth") && more >= 2) {
            sbuf u = a->argv[j + 1], p = a->argv[j + 2];
            if (!auth_check(s, u, sbuf_len(u), p, sbuf_len(p))) {
                reply_wrongpass(c);
                return;
            }
            auth = 1;
            j += 2;
        } else if (arg_is(c, j, "setname") && more >= 1) {
            name = a->argv[j + 1];
            if (!name_valid(name, sbuf_len(name))) {
                reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
            j++;
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%s'", a->argv[j]);
            return;
        }
    }

    if (!auth && auth_required(s) && !(c->flags & SESS_AUTHENTICATED)) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                       "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
                       "the RESP protocol version at the same time");
        return;
    }

    if (auth) c->flags |= SESS_AUTHENTICATED;
    if (name) set_attr(&c->name, name, sbuf_len(name));
    if (ver) session_set_resp(c, (int)ver);

    reply_map(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, CONN_REDIS_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_empty_array(c);
}

/* RESET: back to the state of a new connection (db 0, RESP2, no name, no
 * transaction or watches, logged out when a password is required).  As in
 * Redis 7.0, NO-EVICT and the library attributes survive. */
void cmd_reset(session *c)
{
    multi_session_cleanup(c);
    c->flags &= ~(uint32_t)(SESS_MULTI | SESS_DIRTY_CAS | SESS_DIRTY_EXEC);
    pubsub_session_cleanup(c);   /* drops every subscription and SESS_PUBSUB, as Redis does */
    session_select(c, 0);
    session_set_resp(c, 2);
    if (auth_required(c->srv)) c->flags &= ~(uint32_t)SESS_AUTHENTICATED;
    else c->flags |= SESS_AUTHENTICATED;
    set_attr(&c->name, NULL, 0);
    c->flags &= ~(uint32_t)(SESS_REPLY_OFF | SESS_REPLY_SKIP_NEXT);   /* as Redis; a pending SKIP stays */
    session_reply_sync(c);
    reply_simple(c, "RESET");
}

/* ---- CLIENT ----------------------------------------------------------- */

enum { CTYPE_NONE = -1, CTYPE_NORMAL = 0, CTYPE_REPLICA, CTYPE_PUBSUB, CTYPE_MASTER };

static int client_type_by_name(const char *n)
{
    if (!strcasecmp(n, "normal")) return CTYPE_NORMAL;
    if (!strcasecmp(n, "slave") || !strcasecmp(n, "replica")) return CTYPE_REPLICA;
    if (!strcasecmp(n, "pubsub")) return CTYPE_PUBSUB;
    if (!strcasecmp(n, "master")) return CTYPE_MASTER;
    return CTYPE_NONE;
}

static int client_type(const session *c) { return (c->flags & SESS_PUBSUB) ? CTYPE_PUBSUB : CTYPE_NORMAL; }

/* oldest_session: the list is newest first; Redis lists oldest first. */
static session *oldest_session(server *s)
{
    session *t = s->clients;
    while (t && t->next) t = t->next;
    return t;
}

static void reply_info_text(session *c, sbuf o)
{
    reply_verbatim(c, o, sbuf_len(o), "txt");
    sbuf_free(o);
}

/* CLIENT ID */
void cmd_client_id(session *c) { reply_int(c, (long long)c->id); }

/* CLIENT SETNAME name ("" removes the name) */
void cmd_client_setname(session *c)
{
    sbuf n = c->args.argv[2];
    if (!name_valid(n, sbuf_len(n))) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    set_attr(&c->name, n, sbuf_len(n));
    reply_ok(c);
}

/* CLIENT GETNAME */
void cmd_client_getname(session *c)
{
    if (c->name) reply_bulk_sbuf(c, c->name);
    else reply_null(c);
}

/* CLIENT INFO */
void cmd_client_info(session *c)
{
    sbuf o = session_info_line(c, sbuf_empty(512));
    reply_info_text(c, sbuf_cat(o, "\n", 1));
}

/* CLIENT LIST [TYPE normal|master|replica|pubsub] | [ID id [id ...]] */
void cmd_client_list(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    int type = CTYPE_NONE;
    sbuf o = NULL;
    if (a->argc == 4 && arg_is(c, 2, "type")) {
        type = client_type_by_name(a->argv[3]);
        if (type == CTYPE_NONE) {
            reply_errorf(c, "ERR Unknown client type '%s'", a->argv[3]);
            return;
        }
    } else if (a->argc > 3 && arg_is(c, 2, "id")) {
        long long *ids = xmalloc(sizeof *ids * (size_t)(a->argc - 3));
        for (int j = 3; j < a->argc; j++) {
            if (!str_to_ll(a->argv[j], sbuf_len(a->argv[j]), &ids[j - 3])) {
                xfree(ids);
                reply_error(c, "ERR Invalid client ID");
                return;
            }
        }
        o = sbuf_empty(256);
        for (int j = 3; j < a->argc; j++) {
            session *t = ids[j - 3] > 0 ? dict_fetch(s->clients_by_id, (void *)(uintptr_t)ids[j - 3]) : NULL;
            if (t) o = sbuf_cat(session_info_line(t, o), "\n", 1);
        }
        xfree(ids);
    } else if (a->argc != 2) {
        reply_err_syntax(c);
        return;
    }
    if (!o) {
        o = sbuf_empty(256 * (size_t)s->nclients);
        for (session *t = oldest_session(s); t; t = t->prev) {
            if (type != CTYPE_NONE && client_type(t) != type) continue;
            o = sbuf_cat(session_info_line(t, o), "\n", 1);
        }
    }
    reply_info_text(c, o);
}

/* CLIENT KILL addr:port
 * CLIENT KILL [ID id] [TYPE type] [ADDR addr] [LADDR addr] [USER name] [SKIPME yes|no] ...
 *
 * The old form answers OK or "No such client" and may kill the caller; the
 * new form answers the number killed and skips the caller unless SKIPME no.
 * Victims are closed before the loop sleeps; the caller, when it killed
 * itself, right after its reply is written. */
void cmd_client_kill(session *c)
{
    server *s = c->srv;
    argv_t *a = &c->args;
    const char *addr = NULL, *laddr = NULL;
    int type = CTYPE_NONE, skipme = 1, by_user = 0;
    long long id = 0;

    if (a->argc == 3) {
        addr = a->argv[2];
        skipme = 0;
    } else {
        for (int i = 2; i < a->argc; i += 2) {
            int more = a->argc > i + 1;
            const char *v = more ? a->argv[i + 1] : NULL;
            if (arg_is(c, i, "id") && more) {
                if (!str_to_ll(v, sbuf_len(a->argv[i + 1]), &id) || id < 1) {
                    reply_error(c, "ERR client-id should be greater than 0");
                    return;
                }
            } else if (arg_is(c, i, "type") && more) {
                type = client_type_by_name(v);
                if (type == CTYPE_NONE) {
                    reply_errorf(c, "ERR Unknown client type '%s'", v);
                    return;
                }
            } else if (arg_is(c, i, "addr") && more) {
                addr = v;
            } else if (arg_is(c, i, "laddr") && more) {
                laddr = v;
            } else if (arg_is(c, i, "user") && more) {
                if (strcmp(v, "default") != 0 || sbuf_len(a->argv[i + 1]) != 7) {
                    reply_errorf(c, "ERR No such user '%s'", v);
                    return;
                }
                by_user = 1;   /* every session is the default user's */
            } else if (arg_is(c, i, "skipme") && more) {
                if (!strcasecmp(v, "yes")) skipme = 1;
                else if (!strcasecmp(v, "no")) skipme = 0;
                else {
                    reply_err_syntax(c);
                    return;
                }
            } else {
                reply_err_syntax(c);
                return;
            }
        }
    }
    (void)by_user;

    long long killed = 0;
    int close_self = 0;
    for (session *t = s->clients; t; t = t->next) {
        if (t->flags & SESS_CLOSE_ASAP) continue;   /* already going away */
        if (addr && strcmp(t->addr, addr) != 0) continue;
        if (laddr && strcmp(t->laddr, laddr) != 0) continue;
        if (type != CTYPE_NONE && client_type(t) != type) continue;
        if (id && t->id != (uint64_t)id) continue;
        if (t == c && skipme) continue;
        if (t == c) close_self = 1;
        else session_close_async(t);
        killed++;
    }

    if (a->argc == 3) {
        if (killed == 0) reply_error(c, "ERR No such client");
        else reply_ok(c);
    } else {
        reply_int(c, killed);
    }
    if (close_self) c->flags |= SESS_CLOSE_AFTER_REPLY;
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; "" clears) */
void cmd_client_setinfo(session *c)
{
    sbuf attr = c->args.argv[2], v = c->args.argv[3];
    sbuf *dst;
    if (!strcasecmp(attr, "lib-name")) dst = &c->lib_name;
    else if (!strcasecmp(attr, "lib-ver")) dst = &c->lib_ver;
    else {
        reply_errorf(c, "ERR Unrecognized option '%s'", attr);
        return;
    }
    if (!name_valid(v, sbuf_len(v))) {
        reply_errorf(c, "ERR %s cannot contain spaces, newlines or special characters.", attr);
        return;
    }
    set_attr(dst, v, sbuf_len(v));
    reply_ok(c);
}

/* CLIENT NO-EVICT ON|OFF */
void cmd_client_noevict(session *c)
{
    if (arg_is(c, 2, "on")) c->flags |= SESS_NO_EVICT;
    else if (arg_is(c, 2, "off")) c->flags &= ~(uint32_t)SESS_NO_EVICT;
    else {
        reply_err_syntax(c);
        return;
    }
    reply_ok(c);
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the wait of a client blocked in
 * BLPOP, XREAD BLOCK, WAIT ... with its timeout reply (TIMEOUT, the
 * default) or an -UNBLOCKED error.  :1 if it was blocked, else :0.  As
 * Redis 7.0.15, the unblocked client's stats update logs a slow-log entry
 * with no arguments (its duration here: 0). */
void cmd_client_unblock(session *c)
{
    int error = 0;
    if (c->args.argc > 4) {
        reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try CLIENT HELP.",
                     c->args.argv[1]);
        return;
    }
    if (c->args.argc == 4) {
        if (arg_is(c, 3, "timeout")) error = 0;
        else if (arg_is(c, 3, "error")) error = 1;
        else {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    long long id;
    if (!str_to_ll(c->args.argv[2], sbuf_len(c->args.argv[2]), &id)) {
        reply_err_notint(c);
        return;
    }
    session *t = dict_fetch(c->srv->clients_by_id, (void *)(uintptr_t)(uint64_t)id);
    if (!t || !block_unblock_client(t, error)) {
        reply_int(c, 0);
        return;
    }
    slowlog_push(t, NULL, 0, 0);
    reply_int(c, 1);
}

/* CLIENT REPLY ON|OFF|SKIP: OFF sends no replies until ON; SKIP drops the
 * next command's.  Over RESP only: a native request always gets its reply
 * (see session_reply_sync in session.h). */
void cmd_client_reply(session *c)
{
    if (!session_is_resp(c)) {
        reply_error(c, "ERR CLIENT REPLY is not supported over the native protocol");
        return;
    }
    if (arg_is(c, 2, "on")) {
        c->flags &= ~(uint32_t)(SESS_REPLY_OFF | SESS_REPLY_SKIP);
        session_reply_sync(c);
        reply_ok(c);
    } else if (arg_is(c, 2, "off")) {
        c->flags |= SESS_REPLY_OFF;
        session_reply_sync(c);
    } else if (arg_is(c, 2, "skip")) {
        if (!(c->flags & SESS_REPLY_OFF)) c->flags |= SESS_REPLY_SKIP_NEXT;
    } else {
        reply_err_syntax(c);
    }
}

/* CLIENT HELP: Redis 7.0's text, line for line (it names a few subcommands
 * Rill does not have yet: CACHING, GETREDIR, PAUSE, UNPAUSE, TRACKING,
 * TRACKINGINFO). */
void cmd_client_help(session *c)
{
    static const char *help[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    };
    long n = (long)(sizeof help / sizeof help[0]);
    reply_help(c, (const char *const *)help, (size_t)n);
}
