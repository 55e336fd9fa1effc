/* Spark's seeded random number generators, producing values in bulk (kaspar.engine.seeded).
 *
 * Spark draws rand, randn, randstr, uniform and Bernoulli samples from its XORShiftRandom (a
 * java.util.Random whose next(bits) is a 64-bit xorshift, the seed spread by MurmurHash3), uuid
 * from commons-math3's MersenneTwister, and Poisson samples (sample with replacement) from
 * commons-math3's PoissonDistribution over a Well19937c generator. Each function here starts a
 * fresh generator from a seed and returns its first `count` values as the bytes of a C array:
 *
 *   xorshift_doubles(seed, count)    float64  nextDouble()
 *   xorshift_gaussians(seed, count)  float64  nextGaussian() (the polar method, pairs cached)
 *   xorshift_ints(seed, count)       int32    nextInt()
 *   xorshift_int_below(seed, bound)  int      the first nextInt(bound)
 *   mt_longs(seed, count)            int64    MersenneTwister.nextLong()
 *   well_poisson(seed, mean, count)  int32    PoissonDistribution(mean).sample(), mean < 40
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* -- MurmurHash3 (x86, 32-bit), as Scala's MurmurHash3.bytesHash --------------------------- */
static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t murmur3_bytes(const uint8_t *data, int len, uint32_t h) {
    int i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t k = (uint32_t)data[i] | ((uint32_t)data[i + 1] << 8) |
                     ((uint32_t)data[i + 2] << 16) | ((uint32_t)data[i + 3] << 24);
        k *= 0xcc9e2d51u;
        k = rotl32(k, 15);
        k *= 0x1b873593u;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64u;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* -- StrictMath.log: fdlibm's __ieee754_log (nextGaussian uses it; the C library's log may
 * differ in the last bit) ------------------------------------------------------------------ */
static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
                    two54 = 1.80143985094819840000e+16, Lg1 = 6.666666666666735130e-01,
                    Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                    Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01,
                    Lg6 = 1.531383769920937332e-01, Lg7 = 1.479819860511658591e-01;

static int32_t high_word(double x) {
    uint64_t bits;
    memcpy(&bits, &x, 8);
    return (int32_t)(bits >> 32);
}

static uint32_t low_word(double x) {
    uint64_t bits;
    memcpy(&bits, &x, 8);
    return (uint32_t)bits;
}

static double with_high_word(double x, int32_t high) {
    uint64_t bits;
    memcpy(&bits, &x, 8);
    bits = ((uint64_t)(uint32_t)high << 32) | (bits & 0xffffffffu);
    memcpy(&x, &bits, 8);
    return x;
}

static double strict_log(double x) {
    double hfsq, f, s, z, R, w, t1, t2, dk;
    int32_t k = 0, hx = high_word(x), i, j;
    uint32_t lx = low_word(x);
    if (hx < 0x00100000) {
        if (((hx & 0x7fffffff) | (int32_t)lx) == 0) return -INFINITY;
        if (hx < 0) return NAN;
        k -= 54;
        x *= two54;
        hx = high_word(x);
    }
    if (hx >= 0x7ff00000) return x + x;
    k += (hx >> 20) - 1023;
    hx &= 0x000fffff;
    i = (hx + 0x95f64) & 0x100000;
    x = with_high_word(x, hx | (i ^ 0x3ff00000));
    k += (i >> 20);
    f = x - 1.0;
    if ((0x000fffff & (2 + hx)) < 3) {
        if (f == 0.0) {
            if (k == 0) return 0.0;
            dk = (double)k;
            return dk * ln2_hi + dk * ln2_lo;
        }
        R = f * f * (0.5 - 0.33333333333333333 * f);
        if (k == 0) return f - R;
        dk = (double)k;
        return dk * ln2_hi - ((R - dk * ln2_lo) - f);
    }
    s = f / (2.0 + f);
    dk = (double)k;
    z = s * s;
    i = hx - 0x6147a;
    w = z * z;
    j = 0x6b851 - hx;
    t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    i |= j;
    R = t2 + t1;
    if (i > 0) {
        hfsq = 0.5 * f * f;
        if (k == 0) return f - (hfsq - s * (hfsq + R));
        return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
    }
    if (k == 0) return f - s * (f - R);
    return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

/* -- XORShiftRandom ------------------------------------------------------------------------ */
typedef struct {
    uint64_t state;
    int have_gaussian;
    double next_gaussian;
} XorShift;

static void xorshift_init(XorShift *g, int64_t seed) {
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)((uint64_t)seed >> (56 - 8 * i));
    uint32_t low = murmur3_bytes(bytes, 8, 0x3c074a61u);
    uint32_t high = murmur3_bytes(bytes, 8, low);
    g->state = ((uint64_t)high << 32) | low;
    g->have_gaussian = 0;
}

