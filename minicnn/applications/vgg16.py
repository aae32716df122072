"""VGG16 with Keras' layer names and Keras' ImageNet weight files (section 5.3 of the chapter).

Listing 5-16::

    from minicnn.applications import VGG16
    conv_base = VGG16(weights='imagenet', include_top=False, input_shape=(150, 150, 3))
    conv_base.summary()          # input_1, block1_conv1 ... block5_pool; 14,714,688 params

The network is 13 3x3 ``same`` convolutions with ReLU in five blocks (64, 128, 256, 512
and 512 filters; 2, 2, 3, 3, 3 convolutions), each block closed by a 2x2 max pooling, so
150x150 becomes 4x4x512. ``include_top=True`` adds Keras' classifier: ``flatten``,
``fc1`` and ``fc2`` (4096 ReLU units each) and ``predictions`` (1000-way softmax),
138,357,544 parameters in all at 224x224. It is a functional ``Model`` named ``vgg16``:
``model.add(conv_base)`` puts it in a Sequential as one layer, and freezing it (or some
of its layers) works as in Keras.

``weights='imagenet'`` reads Keras' own files (Keras 1 layout: layer groups at the root,
names like ``block1_conv1_W_1:0``), looking in order in

1. ``$MINICNN_HOME/models/`` (default ``~/.minicnn/models/``),
2. ``~/.keras/models/``, where Keras put them if you ran the chapter with Keras,
3. ``./weights/`` (the repository's ``weights/`` when you run from its root),

and otherwise downloads the file once into the first folder, MD5-checked. A file that
fails its MD5 check is passed over. Without network (or with ``MINICNN_OFFLINE=1``) a
missing file is one ``DownloadError`` naming the file, its URL, the folders, what was
wrong with any copy found in them, and ``weights=None``: see ``weights/README.md``.
"""
import collections
import hashlib
import os
import warnings

from .. import backend, layers
from ..io import h5_format
from ..io.errors import H5FormatError, WeightMismatchError
from ..models.functional import Model
from ..utils import data_utils
from ..utils.data_utils import DownloadError
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (Keras: vgg16.decode_predictions)

