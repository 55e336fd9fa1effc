/* JSON texts of one Arrow string column encoded as Spark variants (the accelerated path of
 * kaspar.engine.variant.encoding; parse_json and try_parse_json).
 *
 * encode(data, offsets, validity, array_offset, length)
 *   data, offsets, validity: a large_string column's buffers (int64 offsets; validity may be
 *            None), read from array_offset for length rows.
 * Returns (values, offsets, validity, null_count, first_malformed): a large_binary column's
 * buffers, each row the variant's metadata followed by its value (what DuckDB's
 * variant_bytes_to_variant reads), NULL for a NULL text and for a text that is not JSON as
 * Spark's parser reads it; first_malformed is the first such row, or -1.
 *
 * The encoding is Spark's (the Parquet variant encoding, version 1). What Spark's
 * VariantBuilder decides, this does too:
 *   - an integer literal is the narrowest of int8/16/32/64 that holds it; beyond 64 bits a
 *     decimal of scale 0 (up to 38 digits), beyond that a double;
 *   - a literal with a fraction and no exponent is a decimal (up to 38 digits of precision
 *     and scale), stored with its fraction's trailing zeros removed (Spark prints and types
 *     it so: 1.50 is DECIMAL(2,1) and prints as 1.5); other literals are doubles;
 *   - object fields are sorted by name; a name twice in one object is malformed; the
 *     metadata dictionary lists names in the order they first appear;
 *   - Jackson's rules for the text: no NaN, leading zeros, comments, single quotes or raw
 *     control characters in strings; nesting deeper than 1000 is malformed; text after the
 *     first complete value is ignored, except that a top-level number or literal must be
 *     followed by whitespace or the end.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "variant and Arrow buffers are written little-endian"
#endif

#define MAX_DEPTH 1000
#define MAX_DECIMAL_DIGITS 38
#define BAD (-1)
#define NOMEM (-2)

typedef struct {
    uint8_t *p;
    size_t n, cap;
} Buf;

static int reserve(Buf *b, size_t extra) {
    if (b->n + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return NOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int put(Buf *b, const void *src, size_t n) {
    if (reserve(b, n)) return NOMEM;
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

static int put_byte(Buf *b, uint8_t v) { return put(b, &v, 1); }

static void write_le(uint8_t *dst, uint64_t v, int size) {
    for (int i = 0; i < size; i++) dst[i] = (uint8_t)(v >> (8 * i));
}

static int put_le(Buf *b, uint64_t v, int size) {
    if (reserve(b, (size_t)size)) return NOMEM;
    write_le(b->p + b->n, v, size);
    b->n += (size_t)size;
    return 0;
}

static int int_size(size_t v) { return v <= 0xFF ? 1 : v <= 0xFFFF ? 2 : v <= 0xFFFFFF ? 3 : 4; }

typedef struct {
    uint32_t id;
    size_t offset;
} Field;

typedef struct {
    const uint8_t *s, *end;
    Buf value, keys, str;
    size_t *key_offsets; /* nkeys + 1 entries */
    size_t nkeys, key_cap;
    uint32_t *slot_gen, *slot_id; /* open addressing: key ids by name, valid in generation gen */
    size_t nslots;
    uint32_t gen;
    Field *fields;
    size_t nfields, field_cap;
    size_t *elems;
    size_t nelems, elem_cap;
    int depth;
} Enc;

static const Enc *sort_ctx;

