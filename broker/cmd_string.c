/* cmd_string.c — command handlers (stubs until implemented). */
#include "server.h"
#include "commands.h"

void cmd_get(session *c)
{
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[1], 0);
    if (!o) { reply_null(c); return; }
    if (o->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    char buf[24]; size_t n;
    const char *p = obj_string_ptr(o, buf, &n);
    reply_bulk(c, p, n);
}
void cmd_set(session *c)
{
    obj *v = obj_new_string_sbuf(argv_take(&c->args, 2));
    db_set(c->srv, c->db, c->args.argv[1], v, 0);
    db_signal_modified(c->srv, c->db, c->args.argv[1]);
    c->srv->dirty++;
    reply_ok(c);
}
void cmd_setnx(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_setex(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_psetex(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_mget(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_mset(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_msetnx(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_getset(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_getdel(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_getex(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_append(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_strlen(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_getrange(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_setrange(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_incr(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_decr(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_incrby(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_decrby(session *c) { reply_error(c, "ERR not implemented yet"); }
void cmd_incrbyfloat(session *c) { reply_error(c, "ERR not implemented yet"); }
