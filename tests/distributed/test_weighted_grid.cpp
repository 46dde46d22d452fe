// Weighted distributed grids: grids built from explicit splits (uneven
// blocks, one exactly as wide as the halo) and their errors on every rank;
// halo exchanges, stencils, reductions, gather / scatter and redistribute on
// them against sequential references and even grids; weighted_splits and
// split_efficiency against exact answers and brute force. At 1 to 4 ranks:
// the cases are built from comm.size().
#include <weft/distributed.hpp>

#include <catch2/catch_approx.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "grids.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

namespace {

// A process grid of `ranks` ranks as MPI_Dims_create makes it (largest
// first), or reversed (largest last), so that every dimension gets split.
template <int R>
std::array<int, R> process_grid(int ranks, bool reversed) {
  int dims[3] = {0, 0, 0};
  MPI_Dims_create(ranks, R, dims);
  std::array<int, R> out;
  for (int d = 0; d < R; ++d) out[d] = dims[reversed ? R - 1 - d : d];
  return out;
}

// Uneven splits over `dims`: dimension 0 explicit, its first block exactly
// `halo` wide and the others growing; dimension 1 weighted 1 : 2 : 3 ...;
// dimension 2 weighted 3 : 1 : 2 : 1. Every block is at least `halo` wide.
template <int R>
std::array<weft::partition, R> uneven_splits(const std::array<int, R>& dims, int halo) {
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(dims[0]));
  for (int i = 0; i < dims[0]; ++i) sizes[i] = dims[0] == 1 ? halo + 4 : (i == 0 ? halo : halo + 2 * i + 1);
  std::vector<double> rising(static_cast<std::size_t>(dims[1]));
  for (int i = 0; i < dims[1]; ++i) rising[i] = 1.0 + i;
  const std::int64_t n1 = std::int64_t(3 * halo + 1) * dims[1] * (dims[1] + 1) / 2;
  auto first = weft::partition::from_sizes(sizes);
  auto second = weft::partition::weighted(n1, rising);
  if constexpr (R == 2) {
    return {first, second};
  } else {
    std::vector<double> mixed(static_cast<std::size_t>(dims[2]));
    for (int i = 0; i < dims[2]; ++i) mixed[i] = i % 2 == 0 ? 3.0 - i % 4 : 1.0;
    return {first, second, weft::partition::weighted(std::int64_t(3 * halo + 2) * dims[2] * 2, mixed)};
  }
}

template <int R>
ext<R> extents_of(const std::array<weft::partition, R>& splits) {
  ext<R> n;
  for (int d = 0; d < R; ++d) n[d] = splits[d].global_size();
  return n;
}

template <class G>
int row_major_rank(const G& g) {
  int r = 0;
  for (int d = 0; d < G::rank; ++d) r = r * g.dims()[d] + g.coords()[d];
  return r;
}

// The layout of a grid built from splits: its blocks are theirs.
template <class G>
void check_layout(const G& g, const std::array<weft::partition, G::rank>& splits, int halo) {
  constexpr int R = G::rank;
  CHECK(g.splits() == splits);
  CHECK(row_major_rank(g) == g.comm().rank());
  for (int d = 0; d < R; ++d) {
    CAPTURE(d);
    CHECK(g.dims()[d] == splits[d].ranks());
    CHECK(g.split(d) == splits[d]);
    CHECK(g.global_extent(d) == splits[d].global_size());
    CHECK(g.local_extent(d) == splits[d].local_size(g.coords()[d]));
    CHECK(g.offset(d) == splits[d].offset(g.coords()[d]));
    CHECK(std::int64_t(g.with_halo().extent(d)) == g.local_extent(d) + 2 * halo);
    CHECK(std::int64_t(g.local().extent(d)) == g.local_extent(d));
  }
}

// One rank weight per rank of the process grid, in row-major order.
template <int R>
std::vector<double> rank_weights(const std::array<int, R>& dims, double (*weight)(int rank, int ranks)) {
  int ranks = 1;
  for (int d : dims) ranks *= d;
  std::vector<double> w(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) w[r] = weight(r, ranks);
  return w;
}

struct named_splits2 {
  std::string name;
  std::array<weft::partition, 2> splits;
};
struct named_splits3 {
  std::string name;
  std::array<weft::partition, 3> splits;
};

