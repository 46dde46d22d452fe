#pragma once
// The execution spaces this Kokkos build enables, as a type list, and the
// (space, value type) products test cases are instantiated over.

#include <Kokkos_Core.hpp>

#include <tuple>
#include <type_traits>

namespace weft_test {

namespace detail {
template <bool Enabled, class T>
using maybe = std::conditional_t<Enabled, std::tuple<T>, std::tuple<>>;

template <class... Lists>
using concat = decltype(std::tuple_cat(std::declval<Lists>()...));
}  // namespace detail

#ifdef KOKKOS_ENABLE_SERIAL
using serial_list = std::tuple<Kokkos::Serial>;
#else
using serial_list = std::tuple<>;
#endif
#ifdef KOKKOS_ENABLE_OPENMP
using openmp_list = std::tuple<Kokkos::OpenMP>;
#else
using openmp_list = std::tuple<>;
#endif
#ifdef KOKKOS_ENABLE_THREADS
using threads_list = std::tuple<Kokkos::Threads>;
#else
using threads_list = std::tuple<>;
#endif
#ifdef KOKKOS_ENABLE_CUDA
using cuda_list = std::tuple<Kokkos::Cuda>;
#else
using cuda_list = std::tuple<>;
#endif
#ifdef KOKKOS_ENABLE_HIP
using hip_list = std::tuple<Kokkos::HIP>;
#else
using hip_list = std::tuple<>;
#endif

/// Every execution space the Kokkos build enables.
using enabled_spaces = detail::concat<serial_list, openmp_list, threads_list, cuda_list, hip_list>;

/// One test instantiation: an execution space and a value type.
template <class Exec, class T>
struct space_and {
  using exec = Exec;
  using value_type = T;
  using memory_space = typename Exec::memory_space;
};

namespace detail {
template <class Spaces, class Types>
struct product;
template <class... Spaces, class... Types>
struct product<std::tuple<Spaces...>, std::tuple<Types...>> {
  template <class S>
  using row = std::tuple<space_and<S, Types>...>;
  using type = concat<row<Spaces>...>;
};
}  // namespace detail

/// Every enabled space paired with every type in Types (a std::tuple).
template <class Types>
using on_every_space = typename detail::product<enabled_spaces, Types>::type;

}  // namespace weft_test
