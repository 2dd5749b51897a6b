/* cmd_bitmap.c — bitmap commands on string values: SETBIT GETBIT BITCOUNT
 * BITPOS BITOP BITFIELD BITFIELD_RO.
 *
 * Semantics, argument order, checks and error texts follow Redis 7.0
 * (bitops.c): offsets are limited by proto-max-bulk-len before anything
 * is allocated; BITCOUNT and BITPOS look the key up before they parse their
 * range (so a missing key answers 0 / -1 whatever the range says);
 * strings written by these commands are raw-encoded, as Redis leaves them.
 * The bit arithmetic itself lives in types/bitmap.c.
 *
 * Dirty counting follows Redis 7.0 too: SETBIT and BITFIELD count a change
 * only when a bit changed or the string was created or grew, so INFO's
 * rdb_changes_since_last_save and keyspace events match.  Redis then also
 * leaves out of its AOF a BITFIELD that created a key but changed nothing
 * (OVERFLOW FAIL on every write): the key is lost on restart.  Rill logs
 * that command anyway (effect_emit, without counting it dirty), so what the
 * append log replays is what clients saw.  Every other write here is
 * deterministic and is logged as given.
 */
#include "notify.h"
#include "server.h"
#include "commands.h"
#include "effect.h"
#include "bitmap.h"
#include "alloc.h"

#include <string.h>
#include <strings.h>

/* ---- helpers ---------------------------------------------------------- */

static void reply_err_offset(session *c) { reply_error(c, "ERR bit offset is not an integer or out of range"); }

/* get_bit_offset parses a bit offset as Redis's getBitOffsetFromArgument:
 * with hash (BITFIELD) "#n" means n * bits.  The offset's byte must lie
 * below proto-max-bulk-len (not checked while loading the log, which only
 * holds what was accepted).  Replies the error and returns -1. */
