/* Spark's schema_of_variant / schema_of_variant_agg over one Arrow column of variant lists (the
 * accelerated path of kaspar.engine.variant.schema).
 *
 * schemas(data, offsets, validity, list_offsets, list_validity, array_offset, length)
 *   data, offsets, validity: a large_binary column of encoded variants (metadata followed by
 *            value, Spark's encoding), NULLs skipped;
 *   list_offsets (int64), list_validity: the list column over it, read from array_offset for
 *            length rows: each row's variants are merged into one schema.
 * Returns (data, offsets, validity, null_count): a large_string column of schemas, NULL for a
 * NULL list; a list without variants is VOID; None for a malformed encoding.
 *
 * The types are Spark's: every integer is BIGINT; a decimal is DECIMAL(p,s) without its
 * fraction's trailing zeros; objects list their fields by name (OBJECT<a: T, b: U>). Merging
 * (array elements, rows) keeps equal types, widens BIGINT and decimals to a decimal that holds
 * both (BIGINT counts as DECIMAL(20,0)), any number with a float or double to DOUBLE, merges
 * objects field by field and arrays by element, takes the other type for VOID, and gives
 * VARIANT for anything else.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { S_VOID, S_BOOLEAN, S_BIGINT, S_DECIMAL, S_FLOAT, S_DOUBLE, S_STRING, S_BINARY, S_DATE,
       S_TIMESTAMP, S_TIMESTAMP_NTZ, S_VARIANT, S_ARRAY, S_OBJECT };

typedef struct Type Type;
typedef struct {
    const uint8_t *name;
    size_t len;
    Type *type;
} Field;
struct Type {
    int kind, precision, scale;
    Type *element;  /* ARRAY */
    Field *fields;  /* OBJECT, sorted by name */
    size_t nfields;
};

/* Every node of one row's types: freed together when the row is written. */
typedef struct {
    void **blocks;
    size_t n, cap;
} Arena;

static void *arena_alloc(Arena *a, size_t size) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void **p = realloc(a->blocks, cap * sizeof *p);
        if (!p) return NULL;
        a->blocks = p;
        a->cap = cap;
    }
    void *block = calloc(1, size ? size : 1);
    if (block) a->blocks[a->n++] = block;
    return block;
}

static void arena_reset(Arena *a) {
    for (size_t i = 0; i < a->n; i++) free(a->blocks[i]);
    a->n = 0;
}

static Type *new_type(Arena *a, int kind) {
    Type *t = arena_alloc(a, sizeof *t);
    if (t) t->kind = kind;
    return t;
}

typedef struct {
    const uint8_t *meta, *value, *end;
    size_t meta_len, nkeys;
    int key_size;
    Arena *arena;
} Reader;

