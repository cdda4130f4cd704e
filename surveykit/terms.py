"""The domain's words in Chinese and English: one word per concept, for every package.

The web form, the report's tables and its charts, and the case pages all name the same
concepts (the NPS groups, the Kano categories, the IPA quadrants, the cells of the
satisfaction-loyalty matrix, the steps of a complaint case...).  When each kept its own
catalogue they drifted apart, so that one report called the passives 中立者 in its table and
被动者 in its chart.  Every catalogue now takes these words from :data:`TERMS`; a catalogue
keeps only wording that is its own (page headings, button labels, explanations).

It lives in ``surveykit`` because all three packages use it and ``surveykit`` is the one they
may all import.  The Chinese wording follows the dealer training material (the seeds) where it
names a concept: 期望 and 感知 (SERVQUAL), 表现 (what customers rate, as in "要求客户评鉴公司的
表现"; 绩效 there means staff appraisal), 满意度 and 忠诚度 (the axes of the loyalty matrix), 魅力
and 必要 for Kano's attractive and must-be requirements (魅力条件, 必要条件), 投诉原因 for the
root cause (责任部门分析投诉原因); elsewhere it takes the established translation of the
method's source.  English words are written as they stand at the start of a label.
"""

from __future__ import annotations

from surveykit.model import Text, text_of

__all__ = ["LANGUAGES", "TERMS", "term"]

LANGUAGES = ("zh", "en")

