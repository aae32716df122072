"""The chapter's MNIST recipe in PyTorch and in minicnn, on the same data: test accuracies.

A replica of listings 5-1 to 5-3 in PyTorch, made to follow Keras' recipe: Glorot-uniform
kernels and zero biases, RMSprop(lr=1e-3, rho=0.9, eps=1e-7, eps inside the root as
current Keras), categorical crossentropy on a softmax, batch 64, shuffled each epoch,
5 epochs. Both engines train on the same split (by default the 8,000 / 2,000 split of the
bundled 10,000-image MNIST sample that ``mnist.load_data()`` gives offline) for several
seeds, and the script prints each run's test accuracy and the mean and spread per engine.

    python benchmarks/replica_torch_mnist.py                 # 3 seeds, 5 epochs
    python benchmarks/replica_torch_mnist.py --seeds 0 1 --epochs 1
"""
import argparse
import statistics
import time

import numpy as np


def load_split():
    from minicnn.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    prep = lambda x: (x.reshape(-1, 28, 28, 1) / np.float32(255)).astype("float32")  # noqa: E731
    return prep(x_train), y_train.astype("int64"), prep(x_test), y_test.astype("int64")


def train_minicnn(data, seed, epochs, batch_size):
    from minicnn import backend, layers, models
    from minicnn.utils import to_categorical

    x_train, y_train, x_test, y_test = data
    backend.set_seed(seed)
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, to_categorical(y_train, 10), epochs=epochs, batch_size=batch_size,
              verbose=0)
    return model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)[1]


def train_torch(data, seed, epochs, batch_size):
    import torch
    from torch import nn

    x_train, y_train, x_test, y_test = data
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
        nn.Flatten(),             # PyTorch flattens (c, h, w); Keras (h, w, c): same net, permuted
        nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    for module in net:
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(module.weight)            # Keras' glorot_uniform
            nn.init.zeros_(module.bias)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    xt = torch.from_numpy(x_train.transpose(0, 3, 1, 2).copy())
    yt = torch.from_numpy(y_train)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), batch_size):
            index = order[start:start + batch_size]
            opt.zero_grad()
            loss_fn(net(xt[index]), yt[index]).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(x_test.transpose(0, 3, 1, 2).copy())).argmax(1).numpy()
    return float((pred == y_test).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    data = load_split()
    print(f"train {len(data[0]):,} images, test {len(data[2]):,}; {args.epochs} epochs, "
          f"batch {args.batch_size}, RMSprop(1e-3)")
    results = {}
    for seed in args.seeds:
        for name, train in (("minicnn", train_minicnn), ("pytorch", train_torch)):
            start = time.perf_counter()
            acc = train(data, seed, args.epochs, args.batch_size)
            results.setdefault(name, []).append(acc)
            print(f"seed {seed} {name:8s} test accuracy {acc:.4f}  ({time.perf_counter() - start:.0f} s)")
    for name, accs in results.items():
        spread = statistics.stdev(accs) if len(accs) > 1 else 0.0
        print(f"{name:8s} mean {statistics.mean(accs):.4f}  std {spread:.4f}  "
              f"min {min(accs):.4f}  max {max(accs):.4f}  over {len(accs)} seeds")


if __name__ == "__main__":
    main()
