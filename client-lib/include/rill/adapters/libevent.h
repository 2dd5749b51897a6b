/* rill/adapters/libevent.h — run a rill_async client inside a libevent loop.
 *
 * Header-only: include it after <event2/event.h> in a program that links
 * libevent; librill itself does not depend on libevent.  The adapter
 * watches rill_async_fd with a persistent read event and calls
 * rill_async_process when it fires, so every callback runs on the loop's
 * thread.
 *
 *     struct event_base *base = event_base_new();
 *     rill_async *ac;
 *     rill_async_connect(url, NULL, &ac);
 *     struct event *ev = rill_libevent_attach(ac, base);
 *     ... rill_async_command(ac, cb, arg, ...); event_base_dispatch(base);
 *     rill_libevent_detach(ev);     (before rill_async_close)
 *     rill_async_close(ac);
 */
#ifndef RILL_ADAPTERS_LIBEVENT_H
#define RILL_ADAPTERS_LIBEVENT_H

#include <event2/event.h>
#include <rill/rill_async.h>

static void rill_libevent_on_ready(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rill_async_process((rill_async *)arg);
}

/* rill_libevent_attach registers ac with base.  Returns the event (free it
 * with rill_libevent_detach before closing ac), or NULL on failure. */
static inline struct event *rill_libevent_attach(rill_async *ac, struct event_base *base)
{
    struct event *ev = event_new(base, rill_async_fd(ac), EV_READ | EV_PERSIST, rill_libevent_on_ready, ac);
    if (ev && event_add(ev, NULL) != 0) {
        event_free(ev);
        return NULL;
    }
    return ev;
}

/* rill_libevent_detach removes and frees the event (NULL is fine). */
static inline void rill_libevent_detach(struct event *ev)
{
    if (ev) event_free(ev);
}

#endif
