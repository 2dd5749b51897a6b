/* aof_load.c — start-up: replay the append log through the command table.
 *
 * Every record runs as a command of a session that belongs to no
 * connection, through the command's own handler (load_call: server_call
 * without the live-traffic bookkeeping), so each command's own code
 * applies the change (no second implementation of any type).  Records are
 * decoded in place (aof_scan's views into the mapped file) and their
 * arguments copied once, into the session's argument arena; tables that
 * start growing are rehashed at once.  s->loading is set:
 * lookups do not expire keys (the log holds the DELs that expiry made)
 * and the effects of replayed commands are not logged again.  Records of
 * a MULTI/EXEC group are collected and run only once the group's last
 * record has been read, so a group cut by a crash is never half applied.
 */
#include "aof.h"
#include "aof_internal.h"
#include "aof_format.h"
#include "server.h"
#include "info.h"
#include "snapshot.h"
#include "alloc.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int load_flush(session *c) { return 0; }
static void load_noop(session *c) {}
static const session_ops load_session_ops = {
    .name = "aof-load", .flush = load_flush, .close = load_noop, .pause_read = load_noop, .resume_read = load_noop,
};

/* load_call runs a command as server_call does, minus what only live
 * traffic needs: commandstats and timing, effects (the log is what is
 * being read), blocked clients (there are none yet) and the error
 * bookkeeping of EXEC (no MULTI is replayed: groups are records).
 * Everything the handler itself does (dirty, notifications, WATCH) is
 * unchanged, and the statistics are reset once loading is over. */
static void load_call(session *c, command *cmd)
{
    server *s = c->srv;
    session *prev = s->current;
    s->current = c;
    c->eff_mode = 0;
    c->cmd = cmd;
    cmd->fn(c);
    if (c->eff_mode == 1) argv_reset(&c->eff);
    c->eff_mode = 0;
    s->current = prev;
}

/* finish_rehash completes a growing table at once: while loading nothing
 * waits on the loop, and a table left rehashing makes every lookup probe
 * two tables. */
static void finish_rehash(dict *d)
{
    if (dict_is_rehashing(d)) dict_rehash(d, 1 << 30);
}

/* lookup finds the command of c->args, remembering the last name looked
 * up (records of one key, or of one snapshot, mostly repeat it). */
static command *lookup(replay *r, server *s, session *c)
{
    sbuf name = c->args.argv[0];
    size_t len = sbuf_len(name);
    command *cmd;
    if (r->last_cmd && len == r->last_len && !memcmp(name, r->last_name, len)) {
        cmd = r->last_cmd;
    } else {
        cmd = command_lookup(s, name, len);
        r->last_cmd = NULL;
        if (cmd && len <= sizeof r->last_name) {
            memcpy(r->last_name, name, len);
            r->last_len = len;
            r->last_cmd = cmd;
        }
    }
    if (cmd && cmd->nsubs && c->args.argc >= 2)
        cmd = command_lookup_sub(cmd, c->args.argv[1], sbuf_len(c->args.argv[1]));
    return cmd;
}

/* run executes the command in r->c->args (emptied after); 0, or -1 with
 * r->err set. */
static int run(replay *r, size_t off, uint32_t db)
{
    server *s = r->s;
    session *c = r->c;
    if ((long long)db >= s->ndb) {
        snprintf(r->err, r->errlen, "record at offset %zu of %s is for db %u but there are %d databases", off,
                 r->path, db, s->ndb);
        argv_reset(&c->args);
        return -1;
    }
    if (c->dbid != (int)db) session_select(c, (int)db);
    command *cmd = lookup(r, s, c);
    if (!cmd || (cmd->arity > 0 && cmd->arity != c->args.argc) || c->args.argc < -cmd->arity) {
        snprintf(r->err, r->errlen, "record at offset %zu of %s: %s command '%.64s'", off, r->path,
                 cmd ? "wrong number of arguments for" : "unknown", c->args.argv[0]);
        argv_reset(&c->args);
        return -1;
    }
    if ((r->commands & 1023) == 0) server_update_time(s);
    load_call(c, cmd);
    r->commands++;
    if (c->olen > c->osent && c->obuf[c->osent] == '-') {
        if (++r->errors <= 10) {
            size_t n = c->olen - c->osent;
            log_warning("Append log %s, offset %zu: replayed '%s' answered %.*s", r->path, off, cmd->name,
                        (int)(n > 200 ? 200 : n - 2), c->obuf + c->osent);
        }
    }
    c->olen = c->osent = 0;
    argv_reset(&c->args);
    finish_rehash(c->db->keys);
    finish_rehash(c->db->expires);
    return 0;
}

