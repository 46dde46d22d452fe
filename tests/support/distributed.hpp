#pragma once
// Helpers for the distributed tests: the partitions every algorithm is tried
// under, distributed vectors filled from a global reference array, and host
// staging of MPI messages on demand.

#include <weft/distributed.hpp>

#include "data.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace weft_test {

struct named_partition {
  std::string name;
  weft::partition partition;
};

/// Block, weighted (uneven, and with zero weights), and explicit partitions
/// of n over `ranks` ranks.
inline std::vector<named_partition> test_partitions(std::int64_t n, int ranks) {
  std::vector<named_partition> out;
  out.push_back({"block", weft::partition::block(n, ranks)});
  std::vector<double> rising(ranks), holes(ranks);
  for (int r = 0; r < ranks; ++r) {
    rising[r] = 1.0 + r;                           // 1 : 2 : 3 : ...
    holes[r] = (r % 2 == 0 && ranks > 1) ? 0.0 : 2.5;  // zero weights on even ranks
  }
  out.push_back({"weighted", weft::partition::weighted(n, rising)});
  out.push_back({"weighted with zeros", weft::partition::weighted(n, holes)});
  // Explicit: everything on the last rank but a few on rank 0.
  std::vector<std::int64_t> sizes(ranks, 0);
  sizes[0] = std::min<std::int64_t>(n, 3);
  sizes[ranks - 1] += n - sizes[0];
  out.push_back({"explicit", weft::partition::from_sizes(sizes)});
  return out;
}

/// A distributed vector holding global[offset .. offset + local_size) on each rank.
template <class T, class MemorySpace>
weft::distributed_vector<T, MemorySpace> make_vector(const weft::communicator& comm, const weft::partition& p,
                                                     const std::vector<T>& global, int ghost_width = 0) {
  weft::distributed_vector<T, MemorySpace> x(comm, p, weft::halo{ghost_width});
  auto host = Kokkos::create_mirror_view(x.local());
  for (std::int64_t i = 0; i < x.local_size(); ++i) host(i) = global[x.offset() + i];
  Kokkos::deep_copy(x.local(), host);
  return x;
}

/// Sets x's owned elements to global[offset .. offset + local_size).
template <class X, class T>
void fill_vector(const X& x, const std::vector<T>& global) {
  auto host = Kokkos::create_mirror_view(x.local());
  for (std::int64_t i = 0; i < x.local_size(); ++i) host(i) = global[static_cast<std::size_t>(x.offset() + i)];
  Kokkos::deep_copy(x.local(), host);
}

/// While in scope, messages go through host buffers even for host memory
/// (WEFT_MPI_STAGING=1), when `on`.
class mpi_staging {
 public:
  explicit mpi_staging(bool on) {
    if (on) setenv("WEFT_MPI_STAGING", "1", 1);
  }
  ~mpi_staging() { unsetenv("WEFT_MPI_STAGING"); }
  mpi_staging(const mpi_staging&) = delete;
  mpi_staging& operator=(const mpi_staging&) = delete;
};

/// Every rank's part of x, in global order, on every rank (via all_gather).
template <class X>
auto everything(const X& x) {
  return weft::all_gather(x);
}

}  // namespace weft_test
