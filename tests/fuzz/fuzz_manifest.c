/* fuzz_manifest.c — libFuzzer target for the append log's manifest parser
 * (broker/persist/aof_format.c: aof_manifest_parse), which reads a file
 * the server finds on disk at start-up.
 *
 * Properties: no crash, no leak; a manifest that parses names only plain,
 * non-empty file names (no '/', no NUL), and parsing it again from the
 * same bytes gives the same names.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aof_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void plain(const char *name)
{
    assert(name && name[0]);
    assert(!strchr(name, '/'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aof_manifest m = {0}, again = {0};
    char err[512];
    if (aof_manifest_parse(&m, (const char *)data, size, err, sizeof err) == 0) {
        if (m.base) plain(m.base);
        for (int i = 0; i < m.nsegments; i++) plain(m.segments[i]);
        assert(aof_manifest_parse(&again, (const char *)data, size, err, sizeof err) == 0);
        assert(again.nsegments == m.nsegments);
        assert(!m.base == !again.base && (!m.base || !strcmp(m.base, again.base)));
        for (int i = 0; i < m.nsegments; i++) assert(!strcmp(m.segments[i], again.segments[i]));
    } else {
        assert(m.nsegments == 0 && !m.base);   /* "m then empty" */
    }
    aof_manifest_free(&m);
    aof_manifest_free(&again);
    return 0;
}