static int32_t xorshift_next(XorShift *g, int bits) {
    uint64_t s = g->state;
    s ^= s << 21;
    s ^= s >> 35;
    s ^= s << 4;
    g->state = s;
    return (int32_t)(uint32_t)(s & ((1ull << bits) - 1));
}

static double xorshift_double(XorShift *g) {
    int64_t high = (int64_t)xorshift_next(g, 26) << 27;
    return (double)(high + xorshift_next(g, 27)) * 0x1.0p-53;
}

static double xorshift_gaussian(XorShift *g) {
    if (g->have_gaussian) {
        g->have_gaussian = 0;
        return g->next_gaussian;
    }
    double v1, v2, s;
    do {
        v1 = 2 * xorshift_double(g) - 1;
        v2 = 2 * xorshift_double(g) - 1;
        s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s == 0);
    double multiplier = sqrt(-2 * strict_log(s) / s);
    g->next_gaussian = v2 * multiplier;
    g->have_gaussian = 1;
    return v1 * multiplier;
}

static int32_t xorshift_int_below_(XorShift *g, int32_t bound) {
    int32_t r = xorshift_next(g, 31);
    int32_t m = bound - 1;
    if ((bound & m) == 0) return (int32_t)(((int64_t)bound * (int64_t)r) >> 31);
    for (int32_t u = r; (int32_t)((uint32_t)u - (uint32_t)(r = u % bound) + (uint32_t)m) < 0;
         u = xorshift_next(g, 31)) {
    }
    return r;
}

/* -- MersenneTwister (commons-math3) ------------------------------------------------------- */
#define MT_N 624
#define MT_M 397
typedef struct {
    uint32_t mt[MT_N];
    int mti;
} Mersenne;

static void mt_init_int(Mersenne *g, uint32_t s) {
    g->mt[0] = s;
    for (int i = 1; i < MT_N; i++)
        g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + (uint32_t)i;
    g->mti = MT_N;
}

static void mt_init_long(Mersenne *g, int64_t seed) {
    uint32_t key[2] = {(uint32_t)((uint64_t)seed >> 32), (uint32_t)((uint64_t)seed)};
    mt_init_int(g, 19650218u);
    int i = 1, j = 0;
    for (int k = MT_N; k; k--) {
        g->mt[i] = (g->mt[i] ^ ((g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) * 1664525u)) + key[j] +
                   (uint32_t)j;
        i++;
        j++;
        if (i >= MT_N) {
            g->mt[0] = g->mt[MT_N - 1];
            i = 1;
        }
        if (j >= 2) j = 0;
    }
    for (int k = MT_N - 1; k; k--) {
        g->mt[i] = (g->mt[i] ^ ((g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) * 1566083941u)) -
                   (uint32_t)i;
        i++;
        if (i >= MT_N) {
            g->mt[0] = g->mt[MT_N - 1];
            i = 1;
        }
    }
    g->mt[0] = 0x80000000u;
    g->mti = MT_N;
}

