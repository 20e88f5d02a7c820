"""Stochastic variational inference (``vi_ref.vi``): every run ends at an optimum known
exactly, by an independent route (closed-form posterior and evidence, the exact
KL of the best factorised Gaussian, a deterministic optimiser on the closed-form
ELBO plus Gauss–Hermite quadrature, 2-D quadrature, L-BFGS and Tipping–Bishop).

How the tolerances are derived. A stochastic-gradient run ends with iterates that
fluctuate around the optimum; ``vi.iterate_average`` averages the second half of
them (Polyak–Ruppert) and gives a batch-means standard error from B = 10 blocks.
The standardised error (average − exact)/SE is then approximately Student-t with
B − 1 = 9 degrees of freedom, for which P(|t| > 6) ≈ 2e-4; with at most ~10
coordinates per assertion the false-alarm probability is ≈ 2e-3 per test. The
tolerances are 6 SE (not 5) because P(|t₉| > 5) ≈ 7e-4 per coordinate is too often
for ten coordinates and 30 seeds. Measured on the full-rank check (80 seeds, 1500 and
3000 steps) the z-scores' SD was 1.20–1.24 against t₉'s 1.13: the batch-means SE is
about 8 % small there, which makes the false alarm ≈ 4e-3 per test. ELBO estimates are compared within 5 of their
own standard errors (normal, 6e-7 per comparison). Where the estimator has zero
variance at the optimum (the path derivative on an exact Gaussian posterior, the
score function at q = p), the run converges like deterministic gradient ascent and
the tolerance is round-off plus the stated contraction. The seed sweeps that back
these claims are in ``test_vi_seed_sweep`` (slow-marked).
"""

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats

from vi_ref import autodiff as ad
from vi_ref import flows as vi_flows
from vi_ref import kl, vi
from vi_ref.distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref.elbo import dataset_elbo, dataset_elbo_grad
from vi_ref.estimators import elbo_gradient
from vi_ref.learning import fit_linear_gaussian, ppca_maximum_likelihood
from vi_ref.models import GammaPoisson, LinearGaussian

T_TOLERANCE = 6.0  # Student-t(9) batch-means z-scores, see the module docstring
Z_TOLERANCE = 5.0  # normal z-scores of independent ELBO estimates


def assert_within_standard_errors(mean, exact, standard_error, what, tolerance=T_TOLERANCE):
    z = (np.asarray(mean) - np.asarray(exact)) / np.asarray(standard_error)
    assert np.all(np.abs(z) <= tolerance), f"{what}: z-scores {np.round(z, 2)} exceed {tolerance}"


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------

MEAN = np.array([1.0, -2.0, 0.5])
PRECISION = np.array([[2.0, 1.2, 0.3], [1.2, 2.0, -0.5], [0.3, -0.5, 1.0]])
LOG_NORMALISER = 1.7  # log_joint = log N(z | MEAN, PRECISION⁻¹) + this: the evidence


def correlated_gaussian_log_joint(z):
    """log N(z | m, Λ⁻¹) + log Z, written with autodiff operations."""
    residual = z - MEAN
    _, log_det = np.linalg.slogdet(PRECISION)
    quadratic = ad.sum(residual * ad.matmul(residual, PRECISION), axis=-1)
    return -0.5 * quadratic + 0.5 * log_det - 1.5 * np.log(2 * np.pi) + LOG_NORMALISER


def exact_target():
    return MultivariateNormal(MEAN, covariance_matrix=np.linalg.inv(PRECISION))


# ---------------------------------------------------------------------------
# The optimisers and the schedule
# ---------------------------------------------------------------------------


def test_gradient_ascent_is_the_lecture_update():
    new = vi.GradientAscent().step("v", np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)
    np.testing.assert_allclose(new, [1.05, 1.9], rtol=0, atol=1e-15)


def test_adam_first_step_moves_each_coordinate_by_the_learning_rate():
    # bias correction makes the first step exactly η·g/(|g| + ε) per coordinate
    new = vi.Adam().step("v", np.zeros(3), np.array([1e-3, -5.0, 200.0]), 0.01)
    np.testing.assert_allclose(new, 0.01 * np.sign([1e-3, -5.0, 200.0]), rtol=1e-4)


@pytest.mark.parametrize("scale", [1e150, 1e160, 1e300])
def test_adam_steps_are_scale_free_where_the_squared_gradient_overflows(scale):
    # ĝ² overflowed to ∞ beyond 1e154 and the step m/√s became 0: the parameter stopped,
    # silently. The same gradients in units of the scale take the same steps.
    gradients = np.random.default_rng(5).standard_normal((6, 3))
    huge, unit, reference = vi.Adam(), vi.Adam(epsilon=1e-8 / scale), vi.Adam()
    value_huge = value_unit = np.zeros(3)
    for gradient in gradients:
        value_huge = huge.step("v", value_huge, gradient * scale, 0.1)
        value_unit = unit.step("v", value_unit, gradient, 0.1)
    np.testing.assert_allclose(value_huge, value_unit, rtol=1e-14)
    value = np.zeros(3)
    for gradient in gradients:  # below 2⁵⁰⁰ nothing is rescaled: the same bits as before
        value = reference.step("v", value, gradient * 1e10, 0.1)
    assert reference._state["v"][3] == 0


def test_adam_rows_update_only_the_minibatch_with_their_own_counts():
    adam = vi.Adam()
    value = np.zeros((3, 2))
    value = adam.step("phi", value, np.ones((2, 2)), 0.1, rows=np.array([0, 2]))
    np.testing.assert_allclose(value[1], 0.0)
    value = adam.step("phi", value, np.ones((1, 2)), 0.1, rows=np.array([1]))
    # row 1's first step is a first step again: exactly η
    np.testing.assert_allclose(value[1], 0.1, rtol=1e-6)


def test_adam_bias_corrected_moments_are_exact_for_a_constant_and_an_alternating_gradient():
    """For a constant ĝ = g, m_t = (1 − β₁ᵗ) g and s_t = (1 − β₂ᵗ) g², so the corrected
    moments are g and g² at every t: each step is η g/(|g| + ε), also for a row that
    joins late (its own t). For ĝ = 1 then −1, m₂ = −(1 − β₁)² and s₂ = 1 − β₂², so the
    second step is −η (1 − β₁)/(1 + β₁)/(1 + ε). (The first step alone is η sign(g) for
    any β, so it cannot tell which β a moment decays at.)"""
    adam = vi.Adam()
    value = np.zeros((2, 2))
    gradient = np.array([[4.0, -0.5], [4.0, -0.5]])
    for rows in ([0], [0], [0, 1], [0, 1], [0]):
        value = adam.step("phi", value, gradient[rows], 0.1, rows=np.array(rows))
    steps = 0.1 * gradient / (np.abs(gradient) + 1e-8)
    np.testing.assert_allclose(value, [5 * steps[0], 2 * steps[1]], rtol=1e-14)
    adam = vi.Adam(beta1=0.8, beta2=0.99)
    first = adam.step("v", np.zeros(1), np.ones(1), 0.1)
    second = adam.step("v", first, -np.ones(1), 0.1)
    np.testing.assert_allclose(second - first, -0.1 * (0.2 / 1.8) / (1 + 1e-8), rtol=1e-14)


@pytest.mark.parametrize("betas", [{}, {"beta1": 0.0}, {"beta2": 0.0}], ids=["defaults", "beta1=0", "beta2=0"])
def test_adam_second_step_by_hand_for_the_gradients_one_then_two(betas):
    """For ĝ = 1 then 2: m₂ = (1 − β₁)(β₁ + 2) and s₂ = (1 − β₂)(β₂ + 4), so the
    corrected moments are (2 + β₁)/(1 + β₁) and (4 + β₂)/(1 + β₂) and the second step is
    η (2 + β₁)/(1 + β₁) / (√((4 + β₂)/(1 + β₂)) + ε), at the documented defaults β₁ = 0.9,
    β₂ = 0.999, ε = 1e-8 and at β = 0 (in [0, 1): no momentum, or no averaging of ĝ²).
    Unlike ĝ = ±1, it depends on β₂."""
    beta1, beta2 = betas.get("beta1", 0.9), betas.get("beta2", 0.999)
    adam = vi.Adam(**betas)
    first = adam.step("v", np.zeros(1), np.ones(1), 0.1)
    second = adam.step("v", first, np.full(1, 2.0), 0.1)
    expected = 0.1 * (2 + beta1) / (1 + beta1) / (np.sqrt((4 + beta2) / (1 + beta2)) + 1e-8)
    np.testing.assert_allclose(second - first, expected, rtol=1e-13)


def test_adam_first_step_is_the_learning_rate_beside_a_gradient_beyond_the_rescaling():
    """Each coordinate's first step is η·sign(ĝ) (bias correction, ε ≪ |ĝ|), also for a
    gradient of 1 beside one of 1e300, which puts the moments in units of 2ᵉ, e ≈ 500:
    ε must be in those units too (1e-8 against a second moment of about 2⁻¹⁰⁰⁰ would
    leave the small coordinates a step of about 0)."""
    gradient = np.array([1e300, 1.0, -4.0])
    new = vi.Adam().step("v", np.zeros(3), gradient, 0.01)
    np.testing.assert_allclose(new, 0.01 * np.sign(gradient), rtol=1e-8)


