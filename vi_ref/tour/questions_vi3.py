"""Questions VI3: what a variational family must offer (VI3.1), and when mean field
is exact (VI3.2) or leaves a gap (VI3.3). Derivation 08 §6–8."""

import numpy as np

from ..numerics import LOG_2PI
from .framework import Row, section
from .policy import monte_carlo_row, sample_mean_and_error

WARP = 0.8


class WarpedNormal:
    """q_φ: z = T(ε, φ) = m + s·(ε + a·softplus(ε)), ε ~ N(0, 1), φ = (m, s).

    It has no closed-form mean (E[softplus(ε)] is an integral), no closed-form
    entropy and no log q(z) at an arbitrary z (T has no closed-form inverse), yet it
    gives log q at its own draws: log q(T(ε)) = log N(ε) − log s − log(1 + a σ(ε)).
    It has no ``log_prob``: the demonstration cannot use one.
    """

    def __init__(self, loc, scale):
        self.loc, self.scale = float(loc), float(scale)

    def rsample_with_log_density(self, eps):
        """(z, log q(z), ∂z/∂s) at base draws ``eps``."""
        import scipy.special

        direction = eps + WARP * np.logaddexp(0.0, eps)
        log_density = (-0.5 * eps**2 - 0.5 * LOG_2PI - np.log(self.scale)
                       - np.log1p(WARP * scipy.special.expit(eps)))
        return self.loc + self.scale * direction, log_density, direction


def _one_latent_model(rng):
    from ..models import LinearGaussian

    model = LinearGaussian(rng.standard_normal((3, 1)), rng.standard_normal(3), rng.uniform(0.5, 1.5, 3))
    return model, model.sample(1, rng)[0][0]


def _score_in_z(model, x, z):
    """∂/∂z log p(x, z) = Wᵀ Ψ⁻¹ (x − b − W z) − z for the one-latent PPCA model."""
    w = model.W[:, 0]
    return ((x - model.b - np.outer(z, w)) / model.noise_var) @ w - z


def _warped_terms(model, x, q, eps):
    """Per-draw ELBO terms and pathwise gradient terms (∂/∂m, ∂/∂s)."""
    z, log_q, direction = q.rsample_with_log_density(eps)
    slope = _score_in_z(model, x, z)
    return model.log_joint(x, z[:, None]) - log_q, slope, slope * direction + 1 / q.scale


