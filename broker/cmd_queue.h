/* cmd_queue.h — what the rest of the server sees of the job queues
 * (commands in cmd_queue.c, structure in types/queue.h). */
#ifndef RILL_CMD_QUEUE_H
#define RILL_CMD_QUEUE_H

#include "sbuf.h"
#include "object.h"

struct server;

/* queue_obj_type: TYPE "queue"; free/dup/mem/rewrite (object.h). */
extern const obj_type queue_obj_type;

/* queue_server_free releases the queue registry and its timer (shutdown);
 * a no-op if no queue was ever created. */
void queue_server_free(struct server *s);

/* queue_flush_wakes marks ready the keys of queues that got waiting jobs
 * since the last call and have blocked fetchers, so that the blocking
 * module serves them (call it from before-sleep, before block_before_sleep,
 * and again while queue_wakes_pending: serving resumes sessions whose
 * pipelined commands may push more).  Returns 1 if it marked any. */
int queue_flush_wakes(struct server *s);
int queue_wakes_pending(struct server *s);

/* queue_info_any: 1 if at least one queue key exists (INFO default shows
 * the Queues section only then, so a server without queues prints what
 * Redis prints). */
int queue_info_any(struct server *s);

/* queue_info appends the "# Queues" section's lines to out (returns it). */
sbuf queue_info(struct server *s, sbuf out);

#endif
