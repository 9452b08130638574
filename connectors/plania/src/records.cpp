#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdio>
#include <limits>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/connectors/formats.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/plania/records.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_writer.hpp>

namespace wayhome::connectors::plania {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::size_t kMaxIdLength = 128;

bool isIdText(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdLength) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string upper(std::string s) {
  for (auto& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

/// Field access with errors that name the field and never echo its value (a
/// misplaced identity number must not end up in an error message).
class Fields {
 public:
  explicit Fields(const rapidjson::Value& object) : object_(object) {}

  const rapidjson::Value* get(const char* name) const {
    auto it = object_.FindMember(name);
    if (it == object_.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }

  bool failed() const { return error_.has_value(); }
  Error error() const { return *error_; }
  /// Keeps the first problem only.
  void fail(const char* name, const std::string& problem) {
    if (!error_) error_ = Error::permanent(std::string(name) + ": " + problem);
  }

  std::optional<std::string> text(const char* name, bool required = false) {
    const auto* v = get(name);
    if (v == nullptr) {
      if (required) fail(name, "missing");
      return std::nullopt;
    }
    if (!v->IsString()) {
      fail(name, "expected a string, got " + typeName(*v));
      return std::nullopt;
    }
    if (v->GetStringLength() > 4096) {
      fail(name, "longer than 4096 characters");
      return std::nullopt;
    }
    return std::string(v->GetString(), v->GetStringLength());
  }

  std::optional<std::string> id(const char* name, bool required = false) {
    auto t = text(name, required);
    if (t && !isIdText(*t)) {
      fail(name, "must be 1-128 characters of A-Z a-z 0-9 . _ : -");
      return std::nullopt;
    }
    // As the other connectors: an id that holds an identity number is refused, and
    // never echoed.
    if (t && hasIdentityNumberShape(*t)) {
      fail(name, "must not hold an 11-digit run or an identity number");
      return std::nullopt;
    }
    return t;
  }

  std::optional<std::string> date(const char* name) {
    const auto* v = get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->IsString() || v->GetStringLength() < 10 ||
        !isIsoDate(std::string_view(v->GetString(), 10)) ||
        (v->GetStringLength() > 10 && v->GetString()[10] != 'T')) {
      fail(name, "expected a date YYYY-MM-DD or null, got " + typeName(*v));
      return std::nullopt;
    }
    // Plania's date fields may carry a midnight time; the date is what counts.
    return std::string(v->GetString(), 10);
  }

  std::optional<bool> boolean(const char* name) {
    const auto* v = get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->IsBool()) {
      fail(name, "expected true or false, got " + typeName(*v));
      return std::nullopt;
    }
    return v->GetBool();
  }

  std::optional<std::int64_t> integer(const char* name, std::int64_t min, std::int64_t max) {
    const auto* v = get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->IsInt64()) {
      fail(name, "expected a whole number, got " + typeName(*v));
      return std::nullopt;
    }
    if (v->GetInt64() < min || v->GetInt64() > max) {
      fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    return v->GetInt64();
  }

  /// Kroner as Plania sends them (decimals allowed), rounded to whole kroner.
  std::optional<std::int64_t> amount(const char* name) {
    const auto* v = get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->IsNumber()) {
      fail(name, "expected an amount in NOK, got " + typeName(*v));
      return std::nullopt;
    }
    const double x = v->GetDouble();
    if (!std::isfinite(x) || x < 0 || x > 1e11) {
      fail(name, "must be between 0 and 100000000000");
      return std::nullopt;
    }
    return std::llround(x);
  }

 private:
  static std::string typeName(const rapidjson::Value& v) {
    if (v.IsString()) return "a string of another form";
    if (v.IsNumber()) return "a number";
    if (v.IsBool()) return "a boolean";
    if (v.IsArray()) return "an array";
    if (v.IsObject()) return "an object";
    return "null";
  }

  const rapidjson::Value& object_;
  std::optional<Error> error_;
};

Result<rapidjson::Document> parseObject(std::string_view json) {
  rapidjson::Document doc;
  if (auto bad = schemas::parseJson(doc, json)) return Error::permanent("record: " + bad->message);
  if (!doc.IsObject()) return Error::permanent("record: expected a JSON object");
  return doc;
}

Result<RecordHead> headOf(const rapidjson::Value& object) {
  Fields f(object);
  auto id = f.id("id", true);
  if (f.failed()) return f.error();
  auto updated = f.text("updated", true);
  if (f.failed()) return f.error();
  auto ms = parseRfc3339Ms(*updated);
  if (!ms) return Error::permanent("updated: expected an RFC 3339 time");
  return RecordHead{*id, formatRfc3339Ms(*ms), *ms};
}

// Parses `itemJson` into a Record: its head, then the rest by `fill(fields, record)`.
// Errors: the first problem, naming the field.
template <class Record, class Fill>
Result<Record> parseRecord(std::string_view itemJson, const Fill& fill) {
  auto doc = parseObject(itemJson);
  if (!doc) return doc.error();
  auto head = headOf(doc.value());
  if (!head) return head.error();
  Fields f(doc.value());
  Record r;
  r.head = head.value();
  fill(f, r);
  if (f.failed()) return f.error();
  return r;
}

// The JSON object `body` writes.
std::string objectJson(const std::function<void(Writer&)>& body) {
  return schemas::json::text([&](Writer& w) {
    w.StartObject();
    body(w);
    w.EndObject();
  });
}

using schemas::json::member;

// A member when it holds a value; nothing when it does not.
template <class T>
void putOpt(Writer& w, const char* key, const std::optional<T>& v) {
  if (v) member(w, key, *v);
}

void putHead(Writer& w, const RecordHead& h) {
  member(w, "id", h.id);
  member(w, "updated", h.updated);
}

// Each record's fields, named once: in Plania's names, in the order they are read
// (the first bad one is the error) and written back as seen state (existing seen
// state compares as text, so the order stays). `Rule` says how a field is read; a
// written field is just its value.
enum class Rule {
  kCode,    ///< required text, kept upper case
  kText,    ///< optional free text
  kId,      ///< an id (required where the field is not optional)
  kDate,    ///< YYYY-MM-DD, a midnight time allowed
  kFlag,    ///< true or false
  kAmount,  ///< kroner, rounded; an optional amount below 1 is none
};
/// A whole number between two bounds.
struct Range {
  std::int64_t min;
  std::int64_t max;
};

template <class V, class R>
void eachField(V&& v, R& r) {
  using Record = std::remove_const_t<R>;
  if constexpr (std::is_same_v<Record, Area>) {
    v("isHousing", r.isHousing, Rule::kFlag);
    v("rentalStatus", r.rentalStatus, Rule::kCode);
    v("monthlyRent", r.monthlyRentNok, Rule::kAmount);
    v("rentToOwn", r.rentToOwn, Rule::kFlag);
    v("availableFrom", r.availableFrom, Rule::kDate);
  } else if constexpr (std::is_same_v<Record, Contract>) {
    v("status", r.status, Rule::kCode);
    v("customerId", r.customerId, Rule::kId);
    v("areaId", r.areaId, Rule::kId);
    v("applicationRegisteredDate", r.applicationRegisteredDate, Rule::kDate);
    v("approvalDate", r.approvalDate, Rule::kDate);
    v("allocationDate", r.allocationDate, Rule::kDate);
    v("startDate", r.startDate, Rule::kDate);
    v("scheduledEndDate", r.scheduledEndDate, Rule::kDate);
    v("endDate", r.endDate, Rule::kDate);
    v("terminationReason", r.terminationReason, Rule::kText);
    v("terminationWarningDate", r.terminationWarningDate, Rule::kDate);
    v("terminationWarningReason", r.terminationWarningReason, Rule::kText);
    v("housingPlanDate", r.housingPlanDate, Rule::kDate);
    v("fixedTerm", r.fixedTerm, Rule::kFlag);
    v("housingContactId", r.housingContactId, Rule::kId);
    v("guidanceFolderHandedOver", r.guidanceFolderHandedOver, Rule::kFlag);
    v("householdSize", r.householdSize, Range{1, 20});
    v("wantsFinancialAdvice", r.wantsFinancialAdvice, Rule::kFlag);
    v("monthsOverdue", r.monthsOverdue, Range{0, 120});
    v("arrearsAmount", r.arrearsNok, Rule::kAmount);
  } else {
    static_assert(std::is_same_v<Record, WorkOrder>, "a record with a field list");
    v("areaId", r.areaId, Rule::kId);
    v("type", r.type, Rule::kText);
    v("status", r.status, Rule::kCode);
    v("plannedStart", r.plannedStart, Rule::kDate);
    v("plannedEnd", r.plannedEnd, Rule::kDate);
    v("tenantMustMoveOut", r.tenantMustMoveOut, Rule::kFlag);
  }
}

// Reads each field into its member; a field that is absent or bad leaves the member's
// default (a bad one also fails `f`).
struct Read {
  Fields& f;

