/* Decode the records of RecordBatch v2 bodies into column buffers (the accelerated
 * implementation of kaspar.protocol.record_columns; the pure-Python one is the reference).
 *
 * decode_columns(batches, lo, hi, headers) -> tuple of 17 items, see record_columns.py:
 *   batches: list of (body: bytes, count, base_offset, base_timestamp, timestamp_type,
 *                     log_append_time) with `body` the decompressed records section.
 *   Records whose offset is outside [lo, hi) are skipped.
 * Buffers are native-endian int64/int32 arrays and Arrow validity bitmaps (bit set = valid).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* A buffer that is a bytes object from the start, so the result needs no copy. */
typedef struct {
    PyObject *obj;
    char *data;
    Py_ssize_t size;
    Py_ssize_t capacity;
} Growable;

static int grow(Growable *g, Py_ssize_t extra) {
    if (g->size + extra <= g->capacity) return 0;
    Py_ssize_t cap = g->capacity ? g->capacity : 1024;
    while (cap < g->size + extra) cap *= 2;
    if (g->obj == NULL) {
        g->obj = PyBytes_FromStringAndSize(NULL, cap);
        if (g->obj == NULL) return -1;
    } else if (_PyBytes_Resize(&g->obj, cap) < 0) {
        return -1;
    }
    g->data = PyBytes_AS_STRING(g->obj);
    g->capacity = cap;
    return 0;
}

static int append(Growable *g, const void *src, Py_ssize_t n) {
    if (grow(g, n) < 0) return -1;
    if (n) memcpy(g->data + g->size, src, (size_t)n);
    g->size += n;
    return 0;
}

static int append_i32(Growable *g, int32_t v) { return append(g, &v, 4); }

static int set_bit(Growable *g, Py_ssize_t index, int valid) {
    Py_ssize_t need = index / 8 + 1;
    if (need > g->size) {
        if (grow(g, need - g->size) < 0) return -1;
        memset(g->data + g->size, 0, (size_t)(need - g->size));
        g->size = need;
    }
    if (valid) g->data[index / 8] |= (char)(1u << (index % 8));
    return 0;
}

/* A zigzag varint at *pos (< end); -1 on a truncated or overlong varint. */
static inline int read_varint(const uint8_t **pos, const uint8_t *end, int64_t *out) {
    uint64_t result = 0;
    int shift = 0;
    const uint8_t *p = *pos;
    while (p < end && shift <= 63) {
        uint8_t b = *p++;
        result |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(result >> 1) ^ -(int64_t)(result & 1);
            *pos = p;
            return 0;
        }
        shift += 7;
    }
    return -1;
}

typedef struct {
    Growable offsets, timestamps, types;
    Growable key_offsets, key_valid, key_data;
    Growable value_offsets, value_valid, value_data;
    Growable header_offsets, header_valid, hkey_offsets, hkey_data;
    Growable hvalue_offsets, hvalue_valid, hvalue_data;
    Py_ssize_t rows, key_nulls, value_nulls, header_nulls, header_rows, hvalue_nulls;
    int headers;
} Columns;

static void columns_free(Columns *c) {
    Growable *all[] = {&c->offsets, &c->timestamps, &c->types, &c->key_offsets, &c->key_valid,
                       &c->key_data, &c->value_offsets, &c->value_valid, &c->value_data,
                       &c->header_offsets, &c->header_valid, &c->hkey_offsets, &c->hkey_data,
                       &c->hvalue_offsets, &c->hvalue_valid, &c->hvalue_data};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) Py_CLEAR(all[i]->obj);
}

static int corrupt(const char *what) {
    PyErr_Format(PyExc_ValueError, "corrupt record: %s", what);
    return -1;
}

