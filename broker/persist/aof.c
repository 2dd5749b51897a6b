/* aof.c — the append log at run time: effect sink, writes, fsync thread,
 * group commit, segments, write errors.  Start-up replay is aof_load.c.
 *
 * Sequence numbers tie replies to the disk.  The records buffered during a
 * loop iteration become write number next_seq when aof_before_sleep
 * writes them; a session whose command produced records there waits for
 * that number (c->aof_wait_seq).  The fsync thread records in done_seq the
 * newest write its last fsync covered (every write made before the fsync
 * started) and pokes the loop through an eventfd; the loop then releases
 * the sessions whose number is covered.  A write that fails keeps its
 * number and the buffer: it is retried each iteration, the waiting
 * sessions keep waiting, and write commands are refused with -MISCONF.
 *
 * Group commit under `always`: the thread starts an fsync as soon as a
 * write is not covered by one (an fsync covers every write made before it
 * starts).  While replies wait for an fsync, the loop waits for its end
 * (aof_wait_fsync) instead of reading again at once: the requests that
 * arrive meanwhile are read in one iteration after it and share the next
 * fsync, as in Redis, whose loop is blocked by its fsync.  Reading them as
 * they came instead, a few per iteration, cost each its own loop wake-up
 * and its own small fsync (bench/RESULTS.md, session 5).  The wait is
 * bounded (twice the recent fsync time, at most FSYNC_WAIT_MAX_NS, once
 * per write): a slow disk delays the other clients by that much per
 * write, and then the loop serves them while the fsync goes on.
 *
 * The fsync thread follows the core thread's CPU (its affinity is set to
 * the CPU the core thread last wrote from, under `always` only), and the
 * loop wakes it when it goes to wait rather than right after the write.
 * The two alternate, each waiting while the other works: on one CPU they
 * wake each other without a cross-CPU interrupt (costly on a virtual
 * machine), the fsync's own CPU work (submitting the write, the device's
 * notification) does not land on a CPU a client is using, and a thread
 * woken while the loop still flushes replies does not preempt it.
 * Measured on the two-core VM against redis-benchmark -P 1 -c 50
 * (docs/decisions.md): unpinned, 69-74k requests/s against 89-97k;
 * woken at once, 2 involuntary switches of the loop per fsync and half
 * again as many fsyncs.  So that the disk starts on the records before
 * the thread runs, the write is followed by sync_file_range(WRITE), which
 * submits the pages without waiting: the fsync that comes after finds
 * them written or in flight and mostly waits for the device's cache flush
 * (fsync 90 -> 45 us; throughput +4-6% at -c 50, +24% at -c 4).
 *
 * Preallocation under `always`: fdatasync after an append that grows the
 * file must also commit the new size and blocks through the file system's
 * journal; after a write over blocks that already exist it only flushes
 * data (about 40% faster per fsync on ext4 here, bench/RESULTS.md).  So the
 * newest segment is kept filled with zeros a little ahead of the records
 * (prefill), records overwrite the zeros, and the zeros are cut off again
 * when the segment is closed or rotated, or at the next start-up after a
 * crash (aof_scan reports zeros after the last record as padding).
 *
 * Segment switch: once the newest segment reaches aof-segment-size, a new
 * file is created, the manifest naming it is replaced durably (on the core
 * thread: it is rare), and the old descriptor is handed to the fsync
 * thread, which fsyncs and closes it before its next fsync of the new one
 * (so a covered write number still means "on disk" across the switch).
 */
#include "aof.h"
#include "aof_internal.h"
#include "aof_format.h"
#include "server.h"
#include "effect.h"
#include "alloc.h"
#include "log.h"
#include "snapshot.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WRITE_ERROR_LOG_PERIOD_MS 30000
#define MAX_POSTPONE_MS 2000
#define FSYNC_WAIT_MIN_NS 50000LL
#define FSYNC_WAIT_MAX_NS 500000LL
#define PREFILL_AHEAD (1LL << 20)
#define PREFILL_RETRY_MS 1000

/* ---- the fsync thread ------------------------------------------------- */

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono_ms(void) { return mono_ns() / 1000000; }


/* follow_core keeps the fsync thread on CPU want (the core thread's, under
 * `always`) or, for -1, gives it back its first affinity (see above).
 * Called by the thread; *on is the CPU it is held to, or -1.  0, or -1 when
 * the thread may not run there. */
