/*
 * cn_dense_impl.h -- the layer kernel: out = act(X W^T + b), included by
 * cn_blocks_impl.h once per dtype and instruction set (CN_T, CN_SFX, CN_FN,
 * CN_TARGET, CN_VBYTES, CN_LANES defined). No include guard on purpose.
 *
 * Every output z[r, j] = X[r].W[j] + b[j] is computed in the order cn_dot
 * defines (cn_rows_impl.h): lane k sums the products of features i = k
 * (mod CN_LANES) in increasing i, then a halving tree adds the lanes. So
 * output j of a layer is bit for bit what a neuron with weights W[j]
 * computes, whatever the batch, the thread count or the instruction set.
 *
 * Vectorized across outputs. The weights are packed in panels of CN_PW
 * outputs (64 bytes of each): panel p holds Wt[p][i][e] = W[p * CN_PW + e][i]
 * for i < Kp, e < CN_PW (cneuron/_layers.py packs them; outputs beyond N are
 * zeros, their results are never stored). A vector then holds one product
 * x_i * w_ji for several outputs j at once, and the dot product's lanes and
 * tree are computed for all of them with vertical operations only: no
 * horizontal sums. The tree is evaluated depth first, lanes visited in
 * bit-reversed order (0, 8, 4, 12, ... for 16 lanes), where it is a binary
 * counter: after lane number i, the partial sums of the completed subtrees
 * are combined, one per trailing one bit of i. Only log2(CN_LANES) + 1
 * partial sums are alive at a time, so a tile of CN_BR rows stays in
 * registers.
 *
 * Fewer features than lanes (K < CN_LANES) would leave lanes empty; then
 * the rows are padded to Kp = CN_LANES with +0.0 and the weights with -0.0.
 * A padded product is 0 * -0 = -0, the exact identity of IEEE addition
 * (x + -0 == x for every x, -0 included), so a padded lane added in the tree
 * equals the tree that skips it, bit for bit.
 *
 * Batches of wide rows are packed first (cn_dense_pack): the rows of each
 * tile interleaved feature by feature, so that the tile's inputs are read
 * front to back instead of at four addresses a power of two apart. The
 * panels are 64-byte aligned (cneuron/_layers.py), so a panel row is one
 * cache line. Neither changes an operation.
 */

#if CN_VECTOR_EXT
#define CN_VW ((int)(CN_VBYTES / sizeof(CN_T))) /* elements per vector */
typedef CN_T CN_FN(cn_pvec) __attribute__((vector_size(CN_VBYTES)));
#else
#define CN_VW 1 /* plain C: the same operations one element at a time */
typedef CN_T CN_FN(cn_pvec);
#endif
#define CN_PW ((int)(64 / sizeof(CN_T))) /* outputs per panel */
#define CN_JV (CN_PW / CN_VW)            /* vectors per panel row */
#if CN_LANES == 32
#define CN_LOG2L 5
#else
#define CN_LOG2L 4
#endif
#if CN_VECTOR_EXT && CN_VBYTES >= 64
#define CN_BR 4 /* rows per tile: 4 x (5 or 6) partial sums in 32 registers */
#define CN_NL_ROW 16 /* lanes at a time for a lone row (cn_panel_part) */
#else
#define CN_BR 1
#define CN_NL_ROW 2
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define CN_UNROLL_ALL _Pragma("GCC unroll 32")
#elif defined(__clang__)
#define CN_UNROLL_ALL _Pragma("unroll")
#else
#define CN_UNROLL_ALL
#endif

/* One feature k of one lane for a tile of R rows: a[r] = x_r[k] * Wt[k] (the
 * lane's first product, `first`) or a[r] += x_r[k] * Wt[k], where x_r[k]
 * is xr[r][k * XS] (XS = 1 for rows in place, CN_BR for packed tiles). */
CN_TARGET CN_INLINE void CN_FN(cn_panel_step)(const CN_T *const *xr, const int R, const int XS,
                                              const CN_T *Wt, ptrdiff_t k, const int first,
                                              CN_FN(cn_pvec) a[CN_BR][CN_JV])
{
    CN_FN(cn_pvec) w[CN_JV];
    CN_UNROLL_ALL
    for (int jv = 0; jv < CN_JV; jv++)
        memcpy(&w[jv], Wt + k * CN_PW + jv * CN_VW, sizeof w[jv]);
    CN_UNROLL_ALL
    for (int r = 0; r < R; r++) {
        CN_T xs = xr[r][k * XS];
        CN_UNROLL_ALL
        for (int jv = 0; jv < CN_JV; jv++)
            a[r][jv] = first ? xs * w[jv] : a[r][jv] + xs * w[jv];
    }
}

