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
#include "_variant_writer.h"

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
        if (push_field(e, (uint32_t)id, e->value.n - start)) return NOMEM;
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

static int parse_array(Enc *e) {
    size_t start = e->value.n, first = e->nelems;
    e->s++;
    skip_ws(e);
    if (e->s < e->end && *e->s == ']') {
        e->s++;
        return finish_array(e, start, first);
    }
    for (;;) {
        if (push_element(e, e->value.n - start)) return NOMEM;
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
    if (enc_begin(e)) return NOMEM;
    skip_ws(e);
    int scalar = e->s < e->end && *e->s != '{' && *e->s != '[' && *e->s != '"';
    int rc = parse_value(e);
    if (rc) return rc;
    if (scalar && e->s < e->end && *e->s != ' ' && *e->s != '\t' && *e->s != '\n' && *e->s != '\r')
        return BAD;
    return enc_end(e, out);
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