static int key_cmp(uint32_t a, uint32_t b, const Enc *e) {
    size_t la = e->key_offsets[a + 1] - e->key_offsets[a];
    size_t lb = e->key_offsets[b + 1] - e->key_offsets[b];
    int c = memcmp(e->keys.p + e->key_offsets[a], e->keys.p + e->key_offsets[b], la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int field_cmp(const void *x, const void *y) {
    return key_cmp(((const Field *)x)->id, ((const Field *)y)->id, sort_ctx);
}

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static int grow_slots(Enc *e) {
    size_t n = e->nslots ? e->nslots * 2 : 64;
    uint32_t *gen = calloc(n, sizeof *gen), *id = malloc(n * sizeof *id);
    if (!gen || !id) {
        free(gen);
        free(id);
        return NOMEM;
    }
    free(e->slot_gen);
    free(e->slot_id);
    e->slot_gen = gen;
    e->slot_id = id;
    e->nslots = n;
    e->gen = 1;
    for (uint32_t k = 0; k < e->nkeys; k++) { /* re-insert this row's keys */
        const uint8_t *p = e->keys.p + e->key_offsets[k];
        size_t len = e->key_offsets[k + 1] - e->key_offsets[k];
        size_t i = hash_bytes(p, len) & (n - 1);
        while (gen[i] == 1) i = (i + 1) & (n - 1);
        gen[i] = 1;
        id[i] = k;
    }
    return 0;
}

/* The dictionary id of the name in e->str, added if new. */
static int64_t key_id(Enc *e) {
    if (e->nkeys * 2 >= e->nslots && grow_slots(e)) return NOMEM;
    const uint8_t *name = e->str.p;
    size_t len = e->str.n, mask = e->nslots - 1;
    size_t i = hash_bytes(name, len) & mask;
    for (; e->slot_gen[i] == e->gen; i = (i + 1) & mask) {
        uint32_t k = e->slot_id[i];
        size_t klen = e->key_offsets[k + 1] - e->key_offsets[k];
        if (klen == len && memcmp(e->keys.p + e->key_offsets[k], name, len) == 0) return k;
    }
    if (e->nkeys + 2 > e->key_cap) {
        size_t cap = e->key_cap ? e->key_cap * 2 : 64;
        size_t *p = realloc(e->key_offsets, cap * sizeof *p);
        if (!p) return NOMEM;
        e->key_offsets = p;
        e->key_cap = cap;
    }
    if (put(&e->keys, name, len)) return NOMEM;
    e->key_offsets[e->nkeys + 1] = e->keys.n;
    e->slot_gen[i] = e->gen;
    e->slot_id[i] = (uint32_t)e->nkeys;
    return (int64_t)e->nkeys++;
}

static void skip_ws(Enc *e) {
    while (e->s < e->end && (*e->s == ' ' || *e->s == '\t' || *e->s == '\n' || *e->s == '\r'))
        e->s++;
}

static int hex4(const uint8_t *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return BAD;
    }
    *out = v;
    return 0;
}

static int put_utf8(Buf *b, uint32_t cp) {
    uint8_t u[4];
    int n;
    if (cp < 0x80) u[0] = (uint8_t)cp, n = 1;
    else if (cp < 0x800) u[0] = (uint8_t)(0xC0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | cp >> 12), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | cp >> 18), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    }
    return put(b, u, (size_t)n);
}

/* A \u escape (the cursor after "\u"), joining a surrogate pair; a lone surrogate becomes '?'
 * (what Java's UTF-8 encoder writes for it). */
static int unicode_escape(Enc *e) {
    uint32_t cp, low;
    if (e->end - e->s < 4 || hex4(e->s, &cp)) return BAD;
    e->s += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && e->end - e->s >= 6 && e->s[0] == '\\' && e->s[1] == 'u' &&
        hex4(e->s + 2, &low) == 0 && low >= 0xDC00 && low <= 0xDFFF) {
        e->s += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = '?';
    }
    return put_utf8(&e->str, cp);
}

/* A string literal (the cursor on its opening quote) decoded into e->str. */
static int parse_string(Enc *e) {
    e->str.n = 0;
    e->s++;
    for (;;) {
        const uint8_t *run = e->s;
        while (e->s < e->end && *e->s != '"' && *e->s != '\\' && *e->s >= 0x20) e->s++;
        if (put(&e->str, run, (size_t)(e->s - run))) return NOMEM;
        if (e->s >= e->end || *e->s < 0x20) return BAD;
        if (*e->s++ == '"') return 0;
        if (e->s >= e->end) return BAD;
        uint8_t c = *e->s++, out;
        switch (c) {
        case '"': case '\\': case '/': out = c; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            int rc = unicode_escape(e);
            if (rc) return rc;
            continue;
        }
        default: return BAD;
        }
        if (put_byte(&e->str, out)) return NOMEM;
    }
}

