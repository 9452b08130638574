#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sys/stat.h>

#include <wayhome/app/builtin.hpp>
#include <wayhome/app/commands.hpp>
#include <wayhome/bus/embedded_cluster.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/process_memory.hpp>
#include <wayhome/runtime/service.hpp>
#include <wayhome/runtime/signals.hpp>
#include <wayhome/schemas/registry.hpp>

namespace wayhome::app {
namespace {

using services::ExitCode;

// Simulated sources the service polls are up before it and down after it; the
// simulators that call the service start once it listens and stop before it does.
class Simulators {
 public:
  explicit Simulators(std::vector<std::unique_ptr<connectors::Simulator>>& all) : all_(all) {}
  void startServers() {
    for (auto& s : all_) {
      if (s->servesTheService()) s->start({});
    }
  }
  void startClients(const std::string& serviceUrl) {
    for (auto& s : all_) {
      if (!s->servesTheService()) s->start({.serviceUrl = serviceUrl});
    }
  }
  void stopClients() { stop(false); }
  void stopServers() { stop(true); }

 private:
  void stop(bool servers) {
    for (auto& s : all_) {
      if (s->servesTheService() == servers) s->stop();
    }
  }
  std::vector<std::unique_ptr<connectors::Simulator>>& all_;
};

// The --config file, or the embedded default, with every module's section checked;
// nothing (said on stderr) when it is wrong.
std::optional<services::ServiceConfig> loadConfig(const services::CommandLine& cmd) {
  try {
    return connectors::loadCheckedConfig(cmd.configFile);
  } catch (const services::ConfigError& e) {
    std::cerr << "wayhome: " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace

int serveCommand(const services::CommandLine& cmd) {
  // Everything the service creates (state, keys, receipts, runtime.json) is its own:
  // identity-derived data is never readable by other users of the machine. A drop
  // folder shared with a sender uses default ACLs (README, "Trust boundaries").
  ::umask(077);
  services::capMallocArenas();  // before any thread: see process_memory.hpp
  const auto loaded = loadConfig(cmd);
  if (!loaded) return ExitCode::kConfig;
  const services::ServiceConfig& config = *loaded;
  services::SignalWaiter signals{SIGINT, SIGTERM, SIGHUP};

  services::Service service(config);
  std::vector<std::unique_ptr<connectors::Simulator>> simulators;
  // Outlives the service: a connector restarted through the ops API is made anew here.
  connectors::ConnectorRegistry connectorTypes;
  services::ModuleRegistry modules;
  try {
    connectors::registerBuiltinConnectors(connectorTypes);
    connectors::registerBuiltinModules(modules);
    for (const auto& make : connectors::builtinComponents(connectorTypes, modules)) {
      if (auto component = make(config)) service.add(std::move(component));
    }
    connectors::SimulatorRegistry simulatorTypes;
    connectors::registerBuiltinSimulators(simulatorTypes);
    simulators = connectors::makeSimulators(simulatorTypes, config);
  } catch (const connectors::ConnectorConfigError& e) {
    std::cerr << "wayhome: config " << config.origin << ": " << e.what() << "\n";
    return ExitCode::kConfig;
  } catch (const services::ConfigError& e) {
    std::cerr << "wayhome: " << e.what() << "\n";
    return ExitCode::kConfig;
  }
  Simulators around(simulators);
  try {
    around.startServers();
    service.start();
    around.startClients((config.http.tlsCertFile.empty() ? "http://" : "https://") +
                        config.http.address + ":" + std::to_string(service.httpPort()));
  } catch (const std::exception& e) {
    log::error("service", "start-up failed", {{"error", e.what()}});
    std::cerr << "wayhome: start-up failed: " << e.what() << "\n";
    around.stopClients();
    service.stop();
    around.stopServers();
    return ExitCode::kStartup;
  }

  for (;;) {
    const int sig = signals.wait();
    if (sig != SIGHUP) {
      log::info("service", "shutdown requested",
                {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
      break;
    }
    // Each component logs what it reloaded or why it kept what runs.
    if (service.reload().empty()) log::info("service", "SIGHUP received; nothing to reload");
  }
  services::startShutdownWatchdog(config.shutdownTimeout + std::chrono::seconds(2),
                                  ExitCode::kStartup);
  around.stopClients();
  const bool stopped = service.stop();
  around.stopServers();
  return stopped ? ExitCode::kOk : ExitCode::kStartup;
}

// A bus alone, so tests can kill the service and keep the bus, and take it down.
int busCommand(const services::CommandLine& cmd) {
  services::capMallocArenas();
  services::SignalWaiter signals{SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
  try {
    bus::EmbeddedCluster cluster(cmd.brokers);
    for (const auto& t : bus::Topics(cmd.prefix).all(cmd.partitions)) {
      cluster.createTopic(t.name, t.partitions);
    }
    for (const auto& name : cmd.extraTopics)
      cluster.createTopic(name, cmd.partitions);
    if (cmd.bootstrapFile) {
      const auto tmp = cmd.bootstrapFile->string() + ".tmp";
      {
        std::ofstream out(tmp, std::ios::trunc);
        out << cluster.bootstrapServers() << "\n";
      }
      std::filesystem::rename(tmp, *cmd.bootstrapFile);
    }
    std::cout << cluster.bootstrapServers() << std::endl;
    log::info("bus", "embedded Kafka cluster running", {{"bootstrap", cluster.bootstrapServers()}});
    for (;;) {
      const int sig = signals.wait();
      if (sig == SIGUSR1) {
        cluster.setAllBrokersDown();
        log::info("bus", "all brokers down");
      } else if (sig == SIGUSR2) {
        cluster.setAllBrokersUp();
        log::info("bus", "all brokers up");
      } else {
        break;
      }
    }
    return ExitCode::kOk;
  } catch (const std::exception& e) {
    std::cerr << "wayhome: " << e.what() << "\n";
    return ExitCode::kStartup;
  }
}

// One simulator against a running service, until it has played its journeys or a
// signal comes.
int simulateCommand(const services::CommandLine& cmd) {
  services::SignalWaiter signals{SIGINT, SIGTERM};
  connectors::SimulatorRegistry types;
  connectors::registerBuiltinSimulators(types);
  std::unique_ptr<connectors::Simulator> simulator;
  try {
    const std::string& type = cmd.args.at(0);
    simulator = types.checked(type, "simulator " + type, cmd.simulatorSettings)
                    .create(cmd.simulatorSettings);
    simulator->start({.serviceUrl = cmd.serviceUrl});
  } catch (const connectors::ConnectorConfigError& e) {
    std::cerr << "wayhome: " << e.what() << "\n";
    return ExitCode::kConfig;
  } catch (const std::exception& e) {
    std::cerr << "wayhome: simulator: " << e.what() << "\n";
    return ExitCode::kStartup;
  }
  while (!simulator->finished()) {
    if (signals.wait(std::chrono::milliseconds(200)) > 0) break;
  }
  simulator->stop();
  return ExitCode::kOk;
}

int validateCommand(const services::CommandLine& cmd) {
  try {
    auto registry = schemas::SchemaRegistry::loadDirectory(
        cmd.schemaDir ? *cmd.schemaDir : services::defaultConfig().schemaDir);
    std::string text;
    if (!services::readSmallFile(cmd.args.at(1), services::kMaxConfigBytes, text)) {
      std::cerr << "wayhome: " << cmd.args.at(1) << ": cannot be read or is too large\n";
      return ExitCode::kUsage;
    }
    if (auto invalid = registry.validate(cmd.args.at(0), text)) {
      std::cout << "invalid: " << invalid->message << "\n";
      return ExitCode::kInvalid;
    }
    std::cout << "valid " << cmd.args.at(0) << "\n";
    return ExitCode::kOk;
  } catch (const schemas::SchemaLoadError& e) {
    std::cerr << "wayhome: " << e.what() << "\n";
    return ExitCode::kConfig;
  }
}

int checkConfigCommand(const services::CommandLine& cmd) {
  if (!loadConfig(cmd)) return ExitCode::kConfig;
  std::cout << "config ok\n";
  return ExitCode::kOk;
}

int rulesCommand(const services::CommandLine& cmd) {
  // --config: its sectors (and schema folder) are what the rules are checked against.
  const auto loaded = loadConfig(cmd);
  if (!loaded) return ExitCode::kConfig;
  const services::ServiceConfig& config = *loaded;
  const auto schemaDir = cmd.schemaDir ? *cmd.schemaDir : config.schemaDir;
  if (cmd.args.at(0) == "check") {
    return services::rulesCheckCommand(cmd.args.at(1), schemaDir, std::cout, std::cerr,
                                       config.sectors);
  }
  return services::rulesTestCommand(cmd.args.at(1), cmd.args.at(2), schemaDir, std::cout, std::cerr,
                                    std::nullopt, config.sectors);
}

}  // namespace wayhome::app
