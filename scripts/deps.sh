# Sourced by scripts/run, scripts/test and scripts/bench: installs the Debian packages kvd needs.
# shellcheck shell=bash

KV_PACKAGES=(
  cmake g++ make pkg-config             # the build
  libboost-dev libboost-program-options-dev libspdlog-dev
  libgtest-dev libgmock-dev libhiredis-dev  # tests
  redis-tools redis-server              # redis-cli/redis-benchmark for tests; the benchmark reference
  clang libclang-rt-14-dev              # the parser fuzzer (libFuzzer) and its sanitizers
)

# Installs whichever of KV_PACKAGES are missing, with apt-get (as root, or through sudo).
kv_install_deps() {
  local missing=()
  local p
  for p in "${KV_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures and builds a tree: kv_build DIR [cmake options...] [--target T...]
kv_build() {
  local dir=$1
  shift
  local options=() targets=()
  while [ $# -gt 0 ]; do
    if [ "$1" = --target ]; then
      shift
      targets=(--target "$@")
      break
    fi
    options+=("$1")
    shift
  done
  cmake -S . -B "$dir" "${options[@]}" >/dev/null
  cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
}
