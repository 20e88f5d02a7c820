"""The ELBO: its derivation from log p(x), the decomposition, its intuitive
meaning, and question VI2.3 (a q whose support is too large)."""

import numpy as np

from .framework import Row, section
from .latent_variable_models import example_models, half_line_integral, relative_error
from .policy import monte_carlo_row


def random_qs(rng, n_latent=3, n_points=5, n_components=3):
    """One q per data point for every family the closed-form ELBOs accept; the
    categorical probabilities are ≥ 1/(2K) so that no Monte Carlo SE collapses."""
    from ..distributions import Categorical, Gamma, MultivariateNormal, Normal

    lower = np.tril(0.3 * rng.standard_normal((n_points, n_latent, n_latent)), -1) + np.eye(n_latent)
    return (MultivariateNormal(rng.standard_normal((n_points, n_latent)), scale_tril=lower),
            Normal(rng.standard_normal((n_points, n_latent)), rng.uniform(0.3, 2.0, (n_points, n_latent))),
            Categorical(probs=0.5 * rng.dirichlet(np.ones(n_components), n_points) + 0.5 / n_components),
            Gamma(rng.uniform(1.0, 8.0, n_points), rng.uniform(1.0, 4.0, n_points)))


@section("elbo", "Lower Bound for the Marginal Log-likelihood; Evidence Lower BOund (ELBO); "
         "Alternative Interpretation; Intuitive Meaning of the ELBO", "03 §4", order=7)
def evidence_lower_bound(rng):
    from ..elbo import elbo_decomposition, elbo_monte_carlo
    from ..kl import kl_divergence

    linear, x, mixture, points, counts_model, counts = example_models(rng)
    q_full, q_diagonal, q_labels, q_rate = random_qs(rng)
    settings = [(linear, x, q_full), (linear, x, q_diagonal), (mixture, points, q_labels), (counts_model, counts, q_rate)]
    residual = max(float(np.max(np.abs(elbo_decomposition(m, q, d).residual))) for m, d, q in settings)
    yield Row("log p(x) = ELBO(q) + KL(q‖p(z|x)), random q of 4 families, 3 models",
              f"max |residual| {residual:.1e}",
              "exact log p(x); KL(q‖p(z|x)) from vi_ref.kl (apart from model.elbo, except that the Gamma–Poisson"
              " ELBO takes its prior term from vi_ref.kl: the Monte Carlo row below checks that ELBO)",
              "≤ 1e-10 (round-off)", residual <= 1e-10)
    gap = max(float(np.max(np.abs(m.log_marginal(d) - m.elbo(d, m.posterior(d))))) for m, d, _ in settings)
    yield Row("tight at q = p(z|x): ELBO = log p(x)", f"max gap {gap:.1e}", "exact log p(x), 3 models",
              "≤ 1e-10", gap <= 1e-10)
    estimates, errors, exact = [], [], []
    for model, data, q in settings:
        estimate, standard_error = elbo_monte_carlo(model, q, data, 4000, rng)
        estimates.append(estimate), errors.append(standard_error), exact.append(model.elbo(data, q))
    yield monte_carlo_row("closed-form ELBO = E_q[log p(x,z) − log q(z)], 4 families × 5 points",
                          np.concatenate(estimates), np.concatenate(errors), np.concatenate(exact),
                          "elbo_monte_carlo, S = 4000")

    # intuitive meaning: a good q (near the posterior) has a low KL and a high ELBO
    from ..distributions import MultivariateNormal

    posterior = linear.posterior(x[0])
    good = MultivariateNormal(posterior.loc + 0.1, scale_tril=posterior.scale_tril * 1.1)
    bad = MultivariateNormal(posterior.loc + 2.0, scale_tril=posterior.scale_tril * 0.3)
    elbo_good, elbo_bad = linear.elbo(x[0], good), linear.elbo(x[0], bad)
    kl_good, kl_bad = kl_divergence(good, posterior), kl_divergence(bad, posterior)
    ordered = kl_good < kl_bad and elbo_good > elbo_bad
    yield Row("a good q₁ has a low KL and a high ELBO, a bad q₂ the reverse; both sum to log p(x)",
              f"KL {kl_good:.3g} vs {kl_bad:.3g}, ELBO {elbo_good:.4g} vs {elbo_bad:.4g}",
              f"log p(x) = {linear.log_marginal(x[0]):.4g}", "ordered as claimed; sums equal to 1e-10",
              ordered and max(abs(elbo_good + kl_good - linear.log_marginal(x[0])),
                              abs(elbo_bad + kl_bad - linear.log_marginal(x[0]))) <= 1e-10)


