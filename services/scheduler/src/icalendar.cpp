#include <wayhome/scheduler/icalendar.hpp>

namespace wayhome::scheduler {
namespace {

constexpr std::size_t kMaxOctets = 75;

bool isContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

// Parameter values cannot hold quotes, and ; : , need quoting; roles and sectors are
// [a-z0-9_] by schema, so this only guards against surprises.
std::string paramSafe(std::string_view v) {
  std::string out;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

std::string escapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        out += "\\n";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string foldLine(std::string_view line) {
  std::string out;
  std::size_t limit = kMaxOctets;  // the first physical line; later ones spend one on the space
  bool first = true;
  while (!line.empty()) {
    std::size_t take = std::min(limit, line.size());
    if (take < line.size()) {
      while (take > 0 && isContinuation(line[take]))
        --take;
      if (take == 0) take = std::min(limit, line.size());  // not UTF-8 at all; cut anyway
    }
    if (!first) out += ' ';
    out.append(line.substr(0, take));
    out += "\r\n";
    line.remove_prefix(take);
    first = false;
    limit = kMaxOctets - 1;
  }
  if (first) out += "\r\n";
  return out;
}

std::string osloTimeZoneComponent() {
  std::string out;
  for (const char* l :
       {"BEGIN:VTIMEZONE", "TZID:Europe/Oslo", "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT", "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "END:VTIMEZONE"}) {
    out += foldLine(l);
  }
  return out;
}

std::string writeInvitation(const Invitation& inv) {
  std::string out;
  auto line = [&](std::string_view l) { out += foldLine(l); };
  line("BEGIN:VCALENDAR");
  line("VERSION:2.0");
  line("PRODID:-//wayhome//scheduler//EN");
  line("CALSCALE:GREGORIAN");
  line(inv.cancel ? "METHOD:CANCEL" : "METHOD:REQUEST");
  out += osloTimeZoneComponent();
  line("BEGIN:VEVENT");
  line("UID:" + inv.uid);
  line("SEQUENCE:" + std::to_string(inv.sequence));
  line("DTSTAMP:" + formatIcalUtc(inv.stamp));
  line("DTSTART;TZID=Europe/Oslo:" + formatIcalLocal(inv.start));
  line("DTEND;TZID=Europe/Oslo:" + formatIcalLocal(inv.end));
  line("SUMMARY:" + escapeText(inv.summary));
  if (!inv.description.empty()) line("DESCRIPTION:" + escapeText(inv.description));
  if (!inv.location.empty()) line("LOCATION:" + escapeText(inv.location));
  line(inv.cancel ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
  line("TRANSP:OPAQUE");
  if (!inv.organizer.empty()) line("ORGANIZER:" + inv.organizer);
  // Attendees are roles, addressed by URN: the sector systems resolve them to people.
  for (const auto& p : inv.participants) {
    std::string a = "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE";
    if (p.sector.empty()) {
      a += ";CUTYPE=INDIVIDUAL:urn:wayhome:citizen:";
      a += inv.personRef.empty() ? paramSafe(p.role) : paramSafe(inv.personRef);
    } else {
      a += ";CUTYPE=ROLE:urn:wayhome:role:" + paramSafe(p.sector) + ":" + paramSafe(p.role);
    }
    line(a);
  }
  line("END:VEVENT");
  line("END:VCALENDAR");
  return out;
}

}  // namespace wayhome::scheduler
