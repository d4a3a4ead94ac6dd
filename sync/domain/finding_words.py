"""A stored finding in the reader's language.

A version's findings are kept with their Chinese message and, since migration 0017, with the
parameters that message was made from. Whoever reads them later — the portal in English, say —
gets the words from the one catalog (``validators.messages``) in their language; a finding stored
before its parameters were kept shows the text it was stored with.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from validators.messages import MESSAGES, render

_PLAIN = (str, int, float, bool, type(None))


def storable(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as JSON holds them: plain values as they are, anything else (a date, a time, an
    amount) as the text a message would show for it — the catalog's templates format every value
    with ``str``, so the words come out the same."""
    return {key: value if isinstance(value, _PLAIN) else str(value) for key, value in params.items()}


def params_json(params: dict[str, Any]) -> str:
    """``params`` as the JSON text a ``params`` column holds."""
    return json.dumps(storable(params), ensure_ascii=False)


class StoredFinding(Protocol):
    code: str
    header: str | None
    value: str | None
    message: str
    params: dict[str, Any] | None


def finding_message(finding: StoredFinding, lang: str) -> str:
    """The finding's words in ``lang``: from the catalog when its parameters were kept, else (a row
    from before, or a code the catalog no longer has) the stored text."""
    if finding.params is None or finding.code not in MESSAGES:
        return finding.message
    if lang != "en":
        return finding.message
    return render(finding.code, lang, value=finding.value, header=finding.header, **finding.params)
