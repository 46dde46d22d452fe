// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Reproducibility across ranks: the distributed reductions and scans take
// weft::reproducible_plus (see weft/reproducible.hpp), and check_replicated
// verifies that data meant to be the same on every rank (a model in
// data-parallel training, a replicated solver state) is, bit for bit.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../concepts.hpp"
#include "../reproducible.hpp"
#include "communicator.hpp"
#include "detail/mpi.hpp"
#include "reduce.hpp"
#include "scan.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

/// A 64-bit hash of bytes (FNV-1a over 8-byte words, then a final mix):
/// enough to notice that two ranks' data differ; where they differ is then
/// found by comparing the data itself.
inline std::uint64_t hash_bytes(const unsigned char* p, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ n;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    h = (h ^ word) * 0x100000001b3ull;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 29);
}

/// Collective: broadcasts `bytes` from root in pieces MPI's int counts can hold.
inline void broadcast_bytes(const communicator& comm, unsigned char* data, std::size_t n, int root,
                            const char* algorithm) {
  constexpr std::size_t piece = std::size_t(1) << 30;
  for (std::size_t at = 0; at < n; at += piece)
    check_mpi(MPI_Bcast(data + at, static_cast<int>(std::min(piece, n - at)), MPI_BYTE, root, comm.native()),
              "MPI_Bcast", algorithm);
}

/// "17", or "(3, 4)" for a multi-index in row-major extents.
inline std::string index_text(std::int64_t flat, const std::vector<std::int64_t>& extents) {
  if (extents.size() <= 1) return std::to_string(flat);
  std::vector<std::int64_t> index(extents.size());
  for (std::size_t d = extents.size(); d-- > 0;) {
    index[d] = extents[d] > 0 ? flat % extents[d] : 0;
    flat = extents[d] > 0 ? flat / extents[d] : 0;
  }
  std::string s = "(";
  for (std::size_t d = 0; d < index.size(); ++d) s += (d ? ", " : "") + std::to_string(index[d]);
  return s + ")";
}

/// The check behind every check_replicated: `data` (host memory, row-major
/// with `extents`) on every rank against the most common version.
template <class T>
void check_replicated_data(const communicator& comm, std::span<const T> data, const std::vector<std::int64_t>& extents,
                           const char* what, collective_check& check) {
  static_assert(std::is_trivially_copyable_v<T>,
                "weft::check_replicated compares values as bytes; the value type must be trivially copyable.");
  constexpr const char* algorithm = "weft::check_replicated";
  struct summary {
    std::int64_t count;
    std::uint64_t hash;
    int failed;
  };
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t size = data.size() * sizeof(T);
  summary mine{static_cast<std::int64_t>(data.size()), 0, check.failed_here() ? 1 : 0};
  if (!mine.failed) mine.hash = hash_bytes(bytes, size);
  const auto all = all_gather_value(comm, mine, algorithm);
  const auto ranks = static_cast<std::size_t>(comm.size());
  int first_failed = -1, last_failed = -1;
  for (std::size_t r = 0; r < ranks; ++r)
    if (all[r].failed) {
      if (first_failed < 0) first_failed = static_cast<int>(r);
      last_failed = static_cast<int>(r);
    }
  if (first_failed >= 0) fail_together(comm, first_failed, last_failed, check.problem(), algorithm);
  bool same = true;
  for (std::size_t r = 1; r < ranks; ++r) same = same && all[r].count == all[0].count && all[r].hash == all[0].hash;
  if (same) return;

  // The reference: the version most ranks hold (the lowest such rank).
  std::map<std::pair<std::int64_t, std::uint64_t>, int> votes;
  for (std::size_t r = 0; r < ranks; ++r) ++votes[{all[r].count, all[r].hash}];
  std::size_t reference = 0;
  for (std::size_t r = 0; r < ranks; ++r)
    if (votes[{all[r].count, all[r].hash}] > votes[{all[reference].count, all[reference].hash}]) reference = r;

  // Every rank compares its data with the reference's, element by element.
  const std::int64_t reference_count = all[reference].count;
  std::vector<T> theirs(static_cast<std::size_t>(reference_count));
  if (static_cast<std::size_t>(comm.rank()) == reference && reference_count > 0) std::memcpy(theirs.data(), data.data(), size);
  broadcast_bytes(comm, reinterpret_cast<unsigned char*>(theirs.data()), theirs.size() * sizeof(T),
                  static_cast<int>(reference), algorithm);
  struct difference {
    std::int64_t index;  // first differing element; -1: none
    double mine, theirs;  // the two values there, when T is arithmetic
  };
  difference found{-1, 0, 0};
  const std::int64_t common = std::min<std::int64_t>(mine.count, reference_count);
  for (std::size_t i = 0; i < static_cast<std::size_t>(common) && (found.index < 0); ++i)  // parentheses: nvcc reads "index <" as a template
    if (std::memcmp(&data[i], &theirs[i], sizeof(T)) != 0) {
      found.index = static_cast<std::int64_t>(i);
      if constexpr (std::is_arithmetic_v<T>) {
        found.mine = static_cast<double>(data[i]);
        found.theirs = static_cast<double>(theirs[i]);
      }
    }
  if ((found.index < 0) && mine.count != reference_count) found.index = common;
  const auto differences = all_gather_value(comm, found, algorithm);

  std::ostringstream message;
  message.precision(17);
  message << algorithm << ": " << what << " differs between ranks (compared with rank " << reference
          << ", which holds what most ranks hold):";
  const char* separator = " ";
  for (std::size_t r = 0; r < ranks; ++r) {
    if (r == reference || (all[r].count == reference_count && all[r].hash == all[reference].hash &&
                           differences[r].index < 0))
      continue;
    message << separator << "rank " << r;
    separator = "; ";
    const difference& d = differences[r];
    if (all[r].count != reference_count)
      message << " has " << all[r].count << " elements, rank " << reference << " " << reference_count
              << (d.index < std::min(all[r].count, reference_count) ? "," : "");
    if (d.index >= 0 && d.index < std::min(all[r].count, reference_count)) {
      message << " first differs at index " << index_text(d.index, extents);
      if constexpr (std::is_arithmetic_v<T>) message << " (" << +d.mine << " against " << +d.theirs << ")";
    }
  }
  fail(message.str());
}

}  // namespace detail