/* A length-prefixed field: appends its bytes to data/offsets and its validity bit. */
static int read_blob(const uint8_t **p, const uint8_t *end, Growable *offsets, Growable *valid,
                     Growable *data, Py_ssize_t index, Py_ssize_t *nulls) {
    int64_t length;
    if (read_varint(p, end, &length) < 0) return corrupt("truncated varint");
    if (length < 0) {
        /* null; a header key (valid == NULL) is never null in Kafka: read as empty */
        if (valid != NULL) {
            (*nulls)++;
            if (set_bit(valid, index, 0) < 0) return -1;
        }
    } else {
        if (length > end - *p) return corrupt("field exceeds the record");
        if (append(data, *p, (Py_ssize_t)length) < 0) return -1;
        if (data->size > INT32_MAX) return corrupt("more than 2 GiB of data in one read");
        *p += length;
        if (valid != NULL && set_bit(valid, index, 1) < 0) return -1;
    }
    return append_i32(offsets, (int32_t)data->size);
}

static int read_headers(Columns *c, const uint8_t **p, const uint8_t *end) {
    int64_t count;
    if (read_varint(p, end, &count) < 0) return corrupt("truncated header count");
    if (count < 0 || count > end - *p) return corrupt("bad header count");
    if (!c->headers) {
        for (int64_t i = 0; i < count; i++) {
            for (int side = 0; side < 2; side++) {
                int64_t length;
                if (read_varint(p, end, &length) < 0) return corrupt("truncated header");
                if (length > end - *p) return corrupt("header exceeds the record");
                if (length > 0) *p += length;
            }
        }
        return 0;
    }
    if (set_bit(&c->header_valid, c->rows, count > 0) < 0) return -1;
    if (count == 0) c->header_nulls++;
    for (int64_t i = 0; i < count; i++) {
        if (read_blob(p, end, &c->hkey_offsets, NULL, &c->hkey_data, 0, NULL) < 0) return -1;
        if (read_blob(p, end, &c->hvalue_offsets, &c->hvalue_valid, &c->hvalue_data,
                      c->header_rows, &c->hvalue_nulls) < 0)
            return -1;
        c->header_rows++;
    }
    return append_i32(&c->header_offsets, (int32_t)c->header_rows);
}

static int read_record(Columns *c, const uint8_t **pos, const uint8_t *end, int64_t base_offset,
                       int64_t base_ts, int32_t ts_type, int64_t lat, int64_t lo, int64_t hi) {
    int64_t length, ts_delta, offset_delta;
    const uint8_t *p = *pos;
    if (read_varint(&p, end, &length) < 0) return corrupt("truncated record length");
    if (length < 1 || length > end - p) return corrupt("record length exceeds the batch");
    const uint8_t *rend = p + length;
    *pos = rend;
    p++; /* attributes */
    if (read_varint(&p, rend, &ts_delta) < 0) return corrupt("truncated timestamp delta");
    if (read_varint(&p, rend, &offset_delta) < 0) return corrupt("truncated offset delta");
    int64_t offset = base_offset + offset_delta;
    if (offset < lo || offset >= hi) return 0;
    int64_t ts = ts_type ? lat : base_ts + ts_delta;
    if (append(&c->offsets, &offset, 8) < 0 || append(&c->timestamps, &ts, 8) < 0 ||
        append_i32(&c->types, ts_type) < 0)
        return -1;
    if (read_blob(&p, rend, &c->key_offsets, &c->key_valid, &c->key_data, c->rows,
                  &c->key_nulls) < 0 ||
        read_blob(&p, rend, &c->value_offsets, &c->value_valid, &c->value_data, c->rows,
                  &c->value_nulls) < 0 ||
        read_headers(c, &p, rend) < 0)
        return -1;
    if (p != rend) return corrupt("record length does not match its fields");
    c->rows++;
    return 0;
}

static int read_batch(Columns *c, PyObject *item, int64_t lo, int64_t hi) {
    PyObject *body;
    Py_ssize_t count;
    long long base_offset, base_ts, lat;
    int ts_type;
    if (!PyArg_ParseTuple(item, "SnLLiL", &body, &count, &base_offset, &base_ts, &ts_type, &lat))
        return -1;
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(body);
    const uint8_t *end = p + PyBytes_GET_SIZE(body);
    if (count < 0 || count > end - p) return corrupt("record count exceeds the batch");
    for (Py_ssize_t i = 0; i < count; i++) {
        if (read_record(c, &p, end, base_offset, base_ts, ts_type, lat, lo, hi) < 0) return -1;
    }
    if (p != end) return corrupt("trailing bytes after the last record");
    return 0;
}

