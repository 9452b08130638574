// wayhome: parses the command line and wires the libraries together. Nothing else.

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/stat.h>
#include <thread>

#include <wayhome/app/builtin.hpp>
#include <wayhome/app/cli.hpp>
#include <wayhome/app/ctl.hpp>
#include <wayhome/bus/embedded_cluster.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/delivery/delivery.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/service.hpp>
#include <wayhome/scheduler/scheduler.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace {

using wayhome::services::ExitCode;

int serve(const wayhome::services::CommandLine& cmd) {
  using namespace wayhome;
  // Everything the service creates (state, keys, receipts, runtime.json) is its own:
  // identity-derived data is never readable by other users of the machine. A drop
  // folder shared with a sender uses default ACLs (README, "Secrets and keys").
  ::umask(077);
  services::ServiceConfig config;
  try {
    config = cmd.configFile ? services::loadConfigFile(*cmd.configFile) : services::defaultConfig();
  } catch (const services::ConfigError& e) {
    std::cerr << "wayhome: " << e.what() << "\n";
    return ExitCode::kConfig;
  }

  // Signals are taken by this thread only: block them before any other thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  services::Service service(config);
  std::vector<std::unique_ptr<connectors::Simulator>> simulators;
  // Outlives the service: a connector restarted through the ops API is made anew here.
  connectors::ConnectorRegistry connectorTypes;
  try {
    connectors::registerBuiltinConnectors(connectorTypes);
    connectors::SimulatorRegistry simulatorTypes;
    connectors::registerBuiltinSimulators(simulatorTypes);
    service.add(ops::makeOpsComponent());
    service.add(connectors::makeConnectorsComponent(connectorTypes, config));
    if (config.router.enabled) {
      auto component = std::make_unique<services::Router>(
          services::RouterOptions{.rulesFile = config.router.rulesFile});
      service.add(std::move(component));
    }
    service.add(scheduler::makeSchedulerComponent());
    if (!config.delivery.webhooks.empty()) {
      service.add(std::make_unique<services::Delivery>(
          services::DeliveryOptions{.webhooks = config.delivery.webhooks}));
    }
    simulators = connectors::makeSimulators(simulatorTypes, config);
  } catch (const connectors::ConnectorConfigError& e) {
    std::cerr << "wayhome: config " << config.origin << ": " << e.what() << "\n";
    return ExitCode::kConfig;
  }
  // Simulated sources the service polls are up before it and down after it; the
  // simulators that call the service start once it listens and stop before it does.
  auto stopSimulators = [&simulators](bool servers) {
    for (auto& simulator : simulators) {
      if (simulator->servesTheService() == servers) simulator->stop();
    }
  };
  try {
    for (auto& simulator : simulators) {
      if (simulator->servesTheService()) simulator->start({});
    }
    service.start();
    const std::string url = (config.http.tlsCertFile.empty() ? "http://" : "https://") +
                            config.http.address + ":" + std::to_string(service.httpPort());
    for (auto& simulator : simulators) {
      if (!simulator->servesTheService()) simulator->start({.serviceUrl = url});
    }
  } catch (const std::exception& e) {
    log::error("service", "start-up failed", {{"error", e.what()}});
    std::cerr << "wayhome: start-up failed: " << e.what() << "\n";
    stopSimulators(false);
    service.stop();
    stopSimulators(true);
    return ExitCode::kStartup;
  }

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // Each component logs what it reloaded or why it kept what runs.
      if (service.reload().empty()) log::info("service", "SIGHUP received; nothing to reload");
      continue;
    }
    log::info("service", "shutdown requested", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    break;
  }
  // A watchdog keeps the promise of a bounded shutdown even if something hangs.
  const auto limit = config.shutdownTimeout + std::chrono::seconds(2);
  std::thread([limit] {
    std::this_thread::sleep_for(limit);
    log::error("service", "shutdown took too long; exiting");
    std::_Exit(ExitCode::kStartup);
  }).detach();
  stopSimulators(false);
  const bool stopped = service.stop();
  stopSimulators(true);
  return stopped ? ExitCode::kOk : ExitCode::kStartup;
}

// A bus alone, so tests can kill the service and keep the bus, and take it down.
int runBus(const wayhome::services::CommandLine& cmd) {
  using namespace wayhome;
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2})
    sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
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
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
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
int simulate(const wayhome::services::CommandLine& cmd) {
  using namespace wayhome;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
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
  const timespec tick{0, 200 * 1000 * 1000};
  while (!simulator->finished()) {
    if (sigtimedwait(&signals, nullptr, &tick) > 0) break;
  }
  simulator->stop();
  return ExitCode::kOk;
}

int validate(const wayhome::services::CommandLine& cmd) {
  using namespace wayhome;
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

}  // namespace

int main(int argc, char** argv) {
  using namespace wayhome::services;
  if (argc >= 2 && std::string_view(argv[1]) == "ctl") {
    // ctl has its own words and options; it only talks HTTP to a running service.
    return runCtl(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  }
  CommandLine cmd;
  std::string error;
  if (!parseCommandLine(argc, argv, cmd, error)) {
    std::cerr << "wayhome: " << error << "\n\n" << usage();
    return ExitCode::kUsage;
  }
  switch (cmd.command) {
    case Command::kHelp:
      std::cout << usage();
      return ExitCode::kOk;
    case Command::kVersion:
      std::cout << "wayhome " << WAYHOME_VERSION << "\n";
      return ExitCode::kOk;
    case Command::kServe:
      return serve(cmd);
    case Command::kValidate:
      return validate(cmd);
    case Command::kBus:
      return runBus(cmd);
    case Command::kSimulate:
      return simulate(cmd);
    case Command::kRules: {
      const auto schemaDir = cmd.schemaDir ? *cmd.schemaDir : defaultConfig().schemaDir;
      if (cmd.args.at(0) == "check") {
        return rulesCheckCommand(cmd.args.at(1), schemaDir, std::cout, std::cerr);
      }
      return rulesTestCommand(cmd.args.at(1), cmd.args.at(2), schemaDir, std::cout, std::cerr);
    }
    case Command::kCheckConfig:
      try {
        (void)(cmd.configFile ? loadConfigFile(*cmd.configFile) : defaultConfig());
        std::cout << "config ok\n";
        return ExitCode::kOk;
      } catch (const ConfigError& e) {
        std::cerr << "wayhome: " << e.what() << "\n";
        return ExitCode::kConfig;
      }
  }
  return ExitCode::kUsage;
}
