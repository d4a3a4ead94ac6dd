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
    "file-oversize": (
        "文件过大（{size}），超过可接收的上限 {limit}，不予读取",
        "The file is too big ({size}); the limit is {limit} and it is not read",
    ),
    "file-not-regular": (
        "“{name}”不是普通文件（{what}），不予读取；请把工作簿另存为普通的 .xlsx 文件",
        "“{name}” is not a regular file ({what}) and is not read; save the workbook as an ordinary .xlsx file",
    ),
    "file-link-outside": (
        "“{name}”是指向本人文件夹以外的快捷方式（链接），不予读取；请把工作簿本身保存到自己的文件夹",
        "“{name}” is a link to something outside your own folder and is not read; save the workbook itself "
        "in your folder",
    ),
    "file-xml-encoding": (
        "工作簿内部 XML 使用了 Excel 不会使用的编码（{part}：{encoding}），可能是恶意文件，不予接收",
        "The workbook's XML uses an encoding Excel never writes ({part}: {encoding}); it may be hostile and is refused",
    ),
    "sheet-bad-reference": (
        "工作表“{sheet}”含有超出 Excel 表格范围的单元格位置（{ref}），文件可能已损坏或被篡改，请在 Excel 中重新保存",
        "The sheet “{sheet}” holds a cell position outside Excel's grid ({ref}); the file may be damaged "
        "or tampered with: save it again in Excel",
    ),
    "sheet-too-many-cells": (
        "工作表“{sheet}”写入了过多的单元格（超过 {cells} 个），超出可处理的范围；请删除多余的格式或内容后重新保存",
        "The sheet “{sheet}” writes too many cells (more than {cells}); remove the stray formats or content "
        "and save again",
    ),
    "cell-text-too-long": (
        "单元格 {cell} 的文字有 {length} 个字符，超过 Excel 单元格上限 {limit}，文件可能已被篡改，不予接收",
        "The text of cell {cell} has {length} characters, more than an Excel cell holds ({limit}); "
        "the file may have been tampered with and is refused",
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
    "too-long": (
        "内容过长：共 {length} 个字，此列最多 {limit} 个字",
        "Too long: {length} characters; this column holds at most {limit}",
    ),
    "control-chars-removed": (
        "单元格含有不可见的控制字符，已删除后接收",
        "The cell held invisible control characters; they were removed and the value accepted",
    ),
    "header-not-first-row": (
        "表头应在第 1 行，发现在第 {found} 行；请删除表头上方的标题行",
        "The header row should be row 1 but was found on row {found}; delete the title rows above it",
    ),
    "sheet-ambiguous": (
        "工作簿中有多个名称相近的工作表（{names}），无法确定读取哪一个；请删除或改名多余的工作表",
        "The workbook has several sheets with nearly the same name ({names}); delete or rename the extra ones",
    ),
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
    "code-unsafe": (
        "项目编码“{value}”只能含英文字母、数字和 . _ -（最多 64 个字符）",
        "The project code “{value}” may hold only letters, digits and . _ - (at most 64)",
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
        "撞单：该客户已由 {owner_name}（{owner}）于 {since} 首次录入，客户归属不变，已列入销售经理的待办",
        "Collision: {owner_name} ({owner}) entered this customer first, at {since}; ownership is unchanged; it is on the sales manager's task list",
    ),
    "collision-elsewhere": (
        "撞单：该客户已在系统中登记，客户归属不变，已通知销售经理",
        "Collision: this customer is already registered; ownership is unchanged",
    ),
    "stale-conflict": (
        "此工作簿基于旧版本 v{base} 保存，而“{header}”已在 v{latest} 中改为“{current}”，本次的“{value}”未生效，请核对",
        "Saved from stale v{base}: “{header}” was changed to “{current}” in v{latest}; your “{value}” was not applied",
    ),
    "stale-kept": (
        "此工作簿基于旧版本 v{base} 保存，期间新增的 {count} 行已保留",
        "Saved from stale v{base}; {count} rows added since were kept",
    ),
    "date-too-early": (
        "日期 {value} 早于 {earliest}，不太可能，请核对（已按所填日期接收）",
        "The date {value} is before {earliest}, which is unlikely; please check it (taken as entered)",
    ),
    "date-in-future": (
        "日期 {value} 晚于今天，不太可能，请核对（已按所填日期接收）",
        "The date {value} is after today, which is unlikely; please check it (taken as entered)",
    ),
    "late-entry": (
        "录入超时：首次接触 {value}，应于 {deadline} 前录入",
        "Late entry: first contact {value}, due by {deadline}",
    ),
}


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(code: str, lang: str = "zh", **params: Any) -> str:
    """The message of ``code`` in ``lang`` with ``params`` filled in; unknown fields stay visible."""
    zh, en = MESSAGES.get(code, ("{code}", "{code}"))
    template = en if lang == "en" else zh

    values = _Missing({k: ("" if v is None else v) for k, v in params.items()})
    values.setdefault("code", code)
    return template.format_map(values)


MESSAGES["event-customer-rejected"] = (
    "手机号码“{value}”对应的客户行未被接收，此行暂不同步，请先修正客户行",
    "The customer row for “{value}” was not accepted, so this row waits; fix the customer row first",
)