def test_adam_steps_are_scale_free_when_the_gradient_falls_from_1e300_to_1e200():
    """In units of 1e300 the gradients are 1 then 1e-100, and the second step is
    η (m₂/(1 − β₁²)) / √(s₂/(1 − β₂²)) with m₂ = β₁(1 − β₁) + (1 − β₁)1e-100 and
    s₂ = β₂(1 − β₂) + (1 − β₂)1e-200 (ε/1e300 is below round-off). Both gradients exceed
    2⁵⁰⁰: the moments keep the larger scale (rescaling them down to 1e200's would
    overflow s to ∞ and stop the step at 0)."""
    adam = vi.Adam()
    first = adam.step("v", np.zeros(1), np.array([1e300]), 0.1)
    second = adam.step("v", first, np.array([1e200]), 0.1)
    m2, s2 = 0.9 * 0.1 + 0.1 * 1e-100, 0.999 * 0.001 + 0.001 * 1e-200
    np.testing.assert_allclose(first, 0.1, rtol=1e-14)
    np.testing.assert_allclose(second - first, 0.1 * (m2 / (1 - 0.9**2)) / np.sqrt(s2 / (1 - 0.999**2)), rtol=1e-12)


def test_adam_steps_a_parameter_whole_then_by_rows_as_if_every_row_had_been_given():
    """A parameter stepped whole and then by rows raised IndexError (its step count
    was one number); each row has taken every whole step, so the result equals
    passing all the rows from the start (a row-wise count, the documented per-row t)."""
    rng = np.random.default_rng(3)
    gradients = rng.standard_normal((4, 3, 2))
    whole_then_rows, all_rows = vi.Adam(), vi.Adam()
    a = b = np.zeros((3, 2))
    for step, rows in enumerate((None, None, [1], [0, 2])):
        given = np.arange(3) if rows is None else np.array(rows)
        a = whole_then_rows.step("phi", a, gradients[step][given], 0.1,
                                 rows=None if rows is None else np.array(rows))
        b = all_rows.step("phi", b, gradients[step][given], 0.1, rows=given)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[1], a[0])


@pytest.mark.parametrize("kwargs, match", [
    ({"beta1": 1.0}, r"beta1 must be in \[0, 1\); got 1.0"),
    ({"beta2": 1.0}, r"beta2 must be in \[0, 1\); got 1.0"),
    ({"beta1": -0.5}, r"beta1 must be in \[0, 1\); got -0.5"),
    ({"beta2": np.nan}, "beta2 must be finite"),
    ({"epsilon": 0.0}, "epsilon must be positive; got 0.0"),
    ({"epsilon": -1e-8}, "epsilon must be positive"),
])
def test_adam_refuses_hyperparameters_outside_their_range(kwargs, match):
    # β = 1 divided by 1 − βᵗ = 0 and every step was NaN, silently; ε = 0 gave 0/0 for a
    # coordinate whose gradient was 0; β₁ < 0 or ε < 0 is no Adam
    with pytest.raises(ValueError, match=match):
        vi.Adam(**kwargs)


@pytest.mark.parametrize("optimizer", [vi.GradientAscent, vi.Adam])
@pytest.mark.parametrize("gradient, learning_rate, rows, match", [
    ([np.nan, 1.0], 0.1, None, "gradient must be finite; got nan at index 0"),
    ([1.0, 2.0], -0.1, None, "learning_rate must be positive; got -0.1"),
    ([1.0, 2.0], np.inf, None, "learning_rate must be finite"),
    (1.0, 0.1, None, r"gradient must have the shape \(2,\) of value; got \(\)"),
    ([[1.0, 2.0]], 0.1, [0, 0], "rows must be one or more distinct indices"),
    ([[1.0, 2.0]], 0.1, [0], r"gradient must have the shape \(1,\) of value\[rows\]; got \(1, 2\)"),
])
def test_optimizer_steps_refuse_bad_gradients_step_sizes_and_rows(optimizer, gradient, learning_rate, rows, match):
    # a NaN gradient made the parameter NaN, a negative η descended, a scalar gradient
    # was broadcast over every coordinate, repeated rows took one step: all silently
    with pytest.raises(ValueError, match=match):
        optimizer().step("v", np.zeros(2), np.array(gradient), learning_rate, rows=rows)


def test_decay_schedule_satisfies_robbins_monro():
    schedule = vi.decay_schedule(10.0, 0.75)
    assert schedule(0) == 1.0
    np.testing.assert_allclose(schedule(10), 2**-0.75)
    with pytest.raises(ValueError, match="timescale"):
        vi.decay_schedule(0.0)
    with pytest.raises(ValueError, match="power must be positive"):  # κ ≤ 0: a constant or growing step
        vi.decay_schedule(10.0, 0.0)


def test_window_convergence_rule():
    with warnings.catch_warnings():  # fewer than 2w estimates: False, without a mean of an empty window
        warnings.simplefilter("error")
        assert not vi.window_converged([1.0, 1.0, 1.0], 2, 1e-3)
    assert vi.window_converged([-100.0, -100.01, -100.0, -100.01], 2, 1e-3)
    assert not vi.window_converged([-110.0, -105.0, -100.0, -100.0], 2, 1e-3)
    # "differ by at most tol · max(1, |last mean|)": the boundary counts (exact in binary:
    # |2 − 1| = 1 = 0.5 · 2), and just beyond it does not
    assert vi.window_converged([1.0, 1.0, 2.0, 2.0], 2, 0.5)
    assert not vi.window_converged([1.0, 1.0, 2.0, 2.0], 2, 0.4999999)
    for tol in (np.nan, -1.0, 0.0):  # returned False (never converged), silently
        with pytest.raises(ValueError, match="tol must be"):
            vi.window_converged([1.0, 1.0, 1.0, 1.0], 2, tol)
    with pytest.raises(TypeError, match="estimates must be real numbers"):  # was NumPy's own error
        vi.window_converged(["a", "b", "c", "d"], 2, 1e-3)
    with pytest.raises(ValueError, match="estimates must not be NaN; got nan at index 1"):  # else "not converged"
        vi.window_converged([1.0, np.nan, 1.0, 1.0], 2, 1e-3)


def test_window_rule_tolerance_is_absolute_for_estimates_below_one():
    """tol · max(1, |mean|): for ELBOs near 0 the tolerance is tol itself, not tol · |mean|
    (which would demand ever closer agreement as the ELBO approaches 0)."""
    assert vi.window_converged([0.0, 0.0, 0.005, 0.005], 2, 0.01)
    assert not vi.window_converged([0.0, 0.0, 0.02, 0.02], 2, 0.01)


def test_a_callback_answers_true_false_or_nothing():
    stops = []
    result = vi.fit(quadratic, Normal(np.zeros(2), np.ones(2)), steps=20, learning_rate=0.1, eval_every=5, rng=0,
                    callback=lambda step, q, elbo, se: stops.append(step) or step >= 10)
    assert stops == [5, 10] and result.trace_steps[-1] == 10
    numpy_answer = vi.fit(quadratic, Normal(np.zeros(2), np.ones(2)), steps=20, learning_rate=0.1, eval_every=5, rng=0,
                          callback=lambda step, q, elbo, se: np.float64(step) >= 10)  # np.True_, as comparisons give
    assert numpy_answer.trace_steps[-1] == 10
    with pytest.raises(TypeError, match="callback must return True .*, False or None; got ndarray"):
        vi.fit(quadratic, Normal(np.zeros(2), np.ones(2)), steps=20, learning_rate=0.1, eval_every=5, rng=0,
               callback=lambda step, q, elbo, se: np.array([True, False]))  # was "truth value ... ambiguous"


def test_a_schedule_may_return_a_zero_dimensional_array():
    # np.float64 arithmetic on arrays returns 0-d arrays, which were refused
    assert vi._scheduled_rate(0.1, lambda step: np.array(0.5), 1) == 0.05
    with pytest.raises(ValueError, match="schedule must return a finite factor > 0"):
        vi._scheduled_rate(0.1, lambda step: np.array([0.5]), 1)


def test_a_fit_step_is_the_scheduled_rate_times_the_mean_of_the_gradient_terms():
    """For log p(z) = −Σ (z − μ)²/(2σ²) and q = N(m, σ²) the path derivative's loc term
    ∇_z(log p − log q) = −(z − μ)/σ² + (z − m)/σ² = (μ − m)/σ² is the same for every
    draw, so one gradient-ascent step moves loc by exactly η_1 (μ − m)/σ², with
    η_t = η · schedule(t − 1): the mean of the n_samples terms (not their sum), and
    the schedule read at t − 1 = 0 (here 0.25; 0.125 at t, 1 without the schedule)."""
    mu, sigma, m = np.array([1.0, -2.0]), np.array([0.5, 2.0]), np.array([0.3, 0.4])
    result = vi.fit(
        lambda z: -0.5 * ad.sum(ad.square((z - mu) / sigma), axis=-1), Normal(m, sigma), steps=1,
        learning_rate=0.01, n_samples=3, estimator="path_derivative", optimizer="gradient_ascent", rng=0,
        schedule=lambda step: 0.25 / (1 + step),
    )
    np.testing.assert_allclose(result.q.loc, m + 0.01 * 0.25 * (mu - m) / sigma**2, rtol=1e-12)


def test_single_sample_score_function_baseline_cancels_the_log_normaliser_at_q_equal_p():
    """At q = p/Z, h(z) = log p(z) − log q(z) = log Z for every z (here log Z = 1000).
    With n_samples = 1 the baseline b is the start's ELBO estimate, then a running
    average of the draws' h: all equal to log Z, so (h − b) ∇ log q(z) is 0 up to
    round-off and gradient ascent leaves q in place. Without the baseline (b = 0), or
    with one that decays, each step would move loc by about η · 1000 · (z − μ)/σ². (q
    stayed exactly in place over seeds 0–29.)"""
    mu, sigma = 0.3, 0.7
    start = Normal(np.array([mu]), np.array([sigma]))
    result = vi.fit(lambda z: -0.5 * ad.sum(ad.square((z - mu) / sigma), axis=-1) - np.log(sigma)
                    - 0.5 * np.log(2 * np.pi) + 1000.0, start, steps=10, learning_rate=0.01,
                    estimator="score_function", optimizer="gradient_ascent", rng=0)
    np.testing.assert_allclose(result.q.loc, mu, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.q.scale, sigma, rtol=1e-9)


