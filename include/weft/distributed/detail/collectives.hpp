// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft's own collectives for partial results: folds and exclusive scans over
// the ranks whose bracketing weft fixes, so that
//   - every rank ends with the same bits, whatever MPI library runs them,
//     and the same bits from one run to the next;
//   - an associative operation need not commute: a lower rank's part is
//     always on the left;
//   - each rank sends and receives O(log P) messages, and the bytes it
//     receives do not grow with P beyond that (below).
// They carry a collective_check in the same messages (each rank's failure
// and the values every rank must pass alike, combined by an element-wise
// minimum on the way), so a failure on one rank throws on every rank before
// anyone uses a result.
//
// Two schedules, by the size of one message:
//   - small (up to 1 KiB, or at most 4 ranks): recursive doubling. log2 P
//     exchanges; every rank combines the same two values at each step, so
//     all end with the same bits. A rank count that is not a power of two
//     first folds ranks 2i and 2i+1 (i < P - 2^k) into one, and hands the
//     result back at the end: two messages more.
//   - large: an in-order binary tree over the ranks (the root is the middle
//     rank, its left subtree the lower ranks). Up the tree each node
//     combines (left subtree, itself, right subtree); down the tree the root's
//     total (and, for scans, each subtree's prefix) comes back. At most three
//     messages in each direction per rank and 2 log2 P rounds: a rank
//     receives at most three times the message, at any P.

