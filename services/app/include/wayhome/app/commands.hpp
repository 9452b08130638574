#pragma once

// The commands of the `wayhome` binary that run something; main() only dispatches.

#include <wayhome/app/cli.hpp>

namespace wayhome::app {

/// `wayhome serve`: the service with every builtin component, and the configured
/// simulators, until SIGINT/SIGTERM (SIGHUP reloads). Returns an ExitCode.
int serveCommand(const services::CommandLine& cmd);
/// `wayhome bus`: an embedded Kafka cluster alone (SIGUSR1/SIGUSR2 take its brokers
/// down and up), so tests can kill the service and keep the bus.
int busCommand(const services::CommandLine& cmd);
/// `wayhome simulate TYPE`: one simulator against a running service.
int simulateCommand(const services::CommandLine& cmd);
/// `wayhome validate TYPE FILE`: a payload against its event schema.
int validateCommand(const services::CommandLine& cmd);
/// `wayhome check-config`: loads the configuration and says what is wrong with it.
int checkConfigCommand(const services::CommandLine& cmd);
/// `wayhome rules check|test`.
int rulesCommand(const services::CommandLine& cmd);

}  // namespace wayhome::app
