#pragma once

// Plania's records as the connector reads them, and the events their changes mean.
// Pure functions: no I/O, so the diff rules are tested without a server or a store.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/connectors/intake.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::connectors::plania {

/// The entities of the Plania REST API the connector polls, in the order it polls them
/// (customers before the contracts that name them, contracts before the work orders
/// whose tenant they tell).
enum class Entity { kCustomer, kArea, kContract, kWorkOrder };

inline constexpr Entity kAllEntities[] = {Entity::kCustomer, Entity::kArea, Entity::kContract,
                                          Entity::kWorkOrder};

/// "customer", "area", "contract", "work_order" (settings, state store, logs).
[[nodiscard]] std::string_view entityName(Entity entity);
/// The collection in the URL: "customers", "areas", "contracts", "work_orders".
[[nodiscard]] std::string_view entityPath(Entity entity);
[[nodiscard]] std::optional<Entity> entityFromName(std::string_view name);
[[nodiscard]] std::optional<Entity> entityFromPath(std::string_view path);

/// Milliseconds since the epoch of an RFC 3339 time (the one parser, in core).
using scheduler::parseRfc3339Ms;
/// "YYYY-MM-DDTHH:MM:SS.mmmZ" of milliseconds since the epoch (core's).
using wayhome::formatRfc3339Ms;
/// True for a real calendar date "YYYY-MM-DD" (core's parseDate).
[[nodiscard]] inline bool isDate(std::string_view text) {
  return scheduler::parseDate(text).has_value();
}

/// A calendar date as Plania sends it, "YYYY-MM-DD" (a midnight time dropped); dates
/// in this form compare as text.
using IsoDate = std::string;

/// What every record has.
struct RecordHead {
  std::string id;
  std::string updated;  ///< normalised RFC 3339 (formatRfc3339Ms)
  std::int64_t updatedMs = 0;
};

/// Reads `id` and `updated` of one item of a page.
/// Errors: permanent, naming the field ("updated: not an RFC 3339 time").
[[nodiscard]] Result<RecordHead> parseHead(std::string_view itemJson);

/// CUSTOMER: the tenant or applicant. The identity number is only read, never kept.
struct Customer {
  RecordHead head;
  std::string nationalIdentityNumber;
  std::optional<int> householdSize;
};

/// AREA: a rental unit.
struct Area {
  RecordHead head;
  bool isHousing = true;
  std::string rentalStatus;  ///< upper case: LET, VACANT, RESERVED, MAINTENANCE, ...
  std::optional<std::int64_t> monthlyRentNok;
  bool rentToOwn = false;
  std::optional<IsoDate> availableFrom;
};

/// CONTRACT: a housing contract from application to end.
struct Contract {
  RecordHead head;
  std::string status;  ///< upper case: APPLICATION, APPROVED, ALLOCATED, ACTIVE, TERMINATED
  std::string customerId;
  std::optional<std::string> areaId;
  std::optional<IsoDate> applicationRegisteredDate;
  std::optional<IsoDate> approvalDate;
  std::optional<IsoDate> allocationDate;
  std::optional<IsoDate> startDate;
  std::optional<IsoDate> scheduledEndDate;
  std::optional<IsoDate> endDate;
  std::optional<std::string> terminationReason;
  /// A warning of termination (varsel om oppsigelse) and its reason code.
  std::optional<IsoDate> terminationWarningDate;
  std::optional<std::string> terminationWarningReason;
  /// When housing recorded the plan on suitable housing for a waiting household.
  std::optional<IsoDate> housingPlanDate;
  std::optional<bool> fixedTerm;
  std::optional<std::string> housingContactId;
  std::optional<bool> guidanceFolderHandedOver;
  std::optional<int> householdSize;
  std::optional<bool> wantsFinancialAdvice;
  int monthsOverdue = 0;
  std::int64_t arrearsNok = 0;
};