static uint32_t mt_next32(Mersenne *g) {
    static const uint32_t mag01[2] = {0u, 0x9908b0dfu};
    if (g->mti >= MT_N) {
        int k;
        uint32_t y;
        for (k = 0; k < MT_N - MT_M; k++) {
            y = (g->mt[k] & 0x80000000u) | (g->mt[k + 1] & 0x7fffffffu);
            g->mt[k] = g->mt[k + MT_M] ^ (y >> 1) ^ mag01[y & 1u];
        }
        for (; k < MT_N - 1; k++) {
            y = (g->mt[k] & 0x80000000u) | (g->mt[k + 1] & 0x7fffffffu);
            g->mt[k] = g->mt[k + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1u];
        }
        y = (g->mt[MT_N - 1] & 0x80000000u) | (g->mt[0] & 0x7fffffffu);
        g->mt[MT_N - 1] = g->mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1u];
        g->mti = 0;
    }
    uint32_t y = g->mt[g->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* -- Well19937c (commons-math3) ------------------------------------------------------------ */
#define WELL_R 624
typedef struct {
    uint32_t v[WELL_R];
    int index;
} Well;

static void well_init_long(Well *g, int64_t seed) {
    g->v[0] = (uint32_t)((uint64_t)seed >> 32);
    g->v[1] = (uint32_t)((uint64_t)seed);
    for (int i = 2; i < WELL_R; i++) {
        int64_t l = (int32_t)g->v[i - 2]; /* sign-extended, as Java's int to long */
        g->v[i] = (uint32_t)((1812433253LL * (l ^ (l >> 30)) + i) & 0xffffffffLL);
    }
    g->index = 0;
}

static uint32_t well_next(Well *g, int bits) {
    int idx = g->index;
    int rm1 = (idx + WELL_R - 1) % WELL_R, rm2 = (idx + WELL_R - 2) % WELL_R;
    uint32_t v0 = g->v[idx];
    uint32_t vm1 = g->v[(idx + 70) % WELL_R];
    uint32_t vm2 = g->v[(idx + 179) % WELL_R];
    uint32_t vm3 = g->v[(idx + 449) % WELL_R];
    uint32_t z0 = (0x80000000u & g->v[rm1]) ^ (0x7fffffffu & g->v[rm2]);
    uint32_t z1 = (v0 ^ (v0 << 25)) ^ (vm1 ^ (vm1 >> 27));
    uint32_t z2 = (vm2 >> 9) ^ (vm3 ^ (vm3 >> 1));
    uint32_t z3 = z1 ^ z2;
    uint32_t z4 = z0 ^ (z1 ^ (z1 << 9)) ^ (z2 ^ (z2 << 21)) ^ (z3 ^ (z3 >> 21));
    g->v[idx] = z3;
    g->v[rm1] = z4;
    g->v[rm2] &= 0x80000000u;
    g->index = rm1;
    z4 ^= (z4 << 7) & 0xe46e1700u;
    z4 ^= (z4 << 15) & 0x9b868000u;
    return z4 >> (32 - bits);
}

static double well_double(Well *g) {
    uint64_t high = (uint64_t)well_next(g, 26) << 26;
    return (double)(high | well_next(g, 26)) * 0x1.0p-52;
}

static int32_t well_poisson_one(Well *g, double mean, double p) {
    int64_t n = 0;
    double r = 1.0;
    while (n < 1000 * mean) {
        r *= well_double(g);
        if (r >= p)
            n++;
        else
            return (int32_t)n;
    }
    return (int32_t)n;
}

/* -- Python bindings ----------------------------------------------------------------------- */
static PyObject *new_buffer(Py_ssize_t count, size_t width, char **out) {
    if (count < 0) {
        PyErr_SetString(PyExc_ValueError, "count must not be negative");
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)width);
    if (result != NULL) *out = PyBytes_AS_STRING(result);
    return result;
}

/* One generator seeded with ``seed``, ``count`` of its values written by ``fill``. */
typedef void (*Fill)(XorShift *g, char *out, Py_ssize_t count);

static PyObject *xorshift_values(PyObject *args, size_t width, Fill fill) {
    long long seed;
    Py_ssize_t count;
    char *buf;
    if (!PyArg_ParseTuple(args, "Ln", &seed, &count)) return NULL;
    PyObject *result = new_buffer(count, width, &buf);
    if (result == NULL) return NULL;
    XorShift g;
    xorshift_init(&g, (int64_t)seed);
    fill(&g, buf, count);
    return result;
}

