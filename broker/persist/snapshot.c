/* snapshot.c — writing, checking and loading snapshot files (snapshot.h).
 *
 * The writer walks every database with an unsafe dict iterator (nothing
 * changes the keyspace meanwhile: it runs in a forked child, or on the
 * core thread for SAVE) and asks each value's type for the commands that
 * recreate it (obj_type.rewrite).  Records are encoded into one buffer
 * written out every SNAP_FLUSH bytes; the CRC-32C of everything written
 * is kept as it goes and ends up in the trailer.
 *
 * The loader first checks the whole file without running anything
 * (snapshot_verify: header, record framing to the very end, trailer last,
 * whole-file CRC), so a damaged file is refused before any key is loaded;
 * then it replays the records as the append log does (aof_load.c).
 */
#include "snapshot.h"
#include "aof_format.h"
#include "aof_internal.h"
#include "crc32c.h"
#include "server.h"
#include "alloc.h"
#include "log.h"
#include "info.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SNAP_FLUSH (256u * 1024)

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- checking ------------------------------------------------------------ */

int snapshot_is_snapshot(const uint8_t *p, size_t n)
{
    return n >= 8 && !memcmp(p, SNAP_MAGIC, 8);
}

static int bad(snap_check *res, size_t off, const char *why)
{
    res->ok = 0;
    res->bad_off = off;
    snprintf(res->why, sizeof res->why, "%s", why);
    return -1;
}

/* parse_sizes reads a version 2 trailer's "<db>:<keys>:<expires>"; 0 or -1. */
static int parse_sizes(const ProtobufCBinaryData *a, long long *dbid, long long *keys, long long *expires)
{
    char buf[72];
    if (a->len == 0 || a->len >= sizeof buf) return -1;
    memcpy(buf, a->data, a->len);
    buf[a->len] = '\0';
    char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) return -1;
    *c1 = *c2 = '\0';
    if (!str_to_ll(buf, (size_t)(c1 - buf), dbid) || !str_to_ll(c1 + 1, (size_t)(c2 - c1 - 1), keys) ||
        !str_to_ll(c2 + 1, strlen(c2 + 1), expires))
        return -1;
    return *dbid >= 0 && *dbid <= INT32_MAX && *keys >= 0 && *expires >= 0 && *expires <= *keys ? 0 : -1;
}

/* parse_trailer: 0 and keys/crc when r is a well-formed trailer of the
 * given version (1: three arguments; 2: then the database sizes, whose
 * keys add up to the count). */
static int parse_trailer(const Rill__LogRecord *r, uint32_t version, long long *keys, uint32_t *crc)
{
    if (r->n_argv < 3 || (version == 1 && r->n_argv != 3)) return -1;
    if (r->argv[0].len != 4 || memcmp(r->argv[0].data, SNAP_TRAILER_CMD, 4)) return -1;
    char buf[32];
    if (r->argv[1].len == 0 || r->argv[1].len >= sizeof buf || r->argv[2].len != 8) return -1;
    memcpy(buf, r->argv[1].data, r->argv[1].len);
    buf[r->argv[1].len] = '\0';
    if (!str_to_ll(buf, r->argv[1].len, keys) || *keys < 0) return -1;
    memcpy(buf, r->argv[2].data, 8);
    buf[8] = '\0';
    char *end;
    unsigned long v = strtoul(buf, &end, 16);
    if (*end) return -1;
    *crc = (uint32_t)v;
    long long sum = 0, prev = -1;
    for (size_t i = 3; i < r->n_argv; i++) {
        long long dbid, k, e;
        if (parse_sizes(&r->argv[i], &dbid, &k, &e) != 0 || dbid <= prev) return -1;
        prev = dbid;
        sum += k;
        if (sum > *keys) return -1;
    }
    if (version >= 2 && sum != *keys) return -1;
    return 0;
}