  void operator()(const char* name, std::string& out, Rule rule) const {
    out =
        rule == Rule::kId ? f.id(name, true).value_or("") : upper(f.text(name, true).value_or(""));
  }
  void operator()(const char* name, std::optional<std::string>& out, Rule rule) const {
    out = rule == Rule::kId ? f.id(name) : rule == Rule::kDate ? f.date(name) : f.text(name);
  }
  void operator()(const char* name, bool& out, Rule) const { out = f.boolean(name).value_or(out); }
  void operator()(const char* name, std::optional<bool>& out, Rule) const { out = f.boolean(name); }
  void operator()(const char* name, int& out, Range range) const {
    if (auto n = f.integer(name, range.min, range.max)) out = static_cast<int>(*n);
  }
  void operator()(const char* name, std::optional<int>& out, Range range) const {
    if (auto n = f.integer(name, range.min, range.max)) out = static_cast<int>(*n);
  }
  void operator()(const char* name, std::int64_t& out, Rule) const {
    out = f.amount(name).value_or(out);
  }
  void operator()(const char* name, std::optional<std::int64_t>& out, Rule) const {
    if (auto nok = f.amount(name); nok && *nok >= 1) out = nok;
  }
};

// Writes each field that holds a value under its name.
struct Put {
  Writer& w;

