#!/usr/bin/env bash
# Mesa's software Vulkan driver (lavapipe) for the webgpu tests, in a folder, not installed: Dawn (npm webgpu)
# rejects Debian bookworm's own lavapipe 22.3, and runs on 25.x from bookworm-backports. Installs the Vulkan
# loader (libvulkan1), downloads mesa-vulkan-drivers from bookworm-backports with a private apt state, unpacks
# it into DIR and writes DIR/lvp_icd.json with an absolute library path. Idempotent; needs root (apt-get).
# Usage: scripts/setup-lavapipe.sh [DIR]   (default .lavapipe); then export VK_DRIVER_FILES=DIR/lvp_icd.json
set -euo pipefail
dest=${1:-.lavapipe}
if [ -f "$dest/lvp_icd.json" ] && [ -f /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
dpkg -s libvulkan1 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libvulkan1 >/dev/null; }
mkdir -p "$dest/apt/lists/partial" "$dest/apt/cache/archives/partial" "$dest/apt/parts" "$dest/root"
dest=$(cd "$dest" && pwd)
# bookworm-backports from the system's own Debian mirror.
uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '/^deb / && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$dest/apt/parts/backports.sources"
opts=(-o "Dir::Etc::sourcelist=-" -o "Dir::Etc::sourceparts=$dest/apt/parts" -o "Dir::State::Lists=$dest/apt/lists" -o "Dir::Cache=$dest/apt/cache")
apt-get "${opts[@]}" update -qq
rm -f "$dest"/mesa-vulkan-drivers_*.deb
(cd "$dest" && apt-get "${opts[@]}" download -qq mesa-vulkan-drivers/bookworm-backports)
dpkg -x "$dest"/mesa-vulkan-drivers_*.deb "$dest/root"
lib="$dest/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
[ -f "$lib" ] || { echo "setup-lavapipe: no libvulkan_lvp.so in the package" >&2; exit 1; }
sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib\"#" "$dest/root/usr/share/vulkan/icd.d/lvp_icd.json" > "$dest/lvp_icd.json"
echo "setup-lavapipe: $(basename "$dest"/mesa-vulkan-drivers_*.deb) in $dest; export VK_DRIVER_FILES=$dest/lvp_icd.json"
