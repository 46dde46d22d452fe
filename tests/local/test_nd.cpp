// The map and reduction families on 2-D and 3-D views, against sequential
// references, on LayoutRight, LayoutLeft and strided views of the same
// values: for_each, for_each_index, transform (unary and binary), fill,
// copy, reduce, transform_reduce (unary and binary), min_loc and max_loc.
#include <weft/for_each.hpp>
#include <weft/reduce.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "spaces.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

using namespace weft_test;

namespace {

using extents3 = std::array<std::int64_t, 3>;

enum class layout_kind { right, left, strided };
const char* name_of(layout_kind k) {
  return k == layout_kind::right ? "LayoutRight" : (k == layout_kind::left ? "LayoutLeft" : "strided");
}

// A view of rank R with extents n (the first R of them) in the given
// layout, as a LayoutStride view so one type covers all three. The strided
// kind is one component of a LayoutRight array of pairs.
template <class T, int R, class M>
using any_view = Kokkos::View<typename std::conditional_t<R == 2, T**, T***>, Kokkos::LayoutStride, M>;

template <class T, int R, class M>
any_view<T, R, M> make(layout_kind kind, const extents3& n, const std::string& label) {
  if constexpr (R == 2) {
    if (kind == layout_kind::right) return Kokkos::View<T**, Kokkos::LayoutRight, M>(label, n[0], n[1]);
    if (kind == layout_kind::left) return Kokkos::View<T**, Kokkos::LayoutLeft, M>(label, n[0], n[1]);
    Kokkos::View<T***, Kokkos::LayoutRight, M> big(label, n[0], n[1], 2);
    return Kokkos::subview(big, Kokkos::ALL, Kokkos::ALL, 1);
  } else {
    if (kind == layout_kind::right) return Kokkos::View<T***, Kokkos::LayoutRight, M>(label, n[0], n[1], n[2]);
    if (kind == layout_kind::left) return Kokkos::View<T***, Kokkos::LayoutLeft, M>(label, n[0], n[1], n[2]);
    Kokkos::View<T****, Kokkos::LayoutRight, M> big(label, n[0], n[1], n[2], 2);
    return Kokkos::subview(big, Kokkos::ALL, Kokkos::ALL, Kokkos::ALL, 1);
  }
}

template <int R>
std::int64_t volume(const extents3& n) {
  std::int64_t v = 1;
  for (int d = 0; d < R; ++d) v *= n[d];
  return v;
}

// Row-major position of (i, j[, k]).
template <int R>
std::int64_t linear(const extents3& n, std::int64_t i, std::int64_t j, std::int64_t k) {
  return R == 2 ? i * n[1] + j : (i * n[1] + j) * n[2] + k;
}

template <class V>
void upload(const V& v, const std::vector<typename V::non_const_value_type>& data, const extents3& n) {
  constexpr int R = V::rank;
  auto host = Kokkos::create_mirror_view(v);
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t k = 0; k < (R == 2 ? 1 : n[2]); ++k) {
        if constexpr (R == 2) host(i, j) = data[linear<2>(n, i, j, 0)];
        else host(i, j, k) = data[linear<3>(n, i, j, k)];
      }
  Kokkos::deep_copy(v, host);
}

template <class V>
std::vector<typename V::non_const_value_type> download(const V& v, const extents3& n) {
  constexpr int R = V::rank;
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  std::vector<typename V::non_const_value_type> out(volume<R>(n));
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t k = 0; k < (R == 2 ? 1 : n[2]); ++k) {
        if constexpr (R == 2) out[linear<2>(n, i, j, 0)] = host(i, j);
        else out[linear<3>(n, i, j, k)] = host(i, j, k);
      }
  return out;
}

template <int R>
extents3 shape_for(int which) {
  if constexpr (R == 2) {
    constexpr extents3 shapes[] = {{0, 5, 1}, {1, 1, 1}, {7, 13, 1}, {2, 9001, 1}, {1031, 1000, 1}};
    return shapes[which];
  } else {
    constexpr extents3 shapes[] = {{4, 0, 3}, {1, 1, 1}, {5, 7, 3}, {3, 2, 5003}, {67, 61, 59}};
    return shapes[which];
  }
}