  template <class T, class How>
  void operator()(const char* name, const T& value, How) const {
    member(w, name, value);
  }
  template <class T, class How>
  void operator()(const char* name, const std::optional<T>& value, How) const {
    putOpt(w, name, value);
  }
};

template <class Record>
Result<Record> parseFields(std::string_view itemJson) {
  return parseRecord<Record>(itemJson, [](Fields& f, Record& r) { eachField(Read{f}, r); });
}

// The seen state of `record`: its head, its fields, then what `extra` adds.
template <class Record, class Extra>
std::string seenJson(const Record& record, const Extra& extra) {
  return objectJson([&](Writer& w) {
    putHead(w, record.head);
    eachField(Put{w}, record);
    extra(w);
  });
}

Derived makeEvent(std::string version, std::string type, std::string subject,
                  const std::function<void(Writer&)>& body) {
  return Derived{std::move(version),
                 CanonicalEvent{std::move(type), std::move(subject), objectJson(body), {}}};
}

// An event about contract `cur`, on its person: `idKey` names the contract's id
// (application_id while it is an application), person_ref follows, then what `body`
// writes.
Derived contractEvent(std::string version, std::string type, const char* idKey, const Contract& cur,
                      const ContractParty& party, const std::function<void(Writer&)>& body) {
  return makeEvent(std::move(version), std::move(type), party.personRef, [&](Writer& w) {
    member(w, idKey, cur.head.id);
    member(w, "person_ref", party.personRef);
    body(w);
  });
}

constexpr const char* kApplicationId = "application_id";
constexpr const char* kContractId = "contract_id";
}  // namespace

