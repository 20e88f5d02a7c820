"""``vi-ref figures``: the lecture's pictures, regenerated from vi_ref.

Each figure is a function ``draw(figure, rng) -> caption`` that plots on a
``matplotlib.figure.Figure`` and returns its caption: the claim it shows and the
derivation section that derives it. matplotlib (the ``plots`` extra) is imported
here only, inside ``write_figures``, and no pyplot state is touched: figures are
rendered by the Agg canvas, so no display is needed.
"""

from pathlib import Path

import numpy as np

__all__ = ["FIGURES", "write_figures"]

FIGURES = {}


def figure(name):
    """Register ``draw(figure, rng) -> caption`` under ``name``."""

    def register(draw):
        FIGURES[name] = draw
        return draw

    return register


def _grid(lower, upper, count=200):
    x, y = np.meshgrid(np.linspace(lower[0], upper[0], count), np.linspace(lower[1], upper[1], count))
    return x, y, np.stack([x, y], axis=-1)


@figure("gmm")
def gaussian_mixture_density_and_samples(fig, rng):
    from .models import GaussianMixture

    mixture = GaussianMixture(np.array([0.5, 0.3, 0.2]), np.array([[0.0, 0.0], [3.0, 2.0], [-2.0, 3.0]]),
                              np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.6, -0.3], [-0.3, 0.8]], [[0.4, 0.0], [0.0, 1.5]]]))
    x, y, points = _grid((-5, -3), (6, 7))
    density = np.exp(mixture.log_marginal(points.reshape(-1, 2))).reshape(x.shape)
    left, right = fig.subplots(1, 2, sharex=True, sharey=True)
    left.contourf(x, y, density, levels=20, cmap="viridis")
    left.set_title("(a) p(x) = Σₖ πₖ N(x | μₖ, Σₖ)")
    data, labels = mixture.sample(500, rng)
    right.scatter(data[:, 0], data[:, 1], c=labels, s=6, cmap="tab10")
    right.set_title("(b) samples: z ~ p(z), then x ~ p(x | z)")
    return ("A Gaussian mixture: each p(x|z = k) is simple, the marginal p(x) is not "
            "(GaussianMixture.log_marginal, .sample; derivation 03 §1).")


@figure("elbo-plus-kl")
def evidence_is_elbo_plus_kl(fig, rng):
    from .distributions import MultivariateNormal
    from .kl import kl_divergence
    from .models import LinearGaussian

    model = LinearGaussian(rng.standard_normal((4, 2)), np.zeros(4), 0.5)
    x = model.sample(1, rng)[0][0]
    posterior = model.posterior(x)
    shifts = np.linspace(-2.0, 2.0, 81)
    qs = [MultivariateNormal(posterior.loc + shift, scale_tril=posterior.scale_tril * np.exp(0.3 * shift))
          for shift in shifts]
    bounds = np.array([model.elbo(x, q) for q in qs])
    gaps = np.array([kl_divergence(q, posterior) for q in qs])
    axes = fig.subplots()
    axes.fill_between(shifts, bounds.min() - 0.5, bounds, alpha=0.4, label="ELBO(q)")
    axes.fill_between(shifts, bounds, bounds + gaps, alpha=0.4, label="KL(q ‖ p(z|x))")
    axes.axhline(model.log_marginal(x), color="k", linestyle="--", label="log p(x)")
    axes.set_xlabel("t: q = N(m + t, exp(0.6 t) S) around the posterior N(m, S)")
    axes.set_ylim(bounds.min() - 0.5, model.log_marginal(x) + 0.5)
    axes.legend()
    return ("log p(x) = ELBO(q) + KL(q ‖ p(z|x)) for every q: the two parts trade off, the sum is fixed, "
            "and the bound is tight at t = 0, q = p(z|x) (LinearGaussian.elbo, kl_divergence; derivation 03 §4).")


@figure("lower-bounds")
def family_of_lower_bounds(fig, rng):
    from .tour.lower_bounds import GRID, evidence_and_bounds

    evidence, bounds, _, _ = evidence_and_bounds(rng)
    axes = fig.subplots()
    axes.plot(GRID, evidence, color="k", linewidth=2.5, label="f(θ) = log p_θ(x)")
    for index in (1, 6, 12, 22):
        axes.plot(GRID, bounds[index], label=f"g(θ) = ELBO(θ, p_θ₀(z|x)), θ₀ = {GRID[index]:.2f}")
        axes.plot(GRID[index], evidence[index], "o", color="k")
    axes.set_ylim(evidence.min() - 1.5, evidence.max() + 0.3)
    axes.set_xlabel("θ = σ² (PPCA noise variance)")
    axes.legend(fontsize=8)
    return ("Maximisation using lower bounds: every ELBO curve lies below log p_θ(x) and touches it at its θ₀, "
            "so max over G and θ is at most max f (derivation 03 §3, 08 §3).")


