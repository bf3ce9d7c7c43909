"""The LaMP model (encoder, label message-passing decoder, readout)."""
from lamp_pyg.models.lamp import LaMP, LaMPConfig, LaMPInputs, LaMPOutput, sinusoid_table

__all__ = ["LaMP", "LaMPConfig", "LaMPInputs", "LaMPOutput", "sinusoid_table"]
