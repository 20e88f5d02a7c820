"""The Gamma–Poisson model: a latent variable with positive support.

    λ ~ Gamma(α, β)   (rate β: density βᵅ λᵅ⁻¹ e^(−βλ) / Γ(α) on λ > 0)
    xᵢ | λ ~ Poisson(λ),  i = 1, …, n,  independently

The Gamma prior is conjugate to the Poisson likelihood, so with S = Σᵢ xᵢ:

    p(λ | x) = Gamma(α + S, β + n)
    log p(x) = α log β − lnΓ(α) + lnΓ(α + S) − (α + S) log(β + n) − Σᵢ lnΓ(xᵢ + 1)

(a negative-binomial-type evidence). The latent λ lives on (0, ∞), which is what the
lecture's question VI2.3 is about: a variational q on all of ℝ (a Normal) puts mass
where p(x, λ) = 0, so its ELBO is −∞; a q on (0, ∞) (LogNormal, Gamma) gives a
finite bound. Derivation: ``derivations/03-latent-variable-models-and-the-elbo.md``.

One "data point" x is the vector of n counts observed under one λ (shape (..., n);
leading axes are independent data sets, each with its own λ).
"""

import numpy as np
import scipy.special

from .. import autodiff as ad
from ..distributions import (
    POSITIVE,
    STIRLING_THRESHOLD,
    Gamma,
    LogNormal,
    Normal,
    _stirling_remainder,
    _stirling_remainder_derivative,
    gamma_log_prob,
    gamma_mean_log,
    log1pmx,
)
from ..kl import kl_divergence
from ..numerics import LOG_2PI, sum_to_shape
from ..validation import MAX_ELEMENTS, as_float_array, as_generator, check_count, check_positive, first_bad_index
from ._checks import data_batch_shape, require_family

__all__ = ["GammaPoisson", "gamma_poisson_log_joint", "poisson_log_likelihood"]


def poisson_log_likelihood(x, z):
    """log p(x | λ) = Σᵢ [xᵢ log λ − λ − lnΓ(xᵢ + 1)] = S log λ − nλ − Σᵢ lnΓ(xᵢ + 1) for
    λ > 0, written with ``vi_ref.autodiff`` operations (z may be a Tensor).

    Args:
        x: (..., n) counts. z: rates λ > 0 broadcasting with x's leading axes (...).
    """
    count = np.shape(x)[-1]
    total = np.sum(x, axis=-1)
    log_factorials = np.sum(scipy.special.gammaln(np.asarray(x) + 1), axis=-1)
    return total * ad.log(z) - count * z - log_factorials


def _stirling_error(x):
    """δ(x) = lnΓ(x + 1) − (x + ½) log x + x − ½ log 2π ≈ 1/(12x), for x > 0.

    Since lnΓ(x + 1) = lnΓ(x) + log x, δ is Stirling's remainder S(x) of ``lnΓ(x)``;
    below 10 it comes from δ(x) = δ(x + 1) + (x + ½) log(1 + 1/x) − 1, applied ten
    times (each term ≥ 0; log(1 + 1/x) as log1p(x) − log x where 1/x may overflow)."""
    x = np.asarray(x, dtype=float)
    small = x < STIRLING_THRESHOLD
    total = _stirling_remainder(np.where(small, x + STIRLING_THRESHOLD, x))
    with np.errstate(over="ignore"):  # 1/x = ∞ where x is subnormal: the other branch
        for j in range(int(STIRLING_THRESHOLD)):
            m = x + j
            log_ratio = np.where(m < 1, np.log1p(m) - np.log(m), np.log1p(1 / m))
            total = total + np.where(small, (m + 0.5) * log_ratio - 1, 0.0)
    return total


def _deviance(x, mean):
    """x log(x/μ) + μ − x ≥ 0 for x, μ > 0 (Loader's bd0). Near μ = x, with
    v = (μ − x)/x, it is x (v − log(1 + v)) (``log1pmx``, exact where the terms
    cancel); elsewhere (μ − x) − x log(μ/x), the log from log μ − log x only where
    μ/x over- or underflows (there |log(μ/x)| > 700 and the difference is exact to
    its last bits)."""
    with np.errstate(over="ignore", under="ignore"):
        ratio, v = mean / x, (mean - x) / x
    near = np.abs(v) < 0.5
    representable = (ratio >= np.finfo(float).tiny) & (ratio < np.inf)
    with np.errstate(divide="ignore", over="ignore"):  # log 0 in the branch not taken; a
        log_ratio = np.where(representable, np.log(ratio), np.log(mean) - np.log(x))  # bd0 beyond
        return np.where(near, x * log1pmx(np.where(near, v, 0.0)), (mean - x) - x * log_ratio)  # range: +∞


