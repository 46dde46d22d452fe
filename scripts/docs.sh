#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Builds weft's documentation site into build/docs/html (or <out>/html):
# Doxygen reads the public headers' doc comments into XML, then Sphinx
# renders docs/ (MyST Markdown pages, and the API reference from that XML
# through breathe) with every warning an error. Last, it checks that every
# public function, type, concept and macro Doxygen found is in the
# reference. Debian 12's packages (python3-sphinx, furo, python3-myst-parser,
# doxygen, python3-breathe) do it; scripts/setup.sh installs them.
#
#   scripts/docs.sh [out]     # default out: build/docs
#
# Exits 77 (ctest's "skipped") when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/docs}"
mkdir -p "$out"
out=$(cd "$out" && pwd)

missing=()
command -v doxygen > /dev/null || missing+=(doxygen)
if sphinx=$(command -v sphinx-build); then
  # The Python that runs sphinx-build must also have the theme and extensions.
  python=$(head -n 1 "$sphinx" | sed -e 's/^#! *//' -e 's/^\/usr\/bin\/env  *//')
  $python -c "import myst_parser, breathe, furo" 2> /dev/null || missing+=("python3-myst-parser, python3-breathe or furo")
else
  missing+=(sphinx-build)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "weft docs: skipped: ${missing[*]} missing (scripts/setup.sh installs them)"
  exit 77
fi

start=$(date +%s)
rm -rf "$out/doxygen"
mkdir -p "$out/doxygen"
WEFT_DOXYGEN_OUTPUT="$out/doxygen" doxygen docs/Doxyfile
WEFT_DOXYGEN_XML="$out/doxygen/xml" sphinx-build -E -W --keep-going -q -b html -d "$out/doctrees" docs "$out/html"
$python docs/_ext/check_reference.py "$out/doxygen/xml" "$out/html/objects.inv"
echo "weft docs: $out/html/index.html ($(( $(date +%s) - start )) s)"
