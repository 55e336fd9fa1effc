/* Avro binary datums of one Arrow binary column decoded into Arrow column buffers (the
 * accelerated path of kaspar.engine.formats.avro_columns; fastavro is the fallback).
 *
 * decode(program, data, offsets, offset_width, validity, array_offset, length, framed, ids)
 *   program: list of nodes in preorder, each (kind, null_index, arg, arg2, children, symbols):
 *            kinds as avro_columns.Kind; null_index -1 (not a union), 0 or 1 (the null branch
 *            of a two-branch union); arg/arg2 a fixed size or a decimal precision; children
 *            the number of direct children; symbols a tuple of bytes (enum) or None.
 *   data, offsets, validity: the binary column's buffers (offsets int32 or int64 as
 *            offset_width says; validity may be None), read from array_offset for length rows.
 *   framed:  each datum starts with Confluent's header (magic byte 0, 4-byte big-endian id),
 *            the id one of `ids`.
 * Returns a list with one tuple per node, (length, null_count, validity, values, offsets,
 * data, key_offsets, key_data) of bytes or None; None when a datum is malformed (anything this
 * decoder does not accept exactly as fastavro would); an int, the schema id, when a framed
 * datum names an id not in `ids`. Every read is bounds-checked against the datum's end.
 */
#include "_avro_wire.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "Avro and Arrow buffers are read as little-endian"
#endif

enum {
    K_NULL, K_BOOLEAN, K_INT, K_LONG, K_FLOAT, K_DOUBLE, K_BYTES, K_STRING, K_ENUM, K_FIXED,
    K_DATE, K_TIMESTAMP_MILLIS, K_TIMESTAMP_MICROS, K_DECIMAL_BYTES, K_DECIMAL_FIXED,
    K_RECORD, K_ARRAY, K_MAP, K_LONG_UNION, K_DOUBLE_UNION, K_COUNT
};
/* The branches of [int, long] and [float, double] unions (with or without null), 4 bits each
 * in a node's arg2 by branch index; arg is the number of branches. */
enum { B_NULL, B_INT, B_LONG, B_FLOAT, B_DOUBLE };

/* Python's datetime range (years 1..9999), which fastavro's conversions stay in. */
#define MIN_DAYS (-719162LL)
#define MAX_DAYS (2932896LL)
#define MIN_MICROS (-62135596800000000LL)
#define MAX_MICROS (253402300799999999LL)
#define MAX_MAP_ENTRIES 256 /* duplicate keys are checked pairwise; larger maps fall back */

typedef struct {
    int kind, null_index, nchildren;
    int nullable; /* a union with null, or the root: the only nodes with a validity bitmap */
    long long arg, arg2;
    int *children;
    PyObject *symbols; /* borrowed: the program outlives the call */
    Py_ssize_t length, null_count;
    Buf validity, values, offsets, data, key_offsets, key_data;
} Node;

typedef struct {
    Node *nodes;
    int count;
} Program;

static int append_bytes(Node *node, const uint8_t *src, Py_ssize_t n) {
    MEM(buf_append(&node->data, src, n));
    return offset_status(buf_offset(&node->offsets, node->data.size));
}

static int append_empty(Program *p, Node *node, int valid);

/* 10**precision > |value| for a decimal's unscaled value. */
static int fits_precision(__int128 value, long long precision) {
    __int128 limit = 1;
    for (long long i = 0; i < precision; i++) limit *= 10;
    return value < limit && value > -limit;
}

static int append_decimal(Node *node, const uint8_t *src, Py_ssize_t n, long long precision) {
    if (n > 16) return MALFORMED;
    unsigned __int128 u = (n > 0 && (src[0] & 0x80)) ? ~(unsigned __int128)0 : 0;
    for (Py_ssize_t i = 0; i < n; i++) u = (u << 8) | src[i];
    __int128 v = (__int128)u;
    if (!fits_precision(v, precision)) return MALFORMED;
    MEM(buf_append(&node->values, &v, 16));
    return OK;
}

static int read_value(Program *p, Node *node, Cursor *c);

