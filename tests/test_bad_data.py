"""Empty and odd data, bad counts and silent no-ops at every entry point: each is refused
with an error naming the argument, or heard (callbacks of evaluate and predict)."""
import os
import warnings

import numpy as np
import pytest
from PIL import Image

from minicnn.preprocessing import image


# ------------------------------------------------------------ class folders
def test_an_empty_class_folder_is_a_warning_naming_it(tmp_path):
    """Before: flow_from_directory said nothing about a class that would never be drawn."""
    for cls, n in {"cats": 2, "dogs": 0, "zebras": 1}.items():
        (tmp_path / cls).mkdir()
        for k in range(n):
            Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / cls / f"{k}.png")
    (tmp_path / "dogs" / "notes.txt").write_text("no pictures")
    with pytest.warns(UserWarning, match="no image files in class folder") as record:
        iterator = image.ImageDataGenerator().flow_from_directory(tmp_path, target_size=(4, 4))
    message = str(record[0].message)
    assert str(tmp_path / "dogs") in message and "zebras" not in message
    assert iterator.class_indices == {"cats": 0, "dogs": 1, "zebras": 2}
    generator = image.ImageDataGenerator(validation_split=0.5)
    with pytest.warns(UserWarning, match=r"in the 'validation' subset in class folder.*zebras"):
        generator.flow_from_directory(tmp_path, target_size=(4, 4), classes=["cats", "zebras"],
                                      subset="validation")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image.ImageDataGenerator().flow_from_directory(tmp_path, target_size=(4, 4),
                                                       classes=["cats", "zebras"])
    assert os.path.isdir(tmp_path / "dogs")
