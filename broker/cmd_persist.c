/* cmd_persist.c — SAVE BGSAVE LASTSAVE BGREWRITEAOF.
 *
 * The work is in broker/persist/persist.c (the background child) and
 * snapshot.c (the file); these handlers check what may start and answer
 * with Redis 7.0's replies.  BGREWRITEAOF with appendonly no is refused
 * (Redis would write a log nobody reads; decisions.md).
 */
#include "server.h"
#include "commands.h"
#include "persist.h"
#include "aof.h"

#include <strings.h>

/* SAVE */
void cmd_save(session *c)
{
    server *s = c->srv;
    if (persist_child_type(s) == PERSIST_CHILD_RDB) {
        reply_error(c, "ERR Background save already in progress");
        return;
    }
    if (persist_save(s) == 0) reply_ok(c);
    else reply_error(c, "ERR");
}

/* BGSAVE [SCHEDULE] */
void cmd_bgsave(session *c)
{
    server *s = c->srv;
    int schedule = 0;
    if (c->args.argc > 1) {
        if (c->args.argc == 2 && !strcasecmp(c->args.argv[1], "schedule")) {
            schedule = 1;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    int child = persist_child_type(s);
    if (child == PERSIST_CHILD_RDB) {
        reply_error(c, "ERR Background save already in progress");
    } else if (child != PERSIST_CHILD_NONE || s->in_exec) {
        if (schedule || s->in_exec) {
            persist_schedule_bgsave(s);
            reply_simple(c, "Background saving scheduled");
        } else {
            reply_error(c, "ERR Another child process is active (AOF?): can't BGSAVE right now. "
                           "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else if (persist_bgsave(s) == 0) {
        reply_simple(c, "Background saving started");
    } else {
        reply_error(c, "ERR");
    }
}

/* LASTSAVE */
void cmd_lastsave(session *c) { reply_int(c, (long long)c->srv->lastsave); }

/* BGREWRITEAOF */
void cmd_bgrewriteaof(session *c)
{
    server *s = c->srv;
    int child = persist_child_type(s);
    if (!aof_enabled(s)) {
        reply_error(c, "ERR The append only file is off (appendonly no): there is nothing to rewrite. "
                       "Use BGSAVE for a snapshot.");
    } else if (child == PERSIST_CHILD_AOF) {
        reply_error(c, "ERR Background append only file rewriting already in progress");
    } else if (child != PERSIST_CHILD_NONE || s->in_exec) {
        persist_schedule_rewrite(s);
        reply_simple(c, "Background append only file rewriting scheduled");
    } else if (persist_rewrite(s) == 0) {
        reply_simple(c, "Background append only file rewriting started");
    } else {
        reply_error(c, "ERR Can't execute an AOF background rewriting. Please check the server logs for more "
                       "information.");
    }
}
