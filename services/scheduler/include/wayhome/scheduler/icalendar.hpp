#pragma once

// An RFC 5545 writer for meeting invitations: just what the scheduler sends.

#include <string>
#include <string_view>
#include <vector>

#include <wayhome/core/calendar.hpp>

namespace wayhome::scheduler {

/// A participant as a role within a sector (no names).
struct Participant {
  std::string role;
  std::string sector;  ///< empty for the citizen
};

/// One version of a meeting, as it goes into an invitation.
struct Invitation {
  std::string uid;      ///< stable over every version and the cancel
  int sequence = 0;     ///< grows with every update
  bool cancel = false;  ///< METHOD:CANCEL and STATUS:CANCELLED
  Instant stamp;        ///< DTSTAMP: when this version was made
  Instant start;
  Instant end;
  std::string summary;
  std::string description;
  std::string location;
  std::string organizer;  ///< a cal-address URI ("mailto:...")
  std::string personRef;  ///< the citizen, or empty
  std::vector<Participant> participants;
};

/// Escapes TEXT: backslash, semicolon and comma get a backslash, line breaks become
/// "\n", other control characters a space.
[[nodiscard]] std::string escapeText(std::string_view text);

/// Folds one content line to at most 75 octets per physical line, continuing with a
/// space, never inside a UTF-8 sequence; ends every physical line with CRLF.
[[nodiscard]] std::string foldLine(std::string_view line);

/// The VTIMEZONE of Europe/Oslo (the EU rule: STANDARD and DAYLIGHT with RRULEs).
[[nodiscard]] std::string osloTimeZoneComponent();

/// A VCALENDAR with METHOD REQUEST (or CANCEL), the Oslo VTIMEZONE and one VEVENT.
[[nodiscard]] std::string writeInvitation(const Invitation& invitation);

}  // namespace wayhome::scheduler