/// WORK_ORDER: maintenance on a unit.
struct WorkOrder {
  RecordHead head;
  std::string areaId;
  std::optional<std::string> type;
  std::string status;  ///< upper case: REGISTERED, PLANNED, STARTED, DONE, CANCELLED
  std::optional<IsoDate> plannedStart;
  std::optional<IsoDate> plannedEnd;
  bool tenantMustMoveOut = false;
};

/// Each parser checks every field it uses and names the first bad one
/// ("startDate: expected a date YYYY-MM-DD or null"). Unknown fields are ignored: a
/// real installation sends many more.
[[nodiscard]] Result<Customer> parseCustomer(std::string_view itemJson);
[[nodiscard]] Result<Area> parseArea(std::string_view itemJson);
[[nodiscard]] Result<Contract> parseContract(std::string_view itemJson);
[[nodiscard]] Result<WorkOrder> parseWorkOrder(std::string_view itemJson);

/// What is kept of a customer: the person_ref instead of the identity number.
struct CustomerSeen {
  std::string personRef;
  std::optional<int> householdSize;
};
[[nodiscard]] std::string toSeenJson(const CustomerSeen& customer);
[[nodiscard]] std::optional<CustomerSeen> customerSeenFromJson(std::string_view json);

/// The seen state of the other entities: the parsed record in the source's field names
/// (so the same parser reads it back), plus the tenant's person_ref for contracts.
[[nodiscard]] std::string toSeenJson(const Area& area);
[[nodiscard]] std::string toSeenJson(const Contract& contract, const std::string& personRef);
[[nodiscard]] std::string toSeenJson(const WorkOrder& workOrder);
/// The person_ref kept with a contract's seen state, or "".
[[nodiscard]] std::string personRefOfSeenContract(std::string_view json);

/// One event derived from a change, with the version that makes its id deterministic:
/// the kind of change and the value that changed ("signed:2026-02-01"), so a re-poll of
/// the same state, or a replay of the same change, gives the same event id.
struct Derived {
  std::string version;
  CanonicalEvent event;
};

/// Who a contract is about.
struct ContractParty {
  std::string personRef;
  std::optional<int> householdSize;  ///< from the customer, if the contract has none
};

/// The tenancy on a unit, for work orders.
struct Tenancy {
  std::string contractId;
  std::string personRef;
};

/// True while an approved application waits for a unit: approved, no unit allocated,
/// not started, not terminated (the waiting list).
[[nodiscard]] bool onWaitingList(const Contract& contract);

/// Events from a contract that changed from `previous` (nothing: first seen) to
/// `current`: application received, approved, plan recorded, unit allocated, signed,
/// renewed, warned of termination, terminated, rent arrears.
/// Errors: permanent when the change needs a field the record lacks (an application
/// without householdSize anywhere, a signed contract without areaId).
[[nodiscard]] Result<std::vector<Derived>> deriveContract(const std::optional<Contract>& previous,
                                                          const Contract& current,
                                                          const ContractParty& party);
/// property.unit_vacated when a housing unit's rental status became VACANT.
[[nodiscard]] std::vector<Derived> deriveArea(const std::optional<Area>& previous,
                                              const Area& current);
/// property.maintenance_scheduled when a work order got (or changed) its plan.
[[nodiscard]] std::vector<Derived> deriveWorkOrder(const std::optional<WorkOrder>& previous,
                                                   const WorkOrder& current,
                                                   const std::optional<Tenancy>& tenancy);

/// Plania's termination reason codes to the canonical reason (moved, bought_own_home,
/// eviction, other). Unknown or absent codes are "other".
[[nodiscard]] std::string terminationReason(const std::optional<std::string>& code);
/// Plania's warning reason codes to the canonical reason (arrears, breach_of_contract,
/// other). Unknown or absent codes are "other".
[[nodiscard]] std::string warningReason(const std::optional<std::string>& code);

}  // namespace wayhome::connectors::plania
