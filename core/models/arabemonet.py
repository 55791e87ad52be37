"""ArabEmoNet (Abouzeid et al.): 2D CNN -> FC -> 2-layer BiLSTM -> additive attention (Table 1).

Per Table 1 and §3: three conv stages of 32/64/128 filters with k x k kernels and padding
(k-1)/2, each followed by batch normalisation (§3 mentions it; Table 1 does not), ReLU,
2x2 max-pool and dropout 0.3. The feature map ``(128, H', T')`` is read as a sequence of T'
vectors of size 128*H' that an FC layer maps to 128 (ReLU, dropout 0.3). A 2-layer BiLSTM of
64 units per direction (dropout 0.3 between layers) follows; attention scores are
``e_t = tanh(w^T h_t + b)``, softmax over time, and the context vector feeds the classifier.

``temporal="transformer"`` swaps the BiLSTM for a Transformer encoder (the paper's "ArabEmoNet
(Transformer)", Table 2, whose layer sizes are not given: 2 layers, 4 heads, width 128, ours).
:func:`authors_transformer` builds the authors' ``transformer.py`` instead (authors-code.md §3): a
smaller CNN (16/32/64 filters, 3x3, padding 1), sinusoidal positional encoding, 8 heads.
With ``masked=True``, the ``lengths`` passed to ``forward`` make the attention ignore padded
frames (our option; the paper pads to the batch maximum and attends over the padding too).

The authors' code (authors-code.md §3) differs: ``kernel=10, padding=4`` (each conv then shortens
its input by one bin: 128 mel bands reach 15 after three stages, 1,473,319 parameters for 6
classes) and attention scores without the tanh (``attention_tanh=False``).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from core.models.layers import Dropout


class ArabEmoNet(nn.Module):
    """Input ``(batch, 1, n_mels, frames)`` log-mel (any number of frames); output logits."""

    def __init__(
        self,
        n_classes: int,
        n_mels: int = 128,
        kernel: int = 7,
        filters: tuple[int, ...] = (32, 64, 128),
        dropout: float = 0.3,
        fc_dim: int = 128,
        lstm_hidden: int = 64,
        lstm_layers: int = 2,
        batch_norm: bool = True,
        temporal: str = "bilstm",
        n_heads: int = 4,
        masked: bool = False,
        padding: int | None = None,
        attention_tanh: bool = True,
        positional: bool = False,
    ) -> None:
        super().__init__()
        self.positional = positional  # sinusoidal positional encoding before the temporal model
        if padding is None and kernel % 2 != 1:
            raise ValueError(
                f"kernel must be odd so that padding (k-1)/2 keeps the size, got {kernel}; or give padding"
            )
        pad = (kernel - 1) // 2 if padding is None else padding
        self.pad, self.kernel, self.attention_tanh = pad, kernel, attention_tanh
        if temporal not in ("bilstm", "transformer"):
            raise ValueError(f"temporal must be 'bilstm' or 'transformer', got {temporal!r}")
        layers: list[nn.Module] = []
        c_in, h = 1, n_mels
        for c_out in filters:
            layers += [nn.Conv2d(c_in, c_out, kernel, padding=pad)]
            layers += [nn.BatchNorm2d(c_out)] if batch_norm else []
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2), Dropout(dropout)]
            c_in, h = c_out, (h + 2 * pad - kernel + 1) // 2
        if h < 1:
            raise ValueError(f"{n_mels} mel bands are too few for {len(filters)} 2x2 poolings")
        self.cnn = nn.Sequential(*layers)
        self.n_pools = len(filters)
        self.fc = nn.Sequential(nn.Linear(c_in * h, fc_dim), nn.ReLU(inplace=True), Dropout(dropout))
        self.temporal = temporal
        self.masked = masked
        if temporal == "bilstm":
            self.seq = nn.LSTM(
                fc_dim, lstm_hidden, num_layers=lstm_layers, batch_first=True, bidirectional=True, dropout=dropout
            )
            d = 2 * lstm_hidden
        else:
            layer = nn.TransformerEncoderLayer(
                fc_dim, n_heads, dim_feedforward=2 * fc_dim, dropout=dropout, batch_first=True
            )
            self.seq = nn.TransformerEncoder(layer, num_layers=lstm_layers, enable_nested_tensor=False)
            d = fc_dim
        self.score = nn.Linear(d, 1)
        self.classifier = nn.Linear(d, n_classes)

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames left after the convolutions and poolings for inputs of ``lengths`` frames (at least 1)."""
        for _ in range(self.n_pools):
            lengths = (lengths + 2 * self.pad - self.kernel + 1) // 2
        return torch.clamp(lengths, min=1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        f = self.cnn(x)  # (B, C, H', T')
        seq = self.fc(f.permute(0, 3, 1, 2).flatten(2))  # (B, T', C*H') -> (B, T', fc_dim)
        if self.positional:
            seq = seq + sinusoidal_positions(seq.shape[1], seq.shape[2]).to(seq)
        mask = None
        if lengths is not None and self.masked:
            t = torch.arange(seq.shape[1], device=seq.device)
            mask = t[None, :] >= self.frame_lengths(lengths.to(seq.device))[:, None]  # True = padding
        if self.temporal == "bilstm":
            h, _ = self.seq(seq)
        else:
            h = self.seq(seq, src_key_padding_mask=mask)
        e = self.score(h).squeeze(-1)  # the authors' code: w^T h_t + b
        if self.attention_tanh:
            e = torch.tanh(e)  # the paper: e_t = tanh(w^T h_t + b)
        if mask is not None:
            e = e.masked_fill(mask, float("-inf"))
        alpha = torch.softmax(e, dim=1)
        context = (alpha.unsqueeze(-1) * h).sum(dim=1)
        return self.classifier(context)


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The Transformer's sinusoidal positional encoding ``(length, dim)``: sin on even, cos on odd features."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-torch.log(torch.tensor(10000.0)) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return pe


def authors_transformer(n_classes: int, n_mels: int = 128, **kw) -> ArabEmoNet:
    """The authors' ``transformer.py`` (authors-code.md §3), which changes the CNN as well as the temporal
    model: 16/32/64 filters of 3x3 with padding 1 (batch norm, pooling, dropout 0.3), FC to 128, sinusoidal
    positional encoding, a 2-layer encoder of width 128 with 8 heads and a feed-forward of 256 (dropout
    0.3), attention pooling and the class layer. ``kw``: ``attention_tanh``, ``masked``."""
    return ArabEmoNet(
        n_classes, n_mels, kernel=3, padding=1, filters=(16, 32, 64), temporal="transformer", n_heads=8,
        positional=True, **kw,
    )  # fmt: skip
