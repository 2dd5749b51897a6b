/* persist.c — the background child, save points, automatic rewrite,
 * start-up loading and INFO persistence (persist.h).
 *
 * The child.  fork() copies the server copy-on-write; the child resets the
 * signals the loop handles, closes every descriptor it does not need (the
 * listeners and client sockets, so a connection the parent closes really
 * closes), writes the snapshot to a temporary file, fsyncs and renames it
 * (snapshot_write_file), measures the memory it caused to be copied
 * (Private_Dirty of /proc/self/smaps_rollup) and reports one line on a
 * pipe: "<ok> <keys> <bytes> <cow bytes> <error text>".  It never logs and
 * never touches the parent's threads' state; it ends with _exit.
 *
 * The parent reaps it from the cron.  A BGSAVE that succeeded resets the
 * change counter by the changes it covered (those made during the save
 * stay counted) and sets LASTSAVE; a rewrite that succeeded switches the
 * append log's manifest to the new base (aof_rewrite_done).  A failed or
 * killed child changes nothing but the status fields: the old dump file,
 * or the old manifest, stays in force.
 */
#include "persist.h"
#include "snapshot.h"
#include "aof.h"
#include "aof_internal.h"
#include "server.h"
#include "blocking.h"
#include "multi.h"
#include "alloc.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BGSAVE_RETRY_DELAY_S 5   /* after a failed BGSAVE, save points wait this long (Redis's) */
#define REWRITE_RETRY_DELAY_S 5

typedef struct persist {
    pid_t child;
    int child_type;              /* PERSIST_CHILD_* */
    int pipefd;                  /* read end of the child's report */
    long long child_start_ms;
    char child_path[4096];       /* the file the child writes */

    long long dirty_at_fork;
    int bgsave_scheduled, rewrite_scheduled;
    int last_bgsave_ok;
    long long last_bgsave_time_sec;  /* -1 never */
    long long last_bgsave_try;   /* unix s */
    long long rdb_saves;
    long long rdb_last_cow;
    long long load_keys_loaded, load_keys_expired;

    int last_rewrite_ok;
    long long last_rewrite_time_sec;
    long long aof_rewrites, rewrite_failures;
    long long last_rewrite_try;
    long long aof_last_cow;
    long long cow_size, cow_peak;    /* the running child's, sampled from the cron */
    long long cow_sample_ms;         /* when (0: not yet) */
} persist;

static persist *P(server *s)
{
    if (!s->persist) {
        persist *p = xcalloc(1, sizeof *p);
        p->child = -1;
        p->pipefd = -1;
        p->last_bgsave_ok = p->last_rewrite_ok = 1;
        p->last_bgsave_time_sec = p->last_rewrite_time_sec = -1;
        s->persist = p;
    }
    return s->persist;
}

static const persist *Pc(const server *s) { return s->persist; }
static void kill_child(server *s);

static void dump_path(const server *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", s->cfg.dir && s->cfg.dir[0] ? s->cfg.dir : ".", s->cfg.dbfilename);
}

/* ---- start-up ------------------------------------------------------------ */

int persist_start(server *s, char *err, size_t errlen)
{
    persist *p = P(s);
    /* A file size limit (ulimit -f) must give EFBIG, not kill us. */
    signal(SIGXFSZ, SIG_IGN);
    if (s->cfg.appendonly) return aof_start(s, err, errlen);
    if (!s->cfg.dbfilename[0] || strchr(s->cfg.dbfilename, '/')) {
        snprintf(err, errlen, "dbfilename must be a plain, non-empty file name");
        return -1;
    }
    char path[4096];
    dump_path(s, path, sizeof path);
    snapshot_load_stats st;
    int rc = snapshot_load(s, path, &st, err, errlen);
    if (rc < 0) return -1;
    if (rc == 0) {
        p->load_keys_loaded = st.keys_loaded;
        p->load_keys_expired = st.keys_expired;
    }
    return 0;
}

/* ---- the child ------------------------------------------------------------ */

/* private_dirty reads Private_Dirty (bytes) from a smaps_rollup file; 0
 * if it can't. */
static long long private_dirty(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "Private_Dirty:", 14)) {
            kb = atoll(line + 14);
            break;
        }
    fclose(f);
    return kb * 1024;
}

static long long private_dirty_self(void) { return private_dirty("/proc/self/smaps_rollup"); }

