from __future__ import annotations

import pytest
import torch

from core.models import ParallelCNNLSTMAttention, count_parameters


def test_output_shape_and_parameter_count(capsys):
    model = ParallelCNNLSTMAttention(n_classes=3, n_mels=128, n_frames=188)
    out = model(torch.randn(4, 1, 128, 188))
    assert out.shape == (4, 3)
    n = count_parameters(model)
    print(f"ParallelCNNLSTMAttention parameters: {n:,}")
    # golden value: conv blocks 16/32/64/64, BiLSTM(64->128), MHA(256, 4 heads), proj, classifier
    conv = sum(c_in * c_out * 9 + c_out + 2 * c_out for c_in, c_out in [(1, 16), (16, 32), (32, 64), (64, 64)])
    lstm = 2 * (4 * 128 * (64 + 128) + 2 * 4 * 128)
    attn = 4 * (256 * 256 + 256)
    proj = 256 * 256 + 256
    head = (64 + 256) * 3 + 3
    assert n == conv + lstm + attn + proj + head == 589_155


def test_cnn_branch_flattens_to_64_for_3s_input():
    assert ParallelCNNLSTMAttention(n_frames=188).cnn_dim == 64


def test_other_sizes_and_errors():
    m = ParallelCNNLSTMAttention(n_classes=7, n_frames=251)
    assert m(torch.randn(2, 1, 128, 251)).shape == (2, 7)
    with pytest.raises(ValueError, match="too small"):
        ParallelCNNLSTMAttention(n_mels=128, n_frames=126)  # 2 s clips: width 126 pools to 0


def test_gradients_reach_both_branches():
    m = ParallelCNNLSTMAttention()
    m(torch.randn(2, 1, 128, 188)).sum().backward()
    assert m.cnn[0].weight.grad.abs().sum() > 0
    assert m.lstm.weight_ih_l0.grad.abs().sum() > 0