// Layouts of extents n over dims that redistribute moves between: even
// blocks, blocks weighted 1 : 2 : 3 ... per dimension, blocks from
// weighted_splits for one rank 1000 times faster than the others, and
// explicit blocks (all but the last exactly `halo` wide).
template <int R>
auto redistribute_layouts(const ext<R>& n, const std::array<int, R>& dims, int halo) {
  using named = std::conditional_t<R == 2, named_splits2, named_splits3>;
  std::vector<named> out;
  auto each = [&](auto make) {
    std::array<weft::partition, R> s = [&]<std::size_t... D>(std::index_sequence<D...>) {
      return std::array<weft::partition, R>{make(int(D))...};
    }(std::make_index_sequence<R>{});
    return s;
  };
  out.push_back({"block", each([&](int d) { return weft::partition::block(n[d], dims[d]); })});
  out.push_back({"weighted rising", each([&](int d) {
                   std::vector<double> w(static_cast<std::size_t>(dims[d]));
                   for (int i = 0; i < dims[d]; ++i) w[i] = 1.0 + i;
                   return weft::partition::weighted(n[d], w);
                 })});
  const auto fast_last = rank_weights<R>(dims, [](int r, int ranks) { return r == ranks - 1 ? 1000.0 : 1.0; });
  out.push_back({"weighted extreme", weft::weighted_splits<R>(n, dims, fast_last, halo)});
  out.push_back({"explicit", each([&](int d) {
                   std::vector<std::int64_t> sizes(static_cast<std::size_t>(dims[d]), halo);
                   sizes.back() = n[d] - std::int64_t(halo) * (dims[d] - 1);
                   return weft::partition::from_sizes(sizes);
                 })});
  return out;
}

