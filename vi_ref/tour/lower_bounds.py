"""Lecture part 2: maximisation using lower bounds, and questions VI2.1 and VI2.2.

The running example: θ = σ², the noise variance of a PPCA model with W fixed, on a
grid; f(θ) = log p_θ(x), and the family 𝒢 = {ELBO(·, q)} indexed by the posteriors
q = p_θ₀(z|x) at anchors θ₀ on the same grid (derivation 03 §3, 08 §3–4).
"""

import numpy as np

from .framework import Row, section
from .policy import z_limit

GRID = np.linspace(0.2, 3.0, 29)


def evidence_and_bounds(rng, grid=GRID):
    """(f on the grid, matrix of bounds: row j is ELBO(θ, q_j) with q_j the posterior at grid[j]).
    The data point is drawn from the model at a θ inside the grid."""
    from ..models import LinearGaussian

    loadings = rng.standard_normal((4, 2))
    x = LinearGaussian(loadings, np.zeros(4), rng.uniform(0.5, 2.0)).sample(1, rng)[0][0]
    models = [LinearGaussian(loadings, np.zeros(4), s) for s in grid]
    evidence = np.array([m.log_marginal(x) for m in models])
    posteriors = [m.posterior(x) for m in models]
    bounds = np.array([[m.elbo(x, q) for m in models] for q in posteriors])
    return evidence, bounds, models, x


@section("bounds", "Maximization using Lower Bounds; Multiple Lower Bounds", "03 §3", order=4)
def maximisation_using_lower_bounds(rng):
    evidence, bounds, models, x = evidence_and_bounds(rng)
    scale = np.max(np.abs(evidence))
    excess = float(np.max(bounds - evidence) / scale)
    yield Row("every member g_q(θ) = ELBO(θ, q) of 𝒢 is a lower bound: g ≤ f = log p_θ(x) for all θ",
              f"max (g − f)/|f| {excess:+.1e} over {bounds.size} (q, θ) pairs", "exact log p_θ(x)",
              "≤ 1e-13 (round-off; KL ≥ 0)", excess <= 1e-13)
    touching = float(np.max(np.abs(np.diagonal(bounds) - evidence)) / scale)
    yield Row("each g_q touches f at the θ₀ where q = p_θ₀(z|x)", f"max rel gap {touching:.1e}", "exact log p_θ₀(x)",
              "≤ 1e-13", touching <= 1e-13)
    best = float(np.max(bounds))
    yield Row("max over 𝒢 and θ of g equals max_θ f (the best bound is tight at the maximiser)",
              f"{best:.10g}", f"max f = {np.max(evidence):.10g}", "equal to 1e-12 relative",
              abs(best - np.max(evidence)) <= 1e-12 * scale)
    # alternating maximisation (EM for σ²): q ← p_θ(z|x), then the exact M-step
    # θ ← argmax_θ ELBO(θ, q) = E_q‖x − W z‖² / D, in continuous θ. log p_θ(x) can have
    # several local maxima in σ², and EM climbs to one of them (a stationary point).
    from ..models import LinearGaussian

    model = models[0]

    def f(variance):
        return LinearGaussian(model.W, model.b, variance).log_marginal(x)

    variance, path = float(GRID[0]), []
    for _ in range(2000):
        current = LinearGaussian(model.W, model.b, variance)
        path.append(current.log_marginal(x))
        q = current.posterior(x)
        residual = x - model.b - model.W @ q.loc
        variance, previous = float(residual @ residual + np.sum((model.W @ q.scale_tril) ** 2)) / x.size, variance
        if abs(variance - previous) <= 1e-13 * previous:
            break
    # round-off of log det(WWᵀ + σ²I) grows like ε‖W‖²/σ², and the maximiser can sit at a small σ²
    rising = bool(np.all(np.diff(path) >= -1e-10 * scale))
    slope = variance * (f(variance * (1 + 1e-4)) - f(variance * (1 - 1e-4))) / (2e-4 * variance)
    peak = f(variance) > max(f(variance * 1.01), f(variance * 0.99))
    yield Row("alternating: q ← p_θ(z|x), θ ← argmax_θ g_q(θ) never lowers f and stops at a maximum of f",
              f"f from {path[0]:.6g} to {path[-1]:.8g} in {len(path)} steps; σ² f′(σ²) = {slope:.1e}",
              "central differences of the exact log p_θ(x)", "monotone to 1e-10 (round-off); |σ² f′| ≤ 1e-6; "
              "f lower at σ²(1 ± 1%)", rising and abs(slope) <= 1e-6 and peak)


