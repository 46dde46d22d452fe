// The second family: sort and sort_by_key (int and double keys), copy_if
// and reduce_by_key, each beside Kokkos' own or hand-written Kokkos, a raw
// OpenMP version and, for the sorts, std::sort.
//
//   sort_int, sort_double         weft::sort | Kokkos::sort(v, true) (BinSort) | __gnu_parallel::sort | std::sort
//   sort_by_key_int, _double      weft::sort_by_key | Kokkos BinSort, permuting keys and values |
//                                 __gnu_parallel::sort of (key, value) pairs, packed and unpacked
//   copy_if                       weft::copy_if | Kokkos::parallel_scan writing at the final pass |
//                                 two-pass OpenMP (count per thread, prefix, copy)
//   reduce_by_key                 weft::reduce_by_key | parallel_scan of segment starts + a
//                                 parallel_for over segments | two-pass OpenMP (heads per thread,
//                                 prefix, each thread folds the segments that start in its chunk)
//
// n = elements (2^20 and 2^24). Keys: int32 of 31 random bits (BinOp1D,
// behind Kokkos::sort, overflows on max - min of the full int range and
// crashes); doubles spread over [-1e6, 1e6). The sorts restore their input (untimed) before every
// iteration. Counters: `bytes` = the data read and written once (keys, values,
// outputs), `items` = n per iteration. Kokkos::sort(v) without `true` is
// std::sort on host memory: that is the `std` variant.

#include "common.hpp"

#include <weft/by_key.hpp>
#include <weft/compaction.hpp>
#include <weft/sort.hpp>

#include <Kokkos_Sort.hpp>
#include <omp.h>
#include <parallel/algorithm>

#include <algorithm>
#include <cstring>
#include <typeinfo>
#include <utility>
#include <vector>

