#pragma once

// The router's rule table: rules are data (a JSON file), condition operators and
// actions are registered by name. A table is immutable once loaded; the router swaps
// in a new one on reload.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <wayhome/bus/audit.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>
#include <wayhome/router/time_math.hpp>
#include <wayhome/schemas/registry.hpp>

namespace wayhome::services::router {

/// A rules file that cannot be used. The message names the rule id and the JSON
/// pointer of the offending key, e.g. "rule R5-nav: /rules/4/actions/0/refer/to: ...".
class RulesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An incoming case event as the engine sees it.
struct Event {
  std::string id;
  std::string type;
  std::string subject;
  const rapidjson::Value* data = nullptr;  ///< an object (schema-valid)
  /// ce_source: consent ids are namespaced by it ("" in `wayhome rules test`).
  std::string source{};
};

/// A consent in the register.
struct Consent {
  std::string id;
  std::string personRef;
  std::string fromSector;
  std::vector<std::string> toSectors;
  std::string purpose;
  std::string validUntil;  ///< YYYY-MM-DD, last valid day
  bool withdrawn = false;
  /// The ce_source that recorded it: the register keys consents by (source, id), so
  /// one source cannot grant over, or withdraw, another's consent.
  std::string source{};
};

/// The register's key of consent `id` from `source`: ids are namespaced per source.
[[nodiscard]] std::string consentKey(std::string_view source, std::string_view id);

/// What recording a grant came to.
enum class GrantOutcome {
  kRecorded,         ///< new (or the same grant again)
  kWithdrawnBefore,  ///< withdrawn earlier: ignored
  kConflict,         ///< the id is taken by another person, sector, purpose or period
};

/// A referral that waits for a consent.
struct PendingReferral {
  std::string referralId;
  std::string personRef;
  std::string fromSector;
  std::string toSector;
  std::string purpose;
  std::string ruleId;
  std::string sourceEventId;
  std::string topic;
  std::string key;
  std::string due;                  ///< Duration text; due_by is counted from when it is made
  std::string data;                 ///< referral.created data without consent_id/created_at/due_by
  std::vector<std::string> fields;  ///< disclosed field names
};

/// The consent register and its waiting referrals (SQLite in the router, memory in
/// `wayhome rules test`). Called inside one transaction per batch.
class ConsentStore {
 public:
  virtual ~ConsentStore() = default;
  /// The id of a consent covering the sharing on `today` (not withdrawn, not expired).
  virtual std::optional<std::string> find(const std::string& personRef, const std::string& from,
                                          const std::string& to, const std::string& purpose,
                                          const std::string& today) = 0;
  /// Records a grant under consentKey(source, id). A consent is immutable: the same id
  /// with anything else changed is a conflict and changes nothing.
  virtual GrantOutcome grant(const Consent& consent) = 0;
  /// Marks the consent `key` (consentKey()) withdrawn; the consent if it was known.
  virtual std::optional<Consent> withdraw(const std::string& key, const std::string& personRef) = 0;
  virtual void addPending(const PendingReferral& pending) = 0;
  /// Waiting referrals `consent` covers; they are marked made (or stopped).
  virtual std::vector<PendingReferral> takePending(const Consent& consent, bool stop) = 0;
};

/// A referral that waits for its day (a `refer` with `at`): made on that day, moved by
/// a later `refer` of the same case and series, stopped by `cancel_referrals`.
struct DeferredReferral {
  std::string caseId;
  std::string series;
  std::string fireDate;          ///< YYYY-MM-DD: made from 00:00 UTC that day
  std::int64_t fireAtMs = 0;     ///< that moment, ms since the epoch
  std::string reason;            ///< the referral's reason code (for the audit's words)
  std::string housingContactId;  ///< asked for consent when it is made, if one is needed
  PendingReferral referral;      ///< what is made (its id stays)
};

/// Where deferred referrals wait (SQLite in the router, memory in `wayhome rules test`).
/// Called inside one transaction per batch.
class DeferralStore {
 public:
  virtual ~DeferralStore() = default;
  /// Keeps `d` under (case, series). A waiting one of the same case and series is
  /// replaced (its referral will not be made); its referral id is returned, else "".
  virtual std::string defer(const DeferredReferral& d) = 0;
  /// Stops the waiting deferrals of `caseId` (of `series` only, unless it is empty) and
  /// returns them.
  virtual std::vector<DeferredReferral> cancel(const std::string& caseId,
                                               const std::string& series) = 0;
};

/// One decision of the router: it becomes an entry of its source event's audit record
/// (audit.decision.v2) and, unless it is no_match or referral_stopped, an output event.
struct Decision {
  std::string decision;  ///< audit.decision.v2 decision enum value
  std::string ruleId;
  int action = -1;  ///< the rule's action that made it (position in `then`), -1: none
  std::string sourceEventId;
  std::string personRef;
  std::string referralId;
  std::string consentId;
  std::string toSector;
  std::vector<std::string> disclosed;  ///< field names shown to toSector
  std::string detail;                  ///< why, in words (no values)
  std::optional<bus::OutboxEvent> output;
  std::optional<PendingReferral> pending;
};

/// A decision of kind `decision` about referral `p`: its rule, source event, person,
/// referral id and sector filled in (the caller adds the rest).
[[nodiscard]] Decision decisionAbout(std::string decision, const PendingReferral& p);

/// What actions and the engine may use while evaluating one event.
struct EvalEnv {
  Clock::TimePoint now;
  ConsentStore& consents;
  const bus::Topics& topics;
  /// Where `refer` with `at` keeps its referral until the day; null where there is
  /// none (such a rule then fails to apply).
  DeferralStore* deferrals = nullptr;
};

/// The referral_created decision for `p`, made now under `consentId` (empty: none needed)
/// with its referral.created output; `why` (a reason code, may be empty) leads its detail.
[[nodiscard]] Decision referralMade(const PendingReferral& p, const std::string& consentId,
                                    const std::string& why, const EvalEnv& env);

struct Rule;

/// What an action sees when its rule matched.
struct ActionContext {
  const Event& event;
  const Rule& rule;
  std::size_t index;
  const EvalEnv& env;
};

/// A condition operator ("equals", "gt", ...). Stateless.
class Matcher {
 public:
  virtual ~Matcher() = default;
  /// Checks the rule's `value` (absent: nullptr) against the field's schema; an error
  /// sentence or nothing.
  [[nodiscard]] virtual std::optional<std::string> check(
      const rapidjson::Value* value, const rapidjson::Value& fieldSchema) const = 0;
  /// `actual` is nullptr when the event lacks the field.
  [[nodiscard]] virtual bool matches(const rapidjson::Value* actual,
                                     const rapidjson::Value* value) const = 0;
};

/// An action a rule runs ("refer", "request_notice").
class Action {
 public:
  virtual ~Action() = default;
  /// A line for people (`wayhome rules test`).
  [[nodiscard]] virtual std::string describe() const = 0;
  /// Appends its decisions.
  /// Errors: permanent when the event cannot feed the action (the event is dead-lettered).
  virtual Result<void> apply(const ActionContext& context, std::vector<Decision>& out) const = 0;
};

/// Where a rule is being read, for error messages and schema look-ups.
class ParseContext {
 public:
  /// `sectors`: the configured sectors a rule may name (outlives the context).
  ParseContext(std::string ruleId, std::string path, std::string eventType,
               const rapidjson::Value& schema, const schemas::SchemaRegistry& registry,
               const std::vector<std::string>& sectors)
      : ruleId_(std::move(ruleId)),
        path_(std::move(path)),
        eventType_(std::move(eventType)),
        schema_(schema),
        registry_(registry),
        sectors_(&sectors) {}
  /// Throws RulesError naming the rule and `path_ + sub`.
  [[noreturn]] void fail(const std::string& sub, const std::string& message) const;
  /// The schema node of field `pointer` of the event type, or fails naming `sub`.
  const rapidjson::Value& field(const std::string& sub, const std::string& pointer) const;
  /// Fails for keys of `object` outside `allowed`, or when it is not an object.
  void onlyKeys(const std::string& sub, const rapidjson::Value& object,
                std::initializer_list<const char*> allowed) const;
  /// The same context one level deeper (`suffix` such as "/consent").
  [[nodiscard]] ParseContext sub(const std::string& suffix) const {
    ParseContext c(*this);
    c.path_ += suffix;
    return c;
  }
  [[nodiscard]] const std::string& eventType() const { return eventType_; }
  [[nodiscard]] const std::string& ruleId() const { return ruleId_; }
  [[nodiscard]] const schemas::SchemaRegistry& registry() const { return registry_; }
  /// True when `sector` is a configured sector.
  [[nodiscard]] bool isSector(std::string_view sector) const;
  /// The configured sectors joined with ", " (for messages).
  [[nodiscard]] std::string sectorList() const;

