"""Section 5.4.2 and 5.4.3's listings (5-32 to 5-39, 5-40 to 5-43) typed as printed.

Only ``keras`` is renamed to ``minicnn``, the ImageNet weights are random ones (``weights=
None``: no network here), and the sizes are cut so the test takes seconds: 150 -> 32 and
64 -> 8 pixels for the patterns, the full VGG16 at 32x32 instead of 224x224 (its
classifier then reads 512 features, not 25,088). Then the helpers of
``minicnn.visualization`` must give exactly the listings' results.
"""
import numpy as np
import pytest
from PIL import Image

from minicnn import visualization


@pytest.fixture(scope="module")
def conv_base():
    # Listing 5-32 (weights='imagenet' in the book)
    from minicnn.applications import VGG16
    from minicnn import backend as K

    K.set_seed(0)
    model = VGG16(weights=None,
                  include_top=False)
    return model


def test_listings_5_32_to_5_36_gradient_ascent(conv_base):
    from minicnn import backend as K
    model = conv_base

    # Listing 5-32
    layer_name = 'block3_conv1'
    filter_index = 0

    layer_output = model.get_layer(layer_name).output
    loss = K.mean(layer_output[:, :, :, filter_index])

    # Listing 5-33
    grads = K.gradients(loss, model.input)[0]

    # Listing 5-34
    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)

    # Listing 5-35
    iterate = K.function([model.input], [loss, grads])

    import numpy as np
    loss_value, grads_value = iterate([np.zeros((1, 32, 32, 3))])     # 150 in the book

    def mean_of_filter(out):                            # the same loss, by model.gradients
        g = np.zeros_like(out)
        g[..., filter_index] = 1 / (out.size // out.shape[-1])
        return g
    raw = model.gradients(np.zeros((1, 32, 32, 3)), layer_name, mean_of_filter)
    np.testing.assert_allclose(grads_value, raw / (np.sqrt(np.mean(raw ** 2)) + 1e-5),
                               rtol=1e-4, atol=1e-6)

    # Listing 5-36
    input_img_data = np.random.random((1, 32, 32, 3)) * 20 + 128.

    step = 1.
    losses = []
    for i in range(40):
        loss_value, grads_value = iterate([input_img_data])

        input_img_data += grads_value * step
        losses.append(loss_value)

    assert grads_value.shape == (1, 32, 32, 3) and len(losses) == 40
    assert losses[-1] > losses[0]                    # the ascent does what it says


def deprocess_image(x):
    # Listing 5-37
    x -= x.mean()
    x /= (x.std() + 1e-5)
    x *= 0.1

    x += 0.5
    x = np.clip(x, 0, 1)

    x *= 255
    x = np.clip(x, 0, 255).astype('uint8')
    return x


def listing_5_38(model):
    from minicnn import backend as K

    def generate_pattern(layer_name, filter_index, size=150):
        layer_output = model.get_layer(layer_name).output
        loss = K.mean(layer_output[:, :, :, filter_index])

        grads = K.gradients(loss, model.input)[0]

        grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)

        iterate = K.function([model.input], [loss, grads])

        input_img_data = np.random.random((1, size, size, 3)) * 20 + 128.

        step = 1.
        for i in range(40):
            loss_value, grads_value = iterate([input_img_data])
            input_img_data += grads_value * step

        img = input_img_data[0]
        return deprocess_image(img)
    return generate_pattern


def test_listing_5_38_equals_the_helper(conv_base):
    generate_pattern = listing_5_38(conv_base)
    np.random.seed(7)
    pattern = generate_pattern('block3_conv1', 0, size=32)
    assert pattern.shape == (32, 32, 3) and pattern.dtype == np.uint8
    helper = visualization.generate_pattern(conv_base, 'block3_conv1', 0, size=32, seed=7)
    np.testing.assert_array_equal(pattern, helper)


def test_listing_5_39_the_grid(conv_base):
    generate_pattern = listing_5_38(conv_base)
    np.random.seed(0)
    # Listing 5-39 (size 64 in the book)
    layer_name = 'block1_conv1'
    size = 8
    margin = 5

    results = np.zeros((8 * size + 7 * margin, 8 * size + 7 * margin, 3))

    for i in range(8):
        for j in range(8):
            filter_img = generate_pattern(layer_name, i + (j * 8), size=size)

            horizontal_start = i * size + i * margin
            horizontal_end = horizontal_start + size
            vertical_start = j * size + j * margin
            vertical_end = vertical_start + size
            results[horizontal_start: horizontal_end,
                    vertical_start: vertical_end, :] = filter_img

    assert results.shape == (99, 99, 3)
    assert (results[8:13] == 0).all() and results[:8, :8].std() > 0   # margins, a pattern


@pytest.fixture(scope="module")
def elephant(tmp_path_factory):
    """A stand-in photo (no elephants here): a grey disc on a gradient."""
    yy, xx = np.mgrid[0:60, 0:80]
    rgb = np.stack([xx * 3, yy * 4, 255 - xx * 3], -1).astype("float64")
    rgb[(yy - 30) ** 2 + (xx - 40) ** 2 < 300] = 128
    path = tmp_path_factory.mktemp("photo") / "creative_commons_elephant.jpg"
    Image.fromarray(rgb.clip(0, 255).astype("uint8")).save(path)
    return str(path)


def test_listings_5_40_to_5_43_grad_cam(elephant):
    # Listing 5-40 (weights='imagenet' and 224x224 in the book)
    from minicnn.applications.vgg16 import VGG16

    model = VGG16(weights=None, input_shape=(32, 32, 3))

    # Listing 5-41
    from minicnn.preprocessing import image
    from minicnn.applications.vgg16 import preprocess_input, decode_predictions
    import numpy as np

    img_path = elephant

    img = image.load_img(img_path, target_size=(32, 32))

    x = image.img_to_array(img)

    x = np.expand_dims(x, axis=0)

    x = preprocess_input(x)

    preds = model.predict(x)
    print('Predicted:', decode_predictions(preds, top=3)[0])
    assert len(decode_predictions(preds, top=3)[0]) == 3
    np.argmax(preds[0])

    # Listing 5-42
    from minicnn import backend as K
    african_elephant_output = model.output[:, 386]

    last_conv_layer = model.get_layer('block5_conv3')

    grads = K.gradients(african_elephant_output, last_conv_layer.output)[0]

    pooled_grads = K.mean(grads, axis=(0, 1, 2))

    iterate = K.function([model.input],
                         [pooled_grads, last_conv_layer.output[0]])

    pooled_grads_value, conv_layer_output_value = iterate([x])

    for i in range(512):
        conv_layer_output_value[:, :, i] *= pooled_grads_value[i]

    heatmap = np.mean(conv_layer_output_value, axis=-1)

    # Listing 5-43
    heatmap = np.maximum(heatmap, 0)
    heatmap /= np.max(heatmap)

    assert heatmap.shape == (2, 2) and heatmap.max() == 1.0
    np.testing.assert_array_equal(heatmap, visualization.grad_cam(model, x, 386, 'block5_conv3'))
    # the pooled gradients are model.gradients' answer, averaged per channel
    onehot = np.zeros((1, 1000))
    onehot[0, 386] = 1
    direct = model.gradients(x, model.layers[-1], onehot, wrt='block5_conv3')
    np.testing.assert_allclose(pooled_grads_value, direct.mean(axis=(0, 1, 2)), rtol=1e-5,
                               atol=1e-12)