namespace weft_bench {
namespace {

KOKKOS_INLINE_FUNCTION std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

template <class K>
KOKKOS_INLINE_FUNCTION K random_key(std::int64_t i) {
  const std::uint64_t r = mix(static_cast<std::uint64_t>(i));
  if constexpr (std::is_floating_point_v<K>) return static_cast<K>((static_cast<double>(r >> 11) * 0x1.0p-53 - 0.5) * 2e6);
  else return static_cast<K>(r >> 33);  // [0, 2^31): Kokkos' BinOp1D computes max - min in K
}

template <class K>
using keys_view = Kokkos::View<K*>;
using ints = Kokkos::View<int*>;

template <class K>
struct sort_data {
  keys_view<K> original, keys;
  ints values;
};

template <class K>
sort_data<K>& sort_arrays(std::int64_t n) {
  return cached<sort_data<K>>(std::string("sort/") + typeid(K).name() + "/" + std::to_string(n), [n] {
    sort_data<K> d{uninitialized<keys_view<K>>("original", n), uninitialized<keys_view<K>>("keys", n),
                   uninitialized<ints>("values", n)};
    auto original = d.original;
    Kokkos::parallel_for(
        "weft_bench::random_keys", Kokkos::RangePolicy<exec_space>(0, n),
        KOKKOS_LAMBDA(const std::int64_t i) { original(i) = random_key<K>(i); });
    Kokkos::deep_copy(d.keys, d.original);
    Kokkos::fence();
    return d;
  });
}

/// Restores the keys (and the values 0, 1, ...) before each iteration, untimed.
template <class K>
void restore(const sort_data<K>& d, bool values) {
  Kokkos::deep_copy(d.keys, d.original);
  if (values) {
    auto v = d.values;
    Kokkos::parallel_for(
        "weft_bench::iota", Kokkos::RangePolicy<exec_space>(0, v.extent(0)),
        KOKKOS_LAMBDA(const std::int64_t i) { v(i) = static_cast<int>(i); });
  }
  Kokkos::fence();
}

template <class Reset, class Step>
void time_with_reset(benchmark::State& state, std::int64_t n, Reset reset, Step step) {
  const exec_space exec;
  for (auto _ : state) {
    state.PauseTiming();
    reset();
    state.ResumeTiming();
    step();
    exec.fence();
  }
  state.SetItemsProcessed(n * static_cast<std::int64_t>(state.iterations()));
  state.counters["items"] = static_cast<double>(n);
}

/// Sorted like std::sort of the original; with values, value(i) is the
/// original position of key(i) and each position appears once; `stable`:
/// equal keys keep increasing positions.
template <class K>
void check_sorted(const std::string& name, const sort_data<K>& d, bool values, bool stable) {
  Kokkos::fence();
  const auto original = on_host(d.original);
  const auto keys = on_host(d.keys);
  std::vector<K> expected(original.data(), original.data() + original.extent(0));
  std::sort(expected.begin(), expected.end());
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (keys(i) != expected[i]) fail(name, "key(" + std::to_string(i) + ")", double(keys(i)), double(expected[i]));
  if (!values) return;
  const auto v = on_host(d.values);
  std::vector<char> seen(expected.size(), 0);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const int from = v(i);
    if (from < 0 || static_cast<std::size_t>(from) >= expected.size() || seen[from] || original(from) != keys(i))
      fail(name, "value(" + std::to_string(i) + ")", from, -1);
    seen[from] = 1;
    if (stable && i > 0 && keys(i) == keys(i - 1) && v(i) < v(i - 1))
      fail(name, "order of equal keys at " + std::to_string(i), v(i), v(i - 1));
  }
}

template <class K>
void kokkos_bin_sort(const keys_view<K>& keys, const ints* values) {
  Kokkos::MinMaxScalar<K> range;
  Kokkos::MinMax<K> reducer(range);
  Kokkos::parallel_reduce(
      "kokkos::sort::range", Kokkos::RangePolicy<exec_space>(0, keys.extent(0)),
      KOKKOS_LAMBDA(const std::int64_t i, Kokkos::MinMaxScalar<K>& r) {
        if (keys(i) < r.min_val) r.min_val = keys(i);
        if (keys(i) > r.max_val) r.max_val = keys(i);
      },
      reducer);
  using bin_op = Kokkos::BinOp1D<keys_view<K>>;
  Kokkos::BinSort<keys_view<K>, bin_op> sorter(keys, bin_op(keys.extent(0) / 2, range.min_val, range.max_val), true);
  sorter.create_permute_vector();
  sorter.sort(keys);
  if (values) sorter.sort(*values);
}

template <class K>
struct keyed {
  K key;
  int value;
};

template <class K>
void register_sort(const std::string& primitive, std::int64_t n, bool with_values) {
  const double bytes = 2.0 * static_cast<double>(n) * (sizeof(K) + (with_values ? sizeof(int) : 0));
  auto body = [n, with_values](auto step, bool stable) {
    return [n, with_values, step, stable](benchmark::State& state, const std::string& name) {
      auto& d = sort_arrays<K>(n);
      if (first_time(name)) {
        restore(d, with_values);
        step(d);
        check_sorted(name, d, with_values, stable);
      }
      time_with_reset(state, n, [&] { restore(d, with_values); }, [&] { step(d); });
    };
  };
  add(primitive, "weft", n, bytes, body(
                                       [with_values](sort_data<K>& d) {
                                         const exec_space exec;
                                         if (with_values) weft::sort_by_key(exec, d.keys, d.values);
                                         else weft::sort(exec, d.keys);
                                       },
                                       true));
  add(primitive, "kokkos", n, bytes, body(
                                         [with_values](sort_data<K>& d) {
                                           if (with_values) kokkos_bin_sort(d.keys, &d.values);
                                           else kokkos_bin_sort<K>(d.keys, nullptr);
                                         },
                                         false));
  if constexpr (host_default) {
    add(primitive, "omp", n, bytes, body(
                                        [with_values, n](sort_data<K>& d) {
                                          if (!with_values) {
                                            __gnu_parallel::sort(d.keys.data(), d.keys.data() + n);
                                            return;
                                          }
                                          static std::vector<keyed<K>> pairs;
                                          pairs.resize(n);
                                          K* const k = d.keys.data();
                                          int* const v = d.values.data();
#pragma omp parallel for
                                          for (std::int64_t i = 0; i < n; ++i) pairs[i] = {k[i], v[i]};
                                          __gnu_parallel::sort(pairs.begin(), pairs.end(),
                                                               [](const keyed<K>& a, const keyed<K>& b) {
                                                                 return a.key < b.key;
                                                               });
#pragma omp parallel for
                                          for (std::int64_t i = 0; i < n; ++i) {
                                            k[i] = pairs[i].key;
                                            v[i] = pairs[i].value;
                                          }
                                        },
                                        false));
    if (!with_values)
      add(primitive, "std", n, bytes,
          body([n](sort_data<K>& d) { std::sort(d.keys.data(), d.keys.data() + n); }, false));
  }
}

// --- copy_if ------------------------------------------------------------------

struct copy_if_data {
  vector in, out;
  std::vector<std::int64_t> offsets;  // the OpenMP baseline's per-thread prefix
};

copy_if_data& copy_if_arrays(std::int64_t n) {
  return cached<copy_if_data>("copy_if/" + std::to_string(n), [n] {
    copy_if_data d{uninitialized<vector>("in", n), uninitialized<vector>("out", n), {}};
    auto in = d.in;
    Kokkos::parallel_for(
        "weft_bench::random", Kokkos::RangePolicy<exec_space>(0, n),
        KOKKOS_LAMBDA(const std::int64_t i) { in(i) = random_key<double>(i); });
    Kokkos::fence();
    return d;
  });
}

struct positive {
  KOKKOS_INLINE_FUNCTION bool operator()(double x) const { return x > 0; }
};

template <class Step>
void check_copy_if(const std::string& name, const copy_if_data& d, Step step) {
  poison(d.out);
  const std::int64_t m = step();
  Kokkos::fence();
  const auto in = on_host(d.in);
  const auto out = on_host(d.out);
  std::int64_t k = 0;
  for (std::size_t i = 0; i < in.extent(0); ++i) {
    if (!(in(i) > 0)) continue;
    if (out(k) != in(i)) fail(name, "out(" + std::to_string(k) + ")", out(k), in(i));
    ++k;
  }
  if (m != k) fail(name, "the count", double(m), double(k));
}

void register_copy_if(std::int64_t n) {
  const double bytes = 8.0 * static_cast<double>(n) * 1.5;  // read all, write half
  auto body = [n](auto step) {
    return [n, step](benchmark::State& state, const std::string& name) {
      auto& d = copy_if_arrays(n);
      if (first_time(name)) check_copy_if(name, d, [&] { return step(d); });
      time_with_reset(state, n, [] {}, [&] { benchmark::DoNotOptimize(step(d)); });
    };
  };
  add_variants(
      "copy_if", n, bytes, body([](copy_if_data& d) { return weft::copy_if(exec_space{}, d.in, d.out, positive{}); }),
      body([](copy_if_data& d) {
        const vector in = d.in, out = d.out;
        std::int64_t count = 0;
        Kokkos::parallel_scan(
            "kokkos::copy_if", Kokkos::RangePolicy<exec_space>(0, in.extent(0)),
            KOKKOS_LAMBDA(const std::int64_t i, std::int64_t& update, const bool final) {
              if (in(i) > 0) {
                if (final) out(update) = in(i);
                ++update;
              }
            },
            count);
        return count;
      }),
      body([n](copy_if_data& d) {
        d.offsets.assign(static_cast<std::size_t>(omp_get_max_threads()) + 1, 0);
        const double* const in = d.in.data();
        double* const out = d.out.data();
        std::int64_t* const offset = d.offsets.data();
        std::int64_t total = 0;
#pragma omp parallel
        {
          const std::int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
          const std::int64_t lo = n * t / threads, hi = n * (t + 1) / threads;
          std::int64_t c = 0;
          for (std::int64_t i = lo; i < hi; ++i) c += in[i] > 0;
          offset[t + 1] = c;
#pragma omp barrier
#pragma omp single
          {
            for (std::int64_t k = 1; k <= threads; ++k) offset[k] += offset[k - 1];
            total = offset[threads];
          }
          std::int64_t to = offset[t];
          for (std::int64_t i = lo; i < hi; ++i)
            if (in[i] > 0) out[to++] = in[i];
        }
        return total;
      }));
}

// --- reduce_by_key --------------------------------------------------------------

struct by_key_data {
  ints keys;
  vector values, values_out;
  ints keys_out;
  Kokkos::View<std::int64_t*> starts;  // the Kokkos baseline's segment starts
  std::vector<std::int64_t> offsets;
};

by_key_data& by_key_arrays(std::int64_t n) {
  return cached<by_key_data>("reduce_by_key/" + std::to_string(n), [n] {
    by_key_data d{uninitialized<ints>("keys", n),     uninitialized<vector>("values", n),
                  uninitialized<vector>("out", n),    uninitialized<ints>("keys_out", n),
                  uninitialized<Kokkos::View<std::int64_t*>>("starts", n), {}};
    // Runs of 1 to 16 equal keys (8.5 on average): key(i) = the run's number.
    std::vector<int> keys(n);
    std::uint64_t run = 0;
    for (std::int64_t i = 0; i < n;) {
      const std::int64_t length = 1 + static_cast<std::int64_t>(mix(run) % 16);
      for (std::int64_t k = 0; k < length && i < n; ++k) keys[i++] = static_cast<int>(run);
      ++run;
    }
    Kokkos::deep_copy(d.keys, Kokkos::View<int*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                                  keys.data(), keys.size()));
    fill_pattern(d.values, 3);
    return d;
  });
}

