# Source of notebooks/5.4-visualizing-what-convnets-learn.ipynb (percent format: see
# notebooks/build.py). Edit this file, then run `python notebooks/run.py 5.4`.

# %% [markdown]
# # 5.4 Visualizing what convnets learn
#
# Section 5.4 of *Deep Learning with Python* (1st edition) on **minicnn**, three ways of
# looking inside a trained convnet: its intermediate activations on one picture, the
# pattern each filter responds to most, and the heatmap of where in a photo the evidence
# for a class lies. Listings as printed, `keras` renamed to `minicnn`; `K.gradients` and
# `K.function` work as in Keras 2, and the *open the engine* cells show what they run.
#
# **Quick or book length.** `QUICK` (first code cell; `MINICNN_NOTEBOOK_QUICK`, default
# `1`) draws the filter patterns small (32 pixels, 4x4 grids) and runs Grad-CAM at 64x64:
# a minute or two. `QUICK = False` uses the chapter's sizes (150-pixel patterns, 8x8 grids
# of 64-pixel patterns, Grad-CAM at 224x224).
#
# **What it needs, and the stand-ins.**
# - The cats-vs-dogs model that notebook 5.2 saves, `cats_and_dogs_small_2.h5`, in the
#   folder the notebook runs in. Without it, the chapter's network is trained here for a
#   few steps on synthetic shapes (ellipses against rectangles).
# - A test picture: the chapter's `test/cats/cat.1700.jpg` from the Kaggle folder, else a
#   synthetic shapes picture.
# - VGG16's ImageNet weights (found as in notebook 5.3), else a **random-valued stand-in
#   file** in Keras' layout; then the patterns and heatmaps are those of an untrained
#   network: they show the method, not what ImageNet taught. The Grad-CAM photo is the
#   chapter's `creative_commons_elephant.jpg` if it is in this folder, else Grace Hopper's
#   portrait from matplotlib's sample data.

# %%
import os
import tempfile

QUICK = os.environ.get("MINICNN_NOTEBOOK_QUICK", "1") == "1"   # False: the chapter's run
if QUICK:
    os.environ["MINICNN_OFFLINE"] = "1"      # quick mode never reaches for the network
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import cbook

from minicnn import backend as K
from minicnn.applications import random_weights, vgg16
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.utils.data_utils import minicnn_home

K.set_seed(0)
np.random.seed(0)                       # the listings draw their noise from NumPy
PATTERN_SIZE, GRID, GRID_SIZE = (32, 4, 24) if QUICK else (150, 8, 64)
GRID_LAYERS = ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1']
if QUICK:
    GRID_LAYERS = GRID_LAYERS[:2]       # deeper layers cost more per step
CAM_SIZE = 64 if QUICK else 224
scratch = tempfile.mkdtemp()
NOTES = []

kaggle_dir = os.path.join(minicnn_home(), 'datasets', 'cats_and_dogs_small')
HAS_KAGGLE = os.path.isdir(os.path.join(kaggle_dir, 'test'))


def vgg16_weights(include_top):
    """'imagenet' when Keras' file is here (or, in book mode, downloadable), else a
    random-valued file in the same layout, sized for CAM_SIZE x CAM_SIZE with the top."""
    try:
        vgg16.imagenet_weights(include_top)
        return 'imagenet'
    except OSError:
        NOTES.append(f"VGG16 ({'with' if include_top else 'without'} its classifier) has RANDOM "
                     "weights, not ImageNet's")
        return random_weights.write_vgg16_weights(
            os.path.join(scratch, f'vgg16_random_{include_top}.h5'), include_top,
            input_size=CAM_SIZE)

print("quick mode" if QUICK else "book mode")

# %% [markdown]
# ## 5.4.1 Intermediate activations
#
# Listing 5-25 loads the network trained with augmentation and dropout in section 5.2.

# %%
from minicnn.models import load_model

if os.path.exists('cats_and_dogs_small_2.h5'):
    model = load_model('cats_and_dogs_small_2.h5')
