/* aof_format.c — log records, segment scanning, the manifest file.
 *
 * Torn tails versus damage.  A crash in the middle of a write leaves a
 * prefix of what was written: the last record is cut short, or (on some
 * file systems) the file was extended but the new blocks read as zeros.
 * Both can only happen at the end of the newest segment.  A length field
 * that was itself damaged also makes a record run past the end of the
 * file; to tell the two apart, aof_scan looks for a complete, good record
 * anywhere later in the tail: a torn write has none after it.  A damaged
 * length in the last record of the newest segment that points past the
 * end cannot be told from a torn write in this format; it is cut as one
 * (and logged with the bytes dropped).
 */
#include "aof_format.h"
#include "crc32c.h"
#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- buffer ----------------------------------------------------------- */

static uint8_t *buf_reserve(aof_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n) cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    return b->p + b->len;
}

void aof_buf_free(aof_buf *b)
{
    xfree(b->p);
    memset(b, 0, sizeof *b);
}

void aof_buf_consume(aof_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        if (b->cap > (1u << 20)) {     /* don't keep a burst's buffer forever */
            xfree(b->p);
            b->p = NULL;
            b->cap = 0;
        }
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- records ---------------------------------------------------------- */

void aofrec_append(aof_buf *b, uint32_t db, uint32_t group, int argc, const char *const *argv,
                   const size_t *lens)
{
    ProtobufCBinaryData small[16];
    ProtobufCBinaryData *bd = argc <= 16 ? small : xmalloc((size_t)argc * sizeof *bd);
    for (int i = 0; i < argc; i++) {
        bd[i].data = (uint8_t *)argv[i];
        bd[i].len = lens[i];
    }
    Rill__LogRecord r = RILL__LOG_RECORD__INIT;
    r.db = db;
    r.group = group;
    r.n_argv = (size_t)argc;
    r.argv = bd;
    size_t body = rill__log_record__get_packed_size(&r);
    uint8_t *dst = buf_reserve(b, body + AOFREC_OVERHEAD);
    size_t packed = rill__log_record__pack(&r, dst + 4);
    put_u32(dst, (uint32_t)packed);
    put_u32(dst + 4 + packed, crc32c(dst + 4, packed));
    b->len += packed + AOFREC_OVERHEAD;
    if (bd != small) xfree(bd);
}

const char *aofrec_strstatus(aofrec_status st)
{
    switch (st) {
    case AOFREC_OK: return "ok";
    case AOFREC_SHORT: return "record cut short by the end of the file";
    case AOFREC_BAD_LENGTH: return "impossible record length";
    case AOFREC_BAD_CRC: return "checksum mismatch";
    case AOFREC_BAD_BODY: return "checksum matches but the record does not decode";
    }
    return "?";
}

aofrec_status aofrec_decode(const uint8_t *p, size_t n, size_t *used, Rill__LogRecord **out)
{
    if (out) *out = NULL;
    if (n < 4) return AOFREC_SHORT;
    uint32_t len = get_u32(p);
    if (len == 0 || len > AOFREC_MAX_BODY) return AOFREC_BAD_LENGTH;
    if (n - 4 < (size_t)len + 4) return AOFREC_SHORT;
    if (crc32c(p + 4, len) != get_u32(p + 4 + len)) return AOFREC_BAD_CRC;
    Rill__LogRecord *r = rill__log_record__unpack(NULL, len, p + 4);
    if (!r) return AOFREC_BAD_BODY;
    if (r->n_argv == 0 || r->group > AOF_GROUP_END) {
        rill__log_record__free_unpacked(r, NULL);
        return AOFREC_BAD_BODY;
    }
    *used = (size_t)len + AOFREC_OVERHEAD;
    if (out) *out = r;
    else rill__log_record__free_unpacked(r, NULL);
    return AOFREC_OK;
}

/* ---- decoding without allocation -------------------------------------- */

void aofrec_views_free(aofrec_views *vw)
{
    xfree(vw->v);
    vw->v = NULL;
    vw->cap = 0;
}

/* rd_varint reads a base-128 varint of at most 10 bytes; -1 if it is cut
 * short or longer. */
static int rd_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p == end) return -1;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            *pp = p;
            return 0;
        }
    }
    return -1;
}