def fake_run(iterates):
    """A FitResult whose recorded iterates are the given values of a Normal's loc."""
    empty = np.zeros(0)
    return vi.FitResult(
        q=Normal(0.0, 1.0), elbo=0.0, elbo_standard_error=0.0, trace_steps=empty, trace=empty,
        trace_standard_error=empty, gradient_variance=empty, converged=False, converged_step=None, n_steps=0,
        trace_parameters=[{"loc": np.asarray(value), "scale": np.asarray(0.0)} for value in iterates],
    )


def test_iterate_average_standard_error_matches_the_spread_of_repeated_averages():
    """For independent iterates the batch-means SE² estimates Var(mean) = σ²/n: over
    800 repetitions of 100 N(0, 1) iterates the mean reported SE² and the observed
    variance of the averages both estimate 0.01; each has relative SD ≈ 0.47/√800
    and 0.05 (their ratio: 0.052, measured over 60 seeds), so they agree within 25 %
    ≈ 4.8 SDs and the mean SE² is within 10 % ≈ 6 SDs of 0.01. (With 400 repetitions
    the 25 % was 3.55 SDs.) An SE off by √2 (ddof, a lost factor) moves either ratio
    by a factor 2."""
    rng = np.random.default_rng(12)
    means, variances = [], []
    for _ in range(800):
        _, mean, standard_error = vi.iterate_average(fake_run(rng.standard_normal(100)), start=0.0)
        means.append(mean["loc"])
        variances.append(standard_error["loc"] ** 2)
    np.testing.assert_allclose(np.mean(variances), 0.01, rtol=0.1)
    np.testing.assert_allclose(np.var(means, ddof=1), np.mean(variances), rtol=0.25)


def test_iterate_average_standard_error_is_the_sample_sd_of_the_block_means_over_root_b():
    # 10 blocks of 3 iterates with block means 0, 1, …, 9 (each block j is j − 1, j, j + 1):
    # the sample variance (ddof 1) of 0…9 is 10·11/12, so SE = √(11/12) exactly, and the mean is 4.5
    iterates = np.concatenate([[j - 1.0, j, j + 1.0] for j in range(10)])
    _, mean, standard_error = vi.iterate_average(fake_run(iterates), start=0.0, n_batches=10)
    np.testing.assert_allclose(mean["loc"], 4.5, rtol=1e-15)
    np.testing.assert_allclose(standard_error["loc"], np.sqrt(11 / 12), rtol=1e-14)
    # two blocks, of means 0 and 2: sample SD √2, SE √2/√2 = 1
    _, _, standard_error = vi.iterate_average(fake_run([0.0, 0.0, 2.0, 2.0]), start=0.0, n_batches=2)
    np.testing.assert_allclose(standard_error["loc"], 1.0, rtol=1e-15)


def test_iterate_average_refuses_too_few_iterates():
    with pytest.raises(ValueError, match="cannot fill 10 blocks"):
        vi.iterate_average(fake_run(np.zeros(30)))
    with pytest.raises(ValueError, match="start must be a fraction"):
        vi.iterate_average(fake_run(np.zeros(300)), start=1.0)
    with pytest.raises(ValueError, match="n_batches must be >= 2"):  # one block has no spread: a NaN SE
        vi.iterate_average(fake_run(np.zeros(300)), n_batches=1)


def test_iterate_average_drops_the_earliest_iterates_that_do_not_fill_a_block():
    # 35 iterates in 10 blocks of 3: the 5 left over are the earliest (farthest from the
    # optimum), so the mean is that of 5, …, 34
    iterates = np.concatenate([np.full(5, 1e3), np.arange(5.0, 35.0)])
    _, mean, _ = vi.iterate_average(fake_run(iterates), start=0.0)
    np.testing.assert_allclose(mean["loc"], 19.5, rtol=1e-15)


def test_iterate_average_keeps_the_iterates_after_the_fraction_start():
    # start = 0.5 of the 40 iterates 0, …, 39 keeps 20, …, 39 (10 blocks of 2): mean 29.5
    _, mean, _ = vi.iterate_average(fake_run(np.arange(40.0)), start=0.5)
    np.testing.assert_allclose(mean["loc"], 29.5, rtol=1e-15)


def test_iterate_average_of_a_dataset_run_builds_the_model_and_q_from_the_means():
    """The model and the qᵢ are built from the averaged unconstrained coordinates:
    iterate j has log ψ = log-scales = j/10 and W, b, loc = j, so the means over
    j = 0, …, 19 are 0.95 and 9.5."""
    def coordinates(j):
        return {"model": {"W": np.full((3, 2), j), "b": np.full(3, j), "noise_var": np.array(j / 10)},
                "q": {"loc": np.full((4, 2), j), "scale": np.full((4, 2), j / 10)}}

    empty = np.zeros(0)
    run = vi.DatasetFitResult(
        model=LinearGaussian(np.zeros((3, 2)), np.zeros(3), 1.0), q=Normal(np.zeros((4, 2)), np.ones((4, 2))),
        elbo=0.0, elbo_standard_error=0.0, trace_steps=empty, trace=empty, trace_standard_error=empty,
        trace_parameters=[coordinates(float(j)) for j in range(20)], n_steps=0,
    )
    model, q, mean, _ = vi.iterate_average(run, start=0.0)
    np.testing.assert_allclose(model.W, 9.5, rtol=1e-15)
    np.testing.assert_allclose(model.noise_var, np.exp(0.95), rtol=1e-15)
    np.testing.assert_allclose(q.loc, 9.5, rtol=1e-15)
    np.testing.assert_allclose(q.scale, np.exp(0.95), rtol=1e-15)
    np.testing.assert_allclose(mean["q"]["scale"], 0.95, rtol=1e-15)


# ---------------------------------------------------------------------------
# The unconstrained coordinates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(vi.UNCONSTRAINED, key=lambda cls: cls.__name__), ids=lambda c: c.__name__)
def test_unconstrained_table_round_trips_and_pulls_back_by_the_chain_rule(family):
    rng = np.random.default_rng(3)
    for name, transform in vi.UNCONSTRAINED[family].items():
        shape = (3, 3) if name == "scale_tril" else (3,)
        v = rng.standard_normal(shape)
        if name == "scale_tril":
            v = np.tril(v)
        phi = transform.constrain(v)
        np.testing.assert_allclose(transform.unconstrain(phi), v, rtol=1e-12, atol=1e-14)
        # chain rule against finite differences of ⟨G, T(v)⟩
        weights = np.tril(rng.standard_normal(shape)) if name == "scale_tril" else rng.standard_normal(shape)
        analytic = transform.pull_back(v, weights)
        step = 1e-6
        for index in np.ndindex(shape):
            if name == "scale_tril" and index[1] > index[0]:
                continue
            bumped = v.copy()
            bumped[index] += step
            lowered = v.copy()
            lowered[index] -= step
            numeric = np.sum(weights * (transform.constrain(bumped) - transform.constrain(lowered))) / (2 * step)
            np.testing.assert_allclose(analytic[index], numeric, rtol=1e-6, atol=1e-8)


def _documented_coordinates():
    """(q, estimator, log_joint, v) per family: v written out from the module's table
    (positive parameters as their logs, a Cholesky factor's diagonal as its logs), not
    read from ``vi.UNCONSTRAINED``, whose round trip alone cannot tell log φ from φ."""
    tril = np.array([[2.0, 0.0], [0.3, 0.5]])
    flow = vi_flows.PlanarFlow.initial(2, 1, rng=0, loc=np.array([0.5, -1.0]), scale=np.array([2.0, 0.5]))

    def standard_normal(z):  # ``quadratic`` below, which is not yet defined at collection
        return -0.5 * ad.sum(ad.square(z), axis=-1)

    def exponential_decay(z):  # log p for positive latents
        return -ad.sum(z, axis=-1)

    cases = [
        (Normal(np.array([0.5, -1.0]), np.array([2.0, 0.5])), "reparameterization", standard_normal,
         {"loc": [0.5, -1.0], "scale": np.log([2.0, 0.5])}),
        (LogNormal(np.array([0.5, -1.0]), np.array([2.0, 0.5])), "reparameterization", exponential_decay,
         {"loc": [0.5, -1.0], "scale": np.log([2.0, 0.5])}),
        (MultivariateNormal(np.array([0.5, -1.0]), scale_tril=tril), "reparameterization", standard_normal,
         {"loc": [0.5, -1.0], "scale_tril": [[np.log(2.0), 0.0], [0.3, np.log(0.5)]]}),
        (Exponential(np.array([3.0, 0.25])), "reparameterization", exponential_decay, {"rate": np.log([3.0, 0.25])}),
        (Gamma(np.array([2.0]), np.array([3.0])), "score_function", exponential_decay,
         {"concentration": [np.log(2.0)], "rate": [np.log(3.0)]}),
        (Categorical(probs=[0.2, 0.3, 0.5]), "score_function", lambda z: np.zeros(len(z)),
         {"logits": np.log([0.2, 0.3, 0.5])}),
        (flow, "reparameterization", standard_normal,
         {"loc": [0.5, -1.0], "scale": np.log([2.0, 0.5]), "w": flow.w, "u": flow.u, "b": flow.b}),
    ]
    return [pytest.param(*case, id=type(case[0]).__name__) for case in cases]


