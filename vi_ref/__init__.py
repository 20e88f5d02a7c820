"""vi_ref: a NumPy-only, verified reference implementation of variational inference.

Modules, bottom to top (each uses only those before it):
``validation``, ``numerics``, ``gradcheck``, ``autodiff``, ``likelihoods``,
``distributions``, ``kl``, ``models``, ``elbo``, ``learning``, ``em_steps``, ``em``,
``cavi``, ``estimators``, ``flows``, ``vi``; then ``reference_cases``, ``reference``
and ``testing`` (golden files and cross-checks of other implementations),
``registry`` (every gradient with its finite-difference check), ``figures``,
``tour`` and ``cli`` on top. The derivations behind each formula are in the repository's ``derivations/``.
"""

__version__ = "0.1.0"
