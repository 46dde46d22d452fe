// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Under nvcc, the functions weft runs on a GPU must be functors or extended
// lambdas (KOKKOS_LAMBDA) that are not generic. Anything else fails deep in
// nvcc's generated code, with errors that name neither the caller nor weft;
// weft checks at its entry points instead and says what to write.

#include "host_kernels.hpp"

#include <Kokkos_Core.hpp>

#include <string_view>

namespace weft::detail {

#if defined(__NVCC__)
// F's name as the compiler spells it, between "F = " and the closing ']'.
// Returns const char*: no second template argument appears in the text.
template <class F>
constexpr const char* pretty_name_of() {
  return __PRETTY_FUNCTION__;
}

template <class F>
constexpr std::string_view type_name_of() {
  const std::string_view text = pretty_name_of<F>();
  const auto start = text.find("F = ");
  const auto end = text.rfind(']');
  if (start == std::string_view::npos || end == std::string_view::npos || end < start + 4) return {};
  return text.substr(start + 4, end - start - 4);
}

/// Whether F is a lambda's closure type. No compiler offers a trait for it,
/// so it is read from the name: nvcc's front end (EDG) prints "lambda
/// [...](...)->...", g++ (nvcc's host pass) "scope::<lambda(...)>", clang
/// "(lambda at file:line:column)". Extended lambdas reach the host compiler
/// as nvcc's wrapper types, which match none of these.
template <class F>
constexpr bool is_closure_type() {
  constexpr std::string_view name = type_name_of<F>();
  return name.starts_with("lambda [") || name.starts_with("(lambda at ") ||
         (name.ends_with(")>") && name.find("<lambda(") != std::string_view::npos);
}

template <class F>
concept non_generic_call = requires { &F::operator(); };

/// A function nvcc can run on a GPU: a functor, or a non-generic extended
/// (__host__ __device__ or __device__) lambda.
template <class F>
inline constexpr bool device_callable =
    !is_closure_type<F>() || ((__nv_is_extended_host_device_lambda_closure_type(F) ||
                               __nv_is_extended_device_lambda_closure_type(F)) &&
                              non_generic_call<F>);
#else
template <class F>
inline constexpr bool device_callable = true;
#endif

/// Fails the build with one sentence where a function given to an algorithm
/// that runs on a GPU (under nvcc) is a plain or a generic lambda. Host
/// execution spaces take any callable.
template <class Exec, class... F>
constexpr void static_check_device_callable() {
  static_assert(host_kernels<Exec> || (device_callable<std::remove_cvref_t<F>> && ...),
                "weft: under nvcc a function run on the GPU must be a KOKKOS_LAMBDA with its parameter types "
                "named (not auto; for a stencil, weft::neighbourhood<View, Boundary>) or a functor with a "
                "KOKKOS_INLINE_FUNCTION operator(), not a plain [=] or generic lambda.");
}

}  // namespace weft::detail
