// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// One consumer translation unit: every public header, and the main algorithms
// instantiated for integer and floating-point elements of rank 1 to 3. Built
// with -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
// -Werror (tests/headers/CMakeLists.txt), Kokkos' headers as system headers:
// what users who add weft as a subdirectory see. Functors, not lambdas, so the
// same unit compiles for CUDA.
#include <weft/weft.hpp>
#if defined(WEFT_WARNINGS_DISTRIBUTED)
#include <weft/distributed.hpp>
#endif
#if defined(WEFT_WARNINGS_HDF5)
#include <weft/hdf5.hpp>
#endif

#include <cstdint>
#include <type_traits>
#include <vector>

namespace {

struct twice {
  template <class T>
  KOKKOS_INLINE_FUNCTION T operator()(const T& v) const { return v + v; }
};
struct add {
  template <class T>
  KOKKOS_INLINE_FUNCTION T operator()(const T& a, const T& b) const { return a + b; }
};
struct is_odd {
  template <class T>
  KOKKOS_INLINE_FUNCTION bool operator()(const T& v) const { return static_cast<std::int64_t>(v) % 2 != 0; }
};
struct bump {
  template <class T>
  KOKKOS_INLINE_FUNCTION void operator()(T& v) const { v += T(1); }
};
struct set_index {
  template <class T>
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, T& v) const { v = static_cast<T>(i); }
  template <class T>
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, T& v) const { v = static_cast<T>(i + j); }
  template <class T>
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k, T& v) const {
    v = static_cast<T>(i + j + k);
  }
};
struct average1 {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION auto operator()(const Nb& nb) const { return (nb(-1) + nb(0) + nb(1)) / 3; }
};
struct average2 {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION auto operator()(const Nb& nb) const {
    return (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1)) / 4;
  }
};
struct average3 {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION auto operator()(const Nb& nb) const {
    return (nb(-1, 0, 0) + nb(1, 0, 0) + nb(0, -1, 0) + nb(0, 1, 0) + nb(0, 0, -1) + nb(0, 0, 1)) / 6;
  }
};
struct two_fields {
  template <class A, class B>
  KOKKOS_INLINE_FUNCTION auto operator()(const A& a, const B& b) const {
    return weft::values{a(0, 0) + b(1, 0), a(0, -1) * b(0, 0)};
  }
};

template <class T, class Exec>
void local_rank1(const Exec& exec) {
  using view = Kokkos::View<T*, typename Exec::memory_space>;
  const std::size_t n = 100;
  view x("x", n), y("y", n), z("z", n);
  weft::iota(exec, x, T(0));
  weft::fill(exec, y, T(2));
  weft::copy(exec, x, z);
  weft::for_each(exec, x, bump{});
  weft::for_each_index(exec, x, set_index{});
  weft::transform(exec, x, y, twice{});
  weft::transform(exec, x, y, z, add{});
  T sum = weft::reduce(exec, x);
  sum += weft::reduce(exec, x, T(1));
  sum += weft::reduce(exec, x, T(0), weft::maximum{});
  sum += weft::transform_reduce(exec, x, T(0), weft::plus{}, twice{});
  sum += weft::transform_reduce(exec, x, y, T(0), weft::plus{}, weft::multiplies{});
  const auto lo = weft::min_loc(exec, x);
  const auto hi = weft::max_loc(exec, x);
  sum += lo.value + hi.value;
  sum += weft::inclusive_scan(exec, x, y);
  sum += weft::exclusive_scan(exec, x, y, T(0));
  sum += weft::inclusive_scan(exec, x, y, weft::maximum{});
  sum += weft::transform_inclusive_scan(exec, x, y, weft::plus{}, twice{});
  sum += weft::transform_exclusive_scan(exec, x, y, T(0), weft::plus{}, twice{});
  weft::stencil(exec, x, y, 1, weft::periodic{}, average1{});
  weft::stencil(exec, x, y, 2, weft::constant{T(0)}, average1{});
  weft::stencil(exec, x, y, 1, weft::clamp{}, average1{});
  weft::stencil(exec, x, y, 1, weft::interior_only{}, average1{});
  weft::sort(exec, x);
  weft::sort(exec, x, weft::greater{});
  weft::sort_by_key(exec, x, y);
  std::int64_t count = weft::copy_if(exec, x, y, is_odd{});
  count += weft::remove_if(exec, x, is_odd{});
  count += weft::stable_partition(exec, x, is_odd{});
  count += weft::unique(exec, x);
  count += weft::unique_by_key(exec, x, y);
  count += weft::reduce_by_key(exec, x, y, z, y);
  weft::inclusive_scan_by_key(exec, x, y, z);
  weft::exclusive_scan_by_key(exec, x, y, z);
  Kokkos::View<std::int64_t*, typename Exec::memory_space> offsets("offsets", 3), counts("counts", 10);
  weft::segmented_reduce(exec, x, offsets, Kokkos::subview(y, std::pair<std::size_t, std::size_t>(0, 2)));
  weft::histogram(exec, x, counts, T(0), T(100));
  weft::histogram(exec, offsets, counts);
  if constexpr (std::is_floating_point_v<T>) {
    sum += weft::reduce(exec, x, T(0), weft::reproducible_plus{});
    sum += weft::transform_reduce(exec, x, y, T(0), weft::reproducible_plus{}, weft::multiplies{});
    sum += weft::inclusive_scan(exec, x, y, weft::reproducible_plus{});
    sum += weft::exclusive_scan(exec, x, y, T(0), weft::reproducible_plus{});
  }
  (void)sum;
  (void)count;
}

