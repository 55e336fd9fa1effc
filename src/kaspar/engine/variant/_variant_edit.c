/* Spark's variant_delete and variant_strip_nulls over one Arrow column of encoded variants
 * (the accelerated path of kaspar.engine.variant.edit).
 *
 * edit(data, offsets, validity, array_offset, length, path, strip, strip_arrays, appended,
 *      mode, create)
 *   data, offsets, validity: a large_binary column of encoded variants (metadata followed by
 *            value), read from array_offset for length rows;
 *   path:    a tuple of steps (str: an object field, int: an array index) whose value is
 *            removed, or None;
 *   strip:   remove object fields holding a variant null (strip_arrays: array elements too);
 *   appended: None, or (data, offsets, validity) of a large_binary column of encoded variants
 *            (read from the same rows) appended to the array at `path` instead of removing it
 *            (variant_array_append); NULL where the appended value is NULL.
 *   mode:    0 remove (delete, strip), 1 append, 2 set (create: make what is missing),
 *            3 insert (before an array element; a new object field, or VARIANT_DUPLICATE_KEY).
 * Returns (data, offsets, validity, null_count, first_mismatch, first_duplicate): the edited
 * variants, NULL for NULL; first_mismatch the first row whose path met a value of another
 * kind than the step (Spark's VARIANT_PATH_TYPE_MISMATCH; the row is NULL), first_duplicate
 * the first row where insert met an existing field, or -1; None for a malformed encoding. A
 * path that leads nowhere leaves the variant as it is, or (set, insert) is created: objects
 * for names, arrays padded with nulls for indexes.
 *
 * Each variant is copied value by value into a fresh encoding (_variant_writer.h), leaving
 * out what is removed: objects and arrays get new headers and the names a new dictionary.
 */
#include "_variant_writer.h"

typedef struct {
    const uint8_t *meta, *end;
    size_t nkeys;
    int key_size;
    size_t dict_base;
} Source;

typedef struct {
    PyObject *steps; /* tuple or NULL */
    Py_ssize_t nsteps;
    int strip, strip_arrays;
    const Source *append_src; /* the value an append, set or insert writes, or NULL */
    const uint8_t *append_value;
    int mode, create;
} Edit;

enum { MODE_REMOVE, MODE_APPEND, MODE_SET, MODE_INSERT };
#define MISMATCH (-3)
#define DUPLICATE (-4)

