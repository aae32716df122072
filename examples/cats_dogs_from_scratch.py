"""A convnet from scratch on a small image set: listings 5-5 to 5-10 of Deep Learning with Python.

What it shows: the chapter's cats-vs-dogs convnet (four Conv2D + MaxPooling2D
blocks, Dense 512, a sigmoid unit; 3,453,121 parameters) compiled with
RMSprop(lr=1e-4) and binary crossentropy, fed by
``ImageDataGenerator(rescale=1./255).flow_from_directory(...)`` batches of 20
150x150 images, trained with ``fit_generator`` for 30 epochs of 100 steps with
50 validation steps, saved as ``cats_and_dogs_small_1.h5``, and listing 5-10's
accuracy and loss curves saved as PNG files. Everything goes to
``runs/cats_dogs_from_scratch/`` under the current folder (``--out DIR`` to change),
with ``cats_and_dogs_small_1.json`` beside the model saying how it was trained (data,
epochs, synthetic or not: ``visualize_activations.py`` prints it); every path is printed.

Data: ``--data DIR`` holding ``train/`` and ``validation/`` with one sub-folder
per class. By default the Kaggle folder that ``examples/make_small_cats_dogs.py``
makes (``$MINICNN_HOME/datasets/cats_and_dogs_small``, default ``~/.minicnn``);
when it is not there, the SYNTHETIC shapes folder (drawn ellipses against
rectangles, ``synthetic_shapes_small``) is made and used instead, and the
accuracies then say nothing about cats and dogs.

Expected result: on the Kaggle images the chapter reports about 71% validation
accuracy, with training accuracy near 100% and the validation loss rising after
about 5 epochs (overfitting). On the synthetic shapes it learns them: measured,
validation accuracy 69% after the first epoch, 99% after the second and 100%
from the third (they are easy once learned). One epoch (2,000 training and
1,000 validation images) takes about 45 s on 2 quiet cores, the 30 epochs
about 25 minutes.

    python examples/cats_dogs_from_scratch.py                 # the chapter's recipe
    python examples/cats_dogs_from_scratch.py --epochs 5
    python examples/cats_dogs_from_scratch.py --quick         # 2 short epochs (a smoke test)
"""
import argparse
import os
import time

from minicnn import layers, models, optimizers
from minicnn.preprocessing.image import ImageDataGenerator
from minicnn.visualization import plot_history

from _common import cats_dogs_folder, output_folder, save_training_note

EPOCHS = 30
STEPS_PER_EPOCH = 100
VALIDATION_STEPS = 50
BATCH_SIZE = 20
LEARNING_RATE = 1e-4
MODEL_PATH = "cats_and_dogs_small_1.h5"
CURVES_PATH = "cats_and_dogs_small_1.png"      # -> ..._accuracy.png and ..._loss.png

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", help="folder with train/ and validation/ (default: the small "
                                   "Kaggle folder if present, else the synthetic shapes)")
parser.add_argument("--epochs", type=int, default=EPOCHS)
parser.add_argument("--steps", type=int, default=STEPS_PER_EPOCH, help="steps per epoch")
parser.add_argument("--validation-steps", type=int, default=VALIDATION_STEPS)
parser.add_argument("--out", help="folder for the .h5 model, its .json note and the curves "
                                  "(default: runs/cats_dogs_from_scratch/)")
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

# Listing 5-5: instantiating a small convnet for dogs vs. cats classification
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
model.add(layers.Dense(512, activation="relu"))
model.add(layers.Dense(1, activation="sigmoid"))
model.summary()

# Listing 5-6: configuring the model for training
model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=LEARNING_RATE),
              metrics=["acc"])

# Listing 5-7: using ImageDataGenerator to read images from directories
train_datagen = ImageDataGenerator(rescale=1. / 255)
test_datagen = ImageDataGenerator(rescale=1. / 255)
train_generator = train_datagen.flow_from_directory(
    train_dir, target_size=(150, 150), batch_size=BATCH_SIZE, class_mode="binary")
validation_generator = test_datagen.flow_from_directory(
    validation_dir, target_size=(150, 150), batch_size=BATCH_SIZE, class_mode="binary")
print("classes:", train_generator.class_indices)
for data_batch, labels_batch in train_generator:
    print("data batch shape:", data_batch.shape)
    print("labels batch shape:", labels_batch.shape)
    break

# Listing 5-8: fitting the model using a batch generator
history = model.fit_generator(
    train_generator, steps_per_epoch=args.steps, epochs=args.epochs,
    validation_data=validation_generator, validation_steps=args.validation_steps)

# Listing 5-9: saving the model
model_path = os.path.join(out, MODEL_PATH)
model.save(model_path)
print(f"model saved to {model_path}")
note_path = save_training_note(model_path, __file__, base_dir, notes, history, quick=args.quick,
                               epochs=args.epochs, steps_per_epoch=args.steps,
                               validation_steps=args.validation_steps, batch_size=BATCH_SIZE,
                               learning_rate=LEARNING_RATE)
print(f"how it was trained (a note for visualize_activations.py): saved to {note_path}")

# Listing 5-10: displaying curves of loss and accuracy during training
for path in plot_history(history, os.path.join(out, CURVES_PATH)):
    print(f"figure saved to {path}")
acc, val_acc = history.history["acc"], history.history["val_acc"]
print(f"last epoch: acc {acc[-1]:.4f}, val_acc {val_acc[-1]:.4f}; best val_acc "
      f"{max(val_acc):.4f} at epoch {val_acc.index(max(val_acc)) + 1}")
for note in notes:
    print(f"NOTE: {note}: these numbers say nothing about the chapter's result.")
print(f"total time: {time.time() - start:.1f} s")