/* Lane sums over the features [k0, k1) (a K block before the last; k0, k1
 * multiples of CN_LANES) for a tile of CN_BR rows and one panel, continued
 * from P (or started, when k0 == 0) and left in P: P[(l * R + r) * CN_JV
 * + jv]. R (CN_BR, or 1 for the rows left over), XS (cn_panel_step) and NL
 * (lanes at a time) are constants after inlining: NL = 2 for a tile, twice the independent
 * sums in flight; NL = CN_NL_ROW for a lone row where 32 vector registers
 * hold them, so that each step reads 16 consecutive rows of the panel and
 * the block of weights streams front to back (a batch of one is bound by
 * that stream). Splitting each lane's sequential sum at block boundaries
 * keeps its order. */
CN_TARGET CN_INLINE void CN_FN(cn_panel_part)(const CN_T *const *xr, const int R, const int XS,
                                              const int NL, const CN_T *Wt, ptrdiff_t k0,
                                              ptrdiff_t k1, CN_FN(cn_pvec) *CN_RESTRICT P)
{
    for (int l = 0; l < CN_LANES; l += NL) {
        CN_FN(cn_pvec) a[CN_NL_ROW][CN_BR][CN_JV];
        ptrdiff_t k = k0 + l;
        if (k0 == 0) {
            CN_UNROLL_ALL
            for (int q = 0; q < NL; q++)
                CN_FN(cn_panel_step)(xr, R, XS, Wt, k + q, 1, a[q]);
            k += CN_LANES;
        } else {
            CN_UNROLL_ALL
            for (int q = 0; q < NL; q++)
                CN_UNROLL_ALL
                for (int r = 0; r < R; r++)
                    CN_UNROLL_ALL
                    for (int jv = 0; jv < CN_JV; jv++)
                        a[q][r][jv] = P[((l + q) * R + r) * CN_JV + jv];
        }
        for (; k < k1; k += CN_LANES)
            CN_UNROLL_ALL
            for (int q = 0; q < NL; q++)
                CN_FN(cn_panel_step)(xr, R, XS, Wt, k + q, 0, a[q]);
        CN_UNROLL_ALL
        for (int q = 0; q < NL; q++)
            CN_UNROLL_ALL
            for (int r = 0; r < R; r++)
                CN_UNROLL_ALL
                for (int jv = 0; jv < CN_JV; jv++)
                    P[((l + q) * R + r) * CN_JV + jv] = a[q][r][jv];
    }
}

/* out rows outr[r] (r < R), columns [0, nc): X[r].W[j] + b[j] for the CN_PW
 * outputs j of one panel (Wt: Kp rows of CN_PW weights, b: CN_PW biases),
 * rows xr[r] with Kp elements (read as in cn_panel_step), Kp >= CN_LANES. The lanes' sums run over
 * the features [k0, Kp), continuing the sums in P when k0 > 0 (see
 * cn_panel_part), and the tree completes them. */
