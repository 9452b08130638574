// Backups, checks and copies of a whole store: what `wayhome state` does.

#include <algorithm>

#include <wayhome/store/state_store.hpp>

#include "backend.hpp"

namespace wayhome::store {
namespace {

// The store's own bookkeeping a copy does not carry: the target's migrations recorded
// them already, and leases belong to the instances of the old store.
bool bookkeeping(const std::string& table) {
  return table == "schema_migrations" || table == "leases";
}

std::string ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::vector<std::string> tablesIn(Connection& db) {
  Statement st(db, db.dialect() == Dialect::sqlite
                       ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                         "'sqlite_%' ORDER BY name;"
                       : "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                         "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name;");
  std::vector<std::string> out;
  while (st.step())
    out.push_back(st.columnText(0));
  return out;
}

enum class Kind { integer, text, bytes };
struct Column {
  std::string name;
  Kind kind;
};

Kind kindOf(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (type.find("int") != std::string::npos) return Kind::integer;
  if (type == "blob" || type == "bytea") return Kind::bytes;
  return Kind::text;
}

std::vector<Column> columnsOf(Connection& db, const std::string& table) {
  std::vector<Column> out;
  if (db.dialect() == Dialect::sqlite) {
    Statement st(db, "SELECT name, type FROM pragma_table_info(?) ORDER BY cid;");
    st.bind(1, table);
    while (st.step())
      out.push_back({st.columnText(0), kindOf(st.columnText(1))});
  } else {
    Statement st(db,
                 "SELECT column_name, data_type FROM information_schema.columns WHERE "
                 "table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position;");
    st.bind(1, table);
    while (st.step())
      out.push_back({st.columnText(0), kindOf(st.columnText(1))});
  }
  return out;
}

// Copies one table's rows; the target's column types decide how each value is bound.
std::int64_t copyTable(Connection& from, Connection& to, const std::string& table) {
  const auto source = columnsOf(from, table);
  const auto target = columnsOf(to, table);
  if (target.empty()) throw StateError("the target has no table " + table);
  std::vector<Column> cols;
  for (const auto& c : source) {
    auto it = std::find_if(target.begin(), target.end(),
                           [&](const Column& t) { return t.name == c.name; });
    if (it == target.end()) {
      throw StateError("the target's table " + table + " has no column " + c.name);
    }
    cols.push_back(*it);
  }
  Statement any(to, "SELECT 1 FROM " + ident(table) + " LIMIT 1;");
  if (any.step()) throw StateError("the target's table " + table + " is not empty");
  std::string names;
  std::string marks;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    names += (i == 0 ? "" : ", ") + ident(cols[i].name);
    marks += (i == 0 ? "?" : ", ?");
  }
  Statement read(from, "SELECT " + names + " FROM " + ident(table) + ";");
  Statement write(to, "INSERT INTO " + ident(table) + "(" + names + ") VALUES(" + marks + ");");
  std::int64_t rows = 0;
  while (read.step()) {
    write.reset();
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const int c = static_cast<int>(i);
      if (read.columnIsNull(c)) {
        write.bindNull(c + 1);
      } else if (cols[i].kind == Kind::integer) {
        write.bind(c + 1, read.columnInt(c));
      } else if (cols[i].kind == Kind::bytes) {
        write.bindBlob(c + 1, read.columnText(c));
      } else {
        write.bind(c + 1, std::string_view(read.columnText(c)));
      }
    }
    write.run();
    ++rows;
  }
  return rows;
}

// PostgreSQL's identity columns (outbox.seq, delivery_queue.seq) hand out values past
// the rows copied into them, not from 1 again.
void resetIdentities(Connection& to) {
  Statement ids(to,
                "SELECT table_name, column_name FROM information_schema.columns WHERE "
                "table_schema = current_schema() AND is_identity = 'YES';");
  std::vector<std::pair<std::string, std::string>> all;
  while (ids.step())
    all.emplace_back(ids.columnText(0), ids.columnText(1));
  for (const auto& [table, column] : all) {
    Statement st(to, "SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(" +
                         ident(column) + ") FROM " + ident(table) + "), 0) + 1, false);");
    st.bind(1, ident(table)).bind(2, std::string_view(column));
    st.step();
  }
}

}  // namespace

std::size_t StateStore::prune(std::int64_t beforeMs, std::size_t batch) {
  std::vector<Retention> all;
  {
    std::lock_guard lock(retentionMutex_);
    all = retention_;
  }
  std::size_t total = 0;
  for (const auto& r : all) {
    const std::string table(r.table);
    const std::string key(r.key);
    std::string where = std::string(r.timeColumn) + " < ?1";
    if (!r.condition.empty()) where += " AND (" + std::string(r.condition) + ")";
    const std::string sql = "DELETE FROM " + table + " WHERE (" + key + ") IN (SELECT " + key +
                            " FROM " + table + " WHERE " + where + " LIMIT ?2);";
    while (true) {
      std::int64_t n = 0;
      transaction([&](Connection& db) {
        Statement st(db, sql);
        st.bind(1, beforeMs).bind(2, static_cast<std::int64_t>(batch));
        n = st.run();
      });
      total += static_cast<std::size_t>(n);
      if (n < static_cast<std::int64_t>(batch)) break;
    }
  }
  return total;
}

void StateStore::backupTo(const std::filesystem::path& file) {
  backend_->backupTo(file);
}

std::vector<std::string> StateStore::integrityProblems() {
  std::vector<std::string> out;
  if (dialect() != Dialect::sqlite) {
    if (!healthy()) out.emplace_back("the database does not answer");
    return out;
  }
  transaction([&](Connection& db) {
    Statement st(db, "PRAGMA integrity_check;");
    while (st.step()) {
      if (auto line = st.columnText(0); line != "ok") out.push_back(std::move(line));
    }
  });
  return out;
}

std::vector<std::pair<std::string, int>> StateStore::moduleVersions() {
  std::vector<std::pair<std::string, int>> out;
  transaction([&](Connection& db) {
    Statement st(db,
                 "SELECT module, MAX(version) FROM schema_migrations GROUP BY module "
                 "ORDER BY module;");
    while (st.step())
      out.emplace_back(st.columnText(0), static_cast<int>(st.columnInt(1)));
  });
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> StateStore::copyTo(StateStore& target) {
  std::vector<std::pair<std::string, std::int64_t>> copied;
  target.transaction([&](Connection& to) {
    transaction([&](Connection& from) {
      for (const auto& table : tablesIn(from)) {
        if (bookkeeping(table)) continue;
        copied.emplace_back(table, copyTable(from, to, table));
      }
    });
    if (to.dialect() == Dialect::postgres) resetIdentities(to);
  });
  return copied;
}

}  // namespace wayhome::store
