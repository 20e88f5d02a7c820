"""``vi-ref tour``: run every verification the package can make, and show it.

Each section checks one part of the lecture against an independent value and
returns rows ``(check, measured, criterion, ok)``; the tour prints one table per
section and fails (exit status 1) if any row fails. Sections are registered with
``@section`` in the order of the lecture.
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .gradcheck import check_case

__all__ = ["Row", "SECTIONS", "section", "run"]


@dataclass
class Row:
    check: str
    measured: str
    criterion: str
    ok: bool


SECTIONS = []


def section(title):
    """Register ``function(rng) -> list[Row]`` as a tour section titled ``title``."""

    def register(function):
        SECTIONS.append((title, function))
        return function

    return register


def _table(rows):
    headers = ("check", "measured", "criterion", "")
    cells = [headers] + [(r.check, r.measured, r.criterion, "pass" if r.ok else "FAIL") for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run(rng=0, out=print, only=None):
    """Run the sections (those whose title contains ``only``, if given).

    Returns:
        True if every row passed; False if a row failed, or if ``only`` matches no
        section (a mistyped ``--only`` must not report success).
    """
    generator = np.random.default_rng(rng)
    selected = [(title, f) for title, f in SECTIONS if not only or only.lower() in title.lower()]
    if not selected:
        out(f"\nThere is no section whose title contains {only!r}; nothing was checked.")
        return False
    all_ok = True
    for title, function in selected:
        start = time.perf_counter()
        rows = function(generator)
        elapsed = time.perf_counter() - start
        passed = sum(row.ok for row in rows)
        out(f"\n== {title} ==")
        out(_table(rows))
        out(f"{passed}/{len(rows)} passed in {elapsed:.2f} s")
        all_ok &= bool(rows) and passed == len(rows)  # a section that checks nothing fails
    out("\nAll checks passed." if all_ok else "\nSome checks FAILED.")
    return all_ok


@section("Gradients: every hand-written gradient and autodiff rule against finite differences")
def gradients(rng):
    from .registry import CASES, missing_gradients, unknown_gradients

    rows = []
    for case in CASES:
        checks = check_case(case, rng)
        worst = max(check.max_rel_error for check in checks)
        rows.append(
            Row(case.name, f"rel err {worst:.1e}", f"{case.method}, rtol {case.rtol:.0e}",
                all(check.ok for check in checks))
        )
    missing, unknown = sorted(missing_gradients(CASES)), sorted(unknown_gradients(CASES))
    rows.append(
        Row("registry covers every public gradient",
            f"{len(missing)} missing" + (f": {', '.join(missing)}" if missing else ""),
            "0 missing", not missing)
    )
    rows.append(
        Row("registry names only existing gradients",
            f"{len(unknown)} unknown" + (f": {', '.join(unknown)}" if unknown else ""),
            "0 unknown", not unknown)
    )
    return rows


@section("Distributions and KL: the variational families and KL(q ‖ p) against scipy")
def distributions_and_kl(rng):
    import scipy.integrate
    import scipy.stats

    from .distributions import (Categorical, Exponential, Gamma, LogNormal, MultivariateNormal,
                                Normal)
    from .kl import kl_divergence, kl_monte_carlo

    norm, gamma, expon, lognorm = (
        scipy.stats.norm, scipy.stats.gamma, scipy.stats.expon, scipy.stats.lognorm
    )

    def relative_error(actual, expected):
        return float(np.max(np.abs(np.asarray(actual) - expected) / np.abs(expected)))

    def quadrature_kl(q_law, p_law, lower):
        def integrand(z):
            log_q = q_law.logpdf(z)
            return np.exp(log_q) * (log_q - p_law.logpdf(z))

        # quad warns when it cannot certify epsrel; the row's comparison with the
        # closed form is what certifies the value, so the warning adds nothing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
            return scipy.integrate.quad(integrand, lower, np.inf, epsabs=0.0, epsrel=1e-10,
                                        limit=500)[0]

    def standard_errors_off(values, expected):
        """max |mean − expected| / standard error over the entries (an entry that is
        constant and exact, such as the score above a Cholesky factor's diagonal, is 0 off)."""
        standard_error = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
        difference = np.abs(values.mean(axis=0) - expected)
        exact = difference == 0
        ratio = difference / np.where(exact, 1.0, standard_error)
        return float(np.max(np.where(exact, 0.0, ratio)))

    def agreement_row(check, error, tolerance):
        return Row(check, f"rel err {error:.1e}", f"<= {tolerance:.0e}", error <= tolerance)

    def within_row(check, off):
        return Row(check, f"{off:.2f} SE", "<= 4 SE", off <= 4)

    # log_prob and entropy against scipy.stats, batches of 3
    loc, scale = rng.normal(size=3), rng.uniform(0.3, 3.0, 3)
    rate, concentration = rng.uniform(0.3, 3.0, 3), rng.uniform(0.5, 5.0, 3)
    probs = rng.dirichlet(np.ones(4), size=3)
    x = np.abs(rng.normal(size=(5, 3))) + 0.1
    families = [
        ("Normal", Normal(loc, scale), norm(loc, scale)),
        ("Exponential", Exponential(rate), expon(scale=1 / rate)),
        ("Gamma", Gamma(concentration, rate), gamma(concentration, scale=1 / rate)),
        ("LogNormal", LogNormal(loc, scale), lognorm(s=scale, scale=np.exp(loc))),
    ]
    rows = []
    for name, q, law in families:
        error = max(relative_error(q.log_prob(x), law.logpdf(x)),
                    relative_error(q.entropy(), law.entropy()))
        check = f"{name} log_prob, entropy (batch of 3) vs scipy.stats"
        rows.append(agreement_row(check, error, 1e-12))
    covariance = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]])
    mvn = MultivariateNormal(loc, covariance_matrix=covariance)
    mvn_law = scipy.stats.multivariate_normal(loc, covariance)
    error = max(relative_error(mvn.log_prob(x), mvn_law.logpdf(x)),
                relative_error(mvn.entropy(), mvn_law.entropy()))
    rows.append(agreement_row("MultivariateNormal log_prob, entropy vs scipy.stats", error, 1e-12))
    categorical, labels = Categorical(probs=probs), rng.integers(0, 4, size=(5, 3))
    one_hot_law = scipy.stats.multinomial(1, probs).logpmf(np.eye(4)[labels])
    error = max(relative_error(categorical.log_prob(labels), one_hot_law),
                relative_error(categorical.entropy(), scipy.stats.entropy(probs, axis=-1)))
    rows.append(agreement_row("Categorical log_prob, entropy vs scipy.stats", error, 1e-12))

    # closed-form KL against quadrature of its definition (1-D) and enumeration
    (mq, mp), (sq, sp), (rq, rp), (aq, ap) = loc[:2], scale[:2], rate[:2], concentration[:2]
    pairs = [
        ("Normal‖Normal", Normal(mq, sq), Normal(mp, sp), norm(mq, sq), norm(mp, sp), -np.inf),
        ("Exponential‖Exponential", Exponential(rq), Exponential(rp),
         expon(scale=1 / rq), expon(scale=1 / rp), 0.0),
        ("Gamma‖Gamma", Gamma(aq, rq), Gamma(ap, rp),
         gamma(aq, scale=1 / rq), gamma(ap, scale=1 / rp), 0.0),
        ("Exponential‖Gamma", Exponential(rq), Gamma(ap, rp),
         expon(scale=1 / rq), gamma(ap, scale=1 / rp), 0.0),
        ("Gamma‖Exponential", Gamma(aq, rq), Exponential(rp),
         gamma(aq, scale=1 / rq), expon(scale=1 / rp), 0.0),
        ("LogNormal‖LogNormal", LogNormal(mq, sq), LogNormal(mp, sp),
         lognorm(s=sq, scale=np.exp(mq)), lognorm(s=sp, scale=np.exp(mp)), 0.0),
    ]
    for name, q, p, q_law, p_law, lower in pairs:
        error = relative_error(kl_divergence(q, p), quadrature_kl(q_law, p_law, lower))
        rows.append(agreement_row(f"KL {name} vs quadrature of q log(q/p)", error, 1e-8))
    reversed_probs = probs[:, ::-1]
    categorical_pair = (categorical, Categorical(logits=np.log(reversed_probs)))
    error = relative_error(kl_divergence(*categorical_pair),
                           scipy.stats.entropy(probs, reversed_probs, axis=-1))
    rows.append(agreement_row("KL Categorical‖Categorical vs enumeration", error, 1e-12))

    # the multivariate KL against Monte Carlo, with scipy's sampler and with kl_monte_carlo
    other_factor = np.linalg.cholesky(covariance[::-1, ::-1] + np.eye(3))
    other = MultivariateNormal(loc[::-1], scale_tril=other_factor)
    other_law = scipy.stats.multivariate_normal(other.loc, other.covariance_matrix)
    z = mvn_law.rvs(size=40000, random_state=rng)
    off = standard_errors_off(mvn_law.logpdf(z) - other_law.logpdf(z), kl_divergence(mvn, other))
    rows.append(within_row("KL MultivariateNormal‖MVN vs Monte Carlo (scipy samples)", off))
    estimate, standard_error = kl_monte_carlo(mvn, other, 40000, rng=rng)
    off = abs(estimate - kl_divergence(mvn, other)) / standard_error
    rows.append(within_row("kl_monte_carlo vs closed form (MVN)", off))

    # the properties: KL(q‖q) = 0, KL(q‖p) > 0, asymmetry, +∞ on a support mismatch
    all_pairs = [(q, p) for _, q, p, *_ in pairs] + [(mvn, other), categorical_pair]
    worst_self = max(float(np.max(np.abs(kl_divergence(q, q)))) for q, _ in all_pairs)
    smallest = min(float(np.min(kl_divergence(q, p))) for q, p in all_pairs)
    rows.append(Row("KL(q‖q) = 0 and KL(q‖p) > 0 over the pairs above",
                    f"max |KL(q‖q)| {worst_self:.0e}, min KL {smallest:.2g}", "<= 1e-14, > 0",
                    worst_self <= 1e-14 and smallest > 0))
    forward = kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
    backward = kl_divergence(Normal(1.0, 2.0), Normal(0.0, 1.0))
    exact = abs(forward - (np.log(2) - 0.25)) < 1e-15 and abs(backward - (2 - np.log(2))) < 1e-15
    rows.append(Row("asymmetry: KL(N(0,1)‖N(1,4)) vs KL(N(1,4)‖N(0,1))",
                    f"{forward:.4f} vs {backward:.4f}", "log 2 − 1/4 vs 2 − log 2", exact))
    infinite = kl_divergence(Normal(0.0, 1.0), Exponential(1.0))
    rows.append(Row("support mismatch KL(Normal‖Exponential)", f"{infinite}", "inf",
                    infinite == np.inf))

    # sampling: moments and the score identity E_q[∇ log q] = 0, in standard errors
    samplers = [(name, q) for name, q, _ in families]
    samplers += [("MultivariateNormal", mvn), ("Categorical", categorical)]
    worst_moment = worst_score = 0.0
    for name, q in samplers:
        if name == "LogNormal":  # heavy tails: keep the fourth moment, and so the SE, reliable
            q = LogNormal(loc, np.minimum(scale, 0.5))
        draws = q.sample(20000, rng=rng)
        worst_moment = max(worst_moment, standard_errors_off(draws, q.mean),
                           standard_errors_off((draws - q.mean) ** 2, q.variance))
        scores = q.log_prob_grad(draws).values()
        worst_score = max(worst_score, *(standard_errors_off(score, 0.0) for score in scores))
    rows.append(Row("sample mean and variance, six families", f"max {worst_moment:.2f} SE",
                    "<= 4 SE", worst_moment <= 4))
    rows.append(Row("score identity E_q[∇ log q] = 0, six families", f"max {worst_score:.2f} SE",
                    "<= 4 SE", worst_score <= 4))
    return rows


