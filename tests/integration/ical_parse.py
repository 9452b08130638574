#!/usr/bin/python3
"""Reads iCalendar files with Python's icalendar (Debian python3-icalendar), an
RFC 5545 parser independent of ours, and prints what it understood as JSON:
one object per file with method, uid, sequence, status, summary, the start in UTC
and in its own time zone, the length in minutes, the TZID, whether a VTIMEZONE
came along, and the raw facts of the text (CRLF line ends, longest line in octets).
Exit code 1 with the reason when a file does not parse."""

import datetime
import json
import sys

import icalendar


def describe(path):
    raw = open(path, "rb").read()
    lines = raw.split(b"\r\n")
    cal = icalendar.Calendar.from_ical(raw)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    if len(events) != 1:
        raise ValueError(f"{path}: {len(events)} VEVENTs")
    event = events[0]
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND")
    if start.tzinfo is None:
        raise ValueError(f"{path}: DTSTART has no time zone")
    return {
        "file": path,
        "method": str(cal.get("METHOD")),
        "uid": str(event.get("UID")),
        "sequence": int(event.get("SEQUENCE")),
        "status": str(event.get("STATUS", "")),
        "summary": str(event.get("SUMMARY")),
        "tzid": event["DTSTART"].params.get("TZID", ""),
        "start_utc": start.astimezone(datetime.timezone.utc).isoformat(),
        "start_local": start.isoformat(),
        "minutes": int((end - start).total_seconds() // 60),
        "has_vtimezone": any(c.name == "VTIMEZONE" for c in cal.walk()),
        "crlf": raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""),
        "longest_line_octets": max(len(line) for line in lines),
    }


def main(paths):
    try:
        print(json.dumps([describe(p) for p in paths], ensure_ascii=False))
    except Exception as error:  # the reason goes to the test's failure message
        print(f"{type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
