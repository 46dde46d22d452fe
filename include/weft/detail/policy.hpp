#pragma once
// Execution policies weft launches with: 64-bit indices everywhere, so views
// past 2^31 elements work on every backend, on the caller's instance.

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft::detail {

template <class Exec>
using range_policy = Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>;

template <class Exec, int Rank>
using md_policy = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<Rank>, Kokkos::IndexType<std::int64_t>>;

template <class Exec>
range_policy<Exec> range(const Exec& exec, std::int64_t begin, std::int64_t end) {
  return range_policy<Exec>(exec, begin, end);
}

template <class Exec>
range_policy<Exec> range(const Exec& exec, std::int64_t n) {
  return range(exec, 0, n);
}

template <class View>
std::int64_t extent(const View& v, int d = 0) {
  return static_cast<std::int64_t>(v.extent(d));
}

}  // namespace weft::detail
