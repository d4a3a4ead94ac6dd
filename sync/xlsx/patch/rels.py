"""Relationships parts (``_rels/*.rels``): which part links to which, and links appended to them."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.members import Package
from sync.xlsx.patch.xmlbits import Splice, element_end, local, pairs, parse, parser, start_tag

PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"


@dataclass(frozen=True)
class Relationship:
    rid: str
    type: str
    target: str  # the member name, resolved against the owner's folder
    external: bool


def rels_name(owner: str) -> str:
    folder, name = posixpath.split(owner)
    return posixpath.join(folder, "_rels", f"{name}.rels")


class Rels:
    """One relationships part: read once, relationships appended before its end tag."""

    def __init__(self, package: Package, owner: str) -> None:
        self.owner, self.name = owner, rels_name(owner)
        self.data = package.read(self.name) if package.has(self.name) else None
        self.items: list[Relationship] = []
        self.close = -1
        self.added: list[bytes] = []
        if self.data is not None:
            self._scan(self.data)

    def _scan(self, data: bytes) -> None:
        folder = posixpath.dirname(self.owner)
        p = parser()
        depth = 0

        def start(name: str, ordered: list[str]) -> None:
            nonlocal depth
            depth += 1
            if depth == 2 and local(name) == "Relationship":
                a = dict(pairs(ordered))
                target, external = a.get("Target", ""), a.get("TargetMode") == "External"
                if not external:
                    target = (
                        target[1:]
                        if target.startswith("/")
                        else posixpath.normpath(posixpath.join(folder, target))
                    )
                if a.get("Type", "").startswith(STRICT_REL):
                    raise Unsupported("工作簿为 Strict Open XML 格式")
                self.items.append(Relationship(a.get("Id", ""), a.get("Type", ""), target, external))

        def end(name: str) -> None:
            nonlocal depth
            depth -= 1
            if depth == 0:
                closing, _ = element_end(data, p.CurrentByteIndex, name, 0)
                self.close = p.CurrentByteIndex if closing else -1

        p.StartElementHandler = start
        p.EndElementHandler = end
        parse(p, data, self.name)

    def get(self, rid: str) -> Relationship | None:
        return next((r for r in self.items if r.rid == rid and not r.external), None)

    def of_type(self, kind: str) -> list[Relationship]:
        return [r for r in self.items if r.type == kind and not r.external]

    def add(self, kind: str, member: str) -> str:
        taken = {r.rid for r in self.items}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        rid = f"rId{n}"
        self.items.append(Relationship(rid, kind, member, False))
        target = "/" + member  # absolute: no doubt about the folder it is relative to
        self.added.append(
            start_tag("Relationship", [("Id", rid), ("Type", kind), ("Target", target)], empty=True)
        )
        return rid

    def content(self) -> bytes | None:
        if not self.added:
            return None
        body = b"".join(self.added)
        if self.data is None:
            return (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                + f"<Relationships xmlns={quoteattr(PACKAGE_RELS_NS)}>".encode()
                + body
                + b"</Relationships>"
            )
        if self.close < 0:
            raise Unsupported(f"关系部件 {self.name} 格式无法识别")
        splice = Splice()
        splice.insert(self.close, body)
        return splice.apply(self.data)
