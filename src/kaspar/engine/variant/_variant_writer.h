/* The writing side of Spark's variant encoding, shared by the JSON encoder
 * (_json_to_variant.c) and the variant editor (_variant_edit.c): growable buffers, the
 * metadata dictionary of one variant (names in the order they first appear, found through
 * an open-addressing table), and objects (fields sorted by name, a name twice is malformed)
 * and arrays written after their children, their headers moved in front. */
#ifndef KASPAR_VARIANT_WRITER_H
#define KASPAR_VARIANT_WRITER_H

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

/* An object field (its name's id, its value's offset from the object's start), kept until
 * finish_object writes the object's header. */
static int push_field(Enc *e, uint32_t id, size_t offset) {
    if (e->nfields == e->field_cap) {
        size_t cap = e->field_cap ? e->field_cap * 2 : 64;
        Field *p = realloc(e->fields, cap * sizeof *p);
        if (!p) return NOMEM;
        e->fields = p;
        e->field_cap = cap;
    }
    e->fields[e->nfields++] = (Field){id, offset};
    return 0;
}

/* An array element's offset from the array's start, kept until finish_array. */
static int push_element(Enc *e, size_t offset) {
    if (e->nelems == e->elem_cap) {
        size_t cap = e->elem_cap ? e->elem_cap * 2 : 64;
        size_t *p = realloc(e->elems, cap * sizeof *p);
        if (!p) return NOMEM;
        e->elems = p;
        e->elem_cap = cap;
    }
    e->elems[e->nelems++] = offset;
    return 0;
}

/* Starts one variant: no names, no values. */
static int enc_begin(Enc *e) {
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
    return 0;
}

/* The variant written: its metadata, then its value, appended to `out`. */
static int enc_end(Enc *e, Buf *out) {
    size_t dict = e->keys.n > e->nkeys ? e->keys.n : e->nkeys;
    int off_size = int_size(dict);
    if (put_byte(out, (uint8_t)(1 | (off_size - 1) << 6)) || put_le(out, e->nkeys, off_size))
        return NOMEM;
    for (size_t k = 0; k <= e->nkeys; k++)
        if (put_le(out, e->key_offsets[k], off_size)) return NOMEM;
    if (put(out, e->keys.p, e->keys.n)) return NOMEM;
    return put(out, e->value.p, e->value.n);
}

#endif