template <class Step>
void check_reduce_by_key(const std::string& name, const by_key_data& d, Step step) {
  poison(d.values_out);
  const std::int64_t m = step();
  Kokkos::fence();
  const auto keys = on_host(d.keys);
  const auto values = on_host(d.values);
  const auto keys_out = on_host(d.keys_out);
  const auto out = on_host(d.values_out);
  std::int64_t s = -1;
  double sum = 0;
  auto close_segment = [&] {
    if (s < 0) return;
    if (out(s) != sum) fail(name, "values_out(" + std::to_string(s) + ")", out(s), sum);
  };
  for (std::size_t i = 0; i < keys.extent(0); ++i) {
    if (i == 0 || keys(i) != keys(i - 1)) {
      close_segment();
      ++s;
      sum = 0;
      if (keys_out(s) != keys(i)) fail(name, "keys_out(" + std::to_string(s) + ")", keys_out(s), keys(i));
    }
    sum += values(i);
  }
  close_segment();
  if (m != s + 1) fail(name, "the number of segments", double(m), double(s + 1));
}

void register_reduce_by_key(std::int64_t n) {
  const double bytes = static_cast<double>(n) * (4 + 8) + static_cast<double>(n) / 8.5 * (4 + 8);
  auto body = [n](auto step) {
    return [n, step](benchmark::State& state, const std::string& name) {
      auto& d = by_key_arrays(n);
      if (first_time(name)) check_reduce_by_key(name, d, [&] { return step(d); });
      time_with_reset(state, n, [] {}, [&] { benchmark::DoNotOptimize(step(d)); });
    };
  };
  add_variants(
      "reduce_by_key", n, bytes,
      body([](by_key_data& d) {
        return weft::reduce_by_key(exec_space{}, d.keys, d.values, d.keys_out, d.values_out);
      }),
      body([](by_key_data& d) {
        const ints keys = d.keys, keys_out = d.keys_out;
        const vector values = d.values, out = d.values_out;
        const Kokkos::View<std::int64_t*> starts = d.starts;
        const std::int64_t n = keys.extent(0);
        std::int64_t m = 0;
        Kokkos::parallel_scan(
            "kokkos::reduce_by_key::starts", Kokkos::RangePolicy<exec_space>(0, n),
            KOKKOS_LAMBDA(const std::int64_t i, std::int64_t& update, const bool final) {
              if (i == 0 || keys(i) != keys(i - 1)) {
                if (final) starts(update) = i;
                ++update;
              }
            },
            m);
        Kokkos::parallel_for(
            "kokkos::reduce_by_key::fold", Kokkos::RangePolicy<exec_space>(0, m), KOKKOS_LAMBDA(const std::int64_t s) {
              const std::int64_t begin = starts(s), end = s + 1 < m ? starts(s + 1) : n;
              double sum = values(begin);
              for (std::int64_t i = begin + 1; i < end; ++i) sum += values(i);
              keys_out(s) = keys(begin);
              out(s) = sum;
            });
        return m;
      }),
      body([n](by_key_data& d) {
        d.offsets.assign(static_cast<std::size_t>(omp_get_max_threads()) + 1, 0);
        const int* const keys = d.keys.data();
        const double* const values = d.values.data();
        int* const keys_out = d.keys_out.data();
        double* const out = d.values_out.data();
        std::int64_t* const offset = d.offsets.data();
        std::int64_t total = 0;
#pragma omp parallel
        {
          const std::int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
          const std::int64_t lo = n * t / threads, hi = n * (t + 1) / threads;
          std::int64_t c = 0;
          for (std::int64_t i = lo; i < hi; ++i) c += (i == 0 || keys[i] != keys[i - 1]);
          offset[t + 1] = c;
#pragma omp barrier
#pragma omp single
          {
            for (std::int64_t k = 1; k <= threads; ++k) offset[k] += offset[k - 1];
            total = offset[threads];
          }
          // The segments that start in [lo, hi), each folded to its end.
          std::int64_t s = offset[t];
          std::int64_t i = lo;
          while (i < hi && i > 0 && keys[i] == keys[i - 1]) ++i;
          while (i < hi) {
            const int key = keys[i];
            double sum = values[i];
            std::int64_t j = i + 1;
            for (; j < n && keys[j] == key; ++j) sum += values[j];
            keys_out[s] = key;
            out[s++] = sum;
            i = j;
          }
        }
        return total;
      }));
}

}  // namespace

void register_sort_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 20, std::int64_t(1) << 24}) {
    register_sort<int>("sort_int", n, false);
    register_sort<double>("sort_double", n, false);
    register_sort<int>("sort_by_key_int", n, true);
    register_sort<double>("sort_by_key_double", n, true);
    register_copy_if(n);
    register_reduce_by_key(n);
  }
}

}  // namespace weft_bench