CN_TARGET CN_INLINE void CN_FN(cn_panel_tile)(const CN_T *const *xr, const int R,
                                              const int XS, const CN_T *Wt, ptrdiff_t Kp,
                                              ptrdiff_t k0, const CN_FN(cn_pvec) *P, const CN_T *b,
                                              CN_T *const *outr, int nc)
{
    CN_FN(cn_pvec) st[CN_LOG2L + 1][CN_BR][CN_JV]; /* partial sums by tree level */
    /* lanes number i and i + 1 (i even) together: lanes l and l + L/2 */
    CN_UNROLL_ALL
    for (int i = 0; i < CN_LANES; i += 2) {
        int l = 0; /* the lane: i bit-reversed */
        for (int bit = 0; bit < CN_LOG2L; bit++)
            l |= ((i >> bit) & 1) << (CN_LOG2L - 1 - bit);
        const int h = CN_LANES / 2; /* lane number i + 1 is lane l + h */
        CN_FN(cn_pvec) a[2][CN_BR][CN_JV];
        ptrdiff_t k = k0 + l;
        if (k0 == 0) {
            CN_UNROLL_ALL
            for (int q = 0; q < 2; q++)
                CN_FN(cn_panel_step)(xr, R, XS, Wt, l + q * h, 1, a[q]); /* first products */
            k += CN_LANES;
        } else {
            CN_UNROLL_ALL
            for (int q = 0; q < 2; q++)
                CN_UNROLL_ALL
                for (int r = 0; r < R; r++)
                    CN_UNROLL_ALL
                    for (int jv = 0; jv < CN_JV; jv++)
                        a[q][r][jv] = P[((l + q * h) * R + r) * CN_JV + jv];
        }
        for (; k + h < Kp; k += CN_LANES) /* both lanes have feature k (+ h) */
            CN_UNROLL_ALL
            for (int q = 0; q < 2; q++)
                CN_FN(cn_panel_step)(xr, R, XS, Wt, k + q * h, 0, a[q]);
        if (k < Kp) /* lane l has one feature more */
            CN_FN(cn_panel_step)(xr, R, XS, Wt, k, 0, a[0]);
        /* the binary counter, for lane number i (even: no level to close)
         * then i + 1: one tree level per trailing one bit */
        CN_UNROLL_ALL
        for (int r = 0; r < R; r++)
            CN_UNROLL_ALL
            for (int jv = 0; jv < CN_JV; jv++)
                st[0][r][jv] = a[0][r][jv];
        int lvl = 0;
        CN_UNROLL_ALL
        for (int m = i + 1; m & 1; m >>= 1, lvl++)
            CN_UNROLL_ALL
            for (int r = 0; r < R; r++)
                CN_UNROLL_ALL
                for (int jv = 0; jv < CN_JV; jv++)
                    a[1][r][jv] = st[lvl][r][jv] + a[1][r][jv];
        CN_UNROLL_ALL
        for (int r = 0; r < R; r++)
            CN_UNROLL_ALL
            for (int jv = 0; jv < CN_JV; jv++)
                st[lvl][r][jv] = a[1][r][jv];
    }
    for (int r = 0; r < R; r++) {
        CN_T z[CN_PW];
        for (int jv = 0; jv < CN_JV; jv++) {
            CN_FN(cn_pvec) vb, y;
            memcpy(&vb, b + jv * CN_VW, sizeof vb);
            y = st[CN_LOG2L][r][jv] + vb;
            memcpy(z + jv * CN_VW, &y, sizeof y);
        }
        memcpy(outr[r], z, (size_t)nc * sizeof(CN_T));
    }
}

/* Features per K block when a layer is wide. Rows read in place: the
 * block's weights in a panel take 16 KiB and stay in L1 while all the rows
 * pass. Packed rows (cn_dense_pack): a block takes up to 128 KiB (2048
 * features) and is read from L2 by each tile of a group of CN_ROWGROUP_PK
 * rows; a layer of up to 4096 features is then summed in one sweep, with
 * no partial lane sums stored and reloaded. */
#define CN_KBLOCK ((ptrdiff_t)(16 * 1024 / 64))
#if defined(__GNUC__) || defined(__clang__)
#define CN_PREFETCH_L2(p) __builtin_prefetch((p), 0, 2)
#else
#define CN_PREFETCH_L2(p) ((void)(p))
#endif
#define CN_KBLOCK_PK ((ptrdiff_t)(128 * 1024 / 64))
#define CN_ROWGROUP_PK 64

/* out[r * ldo + j] = X[r].W[j] + b[j] for rows [0, n) and outputs [0, N).
 * The rows come either as X (stride ldx, Kp readable elements; XS = 1) or
 * packed by cn_dense_pack (xpk, XS = CN_BR; X unused). Wt: the packed panels, bp:
 * the bias padded to whole panels; P: room for the lane sums of n rows
 * (cn_dense_rows). Rows in groups of RG, each group panel by panel; a wide
 * layer's features in blocks of KB, each swept over all the rows of the
 * group before the next. XS (the stride between a row's consecutive
 * features), KB and RG are constants in each call, so that the packed and
 * the plain loops are compiled apart. */
