#!/usr/bin/env bash
# The GPU device check, run on the GPU machine from the repository's root after bench/gpu/prepare.sh
# (it builds nothing there; about 3 minutes). Prints one report and keeps it in $OUT/gpu-check.md:
#   - every layer the GPU backend computes against the CPU backend (forward and backward, max relative error);
#   - training images/s, Cortado against PyTorch with CUDA: the seed net (28x28, stride 2) at batch 128
#     and 1024, CIFAR-10 quick at batch 100, LeNet at batch 64;
#   - the GEMM-bound layers' GFLOP/s against cuBLAS's on the same whole-batch product (target: 40%).
# bench/gpu/README.md shows the report's format (from the emulated device). Extra arguments go to
# the check: --device N, --quick.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mkdir -p /tmp/dn && tar -C /tmp/dn -xJf .device/dotnet-rt.tar.xz
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH
python=/opt/torch/.venv/bin/python
[[ -x $python ]] || python=python3
# cuBLAS (and cuBLASLt, which it loads) from the machine's PyTorch environment.
cublas=$(ls /opt/torch/.venv/lib/python3*/site-packages/nvidia/*/lib/libcublas.so.* 2>/dev/null | head -n 1 || true)
[[ -n $cublas ]] && export LD_LIBRARY_PATH="$(dirname "$cublas")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
out="${OUT:-/tmp}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
dotnet .device/gpucheck/Cortado.GpuCheck.dll --python "$python" "$@" | tee "$out/gpu-check.md"
