// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Choosing the execution space at run time: code written once as a
// function template over the space, called on the space a name selects
// (e.g. a device on one rank, host threads on another).

#include "detail/config.hpp"  // first: the C++20 check

#include "error.hpp"

#include <Kokkos_Core.hpp>

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {
template <bool Enabled, class Exec>
using space_if = std::conditional_t<Enabled, std::tuple<Exec>, std::tuple<>>;

// Device spaces first, so the first entry is the fastest this build has.
using enabled_space_list = decltype(std::tuple_cat(
#ifdef KOKKOS_ENABLE_CUDA
    std::tuple<Kokkos::Cuda>{},
#endif
#ifdef KOKKOS_ENABLE_HIP
    std::tuple<Kokkos::HIP>{},
#endif
#ifdef KOKKOS_ENABLE_SYCL
    std::tuple<Kokkos::Experimental::SYCL>{},
#endif
#ifdef KOKKOS_ENABLE_OPENMP
    std::tuple<Kokkos::OpenMP>{},
#endif
#ifdef KOKKOS_ENABLE_THREADS
    std::tuple<Kokkos::Threads>{},
#endif
#ifdef KOKKOS_ENABLE_SERIAL
    std::tuple<Kokkos::Serial>{},
#endif
    std::tuple<>{}));

inline bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

template <class Exec>
std::string lower_name() {
  std::string name = Exec::name();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}
}  // namespace detail

/// The execution spaces this Kokkos build enables, by Kokkos's names in
/// lower case, device spaces first: e.g. {"cuda", "openmp", "serial"}.
inline std::vector<std::string> enabled_execution_spaces() {
  return std::apply([](auto... spaces) { return std::vector<std::string>{detail::lower_name<decltype(spaces)>()...}; },
                    detail::enabled_space_list{});
}

/// Calls f with a default instance of the execution space named `name`
/// (case-insensitive: "cuda", "hip", "sycl", "openmp", "threads", "serial",
/// or "default" for Kokkos::DefaultExecutionSpace and "host" for
/// Kokkos::DefaultHostExecutionSpace) and returns what f returns (by value); f must
/// return the same type for every enabled space. A name this build does not
/// enable throws weft::error listing the ones it does. Write the work once
/// as a function template over the space; data then lives in that space's
/// memory (Exec::memory_space), and distributed vectors and grids of
/// different memory spaces on different ranks work together.
///   const auto space = comm.rank() < gpus ? "default" : "openmp";
///   weft::with_execution_space(space, [&](auto exec) { run(comm, exec); });
template <class F>
auto with_execution_space(std::string_view name, F&& f) {
  if (detail::same_name(name, "default")) return std::forward<F>(f)(Kokkos::DefaultExecutionSpace{});
  if (detail::same_name(name, "host")) return std::forward<F>(f)(Kokkos::DefaultHostExecutionSpace{});
  using result = std::decay_t<decltype(std::forward<F>(f)(Kokkos::DefaultExecutionSpace{}))>;
  return std::apply(
      [&](auto... spaces) -> result {
        int chosen = -1, k = 0;
        ((chosen = chosen < 0 && detail::same_name(name, detail::lower_name<decltype(spaces)>()) ? k : chosen, ++k),
         ...);
        if (chosen < 0) {
          std::string known;
          for (const auto& s : enabled_execution_spaces()) known += " " + s;
          detail::fail("weft::with_execution_space: this Kokkos build has no execution space \"", name,
                       "\"; it enables:", known, " (and \"default\", \"host\")");
        }
        k = 0;
        if constexpr (std::is_void_v<result>) {
          ((k++ == chosen ? std::forward<F>(f)(spaces) : void()), ...);
        } else {
          std::optional<result> out;
          ((k++ == chosen ? void(out.emplace(std::forward<F>(f)(spaces))) : void()), ...);
          return std::move(*out);
        }
      },
      detail::enabled_space_list{});
}

}  // namespace weft