/* sample_cow updates INFO current_cow_size/peak from the running child's
 * smaps_rollup, at most once a second (it walks the child's mappings). */
static void sample_cow(server *s)
{
    persist *p = P(s);
    long long now = mstime_now();
    if (p->child <= 0 || now - p->cow_sample_ms < 1000) return;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)p->child);
    p->cow_size = private_dirty(path);
    if (p->cow_size > p->cow_peak) p->cow_peak = p->cow_size;
    p->cow_sample_ms = now;
}

static void close_other_fds(int keep)
{
    /* keep is 3 after the dup2 below: everything above goes. */
    (void)keep;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 4u, ~0u, 0u) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = 4; fd < max; fd++) close(fd);
}

static void child_main(server *s, int wfd, const char *path)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    if (wfd != 3) {
        dup2(wfd, 3);
        close(wfd);
    }
    close_other_fds(3);
    snapshot_write_stats st = {0};
    char err[600] = "";
    int rc = snapshot_write_file(s, path, s->cfg.rdb_key_save_delay, &st, err, sizeof err);
    char msg[800];
    int n = snprintf(msg, sizeof msg, "%d %lld %lld %lld %s\n", rc == 0, st.keys, st.bytes, private_dirty_self(),
                     rc == 0 ? "-" : err);
    if (n > (int)sizeof msg - 1) n = (int)sizeof msg - 1;
    if (write(3, msg, (size_t)n) < 0) { /* the parent will see a failure */ }
    _exit(rc == 0 ? 0 : 1);
}

