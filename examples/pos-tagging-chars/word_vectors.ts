/**
 * Word vectors from unlabeled text, the way a Keras user would load GloVe — except that nothing
 * may be downloaded here, so they are computed from raw Brown text (no tags): positive pointwise
 * mutual information between a word and the words around it, reduced by a truncated SVD (Levy,
 * Goldberg & Dagan 2015 show this matches word2vec / GloVe on similarity tasks).
 *
 *   counts  n(w, c)  over contexts c = (word at offset −2, −1, +1 or +2): [V, 4V], sparse
 *   PPMI    max(0, log(n(w,c)·N / (n(w)·N·P_α(c)))),  P_α(c) = n(c)^0.75 / Σ n(c')^0.75
 *   SVD     PPMI ≈ U Σ Vᵀ (rank `dim`), by randomized subspace iteration (Halko et al. 2011)
 *   vector  row w of U·Σ^½, scaled to unit length
 *
 * Contexts keep their offset (the word two to the left is another context than the word to the
 * right): part of speech is about word order, and order-aware contexts give syntactic neighbours
 * (Ling et al. 2015). Only what tagging needs: a map from word (lowercased) to its row.
 */
import { Random } from "ragged-rnn";

export interface WordVectorOptions {
  /** Vector width (default 64). */
  dim?: number;
  /** Words seen fewer times get no vector (default 2). */
  minCount?: number;
  /** Context offsets on each side (default 2). */
  window?: number;
  /** Subspace iterations of the randomized SVD (default 3). */
  iterations?: number;
  /** Seeds the SVD's random start (default 1). */
  seed?: number;
}

export interface WordVectors {
  /** Lowercased word → row of `vectors`. */
  index: Map<string, number>;
  /** [index.size, dim], row-major, each row of unit length. */
  vectors: Float32Array;
  dim: number;
}

/** Sparse rows: row r's entries are cols/vals[start[r] .. start[r+1]). */
interface Csr {
  rows: number;
  cols: number;
  start: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/**
 * Vectors for every word seen at least `minCount` times in `sentences` (tokens, any case).
 * @example
 * const { index, vectors, dim } = wordVectors([["The", "cat", "sat"], …], { dim: 64 });
 */
export function wordVectors(sentences: readonly (readonly string[])[], options: WordVectorOptions = {}): WordVectors {
  const dim = options.dim ?? 64;
  const window = options.window ?? 2;
  const counts = new Map<string, number>();
  for (const s of sentences) {
    for (const token of s) {
      const w = token.toLowerCase();
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const index = new Map<string, number>();
  for (const [w, n] of counts) if (n >= (options.minCount ?? 2)) index.set(w, index.size);
  const V = index.size;
  if (V <= dim) throw new Error(`wordVectors: ${V} words are too few for ${dim}-wide vectors`);
  const ppmi = ppmiMatrix(cooccurrences(sentences, index, window), 2 * window);
  const vectors = truncatedSvdRows(ppmi, dim, options.iterations ?? 3, new Random(options.seed ?? 1));
  for (let r = 0; r < V; r++) {
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += vectors[r * dim + k] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < dim; k++) vectors[r * dim + k] *= scale;
  }
  return { index, vectors, dim };
}

/** n(w, c) per word w: a map from context c = offsetSlot·V + word to its count. */
function cooccurrences(sentences: readonly (readonly string[])[], index: Map<string, number>, window: number): Map<number, number>[] {
  const V = index.size;
  const rows = Array.from({ length: V }, () => new Map<number, number>());
  for (const s of sentences) {
    const ids = s.map((w) => index.get(w.toLowerCase()) ?? -1);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0) continue;
      const row = rows[ids[i]];
      for (let d = -window; d <= window; d++) {
        const j = i + d;
        if (d === 0 || j < 0 || j >= ids.length || ids[j] < 0) continue;
        const c = (d < 0 ? d + window : d + window - 1) * V + ids[j];
        row.set(c, (row.get(c) ?? 0) + 1);
      }
    }
  }
  return rows;
}

/** PPMI of the counts with context-distribution smoothing (α = 0.75), as sparse rows. */
function ppmiMatrix(rows: Map<number, number>[], slots: number): Csr {
  const V = rows.length;
  const C = slots * V;
  const rowSum = new Float64Array(V);
  const colSum = new Float64Array(C);
  let total = 0;
  rows.forEach((row, w) => {
    for (const [c, n] of row) {
      rowSum[w] += n;
      colSum[c] += n;
      total += n;
    }
  });
  let smoothTotal = 0;
  const smooth = new Float64Array(C);
  for (let c = 0; c < C; c++) smoothTotal += smooth[c] = colSum[c] ** 0.75;
  const start = new Int32Array(V + 1);
  const col: number[] = [];
  const val: number[] = [];
  rows.forEach((row, w) => {
    for (const c of [...row.keys()].sort((a, b) => a - b)) {
      const pmi = Math.log((row.get(c)! / total) / ((rowSum[w] / total) * (smooth[c] / smoothTotal)));
      if (pmi <= 0) continue;
      start[w + 1]++;
      col.push(c);
      val.push(pmi);
    }
  });
  for (let r = 0; r < V; r++) start[r + 1] += start[r];
  return { rows: V, cols: C, start, col: Int32Array.from(col), val: Float64Array.from(val) };
}