void replay_init(replay *r, server *s)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->err = r->errbuf;
    r->errlen = sizeof r->errbuf;
    r->c = session_new(s, &load_session_ops, -1);
    r->c->flags |= SESS_AUTHENTICATED;
    snprintf(r->c->addr, sizeof r->c->addr, "aof-load");
    /* Loading publishes no keyspace events (as Redis): DEBUG RELOAD runs
     * with subscribers connected. */
    r->saved_notify = s->cfg.notify_keyspace_events;
    s->cfg.notify_keyspace_events = 0;
    s->loading = 1;
    server_update_time(s);
}

void replay_finish(replay *r)
{
    r->s->loading = 0;
    r->s->cfg.notify_keyspace_events = r->saved_notify;
    session_free(r->c);
    for (int i = 0; i < r->ngrp; i++) argv_free(&r->grp[i].args);
    xfree(r->grp);
    r->c = NULL;
    r->grp = NULL;
    r->ngrp = 0;
}

int replay_record(void *priv, size_t off, const Rill__LogRecord *rec)
{
    replay *r = priv;
    if (rec->group == AOF_GROUP_NONE) {
        /* Straight from the record into the session's arguments. */
        argv_t *a = &r->c->args;
        argv_reset(a);
        argv_reserve(a, (int)rec->n_argv);
        for (size_t i = 0; i < rec->n_argv; i++) argv_push(a, rec->argv[i].data, rec->argv[i].len);
        return run(r, off, rec->db);
    }
    if (r->ngrp == r->capgrp) {
        r->capgrp = r->capgrp ? r->capgrp * 2 : 16;
        r->grp = xrealloc(r->grp, (size_t)r->capgrp * sizeof *r->grp);
    }
    group_cmd *g = &r->grp[r->ngrp++];
    g->db = rec->db;
    argv_init(&g->args);
    for (size_t i = 0; i < rec->n_argv; i++) argv_push(&g->args, rec->argv[i].data, rec->argv[i].len);
    if (rec->group != AOF_GROUP_END) return 0;
    int rc = 0;
    for (int i = 0; i < r->ngrp && rc == 0; i++) {
        /* Swap the group's arguments in: run() empties them. */
        argv_t tmp = r->c->args;
        r->c->args = r->grp[i].args;
        r->grp[i].args = tmp;
        rc = run(r, off, r->grp[i].db);
    }
    for (int i = 0; i < r->ngrp; i++) argv_free(&r->grp[i].args);
    r->ngrp = 0;
    return rc;
}

/* segment_index: N of "<base>.N.log", or 0. */
static int segment_index(const char *base, const char *name)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) || name[bl] != '.') return 0;
    char *end;
    long n = strtol(name + bl + 1, &end, 10);
    if (n <= 0 || n > 1000000000 || strcmp(end, ".log")) return 0;
    return (int)n;
}