std::string_view entityName(Entity entity) {
  static constexpr const char* kNames[] = {"customer", "area", "contract", "work_order"};
  return text::enumName(entity, kNames, "customer");
}

std::string_view entityPath(Entity entity) {
  static constexpr const char* kNames[] = {"customers", "areas", "contracts", "work_orders"};
  return text::enumName(entity, kNames, "customers");
}

std::optional<Entity> entityFromName(std::string_view name) {
  for (auto e : kAllEntities) {
    if (entityName(e) == name) return e;
  }
  return std::nullopt;
}

std::optional<Entity> entityFromPath(std::string_view path) {
  for (auto e : kAllEntities) {
    if (entityPath(e) == path) return e;
  }
  return std::nullopt;
}

Result<RecordHead> parseHead(std::string_view itemJson) {
  auto doc = parseObject(itemJson);
  if (!doc) return doc.error();
  return headOf(doc.value());
}

Result<Customer> parseCustomer(std::string_view itemJson) {
  return parseRecord<Customer>(itemJson, [](Fields& f, Customer& c) {
    const auto* nin = f.get("nationalIdentityNumber");
    if (nin == nullptr) {
      f.fail("nationalIdentityNumber", "missing");
    } else if (!nin->IsString()) {
      f.fail("nationalIdentityNumber", "expected a string");
    } else {
      c.nationalIdentityNumber.assign(nin->GetString(), nin->GetStringLength());
    }
    if (auto n = f.integer("householdSize", 1, 20)) c.householdSize = static_cast<int>(*n);
  });
}

Result<Area> parseArea(std::string_view itemJson) {
  return parseFields<Area>(itemJson);
}

Result<Contract> parseContract(std::string_view itemJson) {
  return parseFields<Contract>(itemJson);
}

Result<WorkOrder> parseWorkOrder(std::string_view itemJson) {
  return parseFields<WorkOrder>(itemJson);
}

std::string toSeenJson(const CustomerSeen& customer) {
  return objectJson([&](Writer& w) {
    member(w, "personRef", customer.personRef);
    putOpt(w, "householdSize", customer.householdSize);
  });
}

std::optional<CustomerSeen> customerSeenFromJson(std::string_view json) {
  rapidjson::Document doc;
  if (schemas::parseJson(doc, json) || !doc.IsObject() || !doc.HasMember("personRef") ||
      !doc["personRef"].IsString()) {
    return std::nullopt;
  }
  CustomerSeen c;
  c.personRef = doc["personRef"].GetString();
  if (doc.HasMember("householdSize") && doc["householdSize"].IsInt()) {
    c.householdSize = doc["householdSize"].GetInt();
  }
  return c;
}

std::string toSeenJson(const Area& area) {
  return seenJson(area, [](Writer&) {});
}

std::string toSeenJson(const Contract& contract, const std::string& personRef) {
  return seenJson(contract, [&](Writer& w) { member(w, "personRef", personRef); });
}

std::string toSeenJson(const WorkOrder& workOrder) {
  return seenJson(workOrder, [](Writer&) {});
}

