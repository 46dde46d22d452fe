#pragma once
// Shared pieces of weft-bench: the sizes, the registration of one case in its
// three variants, byte counters, test data, the one-time result checks, and a
// cache that keeps the (large) arrays of one size alive across the variants
// and repetitions that use them.
//
// Every case is named <primitive>/<variant>/<n>, variant one of weft, kokkos,
// omp. n is the number of elements of each array for the 1-D primitives and
// the side of the square or cube for the stencils.

#include "harness.hpp"

#include <Kokkos_Core.hpp>
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft_bench {

using exec_space = Kokkos::DefaultExecutionSpace;
using vector = Kokkos::View<double*>;
using grid2 = Kokkos::View<double**, Kokkos::LayoutRight>;
using grid3 = Kokkos::View<double***, Kokkos::LayoutRight>;

/// The raw OpenMP baselines read the views through .data(): only possible when
/// the default execution space works in host memory. Otherwise they are not
/// registered and only weft and kokkos run.
inline constexpr bool host_default =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, exec_space::memory_space>::accessible;

#if defined(KOKKOS_ENABLE_CUDA)
/// CUDA builds whose default space is Kokkos::Cuda also register a "cub"
/// variant of scan, reduce_sum and dot: the same work through cub::DeviceScan
/// and cub::DeviceReduce on the default instance's stream, scratch allocated
/// once per case, the result read back to the host as weft's calls return it.
inline constexpr bool cuda_default = std::is_same_v<exec_space, Kokkos::Cuda>;

/// One value of device memory back to the host, on exec's stream.
inline double read_back(const exec_space& exec, const double* device_value) {
  double value = 0;
  Kokkos::deep_copy(exec, Kokkos::View<double, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(&value),
                    Kokkos::View<const double, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(device_value));
  exec.fence();
  return value;
}
#endif

// --- the machine ------------------------------------------------------------

/// Bytes in a sysfs cache size such as "491520K" or "32M"; 0 if unreadable.
inline std::int64_t read_cache_size(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty()) return 0;
  std::int64_t scale = 1;
  switch (text.back()) {
    case 'K': scale = std::int64_t(1) << 10; break;
    case 'M': scale = std::int64_t(1) << 20; break;
    case 'G': scale = std::int64_t(1) << 30; break;
    default: break;
  }
  return std::atoll(text.c_str()) * scale;
}

/// Size of the last-level cache: index3 (L3) of cpu0, else the highest level
/// sysfs lists, else 32 MiB.
inline std::int64_t llc_bytes() {
  static const std::int64_t bytes = [] {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/";
    if (auto l3 = read_cache_size(dir + "index3/size"); l3 > 0) return l3;
    std::int64_t best = 0;
    for (int index = 0; index < 8; ++index)
      best = std::max(best, read_cache_size(dir + "index" + std::to_string(index) + "/size"));
    return best > 0 ? best : std::int64_t(32) << 20;
  }();
  return bytes;
}

inline std::int64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? std::int64_t(pages) * page : std::int64_t(8) << 30;
}

// --- sizes --------------------------------------------------------------------
// From cache-resident up to one array of at least 4x the last-level cache, so
// every case's working set at the largest size is >= 4x LLC. The largest
// size is capped so that a case's arrays fit in half the physical memory.

/// `first`, first*step, ... while at most half of `last`, then `last`.
inline std::vector<std::int64_t> geometric(std::int64_t first, std::int64_t step,
                                           std::int64_t last) {
  std::vector<std::int64_t> sizes;
  for (std::int64_t s = first; 2 * s <= last; s *= step) sizes.push_back(s);
  sizes.push_back(last);
  return sizes;
}

/// Elements per array of the 1-D cases (triad holds three such arrays):
/// 2^14, 2^17, 2^20, ... and the smallest power of two with 8n >= 4 LLC.
inline std::vector<std::int64_t> sizes_1d() {
  std::int64_t last = std::int64_t(1) << 20;
  while (8 * last < 4 * llc_bytes()) last *= 2;
  while (3 * 8 * last > physical_memory_bytes() / 2) last /= 2;
  return geometric(std::int64_t(1) << 14, 8, last);
}

