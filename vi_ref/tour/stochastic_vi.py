"""Stochastic variational inference: the lecture's recipe run end to end
(``vi_ref.vi``), its minibatches, and normalizing flows as a family (``vi_ref.flows``);
derivation 06."""

import numpy as np

from .framework import Row, section


@section("svi", "Putting Everything Together (steps 5–8, for φ at a fixed θ: stochastic gradient ascent on the ELBO)",
         "06 §1, 06 §4", order=31)
def stochastic_variational_inference(rng):
    from ..distributions import MultivariateNormal
    from ..models import LinearGaussian
    from ..vi import fit

    model = LinearGaussian(rng.standard_normal((4, 2)), rng.standard_normal(4), rng.uniform(0.5, 1.5))
    x = model.sample(1, rng)[0][0]
    posterior = model.posterior(x)
    # a step below 1/curvature: the ELBO's Hessian in the mean is −M = −(I + WᵀW/σ²)
    curvature = float(np.linalg.eigvalsh(np.linalg.inv(posterior.covariance_matrix))[-1])
    # the path-derivative estimator is exactly 0 at q = p(z|x), so the noisy ascent
    # converges like a deterministic one there (derivation 06 §4): no tolerance to tune
    result = fit(lambda z: model.log_joint(x, z), MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)), steps=800,
                 learning_rate=0.5 / curvature, n_samples=2, estimator="path_derivative", optimizer="gradient_ascent", rng=rng)
    distance = max(float(np.max(np.abs(result.q.loc - posterior.loc))),
                   float(np.max(np.abs(result.q.scale_tril - posterior.scale_tril))))
    gap = model.log_marginal(x) - model.elbo(x, result.q)
    yield Row("SVI (Monte Carlo gradients, gradient ascent) reaches the exact posterior of a Gaussian model",
              f"max |φ − φ*| {distance:.1e}; log p(x) − ELBO(q) {gap:.1e}", "closed-form posterior and evidence",
              "≤ 1e-6 and ≤ 1e-10 (the path-derivative noise vanishes at the optimum)", distance <= 1e-6 and gap <= 1e-10)


@section("svi-minibatch", "Mean Field Assumption for Parametric Distributions (minibatch SVI)", "06 §6", order=41)
def minibatch_gradients(rng):
    import itertools

    from ..distributions import MultivariateNormal
    from ..elbo import dataset_elbo_grad
    from ..models import LinearGaussian
    from ..vi import minibatch_elbo_gradient

    model = LinearGaussian(rng.standard_normal((4, 2)), rng.standard_normal(4), rng.uniform(0.3, 1.0, 4))
    X = model.sample(6, rng)[0]
    q = MultivariateNormal(rng.standard_normal((6, 2)), scale_tril=np.tile(np.diag([0.7, 1.3]), (6, 1, 1)))
    exact, _ = dataset_elbo_grad(model, q, X)
    batches = list(itertools.combinations(range(6), 2))
    # every batch with many draws: the average over batches of ĝ_θ has the exact mean.
    # The draws are stratified (the same number from each batch), so the standard error
    # of that average comes from the spread within each batch, √(Σ_b s_b²/n)/|batches|:
    # the spread between batches is not noise of this estimate
    per_batch = 40
    draws = {name: [] for name in exact}
    for batch in batches:
        for _ in range(per_batch):
            grads, _ = minibatch_elbo_gradient(model, q, X, np.array(batch), 10, rng)
            for name, value in grads.items():
                draws[name].append(np.ravel(value))
    from .policy import monte_carlo_row

    estimates, errors, expected = [], [], []
    for name, values in draws.items():
        strata = np.reshape(values, (len(batches), per_batch, -1))
        within = np.var(strata, axis=1, ddof=1)
        estimates.append(strata.mean(axis=(0, 1)))
        errors.append(np.sqrt(within.sum(axis=0) / per_batch) / len(batches))
        expected.append(np.ravel(exact[name]))
    yield monte_carlo_row("vi.minibatch_elbo_gradient: (N/|B|)-scaled minibatch ∇_θ is unbiased for the full ∇_θ L",
                          np.concatenate(estimates), np.concatenate(errors), np.concatenate(expected),
                          f"closed-form dataset_elbo_grad; every batch of 2 of 6, {per_batch} estimates each"
                          " (stratified SE)")


@section("flows", "Parametric Family of Distributions (normalizing flows as q)", "06 §7", order=17)
def flows_as_a_family(rng):
    import scipy.integrate

    from ..flows import PlanarFlow

    flow = PlanarFlow.initial(2, 3, rng=rng, spread=0.3)
    grid = np.linspace(-12, 12, 481)
    points = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1)
    total = scipy.integrate.simpson(scipy.integrate.simpson(np.exp(flow.log_prob(points)), x=grid, axis=1), x=grid)
    yield Row("a planar flow is a tractable family: its density integrates to 1",
              f"∫ q = {total:.10f}", "Simpson's rule on a 481² grid over [−12, 12]²", "|∫ q − 1| ≤ 1e-6",
              abs(total - 1) <= 1e-6)
    z, eps = flow.rsample(200, rng)
    error = float(np.max(np.abs(flow.log_prob(z) - flow.log_prob_of_noise(eps))))
    yield Row("log q(z) by inverting the flow equals log b(ε) − log|det ∂T/∂ε| at its own draws",
              f"max |difference| {error:.1e}", "change of variables along the forward pass", "≤ 1e-10",
              error <= 1e-10)
