# Source of notebooks/5.3-using-a-pretrained-convnet.ipynb (percent format: see
# notebooks/build.py). Edit this file, then run `python notebooks/run.py 5.3`.

# %% [markdown]
# # 5.3 Using a pretrained convnet
#
# Section 5.3 of *Deep Learning with Python* (1st edition) on **minicnn**: VGG16, trained on
# ImageNet's 1.4 million pictures, reused for the small cats-vs-dogs set, first as a fixed
# feature extractor, then fine-tuned. Listings as printed, `keras` renamed to `minicnn`.
#
# **Quick or book length.** `QUICK` (first code cell; `MINICNN_NOTEBOOK_QUICK`, default
# `1`) runs VGG16 on 32x32 pictures (its smallest size) for a few steps: a minute or two.
# `QUICK = False` runs the chapter's 150x150 pictures and epochs; on a CPU that is hours
# for the feature extraction and days for the rest, as the chapter warns.
#
# **Weights.** `VGG16(weights='imagenet')` reads Keras' own file
# (`vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`, 58 MB) from `$MINICNN_HOME/models/`,
# `~/.keras/models/` or `./weights/`, or downloads it (not in quick mode). Without it this
# notebook writes a **random-valued stand-in in the same file layout**
# (`minicnn.applications.random_weights`) and passes its path, so the same loading code
# runs; but then the features are those of an untrained network and the accuracies mean
# nothing. **Data:** the chapter's Kaggle folder if present, else synthetic shapes (see
# notebook 5.2).

# %%
import os
import tempfile

QUICK = os.environ.get("MINICNN_NOTEBOOK_QUICK", "1") == "1"   # False: the chapter's run
if QUICK:
    os.environ["MINICNN_OFFLINE"] = "1"      # quick mode never reaches for the network
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from minicnn import backend as K
from minicnn.applications import random_weights, vgg16
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.utils.data_utils import minicnn_home

K.set_seed(0)
IMAGE_SIZE = 32 if QUICK else 150
SAMPLES = dict(train=40, validation=20, test=20) if QUICK else dict(train=2000, validation=1000,
                                                                     test=1000)
EPOCHS, FROZEN_EPOCHS, FINE_TUNE_EPOCHS = (10, 2, 2) if QUICK else (30, 30, 100)
STEPS_PER_EPOCH, VALIDATION_STEPS, TEST_STEPS = (4, 2, 2) if QUICK else (100, 50, 50)
scratch = tempfile.mkdtemp()
NOTES = []

kaggle_dir = os.path.join(minicnn_home(), 'datasets', 'cats_and_dogs_small')
if os.path.isdir(os.path.join(kaggle_dir, 'train')):
    base_dir = kaggle_dir
else:
    base_dir = (make_shapes_folder(os.path.join(scratch, 'shapes'), 20, 10, 10, size=IMAGE_SIZE)
                if QUICK else make_shapes_folder(os.path.join(minicnn_home(), 'datasets',
                                                              'synthetic_shapes_small')))
    NOTES.append("the pictures are SYNTHETIC shapes (ellipses vs rectangles), not cats and dogs")

try:                                   # Keras' ImageNet file, found (or, in book mode, fetched)
    vgg16.imagenet_weights(include_top=False)
    WEIGHTS = 'imagenet'
except OSError as error:               # not here, and no network: the stand-in file
    WEIGHTS = random_weights.write_vgg16_weights(             # input_scale: the RMS of
        os.path.join(scratch, 'vgg16_random_notop.h5'),       # pictures scaled to [0, 1]
        include_top=False, input_scale=0.5)
    NOTES.append("VGG16's weights are RANDOM (a stand-in file in Keras' layout), not ImageNet's")
for note in NOTES:
    print("NOTE:", note)
print("quick mode" if QUICK else "book mode", f"- {IMAGE_SIZE}x{IMAGE_SIZE} pictures")

# %% [markdown]
# ## The convolutional base
#
# Listing 5-16. `include_top=False` leaves out VGG16's ImageNet classifier (1,000 classes
# we do not need); `input_shape` can then be any size from 32x32 up. Five blocks of 3x3
# `same` convolutions, each closed by a 2x2 pooling, turn 150x150 pictures into 4x4x512
# maps (32x32 into 1x1x512).

# %% tags=["no-output"]
from minicnn.applications import VGG16

conv_base = VGG16(weights=WEIGHTS,                       # 'imagenet' in the book
                  include_top=False,
                  input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))  # (150, 150, 3)

# %%
conv_base.summary()

# %% [markdown]
# Open the engine: Keras' weight file is an HDF5 file with one group per layer. Loading
# follows the file's own lists, `layer_names` and then each layer's `weight_names`, and
# checks every shape before assigning anything, so a truncated or foreign file is refused
# whole. The stand-in has the same lists:

# %%
import h5py