static int get_bit_offset(session *c, const char *arg, int hash, int bits, uint64_t *out)
{
    int usehash = hash && bits > 0 && arg[0] == '#';
    long long v;
    if (!str_to_ll(arg + usehash, sbuf_len(arg) - (size_t)usehash, &v)) {
        reply_err_offset(c);
        return -1;
    }
    if (usehash) v = (long long)((unsigned long long)v * (unsigned long long)bits);  /* wraps as Redis's */
    long long max = c->srv->loading ? (long long)SBUF_MAX - 8 : config_max_bulk(&c->srv->cfg);
    if (v < 0 || (v >> 3) >= max) {
        reply_err_offset(c);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* lookup_for_bits is Redis's lookupStringForBitCommand: the string at key,
 * created (zeroes) or grown so that bit maxbit exists, unshared and raw.
 * *dirty is set when it was created or grew.  NULL after WRONGTYPE. */
static obj *lookup_for_bits(session *c, uint64_t maxbit, int *dirty)
{
    server *s = c->srv;
    db *d = c->db;
    sbuf key = c->args.argv[1];
    size_t need = (size_t)(maxbit >> 3) + 1;
    obj *o = db_lookup_write(s, d, key);
    *dirty = 0;
    if (o && o->type != OBJ_STRING) {
        reply_err_wrongtype(c);
        return NULL;
    }
    if (!o) {
        o = obj_new(OBJ_STRING, ENC_RAW, sbuf_new(NULL, need));
        db_add(s, d, key, o);
        *dirty = 1;
        return o;
    }
    obj *w = obj_string_unshare(o);
    if (w != o) db_overwrite(s, d, key, w);
    if (sbuf_len(w->ptr) < need) {
        w->ptr = sbuf_resize(w->ptr, need);
        *dirty = 1;
    }
    return w;
}

/* lookup_read_string: the string at argv[1] for reading, NULL if absent;
 * *wrong is set (after WRONGTYPE) for another type.  Bytes go to *p, *len;
 * buf holds int-encoded digits. */
static obj *lookup_read_string(session *c, char *buf, const unsigned char **p, size_t *len, int *wrong)
{
    obj *o = db_lookup_read(c->srv, c->db, c->args.argv[1], 0);
    *wrong = 0;
    if (!o) return NULL;
    if (o->type != OBJ_STRING) {
        reply_err_wrongtype(c);
        *wrong = 1;
        return NULL;
    }
    *p = (const unsigned char *)obj_string_ptr(o, buf, len);
    return o;
}

static int get_ll(session *c, const char *arg, long long *v)
{
    if (str_to_ll(arg, sbuf_len(arg), v)) return 0;
    reply_err_notint(c);
    return -1;
}

/* parse_unit: BYTE -> 0, BIT -> 1 (any case); -1 after a syntax error. */
static int parse_unit(session *c, const char *arg)
{
    if (!strcasecmp(arg, "bit")) return 1;
    if (!strcasecmp(arg, "byte")) return 0;
    reply_err_syntax(c);
    return -1;
}

/* clamp_range turns start/end (negative from the end) into an inclusive
 * range of [0, total) as Redis does; returns 0 if the range is empty. */
static int clamp_range(long long *start, long long *end, long long total)
{
    if (*start < 0) *start += total;
    if (*end < 0) *end += total;
    if (*start < 0) *start = 0;
    if (*end < 0) *end = 0;
    if (*end >= total) *end = total - 1;
    return *start <= *end;
}

/* ---- SETBIT / GETBIT -------------------------------------------------- */

/* SETBIT key offset value */
void cmd_setbit(session *c)
{
    server *s = c->srv;
    uint64_t off;
    long long on;
    if (get_bit_offset(c, c->args.argv[2], 0, 0, &off) != 0) return;
    if (!str_to_ll(c->args.argv[3], sbuf_len(c->args.argv[3]), &on) || (on & ~1LL)) {
        reply_error(c, "ERR bit is not an integer or out of range");
        return;
    }
    int dirty;
    obj *o = lookup_for_bits(c, off, &dirty);
    if (!o) return;
    unsigned char *byte = (unsigned char *)o->ptr + (off >> 3);
    int shift = 7 - (int)(off & 7);
    int old = (*byte >> shift) & 1;
    if (dirty || old != on) {
        *byte = (unsigned char)((*byte & ~(1u << shift)) | ((unsigned)on << shift));
        db_signal_modified(s, c->db, c->args.argv[1]);
        notify_keyspace_event(s, NOTIFY_STRING, "setbit", c->args.argv[1], c->dbid);
        s->dirty++;
    }
    reply_int(c, old);
}

/* GETBIT key offset */
void cmd_getbit(session *c)
{
    uint64_t off;
    if (get_bit_offset(c, c->args.argv[2], 0, 0, &off) != 0) return;
    char buf[24];
    const unsigned char *p = NULL;
    size_t len = 0;
    int wrong;
    obj *o = lookup_read_string(c, buf, &p, &len, &wrong);
    if (wrong) return;
    int bit = 0;
    if (o && (off >> 3) < len) bit = (p[off >> 3] >> (7 - (off & 7))) & 1;
    reply_int(c, bit);
}

/* ---- BITCOUNT / BITPOS ------------------------------------------------ */

/* BITCOUNT key [start end [BYTE | BIT]] */
void cmd_bitcount(session *c)
{
    int argc = c->args.argc;
    char buf[24];
    const unsigned char *p = NULL;
    size_t len = 0;
    int wrong;
    obj *o = lookup_read_string(c, buf, &p, &len, &wrong);
    if (wrong) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    long long start = 0, end = (long long)len - 1;
    int isbit = 0;
    if (argc == 4 || argc == 5) {
        if (get_ll(c, c->args.argv[2], &start) != 0 || get_ll(c, c->args.argv[3], &end) != 0) return;
        if (start < 0 && end < 0 && start > end) {
            reply_int(c, 0);
            return;
        }
        if (argc == 5 && (isbit = parse_unit(c, c->args.argv[4])) < 0) return;
        long long total = isbit ? (long long)len * 8 : (long long)len;
        if (!clamp_range(&start, &end, total)) {
            reply_int(c, 0);
            return;
        }
    } else if (argc != 2) {
        reply_err_syntax(c);
        return;
    }
    if (start > end) {
        reply_int(c, 0);
        return;
    }
    if (isbit) reply_int(c, bm_count_range(p, (uint64_t)start, (uint64_t)end));
    else reply_int(c, bm_popcount(p + start, (size_t)(end - start + 1)));
}

/* BITPOS key bit [start [end [BYTE | BIT]]] */
void cmd_bitpos(session *c)
{
    int argc = c->args.argc;
    long long bit;
    if (!str_to_ll(c->args.argv[2], sbuf_len(c->args.argv[2]), &bit)) {
        reply_err_notint(c);
        return;
    }
    if (bit != 0 && bit != 1) {
        reply_error(c, "ERR The bit argument must be 1 or 0.");
        return;
    }
    char buf[24];
    const unsigned char *p = NULL;
    size_t len = 0;
    int wrong;
    obj *o = lookup_read_string(c, buf, &p, &len, &wrong);
    if (wrong) return;
    if (!o) {
        reply_int(c, bit ? -1 : 0);
        return;
    }
    long long start = 0, end = (long long)len - 1;
    int isbit = 0, end_given = 0;
    if (argc >= 4 && argc <= 6) {
        if (get_ll(c, c->args.argv[3], &start) != 0) return;
        if (argc == 6 && (isbit = parse_unit(c, c->args.argv[5])) < 0) return;
        if (argc >= 5) {
            if (get_ll(c, c->args.argv[4], &end) != 0) return;
            end_given = 1;
        }
        if (!clamp_range(&start, &end, isbit ? (long long)len * 8 : (long long)len)) {
            reply_int(c, -1);
            return;
        }
    } else if (argc != 3) {
        reply_err_syntax(c);
        return;
    }
    if (start > end) {
        reply_int(c, -1);
        return;
    }
    uint64_t first = isbit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t last = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    long long pos = bm_pos_range(p, first, last, (int)bit);
    /* Looking for a clear bit without an end, the string continues with
     * zeroes: the first one past the range is the answer. */
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)last + 1;
    reply_int(c, pos);
}

/* ---- BITOP ------------------------------------------------------------ */

/* BITOP <AND | OR | XOR | NOT> destkey key [key ...] */
void cmd_bitop(session *c)
{
    server *s = c->srv;
    db *d = c->db;
    const char *opname = c->args.argv[1];
    sbuf dest = c->args.argv[2];
    enum bm_op op;
    if (!strcasecmp(opname, "and")) op = BM_AND;
    else if (!strcasecmp(opname, "or")) op = BM_OR;
    else if (!strcasecmp(opname, "xor")) op = BM_XOR;
    else if (!strcasecmp(opname, "not")) op = BM_NOT;
    else {
        reply_err_syntax(c);
        return;
    }
    if (op == BM_NOT && c->args.argc != 4) {
        reply_error(c, "ERR BITOP NOT must be called with a single source key.");
        return;
    }

    size_t n = (size_t)c->args.argc - 3, maxlen = 0;
    const unsigned char **src = xmalloc(n * sizeof *src);
    size_t *len = xmalloc(n * sizeof *len);
    char (*bufs)[24] = xmalloc(n * sizeof *bufs);
    for (size_t j = 0; j < n; j++) {
        obj *o = db_lookup_read(s, d, c->args.argv[j + 3], 0);
        src[j] = NULL;
        len[j] = 0;
        if (!o) continue;
        if (o->type != OBJ_STRING) {
            reply_err_wrongtype(c);
            goto out;
        }
        src[j] = (const unsigned char *)obj_string_ptr(o, bufs[j], &len[j]);
        if (len[j] > maxlen) maxlen = len[j];
    }

    if (maxlen) {
        /* Sources stay valid: nothing is stored before the result is built. */
        sbuf res = sbuf_new(NULL, maxlen);
        bm_op(op, (unsigned char *)res, maxlen, src, len, n);
        db_set(s, d, dest, obj_new(OBJ_STRING, ENC_RAW, res), 0);
        db_signal_modified(s, d, dest);
        notify_keyspace_event(s, NOTIFY_STRING, "set", dest, c->dbid);
        s->dirty++;
    } else if (db_delete(s, d, dest)) {
        db_signal_modified(s, d, dest);
        notify_keyspace_event(s, NOTIFY_GENERIC, "del", dest, c->dbid);
        s->dirty++;
    }
    reply_int(c, (long long)maxlen);
out:
    xfree(src);
    xfree(len);
    xfree(bufs);
}

/* ---- BITFIELD --------------------------------------------------------- */

enum { BF_GET, BF_SET, BF_INCRBY };

typedef struct {
    uint64_t offset;
    int64_t value;          /* SET value or INCRBY increment */
    int opcode, sign, bits;
    enum bm_overflow ow;
} bf_op;

/* get_bf_type parses "i<bits>" (1..64) or "u<bits>" (1..63), as a C string. */
static int get_bf_type(session *c, const char *arg, int *sign, int *bits)
{
    long long v;
    if ((arg[0] == 'i' || arg[0] == 'u') && str_to_ll(arg + 1, strlen(arg + 1), &v) && v >= 1 &&
        v <= (arg[0] == 'i' ? 64 : 63)) {
        *sign = arg[0] == 'i';
        *bits = (int)v;
        return 0;
    }
    reply_error(c, "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    return -1;
}

/* bf_parse parses the subcommands into ops (n of them); -1 after an error. */
static int bf_parse(session *c, bf_op *ops, int *n, int *readonly, uint64_t *highest)
{
    enum bm_overflow ow = BM_WRAP;
    int argc = c->args.argc;
    *n = 0;
    *readonly = 1;
    *highest = 0;
    for (int j = 2; j < argc; j++) {
        int rem = argc - j - 1;
        const char *sub = c->args.argv[j];
        bf_op op = {0};
        if (!strcasecmp(sub, "get") && rem >= 2) op.opcode = BF_GET;
        else if (!strcasecmp(sub, "set") && rem >= 3) op.opcode = BF_SET;
        else if (!strcasecmp(sub, "incrby") && rem >= 3) op.opcode = BF_INCRBY;
        else if (!strcasecmp(sub, "overflow") && rem >= 1) {
            const char *t = c->args.argv[++j];
            if (!strcasecmp(t, "wrap")) ow = BM_WRAP;
            else if (!strcasecmp(t, "sat")) ow = BM_SAT;
            else if (!strcasecmp(t, "fail")) ow = BM_FAIL;
            else {
                reply_error(c, "ERR Invalid OVERFLOW type specified");
                return -1;
            }
            continue;
        } else {
            reply_err_syntax(c);
            return -1;
        }
        if (get_bf_type(c, c->args.argv[j + 1], &op.sign, &op.bits) != 0) return -1;
        if (get_bit_offset(c, c->args.argv[j + 2], 1, op.bits, &op.offset) != 0) return -1;
        if (op.opcode != BF_GET) {
            *readonly = 0;
            uint64_t top = op.offset + (uint64_t)op.bits - 1;
            if (top > *highest) *highest = top;
            long long v;
            if (get_ll(c, c->args.argv[j + 3], &v) != 0) return -1;
            op.value = v;
        }
        op.ow = ow;
        ops[(*n)++] = op;
        j += op.opcode == BF_GET ? 2 : 3;
    }
    return 0;
}

/* bf_write runs one SET or INCRBY on the string at p; replies the value
 * (or a null when OVERFLOW FAIL refused it).  Returns -1 when refused, 1
 * when the field's value changed, 0 when it was written unchanged. */
static int bf_write(session *c, unsigned char *p, const bf_op *op)
{
    int overflow;
    if (op->sign) {
        int64_t oldv = bm_get_signed(p, op->offset, op->bits), newv, wrapped = 0, ret;
        if (op->opcode == BF_INCRBY) {
            overflow = bm_overflow_signed(oldv, op->value, op->bits, op->ow, &wrapped);
            newv = overflow ? wrapped : (int64_t)((uint64_t)oldv + (uint64_t)op->value);
            ret = newv;
        } else {
            newv = op->value;
            overflow = bm_overflow_signed(newv, 0, op->bits, op->ow, &wrapped);
            if (overflow) newv = wrapped;
            ret = oldv;
        }
        if (overflow && op->ow == BM_FAIL) {
            reply_null(c);
            return -1;
        }
        reply_int(c, ret);
        bm_set_unsigned(p, op->offset, op->bits, (uint64_t)newv);
        return oldv != newv;
    }
    uint64_t oldv = bm_get_unsigned(p, op->offset, op->bits), newv, wrapped = 0, ret;
    if (op->opcode == BF_INCRBY) {
        overflow = bm_overflow_unsigned(oldv, op->value, op->bits, op->ow, &wrapped);
        newv = overflow ? wrapped : oldv + (uint64_t)op->value;
        ret = newv;
    } else {
        newv = (uint64_t)op->value;
        overflow = bm_overflow_unsigned(newv, 0, op->bits, op->ow, &wrapped);
        if (overflow) newv = wrapped;
        ret = oldv;
    }
    if (overflow && op->ow == BM_FAIL) {
        reply_null(c);
        return -1;
    }
    reply_int(c, (long long)ret);
    bm_set_unsigned(p, op->offset, op->bits, newv);
    return oldv != newv;
}

/* bf_get runs one GET on a string of len bytes at p (NULL: no key); bits
 * past the end read as zeroes. */
static void bf_get(session *c, const unsigned char *p, size_t len, const bf_op *op)
{
    unsigned char buf[9] = {0};
    uint64_t byte = op->offset >> 3;
    for (uint64_t i = 0; i < 9 && p && byte + i < len; i++) buf[i] = p[byte + i];
    uint64_t off = op->offset - byte * 8;
    if (op->sign) reply_int(c, bm_get_signed(buf, off, op->bits));
    else reply_int(c, (long long)bm_get_unsigned(buf, off, op->bits));
}

static void bitfield_generic(session *c, int ro_command)
{
    server *s = c->srv;
    sbuf key = c->args.argv[1];
    bf_op *ops = xmalloc(sizeof *ops * (size_t)(c->args.argc / 2 + 1));
    int n, readonly;
    uint64_t highest;
    if (bf_parse(c, ops, &n, &readonly, &highest) != 0) goto out;

    obj *o;
    int grown = 0;
    char buf[24];
    if (readonly) {
        o = db_lookup_read(s, c->db, key, 0);
        if (o && o->type != OBJ_STRING) {
            reply_err_wrongtype(c);
            goto out;
        }
    } else {
        if (ro_command) {
            reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand");
            goto out;
        }
        if (highest >> 3 >= (uint64_t)SBUF_MAX) {   /* proto-max-bulk-len beyond our strings */
            reply_err_offset(c);
            goto out;
        }
        if (!(o = lookup_for_bits(c, highest, &grown))) goto out;
    }

    reply_array(c, n);
    long long changes = 0;
    for (int j = 0; j < n; j++) {
        if (ops[j].opcode != BF_GET) {
            int r = bf_write(c, (unsigned char *)o->ptr, &ops[j]);
            if (r > 0 || (r == 0 && grown)) changes++;
            continue;
        }
        size_t len = 0;
        const unsigned char *p = o ? (const unsigned char *)obj_string_ptr(o, buf, &len) : NULL;
        bf_get(c, p, len, &ops[j]);
    }
    if (changes) {
        db_signal_modified(s, c->db, key);
        notify_keyspace_event(s, NOTIFY_STRING, "setbit", key, c->dbid);
        s->dirty += changes;
    } else if (grown) {
        effect_emit(s, c->dbid, c->args.argc, c->args.argv);    /* see the top of the file */
    }
out:
    xfree(ops);
}

/* BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
 *     <SET encoding offset value | INCRBY encoding offset increment>
 *     [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
 *     <SET encoding offset value | INCRBY encoding offset increment> ...]] */
void cmd_bitfield(session *c) { bitfield_generic(c, 0); }

/* BITFIELD_RO key [GET encoding offset [GET encoding offset ...]] */
void cmd_bitfield_ro(session *c) { bitfield_generic(c, 1); }
