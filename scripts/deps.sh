#!/usr/bin/env bash
# deps.sh installs the Debian packages Parley needs to build, test and run its demo, then builds
# libopus 1.5.2 with Deep PLC, OSCE and DRED into a user cache (scripts/opus.sh).
# It is idempotent: packages already present are not reinstalled, apt is not touched at all
# when everything is there, and a finished libopus build is reused. Uses apt-get directly as
# root, sudo otherwise.
set -euo pipefail

PKGS=(
  libopus-dev       # codec: the system libopus, for a plain `go build` (make uses opus.sh's 1.5.2)
  gcc               # cgo, and building libopus 1.5.2 (scripts/opus.sh)
  make              # building libopus 1.5.2
  libc6-dev         # C headers for cgo and the libopus build
  portaudio19-dev   # engine/audio/portaudio: sound devices through cgo
  libwebrtc-audio-processing-dev # engine/audio/apm: echo cancellation, noise suppression, AGC (cgo)
  libspeexdsp-dev   # engine/audio/apm: the linear echo filter before webrtc's canceller (cgo)
  pkg-config        # cgo flags for the two above
  codec2-examples   # real speech for tests and benches (/usr/share/codec2/raw)
  coturn            # production TURN server, for interop tests
  nats-server       # multi-node signaling broker, for tests
  espeak-ng         # synthetic speech for demos
  sox               # audio inspection in scripts
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exec "$(dirname "$0")/opus.sh" >/dev/null
fi

echo "deps.sh: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "deps.sh: need root or passwordless sudo to install: ${missing[*]}" >&2
  echo "deps.sh: install them yourself (apt-get install ${missing[*]}) and re-run" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: apt-get not found; this script supports Debian and Ubuntu. Install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done" >&2
exec "$(dirname "$0")/opus.sh" >/dev/null
