// The loan webhook contract: signature, clock skew, parsing and mapping, with
// malformed, oversized, wrong-typed and hostile input.

#include <cctype>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/loan/connector.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/testing/cases.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::connectors::loan {
namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kNin = "15838510075";  // synthetic (Tenor)

Clock::TimePoint at(std::int64_t unixSeconds) {
  return Clock::TimePoint(std::chrono::seconds(unixSeconds));
}

TEST(LoanSignature, IsHmacSha256OfTimestampDotBodyInLowerCaseHex) {
  // Computed independently (Python's hmac module).
  EXPECT_EQ(crypto::webhookSignature(kSecret, "1790000000", R"({"id":"x"})"),
            "sha256=1e57a4ab5093890d909a839ac0793b10eac6ef38e509b421e1a9c0d57a211284");
}

TEST(LoanSignature, AcceptsAGoodSignatureWithinTheSkewEitherWay) {
  const std::string body = R"({"id":"x"})";
  const std::string sig = crypto::webhookSignature(kSecret, "1790000000", body);
  for (std::int64_t now : {1790000000LL, 1790000300LL, 1789999700LL}) {
    EXPECT_TRUE(verifyWebhook(kSecret, "1790000000", sig, body, at(now), 300s)) << now;
  }
  std::string upper = sig;
  for (std::size_t i = 7; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(verifyWebhook(kSecret, "1790000000", upper, body, at(1790000000), 300s));
}

TEST(LoanSignature, ManualClockDecidesWhatIsStale) {
  ManualClock clock(at(1790000000));
  const std::string body = R"({"id":"x"})";
  const std::string sig = crypto::webhookSignature(kSecret, "1790000000", body);
  EXPECT_TRUE(verifyWebhook(kSecret, "1790000000", sig, body, clock.now(), 60s));
  clock.advance(61s);
  auto r = verifyWebhook(kSecret, "1790000000", sig, body, clock.now(), 60s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("X-Wayhome-Timestamp"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("60 s"), std::string::npos) << r.error().message;
}

struct BadSignature {
  std::string name;
  std::string timestamp;
  std::string signature;  // "GOOD" = the right one for body "{}" at 1790000000
  std::string body;
  std::string mustMention;
};

class LoanSignatureRefuses : public ::testing::TestWithParam<BadSignature> {};

TEST_P(LoanSignatureRefuses, NamingTheHeader) {
  const auto& p = GetParam();
  const std::string good = crypto::webhookSignature(kSecret, "1790000000", "{}");
  const std::string sig = p.signature == "GOOD" ? good : p.signature;
  auto r = verifyWebhook(kSecret, p.timestamp, sig, p.body, at(1790000000), 300s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(p.mustMention), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LoanSignatureRefuses,
    ::testing::Values(
        BadSignature{"missing_timestamp", "", "GOOD", "{}", "missing X-Wayhome-Timestamp"},
        BadSignature{"missing_signature", "1790000000", "", "{}", "missing X-Wayhome-Signature"},
        BadSignature{"timestamp_not_a_number", "yesterday", "GOOD", "{}", "X-Wayhome-Timestamp"},
        BadSignature{"timestamp_with_sign", "+1790000000", "GOOD", "{}", "X-Wayhome-Timestamp"},
        BadSignature{"timestamp_in_ms", "1790000000000", "GOOD", "{}", "X-Wayhome-Timestamp"},
        BadSignature{"timestamp_overflow", "99999999999999999999999", "GOOD", "{}",
                     "X-Wayhome-Timestamp"},
        BadSignature{"stale", "1789999699", "GOOD", "{}", "X-Wayhome-Timestamp"},
        // Found by the loan_webhook fuzzer: 12 digits of seconds overflowed as nanoseconds.
        BadSignature{"timestamp_overflows_nanoseconds", "999999999999", "GOOD", "{}",
                     "more than 300 s from our clock"},
        BadSignature{"from_the_future", "1790000301", "GOOD", "{}", "X-Wayhome-Timestamp"},
        BadSignature{"other_timestamp_same_signature", "1790000001", "GOOD", "{}",
                     "does not match"},
        BadSignature{"tampered_body", "1790000000", "GOOD", "{ }", "does not match"},
        BadSignature{"wrong_scheme", "1790000000", "sha1=abc", "{}", "sha256=<64 hex digits>"},
        BadSignature{"truncated", "1790000000", "sha256=1e57a4ab", "{}", "sha256=<64 hex"},
        BadSignature{"wrong_secret", "1790000000",
                     "sha256=1e57a4ab5093890d909a839ac0793b10eac6ef38e509b421e1a9c0d57a211284",
                     "{}", "does not match"},
        BadSignature{"not_hex", "1790000000", "sha256=" + std::string(64, 'z'), "{}",
                     "does not match"}),
    [](const auto& param) { return param.param.name; });

// ---- parsing and mapping ---------------------------------------------------------

class LoanParse : public ::testing::Test {
 protected:
  LoanParse()
      : refs_(std::string(40, 'k')),
        schemas_(schemas::SchemaRegistry::loadDirectory(t::schemaDir())) {}

  Result<LoanWebhook> parse(std::string_view body) {
    return parseLoanWebhook(body, [&](std::string_view nin) { return refs_.personRef(nin); });
  }

  static std::string webhook(const std::string& type, const std::string& data,
                             const std::string& id = "evt-1") {
    return R"({"id":")" + id + R"(","type":")" + type +
           R"(","occurred_at":"2026-09-01T10:15:00Z","data":{"national_identity_number":")" + kNin +
           "\"" + (data.empty() ? "" : "," + data) + "}}";
  }

  PersonRefs refs_;
  schemas::SchemaRegistry schemas_;
};

TEST_F(LoanParse, MapsEachTypeOntoItsSchemaValidCanonicalEvent) {
  const std::string ref = refs_.personRef(kNin).value();
  struct Case {
    std::string type, data, canonical, expected;
  };
  const std::vector<Case> cases{
      {"application_submitted",
       R"("application_id":"SL-2026-1001","amount_asked_nok":3200000,"submitted_date":"2026-09-01")",
       "loan.application_submitted.v1",
       R"({"person_ref":")" + ref +
           R"(","application_id":"SL-2026-1001","amount_asked_nok":3200000,"submitted_date":"2026-09-01"})"},
      {"application_decided",
       R"("application_id":"SL-1","outcome":"granted","decided_date":"2026-10-01","amount_nok":3000000,"valid_until":"2027-04-01")",
       "loan.application_decided.v1",
       R"({"person_ref":")" + ref +
           R"(","application_id":"SL-1","outcome":"granted","decided_date":"2026-10-01","amount_nok":3000000,"valid_until":"2027-04-01"})"},
      {"application_decided",
       R"("application_id":"SL-2","outcome":"rejected","decided_date":"2026-10-02","appeal_deadline":"2026-10-23","rejection_reason":"Insufficient repayment capacity.")",
       "loan.application_decided.v1",
       R"({"person_ref":")" + ref +
           R"(","application_id":"SL-2","outcome":"rejected","decided_date":"2026-10-02","appeal_deadline":"2026-10-23","rejection_reason":"Insufficient repayment capacity."})"},
      {"disbursed", R"("loan_id":"L-77","disbursed_date":"2026-11-15")", "loan.disbursed.v1",
       R"({"person_ref":")" + ref + R"(","loan_id":"L-77","disbursed_date":"2026-11-15"})"},
      {"instalment_missed",
       R"("loan_id":"L-77","days_overdue":35,"amount_nok":14200,"due_date":"2027-02-20")",
       "loan.instalment_missed.v1",
       R"({"person_ref":")" + ref +
           R"(","loan_id":"L-77","days_overdue":35,"amount_nok":14200,"due_date":"2027-02-20"})"},
  };
  for (const auto& c : cases) {
    auto r = parse(webhook(c.type, c.data));
    ASSERT_TRUE(r) << c.type << ": " << r.error().message;
    EXPECT_EQ(r.value().id, "evt-1");
    EXPECT_EQ(r.value().type, c.type);
    EXPECT_EQ(r.value().event.type, c.canonical);
    EXPECT_EQ(r.value().event.subject, ref);
    EXPECT_EQ(r.value().event.time, "2026-09-01T10:15:00Z");
    EXPECT_EQ(r.value().event.data, c.expected);
    EXPECT_FALSE(schemas_.validate(c.canonical, r.value().event.data).has_value())
        << c.canonical << " " << r.value().event.data;
    EXPECT_EQ(r.value().event.data.find(kNin), std::string::npos);
  }
}

