"""How heavy a model is: parameters, multiply-accumulates (MACs) and CPU latency.

MACs are counted by forward hooks on the layers that dominate the cost (convolutions,
linear layers, LSTMs, Transformer encoder layers); element-wise operations, normalisation
and pooling are ignored, as MAC counters usually do.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn as nn


def _lstm_macs(m: nn.LSTM, steps: int) -> int:
    dirs = 2 if m.bidirectional else 1
    total, d_in = 0, m.input_size
    for _ in range(m.num_layers):
        total += dirs * steps * 4 * (d_in * m.hidden_size + m.hidden_size * m.hidden_size)
        d_in = dirs * m.hidden_size
    return total


def _encoder_layer_macs(m: nn.TransformerEncoderLayer, steps: int) -> int:
    d = m.self_attn.embed_dim
    proj = 4 * steps * d * d  # q, k, v and output projections
    scores = 2 * steps * steps * d  # q k^T and attention-weighted sum of v
    ffn = 2 * steps * d * m.linear1.out_features
    return proj + scores + ffn


def count_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of one forward pass of ``model`` on ``x`` (batch size 1 advised)."""
    total = 0
    hooks = []
    inside_encoder = {
        name + "." + sub
        for name, m in model.named_modules()
        if isinstance(m, nn.TransformerEncoderLayer)
        for sub, _ in m.named_modules()
        if sub
    }

    def conv_hook(m: nn.Conv2d, _inp, out: torch.Tensor) -> None:
        nonlocal total
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total += out.numel() * k

    def linear_hook(m: nn.Linear, inp, _out) -> None:
        nonlocal total
        total += inp[0].numel() // m.in_features * m.in_features * m.out_features

    def lstm_hook(m: nn.LSTM, inp, _out) -> None:
        nonlocal total
        x_in = inp[0]
        steps = x_in.shape[1] if m.batch_first else x_in.shape[0]
        total += x_in.shape[0 if m.batch_first else 1] * _lstm_macs(m, steps)

    def encoder_hook(m: nn.TransformerEncoderLayer, inp, _out) -> None:
        nonlocal total
        x_in = inp[0]
        total += x_in.shape[0] * _encoder_layer_macs(m, x_in.shape[1])

    for name, m in model.named_modules():
        if name in inside_encoder:
            continue
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, nn.LSTM):
            hooks.append(m.register_forward_hook(lstm_hook))
        elif isinstance(m, nn.TransformerEncoderLayer):
            hooks.append(m.register_forward_hook(encoder_hook))
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return int(total)


def latency_ms(model: nn.Module, x: torch.Tensor, repeats: int = 20, warmup: int = 3) -> dict[str, float]:
    """Median and 90th-percentile wall time in ms of ``model(x)`` in eval mode on the CPU,
    with the current ``torch.get_num_threads()``."""
    model = model.cpu().eval()
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            t = time.perf_counter()
            model(x)
            if i >= warmup:
                times.append(1000 * (time.perf_counter() - t))
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p90_ms": times[min(len(times) - 1, int(0.9 * len(times)))],
        "threads": torch.get_num_threads(),
    }