int snapshot_verify(const uint8_t *p, size_t n, snap_check *res)
{
    memset(res, 0, sizeof *res);
    if (n < SNAP_HEADER_SIZE || !snapshot_is_snapshot(p, n))
        return bad(res, 0, n < SNAP_HEADER_SIZE && n >= 8 && snapshot_is_snapshot(p, n)
                               ? "header cut short (file truncated?)"
                               : "not a Rill snapshot (bad magic)");
    uint32_t version = get_u32(p + 8);
    if (version < 1 || version > SNAP_VERSION || get_u32(p + 12) != 0) {
        char why[120];
        snprintf(why, sizeof why, "unsupported snapshot version %u (this build reads 1 to %u)", version,
                 SNAP_VERSION);
        return bad(res, 8, why);
    }

    /* Walk the framing to the end: the last record must be the trailer. */
    size_t off = SNAP_HEADER_SIZE, last = 0;
    while (off < n) {
        if (n - off < AOFREC_OVERHEAD) return bad(res, off, "record cut short by the end of the file (truncated?)");
        uint32_t len = get_u32(p + off);
        if (len == 0 || len > AOFREC_MAX_BODY) return bad(res, off, "bad record length");
        if ((uint64_t)len + AOFREC_OVERHEAD > n - off)
            return bad(res, off, "record runs past the end of the file (truncated or damaged length)");
        last = off;
        off += (size_t)len + AOFREC_OVERHEAD;
        res->records++;
    }
    if (!last) return bad(res, n, "no trailer record (truncated?)");
    res->records--;

    size_t used;
    Rill__LogRecord *r = NULL;
    aofrec_status st = aofrec_decode(p + last, n - last, &used, &r);
    long long keys = 0;
    uint32_t want = 0;
    int trailer_ok = st == AOFREC_OK && parse_trailer(r, version, &keys, &want) == 0;
    if (r) rill__log_record__free_unpacked(r, NULL);
    if (!trailer_ok) {
        if (st != AOFREC_OK) return bad(res, last, aofrec_strstatus(st));
        return bad(res, n, "the last record is not the trailer (truncated?)");
    }
    if (crc32c(p, last) != want) {
        /* Say which record is damaged, if one is. */
        aof_scan_result sr;
        aof_scan(p + SNAP_HEADER_SIZE, last - SNAP_HEADER_SIZE, 0, NULL, NULL, &sr);
        if (sr.status != AOF_SCAN_OK) return bad(res, sr.bad_off + SNAP_HEADER_SIZE, sr.why);
        return bad(res, last, "the file's checksum does not match the trailer's");
    }
    res->ok = 1;
    res->keys = keys;
    res->trailer_off = last;
    return 0;
}

/* ---- writing ------------------------------------------------------------- */

typedef struct db_sizes {
    long long keys, expires;
} db_sizes;

typedef struct snap_writer {
    int fd;
    aof_buf buf;
    uint32_t crc;            /* of every byte written so far */
    long long written;
    uint32_t db;
    int werr;                /* errno of a failed write */
} snap_writer;

static int sw_flush(snap_writer *w)
{
    const uint8_t *p = w->buf.p;
    size_t n = w->buf.len;
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            w->werr = errno;
            return -1;
        }
        if (k == 0) {
            w->werr = ENOSPC;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    w->crc = crc32c_extend(w->crc, w->buf.p, w->buf.len);
    w->written += (long long)w->buf.len;
    w->buf.len = 0;
    return 0;
}

static int sw_emit(void *priv, int argc, const char *const *argv, const size_t *lens)
{
    snap_writer *w = priv;
    aofrec_append(&w->buf, w->db, AOF_GROUP_NONE, argc, argv, lens);
    return w->buf.len >= SNAP_FLUSH ? sw_flush(w) : 0;
}

