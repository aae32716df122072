"""Endless batch iterators over arrays and image folders, with background loading.

``Iterator`` keeps Keras' bookkeeping (``n``, ``batch_size``, ``batch_index``,
``total_batches_seen``, ``index_array``; a new permutation at the start of each
epoch; a short last batch) and Keras' seeding: before batch number ``k`` of the
iterator's life it starts a ``RandomState(seed + k)``, draws the epoch's
permutation from it when an epoch begins, then each sample's transform
parameters in batch order. With the same images, a seeded minicnn iterator
yields the same batches as a seeded Keras one.

Threads. Only the consumer's thread plans batches (indices and random
parameters, cheap); the expensive part, decoding, resizing and transforming each
sample, runs in a ``ThreadPoolExecutor`` while the previous batch is being used
for training, ``max_queue_size`` batches ahead. Since everything random is drawn
at planning time, the batches do not depend on the threads (``workers=0`` runs
everything in the calling thread: the same batches, for debugging). Call
``reset()`` or ``on_epoch_end()`` and the batches planned ahead are dropped and
the state rewound, so the next batch is the one the synchronous iterator would
give. ``close()`` (or a ``with`` block) stops the threads; they are also dropped
with the iterator.
"""
import collections
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import backend

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")


def default_workers():
    """Default number of loading threads: the CPU count, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


class Iterator:
    """Base of the batch iterators: ordering, seeding, prefetching.

    Subclasses set ``image_shape`` and implement ``_load(j)`` (sample ``j`` as an
    ``image_shape`` array, before augmentation) and ``_labels(index_array,
    batch_x)`` (what accompanies the batch).

    Args:
        n: number of samples.
        batch_size: samples per batch (the last batch of an epoch may be short).
        shuffle: draw a new order at the start of each epoch.
        seed: int for reproducible order and augmentation; None draws one from
            minicnn's generator (``backend.set_seed`` makes that reproducible).
        workers: loading threads; 0 loads in the calling thread. Default
            ``default_workers()``.
        max_queue_size: batches prepared ahead of the one being consumed.
    """

    white_list_formats = WHITE_LIST_FORMATS

    def __init__(self, n, batch_size, shuffle, seed, workers=None, max_queue_size=2):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size: expected a positive int, got {batch_size!r}")
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self._base_seed = int(seed) if seed is not None else int(backend.rng().integers(2**31))
        self._epoch_random = np.random.RandomState(self._base_seed)
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array = None
        self.workers = default_workers() if workers is None else int(workers)
        self.max_queue_size = max(0, int(max_queue_size))
        self.lock = threading.Lock()
        self._pending = collections.deque()     # (state before, planned batch)
        self._executor = None

    # ------------------------------------------------------------ Keras' API
    def __len__(self):
        """Batches per epoch: ``ceil(n / batch_size)``."""
        return (self.n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        return self

    def __next__(self):
        """The next batch of the endless stream (see the subclass for its form)."""
        with self.lock:
            if self.workers == 0:
                batch = self._start(self._plan_next())
            else:
                while len(self._pending) <= self.max_queue_size:
                    state = self._state()
                    self._pending.append((state, self._start(self._plan_next())))
                batch = self._pending.popleft()[1]
        return self._finish(batch)

    next = __next__                              # Keras 2 called ``generator.next()``

    def __getitem__(self, idx):
        """Batch ``idx`` of the current epoch's order (Keras' ``Sequence`` access).

        As in Keras, the random transforms come from ``seed + total_batches_seen``,
        so asking for the same ``idx`` twice gives differently augmented batches.
        """
        if not 0 <= idx < len(self):
            raise ValueError(f"asked for batch {idx}, but the iterator has {len(self)} batches")
        with self.lock:
            self._drop_planned()
            random = self._batch_random()
            self.total_batches_seen += 1
            if self.index_array is None:
                self._set_index_array(random)
            index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
            batch = self._start((index_array, self._draw(random, len(index_array))))
        return self._finish(batch)

    def on_epoch_end(self):
        """Draw a new order for the next pass of ``__getitem__`` (Keras' Sequence hook)."""
        with self.lock:
            self._drop_planned()
            self._set_index_array(self._epoch_random)

    def reset(self):
        """Start the stream of ``next()`` at a new epoch (a new order if shuffling)."""
        with self.lock:
            self._drop_planned()
            self.batch_index = 0

    def close(self):
        """Stop the loading threads (a new call to ``next()`` starts them again)."""
        with self.lock:
            self._drop_planned()
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        executor = getattr(self, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ planning
    def _batch_random(self):
        return np.random.RandomState((self._base_seed + self.total_batches_seen) % 2**32)

    def _set_index_array(self, random):
        self.index_array = random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def _plan_next(self):
        """Keras' ``_flow_index`` step: the next slice of the order, and its transforms."""
        random = self._batch_random()
        if self.batch_index == 0:
            self._set_index_array(random)
        current = (self.batch_index * self.batch_size) % self.n if self.n else 0
        if self.n > current + self.batch_size:
            self.batch_index += 1
        else:
            self.batch_index = 0
        self.total_batches_seen += 1
        index_array = self.index_array[current:current + self.batch_size]
        return index_array, self._draw(random, len(index_array))

    def _draw(self, random, count):
        """Per-sample transform parameters, drawn in order from ``random``."""
        generator = self.image_data_generator
        return [generator._draw_transform(self.image_shape, random) for _ in range(count)]

    def _state(self):
        return self.batch_index, self.total_batches_seen, self.index_array

    def _drop_planned(self):
        """Forget batches planned ahead and rewind to the state before the first."""
        if self._pending:
            self.batch_index, self.total_batches_seen, self.index_array = self._pending[0][0]
            for _, (_, _, futures) in self._pending:
                for future in futures:
                    future.cancel()
            self._pending.clear()

    # ------------------------------------------------------------ loading
    def _start(self, plan):
        """Allocate the batch and start (or, with ``workers=0``, do) its samples."""
        index_array, params = plan
        batch_x = np.zeros((len(index_array),) + tuple(self.image_shape),
                           dtype=self.dtype)
        if self.workers == 0:
            for i, (j, p) in enumerate(zip(index_array, params)):
                self._fill(batch_x, i, j, p)
            return index_array, batch_x, []
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers,
                                                thread_name_prefix="minicnn-image")
        futures = [self._executor.submit(self._fill, batch_x, i, j, p)
                   for i, (j, p) in enumerate(zip(index_array, params))]
        return index_array, batch_x, futures

    def _fill(self, batch_x, i, j, params):
        """Load sample ``j``, augment and standardize it into ``batch_x[i]``."""
        generator = self.image_data_generator
        x = generator.apply_transform(self._load(j), params)
        batch_x[i] = generator.standardize(x)

    def _finish(self, batch):
        index_array, batch_x, futures = batch
        for future in futures:
            future.result()                      # re-raises a loading error here
        return self._labels(index_array, batch_x)

    def _load(self, j):
        """Sample ``j`` as an ``(H, W, C)`` float array; each subclass says from where."""
        raise NotImplementedError(f"{type(self).__name__} must define _load")

    def _labels(self, index_array, batch_x):
        """The batch to yield, ``batch_x`` with its labels; each subclass says which."""
        raise NotImplementedError(f"{type(self).__name__} must define _labels")


class NumpyArrayIterator(Iterator):
    """Batches of augmented images from an array, as ``ImageDataGenerator.flow``.

    Args:
        x: ``(N, H, W, C)`` images (copied to the generator's dtype).
        y: None or ``(N, ...)`` labels, returned as they are.
        image_data_generator: the ``ImageDataGenerator`` that augments.
        batch_size, shuffle, seed, workers, max_queue_size: as ``Iterator``.
        sample_weight: None or ``(N,)`` weights, returned third.
        subset: ``'training'`` or ``'validation'`` with the generator's
            ``validation_split``: validation is the first ``int(N * split)`` samples.
        dtype: the batch type; default the generator's.

    Yields:
        ``x_batch`` ``(B, H, W, C)``; with ``y``: ``(x_batch, y[idx])``; with
        weights: ``(x_batch, y[idx], sample_weight[idx])``.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, subset=None, dtype=None, workers=None,
                 max_queue_size=2):
        self.dtype = dtype or image_data_generator.dtype
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"flow: x must be (N, H, W, C) images, got shape {x.shape}")
        if y is not None and len(x) != len(y):
            raise ValueError(f"flow: x and y must have the same length, got "
                             f"{len(x)} and {len(y)}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"flow: x and sample_weight must have the same length, got "
                             f"{len(x)} and {len(sample_weight)}")
        if subset is not None:
            split = image_data_generator._subset_split(subset)
            cut = int(len(x) * split)
            part = slice(0, cut) if subset == "validation" else slice(cut, None)
            if y is not None and not np.array_equal(np.unique(y[:cut]), np.unique(y[cut:])):
                raise ValueError("flow: the training and validation subsets have different "
                                 "classes after the split; shuffle x and y first")
            x = x[part]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.image_shape = self.x.shape[1:]
        super().__init__(len(self.x), batch_size, shuffle, seed, workers, max_queue_size)

    def _load(self, j):
        return self.x[j].copy()

    def _labels(self, index_array, batch_x):
        if self.y is None:
            return batch_x
        if self.sample_weight is None:
            return batch_x, self.y[index_array]
        return batch_x, self.y[index_array], self.sample_weight[index_array]
