"""Parallel-pipe CNN + LSTM on wavelet-scaled spectrogram images (Sayed et al., §3.2, Table 3).

What the paper fixes: local feature learning blocks (LFLB: conv, BN, activation, pooling),
parallel convolutional pipes at three temporal resolutions, 3x3 and 5x5 filters, 64 filters,
9 convolutional layers, "5 simultaneous pools", one unidirectional LSTM of 100 units (64, 128,
256 tried), then an FC layer of 1024 units (§3.2.2) and softmax; the feature block is "split
into two halves", and §4.4 finds average pooling better than max pooling. It mentions no
dropout. Our reading, every part a constructor argument:

- first half: three parallel pipes, one LFLB each, on the RGB image: 3x3, 5x5, and 3x3 with
  time dilation 2 (the coarser temporal resolution); their maps are summed (``merge='sum'``,
  our first reading) or concatenated (``merge='concat'``, §3.2's three resolutions "combined");
- second half: two parallel pipes (3x3 and 5x5) of three LFLBs each, concatenated;
- so 3 + 6 = 9 conv layers and 3 + 2 = 5 pipes pooling side by side;
- the (channels x scales) of each remaining time step feed the LSTM (after a dropout of
  ``dropout``, ours; 0 removes it); its last state feeds the classifier: one linear layer to the
  classes (``fc_units=None``, our first reading) or an FC layer of ``fc_units`` (1024 in §3.2.2)
  with ReLU (the paper names no activation) before it.

The defaults (sum, dropout 0.3, no hidden FC layer, max pooling) are the model of the runs
recorded so far; the paper's text read literally is ``merge='concat', fc_units=1024,
dropout=0.0, pool='avg'``.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from core.models.layers import Dropout

MERGES = ("sum", "concat")


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
        merge: str = "sum",
        fc_units: int | None = None,
    ) -> None:
        super().__init__()
        if pool not in ("max", "avg"):
            raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
        if merge not in MERGES:
            raise ValueError(f"merge must be one of {MERGES}, got {merge!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if fc_units is not None and fc_units < 1:
            raise ValueError(f"fc_units must be a positive number of units or None, got {fc_units}")
        n_pools = 1 + second_half_blocks
        if n_scales // 2**n_pools < 1:
            raise ValueError(f"{n_scales} scales are too few for {n_pools} 2x2 poolings")
        self.merge = merge
        # modules are created in the same order as before the options existed, so that a seeded
        # default model starts from the same weights
        self.first = nn.ModuleList(
            [_lflb(3, filters, 3, pool), _lflb(3, filters, 5, pool), _lflb(3, filters, 3, pool, dilation=(1, 2))]
        )
        c_mid = filters if merge == "sum" else len(self.first) * filters
        self.second = nn.ModuleList(
            [
                nn.Sequential(
                    *[_lflb(c_mid if i == 0 else filters, filters, k, pool) for i in range(second_half_blocks)]
                )
                for k in (3, 5)
            ]
        )
        self.dropout = Dropout(dropout) if dropout > 0 else nn.Identity()
        self.lstm = nn.LSTM(2 * filters * (n_scales // 2**n_pools), lstm_units, batch_first=True)
        if fc_units is None:
            self.fc = nn.Linear(lstm_units, n_classes)
        else:
            self.fc = nn.Sequential(
                nn.Linear(lstm_units, fc_units), nn.ReLU(inplace=True), nn.Linear(fc_units, n_classes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = [pipe(x) for pipe in self.first]
        h = sum(maps) if self.merge == "sum" else torch.cat(maps, dim=1)
        h = torch.cat([pipe(h) for pipe in self.second], dim=1)  # (B, 2F, H', T')
        seq = self.dropout(h.permute(0, 3, 1, 2).flatten(2))  # (B, T', 2F*H')
        out, _ = self.lstm(seq)
        return self.fc(out[:, -1])
