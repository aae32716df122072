"""Fast feature extraction with a pretrained VGG16: listings 5-16 to 5-19, on minicnn.

What it shows: VGG16's convolutional base with Keras' ImageNet weights (listing 5-16),
run once over every image of the small cats-vs-dogs folder to keep its (4, 4, 512)
features (5-17), a densely connected classifier trained on those features (5-18), and
the accuracy and loss per epoch (5-19, with --plot).

Data: ``--data DIR``, else the chapter's small Kaggle folder (2,000 training, 1,000
validation and 1,000 test images, made by examples/make_small_cats_dogs.py in
$MINICNN_HOME/datasets/cats_and_dogs_small) if present, else the SYNTHETIC shapes folder.
Weights: Keras' ImageNet file, found or downloaded as weights/README.md says.

Expected result: with the ImageNet weights and the Kaggle folder, validation accuracy
reaches about 90% within a few epochs, and the training accuracy nears 100%
(overfitting, as the chapter says). Extracting the features of the 4,000 images takes
most of the time: about 7 minutes on 2 quiet cores (10 images/s, 13 GFLOP each; see
benchmarks/vgg16.py), twice that when other jobs share them; the 30 epochs of the
classifier take seconds.

On the SYNTHETIC folder (ellipses vs rectangles, minicnn.datasets.shapes), or with RANDOM
weights (no weights file and no network: the script goes on without them), the script says
so at the end: then the accuracy means nothing about the chapter.

    python examples/feature_extraction.py              # the chapter's recipe
    python examples/feature_extraction.py --quick      # 32x32 images, 2 epochs (CI, seconds)
    python examples/feature_extraction.py --data DIR --weights none --plot curves.png
"""
import argparse
import os
import time

import numpy as np

from minicnn import layers, models, optimizers
from minicnn.preprocessing.image import ImageDataGenerator

from _common import cats_dogs_folder, vgg16_base

IMAGE_SIZE = 150
BATCH_SIZE = 20
SAMPLES = {"train": 2000, "validation": 1000, "test": 1000}
EPOCHS = 30

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", help="folder with train/, validation/ and test/ (default: the "
                                   "small Kaggle folder if present, else the synthetic shapes)")
parser.add_argument("--weights", default="imagenet", help="'imagenet', 'none' or a file")
parser.add_argument("--epochs", type=int, default=EPOCHS)
parser.add_argument("--plot", help="save listing 5-19's figures as PLOT_accuracy.png, ...")
parser.add_argument("--quick", action="store_true",
                    help="32x32 synthetic images, 20/10/10 samples, 2 epochs, no download")
args = parser.parse_args()
start = time.time()
notes = []
if args.quick:
    IMAGE_SIZE, BATCH_SIZE, args.epochs = 32, 10, 2
    SAMPLES = {"train": 20, "validation": 10, "test": 10}
base_dir = cats_dogs_folder(args.data, args.quick, notes)
conv_base = vgg16_base(args.weights, IMAGE_SIZE, notes, download=not args.quick)
conv_base.summary()

# Listing 5-17: extracting features using the pretrained convolutional base
train_dir = os.path.join(base_dir, "train")
validation_dir = os.path.join(base_dir, "validation")
test_dir = os.path.join(base_dir, "test")

datagen = ImageDataGenerator(rescale=1. / 255)
batch_size = BATCH_SIZE
feature_shape = conv_base.output_shape[1:]       # (4, 4, 512) at 150x150


def extract_features(directory, sample_count):
    features = np.zeros(shape=(sample_count,) + feature_shape)
    labels = np.zeros(shape=(sample_count))
    generator = datagen.flow_from_directory(directory, target_size=(IMAGE_SIZE, IMAGE_SIZE),
                                            batch_size=batch_size, class_mode="binary")
    i = 0
    for inputs_batch, labels_batch in generator:
        features_batch = conv_base.predict(inputs_batch)
        features[i * batch_size: (i + 1) * batch_size] = features_batch
        labels[i * batch_size: (i + 1) * batch_size] = labels_batch
        i += 1
        if i * batch_size >= sample_count:
            break      # generators yield data endlessly in a loop
    return features, labels


extract_start = time.time()
train_features, train_labels = extract_features(train_dir, SAMPLES["train"])
validation_features, validation_labels = extract_features(validation_dir, SAMPLES["validation"])
test_features, test_labels = extract_features(test_dir, SAMPLES["test"])
seconds = time.time() - extract_start
print(f"features of {sum(SAMPLES.values())} images in {seconds:.1f} s "
      f"({sum(SAMPLES.values()) / seconds:.1f} images/s)")

flat = int(np.prod(feature_shape))                # 4 * 4 * 512 = 8192
train_features = np.reshape(train_features, (SAMPLES["train"], flat))
validation_features = np.reshape(validation_features, (SAMPLES["validation"], flat))
test_features = np.reshape(test_features, (SAMPLES["test"], flat))

# Listing 5-18: defining and training the densely connected classifier
model = models.Sequential()
model.add(layers.Dense(256, activation="relu", input_dim=flat))
model.add(layers.Dropout(0.5))
model.add(layers.Dense(1, activation="sigmoid"))

model.compile(optimizer=optimizers.RMSprop(lr=2e-5), loss="binary_crossentropy",
              metrics=["acc"])
history = model.fit(train_features, train_labels, epochs=args.epochs, batch_size=20,
                    validation_data=(validation_features, validation_labels))

# Listing 5-19: plotting the results
if args.plot:
    from minicnn.visualization import plot_history

    print("wrote", ", ".join(plot_history(history, args.plot)))
val_acc = history.history["val_acc"]
print(f"validation accuracy: last {val_acc[-1]:.3f}, best {max(val_acc):.3f} "
      f"(epoch {int(np.argmax(val_acc)) + 1})")
test_loss, test_acc = model.evaluate(test_features, test_labels, verbose=0)
print(f"test_acc: {test_acc:.3f}  (on {SAMPLES['test']} test images)")
for note in notes:
    print(f"NOTE: {note}: these numbers say nothing about the chapter's result.")
print(f"total time: {time.time() - start:.1f} s")
