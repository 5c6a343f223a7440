#!/bin/sh
# Usage: build-wheels.sh PENDING OUT
#
# Run by app_deploy on one host of each interpreter that needs it: turns the sdists of a
# pending wheelhouse (PENDING, a tar made on the control node: the target's wheels, the
# sdists that have none, and the wheels of their build backends) into wheels, with this
# host's own Python and compiler, offline. OUT is the finished wheelhouse: every wheel and
# the lock, which the control node fetches and ships to every host of this interpreter.
set -eu
pending=$1
out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/wheels" "$work/built"
tar -xf "$pending" -C "$work/wheels"
cd "$work/wheels"
set -- ./*.tar.gz ./*.zip ./*.tar.bz2 ./*.tgz
sdists=""
for file in "$@"; do
  [ -e "$file" ] && sdists="$sdists $file"
done
pip_wheel=$(ls pip-*.whl)
/usr/bin/python3 -m venv --without-pip "$work/venv"
# shellcheck disable=SC2086 # one word per sdist
"$work/venv/bin/python" "$pip_wheel/pip" wheel --quiet --disable-pip-version-check \
  --no-index --find-links "$work/wheels" --no-deps --wheel-dir "$work/built" $sdists
# shellcheck disable=SC2086
rm -f $sdists
mv "$work"/built/*.whl .
tar -cf "$out.part" -- *
mv "$out.part" "$out"
