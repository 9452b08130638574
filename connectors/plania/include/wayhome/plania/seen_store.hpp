#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <wayhome/plania/records.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::connectors::plania {

/// The poller's tables (records seen, watermark per entity).
[[nodiscard]] const store::ModuleSchema& planiaSchema();

/// What one Plania instance last saw per record, and where each entity's next poll
/// starts, in the state store (tables plania_seen and plania_watermark), and the
/// waiting list derived from the contracts (plania_waiting_list).
///
/// Errors: every method throws store::StateError when SQLite fails; the poller turns
/// that into a retryable failure of the pass.
class SeenStore {
 public:
  SeenStore(store::StateStore& store, std::string instance);

  /// The normalised `updated` up to which `entity` was processed, if any.
  [[nodiscard]] std::optional<std::string> watermark(Entity entity);
  /// The last seen state of a record (its seen JSON), if any.
  [[nodiscard]] std::optional<std::string> seen(Entity entity, const std::string& id);

  /// The running tenancy on a unit: the latest started, not ended contract seen on it.
  struct SeenContract {
    std::string id;
    std::string stateJson;
  };
  [[nodiscard]] std::optional<SeenContract> tenancyOn(const std::string& areaId);

  /// One record's new seen state.
  struct Row {
    std::string id;
    std::string stateJson;
    std::string updated;
  };
  /// Writes `rows` of `entity` and (if given) its new watermark in one transaction.
  void commit(Entity entity, const std::vector<Row>& rows,
              const std::optional<std::string>& watermark);

  /// How many approved applications wait for a unit (table plania_waiting_list, kept
  /// by commit() from the contracts' seen state): the waiting list for reports.
  [[nodiscard]] std::size_t waitingListSize();

 private:
  void keepWaitingList(store::Connection& db, const std::vector<Row>& rows);

  store::StateStore& store_;
  std::string instance_;
};

}  // namespace wayhome::connectors::plania
