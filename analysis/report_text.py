"""The report's fixed wording in Chinese and English, and its methods appendix.

Survey content (titles, item labels) comes from the questionnaire; only the
report's own headings, explanations and the methods appendix live here.  Domain
terms (NPS groups, Kano categories, the loyalty matrix...) come from
:mod:`surveykit.terms`, so the tables say what the charts say.
"""

from __future__ import annotations

from surveykit.terms import term

# Report keys whose wording is a domain term (surveykit.terms), by the term's name.
_TERM_KEYS = {
    "dimension": "dimension",
    "servqual": "servqual",
    "expectation": "expectation",
    "perception": "perception",
    "ipa": "ipa",
    "importance": "importance",
    "performance": "performance",
    "kano": "kano",
    "better": "better",
    "worse": "worse",
    "nps": "nps",
    "promoters": "promoters",
    "passives": "passives",
    "detractors": "detractors",
    "loyalty_matrix": "loyalty_matrix",
    "loyalists": "loyalists",
    "mercenaries": "mercenaries",
    "hostages": "hostages",
    "defectors": "defectors",
    "segments": "unit_comparison",
    "wave": "wave",
    "satisfaction": "overall_satisfaction",
    "top2": "top2",
    "scoring": "self_test",
    "active": "case_active",
    "overdue": "first_contact_overdue",
    "rule": "alert_rule",
    "department": "department",
    "closed": "case_closed",
    "weighting": "weighting",
    "weight": "weight",
    "weighted_estimate": "weighted_estimate",
    "unweighted_estimate": "unweighted_estimate",
    "deff": "design_effect",
    "n_eff": "effective_n",
    "efficiency": "weighting_efficiency",
    "funnel": "funnel_plot",
}


def _zh(concept: str) -> str:
    return term(concept, "zh")


def _en(concept: str) -> str:
    return term(concept, "en")


