/* fuzz_native_codec.c — libFuzzer target for the native Request decoder.
 * Any input must decode or fail with a NATIVE_E* code, never crash or leak;
 * a decoded request must hold at least one argument whose bytes lie inside
 * the input. */
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
    }
    argv_free(&a);
    return 0;
}
