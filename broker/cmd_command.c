/* cmd_command.c — command handlers (stubs until implemented). */
#include "server.h"
#include "commands.h"

void cmd_command(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_command_count(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_command_info(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_command_docs(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_command_list(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_command_getkeys(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_command_help(session *c) { reply_error(c, "ERR not implemented yet"); }