# -- the watcher (sync/watch) and the personal folders (sync/domain/folders.py) ----------------------------
MESSAGES.update(
    {
        "watch-unmapped": (
            "此文件不在任何在职账号的个人文件夹中（应放在 共享盘/地区编码/账号/ 下），未同步",
            "This file is not in an active account's personal folder (ROOT/<region>/<username>/); not synced",
        ),
        "watch-not-permitted": (
            "账号 {account} 的角色不能提交“{kind}”，此文件未同步",
            "Account {account} may not submit “{kind}”; this file was not synced",
        ),
        "watch-started": ("开始监视共享盘 {root}（{observer}）", "Watching the drive {root} ({observer})"),
        "watch-stopping": (
            "收到停止信号：处理完当前文件后退出",
            "Stop requested: finishing the current file",
        ),
        "watch-stopped": ("已停止监视", "Stopped watching"),
        "watch-observer-fallback": (
            "文件系统事件不可用（{detail}），改为轮询，每 {interval} 秒一次",
            "Native file events are unavailable ({detail}); polling every {interval} s instead",
        ),
        "watch-observer-restarted": (
            "监视线程已停止，已重新启动（{observer}）",
            "The observer thread died and was restarted ({observer})",
        ),
        "watch-root-missing": (
            "共享盘目录无法访问：{root}，稍后重试",
            "The drive folder cannot be reached: {root}; retrying",
        ),
        "watch-seen": ("发现新保存的文件：{file}", "New save seen: {file}"),
        "watch-ingested": ("{folder}　{summary}", "{folder}  {summary}"),
        "watch-refused": ("未同步 {file}：{reason}", "Not synced {file}: {reason}"),
        "watch-blank-template": (
            "{file} 是空白模板，无需同步",
            "{file} is a blank template; nothing to sync",
        ),
        "watch-failed": ("处理 {file} 时出错：{detail}", "Error while processing {file}: {detail}"),
        "watch-db-paused": (
            "数据库不可用（{detail}），暂停处理，恢复后自动继续",
            "The database is unavailable ({detail}); paused until it is back",
        ),
        "watch-db-resumed": ("数据库已恢复，继续处理", "The database is back; resuming"),
        "watch-recovered": (
            "接管 {count} 个被中断的任务，重新处理",
            "Took over {count} interrupted jobs to process again",
        ),
        "watch-stamp-written": (
            "{file} 已关闭，版本戳 v{seq} 已写入",
            "{file} was closed; stamp v{seq} written",
        ),
        "watch-quarantined": (
            "处理此文件已 {attempts} 次失败（{detail}），文件已隔离，未同步；请检查文件后重新保存，或联系管理员",
            "Processing this file failed {attempts} times ({detail}); it is set aside and not synced: "
            "check the file and save it again, or ask the administrator",
        ),
        "watch-set-aside": (
            "已隔离 {file}：处理 {attempts} 次失败（{detail}），不再重试，直到文件再次保存",
            "Set aside {file}: processing failed {attempts} times ({detail}); not retried until it is saved again",
        ),
        "watch-retrying": (
            "处理 {file} 失败（第 {attempt}/{limit} 次：{detail}），{delay} 秒后重试",
            "Processing {file} failed (attempt {attempt} of {limit}: {detail}); retrying in {delay} s",
        ),
        "watch-fault": (
            "暂时无法处理 {file}（{detail}），{delay} 秒后重试",
            "Cannot process {file} for now ({detail}); retrying in {delay} s",
        ),
        "watch-network-polling": (
            "共享盘 {root} 位于网络文件系统（{fstype}，{source}），改为轮询，每 {interval} 秒一次",
            "The drive {root} is on a network file system ({fstype}, {source}); polling every {interval} s",
        ),
        "watch-compacted": (
            "按保留策略清除了 {count} 个旧版本文件的内容（{size} 字节；摘要已记入工作日志）",
            "Dropped the bytes of {count} old versions under the retention policy ({size} bytes; "
            "their digests are in the work log)",
        ),
        "watch-pruned": ("已清理 {count} 个过期的已完成任务", "Deleted {count} old finished jobs"),
        "writeback-unsupported": (
            "未在工作簿中写入同步状态、标记和版本戳：{reason}。请查看本反馈文件中的问题列表",
            "Nothing was written into the workbook (status, marks, stamp): {reason}. "
            "See the findings in this result workbook",
        ),
        "folders-created": ("已建立个人文件夹 {folder}", "Created the personal folder {folder}"),
        "folders-template": ("已放入空白模板 {file}", "Put the blank template {file}"),
    }
)