static int read_items(Program *p, Node *node, Cursor *c) {
    Node *item = &p->nodes[node->children[0]];
    Py_ssize_t total = 0;
    for (;;) {
        int64_t count;
        TRY(read_long(c, &count));
        if (count == 0) break;
        if (count < 0) {
            int64_t block_size;
            if (count == INT64_MIN) return MALFORMED;
            count = -count;
            TRY(read_long(c, &block_size));
        }
        if (count > c->end - c->pos) return MALFORMED; /* each item takes a byte or more */
        if (node->kind == K_MAP && total + count > MAX_MAP_ENTRIES) return MALFORMED;
        for (int64_t i = 0; i < count; i++) {
            if (node->kind == K_MAP) {
                const uint8_t *key;
                Py_ssize_t size;
                TRY(read_sized(c, &key, &size));
                if (!valid_utf8(key, size)) return MALFORMED;
                /* fastavro keeps the last of duplicate keys in a dict: let it decide */
                const int32_t *ko = (const int32_t *)node->key_offsets.data;
                Py_ssize_t first = node->key_offsets.size / 4 - 1 - total;
                for (Py_ssize_t k = first; k < first + total; k++) {
                    if (ko[k + 1] - ko[k] == size &&
                        (size == 0 || memcmp(node->key_data.data + ko[k], key, (size_t)size) == 0))
                        return MALFORMED;
                }
                MEM(buf_append(&node->key_data, key, size));
                TRY(offset_status(buf_offset(&node->key_offsets, node->key_data.size)));
            }
            TRY(read_value(p, item, c));
            total++;
        }
    }
    return offset_status(buf_offset(&node->offsets, item->length));
}

static int read_record(Program *p, Node *node, Cursor *c) {
    for (int i = 0; i < node->nchildren; i++) TRY(read_value(p, &p->nodes[node->children[i]], c));
    return OK;
}

/* One value of `node`'s type (not its union branch): appended to the node's buffers. */
static int read_plain(Program *p, Node *node, Cursor *c) {
    int64_t v64;
    int32_t v32;
    const uint8_t *start;
    Py_ssize_t size;
    switch (node->kind) {
    case K_NULL:
        return OK;
    case K_BOOLEAN:
        if (c->pos >= c->end || *c->pos > 1) return MALFORMED;
        MEM(buf_bit(&node->values, node->length, *c->pos++));
        return OK;
    case K_INT:
        TRY(read_int(c, &v32));
        MEM(buf_append(&node->values, &v32, 4));
        return OK;
    case K_DATE:
        TRY(read_int(c, &v32));
        if (v32 < MIN_DAYS || v32 > MAX_DAYS) return MALFORMED;
        MEM(buf_append(&node->values, &v32, 4));
        return OK;
    case K_LONG:
        TRY(read_long(c, &v64));
        MEM(buf_append(&node->values, &v64, 8));
        return OK;
    case K_TIMESTAMP_MILLIS:
        TRY(read_long(c, &v64));
        if (v64 < MIN_MICROS / 1000 || v64 > MAX_MICROS / 1000) return MALFORMED;
        v64 *= 1000;
        MEM(buf_append(&node->values, &v64, 8));
        return OK;
    case K_TIMESTAMP_MICROS:
        TRY(read_long(c, &v64));
        if (v64 < MIN_MICROS || v64 > MAX_MICROS) return MALFORMED;
        MEM(buf_append(&node->values, &v64, 8));
        return OK;
    case K_FLOAT:
    case K_DOUBLE:
        size = node->kind == K_FLOAT ? 4 : 8;
        if (c->end - c->pos < size) return MALFORMED;
        MEM(buf_append(&node->values, c->pos, size));
        c->pos += size;
        return OK;
    case K_BYTES:
    case K_STRING:
        TRY(read_sized(c, &start, &size));
        if (node->kind == K_STRING && !valid_utf8(start, size)) return MALFORMED;
        return append_bytes(node, start, size);
    case K_ENUM:
        TRY(read_int(c, &v32));
        if (v32 < 0 || v32 >= PyTuple_GET_SIZE(node->symbols)) return MALFORMED;
        {
            PyObject *symbol = PyTuple_GET_ITEM(node->symbols, v32);
            return append_bytes(node, (const uint8_t *)PyBytes_AS_STRING(symbol),
                                PyBytes_GET_SIZE(symbol));
        }
    case K_FIXED:
    case K_DECIMAL_FIXED:
        if (c->end - c->pos < node->arg) return MALFORMED;
        start = c->pos;
        c->pos += node->arg;
        if (node->kind == K_FIXED) return append_bytes(node, start, (Py_ssize_t)node->arg);
        return append_decimal(node, start, (Py_ssize_t)node->arg, node->arg2);
    case K_DECIMAL_BYTES:
        TRY(read_sized(c, &start, &size));
        return append_decimal(node, start, size, node->arg);
    case K_RECORD:
        return read_record(p, node, c);
    case K_ARRAY:
    case K_MAP:
        return read_items(p, node, c);
    }
    return MALFORMED;
}

