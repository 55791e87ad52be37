"""The CNN / LSTM family of the Bonnefoy report (§3.3, Table 8) and its ablations (Table 10).

CNN blocks: 3x3 conv with 32, 64, 128, 256 filters, each followed by BN, ReLU, 2x2 max-pool and
dropout, with L2 0.01 on the conv kernels (Keras ``kernel_regularizer``: ``0.01 * sum(w**2)``
added to the loss, training and validation alike, as Keras reports it). Recurrent part: LSTM or
BiLSTM of 128 units over the time steps; attention of dimension 128
(``a_t = softmax(v^T tanh(W h_t + b))``); a dense layer of 128 with ReLU and dropout 0.3; the
class layer. Input ``(batch, 3, 128, 128)`` RGB spectrogram images, rows = frequency.

``kind``: ``cnn`` (flatten -> dense), ``lstm`` (the image columns as a sequence, no CNN),
``cnn_lstm``, ``cnn_blstm`` (last time step of the (Bi)LSTM), ``cnn_blstm_attention``; the
ablations ``blstm_attention`` ("no CNN") and ``cnn_attention`` ("no LSTM": attention over the
CNN's time steps). ``dropout=0`` and ``l2=0`` give Table 10's other two rows.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.models.layers import Dropout, keras_init

KINDS = ("cnn", "lstm", "cnn_lstm", "cnn_blstm", "cnn_blstm_attention", "blstm_attention", "cnn_attention")


class AdditiveAttention(nn.Module):
    """Attention pooling over time: scores ``v^T tanh(W h_t + b)``, softmax, weighted sum."""

    def __init__(self, d_in: int, d_att: int = 128) -> None:
        super().__init__()
        self.proj = nn.Linear(d_in, d_att)
        self.v = nn.Linear(d_att, 1, bias=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        alpha = torch.softmax(self.v(torch.tanh(self.proj(h))).squeeze(-1), dim=1)
        return (alpha.unsqueeze(-1) * h).sum(dim=1)


class KerasL2Loss:
    """Keras' ``kernel_regularizer``: ``l2 * sum(w**2)`` over the conv kernels of ``self.cnn`` added to
    the cross-entropy, in training and in the reported loss alike. Needs ``self.cnn`` (or None) and ``self.l2``."""

    def l2_penalty(self) -> torch.Tensor:
        """``l2 * sum(w**2)`` over the conv kernels (zero without a CNN or with ``l2=0``)."""
        if self.cnn is None or self.l2 == 0:
            return torch.zeros(())
        return self.l2 * sum((m.weight**2).sum() for m in self.cnn if isinstance(m, nn.Conv2d))

    def compound_loss(
        self, x: torch.Tensor, y: torch.Tensor, progress: float, weight: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy plus the L2 penalty, as Keras trains and reports it."""
        logits = self(x)
        return F.cross_entropy(logits, y, weight=weight) + self.l2_penalty().to(logits.device), logits


