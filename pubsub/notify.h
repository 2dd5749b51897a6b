/* notify.h — keyspace and keyevent notifications (notify-keyspace-events).
 *
 * A command that changed a key calls notify_keyspace_event after the change,
 * once per event, with Redis's event name and class:
 *
 *     notify_keyspace_event(c->srv, NOTIFY_LIST, "lpush", key, c->dbid);
 *
 * If the class is enabled by notify-keyspace-events (and K and/or E is set),
 * the server publishes "__keyspace@<db>__:<key>" with the event name as the
 * message, and/or "__keyevent@<db>__:<event>" with the key as the message,
 * through the ordinary pub/sub path (subscribers and patterns both).
 * Two classes come from the keyspace itself (broker/keyspace/db.c), not from
 * commands: "new" (n) whenever db_add adds a key, before the command's own
 * event, and "keymiss" (m) whenever a read lookup finds nothing (write
 * lookups, and reads flagged LOOKUP_NONOTIFY such as OBJECT's, stay
 * silent), as Redis 7.0 emits them; "A" includes neither.
 * Cheap when notifications are off: one flag test, no allocation.
 * The key is an sbuf or any byte string; pass its length with
 * notify_keyspace_event_len when it is not an sbuf.
 */
#ifndef RILL_NOTIFY_H
#define RILL_NOTIFY_H

#include <stddef.h>

struct server;

/* Event classes: Redis's flag letters in parentheses. */
enum {
    NOTIFY_KEYSPACE = 1 << 0,   /* K */
    NOTIFY_KEYEVENT = 1 << 1,   /* E */
    NOTIFY_GENERIC = 1 << 2,    /* g: del, expire, rename, ... */
    NOTIFY_STRING = 1 << 3,     /* $ */
    NOTIFY_LIST = 1 << 4,       /* l */
    NOTIFY_SET = 1 << 5,        /* s */
    NOTIFY_HASH = 1 << 6,       /* h */
    NOTIFY_ZSET = 1 << 7,       /* z */
    NOTIFY_EXPIRED = 1 << 8,    /* x */
    NOTIFY_EVICTED = 1 << 9,    /* e */
    NOTIFY_STREAM = 1 << 10,    /* t */
    NOTIFY_KEY_MISS = 1 << 11,  /* m (not part of A) */
    NOTIFY_LOADED = 1 << 12,    /* module only, never set by flags */
    NOTIFY_MODULE = 1 << 13,    /* d */
    NOTIFY_NEW = 1 << 14,       /* n (not part of A) */
    NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET |
                 NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE,   /* A */
};

/* notify_flags_parse turns a flag string ("KEA", "Elg$") into class bits;
 * returns -1 on an unknown letter. */
int notify_flags_parse(const char *s, size_t n);
/* notify_flags_string writes the canonical string for flags into out (>= 32
 * bytes), the way CONFIG GET shows it ("AKE" for all). */
void notify_flags_string(int flags, char *out);

/* notify_keyspace_event publishes the notifications for one event on key
 * (an sbuf) in db dbid, if type is enabled.  Never fails; no-op when off. */
void notify_keyspace_event(struct server *s, int type, const char *event, const char *key, int dbid);
/* notify_keyspace_event_len is the same for a key that is not an sbuf. */
void notify_keyspace_event_len(struct server *s, int type, const char *event, const char *key, size_t keylen,
                               int dbid);

#endif
