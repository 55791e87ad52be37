"""EmotionNet (Belhadj et al. 2025): a VAE on 124 LLD features with a classifier on its latent.

Encoder 512-256-128 -> (mu, log sigma^2) of size ``latent``; decoder 128-256-512 -> input with a
sigmoid (§II.B.2; §III.C lists 64-128-256-512: ``decoder=(64, 128, 256, 512)``); latent
transform Dense(latent, ReLU) concatenated with z; classifier Dense(``units``, ReLU,
L2 ``l2``) -> dropout -> logits. The paper gives 256 units / dropout 0.3 (§II.C; Table II gives the dropout) and
128 units / dropout 0.5 (§III.C): both are parameters. Loss (eq. 11): 1.0 x MSE + 1.5 x CE +
lambda_KL(t) x KL, with lambda_KL rising linearly from 0 to ``kl_max`` over the first
``kl_warmup`` fraction of the epochs (eq. 6). The reconstruction term is the squared error summed
over the features (eq. 4, ``rec_reduction="sum"``) or averaged over them (``"mean"``, what Keras'
``mse`` loss does); either way it is averaged over the batch. Two of TensorFlow's defaults (the
authors' stack) where PyTorch's differ are parameters: ``init="keras"`` (Glorot-uniform kernels with
zero biases) and ``class_weight_norm="batch"`` (the class-weighted cross-entropy divided by the batch
size, as Keras' ``class_weight``, rather than by the sum of the batch's weights, as PyTorch's
``weight=``); ``keras=True`` sets both (:func:`framework_defaults`; a conflicting explicit value is an
error). ``use_vae=False`` is the ablation the authors propose: no decoder and no KL term, the
classifier reads the deterministic encoder output.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.models.layers import keras_init

# Where the authors' TensorFlow and our PyTorch differ by default (§III.E): the initialisation, Adam's
# epsilon and how a class-weighted cross-entropy is normalised.
TF_DEFAULTS = {"init": "keras", "adam_eps": 1e-7, "class_weight_norm": "batch"}
TORCH_DEFAULTS = {"init": "torch", "adam_eps": 1e-8, "class_weight_norm": "weights"}


def framework_defaults(keras: bool, **given: object) -> dict:
    """The three settings of :data:`TF_DEFAULTS`: each one ``given`` (not None), the others TensorFlow's
    (``keras``) or PyTorch's. With ``keras`` a given value that differs from TensorFlow's is an error:
    to change one default alone, leave ``keras`` False and give that one."""
    unknown = sorted(set(given) - set(TF_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(TF_DEFAULTS)}")
    base = TF_DEFAULTS if keras else TORCH_DEFAULTS
    out = {}
    for name, default in base.items():
        value = given.get(name)
        if keras and value is not None and value != default:
            raise ValueError(
                f"{name}={value!r} conflicts with TensorFlow's defaults ({name}={default!r}); to change one "
                "default alone, leave keras (keras_defaults) False and set that one"
            )
        out[name] = default if value is None else value
    return out


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


class EmotionNet(nn.Module):
    """Forward returns class logits (using mu at evaluation, a sample of z in training)."""

    def __init__(
        self,
        n_features: int = 124,
        n_classes: int = 5,
        latent: int = 32,
        units: int = 256,
        dropout: float = 0.3,
        l2: float = 0.01,
        w_rec: float = 1.0,
        w_cls: float = 1.5,
        kl_max: float = 0.1,
        kl_warmup: float = 0.1,
        use_vae: bool = True,
        decoder: tuple[int, ...] = (128, 256, 512),
        rec_reduction: str = "sum",
        init: str | None = None,
        class_weight_norm: str | None = None,
        keras: bool = False,
    ) -> None:
        super().__init__()
        chosen = framework_defaults(keras, init=init, class_weight_norm=class_weight_norm)
        init, class_weight_norm = chosen["init"], chosen["class_weight_norm"]
        for name, value, allowed in (
            ("rec_reduction", rec_reduction, ("sum", "mean")),
            ("init", init, ("torch", "keras")),
            ("class_weight_norm", class_weight_norm, ("weights", "batch")),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not {value!r}")
        self.use_vae, self.l2, self.w_rec, self.w_cls = use_vae, l2, w_rec, w_cls
        self.rec_reduction, self.class_weight_norm = rec_reduction, class_weight_norm
        self.kl_max, self.kl_warmup = kl_max, kl_warmup
        self.encoder = _mlp([n_features, 512, 256, 128])
        self.to_stats = nn.Linear(128, 2 * latent if use_vae else latent)
        if use_vae:
            self.decoder = nn.Sequential(_mlp([latent, *decoder]), nn.Linear(decoder[-1], n_features), nn.Sigmoid())
        self.transform = nn.Sequential(nn.Linear(latent, latent), nn.ReLU())
        self.hidden = nn.Linear(2 * latent, units)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(units, n_classes)
        if init == "keras":
            keras_init(self)

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.to_stats(self.encoder(x))
        if not self.use_vae:
            return h, None
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar

    def _classify(self, z: torch.Tensor) -> torch.Tensor:
        zc = torch.cat([z, self.transform(z)], dim=1)
        return self.out(self.dropout(F.relu(self.hidden(zc))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self._encode(x)
        z = mu if (logvar is None or not self.training) else mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self._classify(z)

    def kl_weight(self, progress: float) -> float:
        """Eq. 6 with t/T = ``progress`` (fraction of the maximum epochs done)."""
        return self.kl_max * min(1.0, progress / self.kl_warmup) if self.kl_warmup > 0 else self.kl_max

    def _cross_entropy(self, logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
        """Class-weighted cross-entropy: PyTorch's mean weighted by the batch's weights, or
        (``class_weight_norm="batch"``) Keras' sum of weighted losses over the batch size."""
        if weight is None or self.class_weight_norm == "weights":
            return F.cross_entropy(logits, y, weight=weight)
        return (F.cross_entropy(logits, y, reduction="none") * weight[y]).mean()

    def compound_loss(
        self, x: torch.Tensor, y: torch.Tensor, progress: float, class_weight: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Eq. 11 plus the L2 penalty on the classifier's dense kernel; returns (loss, logits)."""
        mu, logvar = self._encode(x)
        l2 = self.l2 * self.hidden.weight.pow(2).sum()
        if logvar is None:
            logits = self._classify(mu)
            return self.w_cls * self._cross_entropy(logits, y, class_weight) + l2, logits
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu
        logits = self._classify(z)
        err = F.mse_loss(self.decoder(z), x, reduction="none")
        rec = (err.sum(1) if self.rec_reduction == "sum" else err.mean(1)).mean()
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
        cls = self._cross_entropy(logits, y, class_weight)
        return self.w_rec * rec + self.w_cls * cls + self.kl_weight(progress) * kl + l2, logits


class PlainDNN(nn.Module):
    """Our stand-in for SERDNN (its source gives no layers): 256-128-64 ReLU MLP with dropout."""

    def __init__(
        self, n_features: int = 124, n_classes: int = 5, sizes: tuple[int, ...] = (256, 128, 64), dropout: float = 0.3
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        prev = n_features
        for s in sizes:
            layers += [nn.Linear(prev, s), nn.ReLU(), nn.Dropout(dropout)]
            prev = s
        self.net = nn.Sequential(*layers, nn.Linear(prev, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
