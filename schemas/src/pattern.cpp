#include <bitset>
#include <map>
#include <memory>
#include <utility>

#include <wayhome/schemas/pattern.hpp>

namespace wayhome::schemas {

// Parses the subset into a small tree, then builds the position automaton from it
// (Glushkov: first, last and follow sets). A repeated subtree is built once per copy,
// so every copy gets positions of its own.
class PatternBuilder {
 public:
  explicit PatternBuilder(std::string_view text) : text_(text) {}

  std::optional<Pattern> build() {
    std::string_view body = text_;
    Pattern p;
    if (!body.empty() && body.front() == '^') {
      p.anchorBegin_ = true;
      body.remove_prefix(1);
    }
    if (!body.empty() && body.back() == '$' && !escapedAt(body, body.size() - 1)) {
      p.anchorEnd_ = true;
      body.remove_suffix(1);
    }
    text_ = body;
    at_ = 0;
    const int root = parseAlternation();
    if (root < 0 || at_ != text_.size()) return std::nullopt;
    // `^a|b$` anchors only one alternative: not in the subset.
    if ((p.anchorBegin_ || p.anchorEnd_) &&
        nodes_[static_cast<std::size_t>(root)].kind == Kind::kAlt) {
      return std::nullopt;
    }
    pattern_ = &p;
    const auto sets = glushkov(root);
    if (!sets) return std::nullopt;
    p.nullable_ = sets->nullable;
    if (!determinize(p, *sets)) return std::nullopt;
    return p;
  }

 private:
  using Class = std::bitset<256>;
  using Bits = std::array<std::uint64_t, Pattern::kMaxPositions / 64>;
  enum class Kind { kEmpty, kLeaf, kCat, kAlt, kRepeat };
  struct Node {
    Kind kind = Kind::kEmpty;
    Class cls;
    std::vector<int> children;
    int min = 0;
    int max = 0;  // -1: no upper bound
  };
  struct Sets {
    bool nullable = true;
    Bits first{};
    Bits last{};
  };

  static bool escapedAt(std::string_view s, std::size_t i) {
    std::size_t backslashes = 0;
    while (i > 0 && s[i - 1] == '\\') {
      ++backslashes;
      --i;
    }
    return backslashes % 2 == 1;
  }

  static Node leaf(const Class& cls) {
    Node n;
    n.kind = Kind::kLeaf;
    n.cls = cls;
    return n;
  }

  int add(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size() - 1);
  }
  bool more() const { return at_ < text_.size(); }
  char peek() const { return text_[at_]; }

  int parseAlternation() {
    Node alt;
    alt.kind = Kind::kAlt;
    for (;;) {
      const int branch = parseConcatenation();
      if (branch < 0) return -1;
      alt.children.push_back(branch);
      if (!more() || peek() != '|') break;
      ++at_;
    }
    return alt.children.size() == 1 ? alt.children.front() : add(std::move(alt));
  }

  int parseConcatenation() {
    Node cat;
    cat.kind = Kind::kCat;
    while (more() && peek() != '|' && peek() != ')') {
      const int atom = parseQuantified();
      if (atom < 0) return -1;
      cat.children.push_back(atom);
    }
    return add(std::move(cat));
  }

  bool parseCount(int& out) {
    if (!more() || peek() < '0' || peek() > '9') return false;
    out = 0;
    while (more() && peek() >= '0' && peek() <= '9') {
      out = out * 10 + (peek() - '0');
      if (out > static_cast<int>(Pattern::kMaxPositions)) return false;
      ++at_;
    }
    return true;
  }