@figure("good-and-bad-q")
def good_and_bad_q(fig, rng):
    import scipy.stats

    from .distributions import LogNormal
    from .models import GammaPoisson

    model, counts = GammaPoisson(2.5, 1.5), np.array([1.0, 3.0, 2.0, 2.0, 0.0, 4.0])
    posterior = model.posterior(counts)
    rate = np.linspace(1e-3, 5.0, 400)
    axes = fig.subplots()
    axes.plot(rate, scipy.stats.gamma.pdf(rate, posterior.concentration, scale=1 / posterior.rate),
              color="k", linewidth=2.5, label="p(λ | x)")
    evidence = model.log_marginal(counts)
    for name, loc, scale in (("q₁ (good)", 0.64, 0.26), ("q₂ (bad)", 1.2, 0.15)):
        bound = model.elbo(counts, LogNormal(loc, scale))
        axes.plot(rate, scipy.stats.lognorm.pdf(rate, s=scale, scale=np.exp(loc)),
                  label=f"{name}: ELBO {bound:.2f}, KL {evidence - bound:.2f}")
    axes.set_xlabel("λ")
    axes.legend()
    return (f"A good q (low KL, high ELBO) and a bad q against the posterior of a Gamma–Poisson model; "
            f"log p(x) = {evidence:.2f} = ELBO + KL for both (GammaPoisson.elbo; derivation 03 §4).")


@figure("mean-field")
def mean_field_against_a_correlated_posterior(fig, rng):
    import scipy.stats

    from .models import LinearGaussian

    model = LinearGaussian(np.array([[1.5, 1.2]]), np.zeros(1), 0.2)
    x = np.array([1.0])
    posterior = model.posterior(x)
    precision = np.linalg.inv(posterior.covariance_matrix)
    mean_field = np.diag(1 / np.diagonal(precision))
    xs, ys, points = _grid(posterior.loc - 2.5, posterior.loc + 2.5)
    axes = fig.subplots()
    for covariance, colour, name in ((posterior.covariance_matrix, "tab:blue", "p(z₁, z₂ | x)"),
                                     (mean_field, "tab:orange", "q₁(z₁) q₂(z₂), the mean-field optimum")):
        density = scipy.stats.multivariate_normal(posterior.loc, covariance).pdf(points)
        axes.contour(xs, ys, density, levels=4, colors=colour)
        axes.plot([], [], color=colour, label=name)
    correlation = posterior.covariance_matrix[0, 1] / np.sqrt(np.prod(np.diagonal(posterior.covariance_matrix)))
    axes.set_aspect("equal")
    axes.legend(loc="upper right", fontsize=8)
    return (f"Mean field against a correlated posterior (ρ = {correlation:.2f}): the optimum has variances 1/Λᵢᵢ, "
            f"too narrow, and leaves KL = −½ log(1 − ρ²) = {-0.5 * np.log1p(-correlation**2):.3f} (derivation 08 §8).")


@figure("estimator-variance")
def estimator_variance(fig, rng):
    from .estimators import suite

    def measured(problem, estimator, name, n=20000):
        return float(np.ravel(np.var(problem.estimate(estimator, n, rng)[name], axis=0, ddof=1))[0])

    labels = {"score_function": "score function", "score_function+constant": "score function, baseline E f",
              "reparameterization": "pathwise (reparameterisation)"}
    dimensions = np.array([1, 2, 5, 10, 20, 50, 100])
    left, right = fig.subplots(1, 2)
    for estimator, label in labels.items():
        exact = [suite.dimension_problem(d).variance(estimator)["scale"][0] for d in dimensions]
        points = [measured(suite.dimension_problem(d), estimator, "scale") for d in dimensions]
        line, = left.loglog(dimensions, exact, label=label)
        left.loglog(dimensions, points, "o", color=line.get_color())
    left.set_xlabel("dimension D  (q = N(1, I_D), f(z) = Σ z_d)")
    left.set_ylabel("per-sample variance of ∂/∂σ₁")
    left.legend(fontsize=7)
    frequencies = np.array([0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0])
    for estimator in ("score_function", "reparameterization"):
        exact = [suite.cosine_problem(k).variance(estimator)["loc"] for k in frequencies]
        points = [measured(suite.cosine_problem(k), estimator, "loc") for k in frequencies]
        line, = right.loglog(frequencies, exact, label=labels[estimator])
        right.loglog(frequencies, points, "o", color=line.get_color())
    right.set_xticks([], minor=True)
    right.set_xticks(frequencies, [f"{k:g}" for k in frequencies])
    right.set_xlabel("k  (q = N(0.5, 1), f(z) = cos(k z))")
    right.set_ylabel("per-sample variance of ∂/∂μ")
    right.legend(fontsize=7)
    return ("Estimator variance, exact (lines, vi_ref.estimators.suite) and measured (dots, S = 20000): the score "
            "function's grows with the dimension, the pathwise one's does not; for cos(kz) the pathwise variance grows "
            "as k²/2 and overtakes it (derivation 05 §2, §8).")


