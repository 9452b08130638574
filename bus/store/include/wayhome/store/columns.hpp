#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <wayhome/store/state_store.hpp>

namespace wayhome::store {

namespace detail {
inline void readColumn(const Statement& st, int index, std::string& out) {
  out = st.columnText(index);
}
inline void readColumn(const Statement& st, int index, std::int64_t& out) {
  out = st.columnInt(index);
}
inline void readColumn(const Statement& st, int index, std::optional<std::int64_t>& out) {
  out = st.columnIsNull(index) ? std::nullopt : std::optional(st.columnInt(index));
}
}  // namespace detail

/// Reads the columns of the current row from `first` on into `out...`, one an argument,
/// in order: a std::string as text, a std::int64_t as a number, a
/// std::optional<std::int64_t> empty for NULL. A row read into a struct is one call,
/// not a line a column with its index.
template <typename... T>
void readColumns(const Statement& st, int first, T&... out) {
  int index = first;
  (detail::readColumn(st, index++, out), ...);
}

}  // namespace wayhome::store
