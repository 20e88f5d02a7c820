"""Every row of the tour can fail: each test feeds one section a broken ingredient (a
library function off by a little, a biased estimator, a wrong density) and asserts
that the row checking it says FAIL. A row that passed whatever it was fed would
check nothing. tests/test_tour.py checks that the honest rows pass; the rows' own
oracles (scipy.stats, quadrature, enumeration, closed forms) are the independent
values; here the broken ingredient is the only change, so a FAIL is that row's.

One section is run per test (0.01-1.4 s), at seed 0."""

import numpy as np
import pytest
import scipy.special

import vi_ref.estimators
import vi_ref.kl
import vi_ref.models
import vi_ref.vi
from vi_ref import em, tour
from vi_ref.cavi import UnitVarianceMixtureCAVI
from vi_ref.distributions import Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref.estimators import suite
from vi_ref.flows import PlanarFlow
from vi_ref.gradcheck import GradientCase, GradientProblem
from vi_ref.models import GammaPoisson, GaussianMixture, LinearGaussian
from vi_ref.tour import lower_bounds, questions_vi3, three_methods


def verdict(key, claim, seed=0):
    """The verdict of the one row of section ``key`` whose claim starts with ``claim``."""
    section, = [candidate for candidate in tour.SECTIONS if candidate.key == key]
    rows = [row for row in tour.run_section(section, seed) if row.claim.startswith(claim)]
    assert len(rows) == 1, [row.claim for row in rows]
    return rows[0].ok


def break_result(monkeypatch, owner, name, change):
    """Replace ``owner.name`` (a method or a module's function) by one whose result is
    ``change(result, *args)``: the broken ingredient fed to a section."""
    original = getattr(owner, name)

    def broken(*args, **kwargs):
        return change(original(*args, **kwargs), *args)

    monkeypatch.setattr(owner, name, broken)


def plus(offset):
    return lambda value, *args: value + offset


# ----- an ingredient off by a constant: the row that checks it fails -----------------

OFF_BY_A_CONSTANT = [  # (owner, its function or method, offset of the result, section, the row's claim)
    pytest.param(LinearGaussian, "log_marginal", 1e-6, "lvm", "PPCA evidence", id="ppca-evidence"),
    # constant in z (no spread), but not log p(x)
    pytest.param(vi_ref.models, "log_marginal_candidate", 1e-6, "VI1.1", "No: log p(x)", id="candidate-formula"),
    pytest.param(GaussianMixture, "log_marginal", 1e-6, "VI1.2", "a finite sum", id="mixture-evidence"),
    # an ELBO above the evidence
    pytest.param(LinearGaussian, "elbo", 1e-6, "bounds", "every member g_q(θ)", id="elbo-above-evidence-bounds"),
    pytest.param(LinearGaussian, "elbo", 1e-6, "VI2.2", "to minimise f", id="elbo-above-evidence-VI2.2"),
    # log p(x) − ELBO − KL = −1e-6: the residual's size is checked, not its sign
    pytest.param(LinearGaussian, "elbo", 1e-6, "elbo", "log p(x) = ELBO(q) + KL", id="elbo-decomposition"),
    pytest.param(GaussianMixture, "elbo", 1.0, "elbo", "closed-form ELBO = E_q", id="mixture-elbo-monte-carlo"),
    pytest.param(vi_ref.kl, "kl_divergence", 1e-5, "kl", "KL(q‖p) := ∫ q log(q/p)", id="kl-quadrature"),
    # the Monte Carlo SE of S = 40000 log-ratios is about 0.01 here
    pytest.param(vi_ref.kl, "kl_divergence", 0.2, "kl", "KL MultivariateNormal‖MultivariateNormal",
                 id="mvn-kl-monte-carlo"),
    pytest.param(Gamma, "entropy", 1e-6, "families", "tractable", id="one-familys-entropy"),
    pytest.param(em.GaussianMixtureEM, "score_samples", 1e-6, "em", "the fitted mixture's log p(x)",
                 id="em-log-density"),
    # a flow density that integrates to 0.99
    pytest.param(PlanarFlow, "log_prob", np.log(0.99), "flows", "a planar flow is a tractable family",
                 id="flow-density"),
    pytest.param(GaussianMixture, "elbo", 1e-6, "em-cavi-svi", "EM (μ a point", id="em-bound-em-cavi-svi"),
    pytest.param(vi_ref.kl, "kl_divergence", 1e-6, "VI3.2", "p(z₁,z₂) = N(0, I)", id="kl-VI3.2"),
]