#include "../communicator.hpp"
#include "../../detail/reproducible.hpp"
#include "mpi.hpp"

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft::detail {

/// The tag of weft's collective messages (halo exchanges use 0x7ef7 and
/// redistribute 0x7ef8 on the same communicators).
inline constexpr int ordered_tag = 0x7ef9;

/// Above this many bytes per message (and at more than 4 ranks), the tree.
inline constexpr std::size_t ordered_small_bytes = 1024;

/// One message of an ordered collective: a collective_check's words, then
/// one optional value, as bytes.
template <class T>
class ordered_message {
  static_assert(std::is_trivially_copyable_v<T>,
                "weft: distributed reductions exchange partial results as bytes; the value type must be trivially "
                "copyable.");

 public:
  ordered_message() = default;
  ordered_message(std::vector<std::uint64_t> words, const optional_value<T>& value)
      : words_(std::move(words)), value_(value) {}

  std::size_t bytes() const { return words_.size() * sizeof(std::uint64_t) + sizeof(std::uint64_t) + sizeof(T); }
  void to(std::vector<unsigned char>& out) const {
    out.resize(bytes());
    unsigned char* at = out.data();
    std::memcpy(at, words_.data(), words_.size() * sizeof(std::uint64_t));
    at += words_.size() * sizeof(std::uint64_t);
    const std::uint64_t valid = value_.valid ? 1 : 0;
    std::memcpy(at, &valid, sizeof valid);
    std::memcpy(at + sizeof valid, &value_.value, sizeof(T));
  }
  static ordered_message from(const std::vector<unsigned char>& in, std::size_t words) {
    ordered_message m;
    m.words_.resize(words);
    const unsigned char* at = in.data();
    std::memcpy(m.words_.data(), at, words * sizeof(std::uint64_t));
    at += words * sizeof(std::uint64_t);
    std::uint64_t valid = 0;
    std::memcpy(&valid, at, sizeof valid);
    std::memcpy(static_cast<void*>(&m.value_.value), at + sizeof valid, sizeof(T));
    m.value_.valid = valid != 0;
    return m;
  }

  /// left then right: the check words by minimum, the values by op (an
  /// empty side contributes nothing).
  template <class Op>
  static ordered_message combine(const ordered_message& left, const ordered_message& right, Op& op) {
    ordered_message m;
    m.words_.resize(left.words_.size());
    for (std::size_t k = 0; k < m.words_.size(); ++k)
      m.words_[k] = left.words_[k] < right.words_[k] ? left.words_[k] : right.words_[k];
    if (!left.value_.valid)
      m.value_ = right.value_;
    else if (!right.value_.valid)
      m.value_ = left.value_;
    else
      m.value_ = optional_value<T>{T(op(left.value_.value, right.value_.value)), true};
    return m;
  }

  const std::vector<std::uint64_t>& words() const { return words_; }
  const optional_value<T>& value() const { return value_; }

 private:
  std::vector<std::uint64_t> words_;
  optional_value<T> value_{T{}, false};
};

/// Point-to-point pieces of the schedules, on weft's tag.
template <class T>
void ordered_send(const communicator& comm, int peer, const ordered_message<T>& m, const char* algorithm) {
  std::vector<unsigned char> out;
  m.to(out);
  check_mpi(MPI_Send(out.data(), static_cast<int>(out.size()), MPI_BYTE, peer, ordered_tag, comm.native()), "MPI_Send",
            algorithm);
}
template <class T>
ordered_message<T> ordered_recv(const communicator& comm, int peer, std::size_t words, const char* algorithm) {
  std::vector<unsigned char> in(ordered_message<T>().bytes() + words * sizeof(std::uint64_t));
  check_mpi(
      MPI_Recv(in.data(), static_cast<int>(in.size()), MPI_BYTE, peer, ordered_tag, comm.native(), MPI_STATUS_IGNORE),
      "MPI_Recv", algorithm);
  return ordered_message<T>::from(in, words);
}
template <class T>
ordered_message<T> ordered_exchange(const communicator& comm, int peer, const ordered_message<T>& m, std::size_t words,
                                    const char* algorithm) {
  std::vector<unsigned char> out, in;
  m.to(out);
  in.resize(out.size());
  check_mpi(MPI_Sendrecv(out.data(), static_cast<int>(out.size()), MPI_BYTE, peer, ordered_tag, in.data(),
                         static_cast<int>(in.size()), MPI_BYTE, peer, ordered_tag, comm.native(), MPI_STATUS_IGNORE),
            "MPI_Sendrecv", algorithm);
  return ordered_message<T>::from(in, words);
}

/// The recursive-doubling schedule's view of the ranks: P' = the largest
/// power of two <= P, and rem = P - P' pairs (2i, 2i+1) folded into one.
struct doubling_ranks {
  int size, rank, base, rem;
  doubling_ranks(int size_, int rank_) : size(size_), rank(rank_) {
    base = 1;
    while (base * 2 <= size) base *= 2;
    rem = size - base;
  }
  /// This rank's virtual rank, or -1 for an even rank of a folded pair.
  int virtual_rank() const {
    if (rank < 2 * rem) return rank % 2 ? rank / 2 : -1;
    return rank - rem;
  }
  int real_rank(int v) const { return v < rem ? 2 * v + 1 : v + rem; }
};

/// The in-order binary tree over ranks [0, P): the node of [lo, hi) is the
/// middle rank, its children those of [lo, mid) and [mid + 1, hi).
struct tree_ranks {
  int parent = -1, left = -1, right = -1;
  tree_ranks(int size, int rank) {
    int lo = 0, hi = size, up = -1;
    while (true) {
      const int mid = lo + (hi - lo) / 2;
      if (mid == rank) {
        parent = up;
        if (lo < mid) left = lo + (mid - lo) / 2;
        if (mid + 1 < hi) right = mid + 1 + (hi - mid - 1) / 2;
        return;
      }
      up = mid;
      if (rank < mid)
        hi = mid;
      else
        lo = mid + 1;
    }
  }
};

inline bool ordered_use_tree(const communicator& comm, std::size_t message_bytes) {
  return comm.size() > 4 && message_bytes > ordered_small_bytes;
}

/// Collective: the fold of every rank's part in rank order (op(part_0,
/// part_1, ...), empty parts skipped), the same bits on every rank; settles
/// `check` on the same messages: throws on every rank if any rank failed or
/// the ranks recorded different values.
template <class T, class Op>
optional_value<T> ordered_all_fold(const communicator& comm, const collective_check& check,
                                   const optional_value<T>& mine, Op op, const char* algorithm) {
  const std::size_t words = check.word_count();
  ordered_message<T> acc(check.words(comm), mine);
  if (comm.size() > 1) {
    if (!ordered_use_tree(comm, acc.bytes())) {
      const doubling_ranks d(comm.size(), comm.rank());
      const int v = d.virtual_rank();
      if (comm.rank() < 2 * d.rem) {  // fold the pair (2i, 2i+1) into 2i+1
        if (v < 0)
          ordered_send(comm, comm.rank() + 1, acc, algorithm);
        else
          acc = ordered_message<T>::combine(ordered_recv<T>(comm, comm.rank() - 1, words, algorithm), acc, op);
      }
      if (v >= 0) {
        for (int step = 1; step < d.base; step *= 2) {
          const int partner = v ^ step;
          const auto theirs = ordered_exchange(comm, d.real_rank(partner), acc, words, algorithm);
          acc =
              partner < v ? ordered_message<T>::combine(theirs, acc, op) : ordered_message<T>::combine(acc, theirs, op);
        }
      }
      if (comm.rank() < 2 * d.rem) {  // the result back to 2i
        if (v < 0)
          acc = ordered_recv<T>(comm, comm.rank() + 1, words, algorithm);
        else
          ordered_send(comm, comm.rank() - 1, acc, algorithm);
      }
    } else {
      const tree_ranks t(comm.size(), comm.rank());
      if (t.left >= 0) acc = ordered_message<T>::combine(ordered_recv<T>(comm, t.left, words, algorithm), acc, op);
      if (t.right >= 0) acc = ordered_message<T>::combine(acc, ordered_recv<T>(comm, t.right, words, algorithm), op);
      if (t.parent >= 0) {
        ordered_send(comm, t.parent, acc, algorithm);
        acc = ordered_recv<T>(comm, t.parent, words, algorithm);
      }
      if (t.left >= 0) ordered_send(comm, t.left, acc, algorithm);
      if (t.right >= 0) ordered_send(comm, t.right, acc, algorithm);
    }
  }
  check.conclude(comm, acc.words());
  return acc.value();
}

/// What an ordered exclusive scan gives each rank.
template <class T>
struct ordered_scan_result {
  optional_value<T> before;  // the fold of every lower rank's part (empty on rank 0, or if all were empty)
  optional_value<T> total;   // the fold of every rank's part, the same bits on every rank
};

/// Which ranks an exclusive scan folds: the lower ones (a prefix) or the
/// higher ones (a suffix, still folded in rank order).
enum class scan_direction { forward, backward };

/// Collective: each rank's exclusive prefix (the fold of the lower ranks'
/// parts, in rank order) and the total, settling `check` as
/// ordered_all_fold does; backward, the fold of the higher ranks' parts.
/// Each rank's prefix is the same bits from run to run; the total the same
/// bits on every rank (for one direction).
template <class T, class Op>
ordered_scan_result<T> ordered_exclusive_scan(const communicator& comm, const collective_check& check,
                                              const optional_value<T>& mine, Op user_op, const char* algorithm,
                                              scan_direction direction = scan_direction::forward) {
  // The schedule runs on positions: ranks in order, or in reverse order
  // with the operation's arguments swapped, so that a backward scan's
  // folds stay in rank order.
  const bool backward = direction == scan_direction::backward;
  const int size = comm.size(), position = backward ? size - 1 - comm.rank() : comm.rank();
  auto rank_at = [&](int p) { return backward ? size - 1 - p : p; };
  auto op = [&](const T& left, const T& right) { return backward ? T(user_op(right, left)) : T(user_op(left, right)); };
  const std::size_t words = check.word_count();
  const ordered_message<T> own(check.words(comm), mine);
  const ordered_message<T> nothing(std::vector<std::uint64_t>(words, UINT64_MAX), optional_value<T>{T{}, false});
  ordered_message<T> before = nothing, total = own;
  if (comm.size() > 1) {
    if (!ordered_use_tree(comm, own.bytes())) {
      // Recursive doubling: `total` is the group's fold (the same bits on
      // every rank of the group), `before` the fold of the group's ranks
      // below this one.
      const doubling_ranks d(size, position);
      const int v = d.virtual_rank();
      ordered_message<T> even = nothing;  // on rank 2i+1 of a folded pair: rank 2i's part
      if (position < 2 * d.rem) {
        if (v < 0) {
          ordered_send(comm, rank_at(position + 1), own, algorithm);
        } else {
          even = ordered_recv<T>(comm, rank_at(position - 1), words, algorithm);
          total = ordered_message<T>::combine(even, own, op);
        }
      }
      if (v >= 0) {
        for (int step = 1; step < d.base; step *= 2) {
          const int partner = v ^ step;
          const auto theirs = ordered_exchange(comm, rank_at(d.real_rank(partner)), total, words, algorithm);
          if (partner < v) {
            before = ordered_message<T>::combine(theirs, before, op);
            total = ordered_message<T>::combine(theirs, total, op);
          } else {
            total = ordered_message<T>::combine(total, theirs, op);
          }
        }
      }
      if (position < 2 * d.rem) {
        // Rank 2i+1 holds the prefix before the pair: rank 2i's prefix; its
        // own is that and rank 2i's part.
        if (v < 0) {
          before = ordered_recv<T>(comm, rank_at(position + 1), words, algorithm);
          total = ordered_recv<T>(comm, rank_at(position + 1), words, algorithm);
        } else {
          ordered_send(comm, rank_at(position - 1), before, algorithm);
          ordered_send(comm, rank_at(position - 1), total, algorithm);
          before = ordered_message<T>::combine(before, even, op);
        }
      }
    } else {
      // Up the tree: each subtree's fold; down: the prefix before it.
      const tree_ranks t(size, position);
      ordered_message<T> left = nothing, right = nothing;
      if (t.left >= 0) left = ordered_recv<T>(comm, rank_at(t.left), words, algorithm);
      if (t.right >= 0) right = ordered_recv<T>(comm, rank_at(t.right), words, algorithm);
      const auto subtree = ordered_message<T>::combine(ordered_message<T>::combine(left, own, op), right, op);
      ordered_message<T> above = nothing;  // the fold of every rank before this subtree
      if (t.parent >= 0) {
        ordered_send(comm, rank_at(t.parent), subtree, algorithm);
        above = ordered_recv<T>(comm, rank_at(t.parent), words, algorithm);
        total = ordered_recv<T>(comm, rank_at(t.parent), words, algorithm);
      } else {
        total = subtree;
      }
      before = ordered_message<T>::combine(above, left, op);
      if (t.left >= 0) {
        ordered_send(comm, rank_at(t.left), above, algorithm);
        ordered_send(comm, rank_at(t.left), total, algorithm);
      }
      if (t.right >= 0) {
        ordered_send(comm, rank_at(t.right), ordered_message<T>::combine(before, own, op), algorithm);
        ordered_send(comm, rank_at(t.right), total, algorithm);
      }
    }
  }
  check.conclude(comm, total.words());
  return {before.value(), total.value()};
}

/// Collective, on host memory: data[i] becomes op(part_0[i], part_1[i],
/// ..., part_{P-1}[i]) on every rank, folded in rank order, for every i <
/// n: the same bits on every rank. Rabenseifner's scheme with a bracketing
/// weft fixes: a reduce-scatter that pairs ranks at distance 1, 2, 4, ...
/// (so each step joins two contiguous groups of ranks, the lower one on
/// the left), then an all-gather back in the reverse order; a rank count
/// that is not a power of two first folds ranks 2i and 2i+1, as
/// ordered_all_fold does. 2 log2 P + 2 messages per rank and about 2n
/// elements received, at any P. Every rank must pass the same n (callers
/// settle it first); `failed` records an exception from op on this rank
/// (the caller settles it after), and the schedule runs on regardless.
template <class T, class Op>
void ordered_all_reduce_elements(const communicator& comm, T* data, std::int64_t n, Op& op, std::string& failed,
                                 const char* algorithm) {
  if (comm.size() == 1 || n == 0) return;
  mpi_element_type<T> type(algorithm);
  std::vector<T> received(static_cast<std::size_t>(n));
  auto exchange = [&](int peer, std::int64_t send_at, std::int64_t send_count, std::int64_t recv_count) {
    check_mpi(
        MPI_Sendrecv(data + send_at, static_cast<int>(send_count), type.get(), peer, ordered_tag, received.data(),
                     static_cast<int>(recv_count), type.get(), peer, ordered_tag, comm.native(), MPI_STATUS_IGNORE),
        "MPI_Sendrecv", algorithm);
  };
  // data[at + i] = received[i] joined with it, the received part on the left or not.
  auto join = [&](std::int64_t at, std::int64_t count, bool received_left) {
    if (!failed.empty()) return;
    try {
      for (std::int64_t i = 0; i < count; ++i) {
        T& mine = data[at + i];
        const T& theirs = received[static_cast<std::size_t>(i)];
        mine = received_left ? T(op(theirs, mine)) : T(op(mine, theirs));
      }
    } catch (const std::exception& e) {
      failed = std::string(algorithm) + ": " + e.what();
    } catch (...) {
      failed = std::string(algorithm) + ": an exception of unknown type";
    }
  };
  const doubling_ranks d(comm.size(), comm.rank());
  const int v = d.virtual_rank(), me = comm.rank();
  if (me < 2 * d.rem) {  // fold the pair (2i, 2i+1) into 2i+1
    if (v < 0) {
      check_mpi(MPI_Send(data, static_cast<int>(n), type.get(), me + 1, ordered_tag, comm.native()), "MPI_Send",
                algorithm);
    } else {
      check_mpi(MPI_Recv(received.data(), static_cast<int>(n), type.get(), me - 1, ordered_tag, comm.native(),
                         MPI_STATUS_IGNORE),
                "MPI_Recv", algorithm);
      join(0, n, true);
    }
  }
  if (v >= 0) {
    // Reduce-scatter: [lo, hi) is the part of the vector this rank folds
    // for its group; partners share it, and split it alike.
    std::vector<std::pair<std::int64_t, std::int64_t>> kept;  // [lo, hi) before each step, for the way back
    std::int64_t lo = 0, hi = n;
    for (int step = 1; step < d.base; step *= 2) {
      kept.emplace_back(lo, hi);
      const int partner = v ^ step;
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (v < partner) {  // keep [lo, mid), the lower group's side
        exchange(d.real_rank(partner), mid, hi - mid, mid - lo);
        join(lo, mid - lo, false);
        hi = mid;
      } else {
        exchange(d.real_rank(partner), lo, mid - lo, hi - mid);
        join(mid, hi - mid, true);
        lo = mid;
      }
    }
    // All-gather: back through the steps, each rank sends the part it
    // folded and receives its partner's.
    for (int step = d.base / 2; step >= 1; step /= 2) {
      const auto [outer_lo, outer_hi] = kept.back();
      kept.pop_back();
      const int partner = v ^ step;
      const std::int64_t mid = outer_lo + (outer_hi - outer_lo) / 2;
      const std::int64_t other_lo = v < partner ? mid : outer_lo, other_hi = v < partner ? outer_hi : mid;
      check_mpi(MPI_Sendrecv(data + lo, static_cast<int>(hi - lo), type.get(), d.real_rank(partner), ordered_tag,
                             data + other_lo, static_cast<int>(other_hi - other_lo), type.get(), d.real_rank(partner),
                             ordered_tag, comm.native(), MPI_STATUS_IGNORE),
                "MPI_Sendrecv", algorithm);
      lo = outer_lo;
      hi = outer_hi;
    }
  }
  if (me < 2 * d.rem) {  // the result back to 2i
    if (v < 0)
      check_mpi(MPI_Recv(data, static_cast<int>(n), type.get(), me + 1, ordered_tag, comm.native(), MPI_STATUS_IGNORE),
                "MPI_Recv", algorithm);
    else
      check_mpi(MPI_Send(data, static_cast<int>(n), type.get(), me - 1, ordered_tag, comm.native()), "MPI_Send",
                algorithm);
  }
}

/// Records in `check` the initial value every rank must pass alike:
/// arithmetic values bitwise (record_same_value), a reproducible sum's
/// accumulator word by word; other types are not compared (their bytes may
/// hold padding). Always the same number of values, given or not.
template <class T>
void record_init(collective_check& check, const optional_value<T>& init) {
  check.same("whether an initial value is given", init.valid ? 1 : 0);
  if constexpr (std::is_same_v<T, repro_sum>) {
    std::uint64_t words[sizeof(repro_sum) / sizeof(std::uint64_t)];
    std::memcpy(words, &init.value, sizeof words);
    for (std::size_t k = 0; k < sizeof words / sizeof(std::uint64_t); ++k)
      check.same_word_part("the initial value (an exact accumulator)", static_cast<std::int64_t>(k), words[k]);
  } else {
    record_same_value(check, "the initial value", init.value);
  }
}

}  // namespace weft::detail
