"""The briefing's text, in Chinese, written the way the speech writes it.

The briefing is a Chinese government document whatever the reader's UI language, so the
sentences are written here in Chinese (not gettext msgids) and every number goes through
``geo.numbers`` with ``language="zh-hans"``: percentages with one decimal, money in 亿元/万元.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from geo import numbers
from sites.briefing import ranking
from sites.briefing.figures import Briefing

ZH = "zh-hans"
ORDER_STATES_ZH = {
    "issued": "已下发待签收",
    "signed": "已签收",
    "in_progress": "办理中",
    "submitted": "已提请销号",
    "closed": "已销号",
    "returned": "已退回",
}
MAP_CAPTION = "红灯项目分布示意图（编号与“红灯项目”所列序号一致；示意图，非正式地图）"
RANKING_HEADER = (
    "名次",
    "单位",
    "下发督办单",
    "按时签收",
    "按时办结",
    "当前逾期",
    "按时办结率",
    "开复工率",
    "投资完成率",
    "综合得分",
)


@dataclass
class Section:
    key: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    table: tuple[tuple[str, ...], list[tuple[str, ...]]] | None = None


def pct(value) -> str:
    return numbers.percent(value)


def money(wan) -> str:
    return numbers.money(wan, language=ZH)


def title(b: Briefing) -> str:
    return f"{numbers.month(b.month, language=ZH)}重点项目建设推进情况通报"


def overall_sentence(o: dict) -> str:
    new_part = (
        f"仅开工{o['new_started']}个、开工率{pct(o['new_start_rate'])}"
        if o["new_started"] < o["new_projects"]
        else f"已全部开工、开工率{pct(o['new_start_rate'])}"
    )
    text = (
        f"年初{o['projects']}个计划建设项目开复工率{pct(o['start_rate'])}，"
        f"其中{o['new_projects']}个新建项目{new_part}，"
        f"投资完成率{pct(o['completion_rate'])}"
        f"（完成投资{money(o['completed_investment'])}，年度计划{money(o['planned_investment'])}）"
    )
    continuing, new = o["not_started_continuing"], o["not_started_new"]
    if continuing or new:
        return text + f"；还有{continuing}个续建项目、{new}个新建项目没有开工。"
    return text + "；计划项目均已开工。"


def time_progress_sentence(stats: dict) -> str:
    o = stats["overall"]
    gap = o["time_progress_gap"]
    if gap is None:
        where = "尚无年度计划投资，无法计算序时进度"
    elif gap < 0:
        where = f"落后序时进度{numbers.grouped(abs(Decimal(str(gap))), 1)}个百分点"
    elif gap > 0:
        where = f"超过序时进度{numbers.grouped(gap, 1)}个百分点"
    else:
        where = "与序时进度持平"
    return (
        f"全年时间已过{pct(stats['year_elapsed_percent'])}，投资完成率{pct(o['completion_rate'])}，"
        f"{where}；{o['behind_time_progress']}个项目因投资落后序时进度亮起黄灯或红灯。"
    )


def bond_sentence(stats: dict) -> str:
    o = stats["overall"]
    target = stats["bond_bank_target"]
    text = (
        f"专项债项目库储备{money(o['bond_bank_total'])}，为{money(target)}目标的"
        f"{pct(o['bond_bank_target_share'])}"
    )
    if o["bond_bank_total"] < target:
        text += f"，距目标还差{money(target - o['bond_bank_total'])}"
    return text + (
        f"；已申报{o['bond_submitted']}个项目、获批{o['bond_approved']}个，"
        f"获批率{pct(o['bond_approval_rate'])}，获批额度{money(o['bond_approved_amount'])}。"
    )


def registration_section(b: Briefing) -> Section:
    rows = b.pending_registrations
    section = Section("registration", "三、入库报统")
    if not rows:
        section.paragraphs.append("已开工项目均已入库报统。")
        return section
    names = "、".join(
        f"{row['name']}（{'已申报' if row['applied'] else '未申报'}）" for row in rows
    )
    section.paragraphs.append(f"已开工但尚未入库报统的项目{len(rows)}个：{names}。")
    return section


def order_text(order: dict, ref) -> str:
    text = (
        f"督办单#{order['pk']}“{order['subject']}”（{order['department__name']}，"
        f"{ORDER_STATES_ZH[order['state_as_of']]}，"
        f"期限{numbers.date(order['deadline'], language=ZH)}"
    )
    if order["closed"]:
        return text + f"，{numbers.date(order['closed_day'], language=ZH)}销号）"
    if order["overdue_days"]:
        text += f"，逾期{order['overdue_days']}天"
    escalated = order["escalated_at"]
    if order["escalated_to__name"] and escalated and timezone.localdate(escalated) <= ref:
        text += f"，已升级至{order['escalated_to__name']}"
    return text + "）"


def red_section(b: Briefing) -> Section:
    section = Section("red", "四、红灯项目")
    if not b.red_projects:
        section.paragraphs.append("本月没有亮红灯的项目。")
        return section
    section.paragraphs.append(
        f"亮红灯的项目{len(b.red_projects)}个，原因及督办情况如下（图中编号与下列序号一致）："
    )
    for n, row in enumerate(b.red_projects, start=1):
        reasons = "；".join(reason["text"] for reason in row["reasons"] or [])
        orders = "；".join(order_text(o, b.reference_date) for o in row["orders"])
        section.items.append(
            f"{n}. {row['name']}（{row['lead_department__name']}，包抓领导"
            f"{row['leader__name'] or '—'}）：{reasons or '—'}。"
            + (f"{orders}。" if orders else "尚未下发督办单。")
        )
    return section


def ranking_section(b: Briefing) -> Section:
    section = Section("ranking", "五、部门排名")
    best, worst = ranking.best_and_worst(b.departments)
    if best is None:
        section.paragraphs.append("参与排名的单位不足两个，本月不评骏马奖、蜗牛奖。")
    else:
        section.paragraphs.append(
            f"按按时办结率、开复工率、投资完成率三项平均计算综合得分，本月骏马奖："
            f"{best['name']}（综合得分{numbers.grouped(best['score'], 1)}）；蜗牛奖："
            f"{worst['name']}（综合得分{numbers.grouped(worst['score'], 1)}）。"
        )
    rows = [
        (
            str(row.get("rank", "—")),
            row["name"],
            str(row["issued"]),
            str(row["signed_on_time"]),
            str(row["closed_on_time"]),
            str(row["overdue"]),
            pct(row["on_time_closure_rate"]),
            pct(row["start_rate"]),
            pct(row["completion_rate"]),
            numbers.grouped(row["score"], 1) if row["score"] is not None else numbers.DASH,
        )
        for row in b.departments
    ]
    section.table = (RANKING_HEADER, rows)
    return section


def livelihood_section(b: Briefing) -> Section:
    section = Section("livelihood", "六、民生实事")
    if not b.late_works:
        section.paragraphs.append("民生实事均按节点推进。")
        return section
    section.paragraphs.append(f"{len(b.late_works)}项民生实事滞后于节点：")
    for work in b.late_works:
        missed = "、".join(
            f"“{m['name']}”计划{numbers.date(m['planned_date'], language=ZH)}完成"
            for m in work["missed"]
        )
        section.items.append(
            f"{work['name']}（{work['lead_department__name']}）：{missed}，尚未完成。"
        )
    return section


def sections(b: Briefing) -> list[Section]:
    """The briefing's sections in reading order (the map image follows the red projects)."""
    ref = numbers.date(b.reference_date, language=ZH)
    return [
        Section(
            "overall",
            "一、总体情况",
            [f"截至{ref}，" + overall_sentence(b.overall), time_progress_sentence(b.stats)],
        ),
        Section("bonds", "二、专项债", [bond_sentence(b.stats)]),
        registration_section(b),
        red_section(b),
        ranking_section(b),
        livelihood_section(b),
    ]