template <class Exec, int R>
void check_maps(layout_kind kind, const extents3& n) {
  using M = typename Exec::memory_space;
  CAPTURE(name_of(kind), n[0], n[1], n[2], R);
  const Exec exec{};
  const std::int64_t size = volume<R>(n);
  const auto a = random_vector<double>(size, 100 + size);
  const auto b = random_vector<double>(size, 200 + size);
  auto va = make<double, R, M>(kind, n, "a");
  auto vb = make<double, R, M>(kind, n, "b");
  auto out = make<double, R, M>(kind, n, "out");
  upload(va, a, n);
  upload(vb, b, n);

  weft::for_each(exec, va, KOKKOS_LAMBDA(double& x) { x = 2 * x + 1; });
  std::vector<double> expected(size);
  for (std::int64_t p = 0; p < size; ++p) expected[p] = 2 * a[p] + 1;
  CHECK(download(va, n) == expected);
  upload(va, a, n);

  weft::transform(exec, va, out, KOKKOS_LAMBDA(double x) { return x * x; });
  for (std::int64_t p = 0; p < size; ++p) expected[p] = a[p] * a[p];
  CHECK(download(out, n) == expected);
  weft::transform(exec, va, vb, out, KOKKOS_LAMBDA(double x, double y) { return x - 3 * y; });
  for (std::int64_t p = 0; p < size; ++p) expected[p] = a[p] - 3 * b[p];
  CHECK(download(out, n) == expected);
  weft::transform(exec, out, out, KOKKOS_LAMBDA(double x) { return -x; });  // in place
  for (auto& x : expected) x = -x;
  CHECK(download(out, n) == expected);

  weft::fill(exec, out, 0.25);
  CHECK(download(out, n) == std::vector<double>(size, 0.25));
  // copy between layouts: from a LayoutRight view into this one.
  Kokkos::View<double***, Kokkos::LayoutRight, M> right3("right3", n[0], n[1], R == 3 ? n[2] : 1);
  if constexpr (R == 2) {
    auto right = Kokkos::subview(right3, Kokkos::ALL, Kokkos::ALL, 0);
    upload(right, b, n);
    weft::copy(exec, right, out);
  } else {
    upload(right3, b, n);
    weft::copy(exec, right3, out);
  }
  CHECK(download(out, n) == b);

  auto idx = make<std::int64_t, R, M>(kind, n, "idx");
  if constexpr (R == 2) {
    weft::for_each_index(exec, idx, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t& x) {
      x = i * 1000003 + j;
    });
  } else {
    weft::for_each_index(exec, idx, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t& x) {
      x = (i * 1009 + j) * 1013 + k;
    });
  }
  const auto got = download(idx, n);
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t k = 0; k < (R == 2 ? 1 : n[2]); ++k)
        wrong += got[linear<R>(n, i, j, k)] != (R == 2 ? i * 1000003 + j : (i * 1009 + j) * 1013 + k);
  CHECK(wrong == 0);
}

template <class Exec, int R>
void check_reductions(layout_kind kind, const extents3& n) {
  using M = typename Exec::memory_space;
  CAPTURE(name_of(kind), n[0], n[1], n[2], R);
  const Exec exec{};
  const std::int64_t size = volume<R>(n);
  // Integers: exact.
  const auto ints = random_vector<std::int64_t>(size, 300 + size);
  auto vi = make<std::int64_t, R, M>(kind, n, "ints");
  upload(vi, ints, n);
  std::int64_t sum = 0, squares = 0;
  for (auto x : ints) {
    sum += x;
    squares += x * x;
  }
  CHECK(weft::reduce(exec, vi) == sum);
  CHECK(weft::reduce(vi, std::int64_t{5}) == sum + 5);
  CHECK(weft::transform_reduce(exec, vi, std::int64_t{0}, weft::plus{},
                               KOKKOS_LAMBDA(std::int64_t x) { return x * x; }) == squares);
  CHECK(weft::transform_reduce(exec, vi, vi, std::int64_t{0}, weft::plus{}, weft::multiplies{}) == squares);
  // A user operation without an identity weft knows.
  if (size > 0) {
    const auto largest = *std::max_element(ints.begin(), ints.end());
    CHECK(weft::reduce(exec, vi, std::int64_t{-5000},
                       KOKKOS_LAMBDA(std::int64_t x, std::int64_t y) { return x < y ? y : x; }) == largest);
  }
  // min_loc / max_loc: the first in row-major order on ties.
  if (size > 0) {
    auto with_ties = ints;
    with_ties[size - 1] = *std::min_element(with_ties.begin(), with_ties.end());
    with_ties[size / 2] = *std::max_element(with_ties.begin(), with_ties.end());
    upload(vi, with_ties, n);
    const auto lo_it = std::min_element(with_ties.begin(), with_ties.end());
    const auto hi_it = std::max_element(with_ties.begin(), with_ties.end());
    const auto lo = weft::min_loc(exec, vi);
    const auto hi = weft::max_loc(vi);
    static_assert(std::is_same_v<decltype(lo.index), std::array<std::int64_t, R>>);
    CHECK(lo.value == *lo_it);
    CHECK(linear<R>(n, lo.index[0], lo.index[1], R == 3 ? lo.index[2] : 0) == lo_it - with_ties.begin());
    CHECK(hi.value == *hi_it);
    CHECK(linear<R>(n, hi.index[0], hi.index[1], R == 3 ? hi.index[2] : 0) == hi_it - with_ties.begin());
    // NaN wins, the first one in row-major order.
    std::vector<double> d(with_ties.begin(), with_ties.end());
    d[size - 1] = std::numeric_limits<double>::quiet_NaN();
    d[size / 3] = std::numeric_limits<double>::quiet_NaN();
    auto vd = make<double, R, M>(kind, n, "nan");
    upload(vd, d, n);
    const auto nan_lo = weft::min_loc(exec, vd);
    CHECK(std::isnan(nan_lo.value));
    CHECK(linear<R>(n, nan_lo.index[0], nan_lo.index[1], R == 3 ? nan_lo.index[2] : 0) == size / 3);
  } else {
    CHECK_THROWS_WITH(weft::min_loc(exec, vi), Catch::Matchers::ContainsSubstring("has no minimum"));
  }
  // Doubles: within the size-scaled tolerance of a long double sum.
  const auto a = random_vector<double>(size, 400 + size);
  auto va = make<double, R, M>(kind, n, "a");
  upload(va, a, n);
  long double ref = 0;
  for (double x : a) ref += x;
  CHECK(std::abs(weft::reduce(exec, va) - static_cast<double>(ref)) <=
        sum_tolerance<double>(size, total_magnitude(a)));
}

