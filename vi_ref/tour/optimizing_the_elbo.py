"""Lecture part 3: optimizing the ELBO — its gradients, putting everything together,
the mean-field assumption and minibatches."""

import itertools

import numpy as np

from .framework import Row, section


def _numerical_theta_gradient(model, x):
    """∇_θ Σₙ log p_θ(xₙ) by central differences over W, b and the noise variances."""
    from ..gradcheck import numerical_gradient
    from ..models import LinearGaussian

    def evidence(name):
        def value(parameter):
            params = {"W": model.W, "b": model.b, "noise_var": model.noise_var, name: parameter}
            return float(np.sum(LinearGaussian(**params).log_marginal(x)))
        return value

    return {name: numerical_gradient(evidence(name), getattr(model, name), method="richardson")
            for name in ("W", "b", "noise_var")}


@section("gradients-of-the-elbo", "Gradients of the ELBO (closed form)", "03 §5", order=20)
def gradients_of_the_elbo(rng):
    from ..models import LinearGaussian

    model = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), rng.uniform(0.3, 1.5, 5))
    x = model.sample(4, rng)[0]
    grads_theta, grads_phi = model.elbo_grad(x, model.posterior(x))
    numerical = _numerical_theta_gradient(model, x)
    error = max(float(np.max(np.abs(grads_theta[k] - numerical[k]) / np.maximum(1, np.abs(numerical[k]))))
                for k in numerical)
    yield Row("at q = p_θ(z|x) the hand-written ∇_θ ELBO equals ∇_θ log p_θ(x) (the bound touches f)",
              f"max rel err {error:.1e}", "Richardson finite differences of the exact evidence", "≤ 1e-7",
              error <= 1e-7)
    largest = max(float(np.max(np.abs(g))) for g in grads_phi.values())
    yield Row("the posterior is a stationary point of the ELBO in φ: ∇_φ ELBO = 0 there",
              f"max |∇_φ| {largest:.1e}", "0", "≤ 1e-10 (round-off)", largest <= 1e-10)


@section("putting-together", "Putting Everything Together", "03 §6", order=30)
def putting_everything_together(rng):
    import scipy.stats

    from ..learning import fit_linear_gaussian, ppca_maximum_likelihood
    from ..models import LinearGaussian

    truth = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), 0.3)
    X = truth.sample(100, rng)[0]
    fit, oracle = fit_linear_gaussian(X, 2, rng=rng), ppca_maximum_likelihood(X, 2)
    best = scipy.stats.multivariate_normal(oracle.b, oracle.marginal_covariance).logpdf(X).sum()
    learned = float(np.sum(fit.model.log_marginal(X)))
    gap = abs(learned - best) / abs(best)
    yield Row("max over θ, φ of the ELBO (L-BFGS, analytic gradients) learns PPCA: log p_θ(X) is maximal",
              f"rel log-likelihood gap {gap:.1e}", "Tipping–Bishop closed-form MLE", "≤ 1e-6 (optimiser tolerance)",
              gap <= 1e-6)
    tightness = abs(fit.elbo * X.shape[0] - learned)
    yield Row("at the optimum each qᵢ is the posterior: N·ELBO = log p_θ(X)", f"|difference| {tightness:.1e}",
              "exact log p_θ(X)", "≤ 1e-7", tightness <= 1e-7)


def _theta_differences(model, q, X):
    """∇_θ of the closed-form data-set ELBO L(θ) = (1/N) Σᵢ ELBOᵢ by Richardson differences,
    one parameter of the LinearGaussian (W, b, noise_var) at a time."""
    from ..elbo import dataset_elbo
    from ..gradcheck import numerical_gradient
    from ..models import LinearGaussian

    parameters = {"W": model.W, "b": model.b, "noise_var": model.noise_var}

    def elbo_varying(name):
        return lambda value: dataset_elbo(LinearGaussian(**{**parameters, name: value}), q, X)

    return {name: numerical_gradient(elbo_varying(name), value, method="richardson")
            for name, value in parameters.items()}


@section("mean-field", "Dealing with the Entire Dataset; Mean Field Assumption; "
         "Mean Field Assumption for Parametric Distributions", "03 §6", order=40)
def mean_field(rng):
    from ..distributions import MultivariateNormal, Normal
    from ..elbo import dataset_elbo, dataset_elbo_grad
    from ..kl import kl_divergence
    from ..models import LinearGaussian

    model = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), rng.uniform(0.3, 1.5, 5))
    n_points, batch_size = 6, 2
    X = model.sample(n_points, rng)[0]
    q = Normal(rng.standard_normal((n_points, 2)), rng.uniform(0.3, 1.5, (n_points, 2)))
    # with q(Z) = Πᵢ qᵢ(zᵢ), (1/N) log p(X) − ELBO = (1/N) Σᵢ KL(qᵢ ‖ p(zᵢ|xᵢ))
    as_full = MultivariateNormal(q.loc, scale_tril=q.scale[..., None] * np.eye(2))
    mean_kl = np.mean(kl_divergence(as_full, model.posterior(X)))
    residual = abs(np.mean(model.log_marginal(X)) - dataset_elbo(model, q, X) - mean_kl)
    yield Row("mean field: (1/N) log p(X) = (1/N) Σᵢ ELBOᵢ(θ, φᵢ) + (1/N) Σᵢ KL(qᵢ‖p(zᵢ|xᵢ))",
              f"|residual| {residual:.1e}", "exact evidence; per-point KL by vi_ref.kl", "≤ 1e-10", residual <= 1e-10)
    full_theta, full_phi = dataset_elbo_grad(model, q, X)
    batches = list(itertools.combinations(range(n_points), batch_size))
    average = {name: np.zeros_like(value) for name, value in full_theta.items()}
    for batch in batches:
        index = list(batch)
        grads_theta, _ = dataset_elbo_grad(model, Normal(q.loc[index], q.scale[index]), X[index])
        for name in average:
            average[name] += grads_theta[name] / len(batches)
    error = max(float(np.max(np.abs(average[k] - full_theta[k]))) for k in average)
    # the full-data gradient itself against differences of the closed-form L, so that the
    # row also fails for a wrong per-point gradient, not only for a wrong N/|B| factor
    differences = _theta_differences(model, q, X)
    derivative_error = max(float(np.max(np.abs(full_theta[k] - differences[k]) / (1 + np.abs(differences[k]))))
                           for k in differences)
    yield Row(f"the minibatch gradient (1/|B|) Σ_B ∇_θ Lᵢ is unbiased: its mean over all {len(batches)} batches",
              f"max |mean − full| {error:.1e}; full vs differences {derivative_error:.1e}",
              "full-data ∇_θ L (enumerating every batch of 2 of 6); it, against Richardson differences of the"
              " closed-form L", "≤ 1e-12 (exact); ≤ 1e-9 relative", error <= 1e-12 and derivative_error <= 1e-9)
    shifted = X.copy()
    shifted[1:] += 1.0
    _, shifted_phi = dataset_elbo_grad(model, q, shifted)
    unchanged = all(np.array_equal(full_phi[k][0], shifted_phi[k][0]) for k in full_phi)
    yield Row("∂L/∂φᵢ involves only xᵢ: changing the other points leaves ∇_φ₁ unchanged",
              "bit-identical" if unchanged else "changed", "the per-point form of the ELBO", "identical", unchanged)