@pytest.mark.parametrize("q, estimator, log_joint, expected", _documented_coordinates())
def test_fit_records_the_start_in_the_documented_unconstrained_coordinates(q, estimator, log_joint, expected):
    result = vi.fit(log_joint, q, steps=1, learning_rate=1e-3, estimator=estimator, rng=0, elbo_samples=2)
    recorded = result.trace_parameters[0]
    assert set(recorded) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(recorded[name], value, rtol=1e-14, atol=1e-15, err_msg=name)


# ---------------------------------------------------------------------------
# End points: full-rank Gaussian on a Gaussian posterior
# ---------------------------------------------------------------------------


def linear_gaussian_problem():
    rng = np.random.default_rng(11)
    model = LinearGaussian(rng.standard_normal((4, 2)), rng.standard_normal(4), 0.5)
    x = model.sample(1, rng)[0][0]
    return model, x


def test_full_rank_gaussian_reaches_the_exact_posterior_and_evidence():
    """Path derivative on a Gaussian posterior: ∇_z(log p − log q) = 0 for every z
    when q = p(z | x), so the gradient estimate is exactly 0 there and plain gradient
    ascent converges to it as in the deterministic case (linear rate); after 600
    steps of η = 0.1 the contraction leaves < 1e-8. The ELBO estimate then has zero
    variance: every draw gives log p(x, z) − log q(z) = log p(x)."""
    model, x = linear_gaussian_problem()
    start = MultivariateNormal(np.zeros(2), scale_tril=np.eye(2))
    result = vi.fit(
        lambda z: model.log_joint(x, z), start, steps=600, learning_rate=0.1, n_samples=2,
        estimator="path_derivative", optimizer="gradient_ascent", rng=0,
    )
    posterior = model.posterior(x)
    assert isinstance(result.q, MultivariateNormal)
    np.testing.assert_allclose(result.q.loc, posterior.loc, atol=1e-8)
    np.testing.assert_allclose(result.q.scale_tril, posterior.scale_tril, atol=1e-8)
    assert result.elbo_standard_error < 1e-7
    np.testing.assert_allclose(result.elbo, model.log_marginal(x), atol=1e-7)
    np.testing.assert_allclose(model.elbo(x, result.q), model.log_marginal(x), atol=1e-12)
    assert result.converged


def test_full_rank_gaussian_with_the_reparameterization_estimator():
    """The total-derivative estimator keeps its variance at the optimum: Adam with a
    decaying step, then the iterate average within 6 batch-means SE (module doc)."""
    check_full_rank_reparameterization(seed=1)


def check_full_rank_reparameterization(seed):
    model, x = linear_gaussian_problem()
    start = MultivariateNormal(np.zeros(2), scale_tril=np.eye(2))
    result = vi.fit(
        lambda z: model.log_joint(x, z), start, steps=1500, learning_rate=0.05, n_samples=4,
        rng=seed, eval_every=5, schedule=vi.decay_schedule(150, 0.75),
    )
    _, mean, standard_error = vi.iterate_average(result)
    posterior = model.posterior(x)
    exact = vi._unconstrained(posterior, "q")
    for name in mean:
        lower = np.tril(np.ones_like(mean[name])) > 0 if name == "scale_tril" else np.ones(mean[name].shape, bool)
        assert_within_standard_errors(mean[name][lower], exact[name][lower], standard_error[name][lower], name)


# ---------------------------------------------------------------------------
# End points: mean field on a correlated Gaussian
# ---------------------------------------------------------------------------


MEAN_FIELD_SAMPLES = {"reparameterization": 4, "score_function": 8, "path_derivative": 4}


# The score function's iterates (under Adam) stay correlated for so long that the
# batch-means blocks of a 1500-step run are shorter than their correlation time: its
# z-scores had SD 3 there (t₉: 1.13), 1.9 at 6000 steps and 1.0–1.4 at 24000, where
# the largest of 240 was 4.8. Its optimum is checked on a 24000-step run.
SCORE_FUNCTION_STEPS = 24_000


def mean_field_run(estimator, seed, track_gradient_variance=False, steps=1500):
    return vi.fit(
        correlated_gaussian_log_joint, Normal(np.zeros(3), np.ones(3)), steps=steps, learning_rate=0.05,
        n_samples=MEAN_FIELD_SAMPLES[estimator], estimator=estimator, rng=seed, eval_every=5,
        schedule=vi.decay_schedule(150, 0.75), track_gradient_variance=track_gradient_variance,
    )


@pytest.fixture(scope="module")
def mean_field_runs():
    return {estimator: mean_field_run(estimator, 2, track_gradient_variance=True) for estimator in MEAN_FIELD_SAMPLES}


@pytest.mark.parametrize("estimator", ["reparameterization", "score_function"])
def test_mean_field_reaches_the_under_dispersed_optimum(mean_field_runs, estimator):
    """The best factorised q of N(m, Λ⁻¹) has mean m and variances 1/Λᵢᵢ, smaller
    than the marginal variances (Λ⁻¹)ᵢᵢ: mean field under-disperses. Both
    estimators converge there (the acceptance's "same problem, both estimators")."""
    if estimator == "score_function":
        check_mean_field_optimum(mean_field_run(estimator, 2, steps=SCORE_FUNCTION_STEPS))
    else:
        check_mean_field_optimum(mean_field_runs[estimator])


def check_mean_field_optimum(result):
    """The iterate average within 6 batch-means SE (module doc); for the score
    function, of a run long enough for that SE (``SCORE_FUNCTION_STEPS``)."""
    q, mean, standard_error = vi.iterate_average(result)
    assert isinstance(q, Normal)
    exact = {"loc": MEAN, "scale": -0.5 * np.log(np.diag(PRECISION))}
    for name in exact:
        assert_within_standard_errors(mean[name], exact[name], standard_error[name], name)
    assert np.all(q.variance < np.diag(np.linalg.inv(PRECISION)))


def test_mean_field_gap_is_the_kl_of_the_best_factorised_q(mean_field_runs):
    """log Z − ELBO(q) = KL(q ‖ p) ≥ KL(q* ‖ p) = ½ Σᵢ log Λᵢᵢ − ½ log det Λ (checked
    against ``kl.kl_divergence``). Along the second half of the run: every iterate's
    exact ELBO, log Z − KL(q_t ‖ p), stays below log Z − KL*; the trace's estimates
    match those exact values within 5 SE of their mean (independent draws, SE of the
    mean √Σse²/k); and the averaged q loses at most the second-order amount that
    its 6-SE box allows, ½ (λ_max(Λ) Σ (6 SE_loc)² + 2 Σ (6 SE_log σ)²) (the Hessian
    of KL in (m, log σ) at q* is Λ and 2I)."""
    optimal_gap = 0.5 * np.sum(np.log(np.diag(PRECISION))) - 0.5 * np.linalg.slogdet(PRECISION)[1]
    best = MultivariateNormal(MEAN, scale_tril=np.diag(1 / np.sqrt(np.diag(PRECISION))))
    np.testing.assert_allclose(kl.kl_divergence(best, exact_target()), optimal_gap, rtol=1e-12)
    check_mean_field_gap(mean_field_runs["reparameterization"])


def check_mean_field_gap(result):
    optimal_gap = 0.5 * np.sum(np.log(np.diag(PRECISION))) - 0.5 * np.linalg.slogdet(PRECISION)[1]

    def exact_elbo(params):
        loc, scale = params["loc"], np.exp(params["scale"])
        return LOG_NORMALISER - kl.kl_divergence(MultivariateNormal(loc, scale_tril=np.diag(scale)), exact_target())

    half = len(result.trace) // 2
    exact = np.array([exact_elbo(params) for params in result.trace_parameters[half:]])
    assert np.all(exact <= LOG_NORMALISER - optimal_gap + 1e-12)
    standard_error = np.sqrt(np.sum(result.trace_standard_error[half:] ** 2)) / len(exact)
    assert abs(np.mean(result.trace[half:]) - np.mean(exact)) <= Z_TOLERANCE * standard_error
    _, mean, box = vi.iterate_average(result)
    largest_curvature = np.linalg.eigvalsh(PRECISION)[-1]
    allowed = 0.5 * (largest_curvature * np.sum((6 * box["loc"]) ** 2) + 2 * np.sum((6 * box["scale"]) ** 2))
    assert 0 <= (LOG_NORMALISER - optimal_gap) - exact_elbo(mean) <= allowed


