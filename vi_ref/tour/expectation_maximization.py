"""EM as alternating maximisation of the ELBO, for Gaussian mixtures.

One function per row; the oracles are scipy.stats densities, rational arithmetic,
vi_ref.autodiff and scikit-learn, never the EM code under test.
"""

import numpy as np

from ..numerics import LOG_2PI
from .framework import Row, section

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def mixture_data(rng):
    """300 points (300, 3) from three well-separated Gaussian clusters."""
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -2.0]])
    labels = rng.integers(3, size=300)
    return centres[labels] + rng.standard_normal((300, 3)) * [1.0, 0.5, 1.5]


def fitted(kind, data, n_components=3, **options):
    """A ``GaussianMixtureEM`` fitted to ``data``, its convergence warnings silenced."""
    import warnings

    from ..em import GaussianMixtureEM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixtureEM(n_components, covariance_type=kind, **options).fit(data)


def relative(found, expected):
    """max |found − expected| / max |expected|."""
    return float(np.max(np.abs(np.asarray(found) - expected)) / np.max(np.abs(expected)))


# ----- the oracle: scipy.stats densities ---------------------------------------------------


def dense_covariances(model):
    """Every component's D × D covariance, for scipy."""
    c, k, d = model.covariances, model.n_components, model.n_features
    kind = model.covariance_type
    if kind == "full":
        return c
    if kind == "tied":
        return np.repeat(c[None], k, axis=0)
    return np.stack([np.diag(v) for v in (c if kind == "diag" else np.outer(c, np.ones(d)))])


def scipy_log_joint(model, data):
    """log p(xₙ, k) = log πₖ + log N(xₙ | μₖ, Σₖ), (N, K)."""
    import scipy.stats

    return np.stack([np.log(w) + scipy.stats.multivariate_normal(m, c).logpdf(data)
                     for w, m, c in zip(model.weights, model.means, dense_covariances(model))], axis=1)


def scipy_log_evidence(model, data):
    """log p(xₙ) = log Σₖ p(xₙ, k), (N,)."""
    import scipy.special

    return scipy.special.logsumexp(scipy_log_joint(model, data), axis=1)


def scipy_elbo(model, data, q):
    """(1/N) Σₙ Σₖ qₙₖ [log p(xₙ, k) − log qₙₖ], with 0 log 0 = 0."""
    used = q > 0
    return np.sum(q[used] * (scipy_log_joint(model, data)[used] - np.log(q[used]))) / len(data)


# ----- the rows ------------------------------------------------------------------------------


def log_evidence_row(fits, X):
    error = max(relative(f.score_samples(X), scipy_log_evidence(f.model_, X))
                for f in fits.values())
    return Row("the fitted mixture's log p(x), 4 covariance types", f"rel err {error:.1e}",
               "scipy.stats densities summed over k", "≤ 1e-11 (round-off)", error <= 1e-11)


def tight_e_step_row(fits, X):
    from ..em import e_step

    gap = 0.0
    for f in fits.values():  # the ELBO of the q the E-step returns, and the one it reports
        responsibilities, reported = e_step(f.model_, X)
        evidence = np.mean(scipy_log_evidence(f.model_, X))
        gap = max(gap, relative(scipy_elbo(f.model_, X, responsibilities), evidence), relative(reported, evidence))
    return Row("E-step: q = p_θ(z|x) makes the ELBO tight, ELBO(θ, q) = mean log p(x)", f"rel gap {gap:.1e}",
               "ELBO of the returned q and log p(x), both from scipy.stats densities", "≤ 1e-12", gap <= 1e-12)


def monotone_elbo_row(fits):
    change = min(float(np.min(np.diff(f.elbo_history_) / np.abs(f.elbo_history_[1:])))
                 for f in fits.values())
    steps = sum(len(f.elbo_history_) for f in fits.values())
    return Row(f"alternating E- and M-steps never lower the ELBO (reg_covar = 0, {steps} values)",
               f"smallest relative change {change:+.1e}", "monotone by construction (derivation 04 §4)",
               "≥ −1e-12 (round-off)", change >= -1e-12)


def trace_of_precisions(model):
    """tr Σₖ⁻¹ = ‖Pₖ‖²_F for each component k."""
    return np.sum(np.reshape(model.precisions_cholesky**2, (model.n_components, -1)), axis=1)


def regularised_m_step_row(X, rng):
    """reg_covar = λ > 0: each M-step may lower the ELBO, by at most the decrease of
    (λ/2N) Σₖ Nₖ tr(Σₖ⁻¹) (derivation 04, section 4), replayed with the public steps."""
    from ..em import e_step, m_step

    model = fitted("full", X, reg_covar=0.0, max_iter=0, rng=rng).model_
    slack, fall = np.inf, 0.0
    for _ in range(10):
        responsibilities, elbo = e_step(model, X)
        new = m_step(X, responsibilities, "full", 0.5, previous=model)
        used = responsibilities > 0  # 0 log 0 = 0
        log_ratio = new.log_joint_components(X)[used] - np.log(responsibilities[used])
        raised = np.sum(responsibilities[used] * log_ratio) / len(X) - elbo
        trace_change = trace_of_precisions(new) - trace_of_precisions(model)
        allowed = 0.5 * 0.5 * responsibilities.sum(axis=0) @ trace_change / len(X)
        slack = min(slack, (raised - allowed) / abs(elbo))
        fall = min(fall, raised / abs(elbo))
        model = new
    return Row("with reg_covar = 0.5 an M-step may lower the ELBO, never by more than the penalty allows",
               f"largest (allowed) fall {fall:.1e}; least slack {slack:+.1e}",
               "bound (λ/2N) Σₖ Nₖ Δtr Σₖ⁻¹ (derivation 04 §4)", "slack ≥ −1e-12", slack >= -1e-12)