static int follow_core(int want, const cpu_set_t *first, int *on)
{
    if (want == *on) return 0;
    cpu_set_t set;
    if (want >= 0 && want < CPU_SETSIZE) {
        CPU_ZERO(&set);
        CPU_SET(want, &set);
    } else {
        set = *first;
        want = -1;
    }
    if (sched_setaffinity(0, sizeof set, &set) != 0) return -1;
    *on = want;
    return 0;
}

static void *fsync_main(void *arg)
{
    aof *a = arg;
    cpu_set_t first;
    int on = -1;
    if (sched_getaffinity(0, sizeof first, &first) != 0) CPU_ZERO(&first);
    pthread_mutex_lock(&a->mu);
    long long next_due = mono_ms() + 1000;
    while (!a->stop) {
        int want = a->nretired > 0;
        if (a->policy == AOF_FSYNC_ALWAYS && a->written_seq > a->done_seq) want = 1;
        if (a->policy == AOF_FSYNC_EVERYSEC && a->written_seq > a->done_seq && mono_ms() >= next_due) want = 1;
        if (!want) {
            if (a->policy == AOF_FSYNC_EVERYSEC) {
                long long now = mono_ms();
                if (next_due <= now) next_due = now + 1000;
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                long long ms = next_due - now;
                ts.tv_sec += ms / 1000;
                ts.tv_nsec += (ms % 1000) * 1000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&a->cv, &a->mu, &ts);
            } else {
                a->th_idle = 1;
                pthread_cond_wait(&a->cv, &a->mu);
                a->th_idle = 0;
            }
            continue;
        }
        int cpu = a->policy == AOF_FSYNC_ALWAYS && !a->no_follow ? a->core_cpu : -1;
        uint64_t target = a->written_seq;
        int fd = a->th_fd;
        int retired[AOF_MAX_RETIRED];
        int nretired = a->nretired;
        memcpy(retired, a->retired, sizeof retired);
        a->nretired = 0;
        a->in_progress = 1;
        pthread_mutex_unlock(&a->mu);

        if (CPU_COUNT(&first) > 1 && follow_core(cpu, &first, &on) != 0) {
            pthread_mutex_lock(&a->mu);
            a->no_follow = 1;   /* not allowed there (a cpuset?): stays where it is */
            pthread_mutex_unlock(&a->mu);
        }
        int delay = __atomic_load_n(&a->debug_fsync_delay_ms, __ATOMIC_RELAXED);
        if (delay > 0) {
            struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        int err = 0;
        long long t0 = mono_ns();
        for (int i = 0; i < nretired; i++) {
            if (fdatasync(retired[i]) < 0 && !err) err = errno;
            close(retired[i]);
        }
        if (fd >= 0 && fdatasync(fd) < 0 && !err) err = errno;

        pthread_mutex_lock(&a->mu);
        a->in_progress = 0;
        a->fsyncs++;
        a->fsync_ns = mono_ns() - t0;
        if (err) {
            __atomic_store_n(&a->fsync_errno, err, __ATOMIC_RELAXED);
        } else {
            __atomic_store_n(&a->fsync_errno, 0, __ATOMIC_RELAXED);
            if (target > a->done_seq) a->done_seq = target;
        }
        next_due = mono_ms() + 1000;
        uint64_t one = 1;
        if (write(a->efd, &one, sizeof one) < 0) { /* counter already set: the loop will look */ }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ---- group commit: held sessions ------------------------------------- */

static void hold_current(aof *a)
{
    session *c = a->s->current;
    if (a->s->cfg.appendfsync != AOF_FSYNC_ALWAYS || !c || (c->flags & SESS_CLOSE_ASAP)) return;
    c->aof_wait_seq = a->next_seq;
    if (c->flags & SESS_AOF_WAIT) return;
    c->flags |= SESS_AOF_WAIT;
    if (a->nheld == a->capheld) {
        a->capheld = a->capheld ? a->capheld * 2 : 64;
        a->held = xrealloc(a->held, (size_t)a->capheld * sizeof *a->held);
    }
    a->held[a->nheld++] = c->id;
}

/* release_held lets out the sessions whose records are on disk (all of
 * them if all is set). */
static void release_held(aof *a, uint64_t done, int all)
{
    server *s = a->s;
    int k = 0, out = 0;
    for (int i = 0; i < a->nheld; i++) {
        session *c = dict_fetch(s->clients_by_id, (void *)(uintptr_t)a->held[i]);
        if (!c || !(c->flags & SESS_AOF_WAIT)) continue;
        if (all || c->aof_wait_seq <= done) {
            c->flags &= ~SESS_AOF_WAIT;
            a->released++;
            out++;
            session_mark_write(c);
        } else {
            a->held[k++] = a->held[i];
        }
    }
    a->nheld = k;
}

static void on_fsynced(evutil_socket_t fd, short what, void *arg)
{
    aof *a = arg;
    uint64_t n;
    if (read(a->efd, &n, sizeof n) < 0) { /* spurious wake-up */ }
    pthread_mutex_lock(&a->mu);
    uint64_t done = a->done_seq;
    int err = a->fsync_errno;
    pthread_mutex_unlock(&a->mu);
    if (err) {
        if (a->s->cfg.appendfsync == AOF_FSYNC_ALWAYS) {
            /* What the kernel did with the failed pages is unknown: nothing
             * held may be acknowledged, and nothing later either. */
            log_warning("Can't persist the append log for fsync error when the AOF fsync policy is 'always': %s. "
                        "Exiting...", strerror(err));
            exit(1);
        }
        if (!a->fsync_err_logged) log_warning("Background fsync of the append log failed: %s", strerror(err));
        a->fsync_err_logged = 1;
        return;
    }
    if (a->fsync_err_logged) log_warning("Background fsync of the append log succeeded again.");
    a->fsync_err_logged = 0;
    a->last_fsync_ms = a->s->mstime;
    if (a->nheld) release_held(a, done, 0);
}

/* ---- the effect sink --------------------------------------------------- */

static void encode(aof *a, int dbid, uint32_t group, int argc, sbuf *argv)
{
    size_t small[16] = {0};   /* (gcc cannot see argc >= 1 here) */
    size_t *lens = argc <= 16 ? small : xmalloc((size_t)argc * sizeof *lens);
    for (int i = 0; i < argc; i++) lens[i] = sbuf_len(argv[i]);
    aofrec_append(&a->buf, (uint32_t)dbid, group, argc, (const char *const *)argv, lens);
    if (lens != small) xfree(lens);
}

static void flush_pending(aof *a, uint32_t group)
{
    encode(a, a->pend_db, group, a->pend.argc, a->pend.argv);
    argv_reset(&a->pend);
    a->have_pend = 0;
}

/* Inside a MULTI/EXEC group each effect is kept until the next one (or
 * the end) shows whether it is first, middle or last; a group of one
 * effect is written as a plain record. */
static void sink_emit(void *priv, int dbid, int argc, sbuf *argv)
{
    aof *a = priv;
    if (a->s->loading || argc <= 0) return;
    if (a->in_group) {
        if (a->have_pend) {
            flush_pending(a, a->group_first ? AOF_GROUP_BEGIN : AOF_GROUP_MORE);
            a->group_first = 0;
        }
        for (int i = 0; i < argc; i++) argv_push(&a->pend, argv[i], sbuf_len(argv[i]));
        a->pend_db = dbid;
        a->have_pend = 1;
    } else {
        encode(a, dbid, AOF_GROUP_NONE, argc, argv);
    }
    hold_current(a);
}

static void sink_group(void *priv, int begin)
{
    aof *a = priv;
    if (a->s->loading) return;
    if (begin) {
        a->in_group = 1;
        a->group_first = 1;
        return;
    }
    if (a->have_pend) flush_pending(a, a->group_first ? AOF_GROUP_NONE : AOF_GROUP_END);
    a->in_group = 0;
}

/* ---- writing ----------------------------------------------------------- */

/* prefill makes sure the newest segment holds zeros from the end of the
 * records to at least need + PREFILL_AHEAD (when it holds fewer than need).
 * A failure (a full disk) is not an error: records are then appended
 * past the zeros as usual, and prefill rests a while. */
static void prefill(aof *a, long long need)
{
    static const char zeros[65536];
    if (a->fill_end >= need || a->s->mstime < a->prefill_retry_ms) return;
    long long from = a->fill_end > a->seg_size ? a->fill_end : a->seg_size, to = need + PREFILL_AHEAD;
    while (from < to) {
        size_t n = to - from < (long long)sizeof zeros ? (size_t)(to - from) : sizeof zeros;
        ssize_t w = pwrite(a->fd, zeros, n, (off_t)from);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            /* Give the space back, rest, and append as usual. */
            if (ftruncate(a->fd, (off_t)a->seg_size) == 0) from = a->seg_size;
            a->prefill_retry_ms = a->s->mstime + PREFILL_RETRY_MS;
            break;
        }
        from += w;
    }
    a->fill_end = from;
}

/* cut_prefill removes the zeros after the records of the newest segment. */
static void cut_prefill(aof *a)
{
    if (a->fd < 0 || a->fill_end <= a->seg_size) return;
    if (ftruncate(a->fd, (off_t)a->seg_size) < 0)
        log_warning("Append log: can't cut the preallocated space after offset %lld: %s (start-up will)",
                    a->seg_size, strerror(errno));
    a->fill_end = a->seg_size;
}

/* rotate starts a new segment; on failure (-1, logged) the newest one
 * stays in use. */
static int rotate(aof *a)
{
    char name[512], path[4096], err[512];
    snprintf(name, sizeof name, "%s.%d.log", a->s->cfg.appendfilename, a->next_index);
    snprintf(path, sizeof path, "%s/%s", a->dirpath, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_warning("Can't create the append log segment %s: %s", path, strerror(errno));
        return -1;
    }
    aof_manifest_add(&a->man, name);
    if (aof_manifest_store(&a->man, a->dirpath, a->manifest_name, err, sizeof err) != 0) {
        log_warning("Can't switch to a new append log segment: %s", err);
        xfree(a->man.segments[--a->man.nsegments]);
        close(fd);
        unlink(path);
        return -1;
    }
    a->next_index++;
    cut_prefill(a);
    pthread_mutex_lock(&a->mu);
    if (a->nretired == AOF_MAX_RETIRED) {
        /* The thread is far behind: settle the oldest here. */
        fdatasync(a->retired[0]);
        close(a->retired[0]);
        memmove(a->retired, a->retired + 1, (AOF_MAX_RETIRED - 1) * sizeof(int));
        a->nretired--;
    }
    a->retired[a->nretired++] = a->fd;
    a->th_fd = fd;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    a->fd = fd;
    a->seg_size = 0;
    a->fill_end = 0;
    log_notice("Append log: new segment %s", name);
    return 0;
}

/* write_buffer writes a->buf to the newest segment.  0, or -1 after a
 * failure (a->write_errno set, buffer kept, the file as before it). */
static int write_buffer(aof *a)
{
    server *s = a->s;
    size_t off = 0, len = a->buf.len;
    int err = 0;
    if (a->debug_fail_errno) err = a->debug_fail_errno;
    else if (s->cfg.appendfsync == AOF_FSYNC_ALWAYS) prefill(a, a->seg_size + (long long)len);
    while (!err && off < len) {
        ssize_t w = pwrite(a->fd, a->buf.p + off, len - off, (off_t)(a->seg_size + (long long)off));
        if (w < 0) {
            if (errno == EINTR) continue;
            err = errno;
        } else if (w == 0) {
            err = ENOSPC;
        } else {
            off += (size_t)w;
        }
    }
    if (err) {
        if (off > 0) {
            /* Take the partial write back so a retry appends whole records. */
            a->fill_end = 0;
            if (ftruncate(a->fd, (off_t)a->seg_size) < 0) {
                log_warning("Could not remove a short write from the append log (ftruncate: %s): "
                            "keeping the %zu bytes written",
                            strerror(errno), off);
                aof_buf_consume(&a->buf, off);
                a->seg_size += (long long)off;
                a->total_size += (long long)off;
            }
        }
        if (!a->write_errno || s->mstime - a->last_err_log_ms > WRITE_ERROR_LOG_PERIOD_MS) {
            log_warning("Error writing to the append log: %s (writes are refused until it succeeds)", strerror(err));
            a->last_err_log_ms = s->mstime;
        }
        a->write_errno = err;
        return -1;
    }
    aof_buf_consume(&a->buf, len);
    if (s->cfg.appendfsync == AOF_FSYNC_ALWAYS) {
        /* Start writing the records out now, while the loop flushes
         * replies; the fsync then mostly waits and flushes the device's
         * cache (see the top of the file).  A hint: failure is harmless. */
        (void)sync_file_range(a->fd, (off_t)a->seg_size, (off_t)len, SYNC_FILE_RANGE_WRITE);
    }
    a->seg_size += (long long)len;
    a->total_size += (long long)len;
    if (a->write_errno) {
        log_warning("Append log write error looks solved, Rill can write again.");
        a->write_errno = 0;
    }
    return 0;
}

/* commit_buffer writes the buffer as the next write number and asks the
 * thread for the fsync the policy needs.  0, or -1 (write_buffer failed). */
static int commit_buffer(aof *a)
{
    if (write_buffer(a) != 0) return -1;
    uint64_t seq = a->next_seq++;
    pthread_mutex_lock(&a->mu);
    a->written_seq = seq;
    if (a->s->cfg.appendfsync == AOF_FSYNC_ALWAYS) {
        a->core_cpu = sched_getcpu();
        /* With replies held, the loop wakes the thread when it goes to
         * wait (aof_wait_fsync); with none, at once. */
        if (!a->nheld && a->th_idle) pthread_cond_signal(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return 0;
}

void aof_before_sleep(server *s)
{
    aof *a = s->aof;
    if (!a || a->buf.len == 0) return;
    if (a->in_group) return;   /* never split a MULTI/EXEC group (cannot happen between commands) */
    int policy = s->cfg.appendfsync;
    if (policy == AOF_FSYNC_EVERYSEC) {
        pthread_mutex_lock(&a->mu);
        int busy = a->in_progress;
        pthread_mutex_unlock(&a->mu);
        if (busy) {
            /* A write to a file being fsynced may block: wait a little. */
            long long now = mono_ms();
            if (a->postponed_since == 0) {
                a->postponed_since = now;
                return;
            }
            if (now - a->postponed_since < MAX_POSTPONE_MS) return;
            a->delayed_fsync++;
            log_notice("Asynchronous append log fsync is taking too long (disk is busy?). Writing the AOF buffer "
                       "without waiting for fsync to complete, this may slow down Rill.");
        }
        a->postponed_since = 0;
    }
    if (commit_buffer(a) != 0) return;
    if (a->seg_size >= s->cfg.aof_segment_size) rotate(a);
}

int aof_wait_fsync(server *s)
{
    aof *a = s->aof;
    if (!a || !a->nheld || s->cfg.appendfsync != AOF_FSYNC_ALWAYS) return 0;
    pthread_mutex_lock(&a->mu);
    if (a->th_idle && a->written_seq > a->done_seq) pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    uint64_t last = a->next_seq - 1;
    if (a->waited_seq == last) return 0;   /* waited once for these writes: serve the others */
    a->waited_seq = last;
    long long t = 2 * __atomic_load_n(&a->fsync_ns, __ATOMIC_RELAXED);
    if (t < FSYNC_WAIT_MIN_NS) t = FSYNC_WAIT_MIN_NS;
    if (t > FSYNC_WAIT_MAX_NS) t = FSYNC_WAIT_MAX_NS;
    struct timespec ts = {0, (long)t};
    struct pollfd pfd = {a->efd, POLLIN, 0};
    if (ppoll(&pfd, 1, &ts, NULL) == 0) a->fsync_wait_timeouts++;
    return 1;
}

/* ---- state for INFO, MISCONF, CONFIG SET ------------------------------ */

int aof_write_error(const server *s)
{
    const aof *a = s->aof;
    if (!a) return 0;
    if (a->write_errno) return a->write_errno;
    return __atomic_load_n(&a->fsync_errno, __ATOMIC_RELAXED);
}

void aof_config_changed(server *s)
{
    aof *a = s->aof;
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->policy = s->cfg.appendfsync;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    /* Leaving 'always': held replies follow the new policy at once. */
    if (s->cfg.appendfsync != AOF_FSYNC_ALWAYS && a->nheld) release_held(a, 0, 1);
}

int aof_enabled(const server *s) { return s->aof != NULL; }

const char *aof_last_write_status(const server *s) { return aof_write_error(s) ? "err" : "ok"; }

sbuf aof_info_tail(server *s, sbuf out)
{
    aof *a = s->aof;
    if (!a) return out;
    pthread_mutex_lock(&a->mu);
    int pending = a->in_progress || a->nretired || a->written_seq > a->done_seq;
    long long fsyncs = a->fsyncs, fsync_ns = a->fsync_ns;
    pthread_mutex_unlock(&a->mu);
    return sbuf_catfmt(out,
                       "aof_current_size:%lld\r\n"
                       "aof_base_size:%lld\r\n"
                       "aof_pending_rewrite:%d\r\n"
                       "aof_buffer_length:%zu\r\n"
                       "aof_pending_bio_fsync:%d\r\n"
                       "aof_delayed_fsync:%lld\r\n"
                       "rill_aof_segments:%d\r\n"
                       "rill_aof_held_clients:%d\r\n"
                       "rill_aof_released_replies:%lld\r\n"
                       "rill_aof_fsyncs:%lld\r\n"
                       "rill_aof_last_fsync_us:%lld\r\n"
                       "rill_aof_fsync_wait_timeouts:%lld\r\n",
                       a->total_size, a->rewrite_base_size, a->rewrite_scheduled, a->buf.len, pending, a->delayed_fsync, a->man.nsegments, a->nheld,
                       a->released, fsyncs, fsync_ns / 1000, a->fsync_wait_timeouts);
}

/* ---- rewrite: a new base snapshot, switched in through the manifest ---- */

int aof_rewrite_prepare(server *s, char *base_path, size_t len, char *err, size_t errlen)
{
    aof *a = s->aof;
    if (!a) {
        snprintf(err, errlen, "the append log is off");
        return -1;
    }
    if (a->in_group) {
        snprintf(err, errlen, "inside a MULTI/EXEC group");
        return -1;
    }
    /* Everything the child will see is in the old segments once the
     * buffer is out; everything after goes to the new segment. */
    if (a->buf.len && commit_buffer(a) != 0) {
        snprintf(err, errlen, "can't write the append log: %s", strerror(a->write_errno));
        return -1;
    }
    int index = a->next_index;
    if (rotate(a) != 0) {
        snprintf(err, errlen, "can't start a new append log segment (see the log)");
        return -1;
    }
    a->fork_index = index;
    a->size_at_fork = a->total_size;
    char name[512];
    snapshot_base_name(name, sizeof name, s->cfg.appendfilename, index);
    snprintf(base_path, len, "%s/%s", a->dirpath, name);
    return 0;
}

int aof_rewrite_done(server *s, long long base_bytes, char *err, size_t errlen)
{
    aof *a = s->aof;
    if (!a || !a->fork_index) {
        snprintf(err, errlen, "no rewrite in progress");
        return -1;
    }
    char base[512], first[512];
    snapshot_base_name(base, sizeof base, s->cfg.appendfilename, a->fork_index);
    snprintf(first, sizeof first, "%s.%d.log", s->cfg.appendfilename, a->fork_index);
    int from = -1;
    for (int i = 0; i < a->man.nsegments; i++)
        if (!strcmp(a->man.segments[i], first)) from = i;
    if (from < 0) {
        snprintf(err, errlen, "the segment %s started at the fork is not in the manifest", first);
        a->fork_index = 0;
        return -1;
    }
    aof_manifest next = {0};
    next.base = xstrdup(base);
    for (int i = from; i < a->man.nsegments; i++) aof_manifest_add(&next, a->man.segments[i]);
    if (aof_manifest_store(&next, a->dirpath, a->manifest_name, err, errlen) != 0) {
        aof_manifest_free(&next);
        a->fork_index = 0;
        return -1;
    }
    /* The new manifest is durable: the old base and segments can go. */
    char path[4096];
    if (a->man.base) {
        snprintf(path, sizeof path, "%s/%s", a->dirpath, a->man.base);
        unlink(path);
    }
    for (int i = 0; i < from; i++) {
        snprintf(path, sizeof path, "%s/%s", a->dirpath, a->man.segments[i]);
        unlink(path);
    }
    aof_manifest_free(&a->man);
    a->man = next;
    a->total_size = base_bytes + (a->total_size - a->size_at_fork);
    a->base_size = base_bytes;
    a->rewrite_base_size = a->total_size;
    a->fork_index = 0;
    return 0;
}

void aof_rewrite_failed(server *s)
{
    aof *a = s->aof;
    if (!a || !a->fork_index) return;
    char base[512], path[4096];
    snapshot_base_name(base, sizeof base, s->cfg.appendfilename, a->fork_index);
    snprintf(path, sizeof path, "%s/%s", a->dirpath, base);
    unlink(path);   /* a child killed after its rename: no manifest names it */
    a->fork_index = 0;
}

long long aof_current_size(const server *s) { return s->aof ? s->aof->total_size : 0; }
long long aof_rewrite_base_size(const server *s) { return s->aof ? s->aof->rewrite_base_size : 0; }
void aof_set_rewrite_scheduled(server *s, int on)
{
    if (s->aof) s->aof->rewrite_scheduled = on;
}
const char *aof_dir(const server *s) { return s->aof ? s->aof->dirpath : NULL; }

int aof_debug_fail_writes(server *s, int err)
{
    if (!s->aof) return -1;
    s->aof->debug_fail_errno = err;
    return 0;
}

int aof_debug_fsync_delay(server *s, int ms)
{
    if (!s->aof) return -1;
    __atomic_store_n(&s->aof->debug_fsync_delay_ms, ms < 0 ? 0 : ms, __ATOMIC_RELAXED);
    return 0;
}

/* ---- start and stop ----------------------------------------------------- */

int aof_start(server *s, char *err, size_t errlen)
{
    if (!s->cfg.appendonly) return 0;
    const char *base = s->cfg.appendfilename, *dname = s->cfg.appenddirname;
    if (!base[0] || strchr(base, '/') || !dname[0] || strchr(dname, '/')) {
        snprintf(err, errlen, "appendfilename and appenddirname must be plain, non-empty file names");
        return -1;
    }
    /* A file size limit (ulimit -f) must give EFBIG, not kill us. */
    signal(SIGXFSZ, SIG_IGN);

    aof *a = xcalloc(1, sizeof *a);
    a->s = s;
    a->fd = a->th_fd = a->efd = -1;
    a->next_seq = 1;
    argv_init(&a->pend);
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cv, &ca);
    pthread_condattr_destroy(&ca);
    size_t dl = strlen(s->cfg.dir) + strlen(dname) + 2;
    a->dirpath = xmalloc(dl);
    snprintf(a->dirpath, dl, "%s/%s", s->cfg.dir[0] ? s->cfg.dir : ".", dname);
    snprintf(a->manifest_name, sizeof a->manifest_name, "%s.manifest", base);
    if (mkdir(a->dirpath, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "Can't create the append log directory %s: %s", a->dirpath, strerror(errno));
        goto fail;
    }
    if (aof_load(a, err, errlen) != 0) goto fail;

    a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (a->efd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    a->ev = event_new(s->base, a->efd, EV_READ | EV_PERSIST, on_fsynced, a);
    event_add(a->ev, NULL);
    a->th_fd = a->fd;
    a->policy = s->cfg.appendfsync;
    if (pthread_create(&a->th, NULL, fsync_main, a) != 0) {
        snprintf(err, errlen, "Can't start the append log fsync thread");
        goto fail;
    }
    a->th_started = 1;
    pthread_setname_np(a->th, "rill-aof-fsync");   /* top -H, /proc/PID/task/TID/comm */
    a->sink.emit = sink_emit;
    a->sink.group = sink_group;
    a->sink.priv = a;
    effect_register(s, &a->sink);
    s->aof = a;
    return 0;
fail:
    s->aof = a;
    aof_stop(s);
    return -1;
}

void aof_stop(server *s)
{
    aof *a = s->aof;
    if (!a) return;
    if (a->sink.emit) effect_unregister(s, &a->sink);
    if (a->fd >= 0 && a->buf.len && !a->in_group) {
        if (write_buffer(a) != 0)
            log_warning("Append log: %zu bytes could not be written at shutdown", a->buf.len);
    }
    if (a->th_started) {
        pthread_mutex_lock(&a->mu);
        a->stop = 1;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->th, NULL);
    }
    for (int i = 0; i < a->nretired; i++) {
        fdatasync(a->retired[i]);
        close(a->retired[i]);
    }
    if (a->fd >= 0) {
        cut_prefill(a);
        if (fsync(a->fd) < 0) log_warning("Append log: fsync at shutdown failed: %s", strerror(errno));
        close(a->fd);
    }
    if (a->ev) event_free(a->ev);
    if (a->efd >= 0) close(a->efd);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    aof_buf_free(&a->buf);
    argv_free(&a->pend);
    aof_manifest_free(&a->man);
    xfree(a->held);
    xfree(a->dirpath);
    xfree(a);
    s->aof = NULL;
}