# -- signed change sets and the work log (docs/domain.md §6) ---------------------------------------------
MESSAGES.update(
    {
        "change-set-pending": (
            "已生成变更单 #{change_set}（新增 {added} 行、修改 {changed} 行、删除 {removed} 行），"
            "须经{signers}签字确认后生效",
            "Change set #{change_set} recorded ({added} added, {changed} changed, {removed} removed rows); "
            "it takes effect once signed by: {signers}",
        ),
        "change-set-superseded": (
            "此前尚未生效的变更单 #{old} 已作废，以本次保存为准",
            "The earlier change set #{old}, not yet in effect, is superseded by this version",
        ),
        "change-set-unknown": ("变更单 #{change_set} 不存在", "There is no change set #{change_set}"),
        "sign-wrong-password": (
            "密码不正确，签字未记录（账号 {account}）",
            "Wrong password; nothing was signed (account {account})",
        ),
        "sign-not-pending": (
            "变更单 #{change_set} 的状态为“{status}”，不能再签字",
            "Change set #{change_set} is {status} and can no longer be signed",
        ),
        "sign-is-submitter": (
            "{account} 是变更单 #{change_set} 的提交人，不能为自己的变更签字",
            "{account} submitted change set #{change_set} and cannot sign it",
        ),
        "sign-inactive": ("账号 {account} 已停用，不能签字", "Account {account} is disabled and cannot sign"),
        "sign-password-by-admin": (
            "{account} 的密码由管理员设置（或刚由管理员重设），本人修改密码并过了等待期后才能签字",
            "{account}'s password was set by an admin: it can sign only once its owner has set their own and the waiting period has passed",
        ),
        "sign-creator-of-submitter": (
            "{account} 新近创建了变更单 #{change_set} 的提交人账号，不能为其签字",
            "{account} recently created the account that submitted change set #{change_set} and cannot sign it",
        ),
        "sign-same-administrator": (
            "{account} 与变更单 #{change_set} 的提交人由同一管理员新近创建（或互为创建人），不能签字",
            "{account} and the submitter of change set #{change_set} were recently created by the same admin (or one by the other): it cannot sign",
        ),
        "sign-not-authorised": (
            "{account} 没有签字权限（须为市场营销部高级经理、地区总经理或集团营销管理部）",
            "{account} may not sign change sets (senior manager, region GM or executive only)",
        ),
        "sign-wrong-region": (
            "{account} 不属于变更单 #{change_set} 所涉项目的地区，不能签字",
            "{account} is not in the region of change set #{change_set}'s projects",
        ),
        "sign-already-signed": (
            "{account} 已在变更单 #{change_set} 上签过字，同一人的签字只计一次",
            "{account} has already signed change set #{change_set}; one person's signature counts once",
        ),
        "sign-altered": (
            "变更单 #{change_set} 的内容与提交时不一致（可能被改动），不能签字，请让操作员重新提交",
            "Change set #{change_set} no longer matches what was submitted; it cannot be signed",
        ),
        "sign-reason-required": ("驳回时须填写原因", "A rejection needs a reason"),
        "sign-conflict": (
            "变更单 #{change_set} 所依据的数据已被其他变更修改（{count} 处冲突），签字未记录，数据未改动：{fields}。"
            "请让操作员按当前数据重新提交",
            "Change set #{change_set} is based on data that has changed since ({count} conflicts); nothing was "
            "signed or applied: {fields}",
        ),
        "log-intact": (
            "工作日志完整：共 {entries} 条，哈希链逐条核对无误",
            "The work log is intact: {entries} entries, every link verified",
        ),
        "log-legacy": (
            "（其中前 {legacy} 条为启用密钥前的记录，只有哈希链、没有密钥签章）",
            " (the first {legacy} entries predate the key: chained, not keyed)",
        ),
        "log-edited": (
            "工作日志第 {seq} 条（记录号 {id}）与其签章不符：该条在写入后被改动或伪造",
            "Work log entry {seq} (row id {id}) does not match its seal: it was altered or forged",
        ),
        "log-broken-link": (
            "工作日志第 {seq} 条（记录号 {id}）接不上前一条：其前的记录被删除、插入或调换了顺序",
            "Work log entry {seq} (row id {id}) does not follow the one before: entries were deleted, "
            "inserted or reordered",
        ),
        "log-missing-tail": (
            "工作日志应有 {expected} 条，只剩 {entries} 条：第 {seq} 条起的记录被删除",
            "The work log should hold {expected} entries but holds {entries}: entries from {seq} on were deleted",
        ),
        "log-anchor-missing": (
            "工作日志少于锚点记录：锚点（{anchored_at}）记录第 {expected} 条，数据库中没有或不符",
            "The work log falls short of its anchor: the anchor ({anchored_at}) records entry {expected}, which the database lacks or does not match",
        ),
        "log-anchor-forged": (
            "锚点文件第 {line} 行与其签章不符（被改动）",
            "Line {line} of the anchor file does not match its seal (altered)",
        ),
        "log-trigger-missing": (
            "工作日志的只追加触发器不存在（被删除）：{triggers}",
            "The work log's append-only trigger is missing (dropped): {triggers}",
        ),
        "log-head-forged": (
            "工作日志的链头记录与其签章不符（被改动）",
            "The work log's head record does not match its seal (altered)",
        ),
        "log-head-missing": (
            "工作日志的链头记录被删除，无法确认记录是否完整",
            "The work log's head record was deleted; its completeness cannot be confirmed",
        ),
        "seal-intact": (
            "数字封存核对无误：{entries} 条封存记录、{rows} 行按数据库逐行重算一致（其中 {later} 行此后有修改记录）",
            "Digest seals verified: {entries} sealed entries, {rows} rows recomputed from the database "
            "({later} of them changed later, as the log records)",
        ),
        "seal-file-changed": (
            "工作日志第 {seq} 条封存的版本 {version} 原文件与保存的字节不符：应为 SHA-256 {expected}，实为 {found}",
            "Work log entry {seq} seals version {version}'s kept file as SHA-256 {expected}, but the kept "
            "bytes give {found}",
        ),
        "seal-row-changed": (
            "工作日志第 {seq} 条（版本 {version}）封存的 {table} 表中，键为 {key} 的行（记录号 {id}）与写入时不同，"
            "且没有后来的修改记录：该行在日志之外被改动",
            "In table {table}, the row with key {key} (row id {id}) sealed by work log entry {seq} "
            "(version {version}) differs from what was written and no later change is logged: it was "
            "altered outside the log",
        ),
        "seal-row-column": (
            "；{column} 写入时为“{expected}”，现为“{found}”",
            "; {column} was written as “{expected}” and is now “{found}”",
        ),
        "seal-row-missing": (
            "工作日志第 {seq} 条（版本 {version}）封存的 {table} 表中，记录号 {id} 的行已不存在：该行在日志之外被删除",
            "In table {table}, row id {id} sealed by work log entry {seq} (version {version}) no longer "
            "exists: it was deleted outside the log",
        ),
        "seal-list-changed": (
            "工作日志第 {seq} 条（版本 {version}）封存的 {table} 表摘要不符，且逐行哈希清单缺失或被改动，无法指出是哪一行",
            "The digest of table {table} sealed by work log entry {seq} (version {version}) does not "
            "hold, and its row hash list is missing or altered, so the row cannot be named",
        ),
    }
)

