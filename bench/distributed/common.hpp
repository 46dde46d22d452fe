#pragma once
// Shared pieces of weft-bench-distributed: timing collective calls across
// ranks, registering cases, and a cache that keeps one case's distributed
// data alive across Google Benchmark's repeated calls.
//
// Every rank runs every case in lock step. An iteration starts at a
// barrier, and its time is the slowest rank's (MPI_Allreduce MAX), handed to
// Google Benchmark as manual time: every rank then sees the same times, so
// all of them choose the same iteration counts and nobody waits in a
// collective another rank has left. Only rank 0 reports.
//
// Cases are named <primitive>/<variant>/<n> (Google Benchmark appends
// /manual_time). Counters per call: `messages` and `bytes` sent by the
// busiest rank, and `ranks`.

#include "../harness.hpp"

#include <weft/distributed.hpp>

#include <Kokkos_Core.hpp>
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

namespace weft_dbench {

using exec_space = Kokkos::DefaultExecutionSpace;

/// The hand-written baselines that give MPI raw pointers into the vectors
/// need host memory; on a device build they are not registered.
inline constexpr bool host_default =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, exec_space::memory_space>::accessible;

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

/// Values k/16 (k = 0..16): sums of up to 2^31 of them are exact in double
/// in any order, so results can be checked exactly.
KOKKOS_INLINE_FUNCTION double pattern(std::int64_t i, int seed) {
  return static_cast<double>((i * 7 + seed) % 17) / 16.0;
}

/// A wrong result stops every rank: the whole run is void.
[[noreturn]] inline void fail(const std::string& name, const std::string& what, double got, double want) {
  std::fprintf(stderr, "weft-bench-distributed: %s on rank %d: %s is %.17g, expected %.17g\n", name.c_str(),
               world_rank(), what.c_str(), got, want);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 2);
  std::abort();
}

inline void check_value(const std::string& name, const std::string& what, double got, double want) {
  if (!(std::abs(got - want) <= 1e-12 * std::max(1.0, std::abs(want)))) fail(name, what, got, want);
}

using weft_bench::cached;
using weft_bench::first_time;
using weft_bench::release_cache;

/// Messages and bytes one call sends, on the busiest rank.
struct traffic {
  double messages = 0;
  double bytes = 0;
};

inline traffic busiest(traffic mine) {
  double in[2] = {mine.messages, mine.bytes}, out[2] = {0, 0};
  MPI_Allreduce(in, out, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return {out[0], out[1]};
}

/// The timed loop: each iteration is step() and a fence of the default
/// instance, started together at a barrier and timed as the slowest rank.
template <class Step>
void time_loop(benchmark::State& state, Step step) {
  const exec_space exec;
  for (auto _ : state) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    step();
    exec.fence();
    double mine = MPI_Wtime() - start, slowest = 0;
    MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    state.SetIterationTime(slowest);
  }
}

/// Registers body(state, name) as <primitive>/<variant>/<n>; body runs its
/// one-time check and time_loop, and returns what one call sends.
template <class Body>
void add(const std::string& primitive, const char* variant, std::int64_t n, Body body) {
  const std::string name = primitive + "/" + variant + "/" + std::to_string(n);
  benchmark::RegisterBenchmark(name.c_str(),
                               [name, n, body](benchmark::State& state) {
                                 const traffic t = busiest(body(state, name));
                                 state.counters["messages"] = t.messages;
                                 state.counters["bytes"] = t.bytes;
                                 state.counters["ranks"] = world_size();
                                 state.counters["n"] = static_cast<double>(n);
                               })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

// One registration function per file; main.cpp calls them.
void register_vector_benchmarks();
void register_grid_benchmarks();
void register_fields_benchmarks();
void register_hdf5_benchmarks();  // bench_hdf5.cpp, built with weft::hdf5 (WEFT_BENCH_HDF5)
void register_sort_benchmarks();
void register_reproducible_benchmarks();
void register_balance_benchmarks();
void register_collectives_benchmarks();

}  // namespace weft_dbench
