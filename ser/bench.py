"""Benchmarks: extraction speed (x real time: log-mel, LLD, wavelet CWT, spectrogram images),
cache speed-ups, channels-last speed-up.

``ser bench`` prints ratios, which transfer between machines better than seconds:
x real time = seconds of audio processed per second of wall time. Performance targets
live here, not in timed tests. Results can be saved with ``--out FILE.json``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import soundfile as sf


def _timeit(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(corpus: str = "eyase", n_files: int = 40, root: str | None = None) -> dict:
    """Measure on the first ``n_files`` files of ``corpus`` under the data root."""
    import os

    import torch

    from core.data import load_corpus
    from core.features import LLDConfig, LogMelConfig, extract, extract_lld
    from core.images import ImageConfig, extract_images
    from core.models import ParallelCNNLSTMAttention
    from core.wavelet import WaveletConfig, extract_wavelet

    paths = list(load_corpus(corpus, root=root)["path"][:n_files])
    audio_s = sum(sf.info(p).duration for p in paths)
    out: dict = {
        "corpus": corpus,
        "files": len(paths),
        "audio_seconds": round(audio_s, 1),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),  # other work on the machine skews timings
    }
    with tempfile.TemporaryDirectory() as tmp:
        before = os.environ.get("SER_CACHE")
        os.environ["SER_CACHE"] = tmp  # a cold, private cache; restored below so nothing leaks
        try:
            t_mel = _timeit(lambda: extract(paths, LogMelConfig(), cache=False, progress=False), 1)
            extract(paths, LogMelConfig(), progress=False)
            t_hit = _timeit(lambda: extract(paths, LogMelConfig(), progress=False))
            t_lld = _timeit(lambda: extract_lld(paths, LLDConfig(), cache=False, progress=False), 1)
            t_cwt = _timeit(lambda: extract_wavelet(paths, WaveletConfig(), cache=False, progress=False), 1)
            extract_wavelet(paths, WaveletConfig(), progress=False)
            t_cwt_hit = _timeit(lambda: extract_wavelet(paths, WaveletConfig(), progress=False))
            t_img = _timeit(lambda: extract_images(paths, ImageConfig(), cache=False, progress=False), 1)
        finally:
            if before is None:
                os.environ.pop("SER_CACHE", None)
            else:
                os.environ["SER_CACHE"] = before
    out["logmel_x_realtime"] = round(audio_s / t_mel, 1)
    out["lld_x_realtime"] = round(audio_s / t_lld, 1)
    out["logmel_cache_speedup"] = round(t_mel / t_hit, 1)
    out["wavelet_cwt_x_realtime"] = round(audio_s / t_cwt, 1)
    out["wavelet_cache_speedup"] = round(t_cwt / t_cwt_hit, 1)
    out["spectrogram_image_x_realtime"] = round(audio_s / t_img, 1)

    model = ParallelCNNLSTMAttention()
    x = torch.randn(32, 1, 128, 188)

    def step(m, xb):
        m.zero_grad()
        m(xb).sum().backward()

    t_plain = _timeit(lambda: step(model, x))
    model_cl = model.to(memory_format=torch.channels_last)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    t_cl = _timeit(lambda: step(model_cl, x_cl))
    out["train_step_batch32_channels_last_speedup"] = round(t_plain / t_cl, 2)
    out["train_step_batch32_utterances_per_s"] = round(32 / t_cl, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    if argv and argv[0] == "train":  # the training benchmark has its own options
        from ser.bench_train import main as train_main

        return train_main(argv[1:])
    if argv and argv[0] == "ab":  # the whole trainer at two commits
        from ser.bench_ab import main as ab_main

        return ab_main(argv[1:])
    p = argparse.ArgumentParser(
        prog="ser bench",
        description=__doc__.splitlines()[0],
        epilog="ser bench train --help: the training benchmark; ser bench ab --help: the trainer at two commits",
    )
    p.add_argument("--corpus", default="eyase")
    p.add_argument("--files", type=int, default=40)
    p.add_argument("--root", default=None)
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args(argv)
    res = run(a.corpus, a.files, a.root)
    print(json.dumps(res, indent=1))
    if a.out:
        from core.io import write_json

        write_json(a.out, res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