static uint64_t rd(const uint8_t *p, int size) {
    uint64_t v = 0;
    for (int i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The size of the scalar at p (0 when unknown). */
static size_t scalar_size(const Source *src, const uint8_t *p) {
    int basic = p[0] & 3, id = p[0] >> 2;
    if (basic == 1) return 1 + (size_t)id;
    static const int sizes[] = {0, 0, 0, 1, 2, 4, 8, 8, 5, 9, 17, 4, 8, 8, 4, -1, -1, 8, 8, 8, 16};
    if (id > 20) return 0;
    if (sizes[id] >= 0) return 1 + (size_t)sizes[id];
    if (p + 5 > src->end) return 0;
    return 5 + (size_t)rd(p + 1, 4);
}

static int is_null(const uint8_t *p) { return p[0] == 0; }

static int copy_value(Enc *e, const Source *src, const uint8_t *p, const Edit *ed, Py_ssize_t step);

static int name_of(const Source *src, uint64_t id, const uint8_t **name, size_t *len) {
    if (id >= src->nkeys) return BAD;
    uint64_t a = rd(src->meta + 1 + src->key_size * (id + 1), src->key_size);
    uint64_t b = rd(src->meta + 1 + src->key_size * (id + 2), src->key_size);
    if (b < a || src->meta + src->dict_base + b > src->end) return BAD;
    *name = src->meta + src->dict_base + a;
    *len = (size_t)(b - a);
    return 0;
}

/* Whether step `step` of the edit's path is the field `name` (1), another field (0). */
static int step_is_name(const Edit *ed, Py_ssize_t step, const uint8_t *name, size_t len) {
    if (step < 0 || step >= ed->nsteps) return 0;
    PyObject *s = PyTuple_GET_ITEM(ed->steps, step);
    if (!PyUnicode_Check(s)) return 0;
    Py_ssize_t n;
    const char *text = PyUnicode_AsUTF8AndSize(s, &n);
    return text && (size_t)n == len && memcmp(text, name, len) == 0;
}

static int step_is_index(const Edit *ed, Py_ssize_t step, uint64_t index) {
    if (step < 0 || step >= ed->nsteps) return 0;
    PyObject *s = PyTuple_GET_ITEM(ed->steps, step);
    return PyLong_Check(s) && PyLong_AsUnsignedLongLong(s) == index;
}

/* `step`: the next path step when this value lies on the path, -1 when it does not. */
/* The value an edit writes (append, set, insert), copied from its own encoding. */
static int write_new(Enc *e, const Edit *ed) {
    Edit plain = {0};
    return copy_value(e, ed->append_src, ed->append_value, &plain, -1);
}

static int write_null(Enc *e) { return put_byte(&e->value, 0); }

/* What set and insert create where the path leads nowhere: objects for names, arrays (padded
 * with nulls) for indexes, the value at the end. */
static int write_created(Enc *e, const Edit *ed, Py_ssize_t step) {
    if (step == ed->nsteps) return write_new(e, ed);
    PyObject *s = PyTuple_GET_ITEM(ed->steps, step);
    size_t start = e->value.n;
    if (PyUnicode_Check(s)) {
        size_t first = e->nfields;
        Py_ssize_t n;
        const char *name = PyUnicode_AsUTF8AndSize(s, &n);
        if (!name) return NOMEM;
        e->str.n = 0;
        if (put(&e->str, name, (size_t)n)) return NOMEM;
        int64_t id = key_id(e);
        if (id < 0) return (int)id;
        if (push_field(e, (uint32_t)id, 0)) return NOMEM;
        int rc = write_created(e, ed, step + 1);
        return rc ? rc : finish_object(e, start, first);
    }
    size_t first = e->nelems, index = (size_t)PyLong_AsSize_t(s);
    for (size_t i = 0; i < index; i++)
        if (push_element(e, e->value.n - start) || write_null(e)) return NOMEM;
    if (push_element(e, e->value.n - start)) return NOMEM;
    int rc = write_created(e, ed, step + 1);
    return rc ? rc : finish_array(e, start, first);
}

static int creates(const Edit *ed) { return ed->mode == MODE_INSERT || (ed->mode == MODE_SET && ed->create); }

/* `step`: the next path step when this value lies on the path, -1 when it does not. */
static int copy_object(Enc *e, const Source *src, const uint8_t *p, const Edit *ed, Py_ssize_t step) {
    int info = p[0] >> 2, off_size = (info & 3) + 1, id_size = ((info >> 2) & 3) + 1;
    int count_size = (info >> 4 & 1) ? 4 : 1;
    if (p + 1 + count_size > src->end) return BAD;
    uint64_t n = rd(p + 1, count_size);
    const uint8_t *ids = p + 1 + count_size, *offs = ids + n * id_size;
    const uint8_t *values = offs + (n + 1) * off_size;
    if (values > src->end) return BAD;
    size_t start = e->value.n, first = e->nfields;
    int found = 0, last = step >= 0 && step == ed->nsteps - 1;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *name, *child = values + rd(offs + i * off_size, off_size);
        size_t len;
        if (child >= src->end || name_of(src, rd(ids + i * id_size, id_size), &name, &len)) return BAD;
        int on_path = step_is_name(ed, step, name, len);
        found |= on_path;
        if (on_path && last && ed->mode == MODE_INSERT) return DUPLICATE;
        if ((on_path && last && ed->mode == MODE_REMOVE) || (ed->strip && is_null(child))) continue;
        e->str.n = 0;
        if (put(&e->str, name, len)) return NOMEM;
        int64_t id = key_id(e);
        if (id < 0) return (int)id;
        if (push_field(e, (uint32_t)id, e->value.n - start)) return NOMEM;
        int rc = on_path && last && ed->mode == MODE_SET
                     ? write_new(e, ed)
                     : copy_value(e, src, child, ed, on_path ? step + 1 : -1);
        if (rc) return rc;
    }
    if (step >= 0 && step < ed->nsteps && !found && creates(ed)) { /* a new field here */
        Py_ssize_t n_name;
        const char *name = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(ed->steps, step), &n_name);
        if (!name) return NOMEM;
        e->str.n = 0;
        if (put(&e->str, name, (size_t)n_name)) return NOMEM;
        int64_t id = key_id(e);
        if (id < 0) return (int)id;
        if (push_field(e, (uint32_t)id, e->value.n - start)) return NOMEM;
        int rc = write_created(e, ed, step + 1);
        if (rc) return rc;
    }
    return finish_object(e, start, first);
}

