// Softmax and log-softmax over rows, forward and backward, in wide lanes, included by RowLanes.c once per
// instruction set after RowLanesTemplate.h (whose helpers and exp it uses), with the bits of the engine's
// Swift loops (Softmax.swift). For one row x of width C, every sum from 0 over the columns in order:
//   m = max_j x_j, taken as m = x_j >= m ? x_j : m from -infinity (Swift.max(m, x_j); so of equal values the
//       last, -0 or +0, is kept, and a NaN never is)
//   softmax:      e_j = Float(exp(Double(x_j - m))), t = e_0 + e_1 + ... (Float), y_j = e_j / t
//                 backward: d = g_0 y_0 + g_1 y_1 + ..., dx_j = y_j (g_j - d)
//   log-softmax:  t = exp(Double(x_0 - m)) + exp(Double(x_1 - m)) + ... (Double),
//                 y_j = (x_j - m) - Float(log(t)) (PortableMath.log, RowLanes.c's portable_log)
//                 backward: t = g_0 + g_1 + ... (Float), dx_j = g_j - Float(exp(Double(y_j))) t
// exp is PortableMath.exp (ExpLanes.h). The max and the sums run one row per lane (blocks of LANES rows
// transposed into columns, CHUNK at a time; lanes past the last row hold 0 and are never stored), the values of
// a row one column per lane.

/// m of each row of the block of `count` rows at `block`, leaving the last CHUNK or fewer columns in `columns`.
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(rowMaxima)(const float *block, long width,
                                                                              long count, float *columns) {
    NAME(floats) largest = -__builtin_inff();
    for (long j0 = 0; j0 < width; j0 += CHUNK) {
        const long n = width - j0 < CHUNK ? width - j0 : CHUNK;
        NAME(transposeRows)(block + j0, width, count, n, columns);
        for (long j = 0; j < n; j++) {
            NAME(floats) v = NAME(load)(columns + j * LANES);
            largest = NAME(select)(v >= largest, v, largest);
        }
    }
    return largest;
}

/// The sum from 0 of each row's terms over its columns in order, of the block of `count` rows at `block`.
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(rowTotals)(const float *block, long width,
                                                                              long count, float *columns) {
    NAME(floats) total = 0;
    for (long j0 = 0; j0 < width; j0 += CHUNK) {
        const long n = width - j0 < CHUNK ? width - j0 : CHUNK;
        NAME(transposeRows)(block + j0, width, count, n, columns);
        for (long j = 0; j < n; j++) total = total + NAME(load)(columns + j * LANES);
    }
    return total;
}

static TARGET void NAME(softmax)(const float *x, float *y, long rows, long width) {
    float columns[CHUNK * LANES];
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const NAME(floats) largest = NAME(rowMaxima)(x + first * width, width, count, columns);
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            for (long j = 0; j < width; j += LANES) {
                NAME(storePart)(y + offset + j, NAME(exp)(NAME(loadPart)(x + offset + j, width - j) - largest[r]),
                                width - j);
            }
        }
        const NAME(floats) total = NAME(rowTotals)(y + first * width, width, count, columns);
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            for (long j = 0; j < width; j += LANES) {
                NAME(storePart)(y + offset + j, NAME(loadPart)(y + offset + j, width - j) / total[r], width - j);
            }
        }
    }
}

static TARGET void NAME(softmax_backward)(const float *upstream, const float *y, float *dx, long rows, long width) {
    float gColumns[CHUNK * LANES], yColumns[CHUNK * LANES];
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const float *g = upstream + first * width, *w = y + first * width;
        NAME(floats) dot = 0;
        for (long j0 = 0; j0 < width; j0 += CHUNK) {
            const long n = width - j0 < CHUNK ? width - j0 : CHUNK;
            NAME(transposeRows)(g + j0, width, count, n, gColumns);
            NAME(transposeRows)(w + j0, width, count, n, yColumns);
            for (long j = 0; j < n; j++) {
                dot = dot + NAME(load)(gColumns + j * LANES) * NAME(load)(yColumns + j * LANES);
            }
        }
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            for (long j = 0; j < width; j += LANES) {
                const long n = width - j;
                NAME(floats) gj = NAME(loadPart)(upstream + offset + j, n), yj = NAME(loadPart)(y + offset + j, n);
                NAME(storePart)(dx + offset + j, yj * (gj - dot[r]), n);
            }
        }
    }
}

static TARGET void NAME(log_softmax)(const float *x, float *y, long rows, long width) {
    float columns[CHUNK * LANES];
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const float *block = x + first * width;
        const NAME(floats) largest = NAME(rowMaxima)(block, width, count, columns);
        NAME(doubles) total = 0;
        for (long j0 = 0; j0 < width; j0 += CHUNK) {
            const long n = width - j0 < CHUNK ? width - j0 : CHUNK;
            if (width > CHUNK) NAME(transposeRows)(block + j0, width, count, n, columns);  // else still there
            for (long j = 0; j < n; j++) {
                NAME(floats) shifted = NAME(load)(columns + j * LANES) - largest;
                total = total + NAME(expWide)(__builtin_convertvector(shifted, NAME(doubles)));
            }
        }
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            const float m = largest[r], logTotal = (float)portable_log(total[r]);
            for (long j = 0; j < width; j += LANES) {
                NAME(storePart)(y + offset + j, (NAME(loadPart)(x + offset + j, width - j) - m) - logTotal, width - j);
            }
        }
    }
}

static TARGET void NAME(log_softmax_backward)(const float *upstream, const float *y, float *dx, long rows,
                                              long width) {
    float columns[CHUNK * LANES];
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const NAME(floats) total = NAME(rowTotals)(upstream + first * width, width, count, columns);
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            for (long j = 0; j < width; j += LANES) {
                const long n = width - j;
                NAME(floats) e = NAME(exp)(NAME(loadPart)(y + offset + j, n));
                NAME(storePart)(dx + offset + j, NAME(loadPart)(upstream + offset + j, n) - e * total[r], n);
            }
        }
    }
}
