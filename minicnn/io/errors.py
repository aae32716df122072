"""The errors the ``.h5`` reader and writer raise (all are ``ValueError``s, as in Keras)."""


class H5FormatError(ValueError):
    """A file that is not a Keras ``.h5`` minicnn can read, or that does not fit the model.

    The message names the file and says what was expected and what came.
    """


class UnsupportedLayerError(H5FormatError):
    """The file's model config uses a layer class (or an option) minicnn does not have."""


class WeightMismatchError(H5FormatError):
    """The file's weights do not fit the model: another layer count, weight count or shape."""


class ExternalDataError(H5FormatError):
    """The file points outside itself (an external or soft link, external storage, a virtual
    dataset) or needs an HDF5 filter plugin: nothing is read through it."""
