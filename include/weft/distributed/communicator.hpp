// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::communicator, weft::mpi_error, the checked MPI calls every
// distributed algorithm goes through, and the one rule for errors in
// collective calls: every check whose outcome may differ between ranks is
// settled by all of them (detail::collective_check) before any rank acts,
// so bad input throws on every rank and leaves none waiting.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../error.hpp"

#include <mpi.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace weft {

/// An MPI call inside weft failed. Carries the call, the rank and the MPI
/// library's own error string.
class mpi_error : public error {
 public:
  mpi_error(const std::string& what, int code) : error(what), code_(code) {}
  /// The MPI error code the call returned.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// Whether calls that exchange no collective message of their own (halo
/// exchanges and the distributed stencils) first agree across ranks on
/// their arguments (radius, boundary, ...) and on the outcome of their
/// checks. Layouts are always agreed exactly when an object is built, and
/// calls that make a collective anyway (reductions, scans, gather, ...)
/// always settle their checks on it.
enum class argument_checks {
  /// An object's first such call agrees in one small MPI_Allreduce; later
  /// calls send their check to the neighbours with the halo messages, and
  /// neighbours whose checks differ exchange no data. Arguments that differ
  /// between ranks, or a check that fails on one rank, throw weft::error on
  /// that rank and its neighbours at once and on every rank at its next
  /// collective; nothing waits for a message that will not come. The
  /// default.
  agreed,
  /// The program promises that every rank passes the same arguments: no
  /// extra message. A check that fails on one rank then throws on that
  /// rank only, and the others may wait for it.
  trusted,
};

namespace detail {

inline int world_rank_or_unknown() {
  int initialized = 0, finalized = 0, rank = -1;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

/// Throws weft::mpi_error unless `code` is MPI_SUCCESS. weft's communicators
/// return errors rather than abort (MPI_ERRORS_RETURN), so this sees them.
inline void check_mpi(int code, const char* call, const char* algorithm) {
  if (code == MPI_SUCCESS) [[likely]]
    return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw mpi_error(std::string(algorithm) + ": " + call + " failed on rank " +
                      std::to_string(world_rank_or_unknown()) + ": " + std::string(text, static_cast<std::size_t>(length)),
                  code);
}

}  // namespace detail

/// weft's handle on an MPI communicator. Constructing one duplicates the
/// communicator it is given, so weft's messages never meet the user's, and
/// switches it to MPI_ERRORS_RETURN so that failures become weft::mpi_error.
/// Copies share the duplicate; the last one frees it (if MPI is still up).
///   weft::communicator comm(MPI_COMM_WORLD);
///   weft::communicator fast(MPI_COMM_WORLD, weft::argument_checks::trusted);
class communicator {
 public:
  explicit communicator(MPI_Comm comm, argument_checks checks = argument_checks::agreed)
      : communicator(comm, checks, std::make_shared<const int>(0)) {}

  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  /// The duplicated MPI communicator weft sends on.
  MPI_Comm native() const noexcept { return *comm_; }
  /// What calls without a collective of their own verify across ranks.
  argument_checks checks() const noexcept { return checks_; }

  /// Same underlying duplicate (copies of one communicator).
  friend bool operator==(const communicator& a, const communicator& b) {
    return a.comm_ == b.comm_;
  }

  /// Whether the two hold the same ranks in the same order, so that rank r
  /// of one is rank r of the other (MPI_Comm_compare: identical or
  /// congruent). Local; the same answer on every rank of both.
  friend bool congruent(const communicator& a, const communicator& b) {
    if (a.comm_ == b.comm_ || a.lineage_ == b.lineage_) return true;
    int result = MPI_UNEQUAL;
    detail::check_mpi(MPI_Comm_compare(a.native(), b.native(), &result), "MPI_Comm_compare", "weft::communicator");
    return result == MPI_IDENT || result == MPI_CONGRUENT;
  }

  /// Collective: the ranks that pass the same `color` (>= 0) in a new
  /// communicator of their own, ordered by `key` (ties by rank here), as
  /// MPI_Comm_split makes them; it keeps this one's argument checks. Every
  /// rank throws weft::error if any passed a negative color.
  ///   auto model = world.split(world.rank() / m, world.rank() % m);  // groups of m ranks
  communicator split(int color, int key) const;

