#pragma once
// Keys for the sort, compaction and by-key tests: random ones with fixed
// seeds, in the shapes that break sorts (few distinct values, already
// sorted, reversed, float specials), and the order weft documents for them.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace weft_test {

enum class key_shape { random, few_distinct, sorted, reversed, specials };

inline std::string shape_name(key_shape s) {
  switch (s) {
    case key_shape::random: return "random";
    case key_shape::few_distinct: return "few distinct";
    case key_shape::sorted: return "sorted";
    case key_shape::reversed: return "reversed";
    case key_shape::specials: return "specials";
  }
  return "?";
}

/// The order weft::sort documents for arithmetic keys: NaNs after
/// everything else (and equal among themselves), -0 equal to +0.
template <class T>
bool documented_less(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(b)) return !std::isnan(a);
    if (std::isnan(a)) return false;
  }
  return a < b;
}

/// Descending, NaNs still last.
template <class T>
bool documented_greater(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(b)) return !std::isnan(a);
    if (std::isnan(a)) return false;
  }
  return b < a;
}

/// n keys of type T. random: the whole range of T (integers) or a wide
/// spread of magnitudes and signs (floats); few_distinct: eight values, so
/// almost every key has thousands of equals; sorted / reversed: random keys
/// in order / in reverse; specials: floats with NaNs of both signs, +-inf,
/// +-0 and denormals among random values (other types: as random).
template <class T>
std::vector<T> make_keys(std::size_t n, std::uint64_t seed, key_shape shape) {
  std::mt19937_64 engine(seed);
  std::vector<T> out(n);
  auto random_key = [&]() -> T {
    if constexpr (std::is_floating_point_v<T>) {
      std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
      std::uniform_int_distribution<int> exponent(-30, 30);
      return static_cast<T>(std::ldexp(mantissa(engine), exponent(engine)));
    } else if constexpr (std::is_same_v<T, bool>) {
      return (engine() & 1) != 0;
    } else {
      return static_cast<T>(engine());  // every bit pattern of T
    }
  };
  if (shape == key_shape::few_distinct) {
    T pool[8];
    for (auto& p : pool) p = random_key();
    for (auto& k : out) k = pool[engine() % 8];
    return out;
  }
  for (auto& k : out) k = random_key();
  if (shape == key_shape::sorted) std::stable_sort(out.begin(), out.end(), documented_less<T>);
  if (shape == key_shape::reversed) std::stable_sort(out.begin(), out.end(), documented_greater<T>);
  if constexpr (std::is_floating_point_v<T>) {
    if (shape == key_shape::specials) {
      const T nan = std::numeric_limits<T>::quiet_NaN();
      const T specials[] = {nan, -nan, std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                            T(0), -T(0), std::numeric_limits<T>::denorm_min(), -std::numeric_limits<T>::denorm_min(),
                            std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()};
      for (std::size_t i = 0; i < n; i += 1 + engine() % 5) out[i] = specials[engine() % std::size(specials)];
    }
  }
  return out;
}

/// Bit-for-bit equality (NaN payloads, the sign of zero).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

/// The first index where a and b differ bitwise, or -1.
template <class T>
std::int64_t first_difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return static_cast<std::int64_t>(i);
  return -1;
}

/// 0, 1, 2, ..., n-1 as T.
template <class T>
std::vector<T> indices(std::size_t n) {
  std::vector<T> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(i);
  return out;
}

}  // namespace weft_test