@section("VI2.3", "Questions – VI2.3: a q on ℝ for a posterior on [0, ∞)", "03 §4, 08 §5", order=15, labels=("VI2.3",))
def question_vi2_3(rng):
    import scipy.optimize
    import scipy.stats

    from ..distributions import LogNormal, Normal
    from ..kl import kl_divergence
    from ..models import GammaPoisson

    counts_model = GammaPoisson(2.5, 1.5)
    counts = rng.poisson(2.0, 6).astype(float)
    normal_qs = [Normal(m, s) for m, s in zip(rng.uniform(0.5, 4.0, 5), rng.uniform(0.01, 1.0, 5))]
    bounds = [counts_model.elbo(counts, q) for q in normal_qs]
    divergences = [kl_divergence(q, counts_model.posterior(counts)) for q in normal_qs]
    # the mechanism, computed: each q's log-mass below 0 is finite (a positive mass, if
    # below float64's range for a narrow q), and there the prior's density is 0 (scipy),
    # so the joint and the posterior are 0: E_q[log p(x, λ)] = −∞ and KL = ∞ follow
    log_mass = [float(scipy.stats.norm.logcdf(0.0, q.loc, q.scale)) for q in normal_qs]
    below = np.array([-0.5, -1e-3])
    zero_there = (np.all(scipy.stats.gamma.logpdf(below, 2.5, scale=1 / 1.5) == -np.inf)
                  and np.all(counts_model.log_joint(counts, below) == -np.inf)
                  and np.all(counts_model.posterior(counts).log_prob(below) == -np.inf))
    yield Row("every Normal q puts mass on λ < 0 where p(x, λ) = 0: ELBO = −∞, KL(q‖p(λ|x)) = ∞",
              f"log q(λ < 0) from {min(log_mass):.3g} to {max(log_mass):.3g}; ELBO {', '.join(str(b) for b in bounds)};"
              f" KL {', '.join(str(d) for d in divergences)}",
              "scipy.stats: log q(λ < 0) finite, prior log-density −∞ at λ < 0 (as log p(x, λ) and log p(λ|x))",
              "masses > 0; all −∞ and ∞",
              all(np.isfinite(log_mass)) and zero_there and all(b == -np.inf for b in bounds)
              and all(d == np.inf for d in divergences), "VI2.3")
    yield Row("so the maximisation is ill-defined: all Normal q tie at −∞, argmax is not unique",
              f"{len(set(bounds))} distinct value(s) among 5 q", "one value, −∞", "exactly 1",
              len(set(bounds)) == 1, "VI2.3")
    q_law = scipy.stats.lognorm(s=0.3, scale=np.exp(0.7))

    def integrand(rate):
        return q_law.pdf(rate) * (counts_model.log_joint(counts, rate) - q_law.logpdf(rate))

    error = relative_error(counts_model.elbo(counts, LogNormal(0.7, 0.3)), half_line_integral(integrand))
    fitted = scipy.optimize.minimize(lambda p: -counts_model.elbo(counts, LogNormal(p[0], np.exp(p[1]))), [0.0, 0.0],
                                     method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    gap = counts_model.log_marginal(counts) + fitted.fun
    yield Row("the fix: a q with support in (0, ∞): a LogNormal ELBO is finite and has a maximiser",
              f"rel err {error:.1e}; best gap log p(x) − ELBO = {gap:.2e}", "1-D quadrature; exact log p(x)",
              "≤ 1e-9; gap > 0 (LogNormal ≠ Gamma posterior)", error <= 1e-9 and 0 < gap < 1, "VI2.3")
