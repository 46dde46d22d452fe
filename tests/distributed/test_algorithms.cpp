// The algorithms on distributed vectors against sequential references on the
// global data, under block, weighted (with zero weights) and explicit
// partitions, at 1 to 4 ranks.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "affine.hpp"
#include "data.hpp"
#include "distributed.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

using namespace weft_test;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 3, 7, 1000, 100003)

namespace {
// Stencil functions as functors with a templated call operator, not generic
// KOKKOS_LAMBDAs, which nvcc rejects: this file builds for CUDA too.

// 0.125 i + sum over |d| <= r of weights(d + r) x_{i+d}.
template <class Weights>
struct weighted_1d {
  Weights weights;
  int r;
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    double s = 0.125 * nb.index();
    for (int d = -r; d <= r; ++d) s += weights(d + r) * nb(d);
    return s;
  }
};

// The same behind a call operator taking only the named neighbourhood type
// (what a non-generic lambda gives weft).
template <class Neighbourhood, class Weights>
struct weighted_1d_named {
  weighted_1d<Weights> f;
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const { return f(nb); }
};

struct centre_1d {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(0);
  }
};

struct wide_1d {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(-2) + nb(2);
  }
};
}  // namespace

TEMPLATE_LIST_TEST_CASE("distributed map algorithms", "[algorithms][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto a = random_vector<double>(n, 300 + n);
  const auto b = random_vector<double>(n, 301 + n);
  const Exec exec{};
  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, n);
    auto x = make_vector<double, M>(comm, p, a);
    auto y = make_vector<double, M>(comm, p, b);
    weft::distributed_vector<double, M> z(comm, p);

    weft::transform(exec, x, y, z, KOKKOS_LAMBDA(double u, double v) { return u + 2 * v; });
    std::vector<double> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = a[i] + 2 * b[i];
    CHECK(everything(z) == expected);

    weft::transform(exec, x, z, KOKKOS_LAMBDA(double u) { return -u; });
    for (std::int64_t i = 0; i < n; ++i) expected[i] = -a[i];
    CHECK(everything(z) == expected);

    weft::for_each(exec, z, KOKKOS_LAMBDA(double& u) { u *= 3; });
    for (auto& e : expected) e *= 3;
    CHECK(everything(z) == expected);

    weft::for_each_index(exec, z, KOKKOS_LAMBDA(std::int64_t i, double& u) { u = u + 1000.0 * i; });
    for (std::int64_t i = 0; i < n; ++i) expected[i] += 1000.0 * i;
    CHECK(everything(z) == expected);

    weft::copy(exec, y, z);
    CHECK(everything(z) == b);
    weft::fill(exec, z, 4.5);
    CHECK(everything(z) == std::vector<double>(n, 4.5));
    weft::iota(z, 10.0);  // default space of the vector
    for (std::int64_t i = 0; i < n; ++i) expected[i] = 10.0 + i;
    CHECK(everything(z) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("distributed reductions equal the sequential ones on every rank",
                        "[algorithms][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto a = random_vector<double>(n, 400 + n);
  const auto b = random_vector<double>(n, 401 + n);
  auto ints = random_vector<std::int64_t>(n, 402 + n);
  if (n > 4) ints[n - 1] = *std::max_element(ints.begin(), ints.end());  // a tie, later
  const Exec exec{};

  long double sum = 0, dot = 0, mag = 0, dot_mag = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    sum += a[i];
    mag += std::abs(a[i]);
    dot += static_cast<long double>(a[i]) * b[i];
    dot_mag += std::abs(static_cast<long double>(a[i]) * b[i]);
  }
  const std::int64_t int_sum = std::accumulate(ints.begin(), ints.end(), std::int64_t{0});

  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, n);
    auto x = make_vector<double, M>(comm, p, a);
    auto y = make_vector<double, M>(comm, p, b);
    auto k = make_vector<std::int64_t, M>(comm, p, ints);

    const double s = weft::reduce(exec, x);
    CHECK(std::abs(s - static_cast<double>(sum)) <= sum_tolerance<double>(n, static_cast<double>(mag)));
    const double d = weft::transform_reduce(exec, x, y, 0.0, weft::plus{}, weft::multiplies{});
    CHECK(std::abs(d - static_cast<double>(dot)) <= sum_tolerance<double>(n, static_cast<double>(dot_mag)));
    // Identical on every rank, to the bit.
    const auto all_d = weft::detail::all_gather_value(comm, d, "test");
    CHECK(std::all_of(all_d.begin(), all_d.end(), [&](double v) { return v == d; }));

    CHECK(weft::reduce(exec, k) == int_sum);
    CHECK(weft::reduce(k, std::int64_t{5}) == int_sum + 5);
    // A user lambda (no known identity) and weft::maximum.
    const std::int64_t lo = std::numeric_limits<std::int64_t>::lowest();
    const std::int64_t expected_max = n ? *std::max_element(ints.begin(), ints.end()) : lo;
    CHECK(weft::reduce(exec, k, lo, KOKKOS_LAMBDA(std::int64_t u, std::int64_t v) { return u < v ? v : u; }) ==
          expected_max);
    CHECK(weft::reduce(exec, k, lo, weft::maximum{}) == expected_max);
    CHECK(weft::transform_reduce(exec, k, std::int64_t{0}, weft::plus{},
                                 KOKKOS_LAMBDA(std::int64_t v) { return v * v; }) ==
          std::transform_reduce(ints.begin(), ints.end(), std::int64_t{0}, std::plus<>{},
                                [](std::int64_t v) { return v * v; }));

    if (n > 0) {
      const auto min_it = std::min_element(ints.begin(), ints.end());
      const auto max_it = std::max_element(ints.begin(), ints.end());
      const auto lo_loc = weft::min_loc(exec, k);
      const auto hi_loc = weft::max_loc(k);
      CHECK(lo_loc.value == *min_it);
      CHECK(lo_loc.index == min_it - ints.begin());
      CHECK(hi_loc.value == *max_it);
      CHECK(hi_loc.index == max_it - ints.begin());
    } else {
      CHECK_THROWS_WITH(weft::min_loc(exec, k), "weft::min_loc: empty input (0 elements) has no minimum");
      CHECK_THROWS_AS(weft::max_loc(exec, k), weft::error);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("distributed scans carry the prefix across ranks", "[algorithms][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto ints = random_vector<std::int64_t>(n, 500 + n);
  std::vector<affine> maps(n);
  std::mt19937_64 engine(501 + n);
  for (auto& f : maps) f = {engine() | 1, engine()};
  const Exec exec{};

  std::vector<std::int64_t> inclusive(n), exclusive(n), squares(n);
  std::inclusive_scan(ints.begin(), ints.end(), inclusive.begin());
  std::exclusive_scan(ints.begin(), ints.end(), exclusive.begin(), std::int64_t{-3});
  std::transform_inclusive_scan(ints.begin(), ints.end(), squares.begin(), std::plus<>{},
                                [](std::int64_t v) { return v * v; });
  std::vector<affine> composed(n), composed_ex(n);
  std::inclusive_scan(maps.begin(), maps.end(), composed.begin(), then{});
  const affine init{5, 7};
  std::exclusive_scan(maps.begin(), maps.end(), composed_ex.begin(), init, then{});

  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, n);
    auto x = make_vector<std::int64_t, M>(comm, p, ints);
    weft::distributed_vector<std::int64_t, M> y(comm, p);

    CHECK(weft::inclusive_scan(exec, x, y) == (n ? inclusive.back() : 0));
    CHECK(everything(y) == inclusive);
    CHECK(weft::exclusive_scan(exec, x, y, std::int64_t{-3}) ==
          -3 + std::accumulate(ints.begin(), ints.end(), std::int64_t{0}));
    CHECK(everything(y) == exclusive);
    auto square = KOKKOS_LAMBDA(std::int64_t v) { return v * v; };
    CHECK(weft::transform_inclusive_scan(exec, x, y, weft::plus{}, square) == (n ? squares.back() : 0));
    CHECK(everything(y) == squares);
    weft::transform_exclusive_scan(exec, x, y, std::int64_t{0}, weft::plus{}, square);
    std::vector<std::int64_t> squares_ex(n, 0);
    for (std::int64_t i = 1; i < n; ++i) squares_ex[i] = squares[i - 1];
    CHECK(everything(y) == squares_ex);
    // In place.
    weft::inclusive_scan(x, x);
    CHECK(everything(x) == inclusive);

    // Order across ranks matters for a non-commutative op.
    auto f = make_vector<affine, M>(comm, p, maps);
    weft::distributed_vector<affine, M> g(comm, p);
    const affine total = weft::inclusive_scan(exec, f, g, then{});
    CHECK(everything(g) == composed);
    if (n) CHECK(total == composed.back());
    const affine ex_total = weft::exclusive_scan(exec, f, g, init, then{});
    CHECK(everything(g) == composed_ex);
    CHECK(ex_total == (n ? then{}(init, composed.back()) : init));
  }
}

