// Plania records and the events their changes mean: parsing with errors that name
// the field, and every derivation rule, checked against the real event schemas.

#include <gtest/gtest.h>

#include <wayhome/plania/records.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::connectors::plania {
namespace {

const std::string kRef = "pr_0123456789abcdef0123456789abcdef";

const schemas::SchemaRegistry& registry() {
  static const auto r = schemas::SchemaRegistry::loadDirectory(testing::schemaDir());
  return r;
}

void expectValid(const std::vector<Derived>& events) {
  for (const auto& d : events) {
    const auto invalid = registry().validate(d.event.type, d.event.data);
    EXPECT_FALSE(invalid.has_value()) << d.event.type << ": " << invalid->message << "\n"
                                      << d.event.data;
  }
}

Contract contract(const std::string& json) {
  auto c = parseContract(json);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? c.value() : Contract{};
}

/// The events deriving `changed` from `before` makes, each valid against its schema; of
/// `type` there is exactly one, at `version`, whose data gives `reason`; and deriving
/// again from `changed` makes nothing.
std::vector<Derived> expectOneWithReason(const Contract& before, const Contract& changed,
                                         const ContractParty& party, const std::string& type,
                                         const std::string& version, const std::string& reason) {
  auto r = deriveContract(before, changed, party);
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return {};
  std::vector<Derived> ofType;
  for (const auto& d : r.value()) {
    if (d.event.type == type) ofType.push_back(d);
  }
  EXPECT_EQ(ofType.size(), 1u) << type;
  for (const auto& d : ofType) {
    EXPECT_EQ(d.version, version);
    EXPECT_NE(d.event.data.find("\"reason\":\"" + reason + "\""), std::string::npos)
        << d.event.data;
  }
  expectValid(r.value());
  EXPECT_TRUE(deriveContract(changed, changed, party).value().empty());
  return r.value();
}

const char* kApplied = R"({"id":"CON-1","updated":"2026-01-06T08:00:00.001Z","status":"APPLICATION",
  "customerId":"CUS-1","applicationRegisteredDate":"2026-01-06","wantsFinancialAdvice":true,
  "startDate":null,"monthsOverdue":0,"arrearsAmount":0})";
const char* kSigned = R"({"id":"CON-1","updated":"2026-01-09T08:00:00.001Z","status":"ACTIVE",
  "customerId":"CUS-1","areaId":"AREA-7","applicationRegisteredDate":"2026-01-06",
  "startDate":"2026-01-10","scheduledEndDate":"2029-01-10","fixedTerm":true,
  "guidanceFolderHandedOver":true,"housingContactId":"HC-2"})";

TEST(PlaniaTime, ParsesRfc3339WithOffsetsAndFormatsUtcMilliseconds) {
  const auto a = parseRfc3339Ms("2026-01-05T08:00:00Z");
  const auto b = parseRfc3339Ms("2026-01-05T09:00:00.000+01:00");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(formatRfc3339Ms(*a), "2026-01-05T08:00:00.000Z");
  EXPECT_EQ(formatRfc3339Ms(*parseRfc3339Ms("2028-02-29T23:59:59.5Z")), "2028-02-29T23:59:59.500Z");
  for (const char* bad : {"2026-01-05", "2026-02-30T00:00:00Z", "2026-01-05T08:00:00",
                          "2026-01-05T25:00:00Z", "yesterday", "2026-01-05T08:00:00Zjunk"}) {
    EXPECT_FALSE(parseRfc3339Ms(bad).has_value()) << bad;
  }
  EXPECT_TRUE(isDate("2028-02-29"));
  EXPECT_FALSE(isDate("2027-02-29"));
}

// The fuzzer's find: a time outside the nanosecond clock's ±292 years overflowed when
// formatted. Every year RFC 3339 can write round-trips (UBSan stops the test otherwise).
TEST(PlaniaTime, YearsFarFromNowRoundTripWithoutOverflow) {
  for (const char* text : {"1393-01-05T08:00:00.000Z", "0000-01-01T00:00:00.000Z",
                           "9999-12-31T23:59:59.999Z", "1600-02-29T12:00:00.250Z"}) {
    const auto ms = parseRfc3339Ms(text);
    ASSERT_TRUE(ms.has_value()) << text;
    EXPECT_EQ(formatRfc3339Ms(*ms), text);
  }
  const auto head = parseHead(R"({"id":"W1","updated":"1393-01-05T08:00:00Z"})");
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head.value().updated, "1393-01-05T08:00:00.000Z");
}

