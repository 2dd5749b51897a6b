/* cmd_config.c — command handlers (stubs until implemented). */
#include "server.h"
#include "commands.h"

void cmd_config_get(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_config_set(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_config_resetstat(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_config_rewrite(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_config_help(session *c) { reply_error(c, "ERR not implemented yet"); }
