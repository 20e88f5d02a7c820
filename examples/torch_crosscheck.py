"""Cross-check torch.distributions against vi_ref (optional: needs PyTorch).

Computes, with PyTorch in float64, the outputs of every reference case that
torch.distributions can express, from vi_ref's reference inputs; writes them as a
reference file in vi_ref's schema; and runs ``vi-ref crosscheck`` on it:

    python examples/torch_crosscheck.py [--out FILE.json] [--seed N]

(with vi_ref importable: installed with `pip install -e .`, or `PYTHONPATH=.` from
the repository root).

Exit status: that of ``vi-ref crosscheck`` (0 when every field matches).

Each conversion from PyTorch's conventions to vi_ref's is one commented line, as in
docs/conventions.md: per-sample scores and VJPs by one backward pass per sample
(PyTorch's autograd sums over everything it differentiates); the pathwise VJP with
respect to ``scale_tril`` kept on the lower triangle (``rsample`` multiplies by the
full matrix, so PyTorch's gradient has an upper triangle that vi_ref's parameter
does not have); ``rsample`` fed vi_ref's noise ε by replacing PyTorch's standard
normal draw (PyTorch's ``rsample`` returns z only and draws ε itself).
"""

import argparse
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    import torch
    import torch.distributions as D
except ImportError:
    sys.exit("examples/torch_crosscheck.py needs PyTorch (pip install torch); vi_ref itself does not")

from vi_ref import reference
from vi_ref.testing import reference_inputs

torch.set_default_dtype(torch.float64)


def tensor(array, grad=False):
    return torch.tensor(np.asarray(array), dtype=torch.float64 if np.asarray(array).dtype.kind == "f" else None,
                        requires_grad=grad)


def numpy(value):
    return value.detach().numpy()


# ----- families: vi_ref's parameters -> a torch distribution ---------------------