static void fill_doubles(XorShift *g, char *buf, Py_ssize_t count) {
    double *out = (double *)buf;
    for (Py_ssize_t i = 0; i < count; i++) out[i] = xorshift_double(g);
}

static void fill_gaussians(XorShift *g, char *buf, Py_ssize_t count) {
    double *out = (double *)buf;
    for (Py_ssize_t i = 0; i < count; i++) out[i] = xorshift_gaussian(g);
}

static void fill_ints(XorShift *g, char *buf, Py_ssize_t count) {
    int32_t *out = (int32_t *)buf;
    for (Py_ssize_t i = 0; i < count; i++) out[i] = xorshift_next(g, 32);
}

static PyObject *py_xorshift_doubles(PyObject *self, PyObject *args) {
    return xorshift_values(args, sizeof(double), fill_doubles);
}

static PyObject *py_xorshift_gaussians(PyObject *self, PyObject *args) {
    return xorshift_values(args, sizeof(double), fill_gaussians);
}

static PyObject *py_xorshift_ints(PyObject *self, PyObject *args) {
    return xorshift_values(args, sizeof(int32_t), fill_ints);
}

static PyObject *py_xorshift_int_below(PyObject *self, PyObject *args) {
    long long seed;
    int bound;
    if (!PyArg_ParseTuple(args, "Li", &seed, &bound)) return NULL;
    if (bound <= 0) {
        PyErr_SetString(PyExc_ValueError, "bound must be positive");
        return NULL;
    }
    XorShift g;
    xorshift_init(&g, (int64_t)seed);
    return PyLong_FromLong(xorshift_int_below_(&g, bound));
}

static PyObject *py_mt_longs(PyObject *self, PyObject *args) {
    long long seed;
    Py_ssize_t count;
    char *buf;
    if (!PyArg_ParseTuple(args, "Ln", &seed, &count)) return NULL;
    PyObject *result = new_buffer(count, sizeof(int64_t), &buf);
    if (result == NULL) return NULL;
    Mersenne g;
    mt_init_long(&g, (int64_t)seed);
    uint64_t *out = (uint64_t *)buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint64_t high = (uint64_t)mt_next32(&g) << 32;
        out[i] = high | mt_next32(&g);
    }
    return result;
}

static PyObject *py_well_poisson(PyObject *self, PyObject *args) {
    long long seed;
    double mean;
    Py_ssize_t count;
    char *buf;
    if (!PyArg_ParseTuple(args, "Ldn", &seed, &mean, &count)) return NULL;
    if (!(mean > 0 && mean < 40)) {
        PyErr_SetString(PyExc_ValueError, "mean must be in (0, 40)");
        return NULL;
    }
    PyObject *result = new_buffer(count, sizeof(int32_t), &buf);
    if (result == NULL) return NULL;
    Well g;
    well_init_long(&g, (int64_t)seed);
    double p = exp(-mean);
    int32_t *out = (int32_t *)buf;
    for (Py_ssize_t i = 0; i < count; i++) out[i] = well_poisson_one(&g, mean, p);
    return result;
}

static PyMethodDef methods[] = {
    {"xorshift_doubles", py_xorshift_doubles, METH_VARARGS, "nextDouble() values"},
    {"xorshift_gaussians", py_xorshift_gaussians, METH_VARARGS, "nextGaussian() values"},
    {"xorshift_ints", py_xorshift_ints, METH_VARARGS, "nextInt() values"},
    {"xorshift_int_below", py_xorshift_int_below, METH_VARARGS, "the first nextInt(bound)"},
    {"mt_longs", py_mt_longs, METH_VARARGS, "MersenneTwister nextLong() values"},
    {"well_poisson", py_well_poisson, METH_VARARGS, "Poisson samples over Well19937c"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_spark_rng", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__spark_rng(void) { return PyModule_Create(&module); }
