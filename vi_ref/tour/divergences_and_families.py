"""The KL divergence (its definition, properties and closed forms) and the
parametric variational families (densities, entropies, sampling, the score)."""

import warnings

import numpy as np

from .framework import Row, section
from .policy import monte_carlo_row, sample_mean_and_error


def relative_error(actual, expected):
    """max |actual − expected| / max(1, |expected|): an entropy can cross 0, where a
    purely relative error of a round-off difference is unbounded."""
    return float(np.max(np.abs(np.asarray(actual) - expected) / np.maximum(1.0, np.abs(expected))))


def family_inputs(rng):
    """Batches of 3 parameters for every family, kept away from degenerate laws:
    scales in [0.3, 3], every category probability ≥ 1/8 (policy, condition 1)."""
    loc, scale = rng.normal(size=3), rng.uniform(0.3, 3.0, 3)
    rate, concentration = rng.uniform(0.3, 3.0, 3), rng.uniform(0.5, 5.0, 3)
    probs = 0.5 * rng.dirichlet(np.ones(4), size=3) + 0.5 / 4
    covariance = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]])
    return loc, scale, rate, concentration, probs, covariance


def quadrature_kl(q_law, p_law, lower):
    """(∫ q log(q/p), ∫ q |log(q/p)|) by adaptive quadrature; the second is the scale
    that quadrature's error is relative to. It only sets a scale, so it is integrated
    to 1e-4 (its kinks, where q = p, cost adaptive quadrature 4× the evaluations of
    the first integral at that integral's 1e-10)."""
    import scipy.integrate

    def integrand(z, absolute):
        log_q = q_law.logpdf(z)
        value = np.exp(log_q) * (log_q - p_law.logpdf(z))
        return abs(value) if absolute else value

    # quad warns when it cannot certify epsrel; the row's comparison certifies the value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
        return [scipy.integrate.quad(integrand, lower, np.inf, args=(absolute,), epsabs=0.0, epsrel=epsrel,
                                     limit=500)[0] for absolute, epsrel in ((False, 1e-10), (True, 1e-4))]


