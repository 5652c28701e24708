#!/usr/bin/env bash
# opus.sh builds libopus 1.5.2 with Deep PLC, OSCE (LACE/NoLACE) and DRED into a user cache, once.
#
# Debian bookworm ships libopus 1.3.1, which has none of Opus 1.5's neural loss handling, and
# Debian's own 1.5 packages are built without it. So this script takes the release source from
# Debian trixie's source package (apt-get source --download-only, against a private sources list
# and state directory passed with -o options: the machine's apt configuration is never read for
# sources nor changed), checks the orig tarball's SHA-256, and builds a static, position-independent
# library into
#
#   ${PARLEY_OPUS_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/parley/opus-1.5.2}
#
# A prefix that already holds a finished build is reused (the script then exits at once). The
# Makefile points PKG_CONFIG_PATH at <prefix>/lib/pkgconfig, so `make build` / `make test` link it
# statically; a plain `go build` links the system libopus instead (codec.Features reports which).
#
# Needs: apt-get, a C compiler and make (gcc and make come with build-essential, which deps.sh
# installs). Takes one to three minutes (the trixie source index is
# most of the download). Prints the prefix on success.
set -euo pipefail

VERSION=1.5.2
SHA256=65c1d2f78b9f2fb20082c38cbe47c951ad5839345876e46941612ee87f9a7ce1
SUITE=trixie
MIRROR=${PARLEY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-trixie-stable.gpg
PREFIX=${PARLEY_OPUS_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/parley/opus-$VERSION}
STAMP="$PREFIX/.parley-opus-built"

if [ -f "$STAMP" ] && [ -f "$PREFIX/lib/pkgconfig/opus.pc" ] && [ -f "$PREFIX/lib/libopus.a" ]; then
  echo "$PREFIX"
  exit 0
fi

for tool in apt-get cc make sha256sum tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "opus.sh: $tool not found (install build-essential and apt; deps.sh does this on Debian)" >&2
    exit 1
  fi
done
if [ ! -r "$KEYRING" ]; then
  # Older debian-archive-keyring packages lack the trixie keys; the merged keyring may have them.
  KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/parley-opus.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/etc/sources.list.d" "$WORK/etc/preferences.d" "$WORK/lists/partial" \
  "$WORK/cache/archives/partial" "$WORK/src"
echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main" >"$WORK/etc/sources.list"

# Every path apt would read or write points into $WORK; nothing of the machine's apt state is used.
APT_OPTS=(
  -o "Dir::Etc::sourcelist=$WORK/etc/sources.list"
  -o "Dir::Etc::sourceparts=$WORK/etc/sources.list.d"
  -o "Dir::Etc::preferencesparts=$WORK/etc/preferences.d"
  -o "Dir::State::Lists=$WORK/lists"
  -o "Dir::Cache=$WORK/cache"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "APT::Sandbox::User=$(id -un)"
  -o "Debug::NoLocking=1"
)

echo "opus.sh: fetching opus $VERSION source from Debian $SUITE ($MIRROR)" >&2
apt-get "${APT_OPTS[@]}" -qq update >&2
(cd "$WORK/src" && apt-get "${APT_OPTS[@]}" -qq source --download-only opus >&2)

ORIG=$(ls "$WORK"/src/opus_"$VERSION".orig.tar.* 2>/dev/null | head -n 1 || true)
if [ -z "$ORIG" ]; then
  echo "opus.sh: Debian $SUITE no longer carries opus $VERSION (got: $(ls "$WORK/src"))" >&2
  exit 1
fi
GOT=$(sha256sum "$ORIG" | cut -d' ' -f1)
if [ "$GOT" != "$SHA256" ]; then
  echo "opus.sh: SHA-256 mismatch for $(basename "$ORIG"): got $GOT, want $SHA256" >&2
  exit 1
fi

tar -xf "$ORIG" -C "$WORK/src"
SRC=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name "opus*" | head -n 1)
echo "opus.sh: building in $SRC (static, PIC, Deep PLC + DRED + OSCE)" >&2
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
(
  cd "$SRC"
  ./configure --prefix="$PREFIX" --enable-deep-plc --enable-dred --enable-osce \
    --disable-shared --enable-static --with-pic --disable-doc --disable-extra-programs \
    CFLAGS="${CFLAGS:--O2}" >"$WORK/configure.log" 2>&1 ||
    { tail -n 30 "$WORK/configure.log" >&2; exit 1; }
  make -j"$(nproc 2>/dev/null || echo 2)" >"$WORK/make.log" 2>&1 || { tail -n 30 "$WORK/make.log" >&2; exit 1; }
  make install >>"$WORK/make.log" 2>&1 || { tail -n 30 "$WORK/make.log" >&2; exit 1; }
)
# pkg-config --static adds -lm; cgo reads the plain Libs, so fold Libs.private into Libs.
sed -i -e 's/^Libs: \(.*\)$/Libs: \1 -lm/' "$PREFIX/lib/pkgconfig/opus.pc"
echo "$VERSION $SHA256 deep-plc dred osce" >"$STAMP"
echo "opus.sh: installed libopus $VERSION in $PREFIX" >&2
echo "$PREFIX"
