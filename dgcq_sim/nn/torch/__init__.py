"""PyTorch side of the NN path (optional extra ``train``: ``pip install 'dgcq-sim[train]'``).

* :func:`to_cim` — the user's own network with every Conv2d/Linear on CIM arrays, partial
  sums through a quantizer, the numpy path's semantics (:mod:`.layers`, :mod:`.network`);
* :mod:`.resnet` — the numpy ResNet archives <-> torch modules, standard state_dicts;
* :mod:`.train` — ADC-aware fine-tuning (``dgcq-sim train``).

Importing this package without torch raises :class:`dgcq_sim.errors.DependencyError`.
"""

from . import _require  # noqa: F401

from .network import CimModule, to_cim
from .resnet import (TorchResNet, archive_from_state_dict, images_to_tensor,
                     resnet_from_state_dict, resnet_to_torch, save_archive)
from .transfer import TorchTransfer

__all__ = ["CimModule", "to_cim", "TorchResNet", "archive_from_state_dict",
           "images_to_tensor", "resnet_from_state_dict", "resnet_to_torch", "save_archive",
           "TorchTransfer"]
