"""The words of every notification, in Chinese and English (``render(code, lang, **params)``).

A subject line and a body per kind; the body always says what happened and where, and the sender
appends the portal link. The configured language (``lang``) picks the wording.
"""

from __future__ import annotations

from typing import Any

#: kind → (subject zh, subject en, body zh, body en)
WORDS: dict[str, tuple[str, str, str, str]] = {
    "collision": (
        "撞单：{rep_name} 录入了 {count} 位已有归属的客户",
        "Collision: {rep_name} entered {count} customers someone already owns",
        "{rep_name}（{rep}）在 {file} 中录入的 {count} 位客户已有归属：\n{lines}\n请在客户归属页处理。",
        "{rep_name} ({rep}) entered {count} customers in {file} that are already owned:\n{lines}\n"
        "Settle them on the customer ownership page.",
    ),
    "collision-rep": (
        "撞单：你录入的 {count} 位客户已有归属",
        "Collision: {count} customers you entered are already owned",
        "你在 {file} 中录入的 {count} 位客户已有归属，客户归属不变，由销售经理处理：\n{lines}",
        "{count} customers you entered in {file} are already owned; ownership is unchanged and the "
        "sales manager settles it:\n{lines}",
    ),
    "sign": (
        "变更单 #{id} 待你签字",
        "Change set #{id} waits for your signature",
        "{submitter_name}（{submitter}）提交的项目资料变更单 #{id}（{projects}：新增 {added}、修改 {changed}、"
        "删除 {removed} 行）待签字。",
        "Change set #{id} by {submitter_name} ({submitter}) for {projects} ({added} added, {changed} "
        "changed, {removed} removed rows) waits for your signature.",
    ),
    "change-applied": (
        "变更单 #{id} 已生效",
        "Change set #{id} applied",
        "你提交的变更单 #{id}（{projects}）已签字生效，写入 {rows} 行。签字：{signers}。",
        "Your change set #{id} ({projects}) is signed and applied: {rows} rows written. Signed by {signers}.",
    ),
    "change-rejected": (
        "变更单 #{id} 被驳回",
        "Change set #{id} rejected",
        "你提交的变更单 #{id}（{projects}）被 {by_name}（{by}）驳回，理由：{reason}。",
        "Your change set #{id} ({projects}) was rejected by {by_name} ({by}): {reason}.",
    ),
    "special": (
        "特殊事务 {no}（{kind}）待财务处理",
        "Special transaction {no} ({kind}) for finance",
        "{project} 认购 {subscription}：{kind}，办理日期 {date}，审批单 {approval}{refund}。"
        "由 {by_name}（{by}）录入，请在收款工作簿的事务处理中确认。",
        "{project}, subscription {subscription}: {kind} on {date}, approval {approval}{refund}. Entered "
        "by {by_name} ({by}); confirm it in the finance workbook.",
    ),
    "special-done": (
        "特殊事务 {no}（{kind}）财务已处理",
        "Special transaction {no} ({kind}) done by finance",
        "{project} 认购 {subscription} 的{kind}（{no}）已由 {by_name}（{by}）于 {date} 处理完毕。{note}",
        "{kind} {no} of subscription {subscription} ({project}) was completed by {by_name} ({by}) on "
        "{date}. {note}",
    ),
    "rejected": (
        "工作簿未同步：{file}",
        "Workbook not synced: {file}",
        "你保存的 {file}（{kind}）被拒绝，共 {errors} 个错误。前几个：\n{first}",
        "Your workbook {file} ({kind}) was rejected with {errors} errors. The first:\n{first}",
    ),
    "fault": (
        "同步故障：{what}",
        "Sync fault: {what}",
        "{what}{detail}（{where}）",
        "{what}{detail} ({where})",
    ),
    "digest": (
        "我的任务 {day}：{total} 项，{overdue} 项逾期",
        "My tasks {day}: {total}, {overdue} overdue",
        "{lines}",
        "{lines}",
    ),
    "report": (
        "{period_title}报表 {period}",
        "Reports for {period}",
        "{period_title}报表（{period}，{scope}）已写入你的文件夹 {folder}：\n{files}",
        "The reports for {period} ({scope}) are in your folder {folder}:\n{files}",
    ),
    "cadence": (
        "对账提醒：{missing} 项未完成",
        "Reconciliation reminder: {missing} missing",
        "以下手工报表尚未对账（{project}）：\n{lines}",
        "These hand-made reports are not reconciled yet ({project}):\n{lines}",
    ),
    "test": (
        "salesync 测试消息",
        "salesync test message",
        "这是发给 {name}（{username}）的测试消息：通知渠道可用。",
        "A test message for {name} ({username}): the channel works.",
    ),
}

#: what a fault reported to the admins is, by the watcher's event code
FAULTS: dict[str, tuple[str, str]] = {
    "watch-failed": ("文件处理失败", "A file could not be processed"),
    "watch-db-paused": (
        "数据库曾不可用，监视程序已暂停后恢复",
        "The database was away; the watcher paused and resumed",
    ),
    "watch-root-missing": ("共享盘目录不可用", "The drive folder is unavailable"),
}

#: the kinds an account may opt out of (faults and test messages always go out)
OPTIONAL = ("collision", "sign", "change", "special", "rejected", "digest", "report", "cadence")

KIND_TITLES: dict[str, tuple[str, str]] = {
    "collision": ("撞单", "Collisions"),
    "sign": ("待签变更单", "Change sets to sign"),
    "change": ("变更单结果", "Change set outcomes"),
    "special": ("特殊事务", "Special transactions"),
    "rejected": ("工作簿被拒", "Rejected workbooks"),
    "digest": ("每日任务摘要", "Morning digest"),
    "report": ("定期报表", "Scheduled reports"),
    "cadence": ("对账提醒", "Reconciliation reminders"),
    "fault": ("同步故障", "Sync faults"),
    "test": ("测试", "Test"),
}


def family(code: str) -> str:
    """The opt-out kind a message code belongs to (``collision-rep`` → ``collision``)."""
    if code.startswith("change-"):
        return "change"
    if code.startswith("special"):
        return "special"
    return code.split("-", 1)[0]


def render(code: str, lang: str, **params: Any) -> tuple[str, str]:
    zh_subject, en_subject, zh_body, en_body = WORDS[code]
    if lang == "en":
        return en_subject.format(**params), en_body.format(**params)
    return zh_subject.format(**params), zh_body.format(**params)