int snapshot_write_fd(server *s, int fd, int key_delay_us, snapshot_write_stats *st, char *err, size_t errlen)
{
    snap_writer w = {.fd = fd};
    long long keys = 0;
    uint8_t hdr[SNAP_HEADER_SIZE];
    memcpy(hdr, SNAP_MAGIC, 8);
    put_u32(hdr + 8, SNAP_VERSION);
    put_u32(hdr + 12, 0);
    aof_buf_free(&w.buf);
    w.buf.p = xmalloc(SNAP_FLUSH * 2);
    w.buf.cap = SNAP_FLUSH * 2;
    memcpy(w.buf.p, hdr, sizeof hdr);
    w.buf.len = sizeof hdr;

    int rc = 0;
    db_sizes *sizes = xcalloc((size_t)(s->ndb > 0 ? s->ndb : 1), sizeof *sizes);
    for (int i = 0; i < s->ndb && rc == 0; i++) {
        db *d = &s->dbs[i];
        if (dict_size(d->keys) == 0) continue;
        w.db = (uint32_t)i;
        dict_iter it;
        dict_iter_init(&it, d->keys, 0);
        dict_entry *e;
        while (rc == 0 && (e = dict_next(&it))) {
            const char *key = e->key;
            const obj *o = e->v.val;
            const obj_type *t = obj_types[o->type];
            if (!t || !t->rewrite) {
                snprintf(err, errlen, "the %s value of key '%.100s' (db %d) cannot be written to a snapshot: "
                         "its type has no rewrite", obj_type_name(o), key, i);
                rc = -2;
                break;
            }
            if (t->rewrite(o, key, sbuf_len(key), sw_emit, &w) != 0) {
                rc = -1;
                break;
            }
            dict_entry *x = dict_find(d->expires, key);
            if (x) {
                char ms[24];
                const char *argv[3] = {"PEXPIREAT", key, ms};
                size_t lens[3] = {9, sbuf_len(key), (size_t)ll_to_str(ms, sizeof ms, x->v.s64)};
                if (sw_emit(&w, 3, argv, lens) != 0) {
                    rc = -1;
                    break;
                }
                sizes[i].expires++;
            }
            sizes[i].keys++;
            keys++;
            if (key_delay_us > 0) {
                struct timespec ts = {key_delay_us / 1000000, (long)(key_delay_us % 1000000) * 1000};
                nanosleep(&ts, NULL);
            }
        }
        dict_iter_done(&it);
    }
    if (rc == 0 && sw_flush(&w) != 0) rc = -1;
    if (rc == 0) {
        /* ["#end", keys, crc, "<db>:<keys>:<expires>" for each database written] */
        int ndbs = 0;
        for (int i = 0; i < s->ndb; i++) ndbs += sizes[i].keys > 0;
        char kbuf[24], cbuf[16];
        char (*sbufs)[72] = xmalloc((size_t)(ndbs ? ndbs : 1) * sizeof *sbufs);
        const char **argv = xmalloc((size_t)(3 + ndbs) * sizeof *argv);
        size_t *lens = xmalloc((size_t)(3 + ndbs) * sizeof *lens);
        snprintf(cbuf, sizeof cbuf, "%08x", (unsigned)w.crc);
        argv[0] = SNAP_TRAILER_CMD;
        lens[0] = 4;
        argv[1] = kbuf;
        lens[1] = (size_t)ll_to_str(kbuf, sizeof kbuf, keys);
        argv[2] = cbuf;
        lens[2] = 8;
        int n = 3;
        for (int i = 0; i < s->ndb; i++) {
            if (!sizes[i].keys) continue;
            char *b = sbufs[n - 3];
            argv[n] = b;
            lens[n] = (size_t)snprintf(b, sizeof sbufs[0], "%d:%lld:%lld", i, sizes[i].keys, sizes[i].expires);
            n++;
        }
        w.db = 0;
        aofrec_append(&w.buf, 0, AOF_GROUP_NONE, n, argv, lens);
        xfree(sbufs);
        xfree(argv);
        xfree(lens);
        if (sw_flush(&w) != 0) rc = -1;
    }
    xfree(sizes);
    if (rc == -1) snprintf(err, errlen, "write error: %s", strerror(w.werr ? w.werr : EIO));
    xfree(w.buf.p);
    if (rc == -1) errno = w.werr ? w.werr : EIO;
    if (st) {
        st->keys = keys;
        st->bytes = w.written;
    }
    return rc ? -1 : 0;
}

