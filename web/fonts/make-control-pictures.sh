#!/bin/sh
# Makes web/fonts/control-pictures.woff: the Control Pictures block (U+2400-U+2426, the
# symbols the payload text shows for control characters: ␀ ␉ ␊ ␡ ...) cut out of Noto Sans
# Symbols 2 (SIL Open Font License 1.1, see OFL.txt), so the page shows them on machines
# with no font that has them (a plain Debian or a fresh Windows shows empty boxes).
# Needs: Debian's fonts-noto-core, and fonttools (pip) in a temporary virtualenv.
set -eu
src=/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf
out="$(dirname "$0")/control-pictures.woff"
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q fonttools==4.68.0
"$venv/bin/pyftsubset" "$src" --unicodes=U+2400-2426 --flavor=woff --layout-features='' \
  --name-IDs='*' --output-file="$out"
ls -l "$out"
