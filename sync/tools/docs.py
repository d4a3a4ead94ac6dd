"""Reference documentation of every workbook kind, generated from the specs (``salesync docs``)."""

from __future__ import annotations

from pathlib import Path

from schema.roles import Role
from schema.spec import ColType, Column, Deletion, WorkbookKind
from sync.kinds import all_kinds

DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "workbooks.md"

TYPE_WORDS = {
    ColType.TEXT: "文本",
    ColType.CODE: "编码",
    ColType.PHONE: "手机号码",
    ColType.ANY_PHONE: "电话",
    ColType.ID_NUMBER: "证件号码",
    ColType.DATE: "日期",
    ColType.DATETIME: "日期时间",
    ColType.DECIMAL: "数字",
    ColType.INTEGER: "整数",
    ColType.CHOICE: "下拉选项",
    ColType.YES_NO: "是/否",
}
DELETION_WORDS = {
    Deletion.NEVER: "缺少的行不视为删除",
    Deletion.REMOVE: "缺少的行视为删除（保留历史版本）",
    Deletion.REPORT: "缺少的行会被报告，不视为删除",
}


def kind_markdown(kind: WorkbookKind) -> str:
    roles = "、".join(f"{Role(r).title_zh}（`{r}`）" for r in sorted(kind.submit_roles))
    lines = [
        f"## `{kind.id}` — {kind.title}",
        "",
        kind.description,
        "",
        f"- 模板文件：`templates_xlsx/{kind.template_name}`，模板版本 {kind.version}",
        f"- 可提交角色：{roles}",
        f"- 出错处理：{'任一行出错则整份拒收' if kind.atomic else '出错的行被拒收，其余行同步'}",
        "",
    ]
    for sheet in kind.sheets:
        key = "、".join(sheet.header(f) for f in sheet.key) or "—"
        lines += [
            f"### {sheet.name}{'' if sheet.required else '（可选）'}",
            "",
            f"键：{key}；{DELETION_WORDS[sheet.deletion]}。{sheet.description}".rstrip(),
            "",
            "| 列 | 必填 | 类型 | 可选值 | 说明 |",
            "|---|---|---|---|---|",
        ]
        for col in sheet.columns:
            choices = (
                " / ".join(col.choices) if col.choices else ("是 / 否" if col.type is ColType.YES_NO else "")
            )
            lines.append(
                f"| {col.header} | {'是' if col.required else ''} | {TYPE_WORDS[col.type]} | {choices} | "
                f"{_note(col)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _note(col: Column) -> str:
    """The column's hint, and the most characters it holds when a choice list does not say so."""
    if col.max_length is None or col.choices:
        return col.hint
    limit = f"最多 {col.max_length} 字"
    return f"{col.hint}；{limit}" if col.hint else limit


COMMON_RULES = [
    "## 所有工作簿通用",
    "",
    "- 每个单元格的内容不得超过该列的长度上限（见各表“说明”）；超长的值在其单元格报错，该行不同步。",
    "- 单元格中不可见的控制字符（从网页或其他系统粘贴带入）会被删除后接收，并在该单元格给出提示。",
    "- 表头须在第 1 行；表头上方有标题行时，会提示表头实际所在的行。",
    "- 出于安全原因不予接收：含宏、设置了打开密码、旧版 .xls、内部 XML 含实体声明或非 UTF-8/16 编码、"
    "解压后过大、单元格位置超出 Excel 范围或内容延伸过远的工作簿；"
    "个人文件夹中的快捷方式（链接）只在指向本人文件夹内时读取，非普通文件（如管道、设备）不予读取。",
    "",
]


def render() -> str:
    parts = [
        "# 工作簿参考",
        "",
        "本文件由 `salesync docs` 根据工作簿规格（`sync/kinds/`）生成，请勿手工编辑。",
        "",
        *COMMON_RULES,
    ]
    parts += [kind_markdown(kind) for kind in all_kinds().values()]
    return "\n".join(parts).rstrip() + "\n"


def write(path: Path = DOCS_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path