static int copy_array(Enc *e, const Source *src, const uint8_t *p, const Edit *ed, Py_ssize_t step) {
    int info = p[0] >> 2, off_size = (info & 3) + 1, count_size = (info >> 2 & 1) ? 4 : 1;
    if (p + 1 + count_size > src->end) return BAD;
    uint64_t n = rd(p + 1, count_size);
    const uint8_t *offs = p + 1 + count_size, *values = offs + (n + 1) * off_size;
    if (values > src->end) return BAD;
    size_t start = e->value.n, first = e->nelems;
    int last = step >= 0 && step == ed->nsteps - 1;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *child = values + rd(offs + i * off_size, off_size);
        if (child >= src->end) return BAD;
        int on_path = step_is_index(ed, step, i);
        if ((on_path && last && ed->mode == MODE_REMOVE) || (ed->strip_arrays && is_null(child))) continue;
        if (on_path && last && ed->mode == MODE_INSERT) { /* the value goes before element i */
            if (push_element(e, e->value.n - start) || write_new(e, ed)) return NOMEM;
        }
        if (push_element(e, e->value.n - start)) return NOMEM;
        int moved = on_path && last && ed->mode == MODE_INSERT; /* the element after the value */
        int rc = on_path && last && ed->mode == MODE_SET
                     ? write_new(e, ed)
                     : copy_value(e, src, child, ed, on_path && !moved ? step + 1 : -1);
        if (rc) return rc;
    }
    if (ed->mode == MODE_APPEND && step == ed->nsteps) { /* the target array: the value last */
        if (push_element(e, e->value.n - start) || write_new(e, ed)) return NOMEM;
    }
    if (step >= 0 && step < ed->nsteps && creates(ed)) {
        size_t index = (size_t)PyLong_AsSize_t(PyTuple_GET_ITEM(ed->steps, step));
        if (index >= n) { /* past the end: nulls up to it, then what the path creates */
            for (size_t i = n; i < index; i++)
                if (push_element(e, e->value.n - start) || write_null(e)) return NOMEM;
            if (push_element(e, e->value.n - start)) return NOMEM;
            int rc = write_created(e, ed, step + 1);
            if (rc) return rc;
        }
    }
    return finish_array(e, start, first);
}

static int copy_value(Enc *e, const Source *src, const uint8_t *p, const Edit *ed, Py_ssize_t step) {
    int basic = p[0] & 3, rc;
    if (ed->mode != MODE_REMOVE && step >= 0 && !(basic == 3 && step == ed->nsteps)) {
        if (step == ed->nsteps || basic < 2) return MISMATCH; /* the target is not an array */
        PyObject *next = PyTuple_GET_ITEM(ed->steps, step);
        if ((basic == 2) != (PyUnicode_Check(next) != 0)) return MISMATCH;
    }
    if (basic == 2 || basic == 3) {
        if (++e->depth > MAX_DEPTH) return BAD;
        rc = basic == 2 ? copy_object(e, src, p, ed, step) : copy_array(e, src, p, ed, step);
        e->depth--;
        return rc;
    }
    size_t size = scalar_size(src, p);
    if (size == 0 || p + size > src->end) return BAD;
    return put(&e->value, p, size);
}

