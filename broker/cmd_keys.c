/* cmd_keys.c — command handlers (stubs until implemented). */
#include "server.h"
#include "commands.h"

void cmd_del(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_unlink(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_exists(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_type(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_keys(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_scan(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_rename(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_renamenx(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_randomkey(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_move(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_copy(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_touch(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_object_encoding(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_object_freq(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_object_idletime(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_object_refcount(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_object_help(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_expire(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_pexpire(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_expireat(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_pexpireat(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_ttl(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_pttl(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_expiretime(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_pexpiretime(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_persist(session *c) { reply_error(c, "ERR not implemented yet"); }