@figure("em-trace")
def em_trace(fig, rng):
    import warnings

    from .em import GaussianMixtureEM

    centres = np.array([[0.0, 0.0], [3.0, 1.0], [0.0, 4.0]])
    X = centres[rng.integers(3, size=400)] + rng.standard_normal((400, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # a deliberately poor start (all means in one corner), so that the climb is visible
        start = dict(weights_init=np.full(3, 1 / 3), means_init=np.array([[-1.0, -1.0], [-0.8, -1.0], [-1.0, -0.8]]),
                     precisions_init=np.tile(np.eye(2), (3, 1, 1)))
        fit = GaussianMixtureEM(3, tol=1e-10, max_iter=40, **start).fit(X)
    history = np.asarray(fit.elbo_history_)
    axes = fig.subplots()
    axes.plot(np.arange(len(history)) / 2, history, ".-")
    axes.set_xlabel("EM iteration (E- and M-steps as half steps)")
    axes.set_ylabel("ELBO per data point")
    return ("EM on a Gaussian mixture: the ELBO after every E-step and M-step never decreases "
            "(GaussianMixtureEM.elbo_history_; derivation 04 §4).")


@figure("cavi-trace")
def cavi_trace(fig, rng):
    from .cavi import UnitVarianceMixtureCAVI, exact_log_evidence

    centres = np.array([[-2.0, 0.0], [2.0, 0.5]])
    X = centres[rng.integers(2, size=10)] + rng.standard_normal((10, 2))
    fit = UnitVarianceMixtureCAVI(2, prior_variance=4.0, tol=1e-12, max_iter=30, rng=rng).fit(X)
    evidence = exact_log_evidence(X, 2, 4.0)
    axes = fig.subplots()
    updates = np.arange(len(fit.elbo_history_)) / 3  # q(c), q(μ₁), q(μ₂) per iteration
    axes.plot(updates, fit.elbo_history_, ".-", label="ELBO after each coordinate update")
    axes.axhline(evidence, color="k", linestyle="--", label="log p(x), enumerating all 2¹⁰ assignments")
    axes.axhline(evidence - np.log(2), color="tab:red", linestyle=":", label="log p(x) − log 2! (one labelling)")
    axes.set_xlabel("CAVI iteration")
    axes.set_ylabel("ELBO")
    axes.legend(fontsize=8)
    return ("CAVI on a unit-variance Bayesian mixture: every coordinate update raises the ELBO, which settles below "
            "log p(x): mean field picks one of the K! labellings, which costs about log K! where their modes do not "
            "overlap (vi_ref.cavi; derivation 07 §2, §3).")


@figure("svi-trace")
def svi_trace(fig, rng):
    from .distributions import MultivariateNormal, Normal
    from .kl import kl_divergence
    from .models import LinearGaussian
    from .vi import decay_schedule, fit

    model = LinearGaussian(np.array([[1.0, 0.8], [0.3, 1.2], [0.5, -0.4], [1.1, 0.9]]), np.zeros(4), 0.5)
    x = model.sample(1, rng)[0][0]
    posterior, evidence = model.posterior(x), model.log_marginal(x)
    precision = np.linalg.inv(posterior.covariance_matrix)
    best_factorised = MultivariateNormal(posterior.loc, scale_tril=np.diag(1 / np.sqrt(np.diagonal(precision))))
    mean_field_optimum = evidence - kl_divergence(best_factorised, posterior)
    axes = fig.subplots()
    for start, label in ((MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)), "full-covariance q"),
                         (Normal(np.zeros(2), np.ones(2)), "mean-field q")):
        result = fit(lambda z: model.log_joint(x, z), start, steps=1500, learning_rate=0.05, n_samples=4,
                     rng=rng, eval_every=10, schedule=decay_schedule(150, 0.75))
        axes.errorbar(result.trace_steps, result.trace, yerr=result.trace_standard_error, fmt=".", markersize=3,
                      label=f"SVI, {label} (estimate ± SE)")
    axes.axhline(evidence, color="k", linestyle="--", label="log p(x): optimum of the full-covariance family")
    axes.axhline(mean_field_optimum, color="tab:red", linestyle=":", label="log p(x) − KL(q*‖p): mean-field optimum")
    axes.set_ylim(mean_field_optimum - 1.5, evidence + 0.3)
    axes.set_xlabel("SVI step (Adam, reparameterisation, 4 samples)")
    axes.set_ylabel("ELBO")
    axes.legend(fontsize=7)
    return ("SVI's ELBO trace against the exact optima: the full-covariance q climbs to log p(x), the mean-field q "
            "to log p(x) − KL(q*‖p), the closed-form mean-field gap (vi.fit; derivation 06 §4, §5, 08 §8).")