/// `sizes` and the positive numbers in the comma-separated environment
/// variable `name` (unset: none), sorted, each once. Lets a run add the
/// blocks a rank of a large run holds (16384^2, 576^3), beyond the sizes
/// derived from this machine's cache; the memory cap does not apply to them.
inline std::vector<std::int64_t> with_extra_sizes(std::vector<std::int64_t> sizes, const char* name) {
  if (const char* text = std::getenv(name)) {
    for (const char* p = text; *p != '\0';) {
      char* end = nullptr;
      const long long n = std::strtoll(p, &end, 10);
      if (end == p) {
        ++p;  // skip a separator (or anything else that is not a number)
        continue;
      }
      if (n > 0) sizes.push_back(n);
      p = end;
    }
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

/// Sides of the n x n 2-D stencil: 128, 512, 2048, ... and the smallest
/// power of two with 8n^2 >= 4 LLC, and those in WEFT_BENCH_EXTRA_SIDES_2D.
inline std::vector<std::int64_t> sides_2d() {
  std::int64_t last = 1024;
  while (8 * last * last < 4 * llc_bytes()) last *= 2;
  while (2 * 8 * last * last > physical_memory_bytes() / 2) last /= 2;
  return with_extra_sizes(geometric(128, 4, last), "WEFT_BENCH_EXTRA_SIDES_2D");
}

/// Sides of the n^3 3-D stencil: 32, 64, 128, ... and the smallest multiple
/// of 64 with 8n^3 >= 4 LLC, and those in WEFT_BENCH_EXTRA_SIDES_3D.
inline std::vector<std::int64_t> sides_3d() {
  std::int64_t last = 128;
  while (8 * last * last * last < 4 * llc_bytes()) last += 64;
  while (2 * 8 * last * last * last > physical_memory_bytes() / 2) last -= 64;
  return with_extra_sizes(geometric(32, 2, last), "WEFT_BENCH_EXTRA_SIDES_3D");
}

// --- test data ----------------------------------------------------------------

/// Values k/16 with k in 0..16: sums and dot products of up to 2^31 of them
/// are exact in double whatever the order, so every variant gives the same bits.
KOKKOS_INLINE_FUNCTION double pattern(std::int64_t i, int seed) {
  return static_cast<double>((i * 7 + seed) % 17) / 16.0;
}

/// A rank-1 unmanaged alias of a contiguous view of any rank.
template <class View>
auto flat(const View& v) {
  using flat_view =
      Kokkos::View<double*, typename View::memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  return flat_view(v.data(), v.span());
}

/// v = pattern(., seed), written in parallel by the default space (first touch).
template <class View>
void fill_pattern(const View& v, int seed) {
  auto f = flat(v);
  Kokkos::parallel_for(
      "weft_bench::fill", Kokkos::RangePolicy<exec_space>(0, f.extent(0)),
      KOKKOS_LAMBDA(const std::int64_t i) { f(i) = pattern(i, seed); });
  Kokkos::fence();
}

/// Overwrites v, so a check cannot pass on a result left by another variant.
template <class View>
void poison(const View& v) {
  Kokkos::deep_copy(v, -1.0e300);
  Kokkos::fence();
}

template <class View>
auto uninitialized(const std::string& label, std::int64_t n) {
  return View(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), n);
}

// --- checks -----------------------------------------------------------------

[[noreturn]] inline void fail(const std::string& name, const std::string& what, double got,
                              double want) {
  std::fprintf(stderr, "weft-bench: %s: wrong result: %s is %.17g, expected %.17g\n",
               name.c_str(), what.c_str(), got, want);
  std::fflush(stderr);
  std::abort();
}

inline bool approx_equal(double got, double want, double rel = 1e-12) {
  return std::abs(got - want) <= rel * std::max(1.0, std::abs(want));
}

inline void check_value(const std::string& name, const std::string& what, double got,
                        double want) {
  if (!approx_equal(got, want)) fail(name, what, got, want);
}

/// Host copy of a view (the view itself when it already lives on the host).
template <class View>
auto on_host(const View& v) {
  auto h = Kokkos::create_mirror_view(v);
  Kokkos::deep_copy(h, v);
  return h;
}

// --- registration -------------------------------------------------------------

inline std::string case_name(const std::string& primitive, const char* variant, std::int64_t n) {
  return primitive + "/" + variant + "/" + std::to_string(n);
}

/// Registers one case under exactly <primitive>/<variant>/<n>: no MinTime,
/// Repetitions or UseRealTime on the benchmark (each would append a suffix to
/// the name); main.cpp sets the default --benchmark_min_time instead.
/// body(state, name) runs the check and the timed loop; bytes is what one
/// iteration moves, reported through SetBytesProcessed and as the counter
/// "bytes" (scripts/bench.py divides it by the real time).
template <class Body>
void add(const std::string& primitive, const char* variant, std::int64_t n, double bytes,
         Body body) {
  const std::string name = case_name(primitive, variant, n);
  benchmark::RegisterBenchmark(name.c_str(),
                               [name, n, bytes, body](benchmark::State& state) {
                                 body(state, name);
                                 state.SetBytesProcessed(static_cast<std::int64_t>(bytes) *
                                                         state.iterations());
                                 state.counters["bytes"] = bytes;
                                 state.counters["n"] = static_cast<double>(n);
                               })
      ->Unit(benchmark::kMicrosecond);
}

/// The three variants of one primitive at one size, in the order weft,
/// kokkos, omp; omp only where the default space runs in host memory.
template <class Weft, class Kokkos_, class Omp>
void add_variants(const std::string& primitive, std::int64_t n, double bytes, Weft weft_body,
                  Kokkos_ kokkos_body, Omp omp_body) {
  add(primitive, "weft", n, bytes, weft_body);
  add(primitive, "kokkos", n, bytes, kokkos_body);
  if constexpr (host_default) add(primitive, "omp", n, bytes, omp_body);
}

/// The timed loop. fence: wait for the default instance after each call
/// (weft and Kokkos variants; the OpenMP loops end on their own barrier).
template <class Step>
void time_loop(benchmark::State& state, bool fence, Step step) {
  const exec_space exec;
  for (auto _ : state) {
    step();
    if (fence) exec.fence();
  }
}

// One registration function per file under bench/local/; main.cpp calls them.
void register_map_benchmarks();
void register_reduce_benchmarks();
void register_scan_benchmarks();
void register_stencil_benchmarks();
void register_fields_benchmarks();
void register_sort_benchmarks();
void register_reproducible_benchmarks();
void register_histogram_benchmarks();

}  // namespace weft_bench
