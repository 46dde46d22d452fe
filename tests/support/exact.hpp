#pragma once
// Exact sums of doubles for the reproducibility tests: a fixed-point number
// of 32-bit limbs from 2^-1074 up, each limb in an int64 so that carries
// wait until the end. The data that wide-range tests need: random values
// over 1e-300 .. 1e300, x and -x pairs, shuffled; and the error bound the
// README states for weft's reproducible sums.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace weft_test {

class exact_sum {
 public:
  exact_sum() : limbs_(72, 0) {}

  /// Adds a finite double exactly.
  void add(double x) {
    if (x == 0) return;
    const auto bits = std::bit_cast<std::uint64_t>(x);
    const int field = static_cast<int>((bits >> 52) & 0x7ff);
    const std::uint64_t mantissa = (bits & ((std::uint64_t(1) << 52) - 1)) | (field ? std::uint64_t(1) << 52 : 0);
    const int position = (field ? field : 1) - 1;  // of the lowest bit, counted from 2^-1074
    const unsigned __int128 v = static_cast<unsigned __int128>(mantissa) << (position % 32);
    const std::int64_t sign = (bits >> 63) ? -1 : 1;
    const int k = position / 32;
    limbs_[k] += sign * static_cast<std::int64_t>(v & 0xffffffffu);
    limbs_[k + 1] += sign * static_cast<std::int64_t>((v >> 32) & 0xffffffffu);
    limbs_[k + 2] += sign * static_cast<std::int64_t>(v >> 64);
  }

  void subtract(double x) { add(-x); }

  /// Adds n x exactly, n below 2^54.
  void add_multiple(double x, std::uint64_t n) {
    if (x == 0 || n == 0) return;
    const auto bits = std::bit_cast<std::uint64_t>(x);
    const int field = static_cast<int>((bits >> 52) & 0x7ff);
    const std::uint64_t mantissa = (bits & ((std::uint64_t(1) << 52) - 1)) | (field ? std::uint64_t(1) << 52 : 0);
    const int position = (field ? field : 1) - 1;  // of the lowest bit, counted from 2^-1074
    const unsigned __int128 v = static_cast<unsigned __int128>(mantissa) * n;  // below 2^107
    const std::int64_t sign = (bits >> 63) ? -1 : 1;
    const int k = position / 32, r = position % 32;
    for (int j = 0; j < 4; ++j) {
      const auto chunk = static_cast<std::uint64_t>((v >> (32 * j)) & 0xffffffffu) << r;  // below 2^63
      limbs_[k + j] += sign * static_cast<std::int64_t>(chunk & 0xffffffffu);
      limbs_[k + j + 1] += sign * static_cast<std::int64_t>(chunk >> 32);
    }
  }

  /// -1, 0 or 1: the sign of the exact value.
  int sign() const {
    std::vector<std::int64_t> l = limbs_;
    for (std::size_t k = 0; k + 1 < l.size(); ++k) {
      const std::int64_t carry = l[k] >> 32;
      l[k] -= carry * (std::int64_t(1) << 32);
      l[k + 1] += carry;
    }
    for (std::size_t k = l.size(); k-- > 0;)
      if (l[k] != 0) return k + 1 == l.size() ? (l[k] > 0 ? 1 : -1) : 1;
    return 0;
  }

  /// The value, to about 64 bits (enough to compare with bounds).
  long double approximate() const {
    std::vector<std::int64_t> l = limbs_;
    for (std::size_t k = 0; k + 1 < l.size(); ++k) {
      const std::int64_t carry = l[k] >> 32;
      l[k] -= carry * (std::int64_t(1) << 32);
      l[k + 1] += carry;
    }
    long double v = 0;
    for (std::size_t k = l.size(); k-- > 0;) v += std::ldexp(static_cast<long double>(l[k]), 32 * static_cast<int>(k) - 1074);
    return v;
  }

 private:
  std::vector<std::int64_t> limbs_;
};

/// Wide dynamic range with cancellation: x and -x pairs with |x| from 1e-300
/// to 1e300, plus unpaired small terms, shuffled.
inline std::vector<double> wide_range_data(std::size_t n, std::uint64_t seed, double low_exponent = -300,
                                           double high_exponent = 300) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0), exponent(low_exponent, high_exponent);
  std::vector<double> out;
  out.reserve(n);
  while (out.size() + 2 <= n * 3 / 4) {
    const double x = mantissa(engine) * std::pow(10.0, std::floor(exponent(engine)));
    out.push_back(x);
    out.push_back(-x);
  }
  std::uniform_real_distribution<double> small(-1.0, 1.0);
  while (out.size() < n) out.push_back(small(engine) * std::pow(10.0, std::floor(exponent(engine) / 2)));
  std::shuffle(out.begin(), out.end(), engine);
  return out;
}

/// The bound of weft's reproducible sums: n 2^-64 max|x| + one ulp of the result.
inline long double reproducible_bound(std::size_t n, double max_abs, double result) {
  const double ulp = result == 0 ? std::ldexp(1.0, -1074)
                                 : std::nextafter(std::abs(result), INFINITY) - std::abs(result);
  return static_cast<long double>(n) * std::ldexp(static_cast<long double>(max_abs), -64) + ulp;
}

/// The bits of a double, for messages and checksums.
inline std::string hex_bits(double x) {
  char text[20];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(x)));
  return text;
}

}  // namespace weft_test
