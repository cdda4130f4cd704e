"""Time in fielding: durations as the format writes them, and quiet hours.

Durations are written ``14d``, ``36h``, ``90m``, ``2w`` or combined (``1d12h``).
Quiet hours are a daily window in the survey's time zone (an IANA name such as
``Asia/Shanghai``); a window whose start is after its end runs over midnight
(21:00-09:00).  Every datetime here is naive UTC, as the tables store it.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_TIMEZONE", "in_quiet_hours", "parse_clock", "parse_duration", "quiet_until", "zone"]

DEFAULT_TIMEZONE = "Asia/Shanghai"
_DURATION = re.compile(r"(?:(\d{1,4})w)?(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?\Z")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")


def parse_duration(text: str) -> dt.timedelta:
    """``14d`` -> 14 days; ValueError (with what is allowed) for anything else or for zero."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration: write a number and a unit, e.g. 14d, 36h, 90m, 2w or 1d12h")
    weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
    value = dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    if value <= dt.timedelta(0):
        raise ValueError(f"{text!r}: a duration must be longer than zero")
    return value


def parse_clock(text: str) -> dt.time:
    """``21:00`` -> a time of day; ValueError otherwise."""
    match = _CLOCK.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a time of day: write HH:MM on the 24-hour clock, e.g. '21:00'")
    return dt.time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``; ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone: use an IANA name such as 'Asia/Shanghai'") from None


def _local(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return now.replace(tzinfo=dt.UTC).astimezone(tz)


def in_quiet_hours(now: dt.datetime, start: dt.time, end: dt.time, tz: ZoneInfo) -> bool:
    """True when naive-UTC ``now`` falls in the daily window [start, end) of zone ``tz``."""
    clock = _local(now, tz).time().replace(tzinfo=None)
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def quiet_until(now: dt.datetime, start: dt.time, end: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``now`` when it is outside the quiet window, else the window's next end (naive UTC)."""
    if not in_quiet_hours(now, start, end, tz):
        return now
    local = _local(now, tz)
    opening = dt.datetime.combine(local.date(), end, tzinfo=tz)
    if opening <= local:
        opening = dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=tz)
    return opening.astimezone(dt.UTC).replace(tzinfo=None)
