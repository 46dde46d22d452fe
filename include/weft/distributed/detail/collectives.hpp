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

#include <algorithm>
#include <array>
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

/// How a message travels. Up to ordered_most_pieces x ordered_piece_bytes
/// it goes in pieces of at most ordered_piece_bytes, posted together: MPI
/// libraries send messages that small eagerly (Open MPI's shared-memory
/// limit is 4 KiB with its header), where one message of 4 KiB and the
/// check's few words would wait for a rendezvous (2.9 against 1.2 us at 2
/// ranks, bench/README). Larger, the check words and the value go as two
/// messages, the value straight from and into its object, and MPI's
/// large-message protocol (one copy) is the faster.
inline constexpr std::size_t ordered_piece_bytes = 4032;
inline constexpr std::size_t ordered_most_pieces = 4;

/// A collective_check's words, in place up to a typical check's count (the
/// messages of a small collective allocate nothing).
class check_words {
 public:
  explicit check_words(std::size_t n) : n_(n) {
    if (n > in_place) heap_.resize(n);
  }
  std::size_t size() const { return n_; }
  std::uint64_t* data() { return n_ > in_place ? heap_.data() : local_; }
  const std::uint64_t* data() const { return n_ > in_place ? heap_.data() : local_; }

 private:
  static constexpr std::size_t in_place = 16;
  std::uint64_t local_[in_place];
  std::vector<std::uint64_t> heap_;
  std::size_t n_;
};

/// One message of an ordered collective: a collective_check's words, then
/// one optional value. As bytes: the words, a word saying whether the value
/// is there, the value.
template <class T>
class ordered_message {
  static_assert(std::is_trivially_copyable_v<T>,
                "weft: distributed reductions exchange partial results as bytes; the value type must be trivially "
                "copyable.");
  static_assert(sizeof(T) < (std::size_t{1} << 31), "weft: a reduction's value must be smaller than 2 GiB");

 public:
  /// Nothing: words that take no part in the minimum, and no value (its
  /// bytes left as they are: a large value is not cleared for nothing).
  explicit ordered_message(std::size_t words) : words_(words) {
    std::fill(words_.data(), words_.data() + words, UINT64_MAX);
    value_.valid = false;
  }
  /// This rank's part: its check's words and its value.
  ordered_message(const communicator& comm, const collective_check& check, const optional_value<T>& value)
      : words_(check.word_count()), value_(value) {
    check.write_words(comm, words_.data());
  }

  std::size_t head_bytes() const { return (words_.size() + 1) * sizeof(std::uint64_t); }
  std::size_t bytes() const { return head_bytes() + sizeof(T); }
  /// Whether it travels as one packed message, or as its head and then its
  /// value, straight from and into the object: in pieces of value_piece()
  /// bytes.
  bool packed() const { return bytes() <= ordered_piece_bytes; }
  std::size_t value_piece() const {
    return sizeof(T) <= ordered_most_pieces * ordered_piece_bytes ? ordered_piece_bytes : sizeof(T);
  }

  void pack(unsigned char* at, bool with_value) const {
    std::memcpy(at, words_.data(), words_.size() * sizeof(std::uint64_t));
    at += words_.size() * sizeof(std::uint64_t);
    const std::uint64_t valid = value_.valid ? 1 : 0;
    std::memcpy(at, &valid, sizeof valid);
    if (with_value) std::memcpy(at + sizeof valid, &value_.value, sizeof(T));
  }
  void unpack(const unsigned char* at, bool with_value) {
    std::memcpy(words_.data(), at, words_.size() * sizeof(std::uint64_t));
    at += words_.size() * sizeof(std::uint64_t);
    std::uint64_t valid = 0;
    std::memcpy(&valid, at, sizeof valid);
    if (with_value) std::memcpy(static_cast<void*>(&value_.value), at + sizeof valid, sizeof(T));
    value_.valid = valid != 0;
  }
  void* value_bytes() { return static_cast<void*>(&value_.value); }
  const void* value_bytes() const { return static_cast<const void*>(&value_.value); }