else:                                    # a stand-in: listing 5-13's network, briefly trained
    from minicnn import layers, models, optimizers
    from minicnn.preprocessing.image import ImageDataGenerator
    size = 64 if QUICK else 150
    shapes_dir = make_shapes_folder(os.path.join(scratch, 'shapes'), 50, 5, 5, size=size)
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation='relu', input_shape=(size, size, 3)),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation='relu'),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(128, (3, 3), activation='relu'),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(128, (3, 3), activation='relu'),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5),
        layers.Dense(512, activation='relu'), layers.Dense(1, activation='sigmoid')])
    model.compile(loss='binary_crossentropy', optimizer=optimizers.RMSprop(lr=1e-4),
                  metrics=['acc'])
    model.fit_generator(ImageDataGenerator(rescale=1./255).flow_from_directory(
        os.path.join(shapes_dir, 'train'), target_size=(size, size), batch_size=20,
        class_mode='binary'), steps_per_epoch=5, epochs=1)
    NOTES.append("no cats_and_dogs_small_2.h5 here (notebook 5.2 saves it): the network was "
                 "trained for 5 steps on SYNTHETIC shapes")
model.summary()

# %% [markdown]
# Listing 5-26: one picture the network never trained on, as a batch of one, scaled to
# `[0, 1]` as during training. The book's path is a test cat of the Kaggle folder.

# %%
size = model.input_shape[1]                              # 150 in the book
if HAS_KAGGLE:
    img_path = os.path.join(kaggle_dir, 'test', 'cats', 'cat.1700.jpg')
else:
    shapes_dir = make_shapes_folder(os.path.join(scratch, 'test_shapes'), 0, 0, 1, size=size)
    img_path = os.path.join(shapes_dir, 'test', 'circles', 'circles.0.jpg')
    NOTES.append("the picture is a SYNTHETIC shape, not a cat")

from minicnn.preprocessing import image
import numpy as np

img = image.load_img(img_path, target_size=(size, size))
img_tensor = image.img_to_array(img)
img_tensor = np.expand_dims(img_tensor, axis=0)
img_tensor /= 255.

print(img_tensor.shape)

# %%
import matplotlib.pyplot as plt

plt.imshow(img_tensor[0])
plt.show()

# %% [markdown]
# Listing 5-28: a model with one input and eight outputs, the outputs of the first eight
# layers (the four convolutions and four poolings). One `predict` gives them all.

# %%
from minicnn import models

layer_outputs = [layer.output for layer in model.layers[:8]]
activation_model = models.Model(inputs=model.input, outputs=layer_outputs)

activations = activation_model.predict(img_tensor)

first_layer_activation = activations[0]
print(first_layer_activation.shape)

# %% [markdown]
# Open the engine: the eight outputs are taps on the one chain of layers; `predict` walks
# it once and keeps the tensors that were asked for.

# %%
for layer, activation in zip(model.layers[:8], activations):
    print(f'{layer.name:16} {str(activation.shape):20} mean {activation.mean():.3f}, '
          f'{(activation.reshape(-1, activation.shape[-1]).max(0) == 0).sum()} blank channels')

# %% [markdown]
# Listing 5-30: channels 4 and 7 of the first layer, two of its 32 detectors (edges,
# colours, textures, depending on what the network learned).

# %%
plt.matshow(first_layer_activation[0, :, :, 4], cmap='viridis')
plt.matshow(first_layer_activation[0, :, :, 7], cmap='viridis')
plt.show()

# %% [markdown]
# Listing 5-31: every channel of every layer, 16 per row, each channel standardised so that
# its pattern shows whatever its scale. (The book divides by `std()` alone; a channel that
# never fires has a std of 0, so we add 1e-5 to leave it blank instead of NaN.) On the
# chapter's photos the first layers keep almost all of the picture; deeper ones grow more
# abstract and more of their channels stay blank: the pattern they look for is not in this
# picture.

# %%
layer_names = []
for layer in model.layers[:8]:
    layer_names.append(layer.name)

images_per_row = 16

for layer_name, layer_activation in zip(layer_names, activations):
    n_features = layer_activation.shape[-1]

    size = layer_activation.shape[1]

    n_cols = n_features // images_per_row
    display_grid = np.zeros((size * n_cols, images_per_row * size))

    for col in range(n_cols):
        for row in range(images_per_row):
            channel_image = layer_activation[0,
                                             :, :,
                                             col * images_per_row + row]
            channel_image -= channel_image.mean()
            channel_image /= (channel_image.std() + 1e-5)
            channel_image *= 64
            channel_image += 128
            channel_image = np.clip(channel_image, 0, 255).astype('uint8')
            display_grid[col * size : (col + 1) * size,
                         row * size : (row + 1) * size] = channel_image

    scale = 1. / size
    plt.figure(figsize=(scale * display_grid.shape[1],
                        scale * display_grid.shape[0]))
    plt.title(layer_name)
    plt.grid(False)
    plt.imshow(display_grid, aspect='auto', cmap='viridis')

