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
// exp is PortableMath.exp (ExpLanes.h). The max and the sums run one row per lane (blocks of LANES rows; lanes
// past the last row are masked off and never stored), the values of a row one column per lane.

/// m of each row of the block of `count` rows at `block` (lanes past `active` hold 0).
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(rowMaxima)(const float *block, long width,
                                                                              NAME(ints) active) {
    NAME(floats) largest = -__builtin_inff();
    for (long j = 0; j < width; j++) {
        NAME(floats) v = NAME(gather)(block + j, width, active);
        largest = NAME(select)(v >= largest, v, largest);
    }
    return largest;
}

static TARGET void NAME(softmax)(const float *x, float *y, long rows, long width) {
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const NAME(ints) active = NAME(below)(count);
        const NAME(floats) largest = NAME(rowMaxima)(x + first * width, width, active);
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            for (long j = 0; j < width; j += LANES) {
                NAME(storePart)(y + offset + j, NAME(exp)(NAME(loadPart)(x + offset + j, width - j) - largest[r]),
                                width - j);
            }
        }
        NAME(floats) total = 0;
        for (long j = 0; j < width; j++) total = total + NAME(gather)(y + first * width + j, width, active);
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            for (long j = 0; j < width; j += LANES) {
                NAME(storePart)(y + offset + j, NAME(loadPart)(y + offset + j, width - j) / total[r], width - j);
            }
        }
    }
}

static TARGET void NAME(softmax_backward)(const float *upstream, const float *y, float *dx, long rows, long width) {
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const NAME(ints) active = NAME(below)(count);
        const float *g = upstream + first * width, *w = y + first * width;
        NAME(floats) dot = 0;
        for (long j = 0; j < width; j++) {
            dot = dot + NAME(gather)(g + j, width, active) * NAME(gather)(w + j, width, active);
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
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const NAME(ints) active = NAME(below)(count);
        const float *block = x + first * width;
        const NAME(floats) largest = NAME(rowMaxima)(block, width, active);
        NAME(doubles) total = 0;
        for (long j = 0; j < width; j++) {
            NAME(floats) shifted = NAME(gather)(block + j, width, active) - largest;
            total = total + NAME(expWide)(__builtin_convertvector(shifted, NAME(doubles)));
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
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const NAME(ints) active = NAME(below)(count);
        NAME(floats) total = 0;
        for (long j = 0; j < width; j++) total = total + NAME(gather)(upstream + first * width + j, width, active);
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