 private:
  std::string ruleId_;
  std::string path_;
  std::string eventType_;
  const rapidjson::Value& schema_;
  const schemas::SchemaRegistry& registry_;
  const std::vector<std::string>* sectors_;
};

/// Makes an action from its JSON spec. Errors: throws RulesError via ParseContext::fail.
using ActionFactory =
    std::function<std::unique_ptr<Action>(const rapidjson::Value& spec, const ParseContext& at)>;

/// Operators and actions by name; a duplicate name is an error.
class Registry {
 public:
  void addMatcher(const std::string& name, std::unique_ptr<Matcher> matcher);
  void addAction(const std::string& name, ActionFactory factory);
  [[nodiscard]] const Matcher* matcher(const std::string& name) const;
  [[nodiscard]] const ActionFactory* action(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> matcherNames() const;
  [[nodiscard]] std::vector<std::string> actionNames() const;

 private:
  std::map<std::string, std::unique_ptr<Matcher>> matchers_;
  std::map<std::string, ActionFactory> actions_;
};

/// Adds equals, not_equals, in, gt, gte, lt, lte, exists, not_exists.
void registerBuiltinMatchers(Registry& registry);
/// Adds refer, request_notice, cancel_referrals.
void registerBuiltinActions(Registry& registry);
/// Both, once, for the process.
const Registry& builtinRegistry();

struct Condition {
  std::string field;  ///< JSON pointer
  std::string op;
  rapidjson::Pointer pointer;
  const Matcher* matcher = nullptr;
  std::shared_ptr<rapidjson::Document> value;  ///< null document when absent
};

struct Rule {
  std::string id;
  std::string description;
  std::string type;
  std::vector<Condition> conditions;
  std::vector<std::unique_ptr<Action>> actions;
};

/// A loaded, checked, immutable rule table.
class RuleTable {
 public:
  std::vector<Rule> rules;
  std::string origin;
  /// The rules for `type`, in file order.
  [[nodiscard]] std::vector<const Rule*> forType(const std::string& type) const;
};
using RuleTablePtr = std::shared_ptr<const RuleTable>;

/// Parses and checks a rules document against the event schemas and the configured
/// `sectors` (a sector a rule names must be one of them).
/// Errors: throws RulesError naming the rule id and the JSON pointer.
[[nodiscard]] RuleTablePtr parseRules(
    std::string_view text, const schemas::SchemaRegistry& schemas, const std::string& origin,
    const std::vector<std::string>& sectors = bus::defaultSectorNames(),
    const Registry& registry = builtinRegistry());
/// Reads and parses a rules file (at most 4 MiB).
/// Errors: throws RulesError naming the file.
[[nodiscard]] RuleTablePtr loadRulesFile(
    const std::filesystem::path& file, const schemas::SchemaRegistry& schemas,
    const std::vector<std::string>& sectors = bus::defaultSectorNames(),
    const Registry& registry = builtinRegistry());

/// What one event triggered.
struct Evaluation {
  std::vector<Decision> decisions;
  /// For people: each rule of the type, matched or why not.
  std::vector<std::string> trace;
};

/// Runs the rules of `event`'s type. A case event nothing matched gives one no_match
/// decision; consent.granted/withdrawn update the register and make or stop the
/// referrals that waited.
/// Errors: permanent when an action cannot use the event.
[[nodiscard]] Result<Evaluation> evaluate(const RuleTable& table, const Event& event,
                                          const EvalEnv& env);

/// Who asked for a decision through an API (the case-work calls): leads the audit record.
struct CallAudit {
  std::string actor;       ///< the token's name
  bus::audit::Entry call;  ///< what the call itself decided (e.g. referral_requested)
};

/// evaluate() and every event it makes: its outputs, then the one audit record of the
/// event listing every decision (led by `call`'s, if given), each checked against its
/// schema; nothing when any is invalid.
/// Errors: permanent when an action cannot use the event or makes an invalid event.
[[nodiscard]] Result<std::vector<bus::OutboxEvent>> decide(const RuleTable& table,
                                                           const Event& event, const EvalEnv& env,
                                                           const schemas::SchemaRegistry& schemas,
                                                           const CallAudit* call = nullptr);

/// The referral.created event for `p`, made now (created_at, due_by), under `consentId`.
[[nodiscard]] bus::OutboxEvent makeReferralEvent(const PendingReferral& p,
                                                 const std::string& consentId, const EvalEnv& env);

/// Makes `p` now: at once when it needs no consent or a consent covers it (a
/// referral_created decision), else a consent_needed decision to the housing contact
/// (`housingContactId`, may be empty) and `p` waits for the consent. `reason` is the
/// referral's reason code, for the decision's words.
void referNow(const PendingReferral& p, const std::string& reason,
              const std::string& housingContactId, const EvalEnv& env, std::vector<Decision>& out);

/// The audit entry of `d`: its rule and action, its output's topic and id, what it
/// disclosed to whom.
[[nodiscard]] bus::audit::Entry auditEntry(const Decision& d);

/// The one audit record (audit.decision.v2, on audit.decisions) of `decisions`, all
/// taken on one source event (`sourceEventId`, may be empty for a timer); its id is
/// derived from `key` (the source event id, or what identifies the timer's firing), so
/// the same decisions made again make the same record.
[[nodiscard]] bus::OutboxEvent auditEvent(std::string_view key, const std::string& sourceEventId,
                                          const std::vector<Decision>& decisions,
                                          const EvalEnv& env, const CallAudit* call = nullptr);

/// The CloudEvent source of everything the router emits.
inline constexpr const char* kRouterSource = "/wayhome/router";

/// Helpers shared by actions.
[[nodiscard]] std::string sectorOfType(const std::string& type);
[[nodiscard]] const rapidjson::Value* lookup(const rapidjson::Value& data,
                                             const std::string& pointer);

}  // namespace wayhome::services::router