/// Throws weft::error on every rank unless `data` is bitwise the same on
/// every rank of comm: the ranks compare a 64-bit hash, and only if the
/// hashes differ do they compare the data, against the version most ranks
/// hold, to name each rank that differs and the first index where it does
/// (and both values there, for arithmetic types). Collective and blocking;
/// one small MPI_Allgather when all is well. Bitwise: -0.0 differs from
/// 0.0, and a NaN equals a NaN with the same bits.
///   weft::check_replicated(comm, std::span<const double>(weights), "the model weights");
template <class T>
void check_replicated(const communicator& comm, std::span<const T> data, const char* what = "the data") {
  detail::collective_check check("weft::check_replicated");
  detail::check_replicated_data<T>(comm, data, {static_cast<std::int64_t>(data.size())}, what, check);
}

/// A std::vector's elements.
template <class T, class Allocator>
void check_replicated(const communicator& comm, const std::vector<T, Allocator>& data, const char* what = "the data") {
  weft::check_replicated(comm, std::span<const T>(data), what);
}

/// One value (of any trivially copyable type, compared as its bytes).
///   weft::check_replicated(comm, residual, "the residual");
template <class T>
  requires(std::is_trivially_copyable_v<T> && !Kokkos::is_view<T>::value)
void check_replicated(const communicator& comm, const T& value, const char* what = "the value") {
  weft::check_replicated(comm, std::span<const T>(&value, 1), what);
}

/// A Kokkos view of rank 1, 2 or 3, in any memory space (it is copied to
/// the host first, which fences); indices are reported as the view's own.
template <view View>
void check_replicated(const communicator& comm, const View& v, const char* what = "the view") {
  using T = typename View::non_const_value_type;
  constexpr int rank = static_cast<int>(View::rank);
  detail::collective_check check("weft::check_replicated");
  std::vector<T> flat;
  std::vector<std::int64_t> extents(static_cast<std::size_t>(rank));
  for (std::size_t d = 0; d < extents.size(); ++d) extents[d] = static_cast<std::int64_t>(v.extent(d));
  check.attempt([&] {
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
    flat.reserve(host.size());
    if constexpr (rank == 1) {
      for (std::size_t i = 0; i < host.extent(0); ++i) flat.push_back(host(i));
    } else if constexpr (rank == 2) {
      for (std::size_t i = 0; i < host.extent(0); ++i)
        for (std::size_t j = 0; j < host.extent(1); ++j) flat.push_back(host(i, j));
    } else {
      for (std::size_t i = 0; i < host.extent(0); ++i)
        for (std::size_t j = 0; j < host.extent(1); ++j)
          for (std::size_t k = 0; k < host.extent(2); ++k) flat.push_back(host(i, j, k));
    }
  });
  detail::check_replicated_data<T>(comm, std::span<const T>(flat), extents, what, check);
}

}  // namespace weft