TEST_F(LoanParse, EveryKindOfSyntheticNumberGivesItsOwnPersonRef) {
  std::set<std::string> refs;
  for (const char* nin :
       {"15838510075", "55838510069", "15708510057", "15458510072", "29828410081"}) {
    std::string body = webhook("disbursed", R"("loan_id":"L-1","disbursed_date":"2026-11-15")");
    body.replace(body.find(kNin), kNin.size(), nin);
    auto r = parse(body);
    ASSERT_TRUE(r) << r.error().message;
    refs.insert(r.value().event.subject);
  }
  EXPECT_EQ(refs.size(), 5U);
}

TEST_F(LoanParse, UnicodeAndEscapesInFreeTextSurviveAsValidJson) {
  auto r = parse(webhook(
      "application_decided",
      R"("application_id":"SL-2","outcome":"rejected","decided_date":"2026-10-02","appeal_deadline":"2026-10-23","rejection_reason":"For høy gjeld \"nå\"\n\u0001")"));
  ASSERT_TRUE(r) << r.error().message;
  rapidjson::Document d;
  d.Parse(r.value().event.data.c_str());
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(std::string(d["rejection_reason"].GetString()), "For høy gjeld \"nå\"\n\x01");
}

struct BadBody {
  std::string name;
  std::string body;
  std::string mustMention;
};

class LoanParseRefuses : public LoanParse, public ::testing::WithParamInterface<BadBody> {};

TEST_P(LoanParseRefuses, NamingTheFieldAndNeverEchoingTheIdentityNumber) {
  auto r = parse(GetParam().body);
  ASSERT_FALSE(r) << "accepted: " << GetParam().body;
  EXPECT_FALSE(r.error().retryable());
  EXPECT_NE(r.error().message.find(GetParam().mustMention), std::string::npos) << r.error().message;
  EXPECT_FALSE(hasIdentityNumberShape(r.error().message)) << r.error().message;
}

std::string w(const std::string& type, const std::string& data, const std::string& nin = kNin) {
  return R"({"id":"evt-1","type":")" + type +
         R"(","occurred_at":"2026-09-01T10:15:00Z","data":{"national_identity_number":")" + nin +
         "\"" + (data.empty() ? "" : "," + data) + "}}";
}

const std::string kSubmitted =
    R"("application_id":"SL-1","amount_asked_nok":3200000,"submitted_date":"2026-09-01")";

// An application_submitted webhook whose amount and date are the JSON texts given.
std::string submitted(const std::string& amount, const std::string& date = R"("2026-09-01")",
                      const std::string& applicationId = "SL-1") {
  return w("application_submitted", R"("application_id":")" + applicationId +
                                        R"(","amount_asked_nok":)" + amount +
                                        R"(,"submitted_date":)" + date);
}

