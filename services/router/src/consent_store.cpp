#include <algorithm>
#include <map>

#include <wayhome/router/consent_store.hpp>
#include <wayhome/router/time_math.hpp>

#include "referral_rows.hpp"

namespace wayhome::services::router {

std::string consentKey(std::string_view source, std::string_view id) {
  // Sources start with '/', ids never hold '|': no two (source, id) pairs meet.
  if (source.empty()) return std::string(id);
  return std::string(source) + "|" + std::string(id);
}

namespace {

// `text` matched literally by LIKE ... ESCAPE '!'.
std::string likeLiteral(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '!') out += '!';
    out += c;
  }
  return out;
}

bool covers(const std::vector<std::string>& sectors, const std::string& s) {
  return std::find(sectors.begin(), sectors.end(), s) != sectors.end();
}

}  // namespace

std::optional<std::string> StoreConsentStore::find(const std::string& personRef,
                                                   const std::string& from, const std::string& to,
                                                   const std::string& purpose,
                                                   const std::string& today) {
  store::Statement st(
      db_,
      "SELECT consent_id FROM router_consents WHERE person_ref = ? AND from_sector = ? "
      "AND purpose = ? AND withdrawn = 0 AND valid_until >= ? AND to_sectors LIKE ? ESCAPE '!' "
      "ORDER BY valid_until DESC, consent_id LIMIT 1;");
  st.bind(1, personRef)
      .bind(2, from)
      .bind(3, purpose)
      .bind(4, today)
      .bind(5, "%," + likeLiteral(to) + ",%");
  if (!st.step()) return std::nullopt;
  // The register's key is namespaced (consentKey()); referrals name the consent's own id.
  std::string key = st.columnText(0);
  const auto bar = key.rfind('|');
  return bar == std::string::npos ? key : key.substr(bar + 1);
}

GrantOutcome StoreConsentStore::grant(const Consent& c) {
  const std::string key = consentKey(c.source, c.id);
  {
    store::Statement st(db_,
                        "SELECT withdrawn, person_ref, from_sector, to_sectors, purpose, "
                        "valid_until FROM router_consents WHERE consent_id = ?;");
    st.bind(1, key);
    if (st.step()) {
      if (st.columnInt(0) != 0) {
        // Withdrawn; a withdrawal that overtook its grant has only the person.
        return st.columnText(1) == c.personRef ? GrantOutcome::kWithdrawnBefore
                                               : GrantOutcome::kConflict;
      }
      const bool same = st.columnText(1) == c.personRef && st.columnText(2) == c.fromSector &&
                        st.columnText(3) == joinList(c.toSectors) &&
                        st.columnText(4) == c.purpose && st.columnText(5) == c.validUntil;
      return same ? GrantOutcome::kRecorded : GrantOutcome::kConflict;
    }
  }
  store::Statement st(
      db_,
      "INSERT INTO router_consents(consent_id, person_ref, from_sector, to_sectors, "
      "purpose, valid_until, withdrawn, ended_ms) VALUES(?, ?, ?, ?, ?, ?, 0, ?);");
  // It ends after its last valid day (a day's slack for the time zone is nothing
  // beside the retention).
  const auto lastDay = parseDate(c.validUntil);
  const std::int64_t endsMs = lastDay ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                            (*lastDay + std::chrono::days(2)).time_since_epoch())
                                            .count()
                                      : 0;
  st.bind(1, key)
      .bind(2, c.personRef)
      .bind(3, c.fromSector)
      .bind(4, joinList(c.toSectors))
      .bind(5, c.purpose)
      .bind(6, c.validUntil)
      .bind(7, endsMs);
  st.run();
  return GrantOutcome::kRecorded;
}

std::optional<Consent> StoreConsentStore::withdraw(const std::string& consentId,
                                                   const std::string& personRef) {
  std::optional<Consent> known;
  {
    store::Statement st(db_,
                        "SELECT person_ref, from_sector, to_sectors, purpose, valid_until FROM "
                        "router_consents WHERE consent_id = ? AND person_ref = ?;");
    st.bind(1, consentId).bind(2, personRef);
    if (st.step() && !st.columnText(1).empty()) {
      known = Consent{consentId,
                      st.columnText(0),
                      st.columnText(1),
                      splitList(st.columnText(2)),
                      st.columnText(3),
                      st.columnText(4),
                      true};
    }
  }
  // A withdrawal that overtakes its grant is kept, so the grant is ignored when it comes.
  store::Statement st(
      db_,
      "INSERT INTO router_consents(consent_id, person_ref, from_sector, to_sectors, "
      "purpose, valid_until, withdrawn, ended_ms) VALUES(?, ?, '', '', '', '', 1, ?) "
      "ON CONFLICT(consent_id) DO UPDATE SET withdrawn = 1, ended_ms = excluded.ended_ms "
      "WHERE router_consents.person_ref = excluded.person_ref AND "
      "router_consents.withdrawn = 0;");
  st.bind(1, consentId).bind(2, personRef).bind(3, nowMs_);
  st.run();
  return known;
}

