#!/usr/bin/env bash
# Builds the GPU check here, for bench/gpu/check.sh to run on a GPU machine that has no .NET and
# no network: this machine's .NET runtime packed into .device/dotnet-rt.tar.xz, and the check
# published framework-dependent into .device/gpucheck (.device/ is in .gitignore). Then, with the
# device tool: run `bash bench/gpu/check.sh` carrying .device.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/* | sort -V | tail -n 1)
mkdir -p .device
tar -C "$dotnet_root" -cJf .device/dotnet-rt.tar.xz dotnet host "shared/Microsoft.NETCore.App/$(basename "$runtime")"
rm -rf .device/gpucheck
dotnet publish bench/Cortado.GpuCheck -c Release -r linux-x64 --self-contained false -o .device/gpucheck -nologo -v quiet
du -sh .device/dotnet-rt.tar.xz .device/gpucheck