with h5py.File(WEIGHTS if WEIGHTS != 'imagenet' else vgg16.imagenet_weights(False), 'r') as f:
    print('layer_names:', [n.decode() for n in f.attrs['layer_names']][:5], '...')
    for name in ('block1_conv1', 'block1_pool'):
        for weight_name in f[name].attrs['weight_names']:
            print(f'{name}/{weight_name.decode()}', f[name][weight_name.decode()].shape)
print('loaded into block1_conv1:',
      [w.shape for w in conv_base.get_layer('block1_conv1').get_weights()])

# %% [markdown]
# ## Fast feature extraction, without augmentation
#
# Listing 5-17 runs the base once over every picture and keeps its output, so that the
# expensive part happens once; a small classifier then trains on those features in
# seconds. The book's `(sample_count, 4, 4, 512)` is the base's output shape at 150x150.

# %%
from minicnn.preprocessing.image import ImageDataGenerator

train_dir = os.path.join(base_dir, 'train')
validation_dir = os.path.join(base_dir, 'validation')
test_dir = os.path.join(base_dir, 'test')

datagen = ImageDataGenerator(rescale=1./255)
batch_size = 20
feature_shape = conv_base.output_shape[1:]               # (4, 4, 512) in the book

def extract_features(directory, sample_count):
    features = np.zeros(shape=(sample_count,) + feature_shape)
    labels = np.zeros(shape=(sample_count))
    generator = datagen.flow_from_directory(
        directory,
        target_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=batch_size,
        class_mode='binary')
    i = 0
    for inputs_batch, labels_batch in generator:
        features_batch = conv_base.predict(inputs_batch)
        features[i * batch_size : (i + 1) * batch_size] = features_batch
        labels[i * batch_size : (i + 1) * batch_size] = labels_batch
        i += 1
        if i * batch_size >= sample_count:
            # Note that since generators yield data indefinitely in a loop,
            # we must `break` after every image has been seen once.
            break
    return features, labels

train_features, train_labels = extract_features(train_dir, SAMPLES['train'])   # 2000
validation_features, validation_labels = extract_features(validation_dir, SAMPLES['validation'])
test_features, test_labels = extract_features(test_dir, SAMPLES['test'])

# %% [markdown]
# The features are flattened (4 x 4 x 512 = 8,192 per picture in the book) for a densely
# connected classifier with dropout (listing 5-18).

# %%
flat = int(np.prod(feature_shape))
train_features = np.reshape(train_features, (SAMPLES['train'], flat))
validation_features = np.reshape(validation_features, (SAMPLES['validation'], flat))
test_features = np.reshape(test_features, (SAMPLES['test'], flat))

from minicnn import models
from minicnn import layers
from minicnn import optimizers

model = models.Sequential()
model.add(layers.Dense(256, activation='relu', input_dim=flat))
model.add(layers.Dropout(0.5))
model.add(layers.Dense(1, activation='sigmoid'))

model.compile(optimizer=optimizers.RMSprop(lr=2e-5),
              loss='binary_crossentropy',
              metrics=['acc'])

history = model.fit(train_features, train_labels,
                    epochs=EPOCHS,                        # 30
                    batch_size=20,
                    validation_data=(validation_features, validation_labels))

# %% [markdown]
# Listing 5-19. With ImageNet's features and the chapter's photos, validation accuracy
# reaches about 90% at once, while training accuracy goes on to nearly 100%: the small
# classifier overfits despite its dropout.

# %%
acc = history.history['acc']
val_acc = history.history['val_acc']
loss = history.history['loss']
val_loss = history.history['val_loss']

epochs = range(1, len(acc) + 1)

plt.plot(epochs, acc, 'bo', label='Training acc')
plt.plot(epochs, val_acc, 'b', label='Validation acc')
plt.title('Training and validation accuracy')
plt.legend()

plt.figure()

plt.plot(epochs, loss, 'bo', label='Training loss')
plt.plot(epochs, val_loss, 'b', label='Validation loss')
plt.title('Training and validation loss')
plt.legend()

plt.show()

# %% [markdown]
# ## Feature extraction with data augmentation
#
# To augment, each augmented picture must pass through the base at every epoch, so the
# base becomes the first layer of the model (listing 5-20): a whole model used as a layer.

# %% tags=["no-output"]
model = models.Sequential()
model.add(conv_base)
model.add(layers.Flatten())
model.add(layers.Dense(256, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))

# %%
model.summary()

# %% [markdown]
# Freezing: the base's 13 kernels and 13 biases must not change, or the large random
# gradients of the new classifier would wreck what ImageNet taught them.

# %%
print('This is the number of trainable weights '
      'before freezing the conv base:', len(model.trainable_weights))
conv_base.trainable = False
print('This is the number of trainable weights '
      'after freezing the conv base:', len(model.trainable_weights))

# %% [markdown]
# Open the engine: a frozen layer still runs `backward` and returns `dx` (section 5.4 needs
# gradients through frozen layers), but it fills no weight gradient, and the optimizer only
# visits `trainable_weights`. Here the frozen base comes first, so training does not even
# walk back into it.

# %%
print('trainable weights:', [w.shape for w in model.trainable_weights])
print('block1_conv1 trainable:', conv_base.get_layer('block1_conv1').trainable)

