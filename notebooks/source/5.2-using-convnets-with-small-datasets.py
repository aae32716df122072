# Source of notebooks/5.2-using-convnets-with-small-datasets.ipynb (percent format: see
# notebooks/build.py). Edit this file, then run `python notebooks/run.py 5.2`.

# %% [markdown]
# # 5.2 Training a convnet from scratch on a small dataset
#
# Section 5.2 of *Deep Learning with Python* (1st edition) on **minicnn**: 2,000 training
# pictures of cats and dogs, a convnet trained from scratch, its overfitting, then data
# augmentation and dropout to fight it. The listings are the chapter's with `keras`
# renamed to `minicnn`; the cells marked *open the engine* look underneath.
#
# **Quick or book length.** `QUICK` (first code cell; environment variable
# `MINICNN_NOTEBOOK_QUICK`, default `1`) shrinks the pictures to 64x64 and trains for 4
# epochs of 8 batches: about a minute on 2 cores, a network that has barely started.
# `QUICK = False` runs the chapter's 150x150 pictures, 30 epochs then 100: about 25 minutes
# and 2 hours on 2 cores.
#
# **Data.** The chapter's folder (1,000 cats and 1,000 dogs to train, 500 + 500 to validate,
# 500 + 500 to test, from Kaggle's "Dogs vs. Cats") is used when it is at
# `$MINICNN_HOME/datasets/cats_and_dogs_small` (default `~/.minicnn/...`;
# `python examples/make_small_cats_dogs.py --source dogs-vs-cats.zip` makes it). Without
# it, this notebook draws a **synthetic stand-in** with the same layout: light ellipses
# ("circles") against rectangles ("squares") on dark noisy backgrounds. The pipeline,
# shapes and code are the same; the accuracies then say nothing about cats and dogs.

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
from minicnn.datasets.shapes import make_shapes_folder
from minicnn.utils.data_utils import minicnn_home

K.set_seed(0)
IMAGE_SIZE = 64 if QUICK else 150       # the chapter's 150; this net needs at least 46
EPOCHS, AUGMENTED_EPOCHS = (4, 4) if QUICK else (30, 100)
STEPS_PER_EPOCH, VALIDATION_STEPS = (8, 4) if QUICK else (100, 50)

kaggle_dir = os.path.join(minicnn_home(), 'datasets', 'cats_and_dogs_small')
SYNTHETIC = not os.path.isdir(os.path.join(kaggle_dir, 'train'))
if not SYNTHETIC:
    base_dir = kaggle_dir
elif QUICK:                             # 100 / 50 / 50 pictures per class, in a scratch folder
    base_dir = make_shapes_folder(os.path.join(tempfile.mkdtemp(), 'shapes'), 100, 50, 50,
                                  size=IMAGE_SIZE)
else:                                   # the chapter's counts, kept for the next run
    base_dir = make_shapes_folder(os.path.join(minicnn_home(), 'datasets',
                                               'synthetic_shapes_small'))
if SYNTHETIC:
    print("NOTE: no Kaggle folder at", kaggle_dir, "- using SYNTHETIC shapes (ellipses vs "
          "rectangles), not photos: the accuracies below say nothing about cats and dogs.")
train_dir = os.path.join(base_dir, 'train')
validation_dir = os.path.join(base_dir, 'validation')
test_dir = os.path.join(base_dir, 'test')
print("quick mode" if QUICK else "book mode", f"- {IMAGE_SIZE}x{IMAGE_SIZE} pictures")

# %% [markdown]
# ## The data
#
# Listing 5-4 of the chapter copies the first 1,000 `cat.N.jpg` and `dog.N.jpg` of Kaggle's
# 25,000 into `train/cats` and `train/dogs`, the next 500 of each into `validation/`, the
# next 500 into `test/`. In this repository `examples/make_small_cats_dogs.py` does exactly
# that from the competition's zip file; here we only count what is in each folder, as the
# chapter does after copying.

# %%
for split in ('train', 'validation', 'test'):
    for label in sorted(os.listdir(os.path.join(base_dir, split))):
        print(f'total {split} {label} images:',
              len(os.listdir(os.path.join(base_dir, split, label))))