  /// Joins `theirs` into this message, on the left (theirs, this) or the
  /// right (this, theirs): the check words by minimum, the values by op (an
  /// empty side contributes nothing).
  template <class Op>
  void join_left(const ordered_message& theirs, Op& op) {
    join_words(theirs);
    if (!theirs.value_.valid) return;
    value_.value = value_.valid ? T(op(theirs.value_.value, value_.value)) : theirs.value_.value;
    value_.valid = true;
  }
  template <class Op>
  void join_right(const ordered_message& theirs, Op& op) {
    join_words(theirs);
    if (!theirs.value_.valid) return;
    value_.value = value_.valid ? T(op(value_.value, theirs.value_.value)) : theirs.value_.value;
    value_.valid = true;
  }

  const std::uint64_t* words() const { return words_.data(); }
  const optional_value<T>& value() const { return value_; }
  /// The value as a collective's result: an empty one as T{} (whatever
  /// bytes it travelled with), so that every rank returns the same bits.
  optional_value<T> result() const { return value_.valid ? value_ : optional_value<T>{T{}, false}; }

 private:
  void join_words(const ordered_message& theirs) {
    std::uint64_t* mine = words_.data();
    const std::uint64_t* other = theirs.words_.data();
    for (std::size_t k = 0; k < words_.size(); ++k) mine[k] = other[k] < mine[k] ? other[k] : mine[k];
  }

  check_words words_;
  optional_value<T> value_;
};

/// One step of a schedule: the messages it sends and receives, posted
/// together on weft's tag and finished together. Messages between two
/// ranks match in the order each side posts them (MPI's order), pieces
/// included. A message sent must stay unchanged, and one received is
/// filled, by finish().
template <class T>
class ordered_step {
 public:
  ordered_step(const communicator& comm, const char* algorithm) : comm_(comm), algorithm_(algorithm) {}
  ordered_step(const ordered_step&) = delete;
  ordered_step& operator=(const ordered_step&) = delete;

  void send(int peer, const ordered_message<T>& m) {
    const bool packed = m.packed();
    const std::size_t bytes = packed ? m.bytes() : m.head_bytes();
    unsigned char* at = next_buffer(nullptr, bytes);
    m.pack(at, packed);
    check_mpi(MPI_Isend(at, static_cast<int>(bytes), MPI_BYTE, peer, ordered_tag, comm_.native(), next_request()),
              "MPI_Isend", algorithm_);
    if (!packed) {
      const auto* value = static_cast<const unsigned char*>(m.value_bytes());
      for (std::size_t from = 0; from < sizeof(T); from += m.value_piece())
        check_mpi(MPI_Isend(value + from, piece(m, from), MPI_BYTE, peer, ordered_tag, comm_.native(), next_request()),
                  "MPI_Isend", algorithm_);
    }
  }
  void receive(int peer, ordered_message<T>& m) {
    const bool packed = m.packed();
    const std::size_t bytes = packed ? m.bytes() : m.head_bytes();
    unsigned char* at = next_buffer(&m, bytes);
    check_mpi(MPI_Irecv(at, static_cast<int>(bytes), MPI_BYTE, peer, ordered_tag, comm_.native(), next_request()),
              "MPI_Irecv", algorithm_);
    if (!packed) {
      auto* value = static_cast<unsigned char*>(m.value_bytes());
      for (std::size_t from = 0; from < sizeof(T); from += m.value_piece())
        check_mpi(MPI_Irecv(value + from, piece(m, from), MPI_BYTE, peer, ordered_tag, comm_.native(), next_request()),
                  "MPI_Irecv", algorithm_);
    }
  }

  void finish() {
    check_mpi(MPI_Waitall(static_cast<int>(requests_), requests_made_.data(), MPI_STATUSES_IGNORE), "MPI_Waitall",
              algorithm_);
    for (std::size_t k = 0; k < messages_; ++k)
      if (into_[k]) into_[k]->unpack(buffer_[k].get(), into_[k]->packed());
    requests_ = messages_ = 0;
  }

