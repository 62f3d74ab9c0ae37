/* The C side of tokenflow's JavaScript API (wasm/host.c): what the
 * WebAssembly module exports to wasm/api.js. Also built natively for its
 * test (tests/host_wasm.c), with the same behaviour. */
#ifndef TFW_HOST_H
#define TFW_HOST_H

#include <stddef.h>

typedef struct tfw_host tfw_host;

/* A new host (a Lua state with the libraries, tokenflow and
 * tokenflow.jsapi loaded), or NULL and the reason in err (errlen bytes,
 * NUL-terminated: "not enough memory", or the error opening raised).
 * limit: bytes the state may hold, 0 for no limit. */
tfw_host *tfw_open(size_t limit, char *err, size_t errlen);

/* Closes the state and frees the host. Returns the bytes the allocator
 * still counted after closing the state: 0 unless something leaked. */
size_t tfw_close(tfw_host *h);

/* Calls tokenflow.jsapi[args[0]] with args[1..argc-1]: argc strings laid
 * one after the other in args, their lengths in lens. Returns 0 on success;
 * tfw_result then holds the result, else the error message. */
int tfw_call(tfw_host *h, const char *args, const size_t *lens, int argc);

/* The last call's result or message (valid until the next call). */
const char *tfw_result(tfw_host *h);
size_t tfw_result_len(tfw_host *h);

/* Bytes the state holds after a full collection, and of those the bytes
 * of tokenflow's C engines. */
size_t tfw_bytes(tfw_host *h);
size_t tfw_engine_bytes(tfw_host *h);

#endif