# %% [markdown]
# ## Building the network
#
# Listing 5-5: four `Conv2D` + `MaxPooling2D` stages, so that the maps are small (7x7 at
# 150x150) by the time they are flattened, and a single sigmoid unit that outputs the
# probability of the second class. At 150x150 the chapter's summary shows 148, 74, 72, 36,
# 34, 17, 15, 7 and 3,453,121 parameters; smaller pictures give smaller maps and a smaller
# first `Dense` layer.

# %% tags=["no-output"]
from minicnn import layers
from minicnn import models

model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu',
                        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3)))   # (150, 150, 3) in the book
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Flatten())
model.add(layers.Dense(512, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))

# %%
model.summary()

# %% [markdown]
# Listing 5-6: binary crossentropy for a two-class problem with a sigmoid output, and
# RMSprop with a small learning rate.

# %% tags=["no-output"]
from minicnn import optimizers

model.compile(loss='binary_crossentropy',
              optimizer=optimizers.RMSprop(lr=1e-4),
              metrics=['acc'])

# %% [markdown]
# ## Data preprocessing
#
# Listing 5-7: `ImageDataGenerator` reads the JPEG files, decodes them to RGB, resizes them
# and scales the values from 0-255 to 0-1. `flow_from_directory` takes the class from the
# sub-folder's name, in alphabetical order, and yields batches forever.

# %%
from minicnn.preprocessing.image import ImageDataGenerator

train_datagen = ImageDataGenerator(rescale=1./255)
test_datagen = ImageDataGenerator(rescale=1./255)

train_generator = train_datagen.flow_from_directory(
        train_dir,
        target_size=(IMAGE_SIZE, IMAGE_SIZE),          # (150, 150) in the book
        batch_size=20,
        class_mode='binary')

validation_generator = test_datagen.flow_from_directory(
        validation_dir,
        target_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=20,
        class_mode='binary')

# %%
for data_batch, labels_batch in train_generator:
    print('data batch shape:', data_batch.shape)
    print('labels batch shape:', labels_batch.shape)
    break

# %% [markdown]
# Open the engine: one batch is a plain float32 array, `(20, height, width, 3)` in
# `[0, 1]`, and its labels say which folder each picture came from.

# %%
print(train_generator.class_indices, data_batch.dtype,
      float(data_batch.min()), float(data_batch.max()))
names = {index: name for name, index in train_generator.class_indices.items()}
fig, axes = plt.subplots(1, 6, figsize=(12, 2.4))
for ax, picture, label in zip(axes, data_batch, labels_batch):
    ax.imshow(picture)
    ax.set_title(names[int(label)])
    ax.axis('off')
plt.show()

# %% [markdown]
# ## Training
#
# Listing 5-8: `fit_generator` draws `steps_per_epoch` batches from the endless generator
# per epoch (100 x 20 = the 2,000 training pictures in the book), then `validation_steps`
# batches to measure the validation loss and accuracy.

# %%
history = model.fit_generator(
      train_generator,
      steps_per_epoch=STEPS_PER_EPOCH,        # 100 in the book
      epochs=EPOCHS,                          # 30
      validation_data=validation_generator,
      validation_steps=VALIDATION_STEPS)      # 50

# %% [markdown]
# Open the engine: after each batch's backward pass, the optimizer changes every weight
# `w` with its gradient `g`. RMSprop keeps a running average `a` of `g**2` per weight and
# divides the step by its square root, so weights with large gradients take smaller steps:

# %%
import inspect

print(inspect.getsource(optimizers.RMSprop.update))

# %% [markdown]
# Listing 5-9 saves the model: architecture, weights and optimizer state in Keras 2's
# `.h5` layout (Keras itself can load it). Section 5.4 loads it again.

# %%
model.save('cats_and_dogs_small_1.h5')
print(sorted(f for f in os.listdir('.') if f.endswith('.h5')))

# %% [markdown]
# ## Curves of loss and accuracy
#
# Listing 5-10. On the chapter's photos, training accuracy climbs towards 100% while
# validation accuracy stalls near 70-72% after about five epochs and the validation loss
# rises again: the network memorises 2,000 pictures instead of learning what a cat is.

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
# ## Data augmentation
#
# With few pictures, show the network the same ones in new poses: random rotations up to 40
# degrees, shifts and shears and zooms of up to 20%, mirror images. New pixels that the
# transform exposes are filled with the nearest edge value (listing 5-11).

# %% tags=["no-output"]
datagen = ImageDataGenerator(
      rotation_range=40,
      width_shift_range=0.2,
      height_shift_range=0.2,
      shear_range=0.2,
      zoom_range=0.2,
      horizontal_flip=True,
      fill_mode='nearest')

