#!/usr/bin/env python3
"""Rank check of the draft hiding Basefold opening (spec/zk.md, "Draft construction").

Builds, over BabyBear and on a small instance, every value one opening reveals as a linear form
in the unknowns (f's coefficients, the commitment mask msk, the per-proof helper polynomials),
for random challenges and queries, and tests whether the revealed values are independent of f
given the claimed value: for every f with <G, f> = 0, the f-part of the revealed forms must lie
in the column space of the mask part (rank([A_mask | A_f K]) == rank(A_mask)). HIDES or LEAKS.

Usage: python3 tools/zk_rank.py n k a q [plain] [seeds] [l0=L] [--diag]
  n: variables of f; k: fold bits (leaf 2^k); a: extra window bits of each helper;
  q: queries; l0: msk has 2^l0 coefficients in an extra top block (or, with --low, added to
  f's low coefficients, with msk's functional at the claim revealed and msk opened in the second
  instance); --diag: ranks row group by row group. Needs numpy (tools/requirements.txt). Not run by CI: a design check.
"""
import random, sys
import numpy as np
p = 2013265921  # 15*2^27+1
g0 = 31
def root(N): return pow(g0, (p-1)//N, p)
def inv(x): return pow(x, p-2, p)

def rank(rows, ncols):
    m = [r[:] for r in rows]
    r = 0
    for c in range(ncols):
        piv = None
        for i in range(r, len(m)):
            if m[i][c] % p: piv = i; break
        if piv is None: continue
        m[r], m[piv] = m[piv], m[r]
        iv = inv(m[r][c])
        m[r] = [x*iv % p for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c]:
                f = m[i][c]
                m[i] = [(x - f*y) % p for x, y in zip(m[i], m[r])]
        r += 1
        if r == len(m): break
    return r

def run(n, k, a, q, rate_bits, seed, layout, l0=0, low=False):
    rnd = random.Random(seed)
    nfo = 1 << n   # f's own coefficients
    n = n + 1 if (l0 and not low) else n   # the top-block fhat has an extra variable
    T = (n - 1) // k            # folded trees at folds k, 2k, ... < n
    windows = []
    for L in range(1, T + 1):
        lo = L * k
        hi = min(lo + k + a, n)
        lo = max(0, hi - (k + a)) if layout == "clip" else lo
        windows.append((lo, hi))
    if layout == "plus-final":
        windows.append((max(0, n - k - a), n))
    nf = nfo + ((1 << l0) if l0 else 0)   # f and msk unknowns
    hsizes = [1 << (hi - lo) for lo, hi in windows]
    nh = sum(hsizes)
    U = nf + nh                  # unknowns: f coefficients, then helper coefficients
    def unit(i):
        v = np.zeros(U, dtype=np.int64); v[i] = 1; return v
    def add(x, y): return (x + y) % p
    def scale(x, s): return (x * (s % p)) % p
    Z = lambda: np.zeros(U, dtype=np.int64)
    rho = rnd.randrange(1, p); beta = rnd.randrange(1, p)
    # g as a multilinear polynomial in coefficient form: coefficient i of g is
    # sum_L beta^L * ghat_L[bits of i in window L] if i has no bits outside window L.
    coeffs = []
    off = nf
    gco = [Z() for _ in range(1 << n)]
    for L, (lo, hi) in enumerate(windows):
        w = hi - lo
        bl = pow(beta, L + 1, p)
        for j in range(1 << w):
            i = j << lo
            gco[i] = add(gco[i], scale(unit(off + j), bl))
        off += 1 << w
    if low:
        # fhat = f + msk, msk in the low 2^l0 coefficients (variables x_0 .. x_{l0-1})
        fhat = [add(unit(i), unit(nfo + i)) if i < (1 << l0) else unit(i) for i in range(1 << n)]
    else:
        fhat = [unit(i) if i < nf else Z() for i in range(1 << n)]
    fzk = [add(scale(fhat[i], rho), gco[i]) for i in range(1 << n)]
    rows_h, rows = [], []   # rows: revealed linear forms over U
    labels = []
    cur_label = ['G_g']
    def append_row(x):
        rows.append(x); labels.append(cur_label[0])
    # the claim point and G_g = <G, g> (G = eq(z, .) in evaluation form = g's MLE at z)
    z = [rnd.randrange(p) for _ in range(n)]
    if l0 and not low: z[-1] = 0
    def mle_at(co, pt):   # coefficient form: sum_i c_i prod_b pt_b^{bit_b(i)}
        acc = Z()
        for i, c in enumerate(co):
            w_ = 1
            for b in range(len(pt)):
                if (i >> b) & 1: w_ = w_ * pt[b] % p
            acc = add(acc, scale(c, w_))
        return acc
    append_row(mle_at(gco, z))                      # G_g
    if low:
        claim_row = mle_at([unit(i) for i in range(nfo)], z)   # <G, f>: known to the verifier
        cur_label[0] = 'M_G'
        append_row(mle_at([unit(nfo + i) for i in range(1 << l0)], z[:l0]))   # msk(z_<l0)
    else:
        claim_row = mle_at(fhat, z)   # <G, fhat> at x_n = 0 = <G, f>: known to the verifier
    # folding challenges
    r = [rnd.randrange(p) for _ in range(n)]
    def fold(co, ch):
        return [add(co[2*i], scale(co[2*i+1], ch)) for i in range(len(co)//2)]
    N = 1 << (n + rate_bits)
    queries = [rnd.randrange(N) for _ in range(q)]
    def evalpoly(co, x):
        M = np.stack(co)
        pw = np.array([pow(x, i, p) for i in range(len(co))], dtype=np.int64)
        acc = Z()
        for i in range(len(co)):
            acc = (acc + M[i] * pw[i]) % p
        return acc
    cur_label[0] = 'tree0'
    mu0 = root(1 << k)
    for q0 in queries:
        x0 = pow(root(N), q0, p)
        for t in range(1 << k):
            append_row(evalpoly(fhat, x0 * pow(mu0, t, p) % p))
    levels = [fzk]
    cur = fzk
    for s in range(n):
        cur = fold(cur, r[s])
        levels.append(cur)
    cur_label[0] = 'final'
    append_row(cur[0])                               # the final constant f_zk(r)
    for L in range(1, T + 1):
        cur_label[0] = f'tree{L}'
        co = levels[L*k]
        NL = N >> (L*k)
        om = root(NL)
        for q0 in queries:
            x0 = pow(root(N), q0, p)
            y = pow(x0, 1 << (L*k), p)               # the query's point at level L
            # the leaf: the coset y * mu_{2^k}
            mu = root(1 << k)
            for t in range(1 << k):
                append_row(evalpoly(co, y * pow(mu, t, p) % p))
    cur_label[0] = 'v_z'
    # v_z = fold_k(g)(y1) per query
    gf = gco
    for s in range(k): gf = fold(gf, r[s])
    for q0 in queries:
        y1 = pow(pow(root(N), q0, p), 1 << k, p)
        append_row(evalpoly(gf, y1))
    # second instance: transparent Basefold of the batched helpers (each ghat_L its own poly):
    # tree-0 leaves of each helper, then the folded trees of their random combination, its final.
    hn = max(hi - lo for lo, hi in windows)
    off = nf
    helpers = []
    for (lo, hi) in windows:
        w = hi - lo
        co = [unit(off + j) for j in range(1 << w)] + [Z() for _ in range((1 << hn) - (1 << w))]
        helpers.append(co); off += 1 << w
    if low:
        co = [unit(nfo + j) for j in range(1 << l0)]
        hn = max(hn, l0)
        helpers = [h + [Z() for _ in range((1 << hn) - len(h))] for h in helpers]
        helpers.append(co + [Z() for _ in range((1 << hn) - len(co))])
    Nh = 1 << (hn + rate_bits)
    hq = [rnd.randrange(Nh) for _ in range(q)]
    mu = root(1 << k)
    cur_label[0] = 'h-tree0'
    for co in helpers:
        for q0 in hq:
            x0 = pow(root(Nh), q0, p)
            for t in range(1 << k):
                append_row(evalpoly(co, x0 * pow(mu, t, p) % p))
    wts = [rnd.randrange(1, p) for _ in helpers]
    B = [Z() for _ in range(1 << hn)]
    for w_, co in zip(wts, helpers):
        B = [add(x, scale(y, w_)) for x, y in zip(B, co)]
    rh = [rnd.randrange(p) for _ in range(hn)]
    cur = B
    for s in range(hn):
        # the helper sum-check's round message (transparent): the round polynomial of
        # sum_x Gh(x) B(x) at 0, 1, 2 -- modelled as the partial sums with random weights
        cur_label[0] = f'h-msg{s}'
        gw = [rnd.randrange(p) for _ in range(len(cur))]
        for pt in range(3):
            acc = Z()
            for i in range(len(cur)//2):
                lo_, hi_ = cur[2*i], cur[2*i+1]
                val = add(lo_, scale(add(hi_, scale(lo_, p-1)), pt))
                acc = add(acc, scale(val, gw[i]))
            append_row(acc)
        cur = fold(cur, rh[s])
        if (s + 1) % k == 0 and s + 1 < hn:
            cur_label[0] = f'h-tree{s+1}'
            NL = Nh >> (s + 1)
            for q0 in hq:
                y = pow(pow(root(Nh), q0, p), 1 << (s + 1), p)
                for t in range(1 << k):
                    append_row(evalpoly(cur, y * pow(mu, t, p) % p))
    append_row(cur[0])
    # Hiding test: for f with <G,f> = 0, the f-part of every revealed row must lie in the column
    # space of the helper part.  Equivalently rank([A_h | A_f K]) == rank(A_h), K a kernel basis.
    rows = [list(map(int, r_)) for r_ in rows]
    claim_row = list(map(int, claim_row))
    Ah = [row[nfo:] for row in rows]
    nh = nh + (nf - nfo)
    gvec = claim_row[:nfo]
    piv = next(i for i in range(nfo) if gvec[i])
    K = list(range(nfo - 1))
    c = [(-gvec[i] * inv(gvec[piv])) % p for i in range(nfo)]
    AfK = [[(row[i] + c[i]*row[piv]) % p for i in range(nfo) if i != piv] for row in rows]
    if '--diag' in sys.argv:
        seen = []
        for lab in dict.fromkeys(labels):
            idx = [i for i, l in enumerate(labels) if l in seen + [lab]]
            a1 = rank([Ah[i] for i in idx], nh); a2 = rank([Ah[i] + AfK[i] for i in idx], nh + len(K))
            print(f'  up to {lab}: rows {len(idx)} rank(A_h)={a1} rank(both)={a2}')
            seen.append(lab)
    rh_ = rank(Ah, nh)
    rboth = rank([x + y for x, y in zip(Ah, AfK)], nh + len(K))
    return len(rows), nh, rh_, rboth

if __name__ == "__main__":
    n, k, a, q = map(int, sys.argv[1:5])
    l0 = next((int(x[3:]) for x in sys.argv if x.startswith('l0=')), 0)
    low = '--low' in sys.argv
    layout = sys.argv[5] if len(sys.argv) > 5 else "plain"
    for seed in range(int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6].isdigit() else 1):
        rows, nh, rh, rb = run(n, k, a, q, 2, seed, layout, l0, low)
        print(f"n={n} k={k} a={a} q={q} l0={l0}{' low' if low else ''} {layout} seed={seed}: revealed {rows}, helper dof {nh}, rank(A_h)={rh}, rank([A_h|A_f])={rb} -> {'HIDES' if rh == rb else 'LEAKS'}")