 private:
  static constexpr std::size_t most_messages = 4;

  /// A message's bytes: on the stack up to a small message's size.
  class buffer {
   public:
    unsigned char* get() { return heap_.empty() ? local_ : heap_.data(); }
    unsigned char* reserve(std::size_t bytes) {
      if (bytes > sizeof local_) heap_.resize(bytes);
      return get();
    }

   private:
    alignas(std::uint64_t) unsigned char local_[256];
    std::vector<unsigned char> heap_;
  };

  /// The buffer of the step's next message (`into`: where a received one
  /// goes at finish(), null for one sent).
  unsigned char* next_buffer(ordered_message<T>* into, std::size_t bytes) {
    if (messages_ == most_messages) fail(algorithm_, ": internal error: too many messages in one step");
    into_[messages_] = into;
    return buffer_[messages_++].reserve(bytes);
  }
  MPI_Request* next_request() {
    if (requests_ == requests_made_.size()) fail(algorithm_, ": internal error: too many message pieces in one step");
    return &requests_made_[requests_++];
  }
  static int piece(const ordered_message<T>& m, std::size_t from) {
    return static_cast<int>(std::min(m.value_piece(), sizeof(T) - from));
  }

  const communicator& comm_;
  const char* algorithm_;
  std::array<ordered_message<T>*, most_messages> into_{};
  std::array<buffer, most_messages> buffer_;
  std::array<MPI_Request, most_messages*(ordered_most_pieces + 1)> requests_made_{};
  std::size_t messages_ = 0, requests_ = 0;
};

