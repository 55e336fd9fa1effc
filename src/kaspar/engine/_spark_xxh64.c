/* Spark's XXH64 (xxhash64(), approx_count_distinct's HyperLogLog++) over whole columns.
 *
 * Spark hashes a value with the reference 64-bit xxHash of its little-endian bytes: int-sized
 * values as 4 bytes, long-sized ones as 8, strings and binary as their bytes. Each row has its
 * own seed (xxhash64(a, b) seeds b's hash with a's); a NULL row keeps its seed.
 *
 *   xxh64_fixed(data, width, seeds, valid) -> bytes   rows of `width` (4 or 8) bytes each
 *   xxh64_var(data, offsets, offset_width, seeds, valid) -> bytes
 *                                                      rows data[offsets[i]:offsets[i+1]]
 *   hll_codes(hashes, p) -> bytes                      HyperLogLog++ register << 6 | rank
 *                                                      (int32) of each uint64 hash
 *
 * `seeds` holds one uint64 per row, `valid` one byte per row (0: NULL); the result holds one
 * uint64 per row.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static const uint64_t P1 = 0x9E3779B185EBCA87ULL;
static const uint64_t P2 = 0xC2B2AE3D27D4EB4FULL;
static const uint64_t P3 = 0x165667B19E3779F9ULL;
static const uint64_t P4 = 0x85EBCA77C2B2AE63ULL;
static const uint64_t P5 = 0x27D4EB2F165667C5ULL;

static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t read64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian machines only (x86-64, aarch64) */
    return v;
}

static uint32_t read32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t xxh_round(uint64_t acc, uint64_t lane) {
    acc += lane * P2;
    acc = rotl64(acc, 31);
    return acc * P1;
}

static uint64_t xxh_merge(uint64_t acc, uint64_t value) {
    acc ^= xxh_round(0, value);
    return acc * P1 + P4;
}