static int write_string(Enc *e) {
    size_t n = e->str.n;
    if (n < 64) {
        if (put_byte(&e->value, (uint8_t)(n << 2 | 1))) return NOMEM;
    } else if (put_byte(&e->value, 16 << 2) || put_le(&e->value, n, 4)) {
        return NOMEM;
    }
    return put(&e->value, e->str.p, n);
}

static int write_long(Enc *e, int64_t v) {
    int type = 6, size = 8;
    if (v >= INT8_MIN && v <= INT8_MAX) type = 3, size = 1;
    else if (v >= INT16_MIN && v <= INT16_MAX) type = 4, size = 2;
    else if (v >= INT32_MIN && v <= INT32_MAX) type = 5, size = 4;
    if (put_byte(&e->value, (uint8_t)(type << 2))) return NOMEM;
    return put_le(&e->value, (uint64_t)v, size);
}

static int digit_count(unsigned __int128 u) {
    int n = 1;
    while (u >= 10) u /= 10, n++;
    return n;
}

static int write_decimal(Enc *e, unsigned __int128 u, int negative, int scale) {
    while (scale > 0 && u % 10 == 0) u /= 10, scale--;
    int precision = digit_count(u), wide = precision > scale ? precision : scale;
    int type = wide <= 9 ? 8 : wide <= 18 ? 9 : 10, size = type == 8 ? 4 : type == 9 ? 8 : 16;
    __int128 v = negative ? -(__int128)u : (__int128)u;
    if (put_byte(&e->value, (uint8_t)(type << 2)) || put_byte(&e->value, (uint8_t)scale))
        return NOMEM;
    if (size == 16) {
        if (put_le(&e->value, (uint64_t)v, 8)) return NOMEM;
        return put_le(&e->value, (uint64_t)(v >> 64), 8);
    }
    return put_le(&e->value, (uint64_t)v, size);
}

static int write_double(Enc *e, const uint8_t *start, size_t len) {
    char text[512];
    double d;
    if (len < sizeof text) {
        memcpy(text, start, len);
        text[len] = 0;
        d = strtod(text, NULL);
    } else {
        char *copy = malloc(len + 1);
        if (!copy) return NOMEM;
        memcpy(copy, start, len);
        copy[len] = 0;
        d = strtod(copy, NULL);
        free(copy);
    }
    uint64_t bits;
    memcpy(&bits, &d, 8);
    if (put_byte(&e->value, 7 << 2)) return NOMEM;
    return put_le(&e->value, bits, 8);
}

static int is_digit(const Enc *e) { return e->s < e->end && *e->s >= '0' && *e->s <= '9'; }

/* A number literal: JSON's grammar, typed as Spark types it (see the top of the file). */
static int parse_number(Enc *e) {
    const uint8_t *start = e->s;
    int negative = 0, scale = 0, digits = 0, exponent = 0;
    unsigned __int128 u = 0;
    if (*e->s == '-') negative = 1, e->s++;
    if (!is_digit(e)) return BAD;
    if (*e->s == '0' && e->s + 1 < e->end && e->s[1] >= '0' && e->s[1] <= '9') return BAD;
    int fraction = 0;
    for (;;) {
        if (is_digit(e)) {
            if (digits || *e->s != '0') digits++;
            if (digits <= MAX_DECIMAL_DIGITS) u = u * 10 + (unsigned)(*e->s - '0');
            scale += fraction;
            e->s++;
        } else if (!fraction && e->s < e->end && *e->s == '.') {
            e->s++;
            if (!is_digit(e)) return BAD;
            fraction = 1;
        } else {
            break;
        }
    }
    if (e->s < e->end && (*e->s == 'e' || *e->s == 'E')) {
        e->s++;
        if (e->s < e->end && (*e->s == '+' || *e->s == '-')) e->s++;
        if (!is_digit(e)) return BAD;
        while (is_digit(e)) e->s++;
        exponent = 1;
    }
    if (exponent || digits > MAX_DECIMAL_DIGITS || scale > MAX_DECIMAL_DIGITS)
        return write_double(e, start, (size_t)(e->s - start));
    if (!fraction) {
        unsigned __int128 limit = negative ? (unsigned __int128)INT64_MAX + 1 : INT64_MAX;
        if (u <= limit) return write_long(e, negative ? (int64_t)(0 - (uint64_t)u) : (int64_t)u);
    }
    return write_decimal(e, u, negative, scale);
}