TEST(PlaniaRecords, BadFieldsAreNamedAndTheirValuesNeverEchoed) {
  struct Case {
    const char* json;
    const char* field;
  };
  for (
      const auto& c : std::vector<Case>{
          {R"({"updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C"})", "id"},
          {R"({"id":"C1","updated":"soon","status":"ACTIVE","customerId":"C"})", "updated"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C",
               "startDate":20260105})",
           "startDate"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C",
               "startDate":"15838510075"})",
           "startDate"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C",
               "monthsOverdue":"two"})",
           "monthsOverdue"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C",
               "arrearsAmount":-5})",
           "arrearsAmount"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C",
               "fixedTerm":"yes"})",
           "fixedTerm"},
          {R"({"id":"C 1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C"})",
           "id"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE"})", "customerId"},
          // Ids holding an identity number are refused like the other connectors' ids
          // (issue 12, item 10), also when written with a separator.
          {R"({"id":"15838510075","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C"})",
           "id"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"158385-10075"})",
           "customerId"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":7,"customerId":"C"})", "status"},
          // Issue 15: the warning of termination and the waiting-list plan.
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C",
               "terminationWarningDate":"15838510075"})",
           "terminationWarningDate"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"ACTIVE","customerId":"C",
               "terminationWarningReason":{"code":"ARREARS"}})",
           "terminationWarningReason"},
          {R"({"id":"C1","updated":"2026-01-05T08:00:00Z","status":"APPROVED","customerId":"C",
               "housingPlanDate":"2026-02-30"})",
           "housingPlanDate"},
          {R"([1,2])", "record"},
          {R"({"id":)", "record"},
      }) {
    auto r = parseContract(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().message.rfind(c.field, 0), 0u) << r.error().message;
    EXPECT_FALSE(r.error().retryable());
    EXPECT_EQ(r.error().message.find("15838510075"), std::string::npos);
    EXPECT_EQ(r.error().message.find("158385-10075"), std::string::npos);
  }
  auto area = parseArea(R"({"id":"A1","updated":"2026-01-05T08:00:00Z","rentalStatus":"vacant",
                            "monthlyRent":"a lot"})");
  ASSERT_FALSE(area.ok());
  EXPECT_EQ(area.error().message.rfind("monthlyRent", 0), 0u);
  auto wo = parseWorkOrder(R"({"id":"W1","updated":"2026-01-05T08:00:00Z","status":"PLANNED",
                               "areaId":"A1","plannedStart":"2026-13-01"})");
  ASSERT_FALSE(wo.ok());
  EXPECT_EQ(wo.error().message.rfind("plannedStart", 0), 0u);
  auto customer = parseCustomer(R"({"id":"CUS-1","updated":"2026-01-05T08:00:00Z",
                                    "nationalIdentityNumber":15838510075})");
  ASSERT_FALSE(customer.ok());
  EXPECT_EQ(customer.error().message.rfind("nationalIdentityNumber", 0), 0u);
}

TEST(PlaniaRecords, DatesWithAMidnightTimeCountAsDatesAndAmountsRoundToKroner) {
  auto c = contract(R"({"id":"C1","updated":"2026-01-05T08:00:00+01:00","status":"active",
    "customerId":"CUS-1","startDate":"2026-02-01T00:00:00","arrearsAmount":1234.5,"monthsOverdue":1,
    "someOtherPlaniaField":{"nested":true}})");
  EXPECT_EQ(c.head.updated, "2026-01-05T07:00:00.000Z");
  EXPECT_EQ(c.status, "ACTIVE");
  EXPECT_EQ(c.startDate, "2026-02-01");
  EXPECT_EQ(c.arrearsNok, 1235);
  // The seen state reads back to the same record.
  const auto again = contract(toSeenJson(c, kRef));
  EXPECT_EQ(toSeenJson(again, kRef), toSeenJson(c, kRef));
  EXPECT_EQ(personRefOfSeenContract(toSeenJson(c, kRef)), kRef);
}