// Every split of extents n over a 2 x 2 or 2 x 2 x 2 process grid (blocks of
// at least one cell): the best efficiency any Cartesian split reaches.
template <int R>
double brute_force_efficiency(const ext<R>& n, const std::vector<double>& w) {
  double best = 0;
  std::array<std::int64_t, R> a;
  for (int d = 0; d < R; ++d) a[d] = 1;
  while (true) {
    std::array<weft::partition, R> s = [&]<std::size_t... D>(std::index_sequence<D...>) {
      return std::array<weft::partition, R>{weft::partition::from_sizes({a[D], n[D] - a[D]})...};
    }(std::make_index_sequence<R>{});
    best = std::max(best, weft::split_efficiency(s, w));
    int d = R - 1;
    while (d >= 0 && ++a[d] == n[d]) a[d--] = 1;
    if (d < 0) return best;
  }
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("grids from splits: uneven blocks, one exactly as wide as the halo",
                        "[weighted][grid][distributed]", enabled_spaces) {
  using M = typename TestType::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const int halo = GENERATE(1, 2);
  const bool reversed = GENERATE(false, true);
  CAPTURE(halo, reversed);

  SECTION("2-D") {
    const auto splits = uneven_splits<2>(process_grid<2>(comm.size(), reversed), halo);
    const auto n = extents_of<2>(splits);
    weft::distributed_grid<double, 2, M> g(comm, splits, {.halo = halo, .periodic = {true, false}});
    check_layout(g, splits, halo);
    CHECK(g.options().periodic[0]);
    // Scatter and gather follow the blocks.
    const auto field = random_vector<double>(volume<2>(n), 1200 + halo);
    weft::scatter(comm.rank() == 0 ? field : std::vector<double>{}, g, 0);
    const auto back = weft::gather(g, comm.size() - 1);
    if (comm.rank() == comm.size() - 1) CHECK(back == field);
    // Same extents, even blocks: not the same layout (unless the split is even).
    weft::distributed_grid<double, 2, M> even(comm, n, {.halo = halo, .dims = {g.dims()[0], g.dims()[1]}});
    CHECK(g.same_layout(even) == (g.splits() == even.splits()));
    CHECK(g.same_layout(weft::distributed_grid<double, 2, M>(comm, splits, {.halo = halo})));
  }
  SECTION("3-D") {
    const auto splits = uneven_splits<3>(process_grid<3>(comm.size(), reversed), halo);
    const auto n = extents_of<3>(splits);
    weft::distributed_grid<float, 3, M> g(comm, splits, {.halo = halo, .dims = {splits[0].ranks(), 0, 0}});
    check_layout(g, splits, halo);
    const auto field = random_vector<float>(volume<3>(n), 1210 + halo);
    weft::scatter(comm.rank() == 0 ? field : std::vector<float>{}, g, 0);
    const auto back = weft::gather(g, 0);
    if (comm.rank() == 0) CHECK(back == field);
  }
}

TEST_CASE("grids from splits reject bad splits on every rank", "[weighted][grid][errors][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  using grid2 = weft::distributed_grid<double, 2>;
  using grid3 = weft::distributed_grid<double, 3>;
  const auto one = weft::partition::block(6, 1);
  // Ranks that do not multiply to the communicator's size.
  REQUIRE_THROWS_AS(grid2(comm, {weft::partition::block(20, size + 1), one}), weft::error);
  CHECK_THROWS_WITH(grid2(comm, {weft::partition::block(20, size + 1), one}),
                    ContainsSubstring("weft::distributed_grid") && ContainsSubstring("more ranks than the"));
  if (size > 1) {
    REQUIRE_THROWS_AS(grid3(comm, {one, one, one}), weft::error);
    CHECK_THROWS_WITH(grid3(comm, {one, one, one}), ContainsSubstring("fewer ranks than the"));
  }
  // grid_options::dims must match the splits.
  CHECK_THROWS_WITH(grid2(comm, {weft::partition::block(20, size), one}, {.dims = {0, 2}}),
                    ContainsSubstring("grid_options::dims gives 2 ranks in dimension 1 but its split has 1"));
  // A block narrower than the halo: along a dimension of several ranks, or
  // a periodic one.
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(size), 4);
  sizes[static_cast<std::size_t>(size) / 2] = 1;
  const auto thin = weft::partition::from_sizes(sizes);
  if (size > 1) {
    REQUIRE_THROWS_AS(grid2(comm, {thin, one}, {.halo = 2}), weft::error);
    CHECK_THROWS_WITH(grid2(comm, {thin, one}, {.halo = 2}),
                      ContainsSubstring("halo 2 is wider than the smallest block (1 cells, coordinate " +
                                        std::to_string(size / 2) + ") in dimension 0"));
  }
  REQUIRE_THROWS_AS(grid2(comm, {weft::partition::block(8, size), weft::partition::block(1, 1)},
                          {.halo = 2, .periodic = {false, true}}),
                    weft::error);
  CHECK_THROWS_WITH(grid2(comm, {weft::partition::block(8 * size, size), weft::partition::block(1, 1)},
                          {.halo = 2, .periodic = {false, true}}),
                    ContainsSubstring("halo 2 is wider than the smallest block (1 cells, coordinate 0) in dimension 1"));
  // A block exactly as wide as the halo is fine; a narrower one along a
  // dimension of one rank that is not periodic too (no neighbour to reach).
  CHECK_NOTHROW(grid2(comm, {weft::partition::block(2 * size, size), weft::partition::block(1, 1)}, {.halo = 2}));
  // An empty block.
  sizes[static_cast<std::size_t>(size) / 2] = 0;
  REQUIRE_THROWS_AS(grid2(comm, {one, weft::partition::from_sizes(sizes)}, {.halo = 0, .dims = {1, size}}),
                    weft::error);
  CHECK_THROWS_WITH(grid2(comm, {one, weft::partition::from_sizes(sizes)}, {.halo = 0}),
                    ContainsSubstring(size > 1 ? "is empty" : "is smaller than the 1 ranks"));
  // Splits that differ between ranks: every rank throws, naming the split.
  if (size > 1) {
    std::vector<std::int64_t> mine(static_cast<std::size_t>(size), 5);
    if (comm.rank() == size - 1) ++mine[0];
    REQUIRE_THROWS_AS(grid2(comm, {weft::partition::from_sizes(mine), one}), weft::error);
    CHECK_THROWS_WITH(grid2(comm, {weft::partition::from_sizes(mine), one}),
                      ContainsSubstring("ranks disagree on the block boundaries of split 0"));
    const auto other = comm.rank() == 0 ? weft::partition::block(6 * size, size) : weft::partition::block(6 * size, 1);
    REQUIRE_THROWS_AS(grid3(comm, {one, one, other}), weft::error);
    REQUIRE_THROWS_AS(grid2(comm, {weft::partition::block(6 * size, size), one}, {.halo = comm.rank() == 0 ? 1 : 2}),
                      weft::error);
  }
  // Two grids of the same extents and process grid but other blocks are not
  // laid out alike: algorithms that combine them refuse.
  if (size > 1) {
    std::vector<std::int64_t> rising(static_cast<std::size_t>(size));
    for (int r = 0; r < size; ++r) rising[static_cast<std::size_t>(r)] = 3 + 2 * r;
    const auto uneven = weft::partition::from_sizes(rising);
    grid2 a(comm, {uneven, one}), b(comm, {weft::partition::block(uneven.global_size(), size), one});
    CHECK_FALSE(a.same_layout(b));
    CHECK_THROWS_WITH(weft::copy(a, b), ContainsSubstring("split into other blocks along dimension 0"));
    CHECK_THROWS_WITH(weft::stencil(a, b, 1, weft::clamp{}, grid_centre{}), ContainsSubstring("laid out differently"));
  }
  grid2 g(comm, {weft::partition::block(4 * size, size), one});
  CHECK(weft::reduce(g, 3.0) == 3.0);  // still in step
}