static int fsync_dir_of(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    int dfd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int rc = fsync(dfd);
    close(dfd);
    return rc;
}

int snapshot_write_file(server *s, const char *path, int key_delay_us, snapshot_write_stats *st, char *err,
                        size_t errlen)
{
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(tmp, sizeof tmp, "%s/temp-%d.rill", dirname(dir), (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "Failed opening the temp snapshot file %s for saving: %s", tmp, strerror(errno));
        return -1;
    }
    char why[512];
    if (snapshot_write_fd(s, fd, key_delay_us, st, why, sizeof why) != 0) {
        snprintf(err, errlen, "Writing the snapshot %s: %s", tmp, why);
        goto fail;
    }
    if (fsync(fd) < 0) {
        snprintf(err, errlen, "fsync of the snapshot %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        snprintf(err, errlen, "close of the snapshot %s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "Error moving the temp snapshot file %s on the final destination %s: %s", tmp, path,
                 strerror(errno));
        goto fail;
    }
    if (fsync_dir_of(path) < 0) {
        /* The file is complete; only its name may not survive a power cut. */
        snprintf(err, errlen, "fsync of the directory of %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
fail:
    if (fd >= 0) close(fd);
    unlink(tmp);
    return -1;
}

/* ---- loading ------------------------------------------------------------- */

typedef struct snap_load {
    replay *r;
    int drop_expired;
    long long expired;
    long long now;
} snap_load;

static int load_record(void *priv, size_t off, const Rill__LogRecord *rec)
{
    snap_load *l = priv;
    off += SNAP_HEADER_SIZE;
    if (l->drop_expired && rec->n_argv == 3 && rec->argv[0].len == 9 &&
        !strncasecmp((const char *)rec->argv[0].data, "PEXPIREAT", 9)) {
        long long when;
        if (str_to_ll((const char *)rec->argv[2].data, rec->argv[2].len, &when) && when <= l->now &&
            rec->db < (uint32_t)l->r->s->ndb) {
            /* Gone before it could be read again: never load it. */
            sbuf key = sbuf_new(rec->argv[1].data, rec->argv[1].len);
            server *s = l->r->s;
            if (db_delete(s, &s->dbs[rec->db], key)) l->expired++;
            sbuf_free(key);
            return 0;
        }
    }
    return replay_record(l->r, off, rec);
}

/* presize makes each empty database's tables as big as the trailer says
 * they will be (version 2), so loading never rehashes. */
static void presize(server *s, const uint8_t *p, size_t n, const snap_check *chk)
{
    aofrec_views vw = {0};
    Rill__LogRecord rec;
    size_t used;
    if (aofrec_view(p + chk->trailer_off, n - chk->trailer_off, 0, &used, &rec, &vw) == AOFREC_OK) {
        for (size_t i = 3; i < rec.n_argv; i++) {
            long long dbid, keys, expires;
            /* Every key takes at least one record: a bigger count is a lie
             * (and must not become a huge allocation). */
            if (parse_sizes(&rec.argv[i], &dbid, &keys, &expires) != 0 || dbid >= s->ndb ||
                (size_t)keys > chk->records)
                continue;
            db *d = &s->dbs[dbid];
            if (dict_size(d->keys) == 0 && keys > 0) dict_expand(d->keys, (size_t)keys);
            if (dict_size(d->expires) == 0 && expires > 0) dict_expand(d->expires, (size_t)expires);
        }
    }
    aofrec_views_free(&vw);
}

static long long total_keys(const server *s)
{
    long long n = 0;
    for (int i = 0; i < s->ndb; i++) n += (long long)dict_size(s->dbs[i].keys);
    return n;
}

int snapshot_replay_file(replay *r, const char *path, int drop_expired, snapshot_load_stats *st, char *err,
                         size_t errlen)
{
    server *s = r->s;
    memset(st, 0, sizeof *st);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the snapshot %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0) {
        snprintf(err, errlen, "fstat %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)sb.st_size;
    const uint8_t *p = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "mmap %s: %s", path, strerror(errno));
        return -1;
    }
    if (p) madvise((void *)p, size, MADV_SEQUENTIAL);
    snap_check chk;
    if (snapshot_verify(p, size, &chk) != 0) {
        snprintf(err, errlen,
                 "Bad snapshot %s at offset %zu: %s. Nothing was loaded. Run rill-check-log %s for details "
                 "(a damaged snapshot cannot be repaired: restore a good copy, or move it away to start empty)",
                 path, chk.bad_off, chk.why, path);
        if (p) munmap((void *)p, size);
        return -1;
    }
    long long before = total_keys(s);
    if (before == 0) presize(s, p, size, &chk);
    snap_load l = {.r = r, .drop_expired = drop_expired, .now = s->mstime};
    r->path = path;
    aof_scan_result res;
    /* The whole-file CRC was just checked: no need to check each record's. */
    aof_scan_nocrc(p + SNAP_HEADER_SIZE, chk.trailer_off - SNAP_HEADER_SIZE, load_record, &l, &res);
    munmap((void *)p, size);
    if (res.status == AOF_SCAN_STOPPED) {
        snprintf(err, errlen, "Can't load the snapshot: %s", r->err);
        return -1;
    }
    if (res.status != AOF_SCAN_OK) {
        snprintf(err, errlen, "Bad record in the snapshot %s at offset %zu: %s. Run rill-check-log %s", path,
                 res.bad_off + SNAP_HEADER_SIZE, res.why, path);
        return -1;
    }
    st->keys_loaded = total_keys(s) - before;
    st->keys_expired = l.expired;
    st->bytes = (long long)size;
    if (st->keys_loaded + st->keys_expired != chk.keys) {
        snprintf(err, errlen,
                 "The snapshot %s holds %lld keys by its trailer but %lld were loaded (%lld expired): "
                 "a value type's rewrite is wrong, or the databases were not empty",
                 path, chk.keys, st->keys_loaded, st->keys_expired);
        return -1;
    }
    return 0;
}

int snapshot_load(server *s, const char *path, snapshot_load_stats *st, char *err, size_t errlen)
{
    if (access(path, F_OK) != 0 && errno == ENOENT) return 1;
    long long start = ustime_now();
    replay r;
    replay_init(&r, s);
    int rc = snapshot_replay_file(&r, path, 1, st, err, errlen);
    long long errors = r.errors;
    replay_finish(&r);
    if (rc != 0) return -1;
    s->dirty = 0;
    info_reset_stats(s);   /* replayed commands are not traffic */
    log_notice("DB loaded from disk: %.3f seconds (%lld keys, %lld expired keys dropped%s)",
               (double)(ustime_now() - start) / 1e6, st->keys_loaded, st->keys_expired,
               errors ? ", some commands answered errors" : "");
    return 0;
}

void snapshot_base_name(char *buf, size_t len, const char *appendfilename, int index)
{
    snprintf(buf, len, "%s.%d.base.rill", appendfilename, index);
}

int snapshot_base_index(const char *appendfilename, const char *name)
{
    size_t bl = strlen(appendfilename);
    if (strncmp(name, appendfilename, bl) || name[bl] != '.') return 0;
    char *end;
    long n = strtol(name + bl + 1, &end, 10);
    if (n <= 0 || n > 1000000000 || strcmp(end, ".base.rill")) return 0;
    return (int)n;
}