/* load_segment replays one segment; -1 with err set stops start-up. */
static int load_segment(aof *a, replay *r, const char *path, int last, char *err, size_t errlen)
{
    server *s = a->s;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append log segment %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "fstat %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    const uint8_t *p = NULL;
    if (size) {
        p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            snprintf(err, errlen, "mmap %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        madvise((void *)p, size, MADV_SEQUENTIAL);
    }
    close(fd);
    r->path = path;
    aof_scan_result res;
    aof_scan(p, size, last, replay_record, r, &res);
    if (p) munmap((void *)p, size);
    for (int i = 0; i < r->ngrp; i++) argv_free(&r->grp[i].args);
    r->ngrp = 0;

    switch (res.status) {
    case AOF_SCAN_OK:
        if (res.padding) {
            /* Preallocated zeros a crash left behind (aof.c prefill). */
            if (truncate(path, (off_t)res.good_end) < 0) {
                snprintf(err, errlen, "Can't cut the preallocated space of %s at offset %zu: %s", path, res.good_end,
                         strerror(errno));
                return -1;
            }
            log_verbose("Append log %s: %zu bytes of preallocated space after offset %zu cut", path, res.padding,
                        res.good_end);
            size = res.good_end;
        }
        break;
    case AOF_SCAN_STOPPED:
        snprintf(err, errlen, "Can't replay the append log: %s", r->err);
        return -1;
    case AOF_SCAN_CORRUPT:
        snprintf(err, errlen,
                 "Bad record in the append log %s at offset %zu: %s. Run rill-check-log --fix %s to truncate "
                 "the segment at the first bad record (the records after it are lost)",
                 path, res.bad_off, res.why, path);
        return -1;
    case AOF_SCAN_TORN:
        if (!s->cfg.aof_load_truncated) {
            snprintf(err, errlen,
                     "The append log %s ends with a torn record at offset %zu (%s) and aof-load-truncated is no. "
                     "Run rill-check-log --fix %s to cut it",
                     path, res.bad_off, res.why, path);
            return -1;
        }
        if (truncate(path, (off_t)res.good_end) < 0) {
            snprintf(err, errlen, "Can't truncate the torn tail of %s at offset %zu: %s", path, res.good_end,
                     strerror(errno));
            return -1;
        }
        log_warning("Append log %s: torn tail at offset %zu (%s): truncated at offset %zu, %zu bytes dropped",
                    path, res.bad_off, res.why, res.good_end, size - res.good_end);
        size = res.good_end;
        break;
    }
    a->total_size += (long long)size;
    if (last) a->seg_size = (long long)size;
    return 0;
}

int aof_load(aof *a, char *err, size_t errlen)
{
    server *s = a->s;
    const char *base = s->cfg.appendfilename;
    char path[4096];
    int rc = aof_manifest_load(&a->man, a->dirpath, a->manifest_name, err, errlen);
    if (rc < 0) return -1;
    if (rc == 1 || (a->man.nsegments == 0 && !a->man.base)) {
        /* First start: one empty segment, named by a new manifest. */
        char name[512];
        snprintf(name, sizeof name, "%s.1.log", base);
        snprintf(path, sizeof path, "%s/%s", a->dirpath, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "Can't create the append log %s: %s", path, strerror(errno));
            return -1;
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > 0) {
            snprintf(err, errlen, "The append log %s exists but no manifest names it; refusing to guess", path);
            close(fd);
            return -1;
        }
        close(fd);
        aof_manifest_free(&a->man);
        aof_manifest_add(&a->man, name);
        if (aof_manifest_store(&a->man, a->dirpath, a->manifest_name, err, errlen) != 0) return -1;
        log_notice("Append log created: %s", path);
    } else if (a->man.nsegments == 0) {
        snprintf(err, errlen, "manifest %s/%s names no segment", a->dirpath, a->manifest_name);
        return -1;
    }

    long long start = ustime_now();
    replay r;
    replay_init(&r, s);
    int failed = 0;
    int maxidx = 0;
    if (a->man.base) {
        /* The base snapshot, as it was written: keys that expired since
         * stay until the replay is over (the segments may still touch
         * them), then expire as usual. */
        snprintf(path, sizeof path, "%s/%s", a->dirpath, a->man.base);
        snapshot_load_stats st;
        if (snapshot_replay_file(&r, path, 0, &st, err, errlen) != 0) failed = 1;
        else a->base_size = st.bytes;
        maxidx = snapshot_base_index(base, a->man.base);
        a->total_size += a->base_size;
    }
    for (int i = 0; i < a->man.nsegments && !failed; i++) {
        snprintf(path, sizeof path, "%s/%s", a->dirpath, a->man.segments[i]);
        if (load_segment(a, &r, path, i == a->man.nsegments - 1, err, errlen) != 0) failed = 1;
        int idx = segment_index(base, a->man.segments[i]);
        if (idx > maxidx) maxidx = idx;
    }
    long long commands = r.commands, errors = r.errors;
    replay_finish(&r);
    if (failed) return -1;
    a->next_index = (maxidx > a->man.nsegments ? maxidx : a->man.nsegments) + 1;

    snprintf(path, sizeof path, "%s/%s", a->dirpath, a->man.segments[a->man.nsegments - 1]);
    a->fd = open(path, O_WRONLY | O_CLOEXEC);   /* written at seg_size (pwrite), see prefill in aof.c */
    if (a->fd < 0) {
        snprintf(err, errlen, "Can't open the append log %s for appending: %s", path, strerror(errno));
        return -1;
    }
    if (commands) {
        s->dirty = 0;
        info_reset_stats(s);   /* replayed commands are not traffic */
    }
    a->rewrite_base_size = a->total_size;
    log_notice("DB loaded from append only file: %.3f seconds (%lld commands from %s%d segment%s%s)",
               (double)(ustime_now() - start) / 1e6, commands, a->man.base ? "the base snapshot and " : "",
               a->man.nsegments, a->man.nsegments == 1 ? "" : "s", errors ? ", some answered errors" : "");
    return 0;
}
