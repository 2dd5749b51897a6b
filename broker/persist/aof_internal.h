/* aof_internal.h — the append log's state, shared by aof.c and aof_load.c. */
#ifndef RILL_AOF_INTERNAL_H
#define RILL_AOF_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include "aof_format.h"
#include "argv.h"
#include "effect.h"

struct server;
struct event;

#define AOF_MAX_RETIRED 8

typedef struct aof {
    struct server *s;
    effect_sink sink;
    char *dirpath;               /* <dir>/<appenddirname> */
    char manifest_name[300];     /* <appendfilename>.manifest */
    aof_manifest man;
    int fd;                      /* newest segment, appending */
    long long seg_size;          /* bytes in the newest segment */
    long long total_size;        /* bytes in the base snapshot and all segments (aof_current_size) */
    long long base_size;         /* bytes in the base snapshot (0: none) */
    long long rewrite_base_size; /* aof_current_size after the last load or rewrite (aof_base_size) */
    int fork_index;              /* rewrite running: number of the first segment after the fork; 0 none */
    long long size_at_fork;      /* total_size when the rewrite forked */
    int rewrite_scheduled;       /* INFO aof_pending_rewrite */
    int next_index;              /* number of the next segment file */
    long long fill_end;          /* always: the newest segment holds zeros up to here (see prefill) */
    long long prefill_retry_ms;  /* prefill failed: not before this time */

    /* Core thread only. */
    aof_buf buf;                 /* records not yet written */
    int in_group, group_first, have_pend, pend_db;
    argv_t pend;                 /* the group's last effect, not yet encoded */
    int write_errno;             /* last write failed with it; 0 = ok */
    int debug_fail_errno;        /* DEBUG AOF-FAIL-WRITES */
    long long last_err_log_ms;
    long long postponed_since;   /* everysec: write waiting for a running fsync (mono ms) */
    long long delayed_fsync;     /* INFO aof_delayed_fsync */
    long long last_fsync_ms;
    int fsync_err_logged;
    uint64_t next_seq;           /* number the buffered records get when written */
    uint64_t *held;              /* ids of sessions with SESS_AOF_WAIT */
    int nheld, capheld;
    long long released;          /* replies released by fsyncs (INFO) */
    uint64_t waited_seq;         /* always: newest write the loop waited for an fsync of */
    long long fsync_wait_timeouts; /* waits that ended before the fsync (INFO) */
    struct event *ev;            /* efd readable */
    int efd;                     /* eventfd: the thread finished an fsync */

    /* Shared with the fsync thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int th_started, stop, in_progress, policy;
    int th_fd;                   /* segment the thread fsyncs */
    int retired[AOF_MAX_RETIRED];/* older segments to fsync and close */
    int nretired;
    uint64_t written_seq;        /* newest write done */
    uint64_t done_seq;           /* newest write covered by a finished fsync */
    int debug_fsync_delay_ms;    /* DEBUG AOF-FSYNC-DELAY (atomic) */
    int fsync_errno;             /* last fsync failed (atomic reads from the core) */
    int th_idle;                 /* the thread waits with nothing written to sync */
    long long fsync_ns;          /* duration of the last fsync */
    int core_cpu;                /* always: CPU the core thread last wrote from (-1: unknown) */
    int no_follow;               /* the thread could not be moved there: stays put */
    long long fsyncs;            /* fsyncs done (INFO) */
} aof;

/* A replay runs log records through the command table as a session of no
 * connection, s->loading set (aof_load.c).  replay_init starts one
 * (setting s->loading), replay_finish ends it; replay_record is an
 * aof_record_fn (priv = the replay) that runs a record, holding MULTI/EXEC
 * groups until their end.  path names the file in errors. */
typedef struct group_cmd {
    uint32_t db;
    argv_t args;
} group_cmd;

typedef struct replay {
    struct server *s;
    struct session *c;
    const char *path;
    group_cmd *grp;
    int ngrp, capgrp;
    long long commands, errors;
    struct command *last_cmd;    /* the last command name looked up */
    char last_name[32];
    size_t last_len;
    int saved_notify;            /* notify-keyspace-events, off while loading */
    char *err;                   /* set when replay_record stops */
    size_t errlen;
    char errbuf[1024];
} replay;

void replay_init(replay *r, struct server *s);
int replay_record(void *priv, size_t off, const Rill__LogRecord *rec);
void replay_finish(replay *r);

/* aof_load replays the manifest's segments (creating the first segment and
 * manifest when there is none), cuts a torn tail and leaves a->fd open on
 * the newest segment.  0, or -1 with err set. */
int aof_load(aof *a, char *err, size_t errlen);

#endif
