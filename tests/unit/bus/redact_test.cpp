// The one redactor: identity numbers in any spelling never leave through an output.

#include <gtest/gtest.h>

#include <wayhome/connectors/formats.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/redact.hpp>
#include <wayhome/testing/cases.hpp>

namespace wayhome::redact {
namespace {

namespace t = wayhome::testing;

TEST(Redact, PlainElevenDigitRunsAreWithheldWhateverTheirCheckDigits) {
  t::expectEach(identityNumbers,
                {{"nin 15838510075 refused", "nin [redacted] refused"},
                 {"x12345678901y", "x[redacted]y"},
                 // Longer and shorter runs stay (offsets, timestamps in ms, amounts).
                 {"offset 1733142000123", "offset 1733142000123"},
                 {"amount 3200000", "amount 3200000"}});
}

TEST(Redact, ValidNumbersWrittenWithSeparatorsAreWithheld) {
  for (const char* spelled : {"158385-10075", "158385 10075", "15.83.85 10075", "15.83.85-10075",
                              "010190-00083", "01.01.90 00083", "01/01/90 00083"}) {
    const std::string line = std::string("person ") + spelled + ", please";
    EXPECT_EQ(identityNumbers(line), "person [redacted], please") << spelled;
    EXPECT_TRUE(containsIdentityNumber(line)) << spelled;
    EXPECT_TRUE(connectors::hasIdentityNumberShape(line)) << spelled;
    EXPECT_EQ(log::redact(line), "person [redacted], please") << spelled;
  }
}

TEST(Redact, SeparatedDigitsThatAreNoValidNumberStay) {
  // Dates, times, addresses and numbers that fail mod-11 are not identity numbers.
  for (const char* text : {"2026-12-02 12:39:20", "127.0.0.1:8080", "158385-10076",
                           "01.01.90 00084", "tel 22 33 44 55", "2026-12-02T12:39:20.123Z"}) {
    EXPECT_EQ(identityNumbers(text), text) << text;
    EXPECT_FALSE(containsIdentityNumber(text)) << text;
  }
}

TEST(Redact, Mod11) {
  t::expectEach(mod11Valid, true, {"15838510075", "01019000083"});
  t::expectEach(mod11Valid, false, {"15838510076", "1583851007", "1583851007x"});
}

}  // namespace
}  // namespace wayhome::redact

// Every output that carries outside text goes through it: connector last_error, the
// dead-letter reason header, HTTP error bodies.
#include <wayhome/bus/dead_letter.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/runtime/status.hpp>

namespace wayhome {
namespace {

constexpr const char* kLeak = "no person 158385-10075 (also 01.01.90 00083 and 15838510075)";

TEST(RedactedOutputs, ConnectorLastError) {
  services::StatusBoard board;
  auto entry = board.add("gerica", "gerica");
  entry->rejected(kLeak);
  EXPECT_FALSE(connectors::hasIdentityNumberShape(entry->snapshot().lastError))
      << entry->snapshot().lastError;
  entry->failed(kLeak);
  EXPECT_FALSE(connectors::hasIdentityNumberShape(entry->snapshot().lastError))
      << entry->snapshot().lastError;
  EXPECT_NE(entry->snapshot().lastError.find("[redacted]"), std::string::npos);
}

TEST(RedactedOutputs, DeadLetterReasonHeader) {
  bus::KafkaRecord original;
  original.topic = "cases.loan";
  const auto headers =
      bus::dead_letter::headersFor(original, "router", kLeak, "2026-01-01T00:00:00Z");
  bool seen = false;
  for (const auto& h : headers) {
    if (h.name != bus::dead_letter::kReason) continue;
    seen = true;
    EXPECT_FALSE(connectors::hasIdentityNumberShape(h.value)) << h.value;
  }
  EXPECT_TRUE(seen);
}

TEST(RedactedOutputs, HttpErrorBodies) {
  const auto r = services::HttpResponse::error(400, kLeak, R"("field":"010190-00083")");
  EXPECT_FALSE(connectors::hasIdentityNumberShape(r.body)) << r.body;
  EXPECT_NE(r.body.find("[redacted]"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace wayhome
