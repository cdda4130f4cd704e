"""PLS path modelling for satisfaction-index models (ACSI, ECSI, CSI programmes).

:func:`fit` estimates a PLS path model exactly as R plspm does (Wold 1982; Lohmöller 1989;
Tenenhaus et al. 2005; Sanchez 2013), with measurement quality (AVE, rho_c, rho_A after
Dijkstra & Henseler 2015, alpha, DG rho, HTMT after Henseler, Ringle & Sarstedt 2015) and
GoF; :func:`bootstrap` resamples it, vectorised over resamples, for standard errors,
percentile and BCa intervals and p-values of paths, indirect and total effects, weights
and loadings; :func:`ipma` draws the importance-performance map of a target construct
(Ringle & Sarstedt 2016).

==============  ============================================================
``spec``        the model checked and turned into arrays; data preparation
``engine``      the iteration on moment matrices, for one sample or a stack
``model``       :func:`fit` and :class:`PlsResult`
``quality``     AVE, rho_c, rho_A, alpha, DG rho, HTMT, GoF
``resampling``  :func:`bootstrap` and :class:`PlsBootstrapResult`
``ipma``        :func:`ipma` and :class:`IpmaResult`
==============  ============================================================
"""

from __future__ import annotations

from analysis.pls.ipma import IpmaResult, ipma
from analysis.pls.model import PlsResult, fit
from analysis.pls.resampling import PlsBootstrapResult, bootstrap

__all__ = ["IpmaResult", "PlsBootstrapResult", "PlsResult", "bootstrap", "fit", "ipma"]
