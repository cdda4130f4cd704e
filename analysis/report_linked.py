"""The report sections of the surveys that sit beside the customer surveys: process audits and the employee survey.

Each reads its own responses and, when a customer survey of the same dealers is given, sets its
unit figures beside the customers' (:mod:`analysis.audit`, :mod:`analysis.employee`). The keys of
the returned mapping are the template's: ``audit``, ``audit_link``, ``employee``, ``employee_link``,
``employee_department_link`` (None when absent). The last is ES against CS by dealer and department
(:func:`analysis.employee.department_link`) over the customer surveys the ES department field links
(``linked``, else the one customer survey given).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis import employee, report_audit, report_employee
from analysis.audit import checklists, compliance, csi_link, linkable
from surveykit.model import Questionnaire
from surveykit.scenario import satisfaction_question


def sections(
    q: Questionnaire,
    responses: pd.DataFrame | None,
    customers: tuple[Questionnaire, pd.DataFrame] | None,
    lang: str,
    charts: Any,
    linked: tuple[tuple[Questionnaire, pd.DataFrame], ...] = (),
) -> dict[str, Any]:
    """The template context of the audit and employee sections (each None when it does not apply)."""
    out: dict[str, Any] = {
        "audit": None,
        "audit_link": None,
        "employee": None,
        "employee_link": None,
        "employee_department_link": None,
    }
    if responses is None or not len(responses):
        return out
    has_customers = customers is not None and len(customers[1]) > 0
    if checklists(q):
        out["audit"] = report_audit.section(q, compliance(q, responses), lang, charts)
        if customers is not None and has_customers and linkable(q, customers[0]):
            link = csi_link(q, responses, customers[0], customers[1])
            out["audit_link"] = report_audit.link_section(q, customers[0], link, lang, charts)
    if q.anonymous is not None and employee.has_index(q):
        out["employee"] = report_employee.section(q, employee.summarise(q, responses), lang, charts)
        if customers is not None and has_customers and satisfaction_question(customers[0]) is not None:
            es_cs = employee.cs_link(q, responses, customers[0], customers[1])
            out["employee_link"] = report_employee.link_section(q, customers[0], es_cs, lang, charts)
        surveys = [p for p in (linked or ((customers,) if customers is not None else ())) if len(p[1])]
        by_department = employee.department_link(q, responses, surveys) if surveys else None
        if by_department is not None:
            used = [cs for cs, _df in surveys if any(k.survey == cs.survey for f in q.fields for k in f.links)]
            out["employee_department_link"] = report_employee.department_section(q, used, by_department, lang, charts)
    return out