TEMPLATE_LIST_TEST_CASE("halo exchange on weighted grids: faces, corners, every boundary",
                        "[weighted][grid][halo][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const auto shape = GENERATE(weft::stencil_shape::cross, weft::stencil_shape::box);
  const int halo = GENERATE(1, 2);
  const int periodic_mask = GENERATE(0, 1, 2, 3);
  const bool reversed = GENERATE(false, true);
  const std::array<bool, 3> periodic{(periodic_mask & 1) != 0, (periodic_mask & 2) != 0, (periodic_mask & 2) != 0};
  const weft::grid_options opt{.halo = halo, .periodic = periodic, .shape = shape};
  CAPTURE(int(shape), halo, periodic_mask, reversed);

  auto run = [&](auto rank_tag) {
    constexpr int R = decltype(rank_tag)::value;
    CAPTURE(R);
    const auto splits = uneven_splits<R>(process_grid<R>(comm.size(), reversed), halo);
    const auto n = extents_of<R>(splits);
    const auto field = random_vector<double>(volume<R>(n), 1300 + 10 * R + halo);
    weft::distributed_grid<double, R, M> g(comm, splits, opt);
    fill_from(g, field);
    g.exchange_halo(Exec{}, weft::constant{-1.5});
    CHECK(wrong_halo_cells(g, field, bc_kind::constant, -1.5) == 0);
    g.exchange_halo(Exec{}, weft::clamp{});
    CHECK(wrong_halo_cells(g, field, bc_kind::clamp, 0) == 0);
    if (periodic_mask == 3) {
      auto pending = g.start_halo_exchange(Exec{}, weft::periodic{});
      pending.wait();
      CHECK(wrong_halo_cells(g, field, bc_kind::periodic, 0) == 0);
    }
  };
  run(std::integral_constant<int, 2>{});
  run(std::integral_constant<int, 3>{});
}

