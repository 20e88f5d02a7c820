"""Mutation test: do the tests catch a wrong formula?

Each mutant is one small deliberate bug — a sign, a factor, a swapped argument, a
loosened tolerance, a standard error off by √n — applied to a copy of the package in
a temporary directory; the tests that cover that formula are run against the copy
(``pytest -x``, excluding slow tests, and tests against the optional peer libraries,
so that the score is the same with or without scikit-learn and autograd installed),
and the mutant is *killed* if they fail. The
score is killed / total. A surviving mutant is either a hole in the tests (add one)
or equivalent to the original (it changes no result); ``EQUIVALENT`` lists the ones
argued to be equivalent, with the argument, and the script prints them apart.

Usage (from the repository root):
    python benchmarks/mutation.py [--only SUBSTRING | --prefix PREFIX] [--jobs 1]
(``--prefix "E: "`` selects one audit's block; ``--only "E: "`` would also select "SE: ".)
The worktree itself is never modified.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COPIED = ("vi_ref", "tests", "derivations", "setup.cfg", "README.md", "docs", "examples")
BASE_TESTS = ("tests/test_extremes.py", "tests/test_standard_errors.py")


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to the repository root
    old: str  # exact text, occurring once
    new: str
    description: str
    tests: tuple = ()  # test files besides BASE_TESTS


D, K, N, V, L, E, M, G, LI, LE, EV, GC = (
    "vi_ref/distributions.py", "vi_ref/kl.py", "vi_ref/numerics.py", "vi_ref/validation.py", "vi_ref/likelihoods.py",
    "vi_ref/elbo.py", "vi_ref/models/gaussian_mixture.py", "vi_ref/models/gamma_poisson.py", "vi_ref/learning.py",
    "vi_ref/models/linear_gaussian.py", "vi_ref/models/evidence.py", "vi_ref/gradcheck.py",
)
T_D, T_K, T_N, T_V = "tests/test_distributions.py", "tests/test_kl.py", "tests/test_numerics.py", "tests/test_validation.py"
T_E, T_M, T_L, T_LI = "tests/test_elbo.py", "tests/test_models.py", "tests/test_likelihoods.py", "tests/test_learning.py"
T_F, T_P, T_G = "tests/test_fuzz.py", "tests/test_validation_policy.py", "tests/test_gradcheck.py"
ES, EG, VI, FL, CU, CB, EM = (
    "vi_ref/estimators/generic.py", "vi_ref/estimators/elbo_gradients.py", "vi_ref/vi.py", "vi_ref/flows.py",
    "vi_ref/cavi/unit_variance_mixture.py", "vi_ref/cavi/bayesian_mixture.py", "vi_ref/em_steps.py",
)
T_ES, T_VI, T_FL, T_CA, T_EM, T_R = (
    "tests/test_estimators.py", "tests/test_vi.py", "tests/test_flows.py", "tests/test_cavi.py", "tests/test_em.py",
    "tests/test_registry.py",
)
R, RA, RF = "vi_ref/registry/__init__.py", "vi_ref/registry/autodiff_rules.py", "vi_ref/registry/flows.py"
RD, RK, RM, RL = (
    "vi_ref/registry/distributions.py", "vi_ref/registry/kl.py", "vi_ref/registry/models.py",
    "vi_ref/registry/likelihoods.py",
)
TE, T_T = "vi_ref/testing.py", "tests/test_testing.py"
REF, REFC = "vi_ref/reference.py", "vi_ref/reference_cases.py"
T_RF = ("tests/test_reference.py", "tests/test_crosscheck_files.py", "tests/test_testing.py")
Q_RULES, Q_TA, Q_TN, Q_TM = (
    "vi_ref/autodiff/rules.py", "tests/test_autodiff.py", "tests/test_autodiff_numpy.py", "tests/test_autodiff_memory.py",
)
E_EM, E_T_GMM, E_T_LJ = "vi_ref/em.py", "tests/test_models_gaussian_mixture.py", "tests/test_models_log_joint.py"
G_GRAPH, G_FUNCS = "vi_ref/autodiff/graph.py", "vi_ref/autodiff/functions.py"

T2_LVM, T2_LB, T2_DF, T2_ELBO, T2_EM, T2_MCG = (
    "vi_ref/tour/latent_variable_models.py", "vi_ref/tour/lower_bounds.py", "vi_ref/tour/divergences_and_families.py",
    "vi_ref/tour/evidence_lower_bound.py", "vi_ref/tour/expectation_maximization.py", "vi_ref/tour/monte_carlo_gradients.py",
)
T2_OPT, T2_SVI, T2_3M, T2_CAVI, T2_Q3, T2_GE = (
    "vi_ref/tour/optimizing_the_elbo.py", "vi_ref/tour/stochastic_vi.py", "vi_ref/tour/three_methods.py",
    "vi_ref/tour/coordinate_ascent.py", "vi_ref/tour/questions_vi3.py", "vi_ref/tour/gradient_engine.py",
)
T2_TOUR, T2_ROWS = "tests/test_tour.py", "tests/test_tour_rows.py"
L_CHECKS = "vi_ref/models/_checks.py"
R_T_REF = ("tests/test_reference.py",)
R_T_FILES = ("tests/test_crosscheck_files.py",)
R_T_TESTING = ("tests/test_testing.py",)
R_T_CLI = ("tests/test_cli.py",)
R_T_FIG = ("tests/test_figures.py",)

MUTANTS = [
    # ----- KL divergences
    Mutant(K, "return 0.5 * ad.square(u) + log1pmx(u, log_ratio(scale_q, scale_p))",
           "return 1.0 * ad.square(u) + log1pmx(u, log_ratio(scale_q, scale_p))", "Normal KL: ½u² → u²", (T_K,)),
    Mutant(K, "_scale_divergence(scale_q, scale_p) + 0.5 * ad.square(scaled_difference(loc_q, loc_p, scale_p))",
           "_scale_divergence(scale_q, scale_p) + 0.25 * ad.square(scaled_difference(loc_q, loc_p, scale_p))",
           "Normal KL: ½δ² → ¼δ²", (T_K,)),
    Mutant(K, '"scale": np.broadcast_to(relative * (1 / scale_p + 1 / scale_q), shape)',
           '"scale": np.broadcast_to(relative * (1 / scale_p - 1 / scale_q), shape)', "Normal KL ∂/∂σq: sign", (T_K,)),
    Mutant(K, '"loc": np.broadcast_to(-shift / scale_p, shape)', '"loc": np.broadcast_to(shift / scale_p, shape)',
           "Normal KL ∂/∂μp: sign", (T_K,)),
    Mutant(K, "ad.square(whitened_scale * np.tril(np.ones((size, size)), k=-1))",
           "ad.square(whitened_scale * np.tril(np.ones((size, size)), k=0))", "MVN KL: diagonal counted twice", (T_K,)),
    Mutant(K, '"loc": -shift_back,', '"loc": shift_back,', "MVN KL ∂/∂μq: sign", (T_K,)),
    Mutant(K, "+ alpha_q * log1pmx(u, log_rho) + (alpha_q - alpha_p) * log_rho",
           "+ alpha_p * log1pmx(u, log_rho) + (alpha_q - alpha_p) * log_rho", "Gamma KL: αq → αp in the rate term",
           (T_K,)),
    Mutant(K, "- (shape_p - 1) * (ad.digamma(alpha_q) - ad.log(beta_q))",
           "- (shape_p + 1) * (ad.digamma(alpha_q) - ad.log(beta_q))", "Gamma KL cross-entropy: αp − 1 → αp + 1",
           (T_K,)),
    Mutant(K, "(alpha_q - alpha_p) * scipy.special.polygamma(1, alpha_q)",
           "(alpha_q - alpha_p) * scipy.special.polygamma(1, alpha_p)", "Gamma KL ∂/∂αq: ψ′(αq) → ψ′(αp)", (T_K,)),
    Mutant(K, "q * difference + p - q", "q * difference + p + q", "Categorical KL far terms: − q → + q", (T_K,)),
    Mutant(K, 'grads_p = {"logits": p - q}', 'grads_p = {"logits": q - p}', "Categorical KL ∂/∂logits_p: sign", (T_K,)),
    Mutant(K, "standard_error_of_mean(finite_ratio)", "standard_error_of_mean(finite_ratio) * np.sqrt(n)",
           "kl_monte_carlo SE: missing 1/√n", (T_K,)),
    Mutant(K, "standard_error_of_mean(finite_ratio)", "standard_error_of_mean(finite_ratio) / np.sqrt(n)",
           "kl_monte_carlo SE: 1/n instead of 1/√n", (T_K,)),
    Mutant(K, "return log1pmx((rate_p - rate_q) / rate_q, log_ratio(rate_p, rate_q))",
           "return log1pmx((rate_q - rate_p) / rate_p, log_ratio(rate_q, rate_p))", "Exponential KL: q and p swapped",
           (T_K,)),
    Mutant(K, "    if q.support.integer != p.support.integer:", "    if False:",
           "kl_monte_carlo: discrete-vs-continuous check removed", (T_K, T_P)),
    # ----- distributions
    Mutant(D, "- ad.log(scale) - 0.5 * LOG_2PI", "- ad.log(scale) - LOG_2PI", "Normal log-density: ½ log 2π → log 2π",
           (T_D,)),
    Mutant(D, "return 0.5 * (1.0 + LOG_2PI) + ad.log(scale)", "return 0.5 * LOG_2PI + ad.log(scale)",
           "Normal entropy: the ½ of ½ log 2πe lost", (T_D,)),
    Mutant(D, '"scale": (u**2 - 1) / self.scale}, inside)', '"scale": (u**2 + 1) / self.scale}, inside)',
           "Normal and LogNormal score ∂/∂σ: u² − 1 → u² + 1", (T_D,)),
    Mutant(D, "- 0.5 * LOG_2PI - _stirling_remainder(alpha)\n", "- 0.5 * LOG_2PI + _stirling_remainder(alpha)\n",
           "Gamma log-density (α ≥ 10): sign of Stirling's remainder", (T_D,)),
    Mutant(D, "0.5 * (LOG_2PI + ad.log(alpha)) + 0.5 - 0.5 / alpha", "0.5 * (LOG_2PI + ad.log(alpha)) + 0.5 + 0.5 / alpha",
           "Gamma entropy (α ≥ 10): −1/(2α) → +1/(2α)", (T_D,)),
    Mutant(D, "log_r + 0.5 / large - _stirling_remainder_derivative(large)",
           "log_r - 0.5 / large - _stirling_remainder_derivative(large)", "Gamma score ∂/∂α (α ≥ 10): sign of 1/(2α)",
           (T_D,)),
    Mutant(D, "direct = 1 + (1 - alpha) * scipy.special.polygamma", "direct = (1 - alpha) * scipy.special.polygamma",
           "Gamma entropy ∂/∂α (α < 10): the 1 lost", (T_D,)),
    Mutant(D, 'return self._score({"rate": 1 / self.rate - x}, inside)',
           'return self._score({"rate": 1 / self.rate + x}, inside)', "Exponential score: sign of x", (T_D,)),
    Mutant(D, "return loc + normal_entropy(scale)", "return normal_entropy(scale)", "LogNormal entropy: μ lost", (T_D,)),
    Mutant(D, "return self._broadcast_batch(np.exp(self.loc + self.scale**2 / 2))",
           "return self._broadcast_batch(np.exp(self.loc + self.scale**2))", "LogNormal mean: σ²/2 → σ²", (T_D,)),
    Mutant(D, 'return self._summed_over_batch({"probs": -(self._logits + entropy)})',
           'return self._summed_over_batch({"probs": -(self._logits - entropy)})', "Categorical entropy ∂/∂probs: sign of H",
           (T_D,)),
    Mutant(D, "cumulative = np.cumsum(self._probs, axis=-1)[..., :-1]", "cumulative = np.cumsum(self._probs, axis=-1)[..., 1:]",
           "Categorical sampling: cumulative probabilities shifted", (T_D, T_P)),
    Mutant(D, "- _log_diagonal_sum(scale_tril) - 0.5 * size * LOG_2PI", "- _log_diagonal_sum(scale_tril) - size * LOG_2PI",
           "MVN log-density: (D/2) log 2π → D log 2π", (T_D,)),
    Mutant(D, "outer = np.tril(cotangent[..., :, None] * eps[..., None, :])",
           "outer = np.tril(eps[..., :, None] * cotangent[..., None, :])", "MVN transform VJP: outer product transposed",
           (T_D,)),
    Mutant(D, "series = _polynomial([1 / (2 * k + 1) for k in range(1, 19)], ad.square(t))",
           "series = _polynomial([1 / (2 * k + 1) for k in range(1, 6)], ad.square(t))",
           "log1pmx: series truncated at 5 terms", (T_D,)),
    Mutant(D, "u = difference / (a + j)\n", "u = difference / (a + j + 1)\n", "lnΓ Bregman: recurrence shifted by one",
           (T_K,)),
    Mutant(D, "_BERNOULLI = (1 / 6, -1 / 30, 1 / 42,", "_BERNOULLI = (1 / 6, -1 / 20, 1 / 42,",
           "Stirling series: B₄ = −1/30 → −1/20", (T_D, T_K)),
    Mutant(V, "    if not isinstance(value, (bool, np.bool_)):\n        raise TypeError(f\"{name} must be True or False",
           "    if False:\n        raise TypeError(f\"{name} must be True or False", "check_flag accepts anything",
           (T_V, T_P)),
    # ----- validation and numerics
    Mutant(V, "def check_probability_vector(probs, name, *, axis=-1, rtol=1e-10):",
           "def check_probability_vector(probs, name, *, axis=-1, rtol=1e-3):", "probability tolerance 1e-10 → 1e-3",
           (T_V, T_P, T_D)),
    Mutant(V, "    bad = ~(array > 0)\n", "    bad = ~(array >= 0)\n", "check_positive accepts 0", (T_V, T_D, T_F)),
    Mutant(V, '    if array.dtype.kind not in "iuf":', '    if array.dtype.kind not in "biuf":',
           "booleans accepted as numbers", (T_V, T_P, T_F)),
    Mutant(V, "    if count * per_unit > MAX_ELEMENTS:", "    if False:", "no memory bound on counts", (T_V, T_P, T_F)),
    Mutant(N, "np.log1p(np.sum(terms, axis=axis, keepdims=True) + (count - 1.0)) + shift",
           "np.log1p(np.sum(terms, axis=axis, keepdims=True) + count) + shift", "logsumexp: ties counted once more",
           (T_N,)),
    Mutant(N, "    out += np.maximum(x, 0.0)\n", "    out += np.minimum(x, 0.0)\n", "softplus: max → min", (T_N,)),
    Mutant(N, "return 2.0 * np.sum(np.log(np.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)",
           "return np.sum(np.log(np.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)", "log det from Cholesky: factor 2 lost",
           (T_N, T_M)),
    Mutant(N, "        row[..., i] += 1.0\n", "        row[..., i] += 2.0\n", "lower_triangular_inverse: 2 I", (T_N,)),
    Mutant(N, "np.all(statistic * np.sqrt(count - 1) >= 2 * tiny)", "np.all(statistic * np.sqrt(count - 1) >= 0 * tiny)",
           "standard_error_of_mean: the shortcut skips the underflow check whatever the SE", (T_N,)),
    Mutant(N, "return _substitution(np.swapaxes(factor, -1, -2), rhs, lower=not lower)",
           "return _substitution(np.swapaxes(factor, -1, -2), rhs, lower=lower)",
           "batched solve_triangular (substitution): transposed factor solved in the wrong direction", (T_N,)),
    Mutant(N, "        spread / np.sqrt(count), values, axis,", "        spread / count, values, axis,",
           "standard_error_of_mean: 1/n instead of 1/√n", (T_N,)),
    Mutant(N, "rescaled = np.ldexp(rescaled, np.squeeze(exponent, axis=axis))",
           "rescaled = np.ldexp(rescaled, np.squeeze(exponent, axis=axis) // 2)",
           "standard_error_of_mean where the squares overflow: scaled back by √2ᵉ", (T_N,)),
    # ----- ELBO, evidence, likelihoods, learning, gradcheck
    Mutant(E, "standard_error_of_mean(log_ratio)", "standard_error_of_mean(log_ratio) / np.sqrt(n)",
           "elbo_monte_carlo SE: 1/n instead of 1/√n", (T_E,)),
    Mutant(E, "{name: value / count for name, value in grads_phi.items()}", "{name: value for name, value in grads_phi.items()}",
           "dataset_elbo_grad: φ gradient not divided by N", (T_E, T_LI)),
    Mutant(EV, "+ np.where(finite, peak, 0.0) - np.log(n)", "+ np.where(finite, peak, 0.0) - np.log(n - 1)",
           "log_marginal_monte_carlo: log S → log(S − 1)", (T_M,)),
    Mutant(EV, "np.std(weights, axis=0, ddof=1) / (np.sqrt(n) * np.mean(weights, axis=0))",
           "np.std(weights, axis=0, ddof=1) / (n * np.mean(weights, axis=0))", "log_marginal_monte_carlo SE: 1/n", (T_M,)),
    Mutant(L, 'return {"weights": X.T @ (signs * numerics.sigmoid(-signs * _logits(X, weights)))}',
           'return {"weights": X.T @ (-signs * numerics.sigmoid(-signs * _logits(X, weights)))}',
           "logistic gradient: sign", (T_L,)),
    Mutant(L, 'return {"weights": X.T @ (signs * numerics.sigmoid(-signs * _logits(X, weights)))}',
           'return {"weights": X.T @ (y - numerics.sigmoid(_logits(X, weights)))}',
           "P: logistic gradient as y − σ(z): 0 for a saturated, correctly classified point", (T_L,)),
    Mutant(L, "- X.shape[1] * counts,", "- counts,", "isotropic GMM ∂/∂log σ: D Nₖ → Nₖ", (T_L,)),
    Mutant(L, "return ad.sum(ad.square(X[:, None, :] - means[None, :, :]), axis=2)",
           "return np.sum(X**2, axis=1)[:, None] - 2 * (X @ means.T) + ad.sum(ad.square(means), axis=1)",
           "isotropic GMM: squared distances by the cancelling expansion again", (T_L,)),
    Mutant(LI, "model.noise_var * grads_theta[\"noise_var\"],", "grads_theta[\"noise_var\"],",
           "learning: chain rule through log ψ lost", (T_LI,)),
    Mutant(LE, "            quadratic = scale[..., 0] ** 2 * (", "            quadratic = scale[..., 0] * (",
           "LinearGaussian evidence: scale² → scale", (T_M, T_E)),
    Mutant(G, "total = total + np.where(small, (m + 0.5) * log_ratio - 1, 0.0)",
           "total = total + np.where(small, (m + 0.25) * log_ratio - 1, 0.0)",
           "GammaPoisson evidence (Stirling's error below 10): (m + ½) → (m + ¼)", (T_M,)),
    Mutant(G, "share, other = 1 / (count - k), (count - k - 1) / (count - k)",
           "share, other = 1 / (count - k + 1), (count - k) / (count - k + 1)",
           "GammaPoisson evidence (counts given the total): cell probability 1/(n − k) → 1/(n − k + 1)", (T_M,)),
    Mutant(G, "0.5 / np.where(small, 1.0, a) - _stirling_remainder_derivative",
           "0.5 / np.where(small, 1.0, a) + _stirling_remainder_derivative",
           "GammaPoisson ELBO (log a − ψ(a) for a ≥ 10): sign of S′(a)", (T_M,)),
    Mutant(GC, "factor = 4.0**level", "factor = 2.0**level", "Richardson extrapolation: wrong factor", (T_G,)),
    # ----- the modules added since: IWAE, estimators, SVI, flows, CAVI, EM, log_joint_grad
    Mutant(E, "values = logsumexp(groups, axis=1) - np.log(k)", "values = logsumexp(groups, axis=1) - np.log(k + 1)",
           "iwae_bound: log-mean-exp over k + 1", (T_ES,)),
    Mutant(E, "standard_error_of_mean(values))", "standard_error_of_mean(values) / np.sqrt(n))",
           "iwae_bound SE: 1/n instead of 1/√n", (T_ES,)),
    Mutant(ES, "standard_error_of_mean(terms, axis)", "standard_error_of_mean(terms, axis) * np.sqrt((count - 1) / count)",
           "mean_and_standard_error: ddof 1 → 0", (T_ES,)),
    Mutant(ES, "others = (np.sum(values) - values) / (values.shape[0] - 1)",
           "others = (np.sum(values) - values) / values.shape[0]", "leave-one-out baseline: divided by n", (T_ES,)),
    Mutant(ES, "centred = _broadcast_over(values, score) - baseline", "centred = _broadcast_over(values, score) + baseline",
           "score function: baseline added", (T_ES,)),
    Mutant(EG, "normalised = np.exp(groups - logsumexp(groups, axis=1, keepdims=True))",
           "normalised = np.exp(groups - logsumexp(groups, axis=0, keepdims=True))",
           "iwae_gradient: weights normalised over the wrong axis", (T_ES,)),
    Mutant(FL, "    low, high = np.where(confirmed, near_low, low), np.where(confirmed, near_high, high)",
           "    low, high = near_low, near_high",
           "flow inverse: Newton's bracket trusted where the sign of f does not confirm it", (T_FL,)),
    Mutant(FL, "np.abs(high) >= 1.0), 0.5 * low + 0.5 * high,", "np.abs(high) >= 1.0), 0.5 * (low + high),",
           "flow inverse: midpoints of brackets near the largest float overflow", (T_FL,)),
    Mutant(FL, "_BISECTION_STEPS = 2200", "_BISECTION_STEPS = 1100",
           "flow inverse: too few halvings to close a bracket of width 2e180 on a tiny root", (T_FL,)),
    Mutant(FL, "shift = (ad.softplus(-inner) - 1.0) / ad.sum(ad.square(w), axis=-1)",
           "shift = (ad.softplus(inner) - 1.0) / ad.sum(ad.square(w), axis=-1)", "planar û: softplus(−s) → softplus(s)",
           (T_FL,)),
    Mutant(FL, "log_det = ad.where(saturated, near_one, ad.log(squared + slope * pushed))",
           "log_det = ad.where(saturated, near_one, ad.log(squared + (1.0 + squared) * pushed))",
           "planar log-det: h′ = 1 + tanh²", (T_FL,)),
    Mutant(FL, "log_det = ad.sum(ad.log(scale)) + np.zeros(np.shape(eps)[0])", "log_det = np.zeros(np.shape(eps)[0])",
           "planar flow: base layer's log σ lost", (T_FL,)),
    Mutant(CU, "variance = 1.0 / (1.0 / prior_variance + weights.sum())",
           "variance = 1.0 / (prior_variance + weights.sum())", "CAVI q(μₖ): 1/σ² → σ²", (T_CA,)),
    Mutant(CU, "logits = X @ means.T - 0.5 * (np.sum(means**2, axis=1) + dimension * mean_variances)",
           "logits = X @ means.T - 0.5 * np.sum(means**2, axis=1)", "CAVI q(cᵢ): D sₖ² lost", (T_CA,)),
    Mutant(CU, "+ 0.5 * dimension * (LOG_2PI + 1 + ad.log(mean_variances))",
           "+ 0.5 * dimension * (LOG_2PI + ad.log(mean_variances))", "CAVI ELBO: entropy's +1 lost", (T_CA,)),
    Mutant(CB, "return np.stack([1.0 + counts, prior.weight_concentration + later])",
           "return np.stack([counts, prior.weight_concentration + later])", "Bayesian CAVI stick-breaking γ₁: 1 lost",
           (T_CA,)),
    Mutant(EM, "covariances[live] = scatter[live] / counts[live, None] + reg_covar",
           "covariances[live] = scatter[live] / counts[live, None]", "EM M-step: reg_covar lost (diag/spherical)",
           (T_EM,)),
    Mutant(VI, "return np.exp(v) * grad_phi", "return grad_phi", "SVI: chain rule through φ = exp(v) lost", (T_VI,)),
    Mutant(VI, "{name: np.mean(g, axis=0) / rows.size for name, g in grads_theta.items()}",
           "{name: np.mean(g, axis=0) for name, g in grads_theta.items()}", "minibatch θ gradient: not divided by |B|",
           (T_VI,)),
    Mutant(VI, "float(np.sqrt(np.sum(np.square(errors))) / count)", "float(np.sum(errors) / count)",
           "fit_dataset ELBO SE: errors added, not in quadrature", (T_VI,)),
    Mutant(VI, "            first *= np.ldexp(1.0, exponent - new_exponent)  # powers of 2: exact\n", "",
           "Adam: the first moment not rescaled with the second", (T_VI,)),
    Mutant(VI, "second *= np.ldexp(1.0, 2 * (exponent - new_exponent))", "second *= np.ldexp(1.0, exponent - new_exponent)",
           "Adam: the second moment rescaled by 2ᵉ, not 2²ᵉ", (T_VI,)),
    Mutant(VI, "float(standard_error_of_mean(ratios))", "float(standard_error_of_mean(ratios) / np.sqrt(n))",
           "vi.fit ELBO SE: 1/n instead of 1/√n", (T_VI,)),
    Mutant(VI, "corrected_first = first[index] / (1 - self.beta1**t)", "corrected_first = first[index]",
           "Adam: first-moment bias correction lost", (T_VI,)),
    Mutant(G, '"rate": np.broadcast_to(alpha / beta - z, batch)[()]', '"rate": np.broadcast_to(alpha / beta + z, batch)[()]',
           "GammaPoisson log_joint_grad ∂/∂β: sign of λ", (T_R, T_ES)),
    Mutant(LE, "residual_term = 0.5 * (weighted_residual**2 - 1 / self._noise)",
           "residual_term = 0.5 * (weighted_residual**2 + 1 / self._noise)", "LinearGaussian log_joint_grad ∂/∂ψ: sign",
           (T_R, T_ES)),
    # ----- the blocked and grouped forms
    Mutant(D, "stirling = log_ratio(alpha, rate) - 0.5 / alpha + _stirling_remainder_derivative(alpha)",
           "stirling = log_ratio(alpha, rate) + 0.5 / alpha + _stirling_remainder_derivative(alpha)",
           "E[log z] of a Gamma: −1/(2α) → +1/(2α)", (T_D,)),
    Mutant(K, "return ad.where(finite, a * (b / c), ad.where(finite, 1.0, a / c) * b)",
           "return ad.where(finite, a * (c / b), ad.where(finite, 1.0, a / c) * b)", "Gamma KL: a·βp/βq → a·βq/βp",
           (T_K,)),
    Mutant("vi_ref/models/gamma_poisson.py", "- (self.concentration - 1) * q.scale**2 / 2)",
           "- self.concentration * q.scale**2 / 2)", "GammaPoisson ELBO, LogNormal q: (α − 1)σ²/2 → ασ²/2",
           ("tests/test_extremes.py", "tests/test_models.py")),
    Mutant(G, '"rate": (rate_weight * expected_rate - (shape_weight + 1)) / b,',
           '"rate": (rate_weight * expected_rate - shape_weight) / b,', "GammaPoisson elbo_grad ∂/∂b: the −1/b lost",
           (T_M, T_R)),
    Mutant("vi_ref/autodiff/rules.py", "out[tails] = out[tails] * _tanh_derivative_in_tail(x_flat, out, tails)",
           "out[tails] = _tanh_derivative_in_tail(x_flat, out, tails)", "tanh' tails fixed after the loop: ḡ lost",
           ("tests/test_autodiff_numpy.py",)),
    Mutant("vi_ref/autodiff/rules.py", "np.copyto(contribution, 1.0 / np.maximum(count, 1), where=tied)",
           "np.copyto(contribution, 1.0, where=tied)", "logsumexp' at infinite ties: not shared",
           ("tests/test_autodiff_numpy.py",)),
    Mutant("vi_ref/autodiff/rules.py", "weight[infinite] = np.where(x[infinite] == y[infinite], 0.5, 1.0)",
           "weight[infinite] = 1.0", "logaddexp' at a tie of infinities: not shared", ("tests/test_autodiff_numpy.py",)),
    Mutant("vi_ref/autodiff/functions.py", "nonzero = value_of(variance) != 0", "nonzero = value_of(variance) > 0",
           "std of a NaN: the NaN dropped for 0", ("tests/test_autodiff_numpy.py",)),
    # ----- the backward pass's reuse of owned cotangents
    Mutant("vi_ref/autodiff/graph.py", "in_place is not None and len(parents) == 1 and _has_c_strides(g)",
           "in_place is not None and _has_c_strides(g)",
           "ḡ overwritten while another argument's rule still needs it", ("tests/test_autodiff_memory.py",)),
    Mutant("vi_ref/autodiff/graph.py", "holder = key if holder is None else False", "holder = key",
           "ḡ owned although two arguments hold it", ("tests/test_autodiff_memory.py",)),
    Mutant("vi_ref/autodiff/graph.py", "if holder and was_owned and fresh_results and not viewed",
           "if holder and fresh_results and not viewed", "ḡ passed on becomes owned although it was not",
           ("tests/test_autodiff_memory.py",)),
    Mutant("vi_ref/autodiff/graph.py", "if holder and was_owned and fresh_results and not viewed",
           "if holder and was_owned and fresh_results", "ḡ owned while another argument holds a view of it",
           ("tests/test_autodiff_memory.py",)),
    Mutant("vi_ref/autodiff/graph.py", "if id(previous) in owned and _has_c_strides(previous) and (",
           "if id(previous) in owned and previous.flags.c_contiguous and (",
           "sum in place keeps a length-one axis's odd stride", ("tests/test_autodiff_memory.py",)),
    Mutant("vi_ref/autodiff/graph.py", "len(parents) == 1 and _has_c_strides(g)",
           "len(parents) == 1 and g.flags.c_contiguous",
           "in-place negation keeps a length-one axis's odd stride", ("tests/test_autodiff_memory.py",)),
    Mutant(N, "if array.flags.c_contiguous and 2 <= kept", "if array.flags.c_contiguous and 1 <= kept",
           "leading-axis sum: einsum also for one kept entry (not NumPy's pairwise order)", (T_N,)),
    # ----- audit E: holes found by new mutants, each closed by a test
    Mutant(M, "far = np.all(log_joint == -np.inf, axis=axis)", "far = np.any(log_joint == -np.inf, axis=axis)",
           "most_responsible: refuses a point with any −∞ component (a zero weight)", ("tests/test_models_gaussian_mixture.py",)),
    Mutant(CB, "constant = dimension * (dimension - 1) / 4 * np.log(np.pi)",
           "constant = dimension * (dimension - 1) / 2 * np.log(np.pi)",
           "multivariate log Γ_D: D(D − 1)/4 log π → /2 (cancels in the Wishart KL)", (T_CA,)),
    Mutant(CB, "        if nu0 <= dimension - 1:", "        if nu0 < dimension - 1:",
           "Bayesian CAVI: degrees_of_freedom_prior = D − 1 accepted", (T_CA,)),
    Mutant(VI, "standard_error[name] = blocks.std(axis=0, ddof=1) / np.sqrt(n_batches)",
           "standard_error[name] = blocks.std(axis=0, ddof=0) / np.sqrt(n_batches)",
           "iterate_average batch-means SE: ddof 1 → 0", (T_VI,)),
    Mutant(VI, "np.sum(np.var(t, axis=0, ddof=1)) for t in terms.values()", "np.sum(np.var(t, axis=0, ddof=0)) for t in terms.values()",
           "fit's tracked gradient variance: ddof 1 → 0", (T_VI,)),
    Mutant(VI, "return abs(recent - previous) <= tol * max(1.0, abs(recent))",
           "return abs(recent - previous) < tol * max(1.0, abs(recent))", "window_converged: the boundary ≤ → <", (T_VI,)),
    Mutant("vi_ref/tour/policy.py", "values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])", "values.std(axis=0, ddof=1)",
           "tour sample_mean_and_error: SE missing 1/√S (every Monte Carlo row passes)", ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/policy.py", "    limit = z_limit(count)\n", "    limit = 10 * z_limit(count)\n",
           "tour monte_carlo_row: limit loosened ×10", ("tests/test_tour.py",)),
    Mutant(EM, "live = counts >= EMPTY_COMPONENT_COUNT", "live = counts > EMPTY_COMPONENT_COUNT",
           "M-step: a component of exactly EMPTY_COMPONENT_COUNT counted empty", (T_EM,)),
    Mutant("vi_ref/em.py", "            if abs(change) < settings.tol:", "            if abs(change) <= settings.tol:",
           "EM convergence: |change| < tol → ≤ tol (tol = 0 converged)", (T_EM,)),
    # ----- audit M2: the rule table, the exact suite, the ELBO gradients, linear-Gaussian, learning, ELBO
    Mutant("vi_ref/autodiff/rules.py", "count = count + (extremum == initial)", "count = count",
           "max/min VJP: an initial value tied with the extremum not counted", (T_R, "tests/test_autodiff_numpy.py")),
    Mutant("vi_ref/autodiff/rules.py", "rows = np.arange(count) + builtins.max(-offset, 0)",
           "rows = np.arange(count) + builtins.max(offset, 0)", "diagonal VJP: the offset applied to the rows",
           (T_R, "tests/test_autodiff_numpy.py")),
    Mutant("vi_ref/autodiff/rules.py", "transposed = np.swapaxes(ans, -1, -2)", "transposed = ans",
           "inv VJP: −A⁻¹ Ḡ A⁻¹ instead of −A⁻ᵀ Ḡ A⁻ᵀ", (T_R, "tests/test_autodiff_numpy.py")),
    Mutant("vi_ref/estimators/suite.py", "return centred + variance_of_f * fisher / (n - 1)",
           "return centred + variance_of_f * fisher / n", "exact suite leave-one-out variance: Var f/(n − 1) → /n",
           (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", 'fisher = {"loc": precision, "scale": 2 * precision}',
           'fisher = {"loc": precision, "scale": precision}', "exact suite STL variance: Fisher of the scale 2/s² → 1/s²",
           (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "4 * k**2 * loc**2 * scale / spread**2", "2 * k**2 * loc**2 * scale / spread**2",
           "exact suite bump ∇σ: 4k²μ²σ/s² → 2k²μ²σ/s²", (T_ES,)),
    Mutant(EG, "grads_phi[name] + terms.multiplicity * entropy[name]", "grads_phi[name] + entropy[name]",
           "closed_form_entropy: ∇H not multiplied by the data points sharing q", (T_ES,)),
    Mutant(EG, 'cotangent = cotangent - _expand(per_q, z) * q.log_prob_x_grad(z)["x"]',
           'cotangent = cotangent - q.log_prob_x_grad(z)["x"]', "iwae_gradient: ∇_z log q not weighted by w̃", (T_ES,)),
    Mutant(LE, "expected_square = residual**2 + np.sum(projected_factor**2, axis=-1)", "expected_square = residual**2",
           "LinearGaussian elbo_grad ∂/∂ψ: the variance term w_dᵀ S w_d lost", (T_M, T_E)),
    Mutant(LE, "W_times_S = W * (deviation**2)[..., None, :]", "W_times_S = W * deviation[..., None, :]",
           "LinearGaussian elbo_grad ∂/∂W (diagonal q): W S with s instead of s²", (T_M, T_E)),
    Mutant(LI, "grad_factor[:, diagonal, diagonal] * q.scale_tril[:, diagonal, diagonal]",
           "grad_factor[:, diagonal, diagonal]", "learning: chain rule through log dᵢ lost", (T_LI,)),
    Mutant(LI, "singular_values**2 / X.shape[0]", "singular_values**2 / (X.shape[0] - 1)",
           "PPCA maximum likelihood: sample covariance over N − 1, not N", (T_LI,)),
    Mutant(LI, "scale**2 * model.noise_var", "scale * model.noise_var",
           "learning's standardisation: ψ mapped back by s, not s²", (T_LI,)),
    Mutant(E, "np.eye(q.batch_shape[-1]) * scale[..., None, :]", "np.eye(q.batch_shape[-1]) * scale[..., None, :] ** 2",
           "elbo_decomposition: a diagonal q's scale_tril diag(s²), not diag(s)", (T_E,)),
    Mutant(E, "{name: value / count for name, value in grads_theta.items()}", "{name: value for name, value in grads_theta.items()}",
           "dataset_elbo_grad: θ gradient not divided by N", (T_E, T_LI)),
    Mutant(E, "log_q = q.log_prob(z)\n    if latent_axes:\n        log_q = np.sum(",
           "log_q = q.log_prob(z)\n    if latent_axes:\n        log_q = np.mean(",
           "log_importance_weights: log q averaged over the latent axes, not summed", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "np.exp((mu - m) ** 2 / (2 * sigma**2 - s**2))",
           "np.exp((mu - m) ** 2 / (2 * (2 * sigma**2 - s**2)))", "exact suite IWAE χ²: exponent d²/(2σ² − s²) halved",
           (T_ES,)),
    Mutant(LI, "shift = problem.X.shape[1] * np.log(scale)", "shift = 0.5 * problem.X.shape[1] * np.log(scale)",
           "learning L-BFGS trace: ELBO shift D log s → (D/2) log s", (T_LI,)),
    Mutant("vi_ref/estimators/suite.py",
           "coefficient = gaussian_expectation(lambda e: self._value(e) * score(e) ** 2) / fisher\n            return",
           "coefficient = gaussian_expectation(lambda e: self._value(e) * score(e)) / fisher\n            return",
           "exact suite optimal baseline: c* = E[f g]/E[g²], not E[f g²]/E[g²]", (T_ES,)),
    Mutant(LE, "grad_scale = -np.diagonal(self._capacitance) * deviation + 1 / deviation",
           "grad_scale = -np.diagonal(self._capacitance) * deviation + 0.5 / deviation",
           "LinearGaussian elbo_grad ∂/∂s (diagonal q): ∂ log s = 1/s → 1/(2s)", (T_M, T_E)),
    # ----- audit M1: the mixture model, EM and CAVI (survivors at first marked; each now killed)
    Mutant(M, "            covariances = 1.0 / precisions\n", "            covariances = 1.0 / precisions_cholesky\n",
           "from_precisions (diag, spherical): Σ = 1/Λ → 1/√Λ", ("tests/test_models_gaussian_mixture.py",)),
    Mutant(M, "            precision_times_residual = precision * residual\n",
           "            precision_times_residual = factors * residual\n",
           "GMM log_joint_grad (diag, spherical): Λd → Pd, the precision's Cholesky factor for the precision",
           ("tests/test_models_log_joint.py",)),
    Mutant(M, "advantage = log_joint - log_probs - elbo", "advantage = log_joint - log_probs",
           "GMM elbo_grad ∂/∂q: the −ELBOₙ of the simplex projection lost", ("tests/test_models_gaussian_mixture.py",)),
    Mutant(EM, "covariances = scatter / counts.sum() + reg_covar * np.eye(n_features)",
           "covariances = scatter / (counts.sum() - 1) + reg_covar * np.eye(n_features)",
           "M-step tied: Σ divided by N − 1, not N", (T_EM,)),
    Mutant(EM, "    return gram + (between - spread)", "    return gram + between",
           "grouped tied scatter (D ≥ 16): the −Σₙ eₙeₙᵀ term lost", (T_EM,)),
    Mutant(EM, "        elbo=(expected - negative_entropy) / n_samples,", "        elbo=expected / n_samples,",
           "E-step ELBO: the entropy of q lost", (T_EM,)),
    Mutant("vi_ref/em.py", "        return factor @ np.swapaxes(factor, -1, -2)",
           "        return np.swapaxes(factor, -1, -2) @ factor", "EM precisions_: P Pᵀ → Pᵀ P", (T_EM,)),
    Mutant("vi_ref/em.py", "            responsibilities /= responsibilities.sum(axis=0)\n",
           "            responsibilities /= responsibilities.sum(axis=1, keepdims=True)\n",
           "EM random start: responsibilities normalised over the points, not the components (survived at first)",
           (T_EM,)),
    Mutant(CB, "return ad.digamma(weight_concentration) - ad.digamma(ad.sum(weight_concentration))",
           "return ad.digamma(weight_concentration) - ad.log(ad.sum(weight_concentration))",
           "Bayesian CAVI E[log πₖ] (Dirichlet): ψ(Σα) → log Σα", (T_CA,)),
    Mutant(CB, "earlier = np.tril(np.ones((n_components, n_components)), -1)",
           "earlier = np.tril(np.ones((n_components, n_components)), 0)",
           "Bayesian CAVI E[log πₖ] (stick breaking): Σⱼ<ₖ E[log(1 − vⱼ)] → Σⱼ≤ₖ", (T_CA,)),
    Mutant(CB, "    return factor, factor**2, 1.0 / factor**2", "    return factor, factor**2, 1.0 / factor",
           "Bayesian CAVI covariances_ (diag, spherical): 1/p² → 1/p (survived at first)", (T_CA,)),
    Mutant(CB, "weights = stick * np.concatenate([[1.0], np.cumprod(1 - stick)[:-1]])",
           "weights = stick * np.cumprod(1 - stick)",
           "Bayesian CAVI weights_ (stick breaking): Πⱼ<ₖ (1 − E vⱼ) → Πⱼ≤ₖ (survived at first)", (T_CA,)),
    Mutant(CB, "- 0.5 * dimension / parameters.mean_precision", "- 0.5 / parameters.mean_precision",
           "Bayesian CAVI ℓₙₖ: D/(2βₖ) → 1/(2βₖ)", (T_CA,)),
    Mutant(CB, "spread += (reg_covar * counts)[:, None, None] * np.eye(dimension)",
           "spread += reg_covar * np.eye(dimension)",
           "Bayesian CAVI q(Λ) (full, tied): reg_covar adds λI to Wₖ⁻¹, not Nₖ λ I (survived at first)", (T_CA,)),
    Mutant(CU, "responsibilities, _ = posterior_from_log_joint(logits, axis=1)",
           "responsibilities, _ = posterior_from_log_joint(logits, axis=0)",
           "unit-variance CAVI q(cᵢ): normalised over the points, not the components", (T_CA,)),
    Mutant(CU, "covariance = np.eye(len(members)) + prior_variance * np.ones((len(members),) * 2)",
           "covariance = prior_variance * np.eye(len(members)) + np.ones((len(members),) * 2)",
           "unit-variance exact evidence: I + σ²11ᵀ → σ²I + 11ᵀ", (T_CA,)),
    # ----- audit G: the verification machinery: gradcheck, the registry, vi_ref.testing
    # (survivors at first marked; each now killed)
    # survived at first: no test needed more than 1e-8: off by 2e-11;
    #   killed by tests/test_gradcheck.py::test_differences_of_a_linear_function_are_exact
    Mutant(GC, "taken = forward[index] - backward[index]", "taken = 2 * h",
           "verification: central difference divided by 2h, not by the step (x + h) − (x − h) actually taken",
           (T_G,)),
    # survived at first: only positive large x tested;
    #   killed by tests/test_gradcheck.py::test_step_scales_with_magnitude_of_x (x = −1e8 added)
    Mutant(GC, "return DEFAULT_RELATIVE_STEP[method] * np.maximum(1.0, np.abs(x))",
           "return DEFAULT_RELATIVE_STEP[method] * np.maximum(1.0, x)",
           "verification: default step scaled by max(1, x), not max(1, |x|)", (T_G,)),
    Mutant(GC, "return DEFAULT_RELATIVE_STEP[method] * np.maximum(1.0, np.abs(x))",
           "return DEFAULT_RELATIVE_STEP[method] * np.abs(x)",
           "verification: default step c·|x|, without the floor c at |x| < 1", (T_G,)),
    Mutant(GC, "RICHARDSON_LEVELS = 2", "RICHARDSON_LEVELS = 1", "verification: Richardson cancels only the h² term",
           (T_G,)),
    Mutant(GC, "row = [(factor * fine - coarse) / (factor - 1) for coarse, fine in zip(row, row[1:])]",
           "row = [(factor * coarse - fine) / (factor - 1) for coarse, fine in zip(row, row[1:])]",
           "verification: Richardson weights on the coarse and fine rows swapped", (T_G,)),
    Mutant(GC, '"richardson": EPS ** (1 / 7)', '"richardson": EPS ** (1 / 3)',
           "verification: Richardson's default step ε^(1/3) (central's), not ε^(1/7)", (T_G,)),
    Mutant(GC, '"complex": 1e-20}', '"complex": 1e-5}', "verification: complex step 1e-5, not 1e-20", (T_G,)),
    Mutant(GC, "    if np.any(steps <= 0):", "    if np.any(steps < 0):", "verification: a zero step accepted", (T_G,)),
    # survived at first: directions tested only at |x| ≲ 4;
    #   killed by tests/test_gradcheck.py::test_directional_step_is_relative_to_the_scale_of_x
    Mutant(GC, "relative_move = np.max(np.abs(direction) / np.maximum(1.0, np.abs(x)))",
           "relative_move = np.max(np.abs(direction))",
           "verification: directional step not relative to the scale of x", (T_G,)),
    # survived at first: no NaN gradient tested;
    #   killed by tests/test_gradcheck.py::test_a_nan_in_the_gradient_fails_the_check
    Mutant(GC, "ok=bool(np.all(excess <= 0)),", "ok=not bool(np.any(excess > 0)),",
           "verification: a NaN in the analytic gradient passes the check", (T_G,)),
    # survived at first: no check at its boundary;
    #   killed by tests/test_gradcheck.py::test_a_gradient_exactly_at_the_tolerance_passes
    Mutant(GC, "ok=bool(np.all(excess <= 0)),", "ok=bool(np.all(excess < 0)),",
           "verification: a gradient exactly at the tolerance fails (< instead of ≤)", (T_G,)),
    # survived at first: only one wrong coordinate tested;
    #   killed by tests/test_gradcheck.py::test_the_worst_coordinate_is_the_one_furthest_beyond_its_tolerance
    Mutant(GC, "worst = np.unravel_index(int(np.argmax(excess)), excess.shape)",
           "worst = np.unravel_index(int(np.argmax(abs_error)), excess.shape)",
           "verification: worst index by absolute error, not by excess over the tolerance", (T_G,)),
    # survived at first: max_rel_error only bounded loosely;
    #   killed by tests/test_gradcheck.py::test_relative_error_is_normalised_by_the_larger_of_both_gradients
    Mutant(GC, "scale = np.maximum(np.abs(analytic), np.abs(numerical))", "scale = np.abs(numerical)",
           "verification: relative error normalised by |numerical|, not by the larger of both", (T_G,)),
    # survived at first: no zero gradient entry tested;
    #   killed by tests/test_gradcheck.py::test_relative_error_is_normalised_by_the_larger_of_both_gradients
    Mutant(GC, "rel_error = np.where(abs_error == 0, 0.0, abs_error / scale)", "rel_error = abs_error / scale",
           "verification: relative error 0/0 = NaN where both gradients are 0", (T_G,)),
    # survived at first: a KeyError later stood in for the refusal;
    #   killed by tests/test_gradcheck.py::test_check_case_refuses_a_gradient_missing_an_input
    Mutant(GC, "missing = set(problem.inputs) - set(analytic)", "missing = set(analytic) - set(problem.inputs)",
           "verification: check_case's missing-gradient set difference reversed", (T_G,)),
    Mutant(GC, "for input_name in case.inputs or tuple(problem.inputs):", "for input_name in tuple(problem.inputs):",
           "verification: check_case ignores the case's inputs restriction", (T_G, T_R)),
    # survived at first: relative_step tested only at |x| < 1;
    #   killed by tests/test_gradcheck.py::test_check_case_scales_the_relative_step_with_x
    Mutant(GC, "case.relative_step * np.maximum(1.0, np.abs(point))", "case.relative_step",
           "verification: a case's relative_step used as an absolute step", (T_G, T_R)),
    Mutant(GC, "                method=case.method,", '                method="central",',
           "verification: check_case checks every case by central differences", (T_G, T_R)),
    # survived at first: every registry case passes at the looser defaults too;
    #   killed by tests/test_gradcheck.py::test_check_case_uses_the_cases_tolerances
    Mutant(GC, "                rtol=case.rtol,\n                atol=case.atol,", "",
           "verification: check_case ignores the case's tolerances (check_gradient's looser defaults)", (T_G, T_R)),
    Mutant(GC, "    rtol: float = 1e-7\n", "    rtol: float = 1e-5\n",
           "verification: GradientCase default rtol 1e-7 → 1e-5", (T_G, T_R)),
    Mutant(GC, '    method: str = "richardson"\n', '    method: str = "central"\n',
           "verification: GradientCase default method central", (T_G, T_R)),
    Mutant(R, "    return public_gradients() - covered", "    return covered - public_gradients()",
           "verification: missing_gradients' set difference reversed", (T_R,)),
    # survived at first: both differences are empty for the real registry;
    #   killed by tests/test_registry.py::test_a_name_that_is_no_gradient_is_reported_as_unknown
    Mutant(R, "return {name for case in cases for name in case.covers} - public_gradients()",
           "return public_gradients() - {name for case in cases for name in case.covers}",
           "verification: unknown_gradients' set difference reversed", (T_R,)),
    Mutant(R, 'return not name.startswith("_") and name.endswith(GRADIENT_SUFFIXES)',
           "return name.endswith(GRADIENT_SUFFIXES)", "verification: private _grad helpers counted as public gradients",
           (T_R,)),
    Mutant(R, "    return names - DRIVERS", "    return names",
           "verification: the autodiff drivers counted as gradients", (T_R,)),
    # survived at first: they define no _grad function yet;
    #   killed by tests/test_registry.py::test_gradient_helpers_of_the_registry_and_the_tour_are_not_public_gradients
    Mutant(R, "if not any(info.name == top or info.name.startswith(top + \".\") for top in _NOT_SCANNED):",
           "if not any(info.name == top for top in _NOT_SCANNED):",
           "verification: the registry's own submodules scanned for gradients", (T_R,)),
    # survived at first: untested, and unreachable for an entry without .name (fixed: the type is checked first);
    #   killed by tests/test_registry.py::test_an_entry_that_is_not_a_gradient_case_is_refused
    Mutant(R, "if not all(isinstance(case, GradientCase) for case in cases):",
           "if not any(isinstance(case, GradientCase) for case in cases):",
           "verification: a registry entry that is not a GradientCase accepted", (T_R,)),
    # survived at first: the checks pass on easy inputs;
    #   killed by tests/test_registry.py::test_hard_region_cases_draw_inputs_in_their_hard_regions
    Mutant(RA, "        x.reshape(-1)[::3] = 0.0", "        x.flatten()[::3] = 0.0",
           "verification: with_zeros writes its zeros into a copy (abs, xlogy never checked at 0)", (T_R,)),
    # survived at first: the checks pass on easy inputs;
    #   killed by tests/test_registry.py::test_hard_region_cases_draw_inputs_in_their_hard_regions
    Mutant(RA, "x[row, rng.choice(columns, 2, replace=False)] = extremum + 0.1 * row",
           "x[row, rng.choice(columns, 2)] = extremum + 0.1 * row",
           "verification: rows_with_a_tied_extremum may pick one column twice (no tie)", (T_R,)),
    # survived at first: the checks pass on easy inputs;
    #   killed by tests/test_registry.py::test_hard_region_cases_draw_inputs_in_their_hard_regions
    Mutant(RA, "flat[::2, [0, 1], :] = flat[::2, [1, 0], :]", "flat[[0, 1]] = flat[[1, 0]]",
           "verification: invertible swaps batch entries, not rows (no negative determinant)", (T_R,)),
    Mutant(RA, "flat[::2, [0, 1], :] = flat[::2, [1, 0], :]", "flat[:, [0, 1], :] = flat[:, [1, 0], :]",
           "verification: invertible swaps rows in every batch entry (no positive determinant)", (T_R,)),
    # survived at first: the checks pass on easy inputs;
    #   killed by tests/test_registry.py::test_hard_region_cases_draw_inputs_in_their_hard_regions
    Mutant(RF, 'params["u"] = -2.0 * params["w"] / np.sum(params["w"] ** 2, axis=-1, keepdims=True)',
           'params["u"] = -2.0 * params["w"] / np.sum(params["w"] ** 2)',
           "verification: flows near-constraint draw: ‖w‖² summed over all layers (wᵀu ≈ −0.5, not −2)",
           (T_R,)),
    Mutant(TE, "atol=spec.atol if atol is None else atol", "atol=spec.atol",
           "verification: assert_matches_reference ignores an atol override", (T_T,)),
    # survived at first: reference_outputs was only called with inputs;
    #   killed by tests/test_testing.py::test_reference_outputs_of_a_seed_are_those_of_its_inputs
    Mutant(TE, "    return reference.compute_outputs(case, _inputs(case, inputs, seed))",
           "    return reference.compute_outputs(case, _inputs(case, inputs, 0))",
           "verification: reference_outputs ignores its seed", (T_T,)),
    # ----- audit A: the autodiff machinery, graph.py and functions.py (survivors at first marked; each now killed)
    # survived at first: argnums one past the end was wrapped round to argument 0; killed by
    # tests/test_autodiff.py::test_bad_argnums_and_arguments_are_refused
    Mutant("vi_ref/autodiff/graph.py", "if not -count <= argnum < count:", "if not -count <= argnum <= count:",
           "autodiff machinery: argnums = the argument count accepted (differentiates argument 0)",
           ("tests/test_autodiff.py",)),
    # survived at first: no bool argnums tried; killed by
    # tests/test_autodiff.py::test_bad_argnums_and_arguments_are_refused
    Mutant("vi_ref/autodiff/graph.py", "if isinstance(argnum, bool) or not isinstance(argnum, (int, np.integer)):",
           "if not isinstance(argnum, (int, np.integer)):", "autodiff machinery: argnums=True read as argument 1",
           ("tests/test_autodiff.py",)),
    # survived at first: arrays by name were only given in positional order; killed by
    # tests/test_autodiff.py::test_arrays_may_be_given_by_their_numpy_names_and_are_differentiated
    Mutant("vi_ref/autodiff/graph.py", "named = sorted((positions[key], key) for key in kwargs if key in positions)",
           "named = [(positions[key], key) for key in kwargs if key in positions]",
           "autodiff machinery: arrays by name bound in the order written (b=, a= refused)", ("tests/test_autodiff.py",)),
    # survived at first: only a (3, 2) output was tried; killed by
    # tests/test_autodiff.py::test_non_scalar_output_is_refused_with_its_shape
    Mutant("vi_ref/autodiff/graph.py", "        if shape != ():\n", "        if np.size(value_of(output)) != 1:\n",
           "autodiff machinery: an output of shape (1,) taken for a scalar", ("tests/test_autodiff.py",)),
    # survived at first: no argument was unused while another was used; killed by
    # tests/test_autodiff.py::test_function_ignoring_its_argument_has_zero_gradient
    Mutant("vi_ref/autodiff/graph.py", "gradient = np.zeros(leaf.value.shape)", "gradient = np.zeros(leaf.value.size)",
           "autodiff machinery: an unused argument's zero gradient flattened", ("tests/test_autodiff.py",)),
    # survived at first: no strong-zero rule broadcast its argument; killed by
    # tests/test_autodiff.py::test_the_strong_zero_applies_entry_by_entry_before_a_broadcast_is_summed
    Mutant("vi_ref/autodiff/graph.py",
           "                if strong_zero and not isfinite(contribution).all():\n"
           "                    contribution = strong_zero_where_unused(contribution, g)\n"
           "                shape = parent.value.shape\n"
           "                if contribution.shape != shape:\n"
           "                    contribution = sum_to_shape(contribution, shape)\n",
           "                shape = parent.value.shape\n"
           "                if contribution.shape != shape:\n"
           "                    contribution = sum_to_shape(contribution, shape)\n"
           "                if strong_zero and not isfinite(contribution).all():\n"
           "                    contribution = strong_zero_where_unused(contribution, sum_to_shape(g, shape))\n",
           "autodiff machinery: strong zero applied after the broadcast is summed (0·∞ already in the sum)",
           ("tests/test_autodiff.py",)),
    # survived at first: pulling a node back once per path is linear, so only the strong zero
    # (a sum of cotangents that cancels) tells; killed by
    # tests/test_autodiff.py::test_a_node_is_pulled_back_once_with_its_summed_cotangent
    Mutant("vi_ref/autodiff/graph.py", "        if key in expanded:\n            continue\n", "",
           "autodiff machinery: a node pushed along two paths expanded twice (pulled back per path)",
           ("tests/test_autodiff.py",)),
    # survived at first: nothing measured the backward pass alone; killed by
    # tests/test_autodiff_memory.py::test_a_cotangent_is_released_once_it_is_pulled_back
    Mutant("vi_ref/autodiff/graph.py", "g = cotangents.pop(id(tensor))", "g = cotangents[id(tensor)]",
           "autodiff machinery: every cotangent held to the end of the pass", ("tests/test_autodiff_memory.py",)),
    # survived at first: a library bug (the gradient was the array a user rule keeps), fixed in
    # this audit; killed by tests/test_autodiff.py::test_a_gradient_is_never_an_array_a_user_rule_returned
    Mutant("vi_ref/autodiff/graph.py", "            or id(gradient) in foreign\n", "",
           "autodiff machinery: a gradient that a user rule returned handed over uncopied", ("tests/test_autodiff.py",)),
    # survived at first: only flat lists of Tensors were stacked; killed by
    # tests/test_autodiff.py::test_mean_of_a_list_of_tensors_stacks_it_as_numpy_does
    Mutant("vi_ref/autodiff/graph.py", "any(_contains_tensor(item) for item in value)",
           "any(type(item) is Tensor for item in value)", "autodiff machinery: nested lists of Tensors not stacked",
           ("tests/test_autodiff.py",)),
    # survived at first: only bool arrays were tried; killed by
    # tests/test_autodiff_numpy.py::test_log_sigmoid_takes_what_the_other_elementwise_functions_take
    Mutant("vi_ref/autodiff/graph.py", "return type(value) in (float, int, bool)", "return type(value) in (float, int)",
           "autodiff machinery: a Python bool operand refused", ("tests/test_autodiff_numpy.py",)),
    # survived at first: ddof never exceeded the count; killed by
    # tests/test_autodiff_numpy.py::test_var_and_std_with_ddof_beyond_the_count_are_numpys
    Mutant("vi_ref/autodiff/functions.py", "/ np.maximum(count - ddof, 0)", "/ (count - ddof)",
           "autodiff machinery: var over n − ddof < 0 (a negative variance)", ("tests/test_autodiff_numpy.py",)),
    # survived at first: ddof and correction never given together; killed by
    # tests/test_autodiff.py::test_unsupported_keywords_are_refused_before_anything_is_computed
    Mutant("vi_ref/autodiff/functions.py", "        if ddof != 0:\n            raise ValueError",
           "        if False:\n            raise ValueError",
           "autodiff machinery: var(ddof=, correction=) both accepted, ddof dropped", ("tests/test_autodiff.py",)),
    # survived at first: std with keepdims never compared; killed by
    # tests/test_autodiff_numpy.py::test_value_equals_numpy_and_gradient_equals_finite_differences[std-keepdims]
    Mutant("vi_ref/autodiff/functions.py", "    variance = var(a, axis, dtype, out, ddof, keepdims,",
           "    variance = var(a, axis, dtype, out, ddof, False,", "autodiff machinery: std drops keepdims",
           ("tests/test_autodiff_numpy.py",)),
    # survived at first: squeeze's axis was the only length-one axis; killed by
    # tests/test_autodiff_numpy.py::test_value_equals_numpy_and_gradient_equals_finite_differences[squeeze-one-of-two]
    Mutant("vi_ref/autodiff/functions.py", "np.squeeze(np.broadcast_to(0.0, np.shape(value_of(a))), axis=axis)",
           "np.squeeze(np.broadcast_to(0.0, np.shape(value_of(a))))", "autodiff machinery: squeeze ignores axis",
           ("tests/test_autodiff_numpy.py",)),
    # survived at first: no bound of 0.0 below any entry; killed by
    # tests/test_autodiff_numpy.py::test_value_equals_numpy_and_gradient_equals_finite_differences[clip-at-zero]
    Mutant("vi_ref/autodiff/functions.py", "    if lower is not None:\n", "    if lower:\n",
           "autodiff machinery: clip's lower bound 0.0 ignored (falsy)", ("tests/test_autodiff_numpy.py",)),
    # survived at first: no +∞ logit; killed by tests/test_autodiff_numpy.py::test_log_softmax_of_infinite_logits_is_scipys
    Mutant("vi_ref/autodiff/functions.py", "x = x - np.where(np.isfinite(largest), largest, 0.0)", "x = x - largest",
           "autodiff machinery: log_softmax shifted by an infinite largest entry", ("tests/test_autodiff_numpy.py",)),
    # survived at first: a 0-d array never got an out-of-range axis; killed by
    # tests/test_autodiff_numpy.py::test_bad_axes_and_results_are_refused_as_numpy_would
    Mutant("vi_ref/autodiff/functions.py", "a, axis = ravel(a), 0 if axis is None else axis", "a, axis = ravel(a), 0",
           "autodiff machinery: repeat of a 0-d array accepts any axis", ("tests/test_autodiff_numpy.py",)),
    Mutant("vi_ref/autodiff/graph.py", "self.strong_zero = elementwise if strong_zero is None else strong_zero",
           "self.strong_zero = False if strong_zero is None else strong_zero",
           "autodiff machinery: no strong zero by default (NaN from the branch not taken)", ("tests/test_autodiff.py",)),
    # survived once the pass skipped the finiteness test under a constant nonzero ḡ (the tests'
    # ḡ was one); killed by
    # tests/test_autodiff.py::test_the_strong_zero_keeps_an_infinite_derivative_whose_cotangent_is_not_zero
    Mutant("vi_ref/autodiff/graph.py",
           "return np.where(np.broadcast_to(g, np.shape(contribution)) == 0, 0.0, contribution)",
           "return np.where(np.isfinite(contribution), contribution, 0.0)",
           "autodiff machinery: every non-finite VJP entry zeroed (√′(0) = ∞ lost)", ("tests/test_autodiff.py",)),
    Mutant("vi_ref/autodiff/graph.py", "            or id(gradient) in seen\n", "",
           "autodiff machinery: one array handed to two leaves", ("tests/test_autodiff.py",)),
    Mutant("vi_ref/autodiff/graph.py", "    if type(total) is np.ndarray:\n        owned.add(id(total))",
           "    owned.add(id(total))", "autodiff machinery: a 0-d sum owned (its += rebinds, a contribution lost)",
           ("tests/test_autodiff_programs.py",)),
    Mutant("vi_ref/autodiff/graph.py", "                owned.remove(id(g))\n", "",
           "autodiff machinery: ḡ stays owned after it is passed on", ("tests/test_autodiff_memory.py",)),
    Mutant("vi_ref/autodiff/graph.py",
           "            overwritable = False\n            if was_owned:\n                owned.remove(id(g))\n"
           "                overwritable = in_place is not None and len(parents) == 1 and _has_c_strides(g)\n",
           "            overwritable = in_place is not None and len(parents) == 1 and _has_c_strides(g)\n"
           "            if was_owned:\n                owned.remove(id(g))\n",
           "autodiff machinery: an in-place rule writes into a ḡ the pass does not own", ("tests/test_autodiff_memory.py",)),
    Mutant("vi_ref/autodiff/graph.py", "            if type(args[argnum]) is Tensor:\n", "            if False:\n",
           "autodiff machinery: a Tensor argument (nested grad) not refused", ("tests/test_autodiff.py",)),
    Mutant("vi_ref/autodiff/functions.py", "centred = a - _mean(a, axis=axis, keepdims=True, where=where)",
           "centred = a - _mean(a, axis=axis, keepdims=keepdims, where=where)",
           "autodiff machinery: var centres with a mean that lost its axis", ("tests/test_autodiff_numpy.py",)),
    Mutant("vi_ref/autodiff/functions.py", "    return maximum(x, 0.0)\n",
           "    return where_(value_of(as_operand(x)) > 0, x, 0.0)\n",
           "autodiff machinery: relu by where (derivative 0 at the tie, not ½)", ("tests/test_autodiff_numpy.py",)),
    Mutant("vi_ref/autodiff/functions.py", "            return primitive(other, self)\n",
           "            return primitive(self, other)\n",
           "autodiff machinery: reflected operators keep the operands' order (2 − t = t − 2)", ("tests/test_autodiff.py",)),
    Mutant("vi_ref/autodiff/functions.py",
           "    if not -ndim <= axis < ndim:\n        raise np.exceptions.AxisError(axis, ndim)\n    return axis % ndim",
           "    if not -ndim < axis < ndim:\n        raise np.exceptions.AxisError(axis, ndim)\n    return axis % ndim",
           "autodiff machinery: one axis −ndim refused", ("tests/test_autodiff_numpy.py",)),
    # ----- audit R: the golden reference files (survivors at first marked; each now killed)
    # killed at first only by the torch peer test (skipped without torch); now also by
    # tests/test_reference.py::test_compare_allows_atol_plus_rtol_times_vi_refs_value
    Mutant(REF, "allowed = atol + rtol * scale", "allowed = rtol + atol * scale",
           "reference: compare's allowed error rtol + atol·|expected| (rtol and atol swapped)", T_RF),
    # survived at first: no test had an rtol large enough to tell |actual| from |expected|; killed by
    # tests/test_reference.py::test_compare_allows_atol_plus_rtol_times_vi_refs_value
    Mutant(REF, "scale = np.where(np.isfinite(expected), np.abs(expected), 0.0)",
           "scale = np.where(np.isfinite(actual), np.abs(actual), 0.0)",
           "reference: compare's relative tolerance scaled by |actual|, not vi_ref's |expected|", T_RF),
    Mutant(REF, "scale = np.where(np.isfinite(expected), np.abs(expected), 0.0)", "scale = np.abs(expected)",
           "reference: compare's scale not masked at an infinite expected (rtol·∞ passes anything)", T_RF),
    Mutant(REF, "error = np.where(np.isnan(error), np.inf, error)", "error = np.where(np.isnan(error), 0.0, error)",
           "reference: compare counts a NaN as agreeing (error 0)", T_RF),
    # survived at first: the one shape test differed in the number of dimensions; killed by
    # tests/test_reference.py::test_compare_never_broadcasts
    Mutant(REF, "if actual.shape != expected.shape:", "if actual.ndim != expected.ndim:",
           "reference: compare checks the number of dimensions only, so a (1,) broadcasts against (3,)", T_RF),
    Mutant(REF, "within = error <= allowed", "within = error < allowed",
           "reference: compare's tolerance strict (an exact match fails at atol = 0 where rtol·|expected| = 0)", T_RF),
    # survived at first: no test compared an entry where vi_ref's value is 0; killed by
    # tests/test_reference.py::test_compare_reports_the_entry_furthest_beyond_its_tolerance
    Mutant(REF, "finite_relative = relative[scale > 0]", "finite_relative = relative",
           "reference: compare's max rel error includes the entries where expected = 0 (inf)", T_RF),
    # survived at first: every failing test had one bad entry; killed by
    # tests/test_reference.py::test_compare_reports_the_entry_furthest_beyond_its_tolerance
    Mutant(REF, "worst = _first(excess == excess.max()) if not within.all() else _first(error == error.max())",
           "worst = _first(error == error.max())",
           "reference: compare reports the largest absolute error, not the entry furthest beyond its tolerance", T_RF),
    Mutant(REF, "case_rtol = spec.rtol if rtol is None else rtol",
           'case_rtol = case["tolerance"]["rtol"] if rtol is None else rtol',
           "reference: check judges with the file's rtol, not vi_ref's", T_RF),
    Mutant(REF, "case_atol = spec.atol if atol is None else atol",
           'case_atol = case["tolerance"]["atol"] if atol is None else atol',
           "reference: check judges with the file's atol, not vi_ref's", T_RF),
    Mutant(REF, "compare(name, field, expected[field], actual, rtol=case_rtol, atol=case_atol)",
           "compare(name, field, actual, expected[field], rtol=case_rtol, atol=case_atol)",
           "reference: check passes the file's value as the expected one (rtol relative to the file's value)", T_RF),
    # killed at first only by the torch peer test; now also by
    # tests/test_reference.py::test_check_judges_by_atol_at_vi_refs_zeros_and_by_rtol_elsewhere
    Mutant(REF, "compare(name, field, expected[field], actual, rtol=case_rtol, atol=case_atol)",
           "compare(name, field, expected[field], actual, rtol=case_atol, atol=case_rtol)",
           "reference: check passes rtol as atol and atol as rtol", T_RF),
    # survived at first: no test read a written file's tolerance; killed by
    # tests/test_reference.py::test_a_written_file_states_the_documented_tolerances
    Mutant(REF, '"tolerance": {"rtol": case.rtol, "atol": case.atol},',
           '"tolerance": {"rtol": case.atol, "atol": case.rtol},',
           "reference: generate writes rtol and atol swapped into the file", T_RF),
    Mutant(REF, "    symbols = {}\n    for part, fields, specs in", "    for part, fields, specs in",
           "reference: validate binds the shape symbols per part, so outputs need not fit the inputs' sizes", T_RF),
    # survived at first: NaN was tried only in fields that must be finite; killed by
    # tests/test_crosscheck_files.py::test_nan_is_refused_where_inf_is_allowed
    Mutant(REF, "        if np.isnan(array).any():", "        if spec.finite and np.isnan(array).any():",
           "reference: validate lets NaN through in a field that may be inf", T_RF),
    # survived at first: no input sat at a bound; killed by
    # tests/test_reference.py::test_the_leave_one_out_variance_is_at_the_inputs_sample_size (n = 2)
    # and tests/test_crosscheck_files.py::test_the_lower_ends_of_the_size_bounds_are_read
    Mutant(REF, "outside = (array < low) | (array > high)", "outside = (array <= low) | (array > high)",
           "reference: validate's bounds exclude their lower end (n = 2, dimension = 1 refused)", T_RF),
    # survived at first: "-inf" was tried only where a field must be finite; killed by
    # tests/test_crosscheck_files.py::test_minus_inf_reads_as_minus_inf_and_fails_against_plus_inf
    Mutant(REF, '_NON_FINITE = {"inf": np.inf, "-inf": -np.inf, "nan": np.nan}',
           '_NON_FINITE = {"inf": np.inf, "-inf": np.inf, "nan": np.nan}',
           'reference: the JSON decoder reads "-inf" as +inf', T_RF),
    # survived at first: a boolean was tried only in float64 data; killed by
    # tests/test_crosscheck_files.py::test_hostile_json_is_refused_naming_case_and_field[boolean in int64 data]
    Mutant(REF, "if not all(type(item) is int and -(2**63) <= item < 2**63 for item in data):",
           "if not all(isinstance(item, int) and -(2**63) <= item < 2**63 for item in data):",
           "reference: the JSON decoder takes true/false as int64 data", T_RF),
    # survived at first: only data shorter than the shape was tried; killed by
    # tests/test_crosscheck_files.py::test_hostile_json_is_refused_naming_case_and_field[data longer than the shape]
    Mutant(REF, "if not isinstance(data, list) or len(data) != size:", "if not isinstance(data, list) or len(data) < size:",
           "reference: the JSON decoder accepts data longer than the shape", T_RF),
    # survived at first: no big-endian NPZ was read; killed by
    # tests/test_crosscheck_files.py::test_a_big_endian_npz_is_read_as_the_same_numbers
    Mutant(REF, 'return key, array.astype(array.dtype.newbyteorder("="), copy=False)',
           'return key, array.view(array.dtype.newbyteorder("="))',
           "reference: the NPZ decoder reinterprets a big-endian array's bytes instead of converting it", T_RF),
    # survived at first: the limit on the unpacked size was untested; killed by
    # tests/test_crosscheck_files.py::test_an_npz_that_unpacks_beyond_the_limit_is_refused_before_reading
    Mutant(REF, "total = sum(member.file_size for member in members)",
           "total = sum(member.compress_size for member in members)",
           "reference: the NPZ zip-bomb limit sums the compressed sizes", T_RF),
    Mutant(REF, 'if dtype.kind not in "fiU" or (dtype.kind in "fi" and dtype.itemsize != 8):',
           'if dtype.kind not in "fiU":',
           "reference: the NPZ decoder lets float32/int32 members through to validation", T_RF),
    Mutant(REF, '("inf" if value > 0 else "-inf")', '("inf" if value < 0 else "-inf")',
           "reference: the JSON writer swaps the signs of infinities", T_RF),
    Mutant(REF, "data = array.ravel().tolist()", 'data = array.ravel(order="F").tolist()',
           "reference: the JSON writer flattens in Fortran order", T_RF),
    # survived at first: no float was given for an int64 field; killed by
    # tests/test_reference.py::test_compute_outputs_refuses_floats_for_an_int64_field
    Mutant(REF, 'np.can_cast(array.dtype, DTYPES[spec.dtype], "safe")',
           'np.can_cast(array.dtype, DTYPES[spec.dtype], "unsafe")',
           "reference: compute_outputs truncates float inputs into an int64 field", T_RF),
    Mutant(REFC, 'p = p_family.build(**{k: arrays[f"p_{k}"] for k in p_family.parameters})',
           'p = p_family.build(**{k: arrays[f"q_{k}"] for k in p_family.parameters})',
           "reference: KL cases build p from q's inputs", T_RF),
    # killed at first only by the torch peer test; now also by
    # tests/test_reference.py::test_the_normal_cases_pathwise_fields_are_the_closed_forms
    Mutant(REFC, 'vjp = q.transform_vjp(arrays["eps"], arrays["cotangent"])',
           'vjp = q.transform_vjp(arrays["cotangent"], arrays["eps"])',
           "reference: distribution cases' transform VJP with ε and the cotangent swapped", T_RF),
    Mutant(REFC, "grads_q, grads_p = kl.kl_divergence_grad(q, p)", "grads_p, grads_q = kl.kl_divergence_grad(q, p)",
           "reference: KL cases' grad_q and grad_p fields swapped", T_RF),
    # killed at first only by the torch peer test; now also by
    # tests/test_reference.py::test_the_linear_gaussian_elbo_is_the_closed_form
    Mutant(REFC, '            q = Normal(arrays["q_loc"], arrays["q_scale"])',
           '            q = Normal(arrays["q_loc"], arrays["q_scale"] ** 2)',
           "reference: linear_gaussian.diagonal builds q with its variance as the scale", T_RF),
    Mutant(REFC, '        q = Normal(arrays["q_loc"], arrays["q_scale"])\n        eps',
           '        q = Normal(arrays["q_loc"], arrays["q_scale"] ** 2)\n        eps',
           "reference: iwae case builds q with its variance as the scale", T_RF),
    # survived at first: every generated file holds reg_covar = 1e-6, m_step's default; killed by
    # tests/test_reference.py::test_the_em_step_adds_the_inputs_reg_covar_to_the_covariances
    Mutant(REFC, 'updated = m_step(arrays["X"], responsibilities, covariance_type, reg_covar=float(arrays["reg_covar"]))',
           'updated = m_step(arrays["X"], responsibilities, covariance_type)',
           "reference: gmm cases' EM step ignores the inputs' reg_covar (m_step's default 1e-6)", T_RF),
    Mutant(REFC, '"log_likelihood": model.log_marginal(arrays["X"]),', '"log_likelihood": updated.log_marginal(arrays["X"]),',
           "reference: gmm cases' log-likelihood of the mixture after the EM step", T_RF),
    Mutant(REFC, '"cosine": (lambda loc, scale, k: suite.cosine_problem(k, loc, scale)',
           '"cosine": (lambda loc, scale, k: suite.cosine_problem(k, scale, loc)',
           "reference: estimators.cosine builds the problem with loc and scale swapped", T_RF),
    # survived at first: no test looked at the case's values; killed by
    # tests/test_reference.py::test_the_dimension_case_is_built_from_its_loc_and_scale
    Mutant(REFC, 'suite.DimensionProblem(int(arrays["dimension"]), float(arrays["loc"]), float(arrays["scale"]))',
           'suite.DimensionProblem(int(arrays["dimension"]), float(arrays["scale"]), float(arrays["loc"]))',
           "reference: estimators.dimension builds the problem with loc and scale swapped", T_RF),
    # survived at first: no test looked at the leave-one-out fields; killed by
    # tests/test_reference.py::test_the_leave_one_out_variance_is_at_the_inputs_sample_size
    Mutant(REFC, 'return _estimator_values(problem, outputs, sample_size=int(arrays["n"]))',
           'return _estimator_values(problem, outputs, sample_size=int(arrays["n"]) - 1)',
           "reference: the leave-one-out variance at n − 1 (the number of other samples), not n", T_RF),
    Mutant(REFC, "group_bounds = logsumexp(log_weights, axis=1) - np.log(size)",
           "group_bounds = logsumexp(log_weights, axis=1) - np.log(groups)",
           "reference: iwae case's log-mean-exp divides by the number of groups", T_RF),
    Mutant(REFC, 'outputs = {"value": Field(("B",), "KL(q ‖ p) per pair of the batch", finite=not infinite)}',
           'outputs = {"value": Field(("B",), "KL(q ‖ p) per pair of the batch", finite=False)}',
           "reference: every KL value may be inf (a finite pair's inf is read)", T_RF),
    Mutant(REFC, "DEFAULT_RTOL = 1e-9", "DEFAULT_RTOL = 1e-7", "reference: the default rtol loosened 100×", T_RF),
    Mutant(REFC, "ESTIMATOR_RTOL = 1e-8", "ESTIMATOR_RTOL = 1e-6", "reference: the estimator cases' rtol loosened 100×", T_RF),
    # ----- audit C: the tour's machinery and the command line (survivors at first marked; each now killed)
    Mutant("vi_ref/tour/framework.py", "        all_ok &= bool(rows) and all(row.ok for row in rows)\n",
           "        all_ok = bool(rows) and all(row.ok for row in rows)\n",
           "tour/cli: run's verdict is the last section's only (an earlier failing section passes)",
           ("tests/test_tour.py", "tests/test_cli.py")),
    Mutant("vi_ref/tour/framework.py", "        all_ok &= bool(rows) and all(row.ok for row in rows)\n",
           "        all_ok &= all(row.ok for row in rows)\n",
           "tour/cli: a section that checked nothing passes", ("tests/test_tour.py", "tests/test_cli.py")),
    Mutant("vi_ref/tour/framework.py", "        all_ok &= bool(rows) and all(row.ok for row in rows)\n",
           "        all_ok &= bool(rows) and any(row.ok for row in rows)\n",
           "tour/cli: a section passes when any of its rows passes", ("tests/test_tour.py", "tests/test_cli.py")),
    # survived at first: the command line refused it first; killed by
    #   tests/test_tour.py::test_an_unmatched_name_beside_a_matched_one_checks_nothing
    Mutant("vi_ref/tour/framework.py", "    if not chosen or missing:\n", "    if not chosen:\n",
           "tour/cli: run ignores an unmatched name beside a matched one in only", ("tests/test_tour.py",)),
    # survived at first: JSON was tested only on a passing tour; killed by
    #   tests/test_tour.py::test_a_failure_in_an_earlier_section_fails_the_tour_in_text_and_in_json
    Mutant("vi_ref/tour/framework.py", '"passed": all_ok,', '"passed": True,',
           "tour/cli: the JSON document says passed after a failing row", ("tests/test_tour.py", "tests/test_cli.py")),
    # survived at first: JSON was tested only on a passing tour; killed by
    #   tests/test_tour.py::test_a_failure_in_an_earlier_section_fails_the_tour_in_text_and_in_json
    #   and tests/test_cli.py::test_json_exit_status_and_document_say_a_row_failed
    Mutant("vi_ref/tour/framework.py", "        return all_ok\n    shown", "        return True\n    shown",
           "tour/cli: with --json the tour returns True (exit 0) after a failing row",
           ("tests/test_tour.py", "tests/test_cli.py")),
    # survived at first: no test read a row's whole line; killed by
    #   tests/test_tour.py::test_each_printed_row_shows_its_verdict_claim_measured_oracle_and_criterion
    Mutant("vi_ref/tour/framework.py", "{row.measured}; oracle {row.oracle}; {row.criterion}",
           "{row.measured}; {row.criterion}", "tour/cli: a printed row omits its oracle", ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/framework.py", 'verdict = "pass" if row.ok else "FAIL"', 'verdict = "pass"',
           "tour/cli: every printed row says pass", ("tests/test_tour.py", "tests/test_cli.py")),
    Mutant("vi_ref/tour/framework.py", "            if row.detail and not verbose:\n", "            if row.detail:\n",
           "tour/cli: --verbose does not show the detail rows", ("tests/test_tour.py",)),
    # survived at first: only the verdict of an empty section was tested; killed by
    #   tests/test_tour.py::test_the_failure_summary_counts_the_failed_rows_and_names_an_empty_section
    Mutant("vi_ref/tour/framework.py", '            if not rows:\n                out("  FAIL  this section checked nothing")\n',
           "",
           "tour/cli: a section that checked nothing is not printed as FAIL where it stands", ("tests/test_tour.py",)),
    # survived at first: the summary's count was never read; killed by
    #   tests/test_tour.py::test_the_failure_summary_counts_the_failed_rows_and_names_an_empty_section
    Mutant("vi_ref/tour/framework.py", 'out(f"\\nFAILED: {len(failed)} of {shown}:")',
           'out(f"\\nFAILED: {len(rows)} of {shown}:")',
           "tour/cli: the summary counts every row as failed", ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/framework.py", "        for row in failed:\n            out(", "        for row in []:\n            out(",
           "tour/cli: the summary does not list the failed rows", ("tests/test_tour.py",)),
    # survived at first: only the verdict of an empty section was tested; killed by
    #   tests/test_tour.py::test_the_failure_summary_counts_the_failed_rows_and_names_an_empty_section
    Mutant("vi_ref/tour/framework.py",
           '            if not entry["rows"]:\n                out(f"  section {entry[\'key\']} checked nothing")\n',
           '            pass\n',
           "tour/cli: the summary does not name a section that checked nothing", ("tests/test_tour.py",)),
    # survived at first (as hash(key) & 0xFFFFFFFF; a bare hash(key) is often negative and refused by NumPy):
    #   every test ran in one process; killed by tests/test_tour.py::test_a_seed_gives_the_same_rows_in_every_process
    Mutant("vi_ref/tour/framework.py", 'zlib.crc32(key.encode("utf-8"))', "hash(key) & 0xFFFFFFFF",
           "tour/cli: section_rng from Python's salted hash (a seed's rows change from run to run)",
           ("tests/test_tour.py",)),
    # survived at first: section_rng was tested alone, never through run; killed by
    #   tests/test_tour.py::test_the_seed_reaches_the_sections_generators
    Mutant("vi_ref/tour/framework.py", "yield from candidate.check(section_rng(seed, candidate.key))",
           "yield from candidate.check(section_rng(0, candidate.key))",
           "tour/cli: run ignores the seed (every --seed runs seed 0)", ("tests/test_tour.py", "tests/test_cli.py")),
    Mutant("vi_ref/tour/framework.py", '"the check runs to the end", False)', '"the check runs to the end", True)',
           "tour/cli: an exception inside a check is a passing row", ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/framework.py", 'object.__setattr__(self, "ok", bool(self.ok))', "pass",
           "tour/cli: Row keeps a NumPy bool verdict", ("tests/test_tour.py", "tests/test_cli.py")),
    Mutant("vi_ref/tour/framework.py", "    if only is None:\n        return list(sections)",
           "    if not only:\n        return list(sections)", "tour/cli: an empty only selects every section",
           ("tests/test_tour.py", "tests/test_cli.py")),
    Mutant("vi_ref/tour/framework.py", "or (len(token) > 2 and token in candidate.title.lower()))",
           "or (len(token) > 1 and token in candidate.title.lower()))",
           "tour/cli: a two-letter name also matches title words", ("tests/test_tour.py",)),
    # survived at first: no test registered a key twice; killed by
    #   tests/test_tour.py::test_a_section_key_is_registered_once_whatever_its_case
    Mutant("vi_ref/tour/framework.py", "if any(existing.key.lower() == key.lower() for existing in SECTIONS):",
           "if any(existing.key == key for existing in SECTIONS):",
           "tour/cli: a section key registered twice in another case is accepted", ("tests/test_tour.py",)),
    # survived at first: only an SE of 0 was tested; killed by
    #   tests/test_tour.py::test_a_non_finite_standard_error_or_estimate_fails_the_row
    Mutant("vi_ref/tour/policy.py", "    usable = (standard_error > 0) & np.isfinite(standard_error)\n",
           "    usable = standard_error > 0\n",
           "tour/cli: an infinite standard error makes any estimate 0 SE off", ("tests/test_tour.py",)),
    # survived at first: no NaN estimate was tested; killed by
    #   tests/test_tour.py::test_a_non_finite_standard_error_or_estimate_fails_the_row
    Mutant("vi_ref/tour/policy.py", "    return float(np.max(ratio)), int(ratio.size)",
           "    return float(np.nanmax(ratio)), int(ratio.size)",
           "tour/cli: a NaN estimate beside finite ones is ignored (nanmax)", ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/policy.py", "    return float(np.max(ratio)), int(ratio.size)",
           "    return float(np.mean(ratio)), int(ratio.size)",
           "tour/cli: standard_errors_off averages the entries instead of taking the worst", ("tests/test_tour.py",)),
    # survived at first: rows were tested with one entry only (a stricter limit fails no correct tour at
    #   seed 7); killed by
    #   tests/test_tour.py::test_a_monte_carlo_rows_limit_has_a_family_wise_false_alarm_of_1e_6
    Mutant("vi_ref/tour/policy.py", "    limit = z_limit(count)\n", "    limit = z_limit()\n",
           "tour/cli: monte_carlo_row's limit without the Bonferroni count (false alarms above 1e-6)",
           ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/policy.py", "scipy.stats.norm.isf(false_alarm / (2 * comparisons))",
           "scipy.stats.norm.isf(false_alarm / comparisons)", "tour/cli: z_limit one-sided (α/m, not α/2m)",
           ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/policy.py", "scipy.stats.norm.isf(false_alarm / (2 * comparisons))",
           "scipy.stats.norm.isf(1 - (1 - false_alarm) ** (1 / comparisons))",
           "tour/cli: z_limit one-sided Šidák (1 − (1 − α)^(1/m), not two-sided)", ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/policy.py", "values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])",
           "values.std(axis=0, ddof=0) / np.sqrt(values.shape[0])", "tour/cli: sample_mean_and_error with ddof 0",
           ("tests/test_tour.py",)),
    Mutant("vi_ref/tour/policy.py", "    if not 0 < false_alarm < 1:\n", "    if not 0 <= false_alarm < 1:\n",
           "tour/cli: z_limit accepts a false-alarm probability of 0 (z = ∞)", ("tests/test_tour.py",)),
    Mutant("vi_ref/cli.py", "    return 0 if passed else 1\n", "    return 0\n",
           "tour/cli: vi-ref tour exits 0 after a failing row", ("tests/test_cli.py",)),
    Mutant("vi_ref/cli.py", "    if not listed or missing:", "    if not listed:",
           "tour/cli: vi-ref tour --only with one unmatched name runs the others", ("tests/test_cli.py",)),
    # survived at first: --verbose was tested on run, not through the command line; killed by
    #   tests/test_cli.py::test_verbose_prints_the_detail_rows
    Mutant("vi_ref/cli.py", "verbose=arguments.verbose,", "verbose=False,",
           "tour/cli: vi-ref tour --verbose ignored", ("tests/test_cli.py",)),
    # survived at first: argparse does not apply the type to the default 0, and no test gave --seed 0; killed by
    #   tests/test_cli.py::test_seed_0_the_default_is_accepted_and_reported
    Mutant("vi_ref/cli.py", "    if not 0 <= value < 2**63:", "    if not 0 < value < 2**63:",
           "tour/cli: --seed 0 (the default) refused", ("tests/test_cli.py",)),
    Mutant("vi_ref/cli.py", "    return 0 if all(result.ok for result in results) else 1\n", "    return 0\n",
           "tour/cli: vi-ref crosscheck exits 0 after a mismatch", ("tests/test_cli.py", "tests/test_crosscheck_files.py")),
    Mutant("vi_ref/cli.py", 'nothing was checked", file=sys.stderr)\n        return 1',
           'nothing was checked", file=sys.stderr)\n        return 0',
           "tour/cli: vi-ref crosscheck exits 0 when nothing was compared",
           ("tests/test_cli.py", "tests/test_crosscheck_files.py")),
    # survived at first: --rtol and --atol were given only with --list; killed by
    #   tests/test_cli.py::test_crosscheck_rtol_and_atol_override_the_tolerance_of_their_own_kind
    Mutant("vi_ref/cli.py", "rtol=arguments.rtol, atol=arguments.atol,", "rtol=arguments.atol, atol=arguments.rtol,",
           "tour/cli: vi-ref crosscheck --rtol and --atol swapped", ("tests/test_cli.py", "tests/test_crosscheck_files.py")),
    # survived at first: --rtol and --atol were given only with --list; killed by
    #   tests/test_cli.py::test_crosscheck_rtol_and_atol_override_the_tolerance_of_their_own_kind
    Mutant("vi_ref/cli.py", "rtol=arguments.rtol, atol=arguments.atol,", "rtol=None, atol=None,",
           "tour/cli: vi-ref crosscheck ignores --rtol and --atol",
           ("tests/test_cli.py", "tests/test_crosscheck_files.py")),
    Mutant("vi_ref/cli.py", "if value is not None]", "if value]",
           "tour/cli: vi-ref crosscheck --list --atol 0 ignores the 0", ("tests/test_cli.py",)),
    Mutant("vi_ref/cli.py", "as_json=arguments.json,", "as_json=False,", "tour/cli: vi-ref tour --json prints text",
           ("tests/test_cli.py",)),
    # survived at first: the unusable --out tested is a file (a ValueError); killed by
    #   tests/test_cli.py::test_figures_with_an_out_it_cannot_create_exits_2_with_the_reason
    #   (with a stand-in for matplotlib, so also where the plots extra is not installed)
    Mutant("vi_ref/cli.py", "    except (ImportError, ValueError, OSError) as error:",
           "    except (ImportError, ValueError) as error:",
           "tour/cli: vi-ref figures with an --out it cannot create ends in a traceback", ("tests/test_cli.py",)),
    # survived at first: no test compared two seeds' figures; killed by
    #   tests/test_figures.py::test_the_seed_changes_the_random_figures (with matplotlib) and
    #   tests/test_cli.py::test_figures_seed_reaches_the_figures_generator (without)
    Mutant("vi_ref/figures.py", "np.random.default_rng([seed, list(FIGURES).index(name)])",
           "np.random.default_rng([0, list(FIGURES).index(name)])", "tour/cli: vi-ref figures ignores --seed",
           ("tests/test_cli.py", "tests/test_figures.py")),
    # survived at first: no test compared two seeds' figures; killed by
    #   tests/test_figures.py::test_the_seed_changes_the_random_figures (with matplotlib) and
    #   tests/test_cli.py::test_figures_seed_reaches_the_figures_generator (without)
    Mutant("vi_ref/cli.py", "only=arguments.only, seed=arguments.seed)", "only=arguments.only, seed=0)",
           "tour/cli: vi-ref figures --seed not passed on", ("tests/test_cli.py", "tests/test_figures.py")),
    Mutant("vi_ref/tour/framework.py", "if not isinstance(self.ok, (bool, np.bool_)):", "if isinstance(self.ok, str):",
           "tour/cli: Row accepts a float verdict (bool(nan) is True: a NaN check passes)", ("tests/test_tour.py",)),
    # ----- audit S: Monte Carlo estimators and the conjugate models (survivors at first marked; each now killed)
    Mutant("vi_ref/estimators/generic.py", "others = (np.sum(values) - values) / (values.shape[0] - 1)",
           "others = np.full_like(values, np.mean(values))",
           "estimators/models: leave-one-out baseline is the mean of all n values, f(zₛ) included (biased)", (T_ES,)),
    Mutant("vi_ref/estimators/generic.py", "numerator = np.sum(_broadcast_over(values, squared) * squared, axis=0)",
           "numerator = np.sum(_broadcast_over(values, score) * score, axis=0)",
           "estimators/models: optimal baseline estimated as Σ f g / Σ g², not Σ f g² / Σ g²", (T_ES,)),
    # survived at first: no test used the optimal baseline on a coordinate whose score is always 0; killed by
    # tests/test_estimators.py::test_the_optimal_baseline_where_a_score_is_zero_on_every_sample
    Mutant("vi_ref/estimators/generic.py", "where=denominator > 0)", "where=denominator >= 0)",
           "estimators/models: optimal baseline 0/0 = NaN where the score vanished on every sample", (T_ES,)),
    # survived at first: per-coordinate baselines were only checked for unbiasedness (and refused shapes); killed by
    # tests/test_estimators.py::test_a_baseline_per_coordinate_is_subtracted_coordinate_by_coordinate
    Mutant("vi_ref/estimators/generic.py", 'f"baseline[{name!r}]", score.shape[1:])', 'f"baseline[{name!r}]", ())',
           "estimators/models: a dict baseline must be one number per parameter (arrays refused)", (T_ES,)),
    # survived at first (a baseline leaves the mean unbiased); killed by
    # tests/test_estimators.py::test_a_baseline_per_coordinate_is_subtracted_coordinate_by_coordinate
    Mutant("vi_ref/estimators/generic.py",
           '        return _constant_baseline(baseline[name], f"baseline[{name!r}]", score.shape[1:])',
           '        _constant_baseline(baseline[name], f"baseline[{name!r}]", score.shape[1:])\n        return 0.0',
           "estimators/models: a dict baseline checked, then ignored (b = 0)", (T_ES,)),
    Mutant("vi_ref/estimators/generic.py", '    return _constant_baseline(baseline, "baseline", ())',
           '    _constant_baseline(baseline, "baseline", ())\n    return 0.0',
           "estimators/models: a constant baseline checked, then ignored (b = 0)", (T_ES,)),
    Mutant("vi_ref/estimators/generic.py", "        return ad.sum(values)", "        return ad.mean(values)",
           "estimators/models: pathwise ∇_z f by autodiff of the mean over samples, not the sum (÷ n)", (T_ES,)),
    Mutant("vi_ref/estimators/elbo_gradients.py", 'if estimator == "reparameterization":\n        scores',
           'if estimator in ("reparameterization", "path_derivative"):\n        scores',
           "estimators/models: path_derivative keeps the score term −∇_φ log q", (T_ES,)),
    Mutant("vi_ref/estimators/elbo_gradients.py", 'if estimator != "closed_form_entropy":',
           'if estimator == "path_derivative":',
           "estimators/models: reparameterization without the −∇_z log q term of the path", (T_ES,)),
    Mutant("vi_ref/estimators/elbo_gradients.py", 'if estimator != "closed_form_entropy":', "if estimator:",
           "estimators/models: closed_form_entropy keeps −∇_z log q beside ∇H (entropy counted twice)", (T_ES,)),
    Mutant("vi_ref/estimators/elbo_gradients.py", "grads_phi[name] - terms.multiplicity * scores[name]",
           "grads_phi[name] - scores[name]",
           "estimators/models: reparameterization's score term not multiplied by the points sharing q", (T_ES,)),
    Mutant("vi_ref/estimators/elbo_gradients.py",
           "log_ratio = log_joint.reshape((n,) + self._q_points) - self.multiplicity * log_q",
           "log_ratio = log_joint.reshape((n,) + self._q_points) - log_q",
           "estimators/models: score-function ELBO weight counts log q once for a q shared by N points", (T_ES,)),
    # survived at first: the IWAE sample-path test had one q per point; killed by
    # tests/test_estimators.py::test_iwae_gradient_of_a_shared_diagonal_q_is_the_sample_path_derivative_group_by_group
    Mutant("vi_ref/estimators/elbo_gradients.py", "    log_weights = log_weights_of_draws(model, q, x, z, latent_axes)\n",
           "    log_weights = log_weights_of_draws(model, q, x, z, latent_axes)"
           " - (terms.multiplicity - 1) * log_q_of_draws(q, terms.padded, latent_axes)\n",
           "estimators/models: iwae_gradient's weights subtract log q once per point sharing q", (T_ES,)),
    # survived at first: the IWAE sample-path test used a MultivariateNormal (no latent axes); killed by
    # tests/test_estimators.py::test_iwae_gradient_of_a_shared_diagonal_q_is_the_sample_path_derivative_group_by_group
    Mutant("vi_ref/estimators/elbo_gradients.py", "    log_weights = log_weights_of_draws(model, q, x, z, latent_axes)\n",
           "    log_q = q.log_prob(terms.padded)\n"
           "    log_q = np.mean(log_q, axis=tuple(range(-latent_axes, 0))) if latent_axes else log_q\n"
           "    log_weights = np.asarray(model.log_joint(x, terms.padded) - log_q, dtype=float)\n",
           "estimators/models: iwae_gradient's weights average log q over the latent axes", (T_ES,)),
    # survived at first: the IWAE sample-path test summed over the groups, where any grouping gives the same sum;
    # killed by tests/test_estimators.py::
    #     test_iwae_gradient_of_a_shared_diagonal_q_is_the_sample_path_derivative_group_by_group
    Mutant("vi_ref/estimators/elbo_gradients.py", "return {name: value.reshape((n, k) + value.shape[1:]).sum(axis=1)",
           "return {name: value.reshape((k, n) + value.shape[1:]).sum(axis=0)",
           "estimators/models: iwae_gradient sums strided draws into a group, not the K normalised together", (T_ES,)),
    # survived at first: no test gave iwae_gradient a q outside the model's support; killed by
    # tests/test_estimators.py::test_elbo_gradient_refusals
    Mutant("vi_ref/estimators/elbo_gradients.py",
           "    _refuse_q_outside_latent_support(model, q)\n    z, eps = q.rsample(n * k",
           "    z, eps = q.rsample(n * k",
           "estimators/models: iwae_gradient accepts a Normal q over a positive latent (ELBO −∞)", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "2 * d**2 * ratio**2 + 2 * d + 8", "2 * d**2 * ratio**2 + 2 * d + 6",
           "estimators/models: exact suite dimension score-function Var σ_d: 2D + 8 → 2D + 6", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "d**3 * ratio**2 + 2 * d**2", "d**3 * ratio**2 + d**2",
           "estimators/models: exact suite dimension score-function Var m: 2D² → D²", (T_ES,)),
    # survived at first: the n = 2 test used the cosine, where E f ≈ 0; killed by
    # tests/test_estimators.py::test_quadratic_variances_in_closed_form_equal_the_quadrature
    Mutant("vi_ref/estimators/suite.py",
           "variance_of_f = gaussian_expectation(lambda e: (self._value(e) - self.mean_value) ** 2)",
           "variance_of_f = gaussian_expectation(lambda e: self._value(e) ** 2)",
           "estimators/models: exact suite leave-one-out variance with E f², not Var f", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "log_evidence**2 * value", "abs(log_evidence) * value",
           "estimators/models: exact suite STL score-function variance log p(x)² → |log p(x)|", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "damping = np.exp(-(k * scale) ** 2 / 2)",
           "damping = np.exp(-(k * scale) ** 2)",
           "estimators/models: exact suite cosine damping e^(−k²σ²/2) → e^(−k²σ²)", (T_ES,)),
    # survived at first: the bound's standard error at K = 256 was half the gap; killed by
    # tests/test_estimators.py::test_iwae_gap_approaches_chi_square_over_2k
    Mutant("vi_ref/estimators/suite.py", "return self.chi_square / (2 * k)", "return self.chi_square / k",
           "estimators/models: IWAE asymptotic gap χ²/(2K) → χ²/K", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "bias[name] = -gaussian_expectation(", "bias[name] = gaussian_expectation(",
           "estimators/models: exact suite optimal-baseline bias: sign", (T_ES,)),
    Mutant("vi_ref/models/linear_gaussian.py", "entropy = 0.5 * n_latent * (1.0 + LOG_2PI) + half_log_det",
           "entropy = 0.5 * n_latent * (1.0 + LOG_2PI) - half_log_det",
           "estimators/models: LinearGaussian ELBO entropy: sign of ½ log det S", (T_M, T_E, T_ES)),
    Mutant("vi_ref/models/linear_gaussian.py",
           "expected_log_prior = -0.5 * (ad.sum(ad.square(loc), axis=-1) + trace)",
           "expected_log_prior = -0.5 * ad.sum(ad.square(loc), axis=-1)",
           "estimators/models: LinearGaussian ELBO E_q[log p(z)]: tr S lost", (T_M, T_E, T_ES)),
    Mutant("vi_ref/models/linear_gaussian.py", "W_times_S = projected_factor @ np.swapaxes(factor, -1, -2)",
           "W_times_S = projected_factor @ factor",
           "estimators/models: LinearGaussian elbo_grad ∂/∂W: W S as W R R, not W R Rᵀ", (T_M, T_E, T_ES)),
    Mutant("vi_ref/models/linear_gaussian.py", "grad_factor = np.tril(-(self._capacitance @ factor))",
           "grad_factor = np.tril(-(factor @ self._capacitance))",
           "estimators/models: LinearGaussian elbo_grad ∂/∂R: M R → R M", (T_M, T_E, T_ES)),
    Mutant("vi_ref/models/linear_gaussian.py", "self._capacitance = np.eye(n_latent) + (W.T / self._noise) @ W",
           "self._capacitance = np.eye(n_latent) + (W.T / self._root_noise) @ W",
           "estimators/models: LinearGaussian capacitance I + Wᵀ Ψ^(−½) W, not I + Wᵀ Ψ⁻¹ W", (T_M, T_E, T_ES)),
    Mutant("vi_ref/models/linear_gaussian.py", "return np.ascontiguousarray(inverse[::-1, ::-1])",
           "return np.ascontiguousarray(inverse.T)",
           "estimators/models: LinearGaussian posterior scale_tril R′⁻ᵀ, not J R′⁻¹ J", (T_M, T_E, T_ES)),
    # survived at first: only the factor-analysis model's marginal_covariance was used; killed by
    # tests/test_models.py::test_linear_gaussian_marginal_covariance_is_the_covariance_of_the_evidence
    Mutant("vi_ref/models/linear_gaussian.py", "return self.W @ self.W.T + np.diag(self._noise)",
           "return self.W @ self.W.T + np.diag(self.noise_var)",
           "estimators/models: LinearGaussian marginal_covariance fails for PPCA's scalar noise_var", (T_M, T_E, T_ES)),
    Mutant("vi_ref/models/gamma_poisson.py",
           '"concentration": np.broadcast_to(np.log(beta) - scipy.special.digamma(alpha) + np.log(z), batch)[()]',
           '"concentration": np.broadcast_to(np.log(beta) - np.log(alpha) + np.log(z), batch)[()]',
           "estimators/models: GammaPoisson log_joint_grad ∂/∂α: ψ(α) → log α",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    Mutant("vi_ref/models/gamma_poisson.py", '"concentration": expected_log_rate - gamma_mean_log(alpha, beta),',
           '"concentration": expected_log_rate - np.log(alpha / beta),',
           "estimators/models: GammaPoisson elbo_grad ∂/∂α: E_p[log λ] = ψ(α) − log β → log(α/β)",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    Mutant("vi_ref/models/gamma_poisson.py",
           "loader = np.sum(_log_poisson(x, safe_mean), axis=-1) - total * _log_minus_digamma(a)",
           "loader = np.sum(_log_poisson(x, safe_mean), axis=-1) - total * 0.5 / a",
           "estimators/models: GammaPoisson ELBO (Gamma q): log a − ψ(a) → 1/(2a)",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    Mutant("vi_ref/models/gamma_poisson.py", '"loc": shape_weight - rate_weight * expected_rate + 1,',
           '"loc": shape_weight - rate_weight * expected_rate,',
           "estimators/models: GammaPoisson elbo_grad ∂/∂μ (LogNormal q): the entropy's +1 lost",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    Mutant("vi_ref/models/gamma_poisson.py", "return np.where(total > 0, loader, alpha * log_p)",
           "return np.where(total > 0, loader, log_p)",
           "estimators/models: GammaPoisson evidence of all-zero counts: α log p → log p",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    Mutant("vi_ref/models/gamma_poisson.py",
           "return Gamma(self.concentration + np.sum(x, axis=-1), self.rate + x.shape[-1])",
           "return Gamma(self.concentration + np.sum(x, axis=-1), self.rate + 1)",
           "estimators/models: GammaPoisson posterior rate β + n → β + 1",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    # survived at first: only the prior predictive mean was checked; killed by
    # tests/test_models.py::test_gamma_poisson_samples_have_the_prior_predictive_moments
    Mutant("vi_ref/models/gamma_poisson.py",
           "return generator.poisson(z[:, None], (n, n_observations)).astype(float), z",
           "return generator.poisson(self.prior.mean, (n, n_observations)).astype(float), z",
           "estimators/models: GammaPoisson.sample draws the counts at the prior mean, not at λ",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    # survived at first: the registry's cases give each data set its own q; killed by
    # tests/test_models_log_joint.py::test_gamma_poisson_elbo_grad_of_one_q_shared_by_the_data_sets
    Mutant("vi_ref/models/gamma_poisson.py",
           "summed_theta = {name: np.sum(np.broadcast_to(value, batch)) for name, value in grads_theta.items()}",
           "summed_theta = {name: np.sum(value) for name, value in grads_theta.items()}",
           "estimators/models: GammaPoisson elbo_grad θ not summed over the data sets sharing q",
           (T_M, T_E, "tests/test_models_log_joint.py", T_ES)),
    # ----- audit V: stochastic VI end to end, vi.py and learning.py (survivors at first marked; each now killed)
    Mutant("vi_ref/vi.py", "{name: np.mean(g, axis=0) / rows.size for name, g in grads_theta.items()}",
           "{name: np.mean(g, axis=0) / X.shape[0] for name, g in grads_theta.items()}",
           "svi: minibatch θ gradient divided by N, not |B| (the N/|B| factor lost)", ("tests/test_vi.py",)),
    # survived at first: no test read the φᵢ part of the minibatch gradient, and Adam's steps hide its scale;
    # killed by tests/test_vi.py::test_minibatch_gradient_of_each_qi_is_its_own_elbo_gradient
    Mutant("vi_ref/vi.py", "{name: np.mean(g, axis=0) for name, g in grads_phi.items()}",
           "{name: np.mean(g, axis=0) / rows.size for name, g in grads_phi.items()}",
           "svi: minibatch φᵢ gradient divided by |B|", ("tests/test_vi.py",)),
    # survived at first: Adam hides a positive factor per coordinate (the same sign, the same optimum); killed by
    # tests/test_vi.py::test_dataset_steps_move_theta_and_the_drawn_qi_by_their_unconstrained_gradients
    Mutant("vi_ref/vi.py", "        grads_phi = _pull_back(cls, local, grads_phi)\n", "",
           "svi: fit_dataset φ gradient not pulled back to the unconstrained coordinates", ("tests/test_vi.py",)),
    # survived at first: as the one above, and every qᵢ of the end-to-end run had the same scale; killed by
    # tests/test_vi.py::test_dataset_steps_move_theta_and_the_drawn_qi_by_their_unconstrained_gradients
    Mutant("vi_ref/vi.py", "        local = {name: v[rows] for name, v in phi.items()}",
           "        local = {name: v[: rows.size] for name, v in phi.items()}",
           "svi: fit_dataset pulls back φ at the first |B| rows, not the minibatch's", ("tests/test_vi.py",)),
    # survived at first: no test stepped GradientAscent with rows (fit_dataset ran Adam only); killed by
    # tests/test_vi.py::test_dataset_steps_move_theta_and_the_drawn_qi_by_their_unconstrained_gradients
    Mutant("vi_ref/vi.py", "            new[rows] += learning_rate * gradient",
           "            new[: rows.size] += learning_rate * gradient",
           "svi: GradientAscent with rows updates the first |B| rows", ("tests/test_vi.py",)),
    # survived at first: no run used learn_model=False; killed by
    # tests/test_vi.py::test_dataset_run_without_learn_model_keeps_the_model
    Mutant("vi_ref/vi.py", "        if learn_model:\n", "        if True:\n",
           "svi: fit_dataset learn_model=False still moves θ", ("tests/test_vi.py",)),
    Mutant("vi_ref/vi.py", "        count[index] += 1", "        count += 1",
           "svi: Adam's t advances for every row, not only the minibatch's", ("tests/test_vi.py",)),
    # killed at first only by end-to-end runs (the median gradient variances along a run; the Gamma's
    # evidence); now also by
    # tests/test_vi.py::test_adam_bias_corrected_moments_are_exact_for_a_constant_and_an_alternating_gradient
    Mutant("vi_ref/vi.py", "first[index] = self.beta1 * first[index] + (1 - self.beta1) * gradient",
           "first[index] = self.beta2 * first[index] + (1 - self.beta1) * gradient",
           "svi: Adam's first moment decays with β₂", ("tests/test_vi.py",)),
    # killed at first only by an end-to-end run (the Gamma's evidence); now also by
    # tests/test_vi.py::test_adam_bias_corrected_moments_are_exact_for_a_constant_and_an_alternating_gradient
    Mutant("vi_ref/vi.py", "second[index] = self.beta2 * second[index] + (1 - self.beta2) * gradient**2",
           "second[index] = self.beta1 * second[index] + (1 - self.beta2) * gradient**2",
           "svi: Adam's second moment decays with β₁", ("tests/test_vi.py",)),
    # killed at first only because the full-rank run diverged at twice its step; now also by
    # tests/test_vi.py::test_a_fit_step_is_the_scheduled_rate_times_the_mean_of_the_gradient_terms
    Mutant("vi_ref/vi.py", "grads = {name: np.mean(t, axis=0) for name, t in terms.items()}",
           "grads = {name: np.sum(t, axis=0) for name, t in terms.items()}",
           "svi: fit's gradient summed over the n_samples draws, not averaged", ("tests/test_vi.py",)),
    # survived at first: no test read the size of a step; killed by
    # tests/test_vi.py::test_a_fit_step_is_the_scheduled_rate_times_the_mean_of_the_gradient_terms
    Mutant("vi_ref/vi.py", "    factor = schedule(step - 1)", "    factor = schedule(step)",
           "svi: the schedule read at step t, not t − 1", ("tests/test_vi.py",)),
    # survived at first: no test read the size of a step; killed by
    # tests/test_vi.py::test_a_fit_step_is_the_scheduled_rate_times_the_mean_of_the_gradient_terms
    Mutant("vi_ref/vi.py", "{name: opt.step(name, v, grads[name], rate) for name",
           "{name: opt.step(name, v, grads[name], learning_rate) for name",
           "svi: fit ignores the schedule (steps of η)", ("tests/test_vi.py",)),
    # survived at first: refused anyway, but as "learning_rate must be positive", an argument the caller
    # gave right; killed by tests/test_vi.py::test_fit_refuses_bad_arguments (schedule returning 0.0)
    Mutant("vi_ref/vi.py", "or not np.isfinite(factor) or factor <= 0:", "or not np.isfinite(factor) or factor < 0:",
           "svi: a schedule factor of 0 accepted", ("tests/test_vi.py",)),
    # survived at first: only the timescale's refusal was tried; killed by
    # tests/test_vi.py::test_decay_schedule_satisfies_robbins_monro
    Mutant("vi_ref/vi.py", '    power = float(check_positive(as_float_array(power, "power", ndim=0), "power"))',
           '    power = float(as_float_array(power, "power", ndim=0))',
           "svi: decay_schedule accepts power ≤ 0", ("tests/test_vi.py",)),
    # survived at first: every trace tried had |mean| ≥ 1; killed by
    # tests/test_vi.py::test_window_rule_tolerance_is_absolute_for_estimates_below_one
    Mutant("vi_ref/vi.py", "    return abs(recent - previous) <= tol * max(1.0, abs(recent))",
           "    return abs(recent - previous) <= tol * abs(recent)",
           "svi: window rule relative to |mean| alone, not max(1, |mean|)", ("tests/test_vi.py",)),
    # survived at first: only `converged` was read; killed by
    # tests/test_vi.py::test_converged_step_is_the_first_estimate_at_which_the_rule_holds
    Mutant("vi_ref/vi.py", "            if converged_step is None and _window_converged(trace, window, tol):",
           "            if _window_converged(trace, window, tol):",
           "svi: converged_step is the last step the rule held, not the first", ("tests/test_vi.py",)),
    # survived at first: every run's steps were a multiple of eval_every; killed by
    # tests/test_vi.py::test_fit_estimates_every_eval_every_steps_and_at_the_last_step
    Mutant("vi_ref/vi.py", "if step % eval_every == 0 or step == steps:\n            elbo, standard_error, ratios_eval",
           "if step % eval_every == 0:\n            elbo, standard_error, ratios_eval",
           "svi: fit's last step not estimated unless a multiple of eval_every", ("tests/test_vi.py",)),
    # killed at first only by the full-rank run's `converged` (fewer estimates); now also by
    # tests/test_vi.py::test_fit_estimates_every_eval_every_steps_and_at_the_last_step
    Mutant("vi_ref/vi.py", '    return max(1, steps // 100) if eval_every is None',
           '    return max(1, steps // 10) if eval_every is None',
           "svi: fit's (and fit_dataset's) default eval_every steps // 10, not steps // 100", ("tests/test_vi.py",)),
    # survived at first: iterate_average reads only the later iterates; killed by
    # tests/test_vi.py::test_fit_estimates_every_eval_every_steps_and_at_the_last_step
    Mutant("vi_ref/vi.py", "    trace_parameters = [unconstrained]\n", "    trace_parameters = []\n",
           "svi: fit's trace_parameters miss the start (one shorter than the trace)", ("tests/test_vi.py",)),
    # survived at first: every test's iterates filled the blocks exactly; killed by
    # tests/test_vi.py::test_iterate_average_drops_the_earliest_iterates_that_do_not_fill_a_block
    Mutant("vi_ref/vi.py", "    kept = kept[len(kept) - size * n_batches :]", "    kept = kept[: size * n_batches]",
           "svi: iterate_average drops the latest iterates, not the earliest", ("tests/test_vi.py",)),
    # survived at first: no test averaged a data-set run; killed by
    # tests/test_vi.py::test_iterate_average_of_a_dataset_run_builds_the_model_and_q_from_the_means
    Mutant("vi_ref/vi.py", '        return model, _build(cls, _constrained(cls, mean["q"])), mean, standard_error',
           "        return model, result.q, mean, standard_error",
           "svi: iterate_average of a data-set run returns the last q, not the averaged", ("tests/test_vi.py",)),
    Mutant("vi_ref/vi.py", "float(np.sqrt(np.sum(np.square(errors))) / count)",
           "float(np.sqrt(np.sum(np.square(errors))) / np.sqrt(count))",
           "svi: fit_dataset ELBO SE √(Σ SEᵢ²)/√N, not /N", ("tests/test_vi.py",)),
    # survived at first: at s = 0.8 the two differed by 1.3×, within the test's 5 SE; killed (s = 0.3: 4×) by
    # tests/test_vi.py::test_tracked_gradient_variance_is_unbiased_at_two_samples
    Mutant("vi_ref/vi.py", "variances.append(_total_variance(_pull_back_terms(cls, unconstrained, terms)))",
           "variances.append(_total_variance(terms))",
           "svi: the tracked gradient variance in the constrained coordinates, not the optimiser's",
           ("tests/test_vi.py",)),
    Mutant("vi_ref/vi.py", '    elif estimator in PATHWISE and not is_reparameterizable(q):',
           '    elif estimator == "reparameterization" and not is_reparameterizable(q):',
           "svi: a pathwise estimator other than reparameterization accepted for a q that is not reparameterisable",
           ("tests/test_vi.py",)),
    Mutant("vi_ref/vi.py", 'if estimator != "reparameterization":', 'if estimator == "score_function":',
           "svi: a PlanarFlow q accepts the path derivative and closed-form entropy (run as reparameterization)",
           ("tests/test_vi.py", "tests/test_flows.py")),
    Mutant("vi_ref/learning.py", 'options={"maxiter": steps, "gtol": tol, "ftol": 0.0, "maxcor": 20}',
           'options={"maxiter": steps, "gtol": tol, "maxcor": 20}',
           "svi: learning L-BFGS stops at SciPy's default ftol, not ftol = 0", ("tests/test_learning.py",)),
    Mutant("vi_ref/learning.py", 'return slice(self._slices["loc"].start, self.size)',
           'return slice(self._slices["log_noise_var"].start, self.size)',
           "svi: learning gradient ascent steps log ψ by N·η like the local coordinates",
           ("tests/test_learning.py",)),
    Mutant("vi_ref/learning.py", "        step_sizes[problem.local_coordinates] *= problem.X.shape[0]\n", "",
           "svi: learning gradient ascent: the local coordinates' N·η lost", ("tests/test_learning.py",)),
    Mutant("vi_ref/learning.py", "*_rescale(*problem.unpack(vector), -centre / scale, 1 / scale))",
           "*_rescale(*problem.unpack(vector), -centre, 1 / scale))",
           "svi: learning maps init to the standardised data with offset −x̄, not −x̄/s",
           ("tests/test_learning.py",)),
    # survived at first: a rotation of W makes every optimal qᵢ's covariance diagonal, so L-BFGS still
    # reached the maximum likelihood with Aᵢ's strictly-lower entries stuck at 0; killed by
    # tests/test_learning.py::test_objective_grad_is_the_derivative_of_the_objective
    Mutant("vi_ref/learning.py", "grad_factor[:, self._lower[0], self._lower[1]],",
           "grad_factor[:, self._lower[1], self._lower[0]],",
           "svi: learning gradient of the strictly-lower Aᵢ read from the upper triangle",
           ("tests/test_learning.py",)),
    # ----- audit D: distributions (log_prob, sampling, entropy, moments, gradients, refusals)
    Mutant(D, 'return loc + scale * eps\n',
           'return loc - scale * eps\n',
           'D: Normal transform: μ + σε → μ − σε', (T_D,)),
    Mutant(D, '    return np.sum(values, axis=-1)\n',
           '    return np.sum(values, axis=0)\n',
           'D: Normal diagonal=True sums over the first axis, not the last', (T_D,)),
    Mutant(D, 'return ad.where(finite, (x - y) / scale, x / scale - y / scale)',
           'return ad.where(finite, (x - y) / scale, x / scale + y / scale)',
           'D: scaled_difference: sign of y/scale where x − y overflows', (T_D,)),
    Mutant(D, '"scale_tril": np.tril(outer) - _diagonal_matrix(inverse_diagonal)}',
           '"scale_tril": outer - _diagonal_matrix(inverse_diagonal)}',
           'D: MVN score ∂/∂R: tril dropped (gradient above the diagonal)', (T_D,)),
    Mutant(D, 'return self._broadcast_batch(np.sum(self.scale_tril**2, axis=-1), self.event_shape)',
           'return self._broadcast_batch(np.sum(self.scale_tril**2, axis=-2), self.event_shape)',
           'D: MVN variance: diag(RRᵀ) → diag(RᵀR)', (T_D,)),
    Mutant(D, 'return self.scale_tril @ np.swapaxes(self.scale_tril, -1, -2)',
           'return np.swapaxes(self.scale_tril, -1, -2) @ self.scale_tril',
           'D: MVN covariance_matrix: RRᵀ → RᵀR', (T_D,)),
    Mutant(D, 'return self._summed_over_batch({"loc": 0.0, "scale_tril": _diagonal_matrix(inverse_diagonal)})',
           'return self._summed_over_batch({"loc": 0.0, "scale_tril": _diagonal_matrix(inverse_diagonal) / 2})',
           'D: MVN entropy ∂/∂R: diag(1/Rᵢᵢ) halved (½ log det Σ read as log det R)', (T_D,)),
    Mutant(D, 'return ad.transpose(solved, axes=tuple(int(i) for i in np.argsort(axes)))',
           'return ad.transpose(solved, axes=tuple(int(i) for i in axes))',
           'D: MVN batched triangular solve: axes permuted back by the permutation, not its inverse', (T_D,)),
    Mutant(D, 'if size == 0:\n            raise',
           'if size < 0:\n            raise',
           'D: MVN: D = 0 accepted', (T_D, T_P)),
    Mutant(D, 'parameter_names = ("rate",)\n    support = NONNEGATIVE',
           'parameter_names = ("rate",)\n    support = POSITIVE',
           'D: Exponential support [0, ∞) → (0, ∞)', (T_D,)),
    Mutant(D, 'stirling = 0.5 / large + 0.5 * (1 / large) ** 2 + (1 - large)',
           'stirling = 0.5 / large + (1 - large)',
           'D: Gamma entropy ∂/∂α (α ≥ 10): the 1/(2α²) lost', (T_D,)),
    Mutant(D, 'self._broadcast_batch(self.concentration), 1 / self._broadcast_batch(self.rate), shape)',
           'self._broadcast_batch(self.concentration), self._broadcast_batch(self.rate), shape)',
           "D: Gamma sampling: NumPy's scale given β, not 1/β", (T_D,)),
    Mutant(D, 'return np.maximum(draws, np.nextafter(0.0, 1.0))',
           'return draws',
           'D: Gamma sampling: draws that round to 0 kept', (T_D,)),
    # survived at first: no test took the score at |βx/α − 1| between ½ and 5; killed by
    # tests/test_distributions.py::test_gamma_score_in_the_shape_far_from_the_mode_matches_the_digamma_formula
    Mutant(D, 'log_r = np.where(np.abs(u) < 0.5, np.log1p(np.clip(u, -0.5, 0.5))',
           'log_r = np.where(np.abs(u) < 5.0, np.log1p(np.clip(u, -0.5, 0.5))',
           'D: Gamma score ∂/∂α (α ≥ 10): log1p(u) clipped at |u| = ½ but used up to |u| = 5', (T_D,)),
    Mutant(D, 'direct = ad.digamma(alpha) - ad.log(rate)\n',
           'direct = ad.digamma(alpha) + ad.log(rate)\n',
           'D: Gamma E[log z] (α < 10): ψ(α) − log β → ψ(α) + log β', (T_D, T_K)),
    Mutant(D, '_LOG_GAMMA_ONE_PLUS = [-np.euler_gamma] +',
           '_LOG_GAMMA_ONE_PLUS = [np.euler_gamma] +',
           'D: lnΓ(1 + α) series: sign of −γα', (T_D,)),
    Mutant(D, 'return normal_log_prob(ad.log(x), loc, scale) - ad.log(x)',
           'return normal_log_prob(ad.log(x), loc, scale) + ad.log(x)',
           'D: LogNormal log-density: Jacobian −log x → +log x', (T_D,)),
    Mutant(D, 'return self._value_gradient(-(1 + (np.log(x) - self.loc) / self.scale**2) / x, inside)',
           'return self._value_gradient(-((np.log(x) - self.loc) / self.scale**2) / x, inside)',
           "D: LogNormal ∇ₓ log q: the Jacobian's 1 lost", (T_D,)),
    Mutant(D, 'unrepresentable = (z == 0) | (z == np.inf)',
           'unrepresentable = z == np.inf',
           'D: LogNormal: draws that underflow to 0 not refused', (T_D,)),
    Mutant(D, 'return -ad.sum(ad.where(probs > 0, probs * log_probs, 0.0), axis=-1)',
           'return -ad.sum(ad.where(probs >= 0, probs * log_probs, 0.0), axis=-1)',
           'D: Categorical entropy: 0 · log 0 not set to 0', (T_D,)),
    Mutant(D, 'deviations = self._categories - np.asarray(self.mean)[..., None]',
           'deviations = self._categories + 0 * np.asarray(self.mean)[..., None]',
           'D: Categorical variance: E[z²], not centred', (T_D,)),
    Mutant(D, 'self._logits = ad.log_softmax(logits, axis=-1)',
           'self._logits = logits - np.max(logits, axis=-1, keepdims=True)',
           'D: Categorical: logits shifted by their max, not normalised', (T_D,)),
    Mutant(D, 'bad = np.isfinite(values) & (values != np.floor(values))',
           'bad = np.isfinite(values) & (values < 0)',
           'D: Categorical: non-integer labels accepted', (T_D, T_P)),
    # survived at first: the binary-search sampler was run only without a batch; killed by
    # tests/test_distributions.py::test_categorical_sampling_by_binary_search_is_the_inverse_cdf_of_each_batch_member
    Mutant(D, 'column = (slice(None),) + index\n',
           'column = index + (slice(None),)\n',
           'D: Categorical sampling (large): batch and sample axes swapped', (T_D, T_P)),
    Mutant(D, 'inside = above & (x <= self.upper) & np.isfinite(x)',
           'inside = above & (x <= self.upper)',
           'D: Support.check: ±∞ inside', (T_D,)),
    Mutant(D, 'return np.where(inside, self._log_prob(x), -np.inf)[()]',
           'return np.where(inside | True, self._log_prob(x), -np.inf)[()]',
           'D: log_prob: the formula used outside the support', (T_D,)),
    Mutant(D, 'result[name] = np.where(mask, _full(gradient, shape + event), 0.0)',
           'result[name] = _full(gradient, shape + event)',
           'D: score: not 0 outside the support', (T_D,)),
    Mutant(D, 'raise ValueError(f"cotangent must have the shape of eps',
           'raise RuntimeError(f"cotangent must have the shape of eps',
           'D: transform_vjp: a cotangent of the wrong shape raises RuntimeError, not ValueError', (T_D,)),
    Mutant(D, 'eps = self._base_noise((n,) + self.batch_shape + self.event_shape, as_generator(rng))',
           'eps = self._base_noise((n,) + self.batch_shape + self.event_shape, as_generator(None))',
           'D: rsample ignores rng', (T_D,)),
    Mutant(D, 'result[name] = sum_to_shape(full, np.shape(getattr(self, name)))',
           'result[name] = full',
           'D: entropy gradient not summed over the broadcast batch', (T_D,)),
    Mutant(D, '        + 0.5 * u\n',
           '        - 0.5 * u\n',
           'D: lnΓ Bregman (|u| ≥ ½): sign of u/2', (T_K,)),
    Mutant(D, 'ad.log(a) - ad.log(b)),\n',
           'ad.log(b) - ad.log(a)),\n',
           'D: log_ratio: log b − log a where a/b leaves the float range', (T_D, T_K)),
    # survived at first: no entropy gradient at a logit of −∞; killed by
    # tests/test_distributions.py::test_categorical_entropy_gradient_is_zero_at_a_category_of_probability_zero
    Mutant(D, 'gradient = np.where(self._probs > 0, -self._probs * (self._logits + entropy), 0.0)',
           'gradient = np.where(self._probs >= 0, -self._probs * (self._logits + entropy), 0.0)',
           'D: Categorical entropy ∂/∂logits: 0 · (−∞) not set to 0 for a category of probability 0', (T_D,)),
    # survived at first: the bound was checked only for event shape (); killed by
    # tests/test_validation_policy.py::test_the_memory_bound_counts_every_coordinate_of_a_vector_draw
    Mutant(D, 'return int(np.prod(self.batch_shape + self.event_shape))',
           'return int(np.prod(self.batch_shape))',
           'D: sample: memory bound counts draws, not values (event shape left out)', (T_P,)),
    # survived at first: killed by tests/test_distributions.py::test_bad_reparameterisation_arguments_are_refused
    Mutant(D, 'if eps.ndim != 1 + len(per_sample) or eps.shape[1:] != per_sample:',
           'if eps.ndim != 1 + len(per_sample):',
           'D: transform_vjp: eps that only broadcasts with the batch accepted', (T_D,)),
    # survived at first: the scipy comparisons broadcast; killed by
    # tests/test_distributions.py::test_mean_variance_and_entropy_have_the_batch_shape
    Mutant(D, 'entropy = self._broadcast_batch(normal_entropy(self.scale))[()]',
           'entropy = np.asarray(normal_entropy(self.scale))[()]',
           "D: Normal entropy has scale's shape, not the batch shape", (T_D,)),
    # survived at first: killed by tests/test_distributions.py::test_mean_variance_and_entropy_have_the_batch_shape
    Mutant(D, 'return self._broadcast_batch(mvn_entropy(self.scale_tril))[()]',
           'return np.asarray(mvn_entropy(self.scale_tril))[()]',
           "D: MVN entropy has scale_tril's batch shape, not the batch shape", (T_D,)),
    Mutant(D, '"""E[z] = μ."""\n        return self._broadcast_batch(self.loc)\n',
           '"""E[z] = μ."""\n        return self.loc\n',
           "D: Normal mean has loc's shape, not the batch shape", (T_D,)),
    # survived at first (IndexError, not a ValueError naming loc); killed by
    # tests/test_distributions.py::test_bad_parameters_are_refused_naming_the_parameter
    Mutant(D, 'self.loc = as_float_array(loc, "loc", min_ndim=1)',
           'self.loc = as_float_array(loc, "loc")',
           'D: MVN: a 0-d loc not refused by name', (T_D,)),
    Mutant(D, 'return scale_tril * np.tril(np.ones((size, size)))',
           'return scale_tril * np.ones((size, size))',
           'D: MVN formulas read R above the diagonal', (T_D,)),
    # ----- audit Q: the autodiff rule table (vi_ref/autodiff/rules.py): forward semantics and edge branches
    # 13 of these 34 survived at first, each killed by a new test: the logaddexp weight of a −∞ beside a tie
    # of +∞, xlogy's ∂/∂y at x = y = 0, max's entries outside where= (a tie, a NaN), logsumexp's strong zero at a
    # NaN row, einsum subscripts with spaces, logaddexp's float64 result, and six out=/dtype= refusals
    Mutant(Q_RULES, "x ** np.where(y == 0, 0.0, y - 1)", "x ** (y - 1)",
           "Q: power ∂/∂x at y = 0: 0 · 0⁻¹ (NaN at x = 0), not 0 · x⁰", (Q_TA, Q_TN)),
    Mutant(Q_RULES, "log_x = np.where(x == 0, 0.0, np.log(np.where(x == 0, 1.0, x)))", "log_x = np.log(x)",
           "Q: power ∂/∂y at x = 0: xʸ log x is 0 · (−∞), not its limit 0", (Q_TN, T_R)),
    Mutant(Q_RULES, "if np.isnan(np.sum(x)) or np.isnan(np.sum(y)):", "if np.isnan(np.sum(x)):",
           "Q: maximum' a NaN in the other argument not propagated", (Q_TN,)),
    Mutant(Q_RULES, "contribution = np.where(unordered & (g != 0), np.nan, contribution)",
           "contribution = np.where(unordered, np.nan, contribution)",
           "Q: maximum' at a NaN: the strong zero lost (NaN where ḡ = 0)", (Q_TN,)),
    Mutant(Q_RULES, "e = np.exp(-2.0 * np.abs(x[tails]))", "e = np.exp(-2.0 * x[tails])",
           "Q: tanh' tail 4e/(1 + e)² with e = exp(−2x), not exp(−2|x|) (overflows for x ≪ 0)", (Q_TN,)),
    Mutant(Q_RULES, "derivative[np.isnan(derivative) & (g[tails] == 0)] = 0.0",
           "derivative[np.isnan(derivative)] = 0.0", "Q: tanh' at a NaN x: 0 also where ḡ ≠ 0", (Q_TN,)),
    Mutant(Q_RULES, "_TANH_TAIL = 2.2e-4", "_TANH_TAIL = 2.2e-7",
           "Q: tanh' recomputed only below 1 − t² < 2.2e-7 (relative accuracy lost before)", (Q_TN,)),
    Mutant(Q_RULES, "                derivative[in_block] = 1.0\n", "                derivative[in_block] = 0.0\n",
           "Q: tanh' a block's few tails set to 0 for the product (ḡ lost there)", (Q_TN,)),
    Mutant(Q_RULES, "    if g.strides != ans.strides:\n        return _tanh_vjp(g, ans, x)",
           "    if g.shape != ans.shape:\n        return _tanh_vjp(g, ans, x)",
           "Q: tanh' in place into a ḡ of another memory layout than t's", (Q_TN, Q_TM)),
    Mutant(Q_RULES, "key=lambda axis: -array.strides[axis]", "key=lambda axis: array.strides[axis]",
           "Q: tanh' blocked walk: axes from the smallest stride (reshape copies, result unwritten)", (Q_TN,)),
    Mutant(Q_RULES, "return _tanh_vjp_into(np.empty_like(ans), g, ans, x)",
           "return _tanh_vjp_into(np.empty(ans.shape), g, ans, x)",
           "Q: tanh' result in C order, not t's memory layout", (Q_TN,)),
    Mutant(Q_RULES, "sigmoid[np.broadcast_to(x, sigmoid.shape) == np.inf] = 1.0",
           "sigmoid[np.broadcast_to(x, sigmoid.shape) == np.inf] = 0.5",
           "Q: softplus' at +∞: ½, not the limit 1", (Q_TN,)),
    Mutant(Q_RULES, "infinite = np.isinf(x) & (x == ans)", "infinite = np.isinf(x)",
           "Q: logaddexp' an infinite x that is not the answer (−∞) given weight 1", (Q_TN,)),
    Mutant(Q_RULES, "large = (np.abs(ans) >= _LARGE_LOG_SUM) & np.isfinite(ans)",
           "large = np.abs(ans) >= _LARGE_LOG_SUM",
           "Q: logaddexp' σ(x − y) also at an infinite answer (NaN at a tie of infinities)", (Q_TN,)),
    Mutant(Q_RULES, "builtins.max(np.fmax.reduce(ans, axis=None), -np.fmin.reduce(ans, axis=None))",
           "np.fmax.reduce(ans, axis=None)",
           "Q: logaddexp' huge negative answers keep the rounded weights e^(x − ans)", (Q_TN,)),
    Mutant(Q_RULES, "_LARGE_LOG_SUM = 2.0**12", "_LARGE_LOG_SUM = 2.0**16",
           "Q: log-sum-exp weights renormalised only from |ans| ≥ 2^16", (Q_TN,)),
    Mutant(Q_RULES, "return g * np.where((x == 0) & ~np.isnan(y), 0.0, x / y)", "return g * (x / y)",
           "Q: xlogy ∂/∂y at x = 0: x/y (NaN at y = 0), not 0", (Q_TN,)),
    Mutant(Q_RULES, "        winners &= np.broadcast_to(where, a.shape)\n", "        pass\n",
           "Q: max/min VJP: an entry outside where= that equals the extremum shares ḡ", (Q_TN,)),
    Mutant(Q_RULES, "            unordered &= np.broadcast_to(where, a.shape)\n", "            pass\n",
           "Q: max/min VJP at a NaN: entries outside where= get NaN", (Q_TN,)),
    Mutant(Q_RULES, "contribution = g * winners / np.maximum(count, 1)", "contribution = g * winners / count",
           "Q: max/min VJP: a row without winners (NaN extremum) divides 0 by 0 where ḡ = 0", (Q_TN,)),
    Mutant(Q_RULES, "    return strong_zero_where_unused(contribution, g)\n", "    return contribution\n",
           "Q: logsumexp' at a NaN: the strong zero lost", (Q_TN,)),
    Mutant(Q_RULES, '2: True, "C": True}', '2: False, "C": True}',
           "Q: solve_triangular trans=2 read as 'N' (for real a it is 'T')", (Q_TA,)),
    Mutant(Q_RULES, 'if assume_a != "pos":', 'if assume_a not in ("pos", "sym"):',
           "Q: solve assume_a='sym' accepted and solved as 'pos'", (Q_TN,)),
    Mutant(Q_RULES, '    subscripts = subscripts.replace(" ", "")\n', "",
           "Q: einsum subscripts with spaces (NumPy ignores them) not stripped", (Q_TN,)),
    Mutant(Q_RULES, "output = ellipsis + \"\".join(sorted(c for c, n in counts.items() if n == 1))",
           "output = ellipsis + \"\".join(sorted((c for c, n in counts.items() if n == 1), reverse=True))",
           "Q: einsum implicit output labels in reverse alphabetical order", (Q_TN,)),
    Mutant(Q_RULES, '    _refuse_out_and_dtype("einsum", out)\n', "",
           "Q: einsum out= silently ignored", (Q_TA,)),
    Mutant(Q_RULES, "        _refuse_out_and_dtype(name, out)\n        return reduction", "        return reduction",
           "Q: max/min out= not refused (written into the caller's array)", (Q_TA,)),
    Mutant(Q_RULES, '_refuse_out_and_dtype("cumsum", out, dtype)', '_refuse_out_and_dtype("cumsum", out)',
           "Q: cumsum dtype= not refused", (Q_TA,)),
    Mutant(Q_RULES, '_refuse_out_and_dtype("prod", out, dtype)', '_refuse_out_and_dtype("prod", out)',
           "Q: prod dtype= not refused", (Q_TA,)),
    Mutant(Q_RULES, '    _refuse_out_and_dtype("concatenate", out, dtype)\n', "",
           "Q: concatenate out=/dtype= silently ignored", (Q_TA,)),
    Mutant(Q_RULES, '    _refuse_out_and_dtype("stack", out, dtype)\n', "",
           "Q: stack out=/dtype= silently ignored", (Q_TA,)),
    Mutant(Q_RULES, "return result[()] if result.ndim == 0 else result", "return result",
           "Q: logaddexp of two scalars a 0-d array, not NumPy's float64", (Q_TN,)),
    Mutant(Q_RULES, "expm1 = Primitive(\"expm1\", np.expm1, (lambda g, ans, x: g * np.exp(x),), **_E)",
           "expm1 = Primitive(\"expm1\", np.expm1, (lambda g, ans, x: g * (ans + 1),), **_E)",
           "Q: expm1' as ans + 1 (0 in the lower tail)", (Q_TA,)),
    Mutant(Q_RULES, "(lambda g, ans, x: g * ans * numerics.sigmoid(-x),)", "(lambda g, ans, x: g * ans * (1 - ans),)",
           "Q: sigmoid' as σ(1 − σ) (0 in the upper tail)", (Q_TA,)),
    # ----- audit E: EM for Gaussian mixtures (em.py, em_steps.py, models/gaussian_mixture.py)
    # survived at first (only full's count was read outside the peer test), as the next two; killed by
    # tests/test_em.py::test_bic_and_aic_count_the_free_parameters_of_each_covariance_type
    Mutant(E_EM, '            "tied": D * (D + 1) // 2,', '            "tied": D * D,',
           "E: EM free parameters (tied): D(D+1)/2 → D²", (T_EM,)),
    Mutant(E_EM, '            "diag": K * D,', '            "diag": D,', "E: EM free parameters (diag): K·D → D", (T_EM,)),
    Mutant(E_EM, '            "spherical": K,', '            "spherical": 1,',
           "E: EM free parameters (spherical): K → 1", (T_EM,)),
    # EM's seeds are validation.as_generator's since it takes the argument's name
    Mutant(V, "        raise (ValueError if wrong_value else TypeError)(\n", "        raise TypeError(\n",
           "E: EM seed: a negative seed a TypeError, not a ValueError as elsewhere", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_fit_refuses_a_single_sample_even_for_one_component
    Mutant(E_EM, "        if X.shape[0] < max(2, settings.n_components):",
           "        if X.shape[0] < settings.n_components:", "E: EM fit accepts a single sample (N ≥ K only)", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_max_iter_0_keeps_the_start_without_a_convergence_warning
    Mutant(E_EM, "        if not best.converged and settings.max_iter > 0:", "        if not best.converged:",
           "E: EM warns of non-convergence at max_iter = 0", (T_EM,)),
    Mutant(E_EM, "            if best is None or run.lower_bound > best.lower_bound:",
           "            if best is None or run.lower_bound < best.lower_bound:",
           "E: EM keeps the start with the lowest bound", (T_EM,)),
    # survived at first, as the next; killed by tests/test_em.py::test_user_start_is_used_exactly
    Mutant(E_EM, "        weights = start.weights if settings.weights_init is None else settings.weights_init",
           "        weights = start.weights", "E: EM weights_init alone is ignored", (T_EM,)),
    Mutant(E_EM, "        if settings.precisions_init is not None:\n            return GaussianMixture.from_precisions(",
           "        if False:\n            return GaussianMixture.from_precisions(",
           "E: EM precisions_init alone is ignored", (T_EM,)),
    Mutant(E_EM, "self.lower_bounds_[-1] if len(self.lower_bounds_) else -np.inf)]", "-np.inf)]",
           "E: EM warm start forgets the last log-likelihood (convergence restarts from −∞)", (T_EM,)),
    Mutant(E_EM, 'check_probability_vector(weights, "weights_init", rtol=tolerance / n_components)',
           'check_probability_vector(weights, "weights_init", rtol=tolerance)',
           "E: EM weights_init tolerance K times scikit-learn's", (T_EM,)),
    Mutant(E_EM, "    return weights / weights.sum()\n", "    return weights\n",
           "E: EM weights_init not renormalised", (T_EM,)),
    Mutant(E_EM, "        return factor @ np.swapaxes(factor, -1, -2)\n    return factor**2",
           "        return factor @ np.swapaxes(factor, -1, -2)\n    return factor",
           "E: EM precisions_ (diag, spherical): P² → P", (T_EM,)),
    Mutant(E_EM, 'tol=check_tolerance(self.tol, "tol"),\n            reg_covar=check_tolerance(self.reg_covar, "reg_covar"),',
           'tol=check_tolerance(self.tol, "tol", allow_zero=False),\n'
           '            reg_covar=check_tolerance(self.reg_covar, "reg_covar", allow_zero=False),',
           "E: EM settings: tol = 0 and reg_covar = 0 refused", (T_EM,)),
    Mutant(EM, "    return (expected - expectation.negative_entropy) / log_joint.shape[1]",
           "    return (expected - expectation.negative_entropy) / log_joint.shape[0]",
           "E: ELBO after the M-step divided by K, not N", (T_EM,)),
    Mutant(EM, "        distances -= 2 * (scaled @ centred.T)", "        distances -= scaled @ centred.T",
           "E: grouped diag distances: −2 λδ·x̃ → −λδ·x̃", (T_EM,)),
    Mutant(EM, "        offsets = (means - centre) @ factors  # row k", "        offsets = (means - centre) @ factors.T  # row k",
           "E: tied E-step kernel: Pᵀ(μ − c) → P(μ − c)", (T_EM,)),
    Mutant(EM, 'offsets = np.einsum("kij,ki->kj", factors, means - centre)',
           'offsets = np.einsum("kij,kj->ki", factors, means - centre)',
           "E: full E-step kernel: Pₖᵀ(μₖ − c) → Pₖ(μₖ − c)", (T_EM,)),
    Mutant(EM, "        rows = X[start:stop] if centre is None else X[start:stop] - centre",
           "        rows = X[start:stop]", "E: M-step means: sums not centred at c, c added anyway", (T_EM,)),
    Mutant(EM, "        scatter -= 2 * differences * (weights @ centred)",
           "        scatter -= differences * (weights @ centred)", "E: grouped diag scatter: −2δ Σ r x̃ → −δ Σ r x̃",
           (T_EM,)),
    Mutant(EM, "    between = sum((means - mode).T * row @ (means - mode)",
           "    between = sum((means - mode).T @ (means - mode)", "E: grouped tied scatter: Σₖ δₖδₖᵀ unweighted by the group's Nₖ",
           (T_EM,)),
    Mutant(EM, "scatter[live] / (n_features * counts[live]) + reg_covar",
           "scatter[live] / counts[live] + reg_covar", "E: M-step spherical: the 1/D of the mean over features lost",
           (T_EM,)),
    Mutant(EM, "counts[live, None, None]\n                                 + reg_covar * np.eye(n_features))",
           "counts[live, None, None]\n                                 + reg_covar)",
           "E: M-step full: reg_covar added to every entry, not the diagonal", (T_EM,)),
    Mutant(EM, "    return np.median(X[:: max(1, X.shape[0] // 4096)], axis=0)",
           "    return np.mean(X[:: max(1, X.shape[0] // 4096)], axis=0)", "E: kernels centred at the mean, not the median",
           (T_EM,)),
    Mutant(EM, "    if len(components) < len(log_joint):", "    if False:",
           "E: ELBO sums over components of weight 0 too (0 · −∞)", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_steps_refuse_bad_arguments
    Mutant(EM, '    reg_covar = check_tolerance(reg_covar, "reg_covar")\n    if previous', "    if previous",
           "E: m_step accepts a negative reg_covar", (T_EM,)),
    Mutant(M, "constant = self._log_det_precision_cholesky[component] - 0.5 * self.n_features * LOG_2PI",
           "constant = self._log_det_precision_cholesky[component] + 0.5 * self.n_features * LOG_2PI",
           "E: GMM log_likelihood: −(D/2) log 2π → +(D/2) log 2π", (E_T_GMM,)),
    Mutant(M, "self._log_det_precision_cholesky = np.sum(np.log(diagonals), axis=-1)",
           "self._log_det_precision_cholesky = 0.5 * np.sum(np.log(diagonals), axis=-1)",
           "E: GMM log det P → ½ log det P", (E_T_GMM,)),
    Mutant(M, "np.matmul(transposed_factors[k], centred, out=projected)", "np.matmul(factors[k], centred, out=projected)",
           "E: GMM Mahalanobis: ‖Pᵀ(x − μ)‖ → ‖P(x − μ)‖", (E_T_GMM,)),
    Mutant(M, "    shifted *= kept\n", "", "E: posterior: terms below the smallest normal kept as tiny, not 0",
           (E_T_GMM,)),
    Mutant(M, "noise = x[selected] @ scale.T if scale.ndim == 2", "noise = x[selected] @ scale if scale.ndim == 2",
           "E: GMM sample: L ε → Lᵀ ε", (E_T_GMM,)),
    Mutant(M, "weights = np.where(one_hot > 0, one_hot / self.weights, 0.0) - 1.0",
           "weights = np.where(one_hot > 0, one_hot / self.weights, 0.0)",
           "E: GMM log_joint_grad ∂/∂π: the −1 of the simplex lost", (E_T_LJ,)),
    Mutant(M, "covariance = 0.5 * (precision_times_residual[..., :, None]", "covariance = (precision_times_residual[..., :, None]",
           "E: GMM log_joint_grad ∂/∂Σ (full, tied): ½ lost", (E_T_LJ,)),
    Mutant(M, "where=counts > 0) - rows.shape[0]", "where=counts > 0)", "E: GMM elbo_grad ∂/∂π: the −N lost",
           (E_T_GMM,)),
    # survived at first (with the mixture's own test files), as the next two; killed by
    # tests/test_models_gaussian_mixture.py::test_elbo_grad_is_the_derivative_of_the_elbo_for_every_covariance_type
    Mutant(M, "grad_cov = 0.5 * (precisions**2 * second - counts[:, None] * precisions)",
           "grad_cov = 0.5 * (precisions * second - counts[:, None] * precisions)",
           "E: GMM elbo_grad ∂/∂σ² (diag, spherical): λ² S → λ S", (E_T_GMM,)),
    Mutant(M, 'grad_cov = grad_cov.sum(axis=0) if self.covariance_type == "tied" else grad_cov',
           'grad_cov = grad_cov[0] if self.covariance_type == "tied" else grad_cov',
           "E: GMM elbo_grad ∂/∂Σ (tied): the first component's term, not the sum over k", (E_T_GMM,)),
    Mutant(M, "grad_q = np.where(log_probs > -np.inf, probs * advantage, 0.0)",
           "grad_q = np.where(log_probs > -np.inf, advantage, 0.0)", "E: GMM elbo_grad ∂/∂logits: the factor rₙₖ lost",
           (E_T_GMM,)),
    Mutant(M, "    terms = np.where(log_joint == -np.inf, -np.inf, terms)\n", "",
           "E: GMM ELBO: q > 0 rounding to 0 on a weight-0 component gives NaN, not −∞", (E_T_GMM,)),
    Mutant(M, "half_log_det = 0.5 * ad.sum(ad.log(variances), axis=-1)", "half_log_det = ad.sum(ad.log(variances), axis=-1)",
           "E: GMM autodiff log joint (diag, spherical): ½ log det Σ → log det Σ", (E_T_LJ,)),
    Mutant(M, "    bad = (z < 0) | (z >= self.n_components)\n", "    bad = (z < 0) | (z > self.n_components)\n",
           "E: GMM labels: z = K accepted", (E_T_GMM,)),
    # ----- audit K: kl, numerics, validation, likelihoods, elbo, evidence
    Mutant(K, '"scale": np.broadcast_to((-relative * (2 + relative) - shift**2) / scale_p, shape)',
           '"scale": np.broadcast_to((-relative * (2 + relative) + shift**2) / scale_p, shape)',
           "K: Normal KL ∂/∂σp: −δ² → +δ²", (T_K,)),
    Mutant(K, "return 0.5 * ad.square(u) + log1pmx(u, log_ratio(scale_q, scale_p))",
           "return 0.5 * ad.square(u) + log1pmx(u)", "K: Normal KL: log r from log1p(u), not log_ratio", (T_K,)),
    Mutant(K, "return 0.5 * (strictly_lower + ad.sum(ad.square(whitened_shift), axis=-1)) + diagonal",
           "return 0.5 * strictly_lower + ad.sum(ad.square(whitened_shift), axis=-1) + diagonal",
           "K: MVN KL: ½‖y‖² → ‖y‖²", (T_K,)),
    Mutant(K, "_scale_divergence(ad.diagonal(lower_q, axis1=-2, axis2=-1), ad.diagonal(lower_p, axis1=-2, axis2=-1))",
           "_scale_divergence(ad.diagonal(lower_p, axis1=-2, axis2=-1), ad.diagonal(lower_q, axis1=-2, axis2=-1))",
           "K: MVN KL: diagonal terms with q and p swapped", (T_K,)),
    Mutant(K, "        - _diagonal_matrix(1 / np.diagonal(scale_q, axis1=-2, axis2=-1)),",
           "        + _diagonal_matrix(1 / np.diagonal(scale_q, axis1=-2, axis2=-1)),",
           "K: MVN KL ∂/∂Rq: sign of diag(1/Rq,ii)", (T_K,)),
    Mutant(K, '"scale_tril": -np.tril(solve_triangular(scale_p, second_moment, lower=True, transpose=True))',
           '"scale_tril": -np.tril(solve_triangular(scale_p, second_moment, lower=True, transpose=False))',
           "K: MVN KL ∂/∂Rp: Rp⁻ᵀ → Rp⁻¹", (T_K,)),
    Mutant(K, "second_moment = whitened_scale @ np.swapaxes(whitened_scale, -1, -2) + (",
           "second_moment = np.swapaxes(whitened_scale, -1, -2) @ whitened_scale + (",
           "K: MVN KL ∂/∂Rp: M Mᵀ → Mᵀ M", (T_K,)),
    Mutant(K, "concentrated = (ad.value_of(alpha_q) >= 2 * ad.value_of(alpha_p)) & (ad.value_of(alpha_q) >= 1)",
           "concentrated = ad.value_of(alpha_q) >= 2 * ad.value_of(alpha_p)",
           "K: Gamma KL: cross-entropy form also below αq = 1", (T_K,)),
    Mutant(K, "-shape_p * ad.log(beta_p)\n", "shape_p * ad.log(beta_p)\n",
           "K: Gamma KL cross-entropy: sign of αp log βp", (T_K,)),
    Mutant(K, "+ ad.gammaln(shape_p)\n", "- ad.gammaln(shape_p)\n", "K: Gamma KL cross-entropy: sign of lnΓ(αp)",
           (T_K,)),
    Mutant(K, "+ alpha_q * log1pmx(u, log_rho) + (alpha_q - alpha_p) * log_rho",
           "+ alpha_q * log1pmx(u, log_rho) + (alpha_p - alpha_q) * log_rho",
           "K: Gamma KL: (αq − αp) log ρ → (αp − αq) log ρ", (T_K,)),
    Mutant(K, '"rate": full((alpha_p - alpha_q * rho) / beta_q),', '"rate": full((alpha_p - alpha_q * rho) / beta_p),',
           "K: Gamma KL ∂/∂βq: /βq → /βp", (T_K,)),
    Mutant(K, "scipy.special.digamma(alpha_p) - scipy.special.digamma(alpha_q) + log_ratio(beta_q, beta_p)",
           "scipy.special.digamma(alpha_p) - scipy.special.digamma(alpha_q) + log_ratio(beta_p, beta_q)",
           "K: Gamma KL ∂/∂αp: log(βq/βp) → log(βp/βq)", (T_K,)),
    Mutant(K, "- ad.sum(ad.where(q_positive, 0.0, p), axis=-1, keepdims=True))",
           "+ ad.sum(ad.where(q_positive, 0.0, p), axis=-1, keepdims=True))",
           "K: Categorical KL near normaliser: sign of the mass where q = 0", (T_K,)),
    Mutant(K, "terms = ad.where(both, divergence_terms, ad.where(q_positive, 0.0, p))",
           "terms = ad.where(both, divergence_terms, 0.0)",
           "K: Categorical KL: Σ over q = 0 of p dropped", (T_K,)),
    Mutant(K, "q * (near_difference + ad.expm1(-near_difference))", "q * (near_difference - ad.expm1(-near_difference))",
           "K: Categorical KL near terms: d + expm1(−d) → d − expm1(−d)", (T_K,)),
    Mutant(K, 'grads_q = {"logits": np.where(q > 0, q * (difference - divergence), 0.0)}',
           'grads_q = {"logits": np.where(q > 0, q * difference, 0.0)}',
           "K: Categorical KL ∂/∂logits_q: − KL dropped", (T_K,)),
    Mutant(K, 'grads_p = {"probs": 1 - np.divide(', 'grads_p = {"probs": -np.divide(',
           "K: Categorical KL ∂/∂probs_p: the 1 dropped", (T_K,)),
    Mutant(K, "    if infinite.any():\n        raise ValueError(", "    if False:\n        raise ValueError(",
           "K: kl_divergence_grad: no refusal where the KL is +∞ at the parameters", (T_K,)),
    Mutant(K, "estimate = np.where(infinite, np.inf, np.mean(finite_ratio, axis=0))",
           "estimate = np.mean(finite_ratio, axis=0)",
           "K: kl_monte_carlo: a draw outside p's support ignored", (T_K,)),
    Mutant(N, "        shift = np.where(finite, largest, 0.0)\n", "        shift = largest\n",
           "K: logsumexp: shift also where the maximum is not finite", (T_N,)),
    Mutant(N, "    return y + np.log(-np.expm1(-y))", "    return y + np.log1p(-np.exp(-y))",
           "K: inv_softplus: log1p(−e⁻ʸ) instead of log(−expm1(−y))", (T_N,)),
    Mutant(N, "            np.log(-np.expm1(-np.minimum(a, np.log(2.0)))),",
           "            np.log1p(-np.exp(-np.minimum(a, np.log(2.0)))),",
           "K: log1mexp: the log1p form also below log 2", (T_N,)),
    # survived at first: no test scaled the matrix; killed by
    # tests/test_numerics.py::test_cholesky_symmetry_tolerance_is_relative_to_the_largest_entry
    Mutant(N, "    bad = asymmetry > symmetry_rtol * scale\n", "    bad = asymmetry > symmetry_rtol\n",
           "K: cholesky: symmetry tolerance absolute, not relative to the largest entry", (T_N,)),
    Mutant(N, "        spread = np.std(values, axis=axis, ddof=1)\n", "        spread = np.std(values, axis=axis, ddof=0)\n",
           "K: standard_error_of_mean: ddof 1 → 0", (T_N,)),
    Mutant(N, "    trans = 1 if transpose else 0\n", "    trans = 0\n",
           "K: solve_triangular (one factor): transpose ignored", (T_N,)),
    Mutant(V, "        bad = ~np.isfinite(array)\n", "        bad = np.isnan(array)\n",
           "K: as_float_array: ±inf accepted as finite", (T_V, T_P)),
    Mutant(V, "    if n < minimum:\n", "    if n <= minimum:\n", "K: check_count refuses n = minimum", (T_V, T_P)),
    # survived at first: no test passed a zero tolerance; killed by
    # tests/test_validation.py::test_check_tolerance_accepts_zero_unless_told_not_to
    Mutant(V, "    if value < 0 or (value == 0 and not allow_zero):", "    if value < 0 or (value == 0 and allow_zero):",
           "K: check_tolerance: allow_zero inverted", (T_V, T_P)),
    # survived at first: only None and missing methods were tried; killed by
    # tests/test_validation.py::test_check_methods_refuses_an_attribute_that_is_not_callable
    Mutant(V, "missing = [method for method in methods if not callable(getattr(value, method, None))]",
           "missing = [method for method in methods if not hasattr(value, method)]",
           "K: check_methods: a non-callable attribute accepted as a method", (T_V, T_P)),
    Mutant(L, '"logits": counts - X.shape[0] * weights,', '"logits": counts - weights,',
           "K: isotropic GMM ∂/∂logits: N πₖ → πₖ", (T_L,)),
    Mutant(L, "    if np.any((y != 0) & (y != 1)):\n", "    if np.any(y < 0):\n",
           "K: logistic labels: only negative labels refused", (T_L,)),
    Mutant(L, "row_exponent + weight_exponent\n", "row_exponent\n",
           "K: logistic logits where X @ w overflows: scaled back by 2ᵃ, not 2ᵃ⁺ᵇ", (T_L,)),
    Mutant(L, "sums = sums + X @ (weights - values)", "sums = sums + X @ (values - values)",
           "K: logistic logits where X @ w overflows: no derivative attached", (T_L,)),
    # survived at first: every −∞ draw came from a model whose declared support answered first; killed by
    # tests/test_elbo.py::test_a_draw_where_the_joint_is_zero_makes_the_elbo_and_the_iwae_bound_minus_infinity
    Mutant(E, "estimate = np.where(impossible, -np.inf, np.mean(log_ratio, axis=0))",
           "estimate = np.mean(log_ratio, axis=0)", "K: elbo_monte_carlo: a draw outside the support ignored",
           (T_E, T_P)),
    # survived at first: some draws of the tested q were negative; killed (Normal(50, 1), no negative draw) by
    # tests/test_elbo.py::test_normal_q_with_no_negative_draw_still_gives_minus_infinity_on_a_positive_latent
    Mutant(E, "    return support is not None and not support.includes(q.support)", "    return False",
           "K: elbo: q's support never checked against the model's", (T_E, T_P)),
    Mutant(E, "        return self.log_marginal - self.elbo - self.kl_to_posterior",
           "        return self.log_marginal - self.elbo + self.kl_to_posterior",
           "K: ELBODecomposition.residual: sign of KL", (T_E,)),
    # survived at first: no iwae_bound test had a −∞ weight; killed by
    # tests/test_elbo.py::test_a_draw_where_the_joint_is_zero_makes_the_elbo_and_the_iwae_bound_minus_infinity
    Mutant(E, "estimate = np.where(impossible, -np.inf, np.mean(values, axis=0))", "estimate = np.mean(values, axis=0)",
           "K: iwae_bound: a zero weight ignored", (T_E,)),
    # survived at first: √(S/(S − 1)) at S = 20000 is within 4 SE; killed (S = 3, by hand) by
    # tests/test_models.py::test_naive_monte_carlo_evidence_and_its_standard_error_from_three_draws_by_hand
    Mutant(EV, "np.std(weights, axis=0, ddof=1) / (np.sqrt(n) * np.mean(weights, axis=0))",
           "np.std(weights, axis=0, ddof=0) / (np.sqrt(n) * np.mean(weights, axis=0))",
           "K: log_marginal_monte_carlo SE: ddof 1 → 0", (T_M,)),
    # survived at first: no model had every likelihood 0; killed by
    # tests/test_models.py::test_naive_monte_carlo_evidence_with_every_likelihood_zero_is_minus_infinity_with_infinite_error
    Mutant(EV, "    standard_error = np.where(finite, standard_error, np.inf)\n",
           "    standard_error = np.where(finite, standard_error, 0.0)\n",
           "K: log_marginal_monte_carlo: SE 0, not ∞, where every likelihood is 0", (T_M,)),
    Mutant(EV, "    if np.any(outside):  # there the formula reads −∞ − (−∞)\n",
           "    if False:  # there the formula reads −∞ − (−∞)\n",
           "K: log_marginal_candidate: z outside the posterior's support accepted", (T_M, T_P)),
    # ----- audit B: coordinate-ascent VI (cavi/) and planar flows (survivors at first marked; each now killed)
    Mutant(CB, "    return -D * float(np.log(self.covariance))", "    return -float(np.log(self.covariance))",
           "B: log |W₀| (spherical): the D of −D log c lost", (T_CA,)),
    Mutant(CB, "return 2 * ad.sum(ad.log(ad.diagonal(scale_cholesky, 0, -2, -1)), axis=-1)",
           "return ad.sum(ad.log(ad.diagonal(scale_cholesky, 0, -2, -1)), axis=-1)",
           "B: log |Wₖ| (full, tied): 2 Σ log Uᵢᵢ → Σ log Uᵢᵢ", (T_CA,)),
    Mutant(CB, "return ad.sum(ad.sum((matrix @ scale_cholesky) * scale_cholesky, axis=-1), axis=-1)",
           "return ad.sum(ad.sum((scale_cholesky @ matrix) * scale_cholesky, axis=-1), axis=-1)",
           "B: tr(W₀⁻¹ Wₖ) (full, tied): U A in place of A U", (T_CA,)),
    Mutant(CB, "multivariate_digamma(parameters.degrees_of_freedom * 0.5, dimension)",
           "multivariate_digamma(parameters.degrees_of_freedom, dimension)", "B: E[log |Λₖ|]: ψ_D(νₖ/2) → ψ_D(νₖ)", (T_CA,)),
    Mutant(CB, "        - 0.5 * dimension * LOG_2PI\n", "        - 0.5 * LOG_2PI\n", "B: ℓₙₖ: (D/2) log 2π → ½ log 2π",
           (T_CA,)),
    Mutant(CB, "        - 0.5 * parameters.degrees_of_freedom * squares", "        - 0.5 * squares",
           "B: ℓₙₖ: νₖ lost from the quadratic form", (T_CA,)),
    Mutant(CB, "    log_rest = ad.digamma(second) - digamma_total", "    log_rest = ad.digamma(second) - ad.digamma(first)",
           "B: E[log(1 − vₖ)]: ψ(γ₁ + γ₂) → ψ(γ₁)", (T_CA,)),
    Mutant(CB, "+ n_components * scipy.special.gammaln(alpha0)", "+ scipy.special.gammaln(alpha0)",
           "B: Dirichlet KL: K log Γ(α₀) → log Γ(α₀)", (T_CA,)),
    # survived at first: log Γ(K · 1/K) = 0 at the default prior; killed by
    # tests/test_cavi.py::test_after_a_parameter_update_the_log_ratio_is_constant[dirichlet_distribution-other]
    Mutant(CB, "- scipy.special.gammaln(n_components * alpha0) + n_components", "+ n_components",
           "B: Dirichlet KL: −log Γ(K α₀) lost (0 at the default α₀ = 1/K)", (T_CA,)),
    Mutant(CB, "ad.sum((weight_concentration - alpha0) * (ad.digamma(weight_concentration)",
           "ad.sum((weight_concentration - 1.0) * (ad.digamma(weight_concentration)",
           "B: Dirichlet KL: (αₖ − α₀) → (αₖ − 1)", (T_CA,)),
    Mutant(CB, "- scipy.special.gammaln(1 + alpha0) + scipy.special.gammaln(alpha0)",
           "- scipy.special.gammaln(1 + alpha0)", "B: Beta KL: log B(1, α₀) → −log Γ(1 + α₀)", (T_CA,)),
    Mutant(CB, "+ nu0 * 0.5 * (prior.log_det_scale()", "+ nu * 0.5 * (prior.log_det_scale()",
           "B: Wishart KL: ν₀/2 (log |W₀| − log |W|) → ν/2", (T_CA,)),
    Mutant(CB, "kl_wishart = n_components * kl_wishart if kind == \"tied\"", "kl_wishart = kl_wishart if kind == \"tied\"",
           "B: Wishart KL (tied): counted once, not K times", (T_CA,)),
    Mutant(CB, "dimension * beta0 / beta - dimension + dimension * ad.log(beta / beta0)",
           "dimension * beta0 / beta - dimension + ad.log(beta / beta0)", "B: Gaussian KL: D log(β/β₀) → log(β/β₀)", (T_CA,)),
    # survived at first: log β₀ = 0 at the default β₀ = 1, and the argmax checks do not see a constant; killed by
    # tests/test_cavi.py::test_after_a_parameter_update_the_log_ratio_is_constant[*-other]
    Mutant(CB, "dimension * beta0 / beta - dimension + dimension * ad.log(beta / beta0)",
           "dimension * beta0 / beta - dimension + dimension * ad.log(beta)", "B: Gaussian KL: log(β/β₀) → log β",
           (T_CA,)),
    Mutant(CB, "later = np.append(np.cumsum(counts[::-1])[-2::-1], 0.0)", "later = np.cumsum(counts[::-1])[::-1]",
           "B: stick-breaking γ₂: Σⱼ>ₖ Nⱼ → Σⱼ≥ₖ Nⱼ", (T_CA,)),
    Mutant(CB, "        return prior.weight_concentration + counts\n", "        return prior.weight_concentration + counts - 1\n",
           "B: Dirichlet q(π): α₀ + Nₖ → α₀ + Nₖ − 1", (T_CA,)),
    Mutant(CB, "means = (prior.mean_precision * prior.mean + component_major @ X) / mean_precision[:, None]",
           "means = (component_major @ X) / mean_precision[:, None]", "B: q(μₖ): β₀ m₀ lost from mₖ", (T_CA,)),
    # survived at first: every test used the default β₀ = 1; killed by
    # tests/test_cavi.py::test_each_update_is_the_coordinate_argmax_by_autodiff[*-other] (priors off their defaults)
    Mutant(CB, "spread = scatter + prior.mean_precision * offsets[:, :, None] * offsets[:, None, :]",
           "spread = scatter + offsets[:, :, None] * offsets[:, None, :]", "B: Wₖ⁻¹ (full, tied): β₀ lost", (T_CA,)),
    Mutant(CB, "degrees_of_freedom = prior.degrees_of_freedom + counts.sum() / n_components",
           "degrees_of_freedom = prior.degrees_of_freedom + counts.sum()", "B: ν (tied): ν₀ + N/K → ν₀ + N", (T_CA,)),
    Mutant(CB, "            self.weights_ = weights / weights.sum()", "            self.weights_ = weights",
           "B: weights_ (stick breaking): not renormalised", (T_CA,)),
    # survived at first: no test compared starts; killed by
    # tests/test_cavi.py::test_of_several_starts_fit_keeps_the_highest_elbo
    Mutant(CB, "            if best is None or run.lower_bound > best.lower_bound:",
           "            if best is None or run.lower_bound < best.lower_bound:",
           "B: fit keeps the start with the lowest ELBO", (T_CA,)),
    # survived at first: only N = 2 < K = 3 was tried; killed by tests/test_cavi.py::test_refusals (N = 1, K = 1)
    Mutant(CB, "        if X.shape[0] < max(2, n_components):", "        if X.shape[0] < n_components:",
           "B: fit accepts a single sample", (T_CA,)),
    # survived at first: only the peer tests against scikit-learn read it; killed by
    # tests/test_cavi.py::test_default_covariance_prior_is_the_unbiased_sample_covariance
    Mutant(CB, "            variances = np.var(X, axis=0, ddof=1)", "            variances = np.var(X, axis=0, ddof=0)",
           "B: default covariance_prior (diag, spherical): ddof 1 → 0", (T_CA,)),
    # survived at first: every unit-variance test was 1-D; this and the next three killed by
    # tests/test_cavi.py::test_unit_variance_elbo_with_one_component_is_the_exact_evidence[2, 3]
    Mutant(CU, "second_moments = ad.sum(ad.square(means), axis=-1) + dimension * mean_variances",
           "second_moments = ad.sum(ad.square(means), axis=-1) + mean_variances",
           "B: unit-variance ELBO: E‖μₖ‖² = ‖mₖ‖² + D sₖ² loses D", (T_CA,)),
    Mutant(CU, "-0.5 * dimension * np.log(2 * np.pi * prior_variance)", "-0.5 * np.log(2 * np.pi * prior_variance)",
           "B: unit-variance ELBO: prior's (D/2) log 2πσ² loses D", (T_CA,)),
    Mutant(CU, "+ 0.5 * dimension * (LOG_2PI + 1 + ad.log(mean_variances))",
           "+ 0.5 * (LOG_2PI + 1 + ad.log(mean_variances))", "B: unit-variance ELBO: entropy loses D", (T_CA,)),
    Mutant(CU, "log_likelihood = -np.log(n_components) - 0.5 * dimension * LOG_2PI",
           "log_likelihood = -np.log(n_components) - 0.5 * LOG_2PI", "B: unit-variance ELBO: (D/2) log 2π → ½ log 2π",
           (T_CA,)),
    # survived at first: every unit-variance test was 1-D; killed by
    # tests/test_cavi.py::test_unit_variance_updates_are_coordinate_argmaxes_by_autodiff[2]
    Mutant(CU, "(np.sum(means**2, axis=1) + dimension * mean_variances)",
           "(np.sum(means**2, axis=1) + mean_variances)", "B: unit-variance q(cᵢ): D sₖ² → sₖ²", (T_CA,)),
    Mutant(CU, "    return variance * (weights @ X), variance", "    return (weights @ X) / weights.sum(), variance",
           "B: unit-variance q(μₖ): mₖ the weighted data mean (prior ignored)", (T_CA,)),
    # survived at first: no test read where the run stopped; killed by
    # tests/test_cavi.py::test_unit_variance_stops_at_the_first_iteration_whose_elbo_change_is_below_tol
    Mutant(CU, "            if abs(history[-1] - before) < tol:", "            if abs(history[-1] - history[-2]) < tol:",
           "B: unit-variance stopping rule on the last update's change, not the iteration's", (T_CA,)),
    Mutant(FL, "shift = (ad.softplus(-inner) - 1.0) / ad.sum(ad.square(w), axis=-1)",
           "shift = (ad.softplus(-inner) - 1.0) / ad.sum(ad.abs(w), axis=-1)", "B: planar û: divided by ‖w‖₁, not ‖w‖²",
           (T_FL,)),
    Mutant(FL, "    saturated = ad.value_of(squared) >= 0.5", "    saturated = ad.value_of(squared) >= 2.0",
           "B: planar log-det: the saturated branch (log1p) never taken", (T_FL,)),
    Mutant(FL, "near_one = ad.log1p(ad.where(saturated, slope, 0.0) * (pushed - 1.0))",
           "near_one = ad.log1p(ad.where(saturated, slope, 0.0) * (pushed + 1.0))",
           "B: planar log-det (saturated): softplus − 1 → softplus + 1", (T_FL,)),
    Mutant(FL, "    inner = ad.sum(w * u, axis=-1)\n    for k", "    inner = ad.sum(w * u_hat, axis=-1)\n    for k",
           "B: planar flow: the log-det from softplus(wᵀû), not softplus(wᵀu)", (T_FL,)),
    Mutant(FL, "        for k in reversed(range(self.n_layers)):\n            points",
           "        for k in range(self.n_layers):\n            points", "B: log_prob inverts the layers first to last",
           (T_FL,)),
    Mutant(FL, "    return -0.5 * np.sum(eps**2, axis=-1) - 0.5 * eps.shape[-1] * LOG_2PI",
           "    return -0.5 * np.sum(eps**2, axis=-1) - 0.5 * LOG_2PI", "B: log N(ε | 0, I): (D/2) log 2π → ½ log 2π",
           (T_FL,)),
    Mutant(FL, "    return z - np.tanh(alpha + b)[:, None] * u_hat", "    return z - np.tanh(alpha)[:, None] * u_hat",
           "B: layer inverse: tanh(α) for tanh(α + b)", (T_FL,)),
    Mutant(FL, "grad_w[:, k] = grad_activation[:, None] * y + grad_inner[:, None] * self.u[k]",
           "grad_w[:, k] = grad_activation[:, None] * y + grad_inner[:, None] * u", "B: flow VJP w̄: s̄ û for s̄ u",
           (T_FL,)),
    Mutant(FL, "        shift_slope = -sigmoid(-inner)", "        shift_slope = -sigmoid(inner)",
           "B: flow VJP through û: s′ = −σ(−x) → −σ(x)", (T_FL,)),
    # ----- audit T: the tour's sections (vi_ref/tour/*.py but framework and policy). Every section's
    # rows passed at seed 7 under all of these but the Categorical SE and the ρ-by-hand mutants: a row
    # that cannot fail was invisible to tests/test_tour.py. Each is now killed by
    # tests/test_tour_rows.py, which feeds the section a broken ingredient and asserts that row's FAIL;
    # the WarpedNormal Jacobian mutant needed a new row (VI3.1: log q is a density, ∫ q dz = 1)
    Mutant(T2_LVM, "relative_error(linear.log_marginal(x), marginal.logpdf(x))",
           "relative_error(linear.log_marginal(x), linear.log_marginal(x))",
           "T: lvm PPCA evidence row: the oracle replaced by the value it checks", (T2_ROWS,)),
    Mutant(T2_LVM, "return float(np.max(np.abs(np.asarray(actual) - expected) / np.maximum(1.0, np.abs(expected))))",
           "return float(np.min(np.abs(np.asarray(actual) - expected) / np.maximum(1.0, np.abs(expected))))",
           "T: lvm relative_error: the best entry instead of the worst", (T2_ROWS,)),
    Mutant(T2_LVM, "worst_off <= limit and errors[0] < errors[1] < errors[2] and bias < 0",
           "errors[0] < errors[1] < errors[2] and bias < 0",
           "T: lvm naive Monte Carlo row: L = 1 no longer within z SE", (T2_ROWS,)),
    Mutant(T2_LVM, "worst_off <= limit and errors[0] < errors[1] < errors[2] and bias < 0",
           "worst_off <= limit and errors[0] < errors[1] < errors[2]",
           "T: lvm naive Monte Carlo row: the sign of the bias (Jensen) not checked", (T2_ROWS,)),
    Mutant(T2_LVM, "spread <= 1e-10 and error <= 1e-10, \"VI1.1\")", "spread <= 1e-10, \"VI1.1\")",
           "T: VI1.1 row: log p(x, z) − log p(z|x) only constant in z, not equal to log p(x)", (T2_ROWS,)),
    Mutant(T2_LVM, "error <= 1e-12 and np.isfinite(found[1])", "np.isfinite(found[1])",
           "T: VI1.2 row: only finiteness checked, not the decimal sum", (T2_ROWS,)),
    Mutant(T2_LB, "excess = float(np.max(bounds - evidence) / scale)", "excess = float(np.min(bounds - evidence) / scale)",
           "T: bounds row 1: the least excess g − f instead of the largest (vacuous)", (T2_ROWS,)),
    Mutant(T2_LB, "touching = float(np.max(np.abs(np.diagonal(bounds) - evidence)) / scale)",
           "touching = float(np.min(np.abs(np.diagonal(bounds) - evidence)) / scale)",
           "T: bounds row 2: touching at one θ₀ instead of every", (T2_ROWS,)),
    Mutant(T2_LB, "above > z * errors[np.argmax(faulty - evidence)]", "abs(above) > z * errors[np.argmax(faulty - evidence)]",
           "T: VI2.1 row 1: |g − f| instead of g − f (a member far below f passes)", (T2_ROWS,)),
    Mutant(T2_LB, "below = float(np.max(objective - upper) / scale)", "below = float(np.min(objective - upper) / scale)",
           "T: VI2.2 row 1: the least f − u instead of the largest (vacuous)", (T2_ROWS,)),
    Mutant(T2_ELBO, "error <= 1e-9 and 0 < gap < 1, \"VI2.3\")", "0 < gap < 1, \"VI2.3\")",
           "T: VI2.3 row 3: the LogNormal ELBO's quadrature check dropped", (T2_ROWS,)),
    Mutant(T2_ELBO, "residual = max(float(np.max(np.abs(elbo_decomposition(m, q, d).residual)))",
           "residual = max(float(np.max(elbo_decomposition(m, q, d).residual))",
           "T: elbo row 1: the residual without |·| (a negative residual passes)", (T2_ROWS,)),
    Mutant(T2_ELBO, "estimates.append(estimate), errors.append(standard_error), exact.append(model.elbo(data, q))",
           "estimates.append(estimate), errors.append(standard_error), exact.append(estimate)",
           "T: elbo Monte Carlo row: the oracle replaced by the estimate", (T2_ROWS,)),
    Mutant(T2_DF, "\"≤ 1e-8 (quadrature at epsrel 1e-10)\", worst <= 1e-8)", "\"≤ 1e-8 (quadrature at epsrel 1e-10)\", worst <= 1e-3)",
           "T: kl quadrature row: tolerance 1e-8 → 1e-3", (T2_ROWS,)),
    Mutant(T2_DF, "standard_error, exact, \"Monte Carlo with scipy's sampler and densities, S = 40000\")",
           "standard_error, estimate, \"Monte Carlo with scipy's sampler and densities, S = 40000\")",
           "T: kl MVN Monte Carlo row: the oracle replaced by the estimate", (T2_ROWS,)),
    Mutant(T2_DF, "yield monte_carlo_row(\"kl_monte_carlo estimates the closed form\", estimate, standard_error, exact,",
           "yield monte_carlo_row(\"kl_monte_carlo estimates the closed form\", estimate, 10 * standard_error, exact,",
           "T: kl_monte_carlo row: its standard error ×10", (T2_ROWS,)),
    Mutant(T2_DF, "worst_self <= 1e-14 and smallest > 0)", "worst_self <= 1e-14)",
           "T: kl nonnegativity row: KL(q‖p) > 0 not checked", (T2_ROWS,)),
    Mutant(T2_DF, "\"≤ 1e-12 (round-off)\", max(errors) <= 1e-12)", "\"≤ 1e-12 (round-off)\", min(errors) <= 1e-12)",
           "T: families row 1: the best family instead of the worst", (T2_ROWS,)),
    Mutant(T2_DF, "estimates, standard_errors, exact, \"scipy.stats moments; exact SEs from μ₄\")",
           "estimates, standard_errors, estimates, \"scipy.stats moments; exact SEs from μ₄\")",
           "T: families sampling row: the oracle replaced by the estimates", (T2_ROWS,)),
    Mutant(T2_DF, "for score in q.log_prob_grad(q.sample(n, rng=rng)).values():",
           "for score in list(q.log_prob_grad(q.sample(n, rng=rng)).values())[:1]:",
           "T: families score row: only each family's first parameter checked", (T2_ROWS,)),
    Mutant(T2_DF, "variance_errors.append(np.sqrt((fourth - label_variance**2) / n))",
           "variance_errors.append(np.sqrt(fourth / n))",
           "T: families sampling row: Categorical variance SE from μ₄ instead of μ₄ − σ⁴", (T2_TOUR,)),
    Mutant(T2_EM, "relative(f.score_samples(X), scipy_log_evidence(f.model_, X))",
           "relative(f.score_samples(X), f.score_samples(X))",
           "T: em row 1: the oracle replaced by the value it checks", (T2_ROWS,)),
    Mutant(T2_EM, "free = gradients[:2] + (np.triu(gradients[2]),)", "free = gradients[:1]",
           "T: em M-step gradient row: only the weights' gradient checked", (T2_ROWS,)),
    Mutant(T2_MCG, "errors.append(np.ravel(np.sqrt(np.asarray(variance[name]) / SAMPLES)))",
           "errors.append(np.ravel(np.sqrt(np.asarray(variance[name]) / np.sqrt(SAMPLES))))",
           "T: monte-carlo-gradients suite rows: SE √(Var/√S) instead of √(Var/S)", (T2_ROWS,)),
    Mutant(T2_MCG, "ratio <= 0.25 and measured[0] < measured[1] < measured[2]", "measured[0] < measured[1] < measured[2]",
           "T: monte-carlo-gradients variance row: measured against exact not checked", (T2_ROWS,)),
    Mutant(T2_MCG, "spread <= 1e-10 and usual > 0.1", "usual > 0.1",
           "T: reparameterization sticking-the-landing row: the zero variance not checked", (T2_ROWS,)),
    Mutant(T2_MCG, "def _elbo_gradient_row(claim, estimators, settings, rng, parts=(0, 1)):",
           "def _elbo_gradient_row(claim, estimators, settings, rng, parts=(0,)):",
           "T: ELBO gradient rows: ∇φ not checked by default", (T2_ROWS,)),
    Mutant(T2_OPT, "error = max(float(np.max(np.abs(grads_theta[k] - numerical[k]) / np.maximum(1, np.abs(numerical[k]))))\n                for k in numerical)",
           "error = max(float(np.max(np.abs(grads_theta[k] - numerical[k]) / np.maximum(1, np.abs(numerical[k]))))\n                for k in (\"b\",))",
           "T: gradients-of-the-elbo row 1: only ∇_b checked", (T2_ROWS,)),
    Mutant(T2_SVI, "        expected.append(np.ravel(exact[name]))",
           "        expected.append(strata.mean(axis=(0, 1)))",
           "T: svi-minibatch row: the oracle replaced by the estimate", (T2_ROWS,)),
    Mutant(T2_SVI, "abs(total - 1) <= 1e-6)", "total - 1 <= 1e-6)",
           "T: flows row 1: one-sided (a density integrating below 1 passes)", (T2_ROWS,)),
    Mutant(T2_SVI, "learning_rate=0.5 / curvature", "learning_rate=0.005 / curvature",
           "T: svi: step 100× too short (800 steps do not converge)", (T2_TOUR,)),
    Mutant(T2_CAVI, "means + 0.05 * rng.standard_normal(means.shape)", "means",
           "T: cavi row 2: q(μ)'s means never perturbed", (T2_ROWS,)),
    Mutant(T2_3M, "em_fall >= -1e-12 and tightness <= 1e-10", "em_fall >= -1e-12",
           "T: em-cavi-svi row 1: EM's bound = log p(x | μ) after E-steps not checked", (T2_ROWS,)),
    Mutant(T2_3M, "collapsed >= cavi.lower_bound_ - limit * collapsed_error and mismatch <= 1e-12",
           "collapsed >= cavi.lower_bound_ - limit * collapsed_error",
           "T: em-cavi-svi row 2: the collapsed log-joint against scipy.stats not checked", (T2_ROWS,)),
    Mutant(T2_Q3, "np.array(estimates), np.array(errors), np.array([grad_loc, grad_scale]),",
           "np.array(estimates), np.array(errors), np.array(estimates),",
           "T: VI3.1 (a): the oracle replaced by the estimates", (T2_ROWS,)),
    Mutant(T2_Q3, "error = float(np.max(np.abs(numerical - [grad_loc, grad_scale])))",
           "error = float(np.max(np.abs(numerical - numerical)))",
           "T: VI3.1 quadrature-derivative row: compared with itself", (T2_ROWS,)),
    Mutant(T2_Q3, "                       - np.log1p(WARP * scipy.special.expit(eps)))",
           "                       )", "T: VI3.1 WarpedNormal log q: the Jacobian's −log(1 + a σ(ε)) lost", (T2_ROWS,)),
    Mutant(T2_Q3, "max(abs(correlation), divergence, gap) <= 1e-12", "max(abs(correlation), gap) <= 1e-12",
           "T: VI3.2 row: KL(q_MF‖p) not checked", (T2_ROWS,)),
    Mutant(T2_Q3, "expected = -weights[0] * weights[1] / noise / np.sqrt(np.prod(1 + weights**2 / noise))",
           "expected = -weights[0] * weights[1] / noise / np.sqrt(np.prod(1 + weights**2))",
           "T: VI3.3 ρ by hand: σ² missing in Λᵢᵢ", (T2_TOUR,)),
    Mutant(T2_GE, "        ok = all(check.ok for check in checks)\n", "        ok = any(check.ok for check in checks)\n",
           "T: gradient-engine case row: passes when any of its checks passes", (T2_ROWS,)),
    Mutant(T2_GE, "\"0 and 0\", not missing and not unknown)", "\"0 and 0\", not unknown)",
           "T: gradient-engine coverage row: missing gradients not checked", (T2_ROWS,)),
    # ----- found after the audits
    Mutant(D, "        return np.minimum(draws, last_positive)\n", "        return draws\n",
           "Categorical sampling: a trailing category of probability 0 drawn when u ≥ the rounded total", (T_D,)),
    Mutant(Q_RULES, "return g * np.where((x == 0) & ~np.isnan(y), 0.0, x / y)", "return g * np.where(x == 0, 0.0, x / y)",
           "xlogy ∂/∂y at x = 0, y = NaN: 0, where the value is NaN", (Q_TN,)),
    # ----- audit L: the conjugate models (linear_gaussian, gamma_poisson, evidence, _checks)
    Mutant(LE, "- 0.5 * np.shape(ad.value_of(z))[-1] * LOG_2PI", "- np.shape(ad.value_of(z))[-1] * LOG_2PI",
           "L: LinearGaussian log_prior: (L/2) log 2π → L log 2π", (T_M,)),
    Mutant(LE, "residual = x - ad.matmul(z, ad.transpose(W)) - b", "residual = x - ad.matmul(z, ad.transpose(W)) + b",
           "L: LinearGaussian log_likelihood: x − Wz − b → x − Wz + b", (T_M,)),
    Mutant(LE, "factor = _lower_triangle(scale_tril)", "factor = scale_tril",
           "L: LinearGaussian ELBO (full q): the upper triangle of scale_tril read", (T_E,)),
    Mutant(LE, "trace = ad.sum(ad.square(factor), axis=(-2, -1))",
           "trace = ad.sum(ad.square(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)",
           "L: LinearGaussian ELBO (full q): tr S = ‖R‖²_F → Σᵢ Rᵢᵢ²", (T_E,)),
    Mutant(LE, "half_log_det = ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)",
           "half_log_det = 2 * ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)",
           "L: LinearGaussian ELBO (full q): ½ log det S → log det S", (T_E,)),
    Mutant(LE, "trace = ad.sum(ad.square(scale), axis=-1)", "trace = ad.sum(scale, axis=-1)",
           "L: LinearGaussian ELBO (diagonal q): tr S = Σ s² → Σ s", (T_E,)),
    Mutant(LE, "projected_factor = W * ad.reshape(scale, np.shape(ad.value_of(scale))[:-1] + (1, n_latent))",
           "projected_factor = W * ad.reshape(ad.square(scale), np.shape(ad.value_of(scale))[:-1] + (1, n_latent))",
           "L: LinearGaussian ELBO (diagonal q): w_dᵀ S w_d with s⁴ for s²", (T_E,)),
    Mutant(LE, "residual = x - b - ad.matmul(W, loc[..., None])[..., 0]",
           "residual = x - ad.matmul(W, loc[..., None])[..., 0]", "L: LinearGaussian ELBO: b lost from the residual",
           (T_E,)),
    Mutant(LE, "ad.log(noise_var) + expected_square / noise_var, axis=-1)",
           "ad.log(noise_var) + expected_square * noise_var, axis=-1)",
           "L: LinearGaussian ELBO: E[(x − Wz − b)²]/ψ → E[(x − Wz − b)²]·ψ", (T_E,)),
    Mutant(LE, "if n_features == 0 or n_latent == 0:", "if n_features == 0:",
           "L: LinearGaussian: a W with no columns (L = 0) accepted", (T_M, T_F)),
    Mutant(LE, '"z": -z + weighted_residual @ self.W,', '"z": z + weighted_residual @ self.W,',
           "L: LinearGaussian log_joint_grad ∂/∂z: the prior's −z → +z", (E_T_LJ,)),
    Mutant(LE, '"noise_var": residual_term if self.noise_var.ndim else np.sum(residual_term, axis=-1),',
           '"noise_var": residual_term if self.noise_var.ndim else np.mean(residual_term, axis=-1),',
           "L: LinearGaussian log_joint_grad ∂/∂σ² (PPCA): mean over d, not sum", (E_T_LJ, T_R)),
    Mutant(LE, "noise = generator.standard_normal((n, self.n_features)) * np.sqrt(self._noise)",
           "noise = generator.standard_normal((n, self.n_features)) * self._noise",
           "L: LinearGaussian.sample: noise scaled by ψ, not √ψ", (T_M,)),
    Mutant(LE, "scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)",
           "scale = np.where(np.isfinite(scale), scale, 1.0)",
           "L: LinearGaussian evidence and posterior at x = b: 0/0 (the zero scale kept)", (T_M,)),
    Mutant(LE, "np.sum(projection**2, axis=0) + np.sum(rotated[rank:] ** 2, axis=0)", "np.sum(projection**2, axis=0)",
           "L: LinearGaussian evidence: ‖y₂‖², the part of x − b outside the span of W, lost", (T_M,)),
    Mutant(LE, "np.concatenate([self._noise, np.diagonal(self._stacked_r), np.diagonal(self._stacked_r)])",
           "np.concatenate([self._noise, np.diagonal(self._stacked_r)])",
           "L: LinearGaussian log det C: Πᵢ Uᵢᵢ, not Πᵢ Uᵢᵢ²", (T_M,)),
    Mutant(LE, "        upper *= np.sign(np.diagonal(upper))[:, None]\n", "",
           "L: LinearGaussian posterior scale_tril: its diagonal not made positive", (T_M, T_E)),
    Mutant(LE, "scale = np.max(np.abs(centred), axis=-1, keepdims=True)", "scale = np.max(np.abs(centred))",
           "L: LinearGaussian evidence: x − b scaled by the batch's largest entry, not each point's own", (T_M,)),
    Mutant(LE, 'self._row_order = np.argsort(-np.max(np.abs(scaled), axis=1), kind="stable")',
           "self._row_order = np.arange(n_features)",
           "L: LinearGaussian QR of Ψ^(−½) W: rows not sorted by size", (T_M,)),
    Mutant(LE, '        stacked = stacked[np.argsort(-np.max(np.abs(stacked), axis=1), kind="stable")]\n', "",
           "L: LinearGaussian posterior scale_tril: rows of [I; R₁] not sorted by size", (T_M,)),
    Mutant(LE, "np.where(low, exponent - 1, exponent)", "np.where(low, exponent + 1, exponent)",
           "L: LinearGaussian log det C (_log_abs_product): a doubled mantissa's exponent +1, not −1", (T_M,)),
    Mutant(LE, '"noise_var": sum_to_shape(0.5 * (expected_square / noise - 1) / noise, self.noise_var.shape),',
           '"noise_var": sum_to_shape(0.5 * (expected_square / noise - 1), self.noise_var.shape),',
           "L: LinearGaussian elbo_grad ∂/∂ψ: the outer 1/ψ lost", (T_E,)),
    Mutant(G, "return total * ad.log(z) - count * z - log_factorials", "return total * ad.log(z) - z - log_factorials",
           "L: GammaPoisson Tensor log-likelihood: nλ → λ", (E_T_LJ,)),
    Mutant(G, "log_pmf = x * np.log(rate) - rate - scipy.special.gammaln(x + 1)",
           "log_pmf = x * np.log(rate) - rate - scipy.special.gammaln(x)",
           "L: GammaPoisson log_likelihood: lnΓ(x + 1) → lnΓ(x)", (T_M,)),
    Mutant(G, '"z": np.broadcast_to((alpha - 1 + total) / z - beta - count, batch)[()],',
           '"z": np.broadcast_to((alpha + total) / z - beta - count, batch)[()],',
           "L: GammaPoisson log_joint_grad ∂/∂λ: α − 1 + S → α + S", (E_T_LJ,)),
    Mutant(G, "        if x.shape[-1] == 0:\n", "        if False:\n",
           "L: GammaPoisson: a data set of no counts accepted", (T_M, T_F)),
    Mutant(G, "p, q = beta / (beta + count), count / (beta + count)", "p, q = beta / (beta + count), 1 / (beta + count)",
           "L: GammaPoisson evidence: q = n/(β + n) → 1/(β + n)", (T_M,)),
    Mutant(G, "return np.where(x > 0, loader, -mean)", "return np.where(x > 0, loader, 0.0)",
           "L: GammaPoisson ELBO (_log_poisson at x = 0): −m → 0", (T_M, T_E)),
    Mutant(G, "here * np.log(share) + after * np.log(other))", "after * np.log(share) + here * np.log(other))",
           "L: GammaPoisson evidence (counts given the total, a zero count): cell probabilities swapped", (T_M,)),
    Mutant(G, "self._expected_log_likelihood(x, q) - kl_divergence(q, self.prior)",
           "self._expected_log_likelihood(x, q) - kl_divergence(self.prior, q)",
           "L: GammaPoisson ELBO (Gamma q): KL(p ‖ q), not KL(q ‖ p)", (T_E,)),
    Mutant(G, "- self.rate * (expected_rate - anchor))", "+ self.rate * (expected_rate - anchor))",
           "L: GammaPoisson ELBO (LogNormal q, mean beyond the float range): −β(m − c) → +β(m − c)", (T_E,)),
    Mutant(G, "near = np.abs(v) < 0.5", "near = np.abs(v) < 0.0",
           "L: GammaPoisson evidence (bd0): the log1pmx branch near μ = x never taken", (T_M,)),
    Mutant(G, "lost = p < np.finfo(float).tiny", "lost = p < 0",
           "L: GammaPoisson evidence: a subnormal p = β/(β + n) used as it is, not through log p", (T_M,)),
    Mutant(G, "outside = (expected_rate < np.finfo(float).tiny) | (expected_rate == np.inf)",
           "outside = (expected_rate == 0) | (expected_rate == np.inf)",
           "L: GammaPoisson ELBO (LogNormal q): a subnormal mean e^(μ + σ²/2) taken as a normal float", (T_E,)),
    Mutant(EV, "z = z.reshape((n,) + (1,) * (np.ndim(x) - 1) + z.shape[1:])",
           "z = z.reshape((n,) + (1,) * np.ndim(x) + z.shape[1:])",
           "L: log_marginal_monte_carlo: one broadcast axis too many for the draws", (T_M,)),
    Mutant(EV, "peak = np.max(log_likelihoods, axis=0)", "peak = np.max(log_likelihoods)",
           "L: log_marginal_monte_carlo: one shift for all data points, not one per point", (T_M,)),
    Mutant(EV, "    except (TypeError, ValueError) as error:", "    except TypeError as error:",
           "L: log_marginal_candidate: a z of the wrong shape not reported as z", (T_M, T_F)),
    Mutant(EV, '    check_methods(model, "model", ("log_joint", "posterior"), "a latent variable model with an exact posterior")\n',
           "", "L: log_marginal_candidate: a model without log_joint or posterior not refused by name", (T_M, T_F)),
    Mutant(L_CHECKS, "return np.broadcast_shapes(x_batch, q_batch)", "return x_batch",
           "L: data_batch_shape: q's batch ignored", (T_E,)),
    Mutant(L_CHECKS, 'names = " or ".join(family.__name__ for family in families)',
           'names = families[0].__name__',
           "L: require_family: only the first accepted family named", (T_E,)),
    # ----- audit G, second pass (descriptions "G: "): the autodiff tape, graph.py and functions.py (Tensor, Primitive.__call__, keyword binding,
    # backward, value_and_grad, and the composed functions and Tensor methods)
    Mutant(G_GRAPH, "        return self.value < value_of(other)", "        return self.value <= value_of(other)",
           "G: t < x computes t <= x", (Q_TA,)),
    Mutant(G_GRAPH, "        return self.value >= value_of(other)", "        return self.value > value_of(other)",
           "G: t >= x computes t > x", (Q_TA,)),
    Mutant(G_GRAPH, "return np.asarray(value, dtype=float)", "return np.asarray(value)",
           "G: an integer input kept as an integer array (not float64)", (Q_TA,)),
    Mutant(G_GRAPH, '_REAL_KINDS = "biuf"', '_REAL_KINDS = "biufc"',
           "G: complex arrays accepted as real operands (imaginary part dropped)", (Q_TA,)),
    Mutant(G_GRAPH, "        if i >= self._inputs:", "        if i > self._inputs:",
           "G: a ufunc's out given positionally accepted (written into)", (Q_TA,)),
    Mutant(G_GRAPH, "            if key in _UNDIFFERENTIATED_OPTIONS:\n", "            if False:\n",
           "G: a Tensor initial= refused with the generic options message", (Q_TA,)),
    Mutant(G_GRAPH, "                if position > len(args):", "                if False:",
           "G: an array by name without the ones before it bound to the wrong position", (Q_TA,)),
    Mutant(G_GRAPH, "return function.nin if isinstance(function, np.ufunc) else sys.maxsize",
           "return function.nin + function.nout if isinstance(function, np.ufunc) else sys.maxsize",
           "G: a ufunc's input count includes its output (positional out= accepted)", (Q_TA,)),
    Mutant(G_GRAPH, "        elif key not in leaf_ids:\n", "        elif False:\n",
           "G: a Tensor of an enclosing grad silently treated as a constant", (Q_TA,)),
    Mutant(G_GRAPH, "seed = np.ones(output.value.shape)", "seed = np.full(output.value.shape, 0.5)",
           "G: backward seeded with ½ instead of 1", (Q_TA,)),
    Mutant(G_GRAPH, "single = not isinstance(argnums, tuple)", "single = isinstance(argnums, int)",
           "G: a NumPy integer argnums returns a 1-tuple of gradients", (Q_TA,)),
    Mutant(G_GRAPH, "(gradients[0] if single else tuple(gradients))", "(gradients[0] if single else list(gradients))",
           "G: several gradients returned as a list, not a tuple", (Q_TA,)),
    Mutant(G_GRAPH, "selected = tuple(int(a) % count for a in numbers_)", "selected = tuple(int(a) for a in numbers_)",
           "G: negative argnums not wrapped (a repeat through −k undetected)", (Q_TA,)),
    Mutant(G_GRAPH, "if self.value.size != 1:", "if self.value.ndim != 0:",
           "G: float() of a one-entry Tensor of shape (1,) refused", (Q_TA, Q_TN)),
    Mutant(G_GRAPH, "gradient = np.array(gradient, dtype=float)", "gradient = np.asarray(gradient, dtype=float)",
           "G: a gradient that must be copied handed over as it is", (Q_TA,)),
    Mutant(G_GRAPH, "type(output) is Tensor or _is_real_operand(output)", "type(output) is Tensor or output is not None",
           "G: f returning a string or a complex number not refused as a non-scalar", (Q_TA, Q_TN)),
    Mutant(G_GRAPH, "kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)",
           "kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)",
           "G: a primitive's keyword-only options (reshape's copy=) refused", (Q_TA, Q_TN)),
    Mutant(G_GRAPH, "                if position < len(args):", "                if False:",
           "G: an array given both by position and by name: the name's value read as the next option", (Q_TA,)),
    Mutant(G_GRAPH, "    total = combine(first, second)\n", "    total = contribution\n",
           "G: a second contribution replaces the first when the pass does not own it", (Q_TA,)),
    Mutant(G_FUNCS, "return np.sum(np.broadcast_to(where, shape), axis=axis, keepdims=keepdims)",
           "return np.sum(np.broadcast_to(where, shape), axis=axis)",
           "G: mean(where=, keepdims=True) divides by counts without the kept axis", (Q_TN,)),
    Mutant(G_FUNCS, 'options = {} if where is True else {"where": where}', "options = {}",
           "G: var(where=) sums the squares of every entry", (Q_TN,)),
    Mutant(G_FUNCS, "    if a_min is not _UNSET and min is not _UNSET:\n", "    if False:\n",
           "G: clip(a_min=, min=) both accepted, min dropped", (Q_TA,)),
    Mutant(G_FUNCS, "upper = a_max if a_max is not _UNSET else (None if max is _UNSET else max)",
           "upper = a_max if a_max is not _UNSET else None", "G: clip's max= keyword ignored", (Q_TN,)),
    Mutant(G_FUNCS, "    if value.size:\n", "    if True:\n",
           "G: log_softmax of an empty slice refused (max of nothing)", (Q_TN,)),
    Mutant(G_FUNCS, "return exp(log_softmax(x, axis=axis))", "return exp(log_softmax(x))",
           "G: softmax ignores axis", (Q_TN,)),
    Mutant(G_FUNCS, "    if a_ndim == 0 or b_ndim == 0:\n", "    if b_ndim == 0:\n",
           "G: dot of a scalar first argument goes to matmul", (Q_TN,)),
    Mutant(G_FUNCS, '->{left[:-1]}{right[:-2]}Y"', '->{right[:-2]}{left[:-1]}Y"',
           "G: N-D dot puts b's leading axes before a's", (Q_TN,)),
    Mutant(G_FUNCS, "sum(diagonal(a, offset, axis1, axis2), axis=-1)", "sum(diagonal(a, offset, axis2, axis1), axis=-1)",
           "G: trace's axes swapped (offset on the other side)", (Q_TN,)),
    Mutant(G_FUNCS, "    return transpose(a, axes)\n", "    return transpose(a)\n",
           "G: swapaxes reverses all axes (the same for (0, −1) of 3 axes)", (Q_TN,)),
    Mutant(G_FUNCS, "            return primitive(self, other)\n        except TypeError:\n            if _is_foreign(other):\n"
           "                return NotImplemented\n",
           "            return primitive(self, other)\n        except TypeError:\n            if _is_foreign(other):\n"
           "                raise\n",
           "G: t + foreign raises instead of returning NotImplemented (the other operand's method never tried)",
           (Q_TA,)),
    Mutant(G_FUNCS, '"sum": sum, "mean": mean,', '"sum": sum, "mean": sum,', "G: t.mean() is the sum", (Q_TN,)),
    Mutant(G_FUNCS, '"trace": trace, "repeat": repeat', '"trace": diagonal, "repeat": repeat',
           "G: t.trace() is the diagonal", (Q_TN,)),
    Mutant(G_FUNCS, '_LINALG_NAMESAKES = ("solve", "inv", "slogdet", "cholesky")',
           '_LINALG_NAMESAKES = ("solve", "inv", "slogdet")', "G: np.linalg.cholesky(t) refused", (Q_TN,)),
    Mutant(G_FUNCS, "return negative(softplus(negative(x)))", "return x - softplus(x)",
           "G: log σ(x) as x − softplus(x) (cancels for large x, NaN at +∞)", (Q_TA, Q_TN)),
    Mutant(G_FUNCS, "largest = np.max(value, axis=axis, keepdims=True)", "largest = np.max(value)",
           "G: log_softmax shifts every slice by the largest entry of all", (Q_TN,)),
    Mutant(G_FUNCS, "return int(np.prod([shape[a] for a in axes]))", "return int(np.prod([shape[a] for a in axes[:1]]))",
           "G: mean over several axes divides by the first axis's length", (Q_TA, Q_TN)),
    Mutant(G_FUNCS, "return np.sum(np.broadcast_to(where, shape), axis=axis, keepdims=keepdims)",
           "return np.sum(where, axis=axis, keepdims=keepdims)",
           "G: mean's count of a where= mask with fewer axes not broadcast", (Q_TN,)),
    Mutant(G_GRAPH, "isinstance(value, (Tensor, np.ndarray, np.generic))", "isinstance(value, (Tensor, np.ndarray))",
           "G: NumPy scalars (np.float64) refused as operands", (Q_TA, Q_TN)),
    Mutant(G_GRAPH, "    if isinstance(function, np.ufunc):\n        return ()\n", "",
           "G: a ufunc's own keywords (out=, where=) accepted", (Q_TA,)),
    # ----- audit R, second pass (descriptions "R: "): cross-checking: reference files, their cases, vi_ref.testing, the CLI, figure data
    # (the second audit of this area, prefix "R: "; survivors at first marked, each now killed)
    # survived at first; killed by tests/test_reference.py::test_generate_refuses_a_seed_an_npz_file_cannot_hold
    Mutant(REF, "not 0 <= seed < 2**63:\n        raise", "not 0 <= seed <= 2**63:\n        raise",
           "R: generate accepts seed 2**63, which an NPZ file cannot hold", R_T_REF),
    # survived at first; killed by tests/test_reference.py::test_generate_refuses_a_seed_an_npz_file_cannot_hold
    Mutant(REF, "if isinstance(seed, bool) or not isinstance(seed, (int, np.integer))",
           "if not isinstance(seed, (int, np.integer))", "R: generate takes seed=True as seed 1", R_T_REF),
    # survived at first; killed by tests/test_reference.py::test_compute_outputs_refuses_booleans
    Mutant(REF, 'if array.dtype.kind != "b" and np.can_cast', "if np.can_cast",
           "R: compute_outputs reads boolean inputs as the numbers 0 and 1", R_T_REF),
    Mutant(REF, "return bool(np.any(integers > limit) or", "return bool(np.any(integers >= limit) or",
           "R: compute_outputs refuses the integer 2**53, which float64 holds exactly", R_T_REF),
    # survived at first; killed by tests/test_crosscheck_files.py::test_a_file_of_exactly_the_size_limit_is_read
    Mutant(REF, "        if size > MAX_FILE_BYTES:", "        if size >= MAX_FILE_BYTES:",
           "R: read refuses a file of exactly MAX_FILE_BYTES bytes", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_the_json_nesting_limit_is_max_nesting_levels
    Mutant(REF, "    if depth > MAX_NESTING:", "    if depth > MAX_NESTING + 1:",
           "R: the JSON depth limit one level deeper than documented", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_an_array_of_exactly_the_element_limit_is_read
    Mutant(REF, "    size = math.prod(shape)\n    if size > MAX_ARRAY_ELEMENTS:",
           "    size = math.prod(shape)\n    if size >= MAX_ARRAY_ELEMENTS:",
           "R: the JSON decoder refuses an array of exactly MAX_ARRAY_ELEMENTS entries", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_an_array_of_exactly_the_element_limit_is_read
    Mutant(REF, "        size = math.prod(shape)\n        if size > MAX_ARRAY_ELEMENTS:",
           "        size = math.prod(shape)\n        if size >= MAX_ARRAY_ELEMENTS:",
           "R: the NPZ decoder refuses an array of exactly MAX_ARRAY_ELEMENTS entries", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_an_array_of_exactly_the_element_limit_is_read
    Mutant(REF, "    if array.size > MAX_ARRAY_ELEMENTS:", "    if array.size >= MAX_ARRAY_ELEMENTS:",
           "R: validate refuses an array of exactly MAX_ARRAY_ELEMENTS entries", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_hostile_json_is_refused_naming_case_and_field
    Mutant(REF, "type(item) is int and -(2**63) <= item < 2**63 for item in data",
           "type(item) is int and -(2**63) <= item <= 2**63 for item in data",
           "R: the JSON decoder lets int64 data 2**63 through (an OverflowError, not a refusal)", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_npz_with_a_non_npy_member_is_refused
    Mutant(REF, "    if not member.filename.endswith(\".npy\"):\n        _fail", "    if False:\n        _fail",
           "R: the NPZ decoder reads a member that is not .npy", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_npz_with_a_one_element_array_for_a_scalar_is_refused
    Mutant(REF, '    if array.ndim != 0 or array.dtype.kind != kind:', '    if array.dtype.kind != kind:',
           "R: the NPZ decoder takes a one-element array for a scalar (version, tolerance)", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_hostile_json_is_refused_naming_case_and_field
    Mutant(REF, "    if type(version) is not int:", "    if not isinstance(version, int):",
           "R: validate takes the JSON literal true as schema version 1", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_hostile_json_is_refused_naming_case_and_field
    Mutant(REF, '    if "description" in case and not (isinstance(case["description"], str)',
           '    if "description" in case and not (isinstance(case["description"], (str, int))',
           "R: validate accepts a number as a case's description", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_hostile_json_is_refused_naming_case_and_field
    Mutant(REF, "if type(value) not in (int, float) or not (math.isfinite(value) and value >= 0):",
           "if not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):",
           "R: validate takes true as a tolerance of 1", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_a_tolerance_of_zero_is_read
    Mutant(REF, "if type(value) not in (int, float) or not (math.isfinite(value) and value >= 0):",
           "if type(value) not in (int, float) or not (math.isfinite(value) and value > 0):",
           "R: validate refuses a tolerance of 0", R_T_FILES),
    Mutant(REF, '_check_keys(outputs, (), tuple(spec.outputs), source, "outputs", name)',
           '_check_keys(outputs, tuple(spec.outputs), (), source, "outputs", name)',
           "R: validate requires every output field (a file of some fields refused)", R_T_FILES),
    # survived at first; killed by tests/test_crosscheck_files.py::test_the_upper_ends_of_the_size_bounds_are_read_and_n_1_is_refused
    Mutant(REF, "outside = (array < low) | (array > high)", "outside = (array < low) | (array >= high)",
           "R: validate's bounds exclude their upper end (dimension = 100,000 refused)", R_T_FILES),
    # survived at first; killed by tests/test_cli.py::test_crosscheck_refusals_of_its_options_exit_2_with_the_reason
    Mutant(REF, '    if not names:\n        raise ValueError(f"only={only!r} matches no case of the file")',
           "", "R: check with an --only matching no case of the file returns no result", R_T_CLI),
    # survived at first; killed by tests/test_reference.py::test_a_suffix_in_capitals_is_written_and_read_as_its_encoding
    Mutant(REF, "    suffix = Path(path).suffix.lower()\n    if suffix not in (\".json\", \".npz\"):\n        raise",
           "    suffix = Path(path).suffix\n    if suffix not in (\".json\", \".npz\"):\n        raise",
           "R: write refuses an upper-case suffix (.JSON) that read accepts", R_T_REF),
    Mutant(REF, "    return only in name\n", "    return name.startswith(only)\n",
           "R: --only matches the start of a case name, not any text of it", R_T_REF),
    Mutant(REF, "        return FieldResult(case, field, True, 0.0, 0.0, rtol, atol)",
           "        return FieldResult(case, field, False, 0.0, 0.0, rtol, atol)",
           "R: compare fails an empty field (nothing compared is not a mismatch)", R_T_FILES),
    # survived at first; killed by tests/test_reference.py::test_the_gamma_poisson_case_is_the_conjugate_posterior_and_the_negative_binomi
    Mutant(REFC, "        model = GammaPoisson(arrays[\"concentration\"], arrays[\"rate\"])",
           "        model = GammaPoisson(arrays[\"rate\"], arrays[\"concentration\"])",
           "R: gamma_poisson cases build the prior with α and β swapped", R_T_REF),
    # survived at first; killed by tests/test_reference.py::test_the_baseline_variances_are_those_of_their_baselines
    Mutant(REFC, "        variance = problem.variance(label, sample_size)",
           '        variance = problem.variance(label.replace("+optimal", "+constant"), sample_size)',
           "R: estimator cases' optimal-baseline variance is the constant baseline's", R_T_REF),
    # survived at first; killed by tests/test_reference.py::test_the_iwae_cases_evidence_and_elbo_are_the_closed_forms
    Mutant(REFC, '            "log_marginal": model.log_marginal(arrays["x"]),\n            "elbo": model.elbo(arrays["x"], q),',
           '            "log_marginal": model.elbo(arrays["x"], q),\n            "elbo": model.log_marginal(arrays["x"]),',
           "R: iwae case's log_marginal and elbo fields swapped", R_T_REF),
    # survived at first; killed by tests/test_crosscheck_files.py::test_the_upper_ends_of_the_size_bounds_are_read_and_n_1_is_refused
    Mutant(REFC, 'dtype="int64", bounds=(2, 2**31)', 'dtype="int64", bounds=(1, 2**31)',
           "R: the leave-one-out sample size n = 1 read (no other sample to average)", R_T_FILES),
    Mutant(REFC, 'result = {"value": kl.kl_divergence(q, p)}', 'result = {"value": kl.kl_divergence(p, q)}',
           "R: KL cases compute KL(p ‖ q)", R_T_TESTING),
    # survived at first; killed by tests/test_reference.py::test_the_em_step_is_the_responsibility_weighted_average
    Mutant(REFC, '"em_weights": updated.weights,\n            "em_means": updated.means,',
           '"em_weights": updated.weights,\n            "em_means": model.means,',
           "R: gmm cases' em_means are the means before the EM step", R_T_REF),
    # survived at first; killed by tests/test_testing.py::test_tensors_are_detached_without_torch
    Mutant(TE, '    if hasattr(value, "detach") and hasattr(value, "cpu"):', "    if False:",
           "R: testing passes a torch tensor to np.asarray undetached", R_T_TESTING),
    # survived at first; killed by tests/test_testing.py::test_inputs_that_are_not_a_dict_are_refused_by_name
    Mutant(TE, '    if not isinstance(inputs, dict):\n        raise TypeError', '    if False:\n        raise TypeError',
           "R: testing takes inputs that are not a dict (an AttributeError, not a TypeError)", R_T_TESTING),
    # survived at first; killed by tests/test_cli.py::test_reference_into_a_directory_that_does_not_exist_exits_2_with_the_reason
    Mutant("vi_ref/cli.py", "        reference.write(arguments.out, document)\n    except (ValueError, OSError) as error:",
           "        reference.write(arguments.out, document)\n    except ValueError as error:",
           "R: vi-ref reference into a missing directory ends in a traceback", R_T_CLI),
    # survived at first; killed by tests/test_cli.py::test_crosscheck_refusals_of_its_options_exit_2_with_the_reason
    Mutant("vi_ref/cli.py", "only=arguments.only)\n    except ValueError as error:",
           "only=arguments.only)\n    except reference.ReferenceFileError as error:",
           "R: vi-ref crosscheck --rtol -1 ends in a traceback", R_T_CLI),
    # survived at first; killed by tests/test_figures.py::test_a_name_given_twice_is_drawn_once_and_out_may_be_a_new_path
    Mutant("vi_ref/figures.py", "list(dict.fromkeys(name.strip() for name in only.split(\",\") if name.strip()))",
           "[name.strip() for name in only.split(\",\") if name.strip()]",
           "R: figures draws a figure named twice in --only twice", R_T_FIG),
    # survived at first; killed by tests/test_figures.py::test_a_name_given_twice_is_drawn_once_and_out_may_be_a_new_path
    Mutant("vi_ref/figures.py", "out.mkdir(parents=True, exist_ok=True)", "out.mkdir(exist_ok=True)",
           "R: figures cannot write into a new directory below a new directory", R_T_FIG),
    # survived at first; killed by tests/test_figures.py::test_the_numbers_in_the_captions_are_recomputed_independently
    Mutant("vi_ref/figures.py", "/ np.sqrt(np.prod(np.diagonal(posterior.covariance_matrix)))",
           "/ np.prod(np.diagonal(posterior.covariance_matrix))",
           "R: mean-field figure's correlation divides by the product of the variances, not their root", R_T_FIG),
    # survived at first; killed by tests/test_figures.py::test_the_numbers_in_the_captions_are_recomputed_independently
    Mutant("vi_ref/figures.py", "{-0.5 * np.log1p(-correlation**2):.3f}", "{-0.5 * np.log1p(correlation**2):.3f}",
           "R: mean-field figure's KL = −½ log(1 + ρ²)", R_T_FIG),
    # survived at first; killed by tests/test_figures.py::test_the_numbers_in_the_captions_are_recomputed_independently
    Mutant("vi_ref/figures.py", "    evidence = model.log_marginal(counts)\n",
           "    evidence = model.log_marginal(counts[:-1])\n",
           "R: good-and-bad-q figure's log p(x) leaves out the last count", R_T_FIG),
    # added with the library fix (only=["gmm"] raised AttributeError); killed by tests/test_figures.py::test_only_must_be_a_string_of_names
    Mutant("vi_ref/figures.py", "    if only is not None and not isinstance(only, str):", "    if False:",
           "R: figures takes a list for only (an AttributeError from str.split, not a TypeError)", R_T_FIG),
    # ----- audit V, second pass (descriptions "V: "): vi.py (stochastic VI: transforms, optimisers, the loops, iterate_average, refusals)
    Mutant(VI, "diagonal = np.exp(np.diagonal(v, axis1=-2, axis2=-1)) * np.diagonal(grad_phi, axis1=-2, axis2=-1)",
           "diagonal = np.diagonal(grad_phi, axis1=-2, axis2=-1)",
           "V: Cholesky pull-back: the factor exp(diag V) on the diagonal lost", (T_VI,)),
    Mutant(VI, "return cls._with_diagonal(phi, np.log(np.diagonal(phi, axis1=-2, axis2=-1)))",
           "return cls._with_diagonal(phi, np.diagonal(phi, axis1=-2, axis2=-1))",
           "V: Cholesky unconstrain: diag R not logged", (T_VI,)),
    # killed at first only by the Gamma end-to-end run; now also by
    # tests/test_vi.py::test_fit_records_the_start_in_the_documented_unconstrained_coordinates
    Mutant(VI, '    Gamma: {"concentration": _Exp, "rate": _Exp},', '    Gamma: {"concentration": _Exp, "rate": _Identity},',
           "V: a Gamma q's rate moved in φ, not log φ", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_fit_records_the_start_in_the_documented_unconstrained_coordinates
    Mutant(VI, 'PlanarFlow: {"loc": _Identity, "scale": _Exp,', 'PlanarFlow: {"loc": _Identity, "scale": _Identity,',
           "V: a PlanarFlow's base scale moved in φ, not log φ", (T_VI,)),
    Mutant(VI, "            new += learning_rate * gradient", "            new -= learning_rate * gradient",
           "V: GradientAscent descends", (T_VI,)),
    Mutant(VI, "corrected_second = second[index] / (1 - self.beta2**t)", "corrected_second = second[index]",
           "V: Adam: second-moment bias correction lost", (T_VI,)),
    Mutant(VI, "np.sqrt(corrected_second) + epsilon)", "np.sqrt(corrected_second + epsilon))",
           "V: Adam: ε inside the square root", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_adam_first_step_is_the_learning_rate_beside_a_gradient_beyond_the_rescaling
    Mutant(VI, "epsilon = self.epsilon if not exponent else np.ldexp(self.epsilon, -exponent)",
           "epsilon = self.epsilon", "V: Adam: ε not rescaled with the moments (units of 2ᵉ)", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_adam_steps_are_scale_free_when_the_gradient_falls_from_1e300_to_1e200
    Mutant(VI, "largest > np.ldexp(1.0, _LARGEST_UNSCALED + exponent)", "largest > np.ldexp(1.0, _LARGEST_UNSCALED)",
           "V: Adam: moments rescaled whenever a gradient exceeds 2⁵⁰⁰, also down to a smaller 2ᵉ", (T_VI,)),
    Mutant(VI, "state[2] = np.full(value.shape[:1], state[2])", "state[2] = np.zeros(value.shape[:1])",
           "V: Adam: whole steps forgotten when a parameter is first stepped by rows", (T_VI,)),
    # killed at first only by the Gamma end-to-end run; now also by
    # tests/test_vi.py::test_adam_second_step_by_hand_for_the_gradients_one_then_two
    Mutant(VI, "def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8):",
           "def __init__(self, beta1=0.9, beta2=0.99, epsilon=1e-8):", "V: Adam default β₂ 0.999 → 0.99", (T_VI,)),
    Mutant(VI, "def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8):",
           "def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-6):", "V: Adam default ε 1e-8 → 1e-6", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_adam_second_step_by_hand_for_the_gradients_one_then_two
    Mutant(VI, "    if not 0 <= value < 1:\n        raise ValueError(f\"{name} must be in [0, 1)",
           "    if not 0 < value < 1:\n        raise ValueError(f\"{name} must be in [0, 1)",
           "V: Adam refuses β = 0", (T_VI,)),
    # survived at first (it answered False, as it should, but with NumPy's RuntimeWarning for the mean of an
    # empty window); killed by tests/test_vi.py::test_window_convergence_rule
    Mutant(VI, "    if len(estimates) < 2 * window:", "    if len(estimates) < window:",
           "V: window rule applied before 2w estimates", (T_VI,)),
    Mutant(VI, "recent = float(np.mean(last[window:]))\n    previous = float(np.mean(last[:window]))",
           "recent = float(np.mean(last[:window]))\n    previous = float(np.mean(last[window:]))",
           "V: window rule: the recent and the previous window swapped (tolerance relative to the older)", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_window_convergence_rule
    Mutant(VI, "    if np.isnan(estimates).any():\n", "    if False:\n",
           "V: window_converged accepts NaN estimates (answers False)", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_fit_refuses_bad_arguments
    Mutant(VI, '    tol = float(check_positive(as_float_array(tol, "tol", ndim=0), "tol"))\n    _check_estimator(q, estimator)',
           '    tol = float(as_float_array(tol, "tol", ndim=0))\n    _check_estimator(q, estimator)',
           "V: fit accepts tol ≤ 0", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_fit_refuses_bad_arguments
    Mutant(VI, "    _check_callback(callback)\n    generator = as_generator(rng)\n    target",
           "    generator = as_generator(rng)\n    target", "V: fit accepts a callback that is not callable", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_a_callback_answers_true_false_or_nothing
    Mutant(VI, "        return bool(answer)", "        return answer is True",
           "V: a callback's np.True_ does not stop the run", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_single_sample_score_function_baseline_cancels_the_log_normaliser_at_q_equal_p
    Mutant(VI, 'baseline = "leave_one_out" if n_samples >= 2 else elbo', 'baseline = "leave_one_out" if n_samples >= 2 else 0.0',
           "V: fit's score function at n_samples = 1 runs without a baseline", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_single_sample_score_function_baseline_cancels_the_log_normaliser_at_q_equal_p
    Mutant(VI, "baseline = 0.9 * baseline + 0.1 * float(ratios[0])", "baseline = 0.9 * baseline",
           "V: fit's running-average baseline decays instead of averaging", (T_VI,)),
    Mutant(VI, "return z, log_q.reshape(n, -1).sum(axis=1)", "return z, log_q.reshape(n, -1).mean(axis=1)",
           "V: fit's ELBO estimate: log q averaged over the latent coordinates, not summed", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_fit_refuses_bad_arguments
    Mutant(VI, "    if isinstance(factor, (bool, np.bool_)) or not isinstance(", "    if not isinstance(",
           "V: a schedule factor True accepted as 1", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_dataset_adam_keeps_the_model_and_q_states_apart_where_their_names_coincide
    Mutant(VI, '{name: opt.step(("q", name), v, grads_phi[name], rate, rows=rows)',
           '{name: opt.step(("model", name), v, grads_phi[name], rate, rows=rows)',
           "V: fit_dataset keys the qᵢ's optimiser state as the model's (shared where names coincide)", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_dataset_run_estimates_every_eval_every_steps_and_at_the_last_step
    Mutant(VI, "if step % eval_every == 0 or step == steps:\n            elbo, standard_error = _dataset_elbo_estimate",
           "if step % eval_every == 0:\n            elbo, standard_error = _dataset_elbo_estimate",
           "V: fit_dataset's last step not estimated unless a multiple of eval_every", (T_VI,)),
    # survived at first; killed by
    # tests/test_vi.py::test_dataset_run_estimates_every_eval_every_steps_and_at_the_last_step
    Mutant(VI, "_stops(callback(step, model, q, elbo, standard_error))", "_stops(callback(step, q, model, elbo, standard_error))",
           "V: fit_dataset's callback given q and the model swapped", (T_VI,)),
    Mutant(VI, "elbo_gradient(model, local, X[rows], n_samples", "elbo_gradient(model, local, X[: rows.size], n_samples",
           "V: minibatch gradient evaluated at the first |B| data points, not the minibatch's", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_minibatch_gradient_refuses_bad_rows
    Mutant(VI, "rows.size == 0 or rows.min() < 0 or ", "rows.size == 0 or ",
           "V: negative rows accepted (they wrap around)", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_minibatch_gradient_refuses_bad_rows
    Mutant(VI, 'rows.dtype.kind not in "iu"', 'rows.dtype.kind not in "biu"', "V: boolean rows accepted as indices 0, 1",
           (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_fit_dataset_refuses_a_batch_larger_than_the_data
    Mutant(VI, 'check_count(elbo_samples, "elbo_samples", minimum=2), "elbo_samples", per_unit=X.size)',
           'check_count(elbo_samples, "elbo_samples", minimum=1), "elbo_samples", per_unit=X.size)',
           "V: fit_dataset accepts elbo_samples = 1 (a NaN standard error)", (T_VI,)),
    # survived at first; killed by tests/test_vi.py::test_iterate_average_refuses_too_few_iterates
    Mutant(VI, 'n_batches = check_count(n_batches, "n_batches", minimum=2)',
           'n_batches = check_count(n_batches, "n_batches", minimum=1)',
           "V: iterate_average accepts one block (a NaN standard error)", (T_VI,)),
    Mutant(VI, "kept = result.trace_parameters[int(start * len(result.trace_parameters)) :]",
           "kept = result.trace_parameters[int(start * len(result.trace_parameters)) + 1 :]",
           "V: iterate_average starts one iterate after the fraction start", (T_VI,)),
    Mutant(VI, "blocks = stacked.reshape((n_batches, size) + stacked.shape[1:]).mean(axis=1)",
           "blocks = stacked.reshape((size, n_batches) + stacked.shape[1:]).mean(axis=0)",
           "V: iterate_average's blocks interleaved, not consecutive", (T_VI,)),
    # ----- audit S, second pass (descriptions "S: "): Monte Carlo estimators (score function, pathwise, baselines), ELBO/IWAE estimates, the exact suite, learning
    # (9 of 40 survived at first, marked; the 7 holes are now killed. Two were equivalent: the STL variance's
    # reparameterisation branch extended to the path derivative, which an earlier branch already returns (replaced
    # by the mutant of that branch), and the suite's bool refusal dropped, which the dtype check 'b' ∉ "iuf" repeats
    # (deleted))
    Mutant(ES, "others = (np.sum(values) - values) / (values.shape[0] - 1)", "others = np.mean(values)",
           "S: leave-one-out baseline: the mean of all n values, zₛ's own f included", (T_ES,)),
    Mutant(ES, "numerator = np.sum(_broadcast_over(values, squared) * squared, axis=0)",
           "numerator = np.sum(_broadcast_over(values, squared) * score, axis=0)",
           "S: optimal baseline estimate: Σ f g / Σ g², not Σ f g² / Σ g²", (T_ES,)),
    Mutant(ES, "out=np.zeros_like(denominator), where=denominator > 0)", "out=np.zeros_like(denominator), where=denominator >= 0)",
           "S: optimal baseline: 0/0 where a score vanishes on every sample", (T_ES,)),
    Mutant(ES, "n = check_count(n, \"n\", minimum=2 if estimated else 1)", "n = check_count(n, \"n\", minimum=1)",
           "S: score function: n = 1 accepted for an estimated baseline", (T_ES,)),
    Mutant(ES, "        unknown = set(baseline) - set(q.parameter_names)\n", "        unknown = set()\n",
           "S: score function: a dict baseline naming no parameter of q accepted", (T_ES,)),
    Mutant(ES, "    if array.shape != (n,):\n", "    if array.size != n:\n",
           "S: check_values: f's values of shape (n, 1) accepted", (T_ES,)),
    Mutant(ES, "    if count < 2:\n", "    if count < 1:\n",
           "S: mean_and_standard_error: one sample accepted (SE NaN)", (T_ES,)),
    Mutant(ES, "    if array.dtype.kind not in \"iuf\":  # a complex part",
           "    if array.dtype.kind not in \"biuf\":  # a complex part",
           "S: reparameterization: a boolean f_grad accepted", (T_ES,)),
    Mutant(EG, "cotangent = cotangent - terms.multiplicity * q.log_prob_x_grad(z)[\"x\"]",
           "cotangent = cotangent - q.log_prob_x_grad(z)[\"x\"]",
           "S: elbo_gradient pathwise: ∇_z log q not multiplied by the data points sharing q", (T_ES,)),
    Mutant(EG, "grads_phi = {name: grads_phi[name] - terms.multiplicity * scores[name] for name in grads_phi}",
           "grads_phi = {name: grads_phi[name] - scores[name] for name in grads_phi}",
           "S: elbo_gradient reparameterization: the score term not multiplied by the points sharing q", (T_ES,)),
    Mutant(EG, "    if estimator != \"closed_form_entropy\":\n", "    if estimator == \"path_derivative\":\n",
           "S: elbo_gradient reparameterization: the −∇_z log q cotangent dropped", (T_ES,)),
    Mutant(EG, "grads_phi[name] + terms.multiplicity * entropy[name]", "grads_phi[name] - terms.multiplicity * entropy[name]",
           "S: closed_form_entropy: sign of ∇H", (T_ES,)),
    Mutant(EG, "log_ratio = log_joint.reshape((n,) + self._q_points) - self.multiplicity * log_q",
           "log_ratio = log_joint.reshape((n,) + self._q_points) - log_q",
           "S: score-function ELBO weight: log q counted once for a q shared by N points", (T_ES,)),
    Mutant(EG, "grads_phi = {name: grads_phi[name] - scores[name] for name in grads_phi}\n    terms.joint",
           "grads_phi = {name: grads_phi[name] + scores[name] for name in grads_phi}\n    terms.joint",
           "S: iwae_gradient: sign of the weighted score term", (T_ES,)),
    Mutant(EG, "    terms.joint = weighted_joint\n", "",
           "S: iwae_gradient: θ's gradients not weighted by w̃", (T_ES,)),
    Mutant(EG, "return {name: value.reshape((n, k) + value.shape[1:]).sum(axis=1) for name, value in grads.items()}",
           "return {name: value.reshape((n, k) + value.shape[1:]).mean(axis=1) for name, value in grads.items()}",
           "S: iwae_gradient: a group's terms averaged over K, not summed", (T_ES,)),
    Mutant(EG, "value.reshape((n, -1) + value.shape[1 + batch_ndim:]).sum(axis=1)",
           "value.reshape((n, -1) + value.shape[1 + batch_ndim:]).mean(axis=1)",
           "S: elbo_gradient θ: averaged over the data points, not summed", (T_ES,)),
    Mutant(E, "    log_ratio = log_weights_of_draws(model, q, x, q.sample(n, as_generator(rng)), latent_axes)\n",
           "    z = pad_draws(q, x, q.sample(n, as_generator(rng)), latent_axes)\n"
           "    log_q = q.log_prob(z)\n"
           "    log_q = np.mean(log_q, axis=tuple(range(-latent_axes, 0))) if latent_axes else log_q\n"
           "    log_ratio = np.asarray(model.log_joint(x, z) - log_q, dtype=float)\n",
           "S: elbo_monte_carlo: log q averaged over the latent axes, not summed", (T_E,)),
    # survived at first: no test gave an empty data set; killed by tests/test_elbo.py::test_elbo_refuses_bad_data
    Mutant(E, "    if X.shape[0] == 0:", "    if False:",
           "S: dataset_elbo: an empty data set accepted (NaN)", (T_E,)),
    # survived at first; killed by tests/test_elbo.py::test_iwae_bound_refuses_a_nan_log_weight
    Mutant(E, "    if np.isnan(log_weights).any():\n", "    if False:\n",
           "S: refuse_nan_log_weights (log_importance_weights): a NaN log weight not refused", (T_E,)),
    Mutant(E, "    refuse_nan_log_weights(log_ratio)\n", "",
           "S: elbo_monte_carlo: a NaN log weight not refused (a NaN estimate)", (T_E,)),
    Mutant(EG, "        refuse_nan_log_weights(log_weights)  # a NaN is a defect, not the -inf below\n", "",
           "S: ELBO gradients (score function, iwae_gradient): a NaN log weight reported as -inf", (T_ES,)),
    Mutant(EG, "    if not np.all(np.isfinite(log_weights)):\n", "    if np.isnan(log_weights).any():\n",
           "S: ELBO gradients (score function, iwae_gradient): a -inf log weight (q outside the support) accepted",
           (T_ES,)),
    Mutant(EG, "    _refuse_non_finite_log_weights(log_weights, \"L_K\")  # before logsumexp makes NaN of it\n", "",
           "S: iwae_gradient: a NaN or -inf log weight not refused", (T_ES,)),
    Mutant(EG, "            if np.isnan(gradient).any():\n", "            if False:\n",
           "S: pathwise ELBO gradients: a NaN log_joint_grad not refused", (T_ES,)),
    Mutant(E, "    return float(np.mean(_per_point_elbo(model, q, X)))", "    return float(np.sum(_per_point_elbo(model, q, X)))",
           "S: dataset_elbo: Σᵢ ELBOᵢ, not the mean", (T_E,)),
    Mutant(E, "    n = check_count(n, \"n\", minimum=2)\n    check_size(", "    n = check_count(n, \"n\", minimum=1)\n    check_size(",
           "S: iwae_bound: one group accepted (SE NaN)", (T_ES,)),
    # this and the next two survived at first; killed by tests/test_estimators.py::
    # test_the_bump_at_k_0_is_the_constant_one (k = 0) and
    # test_suite_refuses_an_unknown_estimator_a_bad_sample_size_and_a_boolean_parameter (n = 1, n = 0)
    Mutant("vi_ref/estimators/suite.py", "    if k < 0:  # exp(|k| z²)", "    if k <= 0:  # exp(|k| z²)",
           "S: exact suite bump: k = 0 (f ≡ 1) refused", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "        if n is None or n < 2:\n", "        if n is None:\n",
           "S: exact suite leave-one-out variance: n = 1 not refused", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "    return None if n is None else check_count(n, \"n\", minimum=1)",
           "    return n", "S: exact suite variance: the sample size n never checked", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "mean_value=np.cos(k * loc) * damping,", "mean_value=np.cos(k * loc),",
           "S: exact suite cosine E f: damping e^(−k²σ²/2) lost (the constant baseline)", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "mean_value=offset**2 + scale**2,", "mean_value=offset**2,",
           "S: exact suite quadratic E f: σ² lost (the constant baseline)", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "mean = np.exp(-k * loc**2 / spread) / np.sqrt(spread)",
           "mean = np.exp(-k * loc**2 / spread) / spread", "S: exact suite bump E f: s^(−½) → s^(−1)", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "QUADRATURE_PANELS, QUADRATURE_ORDER, QUADRATURE_LIMIT = 760, 16, 38.0",
           "QUADRATURE_PANELS, QUADRATURE_ORDER, QUADRATURE_LIMIT = 76, 16, 38.0",
           "S: exact suite quadrature: panels of width 1, not 0.1", (T_ES,)),
    # survived at first; killed by test_suite_refuses_an_unknown_estimator_a_bad_sample_size_and_a_boolean_parameter
    Mutant("vi_ref/estimators/suite.py", "        raise ValueError(f\"estimator must be one of {ESTIMATORS}; got {estimator!r}\")",
           "        return problem.estimate(\"score_function\", n, rng)",
           "S: exact suite: an unknown estimator label estimated as the plain score function", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "            return {name: np.zeros(1) for name in fisher}", "            return fisher",
           "S: exact suite STL: path derivative's variance the Fisher information, not 0", (T_ES,)),
    Mutant("vi_ref/estimators/suite.py", "bias[name] = -gaussian_expectation(lambda e: (self._value(e) - coefficient) * score(e) ** 3) / (n * fisher)",
           "bias[name] = -gaussian_expectation(lambda e: (self._value(e) - coefficient) * score(e) ** 3) / (n * fisher**2)",
           "S: exact suite optimal-baseline bias: / E[g²]², not / E[g²]", (T_ES,)),
    Mutant(LI, "        step_sizes[problem.local_coordinates] *= problem.X.shape[0]\n", "",
           "S: learning gradient ascent: the local steps not N·η", (T_LI,)),
    Mutant(LI, "grad_factor[:, self._lower[0], self._lower[1]],", "grad_factor[:, self._lower[1], self._lower[0]],",
           "S: learning gradient: strictly-lower entries read from the upper triangle", (T_LI,)),
    Mutant(LI, "return LinearGaussian(scale * model.W, offset + scale * model.b,", "return LinearGaussian(scale * model.W, offset + model.b,",
           "S: learning's standardisation: b mapped back without s", (T_LI,)),
    Mutant(LI, "    if not isotropic and np.any(np.ptp(problem.X, axis=0) == 0):", "    if False:",
           "S: learning: factor analysis on a constant column not refused", (T_LI,)),
    Mutant(LI, "options={\"maxiter\": steps, \"gtol\": tol, \"ftol\": 0.0, \"maxcor\": 20}",
           "options={\"maxiter\": steps, \"gtol\": tol, \"ftol\": 1e-6, \"maxcor\": 20}",
           "S: learning L-BFGS: stops at a relative decrease of 1e-6", (T_LI,)),
    # survived at first; killed by tests/test_learning.py::test_lbfgs_stopped_by_its_iteration_limit_is_not_converged
    Mutant(LI, "n_iter, converged = int(result.nit), bool(result.success)", "n_iter, converged = int(result.nit), True",
           "S: learning L-BFGS: converged reported whatever the optimiser says", (T_LI,)),
    Mutant(LI, "    if n_latent >= n_features:\n", "    if n_latent > n_features:\n",
           "S: learning: n_latent = D accepted", (T_LI,)),
    # ----- audit N: numerics, likelihoods and distributions, second pass (far tails, refusals, empty inputs)
    # (24 of 40 survived at first, marked; each now killed. Two package bugs found and fixed, each mutant reinstating
    # one: Gamma.variance α/β² was ∞ where β² underflows, and the isotropic GMM ∂/∂μ, (Rᵀ X − N μ)/σ², was off by
    # 1e-7 at data near 1e8. Two first mutants were equivalent: log1pmx's series and the Gamma ratio form used only
    # below 0.05 instead of ½ (the direct forms are within 3e-15 there); replaced by the same thresholds at 1e-6)
    # survived at first; killed by tests/test_numerics.py::test_logsumexp_of_an_empty_array_is_minus_infinity_in_the_reduced_shape
    Mutant(N, "return np.full(np.zeros_like(a).sum(axis=axis, keepdims=keepdims).shape, -np.inf)[()]",
           "return np.full((), -np.inf)[()]",
           "N: logsumexp of an empty array: one −∞ whatever the axis and keepdims", (T_N,)),
    Mutant(N, "np.log1p(np.sum(terms, axis=axis, keepdims=True) + (count - 1.0)) + shift",
           "np.log(np.sum(terms, axis=axis, keepdims=True) + count) + shift",
           "N: logsumexp: log(1 + Σ′) for log1p(Σ′): a result near 0 loses its digits", (T_N,)),
    Mutant(N, "        ties = np.count_nonzero(is_largest) > np.count_nonzero(finite)\n",
           "        ties = False\n",
           "N: logsumexp: tied maxima counted once", (T_N,)),
    # survived at first; killed by tests/test_numerics.py::test_logsumexp_refuses_an_axis_beyond_the_last_by_name
    Mutant(N, "if check_count(each, \"axis\", minimum=-max(a.ndim, 1)) >= max(a.ndim, 1):",
           "if check_count(each, \"axis\", minimum=-max(a.ndim, 1)) > max(a.ndim, 1):",
           "N: logsumexp: axis = a.ndim not refused by name", (T_N,)),
    Mutant(N, "    np.log1p(out, out=out)\n", "    np.log(1.0 + out, out=out)\n",
           "N: softplus: log(1 + e^(−|x|)): e^x lost below x ≈ −37", (T_N,)),
    Mutant(N, "            np.log1p(-np.exp(-np.maximum(a, np.log(2.0)))),",
           "            np.log(-np.expm1(-np.maximum(a, np.log(2.0)))),",
           "N: log1mexp: log(−expm1(−a)) also above log 2: −e^(−a) lost for large a", (T_N,)),
    Mutant(N, "    return -softplus(-as_float_array(x, \"x\", finite=False))",
           "    return -np.log1p(np.exp(-as_float_array(x, \"x\", finite=False)))",
           "N: log_sigmoid: −log(1 + e^(−x)) overflows for x ≲ −710", (T_N,)),
    Mutant(N, "subnormal = (x != 0) & (np.abs(x) < np.finfo(float).tiny)",
           "subnormal = (x > 0) & (np.abs(x) < np.finfo(float).tiny)",
           "N: gammaln: negative subnormal arguments left to SciPy (∞)", (T_N,)),
    # survived at first; killed by tests/test_numerics.py::test_cholesky_symmetry_tolerance_is_1e_10_of_the_largest_entry_by_default
    Mutant(N, "def cholesky(matrix, name=\"matrix\", *, symmetry_rtol=1e-10):",
           "def cholesky(matrix, name=\"matrix\", *, symmetry_rtol=1e-6):",
           "N: cholesky: default symmetry tolerance 1e-10 → 1e-6", (T_N, T_D)),
    # survived at first; killed by tests/test_numerics.py::test_cholesky_symmetry_tolerance_is_relative_to_each_matrix_of_a_batch
    Mutant(N, "    scale = np.abs(matrix).max(axis=(-1, -2), initial=0.0)\n",
           "    scale = np.abs(matrix).max(initial=0.0)\n",
           "N: cholesky: symmetry tolerance relative to the largest entry of the whole batch", (T_N, T_D)),
    Mutant(N, "    check_positive(diagonal, f\"the diagonal of {name}\")\n", "",
           "N: check_scale_tril: a negative diagonal refused only as 'at least 2.2e-308'", (T_N, T_D)),
    # survived at first; killed by tests/test_numerics.py::test_log_det_and_triangular_inverse_refuse_a_diagonal_that_is_not_positive
    Mutant(N, "    check_positive(np.diagonal(factor, axis1=-2, axis2=-1), f\"the diagonal of {name}\")\n", "",
           "N: log_det_from_cholesky / lower_triangular_inverse: a non-positive diagonal accepted", (T_N,)),
    # survived at first; killed by tests/test_numerics.py::test_sum_to_shape_refuses_incompatible_shapes
    Mutant(N, "    if leading < 0:\n", "    if False:\n",
           "N: sum_to_shape: a larger target shape not refused as such", (T_N,)),
    Mutant(N, "    return _where_overflowed(mean, values, axis, lambda scaled: np.mean(scaled, axis=axis))",
           "    return mean",
           "N: sample_mean: ∞ where the sum of finite values overflows", (T_N,)),
    # survived at first; killed by tests/test_numerics.py::test_sample_statistics_refuse_an_axis_beyond_the_last_by_name
    Mutant(N, "    if axis >= values.ndim:\n", "    if axis > values.ndim:\n",
           "N: sample_mean / standard_error_of_mean: axis = values.ndim not refused by name", (T_N,)),
    Mutant(L, "    return -ad.sum(ad.softplus((1 - 2 * y) * logits))",
           "    return -ad.sum(ad.log1p(ad.exp((1 - 2 * y) * logits)))",
           "N: logistic log-likelihood: log(1 + e^z) for softplus: −∞ for z ≳ 710", (T_L,)),
    Mutant(L, "numerics.sigmoid(-signs * _logits(X, weights))", "numerics.sigmoid(-signs * (X @ weights))",
           "N: logistic gradient: logits by the plain product, NaN where its float sum overflows", (T_L,)),
    Mutant(L, "    overflowed = ~np.isfinite(ad.value_of(logits))\n", "    overflowed = np.isnan(ad.value_of(logits))\n",
           "N: logistic logits: only NaN sums recomputed, a spurious ±∞ kept", (T_L,)),
    # survived at first; killed by tests/test_likelihoods.py::test_isotropic_gmm_refuses_data_without_columns_and_a_mixture_without_components
    Mutant(L, "    if X.shape[1] == 0:\n", "    if False:\n",
           "N: isotropic GMM: D = 0 columns accepted", (T_L,)),
    # survived at first; killed by tests/test_likelihoods.py::test_isotropic_gmm_refuses_data_without_columns_and_a_mixture_without_components
    Mutant(L, "    if count == 0:\n", "    if False:\n",
           "N: isotropic GMM: K = 0 components accepted", (T_L,)),
    # survived at first; killed by tests/test_extremes.py::test_isotropic_gmm_log_likelihood_with_a_point_far_from_every_component_and_logits_near_800
    Mutant(L, "    return ad.sum(ad.logsumexp(joint, axis=1))",
           "    return ad.sum(ad.log(ad.sum(ad.exp(joint), axis=1)))",
           "N: isotropic GMM: log Σ exp without the max shift: −∞ for a point far from every component", (T_L,)),
    # survived at first; killed by tests/test_extremes.py::test_isotropic_gmm_log_likelihood_with_a_point_far_from_every_component_and_logits_near_800
    Mutant(L, "responsibilities = np.exp(joint - numerics.logsumexp(joint, axis=1, keepdims=True))",
           "responsibilities = np.exp(joint) / np.sum(np.exp(joint), axis=1, keepdims=True)",
           "N: isotropic GMM gradient: responsibilities by a plain softmax, 0/0 for a far point", (T_L,)),
    # survived at first; killed by tests/test_extremes.py::test_isotropic_gmm_log_likelihood_with_a_point_far_from_every_component_and_logits_near_800
    Mutant(L, "weights = np.exp(logits - numerics.logsumexp(logits))",
           "weights = np.exp(logits) / np.sum(np.exp(logits))",
           "N: isotropic GMM gradient: π by a plain softmax, ∞/∞ for logits ≳ 710", (T_L,)),
    # survived at first; killed by tests/test_extremes.py::test_isotropic_gmm_log_likelihood_with_a_point_far_from_every_component_and_logits_near_800
    Mutant(L, "        ad.log_softmax(logits)\n", "        ad.log(ad.softmax(logits))\n",
           "N: isotropic GMM: log π as log(softmax): −∞ for a weight below e^−745", (T_L,)),
    # survived at first; killed by tests/test_extremes.py::test_isotropic_gmm_log_likelihood_with_data_and_means_at_1e8
    Mutant(L, "np.einsum(\"nk,nkd->kd\", responsibilities, X[:, None, :] - means[None, :, :]) * precisions[:, None]",
           "(responsibilities.T @ X - responsibilities.sum(axis=0)[:, None] * means) * precisions[:, None]",
           "N: isotropic GMM ∂/∂μ: (Rᵀ X − N μ)/σ² again, which cancels for data near 1e8", (T_L,)),
    # survived at first; killed by tests/test_extremes.py::test_gamma_moments_at_the_extremes
    Mutant(D, "        return self._broadcast_batch(self.concentration / self.rate / self.rate)",
           "        return self._broadcast_batch(self.concentration / self.rate**2)",
           "N: Gamma variance: α/β² again, ∞ where β² underflows", (T_D,)),
    # survived at first; killed by tests/test_extremes.py::test_lognormal_moments_at_the_extremes
    Mutant(D, "log_variance = 2 * (self.loc + self.scale**2) + np.log(-np.expm1(-self.scale**2))",
           "log_variance = 2 * (self.loc + self.scale**2) + np.log1p(-np.exp(-self.scale**2))",
           "N: LogNormal variance: log1p(−e^(−σ²)) for log(−expm1(−σ²)): small σ loses its digits", (T_D,)),
    # survived at first; killed by tests/test_extremes.py::test_lognormal_moments_at_the_extremes
    Mutant(D, "return self._broadcast_batch(np.exp(self.loc + self.scale**2 / 2))",
           "return self._broadcast_batch(np.exp(self.loc) * np.exp(self.scale**2 / 2))",
           "N: LogNormal mean: e^μ e^(σ²/2), 0 · ∞ at μ = −1000, σ = 40", (T_D,)),
    # survived at first; killed by tests/test_extremes.py::test_normal_log_prob_x_grad_at_the_extremes
    Mutant(D, "return self._value_gradient(-scaled_difference(x, self.loc, self.scale) / self.scale, inside)",
           "return self._value_gradient(-(x - self.loc) / self.scale**2, inside)",
           "N: Normal ∇ₓ log q: −(x − μ)/σ², ∞ where σ² underflows", (T_D,)),
    Mutant(D, "return self._standardised_score(scaled_difference(x, self.loc, self.scale), inside)",
           "return self._standardised_score((x - self.loc) / self.scale, inside)",
           "N: Normal score: (x − μ)/σ overflows where x − μ does", (T_D,)),
    # survived at first; killed by tests/test_extremes.py::test_gamma_score_in_the_shape_far_from_the_mode_at_the_extremes
    Mutant(D, "np.log(beta) + log_ratio(x, large))", "np.log(beta * x / large))",
           "N: Gamma score ∂/∂α (α ≥ 10, far from the mode): log(βx/α) overflows with βx", (T_D,)),
    Mutant(D, "stirling = log_ratio(alpha, rate) - 0.5 / alpha", "stirling = ad.log(alpha) - ad.log(rate) - 0.5 / alpha",
           "N: Gamma E[log z] (α ≥ 10): log α − log β cancels for α ≈ β", (T_D, T_K)),
    Mutant(D, "        log_r = ad.log(rate) + log_ratio(x, alpha)\n", "        log_r = ad.log(rate * x / alpha)\n",
           "N: Gamma log-density (α ≥ 10): log(βx/α) formed as a product", (T_D,)),
    # survived at first; killed by tests/test_extremes.py::test_gamma_log_prob_at_the_extremes (the case α = x = 0.09)
    Mutant(D, "scipy.special.zeta(k) / k for k in range(2, 19)]", "scipy.special.zeta(k) / k for k in range(2, 9)]",
           "N: lnΓ(1 + α) series truncated at α⁸", (T_D,)),
    # survived at first; killed by tests/test_distributions.py::test_gamma_draws_below_the_smallest_normal_float_are_numpys_draws
    Mutant(D, "        return np.maximum(draws, np.nextafter(0.0, 1.0))",
           "        return np.maximum(draws, np.finfo(float).tiny)",
           "N: Gamma sampling: draws below 2.2e-308 (subnormal, valid) raised to 2.2e-308", (T_D,)),
    # survived at first; killed by tests/test_distributions.py::test_categorical_score_in_the_probabilities_at_a_category_of_probability_zero
    Mutant(D, "out=np.zeros(shape), where=one_hot > 0)", "out=np.zeros(shape))",
           "N: Categorical score ∂/∂probs: 0/0 = NaN at a category of probability 0", (T_D,)),
    Mutant(D, "        close = np.abs(ratio - 1) < 0.5\n", "        close = np.abs(ratio - 1) < 0.0\n",
           "N: log_ratio: log(a/b) also near a = b, where a/b rounds away the difference", (T_D, T_K)),
    Mutant(D, "        below = (ad.value_of(u) < -0.5) | (ad.value_of(u) == np.inf)\n", "        below = ad.value_of(u) < -0.5\n",
           "N: lnΓ Bregman: an overflowing u gives ∞ − ∞", (T_D, T_K)),
    # survived at first; killed by tests/test_extremes.py::test_log1pmx_has_full_relative_precision (u = 1e-5, -1e-4)
    Mutant(D, "    near = ad.abs(u) < 0.5\n    t_source", "    near = ad.abs(u) < 1e-6\n    t_source",
           "N: log1pmx: the series only below |u| = 1e-6, the cancelling direct form above", (T_D,)),
    # survived at first; killed by tests/test_extremes.py::test_gamma_log_prob_at_the_extremes (the case α = x = 1e-5)
    Mutant(D, "near_zero = (concentration < 0.5) & (ad.value_of(x) > 0)", "near_zero = (concentration < 1e-6) & (ad.value_of(x) > 0)",
           "N: Gamma log-density: the ratio form only below α = 1e-6", (T_D,)),
    # ----- audit M: EM for Gaussian mixtures as a scikit-learn citizen (em.py's plumbing, em_steps.py, the model)
    # (24 of 39 survived at first, marked; each is now killed by a new test in tests/test_em.py or a new case of
    # tests/test_models_gaussian_mixture.py::test_constructor_refuses_bad_parameters. One was
    # equivalent: random_from_data's + 0.0 (−0.0 and 0.0 one row) dropped, since np.unique(axis=0) of NumPy 2.4
    # already equates them; replaced by the mutant of the same function's fallback to all the rows drawn)
    # survived at first; killed by tests/test_em.py::test_n_init_keeps_the_start_with_the_highest_final_log_likelihood
    Mutant(E_EM, "            if best is None or run.lower_bound > best.lower_bound:",
           "            if best is None:", "M: n_init keeps the first start, not the best", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_n_init_keeps_the_start_with_the_highest_final_log_likelihood
    Mutant(E_EM, "            if best is None or run.lower_bound > best.lower_bound:",
           "            if best is None or run.lower_bound > -np.inf:", "M: n_init keeps the last start, not the best",
           (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_n_init_keeps_the_start_with_the_highest_final_log_likelihood
    Mutant(E_EM, "        self._set_fitted(best, X.shape[1])", "        self._set_fitted(run, X.shape[1])",
           "M: the fitted attributes are the last start's, not the chosen one's", (T_EM,)),
    Mutant(E_EM, "starts = ((self._initial_model(X, settings, settings.generator.spawn(1)[0]), -np.inf)",
           "starts = ((self._initial_model(X, settings, settings.generator), -np.inf)",
           "M: the starts draw from the estimator's generator, not from spawned children", (T_EM,)),
    Mutant(E_EM, "                      for _ in range(settings.n_init))", "                      for _ in range(1))",
           "M: n_init ignored (one start)", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_n_init_keeps_the_start_with_the_highest_final_log_likelihood
    Mutant(E_EM, "        if not best.converged and settings.max_iter > 0:",
           "        if not run.converged and settings.max_iter > 0:",
           "M: ConvergenceWarning decided by the last start, not the chosen one", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_convergence_warning_points_at_the_caller_of_fit
    Mutant(E_EM, "                stacklevel=2,", "                stacklevel=1,",
           "M: ConvergenceWarning attributed to em.py, not to the caller of fit", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_refit_without_warm_start_starts_afresh
    Mutant(E_EM, "        if settings.warm_start and hasattr(self, \"model_\"):", "        if hasattr(self, \"model_\"):",
           "M: a refit with warm_start=False continues from the fitted model", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_warm_start_from_max_iter_0_continues_with_the_convergence_test_of_one_run
    Mutant(E_EM, "self.lower_bounds_[-1] if len(self.lower_bounds_)", "self.lower_bound_ if len(self.lower_bounds_)",
           "M: warm start compares with the final E-step (change 0: converged at once)", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_warm_start_from_max_iter_0_continues_with_the_convergence_test_of_one_run
    Mutant(E_EM, "if len(self.lower_bounds_) else -np.inf)]", "if len(self.lower_bounds_) else self.lower_bound_)]",
           "M: warm start after max_iter = 0 compares with the start's own log-likelihood", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_a_fall_of_the_log_likelihood_larger_than_tol_is_not_convergence
    Mutant(E_EM, "            if abs(change) < settings.tol:", "            if change < settings.tol:",
           "M: convergence test without |·|: a fall of the log-likelihood counts as converged", (T_EM,)),
    Mutant(E_EM, "            previous_log_likelihood = expectation.mean_log_likelihood\n", "",
           "M: the previous log-likelihood never updated (never converges)", (T_EM,)),
    Mutant(E_EM, "        self.lower_bound_ = run.lower_bound", "        self.lower_bound_ = run.lower_bounds[-1]",
           "M: lower_bound_ the bound before the last M-step", (T_EM,)),
    Mutant(E_EM, "responsibilities, _ = posterior_from_log_joint(_log_joint(model, X), axis=0, points=\"X\")",
           "responsibilities, _ = posterior_from_log_joint(_log_joint(model, X), axis=1, points=\"X\")",
           "M: predict_proba normalised over the points, not the components", (T_EM,)),
    Mutant(E_EM, "        return most_responsible(_log_joint(model, X), axis=0, points=\"X\")",
           "        return np.argmin(model.squared_mahalanobis(X), axis=1)",
           "M: predict by the nearest mean in Mahalanobis distance (weights and determinants ignored)", (T_EM,)),
    Mutant(E_EM, "        return model.log_marginal(X)",
           "        return np.max(_log_joint(model, X), axis=0)",
           "M: score_samples the largest log p(x, k), not log Σₖ p(x, k)", (T_EM,)),
    Mutant(E_EM, "        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()",
           "        return -2 * self.score(X) + 2 * self._n_parameters()", "M: aic from the mean log-likelihood, not the sum",
           (T_EM,)),
    Mutant(E_EM, "        return covariance_parameters + K * D + K - 1", "        return covariance_parameters + K * D + K",
           "M: free parameters: K weights, not K − 1", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_sample_defaults_to_random_state_as_to_rng
    Mutant(E_EM, "generator = (_estimator_generator(self.rng, self.random_state) if rng is None",
           "generator = (_as_generator(self.rng, \"rng\") if rng is None",
           "M: sample() ignores random_state (scikit-learn's name for the seed)", (T_EM,)),
    Mutant(E_EM, "n_samples = check_size(check_count(n_samples, \"n_samples\", minimum=1)",
           "n_samples = check_size(check_count(n_samples, \"n_samples\", minimum=0)",
           "M: sample(0) accepted", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_n_init_of_a_million_is_the_largest_accepted
    Mutant(E_EM, "    if n_init > MAX_N_INIT:", "    if n_init >= MAX_N_INIT:",
           "M: settings: n_init = 10⁶ (the largest allowed) refused", (T_EM,)),
    Mutant(E_EM, "    if covariance_type in (\"full\", \"tied\"):\n        cholesky(precisions",
           "    if covariance_type in (\"full\",):\n        cholesky(precisions",
           "M: tied precisions_init checked entrywise positive, not positive definite", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_warm_start_refuses_data_of_another_width_and_another_covariance_type
    Mutant(E_EM, "        found = (model.n_components, model.n_features, model.covariance_type)",
           "        found = (model.n_components, n_features, model.covariance_type)",
           "M: warm start on X of another width not refused", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_warm_start_refuses_data_of_another_width_and_another_covariance_type
    Mutant(E_EM, "        found = (model.n_components, model.n_features, model.covariance_type)",
           "        found = (model.n_components, model.n_features, settings.covariance_type)",
           "M: warm start with another covariance_type not refused as such", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_numpy_and_python_booleans_are_flags
    Mutant(E_EM, "    verbose = (int(verbose) if isinstance(verbose, (bool, np.bool_))",
           "    verbose = (int(verbose) if False", "M: verbose=True (scikit-learn's level 1) refused", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_numpy_and_python_booleans_are_flags
    # the check is validation.check_flag's, which warm_start shares with every flag
    Mutant(V, "    if not isinstance(value, (bool, np.bool_)):\n        raise TypeError(f\"{name} must be True or False",
           "    if not isinstance(value, bool):\n        raise TypeError(f\"{name} must be True or False",
           "M: warm_start=np.bool_(True) refused", (T_EM,)),
    # added with as_generator's name; killed by tests/test_validation.py::test_as_generator_names_the_argument_it_checks
    # and by the EM and CAVI tests of a bad random_state
    Mutant(V, 'raise TypeError(f"{name} must be a numpy.random.Generator, an integer seed or None; got bool {rng!r}")',
           'raise TypeError(f"rng must be a numpy.random.Generator, an integer seed or None; got bool {rng!r}")',
           "F: as_generator: a bool seed's message names rng whatever the argument", (T_V, T_EM, T_CA)),
    # survived at first; killed by tests/test_em.py::test_repr_shows_arguments_equal_to_a_default_but_of_another_type
    Mutant(E_EM, "        return type(value) is type(default) and bool(value == default)",
           "        return bool(value == default)", "M: repr hides n_components=1.0 and max_iter=100.0 (equal to the defaults)",
           (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_random_from_data_finds_distinct_rows_however_rare
    Mutant(E_EM, "    for candidates in (order[: 4 * count], order):", "    for candidates in (order[: 4 * count],):",
           "M: random_from_data: only the first 4K rows drawn searched for K distinct ones (rare rows missed)", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_random_from_data_draws_the_means_uniformly_in_random_order
    Mutant(E_EM, "    return candidates[np.sort(first)[:count]]", "    return candidates[first[:count]]",
           "M: random_from_data: the smallest distinct rows among the candidates, not the first drawn", (T_EM,)),
    Mutant(E_EM, "        if emptied or np.array_equal(new_labels, labels):",
           "        if np.array_equal(new_labels, labels):", "M: k-means: a Lloyd step that empties a cluster is taken",
           (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_kmeans_plus_plus_takes_lloyd_steps_to_the_fixed_point
    Mutant(E_EM, "LLOYD_STEPS = {\"kmeans\": 300, \"k-means++\": 0, \"kmeans++\": 10}",
           "LLOYD_STEPS = {\"kmeans\": 300, \"k-means++\": 0, \"kmeans++\": 1}",
           "M: init_params=\"kmeans++\": one Lloyd step, not up to 10", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_m_step_weights_are_the_counts_over_their_sum
    Mutant(EM, "    weights = counts / counts.sum()", "    weights = counts / n_samples",
           "M: M-step weights Nₖ/(number of points), not Nₖ/Σₖ Nₖ", (T_EM,)),
    Mutant(EM, "if previous is None else np.array(previous.means)", "if previous is None else previous.means",
           "M: M-step writes the new means into previous's array", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_m_step_leaves_previous_unchanged
    Mutant(EM, "covariances = np.array(previous.covariances) if previous is not None",
           "covariances = previous.covariances if previous is not None",
           "M: M-step writes the new covariances into previous's array", (T_EM,)),
    # survived at first; killed by tests/test_em.py::test_m_step_refuses_a_previous_with_another_number_of_components
    Mutant(EM, "        expected = (responsibilities.shape[1], X.shape[1], covariance_type)",
           "        expected = (previous.n_components, X.shape[1], covariance_type)",
           "M: m_step: a previous with another number of components accepted", (T_EM,)),
    Mutant(M, "            scale = self._scale_factors[component]", "            scale = self._precision_factors[component]",
           "M: GMM sample: x = μ + P ε (precision factor), not L ε", (E_T_GMM,)),
    Mutant(M, "        z = generator.choice(self.n_components, size=n, p=self.weights)",
           "        z = generator.choice(self.n_components, size=n)", "M: GMM sample: labels uniform, not ∝ weights",
           (E_T_GMM,)),
    # survived at first; killed by tests/test_em.py::test_sparse_data_are_refused_as_such
    Mutant(EM, "    if scipy.sparse.issparse(X):\n", "    if False:\n",
           "M: sparse X not refused as such (scikit-learn's tools look for the word)", (T_EM,)),
    # survived at first; killed by tests/test_models_gaussian_mixture.py::test_constructor_refuses_bad_parameters
    Mutant(M, "    if means.shape[1] == 0:\n", "    if False:\n",
           "M: GaussianMixture: means with no column (D = 0) not refused", (E_T_GMM,)),
    # ----- audit W: the tour's rows against its claims, from an independent review. Each mutant below
    # passed the tour before this audit (the E-step row computed log q as log p(x, k) − log p(x), tight for
    # any q; the CAVI rows compared the closed-form ELBO only with itself; the minibatch row's pooled SE
    # counted the spread between batches as noise and let a 5 % bias through); the rows now compute the
    # ELBO of the returned q, CAVI's ELBO and q(c) update by Gauss–Hermite quadrature of scipy.stats
    # densities, and the stratified SE. All survived at first; each is killed by tests/test_tour.py
    Mutant(EM, "    return expectation.responsibilities.T, expectation.elbo\n",
           "    return np.full_like(expectation.responsibilities.T, 1 / model.n_components), expectation.elbo\n",
           "W: e_step returns uniform responsibilities beside the true ELBO", (T2_TOUR,)),
    Mutant(CU, "+ 0.5 * dimension * (LOG_2PI + 1 + ad.log(mean_variances))",
           "+ 0.5 * dimension * (LOG_2PI + ad.log(mean_variances))",
           "W: unit-variance CAVI ELBO: the entropy of q(μ) without its +1", (T2_TOUR,)),
    Mutant(CU, "0.5 * (np.sum(means**2, axis=1) + dimension * mean_variances)", "0.5 * (np.sum(means**2, axis=1))",
           "W: unit-variance CAVI q(c) update without −½ D sₖ²", (T2_TOUR,)),
    Mutant(VI, "        {name: np.mean(g, axis=0) / rows.size for name, g in grads_theta.items()},",
           "        {name: np.mean(g, axis=0) / rows.size / 1.05 for name, g in grads_theta.items()},",
           "W: minibatch_elbo_gradient: ∇_θ biased low by 5 %", (T2_TOUR,)),
    # ----- audit H: the gradient registry and the gradient checker (vi_ref/registry/*.py, vi_ref/gradcheck.py)
    # (32 of 40 survived at first, marked; each now killed by a new test: the hard regions, broadcast shapes and
    # tolerances of the registry's entries are pinned in tests/test_registry.py, the checker's allowance, its
    # coordinate/direction boundary and its direction-shape refusal in tests/test_gradcheck.py. None was equivalent)
    Mutant(GC, "    abs_error = np.abs(analytic - numerical)\n", "    abs_error = analytic - numerical\n",
           "H: gradcheck: |analytic − numerical| without the abs (a gradient too small passes)", (T_G, T_R)),
    # survived at first; killed by tests/test_gradcheck.py::test_the_allowance_grows_with_the_numerical_gradient_only
    Mutant(GC, "excess = abs_error - (atol + rtol * np.abs(numerical))",
           "excess = abs_error - (atol + rtol * np.maximum(np.abs(analytic), np.abs(numerical)))",
           "H: gradcheck: allowance rtol·max(|analytic|, |numerical|): a gradient too large widens its tolerance",
           (T_G, T_R)),
    Mutant(GC, "excess = abs_error - (atol + rtol * np.abs(numerical))",
           "excess = abs_error - (atol + rtol * numerical)",
           "H: gradcheck: allowance rtol·numerical without the abs", (T_G, T_R)),
    # survived at first; killed by tests/test_gradcheck.py::test_up_to_max_coordinates_entries_are_checked_coordinate_by_coordinate
    Mutant(GC, "    if directions is None and x.size <= max_coordinates:",
           "    if directions is None and x.size < max_coordinates:",
           "H: gradcheck: an x of exactly max_coordinates entries checked along directions", (T_G,)),
    Mutant(GC, "        return _compare(analytic, numerical, rtol, atol, method, False, name)",
           "        return _compare(numerical, numerical, rtol, atol, method, False, name)",
           "H: gradcheck: coordinate check compares the numerical gradient with itself", (T_G, T_R)),
    # survived at first; killed by tests/test_gradcheck.py::test_a_direction_of_another_shape_is_refused
    Mutant(GC, "    if direction.shape != x.shape:\n", "    if direction.ndim != x.ndim:\n",
           "H: gradcheck: a direction of another shape but the same ndim accepted (broadcast against x)",
           (T_G, T_F)),
    Mutant(GC, "    rtol, atol = check_tolerance(rtol, \"rtol\"), check_tolerance(atol, \"atol\")\n",
           "    rtol, atol = float(rtol), float(atol)\n",
           "H: gradcheck: check_gradient's tolerances unchecked (a negative or NaN rtol accepted)", (T_G, T_F)),
    Mutant(GC, 'DEFAULT_RELATIVE_STEP = {"central": EPS ** (1 / 3),',
           'DEFAULT_RELATIVE_STEP = {"central": EPS ** (1 / 2),',
           "H: gradcheck: central default step √ε (the forward difference's), not ε^(1/3)", (T_G, T_R)),
    Mutant(GC, "    atol: float = 1e-9\n", "    atol: float = 1e-6\n",
           "H: gradcheck: GradientCase default atol 1e-9 → 1e-6", (T_G, T_R)),
    # ----- the registry's discovery and bookkeeping
    Mutant(R, "covered = {name for case in cases for name in case.covers}",
           "covered = {case.covers[-1] for case in cases}",
           "H: registry: only an entry's last covered name counts (kl_divergence_grad lost)", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_a_rule_only_in_the_rule_table_is_a_public_gradient
    Mutant(R, "    names = {gradient_name(p) for p in autodiff.PRIMITIVES.values()}\n", "    names = set()\n",
           "H: registry: the rule table autodiff.PRIMITIVES not read (rules found only as module attributes)", (T_R,)),
    Mutant(R, 'GRADIENT_SUFFIXES = ("_grad", "_vjp", "_jvp")', 'GRADIENT_SUFFIXES = ("_grad", "_jvp")',
           "H: registry: *_vjp functions not public gradients", (T_R,)),
    # ----- autodiff_rules: hard regions and broadcasting
    # survived at first; killed by tests/test_registry.py::test_rule_cases_with_fixed_inputs_reach_the_zeros_and_tails_they_name
    Mutant(RA, '"x": np.array([0.0, 0.0, 0.0, 0.7, 1.3, 0.0]), "y": np.array([1.0, 2.0, 3.0, 0.5, 2.5, 4.0])',
           '"x": np.array([0.4, 0.6, 0.8, 0.7, 1.3, 0.5]), "y": np.array([1.0, 2.0, 3.0, 0.5, 2.5, 4.0])',
           "H: autodiff_rules: power's zero-base case drawn away from 0", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_rule_cases_with_fixed_inputs_reach_the_zeros_and_tails_they_name
    Mutant(RA, '"x": np.array([[0.5, 0.0, 2.0, -1.5], [0.0, 1.2, 0.0, 3.0], [1.1, -0.7, 0.9, 2.0]])',
           '"x": np.array([[0.5, 0.3, 2.0, -1.5], [0.2, 1.2, 0.4, 3.0], [1.1, -0.7, 0.9, 2.0]])',
           "H: autodiff_rules: prod's zeros case without zeros", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_rule_cases_with_fixed_inputs_reach_the_zeros_and_tails_they_name
    Mutant(RA, '{"x": np.array([-100.0, -40.0, -30.0, -20.0, -8.0, -1.0, 0.0, 2.0, 6.0])}',
           '{"x": np.array([-5.0, -4.0, -3.0, -2.0, -8.0, -1.0, 0.0, 2.0, 6.0])}',
           "H: autodiff_rules: log_ndtr's lower tail only to −8", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_rule_cases_with_fixed_inputs_reach_the_zeros_and_tails_they_name
    Mutant(RA, '"y": np.array([0.0, -40.0, -700.0, 38.0])', '"y": np.array([1.0, -40.0, -70.0, 38.0])',
           "H: autodiff_rules: logaddexp's ties (and the scale −700) dropped", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_tie_cases_with_fixed_inputs_sit_on_their_kinks
    Mutant(RA, '{"x": np.array([-1.0, -0.5, 0.3, 1.2, 2.0, 3.1]), "low": np.array(-0.5), "high": np.array(2.0)}',
           '{"x": np.array([-1.0, -0.4, 0.3, 1.2, 1.9, 3.1]), "low": np.array(-0.5), "high": np.array(2.0)}',
           "H: autodiff_rules: clip's case has no entry at its bounds", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_tie_cases_with_fixed_inputs_sit_on_their_kinks
    Mutant(RA, "lambda x: ad.max(x, axis=1, initial=1.5)),", "lambda x: ad.max(x, axis=1, initial=1.6)),",
           "H: autodiff_rules: max's initial no longer ties an entry", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_broadcast_rule_cases_draw_inputs_that_broadcast
    Mutant(RA, 'rule_case(ad.add, "broadcast", inputs(x=normal(3, 1), y=normal(4)), lambda x, y: x + y),',
           'rule_case(ad.add, "broadcast", inputs(x=normal(3, 4), y=normal(3, 4)), lambda x, y: x + y),',
           "H: autodiff_rules: add's broadcast case drawn in equal shapes", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_broadcast_rule_cases_draw_inputs_that_broadcast
    Mutant(RA, 'inputs(a=normal(2, 3, 4), b=normal(4, 5)), lambda a, b: ad.matmul(a, b)),',
           'inputs(a=normal(2, 3, 4), b=normal(2, 4, 5)), lambda a, b: ad.matmul(a, b)),',
           "H: autodiff_rules: matmul's batched-broadcast case with equal batches", (T_R,)),
    # ----- distributions: hard families, broadcasting, tolerances
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, 'lambda rng: {"concentration": rng.uniform(20.0, 2e3, (2, 1)),',
           'lambda rng: {"concentration": rng.uniform(2.0, 9.0, (2, 1)),',
           "H: registry distributions: Gamma huge shapes below Stirling's threshold 10", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, '"rate": 10.0 ** (decades + rng.uniform(0.0, 1.0, 3))}', '"rate": rng.uniform(0.5, 2.0, 3)}',
           "H: registry distributions: Gamma huge-shape rates narrowed to [0.5, 2]", (T_R,)),
    # added with the rates drawn per decade; killed by
    # tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, '"rate": 10.0 ** (decades + rng.uniform(0.0, 1.0, 3))}',
           '"rate": 10.0 ** rng.uniform(lowest_rate_decade, lowest_rate_decade + 3, 3)}',
           "P: registry distributions: Gamma huge-shape rates log-uniform on 3 decades, not one per decade", (T_R,)),
    # added with the small-rate family; killed by
    # tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, 'FAMILIES["Gamma"], draw=_huge_shapes(-3), check=SMALL_RATE_CHECK',
           'FAMILIES["Gamma"], draw=_huge_shapes(-2), check=SMALL_RATE_CHECK',
           "P: registry distributions: Gamma huge-shape small rates from 1e-2, not 1e-3", (T_R,)),
    # added with the small-rate family; killed by
    # tests/test_registry.py::test_registered_gradient_matches_finite_differences (the step leaves the domain)
    Mutant(RD, 'SMALL_RATE_CHECK = {**SMALL_GRADIENT_CHECK, "relative_step": 3e-5}',
           'SMALL_RATE_CHECK = SMALL_GRADIENT_CHECK',
           "P: registry distributions: Gamma small rates checked with the default step", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, 'np.array([[9.5], [10.5]]) + rng.uniform(-0.2, 0.2, (2, 1))',
           'np.array([[9.5], [9.7]]) + rng.uniform(-0.2, 0.2, (2, 1))',
           "H: registry distributions: Gamma shapes 'straddling 10' all below 10", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, '"concentration": rng.uniform(0.05, 0.2, (2, 1))', '"concentration": rng.uniform(0.5, 0.9, (2, 1))',
           "H: registry distributions: Gamma tiny shapes raised to [0.5, 0.9]", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, '"scale": np.array([0.3, 1.0, 300.0])', '"scale": np.array([0.3, 1.0, 3.0])',
           "H: registry distributions: Normal wide scale 300 → 3", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, '"scale_tril": np.diag([0.3, 1.0, 40.0])', '"scale_tril": np.diag([0.3, 1.0, 4.0])',
           "H: registry distributions: MVN 'ill-conditioned' factor of condition 13, not 133", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, "_normalised(np.array([[0.02, 0.48, 0.3, 0.2],", "_normalised(np.array([[0.2, 0.3, 0.3, 0.2],",
           "H: registry distributions: Categorical tiny probability 0.02 → 0.2", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RD, '"logits": np.array([[0.5, 0.5, 0.5, -2.0], [30.0, 30.0, -30.0, 0.0]])',
           '"logits": np.array([[0.5, 0.4, 0.3, -2.0], [3.0, 2.0, -3.0, 0.0]])',
           "H: registry distributions: Categorical logits untied and shrunk", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_every_hard_distribution_family_has_every_entry_of_its_family
    Mutant(RD, "_value_case(label, spec) for label, spec in ALL_FAMILIES.items() if not",
           "_value_case(label, spec) for label, spec in FAMILIES.items() if not",
           "H: registry distributions: log_prob_x_grad checked only on the easy families", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_distribution_families_draw_parameters_of_broadcasting_batch_shapes
    Mutant(RD, 'draw=lambda rng: {"loc": rng.standard_normal((2, 1)), "scale": rng.uniform(0.5, 2.0, 3)},',
           'draw=lambda rng: {"loc": rng.standard_normal((2, 3)), "scale": rng.uniform(0.5, 2.0, (2, 3))},',
           "H: registry distributions: Normal's parameters drawn in one shape (no broadcasting)", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_every_registered_check_catches_a_small_relative_error
    Mutant(RD, 'SMALL_GRADIENT_CHECK = {"atol": 1e-11}', 'SMALL_GRADIENT_CHECK = {"atol": 1e-7}',
           "H: registry distributions: huge-shape Gamma checked at atol 1e-7", (T_R,)),
    # ----- kl: hard pairs and tolerances
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RK, '{"concentration": _positive(20.0, 500.0, 2, 1), "rate": _positive(0.5, 2.0, 3)},',
           '{"concentration": _positive(2.0, 9.0, 2, 1), "rate": _positive(0.5, 2.0, 3)},',
           "H: registry kl: Gamma||Gamma 'huge shapes' of q below 10", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_hard_distribution_and_kl_cases_draw_in_their_regions
    Mutant(RK, '{"concentration": lambda rng: 2.0 + 1e-3 * rng.standard_normal(3),',
           '{"concentration": lambda rng: 2.0 + 0.3 * rng.standard_normal(3),',
           "H: registry kl: Gamma||Gamma 'near-equal' shapes 0.3 apart", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_every_registered_check_catches_a_small_relative_error
    Mutant(RK, "    label: 1e-11 for label in", "    label: 1e-8 for label in",
           "H: registry kl: near-equal pairs checked at atol 1e-8", (T_R,)),
    # ----- flows, models, likelihoods
    # survived at first; killed by tests/test_registry.py::test_flow_model_and_likelihood_cases_draw_in_their_regions
    Mutant(RF, 'params["scale"] = np.array([0.2, 1.0, 8.0])', 'params["scale"] = np.array([0.8, 1.0, 1.2])',
           "H: registry flows: the 'scales' regime without small or large scales", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_every_registered_check_catches_a_small_relative_error
    Mutant(RF, 'return GradientCase(f"{name}[{regime}]", (name,), build, rtol=1e-6, relative_step=1e-3)\n',
           'return GradientCase(f"{name}[{regime}]", (name,), build, rtol=1e-4, relative_step=1e-3)\n',
           "H: registry flows: rtol 1e-6 → 1e-4", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_flow_model_and_likelihood_cases_draw_in_their_regions
    Mutant(RM, "z = np.exp(rng.uniform(-3.0, 3.0, (5, 2)))", "z = np.exp(rng.uniform(-0.3, 0.3, (5, 2)))",
           "H: registry models: Gamma–Poisson log_joint rates e^±0.3, not e^±3", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_flow_model_and_likelihood_cases_draw_in_their_regions
    Mutant(RM, "z = 2.0 * rng.standard_normal((5, 3, l))", "z = 2.0 * rng.standard_normal((3, l))",
           "H: registry models: LinearGaussian log_joint z without a sample axis (no samples against points)", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_flow_model_and_likelihood_cases_draw_in_their_regions
    Mutant(RL, '"logits": np.array([0.2, 0.2, -1.0]),', '"logits": np.array([0.2, 0.5, -1.0]),',
           "H: registry likelihoods: the tied-and-far mixture's weights untied", (T_R,)),
    # survived at first; killed by tests/test_registry.py::test_flow_model_and_likelihood_cases_draw_in_their_regions
    Mutant(RL, '"means": np.stack([mean, mean, mean + 40.0]),', '"means": np.stack([mean, mean + 0.5, mean + 4.0]),',
           "H: registry likelihoods: the tied-and-far mixture neither tied nor far", (T_R,)),
    # ----- audit X: the suite's honesty, from an independent review (no self-comparisons, no loose
    # tolerances found; these two survived the whole suite at first, each now killed by a same-draws oracle)
    # survived at first; killed by tests/test_estimators.py::test_the_optimal_baseline_is_one_constant_per_coordinate
    Mutant(ES, "    return np.divide(numerator, denominator, out=np.zeros_like(denominator), where=denominator > 0)\n",
           "    numerator, denominator = np.full_like(denominator, numerator.sum()), np.full_like(denominator, denominator.sum())\n"
           "    return np.divide(numerator, denominator, out=np.zeros_like(denominator), where=denominator > 0)\n",
           "X: optimal baseline: one constant pooled over the coordinates", (T_ES,)),
    # added with the families read from the classes; killed by
    # tests/test_estimators.py::test_the_pathwise_refusal_names_every_reparameterisable_family
    Mutant(ES, "        names += _public_subclass_names(subclass)\n", "",
           "F: pathwise refusal: the families' own subclasses not listed", (T_ES,)),
    # survived at first; killed by tests/test_vi.py::test_the_traced_elbo_and_its_standard_error_are_the_mean_and_sample_se_of_the_draws
    Mutant(VI, "float(standard_error_of_mean(ratios)), ratios", "float(standard_error_of_mean(ratios)) * 1.15, ratios",
           "X: fit's traced ELBO standard error 15 % too large", (T_VI,)),
    # the leave-one-out baseline of elbo_gradient's score function (added with this audit: fit_dataset had b = 0)
    Mutant(EG, "            weights = weights - (np.sum(weights, axis=0) - weights) / (n - 1)",
           "            weights = weights - np.mean(weights)",
           "X: elbo_gradient leave-one-out baseline pooled over the data points", (T_ES,)),
    Mutant(EG, "            weights = weights - (np.sum(weights, axis=0) - weights) / (n - 1)",
           "            weights = weights - np.sum(weights, axis=0) / n",
           "X: elbo_gradient leave-one-out baseline including the sample's own h", (T_ES,)),
    Mutant(VI, 'baseline = "leave_one_out" if estimator == "score_function" and n_samples >= 2 else None',
           "baseline = None", "X: fit_dataset's score function without its leave-one-out baseline", (T_VI,)),
    # left by audit H; killed by tests/test_registry.py::test_rule_cases_contract_the_output_with_random_weights
    Mutant(RA, "        weights = rng.standard_normal(np.shape(apply(**inputs)))",
           "        weights = np.ones(np.shape(apply(**inputs)))",
           "X: registry rule cases contract the output with weights of 1", (T_R,)),
    # stop 27: the backward pass's x * x and broadcast-constant shortcuts
    Mutant(G_GRAPH, "                    _accumulate(cotangents, owned, negated, key, cotangents[key], contribution, contribution_flipped)\n"
           "                    continue", "                    continue",
           "Y: x * x pulled back once and not doubled", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "and parents[0][1] is parents[1][1]", "and parents[0][0] == 0",
           "Y: any product of a commutative primitive taken as x * x", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "g.size > 0 and g.item(0) != 0", "g.size > 0", "Y: a broadcast 0 spared the strong zero",
           (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "return type(g) is np.ndarray and not any(g.strides) and", "return type(g) is np.ndarray and",
           "Y: any ḡ whose first entry is nonzero spared the strong zero", (Q_TM, Q_TA)),
    # stop 28: signs deferred (add, subtract, negative call no rule) and x · x under ḡ = ±½ pulled back to ±x
    Mutant(G_GRAPH, "contribution, contribution_flipped = g, flipped != (signs[argnum] < 0)",
           "contribution, contribution_flipped = g, flipped",
           "C: a rule's sign ignored: −ḡ passed on as +ḡ", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "contribution, contribution_flipped = g, flipped != (signs[argnum] < 0)",
           "contribution, contribution_flipped = g, signs[argnum] < 0",
           "C: a held negation forgotten where the rule passes ḡ on", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "                if signs is None:  # a rule needs the cotangent itself\n"
           "                    g, flipped = _negate(g, owned), False",
           "                if signs is None:  # a rule needs the cotangent itself\n"
           "                    flipped = False",
           "C: a rule given the held array, not its negation", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "        if id(leaf) in negated:\n            gradient = _negate(gradient, owned)\n", "",
           "C: a leaf's gradient returned un-negated", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "        first, second = (contribution, previous) if previous_negated else (previous, contribution)",
           "        first, second = previous, contribution",
           "C: (−a) + b computed as a − b", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "        combine, first, second = np.add, previous, contribution\n    else:\n        negated.discard(key)",
           "        combine, first, second = np.add, previous, contribution\n    else:",
           "C: a sum of a negated and a plain contribution still held negated", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "    if contribution_negated:\n        negated.add(key)\n", "",
           "C: a first contribution's deferred sign dropped (x · x under −½)", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "    if id(g) in owned and _has_c_strides(g):\n        return np.negative(g, out=g)",
           "    if True:\n        return np.negative(g, out=g)",
           "C: a held array negated in place though the pass does not own it", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "return _nonzero_constant(g) and abs(g.item(0)) == 0.5",
           "return _nonzero_constant(g) and abs(g.item(0)) <= 0.5",
           "C: x · x pulled back to ±x under any constant ḡ up to ½", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "squares.size > 0 and np.min(squares) > 0", "squares.size > 0 and not np.isnan(np.min(squares))",
           "C: ½x taken as exact below the normal range", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "squares.size > 0 and np.min(squares) > 0", "squares.size > 0 and np.min(squares) >= 0",
           "C: ½x taken as exact at x = 0 and in the subnormal range", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "_store(cotangents, owned, negated, key, x, g.item(0) < 0)",
           "_store(cotangents, owned, negated, key, x, g.item(0) > 0)",
           "C: x · x under −½ pulled back to +x", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "                foreign.add(id(x))\n", "",
           "C: a value held as a cotangent returned as a leaf's gradient without a copy", (Q_TM, Q_TA)),
    Mutant(G_GRAPH, "            if signs is not None and _is_broadcast(g):\n"
           "                signs = None  # −ḡ of a broadcast ḡ is a new full array, as the rule makes it\n", "",
           "C: a broadcast ḡ held negated (its negation later a full array)", (Q_TM, Q_TA)),
    # ----- audit Z: the gradient registry's entries (vi_ref/registry/*.py) and the export lists
    # (34 of 42 survived at first, marked; each now killed by a new test in tests/test_registry.py: the shapes,
    # regions and wiring the entries' names and docstrings claim are pinned. None was equivalent)
    # ----- kl: broadcast shapes, hard pairs, the pair gradient each entry claims
    # left by audit Z; killed by tests/test_registry.py::test_every_kl_pair_is_checked_on_a_broadcast_batch
    Mutant(RK, '{"loc": _normal(3), "scale": _positive(0.5, 2.0, 2, 3)}, {"loc": _normal(), "scale": _positive(0.5, 2.0, 3)},',
           '{"loc": _normal(2, 3), "scale": _positive(0.5, 2.0, 2, 3)}, {"loc": _normal(2, 3), "scale": _positive(0.5, 2.0, 2, 3)},',
           "Z: registry kl: Normal||Normal drawn in one shape (no broadcast batch)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_every_kl_pair_is_checked_on_a_broadcast_batch
    Mutant(RK, '{"loc": _normal(2), "scale_tril": lambda rng: _lower_factor(rng, 2, (3,))},',
           '{"loc": _normal(2), "scale_tril": lambda rng: _lower_factor(rng, 2)},',
           "Z: registry kl: MVN 'batched-q-factor' with an unbatched q factor", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_hard_kl_pairs_draw_in_their_regions
    Mutant(RK, 'np.array([1.0 + 1e-3 * rng.standard_normal(), 0.3, 30.0])',
           'np.array([1.0 + 1e-3 * rng.standard_normal(), 0.3, 3.0])',
           "Z: registry kl: Normal 'far scales' 30 vs 0.5 → 3 vs 0.5", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_hard_kl_pairs_draw_in_their_regions
    Mutant(RK, '{"concentration": _positive(50.0, 200.0, 3), "rate": _positive(0.5, 2.0, 3)},',
           '{"concentration": _positive(0.5, 5.0, 3), "rate": _positive(0.5, 2.0, 3)},',
           "Z: registry kl: Gamma 'concentrated q' as spread as p", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_hard_kl_pairs_draw_in_their_regions
    Mutant(RK, "TINY_CATEGORY_LOGITS = np.array([0.1, -0.3, 0.5, -9.0])",
           "TINY_CATEGORY_LOGITS = np.array([0.1, -0.3, 0.5, -1.0])",
           "Z: registry kl: Categorical near-equal pair without its tiny category", (T_R,)),
    # added with the relative check of the near-equal Categorical pair; killed by
    # tests/test_registry.py::test_the_near_equal_categoricals_check_every_coordinate_relatively
    Mutant(RK, 'SMALL_GRADIENT_ATOL["Categorical||Categorical-near-equal-with-a-tiny-category"] = 4e-15',
           'SMALL_GRADIENT_ATOL["Categorical||Categorical-near-equal-with-a-tiny-category"] = 1e-11',
           "F: registry kl: Categorical near-equal pair back at atol 1e-11 (its tiny category checked to 5.7e-4)",
           (T_R,)),
    # added with the relative check of the near-equal Categorical pair; killed by
    # tests/test_registry.py::test_hard_kl_pairs_draw_in_their_regions
    Mutant(RK, "    shift[likeliest] = -np.dot(probabilities, shift) / probabilities[likeliest]\n", "",
           "F: registry kl: near-equal Categorical shift not of zero p-mean (d = log q − log p near 0 at times)",
           (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_near_equal_kl_pairs_catch_an_error_of_5e_10
    Mutant(RK, 'SMALL_GRADIENT_ATOL["MultivariateNormal||MultivariateNormal-near-equal"] = 1e-16\n', "",
           "Z: registry kl: MVN near-equal pair checked at the default atol 1e-9", (T_R,)),
    # added with the relative check of the near-equal normals; killed by
    # tests/test_registry.py::test_the_near_equal_normals_check_every_coordinate_relatively
    Mutant(RK, 'SMALL_GRADIENT_ATOL["MultivariateNormal||MultivariateNormal-near-equal"] = 1e-16',
           'SMALL_GRADIENT_ATOL["MultivariateNormal||MultivariateNormal-near-equal"] = 1e-11',
           "P: registry kl: MVN near-equal pair back at atol 1e-11 (its ΔᵢΔⱼ coordinates checked to 1.6e-4)", (T_R,)),
    # added with the relative check of the near-equal normals; killed by
    # tests/test_registry.py::test_hard_kl_pairs_draw_in_their_regions
    Mutant(RK, "return 1e-3 * rng.choice([-1.0, 1.0], size) * rng.uniform(0.5, 1.5, size)",
           "return 1e-3 * rng.standard_normal(size)",
           "P: registry kl: near-equal normals' shifts drawn N(0, 1e-6), near 0 at times", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_every_kl_entry_covers_the_gradient_its_pair_dispatches_to
    Mutant(RK, "kl.kl_exponential_gamma, kl.kl_exponential_gamma_grad, Exponential, Gamma,\n"
               '        {"rate": _positive(0.5, 2.0, 3)}',
           "kl.kl_exponential_gamma, kl.kl_gamma_gamma_grad, Exponential, Gamma,\n"
               '        {"rate": _positive(0.5, 2.0, 3)}',
           "Z: registry kl: Exponential||Gamma entry claims to cover kl_gamma_gamma_grad", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_every_kl_entry_covers_the_gradient_its_pair_dispatches_to
    Mutant(RK, "CASES = [_case(label, *spec) for label, spec in PAIRS.items()]",
           'CASES = [_case(label, *spec) for label, spec in PAIRS.items() if "far-scales" not in label]',
           "Z: registry kl: the near-equal-and-far-scales Normal pair dropped", (T_R,)),
    # ----- likelihoods
    # left by audit Z; killed by tests/test_registry.py::test_the_saturated_logistic_entry_reaches_saturated_logits
    Mutant(RL, "* rng.uniform(41.0, 50.0, 4)", "* rng.uniform(4.1, 5.0, 4)",
           "Z: registry likelihoods: 'saturated' logistic rows moved to logits ±(4.1..5), not beyond ±40", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_the_saturated_logistic_entry_reaches_saturated_logits
    Mutant(RL, '    GradientCase(\n        "likelihoods.logistic_regression_log_likelihood_grad-saturated",\n'
               "        (gradient_name(likelihoods.logistic_regression_log_likelihood_grad),),\n"
               "        _logistic_saturated_problem,\n    ),\n", "",
           "Z: registry likelihoods: the saturated logistic entry dropped", (T_R,)),
    # ----- flows
    # left by audit Z; killed by tests/test_registry.py::test_every_flow_gradient_is_checked_in_every_regime
    Mutant(RF, 'REGIMES = ("generic", "near-constraint", "saturated", "scales", "past-rounding")',
           'REGIMES = ("generic", "near-constraint", "scales", "past-rounding")',
           "Z: registry flows: the saturated regime dropped", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_saturated_and_past_rounding_flow_entries_draw_in_their_regions
    Mutant(RF, 'params["b"] = np.array([6.0, -6.0, 4.0, -4.0])', 'params["b"] = np.array([0.6, -0.6, 0.4, -0.4])',
           "Z: registry flows: 'saturated' offsets ±0.5 (tanh not saturated)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_flow_entries_weight_exactly_the_outputs_their_gradient_pulls_back
    Mutant(RF, 'cotangent = rng.standard_normal(eps.shape) if method != "log_det_jacobian_grad"',
           'cotangent = rng.standard_normal(eps.shape) if method == "transform_vjp"',
           "Z: registry flows: transform_and_log_det_vjp checked with a zero cotangent (its z part unchecked)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_flow_entries_weight_exactly_the_outputs_their_gradient_pulls_back
    Mutant(RF, 'weights = rng.standard_normal(eps.shape[0]) if method != "transform_vjp"',
           'weights = rng.standard_normal(eps.shape[0]) if method == "log_det_jacobian_grad"',
           "Z: registry flows: transform_and_log_det_vjp checked with zero log-det weights", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_every_flow_gradient_is_checked_in_every_regime
    Mutant(RF, 'for method in ("log_det_jacobian_grad", "transform_and_log_det_vjp")',
           'for method in ("log_det_jacobian_grad",)',
           "Z: registry flows: transform_and_log_det_vjp never checked at a = 0 past rounding", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_every_flow_gradient_is_checked_in_every_regime
    Mutant(RF, 'METHODS = ("transform_vjp", "log_det_jacobian_grad", "transform_and_log_det_vjp")',
           'METHODS = ("transform_vjp", "transform_and_log_det_vjp")',
           "Z: registry flows: log_det_jacobian_grad checked only at a = 0 (its regimes dropped)", (T_R,)),
    Mutant(RF, 'offset = -(params["loc"] + params["scale"] * eps[0]) @ first["w"][0]',
           'offset = (params["loc"] + params["scale"] * eps[0]) @ first["w"][0]',
           "Z: registry flows: 'at a = 0' offset of the wrong sign (a = 2wᵀy₀)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_saturated_and_past_rounding_flow_entries_draw_in_their_regions
    Mutant(RF, "def _offsets_away_from_zero(params, eps, margin=1.5):",
           "def _offsets_away_from_zero(params, eps, margin=-30.0):",
           "Z: registry flows: past-rounding offsets not moved away from a = 0", (T_R,)),
    Mutant(RF, 'rtol=1e-6, relative_step=1e-3, inputs=("u",))', 'rtol=1e-4, relative_step=1e-3, inputs=("u",))',
           "Z: registry flows: the a = 0 entries checked at rtol 1e-4", (T_R,)),
    # ----- models
    # left by audit Z; killed by tests/test_registry.py::test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say
    Mutant(RM, "per_point = () if shared else (n,)", "per_point = (n,)",
           "Z: registry models: LinearGaussian 'shared' q drawn one per point", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say
    Mutant(RM, '"noise_var": rng.uniform(0.5, 2.0) if shared else rng.uniform(0.5, 2.0, d),',
           '"noise_var": rng.uniform(0.5, 2.0, d),',
           "Z: registry models: LinearGaussian ELBO never checked with isotropic noise and MVN q", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say
    Mutant(RM, '"scale": rng.uniform(0.5, 2.0, l),', '"scale": rng.uniform(0.5, 2.0, (n, l)),',
           "Z: registry models: LinearGaussian diagonal q's scale not broadcast", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say
    Mutant(RM, '_mixture_problem("full", "logits", q_batch=(2, 4))', '_mixture_problem("full", "logits")',
           "Z: registry models: mixture q of batch (2, 4) drawn of batch (4,)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say
    Mutant(RM, '_mixture_problem("diag", "probs", q_batch=())', '_mixture_problem("diag", "probs")',
           "Z: registry models: mixture 'shared probs' drawn one per point", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_log_joint_entries_draw_what_their_names_say
    Mutant(RM, 'COVARIANCE_TYPES_ORDER = ("full", "tied", "diag", "spherical")',
           'COVARIANCE_TYPES_ORDER = ("full", "tied", "diag")',
           "Z: registry models: spherical mixture log_joint_grad dropped", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_log_joint_entries_draw_what_their_names_say
    Mutant(RM, "partial(_linear_gaussian_log_joint, isotropic=True)", "partial(_linear_gaussian_log_joint, isotropic=False)",
           "Z: registry models: LinearGaussian 'isotropic' log_joint drawn with diagonal noise", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_log_joint_entries_draw_what_their_names_say
    Mutant(RM, "x = np.array([[0.0, 0.0, 1.0], [4.0, 7.0, 2.0]])", "x = np.array([[1.0, 3.0, 1.0], [4.0, 7.0, 2.0]])",
           "Z: registry models: Gamma–Poisson log_joint counts without zeros", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_log_joint_entries_tell_the_samples_apart
    Mutant(RM, "weights = np.random.default_rng(7).standard_normal(np.shape(model.log_joint(x, z)))",
           "weights = np.ones(np.shape(model.log_joint(x, z)))",
           "Z: registry models: log_joint_grad contracted with weights of 1 (samples interchangeable)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say
    Mutant(RM, 'q_inputs = {"loc": rng.normal(1.0, 0.3, 3), "scale": rng.uniform(0.2, 0.6)}',
           'q_inputs = {"loc": rng.normal(1.0, 0.3, 3), "scale": rng.uniform(0.2, 0.6, 3)}',
           "Z: registry models: Gamma–Poisson LogNormal q's scale not shared", (T_R,)),
    Mutant(RM, "            if symmetric:\n                covariances = (covariances + np.swapaxes(covariances, -1, -2)) / 2\n",
           "", "Z: registry models: mixture ELBO value reads the full/tied covariance unsymmetrised", (T_R,)),
    # ----- elbo, vi, learning
    # left by audit Z; killed by tests/test_registry.py::test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say
    Mutant("vi_ref/registry/elbo.py", '"scale_tril": lower_factor(rng, l, (n,)),', '"scale_tril": lower_factor(rng, l),',
           "Z: registry elbo: dataset ELBO q's factor shared (not mean-field per point)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_the_vi_target_is_correlated_and_not_quadratic
    Mutant("vi_ref/registry/vi.py", " - 0.1 * ad.sum(ad.square(ad.square(z)), axis=-1)", "",
           "Z: registry vi: the target log-joint without its quartic term (a Gaussian: constant curvature)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_the_vi_target_is_correlated_and_not_quadratic
    Mutant("vi_ref/registry/vi.py", "precision = np.array([[2.0, 0.6, 0.1], [0.6, 1.5, -0.4], [0.1, -0.4, 1.0]])",
           "precision = np.diag([2.0, 1.5, 1.0])",
           "Z: registry vi: the target's Gaussian uncorrelated (no mixed curvature)", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_the_learning_entries_are_isotropic_and_diagonal_at_a_generic_point
    Mutant("vi_ref/registry/learning.py", 'GradientCase(f"{_NAME}[diagonal noise]", (_NAME,), _objective_problem(False))',
           'GradientCase(f"{_NAME}[diagonal noise]", (_NAME,), _objective_problem(True))',
           "Z: registry learning: 'diagonal noise' entry drawn isotropic", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_the_learning_entries_are_isotropic_and_diagonal_at_a_generic_point
    Mutant("vi_ref/registry/learning.py", "start = problem.initial(rng) + 0.5 * rng.standard_normal(problem.size)",
           "start = problem.initial(rng)",
           "Z: registry learning: objective checked at the initial point (b = 0, q = N(0, I))", (T_R,)),
    # ----- the registry's discovery
    # left by audit Z; killed by tests/test_registry.py::test_gradients_in_every_kind_of_class_member_are_found
    Mutant(R, "    if isinstance(member, functools.cached_property):\n        return member.func\n", "",
           "Z: registry: gradients that are cached_property members not found", (T_R,)),
    Mutant(R, 'for info in pkgutil.walk_packages(vi_ref.__path__, "vi_ref."):',
           'for info in pkgutil.iter_modules(vi_ref.__path__, "vi_ref."):',
           "Z: registry: subpackages' modules not scanned", (T_R,)),
    # left by audit Z; killed by tests/test_registry.py::test_gradient_helpers_of_the_registry_and_the_tour_are_not_public_gradients
    Mutant(R, '"vi_ref.cli", "vi_ref.__main__", "vi_ref.tour")', '"vi_ref.cli", "vi_ref.__main__")',
           "Z: registry: the tour's helpers scanned for gradients", (T_R,)),
    # ----- export lists
    Mutant("vi_ref/autodiff/__init__.py", '"erf", "ndtr", "log_ndtr",', '"erf", "ndtr",',
           "Z: exports: autodiff.log_ndtr not exported", ("tests/test_api_docs.py", "tests/test_autodiff_numpy.py")),
    Mutant("vi_ref/autodiff/__init__.py", "for _function in (grad, value_and_grad, backward):",
           "for _function in (grad, backward):",
           "Z: exports: value_and_grad not presented as the package's (a driver counted as a gradient)", (T_R,)),
    Mutant("vi_ref/estimators/__init__.py", '    "iwae_gradient",\n', "",
           "Z: exports: estimators.iwae_gradient not exported", ("tests/test_api_docs.py", T_ES)),
    Mutant(R, '    "public_gradients",\n', "", "Z: exports: registry.public_gradients not exported",
           ("tests/test_api_docs.py", T_R)),
]

# Survivors argued to change no result (checked by hand; see the module docstring).
EQUIVALENT = {}


def _copy_tree(destination):
    for name in COPIED:
        source = os.path.join(ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(destination, name), ignore=shutil.ignore_patterns("__pycache__"))
        elif os.path.exists(source):
            shutil.copy2(source, destination)


def run_mutant(mutant, workdir):
    """(killed, seconds, the failing test or the survival note) for one mutant."""
    path = os.path.join(workdir, mutant.path)
    with open(path, encoding="utf-8") as handle:
        original = handle.read()
    occurrences = original.count(mutant.old)
    if occurrences != 1:
        raise RuntimeError(f"{mutant.description}: the text to mutate occurs {occurrences} times in {mutant.path}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(original.replace(mutant.old, mutant.new))
    tests = list(dict.fromkeys(BASE_TESTS + tuple(mutant.tests)))
    start = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not slow and not peer", *tests],
            cwd=workdir, capture_output=True, text=True, timeout=900,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    finally:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(original)
    seconds = time.perf_counter() - start
    failed = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    # pytest's exit codes: 1 a test failed, 2 collection failed (the mutant broke an
    # import); 3, 4 and 5 (internal error, usage error, nothing collected) are the
    # harness's faults, not a kill
    if result.returncode not in (0, 1, 2):
        raise RuntimeError(f"{mutant.description}: pytest exited {result.returncode}\n{result.stdout[-2000:]}")
    return result.returncode != 0, seconds, (failed[0][:110] if failed else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--only", default="", help="run the mutants whose description contains this")
    which.add_argument("--prefix", default="", help="run the mutants whose description starts with this")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once, each in its own copy")
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if args.only in m.description and m.description.startswith(args.prefix)]
    print(f"{len(mutants)} mutants; tests run per mutant: {', '.join(BASE_TESTS)} + the formula's own\n")

    def work(indexed):
        index, mutant = indexed
        with tempfile.TemporaryDirectory(prefix="vi_ref_mutant_") as workdir:
            _copy_tree(workdir)
            outcome = run_mutant(mutant, workdir)
        print(f"  ... {index + 1}: {'killed' if outcome[0] else 'SURVIVED'} ({mutant.description})", flush=True)
        return index, mutant, outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = sorted(pool.map(work, enumerate(mutants)), key=lambda item: item[0])
    killed = 0
    for index, mutant, (was_killed, seconds, detail) in results:
        killed += was_killed
        status = "killed  " if was_killed else "SURVIVED"
        print(f"{index + 1:3d} {status} {seconds:6.1f}s  {mutant.path:34s} {mutant.description}")
        if was_killed:
            print(f"{'':14s}by {detail}")
    survivors = [m for _, m, (k, _, _) in results if not k]
    print(f"\nmutation score: {killed}/{len(results)} = {100 * killed / max(1, len(results)):.1f} %")
    for mutant in survivors:
        note = EQUIVALENT.get(mutant.description, "NOT ARGUED: a hole in the tests")
        print(f"  survivor: {mutant.description} — {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
