"""analysis.text_discover: candidate themes for what the codeframe leaves as ``other``."""

from __future__ import annotations

from analysis.text_discover import EXAMPLE_CHARS, discover, words_of

# two things the dealer codeframe has no theme for: the car's infotainment, and insurance renewal
INFOTAINMENT = ["车机系统老是死机", "车机导航不更新", "车机蓝牙连不上", "车机屏幕经常黑屏", "车机系统卡顿严重"]
# (not 保险续保手续太麻烦: the coder's learned complement reads 手续, paperwork, as sales_process)
INSURANCE = ["续保的保险公司不能自己选", "保险续保太麻烦", "保险公司理赔材料要交好几次", "续保保险必须在店里买"]


def test_clusters_hold_their_own_examples():
    result = discover(INFOTAINMENT + INSURANCE + ["服务态度很好"], clusters=2)
    assert result.comments == len(INFOTAINMENT + INSURANCE)  # 服务态度很好 is coded, so not read
    assert len(result.clusters) == 2, result.summary()
    infotainment = next(c for c in result.clusters if "车机" in c.words)
    insurance = next(c for c in result.clusters if "保险" in c.words)
    assert set(infotainment.examples) == set(INFOTAINMENT), result.summary()
    assert set(insurance.examples) == set(INSURANCE), result.summary()
    for cluster in result.clusters:
        assert cluster.size == len(cluster.examples)


def test_examples_are_masked_and_shortened_in_the_summary():
    long = "车机系统又死机了，请打13800138000，" + "实在是没法用" * 100
    result = discover([long, *INFOTAINMENT[:3], *INSURANCE], clusters=2)
    examples = [e for c in result.clusters for e in c.examples]
    assert any("[phone]" in e for e in examples) and not any("13800138000" in e for e in examples)
    lines = [line for line in result.summary().splitlines() if line.startswith("  - ")]
    assert lines and max(len(line) for line in lines) <= EXAMPLE_CHARS + 4
    assert any(line.endswith("…") for line in lines)


def test_words_of_drops_stop_words_and_single_characters():
    assert words_of("車機的藍牙，老是连不上 and the app crashes") == [
        "车机",
        "蓝牙",
        "老是",
        "连不上",
        "app",
        "crashes",
    ]


def test_summary_says_why_there_is_nothing_to_read():
    assert discover(["", "  "]).summary() == "no comments to read: the column holds none"
    assert discover(["服务态度很好"]).summary() == "no comments to read: every comment is coded by the codeframe"
