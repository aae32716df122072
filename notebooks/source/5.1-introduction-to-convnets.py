# Source of notebooks/5.1-introduction-to-convnets.ipynb (percent format: see notebooks/build.py).
# Edit this file, then run `python notebooks/run.py 5.1` to rebuild and execute the notebook.

# %% [markdown]
# # 5.1 Introduction to convnets
#
# Section 5.1 of *Deep Learning with Python* (1st edition), run on **minicnn**: the chapter's
# listings with `keras` renamed to `minicnn`, and after each key listing a cell that opens
# the engine underneath, so you can see the NumPy that does the work.
#
# **Quick or book length.** The first code cell reads `MINICNN_NOTEBOOK_QUICK` (default `1`).
# In quick mode the network trains on 4,000 digits for 2 epochs and nothing touches the
# network; set `QUICK = False` (or start Jupyter with `MINICNN_NOTEBOOK_QUICK=0`) for the
# chapter's 5 epochs on every training image.
#
# **Data.** `mnist.load_data()` returns the full MNIST set (60,000 + 10,000 digits) when
# `mnist.npz` is in `$MINICNN_HOME/datasets/` or can be downloaded. Offline it falls back,
# with a warning, to a real sample shipped with minicnn: the first 10,000 MNIST training
# digits, split 8,000 / 2,000. The accuracy is then measured on 2,000 digits the network
# never saw, but not on the official test set.

# %%
import os

QUICK = os.environ.get("MINICNN_NOTEBOOK_QUICK", "1") == "1"   # False: the chapter's run
if QUICK:
    os.environ["MINICNN_OFFLINE"] = "1"      # quick mode never reaches for the network
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from minicnn import backend as K
K.set_seed(0)                                # the same weights, and numbers, on each run
print("quick mode" if QUICK else "book mode", "- minicnn backend:", K.backend())

# %% [markdown]
# ## A first convnet
#
# A convnet is a stack of `Conv2D` and `MaxPooling2D` layers. Each `Conv2D` slides small
# 3x3 windows over its input and applies the same learned filters at every position, so a
# pattern it learns in one corner is recognised everywhere. Its input is a batch of images
# as `(height, width, channels)`; an MNIST digit is `(28, 28, 1)`.
#
# Listing 5-1 builds the convolutional base.

# %% tags=["no-output"]
from minicnn import layers
from minicnn import models

model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))

# %%
model.summary()

# %% [markdown]
# Reading the table: `None` is the batch size, unknown until data arrive. A 3x3 window fits
# 26 times along 28 pixels, so the first layer's output is 26x26 with one channel per
# filter (32). Its 320 parameters are 32 kernels of 3x3x1 plus 32 biases. Each pooling
# halves height and width; the depth grows from 32 to 64 as the maps shrink.
#
# Listing 5-2 flattens the last `(3, 3, 64)` maps into 576 numbers and adds the classifier.

# %% tags=["no-output"]
model.add(layers.Flatten())
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(10, activation='softmax'))

# %%
model.summary()

# %% [markdown]
# ## Training on MNIST
#
# Listing 5-3. The images become float32 in `[0, 1]` with a channel axis, the labels
# one-hot vectors of 10. The book writes `reshape((60000, 28, 28, 1))`; `len(...)` below
# fits both the full set and the bundled sample.

# %%
from minicnn.datasets import mnist
from minicnn.utils import to_categorical

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
if len(train_images) != 60000:
    print(f"NOTE: the bundled MNIST sample ({len(train_images):,} training and "
          f"{len(test_images):,} test digits), not the full set: accuracies are a little lower.")
if QUICK:
    train_images, train_labels = train_images[:4000], train_labels[:4000]
    print(f"Quick mode: training on the first {len(train_images):,} digits.")

# %%
fig, axes = plt.subplots(1, 8, figsize=(12, 2))
for ax, digit, label in zip(axes, train_images, train_labels):
    ax.imshow(digit, cmap='binary')
    ax.set_title(str(label))
    ax.axis('off')
plt.show()

# %%
train_images = train_images.reshape((len(train_images), 28, 28, 1))
train_images = train_images.astype('float32') / 255

test_images = test_images.reshape((len(test_images), 28, 28, 1))
test_images = test_images.astype('float32') / 255

train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

model.compile(optimizer='rmsprop',
              loss='categorical_crossentropy',
              metrics=['accuracy'])
history = model.fit(train_images, train_labels, epochs=2 if QUICK else 5, batch_size=64)

# %%
test_loss, test_acc = model.evaluate(test_images, test_labels)
test_acc

# %% [markdown]
# The chapter reports 99.1-99.3% after 5 epochs on 60,000 digits, against 97.8% for the
# densely connected network of chapter 2. Quick mode sees a fifteenth of that data.
#
# ## Open the engine: a convolution is one matrix product
#
# minicnn's `Conv2D.forward` does not loop over windows with filters. `im2col` first copies
# every 3x3 window of the image into one row of a matrix (676 rows for the 26x26 output
# positions, 9 columns for the window's pixels); one matrix product with the kernels,
# reshaped to `(9, 32)`, then gives all 32 feature maps at once. Here is the readable
# version of `im2col`, the loops that the fast numba kernel is tested against:

