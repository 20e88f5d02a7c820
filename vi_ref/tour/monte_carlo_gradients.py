"""Lecture part 3, the gradients of an expectation: Monte Carlo for ∇_θ, the score
function for ∇_φ, and the reparameterisation trick (``vi_ref.estimators``,
derivation 05). Exact gradients and exact per-sample variances come from
``vi_ref.estimators.suite``, so every random row here has an exact standard error."""

import numpy as np

from .framework import Row, section
from .policy import monte_carlo_row, sample_mean_and_error

SAMPLES = 4000


def _suite_row(claim, estimator, oracle):
    """Every suite problem that offers ``estimator``: its estimate against the exact
    gradient, with the exact standard error √(Var/S)."""
    from ..estimators import suite

    def check(rng):
        estimates, errors, exact = [], [], []
        for problem in suite.problems():
            if estimator not in getattr(problem, "estimators", ()) or not hasattr(problem, "variance"):
                continue
            terms = problem.estimate(estimator, SAMPLES, rng)
            variance = problem.variance(estimator)
            for name, value in problem.gradient.items():
                estimates.append(np.ravel(np.mean(terms[name], axis=0)))
                errors.append(np.ravel(np.sqrt(np.asarray(variance[name]) / SAMPLES)))
                exact.append(np.ravel(value))
        return monte_carlo_row(claim, np.concatenate(estimates), np.concatenate(errors), np.concatenate(exact),
                               oracle)

    return check


def _measured_variances(problem, estimator, rng, n=20000):
    terms = problem.estimate(estimator, n, rng)
    return {name: np.var(values, axis=0, ddof=1) for name, values in terms.items()}


def _elbo_gradient_row(claim, estimators, settings, rng, parts=(0, 1)):
    """Mean of ``elbo_gradient`` per estimator against the hand-written ``model.elbo_grad``
    (sample standard errors; Gaussian q and non-degenerate Categorical q)."""
    from ..estimators import elbo_gradient

    estimates, errors, exact = [], [], []
    for model, x, q in settings:
        expected_theta, expected_phi = model.elbo_grad(x, q)
        for estimator in estimators:
            grads_theta, grads_phi = elbo_gradient(model, q, x, SAMPLES, rng, estimator=estimator)
            pairs = ((grads_theta, expected_theta), (grads_phi, expected_phi))
            for grads, expected in (pairs[part] for part in parts):
                for name, terms in grads.items():
                    mean, error = sample_mean_and_error(terms)
                    estimates.append(np.ravel(mean)), errors.append(np.ravel(error))
                    exact.append(np.ravel(expected[name]))
    return monte_carlo_row(claim, np.concatenate(estimates), np.concatenate(errors), np.concatenate(exact),
                           "hand-written model.elbo_grad (closed form)")


def _gaussian_settings(rng):
    from ..distributions import MultivariateNormal, Normal
    from ..models import LinearGaussian

    model = LinearGaussian(rng.standard_normal((4, 2)), rng.standard_normal(4), rng.uniform(0.5, 1.5, 4))
    x = model.sample(3, rng)[0]
    lower = np.tril(0.3 * rng.standard_normal((3, 2, 2)), -1) + np.eye(2) * rng.uniform(0.5, 1.0, (3, 1, 2))
    return [(model, x, MultivariateNormal(rng.standard_normal((3, 2)), scale_tril=lower)),
            (model, x, Normal(rng.standard_normal((3, 2)), rng.uniform(0.5, 1.0, (3, 2))))]


@section("monte-carlo-gradients", "Approximating ∇θ L(θ, φ); Approximating ∇φ L(θ, φ)", "05 §1, 05 §5",
         order=21)