/* The metadata of the encoding at p (len bytes) and where its value starts. */
static int source_of(const uint8_t *p, size_t len, Source *src, const uint8_t **value) {
    if (len < 3 || (p[0] & 0x0F) != 1) return BAD;
    int size = (p[0] >> 6) + 1;
    *src = (Source){.meta = p, .end = p + len, .key_size = size};
    src->nkeys = (size_t)rd(p + 1, size);
    src->dict_base = 1 + (size_t)size * (src->nkeys + 2);
    if (src->dict_base > len) return BAD;
    size_t value_at = src->dict_base + (size_t)rd(p + 1 + size * (src->nkeys + 1), size);
    if (value_at >= len) return BAD;
    *value = p + value_at;
    return 0;
}

static int edit_one(Enc *e, const uint8_t *p, size_t len, const Edit *ed, Buf *out) {
    Source src;
    const uint8_t *value;
    if (source_of(p, len, &src, &value)) return BAD;
    if (enc_begin(e)) return NOMEM;
    int on_path = ed->nsteps || ed->append_src;
    int rc = copy_value(e, &src, value, ed, on_path ? 0 : -1);
    return rc ? rc : enc_end(e, out);
}

typedef struct {
    Py_buffer data, offsets, validity;
    int has, has_validity;
} Column;

static int row_bytes(const Column *c, Py_ssize_t row, const uint8_t **p, size_t *len) {
    if (c->has_validity && !(((const uint8_t *)c->validity.buf)[row >> 3] >> (row & 7) & 1))
        return 0;
    const int64_t *offs = c->offsets.buf;
    if ((size_t)c->offsets.len < (size_t)(row + 2) * 8) return BAD;
    int64_t a = offs[row], b = offs[row + 1];
    if (a < 0 || b < a || (size_t)b > (size_t)c->data.len) return BAD;
    *p = (const uint8_t *)c->data.buf + a;
    *len = (size_t)(b - a);
    return 1;
}

