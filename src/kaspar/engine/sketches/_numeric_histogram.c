/* Hive's NumericHistogram (Spark's histogram_numeric) over a float64 buffer, in C.
 *
 * histogram(values, nbins) -> (xs, ys): the values are added one by one in order, as
 * NumericHistogram.add does (binary search for the bin; an equal x increments its count, a new
 * value gets a bin, and past nbins bins the closest pair merges into its weighted mean, ties
 * broken with java.util.Random(31183).nextDouble()). kaspar.engine.sketches.histogram holds
 * the same algorithm in Python and uses it when this extension is not built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JAVA_MULTIPLIER 0x5DEECE66DULL
#define JAVA_MASK ((1ULL << 48) - 1)

typedef struct {
    uint64_t seed;
} java_random;

static void java_random_init(java_random *r, int64_t seed) {
    r->seed = ((uint64_t)seed ^ JAVA_MULTIPLIER) & JAVA_MASK;
}

static int64_t java_next(java_random *r, int bits) {
    r->seed = (r->seed * JAVA_MULTIPLIER + 0xBULL) & JAVA_MASK;
    return (int64_t)(r->seed >> (48 - bits));
}

static double java_next_double(java_random *r) {
    int64_t high = java_next(r, 26);
    int64_t low = java_next(r, 27);
    return (double)((high << 27) + low) * (1.0 / (double)(1ULL << 53));
}

typedef struct {
    double *xs;
    double *ys;
    Py_ssize_t used;
    Py_ssize_t bins;
    java_random random;
} histogram;

static Py_ssize_t closest_pair(histogram *h) {
    double smallest = h->xs[1] - h->xs[0];
    Py_ssize_t where = 0;
    long count = 1;
    for (Py_ssize_t i = 1; i < h->used - 1; i++) {
        double diff = h->xs[i + 1] - h->xs[i];
        if (diff < smallest) {
            smallest = diff;
            where = i;
            count = 1;
        } else if (diff == smallest && java_next_double(&h->random) <= 1.0 / (double)(++count)) {
            where = i;
        }
    }
    return where;
}

static void trim(histogram *h) {
    while (h->used > h->bins) {
        Py_ssize_t i = closest_pair(h);
        double total = h->ys[i] + h->ys[i + 1];
        double x = h->xs[i] * (h->ys[i] / total);
        x += h->xs[i + 1] / total * h->ys[i + 1];
        h->xs[i] = x;
        h->ys[i] = total;
        Py_ssize_t tail = h->used - (i + 2);
        memmove(h->xs + i + 1, h->xs + i + 2, (size_t)tail * sizeof(double));
        memmove(h->ys + i + 1, h->ys + i + 2, (size_t)tail * sizeof(double));
        h->used--;
    }
}

static void add(histogram *h, double v) {
    Py_ssize_t bin = 0;
    for (Py_ssize_t l = 0, r = h->used; l < r;) {
        bin = (l + r) / 2;
        if (h->xs[bin] > v) {
            r = bin;
        } else if (h->xs[bin] < v) {
            l = ++bin;
        } else {
            break;
        }
    }
    if (bin < h->used && h->xs[bin] == v) {
        h->ys[bin] += 1.0;
        return;
    }
    Py_ssize_t tail = h->used - bin;
    memmove(h->xs + bin + 1, h->xs + bin, (size_t)tail * sizeof(double));
    memmove(h->ys + bin + 1, h->ys + bin, (size_t)tail * sizeof(double));
    h->xs[bin] = v;
    h->ys[bin] = 1.0;
    if (++h->used > h->bins) {
        trim(h);
    }
}

static PyObject *to_list(const double *values, Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyFloat_FromDouble(values[i]);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

static PyObject *numeric_histogram(PyObject *self, PyObject *args) {
    Py_buffer buffer;
    Py_ssize_t bins;
    if (!PyArg_ParseTuple(args, "y*n", &buffer, &bins)) {
        return NULL;
    }
    if (bins < 2 || buffer.len % (Py_ssize_t)sizeof(double) != 0) {
        PyBuffer_Release(&buffer);
        PyErr_SetString(PyExc_ValueError, "histogram: nbins < 2 or not a float64 buffer");
        return NULL;
    }
    histogram h = {NULL, NULL, 0, bins, {0}};
    h.xs = PyMem_Malloc((size_t)(bins + 1) * sizeof(double));
    h.ys = PyMem_Malloc((size_t)(bins + 1) * sizeof(double));
    if (h.xs == NULL || h.ys == NULL) {
        PyMem_Free(h.xs);
        PyMem_Free(h.ys);
        PyBuffer_Release(&buffer);
        return PyErr_NoMemory();
    }
    java_random_init(&h.random, 31183);
    const double *values = (const double *)buffer.buf;
    Py_ssize_t n = buffer.len / (Py_ssize_t)sizeof(double);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        add(&h, values[i]);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buffer);
    PyObject *xs = to_list(h.xs, h.used);
    PyObject *ys = xs == NULL ? NULL : to_list(h.ys, h.used);
    PyMem_Free(h.xs);
    PyMem_Free(h.ys);
    if (ys == NULL) {
        Py_XDECREF(xs);
        return NULL;
    }
    return Py_BuildValue("(NN)", xs, ys);
}

static PyMethodDef methods[] = {
    {"histogram", numeric_histogram, METH_VARARGS,
     "histogram(values: float64 buffer, nbins: int) -> (xs, ys): Hive's NumericHistogram."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_numeric_histogram", NULL, -1, methods,
};

PyMODINIT_FUNC PyInit__numeric_histogram(void) { return PyModule_Create(&module); }
