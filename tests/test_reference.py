"""The golden reference files: the case table covers what the issue lists, generation
is deterministic, both encodings round-trip bit for bit, vi_ref's own file passes the
crosscheck and a wrong value fails it, and the documented schema is the table's."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from vi_ref import cli, distributions, kl, reference
from vi_ref.models.gaussian_mixture import COVARIANCE_TYPES
from vi_ref.reference_cases import CASES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generated():
    return reference.generate(seed=7)


# ----- coverage of the table ---------------------------------------------------------


def _family_classes(label):
    return {"CategoricalLogits": distributions.Categorical, "CategoricalProbs": distributions.Categorical}.get(
        label, getattr(distributions, label, None)
    )


def test_every_registered_kl_pair_has_a_case():
    covered = set()
    for name in reference.case_names():
        if name.startswith("kl."):
            q_label, p_label = name[len("kl."):].split("-")
            covered.add((_family_classes(q_label), _family_classes(p_label)))
    assert covered == set(kl._RULES)


def test_every_family_has_a_case_with_score_and_pathwise_fields():
    families = {
        type_ for type_ in vars(distributions).values()
        if isinstance(type_, type) and issubclass(type_, distributions.Distribution)
        and type_ not in (distributions.Distribution, distributions.ReparameterizedDistribution)
    }
    cases = {name: reference.get_case(name) for name in reference.case_names() if name.startswith("distribution.")}
    assert {_family_classes(name.split(".")[1]) for name in cases} == families
    for name, case in cases.items():
        family = _family_classes(name.split(".")[1])
        assert {"log_prob", "entropy"} <= set(case.outputs)
        assert any(field.startswith("score_") for field in case.outputs)
        pathwise = issubclass(family, distributions.ReparameterizedDistribution)
        assert ("transform" in case.outputs) == pathwise, name
        assert any(field.startswith("transform_vjp_") for field in case.outputs) == pathwise, name


def test_models_and_em_have_cases():
    names = set(reference.case_names())
    assert {f"gmm.{t}" for t in COVARIANCE_TYPES} <= names
    gmm_fields = set(reference.get_case("gmm.full").outputs)
    assert gmm_fields == {"log_likelihood", "responsibilities", "em_weights", "em_means", "em_covariances"}
    for name in ("linear_gaussian.isotropic", "linear_gaussian.diagonal"):
        fields = set(reference.get_case(name).outputs)
        assert {"log_marginal", "posterior_loc", "posterior_scale_tril", "elbo", "elbo_grad_W", "elbo_grad_q_loc"} <= fields
    assert {"log_marginal", "posterior_concentration", "posterior_rate", "elbo", "elbo_grad_concentration",
            "elbo_grad_q_rate"} <= set(reference.get_case("gamma_poisson.Gamma").outputs)
    assert {"elbo", "elbo_grad_rate", "elbo_grad_q_loc", "elbo_grad_q_scale"} <= set(reference.get_case("gamma_poisson.LogNormal").outputs)


def test_the_estimator_suite_and_the_iwae_bound_have_cases():
    names = set(reference.case_names())
    assert {"estimators.quadratic", "estimators.gaussian_bump", "estimators.cosine", "estimators.dimension",
            "iwae.linear_gaussian"} <= names
    fields = set(reference.get_case("estimators.quadratic").outputs)
    for label in ("score_function", "score_function_constant", "score_function_leave_one_out",
                  "score_function_optimal", "reparameterization"):
        assert {f"variance_{label}_loc", f"variance_{label}_scale"} <= fields


def test_every_case_computes_the_fields_it_declares(generated):
    for case in CASES:
        outputs = generated["cases"][case.name]["outputs"]
        assert set(outputs) == set(case.outputs)
        for part, specs in (("inputs", case.inputs), ("outputs", case.outputs)):
            for key, spec in specs.items():
                array = generated["cases"][case.name][part][key]
                assert array.dtype == np.dtype(spec.dtype) and array.ndim == len(spec.shape), (case.name, key)
        assert reference.validate(generated.copy()) is not None


# ----- an independent look at a few outputs (not vi_ref's formulas against themselves)


def test_reference_values_agree_with_scipy(generated):
    import scipy.stats

    case = generated["cases"]["distribution.Gamma"]
    inputs = case["inputs"]
    expected = scipy.stats.gamma.logpdf(inputs["x"], inputs["concentration"], scale=1 / inputs["rate"])
    np.testing.assert_allclose(case["outputs"]["log_prob"], expected, rtol=1e-12)
    case = generated["cases"]["gmm.full"]
    inputs = case["inputs"]
    densities = np.stack(
        [w * scipy.stats.multivariate_normal(m, c).pdf(inputs["X"])
         for w, m, c in zip(inputs["weights"], inputs["means"], inputs["covariances"])],
        axis=1,
    )
    np.testing.assert_allclose(case["outputs"]["log_likelihood"], np.log(densities.sum(axis=1)), rtol=1e-12)
    np.testing.assert_allclose(case["outputs"]["responsibilities"], densities / densities.sum(axis=1, keepdims=True), rtol=1e-10)
    case = generated["cases"]["linear_gaussian.diagonal"]
    inputs = case["inputs"]
    W, b, psi = inputs["W"], inputs["b"], inputs["noise_var"]
    evidence = scipy.stats.multivariate_normal(b, W @ W.T + np.diag(psi)).logpdf(inputs["x"])
    np.testing.assert_allclose(case["outputs"]["log_marginal"], evidence, rtol=1e-12)


def test_estimator_variances_agree_with_closed_forms_and_scipy_quad():
    import scipy.integrate

    inputs = reference.case_inputs("estimators.quadratic", 5)
    outputs = reference.compute_outputs("estimators.quadratic", inputs)
    offset, scale = inputs["loc"] - inputs["k"], inputs["scale"]
    # pathwise terms 2(z − k)(1, ε) with z − k = offset + σ ε
    np.testing.assert_allclose(outputs["variance_reparameterization_loc"], 4 * scale**2, rtol=1e-12)
    np.testing.assert_allclose(outputs["variance_reparameterization_scale"], 4 * offset**2 + 8 * scale**2, rtol=1e-12)
    density = lambda e: np.exp(-e * e / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    for seed in (0, 1):
        inputs = reference.case_inputs("estimators.gaussian_bump", seed)
        outputs = reference.compute_outputs("estimators.gaussian_bump", inputs)
        mu, sigma, k = (float(inputs[key]) for key in ("loc", "scale", "k"))
        derivative = lambda e: -2 * k * (mu + sigma * e) * np.exp(-k * (mu + sigma * e) ** 2)  # noqa: E731
        second_moment = scipy.integrate.quad(lambda e: (derivative(e) * e) ** 2 * density(e), -40, 40,
                                             points=[0.0], limit=2000, epsabs=0, epsrel=1e-13)[0]
        np.testing.assert_allclose(outputs["variance_reparameterization_scale"],
                                   second_moment - outputs["gradient_scale"] ** 2, rtol=1e-10)


def test_the_iwae_case_is_elbo_iwae_bound_on_the_same_draws():
    from vi_ref.distributions import Normal
    from vi_ref.elbo import iwae_bound
    from vi_ref.models import LinearGaussian

    inputs = reference.case_inputs("iwae.linear_gaussian", 3)
    model = LinearGaussian(inputs["W"], inputs["b"], inputs["noise_var"])
    q = Normal(inputs["q_loc"], inputs["q_scale"])
    groups, size, latent = inputs["eps"].shape
    # the noise iwae_bound draws with seed 11, as the case's eps
    _, eps = q.rsample(groups * size, np.random.default_rng(11))
    inputs["eps"] = eps.reshape(groups, size, latent)
    outputs = reference.compute_outputs("iwae.linear_gaussian", inputs)
    estimate, _ = iwae_bound(model, q, inputs["x"], size, groups, rng=11)
    np.testing.assert_allclose(outputs["estimate"], estimate, rtol=1e-14)


def _normal_expectation(function):
    """E[function(ε)] for ε ~ N(0, 1), by scipy.integrate.quad."""
    import scipy.integrate

    density = lambda e: np.exp(-e * e / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    return scipy.integrate.quad(lambda e: function(e) * density(e), -np.inf, np.inf, epsabs=0, epsrel=1e-13, limit=200)[0]


@pytest.mark.parametrize("sample_size", [2, 7])
def test_the_leave_one_out_variance_is_at_the_inputs_sample_size(sample_size):
    """The term (f(zₛ) − bₛ) s(zₛ) has a baseline bₛ, the mean of the other n − 1 values:
    independent of zₛ, of mean E f and second moment Var f/(n − 1) + (E f)². So its
    variance is E[f²s²] − 2 E f E[f s²] + (Var f/(n − 1) + (E f)²) E[s²] − ∇², each
    moment by quad. The case computed at n − 1 passed every other test."""
    inputs = dict(reference.case_inputs("estimators.quadratic", 0), n=np.array(sample_size))
    outputs = reference.compute_outputs("estimators.quadratic", inputs)
    loc, scale, k = (float(inputs[key]) for key in ("loc", "scale", "k"))
    f = lambda e: (loc + scale * e - k) ** 2  # noqa: E731
    mean, second = _normal_expectation(f), _normal_expectation(lambda e: f(e) ** 2)
    baseline_second_moment = (second - mean**2) / (sample_size - 1) + mean**2
    for name, score in (("loc", lambda e: e / scale), ("scale", lambda e: (e * e - 1) / scale)):
        gradient = _normal_expectation(lambda e: f(e) * score(e))
        variance = (
            _normal_expectation(lambda e: (f(e) * score(e)) ** 2)
            - 2 * mean * _normal_expectation(lambda e: f(e) * score(e) ** 2)
            + baseline_second_moment * _normal_expectation(lambda e: score(e) ** 2)
            - gradient**2
        )
        np.testing.assert_allclose(outputs[f"variance_score_function_leave_one_out_{name}"], variance, rtol=1e-11)


def test_the_dimension_case_is_built_from_its_loc_and_scale():
    """E[Σ z] = D m, ∇m = D, ∇σ_d = 0, and the score function's term of m is
    (Dm + σS) S/σ with S = Σ ε_d ~ N(0, D), its variance by quad. The case built with
    loc and scale swapped passed every other test."""
    inputs = reference.case_inputs("estimators.dimension", 0)
    outputs = reference.compute_outputs("estimators.dimension", inputs)
    loc, scale, dimension = float(inputs["loc"]), float(inputs["scale"]), int(inputs["dimension"])
    np.testing.assert_allclose(outputs["expectation"], dimension * loc, rtol=1e-15)
    assert outputs["gradient_loc"] == dimension
    np.testing.assert_array_equal(outputs["gradient_scale"], np.zeros(dimension))
    term = lambda e: (dimension * loc + scale * np.sqrt(dimension) * e) * np.sqrt(dimension) * e / scale  # noqa: E731
    variance = _normal_expectation(lambda e: term(e) ** 2) - dimension**2
    np.testing.assert_allclose(outputs["variance_score_function_loc"], variance, rtol=1e-11)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_em_step_adds_the_inputs_reg_covar_to_the_covariances(covariance_type):
    """The M-step's covariances are the responsibility-weighted scatter plus reg_covar
    on the diagonal (derivation 04), so raising reg_covar from 0 to 0.25 raises every
    variance by exactly 0.25 and changes nothing else. The case ignoring the inputs'
    reg_covar (using m_step's default 1e-6, the value every generated file holds) passed
    every other test."""
    name = f"gmm.{covariance_type}"
    inputs = reference.case_inputs(name, 2)
    unregularised = reference.compute_outputs(name, dict(inputs, reg_covar=np.array(0.0)))
    regularised = reference.compute_outputs(name, dict(inputs, reg_covar=np.array(0.25)))
    shift = regularised["em_covariances"] - unregularised["em_covariances"]
    diagonal = np.eye(inputs["means"].shape[1]) if covariance_type in ("full", "tied") else 1.0
    np.testing.assert_allclose(shift, np.broadcast_to(0.25 * diagonal, shift.shape), rtol=0, atol=1e-14)
    for field in ("log_likelihood", "responsibilities", "em_weights", "em_means"):
        np.testing.assert_array_equal(regularised[field], unregularised[field])


@pytest.mark.parametrize("noise", ["isotropic", "diagonal"])
def test_the_linear_gaussian_elbo_is_the_closed_form(noise):
    """For q(z) = N(m, S), p(z) = N(0, I) and p(x | z) = N(Wz + b, Ψ):
    ELBO = log N(x | Wm + b, Ψ) − ½ tr(WᵀΨ⁻¹W S) − ½ (L log 2π + mᵀm + tr S) + ½ log det(2πe S),
    with S = LLᵀ (isotropic) or diag(scale²) (diagonal). The diagonal case building q
    with its variance as the scale was caught only by the torch example."""
    name = f"linear_gaussian.{noise}"
    inputs = reference.case_inputs(name, 4)
    outputs = reference.compute_outputs(name, inputs)
    W, b, x, loc = inputs["W"], inputs["b"], inputs["x"], inputs["q_loc"]
    psi = np.broadcast_to(inputs["noise_var"], b.shape)
    if noise == "isotropic":
        covariances = inputs["q_scale_tril"] @ np.swapaxes(inputs["q_scale_tril"], -1, -2)
    else:
        covariances = np.stack([np.diag(scale**2) for scale in inputs["q_scale"]])
    expected = [_linear_gaussian_elbo(W, b, psi, point, m, S) for point, m, S in zip(x, loc, covariances)]
    np.testing.assert_allclose(outputs["elbo"], expected, rtol=1e-12)


def _linear_gaussian_elbo(W, b, psi, x, m, S):
    """ELBO(x, N(m, S)) of p(z) = N(0, I), p(x | z) = N(Wz + b, diag ψ), term by term with
    scipy.stats (the formula of the test above)."""
    import scipy.stats

    latent = len(m)
    return (
        scipy.stats.multivariate_normal(W @ m + b, np.diag(psi)).logpdf(x)
        - 0.5 * np.trace(W.T @ (W / psi[:, None]) @ S)
        - 0.5 * (latent * np.log(2 * np.pi) + m @ m + np.trace(S))
        + scipy.stats.multivariate_normal(np.zeros(latent), S).entropy()
    )


def test_the_normal_cases_pathwise_fields_are_the_closed_forms():
    """z = μ + σ ε, so the per-sample derivatives of ⟨c, z⟩ are c (μ) and c ε (σ). The
    VJP with ε and the cotangent swapped was caught only by the torch example."""
    inputs = reference.case_inputs("distribution.Normal", 1)
    outputs = reference.compute_outputs("distribution.Normal", inputs)
    eps, cotangent = inputs["eps"], inputs["cotangent"]
    np.testing.assert_allclose(outputs["transform"], inputs["loc"] + inputs["scale"] * eps, rtol=1e-15)
    np.testing.assert_allclose(outputs["transform_vjp_loc"], cotangent, rtol=1e-15)
    np.testing.assert_allclose(outputs["transform_vjp_scale"], cotangent * eps, rtol=1e-15)


def test_the_iwae_cases_evidence_and_elbo_are_the_closed_forms():
    """log p(x) = log N(x | b, WWᵀ + diag ψ) by scipy.stats, and L_1 the closed-form ELBO
    of q = N(loc, diag scale²); L_1 ≤ the estimate ≤ log p(x) cannot tell the two
    fields swapped, which passed every other test."""
    import scipy.stats

    inputs = reference.case_inputs("iwae.linear_gaussian", 6)
    outputs = reference.compute_outputs("iwae.linear_gaussian", inputs)
    W, b, psi, x = inputs["W"], inputs["b"], inputs["noise_var"], inputs["x"]
    evidence = scipy.stats.multivariate_normal(b, W @ W.T + np.diag(psi)).logpdf(x)
    np.testing.assert_allclose(outputs["log_marginal"], evidence, rtol=1e-12)
    elbo = _linear_gaussian_elbo(W, b, psi, x, inputs["q_loc"], np.diag(inputs["q_scale"] ** 2))
    np.testing.assert_allclose(outputs["elbo"], elbo, rtol=1e-12)


def test_the_gamma_poisson_case_is_the_conjugate_posterior_and_the_negative_binomial_evidence():
    """Prior Gamma(α, β), counts x₁..xₙ: the posterior is Gamma(α + Σx, β + n) and
    log p(x) = log Γ(α + Σx) − log Γ(α) + α log β − (α + Σx) log(β + n) − Σ log xᵢ!
    (scipy.special). The case building the prior with α and β swapped passed every other
    test (their ELBO gradients are consistent with it)."""
    import scipy.special

    inputs = reference.case_inputs("gamma_poisson.Gamma", 2)
    outputs = reference.compute_outputs("gamma_poisson.Gamma", inputs)
    alpha, beta, counts = float(inputs["concentration"]), float(inputs["rate"]), inputs["x"]
    assert alpha != pytest.approx(beta)
    total, n = counts.sum(axis=1), counts.shape[1]
    np.testing.assert_allclose(outputs["posterior_concentration"], alpha + total, rtol=1e-15)
    np.testing.assert_allclose(outputs["posterior_rate"], np.full(len(counts), beta + n), rtol=1e-15)
    evidence = (scipy.special.gammaln(alpha + total) - scipy.special.gammaln(alpha) + alpha * np.log(beta)
                - (alpha + total) * np.log(beta + n) - scipy.special.gammaln(counts + 1).sum(axis=1))
    np.testing.assert_allclose(outputs["log_marginal"], evidence, rtol=1e-12)


def test_the_baseline_variances_are_those_of_their_baselines():
    """For f(z) = (z − k)² the constant baseline is E f and the optimal one (n → ∞) is
    b* = E[f s²] / E[s²] per parameter, s the score; each variance is
    E[((f − b) s)²] − ∇², every moment by quad. The two fields swapped passed every
    other test."""
    inputs = reference.case_inputs("estimators.quadratic", 3)
    outputs = reference.compute_outputs("estimators.quadratic", inputs)
    loc, scale, k = (float(inputs[key]) for key in ("loc", "scale", "k"))
    f = lambda e: (loc + scale * e - k) ** 2  # noqa: E731
    mean = _normal_expectation(f)
    for name, score in (("loc", lambda e: e / scale), ("scale", lambda e: (e * e - 1) / scale)):
        gradient = _normal_expectation(lambda e: f(e) * score(e))
        optimal = _normal_expectation(lambda e: f(e) * score(e) ** 2) / _normal_expectation(lambda e: score(e) ** 2)
        for label, baseline in (("constant", mean), ("optimal", optimal)):
            variance = _normal_expectation(lambda e: ((f(e) - baseline) * score(e)) ** 2) - gradient**2
            np.testing.assert_allclose(outputs[f"variance_score_function_{label}_{name}"], variance, rtol=1e-10)


def test_the_em_step_is_the_responsibility_weighted_average():
    """π' = mean of the responsibilities and μ'ₖ = Σₙ rₙₖ xₙ / Σₙ rₙₖ, with r from
    scipy.stats densities. em_means left at the means before the step passed every
    other test (the scikit-learn one is a peer test)."""
    import scipy.stats

    inputs = reference.case_inputs("gmm.diag", 5)
    outputs = reference.compute_outputs("gmm.diag", inputs)
    X = inputs["X"]
    densities = np.stack(
        [w * scipy.stats.multivariate_normal(m, np.diag(c)).pdf(X)
         for w, m, c in zip(inputs["weights"], inputs["means"], inputs["covariances"])],
        axis=1,
    )
    responsibilities = densities / densities.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(outputs["em_weights"], responsibilities.mean(axis=0), rtol=1e-12)
    expected_means = responsibilities.T @ X / responsibilities.sum(axis=0)[:, None]
    np.testing.assert_allclose(outputs["em_means"], expected_means, rtol=1e-10, atol=1e-12)


def test_compute_outputs_refuses_booleans():
    """True is not the number 1 in a reference field: a boolean array is refused, not
    converted (NumPy's 'safe' cast would)."""
    inputs = reference.case_inputs("kl.Normal-Normal", 0)
    with pytest.raises(reference.ReferenceFileError, match="field 'q_scale'.*dtype must be float64; got bool"):
        reference.compute_outputs("kl.Normal-Normal", dict(inputs, q_scale=np.ones(3, dtype=bool)))


@pytest.mark.parametrize("seed", [2**63, True, -1, 1.0])
def test_generate_refuses_a_seed_an_npz_file_cannot_hold(seed):
    """An NPZ file stores the seed as an int64, so 2**63 is refused, as is True (which
    would be seed 1) and anything not a non-negative integer."""
    with pytest.raises(ValueError, match="seed must be a non-negative integer below 2\\*\\*63"):
        reference.generate(seed, only="kl.Normal-Normal")


def test_the_largest_seed_an_npz_file_holds_is_written_and_read(tmp_path):
    path = tmp_path / "reference.npz"
    reference.write(path, reference.generate(2**63 - 1, only="kl.Normal-Normal"))
    assert reference.read(path)["seed"] == 2**63 - 1


def test_compute_outputs_refuses_floats_for_an_int64_field():
    """Category labels as floats are refused, not truncated: compute_outputs converts
    only exactly (integers and narrower floats to a float64 field, integers to int64)."""
    inputs = reference.case_inputs("distribution.CategoricalLogits", 0)
    with pytest.raises(reference.ReferenceFileError, match="field 'x'.*dtype must be int64; got float64"):
        reference.compute_outputs("distribution.CategoricalLogits", dict(inputs, x=inputs["x"] + 0.5))
    narrower = reference.compute_outputs("distribution.CategoricalLogits", dict(inputs, x=inputs["x"].astype(np.int32)))
    np.testing.assert_array_equal(narrower["log_prob"], reference.compute_outputs("distribution.CategoricalLogits", inputs)["log_prob"])


def test_compute_outputs_refuses_integers_that_float64_would_round():
    """int64 converts to a float64 field 'safely' by NumPy's rule, but 2⁵³ + 1 rounds:
    such an x is refused; 2⁵³ itself is exact and is read."""
    inputs = reference.case_inputs("distribution.Normal", 0)
    for x, dtype in ((2**53 + 1, np.int64), (-(2**53) - 1, np.int64), (2**64 - 1, np.uint64)):
        with pytest.raises(reference.ReferenceFileError, match="field 'x'.*beyond 2\\*\\*53 .* no exact float64"):
            reference.compute_outputs("distribution.Normal", dict(inputs, x=np.full((4, 3), x, dtype=dtype)))
    exact = reference.compute_outputs("distribution.Normal", dict(inputs, x=np.full((4, 3), 2**53, dtype=np.int64)))
    as_float = reference.compute_outputs("distribution.Normal", dict(inputs, x=np.full((4, 3), 2.0**53)))
    np.testing.assert_array_equal(exact["log_prob"], as_float["log_prob"])


# ----- determinism and the two encodings ------------------------------------------------


def _assert_same_document(first, second):
    assert first["cases"].keys() == second["cases"].keys()
    for name, case in first["cases"].items():
        for part in ("inputs", "outputs"):
            assert case[part].keys() == second["cases"][name][part].keys()
            for key, array in case[part].items():
                other = second["cases"][name][part][key]
                assert array.dtype == other.dtype and array.shape == other.shape, (name, key)
                assert np.array_equal(array, other), (name, key)


def test_the_same_seed_gives_identical_files(tmp_path, generated):
    for suffix in (".json", ".npz"):
        first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        assert cli.main(["reference", "--out", str(first), "--seed", "7"]) == 0
        assert cli.main(["reference", "--out", str(second), "--seed", "7"]) == 0
        if suffix == ".json":
            assert first.read_bytes() == second.read_bytes()
        _assert_same_document(reference.read(first), reference.read(second))
        _assert_same_document(reference.read(first), generated)


def test_another_seed_gives_other_inputs(generated):
    other = reference.generate(seed=8, only="kl.Normal-Normal")
    assert not np.array_equal(other["cases"]["kl.Normal-Normal"]["inputs"]["q_loc"], generated["cases"]["kl.Normal-Normal"]["inputs"]["q_loc"])


def test_a_subset_has_the_full_files_inputs(generated):
    subset = reference.generate(seed=7, only="gmm.")
    assert set(subset["cases"]) == {f"gmm.{t}" for t in COVARIANCE_TYPES}
    _assert_same_document(subset, {"cases": {name: generated["cases"][name] for name in subset["cases"]}})


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_both_encodings_round_trip_bit_for_bit(tmp_path, generated, suffix):
    path = tmp_path / f"reference{suffix}"
    reference.write(path, generated)
    back = reference.read(path)
    _assert_same_document(generated, back)
    assert back["seed"] == 7 and back["version"] == reference.SCHEMA_VERSION


@pytest.mark.parametrize("suffix", [".JSON", ".Npz"])
def test_a_suffix_in_capitals_is_written_and_read_as_its_encoding(tmp_path, suffix):
    """read takes the suffix in any case; write refused the very file names read accepts."""
    document = reference.generate(0, only="kl.Normal-Normal")
    path = tmp_path / f"REFERENCE{suffix}"
    reference.write(path, document)
    assert path.read_bytes().startswith(b"{" if suffix == ".JSON" else b"PK")
    _assert_same_document(reference.read(path), document)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_written_file_states_the_documented_tolerances(tmp_path, generated, suffix):
    """rtol 1e-9 and atol 1e-12, rtol 1e-8 for the estimator cases
    (docs/reference-files.md): what someone testing against the file without vi_ref
    uses. A file written with rtol and atol swapped passed every other test."""
    path = tmp_path / f"reference{suffix}"
    reference.write(path, generated)
    for name, case in reference.read(path)["cases"].items():
        assert case["tolerance"] == {"rtol": 1e-8 if name.startswith("estimators.") else 1e-9, "atol": 1e-12}, name


def test_infinite_kl_round_trips_as_a_string_in_json(tmp_path):
    document = reference.generate(0, only="kl.Normal-Gamma")
    path = tmp_path / "inf.json"
    reference.write(path, document)
    assert json.loads(path.read_text(encoding="utf-8"))["cases"]["kl.Normal-Gamma"]["outputs"]["value"]["data"] == ["inf"] * 3
    assert np.all(reference.read(path)["cases"]["kl.Normal-Gamma"]["outputs"]["value"] == np.inf)


# ----- crosscheck ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_vi_refs_own_file_passes_the_crosscheck(tmp_path, capsys, suffix):
    path = tmp_path / f"reference{suffix}"
    assert cli.main(["reference", "--out", str(path), "--seed", "3"]) == 0
    assert cli.main(["crosscheck", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"All {sum(len(c.outputs) for c in CASES)} fields in {len(CASES)} cases match vi_ref (" in out


def test_a_wrong_value_fails_naming_the_case_and_field(tmp_path, capsys, generated):
    document = reference.generate(seed=7, only="linear_gaussian.isotropic")
    outputs = document["cases"]["linear_gaussian.isotropic"]["outputs"]
    # the full-matrix gradient a library might return, upper triangle included
    outputs["elbo_grad_q_scale_tril"] = outputs["elbo_grad_q_scale_tril"] + np.triu(np.ones((2, 2)), k=1)
    path = tmp_path / "wrong.npz"
    reference.write(path, document)
    assert cli.main(["crosscheck", str(path)]) == 1
    out = capsys.readouterr().out
    assert "case 'linear_gaussian.isotropic', field 'elbo_grad_q_scale_tril': MISMATCH" in out
    assert "expected 0.0, got 1.0" in out


def test_a_perturbation_below_the_tolerance_passes_and_above_fails():
    document = reference.generate(seed=0, only="kl.Gamma-Gamma")
    case = document["cases"]["kl.Gamma-Gamma"]
    value = case["outputs"]["value"]
    case["outputs"]["value"] = value * (1 + 1e-11)
    assert all(result.ok for result in reference.check(document))
    case["outputs"]["value"] = value * (1 + 1e-8)
    failed = [result for result in reference.check(document) if not result.ok]
    assert [(r.case, r.field) for r in failed] == [("kl.Gamma-Gamma", "value")]
    assert failed[0].max_rel_error == pytest.approx(1e-8, rel=1e-3)


def test_a_file_cannot_loosen_its_own_tolerance():
    document = reference.generate(seed=0, only="kl.Normal-Normal")
    case = document["cases"]["kl.Normal-Normal"]
    case["tolerance"] = {"rtol": 1.0, "atol": 1.0}
    case["outputs"]["value"] = case["outputs"]["value"] + 0.5
    assert not all(result.ok for result in reference.check(document))
    assert all(result.ok for result in reference.check(document, atol=1.0))


def test_compare_handles_infinities_shapes_and_nan():
    inf = np.array([np.inf, 1.0])
    assert reference.compare("c", "f", inf, inf.copy(), rtol=1e-9, atol=0).ok
    assert not reference.compare("c", "f", inf, np.array([1e308, 1.0]), rtol=1e-9, atol=0).ok
    assert not reference.compare("c", "f", inf, np.array([-np.inf, 1.0]), rtol=1e-9, atol=0).ok
    assert not reference.compare("c", "f", inf, np.array([np.inf, np.nan]), rtol=1e-9, atol=0).ok
    mismatch = reference.compare("c", "f", np.zeros(3), np.zeros((1, 3)), rtol=1e-9, atol=0)
    assert not mismatch.ok and "shape (1, 3), but vi_ref's has shape (3,)" in str(mismatch)


def test_compare_allows_atol_plus_rtol_times_vi_refs_value():
    """An entry agrees when |actual − expected| ≤ atol + rtol |expected|, with expected
    vi_ref's value: just inside and just outside at 1000 (rtol decides) and at 0 (atol
    decides); and with rtol 0.5, 1.9 against vi_ref's 1 fails (scaled by |actual| it
    would pass). rtol and atol swapped were caught only by the torch example."""

    def agrees(expected, actual, rtol=1e-9, atol=1e-12):
        return reference.compare("c", "f", np.array([expected]), np.array([actual]), rtol=rtol, atol=atol).ok

    assert agrees(1000.0, 1000.0 + 0.9e-6) and not agrees(1000.0, 1000.0 + 1.1e-6)
    assert agrees(0.0, 0.9e-12) and not agrees(0.0, -1.1e-12)
    assert agrees(1.0, 1.4, rtol=0.5, atol=0) and not agrees(1.0, 1.9, rtol=0.5, atol=0)
    result = reference.compare("c", "f", np.array([1.0, -2.0]), np.array([1.9, -3.8]), rtol=0.5, atol=0)
    assert not result.ok and result.max_rel_error == pytest.approx(0.9, rel=1e-12)


def test_compare_never_broadcasts():
    """A (1,) against vi_ref's (3,) is a shape mismatch, even when its value is all three's."""
    result = reference.compare("c", "f", np.full(3, 2.0), np.array([2.0]), rtol=1e-9, atol=0)
    assert not result.ok and result.problem == "shape (1,), but vi_ref's has shape (3,)"


def test_compare_reports_the_entry_furthest_beyond_its_tolerance():
    """The worst index is where the error exceeds its tolerance most (1 + 1e-6 against
    1), not the largest absolute error (1e-4 at 1e6, inside rtol); the max relative
    error is over the entries where vi_ref's value is not 0 (1e-13 against 0 is inside
    atol and has no relative error)."""
    expected = np.array([1e6, 1.0, 0.0])
    actual = np.array([1e6 + 1e-4, 1.0 + 1e-6, 1e-13])
    result = reference.compare("c", "f", expected, actual, rtol=1e-9, atol=1e-12)
    assert not result.ok
    assert result.worst_index == (1,) and result.expected == 1.0 and result.actual == 1.0 + 1e-6
    assert result.max_abs_error == pytest.approx(1e-4, rel=1e-5)
    assert result.max_rel_error == pytest.approx(1e-6, rel=1e-6)


def test_check_judges_by_atol_at_vi_refs_zeros_and_by_rtol_elsewhere():
    """With the estimator cases' tolerance (rtol 1e-8, atol 1e-12): 5e-13 where vi_ref's
    gradient is exactly 0 passes and 2e-12 fails; E f off by a relative 5e-9 passes,
    by 2e-8 fails. check passing rtol as atol was caught only by the torch example."""
    document = reference.generate(0, only="estimators.dimension")
    outputs = document["cases"]["estimators.dimension"]["outputs"]
    zeros, expectation = outputs["gradient_scale"], outputs["expectation"]
    assert not zeros.any() and expectation > 1

    def failing(**changed):
        outputs.update(changed)
        return sorted(result.field for result in reference.check(document) if not result.ok)

    assert failing(gradient_scale=zeros + 5e-13, expectation=expectation * (1 + 5e-9)) == []
    assert failing(gradient_scale=zeros + 2e-12, expectation=expectation * (1 + 2e-8)) == ["expectation", "gradient_scale"]


def test_crosscheck_only_and_list(tmp_path, capsys):
    path = tmp_path / "reference.json"
    assert cli.main(["reference", "--out", str(path), "--only", "kl.Gamma"]) == 0
    assert set(reference.read(path)["cases"]) == {
        "kl.Gamma-Gamma", "kl.Gamma-Exponential", "kl.Gamma-CategoricalLogits"
    }
    capsys.readouterr()
    assert cli.main(["crosscheck", str(path), "--only", "Exponential"]) == 0
    assert "kl.Gamma-Gamma " not in capsys.readouterr().out
    assert cli.main(["crosscheck", "--list"]) == 0
    listing = capsys.readouterr().out
    for case in CASES:
        assert f"{case.name}: " in listing
    # an empty --only is in every name: it wrote all 42 cases, where tour and figures refuse it
    assert cli.main(["reference", "--out", str(path), "--only", ""]) == 2
    assert "only must not be empty" in capsys.readouterr().err
    assert cli.main(["crosscheck", str(path), "--only", ""]) == 2
    with pytest.raises(TypeError, match="only must be a string"):
        reference.generate(0, only=3.0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["reference", "--out", "file.txt"], "must end in .json or .npz"),
        (["reference", "--out", "x.json", "--seed", "-1"], "--seed: must be a non-negative integer"),
        (["reference", "--out", "x.json", "--only", "no such case"], "matches no case"),
        (["crosscheck"], "give a FILE"),
    ],
)
def test_command_line_refusals_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    try:
        status = cli.main(argv)
    except SystemExit as refusal:  # argparse's own refusals (a bad --seed)
        status = refusal.code
    assert status == 2
    assert message in capsys.readouterr().err


# ----- the documented schema is the table ------------------------------------------


def test_the_schema_document_lists_every_case_and_field_as_the_table_has_them():
    text = (ROOT / "docs" / "reference-files.md").read_text(encoding="utf-8")
    assert reference.describe_cases(detailed=True) in text
    for constant in (reference.FORMAT, f"{reference.MAX_ARRAY_ELEMENTS:,}", str(reference.SCHEMA_VERSION)):
        assert constant in text


def _convention_rows():
    """(case pattern, field pattern) of every row of docs/conventions.md's tables whose
    first two cells are code: `kl.*` | `grad_q_<param>` ...; <...> matches any text."""
    rows = []
    for line in (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) > 2 and cells[0].startswith("`"):
            cases = re.findall(r"`([^`]+)`", cells[0])
            fields = re.findall(r"`([^`]+)`", cells[1])
            rows.extend((c, f) for c in cases for f in fields)
    return rows


def _pattern(text):
    return re.compile(re.sub(r"<[^>]+>|\\\*", ".+", re.escape(text)) + r"\Z")


def test_the_conventions_table_covers_every_quantity_in_the_reference_file():
    rows = [(_pattern(c), _pattern(f)) for c, f in _convention_rows()]
    assert rows
    missing = [
        (case.name, field)
        for case in CASES
        for field in case.outputs
        if not any(c.match(case.name) and f.match(field) for c, f in rows)
    ]
    assert not missing, missing


def test_the_conventions_page_counts_the_cases_of_the_table():
    text = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    assert f"computes 29 of the {len(CASES)} cases" in text


@pytest.mark.slow
def test_every_seed_gives_valid_inputs_and_a_file_that_passes_its_own_crosscheck(tmp_path):
    """20 other seeds: the draws stay inside every family's domain (no refusal, no
    non-finite output), and the file (JSON or NPZ by turns) round-trips and passes."""
    for seed in range(100, 120):
        path = tmp_path / f"seed{seed}{('.json', '.npz')[seed % 2]}"
        reference.write(path, reference.generate(seed))
        results = reference.check(reference.read(path))
        assert all(result.ok for result in results), [str(r) for r in results if not r.ok]


@pytest.mark.peer
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_em_step_is_scikit_learns_one_iteration(covariance_type):
    """The conversion docs/conventions.md gives for the em_* fields, executed."""
    mixture = pytest.importorskip("sklearn.mixture")
    name = f"gmm.{covariance_type}"
    inputs = reference.case_inputs(name, 1)
    outputs = reference.compute_outputs(name, inputs)
    covariances = inputs["covariances"]
    precisions = np.linalg.inv(covariances) if covariance_type in ("full", "tied") else 1 / covariances
    fitted = mixture.GaussianMixture(
        len(inputs["weights"]), covariance_type=covariance_type, max_iter=1, reg_covar=float(inputs["reg_covar"]),
        weights_init=inputs["weights"], means_init=inputs["means"], precisions_init=precisions,
    )
    with pytest.warns(Warning):  # one iteration does not converge
        fitted.fit(inputs["X"])
    for field, value in (("em_weights", fitted.weights_), ("em_means", fitted.means_), ("em_covariances", fitted.covariances_)):
        result = reference.compare(name, field, outputs[field], value, rtol=1e-12, atol=1e-14)
        assert result.ok, str(result)