// The seen state of existing databases was written with these keys in this order; the
// connector compares it to the new one as text, so a re-poll of an unchanged record must
// write it again to the letter, and the parser must read it back.
TEST(PlaniaRecords, SeenStateKeepsItsKeysAndOrderAndReadsBack) {
  const std::string updated = R"("updated":"2026-01-05T08:00:00.000Z")";
  const std::string full =
      R"({"id":"C1",)" + updated +
      R"(,"status":"ACTIVE","customerId":"CUS-1","areaId":"A1",)"
      R"("applicationRegisteredDate":"2025-01-02","approvalDate":"2025-02-03",)"
      R"("allocationDate":"2025-03-04","startDate":"2025-04-05",)"
      R"("scheduledEndDate":"2028-04-04","endDate":"2028-04-05",)"
      R"("terminationReason":"moved","terminationWarningDate":"2027-01-01",)"
      R"("terminationWarningReason":"ARREARS","housingPlanDate":"2025-02-10",)"
      R"("fixedTerm":true,"housingContactId":"HC-1",)"
      R"("guidanceFolderHandedOver":false,"householdSize":3,)"
      R"("wantsFinancialAdvice":true,"monthsOverdue":2,"arrearsAmount":12000,)"
      R"("personRef":")" +
      kRef + R"("})";
  auto c = contract(R"({"id":"C1","updated":"2026-01-05T09:00:00+01:00","status":"active",
    "customerId":"CUS-1","areaId":"A1","applicationRegisteredDate":"2025-01-02",
    "approvalDate":"2025-02-03","allocationDate":"2025-03-04","startDate":"2025-04-05T00:00:00",
    "scheduledEndDate":"2028-04-04","endDate":"2028-04-05","terminationReason":"moved",
    "terminationWarningDate":"2027-01-01","terminationWarningReason":"ARREARS",
    "housingPlanDate":"2025-02-10","fixedTerm":true,"housingContactId":"HC-1",
    "guidanceFolderHandedOver":false,"householdSize":3,"wantsFinancialAdvice":true,
    "monthsOverdue":2,"arrearsAmount":11999.6,"personRef":"ignored"})");
  EXPECT_EQ(toSeenJson(c, kRef), full);
  EXPECT_EQ(toSeenJson(contract(full), kRef), full);

  const std::string bare = R"({"id":"C2",)" + updated +
                           R"(,"status":"APPLICATION","customerId":"CUS-2","monthsOverdue":0,)"
                           R"("arrearsAmount":0,"personRef":")" +
                           kRef + R"("})";
  auto b = contract(R"({"id":"C2","updated":"2026-01-05T08:00:00Z","status":"APPLICATION",
    "customerId":"CUS-2","areaId":null})");
  EXPECT_EQ(toSeenJson(b, kRef), bare);
  EXPECT_EQ(toSeenJson(contract(bare), kRef), bare);

  struct Case {
    const char* item;
    std::string seen;
  };
  for (const auto& a : std::vector<Case>{
           {R"({"id":"A1","updated":"2026-01-05T08:00:00Z","rentalStatus":"vacant",
                "monthlyRent":0.4})",
            R"({"id":"A1",)" + updated +
                R"(,"isHousing":true,"rentalStatus":"VACANT",)"
                R"("rentToOwn":false})"},
           {R"({"id":"A2","updated":"2026-01-05T08:00:00Z","isHousing":false,"rentalStatus":"LET",
                "monthlyRent":8500.4,"rentToOwn":true,"availableFrom":"2026-02-01T00:00:00"})",
            R"({"id":"A2",)" + updated +
                R"(,"isHousing":false,"rentalStatus":"LET",)"
                R"("monthlyRent":8500,"rentToOwn":true,)"
                R"("availableFrom":"2026-02-01"})"},
       }) {
    auto area = parseArea(a.item);
    ASSERT_TRUE(area.ok()) << a.item;
    EXPECT_EQ(toSeenJson(area.value()), a.seen);
    EXPECT_EQ(toSeenJson(parseArea(a.seen).value()), a.seen);
  }
  for (const auto& w : std::vector<Case>{
           {R"({"id":"W1","updated":"2026-01-05T08:00:00Z","areaId":"A1","status":"planned"})",
            R"({"id":"W1",)" + updated +
                R"(,"areaId":"A1","status":"PLANNED",)"
                R"("tenantMustMoveOut":false})"},
           {R"({"id":"W2","updated":"2026-01-05T08:00:00Z","areaId":"A1","type":"Painting",
                "status":"STARTED","plannedStart":"2026-03-01","plannedEnd":"2026-03-05",
                "tenantMustMoveOut":true})",
            R"({"id":"W2",)" + updated +
                R"(,"areaId":"A1","type":"Painting","status":"STARTED",)"
                R"("plannedStart":"2026-03-01","plannedEnd":"2026-03-05",)"
                R"("tenantMustMoveOut":true})"},
       }) {
    auto order = parseWorkOrder(w.item);
    ASSERT_TRUE(order.ok()) << w.item;
    EXPECT_EQ(toSeenJson(order.value()), w.seen);
    EXPECT_EQ(toSeenJson(parseWorkOrder(w.seen).value()), w.seen);
  }
}