template <class T, class Exec>
void local_rank23(const Exec& exec) {
  using M = typename Exec::memory_space;
  Kokkos::View<T**, M> a("a", 10, 12), b("b", 10, 12);
  Kokkos::View<T**, Kokkos::LayoutLeft, M> c("c", 10, 12);
  Kokkos::View<T***, M> d("d", 4, 5, 6), e("e", 4, 5, 6);
  weft::fill(exec, a, T(1));
  weft::copy(exec, a, c);
  weft::for_each_index(exec, a, set_index{});
  weft::for_each_index(exec, d, set_index{});
  weft::transform(exec, a, b, twice{});
  weft::transform(exec, d, e, twice{});
  T sum = weft::reduce(exec, a) + weft::reduce(exec, c) + weft::reduce(exec, d);
  if constexpr (std::is_floating_point_v<T>) sum += weft::reduce(exec, d, T(0), weft::reproducible_plus{});
  const auto where2 = weft::max_loc(exec, a);
  const auto where3 = weft::min_loc(exec, d);
  sum += where2.value + where3.value;
  weft::stencil(exec, a, b, 1, weft::periodic{}, average2{});
  weft::stencil(exec, a, b, weft::cross(1), weft::constant{T(0)}, average2{});
  weft::stencil(exec, a, b, weft::box(1), weft::clamp{}, average2{});
  weft::stencil(exec, d, e, 1, weft::periodic{}, average3{});
  weft::stencil(exec, d, e, 1, weft::interior_only{}, average3{});
  weft::stencil(exec, weft::fields(a, c), weft::fields(b, Kokkos::View<T**, M>("f", 10, 12)), 1,
                weft::periodic{}, two_fields{});
  using nb_t = weft::neighbourhood<decltype(a), weft::periodic>;
  weft::stencil(exec, a, b, 1, weft::periodic{}, [](const nb_t& nb) { return nb(0, 0) + nb(1, 1); });
  (void)sum;
}

