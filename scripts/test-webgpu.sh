#!/usr/bin/env bash
# The webgpu tests (`npm run test:webgpu`) on lavapipe, a real WebGPU device in software: sets up the driver
# folder if needed (scripts/setup-lavapipe.sh), exposes it to these tests alone, and runs dist/test/webgpu.
# Nothing is skipped: a missing driver fails here, and a test that finds no adapter fails.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${LAVAPIPE_DIR:-.lavapipe}
bash scripts/setup-lavapipe.sh "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p -m 700 "$dir/xdg"
export VK_DRIVER_FILES=$dir/lvp_icd.json XDG_RUNTIME_DIR=$dir/xdg MESA_SHADER_CACHE_DIR=$dir/shader-cache
exec node --test --test-concurrency=1 $(find dist/test/webgpu -name '*.test.js' | sort)