/**
 * Rows of U·Σ^½ for the top `k` singular triplets of A [m, n]: randomized subspace iteration with
 * k + 16 columns (Halko, Martinsson & Tropp 2011, alg. 4.3, re-orthonormalising the m-side basis
 * at every step), then the eigenvectors of the small B·Bᵀ, B = Qᵀ·A, by Jacobi rotations.
 */
function truncatedSvdRows(A: Csr, k: number, iterations: number, rng: Random): Float32Array {
  const m = A.rows;
  const l = Math.min(k + 16, m);
  // Q = orth(A·Ω) for a Gaussian Ω [n, l]; then Q = orth(A·Aᵀ·Q), `iterations` times
  const omega = new Float64Array(A.cols * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();
  let Q: Float64Array = orthonormalColumns(multiply(A, omega, l), m, l);
  let Z: Float64Array = new Float64Array(0);
  for (let q = 0; q <= iterations; q++) {
    Z = multiplyTransposed(A, Q, l); // Aᵀ·Q [n, l] = Bᵀ
    if (q === iterations) break;
    Q = orthonormalColumns(multiply(A, Z, l), m, l);
  }
  // B·Bᵀ = Zᵀ·Z [l, l]
  const S = new Float64Array(l * l);
  for (let r = 0; r < A.cols; r++) {
    const z = r * l;
    for (let i = 0; i < l; i++) {
      const zi = Z[z + i];
      if (zi === 0) continue;
      for (let j = i; j < l; j++) S[i * l + j] += zi * Z[z + j];
    }
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) S[i * l + j] = S[j * l + i];
  const { values, vectors } = jacobiEigen(S, l);
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => values[b] - values[a]).slice(0, k);
  // U = Q·Ũ, scaled by Σ^½ = λ^¼
  const out = new Float32Array(m * k);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < k; c++) {
      const e = order[c];
      let s = 0;
      for (let i = 0; i < l; i++) s += Q[r * l + i] * vectors[i * l + e];
      out[r * k + c] = s * Math.max(values[e], 0) ** 0.25;
    }
  }
  return out;
}

/** A·X for X [A.cols, l] → [A.rows, l]. */
function multiply(A: Csr, X: Float64Array, l: number): Float64Array {
  const Y = new Float64Array(A.rows * l);
  for (let r = 0; r < A.rows; r++) {
    for (let p = A.start[r]; p < A.start[r + 1]; p++) {
      const v = A.val[p];
      const x = A.col[p] * l;
      for (let j = 0; j < l; j++) Y[r * l + j] += v * X[x + j];
    }
  }
  return Y;
}

/** Aᵀ·X for X [A.rows, l] → [A.cols, l]. */
function multiplyTransposed(A: Csr, X: Float64Array, l: number): Float64Array {
  const Y = new Float64Array(A.cols * l);
  for (let r = 0; r < A.rows; r++) {
    for (let p = A.start[r]; p < A.start[r + 1]; p++) {
      const v = A.val[p];
      const y = A.col[p] * l;
      for (let j = 0; j < l; j++) Y[y + j] += v * X[r * l + j];
    }
  }
  return Y;
}

/**
 * The columns of Y [m, l] made orthonormal, by Cholesky QR done twice (CholeskyQR2: one pass
 * leaves an error of the order of cond(Y)²·ε, the second removes it): G = YᵀY = L·Lᵀ, Q = Y·L⁻ᵀ.
 * Reads Y by rows, as it is stored. A new array.
 */
function orthonormalColumns(Y: Float64Array, m: number, l: number): Float64Array {
  let Q = Float64Array.from(Y);
  for (let pass = 0; pass < 2; pass++) {
    const G = new Float64Array(l * l);
    for (let r = 0; r < m; r++) {
      const o = r * l;
      for (let i = 0; i < l; i++) {
        const qi = Q[o + i];
        for (let j = i; j < l; j++) G[i * l + j] += qi * Q[o + j];
      }
    }
    const L = cholesky(G, l);
    const next = new Float64Array(m * l);
    for (let r = 0; r < m; r++) {
      const o = r * l;
      // solve L·x = q_r (forward substitution): x is row r of Q·L⁻ᵀ
      for (let i = 0; i < l; i++) {
        let v = Q[o + i];
        for (let k = 0; k < i; k++) v -= L[i * l + k] * next[o + k];
        next[o + i] = v / L[i * l + i];
      }
    }
    Q = next;
  }
  return Q;
}

/** L with L·Lᵀ = G (G's upper triangle read; a tiny ridge keeps a rank-deficient G positive). */
function cholesky(G: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += G[i * n + i];
  const ridge = 1e-12 * (trace / n || 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = G[j * n + i] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) v -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(Math.max(v, ridge)) : v / L[j * n + j];
    }
  }
  return L;
}

/** Eigenvalues and eigenvectors (columns of `vectors`, [n, n]) of the symmetric S [n, n], by cyclic Jacobi rotations. */
export function jacobiEigen(S: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(S);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    if (off < 1e-22 * (1 + Math.abs(a[0]))) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}
