/* db.c — logical databases: keys, expiry (lazy and active), lazy freeing.
 *
 * Ownership: db->keys owns each key sbuf (freed through its type) and one
 * reference to each value.  db->expires maps the very same key pointers to
 * times and frees neither; so a key leaves expires before it leaves keys.
 */
#include "db.h"
#include "server.h"
#include "alloc.h"
#include "effect.h"
#include "multi.h"

#include <pthread.h>
#include <string.h>

static const dict_type keys_type = {
    .hash = dict_sbuf_hash,
    .key_equal = dict_sbuf_equal,
    .key_free = dict_sbuf_free,
    .val_free = obj_free_void,
};

static const dict_type expires_type = {
    .hash = dict_sbuf_hash,
    .key_equal = dict_sbuf_equal,
};

static const dict_type watched_type = {
    .hash = dict_sbuf_hash,
    .key_equal = dict_sbuf_equal,
    .key_free = dict_sbuf_free,
};

void db_init(db *d, int id)
{
    memset(d, 0, sizeof *d);
    d->id = id;
    d->keys = dict_create(&keys_type);
    d->expires = dict_create(&expires_type);
    d->watched = dict_create(&watched_type);
}

void db_free(db *d)
{
    dict_release(d->expires);
    dict_release(d->keys);
    dict_release(d->watched);
    if (d->blocking) dict_release(d->blocking);
}

/* ---- lazy free: a background thread releases detached dicts ------------ */

struct bgfree_job {
    dict *keys, *expires;
    struct bgfree_job *next;
};

static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;
static struct bgfree_job *bg_head;
static int bg_started;

static void *bgfree_main(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&bg_lock);
        while (!bg_head) pthread_cond_wait(&bg_cond, &bg_lock);
        struct bgfree_job *j = bg_head;
        bg_head = j->next;
        pthread_mutex_unlock(&bg_lock);
        dict_release(j->expires);
        dict_release(j->keys);
        xfree(j);
    }
    return NULL;
}

static void bgfree_submit(dict *keys, dict *expires)
{
    struct bgfree_job *j = xmalloc(sizeof *j);
    j->keys = keys;
    j->expires = expires;
    pthread_mutex_lock(&bg_lock);
    if (!bg_started) {
        pthread_t t;
        if (pthread_create(&t, NULL, bgfree_main, NULL) != 0) {
            pthread_mutex_unlock(&bg_lock);
            dict_release(expires);
            dict_release(keys);
            xfree(j);
            return;
        }
        pthread_detach(t);
        bg_started = 1;
    }
    j->next = bg_head;
    bg_head = j;
    pthread_cond_signal(&bg_cond);
    pthread_mutex_unlock(&bg_lock);
}

/* ---- expiry ----------------------------------------------------------- */

long long db_get_expire(db *d, const char *key)
{
    if (dict_size(d->expires) == 0) return -1;
    dict_entry *e = dict_find(d->expires, key);
    return e ? e->v.s64 : -1;
}

int db_key_is_expired(server *s, db *d, const char *key)
{
    if (s->loading) return 0;
    long long when = db_get_expire(d, key);
    return when >= 0 && when <= s->mstime;
}

static void delete_expired(server *s, db *d, const char *key)
{
    size_t len = sbuf_len(key);
    char buf[256];
    char *copy = len < sizeof buf ? buf : xmalloc(len + 1);
    memcpy(copy, key, len);
    copy[len] = '\0';
    db_signal_modified(s, d, key);
    db_delete(s, d, key);
    s->stat.expiredkeys++;
    const char *argv[2] = {"DEL", copy};
    size_t lens[2] = {3, len};
    effect_emit_strs(s, d->id, 2, argv, lens);
    if (copy != buf) xfree(copy);
}

int db_expire_if_needed(server *s, db *d, const char *key)
{
    if (!db_key_is_expired(s, d, key)) return 0;
    delete_expired(s, d, key);
    return 1;
}

void db_set_expire(server *s, db *d, const char *key, long long when)
{
    dict_entry *ke = dict_find(d->keys, key);
    if (!ke) return;
    dict_entry *existing;
    dict_entry *e = dict_add_raw(d->expires, ke->key, &existing);
    if (!e) e = existing;
    e->v.s64 = when;
}

int db_remove_expire(db *d, const char *key)
{
    return dict_delete(d->expires, key) == 0;
}

/* ---- lookups ---------------------------------------------------------- */

obj *db_lookup_read(server *s, db *d, const char *key, int flags)
{
    if (!(flags & LOOKUP_NOEXPIRE) && dict_size(d->expires) && db_expire_if_needed(s, d, key)) {
        if (!(flags & LOOKUP_NOSTATS)) s->stat.keyspace_misses++;
        return NULL;
    }
    dict_entry *e = dict_find(d->keys, key);
    if (!e) {
        if (!(flags & LOOKUP_NOSTATS)) s->stat.keyspace_misses++;
        return NULL;
    }
    obj *o = e->v.val;
    if (!(flags & LOOKUP_NOSTATS)) s->stat.keyspace_hits++;
    if (!(flags & LOOKUP_NOTOUCH) && o->refcount != OBJ_SHARED_REFCOUNT) o->lru = obj_lru_clock;
    return o;
}

