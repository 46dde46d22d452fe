// Stencils over several fields (weft::fields) against a sequential
// reference: one, two and three inputs and outputs of different value types
// (double, float, int), ranks 1 to 3, radii 1 and 2, every boundary; the
// named neighbourhood types; reading another field at the stencil's point;
// and the errors.
#include <weft/stencil.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "spaces.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

namespace fields_test {

using extents = std::array<std::int64_t, 3>;
enum class bc_kind { periodic, constant, clamp, interior_only };

template <class T, int R, class M>
using view_t = Kokkos::View<std::conditional_t<R == 1, T*, std::conditional_t<R == 2, T**, T***>>, M>;

template <class T, int R, class M>
view_t<T, R, M> make(const char* label, const extents& n) {
  if constexpr (R == 1) return view_t<T, R, M>(std::string(label), n[0]);
  else if constexpr (R == 2) return view_t<T, R, M>(std::string(label), n[0], n[1]);
  else return view_t<T, R, M>(std::string(label), n[0], n[1], n[2]);
}

template <class V>
void upload(const V& v, const std::vector<typename V::non_const_value_type>& data) {
  auto host = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < data.size(); ++i) host.data()[i] = data[i];
  Kokkos::deep_copy(v, host);
}

template <class V>
std::vector<typename V::non_const_value_type> download(const V& v) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  return std::vector<typename V::non_const_value_type>(host.data(), host.data() + host.size());
}

// Reads nb at an offset of any rank (the unused offsets are 0).
template <class Nb>
KOKKOS_INLINE_FUNCTION auto read(const Nb& nb, int a, int b, int c) {
  if constexpr (Nb::rank == 1) return nb(a);
  else if constexpr (Nb::rank == 2) return nb(a, b);
  else return nb(a, b, c);
}

KOKKOS_INLINE_FUNCTION double weight(int a, int b, int c) { return 1.0 + 0.5 * a - 0.25 * b + 0.125 * c + 0.01 * a * b; }

// The box sum of the first field, its product with the second at the centre
// (the term the outputs share), and a code of the point.
template <int R>
struct coupled {
  int r;
  template <class A>
  KOKKOS_INLINE_FUNCTION double box(const A& a) const {
    double s = 0;
    const int rb = R >= 2 ? r : 0, rc = R >= 3 ? r : 0;
    for (int i = -r; i <= r; ++i)
      for (int j = -rb; j <= rb; ++j)
        for (int k = -rc; k <= rc; ++k) s += weight(i, j, k) * read(a, i, j, k);
    return s;
  }
  template <class A>
  KOKKOS_INLINE_FUNCTION double code(const A& a) const {
    if constexpr (R == 1) return 0.001 * double(a.index());
    else return 0.001 * double(a.index()[0]) + 0.002 * double(a.index(R - 1));
  }
  // One field in, one out: a plain value.
  template <class A>
  KOKKOS_INLINE_FUNCTION double operator()(const A& a) const {
    return box(a) + code(a);
  }
  // Two in, two out.
  template <class A, class B>
  KOKKOS_INLINE_FUNCTION weft::values<double, float> operator()(const A& a, const B& b) const {
    const double shared = read(a, 0, 0, 0) * read(b, 0, 0, 0);
    return weft::values{box(a) + shared, static_cast<float>(read(b, 1, 0, 0) - read(b, -1, 0, 0) - shared)};
  }
  // Three in, three out.
  template <class A, class B, class C>
  KOKKOS_INLINE_FUNCTION auto operator()(const A& a, const B& b, const C& c) const {
    const double shared = read(a, 0, 0, 0) * read(b, 0, 0, 0);
    return weft::values{box(a) + shared + read(c, 0, 0, 0),
                        static_cast<float>(read(b, 1, 0, 0) - read(b, -1, 0, 0) - shared),
                        static_cast<int>(read(c, 0, 0, 0) * 3 + read(c, -1, 0, 0))};
  }
};

/// The stencil function with its neighbourhood types named (no template
/// operator()), as a KOKKOS_LAMBDA(const na&, const nb&) would be; a functor
/// because nvcc allows no device lambda inside the generic lambda that walks
/// the boundaries.
template <class F, class NA, class NB>
struct named_pair {
  F f;
  KOKKOS_INLINE_FUNCTION auto operator()(const NA& x, const NB& y) const { return f(x, y); }
};

// The reference: reads through the boundary rule (constants converted to
// each field's type), on row-major vectors.
template <class T>
T ref_read(int rank, const extents& n, const std::vector<T>& in, std::array<std::int64_t, 3> q, bc_kind kind,
           double constant) {
  for (int d = 0; d < rank; ++d) {
    if (q[d] >= 0 && q[d] < n[d]) continue;
    if (kind == bc_kind::periodic) q[d] = ((q[d] % n[d]) + n[d]) % n[d];
    else if (kind == bc_kind::clamp) q[d] = q[d] < 0 ? 0 : n[d] - 1;
    else return static_cast<T>(constant);
  }
  return in[(q[0] * n[1] + q[1]) * n[2] + q[2]];
}

