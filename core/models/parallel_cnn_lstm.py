"""Parallel CNN + BiLSTM + multi-head self-attention (Alsallaq et al., BAVED paper, §3).

The paper fixes: four conv blocks of 16/32/64/64 filters (3x3, BN, ReLU,
max-pool 2x2 or 4x4, dropout 0.3); a parallel branch of max-pool [2, 4] on the
input, a BiLSTM of 128 units, dropout 0.1 and multi-head self-attention whose
output is combined with the LSTM output and projected by a linear layer; the
flattened CNN features concatenated with the attention context feed one linear
layer. Our choices where it is silent (all parameters): pools 2,4,4,4 (the
paper says "2x2 or 4x4 depending on the block"), 4 heads, residual sum as the
"combination", mean over time as the context vector.

``attention="pooling"`` is the first author's public code instead (see
``authors-code.md``): one linear score per LSTM step, softmax over time, the
weighted sum as context; no queries, keys, values or heads (260,452 parameters
for 3 classes at 128x188, against 589,155 for the multi-head reading).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from core.models.layers import Dropout


class ParallelCNNLSTMAttention(nn.Module):
    """Input ``(batch, 1, n_mels, frames)`` log-mel; output class logits."""

    def __init__(
        self,
        n_classes: int = 3,
        n_mels: int = 128,
        n_frames: int = 188,
        filters: tuple[int, ...] = (16, 32, 64, 64),
        pools: tuple[int, ...] = (2, 4, 4, 4),
        conv_dropout: float = 0.3,
        lstm_pool: tuple[int, int] = (2, 4),
        lstm_hidden: int = 128,
        lstm_dropout: float = 0.1,
        n_heads: int = 4,
        attention: str = "multihead",
    ) -> None:
        super().__init__()
        if attention not in ("multihead", "pooling"):
            raise ValueError(f"attention must be 'multihead' or 'pooling', got {attention!r}")
        self.attention_kind = attention
        if len(filters) != len(pools):
            raise ValueError("filters and pools must have the same length")
        blocks: list[nn.Module] = []
        c_in, h, w = 1, n_mels, n_frames
        for c_out, pool in zip(filters, pools, strict=True):
            # max-pooling before the ReLU: the two commute (ReLU is monotone), so outputs and gradients
            # are the same as conv-BN-ReLU-pool, and the ReLU runs on a tensor `pool`² times smaller
            blocks += [
                nn.Conv2d(c_in, c_out, kernel_size=3, padding=1),
                nn.BatchNorm2d(c_out),
                nn.MaxPool2d(pool),
                nn.ReLU(inplace=True),
                Dropout(conv_dropout),
            ]
            c_in, h, w = c_out, h // pool, w // pool
        if h < 1 or w < 1:
            raise ValueError(f"input {n_mels}x{n_frames} is too small for pools {pools}")
        self.cnn = nn.Sequential(*blocks)
        self.cnn_dim = c_in * h * w

        self.lstm_pool = nn.MaxPool2d(lstm_pool, stride=lstm_pool)
        lstm_in = n_mels // lstm_pool[0]
        self.lstm = nn.LSTM(lstm_in, lstm_hidden, batch_first=True, bidirectional=True)
        self.lstm_dropout = Dropout(lstm_dropout)
        d = 2 * lstm_hidden
        if attention == "multihead":
            self.attention = nn.MultiheadAttention(d, n_heads, batch_first=True)
            self.attn_proj = nn.Linear(d, d)
        else:
            self.score = nn.Linear(d, 1)
        self.classifier = nn.Linear(self.cnn_dim + d, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cnn = self.cnn(x).flatten(1)
        seq = self.lstm_pool(x).squeeze(1).transpose(1, 2)  # (batch, time, mel)
        h, _ = self.lstm(seq)
        h = self.lstm_dropout(h)
        if self.attention_kind == "pooling":
            weights = torch.softmax(self.score(h), dim=1)  # (batch, time, 1)
            ctx = (weights * h).sum(dim=1)
        else:
            att, _ = self.attention(h, h, h, need_weights=False)
            ctx = self.attn_proj(att + h).mean(dim=1)
        return self.classifier(torch.cat([cnn, ctx], dim=1))