namespace {
// Sequential 1-D stencil reference: weights w[d + r] on x_{i+d}, plus i/8.
template <class Boundary>
std::vector<double> reference_stencil(const std::vector<double>& x, int r, const Boundary&, double constant,
                                      const std::vector<double>& w, std::vector<double> out) {
  const std::int64_t n = static_cast<std::int64_t>(x.size());
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<Boundary, weft::interior_only>) {
      if (i < r || i >= n - r) continue;
    }
    double s = 0.125 * i;
    for (int d = -r; d <= r; ++d) {
      std::int64_t j = i + d;
      double v;
      if (j >= 0 && j < n) v = x[j];
      else if constexpr (std::is_same_v<Boundary, weft::periodic>) v = x[((j % n) + n) % n];
      else if constexpr (std::is_same_v<Boundary, weft::clamp>) v = x[j < 0 ? 0 : n - 1];
      else v = constant;
      s += w[d + r] * v;
    }
    out[i] = s;
  }
  return out;
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("the distributed 1-D stencil equals the sequential one", "[stencil][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 3, 7, 1000);
  const int r = GENERATE(0, 1, 3);
  const int extra_ghosts = GENERATE(0, 2);
  const auto a = random_vector<double>(n, 600 + n);
  const auto before = random_vector<double>(n, 601 + n);
  std::vector<double> w(2 * r + 1);
  for (int d = -r; d <= r; ++d) w[d + r] = 1.0 + 0.37 * d + 0.05 * d * d;  // asymmetric
  Kokkos::View<double*, M> weights("weights", w.size());
  Kokkos::deep_copy(weights, Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                                 w.data(), w.size()));
  const weighted_1d<decltype(weights)> f{weights, r};

  auto run = [&](const auto& bc, double constant) {
    using boundary_type = std::remove_cvref_t<decltype(bc)>;
    using named_type = typename weft::distributed_vector<double, M>::template neighbourhood<boundary_type>;
    for (const auto& [name, p] : test_partitions(n, comm.size())) {
      for (const bool named : {false, true}) {
        CAPTURE(name, n, r, extra_ghosts, named);
        if constexpr (std::is_same_v<boundary_type, weft::periodic>) {
          if (n > 0 && r > n) continue;  // rejected; tested below
        }
        auto x = make_vector<double, M>(comm, p, a, r + extra_ghosts);
        auto y = make_vector<double, M>(comm, p, before);
        if (named) weft::stencil(Exec{}, x, y, r, bc, weighted_1d_named<named_type, decltype(weights)>{f});
        else weft::stencil(Exec{}, x, y, r, bc, f);
        const auto expected = reference_stencil(a, r, bc, constant, w, before);
        const auto got = everything(y);
        REQUIRE(got.size() == expected.size());
        int wrong = 0;
        for (std::int64_t i = 0; i < n; ++i)
          if (std::abs(got[i] - expected[i]) > 1e-12 * (1 + std::abs(expected[i])) && wrong++ < 3)
            UNSCOPED_INFO("global " << i << ": got " << got[i] << ", expected " << expected[i]);
        CHECK(wrong == 0);
      }
    }
  };
  SECTION("periodic") { run(weft::periodic{}, 0); }
  SECTION("constant") { run(weft::constant{-2.5}, -2.5); }
  SECTION("clamp") { run(weft::clamp{}, 0); }
  SECTION("interior_only") { run(weft::interior_only{}, 0); }
}