TEMPLATE_LIST_TEST_CASE("stencils on weighted grids equal those on even grids, bitwise",
                        "[weighted][grid][stencil][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const int r = GENERATE(1, 2);
  const int variant = GENERATE(0, 1, 2);  // box on box; cross on cross; cross on box
  const bool periodic_grid = GENERATE(false, true);
  const bool cross = variant > 0;
  const weft::reach reach = cross ? weft::cross(r) : weft::box(r);
  const std::array<bool, 3> periodic{periodic_grid, periodic_grid, periodic_grid};
  const weft::grid_options opt{
      .halo = r, .periodic = periodic, .shape = variant == 1 ? weft::stencil_shape::cross : weft::stencil_shape::box};
  CAPTURE(r, variant, periodic_grid);

  auto run = [&](auto rank_tag, const auto& bc, bc_kind kind, double constant, bool interior_only) {
    constexpr int R = decltype(rank_tag)::value;
    CAPTURE(R);
    using grid_type = weft::distributed_grid<double, R, M>;
    const auto dims = process_grid<R>(comm.size(), true);
    const auto splits = uneven_splits<R>(dims, r);
    const auto n = extents_of<R>(splits);
    // The even grids on the same process grid, whose blocks are then at
    // least as wide as the smallest uneven one.
    weft::grid_options even_opt = opt;
    for (int d = 0; d < R; ++d) even_opt.dims[static_cast<std::size_t>(d)] = dims[static_cast<std::size_t>(d)];
    const auto field = random_vector<double>(volume<R>(n), 1400 + 10 * R + r);
    const auto before = random_vector<double>(volume<R>(n), 1401 + 10 * R + r);
    const weighted_grid_stencil<R> f{r, cross};
    grid_type in(comm, splits, opt), out(comm, splits, {.halo = 0});
    grid_type even_in(comm, n, even_opt), even_out(comm, n, {.halo = 0, .dims = even_opt.dims});
    fill_from(in, field);
    fill_from(out, before);
    fill_from(even_in, field);
    fill_from(even_out, before);
    weft::stencil(Exec{}, in, out, reach, bc, f);
    weft::stencil(Exec{}, even_in, even_out, reach, bc, f);
    const auto got = weft::gather(out, 0);
    const auto even = weft::gather(even_out, 0);
    if (comm.rank() == 0) {
      CHECK(got == even);
      const auto expected = reference_stencil<R>(field, n, r, cross, periodic, kind, constant, interior_only, before);
      int wrong = 0;
      for (std::size_t i = 0; i < got.size(); ++i)
        wrong += std::abs(got[i] - expected[i]) > 1e-11 * (1 + std::abs(expected[i]));
      CHECK(wrong == 0);
    }
  };
  using two = std::integral_constant<int, 2>;
  using three = std::integral_constant<int, 3>;
  SECTION("constant") {
    run(two{}, weft::constant{0.75}, bc_kind::constant, 0.75, false);
    run(three{}, weft::constant{0.75}, bc_kind::constant, 0.75, false);
  }
  SECTION("clamp") {
    run(two{}, weft::clamp{}, bc_kind::clamp, 0, false);
    run(three{}, weft::clamp{}, bc_kind::clamp, 0, false);
  }
  SECTION("interior_only") {
    run(two{}, weft::interior_only{}, bc_kind::constant, 0, true);
    run(three{}, weft::interior_only{}, bc_kind::constant, 0, true);
  }
  SECTION("periodic") {
    if (periodic_grid) {
      run(two{}, weft::periodic{}, bc_kind::periodic, 0, false);
      run(three{}, weft::periodic{}, bc_kind::periodic, 0, false);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("reductions on weighted grids", "[weighted][grid][reduce][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const Exec exec{};
  const bool reversed = GENERATE(false, true);
  CAPTURE(reversed);

  auto run = [&](auto rank_tag) {
    constexpr int R = decltype(rank_tag)::value;
    CAPTURE(R);
    const auto splits = uneven_splits<R>(process_grid<R>(comm.size(), reversed), 1);
    const auto n = extents_of<R>(splits);
    auto field = random_vector<double>(volume<R>(n), 1500 + R);
    field[field.size() / 3] = *std::max_element(field.begin(), field.end());  // a tie, earlier in row-major order
    const auto other = random_vector<double>(volume<R>(n), 1510 + R);
    const auto integers = random_vector<int>(volume<R>(n), 1520 + R);
    weft::distributed_grid<double, R, M> a(comm, splits), b(comm, splits, {.halo = 0}), even(comm, n);
    weft::distributed_grid<int, R, M> k(comm, splits);
    fill_from(a, field);
    fill_from(b, other);
    fill_from(even, field);
    fill_from(k, integers);

    long double sum = 0, dot = 0, mag = 0;
    long long int_sum = 0;
    for (std::size_t i = 0; i < field.size(); ++i) {
      sum += field[i];
      dot += static_cast<long double>(field[i]) * other[i];
      mag += std::abs(field[i]) + std::abs(field[i] * other[i]);
      int_sum += integers[i];
    }
    const double tol = sum_tolerance<double>(field.size(), static_cast<double>(mag));
    CHECK(std::abs(weft::reduce(exec, a) - static_cast<double>(sum)) <= tol);
    CHECK(std::abs(weft::transform_reduce(exec, a, b, 0.0, weft::plus{}, weft::multiplies{}) -
                   static_cast<double>(dot)) <= tol);
    // Reproducible sums: the same bits on any layout.
    CHECK(weft::reduce(exec, a, 0.0, weft::reproducible_plus{}) ==
          weft::reduce(exec, even, 0.0, weft::reproducible_plus{}));
    CHECK(static_cast<long long>(weft::reduce(exec, k)) == int_sum);
    CHECK(weft::reduce(k, 5000, weft::minimum{}) == *std::min_element(integers.begin(), integers.end()));

    const auto hi = weft::max_loc(exec, a);
    const auto lo = weft::min_loc(a);
    const auto max_it = std::max_element(field.begin(), field.end());
    const auto min_it = std::min_element(field.begin(), field.end());
    CHECK(hi.value == *max_it);
    CHECK(linear<R>(n, hi.index) == max_it - field.begin());
    CHECK(lo.value == *min_it);
    CHECK(linear<R>(n, lo.index) == min_it - field.begin());
  };
  run(std::integral_constant<int, 2>{});
  run(std::integral_constant<int, 3>{});
}

using redistribute_cases = on_every_space<std::tuple<float, int>>;

TEMPLATE_LIST_TEST_CASE("redistribute moves grids between any two layouts, bitwise",
                        "[weighted][grid][movement][distributed]", redistribute_cases) {
  using T = typename TestType::value_type;
  using M = typename TestType::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const bool staged = GENERATE(false, true);
  const bool reversed = GENERATE(false, true);
  const mpi_staging stage(staged);
  const int halo = 2;
  const weft::grid_options opt{.halo = halo, .periodic = {true, false, true}, .shape = weft::stencil_shape::cross};
  CAPTURE(staged, reversed);

  auto run = [&](auto rank_tag, const auto& given) {
    constexpr int R = decltype(rank_tag)::value;
    const auto dims = process_grid<R>(comm.size(), reversed);
    // Weights 1 : 2 : ... : d over d ranks give the first block n / (d (d +
    // 1) / 2) cells: at least the halo (2) needs n >= d (d + 1), which the
    // given extents hold up to 4 ranks.
    auto n = given;
    for (int d = 0; d < R; ++d) n[d] = std::max<std::int64_t>(n[d], std::int64_t(dims[d]) * (dims[d] + 1));
    const auto field = random_vector<T>(volume<R>(n), 1600 + R);
    const auto layouts = redistribute_layouts<R>(n, dims, halo);
    for (const auto& [from_name, from] : layouts) {
      weft::distributed_grid<T, R, M> g(comm, from, opt);
      weft::scatter(comm.rank() == 0 ? field : std::vector<T>{}, g, 0);
      for (const auto& [to_name, to] : layouts) {
        CAPTURE(R, from_name, to_name);
        const auto y = weft::redistribute(g, to);
        CHECK(y.splits() == to);
        CHECK(y.dims() == g.dims());
        CHECK(y.halo_width() == halo);
        CHECK(y.options().periodic == opt.periodic);
        CHECK(y.options().shape == opt.shape);
        CHECK(y.comm().native() == g.comm().native());  // g's communicator: none made
        CHECK_FALSE(y.layout().is(g.layout()));
        CHECK_FALSE(y.same_data(g));
        // Each rank's block, read back point by point, and the whole field.
        auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y.local());
        int wrong = 0;
        if constexpr (R == 2) {
          for (std::int64_t i = 0; i < y.local_extent(0); ++i)
            for (std::int64_t j = 0; j < y.local_extent(1); ++j)
              wrong += host(i, j) != field[linear<2>(n, {y.offset(0) + i, y.offset(1) + j})];
        } else {
          for (std::int64_t i = 0; i < y.local_extent(0); ++i)
            for (std::int64_t j = 0; j < y.local_extent(1); ++j)
              for (std::int64_t k = 0; k < y.local_extent(2); ++k)
                wrong += host(i, j, k) != field[linear<3>(n, {y.offset(0) + i, y.offset(1) + j, y.offset(2) + k})];
        }
        CHECK(wrong == 0);
        const auto back = weft::gather(y, 0);
        if (comm.rank() == 0) CHECK(back == field);
      }
      // The result is a grid like any other: its halo exchange works.
      if constexpr (std::is_same_v<T, float>) {
        const auto y = weft::redistribute(g, layouts.back().splits);
        y.exchange_halo(weft::constant{0.5f});
        CHECK(wrong_halo_cells(y, field, bc_kind::constant, 0.5) == 0);
      }
    }
  };
  run(std::integral_constant<int, 2>{}, ext<2>{23, 29});
  run(std::integral_constant<int, 3>{}, ext<3>{13, 11, 14});
}

TEST_CASE("redistribute of grids rejects other process grids and sizes on every rank",
          "[weighted][grid][movement][errors][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  weft::distributed_grid<double, 2> g(comm, {weft::partition::block(4 * size, size), weft::partition::block(5, 1)});
  const auto one = weft::partition::block(5, 1);
  REQUIRE_THROWS_AS(weft::redistribute(g, {weft::partition::block(4 * size + 1, size), one}), weft::error);
  CHECK_THROWS_WITH(weft::redistribute(g, {weft::partition::block(4 * size + 1, size), one}),
                    ContainsSubstring("weft::redistribute: the new split of dimension 0 covers " +
                                      std::to_string(4 * size + 1) + " points, the grid " + std::to_string(4 * size)));
  REQUIRE_THROWS_AS(weft::redistribute(g, {weft::partition::block(4 * size, size), weft::partition::block(5, 2)}),
                    weft::error);
  CHECK_THROWS_WITH(weft::redistribute(g, {weft::partition::block(4 * size, size), weft::partition::block(5, 2)}),
                    ContainsSubstring("the new split of dimension 1 has 2 blocks but the grid has 1"));
  if (size > 1) {
    // Only one rank asks for other blocks: every rank throws.
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(size), 4);
    if (comm.rank() == 0) {
      sizes[0] = 3;
      sizes[1] = 5;
    }
    REQUIRE_THROWS_AS(weft::redistribute(g, {weft::partition::from_sizes(sizes), one}), weft::error);
    // ... and one rank's new split is too thin for the halo: every rank throws.
    std::vector<std::int64_t> thin(static_cast<std::size_t>(size), 4);
    thin[0] = 0;
    thin[1] = 8;
    REQUIRE_THROWS_AS(weft::redistribute(g, {weft::partition::from_sizes(thin), one}), weft::error);
  }
  // A layout on the same process grid with other splits: its checks.
  CHECK_THROWS_WITH(g.layout().with_splits({weft::partition::block(4 * size, size), weft::partition::block(5, 2)}),
                    ContainsSubstring("split 1 has 2 blocks but the process grid has 1"));
  const auto same = g.layout().with_splits(g.splits());
  CHECK(same.same_layout(g.layout()));
  CHECK(same.comm().native() == g.comm().native());
  CHECK(weft::reduce(g, 1.0) == 1.0);  // still in step
}

TEST_CASE("weighted_splits balances speeds that factor, up to whole cells", "[weighted][grid][distributed]") {
  SECTION("2-D, 2 x 3: rows 1 : 3, columns 1 : 2 : 0.5") {
    const std::array<int, 2> dims{2, 3};
    const std::vector<double> u{1, 3}, v{1, 2, 0.5};
    std::vector<double> w;
    for (double a : u)
      for (double b : v) w.push_back(a * b);
    const ext<2> n{1000, 1000};
    const auto s = weft::weighted_splits<2>(n, dims, w);
    CHECK(weft::split_efficiency(s, w) >= 0.98);
    // Each rank's volume is its share of the total, within a cell per dimension.
    double total = 0;
    for (double x : w) total += x;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) {
        CAPTURE(i, j);
        const double a = double(s[0].local_size(i)), b = double(s[1].local_size(j));
        const double ideal = 1e6 * w[i * 3 + j] / total;
        CHECK(std::abs(a * b - ideal) <= (a + 1) * (b + 1) - a * b);
      }
    // The same blocks as dimension by dimension proportional splits.
    CHECK(s[0] == weft::partition::weighted(n[0], u));
  }
  SECTION("3-D, 2 x 2 x 3") {
    const std::array<int, 3> dims{2, 2, 3};
    const std::vector<double> u{1, 2}, v{3, 1}, x{1, 1.5, 0.7};
    std::vector<double> w;
    for (double a : u)
      for (double b : v)
        for (double c : x) w.push_back(a * b * c);
    const auto s = weft::weighted_splits<3>({1000, 1000, 1000}, dims, w);
    CHECK(weft::split_efficiency(s, w) >= 0.98);
    double total = 0;
    for (double y : w) total += y;
    for (int r = 0; r < 12; ++r) {
      const double a = double(s[0].local_size(r / 6)), b = double(s[1].local_size(r / 3 % 2)),
                   c = double(s[2].local_size(r % 3));
      CHECK(std::abs(a * b * c - 1e9 * w[r] / total) <= (a + 1) * (b + 1) * (c + 1) - a * b * c);
    }
  }
  SECTION("a process grid of one row: the 1-D weighted partition") {
    // Shares within a cell of the weights', and at least as fast as
    // partition::weighted's largest remainders.
    const std::vector<double> w{0.25, 1, 1, 3};
    const auto s = weft::weighted_splits<2>({1000, 17}, {4, 1}, w);
    for (int i = 0; i < 4; ++i) CHECK(std::abs(double(s[0].local_size(i)) - 1000 * w[i] / 5.25) < 1);
    CHECK(s[1] == weft::partition::block(17, 1));
    const std::array<weft::partition, 2> by_remainder{weft::partition::weighted(1000, w), weft::partition::block(17, 1)};
    CHECK(weft::split_efficiency(s, w) >= weft::split_efficiency(by_remainder, w));
    CHECK(weft::split_efficiency(s, w) >= 0.99);
  }
}