/* view_body decodes a LogRecord body b[0..n): field 1 (db) and 3 (group)
 * varints, field 2 (argv) length-delimited, each in any order; other
 * fields are skipped as protobuf allows (varint, 64-bit, length-delimited,
 * 32-bit).  A known field with another wire type, a group wire type, field
 * number 0 or anything cut short is not a LogRecord: -1. */
static int view_body(const uint8_t *b, size_t n, Rill__LogRecord *out, aofrec_views *vw)
{
    const uint8_t *p = b, *end = b + n;
    uint32_t db = 0, group = 0;
    size_t argc = 0;
    while (p < end) {
        uint64_t tag, v;
        if (rd_varint(&p, end, &tag) < 0 || tag > UINT32_MAX) return -1;
        uint32_t field = (uint32_t)(tag >> 3), wt = (uint32_t)(tag & 7);
        if (field == 0) return -1;
        if (field == 1 || field == 3) {
            if (wt != 0 || rd_varint(&p, end, &v) < 0) return -1;
            if (field == 1) db = (uint32_t)v;
            else group = (uint32_t)v;
            continue;
        }
        switch (wt) {
        case 0:
            if (rd_varint(&p, end, &v) < 0) return -1;
            break;
        case 1:
            if (end - p < 8) return -1;
            p += 8;
            break;
        case 5:
            if (end - p < 4) return -1;
            p += 4;
            break;
        case 2:
            if (rd_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p)) return -1;
            if (field == 2) {
                if (argc == vw->cap) {
                    vw->cap = vw->cap ? vw->cap * 2 : 16;
                    vw->v = xrealloc(vw->v, vw->cap * sizeof *vw->v);
                }
                vw->v[argc].data = (uint8_t *)p;
                vw->v[argc].len = (size_t)v;
                argc++;
            }
            p += v;
            break;
        default:
            return -1;
        }
        if (field == 2 && wt != 2) return -1;
    }
    Rill__LogRecord init = RILL__LOG_RECORD__INIT;
    *out = init;
    out->db = db;
    out->group = group;
    out->n_argv = argc;
    out->argv = vw->v;
    return 0;
}

aofrec_status aofrec_view(const uint8_t *p, size_t n, int check_crc, size_t *used, Rill__LogRecord *out,
                          aofrec_views *views)
{
    if (n < 4) return AOFREC_SHORT;
    uint32_t len = get_u32(p);
    if (len == 0 || len > AOFREC_MAX_BODY) return AOFREC_BAD_LENGTH;
    if (n - 4 < (size_t)len + 4) return AOFREC_SHORT;
    if (check_crc && crc32c(p + 4, len) != get_u32(p + 4 + len)) return AOFREC_BAD_CRC;
    if (view_body(p + 4, len, out, views) != 0 || out->n_argv == 0 || out->group > AOF_GROUP_END)
        return AOFREC_BAD_BODY;
    *used = (size_t)len + AOFREC_OVERHEAD;
    return AOFREC_OK;
}

/* ---- scanning --------------------------------------------------------- */

/* Scanning a torn tail for a later good record is quadratic at worst;
 * only this much of the tail is searched. */
#define RESYNC_WINDOW (4u << 20)

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* ends_in_zeros: does the record at p (its length word already checked
 * to fit in n) end in at least 4 zero bytes, its checksum among them?
 * A page of it that never reached a preallocated file reads so; a flipped
 * bit does not. */
static int ends_in_zeros(const uint8_t *p, size_t n)
{
    size_t end = (size_t)get_u32(p) + AOFREC_OVERHEAD;
    return end <= n && all_zero(p + end - 4, 4);
}

/* good_record_after: is there a complete good record starting in (from, n)? */
static int good_record_after(const uint8_t *p, size_t n, size_t from)
{
    size_t end = n - from > RESYNC_WINDOW ? from + RESYNC_WINDOW : n;
    for (size_t o = from + 1; o + AOFREC_OVERHEAD < end; o++) {
        uint32_t len = get_u32(p + o);
        if (len == 0 || (size_t)len > n - o - AOFREC_OVERHEAD) continue;
        size_t used;
        if (aofrec_decode(p + o, n - o, &used, NULL) == AOFREC_OK) return 1;
    }
    return 0;
}

