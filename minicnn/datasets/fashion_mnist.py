"""Fashion-MNIST (Zalando, MIT licence), as Keras' ``fashion_mnist.load_data``.

Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot. The files come from, in order of preference:

1. Debian's package (``apt-get install dataset-fashion-mnist``), full size and offline. Debian
   recompressed the gzip files, so their hashes differ from the ones below; dpkg has verified
   them and the IDX reader checks their structure.
2. ``$MINICNN_HOME/datasets/fashion-mnist/``, downloaded there from Keras' mirror when missing.
   Keras 2 passed no hash for these files; Keras 3 pins the SHA-256 values used here (they
   are the sums of Zalando's original gzip files).
"""
import os

from ..utils.data_utils import DownloadError, get_file
from ._idx import read_pair

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASHES = {  # sha256 of the gzip files Keras downloads
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def load_data():
    """Load Fashion-MNIST: Debian's copy when installed, else the cache, else a download.

    Returns:
        tuple: ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(60000, 28, 28)`` and
        ``(10000, 28, 28)`` grey levels 0-255, ``y`` uint8 ``(60000,)`` and ``(10000,)``
        classes 0-9.

    Raises:
        DownloadError: (an ``OSError``) the files are nowhere local and cannot be downloaded;
            the message says how to get them.
    """
    paths = {name: os.path.join(DEBIAN_DIR, name) for name in FILE_HASHES}
    if not all(os.path.exists(p) for p in paths.values()):
        try:
            paths = {name: get_file(name, BASE + name, file_hash=digest,
                                    cache_subdir=os.path.join("datasets", "fashion-mnist"))
                     for name, digest in FILE_HASHES.items()}
        except DownloadError as exc:
            what = "a cached file is damaged" if exc.found_hash else "not found"
            raise DownloadError(
                f"Fashion-MNIST {what}: install Debian's copy (apt-get install -y "
                f"dataset-fashion-mnist, files in {DEBIAN_DIR}) or run once with network "
                f"(MINICNN_OFFLINE unset). {exc}", exc.url, exc.path, exc.reason,
                exc.found_hash) from exc
    train = read_pair(paths["train-images-idx3-ubyte.gz"], paths["train-labels-idx1-ubyte.gz"])
    test = read_pair(paths["t10k-images-idx3-ubyte.gz"], paths["t10k-labels-idx1-ubyte.gz"])
    return train, test
