#pragma once
// Random test data with fixed seeds, a user value type, view <-> vector
// copies and size-scaled floating-point tolerances.

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace weft_test {

/// A user-defined value type: a 2-vector with + and lexicographic <.
struct vec2 {
  double x;
  double y;
  KOKKOS_INLINE_FUNCTION friend vec2 operator+(const vec2& a, const vec2& b) {
    return {a.x + b.x, a.y + b.y};
  }
  KOKKOS_INLINE_FUNCTION friend bool operator<(const vec2& a, const vec2& b) {
    return a.x < b.x || (!(b.x < a.x) && a.y < b.y);
  }
  friend bool operator==(const vec2& a, const vec2& b) { return a.x == b.x && a.y == b.y; }
};

/// The sizes every algorithm is tried at: empty, tiny, prime, medium, and
/// just past a million so blocks do not divide evenly.
inline constexpr std::int64_t large_size = (1 << 20) + 3;

/// n random values of T from a fixed seed. Integers stay small enough that
/// sums of a million of them cannot overflow; floats lie in [-1, 1).
template <class T>
std::vector<T> random_vector(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::vector<T> out(n);
  if constexpr (std::is_same_v<T, vec2>) {
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (auto& v : out) v = {dist(engine), dist(engine)};
  } else if constexpr (std::is_integral_v<T>) {
    // Narrow range: repeated values exercise the tie-breaking of min/max_loc.
    std::uniform_int_distribution<std::int64_t> dist(-1000, 1000);
    for (auto& v : out) v = static_cast<T>(dist(engine));
  } else {
    std::uniform_real_distribution<T> dist(T(-1), T(1));
    for (auto& v : out) v = dist(engine);
  }
  return out;
}

/// A device view in Exec's memory space holding `data`.
template <class Exec, class T>
Kokkos::View<T*, typename Exec::memory_space> to_view(const std::vector<T>& data,
                                                      const std::string& label = "weft_test") {
  Kokkos::View<T*, typename Exec::memory_space> v(Kokkos::view_alloc(label, Kokkos::WithoutInitializing),
                                                  data.size());
  Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(data.data(),
                                                                                           data.size());
  Kokkos::deep_copy(v, host);
  return v;
}

/// The elements of any rank-1 view (strided ones too), on the host.
template <class View>
std::vector<typename View::non_const_value_type> to_vector(const View& v) {
  auto mirror = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  std::vector<typename View::non_const_value_type> out(v.extent(0));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = mirror(i);
  return out;
}

/// Tolerance for a floating-point sum of n terms of total magnitude
/// `magnitude` (sum of |x|) compared with a sequential reference: rounding
/// grows like sqrt(n) for random signs; the constant leaves room for the
/// different grouping a parallel reduction uses.
template <class T>
double sum_tolerance(std::size_t n, double magnitude) {
  const double eps = std::numeric_limits<T>::epsilon();
  return 8 * eps * std::sqrt(static_cast<double>(n) + 1) * (magnitude + 1);
}

}  // namespace weft_test

namespace weft_test {

/// |x|, for the tolerance of sums (vec2: |x| + |y|).
template <class T>
double magnitude(const T& v) {
  if constexpr (std::is_same_v<T, vec2>) return std::abs(v.x) + std::abs(v.y);
  else return std::abs(static_cast<double>(v));
}

/// a and b agree within tol (exactly, for integers).
template <class T>
bool close(const T& a, const T& b, double tol) {
  if constexpr (std::is_same_v<T, vec2>) return std::abs(a.x - b.x) <= tol && std::abs(a.y - b.y) <= tol;
  else if constexpr (std::is_integral_v<T>) return a == b;
  else return std::abs(static_cast<double>(a) - static_cast<double>(b)) <= tol;
}

/// Sum of magnitudes of data, the scale of rounding in sums over it.
template <class T>
double total_magnitude(const std::vector<T>& data) {
  double m = 0;
  for (const auto& x : data) m += magnitude(x);
  return m;
}

/// A view of every third element of a larger allocation: a LayoutStride
/// rank-1 view holding `data`.
template <class Exec, class T>
auto to_strided_view(const std::vector<T>& data) {
  Kokkos::View<T**, Kokkos::LayoutRight, typename Exec::memory_space> big("weft_test::strided",
                                                                          data.size(), 3);
  auto column = Kokkos::subview(big, Kokkos::ALL, 1);
  auto host = Kokkos::create_mirror_view(column);
  for (std::size_t i = 0; i < data.size(); ++i) host(i) = data[i];
  Kokkos::deep_copy(column, host);
  return column;
}

}  // namespace weft_test

#include <ostream>
namespace weft_test {
inline std::ostream& operator<<(std::ostream& os, const vec2& v) {
  return os << '(' << v.x << ", " << v.y << ')';
}
}  // namespace weft_test