_OWN: dict[str, dict[str, str]] = {
    "zh": {
        "report": "满意度调查报告",
        "priorities": "改进重点",
        "no_priorities": "结果中没有需要优先改进的明显问题。",
        "sample": "样本与答卷质量",
        "rates": "邀请与回复率（AAPOR 标准定义，第 10 版）",
        "rates_funnel": "邀请 {invited}，已抑制 {suppressed}，已发送 {sent}，发送失败 {failed}，已打开 {opened}，已开始 {started}，已完成 {completed}，已退订 {opted_out}",
        "responses": "答卷总数",
        "analysed": "纳入分析",
        "excluded": "剔除",
        "straightlining": "所有量表题作答完全相同",
        "speeder": "作答时间不足中位数的三分之一",
        "duplicate_answers": "答案与另一份答卷完全重复",
        "reliability": "信度",
        "items": "题数",
        "alpha": "Cronbach α",
        "ci": "95% 置信区间",
        "omega": "ω（总）",
        "gap": f"{_zh('gap')}（{_zh('gap_formula')}）",
        "item": "项目",
        "weighted": "加权 SERVQUAL 得分",
        "unweighted": "未加权 SERVQUAL 得分",
        "servperf": f"SERVPERF（{_zh('perception')}均值）",
        "quadrant": "象限",
        "derived": f"推导{_zh('importance')}（相对权重）",
        "category": "类别",
        "waves": f"各{_zh('wave')}{_zh('satisfaction_index')}",
        "index": f"{_zh('satisfaction_index')}（0–100）",
        "percent": "占满分比例",
        "band": "等级",
        "score": "平均得分",
        "maximum": "满分",
        "frequencies": "选择题分布",
        "count": "人数",
        "methods": "方法说明",
        "reproducibility": "可重复性",
        "questionnaire_hash": "问卷哈希",
        "data_hash": "数据哈希",
        "version": "软件版本",
        "filters": "筛选条件",
        "filters_line": "{source}，问卷 {survey}；剔除：{excluded}",
        "database": "数据库",
        "seed": "随机种子",
        "none": "无",
        "n": "样本量",
        "mean": "均值",
        "p": "p 值",
        "z": "z 值",
        "p_ipa": f"{_zh('importance')}高而{_zh('performance')}低：{{label}}（{_zh('importance')} {{importance:.2f}}，"
        f"{_zh('performance')} {{performance:.2f}}，低于{_zh('performance')}中线 {{crosshair_performance:.2f}}）",
        "p_servqual": f"服务{_zh('gap')}显著：{{label}}（{_zh('gap')} {{gap:+.2f}}，"
        "95% CI [{ci_low:+.2f}, {ci_high:+.2f}]，"
        f"{_zh('expectation')} {{mean_E:.2f}}，{_zh('perception')} {{mean_P:.2f}}）",
        "p_kano": f"{_zh('kano_M')}：{{label}}（{{pct_M:.0f}}% 的顾客视为理所当然，Worse {{worse:.2f}}）——做不到就会引起不满",
        "p_penalty": "基本因素拖累满意度：{label}（低分惩罚 {penalty:+.2f}，p = {penalty_p:.3f}）",
        "p_funnel": f"{{label}} 的{_zh('satisfaction_index')} {{index:.1f}} 低于 99.8% 控制下限 {{lower_99_8:.1f}}（n = {{n}}）",
        "p_comment": "评论提到“{label}”的顾客满意度更低（均值 {mean_with:.2f}，未提到者 {mean_without:.2f}，"
        "n = {n_with}，Holm 校正 p = {p_holm:.3f}）",
        "p_gap1_under": "管理者和员工低估了客户对“{label}”的期望（差距一 {gap:+.2f}，95% CI [{ci_low:+.2f}, {ci_high:+.2f}]，"
        "员工认为 {staff:.2f}，客户实际期望 {customers:.2f}）",
        "p_gap1_over": "管理者和员工高估了客户对“{label}”的期望（差距一 {gap:+.2f}，95% CI [{ci_low:+.2f}, {ci_high:+.2f}]，"
        "员工认为 {staff:.2f}，客户实际期望 {customers:.2f}）",
        "p_gap1_role_under": "{group}低估了客户对“{label}”的期望（差距一 {gap:+.2f}，95% CI [{ci_low:+.2f}, {ci_high:+.2f}]，"
        "{group}认为 {staff:.2f}，客户实际期望 {customers:.2f}）",
        "p_gap1_role_over": "{group}高估了客户对“{label}”的期望（差距一 {gap:+.2f}，95% CI [{ci_low:+.2f}, {ci_high:+.2f}]，"
        "{group}认为 {staff:.2f}，客户实际期望 {customers:.2f}）",
        "position_within": "正常范围内",
        "position_below": "低于控制限",
        "position_above": "高于控制限",
        "excluded_none": "没有剔除任何答卷。",
        "notes": "未能计算的部分",
        "pareto": f"{_zh('lost_reasons')}（{_zh('pareto_chart')}）",
        "recovery": f"服务补救：不满意客户的{_zh('follow_up_cases')}",
        "cases": f"{_zh('case')}数",
        "contact_median": f"{_zh('first_contact')}用时（中位数）",
        "on_time": f"按期{_zh('first_contact')}",
        "close_median": "结案用时（中位数）",
        "recovered": "挽回率",
        "recovered_detail": "{k} / {n} 份回访问卷表示满意，95% CI {ci}；已发送 {sent} 份",
        "by_cause": f"按{_zh('alert_rule')}",
        "by_root_cause": f"按{_zh('root_cause')}",
        "by_department": f"按{_zh('department')}",
        "hours": "{h:.1f} 小时",
        "root_causes": f"{_zh('root_cause')}（{_zh('pareto_chart')}）",
        "lost_reasons": f"{_zh('lost_reasons')}（老客户回访调查）",
        "not_contacted": f"{{n}} 个{_zh('case')}尚未联系客户",
        "recovery_note": f"{_zh('first_contact')}：记录与客户联系或核实投诉的时间；按期：在规则规定的时限内；"
        "挽回：结案后的回访问卷中选择前两级满意。",
        "lost_note": "提及次数：一位客户可以选择多个原因（n = {n} 位客户）。",
        "pareto_weighted": "加权提及次数：各原因的加权比例 × 作答人数（{n} 人），取整；一位客户可以选择多个原因。",
        "segments_wald": "{field}：Wald χ² = {x2}（自由度 {df}；F 检验自由度 {df}, {df2}），{p}（加权均值）",
        "raking": "迭代比例拟合（raking）",
        "poststratification": "事后分层",
        "weighting_target": "目标：按 {margins} 的总体分布{method}，总体规模 {total}；来源 {source}",
        "margin": "边际",
        "cell": "单元",
        "target_share": "目标比例",
        "unweighted_share": "样本比例",
        "weighted_share": "加权后比例",
        "estimate": "指标",
        "differs": "差异超出置信区间",
        "trimmed": "权重截断至 [{lower}, {upper}]：{n} 个权重",
        "kpi_weighted": "以下数字及各部分的估计均已加权（有效样本量 {n_eff}，共 {n} 份）；未加权结果并列于",
        "weighted_results": "加权结果（与未加权并列）",
        "change": "较上一期变化",
        "position": "位置",
        "derived_importance": f"推导{_zh('importance')}",
        "penalty_reward": "惩罚–奖励分析",
    },
    "en": {
        "report": "Customer satisfaction report",
        "priorities": "Improvement priorities",
        "no_priorities": "No pressing improvement stands out in these results.",
        "sample": "Sample and response quality",
        "rates": "Invitations and response rates (AAPOR Standard Definitions, 10th ed.)",
        "rates_funnel": "invited {invited}, suppressed {suppressed}, sent {sent}, failed {failed}, opened {opened}, started {started}, completed {completed}, opted out {opted_out}",
        "responses": "Responses",
        "analysed": "Analysed",
        "excluded": "Excluded",
        "straightlining": "same answer throughout every rating battery",
        "speeder": "faster than a third of the median time",
        "duplicate_answers": "answers identical to another response",
        "reliability": "Reliability",
        "items": "Items",
        "alpha": "Cronbach's α",
        "ci": "95 % CI",
        "omega": "ω total",
        "gap": f"{_en('gap')} ({_en('gap_formula')})",
        "item": "Item",
        "weighted": "Weighted SERVQUAL score",
        "unweighted": "Unweighted SERVQUAL score",
        "servperf": f"SERVPERF (mean {_en('perception').lower()})",
        "quadrant": "Quadrant",
        "derived": f"Derived {_en('importance').lower()} (relative weights)",
        "category": "Category",
        "waves": f"{_en('satisfaction_index')} over waves",
        "index": f"{_en('satisfaction_index')} (0–100)",
        "percent": "Percent of maximum",
        "band": "Band",
        "score": "Mean score",
        "maximum": "Maximum",
        "frequencies": "Answers to choice questions",
        "count": "Count",
        "methods": "Methods",
        "reproducibility": "Reproducibility",
        "questionnaire_hash": "Questionnaire hash",
        "data_hash": "Data hash",
        "version": "Package version",
        "filters": "Filters",
        "filters_line": "{source}, survey {survey}; excluded: {excluded}",
        "database": "database",
        "seed": "Seed",
        "none": "none",
        "n": "n",
        "mean": "Mean",
        "p": "p",
        "z": "z",
        "p_ipa": "High importance, low performance: {label} (importance {importance:.2f}, performance {performance:.2f}, below the crosshair {crosshair_performance:.2f})",
        "p_servqual": "Significant service gap: {label} (gap {gap:+.2f}, 95 % CI [{ci_low:+.2f}, {ci_high:+.2f}], expected {mean_E:.2f}, perceived {mean_P:.2f})",
        "p_kano": f"{_en('kano_M')} requirement: {{label}} ({{pct_M:.0f}} % take it for granted, Worse {{worse:.2f}}) — missing it causes dissatisfaction",
        "p_penalty": "Basic factor pulling satisfaction down: {label} (penalty {penalty:+.2f}, p = {penalty_p:.3f})",
        "p_funnel": f"{{label}}: {_en('satisfaction_index').lower()} {{index:.1f}} below the 99.8 % control limit {{lower_99_8:.1f}} (n = {{n}})",
        "p_comment": "Comments on {label} go with lower satisfaction (mean {mean_with:.2f} against {mean_without:.2f} "
        "without, n = {n_with}, Holm-adjusted p = {p_holm:.3f})",
        "p_gap1_under": "Managers and staff underestimate what customers expect of {label} (gap 1 {gap:+.2f}, "
        "95 % CI [{ci_low:+.2f}, {ci_high:+.2f}]; staff think {staff:.2f}, customers expect {customers:.2f})",
        "p_gap1_over": "Managers and staff overestimate what customers expect of {label} (gap 1 {gap:+.2f}, "
        "95 % CI [{ci_low:+.2f}, {ci_high:+.2f}]; staff think {staff:.2f}, customers expect {customers:.2f})",
        "p_gap1_role_under": "{group} underestimate what customers expect of {label} (gap 1 {gap:+.2f}, "
        "95 % CI [{ci_low:+.2f}, {ci_high:+.2f}]; they think {staff:.2f}, customers expect {customers:.2f})",
        "p_gap1_role_over": "{group} overestimate what customers expect of {label} (gap 1 {gap:+.2f}, "
        "95 % CI [{ci_low:+.2f}, {ci_high:+.2f}]; they think {staff:.2f}, customers expect {customers:.2f})",
        "position_within": "within limits",
        "position_below": "below the limits",
        "position_above": "above the limits",
        "excluded_none": "No response was excluded.",
        "notes": "Sections not computed",
        "pareto": f"{_en('lost_reasons')} ({_en('pareto_chart')})",
        "recovery": f"Service recovery: {_en('follow_up_cases').lower()} of unhappy customers",
        "cases": "Cases",
        "contact_median": f"Time to {_en('first_contact').lower()} (median)",
        "on_time": f"{_en('first_contact')} on time",
        "close_median": "Time to close (median)",
        "recovered": _en("recovered"),
        "recovered_detail": "{k} of {n} recovery surveys satisfied, 95 % CI {ci}; {sent} sent",
        "by_cause": f"By {_en('alert_rule').lower()}",
        "by_root_cause": f"By {_en('root_cause').lower()}",
        "by_department": f"By {_en('department').lower()}",
        "hours": "{h:.1f} h",
        "root_causes": f"Root causes of complaints ({_en('pareto_chart')})",
        "lost_reasons": f"{_en('lost_reasons')} (lost-customer survey)",
        "not_contacted": "{n} cases without contact yet",
        "recovery_note": "First contact: when a contact with the customer, or the verification of the complaint, was recorded; on time: within the rule's limit; recovered: satisfied (top two levels) in the recovery survey sent after closing.",
        "lost_note": "Mentions: a customer may give several reasons (n = {n} customers).",
        "pareto_weighted": "Weighted mentions: each reason's weighted share × the {n} who answered, rounded; a customer may give several reasons.",
        "segments_wald": "{field}: Wald χ² = {x2} (df {df}; F on {df}, {df2}), {p} (weighted means)",
        "raking": "raking",
        "poststratification": "post-stratification",
        "weighting_target": "Target: {method} to the population distribution of {margins}, "
        "population {total}; from {source}",
        "margin": "Margin",
        "cell": "Cell",
        "target_share": "Target share",
        "unweighted_share": "Sample share",
        "weighted_share": "Weighted share",
        "estimate": "Estimate",
        "differs": "differs by more than the CI",
        "trimmed": "weights trimmed to [{lower}, {upper}]: {n} weight(s)",
        "kpi_weighted": "The figures below and the estimates of the sections that follow are weighted (effective n {n_eff} of {n}); the unweighted ones stand beside them under",
        "weighted_results": "Weighted results (beside the unweighted)",
        "change": "Change from the previous wave",
        "position": "Position",
        "derived_importance": f"Derived {_en('importance').lower()}",
        "penalty_reward": "Penalty-reward analysis",
    },
}
WORDS: dict[str, dict[str, str]] = {
    lang: {key: term(concept, lang) for key, concept in _TERM_KEYS.items()} | own for lang, own in _OWN.items()
}