#if defined(WEFT_WARNINGS_DISTRIBUTED)
template <class T>
void distributed_calls(const weft::communicator& comm) {
  const std::int64_t n = 100;
  weft::distributed_vector<T> x(comm, n), y(comm, n), z(comm, weft::partition::block(n, comm.size()), weft::halo{1});
  weft::iota(x, T(0));
  weft::fill(y, T(1));
  weft::copy(x, z);
  weft::for_each(x, bump{});
  weft::for_each_index(x, set_index{});
  weft::transform(x, y, twice{});
  T sum = weft::reduce(x) + weft::transform_reduce(x, y, T(0), weft::plus{}, weft::multiplies{});
  sum += weft::inclusive_scan(x, y) + weft::exclusive_scan(x, y, T(0));
  sum += weft::max_loc(x).value;
  weft::stencil(z, y, 1, weft::periodic{}, average1{});
  weft::sort(x);
  const auto kept = weft::copy_if(x, is_odd{});
  const auto segments = weft::reduce_by_key(x, y);
  const auto moved = weft::redistribute(x, weft::partition::weighted(n, std::vector<double>(std::size_t(comm.size()), 1.0)));
  const std::vector<T> all = weft::all_gather(x);
  const std::vector<T> at_root = weft::gather(x, 0);
  const auto back = weft::scatter(comm, at_root, x.partition(), 0);

  weft::distributed_grid<T, 2> u(comm, {40, 30}, {.halo = 1, .periodic = {true, true}});
  weft::distributed_grid<T, 2> v(comm, {40, 30}, {.halo = 1, .periodic = {true, true}});
  weft::for_each_index(u, set_index{});
  weft::stencil(u, v, 1, weft::periodic{}, average2{});
  weft::stencil(u, v, 1, weft::constant{T(0)}, average2{});
  weft::stencil(weft::fields(u, v), weft::fields(v, u), 1, weft::periodic{}, two_fields{});
  sum += weft::reduce(v) + weft::max_loc(u).value;
  weft::distributed_grid<T, 3> g(comm, {8, 9, 10}, {.halo = 1});
  weft::distributed_grid<T, 3> h(comm, {8, 9, 10}, {.halo = 1});
  weft::stencil(g, h, 1, weft::clamp{}, average3{});
  const std::vector<T> field = weft::gather(h, 0);
  weft::scatter(field, g, 0);
  // Weighted grids: built from splits, and moved onto other splits.
  const std::vector<double> speeds(std::size_t(comm.size()), 1.0);
  const auto splits = weft::weighted_splits<2>({40, 30}, u.dims(), speeds, u.halo_width());
  weft::distributed_grid<T, 2> w(comm, splits, {.halo = 1, .periodic = {true, true}});
  const auto balanced = weft::redistribute(u, splits);
  weft::stencil(balanced, w, 1, weft::periodic{}, average2{});
  const auto moved_grid = weft::redistribute(g, g.splits());
  if (weft::split_efficiency(w.splits(), speeds) + weft::split_efficiency(moved_grid.splits(), speeds) < 1.0) sum += T(1);
  if constexpr (std::is_floating_point_v<T>) {
    sum += weft::reduce(x, T(0), weft::reproducible_plus{}) + weft::reduce(g, T(0), weft::reproducible_plus{});
    sum += weft::inclusive_scan(x, y, weft::reproducible_plus{});
    weft::check_replicated(comm, sum, "sum");
    weft::check_replicated(comm, all, "all");
    weft::check_replicated(comm, x.local(), "x");
  }
  // Balancing: decisions, a move of several vectors, a space chosen by name.
  weft::balancer balance(comm, x.partition());
  if (balance.decide(std::vector<double>(std::size_t(comm.size()), 1e-3))) balance.apply(x, y);
  (void)balance.observe(Kokkos::DefaultHostExecutionSpace{}, [] {});
  std::tie(x, y) = weft::redistribute(std::tie(x, y), x.partition());
  weft::grid_balancer<2> grid_balance(comm, u.splits(), {.min_block = u.halo_width()});
  if (grid_balance.decide(std::vector<double>(std::size_t(comm.size()), 1e-3))) grid_balance.apply(u, v);
  weft::with_execution_space(weft::enabled_execution_spaces().front(), [&](auto exec) {
    weft::distributed_vector<T, typename decltype(exec)::memory_space> on_space(comm, n);
    weft::iota(exec, on_space, T(0));
  });
  (void)sum;
  (void)kept;
  (void)segments;
  (void)moved;
  (void)all;
  (void)back;
}
#endif

}  // namespace

int main(int argc, char* argv[]) {
#if defined(WEFT_WARNINGS_DISTRIBUTED)
  MPI_Init(&argc, &argv);
#endif
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    Kokkos::DefaultExecutionSpace exec;
    local_rank1<int>(exec);
    local_rank1<std::int64_t>(exec);
    local_rank1<float>(exec);
    local_rank1<double>(exec);
    local_rank23<int>(exec);
    local_rank23<float>(exec);
    local_rank23<double>(exec);
#if defined(WEFT_WARNINGS_DISTRIBUTED)
    weft::communicator comm(MPI_COMM_WORLD);
    distributed_calls<int>(comm);
    distributed_calls<double>(comm);
#endif
#if defined(WEFT_WARNINGS_HDF5)
    weft::distributed_grid<double, 2> u(comm, {40, 30});
    weft::distributed_grid<std::int64_t, 3> w(comm, {6, 5, 4});
    weft::distributed_vector<float> v(comm, 100);
    weft::save("warnings.h5", "u", u, {{"step", 7}});
    weft::load("warnings.h5", "u", u);
    {
      weft::hdf5_file f(comm, "warnings2.h5", weft::hdf5_file::create);
      weft::save(f, "v", v, {{"n", std::uint64_t{1}}, {"t", 0.5f}}, {.overwrite = true, .verify = false});
      weft::save(f, "fields/w", w);
      f.write_attribute("v", "units", "m");
      const auto n = f.read_attribute<std::uint64_t>("v", "n") + std::uint64_t(f.extents("v")[0]);
      const float t = f.read_attribute<float>("v", "t");
      weft::load(f, "v", v, {.verify = true});
      weft::load(f, "fields/w", w);
      f.flush();
      f.close();
      weft::checkpoint_writer ckpt(comm, "warnings3.h5", {.sync = false, .verify = true});
      ckpt.write("w", w, {{"n", n}, {"t", t}});
      ckpt.write_attribute("step", 3);
      ckpt.commit();
    }
#endif
  }
#if defined(WEFT_WARNINGS_DISTRIBUTED)
  MPI_Finalize();
#endif
}
