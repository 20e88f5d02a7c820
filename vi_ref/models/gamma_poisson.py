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

from ..distributions import Gamma, LogNormal, Normal, gammaln_bregman
from ..validation import as_float_array, as_generator, check_count, check_positive, check_size, first_bad_index
from ._checks import data_batch_shape, require_family

__all__ = ["GammaPoisson"]


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
        return x

    @staticmethod
    def _check_rates(z):
        z = as_float_array(z, "z", finite=False)
        if np.isnan(z).any():
            raise ValueError(f"z must not be NaN; got NaN{first_bad_index(np.isnan(z))}")
        return z

    # ----- the model ----------------------------------------------------------

    def log_prior(self, z):
        """log p(λ) = α log β − lnΓ(α) + (α − 1) log λ − βλ for λ > 0, −∞ otherwise."""
        return self.prior.log_prob(self._check_rates(z))

    def log_likelihood(self, x, z):
        """log p(x | λ) = Σᵢ [xᵢ log λ − λ − lnΓ(xᵢ + 1)] for 0 < λ < ∞.

        For λ ≤ 0 (outside the prior's support, where p(x, λ) = 0) the value is −∞,
        and so it is for λ = +∞, the limit (e^(−nλ) wins over λ^S), not ∞ − ∞ = NaN.

        Args:
            x: (..., n) counts. z: rates λ whose shape broadcasts with x's leading axes (...).
        """
        x, z = self._check_counts(x), self._check_rates(z)
        inside = (z > 0) & (z < np.inf)
        rate = np.where(inside, z, 1.0)[..., None]
        log_pmf = x * np.log(rate) - rate - scipy.special.gammaln(x + 1)
        return np.where(inside, np.sum(log_pmf, axis=-1), -np.inf)[()]

    def log_joint(self, x, z):
        """log p(x, λ) = log p(λ) + log p(x | λ)."""
        return self.log_prior(z) + self.log_likelihood(x, z)

    def sample(self, n, rng=None, *, n_observations=1):
        """n draws of (x, λ): λ ~ Gamma(α, β), then ``n_observations`` counts xᵢ ~ Poisson(λ).

        Returns:
            x (n, n_observations) and z (n,).
        """
        n = check_count(n, "n")
        n_observations = check_count(n_observations, "n_observations", minimum=1)
        check_size(n, "n", per_unit=n_observations + 1)
        generator = as_generator(rng)
        z = self.prior.sample(n, generator)
        return generator.poisson(z[:, None], (n, n_observations)).astype(float), z

    def log_marginal(self, x):
        """The evidence, with S = Σᵢ xᵢ over the last axis and n its length:

            log p(x) = α log β − lnΓ(α) + lnΓ(α + S) − (α + S) log(β + n) − Σᵢ lnΓ(xᵢ + 1)

        from ∫₀^∞ λ^(α+S−1) e^(−(β+n)λ) dλ = Γ(α + S) / (β + n)^(α+S).
        """
        x = self._check_counts(x)
        alpha, beta = self.concentration, self.rate
        total, count = np.sum(x, axis=-1), x.shape[-1]
        # grouped so that terms of size α log α never cancel (α = β = 1e300 is exact):
        # lnΓ(α + S) − lnΓ(α) = B(α, α + S) + S ψ(α) for large α, and
        # α log β − α log(β + n) = −α log1p(n/β)
        if alpha < 10:
            log_gamma_ratio = scipy.special.gammaln(alpha + total) - scipy.special.gammaln(alpha)
        else:
            log_gamma_ratio = gammaln_bregman(alpha, alpha + total) + total * scipy.special.digamma(alpha)
        log_gamma_ratio = log_gamma_ratio - total * np.log(beta + count)
        return (
            log_gamma_ratio - alpha * np.log1p(count / beta) - np.sum(scipy.special.gammaln(x + 1), axis=-1)
        )[()]

    def _log_constant(self, x):
        """The part of log p(x, λ) free of λ: α log β − lnΓ(α) − Σᵢ lnΓ(xᵢ + 1)."""
        return (
            self.concentration * np.log(self.rate)
            - scipy.special.gammaln(self.concentration)
            - np.sum(scipy.special.gammaln(x + 1), axis=-1)
        )

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
            expected_log_rate = scipy.special.digamma(q.concentration) - np.log(q.rate)
            expected_rate = q.concentration / q.rate
        else:
            expected_log_rate = q.loc
            expected_rate = np.exp(q.loc + q.scale**2 / 2)
        total, count = np.sum(x, axis=-1), x.shape[-1]
        expected_log_joint = (
            self._log_constant(x)
            + (self.concentration + total - 1) * expected_log_rate
            - (self.rate + count) * expected_rate
        )
        return np.broadcast_to(expected_log_joint + q.entropy(), batch)[()]