TERMS: dict[str, Text] = {
    # SERVQUAL: Parasuraman, Zeithaml & Berry (1988); the five dimensions by their generic names.
    "servqual": text_of(zh="SERVQUAL 服务质量差距", en="SERVQUAL service-quality gaps"),
    "expectation": text_of(zh="期望", en="Expectation"),
    "perception": text_of(zh="感知", en="Perception"),
    "gap": text_of(zh="差距", en="Gap"),
    "gap_formula": text_of(zh="感知 − 期望", en="perception − expectation"),
    "dimension": text_of(zh="维度", en="Dimension"),
    "tangibles": text_of(zh="有形性", en="Tangibles"),
    "reliability": text_of(zh="可靠性", en="Reliability"),
    "responsiveness": text_of(zh="响应性", en="Responsiveness"),
    "assurance": text_of(zh="保证性", en="Assurance"),
    "empathy": text_of(zh="移情性", en="Empathy"),
    # Importance-performance analysis: Martilla & James (1977), their quadrant names.
    "ipa": text_of(zh="重要性–表现分析", en="Importance–performance analysis"),
    "importance": text_of(zh="重要性", en="Importance"),
    "performance": text_of(zh="表现", en="Performance"),
    "ipa_concentrate": text_of(zh="重点改进", en="Concentrate here"),
    "ipa_keep": text_of(zh="继续保持", en="Keep up the good work"),
    "ipa_low": text_of(zh="低优先级", en="Low priority"),
    "ipa_overkill": text_of(zh="可能过度投入", en="Possible overkill"),
    # Kano et al. (1984); Berger et al. (1993) for the categories and the Better/Worse coefficients.
    # One-dimensional is 一维 rather than the also-used 期望属性, which would reuse SERVQUAL's 期望.
    "kano": text_of(zh="Kano 需求分类", en="Kano categories"),
    "kano_A": text_of(zh="魅力属性", en="Attractive"),
    "kano_O": text_of(zh="一维属性", en="One-dimensional"),
    "kano_M": text_of(zh="必要属性", en="Must-be"),
    "kano_I": text_of(zh="无差异属性", en="Indifferent"),
    "kano_R": text_of(zh="反向属性", en="Reverse"),
    "kano_Q": text_of(zh="可疑结果", en="Questionable"),
    "kano_functional": text_of(zh="提供时", en="If offered"),
    "kano_dysfunctional": text_of(zh="不提供时", en="If not offered"),
    "better": text_of(zh="满意系数 Better", en="Better"),
    "worse": text_of(zh="不满意系数 Worse", en="Worse"),
    # Loyalty: Reichheld (2003) for the NPS groups, Jones & Sasser (1995) for the matrix.
    "nps": text_of(zh="净推荐值（NPS）", en="Net Promoter Score"),
    "promoters": text_of(zh="推荐者", en="Promoters"),
    "passives": text_of(zh="中立者", en="Passives"),
    "detractors": text_of(zh="贬损者", en="Detractors"),
    "satisfaction": text_of(zh="满意度", en="Satisfaction"),
    "loyalty": text_of(zh="忠诚度", en="Loyalty"),
    "loyalty_matrix": text_of(zh="满意度–忠诚度矩阵", en="Satisfaction–loyalty matrix"),
    "loyalists": text_of(zh="忠诚者", en="Loyalists"),
    "mercenaries": text_of(zh="图利者", en="Mercenaries"),
    "hostages": text_of(zh="人质", en="Hostages"),
    "defectors": text_of(zh="叛离者", en="Defectors"),
    # Satisfaction index, units and waves (Fornell et al. 1996; Spiegelhalter 2005).
    "overall_satisfaction": text_of(zh="总体满意度", en="Overall satisfaction"),
    "satisfaction_index": text_of(zh="满意度指数", en="Satisfaction index"),
    "top2": text_of(zh="前两项比例", en="Top-2-box"),
    "unit_comparison": text_of(zh="经销商/网点比较", en="Dealer and branch comparison"),
    "funnel_plot": text_of(zh="漏斗图", en="Funnel plot"),
    "wave": text_of(zh="轮次", en="Wave"),
    "pareto_chart": text_of(zh="帕累托图", en="Pareto chart"),
    "lost_reasons": text_of(zh="客户流失原因", en="Reasons for leaving"),
    "self_test": text_of(zh="自我测评得分", en="Self-test profile"),
    # Follow-up cases: the steps of the complaint process in the dealer training material
    # (记录投诉内容 → 判断投诉是否成立 → 确定处理投诉的部门 → 责任部门分析投诉原因 → 提出处理方案 →
    # 实施方案并总结评价), and the words around them.
    "case": text_of(zh="案件", en="Case"),
    "follow_up_cases": text_of(zh="回访案件", en="Follow-up cases"),
    "state_open": text_of(zh="已记录，待核实", en="Open"),
    "state_verified": text_of(zh="已核实", en="Verified"),
    "state_assigned": text_of(zh="已分派责任部门", en="Assigned"),
    "state_root_cause_found": text_of(zh="已查明原因", en="Root cause found"),
    "state_solution_agreed": text_of(zh="已商定方案", en="Solution agreed"),
    "state_done_evaluated": text_of(zh="已实施并评价", en="Done and evaluated"),
    "state_closed_without_action": text_of(zh="未处理关闭", en="Closed without action"),
    "case_active": text_of(zh="处理中", en="Active"),
    "case_closed": text_of(zh="已关闭", en="Closed"),
    "priority": text_of(zh="优先级", en="Priority"),
    "priority_low": text_of(zh="低", en="Low"),
    "priority_normal": text_of(zh="普通", en="Normal"),
    "priority_high": text_of(zh="高", en="High"),
    "priority_urgent": text_of(zh="紧急", en="Urgent"),
    "alert_rule": text_of(zh="触发规则", en="Rule"),
    "dealer": text_of(zh="经销商", en="Dealer"),
    "department": text_of(zh="部门", en="Department"),
    "first_contact": text_of(zh="首次联系", en="First contact"),
    "first_contact_overdue": text_of(zh="首次联系超时", en="First contact overdue"),
    "root_cause": text_of(zh="投诉原因", en="Root cause"),
    "recovered": text_of(zh="已挽回", en="Recovered"),
    # The satisfaction-index path model: PLS path modelling (Wold 1982; Fornell et al. 1996 for the
    # ACSI), its measurement quality (Fornell & Larcker 1981; Henseler et al. 2015) and the IPMA
    # (Ringle & Sarstedt 2016).
    "path_model": text_of(zh="满意度指数模型（PLS 路径模型）", en="Satisfaction-index model (PLS path model)"),
    "construct": text_of(zh="潜变量", en="Construct"),
    "indicator": text_of(zh="测量题项", en="Indicator"),
    "path_coefficient": text_of(zh="路径系数", en="Path coefficient"),
    "r_squared": text_of(zh="解释度 R²", en="R²"),
    "total_effect": text_of(zh="总效应", en="Total effect"),
    "measurement_quality": text_of(zh="测量质量", en="Measurement quality"),
    "ave": text_of(zh="平均方差抽取量（AVE）", en="Average variance extracted (AVE)"),
    "composite_reliability": text_of(zh="组合信度", en="Composite reliability"),
    "htmt": text_of(zh="异质–单质比（HTMT）", en="Heterotrait–monotrait ratio (HTMT)"),
    "ipma": text_of(zh="重要性–表现矩阵分析（IPMA）", en="Importance–performance map (IPMA)"),
    # Survey weights: Kish (1965) for the design effect and the effective sample size.
    "weight": text_of(zh="权重", en="Weight"),
    "weighting": text_of(zh="加权", en="Weighting"),
    "weighted_estimate": text_of(zh="加权估计", en="Weighted"),
    "unweighted_estimate": text_of(zh="未加权估计", en="Unweighted"),
    "design_effect": text_of(zh="设计效应", en="Design effect"),
    "effective_n": text_of(zh="有效样本量", en="Effective sample size"),
    "weighting_efficiency": text_of(zh="加权效率", en="Weighting efficiency"),
}


def term(concept: str, lang: str) -> str:
    """The word for ``concept`` (a key of :data:`TERMS`) in ``lang`` ("zh" or "en").

    Unknown concepts and languages raise rather than fall back, because a fallback is how two
    words for one concept crept in before.

    Examples
    --------
    >>> term("passives", "zh"), term("passives", "en")
    ('中立者', 'Passives')
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    try:
        return TERMS[concept][lang]
    except KeyError:
        raise KeyError(f"no term {concept!r} (known: {', '.join(sorted(TERMS))})") from None
