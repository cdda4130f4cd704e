"""The audit planner on the web: plan spot checks and mystery shops, draw random ones, follow them up.

``/admin/plans/`` is one page for everyone who may see audits (:mod:`webform.scope`): an auditor
sees their assignments (theirs and the unassigned ones of their units) by due date, overdue first
marked, each with a button that opens the audit form; an admin or manager sees every plan of their
units, the completion by dealer and the forms to plan one audit or to draw random spot checks
(:func:`surveykit.audit_plan.sample_units`: stratified by region, seeded, leaving out the dealers
audited in the last K days). A unit or plan outside the user's units is a 404, as for one that
does not exist.

Opening an assignment (a POST: it makes the plan's invitation, :func:`surveykit.audit_plan.open_plan`)
leads to the audit form at ``/s/<survey>?t=...`` with the dealer filled in and, in the shipped
instruments, covert or open already answered, so a covert audit asks the visit's date and time at
once. The response is linked to the plan through that invitation, and the plan is done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from surveykit import audit_plan, org
from webform import db, scope
from webform.admin_pages import language_context, render_page
from webform.errors import fail

bp = Blueprint("audits", __name__, url_prefix="/admin/plans")
bp.before_request(language_context)
PLANNERS = frozenset({"admin", "manager"})
AUDITORS = frozenset({"admin", "auditor"})
MAX_DRAW = 500

WORDS = {
    "en": {
        "title": "Audit plans",
        "mine": "My audits",
        "completion": "Completion by dealer",
        "plans": "Plans",
        "new": "Plan an audit",
        "draw": "Random spot checks",
        "survey": "Audit",
        "unit": "Dealer",
        "kind": "Kind",
        "covert": "Mystery shop (covert)",
        "open": "Spot check (open)",
        "from": "From (optional)",
        "due": "Due by",
        "auditor": "Auditor (optional)",
        "wave": "Wave (optional)",
        "status": "Status",
        "planned": "Planned",
        "done": "Done",
        "overdue": "Overdue",
        "cancelled": "Cancelled",
        "rate": "Completion",
        "start": "Open the audit form",
        "evidence": "See the audit",
        "cancel": "Cancel",
        "save": "Plan it",
        "count": "How many dealers",
        "seed": "Seed (the same seed draws the same dealers)",
        "region": "Within (optional)",
        "all": "All my units",
        "exclude": "Leave out dealers audited in the last N days",
        "drawn": "Dealers drawn and planned",
        "none_drawn": "No dealer was left to draw.",
        "saved": "The audit is planned.",
        "cancelled_msg": "The plan is cancelled.",
        "fix": "Please correct the fields marked below.",
        "required": "Fill this in.",
        "bad_date": "Give a date (YYYY-MM-DD).",
        "bad_number": "Give a whole number.",
        "no_plans": "No audits planned.",
        "when": "Window",
    },
    "zh": {
        "title": "检查计划",
        "mine": "我的检查任务",
        "completion": "各经销商完成情况",
        "plans": "计划列表",
        "new": "安排一次检查",
        "draw": "随机抽查",
        "survey": "检查表",
        "unit": "经销商",
        "kind": "方式",
        "covert": "暗访（神秘顾客）",
        "open": "现场抽查（公开）",
        "from": "开始日期（可选）",
        "due": "截止日期",
        "auditor": "检查员（可选）",
        "wave": "批次（可选）",
        "status": "状态",
        "planned": "待检查",
        "done": "已完成",
        "overdue": "已逾期",
        "cancelled": "已取消",
        "rate": "完成率",
        "start": "打开检查表",
        "evidence": "查看检查记录",
        "cancel": "取消",
        "save": "保存计划",
        "count": "抽取经销商数",
        "seed": "随机种子（相同种子抽取结果相同）",
        "region": "范围（可选）",
        "all": "我负责的全部单位",
        "exclude": "排除最近 N 天内已检查的经销商",
        "drawn": "已抽取并安排的经销商",
        "none_drawn": "没有可抽取的经销商。",
        "saved": "检查已安排。",
        "cancelled_msg": "计划已取消。",
        "fix": "请更正下面标出的字段。",
        "required": "请填写此项。",
        "bad_date": "请填写日期（YYYY-MM-DD）。",
        "bad_number": "请填写整数。",
        "no_plans": "暂无检查计划。",
        "when": "时间窗口",
    },
}
_FIELD_OF = {"survey": "survey", "unit": "unit", "kind": "kind", "from": "from", "due": "due", "auditor": "auditor"}


def _words() -> dict[str, str]:
    return WORDS.get(g.lang, WORDS["en"])


def _instruments() -> dict[str, Any]:
    """The audit instruments the app serves, by survey id."""
    return {sid: q for sid, (q, _) in db.registry().current.items() if audit_plan.is_audit(q)}


def _tree() -> org.OrgTree:
    return org.load_tree(db.engine())


def _unit_choices(tree: org.OrgTree) -> list[tuple[str, str]]:
    """The dealers (and branches) the user may plan for, as (code, name)."""
    units = scope.units()
    return [
        (u.id, tree.name(u.id, g.lang))
        for u in tree
        if u.level in ("dealer", "branch") and (units is None or u.id in units)
    ]


def _region_choices(tree: org.OrgTree) -> list[tuple[str, str]]:
    units = scope.units()
    return [
        (u.id, tree.name(u.id, g.lang))
        for u in tree
        if u.level not in ("dealer", "branch") and (units is None or u.id in units)
    ]


def _plan_rows(plans: list[audit_plan.Plan], tree: org.OrgTree) -> list[dict[str, Any]]:
    w, instruments = _words(), _instruments()
    return [
        {
            "id": p.id,
            "survey": instruments[p.survey].title.best(g.lang) if p.survey in instruments else p.survey,
            "unit": tree.name(p.unit, g.lang),
            "kind": w[p.kind] if p.kind in w else p.kind,
            "window": f"{p.window_from} – {p.due}" if p.window_from else str(p.due),
            "auditor": p.auditor or "",
            "wave": p.wave or "",
            "status": p.status,
            "status_text": w[p.status],
            "can_start": p.status in ("planned", "overdue") and p.survey in instruments,
            "audit_url": url_for("evidence.audit", survey_id=p.survey, response_id=p.response_id)
            if p.response_id
            else None,
        }
        for p in plans
    ]


def _render(status: int = 200, **extra: Any) -> BaseResponse:
    w, tree, user = _words(), _tree(), g.admin
    today = dt.date.today()
    if user.role == "auditor":
        plans = audit_plan.list_plans(db.engine(), today=today, units=scope.units(), auditor=user.name)
        plans = [p for p in plans if p.status != "cancelled"]
    else:
        plans = audit_plan.list_plans(db.engine(), today=today, units=scope.units())
    completion = [
        {
            "unit": tree.name(c.unit, g.lang),
            "planned": c.planned,
            "done": c.done,
            "overdue": c.overdue,
            "cancelled": c.cancelled,
            "rate": "–" if c.rate is None else f"{c.rate:.0%}",
        }
        for c in audit_plan.completion(plans)
    ]
    context: dict[str, Any] = {
        "w": w,
        "title": w["mine"] if user.role == "auditor" else w["title"],
        "plans": _plan_rows(plans, tree),
        "completion": completion if user.role != "auditor" else [],
        "can_plan": user.role in PLANNERS,
        "can_start": user.role in AUDITORS,
        "instruments": [(sid, q.title.best(g.lang)) for sid, q in sorted(_instruments().items())],
        "units": _unit_choices(tree),
        "regions": [("", w["all"]), *_region_choices(tree)],
        "errors": {},
        "values": {},
        "draw_errors": {},
        "draw_values": {},
        "today": today.isoformat(),
    }
    context.update(extra)
    return render_page("admin/plans.html", status=status, **context)


@bp.get("/")
def index() -> BaseResponse:
    """The plans of the user's units (an auditor: their assignments) and, for planners, the forms."""
    notice = {"saved": "saved", "cancelled": "cancelled_msg"}.get(request.args.get("done", ""))
    return _render(notice=_words()[notice] if notice else None)


