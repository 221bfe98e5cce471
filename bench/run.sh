#!/usr/bin/env bash
# Runs one of Cortado's benchmarks, installing its reference peers first.
#   bench/run.sh gemm     sgemm GFLOP/s, Cortado against Debian's OpenBLAS, 1 and 2 threads
#                         (--only <text>: the shapes whose name contains it; --rounds <n>, default 9)
#   bench/run.sh conv     the seed net's and CIFAR-10 quick's convolution products per image on 1 thread,
#                         im2col/col2im against the columns read from the image (implicit im2col)
#   bench/run.sh pool     the seed net's and CIFAR-10 quick's pooling layers, max and average, forward and
#                         backward over a batch on 1 thread
#   bench/run.sh data     Data-layer images/s against the seed net's training step (Fashion-MNIST LMDB)
#   bench/run.sh perf     the seed net (and CIFAR-10 quick) against PyTorch and OpenCV DNN: training, inference, time to
#                         accuracy, FLOP/s and peak memory, one table (about 10 minutes)
#   bench/run.sh mpi      MPI_Allreduce on loopback (seed net, ResNet-50 sizes), 1 against 2 ranks of
#                         seed-net training, and the projection to 4-64 machines (about a minute)
#   bench/run.sh dashboard  seed-net training without and with the live dashboard (monitor, server, a
#                         page in headless Chromium); --screenshot saves the demo's page instead
# --avx2 (with any of them) measures an AVX-512 processor as an AVX2-only one: .NET's AVX-512 is
# turned off for Cortado, and the peers are held to AVX2 too (OpenBLAS's Haswell kernels, oneDNN
# and ATen at AVX2, OpenCV's AVX-512 dispatch off), so the comparison stays like for like.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
args=()
for arg in "$@"; do
  if [[ "$arg" == --avx2 ]]; then
    export DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0 OPENBLAS_CORETYPE=Haswell DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 \
      OPENCV_CPU_DISABLE=AVX512-SKX
  else
    args+=("$arg")
  fi
done
set -- "${args[@]}"
name="${1:-gemm}"
case "$name" in
  gemm)
    if ! ldconfig -p | grep 'libopenblas.so.0' >/dev/null; then
      echo "installing Debian's OpenBLAS (libopenblas0-pthread) as the reference..." >&2
      if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
      else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null; fi
    fi ;;
  conv|pool) ;;
  data)
    missing=()
    [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] || missing+=(dataset-fashion-mnist)
    ldconfig -p | grep 'liblmdb.so.0' >/dev/null || missing+=(liblmdb0)
    if (( ${#missing[@]} )); then
      sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
      $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi ;;
  perf)
    missing=()
    [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] || missing+=(dataset-fashion-mnist)
    ldconfig -p | grep 'liblmdb.so.0' >/dev/null || missing+=(liblmdb0)
    /usr/bin/python3 -c 'import torch' 2>/dev/null || missing+=(python3-torch)
    /usr/bin/python3 -c 'import cv2' 2>/dev/null || missing+=(python3-opencv)
    # Debian's torch runs on whatever libblas.so.3 is selected, the slow reference BLAS on a fresh
    # machine; OpenBLAS (which registers itself as the preferred libblas.so.3) makes the peer fair.
    ldconfig -p | grep 'libopenblas.so.0' >/dev/null || missing+=(libopenblas0-pthread)
    if (( ${#missing[@]} )); then
      echo "installing the peers and data: ${missing[*]}..." >&2
      sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
      $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    blas=$(/usr/bin/python3 "$root/bench/peers/seed_torch.py" blas)
    if [[ "$blas" != *openblas* ]]; then
      echo "bench/run.sh perf: PyTorch does not run on OpenBLAS ($blas); select it with" >&2
      echo "  update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3" >&2
      exit 1
    fi
    # Build the command whose memory is measured, so the build is not measured with it.
    "$root/cortado" --help >/dev/null 2>&1 || true ;;
  mpi)
    missing=()
    command -v mpirun >/dev/null || missing+=(openmpi-bin)
    [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] || missing+=(dataset-fashion-mnist)
    ldconfig -p | grep 'liblmdb.so.0' >/dev/null || missing+=(liblmdb0)
    if (( ${#missing[@]} )); then
      sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
      $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    "$root/cortado" --help >/dev/null 2>&1 || true ;;
  dashboard)
    missing=()
    [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] || missing+=(dataset-fashion-mnist)
    ldconfig -p | grep 'liblmdb.so.0' >/dev/null || missing+=(liblmdb0)
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    command -v dot >/dev/null || missing+=(graphviz)
    if (( ${#missing[@]} )); then
      sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
      $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    "$root/cortado" --help >/dev/null 2>&1 || true ;;
  *) echo "unknown benchmark '$name'; known: gemm, conv, pool, data, perf, mpi, dashboard" >&2; exit 1 ;;
esac
exec dotnet run -c Release --project "$root/bench/Cortado.Bench" -- "$@"