static PyObject *edit(PyObject *self, PyObject *args) {
    Py_buffer data, offsets;
    PyObject *validity_obj, *path, *appended;
    Py_ssize_t array_offset, length;
    int strip, strip_arrays;
    (void)self;
    int mode, create;
    if (!PyArg_ParseTuple(args, "y*y*OnnOppOip", &data, &offsets, &validity_obj, &array_offset,
                          &length, &path, &strip, &strip_arrays, &appended, &mode, &create))
        return NULL;
    Py_buffer validity = {0};
    int has_v = validity_obj != Py_None;
    PyObject *result = NULL;
    Enc e = {0};
    Buf out = {0}, out_offsets = {0}, out_valid = {0};
    Column add = {0};
    Py_ssize_t mismatch = -1;
    Edit ed = {.steps = PyTuple_Check(path) ? path : NULL, .strip = strip, .strip_arrays = strip_arrays};
    ed.nsteps = ed.steps ? PyTuple_GET_SIZE(path) : 0;
    ed.mode = mode;
    ed.create = create;
    Py_ssize_t duplicate = -1;
    if (has_v && PyObject_GetBuffer(validity_obj, &validity, PyBUF_SIMPLE) < 0) goto done;
    if (appended != Py_None) {
        PyObject *add_validity;
        if (!PyArg_ParseTuple(appended, "y*y*O", &add.data, &add.offsets, &add_validity)) goto done;
        add.has = 1;
        add.has_validity = add_validity != Py_None;
        if (add.has_validity && PyObject_GetBuffer(add_validity, &add.validity, PyBUF_SIMPLE) < 0)
            goto done;
    }
    const int64_t *offs = offsets.buf;
    const uint8_t *valid = has_v ? validity.buf : NULL;
    size_t nbytes = (size_t)(length + 7) / 8;
    Py_ssize_t nulls = 0;
    if ((size_t)offsets.len < (size_t)(array_offset + length + 1) * 8 || put_le(&out_offsets, 0, 8) ||
        !(out_valid.p = calloc(nbytes ? nbytes : 1, 1))) {
        PyErr_SetString(PyExc_ValueError, "out of memory or short buffers");
        goto done;
    }
    out_valid.n = out_valid.cap = nbytes;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_ssize_t row = array_offset + i;
        const uint8_t *extra = NULL;
        size_t extra_len = 0;
        int has_extra = add.has ? row_bytes(&add, row, &extra, &extra_len) : 1;
        Source extra_src;
        if (has_extra == 1 && add.has) {
            if (source_of(extra, extra_len, &extra_src, &ed.append_value)) has_extra = BAD;
            ed.append_src = &extra_src;
        }
        if (has_extra == 1 && (!valid || (valid[row >> 3] >> (row & 7) & 1))) {
            int64_t a = offs[row], b = offs[row + 1];
            int rc = a < 0 || b < a || (size_t)b > (size_t)data.len
                         ? BAD
                         : edit_one(&e, (const uint8_t *)data.buf + a, (size_t)(b - a), &ed, &out);
            if (rc == NOMEM) {
                PyErr_NoMemory();
                goto done;
            }
            if (rc == MISMATCH || rc == DUPLICATE) {
                if (rc == MISMATCH && mismatch < 0) mismatch = i;
                if (rc == DUPLICATE && duplicate < 0) duplicate = i;
                nulls++;
            } else if (rc) {
                result = Py_None;
                Py_INCREF(result);
                goto done;
            } else {
                out_valid.p[i >> 3] |= (uint8_t)(1 << (i & 7));
            }
        } else if (has_extra == BAD) {
            result = Py_None;
            Py_INCREF(result);
            goto done;
        } else {
            nulls++;
        }
        if (put_le(&out_offsets, out.n, 8)) {
            PyErr_NoMemory();
            goto done;
        }
    }
    result = Py_BuildValue("(y#y#y#nnn)", out.p ? (char *)out.p : "", (Py_ssize_t)out.n,
                           (char *)out_offsets.p, (Py_ssize_t)out_offsets.n, (char *)out_valid.p,
                           (Py_ssize_t)out_valid.n, nulls, mismatch, duplicate);
done:
    if (add.has) {
        PyBuffer_Release(&add.data);
        PyBuffer_Release(&add.offsets);
        if (add.has_validity && add.validity.obj) PyBuffer_Release(&add.validity);
    }
    enc_free(&e);
    free(out.p);
    free(out_offsets.p);
    free(out_valid.p);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    if (has_v && validity.obj) PyBuffer_Release(&validity);
    return result;
}

/* variant_explode: the fields of each object (by name) or the elements of each array, each
 * value a variant of its own. explode(data, offsets, validity, array_offset, length) returns
 * (list_offsets, positions, key_offsets, key_data, key_validity, value_offsets, value_data):
 * the buffers of list<struct<pos int32, key string, value binary>> (a NULL row: an empty
 * list; the keys of array elements NULL); None for a malformed encoding. */