struct reference {
  std::vector<double> o1;
  std::vector<float> o2;
  std::vector<int> o3;
};

inline reference compute(int rank, const extents& n, int r, bc_kind kind, double constant, int fields,
                         const std::vector<double>& a, const std::vector<float>& b, const std::vector<int>& c,
                         reference out) {
  const int rb = rank >= 2 ? r : 0, rc = rank >= 3 ? r : 0;
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t k = 0; k < n[2]; ++k) {
        const std::array<std::int64_t, 3> p{i, j, k};
        bool inside = true;
        for (int d = 0; d < rank; ++d) inside = inside && p[d] >= r && p[d] < n[d] - r;
        if (kind == bc_kind::interior_only && !inside) continue;
        const std::int64_t at = (i * n[1] + j) * n[2] + k;
        auto A = [&](int x, int y, int z) { return ref_read(rank, n, a, {i + x, j + y, k + z}, kind, constant); };
        auto B = [&](int x) { return ref_read(rank, n, b, {i + x, j, k}, kind, constant); };
        auto C = [&](int x) { return ref_read(rank, n, c, {i + x, j, k}, kind, constant); };
        double box = 0;
        for (int x = -r; x <= r; ++x)
          for (int y = -rb; y <= rb; ++y)
            for (int z = -rc; z <= rc; ++z) box += weight(x, y, z) * A(x, y, z);
        if (fields == 1) {
          const double code = rank == 1 ? 0.001 * double(i) : 0.001 * double(i) + 0.002 * double(p[rank - 1]);
          out.o1[at] = box + code;
          continue;
        }
        const double shared = A(0, 0, 0) * B(0);
        out.o1[at] = box + shared + (fields == 3 ? C(0) : 0);
        out.o2[at] = static_cast<float>(B(1) - B(-1) - shared);
        if (fields == 3) out.o3[at] = static_cast<int>(C(0) * 3 + C(-1));
      }
  return out;
}

template <class Exec, int R>
void check(const extents& n, int r, bc_kind kind, int fields, bool named) {
  using M = typename Exec::memory_space;
  CAPTURE(R, n[0], n[1], n[2], r, int(kind), fields, named);
  const std::int64_t size = n[0] * n[1] * n[2];
  const auto a = random_vector<double>(size, 10 + size);
  std::vector<float> b(size);
  std::vector<int> c(size);
  for (std::int64_t i = 0; i < size; ++i) {
    b[i] = static_cast<float>(a[(i * 7) % size]) * 0.5f;
    c[i] = static_cast<int>((i * 13) % 19) - 9;
  }
  auto va = make<double, R, M>("a", n);
  auto vb = make<float, R, M>("b", n);
  auto vc = make<int, R, M>("c", n);
  auto o1 = make<double, R, M>("o1", n);
  auto o2 = make<float, R, M>("o2", n);
  auto o3 = make<int, R, M>("o3", n);
  upload(va, a);
  upload(vb, b);
  upload(vc, c);
  const reference before{std::vector<double>(size, -1.0), std::vector<float>(size, -2.0f), std::vector<int>(size, -3)};
  upload(o1, before.o1);
  upload(o2, before.o2);
  upload(o3, before.o3);
  const double constant = 0.75;
  const coupled<R> f{r};
  const Exec exec{};
  auto run = [&](const auto& bc) {
    using B = std::remove_cvref_t<decltype(bc)>;
    if (fields == 1) {
      weft::stencil(exec, weft::fields(va), weft::fields(o1), r, bc, f);
    } else if (fields == 2 && named) {
      using na = weft::neighbourhood<decltype(va), B>;
      using nb = weft::neighbourhood<decltype(vb), B>;
      weft::stencil(exec, weft::fields(va, vb), weft::fields(o1, o2), r, bc, named_pair<coupled<R>, na, nb>{f});
    } else if (fields == 2) {
      weft::stencil(weft::fields(va, vb), weft::fields(o1, o2), r, bc, f);
    } else {
      weft::stencil(exec, weft::fields(va, vb, vc), weft::fields(o1, o2, o3), r, bc, f);
    }
  };
  switch (kind) {
    case bc_kind::periodic: run(weft::periodic{}); break;
    case bc_kind::clamp: run(weft::clamp{}); break;
    case bc_kind::constant: run(weft::constant{constant}); break;
    case bc_kind::interior_only: run(weft::interior_only{}); break;
  }
  const auto expected = compute(R, n, r, kind, constant, fields, a, b, c, before);
  const auto got1 = download(o1);
  const auto got2 = download(o2);
  const auto got3 = download(o3);
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < size; ++i) {
    wrong += std::abs(got1[i] - expected.o1[i]) > 1e-12 * (1 + std::abs(expected.o1[i]));
    wrong += std::abs(got2[i] - expected.o2[i]) > 1e-5f * (1 + std::abs(expected.o2[i]));
    wrong += got3[i] != expected.o3[i];
  }
  CHECK(wrong == 0);
  CHECK(download(va) == a);  // inputs untouched
}