/* The buffer as a bytes object of its size; the Growable lets go of it. */
static PyObject *as_bytes(Growable *g) {
    PyObject *obj = g->obj;
    g->obj = NULL;
    if (obj == NULL) return PyBytes_FromStringAndSize("", 0);
    if (_PyBytes_Resize(&obj, g->size) < 0) return NULL;
    return obj;
}

static PyObject *bitmap_or_none(Growable *g, Py_ssize_t nulls) {
    if (nulls == 0) Py_RETURN_NONE;
    return as_bytes(g);
}

static PyObject *result(Columns *c) {
    if (!c->headers) {
        return Py_BuildValue("(nNNNNNNNNNOOOOOOO)", c->rows, as_bytes(&c->offsets),
                             as_bytes(&c->timestamps), as_bytes(&c->types),
                             as_bytes(&c->key_offsets), bitmap_or_none(&c->key_valid, c->key_nulls),
                             as_bytes(&c->key_data), as_bytes(&c->value_offsets),
                             bitmap_or_none(&c->value_valid, c->value_nulls),
                             as_bytes(&c->value_data), Py_None, Py_None, Py_None, Py_None, Py_None,
                             Py_None, Py_None);
    }
    return Py_BuildValue(
        "(nNNNNNNNNNNNNNNNN)", c->rows, as_bytes(&c->offsets), as_bytes(&c->timestamps),
        as_bytes(&c->types), as_bytes(&c->key_offsets),
        bitmap_or_none(&c->key_valid, c->key_nulls), as_bytes(&c->key_data),
        as_bytes(&c->value_offsets), bitmap_or_none(&c->value_valid, c->value_nulls),
        as_bytes(&c->value_data), as_bytes(&c->header_offsets),
        bitmap_or_none(&c->header_valid, c->header_nulls), as_bytes(&c->hkey_offsets),
        as_bytes(&c->hkey_data), as_bytes(&c->hvalue_offsets),
        bitmap_or_none(&c->hvalue_valid, c->hvalue_nulls), as_bytes(&c->hvalue_data));
}

/* Room for every record of every batch at once: one allocation per column. */
static int reserve(Columns *c, PyObject *batches) {
    Py_ssize_t bytes = 0, count = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(batches); i++) {
        PyObject *item = PyList_GET_ITEM(batches, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 2) continue;
        PyObject *body = PyTuple_GET_ITEM(item, 0);
        if (PyBytes_Check(body)) {
            bytes += PyBytes_GET_SIZE(body);
            count += PyBytes_GET_SIZE(body) / 8 + 1;
        }
    }
    count = count < 1 << 20 ? count : 1 << 20;
    if (grow(&c->value_data, bytes) < 0 || grow(&c->offsets, count * 8) < 0 ||
        grow(&c->timestamps, count * 8) < 0 || grow(&c->types, count * 4) < 0 ||
        grow(&c->value_offsets, count * 4) < 0 || grow(&c->key_offsets, count * 4) < 0)
        return -1;
    return 0;
}

static PyObject *decode_columns(PyObject *self, PyObject *args) {
    PyObject *batches;
    long long lo, hi;
    int headers;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!LLp", &PyList_Type, &batches, &lo, &hi, &headers)) return NULL;
    Columns c;
    memset(&c, 0, sizeof(c));
    c.headers = headers;
    PyObject *out = NULL;
    if (append_i32(&c.key_offsets, 0) < 0 || append_i32(&c.value_offsets, 0) < 0 ||
        append_i32(&c.header_offsets, 0) < 0 || append_i32(&c.hkey_offsets, 0) < 0 ||
        append_i32(&c.hvalue_offsets, 0) < 0)
        goto done;
    if (reserve(&c, batches) < 0) goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(batches); i++) {
        if (read_batch(&c, PyList_GET_ITEM(batches, i), lo, hi) < 0) goto done;
    }
    out = result(&c);
done:
    columns_free(&c);
    return out;
}

static PyMethodDef methods[] = {
    {"decode_columns", decode_columns, METH_VARARGS,
     "decode_columns(batches, lo, hi, headers) -> column buffers (see record_columns.py)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_record_columns", "RecordBatch v2 records -> column buffers.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__record_columns(void) { return PyModule_Create(&module); }