CN_TARGET CN_INLINE void CN_FN(cn_dense_z_impl)(const CN_T *X, ptrdiff_t ldx, const CN_T *xpk,
                                                const int XS, const ptrdiff_t KB,
                                                const ptrdiff_t RG, ptrdiff_t n,
                                                const CN_T *Wt, ptrdiff_t Kp, ptrdiff_t N,
                                                const CN_T *bp, CN_T *out, ptrdiff_t ldo,
                                                CN_T *part)
{
    CN_FN(cn_pvec) *P = (CN_FN(cn_pvec) *)part;
    /* the last block starts here (a multiple of the block, so of the lanes) */
    ptrdiff_t klast = Kp > 2 * KB ? (Kp - 1) / KB * KB : 0;
    ptrdiff_t nfull = n / CN_BR * CN_BR; /* rows in whole tiles; the rest one by one */
    /* row r of a tile, and a lone row */
#define CN_XT(r0, r) (XS != 1 ? xpk + (r0) * Kp + (r) : X + ((r0) + (r)) * ldx)
#define CN_XR(r0) (XS != 1 ? xpk + (r0) * Kp : X + (r0) * ldx)
    for (ptrdiff_t g0 = 0; g0 < n; g0 += RG) {
        ptrdiff_t g1 = n - g0 < RG ? n : g0 + RG;
        ptrdiff_t gfull = g1 < nfull ? g1 : nfull;  /* tiles end */
        ptrdiff_t glone = g0 > nfull ? g0 : nfull;  /* lone rows start */
        for (ptrdiff_t p = 0; p * CN_PW < N; p++) {
            int nc = N - p * CN_PW < CN_PW ? (int)(N - p * CN_PW) : CN_PW;
            const CN_T *Wp = Wt + p * Kp * CN_PW;
            for (ptrdiff_t k0 = 0; k0 < klast; k0 += KB) {
                for (ptrdiff_t r0 = g0; r0 < gfull; r0 += CN_BR) {
                    const CN_T *xr[CN_BR];
                    for (int r = 0; r < CN_BR; r++)
                        xr[r] = CN_XT(r0, r);
                    CN_FN(cn_panel_part)(xr, CN_BR, XS, 2, Wp, k0, k0 + KB,
                                         P + r0 * CN_LANES * CN_JV);
                }
                for (ptrdiff_t r0 = glone; r0 < g1; r0++) {
                    const CN_T *xr[1] = {CN_XR(r0)};
                    CN_FN(cn_panel_part)(xr, 1, 1, CN_NL_ROW, Wp, k0, k0 + KB,
                                         P + r0 * CN_LANES * CN_JV);
                }
            }
            for (ptrdiff_t r0 = g0; r0 < gfull; r0 += CN_BR) {
                const CN_T *xr[CN_BR];
                CN_T *outr[CN_BR];
                if (XS != 1 && (p + 1) * CN_PW < N) {
                    /* packed rows: each tile of the group asks for its share
                     * of the next panel's weights (Kp rows of 64 bytes) to
                     * come into L2, so that the next panel's first tile does
                     * not wait for them */
                    ptrdiff_t tiles = (gfull - g0) / CN_BR, t = (r0 - g0) / CN_BR;
                    ptrdiff_t per = (Kp + tiles - 1) / tiles;
                    ptrdiff_t q1 = (t + 1) * per < Kp ? (t + 1) * per : Kp;
                    const CN_T *next = Wp + Kp * CN_PW;
                    for (ptrdiff_t q = t * per; q < q1; q++)
                        CN_PREFETCH_L2(next + q * CN_PW);
                }
                for (int r = 0; r < CN_BR; r++) {
                    xr[r] = CN_XT(r0, r);
                    outr[r] = out + (r0 + r) * ldo + p * CN_PW;
                }
                CN_FN(cn_panel_tile)(xr, CN_BR, XS, Wp, Kp, klast, P + r0 * CN_LANES * CN_JV,
                                     bp + p * CN_PW, outr, nc);
            }
            for (ptrdiff_t r0 = glone; r0 < g1; r0++) {
                const CN_T *xr[1] = {CN_XR(r0)};
                CN_T *outr[1] = {out + r0 * ldo + p * CN_PW};
                CN_FN(cn_panel_tile)(xr, 1, 1, Wp, Kp, klast, P + r0 * CN_LANES * CN_JV,
                                     bp + p * CN_PW, outr, nc);
            }
        }
    }
#undef CN_XT
#undef CN_XR
}

/* Copies rows [0, n) of X (stride ldx, K features) to dst as rows of Kp
 * elements, padded with +0.0. */
CN_TARGET static void CN_FN(cn_pad_rows)(const CN_T *X, ptrdiff_t ldx, ptrdiff_t n, ptrdiff_t K,
                                         ptrdiff_t Kp, CN_T *dst)
{
    for (ptrdiff_t r = 0; r < n; r++) {
        memcpy(dst + r * Kp, X + r * ldx, (size_t)K * sizeof(CN_T));
        for (ptrdiff_t k = K; k < Kp; k++)
            dst[r * Kp + k] = 0;
    }
}