  int parseQuantified() {
    const int atom = parseAtom();
    if (atom < 0 || !more()) return atom;
    Node rep;
    rep.kind = Kind::kRepeat;
    rep.children = {atom};
    switch (peek()) {
      case '*':
        rep.min = 0, rep.max = -1, ++at_;
        break;
      case '+':
        rep.min = 1, rep.max = -1, ++at_;
        break;
      case '?':
        rep.min = 0, rep.max = 1, ++at_;
        break;
      case '{': {
        ++at_;
        if (!parseCount(rep.min)) return -1;
        rep.max = rep.min;
        if (more() && peek() == ',') {
          ++at_;
          rep.max = -1;
          if (more() && peek() != '}' && (!parseCount(rep.max) || rep.max < rep.min)) return -1;
        }
        if (!more() || peek() != '}') return -1;
        ++at_;
        break;
      }
      default:
        return atom;
    }
    if (more() && peek() == '?') ++at_;  // lazy: the same yes or no
    if (more() && (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{')) return -1;
    return add(std::move(rep));
  }

  static Class digits() {
    Class c;
    for (char d = '0'; d <= '9'; ++d)
      c.set(static_cast<unsigned char>(d));
    return c;
  }

  // After a backslash: \d, \D, \n \r \t \f \v or escaped punctuation; other letters
  // and digits mean something this subset does not do.
  bool parseEscape(Class& cls, bool& single, unsigned char& ch) {
    if (!more()) return false;
    const auto c = static_cast<unsigned char>(text_[at_++]);
    single = false;
    if (c == 'd') {
      cls |= digits();
      return true;
    }
    if (c == 'D') {
      cls |= ~digits();
      return true;
    }
    // Control escapes (ECMAScript's ControlEscape): one byte each.
    for (const auto& [letter, byte] :
         {std::pair{'n', '\n'}, std::pair{'r', '\r'}, std::pair{'t', '\t'}, std::pair{'f', '\f'},
          std::pair{'v', '\v'}}) {
      if (c == static_cast<unsigned char>(letter)) {
        single = true;
        ch = static_cast<unsigned char>(byte);
        cls.set(ch);
        return true;
      }
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) {
      return false;
    }
    single = true;
    ch = c;
    cls.set(c);
    return true;
  }

  int parseClass() {
    Class cls;
    bool negate = false;
    if (more() && peek() == '^') {
      negate = true;
      ++at_;
    }
    if (more() && peek() == ']') return -1;  // [] and [^]: left to std::regex
    while (more() && peek() != ']') {
      Class item;
      bool single = true;
      auto lo = static_cast<unsigned char>(text_[at_++]);
      if (lo == '\\') {
        if (!parseEscape(item, single, lo)) return -1;
      } else if (lo == '[' || lo >= 0x80) {
        return -1;  // [:alpha:] and friends, multi-byte ranges
      } else {
        item.set(lo);
      }
      const bool rangeNext = at_ + 1 < text_.size() && peek() == '-' && text_[at_ + 1] != ']';
      if (!single && rangeNext) return -1;  // [\d-z]
      if (rangeNext) {
        ++at_;
        auto hi = static_cast<unsigned char>(text_[at_++]);
        if (hi == '\\') {
          Class ignored;
          if (!parseEscape(ignored, single, hi) || !single) return -1;
        } else if (hi == '[' || hi >= 0x80) {
          return -1;
        }
        if (hi < lo) return -1;
        for (unsigned c = lo; c <= hi; ++c)
          item.set(c);
      }
      cls |= item;
    }
    if (!more()) return -1;
    ++at_;  // ']'
    return add(leaf(negate ? ~cls : cls));
  }

  int parseAtom() {
    const auto c = static_cast<unsigned char>(text_[at_++]);
    switch (c) {
      case '(': {
        if (more() && peek() == '?') {
          if (at_ + 1 >= text_.size() || text_[at_ + 1] != ':') return -1;
          at_ += 2;
        }
        const int inner = parseAlternation();
        if (inner < 0 || !more() || peek() != ')') return -1;
        ++at_;
        return inner;
      }
      case '[':
        return parseClass();
      case '.': {
        Class any;
        any.set();
        any.reset('\n');
        any.reset('\r');
        return add(leaf(any));
      }
      case '\\': {
        Class cls;
        bool single = false;
        unsigned char ch = 0;
        if (!parseEscape(cls, single, ch)) return -1;
        return add(leaf(cls));
      }
      case '^':
      case '$':
      case ')':
      case ']':
      case '}':
      case '{':
      case '*':
      case '+':
      case '?':
        return -1;
      default: {
        Class cls;
        cls.set(c);
        return add(leaf(cls));
      }
    }
  }

  static void orInto(Bits& into, const Bits& from) {
    for (std::size_t w = 0; w < into.size(); ++w)
      into[w] |= from[w];
  }

  void linkFollow(const Bits& from, const Bits& to) {
    for (std::size_t pos = 0; pos < pattern_->positions_; ++pos) {
      if ((from[pos / 64] >> (pos % 64)) & 1U) orInto(pattern_->follow_[pos], to);
    }
  }

  static Sets concat(Sets a, const Sets& b) {
    if (a.nullable) orInto(a.first, b.first);
    Bits last = b.last;
    if (b.nullable) orInto(last, a.last);
    a.last = last;
    a.nullable = a.nullable && b.nullable;
    return a;
  }

  std::optional<Sets> sequence(const std::vector<int>& parts) {
    Sets out;
    for (const int part : parts) {
      const auto s = glushkov(part);
      if (!s) return std::nullopt;
      linkFollow(out.last, s->first);
      out = concat(out, *s);
    }
    return out;
  }

  std::optional<Sets> repeat(const Node& n) {
    Sets out;
    const int copies = n.max < 0 ? std::max(n.min, 1) : n.max;
    for (int i = 0; i < copies; ++i) {
      auto s = glushkov(n.children.front());
      if (!s) return std::nullopt;
      if (n.max < 0 && i == copies - 1) {
        linkFollow(s->last, s->first);  // the last copy loops
        if (n.min == 0) s->nullable = true;
      } else if (i >= n.min) {
        s->nullable = true;
      }
      linkFollow(out.last, s->first);
      out = concat(out, *s);
    }
    return out;
  }

  std::optional<Sets> glushkov(int index) {
    const Node& n = nodes_[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case Kind::kEmpty:
        return Sets{};
      case Kind::kLeaf: {
        const std::size_t pos = pattern_->positions_;
        if (pos >= Pattern::kMaxPositions) return std::nullopt;
        ++pattern_->positions_;
        pattern_->follow_.emplace_back();
        classes_.push_back(n.cls);
        Sets s;
        s.nullable = false;
        s.first[pos / 64] |= std::uint64_t{1} << (pos % 64);
        s.last = s.first;
        return s;
      }
      case Kind::kCat:
        return sequence(n.children);
      case Kind::kAlt: {
        Sets out;
        out.nullable = false;
        for (const int child : n.children) {
          const auto s = glushkov(child);
          if (!s) return std::nullopt;
          orInto(out.first, s->first);
          orInto(out.last, s->last);
          out.nullable = out.nullable || s->nullable;
        }
        return out;
      }
      case Kind::kRepeat:
        return repeat(n);
    }
    return std::nullopt;
  }

  // Subset construction over the position automaton. State 0 is the start (nothing
  // read); a state is the set of positions live after a byte. Without `^` every byte
  // may also start a match, so `first` joins every step.
  bool determinize(Pattern& p, const Sets& sets) {
    std::vector<Bits> accepts(256, Bits{});
    for (std::size_t pos = 0; pos < p.positions_; ++pos) {
      for (std::size_t c = 0; c < 256; ++c) {
        if (classes_[pos].test(c)) accepts[c][pos / 64] |= std::uint64_t{1} << (pos % 64);
      }
    }
    std::map<Bits, std::uint16_t> index;
    std::vector<Bits> states{Bits{}};  // the start; its set is never looked up
    const auto stateOf = [&](const Bits& set) -> int {
      auto [it, fresh] = index.try_emplace(set, static_cast<std::uint16_t>(states.size()));
      if (fresh) {
        if (states.size() >= Pattern::kMaxStates) return -1;
        states.push_back(set);
      }
      return it->second;
    };
    for (std::size_t s = 0; s < states.size(); ++s) {
      Bits reach{};
      if (s != 0) {
        for (std::size_t pos = 0; pos < p.positions_; ++pos) {
          if ((states[s][pos / 64] >> (pos % 64)) & 1U) orInto(reach, p.follow_[pos]);
        }
      }
      if (s == 0 || !p.anchorBegin_) orInto(reach, sets.first);
      for (std::size_t c = 0; c < 256; ++c) {
        Bits next{};
        for (std::size_t w = 0; w < next.size(); ++w)
          next[w] = reach[w] & accepts[c][w];
        const int to = stateOf(next);
        if (to < 0) return false;
        p.next_.push_back(static_cast<std::uint16_t>(to));
      }
    }
    for (std::size_t s = 0; s < states.size(); ++s) {
      bool accepting = false, empty = true;
      for (std::size_t w = 0; w < states[s].size(); ++w) {
        accepting = accepting || (states[s][w] & sets.last[w]) != 0;
        empty = empty && states[s][w] == 0;
      }
      p.accepting_.push_back(s != 0 && accepting ? 1 : 0);
      // Nothing live and nothing can start again: no match from here on.
      p.dead_.push_back(s != 0 && empty && p.anchorBegin_ ? 1 : 0);
    }
    p.follow_.clear();
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::vector<Node> nodes_;
  std::vector<Class> classes_;  // per position
  Pattern* pattern_ = nullptr;
};

std::optional<Pattern> Pattern::compile(std::string_view pattern) {
  return PatternBuilder(pattern).build();
}

bool Pattern::search(std::string_view text) const {
  // The empty match: at the start, or (without `^`) at the end.
  if (nullable_ && (!anchorEnd_ || !anchorBegin_ || text.empty())) return true;
  std::size_t state = 0;
  for (const char c : text) {
    state = next_[state * 256 + static_cast<unsigned char>(c)];
    if (!anchorEnd_ && accepting_[state]) return true;
    if (dead_[state]) return false;
  }
  return anchorEnd_ && accepting_[state];
}

}  // namespace wayhome::schemas