TEST_CASE("weighted_splits of equal weights are even blocks", "[weighted][grid][distributed]") {
  for (const auto& dims : {std::array<int, 2>{1, 1}, {2, 1}, {3, 2}, {2, 2}, {4, 3}, {1, 7}}) {
    for (const auto& n : {ext<2>{7, 7}, ext<2>{1000, 999}, ext<2>{13, 8}}) {
      CAPTURE(dims[0], dims[1], n[0], n[1]);
      const auto s = weft::weighted_splits<2>(n, dims, std::vector<double>(std::size_t(dims[0] * dims[1]), 2.5));
      CHECK(s[0] == weft::partition::block(n[0], dims[0]));
      CHECK(s[1] == weft::partition::block(n[1], dims[1]));
    }
  }
  const auto s = weft::weighted_splits<3>({10, 11, 12}, {2, 3, 2}, std::vector<double>(12, 1.0));
  for (int d = 0; d < 3; ++d) CHECK(s[d] == weft::partition::block(10 + d, d == 1 ? 3 : 2));
  CHECK(weft::split_efficiency(s, std::vector<double>(12, 1.0)) == Catch::Approx(10.0 * 11 * 12 / 12 / (5 * 4 * 6)));
}

TEST_CASE("weighted_splits with one slow rank: what a Cartesian split can reach",
          "[weighted][grid][distributed]") {
  // One rank at a quarter of the others' speed. Along a line of ranks a
  // split balances it; in a 2 x 2 grid it shares its row with one fast rank
  // and its column with another: the best split thins its row to 1/5 and
  // keeps the columns even, reaching 10/13 = 0.769 of a perfect balance
  // (the worst rank's time is 0.4 of the whole against 1/3.25). In 2 x 2 x 2
  // the best is 20/29 = 0.690 (its layer thinned to 1/5).
  SECTION("a line of four ranks") {
    const std::vector<double> w{1, 1, 0.25, 1};
    CHECK(weft::split_efficiency(weft::weighted_splits<2>({1000, 1000}, {4, 1}, w), w) >= 0.99);
    CHECK(weft::split_efficiency(weft::weighted_splits<2>({1000, 1000}, {1, 4}, w), w) >= 0.99);
  }
  SECTION("2 x 2") {
    for (int slow = 0; slow < 4; ++slow) {
      std::vector<double> w(4, 1.0);
      w[static_cast<std::size_t>(slow)] = 0.25;
      CAPTURE(slow);
      const auto s = weft::weighted_splits<2>({1000, 1000}, {2, 2}, w);
      CHECK(weft::split_efficiency(s, w) == Catch::Approx(10.0 / 13).epsilon(1e-6));
      // Even blocks: the slow rank takes 4 times as long as the others, 4/13 of a perfect balance.
      const std::array<weft::partition, 2> even{weft::partition::block(1000, 2), weft::partition::block(1000, 2)};
      CHECK(weft::split_efficiency(even, w) == Catch::Approx(4.0 / 13));
      for (const auto& n : {ext<2>{40, 40}, ext<2>{41, 37}, ext<2>{12, 30}}) {
        CAPTURE(n[0], n[1]);
        const double best = brute_force_efficiency<2>(n, w);
        const double got = weft::split_efficiency(weft::weighted_splits<2>(n, {2, 2}, w), w);
        CHECK(got >= best - 0.02);
        CHECK(got <= best + 1e-12);
      }
    }
  }
  SECTION("2 x 2 x 2") {
    std::vector<double> w(8, 1.0);
    w[5] = 0.25;
    CHECK(weft::split_efficiency(weft::weighted_splits<3>({1000, 1000, 1000}, {2, 2, 2}, w), w) ==
          Catch::Approx(20.0 / 29).epsilon(1e-3));
    for (const auto& n : {ext<3>{12, 12, 12}, ext<3>{9, 14, 11}}) {
      const double best = brute_force_efficiency<3>(n, w);
      const double got = weft::split_efficiency(weft::weighted_splits<3>(n, {2, 2, 2}, w), w);
      CHECK(got >= best - 0.02);
      CHECK(got <= best + 1e-12);
    }
  }
}