def _date_field(name: str, errors: dict[str, str], *, required: bool) -> dt.date | None:
    value = request.form.get(name, "").strip()
    if not value:
        if required:
            errors[name] = _words()["required"]
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = _words()["bad_date"]
        return None


def _refused(errors: dict[str, str], values: dict[str, str], form: str) -> BaseResponse:
    key = "errors" if form == "plan" else "draw_errors"
    return _render(400, **{key: errors, ("values" if form == "plan" else "draw_values"): values, "fix": True})


@bp.post("/")
def create() -> BaseResponse:
    """Plan one audit from the form; a field to fix gives 400 with the form as filled and nothing stored."""
    w = _words()
    values = {
        name: request.form.get(name, "").strip()
        for name in ("survey", "unit", "kind", "from", "due", "auditor", "wave")
    }
    errors: dict[str, str] = {}
    units = scope.units()
    if values["unit"] and units is not None and values["unit"] not in units:
        fail(404)  # a unit outside the user's scope: as if it did not exist
    for name in ("survey", "unit", "kind"):
        if not values[name]:
            errors[name] = w["required"]
    window_from = _date_field("from", errors, required=False)
    due = _date_field("due", errors, required=True)
    if errors or due is None:
        return _refused(errors, values, "plan")
    request_ = audit_plan.PlanRequest(
        values["survey"],
        values["unit"],
        values["kind"],
        due,
        window_from,
        values["auditor"] or None,
        values["wave"] or None,
    )
    try:
        audit_plan.create_plans(
            db.engine(), [request_], created_by=g.admin.name, instruments=_instruments(), units=units
        )
    except audit_plan.PlanError as exc:
        return _refused({_FIELD_OF.get(name, "survey"): message for _, name, message in exc.problems}, values, "plan")
    return redirect(url_for(".index", done="saved"), 303)