WeightsFile = collections.namedtuple("WeightsFile", "fname origin md5 size")
BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
WEIGHTS = {  # include_top -> Keras' file
    True: WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                      BASE_URL + "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                      "64373286793e3c8b2b4e3219cbf3544b", "553,467,096 bytes"),
    False: WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       BASE_URL + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "6d6bbae143d832006294945121d1f1fc", "58,889,256 bytes"),
}
BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))   # (filters, convolutions)
DEFAULT_SIZE, MIN_SIZE = 224, 32


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """The VGG16 network as a functional ``Model``, optionally with ImageNet weights.

    Args:
        include_top: add the classifier (``flatten``, ``fc1``, ``fc2``, ``predictions``).
        weights: ``'imagenet'`` (Keras' pretrained files, see the module docstring),
            ``None`` (random initialization) or the path of a weights file (Keras'
            ImageNet layout, or any ``save_weights`` / ``save`` file of this network).
        input_tensor: optional ``layers.Input(...)`` tensor (or a tensor computed from
            one) to build the network on.
        input_shape: one image's shape ``(H, W, 3)``, H and W at least 32 (or ``None``
            for any size without the top). With ``include_top=True`` and ImageNet
            weights it must be ``(224, 224, 3)``; the default is ``(224, 224, 3)`` with
            the top and ``(None, None, 3)`` without it.
        pooling: ``None``: the output is block5_pool's ``(None, H/32, W/32, 512)``;
            ``'avg'`` and ``'max'`` (Keras' global pooling) are not available yet.
        classes: size of ``predictions``; must be 1000 with ImageNet weights.
        classifier_activation: activation of ``predictions`` (``'softmax'`` or ``None``
            with pretrained weights).
        name: the model's name.

    Returns:
        A ``Model`` named ``vgg16``: 14,714,688 parameters without the top.

    Raises:
        ValueError: an argument Keras would refuse; ``H5FormatError`` (a ``ValueError``)
            for a weights file that is damaged or belongs to another network or variant;
            ``DownloadError`` (an ``OSError``) when ImageNet weights are neither found
            nor downloadable.
    """
    include_top = bool(include_top)
    weights = _check_weights(weights)
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"VGG16: with weights='imagenet' and include_top=True, classes must be "
                         f"1000 (the ImageNet classes), got classes={classes!r}; use "
                         "include_top=False and add your own classifier")
    if pooling is not None:
        raise ValueError(f"VGG16: pooling={pooling!r} needs GlobalAveragePooling2D or "
                         "GlobalMaxPooling2D, which minicnn does not have yet; use pooling=None "
                         "and add layers.Flatten() on top, as the chapter does")
    if include_top and weights is not None and classifier_activation not in ("softmax", None):
        raise ValueError("VGG16: with pretrained weights, classifier_activation must be "
                         f"'softmax' or None, got {classifier_activation!r}")
    if input_tensor is not None:
        if not isinstance(input_tensor, layers.SymbolicTensor):
            raise TypeError(f"VGG16: input_tensor must be a tensor from layers.Input(...) (or "
                            f"computed from one), got {type(input_tensor).__name__}")
        _input_shape(input_tensor.shape[1:], include_top, weights, what="input_tensor's shape")
    else:
        shape = _input_shape(input_shape, include_top, weights)
    # find (or fetch) the file before building anything: a failure leaves no half-made model
    weights_path = imagenet_weights(include_top) if weights == "imagenet" else weights
    if input_tensor is not None:
        img_input, inputs = input_tensor, _source(input_tensor)
    else:
        img_input = inputs = layers.Input(shape=shape, name=backend.unique_name("input"))

    x = img_input
    for block, (filters, convs) in enumerate(BLOCKS, start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    model = Model(inputs, x, name=name)
    if weights_path is not None:
        load_vgg16_weights(model, weights_path, include_top)
    return model


def preprocess_input(x, data_format=None):
    """VGG16's preprocessing ('caffe'): RGB to BGR, minus the ImageNet mean, no scaling.

    Args:
        x: ``(N, H, W, 3)`` or ``(H, W, 3)`` RGB values in ``[0, 255]``.

    Returns:
        A new array (Keras changes a float ``x`` in place; minicnn never does).
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


# ------------------------------------------------------------------ arguments
def _check_weights(weights):
    if weights is None or (isinstance(weights, str) and weights == "imagenet"):
        return weights
    if isinstance(weights, (str, bytes, os.PathLike)):
        path = os.fsdecode(weights)
        if os.path.isfile(path):
            return path
        reason = "it is a folder" if os.path.isdir(path) else "no such file"
        raise ValueError(f"VGG16: weights must be None (random initialization), 'imagenet' "
                         f"or the path of a weights file; got weights={path!r} ({reason})")
    raise ValueError(f"VGG16: weights must be None (random initialization), 'imagenet' or the "
                     f"path of a weights file; got {weights!r}")


def _input_shape(input_shape, include_top, weights, what="input_shape"):
    """Keras' ``obtain_input_shape`` for channels-last images: the checked ``(H, W, C)``."""
    default = (DEFAULT_SIZE, DEFAULT_SIZE, 3)
    if input_shape is None:
        return default if include_top else (None, None, 3)
    try:
        shape = tuple(None if s is None else int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"VGG16: {what} must be a tuple (H, W, C), got {input_shape!r}") from None
    if len(shape) != 3:
        raise ValueError(f"VGG16: {what} must be a tuple of three ints (H, W, C), "
                         f"got {input_shape!r}")
    if weights == "imagenet" and include_top and shape != default:
        raise ValueError(f"VGG16: with include_top=True and weights='imagenet', {what} must be "
                         f"{default} (fc1 was trained on 7x7x512 features), got {shape}; use "
                         "include_top=False for other sizes")
    if weights == "imagenet" and shape[2] != 3:
        raise ValueError(f"VGG16: ImageNet weights need 3 input channels (RGB), "
                         f"got {what} {shape}")
    if shape[2] is None:
        raise ValueError(f"VGG16: the number of channels must be known, got {what} {shape}")
    if weights != "imagenet" and shape[2] not in (1, 3):
        warnings.warn(f"VGG16 usually takes 1 or 3 input channels, got {what} {shape}",
                      stacklevel=3)
    if any(s is not None and s < MIN_SIZE for s in shape[:2]):
        raise ValueError(f"VGG16: images must be at least {MIN_SIZE}x{MIN_SIZE} (five 2x2 "
                         f"poolings), got {what} {shape}")
    if include_top and None in shape:
        raise ValueError(f"VGG16: include_top=True needs a fixed image size (Flatten feeds "
                         f"fc1), got {what} {shape}")
    return shape


def _source(tensor):
    """The model input a symbolic tensor was computed from."""
    while tensor.parent is not None:
        tensor = tensor.parent
    return tensor


# ---------------------------------------------------------------- weight files
def weights_folders():
    """Where ``weights='imagenet'`` looks, in order (absolute paths)."""
    return [os.path.join(data_utils.minicnn_home(), "models"),
            os.path.join(os.path.expanduser("~"), ".keras", "models"),
            os.path.abspath("weights")]


def imagenet_weights(include_top):
    """The local path of Keras' ImageNet file for VGG16, found or downloaded (MD5-checked).

    Raises:
        DownloadError: one message saying which file, where it looked, what was wrong
            with any copy it found there, how to get it, and ``weights=None``.
    """
    spec = WEIGHTS[bool(include_top)]
    folders = weights_folders()
    wrong = []                                 # copies found with another MD5
    for folder in folders:
        path = os.path.join(folder, spec.fname)
        if os.path.isfile(path):
            digest = md5(path)
            if digest == spec.md5:
                return _passed_over(wrong, path)
            wrong.append(f"  {path}: {os.path.getsize(path):,} bytes, MD5 {digest} "
                         "(truncated, or another file)")
    try:
        return _passed_over(wrong, data_utils.get_file(spec.fname, spec.origin,
                                                       file_hash=spec.md5, cache_subdir="models"))
    except DownloadError as e:
        where = "\n".join(f"  {folder}{os.sep}" for folder in folders)
        found = ("\nCopies found there are not that file:\n" + "\n".join(wrong)) if wrong \
            else "\nNone of them holds it."
        raise DownloadError(
            f"VGG16(weights='imagenet', include_top={bool(include_top)}) needs Keras' file "
            f"{spec.fname} ({spec.size}, MD5 {spec.md5}). minicnn looked in:\n{where}{found}\n"
            f"It could not be downloaded from {spec.origin}: {e.reason}.\n"
            f"Download it where there is network (that URL, or run Keras' "
            f"VGG16(weights='imagenet', include_top={bool(include_top)}) once: it saves the "
            f"file in ~/.keras/models/) and put it in one of those folders; see "
            f"weights/README.md. Or pass weights=None (random weights) or the file's path.",
            spec.origin, e.path, e.reason) from None


def _passed_over(wrong, path):
    """``path``, after a warning about the copies with the wrong MD5 that were skipped."""
    if wrong:
        warnings.warn("VGG16 weights: these copies fail the MD5 check and were not used:\n"
                      + "\n".join(wrong) + f"\nusing {path}", stacklevel=4)
    return path


def md5(path, block=1 << 20):
    """The MD5 hex digest of a file, read a block at a time."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_vgg16_weights(model, path, include_top):
    """``model.load_weights(path)``, with a hint when the file is the other variant."""
    try:
        model.load_weights(path)
    except WeightMismatchError as e:
        raise WeightMismatchError(f"{e}{_variant_hint(path, include_top)}") from None


def _variant_hint(path, include_top):
    """A sentence naming the likely mix-up (top file vs notop file), or ''."""
    try:
        with h5_format.open_h5(path) as f:
            group, _ = h5_format.weights_root(f, path)
            names = {name for name, weights in h5_format.read_layout(group, path) if weights}
    except (H5FormatError, OSError):
        return ""
    if not include_top and "fc1" in names:
        return (f"\n{os.path.basename(path)} holds VGG16's classifier (fc1, fc2, predictions): "
                f"it is the include_top=True file. include_top=False needs {WEIGHTS[False].fname}.")
    if include_top and "block5_conv3" in names and "fc1" not in names:
        return (f"\n{os.path.basename(path)} holds the convolutional base only: it is the "
                f"include_top=False file. include_top=True needs {WEIGHTS[True].fname}.")
    if not {"block1_conv1", "block5_conv3"} <= names:
        return "\nIt does not look like a VGG16 weights file (no block1_conv1 ... block5_conv3)."
    return ""
