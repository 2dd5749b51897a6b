/* effect.h — every change to data leaves one deterministic effect.
 *
 * After a write command ran and changed something (server.dirty moved), the
 * dispatcher emits the command's effect: its own argv, or the argv the
 * handler chose with effect_rewrite (SET EX 10 becomes SET PXAT <ms>,
 * INCRBYFLOAT becomes SET KEEPTTL, EXPIRE becomes PEXPIREAT, ...).  A
 * handler that emits its effects itself calls effect_suppress.  Changes not
 * caused by a command (lazy and active expiry) call effect_emit directly.
 * Effects go to the registered sinks (the append log, later replicas) in
 * the order the core produced them; MULTI/EXEC brackets its effects with
 * effect_group_begin/end so a sink can make them one atomic record group.
 */
#ifndef RILL_EFFECT_H
#define RILL_EFFECT_H

#include "sbuf.h"

struct server;
struct session;

typedef struct effect_sink {
    /* emit receives one effect; argv stays the caller's. */
    void (*emit)(void *priv, int dbid, int argc, sbuf *argv);
    /* group marks the start (begin=1) or end (0) of an atomic group. */
    void (*group)(void *priv, int begin);
    void *priv;
    struct effect_sink *next;
} effect_sink;

void effect_register(struct server *s, effect_sink *sink);
void effect_unregister(struct server *s, effect_sink *sink);
void effect_emit(struct server *s, int dbid, int argc, sbuf *argv);
/* effect_emitv emits an effect given as C strings / byte strings (n pairs). */
void effect_emit_strs(struct server *s, int dbid, int argc, const char **argv, const size_t *lens);
void effect_group_begin(struct server *s);
void effect_group_end(struct server *s);

/* effect_rewrite makes the running command of c emit argv (copied) instead of its own. */
void effect_rewrite(struct session *c, int argc, const char **argv, const size_t *lens);
/* effect_suppress: the running command of c emits its effects itself. */
void effect_suppress(struct session *c);

#endif
