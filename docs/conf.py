# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Sphinx configuration of weft's documentation site. Build it with
# scripts/docs.sh (Doxygen's XML of the headers first, then Sphinx with
# warnings as errors); the output lands in build/docs/html.
import os
import re
import sys
from pathlib import Path

docs_dir = Path(__file__).resolve().parent
repository = docs_dir.parent
sys.path.insert(0, str(docs_dir / "_ext"))

# The version lives in include/weft/version.hpp alone (CMake and
# CITATION.cff's test read it there too).
_version_text = (repository / "include" / "weft" / "version.hpp").read_text()
version = ".".join(re.search(rf"#define WEFT_VERSION_{part} (\d+)", _version_text).group(1)
                   for part in ("MAJOR", "MINOR", "PATCH"))
release = version

project = "weft"
author = "The weft developers"
copyright = "The weft developers; Apache-2.0 WITH LLVM-exception"

extensions = ["myst_parser", "breathe", "weft_docs"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Doxyfile"]
# Headings get GitHub's anchors, so that links between pages work on GitHub
# and on the site alike.
myst_heading_anchors = 4

breathe_projects = {"weft": os.environ.get("WEFT_DOXYGEN_XML", str(repository / "build" / "docs" / "doxygen" / "xml"))}
breathe_default_project = "weft"
breathe_default_members = ("members",)
breathe_show_include = True
cpp_index_common_prefix = ["weft::"]

# Links from a page to a file of the repository outside docs/ (bench/README.md,
# an example) point here: by default the checkout the site was built from, seen
# from build/docs/html; a published site sets WEFT_DOCS_SOURCE_URL to the
# repository's browsable tree at the documented version.
weft_source_url = os.environ.get("WEFT_DOCS_SOURCE_URL", "../../..")

html_theme = "furo"
html_title = f"weft {version}"
html_static_path = []