def _log_binomial_term(x, y, p, q, log_p):
    """log [Γ(x + y + 1) / (Γ(x + 1) Γ(y + 1)) pˣ q^y] for x, y > 0 and p + q = 1 (a
    binomial probability of x successes in N = x + y trials), in Loader's form

        δ(N) − δ(x) − δ(y) − ½ log(2π xy/N) − bd0(x, Np) − bd0(y, Nq),

    from lnΓ(m + 1) = (m + ½) log m − m + ½ log 2π + δ(m) (δ ``_stirling_error``, bd0
    ``_deviance``): the terms of size N log N become deviances ≥ 0, so none cancel.
    Where N overflows, the deviances are taken at half size (bd0 is homogeneous of
    degree 1) and δ(N) = 0. A subnormal p (β ≪ n in ``_log_negative_binomial``) has
    lost bits, down to p = 0, that ``log_p`` = log p keeps: there bd0(x, Np) is
    (Np − x) − x (log N + log p − log x), the log no smaller than 708 − log(N/x) in
    size (N ≤ 1.8e308), so nothing cancels where x is not itself tiny."""
    with np.errstate(over="ignore"):
        scale = np.where(x + y < np.inf, 1.0, 0.5)
    half_or_whole = x * scale + y * scale
    log_total = np.log(half_or_whole) - np.log(scale)
    mean = half_or_whole * p
    lost = p < np.finfo(float).tiny
    deviance_x = np.where(lost, (mean - x * scale) - x * scale * (log_total + log_p - np.log(x)),
                          _deviance(x * scale, mean))
    deviances = deviance_x + _deviance(y * scale, half_or_whole * q)
    return (
        np.where(scale == 1, _stirling_error(half_or_whole), 0.0) - _stirling_error(x) - _stirling_error(y)
        - 0.5 * (LOG_2PI + np.log(x) + np.log(y) - log_total) - deviances / scale
    )


def _log_negative_binomial(total, alpha, p, q, log_p):
    """log NB(S; α, p) = lnΓ(α + S) − lnΓ(α) − lnΓ(S + 1) + α log p + S log q, the
    probability of the total count S = Σᵢ xᵢ, with p = β/(β + n), q = n/(β + n) and
    ``log_p`` = log p (given: −log1p(n/β) keeps it where p ≈ 1):

        −log1p(S/α) + ``_log_binomial_term``(α, S, p, q)   (S > 0),    α log p   (S = 0),

    as R's ``dnbinom``. At α = S = 1e300, β = n = 1 the lnΓ form subtracts numbers of
    size 1e303 to get −346.65."""
    counted = np.where(total > 0, total, 1.0)  # S = 0: the α log p branch
    with np.errstate(over="ignore"):  # S/α = ∞ for a subnormal α: there α + S = S
        ratio = counted / alpha
    log_share = np.where(ratio < np.inf, -np.log1p(ratio), np.log(alpha) - np.log(counted))  # log(α/(α + S))
    with np.errstate(over="ignore"):  # a log-probability below −1.8e308 is −∞, its float value
        loader = log_share + _log_binomial_term(alpha, counted, p, q, log_p)
        return np.where(total > 0, loader, alpha * log_p)


