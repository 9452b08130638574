#pragma once

// The inbound contract of GERICA/LMP: a MsgHead envelope around a Dialogmelding body,
// answered with an AppRec receipt (see README.md beside this file). Pure functions,
// no sockets, no files and no bus, so every rule is tested on its own. pugixml stays
// in message.cpp.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/bus/topics.hpp>
#include <wayhome/connectors/formats.hpp>
#include <wayhome/connectors/intake.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::connectors::gerica {

/// Why a message is refused: an AppRec error code ("E30") and a text naming the
/// field and the problem. The text never holds an identity number.
struct Problem {
  std::string code;
  std::string text;
};

/// What the envelope said, as far as it could be read (for the receipt). Values are
/// only set once they passed their checks, so none can hold an identity number.
struct Envelope {
  std::string msgId;          ///< MsgHead/MsgInfo/MsgId
  std::string msgType;        ///< DIALOG_NOTAT or DIALOG_FORESPORSEL
  std::string genDate;        ///< RFC 3339
  std::string senderOrgId;    ///< 1-9 digits (organisation number or HER-id)
  std::string receiverOrgId;  ///< may be empty
};

/// A message checked and mapped onto its canonical event, or the reason it is not.
struct Parsed {
  Envelope head;
  std::optional<Problem> problem;  ///< set: rejected, `event` is empty
  std::string code;                ///< the body's TemaKodet
  std::string recordId;            ///< the body's document id (observation, decision, ...)
  CanonicalEvent event;
};

/// How a message is checked.
struct ParseOptions {
  /// Larger messages are refused (code X03) before they are parsed.
  std::size_t maxBytes = 256 * 1024;
  /// When set, MsgHead/MsgInfo/Receiver must name this organisation (code E21).
  std::string receiverOrgId;
  /// The configured sectors a message's sector facts may name (code E41 otherwise).
  std::vector<std::string> sectors = bus::defaultSectorNames();
};

/// Turns a national identity number into a person_ref (Intake::personRef).
using PersonRefFn = std::function<Result<std::string>(std::string_view)>;

/// Parses one message, checks envelope and body and maps it onto its canonical event
/// (care.*.v1 or consent.*.v1, with person_ref instead of the identity number).
/// Never throws: a malformed, hostile (DOCTYPE, entities), oversized or invalid
/// message comes back with `problem` set.
[[nodiscard]] Parsed parseMessage(std::string_view xml, const ParseOptions& options,
                                  const PersonRefFn& personRef);

/// An AppRec error (modelled on KITH's code system 8221): the code a receipt carries
/// and its human-readable name (DN).
struct AppRecError {
  std::string_view code;
  std::string_view name;
};
inline constexpr AppRecError kNotXml{"X01", "Not well-formed XML or not a MsgHead message"};
inline constexpr AppRecError kForbiddenXml{"X02", "Forbidden XML construct"};
inline constexpr AppRecError kTooLarge{"X03", "Message too large"};
inline constexpr AppRecError kBadMsgId{"E10", "Invalid message id"};
inline constexpr AppRecError kBadEnvelope{"E11", "Invalid envelope"};
inline constexpr AppRecError kWrongReceiver{"E21", "Wrong receiver"};
inline constexpr AppRecError kBadPatient{"E30", "Invalid patient identity"};
inline constexpr AppRecError kUnknownCode{"E40", "Unknown code"};
inline constexpr AppRecError kBadBody{"E41", "Invalid message body"};

/// The name (DN) of an AppRec error code; "Other error" for a code not above.
[[nodiscard]] std::string_view problemName(std::string_view code);

/// Who answers: our side of the receipt.
struct ReceiptSender {
  std::string orgId;  ///< may be empty
  std::string name = "wayhome";
};

/// Builds the AppRec receipt of `head`: OK when `problem` is empty, else rejected
/// with the problem's code and text. `receiptId` and `genDate` make it; the same
/// inputs give the same bytes.
[[nodiscard]] std::string appRec(const ReceiptSender& us, const Envelope& head,
                                 const std::optional<Problem>& problem, std::string_view receiptId,
                                 std::string_view genDate);

/// What a sender reads from a receipt.
struct ReceiptView {
  bool ok = false;
  std::string originalMsgId;
  std::string errorCode;  ///< empty when OK
  std::string details;
};

/// Reads an AppRec receipt (what the simulator and tests do with an answer).
/// Errors: permanent when it is not an AppRec.
[[nodiscard]] Result<ReceiptView> readAppRec(std::string_view xml);

}  // namespace wayhome::connectors::gerica