def m_step_gradient_row(X, rng):
    """The M-step is the argmax: ∇ E_q[log p(X, Z | θ)] = 0 there, by autodiff, with
    weights as softmax logits and the precision Cholesky factor P (Σ⁻¹ = P Pᵀ)."""
    from .. import autodiff as ad
    from ..em import m_step

    responsibilities = rng.dirichlet(np.ones(3), size=len(X))
    model = m_step(X, responsibilities, "full", reg_covar=0.0)

    def expected_log_joint(logits, means, factor):
        projected = (X[None, :, :] - means[:, None, :]) @ factor
        log_det = ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
        log_density = (ad.reshape(log_det, (-1, 1)) - 1.5 * LOG_2PI
                       - 0.5 * ad.sum(projected * projected, axis=-1))
        log_weights = ad.reshape(ad.log_softmax(logits), (-1, 1))
        return ad.sum(responsibilities.T * (log_weights + log_density))

    gradients = ad.grad(expected_log_joint, argnums=(0, 1, 2))(
        np.log(model.weights), model.means, model.precisions_cholesky)
    free = gradients[:2] + (np.triu(gradients[2]),)  # P is upper triangular
    largest = max(float(np.max(np.abs(g))) for g in free) / len(X)
    return Row("M-step = argmax_θ E_q[log p(X, Z | θ)]: its gradient vanishes there (full covariances)",
               f"max |∇| / N {largest:.1e}", "0, gradient by vi_ref.autodiff", "≤ 1e-11", largest <= 1e-11)


def exact_variance(column):
    """The population variance of ``column`` in rational arithmetic, rounded once."""
    from fractions import Fraction

    values = [Fraction(value) for value in column]
    mean = sum(values) / len(values)
    return float(sum((value - mean) ** 2 for value in values) / len(values))


def offset_variances_row(X):
    far = 1e7 + X
    exact = np.array([exact_variance(column) for column in far.T.tolist()])
    worst = 0.0
    for kind in COVARIANCE_TYPES:
        found = fitted(kind, far, n_components=1, reg_covar=0.0, max_iter=2).covariances_
        found = np.diagonal(found.reshape(3, 3)) if kind in ("full", "tied") else found[0]
        worst = max(worst, relative(found, exact.mean() if kind == "spherical" else exact))
    return Row("M-step variances of data offset by 1e7 (centred sums), 4 types", f"rel err {worst:.1e}",
               "exact rational arithmetic", "≤ 1e-9", worst <= 1e-9)


def scikit_learn_row(X, SklearnMixture):
    import warnings

    worst = 0.0
    identities = {"full": np.tile(np.eye(3), (3, 1, 1)), "tied": np.eye(3), "diag": np.ones((3, 3)),
                  "spherical": np.ones(3)}
    for kind in COVARIANCE_TYPES:
        start = dict(weights_init=np.full(3, 1 / 3), means_init=X[:3],
                     precisions_init=identities[kind])
        ours = fitted(kind, X, tol=0.0, max_iter=40, **start)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = SklearnMixture(3, covariance_type=kind, tol=0.0, max_iter=40, **start).fit(X)
        for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            worst = max(worst, relative(getattr(ours, name), getattr(theirs, name)))
        worst = max(worst, abs(ours.score(X) / theirs.score(X) - 1))
    # both sides round differently at every step and EM amplifies early differences
    # along weakly identified directions: 1e-8 was exceeded (3.2e-8) at seed 146
    return Row("40 EM iterations from the same start, 4 types", f"rel diff {worst:.1e}",
               "scikit-learn GaussianMixture", "≤ 1e-6 (round-off amplified over 40 iterations)", worst <= 1e-6)


@section("em", "EM Algorithm and Variational Inference", "04", order=10)
def em_for_gaussian_mixtures(rng):
    # the rows draw from rng in this order: the data, the fits, the regularised replay,
    # the random responsibilities
    X = mixture_data(rng)
    fits = {kind: fitted(kind, X, reg_covar=0.0, tol=1e-8, rng=rng) for kind in COVARIANCE_TYPES}
    yield log_evidence_row(fits, X)
    yield tight_e_step_row(fits, X)
    yield monotone_elbo_row(fits)
    yield regularised_m_step_row(X, rng)
    yield m_step_gradient_row(X, rng)
    yield offset_variances_row(X)
    try:
        from sklearn.mixture import GaussianMixture as SklearnMixture
    except ImportError:  # scikit-learn is optional (the "bench" extra)
        return
    yield scikit_learn_row(X, SklearnMixture)
