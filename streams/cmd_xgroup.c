/* cmd_xgroup.c — consumer groups (placeholder until the group side lands):
 * a stream has no groups yet, so every stream_groups_* function sees NULL. */
#include "stream_obj.h"
#include "session.h"
#include "reply.h"

void stream_groups_free(struct cgroups *g) { (void)g; }
struct cgroups *stream_groups_dup(const struct cgroups *g) { (void)g; return NULL; }
size_t stream_groups_mem(const struct cgroups *g) { (void)g; return 0; }
size_t stream_groups_count(const struct cgroups *g) { (void)g; return 0; }

int stream_groups_rewrite(const stream_value *sv, const char *key, size_t klen,
                          obj_emit_fn *emit, void *priv)
{
    (void)sv; (void)key; (void)klen; (void)emit; (void)priv;
    return 0;
}

void stream_groups_reply_full(struct session *c, const stream_value *sv, long long count)
{
    (void)sv; (void)count;
    reply_array(c, 0);
}
