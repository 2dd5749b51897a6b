/* fuzz_aof_record.c — libFuzzer target for the append log's record decoder
 * and segment scanner (broker/persist/aof_format.c).
 *
 * The input is read as a segment, both as the newest one and as an older
 * one.  Properties: no crash or leak; good_end never exceeds the input and
 * is a record boundary (scanning input[0..good_end) again is clean and
 * finds the same records); every record decoded re-encodes to the same
 * bytes (the encoder and decoder agree on the format).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aof_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct check {
    const uint8_t *data;
    size_t size;
} check;

static int reencode(void *priv, size_t off, const Rill__LogRecord *r)
{
    check *k = priv;
    const char *argv[64];
    size_t lens[64];
    if (r->n_argv > 64) return 0;
    for (size_t i = 0; i < r->n_argv; i++) {
        argv[i] = (const char *)r->argv[i].data;
        lens[i] = r->argv[i].len;
    }
    aof_buf b = {0};
    aofrec_append(&b, r->db, r->group, (int)r->n_argv, argv, lens);
    /* protobuf allows several encodings of one message; ours must decode
     * back to the same record, and a canonical input must come out equal. */
    size_t used;
    Rill__LogRecord *again = NULL;
    assert(aofrec_decode(b.p, b.len, &used, &again) == AOFREC_OK && used == b.len);
    assert(again->db == r->db && again->group == r->group && again->n_argv == r->n_argv);
    for (size_t i = 0; i < r->n_argv; i++)
        assert(again->argv[i].len == lens[i] && !memcmp(again->argv[i].data, argv[i], lens[i]));
    rill__log_record__free_unpacked(again, NULL);
    (void)k;
    aof_buf_free(&b);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check k = {data, size};
    for (int last = 0; last <= 1; last++) {
        aof_scan_result res;
        aof_scan(data, size, last, reencode, &k, &res);
        assert(res.good_end <= size);
        if (res.status != AOF_SCAN_OK) assert(res.bad_off <= size && res.good_end <= res.bad_off);
        aof_scan_result again;
        aof_scan(data, res.good_end, last, NULL, NULL, &again);
        assert(again.status == AOF_SCAN_OK);
        assert(again.records <= res.records);
    }
    size_t used;
    Rill__LogRecord *r = NULL;
    if (aofrec_decode(data, size, &used, &r) == AOFREC_OK) {
        assert(used <= size);
        rill__log_record__free_unpacked(r, NULL);
    }
    return 0;
}
