"""Languages: Accept-Language negotiation and the small catalogue of UI strings.

Survey content (questions, options, titles) comes from the questionnaire in
every declared language; only the fixed wording of the form itself lives here,
and domain terms (case states and priorities, the Kano halves...) come from
:mod:`surveykit.terms`.
The survey languages are keyed ``zh`` and ``en`` (as in the YAML); pages say
``lang="zh-Hans"`` for ``zh``.

WTForms' own validator messages go through Flask-Babel (see
:func:`babel_locale`), which hands WTForms its shipped ``zh`` catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from babel.core import get_global, parse_locale
from flask import g, request, session
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from surveykit.languages import LANGUAGE_TAG, builtin, builtin_language
from surveykit.languages import language_name as own_name
from surveykit.terms import term

UI_LANGUAGES = ("zh", "en")
BCP47 = {"zh": "zh-Hans", "en": "en"}
BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en"}
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
# Our language keys as (language, script) pairs, as Babel's likely subtags complete them.
_KEY_SCRIPT = {"zh": ("zh", "Hans"), "en": ("en", "Latn")}
_MAX_HEADER = 500  # longer Accept-Language headers are cut, not parsed whole

_OWN: dict[str, dict[str, str]] = {
    "en": {
        "next": "Next",
        "submit": "Submit",
        "back": "Back",
        "progress": "Page {n} of {m}",
        "error_title": "There is a problem",
        "optional": "(optional)",
        "required": "Please answer this question.",
        "required_choice": "Please choose an answer.",
        "required_row": "Please answer each statement.",
        "one_answer": "Choose only one answer.",
        "invalid_choice": "Choose one of the answers shown.",
        "multi_min": "Tick at least {n}.",
        "multi_max": "Tick at most {n}.",
        "integer": "Enter a whole number using the digits 0 to 9, such as 12.",
        "decimal": "Enter a number using the digits 0 to 9, such as 12 or 12.5.",
        "text_control": "Remove the control characters from your answer.",
        "text_pattern": "The answer is not in the expected format.",
        "date": "Enter a date as year-month-day, such as 2024-05-31.",
        "date_min": "Enter a date on or after {min}.",
        "date_max": "Enter a date on or before {max}.",
        "sum_total": "The points must add up to {total} (they add up to {sum}).",
        "sum_label": "Total",
        "sum_of": "of {total}",
        "unexpected": "The form contained data we did not expect. Please check your answers and submit again.",
        "expired_form": "This page had expired, so your last answers were not saved yet. Please check them and submit again.",
        "resume_intro": "Your answers are saved as you go. To continue later, keep this link:",
        "skip": "Skip to the questions",
        "lang_switch": "Language",
        "thanks_title": "Thank you",
        "thanks_default": "Thank you! Your answers have been received.",
        "already_done": "You have already answered this survey. Thank you!",
        "date_hint": "For example 2024-05-31",
        "number_range": "A number from {min} to {max}",
        "number_min": "A number of at least {min}",
        "number_max": "A number of at most {max}",
        "scale_from_to": "From {low} to {high}",
        "err_400": "The request could not be processed",
        "err_400_text": "Something in the request was not as expected. Please go back and try again.",
        "err_403": "Access denied",
        "err_403_text": "You do not have access to this page.",
        "err_404": "Page not found",
        "err_404_text": "There is no page at this address. Please check that you copied the whole link.",
        "err_405": "Not allowed",
        "err_405_text": "This action is not allowed here.",
        "err_409": "Already submitted",
        "err_409_text": "Your answers were already submitted. Changes made after submitting are not saved.",
        "err_410": "No longer available",
        "err_410_text": "This link can no longer be used.",
        "err_413": "Too much data",
        "err_413_text": "The form sent more data than we accept. Please shorten long answers and try again.",
        "err_422": "Please check your answers",
        "err_422_text": "Some answers could not be accepted.",
        "err_429": "Too many attempts",
        "err_429_text": "Please wait a few minutes and try again.",
        "err_500": "Something went wrong",
        "err_500_text": "Something went wrong on our side. The answers you saved earlier are safe. Please try again in a moment.",
        "err_503": "Temporarily unavailable",
        "err_503_text": "The service is temporarily unavailable. Please try again in a moment.",
        "err_ref": "Reference: {ref}",
        "invitation_unknown": "This invitation link is not valid. Please check that you copied the whole link.",
        "invitation_used": "This invitation has already been used to answer the survey. Thank you!",
        "invitation_expired": "This invitation has expired.",
        "survey_unknown": "There is no survey at this address. Please check that you copied the whole link.",
        "resume_unknown": "This link to continue the survey is not valid, or the survey was already submitted.",
        "home": "Start page",
        # admin
        "admin": "Survey administration",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "username": "User name",
        "password": "Password",  # nosec B105 - a label
        "bad_login": "The user name or password is not right.",
        "surveys": "Surveys",
        "survey": "Survey",
        "versions": "Versions",
        "version": "Version",
        "registered": "Registered",
        "responses": "Responses",
        "started": "Started",
        "submitted": "Submitted",
        "completion_rate": "Completion rate",
        "rates_title": "Invitations and response rates",
        "rates_help": "AAPOR Standard Definitions (10th ed., 2023): RR1 counts completes only, RR2 completes and partials, COOP1 completes among those reached. Suppressed and scheduled invitations are in no rate.",
        "rates_group": "Group",
        "rates_all": "All invitations",
        "inv_invited": "Invited",
        "inv_suppressed": "Suppressed",
        "inv_sent": "Sent",
        "inv_failed": "Failed",
        "inv_opened": "Opened",
        "inv_completed": "Completed",
        "inv_opted_out": "Opted out",
        "median_duration": "Median duration",
        "by_field": "Responses by {field}",
        "unknown_units": "Codes the organisation does not know",
        "unknown_units_help": "These responses count in the survey's totals but under no unit: add the codes to the organisation file (surveykit org import).",
        "value": "Value",
        "count": "Count",
        "missing": "(none)",
        "report": "Report",
        "open_report": "Open the report",
        "report_needs_data": "The report needs at least three responses.",
        "download": "Download the responses",
        "format_csv": "CSV (Excel, UTF-8)",
        "format_xlsx": "Excel workbook with codebook",
        "format_sav": "SPSS (.sav) with labels",
        "format_dta": "Stata (.dta) with labels",
        "format_parquet": "Parquet",
        "respondent_link": "Respondent link",
        "contacts_title": "Responses with contact data",
        "contacts_help": "For admins only. Adds each respondent's customer id, name, e-mail and phone to the download. Every such download is recorded in the audit log: who, when, which survey, how many rows (surveykit audit-log).",
        "contacts_confirm": "Include contact data; I am allowed to receive it and this download is recorded",
        "contacts_button": "Download with contact data",
        "contacts_format": "Format",
        "no_surveys": "No survey is loaded. Start the server with questionnaire files.",
        "minutes": "{m} min",
        "seconds": "{s} s",
        "none": "–",
        # follow-up cases (webform/cases.py)
        "cases": "Cases",
        "case_n": "Case #{n}",
        "state": "State",
        "opened": "Opened",
        "first_contact_due": "First contact due",
        "overdue": "Overdue",
        "late_contact": "contacted after the deadline",
        "any": "Any",
        "all_states": "All",
        "filter": "Filter",
        "yes": "Yes",
        "no": "No",
        "no_cases": "No case matches these filters.",
        "n_cases": "{n} cases",
        "showing_first": "Showing the {n} most urgent; narrow the filters to see the rest.",
        "download_cases": "Download these cases",
        "format_json": "JSON",
        "format_case_json": "Download this case (JSON)",
        "customer_comments": "What the customer wrote",
        "customer_answers": "All answers",
        "response_meta": "Answered on {when} ({lang})",
        "history": "History",
        "when": "When",
        "who": "Who",
        "what": "What",
        "note": "Note",
        "move_on": "Next step",
        "move_to": "Move to: {state}",
        "close_without_action": "Close without action",
        "close_reason": "Reason (required)",
        "note_optional": "Note (optional)",
        "note_solution": "The agreed solution (required)",
        "note_evaluation": "How it was carried out and evaluated (required)",
        "choose": "Choose…",
        "responsible_department": "Responsible department",
        "add_note": "Add a note",
        "contact_made": "I spoke to the customer (this records the first contact)",
        "save_note": "Save the note",
        "win_back": "Win-back",
        "send_recovery": "Create the recovery survey link",
        "recovery_link_once": "Send this single-use link to the customer. It is shown only this once:",
        "recovery_sent": "Recovery survey sent on {when}; not answered yet.",
        "recovery_result": "Recovery survey answered: {score} of {points}, {verdict}.",
        "recovered": "recovered",
        "not_recovered": "not recovered",
        "recovery_after_close": "Once the case is closed, the customer can be sent a one-question recovery survey.",
        "recovery_not_served": "The recovery survey is not served by this site, so no link can be made.",
        "notifications": "Notifications",
        "case_changed": "Someone changed this case meanwhile; this is its current state.",
        "ev_opened": "Opened by the rule",
        "ev_moved": "{from_state} → {to_state}",
        "ev_contact": "Contact with the customer",
        "ev_note": "Note",
        "ev_recovery_sent": "Recovery survey sent",
        "ev_recovery_answered": "Recovery survey answered",
        "msg_pending": "waiting to be sent",
        "msg_sent": "sent to {to}",
        "msg_failed": "could not be sent",
        "kind_new_case": "New case",
        "kind_overdue": "Overdue",
        "final_state": "This case is closed.",
        "err_not_allowed": "That step is not possible from the case's current state.",
        "err_closed": "This case is closed; it cannot be moved on.",
        "err_unknown_state": "Choose a step that exists.",
        "err_reason_required": "Give the reason for closing the case without action.",
        "err_department_required": "Choose the responsible department.",
        "err_root_cause_required": "Choose the root-cause category.",
        "err_note_required": "Write the note.",
        "err_note_invalid": "The note is too long or contains characters that cannot be stored.",
        "err_department_not_yours": "Only an administrator can hand a case to another department.",
        "err_department_now": "The department is chosen when the case is assigned.",
    },
    "zh": {
        "next": "下一页",
        "submit": "提交",
        "back": "上一页",
        "progress": "第 {n} 页，共 {m} 页",
        "error_title": "请修改以下问题",
        "optional": "（选填）",
        "required": "请回答此题。",
        "required_choice": "请选择一个答案。",
        "required_row": "请对每一项作答。",
        "one_answer": "只能选择一个答案。",
        "invalid_choice": "请从列出的选项中选择。",
        "multi_min": "请至少选择 {n} 项。",
        "multi_max": "最多只能选择 {n} 项。",
        "integer": "请用数字 0–9 输入整数，例如 12。",
        "decimal": "请用数字 0–9 输入数值，例如 12 或 12.5。",
        "text_control": "答案中含有不允许的控制字符，请删除。",
        "text_pattern": "答案格式不正确。",
        "date": "请按“年-月-日”格式输入日期，例如 2024-05-31。",
        "date_min": "请输入 {min} 或之后的日期。",
        "date_max": "请输入 {max} 或之前的日期。",
        "sum_total": "各项分数之和必须为 {total}（目前为 {sum}）。",
        "sum_label": "合计",
        "sum_of": "/ {total}",
        "unexpected": "表单中含有意外的数据。请检查您的回答后重新提交。",
        "expired_form": "此页面已过期，您刚才的回答尚未保存。请检查后重新提交。",
        "resume_intro": "您的回答会逐页保存。如需稍后继续，请保存此链接：",
        "skip": "跳到问题",
        "lang_switch": "语言",
        "thanks_title": "谢谢",
        "thanks_default": "谢谢！我们已收到您的回答。",
        "already_done": "您已经回答过此问卷。谢谢！",
        "date_hint": "例如 2024-05-31",
        "number_range": "请输入 {min} 到 {max} 之间的数字",
        "number_min": "请输入不小于 {min} 的数字",
        "number_max": "请输入不大于 {max} 的数字",
        "scale_from_to": "从 {low} 到 {high}",
        "err_400": "无法处理此请求",
        "err_400_text": "请求中的内容与预期不符。请返回后重试。",
        "err_403": "无权访问",
        "err_403_text": "您无权访问此页面。",
        "err_404": "找不到此页面",
        "err_404_text": "此地址没有页面。请确认您复制了完整的链接。",
        "err_405": "不允许的操作",
        "err_405_text": "此处不允许该操作。",
        "err_409": "已经提交",
        "err_409_text": "您的回答已经提交。提交后所做的修改不会保存。",
        "err_410": "链接已失效",
        "err_410_text": "此链接已无法使用。",
        "err_413": "数据过多",
        "err_413_text": "表单发送的数据超出了限制。请缩短较长的回答后重试。",
        "err_422": "请检查您的回答",
        "err_422_text": "部分回答无法接受。",
        "err_429": "尝试次数过多",
        "err_429_text": "请稍等几分钟后再试。",
        "err_500": "出错了",
        "err_500_text": "我们这边出了问题。您之前保存的回答不会丢失。请稍后再试。",
        "err_503": "暂时无法使用",
        "err_503_text": "服务暂时无法使用。请稍后再试。",
        "err_ref": "编号：{ref}",
        "invitation_unknown": "邀请链接无效。请确认您复制了完整的链接。",
        "invitation_used": "此邀请链接已用于提交问卷。谢谢！",
        "invitation_expired": "此邀请链接已过期。",
        "survey_unknown": "此地址没有问卷。请确认您复制了完整的链接。",
        "resume_unknown": "此继续作答链接无效，或问卷已经提交。",
        "home": "首页",
        "admin": "问卷管理",
        "sign_in": "登录",
        "sign_out": "退出登录",
        "username": "用户名",
        "password": "密码",  # nosec B105 - a label
        "bad_login": "用户名或密码不正确。",
        "surveys": "问卷",
        "survey": "问卷",
        "versions": "版本",
        "version": "版本",
        "registered": "登记时间",
        "responses": "答卷",
        "started": "已开始",
        "submitted": "已提交",
        "completion_rate": "完成率",
        "rates_title": "邀请与回复率",
        "rates_help": "依据 AAPOR《标准定义》（第 10 版，2023）：RR1 只计完整答卷，RR2 计完整与部分答卷，COOP1 为已接触者中的完成比例。被抑制和待发送的邀请不计入任何比率。",
        "rates_group": "分组",
        "rates_all": "全部邀请",
        "inv_invited": "邀请",
        "inv_suppressed": "已抑制",
        "inv_sent": "已发送",
        "inv_failed": "发送失败",
        "inv_opened": "已打开",
        "inv_completed": "已完成",
        "inv_opted_out": "已退订",
        "median_duration": "作答时长中位数",
        "by_field": "按{field}统计的答卷",
        "unknown_units": "组织架构中没有的代码",
        "unknown_units_help": "这些答卷计入问卷总数，但不属于任何单位：请把这些代码加入组织架构文件（surveykit org import）。",
        "value": "取值",
        "count": "数量",
        "missing": "（无）",
        "report": "报告",
        "open_report": "查看报告",
        "report_needs_data": "至少需要三份答卷才能生成报告。",
        "download": "下载答卷数据",
        "format_csv": "CSV（Excel，UTF-8）",
        "format_xlsx": "Excel 工作簿（含编码手册）",
        "format_sav": "SPSS（.sav，含标签）",
        "format_dta": "Stata（.dta，含标签）",
        "format_parquet": "Parquet",
        "respondent_link": "答题链接",
        "contacts_title": "含联系人信息的答卷",
        "contacts_help": "仅限管理员。下载文件中加入每位受访者的客户编号、姓名、电子邮箱和电话。每次此类下载都会记入审计日志：谁、何时、哪份问卷、多少行（surveykit audit-log）。",
        "contacts_confirm": "包含联系人信息；我有权接收这些数据，并知悉本次下载将被记录",
        "contacts_button": "下载（含联系人信息）",
        "contacts_format": "格式",
        "no_surveys": "尚未加载问卷。请在启动服务器时指定问卷文件。",
        "minutes": "{m} 分钟",
        "seconds": "{s} 秒",
        "none": "–",
        "cases": "回访案件",
        "case_n": "案件 #{n}",
        "state": "状态",
        "opened": "创建时间",
        "first_contact_due": "首次联系期限",
        "overdue": "已超时",
        "late_contact": "联系晚于期限",
        "any": "不限",
        "all_states": "全部",
        "filter": "筛选",
        "yes": "是",
        "no": "否",
        "no_cases": "没有符合条件的案件。",
        "n_cases": "共 {n} 个案件",
        "showing_first": "仅显示最紧急的 {n} 个案件；请缩小筛选范围查看其余案件。",
        "download_cases": "下载这些案件",
        "format_json": "JSON",
        "format_case_json": "下载此案件（JSON）",
        "customer_comments": "客户填写的意见",
        "customer_answers": "全部回答",
        "response_meta": "作答时间 {when}（{lang}）",
        "history": "处理记录",
        "when": "时间",
        "who": "操作人",
        "what": "事项",
        "note": "备注",
        "move_on": "下一步",
        "move_to": "推进到：{state}",
        "close_without_action": "不处理关闭",
        "close_reason": "原因（必填）",
        "note_optional": "备注（选填）",
        "note_solution": "商定的解决方案（必填）",
        "note_evaluation": "实施情况与评价（必填）",
        "choose": "请选择…",
        "responsible_department": "责任部门",
        "add_note": "添加备注",
        "contact_made": "已与客户联系（记录为首次联系）",
        "save_note": "保存备注",
        "win_back": "挽回回访",
        "send_recovery": "生成回访问卷链接",
        "recovery_link_once": "请把这个一次性链接发给客户。链接只显示这一次：",
        "recovery_sent": "已于 {when} 发送回访问卷，客户尚未回答。",
        "recovery_result": "客户已回答回访问卷：{score} / {points}，{verdict}。",
        "recovered": "已挽回",
        "not_recovered": "未挽回",
        "recovery_after_close": "案件关闭后，可以给客户发送只有一个问题的回访问卷。",
        "recovery_not_served": "本站点没有提供回访问卷，无法生成链接。",
        "notifications": "通知",
        "case_changed": "此案件刚刚被他人更新，以下是最新状态。",
        "ev_opened": "由规则创建",
        "ev_moved": "{from_state} → {to_state}",
        "ev_contact": "联系客户",
        "ev_note": "备注",
        "ev_recovery_sent": "已发送回访问卷",
        "ev_recovery_answered": "客户已回答回访问卷",
        "msg_pending": "等待发送",
        "msg_sent": "已发送给 {to}",
        "msg_failed": "发送失败",
        "kind_new_case": "新案件",
        "kind_overdue": "超时提醒",
        "final_state": "此案件已关闭。",
        "err_not_allowed": "案件当前状态下不能执行这一步。",
        "err_closed": "此案件已关闭，不能再推进。",
        "err_unknown_state": "请选择存在的步骤。",
        "err_reason_required": "请填写不处理关闭的原因。",
        "err_department_required": "请选择责任部门。",
        "err_root_cause_required": f"请选择{term('root_cause', 'zh')}。",
        "err_note_required": "请填写备注。",
        "err_note_invalid": "备注过长或含有无法保存的字符。",
        "err_department_not_yours": "只有管理员可以把案件交给其他部门。",
        "err_department_now": "责任部门在分派时选择。",
    },
}
# UI keys whose wording is a domain term (surveykit.terms), by the term's name: the case pages
# and the Kano badges say what the report says.
_TERM_KEYS = {
    "if_offered": "kano_functional",
    "if_not_offered": "kano_dysfunctional",
    "prio_low": "priority_low",
    "prio_normal": "priority_normal",
    "prio_high": "priority_high",
    "prio_urgent": "priority_urgent",
    "priority": "priority",
    "dealer": "dealer",
    "department": "department",
    "rule": "alert_rule",
    "first_contact": "first_contact",
    "ev_overdue": "first_contact_overdue",
    "active": "case_active",
    "closed": "case_closed",
    "root_cause": "root_cause",
    "case": "case",
    "case_board": "follow_up_cases",
}
MESSAGES: dict[str, dict[str, str]] = {
    lang: {key: term(concept, lang) for key, concept in _TERM_KEYS.items()} | own for lang, own in _OWN.items()
}


def translate(key: str, lang: str, **values: object) -> str:
    """The UI string ``key`` in ``lang``; a questionnaire's third language takes the nearest (zh or en).

    ``zh-Hant`` gets the Chinese wording in Traditional characters, other languages the
    English (:func:`surveykit.languages.builtin`); a key missing in zh falls back to English.
    """
    base = builtin_language(lang)
    text = MESSAGES.get(base, MESSAGES["en"]).get(key) or MESSAGES["en"][key]
    if base != lang:
        text = builtin(text, lang)
    return text.format(**values) if values else text


def language_name(code: str) -> str:
    """The language's name in itself, for the language switch (Babel's for a third language)."""
    return LANGUAGE_NAMES.get(code) or own_name(code)


@lru_cache(maxsize=256)
def _lang_script(tag: str) -> tuple[str, str | None]:
    """(language, script) of a BCP 47 tag, the script completed from CLDR's likely subtags.

    ``zh-CN``, ``zh-SG`` and ``zh`` give Hans, ``zh-TW`` and ``zh-HK`` Hant, ``en`` Latn.
    """
    language, territory, script = parse_locale(tag.replace("-", "_"))[:3]
    if script is None:
        likely = get_global("likely_subtags")
        found = (likely.get(f"{language}_{territory}") if territory else None) or likely.get(language)
        script = parse_locale(found)[2] if found else None
    return language, script


def negotiate(header: str | None, available: Iterable[str], default: str) -> str:
    """The best of ``available`` (our keys, ``zh``/``en``) for an Accept-Language header.

    Exact language and script first (``zh-CN``, ``zh-SG``, ``zh-Hans-CN`` and bare ``zh``
    all mean Simplified Chinese, ``zh``), then the same language in another script
    (``zh-TW`` when only ``zh`` is offered), then ``default``.  Werkzeug's
    ``best_match`` picks ``en`` for a typical Chinese browser and is not used.
    """
    avail = [key for key in available if key in _KEY_SCRIPT or LANGUAGE_TAG.match(key)]
    if not header or not avail:
        return default
    accepted: list[tuple[str, str | None]] = []
    for value, quality in parse_accept_header(header[:_MAX_HEADER], LanguageAccept):
        if value == "*" or quality <= 0 or len(value) > 35:
            continue
        try:
            accepted.append(_lang_script(value))
        except (ValueError, TypeError):
            continue
    for pair in accepted:
        for key in avail:
            if _key_script(key) == pair:
                return key
    for language, _script in accepted:
        for key in avail:
            if _key_script(key)[0] == language:
                return key
    return default


def _key_script(key: str) -> tuple[str, str | None]:
    """(language, script) of one of our keys: zh is Simplified Chinese; a declared tag as CLDR completes it."""
    return _KEY_SCRIPT.get(key) or _lang_script(key)


# the choice for an Accept-Language header: browsers send a few strings over and over, and parsing
# one costs more than the rest of the choice; bounded, since the header is the client's
_negotiated = lru_cache(maxsize=256)(negotiate)


def choose_language(available: tuple[str, ...], default: str | None = None) -> str:
    """The language of this request: ``?lang=`` (remembered), the remembered choice,
    Accept-Language, then ``default`` (the questionnaire's first language)."""
    default = default or (available[0] if available else "en")
    wanted = request.args.get("lang")
    if wanted in available:
        return wanted
    remembered = session.get("lang")
    if remembered in available:
        return remembered
    return _negotiated(request.headers.get("Accept-Language"), available, default)


def current_language() -> str:
    """The language set for this request (UI languages outside a survey)."""
    lang = g.get("lang")
    if lang is None:
        lang = choose_language(UI_LANGUAGES, "en")
        g.lang = lang
    return lang


def babel_locale() -> str:
    """Flask-Babel's locale selector, so that WTForms' messages follow the page."""
    lang = current_language()
    return BABEL_LOCALE.get(lang) or lang.replace("-", "_")
