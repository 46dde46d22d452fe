// The map family against sequential references: for_each, transform, fill, copy, iota.
#include <weft/for_each.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "spaces.hpp"

#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

using namespace weft_test;

using map_types = std::tuple<int, std::int64_t, float, double, vec2>;
using arithmetic_types = std::tuple<int, std::int64_t, float, double>;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1000, large_size)

TEMPLATE_LIST_TEST_CASE("for_each updates every element in place", "[for_each][local]",
                        on_every_space<map_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 1 + n);
  std::vector<T> expected = data;
  for (auto& x : expected) x = x + x;

  SECTION("contiguous view") {
    auto v = to_view<Exec>(data);
    weft::for_each(Exec{}, v, KOKKOS_LAMBDA(T & x) { x = x + x; });
    CHECK(to_vector(v) == expected);
  }
  SECTION("strided subview, default execution space of the view") {
    auto v = to_strided_view<Exec>(data);
    weft::for_each(v, KOKKOS_LAMBDA(T & x) { x = x + x; });
    CHECK(to_vector(v) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("transform applies unary and binary operations", "[for_each][local]",
                        on_every_space<map_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto a = random_vector<T>(n, 2 + n);
  const auto b = random_vector<T>(n, 3 + n);
  const Exec exec{};

  SECTION("unary, into another view") {
    auto in = to_view<Exec>(a);
    auto out = to_view<Exec>(b);
    weft::transform(exec, in, out, KOKKOS_LAMBDA(const T& x) { return x + x + x; });
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = a[i] + a[i] + a[i];
    CHECK(to_vector(out) == expected);
    CHECK(to_vector(in) == a);
  }
  SECTION("unary, in place on a strided view") {
    auto v = to_strided_view<Exec>(a);
    weft::transform(exec, v, v, KOKKOS_LAMBDA(const T& x) { return x + x; });
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = a[i] + a[i];
    CHECK(to_vector(v) == expected);
  }
  SECTION("binary") {
    auto in1 = to_view<Exec>(a);
    auto in2 = to_strided_view<Exec>(b);
    Kokkos::View<T*, typename Exec::memory_space> out("out", n);
    weft::transform(exec, in1, in2, out, KOKKOS_LAMBDA(const T& x, const T& y) { return x + y + y; });
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = a[i] + b[i] + b[i];
    CHECK(to_vector(out) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("fill, copy and iota", "[for_each][local]", on_every_space<arithmetic_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 4 + n);
  const Exec exec{};

  SECTION("fill") {
    auto v = to_strided_view<Exec>(data);
    weft::fill(exec, v, T(7));
    CHECK(to_vector(v) == std::vector<T>(n, T(7)));
  }
  SECTION("copy converts the value type and takes any layout") {
    auto src = to_strided_view<Exec>(data);
    Kokkos::View<double*, typename Exec::memory_space> dst("dst", n);
    weft::copy(exec, src, dst);
    std::vector<double> expected(data.begin(), data.end());
    CHECK(to_vector(dst) == expected);
  }
  SECTION("iota") {
    auto v = to_view<Exec>(data);
    weft::iota(exec, v, T(-3));
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = T(-3) + T(i);
    CHECK(to_vector(v) == expected);
  }
  SECTION("overloads without an instance run on the view's space") {
    auto v = to_view<Exec>(data);
    weft::fill(v, T(2));
    weft::iota(v, T(1));
    Kokkos::View<T*, typename Exec::memory_space> w("w", n);
    weft::copy(v, w);
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = T(1) + T(i);
    CHECK(to_vector(w) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("map algorithms reject mismatched extents before writing", "[for_each][local]",
                        enabled_spaces) {
  using Exec = TestType;
  const auto a = random_vector<double>(10, 5);
  const auto b = random_vector<double>(9, 6);
  auto in = to_view<Exec>(a);
  auto out = to_view<Exec>(b);
  auto twice = KOKKOS_LAMBDA(double x) { return 2 * x; };

  CHECK_THROWS_AS(weft::transform(Exec{}, in, out, twice), weft::error);
  CHECK_THROWS_WITH(weft::transform(Exec{}, in, out, twice),
                    "weft::transform: input has extents 10, output 9");
  CHECK_THROWS_AS(weft::transform(Exec{}, in, in, out, KOKKOS_LAMBDA(double x, double y) { return x + y; }),
                  weft::error);
  CHECK_THROWS_WITH(weft::copy(Exec{}, in, out), "weft::copy: source has extents 10, destination 9");
  CHECK(to_vector(out) == b);
  CHECK(to_vector(in) == a);
}

TEMPLATE_LIST_TEST_CASE("map algorithms refuse outputs that share elements with the input at other indices",
                        "[for_each][local]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  using Catch::Matchers::ContainsSubstring;
  const std::int64_t n = 1001;
  const auto data = random_vector<double>(n + 1, 8);
  auto all = to_view<Exec>(data);
  auto head = Kokkos::subview(all, std::pair<std::int64_t, std::int64_t>(0, n));
  auto tail = Kokkos::subview(all, std::pair<std::int64_t, std::int64_t>(1, n + 1));
  auto twice = KOKKOS_LAMBDA(double x) { return 2 * x; };
  auto add = KOKKOS_LAMBDA(double x, double y) { return x + y; };
  // Shifted by one element: out(i) is in(i + 1); a parallel loop would race.
  CHECK_THROWS_WITH(weft::transform(Exec{}, head, tail, twice), ContainsSubstring("shares elements with the input"));
  CHECK_THROWS_WITH(weft::copy(Exec{}, tail, head), ContainsSubstring("share elements at different indices"));
  Kokkos::View<double*, M> other("other", n);
  CHECK_THROWS_WITH(weft::transform(Exec{}, other, head, tail, add), ContainsSubstring("shares elements with an input"));
  CHECK(to_vector(all) == data);  // nothing written

  // The same view in place is fine, and so are interleaved views that share
  // no element although their address ranges overlap: the two components of
  // an array of pairs.
  weft::transform(Exec{}, head, head, twice);
  Kokkos::View<double* [2], Kokkos::LayoutRight, M> pairs("pairs", n);
  auto first = Kokkos::subview(pairs, Kokkos::ALL, 0);
  auto second = Kokkos::subview(pairs, Kokkos::ALL, 1);
  weft::iota(Exec{}, first, 1.0);
  weft::transform(Exec{}, first, second, twice);
  weft::transform(Exec{}, first, second, second, add);
  weft::copy(Exec{}, second, first);
  std::vector<double> expected(n);
  for (std::int64_t i = 0; i < n; ++i) expected[i] = 3.0 * (i + 1);
  CHECK(to_vector(first) == expected);
  CHECK(to_vector(second) == expected);
}

TEST_CASE("share_elements is exact for strided, padded and mixed-type views", "[for_each][local]") {
  using weft::detail::share_elements;
  Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> a("a", 12, 6);
  auto col = [&](int j) { return Kokkos::subview(a, Kokkos::ALL, j); };
  auto rows = [&](int b, int e) { return Kokkos::subview(a, std::pair<int, int>(b, e), Kokkos::ALL); };
  CHECK_FALSE(share_elements(col(0), col(1)));
  CHECK(share_elements(col(2), col(2)));
  CHECK_FALSE(share_elements(rows(0, 4), rows(4, 12)));
  CHECK(share_elements(rows(0, 5), rows(4, 12)));
  // Every other column against the columns between.
  auto even = Kokkos::subview(a, Kokkos::ALL, std::pair<int, int>(0, 6));
  Kokkos::View<double**, Kokkos::LayoutStride, Kokkos::HostSpace> evens(
      a.data(), Kokkos::LayoutStride(12, 6, 3, 2));
  Kokkos::View<double**, Kokkos::LayoutStride, Kokkos::HostSpace> odds(
      a.data() + 1, Kokkos::LayoutStride(12, 6, 3, 2));
  CHECK_FALSE(share_elements(evens, odds));
  CHECK(share_elements(evens, even));
  // A 2-D block against a column that crosses it, and one that does not.
  auto block = Kokkos::subview(a, std::pair<int, int>(2, 5), std::pair<int, int>(1, 3));
  CHECK(share_elements(block, col(2)));
  CHECK_FALSE(share_elements(block, col(4)));
  // Transposed views of one array share everything.
  Kokkos::View<double**, Kokkos::LayoutLeft, Kokkos::HostSpace> t(a.data(), 6, 12);
  CHECK(share_elements(a, t));
  // Bytes, not elements: a char view inside one double, and next to it.
  Kokkos::View<char*, Kokkos::HostSpace> inside(reinterpret_cast<char*>(a.data()) + 3, 2);
  Kokkos::View<char*, Kokkos::HostSpace> before(reinterpret_cast<char*>(a.data()) - 0, 0);
  CHECK(share_elements(inside, col(0)));
  CHECK_FALSE(share_elements(inside, col(1)));
  CHECK_FALSE(share_elements(before, col(0)));  // empty
  // A 3-D array of 3-vectors: component views of a grid of structs.
  Kokkos::View<float***, Kokkos::LayoutRight, Kokkos::HostSpace> g("g", 5, 7, 3);
  auto u = Kokkos::subview(g, Kokkos::ALL, Kokkos::ALL, 0);
  auto v = Kokkos::subview(g, Kokkos::ALL, Kokkos::ALL, 1);
  CHECK_FALSE(share_elements(u, v));
  CHECK(share_elements(u, Kokkos::subview(g, 4, Kokkos::ALL, Kokkos::ALL)));
}

TEMPLATE_LIST_TEST_CASE("fill converts its value to the view's type", "[for_each][local]", enabled_spaces) {
  using Exec = TestType;
  Kokkos::View<float*, typename Exec::memory_space> v("v", 5);
  weft::fill(Exec{}, v, 0.5);  // a double into floats: no narrowing error on any compiler
  CHECK(to_vector(v) == std::vector<float>(5, 0.5f));
}
