"""Working days (工作日) under China's holiday rules, pure: no database, no clock.

A day is a working day when it is a make-up working day (调休上班, ``workdays``), or when it is
Monday to Friday and not a public holiday (``holidays``). The sets come from the portal's
holiday table (markets.models.CalendarException); ``sites.orders.selectors.holiday_sets`` loads
them. A year without entries has plain weekends only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

ONE_DAY = dt.timedelta(days=1)


def is_working_day(
    day: dt.date, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()
) -> bool:
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: dt.date, n: int, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()
) -> dt.date:
    """The date ``n`` working days after ``start`` (``start`` itself not counted).

    ``n = 0`` gives ``start`` itself. Negative ``n`` counts backwards.
    """
    step = ONE_DAY if n >= 0 else -ONE_DAY
    day, left = start, abs(n)
    while left:
        day += step
        if is_working_day(day, holidays, workdays):
            left -= 1
    return day


def working_days_between(
    a: dt.date, b: dt.date, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()
) -> int:
    """Working days in (a, b] — after ``a`` up to and including ``b``; negative when b < a.

    So ``working_days_between(d, add_working_days(d, n)) == n`` for any n.
    """
    if b < a:
        return -working_days_between(b, a, holidays, workdays)
    count, day = 0, a
    while day < b:
        day += ONE_DAY
        if is_working_day(day, holidays, workdays):
            count += 1
    return count
