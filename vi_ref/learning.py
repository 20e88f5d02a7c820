"""Learning by maximising the ELBO: the lecture's "Putting everything together".

The model is the ``LinearGaussian`` p_θ(x, z) with θ = (W, b, Ψ); each data point
gets its own Gaussian q_φᵢ(zᵢ) = N(mᵢ, Rᵢ Rᵢᵀ) (mean field, lecture "Mean Field
Assumption for Parametric Distributions"), and

    max_{θ, φ} L(θ, φ) = (1/N) Σᵢ ELBO(xᵢ; θ, φᵢ)

is solved with the closed-form ELBO and its hand-written gradient
(``LinearGaussian.elbo`` and ``elbo_grad``): plain gradient ascent, as in the lecture,
or L-BFGS (``scipy.optimize.minimize``) with the same analytic gradient.

Both optimisers work on one unconstrained vector, so that every step is valid:
ψ = exp(log ψ) (one log σ² for isotropic noise, PPCA; D of them for factor
analysis) and Rᵢ = strict-lower(Aᵢ) + diag(exp(log dᵢ)), a Cholesky factor for every
real Aᵢ, dᵢ. The chain rule through these maps is written out by hand in
``LinearGaussianELBO.objective_grad``.

At a maximum each qᵢ is the exact posterior (the bound is tight) and θ maximises the
evidence itself; with isotropic noise that is the closed-form PPCA maximum-likelihood
estimate of Tipping & Bishop (1999), ``ppca_maximum_likelihood``.
Derivation: ``derivations/03-latent-variable-models-and-the-elbo.md``, "Learning".
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from .distributions import MultivariateNormal
from .elbo import dataset_elbo, dataset_elbo_grad
from .models.linear_gaussian import LinearGaussian
from .validation import (
    as_float_array,
    as_generator,
    check_count,
    check_flag,
    check_positive,
    check_size,
    check_tolerance,
)

__all__ = [
    "LinearGaussianELBO",
    "LearningResult",
    "fit_linear_gaussian",
    "ppca_maximum_likelihood",
]

OPTIMIZERS = ("lbfgs", "gradient_ascent")


def _check_data(X, n_latent):
    X = as_float_array(X, "X", ndim=2)
    n_samples, n_features = X.shape
    n_latent = check_count(n_latent, "n_latent", minimum=1)
    if n_samples < 2:
        raise ValueError(f"X must have at least 2 rows (data points); got shape {X.shape}")
    if n_latent >= n_features:
        raise ValueError(f"n_latent must be smaller than the {n_features} columns of X; got {n_latent}")
    return X, n_latent


class LinearGaussianELBO:
    """The dataset ELBO (1/N) Σᵢ ELBO(xᵢ; θ, φᵢ) of a ``LinearGaussian`` with one
    Gaussian qᵢ per data point, as a function of one unconstrained vector.

    The vector is the concatenation of W (D·L), b (D), log ψ (1 if isotropic, else D),
    the means mᵢ (N·L), the strictly-lower entries of the Aᵢ (N·L(L−1)/2) and the
    log-diagonals log dᵢ (N·L), with Rᵢ = strict-lower(Aᵢ) + diag(dᵢ).

    Args:
        X: (N, D) data set.
        n_latent: L < D.
        isotropic: one noise variance σ² (PPCA) or one per feature (factor analysis).
    """

    def __init__(self, X, n_latent, *, isotropic=True):
        self.X, self.n_latent = _check_data(X, n_latent)
        self.isotropic = check_flag(isotropic, "isotropic")
        n_samples, n_features = self.X.shape
        L = self.n_latent
        self._lower = np.tril_indices(L, k=-1)
        sizes = {
            "W": n_features * L,
            "b": n_features,
            "log_noise_var": 1 if self.isotropic else n_features,
            "loc": n_samples * L,
            "lower": n_samples * len(self._lower[0]),
            "log_diagonal": n_samples * L,
        }
        self._slices, start = {}, 0
        for name, size in sizes.items():
            self._slices[name] = slice(start, start + size)
            start += size
        self.size = start
        self._shapes = {
            "W": (n_features, L),
            "b": (n_features,),
            "log_noise_var": () if self.isotropic else (n_features,),
            "loc": (n_samples, L),
            "lower": (n_samples, len(self._lower[0])),
            "log_diagonal": (n_samples, L),
        }

    def log_coordinate_bounds(self, width=60.0):
        """Box bounds for L-BFGS-B: each log-variance or log-scale within ``width`` of
        its natural scale (log of the mean column variance of X for log ψ, 0 for the
        log-diagonal of Rᵢ, whose posterior scale is at most the prior's 1), the other
        coordinates free. Without them a trial step of the line search can leave the
        float range (exp(log ψ) underflowing to 0) and the objective is undefined there;
        e^±60 never binds at a finite optimum of a well-posed problem.
        """
        centre = float(np.log(np.mean(np.var(self.X, axis=0)) + np.finfo(float).tiny))
        bounds = [(None, None)] * self.size
        for name, middle in (("log_noise_var", centre), ("log_diagonal", 0.0)):
            part = self._slices[name]
            bounds[part] = [(middle - width, middle + width)] * (part.stop - part.start)
        return bounds

    @property
    def local_coordinates(self):
        """The slice of the vector holding the per-data-point φᵢ (everything after θ)."""
        return slice(self._slices["loc"].start, self.size)

    def check_vector(self, vector, name="vector"):
        """``vector`` as a float array of this problem's size, or a ValueError naming
        ``name`` (the caller's argument)."""
        vector = as_float_array(vector, name, ndim=1)
        if vector.shape != (self.size,):
            raise ValueError(f"{name} must have {self.size} entries; got shape {vector.shape}")
        return vector

    def _split(self, vector):
        vector = self.check_vector(vector)
        return {name: vector[part].reshape(self._shapes[name]) for name, part in self._slices.items()}

    def unpack(self, vector):
        """(model, q): the LinearGaussian and the batched MultivariateNormal q (batch (N,))
        that ``vector`` represents."""
        parts = self._split(vector)
        n_samples, L = parts["loc"].shape
        scale_tril = np.zeros((n_samples, L, L))
        scale_tril[:, self._lower[0], self._lower[1]] = parts["lower"]
        scale_tril[:, np.arange(L), np.arange(L)] = np.exp(parts["log_diagonal"])
        model = LinearGaussian(parts["W"], parts["b"], np.exp(parts["log_noise_var"]))
        return model, MultivariateNormal(parts["loc"], scale_tril=scale_tril)

    def pack(self, model, q):
        """The vector of ``model`` and ``q`` (inverse of ``unpack``)."""
        n_samples = self.X.shape[0]
        if model.noise_var.shape != self._shapes["log_noise_var"]:
            raise ValueError(
                f"model.noise_var must have shape {self._shapes['log_noise_var']} for isotropic={self.isotropic};"
                f" got {model.noise_var.shape}"
            )
        scale_tril = np.broadcast_to(q.scale_tril, (n_samples, self.n_latent, self.n_latent))
        parts = [
            model.W,
            model.b,
            np.log(model.noise_var),
            np.broadcast_to(q.loc, (n_samples, self.n_latent)),
            scale_tril[:, self._lower[0], self._lower[1]],
            np.log(np.diagonal(scale_tril, axis1=-2, axis2=-1)),
        ]
        return np.concatenate([np.ravel(part) for part in parts])

    def initial(self, rng=None):
        """A starting point: W with N(0, 0.1²) entries, b = 0, unit noise, qᵢ = N(0, I)."""
        generator = as_generator(rng)
        vector = np.zeros(self.size)
        vector[self._slices["W"]] = 0.1 * generator.standard_normal(self._shapes["W"]).ravel()
        return vector

    def objective(self, vector):
        """L(θ, φ) = (1/N) Σᵢ ELBO(xᵢ; θ, φᵢ) at the unconstrained ``vector``."""
        model, q = self.unpack(vector)
        return dataset_elbo(model, q, self.X)

    def objective_grad(self, vector):
        """∇L in the unconstrained coordinates, from ``LinearGaussian.elbo_grad`` by
        the chain rule:

            ∂L/∂log ψ = ψ ⊙ ∂L/∂ψ
            ∂L/∂Aᵢ,jk = ∂L/∂Rᵢ,jk  (j > k)
            ∂L/∂log dᵢ,j = dᵢ,j ∂L/∂Rᵢ,jj

        from ``dataset_elbo_grad`` (which carries the 1/N of the mean over data points).
        """
        model, q = self.unpack(vector)
        grads_theta, grads_phi = dataset_elbo_grad(model, q, self.X)
        L = q.loc.shape[-1]
        grad_factor = grads_phi["scale_tril"]
        diagonal = np.arange(L)
        parts = [
            grads_theta["W"],
            grads_theta["b"],
            model.noise_var * grads_theta["noise_var"],
            grads_phi["loc"],
            grad_factor[:, self._lower[0], self._lower[1]],
            grad_factor[:, diagonal, diagonal] * q.scale_tril[:, diagonal, diagonal],
        ]
        return np.concatenate([np.ravel(part) for part in parts])


@dataclass
class LearningResult:
    """Outcome of ``fit_linear_gaussian``.

    Attributes:
        model: the fitted ``LinearGaussian``. q: the fitted qᵢ (batch (N,)).
        elbo: the final dataset ELBO (1/N) Σᵢ ELBO(xᵢ, qᵢ).
        trace: the dataset ELBO after every step (gradient ascent) or iteration (L-BFGS).
        n_iter: steps or iterations taken. converged: whether the optimiser's
        stopping test was met (L-BFGS); gradient ascent runs its given number of steps.
        vector: the unconstrained parameters (see ``LinearGaussianELBO``).
    """

    model: LinearGaussian
    q: MultivariateNormal
    elbo: float
    trace: list = field(repr=False)
    n_iter: int
    converged: bool
    vector: np.ndarray = field(repr=False)


def fit_linear_gaussian(
    X,
    n_latent,
    *,
    optimizer="lbfgs",
    isotropic=True,
    steps=1000,
    learning_rate=0.05,
    tol=1e-10,
    init=None,
    rng=None,
):
    """Maximise the mean-field dataset ELBO of a ``LinearGaussian`` over θ and all φᵢ.

    ``optimizer="gradient_ascent"`` is the lecture's recipe, v ← v + η ∇ᵥ L, with one
    refinement: each φᵢ enters L only through ELBOᵢ/N, so its gradient is N times
    smaller than θ's; the local coordinates take steps of N·η (equivalently, each φᵢ
    ascends its own ELBOᵢ while θ ascends the average). ``"lbfgs"`` minimises −L
    with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` and the same
    analytic gradient, stopping (``converged=True``) when the largest gradient entry
    is below ``tol`` or when an iteration can no longer decrease −L at all (``ftol=0``:
    the objective is at its rounding floor, where on ill-conditioned data the
    gradient can still be ≈ 1e-7 above a tiny ``tol``), on the standardised data x̃ = (x − x̄)/s (s: the standard deviation of all entries):
    with W = s W̃, b = x̄ + s b̃, ψ = s² ψ̃ and the same qᵢ, every ELBOᵢ is its
    standardised value − D log s exactly, so the optimum maps back exactly, and the
    gradient test means the same for data of any scale (on the raw data a gradient in
    W scales like 1/s: at s = 1e6 the absolute test passed far from the optimum).

    Args:
        X: (N, D) data. n_latent: L < D.
        optimizer: ``"lbfgs"`` or ``"gradient_ascent"``.
        isotropic: PPCA noise σ² I (default) or factor-analysis noise diag(ψ).
        steps: gradient-ascent steps, or the L-BFGS iteration limit (at most
            ``validation.MAX_ELEMENTS``).
        learning_rate: η of gradient ascent.
        tol: L-BFGS stopping tolerance on the projected gradient (finite, ≥ 0);
            the run also stops, converged, where −L stops decreasing.
        init: a starting vector (default ``LinearGaussianELBO.initial(rng)``).
        rng: Generator, int seed or None, for the default start.

    Returns:
        LearningResult.

    Raises:
        ValueError: where the ELBO is unbounded: X in an affine subspace of dimension
            ≤ L (both noise models), or a constant column (factor analysis).
    """
    problem = LinearGaussianELBO(X, n_latent, isotropic=isotropic)
    # an unbounded ELBO is refused (the eigenvalues' ratios do not depend on X's scale,
    # which here keeps their squares inside the float range)
    spread = float(np.max(np.abs(problem.X - problem.X.mean(axis=0)))) or 1.0
    _discarded_variance(_sample_covariance_eigen(problem.X / spread)[0], n_latent)
    if not isotropic and np.any(np.ptp(problem.X, axis=0) == 0):
        column = int(np.argmax(np.ptp(problem.X, axis=0) == 0))
        raise ValueError(f"column {column} of X is constant: its maximum-likelihood noise variance ψ is 0 and the"
                         " factor-analysis ELBO is unbounded")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {optimizer!r}")
    # the trace keeps one value per step: a count beyond the memory bound would
    # run for days before failing
    steps = check_size(check_count(steps, "steps", minimum=1), "steps")
    tol = check_tolerance(tol, "tol")
    vector = problem.initial(rng) if init is None else problem.check_vector(init, "init").copy()
    if optimizer == "gradient_ascent":
        learning_rate = float(check_positive(as_float_array(learning_rate, "learning_rate", ndim=0), "learning_rate"))
        step_sizes = np.full(problem.size, learning_rate)
        step_sizes[problem.local_coordinates] *= problem.X.shape[0]
        trace = []
        for step in range(1, steps + 1):
            with np.errstate(over="ignore", under="ignore"):
                vector = vector + step_sizes * problem.objective_grad(vector)
                try:
                    trace.append(problem.objective(vector))
                except ValueError as error:  # a log-variance or log-scale left the float range
                    raise FloatingPointError(
                        f"gradient ascent diverged at step {step} ({error}); lower the learning_rate"
                        f" (now {learning_rate})"
                    ) from None
        n_iter, converged = steps, False
    else:
        centre, scale = _standardisation(problem.X)
        if not 1e-154 <= scale <= 1e154:  # the model's variances s²·ψ̃ would overflow, or lose digits as subnormals
            raise ValueError(f"X has a spread of {scale:.3g}, whose square (a variance) is outside float64's normal"
                             " range; rescale X")
        standard = LinearGaussianELBO((problem.X - centre) / scale, n_latent, isotropic=isotropic)
        start = standard.initial(rng) if init is None else standard.pack(
            *_rescale(*problem.unpack(vector), -centre / scale, 1 / scale))
        shift = problem.X.shape[1] * np.log(scale)  # ELBO = standardised ELBO − D log s
        trace = []
        result = scipy.optimize.minimize(
            lambda v: (-standard.objective(v), -standard.objective_grad(v)),
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=standard.log_coordinate_bounds(),
            callback=lambda v: trace.append(standard.objective(v) - shift),
            options={"maxiter": steps, "gtol": tol, "ftol": 0.0, "maxcor": 20},
        )
        vector = problem.pack(*_rescale(*standard.unpack(result.x), centre, scale))
        n_iter, converged = int(result.nit), bool(result.success)
    model, q = problem.unpack(vector)
    return LearningResult(model, q, problem.objective(vector), trace, n_iter, converged, vector)


def _standardisation(X):
    """(x̄, s): the column means and the standard deviation of all entries about them,
    computed from the deviations divided by the largest one, so that their squares
    neither overflow (data beyond 1e154) nor underflow (below 1e-162); s = 1 for
    constant data, which stay as they are."""
    centre = X.mean(axis=0)
    deviations = X - centre
    largest = float(np.max(np.abs(deviations)))
    if not 0 < largest < np.inf:
        return centre, 1.0
    return centre, largest * float(np.sqrt(np.mean((deviations / largest) ** 2)))


def _rescale(model, q, offset, scale):
    """The model of the data c + s x given the model of x, with q unchanged:
    W → s W, b → c + s b, ψ → s² ψ."""
    return LinearGaussian(scale * model.W, offset + scale * model.b, scale**2 * model.noise_var), q


def ppca_maximum_likelihood(X, n_latent):
    """The closed-form maximum-likelihood PPCA model (Tipping & Bishop 1999, eqs. 7–8).

    With the sample mean x̄ and the eigen-decomposition of the sample covariance
    S = (1/N) Σₙ (xₙ − x̄)(xₙ − x̄)ᵀ, eigenvalues λ₁ ≥ … ≥ λ_D and eigenvectors U:

        b = x̄,    σ² = (1/(D − L)) Σ_{j>L} λⱼ,    W = U_L (Λ_L − σ² I)^(1/2)

    (W is identified only up to a rotation W R; this is the R = I representative).
    The eigen-decomposition comes from the thin SVD of the centred data,
    X − x̄ = U' Σ Vᵀ, λ = Σ²/N and U = V, which avoids forming S (and U', N × N).

    Args:
        X: (N, D) data. n_latent: L < D.

    Returns:
        LinearGaussian with isotropic noise.

    Raises:
        ValueError: if X spans an affine subspace of dimension ≤ L (e.g. N ≤ L + 1):
            then σ² = 0 and the likelihood is unbounded.
    """
    X, n_latent = _check_data(X, n_latent)
    eigenvalues, components = _sample_covariance_eigen(X)
    noise_var = _discarded_variance(eigenvalues, n_latent)
    # here rank(X − x̄) > L, so the thin SVD has at least L + 1 components
    loadings = components[:n_latent].T * np.sqrt(np.maximum(eigenvalues[:n_latent] - noise_var, 0.0))
    return LinearGaussian(loadings, X.mean(axis=0), noise_var)


def _sample_covariance_eigen(X):
    """The eigenvalues λ₁ ≥ … ≥ λ_D of S = (1/N) Σₙ (xₙ − x̄)(xₙ − x̄)ᵀ and the
    eigenvectors (rows), from the thin SVD of the centred data."""
    _, singular_values, components = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    eigenvalues = np.zeros(X.shape[1])
    eigenvalues[: singular_values.size] = singular_values**2 / X.shape[0]
    return eigenvalues, components


def _discarded_variance(eigenvalues, n_latent):
    """(1/(D − L)) Σ_{j>L} λⱼ, refused where it is 0: X then lies in an affine subspace
    of dimension ≤ L, the maximum likelihood sits at a zero noise variance, and the
    likelihood (and the ELBO) is unbounded."""
    noise_var = np.mean(eigenvalues[n_latent:])
    # a rank-deficient X leaves round-off (~ε² λ₁), not 0, in the discarded eigenvalues
    if noise_var <= np.finfo(float).eps * eigenvalues[0]:
        raise ValueError(
            f"X lies in an affine subspace of dimension <= n_latent = {n_latent}: the maximum-likelihood"
            " noise variance is 0"
        )
    return noise_var
