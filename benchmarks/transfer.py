"""Section 5.3's training steps through VGG16 (W4): minicnn vs PyTorch, images/s.

Two jobs, both the chapter's model ``conv_base + Flatten + Dense(256, relu) + Dense(1,
sigmoid)`` on 150x150 images at batch 20, one ``train_on_batch`` per step:

- ``frozen`` (listing 5-21): ``conv_base.trainable = False``, RMSprop(lr=2e-5). Only the
  dense head learns, so the backward pass stops at the base's output (in PyTorch too:
  no parameter before it asks for a gradient). ``infer`` times the whole model's
  ``predict``, what the listing's validation steps run.
- ``finetune`` (listing 5-23): the base trainable from ``block5_conv1`` on,
  RMSprop(lr=1e-5): the backward pass runs through block 5's three convolutions and
  stops there (their weight gradients, no input gradient for ``block5_conv1``).

The weights are random (speed does not depend on them); the batches are random arrays
already in memory, as in ``vgg16.py``: this times the network, not the augmentation.
PyTorch runs the same layers by hand (``vgg16.torch_vgg16_features``), channels-last, 2
threads, ``BCEWithLogitsLoss`` on the logit (the sigmoid folded in).

    python benchmarks/transfer.py            # 3 interleaved rounds of both jobs
    python benchmarks/transfer.py --quick    # 2 rounds of 1 step
"""
import argparse
import importlib.util
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import vgg16  # noqa: E402

SIZE, BATCH, THREADS = 150, 20, 2
JOBS = {"frozen": ("train", "infer"), "finetune": ("train",)}
LEARNING_RATE = {"frozen": 2e-5, "finetune": 1e-5}


def book_model(job):
    """Listing 5-20's model, frozen as listing 5-21 or opened from block5 as 5-22/5-23."""
    from minicnn import backend, layers, models, optimizers
    from minicnn.applications import VGG16

    backend.set_seed(0)
    conv_base = VGG16(weights=None, include_top=False, input_shape=(SIZE, SIZE, 3))
    model = models.Sequential()
    model.add(conv_base)
    model.add(layers.Flatten())
    model.add(layers.Dense(256, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    if job == "frozen":
        conv_base.trainable = False
    else:
        trainable = False
        for layer in conv_base.layers:
            trainable = trainable or layer.name == "block5_conv1"
            layer.trainable = trainable
    model.compile(optimizers.RMSprop(lr=LEARNING_RATE[job]), "binary_crossentropy", ["acc"])
    return model


def torch_model(job):
    """The same model in PyTorch, with the same parameters left frozen."""
    import torch
    from torch import nn

    features = vgg16.torch_vgg16_features()
    for p in features.parameters():
        p.requires_grad_(False)
    if job == "finetune":                 # block 5: the last 3 convolutions (+ ReLUs, pool)
        for p in features[-7:].parameters():
            p.requires_grad_(True)
    net = nn.Sequential(features, nn.Flatten(), nn.Linear(4 * 4 * 512, 256), nn.ReLU(),
                        nn.Linear(256, 1)).to(memory_format=torch.channels_last)
    trainable = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.RMSprop(trainable, lr=LEARNING_RATE[job], alpha=0.9, eps=1e-7)
    return net, opt


def batches(n=2):
    x = [vgg16.images(SIZE, BATCH) for _ in range(n)]
    rng = np.random.default_rng(0)
    y = [rng.integers(0, 2, BATCH).astype(np.float32) for _ in range(n)]
    return x, y


def setup(name, job):
    """One engine in a worker process: ``'minicnn'`` or ``'torch'``, for one job."""
    x, y = batches()
    if name == "torch":
        import torch

        torch.set_num_threads(THREADS)
        torch.manual_seed(0)
        net, opt = torch_model(job)
        xs = [torch.from_numpy(b).permute(0, 3, 1, 2) for b in x]   # NHWC seen as NCHW
        ys = [torch.from_numpy(b[:, None]) for b in y]
        return dict(name=name, net=net, opt=opt, x=xs, y=ys, loss=torch.nn.BCEWithLogitsLoss())
    return dict(name=name, model=book_model(job), x=x, y=y)


def run(engine, mode, steps):
    """Seconds and images for ``steps`` training steps (``'train'``) or predicts (``'infer'``)."""
    x, y = engine["x"], engine["y"]
    start = time.perf_counter()
    if engine["name"] == "torch":
        harness.torch_steps(engine, mode, steps)
    else:
        model = engine["model"]
        for i in range(steps):
            if mode == "train":
                model.train_on_batch(x[i % len(x)], y[i % len(y)])
            else:
                model.predict(x[i % len(x)], batch_size=BATCH)
    return time.perf_counter() - start, steps * BATCH


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 step")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--no-torch", action="store_true", help="time minicnn alone")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 3)
    steps = 1 if args.quick else 2
    names = ["minicnn"]
    if not args.no_torch and importlib.util.find_spec("torch") is not None:
        names.append("torch")
    print(harness.load())
    for job, modes in JOBS.items():
        engines = [harness.Engine(name, setup, run, options=dict(job=job),
                                  steps=dict.fromkeys(modes, steps)) for name in names]
        harness.interleave(engines, modes, rounds)
        for engine in engines:
            peak = engine.close()
            rates = ", ".join(f"{m} {harness.summary(engine.rates[m])} img/s" for m in modes)
            print(f"W4 {job:8s} {engine.name:8s} {rates}; peak RSS {peak:.0f} MiB")
        if len(engines) == 2:
            print("  minicnn / PyTorch: " + ", ".join(
                f"{m} {harness.median(engines[0].rates[m]) / harness.median(engines[1].rates[m]):.2f}x"
                for m in modes))
    print(harness.load())


if __name__ == "__main__":
    main()
