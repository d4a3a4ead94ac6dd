"""A run of findings held as columns behaves like the findings it stands for."""

from __future__ import annotations

import pyarrow as pa
import pytest

from validators.findings import Finding, FindingRun, Findings, Severity

DEADLINES = ({"deadline": "2026-03-16 23:59"}, {"deadline": "2026-01-12 23:59"})


def run_of(
    rows: list[int], codes: list[int], days: list[str], params: tuple[dict[str, str], ...] = DEADLINES
) -> FindingRun:
    """A late-entry run: Excel ``rows``, each with the day ``days[codes[i]]``."""
    return FindingRun(
        "late-entry",
        "客户",
        "首次接触日期",
        pa.array(rows, pa.int64()),
        pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(days, pa.string())),
        params,
    )


def late_run() -> FindingRun:
    return run_of([2, 3, 5, 9], [0, 1, 0, 0], ["2026-03-14", "2026-01-09"])


def one_by_one() -> list[Finding]:
    days = [("2026-03-14", 0), ("2026-01-09", 1), ("2026-03-14", 0), ("2026-03-14", 0)]
    return [
        Finding("late-entry", "客户", row, "首次接触日期", day, DEADLINES[k], Severity.WARNING)
        for row, (day, k) in zip([2, 3, 5, 9], days, strict=True)
    ]


def test_a_run_iterates_as_the_findings_made_one_by_one() -> None:
    run = late_run()
    made = list(run)
    assert made == one_by_one()
    assert [f.params for f in made] == [f.params for f in one_by_one()]
    assert run.messages().to_pylist() == [f.message() for f in one_by_one()]
    assert run.messages("en").to_pylist() == [f.message("en") for f in one_by_one()]
    assert "2026-01-12 23:59" in run.messages()[1].as_py()


def test_a_run_needs_one_value_per_row_and_params_per_distinct_value() -> None:
    with pytest.raises(ValueError):
        run_of([2], [0, 1], ["a", "b"])  # two values for one row
    with pytest.raises(ValueError):
        run_of([2], [0], ["a"])  # one distinct value, two params


def test_findings_count_index_and_filter_across_singles_and_runs() -> None:
    bad_phone = Finding("phone-invalid", "客户", 4, "手机号码", "123")
    collision = Finding("collision", "客户", 7, "手机号码", "13800138000", severity=Severity.WARNING)
    findings = Findings([bad_phone])
    findings.add_run(late_run())
    findings.add_run(run_of([], [], [], ()))
    more = Findings([collision])
    findings += more

    assert len(findings) == 6 and bool(findings) and not Findings()
    assert len(findings.runs) == 1  # an empty run is not kept
    assert list(findings) == [bad_phone, collision, *one_by_one()]
    assert findings[0] is bad_phone and findings[5] == one_by_one()[-1] and findings[-1] == one_by_one()[-1]
    assert findings.where(severity=Severity.ERROR) == [bad_phone]
    assert findings.where(code="collision") == [collision]
    assert findings.where(code="late-entry", severity=Severity.WARNING) == one_by_one()
    assert findings.where(code="late-entry", severity=Severity.ERROR) == []
    assert findings.rows_by_sheet(severity=Severity.ERROR) == {"客户": {4}}
    assert findings.rows_by_sheet() == {"客户": {2, 3, 4, 5, 7, 9}}
    assert findings.rows_by_sheet(skip=frozenset({"late-entry"})) == {"客户": {4, 7}}


def test_first_lists_a_few_of_each_code_and_counts_the_rest() -> None:
    errors = [Finding("phone-invalid", "客户", row, "手机号码", "1") for row in (4, 6, 8)]
    findings = Findings(errors)
    findings.add_run(late_run())

    listed, left_out = findings.first(2)
    assert listed == [*errors[:2], *one_by_one()[:2]]
    assert left_out == {"phone-invalid": 1, "late-entry": 2}

    listed, left_out = findings.first(1, in_full=lambda f: f.severity is Severity.ERROR)
    assert listed == [*errors, one_by_one()[0]]
    assert left_out == {"late-entry": 3}

    assert findings.first(10) == (list(findings), {})