/* start_child forks a child writing path; 0, or -1 (logged). */
static int start_child(server *s, int type, const char *path)
{
    persist *p = P(s);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        log_warning("Can't save in background: pipe: %s", strerror(errno));
        return -1;
    }
    long long start = ustime_now();
    pid_t pid = fork();
    if (pid < 0) {
        log_warning("Can't save in background: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(s, fds[1], path);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    p->child = pid;
    p->child_type = type;
    p->pipefd = fds[0];
    p->child_start_ms = mstime_now();
    p->cow_size = p->cow_peak = p->cow_sample_ms = 0;
    snprintf(p->child_path, sizeof p->child_path, "%s", path);
    log_notice("Background %s started by pid %d (fork took %.3f ms)",
               type == PERSIST_CHILD_RDB ? "saving" : "append only file rewriting", (int)pid,
               (double)(ustime_now() - start) / 1000.0);
    return 0;
}

/* ---- BGSAVE, SAVE, rewrite ------------------------------------------------- */

int persist_child_type(const server *s) { return Pc(s) ? Pc(s)->child_type : PERSIST_CHILD_NONE; }

int persist_bgsave(server *s)
{
    persist *p = P(s);
    if (p->child > 0) return -1;
    char path[4096];
    dump_path(s, path, sizeof path);
    p->last_bgsave_try = s->mstime / 1000;
    p->dirty_at_fork = s->dirty;
    if (start_child(s, PERSIST_CHILD_RDB, path) != 0) {
        p->last_bgsave_ok = 0;
        return -1;
    }
    p->bgsave_scheduled = 0;
    return 0;
}

/* save_sync writes the dump file on the core thread; count: it is a SAVE
 * (INFO rdb_saves).  0, or -1 (logged). */
static int save_sync(server *s, int count)
{
    persist *p = P(s);
    char path[4096], err[1024];
    dump_path(s, path, sizeof path);
    snapshot_write_stats st;
    long long start = ustime_now();
    if (snapshot_write_file(s, path, 0, &st, err, sizeof err) != 0) {
        log_warning("%s", err);
        p->last_bgsave_ok = 0;
        return -1;
    }
    log_notice("DB saved on disk (%lld keys, %lld bytes, %.3f seconds)", st.keys, st.bytes,
               (double)(ustime_now() - start) / 1e6);
    s->dirty = 0;
    s->lastsave = time(NULL);
    p->last_bgsave_ok = 1;
    if (count) p->rdb_saves++;
    return 0;
}

int persist_save(server *s)
{
    persist *p = P(s);
    if (p->child > 0 && p->child_type == PERSIST_CHILD_RDB) {
        log_warning("Background save already in progress");
        return -1;
    }
    return save_sync(s, 1);
}

int persist_flushall(server *s)
{
    persist *p = P(s);
    if (p->child > 0 && p->child_type == PERSIST_CHILD_RDB) {
        log_notice("FLUSHALL: killing the background save child, its snapshot is out of date");
        kill_child(s);
        p->last_bgsave_ok = 1;   /* killed, not failed (Redis) */
    }
    if (!s->cfg.save[0]) return 0;
    save_sync(s, 0);   /* as Redis 7.0: not counted in rdb_saves; resets the change counter */
    return 1;
}

int persist_debug_reload(server *s, int save)
{
    persist *p = P(s);
    char path[4096], err[2048];
    if (save && save_sync(s, 0) != 0) return -1;
    multi_touch_db(s, NULL);
    for (int i = 0; i < s->ndb; i++) {
        db_empty(s, &s->dbs[i], 0);
        block_signal_db(s, &s->dbs[i]);
    }
    dump_path(s, path, sizeof path);
    long long dirty = s->dirty;
    snapshot_load_stats st;
    replay r;
    replay_init(&r, s);
    int rc = access(path, F_OK) == 0 ? snapshot_replay_file(&r, path, 1, &st, err, sizeof err) : -1;
    if (rc != 0 && access(path, F_OK) != 0) snprintf(err, sizeof err, "%.1500s: %s", path, strerror(errno));
    replay_finish(&r);
    s->dirty = dirty;   /* loading is not a change */
    if (rc != 0) {
        /* As Redis: the data is gone and the error says so; the log, if
         * on, still holds everything. */
        log_warning("DEBUG RELOAD: %s", err);
        for (int i = 0; i < s->ndb; i++) db_empty(s, &s->dbs[i], 0);
        return -2;
    }
    p->load_keys_loaded = st.keys_loaded;
    p->load_keys_expired = st.keys_expired;
    log_warning("DB reloaded by DEBUG RELOAD");
    return 0;
}

int persist_rewrite(server *s)
{
    persist *p = P(s);
    if (p->child > 0 || !aof_enabled(s)) return -1;
    char path[4096], err[512];
    p->last_rewrite_try = s->mstime / 1000;
    if (s->in_exec) {
        p->rewrite_scheduled = 1;   /* a MULTI/EXEC's records are not out yet */
        aof_set_rewrite_scheduled(s, 1);
        return 0;
    }
    if (aof_rewrite_prepare(s, path, sizeof path, err, sizeof err) != 0) {
        log_warning("Can't rewrite the append only file in background: %s", err);
        p->last_rewrite_ok = 0;
        p->rewrite_failures++;
        return -1;
    }
    if (start_child(s, PERSIST_CHILD_AOF, path) != 0) {
        aof_rewrite_failed(s);
        p->last_rewrite_ok = 0;
        p->rewrite_failures++;
        return -1;
    }
    p->rewrite_scheduled = 0;
    aof_set_rewrite_scheduled(s, 0);
    return 0;
}

void persist_schedule_bgsave(server *s) { P(s)->bgsave_scheduled = 1; }

void persist_schedule_rewrite(server *s)
{
    P(s)->rewrite_scheduled = 1;
    aof_set_rewrite_scheduled(s, 1);
}

int persist_bgsave_failed(const server *s)
{
    const persist *p = Pc(s);
    return p && !p->last_bgsave_ok && s->cfg.stop_writes_on_bgsave_error && s->cfg.save[0];
}

/* ---- reaping ------------------------------------------------------------- */

static void child_done(server *s, int status)
{
    persist *p = P(s);
    char msg[800] = "";
    ssize_t n = read(p->pipefd, msg, sizeof msg - 1);
    if (n > 0) msg[n] = '\0';
    close(p->pipefd);
    p->pipefd = -1;
    int ok = 0;
    long long keys = 0, bytes = 0, cow = 0;
    char why[700] = "";
    if (n > 0 && sscanf(msg, "%d %lld %lld %lld %699[^\n]", &ok, &keys, &bytes, &cow, why) < 4) ok = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ok = 0;
    long long secs = (mstime_now() - p->child_start_ms + 500) / 1000;
    int type = p->child_type;
    p->child = -1;
    p->child_type = PERSIST_CHILD_NONE;

    if (!ok) {
        if (WIFSIGNALED(status))
            snprintf(why, sizeof why, "the child was killed by signal %d", WTERMSIG(status));
        else if (!why[0] || !strcmp(why, "-"))
            snprintf(why, sizeof why, "the child exited with status %d", WEXITSTATUS(status));
    }
    if (type == PERSIST_CHILD_RDB) {
        p->last_bgsave_time_sec = secs;
        if (ok) {
            s->dirty -= p->dirty_at_fork;
            if (s->dirty < 0) s->dirty = 0;
            s->lastsave = time(NULL);
            p->last_bgsave_ok = 1;
            p->rdb_saves++;
            p->rdb_last_cow = cow;
            log_notice("Background saving terminated with success (%lld keys, %lld bytes, %lld MB copied on write)",
                       keys, bytes, cow >> 20);
        } else {
            p->last_bgsave_ok = 0;
            log_warning("Background saving error: %s", why);
        }
        return;
    }
    p->last_rewrite_time_sec = secs;
    if (ok) {
        char err[1024];
        if (aof_rewrite_done(s, bytes, err, sizeof err) == 0) {
            p->last_rewrite_ok = 1;
            p->aof_rewrites++;
            p->rewrite_failures = 0;
            p->aof_last_cow = cow;
            log_notice("Background append only file rewriting terminated with success (%lld keys, base %lld bytes)",
                       keys, bytes);
            return;
        }
        snprintf(why, sizeof why, "switching the manifest: %.600s", err);
    }
    aof_rewrite_failed(s);
    p->last_rewrite_ok = 0;
    p->rewrite_failures++;
    log_warning("Background append only file rewriting error: %s (the previous files stay in use)", why);
}

/* temp_of: the temporary file a child with pid writes next to path. */
static void temp_of(const char *path, int pid, char *buf, size_t len)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    snprintf(buf, len, "%s/temp-%d.rill", slash ? dir : ".", pid);
}