static int literal(Enc *e, const char *word, uint8_t header) {
    size_t n = strlen(word);
    if ((size_t)(e->end - e->s) < n || memcmp(e->s, word, n) != 0) return BAD;
    e->s += n;
    if (e->s < e->end && ((*e->s >= 'a' && *e->s <= 'z') || (*e->s >= 'A' && *e->s <= 'Z') ||
                          (*e->s >= '0' && *e->s <= '9') || *e->s == '_'))
        return BAD;
    return put_byte(&e->value, header);
}

static int parse_value(Enc *e);

/* Moves the children written from `start` up to make room for a header of `size` bytes. */
static int open_header(Enc *e, size_t start, size_t size) {
    if (reserve(&e->value, size)) return NOMEM;
    memmove(e->value.p + start + size, e->value.p + start, e->value.n - start);
    e->value.n += size;
    return 0;
}

static int finish_object(Enc *e, size_t start, size_t first) {
    size_t n = e->nfields - first, data = e->value.n - start;
    Field *f = e->fields + first;
    sort_ctx = e;
    qsort(f, n, sizeof *f, field_cmp);
    uint32_t max_id = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && f[i].id == f[i - 1].id) return BAD; /* a duplicate name */
        if (f[i].id > max_id) max_id = f[i].id;
    }
    int large = n > 0xFF, id_size = int_size(max_id), off_size = int_size(data);
    size_t header = 1 + (large ? 4 : 1) + n * (size_t)id_size + (n + 1) * (size_t)off_size;
    if (open_header(e, start, header)) return NOMEM;
    uint8_t *p = e->value.p + start;
    *p++ = (uint8_t)(2 | (large << 4 | (id_size - 1) << 2 | (off_size - 1)) << 2);
    write_le(p, n, large ? 4 : 1);
    p += large ? 4 : 1;
    for (size_t i = 0; i < n; i++, p += id_size) write_le(p, f[i].id, id_size);
    for (size_t i = 0; i < n; i++, p += off_size) write_le(p, f[i].offset, off_size);
    write_le(p, data, off_size);
    e->nfields = first;
    return 0;
}

static int parse_object(Enc *e) {
    size_t start = e->value.n, first = e->nfields;
    e->s++;
    skip_ws(e);
    if (e->s < e->end && *e->s == '}') {
        e->s++;
        return finish_object(e, start, first);
    }
    for (;;) {
        skip_ws(e);
        if (e->s >= e->end || *e->s != '"') return BAD;
        int rc = parse_string(e);
        if (rc) return rc;
        int64_t id = key_id(e);
        if (id < 0) return (int)id;
        skip_ws(e);
        if (e->s >= e->end || *e->s++ != ':') return BAD;
        if (e->nfields == e->field_cap) {
            size_t cap = e->field_cap ? e->field_cap * 2 : 64;
            Field *p = realloc(e->fields, cap * sizeof *p);
            if (!p) return NOMEM;
            e->fields = p;
            e->field_cap = cap;
        }
        e->fields[e->nfields++] = (Field){(uint32_t)id, e->value.n - start};
        if ((rc = parse_value(e))) return rc;
        skip_ws(e);
        if (e->s >= e->end) return BAD;
        if (*e->s == '}') {
            e->s++;
            return finish_object(e, start, first);
        }
        if (*e->s++ != ',') return BAD;
    }
}

