#include <fstream>

#include <wayhome/core/calendar.hpp>
#include <wayhome/reports/facts.hpp>
#include <wayhome/reports/publisher.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::reports {
namespace {

using namespace std::chrono;
using schemas::jsonString;

bool writeAtomically(const std::filesystem::path& file, const std::string& text,
                     std::string& error) {
  const auto tmp = std::filesystem::path(file.string() + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f || !f.write(text.data(), static_cast<std::streamsize>(text.size())) || !f.flush()) {
      error = file.string() + ": cannot be written";
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) error = file.string() + ": " + ec.message();
  return !ec;
}

}  // namespace

std::vector<Period> periodsDue(Clock::TimePoint now) {
  const auto current = Period::monthOf(floor<seconds>(now));
  const Period month = current.previous();
  std::vector<Period> out{month};
  if (month.index % 4 == 0) out.push_back({Period::Kind::kTertial, month.year, month.index / 4});
  return out;
}

Result<bool> publish(store::StateStore& state, bus::Outbox& outbox, const bus::Topics& topics,
                     const PublishSettings& settings, const Period& period, Clock::TimePoint now,
                     bool rewrite) {
  const std::string label = period.label();
  try {
    bool known = false;
    state.transaction([&](store::Connection& db) {
      store::Statement seen(db, "SELECT 1 FROM reports_published WHERE period = ?;");
      seen.bind(1, label);
      known = seen.step();
    });
    if (known && !rewrite) return false;
  } catch (const std::exception& e) {
    return Error::retry(std::string("reports: ") + e.what());
  }
  std::error_code ec;
  std::filesystem::create_directories(settings.folder, ec);
  std::vector<std::string> files;
  std::string json;
  try {
    for (Format f : {Format::kJson, Format::kCsv, Format::kHtml}) {
      const std::string ext = f == Format::kJson ? "json" : f == Format::kCsv ? "csv" : "html";
      const std::string text =
          renderReport(state, period, f, settings.targets, topics.sectorNames());
      if (f == Format::kJson) json = text;
      std::string error;
      if (!writeAtomically(settings.folder / (label + "." + ext), text, error)) {
        return Error::retry("reports folder: " + error);
      }
      files.push_back(label + "." + ext);
    }
    bool fresh = false;
    bus::AppendOutcome appended;
    const auto nowMs = duration_cast<milliseconds>(now.time_since_epoch()).count();
    state.transaction([&](store::Connection& db) {
      store::Statement seen(db, "SELECT 1 FROM reports_published WHERE period = ?;");
      seen.bind(1, label);
      fresh = !seen.step();
      if (!fresh) return;
      store::Statement put(db,
                           "INSERT INTO reports_published(period, published_ms, report) "
                           "VALUES(?, ?, ?) ON CONFLICT(period) DO NOTHING;");
      put.bind(1, label).bind(2, nowMs).bind(3, json);
      put.run();
      std::string data = "{\"period\":" + jsonString(label) + ",\"kind\":" +
                         jsonString(period.kind == Period::Kind::kMonth ? "month" : "tertial") +
                         ",\"from\":" + jsonString(scheduler::formatOsloRfc3339(period.start())) +
                         ",\"to\":" + jsonString(scheduler::formatOsloRfc3339(period.end())) +
                         ",\"published_at\":" + jsonString(formatRfc3339(now)) + ",\"files\":[";
      for (std::size_t i = 0; i < files.size(); ++i)
        data += (i > 0 ? "," : "") + jsonString(files[i]);
      data += "]}";
      bus::OutboxEvent e;
      e.topic = topics.reports();
      e.event.id = "report-" + label;  // one per period, also if asked again
      e.event.source = "/wayhome/reports";
      e.event.type = "report.published.v1";
      e.event.time = formatRfc3339(now);
      e.event.subject = label;
      e.event.data = std::move(data);
      appended = outbox.appendWithin(db, {e});
    });
    outbox.committedWithin(appended);
    return fresh;
  } catch (const std::exception& e) {
    return Error::retry(std::string("reports: ") + e.what());
  }
}

std::vector<Period> publishedPeriods(store::StateStore& state) {
  std::vector<Period> out;
  state.transaction([&](store::Connection& db) {
    out.clear();
    store::Statement st(db, "SELECT period FROM reports_published ORDER BY period;");
    while (st.step()) {
      if (auto p = Period::parse(st.columnText(0))) out.push_back(p.value());
    }
  });
  return out;
}

}  // namespace wayhome::reports