TEST(PlaniaRecords, ErrorsNameTheFirstBadFieldInReadingOrder) {
  const char* head = R"({"id":"R1","updated":"2026-01-05T08:00:00Z",)";
  auto error = [&](auto parse, const std::string& rest) {
    auto r = parse(head + rest);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(error(parseContract, R"("customerId":"C","householdSize":21})"), "status: missing");
  EXPECT_EQ(error(parseContract, R"("status":"ACTIVE","customerId":"C","householdSize":21,)"
                                 R"("monthsOverdue":-1})"),
            "householdSize: must be between 1 and 20");
  EXPECT_EQ(error(parseContract, R"("status":"ACTIVE","customerId":"C","monthsOverdue":121})"),
            "monthsOverdue: must be between 0 and 120");
  EXPECT_EQ(error(parseContract, R"("status":"ACTIVE","customerId":"C","householdSize":2.5})"),
            "householdSize: expected a whole number, got a number");
  EXPECT_EQ(error(parseArea, R"("isHousing":"yes","rentalStatus":7})"),
            "isHousing: expected true or false, got a string of another form");
  EXPECT_EQ(error(parseArea, R"("monthlyRent":-1})"), "rentalStatus: missing");
  EXPECT_EQ(error(parseArea, R"("rentalStatus":"LET","availableFrom":"soon"})"),
            "availableFrom: expected a date YYYY-MM-DD or null, got a string of another form");
  EXPECT_EQ(error(parseWorkOrder, R"("status":"PLANNED","tenantMustMoveOut":1})"),
            "areaId: missing");
  EXPECT_EQ(error(parseWorkOrder, R"("areaId":"A1","status":"PLANNED","tenantMustMoveOut":1})"),
            "tenantMustMoveOut: expected true or false, got a number");
}

TEST(PlaniaDerive, ApplicationThenSigningEachOnceWithDeterministicVersions) {
  const ContractParty party{kRef, 3};
  auto first = deriveContract(std::nullopt, contract(kApplied), party);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.value().size(), 1u);
  const auto& app = first.value()[0];
  EXPECT_EQ(app.event.type, "housing.application_received.v1");
  EXPECT_EQ(app.event.subject, kRef);
  EXPECT_EQ(app.version, "application:2026-01-06");
  EXPECT_NE(app.event.data.find(R"("household_size":3)"), std::string::npos) << app.event.data;
  EXPECT_NE(app.event.data.find(R"("wants_financial_advice":true)"), std::string::npos);
  expectValid(first.value());

  // The same state again (the overlap re-read) means nothing.
  auto again = deriveContract(contract(kApplied), contract(kApplied), party);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value().empty());

  auto signedNow = deriveContract(contract(kApplied), contract(kSigned), party);
  ASSERT_TRUE(signedNow.ok());
  ASSERT_EQ(signedNow.value().size(), 1u);
  const auto& s = signedNow.value()[0];
  EXPECT_EQ(s.event.type, "tenancy.contract_signed.v1");
  EXPECT_EQ(s.version, "signed:2026-01-10");
  EXPECT_NE(s.event.data.find(R"("unit_id":"AREA-7")"), std::string::npos);
  EXPECT_NE(s.event.data.find(R"("scheduled_end_date":"2029-01-10")"), std::string::npos);
  EXPECT_NE(s.event.data.find(R"("housing_contact_id":"HC-2")"), std::string::npos);
  expectValid(signedNow.value());

  // Seen for the first time already signed: both, as they happened.
  auto both = deriveContract(std::nullopt, contract(kSigned), party);
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both.value().size(), 2u);
  EXPECT_EQ(both.value()[0].version, "application:2026-01-06");
  EXPECT_EQ(both.value()[1].version, "signed:2026-01-10");
}

TEST(PlaniaDerive, ApplicationWithoutAnyHouseholdSizeIsRejected) {
  auto r = deriveContract(std::nullopt, contract(kApplied), ContractParty{kRef, std::nullopt});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("householdSize"), std::string::npos);
}

