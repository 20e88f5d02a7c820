"""The evidence log p(x) of any latent variable model, two ways that need no integral.

``log_marginal_monte_carlo``: the marginal likelihood is an expectation under the
prior, p(x) = E_{z ~ p(z)}[p(x | z)] (lecture, "Latent Variable Models"), so it can
be estimated by averaging the likelihood over prior draws — in log space, with its
standard error. It is unbiased for p(x) but hopeless in practice when the posterior
is much narrower than the prior, which is the usual case once z has more than a few
dimensions: almost every draw lands where p(x | z) is negligible.

``log_marginal_candidate``: Bayes' rule rearranged, log p(x) = log p(x, z) − log p(z | x),
holds for *every* z (Besag's "candidate's formula"). It answers the lecture's question
VI1.1: if p(x | z), p(z) and the normalised p(z | x) can all be evaluated, so can p(x).

Derivation: ``derivations/03-latent-variable-models-and-the-elbo.md``.
"""

import numpy as np

from .. import numerics
from ..validation import as_generator, check_count, check_methods, first_bad_index

__all__ = ["log_marginal_monte_carlo", "log_marginal_candidate"]


def log_marginal_monte_carlo(model, x, n, rng=None):
    """Naive (prior-sampling) Monte Carlo estimate of log p(x), computed in log space.

        p̂(x) = (1/S) Σₛ p(x | zₛ),  zₛ ~ p(z)
        log p̂(x) = logsumexp_s(log p(x | zₛ)) − log S

    The standard error of log p̂ is that of p̂ divided by p̂ (the delta method,
    d log p̂ = dp̂ / p̂): with wₛ = exp(log p(x | zₛ) − maxₛ log p(x | zₛ)),

        SE(log p̂) ≈ std(w) / (√S · mean(w)),

    which is invariant to the shift, so nothing overflows or underflows. (log p̂ is
    biased low, E[log p̂] ≤ log p(x) by Jensen's inequality, and when the weights are
    heavy-tailed the SE itself is unreliable: both are shown in derivation 03.)

    The same S prior draws (the latent half of ``model.sample(n, rng)``) are used for
    every data point of x.

    Args:
        model: a model with ``sample(n, rng) -> (x, z)`` and ``log_likelihood(x, z)``.
        x: one data point (a vector), or a batch (..., data dimension).
        n: number of prior draws S ≥ 2.
        rng: Generator, int seed or None.

    Returns:
        (estimate, standard_error), each of x's batch shape (floats for one point).
        If every draw has p(x | zₛ) = 0 the estimate is −∞ with standard error +∞.
    """
    n = check_count(n, "n", minimum=2)
    check_methods(model, "model", ("sample", "log_likelihood"), "a latent variable model")
    _, z = model.sample(n, as_generator(rng))
    # one data point is a vector for every model here, so x's batch axes are all but
    # the last; the draws (S, *latent) become (S, 1, ..., 1, *latent) to broadcast
    z = z.reshape((n,) + (1,) * (np.ndim(x) - 1) + z.shape[1:])
    log_likelihoods = np.asarray(model.log_likelihood(x, z), dtype=float)
    peak = np.max(log_likelihoods, axis=0)
    finite = np.isfinite(peak)
    shifted = log_likelihoods - np.where(finite, peak, 0.0)
    estimate = numerics.logsumexp(shifted, axis=0) + np.where(finite, peak, 0.0) - np.log(n)
    weights = np.exp(shifted)
    with np.errstate(invalid="ignore", divide="ignore"):
        standard_error = np.std(weights, axis=0, ddof=1) / (np.sqrt(n) * np.mean(weights, axis=0))
    estimate = np.where(finite, estimate, -np.inf)
    standard_error = np.where(finite, standard_error, np.inf)
    return estimate[()], standard_error[()]


def log_marginal_candidate(model, x, z):
    """The candidate's formula, log p(x) = log p(x, z) − log p(z | x), at any z.

    From p(z | x) = p(x, z) / p(x): for every z with p(z | x) > 0 the ratio is the
    same number. It needs the *normalised* posterior; with it, the evidence is one
    evaluation, no integral (lecture question VI1.1).

    Args:
        model: a model with ``log_joint(x, z)`` and an exact ``posterior(x)``.
        x: data point(s). z: latent value(s) in the posterior's support, broadcasting
            with x's batch (e.g. a sample axis in front).

    Returns:
        log p(x), one per (x, z) pair after broadcasting.

    Raises:
        ValueError: for a z outside the posterior's support, where both log-densities
            are −∞ and the formula says nothing.

    Accuracy: the result is a difference of two log-densities that grow without bound
    as z leaves the posterior's bulk, so its absolute error is about
    ε · (|log p(x, z)| + |log p(z | x)|) with ε = 2.2e-16: exact to round-off near
    the posterior's mode, 1e-6 off for a Gamma–Poisson z = 1e10 (both terms ≈ −3e10),
    and all digits lost at z = 1e300, where both terms are −3e300 and their
    difference rounds to 0. Evaluate it where the posterior has its mass.
    """
    check_methods(model, "model", ("log_joint", "posterior"), "a latent variable model with an exact posterior")
    posterior = model.posterior(x)
    try:
        log_posterior = posterior.log_prob(z)
    except (TypeError, ValueError) as error:  # the posterior calls its argument x
        raise type(error)(f"z does not fit the posterior p(z | x): {error}") from None
    outside = log_posterior == -np.inf
    if np.any(outside):  # there the formula reads −∞ − (−∞)
        raise ValueError(
            f"z must lie in the support of the posterior p(z | x) ({posterior.support});"
            f" it does not at (z, x) pair{first_bad_index(outside) or ' 0'}"
        )
    return model.log_joint(x, z) - log_posterior