def _log_multinomial_uniform(x):
    """log [S! / Πᵢ xᵢ!  n^(−S)], the probability of the counts x (last axis, length n)
    given their total S, each count equally likely: a chain of binomials, count k of
    the rᵢ = Σ_{j≥k} xⱼ left falling in cell k with probability 1/(n − k),

        Σₖ log Binom(xₖ; xₖ + rₖ₊₁, 1/(n − k)),   each by ``_log_binomial_term``

    (xₖ = 0 gives rₖ₊₁ log(1 − π), rₖ₊₁ = 0 gives xₖ log π). lnΓ(S + 1) − Σᵢ lnΓ(xᵢ + 1)
    − S log n cancels: at x = (1e15, 1e15) its terms are 7e16 and the value −17.84."""
    rest = np.cumsum(x[..., ::-1], axis=-1)[..., ::-1]  # rest[..., k] = Σ_{j≥k} xⱼ
    count = x.shape[-1]
    result = np.zeros(x.shape[:-1])
    for k in range(count - 1):
        here, after = x[..., k], rest[..., k + 1]
        share, other = 1 / (count - k), (count - k - 1) / (count - k)
        both = (here > 0) & (after > 0)
        term = _log_binomial_term(np.where(both, here, 1.0), np.where(both, after, 1.0), share, other,
                                  -np.log(count - k))
        result = result + np.where(both, term, here * np.log(share) + after * np.log(other))
    return result


def _log_poisson(x, mean):
    """log Poisson(x | m) = x log m − m − lnΓ(x + 1) in Loader's form: −m at x = 0,
    else −δ(x) − ½ log(2πx) − bd0(x, m), every term ≤ 0 (no x log x cancels)."""
    counted = np.where(x > 0, x, 1.0)
    loader = -_stirling_error(counted) - 0.5 * np.log(2 * np.pi * counted) - _deviance(counted, mean)
    return np.where(x > 0, loader, -mean)


def _log_minus_digamma(a):
    """log a − ψ(a) > 0 (≈ 1/(2a)); for a ≥ 10 as 1/(2a) − S′(a), since
    ψ(a) = log a − 1/(2a) + S′(a), where log a and ψ(a) cancel."""
    small = a < STIRLING_THRESHOLD
    return np.where(small, np.log(np.where(small, a, 1.0)) - scipy.special.digamma(np.where(small, a, 1.0)),
                    0.5 / np.where(small, 1.0, a) - _stirling_remainder_derivative(np.where(small, 1.0, a)))


def gamma_poisson_log_joint(x, z, concentration, rate):
    """log p(x, λ) = log Gamma(λ | α, β) + Σᵢ [xᵢ log λ − λ − lnΓ(xᵢ + 1)] for λ > 0.

    Written with ``vi_ref.autodiff`` operations: Tensors are accepted for the rate z = λ
    and for the parameters α, β (the graph that checks ``GammaPoisson.log_joint_grad``).

    Args:
        x: (..., n) counts. z: rates λ > 0 broadcasting with x's leading axes (...).
    """
    return gamma_log_prob(z, concentration, rate) + poisson_log_likelihood(x, z)