# %% [markdown]
# ## 5.4.2 Convnet filters
#
# Which picture makes one filter respond most? Start from grey noise and climb: the loss
# is the filter's mean activation, its gradient with respect to the input picture says how
# to change each pixel to raise it (listings 5-32 and 5-33).

# %% tags=["no-output"]
from minicnn.applications import VGG16
from minicnn import backend as K

model = VGG16(weights=vgg16_weights(include_top=False),   # 'imagenet' in the book
              include_top=False)

layer_name = 'block3_conv1'
filter_index = 0

layer_output = model.get_layer(layer_name).output
loss = K.mean(layer_output[:, :, :, filter_index])

grads = K.gradients(loss, model.input)[0]

# %% [markdown]
# Listing 5-34 divides the gradient by its root mean square, so the steps keep the same
# size whatever the filter's scale; listing 5-35 turns the graph into a function from a
# picture to the loss and the gradient.

# %%
grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)

iterate = K.function([model.input], [loss, grads])

import numpy as np
loss_value, grads_value = iterate([np.zeros((1, PATTERN_SIZE, PATTERN_SIZE, 3))])  # 150
print(loss_value, grads_value.shape)

# %% [markdown]
# Open the engine: there is no symbolic differentiation underneath. `K.gradients` records
# which layer output the loss reads; `K.function` runs the forward pass, puts the loss's
# gradient (`1/(H*W)` on the filter's channel, 0 elsewhere) at that output, and runs the
# layers' own `backward` methods down to the input. `model.gradients` does the same
# directly:

# %%
x0 = np.random.random((1, PATTERN_SIZE, PATTERN_SIZE, 3)) * 20 + 128.

def mean_of_filter(output):                 # d mean(output[..., filter_index]) / d output
    g = np.zeros_like(output)
    g[..., filter_index] = 1 / (output.size // output.shape[-1])
    return g

raw = model.gradients(x0, layer_name, mean_of_filter)
_, normalised = iterate([x0])
print('largest difference:',
      float(np.abs(raw / (np.sqrt(np.mean(raw ** 2)) + 1e-5) - normalised).max()))

# %% [markdown]
# Listing 5-36: 40 steps of gradient ascent from grey noise; listing 5-37 turns the result
# into a displayable picture.

# %%
input_img_data = np.random.random((1, PATTERN_SIZE, PATTERN_SIZE, 3)) * 20 + 128.   # 150

step = 1.
for i in range(40):
    loss_value, grads_value = iterate([input_img_data])

    input_img_data += grads_value * step
print('filter activation after 40 steps:', loss_value)

# %% tags=["no-output"]
def deprocess_image(x):
    x -= x.mean()
    x /= (x.std() + 1e-5)
    x *= 0.1

    x += 0.5
    x = np.clip(x, 0, 1)

    x *= 255
    x = np.clip(x, 0, 255).astype('uint8')
    return x

# %% [markdown]
# Listing 5-38 puts it together, for any layer and filter.

# %%
def generate_pattern(layer_name, filter_index, size=150):
    layer_output = model.get_layer(layer_name).output
    loss = K.mean(layer_output[:, :, :, filter_index])

    grads = K.gradients(loss, model.input)[0]

    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)

    iterate = K.function([model.input], [loss, grads])

    input_img_data = np.random.random((1, size, size, 3)) * 20 + 128.

    step = 1.
    for i in range(40):
        loss_value, grads_value = iterate([input_img_data])
        input_img_data += grads_value * step

    img = input_img_data[0]
    return deprocess_image(img)

plt.imshow(generate_pattern('block3_conv1', 0, size=PATTERN_SIZE))
plt.show()

# %% [markdown]
# Listing 5-39: a grid of the first filters of a layer (8x8 of 64-pixel patterns in the
# book). We show the first convolution of blocks 1 to 4 (1 and 2 in quick mode). With
# ImageNet's weights, block 1 answers to colours and edges, block 2 to simple textures,
# deeper blocks to textures like feathers and eyes. (`plt.imshow` clips a float picture
# to `[0, 1]`, so the 0-255 grid is shown as `uint8`.)

# %%
for layer_name in GRID_LAYERS:                # 'block1_conv1' in the listing
    size = GRID_SIZE                         # 64
    margin = 5

    results = np.zeros((GRID * size + (GRID - 1) * margin, GRID * size + (GRID - 1) * margin, 3))

    for i in range(GRID):                    # range(8)
        for j in range(GRID):
            filter_img = generate_pattern(layer_name, i + (j * GRID), size=size)

            horizontal_start = i * size + i * margin
            horizontal_end = horizontal_start + size
            vertical_start = j * size + j * margin
            vertical_end = vertical_start + size
            results[horizontal_start: horizontal_end,
                    vertical_start: vertical_end, :] = filter_img

    plt.figure(figsize=(GRID * 1.25, GRID * 1.25))    # (20, 20)
    plt.title(layer_name)
    plt.imshow(results.astype('uint8'))
    plt.show()

