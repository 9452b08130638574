#include <wayhome/plania/seen_store.hpp>

#include "plania_sql.hpp"  // generated from sql/plania.sql: kPlaniaTables

namespace wayhome::connectors::plania {

// The tables this module owns (docs/ARCHITECTURE.md: each module migrates its own).
const store::ModuleSchema& planiaSchema() {
  static const auto kSchema = store::parseModuleSchema("plania", kPlaniaTables);
  return kSchema;
}

SeenStore::SeenStore(store::StateStore& store, std::string instance)
    : store_(store), instance_(std::move(instance)) {
  store_.migrate(planiaSchema());
}

std::optional<std::string> SeenStore::watermark(Entity entity) {
  std::optional<std::string> out;
  store_.transaction([&](store::Connection& db) {
    store::Statement st(db,
                        "SELECT updated FROM plania_watermark WHERE instance = ? AND entity = ?;");
    st.bind(1, instance_).bind(2, entityName(entity));
    if (st.step()) out = st.columnText(0);
  });
  return out;
}

std::optional<std::string> SeenStore::seen(Entity entity, const std::string& id) {
  std::optional<std::string> out;
  store_.transaction([&](store::Connection& db) {
    store::Statement st(db,
                        "SELECT state_json FROM plania_seen "
                        "WHERE instance = ? AND entity = ? AND record_id = ?;");
    st.bind(1, instance_).bind(2, entityName(entity)).bind(3, id);
    if (st.step()) out = st.columnText(0);
  });
  return out;
}

std::optional<SeenStore::SeenContract> SeenStore::tenancyOn(const std::string& areaId) {
  std::optional<SeenContract> out;
  store_.transaction([&](store::Connection& db) {
    // The expression matches index plania_seen_area.
    const bool pg = db.dialect() == store::Dialect::postgres;
    auto field = [&](std::string_view name) {
      return pg ? "(state_json::jsonb ->> '" + std::string(name) + "')"
                : "json_extract(state_json, '$." + std::string(name) + "')";
    };
    store::Statement st(db,
                        "SELECT record_id, state_json FROM plania_seen "
                        "WHERE instance = ? AND entity = 'contract' AND " +
                            field("areaId") + " = ? AND " + field("startDate") +
                            " IS NOT NULL AND " + field("endDate") + " IS NULL AND " +
                            field("status") + " <> 'TERMINATED' ORDER BY " + field("startDate") +
                            " DESC, record_id DESC LIMIT 1;");
    st.bind(1, instance_).bind(2, areaId);
    if (st.step()) out = SeenContract{st.columnText(0), st.columnText(1)};
  });
  return out;
}

void SeenStore::keepWaitingList(store::Connection& db, const std::vector<Row>& rows) {
  store::Statement add(db,
                       "INSERT INTO plania_waiting_list(instance, application_id, approved_date) "
                       "VALUES(?, ?, ?) ON CONFLICT(instance, application_id) DO UPDATE SET "
                       "approved_date = excluded.approved_date;");
  store::Statement remove(
      db, "DELETE FROM plania_waiting_list WHERE instance = ? AND application_id = ?;");
  for (const auto& row : rows) {
    auto c = parseContract(row.stateJson);
    if (c && onWaitingList(c.value())) {
      add.reset();
      add.bind(1, instance_).bind(2, row.id).bind(3, *c.value().approvalDate);
      add.run();
    } else {
      remove.reset();
      remove.bind(1, instance_).bind(2, row.id);
      remove.run();
    }
  }
}

std::size_t SeenStore::waitingListSize() {
  std::size_t out = 0;
  store_.transaction([&](store::Connection& db) {
    store::Statement st(db, "SELECT COUNT(*) FROM plania_waiting_list WHERE instance = ?;");
    st.bind(1, instance_);
    if (st.step()) out = static_cast<std::size_t>(st.columnInt(0));
  });
  return out;
}

void SeenStore::commit(Entity entity, const std::vector<Row>& rows,
                       const std::optional<std::string>& watermark) {
  store_.transaction([&](store::Connection& db) {
    store::Statement up(db,
                        "INSERT INTO plania_seen(instance, entity, record_id, state_json, updated) "
                        "VALUES(?, ?, ?, ?, ?) ON CONFLICT(instance, entity, record_id) DO UPDATE "
                        "SET state_json = excluded.state_json, updated = excluded.updated;");
    for (const auto& row : rows) {
      up.reset();
      up.bind(1, instance_).bind(2, entityName(entity)).bind(3, row.id).bind(4, row.stateJson);
      up.bind(5, row.updated);
      up.run();
    }
    if (entity == Entity::kContract) keepWaitingList(db, rows);
    if (watermark) {
      // Never backwards: a re-read page (the overlap) must not move the start back.
      store::Statement wm(db,
                          "INSERT INTO plania_watermark(instance, entity, updated) VALUES(?, ?, ?) "
                          "ON CONFLICT(instance, entity) DO UPDATE SET updated = excluded.updated "
                          "WHERE excluded.updated > plania_watermark.updated;");
      wm.bind(1, instance_).bind(2, entityName(entity)).bind(3, *watermark);
      wm.run();
    }
  });
}

}  // namespace wayhome::connectors::plania
