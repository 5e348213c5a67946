/**
 * The CTC forward–backward (alpha–beta) recursion for one sequence, in log space: the reference
 * kernel, and the spec for any faster one (Graves et al. 2006, "Connectionist Temporal
 * Classification", §4.1; the same recursion as PyTorch's `ctc_loss` CPU kernel and TensorFlow's
 * `ctc_loss_calculator`).
 *
 * logProbs: [T, K] log-probabilities of one sequence (row t at t·K), labels: [L] class ids
 * → alpha, beta: [T, S] with S = 2L + 1 (the extended label l' = blank, l₁, blank, l₂, …, blank)
 * → log p(l | x); dLogProbs: [T, K] = d(−log p)/d logProbs.
 *
 * NOTE [ CTC in log space ]
 * α_t(s) = log Σ over alignments of l'[0..s] to steps 0..t; β_t(s) = log Σ over alignments of
 * l'[s..S) to steps t..T−1, both *including* the emission at t, so the occupancy of state s at
 * step t is γ_t(s) = exp(α_t(s) + β_t(s) − logProbs[t, l'_s] − log p). A state may be entered from
 * itself, from s−1, and from s−2 when l'_s is a label different from l'_{s−2} (a blank must
 * separate repeats: "AA" needs T ≥ 3). Unreachable states hold −Infinity; `logAddExp` keeps
 * −∞ + −∞ at −∞ instead of NaN. An impossible labelling (L + repeats > T) gives log p = −Infinity;
 * the caller decides what loss that is (NOTE [ impossible alignments ] in ctc_loss.ts).
 */

/** log(eᵃ + eᵇ) without overflow; −Infinity when both are −Infinity. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** The class at extended-label position s: blank at even s, labels[(s − 1) / 2] at odd s. */
function extended(labels: ArrayLike<number>, blank: number, s: number): number {
  return s % 2 === 0 ? blank : labels[(s - 1) >> 1];
}

/** Whether state s may be entered from s − 2 (a label that differs from the label before it). */
function canSkip(labels: ArrayLike<number>, s: number): boolean {
  return s % 2 === 1 && s >= 3 && labels[(s - 1) >> 1] !== labels[(s - 3) >> 1];
}

/**
 * Forward recursion. Fills `alpha` ([T, S]) and returns log p(l | x) = logAddExp(α_{T−1}(S−1),
 * α_{T−1}(S−2)); −Infinity when no alignment exists. T = 0 gives 0 for an empty labelling (the empty
 * alignment) and −Infinity otherwise.
 * @param alpha - out: [T, S], S = 2·labels.length + 1.
 * @param logProbs - [T, K] log-probabilities.
 */
export function ctcForward(alpha: Float64Array, logProbs: Float64Array, T: number, K: number, labels: ArrayLike<number>, blank: number): number {
  const L = labels.length;
  const S = 2 * L + 1;
  if (T === 0) return L === 0 ? 0 : -Infinity;
  alpha.fill(-Infinity, 0, T * S);
  alpha[0] = logProbs[blank];
  if (L > 0) alpha[1] = logProbs[labels[0]];
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * S;
    const row = t * S;
    const lp = t * K;
    for (let s = 0; s < S; s++) {
      let a = alpha[prev + s];
      if (s >= 1) a = logAddExp(a, alpha[prev + s - 1]);
      if (canSkip(labels, s)) a = logAddExp(a, alpha[prev + s - 2]);
      alpha[row + s] = a === -Infinity ? -Infinity : a + logProbs[lp + extended(labels, blank, s)];
    }
  }
  const last = (T - 1) * S;
  return L === 0 ? alpha[last] : logAddExp(alpha[last + S - 1], alpha[last + S - 2]);
}

/**
 * Backward recursion, the mirror of `ctcForward`: fills `beta` ([T, S]).
 * @param beta - out: [T, S].
 * @param logProbs - [T, K] log-probabilities.
 */
export function ctcBackward(beta: Float64Array, logProbs: Float64Array, T: number, K: number, labels: ArrayLike<number>, blank: number): void {
  const L = labels.length;
  const S = 2 * L + 1;
  if (T === 0) return;
  beta.fill(-Infinity, 0, T * S);
  const last = (T - 1) * S;
  const lpLast = (T - 1) * K;
  beta[last + S - 1] = logProbs[lpLast + blank];
  if (L > 0) beta[last + S - 2] = logProbs[lpLast + labels[L - 1]];
  for (let t = T - 2; t >= 0; t--) {
    const next = (t + 1) * S;
    const row = t * S;
    const lp = t * K;
    for (let s = 0; s < S; s++) {
      let b = beta[next + s];
      if (s + 1 < S) b = logAddExp(b, beta[next + s + 1]);
      if (s + 2 < S && canSkip(labels, s + 2)) b = logAddExp(b, beta[next + s + 2]);
      beta[row + s] = b === -Infinity ? -Infinity : b + logProbs[lp + extended(labels, blank, s)];
    }
  }
}

/**
 * Gradient of the negative log-likelihood with respect to the log-probabilities:
 * dLogProbs[t, k] = −Σ_{s: l'_s = k} γ_t(s) (NOTE [ CTC in log space ]); zero where no state
 * emits k. Requires a finite `logLikelihood` (the caller zeroes the gradient of an impossible one).
 * @param dLogProbs - out: [T, K].
 * @param alpha - [T, S] from `ctcForward`.
 * @param beta - [T, S] from `ctcBackward`.
 * @param logProbs - [T, K].
 * @param logLikelihood - log p(l | x) from `ctcForward`.
 */
export function ctcGradLogProbs(
  dLogProbs: Float64Array,
  alpha: Float64Array,
  beta: Float64Array,
  logProbs: Float64Array,
  T: number,
  K: number,
  labels: ArrayLike<number>,
  blank: number,
  logLikelihood: number,
): void {
  const S = 2 * labels.length + 1;
  dLogProbs.fill(0, 0, T * K);
  for (let t = 0; t < T; t++) {
    const row = t * S;
    const lp = t * K;
    for (let s = 0; s < S; s++) {
      const ab = alpha[row + s] + beta[row + s];
      if (ab === -Infinity) continue;
      const k = extended(labels, blank, s);
      dLogProbs[lp + k] -= Math.exp(ab - logProbs[lp + k] - logLikelihood);
    }
  }
}

/** Number of steps a labelling needs at least: its length plus one blank between each repeated pair. */
export function ctcMinimumSteps(labels: ArrayLike<number>): number {
  let repeats = 0;
  for (let i = 1; i < labels.length; i++) if (labels[i] === labels[i - 1]) repeats++;
  return labels.length + repeats;
}
