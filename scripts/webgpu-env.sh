#!/usr/bin/env bash
# Finds a Vulkan driver on which Dawn (the npm package `webgpu`, WebGPU for Node.js) gets an adapter, and sets up the
# environment for it, so that the test project `webgpu` runs (vitest.config.ts) and bench/ can use WebGPU.
#
#   source scripts/webgpu-env.sh        # sets the variables in this shell
#   eval "$(scripts/webgpu-env.sh)"     # the same from another shell: run, it prints `export` lines
#
# Tries, in order, and keeps the first on which Dawn returns an adapter:
#   1. the Vulkan loader's own choice (VK_ICD_FILENAMES as set, else every installed driver): a real GPU if there is
#      one, else Mesa's lavapipe if it is recent enough (Mesa >= 24; Debian 12's own Mesa 22 is rejected by Dawn);
#   2. each Mesa lavapipe ICD in /usr/share/vulkan/icd.d on its own;
#   3. SwiftShader from Debian's `chromium` package (works with any Mesa; about 7x slower than Mesa 25's lavapipe).
# Exports VK_ICD_FILENAMES (when a specific driver is needed), LD_LIBRARY_PATH (for SwiftShader's Vulkan loader),
# XDG_RUNTIME_DIR (a private 0700 folder, which quietens the loader), CNN_WEBGPU=1 and CNN_WEBGPU_ADAPTER (the
# adapter's description). Finding none is not an error here: CNN_WEBGPU stays unset and the reason is printed;
# the caller decides (.ci/run fails, `npm test` on a laptop simply skips the webgpu project).

_cnn_webgpu_main() {
  local root here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 1
  root=$(cd "$here/.." && pwd) || return 1
  unset CNN_WEBGPU CNN_WEBGPU_ADAPTER

  if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ] || [ ! -w "$XDG_RUNTIME_DIR" ]; then
    XDG_RUNTIME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cnn-webgpu-xdg.XXXXXX") || return 1
    chmod 700 "$XDG_RUNTIME_DIR"
  fi
  export XDG_RUNTIME_DIR

  if [ ! -d "$root/node_modules/webgpu" ]; then
    echo "webgpu-env: node_modules/webgpu is missing (run npm ci first); WebGPU tests will be skipped" >&2
    return 0
  fi

  # Each candidate: "ICD-file|extra-library-dir" ("" ICD = the loader's own choice).
  local candidates=() f
  candidates+=("${VK_ICD_FILENAMES:-}|")
  for f in /usr/share/vulkan/icd.d/lvp_icd*.json; do
    [ -f "$f" ] && candidates+=("$f|")
  done
  [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] && candidates+=("/usr/lib/chromium/vk_swiftshader_icd.json|/usr/lib/chromium")

  local c icd libdir found="" info=""
  for c in "${candidates[@]}"; do
    icd=${c%%|*}
    libdir=${c#*|}
    info=$(cd "$root" && _cnn_webgpu_probe "$icd" "$libdir") && { found=$c; break; }
  done
  if [ -z "$found" ]; then
    echo "webgpu-env: Dawn found no WebGPU adapter on any Vulkan driver here (tried: ${candidates[*]:-none});" \
      "install Mesa >= 24 lavapipe (mesa-vulkan-drivers) or chromium's SwiftShader; WebGPU tests will be skipped" >&2
    return 0
  fi

  icd=${found%%|*}
  libdir=${found#*|}
  if [ -n "$icd" ]; then export VK_ICD_FILENAMES="$icd"; else unset VK_ICD_FILENAMES; fi
  if [ -n "$libdir" ]; then export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
  export CNN_WEBGPU=1
  export CNN_WEBGPU_ADAPTER="$info"
  echo "webgpu-env: WebGPU adapter: $info (Vulkan driver: ${icd:-default})" >&2
}

# Asks Dawn for an adapter with the given ICD; prints its description and succeeds when there is one.
_cnn_webgpu_probe() {
  local icd=$1 libdir=$2
  local -a envs=()
  [ -n "$icd" ] && envs+=("VK_ICD_FILENAMES=$icd")
  [ -n "$libdir" ] && envs+=("LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  # `env -u` first, so that the loader's own choice really is its own.
  timeout 60 env -u VK_ICD_FILENAMES "${envs[@]}" node --input-type=module -e '
    const { create, globals } = await import("webgpu");
    Object.assign(globalThis, globals);
    const adapter = await create([]).requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) process.exit(1);
    const i = adapter.info ?? {};
    console.log(`${i.description || i.device || "unnamed"} (vendor ${i.vendor || "?"}, architecture ${i.architecture || "?"}${i.isFallbackAdapter ? ", fallback adapter" : ""})`);
    process.exit(0);
  ' 2>/dev/null
}

if (return 0 2>/dev/null); then
  _cnn_webgpu_main
else
  _cnn_webgpu_main || exit 1
  for v in XDG_RUNTIME_DIR VK_ICD_FILENAMES LD_LIBRARY_PATH CNN_WEBGPU CNN_WEBGPU_ADAPTER; do
    [ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  exit 0
fi