@section("kl", "Kullback-Leibler Divergence", "02 §1–5", order=6)
def kullback_leibler_divergence(rng):
    import scipy.stats

    from ..distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
    from ..kl import kl_divergence, kl_monte_carlo

    norm, gamma, expon, lognorm = scipy.stats.norm, scipy.stats.gamma, scipy.stats.expon, scipy.stats.lognorm
    loc, scale, rate, concentration, probs, covariance = family_inputs(rng)
    (mq, mp), (sq, sp), (rq, rp), (aq, ap) = loc[:2], scale[:2], rate[:2], concentration[:2]
    pairs = [
        ("Normal‖Normal", Normal(mq, sq), Normal(mp, sp), norm(mq, sq), norm(mp, sp), -np.inf),
        ("Exponential‖Exponential", Exponential(rq), Exponential(rp), expon(scale=1 / rq), expon(scale=1 / rp), 0.0),
        ("Gamma‖Gamma", Gamma(aq, rq), Gamma(ap, rp), gamma(aq, scale=1 / rq), gamma(ap, scale=1 / rp), 0.0),
        ("Exponential‖Gamma", Exponential(rq), Gamma(ap, rp), expon(scale=1 / rq), gamma(ap, scale=1 / rp), 0.0),
        ("Gamma‖Exponential", Gamma(aq, rq), Exponential(rp), gamma(aq, scale=1 / rq), expon(scale=1 / rp), 0.0),
        ("LogNormal‖LogNormal", LogNormal(mq, sq), LogNormal(mp, sp),
         lognorm(s=sq, scale=np.exp(mq)), lognorm(s=sp, scale=np.exp(mp)), 0.0),
    ]
    worst, worst_name = 0.0, ""
    for name, q, p, q_law, p_law, lower in pairs:
        value, size = quadrature_kl(q_law, p_law, lower)
        error = abs(float(kl_divergence(q, p)) - value) / size
        if error >= worst:
            worst, worst_name = error, name
    yield Row("KL(q‖p) := ∫ q log(q/p) in closed form, 6 one-dimensional pairs",
              f"max |error| / ∫q|log q/p| {worst:.1e} ({worst_name})", "quadrature of the definition",
              "≤ 1e-8 (quadrature at epsrel 1e-10)", worst <= 1e-8)
    reversed_probs = probs[:, ::-1]
    categorical, other_categorical = Categorical(probs=probs), Categorical(logits=np.log(reversed_probs))
    error = relative_error(kl_divergence(categorical, other_categorical),
                           scipy.stats.entropy(probs, reversed_probs, axis=-1))
    yield Row("KL Categorical‖Categorical in closed form", f"rel err {error:.1e}", "enumeration (scipy.stats.entropy)",
              "≤ 1e-12 (round-off)", error <= 1e-12)

    mvn = MultivariateNormal(loc, covariance_matrix=covariance)
    other = MultivariateNormal(loc[::-1], scale_tril=np.linalg.cholesky(covariance[::-1, ::-1] + np.eye(3)))
    mvn_law = scipy.stats.multivariate_normal(mvn.loc, covariance)
    other_law = scipy.stats.multivariate_normal(other.loc, other.covariance_matrix)
    z = mvn_law.rvs(size=40000, random_state=rng)
    estimate, standard_error = sample_mean_and_error(mvn_law.logpdf(z) - other_law.logpdf(z))
    exact = kl_divergence(mvn, other)
    yield monte_carlo_row("KL MultivariateNormal‖MultivariateNormal (3-D) in closed form", estimate,
                          standard_error, exact, "Monte Carlo with scipy's sampler and densities, S = 40000")
    estimate, standard_error = kl_monte_carlo(mvn, other, 40000, rng=rng)
    yield monte_carlo_row("kl_monte_carlo estimates the closed form", estimate, standard_error, exact,
                          "closed-form KL (MVN), S = 40000")

    all_pairs = [(q, p) for _, q, p, *_ in pairs] + [(mvn, other), (categorical, other_categorical)]
    worst_self = max(float(np.max(np.abs(kl_divergence(q, q)))) for q, _ in all_pairs)
    smallest = min(float(np.min(kl_divergence(q, p))) for q, p in all_pairs)
    yield Row("nonnegative, and 0 iff q = p: KL(q‖q) = 0 and KL(q‖p) > 0 over the 8 pairs above",
              f"max |KL(q‖q)| {worst_self:.0e}, min KL(q‖p) {smallest:.2g}", "0 exactly; Jensen",
              "≤ 1e-14, > 0", worst_self <= 1e-14 and smallest > 0)
    forward = kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
    backward = kl_divergence(Normal(1.0, 2.0), Normal(0.0, 1.0))
    exact = abs(forward - (np.log(2) - 0.25)) < 1e-15 and abs(backward - (2 - np.log(2))) < 1e-15
    yield Row("asymmetric: KL(N(0,1)‖N(1,4)) ≠ KL(N(1,4)‖N(0,1))", f"{forward:.4f} vs {backward:.4f}",
              "log 2 − 1/4 vs 2 − log 2 by hand", "equal to 1e-15", exact)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        infinite = kl_divergence(Normal(0.0, 1.0), Exponential(1.0))
    # q = N(0, 1) gives z < 0 the mass ½ where p = Exp(1) has density 0: E_q[log q − log p] = ∞
    outside = scipy.stats.norm.cdf(0.0) > 0 and scipy.stats.expon.logpdf(-0.5) == -np.inf
    yield Row("support of q outside the support of p: KL(Normal‖Exponential) = ∞",
              f"{infinite}, {len(caught)} warning(s)", "∞: scipy.stats gives q(z < 0) = ½ and log p(z < 0) = −∞",
              "exactly ∞, no warning", infinite == np.inf and not caught and outside)


def _scipy_laws(loc, scale, rate, concentration):
    import scipy.stats

    return [scipy.stats.norm(loc, scale), scipy.stats.expon(scale=1 / rate),
            scipy.stats.gamma(concentration, scale=1 / rate), scipy.stats.lognorm(s=scale, scale=np.exp(loc))]


def _categorical_moments(probs):
    """Mean, variance and fourth central moment of the label, by enumeration."""
    labels = np.arange(probs.shape[-1])
    mean = probs @ labels
    centred = labels - mean[..., None]
    return mean, np.sum(probs * centred**2, axis=-1), np.sum(probs * centred**4, axis=-1)


