// The iCalendar writer: escaping, folding at 75 octets without splitting UTF-8, CRLF,
// and the shape of an invitation.

#include <wayhome/scheduler/icalendar.hpp>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono;
namespace s = wayhome::scheduler;

std::vector<std::string> physicalLines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto crlf = text.find("\r\n", pos);
    EXPECT_NE(crlf, std::string::npos) << "every line ends with CRLF";
    if (crlf == std::string::npos) break;
    out.push_back(text.substr(pos, crlf - pos));
    pos = crlf + 2;
  }
  return out;
}

std::string unfold(const std::string& text) {
  std::string out;
  for (const auto& l : physicalLines(text)) {
    if (!l.empty() && l[0] == ' ') {
      out += l.substr(1);
    } else {
      if (!out.empty()) out += '\n';
      out += l;
    }
  }
  return out;
}

bool validUtf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(ICalendarText, EscapesBackslashSemicolonCommaAndNewlines) {
  EXPECT_EQ(s::escapeText("a\\b;c,d\ne\r\nf"), "a\\\\b\\;c\\,d\\ne\\nf");
  EXPECT_EQ(s::escapeText("tab\tok, bell\x07gone"), "tab\tok\\, bell gone");
  EXPECT_EQ(s::escapeText("Møterom 3: «Bolig»"), "Møterom 3: «Bolig»");
}

TEST(ICalendarText, FoldsAt75OctetsAndUnfoldsToTheOriginal) {
  const std::string line = "DESCRIPTION:" + std::string(300, 'x');
  const auto folded = s::foldLine(line);
  const auto lines = physicalLines(folded);
  ASSERT_GT(lines.size(), 4U);
  EXPECT_EQ(lines[0].size(), 75U);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), 75U);
    EXPECT_EQ(lines[i][0], ' ');
  }
  EXPECT_EQ(unfold(folded), line);
  EXPECT_EQ(s::foldLine("SHORT:1"), "SHORT:1\r\n");
  EXPECT_EQ(s::foldLine(std::string(75, 'a')), std::string(75, 'a') + "\r\n");
}

TEST(ICalendarText, NeverSplitsAUtf8Sequence) {
  // Two- and three-byte characters at every offset relative to the fold point.
  for (int shift = 0; shift < 3; ++shift) {
    const std::string line = "SUMMARY:" + std::string(shift, 'a') + [] {
      std::string t;
      for (int i = 0; i < 60; ++i) t += i % 2 == 0 ? "ø" : "€";
      return t;
    }();
    const auto folded = s::foldLine(line);
    for (const auto& l : physicalLines(folded)) {
      EXPECT_LE(l.size(), 75U);
      EXPECT_TRUE(validUtf8(l)) << "shift " << shift << ": " << l;
    }
    EXPECT_EQ(unfold(folded), line);
  }
}

TEST(ICalendarInvitation, RequestAndCancelCarryTheRequiredProperties) {
  s::Invitation inv;
  inv.uid = "mtg_1@wayhome";
  inv.sequence = 2;
  inv.stamp = s::Instant{sys_days{2026y / November / 22}} + hours(10);
  inv.start = s::Instant{sys_days{2027y / March / 30}} + hours(7);  // 09:00 CEST
  inv.end = inv.start + minutes(60);
  inv.summary = "Renewal conversation; bring papers, please";
  inv.description = "Line one\nLine two";
  inv.location = "Team bolig, room 3";
  inv.organizer = "mailto:scheduler@wayhome.invalid";
  inv.personRef = "pr_0123456789abcdef0123456789abcdef";
  inv.participants = {{"tenant", ""}, {"housing_contact", "housing"}};
  const auto text = s::writeInvitation(inv);
  const auto u = unfold(text);
  for (const char* expected :
       {"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:", "\nMETHOD:REQUEST\n", "\nTZID:Europe/Oslo\n",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "\nUID:mtg_1@wayhome\n", "\nSEQUENCE:2\n", "\nDTSTAMP:20261122T100000Z\n",
        "\nDTSTART;TZID=Europe/Oslo:20270330T090000\n",
        "\nDTEND;TZID=Europe/Oslo:20270330T100000\n",
        "\nSUMMARY:Renewal conversation\\; bring papers\\, please\n",
        "\nDESCRIPTION:Line one\\nLine two\n", "\nLOCATION:Team bolig\\, room 3\n",
        "\nSTATUS:CONFIRMED\n", "CUTYPE=ROLE:urn:wayhome:role:housing:housing_contact",
        "urn:wayhome:citizen:pr_0123456789abcdef0123456789abcdef", "END:VEVENT\nEND:VCALENDAR"}) {
    EXPECT_NE(u.find(expected), std::string::npos) << expected << "\n" << u;
  }
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  for (const auto& l : physicalLines(text)) EXPECT_LE(l.size(), 75U) << l;
  EXPECT_EQ(text.find('\n'), text.find("\r\n") + 1);  // no bare LF anywhere
  std::size_t bare = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) ++bare;
  }
  EXPECT_EQ(bare, 0U);

  inv.cancel = true;
  const auto cancel = unfold(s::writeInvitation(inv));
  EXPECT_NE(cancel.find("\nMETHOD:CANCEL\n"), std::string::npos);
  EXPECT_NE(cancel.find("\nSTATUS:CANCELLED\n"), std::string::npos);
}

}  // namespace
