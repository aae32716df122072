"""The pattern each filter responds to, by gradient ascent: listings 5-32 to 5-39.

What it shows: for a filter of a layer, start from grey noise and climb the gradient of
the filter's mean activation with respect to the image (40 steps of size 1, the gradient
divided by its root mean square + 1e-5), then ``deprocess_image`` to uint8. With Keras'
ImageNet VGG16 weights on this machine (weights/README.md) it draws ``block3_conv1``'s
filter 0 and an 8x8 grid of the first 64 filters of each block's first convolution
(``block1_conv1`` ... ``block5_conv1``), as the chapter does: colour dots and stripes in
block 1, textures like feathers and eyes by block 4. Offline it trains the chapter's
MNIST convnet for one epoch on the bundled digits and draws its three conv layers'
filters instead (strokes and blobs at 28x28). The pictures go to
``runs/visualize_filters/`` (``--out`` to change); paths are printed.

Time: a VGG16 grid is 64 ascents of 40 steps; about 2 minutes for block 1 and up to 10
for block 5 on 2 cores at 64x64. ``--quick`` draws 2x2 grids with 10 steps.

    python examples/visualize_filters.py [--quick]
"""
import argparse
import os

from minicnn.applications.vgg16 import VGG16
from minicnn.visualization.patterns import filter_grid, generate_pattern, save_image

from _common import local_vgg16_weights, output_folder, trained_mnist_convnet

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", help="folder for the pictures (default: runs/visualize_filters/)")
parser.add_argument("--quick", action="store_true", help="2x2 grids, 10 ascent steps")
args = parser.parse_args()
rows, steps = (2, 10) if args.quick else (8, 40)
out = output_folder(args.out, __file__)

if local_vgg16_weights(include_top=False):
    model = VGG16(weights="imagenet", include_top=False)            # listing 5-32
    pattern = generate_pattern(model, "block3_conv1", 0, size=150, steps=steps)  # 5-36, 5-38
    print("block3_conv1, filter 0:", save_image(pattern, os.path.join(out, "block3_conv1_0.png")))
    names, size = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
                   "block5_conv1"], 64
    start, step = (128.0, 20.0), 1.0          # the chapter's: VGG16 sees 0-255 pixels
else:
    print("Keras' ImageNet VGG16 weights are not on this machine (see weights/README.md): "
          "drawing the filters of an MNIST convnet trained for one epoch instead")
    model, _, _ = trained_mnist_convnet(images=1000 if args.quick else 8000)
    names, size = ["conv2d_1", "conv2d_2", "conv2d_3"], 28
    start, step = (0.5, 0.1), 0.05            # this net sees pixels in [0, 1]

for name in names:                                                   # listing 5-39
    grid = filter_grid(model, name, rows=rows, size=size, margin=5, steps=steps,
                       step=step, start=start)
    path = save_image(grid, os.path.join(out, f"{name}_filters.png"), title=name)
    print(f"{name}: {grid.shape} {path}")