# -- deals and money: 销控, 收款, 销售服务 (docs/domain.md §2.3–§2.5) ------------------------------------------
MESSAGES.update(
    {
        "hold-until-required": ("保留须填写“保留至”日期", "A hold needs its “保留至” date"),
        "special-field-required": (
            "{kind}须填写“{header}”",
            "A {kind} needs “{header}”",
        ),
        "deal-price-product": (
            "“{header}”应等于单价 × 面积（约 {expected} 元，误差 1 元内）",
            "“{header}” should equal unit price × area (about {expected}, within 1 CNY)",
        ),
        "deposit-exceeds-price": (
            "定金“{value}”超过成交总价",
            "The deposit “{value}” exceeds the total price",
        ),
        "receipt-zero": ("金额不能为 0", "The amount cannot be 0"),
        "reversal-negative": (
            "红冲须填负数金额（填写了红冲票据编号）",
            "A red reversal (红冲票据编号 given) needs a negative amount",
        ),
        "refund-negative": ("退款须填负数金额", "A refund needs a negative amount"),
        "receipt-negative": (
            "收款金额“{value}”为负数：冲销请填写红冲票据编号，退款请选款项类别“退款”",
            "The amount “{value}” is negative: name the receipt in 红冲票据编号 to reverse it, or use 退款",
        ),
        "reversal-of-itself": ("票据不能红冲自己", "A receipt cannot reverse itself"),
        "mortgage-field-required": (
            "办理状态为“{status}”时须填写“{header}”",
            "With status “{status}”, “{header}” is required",
        ),
        "unknown-room": ("房间“{value}”不存在或已删除", "No room “{value}” (or it was removed)"),
        "room-status": (
            "房间 {room} 当前为“{status}”，不能{action}（只有{allowed}的房间可以）",
            "Room {room} is “{status}” and cannot be put to {action} (only from {allowed})",
        ),
        "deal-project-unknown": (
            "“{value}”所属的项目不存在或已删除",
            "The project of “{value}” does not exist or was removed",
        ),
        "project-not-in-region": (
            "项目 {project} 不属于您所在的地区 {region}，不能录入",
            "Project {project} is not in your region {region}",
        ),
        "deal-late-entry": (
            "此行应在 {deadline} 前录入，已逾期（照常同步，记录为逾期录入）",
            "This row was due by {deadline}; it is late (synced, recorded as late)",
        ),
        "plan-other-project": (
            "付款方案“{value}”属于项目 {project}，不是本房间的项目",
            "Payment plan “{value}” belongs to project {project}, not this room's",
        ),
        "plan-not-valid": (
            "付款方案“{value}”在 {day} 不在有效期内（{start} 至 {end}）",
            "Payment plan “{value}” is not valid on {day} ({start} to {end})",
        ),
        "unknown-discount": (
            "折扣“{discount}”不存在或已删除",
            "No discount “{discount}” (or it was removed)",
        ),
        "discount-other-project": (
            "折扣“{discount}”属于项目 {project}，不是本房间的项目",
            "Discount “{discount}” belongs to project {project}",
        ),
        "discount-not-valid": (
            "折扣“{discount}”在 {day} 不在有效期内（{start} 至 {end}）",
            "Discount “{discount}” is not valid on {day} ({start} to {end})",
        ),
        "discount-not-stackable": (
            "折扣 {codes} 不可叠加，不能与其他折扣同时使用",
            "Discounts {codes} do not stack with others",
        ),
        "deal-price": (
            "“{header}”为 {value}，但房间 {room} 标价 {list_price} 元按折扣（{discounts}）计算应为 {expected} 元"
            "（误差须在 1 元内）",
            "“{header}” is {value}, but room {room} listed at {list_price} after discounts ({discounts}) "
            "comes to {expected} (within 1 CNY)",
        ),
        "deal-area": (
            "“{header}”应为房间的{basis} {expected} m²（项目按{basis}计价）",
            "“{header}” should be the room's {basis}, {expected} m² (the project's pricing basis)",
        ),
        "control-removed": (
            "房间 {value} 的“{action}”一行已删除（保留历史），房间仍为“{status}”，如需恢复请另行操作",
            "The “{action}” row of room {value} was removed (kept); the room stays “{status}”",
        ),
        "deal-core-changed": (
            "{no} 已同步，房间、客户、价格、方案、折扣等成交条件不能在表中直接修改，请通过特殊事务办理",
            "{no} is already synced; its terms cannot be edited here — use a special transaction",
        ),
        "unknown-rep": (
            "置业顾问“{value}”不是在职的销售代表账号或姓名",
            "“{value}” is not an active sales rep's account or name",
        ),
        "ambiguous-rep": (
            "置业顾问“{value}”对应 {count} 个账号，请填写账号",
            "“{value}” matches {count} accounts; enter the username",
        ),
        "room-has-deal": (
            "房间 {room} 已有进行中的交易（认购编号 {other}，状态“{status}”），一个房间只能有一笔交易",
            "Room {room} already has a live deal ({other}, “{status}”); a room has at most one",
        ),
        "deal-unknown-customer": (
            "客户手机“{value}”不是已登记的客户，请置业顾问先在客户登记中录入",
            "“{value}” is not a registered customer; the rep must register the customer first",
        ),
        "subscription-collision": (
            "该客户属于 {owner_name}（{owner}，{since} 起），与置业顾问不一致，已作为撞单提交销售经理处理",
            "This customer belongs to {owner_name} ({owner}, since {since}); flagged to the sales manager",
        ),
        "unknown-subscription": ("认购编号“{value}”不存在", "No subscription “{value}”"),
        "contract-subscription-cancelled": (
            "认购 {value} 已于 {date} 退房，不能签约",
            "Subscription {value} was cancelled on {date} and cannot be contracted",
        ),
        "subscription-contracted": (
            "认购 {value} 已签约（合同编号 {other}）",
            "Subscription {value} already has contract {other}",
        ),
        "contract-price": (
            "合同总价“{value}”与认购 {no} 的成交总价 {expected} 元不一致，价格变化须先办理变更折扣",
            "Contract price “{value}” differs from subscription {no}'s {expected}",
        ),
        "special-changed": (
            "特殊事务 {value} 已办理，不能修改；如需更正请另起一笔事务",
            "Special transaction {value} is done and cannot be edited; enter a new one",
        ),
        "deal-not-live": (
            "认购 {value} 当前为“{status}”（{date}），不能再办理特殊事务",
            "Subscription {value} is “{status}” ({date}); no further special transactions",
        ),
        "special-finance-notified": (
            "{kind}已办理，已列入现场财务的待办",
            "{kind} recorded; it is on site finance's task list",
        ),
        "same-room": ("换房的新房间与原房间相同", "The new room is the same as the old one"),
        "room-other-project": (
            "房间 {value} 属于项目 {project}，换房只能在同一项目内",
            "Room {value} belongs to project {project}; rooms change within one project",
        ),
        "refund-exceeds-received": (
            "退款金额“{value}”超过已收金额 {received} 元",
            "The refund “{value}” exceeds the {received} received",
        ),
        "same-plan": ("新付款方案与原方案相同", "The new payment plan is the current one"),
        "deal-row-missing": (
            "“{value}”在此前版本中已同步，本次保存中缺少该行；交易只能通过特殊事务结束，系统未删除它",
            "“{value}” was synced before and is missing now; deals end only by a special transaction — kept",
        ),
        "receipt-no-taken": (
            "票据编号“{value}”在项目 {project} 中已被使用",
            "Receipt number “{value}” is already used in project {project}",
        ),
        "receipt-reversed-locked": (
            "票据“{value}”已被红冲，不能再修改",
            "Receipt “{value}” has been reversed and cannot be edited",
        ),
        "receipt-deal-ended": (
            "该认购已于 {date} 退房，之后不能再收款（退款请选“退款”）",
            "The deal was cancelled on {date}; no receipts after it (use 退款 for refunds)",
        ),
        "reversal-unknown-original": (
            "红冲的原票据“{value}”不存在或已删除",
            "The receipt “{value}” to reverse does not exist or was deleted",
        ),
        "reversal-of-negative": (
            "票据“{value}”本身是红冲或退款，不能再红冲",
            "Receipt “{value}” is itself a reversal or refund",
        ),
        "reversal-other-deal": (
            "原票据“{value}”属于另一认购，红冲须与原票据同一认购",
            "Receipt “{value}” belongs to another deal",
        ),
        "receipt-reversed-twice": (
            "票据“{value}”已被 {by} 红冲过，同一票据不能重复红冲",
            "Receipt “{value}” was already reversed by {by}; a receipt is reversed once",
        ),
        "reversal-exceeds": (
            "红冲金额“{value}”超过原票据金额 {original} 元",
            "The reversal “{value}” exceeds the original {original}",
        ),
        "refund-needs-cancellation": (
            "认购 {value} 当前为“{status}”：退款须先办理退房",
            "Subscription {value} is “{status}”: a refund belongs to a 退房",
        ),
        "refund-exceeds-approved": (
            "退款合计将超过退房事务 {no} 批准的退款金额 {approved} 元",
            "Refunds would exceed the {approved} approved by {no}",
        ),
        "receipt-delete-reversed": (
            "票据“{value}”已被 {by} 红冲，不能删除，已保留；如确需删除请先删除红冲行",
            "Receipt “{value}” is reversed by {by} and was kept; delete the reversal first",
        ),
        "mortgage-backwards": (
            "按揭办理状态不能从“{old}”改为“{value}”（只能向前推进，或改为已拒贷）",
            "Mortgage status cannot go from “{old}” to “{value}” (forward only, or 已拒贷)",
        ),
        "mortgage-release-mismatch": (
            "放款金额“{value}”与已录入的按揭款收款合计 {received} 元不一致，请核对",
            "Released amount “{value}” differs from the {received} of mortgage receipts",
        ),
        "unknown-special": ("事务编号“{value}”不存在", "No special transaction “{value}”"),
        "refund-outstanding": (
            "退房批准退款 {approved} 元，尚未全部退出",
            "The approved refund of {approved} is not fully paid yet",
        ),
        "trueup-no-contract": (
            "房间 {value} 当前为“{status}”，尚未签约，不能办理面积补差",
            "Room {value} is “{status}”, not contracted; no true-up",
        ),
        "movein-no-contract": (
            "房间 {value} 当前为“{status}”，须签约后才能办理入伙",
            "Room {value} is “{status}”; move-in needs a contract",
        ),
        "trueup-per-unit": (
            "项目按套计价，不做面积补差（已记录实测面积）",
            "The project prices per unit: no true-up (measured areas recorded)",
        ),
        "trueup-beyond-3": (
            "面积误差比 {ratio}% 超过 ±3%，买受人有权退房；未退房则按第二十条计算补差",
            "The area error is {ratio}%, beyond ±3%: the buyer may cancel; otherwise settled per Article 20",
        ),
        "hold-already-expired": (
            "该房间的保留在此日期前已到期，房间已恢复可售，本次取消保留仅作记录",
            "The hold had already expired by this date; the room was available again (recorded only)",
        ),
        "trueup-split": (
            "面积补差（按{basis}）：误差比 {ratio}%；买受人补交 {buyer_pays} 元，开发商承担 {developer_bears} 元，"
            "退还 {refund} 元，双倍返还 {double_refund} 元",
            "True-up on {basis}: error {ratio}%; buyer pays {buyer_pays}, developer bears {developer_bears}, "
            "refund {refund}, double refund {double_refund}",
        ),
        "movein-balance": (
            "认购 {no} 尚欠 {outstanding} 元，入伙已记录，请跟进催款",
            "Subscription {no} still owes {outstanding}; move-in recorded, follow up the balance",
        ),
    }
)