/// The pieces of the schedules that are one message or one exchange.
template <class T>
void ordered_send(const communicator& comm, int peer, const ordered_message<T>& m, const char* algorithm) {
  ordered_step<T> step(comm, algorithm);
  step.send(peer, m);
  step.finish();
}
template <class T>
void ordered_receive(const communicator& comm, int peer, ordered_message<T>& m, const char* algorithm) {
  ordered_step<T> step(comm, algorithm);
  step.receive(peer, m);
  step.finish();
}
template <class T>
void ordered_exchange(const communicator& comm, int peer, const ordered_message<T>& out, ordered_message<T>& in,
                      const char* algorithm) {
  ordered_step<T> step(comm, algorithm);
  step.receive(peer, in);
  step.send(peer, out);
  step.finish();
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
  ordered_message<T> acc(comm, check, mine), theirs(check.word_count());
  if (comm.size() > 1) {
    if (!ordered_use_tree(comm, acc.bytes())) {
      const doubling_ranks d(comm.size(), comm.rank());
      const int v = d.virtual_rank();
      if (comm.rank() < 2 * d.rem) {  // fold the pair (2i, 2i+1) into 2i+1
        if (v < 0) {
          ordered_send(comm, comm.rank() + 1, acc, algorithm);
        } else {
          ordered_receive(comm, comm.rank() - 1, theirs, algorithm);
          acc.join_left(theirs, op);
        }
      }
      if (v >= 0) {
        for (int step = 1; step < d.base; step *= 2) {
          const int partner = v ^ step;
          ordered_exchange(comm, d.real_rank(partner), acc, theirs, algorithm);
          if (partner < v)
            acc.join_left(theirs, op);
          else
            acc.join_right(theirs, op);
        }
      }
      if (comm.rank() < 2 * d.rem) {  // the result back to 2i
        if (v < 0)
          ordered_receive(comm, comm.rank() + 1, acc, algorithm);
        else
          ordered_send(comm, comm.rank() - 1, acc, algorithm);
      }
    } else {
      const tree_ranks t(comm.size(), comm.rank());
      ordered_message<T> right(check.word_count());
      {
        ordered_step<T> up(comm, algorithm);
        if (t.left >= 0) up.receive(t.left, theirs);
        if (t.right >= 0) up.receive(t.right, right);
        up.finish();
      }
      if (t.left >= 0) acc.join_left(theirs, op);
      if (t.right >= 0) acc.join_right(right, op);
      if (t.parent >= 0) {
        ordered_send(comm, t.parent, acc, algorithm);
        ordered_receive(comm, t.parent, acc, algorithm);
      }
      ordered_step<T> down(comm, algorithm);
      if (t.left >= 0) down.send(t.left, acc);
      if (t.right >= 0) down.send(t.right, acc);
      down.finish();
    }
  }
  check.conclude(comm, acc.words());
  return acc.result();
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
  const ordered_message<T> own(comm, check, mine);
  ordered_message<T> before(words), total = own;
  if (comm.size() > 1) {
    if (!ordered_use_tree(comm, own.bytes())) {
      // Recursive doubling: `total` is the group's fold (the same bits on
      // every rank of the group), `before` the fold of the group's ranks
      // below this one.
      const doubling_ranks d(size, position);
      const int v = d.virtual_rank();
      ordered_message<T> even(words);  // on rank 2i+1 of a folded pair: rank 2i's part
      if (position < 2 * d.rem) {
        if (v < 0) {
          ordered_send(comm, rank_at(position + 1), own, algorithm);
        } else {
          ordered_receive(comm, rank_at(position - 1), even, algorithm);
          total.join_left(even, op);
        }
      }
      if (v >= 0) {
        ordered_message<T> theirs(words);
        for (int step = 1; step < d.base; step *= 2) {
          const int partner = v ^ step;
          ordered_exchange(comm, rank_at(d.real_rank(partner)), total, theirs, algorithm);
          if (partner < v) {
            before.join_left(theirs, op);
            total.join_left(theirs, op);
          } else {
            total.join_right(theirs, op);
          }
        }
      }
      if (position < 2 * d.rem) {
        // Rank 2i+1 holds the prefix before the pair: rank 2i's prefix; its
        // own is that and rank 2i's part.
        ordered_step<T> back(comm, algorithm);
        if (v < 0) {
          back.receive(rank_at(position + 1), before);
          back.receive(rank_at(position + 1), total);
          back.finish();
        } else {
          back.send(rank_at(position - 1), before);
          back.send(rank_at(position - 1), total);
          back.finish();
          before.join_right(even, op);
        }
      }
    } else {
      // Up the tree: each subtree's fold; down: the prefix before it.
      const tree_ranks t(size, position);
      ordered_message<T> left(words), right(words);
      {
        ordered_step<T> up(comm, algorithm);
        if (t.left >= 0) up.receive(rank_at(t.left), left);
        if (t.right >= 0) up.receive(rank_at(t.right), right);
        up.finish();
      }
      ordered_message<T> subtree = own;
      subtree.join_left(left, op);
      subtree.join_right(right, op);
      ordered_message<T> above(words);  // the fold of every rank before this subtree
      if (t.parent >= 0) {
        ordered_send(comm, rank_at(t.parent), subtree, algorithm);
        ordered_step<T> from_parent(comm, algorithm);
        from_parent.receive(rank_at(t.parent), above);
        from_parent.receive(rank_at(t.parent), total);
        from_parent.finish();
      } else {
        total = subtree;
      }
      before = left;
      before.join_left(above, op);
      ordered_message<T> before_right = own;  // the prefix before the right subtree
      before_right.join_left(before, op);
      ordered_step<T> down(comm, algorithm);
      if (t.left >= 0) {
        down.send(rank_at(t.left), above);
        down.send(rank_at(t.left), total);
      }
      if (t.right >= 0) {
        down.send(rank_at(t.right), before_right);
        down.send(rank_at(t.right), total);
      }
      down.finish();
    }
  }
  check.conclude(comm, total.words());
  return {before.result(), total.result()};
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
      T* mine = data + at;
      const T* theirs = received.data();
      if (received_left)  // two loops, so that each vectorizes
        for (std::int64_t i = 0; i < count; ++i) mine[i] = T(op(theirs[i], mine[i]));
      else
        for (std::int64_t i = 0; i < count; ++i) mine[i] = T(op(mine[i], theirs[i]));
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