def test_gradient_variance_along_the_run(mean_field_runs):
    """The note's comparison: Σⱼ Var[ĝⱼ] of a single-sample gradient (unconstrained
    coordinates, 100 draws per measurement) along the same run. Far from the optimum
    the score function (leave-one-out baseline) is several times noisier than the
    reparameterisation (measured 322 vs 54 at the start); near this optimum
    log p − log q varies little, so the centred score terms shrink and the two are
    comparable (~16 vs ~15); the path derivative drops the score term and is ~5×
    quieter than both (~3). Asserted with margins of 2× on the medians of 20+
    measurements each (the measurement noise of a median of 100-draw variances is
    a few per cent)."""
    score = mean_field_runs["score_function"].gradient_variance
    total = mean_field_runs["reparameterization"].gradient_variance
    path = mean_field_runs["path_derivative"].gradient_variance
    assert score.shape == total.shape == path.shape and score.size > 100
    assert score[0] > 2 * total[0]
    late = slice(len(score) // 2, None)
    assert np.median(path[late]) < np.median(total[late]) / 2
    assert np.median(path[late]) < np.median(score[late]) / 2


# ---------------------------------------------------------------------------
# End points: positive latents on Gamma–Poisson
# ---------------------------------------------------------------------------

COUNTS = np.array([3.0, 0.0, 2.0, 5.0, 1.0])
GAMMA_POISSON = GammaPoisson(2.0, 1.0)


def lognormal_restricted_optimum():
    """max over (μ, log σ) of the closed-form ELBO of a LogNormal q (model.elbo), by
    BFGS; and the same ELBO by Gauss–Hermite quadrature of E_q[log p(x, λ)] as an
    independent check of that closed form."""
    def negative_elbo(v):
        return -GAMMA_POISSON.elbo(COUNTS, LogNormal(v[0], np.exp(v[1])))

    solution = scipy.optimize.minimize(negative_elbo, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    loc, scale = solution.x[0], np.exp(solution.x[1])
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    rates = np.exp(loc + scale * nodes)
    expected_log_joint = np.sum(weights * GAMMA_POISSON.log_joint(COUNTS, rates)) / np.sqrt(2 * np.pi)
    quadrature_elbo = expected_log_joint + LogNormal(loc, scale).entropy()
    np.testing.assert_allclose(quadrature_elbo, -solution.fun, rtol=1e-12)
    return np.array([loc, np.log(scale)]), -solution.fun


def gamma_poisson_log_joint(z):
    return GAMMA_POISSON.log_joint(COUNTS, z)


def test_lognormal_reaches_its_restricted_optimum_below_the_evidence():
    check_lognormal(seed=4)


def check_lognormal(seed):
    """6000 steps: the batch-means SE assumes blocks much longer than the iterates'
    correlation time, which grows as the step size decays. At 1500 steps (blocks of
    15 recorded iterates, correlation times of 8–34) the z-scores of log σ had SD 2.1
    over 60 seeds, not t₉'s 1.13, and 3 exceeded 6; at 6000 their SD is 1.36 (blocks
    of 60, correlation times 19–73) and the largest of 60 was 4.5: a false alarm of
    about P(|t₉| > 6/1.2) ≈ 7e-4 per coordinate."""
    optimum, optimal_elbo = lognormal_restricted_optimum()
    evidence = GAMMA_POISSON.log_marginal(COUNTS)
    assert optimal_elbo < evidence - 1e-3  # the posterior Gamma is not a LogNormal
    result = vi.fit(
        gamma_poisson_log_joint, LogNormal(0.0, 1.0), steps=6000, learning_rate=0.05, n_samples=4,
        rng=seed, eval_every=5, schedule=vi.decay_schedule(150, 0.75),
    )
    q, mean, standard_error = vi.iterate_average(result)
    assert isinstance(q, LogNormal)
    assert_within_standard_errors(
        [mean["loc"], mean["scale"]], optimum, [standard_error["loc"], standard_error["scale"]], "LogNormal"
    )
    assert GAMMA_POISSON.elbo(COUNTS, q) <= optimal_elbo + 1e-12
    # the run's last estimate is an unbiased estimate of the closed-form ELBO at its q
    last_elbo = GAMMA_POISSON.elbo(COUNTS, result.q)
    assert abs(result.elbo - last_elbo) <= Z_TOLERANCE * result.elbo_standard_error
    assert last_elbo <= optimal_elbo < evidence


def test_gamma_reaches_the_exact_evidence_through_the_score_function():
    """Gamma q takes the score function (no reparameterisation here). At q = p(λ | x)
    log p(x, λ) − log q(λ) = log p(x) for every λ, so the leave-one-out-centred terms
    vanish: the estimator's variance goes to 0 at the optimum and the run converges
    like deterministic gradient ascent (measured final error ~1e-8 in log α, log β;
    the 1e-5 asserted leaves room for the slow direction along the ridge α/β = const)."""
    check_gamma(seed=5)


def check_gamma(seed):
    result = vi.fit(
        gamma_poisson_log_joint, Gamma(1.0, 1.0), steps=1500, learning_rate=0.2, n_samples=8,
        estimator="score_function", rng=seed, schedule=vi.decay_schedule(300, 0.75),
    )
    posterior = GAMMA_POISSON.posterior(COUNTS)
    assert isinstance(result.q, Gamma)
    np.testing.assert_allclose(np.log(result.q.concentration), np.log(posterior.concentration), atol=1e-5)
    np.testing.assert_allclose(np.log(result.q.rate), np.log(posterior.rate), atol=1e-5)
    evidence = GAMMA_POISSON.log_marginal(COUNTS)
    assert -1e-12 < evidence - GAMMA_POISSON.elbo(COUNTS, result.q) < 1e-9  # a bound, up to round-off
    np.testing.assert_allclose(result.elbo, evidence, atol=1e-6)


# ---------------------------------------------------------------------------
# Categorical q: the score function over a discrete latent
# ---------------------------------------------------------------------------


def test_categorical_reaches_the_posterior_by_enumeration():
    check_categorical(seed=6)


def check_categorical(seed):
    """KL(q ‖ posterior) < 1e-3 after the run: at q = posterior the centred score
    terms vanish (as for the Gamma), so the run settles rather than fluctuates."""
    log_weights = np.log(np.array([0.1, 0.5, 0.15, 0.25])) + 3.0  # unnormalised log p(x, z)
    result = vi.fit(
        lambda z: log_weights[z], Categorical(probs=np.full(4, 0.25)), steps=1500, learning_rate=0.05,
        n_samples=8, estimator="score_function", rng=seed, eval_every=5, schedule=vi.decay_schedule(150, 0.75),
    )
    assert isinstance(result.q, Categorical)
    posterior = np.exp(log_weights - scipy.special.logsumexp(log_weights))
    kl_to_posterior = np.sum(result.q.probs * (np.log(result.q.probs) - np.log(posterior)))
    assert kl_to_posterior < 1e-3
    np.testing.assert_allclose(result.elbo, scipy.special.logsumexp(log_weights), atol=1e-3)


# ---------------------------------------------------------------------------
# Data-set level: per-data-point q_i, minibatches, θ learned (steps 1-8)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ppca_data():
    rng = np.random.default_rng(8)
    truth = LinearGaussian(rng.standard_normal((3, 2)), rng.standard_normal(3), 0.3)
    return truth.sample(20, rng)[0]


def starting_point(X, rng):
    n_points = X.shape[0]
    model = LinearGaussian(rng.standard_normal((3, 2)), X.mean(axis=0), 1.0)
    q = MultivariateNormal(np.zeros((n_points, 2)), scale_tril=np.tile(np.eye(2), (n_points, 1, 1)))
    return model, q


def test_minibatch_gradient_is_unbiased_for_the_full_batch_gradient(ppca_data):
    """E over minibatches B (|B| = 5 of N = 20) and draws of ĝ_θ equals ∇_θ of
    (1/N) Σᵢ ELBOᵢ (closed form, ``dataset_elbo_grad``), within 5 SE of the mean of
    1000 independent estimates."""
    rng = np.random.default_rng(9)
    X = ppca_data
    model, q = starting_point(X, rng)
    q = MultivariateNormal(rng.standard_normal((20, 2)), scale_tril=np.tile(np.diag([0.7, 1.3]), (20, 1, 1)))
    exact_theta, _ = dataset_elbo_grad(model, q, X)
    draws = _stacked_draws(lambda: vi.minibatch_elbo_gradient(model, q, X, rng.choice(20, 5, replace=False), 1, rng)[0],
                           1000)
    for name, values in draws.items():
        _assert_mean_within_standard_errors(values, exact_theta[name])


def test_minibatch_gradient_of_each_qi_is_its_own_elbo_gradient(ppca_data):
    """Each φᵢ of the minibatch ascends its own ELBOᵢ: E ĝ_φᵢ = ∇_φᵢ ELBOᵢ = N ∇_φᵢ L for
    i ∈ B, with no factor of |B| or N (``LinearGaussian.elbo_grad`` in closed form, via
    ``dataset_elbo_grad``; within 5 SE of the mean of 1000 single-sample estimates)."""
    rng = np.random.default_rng(19)
    X = ppca_data
    model, _ = starting_point(X, rng)
    q = MultivariateNormal(rng.standard_normal((20, 2)), scale_tril=np.tile(np.diag([0.7, 1.3]), (20, 1, 1)))
    rows = np.array([2, 7, 11, 19])
    _, exact_phi = dataset_elbo_grad(model, q, X)
    draws = _stacked_draws(lambda: vi.minibatch_elbo_gradient(model, q, X, rows, 1, rng)[1], 1000)
    for name, values in draws.items():
        _assert_mean_within_standard_errors(values, X.shape[0] * exact_phi[name][rows])


def _stacked_draws(draw, count):
    """{name: array of ``count`` draws stacked on axis 0} for ``draw()`` giving a dict."""
    draws = [draw() for _ in range(count)]
    return {name: np.array([each[name] for each in draws]) for name in draws[0]}


def _assert_mean_within_standard_errors(values, expected):
    """The mean of the draws (axis 0) is within Z_TOLERANCE of its standard errors of ``expected``."""
    mean, standard_error = values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(len(values))
    np.testing.assert_array_less(np.abs(mean - expected), Z_TOLERANCE * standard_error + 1e-12)


def dataset_elbo_of_unconstrained(X, theta, phi):
    """(1/N) Σᵢ ELBOᵢ in the coordinates fit_dataset moves (module table of ``vi``):
    W, b, log ψ; mᵢ and Vᵢ with Rᵢ = strict-lower(Vᵢ) + diag(exp(diag Vᵢ))."""
    model = LinearGaussian(theta["W"], theta["b"], np.exp(theta["noise_var"]))
    diagonal = np.exp(np.diagonal(phi["scale_tril"], axis1=-2, axis2=-1))
    scale_tril = np.tril(phi["scale_tril"], -1) + diagonal[..., None] * np.eye(diagonal.shape[-1])
    return dataset_elbo(model, MultivariateNormal(phi["loc"], scale_tril=scale_tril), X)


def central_differences(function, params, step=1e-5):
    """∂function/∂ each entry of the dict of arrays ``params``, by central differences."""
    grads = {}
    for name, value in params.items():
        grads[name] = np.zeros(np.shape(value))
        for index in np.ndindex(np.shape(value)):
            bumped = [{**params, name: np.array(value, dtype=float)} for _ in range(2)]
            bumped[0][name][index] += step
            bumped[1][name][index] -= step
            grads[name][index] = (function(bumped[0]) - function(bumped[1])) / (2 * step)
    return grads


def test_dataset_steps_move_theta_and_the_drawn_qi_by_their_unconstrained_gradients(ppca_data):
    """fit_dataset's gradient-ascent step moves the unconstrained θ by η ĝ_θ, E ĝ_θ = ∇_θ L,
    and only the rows i ∈ B of φ, by η ĝ_φᵢ with E[ĝ_φᵢ | i ∈ B] = ∇_φᵢ ELBOᵢ = N ∇_φᵢ L:
    row i's expected step is η (|B|/N) N ∇_φᵢ L = η |B| ∇_φᵢ L. The oracle is central
    differences of the closed-form L in those coordinates. (Adam's steps hide a
    gradient's scale: the end-to-end run passed with φᵢ's gradient divided by |B|, or
    not pulled back through exp(diag Vᵢ), or pulled back at other rows' Vᵢ.)"""
    check_dataset_steps(ppca_data[:10], seed=21)


def check_dataset_steps(X, seed):
    """With η = 1e-8 the 200 steps of one run all estimate the gradient at the start;
    their mean is compared within 5 SE (8 draws per step: the log-scale terms are
    skewed, like ε², and a row moves in half the steps; the largest of about 70
    z-scores was 3.8 over 30 seeds). The qᵢ have scales from e⁻¹ to e, so that a
    chain rule taken at another row's scale shows."""
    rng = np.random.default_rng(seed)
    n_points, batch_size, learning_rate, steps = X.shape[0], X.shape[0] // 2, 1e-8, 200
    model = LinearGaussian(rng.standard_normal((3, 2)), X.mean(axis=0), 0.7)
    log_diagonal = rng.uniform(-1.0, 1.0, (n_points, 2))
    unconstrained_tril = np.zeros((n_points, 2, 2))
    unconstrained_tril[:, [0, 1], [0, 1]] = log_diagonal
    unconstrained_tril[:, 1, 0] = 0.3 * rng.standard_normal(n_points)
    theta = {"W": model.W, "b": model.b, "noise_var": np.log(model.noise_var)}
    phi = {"loc": rng.standard_normal((n_points, 2)), "scale_tril": unconstrained_tril}
    scale_tril = np.tril(unconstrained_tril, -1) + np.exp(log_diagonal)[..., None] * np.eye(2)
    result = vi.fit_dataset(model, X, MultivariateNormal(phi["loc"], scale_tril=scale_tril), steps=steps,
                            learning_rate=learning_rate, batch_size=batch_size, n_samples=8,
                            optimizer="gradient_ascent", rng=rng, eval_every=1, elbo_samples=2)
    expected = {
        "model": central_differences(lambda t: dataset_elbo_of_unconstrained(X, t, phi), theta),
        "q": {name: batch_size * g for name, g in
              central_differences(lambda p: dataset_elbo_of_unconstrained(X, theta, p), phi).items()},
    }
    recorded = result.trace_parameters
    for part, gradients in expected.items():
        for name, gradient in gradients.items():
            moves = np.array([(after[part][name] - before[part][name]) / learning_rate
                              for before, after in zip(recorded[:-1], recorded[1:])])
            mean, standard_error = moves.mean(axis=0), moves.std(axis=0, ddof=1) / np.sqrt(steps)
            np.testing.assert_array_less(np.abs(mean - gradient), Z_TOLERANCE * standard_error + 1e-6,
                                         err_msg=f"{part} {name}")


def test_dataset_run_without_learn_model_keeps_the_model(ppca_data):
    """learn_model=False fits the qᵢ alone: θ stays exactly as given while the qᵢ move."""
    model, q = starting_point(ppca_data, np.random.default_rng(0))
    result = vi.fit_dataset(model, ppca_data, q, steps=5, learning_rate=0.1, batch_size=5, learn_model=False, rng=0)
    for name in ("W", "b", "noise_var"):
        np.testing.assert_array_equal(getattr(result.model, name), getattr(model, name))
    assert not np.array_equal(result.q.loc, q.loc)


@pytest.mark.parametrize("n_samples, expected", [(1, None), (3, "leave_one_out")])
def test_dataset_score_function_uses_the_leave_one_out_baseline_from_two_samples(monkeypatch, n_samples, expected):
    """As fit does with n_samples ≥ 2 (at one sample fit keeps a running average;
    fit_dataset, whose rows change from step to step, uses none)."""
    seen, original = [], vi.minibatch_elbo_gradient

    def recording(*args, **kwargs):
        seen.append(kwargs.get("baseline"))
        return original(*args, **kwargs)

    monkeypatch.setattr(vi, "minibatch_elbo_gradient", recording)
    X = np.array([[3.0, 0.0, 2.0], [5.0, 1.0, 1.0]])
    vi.fit_dataset(GammaPoisson(2.0, 1.0), X, Gamma(np.array([1.5, 2.0]), np.array([1.0, 2.0])), steps=2,
                   learning_rate=0.01, n_samples=n_samples, estimator="score_function", rng=0, elbo_samples=2)
    assert seen == [expected, expected]


def test_minibatch_gradient_passes_its_baseline_to_the_estimator():
    """Same seed: the minibatch φ rows are elbo_gradient's leave-one-out means."""
    X = np.array([[3.0, 0.0, 2.0], [5.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    q, model = Gamma(np.array([1.5, 2.0, 3.0]), np.array([1.0, 2.0, 0.5])), GammaPoisson(2.0, 1.0)
    _, grads_phi = vi.minibatch_elbo_gradient(model, q, X, np.array([0, 2]), 5, 4, estimator="score_function",
                                              baseline="leave_one_out")
    local = Gamma(q.concentration[[0, 2]], q.rate[[0, 2]])
    _, terms = elbo_gradient(model, local, X[[0, 2]], 5, 4, estimator="score_function", baseline="leave_one_out")
    for name in grads_phi:
        np.testing.assert_allclose(grads_phi[name], terms[name].mean(axis=0), rtol=1e-14)


def test_dataset_adam_keeps_the_model_and_q_states_apart_where_their_names_coincide():
    """A GammaPoisson θ and Gamma qᵢ both have a concentration and a rate. With Adam and
    the full batch, one step moves every coordinate, θ's and each qᵢ's, by η·sign(ĝ)
    (the first step of its own moments; |ĝ| ≫ ε here); moments shared by name would
    have the model's shape () for the qᵢ's rows. (Over seeds 0–29 the moves were within
    2e-6 of η.)"""
    X = np.array([[3.0, 0.0, 2.0], [5.0, 1.0, 1.0], [0.0, 0.0, 1.0], [2.0, 2.0, 4.0]])
    q = Gamma(np.array([1.5, 2.0, 3.0, 0.5]), np.array([1.0, 2.0, 0.5, 1.0]))
    result = vi.fit_dataset(GammaPoisson(2.0, 1.0), X, q, steps=1, learning_rate=0.01, estimator="score_function",
                            rng=0, elbo_samples=2)
    before, after = result.trace_parameters
    for part in ("model", "q"):
        for name in ("concentration", "rate"):
            moved = np.abs(after[part][name] - before[part][name])
            np.testing.assert_allclose(moved, 0.01, rtol=1e-4, err_msg=f"{part} {name}")


def test_dataset_run_estimates_every_eval_every_steps_and_at_the_last_step(ppca_data):
    """As fit's: the trace holds the start, every eval_every-th step and the last (whose
    estimate is result.elbo, of the final model and q); the callback receives (step,
    model, q, elbo, se) at each of those estimates."""
    model, q = starting_point(ppca_data, np.random.default_rng(0))
    seen = []
    result = vi.fit_dataset(model, ppca_data, q, steps=7, learning_rate=0.1, batch_size=5, eval_every=5, rng=0,
                            callback=lambda *arguments: seen.append(arguments))
    np.testing.assert_array_equal(result.trace_steps, [0, 5, 7])
    assert len(result.trace_parameters) == len(result.trace) == 3 and result.elbo == result.trace[-1]
    assert [arguments[0] for arguments in seen] == [5, 7]
    assert all(isinstance(model, LinearGaussian) and isinstance(q, MultivariateNormal) for _, model, q, _, _ in seen)
    assert seen[-1][1] is result.model and seen[-1][2] is result.q
    np.testing.assert_array_equal([arguments[3:] for arguments in seen],
                                  np.column_stack([result.trace[1:], result.trace_standard_error[1:]]))


def test_dataset_vi_reaches_lbfgs_and_tipping_bishop(ppca_data):
    """Minibatch SVI of θ and full-rank qᵢ (|B| = 10 of N = 20) ends at the optimum of
    the same objective (``learning.fit_linear_gaussian``, L-BFGS on the closed-form
    ELBO), which is the maximum likelihood of Tipping & Bishop because the bound is
    tight there. The data-set ELBO is flat to second order at its maximum (and flat
    along rotations of W, so θ itself is compared through the log-likelihood it
    determines, whose shortfall the ELBO's gap bounds): the final iterate must lose
    less than the resolution of the run's own last ELBO estimate, 5 of its SE (the
    optimum to within what one estimate can distinguish; measured gaps 0.0009–0.006
    against 5 SE ≈ 0.007–0.022 over 36 seeds, at most 0.48 of it; with 2000 steps
    instead of 4000, 2 of 30 seeds had not yet converged along the noise variance)."""
    check_dataset(ppca_data, seed=10)


def check_dataset(X, seed):
    rng = np.random.default_rng(seed)
    model, q = starting_point(X, rng)
    result = vi.fit_dataset(
        model, X, q, steps=4000, learning_rate=0.05, batch_size=10, n_samples=2, estimator="path_derivative",
        rng=rng, eval_every=5, schedule=vi.decay_schedule(200, 1.0),
    )
    # the last iterate, not the average: the φᵢ move only when their point is drawn, so
    # the second half of this run still carries a transient that an average would keep
    fitted_model, fitted_q = result.model, result.q
    oracle = fit_linear_gaussian(X, 2)
    maximum_likelihood = ppca_maximum_likelihood(X, 2)
    np.testing.assert_allclose(oracle.elbo, np.mean(maximum_likelihood.log_marginal(X)), rtol=1e-9)
    gap = oracle.elbo - dataset_elbo(fitted_model, fitted_q, X)
    assert 0 <= gap <= Z_TOLERANCE * result.elbo_standard_error
    assert abs(result.elbo - oracle.elbo) <= Z_TOLERANCE * result.elbo_standard_error + gap
    # θ through the likelihood it determines (rotations of W included): log p(x | θ) ≥
    # ELBO(θ, q) for every q, and θ_ML maximises log p(x | θ), where the bound is tight,
    # so the fitted θ's shortfall in mean log-likelihood is at most the ELBO's gap
    shortfall = oracle.elbo - np.mean(fitted_model.log_marginal(X))
    rounding = 1e-12 * abs(oracle.elbo)
    assert -rounding <= shortfall <= gap + rounding


# ---------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------


def quadratic(z):
    return -0.5 * ad.sum(ad.square(z), axis=-1)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(steps=0), ValueError, "steps"),
        (dict(steps=1.5), TypeError, "steps"),
        (dict(learning_rate=0.0), ValueError, "learning_rate"),
        (dict(learning_rate=-1.0), ValueError, "learning_rate"),
        (dict(n_samples=0), ValueError, "n_samples"),
        (dict(estimator="magic"), ValueError, "estimator"),
        (dict(optimizer="sgd"), ValueError, "optimizer"),
        (dict(elbo_samples=1), ValueError, "elbo_samples"),
        (dict(tol=0.0), ValueError, "tol must be positive"),
        (dict(callback=3), TypeError, "callback must be callable or None; got int"),
        (dict(schedule=lambda step: True), ValueError, "schedule must return a finite factor > 0"),
        (dict(schedule=3), TypeError, "schedule"),
        (dict(schedule=lambda step: -1.0), ValueError, "schedule must return a finite factor > 0"),
        (dict(schedule=lambda step: np.nan), ValueError, "schedule must return a finite factor > 0"),
        (dict(schedule=lambda step: 0.0), ValueError, "schedule must return a finite factor > 0"),
        (dict(optimizer=["adam"]), ValueError, "optimizer must be one of"),
        (dict(stop_when_converged="no"), TypeError, "stop_when_converged must be True or False"),
        (dict(track_gradient_variance="no"), TypeError, "track_gradient_variance must be True or False"),
        (dict(log_joint_grad=lambda z: np.full(z.shape, "a")), TypeError, "log_joint_grad must return real numbers"),
        (dict(log_joint_grad=lambda z: np.full(z.shape, np.nan)), ValueError,  # was "cotangent must be finite"
         "log_joint_grad must be finite at q's draws; got nan"),
        (dict(log_joint_grad=lambda z: -z + 0j), TypeError, "log_joint_grad must return real numbers; got dtype complex"),
    ],
)
def test_fit_refuses_bad_arguments(kwargs, error, match):
    arguments = dict(steps=5, learning_rate=0.1)
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        vi.fit(quadratic, Normal(np.zeros(2), np.ones(2)), **arguments)


def test_fit_refuses_a_log_joint_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"log_joint must map samples .* shape \(100,\)"):
        vi.fit(lambda z: ad.sum(z), Normal(np.zeros(2), np.ones(2)), steps=5, learning_rate=0.1)


@pytest.mark.parametrize("values", [lambda z: 1j * np.sum(z, axis=-1), lambda z: None])
def test_fit_refuses_a_log_joint_that_is_not_real(values):
    with pytest.raises(TypeError, match="log_joint must return real numbers"):
        vi.fit(values, Normal(np.zeros(2), np.ones(2)), steps=5, learning_rate=0.1)


def test_fit_refuses_a_start_on_the_boundary_of_the_family():
    # a probability of 0 (logit −∞) failed at step 1, blaming the learning rate
    with pytest.raises(ValueError, match=r"q must start inside its family: its unconstrained logits is -inf at index 2"):
        vi.fit(lambda z: np.log(np.array([0.2, 0.3, 0.5]))[z.astype(int)], Categorical(probs=[0.5, 0.5, 0.0]),
               steps=3, learning_rate=0.1, rng=0)


def test_fit_refuses_a_log_joint_not_finite_at_the_start():
    with pytest.raises(ValueError, match="log_joint must be finite at the starting q"), np.errstate(invalid="ignore"):
        vi.fit(lambda z: ad.log(z[:, 0]), Normal(np.zeros(2), np.ones(2)), steps=5, learning_rate=0.1, rng=0)
    # the refusal is the only message: no RuntimeWarning from vi_ref's own statistics of −∞
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="is -?inf for a sample"):  # ±∞ by the sign of z₁ + z₂
            vi.fit(lambda z: ad.sum(z, axis=-1) * np.inf, Normal(np.zeros(2), np.ones(2)), steps=5, learning_rate=0.1,
                   rng=0)


