/* cmd_multi.c — command handlers (stubs until implemented). */
#include "server.h"
#include "commands.h"

void cmd_multi(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_exec(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_discard(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_watch(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_unwatch(session *c) { reply_error(c, "ERR not implemented yet"); }

#include "multi.h"
void multi_queue(session *c) { reply_error(c, "ERR not implemented yet"); }
void multi_flag_error(session *c) { if (c->flags & SESS_MULTI) c->flags |= SESS_DIRTY_EXEC; }
void multi_session_cleanup(session *c) {}
void multi_discard(session *c) {}
void multi_unwatch_all(session *c) {}
void multi_touch_key(server *s, db *d, const char *key) {}
void multi_touch_db(server *s, db *d) {}