FAMILIES = {
    "Normal": (("loc", "scale"), lambda p: D.Normal(p["loc"], p["scale"])),
    "MultivariateNormal": (("loc", "scale_tril"), lambda p: D.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"])),
    "Exponential": (("rate",), lambda p: D.Exponential(p["rate"])),
    "Gamma": (("concentration", "rate"), lambda p: D.Gamma(p["concentration"], p["rate"])),
    "LogNormal": (("loc", "scale"), lambda p: D.LogNormal(p["loc"], p["scale"])),
    # torch normalises logits (log_softmax) and probs (p / Σp) as vi_ref does, so the
    # gradients with respect to the given parameter agree
    "CategoricalLogits": (("logits",), lambda p: D.Categorical(logits=p["logits"])),
    "CategoricalProbs": (("probs",), lambda p: D.Categorical(probs=p["probs"])),
}


def leaves(inputs, names, prefix=""):
    return {name: tensor(inputs[prefix + name], grad=True) for name in names}


def gradients(scalar, params):
    """d scalar / d params. A ``scale_tril`` gradient is kept on the lower triangle:
    vi_ref's parameter is the triangle, while some torch formulas (the trace term of
    KL(MVN ‖ MVN), ``rsample``'s matrix product) also read the zeros above it."""
    grads = torch.autograd.grad(scalar, list(params.values()), allow_unused=True, retain_graph=True)
    result = {}
    for (name, value), g in zip(params.items(), grads):
        g = np.zeros(tuple(value.shape)) if g is None else numpy(g)
        result[name] = np.tril(g) if name.endswith("scale_tril") else g
    return result


def kl_case(name, inputs):
    q_label, p_label = name[len("kl."):].split("-")
    (q_names, make_q), (p_names, make_p) = FAMILIES[q_label], FAMILIES[p_label]
    q_params, p_params = leaves(inputs, q_names, "q_"), leaves(inputs, p_names, "p_")
    value = D.kl_divergence(make_q(q_params), make_p(p_params))
    outputs = {"value": numpy(value)}
    if torch.isfinite(value).all():
        # vi_ref's KL gradients are those of the KL summed over the batch: sum, then backward
        grads = gradients(value.sum(), {**{f"q_{k}": v for k, v in q_params.items()},
                                        **{f"p_{k}": v for k, v in p_params.items()}})
        outputs.update({f"grad_{k}": v for k, v in grads.items()})
    return outputs


@contextlib.contextmanager
def standard_normal_noise(eps):
    """Make torch's rsample use vi_ref's base noise ε (torch draws its own inside)."""
    modules = [D.normal, D.multivariate_normal]
    saved = [module._standard_normal for module in modules]
    for module in modules:
        module._standard_normal = lambda shape, dtype, device: eps.expand(shape)
    try:
        yield
    finally:
        for module, original in zip(modules, saved):
            module._standard_normal = original


def distribution_case(name, inputs):
    label = name[len("distribution."):]
    names, make = FAMILIES[label]
    params = leaves(inputs, names)
    q = make(params)
    x = tensor(inputs["x"])
    outputs = {"log_prob": numpy(q.log_prob(x)), "entropy": numpy(q.entropy())}
    # the score is per value: one backward pass per draw n (autograd would sum over n);
    # parameters are not broadcast, so entry b of the batch sees only parameter b
    scores = [gradients(q.log_prob(x[n]).sum(), params) for n in range(x.shape[0])]
    outputs.update({f"score_{k}": np.stack([s[k] for s in scores]) for k in names})
    outputs.update({f"entropy_grad_{k}": v for k, v in gradients(q.entropy().sum(), params).items()})
    if "eps" in inputs:
        eps, cotangent = tensor(inputs["eps"]), tensor(inputs["cotangent"])
        if label == "Exponential":
            z = eps / params["rate"]  # torch's Exponential.rsample is exponential_() / rate; ε cannot be injected
        else:
            with standard_normal_noise(eps):
                z = q.rsample((eps.shape[0],))
        outputs["transform"] = numpy(z)
        vjps = [gradients((cotangent[n] * z[n]).sum(), params) for n in range(eps.shape[0])]
        outputs.update({f"transform_vjp_{k}": np.stack([v[k] for v in vjps]) for k in names})
    return outputs


# ----- the Gaussian mixture -------------------------------------------------------


def gmm_components(covariance_type, means, covariances, n_features):
    if covariance_type == "full":
        return D.MultivariateNormal(means, covariance_matrix=covariances)
    if covariance_type == "tied":
        return D.MultivariateNormal(means, covariance_matrix=covariances.expand(means.shape[0], -1, -1))
    variances = covariances if covariance_type == "diag" else covariances[:, None].expand(-1, n_features)
    return D.Independent(D.Normal(means, variances.sqrt()), 1)


def gmm_case(name, inputs):
    covariance_type = name[len("gmm."):]
    weights, means, covariances, X = (tensor(inputs[k]) for k in ("weights", "means", "covariances", "X"))
    reg_covar = float(inputs["reg_covar"])
    n_points, n_features = X.shape
    components = gmm_components(covariance_type, means, covariances, n_features)
    mixture = D.MixtureSameFamily(D.Categorical(probs=weights), components)
    log_joint = components.log_prob(X[:, None, :]) + weights.log()  # (N, K)
    responsibilities = torch.softmax(log_joint, dim=1)
    # one M-step (torch has no EM; these are the textbook updates, written in torch)
    counts = responsibilities.sum(0)
    new_means = responsibilities.T @ X / counts[:, None]
    centred = X[None, :, :] - new_means[:, None, :]  # (K, N, D)
    scatter = torch.einsum("nk,kni,knj->kij", responsibilities, centred, centred)
    eye = torch.eye(n_features)
    new_covariances = {
        "full": scatter / counts[:, None, None] + reg_covar * eye,
        "tied": scatter.sum(0) / n_points + reg_covar * eye,
        "diag": torch.diagonal(scatter, dim1=1, dim2=2) / counts[:, None] + reg_covar,
        "spherical": (torch.diagonal(scatter, dim1=1, dim2=2) / counts[:, None]).mean(1) + reg_covar,
    }[covariance_type]
    return {
        "log_likelihood": numpy(mixture.log_prob(X)),
        "responsibilities": numpy(responsibilities),
        "em_weights": numpy(counts / n_points),
        "em_means": numpy(new_means),
        "em_covariances": numpy(new_covariances),
    }


# ----- the linear-Gaussian model: evidence, posterior, ELBO = log p(x) − KL(q ‖ posterior)


def linear_gaussian_case(name, inputs):
    isotropic = name.endswith("isotropic")
    theta = leaves(inputs, ("W", "b", "noise_var"))
    q_names = ("loc", "scale_tril") if isotropic else ("loc", "scale")
    phi = leaves(inputs, q_names, "q_")
    W, b, noise_var = theta["W"], theta["b"], theta["noise_var"]
    x = tensor(inputs["x"])
    n_features, n_latent = W.shape
    noise = noise_var.expand(n_features)  # a scalar noise_var is PPCA: Ψ = σ² I
    evidence = D.LowRankMultivariateNormal(b, cov_factor=W, cov_diag=noise)
    log_marginal = evidence.log_prob(x)
    precision = torch.eye(n_latent) + (W.T / noise) @ W  # M = I + Wᵀ Ψ⁻¹ W
    posterior_covariance = torch.linalg.inv(precision)
    posterior_loc = torch.linalg.solve(precision, (W.T / noise) @ (x - b).T).T
    posterior = D.MultivariateNormal(posterior_loc, covariance_matrix=posterior_covariance)
    if isotropic:
        q = D.MultivariateNormal(phi["loc"], scale_tril=phi["scale_tril"])
    else:
        q = D.MultivariateNormal(phi["loc"], scale_tril=torch.diag_embed(phi["scale"]))
    elbo = log_marginal - D.kl_divergence(q, posterior)
    grads = gradients(elbo.sum(), {**theta, **{f"q_{k}": v for k, v in phi.items()}})
    return {
        "log_marginal": numpy(log_marginal),
        "posterior_loc": numpy(posterior_loc),
        "posterior_scale_tril": numpy(torch.linalg.cholesky(posterior_covariance)),
        "elbo": numpy(elbo),
        **{f"elbo_grad_{k}": v for k, v in grads.items()},
    }


# ----- the Gamma–Poisson model -----------------------------------------------------


def gamma_poisson_case(name, inputs):
    theta = leaves(inputs, ("concentration", "rate"))
    alpha, beta = theta["concentration"], theta["rate"]
    x = tensor(inputs["x"]).to(torch.float64)
    total, count = x.sum(-1), x.shape[-1]
    prior = D.Gamma(alpha, beta)
    posterior = D.Gamma(alpha + total, beta + count)  # conjugacy
    # the evidence by the candidate's formula at λ = the posterior mean: log p(x | λ) + log p(λ) − log p(λ | x)
    rate = posterior.mean
    log_marginal = D.Poisson(rate[:, None]).log_prob(x).sum(-1) + prior.log_prob(rate) - posterior.log_prob(rate)
    if name.endswith("Gamma"):
        phi = leaves(inputs, ("concentration", "rate"), "q_")
        elbo = log_marginal - D.kl_divergence(D.Gamma(phi["concentration"], phi["rate"]), posterior)
        outputs = {
            "log_marginal": numpy(log_marginal),
            "posterior_concentration": numpy(posterior.concentration),
            "posterior_rate": numpy(posterior.rate),
        }
    else:
        phi = leaves(inputs, ("loc", "scale"), "q_")
        q = D.LogNormal(phi["loc"], phi["scale"])
        # no KL(LogNormal ‖ Gamma) in torch: E_q[log p(x, λ)] + H[q] from E_q[log λ] = μ and E_q[λ]
        expected_log_rate, expected_rate = q.loc, q.mean
        expected_log_joint = (
            (x * expected_log_rate[:, None] - expected_rate[:, None] - torch.lgamma(x + 1)).sum(-1)
            + alpha * beta.log() - torch.lgamma(alpha) + (alpha - 1) * expected_log_rate - beta * expected_rate
        )
        elbo = expected_log_joint + q.entropy()
        outputs = {}
    grads = gradients(elbo.sum(), {**theta, **{f"q_{k}": v for k, v in phi.items()}})
    return {**outputs, "elbo": numpy(elbo), **{f"elbo_grad_{k}": v for k, v in grads.items()}}


# ----- the importance-weighted bound on vi_ref's noise --------------------------------


def iwae_case(name, inputs):
    W, b, noise_var, x, loc, scale, eps = (tensor(inputs[k]) for k in ("W", "b", "noise_var", "x", "q_loc", "q_scale", "eps"))
    groups, size, latent = eps.shape
    z = loc + scale * eps  # (n, K, L): torch's rsample would draw its own ε
    q = D.Independent(D.Normal(loc, scale), 1)
    prior = D.Independent(D.Normal(torch.zeros(latent), torch.ones(latent)), 1)
    likelihood = D.Independent(D.Normal(z @ W.T + b, noise_var.sqrt()), 1)
    log_weights = prior.log_prob(z) + likelihood.log_prob(x) - q.log_prob(z)
    group_bounds = torch.logsumexp(log_weights, dim=1) - np.log(size)
    evidence = D.LowRankMultivariateNormal(b, cov_factor=W, cov_diag=noise_var)
    precision = torch.eye(latent) + (W.T / noise_var) @ W
    posterior = D.MultivariateNormal(
        torch.linalg.solve(precision, (W.T / noise_var) @ (x - b)), covariance_matrix=torch.linalg.inv(precision)
    )
    q_full = D.MultivariateNormal(loc, scale_tril=torch.diag(scale))
    return {
        "log_weights": numpy(log_weights),
        "group_bounds": numpy(group_bounds),
        "estimate": numpy(group_bounds.mean()),
        "log_marginal": numpy(evidence.log_prob(x)),
        "elbo": numpy(evidence.log_prob(x) - D.kl_divergence(q_full, posterior)),
    }


HANDLERS = {"kl": kl_case, "distribution": distribution_case, "gmm": gmm_case,
            "linear_gaussian": linear_gaussian_case, "gamma_poisson": gamma_poisson_case, "iwae": iwae_case}


def torch_document(seed):
    cases = {}
    for name in reference.case_names():
        handler = HANDLERS.get(name.split(".")[0])
        if handler is None:
            continue
        inputs = reference_inputs(name, seed)
        try:
            outputs = handler(name, inputs)
        except NotImplementedError as error:  # a pair torch.distributions does not register
            print(f"not covered by torch: {name} ({error})")
            continue
        spec = reference.get_case(name)
        cases[name] = {"tolerance": {"rtol": spec.rtol, "atol": spec.atol}, "inputs": inputs, "outputs": outputs}
    return {"format": reference.FORMAT, "version": reference.SCHEMA_VERSION,
            "producer": f"torch {torch.__version__} (examples/torch_crosscheck.py)", "seed": seed, "cases": cases}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="where to write the torch reference file (default: a temporary .json)")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(arguments.out or Path(scratch) / "torch-crosscheck.json")
        reference.write(out, torch_document(arguments.seed))
        print(f"wrote {out}")
        return subprocess.run([sys.executable, "-m", "vi_ref", "crosscheck", str(out)]).returncode


if __name__ == "__main__":
    sys.exit(main())
