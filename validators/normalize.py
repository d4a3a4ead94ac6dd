"""Vectorised cell normalisation on Arrow arrays.

Every function takes the raw strings of one column (as the reader delivers them: an Arrow string
array, null for blank cells) and returns the typed values plus a mask of cells that were filled in
but could not be understood. Nothing loops over rows in Python except the rare ID-card check digits.

Shapes handled (as Excel and people produce them):
- width: full-width digits, letters and punctuation (``０１３８``, ``（``) fold to ASCII by NFKC;
  the ideographic space U+3000 and runs of spaces collapse;
- numbers: ``1,234.50``, ``￥1234``, ``30%``, numbers stored as text, ``1.38E10``;
- dates: Excel serials (``46000``), ``2026-11-26``, ``2026/11/26``, ``2026.11.26``, ``2026年11月26日``,
  ``20261126``, and the reader's ``2026-11-26 00:00:00``; times ``14:30`` and ``14:30:00``;
- phones: ``138 0013 8000``, ``+86-13800138000``, ``0086…``, ``013800138000``, ``13800138000.0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

_DATE_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2})(?:\.\d+)?)?)?$"
)
_COMPACT_DATE_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


@dataclass(frozen=True, slots=True)
class Parsed:
    """Typed values of one column and the cells that held something unreadable."""

    values: pa.Array
    bad: np.ndarray  # bool per row


def _array(raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks() if raw.num_chunks else pa.array([], pa.string())
    if raw.type != pa.string():
        raw = raw.cast(pa.string())
    return raw


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


# Text that folding leaves as it is: printable ASCII and CJK ideographs, single spaces between words.
_FOLDED_RE = r"^[\x{21}-\x{7e}\x{4e00}-\x{9fff}]+(?: [\x{21}-\x{7e}\x{4e00}-\x{9fff}]+)*$"


def fold(raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Text as a clerk means it: NFKC width folding, spaces trimmed and collapsed, empty → null."""
    arr = _array(raw)
    rest = _present(arr) & ~_mask(pc.match_substring_regex(arr, _FOLDED_RE))
    return _patched(arr, rest, _fold(_rows(arr, rest))) if rest.any() else arr


def _rows(arr: pa.Array, rows: np.ndarray) -> pa.Array:
    return arr.filter(pa.array(rows))