def _gauss_hermite_expectation(terms, order=120):
    """E_{ε~N(0,1)}[terms(ε)] by Gauss–Hermite quadrature (the integrands are smooth)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)
    return [float(np.sum(weights * term) / np.sqrt(2 * np.pi)) for term in terms(nodes)]


@section("VI3.1", "Questions – VI3.1: which conditions a–f a variational family must satisfy", "08 §6",
         order=60, labels=("VI3.1",))
def question_vi3_1(rng):
    import scipy.integrate

    from ..distributions import Categorical, MultivariateNormal, Normal
    from ..estimators import elbo_gradient
    from ..models import GaussianMixture, LinearGaussian

    model, x = _one_latent_model(rng)
    q = WarpedNormal(rng.normal(), rng.uniform(0.5, 1.0))
    elbo, grad_loc, grad_scale = _gauss_hermite_expectation(lambda eps: _warped_terms(model, x, q, eps))
    value, slope_loc, slope_scale = _warped_terms(model, x, q, rng.standard_normal(20000))
    estimates, errors = zip(*(sample_mean_and_error(v) for v in (slope_loc, slope_scale)))
    without_log_q = [monte_carlo_row("(a) E_q[z] in closed form: not needed; the pathwise ∇_φ ELBO of a q without one",
                                     np.array(estimates), np.array(errors), np.array([grad_loc, grad_scale]),
                                     "Gauss–Hermite quadrature over ε", label="VI3.1")]
    yield without_log_q[0]
    step = 1e-5
    shifted = [_gauss_hermite_expectation(lambda eps, d=d: _warped_terms(model, x, WarpedNormal(q.loc + d[0], q.scale + d[1]), eps))[0]
               for d in ((step, 0), (-step, 0), (0, step), (0, -step))]
    numerical = np.array([shifted[0] - shifted[1], shifted[2] - shifted[3]]) / (2 * step)
    error = float(np.max(np.abs(numerical - [grad_loc, grad_scale])))
    yield Row("    … and that quadrature gradient is the derivative of the quadrature ELBO",
              f"max |error| {error:.1e}", "central differences of the ELBO in (m, s)", "≤ 1e-6", error <= 1e-6, "VI3.1")
    estimate, standard_error = sample_mean_and_error(value)
    without_log_q.append(monte_carlo_row("(b) the entropy in closed form: not needed; −E_q[log q] is estimated from draws",
                                         estimate, standard_error, elbo, "quadrature ELBO", label="VI3.1"))
    yield without_log_q[1]
    # (a) and (b) agree with a quadrature of the same log q, so they cannot see a wrong
    # log q (a lost Jacobian term): that it is a density is checked with dz from the
    # draws z = T(ε) themselves, not from the Jacobian inside log q
    z, log_density, _ = q.rsample_with_log_density(np.linspace(-12.0, 12.0, 2001))
    total = scipy.integrate.simpson(np.exp(log_density), x=z)
    yield Row("    … and the log q they used is a density: ∫ q(z) dz = 1", f"∫ q = {total:.12f}",
              "Simpson's rule in z over the points z = T(ε), ε ∈ [−12, 12]",
              "|∫ q − 1| ≤ 1e-9 (the rule's error ~1e-11)", abs(total - 1) <= 1e-9, "VI3.1")

    # (c) sampling is required, the reparameterisation only by the recipe's step 7:
    # the score-function estimator needs neither T nor a continuous z
    mixture = GaussianMixture(np.array([0.3, 0.5, 0.2]), 2 * rng.standard_normal((3, 2)), np.tile(np.eye(2), (3, 1, 1)))
    point = mixture.sample(1, rng)[0][0]
    categorical = Categorical(logits=0.5 * rng.standard_normal(3))
    terms = elbo_gradient(mixture, categorical, point, 20000, rng, estimator="score_function")[1]["logits"]
    estimate, standard_error = sample_mean_and_error(terms)
    exact = mixture.elbo_grad(point, categorical)[1]["logits"]
    yield monte_carlo_row("(c) reparameterisation: needed by the recipe (step 7), not by VI: score-function "
                          "∇_φ ELBO for a Categorical q", estimate, standard_error, exact,
                          "closed-form GaussianMixture.elbo_grad", label="VI3.1")
    # WarpedNormal has no log_prob (T has no closed-form inverse): had (a) or (b) asked
    # for log q(z), they would have raised, not passed
    yield Row("(d) log q(z) at an arbitrary z: not needed (a demonstration): (a)–(b) passed with a q that has no"
              " log q(z) at all",
              f"(a), (b): {'passed' if all(row.ok for row in without_log_q) else 'failed'};"
              f" WarpedNormal.log_prob: {'present' if hasattr(q, 'log_prob') else 'absent'}",
              "T(ε, φ) has no closed-form inverse",
              "(a) and (b) pass", all(row.ok for row in without_log_q) and not hasattr(q, "log_prob"), "VI3.1")

    # (e) log q at the draws is needed: without −E_q[log q] the objective E_q[log p(x, z)]
    # prefers q collapsing to a point, where the ELBO is −∞
    linear = LinearGaussian(rng.standard_normal((4, 2)), np.zeros(4), 0.5)
    data = linear.sample(1, rng)[0][0]
    posterior = linear.posterior(data)
    shrunk = [MultivariateNormal(posterior.loc, scale_tril=posterior.scale_tril * f) for f in (1.0, 1e-1, 1e-3, 1e-6)]
    without = np.array([linear.elbo(data, s) - s.entropy() for s in shrunk])
    with_entropy = np.array([linear.elbo(data, s) for s in shrunk])
    ok = np.all(np.diff(without) > 0) and np.all(np.diff(with_entropy) < 0)
    yield Row("(e) log q(z) at draws from q: needed by the recipe unless the entropy is in closed form (b); without"
              " either, E_q[log p(x,z)] is maximised by a collapsing q",
              f"E_q[log p] {without[0]:.3f} → {without[-1]:.3f} while the ELBO {with_entropy[0]:.3f} → {with_entropy[-1]:.1f}",
              "scale of q × 1, 1e-1, 1e-3, 1e-6 (closed forms)", "E_q[log p] rises, ELBO falls", ok, "VI3.1")

    # (f) factorisation is not needed: a full-covariance q can be the exact posterior
    correlation = _posterior_correlation(posterior)
    diagonal = Normal(posterior.loc, 1 / np.sqrt(np.diagonal(np.linalg.inv(posterior.covariance_matrix))))
    tight = abs(linear.log_marginal(data) - linear.elbo(data, posterior))
    gap = linear.log_marginal(data) - linear.elbo(data, diagonal)
    yield Row("(f) q(z) = Πᵢ qᵢ(zᵢ): not needed; a full-covariance q reaches log p(x), the best factorised q does not",
              f"gap {tight:.1e} (full) vs {gap:.3g} (mean field)", f"−½ log(1 − ρ²) = {-0.5 * np.log1p(-correlation**2):.3g}",
              "≤ 1e-10; equal to 1e-10", tight <= 1e-10 and abs(gap + 0.5 * np.log1p(-correlation**2)) <= 1e-10, "VI3.1")


def _posterior_correlation(mvn):
    covariance = mvn.covariance_matrix
    return float(covariance[0, 1] / np.sqrt(covariance[0, 0] * covariance[1, 1]))


def _mean_field_optimum(posterior):
    """The mean-field optimum against a Gaussian N(m, Λ⁻¹): mean m, variances 1/Λᵢᵢ."""
    from ..distributions import Normal

    precision = np.linalg.inv(posterior.covariance_matrix)
    return Normal(posterior.loc, 1 / np.sqrt(np.diagonal(precision))), precision


@section("VI3.2", "Questions – VI3.2: a model whose posterior factorises", "08 §7", order=61, labels=("VI3.2",))
def question_vi3_2(rng):
    from ..distributions import MultivariateNormal
    from ..kl import kl_divergence
    from ..models import LinearGaussian

    # z₁, z₂ ~ N(0, 1) independent; x | z ~ N(w₁ z₁, σ²): z₂ does not enter the
    # likelihood, so log p(x, z) is a sum of a z₁ part and a z₂ part
    model = LinearGaussian(np.array([[rng.uniform(0.5, 2.0), 0.0]]), np.zeros(1), rng.uniform(0.2, 1.0))
    x = model.sample(1, rng)[0][0]
    posterior = model.posterior(x)
    correlation = _posterior_correlation(posterior)
    q, _ = _mean_field_optimum(posterior)
    divergence = kl_divergence(MultivariateNormal(q.loc, scale_tril=np.diag(q.scale)), posterior)
    gap = abs(model.log_marginal(x) - model.elbo(x, q))
    yield Row("p(z₁,z₂) = N(0, I), x | z ~ N(w₁z₁, σ²): p(z₁,z₂|x) = p(z₁|x) p(z₂|x)",
              f"posterior correlation {correlation:.1e}; KL(q_MF‖p) {divergence:.1e}; gap {gap:.1e}",
              "0 (a factorised posterior)", "all ≤ 1e-12", max(abs(correlation), divergence, gap) <= 1e-12, "VI3.2")


@section("VI3.3", "Questions – VI3.3: a model whose posterior does not factorise; the mean-field gap", "08 §8",
         order=62, labels=("VI3.3",))
def question_vi3_3(rng):
    from ..distributions import MultivariateNormal
    from ..kl import kl_divergence
    from ..models import LinearGaussian

    # x | z ~ N(w₁z₁ + w₂z₂, σ²): both latents explain the same x ("explaining away")
    weights = rng.uniform(0.8, 2.0, 2) * rng.choice([-1.0, 1.0], 2)
    noise = rng.uniform(0.1, 0.5)
    model = LinearGaussian(weights[None, :], np.zeros(1), noise)
    x = model.sample(1, rng)[0][0]
    posterior = model.posterior(x)
    correlation = _posterior_correlation(posterior)
    expected = -weights[0] * weights[1] / noise / np.sqrt(np.prod(1 + weights**2 / noise))
    yield Row("x | z ~ N(w₁z₁ + w₂z₂, σ²): the posterior is correlated, ρ = −w₁w₂/σ² / √(Λ₁₁Λ₂₂)",
              f"ρ = {correlation:+.4f}", f"{expected:+.4f} by hand", "equal to 1e-12, |ρ| > 0",
              abs(correlation - expected) <= 1e-12 and abs(correlation) > 0, "VI3.3")
    q, precision = _mean_field_optimum(posterior)
    grads = model.elbo_grad(x, q)[1]
    stationary = max(float(np.max(np.abs(g))) for g in grads.values())
    perturbed = [model.elbo(x, type(q)(q.loc + d[:2], q.scale * np.exp(d[2:])))
                 for d in 0.05 * rng.standard_normal((8, 4))]
    yield Row("the mean-field optimum is closed form: means m, variances 1/Λᵢᵢ (no SVI needed)",
              f"max |∇_φ ELBO| {stationary:.1e}; 8 random perturbations all lower",
              "hand-written LinearGaussian.elbo_grad", "≤ 1e-10 and a maximum",
              stationary <= 1e-10 and max(perturbed) < model.elbo(x, q), "VI3.3")
    gap = model.log_marginal(x) - model.elbo(x, q)
    divergence = kl_divergence(MultivariateNormal(q.loc, scale_tril=np.diag(q.scale)), posterior)
    formula = -0.5 * np.log1p(-correlation**2)
    yield Row("the mean-field gap log p(x) − ELBO(q*) is the exact KL(q*‖p(z|x)) = −½ log(1 − ρ²) > 0",
              f"gap {gap:.6g}, KL {divergence:.6g}", f"−½ log(1 − ρ²) = {formula:.6g}", "three agree to 1e-10",
              max(abs(gap - formula), abs(divergence - formula)) <= 1e-10 and formula > 0, "VI3.3")
    variances = np.diagonal(posterior.covariance_matrix)
    ratio = (q.scale**2) / variances
    yield Row("mean field underestimates the marginal variances: 1/Λᵢᵢ = (1 − ρ²) Σᵢᵢ",
              f"ratios {ratio[0]:.4f}, {ratio[1]:.4f}", f"1 − ρ² = {1 - correlation**2:.4f}", "equal to 1e-12",
              np.max(np.abs(ratio - (1 - correlation**2))) <= 1e-12, "VI3.3")
