/* effect.c — hand effects to the registered sinks. */
#include "effect.h"
#include "server.h"
#include "alloc.h"

#include <string.h>

void effect_register(server *s, effect_sink *sink)
{
    sink->next = s->sinks;
    s->sinks = sink;
}

void effect_unregister(server *s, effect_sink *sink)
{
    for (effect_sink **pp = &s->sinks; *pp; pp = &(*pp)->next)
        if (*pp == sink) {
            *pp = sink->next;
            return;
        }
}

void effect_emit(server *s, int dbid, int argc, sbuf *argv)
{
    s->stat.effects++;
    for (effect_sink *k = s->sinks; k; k = k->next) k->emit(k->priv, dbid, argc, argv);
}

void effect_emit_strs(server *s, int dbid, int argc, const char **argv, const size_t *lens)
{
    if (!s->sinks) {
        s->stat.effects++;
        return;
    }
    argv_t a;
    argv_init(&a);
    for (int i = 0; i < argc; i++) argv_push(&a, argv[i], lens ? lens[i] : strlen(argv[i]));
    effect_emit(s, dbid, a.argc, a.argv);
    argv_free(&a);
}

void effect_group_begin(server *s)
{
    for (effect_sink *k = s->sinks; k; k = k->next)
        if (k->group) k->group(k->priv, 1);
}

void effect_group_end(server *s)
{
    for (effect_sink *k = s->sinks; k; k = k->next)
        if (k->group) k->group(k->priv, 0);
}

void effect_rewrite(session *c, int argc, const char **argv, const size_t *lens)
{
    argv_reset(&c->eff);
    for (int i = 0; i < argc; i++) argv_push(&c->eff, argv[i], lens ? lens[i] : strlen(argv[i]));
    c->eff_mode = 1;
}

void effect_suppress(session *c) { c->eff_mode = 2; }
