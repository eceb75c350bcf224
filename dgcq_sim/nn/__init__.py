"""Neural-network accuracy through simulated CIM quantizers (numpy only).

* :mod:`.model` loads a CIFAR ResNet archive and folds BN (:func:`load_model`);
* :mod:`.data` the bundled 1 000-image test / 500-image calibration subsets and full sets;
* :mod:`.forward` the im2col forward pass with pluggable layer executors (:func:`predict`);
* :mod:`.quant` int8 PTQ, VS-Quant, shared 8/4-bit weights, B-bit accumulators;
* :mod:`.cim` CIM array mapping with a TransferFunction on every partial sum.

Nothing here imports the circuit engine: quantizers arrive as TransferFunction objects.
"""

from .data import Dataset, load_calibration_set, load_test_set
from .forward import predict, top1
from .model import ResNet, load_model
from .quant import QuantConfig, QuantizedModel, collect_act_stats, quantize_model

__all__ = ["Dataset", "load_calibration_set", "load_test_set", "predict", "top1", "ResNet",
           "load_model", "QuantConfig", "QuantizedModel", "collect_act_stats", "quantize_model"]