TEST(PlaniaDerive, RenewalOnlyWhenTheScheduledEndMovesLater) {
  const ContractParty party{kRef, 2};
  auto signedC = contract(kSigned);
  auto later = signedC;
  later.scheduledEndDate = "2032-01-10";
  auto r = deriveContract(signedC, later, party);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].event.type, "tenancy.contract_renewed.v1");
  EXPECT_EQ(r.value()[0].version, "renewed:2032-01-10");
  EXPECT_NE(r.value()[0].event.data.find(R"("previous_scheduled_end_date":"2029-01-10")"),
            std::string::npos);
  expectValid(r.value());
  auto earlier = signedC;
  earlier.scheduledEndDate = "2028-01-10";
  EXPECT_TRUE(deriveContract(signedC, earlier, party).value().empty());
}

TEST(PlaniaDerive, TerminationMapsReasonCodesAndNeedsNoSecondEvent) {
  const ContractParty party{kRef, 2};
  const auto signedC = contract(kSigned);
  struct Case {
    std::optional<std::string> code;
    const char* reason;
  };
  for (const auto& c : std::vector<Case>{{"FRAFLYTTET", "moved"},
                                         {"moved_out", "moved"},
                                         {"KJOPT_EGEN_BOLIG", "bought_own_home"},
                                         {"UTKASTELSE", "eviction"},
                                         {"ANNET", "other"},
                                         {"SOMETHING_NEW", "other"},
                                         {std::nullopt, "other"}}) {
    auto ended = signedC;
    ended.endDate = "2026-06-30";
    ended.status = "TERMINATED";
    ended.terminationReason = c.code;
    SCOPED_TRACE(c.reason);
    EXPECT_EQ(expectOneWithReason(signedC, ended, party, "tenancy.contract_terminated.v1",
                                  "terminated:2026-06-30", c.reason)
                  .size(),
              1u);  // no second event
  }
  // Marked TERMINATED without an end date: it ends at its scheduled end.
  auto statusOnly = signedC;
  statusOnly.status = "TERMINATED";
  auto r = deriveContract(signedC, statusOnly, party);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_NE(r.value()[0].event.data.find(R"("end_date":"2029-01-10")"), std::string::npos);
}

TEST(PlaniaDerive, ArrearsOnlyWhenTheyGrow) {
  const ContractParty party{kRef, 2};
  auto base = contract(kSigned);
  auto one = base;
  one.monthsOverdue = 1;
  one.arrearsNok = 8500;
  auto r = deriveContract(base, one, party);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].event.type, "tenancy.rent_arrears.v1");
  EXPECT_EQ(r.value()[0].version, "arrears:1:8500:" + one.head.updated);
  expectValid(r.value());
  auto more = one;
  more.arrearsNok = 9000;
  EXPECT_EQ(deriveContract(one, more, party).value().size(), 1u);
  auto less = more;
  less.arrearsNok = 500;
  EXPECT_TRUE(deriveContract(more, less, party).value().empty());
  EXPECT_TRUE(deriveContract(one, one, party).value().empty());
}

// Paid in full: the case is cleared once; falling behind by the same rent later is a
// new case with a new version (the intake would take a repeated version for a resend).
TEST(PlaniaDerive, ArrearsPaidInFullAreClearedAndANewCaseIsNotARepeat) {
  const ContractParty party{kRef, 2};
  auto one = contract(kSigned);
  one.monthsOverdue = 1;
  one.arrearsNok = 8500;
  one.head.updated = "2027-03-01T09:00:00.000Z";
  auto paid = one;
  paid.monthsOverdue = 0;
  paid.arrearsNok = 0;
  paid.head.updated = "2027-03-14T12:30:00.000Z";
  auto r = deriveContract(one, paid, party);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].event.type, "tenancy.arrears_cleared.v1");
  EXPECT_EQ(r.value()[0].version, "cleared:2027-03-14T12:30:00.000Z");
  EXPECT_NE(r.value()[0].event.data.find(R"("cleared_date":"2027-03-14")"), std::string::npos);
  EXPECT_NE(r.value()[0].event.data.find(R"("previous_amount_nok":8500)"), std::string::npos);
  expectValid(r.value());
  EXPECT_TRUE(deriveContract(paid, paid, party).value().empty());
  // Part paid is not cleared; a month still overdue with nothing owed is not either.
  auto part = one;
  part.arrearsNok = 100;
  EXPECT_TRUE(deriveContract(one, part, party).value().empty());
  auto again = paid;
  again.monthsOverdue = 1;
  again.arrearsNok = 8500;
  again.head.updated = "2027-05-02T08:00:00.000Z";
  auto r2 = deriveContract(paid, again, party);
  ASSERT_EQ(r2.value().size(), 1u);
  EXPECT_EQ(r2.value()[0].event.type, "tenancy.rent_arrears.v1");
  EXPECT_NE(r2.value()[0].version, r.value()[0].version);
  EXPECT_NE(r2.value()[0].version, "arrears:1:8500:" + one.head.updated);
}