static int finish_array(Enc *e, size_t start, size_t first) {
    size_t n = e->nelems - first, data = e->value.n - start;
    int large = n > 0xFF, off_size = int_size(data);
    size_t header = 1 + (large ? 4 : 1) + (n + 1) * (size_t)off_size;
    if (open_header(e, start, header)) return NOMEM;
    uint8_t *p = e->value.p + start;
    *p++ = (uint8_t)(3 | (large << 2 | (off_size - 1)) << 2);
    write_le(p, n, large ? 4 : 1);
    p += large ? 4 : 1;
    for (size_t i = 0; i < n; i++, p += off_size) write_le(p, e->elems[first + i], off_size);
    write_le(p, data, off_size);
    e->nelems = first;
    return 0;
}

static int parse_array(Enc *e) {
    size_t start = e->value.n, first = e->nelems;
    e->s++;
    skip_ws(e);
    if (e->s < e->end && *e->s == ']') {
        e->s++;
        return finish_array(e, start, first);
    }
    for (;;) {
        if (e->nelems == e->elem_cap) {
            size_t cap = e->elem_cap ? e->elem_cap * 2 : 64;
            size_t *p = realloc(e->elems, cap * sizeof *p);
            if (!p) return NOMEM;
            e->elems = p;
            e->elem_cap = cap;
        }
        e->elems[e->nelems++] = e->value.n - start;
        int rc = parse_value(e);
        if (rc) return rc;
        skip_ws(e);
        if (e->s >= e->end) return BAD;
        if (*e->s == ']') {
            e->s++;
            return finish_array(e, start, first);
        }
        if (*e->s++ != ',') return BAD;
    }
}

static int parse_value(Enc *e) {
    skip_ws(e);
    if (e->s >= e->end) return BAD;
    int rc;
    switch (*e->s) {
    case '{':
    case '[':
        if (++e->depth > MAX_DEPTH) return BAD;
        rc = *e->s == '{' ? parse_object(e) : parse_array(e);
        e->depth--;
        return rc;
    case '"':
        return (rc = parse_string(e)) ? rc : write_string(e);
    case 't': return literal(e, "true", 1 << 2);
    case 'f': return literal(e, "false", 2 << 2);
    case 'n': return literal(e, "null", 0);
    default:
        if (*e->s == '-' || (*e->s >= '0' && *e->s <= '9')) return parse_number(e);
        return BAD;
    }
}

/* One text: its metadata and value appended to `out`. */
static int encode_one(Enc *e, const uint8_t *s, size_t len, Buf *out) {
    e->s = s;
    e->end = s + len;
    e->value.n = e->keys.n = 0;
    e->nkeys = e->nfields = e->nelems = 0;
    e->depth = 0;
    if (e->key_cap == 0) {
        e->key_offsets = malloc(64 * sizeof *e->key_offsets);
        if (!e->key_offsets) return NOMEM;
        e->key_cap = 64;
    }
    e->key_offsets[0] = 0;
    if (++e->gen == 0 && grow_slots(e)) return NOMEM; /* generations wrapped: fresh slots */
    skip_ws(e);
    int scalar = e->s < e->end && *e->s != '{' && *e->s != '[' && *e->s != '"';
    int rc = parse_value(e);
    if (rc) return rc;
    if (scalar && e->s < e->end && *e->s != ' ' && *e->s != '\t' && *e->s != '\n' && *e->s != '\r')
        return BAD;
    size_t dict = e->keys.n > e->nkeys ? e->keys.n : e->nkeys;
    int off_size = int_size(dict);
    if (put_byte(out, (uint8_t)(1 | (off_size - 1) << 6)) || put_le(out, e->nkeys, off_size))
        return NOMEM;
    for (size_t k = 0; k <= e->nkeys; k++)
        if (put_le(out, e->key_offsets[k], off_size)) return NOMEM;
    if (put(out, e->keys.p, e->keys.n)) return NOMEM;
    return put(out, e->value.p, e->value.n);
}

