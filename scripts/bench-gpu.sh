#!/usr/bin/env bash
# The WebGPU benchmark for a machine with a real GPU, in one script: installs what it needs, builds, finds a Vulkan
# driver on which Dawn (the npm package `webgpu`) gets an adapter, and runs bench/backends.bench.mjs, which prints
# wasm, cpu and webgpu side by side (full pass, conv1, fire6-squeeze1x1, a batch of 32; first call and steady-state
# medians) and the webgpu figures against their targets (a full pass under 3 ms, at least 5× wasm).
#
#   bash scripts/bench-gpu.sh
#
# Needs: Node.js >= 20, the SqueezeNet weights (../shared/models/squeezenet_v1.1 or CNN_ACTIVATIONS_WEIGHTS), the
# Vulkan loader (Debian: libvulkan1) and the GPU vendor's Vulkan driver. Without a hardware adapter the webgpu column
# shows a software one (the adapter line says which).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund
[ -f model/squeezenet_v1.1/model.json ] || npm run build:model
[ -f dist/index.js ] || npm run build:lib
# shellcheck source=webgpu-env.sh
source scripts/webgpu-env.sh
echo "WebGPU adapter: ${CNN_WEBGPU_ADAPTER:-none found}"
node bench/backends.bench.mjs