// The same values in LayoutRight, LayoutLeft and strided views reduce to
// the same bits: the order of the fold does not follow the layout.
template <class Exec, int R>
void check_layout_independence(const extents3& n) {
  using M = typename Exec::memory_space;
  CAPTURE(n[0], n[1], n[2], R);
  const Exec exec{};
  const auto a = random_vector<double>(volume<R>(n), 500);
  const auto b = random_vector<double>(volume<R>(n), 501);
  double sums[3], dots[3];
  for (const layout_kind kind : {layout_kind::right, layout_kind::left, layout_kind::strided}) {
    auto va = make<double, R, M>(kind, n, "a");
    auto vb = make<double, R, M>(kind, n, "b");
    upload(va, a, n);
    upload(vb, b, n);
    sums[int(kind)] = weft::reduce(exec, va);
    dots[int(kind)] = weft::transform_reduce(exec, va, vb, 0.0, weft::plus{}, weft::multiplies{});
  }
  CHECK(std::memcmp(&sums[0], &sums[1], sizeof(double)) == 0);
  CHECK(std::memcmp(&sums[0], &sums[2], sizeof(double)) == 0);
  CHECK(std::memcmp(&dots[0], &dots[1], sizeof(double)) == 0);
  CHECK(std::memcmp(&dots[0], &dots[2], sizeof(double)) == 0);
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("2-D and 3-D map algorithms on every layout", "[for_each][nd][local]", enabled_spaces) {
  using Exec = TestType;
  const int which = GENERATE(0, 1, 2, 3, 4);
  for (const layout_kind kind : {layout_kind::right, layout_kind::left, layout_kind::strided}) {
    check_maps<Exec, 2>(kind, shape_for<2>(which));
    check_maps<Exec, 3>(kind, shape_for<3>(which));
  }
}

TEMPLATE_LIST_TEST_CASE("2-D and 3-D reductions on every layout", "[reduce][nd][local]", enabled_spaces) {
  using Exec = TestType;
  const int which = GENERATE(0, 1, 2, 3, 4);
  for (const layout_kind kind : {layout_kind::right, layout_kind::left, layout_kind::strided}) {
    check_reductions<Exec, 2>(kind, shape_for<2>(which));
    check_reductions<Exec, 3>(kind, shape_for<3>(which));
  }
}

TEMPLATE_LIST_TEST_CASE("2-D and 3-D sums do not depend on the layout", "[reduce][nd][local]", enabled_spaces) {
  using Exec = TestType;
  check_layout_independence<Exec, 2>({1031, 1000, 1});
  check_layout_independence<Exec, 2>({3, 20011, 1});
  check_layout_independence<Exec, 3>({67, 61, 59});
  check_layout_independence<Exec, 3>({2, 3, 9001});
}

TEMPLATE_LIST_TEST_CASE("2-D and 3-D algorithms reject mismatched extents and overlap", "[for_each][nd][local]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  using Catch::Matchers::ContainsSubstring;
  const Exec exec{};
  Kokkos::View<double**, M> a("a", 7, 13), b("b", 13, 7);
  auto id = KOKKOS_LAMBDA(double x) { return x; };
  CHECK_THROWS_WITH(weft::transform(exec, a, b, id),
                    ContainsSubstring("weft::transform: input has extents 7 x 13, output 13 x 7"));
  CHECK_THROWS_WITH(weft::copy(exec, a, b), ContainsSubstring("source has extents 7 x 13, destination 13 x 7"));
  CHECK_THROWS_WITH(weft::transform_reduce(exec, a, b, 0.0, weft::plus{}, weft::multiplies{}),
                    ContainsSubstring("inputs have extents 7 x 13 and 13 x 7"));
  // Rows 0-5 against rows 1-6 of one array: shifted, they would race.
  Kokkos::View<double**, M> big("big", 7, 13);
  auto top = Kokkos::subview(big, std::pair<int, int>(0, 6), Kokkos::ALL);
  auto bottom = Kokkos::subview(big, std::pair<int, int>(1, 7), Kokkos::ALL);
  CHECK_THROWS_WITH(weft::transform(exec, top, bottom, id), ContainsSubstring("shares elements"));
  CHECK_THROWS_WITH(weft::copy(exec, top, bottom), ContainsSubstring("share elements"));
}