static void enc_free(Enc *e) {
    free(e->value.p);
    free(e->keys.p);
    free(e->str.p);
    free(e->key_offsets);
    free(e->slot_gen);
    free(e->slot_id);
    free(e->fields);
    free(e->elems);
}

static PyObject *encode(PyObject *self, PyObject *args) {
    Py_buffer data, offsets, validity = {0};
    PyObject *validity_obj;
    Py_ssize_t array_offset, length;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*Onn", &data, &offsets, &validity_obj, &array_offset, &length))
        return NULL;
    PyObject *result = NULL;
    int has_validity = validity_obj != Py_None;
    if (has_validity && PyObject_GetBuffer(validity_obj, &validity, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        PyBuffer_Release(&offsets);
        return NULL;
    }
    const int64_t *offs = (const int64_t *)offsets.buf;
    const uint8_t *valid = has_validity ? (const uint8_t *)validity.buf : NULL;
    if (array_offset < 0 || length < 0 ||
        (size_t)offsets.len < (size_t)(array_offset + length + 1) * sizeof(int64_t) ||
        (valid && (size_t)validity.len * 8 < (size_t)(array_offset + length))) {
        PyErr_SetString(PyExc_ValueError, "the column's buffers are shorter than its length");
        goto done;
    }
    Enc e = {0};
    Buf out = {0}, out_offsets = {0}, out_valid = {0};
    Py_ssize_t null_count = 0, first_bad = -1;
    int rc = put_le(&out_offsets, 0, 8) || reserve(&out_valid, (size_t)(length + 7) / 8);
    if (!rc) memset(out_valid.p, 0, (size_t)(length + 7) / 8), out_valid.n = (size_t)(length + 7) / 8;
    for (Py_ssize_t i = 0; i < length && !rc; i++) {
        Py_ssize_t row = array_offset + i;
        int ok = 0;
        if (!valid || (valid[row >> 3] >> (row & 7) & 1)) {
            int64_t a = offs[row], b = offs[row + 1];
            if (a < 0 || b < a || (size_t)b > (size_t)data.len) {
                rc = BAD;
                break;
            }
            size_t mark = out.n;
            int r = encode_one(&e, (const uint8_t *)data.buf + a, (size_t)(b - a), &out);
            if (r == NOMEM) rc = NOMEM;
            else if (r == BAD) {
                out.n = mark;
                if (first_bad < 0) first_bad = i;
            } else ok = 1;
        }
        if (ok) out_valid.p[i >> 3] |= (uint8_t)(1 << (i & 7));
        else null_count++;
        if (!rc && put_le(&out_offsets, out.n, 8)) rc = NOMEM;
    }
    if (rc == NOMEM) PyErr_NoMemory();
    else if (rc) PyErr_SetString(PyExc_ValueError, "the column's offsets are out of range");
    else
        result = Py_BuildValue("(y#y#y#nn)", out.p ? (char *)out.p : "", (Py_ssize_t)out.n,
                               (char *)out_offsets.p, (Py_ssize_t)out_offsets.n,
                               out_valid.p ? (char *)out_valid.p : "", (Py_ssize_t)out_valid.n,
                               null_count, first_bad);
    enc_free(&e);
    free(out.p);
    free(out_offsets.p);
    free(out_valid.p);
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    if (has_validity) PyBuffer_Release(&validity);
    return result;
}

static PyMethodDef methods[] = {
    {"encode", encode, METH_VARARGS, "JSON texts of a string column -> Spark variants."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_json_to_variant", "JSON texts -> Spark variant encodings.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__json_to_variant(void) { return PyModule_Create(&module); }