class GammaPoisson:
    """λ ~ Gamma(concentration α, rate β), xᵢ | λ ~ Poisson(λ) i.i.d.

    Args:
        concentration: α > 0 (a scalar).
        rate: β > 0 (a scalar).

    Attributes:
        concentration, rate, params, prior (the ``Gamma`` prior), latent_shape ().

    Raises:
        ValueError: for parameters that are not positive, finite scalars.
    """

    parameter_names = ("concentration", "rate")
    latent_shape = ()
    latent_support = POSITIVE  # λ > 0: p(x, λ) = 0 elsewhere

    def __init__(self, concentration, rate):
        self.concentration = check_positive(as_float_array(concentration, "concentration", ndim=0), "concentration")
        self.rate = check_positive(as_float_array(rate, "rate", ndim=0), "rate")
        self.prior = Gamma(self.concentration, self.rate)

    @property
    def params(self):
        """Dict parameter name → array: concentration, rate."""
        return {name: getattr(self, name) for name in self.parameter_names}

    def __repr__(self):
        return f"GammaPoisson(concentration={float(self.concentration)}, rate={float(self.rate)})"

    # ----- validation -----------------------------------------------------

    @staticmethod
    def _check_counts(x):
        """x as a float array (..., n) of non-negative integer counts, n ≥ 1."""
        x = as_float_array(x, "x", min_ndim=1)
        if x.shape[-1] == 0:
            raise ValueError(f"x must hold at least one count in its last axis; got shape {x.shape}")
        bad = (x < 0) | (x != np.floor(x))
        if bad.any():
            raise ValueError(f"x must be non-negative integer counts; got {x[bad].flat[0]}{first_bad_index(bad)}")
        with np.errstate(over="ignore"):
            total = np.sum(x, axis=-1)
        if not np.all(np.isfinite(total)):  # S enters every formula: S log λ, Gamma(α + S, β + n)
            raise ValueError(
                f"x's counts must have a total within the float range (below 1.8e308) for each data set;"
                f" the total overflows{first_bad_index(~np.isfinite(total))}"
            )
        return x

    @staticmethod
    def _check_rates(z):
        z = as_float_array(z, "z", finite=False)
        if np.isnan(z).any():
            raise ValueError(f"z must not be NaN; got NaN{first_bad_index(np.isnan(z))}")
        return z

    @staticmethod
    def _check_positive_rates(z):
        """z (an array or a ``vi_ref.autodiff.Tensor``) with every rate finite and > 0,
        where log p(x, λ) is differentiable."""
        value = as_float_array(ad.value_of(z), "z")
        check_positive(value, "z")
        return z if isinstance(z, ad.Tensor) else value

    # ----- the model ----------------------------------------------------------

    def log_prior(self, z):
        """log p(λ) = α log β − lnΓ(α) + (α − 1) log λ − βλ for λ > 0, −∞ otherwise;
        for a ``vi_ref.autodiff.Tensor`` z of positive rates, the Tensor of that value."""
        if isinstance(z, ad.Tensor):
            return gamma_log_prob(self._check_positive_rates(z), self.concentration, self.rate)
        return self.prior.log_prob(self._check_rates(z))

    def log_likelihood(self, x, z):
        """log p(x | λ) = Σᵢ [xᵢ log λ − λ − lnΓ(xᵢ + 1)] for 0 < λ < ∞.

        For λ ≤ 0 (outside the prior's support, where p(x, λ) = 0) the value is −∞,
        and so it is for λ = +∞, the limit (e^(−nλ) wins over λ^S), not ∞ − ∞ = NaN.

        Args:
            x: (..., n) counts. z: rates λ whose shape broadcasts with x's leading axes (...),
                or a ``vi_ref.autodiff.Tensor`` of positive rates (``poisson_log_likelihood``).
        """
        if isinstance(z, ad.Tensor):
            return poisson_log_likelihood(self._check_counts(x), self._check_positive_rates(z))
        x, z = self._check_counts(x), self._check_rates(z)
        inside = (z > 0) & (z < np.inf)
        rate = np.where(inside, z, 1.0)[..., None]
        log_pmf = x * np.log(rate) - rate - scipy.special.gammaln(x + 1)
        return np.where(inside, np.sum(log_pmf, axis=-1), -np.inf)[()]

    def log_joint(self, x, z):
        """log p(x, λ) = log p(λ) + log p(x | λ), −∞ for λ ≤ 0.

        z may be a ``vi_ref.autodiff.Tensor`` of positive rates: the value is then the
        Tensor ``gamma_poisson_log_joint(x, z, α, β)``, differentiable in z."""
        if isinstance(z, ad.Tensor):
            x, z = self._check_counts(x), self._check_positive_rates(z)
            return gamma_poisson_log_joint(x, z, self.concentration, self.rate)
        return self.log_prior(z) + self.log_likelihood(x, z)

    def log_joint_grad(self, x, z):
        """Per-sample gradient of log p(x, λ), by hand, with S = Σᵢ xᵢ and n counts:

            ∂/∂λ = (α − 1 + S)/λ − β − n,    ∂/∂α = log β − ψ(α) + log λ,    ∂/∂β = α/β − λ

        Args:
            x: (..., n) counts. z: rates λ > 0, broadcasting with x's leading axes to B.

        Returns:
            dict "z", "concentration", "rate", each of shape B (not summed).

        Raises:
            ValueError: for a rate λ ≤ 0 or not finite (log p(x, λ) = −∞ around it).
        """
        x, z = self._check_counts(x), self._check_positive_rates(z)
        total, count = np.sum(x, axis=-1), x.shape[-1]
        batch = np.broadcast_shapes(total.shape, z.shape)
        alpha, beta = self.concentration, self.rate
        return {
            "z": np.broadcast_to((alpha - 1 + total) / z - beta - count, batch)[()],
            "concentration": np.broadcast_to(np.log(beta) - scipy.special.digamma(alpha) + np.log(z), batch)[()],
            "rate": np.broadcast_to(alpha / beta - z, batch)[()],
        }

    def sample(self, n, rng=None, *, n_observations=1):
        """n draws of (x, λ): λ ~ Gamma(α, β), then ``n_observations`` counts xᵢ ~ Poisson(λ).

        Returns:
            x (n, n_observations) and z (n,).
        """
        n = check_count(n, "n")
        n_observations = check_count(n_observations, "n_observations", minimum=1)
        if n * (n_observations + 1) > MAX_ELEMENTS:  # either count may be the huge one: name both
            raise ValueError(
                f"n = {n} draws of n_observations = {n_observations} counts ask for"
                f" {n * (n_observations + 1):.3g} values, more than the {MAX_ELEMENTS:.3g}"
                " (2 GiB of float64) one call may allocate"
            )
        generator = as_generator(rng)
        z = self.prior.sample(n, generator)
        return generator.poisson(z[:, None], (n, n_observations)).astype(float), z

    def log_marginal(self, x):
        """The evidence, with S = Σᵢ xᵢ over the last axis and n its length:

            log p(x) = α log β − lnΓ(α) + lnΓ(α + S) − (α + S) log(β + n) − Σᵢ lnΓ(xᵢ + 1)

        from ∫₀^∞ λ^(α+S−1) e^(−(β+n)λ) dλ = Γ(α + S) / (β + n)^(α+S). It is computed as
        the sum of two log-probabilities, each ≤ 0: the total S ~ NB(α, β/(β + n))
        (``_log_negative_binomial``) and the counts given S, multinomial with equal
        cells (``_log_multinomial_uniform``), both in Loader's saddle-point form, in
        which no terms of size α log α or S log S cancel.
        """
        x = self._check_counts(x)
        alpha, beta, count = self.concentration, self.rate, x.shape[-1]
        p, q = beta / (beta + count), count / (beta + count)
        with np.errstate(over="ignore"):  # n/β = ∞ for a subnormal β: there log p = log β − log n
            log_p = np.where(count / beta < np.inf, -np.log1p(count / beta), np.log(beta) - np.log(count))
        return (_log_negative_binomial(np.sum(x, axis=-1), alpha, p, q, log_p) + _log_multinomial_uniform(x))[()]

    def posterior(self, x):
        """p(λ | x) = Gamma(α + Σᵢ xᵢ, β + n), batch shape (...) for x of shape (..., n)."""
        x = self._check_counts(x)
        return Gamma(self.concentration + np.sum(x, axis=-1), self.rate + x.shape[-1])

    # ----- the closed-form ELBO -----------------------------------------------

    def elbo(self, x, q):
        """ELBO(x, q) = E_q[log p(x, λ)] + H[q], with

            E_q[log p(x, λ)] = α log β − lnΓ(α) − Σᵢ lnΓ(xᵢ + 1) + (α + S − 1) E_q[log λ] − (β + n) E_q[λ]

        which needs only two moments of q:
            Gamma(a, b):       E[log λ] = ψ(a) − log b,   E[λ] = a/b
            LogNormal(μ, σ):   E[log λ] = μ,             E[λ] = exp(μ + σ²/2)

        For a Gamma q the same value is computed as

            ELBO = E_q[log p(x | λ)] − KL(q ‖ p(λ)),   E_q[log p(x | λ)] = S E[log λ] − n E[λ] − Σᵢ lnΓ(xᵢ + 1)

        (E_q[log p(λ)] + H[q] = −KL(q ‖ p(λ))): the prior's part is then a divergence
        summed from non-negative terms (``vi_ref.kl``), where the form above subtracts
        terms of size α log α and loses the whole ELBO at α = 1e300.

        A ``Normal`` q has support ℝ but p(x, λ) = 0 for λ ≤ 0: q gives that set
        positive probability, on which log p(x, λ) = −∞, so E_q[log p(x, λ)] = −∞ and
        the ELBO is −∞ for *every* Normal (lecture question VI2.3). This is returned
        as ``-inf`` rather than raised: it is the value of the bound, and it shows why
        maximising it over the Normal family is ill-posed (every member ties at −∞).

        Args:
            x: (..., n) counts. q: a Gamma, LogNormal or Normal over λ (event shape
                ()), with a batch that broadcasts with x's leading axes.

        Returns:
            one ELBO per data set, of the broadcast batch shape.

        Raises:
            TypeError: for any other family. ValueError: for bad counts or shapes.
        """
        x = self._check_counts(x)
        require_family(q, (Gamma, LogNormal, Normal), "a distribution over the scalar rate λ")
        batch = data_batch_shape(x.shape[:-1], q.batch_shape)
        if isinstance(q, Normal):
            return np.full(batch, -np.inf)[()]
        if isinstance(q, Gamma):
            return np.broadcast_to(self._expected_log_likelihood(x, q) - kl_divergence(q, self.prior), batch)[()]
        # LogNormal(μ, σ): E[log λ] = μ and E[λ] = m = e^(μ + σ²/2). The prior's part,
        # α log β − lnΓ(α) + (α − 1) μ − β m, is log Gamma(m | α, β) + (α − 1)(μ − log m):
        # ``gamma_log_prob`` keeps the first accurate at huge α (its terms of size
        # α log α cancel there), and μ − log m = −σ²/2 exactly.
        # Where m is subnormal (log m loses bits), 0 or ∞, the prior's part is taken
        # from log m = μ + σ²/2 instead (``_log_prior_beyond_float_range``).
        with np.errstate(over="ignore", under="ignore"):
            expected_rate = np.exp(q.loc + q.scale**2 / 2)
        outside = (expected_rate < np.finfo(float).tiny) | (expected_rate == np.inf)
        expected_log_prior = (gamma_log_prob(np.where(outside, 1.0, expected_rate), self.concentration, self.rate)
                              - (self.concentration - 1) * q.scale**2 / 2)
        if np.any(outside):
            expected_log_prior = np.where(outside, self._log_prior_beyond_float_range(q, expected_rate),
                                          expected_log_prior)
        # E[log p(x | λ)] = S μ − n m − Σᵢ lnΓ(xᵢ + 1) = Σᵢ log Poisson(xᵢ | m) − S σ²/2
        # (μ = log m − σ²/2), as for a Gamma q (``_expected_log_likelihood``)
        total = np.sum(x, axis=-1)
        with np.errstate(over="ignore"):
            direct = total * q.loc - x.shape[-1] * expected_rate - np.sum(scipy.special.gammaln(x + 1), axis=-1)
        loader = (np.sum(_log_poisson(x, np.where(outside, 1.0, expected_rate)[..., None]), axis=-1)
                  - total * q.scale**2 / 2)
        expected_log_likelihood = np.where(outside, direct, loader)
        return np.broadcast_to(expected_log_likelihood + expected_log_prior + q.entropy(), batch)[()]

    def _log_prior_beyond_float_range(self, q, expected_rate):
        """α log β − lnΓ(α) + (α − 1) μ − β m for a LogNormal q whose m = e^(μ + σ²/2)
        is subnormal, underflowed to 0 or overflowed to ∞ (log m = μ + σ²/2 is finite).
        The Gamma log-density is linear in (log m, m), so from an anchor c inside the
        normal float range (the least normal float for a small m, the largest for ∞):

            log Gamma(m | α, β) + (α − 1)(μ − log m) = log Gamma(c | α, β) + (α − 1)(μ − log c) − β (m − c)

        with no log 0 or ∞ − ∞. For a small m, β m < 1.8e308 · 2.2e-308 = 4 enters as
        the float m holds it, with an error below β · 5e-324 < 1e-15, beneath the
        rounding of the ELBO (|μ| > 708 there); for m = ∞ it is −∞, the float value of a
        prior term below −β e^709.78."""
        tiny, huge = np.finfo(float).tiny, np.finfo(float).max
        anchor = np.where(expected_rate < tiny, tiny, huge)
        with np.errstate(over="ignore"):
            return (gamma_log_prob(anchor, self.concentration, self.rate)
                    + (self.concentration - 1) * (q.loc - np.log(anchor))
                    - self.rate * (expected_rate - anchor))

    def _expected_log_likelihood(self, x, q):
        """E_q[log p(x | λ)] = S E_q[log λ] − n E_q[λ] − Σᵢ lnΓ(xᵢ + 1) for a Gamma(a, b) q.

        With m = E[λ] = a/b and E[log λ] = log m − (log a − ψ(a)) it is

            Σᵢ log Poisson(xᵢ | m) − S (log a − ψ(a)),

        a sum of terms ≤ 0, the Poisson ones in Loader's form −δ(x) − ½ log 2πx −
        bd0(x, m) (``_log_poisson``): S E[log λ], n m and lnΓ(S + 1), each of size
        S log S, cancel in the first form (at S = 1e15 to within 3.7e-3 of the ELBO).
        Where m is not a normal float, the first form, whose S E[log λ] then dominates.
        """
        a, b = q.concentration, q.rate
        total, count = np.sum(x, axis=-1), x.shape[-1]
        with np.errstate(over="ignore", under="ignore"):
            mean = a / b
        normal = (mean >= np.finfo(float).tiny) & (mean < np.inf)
        safe_mean = np.where(normal, mean, 1.0)[..., None]
        loader = np.sum(_log_poisson(x, safe_mean), axis=-1) - total * _log_minus_digamma(a)
        with np.errstate(over="ignore"):
            direct = (total * gamma_mean_log(a, b) - count * mean
                      - np.sum(scipy.special.gammaln(x + 1), axis=-1))
        return np.where(normal, loader, direct)

    def elbo_grad(self, x, q):
        """Gradient of Σ ELBO(x, q) over the data sets, by hand. With S = Σᵢ xᵢ, n counts,
        and the two moments m₁ = E_q[log λ], m₂ = E_q[λ] of ``elbo``:

            ∂/∂α = m₁ − (ψ(α) − log β),    ∂/∂β = α/β − m₂
            Gamma(a, b) q:     ∂/∂a = (α + S − a) ψ′(a) − (β + n)/b + 1
                               ∂/∂b = ((β + n) a/b − (α + S))/b
            LogNormal(μ, σ) q: ∂/∂μ = (α + S − 1) − (β + n) e^(μ + σ²/2) + 1
                               ∂/∂σ = −(β + n) σ e^(μ + σ²/2) + 1/σ

        (m₁ = ψ(a) − log b, m₂ = a/b, H = a − log b + lnΓ(a) + (1 − a) ψ(a) for the
        Gamma; m₁ = μ, m₂ = e^(μ + σ²/2), H = μ + ½ log 2πeσ² for the LogNormal.)
        Each difference is grouped so that it is 0 at the posterior without
        cancelling terms of size α (ψ(α) − log β and m₁ from ``gamma_mean_log``).
        Derivation 05 checks them against ``estimators.elbo_gradient``.

        Returns:
            (grads_theta, grads_phi): {"concentration", "rate"} (scalars) and q's
            parameters, each of its parameter's shape (summed over the data sets it is
            shared by).

        Raises:
            ValueError: for a ``Normal`` q, whose ELBO is −∞ for every parameter value
                (no gradient). TypeError/ValueError as ``elbo``.
        """
        x = self._check_counts(x)
        require_family(q, (Gamma, LogNormal, Normal), "a distribution over the scalar rate λ")
        batch = data_batch_shape(x.shape[:-1], q.batch_shape)
        if isinstance(q, Normal):
            raise ValueError("q is a Normal: its ELBO is -inf for every loc and scale, so it has no gradient")
        total, count = np.sum(x, axis=-1), x.shape[-1]
        alpha, beta = self.concentration, self.rate
        shape_weight, rate_weight = alpha + total - 1, beta + count  # of m₁ and of m₂
        if isinstance(q, Gamma):
            a, b = q.concentration, q.rate
            expected_log_rate, expected_rate = gamma_mean_log(a, b), a / b
            grads_phi = {
                "concentration": (shape_weight + 1 - a) * scipy.special.polygamma(1, a) - rate_weight / b + 1,
                "rate": (rate_weight * expected_rate - (shape_weight + 1)) / b,
            }
        else:
            mu, sigma = q.loc, q.scale
            expected_log_rate, expected_rate = mu, np.exp(mu + sigma**2 / 2)
            grads_phi = {
                "loc": shape_weight - rate_weight * expected_rate + 1,
                "scale": -rate_weight * sigma * expected_rate + 1 / sigma,
            }
        grads_theta = {
            "concentration": expected_log_rate - gamma_mean_log(alpha, beta),
            "rate": alpha / beta - expected_rate,
        }
        summed_theta = {name: np.sum(np.broadcast_to(value, batch)) for name, value in grads_theta.items()}
        summed_phi = {
            name: sum_to_shape(np.broadcast_to(value, batch), np.shape(getattr(q, name)))
            for name, value in grads_phi.items()
        }
        return summed_theta, summed_phi
