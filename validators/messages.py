"""The words of every finding code, in Chinese (default) and English.

A code's meaning never changes once published; new meanings get new codes.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    # -- the file as a whole -------------------------------------------------------------------
    "file-unreadable": ("无法读取文件：{detail}", "The file cannot be read: {detail}"),
    "file-empty": (
        "文件是空的（0 字节），可能尚未保存完成",
        "The file is empty (0 bytes); it may still be saving",
    ),
    "file-not-xlsx": (
        "这不是 Excel 工作簿（.xlsx），可能是改了扩展名的 {actual} 文件，请用模板另存为 .xlsx",
        "This is not an Excel workbook (.xlsx) but a renamed {actual} file; save it as .xlsx from the template",
    ),
    "file-corrupt": (
        "工作簿已损坏，无法打开（{detail}），请在 Excel 中重新保存",
        "The workbook is damaged and cannot be opened ({detail}); save it again in Excel",
    ),
    "file-encrypted": (
        "工作簿设置了打开密码，系统无法读取，请取消密码后再保存",
        "The workbook is password-protected; remove the password and save again",
    ),
    "file-legacy-xls": (
        "这是旧版 .xls 格式，请在 Excel 中另存为 .xlsx",
        "This is a legacy .xls workbook; save it as .xlsx in Excel",
    ),
    "file-macro": (
        "工作簿含有宏（VBA），出于安全原因不予接收，请另存为不含宏的 .xlsx",
        "The workbook contains macros (VBA) and is refused for safety; save it as a macro-free .xlsx",
    ),
    "file-xml-entities": (
        "工作簿内部 XML 含有实体声明（{part}），可能是恶意文件，不予接收",
        "The workbook's XML declares entities ({part}); it may be hostile and is refused",
    ),
    "file-too-large": (
        "工作簿解压后过大（{detail}），可能是恶意压缩文件，不予接收",
        "The workbook expands to too much data ({detail}); it may be a zip bomb and is refused",
    ),
    "sheet-too-large": (
        "工作表“{sheet}”的内容一直延伸到第 {last_row} 行（约 {cells} 个单元格），超出可处理的范围；"
        "请删除数据下方或右侧多余的内容后重新保存",
        "The sheet “{sheet}” extends to row {last_row} (about {cells} cells), more than can be read; "
        "delete the stray content below or right of the data and save again",
    ),
    "not-template": (
        "这不是 salesync 模板制作的工作簿（缺少模板信息页），请从模板开始填写",
        "This workbook was not made from a salesync template (no template sheet); start from the template",
    ),
    "unknown-kind": ("未知的模板类型“{value}”", "Unknown template kind “{value}”"),
    "template-version": (
        "模板版本 {value} 已过期，当前版本为 {expected}，请使用新模板",
        "Template version {value} is out of date; the current version is {expected}",
    ),
    "not-permitted": (
        "账号 {account} 的角色无权提交“{kind}”工作簿",
        "Account {account} has no role that may submit “{kind}” workbooks",
    ),
    "account-disabled": ("账号 {account} 已停用", "Account {account} is disabled"),
    "sheet-missing": ("缺少工作表“{sheet}”", "The sheet “{sheet}” is missing"),
    "column-missing": ("工作表缺少列“{header}”", "The sheet lacks the column “{header}”"),
    "column-duplicate": ("列“{header}”出现了不止一次", "The column “{header}” appears more than once"),
    "formula-no-value": (
        "单元格 {cell} 的公式没有计算结果，请在 Excel 中重新计算并保存",
        "The formula in {cell} has no computed value; recalculate and save in Excel",
    ),
    "too-many-removals": (
        "本次保存将删除 {removed} 行（共 {total} 行），比例异常，已暂停同步，请确认后重新保存",
        "This save would remove {removed} of {total} rows; it is held for confirmation",
    ),
    # -- one cell ------------------------------------------------------------------------------
    "required": ("“{header}”必须填写", "“{header}” is required"),
    "choice": (
        "“{header}”只能填写：{choices}（当前为“{value}”）",
        "“{header}” must be one of: {choices} (got “{value}”)",
    ),
    "not-number": ("“{header}”应为数字（当前为“{value}”）", "“{header}” must be a number (got “{value}”)"),
    "not-integer": (
        "“{header}”应为整数（当前为“{value}”）",
        "“{header}” must be a whole number (got “{value}”)",
    ),
    "not-date": (
        "“{header}”不是有效日期（当前为“{value}”），请填写如 2026-11-26",
        "“{header}” is not a valid date (got “{value}”); write e.g. 2026-11-26",
    ),
    "not-datetime": (
        "“{header}”不是有效时间（当前为“{value}”），请填写如 2026-11-26 14:30",
        "“{header}” is not a valid date and time (got “{value}”)",
    ),
    "too-many-decimals": (
        "“{header}”最多保留 {decimals} 位小数（当前为“{value}”）",
        "“{header}” takes at most {decimals} decimals (got “{value}”)",
    ),
    "not-positive": (
        "“{header}”必须大于 0（当前为“{value}”）",
        "“{header}” must be greater than 0 (got “{value}”)",
    ),
    "below-minimum": (
        "“{header}”不能小于 {minimum}（当前为“{value}”）",
        "“{header}” must be at least {minimum}",
    ),
    "phone-invalid": (
        "“{header}”不是有效的手机号码（当前为“{value}”），应为 11 位数字",
        "“{header}” is not a valid mobile number (got “{value}”); it needs 11 digits",
    ),
    "any-phone-invalid": (
        "“{header}”不是有效的电话号码（当前为“{value}”）",
        "“{header}” is not a valid phone number (got “{value}”)",
    ),
    "id-invalid": (
        "身份证号码“{value}”格式不正确，应为 18 位",
        "The ID card number “{value}” is malformed; it needs 18 characters",
    ),
    "id-checksum": (
        "身份证号码“{value}”校验位不正确，请核对",
        "The ID card number “{value}” fails its check digit",
    ),
    "yes-no": ("“{header}”只能填写“是”或“否”（当前为“{value}”）", "“{header}” must be 是 or 否"),
    # -- rows and sheets -------------------------------------------------------------------------
    "duplicate-key": (
        "“{header}”为“{value}”的行重复，与第 {first_row} 行相同",
        "Duplicate “{header}” “{value}”: same as row {first_row}",
    ),
    "area-sum": (
        "建筑面积 {value} ≠ 套内建筑面积 {inner} + 公摊面积 {shared}（相差 {diff}）",
        "Gross area {value} ≠ inner {inner} + shared {shared} (off by {diff})",
    ),
    "total-price": (
        "总价 {value} 与 单价 {unit_price} × {basis} {area} = {expected} 不符（相差 {diff}）",
        "Total price {value} ≠ unit price {unit_price} × {basis} {area} = {expected} (off by {diff})",
    ),
    "floor-range": (
        "楼层 {value} 超出楼栋 {building} 的地上层数 {floors}",
        "Floor {value} is outside building {building}'s {floors} floors",
    ),
    "unknown-project": ("项目编码“{value}”不存在", "No project has the code “{value}”"),
    "unknown-region": ("地区编码“{value}”不存在", "No region has the code “{value}”"),
    "unknown-building": (
        "楼栋“{value}”在项目 {project} 中不存在",
        "Building “{value}” does not exist in project {project}",
    ),
    "unknown-plan": ("付款方案“{value}”不存在", "No payment plan has the code “{value}”"),
    "room-code-taken": (
        "房间编码“{value}”已属于项目 {project}，房间编码须在集团内唯一",
        "Room code “{value}” already belongs to project {project}; codes are unique in the group",
    ),
    "code-taken": (
        "编码“{value}”已属于项目 {project}",
        "Code “{value}” already belongs to project {project}",
    ),
    "plan-ratio-sum": (
        "付款方案 {value} 的比例合计为 {total}，应为 1（100%）",
        "Payment plan {value}'s ratios sum to {total}, not 1",
    ),
    "plan-line-amount": (
        "“比例”和“金额”须且只能填写一项",
        "Fill exactly one of 比例 and 金额",
    ),
    "plan-no-lines": ("付款方案 {value} 没有付款明细", "Payment plan {value} has no lines"),
    "date-order": ("“{header}”早于“{other}”", "“{header}” is before “{other}”"),
    "discount-ratio": (
        "比例折扣的折扣值应在 0 到 1 之间（当前为“{value}”）",
        "A ratio discount's value must be between 0 and 1 (got “{value}”)",
    ),
    "customer-needs-event": (
        "新客户须至少有一条“首次来电”或“首次来访”事件，请在“客户事件”页补录",
        "A new customer needs a 首次来电 or 首次来访 event on the 客户事件 sheet",
    ),
    "event-unknown-customer": (
        "手机号码“{value}”不是本人登记的客户，请先在“客户”页登记",
        "The phone “{value}” is not one of your customers; register it on the 客户 sheet first",
    ),
    "identity-conflict": (
        "证件号码“{value}”已登记在另一位客户（手机 {other_phone}）名下",
        "ID number “{value}” belongs to another customer (phone {other_phone})",
    ),
    "collision": (
        "撞单：该客户已由 {owner_name}（{owner}）于 {since} 首次录入，客户归属不变，已通知销售经理",
        "Collision: {owner_name} ({owner}) entered this customer first, at {since}; ownership is unchanged",
    ),
    "stale-conflict": (
        "此工作簿基于旧版本 v{base} 保存，而“{header}”已在 v{latest} 中改为“{current}”，本次的“{value}”未生效，请核对",
        "Saved from stale v{base}: “{header}” was changed to “{current}” in v{latest}; your “{value}” was not applied",
    ),
    "stale-kept": (
        "此工作簿基于旧版本 v{base} 保存，期间新增的 {count} 行已保留",
        "Saved from stale v{base}; {count} rows added since were kept",
    ),
    "late-entry": (
        "录入超时：首次接触 {value}，应于 {deadline} 前录入",
        "Late entry: first contact {value}, due by {deadline}",
    ),
}


def render(code: str, lang: str = "zh", **params: Any) -> str:
    """The message of ``code`` in ``lang`` with ``params`` filled in; unknown fields stay visible."""
    zh, en = MESSAGES.get(code, ("{code}", "{code}"))
    template = en if lang == "en" else zh

    class _Missing(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    values = _Missing({k: ("" if v is None else v) for k, v in params.items()})
    values.setdefault("code", code)
    return template.format_map(values)


MESSAGES["event-customer-rejected"] = (
    "手机号码“{value}”对应的客户行未被接收，此行暂不同步，请先修正客户行",
    "The customer row for “{value}” was not accepted, so this row waits; fix the customer row first",
)
