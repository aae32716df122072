"""ImageNet input preprocessing and class names, as ``keras.applications.imagenet_utils``.

The chapter's VGG16 session::

    x = image.img_to_array(image.load_img('elephant.jpg', target_size=(224, 224)))
    x = preprocess_input(np.expand_dims(x, axis=0))     # (1, 224, 224, 3), BGR, mean-centred
    preds = model.predict(x)                            # (1, 1000) class probabilities
    decode_predictions(preds, top=3)[0]
    # [('n02504458', 'African_elephant', 0.909), ('n01871265', 'tusker', 0.086), ...]

One difference from Keras: ``preprocess_input`` always returns a new array. Keras
writes over a float input in place (``x -= mean``), so calling it twice on the same
array shifted the pixels twice; minicnn leaves your array as it was.

The class names come from ``imagenet_class_index.json``, shipped inside the package
(byte for byte Keras' file, MD5 ``c2c37ea517e94d9795004a39431a14cb``), so decoding needs
no download.
"""
import json
import os

import numpy

from .. import backend

CLASS_INDEX_FILE = os.path.join(os.path.dirname(__file__), "imagenet_class_index.json")
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"
NUM_CLASSES = 1000
# per-channel means of the ImageNet training set: BGR for 'caffe', RGB for 'torch'
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)

_CLASS_INDEX = None


def preprocess_input(x, data_format=None, mode="caffe"):
    """Prepare RGB pixels in ``[0, 255]`` for an ImageNet network; returns a NEW array.

    Args:
        x: ``(N, H, W, 3)`` or ``(H, W, 3)`` RGB values in ``[0, 255]`` (any real dtype;
            integers become ``backend.floatx()``, floats keep their type).
        data_format: ``None`` or ``'channels_last'`` (minicnn is NHWC only).
        mode: ``'caffe'`` (VGG16, ResNet50): RGB to BGR, then subtract the ImageNet mean
            ``[103.939, 116.779, 123.68]`` per BGR channel, no scaling;
            ``'tf'``: scale to ``[-1, 1]``; ``'torch'``: scale to ``[0, 1]``, then
            normalise each RGB channel by ImageNet's mean and standard deviation.

    Returns:
        An array of ``x``'s shape (never ``x`` itself: Keras writes over float input,
        minicnn does not).
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: mode must be 'caffe', 'tf' or 'torch', got {mode!r}")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"preprocess_input: only data_format='channels_last' (NHWC) is "
                         f"supported, got {data_format!r}")
    xp = backend.get_array_module(x)
    x = xp.asarray(x)
    if x.dtype.kind not in "fiub":
        raise ValueError(f"preprocess_input: expected pixel values (numbers), got dtype {x.dtype}")
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise ValueError(f"preprocess_input: expected RGB images (N, H, W, 3) or (H, W, 3), "
                         f"got shape {tuple(x.shape)}")
    dtype = numpy.dtype(x.dtype if x.dtype.kind == "f" else backend.floatx())
    if mode == "tf":
        return x.astype(dtype) / dtype.type(127.5) - dtype.type(1)
    if mode == "torch":
        mean = xp.asarray(TORCH_MEAN, dtype=dtype)
        std = xp.asarray(TORCH_STD, dtype=dtype)
        return (x.astype(dtype) / dtype.type(255) - mean) / std
    out = x[..., ::-1].astype(dtype)                     # RGB -> BGR, a new array
    out -= xp.asarray(CAFFE_MEAN_BGR, dtype=dtype)
    return out


def decode_predictions(preds, top=5):
    """Name the ``top`` most probable ImageNet classes of each prediction.

    Args:
        preds: ``(N, 1000)`` scores, e.g. ``model.predict(x)`` of VGG16 with its top.
        top: how many classes per sample, 1 to 1000.

    Returns:
        One list per sample of ``(wnid, name, score)`` tuples, highest score first, e.g.
        ``('n02504458', 'African_elephant', 0.909)``; ``score`` is a Python float
        (Keras gives a NumPy scalar).
    """
    preds = backend.to_numpy(preds) if hasattr(preds, "shape") else numpy.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != NUM_CLASSES:
        raise ValueError(f"decode_predictions expects a batch of ImageNet predictions, an array "
                         f"of shape (samples, {NUM_CLASSES}), got shape {tuple(preds.shape)}"
                         + (" (add the batch axis: preds[None])"
                            if preds.shape == (NUM_CLASSES,) else ""))
    if isinstance(top, bool) or not isinstance(top, (int, numpy.integer)) \
            or not 1 <= top <= NUM_CLASSES:
        raise ValueError(f"decode_predictions: top must be an int from 1 to {NUM_CLASSES}, "
                         f"got {top!r}")
    index = class_index()
    results = []
    for row in preds:
        order = numpy.argsort(-row, kind="stable")[:top]   # ties: the lower class first
        results.append([(index[i][0], index[i][1], float(row[i])) for i in order])
    return results


def class_index():
    """``[(wnid, name), ...]`` for the 1000 ImageNet classes, from the bundled json."""
    global _CLASS_INDEX
    if _CLASS_INDEX is None:
        with open(CLASS_INDEX_FILE, encoding="utf-8") as f:
            raw = json.load(f)
        _CLASS_INDEX = [tuple(raw[str(i)]) for i in range(NUM_CLASSES)]
    return _CLASS_INDEX