MESSAGES.update(
    {
        "reconcile-only-manual": (
            "手工报表有“{key}”这一行，系统中没有{likely}",
            "Row “{key}” is in the manual report but not in the system{likely}",
        ),
        "reconcile-only-system": (
            "系统中有“{key}”这一行，手工报表中没有",
            "Row “{key}” is in the system but not in the manual report",
        ),
        "reconcile-cell": (
            "“{key}”的“{header}”不一致：手工为“{value}”，系统为“{system}”{likely}",
            "“{key}” {header} differs: manual “{value}”, system “{system}”{likely}",
        ),
        "reconcile-duplicate": (
            "手工报表中“{value}”这一行重复，只核对第一行",
            "Row “{value}” repeats in the manual report; only the first is compared",
        ),
        "reconcile-total": (
            "“{header}”合计不一致：手工 {value}，系统 {system}，差额 {difference}",
            "Total of {header} differs: manual {value}, system {system}, difference {difference}",
        ),
        "reconcile-needs-scope": (
            "这不是手工报表模板：请用 --report、--project、--from、--to 说明报表与范围",
            "Not a manual-report template: give --report, --project, --from and --to",
        ),
        "reconcile-no-scope": (
            "请在“范围”工作表填写项目编码、期间起和期间止",
            "Fill in the project code and the period on the 范围 sheet",
        ),
    }
)