// Issue 15 item 6: the waiting list. Approval, a plan recorded while waiting and the
// allocation are each an event once; while approved without a unit the contract is
// on the waiting list.
TEST(PlaniaDerive, WaitingListApprovedPlanRecordedAllocatedEachOnce) {
  const ContractParty party{kRef, 3};
  auto applied = contract(kApplied);
  auto approved = applied;
  approved.status = "APPROVED";
  approved.approvalDate = "2026-01-08";
  EXPECT_FALSE(onWaitingList(applied));
  EXPECT_TRUE(onWaitingList(approved));
  auto r = deriveContract(applied, approved, party);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].event.type, "housing.application_approved.v1");
  EXPECT_EQ(r.value()[0].version, "approved:2026-01-08");
  EXPECT_NE(r.value()[0].event.data.find(R"("household_size":3)"), std::string::npos);
  expectValid(r.value());
  EXPECT_TRUE(deriveContract(approved, approved, party).value().empty());

  auto planned = approved;
  planned.housingPlanDate = "2026-02-01";
  r = deriveContract(approved, planned, party);
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].event.type, "housing.waiting_plan_recorded.v1");
  expectValid(r.value());
  EXPECT_TRUE(onWaitingList(planned));  // a plan is not a home

  auto allocated = planned;
  allocated.status = "ALLOCATED";
  allocated.allocationDate = "2026-03-10";
  allocated.areaId = "AREA-3";
  EXPECT_FALSE(onWaitingList(allocated));
  r = deriveContract(planned, allocated, party);
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].event.type, "housing.unit_allocated.v1");
  EXPECT_EQ(r.value()[0].version, "allocated:2026-03-10");
  EXPECT_NE(r.value()[0].event.data.find(R"("days_on_waiting_list":61)"), std::string::npos)
      << r.value()[0].event.data;
  expectValid(r.value());

  // Seen for the first time already allocated: received, approved, allocated in order.
  r = deriveContract(std::nullopt, allocated, party);
  ASSERT_EQ(r.value().size(), 4u);
  EXPECT_EQ(r.value()[1].event.type, "housing.application_approved.v1");
  EXPECT_EQ(r.value()[3].event.type, "housing.unit_allocated.v1");

  auto terminated = approved;
  terminated.status = "TERMINATED";
  EXPECT_FALSE(onWaitingList(terminated));
}

// Issue 15 item 5: a warning of termination, before an eviction.
TEST(PlaniaDerive, WarningOfTerminationOnceWithItsReasonAndArrears) {
  const ContractParty party{kRef, 2};
  const auto base = contract(kSigned);
  for (const auto& [code, reason] : std::vector<std::pair<std::optional<std::string>, std::string>>{
           {"HUSLEIERESTANSE", "arrears"},
           {"arrears", "arrears"},
           {"MISLIGHOLD", "breach_of_contract"},
           {"ANNET", "other"},
           {std::nullopt, "other"}}) {
    auto warned = base;
    warned.monthsOverdue = 2;
    warned.arrearsNok = 17000;
    warned.terminationWarningDate = "2026-04-02";
    warned.terminationWarningReason = code;
    SCOPED_TRACE(reason);
    for (const auto& d : expectOneWithReason(base, warned, party, "tenancy.termination_warned.v1",
                                             "warned:2026-04-02", reason)) {
      if (d.event.type == "tenancy.termination_warned.v1") {
        EXPECT_NE(d.event.data.find(R"("amount_nok":17000)"), std::string::npos) << d.event.data;
      }
    }
  }
  // The seen state keeps the warning, so a re-poll repeats nothing.
  auto warned = base;
  warned.terminationWarningDate = "2026-04-02";
  warned.housingPlanDate = "2026-01-02";
  const auto back = contract(toSeenJson(warned, kRef));
  EXPECT_EQ(back.terminationWarningDate, warned.terminationWarningDate);
  EXPECT_EQ(back.housingPlanDate, warned.housingPlanDate);
}

