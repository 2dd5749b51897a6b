/* fuzz_native_codec.c — libFuzzer target for the native Request decoder.
 * Any input must decode or fail with a NATIVE_E* code, never crash or leak;
 * a decoded request must hold at least one argument whose bytes lie inside
 * the input; a batch's entries must lie inside the input and decode the
 * same way.  The same bytes also go through native_parse_push (the POLL
 * path's RESP reader): it takes at most the input, and a value only with a
 * non-zero count. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "native_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    argv_t a;
    uint64_t id;
    argv_init(&a);
    int rc = native_decode_request(data, size, 1 << 20, &id, &a);
    if (rc == NATIVE_OK) {
        if (a.argc < 1) abort();
        size_t total = 0;
        for (int i = 0; i < a.argc; i++) total += sbuf_len(a.argv[i]);
        if (total > size) abort();
    } else if (a.argc != 0) {
        abort();
    } else if (rc == NATIVE_BATCH) {
        /* A batch: list its entries (each inside the body, at most
         * NATIVE_MAX_BATCH) and decode each as the listener does. */
        int n = native_batch_entries(data, size, NULL, 0);
        if (n < 1 || n > NATIVE_MAX_BATCH) abort();
        native_span *sp = malloc((size_t)n * sizeof *sp);
        if (!sp) return 0;
        if (native_batch_entries(data, size, sp, n) != n) abort();
        for (int i = 0; i < n; i++) {
            if (sp[i].off > size || sp[i].len > size - sp[i].off) abort();
            uint64_t eid;
            int erc = native_decode_request(data + sp[i].off, sp[i].len, 0, &eid, &a);
            if ((erc == NATIVE_OK) != (a.argc > 0)) abort();
            argv_reset(&a);
        }
        free(sp);
    }
    argv_free(&a);

    Rill__Value *v;
    size_t used = native_parse_push(data, size, &v);
    if (used > size || (used == 0) != (v == NULL)) abort();
    if (v && v->kind != RILL__VALUE__KIND__PUSH) abort();
    native_value_free(v);
    return 0;
}
