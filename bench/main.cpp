// weft-bench: Kokkos around Google Benchmark.
//
//   OMP_PROC_BIND=spread OMP_PLACES=threads OMP_NUM_THREADS=2 weft-bench
//   weft-bench --benchmark_filter='^triad/' --benchmark_format=json
//
// Kokkos options (--kokkos-...) are taken first, then Google Benchmark's.
// Unless given, --benchmark_min_time is 0.05 s: set here rather than with
// MinTime() on each benchmark, which would append "/min_time:..." to the names.
// The JSON "context" carries the Kokkos version and execution space, the
// thread counts and the last-level cache size the sizes were derived from.

#include "common.hpp"

#include <weft/version.hpp>

#include <omp.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

void add_context() {
  using weft_bench::exec_space;
  benchmark::AddCustomContext("kokkos_version", weft_bench::kokkos_version());
  benchmark::AddCustomContext("kokkos_execution_space", exec_space::name());
  benchmark::AddCustomContext("kokkos_concurrency", std::to_string(exec_space().concurrency()));
  benchmark::AddCustomContext("weft_version", std::to_string(WEFT_VERSION_MAJOR) + "." +
                                                  std::to_string(WEFT_VERSION_MINOR) + "." +
                                                  std::to_string(WEFT_VERSION_PATCH));
  benchmark::AddCustomContext("omp_max_threads", std::to_string(omp_get_max_threads()));
  benchmark::AddCustomContext("llc_bytes", std::to_string(weft_bench::llc_bytes()));
  benchmark::AddCustomContext("omp_variants", weft_bench::host_default ? "yes" : "no");
  benchmark::AddCustomContext(
      "sizes", "1-D primitives: n = elements per array; stencil2d/stencil3d: n = side of the grid");
}

}  // namespace

int main(int argc, char** argv) {
  Kokkos::initialize(argc, argv);
  int status = 0;
  {
    if (!weft_bench::initialize_benchmark(argc, argv)) {
      status = 1;
    } else {
      add_context();
      weft_bench::register_map_benchmarks();
      weft_bench::register_reduce_benchmarks();
      weft_bench::register_scan_benchmarks();
      weft_bench::register_stencil_benchmarks();
      weft_bench::register_fields_benchmarks();
      weft_bench::register_sort_benchmarks();
      weft_bench::register_reproducible_benchmarks();
      weft_bench::register_histogram_benchmarks();
      benchmark::RunSpecifiedBenchmarks();
      benchmark::Shutdown();
    }
    weft_bench::release_cache();
  }
  Kokkos::finalize();
  return status;
}