@pytest.mark.parametrize(
    "q, estimator",
    [
        (Gamma(1.0, 1.0), "reparameterization"),
        (Categorical(probs=[0.5, 0.5]), "path_derivative"),
    ],
)
def test_fit_refuses_a_family_the_estimator_cannot_use(q, estimator):
    with pytest.raises(ValueError, match=f"estimator='{estimator}'.*score_function"):
        vi.fit(lambda z: -z * 1.0, q, steps=5, learning_rate=0.1, estimator=estimator)


@pytest.mark.parametrize("module", ["vi_ref/vi.py", "vi_ref/estimators/elbo_gradients.py"])
def test_svi_calls_no_private_method_of_another_object(module):
    """vi and the ELBO estimators use the families' public, documented (and, for
    gradients, registered) methods: ``PlanarFlow.transform_and_log_det_vjp``, not
    ``_backward``; ``log_prob_x_grad``, not autodiff through ``_log_prob``."""
    import ast
    import pathlib

    tree = ast.parse((pathlib.Path(__file__).parent.parent / module).read_text())
    reached = {
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    }
    assert not reached


def test_flow_elbo_gradient_is_the_sum_of_the_transform_and_log_det_vjps():
    flow = vi_flows.PlanarFlow.initial(2, 3, rng=0, spread=0.8)
    rng = np.random.default_rng(1)
    eps, cotangent = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    combined = flow.transform_and_log_det_vjp(eps, cotangent, np.full(4, 2.0))
    transform, log_det = flow.transform_vjp(eps, cotangent), flow.log_det_jacobian_grad(eps)
    for name in flow.parameter_names:
        np.testing.assert_allclose(combined[name], transform[name] + 2.0 * log_det[name], rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="log_det_cotangent must have shape"):
        flow.transform_and_log_det_vjp(eps, cotangent, np.ones(3))