@pytest.mark.parametrize("owner, name, offset, key, claim", OFF_BY_A_CONSTANT)
def test_an_ingredient_off_by_a_constant_fails_the_row_that_checks_it(monkeypatch, owner, name, offset, key, claim):
    break_result(monkeypatch, owner, name, plus(offset))
    assert not verdict(key, claim)


# ----- lvm, VI1.1, VI1.2: the evidence of the three models -----------------------------


def test_a_mixture_evidence_off_at_one_point_fails_its_row(monkeypatch):
    """The row's error is the worst over the 5 points, not the best."""
    def off_at_last_point(value, *args):
        value = np.array(value, float)
        value[-1] += 1e-6
        return value

    break_result(monkeypatch, GaussianMixture, "log_marginal", off_at_last_point)
    assert not verdict("lvm", "GMM evidence")


def test_a_naive_monte_carlo_estimate_10_standard_errors_high_fails_its_row(monkeypatch):
    break_result(monkeypatch, vi_ref.models, "log_marginal_monte_carlo",
                 lambda result, *args: (result[0] + 10 * result[1], result[1]))
    assert not verdict("lvm", "p(x) = E_{z~p(z)}[p(x|z)]")


def test_a_naive_estimate_biased_upwards_fails_the_jensen_half_of_its_row(monkeypatch):
    """Reflected about the exact log p(x), the estimate keeps its errors' sizes and
    standard errors but errs upwards: log of a mean is biased low (Jensen), so this
    estimator cannot be the naive one."""
    def reflected(result, model, data, *args):
        return 2 * model.log_marginal(data) - result[0], result[1]

    break_result(monkeypatch, vi_ref.models, "log_marginal_monte_carlo", reflected)
    assert not verdict("lvm", "p(x) = E_{z~p(z)}[p(x|z)]")


# ----- bounds, VI2.1, VI2.2, VI2.3: lower bounds and the ELBO --------------------------


def test_bounds_that_touch_f_at_only_some_anchors_fail_the_touching_row(monkeypatch):
    """Off by 1e-6 where σ² > 1.5: half the grid's members do not touch f."""
    def off_at_large_noise(value, model, *args):
        return value + 1e-6 * float(np.all(model.noise_var > 1.5))

    break_result(monkeypatch, LinearGaussian, "elbo", off_at_large_noise)
    assert not verdict("bounds", "each g_q touches f")


def test_a_member_below_f_everywhere_fails_vi2_1s_faulty_member_row(monkeypatch):
    """A density taken twice its value gives ELBO − log 2 < f: no member exceeds f,
    which is what the row claims the faulty member does."""
    def doubled_density(q):
        class DoubledDensity(MultivariateNormal):
            def log_prob(self, z):
                return super().log_prob(z) + np.log(2.0)

        return DoubledDensity(q.loc, scale_tril=q.scale_tril)

    monkeypatch.setattr(lower_bounds, "_halved_density", doubled_density)
    assert not verdict("VI2.1", "a member with g > f")


def test_a_lognormal_elbo_off_by_1e_6_fails_vi2_3s_fix_row(monkeypatch):
    def off_for_lognormal(value, model, counts, q):
        return value + 1e-6 if isinstance(q, LogNormal) else value

    break_result(monkeypatch, GammaPoisson, "elbo", off_for_lognormal)
    assert not verdict("VI2.3", "the fix:")


# ----- kl and families ----------------------------------------------------------------


def test_kl_monte_carlo_15_standard_errors_off_fails_its_row(monkeypatch):
    break_result(monkeypatch, vi_ref.kl, "kl_monte_carlo",
                 lambda result, *args: (result[0] + 15 * result[1], result[1]))
    assert not verdict("kl", "kl_monte_carlo estimates the closed form")


def test_a_negative_kl_fails_the_nonnegativity_row(monkeypatch):
    def negative_between_different_laws(value, q, p):
        return value if q is p else -np.abs(value)

    break_result(monkeypatch, vi_ref.kl, "kl_divergence", negative_between_different_laws)
    assert not verdict("kl", "nonnegative, and 0 iff q = p")


