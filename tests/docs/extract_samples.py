#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Every C++ sample of README.md and of the site's pages (docs/*.md), as a
file the tests compile.

    extract_samples.py <repository> <output dir>           # write the files
    extract_samples.py <repository> <output dir> --check   # only check

A ```cpp (or ```c++) block is either
- a complete program (it has `int main(`): it must equal, character for
  character, one of the programs in tests/docs/*.cpp, which the tests build
  and run; or
- a fragment, preceded on the line before its fence by
  `<!-- sample: NAME -->` (invisible on GitHub and on the site): it is
  compiled inside tests/docs/contexts/NAME.cpp, which declares what the
  fragment uses. The fragment's leading declarations (top-level items that
  begin with template, struct, class, union, enum or namespace) replace the
  context's `// @DECLARATIONS@` line, the rest its `// @BODY@` line.
  `#line` directives make the compiler name the page and line.

The context's `// needs: weft | distributed | hdf5` line says which target
the file links. The list of files goes to <output dir>/samples.cmake. Fails
(exit 1), naming the page and line, on a fragment without a context, an
unknown context, a program that matches no file in tests/docs, or a program
file that no page shows.
"""
import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```(cpp|c\+\+)\s*$")
MARKER = re.compile(r"^<!--\s*sample:\s*([A-Za-z0-9_]+)\s*-->\s*$")
DECLARATION = re.compile(r"^(template\b|struct\b|class\b|union\b|enum\b|namespace\b)")


def pages(repository):
    yield repository / "README.md"
    yield from sorted((repository / "docs").glob("*.md"))


def blocks(path):
    """(line number of the first line of code, marker or None, code) of every C++ block."""
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            start = i + 1
            end = start
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            marker = MARKER.match(lines[i - 1]) if i > 0 else None
            yield start + 1, marker.group(1) if marker else None, "\n".join(lines[start:end]) + "\n"
            i = end
        i += 1


def split_fragment(code):
    """The leading declarations and the statements after them, as line lists."""
    lines = code.rstrip("\n").split("\n")
    items = []  # (is a declaration, first line index, one past the last)
    depth = 0
    start = None
    pending_comment = None
    for index, line in enumerate(lines):
        code_part = re.sub(r'"([^"\\]|\\.)*"', '""', line.split("//")[0]).strip()
        if depth == 0 and start is None:
            if not code_part:
                if pending_comment is None and line.strip():
                    pending_comment = index
                continue
            start = index if pending_comment is None else pending_comment
            first = code_part
            pending_comment = None
        depth += code_part.count("{") + code_part.count("(") - code_part.count("}") - code_part.count(")")
        if start is not None and depth == 0 and code_part.endswith((";", "}")):
            items.append((bool(DECLARATION.match(first)), start, index + 1))
            start = None
    if start is not None or depth != 0:
        raise ValueError("unbalanced braces or parentheses")
    last = max((end for is_declaration, _, end in items if is_declaration), default=0)
    return lines[:last], lines[last:]


def generate(repository, page, line, name, code):
    context_path = repository / "tests" / "docs" / "contexts" / f"{name}.cpp"
    if not context_path.exists():
        raise ValueError(f"no context tests/docs/contexts/{name}.cpp")
    context = context_path.read_text().split("\n")
    needs = next((m.group(1) for m in (re.match(r"^// needs: (weft|distributed|hdf5)$", l) for l in context) if m), None)
    if needs is None:
        raise ValueError(f"tests/docs/contexts/{name}.cpp has no '// needs: weft|distributed|hdf5' line")
    declarations, body = split_fragment(code)
    page_name = page.relative_to(repository).as_posix()
    context_name = context_path.relative_to(repository).as_posix()
    out = [f"// Generated from {page_name}:{line} by tests/docs/extract_samples.py: edit the page, not this file.",
           f'#line 1 "{context_name}"']
    placed = set()
    for number, text in enumerate(context, start=1):
        slot = text.strip()
        if slot in ("// @DECLARATIONS@", "// @BODY@"):
            part, first = (declarations, line) if slot == "// @DECLARATIONS@" else (body, line + len(declarations))
            placed.add(slot)
            out.append(f'#line {first} "{page_name}"')
            out.extend(part)
            out.append(f'#line {number + 1} "{context_name}"')
        else:
            out.append(text)
    if "// @BODY@" not in placed:
        raise ValueError(f"tests/docs/contexts/{name}.cpp has no '// @BODY@' line")
    if declarations and "// @DECLARATIONS@" not in placed:
        raise ValueError(f"the sample declares {declarations[0].strip()!r}, but tests/docs/contexts/{name}.cpp "
                         "has no '// @DECLARATIONS@' line")
    return needs, "\n".join(out).rstrip("\n") + "\n"


def main():
    repository, output = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    check_only = "--check" in sys.argv[3:]
    programs = {p.read_text(): p for p in sorted((repository / "tests" / "docs").glob("*.cpp"))}
    shown = set()
    problems = []
    files = {}
    for page in pages(repository):
        for line, marker, code in blocks(page):
            where = f"{page.relative_to(repository).as_posix()}:{line}"
            if "int main(" in code:
                if code in programs:
                    shown.add(programs[code])
                else:
                    problems.append(f"{where}: a program that equals no tests/docs/*.cpp: update one from the other")
                continue
            if marker is None:
                problems.append(f"{where}: a C++ fragment without a '<!-- sample: NAME -->' line before its fence")
                continue
            try:
                needs, text = generate(repository, page, line, marker, code)
            except ValueError as error:
                problems.append(f"{where}: {error}")
                continue
            files[f"{page.stem.replace('-', '_')}_{line}.cpp"] = (needs, text)
    for text, path in programs.items():
        if path not in shown:
            problems.append(f"tests/docs/{path.name}: shown on no page (README.md, docs/*.md)")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    output.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, (_, text) in files.items():
        target = output / name
        if not target.exists() or target.read_text() != text:
            stale.append(name)
            if not check_only:
                target.write_text(text)
    listing = "# Generated by tests/docs/extract_samples.py.\n"
    for needs in ("weft", "distributed", "hdf5"):
        names = " ".join(f'"{output.resolve() / n}"' for n, (k, _) in sorted(files.items()) if k == needs)
        listing += f"set(weft_docs_samples_{needs} {names})\n"
    cmake = output / "samples.cmake"
    if not cmake.exists() or cmake.read_text() != listing:
        stale.append("samples.cmake")
        if not check_only:
            cmake.write_text(listing)
    for name in sorted(p.name for p in output.glob("*.cpp")):
        if name not in files:
            stale.append(name)
            if not check_only:
                (output / name).unlink()
    if check_only and stale:
        print(f"out of date (reconfigure to regenerate): {', '.join(stale)}", file=sys.stderr)
        return 1
    print(f"{len(files)} samples and {len(shown)} programs from README.md and docs/*.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