def _patched(arr: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """``arr`` with the cells of ``rows`` replaced, in order, by ``values``."""
    return pc.replace_with_mask(arr, pa.array(rows), values)


def _fold(raw: pa.Array) -> pa.Array:
    arr = pc.utf8_normalize(raw, "NFKC")
    arr = pc.replace_substring_regex(arr, r"\s+", " ")
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def code(raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Identifiers: folded, no spaces at all, ASCII letters upper-cased."""
    arr = pc.replace_substring(fold(raw), " ", "")
    return pc.utf8_upper(arr)


def _present(raw: pa.Array) -> np.ndarray:
    return ~np.asarray(raw.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def number(raw: pa.Array | pa.ChunkedArray) -> Parsed:
    """Decimal numbers as float64 (with thousands separators, currency signs and ``%``)."""
    arr = fold(raw)
    arr = pc.replace_substring_regex(arr, r"[,，\s¥￥元]", "")
    arr = pc.replace_substring_regex(arr, r"^\+", "")
    percent = pc.ends_with(arr, "%")
    arr = pc.replace_substring_regex(arr, r"%$", "")
    ok = pc.match_substring_regex(arr, _NUMBER_RE)
    clean = pc.if_else(ok, arr, pa.scalar(None, pa.string()))
    values = pc.cast(clean, pa.float64())
    values = pc.if_else(pc.fill_null(percent, False), pc.divide(values, 100.0), values)
    bad = _present(arr) & ~_mask(ok)
    return Parsed(values, bad)


def integer(raw: pa.Array | pa.ChunkedArray) -> Parsed:
    """Whole numbers as int64; ``12.0`` is fine, ``12.5`` is not."""
    parsed = number(raw)
    floats = parsed.values
    whole = pc.equal(floats, pc.round(floats))
    ints = pc.cast(pc.if_else(whole, floats, pa.scalar(None, pa.float64())), pa.int64())
    bad = parsed.bad | (_present(floats) & ~_mask(whole))
    return Parsed(ints, bad)


_READER_DATETIME_RE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"  # how the reader gives a date cell
_READER_DATETIME = "%Y-%m-%d %H:%M:%S"


def _datetimes(raw: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """datetime64[s] per cell (NaT where blank or unreadable), the bad mask and a has-time mask.

    Date cells, which the reader gives as ``2026-11-26 00:00:00``, are parsed in one pass; the
    rest (text dates in every shape, serial numbers) take the whole way."""
    arr = _array(raw)
    n = len(arr)
    shaped = _mask(pc.match_substring_regex(arr, _READER_DATETIME_RE))
    if not shaped.any():
        return _any_datetimes(arr)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    has_time = np.zeros(n, dtype=bool)
    bad = np.zeros(n, dtype=bool)
    text = arr.filter(pa.array(shaped))
    try:  # a strict ISO parse: a day or a second that does not exist fails the whole cast
        stamps = pc.cast(text, pa.timestamp("s"))
        ok = np.ones(len(text), dtype=bool)
    except pa.ArrowInvalid:  # then cell by cell: strptime rolls 2026-02-30 over into March, so
        # only what formats back to the same text is taken
        stamps = pc.strptime(text, format=_READER_DATETIME, unit="s", error_is_null=True)
        ok = _mask(pc.equal(pc.strftime(stamps, _READER_DATETIME), text))
    at = np.flatnonzero(shaped)
    values = np.asarray(stamps.filter(pa.array(ok)).to_numpy(zero_copy_only=False), dtype="datetime64[s]")
    out[at[ok]] = values
    has_time[at[ok]] = values != values.astype("datetime64[D]")
    rest = ~shaped
    rest[at[~ok]] = True
    if rest.any():
        out[rest], bad[rest], has_time[rest] = _any_datetimes(_rows(arr, rest))
    return out, bad, has_time


def _any_datetimes(raw: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arr = fold(raw)
    n = len(arr)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    has_time = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)

    for pattern in (_DATE_RE, _COMPACT_DATE_RE):
        parts = pc.extract_regex(arr, pattern)
        matched = _mask(pc.is_valid(parts))
        rows = matched & ~done
        if not rows.any():
            continue
        fields = {parts.type.field(i).name: parts.field(i) for i in range(parts.type.num_fields)}

        def col(name: str, default: int, fields: dict[str, pa.Array] = fields) -> np.ndarray:
            if name not in fields:
                return np.full(n, default, dtype=np.int64)
            values = pc.cast(pc.if_else(pc.equal(fields[name], ""), None, fields[name]), pa.int64())
            return np.asarray(values.fill_null(default).to_numpy(zero_copy_only=False), dtype=np.int64)

        y, m, d = col("y", 1970), col("m", 1), col("d", 1)
        hh, mm, ss = col("H", 0), col("M", 0), col("S", 0)
        valid = rows & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31) & (hh < 24) & (mm < 60) & (ss < 60)
        months = (y[valid] - 1970) * 12 + (m[valid] - 1)
        first = months.astype("datetime64[M]").astype("datetime64[D]")
        day = first + (d[valid] - 1).astype("timedelta64[D]")
        same_month = day.astype("datetime64[M]") == first.astype("datetime64[M]")
        idx = np.flatnonzero(valid)[same_month]
        seconds = (hh * 3600 + mm * 60 + ss)[idx].astype("timedelta64[s]")
        out[idx] = day[same_month].astype("datetime64[s]") + seconds
        has_time[idx] = (hh[idx] + mm[idx] + ss[idx]) > 0
        done |= rows

    # Excel serial numbers (what a date cell typed as a number looks like).
    serial_text = pc.if_else(pa.array(~done), arr, pa.scalar(None, pa.string()))
    serial = number(serial_text)
    values = np.asarray(serial.values.to_numpy(zero_copy_only=False), dtype=float)
    is_serial = ~np.isnan(values) & (values >= 1) & (values < 2958466) & ~done
    if is_serial.any():
        secs = np.round(values[is_serial] * 86400).astype(np.int64)
        out[is_serial] = EXCEL_EPOCH.astype("datetime64[s]") + secs.astype("timedelta64[s]")
        has_time[is_serial] = (secs % 86400) != 0
        done |= is_serial
    bad = _present(arr) & np.isnat(out)
    return out, bad, has_time


def date(raw: pa.Array | pa.ChunkedArray) -> Parsed:
    """Calendar dates (a time of day other than midnight is dropped)."""
    stamps, bad, _ = _datetimes(raw)
    days = stamps.astype("datetime64[D]")
    return Parsed(pa.array(days, type=pa.date32(), from_pandas=True), bad)


def datetime(raw: pa.Array | pa.ChunkedArray) -> Parsed:
    """Local date-times (Asia/Shanghai wall clock, naive here; the caller attaches the zone)."""
    stamps, bad, _ = _datetimes(raw)
    return Parsed(pa.array(stamps, type=pa.timestamp("s"), from_pandas=True), bad)


def _digits(raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = fold(raw)
    # 13800138000.0 or 1.3800138E10: a phone typed as a number (exact below 10^15; beyond, or with
    # a fraction, it is left as typed and fails as a phone)
    numeric = pc.match_substring_regex(arr, r"^\d+\.0+$|^\d(\.\d+)?[eE]\+?\d+$")
    floats = pc.cast(pc.if_else(numeric, arr, pa.scalar(None, pa.string())), pa.float64())
    whole = pc.and_(pc.less(pc.abs(floats), 1e15), pc.equal(floats, pc.floor(floats)))
    numeric = pc.and_(pc.fill_null(numeric, False), pc.fill_null(whole, False))
    as_int = pc.cast(pc.if_else(numeric, floats, pa.scalar(None, pa.float64())), pa.int64())
    arr = pc.if_else(numeric, pc.cast(as_int, pa.string()), arr)
    return pc.replace_substring_regex(arr, r"\D", "")


_MOBILE_RE = r"^1[3-9]\d{9}$"
_SEPARATED_RE = r"^[0-9+() -]*[0-9][0-9+() -]*$"  # ASCII digits, maybe with + ( ) - or spaces


def mobile(raw: pa.Array | pa.ChunkedArray) -> Parsed:
    """Mainland mobiles as 11 ASCII digits; +86 / 0086 / 86 and a leading trunk 0 are dropped."""
    arr = _array(raw)
    # Most cells hold the 11 digits, most others ASCII digits and separators; only the rest
    # (full-width, numbers in scientific form, words) take the whole way.
    plain = _mask(pc.match_substring_regex(arr, _MOBILE_RE))
    separated = ~plain & _mask(pc.match_substring_regex(arr, _SEPARATED_RE))
    rest = ~plain & ~separated & _present(arr)
    values, bad = arr, np.zeros(len(arr), dtype=bool)
    for rows, parse in ((separated, _separated), (rest, _mobile)):
        if rows.any():
            part = parse(_rows(arr, rows))
            values = _patched(values, rows, part.values)
            bad[rows] = part.bad
    return Parsed(values, bad)


def _separated(raw: pa.Array) -> Parsed:
    digits = pc.replace_substring_regex(raw, r"[^0-9]", "")
    digits = pc.replace_substring_regex(digits, r"^(?:0086|86|0)(1\d{10})$", r"\1")
    ok = pc.match_substring_regex(digits, _MOBILE_RE)
    return Parsed(pc.if_else(ok, digits, pa.scalar(None, pa.string())), ~_mask(ok))


def _mobile(raw: pa.Array) -> Parsed:
    digits = _digits(raw)
    digits = pc.replace_substring_regex(digits, r"^(?:0086|86|0)(1\d{10})$", r"\1")
    ok = pc.match_substring_regex(digits, _MOBILE_RE)
    values = pc.if_else(ok, digits, pa.scalar(None, pa.string()))
    return Parsed(values, _present(fold(raw)) & ~_mask(ok))


def any_phone(raw: pa.Array | pa.ChunkedArray) -> Parsed:
    """A mobile (11 digits) or a landline with its area code (0 + 9–11 digits, extension dropped)."""
    folded = fold(raw)
    main = pc.replace_substring_regex(folded, r"(转|ext\.?|x|#).*$", "")
    mob = mobile(main)
    digits = pc.replace_substring_regex(_digits(main), r"^(?:0086|86)(0\d{9,11})$", r"\1")
    landline = pc.match_substring_regex(digits, r"^0\d{9,11}$")
    values = pc.coalesce(mob.values, pc.if_else(landline, digits, pa.scalar(None, pa.string())))
    return Parsed(values, _present(folded) & _mask(pc.is_null(values)))


ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def id_card(raw: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """身份证 numbers: the folded value, a malformed mask and a failed-check-digit mask.

    The check digit follows GB 11643 / ISO 7064 MOD 11-2.
    """
    arr = pc.utf8_upper(pc.replace_substring(fold(raw), " ", ""))
    shaped = _mask(pc.match_substring_regex(arr, r"^\d{17}[\dX]$"))
    present = _present(arr)
    bad_check = np.zeros(len(arr), dtype=bool)
    idx = np.flatnonzero(shaped)
    if len(idx):
        chosen = arr.take(pa.array(idx)).to_numpy(zero_copy_only=False).astype("S18")
        grid = np.frombuffer(chosen.tobytes(), dtype=np.uint8).reshape(-1, 18)
        total = (grid[:, :17].astype(np.int64) - 48) @ ID_WEIGHTS
        bad_check[idx] = ID_CHECK[total % 11] != grid[:, 17]
    return arr, present & ~shaped, bad_check


YES = ("是", "Y", "YES", "TRUE", "1", "√", "对")
NO = ("否", "N", "NO", "FALSE", "0", "×", "不")


def yes_no(raw: pa.Array | pa.ChunkedArray) -> Parsed:
    arr = pc.utf8_upper(fold(raw))
    yes = pc.is_in(arr, value_set=pa.array(YES))
    no = pc.is_in(arr, value_set=pa.array(NO))
    values = pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))
    return Parsed(values, _present(arr) & ~_mask(yes) & ~_mask(no))