TEST_CASE("distributed algorithms reject bad input on every rank", "[errors][distributed]") {
  using Catch::Matchers::ContainsSubstring;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  weft::distributed_vector<double> x(comm, weft::partition::block(20, size), weft::halo{1});
  weft::distributed_vector<double> y(comm, weft::partition::weighted(20, std::vector<double>(size, 1.0)));
  weft::distributed_vector<double> z(comm, weft::partition::from_sizes([&] {
                                       std::vector<std::int64_t> s(size, 0);
                                       s[size - 1] = 20;
                                       return s;
                                     }()));
  auto id = KOKKOS_LAMBDA(double v) { return v; };
  const centre_1d centre;
  const wide_1d wide;
  CHECK_NOTHROW(weft::transform(x, y, id));  // equal partitions (block == weighted 1:1)
  if (size > 1) {
    CHECK_THROWS_WITH(weft::transform(x, z, id), ContainsSubstring("weft::transform: vectors are partitioned differently"));
    CHECK_THROWS_AS(weft::transform_reduce(x, z, 0.0, weft::plus{}, weft::multiplies{}), weft::error);
    CHECK_THROWS_AS(weft::inclusive_scan(x, z), weft::error);
    CHECK_THROWS_AS(weft::stencil(x, z, 1, weft::periodic{}, centre), weft::error);
  }
  CHECK_THROWS_WITH(weft::stencil(x, y, 2, weft::periodic{}, wide),
                    ContainsSubstring("radius 2 needs 2 ghost cells but the input has 1"));
  CHECK_THROWS_WITH(weft::stencil(x, x, 1, weft::periodic{}, centre), ContainsSubstring("same vector"));
  CHECK_THROWS_WITH(weft::stencil(x, y, -1, weft::periodic{}, centre), ContainsSubstring("negative radius -1"));
  weft::distributed_vector<double> tiny(comm, weft::partition::block(2, size), weft::halo{3});
  weft::distributed_vector<double> tiny_out(comm, 2);
  CHECK_THROWS_WITH(weft::stencil(tiny, tiny_out, 3, weft::periodic{}, centre),
                    ContainsSubstring("periodic radius 3 is wider than extent 2"));
  // Still in step: a collective after the errors completes on every rank.
  CHECK(weft::reduce(x, 1.0) == 1.0);
}
