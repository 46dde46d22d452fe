#pragma once
// What weft-bench and weft-bench-distributed share: a cache that keeps one
// case's (large) data alive across the variants and repetitions that use it,
// once-per-case checks, the Kokkos version as text, and Google Benchmark's
// start-up with weft's default minimum time.

#include <Kokkos_Core.hpp>
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace weft_bench {

/// The one slot of the data cache, whatever the type of the data.
inline std::shared_ptr<void>& cache_slot() {
  static std::shared_ptr<void> slot;
  return slot;
}

inline std::string& cache_key() {
  static std::string key;
  return key;
}

/// The data of one case, kept while consecutive benchmarks (the variants,
/// Google Benchmark's repeated calls) ask for the same key; a new key frees
/// the old data first, so only one size is resident at a time.
template <class Data, class Make>
Data& cached(const std::string& key, Make make) {
  auto& slot = cache_slot();
  if (!slot || cache_key() != key) {
    slot.reset();
    auto data = std::make_shared<Data>(make());
    cache_key() = key;
    slot = data;
  }
  return *static_cast<Data*>(slot.get());
}

/// Frees the cached data: call before Kokkos (and MPI) shut down.
inline void release_cache() {
  cache_slot().reset();
  cache_key().clear();
}

/// The stencils both binaries time: 5-point and 7-point Jacobi averages.
/// Functors with a templated call operator, which is what a generic
/// KOKKOS_LAMBDA is on CPU builds (nvcc rejects generic device lambdas).
struct five_point {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return 0.25 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1));
  }
};

struct seven_point {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return (1.0 / 6.0) * (nb(-1, 0, 0) + nb(1, 0, 0) + nb(0, -1, 0) + nb(0, 1, 0) + nb(0, 0, -1) + nb(0, 0, 1));
  }
};

/// True the first time it is asked about `name`: each case checks once.
inline bool first_time(const std::string& name) {
  static std::set<std::string> seen;
  return seen.insert(name).second;
}

inline std::string kokkos_version() {
  char text[32];
  std::snprintf(text, sizeof text, "%d.%d.%02d", KOKKOS_VERSION / 10000, KOKKOS_VERSION / 100 % 100,
                KOKKOS_VERSION % 100);
  return text;
}

/// benchmark::Initialize with --benchmark_min_time=0.05 unless the command
/// line sets it (set here rather than with MinTime(), which would append
/// "/min_time:..." to the names). False if an argument was not understood.
inline bool initialize_benchmark(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  static std::string default_min_time = "--benchmark_min_time=0.05";
  args.insert(args.begin() + (argc > 0 ? 1 : 0), default_min_time.data());  // later flags win
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&args_count, args.data());
  return !benchmark::ReportUnrecognizedArguments(args_count, args.data());
}

}  // namespace weft_bench