# %% [markdown]
# Listing 5-12 draws four random variants of one training picture. (The book lists the
# folder in the order the file system gives; `sorted` makes the choice the same on every
# machine.)

# %%
from minicnn.preprocessing import image

train_cats_dir = os.path.join(train_dir, sorted(os.listdir(train_dir))[0])   # train/cats
fnames = [os.path.join(train_cats_dir, fname) for
    fname in sorted(os.listdir(train_cats_dir))]

img_path = fnames[3]

img = image.load_img(img_path, target_size=(IMAGE_SIZE, IMAGE_SIZE))

x = image.img_to_array(img)

x = x.reshape((1,) + x.shape)

i = 0
for batch in datagen.flow(x, batch_size=1):
    plt.figure(i)
    imgplot = plt.imshow(image.array_to_img(batch[0]))
    i += 1
    if i % 4 == 0:
        break

plt.show()

# %% [markdown]
# Open the engine: each picture gets its own random draw of the transform's parameters
# (degrees, pixels, shear angle, zoom factors, flip), turned into one affine matrix that
# resamples the picture once:

# %%
for seed in range(3):
    print({k: round(v, 3) if isinstance(v, float) else v
           for k, v in datagen.get_random_transform(x.shape[1:], seed=seed).items()
           if v is not None})

# %% [markdown]
# ## Dropout
#
# Augmented pictures are still the same 2,000 underneath, so listing 5-13 also adds a
# `Dropout(0.5)` layer before the classifier: during training it zeroes a random half of
# the 6,272 features of each picture (and doubles the rest), so no unit can rely on a few
# others.

# %% tags=["no-output"]
model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu',
                        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3)))   # (150, 150, 3) in the book
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Flatten())
model.add(layers.Dropout(0.5))
model.add(layers.Dense(512, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))

model.compile(loss='binary_crossentropy',
              optimizer=optimizers.RMSprop(lr=1e-4),
              metrics=['acc'])

# %% [markdown]
# Open the engine: `training` is an argument of every layer's `forward`, not a global
# switch. `fit` passes `training=True`; `predict` and `evaluate` pass `False`, and then
# `Dropout` returns its input untouched.

# %%
print(inspect.getsource(layers.Dropout.forward))

# %% [markdown]
# Listing 5-14: the training generator augments, the validation generator must not (the
# network is judged on real pictures). Batches of 32.

# %%
train_datagen = ImageDataGenerator(
    rescale=1./255,
    rotation_range=40,
    width_shift_range=0.2,
    height_shift_range=0.2,
    shear_range=0.2,
    zoom_range=0.2,
    horizontal_flip=True,)

test_datagen = ImageDataGenerator(rescale=1./255)

train_generator = train_datagen.flow_from_directory(
        train_dir,
        target_size=(IMAGE_SIZE, IMAGE_SIZE),          # (150, 150) in the book
        batch_size=32,
        class_mode='binary')

validation_generator = test_datagen.flow_from_directory(
        validation_dir,
        target_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=32,
        class_mode='binary')

history = model.fit_generator(
      train_generator,
      steps_per_epoch=STEPS_PER_EPOCH,        # 100 in the book
      epochs=AUGMENTED_EPOCHS,                # 100
      validation_data=validation_generator,
      validation_steps=VALIDATION_STEPS)      # 50

# %% [markdown]
# Listing 5-15 saves this second model; section 5.4 looks inside it.

# %%
model.save('cats_and_dogs_small_2.h5')
print(sorted(f for f in os.listdir('.') if f.endswith('.h5')))

# %% [markdown]
# The curves again (the code of listing 5-10). On the chapter's photos the two curves now
# stay together and validation accuracy reaches about 82% after 100 epochs.

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

# %%
print(f"last epoch: val_acc {val_acc[-1]:.3f}, best {max(val_acc):.3f}")
if SYNTHETIC:
    print("NOTE: trained on SYNTHETIC shapes, not cats and dogs: these numbers say nothing "
          "about the chapter's results.")
if QUICK:
    print(f"NOTE: quick mode ({IMAGE_SIZE}x{IMAGE_SIZE}, {AUGMENTED_EPOCHS} epochs of "
          f"{STEPS_PER_EPOCH} steps): a smoke run, far from the chapter's 100 epochs.")