@section("Latent variable models and the ELBO: exact evidence, log p = ELBO + KL, learning PPCA")
def latent_variable_models_and_elbo(rng):
    import scipy.integrate
    import scipy.special
    import scipy.stats

    from . import kl
    from .distributions import Categorical, Gamma, LogNormal, MultivariateNormal, Normal
    from .elbo import elbo_decomposition, elbo_monte_carlo
    from .learning import fit_linear_gaussian, ppca_maximum_likelihood
    from .models import (GammaPoisson, GaussianMixture, LinearGaussian,
                         log_marginal_candidate, log_marginal_monte_carlo)

    def relative_error(actual, expected):
        return float(np.max(np.abs(np.asarray(actual) - expected) / np.maximum(1.0, np.abs(expected))))

    def agreement_row(check, error, tolerance, label="rel err"):
        return Row(check, f"{label} {error:.1e}", f"<= {tolerance:.0e}", error <= tolerance)

    def positive_quadrature(function, split):
        return sum(scipy.integrate.quad(function, lo, hi, epsabs=0.0, epsrel=1e-12, limit=200)[0]
                   for lo, hi in ((0.0, split), (split, np.inf)))

    linear = LinearGaussian(rng.standard_normal((8, 3)), rng.standard_normal(8), rng.uniform(0.2, 1.5, 8))
    factor = rng.standard_normal((3, 2, 2))
    mixture = GaussianMixture(rng.dirichlet(np.full(3, 3.0)), 2 * rng.standard_normal((3, 2)),
                              factor @ np.swapaxes(factor, -1, -2) + 0.5 * np.eye(2))
    counts_model, counts = GammaPoisson(2.5, 1.5), rng.poisson(2.0, 6).astype(float)
    x, points = linear.sample(5, rng)[0], mixture.sample(5, rng)[0]
    rows = []

    # the exact evidence of each model against an independent evaluation
    scipy_marginal = scipy.stats.multivariate_normal(linear.b, linear.marginal_covariance)
    error = relative_error(linear.log_marginal(x), scipy_marginal.logpdf(x))
    rows.append(agreement_row("LinearGaussian log p(x) (Woodbury, L×L Cholesky) vs scipy N(b, WWᵀ+Ψ)",
                              error, 1e-11))
    enumerated = scipy.special.logsumexp(
        [np.log(w) + scipy.stats.multivariate_normal(m, c).logpdf(points)
         for w, m, c in zip(mixture.weights, mixture.means, mixture.covariances)], axis=0)
    error = relative_error(mixture.log_marginal(points), enumerated)
    rows.append(agreement_row("GaussianMixture log p(x) vs scipy, summed over k", error, 1e-11))
    shift = counts_model.log_joint(counts, 2.0)  # keeps the integrand near 1 at its peak

    def joint(rate):
        log_prior = scipy.stats.gamma.logpdf(rate, 2.5, scale=1 / 1.5)
        return np.exp(log_prior + np.sum(scipy.stats.poisson.logpmf(counts, rate)) - shift)

    error = relative_error(counts_model.log_marginal(counts), shift + np.log(positive_quadrature(joint, 2.0)))
    rows.append(agreement_row("GammaPoisson log p(x) vs 1-D quadrature", error, 1e-9))

    candidates = [(linear, x[0], rng.standard_normal((6, 3))), (mixture, points[0], np.arange(3)),
                  (counts_model, counts, rng.uniform(0.1, 8.0, 6))]
    error = max(relative_error(log_marginal_candidate(m, d, z), m.log_marginal(d)) for m, d, z in candidates)
    rows.append(agreement_row("candidate's formula log p(x,z) − log p(z|x) at 6 z, 3 models (VI1.1)", error, 1e-10))

    # mean over 20 points per L: with one point the L = 5 error can fall within noise
    errors, mean_absolute, worst_off = [], [], []
    for n_latent in (1, 5, 20):
        model = LinearGaussian(rng.standard_normal((10, n_latent)), np.zeros(10), 0.5)
        evidence_points = model.sample(20, rng)[0]
        estimate, standard_error = log_marginal_monte_carlo(model, evidence_points, 2000, rng)
        error = estimate - model.log_marginal(evidence_points)
        errors.append(float(np.mean(error)))
        mean_absolute.append(float(np.mean(np.abs(error))))
        worst_off.append(float(np.max(np.abs(error) / standard_error)))
    ok = worst_off[0] <= 4 and mean_absolute[0] < mean_absolute[1] < mean_absolute[2]
    rows.append(Row("naive MC log p(x), D=10, S=2000, mean error over 20 x at L = 1, 5, 20",
                    " / ".join(f"{e:+.2g} (max {off:.0f} SE)" for e, off in zip(errors, worst_off)),
                    "L=1 <= 4 SE; |error| grows with L", ok))

    # the decomposition log p = ELBO + KL, with random q of every family
    lower = np.tril(0.3 * rng.standard_normal((5, 3, 3)), -1) + np.eye(3)
    q_gauss = MultivariateNormal(rng.standard_normal((5, 3)), scale_tril=lower)
    q_diag = Normal(rng.standard_normal((5, 3)), rng.uniform(0.3, 2.0, (5, 3)))
    q_labels = Categorical(probs=rng.dirichlet(np.ones(3), 5))
    q_rate = Gamma(rng.uniform(1.0, 8.0, 5), rng.uniform(1.0, 4.0, 5))
    settings = [(linear, x, q_gauss), (linear, x, q_diag), (mixture, points, q_labels), (counts_model, counts, q_rate)]
    residual = max(float(np.max(np.abs(elbo_decomposition(m, q, d).residual))) for m, d, q in settings)
    rows.append(agreement_row("log p(x) − ELBO(q) − KL(q‖p(z|x)) (kl module), random q, 4 families",
                              residual, 1e-10, "max"))
    gap = max(float(np.max(np.abs(m.log_marginal(d) - m.elbo(d, m.posterior(d))))) for m, d, _ in settings)
    rows.append(agreement_row("bound tight at q = posterior, 3 models", gap, 1e-10, "max gap"))
    off = 0.0
    for model, data, q in settings:
        estimate, standard_error = elbo_monte_carlo(model, q, data, 4000, rng)
        off = max(off, float(np.max(np.abs(estimate - model.elbo(data, q)) / standard_error)))
    rows.append(Row("closed-form ELBO vs elbo_monte_carlo, 4 families x 5 points", f"max {off:.2f} SE",
                    "<= 4 SE", off <= 4))

    # VI2.3: a Normal q against a positive latent, and the LogNormal fix
    normal_bound = counts_model.elbo(counts, Normal(2.0, 0.05))
    normal_kl = kl.kl_divergence(Normal(2.0, 0.05), counts_model.posterior(counts))
    q_law = scipy.stats.lognorm(s=0.3, scale=np.exp(0.7))

    def integrand(rate):
        return q_law.pdf(rate) * (counts_model.log_joint(counts, rate) - q_law.logpdf(rate))

    error = relative_error(counts_model.elbo(counts, LogNormal(0.7, 0.3)), positive_quadrature(integrand, np.exp(0.7)))
    rows.append(Row("VI2.3: ELBO, KL of Normal q on λ > 0; LogNormal q vs quadrature",
                    f"{normal_bound}, {normal_kl}; rel err {error:.1e}", "-inf, inf; <= 1e-9",
                    normal_bound == -np.inf and normal_kl == np.inf and error <= 1e-9))

    truth = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), 0.3)
    X = truth.sample(100, rng)[0]
    fit, oracle = fit_linear_gaussian(X, 2, rng=rng), ppca_maximum_likelihood(X, 2)
    best = scipy.stats.multivariate_normal(oracle.b, oracle.marginal_covariance).logpdf(X).sum()
    learned = float(np.sum(fit.model.log_marginal(X)))
    rows.append(agreement_row("PPCA by max ELBO (L-BFGS) vs Tipping–Bishop closed-form MLE",
                              abs(learned - best) / abs(best), 1e-6, "rel log-lik gap"))
    tightness = abs(fit.elbo * X.shape[0] - learned)
    rows.append(agreement_row("at the optimum: N·ELBO vs exact log p(X)", tightness, 1e-7, "abs diff"))
    return rows