std::string personRefOfSeenContract(std::string_view json) {
  rapidjson::Document doc;
  if (schemas::parseJson(doc, json) || !doc.IsObject()) return {};
  auto it = doc.FindMember("personRef");
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

namespace {

// A canonical reason and the source's codes for it.
struct ReasonCodes {
  std::string_view reason;
  std::vector<std::string_view> codes;
};

// The reason `code` (any case) is one of in `table`; "other" when absent or unknown.
std::string reasonOf(const std::optional<std::string>& code,
                     const std::vector<ReasonCodes>& table) {
  if (!code) return "other";
  const std::string c = upper(*code);
  for (const auto& entry : table) {
    if (std::find(entry.codes.begin(), entry.codes.end(), c) != entry.codes.end()) {
      return std::string(entry.reason);
    }
  }
  return "other";
}

}  // namespace

std::string terminationReason(const std::optional<std::string>& code) {
  static const std::vector<ReasonCodes> kTable{
      {"moved", {"MOVED", "MOVED_OUT", "FRAFLYTTET", "FLYTTET", "OPPSAGT_AV_LEIETAKER"}},
      {"bought_own_home", {"BOUGHT_OWN_HOME", "KJOPT_EGEN_BOLIG", "EGEN_BOLIG"}},
      {"eviction", {"EVICTION", "EVICTED", "UTKASTELSE", "BEGJAERT_UTKASTET"}},
  };
  return reasonOf(code, kTable);
}

std::string warningReason(const std::optional<std::string>& code) {
  static const std::vector<ReasonCodes> kTable{
      {"arrears", {"ARREARS", "RENT_ARREARS", "HUSLEIERESTANSE", "RESTANSE", "MISLIGHOLD_HUSLEIE"}},
      {"breach_of_contract", {"BREACH", "BREACH_OF_CONTRACT", "MISLIGHOLD", "ORDENSBRUDD"}},
  };
  return reasonOf(code, kTable);
}

bool onWaitingList(const Contract& c) {
  const bool terminated = c.endDate.has_value() || c.status == "TERMINATED";
  return c.approvalDate.has_value() && !c.allocationDate.has_value() && !c.startDate && !terminated;
}

namespace {

// The waiting list's events: approved, a plan recorded while waiting, a unit allocated.
void deriveWaitingList(const Contract& prev, const Contract& cur, const ContractParty& party,
                       std::vector<Derived>& out) {
  if (cur.approvalDate && !prev.approvalDate) {
    out.push_back(contractEvent("approved:" + *cur.approvalDate, "housing.application_approved.v1",
                                kApplicationId, cur, party, [&](Writer& w) {
                                  member(w, "approved_date", *cur.approvalDate);
                                  putOpt(w, "registered_date", cur.applicationRegisteredDate);
                                  const auto household =
                                      cur.householdSize ? cur.householdSize : party.householdSize;
                                  if (household) {
                                    member(w, "household_size", *household);
                                  }
                                  putOpt(w, "housing_contact_id", cur.housingContactId);
                                }));
  }
  if (cur.housingPlanDate && cur.housingPlanDate != prev.housingPlanDate) {
    out.push_back(contractEvent("plan:" + *cur.housingPlanDate, "housing.waiting_plan_recorded.v1",
                                kApplicationId, cur, party, [&](Writer& w) {
                                  member(w, "plan_date", *cur.housingPlanDate);
                                  putOpt(w, "housing_contact_id", cur.housingContactId);
                                }));
  }
  if (cur.allocationDate && !prev.allocationDate && cur.areaId) {
    out.push_back(contractEvent("allocated:" + *cur.allocationDate, "housing.unit_allocated.v1",
                                kApplicationId, cur, party, [&](Writer& w) {
                                  member(w, "unit_id", *cur.areaId);
                                  member(w, "allocated_date", *cur.allocationDate);
                                  putOpt(w, "approved_date", cur.approvalDate);
                                  const auto approved =
                                      cur.approvalDate ? scheduler::parseDate(*cur.approvalDate)
                                                       : std::nullopt;
                                  const auto allocated = scheduler::parseDate(*cur.allocationDate);
                                  if (approved && allocated) {
                                    const auto days = (*allocated - *approved).count();
                                    if (days >= 0 && days <= 36500) {
                                      member(w, "days_on_waiting_list", days);
                                    }
                                  }
                                  putOpt(w, "housing_contact_id", cur.housingContactId);
                                }));
  }
}

// A warning of termination: a new or moved warning date.
void deriveWarning(const Contract& prev, const Contract& cur, const ContractParty& party,
                   std::vector<Derived>& out) {
  if (!cur.terminationWarningDate || cur.terminationWarningDate == prev.terminationWarningDate) {
    return;
  }
  if (cur.endDate.has_value() || cur.status == "TERMINATED") return;
  out.push_back(
      contractEvent("warned:" + *cur.terminationWarningDate, "tenancy.termination_warned.v1",
                    kContractId, cur, party, [&](Writer& w) {
                      member(w, "warned_date", *cur.terminationWarningDate);
                      member(w, "reason", warningReason(cur.terminationWarningReason));
                      // As Plania shows them when it was seen (0: none).
                      member(w, "months_overdue", cur.monthsOverdue);
                      member(w, "amount_nok", std::min<std::int64_t>(cur.arrearsNok, 100000000));
                      putOpt(w, "housing_contact_id", cur.housingContactId);
                    }));
}

}  // namespace

Result<std::vector<Derived>> deriveContract(const std::optional<Contract>& previous,
                                            const Contract& cur, const ContractParty& party) {
  std::vector<Derived> out;
  const Contract none;
  const Contract& prev = previous ? *previous : none;

  if (cur.applicationRegisteredDate && !prev.applicationRegisteredDate) {
    const auto household = cur.householdSize ? cur.householdSize : party.householdSize;
    if (!household) {
      return Error::permanent("householdSize: missing on the contract and on its customer");
    }
    out.push_back(contractEvent("application:" + *cur.applicationRegisteredDate,
                                "housing.application_received.v1", kApplicationId, cur, party,
                                [&](Writer& w) {
                                  member(w, "household_size", *household);
                                  member(w, "registered_date", *cur.applicationRegisteredDate);
                                  putOpt(w, "wants_financial_advice", cur.wantsFinancialAdvice);
                                  putOpt(w, "housing_contact_id", cur.housingContactId);
                                }));
  }

  deriveWaitingList(prev, cur, party, out);

  if (cur.startDate && !prev.startDate) {
    if (!cur.areaId) return Error::permanent("areaId: missing on a contract with a startDate");
    const bool fixedTerm = cur.fixedTerm.value_or(cur.scheduledEndDate.has_value());
    out.push_back(contractEvent("signed:" + *cur.startDate, "tenancy.contract_signed.v1",
                                kContractId, cur, party, [&](Writer& w) {
                                  member(w, "unit_id", *cur.areaId);
                                  member(w, "start_date", *cur.startDate);
                                  putOpt(w, "scheduled_end_date", cur.scheduledEndDate);
                                  member(w, "fixed_term", fixedTerm);
                                  putOpt(w, "housing_contact_id", cur.housingContactId);
                                  member(w, "guidance_folder_handed_over",
                                         cur.guidanceFolderHandedOver.value_or(false));
                                }));
  }

  const bool terminatedNow = cur.endDate.has_value() || cur.status == "TERMINATED";
  const bool terminatedBefore = prev.endDate.has_value() || prev.status == "TERMINATED";

  // Dates in ISO form compare as text.
  if (!terminatedNow && prev.startDate && prev.scheduledEndDate && cur.scheduledEndDate &&
      *cur.scheduledEndDate > *prev.scheduledEndDate) {
    out.push_back(contractEvent("renewed:" + *cur.scheduledEndDate, "tenancy.contract_renewed.v1",
                                kContractId, cur, party, [&](Writer& w) {
                                  member(w, "new_scheduled_end_date", *cur.scheduledEndDate);
                                  member(w, "previous_scheduled_end_date", *prev.scheduledEndDate);
                                }));
  }

  deriveWarning(prev, cur, party, out);

  if (terminatedNow && !terminatedBefore) {
    // A contract marked TERMINATED without an end date ends when it was scheduled to,
    // or else on the day Plania recorded the change.
    const std::string endDate =
        cur.endDate
            ? *cur.endDate
            : (cur.scheduledEndDate ? *cur.scheduledEndDate : cur.head.updated.substr(0, 10));
    out.push_back(contractEvent("terminated:" + endDate, "tenancy.contract_terminated.v1",
                                kContractId, cur, party, [&](Writer& w) {
                                  member(w, "end_date", endDate);
                                  member(w, "reason", terminationReason(cur.terminationReason));
                                }));
  }

  // The record's `updated` is in both versions: a tenant who pays and falls behind by
  // the same rent again opens a new case, not a repeat of the old one's version.
  if (cur.monthsOverdue >= 1 && cur.arrearsNok >= 1 &&
      (cur.monthsOverdue > prev.monthsOverdue || cur.arrearsNok > prev.arrearsNok)) {
    out.push_back(contractEvent("arrears:" + std::to_string(cur.monthsOverdue) + ":" +
                                    std::to_string(cur.arrearsNok) + ":" + cur.head.updated,
                                "tenancy.rent_arrears.v1", kContractId, cur, party, [&](Writer& w) {
                                  member(w, "months_overdue", cur.monthsOverdue);
                                  member(w, "amount_nok", cur.arrearsNok);
                                  putOpt(w, "housing_contact_id", cur.housingContactId);
                                }));
  }
  if (prev.arrearsNok >= 1 && cur.arrearsNok == 0 && cur.monthsOverdue == 0) {
    out.push_back(contractEvent("cleared:" + cur.head.updated, "tenancy.arrears_cleared.v1",
                                kContractId, cur, party, [&](Writer& w) {
                                  member(w, "cleared_date", cur.head.updated.substr(0, 10));
                                  member(w, "previous_amount_nok",
                                         std::min<std::int64_t>(prev.arrearsNok, 100000000));
                                  putOpt(w, "housing_contact_id", cur.housingContactId);
                                }));
  }
  return out;
}

std::vector<Derived> deriveArea(const std::optional<Area>& previous, const Area& cur) {
  std::vector<Derived> out;
  const bool vacantBefore = previous && previous->rentalStatus == "VACANT";
  if (!cur.isHousing || cur.rentalStatus != "VACANT" || vacantBefore) return out;
  const std::string from = cur.availableFrom ? *cur.availableFrom : cur.head.updated.substr(0, 10);
  out.push_back(
      makeEvent("vacated:" + from, "property.unit_vacated.v1", cur.head.id, [&](Writer& w) {
        member(w, "unit_id", cur.head.id);
        member(w, "available_from", from);
        member(w, "rent_to_own_potential", cur.rentToOwn);
        putOpt(w, "monthly_rent_nok", cur.monthlyRentNok);
      }));
  return out;
}

std::vector<Derived> deriveWorkOrder(const std::optional<WorkOrder>& previous, const WorkOrder& cur,
                                     const std::optional<Tenancy>& tenancy) {
  std::vector<Derived> out;
  const bool open = cur.status != "DONE" && cur.status != "CANCELLED" && cur.status != "REGISTERED";
  if (!open || !cur.plannedStart || !cur.plannedEnd) return out;
  const bool samePlan = previous && previous->plannedStart == cur.plannedStart &&
                        previous->plannedEnd == cur.plannedEnd &&
                        previous->tenantMustMoveOut == cur.tenantMustMoveOut &&
                        previous->status != "DONE" && previous->status != "CANCELLED" &&
                        previous->status != "REGISTERED";
  if (samePlan) return out;
  const std::string version = "scheduled:" + *cur.plannedStart + ":" + *cur.plannedEnd + ":" +
                              (cur.tenantMustMoveOut ? "out" : "in");
  const std::string subject = tenancy ? tenancy->personRef : cur.areaId;
  out.push_back(makeEvent(version, "property.maintenance_scheduled.v1", subject, [&](Writer& w) {
    member(w, "work_order_id", cur.head.id);
    member(w, "unit_id", cur.areaId);
    member(w, "from_date", *cur.plannedStart);
    member(w, "to_date", *cur.plannedEnd);
    member(w, "tenant_must_move_out", cur.tenantMustMoveOut);
    if (tenancy) {
      member(w, "person_ref", tenancy->personRef);
      member(w, "contract_id", tenancy->contractId);
    }
    // Free text from the source goes on the bus only when it cannot hold an identity
    // number.
    if (cur.type && !cur.type->empty() && !hasIdentityNumberShape(*cur.type)) {
      member(w, "work_type", cur.type->substr(0, 200));
    }
  }));
  return out;
}

}  // namespace wayhome::connectors::plania