// An application_decided webhook of SL-1 on 2026-10-01 with `outcome` and `more` data.
std::string decided(const std::string& outcome, const std::string& more = "") {
  return w("application_decided", R"("application_id":"SL-1","outcome":")" + outcome +
                                      R"(","decided_date":"2026-10-01")" + more);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LoanParseRefuses,
    ::testing::Values(
        BadBody{"empty", "", "not valid JSON"},
        BadBody{"malformed", R"({"id": "evt-1", )", "not valid JSON"},
        BadBody{"trailing_garbage", w("application_submitted", kSubmitted) + "x", "not valid JSON"},
        BadBody{"invalid_utf8", "{\"id\":\"\xff\xfe\"}", "not valid JSON"},
        BadBody{"deep_nesting", std::string(100000, '['), "nesting deeper than 64 at byte 64"},
        BadBody{"deep_nesting_closed", std::string(50000, '[') + std::string(50000, ']'),
                "nesting deeper than 64"},
        BadBody{"batch", "[" + w("application_submitted", kSubmitted) + "]", "batch"},
        BadBody{"string", R"("hello")", "must be a JSON object"},
        BadBody{"missing_id",
                R"({"type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{}})",
                "id: is required"},
        BadBody{"id_number",
                R"({"id":5,"type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{}})",
                "id: must be a string"},
        BadBody{
            "id_hostile_chars",
            R"({"id":"a/../b","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{}})",
            "id: must be 1 to 128"},
        BadBody{"id_too_long",
                R"({"id":")" + std::string(129, 'a') +
                    R"(","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{}})",
                "id: must be 1 to 128"},
        BadBody{
            "id_holds_identity_number",
            R"({"id":"evt-15838510075","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{}})",
            "id: must not hold an 11-digit run"},
        BadBody{"unknown_type",
                R"({"id":"e","type":"loan_paid","occurred_at":"2026-09-01T10:15:00Z","data":{}})",
                "type: unknown"},
        BadBody{
            "unknown_top_level_field",
            R"({"id":"e","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{},"extra":1})",
            "extra: is not a field"},
        BadBody{
            "duplicate_top_level_field",
            R"({"id":"e","id":"f","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{}})",
            "id: appears more than once"},
        BadBody{"bad_occurred_at",
                R"({"id":"e","type":"disbursed","occurred_at":"yesterday","data":{}})",
                "occurred_at: must be an RFC 3339"},
        BadBody{"missing_data",
                R"({"id":"e","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z"})",
                "data: is required"},
        BadBody{"data_not_object",
                R"({"id":"e","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":[]})",
                "data: must be an object"},
        BadBody{
            "missing_nin",
            R"({"id":"e","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{"loan_id":"L","disbursed_date":"2026-11-15"}})",
            "data.national_identity_number: is required"},
        BadBody{
            "nin_as_number",
            R"({"id":"e","type":"disbursed","occurred_at":"2026-09-01T10:15:00Z","data":{"national_identity_number":15838510075}})",
            "data.national_identity_number: must be a string"},
        BadBody{"nin_check_digit", w("application_submitted", kSubmitted, "15838510076"),
                "data.national_identity_number: national identity number has a wrong second check "
                "digit"},
        BadBody{"nin_invalid_date", w("application_submitted", kSubmitted, "29828310060"),
                "data.national_identity_number"},
        BadBody{"nin_too_short", w("application_submitted", kSubmitted, "1583851007"),
                "data.national_identity_number"},
        BadBody{"unknown_data_field", w("application_submitted", kSubmitted + R"(,"nin":"x")"),
                "data.nin: is not a field of application_submitted"},
        BadBody{"field_name_holds_identity_number",
                w("application_submitted", kSubmitted + R"(,"15838510075":"x")"),
                "data.(a name with an 11-digit run): is not a field"},
        BadBody{"duplicate_data_field",
                w("application_submitted", kSubmitted + R"(,"amount_asked_nok":1)"),
                "data.amount_asked_nok: appears more than once"},
        BadBody{
            "missing_required",
            w("application_submitted", R"("application_id":"SL-1","submitted_date":"2026-09-01")"),
            "data.amount_asked_nok: is required"},
        BadBody{"amount_as_string", submitted(R"("3200000")"),
                "data.amount_asked_nok: must be an integer"},
        BadBody{"amount_fraction", submitted("1.5"),
                "data.amount_asked_nok: must be a whole number"},
        BadBody{"amount_zero", submitted("0"),
                "data.amount_asked_nok: must be from 1 to 100000000"},
        BadBody{"amount_huge", submitted("1e300"), "data.amount_asked_nok"},
        BadBody{"date_not_in_calendar", submitted("1", R"("2026-02-30")"),
                "data.submitted_date: must be a date YYYY-MM-DD"},
        BadBody{"date_wrong_type", submitted("1", "null"), "data.submitted_date: must be a string"},
        BadBody{"application_id_holds_identity_number",
                submitted("1", R"("2026-09-01")", "SL-15838510075"),
                "data.application_id: must not hold an 11-digit run"},
        BadBody{"outcome_unknown", decided("approved"),
                "data.outcome: must be granted or rejected"},
        BadBody{"granted_without_amount", decided("granted", R"(,"valid_until":"2027-04-01")"),
                "data.amount_nok: is required when granted"},
        BadBody{"rejected_without_deadline", decided("rejected"),
                "data.appeal_deadline: is required when rejected"},
        BadBody{"rejected_with_amount",
                decided("rejected", R"(,"appeal_deadline":"2026-10-22","amount_nok":5)"),
                "data.amount_nok: is only for a grant"},
        BadBody{"reason_holds_identity_number",
                decided("rejected",
                        R"(,"appeal_deadline":"2026-10-22","rejection_reason":"see 158385 10075")"),
                "data.rejection_reason: must not hold an 11-digit run"},
        BadBody{"reason_too_long",
                decided("rejected", R"(,"appeal_deadline":"2026-10-22","rejection_reason":")" +
                                        std::string(501, 'x') + "\""),
                "data.rejection_reason: must be 1 to 500"},
        BadBody{"days_overdue_negative",
                w("instalment_missed", R"("loan_id":"L","days_overdue":-3,"amount_nok":5)"),
                "data.days_overdue: must be from 1 to 3650"},
        BadBody{"disbursed_field_of_other_type",
                w("disbursed", R"("loan_id":"L","disbursed_date":"2026-11-15","days_overdue":3)"),
                "data.days_overdue: is not a field of disbursed"}),
    [](const auto& param) { return param.param.name; });