TEST_CASE("weighted_splits keeps min_block, is deterministic, and builds grids on every rank",
          "[weighted][grid][distributed]") {
  // A nearly idle rank would get almost nothing: min_block holds it up.
  const std::vector<double> w{1e-4, 1, 1, 1, 2, 1};
  for (const std::int64_t min_block : {0, 1, 3, 5}) {
    CAPTURE(min_block);
    const auto s = weft::weighted_splits<2>({60, 100}, {3, 2}, w, min_block);
    for (int d = 0; d < 2; ++d) {
      CHECK(s[d].global_size() == (d == 0 ? 60 : 100));
      for (int i = 0; i < s[d].ranks(); ++i) CHECK(s[d].local_size(i) >= min_block);
    }
    CHECK(s == weft::weighted_splits<2>({60, 100}, {3, 2}, w, min_block));  // the same again
  }
  // Exactly dims x min_block cells: every block min_block wide.
  const auto tight = weft::weighted_splits<2>({9, 6}, {3, 2}, w, 3);
  CHECK(tight[0] == weft::partition::block(9, 3));
  CHECK(tight[1] == weft::partition::block(6, 2));

  // Every rank computes the same splits: the grid, which compares them
  // exactly across ranks, accepts them.
  weft::communicator comm(MPI_COMM_WORLD);
  const auto dims = process_grid<3>(comm.size(), false);
  std::vector<double> speeds(static_cast<std::size_t>(comm.size()));
  for (int r = 0; r < comm.size(); ++r) speeds[static_cast<std::size_t>(r)] = 1.0 + 0.37 * r * r;
  const auto splits = weft::weighted_splits<3>({31, 17, 5}, dims, speeds, 2);
  weft::distributed_grid<double, 3> g(comm, splits, {.halo = 2});
  CHECK(g.splits() == splits);
  CHECK(weft::split_efficiency(g.splits(), speeds) > 0);
}

