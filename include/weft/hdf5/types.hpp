// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Which value types weft::hdf5 stores, and as which HDF5 types: arithmetic
// types, complex numbers, fixed-size arrays, and plain structs the user
// describes with weft::hdf5_members.

#include "../detail/config.hpp"  // first: the C++20 check

#include "detail/h5.hpp"

#include <Kokkos_Complex.hpp>
#include <hdf5.h>

#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace weft {

/// One member of a struct stored as an HDF5 compound type: its name in the
/// file and the pointer to it. See weft::hdf5_members.
template <class Class, class Member>
struct hdf5_member {
  const char* name;
  Member Class::*pointer;
  constexpr hdf5_member(const char* n, Member Class::*p) : name(n), pointer(p) {}
};

/// Specialise for a plain struct to save and load it as an HDF5 compound
/// type (h5py reads it as a NumPy structured array): a static constexpr
/// tuple `members` of weft::hdf5_member, one per member to store. Members
/// may be any storable type (arithmetic, complex, std::array, C arrays, other
/// described structs). Members left out are not stored, and not read back.
///   struct particle { double position[3]; float mass; std::int32_t id; };
///   template <> struct weft::hdf5_members<particle> {
///     static constexpr auto members = std::tuple{weft::hdf5_member{"position", &particle::position},
///                                                weft::hdf5_member{"mass", &particle::mass},
///                                                weft::hdf5_member{"id", &particle::id}};
///   };
template <class T>
struct hdf5_members;

namespace detail {

template <class T>
struct is_complex : std::false_type {};
template <class R>
struct is_complex<Kokkos::complex<R>> : std::true_type {
  using real = R;
};
template <class R>
struct is_complex<std::complex<R>> : std::true_type {
  using real = R;
};

template <class T>
struct is_std_array : std::false_type {};
template <class U, std::size_t N>
struct is_std_array<std::array<U, N>> : std::true_type {
  using element = U;
  static constexpr std::size_t size = N;
};

/// The element type and length of std::array<U, N> and U[N].
template <class T>
struct array_parts;
template <class U, std::size_t N>
struct array_parts<std::array<U, N>> {
  using element = U;
  static constexpr std::size_t count = N;
};
template <class U, std::size_t N>
struct array_parts<U[N]> {
  using element = U;
  static constexpr std::size_t count = N;
};

template <class T>
concept hdf5_described = requires { hdf5_members<T>::members; };

template <class T>
constexpr bool h5_storable() {
  if constexpr (std::is_same_v<T, bool>) return false;
  else if constexpr (std::is_arithmetic_v<T>) return true;
  else if constexpr (is_complex<T>::value) return std::is_floating_point_v<typename is_complex<T>::real>;
  else if constexpr (is_std_array<T>::value) return h5_storable<typename is_std_array<T>::element>();
  else if constexpr (std::is_array_v<T>) return std::extent_v<T> > 0 && h5_storable<std::remove_extent_t<T>>();
  else if constexpr (hdf5_described<T>) return std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>;
  else return false;
}

inline h5_handle h5_copy(hid_t predefined, h5_calls& calls) {
  return h5_handle(calls(H5Tcopy(predefined), "H5Tcopy"), H5Tclose);
}

template <class T>
h5_handle h5_memory_type(h5_calls& calls);

template <class T>
void h5_insert_members(hid_t compound, h5_calls& calls) {
  // Offsets measured on an object: member pointers give no offsetof.
  const T probe{};
  const auto* base = reinterpret_cast<const unsigned char*>(std::addressof(probe));
  std::apply(
      [&](const auto&... member) {
        (
            [&] {
              using M = std::remove_cvref_t<decltype(probe.*(member.pointer))>;
              const auto* at = reinterpret_cast<const unsigned char*>(std::addressof(probe.*(member.pointer)));
              const h5_handle type = h5_memory_type<M>(calls);
              calls(H5Tinsert(compound, member.name, static_cast<std::size_t>(at - base), type.get()), "H5Tinsert");
            }(),
            ...);
      },
      hdf5_members<T>::members);
}

/// The HDF5 type of one T in memory (native byte order), as an owned copy.
template <class T>
h5_handle h5_memory_type(h5_calls& calls) {
  static_assert(h5_storable<T>(),
                "weft::hdf5: this value type cannot be stored. Use an arithmetic type other than bool, "
                "Kokkos::complex or std::complex of float or double, std::array or a C array of those, or a "
                "standard-layout, trivially copyable struct described by a specialisation of weft::hdf5_members.");
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (sizeof(T) == sizeof(float)) return h5_copy(H5T_NATIVE_FLOAT, calls);
    else if constexpr (sizeof(T) == sizeof(double)) return h5_copy(H5T_NATIVE_DOUBLE, calls);
    else return h5_copy(H5T_NATIVE_LDOUBLE, calls);
  } else if constexpr (std::is_integral_v<T>) {
    constexpr bool s = std::is_signed_v<T>;
    if constexpr (sizeof(T) == 1) return h5_copy(s ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8, calls);
    else if constexpr (sizeof(T) == 2) return h5_copy(s ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT16, calls);
    else if constexpr (sizeof(T) == 4) return h5_copy(s ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT32, calls);
    else return h5_copy(s ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64, calls);
  } else if constexpr (is_complex<T>::value) {
    // Members "r" and "i": what h5py and NumPy read as complex.
    using R = typename is_complex<T>::real;
    h5_handle type(calls(H5Tcreate(H5T_COMPOUND, sizeof(T)), "H5Tcreate"), H5Tclose);
    const h5_handle real = h5_memory_type<R>(calls);
    calls(H5Tinsert(type.get(), "r", 0, real.get()), "H5Tinsert");
    calls(H5Tinsert(type.get(), "i", sizeof(R), real.get()), "H5Tinsert");
    return type;
  } else if constexpr (is_std_array<T>::value || std::is_array_v<T>) {
    using U = typename array_parts<T>::element;
    const hsize_t n = array_parts<T>::count;
    static_assert(sizeof(T) == sizeof(U) * array_parts<T>::count,
                  "weft::hdf5: std::array with padding is not supported.");
    const h5_handle element = h5_memory_type<U>(calls);
    return h5_handle(calls(H5Tarray_create2(element.get(), 1, &n), "H5Tarray_create2"), H5Tclose);
  } else {
    h5_handle type(calls(H5Tcreate(H5T_COMPOUND, sizeof(T)), "H5Tcreate"), H5Tclose);
    h5_insert_members<T>(type.get(), calls);
    return type;
  }
}

