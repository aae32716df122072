"""Feature extraction with data augmentation, VGG16 frozen inside the model: listings 5-20, 5-21.

What it shows: the VGG16 convolutional base used as a layer of a Sequential model (its
summary row ``vgg16 (Model)  (None, 4, 4, 512)  14714688``, 16,812,353 parameters in
all), frozen with ``conv_base.trainable = False`` (trainable weights: 30, then 4), and the
classifier trained end to end on augmented images with ``fit_generator``. Frozen weights
get no update and no weight gradient; the frozen base, first in the model, is not even
visited by backward.

Expected result: with Keras' ImageNet weights (see weights/README.md) and the chapter's
Kaggle folder, validation accuracy reaches about 96% after 30 epochs. That is
30 x (2,000 augmented + 1,000 validation) images through VGG16: hours on a 2-core CPU
(the chapter says: only attempt it on a GPU).

Data: ``--data DIR``, else the small Kaggle folder made by examples/make_small_cats_dogs.py
($MINICNN_HOME/datasets/cats_and_dogs_small) if present, else the SYNTHETIC shapes folder
(ellipses vs rectangles, minicnn.datasets.shapes). Weights: Keras' ImageNet file, found or
downloaded as weights/README.md says, else (no network) RANDOM weights. On synthetic images
or random weights the script says so at the end: the accuracy then means nothing about
the chapter.

    python examples/feature_extraction_augmented.py            # the chapter's recipe
    python examples/feature_extraction_augmented.py --quick    # 32x32, 2 steps (CI, seconds)
    python examples/feature_extraction_augmented.py --epochs 5 --steps 20 --plot curves.png
"""
import argparse
import os
import time

from minicnn import layers, models, optimizers
from minicnn.preprocessing.image import ImageDataGenerator

from _common import cats_dogs_folder, vgg16_base

IMAGE_SIZE = 150
BATCH_SIZE = 20
EPOCHS = 30
STEPS_PER_EPOCH = 100                 # 100 x 20 = the 2,000 training images
VALIDATION_STEPS = 50                 # 50 x 20 = the 1,000 validation images

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", help="folder with train/, validation/ and test/ (default: the "
                                   "small Kaggle folder if present, else the synthetic shapes)")
parser.add_argument("--weights", default="imagenet", help="'imagenet', 'none' or a file")
parser.add_argument("--epochs", type=int, default=EPOCHS)
parser.add_argument("--steps", type=int, default=STEPS_PER_EPOCH, help="steps per epoch")
parser.add_argument("--validation-steps", type=int, default=VALIDATION_STEPS)
parser.add_argument("--plot", help="save the curves as PLOT_accuracy.png, PLOT_loss.png")
parser.add_argument("--quick", action="store_true",
                    help="32x32 synthetic images, 1 epoch of 2 steps, no download")
args = parser.parse_args()
start = time.time()
notes = []
if args.quick:
    IMAGE_SIZE, BATCH_SIZE = 32, 4
    args.epochs, args.steps, args.validation_steps = 1, 2, 1
base_dir = cats_dogs_folder(args.data, args.quick, notes)
conv_base = vgg16_base(args.weights, IMAGE_SIZE, notes, download=not args.quick)

# Listing 5-20: adding a densely connected classifier on top of the convolutional base
model = models.Sequential()
model.add(conv_base)
model.add(layers.Flatten())
model.add(layers.Dense(256, activation="relu"))
model.add(layers.Dense(1, activation="sigmoid"))
model.summary()

print("This is the number of trainable weights before freezing the conv base:",
      len(model.trainable_weights))
conv_base.trainable = False
print("This is the number of trainable weights after freezing the conv base:",
      len(model.trainable_weights))

# Listing 5-21: training the model end to end with a frozen convolutional base
train_dir = os.path.join(base_dir, "train")
validation_dir = os.path.join(base_dir, "validation")

train_datagen = ImageDataGenerator(
    rescale=1. / 255,
    rotation_range=40,
    width_shift_range=0.2,
    height_shift_range=0.2,
    shear_range=0.2,
    zoom_range=0.2,
    horizontal_flip=True,
    fill_mode="nearest")
test_datagen = ImageDataGenerator(rescale=1. / 255)   # validation data is not augmented

train_generator = train_datagen.flow_from_directory(
    train_dir,
    target_size=(IMAGE_SIZE, IMAGE_SIZE),
    batch_size=BATCH_SIZE,
    class_mode="binary")   # binary_crossentropy needs binary labels
validation_generator = test_datagen.flow_from_directory(
    validation_dir,
    target_size=(IMAGE_SIZE, IMAGE_SIZE),
    batch_size=BATCH_SIZE,
    class_mode="binary")

model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=2e-5),
              metrics=["acc"])
history = model.fit_generator(
    train_generator,
    steps_per_epoch=args.steps,
    epochs=args.epochs,
    validation_data=validation_generator,
    validation_steps=args.validation_steps)

if args.plot:
    from minicnn.visualization import plot_history

    print("wrote", ", ".join(plot_history(history, args.plot)))
val_acc = history.history["val_acc"]
print(f"validation accuracy: last {val_acc[-1]:.3f}, best {max(val_acc):.3f}")
for note in notes:
    print(f"NOTE: {note}: these numbers say nothing about the chapter's result.")
print(f"total time: {time.time() - start:.1f} s")
