"""One file per paper model. ``count_parameters`` is shared."""

from __future__ import annotations

import torch.nn as nn

from core.models.arabemonet import ArabEmoNet
from core.models.crnn import SpectrogramCRNN
from core.models.emotionnet import EmotionNet, PlainDNN
from core.models.parallel_cnn_lstm import ParallelCNNLSTMAttention
from core.models.wavelet_cnn_lstm import WaveletCNNLSTM

__all__ = [
    "ArabEmoNet",
    "EmotionNet",
    "ParallelCNNLSTMAttention",
    "PlainDNN",
    "SpectrogramCRNN",
    "WaveletCNNLSTM",
    "count_parameters",
]


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
