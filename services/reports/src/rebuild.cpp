// `wayhome report rebuild`: the facts again from what the bus still holds (once per
// event id: what was counted stays counted once), then the published reports' files.

#include <fstream>
#include <map>
#include <regex>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/reports/publisher.hpp>
#include <wayhome/reports/report_cli.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/runtime/config.hpp>

namespace wayhome::reports {
namespace {

using namespace std::chrono;

// The bus the service uses: the configured cluster, or the embedded one the running
// service wrote to <data_dir>/runtime.json.
std::string bootstrapOf(const services::ServiceConfig& config, std::string& error) {
  if (!config.bus.embedded) return config.bus.bootstrapServers;
  std::ifstream in(config.dataDir / "runtime.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::smatch m;
  static const std::regex kBootstrap(R"re("bootstrap_servers":"([^"]+)")re");
  if (!std::regex_search(text, m, kBootstrap)) {
    error = "the embedded bus lives in the running service; no " +
            (config.dataDir / "runtime.json").string() + " (is `wayhome serve` running?)";
    return {};
  }
  return m[1].str();
}

struct Totals {
  std::size_t read = 0, stored = 0, duplicates = 0, ignored = 0, rejected = 0;
};

// Reads one topic from its low to its high watermark (as at the start) and stores
// what is new.
void readTopic(const bus::ClientProperties& props, const std::string& topic, int partitions,
               store::StateStore& state, const schemas::SchemaRegistry& schemas, Totals& totals) {
  bus::Consumer consumer(props, {.groupId = "wayhome-reports-rebuild", .name = "wayhome-rebuild"});
  std::map<std::int32_t, std::int64_t> high;
  std::vector<std::int32_t> all;
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto wm = consumer.watermarks(topic, p, seconds(10));
    if (!wm) throw std::runtime_error(topic + ": " + wm.error().message);
    if (wm.value().second > wm.value().first) high[p] = wm.value().second;
    all.push_back(p);
  }
  if (high.empty()) return;
  consumer.assign(topic, all, true);
  const auto deadline = steady_clock::now() + minutes(5);
  while (!high.empty() && steady_clock::now() < deadline) {
    auto records = consumer.poll(milliseconds(500), 500);
    for (const auto& r : records) {
      auto it = high.find(r.partition);
      if (it != high.end() && r.offset + 1 >= it->second) high.erase(it);
    }
    if (records.empty()) continue;
    const auto nowMs = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const auto outcome = ingest(state, schemas, records, nowMs);
    totals.read += records.size();
    totals.stored += outcome.stored;
    totals.duplicates += outcome.duplicates;
    totals.ignored += outcome.ignored;
    totals.rejected += outcome.rejected.size();
  }
  if (!high.empty()) throw std::runtime_error(topic + ": not read to its end within 5 minutes");
}

}  // namespace

int rebuildCommand(const services::ServiceConfig& config, const ReportsSettings& settings,
                   const std::vector<Target>& targets, std::ostream& out, std::ostream& err) {
  std::string error;
  const std::string bootstrap = bootstrapOf(config, error);
  if (bootstrap.empty()) {
    err << "wayhome report rebuild: " << error << "\n";
    return 1;
  }
  try {
    const auto schemas = schemas::SchemaRegistry::loadDirectory(config.schemaDir);
    store::StateStore state(config.statePath);
    state.migrate(reportsSchema());
    const auto props = bus::clientProperties(config.bus, bootstrap);
    Totals totals;
    const bus::Topics topics(config.bus.topicPrefix, config.sectors);
    for (const auto& topic : reportTopics(topics))
      readTopic(props, topic, config.bus.defaultPartitions, state, schemas, totals);
    // The published reports' files, made again from the facts as they are now; what
    // was announced on the bus stays announced.
    bus::Outbox outbox(state);
    std::size_t rewritten = 0;
    for (const auto& period : publishedPeriods(state)) {
      auto r = publish(state, outbox, topics, {settings.folder, targets}, period,
                       system_clock::now(), true);
      if (!r) throw std::runtime_error(r.error().message);
      ++rewritten;
    }
    out << "read " << totals.read << " records: " << totals.stored << " new facts, "
        << totals.duplicates << " counted before, " << totals.ignored << " not for reports, "
        << totals.rejected << " not counted; " << rewritten << " published reports rewritten in "
        << settings.folder.string() << "\n";
    return 0;
  } catch (const std::exception& e) {
    err << "wayhome report rebuild: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace wayhome::reports