static PyObject *explode(PyObject *self, PyObject *args) {
    Py_buffer data, offsets;
    PyObject *validity_obj;
    Py_ssize_t array_offset, length;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*Onn", &data, &offsets, &validity_obj, &array_offset, &length))
        return NULL;
    Py_buffer validity = {0};
    int has_v = validity_obj != Py_None;
    PyObject *result = NULL;
    Enc e = {0};
    Buf lists = {0}, pos = {0}, key_offs = {0}, keys = {0}, key_valid = {0}, val_offs = {0}, vals = {0};
    Edit plain = {0};
    size_t items = 0;
    if (has_v && PyObject_GetBuffer(validity_obj, &validity, PyBUF_SIMPLE) < 0) goto done;
    const int64_t *offs = offsets.buf;
    const uint8_t *valid = has_v ? validity.buf : NULL;
    if ((size_t)offsets.len < (size_t)(array_offset + length + 1) * 8 || put_le(&lists, 0, 4) ||
        put_le(&key_offs, 0, 4) || put_le(&val_offs, 0, 8))
        goto fail;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_ssize_t row = array_offset + i;
        if (!valid || (valid[row >> 3] >> (row & 7) & 1)) {
            int64_t a = offs[row], b = offs[row + 1];
            Source src;
            const uint8_t *p;
            if (a < 0 || b < a || (size_t)b > (size_t)data.len ||
                source_of((const uint8_t *)data.buf + a, (size_t)(b - a), &src, &p))
                goto malformed;
            int basic = p[0] & 3, info = p[0] >> 2;
            if (basic == 2 || basic == 3) {
                int off_size = (info & 3) + 1, id_size = basic == 2 ? ((info >> 2) & 3) + 1 : 0;
                int count_size = (basic == 2 ? info >> 4 : info >> 2) & 1 ? 4 : 1;
                if (p + 1 + count_size > src.end) goto malformed;
                uint64_t n = rd(p + 1, count_size);
                const uint8_t *ids = p + 1 + count_size, *offsets_at = ids + n * id_size;
                const uint8_t *values = offsets_at + (n + 1) * off_size;
                if (values > src.end) goto malformed;
                for (uint64_t k = 0; k < n; k++) {
                    const uint8_t *child = values + rd(offsets_at + k * off_size, off_size);
                    if (child >= src.end) goto malformed;
                    int key_ok = basic == 2;
                    if (key_ok) {
                        const uint8_t *name;
                        size_t len;
                        if (name_of(&src, rd(ids + k * id_size, id_size), &name, &len)) goto malformed;
                        if (put(&keys, name, len)) goto fail;
                    }
                    if (items % 8 == 0 && put_byte(&key_valid, 0)) goto fail;
                    if (key_ok) key_valid.p[items / 8] |= (uint8_t)(1 << (items % 8));
                    int rc = enc_begin(&e);
                    if (!rc) rc = copy_value(&e, &src, child, &plain, -1);
                    if (!rc) rc = enc_end(&e, &vals);
                    if (rc == BAD) goto malformed;
                    if (rc || put_le(&pos, k, 4) || put_le(&key_offs, keys.n, 4) ||
                        put_le(&val_offs, vals.n, 8))
                        goto fail;
                    items++;
                }
            }
        }
        if (put_le(&lists, items, 4)) goto fail;
    }
    result = Py_BuildValue("(y#y#y#y#y#y#y#)", (char *)lists.p, (Py_ssize_t)lists.n,
                           pos.p ? (char *)pos.p : "", (Py_ssize_t)pos.n, (char *)key_offs.p,
                           (Py_ssize_t)key_offs.n, keys.p ? (char *)keys.p : "", (Py_ssize_t)keys.n,
                           key_valid.p ? (char *)key_valid.p : "", (Py_ssize_t)key_valid.n,
                           (char *)val_offs.p, (Py_ssize_t)val_offs.n, vals.p ? (char *)vals.p : "",
                           (Py_ssize_t)vals.n);
    goto done;
malformed:
    result = Py_None;
    Py_INCREF(result);
    goto done;
fail:
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "out of memory or short buffers");
done:
    enc_free(&e);
    free(lists.p);
    free(pos.p);
    free(key_offs.p);
    free(keys.p);
    free(key_valid.p);
    free(val_offs.p);
    free(vals.p);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    if (has_v && validity.obj) PyBuffer_Release(&validity);
    return result;
}

static PyMethodDef methods[] = {
    {"explode", explode, METH_VARARGS, "Encoded variants -> their fields or elements."},
    {"edit", edit, METH_VARARGS, "Encoded variants -> the same with a path or nulls removed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_variant_edit", "Spark's variant_delete / variant_strip_nulls.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__variant_edit(void) { return PyModule_Create(&module); }