def test_a_gamma_sampler_20_percent_too_large_fails_the_sampling_row(monkeypatch):
    break_result(monkeypatch, Gamma, "sample", lambda draws, *args: 1.2 * draws)
    assert not verdict("families", "we can draw samples")


def test_a_wrong_normal_scale_score_fails_the_score_identity_row(monkeypatch):
    """The scale's score is the second entry of Normal's gradient: each family's every
    parameter is checked (an offset of 1 is ≥ 30 SE at S = 20000, σ ≥ 0.3)."""
    def scale_off(grads, *args):
        return {**grads, "scale": grads["scale"] + 1.0}

    break_result(monkeypatch, Normal, "log_prob_grad", scale_off)
    assert not verdict("families", "score identity")


# ----- em --------------------------------------------------------------------------------


def test_an_m_step_whose_means_are_off_fails_the_argmax_row(monkeypatch):
    """m_step on data shifted by 1e-3: the weights are still the argmax, the means not."""
    original = em.m_step
    monkeypatch.setattr(em, "m_step", lambda X, *args, **kwargs: original(X + 1e-3, *args, **kwargs))
    assert not verdict("em", "M-step = argmax_θ")


def test_an_e_step_returning_another_q_fails_the_tight_elbo_row(monkeypatch):
    """Uniform responsibilities with the true ELBO reported beside them: the row computes
    the ELBO of the q the E-step returns (a q built from log p(x, k) − log p(x) would
    be tight for any responsibilities summing to 1, and the old row passed this)."""
    def uniform(result, *args):
        responsibilities, elbo = result
        return np.full_like(responsibilities, 1 / responsibilities.shape[1]), elbo

    break_result(monkeypatch, em, "e_step", uniform)
    assert not verdict("em", "E-step: q = p_θ(z|x) makes the ELBO tight")


# ----- monte-carlo-gradients and reparameterization ---------------------------------------


class _Biased:
    """A suite problem whose estimates are ``shift`` exact standard errors too high."""

    def __init__(self, problem, shift):
        self._problem, self._shift = problem, shift

    def __getattr__(self, name):
        return getattr(self._problem, name)

    def estimate(self, estimator, n, rng=None):
        terms, variance = self._problem.estimate(estimator, n, rng), self._problem.variance(estimator)
        return {name: value + self._shift * np.sqrt(np.asarray(variance[name]) / n) for name, value in terms.items()}


class _Overstated:
    """A suite problem whose exact variance is stated twice too large."""

    def __init__(self, problem):
        self._problem = problem

    def __getattr__(self, name):
        return getattr(self._problem, name)

    def variance(self, estimator, n=None):
        return {name: 2 * np.asarray(value) for name, value in self._problem.variance(estimator, n).items()}


def test_a_score_function_estimator_15_standard_errors_high_fails_its_row(monkeypatch):
    original = suite.problems
    monkeypatch.setattr(suite, "problems", lambda: [_Biased(problem, 15.0) for problem in original()])
    assert not verdict("monte-carlo-gradients", "∇φ E_q[f] = E_q[f(z) ∇φ log q(z)]")


def test_a_wrong_exact_variance_fails_the_variance_growth_row(monkeypatch):
    original = suite.dimension_problem
    monkeypatch.setattr(suite, "dimension_problem", lambda d: _Overstated(original(d)))
    assert not verdict("monte-carlo-gradients", "its variance grows with the dimension")


def test_a_path_derivative_that_is_the_usual_estimator_fails_the_sticking_the_landing_row(monkeypatch):
    original = vi_ref.estimators.elbo_gradient

    def without_path_derivative(*args, estimator, **kwargs):
        estimator = "reparameterization" if estimator == "path_derivative" else estimator
        return original(*args, estimator=estimator, **kwargs)

    monkeypatch.setattr(vi_ref.estimators, "elbo_gradient", without_path_derivative)
    assert not verdict("reparameterization", "at q = p(z|x) the path-derivative")


