# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Doxygen's input filter for weft's headers (docs/Doxyfile, INPUT_FILTER).

weft's doc comments end with a one-line example, indented by three spaces:

    /// The sum of the elements, T{} when v is empty.
    ///   double total = weft::reduce(exec, v);

Such a run of example lines becomes a code block for the reference: the
prose line before it gets `\\code{.cpp}` at its end and the last example line
`\\endcode`, so that no line moves and Doxygen's warnings name the header's
own line numbers. Prints the filtered file.
"""
import re
import sys

EXAMPLE = re.compile(r"^(\s*)///   ")
COMMENT = re.compile(r"^\s*///")

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = list(lines)
i = 0
while i < len(lines):
    if not EXAMPLE.match(lines[i]):
        i += 1
        continue
    last = i
    while last + 1 < len(lines) and EXAMPLE.match(lines[last + 1]):
        last += 1
    if i > 0 and COMMENT.match(lines[i - 1]):
        out[i - 1] = lines[i - 1] + " \\code{.cpp}"
    else:
        out[i] = EXAMPLE.sub(r"\1/// \\code{.cpp} ", lines[i], count=1)
    out[last] = out[last] + " \\endcode"
    i = last + 1
sys.stdout.write("\n".join(out))
