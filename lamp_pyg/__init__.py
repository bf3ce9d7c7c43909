"""lamp-pyg: LaMP label message passing for multi-label classification in PyTorch Geometric.

The names users import are here, loaded on first use (``import lamp_pyg`` stays light:
torch_geometric is imported by the first of them that needs it):

- :class:`LaMPClassifier`: a scikit-learn estimator (:mod:`lamp_pyg.estimator`);
- :class:`LaMP`, :class:`LaMPOptions`, :class:`LaMPConfig`: the model (:mod:`lamp_pyg.models`);
- :class:`LaMPAttention`, :class:`LaMPBlock`: the layers (:mod:`lamp_pyg.nn`);
- :class:`LabelGraph`: label graphs (:mod:`lamp_pyg.graphs`);
- :class:`LaMPDataset`: cached PyG datasets (:mod:`lamp_pyg.data`).
"""
from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {  # name -> the module that defines it
    "LaMPClassifier": "lamp_pyg.estimator",
    "LaMP": "lamp_pyg.models.lamp",
    "LaMPConfig": "lamp_pyg.models.lamp",
    "LaMPOptions": "lamp_pyg.models.lamp",
    "LaMPAttention": "lamp_pyg.nn.attention",
    "LaMPBlock": "lamp_pyg.nn.block",
    "LabelGraph": "lamp_pyg.graphs.label_graph",
    "LaMPDataset": "lamp_pyg.data.dataset",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # once
        return value
    raise AttributeError(f"module 'lamp_pyg' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
