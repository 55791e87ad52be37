"""ImageNet backbones with the Bonnefoy report's classification head and freezing (§3.4).

The report fine-tunes Keras' ImageNet VGG19 with its first 15 layers frozen (input layer through
``block4_conv3``: 11 of the 16 conv layers) under a head of Dense 128 (ReLU, L2) -> BN ->
Dropout 0.6 -> Dense 64 (ReLU, L2) -> BN -> Dropout 0.6 -> softmax, and compares ResNet50 and
MobileNetV3-Large "under identical conditions" (Table 11). ImageNet weights cannot be downloaded
here, so :func:`build` requires a local weights file: a PyTorch ``state_dict`` with torchvision's
key names (``torchvision.models.vgg19(weights="IMAGENET1K_V1").state_dict()`` saved with
``torch.save``). Without one it raises :class:`WeightsUnavailable`; a randomly initialised VGG19
is never presented as the report's experiment.

The backbones are written out here (torchvision's layouts) because torchvision has no wheel for
the CPU build of torch used by this project. Our choices: global average pooling between the
backbone and the head; ResNet50 and MobileNetV3 keep only their last stage trainable.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

BACKBONES = ("vgg19", "resnet50", "mobilenetv3")
_VGG19 = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
VGG19_FROZEN_CONVS = 11  # Keras layers 0-14: input, block1-3 (8 convs, 3 pools), block4_conv1-3


class WeightsUnavailable(FileNotFoundError):
    """No local ImageNet weights file: the pretrained experiment cannot run."""


def vgg19_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    c_in = 3
    for v in _VGG19:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c_in, int(v), 3, padding=1), nn.ReLU(inplace=True)]
            c_in = int(v)
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, c_in: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out = width * self.expansion
        self.conv1, self.bn1 = nn.Conv2d(c_in, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (
            nn.Sequential(nn.Conv2d(c_in, out, 1, stride, bias=False), nn.BatchNorm2d(out))
            if stride != 1 or c_in != out
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        return self.relu(self.bn3(self.conv3(y)) + idt)


class ResNet50Features(nn.Module):
    """torchvision's ResNet50 without ``fc`` (same parameter names)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
        self.relu, self.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        c_in, stages = 64, []
        for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            stage = []
            for i in range(blocks):
                stage.append(Bottleneck(c_in, width, stride if i == 0 else 1))
                c_in = width * 4
            stages.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.out_channels = c_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class _SE(nn.Module):
    def __init__(self, c: int, squeeze: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.fc2 = nn.Conv2d(c, squeeze, 1), nn.Conv2d(squeeze, c, 1)
        self.relu, self.scale = nn.ReLU(), nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale(self.fc2(self.relu(self.fc1(self.avgpool(x)))))


def _cna(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, act: type | None = nn.Hardswish):
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, k, stride, (k - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out, eps=0.001, momentum=0.01),
    ]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class _InvertedResidual(nn.Module):
    def __init__(self, c_in: int, k: int, exp: int, c_out: int, se: bool, act: type, stride: int) -> None:
        super().__init__()
        self.use_res = stride == 1 and c_in == c_out
        layers: list[nn.Module] = []
        if exp != c_in:
            layers.append(_cna(c_in, exp, 1, act=act))
        layers.append(_cna(exp, exp, k, stride, groups=exp, act=act))
        if se:
            layers.append(_SE(exp, _make_divisible(exp // 4)))
        layers.append(_cna(exp, c_out, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.use_res else y


def _make_divisible(v: float, divisor: int = 8) -> int:
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


# torchvision's mobilenet_v3_large settings: kernel, expanded, out, SE, activation, stride
_MBV3L = [
    (3, 16, 16, False, "RE", 1), (3, 64, 24, False, "RE", 2), (3, 72, 24, False, "RE", 1),
    (5, 72, 40, True, "RE", 2), (5, 120, 40, True, "RE", 1), (5, 120, 40, True, "RE", 1),
    (3, 240, 80, False, "HS", 2), (3, 200, 80, False, "HS", 1), (3, 184, 80, False, "HS", 1),
    (3, 184, 80, False, "HS", 1), (3, 480, 112, True, "HS", 1), (3, 672, 112, True, "HS", 1),
    (5, 672, 160, True, "HS", 2), (5, 960, 160, True, "HS", 1), (5, 960, 160, True, "HS", 1),
]  # fmt: skip


def mobilenetv3_large_features() -> nn.Sequential:
    """torchvision's ``mobilenet_v3_large().features`` (same parameter names)."""
    layers: list[nn.Module] = [_cna(3, 16, 3, 2)]
    c_in = 16
    for k, exp, out, se, act, stride in _MBV3L:
        layers.append(_InvertedResidual(c_in, k, exp, out, se, nn.ReLU if act == "RE" else nn.Hardswish, stride))
        c_in = out
    layers.append(_cna(c_in, 6 * c_in, 1))
    return nn.Sequential(*layers)


class PretrainedClassifier(nn.Module):
    """Backbone -> global average pooling -> the report's head (§3.4.2)."""

    def __init__(
        self, backbone: str, n_classes: int = 7, dropout: float = 0.6, l2: float = 0.01, input_size: int | None = None
    ) -> None:
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
        self.backbone_name, self.l2, self.input_size = backbone, l2, input_size
        if backbone == "vgg19":
            self.features: nn.Module = vgg19_features()
            c = 512
        elif backbone == "resnet50":
            self.features = ResNet50Features()
            c = 2048
        else:
            self.features = mobilenetv3_large_features()
            c = 960
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.bn1 = nn.Linear(c, 128), nn.BatchNorm1d(128)
        self.fc2, self.bn2 = nn.Linear(128, 64), nn.BatchNorm1d(64)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(64, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_size and tuple(x.shape[-2:]) != (self.input_size, self.input_size):
            # images resized to the backbone's input, as the co-author's loader resized its PNGs (224 px for VGG19)
            x = nn.functional.interpolate(
                x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False
            )
        z = self.pool(self.features(x)).flatten(1)
        z = self.drop(self.bn1(torch.relu(self.fc1(z))))
        z = self.drop(self.bn2(torch.relu(self.fc2(z))))
        return self.out(z)

    def freeze(self) -> int:
        """The report's scheme; returns the number of frozen backbone parameters tensors."""
        if self.backbone_name == "vgg19":
            convs = [m for m in self.features if isinstance(m, nn.Conv2d)]
            frozen = [p for m in convs[:VGG19_FROZEN_CONVS] for p in m.parameters()]
        elif self.backbone_name == "resnet50":
            frozen = [p for n, p in self.features.named_parameters() if not n.startswith("layer4.")]
        else:  # MobileNetV3: all but the last three inverted-residual blocks and the final 1x1 conv
            frozen = [p for n, p in self.features.named_parameters() if int(n.split(".")[0]) < 13]
        for p in frozen:
            p.requires_grad_(False)
        return len(frozen)

    def l2_penalty(self) -> torch.Tensor:
        return self.l2 * ((self.fc1.weight**2).sum() + (self.fc2.weight**2).sum())

    def compound_loss(
        self, x: torch.Tensor, y: torch.Tensor, progress: float, weight: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy plus the head's L2 penalty (§3.4.2), the loss :func:`core.train.fit` minimises."""
        logits = self(x)
        return nn.functional.cross_entropy(logits, y, weight=weight) + self.l2_penalty(), logits


def build(
    backbone: str, weights: str | Path | None, n_classes: int = 7, l2: float = 0.01, input_size: int | None = None
) -> PretrainedClassifier:
    """The report's fine-tuning model with ImageNet weights from a local file, frozen as in §3.4.1
    (``l2``: the head's penalty, 0.02 in the co-author's code; ``input_size``: images resized to it).

    Raises :class:`WeightsUnavailable` without a file, and ``ValueError`` when the file's
    tensors do not match the backbone (it reports the first missing or unexpected names)."""
    if weights is None:
        raise WeightsUnavailable(
            f"not run: ImageNet weights for {backbone} are unavailable (no local file given). "
            f"Save torchvision's {backbone} state_dict with torch.save and pass its path."
        )
    if not Path(weights).is_file():  # a path was given: a typo must stop the run, not skip it
        raise FileNotFoundError(
            f"ImageNet weights file for {backbone} not found: {weights}. Check the path, or pass None to "
            "leave this model out (it is then reported as not run)."
        )
    model = PretrainedClassifier(backbone, n_classes, l2=l2, input_size=input_size)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = {k.removeprefix("features.") if backbone == "resnet50" else k: v for k, v in state.items()}
    target = model.features.state_dict()
    keys = {k.removeprefix("features."): v for k, v in state.items() if k.removeprefix("features.") in target}
    missing = sorted(set(target) - set(keys))
    if missing:
        raise ValueError(f"{weights}: not a torchvision {backbone} state_dict; missing e.g. {missing[:3]}")
    bad = [k for k, v in keys.items() if v.shape != target[k].shape]
    if bad:
        raise ValueError(f"{weights}: shape mismatch for {bad[:3]}")
    model.features.load_state_dict(keys)
    model.freeze()
    return model
