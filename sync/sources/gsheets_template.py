"""``salesync sheets template``: a new Google Sheet made from a kind's declaration.

One tab per spec sheet with its headers (required ones in dark red), the column's hint as the
header's note, dropdowns for closed lists (strict, so a typo is refused where it is typed), a frozen
header row, then the sheet is shared with the author. A handful of calls: Drive ``files.create`` (gspread
then opens what it created), the new spreadsheet's tabs, one ``:batchUpdate`` for everything, the share.
"""

from __future__ import annotations

from typing import Any

from schema.spec import WorkbookKind
from sync.sources.gsheets_api import SheetsApi
from sync.xlsx.templates import choices, prompt

ROWS = 1000  # the grid each tab starts with; Sheets grows it as rows are added
HEADER_FILL = {"red": 0.87, "green": 0.92, "blue": 0.97}
REQUIRED_COLOUR = {"red": 0.75, "green": 0.0, "blue": 0.0}


def template_requests(kind: WorkbookKind, placeholder: int = 0) -> list[dict[str, Any]]:
    """The batchUpdate requests that turn a new spreadsheet into the kind's template."""
    out: list[dict[str, Any]] = []
    for index, spec in enumerate(kind.sheets):
        sheet_id = index + 1
        width = len(spec.columns)
        out.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": sheet_id,
                        "title": spec.name,
                        "index": index,
                        "gridProperties": {"rowCount": ROWS, "columnCount": width + 1, "frozenRowCount": 1},
                    }
                }
            }
        )
        header = [
            {
                "userEnteredValue": {"stringValue": column.header},
                "userEnteredFormat": {
                    "backgroundColor": HEADER_FILL,
                    "horizontalAlignment": "CENTER",
                    "textFormat": {
                        "bold": True,
                        **({"foregroundColor": REQUIRED_COLOUR} if column.required else {}),
                    },
                },
                "note": prompt(column),
            }
            for column in spec.columns
        ]
        out.append(
            {
                "updateCells": {
                    "range": _range(sheet_id, 0, 1, 0, width),
                    "rows": [{"values": header}],
                    "fields": "userEnteredValue,userEnteredFormat,note",
                }
            }
        )
        for c, column in enumerate(spec.columns):
            listed = choices(column)
            if listed:
                out.append(
                    {
                        "setDataValidation": {
                            "range": _range(sheet_id, 1, ROWS, c, c + 1),
                            "rule": {
                                "condition": {
                                    "type": "ONE_OF_LIST",
                                    "values": [{"userEnteredValue": v} for v in listed],
                                },
                                "inputMessage": "请从下拉列表中选择：" + "、".join(listed),
                                "strict": True,
                                "showCustomUi": True,
                            },
                        }
                    }
                )
    out.append({"deleteSheet": {"sheetId": placeholder}})  # the empty tab a new spreadsheet has
    return out


def create_template(api: SheetsApi, kind: WorkbookKind, *, share_with: str, title: str | None = None) -> str:
    """Create the kind's template as a Google Sheet shared with ``share_with``; its id."""
    key = api.create(title or kind.title)
    meta = api.metadata(key)
    first = meta.get("sheets", [{}])[0].get("properties", {}).get("sheetId", 0)
    api.batch_update(key, template_requests(kind, int(first)))
    api.share(key, share_with)
    return key


def _range(sheet_id: int, row0: int, row1: int, col0: int, col1: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": row0,
        "endRowIndex": row1,
        "startColumnIndex": col0,
        "endColumnIndex": col1,
    }
