"""``vi-ref tour``: run every verification the package can make, and show it.

Each section checks one part of the lecture against an independent value and
returns rows ``(check, measured, criterion, ok)``; the tour prints one table per
section and fails (exit status 1) if any row fails. Sections are registered with
``@section`` in the order of the lecture.
"""

import time
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
        True if every row passed.
    """
    generator = np.random.default_rng(rng)
    all_ok = True
    for title, function in SECTIONS:
        if only and only.lower() not in title.lower():
            continue
        start = time.perf_counter()
        rows = function(generator)
        elapsed = time.perf_counter() - start
        passed = sum(row.ok for row in rows)
        out(f"\n== {title} ==")
        out(_table(rows))
        out(f"{passed}/{len(rows)} passed in {elapsed:.2f} s")
        all_ok &= passed == len(rows)
    out("\nAll checks passed." if all_ok else "\nSome checks FAILED.")
    return all_ok


@section("Gradients: every hand-written gradient and autodiff rule against finite differences")
def gradients(rng):
    from .registry import CASES, missing_gradients

    rows = []
    for case in CASES:
        checks = check_case(case, rng)
        worst = max(check.max_rel_error for check in checks)
        rows.append(
            Row(case.name, f"rel err {worst:.1e}", f"{case.method}, rtol {case.rtol:.0e}",
                all(check.ok for check in checks))
        )
    missing = sorted(missing_gradients(CASES))
    rows.append(
        Row("registry covers every public gradient",
            f"{len(missing)} missing" + (f": {', '.join(missing)}" if missing else ""),
            "0 missing", not missing)
    )
    return rows


@section("Distributions and KL: the variational families and KL(q ‖ p) against scipy")
def distributions_and_kl(rng):
    import scipy.integrate
    import scipy.stats

    from .distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
    from .kl import kl_divergence, kl_monte_carlo

    def relative_error(actual, expected):
        return float(np.max(np.abs(np.asarray(actual) - expected) / np.abs(expected)))

    def quadrature_kl(q_law, p_law, lower, upper):
        def integrand(z):
            log_q = q_law.logpdf(z)
            return np.exp(log_q) * (log_q - p_law.logpdf(z))

        return scipy.integrate.quad(integrand, lower, upper, epsabs=0.0, epsrel=1e-11, limit=500)[0]

    def standard_errors_off(values, expected):
        """max |mean − expected| / standard error over the entries (an entry that is
        constant and exact, such as the score above a Cholesky factor's diagonal, is 0 off)."""
        standard_error = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
        difference = np.abs(values.mean(axis=0) - expected)
        exact = difference == 0
        return float(np.max(np.where(exact, 0.0, difference / np.where(exact, 1.0, standard_error))))

    loc, scale = rng.normal(size=3), rng.uniform(0.3, 3.0, 3)
    rate, shape = rng.uniform(0.3, 3.0, 3), rng.uniform(0.5, 5.0, 3)
    probs = rng.dirichlet(np.ones(4), size=3)
    x = np.abs(rng.normal(size=(5, 3))) + 0.1
    families = [
        ("Normal", Normal(loc, scale), scipy.stats.norm(loc, scale)),
        ("Exponential", Exponential(rate), scipy.stats.expon(scale=1 / rate)),
        ("Gamma", Gamma(shape, rate), scipy.stats.gamma(shape, scale=1 / rate)),
        ("LogNormal", LogNormal(loc, scale), scipy.stats.lognorm(s=scale, scale=np.exp(loc))),
    ]
    rows = []
    for name, q, law in families:
        error = max(relative_error(q.log_prob(x), law.logpdf(x)), relative_error(q.entropy(), law.entropy()))
        rows.append(Row(f"{name} log_prob, entropy (batch of 3) vs scipy.stats", f"rel err {error:.1e}", "<= 1e-12", error <= 1e-12))
    covariance = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]])
    mvn, mvn_law = MultivariateNormal(loc, covariance_matrix=covariance), scipy.stats.multivariate_normal(loc, covariance)
    error = max(relative_error(mvn.log_prob(x), mvn_law.logpdf(x)), relative_error(mvn.entropy(), mvn_law.entropy()))
    rows.append(Row("MultivariateNormal log_prob, entropy vs scipy.stats", f"rel err {error:.1e}", "<= 1e-12", error <= 1e-12))
    categorical, labels = Categorical(probs=probs), rng.integers(0, 4, size=(5, 3))
    error = max(
        relative_error(categorical.log_prob(labels), scipy.stats.multinomial(1, probs).logpmf(np.eye(4)[labels])),
        relative_error(categorical.entropy(), scipy.stats.entropy(probs, axis=-1)),
    )
    rows.append(Row("Categorical log_prob, entropy vs scipy.stats", f"rel err {error:.1e}", "<= 1e-12", error <= 1e-12))

    (mq, mp), (sq, sp), (rq, rp), (aq, ap) = loc[:2], scale[:2], rate[:2], shape[:2]
    norm, gamma, expon, lognorm = scipy.stats.norm, scipy.stats.gamma, scipy.stats.expon, scipy.stats.lognorm
    pairs = [
        ("Normal‖Normal", Normal(mq, sq), Normal(mp, sp), norm(mq, sq), norm(mp, sp), -np.inf),
        ("Exponential‖Exponential", Exponential(rq), Exponential(rp), expon(scale=1 / rq), expon(scale=1 / rp), 0.0),
        ("Gamma‖Gamma", Gamma(aq, rq), Gamma(ap, rp), gamma(aq, scale=1 / rq), gamma(ap, scale=1 / rp), 0.0),
        ("Exponential‖Gamma", Exponential(rq), Gamma(ap, rp), expon(scale=1 / rq), gamma(ap, scale=1 / rp), 0.0),
        ("Gamma‖Exponential", Gamma(aq, rq), Exponential(rp), gamma(aq, scale=1 / rq), expon(scale=1 / rp), 0.0),
        ("LogNormal‖LogNormal", LogNormal(mq, sq), LogNormal(mp, sp), lognorm(s=sq, scale=np.exp(mq)), lognorm(s=sp, scale=np.exp(mp)), 0.0),
    ]
    for name, q, p, q_law, p_law, lower in pairs:
        error = relative_error(kl_divergence(q, p), quadrature_kl(q_law, p_law, lower, np.inf))
        rows.append(Row(f"KL {name} vs quadrature of q log(q/p)", f"rel err {error:.1e}", "<= 1e-8", error <= 1e-8))
    error = relative_error(kl_divergence(Categorical(probs=probs), Categorical(logits=np.log(probs[:, ::-1]))), scipy.stats.entropy(probs, probs[:, ::-1], axis=-1))
    rows.append(Row("KL Categorical‖Categorical vs enumeration", f"rel err {error:.1e}", "<= 1e-12", error <= 1e-12))

    other = MultivariateNormal(loc[::-1], scale_tril=np.linalg.cholesky(covariance[::-1, ::-1] + np.eye(3)))
    z = mvn_law.rvs(size=40000, random_state=rng)
    log_ratio = mvn_law.logpdf(z) - scipy.stats.multivariate_normal(other.loc, other.covariance_matrix).logpdf(z)
    off = standard_errors_off(log_ratio, kl_divergence(mvn, other))
    rows.append(Row("KL MultivariateNormal‖MVN vs Monte Carlo (scipy samples)", f"{off:.2f} SE", "<= 4 SE", off <= 4))
    estimate, standard_error = kl_monte_carlo(mvn, other, 40000, rng=rng)
    off = abs(estimate - kl_divergence(mvn, other)) / standard_error
    rows.append(Row("kl_monte_carlo vs closed form (MVN)", f"{off:.2f} SE", "<= 4 SE", off <= 4))

    all_pairs = [(q, p) for _, q, p, *_ in pairs] + [(mvn, other)]
    worst_self = max(abs(float(kl_divergence(q, q))) for q, _ in all_pairs)
    smallest = min(float(kl_divergence(q, p)) for q, p in all_pairs)
    rows.append(Row("KL(q‖q) = 0 and KL(q‖p) > 0 over the pairs above", f"max |KL(q‖q)| {worst_self:.0e}, min KL {smallest:.2g}", "<= 1e-14, > 0", worst_self <= 1e-14 and smallest > 0))
    forward, backward = kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0)), kl_divergence(Normal(1.0, 2.0), Normal(0.0, 1.0))
    rows.append(Row("asymmetry: KL(N(0,1)‖N(1,4)) vs KL(N(1,4)‖N(0,1))", f"{forward:.4f} vs {backward:.4f}", "log 2 − 1/4 vs 2 − log 2", abs(forward - (np.log(2) - 0.25)) < 1e-15 and abs(backward - (2 - np.log(2))) < 1e-15))
    infinite = kl_divergence(Normal(0.0, 1.0), Exponential(1.0))
    rows.append(Row("support mismatch KL(Normal‖Exponential)", f"{infinite}", "inf", infinite == np.inf))

    samplers = [(name, q) for name, q, _ in families] + [("MultivariateNormal", mvn), ("Categorical", categorical)]
    worst_moment = worst_score = 0.0
    for name, q in samplers:
        if name == "LogNormal":  # heavy tails: keep the fourth moment, and so the SE, reliable
            q = LogNormal(loc, np.minimum(scale, 0.5))
        draws = q.sample(20000, rng=rng)
        worst_moment = max(worst_moment, standard_errors_off(draws, q.mean), standard_errors_off((draws - q.mean) ** 2, q.variance))
        worst_score = max(worst_score, *(standard_errors_off(g, 0.0) for g in q.log_prob_grad(draws).values()))
    rows.append(Row("sample mean and variance, six families", f"max {worst_moment:.2f} SE", "<= 4 SE", worst_moment <= 4))
    rows.append(Row("score identity E_q[∇ log q] = 0, six families", f"max {worst_score:.2f} SE", "<= 4 SE", worst_score <= 4))
    return rows