/* A value of [int, long] (read as long) or [float, double] (read as double), or null. */
static int read_number_union(Program *p, Node *node, Cursor *c) {
    int64_t branch, v64;
    int32_t v32;
    float f;
    double d;
    TRY(read_long(c, &branch));
    if (branch < 0 || branch >= node->arg) return MALFORMED;
    switch ((node->arg2 >> (4 * branch)) & 0xF) {
    case B_NULL:
        node->null_count++;
        return append_empty(p, node, 0);
    case B_INT:
        TRY(read_int(c, &v32));
        v64 = v32;
        MEM(buf_append(&node->values, &v64, 8));
        break;
    case B_LONG:
        TRY(read_long(c, &v64));
        MEM(buf_append(&node->values, &v64, 8));
        break;
    case B_FLOAT:
        if (c->end - c->pos < 4) return MALFORMED;
        memcpy(&f, c->pos, 4);
        c->pos += 4;
        d = (double)f;
        MEM(buf_append(&node->values, &d, 8));
        break;
    case B_DOUBLE:
        if (c->end - c->pos < 8) return MALFORMED;
        MEM(buf_append(&node->values, c->pos, 8));
        c->pos += 8;
        break;
    default:
        return MALFORMED;
    }
    if (node->nullable) MEM(buf_bit(&node->validity, node->length, 1));
    node->length++;
    return OK;
}

static int read_value(Program *p, Node *node, Cursor *c) {
    if (node->kind == K_LONG_UNION || node->kind == K_DOUBLE_UNION)
        return read_number_union(p, node, c);
    if (node->null_index >= 0) {
        int64_t branch;
        TRY(read_long(c, &branch));
        if (branch != 0 && branch != 1) return MALFORMED;
        if (branch == node->null_index) {
            node->null_count++;
            return append_empty(p, node, 0);
        }
    }
    TRY(read_plain(p, node, c));
    if (node->nullable) MEM(buf_bit(&node->validity, node->length, 1));
    node->length++;
    return OK;
}

/* An entry that is NULL (valid 0), or the empty value Arrow's builders give the children of
 * a NULL struct (valid 1): zeros, "", [], a struct of empty values. */
static int append_empty(Program *p, Node *node, int valid) {
    static const char zeros[16] = {0};
    switch (node->kind) {
    case K_BOOLEAN:
        MEM(buf_bit(&node->values, node->length, 0));
        break;
    case K_INT:
    case K_DATE:
    case K_FLOAT:
        MEM(buf_append(&node->values, zeros, 4));
        break;
    case K_LONG:
    case K_DOUBLE:
    case K_LONG_UNION:
    case K_DOUBLE_UNION:
    case K_TIMESTAMP_MILLIS:
    case K_TIMESTAMP_MICROS:
        MEM(buf_append(&node->values, zeros, 8));
        break;
    case K_DECIMAL_BYTES:
    case K_DECIMAL_FIXED:
        MEM(buf_append(&node->values, zeros, 16));
        break;
    case K_BYTES:
    case K_STRING:
    case K_ENUM:
    case K_FIXED:
        TRY(append_bytes(node, NULL, 0));
        break;
    case K_ARRAY:
    case K_MAP:
        TRY(offset_status(buf_offset(&node->offsets, p->nodes[node->children[0]].length)));
        break;
    case K_RECORD:
        for (int i = 0; i < node->nchildren; i++)
            TRY(append_empty(p, &p->nodes[node->children[i]], 1));
        break;
    default:
        break;
    }
    if (node->nullable) MEM(buf_bit(&node->validity, node->length, valid));
    node->length++;
    return OK;
}

static void program_free(Program *p) {
    if (p->nodes == NULL) return;
    for (int i = 0; i < p->count; i++) {
        Node *n = &p->nodes[i];
        PyMem_Free(n->children);
        buf_free(&n->validity);
        buf_free(&n->values);
        buf_free(&n->offsets);
        buf_free(&n->data);
        buf_free(&n->key_offsets);
        buf_free(&n->key_data);
    }
    PyMem_Free(p->nodes);
    p->nodes = NULL;
}