@figure("em-cavi-svi")
def em_cavi_and_svi(fig, rng):
    from .cavi import exact_log_evidence
    from .tour.three_methods import COMPONENTS, PRIOR_VARIANCE, clustered_data, elbo_estimate, three_fits

    X = clustered_data(rng, n_points=10)
    fits = three_fits(X, rng, svi_steps=1500)
    evidence = exact_log_evidence(X, COMPONENTS, PRIOR_VARIANCE)
    cavi, svi = fits["cavi"], fits["svi"]
    svi_final, svi_error = elbo_estimate(fits["log_joint"], svi.q, rng)
    em_axes, cavi_axes, svi_axes = fig.subplots(1, 3, sharey=True)
    em_axes.plot(np.arange(len(fits["em_trace"])) / 2, fits["em_trace"], ".-", label="L(q, μ) ≤ log p(x | μ)")
    em_axes.set_title("(a) EM: μ a point", fontsize=9)
    em_axes.set_xlabel("iteration (E, M half steps)")
    em_axes.set_ylabel("bound")
    cavi_axes.plot(np.arange(len(cavi.elbo_history_)) / (COMPONENTS + 1), cavi.elbo_history_, ".-",
                   label=f"ELBO, final {cavi.lower_bound_:.2f}")
    cavi_axes.set_title("(b) CAVI: q(μ) q(c)", fontsize=9)
    cavi_axes.set_xlabel("iteration (each coordinate update)")
    svi_axes.errorbar(svi.trace_steps, svi.trace, yerr=svi.trace_standard_error, fmt=".", markersize=3,
                      label=f"ELBO ± SE, final {svi_final:.2f} ± {svi_error:.2f}")
    svi_axes.set_title("(c) SVI: q(μ), c summed out", fontsize=9)
    svi_axes.set_xlabel("step (Adam, 8 samples)")
    for axes in (em_axes, cavi_axes, svi_axes):
        axes.axhline(evidence, color="k", linestyle="--", label="log p(x) (enumerated)")
        axes.legend(fontsize=6, loc="lower right")
    low = min(fits["em_trace"][0], cavi.elbo_history_[0], cavi.lower_bound_) - 2.0
    em_axes.set_ylim(low, max(fits["em_trace"][-1], evidence) + 1.0)
    return ("EM, CAVI and SVI on one unit-variance mixture and one data set, from the same start: EM's bound is on "
            "log p(x | μ̂), here above log p(x) (a local maximum need not be); CAVI's and SVI's are on log p(x) and end "
            "below it. At the same q(μ), summing c out (SVI's bound) is at least CAVI's (Jensen); SVI's final q(μ) is "
            "another, so its final value need not be (vi_ref.tour.three_methods; derivation 07 §6).")


def write_figures(out, *, only=None, seed=0):
    """Render the figures (all, or the comma-separated names in ``only``) to
    ``out/<name>.png``; return [(path, caption)].

    Raises:
        ImportError: if matplotlib is not installed (``pip install 'vi-ref[plots]'``).
        ValueError: if ``only`` names a figure that does not exist, or none at all;
            if ``out`` is empty or an existing file.
        TypeError: if ``only`` is not a string (a list of names must be joined with commas).
    """
    if only is not None and not isinstance(only, str):  # ["gmm"] failed on str.split, naming neither only nor the fix
        raise TypeError(f"only must be a string of comma-separated figure names; got {type(only).__name__}")
    # a name given twice is drawn once
    names = list(FIGURES) if only is None else list(dict.fromkeys(name.strip() for name in only.split(",") if name.strip()))
    unknown = [name for name in names if name not in FIGURES]
    if unknown or not names:
        raise ValueError(f"only names {f'unknown figures {unknown}' if unknown else 'no figure'} ({only!r});"
                         f" the figures are {list(FIGURES)}")
    if isinstance(out, str) and not out:  # Path("") is the working directory
        raise ValueError("out must name a directory; got ''")
    if Path(out).exists() and not Path(out).is_dir():  # mkdir would say only "File exists"
        raise ValueError(f"out must name a directory; {str(out)!r} is a file")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("vi-ref figures needs matplotlib: pip install 'vi-ref[plots]'") from None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        fig = Figure(figsize=(9, 4.5) if name in ("gmm", "estimator-variance", "em-cavi-svi") else (6.5, 4.5), layout="constrained")
        # the generator depends on the figure, not on its place in ``only``: `--only NAME` redraws
        # the full run's figure
        caption = FIGURES[name](fig, np.random.default_rng([seed, list(FIGURES).index(name)]))
        fig.suptitle(caption, fontsize=7, wrap=True)
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        written.append((path, caption))
    return written