static uint64_t le(const uint8_t *p, int size) {
    uint64_t v = 0;
    for (int i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int key(const Reader *r, uint64_t id, const uint8_t **name, size_t *len) {
    if (id >= r->nkeys) return -1;
    size_t base = 1 + (size_t)r->key_size * (r->nkeys + 2);
    uint64_t a = le(r->meta + 1 + r->key_size * (id + 1), r->key_size);
    uint64_t b = le(r->meta + 1 + r->key_size * (id + 2), r->key_size);
    if (b < a || base + b > r->meta_len) return -1;
    *name = r->meta + base + a;
    *len = (size_t)(b - a);
    return 0;
}

static int digits(unsigned __int128 u) {
    int n = 1;
    while (u >= 10) u /= 10, n++;
    return n;
}

static Type *decimal_type(Reader *r, const uint8_t *p, int size) {
    if (p + 1 + size > r->end) return NULL;
    int scale = p[0];
    __int128 v = 0;
    for (int i = size - 1; i >= 0; i--) v = (v << 8) | p[1 + i];
    if (size < 16 && (p[size] & 0x80)) v -= (__int128)1 << (8 * size); /* sign of 4/8 bytes */
    unsigned __int128 u = v < 0 ? (unsigned __int128)(-v) : (unsigned __int128)v;
    while (scale > 0 && u % 10 == 0) u /= 10, scale--;
    Type *t = new_type(r->arena, S_DECIMAL);
    if (!t) return NULL;
    int d = digits(u);
    t->precision = d > scale ? d : scale;
    t->scale = scale;
    return t;
}

static Type *merge(Arena *a, Type *x, Type *y);
static Type *read_type(Reader *r, const uint8_t *p);

static Type *primitive(Reader *r, const uint8_t *p, int id) {
    static const int kinds[] = {S_VOID, S_BOOLEAN, S_BOOLEAN, S_BIGINT, S_BIGINT, S_BIGINT,
                                S_BIGINT, S_DOUBLE, -1, -1, -1, S_DATE, S_TIMESTAMP,
                                S_TIMESTAMP_NTZ, S_FLOAT, S_BINARY, S_STRING};
    if (id >= 8 && id <= 10) return decimal_type(r, p + 1, id == 8 ? 4 : id == 9 ? 8 : 16);
    if (id < 0 || id > 16) return NULL;
    return new_type(r->arena, kinds[id]);
}

static Type *array_type(Reader *r, const uint8_t *p, int info) {
    int off_size = (info & 3) + 1, large = info >> 2 & 1, count_size = large ? 4 : 1;
    if (p + 1 + count_size > r->end) return NULL;
    uint64_t n = le(p + 1, count_size);
    const uint8_t *offs = p + 1 + count_size, *values = offs + (n + 1) * off_size;
    if (values > r->end) return NULL;
    Type *t = new_type(r->arena, S_ARRAY), *element = new_type(r->arena, S_VOID);
    if (!t || !element) return NULL;
    for (uint64_t i = 0; i < n && element; i++) {
        Type *item = read_type(r, values + le(offs + i * off_size, off_size));
        element = item ? merge(r->arena, element, item) : NULL;
    }
    t->element = element;
    return element ? t : NULL;
}

static Type *object_type(Reader *r, const uint8_t *p, int info) {
    int off_size = (info & 3) + 1, id_size = ((info >> 2) & 3) + 1, large = info >> 4 & 1;
    int count_size = large ? 4 : 1;
    if (p + 1 + count_size > r->end) return NULL;
    uint64_t n = le(p + 1, count_size);
    const uint8_t *ids = p + 1 + count_size, *offs = ids + n * id_size;
    const uint8_t *values = offs + (n + 1) * off_size;
    if (values > r->end) return NULL;
    Type *t = new_type(r->arena, S_OBJECT);
    if (!t || !(t->fields = arena_alloc(r->arena, n * sizeof(Field)))) return NULL;
    t->nfields = (size_t)n;
    for (uint64_t i = 0; i < n; i++) {
        Field *f = &t->fields[i];
        if (key(r, le(ids + i * id_size, id_size), &f->name, &f->len)) return NULL;
        if (!(f->type = read_type(r, values + le(offs + i * off_size, off_size)))) return NULL;
    }
    return t;
}

static Type *read_type(Reader *r, const uint8_t *p) {
    if (p >= r->end) return NULL;
    int basic = p[0] & 3, info = p[0] >> 2;
    if (basic == 1) return new_type(r->arena, S_STRING);
    if (basic == 2) return object_type(r, p, info);
    if (basic == 3) return array_type(r, p, info);
    return primitive(r, p, info);
}

static int is_number(int k) { return k == S_BIGINT || k == S_DECIMAL || k == S_FLOAT || k == S_DOUBLE; }

static Type *merge_numbers(Arena *a, Type *x, Type *y) {
    if (x->kind == S_DOUBLE || y->kind == S_DOUBLE || x->kind == S_FLOAT || y->kind == S_FLOAT)
        return new_type(a, x->kind == S_FLOAT && y->kind == S_FLOAT ? S_FLOAT : S_DOUBLE);
    int p1 = x->kind == S_BIGINT ? 20 : x->precision, s1 = x->kind == S_BIGINT ? 0 : x->scale;
    int p2 = y->kind == S_BIGINT ? 20 : y->precision, s2 = y->kind == S_BIGINT ? 0 : y->scale;
    int scale = s1 > s2 ? s1 : s2, whole = p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2;
    Type *t = new_type(a, S_DECIMAL);
    if (!t) return NULL;
    t->precision = whole + scale > 38 ? 38 : whole + scale;
    t->scale = scale > 38 ? 38 : scale;
    return t;
}

static int name_cmp(const Field *a, const Field *b) {
    int c = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static Type *merge_objects(Arena *a, Type *x, Type *y) {
    Type *t = new_type(a, S_OBJECT);
    if (!t || !(t->fields = arena_alloc(a, (x->nfields + y->nfields) * sizeof(Field)))) return NULL;
    size_t i = 0, j = 0;
    while (i < x->nfields || j < y->nfields) {
        int c = i == x->nfields ? 1 : j == y->nfields ? -1 : name_cmp(&x->fields[i], &y->fields[j]);
        Field f = c <= 0 ? x->fields[i] : y->fields[j];
        if (c == 0 && !(f.type = merge(a, x->fields[i].type, y->fields[j].type))) return NULL;
        t->fields[t->nfields++] = f;
        i += c <= 0;
        j += c >= 0;
    }
    return t;
}

static Type *merge(Arena *a, Type *x, Type *y) {
    if (x->kind == S_VOID) return y;
    if (y->kind == S_VOID) return x;
    if (is_number(x->kind) && is_number(y->kind)) {
        if (x->kind == y->kind && x->kind != S_DECIMAL) return x;
        return merge_numbers(a, x, y);
    }
    if (x->kind != y->kind) return new_type(a, S_VARIANT);
    if (x->kind == S_OBJECT) return merge_objects(a, x, y);
    if (x->kind == S_ARRAY) {
        Type *t = new_type(a, S_ARRAY);
        if (t && !(t->element = merge(a, x->element, y->element))) return NULL;
        return t;
    }
    return x;
}

typedef struct {
    uint8_t *p;
    size_t n, cap;
} Buf;

static int put(Buf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

static int puts_(Buf *b, const char *s) { return put(b, s, strlen(s)); }

static int write_type(Buf *b, const Type *t) {
    static const char *names[] = {"VOID", "BOOLEAN", "BIGINT", "", "FLOAT", "DOUBLE", "STRING",
                                  "BINARY", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "VARIANT"};
    char text[32];
    switch (t->kind) {
    case S_DECIMAL:
        snprintf(text, sizeof text, "DECIMAL(%d,%d)", t->precision, t->scale);
        return puts_(b, text);
    case S_ARRAY:
        return puts_(b, "ARRAY<") || write_type(b, t->element) || puts_(b, ">");
    case S_OBJECT:
        if (puts_(b, "OBJECT<")) return -1;
        for (size_t i = 0; i < t->nfields; i++) {
            if ((i && puts_(b, ", ")) || put(b, t->fields[i].name, t->fields[i].len) ||
                puts_(b, ": ") || write_type(b, t->fields[i].type))
                return -1;
        }
        return puts_(b, ">");
    default:
        return puts_(b, names[t->kind]);
    }
}

/* The type of one encoded variant (metadata followed by value). */
static Type *variant_type(Arena *arena, const uint8_t *p, size_t len) {
    if (len < 3 || (p[0] & 0x0F) != 1) return NULL;
    int size = (p[0] >> 6) + 1;
    if (len < (size_t)1 + size) return NULL;
    Reader r = {.meta = p, .nkeys = (size_t)le(p + 1, size), .key_size = size, .arena = arena};
    size_t offsets_end = 1 + (size_t)size * (r.nkeys + 2);
    if (offsets_end > len) return NULL;
    size_t dictionary = (size_t)le(p + 1 + size * (r.nkeys + 1), size);
    r.meta_len = offsets_end + dictionary;
    if (r.meta_len >= len) return NULL;
    r.value = p + r.meta_len;
    r.end = p + len;
    return read_type(&r, r.value);
}

static int bit(const uint8_t *bits, Py_ssize_t i) { return !bits || (bits[i >> 3] >> (i & 7) & 1); }

static PyObject *schemas(PyObject *self, PyObject *args) {
    Py_buffer data, offsets, lists;
    PyObject *validity_obj, *list_validity_obj;
    Py_ssize_t array_offset, length;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*Oy*Onn", &data, &offsets, &validity_obj, &lists,
                          &list_validity_obj, &array_offset, &length))
        return NULL;
    Py_buffer validity = {0}, list_validity = {0};
    int has_v = validity_obj != Py_None, has_lv = list_validity_obj != Py_None;
    PyObject *result = NULL;
    Arena arena = {0};
    Buf out = {0}, out_offsets = {0}, out_valid = {0};
    if ((has_v && PyObject_GetBuffer(validity_obj, &validity, PyBUF_SIMPLE) < 0) ||
        (has_lv && PyObject_GetBuffer(list_validity_obj, &list_validity, PyBUF_SIMPLE) < 0))
        goto done;
    const int64_t *offs = offsets.buf, *list_offs = lists.buf;
    const uint8_t *valid = has_v ? validity.buf : NULL, *list_valid = has_lv ? list_validity.buf : NULL;
    int64_t zero = 0;
    Py_ssize_t nulls = 0;
    if ((size_t)lists.len < (size_t)(array_offset + length + 1) * 8 || put(&out_offsets, &zero, 8))
        goto nomem_or_short;
    size_t nbytes = (size_t)(length + 7) / 8;
    if (!(out_valid.p = calloc(nbytes ? nbytes : 1, 1))) goto nomem_or_short;
    out_valid.n = out_valid.cap = nbytes;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_ssize_t row = array_offset + i;
        if (bit(list_valid, row)) {
            Type *t = new_type(&arena, S_VOID);
            for (int64_t k = list_offs[row]; k < list_offs[row + 1] && t; k++) {
                if (!bit(valid, k)) continue;
                int64_t a = offs[k], b = offs[k + 1];
                if (a < 0 || b < a || (size_t)b > (size_t)data.len) { t = NULL; break; }
                Type *one = variant_type(&arena, (const uint8_t *)data.buf + a, (size_t)(b - a));
                t = one ? merge(&arena, t, one) : NULL;
            }
            if (!t) {
                result = Py_None;
                Py_INCREF(result);
                goto done;
            }
            if (write_type(&out, t)) goto nomem_or_short;
            out_valid.p[i >> 3] |= (uint8_t)(1 << (i & 7));
        } else {
            nulls++;
        }
        arena_reset(&arena);
        int64_t end = (int64_t)out.n;
        if (put(&out_offsets, &end, 8)) goto nomem_or_short;
    }
    result = Py_BuildValue("(y#y#y#n)", out.p ? (char *)out.p : "", (Py_ssize_t)out.n,
                           (char *)out_offsets.p, (Py_ssize_t)out_offsets.n, (char *)out_valid.p,
                           (Py_ssize_t)out_valid.n, nulls);
    goto done;
nomem_or_short:
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "out of memory or short buffers");
done:
    arena_reset(&arena);
    free(arena.blocks);
    free(out.p);
    free(out_offsets.p);
    free(out_valid.p);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&lists);
    if (has_v && validity.obj) PyBuffer_Release(&validity);
    if (has_lv && list_validity.obj) PyBuffer_Release(&list_validity);
    return result;
}

static PyMethodDef methods[] = {
    {"schemas", schemas, METH_VARARGS, "Lists of encoded variants -> Spark schema strings."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_variant_schema", "Spark's schema_of_variant over Arrow.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__variant_schema(void) { return PyModule_Create(&module); }