static int invalid_program(const char *why) {
    PyErr_Format(PyExc_ValueError, "invalid Avro program: %s", why);
    return -1;
}

/* Link node `index`'s children (the subtrees that follow it); the index after its subtree. */
static int link_children(Program *p, int index) {
    if (index >= p->count) return invalid_program("truncated");
    Node *node = &p->nodes[index];
    int next = index + 1;
    if (node->nchildren) {
        node->children = PyMem_Calloc((size_t)node->nchildren, sizeof(int));
        if (node->children == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    for (int i = 0; i < node->nchildren; i++) {
        node->children[i] = next;
        next = link_children(p, next);
        if (next < 0) return -1;
    }
    return next;
}

/* A number union's branches: 2 or 3, each null or a number of its kind; nullable with null. */
static int check_union(Node *n) {
    if (n->null_index != -1 || n->arg < 2 || n->arg > 3) return invalid_program("union size");
    for (long long b = 0; b < n->arg; b++) {
        int code = (int)((n->arg2 >> (4 * b)) & 0xF);
        int fits = n->kind == K_LONG_UNION ? code == B_INT || code == B_LONG
                                           : code == B_FLOAT || code == B_DOUBLE;
        if (code == B_NULL) n->nullable = 1;
        else if (!fits) return invalid_program("union branch");
    }
    return 0;
}

static int program_parse(PyObject *list, Program *p) {
    p->count = (int)PyList_GET_SIZE(list);
    if (p->count < 1) return invalid_program("empty");
    p->nodes = PyMem_Calloc((size_t)p->count, sizeof(Node));
    if (p->nodes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < p->count; i++) {
        Node *n = &p->nodes[i];
        if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "iiLLiO", &n->kind, &n->null_index,
                              &n->arg, &n->arg2, &n->nchildren, &n->symbols))
            return -1;
        n->nullable = i == 0 || n->null_index >= 0;
        if (n->kind < 0 || n->kind >= K_COUNT || n->null_index < -1 || n->null_index > 1 ||
            n->nchildren < 0 || n->arg < 0 || n->arg2 < 0 || n->arg > (1LL << 30))
            return invalid_program("bad node");
        if ((n->kind == K_ARRAY || n->kind == K_MAP) && n->nchildren != 1)
            return invalid_program("a list or map has one child");
        if (n->kind != K_RECORD && n->kind != K_ARRAY && n->kind != K_MAP && n->nchildren)
            return invalid_program("only records, lists and maps have children");
        if ((n->kind == K_DECIMAL_BYTES && n->arg > 38) ||
            (n->kind == K_DECIMAL_FIXED && n->arg2 > 38))
            return invalid_program("decimal precision above 38");
        if ((n->kind == K_LONG_UNION || n->kind == K_DOUBLE_UNION) && check_union(n) < 0)
            return -1;
        if (n->kind == K_ENUM) {
            if (!PyTuple_Check(n->symbols)) return invalid_program("enum symbols");
            for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(n->symbols); k++)
                if (!PyBytes_Check(PyTuple_GET_ITEM(n->symbols, k)))
                    return invalid_program("enum symbols are bytes");
        }
        int has_offsets = n->kind == K_BYTES || n->kind == K_STRING || n->kind == K_ENUM ||
                          n->kind == K_FIXED || n->kind == K_ARRAY || n->kind == K_MAP;
        if (has_offsets && buf_offset(&n->offsets, 0) < 0) return -1;
        if (n->kind == K_MAP && buf_offset(&n->key_offsets, 0) < 0) return -1;
    }
    int end = link_children(p, 0);
    if (end < 0) return -1;
    if (end != p->count) return invalid_program("nodes after the root");
    return 0;
}

static PyObject *node_result(Node *n) {
    PyObject *parts[6] = {buf_take(&n->validity), buf_take(&n->values), buf_take(&n->offsets),
                          buf_take(&n->data), buf_take(&n->key_offsets), buf_take(&n->key_data)};
    PyObject *out = NULL;
    if (parts[0] && parts[1] && parts[2] && parts[3] && parts[4] && parts[5])
        out = Py_BuildValue("nnOOOOOO", n->length, n->null_count, parts[0], parts[1], parts[2],
                            parts[3], parts[4], parts[5]);
    for (int i = 0; i < 6; i++) Py_XDECREF(parts[i]);
    return out;
}

