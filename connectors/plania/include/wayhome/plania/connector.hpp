#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/connectors/intake.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/plania/records.hpp>
#include <wayhome/plania/seen_store.hpp>
#include <wayhome/runtime/sole_job.hpp>

namespace wayhome::connectors::plania {

/// The settings of one Plania instance (see connectors/plania/README.md).
struct Settings {
  std::string baseUrl;  ///< "http(s)://host:port[/prefix]", no trailing slash
  std::string caFile;   ///< PEM CA to trust for https; empty: the system's CAs
  std::string token;
  std::chrono::milliseconds pollInterval{10000};
  int pageSize = 100;
  std::chrono::milliseconds requestTimeout{10000};
  std::chrono::milliseconds maxBackoff{300000};
  std::vector<Entity> entities{std::begin(kAllEntities), std::end(kAllEntities)};
};

/// The JSON Schema (draft-04) of the settings.
[[nodiscard]] std::string_view settingsSchema();

/// Reads settings that passed settingsSchema(); reads token_file now.
/// Errors: throws ConnectorConfigError naming the key (an unreadable token file).
[[nodiscard]] Settings parseSettings(std::string_view json);

/// Polls one Plania installation: every enabled entity, page by page from its
/// watermark, derives events from what changed since the record was last seen, and
/// submits them before it records the new state. A source that fails leaves the
/// watermark where the last processed record put it and is retried with back-off.
class PlaniaConnector final : public Connector {
 public:
  PlaniaConnector(std::string instanceName, Settings settings);
  ~PlaniaConnector() override;

  void start(ConnectorContext& context) override;
  void stop(std::chrono::steady_clock::time_point deadline) override;

  /// Poll cycles finished (successful or not): tests wait on it instead of sleeping.
  [[nodiscard]] std::uint64_t cycles() const { return cycles_.load(); }
  /// Cycles that failed in a row; 0 after a good one.
  [[nodiscard]] int consecutiveFailures() const { return failures_.load(); }

 private:
  struct PassError {
    Error error;
    services::Health health;
    std::chrono::milliseconds retryAfter{0};
  };
  struct Page;

  void run();
  /// One cycle over every enabled entity; the first failure, if any.
  std::optional<PassError> cycle();
  std::optional<PassError> pollEntity(Entity entity);
  /// What one record of a page comes to (events, state to remember, or why not).
  struct Planned;
  /// Plans one record; nothing when it has neither id nor time (rejected). Sets
  /// `stopAt` when the pass must end here (the source failed mid-record).
  std::optional<Planned> plan(Entity entity, const std::string& item, const std::string& where,
                              std::optional<PassError>& stopAt);
  /// Submits every planned record's events at once and waits until each is durable.
  void submit(std::vector<Planned>& planned);
  Result<Page> fetchPage(Entity entity, const std::optional<std::string>& since, int page,
                         PassError& failure);
  /// Fetches and records a customer the contract names but no poll brought yet.
  std::optional<CustomerSeen> customerOnDemand(const std::string& customerId,
                                               std::optional<PassError>& failure,
                                               std::string& rejection);
  void reject(Entity entity, const std::string& id, const std::string& reason);
  std::chrono::milliseconds delayAfter(const std::optional<PassError>& failure) const;
  bool stopping() const { return stopping_.load(); }

  std::string instance_;
  std::string userAgent_ = "wayhome";  ///< "wayhome (instance <service instance>)"
  Settings settings_;
  ConnectorContext* context_ = nullptr;
  std::unique_ptr<SeenStore> seen_;
  std::unique_ptr<services::SoleJob> poller_;
  /// wayhome_waiting_list{connector}: the waiting list's size after each contract page.
  services::Gauge* waitingList_ = nullptr;

  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> cycles_{0};
  std::atomic<int> failures_{0};
  // Last: the poller uses everything above and is joined first.
  Worker worker_;
};

/// Makes PlaniaConnector instances: type "plania".
class PlaniaConnectorFactory final : public ConnectorFactory {
 public:
  [[nodiscard]] std::string_view type() const override { return "plania"; }
  [[nodiscard]] std::string_view configSchema() const override { return settingsSchema(); }
  ConnectorPtr create(const std::string& instanceName, std::string_view configJson) const override;
};

}  // namespace wayhome::connectors::plania
