#!/usr/bin/env bash
# The GPU checks of README "Scaling out", one script, <= 8 minutes on one GPU (run from anywhere):
#
#   bash bench/gpu_check.sh            # PYTHON=/path/to/python to use another interpreter than .venv/bin/python
#
# 1-2. MarketBERT `small` and `base` training steps in bf16 with SDPA attention: non-padding tokens/s and MFU
#      (bench/mlm_throughput.py; target for base: MFU >= 35%).
# 3.   The Space's batched next-filing inference on the GPU: predictions/s vs the naive fill-mask pipeline
#      (target >= 50x) and single-request p50 latency (bench/space_inference.py).
# 4.   GPU results equal the CPU ones: the Space's forecasts and TwinTransition probabilities
#      (tests/test_space_app.py, skipped on CPU-only machines) and MarketBERT's training loss and gradients.
# Without a usable GPU (no device, or a CPU-only torch build) it stops at once with exit code 2 and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TOKENIZERS_PARALLELISM=false

"$PY" - <<'PYEOF' || exit 2
import sys

import torch

if torch.version.cuda is None:
    sys.exit(
        f"gpu_check: torch {torch.__version__} is a CPU-only build; install the CUDA build of the same version "
        "(pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128) and rerun. Nothing was run."
    )
if not torch.cuda.is_available():
    sys.exit("gpu_check: torch sees no CUDA GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES). Nothing was run.")
props = torch.cuda.get_device_properties(0)
print(f"gpu_check: {props.name}, {props.total_memory / 2**30:.0f} GiB, torch {torch.__version__}, "
      f"bf16 {torch.cuda.is_bf16_supported()}")
PYEOF

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }
started=$SECONDS
step "1/4 MarketBERT small: training step, bf16 + SDPA"
timeout 100 "$PY" bench/mlm_throughput.py --size small --batch-size 64 --steps 40 --warmup 5 --firms 4000
step "2/4 MarketBERT base: training step, bf16 + SDPA"
timeout 160 "$PY" bench/mlm_throughput.py --size base --max-length 512 --batch-size 64 --steps 30 --warmup 5 --firms 4000
step "3/4 Space batched inference on the GPU"
timeout 110 "$PY" bench/space_inference.py --model-size base --device cuda --requests 2048 --naive-requests 128
step "4/4 GPU results equal the CPU ones"
timeout 110 "$PY" -m pytest -q -p no:cacheprovider -rs \
    tests/test_space_app.py::test_gpu_gives_the_cpu_results \
    tests/test_marketbert_train.py::test_gpu_training_loss_and_gradients_equal_the_cpu_ones
printf '\ngpu_check: done in %d s\n' "$((SECONDS - started))"
