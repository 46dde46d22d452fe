// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Reproducibility across ranks: the distributed reductions and scans take
// weft::reproducible_plus (see weft/reproducible.hpp), and check_replicated
// verifies that data meant to be the same on every rank (a model in
// data-parallel training, a replicated solver state) is, bit for bit.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../concepts.hpp"
#include "../detail/profiling.hpp"
#include "../reproducible.hpp"
#include "communicator.hpp"
#include "detail/mpi.hpp"
#include "reduce.hpp"
#include "scan.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

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
/// with `extents`) on every rank against rank 0's, exactly. One small
/// MPI_Allreduce settles `check` (this rank's earlier failures) and the
/// number of elements; rank 0's data then goes to every rank in pieces of
/// at most 1 MiB (MPI_Bcast: bounded memory, counts far below INT_MAX), each
/// rank compares it with its own, and one MPI_Allreduce of one number finds
/// the first element where any rank differs. Only then, on the failure
/// path, do two more small messages name a rank that differs there and its
/// value.
template <class T>
void check_replicated_data(const communicator& comm, std::span<const T> data, const std::vector<std::int64_t>& extents,
                           const char* what, collective_check& check) {
  static_assert(std::is_trivially_copyable_v<T>,
                "weft::check_replicated compares values as bytes; the value type must be trivially copyable.");
  constexpr const char* algorithm = "weft::check_replicated";
  const std::string count_name = std::string("the number of elements of ") + what;
  check.same(count_name.c_str(), static_cast<std::int64_t>(data.size()));
  check.settle(comm);

  const std::size_t n = data.size();
  const std::size_t piece = std::max<std::size_t>(1, (std::size_t(1) << 20) / sizeof(T));
  std::vector<unsigned char> theirs(std::min(piece, n) * sizeof(T));
  std::int64_t first = INT64_MAX;  // the first element where this rank differs from rank 0
  {
    mpi_element_type<T> type(algorithm);
    const auto* mine = reinterpret_cast<const unsigned char*>(data.data());
    for (std::size_t at = 0; at < n; at += piece) {
      const std::size_t count = std::min(piece, n - at);
      // Rank 0 sends from its data (MPI_Bcast only reads the root's buffer).
      void* buffer = comm.rank() == 0 ? const_cast<unsigned char*>(mine + at * sizeof(T)) : theirs.data();
      check_mpi(MPI_Bcast(buffer, static_cast<int>(count), type.get(), 0, comm.native()), "MPI_Bcast", algorithm);
      if (comm.rank() == 0 || first != INT64_MAX || std::memcmp(mine + at * sizeof(T), theirs.data(), count * sizeof(T)) == 0)
        continue;
      for (std::size_t i = 0; i < count && first == INT64_MAX; ++i)
        if (std::memcmp(mine + (at + i) * sizeof(T), theirs.data() + i * sizeof(T), sizeof(T)) != 0)
          first = static_cast<std::int64_t>(at + i);
    }
  }
  std::int64_t earliest = INT64_MAX;
  check_mpi(MPI_Allreduce(&first, &earliest, 1, MPI_INT64_T, MPI_MIN, comm.native()), "MPI_Allreduce", algorithm);
  if (earliest == INT64_MAX) return;

  // The failure path: the lowest rank that differs at that element, and
  // the two values there (for arithmetic types), on every rank.
  int odd = first == earliest ? comm.rank() : INT_MAX, lowest = INT_MAX;
  check_mpi(MPI_Allreduce(&odd, &lowest, 1, MPI_INT, MPI_MIN, comm.native()), "MPI_Allreduce", algorithm);
  std::ostringstream message;
  message.precision(17);
  message << algorithm << ": " << what << " differs between ranks: rank " << lowest
          << " first differs from rank 0 at index " << index_text(earliest, extents);
  if constexpr (std::is_arithmetic_v<T>) {
    T values[2];  // rank `lowest`'s, rank 0's
    std::memcpy(&values[0], &data[static_cast<std::size_t>(earliest)], sizeof(T));
    std::memcpy(&values[1], &data[static_cast<std::size_t>(earliest)], sizeof(T));
    check_mpi(MPI_Bcast(&values[0], sizeof(T), MPI_BYTE, lowest, comm.native()), "MPI_Bcast", algorithm);
    check_mpi(MPI_Bcast(&values[1], sizeof(T), MPI_BYTE, 0, comm.native()), "MPI_Bcast", algorithm);
    message << " (" << +values[0] << " against " << +values[1] << ")";
  }
  fail(message.str());
}

}  // namespace detail

/// Throws weft::error on every rank unless `data` is bitwise the same on
/// every rank of comm: every rank compares its data with rank 0's, exactly
/// (no hash), and the error names the first index where any rank differs,
/// the lowest rank that differs there, and both values (for arithmetic
/// types), or the numbers of elements if those differ. Collective and
/// blocking; when all is well, one small MPI_Allreduce, rank 0's data
/// broadcast in pieces of 1 MiB, and one MPI_Allreduce of one number.
/// Bitwise: -0.0 differs from 0.0, a NaN equals a NaN with the same bits,
/// and the padding bytes of a struct count.
///   weft::check_replicated(comm, std::span<const double>(weights), "the model weights");
template <class T>
void check_replicated(const communicator& comm, std::span<const T> data, const char* what = "the data") {
  const detail::profiling_region region("weft::check_replicated");
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
  const detail::profiling_region region("weft::check_replicated");
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