typedef struct {
    Py_buffer data, offsets, validity;
    int offset_width, framed, has_validity;
    Py_ssize_t array_offset, length;
    PyObject *ids;
    long *id_values;
    Py_ssize_t id_count;
} Input;

static int64_t offset_at(Input *in, Py_ssize_t i) {
    if (in->offset_width == 4) return ((const int32_t *)in->offsets.buf)[i];
    return ((const int64_t *)in->offsets.buf)[i];
}

/* OK, MALFORMED, ERROR, or 2 with *unknown_id set: a schema id not in `ids`. */
static int decode_rows(Program *p, Input *in, long *unknown_id) {
    const uint8_t *data = in->data.buf;
    const uint8_t *bits = in->has_validity ? in->validity.buf : NULL;
    for (Py_ssize_t row = 0; row < in->length; row++) {
        Py_ssize_t i = in->array_offset + row;
        if (bits && !(bits[i / 8] & (1u << (i % 8)))) {
            p->nodes[0].null_count++;
            TRY(append_empty(p, &p->nodes[0], 0));
            continue;
        }
        int64_t start = offset_at(in, i), end = offset_at(in, i + 1);
        if (start < 0 || end < start || end > in->data.len) return MALFORMED;
        Cursor c = {data + start, data + end};
        if (in->framed) {
            if (end - start < 5 || c.pos[0] != 0) return MALFORMED;
            long id = (long)((uint32_t)c.pos[1] << 24 | (uint32_t)c.pos[2] << 16 |
                             (uint32_t)c.pos[3] << 8 | (uint32_t)c.pos[4]);
            int known = 0;
            for (Py_ssize_t k = 0; k < in->id_count && !known; k++) known = in->id_values[k] == id;
            if (!known) {
                *unknown_id = id;
                return 2;
            }
            c.pos += 5;
        }
        TRY(read_value(p, &p->nodes[0], &c));
    }
    return OK;
}

static PyObject *decode(PyObject *self, PyObject *args) {
    PyObject *program, *validity_obj;
    Input in;
    memset(&in, 0, sizeof in);
    if (!PyArg_ParseTuple(args, "O!y*y*iOnnpO!", &PyList_Type, &program, &in.data, &in.offsets,
                          &in.offset_width, &validity_obj, &in.array_offset, &in.length,
                          &in.framed, &PyTuple_Type, &in.ids))
        return NULL;
    PyObject *result = NULL;
    Program p = {NULL, 0};
    if (validity_obj != Py_None) {
        if (PyObject_GetBuffer(validity_obj, &in.validity, PyBUF_SIMPLE) < 0) goto done;
        in.has_validity = 1;
    }
    if ((in.offset_width != 4 && in.offset_width != 8) || in.array_offset < 0 || in.length < 0 ||
        (in.array_offset + in.length + 1) * in.offset_width > in.offsets.len ||
        (in.has_validity && (in.array_offset + in.length + 7) / 8 > in.validity.len)) {
        PyErr_SetString(PyExc_ValueError, "the column's buffers are shorter than its length");
        goto done;
    }
    if (program_parse(program, &p) < 0) goto done;
    in.id_count = PyTuple_GET_SIZE(in.ids);
    in.id_values = PyMem_Calloc((size_t)in.id_count + 1, sizeof(long));
    if (in.id_values == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < in.id_count; k++) {
        in.id_values[k] = PyLong_AsLong(PyTuple_GET_ITEM(in.ids, k));
        if (in.id_values[k] == -1 && PyErr_Occurred()) goto done;
    }
    long unknown_id = 0;
    int status = decode_rows(&p, &in, &unknown_id);
    if (status == ERROR) goto done;
    if (status == MALFORMED) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (status == 2) {
        result = PyLong_FromLong(unknown_id);
        goto done;
    }
    result = PyList_New(p.count);
    for (int i = 0; result && i < p.count; i++) {
        PyObject *item = node_result(&p.nodes[i]);
        if (item == NULL) Py_CLEAR(result);
        else PyList_SET_ITEM(result, i, item);
    }
done:
    program_free(&p);
    PyMem_Free(in.id_values);
    PyBuffer_Release(&in.data);
    PyBuffer_Release(&in.offsets);
    if (in.has_validity) PyBuffer_Release(&in.validity);
    return result;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS, "Avro datums of a binary column -> column buffers."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_avro_columns", "Avro binary datums -> Arrow column buffers.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__avro_columns(void) { return PyModule_Create(&module); }