@bp.post("/draw")
def draw() -> BaseResponse:
    """Random spot checks: N dealers of the chosen region (or the user's units), stratified and seeded."""
    w = _words()
    names = ("survey", "region", "count", "seed", "exclude", "kind", "from", "due", "wave")
    values = {name: request.form.get(name, "").strip() for name in names}
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name, low, high in (("count", 1, MAX_DRAW), ("seed", 0, 2**31 - 1), ("exclude", 0, 3660)):
        try:
            numbers[name] = int(values[name])
            if not low <= numbers[name] <= high:
                raise ValueError
        except ValueError:
            errors[name] = f"{w['bad_number']} ({low}–{high})"
    if values["survey"] not in _instruments():
        errors["survey"] = w["required"]
    if values["kind"] not in audit_plan.KINDS:
        errors["kind"] = w["required"]
    window_from = _date_field("from", errors, required=False)
    due = _date_field("due", errors, required=True)
    units = scope.units()
    if values["region"] and units is not None and values["region"] not in units:
        fail(404)  # a unit outside the user's scope: as if it did not exist
    if errors or due is None:
        return _refused(errors, values, "draw")
    tree = _tree()
    within = tree.subtree(values["region"]) if values["region"] else units
    strata = audit_plan.unit_strata(tree, within)
    today = dt.date.today()
    since = dt.datetime.combine(today - dt.timedelta(days=numbers["exclude"]), dt.time())
    recent = audit_plan.recently_audited(db.engine(), values["survey"], since=since, today=today)
    picked = audit_plan.sample_units(strata, numbers["count"], seed=numbers["seed"], exclude=recent)
    requests = [
        audit_plan.PlanRequest(values["survey"], unit, values["kind"], due, window_from, None, values["wave"] or None)
        for unit in picked
    ]
    try:
        audit_plan.create_plans(db.engine(), requests, created_by=g.admin.name, instruments=_instruments(), units=units)
    except audit_plan.PlanError as exc:
        return _refused({"survey": exc.problems[0][2]}, values, "draw")
    drawn = [tree.name(unit, g.lang) for unit in picked]
    return _render(drawn=drawn or None, drawn_none=not picked)


def _plan(plan_id: str) -> audit_plan.Plan:
    """The plan, or 404 (also for one outside the user's units, or an auditor's plan assigned to another)."""
    if not plan_id.isdigit() or len(plan_id) > 12:
        fail(404)
    user = g.admin
    found = audit_plan.list_plans(
        db.engine(),
        today=dt.date.today(),
        units=scope.units(),
        plan_id=int(plan_id),
        auditor=user.name if user.role == "auditor" else None,
    )
    if not found:
        fail(404)
    return found[0]


@bp.post("/<plan_id>/cancel")
def cancel(plan_id: str) -> BaseResponse:
    plan = _plan(plan_id)
    if not audit_plan.cancel_plan(db.engine(), plan.id):
        fail(409)
    return redirect(url_for(".index", done="cancelled"), 303)


@bp.post("/<plan_id>/start")
def start(plan_id: str) -> BaseResponse:
    """Open the plan's audit form (a new link each time; the draft goes on where it was left)."""
    plan = _plan(plan_id)
    entry = db.registry().survey(plan.survey)
    if entry is None or plan.status in ("done", "cancelled"):
        fail(409)
    token = audit_plan.open_plan(
        db.engine(), plan, entry[0], language=g.lang if g.lang in entry[0].languages else entry[0].languages[0]
    )
    return redirect(url_for("survey.start", survey_id=plan.survey, t=token), 303)