def _halved_density(q):
    """The posterior q with a forgotten factor 2 in its normaliser: draws from q, but
    log q(z) − log 2 as its log-density."""
    from ..distributions import MultivariateNormal

    class HalvedDensity(MultivariateNormal):
        def log_prob(self, z):
            return super().log_prob(z) - np.log(2.0)

    return HalvedDensity(q.loc, scale_tril=q.scale_tril)


@section("VI2.1", "Questions – VI2.1: why every g ∈ 𝒢 must be a lower bound", "08 §3", order=13, labels=("VI2.1",))
def question_vi2_1(rng):
    from ..elbo import elbo_monte_carlo

    evidence, bounds, models, x = evidence_and_bounds(rng)
    best = int(np.argmax(evidence))
    # one faulty member: the ELBO computed with q's density taken as half its value
    # (E_q[log p − log(q/2)] = ELBO + log 2), by Monte Carlo over q's own draws; at
    # θ₀, where q = p_θ₀(z|x), log p − log q = log p(x) for every draw (no noise)
    faulty_q = _halved_density(models[best].posterior(x))
    faulty, errors = np.array([elbo_monte_carlo(model, faulty_q, x, 4000, rng) for model in models]).T
    z = z_limit(len(models))  # the false-alarm policy, over the grid's estimates
    above = float(np.max(faulty - evidence))
    yield Row("a member with g > f somewhere (a q whose density is off by a factor 2) is not a bound",
              f"max (g − f) = {above:+.3f}", "exact log p_θ(x)",
              f"> {z:.1f} standard errors: the faulty member exceeds f",
              above > z * errors[np.argmax(faulty - evidence)], "VI2.1")
    family = np.vstack([bounds, faulty])
    reported, at = float(np.max(family)), np.unravel_index(np.argmax(family), family.shape)
    tolerance = z * (errors[at[1]] if at[0] == len(bounds) else 0.0) + 1e-12 * abs(reported)
    yield Row("then max over 𝒢 and θ exceeds max_θ f: the procedure reports a value no θ attains",
              f"{reported:.6g}", f"max f = {np.max(evidence):.6g}", f"reported − max f = log 2 (to {z:.1f} SE)",
              abs(reported - np.max(evidence) - np.log(2.0)) <= tolerance, "VI2.1")


@section("VI2.2", "Questions – VI2.2: approximately minimising an intractable f", "08 §4", order=14, labels=("VI2.2",))
def question_vi2_2(rng):
    evidence, bounds, models, x = evidence_and_bounds(rng)
    objective, upper = -evidence, -bounds  # minimise f = −log p_θ(x) with u_q = −ELBO(·, q) ≥ f
    scale = np.max(np.abs(objective))
    below = float(np.max(objective - upper) / scale)
    yield Row("to minimise f = −log p_θ(x), use upper bounds u_q(θ) = −ELBO(θ, q) ≥ f",
              f"max (f − u)/|f| {below:+.1e}", "exact −log p_θ(x)", "≤ 1e-13", below <= 1e-13, "VI2.2")
    yield Row("min over the family and θ of u equals min_θ f", f"{np.min(upper):.10g}",
              f"min f = {np.min(objective):.10g}", "equal to 1e-12 relative",
              abs(np.min(upper) - np.min(objective)) <= 1e-12 * scale, "VI2.2")
    # lower bounds are useless for minimising: ℓ(θ) = −log N(b | b, C_θ) ≤ f(θ) since a
    # Gaussian density is largest at its mean; its minimum lies far below min f
    lower = np.array([-m.log_marginal(m.b) for m in models])
    valid = bool(np.all(lower <= objective))
    yield Row("with a lower bound ℓ ≤ f instead (−log of the density's peak), min ℓ says nothing about min f",
              f"min ℓ = {np.min(lower):.4g} at σ² = {GRID[np.argmin(lower)]:.2f}",
              f"min f = {np.min(objective):.4g} at σ² = {GRID[np.argmin(objective)]:.2f}",
              "ℓ ≤ f everywhere, min ℓ < min f", valid and np.min(lower) < np.min(objective), "VI2.2")
