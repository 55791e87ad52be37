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


def test_authors_attention_pooling_has_their_parameter_count():
    """The first author's code prints 260,452 parameters (authors-code.md §1): conv+BN 60,576,
    BiLSTM 198,656, attention score 257, output 963."""
    m = ParallelCNNLSTMAttention(n_classes=3, n_mels=128, n_frames=188, attention="pooling")
    assert count_parameters(m) == 260_452 and count_parameters(m.score) == 257
    assert m(torch.randn(2, 1, 128, 188)).shape == (2, 3)
    with pytest.raises(ValueError, match="attention must be"):
        ParallelCNNLSTMAttention(attention="additive")


@pytest.mark.parametrize("attention", ["pooling", "multihead"])
def test_pooling_before_relu_changes_neither_outputs_nor_gradients(attention):
    """The conv blocks pool before the ReLU (cheaper); bit for bit the same as ReLU then pool."""
    import torch.nn as nn

    torch.manual_seed(0)
    new = ParallelCNNLSTMAttention(attention=attention)
    torch.manual_seed(0)
    old = ParallelCNNLSTMAttention(attention=attention)
    mods = list(old.cnn)
    for i in range(0, len(mods), 5):
        conv, bn, pool, relu, drop = mods[i : i + 5]
        assert isinstance(pool, nn.MaxPool2d) and isinstance(relu, nn.ReLU)
        mods[i + 2], mods[i + 3] = relu, pool
    old.cnn = nn.Sequential(*mods)
    x, y = torch.randn(4, 1, 128, 188), torch.tensor([0, 1, 2, 1])
    outs = []
    for m in (new, old):
        torch.manual_seed(1)  # same dropout masks
        out = m(x)
        nn.functional.cross_entropy(out, y).backward()
        outs.append(out)
    assert torch.equal(outs[0], outs[1])
    assert all(torch.equal(a.grad, b.grad) for a, b in zip(new.parameters(), old.parameters(), strict=True))


def test_fast_dropout_keeps_the_rate_the_scale_and_the_seed():
    """core.models.layers.Dropout draws its mask from rand_like: same keep rate and 1/(1-p) scale as
    nn.Dropout, identity in eval mode, the same mask under the same seed, gradients through kept units only."""
    from core.models.layers import Dropout

    drop = Dropout(0.3)
    x = torch.ones(200_000, requires_grad=True)
    torch.manual_seed(0)
    y = drop(x)
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.005
    assert torch.allclose(y[kept], torch.full_like(y[kept], 1 / 0.7))
    y.sum().backward()
    assert torch.equal(x.grad != 0, kept)
    torch.manual_seed(0)
    assert torch.equal(drop(x.detach()), y.detach())
    drop.eval()
    assert drop(x) is x
    assert torch.equal(Dropout(1.0).train()(torch.ones(4)), torch.zeros(4))
    # the conv models use it, so the benchmark's "before" (nn.Dropout) differs from "now"
    m = ParallelCNNLSTMAttention(3, 128, 188, attention="pooling")
    assert any(isinstance(mod, Dropout) for mod in m.modules())
    assert not any(type(mod) is torch.nn.Dropout for mod in m.modules())


@pytest.mark.parametrize("arm", ["as_published", "clean"])
def test_the_authors_arms_run_end_to_end_and_record_the_leak(tmp_path, arm):
    """Smoke runs of the BAVED notebook's two authors' arms: both train the 0.26 M attention-pooling model
    with SGD and keep the final weights; as_published makes the noisy copies before the split, so test
    clips have a twin in training, clean after it, so none has; both record the share and a 1-NN accuracy."""
    from pathlib import Path

    from tests.conftest import REPO, run_notebook

    nb = REPO / "papers" / "parallel_cnn_lstm.ipynb"
    (rec,) = run_notebook(nb, tmp_path, profile="smoke", results_dir=str(tmp_path / "res"), arm=arm, seeds=[0])
    assert rec["arm"] == arm and rec["n_params"] == 260_452
    assert rec["params"]["train"]["optimizer"] == "sgd" and rec["budget"]["weights"] == "final"
    leak, knn = rec["metrics"]["leak/sibling_in_train"], rec["metrics"]["knn1_accuracy"]
    assert rec["n_test"] > 0 and 0.0 <= knn <= 1.0  # (an empty test part would score no leak)
    if arm == "as_published":
        assert leak > 0.5  # two copies per clip before an 80/10/10 split: most test clips have a twin
    else:
        assert leak == 0.0 and "-clean-" in Path(rec["_file"]).name