# -- refusals of account administration (sync/domain/accounts.py) ---------------------------------------------

MESSAGES.update(
    {
        "not-admin": (
            "{account} 不是系统管理员，不能管理账号",
            "{account} is not an administrator and cannot manage accounts",
        ),
        "other-region": (
            "地区系统管理员只能管理本地区（{region}）的账号",
            "a regional admin manages only the accounts of their own region ({region})",
        ),
        "role-not-grantable": (
            "地区系统管理员不能授予或管理以下角色：{titles}（由集团系统管理员设置）",
            "a regional admin cannot grant or manage these roles: {keys} (the group admin sets them)",
        ),
        "group-only": ("只有集团系统管理员可以新建地区", "only the group admin creates regions"),
        "own-account": ("不能停用自己的账号", "you cannot disable your own account"),
        "no-roles": ("至少选择一个角色", "choose at least one role"),
        "region-required": (
            "以下角色必须指定所属地区：{titles}",
            "these roles need a region: {keys}",
        ),
        "username-invalid": (
            "账号须以英文字母开头，只含英文字母、数字和 . _ -，最多 64 个字符",
            "a username starts with a letter and holds only letters, digits and . _ - (at most 64)",
        ),
        "folders-refused": (
            "未建立 {account} 的个人文件夹：名称不安全或位置在共享盘之外（{folder}）",
            "No personal folder for {account}: its name is unsafe or it lies outside the drive ({folder})",
        ),
        "code-invalid": (
            "编码“{value}”只能含英文字母、数字和 . _ -，最多 64 个字符",
            "the code “{value}” may hold only letters, digits and . _ - (at most 64)",
        ),
        "signing-role-group-only": (
            "签字角色（{titles}）只能由集团系统管理员授予",
            "only the group admin grants signing roles ({keys})",
        ),
        "password-long": ("密码最多 {maximum} 个字符", "the password has at most {maximum} characters"),
        "password-username": ("密码不能包含账号名", "the password must not contain the username"),
        "password-common": (
            "密码太常见，容易被猜中，请换一个",
            "the password is too common and easily guessed: choose another",
        ),
        "password-wrong": ("当前密码不正确", "the current password is wrong"),
        "password-same": ("新密码不能与当前密码相同", "the new password must differ from the current one"),
        "name-required": ("请填写{what}", "{what_en} is required"),
        "password-short": (
            "密码至少 {minimum} 位",
            "the password needs at least {minimum} characters",
        ),
        "project-other-region": (
            "项目 {project} 属于地区 {other}，不属于 {region}",
            "project {project} belongs to region {other}, not {region}",
        ),
        "disabled": ("账号 {account} 已停用", "account {account} is disabled"),
    }
)

