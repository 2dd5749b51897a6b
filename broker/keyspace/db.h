/* db.h — logical databases: the key table, expiry, lookups, watched keys.
 *
 * Each db has a dict from key (sbuf, owned by keys) to obj, and an expiry
 * dict whose keys are the *same* sbuf pointers (owned by keys; expires
 * frees nothing of them) mapped to an absolute unix time in ms.
 *
 * Lookups for read and for write apply lazy expiry: a key whose time has
 * come is deleted (emitting its DEL effect and expired event) and looked
 * up as absent.  Every change to a key must end with db_signal_modified so
 * WATCHers are invalidated and (later) blocked clients woken.
 */
#ifndef RILL_DB_H
#define RILL_DB_H

#include <stdint.h>
#include "dict.h"
#include "object.h"

struct server;

typedef struct db {
    int id;
    dict *keys;
    dict *expires;
    dict *watched;            /* key -> list of sessions WATCHing it (see cmd_multi.c) */
    dict *blocking;           /* key -> waiters (later issues) */
    long long avg_ttl;
    unsigned long expire_cursor;
} db;

void db_init(db *d, int id);
void db_free(db *d);

/* Lookup flags */
enum { LOOKUP_NONE = 0, LOOKUP_NOTOUCH = 1, LOOKUP_NOSTATS = 2, LOOKUP_NOEXPIRE = 4, LOOKUP_NONOTIFY = 8 };

/* db_lookup_read: a miss (absent or just expired) emits the "keymiss" event
 * (class m) unless LOOKUP_NONOTIFY, as Redis's read lookups do; write
 * lookups never do.  db_add emits "new" (class n). */
obj *db_lookup_read(struct server *s, db *d, const char *key, int flags);
obj *db_lookup_write(struct server *s, db *d, const char *key);
/* db_exists: like lookup for read without touching stats or LRU. */
int db_exists(struct server *s, db *d, const char *key);

/* db_add adds a new key (copying the key bytes); the key must not exist. Takes val. */
void db_add(struct server *s, db *d, const char *key, obj *val);
/* db_overwrite replaces the value of an existing key, keeping its expiry. Takes val. */
void db_overwrite(struct server *s, db *d, const char *key, obj *val);
/* db_set adds or overwrites; keepttl=0 removes any expiry (as SET does). Takes val. */
void db_set(struct server *s, db *d, const char *key, obj *val, int keepttl);
/* db_delete removes a key; returns 1 if it existed. */
int db_delete(struct server *s, db *d, const char *key);
/* db_delete_async is db_delete, except that a collection value no one else
 * references is freed on the background thread (UNLINK); 1 if it existed. */
int db_delete_async(struct server *s, db *d, const char *key);
/* db_unlink_value removes a key and returns its value (caller decrefs, maybe lazily). */
obj *db_take(struct server *s, db *d, const char *key);

void db_set_expire(struct server *s, db *d, const char *key, long long when_ms);
/* db_get_expire returns the absolute expiry in ms, or -1. */
long long db_get_expire(db *d, const char *key);
int db_remove_expire(db *d, const char *key);
/* db_key_is_expired: 1 if the key has an expiry in the past (by the server's command time). */
int db_key_is_expired(struct server *s, db *d, const char *key);
/* db_expire_if_needed deletes key if expired; returns 1 if it did. */
int db_expire_if_needed(struct server *s, db *d, const char *key);

/* db_signal_modified: a key changed (invalidate WATCH, wake blockers). */
void db_signal_modified(struct server *s, db *d, const char *key);
/* db_empty removes all keys; returns how many; async frees off-thread when big. */
long long db_empty(struct server *s, db *d, int async);

/* db_random_key returns a random non-expired key (an sbuf owned by the db) or NULL. */
const char *db_random_key(struct server *s, db *d);

/* db_active_expire runs the active expiry cycle over all dbs for at most
 * budget_us microseconds; returns keys expired. */
long long db_active_expire(struct server *s, long long budget_us);

/* db_rehash_step helps rehash the dicts for ~1 ms; returns 1 if it did work. */
int db_rehash_step(db *d);

#endif
