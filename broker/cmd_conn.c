/* cmd_conn.c — command handlers (stubs until implemented). */
#include "server.h"
#include "commands.h"

void cmd_ping(session *c)
{
    if (c->args.argc > 2) { reply_err_arity(c); return; }
    if (c->args.argc == 2) reply_bulk_sbuf(c, c->args.argv[1]);
    else reply_simple(c, "PONG");
}
void cmd_echo(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_hello(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_auth(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_select(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_quit(session *c)
{
    reply_ok(c);
    c->flags |= SESS_CLOSE_AFTER_REPLY;
}
void cmd_reset(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_id(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_setname(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_getname(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_list(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_info(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_kill(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_setinfo(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_noevict(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_client_help(session *c) { reply_error(c, "ERR not implemented yet"); }
