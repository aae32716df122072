"""A first convnet on MNIST: listings 5-1 to 5-3 of Deep Learning with Python, on minicnn.

What it shows: the convnet's two summaries (55,744 then 93,322 parameters),
training with RMSprop for 5 epochs at batch 64, and the test accuracy.

Expected result: with the full MNIST (60,000 training images, downloaded once
to ~/.minicnn/datasets/mnist.npz) the chapter reports 99.1-99.3% test accuracy.
Offline, minicnn uses its bundled sample of the first 10,000 MNIST training
images (8,000 to train, 2,000 to test) and reaches about 98%. On a 2-core
laptop one epoch of the sample takes a few seconds.

    python examples/mnist_convnet.py            # the chapter's recipe
    python examples/mnist_convnet.py --quick    # one epoch on 2,000 images (CI)
"""
import argparse
import time

from minicnn import layers, models
from minicnn.datasets import mnist
from minicnn.utils import to_categorical

EPOCHS = 5
BATCH_SIZE = 64

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=EPOCHS)
parser.add_argument("--quick", action="store_true", help="1 epoch on 2,000 training images")
args = parser.parse_args()
start = time.time()

# Listing 5-1: instantiating a small convnet
model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.summary()

# Listing 5-2: adding a classifier on top of the convnet
model.add(layers.Flatten())
model.add(layers.Dense(64, activation="relu"))
model.add(layers.Dense(10, activation="softmax"))
model.summary()

# Listing 5-3: training the convnet on MNIST images
(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
if args.quick:
    train_images, train_labels = train_images[:2000], train_labels[:2000]
    args.epochs = 1
train_images = train_images.reshape((len(train_images), 28, 28, 1))
train_images = train_images.astype("float32") / 255
test_images = test_images.reshape((len(test_images), 28, 28, 1))
test_images = test_images.astype("float32") / 255
train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(train_images, train_labels, epochs=args.epochs, batch_size=BATCH_SIZE)

test_loss, test_acc = model.evaluate(test_images, test_labels)
print(f"test_acc: {test_acc:.4f}  (on {len(test_images)} test images)")
print(f"total time: {time.time() - start:.1f} s")