TEST_CASE("weighted_splits and split_efficiency reject bad input", "[weighted][grid][errors][distributed]") {
  const std::vector<double> four(4, 1.0);
  CHECK_THROWS_WITH(weft::weighted_splits<2>({10, 10}, {2, 2}, std::vector<double>(3, 1.0)),
                    ContainsSubstring("weft::weighted_splits: 3 rank weights for a process grid of 4 ranks"));
  CHECK_THROWS_WITH(weft::weighted_splits<2>({10, 10}, {2, 2}, {1, 0, 1, 1}),
                    ContainsSubstring("weight 0 of rank 1 is not positive and finite"));
  CHECK_THROWS_WITH(weft::weighted_splits<2>({10, 10}, {2, 2}, {1, 1, NAN, 1}),
                    ContainsSubstring("of rank 2 is not positive and finite"));
  CHECK_THROWS_WITH(weft::weighted_splits<2>({10, 10}, {0, 2}, four), ContainsSubstring("is not positive"));
  CHECK_THROWS_WITH(weft::weighted_splits<2>({10, 10}, {2, 2}, four, -1), ContainsSubstring("negative min_block"));
  CHECK_THROWS_WITH(weft::weighted_splits<2>({10, 7}, {2, 2}, four, 4),
                    ContainsSubstring("extent 7 in dimension 1 cannot hold 2 blocks of at least 4 cells"));
  CHECK_THROWS_WITH(weft::weighted_splits<2>({-1, 7}, {2, 2}, four), ContainsSubstring("negative extent -1"));
  const std::array<weft::partition, 2> s{weft::partition::block(10, 2), weft::partition::block(10, 2)};
  CHECK_THROWS_WITH(weft::split_efficiency(s, std::vector<double>(5, 1.0)),
                    ContainsSubstring("weft::split_efficiency: 5 rank weights for a process grid of 4 ranks"));
  CHECK_THROWS_AS(weft::split_efficiency(s, {1, 1, -1, 1}), weft::error);
}
