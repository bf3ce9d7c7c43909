"""Readers: publishers' files -> :class:`RawDataset` (first step of the data flow)."""
from lamp_pyg.io.arff import read_arff, read_arff_dataset, read_mulan, read_mulan_labels
from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit
from lamp_pyg.io.lamp_layout import read_lamp, read_lamp_pt, read_lamp_text
from lamp_pyg.io.libsvm import read_libsvm, read_libsvm_dataset
from lamp_pyg.io.reuters import read_reuters
from lamp_pyg.io.sider import read_sider
from lamp_pyg.io.sources import DATASETS, FORMATS, SourceSpec, register_dataset, resolve_source
from lamp_pyg.io.text_table import read_jsonl, read_text_table

__all__ = [
    "DataFormatError", "RawDataset", "RawSplit", "read_reuters", "read_sider",
    "read_arff", "read_arff_dataset", "read_mulan", "read_mulan_labels",
    "read_libsvm", "read_libsvm_dataset",
    "read_lamp", "read_lamp_pt", "read_lamp_text", "read_text_table", "read_jsonl",
    "SourceSpec", "FORMATS", "DATASETS", "register_dataset", "resolve_source",
]