  /// A duplicate of `comm` known to order its ranks as `parent` does (e.g.
  /// a Cartesian communicator made from it without reordering); it keeps
  /// the parent's argument checks.
  static communicator congruent_with(MPI_Comm comm, const communicator& parent) {
    return communicator(comm, parent.checks_, parent.lineage_);
  }

 private:
  communicator(MPI_Comm comm, argument_checks checks, std::shared_ptr<const int> lineage)
      : checks_(checks), lineage_(std::move(lineage)) {
    MPI_Comm dup = MPI_COMM_NULL;
    detail::check_mpi(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup", "weft::communicator");
    comm_ = std::shared_ptr<MPI_Comm>(new MPI_Comm(dup), [](MPI_Comm* c) {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Comm_free(c);
      delete c;
    });
    detail::check_mpi(MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler",
                      "weft::communicator");
    detail::check_mpi(MPI_Comm_rank(dup, &rank_), "MPI_Comm_rank", "weft::communicator");
    detail::check_mpi(MPI_Comm_size(dup, &size_), "MPI_Comm_size", "weft::communicator");
  }

  std::shared_ptr<MPI_Comm> comm_;
  argument_checks checks_ = argument_checks::agreed;
  // Shared by communicators known to order their ranks alike, so that the
  // common case of congruent() needs no MPI_Comm_compare.
  std::shared_ptr<const int> lineage_;
  int rank_ = 0;
  int size_ = 1;
};

namespace detail {

/// Collective, on the failure path only: every rank throws weft::error with
/// the message of rank `first`, naming the ranks that failed.
[[noreturn]] inline void fail_together(const communicator& comm, int first, int last, const std::string& mine,
                                       const char* algorithm) {
  // Rank `first` sends its message to everyone, so that every rank throws
  // the same text; the length first, then the characters.
  std::int64_t length = comm.rank() == first ? static_cast<std::int64_t>(mine.size()) : 0;
  check_mpi(MPI_Bcast(&length, 1, MPI_INT64_T, first, comm.native()), "MPI_Bcast", algorithm);
  std::string message(static_cast<std::size_t>(length), ' ');
  if (comm.rank() == first) message = mine;
  if (length > 0)
    check_mpi(MPI_Bcast(message.data(), static_cast<int>(length), MPI_CHAR, first, comm.native()), "MPI_Bcast",
              algorithm);
  message += first == last ? " [on rank " + std::to_string(first) + "]"
                           : " [on rank " + std::to_string(first) + ", and on others up to rank " +
                                 std::to_string(last) + "]";
  throw error(message);
}

/// A failure this process found in a call that talks only to its
/// neighbours (a halo exchange or stencil whose arguments differ from a
/// neighbour's): that call throws on this rank and its neighbours, and the
/// next collective this rank makes carries the failure, so that every rank
/// of it throws there, before any result is used. One per process; the
/// first is kept until a collective reports it.
class pending_failure {
 public:
  static void record(const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex());
    if (text().empty()) text() = message;
    flag().store(true);
  }
  static std::string peek() {
    if (!any()) return {};
    std::lock_guard<std::mutex> lock(mutex());
    return text();
  }
  /// Whether one is pending: every collective asks, without taking the lock.
  static bool any() { return flag().load(); }
  static void clear() {
    std::lock_guard<std::mutex> lock(mutex());
    text().clear();
    flag().store(false);
  }

 private:
  static std::atomic<bool>& flag() {
    static std::atomic<bool> f{false};
    return f;
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::string& text() {
    static std::string t;
    return t;
  }
};

/// What a collective call must settle across ranks before it acts: this
/// rank's first failed check, and values that must be equal on every rank
/// (layouts, options, arguments). settle() makes one MPI_Allreduce (MPI_MIN
/// over 64-bit words: each value and its complement, so the minimum and
/// maximum come back together) and then, on every rank alike, either
/// returns or throws weft::error: the failed check's message, sent from
/// the first rank that failed, or which value the ranks disagree on. Values
/// are compared exactly; nothing is hashed. Every rank must record the same
/// number of values.
class collective_check {
 public:
  explicit collective_check(const char* algorithm) : algorithm_(algorithm) {}

  /// Records a failed check on this rank unless `condition` holds; the
  /// message is formatted only then, and only the first one is kept.
  template <class... Parts>
  void require(bool condition, const Parts&... parts) {
    if (condition || !problem_.empty()) [[likely]]
      return;
    std::ostringstream message;
    (message << ... << parts);
    problem_ = message.str();
  }

