/* cmd_server.c — command handlers (stubs until implemented). */
#include "server.h"
#include "commands.h"

void cmd_info(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_dbsize(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_flushdb(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_flushall(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_swapdb(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_time(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_shutdown(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_debug(session *c) { reply_error(c, "ERR not implemented yet"); }