obj *db_lookup_write(server *s, db *d, const char *key)
{
    if (dict_size(d->expires)) db_expire_if_needed(s, d, key);
    dict_entry *e = dict_find(d->keys, key);
    if (!e) return NULL;
    obj *o = e->v.val;
    if (o->refcount != OBJ_SHARED_REFCOUNT) o->lru = obj_lru_clock;
    return o;
}

int db_exists(server *s, db *d, const char *key)
{
    return db_lookup_read(s, d, key, LOOKUP_NOTOUCH | LOOKUP_NOSTATS) != NULL;
}

void db_add(server *s, db *d, const char *key, obj *val)
{
    sbuf k = sbuf_new(key, sbuf_len(key));
    dict_add(d->keys, k, val);
}

void db_overwrite(server *s, db *d, const char *key, obj *val)
{
    dict_entry *e = dict_find(d->keys, key);
    if (!e) {
        db_add(s, d, key, val);
        return;
    }
    obj *old = e->v.val;
    e->v.val = val;
    obj_decref(old);
}

void db_set(server *s, db *d, const char *key, obj *val, int keepttl)
{
    dict_entry *existing = NULL;
    dict_entry *e = dict_find(d->keys, key);
    if (e) {
        existing = e;
        obj *old = existing->v.val;
        existing->v.val = val;
        obj_decref(old);
        if (!keepttl && dict_size(d->expires)) dict_delete(d->expires, key);
        return;
    }
    db_add(s, d, key, val);
}

int db_delete(server *s, db *d, const char *key)
{
    if (dict_size(d->expires)) dict_delete(d->expires, key);
    return dict_delete(d->keys, key) == 0;
}

obj *db_take(server *s, db *d, const char *key)
{
    if (dict_size(d->expires)) dict_delete(d->expires, key);
    dict_entry *e = dict_unlink(d->keys, key);
    if (!e) return NULL;
    obj *o = e->v.val;
    e->v.val = NULL;               /* val_free(NULL) is a no-op */
    dict_free_unlinked(d->keys, e);
    return o;
}

void db_signal_modified(server *s, db *d, const char *key)
{
    if (dict_size(d->watched)) multi_touch_key(s, d, key);
}

long long db_empty(server *s, db *d, int async)
{
    long long n = (long long)dict_size(d->keys);
    if (async && n > 64) {
        bgfree_submit(d->keys, d->expires);
        d->keys = dict_create(&keys_type);
        d->expires = dict_create(&expires_type);
    } else {
        dict_clear(d->expires, NULL);
        dict_clear(d->keys, NULL);
    }
    d->avg_ttl = 0;
    d->expire_cursor = 0;
    return n;
}

const char *db_random_key(server *s, db *d)
{
    int tries = 0;
    for (;;) {
        dict_entry *e = dict_random_entry(d->keys);
        if (!e) return NULL;
        if (!db_key_is_expired(s, d, e->key)) return e->key;
        /* All keys could be expired: after many tries return it anyway (as Redis). */
        if (++tries > 100 && dict_size(d->keys) == dict_size(d->expires)) return e->key;
        db_expire_if_needed(s, d, e->key);
    }
}

/* ---- active expiry ---------------------------------------------------- */

struct expire_batch {
    server *s;
    const char *keys[64];
    int n, checked;
};

static void expire_scan_cb(void *priv, const dict_entry *e)
{
    struct expire_batch *b = priv;
    b->checked++;
    if (e->v.s64 <= b->s->mstime && b->n < 64) b->keys[b->n++] = e->key;
}

long long db_active_expire(server *s, long long budget_us)
{
    static int next_db;
    long long start = ustime_now(), expired = 0;
    server_update_time(s);
    for (int k = 0; k < s->ndb; k++) {
        db *d = &s->dbs[(next_db + k) % s->ndb];
        if (dict_size(d->expires) == 0) continue;
        for (;;) {
            struct expire_batch b = {.s = s};
            int iterations = 0;
            do {
                d->expire_cursor = dict_scan(d->expires, d->expire_cursor, expire_scan_cb, &b);
            } while (d->expire_cursor && b.checked < 20 && ++iterations < 400);
            for (int i = 0; i < b.n; i++) {
                /* keys[i] is owned by the db: copy before deleting. */
                sbuf key = sbuf_dup(b.keys[i]);
                delete_expired(s, d, key);
                sbuf_free(key);
            }
            expired += b.n;
            if (ustime_now() - start > budget_us) {
                next_db = (int)(d - s->dbs);
                return expired;
            }
            /* Few expired in this sample: this db is clean enough for now. */
            if (b.checked == 0 || b.n * 10 < b.checked || d->expire_cursor == 0) break;
        }
    }
    next_db = (next_db + 1) % s->ndb;
    return expired;
}

int db_rehash_step(db *d)
{
    int did = 0;
    if (dict_is_rehashing(d->keys)) {
        dict_rehash_ms(d->keys, 1);
        did = 1;
    }
    if (dict_is_rehashing(d->expires)) {
        dict_rehash_ms(d->expires, 1);
        did = 1;
    }
    if (!did) {
        dict_shrink_if_needed(d->keys);
        dict_shrink_if_needed(d->expires);
    }
    return did;
}