static void scan(const uint8_t *p, size_t n, int last, int check_crc, aof_record_fn *fn, void *priv,
                 aof_scan_result *res)
{
    memset(res, 0, sizeof *res);
    size_t off = 0, group_start = 0;
    int in_group = 0;
    aofrec_views vw = {0};
    Rill__LogRecord rec;
    const Rill__LogRecord *r = &rec;
    while (off < n) {
        size_t used = 0;
        aofrec_status st = aofrec_view(p + off, n - off, check_crc, &used, &rec, &vw);
        if (st != AOFREC_OK) {
            if (check_crc && !in_group && all_zero(p + off, n - off)) {
                res->padding = n - off;   /* preallocated space (aof.c prefill) */
                n = off;
                break;
            }
            res->bad_off = off;
            uint32_t len = n - off >= 4 ? get_u32(p + off) : 1;
            int unwritten = st == AOFREC_SHORT || (st == AOFREC_BAD_LENGTH && len == 0) ||
                            (st == AOFREC_BAD_CRC && ends_in_zeros(p + off, n - off));
            int torn = last && ((unwritten && !good_record_after(p, n, off)) || all_zero(p + off, n - off));
            if (torn) {
                res->status = AOF_SCAN_TORN;
                res->good_end = in_group ? group_start : off;
                snprintf(res->why, sizeof res->why, "%s",
                         all_zero(p + off, n - off)                ? "zero bytes at the end of the file"
                         : st == AOFREC_SHORT                      ? aofrec_strstatus(st)
                         : st == AOFREC_BAD_LENGTH                 ? "zero length word: a write that did not reach the disk"
                                                                   : "checksum bad and zero bytes at the record's end: a write that did not reach the disk");
            } else {
                res->status = AOF_SCAN_CORRUPT;
                res->good_end = in_group ? group_start : off;
                snprintf(res->why, sizeof res->why, "%s", st == AOFREC_SHORT && last
                         ? "record length runs past the end of the file but good records follow (damaged length)"
                         : aofrec_strstatus(st));
            }
            aofrec_views_free(&vw);
            return;
        }
        /* Group markers: BEGIN opens, MORE/END only inside, NONE only outside. */
        int g = (int)r->group;
        int bad = (g == AOF_GROUP_BEGIN && in_group) || ((g == AOF_GROUP_MORE || g == AOF_GROUP_END) && !in_group) ||
                  (g == AOF_GROUP_NONE && in_group);
        if (bad) {
            aofrec_views_free(&vw);
            res->status = AOF_SCAN_CORRUPT;
            res->bad_off = off;
            res->good_end = in_group ? group_start : off;
            snprintf(res->why, sizeof res->why, "MULTI/EXEC group marker %d out of sequence", g);
            return;
        }
        if (g == AOF_GROUP_BEGIN) {
            in_group = 1;
            group_start = off;
        } else if (g == AOF_GROUP_END) {
            in_group = 0;
        }
        int stop = fn ? fn(priv, off, r) : 0;
        if (stop) {
            aofrec_views_free(&vw);
            res->status = AOF_SCAN_STOPPED;
            res->bad_off = off;
            res->good_end = in_group ? group_start : off;
            return;
        }
        res->records++;
        off += used;
    }
    aofrec_views_free(&vw);
    if (in_group) {
        res->bad_off = group_start;
        res->good_end = group_start;
        res->status = last ? AOF_SCAN_TORN : AOF_SCAN_CORRUPT;
        snprintf(res->why, sizeof res->why, "MULTI/EXEC group not closed at the end of the file");
        return;
    }
    res->status = AOF_SCAN_OK;
    res->good_end = n;
}

void aof_scan(const uint8_t *p, size_t n, int last, aof_record_fn *fn, void *priv, aof_scan_result *res)
{
    scan(p, n, last, 1, fn, priv, res);
}

void aof_scan_nocrc(const uint8_t *p, size_t n, aof_record_fn *fn, void *priv, aof_scan_result *res)
{
    scan(p, n, 0, 0, fn, priv, res);
}

/* ---- manifest --------------------------------------------------------- */

#define MANIFEST_MAGIC "rill-manifest 1"