  /// Runs f unless a check has failed already. An exception from it (an
  /// allocation that failed, a user's function on the Serial backend)
  /// becomes this rank's failed check instead of leaving the others waiting.
  template <class F>
  void attempt(F&& f) {
    if (!problem_.empty()) return;
    try {
      f();
    } catch (const error& e) {
      problem_ = e.what();
    } catch (const std::exception& e) {
      problem_ = std::string(algorithm_) + ": " + e.what();
    } catch (...) {
      problem_ = std::string(algorithm_) + ": an exception of unknown type";
    }
  }

  /// `value` must be the same on every rank.
  void same(const char* what, std::int64_t value) { add(what, -1, kind::integer, ordered(value)); }
  /// `value` must be bitwise the same on every rank.
  void same_bits(const char* what, double value) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    add(what, -1, kind::floating, bits);
  }
  /// values[k] must be the same on every rank, for every k.
  void same_each(const char* what, const std::vector<std::int64_t>& values) {
    for (std::size_t k = 0; k < values.size(); ++k) add(what, static_cast<std::int64_t>(k), kind::integer, ordered(values[k]));
  }
  /// Part `index` of a value (shown as "what [index]") must be the same on
  /// every rank: an integer, the bits of a double, or a 64-bit word of raw
  /// bytes (shown in hexadecimal).
  void same_part(const char* what, std::int64_t index, std::int64_t value) {
    add(what, index, kind::integer, ordered(value));
  }
  void same_bits_part(const char* what, std::int64_t index, double value) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    add(what, index, kind::floating, bits);
  }
  void same_word_part(const char* what, std::int64_t index, std::uint64_t word) { add(what, index, kind::word, word); }

  bool failed_here() const { return !problem_.empty(); }
  /// This rank's first failed check; failing that, a failure an earlier
  /// neighbour-only call left pending (pending_failure), which every
  /// collective settles.
  std::string problem() const { return problem_.empty() ? pending_failure::peek() : problem_; }

  /// Collective: settles the checks across comm's ranks (see the class comment).
  void settle(const communicator& comm) const {
    const std::vector<std::uint64_t> mine = words(comm);
    std::vector<std::uint64_t> least(mine.size());
    check_mpi(MPI_Allreduce(mine.data(), least.data(), static_cast<int>(mine.size()), MPI_UINT64_T, MPI_MIN,
                            comm.native()),
              "MPI_Allreduce", algorithm_);
    conclude(comm, least);
  }

  /// What settle() reduces, for collectives that carry the check in their
  /// own messages: this rank's words (whether it failed, and each value
  /// with its complement), to be combined across ranks by an element-wise
  /// minimum (any order, any tree) and handed to conclude().
  /// (`with_pending`: a failure left pending counts as this rank's; the
  /// neighbour checks of halo exchanges leave it for the next collective.)
  std::vector<std::uint64_t> words(const communicator& comm, bool with_pending = true) const {
    std::vector<std::uint64_t> out(word_count());
    write_words(comm, out.data(), with_pending);
    return out;
  }
  /// The same, into out[0, word_count()) (no allocation).
  void write_words(const communicator& comm, std::uint64_t* out, bool with_pending = true) const {
    const std::size_t n = values_.size();
    const bool ok = problem_.empty() && !(with_pending && pending_failure::any());
    out[0] = ok ? UINT64_MAX : static_cast<std::uint64_t>(comm.rank());
    out[1] = ok ? UINT64_MAX : ~static_cast<std::uint64_t>(comm.rank());
    for (std::size_t k = 0; k < n; ++k) {
      out[2 + 2 * k] = values_[k];
      out[3 + 2 * k] = ~values_[k];
    }
  }
  std::size_t word_count() const { return 2 + 2 * values_.size(); }

  /// Collective on the failure path: given every rank's words combined
  /// (element-wise minimum), returns if all is well, else throws on every
  /// rank alike, as settle() does.
  void conclude(const communicator& comm, const std::vector<std::uint64_t>& least) const {
    conclude(comm, least.data());
  }
  /// The same, given least[0, word_count()).
  void conclude(const communicator& comm, const std::uint64_t* least) const {
    const std::size_t n = values_.size();
    if (least[0] != UINT64_MAX) fail_across(comm, static_cast<int>(least[0]), static_cast<int>(~least[1]));
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint64_t low = least[2 + 2 * k], high = ~least[3 + 2 * k];
      if (low != high) fail(algorithm_, ": ranks disagree on ", describe(k), ": ", show(k, low), " on some ranks, ",
                            show(k, high), " on others; every rank must pass the same");
    }
  }

