"""Names that become folders, keys and links: usernames, region and project codes.

A username is what a person types to sign in and the name of their folder on the shared drive, so it
must not be able to look like someone else's, hide characters or climb out of the drive. It is
normalised (Unicode NFKC, then case-folded: ``ＺＨＡＮＧＬＩ`` and ``ZhangLi`` are ``zhangli``) and then
must be ASCII letters, digits, ``.``, ``_`` and ``-``, start with a letter and be at most 64 long —
which also excludes invisible characters (zero-width spaces, bidi controls) and path separators.
Region and project codes follow the same safe set (upper case allowed: they are written as given,
compared as given), since they name folders and appear in URLs.
"""

from __future__ import annotations

import re
import unicodedata

from validators.names import code_ok

__all__ = ["USERNAME_MAX", "code_ok", "normalise_username", "username_ok"]

USERNAME_MAX = 64
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{0,63}")


def normalise_username(raw: str) -> str:
    """The canonical form of a typed username (NFKC, case-folded, outer spaces removed).

    Sign-in, the command line and account creation all look accounts up by this form, so
    ``ZhangLi`` signs in as ``zhangli`` and can never be created beside it."""
    return unicodedata.normalize("NFKC", raw[: USERNAME_MAX * 4]).strip().casefold()


def username_ok(username: str) -> bool:
    """Whether ``username`` (already normalised) is in the safe set."""
    return _USERNAME.fullmatch(username) is not None
