#include <future>

#include <wayhome/connectors/intake.hpp>
#include <wayhome/runtime/identity_vault.hpp>

namespace wayhome::connectors {

Intake::Intake(services::ServiceContext& service, const PersonRefs& personRefs,
               std::string sourceType, std::string instanceName)
    : service_(service),
      personRefs_(personRefs),
      sourceType_(std::move(sourceType)),
      instance_(std::move(instanceName)),
      source_("/wayhome/connectors/" + sourceType_ + "/" + instance_),
      latency_(service.metrics.histogram(
          "wayhome_intake_seconds",
          "From a source record's arrival to its events being durable in the outbox.",
          {{"connector", instance_}, {"type", sourceType_}})) {}

Result<std::string> Intake::personRef(std::string_view nationalId) const {
  auto ref = personRefs_.personRef(nationalId);
  if (ref && service_.vault != nullptr) {
    // Kept sealed for re-identification by those allowed (never on the bus).
    try {
      service_.vault->put(ref.value(), nationalId);
    } catch (const std::exception& e) {
      return Error::retry(std::string("the identity vault failed: ") + e.what());
    }
  }
  return ref;
}

std::string Intake::eventId(std::string_view recordId, std::string_view version,
                            std::size_t index) const {
  // A digest keeps ids short and free of whatever characters source ids contain; the
  // instance name keeps two installations of one system apart.
  std::string material = instance_;
  material += '\n';
  material += recordId;
  material += '\n';
  material += version;
  material += '\n';
  material += std::to_string(index);
  return sourceType_ + "-" + keyedDigest("wayhome-event-id", material);
}

std::string Intake::topicFor(std::string_view type) const {
  if (type.starts_with("consent.")) return service_.topics.consentEvents();
  return service_.topics.cases(sourceType_);
}

bool Intake::overloaded() const {
  return service_.outbox.overloaded() || (status_ != nullptr && status_->paused());
}

Result<void> Intake::submit(std::string_view recordId, std::string_view version,
                            std::vector<CanonicalEvent> events,
                            std::function<void(Result<IntakeOutcome>)> done) {
  std::vector<bus::OutboxEvent> out;
  out.reserve(events.size());
  const std::string now = formatRfc3339(service_.clock.now());
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (auto invalid = service_.schemas.validate(e.type, e.data)) {
      return Error::permanent(e.type + ": " + invalid->message);
    }
    bus::OutboxEvent oe;
    oe.topic = topicFor(e.type);
    oe.event.id = eventId(recordId, version, i);
    oe.event.source = source_;
    oe.event.type = e.type;
    oe.event.subject = e.subject;
    oe.event.time = e.time.empty() ? now : e.time;
    oe.event.data = std::move(e.data);
    out.push_back(std::move(oe));
  }
  if (status_ != nullptr && status_->paused()) {
    return Error::retry("connector " + instance_ + " is paused by an operator");
  }
  const auto started = std::chrono::steady_clock::now();
  return service_.outbox.append(
      std::move(out),
      [done = std::move(done), started, &latency = latency_](Result<bus::AppendOutcome> r) {
        latency.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (!r) {
          done(r.error());
        } else {
          done(IntakeOutcome{r.value().fresh, r.value().duplicates});
        }
      });
}

Result<IntakeOutcome> Intake::submitAndWait(std::string_view recordId, std::string_view version,
                                            std::vector<CanonicalEvent> events) {
  auto promise = std::make_shared<std::promise<Result<IntakeOutcome>>>();
  auto future = promise->get_future();
  auto queued = submit(recordId, version, std::move(events),
                       [promise](Result<IntakeOutcome> r) { promise->set_value(std::move(r)); });
  if (!queued) return queued.error();
  return future.get();
}

}  // namespace wayhome::connectors
