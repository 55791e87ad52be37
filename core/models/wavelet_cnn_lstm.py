"""Parallel-pipe CNN + LSTM on wavelet-scaled spectrogram images (Sayed et al., §3.2, Table 3).

What the paper fixes: local feature learning blocks (LFLB: conv, BN, activation, pooling),
parallel convolutional pipes at three temporal resolutions, 3x3 and 5x5 filters, 64 filters,
9 convolutional layers, "5 simultaneous pools", one unidirectional LSTM of 100 units (64, 128,
256 tried), then FC and softmax; the feature block is "split into two halves". Our reading,
every part a constructor argument:

- first half: three parallel pipes, one LFLB each, on the RGB image: 3x3, 5x5, and 3x3 with
  time dilation 2 (the coarser temporal resolution); their maps are summed;
- second half: two parallel pipes (3x3 and 5x5) of three LFLBs each, concatenated;
- so 3 + 6 = 9 conv layers and 3 + 2 = 5 pipes pooling side by side;
- the (channels x scales) of each remaining time step feed the LSTM; its last state feeds FC.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from core.models.layers import Dropout


def _lflb(c_in: int, c_out: int, kernel: int, pool: str, dilation: tuple[int, int] = (1, 1)) -> nn.Sequential:
    pad = (dilation[0] * (kernel - 1) // 2, dilation[1] * (kernel - 1) // 2)
    pool_layer = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, padding=pad, dilation=dilation),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        pool_layer,
    )


class WaveletCNNLSTM(nn.Module):
    """Input ``(batch, 3, n_scales, columns)`` RGB images; output class logits."""

    def __init__(
        self,
        n_classes: int,
        n_scales: int = 64,
        filters: int = 64,
        lstm_units: int = 100,
        pool: str = "max",
        second_half_blocks: int = 3,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        if pool not in ("max", "avg"):
            raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
        n_pools = 1 + second_half_blocks
        if n_scales // 2**n_pools < 1:
            raise ValueError(f"{n_scales} scales are too few for {n_pools} 2x2 poolings")
        self.first = nn.ModuleList(
            [_lflb(3, filters, 3, pool), _lflb(3, filters, 5, pool), _lflb(3, filters, 3, pool, dilation=(1, 2))]
        )
        self.second = nn.ModuleList(
            [nn.Sequential(*[_lflb(filters, filters, k, pool) for _ in range(second_half_blocks)]) for k in (3, 5)]
        )
        self.dropout = Dropout(dropout)
        self.lstm = nn.LSTM(2 * filters * (n_scales // 2**n_pools), lstm_units, batch_first=True)
        self.fc = nn.Linear(lstm_units, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = sum(pipe(x) for pipe in self.first)
        h = torch.cat([pipe(h) for pipe in self.second], dim=1)  # (B, 2F, H', T')
        seq = self.dropout(h.permute(0, 3, 1, 2).flatten(2))  # (B, T', 2F*H')
        out, _ = self.lstm(seq)
        return self.fc(out[:, -1])
