/* sdg plugin SDK for C, plugin ABI 1 (docs/PLUGINS.md). Header only.
 *
 * A plugin is one C file that includes this header and defines functions
 * with SDG_FUNCTION: the body computes ONE row; the macro writes the
 * per-batch export the host calls (one call per batch, whole columns).
 *
 *   #include "sdg_plugin.h"
 *   SDG_FUNCTION(with_tax, SDG_FLOAT64) {
 *       if (sdg_any_null(b, i)) return SDG_NULL;
 *       out->f64 = sdg_number(sdg_input(b, 0), i) * (1 + sdg_config_number("rate", 0.2));
 *       return SDG_OK;
 *   }
 *
 * Build (no libc, no WASI):
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic \
 *         -I plugins/sdk/c -o price.wasm price.c
 *
 * The header defines the ABI exports (memory comes from the linker):
 * sdg_abi_version, sdg_alloc, sdg_reset, sdg_init. Everything the host
 * allocates for a batch is freed by sdg_reset before the next batch.
 */
#ifndef SDG_PLUGIN_H
#define SDG_PLUGIN_H

typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef int int32_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;

#define SDG_ABI_VERSION 1
#define SDG_INT64 1
#define SDG_FLOAT64 2
#define SDG_BOOL 3
#define SDG_UTF8 4
#define SDG_TIMESTAMP 5

/* A row function's answers: a value was written, the row is null, or an error (negative code). */
#define SDG_OK 0
#define SDG_NULL 1

/* A column (24 bytes): see docs/PLUGINS.md, "Column descriptor". */
typedef struct {
    uint32_t type;     /* SDG_INT64 … SDG_TIMESTAMP */
    uint32_t validity; /* bitmap, bit i of byte i/8 (LSB first) = row i valid; 0 = all valid */
    uint32_t values;   /* int64/float64/timestamp: n × 8 bytes; bool: bitmap; utf8: (n+1) × int32 offsets */
    uint32_t data;     /* utf8: the bytes the offsets index */
    uint32_t data_len; /* utf8: their length */
    uint32_t reserved;
} sdg_column;

/* A batch (72 bytes): see docs/PLUGINS.md, "Batch descriptor". */
typedef struct {
    uint32_t abi_version;
    uint32_t rows;
    uint64_t first_row;
    uint64_t seed;
    uint32_t n_inputs;
    uint32_t inputs; /* n_inputs × sdg_column */
    sdg_column output;
    uint32_t error_ptr; /* set by the plugin with an error code: a UTF-8 message */
    uint32_t error_len;
    uint32_t row_index; /* rows × uint64: the global index of each row */
    uint32_t reserved;
} sdg_batch;

/* One row's output value (set the member of the output type). */
typedef struct {
    int64_t i64;
    double f64;
    int boolean;
    const char *str;
    uint32_t len;
} sdg_value;

#define SDG_PTR(T, p) ((T *)(unsigned long)(p))

static inline const sdg_column *sdg_input(const sdg_batch *b, uint32_t k) {
    return SDG_PTR(const sdg_column, b->inputs) + k;
}
static inline int sdg_valid(const sdg_column *c, uint32_t i) {
    return c->validity == 0 || (SDG_PTR(const uint8_t, c->validity)[i >> 3] >> (i & 7)) & 1;
}
static inline int sdg_any_null(const sdg_batch *b, uint32_t i) {
    for (uint32_t k = 0; k < b->n_inputs; k++)
        if (!sdg_valid(sdg_input(b, k), i)) return 1;
    return 0;
}
static inline int64_t sdg_i64(const sdg_column *c, uint32_t i) { return SDG_PTR(const int64_t, c->values)[i]; }
static inline double sdg_f64(const sdg_column *c, uint32_t i) { return SDG_PTR(const double, c->values)[i]; }
static inline int sdg_bool(const sdg_column *c, uint32_t i) {
    return (SDG_PTR(const uint8_t, c->values)[i >> 3] >> (i & 7)) & 1;
}
/* A number column (int64, float64, timestamp) as a double. */
static inline double sdg_number(const sdg_column *c, uint32_t i) {
    return c->type == SDG_FLOAT64 ? sdg_f64(c, i) : (double)sdg_i64(c, i);
}
/* Row i's text: its bytes (not NUL-terminated) and length. */
static inline const char *sdg_str(const sdg_column *c, uint32_t i, uint32_t *len) {
    const int32_t *o = SDG_PTR(const int32_t, c->values);
    *len = (uint32_t)(o[i + 1] - o[i]);
    return SDG_PTR(const char, c->data) + o[i];
}
/* The length of s[0..n] without a UTF-8 sequence cut at its end: text cut
 * to a buffer's size stays valid UTF-8 (the host refuses invalid text). */
