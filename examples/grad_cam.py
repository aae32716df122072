"""Grad-CAM: which part of a picture made the convnet choose its class (listings 5-40 to 5-44).

What it shows: the gradient of the predicted class's score with respect to the last
convolution's output, averaged per channel, weights that output's channels; their mean,
through a ReLU and scaled to [0, 1], is a heatmap of where the evidence lies. The heatmap
is coloured with the jet map, blended 0.4 over the picture and saved in ``runs/grad_cam/``
(``--out`` to change; paths printed).

With Keras' ImageNet VGG16 weights on this machine (see weights/README.md) and a photo
(``--image elephant.jpg``), it runs the chapter's steps: VGG16 with its classifier at
224x224, ``preprocess_input``, ``decode_predictions(preds, top=3)`` printed (the
chapter's elephant photo gives African_elephant 0.925, tusker 0.070, Indian_elephant
0.004; argmax 386), the heatmap on ``block5_conv3``. Offline, without the weights, it
trains the chapter's MNIST convnet for one epoch on the bundled digits (a few seconds)
and shows which pixels of a test digit drive its predicted class, on ``conv2d_2``.

    python examples/grad_cam.py --image creative_commons_elephant.jpg   # with the weights
    python examples/grad_cam.py                                         # offline: MNIST
"""
import argparse
import os

import numpy as np

from minicnn.applications.vgg16 import VGG16, decode_predictions, preprocess_input
from minicnn.preprocessing import image
from minicnn.visualization.gradcam import grad_cam, overlay_heatmap

from _common import local_vgg16_weights, output_folder, trained_mnist_convnet

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--image", help="a photo for VGG16 (needs the ImageNet weights)")
parser.add_argument("--out", help="folder for the pictures (default: runs/grad_cam/)")
parser.add_argument("--quick", action="store_true", help="train the MNIST model on fewer images")
args = parser.parse_args()
out = output_folder(args.out, __file__)

if args.image and local_vgg16_weights(include_top=True):
    model = VGG16(weights="imagenet")                        # listing 5-40
    img = image.load_img(args.image, target_size=(224, 224))
    x = preprocess_input(np.expand_dims(image.img_to_array(img), axis=0))
    preds = model.predict(x)
    print("Predicted:", decode_predictions(preds, top=3)[0])
    class_index = int(np.argmax(preds[0]))
    print("argmax:", class_index)
    heatmap = grad_cam(model, x, class_index, "block5_conv3")   # listings 5-41, 5-42
    picture = np.asarray(image.load_img(args.image))
else:
    if args.image:
        print("Keras' ImageNet VGG16 weights are not on this machine (see weights/README.md): "
              "showing Grad-CAM on an MNIST digit instead")
    model, x_test, y_test = trained_mnist_convnet(images=1000 if args.quick else 8000)
    x = x_test[:1]
    class_index = int(np.argmax(model.predict(x)[0]))
    print(f"the digit is a {y_test[0]}; the model says {class_index}")
    heatmap = grad_cam(model, x, class_index, "conv2d_2")
    picture = np.repeat(np.kron(x[0], np.ones((10, 10, 1))) * 255, 3, axis=-1)  # 280x280 RGB

heatmap_path = os.path.join(out, "heatmap.png")
image.save_img(heatmap_path, heatmap[..., None] * 255, scale=False)   # listing 5-43
overlay_path = os.path.join(out, "grad_cam.jpg")
overlay_heatmap(picture, heatmap, overlay_path)                   # listing 5-44
print("heatmap:", heatmap_path)
print("overlay:", overlay_path)