# %% [markdown]
# Listing 5-21 trains end to end with augmentation. The chapter says to try this only on a
# GPU: every step runs VGG16 forward on 20 pictures.

# %%
train_datagen = ImageDataGenerator(
      rescale=1./255,
      rotation_range=40,
      width_shift_range=0.2,
      height_shift_range=0.2,
      shear_range=0.2,
      zoom_range=0.2,
      horizontal_flip=True,
      fill_mode='nearest')

# Note that the validation data should not be augmented!
test_datagen = ImageDataGenerator(rescale=1./255)

train_generator = train_datagen.flow_from_directory(
        # This is the target directory
        train_dir,
        # All images will be resized to 150x150
        target_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=20,
        # Since we use binary_crossentropy loss, we need binary labels
        class_mode='binary')

validation_generator = test_datagen.flow_from_directory(
        validation_dir,
        target_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=20,
        class_mode='binary')

model.compile(loss='binary_crossentropy',
              optimizer=optimizers.RMSprop(lr=2e-5),
              metrics=['acc'])

history = model.fit_generator(
      train_generator,
      steps_per_epoch=STEPS_PER_EPOCH,        # 100
      epochs=FROZEN_EPOCHS,                   # 30
      validation_data=validation_generator,
      validation_steps=VALIDATION_STEPS)      # 50

# %% [markdown]
# The curves again. On the chapter's photos, with ImageNet's weights, validation accuracy
# now reaches about 96%, and the two curves stay close: augmentation keeps the classifier
# from overfitting.

# %%
acc = history.history['acc']
val_acc = history.history['val_acc']
loss = history.history['loss']
val_loss = history.history['val_loss']

epochs = range(1, len(acc) + 1)

plt.plot(epochs, acc, 'bo', label='Training acc')
plt.plot(epochs, val_acc, 'b', label='Validation acc')
plt.title('Training and validation accuracy')
plt.legend()

plt.figure()

plt.plot(epochs, loss, 'bo', label='Training loss')
plt.plot(epochs, val_loss, 'b', label='Validation loss')
plt.title('Training and validation loss')
plt.legend()

plt.show()

# %% [markdown]
# ## Fine-tuning
#
# Now unfreeze the last block, `block5`, whose filters are the most specific to ImageNet,
# and train it together with the (already trained) classifier at a very low learning rate
# (listing 5-22).

# %%
conv_base.trainable = True

set_trainable = False
for layer in conv_base.layers:
    if layer.name == 'block5_conv1':
        set_trainable = True
    if set_trainable:
        layer.trainable = True
    else:
        layer.trainable = False

print([(layer.name, layer.trainable) for layer in conv_base.layers if layer.get_weights()])
print('trainable weights:', len(model.trainable_weights))

# %% [markdown]
# Listing 5-23. (minicnn reads `trainable` at every step; Keras needs the `compile` below
# to notice the change. Compiling again is right in both.)

# %%
model.compile(loss='binary_crossentropy',
              optimizer=optimizers.RMSprop(lr=1e-5),
              metrics=['acc'])

history = model.fit_generator(
      train_generator,
      steps_per_epoch=STEPS_PER_EPOCH,        # 100
      epochs=FINE_TUNE_EPOCHS,                # 100
      validation_data=validation_generator,
      validation_steps=VALIDATION_STEPS)      # 50

# %% [markdown]
# Listing 5-24: the curves are noisy, so the chapter plots an exponential moving average
# of each: every point is 0.8 of the previous smoothed point plus 0.2 of the new value.

# %%
def smooth_curve(points, factor=0.8):
  smoothed_points = []
  for point in points:
    if smoothed_points:
      previous = smoothed_points[-1]
      smoothed_points.append(previous * factor + point * (1 - factor))
    else:
      smoothed_points.append(point)
  return smoothed_points

acc = history.history['acc']
val_acc = history.history['val_acc']
loss = history.history['loss']
val_loss = history.history['val_loss']
epochs = range(1, len(acc) + 1)

plt.plot(epochs,
         smooth_curve(acc), 'bo', label='Smoothed training acc')
plt.plot(epochs,
         smooth_curve(val_acc), 'b', label='Smoothed validation acc')
plt.title('Training and validation accuracy')
plt.legend()

plt.figure()

plt.plot(epochs,
         smooth_curve(loss), 'bo', label='Smoothed training loss')
plt.plot(epochs,
         smooth_curve(val_loss), 'b', label='Smoothed validation loss')
plt.title('Training and validation loss')
plt.legend()

plt.show()

# %% [markdown]
# Finally the test pictures, never used for any decision so far. The chapter reaches about
# 97% here.

# %%
test_generator = test_datagen.flow_from_directory(
        test_dir,
        target_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=20,
        class_mode='binary')

test_loss, test_acc = model.evaluate_generator(test_generator, steps=TEST_STEPS)   # 50
print('test acc:', test_acc)
for note in NOTES:
    print(f"NOTE: {note}: this accuracy says nothing about the chapter's result.")
