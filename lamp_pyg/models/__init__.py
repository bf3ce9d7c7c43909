"""The LaMP model (encoder, label message-passing decoder, readout)."""
from lamp_pyg.models.lamp import (DecoderLayer, LaMP, LaMPConfig, LaMPInputs, LaMPOptions,
                                  LaMPOutput, sinusoid_table)

__all__ = ["LaMP", "LaMPOptions", "LaMPConfig", "LaMPInputs", "LaMPOutput", "DecoderLayer",
           "sinusoid_table"]