static void reap(server *s)
{
    persist *p = P(s);
    if (p->child <= 0) return;
    int status;
    pid_t pid = waitpid(p->child, &status, WNOHANG);
    if (pid == 0) return;
    if (pid < 0) {
        log_warning("waitpid on the background child %d: %s", (int)p->child, strerror(errno));
        status = 1 << 8;
    }
    char tmp[4200];
    temp_of(p->child_path, (int)p->child, tmp, sizeof tmp);
    child_done(s, status);
    unlink(tmp);   /* left only by a child that failed or was killed */
}

static void kill_child(server *s)
{
    persist *p = P(s);
    if (p->child <= 0) return;
    char tmp[4200];
    temp_of(p->child_path, (int)p->child, tmp, sizeof tmp);
    kill(p->child, SIGKILL);
    int status;
    waitpid(p->child, &status, 0);
    unlink(tmp);
    if (p->child_type == PERSIST_CHILD_AOF) aof_rewrite_failed(s);
    close(p->pipefd);
    p->pipefd = -1;
    p->child = -1;
    p->child_type = PERSIST_CHILD_NONE;
}

/* ---- cron ------------------------------------------------------------------ */

/* save_point_due: one of the configured "<seconds> <changes>" pairs is met. */
static int save_point_due(server *s)
{
    const char *q = s->cfg.save;
    long long now = s->mstime / 1000;
    while (*q) {
        char *end;
        long long secs = strtoll(q, &end, 10);
        if (end == q) break;
        long long changes = strtoll(end, &end, 10);
        q = end;
        while (*q == ' ') q++;
        if (s->dirty >= changes && now - (long long)s->lastsave > secs) {
            log_notice("%lld changes in %lld seconds. Saving...", changes, secs);
            return 1;
        }
    }
    return 0;
}

void persist_cron(server *s)
{
    persist *p = P(s);
    reap(s);
    if (p->child > 0) {
        sample_cow(s);
        return;
    }
    long long now = s->mstime / 1000;
    if (p->rewrite_scheduled && aof_enabled(s) && !s->in_exec) {
        persist_rewrite(s);
        return;
    }
    if (p->bgsave_scheduled) {
        persist_bgsave(s);
        return;
    }
    if (s->cfg.save[0] && (p->last_bgsave_ok || now - p->last_bgsave_try > BGSAVE_RETRY_DELAY_S) &&
        save_point_due(s)) {
        persist_bgsave(s);
        return;
    }
    if (aof_enabled(s) && s->cfg.auto_aof_rewrite_percentage > 0 &&
        aof_current_size(s) > s->cfg.auto_aof_rewrite_min_size &&
        (p->last_rewrite_ok || now - p->last_rewrite_try > REWRITE_RETRY_DELAY_S)) {
        long long base = aof_rewrite_base_size(s);
        if (base <= 0) base = 1;
        long long growth = aof_current_size(s) * 100 / base - 100;
        if (growth >= s->cfg.auto_aof_rewrite_percentage) {
            log_notice("Starting automatic rewriting of AOF on %lld%% growth", growth);
            persist_rewrite(s);
        }
    }
}