void aof_manifest_add(aof_manifest *m, const char *segment)
{
    m->segments = xrealloc(m->segments, (size_t)(m->nsegments + 1) * sizeof *m->segments);
    m->segments[m->nsegments++] = xstrdup(segment);
}

void aof_manifest_free(aof_manifest *m)
{
    for (int i = 0; i < m->nsegments; i++) xfree(m->segments[i]);
    xfree(m->segments);
    xfree(m->base);
    m->segments = NULL;
    m->nsegments = 0;
    m->base = NULL;
}

int aof_manifest_parse(aof_manifest *m, const char *text, size_t n, char *err, size_t errlen)
{
    size_t pos = 0;
    int line = 0;
    while (pos < n) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - s) : n - pos;
        pos += len + (nl ? 1 : 0);
        line++;
        if (len && s[len - 1] == '\r') len--;
        if (line == 1) {
            if (len != strlen(MANIFEST_MAGIC) || memcmp(s, MANIFEST_MAGIC, len)) {
                snprintf(err, errlen, "line 1: not a Rill manifest (expected '%s')", MANIFEST_MAGIC);
                goto fail;
            }
            continue;
        }
        if (len == 0 || s[0] == '#') continue;
        int is_base = len > 5 && !memcmp(s, "base ", 5);
        if (is_base || (len > 8 && !memcmp(s, "segment ", 8))) {
            const char *name = s + (is_base ? 5 : 8);
            size_t nlen = len - (is_base ? 5 : 8);
            if (is_base && (m->base || m->nsegments)) {
                snprintf(err, errlen, "line %d: the base snapshot must come once, before the segments", line);
                goto fail;
            }
            if (nlen >= 256 || memchr(name, '/', nlen) || memchr(name, '\0', nlen) ||
                (nlen <= 2 && name[0] == '.')) {
                snprintf(err, errlen, "line %d: bad %s file name", line, is_base ? "base" : "segment");
                goto fail;
            }
            char buf[256];
            memcpy(buf, name, nlen);
            buf[nlen] = '\0';
            if (is_base) m->base = xstrdup(buf);
            else aof_manifest_add(m, buf);
            continue;
        }
        snprintf(err, errlen, "line %d: unknown entry '%.*s'", line, (int)(len > 60 ? 60 : len), s);
        goto fail;
    }
    if (line == 0) {
        snprintf(err, errlen, "empty manifest");
        goto fail;
    }
    return 0;
fail:
    aof_manifest_free(m);
    return -1;
}

int aof_manifest_load(aof_manifest *m, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "can't open the manifest %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size > (1 << 24)) {
        snprintf(err, errlen, "manifest %s: %s", path, st.st_size > (1 << 24) ? "too big" : strerror(errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *text = xmalloc(size + 1);
    while (got < size) {
        ssize_t r = read(fd, text + got, size - got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            snprintf(err, errlen, "reading the manifest %s: %s", path, r < 0 ? strerror(errno) : "short read");
            xfree(text);
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    char why[200];
    int rc = aof_manifest_parse(m, text, size, why, sizeof why);
    if (rc < 0) snprintf(err, errlen, "manifest %s: %s", path, why);
    xfree(text);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int aof_manifest_store(const aof_manifest *m, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    size_t cap = 64 + (m->base ? strlen(m->base) + 10 : 0);
    for (int i = 0; i < m->nsegments; i++) cap += strlen(m->segments[i]) + 10;
    char *text = xmalloc(cap);
    size_t len = (size_t)snprintf(text, cap, "%s\n", MANIFEST_MAGIC);
    if (m->base) len += (size_t)snprintf(text + len, cap - len, "base %s\n", m->base);
    for (int i = 0; i < m->nsegments; i++) len += (size_t)snprintf(text + len, cap - len, "segment %s\n", m->segments[i]);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "can't create %s: %s", tmp, strerror(errno));
        xfree(text);
        return -1;
    }
    if (write_all(fd, text, len) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        xfree(text);
        return -1;
    }
    close(fd);
    xfree(text);
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "renaming %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0) {
        snprintf(err, errlen, "fsync of directory %s: %s", dir, strerror(errno));
        if (dfd >= 0) close(dfd);
        return -1;
    }
    close(dfd);
    return 0;
}
