"""The models' log-joint densities as ``vi_ref.autodiff`` graphs, and their hand-written
per-sample gradients ``log_joint_grad`` three ways (hand-written = autodiff of the same
formula = finite differences); ``GammaPoisson.elbo_grad`` at its optimum and, for
one q shared by several data sets, against finite differences of ``elbo``."""

import numpy as np
import pytest

from vi_ref import autodiff as ad
from vi_ref.distributions import Exponential, Gamma, LogNormal, Normal
from vi_ref.models import GammaPoisson, LinearGaussian
from vi_ref.registry.models import LOG_JOINT_CASES

SEED = 20261201


@pytest.mark.parametrize("case", LOG_JOINT_CASES, ids=[case.name for case in LOG_JOINT_CASES])
def test_log_joint_grad_three_ways(case, three_ways):
    three_ways(case, SEED)


def _models():
    rng = np.random.default_rng(SEED)
    linear = LinearGaussian(rng.standard_normal((3, 2)), rng.standard_normal(3), 0.7)
    return [
        (linear, rng.standard_normal((4, 3)), rng.standard_normal((5, 4, 2))),
        (GammaPoisson(2.0, 1.5), np.array([[1.0, 0.0, 3.0], [2.0, 2.0, 5.0]]), rng.uniform(0.1, 4.0, (5, 2))),
    ]


@pytest.mark.parametrize("model, x, z", _models(), ids=["LinearGaussian", "GammaPoisson"])
def test_log_joint_of_a_tensor_is_the_same_value_and_differentiates_to_log_joint_grad(model, x, z):
    value, gradient = ad.value_and_grad(lambda tensor: ad.sum(model.log_joint(x, tensor)))(z)
    assert value == pytest.approx(np.sum(model.log_joint(x, z)), rel=1e-14)
    np.testing.assert_allclose(gradient, model.log_joint_grad(x, z)["z"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("model, x, z", _models(), ids=["LinearGaussian", "GammaPoisson"])
def test_log_prior_and_log_likelihood_of_a_tensor_are_the_same_values(model, x, z):
    """The issue asks log_prior and log_likelihood, not only log_joint, to take Tensors:
    same values as on arrays, and their gradients sum to log_joint_grad's "z"."""
    prior, prior_grad = ad.value_and_grad(lambda tensor: ad.sum(model.log_prior(tensor)))(z)
    likelihood, likelihood_grad = ad.value_and_grad(lambda tensor: ad.sum(model.log_likelihood(x, tensor)))(z)
    assert prior == pytest.approx(np.sum(model.log_prior(z)), rel=1e-14)
    assert likelihood == pytest.approx(np.sum(model.log_likelihood(x, z)), rel=1e-14)
    np.testing.assert_allclose(prior_grad + likelihood_grad, model.log_joint_grad(x, z)["z"], rtol=1e-12, atol=1e-12)


def test_log_joint_grad_refuses_rates_outside_the_support_and_bad_shapes():
    model = GammaPoisson(2.0, 1.0)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="z must be"):
            model.log_joint_grad(np.array([1.0, 2.0]), np.array([1.0, bad]))
    with pytest.raises(ValueError, match="z must be positive"):
        model.log_joint(np.array([1.0]), ad.Tensor(np.array([-1.0])))
    with pytest.raises(ValueError, match="z must be positive"):
        model.log_prior(ad.Tensor(np.array([0.0])))
    with pytest.raises(ValueError, match="z must be positive"):
        model.log_likelihood(np.array([1.0]), ad.Tensor(np.array([-1.0])))
    linear = LinearGaussian(np.ones((3, 2)), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="z must have L = 2 entries"):
        linear.log_joint_grad(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="z must have L = 2 entries"):
        linear.log_joint(np.zeros(3), ad.Tensor(np.zeros(3)))


def test_gamma_poisson_elbo_grad_vanishes_at_the_posterior_and_refuses_a_normal_q():
    """The posterior Gamma(α + S, β + n) maximises the ELBO over the Gamma family (an
    oracle independent of the formula): ∂ELBO/∂(a, b) = 0 there."""
    model = GammaPoisson(2.0, 1.5)
    x = np.array([[1.0, 3.0, 2.0], [0.0, 1.0, 4.0]])
    _, grads_phi = model.elbo_grad(x, model.posterior(x))
    for name, gradient in grads_phi.items():
        np.testing.assert_allclose(gradient, 0.0, atol=1e-12, err_msg=name)
    _, grads_phi = model.elbo_grad(x, LogNormal(np.zeros(2), np.ones(2)))
    assert set(grads_phi) == {"loc", "scale"}
    with pytest.raises(ValueError, match="q is a Normal: its ELBO is -inf"):
        model.elbo_grad(x, Normal(1.0, 1.0))
    with pytest.raises(TypeError, match="q must be a Gamma or LogNormal or Normal"):
        model.elbo_grad(x, Exponential(1.0))


@pytest.mark.parametrize("q", [Gamma(5.0, 2.5), LogNormal(0.4, 0.6)], ids=["Gamma", "LogNormal"])
def test_gamma_poisson_elbo_grad_of_one_q_shared_by_the_data_sets(q):
    """One q for two data sets: every gradient, θ's included, is that of the sum of the
    two ELBOs, by Richardson differences of ``elbo`` (the registry's cases give each
    data set its own q, where θ's gradient summed over q's batch was enough)."""
    from vi_ref.gradcheck import check_gradient

    x = np.array([[1.0, 3.0, 2.0], [0.0, 1.0, 4.0]])
    model = GammaPoisson(2.0, 1.5)
    grads_theta, grads_phi = model.elbo_grad(x, q)

    def total_elbo(theta, phi):
        return float(np.sum(GammaPoisson(**theta).elbo(x, type(q)(**phi))))

    for name, gradient in grads_theta.items():
        vary = lambda v, name=name: total_elbo({**model.params, name: v}, q.params)  # noqa: E731
        check = check_gradient(vary, lambda v, g=gradient: g, model.params[name], method="richardson",
                               rtol=1e-7, atol=1e-9)
        assert check.ok, (name, str(check))
    for name, gradient in grads_phi.items():
        vary = lambda v, name=name: total_elbo(model.params, {**q.params, name: v})  # noqa: E731
        check = check_gradient(vary, lambda v, g=gradient: g, q.params[name], method="richardson",
                               rtol=1e-7, atol=1e-9)
        assert check.ok, (name, str(check))
