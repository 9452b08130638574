#include <algorithm>
#include <cmath>
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

Derived makeEvent(std::string version, std::string type, std::string subject,
                  const std::function<void(Writer&)>& body) {
  return Derived{std::move(version),
                 CanonicalEvent{std::move(type), std::move(subject), objectJson(body), {}}};
}

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
  return parseRecord<Area>(itemJson, [](Fields& f, Area& a) {
    a.isHousing = f.boolean("isHousing").value_or(true);
    a.rentalStatus = upper(f.text("rentalStatus", true).value_or(""));
    if (auto rent = f.amount("monthlyRent"); rent && *rent >= 1) a.monthlyRentNok = rent;
    a.rentToOwn = f.boolean("rentToOwn").value_or(false);
    a.availableFrom = f.date("availableFrom");
  });
}

Result<Contract> parseContract(std::string_view itemJson) {
  return parseRecord<Contract>(itemJson, [](Fields& f, Contract& c) {
    c.status = upper(f.text("status", true).value_or(""));
    c.customerId = f.id("customerId", true).value_or("");
    c.areaId = f.id("areaId");
    c.applicationRegisteredDate = f.date("applicationRegisteredDate");
    c.approvalDate = f.date("approvalDate");
    c.allocationDate = f.date("allocationDate");
    c.startDate = f.date("startDate");
    c.scheduledEndDate = f.date("scheduledEndDate");
    c.endDate = f.date("endDate");
    c.terminationReason = f.text("terminationReason");
    c.terminationWarningDate = f.date("terminationWarningDate");
    c.terminationWarningReason = f.text("terminationWarningReason");
    c.housingPlanDate = f.date("housingPlanDate");
    c.fixedTerm = f.boolean("fixedTerm");
    c.housingContactId = f.id("housingContactId");
    c.guidanceFolderHandedOver = f.boolean("guidanceFolderHandedOver");
    if (auto n = f.integer("householdSize", 1, 20)) c.householdSize = static_cast<int>(*n);
    c.wantsFinancialAdvice = f.boolean("wantsFinancialAdvice");
    c.monthsOverdue = static_cast<int>(f.integer("monthsOverdue", 0, 120).value_or(0));
    c.arrearsNok = f.amount("arrearsAmount").value_or(0);
  });
}

