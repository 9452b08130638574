#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

#include <wayhome/app/cli.hpp>

namespace wayhome::services {

std::string usage() {
  return R"(usage: wayhome <command> [options]

commands:
  serve [--config FILE]            run the service (no --config: embedded Kafka bus,
                                   state in ./var/wayhome, HTTP on 127.0.0.1:8080)
  check-config [--config FILE]     check a configuration file and exit
  validate TYPE FILE [--schemas DIR]
                                   check an event's data (JSON) against its schema
  rules test RULES EVENTS.jsonl [--schemas DIR] [--config FILE]
                                   show offline what each event (one CloudEvent JSON
                                   per line) would trigger and why; exit 1 on
                                   invalid rules
  rules check RULES [--schemas DIR] [--config FILE]
                                   check a rules file and exit (against the sectors
                                   of --config; without it, the five default ones)
  bus [--brokers N] [--partitions N] [--prefix P] [--bootstrap-file FILE] [--topic NAME]...
                                   run only an embedded Kafka bus (for tests and
                                   development): SIGUSR1 takes every broker down,
                                   SIGUSR2 brings them back, SIGTERM stops
  simulate TYPE [--url URL] [--settings JSON]
                                   play a source system's simulator (gerica, loan,
                                   plania) against a running service (default
                                   http://127.0.0.1:8080) until it is done or SIGTERM
  topics list [--format json|strimzi] [--config FILE | --prefix P --partitions N]
              [--cluster NAME]
                                   print the topic catalogue (names, partitions,
                                   retention, cleanup policy, readers) as JSON, or
                                   as Strimzi KafkaTopic and KafkaUser manifests
                                   (defaults: no prefix, 6 partitions, cluster kafka)
  topics apply --config FILE [--timeout-ms N]
                                   create missing topics on the configured cluster
                                   and check existing ones against the catalogue;
                                   exit 1 if any differs or cannot be checked
  report --period YYYY-MM|YYYY-Tn [--format json|csv|html] [--out FILE] [--config FILE]
                                   the report of a month or tertial from the state
                                   store (docs/REPORTS.md)
  state backup FILE [--config FILE] | state check [--config FILE]
  state copy --from SQLITE --to URL [--password-file FILE]
                                   back up or check the state store, or move an
                                   embedded one to PostgreSQL (wayhome state --help)
  ctl COMMAND ...                   operate a running service through its ops API
                                   (wayhome ctl --help lists the commands)
  version                          print the version
  help                             print this text

exit codes: 0 ok, 1 failure or invalid document, 2 unusable configuration,
            64 wrong command line
)";
}

