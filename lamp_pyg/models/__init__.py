"""The LaMP model (encoder, label message-passing decoder, readout), and its shortlist form."""
from lamp_pyg.models.lamp import (DecoderLayer, LaMP, LaMPConfig, LaMPInputs, LaMPOptions,
                                  LaMPOutput, sinusoid_table)


def build_model(config: LaMPConfig, label_edge_index):
    """:class:`LaMP`, or :class:`~lamp_pyg.models.shortlist.ShortlistLaMP` when
    ``config.shortlist`` is K > 0."""
    if config.shortlist:
        from lamp_pyg.models.shortlist import ShortlistLaMP
        return ShortlistLaMP(config, label_edge_index)
    return LaMP(config, label_edge_index)


__all__ = ["LaMP", "LaMPOptions", "LaMPConfig", "LaMPInputs", "LaMPOutput", "DecoderLayer",
           "build_model", "sinusoid_table"]