TEST(LoanIdentityShape, SpotsElevenDigitRunsAndTheSplitForm) {
  // A valid number in any grouping is one (issue 12, item 10: "15838 510075"); an
  // invalid one is not ("15838 510076").
  t::expectEach(hasIdentityNumberShape, true,
                {"15838510075", "x158385100751", "nr 158385 10075.", "15838 510075"});
  t::expectEach(hasIdentityNumberShape, false, {"1583851007", "SL-2026-1001", "15838 510076"});
}

// ---- settings --------------------------------------------------------------------

TEST(LoanSettings, DefaultsAndEveryKey) {
  auto s = parseLoanSettings("loan", R"({"secret":")" + kSecret + R"("})");
  EXPECT_EQ(s.secret, kSecret);
  EXPECT_EQ(s.maxClockSkew, 300s);
  EXPECT_EQ(s.maxBodyBytes, 65536U);
  EXPECT_EQ(s.retryAfter, 1s);
  s = parseLoanSettings("loan",
                        R"({"secret":")" + kSecret +
                            R"(","max_clock_skew_s":30,"max_body_bytes":2048,"retry_after_s":7})");
  EXPECT_EQ(s.maxClockSkew, 30s);
  EXPECT_EQ(s.maxBodyBytes, 2048U);
  EXPECT_EQ(s.retryAfter, 7s);
}