/// A readable name of an HDF5 type, for attributes and messages: "float64",
/// "uint8", "complex128", "float32[3]", "{x: float64, id: int32}".
inline std::string h5_type_name(hid_t type) {
  if (type < 0) return "an unknown type";
  const std::size_t bits = 8 * H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_FLOAT:
      return "float" + std::to_string(bits);
    case H5T_STRING:
      return "string";
    case H5T_ARRAY: {
      const int rank = H5Tget_array_ndims(type);
      hsize_t dims[H5S_MAX_RANK] = {};
      if (rank < 0 || rank > H5S_MAX_RANK) return "an array";
      H5Tget_array_dims2(type, dims);
      const h5_handle base(H5Tget_super(type), H5Tclose);
      std::string s = h5_type_name(base.get());
      for (int d = 0; d < rank; ++d) s.append("[").append(std::to_string(dims[d])).append("]");
      return s;
    }
    case H5T_COMPOUND: {
      const int n = H5Tget_nmembers(type);
      std::vector<std::string> names, types;
      for (int m = 0; m < n; ++m) {
        char* name = H5Tget_member_name(type, static_cast<unsigned>(m));
        names.push_back(name ? name : "?");
        H5free_memory(name);
        const h5_handle member(H5Tget_member_type(type, static_cast<unsigned>(m)), H5Tclose);
        types.push_back(h5_type_name(member.get()));
      }
      if (n == 2 && names[0] == "r" && names[1] == "i" && types[0] == types[1] && types[0].rfind("float", 0) == 0)
        return "complex" + std::to_string(bits);
      std::string s = "{";
      for (std::size_t m = 0; m < names.size(); ++m) s.append(m ? ", " : "").append(names[m]).append(": ").append(types[m]);
      return s + "}";
    }
    default:
      return "HDF5 type class " + std::to_string(static_cast<int>(H5Tget_class(type)));
  }
}

/// Whether data of HDF5 type `stored` reads into `memory` without changing a
/// value: the same kind and size of number (byte order may differ), arrays of
/// the same dimensions, compounds with the same member names in the same
/// order (offsets may differ).
inline bool h5_types_match(hid_t stored, hid_t memory) {
  const H5T_class_t kind = H5Tget_class(stored);
  if (kind < 0 || kind != H5Tget_class(memory)) return false;
  switch (kind) {
    case H5T_INTEGER:
      return H5Tget_size(stored) == H5Tget_size(memory) && H5Tget_sign(stored) == H5Tget_sign(memory);
    case H5T_FLOAT:
      return H5Tget_size(stored) == H5Tget_size(memory);
    case H5T_ARRAY: {
      const int rank = H5Tget_array_ndims(stored);
      if (rank < 0 || rank > H5S_MAX_RANK || rank != H5Tget_array_ndims(memory)) return false;
      hsize_t a[H5S_MAX_RANK] = {}, b[H5S_MAX_RANK] = {};
      H5Tget_array_dims2(stored, a);
      H5Tget_array_dims2(memory, b);
      for (int d = 0; d < rank; ++d)
        if (a[d] != b[d]) return false;
      const h5_handle x(H5Tget_super(stored), H5Tclose), y(H5Tget_super(memory), H5Tclose);
      return h5_types_match(x.get(), y.get());
    }
    case H5T_COMPOUND: {
      const int n = H5Tget_nmembers(stored);
      if (n < 0 || n != H5Tget_nmembers(memory)) return false;
      for (int m = 0; m < n; ++m) {
        char* a = H5Tget_member_name(stored, static_cast<unsigned>(m));
        char* b = H5Tget_member_name(memory, static_cast<unsigned>(m));
        const bool same_name = a && b && std::string(a) == b;
        H5free_memory(a);
        H5free_memory(b);
        const h5_handle x(H5Tget_member_type(stored, static_cast<unsigned>(m)), H5Tclose);
        const h5_handle y(H5Tget_member_type(memory, static_cast<unsigned>(m)), H5Tclose);
        if (!same_name || !h5_types_match(x.get(), y.get())) return false;
      }
      return true;
    }
    default:
      return H5Tequal(stored, memory) > 0;
  }
}

}  // namespace detail
}  // namespace weft
