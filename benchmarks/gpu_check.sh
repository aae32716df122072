#!/usr/bin/env bash
# The GPU checks (CuPy backend), as one prepared script for a machine with an NVIDIA GPU and
# CuPy. It installs nothing: the project's GPU machine has Python 3.12 with numpy, numba, h5py,
# scipy, pillow, matplotlib, pytest, hypothesis and cupy-cuda13x, and no network.
#   bash benchmarks/gpu_check.sh            # from the repository root; about 5 minutes
set -uo pipefail
export PYTHONPATH=. HYPOTHESIS_PROFILE=ci MPLBACKEND=Agg MINICNN_OFFLINE=1 PYTHONUNBUFFERED=1
python - <<'PY'
import cupy
print("cupy", cupy.__version__, "devices", cupy.cuda.runtime.getDeviceCount(),
      cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
PY
# 1. the suite: the each_backend fixture adds the 'cupy' cases when CuPy sees a GPU
python -m pytest -q -p no:cacheprovider tests/test_backends.py -rs
python -m pytest -q -p no:cacheprovider -x tests --ignore=tests/keras_crosscheck.py \
  --deselect tests/test_datasets.py::test_fashion_mnist_reads_debians_full_set_offline
# 2. the benchmarks, minicnn on the GPU beside minicnn on the CPU (same script, same machine)
for script in benchmarks/mnist.py benchmarks/cats_dogs.py benchmarks/vgg16.py; do
  [ -f "$script" ] || continue
  echo "== $script (cupy)"; python "$script" --quick --backend cupy
  echo "== $script (numpy)"; python "$script" --quick --backend numpy
done