/* Packs rows [0, n) of X (stride ldx, K features) for cn_dense_z_impl
 * into xpk (n * Kp elements): each whole tile of CN_BR rows interleaved
 * feature by feature (tile t, feature k, row r at t * CN_BR * Kp + k *
 * CN_BR + r), the rows left over plain after them, every row padded with
 * +0.0 to Kp. A tile's features then lie in one contiguous run: a lane
 * pair's pass reads whole cache lines front to back, and the tile does not
 * crowd a few cache sets (plain rows a power of two apart all map to the
 * same ones). Only copies: the values, hence the results, are the same. */
CN_TARGET static void CN_FN(cn_dense_pack)(const CN_T *X, ptrdiff_t ldx, ptrdiff_t n,
                                           ptrdiff_t K, ptrdiff_t Kp, CN_T *xpk)
{
    ptrdiff_t nfull = n / CN_BR * CN_BR;
    for (ptrdiff_t r0 = 0; r0 < nfull; r0 += CN_BR) {
        CN_T *d = xpk + r0 * Kp;
        const CN_T *x = X + r0 * ldx;
        for (ptrdiff_t k = 0; k < K; k++)
            for (int r = 0; r < CN_BR; r++)
                d[k * CN_BR + r] = x[r * ldx + k];
        for (ptrdiff_t k = K * CN_BR; k < Kp * CN_BR; k++)
            d[k] = 0;
    }
    CN_FN(cn_pad_rows)(X + nfull * ldx, ldx, n - nfull, K, Kp, xpk + nfull * Kp);
}

/* out[r * ldo + j] = act(X[r].W[j] + b[j]) for the n rows of a block of X
 * (stride ldx, K features) and the N outputs of a layer with packed weights
 * Wt (Kp = max(K, CN_LANES) rows per panel) and padded bias bp; mode 1 / 2
 * applies softmax / log_softmax over each row's outputs instead of act.
 * `scratch` (n * Kp elements) takes the rows packed (cn_dense_pack), or,
 * when K < Kp, copied with +0.0 padding, unless the caller says the
 * padding is there already (x_padded: ldx >= Kp, +0.0 in columns
 * K..Kp-1). `part`: room for the
 * lane sums of wide layers, (n + 4) * 128 * 16 bytes, 64-byte aligned. */
CN_TARGET static void CN_FN(cn_dense_rows)(const CN_T *X, ptrdiff_t ldx, ptrdiff_t n,
                                           ptrdiff_t K, int x_padded, const CN_T *Wt,
                                           ptrdiff_t Kp, ptrdiff_t N, const CN_T *bp,
                                           CN_T *out, ptrdiff_t ldo, int act, CN_T p0,
                                           CN_T p1, int mode, CN_T *scratch, CN_T *part)
{
    if (n <= 0)
        return;
    if (CN_BR > 1 && n >= CN_BR && N > 2 * CN_PW && Kp >= (sizeof(CN_T) == 4 ? 1024 : 256)) {
        /* tiles of rows, more than two panels and rows of 256 doubles or
         * 1024 floats or more: packing pays (measured; below that its copy
         * costs more than the strided reads it saves), and does the
         * padding too */
        CN_FN(cn_dense_pack)(X, ldx, n, K, Kp, scratch);
        CN_FN(cn_dense_z_impl)(NULL, 0, scratch, CN_BR, CN_KBLOCK_PK, CN_ROWGROUP_PK, n, Wt, Kp,
                               N, bp, out, ldo, part);
    } else {
        if (K < Kp && !x_padded) {
            CN_FN(cn_pad_rows)(X, ldx, n, K, Kp, scratch);
            X = scratch;
            ldx = Kp;
        }
        CN_FN(cn_dense_z_impl)(X, ldx, NULL, 1, CN_KBLOCK, n, n, Wt, Kp, N, bp, out, ldo, part);
    }
    if (mode != 0) {
        for (ptrdiff_t r = 0; r < n; r++)
            CN_SFX(cn_softmax_row)(out + r * ldo, out + r * ldo, N, mode == 2);
    } else if (act != CN_ACT_IDENTITY) {
        if (ldo == N)
            CN_ACTIVATE(out, out, n * N, act, p0, p1);
        else
            for (ptrdiff_t r = 0; r < n; r++)
                CN_ACTIVATE(out + r * ldo, out + r * ldo, N, act, p0, p1);
    }
}

#undef CN_VW
#undef CN_PW
#undef CN_JV
#undef CN_LOG2L
#undef CN_BR
#undef CN_NL_ROW
#undef CN_UNROLL_ALL
#undef CN_KBLOCK
#undef CN_KBLOCK_PK
#undef CN_PREFETCH_L2
#undef CN_ROWGROUP_PK
