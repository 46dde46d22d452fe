// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Concepts that constrain weft's algorithms to Kokkos execution spaces and views.

#include "detail/config.hpp"  // first: the C++20 check

#include <Kokkos_Core.hpp>

#include <type_traits>

namespace weft {

/// A Kokkos execution space (Kokkos::Serial, Kokkos::OpenMP, Kokkos::Cuda, ...).
template <class Exec>
concept execution_space = Kokkos::is_execution_space<std::remove_cvref_t<Exec>>::value;

/// Any Kokkos::View.
template <class View>
concept view = Kokkos::is_view<std::remove_cvref_t<View>>::value;

/// A Kokkos::View of the given rank, any layout (strided subviews included).
template <class View, int Rank>
concept view_of_rank = view<View> && static_cast<int>(std::remove_cvref_t<View>::rank) == Rank;

/// A rank-1 Kokkos::View of any layout.
template <class View>
concept rank1_view = view_of_rank<View, 1>;

/// A rank-1, 2 or 3 Kokkos::View: what the stencils take.
template <class View>
concept stencil_view = view_of_rank<View, 1> || view_of_rank<View, 2> || view_of_rank<View, 3>;

/// A rank-2 or rank-3 Kokkos::View: what the N-D forms of the algorithms take.
template <class View>
concept md_view = view_of_rank<View, 2> || view_of_rank<View, 3>;

/// Kernels launched on `Exec` can dereference `View`'s memory.
template <class Exec, class View>
concept accessible_from =
    (bool)Kokkos::SpaceAccessibility<std::remove_cvref_t<Exec>,
                               typename std::remove_cvref_t<View>::memory_space>::accessible;


/// A view whose elements can be written (its value type is not const).
template <class View>
concept writable_view =
    view<View> && !std::is_const_v<typename std::remove_cvref_t<View>::value_type>;

namespace detail {

template <class View>
using value_t = typename std::remove_cvref_t<View>::non_const_value_type;

/// Read-only reference to an element of View (what functions receive).
template <class View>
using const_reference_t = const typename std::remove_cvref_t<View>::non_const_value_type&;

template <class View>
using default_exec_t = typename std::remove_cvref_t<View>::execution_space;

/// Where an overload matched but a view's memory is out of the space's reach,
/// fail the build with a sentence rather than a template backtrace.
template <class Exec, class... Views>
constexpr void static_check_accessible() {
  static_assert((accessible_from<Exec, Views> && ...),
                "weft: the execution space cannot access the memory space of a view passed to "
                "this algorithm; run it on a space that can (e.g. the view's own "
                "execution_space) or deep_copy the data first.");
}

/// The views the map and reduction families take: rank 1, 2 or 3, in one
/// of Kokkos' standard layouts. Anything else fails the build with a sentence.
template <class View>
constexpr void static_check_view() {
  using V = std::remove_cvref_t<View>;
  using layout = typename V::array_layout;
  static_assert(V::rank >= 1 && V::rank <= 3,
                "weft: the map and reduction algorithms take Kokkos views of rank 1, 2 or 3; this view's rank is "
                "outside that range (take subviews, or reshape it).");
  static_assert(std::is_same_v<layout, Kokkos::LayoutLeft> || std::is_same_v<layout, Kokkos::LayoutRight> ||
                    std::is_same_v<layout, Kokkos::LayoutStride>,
                "weft: the algorithms take views with LayoutLeft, LayoutRight or LayoutStride; deep_copy this "
                "view's data into one of those first.");
}

/// For the algorithms defined on sequences only (the scans, iota).
template <class View>
constexpr void static_check_rank1() {
  static_assert(std::remove_cvref_t<View>::rank == 1,
                "weft: the scans and iota take rank-1 views: a prefix runs along one sequence (pass a 1-D "
                "subview, e.g. one row).");
}

template <class A, class B>
constexpr void static_check_same_rank() {
  static_assert(static_cast<int>(std::remove_cvref_t<A>::rank) == static_cast<int>(std::remove_cvref_t<B>::rank),
                "weft: the views passed to this algorithm must have the same rank.");
}

template <class View>
constexpr void static_check_writable() {
  static_assert(writable_view<View>,
                "weft: the output view has a const value type; pass a view whose elements "
                "can be written.");
}

/// Refuses, at compile time, a fold that would truncate every element: an
/// integer initial value (whose type the result is accumulated in, as in
/// <numeric>) over floating-point elements, which std::reduce and
/// std::exclusive_scan accept without a word.
template <class T, class Element>
constexpr void static_check_accumulator() {
  static_assert(!(std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                  std::is_floating_point_v<std::remove_cvref_t<Element>>),
                "weft: the initial value is an integer but the elements are floating point, so the result would "
                "be accumulated in, and truncated to, integers; pass a floating-point initial value such as 0.0.");
}

}  // namespace detail
}  // namespace weft
