/* fuzz_config.c — libFuzzer target for the config file parser
 * (broker/config.c: config_load_string), which reads rill.conf and every
 * `--name value` on the command line.
 *
 * Properties: no crash, no leak; after a load that succeeds, every option
 * that CONFIG SET may change takes back the text CONFIG GET shows for it
 * and then shows the same text (the round trip config_set documents).
 * Inputs with `include` are skipped: it reads other files.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct names {
    char *name[256];
    int n;
} names;

static void collect(void *priv, const char *name, const char *value)
{
    names *ns = priv;
    (void)value;
    if (ns->n < 256) ns->name[ns->n++] = strdup(name);
}

static int has_include(const char *text)
{
    for (const char *p = text; *p; p++)
        if (!strncasecmp(p, "include", 7)) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';   /* a NUL inside ends the text early, as a C string */
    if (has_include(text)) {
        free(text);
        return 0;
    }
    config c;
    config_init(&c);
    char err[512];
    if (config_load_string(&c, "fuzz.conf", text, err, sizeof err) == 0) {
        names ns = {0};
        config_get(&c, "*", collect, &ns);
        for (int i = 0; i < ns.n; i++) {
            if (config_is_mutable(ns.name[i]) != 1) continue;
            char before[4096], after[4096];
            int len = config_get_value(&c, ns.name[i], before, sizeof before);
            assert(len >= 0);
            if ((size_t)len >= sizeof before) continue;
            config fresh;
            config_init(&fresh);
            const char *v[1] = {before};
            int rc = config_set(&fresh, ns.name[i], v, 1, err, sizeof err);
            assert(rc == 0);
            assert(config_get_value(&fresh, ns.name[i], after, sizeof after) == len);
            assert(!strcmp(before, after));
            config_free(&fresh);
        }
        for (int i = 0; i < ns.n; i++) free(ns.name[i]);
    }
    config_free(&c);
    free(text);
    return 0;
}