# (name, formula, reference); names and formulas are shown in both languages alike.
METHODS: list[tuple[str, str, str]] = [
    (
        "Cronbach's α",
        "α = k/(k−1) · (1 − tr C / ΣC); CI after Feldt et al. (1987)",
        "Cronbach, L. J. (1951). Psychometrika, 16(3), 297–334. doi:10.1007/BF02310555",
    ),
    (
        "McDonald's ω",
        "ω_total = 1 − Σu² / ΣR (one-factor minres)",
        "McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.",
    ),
    (
        "SERVQUAL",
        "G = P − E per item; dimension gap = mean of item gaps; weighted = Σ (W_d/100) · gap_d; paired t, Holm",
        "Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). Journal of Retailing, 64(1), 12–40.",
    ),
    (
        "SERVPERF",
        "mean of the perception items",
        "Cronin, J. J., & Taylor, S. A. (1992). Journal of Marketing, 56(3), 55–68.",
    ),
    (
        "Kano",
        "evaluation table; Better = (A+O)/(A+O+M+I); Worse = −(O+M)/(A+O+M+I); Fong's test",
        "Kano, N. et al. (1984); Berger, C. et al. (1993). Center for Quality Management Journal, 2(4), 3–36.",
    ),
    (
        "IPA",
        "quadrants at the mean importance and performance",
        "Martilla, J. A., & James, J. C. (1977). Journal of Marketing, 41(1), 77–79.",
    ),
    (
        "PLS path model",
        "Wold–Lohmöller iteration (Mode A/B; path, centroid or factorial scheme), standardised indicators; "
        "bootstrap SE and t-test p-values (Chin 1998); AVE, ρc, ρA (Dijkstra & Henseler 2015), HTMT",
        "Wold, H. (1982); Lohmöller, J.-B. (1989); Fornell, C. et al. (1996). Journal of Marketing, 60(4), 7–18; "
        "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). JAMS, 43(1), 115–135.",
    ),
    (
        "IPMA",
        "importance = unstandardised total effect on the target; performance = mean 0–100 score; "
        "quadrants at the means",
        "Ringle, C. M., & Sarstedt, M. (2016). Industrial Management & Data Systems, 116(9), 1865–1886.",
    ),
    (
        "Relative weights",
        "ε = (L∘L)(β*∘β*), L = R_xx^½, β* = L⁻¹ r_xy; Σε = R²",
        "Johnson, J. W. (2000). Multivariate Behavioral Research, 35(1), 1–19.",
    ),
    (
        "Penalty–reward",
        "OS regressed on low and high dummies per attribute",
        "Brandt, D. R. (1987). Journal of Marketing Research.",
    ),
    (
        "NPS",
        "100 · (promoters − detractors) / n; adjusted-Wald CI with n' = n + 3",
        "Reichheld, F. F. (2003). Harvard Business Review, 81(12), 46–54; Rocks, B. (2016). MeasuringU.",
    ),
    (
        "Gap 1 (staff mirror)",
        "staff belief − customer expectation per item and dimension; Welch t with Satterthwaite df, Holm",
        "Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1985). Journal of Marketing, 49(4), 41–50; "
        "Welch, B. L. (1947). Biometrika, 34(1–2), 28–35.",
    ),
    (
        "Satisfaction–loyalty matrix",
        "satisfied (top-2-box) × loyal (NPS ≥ 9)",
        "Jones, T. O., & Sasser, W. E. (1995). Harvard Business Review, 73(6), 88–99.",
    ),
    (
        "Funnel plot",
        "index ± z · sd / √n around the overall mean (95 %, 99.8 %)",
        "Spiegelhalter, D. J. (2005). Statistics in Medicine, 24(8), 1185–1202. doi:10.1002/sim.1970",
    ),
    (
        "Satisfaction index",
        "100 · (x − 1) / (k − 1), averaged over respondents; CI by wave",
        "Fornell, C. et al. (1996). Journal of Marketing, 60(4), 7–18.",
    ),
    (
        "Service recovery",
        "time to first contact / to close = event − case opened (medians over the cases that have it); "
        "recovered = top-2-box in the recovery survey, Wilson 95 % CI",
        "Hart, C. W. L., Heskett, J. L., & Sasser, W. E. (1990). Harvard Business Review, 68(4), 148–156; "
        "Wilson, E. B. (1927). JASA, 22(158), 209–212.",
    ),
    (
        "Weighting",
        "raking (IPF) or post-stratification to population margins; deff = n·Σw²/(Σw)², effective n = n/deff, "
        "efficiency = 100/deff; SEs by linearisation with the calibration residuals, normal CIs",
        "Deming, W. E., & Stephan, F. F. (1940). Ann. Math. Stat., 11(4), 427–444; Kish, L. (1965). Survey "
        "Sampling, 11.7; Deville, J.-C., & Särndal, C.-E. (1992). JASA, 87(418), 376–382; Lumley, T. (2010).",
    ),
]
