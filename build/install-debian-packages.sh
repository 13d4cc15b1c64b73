#!/usr/bin/env bash
# Installs the Debian packages the project uses (the tts plugin runs flite, which writes the test corpora, and
# pocketsphinx, which scores intelligibility, with pocketsphinx-testdata's natural recordings as a sanity anchor; the image-classification plugin reads Fashion-MNIST from
# dataset-fashion-mnist, /usr/share/datasets/fashion-mnist; headless chromium drives the dashboard and report tests;
# postgresql provides initdb and pg_ctl, with which the storage tests start a throwaway server of their own; slurm-wlm
# and munge provide the daemons with which the deploy tests start a one-node Slurm of their own in /tmp),
# and only those that are missing: with everything present it changes nothing and needs neither root nor the network.
# Uses sudo only when not root. Fails loudly (non-zero exit, a message naming the packages)
# when a package cannot be installed, so that the tests that need them fail instead of passing silently.
#
#   build/install-debian-packages.sh            # the default list
#   build/install-debian-packages.sh PKG...     # another list
set -euo pipefail

packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
  packages=(flite pocketsphinx pocketsphinx-en-us pocketsphinx-testdata dataset-fashion-mnist chromium postgresql slurm-wlm munge)
fi

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

fail() {
  echo "install-debian-packages: $*" >&2
  echo "install-debian-packages: install them by hand: apt-get install -y ${missing[*]}" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]}, and there is no apt-get on this machine."

run_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "missing ${missing[*]}; not root and no sudo to install them."
  # -n: never stop a build to ask for a password; a sudo that needs one fails here with its own message.
  run_root=(sudo -n)
fi

echo "install-debian-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty or stale; refresh them only when the install needs it.
if ! "${run_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  "${run_root[@]}" apt-get update -q >&2 || fail "apt-get update failed."
  "${run_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
    || fail "apt-get install ${missing[*]} failed."
fi

still=()
for package in "${missing[@]}"; do
  installed "$package" || still+=("$package")
done
[ ${#still[@]} -eq 0 ] || fail "still missing after apt-get: ${still[*]}."
