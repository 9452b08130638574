
#include <wayhome/bus/topics.hpp>
#include <wayhome/reports/reports.hpp>

namespace wayhome::reports {

IngestOutcome ingest(store::StateStore& state, const schemas::SchemaRegistry& schemas,
                     const std::vector<bus::KafkaRecord>& records, std::int64_t nowMs) {
  IngestOutcome out;
  std::vector<Fact> facts;
  for (const auto& rec : records) {
    auto ce = bus::binding::fromRecord(rec);
    if (!ce) {
      out.rejected.push_back("not a CloudEvent: " + ce.error().message);
      continue;
    }
    const auto& e = ce.value();
    if (!isReportedType(e.type)) {
      ++out.ignored;
      continue;
    }
    if (schemas.has(e.type)) {
      if (auto invalid = schemas.validate(e.type, e.data)) {
        out.rejected.push_back(e.type + ": " + invalid->message);
        continue;
      }
    }
    auto fact = factFromEvent(e);
    if (!fact) {
      out.rejected.push_back(e.type + ": " + fact.error().message);
      continue;
    }
    facts.push_back(std::move(*fact.value()));
  }
  state.transaction([&](store::Connection& db) {
    out.stored = storeFacts(db, facts, nowMs);
    out.duplicates = facts.size() - out.stored;
  });
  return out;
}

std::string renderReport(store::StateStore& state, const Period& period, Format format,
                         const std::vector<Target>& targets,
                         const std::vector<std::string>& sectors) {
  const auto facts = loadFacts(state, period.endMs());
  const Report report = computeReport(facts, period, sectors);
  std::vector<Report> monthsSoFar;
  if (!targets.empty()) {
    const int last = period.kind == Period::Kind::kMonth ? period.index : period.index * 4;
    for (int m = 1; m <= last; ++m)
      monthsSoFar.push_back(
          computeReport(facts, Period{Period::Kind::kMonth, period.year, m}, sectors));
  }
  const auto standing = standings(targets, report, monthsSoFar);
  switch (format) {
    case Format::kJson:
      return renderJson(report, standing);
    case Format::kCsv:
      return renderCsv(report, standing);
    case Format::kHtml:
      return renderHtml(report, computeReport(facts, period.previous(), sectors),
                        computeReport(facts, period.yearBefore(), sectors), standing);
  }
  return {};
}

std::vector<std::string> reportTopics(const bus::Topics& topics) {
  std::vector<std::string> out;
  for (const auto& source : bus::Topics::sources())
    out.push_back(topics.cases(source));
  out.push_back(topics.consentEvents());
  for (const auto& sector : topics.sectorNames())
    out.push_back(topics.referrals(sector));
  out.push_back(topics.meetingNotices());
  return out;
}

}  // namespace wayhome::reports
