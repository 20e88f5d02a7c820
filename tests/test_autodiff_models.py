"""The log-joints of six models users write with vi_ref.autodiff, each checked three ways:
the value against scipy.stats log-densities (an independent oracle), and the autodiff
gradient against a hand-written gradient and against Richardson finite differences."""

import numpy as np
import pytest
import scipy.special
import scipy.stats

from vi_ref import autodiff as ad
from vi_ref.gradcheck import check_gradient

RNG = np.random.default_rng(20261201)
N, D = 12, 3
X = RNG.normal(size=(N, D))
LABELS = (RNG.uniform(size=N) < 0.5).astype(float)
LOG_2PI = np.log(2 * np.pi)


# ----- 1. Bayesian logistic regression: w ~ N(0, τ² I), yₙ ~ Bernoulli(σ(xₙ·w)) ---------------

PRIOR_SCALE = 2.0


def logistic_log_joint(w):
    logits = ad.dot(X, w)
    prior = -0.5 * ad.sum(w * w) / PRIOR_SCALE**2 - D * (np.log(PRIOR_SCALE) + 0.5 * LOG_2PI)
    return prior + ad.sum(LABELS * logits - ad.softplus(logits))


def logistic_oracle(w):
    return (scipy.stats.norm.logpdf(w, 0, PRIOR_SCALE).sum()
            + scipy.stats.bernoulli.logpmf(LABELS, scipy.special.expit(X @ w)).sum())


def logistic_hand(w):
    return (-w / PRIOR_SCALE**2 + X.T @ (LABELS - scipy.special.expit(X @ w)),)


# ----- 2. hierarchical Normal: μ ~ N(0, 5²), log τ ~ N(0, 1), θⱼ ~ N(μ, τ²), yⱼ ~ N(θⱼ, sⱼ²) ----

SCHOOL_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SCHOOL_SE = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def normal_log_density(x, loc, scale):
    return -0.5 * ad.square((x - loc) / scale) - ad.log(scale) - 0.5 * LOG_2PI


def hierarchical_log_joint(mu, log_tau, theta):
    tau = ad.exp(log_tau)
    return (ad.sum(normal_log_density(mu, 0.0, 5.0)) + ad.sum(normal_log_density(log_tau, 0.0, 1.0))
            + ad.sum(normal_log_density(theta, mu, tau)) + ad.sum(normal_log_density(SCHOOL_Y, theta, SCHOOL_SE)))


def hierarchical_oracle(mu, log_tau, theta):
    return (scipy.stats.norm.logpdf(mu, 0, 5) + scipy.stats.norm.logpdf(log_tau, 0, 1)
            + scipy.stats.norm.logpdf(theta, mu, np.exp(log_tau)).sum()
            + scipy.stats.norm.logpdf(SCHOOL_Y, theta, SCHOOL_SE).sum()).sum()


def hierarchical_hand(mu, log_tau, theta):
    tau = np.exp(log_tau)
    standardized = (theta - mu) / tau
    return (
        -mu / 25.0 + np.sum(standardized / tau, keepdims=True).reshape(np.shape(mu)),
        -log_tau + np.sum(standardized**2 - 1.0, keepdims=True).reshape(np.shape(log_tau)),
        -standardized / tau + (SCHOOL_Y - theta) / SCHOOL_SE**2,
    )


# ----- 3. Poisson regression with a Gamma prior on the base rate -----------------------------
# yₙ ~ Poisson(λ exp(xₙ·β)), β ~ N(0, I), λ ~ Gamma(a, b) written in u = log λ (+ log-Jacobian u)

COUNTS = RNG.poisson(np.exp(0.3 * X @ np.array([0.5, -0.3, 0.2]) + 0.5))
GAMMA_SHAPE, GAMMA_RATE = 2.0, 1.5


def poisson_log_joint(beta, log_rate):
    log_mean = log_rate + ad.dot(X, beta)
    likelihood = ad.sum(COUNTS * log_mean - ad.exp(log_mean) - ad.gammaln(COUNTS + 1.0))
    gamma_prior = (GAMMA_SHAPE * np.log(GAMMA_RATE) - scipy.special.gammaln(GAMMA_SHAPE)
                   + GAMMA_SHAPE * log_rate - GAMMA_RATE * ad.exp(log_rate))  # includes the Jacobian λ
    return likelihood + ad.sum(normal_log_density(beta, 0.0, 1.0)) + ad.sum(gamma_prior)


def poisson_oracle(beta, log_rate):
    rate = np.exp(log_rate)
    return (scipy.stats.poisson.logpmf(COUNTS, rate * np.exp(X @ beta)).sum() + scipy.stats.norm.logpdf(beta).sum()
            + (scipy.stats.gamma.logpdf(rate, GAMMA_SHAPE, scale=1 / GAMMA_RATE) + log_rate).sum())


def poisson_hand(beta, log_rate):
    means = np.exp(log_rate + X @ beta)
    residual = COUNTS - means
    return X.T @ residual - beta, np.sum(residual, keepdims=True).reshape(np.shape(log_rate)) + GAMMA_SHAPE - GAMMA_RATE * np.exp(log_rate)


# ----- 4. a Gaussian mixture (logsumexp): xₙ ~ Σₖ πₖ N(μₖ, σₖ²), μₖ ~ N(0, 3²) ------------------

POINTS = np.concatenate([RNG.normal(-2, 0.5, 6), RNG.normal(1.5, 1.0, 6)])


def mixture_log_joint(logits, means, log_scales):
    components = (ad.log_softmax(logits) + normal_log_density(POINTS[:, None], means, ad.exp(log_scales)))
    return ad.sum(ad.logsumexp(components, axis=1)) + ad.sum(normal_log_density(means, 0.0, 3.0))