static inline uint32_t sdg_utf8_cut(const char *s, uint32_t n) {
    uint32_t p = n;
    while (p > 0 && (((const uint8_t *)s)[p - 1] & 0xC0) == 0x80) p--; /* back to the last lead byte */
    if (p == 0) return 0;
    uint8_t lead = ((const uint8_t *)s)[p - 1];
    uint32_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return (p - 1) + len <= n ? n : p - 1;
}
/* The global index of row i of the batch. */
static inline uint64_t sdg_row(const sdg_batch *b, uint32_t i) { return SDG_PTR(const uint64_t, b->row_index)[i]; }
/* The k-th random 64 bits of row i: the same for a row on any worker, in any batch. */
static inline uint64_t sdg_random(const sdg_batch *b, uint32_t i, uint64_t k) {
    uint64_t z = b->seed ^ (sdg_row(b, i) * 0x9E3779B97F4A7C15ULL) ^ (k * 0xBF58476D1CE4E5B9ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ---- The allocator: a bump arena over linear memory, reset each batch. ---- */
extern uint8_t __heap_base;
static uint32_t sdg_top_;
static uint32_t sdg_floor_; /* what sdg_init kept (the config) stays below */

__attribute__((export_name("sdg_abi_version"))) int sdg_abi_version(void) { return SDG_ABI_VERSION; }

__attribute__((export_name("sdg_alloc"))) uint32_t sdg_alloc(uint32_t size, uint32_t align) {
    if (sdg_top_ == 0) sdg_top_ = sdg_floor_ = (uint32_t)(unsigned long)&__heap_base;
    if (align == 0) align = 1;
    uint32_t p = (sdg_top_ + align - 1) & ~(align - 1);
    uint32_t end = p + size;
    if (end < p) return 0;
    uint32_t have = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == (unsigned long)-1) return 0;
    sdg_top_ = end;
    return p;
}

__attribute__((export_name("sdg_reset"))) void sdg_reset(void) {
    if (sdg_top_ != 0) sdg_top_ = sdg_floor_;
}

/* ---- The config (JSON text, handed once per instance). ---- */
static const char *sdg_config_;
static uint32_t sdg_config_len_;

__attribute__((export_name("sdg_init"))) int sdg_init(uint32_t ptr, uint32_t len) {
    /* The host placed the config with sdg_alloc: keep it below the batches' floor. */
    sdg_config_ = SDG_PTR(const char, ptr);
    sdg_config_len_ = len;
    sdg_floor_ = sdg_top_;
    return 0;
}

/* The config's number at "key" (a top-level key of a flat object: nested
 * objects are not told apart), or `otherwise` when it is absent or not a
 * number. JSON numbers: sign, digits, fraction, exponent. */
static inline double sdg_config_number(const char *key, double otherwise) {
    uint32_t klen = 0;
    while (key[klen]) klen++;
    for (uint32_t i = 0; i + klen + 2 < sdg_config_len_; i++) {
        if (sdg_config_[i] != '"') continue;
        uint32_t j = 0;
        while (j < klen && sdg_config_[i + 1 + j] == key[j]) j++;
        if (j != klen || sdg_config_[i + 1 + klen] != '"') continue;
        uint32_t p = i + klen + 2;
        while (p < sdg_config_len_ && sdg_config_[p] == ' ') p++;
        if (p >= sdg_config_len_ || sdg_config_[p] != ':') continue; /* a string value, not a key */
        p++;
        while (p < sdg_config_len_ && sdg_config_[p] == ' ') p++;
        double sign = 1, v = 0, scale = 0;
        int digits = 0;
        if (p < sdg_config_len_ && sdg_config_[p] == '-') { sign = -1; p++; }
        for (; p < sdg_config_len_; p++) {
            char c = sdg_config_[p];
            if (c >= '0' && c <= '9') {
                digits++;
                if (scale == 0) v = v * 10 + (c - '0');
                else { v += (c - '0') * scale; scale /= 10; }
            } else if (c == '.' && scale == 0) scale = 0.1;
            else break;
        }
        if (digits == 0) continue; /* not a number */
        if (p < sdg_config_len_ && (sdg_config_[p] == 'e' || sdg_config_[p] == 'E')) {
            int esign = 1, e = 0;
            p++;
            if (p < sdg_config_len_ && (sdg_config_[p] == '-' || sdg_config_[p] == '+')) { esign = sdg_config_[p] == '-' ? -1 : 1; p++; }
            while (p < sdg_config_len_ && sdg_config_[p] >= '0' && sdg_config_[p] <= '9') e = e * 10 + (sdg_config_[p++] - '0');
            for (int k = 0; k < e; k++) v = esign > 0 ? v * 10 : v / 10;
        }
        return sign * v;
    }
    return otherwise;
}

/* ---- Writing the output column. ---- */
static inline void sdg_set_null(sdg_batch *b, uint32_t i) {
    SDG_PTR(uint8_t, b->output.validity)[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* utf8 output: a growing data buffer; offsets are the host's (n+1). */
static uint32_t sdg_cap_;
static int sdg_put_text(sdg_batch *b, uint32_t i, const char *s, uint32_t len) {
    int32_t *o = SDG_PTR(int32_t, b->output.values);
    if (i == 0) o[0] = 0;
    uint32_t at = (uint32_t)o[i];
    if (b->output.data == 0 || at + len > sdg_cap_) {
        uint32_t cap = (at + len) * 2 + 256;
        uint32_t fresh = sdg_alloc(cap, 1);
        if (fresh == 0) return -1;
        for (uint32_t k = 0; k < at; k++) SDG_PTR(char, fresh)[k] = SDG_PTR(char, b->output.data)[k];
        b->output.data = fresh;
        sdg_cap_ = cap;
    }
    for (uint32_t k = 0; k < len; k++) SDG_PTR(char, b->output.data)[at + k] = s[k];
    o[i + 1] = (int32_t)(at + len);
    b->output.data_len = at + len;
    return 0;
}

static inline int sdg_put(sdg_batch *b, uint32_t i, int rc, const sdg_value *v) {
    if (rc == SDG_NULL) {
        sdg_set_null(b, i);
        if (b->output.type == SDG_UTF8) return sdg_put_text(b, i, "", 0);
        return 0;
    }
    switch (b->output.type) {
    case SDG_INT64:
    case SDG_TIMESTAMP: SDG_PTR(int64_t, b->output.values)[i] = v->i64; return 0;
    case SDG_FLOAT64: SDG_PTR(double, b->output.values)[i] = v->f64; return 0;
    case SDG_BOOL:
        if (v->boolean) SDG_PTR(uint8_t, b->output.values)[i >> 3] |= (uint8_t)(1u << (i & 7));
        return 0;
    default: return sdg_put_text(b, i, v->str, v->len);
    }
}

/* Sets the batch's error message (returned with a negative code from a row function). */
static inline void sdg_error(const sdg_batch *b, const char *message) {
    uint32_t n = 0;
    while (message[n]) n++;
    ((sdg_batch *)b)->error_ptr = (uint32_t)(unsigned long)message;
    ((sdg_batch *)b)->error_len = n;
}

/* Defines `name`: the body computes row `i` of batch `b` into `out` and
 * returns SDG_OK, SDG_NULL, or a negative error code. */
#define SDG_FUNCTION(name, out_type)                                                        \
    static int name##_row(const sdg_batch *b, uint32_t i, sdg_value *out);                  \
    __attribute__((export_name("sdg_type_" #name))) int sdg_type_##name(void) { return out_type; } \
    __attribute__((export_name(#name))) int name(sdg_batch *b) {                            \
        if (b->output.type == SDG_UTF8) b->output.data = 0;                                 \
        for (uint32_t i = 0; i < b->rows; i++) {                                           \
            sdg_value v = {0, 0, 0, "", 0};                                                 \
            int rc = name##_row(b, i, &v);                                                  \
            if (rc < 0) return -rc;                                                         \
            if (sdg_put(b, i, rc, &v) != 0) return 1;                                       \
        }                                                                                   \
        return 0;                                                                           \
    }                                                                                       \
    static int name##_row(const sdg_batch *b, uint32_t i, sdg_value *out)

#endif
