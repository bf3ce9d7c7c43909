"""lamp-pyg: LaMP label message passing for multi-label classification in PyTorch Geometric."""
__version__ = "0.1.0"
