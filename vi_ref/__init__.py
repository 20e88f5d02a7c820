"""vi_ref: a NumPy-only, verified reference implementation of variational inference.

Modules, bottom to top (each uses only those before it):
``validation``, ``numerics``, ``gradcheck``, ``autodiff``, ``likelihoods``,
``distributions``, ``kl``, ``models``, ``elbo``, ``learning``, ``em``; then
``registry`` (every gradient with its finite-difference check), ``tour`` and ``cli``
on top. The derivations behind each formula are in the repository's ``derivations/``.
"""

__version__ = "0.1.0"