TEST(LoanSettings, SecretFileIsReadAndTrimmed) {
  t::TempDir dir;
  t::writeSecretFile(dir / "secret", kSecret + "\n");
  auto s = parseLoanSettings("loan", R"({"secret_file":")" + (dir / "secret").string() + R"("})");
  EXPECT_EQ(s.secret, kSecret);
}

TEST(LoanSettings, UnusableSecretsStopStartUpNamingTheKey) {
  t::TempDir dir;
  t::writeSecretFile(dir / "short", "tooshort\n");
  auto expectError = [](const std::string& json, const std::string& mention) {
    try {
      (void)LoanConnectorFactory().create("loan-a", json);
      ADD_FAILURE() << "accepted " << json;
    } catch (const ConnectorConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("loan-a"), std::string::npos) << e.what();
    }
  };
  expectError("{}", "exactly one of /secret and /secret_file");
  expectError(R"({"secret":")" + kSecret + R"(","secret_file":"/x"})", "exactly one");
  expectError(R"({"secret_file":"/nonexistent/secret"})", "cannot be read");
  expectError(R"({"secret_file":")" + (dir / "short").string() + R"("})", "fewer than 32 bytes");
  // Issue 12: a secret others may read is no secret.
  t::writeFile(dir / "open", kSecret + "\n");
  std::filesystem::permissions(dir / "open", std::filesystem::perms(0644));
  expectError(R"({"secret_file":")" + (dir / "open").string() + R"("})", "group or others");
}

TEST(LoanSettings, TheRegistryChecksTheSchemaFirst) {
  ConnectorRegistry registry;
  registry.add(std::make_unique<LoanConnectorFactory>());
  EXPECT_THROW((void)registry.create("loan", "l", R"({"secret":")" + kSecret + R"(","secrett":1})"),
               ConnectorConfigError);
  EXPECT_THROW((void)registry.create("loan", "l", R"({"secret":"short"})"), ConnectorConfigError);
  EXPECT_THROW(
      (void)registry.create("loan", "l", R"({"secret":")" + kSecret + R"(","max_body_bytes":"1"})"),
      ConnectorConfigError);
  EXPECT_NE(registry.create("loan", "l", R"({"secret":")" + kSecret + R"("})"), nullptr);
}

}  // namespace
}  // namespace wayhome::connectors::loan

namespace wayhome::connectors {
namespace {

bool elevenDigitRun(std::string_view s) {
  std::size_t run = 0;
  for (char c : s) {
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= 11) return true;
  }
  return false;
}

// Event ids and person_refs travel in headers and payloads, where an 11-digit run
// reads as an identity number.
TEST(KeyedDigest, NeverHoldsAnElevenDigitRunAndIsDeterministic) {
  int plainHadRun = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string data = "record-" + std::to_string(i);
    const std::string digest = keyedDigest("key", data);
    EXPECT_EQ(digest.size(), 32U);
    EXPECT_FALSE(elevenDigitRun(digest)) << digest;
    EXPECT_EQ(digest, keyedDigest("key", data));
    const std::string plain = crypto::toHex(crypto::hmacSha256("key", data)).substr(0, 32);
    if (elevenDigitRun(plain)) {
      ++plainHadRun;
    } else {
      EXPECT_EQ(digest, plain);  // the usual case keeps the plain HMAC
    }
  }
  EXPECT_GT(plainHadRun, 0);  // the re-hash path was taken
}

}  // namespace
}  // namespace wayhome::connectors