# %%
import inspect
from minicnn.kernels import reference

print(inspect.getsource(reference.im2col))

# %% [markdown]
# The same steps by hand, on the first test digit, with the trained first layer's weights;
# the result must equal what the layer computes inside the model.

# %%
digit = test_images[:1]                                   # (1, 28, 28, 1)
cols = reference.im2col(digit, 3, 3, 1, 1, 'valid')       # (26*26, 3*3*1)
kernel, bias = model.layers[0].get_weights()              # (3, 3, 1, 32), (32,)
maps = np.maximum(cols @ kernel.reshape(9, 32) + bias, 0).reshape(1, 26, 26, 32)

first_layer = models.Model(inputs=model.input, outputs=model.layers[0].output)
print("im2col matrix:", cols.shape, "- feature maps:", maps.shape)
print("largest difference from the layer's own output:",
      float(np.abs(maps - first_layer.predict(digit)).max()))

# %%
fig, axes = plt.subplots(1, 6, figsize=(14, 2.6), gridspec_kw={'width_ratios': [1, 3, 1, 1, 1, 1]})
axes[0].imshow(digit[0, :, :, 0], cmap='binary')
axes[0].set_title('test digit')
axes[1].imshow(cols[10 * 26:16 * 26].T, cmap='binary', aspect='auto', interpolation='nearest')
axes[1].set_title('im2col, transposed: the 9 pixels of the windows\nof output rows 10 to 15 '
                  '(156 of the 676 rows)')
for ax, channel in zip(axes[2:], (0, 1, 2, 3)):
    ax.imshow(maps[0, :, :, channel], cmap='viridis')
    ax.set_title(f'feature map {channel}')
for ax in axes:
    ax.axis('off')
plt.show()

# %% [markdown]
# ## Padding and strides
#
# With `padding='valid'` (the default) a window must fit inside the image, so each 3x3
# layer trims one pixel per border: 28 becomes 26. `padding='same'` adds zeros around the
# border so the output keeps the input's size (TensorFlow's rule: an odd extra pixel goes
# to the bottom and right). A stride of 2 moves the window two pixels at a time and halves
# the size. Every layer computes its output size with the same small function:

# %%
from minicnn.kernels.geometry import conv_geometry

for padding, stride in (('valid', 1), ('same', 1), ('valid', 2), ('same', 2)):
    layer = layers.Conv2D(8, (3, 3), strides=stride, padding=padding)
    print(f"padding={padding!r:8} strides={stride}: (None, 28, 28, 1) ->",
          layer.compute_output_shape((None, 28, 28, 1)),
          "  (OH, OW, pad top, bottom, left, right) =",
          conv_geometry(28, 28, 3, 3, stride, stride, padding))

# %% [markdown]
# ## Why max pooling
#
# Without the pooling layers the three convolutions still see only 7x7 pixels of the
# digit each, and the last maps are large: the chapter's model without pooling (below)
# would feed 22 x 22 x 64 = 30,976 numbers to the classifier.

# %% tags=["no-output"]
model_no_max_pool = models.Sequential()
model_no_max_pool.add(layers.Conv2D(32, (3, 3), activation='relu',
                      input_shape=(28, 28, 1)))
model_no_max_pool.add(layers.Conv2D(64, (3, 3), activation='relu'))
model_no_max_pool.add(layers.Conv2D(64, (3, 3), activation='relu'))

# %%
model_no_max_pool.summary()

# %% [markdown]
# Open the engine: max pooling keeps the largest value of each 2x2 window, and remembers
# where it was, because the backward pass sends the whole gradient of a window to that one
# input. The reference loops on a 4x4 example:

# %%
x = np.array([[1, 3, 2, 0],
              [4, 2, 1, 5],
              [0, 1, 7, 2],
              [2, 6, 3, 1]], dtype='float32').reshape(1, 4, 4, 1)
pooled, argmax = reference.maxpool_forward(x, 2, 2, 2, 2, 'valid')
print("pooled:\n", pooled[0, :, :, 0])
dx = reference.maxpool_backward(np.ones_like(pooled), argmax, x.shape, 2, 2, 2, 2, 'valid')
print("where a gradient of ones goes back:\n", dx[0, :, :, 0])

# %% [markdown]
# ## Open the engine: is the backward pass right?
#
# Every layer writes its own backward pass. `minicnn.gradcheck` compares it with central
# differences, `(f(x + eps) - f(x - eps)) / 2 eps`, for the input and every weight. It must
# run in float64 on small shapes: float32 differences drown in rounding. Errors below
# 1e-6 mean the hand-written gradient is right.

# %%
from minicnn import gradcheck

with K.floatx_scope('float64'):
    rng = np.random.default_rng(0)
    for layer in (layers.Conv2D(4, (3, 3), strides=2, padding='same', activation='tanh'),
                  layers.MaxPooling2D((2, 2)),
                  layers.Dense(5, activation='softmax')):
        x = rng.standard_normal((2, 7, 7, 3) if not isinstance(layer, layers.Dense) else (2, 6))
        errors = gradcheck.check_layer(layer, x)
        print(f"{type(layer).__name__:13}", {k: f"{v:.1e}" for k, v in errors.items()})
