// Layer norm forward and backward in wide Float lanes, included by RowLanes.c once per instruction set after
// RowLanesTemplate.h (whose helpers it uses), with the bits of the engine's Swift loops (LayerNorm.swift).
//
// For one row x of width C, each sum from 0 over the columns in order, one rounded operation per step:
//   mean = (x_0 + x_1 + ...) / C,  s = 1 / sqrt((c_0 c_0 + c_1 c_1 + ...) / C + eps),  c_j = x_j - mean
//   xhat_j = (x_j - mean) s,  y_j = xhat_j gamma_j + beta_j
// Backward, with g the upstream gradient and gx_j = g_j gamma_j:
//   a = (gx_0 + gx_1 + ...) / C,  b = (gx_0 xhat_0 + gx_1 xhat_1 + ...) / C
//   dx_j = s ((gx_j - a) - xhat_j b)
//   dgamma_j = dgamma_j + g_j xhat_j and dbeta_j = dbeta_j + g_j, row after row in order.
// The row sums run one row per lane (blocks of LANES rows transposed into columns, CHUNK columns at a time;
// lanes past the last row hold 0 and are never stored), the rest one column per lane.

/// y (and xhat into `normalised`, 1 / s into `inverseDeviations`, when not null) of `rows` rows of `width`.
static TARGET void NAME(layer_norm)(const float *x, long rows, long width, float epsilon, const float *gamma,
                                    const float *beta, float *y, float *normalised, float *inverseDeviations) {
    float columns[CHUNK * LANES];
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const float *block = x + first * width;
        NAME(floats) total = 0;
        for (long j0 = 0; j0 < width; j0 += CHUNK) {
            const long n = width - j0 < CHUNK ? width - j0 : CHUNK;
            NAME(transposeRows)(block + j0, width, count, n, columns);
            for (long j = 0; j < n; j++) total = total + NAME(load)(columns + j * LANES);
        }
        const NAME(floats) mean = total / (float)width;
        NAME(floats) squares = 0;
        for (long j0 = 0; j0 < width; j0 += CHUNK) {
            const long n = width - j0 < CHUNK ? width - j0 : CHUNK;
            if (width > CHUNK) NAME(transposeRows)(block + j0, width, count, n, columns);  // else still there
            for (long j = 0; j < n; j++) {
                NAME(floats) centred = NAME(load)(columns + j * LANES) - mean;
                squares = squares + centred * centred;
            }
        }
        const NAME(floats) scale = 1.0f / __builtin_elementwise_sqrt(squares / (float)width + epsilon);
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            const float m = mean[r], s = scale[r];
            for (long j = 0; j < width; j += LANES) {
                const long n = width - j;
                NAME(floats) xhat = (NAME(loadPart)(x + offset + j, n) - m) * s;
                if (normalised) NAME(storePart)(normalised + offset + j, xhat, n);
                NAME(floats) out = xhat * NAME(loadPart)(gamma + j, n) + NAME(loadPart)(beta + j, n);
                NAME(storePart)(y + offset + j, out, n);
            }
            if (inverseDeviations) inverseDeviations[first + r] = s;
        }
    }
}

/// dx of `rows` rows of `width` from g (`upstream`), xhat (`normalised`), gamma and each row's s.
static TARGET void NAME(layer_norm_input_gradient)(const float *upstream, const float *normalised,
                                                   const float *gamma, const float *inverseDeviations, long rows,
                                                   long width, float *dx) {
    float gColumns[CHUNK * LANES], xhatColumns[CHUNK * LANES];
    for (long first = 0; first < rows; first += LANES) {
        const long count = rows - first;
        const float *g = upstream + first * width, *xhat = normalised + first * width;
        NAME(floats) sumGx = 0, sumGxXhat = 0;
        for (long j0 = 0; j0 < width; j0 += CHUNK) {
            const long n = width - j0 < CHUNK ? width - j0 : CHUNK;
            NAME(transposeRows)(g + j0, width, count, n, gColumns);
            NAME(transposeRows)(xhat + j0, width, count, n, xhatColumns);
            for (long j = 0; j < n; j++) {
                NAME(floats) gx = NAME(load)(gColumns + j * LANES) * gamma[j0 + j];
                sumGx = sumGx + gx;
                sumGxXhat = sumGxXhat + gx * NAME(load)(xhatColumns + j * LANES);
            }
        }
        const NAME(floats) meanGx = sumGx / (float)width, meanGxXhat = sumGxXhat / (float)width;
        for (long r = 0; r < count && r < LANES; r++) {
            const long offset = (first + r) * width;
            const float a = meanGx[r], b = meanGxXhat[r], s = inverseDeviations[first + r];
            for (long j = 0; j < width; j += LANES) {
                const long n = width - j;
                NAME(floats) gx = NAME(loadPart)(upstream + offset + j, n) * NAME(loadPart)(gamma + j, n);
                NAME(floats) xh = NAME(loadPart)(normalised + offset + j, n);
                NAME(storePart)(dx + offset + j, s * ((gx - a) - xh * b), n);
            }
        }
    }
}

/// dgamma and dbeta of the columns firstColumn ..< endColumn, added into `dGamma` and `dBeta` over all `rows`
/// rows in order: four vectors of columns at a time held in registers down the rows, then one.
static TARGET void NAME(layer_norm_parameter_gradients)(const float *upstream, const float *normalised, long rows,
                                                        long width, long firstColumn, long endColumn,
                                                        float *dGamma, float *dBeta) {
    long j = firstColumn;
    for (; j + 4 * LANES <= endColumn; j += 4 * LANES) {
        NAME(floats) gammaSums[4], betaSums[4];
        for (int k = 0; k < 4; k++) {
            gammaSums[k] = NAME(load)(dGamma + j + k * LANES);
            betaSums[k] = NAME(load)(dBeta + j + k * LANES);
        }
        for (long row = 0; row < rows; row++) {
            const float *g = upstream + row * width + j, *xhat = normalised + row * width + j;
            for (int k = 0; k < 4; k++) {
                NAME(floats) gk = NAME(load)(g + k * LANES);
                gammaSums[k] = gammaSums[k] + gk * NAME(load)(xhat + k * LANES);
                betaSums[k] = betaSums[k] + gk;
            }
        }
        for (int k = 0; k < 4; k++) {
            NAME(store)(dGamma + j + k * LANES, gammaSums[k]);
            NAME(store)(dBeta + j + k * LANES, betaSums[k]);
        }
    }
    for (; j < endColumn; j += LANES) {
        const long n = endColumn - j;
        NAME(floats) gammaSum = NAME(loadPart)(dGamma + j, n), betaSum = NAME(loadPart)(dBeta + j, n);
        for (long row = 0; row < rows; row++) {
            NAME(floats) g = NAME(loadPart)(upstream + row * width + j, n);
            gammaSum = gammaSum + g * NAME(loadPart)(normalised + row * width + j, n);
            betaSum = betaSum + g;
        }
        NAME(storePart)(dGamma + j, gammaSum, n);
        NAME(storePart)(dBeta + j, betaSum, n);
    }
}