# -- refusals of customer ownership: 撞单 settled, dormant customers reassigned (sync/domain/ownership.py) -----

MESSAGES.update(
    {
        "not-manager": (
            "{account} 不是销售经理、市场营销部高级经理或地区总经理，不能处理客户归属",
            "{account} is not a sales manager, senior manager or region GM and cannot settle ownership",
        ),
        "collision-unknown": ("撞单记录 #{id} 不存在", "there is no collision #{id}"),
        "collision-other-region": (
            "撞单记录 #{id} 不属于本地区（{region}）",
            "collision #{id} is not of your region ({region})",
        ),
        "collision-settled": (
            "撞单记录 #{id} 已于 {at} 由 {by} 处理（{outcome}）",
            "collision #{id} was settled at {at} by {by} ({outcome_en})",
        ),
        "note-required": ("转给录入人须填写处理说明", "a transfer needs a note"),
        "rep-disabled": ("录入人账号 {rep} 已停用，不能转给该账号", "the rep {rep} is disabled"),
        "already-owner": (
            "客户 {customer}（{phone}）已归属于 {rep}，请选择维持原归属",
            "customer {customer} ({phone}) already belongs to {rep}: keep the owner instead",
        ),
        "owner-other-region": (
            "客户 {customer}（{phone}）归属于其他地区的 {owner}，只能维持原归属",
            "customer {customer} ({phone}) belongs to {owner} of another region: the owner can only be kept",
        ),
        "customer-unknown": ("没有手机号码为 {phone} 的客户", "there is no customer with the phone {phone}"),
        "customer-other-region": (
            "客户 {phone} 不属于本地区（{region}）",
            "customer {phone} is not of your region ({region})",
        ),
        "reason-required": ("重新分配须填写原因", "a reassignment needs a reason"),
        "to-unknown": ("账号不存在：{to}", "there is no account {to}"),
        "to-not-rep": (
            "{to} 不是本地区（{region}）在职的销售代表",
            "{to} is not an active sales rep of your region ({region})",
        ),
        "to-owner": (
            "客户 {customer}（{phone}）已归属于 {to}",
            "customer {customer} ({phone}) already belongs to {to}",
        ),
        "not-dormant": (
            "客户 {customer}（{phone}）不是休眠客户：最近一次客户事件在 {day}，未满 {days} 天",
            "customer {customer} ({phone}) is not dormant: the last event was on {day}, less than {days} days ago",
        ),
        "recently-reassigned": (
            "客户 {customer}（{phone}）于 {day} 刚重新分配，新的置业顾问有 {days} 天跟进，不是休眠客户",
            "customer {customer} ({phone}) was reassigned on {day}; the new rep has {days} days to follow up",
        ),
        "buying": (
            "客户 {customer}（{phone}）有进行中的认购或签约，不是休眠客户",
            "customer {customer} ({phone}) is in a live subscription or contract and is not dormant",
        ),
    }
)

# -- online spreadsheets registered as workbooks (sync/sources) ----------------------------------------------

MESSAGES.update(
    {
        "sheet-forbidden": (
            "在线表格 {sheet} 已不再共享给同步账号（{account}），请重新共享（编辑权限）后等待下次同步",
            "The online sheet {sheet} is no longer shared with the sync account ({account}); share it again (editor)",
        ),
        "sheet-not-found": (
            "在线表格 {sheet} 不存在或已删除，请检查链接或重新登记",
            "The online sheet {sheet} does not exist or was deleted; check the link or register it again",
        ),
        "sheet-quota": (
            "在线表格 {sheet} 的接口配额已用尽（重试 {tries} 次仍被限流），稍后自动重试",
            "The online sheet API quota is exhausted for {sheet} (still limited after {tries} tries); retried later",
        ),
        "sheet-network": (
            "连接在线表格服务失败（{detail}），稍后自动重试",
            "Could not reach the online sheet service ({detail}); retried later",
        ),
        "sheet-api": (
            "在线表格服务返回错误 {status}（{detail}），稍后自动重试",
            "The online sheet service answered {status} ({detail}); retried later",
        ),
        "sheets-not-installed": (
            "未安装 Google 表格支持：pip install 'salesync[gsheets]'",
            "Google Sheets support is not installed: pip install 'salesync[gsheets]'",
        ),
        "sheets-no-key": (
            "未配置 Google 服务账号密钥文件（google_service_account 或 SALESYNC_GOOGLE_SERVICE_ACCOUNT）",
            "No Google service account key file configured (google_service_account or SALESYNC_GOOGLE_SERVICE_ACCOUNT)",
        ),
        "sheets-bad-key": (
            "Google 服务账号密钥文件无法使用：{detail}",
            "The Google service account key file cannot be used: {detail}",
        ),
        "sheet-url-invalid": (
            "不是 Google 表格链接：{url}",
            "Not a Google Sheets link: {url}",
        ),
        "sheet-registered": (
            "此在线表格已登记给 {account}（{kind}）",
            "This online sheet is already registered to {account} ({kind})",
        ),
        "sheet-kind-unknown": ("未知的工作簿类型：{kind}", "Unknown workbook kind: {kind}"),
        "sheet-unknown": ("没有编号为 {id} 的在线表格", "There is no online sheet #{id}"),
    }
)