def sample_moments(inputs, n, rng):
    """(estimates, standard errors, exact values) of the sample means and the sample
    second moments about the exact means of n draws of Normal, Exponential, Gamma,
    LogNormal (scale ≤ 0.5: a finite, modest 8th moment), MultivariateNormal and
    Categorical with the parameters ``inputs`` (as ``family_inputs`` returns them, or
    with a leading batch axis of replicates: then the entries are along the last axis).
    The standard errors are exact: Var of the sample mean = σ²/n; of the second moment
    about the exact mean = (μ₄ − σ⁴)/n."""
    from ..distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal

    loc, scale, rate, concentration, probs, covariance = inputs
    samplers = [Normal(loc, scale), Exponential(rate), Gamma(concentration, rate),
                LogNormal(loc, np.minimum(scale, 0.5))]
    moment_laws = _scipy_laws(loc, scale, rate, concentration)[:3] + _scipy_laws(loc, np.minimum(scale, 0.5), rate, concentration)[3:]
    means, mean_errors, variances, variance_errors, exact_means, exact_variances = [], [], [], [], [], []
    for q, law in zip(samplers, moment_laws):
        mean, variance, _, excess_kurtosis = (np.asarray(v, float) for v in law.stats(moments="mvsk"))
        draws = q.sample(n, rng=rng)
        means.append(draws.mean(axis=0)), mean_errors.append(np.sqrt(variance / n)), exact_means.append(mean)
        variances.append(np.mean((draws - mean) ** 2, axis=0)), exact_variances.append(variance)
        variance_errors.append(np.sqrt(variance**2 * (excess_kurtosis + 2) / n))
    draws = MultivariateNormal(loc, covariance_matrix=covariance).sample(n, rng=rng)
    marginal_variance = np.diagonal(covariance)
    means.append(draws.mean(axis=0)), mean_errors.append(np.sqrt(marginal_variance / n)), exact_means.append(loc)
    variances.append(np.mean((draws - loc) ** 2, axis=0)), exact_variances.append(marginal_variance)
    variance_errors.append(np.sqrt(2 * marginal_variance**2 / n))
    label_mean, label_variance, fourth = _categorical_moments(probs)
    draws = Categorical(probs=probs).sample(n, rng=rng)
    means.append(draws.mean(axis=0)), mean_errors.append(np.sqrt(label_variance / n)), exact_means.append(label_mean)
    variances.append(np.mean((draws - label_mean) ** 2, axis=0)), exact_variances.append(label_variance)
    variance_errors.append(np.sqrt((fourth - label_variance**2) / n))
    # entries along the last axis: a leading batch of the parameters (replicates) stays in front
    return tuple(np.concatenate(np.broadcast_arrays(*parts), axis=-1)
                 for parts in (means + variances, mean_errors + variance_errors, exact_means + exact_variances))


@section("families", "Parametric Family of Distributions", "02 §5–8", order=16)
def parametric_families(rng):
    import scipy.stats

    from ..distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal

    loc, scale, rate, concentration, probs, covariance = family_inputs(rng)
    x = np.abs(rng.normal(size=(5, 3))) + 0.1
    families = [Normal(loc, scale), Exponential(rate), Gamma(concentration, rate), LogNormal(loc, scale)]
    laws = _scipy_laws(loc, scale, rate, concentration)
    errors = [max(relative_error(q.log_prob(x), law.logpdf(x)), relative_error(q.entropy(), law.entropy()))
              for q, law in zip(families, laws)]
    mvn = MultivariateNormal(loc, covariance_matrix=covariance)
    mvn_law = scipy.stats.multivariate_normal(loc, covariance)
    errors.append(max(relative_error(mvn.log_prob(x), mvn_law.logpdf(x)), relative_error(mvn.entropy(), mvn_law.entropy())))
    categorical, labels = Categorical(probs=probs), rng.integers(0, 4, size=(5, 3))
    one_hot_law = scipy.stats.multinomial(1, probs).logpmf(np.eye(4)[labels])
    errors.append(max(relative_error(categorical.log_prob(labels), one_hot_law),
                      relative_error(categorical.entropy(), scipy.stats.entropy(probs, axis=-1))))
    yield Row("tractable: log q(z) and the entropy of 6 families (batches of 3)", f"max rel err {max(errors):.1e}",
              "scipy.stats", "≤ 1e-12 (round-off)", max(errors) <= 1e-12)

    # sampling: mean and variance with the exact standard errors of scipy's moments
    n = 20000
    estimates, standard_errors, exact = sample_moments((loc, scale, rate, concentration, probs, covariance), n, rng)
    yield monte_carlo_row("we can draw samples: sample mean and variance of 6 families, S = 20000",
                          estimates, standard_errors, exact, "scipy.stats moments; exact SEs from μ₄")

    # the score identity E_q[∇_φ log q] = 0, sample SEs (inputs kept non-degenerate)
    estimates, errors = [], []
    for q in families + [mvn, categorical]:
        for score in q.log_prob_grad(q.sample(n, rng=rng)).values():
            mean, error = sample_mean_and_error(score)
            estimates.append(np.ravel(mean)), errors.append(np.ravel(error))
    yield monte_carlo_row("score identity E_q[∇_φ log q(z)] = 0, every parameter of 6 families, S = 20000",
                          np.concatenate(estimates), np.concatenate(errors), 0.0, "0 (derivation 02 §7)")
