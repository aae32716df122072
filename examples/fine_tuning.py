"""Fine-tuning VGG16's last block: listings 5-22 to 5-24, then the test accuracy.

What it shows: the chapter's three steps. First the classifier is trained on a frozen
VGG16 base (listing 5-21, as in feature_extraction_augmented.py); then block5 is unfrozen
(listing 5-22: ``conv_base.trainable = True``, every layer before ``block5_conv1`` frozen
again; trainable weights: 4, then 10) and trained jointly with the classifier at a low
learning rate (5-23); last, the smoothed curves (5-24, with --plot) and the accuracy on the
test folder with ``evaluate_generator(test_generator, steps=50)``.

minicnn applies ``trainable`` at once (the optimizer reads which weights are trainable at
every step); Keras applies it at the next ``compile``. The script compiles after each
change anyway, as the chapter does, so it runs the same on both.

Expected result: with Keras' ImageNet weights (see weights/README.md) and the chapter's
Kaggle folder, about 97% test accuracy. That is 30 + 100 epochs of 3,000
images through VGG16 (the last 100 with backward through block5): days on a 2-core CPU,
an hour or so on a GPU.

Data: ``--data DIR``, else the small Kaggle folder made by examples/make_small_cats_dogs.py
($MINICNN_HOME/datasets/cats_and_dogs_small) if present, else the SYNTHETIC shapes folder
(ellipses vs rectangles, minicnn.datasets.shapes). Weights: Keras' ImageNet file, found or
downloaded as weights/README.md says, else (no network) RANDOM weights. On synthetic images
or random weights the script says so at the end: the accuracy then means nothing about
the chapter.

    python examples/fine_tuning.py              # the chapter's recipe
    python examples/fine_tuning.py --quick      # 32x32, 1+1 epochs of 2 steps (CI, seconds)
    python examples/fine_tuning.py --frozen-epochs 5 --epochs 10 --steps 20 --plot ft.png
"""
import argparse
import os
import time

from minicnn import layers, models, optimizers
from minicnn.preprocessing.image import ImageDataGenerator

from _common import cats_dogs_folder, vgg16_base

IMAGE_SIZE = 150
BATCH_SIZE = 20
FROZEN_EPOCHS = 30                    # listing 5-21: the classifier on a frozen base
EPOCHS = 100                          # listing 5-23: fine-tuning block5 with it
STEPS_PER_EPOCH = 100                 # 100 x 20 = the 2,000 training images
VALIDATION_STEPS = 50                 # 50 x 20 = the 1,000 validation images
TEST_STEPS = 50                       # 50 x 20 = the 1,000 test images

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", help="folder with train/, validation/ and test/ (default: the "
                                   "small Kaggle folder if present, else the synthetic shapes)")
parser.add_argument("--weights", default="imagenet", help="'imagenet', 'none' or a file")
parser.add_argument("--frozen-epochs", type=int, default=FROZEN_EPOCHS)
parser.add_argument("--epochs", type=int, default=EPOCHS, help="fine-tuning epochs")
parser.add_argument("--steps", type=int, default=STEPS_PER_EPOCH, help="steps per epoch")
parser.add_argument("--validation-steps", type=int, default=VALIDATION_STEPS)
parser.add_argument("--test-steps", type=int, default=TEST_STEPS)
parser.add_argument("--plot", help="save the smoothed fine-tuning curves as PLOT_*.png")
parser.add_argument("--quick", action="store_true",
                    help="32x32 synthetic images, 1 + 1 epochs of 2 steps, no download")
args = parser.parse_args()
start = time.time()
notes = []
if args.quick:
    IMAGE_SIZE, BATCH_SIZE = 32, 4
    args.frozen_epochs, args.epochs, args.steps = 1, 1, 2
    args.validation_steps, args.test_steps = 1, 2
base_dir = cats_dogs_folder(args.data, args.quick, notes)
conv_base = vgg16_base(args.weights, IMAGE_SIZE, notes, download=not args.quick)

model = models.Sequential()
model.add(conv_base)
model.add(layers.Flatten())
model.add(layers.Dense(256, activation="relu"))
model.add(layers.Dense(1, activation="sigmoid"))

train_dir = os.path.join(base_dir, "train")
validation_dir = os.path.join(base_dir, "validation")
test_dir = os.path.join(base_dir, "test")
train_datagen = ImageDataGenerator(
    rescale=1. / 255, rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
    shear_range=0.2, zoom_range=0.2, horizontal_flip=True, fill_mode="nearest")
test_datagen = ImageDataGenerator(rescale=1. / 255)
train_generator = train_datagen.flow_from_directory(
    train_dir, target_size=(IMAGE_SIZE, IMAGE_SIZE), batch_size=BATCH_SIZE,
    class_mode="binary")
validation_generator = test_datagen.flow_from_directory(
    validation_dir, target_size=(IMAGE_SIZE, IMAGE_SIZE), batch_size=BATCH_SIZE,
    class_mode="binary")

# Listing 5-21: first train the classifier on the frozen base (fine-tuning needs a
# trained classifier: a random one would send large gradients into block5)
conv_base.trainable = False
model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=2e-5),
              metrics=["acc"])
print(f"Training the classifier on the frozen base ({len(model.trainable_weights)} "
      "trainable weights)")
model.fit_generator(train_generator, steps_per_epoch=args.steps, epochs=args.frozen_epochs,
                    validation_data=validation_generator,
                    validation_steps=args.validation_steps)

# Listing 5-22: freezing all layers up to a specific one
conv_base.trainable = True

set_trainable = False
for layer in conv_base.layers:
    if layer.name == "block5_conv1":
        set_trainable = True
    if set_trainable:
        layer.trainable = True
    else:
        layer.trainable = False
print(f"Fine-tuning block5 with the classifier ({len(model.trainable_weights)} "
      "trainable weights)")

# Listing 5-23: fine-tuning the model
model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=1e-5),
              metrics=["acc"])
history = model.fit_generator(
    train_generator,
    steps_per_epoch=args.steps,
    epochs=args.epochs,
    validation_data=validation_generator,
    validation_steps=args.validation_steps)

# Listing 5-24: smoothing the plots
if args.plot:
    from minicnn.visualization import plot_history

    print("wrote", ", ".join(plot_history(history, args.plot, smooth=0.8)))


def smooth_curve(points, factor=0.8):
    smoothed_points = []
    for point in points:
        if smoothed_points:
            previous = smoothed_points[-1]
            smoothed_points.append(previous * factor + point * (1 - factor))
        else:
            smoothed_points.append(point)
    return smoothed_points


val_acc = history.history["val_acc"]
print(f"validation accuracy: last {val_acc[-1]:.3f}, smoothed {smooth_curve(val_acc)[-1]:.3f}")

# Evaluating on the test data
test_generator = test_datagen.flow_from_directory(
    test_dir, target_size=(IMAGE_SIZE, IMAGE_SIZE), batch_size=BATCH_SIZE, class_mode="binary")
test_loss, test_acc = model.evaluate_generator(test_generator, steps=args.test_steps)
print("test acc:", round(float(test_acc), 4))
for note in notes:
    print(f"NOTE: {note}: these numbers say nothing about the chapter's result.")
print(f"total time: {time.time() - start:.1f} s")