def test_a_wrong_closed_form_phi_gradient_fails_the_elbo_gradient_row(monkeypatch):
    def phi_off(grads, *args):
        grads_theta, grads_phi = grads
        return grads_theta, {name: value + 1.0 for name, value in grads_phi.items()}

    break_result(monkeypatch, LinearGaussian, "elbo_grad", phi_off)
    assert not verdict("reparameterization", "ELBO gradients: reparameterisation")


# ----- gradients-of-the-elbo, svi-minibatch, flows -------------------------------------


def test_a_loadings_gradient_off_by_1e_3_relative_fails_the_theta_gradient_row(monkeypatch):
    def loadings_off(grads, *args):
        grads_theta, grads_phi = grads
        return {**grads_theta, "W": grads_theta["W"] * (1 + 1e-3)}, grads_phi

    break_result(monkeypatch, LinearGaussian, "elbo_grad", loadings_off)
    assert not verdict("gradients-of-the-elbo", "at q = p_θ(z|x) the hand-written ∇_θ ELBO")


def test_a_minibatch_gradient_biased_by_5_percent_fails_its_row(monkeypatch):
    """With the stratified standard error (the spread within each batch) a 5 % bias is
    about 12 SE off; with the pooled one, which counts the spread between batches as
    noise, it passed at 3–5 SE."""
    def biased(result, *args):
        grads_theta, grads_phi = result
        return {name: value / 1.05 for name, value in grads_theta.items()}, grads_phi

    break_result(monkeypatch, vi_ref.vi, "minibatch_elbo_gradient", biased)
    assert not verdict("svi-minibatch", "vi.minibatch_elbo_gradient")


def test_a_minibatch_gradient_without_its_n_over_b_scale_fails_its_row(monkeypatch):
    """Batches of 2 of 6 points: the unscaled gradient is a third of the full one."""
    def unscaled(result, *args):
        grads_theta, grads_phi = result
        return {name: value * 2 / 6 for name, value in grads_theta.items()}, grads_phi

    break_result(monkeypatch, vi_ref.vi, "minibatch_elbo_gradient", unscaled)
    assert not verdict("svi-minibatch", "vi.minibatch_elbo_gradient")


def test_a_dataset_gradient_off_by_1e_6_relative_fails_the_mean_field_minibatch_row(monkeypatch):
    """Averaging over every batch is linear, so a loadings gradient 1e-6 too large in
    every batch and in the full data set agrees with itself: only the comparison of
    the full gradient with Richardson differences of the closed-form L can see it."""
    import vi_ref.elbo

    def loadings_off(grads, *args):
        grads_theta, grads_phi = grads
        return {**grads_theta, "W": grads_theta["W"] * (1 + 1e-6)}, grads_phi

    break_result(monkeypatch, vi_ref.elbo, "dataset_elbo_grad", loadings_off)
    assert not verdict("mean-field", "the minibatch gradient (1/|B|) Σ_B ∇_θ Lᵢ is unbiased")


# ----- cavi and em-cavi-svi ---------------------------------------------------------------


def test_cavi_means_off_their_optimum_fail_the_perturbation_row(monkeypatch):
    """Means 0.3 off their update: some perturbation of the means raises the ELBO (the
    variances' optimum does not depend on the means, so only the means can show it)."""
    def means_off(fitted, *args):
        fitted.means_ = fitted.means_ + 0.3
        return fitted

    break_result(monkeypatch, UnitVarianceMixtureCAVI, "fit", means_off)
    assert not verdict("cavi", "at convergence q(μ) is at its optimum")


def test_a_cavi_elbo_off_by_1e_9_fails_its_row(monkeypatch):
    """The reported ELBO against the quadrature one (the old rows only compared the
    closed form with itself: an entropy missing its +1 passed them)."""
    def elbo_off(fitted, *args):
        fitted.lower_bound_ = fitted.lower_bound_ + 1e-9
        return fitted

    break_result(monkeypatch, UnitVarianceMixtureCAVI, "fit", elbo_off)
    assert not verdict("cavi", "the ELBO CAVI reports")


def test_a_q_c_update_without_the_means_variance_term_fails_its_row(monkeypatch):
    """φᵢₖ ∝ exp(xᵢᵀmₖ − ½‖mₖ‖²) without −½ D sₖ²: the update of a q(μ) with no spread."""
    import vi_ref.cavi.unit_variance_mixture as cavi_module

    original = cavi_module.update_assignments
    monkeypatch.setattr(cavi_module, "update_assignments",
                        lambda X, means, variances: original(X, means, np.zeros_like(variances)))
    assert not verdict("cavi", "the q(c) update is the coordinate optimum")


