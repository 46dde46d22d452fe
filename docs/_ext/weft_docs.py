# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""What weft's site needs beyond Sphinx, MyST and breathe.

- Links from a page to a repository file outside docs/ (written relative, so
  that they work on GitHub) become links into the repository
  (conf.weft_source_url).
- Doxygen 1.9.4 gives overloads that differ only in their constraints (three
  constrained constructors of weft::hdf5::attribute_value) one id; each
  duplicate id gets a suffix before breathe reads the XML, or docutils
  stops on a duplicate target.
- The API reference has one page per public header (docs/api/, written at
  each build and not kept in git): the header's opening comment, then what
  Doxygen found in it.
- Inline code that names a public header (`weft/reduce.hpp`,
  `distributed/grid.hpp`) links to its API page.
- Every API page declares `namespace weft` again; Sphinx's C++ domain warns
  about that one repeated declaration, and nothing else is filtered.
"""
import logging
import re
import posixpath
import xml.etree.ElementTree as ET
from pathlib import Path

from docutils import nodes


def _repository_link(app, env, node, contnode):
    target = node.get("reftarget", "")
    if not target.startswith("../"):
        return None
    path, _, anchor = target.partition("#")
    page_dir = posixpath.dirname(node.get("refdoc", env.docname))
    relative = posixpath.normpath(posixpath.join("docs", page_dir, path))
    if relative.startswith("../") or relative.startswith("docs/"):
        return None
    if not (Path(app.confdir).parent / relative).exists():
        return None
    base = app.config.weft_source_url.rstrip("/")
    if "://" not in base:
        # Relative to the site's root, from the page's own folder.
        base = "../" * (page_dir.count("/") + 1 if page_dir else 0) + base
    reference = nodes.reference("", "", internal=False, refuri=f"{base}/{relative}" + (f"#{anchor}" if anchor else ""))
    reference.append(contnode)
    return reference


def _prepare_doxygen_xml(app):
    """Unique member ids, and no private members or private nested classes."""
    xml_dir = Path(app.config.breathe_projects[app.config.breathe_default_project])
    if not (xml_dir / "index.xml").exists():
        raise RuntimeError(f"no Doxygen XML in {xml_dir}: run scripts/docs.sh (it runs Doxygen first)")
    for path in xml_dir.glob("*.xml"):
        if path.name in ("index.xml", "Doxyfile.xml"):
            continue
        tree = ET.parse(path)
        changed = False
        for parent in list(tree.iter()):
            for child in list(parent):
                if child.tag in ("memberdef", "innerclass") and child.get("prot") == "private":
                    parent.remove(child)
                    changed = True
        for section in list(tree.iter("compounddef")):
            for sectiondef in list(section.findall("sectiondef")):
                if not len(sectiondef.findall("memberdef")):
                    section.remove(sectiondef)
                    changed = True
        seen = {}
        for member in tree.iter("memberdef"):
            ident = member.get("id")
            count = seen.get(ident, 0)
            seen[ident] = count + 1
            if count:
                member.set("id", f"{ident}_{count}")
                changed = True
        if changed:
            tree.write(path, encoding="utf-8", xml_declaration=True)


def _entities_outside_file_listing(xml_dir):
    """header -> [(directive, name)] for what breathe's doxygenfile leaves out:
    concepts, and classes that are only declared (a customisation point)."""
    index = ET.parse(xml_dir / "index.xml").getroot()
    listed = set()
    for compound in index.findall("compound"):
        if compound.get("kind") == "file":
            root = ET.parse(xml_dir / f"{compound.get('refid')}.xml").getroot()
            listed.update(inner.text for inner in root.iter("innerclass"))
    extra = {}
    directives = {"concept": "doxygenconcept", "class": "doxygenclass", "struct": "doxygenstruct"}
    for compound in index.findall("compound"):
        kind, name = compound.get("kind"), compound.findtext("name")
        if kind not in directives or not name.startswith("weft::") or name.startswith("weft::detail"):
            continue
        if kind != "concept" and (name in listed or "::" in name.removeprefix("weft::")):
            continue
        root = ET.parse(xml_dir / f"{compound.get('refid')}.xml").getroot()
        location = root.find("compounddef/location")
        if location is not None:
            extra.setdefault(location.get("file"), []).append((directives[kind], name))
    return extra


def _header_summary(text):
    """The header's opening comment (after the licence line and #pragma once), as Markdown."""
    lines = []
    for line in text.splitlines()[1:]:
        if line.startswith("#pragma"):
            continue
        if not line.startswith("//"):
            break
        lines.append(line[2:].removeprefix(" "))
    body = "\n".join(lines).strip()
    for special in ("\\", "<", "*", "`", "[", "]"):
        body = body.replace(special, "\\" + special)
    return body


def _write_api_pages(app):
    repository = Path(app.confdir).parent
    include = repository / "include"
    api = Path(app.confdir) / "api"
    xml_dir = Path(app.config.breathe_projects[app.config.breathe_default_project])
    extra = _entities_outside_file_listing(xml_dir)
    wanted = set()
    for header in sorted(include.glob("weft/**/*.hpp")):
        relative = header.relative_to(include).as_posix()
        if "/detail/" in relative:
            continue
        page = api / (relative.removesuffix(".hpp") + ".md")
        wanted.add(page)
        text = (f"# {relative}\n\n```cpp\n#include <{relative}>\n```\n\n{_header_summary(header.read_text())}\n\n"
                f"```{{doxygenfile}} {relative}\n:project: weft\n```\n")
        for directive, name in extra.get(relative, []):
            text += f"\n```{{{directive}}} {name}\n:project: weft\n" + (":members:\n" if directive != "doxygenconcept" else "") + "```\n"
        page.parent.mkdir(parents=True, exist_ok=True)
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
    for stale in api.glob("**/*.md"):
        if stale not in wanted:
            stale.unlink()


HEADER_NAME = re.compile(r"^(?:weft/)?((?:distributed/|hdf5/)?[a-z0-9_]+\.hpp)$")


def _link_header_names(app, doctree, docname):
    """Inline code naming a public header becomes a link to its API page."""
    for literal in list(doctree.findall(nodes.literal)):
        match = HEADER_NAME.match(literal.astext())
        if not match or isinstance(literal.parent, nodes.reference):
            continue
        target = "api/weft/" + match.group(1).removesuffix(".hpp")
        if target not in app.env.all_docs or target == docname:
            continue
        uri = app.builder.get_relative_uri(docname, target)
        reference = nodes.reference("", "", internal=True, refuri=uri)
        literal.replace_self(reference)
        reference.append(literal)


class _RepeatedNamespace(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        return not ("Duplicate C++ declaration" in message and "Declaration is '.. cpp:type:: weft'." in message)


def setup(app):
    app.add_config_value("weft_source_url", "../../..", "html")
    app.connect("builder-inited", _prepare_doxygen_xml)
    app.connect("builder-inited", _write_api_pages)
    app.connect("missing-reference", _repository_link)
    app.connect("doctree-resolved", _link_header_names)
    # Before -W's filter, which turns a warning into an error.
    for handler in logging.getLogger("sphinx").handlers:
        handler.filters.insert(0, _RepeatedNamespace())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
