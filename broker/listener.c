/* listener.c — the registry of front ends: one line per listener. */
#include "listener.h"
#include "server.h"
#include "alloc.h"

/* The native listener opens first: clients (and the test harness) take an
 * answering RESP port as "the server is up", so every other front end must
 * already be listening by then. */
static const listener_ops *registry[] = {
    &native_listener_ops,
    &resp_listener_ops,
};

#define NREG ((int)(sizeof registry / sizeof registry[0]))

int listeners_open(server *s)
{
    s->listeners = xcalloc(NREG, sizeof(listener));
    for (int i = 0; i < NREG; i++) {
        if (!registry[i]->open || !registry[i]->close) return -1;  /* required ops */
        s->listeners[i].ops = registry[i];
        if (registry[i]->open(s, &s->listeners[i].state) != 0) return -1;
        s->nlisteners++;
    }
    return 0;
}

void listeners_close(server *s)
{
    for (int i = 0; i < s->nlisteners; i++)
        s->listeners[i].ops->close(s, s->listeners[i].state);
    xfree(s->listeners);
    s->listeners = NULL;
    s->nlisteners = 0;
}
