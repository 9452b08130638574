#include <filesystem>
#include <mutex>
#include <optional>

#include <wayhome/connectors/component.hpp>
#include <wayhome/connectors/intake.hpp>
#include <wayhome/core/log.hpp>

namespace wayhome::connectors {
namespace {

class ConnectorsComponent final : public services::Component {
 public:
  struct Instance {
    services::ServiceConfig::Instance config;
    ConnectorPtr connector;
    std::unique_ptr<Intake> intake;
    std::unique_ptr<ConnectorContext> context;
    bool started = false;
  };

  ConnectorsComponent(std::vector<Instance> instances, const services::ServiceConfig& config,
                      const ConnectorRegistry& registry)
      : registry_(registry),
        instances_(std::move(instances)),
        keyFile_(config.identityKeyFile),
        createKey_(config.identityKeyCreate) {
    // Before the key moved out of the data folder it was made at <data_dir>/person_ref.key:
    // keep using that one (a new key would change every pseudonym), and say where it is.
    const auto legacy = config.dataDir / "person_ref.key";
    std::error_code ec;
    if (createKey_ && !std::filesystem::exists(keyFile_, ec) &&
        std::filesystem::exists(legacy, ec)) {
      log::warn("connectors",
                "the person_ref key is inside the data folder, so copies of the data carry "
                "it; move it (identity.key_file) to a place of its own",
                {{"key_file", legacy.string()}, {"suggested", keyFile_.string()}});
      keyFile_ = legacy;
      createKey_ = false;
    }
  }

  std::string name() const override { return "connectors"; }

  void start(services::ServiceContext& service) override {
    if (instances_.empty()) return;
    personRefs_.emplace(PersonRefs::fromKeyFile(keyFile_, createKey_));
    for (auto& inst : instances_) {
      auto status = service.status.add(inst.config.name, inst.config.type);
      statuses_.push_back(status);
      inst.intake =
          std::make_unique<Intake>(service, *personRefs_, inst.config.type, inst.config.name);
      inst.intake->attachStatus(*status);
      inst.context = std::make_unique<ConnectorContext>(
          ConnectorContext{.service = service, .intake = *inst.intake, .status = *status});
      inst.connector->start(*inst.context);
      inst.started = true;
      status->setHealth(services::Health::kRunning);
      status->setRestart([this, &inst] { return restart(inst); });
      log::info("connectors", "connector started",
                {{"name", inst.config.name}, {"type", inst.config.type}});
    }
  }

  void stop(std::chrono::steady_clock::time_point deadline) override {
    std::lock_guard lock(restartMutex_);
    for (const auto& status : statuses_)
      status->setRestart(nullptr);
    for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) {
      if (!it->started) continue;
      it->connector->stop(deadline);
      it->started = false;
      it->context->status.setHealth(services::Health::kStopped);
    }
  }

 private:
  // A fresh instance from the same config (secrets and files read again) takes over
  // from the old one, which finishes what it has in flight first. The old object is
  // kept until the component stops: a request may still be running in it.
  std::string restart(Instance& inst) {
    std::lock_guard lock(restartMutex_);
    auto& status = inst.context->status;
    ConnectorPtr fresh;
    try {
      fresh = registry_.create(inst.config.type, inst.config.name, inst.config.settingsJson);
    } catch (const std::exception& e) {
      status.failed(std::string("restart refused: ") + e.what(), services::Health::kFailing);
      return e.what();
    }
    if (inst.started) {
      inst.connector->stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
      inst.started = false;
    }
    retired_.push_back(std::move(inst.connector));
    inst.connector = std::move(fresh);
    try {
      inst.connector->start(*inst.context);
    } catch (const std::exception& e) {
      status.failed(std::string("restart failed: ") + e.what(), services::Health::kFailing);
      return e.what();
    }
    inst.started = true;
    status.clearError();
    status.setHealth(services::Health::kRunning);
    log::info("connectors", "connector restarted",
              {{"name", inst.config.name}, {"type", inst.config.type}});
    return {};
  }

  const ConnectorRegistry& registry_;
  std::mutex restartMutex_;
  std::vector<ConnectorPtr> retired_;
  std::vector<Instance> instances_;
  std::filesystem::path keyFile_;
  bool createKey_;
  std::optional<PersonRefs> personRefs_;
  std::vector<std::shared_ptr<services::StatusEntry>> statuses_;
};

}  // namespace

std::unique_ptr<services::Component> makeConnectorsComponent(
    const ConnectorRegistry& registry, const services::ServiceConfig& config) {
  std::vector<ConnectorsComponent::Instance> instances;
  for (const auto& c : config.connectors) {
    if (!c.enabled) continue;
    ConnectorsComponent::Instance inst;
    inst.config = c;
    inst.connector = registry.create(c.type, c.name, c.settingsJson);
    instances.push_back(std::move(inst));
  }
  return std::make_unique<ConnectorsComponent>(std::move(instances), config, registry);
}

}  // namespace wayhome::connectors