TEST(PlaniaDerive, UnitVacatedOnlyForHousingBecomingVacant) {
  auto let = parseArea(R"({"id":"AREA-7","updated":"2026-01-05T08:00:00Z","rentalStatus":"LET",
                           "monthlyRent":8750.0,"rentToOwn":true})")
                 .value();
  auto vacant = let;
  vacant.rentalStatus = "VACANT";
  vacant.availableFrom = "2026-03-01";
  auto r = deriveArea(let, vacant);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].event.subject, "AREA-7");
  EXPECT_EQ(r[0].version, "vacated:2026-03-01");
  EXPECT_NE(r[0].event.data.find(R"("rent_to_own_potential":true)"), std::string::npos);
  EXPECT_NE(r[0].event.data.find(R"("monthly_rent_nok":8750)"), std::string::npos);
  expectValid(r);
  EXPECT_TRUE(deriveArea(vacant, vacant).empty());
  EXPECT_TRUE(deriveArea(vacant, let).empty());
  auto office = vacant;
  office.isHousing = false;
  EXPECT_TRUE(deriveArea(let, office).empty());
}

TEST(PlaniaDerive, MaintenanceKeyedByTenantOrUnitAndFreeTextNeverCarriesANumber) {
  auto registered = parseWorkOrder(R"({"id":"WO-1","updated":"2026-01-05T08:00:00Z",
      "status":"REGISTERED","areaId":"AREA-7","type":"Bathroom"})")
                        .value();
  EXPECT_TRUE(deriveWorkOrder(std::nullopt, registered, std::nullopt).empty());
  auto planned = registered;
  planned.status = "PLANNED";
  planned.plannedStart = "2026-02-01";
  planned.plannedEnd = "2026-02-10";
  planned.tenantMustMoveOut = true;
  auto withTenant = deriveWorkOrder(registered, planned, Tenancy{"CON-1", kRef});
  ASSERT_EQ(withTenant.size(), 1u);
  EXPECT_EQ(withTenant[0].event.subject, kRef);
  EXPECT_NE(withTenant[0].event.data.find(R"("contract_id":"CON-1")"), std::string::npos);
  EXPECT_NE(withTenant[0].event.data.find(R"("tenant_must_move_out":true)"), std::string::npos);
  expectValid(withTenant);
  EXPECT_TRUE(deriveWorkOrder(planned, planned, Tenancy{"CON-1", kRef}).empty());

  auto moved = planned;
  moved.plannedEnd = "2026-02-20";
  auto vacantUnit = deriveWorkOrder(planned, moved, std::nullopt);
  ASSERT_EQ(vacantUnit.size(), 1u);
  EXPECT_EQ(vacantUnit[0].event.subject, "AREA-7");
  EXPECT_NE(vacantUnit[0].version, withTenant[0].version);
  expectValid(vacantUnit);

  auto leaky = moved;
  leaky.type = "Call tenant 158385 10075 first";
  auto r = deriveWorkOrder(std::nullopt, leaky, std::nullopt);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].event.data.find("work_type"), std::string::npos) << r[0].event.data;
  expectValid(r);
}

TEST(PlaniaRecords, ReasonCodesMapToTheCanonicalReasonInAnyCase) {
  EXPECT_EQ(terminationReason("fraflyttet"), "moved");
  EXPECT_EQ(terminationReason("OPPSAGT_AV_LEIETAKER"), "moved");
  EXPECT_EQ(terminationReason("Kjopt_Egen_Bolig"), "bought_own_home");
  EXPECT_EQ(terminationReason("UTKASTELSE"), "eviction");
  EXPECT_EQ(terminationReason("ARREARS"), "other");
  EXPECT_EQ(terminationReason(std::nullopt), "other");
  EXPECT_EQ(warningReason("husleierestanse"), "arrears");
  EXPECT_EQ(warningReason("ORDENSBRUDD"), "breach_of_contract");
  EXPECT_EQ(warningReason("EVICTION"), "other");
  EXPECT_EQ(warningReason(std::nullopt), "other");
}

}  // namespace
}  // namespace wayhome::connectors::plania
