#!/usr/bin/env bash
# `bash bench/gpu/run.sh`: Relief's GPU benchmarks on a machine with a GPU and no network, Node.js
# or npm, from the pack that `npm run bench:gpu-pack` made in .gpu/ (carried there). Unpacks it
# into GPU_BENCH_WORK (default /tmp/relief-gpu), brings the Vulkan loader where the machine lacks
# one, prints nvidia-smi and the adapters Dawn finds, then runs, each within a time limit and all
# within GPU_BENCH_SECONDS (default 470): bench:webgpu, bench (rows cpu, webgpu, tfjs-webgpu),
# the AIS timing on webgpu, and bench:peers --gpu for 784-500 and 784-2000 at batch 100 and 1000.
# Writes $OUT/run.log and $OUT/results.tar.gz (results/*.json and results/raw/*.json, to unpack
# with `tar -xzf results.tar.gz -C bench`). GPU_BENCH_QUICK=1 runs tiny sizes on Mesa's
# software adapter, to check the pack on a machine without a GPU.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PACK=$ROOT/.gpu
WORK=${GPU_BENCH_WORK:-/tmp/relief-gpu}
OUT=${OUT:-$ROOT/gpu-out}
QUICK=${GPU_BENCH_QUICK:-0}
BUDGET=${GPU_BENCH_SECONDS:-470}
STARTED=$SECONDS
mkdir -p "$OUT"

# Runs "$@" with at most $1 seconds, fewer when the budget is nearly spent.
step() {
  local cap=$1 left
  shift
  left=$((BUDGET - (SECONDS - STARTED)))
  ((left < cap)) && cap=$left
  if ((cap < 15)); then
    echo "== skipped (budget spent): $*"
    return 0
  fi
  echo "== $* (limit ${cap} s, $((SECONDS - STARTED)) s in)"
  local begun=$SECONDS
  timeout -k 5 "$cap" "$@"
  local status=$?
  ((status == 124 || status == 137)) && echo "== timed out after ${cap} s: $*"
  echo "== exit ${status} after $((SECONDS - begun)) s"
}

unpack() {
  [ -f "$PACK/node.xz" ] || { echo "no pack at $PACK: run npm run bench:gpu-pack there and carry .gpu" >&2; return 1; }
  rm -rf "$WORK"
  mkdir -p "$WORK/bin" "$WORK/node_modules" "$WORK/data/mnist" "$WORK/paysage"
  xz -dc "$PACK/node.xz" >"$WORK/bin/node" && chmod +x "$WORK/bin/node"
  tar -xJf "$PACK/webgpu.tar.xz" -C "$WORK/node_modules"
  tar -xJf "$PACK/bundles.tar.xz" -C "$WORK"
  cp "$ROOT/bench/paysage_epoch.py" "$WORK/bench/"
  xz -dc "$PACK/train-images-idx3-ubyte.xz" >"$WORK/data/mnist/train-images-idx3-ubyte"
  [ -f "$PACK/paysage.tar.xz" ] && tar -xJf "$PACK/paysage.tar.xz" -C "$WORK/paysage"
  return 0
}

# The Vulkan loader (and GL dispatch) where the machine has none: the device README's recipe
# (unpacked into / as root on the GPU machine), else into $WORK/gl on LD_LIBRARY_PATH.
vulkan() {
  local loader
  loader=$(ldconfig -p | grep -m1 'libvulkan\.so\.1' | sed 's/.*=> //')
  if [ -n "$loader" ]; then
    echo "vulkan loader: $loader"
  elif [ "$(id -u)" = 0 ] && [ "$QUICK" != 1 ]; then
    for deb in "$PACK"/gl/*.deb; do dpkg -x "$deb" /; done
    ldconfig
    echo "vulkan loader: unpacked $(ls "$PACK"/gl | tr '\n' ' ')into /"
  else
    for deb in "$PACK"/gl/*.deb; do dpkg -x "$deb" "$WORK/gl"; done
    export LD_LIBRARY_PATH=$WORK/gl/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    echo "vulkan loader: unpacked into $WORK/gl (LD_LIBRARY_PATH)"
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [ -f "$icd" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
    export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$icd}
    echo "VK_DRIVER_FILES=$VK_DRIVER_FILES"
  fi
  [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-$egl}
  return 0
}

main() {
  echo "== relief gpu benchmarks, $(date -u +%FT%TZ), $(uname -srm), quick=$QUICK"
  unpack || return 1
  export PATH=$WORK/bin:$PATH RELIEF_DATA_DIR=$WORK/data PAYSAGE_DIR=$WORK/paysage
  export PYTHON=${PYTHON:-$(command -v python3)}
  unset NODE_PATH
  local node=$WORK/bin/node
  echo "node: $node $("$node" --version) (packed from $(cat "$PACK/node-version")); python: $PYTHON"
  if ! "$PYTHON" -c 'import cytoolz' 2>/dev/null && "$PYTHON" -c 'import toolz' 2>/dev/null; then
    export PYTHONPATH=$ROOT/bench/gpu/python${PYTHONPATH:+:$PYTHONPATH}
    echo 'cytoolz: missing, stood in for by toolz (bench/gpu/python/cytoolz)'
  fi
  if command -v nvidia-smi >/dev/null; then nvidia-smi; else echo 'nvidia-smi: none'; fi
  vulkan
  echo '== adapters that Dawn finds'
  (cd "$WORK" && EGL_PLATFORM=${EGL_PLATFORM:-surfaceless} timeout 60 "$node" --input-type=module -e "
    import { create } from 'webgpu';
    for (const options of [[], ['backend=vulkan'], ['backend=opengl']]) {
      const adapter = await create(options).requestAdapter(options[0] === 'backend=opengl' ? { featureLevel: 'compatibility' } : {});
      const info = adapter?.info ?? {};
      console.log(JSON.stringify(options), adapter ? [info.vendor, info.architecture, info.device, info.description].join(' | ') : 'none');
    }
    process.exit(0);")
  cd "$WORK" || return 1
  if [ "$QUICK" = 1 ]; then
    export RELIEF_WEBGPU_ADAPTER=software
    step 120 "$node" bench/webgpu-dispatch.mjs --adapter software --batches 4
    step 240 "$node" bench/run.mjs --only cpu,webgpu-software,tfjs-webgpu --epoch-samples 1000 --min-seconds 0.1
    step 60 "$node" bench/ais-webgpu.mjs --adapter software --steps 100 --chains 10
    step 240 "$node" bench/peers.mjs --gpu --only 16 --epochs 1 --batch-size 1000
  else
    step 90 "$node" bench/webgpu-dispatch.mjs
    step 180 "$node" bench/run.mjs --only cpu,webgpu,tfjs-webgpu
    step 90 "$node" bench/ais-webgpu.mjs
    for batch in 100 1000; do
      for hidden in 500 2000; do step 150 "$node" bench/peers.mjs --gpu --only "$hidden" --batch-size "$batch"; done
    done
  fi
  echo "== records written ($((SECONDS - STARTED)) s in):"
  (cd "$WORK/bench" && ls results/*.json results/raw/*.json 2>/dev/null)
  tar -czf "$OUT/results.tar.gz" -C "$WORK/bench" results
}

main 2>&1 | tee "$OUT/run.log"
