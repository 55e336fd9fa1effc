/* The bytes side of the Avro decoder (_avro_columns.c): growable output buffers that become
 * bytes objects without a copy, bounds-checked reads of Avro's zigzag varints and
 * length-prefixed bytes, and strict UTF-8 validation. */
#ifndef KASPAR_AVRO_WIRE_H
#define KASPAR_AVRO_WIRE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    PyObject *obj;
    char *data;
    Py_ssize_t size, capacity;
} Buf;

static int buf_grow(Buf *b, Py_ssize_t extra) {
    if (b->size + extra <= b->capacity) return 0;
    Py_ssize_t cap = b->capacity ? b->capacity : 256;
    while (cap < b->size + extra) cap *= 2;
    if (b->obj == NULL) {
        b->obj = PyBytes_FromStringAndSize(NULL, cap);
        if (b->obj == NULL) return -1;
    } else if (_PyBytes_Resize(&b->obj, cap) < 0) {
        b->obj = NULL;
        return -1;
    }
    b->data = PyBytes_AS_STRING(b->obj);
    b->capacity = cap;
    return 0;
}

static int buf_append(Buf *b, const void *src, Py_ssize_t n) {
    if (buf_grow(b, n) < 0) return -1;
    if (n) memcpy(b->data + b->size, src, (size_t)n);
    b->size += n;
    return 0;
}

static int buf_zeros(Buf *b, Py_ssize_t n) {
    if (buf_grow(b, n) < 0) return -1;
    memset(b->data + b->size, 0, (size_t)n);
    b->size += n;
    return 0;
}

static int buf_bit(Buf *b, Py_ssize_t index, int set) {
    Py_ssize_t need = index / 8 + 1;
    if (need > b->size && buf_zeros(b, need - b->size) < 0) return -1;
    if (set) b->data[index / 8] |= (char)(1u << (index % 8));
    return 0;
}

/* The end of a string/binary/list column: its data size as the next int32 offset. */
static int buf_offset(Buf *b, Py_ssize_t value) {
    if (value > INT32_MAX) return -2;
    int32_t v = (int32_t)value;
    return buf_append(b, &v, 4);
}

static PyObject *buf_take(Buf *b) {
    if (b->obj == NULL) Py_RETURN_NONE;
    if (_PyBytes_Resize(&b->obj, b->size) < 0) {
        b->obj = NULL;
        return NULL;
    }
    PyObject *out = b->obj;
    b->obj = NULL;
    return out;
}

static void buf_free(Buf *b) { Py_CLEAR(b->obj); }

/* Status of a read: OK, MALFORMED (fall back), or ERROR (a Python exception is set). */
#define OK 0
#define MALFORMED 1
#define ERROR (-1)
#define TRY(call)                       \
    do {                                \
        int status_ = (call);           \
        if (status_ != OK) return status_; \
    } while (0)
#define MEM(call) \
    do {          \
        if ((call) < 0) return ERROR; \
    } while (0)

typedef struct {
    const uint8_t *pos, *end;
} Cursor;

static inline int read_long(Cursor *c, int64_t *out) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (c->pos >= c->end) return MALFORMED;
        uint8_t b = *c->pos++;
        if (shift == 63 && b > 1) return MALFORMED; /* bits past 64 */
        result |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(result >> 1) ^ -(int64_t)(result & 1);
            return OK;
        }
    }
    return MALFORMED;
}

static inline int read_int(Cursor *c, int32_t *out) {
    int64_t v;
    TRY(read_long(c, &v));
    if (v < INT32_MIN || v > INT32_MAX) return MALFORMED;
    *out = (int32_t)v;
    return OK;
}

/* Strict UTF-8 as Python decodes it: no overlongs, surrogates, or code points past U+10FFFF. */
static int valid_utf8(const uint8_t *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t chunk;
            memcpy(&chunk, s + i, 8);
            if (!(chunk & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        int extra;
        uint8_t lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) extra = 1;
        else if (b >= 0xE0 && b <= 0xEF) {
            extra = 2;
            if (b == 0xE0) lo = 0xA0;
            if (b == 0xED) hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            extra = 3;
            if (b == 0xF0) lo = 0x90;
            if (b == 0xF4) hi = 0x8F;
        } else return 0;
        if (i + extra >= n) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (int k = 2; k <= extra; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
        i += extra + 1;
    }
    return 1;
}

/* A length-prefixed run of bytes (bytes, string): where it starts and how long it is. */
static int read_sized(Cursor *c, const uint8_t **start, Py_ssize_t *size) {
    int64_t n;
    TRY(read_long(c, &n));
    if (n < 0 || n > c->end - c->pos) return MALFORMED;
    *start = c->pos;
    *size = (Py_ssize_t)n;
    c->pos += n;
    return OK;
}

/* buf_offset's result as a read status: past int32 offsets is left to the fallback. */
static int offset_status(int status) { return status == -2 ? MALFORMED : (status < 0 ? ERROR : OK); }

#endif
