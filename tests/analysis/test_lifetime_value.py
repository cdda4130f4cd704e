"""analysis.lifetime_value: customer lifetime value and the retention programme."""

from __future__ import annotations

import pytest

from analysis import lifetime_value, loyalty


def test_clv_worked_example_from_the_seed():
    # Seed 000 (course notes, "客户终生价值的计算"): a credit-card company loses 10 % of its customers a
    # year (about 10 years' stay), earns 100 a year per customer and pays 75 to acquire one:
    # 10 x 100 - 75 = 925. A retention programme costing 20 a year halves churn to 5 %:
    # 20 x (100 - 20) - 75 = 1,525, a gain of 1,525 - 925 = 600.
    before = lifetime_value.customer_lifetime_value(100, 0.10, acquisition_cost=75)
    assert before.expected_lifetime_years == pytest.approx(10)
    assert before.value == pytest.approx(925)
    programme = lifetime_value.retention_programme(
        100, 0.10, new_churn_rate=0.05, programme_cost=20, acquisition_cost=75
    )
    assert programme.after.expected_lifetime_years == pytest.approx(20)
    assert programme.after.value == pytest.approx(1525)
    assert programme.gain == pytest.approx(600)
    assert "600.00" in programme.summary()
    assert programme.to_frame()["value"].tolist() == pytest.approx([925, 1525])


def test_discounted_clv_is_the_geometric_sum():
    # Gupta & Lehmann (2003): margins m r^t / (1 + d)^t, t = 0, 1, ... (start of each year).
    m, churn, d = 80.0, 0.2, 0.1
    direct = sum(m * (1 - churn) ** t / (1 + d) ** t for t in range(2000))
    assert lifetime_value.customer_lifetime_value(m, churn, discount_rate=d).value == pytest.approx(direct)
    three = sum(m * (1 - churn) ** t / (1 + d) ** t for t in range(3)) - 50
    result = lifetime_value.customer_lifetime_value(m, churn, discount_rate=d, horizon_years=3, acquisition_cost=50)
    assert result.value == pytest.approx(three)
    assert result.expected_lifetime_years == pytest.approx(1 + 0.8 + 0.64)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"churn_rate": 0.0}, "churn_rate must be in"),
        ({"churn_rate": 1.5}, "churn_rate must be in"),
        ({"churn_rate": 0.1, "discount_rate": -0.1}, "discount_rate must be"),
        ({"churn_rate": 0.1, "horizon_years": 0}, "horizon_years must be"),
    ],
)
def test_clv_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lifetime_value.customer_lifetime_value(100, **kwargs)


def test_loyalty_keeps_the_former_names():
    assert loyalty.customer_lifetime_value is lifetime_value.customer_lifetime_value
    assert loyalty.retention_programme is lifetime_value.retention_programme
