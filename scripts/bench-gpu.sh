#!/usr/bin/env bash
# The WebGPU benchmark for a machine with a real GPU, in one script: installs what it needs, builds, finds a Vulkan
# driver on which Dawn (the npm package `webgpu`) gets an adapter, checks the network on it against the float64
# reference (bench/reference.check.mjs: every layer, to 1e-4 of its largest magnitude), and runs
# bench/backends.bench.mjs, which prints the backends side by side (full pass, conv1, fire6-squeeze1x1, a batch of
# 32; first call and steady-state medians) and the webgpu figures against their targets (a full pass under 3 ms, at
# least 5× wasm).
#
#   bash scripts/bench-gpu.sh [backend ...]        (the backends to compare; default: wasm webgpu)
#
# Needs: Node.js >= 20, the SqueezeNet weights (../shared/models/squeezenet_v1.1 or CNN_ACTIVATIONS_WEIGHTS), the
# Vulkan loader and the GPU vendor's Vulkan driver. Without a hardware adapter the webgpu column shows a software one
# (the adapter line says which).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The Vulkan loader, and what NVIDIA's Vulkan driver (libGLX_nvidia.so.0) loads: without the GL dispatch and X11
# client libraries the loader skips that driver ("Could not get 'vkCreateInstance' ... for ICD libGLX_nvidia.so.0")
# and Dawn finds no adapter. Installed on Debian or Ubuntu when run as root; elsewhere, install them yourself.
if command -v dpkg >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  missing=()
  for p in libvulkan1 libglvnd0 libglx0 libegl1 libx11-6 libxext6; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } ||
      echo "bench-gpu: could not install ${missing[*]}; WebGPU may find no adapter" >&2
  fi
fi
[ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund
[ -f model/squeezenet_v1.1/model.json ] || npm run build:model
[ -f dist/index.js ] || npm run build:lib
# shellcheck source=webgpu-env.sh
source scripts/webgpu-env.sh
echo "WebGPU adapter: ${CNN_WEBGPU_ADAPTER:-none found}"
node bench/reference.check.mjs webgpu || echo "reference check: failed (above); the figures below are still printed"
[ $# -gt 0 ] || set -- wasm webgpu
node bench/backends.bench.mjs "$@"