Result<WorkOrder> parseWorkOrder(std::string_view itemJson) {
  return parseRecord<WorkOrder>(itemJson, [](Fields& f, WorkOrder& w) {
    w.areaId = f.id("areaId", true).value_or("");
    w.type = f.text("type");
    w.status = upper(f.text("status", true).value_or(""));
    w.plannedStart = f.date("plannedStart");
    w.plannedEnd = f.date("plannedEnd");
    w.tenantMustMoveOut = f.boolean("tenantMustMoveOut").value_or(false);
  });
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

std::string toSeenJson(const Area& a) {
  return objectJson([&](Writer& w) {
    putHead(w, a.head);
    member(w, "isHousing", a.isHousing);
    member(w, "rentalStatus", a.rentalStatus);
    putOpt(w, "monthlyRent", a.monthlyRentNok);
    member(w, "rentToOwn", a.rentToOwn);
    putOpt(w, "availableFrom", a.availableFrom);
  });
}

std::string toSeenJson(const Contract& c, const std::string& personRef) {
  return objectJson([&](Writer& w) {
    putHead(w, c.head);
    member(w, "status", c.status);
    member(w, "customerId", c.customerId);
    putOpt(w, "areaId", c.areaId);
    putOpt(w, "applicationRegisteredDate", c.applicationRegisteredDate);
    putOpt(w, "approvalDate", c.approvalDate);
    putOpt(w, "allocationDate", c.allocationDate);
    putOpt(w, "startDate", c.startDate);
    putOpt(w, "scheduledEndDate", c.scheduledEndDate);
    putOpt(w, "endDate", c.endDate);
    putOpt(w, "terminationReason", c.terminationReason);
    putOpt(w, "terminationWarningDate", c.terminationWarningDate);
    putOpt(w, "terminationWarningReason", c.terminationWarningReason);
    putOpt(w, "housingPlanDate", c.housingPlanDate);
    putOpt(w, "fixedTerm", c.fixedTerm);
    putOpt(w, "housingContactId", c.housingContactId);
    putOpt(w, "guidanceFolderHandedOver", c.guidanceFolderHandedOver);
    putOpt(w, "householdSize", c.householdSize);
    putOpt(w, "wantsFinancialAdvice", c.wantsFinancialAdvice);
    member(w, "monthsOverdue", c.monthsOverdue);
    member(w, "arrearsAmount", c.arrearsNok);
    member(w, "personRef", personRef);
  });
}

std::string toSeenJson(const WorkOrder& o) {
  return objectJson([&](Writer& w) {
    putHead(w, o.head);
    member(w, "areaId", o.areaId);
    putOpt(w, "type", o.type);
    member(w, "status", o.status);
    putOpt(w, "plannedStart", o.plannedStart);
    putOpt(w, "plannedEnd", o.plannedEnd);
    member(w, "tenantMustMoveOut", o.tenantMustMoveOut);
  });
}

std::string personRefOfSeenContract(std::string_view json) {
  rapidjson::Document doc;
  if (schemas::parseJson(doc, json) || !doc.IsObject()) return {};
  auto it = doc.FindMember("personRef");
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

std::string terminationReason(const std::optional<std::string>& code) {
  if (!code) return "other";
  const std::string c = upper(*code);
  if (c == "MOVED" || c == "MOVED_OUT" || c == "FRAFLYTTET" || c == "FLYTTET" ||
      c == "OPPSAGT_AV_LEIETAKER") {
    return "moved";
  }
  if (c == "BOUGHT_OWN_HOME" || c == "KJOPT_EGEN_BOLIG" || c == "EGEN_BOLIG") {
    return "bought_own_home";
  }
  if (c == "EVICTION" || c == "EVICTED" || c == "UTKASTELSE" || c == "BEGJAERT_UTKASTET") {
    return "eviction";
  }
  return "other";
}

std::string warningReason(const std::optional<std::string>& code) {
  if (!code) return "other";
  const std::string c = upper(*code);
  if (c == "ARREARS" || c == "RENT_ARREARS" || c == "HUSLEIERESTANSE" || c == "RESTANSE" ||
      c == "MISLIGHOLD_HUSLEIE") {
    return "arrears";
  }
  if (c == "BREACH" || c == "BREACH_OF_CONTRACT" || c == "MISLIGHOLD" || c == "ORDENSBRUDD") {
    return "breach_of_contract";
  }
  return "other";
}

bool onWaitingList(const Contract& c) {
  const bool terminated = c.endDate.has_value() || c.status == "TERMINATED";
  return c.approvalDate.has_value() && !c.allocationDate.has_value() && !c.startDate && !terminated;
}

namespace {

// The waiting list's events: approved, a plan recorded while waiting, a unit allocated.
void deriveWaitingList(const Contract& prev, const Contract& cur, const ContractParty& party,
                       std::vector<Derived>& out) {
  const std::string& id = cur.head.id;
  if (cur.approvalDate && !prev.approvalDate) {
    out.push_back(makeEvent("approved:" + *cur.approvalDate, "housing.application_approved.v1",
                            party.personRef, [&](Writer& w) {
                              member(w, "application_id", id);
                              member(w, "person_ref", party.personRef);
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
    out.push_back(makeEvent("plan:" + *cur.housingPlanDate, "housing.waiting_plan_recorded.v1",
                            party.personRef, [&](Writer& w) {
                              member(w, "application_id", id);
                              member(w, "person_ref", party.personRef);
                              member(w, "plan_date", *cur.housingPlanDate);
                              putOpt(w, "housing_contact_id", cur.housingContactId);
                            }));
  }
  if (cur.allocationDate && !prev.allocationDate && cur.areaId) {
    out.push_back(makeEvent("allocated:" + *cur.allocationDate, "housing.unit_allocated.v1",
                            party.personRef, [&](Writer& w) {
                              member(w, "application_id", id);
                              member(w, "person_ref", party.personRef);
                              member(w, "unit_id", *cur.areaId);
                              member(w, "allocated_date", *cur.allocationDate);
                              putOpt(w, "approved_date", cur.approvalDate);
                              const auto approved = cur.approvalDate
                                                        ? scheduler::parseDate(*cur.approvalDate)
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
  out.push_back(makeEvent("warned:" + *cur.terminationWarningDate, "tenancy.termination_warned.v1",
                          party.personRef, [&](Writer& w) {
                            member(w, "contract_id", cur.head.id);
                            member(w, "person_ref", party.personRef);
                            member(w, "warned_date", *cur.terminationWarningDate);
                            member(w, "reason", warningReason(cur.terminationWarningReason));
                            // As Plania shows them when it was seen (0: none).
                            member(w, "months_overdue", cur.monthsOverdue);
                            member(w, "amount_nok",
                                   std::min<std::int64_t>(cur.arrearsNok, 100000000));
                            putOpt(w, "housing_contact_id", cur.housingContactId);
                          }));
}

}  // namespace

Result<std::vector<Derived>> deriveContract(const std::optional<Contract>& previous,
                                            const Contract& cur, const ContractParty& party) {
  std::vector<Derived> out;
  const Contract none;
  const Contract& prev = previous ? *previous : none;
  const std::string& id = cur.head.id;

  if (cur.applicationRegisteredDate && !prev.applicationRegisteredDate) {
    const auto household = cur.householdSize ? cur.householdSize : party.householdSize;
    if (!household) {
      return Error::permanent("householdSize: missing on the contract and on its customer");
    }
    out.push_back(makeEvent("application:" + *cur.applicationRegisteredDate,
                            "housing.application_received.v1", party.personRef, [&](Writer& w) {
                              member(w, "application_id", id);
                              member(w, "person_ref", party.personRef);
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
    out.push_back(makeEvent(
        "signed:" + *cur.startDate, "tenancy.contract_signed.v1", party.personRef, [&](Writer& w) {
          member(w, "contract_id", id);
          member(w, "unit_id", *cur.areaId);
          member(w, "person_ref", party.personRef);
          member(w, "start_date", *cur.startDate);
          putOpt(w, "scheduled_end_date", cur.scheduledEndDate);
          member(w, "fixed_term", fixedTerm);
          putOpt(w, "housing_contact_id", cur.housingContactId);
          member(w, "guidance_folder_handed_over", cur.guidanceFolderHandedOver.value_or(false));
        }));
  }

  const bool terminatedNow = cur.endDate.has_value() || cur.status == "TERMINATED";
  const bool terminatedBefore = prev.endDate.has_value() || prev.status == "TERMINATED";

  // Dates in ISO form compare as text.
  if (!terminatedNow && prev.startDate && prev.scheduledEndDate && cur.scheduledEndDate &&
      *cur.scheduledEndDate > *prev.scheduledEndDate) {
    out.push_back(makeEvent("renewed:" + *cur.scheduledEndDate, "tenancy.contract_renewed.v1",
                            party.personRef, [&](Writer& w) {
                              member(w, "contract_id", id);
                              member(w, "person_ref", party.personRef);
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
    out.push_back(makeEvent("terminated:" + endDate, "tenancy.contract_terminated.v1",
                            party.personRef, [&](Writer& w) {
                              member(w, "contract_id", id);
                              member(w, "person_ref", party.personRef);
                              member(w, "end_date", endDate);
                              member(w, "reason", terminationReason(cur.terminationReason));
                            }));
  }

  // The record's `updated` is in both versions: a tenant who pays and falls behind by
  // the same rent again opens a new case, not a repeat of the old one's version.
  if (cur.monthsOverdue >= 1 && cur.arrearsNok >= 1 &&
      (cur.monthsOverdue > prev.monthsOverdue || cur.arrearsNok > prev.arrearsNok)) {
    out.push_back(makeEvent("arrears:" + std::to_string(cur.monthsOverdue) + ":" +
                                std::to_string(cur.arrearsNok) + ":" + cur.head.updated,
                            "tenancy.rent_arrears.v1", party.personRef, [&](Writer& w) {
                              member(w, "contract_id", id);
                              member(w, "person_ref", party.personRef);
                              member(w, "months_overdue", cur.monthsOverdue);
                              member(w, "amount_nok", cur.arrearsNok);
                              putOpt(w, "housing_contact_id", cur.housingContactId);
                            }));
  }
  if (prev.arrearsNok >= 1 && cur.arrearsNok == 0 && cur.monthsOverdue == 0) {
    out.push_back(makeEvent("cleared:" + cur.head.updated, "tenancy.arrears_cleared.v1",
                            party.personRef, [&](Writer& w) {
                              member(w, "contract_id", id);
                              member(w, "person_ref", party.personRef);
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