def test_a_collapsed_log_joint_off_by_1e_6_fails_the_jensen_row(monkeypatch):
    original = three_methods.collapsed_log_joint

    def shifted(X, prior_variance=three_methods.PRIOR_VARIANCE):
        log_joint = original(X, prior_variance)
        return lambda mu: log_joint(mu) + 1e-6

    monkeypatch.setattr(three_methods, "collapsed_log_joint", shifted)
    assert not verdict("em-cavi-svi", "for CAVI's q(μ), summing c out")


# ----- VI3.1, VI3.2 -------------------------------------------------------------------------


def test_a_quadrature_off_by_one_fails_vi3_1_a(monkeypatch):
    """The pathwise estimates are compared with the quadrature, not with themselves."""
    break_result(monkeypatch, questions_vi3, "_gauss_hermite_expectation",
                 lambda values, *args: [value + 1.0 for value in values])
    assert not verdict("VI3.1", "(a) E_q[z] in closed form")


def test_a_score_in_z_without_the_priors_term_fails_vi3_1s_derivative_row(monkeypatch):
    """∂/∂z log p(x, z) without −z: the pathwise gradient is no longer the derivative
    of the ELBO (the Monte Carlo and the quadrature still agree with each other)."""
    break_result(monkeypatch, questions_vi3, "_score_in_z", lambda value, model, x, z: value + z)
    assert not verdict("VI3.1", "    … and that quadrature gradient")


def test_a_log_density_without_its_jacobian_fails_vi3_1s_density_row(monkeypatch):
    """log q(T(ε)) without −log(1 + a σ(ε)): (a) and (b) still agree with the quadrature
    of the same wrong log q (they passed it); the density row sees it."""
    def without_jacobian(result, q, eps):
        z, log_density, direction = result
        return z, log_density + np.log1p(questions_vi3.WARP * scipy.special.expit(eps)), direction

    break_result(monkeypatch, questions_vi3.WarpedNormal, "rsample_with_log_density", without_jacobian)
    assert not verdict("VI3.1", "    … and the log q they used is a density")


# ----- gradient-engine ------------------------------------------------------------------------


def _product_case(name, factor):
    """f(a, b) = a·b², with ∂f/∂b = 2ab written as factor·ab (correct when factor = 2)."""
    def build(rng):
        return GradientProblem(lambda a, b: float(a * b**2), lambda a, b: {"a": b**2, "b": factor * a * b},
                               {"a": np.array(1.5), "b": np.array(-0.7)})

    return GradientCase(name, (), build)


def test_a_case_with_one_wrong_partial_derivative_fails_its_rows(monkeypatch):
    """∂/∂a right, ∂/∂b off by a factor 2: the case fails, and so does its module's
    summary beside a correct case; an empty registry covers no public gradient."""
    monkeypatch.setattr("vi_ref.registry.CASES", [_product_case("toy.right", 2.0), _product_case("toy.wrong", 1.0)])
    section, = [candidate for candidate in tour.SECTIONS if candidate.key == "gradient-engine"]
    rows = {row.claim: row.ok for row in tour.run_section(section)}
    assert rows["toy.right"] and not rows["toy.wrong"]
    assert not rows["vi_ref.toy: 2 gradients"]
    assert not rows["the registry covers every public gradient and names only existing ones"]


@pytest.mark.parametrize("key", ["lvm", "VI1.1", "VI1.2", "bounds", "VI2.1", "VI2.2", "VI2.3", "elbo", "kl", "families",
                                 "em", "monte-carlo-gradients", "reparameterization", "gradients-of-the-elbo",
                                 "svi-minibatch", "flows", "cavi", "em-cavi-svi", "VI3.1", "VI3.2"])
def test_the_honest_rows_pass_at_the_seed_used_here(key):
    """Each FAIL above is the broken ingredient's: unbroken, the same rows pass."""
    section, = [candidate for candidate in tour.SECTIONS if candidate.key == key]
    assert all(row.ok for row in tour.run_section(section, 0))