void StoreConsentStore::addPending(const PendingReferral& p) {
  store::Statement st(
      db_, std::string("INSERT INTO router_pending(") + kReferralColumns +
               ", status, queued_seq) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', "
               "(SELECT COALESCE(MAX(queued_seq), 0) + 1 FROM router_pending)) ON CONFLICT DO "
               "NOTHING;");
  bindReferral(st, 1, p);
  st.run();
}

std::vector<PendingReferral> StoreConsentStore::takePending(const Consent& c, bool stop) {
  std::vector<PendingReferral> out;
  {
    store::Statement st(db_,
                        std::string("SELECT ") + kReferralColumns +
                            " FROM router_pending WHERE person_ref = ? AND from_sector = ? AND "
                            "purpose = ? AND status = 'waiting' ORDER BY queued_seq, referral_id;");
    st.bind(1, c.personRef).bind(2, c.fromSector).bind(3, c.purpose);
    while (st.step()) {
      PendingReferral p = readReferral(st, 0);
      if (!covers(c.toSectors, p.toSector)) continue;
      out.push_back(std::move(p));
    }
  }
  store::Statement mark(
      db_,
      "UPDATE router_pending SET status = ?, consent_id = ?, ended_ms = ? WHERE referral_id = ?;");
  for (const auto& p : out) {
    mark.reset();
    mark.bind(1, stop ? "stopped" : "made").bind(2, c.id).bind(3, nowMs_).bind(4, p.referralId);
    mark.run();
  }
  return out;
}

namespace {

class MemoryConsentStore final : public ConsentStore {
 public:
  std::optional<std::string> find(const std::string& personRef, const std::string& from,
                                  const std::string& to, const std::string& purpose,
                                  const std::string& today) override {
    for (const auto& entry : consents_) {
      const Consent& c = entry.second;
      if (!c.withdrawn && c.personRef == personRef && c.fromSector == from &&
          c.purpose == purpose && c.validUntil >= today && covers(c.toSectors, to)) {
        return c.id;
      }
    }
    return std::nullopt;
  }

  GrantOutcome grant(const Consent& c) override {
    const std::string key = consentKey(c.source, c.id);
    auto it = consents_.find(key);
    if (it == consents_.end()) {
      consents_[key] = c;
      return GrantOutcome::kRecorded;
    }
    const Consent& k = it->second;
    if (k.withdrawn) {
      return k.personRef == c.personRef ? GrantOutcome::kWithdrawnBefore : GrantOutcome::kConflict;
    }
    const bool same = k.personRef == c.personRef && k.fromSector == c.fromSector &&
                      k.toSectors == c.toSectors && k.purpose == c.purpose &&
                      k.validUntil == c.validUntil;
    return same ? GrantOutcome::kRecorded : GrantOutcome::kConflict;
  }

  std::optional<Consent> withdraw(const std::string& consentId,
                                  const std::string& personRef) override {
    auto it = consents_.find(consentId);
    if (it != consents_.end() && it->second.personRef == personRef) {
      it->second.withdrawn = true;
      return it->second;
    }
    // As the store: a withdrawal that overtakes its grant is kept.
    if (it == consents_.end()) {
      Consent c;
      c.id = consentId;
      c.personRef = personRef;
      c.withdrawn = true;
      consents_[consentId] = c;
    }
    return std::nullopt;
  }

  void addPending(const PendingReferral& p) override { pending_.push_back(p); }

  std::vector<PendingReferral> takePending(const Consent& c, bool /*stop*/) override {
    std::vector<PendingReferral> out;
    auto it = pending_.begin();
    while (it != pending_.end()) {
      if (it->personRef == c.personRef && it->fromSector == c.fromSector &&
          it->purpose == c.purpose && covers(c.toSectors, it->toSector)) {
        out.push_back(*it);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

 private:
  std::map<std::string, Consent> consents_;
  std::vector<PendingReferral> pending_;
};

}  // namespace

std::unique_ptr<ConsentStore> memoryConsentStore() {
  return std::make_unique<MemoryConsentStore>();
}

}  // namespace wayhome::services::router