  /// Collective, on the failure path: ranks first to last failed; every
  /// rank throws rank `first`'s message (its own failure, or the one left
  /// pending), and a pending failure counts as reported.
  [[noreturn]] void fail_across(const communicator& comm, int first, int last) const {
    const std::string mine = problem();
    pending_failure::clear();
    fail_together(comm, first, last, mine, algorithm_);
  }

  /// Without communication: what conclude() would throw given the words of
  /// this rank and of some others (element-wise minimum over a common
  /// prefix: a neighbour's words), or "" if they agree and none failed.
  std::string verdict(const std::vector<std::uint64_t>& least) const {
    if (!problem_.empty()) return problem_;  // this rank's own failure says most
    if (least[0] != UINT64_MAX)
      return std::string(algorithm_) + ": rank " + std::to_string(least[0]) +
             " failed a check of this call (its own error says which)";
    const std::size_t n = std::min(values_.size(), (least.size() - 2) / 2);
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint64_t low = least[2 + 2 * k], high = ~least[3 + 2 * k];
      if (low != high)
        return std::string(algorithm_) + ": ranks disagree on " + describe(k) + ": " + show(k, low) +
               " on some ranks, " + show(k, high) + " on others; every rank must pass the same";
    }
    if (least.size() != word_count())
      return std::string(algorithm_) + ": ranks disagree on the arguments (a neighbour checked " +
             std::to_string((least.size() - 2) / 2) + " values, this rank " + std::to_string(values_.size()) + ")";
    return {};
  }

  /// Without communication (trusted arguments): throws this rank's failed
  /// check, if any.
  void settle_locally() const {
    if (!problem_.empty()) throw error(problem_);
  }

  /// settle() or settle_locally(), as comm's argument_checks say.
  void settle_arguments(const communicator& comm) const {
    if (comm.checks() == argument_checks::agreed) settle(comm);
    else settle_locally();
  }

 private:
  enum class kind { integer, floating, word };
  struct entry {
    const char* what;
    std::int64_t index;  // -1: a single value
    kind type;
  };

  // Signed values as unsigned words in the same order, so MPI_MIN over
  // words is the minimum over values, with no overflow.
  static std::uint64_t ordered(std::int64_t v) { return static_cast<std::uint64_t>(v) ^ (std::uint64_t(1) << 63); }
  static std::int64_t unordered(std::uint64_t w) { return static_cast<std::int64_t>(w ^ (std::uint64_t(1) << 63)); }

  void add(const char* what, std::int64_t index, kind type, std::uint64_t word) {
    entries_.push_back({what, index, type});
    values_.push_back(word);
  }
  std::string describe(std::size_t k) const {
    const entry& e = entries_[k];
    return e.index < 0 ? std::string(e.what) : std::string(e.what) + " [" + std::to_string(e.index) + "]";
  }
  std::string show(std::size_t k, std::uint64_t word) const {
    if (entries_[k].type == kind::integer) return std::to_string(unordered(word));
    std::ostringstream s;
    if (entries_[k].type == kind::word) {
      s << "0x" << std::hex << word;
      return s.str();
    }
    double v = 0;
    std::memcpy(&v, &word, sizeof v);
    s.precision(17);
    s << v;
    return s.str();
  }

  const char* algorithm_;
  std::string problem_;
  std::vector<entry> entries_;
  std::vector<std::uint64_t> values_;
};

/// Collective: every rank learns whether any rank failed a check, so all of
/// them throw together instead of some waiting in the next collective.
/// Every rank throws `message` of the first rank that failed.
inline void agree(const communicator& comm, bool ok, const std::string& message, const char* algorithm) {
  collective_check check(algorithm);
  check.require(ok, message);
  check.settle(comm);
}

}  // namespace detail

inline communicator communicator::split(int color, int key) const {
  detail::collective_check check("weft::communicator::split");
  check.require(color >= 0, "weft::communicator::split: color ", color, " is negative");
  check.settle(*this);
  MPI_Comm part = MPI_COMM_NULL;
  detail::check_mpi(MPI_Comm_split(native(), color, key, &part), "MPI_Comm_split", "weft::communicator::split");
  communicator result(part, checks_);
  MPI_Comm_free(&part);
  return result;
}

}  // namespace weft
