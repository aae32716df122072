"""Data augmentation and dropout: listings 5-11 to 5-15 of Deep Learning with Python.

What it shows: the chapter's augmenting ``ImageDataGenerator`` (rotations up to
40 degrees, shifts, shear and zoom of 20%, horizontal flips), four augmented
copies of one training image drawn with ``datagen.flow(x, batch_size=1)`` and
saved as a PNG, then the from-scratch convnet with ``Dropout(0.5)`` after
``Flatten``, trained on augmented batches of 32 for 100 epochs of 100 steps
(50 validation steps), saved as ``cats_and_dogs_small_2.h5``, and listing
5-10's accuracy and loss curves. Everything goes to ``runs/cats_dogs_augmented/`` under
the current folder (``--out DIR`` to change), with ``cats_and_dogs_small_2.json`` beside
the model saying how it was trained (``visualize_activations.py`` loads this model and
prints it); every path is printed.

Data: as ``examples/cats_dogs_from_scratch.py``: ``--data DIR``, else the Kaggle
folder from ``examples/make_small_cats_dogs.py`` if present, else the SYNTHETIC
shapes folder (ellipses against rectangles; then the numbers say nothing about
cats and dogs).

Expected result: on the Kaggle images the chapter reports about 82% validation
accuracy (86-87% with more tuning), with training and validation curves close
together: no more overfitting. The 100 epochs (3,200 augmented images each) take
about 2 hours on 2 cores; the augmentation itself costs little (about 2,900
images/s, see benchmarks/cats_dogs.py), the convnet's training step the rest.

    python examples/cats_dogs_augmented.py                    # the chapter's recipe
    python examples/cats_dogs_augmented.py --epochs 10 --steps 50
    python examples/cats_dogs_augmented.py --quick            # 2 short epochs (a smoke test)
"""
import argparse
import os
import time

from matplotlib.figure import Figure

from minicnn import layers, models, optimizers
from minicnn.preprocessing import image
from minicnn.preprocessing.image import ImageDataGenerator
from minicnn.visualization import plot_history

from _common import cats_dogs_folder, output_folder, save_training_note

EPOCHS = 100
STEPS_PER_EPOCH = 100
VALIDATION_STEPS = 50
BATCH_SIZE = 32
LEARNING_RATE = 1e-4
MODEL_PATH = "cats_and_dogs_small_2.h5"
CURVES_PATH = "cats_and_dogs_small_2.png"      # -> ..._accuracy.png and ..._loss.png
AUGMENTED_PATH = "augmented_images.png"

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", help="folder with train/ and validation/ (default: the small "
                                   "Kaggle folder if present, else the synthetic shapes)")
parser.add_argument("--epochs", type=int, default=EPOCHS)
parser.add_argument("--steps", type=int, default=STEPS_PER_EPOCH, help="steps per epoch")
parser.add_argument("--validation-steps", type=int, default=VALIDATION_STEPS)
parser.add_argument("--out", help="folder for the .h5 model, its .json note and the figures "
                                  "(default: runs/cats_dogs_augmented/)")
parser.add_argument("--quick", action="store_true",
                    help="2 epochs of 10 steps, 5 validation steps (a smoke test)")
args = parser.parse_args()
if args.quick:
    args.epochs, args.steps, args.validation_steps = 2, 10, 5
start = time.time()
out = output_folder(args.out, __file__)

notes = []
base_dir = cats_dogs_folder(args.data, quick=False, notes=notes)
train_dir = os.path.join(base_dir, "train")
validation_dir = os.path.join(base_dir, "validation")

# Listing 5-11: setting up a data augmentation configuration via ImageDataGenerator
datagen = ImageDataGenerator(
    rotation_range=40, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2,
    zoom_range=0.2, horizontal_flip=True, fill_mode="nearest")

# Listing 5-12: displaying some randomly augmented training images
first_class = sorted(os.listdir(train_dir))[0]
train_class_dir = os.path.join(train_dir, first_class)
fnames = [os.path.join(train_class_dir, fname) for fname in sorted(os.listdir(train_class_dir))]
img_path = fnames[3]
img = image.load_img(img_path, target_size=(150, 150))
x = image.img_to_array(img)          # (150, 150, 3) float32
x = x.reshape((1,) + x.shape)        # (1, 150, 150, 3)
figure = Figure(figsize=(12, 3.4), layout="tight")
i = 0
for batch in datagen.flow(x, batch_size=1):
    axes = figure.add_subplot(1, 4, i + 1)
    axes.imshow(image.array_to_img(batch[0]))
    axes.set_axis_off()
    i += 1
    if i % 4 == 0:
        break
figure.suptitle(f"Four augmented copies of {os.path.relpath(img_path, base_dir)}")
augmented_path = os.path.join(out, AUGMENTED_PATH)
figure.savefig(augmented_path, format="png")
print(f"figure saved to {augmented_path}")

# Listing 5-13: defining a new convnet that includes dropout
model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation="relu"))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation="relu"))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Flatten())
model.add(layers.Dropout(0.5))
model.add(layers.Dense(512, activation="relu"))
model.add(layers.Dense(1, activation="sigmoid"))
model.summary()
model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=LEARNING_RATE),
              metrics=["acc"])

# Listing 5-14: training the convnet using data-augmentation generators
train_datagen = ImageDataGenerator(
    rescale=1. / 255, rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
    shear_range=0.2, zoom_range=0.2, horizontal_flip=True)
test_datagen = ImageDataGenerator(rescale=1. / 255)   # validation data is never augmented
train_generator = train_datagen.flow_from_directory(
    train_dir, target_size=(150, 150), batch_size=BATCH_SIZE, class_mode="binary")
validation_generator = test_datagen.flow_from_directory(
    validation_dir, target_size=(150, 150), batch_size=BATCH_SIZE, class_mode="binary")
history = model.fit_generator(
    train_generator, steps_per_epoch=args.steps, epochs=args.epochs,
    validation_data=validation_generator, validation_steps=args.validation_steps)

# Listing 5-15: saving the model
model_path = os.path.join(out, MODEL_PATH)
model.save(model_path)
print(f"model saved to {model_path}")
note_path = save_training_note(model_path, __file__, base_dir, notes, history, quick=args.quick,
                               epochs=args.epochs, steps_per_epoch=args.steps,
                               validation_steps=args.validation_steps, batch_size=BATCH_SIZE,
                               learning_rate=LEARNING_RATE)
print(f"how it was trained (a note for visualize_activations.py): saved to {note_path}")

for path in plot_history(history, os.path.join(out, CURVES_PATH)):
    print(f"figure saved to {path}")
acc, val_acc = history.history["acc"], history.history["val_acc"]
print(f"last epoch: acc {acc[-1]:.4f}, val_acc {val_acc[-1]:.4f}; best val_acc "
      f"{max(val_acc):.4f} at epoch {val_acc.index(max(val_acc)) + 1}")
for note in notes:
    print(f"NOTE: {note}: these numbers say nothing about the chapter's result.")
print(f"total time: {time.time() - start:.1f} s")