def mixture_oracle(logits, means, log_scales):
    weights = scipy.special.softmax(logits)
    density = np.sum(weights * scipy.stats.norm.pdf(POINTS[:, None], means, np.exp(log_scales)), axis=1)
    return np.log(density).sum() + scipy.stats.norm.logpdf(means, 0, 3).sum()


def mixture_hand(logits, means, log_scales):
    scales = np.exp(log_scales)
    components = scipy.special.log_softmax(logits) + scipy.stats.norm.logpdf(POINTS[:, None], means, scales)
    responsibilities = scipy.special.softmax(components, axis=1)
    counts = responsibilities.sum(axis=0)
    standardized = (POINTS[:, None] - means) / scales
    return (
        counts - POINTS.size * scipy.special.softmax(logits),
        np.sum(responsibilities * standardized / scales, axis=0) - means / 9.0,
        np.sum(responsibilities * (standardized**2 - 1.0), axis=0),
    )


# ----- 5. probit regression (log_ndtr, far into the tails): P(yₙ = 1) = Φ(xₙ·w) -------------------

PROBIT_X = X * np.linspace(0.5, 25.0, N)[:, None]  # some rows put zₙ deep in a tail


def probit_log_joint(w):
    z = ad.dot(PROBIT_X, w)
    signs = 2 * LABELS - 1
    return ad.sum(ad.log_ndtr(signs * z)) + ad.sum(normal_log_density(w, 0.0, 1.0))


def probit_oracle(w):
    z = PROBIT_X @ w
    return np.sum(np.where(LABELS == 1, scipy.stats.norm.logcdf(z), scipy.stats.norm.logcdf(-z))) + scipy.stats.norm.logpdf(w).sum()


def probit_hand(w):
    signed = (2 * LABELS - 1) * (PROBIT_X @ w)
    # φ(s)/Φ(s) as exp(log φ(s) − log Φ(s)), a different route from the rule's erfcx form
    mills = np.exp(scipy.stats.norm.logpdf(signed) - scipy.special.log_ndtr(signed))
    return (PROBIT_X.T @ ((2 * LABELS - 1) * mills) - w,)


# ----- 6. a two-layer tanh decoder: xₙ ~ N(W₂ tanh(W₁ zₙ + b₁) + b₂, σ² I), zₙ ~ N(0, I) -----------

LATENT, HIDDEN, NOISE = 2, 5, 0.7


def decoder_log_joint(Z, W1, b1, W2, b2):
    hidden = ad.tanh(Z @ W1 + b1)
    reconstruction = hidden @ W2 + b2
    return ad.sum(normal_log_density(X, reconstruction, NOISE)) + ad.sum(normal_log_density(Z, 0.0, 1.0))


def decoder_oracle(Z, W1, b1, W2, b2):
    reconstruction = np.tanh(Z @ W1 + b1) @ W2 + b2
    return scipy.stats.norm.logpdf(X, reconstruction, NOISE).sum() + scipy.stats.norm.logpdf(Z).sum()


def decoder_hand(Z, W1, b1, W2, b2):
    hidden = np.tanh(Z @ W1 + b1)
    residual = (X - (hidden @ W2 + b2)) / NOISE**2
    pre = (residual @ W2.T) * (1 - hidden**2)
    return pre @ W1.T - Z, Z.T @ pre, pre.sum(axis=0), hidden.T @ residual, residual.sum(axis=0)


MODELS = {
    "logistic": (logistic_log_joint, logistic_oracle, logistic_hand, lambda r: (r.normal(size=D),)),
    "hierarchical": (hierarchical_log_joint, hierarchical_oracle, hierarchical_hand,
                     lambda r: (np.array(r.normal()), np.array(r.normal()), r.normal(5, 5, size=8))),
    "poisson-gamma": (poisson_log_joint, poisson_oracle, poisson_hand,
                      lambda r: (0.3 * r.normal(size=D), np.array([0.2 * r.normal()]))),
    "mixture": (mixture_log_joint, mixture_oracle, mixture_hand,
                lambda r: (r.normal(size=3), r.normal(size=3), 0.3 * r.normal(size=3))),
    "probit": (probit_log_joint, probit_oracle, probit_hand, lambda r: (r.normal(size=D),)),
    "tanh-decoder": (decoder_log_joint, decoder_oracle, decoder_hand,
                     lambda r: (r.normal(size=(N, LATENT)), r.normal(size=(LATENT, HIDDEN)), r.normal(size=HIDDEN),
                                r.normal(size=(HIDDEN, D)), r.normal(size=D))),
}


@pytest.mark.parametrize("name", MODELS)
def test_log_joint_value_against_scipy_and_gradient_three_ways(name):
    log_joint, oracle, hand, draw = MODELS[name]
    params = draw(np.random.default_rng(7))
    argnums = tuple(range(len(params)))
    value, gradients = ad.value_and_grad(log_joint, argnums)(*params)
    assert value == pytest.approx(oracle(*params), rel=1e-12)
    for i, (auto, hand_gradient) in enumerate(zip(gradients, hand(*params))):
        np.testing.assert_allclose(auto, hand_gradient, rtol=1e-10, atol=1e-12, err_msg=f"{name} argument {i}")

        def restricted(v, i=i):
            return float(log_joint(*params[:i], v, *params[i + 1:]))

        check = check_gradient(restricted, lambda v, g=auto: g, params[i], rtol=1e-7, atol=1e-8, method="richardson")
        assert check.ok, str(check)


def test_probit_rows_reach_the_tails_of_log_ndtr():
    signed = (2 * LABELS - 1) * (PROBIT_X @ MODELS["probit"][3](np.random.default_rng(7))[0])
    assert signed.min() < -10