static uint64_t xxh64(const uint8_t *p, size_t len, uint64_t seed) {
    const uint8_t *end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        const uint8_t *limit = end - 32;
        do {
            v1 = xxh_round(v1, read64(p));
            v2 = xxh_round(v2, read64(p + 8));
            v3 = xxh_round(v3, read64(p + 16));
            v4 = xxh_round(v4, read64(p + 24));
            p += 32;
        } while (p <= limit);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = xxh_merge(h, v1);
        h = xxh_merge(h, v2);
        h = xxh_merge(h, v3);
        h = xxh_merge(h, v4);
    } else {
        h = seed + P5;
    }
    h += (uint64_t)len;
    while (p + 8 <= end) {
        h ^= xxh_round(0, read64(p));
        h = rotl64(h, 27) * P1 + P4;
        p += 8;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)read32(p) * P1;
        h = rotl64(h, 23) * P2 + P3;
        p += 4;
    }
    while (p < end) {
        h ^= (uint64_t)(*p) * P5;
        h = rotl64(h, 11) * P1;
        p++;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

/* The rows' seeds and validity, checked against `rows`; the output buffer. */
static int row_buffers(Py_buffer *seeds, Py_buffer *valid, Py_ssize_t *rows) {
    if (seeds->len % 8 != 0) {
        PyErr_SetString(PyExc_ValueError, "seeds: one uint64 per row");
        return -1;
    }
    *rows = seeds->len / 8;
    if (valid->len != *rows) {
        PyErr_SetString(PyExc_ValueError, "valid: one byte per row");
        return -1;
    }
    return 0;
}

static PyObject *xxh64_fixed(PyObject *self, PyObject *args) {
    Py_buffer data, seeds, valid;
    int width;
    if (!PyArg_ParseTuple(args, "y*iy*y*", &data, &width, &seeds, &valid)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t rows;
    if (row_buffers(&seeds, &valid, &rows) < 0) goto done;
    if ((width != 4 && width != 8) || data.len < rows * width) {
        PyErr_SetString(PyExc_ValueError, "data: `width` (4 or 8) bytes per row");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, rows * 8);
    if (result == NULL) goto done;
    uint64_t *out = (uint64_t *)PyBytes_AS_STRING(result);
    const uint8_t *values = (const uint8_t *)data.buf;
    const uint64_t *seed = (const uint64_t *)seeds.buf;
    const uint8_t *ok = (const uint8_t *)valid.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; i++) {
        out[i] = ok[i] ? xxh64(values + i * width, (size_t)width, seed[i]) : seed[i];
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&seeds);
    PyBuffer_Release(&valid);
    return result;
}

static PyObject *xxh64_var(PyObject *self, PyObject *args) {
    Py_buffer data, offsets, seeds, valid;
    int offset_width;
    if (!PyArg_ParseTuple(args, "y*y*iy*y*", &data, &offsets, &offset_width, &seeds, &valid))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t rows;
    if (row_buffers(&seeds, &valid, &rows) < 0) goto done;
    if ((offset_width != 4 && offset_width != 8) || offsets.len < (rows + 1) * offset_width) {
        PyErr_SetString(PyExc_ValueError, "offsets: rows + 1 offsets of 4 or 8 bytes");
        goto done;
    }
    const uint8_t *bytes = (const uint8_t *)data.buf;
    const int32_t *o32 = (const int32_t *)offsets.buf;
    const int64_t *o64 = (const int64_t *)offsets.buf;
    for (Py_ssize_t i = 0; i <= rows; i++) { /* every slice inside the data */
        int64_t at = offset_width == 4 ? (int64_t)o32[i] : o64[i];
        int64_t before = i == 0 ? 0 : (offset_width == 4 ? (int64_t)o32[i - 1] : o64[i - 1]);
        if (at < 0 || at > data.len || (i > 0 && at < before)) {
            PyErr_SetString(PyExc_ValueError, "offsets outside the data");
            goto done;
        }
    }
    result = PyBytes_FromStringAndSize(NULL, rows * 8);
    if (result == NULL) goto done;
    uint64_t *out = (uint64_t *)PyBytes_AS_STRING(result);
    const uint64_t *seed = (const uint64_t *)seeds.buf;
    const uint8_t *ok = (const uint8_t *)valid.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; i++) {
        int64_t start = offset_width == 4 ? (int64_t)o32[i] : o64[i];
        int64_t stop = offset_width == 4 ? (int64_t)o32[i + 1] : o64[i + 1];
        out[i] = ok[i] ? xxh64(bytes + start, (size_t)(stop - start), seed[i]) : seed[i];
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&seeds);
    PyBuffer_Release(&valid);
    return result;
}

static PyObject *hll_codes(PyObject *self, PyObject *args) {
    Py_buffer hashes;
    int p;
    if (!PyArg_ParseTuple(args, "y*i", &hashes, &p)) return NULL;
    PyObject *result = NULL;
    if (p < 4 || p > 18 || hashes.len % 8 != 0) {
        PyErr_SetString(PyExc_ValueError, "hashes: uint64 each; p: 4 to 18");
        goto done;
    }
    Py_ssize_t rows = hashes.len / 8;
    result = PyBytes_FromStringAndSize(NULL, rows * 4);
    if (result == NULL) goto done;
    int32_t *out = (int32_t *)PyBytes_AS_STRING(result);
    const uint64_t *h = (const uint64_t *)hashes.buf;
    const uint64_t padding = 1ULL << (p - 1);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; i++) {
        uint64_t rest = (h[i] << p) | padding; /* never 0 */
        int32_t rank = (int32_t)__builtin_clzll(rest) + 1;
        out[i] = (int32_t)((h[i] >> (64 - p)) << 6) | rank;
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&hashes);
    return result;
}

static PyMethodDef methods[] = {
    {"xxh64_fixed", xxh64_fixed, METH_VARARGS, "XXH64 of fixed-width rows."},
    {"xxh64_var", xxh64_var, METH_VARARGS, "XXH64 of variable-width rows (Arrow offsets)."},
    {"hll_codes", hll_codes, METH_VARARGS, "HyperLogLog++ codes of XXH64 hashes."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_spark_xxh64", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__spark_xxh64(void) { return PyModule_Create(&module); }