/* ---- shutdown, INFO, free ------------------------------------------------- */

int persist_shutdown(server *s, int save, int nosave)
{
    persist *p = P(s);
    if (p->child > 0) {
        log_warning("There is a child %s, killing it!",
                    p->child_type == PERSIST_CHILD_RDB ? "saving an .rdb" : "rewriting the AOF");
        kill_child(s);
    }
    if (nosave || (!save && !s->cfg.save[0])) return 0;
    log_notice("Saving the final snapshot before exiting.");
    if (persist_save(s) != 0) {
        log_warning("Error trying to save the DB, can't exit.");
        return -1;
    }
    return 0;
}

sbuf persist_info(server *s, sbuf out)
{
    persist *p = P(s);
    long long now_ms = mstime_now();
    int rdb = p->child > 0 && p->child_type == PERSIST_CHILD_RDB;
    int aofc = p->child > 0 && p->child_type == PERSIST_CHILD_AOF;
    long long cur = p->child > 0 ? (now_ms - p->child_start_ms) / 1000 : -1;
    int live = p->child > 0;
    out = sbuf_catfmt(out,
        "loading:%d\r\n"
        "async_loading:0\r\n"
        "current_cow_peak:%lld\r\n"
        "current_cow_size:%lld\r\n"
        "current_cow_size_age:%lld\r\n"
        "current_fork_perc:0.00\r\n"
        "current_save_keys_processed:0\r\n"
        "current_save_keys_total:0\r\n"
        "rdb_changes_since_last_save:%lld\r\n"
        "rdb_bgsave_in_progress:%d\r\n"
        "rdb_last_save_time:%lld\r\n"
        "rdb_last_bgsave_status:%s\r\n"
        "rdb_last_bgsave_time_sec:%lld\r\n"
        "rdb_current_bgsave_time_sec:%lld\r\n"
        "rdb_saves:%lld\r\n"
        "rdb_last_cow_size:%lld\r\n"
        "rdb_last_load_keys_expired:%lld\r\n"
        "rdb_last_load_keys_loaded:%lld\r\n"
        "aof_enabled:%d\r\n"
        "aof_rewrite_in_progress:%d\r\n"
        "aof_rewrite_scheduled:%d\r\n"
        "aof_last_rewrite_time_sec:%lld\r\n"
        "aof_current_rewrite_time_sec:%lld\r\n"
        "aof_last_bgrewrite_status:%s\r\n"
        "aof_rewrites:%lld\r\n"
        "aof_rewrites_consecutive_failures:%lld\r\n"
        "aof_last_write_status:%s\r\n"
        "aof_last_cow_size:%lld\r\n"
        "module_fork_in_progress:0\r\n"
        "module_fork_last_cow_size:0\r\n",
        s->loading ? 1 : 0, live ? p->cow_peak : 0, live ? p->cow_size : 0,
        live && p->cow_sample_ms ? (now_ms - p->cow_sample_ms) / 1000 : 0, s->dirty, rdb, (long long)s->lastsave, p->last_bgsave_ok ? "ok" : "err",
        p->last_bgsave_time_sec, rdb ? cur : -1, p->rdb_saves, p->rdb_last_cow, p->load_keys_expired,
        p->load_keys_loaded, aof_enabled(s), aofc, p->rewrite_scheduled, p->last_rewrite_time_sec, aofc ? cur : -1,
        p->last_rewrite_ok ? "ok" : "err", p->aof_rewrites, p->rewrite_failures, aof_last_write_status(s),
        p->aof_last_cow);
    return aof_info_tail(s, out);   /* aof_current_size ... when the log is on */
}

void persist_free(server *s)
{
    if (!s->persist) return;
    kill_child(s);
    xfree(s->persist);
    s->persist = NULL;
}