namespace {

// The command word; false (with `error`) for an unknown one.
bool parseCommandWord(const std::string& command, CommandLine& out, std::string& error) {
  static constexpr std::pair<std::string_view, Command> kWords[] = {
      {"serve", Command::kServe},       {"check-config", Command::kCheckConfig},
      {"validate", Command::kValidate}, {"rules", Command::kRules},
      {"bus", Command::kBus},           {"simulate", Command::kSimulate},
      {"topics", Command::kTopics},     {"version", Command::kVersion},
      {"--version", Command::kVersion}, {"help", Command::kHelp},
      {"--help", Command::kHelp},       {"-h", Command::kHelp},
  };
  for (const auto& [word, meaning] : kWords) {
    if (command == word) {
      out.command = meaning;
      return true;
    }
  }
  error = "unknown command '" + command + "'";
  return false;
}

// The options and arguments after the command word.
bool parseOptions(const std::vector<std::string>& args, CommandLine& out, std::string& error) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    // The option's value, the next word: false (with `error`) when there is none, or
    // when it is empty and may not be.
    auto next = [&](std::string& into, bool mayBeEmpty = false) {
      if (i + 1 >= args.size() || (!mayBeEmpty && args[i + 1].empty())) {
        error = a + " needs a value";
        return false;
      }
      into = args[++i];
      return true;
    };
    auto value = [&](std::optional<std::filesystem::path>& into) {
      std::string v;
      if (!next(v)) return false;
      into = v;
      return true;
    };
    // `v` as a whole number from `low` to `high`: false (with `error`) otherwise.
    auto number = [&](const std::string& v, int low, int high, int& into) {
      int n = 0;
      try {
        n = std::stoi(v);
      } catch (const std::exception&) {
        n = 0;
      }
      if (n < low || n > high) {
        error = a + " needs a number from " + std::to_string(low) + " to " + std::to_string(high) +
                ", got '" + v + "'";
        return false;
      }
      into = n;
      return true;
    };
    if (a == "--config" || a == "-c") {
      if (!value(out.configFile)) return false;
    } else if (a == "--schemas") {
      if (!value(out.schemaDir)) return false;
    } else if (out.command == Command::kTopics && a == "--timeout-ms") {
      const std::string v = i + 1 < args.size() ? args[++i] : std::string();
      if (!number(v, 100, 600000, out.timeoutMs)) return false;
    } else if (out.command == Command::kTopics && (a == "--format" || a == "--cluster")) {
      std::string v;
      if (!next(v)) return false;
      if (a == "--format" && v != "json" && v != "strimzi") {
        error = "--format must be json or strimzi, got '" + v + "'";
        return false;
      }
      (a == "--format" ? out.format : out.strimziCluster) = v;
    } else if ((out.command == Command::kBus &&
                (a == "--brokers" || a == "--partitions" || a == "--prefix" ||
                 a == "--bootstrap-file" || a == "--topic")) ||
               (out.command == Command::kTopics && (a == "--partitions" || a == "--prefix"))) {
      std::string v;
      if (!next(v, /*mayBeEmpty=*/true)) return false;
      if (a == "--prefix") {
        out.prefix = v;
        out.prefixGiven = true;
      } else if (a == "--topic") {
        out.extraTopics.push_back(v);
      } else if (a == "--bootstrap-file") {
        out.bootstrapFile = v;
      } else {
        if (!number(v, 1, 1000, a == "--brokers" ? out.brokers : out.partitions)) return false;
        out.partitionsGiven = out.partitionsGiven || a == "--partitions";
      }
    } else if (out.command == Command::kSimulate && (a == "--url" || a == "--settings")) {
      if (!next(a == "--url" ? out.serviceUrl : out.simulatorSettings)) return false;
    } else if (a.starts_with("-")) {
      error = "unknown option '" + a + "'";
      return false;
    } else {
      out.args.push_back(a);
    }
  }
  return true;
}

// The arguments each command needs, and options that do not go together.
bool checkArguments(const std::string& command, CommandLine& out, std::string& error) {
  if (out.command == Command::kRules) {
    const std::string sub = out.args.empty() ? std::string() : out.args.front();
    if (sub != "test" && sub != "check") {
      error = "rules needs a subcommand: test RULES EVENTS.jsonl, or check RULES";
      return false;
    }
    const std::size_t want = sub == "test" ? 3 : 2;
    if (out.args.size() != want) {
      error = "rules " + sub + " takes " + std::to_string(want - 1) + " argument(s), got " +
              std::to_string(out.args.size() - 1);
      return false;
    }
    return true;
  }
  if (out.command == Command::kTopics) {
    const std::string sub = out.args.empty() ? std::string() : out.args.front();
    if ((sub != "list" && sub != "apply") || out.args.size() != 1) {
      error = "topics needs one subcommand: list or apply";
      return false;
    }
    if (sub == "apply" &&
        (!out.configFile || out.prefixGiven || out.partitionsGiven || out.format != "json")) {
      error = "topics apply takes --config FILE (the cluster, prefix and partitions) only";
      return false;
    }
    if (out.configFile && (out.prefixGiven || out.partitionsGiven)) {
      error = "topics list takes either --config or --prefix/--partitions, not both";
      return false;
    }
    return true;
  }
  const std::size_t wanted = out.command == Command::kValidate   ? 2
                             : out.command == Command::kSimulate ? 1
                                                                 : 0;
  if (out.args.size() != wanted) {
    error = command + " takes " + std::to_string(wanted) + " argument(s), got " +
            std::to_string(out.args.size());
    return false;
  }
  if (out.configFile && out.command != Command::kServe && out.command != Command::kCheckConfig &&
      out.command != Command::kTopics) {
    error = "--config is not an option of " + command;
    return false;
  }
  return true;
}

}  // namespace

bool parseCommandLine(int argc, const char* const* argv, CommandLine& out, std::string& error) {
  out = CommandLine{};
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    error = "no command given";
    return false;
  }
  const std::string command = args.front();
  return parseCommandWord(command, out, error) && parseOptions(args, out, error) &&
         checkArguments(command, out, error);
}

bool readSmallFile(const std::filesystem::path& file, std::size_t limit, std::string& out) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size > limit) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace wayhome::services