# %% [markdown]
# ## 5.4.3 Class activation heatmaps (Grad-CAM)
#
# Which part of a photo made the network choose its class? Listing 5-40 loads VGG16 with
# its ImageNet classifier (224x224 pictures only with the ImageNet file; a stand-in file is
# sized for `CAM_SIZE`).

# %% tags=["no-output"]
from minicnn.applications.vgg16 import VGG16

model = VGG16(weights=vgg16_weights(include_top=True),   # weights='imagenet' in the book
              input_shape=(CAM_SIZE, CAM_SIZE, 3))

# %% [markdown]
# Listing 5-41: load the photo at the network's size, and preprocess it as VGG16 was
# trained (channels reversed to BGR, ImageNet's mean pixel subtracted). With ImageNet's
# weights the chapter's elephants give African elephant 0.925, tusker 0.070, Indian
# elephant 0.004 (class 386 first).

# %%
from minicnn.preprocessing import image
from minicnn.applications.vgg16 import preprocess_input, decode_predictions
import numpy as np

img_path = 'creative_commons_elephant.jpg'
if not os.path.exists(img_path):
    img_path = cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)
    NOTES.append("the Grad-CAM photo is matplotlib's Grace Hopper portrait, not the elephants")

img = image.load_img(img_path, target_size=(CAM_SIZE, CAM_SIZE))   # (224, 224)

x = image.img_to_array(img)

x = np.expand_dims(x, axis=0)

x = preprocess_input(x)

preds = model.predict(x)
print('Predicted:', decode_predictions(preds, top=3)[0])

# %%
np.argmax(preds[0])

# %% [markdown]
# Listing 5-42: the gradient of the class's score with respect to the last convolution's
# output says how much each of its 512 channels matters for that class; averaged over the
# positions, it weights each channel's map. The book explains class 386, the African
# elephant; for another photo we explain the class the network chose.

# %% tags=["no-output"]
class_index = int(np.argmax(preds[0]))                # 386 in the book
african_elephant_output = model.output[:, class_index]

last_conv_layer = model.get_layer('block5_conv3')

grads = K.gradients(african_elephant_output, last_conv_layer.output)[0]

pooled_grads = K.mean(grads, axis=(0, 1, 2))

iterate = K.function([model.input],
                     [pooled_grads, last_conv_layer.output[0]])

pooled_grads_value, conv_layer_output_value = iterate([x])

for i in range(512):
    conv_layer_output_value[:, :, i] *= pooled_grads_value[i]

heatmap = np.mean(conv_layer_output_value, axis=-1)

# %% [markdown]
# Listing 5-43: keep the positive evidence, scale it to `[0, 1]`. The heatmap has the last
# convolution's resolution: 14x14 at 224x224.

# %%
heatmap = np.maximum(heatmap, 0)
heatmap /= np.max(heatmap)
plt.matshow(heatmap)
plt.show()

# %% [markdown]
# Listing 5-44 blends it over the photo. The book uses OpenCV (`cv2`); minicnn's
# `overlay_heatmap` does the same steps with Pillow and matplotlib's jet colours: resize
# the heatmap to the photo, colour it, add 0.4 of it to the pixels, save a JPEG.

# %%
from minicnn.visualization.gradcam import grad_cam, overlay_heatmap

superimposed_img = overlay_heatmap(img_path, heatmap, 'elephant_cam.jpg')
plt.imshow(superimposed_img)
plt.axis('off')
plt.show()

# %% [markdown]
# Open the engine: `minicnn.visualization.grad_cam` is these listings as one function; the
# pooled gradients are `model.gradients` with a one-hot gradient at the predictions,
# stopped at `block5_conv3`:

# %%
onehot = np.zeros((1, preds.shape[-1]))
onehot[0, class_index] = 1
direct = model.gradients(x, model.layers[-1], onehot, wrt='block5_conv3')
print('pooled gradients, largest difference:',
      float(np.abs(direct.mean(axis=(0, 1, 2)) - pooled_grads_value).max()))
print('heatmap, largest difference:',
      float(np.abs(grad_cam(model, x, class_index, 'block5_conv3') - heatmap).max()))

# %%
for note in NOTES:
    print(f"NOTE: {note}: these pictures show the method, not the chapter's results.")