class SpectrogramCRNN(KerasL2Loss, nn.Module):
    """One model of the family, chosen by ``kind``; see the module docstring."""

    def __init__(
        self,
        kind: str = "cnn_blstm_attention",
        n_classes: int = 7,
        image_size: tuple[int, int] = (128, 128),
        filters: tuple[int, ...] = (32, 64, 128, 256),
        lstm_units: int = 128,
        attention_dim: int = 128,
        dense: int = 128,
        dropout: float = 0.3,
        l2: float = 0.01,
    ) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind, self.l2 = kind, l2
        h, w = image_size
        self.cnn: nn.Sequential | None = None
        if kind not in ("lstm", "blstm_attention"):
            layers: list[nn.Module] = []
            c_in = 3
            for c_out in filters:
                layers += [
                    nn.Conv2d(c_in, c_out, 3, padding=1),
                    nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True),
                    nn.MaxPool2d(2),
                    Dropout(dropout),
                ]
                c_in, h, w = c_out, h // 2, w // 2
            if h < 1 or w < 1:
                raise ValueError(f"image {image_size} is too small for {len(filters)} poolings")
            self.cnn = nn.Sequential(*layers)
            step_dim = c_in * h
        else:
            step_dim = 3 * h
        self.rnn: nn.LSTM | None = None
        self.attention: AdditiveAttention | None = None
        if kind == "cnn":
            head_in = step_dim * w
        elif kind == "cnn_attention":
            self.attention = AdditiveAttention(step_dim, attention_dim)
            head_in = step_dim
        else:
            bidirectional = kind not in ("lstm", "cnn_lstm")
            self.rnn = nn.LSTM(step_dim, lstm_units, batch_first=True, bidirectional=bidirectional)
            head_in = lstm_units * (2 if bidirectional else 1)
            if kind.endswith("attention"):
                self.attention = AdditiveAttention(head_in, attention_dim)
        self.head = nn.Sequential(Dropout(dropout), nn.Linear(head_in, dense), nn.ReLU(inplace=True), Dropout(dropout))
        self.out = nn.Linear(dense, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.cnn(x) if self.cnn is not None else x  # (B, C, H, T)
        if self.kind == "cnn":
            z = f.flatten(1)
        else:
            seq = f.permute(0, 3, 1, 2).flatten(2)  # (B, T, C*H)
            if self.rnn is not None:
                seq, _ = self.rnn(seq)
            z = self.attention(seq) if self.attention is not None else seq[:, -1]
        return self.out(self.head(z))


class CodedCNNBLSTMAttention(KerasL2Loss, nn.Module):
    """The CNN-BLSTM with attention as the co-author's public notebook builds it (authors-code.md §2),
    which differs from the report's §3.3.3: three 3x3 ``valid`` convolutions of 32/64/64 filters,
    each with ReLU, 2x2 max-pool and dropout, no batch normalisation, L2 ``l2`` on the kernels;
    flatten (12,544 for 128x128) -> dense 128 (ReLU) -> reshape to 4 steps of 32 -> BiLSTM of 64
    per direction -> dropout; query and value are dense 64 (ReLU) of the BiLSTM output, and Keras'
    dot-product ``Attention`` (unscaled, key = value) mixes the 4 steps; flatten (256) -> dense 128
    (no activation named, so linear as in Keras) -> dropout -> class layer. Keras counts 1,762,055
    parameters for 7 classes; PyTorch's LSTM has a second bias vector per gate, 512 more here (1,762,567).
    """

    def __init__(
        self,
        n_classes: int = 7,
        image_size: tuple[int, int] = (128, 128),
        dropout: float = 0.3,
        l2: float = 0.01,
        init: str = "torch",
    ) -> None:
        super().__init__()
        if init not in ("torch", "keras"):
            raise ValueError(f"init must be 'torch' or 'keras' (the co-author's, :func:`keras_init`), got {init!r}")
        self.l2 = l2
        layers: list[nn.Module] = []
        c_in, h, w = 3, *image_size
        for c_out in (32, 64, 64):
            layers += [nn.Conv2d(c_in, c_out, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2), Dropout(dropout)]
            c_in, h, w = c_out, (h - 2) // 2, (w - 2) // 2
        if h < 1 or w < 1:
            raise ValueError(f"image {image_size} is too small for three valid 3x3 convolutions and poolings")
        self.cnn = nn.Sequential(*layers)
        self.dense = nn.Linear(c_in * h * w, 128)
        self.rnn = nn.LSTM(32, 64, batch_first=True, bidirectional=True)
        self.drop = Dropout(dropout)
        self.query, self.value = nn.Linear(128, 64), nn.Linear(128, 64)
        self.head = nn.Linear(4 * 64, 128)
        self.out = nn.Linear(128, n_classes)
        if init == "keras":
            keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Keras flattens channels-last (H, W, C); the order only permutes the dense layer's inputs
        z = F.relu(self.dense(self.cnn(x).flatten(1)))
        seq, _ = self.rnn(z.view(-1, 4, 32))
        seq = self.drop(seq)
        q, v = F.relu(self.query(seq)), F.relu(self.value(seq))
        att = torch.softmax(q @ v.transpose(1, 2), dim=-1) @ v  # (B, 4, 64)
        return self.out(self.drop(self.head(att.flatten(1))))