def test_fit_refuses_an_unsupported_family():
    with pytest.raises(TypeError, match="q must be one of"):
        vi.fit(quadratic, object(), steps=5, learning_rate=0.1)


def test_divergence_stops_naming_the_step_and_the_parameter():
    with pytest.raises(FloatingPointError, match=r"step \d+: .*(scale|loc)"), np.errstate(over="ignore"):
        vi.fit(
            lambda z: 1e300 * ad.sum(ad.square(z), axis=-1), Normal(np.zeros(1), np.ones(1)), steps=50,
            learning_rate=50.0, optimizer="gradient_ascent", rng=0,
        )
    # a log-scale driven to −∞: exp underflows to a finite 0, which the family refuses
    # ("the diagonal of scale_tril must be positive", a ValueError about an argument the
    # caller never gave); η = 0.1 against a curvature of 28 diverges by oscillation
    precision = np.array([[28.0, 0.0], [0.0, 1.0]])
    with pytest.raises(FloatingPointError, match=r"step \d+: the parameters left MultivariateNormal's domain .*"
                                                 r"scale_tril.*; lower the learning_rate"):
        vi.fit(lambda z: -0.5 * ad.sum(z * ad.matmul(z, precision), axis=-1),
               MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)), steps=600, learning_rate=0.1, n_samples=2,
               estimator="path_derivative", optimizer="gradient_ascent", rng=0)


