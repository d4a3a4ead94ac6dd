"""Every message code the code base uses has its words in both languages.

Codes are found where they are used — a ``Finding``, a refusal, a ``render`` call — by reading the
source; each must have a Chinese and an English text in the one catalog (``validators.messages``),
neither of them empty.
"""

from __future__ import annotations

import re
from pathlib import Path

from validators.messages import MESSAGES

ROOT = Path(__file__).resolve().parents[1]
USES = re.compile(
    r"(?:Finding|RowRefused|Refused|SigningRefused|AccountRefused|OwnershipRefused|render|finding|_at)"
    r"\(\s*(?:[^,()]*,\s*){0,5}?\"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\""
)


def used_codes() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("sync", "web", "validators", "schema"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for match in USES.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(match.group(1), str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_codes_in_use() -> None:
    codes = used_codes()
    assert len(codes) > 50  # the scan itself works
    assert {"not-permitted", "customer-needs-event", "sign-wrong-password"} <= set(codes)


def test_every_code_in_use_has_words_in_both_languages() -> None:
    missing = {code: where for code, where in used_codes().items() if code not in MESSAGES}
    assert not missing, f"codes without words: {missing}"
    for code in used_codes():
        zh, en = MESSAGES[code]
        assert zh.strip() and en.strip(), code
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{code}: the Chinese text has no Chinese"