# A project's sales office calendar (sync.domain.office_calendar).
MESSAGES.update(
    {
        "calendar-project-unknown": (
            "项目 {project} 不存在或已删除",
            "project {project} does not exist or was removed",
        ),
        "calendar-not-admin": (
            "{account} 不能设置项目 {project} 的案场日历（须为集团系统管理员或该项目所在地区的系统管理员）",
            "{account} cannot set the office calendar of project {project} "
            "(the group admin or the admin of the project's region can)",
        ),
    }
)

# -- the books fixed in time: deals on their own terms, master data that never orphans a deal,
# money both ways on a live deal ---------------------------------------------------------------
MESSAGES.update(
    {
        "master-removes-sold-room": (
            "房间 {key} 有进行中的交易（认购编号 {deal}），不能删除",
            "Room {key} has a live deal ({deal}) and cannot be removed",
        ),
        "master-reprices-sold-room": (
            "房间 {key} 有进行中的交易（认购编号 {deal}），不能修改其价格或面积；调价只适用于未售房间",
            "Room {key} has a live deal ({deal}); its price and areas cannot change (re-pricing is for unsold rooms)",
        ),
        "master-removes-used-plan": (
            "付款方案 {key} 仍被进行中的交易使用（认购编号 {deal}），不能删除",
            "Payment plan {key} is used by a live deal ({deal}) and cannot be removed",
        ),
        "master-removes-used-discount": (
            "折扣 {key} 仍被进行中的交易使用（认购编号 {deal}），不能删除",
            "Discount {key} is used by a live deal ({deal}) and cannot be removed",
        ),
        "master-orphans-deals": (
            "本次项目资料变更会影响进行中的交易（认购编号 {deals}），整张变更单不予提交，请改正标出的单元格后再保存",
            "This master-data change would reach into live deals ({deals}); the change set is refused whole",
        ),
        "reversal-category": (
            "红冲的款项类别须与原票据 {no} 一致（原票据为“{original}”）",
            "A 红冲 must carry the category of receipt {no} (“{original}”)",
        ),
        "refund-exceeds-credit": (
            "认购 {no} 未退房，退款不能超过多收的金额 {credit} 元（已收超出成交总价及面积补差的部分）",
            "Deal {no} is live: a refund may not exceed what was overpaid ({credit})",
        ),
        "trueup-refund-none": (
            "认购 {no} 没有应退的面积补差，负数的面积补差款不能入账",
            "Deal {no} has no true-up refund due; a negative 面积补差款 cannot be recorded",
        ),
        "trueup-refund-exceeds": (
            "面积补差应退 {owed} 元，已退 {refunded} 元，本次退款超出应退金额",
            "The true-up refund is {owed}, {refunded} refunded already: this exceeds it",
        ),
        "receipt-negative-live": (
            "“{category}”不能为负数：未退房的认购只能以“退款”或负数的“面积补差款”退钱",
            "“{category}” cannot be negative: money goes back on a live deal as 退款 or a negative 面积补差款",
        ),
        "receipt-overpaid": (
            "本笔收款后认购 {no} 多收 {over} 元（超出成交总价及面积补差），已通知财务处理退款",
            "With this receipt deal {no} is overpaid by {over}; finance is asked to refund it",
        ),
        "customer-reassigned": (
            "该客户已由销售经理重新分配给 {owner_name}（{owner}，{since} 起），不再由您跟进；这不是撞单",
            "This customer was reassigned to {owner_name} ({owner}, since {since}); it is not a collision",
        ),
        "first-contact-future": (
            "首次接触日期 {value} 晚于录入当天（{today}），请核对",
            "The first-contact date {value} is after the day it was entered ({today}); please check",
        ),
        "first-contact-changed": (
            "首次接触日期在客户登记后不能更改，仍为 {kept}（本次填写的 {value} 未采用）",
            "The first-contact date cannot change after the customer was accepted; {kept} is kept ({value} ignored)",
        ),
        "confirm-not-control": (
            "{account} 不是在职的销控，不能确认事务完成",
            "{account} is not an active sales-control clerk and cannot confirm a transaction complete",
        ),
        "confirm-unknown": (
            "没有需要销控确认的特殊事务 {no}（换房、退房、更名）",
            "There is no 换房 / 退房 / 更名 numbered {no} to confirm",
        ),
        "confirm-before-finance": (
            "事务 {no}（{kind}）财务尚未处理，不能确认完成",
            "Finance has not recorded its part of {no} ({kind}) yet",
        ),
        "confirm-already": ("事务 {no} 已确认完成", "Transaction {no} is already confirmed complete"),
        "sign-orphans-deals": (
            "变更单 #{change_set} 提交后已有新的交易，会影响进行中的交易，签字未记录，数据未改动：{items}",
            "Change set #{change_set} would now reach into live deals; nothing was signed or applied: {items}",
        ),
    }
)

# -- 我的任务: the task kinds (the portal's English mode and any other interface name them from here) ------
TASK_KINDS = {
    "催款": "Payment due",
    "退款": "Refund owed",
    "事务确认": "Confirm transaction",
    "签约": "Contract due",
    "问卷": "Questionnaire",
    "跟进": "Follow-up",
    "休眠客户": "Dormant customer",
    "撞单": "Collision",
    "特殊事务": "Special transaction",
    "签字": "Signature",
    "授权": "Signing role granted",
    "对账差异": "Reconciliation mismatch",
    "对账缺失": "Missing check",
    "变更驳回": "Change set rejected",
}
MESSAGES.update({f"task-kind-{zh}": (zh, en) for zh, en in TASK_KINDS.items()})
