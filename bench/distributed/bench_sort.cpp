// The distributed sample sort beside the naive way, on n int keys (31
// random bits) in a block partition:
//
//   dist_sort/weft/n     weft::sort(x)
//   dist_sort/gather/n   MPI_Gatherv to rank 0, std::sort there, MPI_Scatterv back
//
// The keys are restored before every iteration (outside the timed part).
// The counters `bytes` and `messages` are the all-to-all volume: what the
// busiest rank hands to MPI_Alltoallv for other ranks per call, counted
// exactly by wrapping MPI_Alltoallv through MPI's profiling interface
// (PMPI); for the gather baseline, what rank 0 scatters.

#include "common.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {
// Bytes and messages this rank has sent to other ranks through MPI_Alltoallv.
double alltoallv_bytes = 0;
double alltoallv_messages = 0;
}  // namespace

extern "C" int MPI_Alltoallv(const void* sendbuf, const int sendcounts[], const int sdispls[], MPI_Datatype sendtype,
                             void* recvbuf, const int recvcounts[], const int rdispls[], MPI_Datatype recvtype,
                             MPI_Comm comm) {
  int me = 0, size = 1, type_size = 0;
  PMPI_Comm_rank(comm, &me);
  PMPI_Comm_size(comm, &size);
  PMPI_Type_size(sendtype, &type_size);
  for (int q = 0; q < size; ++q)
    if (q != me && sendcounts[q] > 0) {
      alltoallv_bytes += static_cast<double>(sendcounts[q]) * type_size;
      alltoallv_messages += 1;
    }
  return PMPI_Alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm);
}

namespace weft_dbench {
namespace {

using ivector = weft::distributed_vector<int>;

KOKKOS_INLINE_FUNCTION int random_key(std::int64_t i) {
  std::uint64_t x = static_cast<std::uint64_t>(i) + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return static_cast<int>((x ^ (x >> 31)) >> 33);
}

struct sort_data {
  weft::communicator comm;
  ivector x;
  Kokkos::View<int*> original;
};

sort_data& sort_vectors(std::int64_t n) {
  return cached<sort_data>("dist_sort/" + std::to_string(n), [n] {
    weft::communicator comm(MPI_COMM_WORLD);
    sort_data d{comm, ivector(comm, n), Kokkos::View<int*>("original", 0)};
    d.original = Kokkos::View<int*>("original", d.x.local_size());
    weft::for_each_index(d.x, KOKKOS_LAMBDA(std::int64_t i, int& v) { v = random_key(i); });
    Kokkos::deep_copy(d.original, d.x.local());
    Kokkos::fence();
    return d;
  });
}

/// The gathered result equals std::sort of every key.
void check_sorted(const std::string& name, const sort_data& d, std::int64_t n) {
  const auto got = weft::all_gather(d.x);
  std::vector<int> expected(n);
  for (std::int64_t i = 0; i < n; ++i) expected[i] = random_key(i);
  std::sort(expected.begin(), expected.end());
  for (std::int64_t i = 0; i < n; ++i)
    if (got[i] != expected[i]) fail(name, "key " + std::to_string(i), got[i], expected[i]);
}

template <class Step>
traffic time_sort(benchmark::State& state, const std::string& name, std::int64_t n, Step step) {
  auto& d = sort_vectors(n);
  const exec_space exec;
  auto restore = [&] {
    Kokkos::deep_copy(d.x.local(), d.original);
    Kokkos::fence();
  };
  restore();
  alltoallv_bytes = alltoallv_messages = 0;
  step(d);
  exec.fence();
  const traffic one{alltoallv_messages, alltoallv_bytes};
  if (first_time(name)) check_sorted(name, d, n);
  for (auto _ : state) {
    restore();
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    step(d);
    exec.fence();
    double mine = MPI_Wtime() - start, slowest = 0;
    MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    state.SetIterationTime(slowest);
  }
  state.counters["items"] = static_cast<double>(n);
  return one;
}

void register_sort(std::int64_t n) {
  add("dist_sort", "weft", n, [n](benchmark::State& state, const std::string& name) {
    return time_sort(state, name, n, [](sort_data& d) { weft::sort(d.x); });
  });
  if constexpr (host_default) {
    add("dist_sort", "gather", n, [n](benchmark::State& state, const std::string& name) {
      const traffic t = time_sort(state, name, n, [n](sort_data& d) {
        const int size = d.comm.size(), me = d.comm.rank();
        std::vector<int> counts(size), displs(size);
        for (int r = 0; r < size; ++r) {
          counts[r] = static_cast<int>(d.x.partition().local_size(r));
          displs[r] = static_cast<int>(d.x.partition().offset(r));
        }
        static std::vector<int> all;
        all.resize(me == 0 ? n : 0);
        MPI_Gatherv(d.x.local().data(), counts[me], MPI_INT, all.data(), counts.data(), displs.data(), MPI_INT, 0,
                    MPI_COMM_WORLD);
        if (me == 0) std::sort(all.begin(), all.end());
        MPI_Scatterv(all.data(), counts.data(), displs.data(), MPI_INT, d.x.local().data(), counts[me], MPI_INT, 0,
                     MPI_COMM_WORLD);
      });
      (void)t;
      const int size = world_size();
      const double scattered = static_cast<double>(n - weft::partition::block(n, size).local_size(0));
      return traffic{world_rank() == 0 ? double(size - 1) : 0.0, world_rank() == 0 ? 4.0 * scattered : 0.0};
    });
  }
}

}  // namespace

void register_sort_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 20, std::int64_t(1) << 24}) register_sort(n);
}

}  // namespace weft_dbench
