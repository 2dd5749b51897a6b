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
#include "blocking.h"
#include "notify.h"

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
    dict *keys, *expires;          /* a whole detached db (db_empty), or */
    obj *val;                      /* one detached value (db_delete_async) */
    struct bgfree_job *next;
};

static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;
static struct bgfree_job *bg_head;
static int bg_started;

static void bgfree_run(struct bgfree_job *j)
{
    if (j->expires) dict_release(j->expires);
    if (j->keys) dict_release(j->keys);
    if (j->val) obj_decref(j->val);
    xfree(j);
}

static void *bgfree_main(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&bg_lock);
        while (!bg_head) pthread_cond_wait(&bg_cond, &bg_lock);
        struct bgfree_job *j = bg_head;
        bg_head = j->next;
        pthread_mutex_unlock(&bg_lock);
        bgfree_run(j);
    }
    return NULL;
}

/* bgfree_submit hands j to the background thread (or frees it here if the
 * thread cannot be started). */
static void bgfree_submit(struct bgfree_job *j)
{
    pthread_mutex_lock(&bg_lock);
    if (!bg_started) {
        pthread_t t;
        if (pthread_create(&t, NULL, bgfree_main, NULL) != 0) {
            pthread_mutex_unlock(&bg_lock);
            bgfree_run(j);
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

static void bgfree_dicts(dict *keys, dict *expires)
{
    struct bgfree_job *j = xcalloc(1, sizeof *j);
    j->keys = keys;
    j->expires = expires;
    bgfree_submit(j);
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
    /* As Redis's keyIsExpired (now > when): at its deadline's own
     * millisecond a key is still there, PTTL 0. */
    return when >= 0 && when < s->mstime;
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
    notify_keyspace_event_len(s, NOTIFY_EXPIRED, "expired", copy, len, d->id);
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
    if (!(flags & LOOKUP_NOEXPIRE) && dict_size(d->expires) && db_key_is_expired(s, d, key)) {
        /* key may be the db's own copy (SCAN TYPE), freed by the expiry. */
        int tell = !(flags & LOOKUP_NONOTIFY) && (s->cfg.notify_keyspace_events & NOTIFY_KEY_MISS);
        sbuf k = tell ? sbuf_new(key, sbuf_len(key)) : NULL;
        db_expire_if_needed(s, d, key);
        if (!(flags & LOOKUP_NOSTATS)) s->stat.keyspace_misses++;
        if (k) notify_keyspace_event(s, NOTIFY_KEY_MISS, "keymiss", k, d->id);
        sbuf_free(k);
        return NULL;
    }
    dict_entry *e = dict_find(d->keys, key);
    if (!e) {
        if (!(flags & LOOKUP_NOSTATS)) s->stat.keyspace_misses++;
        if (!(flags & LOOKUP_NONOTIFY)) notify_keyspace_event(s, NOTIFY_KEY_MISS, "keymiss", key, d->id);
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
    return db_lookup_read(s, d, key, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY) != NULL;
}

void db_add(server *s, db *d, const char *key, obj *val)
{
    sbuf k = sbuf_new(key, sbuf_len(key));
    dict_add(d->keys, k, val);
    notify_keyspace_event(s, NOTIFY_NEW, "new", k, d->id);
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

int db_delete_async(server *s, db *d, const char *key)
{
    obj *o = db_take(s, d, key);
    if (!o) return 0;
    /* A string is one free() whatever its size; a collection is a walk over
     * every element, so unless someone else holds a reference, the walk
     * happens on the background thread. */
    if (o->type != OBJ_STRING && o->refcount == 1) {
        struct bgfree_job *j = xcalloc(1, sizeof *j);
        j->val = o;
        bgfree_submit(j);
    } else {
        obj_decref(o);
    }
    return 1;
}

void db_signal_modified(server *s, db *d, const char *key)
{
    if (dict_size(d->watched)) multi_touch_key(s, d, key);
    if (d->blocking) block_signal_key_ready(s, d, key);
}

long long db_empty(server *s, db *d, int async)
{
    long long n = (long long)dict_size(d->keys);
    if (async && n > 64) {
        bgfree_dicts(d->keys, d->expires);
        d->keys = dict_create(&keys_type);
        d->expires = dict_create(&expires_type);
    } else {
        dict_clear(d->expires, NULL);
        dict_clear(d->keys, NULL);
    }
    d->avg_ttl = 0;
    d->expire_cursor = 0;
    if (n) block_signal_all_keys(s, d);   /* blocked XREADGROUP readers get UNBLOCKED */
    return n;
}

const char *db_random_key(server *s, db *d)
{
    /* As Redis on a master: an expired pick is deleted and another is
     * drawn, so the loop ends (each turn removes a key) and never returns a
     * key that is logically gone. */
    for (;;) {
        dict_entry *e = dict_random_entry(d->keys);
        if (!e) return NULL;
        if (!db_key_is_expired(s, d, e->key)) return e->key;
        delete_expired(s, d, e->key);
    }
}

/* ---- active expiry ----------------------------------------------------
 *
 * Lazy expiry alone would keep every key that is never touched again, so
 * the cron also walks each db's expires dict with a persistent dict_scan
 * cursor (d->expire_cursor), one "round" of about EXPIRE_ROUND_CHECKS
 * entries at a time, and deletes what is due.
 *
 * Cost when nothing is due: one round per db that has volatile keys, then
 * on to the next db, since fewer than EXPIRE_STALE_PCT percent of the round
 * was stale.  Dbs without volatile keys cost one size test.
 *
 * Cost when much is due: rounds continue in the same db while at least
 * EXPIRE_STALE_PCT percent of each round was stale, and the clock is read
 * after every round, so a call never runs more than budget_us plus one
 * round (a few dozen deletions, or one dict_scan call over a sparse table
 * being shrunk).
 *
 * The cursor visits every entry present for the whole walk, even across
 * rehashes, so nothing due can hide from the cycle; an entry may be visited
 * twice, which is harmless.  Due keys are collected during the scan and
 * deleted after it, since deleting from the keys dict frees the very key
 * the expires entry points at.
 */
#define EXPIRE_ROUND_CHECKS 20       /* entries looked at per round */
#define EXPIRE_ROUND_MAX_BUCKETS 400 /* buckets visited per round (sparse tables) */
#define EXPIRE_STALE_PCT 10          /* a db is left once a round finds fewer due */

struct expire_round {
    long long now;
    const char **due;
    size_t ndue, cap;
    const char *inline_due[64];
    long checked;
    long long ttl_sum;
    long ttl_n;
};

static void expire_round_cb(void *priv, const dict_entry *e)
{
    struct expire_round *r = priv;
    r->checked++;
    if (e->v.s64 < r->now) {            /* as activeExpireCycleTryExpire: now > when */
        if (r->ndue == r->cap) {
            size_t cap = r->cap * 2;
            if (r->due == r->inline_due) {
                r->due = xmalloc(cap * sizeof *r->due);
                memcpy(r->due, r->inline_due, r->ndue * sizeof *r->due);
            } else {
                r->due = xrealloc(r->due, cap * sizeof *r->due);
            }
            r->cap = cap;
        }
        r->due[r->ndue++] = e->key;
    } else {
        r->ttl_sum += e->v.s64 - r->now;
        r->ttl_n++;
    }
}

/* expire_round scans one round of d's expires and deletes what is due;
 * returns the number deleted, and the number looked at in *checked. */
static long expire_round(server *s, db *d, long *checked)
{
    struct expire_round r;
    r.now = s->mstime;
    r.due = r.inline_due;
    r.ndue = 0;
    r.cap = sizeof r.inline_due / sizeof r.inline_due[0];
    r.checked = 0;
    r.ttl_sum = 0;
    r.ttl_n = 0;
    /* One dict_scan call visits one bucket, or while rehashing one bucket
     * of the small table and all its expansions in the large one: after a
     * mass expiry a shrink can make that thousands of empty buckets, so the
     * round is bounded by buckets visited, not calls. */
    size_t per_call = 1, visited = 0;
    if (dict_is_rehashing(d->expires)) {
        size_t a = d->expires->size[0], b = d->expires->size[1];
        per_call += (a > b ? a / b : b / a);
    }
    do {
        d->expire_cursor = dict_scan(d->expires, d->expire_cursor, expire_round_cb, &r);
        visited += per_call;
    } while (d->expire_cursor && r.checked < EXPIRE_ROUND_CHECKS && visited < EXPIRE_ROUND_MAX_BUCKETS);

    for (size_t i = 0; i < r.ndue; i++) delete_expired(s, d, r.due[i]);
    if (r.due != r.inline_due) xfree(r.due);

    /* A running average of the TTLs seen, for INFO keyspace (avg_ttl). */
    if (r.ttl_n) {
        long long avg = r.ttl_sum / r.ttl_n;
        d->avg_ttl = d->avg_ttl == 0 ? avg : (d->avg_ttl / 50) * 49 + avg / 50;
    }
    if (dict_size(d->expires) == 0) d->avg_ttl = 0;
    *checked = r.checked;
    return (long)r.ndue;
}

long long db_active_expire(server *s, long long budget_us)
{
    if (s->loading || s->ndb <= 0) return 0;
    long long start = ustime_now(), expired = 0;
    int timed_out = 0;
    server_update_time(s);
    /* Start at a different db each call, so a db with a large backlog that
     * eats every budget cannot starve the ones after it. */
    int first = (int)(s->cronloops % (uint64_t)s->ndb);
    for (int k = 0; k < s->ndb && !timed_out; k++) {
        db *d = &s->dbs[(first + k) % s->ndb];
        while (dict_size(d->expires)) {
            long checked;
            long n = expire_round(s, d, &checked);
            expired += n;
            if (ustime_now() - start >= budget_us) {
                timed_out = 1;
                break;
            }
            /* Few due in this round, or a full pass ended: done with d. */
            if (checked == 0 || n * 100 < checked * EXPIRE_STALE_PCT || d->expire_cursor == 0) break;
        }
    }
    return expired;
}

/* db_rehash_step moves buckets of whichever of d's dicts are rehashing for
 * about 1 ms in all (timed in us: a ms clock can let it run 2 ms per dict);
 * when neither is, it starts a shrink of any that became mostly empty. */
int db_rehash_step(db *d)
{
    dict *ds[2] = {d->keys, d->expires};
    long long start = ustime_now();
    int did = 0;
    for (int i = 0; i < 2; i++) {
        if (!dict_is_rehashing(ds[i])) continue;
        did = 1;
        while (dict_rehash(ds[i], 100) && ustime_now() - start < 1000) {}
    }
    if (!did) {
        dict_shrink_if_needed(d->keys);
        dict_shrink_if_needed(d->expires);
    }
    return did;
}
