# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Checks that the API reference holds every public entity of weft.

    check_reference.py <doxygen xml dir> <objects.inv of the built site>

Every class, struct, concept, enum, type alias, function, variable and macro
that Doxygen found in the public headers (namespace weft, not weft::detail;
members that are not private) must appear in the site's inventory, i.e. have
its own entry in the reference. Prints what is missing and exits 1 if
anything is.
"""
import posixpath
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from sphinx.util.inventory import InventoryFile


def normalise(name):
    return re.sub(r"\s+", "", name)


def public_entities(xml_dir):
    index = ET.parse(xml_dir / "index.xml").getroot()
    found = set()
    # A nested class is public when its class lists it as a public inner
    # class (the site's build drops private ones from the XML).
    public_inner = set()
    nested = set()
    for compound in index.findall("compound"):
        if compound.get("kind") not in ("class", "struct", "union"):
            continue
        nested.add(compound.findtext("name"))
        root = ET.parse(xml_dir / f"{compound.get('refid')}.xml").getroot()
        for inner in root.iter("innerclass"):
            if inner.get("prot") not in ("private", "protected"):
                public_inner.add(inner.text)
    private_classes = {name for name in nested
                       if "::" in name.removeprefix("weft::") and name not in public_inner}
    for compound in index.findall("compound"):
        kind, name = compound.get("kind"), compound.findtext("name")
        if kind in ("class", "struct", "union", "concept"):
            if name.startswith("weft::") and not name.startswith("weft::detail") and name not in private_classes:
                found.add((kind, name))
        if kind not in ("class", "struct", "union", "namespace", "file"):
            continue
        if kind != "file" and (not name.startswith("weft") or name.startswith("weft::detail") or name in private_classes):
            continue
        root = ET.parse(xml_dir / f"{compound.get('refid')}.xml").getroot()
        for member in root.iter("memberdef"):
            if member.get("prot") in ("private", "protected"):
                continue
            member_kind = member.get("kind")
            if kind == "file" and member_kind != "define":
                continue
            if member_kind == "friend":
                continue
            qualified = member.findtext("qualifiedname") or member.findtext("name")
            if member_kind == "define":
                if qualified.startswith("WEFT_DETAIL"):
                    continue
            elif not qualified.startswith("weft::") or qualified.startswith("weft::detail"):
                continue
            found.add((member_kind, qualified))
    return found


def main():
    xml_dir, inventory = Path(sys.argv[1]), Path(sys.argv[2])
    with inventory.open("rb") as stream:
        entries = InventoryFile.load(stream, "", posixpath.join)
    documented = {normalise(name) for kind, names in entries.items() if kind.startswith(("cpp:", "c:")) for name in names}
    entities = public_entities(xml_dir)
    missing = sorted(f"{kind} {name}" for kind, name in entities if normalise(name) not in documented)
    if missing:
        print(f"check_reference: {len(missing)} of {len(entities)} public entities are not in the API reference:")
        for line in missing:
            print("  " + line)
        return 1
    print(f"check_reference: all {len(entities)} public entities are in the API reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
