// wayhome: parses the command line and dispatches; each command lives in commands.cpp.

#include <iostream>
#include <string_view>

#include <wayhome/app/cli.hpp>
#include <wayhome/app/commands.hpp>
#include <wayhome/app/ctl.hpp>
#include <wayhome/app/state_cli.hpp>
#include <wayhome/app/topics_cli.hpp>
#include <wayhome/reports/report_cli.hpp>

int main(int argc, char** argv) {
  using namespace wayhome::services;
  namespace app = wayhome::app;
  if (argc >= 2 && std::string_view(argv[1]) == "ctl") {
    // ctl has its own words and options; it only talks HTTP to a running service.
    return runCtl(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  }
  if (argc >= 2 && std::string_view(argv[1]) == "report") {
    // Reads the state store of the config; no service needs to run.
    return wayhome::reports::reportCommand(std::vector<std::string>(argv + 2, argv + argc),
                                           std::cout, std::cerr);
  }
  if (argc >= 2 && std::string_view(argv[1]) == "state") {
    return app::runState(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
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
      return app::serveCommand(cmd);
    case Command::kValidate:
      return app::validateCommand(cmd);
    case Command::kBus:
      return app::busCommand(cmd);
    case Command::kSimulate:
      return app::simulateCommand(cmd);
    case Command::kRules:
      return app::rulesCommand(cmd);
    case Command::kTopics:
      return cmd.args.at(0) == "list" ? topicsListCommand(cmd, std::cout, std::cerr)
                                      : topicsApplyCommand(cmd, std::cout, std::cerr);
    case Command::kCheckConfig:
      return app::checkConfigCommand(cmd);
  }
  return ExitCode::kUsage;
}
