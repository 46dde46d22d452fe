// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The agreement of a call's arguments with the neighbours it exchanges
// messages with, instead of with every rank (see neighbour_agreement).

#include "../../error.hpp"
#include "mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace weft::detail {

/// The argument check of one halo exchange, carried to the neighbours
/// instead of settled by an allreduce (argument_checks::agreed, once an
/// object's first exchange has been settled by one): each rank sends its
/// check's words (collective_check::words) to every peer it exchanges halo
/// messages with and receives theirs. A pair of neighbours exchanges data
/// only if their words are equal and neither failed, a decision both make
/// from the same two messages, so no rank waits for data its neighbour
/// will not send, and no data moves between ranks that disagree. What this
/// rank learns (least()) covers itself and its neighbours only; the caller
/// throws here, and leaves the failure pending for the next collective
/// (pending_failure), where every rank throws.
class neighbour_agreement {
 public:
  static constexpr int tag = 0x7efc;  // beside halo data's 0x7ef7

  /// Posts this rank's words to every peer (none is this rank), and the
  /// receives of theirs. Receives are posted at once, in call order, so the
  /// words of two exchanges in flight on one communicator (two vectors, or
  /// a misuse) match their calls as the data does. A neighbour's list may
  /// be longer than this rank's (other arguments recorded): room for twice
  /// as many words and 64 more; a longer one fails to arrive whole, which
  /// is a disagreement too.
  neighbour_agreement(std::vector<std::uint64_t> words, const std::vector<int>& peers, MPI_Comm comm,
                      const char* algorithm)
      : words_(std::move(words)), least_(words_), comm_(comm), algorithm_(algorithm) {
    const std::size_t room = 2 * words_.size() + 64;
    for (const int peer : peers) peers_.push_back({peer, false, false, std::vector<std::uint64_t>(room)});
    sends_.resize(peers_.size(), MPI_REQUEST_NULL);
    recvs_.resize(peers_.size(), MPI_REQUEST_NULL);
    for (std::size_t k = 0; k < peers_.size(); ++k) {
      check_mpi(MPI_Irecv(peers_[k].theirs.data(), static_cast<int>(room), MPI_UINT64_T, peers_[k].rank, tag, comm_,
                          &recvs_[k]),
                "MPI_Irecv", algorithm_);
      check_mpi(MPI_Isend(words_.data(), static_cast<int>(words_.size()), MPI_UINT64_T, peers_[k].rank, tag, comm_,
                          &sends_[k]),
                "MPI_Isend", algorithm_);
    }
  }
  neighbour_agreement(const neighbour_agreement&) = delete;
  neighbour_agreement& operator=(const neighbour_agreement&) = delete;
  ~neighbour_agreement() { complete(); }

  /// Takes in the words that have arrived (waits for all if `block`). True
  /// once every peer's have.
  bool poll(bool block) {
    bool all = true;
    for (std::size_t k = 0; k < peers_.size(); ++k) {
      auto& p = peers_[k];
      if (p.heard) continue;
      MPI_Status status;
      int arrived = 1, code = MPI_SUCCESS;
      if (block)
        code = MPI_Wait(&recvs_[k], &status);
      else
        code = MPI_Test(&recvs_[k], &arrived, &status);
      if (!arrived) {
        all = false;
        continue;
      }
      int count = 0;
      if (code == MPI_SUCCESS)
        MPI_Get_count(&status, MPI_UINT64_T, &count);
      else if (!truncated(code))
        check_mpi(code, "MPI_Wait", algorithm_);
      p.theirs.resize(code == MPI_SUCCESS ? static_cast<std::size_t>(count) : 0);  // truncated: none taken
      p.heard = true;
      p.agreed = code == MPI_SUCCESS && p.theirs == words_ && words_[0] == UINT64_MAX;
      agreed_ = agreed_ && p.agreed;
      every_peer_failed_ = every_peer_failed_ && !p.theirs.empty() && p.theirs[0] != UINT64_MAX;
      // The element-wise minimum over the words both hold; a shorter list
      // (other arguments recorded) shortens it.
      const std::size_t common = std::min(p.theirs.size(), least_.size());
      for (std::size_t i = 0; i < common; ++i) least_[i] = std::min(least_[i], p.theirs[i]);
      if (!p.theirs.empty() && p.theirs.size() < least_.size()) least_.resize(p.theirs.size());
    }
    return all;
  }

  /// For a peer whose words have arrived, whether data goes both ways
  /// between it and this rank (agreed or refused); undecided before.
  enum class verdict { undecided, agreed, refused };
  verdict decision(int peer) const {
    for (const auto& p : peers_)
      if (p.rank == peer) return !p.heard ? verdict::undecided : p.agreed ? verdict::agreed : verdict::refused;
    return verdict::undecided;
  }

  /// Waits for every peer's words and for this rank's to be sent.
  void complete() {
    if (complete_) return;
    complete_ = true;
    poll(true);
    MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE);
  }

 private:
  static bool truncated(int code) {
    int error_class = MPI_SUCCESS;
    MPI_Error_class(code, &error_class);
    return error_class == MPI_ERR_TRUNCATE;
  }

 public:
  /// Whether this rank and every neighbour passed the same and none failed.
  bool agreed() const { return agreed_ && words_[0] == UINT64_MAX; }
  /// Whether every neighbour reported a failure of its own (after complete()).
  bool every_peer_failed() const { return every_peer_failed_; }
  /// The words of this rank and its neighbours combined (see the class).
  const std::vector<std::uint64_t>& least() const { return least_; }

 private:
  struct peer_state {
    int rank;
    bool heard, agreed;
    std::vector<std::uint64_t> theirs;  // room for the words, then the words
  };
  std::vector<std::uint64_t> words_, least_;
  std::vector<peer_state> peers_;
  std::vector<MPI_Request> sends_, recvs_;
  MPI_Comm comm_;
  const char* algorithm_;
  bool agreed_ = true, complete_ = false, every_peer_failed_ = true;
};

}  // namespace weft::detail
