// weft::histogram(exec, v, counts, lo, hi) over three kinds of data, beside
// a hand-written Kokkos histogram (Kokkos::Experimental::ScatterView) and
// raw OpenMP (a row of counts per thread, added up bin by bin). Both
// baselines place a value by (x - lo) * (bins / (hi - lo)), which is not
// exact: values on or next to an edge can land one bin off.
//
//   histogram_random    random doubles over [0, 1), 100 bins
//   histogram_whole     whole numbers 0 .. 255 over [0, 256), 256 bins (pixel intensities):
//                       every value on an edge
//   histogram_decimal   i / 100.0, i in 0 .. 99, over [0, 1), 100 bins: every value on an
//                       edge that is not a double's exact multiple of the width
//
// Values in random order. n = values (2^20 and 2^24); bytes = 8n (the
// counts are small). weft checks its counts once against the exact ones
// (with lo = 0, edge k = k hi / bins divided in double, which rounds to
// the nearest); the baselines against their own formula, sequentially.

#include "common.hpp"

#include <weft/histogram.hpp>

#include <Kokkos_ScatterView.hpp>
#include <omp.h>

#include <algorithm>
#include <vector>

namespace weft_bench {
namespace {

KOKKOS_INLINE_FUNCTION std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

enum class pattern_kind { random, whole, decimal };

struct histogram_case {
  const char* name;
  pattern_kind kind;
  double hi;  // lo is 0
  std::int64_t bins;
};

constexpr histogram_case cases[] = {{"histogram_random", pattern_kind::random, 1.0, 100},
                                    {"histogram_whole", pattern_kind::whole, 256.0, 256},
                                    {"histogram_decimal", pattern_kind::decimal, 1.0, 100}};

KOKKOS_INLINE_FUNCTION double value_of(pattern_kind kind, std::int64_t i) {
  const std::uint64_t r = mix(static_cast<std::uint64_t>(i));
  switch (kind) {
    case pattern_kind::whole: return static_cast<double>(r % 256);
    case pattern_kind::decimal: return static_cast<double>(r % 100) / 100.0;
    default: return static_cast<double>(r >> 11) * 0x1.0p-53;
  }
}

using counts_view = Kokkos::View<std::int64_t*>;

struct histogram_data {
  vector values;
  counts_view counts;
  std::vector<std::int64_t> rows;  // the OpenMP baseline's counts per thread
};

histogram_data& histogram_arrays(const histogram_case& c, std::int64_t n) {
  return cached<histogram_data>(std::string(c.name) + "/" + std::to_string(n), [c, n] {
    histogram_data d{uninitialized<vector>("values", n), counts_view("counts", c.bins), {}};
    auto values = d.values;
    const pattern_kind kind = c.kind;
    Kokkos::parallel_for(
        "weft_bench::histogram_values", Kokkos::RangePolicy<exec_space>(0, n),
        KOKKOS_LAMBDA(const std::int64_t i) { values(i) = value_of(kind, i); });
    Kokkos::fence();
    return d;
  });
}

/// The baselines' bin: (x - lo) * (bins / (hi - lo)), kept below bins.
KOKKOS_INLINE_FUNCTION std::int64_t naive_bin(double x, double hi, double scale, std::int64_t bins) {
  if (!(x >= 0.0 && x < hi)) return -1;
  const auto b = static_cast<std::int64_t>(x * scale);
  return b < bins ? b : bins - 1;
}

/// Counts from the exact edges (weft) or the baselines' formula, on the host.
std::vector<std::int64_t> reference(const histogram_case& c, const histogram_data& d, bool exact) {
  std::vector<double> edges;
  for (std::int64_t k = 0; k <= c.bins; ++k)
    edges.push_back(static_cast<double>(k) * c.hi / static_cast<double>(c.bins));
  const double scale = static_cast<double>(c.bins) / c.hi;
  const auto values = on_host(d.values);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(c.bins), 0);
  for (std::size_t i = 0; i < values.extent(0); ++i) {
    const double x = values(i);
    const std::int64_t b = exact ? std::upper_bound(edges.begin(), edges.end(), x) - edges.begin() - 1
                                 : naive_bin(x, c.hi, scale, c.bins);
    if (b >= 0 && b < c.bins) ++counts[static_cast<std::size_t>(b)];
  }
  return counts;
}

template <class Step>
void check_counts(const std::string& name, const histogram_case& c, histogram_data& d, bool exact, Step step) {
  Kokkos::deep_copy(d.counts, -1);
  step();
  Kokkos::fence();
  const auto want = reference(c, d, exact);
  const auto got = on_host(d.counts);
  for (std::int64_t b = 0; b < c.bins; ++b)
    if (got(b) != want[static_cast<std::size_t>(b)])
      fail(name, "counts(" + std::to_string(b) + ")", static_cast<double>(got(b)),
           static_cast<double>(want[static_cast<std::size_t>(b)]));
}

void register_histogram(const histogram_case& c, std::int64_t n) {
  auto body = [c, n](bool exact, bool fence, auto step) {
    return [c, n, exact, fence, step](benchmark::State& state, const std::string& name) {
      auto& d = histogram_arrays(c, n);
      if (first_time(name)) check_counts(name, c, d, exact, [&] { step(d); });
      time_loop(state, fence, [&] { step(d); });
    };
  };
  add_variants(
      c.name, n, 8.0 * static_cast<double>(n),
      body(true, true, [c](histogram_data& d) { weft::histogram(exec_space{}, d.values, d.counts, 0.0, c.hi); }),
      body(false, true,
           [c](histogram_data& d) {
             const exec_space exec;
             const vector values = d.values;
             counts_view counts = d.counts;  // contribute takes it by reference
             const double hi = c.hi, scale = static_cast<double>(c.bins) / c.hi;
             const std::int64_t bins = c.bins;
             Kokkos::deep_copy(exec, counts, 0);
             Kokkos::Experimental::ScatterView<std::int64_t*> scatter(counts);
             Kokkos::parallel_for(
                 "kokkos::histogram", Kokkos::RangePolicy<exec_space>(exec, 0, values.extent(0)),
                 KOKKOS_LAMBDA(const std::int64_t i) {
                   const std::int64_t b = naive_bin(values(i), hi, scale, bins);
                   if (b >= 0) scatter.access()(b) += 1;
                 });
             Kokkos::Experimental::contribute(counts, scatter);
           }),
      body(false, false, [c, n](histogram_data& d) {
        const std::int64_t bins = c.bins;
        d.rows.resize(static_cast<std::size_t>(omp_get_max_threads() * bins));
        const double* const x = d.values.data();
        std::int64_t* const rows = d.rows.data();
        std::int64_t* const counts = d.counts.data();
        const double hi = c.hi, scale = static_cast<double>(bins) / c.hi;
#pragma omp parallel
        {
          const std::int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
          std::int64_t* const mine = rows + t * bins;
          std::fill(mine, mine + bins, 0);
#pragma omp for schedule(static)
          for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t b = naive_bin(x[i], hi, scale, bins);
            if (b >= 0) ++mine[b];
          }
#pragma omp for schedule(static)
          for (std::int64_t b = 0; b < bins; ++b) {
            std::int64_t sum = 0;
            for (std::int64_t r = 0; r < threads; ++r) sum += rows[r * bins + b];
            counts[b] = sum;
          }
        }
      }));
}

}  // namespace

void register_histogram_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 20, std::int64_t(1) << 24})
    for (const auto& c : cases) register_histogram(c, n);
}

}  // namespace weft_bench