def test_fit_dataset_refuses_a_batch_larger_than_the_data(ppca_data):
    model, q = starting_point(ppca_data, np.random.default_rng(0))
    with pytest.raises(ValueError, match="batch_size must be at most the number of data points N = 20"):
        vi.fit_dataset(model, ppca_data, q, steps=5, learning_rate=0.1, batch_size=21)
    with pytest.raises(ValueError, match="q must hold one distribution per data point"):
        shared = MultivariateNormal(np.zeros(2), scale_tril=np.eye(2))
        vi.fit_dataset(model, ppca_data, shared, steps=5, learning_rate=0.1)
    with pytest.raises(ValueError, match="X must hold at least one data point"):
        vi.fit_dataset(model, ppca_data[:0], q, steps=5, learning_rate=0.1)
    with pytest.raises(ValueError, match="elbo_samples must be >= 2"):  # one draw has no standard error
        vi.fit_dataset(model, ppca_data, q, steps=5, learning_rate=0.1, elbo_samples=1)
    with pytest.raises(TypeError, match="learn_model must be True or False"):
        vi.fit_dataset(model, ppca_data, q, steps=5, learning_rate=0.1, learn_model="no")
    with pytest.raises(TypeError, match="callback must be callable"):
        vi.fit_dataset(model, ppca_data, q, steps=5, learning_rate=0.1, callback=3)
    # the lists named the families of q as models (and a Normal passed for the model)
    for wrong in (None, Normal(0.0, 1.0)):
        with pytest.raises(TypeError, match="^model must be one of LinearGaussian, GammaPoisson; got"):
            vi.fit_dataset(wrong, ppca_data, q, steps=5, learning_rate=0.1)
    with pytest.raises(TypeError, match="^q must be one of Normal, .*PlanarFlow; got LinearGaussian"):
        vi.fit(quadratic, model, steps=5, learning_rate=0.1)


@pytest.mark.parametrize(
    "rows, error, match",
    [
        ([20], ValueError, r"rows must be one or more distinct indices in \[0, N = 20\)"),
        ([1, 1], ValueError, "rows must be one or more distinct"),
        (np.array([], dtype=int), ValueError, "rows must be one or more distinct"),
        ([1.5], TypeError, "rows must be a 1-d array of integer indices"),
        ([-1], ValueError, r"rows must be one or more distinct indices in \[0, N = 20\); got \[-1\]"),  # wrapped
        ([True, False], TypeError, "rows must be a 1-d array of integer indices"),  # was rows 1 and 0
    ],
)
def test_minibatch_gradient_refuses_bad_rows(ppca_data, rows, error, match):
    model, q = starting_point(ppca_data, np.random.default_rng(0))
    with pytest.raises(error, match=match):
        vi.minibatch_elbo_gradient(model, q, ppca_data, rows, 1, rng=0)


def test_minibatch_gradient_refuses_a_q_that_is_not_one_family_per_data_point(ppca_data):
    model, q = starting_point(ppca_data, np.random.default_rng(0))
    flow = vi_flows.PlanarFlow(np.zeros(2), np.ones(2), np.ones((1, 2)), np.zeros((1, 2)), np.zeros(1))
    for wrong in ("q", None, model, flow):
        with pytest.raises(TypeError, match=f"^q must be a batched vi_ref.distributions family; got {type(wrong).__name__}$"):
            vi.minibatch_elbo_gradient(model, wrong, ppca_data, [0, 1], 1, rng=0)


def test_window_converged_refuses_an_empty_window():
    with pytest.raises(ValueError, match="window must be >= 1"):
        vi.window_converged([1.0, 2.0], 0, 1e-3)


def test_callback_sees_the_estimates_and_can_stop():
    seen = []

    def callback(step, q, elbo, standard_error):
        seen.append((step, elbo, standard_error))
        return step >= 20

    result = vi.fit(
        quadratic, Normal(np.zeros(2), np.ones(2)), steps=100, learning_rate=0.1, eval_every=10, callback=callback,
        rng=0,
    )
    assert [step for step, _, _ in seen] == [10, 20]
    assert result.n_steps == 20 and len(result.trace) == 3


def test_fit_estimates_every_eval_every_steps_and_at_the_last_step():
    """The trace holds the start, every eval_every-th step and the last step (whose
    estimate is result.elbo: it must be of the final q), each with its coordinates;
    eval_every defaults to steps // 100."""
    start = Normal(np.zeros(2), np.ones(2))
    result = vi.fit(quadratic, start, steps=7, learning_rate=0.1, eval_every=5, rng=0)
    np.testing.assert_array_equal(result.trace_steps, [0, 5, 7])
    assert len(result.trace_parameters) == len(result.trace) == 3
    np.testing.assert_array_equal(result.trace_parameters[0]["scale"], np.log(start.scale))
    np.testing.assert_array_equal(result.trace_parameters[-1]["loc"], result.q.loc)
    np.testing.assert_array_equal(np.exp(result.trace_parameters[-1]["scale"]), result.q.scale)
    assert result.elbo == result.trace[-1]
    default = vi.fit(quadratic, start, steps=250, learning_rate=0.1, rng=0)
    np.testing.assert_array_equal(default.trace_steps, np.arange(0, 251, 2))


def test_converged_step_is_the_first_estimate_at_which_the_rule_holds():
    """converged_step is the first step whose trace meets the window rule (checked on
    each prefix of the trace); stop_when_converged stops the same run there."""
    arguments = dict(steps=60, learning_rate=0.1, eval_every=1, window=3, tol=0.05)
    result = vi.fit(quadratic, Normal(np.zeros(2), np.ones(2)), rng=3, **arguments)
    held = [vi.window_converged(result.trace[: k + 1], 3, 0.05) for k in range(len(result.trace))]
    assert sum(held) >= 2  # the rule holds more than once, so first and last differ
    assert result.converged and result.converged_step == result.trace_steps[held.index(True)]
    stopped = vi.fit(quadratic, Normal(np.zeros(2), np.ones(2)), rng=3, stop_when_converged=True, **arguments)
    assert stopped.n_steps == stopped.trace_steps[-1] == result.converged_step


def test_the_traced_elbo_and_its_standard_error_are_the_mean_and_sample_se_of_the_draws():
    """The start's ELBO estimate redrawn by hand from the same generator (its first
    draws): the mean of log p(z) − log q(z), with log q from scipy.stats, and the
    standard error std(ddof = 1)/√S, both to round-off. The spread test of
    tests/test_standard_errors.py holds the SE only to ±25 %; this pins its formula."""
    loc, scale = np.array([0.3, -1.0]), np.array([0.7, 1.6])
    result = vi.fit(quadratic, Normal(loc, scale), steps=1, learning_rate=1e-12, elbo_samples=50, rng=7,
                    eval_every=1)
    z = Normal(loc, scale).sample(50, rng=np.random.default_rng(7))
    ratios = quadratic(z) - np.sum(scipy.stats.norm.logpdf(z, loc, scale), axis=-1)
    np.testing.assert_allclose(result.trace[0], ratios.mean(), rtol=1e-12)
    np.testing.assert_allclose(result.trace_standard_error[0], ratios.std(ddof=1) / np.sqrt(50), rtol=1e-12)


def test_same_seed_same_run():
    runs = [vi.fit(quadratic, Normal(np.zeros(2), np.ones(2)), steps=20, learning_rate=0.1, rng=7) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].trace, runs[1].trace)
    np.testing.assert_array_equal(runs[0].q.loc, runs[1].q.loc)


# ---------------------------------------------------------------------------
# Seed sweeps behind the tolerances (slow: run by CI with -m slow)
# ---------------------------------------------------------------------------

# 30 seeds (100-129) were swept for every check below before it was committed, with
# no failure; CI re-runs 10 of them to stay within the slow-test budget on 2 cores.
# The data-set run is swept over 30 seeds in CI (200-229; at 2000 steps, 16 earlier
# seeds had passed but 2 of these did not: the run now takes 4000). One test per
# (check, seed): pytest-xdist then balances the two cores in pieces of one run (a
# 24000-step score-function run is the longest) instead of ten.
SWEEP = range(100, 110)


def check_mean_field_reparameterization(seed):
    """The optimum and the gap checks read the same run (same estimator, seed and
    steps): it is fitted once and both are asserted, each reported if it fails."""
    result = mean_field_run("reparameterization", seed)
    failures = []
    for check in (check_mean_field_optimum, check_mean_field_gap):
        try:
            check(result)
        except AssertionError as error:
            failures.append(f"{check.__name__}: {str(error).splitlines()[0] if str(error) else 'assert'}")
    assert not failures, failures


@pytest.mark.slow
@pytest.mark.parametrize("seed", SWEEP)
@pytest.mark.parametrize(
    "check",
    [
        check_full_rank_reparameterization,
        check_mean_field_reparameterization,
        lambda seed: check_mean_field_optimum(mean_field_run("score_function", seed, steps=SCORE_FUNCTION_STEPS)),
        check_lognormal,
        check_gamma,
        check_categorical,
    ],
    ids=["full-rank", "mean-field-reparameterization-and-gap", "mean-field-score", "lognormal", "gamma",
         "categorical"],
)
def test_vi_seed_sweep(check, seed):
    check(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(200, 230))
def test_dataset_seed_sweep(ppca_data, seed):
    check_dataset(ppca_data, seed)


def test_tracked_gradient_variance_is_unbiased_at_two_samples():
    """The tracked variance is the unbiased (ddof = 1) sample variance of the per-sample
    terms, in the optimiser's coordinates (loc, log scale). For log p(z) = −z²/2 and
    q = N(m, s²) the pathwise terms are −z and −zε·s (the entropy's gradient is the
    same for every sample), so its expectation is s² + s²(m² + 2s²) exactly; with
    elbo_samples = 2, ddof = 0 would halve it, and in the constrained (loc, scale) it
    would be s² + m² + 2s², 4× larger at s = 0.3 (at s = 0.8 it was 1.3×, within the
    test's 5 SE). q is held (η = 1e-12), and the mean of 1001 recorded values is
    compared within 5 of its standard errors."""
    m, s = 0.5, 0.3
    exact = s**2 + s**2 * (m**2 + 2 * s**2)
    result = vi.fit(lambda z: -0.5 * z * z, Normal(m, s), steps=1000, learning_rate=1e-12, rng=0,
                    elbo_samples=2, eval_every=1, track_gradient_variance=True)
    recorded = result.gradient_variance
    assert recorded.size == 1001
    assert abs(recorded.mean() - exact) < 5 * recorded.std(ddof=1) / np.sqrt(recorded.size)