def approximating_the_gradients(rng):
    from ..distributions import Categorical
    from ..estimators import suite
    from ..models import GaussianMixture

    settings = _gaussian_settings(rng)
    yield _elbo_gradient_row("∇θ L = E_q[∇θ log p_θ(x, z)]: the gradient moves inside the expectation",
                             ("reparameterization",), settings[:1], rng, parts=(0,))
    yield _suite_row("∇φ E_q[f] = E_q[f(z) ∇φ log q(z)]: the score-function estimator is unbiased",
                     "score_function", "exact gradients of the estimator suite; exact SEs")(rng)
    yield _suite_row("… and stays unbiased with a constant baseline b: E_q[(f − b) ∇φ log q]",
                     "score_function+constant", "exact gradients; exact SEs")(rng)
    measured = [_measured_variances(suite.dimension_problem(d), "score_function", rng)["loc"] for d in (1, 10, 100)]
    exact = [suite.dimension_problem(d).variance("score_function")["loc"] for d in (1, 10, 100)]
    ratio = max(abs(m / e - 1) for m, e in zip(measured, exact))
    yield Row("its variance grows with the dimension: Var of ∂/∂m for f = Σ z_d, D = 1, 10, 100",
              " / ".join(f"{m:.3g}" for m in measured), "exact D³m²/σ² + 2D²: " + " / ".join(f"{e:.3g}" for e in exact),
              "within 25% (≥ 9 SEs of a sample variance, S = 20000)", ratio <= 0.25 and measured[0] < measured[1] < measured[2])
    mixture = GaussianMixture(np.array([0.3, 0.5, 0.2]), 2 * rng.standard_normal((3, 2)), np.tile(np.eye(2), (3, 1, 1)))
    points = mixture.sample(3, rng)[0]
    labels = Categorical(probs=0.5 * rng.dirichlet(np.ones(3), 3) + 0.5 / 3)
    yield _elbo_gradient_row("the score-function ELBO gradient needs no reparameterisation (Categorical q, GMM)",
                             ("score_function",), [(mixture, points, labels)] + settings[:1], rng)


@section("reparameterization", "Reparametrization Trick; Reparametrization Trick in Action; "
         "Reparametrization Trick & Computation Graph", "05 §4, 05 §8, 02 §8", order=23)
def reparameterization_trick(rng):
    from ..distributions import Normal
    from ..estimators import elbo_gradient, suite

    yield _suite_row("∇φ E_q[h] = E_ε[∇φ h(T(ε, φ))]: the pathwise estimator is unbiased", "reparameterization",
                     "exact gradients of the estimator suite; exact SEs")(rng)
    loc = [_measured_variances(suite.dimension_problem(d), "reparameterization", rng)["scale"][0] for d in (1, 10, 100)]
    score = [suite.dimension_problem(d).variance("score_function")["scale"][0] for d in (1, 10, 100)]
    yield Row("its variance does not grow with the dimension: Var of ∂/∂σ₁ for f = Σ z_d, D = 1, 10, 100",
              " / ".join(f"{v:.3g}" for v in loc) + " (the score function's, of the same ∂/∂σ₁: "
              + " / ".join(f"{v:.3g}" for v in score) + ")",
              "exact 1 at every D (score function: 2D²m²/σ² + 2D + 8)", "within 25%",
              max(abs(v - 1) for v in loc) <= 0.25)
    problem = suite.cosine_problem(5.0)
    pathwise, score = (problem.variance(e)["loc"] for e in ("reparameterization", "score_function"))
    measured = _measured_variances(problem, "reparameterization", rng)["loc"]
    yield Row("but it is not always the lower-variance one: f = cos(5z) flips the ranking",
              f"pathwise Var {measured:.3g} (measured) vs score function {score:.3g}",
              f"exact pathwise Var {pathwise:.3g} (quadrature)", "measured within 25%; pathwise > score function",
              abs(measured / pathwise - 1) <= 0.25 and pathwise > score)
    yield _elbo_gradient_row("ELBO gradients: reparameterisation, path derivative, closed-form entropy",
                             ("reparameterization", "path_derivative", "closed_form_entropy"),
                             _gaussian_settings(rng), rng)
    # ε ~ b(ε) has no predecessors in the graph: the same draws serve every φ
    seed = int(rng.integers(2**32))
    first, second = Normal(0.3, 1.2).rsample(5, seed), Normal(-2.0, 0.1).rsample(5, seed)
    same = np.array_equal(first[1], second[1]) and np.allclose(second[0], -2.0 + 0.1 * second[1], rtol=0, atol=1e-15)
    yield Row("b(ε) does not depend on φ: the same seed gives the same ε for any φ, and z = μ + σε",
              "identical ε" if same else "ε differs", "z = T(ε, φ) recomputed by hand", "bit-identical ε", same)
    model, x, _ = _gaussian_settings(rng)[0]
    posterior = model.posterior(x)
    spread = max(float(np.max(np.std(g, axis=0))) for g in elbo_gradient(model, posterior, x, 200, rng,
                                                                        estimator="path_derivative")[1].values())
    usual = max(float(np.max(np.std(g, axis=0))) for g in elbo_gradient(model, posterior, x, 200, rng,
                                                                       estimator="reparameterization")[1].values())
    yield Row("at q = p(z|x) the path-derivative estimator has zero variance ('sticking the landing')",
              f"max std of ∇φ terms {spread:.1e} (path derivative) vs {usual:.2g} (reparameterisation)",
              "0: ∇_z log p(x, z) = ∇_z log q(z) there", "≤ 1e-10 and the other > 0.1", spread <= 1e-10 and usual > 0.1)