template <int R>
extents shape_of(int which) {
  if constexpr (R == 1) {
    constexpr extents s[] = {{1, 1, 1}, {7, 1, 1}, {1009, 1, 1}};
    return s[which];
  } else if constexpr (R == 2) {
    constexpr extents s[] = {{2, 3, 1}, {7, 13, 1}, {64, 37, 1}};
    return s[which];
  } else {
    constexpr extents s[] = {{2, 3, 2}, {5, 7, 3}, {17, 9, 12}};
    return s[which];
  }
}

// Reads a coefficient view at the stencil's point with weft::at.
template <class Coefficient>
struct scaled_centre {
  Coefficient coefficient;
  template <class Nb>
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    static_assert(std::is_same_v<decltype(nb.local_index()), decltype(nb.index())>);
    return weft::at(coefficient, nb.index()) * nb(0, 0) + weft::at(coefficient, nb.local_index());
  }
};

// Two inputs, the same value twice: for the test of two outputs that alias.
struct twice {
  template <class A, class B>
  KOKKOS_INLINE_FUNCTION weft::values<double, double> operator()(const A& a, const B&) const {
    return weft::values{a(0, 0), a(0, 0)};
  }
};

}  // namespace fields_test

using namespace fields_test;

TEMPLATE_LIST_TEST_CASE("stencils over one, two and three fields of different types", "[stencil][fields][local]",
                        enabled_spaces) {
  using Exec = TestType;
  for (int which = 0; which < 3; ++which)
    for (const int r : {1, 2})
      for (const bc_kind kind : {bc_kind::periodic, bc_kind::clamp, bc_kind::constant, bc_kind::interior_only})
        for (const int fields : {1, 2, 3}) {
          if (kind == bc_kind::periodic && which == 0) continue;  // radius wider than the extents
          check<Exec, 1>(shape_of<1>(which), r, kind, fields, false);
          check<Exec, 2>(shape_of<2>(which), r, kind, fields, false);
          check<Exec, 3>(shape_of<3>(which), r, kind, fields, false);
          if (fields == 2) check<Exec, 2>(shape_of<2>(which), r, kind, fields, true);
        }
}

TEMPLATE_LIST_TEST_CASE("another field read at the stencil's point with weft::at", "[stencil][fields][local]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  const extents n{9, 11, 1};
  auto in = make<double, 2, M>("in", n);
  auto out = make<double, 2, M>("out", n);
  auto coefficient = make<double, 2, M>("coefficient", n);
  const auto data = random_vector<double>(99, 3), coef = random_vector<double>(99, 4);
  upload(in, data);
  upload(coefficient, coef);
  weft::stencil(Exec{}, in, out, 0, weft::clamp{}, scaled_centre<decltype(coefficient)>{coefficient});
  const auto got = download(out);
  std::int64_t wrong = 0;
  for (int i = 0; i < 99; ++i) wrong += std::abs(got[i] - (coef[i] * data[i] + coef[i])) > 1e-15;
  CHECK(wrong == 0);
}

TEMPLATE_LIST_TEST_CASE("multi-field stencils reject mismatched extents and aliasing", "[stencil][fields][local]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  auto a = make<double, 2, M>("a", {7, 13, 1});
  auto b = make<float, 2, M>("b", {7, 12, 1});
  auto o1 = make<double, 2, M>("o1", {7, 13, 1});
  auto o2 = make<float, 2, M>("o2", {7, 13, 1});
  const coupled<2> f{1};
  CHECK_THROWS_WITH(weft::stencil(Exec{}, weft::fields(a, b), weft::fields(o1, o2), 1, weft::clamp{}, f),
                    ContainsSubstring("input extent 13 and input extent 12 differ in dimension 1"));
  auto b2 = make<float, 2, M>("b2", {7, 13, 1});
  CHECK_THROWS_WITH(weft::stencil(Exec{}, weft::fields(a, b2), weft::fields(o1, b2), 1, weft::clamp{}, f),
                    ContainsSubstring("overlap"));
  CHECK_THROWS_WITH(weft::stencil(Exec{}, weft::fields(a, b2), weft::fields(o1, o1), 1, weft::clamp{}, twice{}),
                    ContainsSubstring("overlap"));
}