@section("EM for Gaussian mixtures: tight E-step, argmax M-step, monotone ELBO, exact, = scikit-learn")
def em_for_gaussian_mixtures(rng):
    import warnings
    from fractions import Fraction

    import scipy.special
    import scipy.stats

    from . import autodiff as ad
    from .em import GaussianMixtureEM, e_step, m_step

    types = ("full", "tied", "diag", "spherical")
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -2.0]])
    labels = rng.integers(3, size=300)
    X = centres[labels] + rng.standard_normal((300, 3)) * [1.0, 0.5, 1.5]

    def dense(model):  # every component's D × D covariance, for scipy
        c, k, d = model.covariances, model.n_components, model.n_features
        kind = model.covariance_type
        if kind == "full":
            return c
        if kind == "tied":
            return np.repeat(c[None], k, axis=0)
        return np.stack([np.diag(v) for v in (c if kind == "diag" else np.outer(c, np.ones(d)))])

    def scipy_log_evidence(model, data):
        terms = [np.log(w) + scipy.stats.multivariate_normal(m, c).logpdf(data)
                 for w, m, c in zip(model.weights, model.means, dense(model))]
        return scipy.special.logsumexp(terms, axis=0)

    def fitted(kind, data=X, n_components=3, **options):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return GaussianMixtureEM(n_components, covariance_type=kind, **options).fit(data)

    def relative(found, expected):
        return float(np.max(np.abs(np.asarray(found) - expected)) / np.max(np.abs(expected)))

    rows = []
    fits = {kind: fitted(kind, reg_covar=0.0, tol=1e-8, rng=rng) for kind in types}
    error = max(relative(f.score_samples(X), scipy_log_evidence(f.model_, X))
                for f in fits.values())
    rows.append(Row("log p(x) of the fits, 4 covariance types, vs scipy.stats",
                    f"rel err {error:.1e}", "<= 1e-11", error <= 1e-11))
    gap = max(relative(e_step(f.model_, X)[1], np.mean(scipy_log_evidence(f.model_, X)))
              for f in fits.values())
    rows.append(Row("E-step: ELBO(θ, p(z|x)) = mean log p(x) (tight bound)", f"rel gap {gap:.1e}",
                    "<= 1e-12", gap <= 1e-12))
    change = min(float(np.min(np.diff(f.elbo_history_) / np.abs(f.elbo_history_[1:])))
                 for f in fits.values())
    steps = sum(len(f.elbo_history_) for f in fits.values())
    rows.append(Row(f"reg_covar = 0: ELBO after every E- and M-step never decreases ({steps} values)",
                    f"min rel change {change:+.1e}", ">= -1e-12", change >= -1e-12))

    # reg_covar = λ > 0: each M-step may lower the ELBO, by at most the decrease of
    # (λ/2N) Σₖ Nₖ tr(Σₖ⁻¹) (derivation 04, section 4), replayed with the public steps
    def trace_of_precisions(model):  # tr Σₖ⁻¹ = ‖Pₖ‖²_F
        return np.sum(np.reshape(model.precisions_cholesky**2, (model.n_components, -1)), axis=1)

    model = fitted("full", reg_covar=0.0, max_iter=0, rng=rng).model_
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
    rows.append(Row("reg_covar = 0.5, 10 M-steps: ELBO change >= penalty change",
                    f"largest fall {fall:.1e}, min slack {slack:+.1e}", "slack >= -1e-12",
                    slack >= -1e-12))

    # the M-step is the argmax: ∇ E_q[log p(X, Z | θ)] = 0 there, by autodiff, with
    # weights as softmax logits and the precision Cholesky factor P (Σ⁻¹ = P Pᵀ)
    responsibilities = rng.dirichlet(np.ones(3), size=len(X))
    model = m_step(X, responsibilities, "full", reg_covar=0.0)

    def expected_log_joint(logits, means, factor):
        projected = (X[None, :, :] - means[:, None, :]) @ factor
        log_det = ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
        log_density = (ad.reshape(log_det, (-1, 1)) - 1.5 * np.log(2 * np.pi)
                       - 0.5 * ad.sum(projected * projected, axis=-1))
        log_weights = ad.reshape(ad.log_softmax(logits), (-1, 1))
        return ad.sum(responsibilities.T * (log_weights + log_density))

    gradients = ad.grad(expected_log_joint, argnums=(0, 1, 2))(
        np.log(model.weights), model.means, model.precisions_cholesky)
    free = gradients[:2] + (np.triu(gradients[2]),)  # P is upper triangular
    largest = max(float(np.max(np.abs(g))) for g in free) / len(X)
    rows.append(Row("M-step (full): |∇ E_q[log p(X,Z|θ)]| / N at its result (autodiff)",
                    f"max {largest:.1e}", "<= 1e-11", largest <= 1e-11))

    far = 1e7 + X
    def exact_variance(column):  # in rational arithmetic, rounded once
        values = [Fraction(value) for value in column]
        mean = sum(values) / len(values)
        return float(sum((value - mean) ** 2 for value in values) / len(values))

    exact = np.array([exact_variance(column) for column in far.T.tolist()])
    worst = 0.0
    for kind in types:
        found = fitted(kind, data=far, n_components=1, reg_covar=0.0, max_iter=2).covariances_
        found = np.diagonal(found.reshape(3, 3)) if kind in ("full", "tied") else found[0]
        worst = max(worst, relative(found, exact.mean() if kind == "spherical" else exact))
    rows.append(Row("one-component variances, data offset 1e7, 4 types, vs exact rationals",
                    f"rel err {worst:.1e}", "<= 1e-9", worst <= 1e-9))

    try:
        from sklearn.mixture import GaussianMixture as SklearnMixture
    except ImportError:  # scikit-learn is optional (the "bench" extra)
        return rows
    worst = 0.0
    identities = {"full": np.tile(np.eye(3), (3, 1, 1)), "tied": np.eye(3), "diag": np.ones((3, 3)),
                  "spherical": np.ones(3)}
    for kind in types:
        start = dict(weights_init=np.full(3, 1 / 3), means_init=X[:3],
                     precisions_init=identities[kind])
        ours = fitted(kind, tol=0.0, max_iter=40, **start)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = SklearnMixture(3, covariance_type=kind, tol=0.0, max_iter=40, **start).fit(X)
        for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            worst = max(worst, relative(getattr(ours, name), getattr(theirs, name)))
        worst = max(worst, abs(ours.score(X) / theirs.score(X) - 1))
    rows.append(Row("40 iterations from the same start vs scikit-learn, 4 types",
                    f"rel diff {worst:.1e}", "<= 1e-8", worst <= 1e-8))
    return rows
