/* listener.h — front ends that accept clients, as ops tables.
 *
 * Each front end (RESP over TCP and unix sockets; later the native NNG
 * listener) fills one listener_ops and is registered in listener.c's table.
 * open() starts listening per the server's config and returns 0 or -1
 * (logged, with the address); close() stops accepting and releases the
 * sockets; it leaves existing sessions alone.
 */
#ifndef RILL_LISTENER_H
#define RILL_LISTENER_H

struct server;

typedef struct listener_ops {
    const char *name;
    int (*open)(struct server *s, void **state);
    void (*close)(struct server *s, void *state);
} listener_ops;

typedef struct listener {
    const listener_ops *ops;
    void *state;
} listener;

/* listeners_open opens every registered front end; 0, or -1 if any failed. */
int listeners_open(struct server *s);
void listeners_close(struct server *s);

extern const listener_ops resp_listener_ops;
extern const listener_ops native_listener_ops;   /* native/native_listener.c */

#endif
