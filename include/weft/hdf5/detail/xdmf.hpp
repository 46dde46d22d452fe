// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// XDMF sidecars: a small XML file beside an HDF5 file that describes a grid
// dataset in it as a uniform (CoRectMesh) grid, so that ParaView and VisIt
// open it directly.

#include "../types.hpp"

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace weft::detail {

/// What a sidecar says about one grid dataset.
struct xdmf_field {
  std::string dataset;                // the name in the HDF5 file
  std::vector<std::int64_t> extents;  // global extents, row-major
  const char* number_type = "Float";  // XDMF's Float, Int, UInt, Char, UChar
  int precision = 8;                  // bytes
  int components = 1;                 // 1: scalar, 3: vector
  std::optional<double> time;         // from a "time" attribute
};

/// A value type as XDMF sees it: components of one number type.
template <class T>
struct xdmf_element {
  using type = T;
  static constexpr std::size_t count = 1;
};
template <class U, std::size_t N>
struct xdmf_element<std::array<U, N>> {
  using type = U;
  static constexpr std::size_t count = N;
};
template <class U, std::size_t N>
struct xdmf_element<U[N]> {
  using type = U;
  static constexpr std::size_t count = N;
};

/// How a value type looks to XDMF, or nothing when XDMF has no word for it
/// (complex numbers, structs, arrays other than 3-vectors): then no sidecar.
template <class T>
std::optional<xdmf_field> xdmf_type_of() {
  using U = typename xdmf_element<T>::type;
  constexpr int components = static_cast<int>(xdmf_element<T>::count);
  if constexpr (!std::is_arithmetic_v<U> || std::is_same_v<U, bool> || (components != 1 && components != 3)) {
    return std::nullopt;
  } else {
    xdmf_field f;
    f.precision = static_cast<int>(sizeof(U));
    f.components = components;
    if constexpr (std::is_floating_point_v<U>)
      f.number_type = "Float";
    else if constexpr (sizeof(U) == 1)
      f.number_type = std::is_signed_v<U> ? "Char" : "UChar";
    else
      f.number_type = std::is_signed_v<U> ? "Int" : "UInt";
    if (std::is_floating_point_v<U> && sizeof(U) > 8) return std::nullopt;
    return f;
  }
}

/// The sidecar of dataset `dataset` in `h5_path`: "run/ckpt.h5", "u" ->
/// "run/ckpt.u.xmf"; groups become dots ("fields/u" -> "run/ckpt.fields.u.xmf"),
/// and a '.' or '%' inside a name is written %2E or %25, so that no two
/// datasets of one file share a sidecar ("a/b" and "a.b").
inline std::string xdmf_path(const std::string& h5_path, const std::string& dataset) {
  std::filesystem::path p(h5_path);
  const std::string ext = p.extension().string();
  if (ext == ".h5" || ext == ".hdf5" || ext == ".he5" || ext == ".hdf") p.replace_extension();
  std::string name;
  bool separator = false;
  for (char c : dataset) {
    if (c == '/') {
      separator = !name.empty();
      continue;
    }
    if (separator) name += '.';
    separator = false;
    if (c == '.')
      name += "%2E";
    else if (c == '%')
      name += "%25";
    else
      name += c;
  }
  return p.string() + "." + name + ".xmf";
}

inline std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// The sidecar's text. The HDF5 file is referred to by its name alone, so the
/// two can move together.
inline std::string xdmf_text(const std::string& h5_path, const xdmf_field& f) {
  const int rank = static_cast<int>(f.extents.size());
  std::ostringstream extents;
  for (std::size_t d = 0; d < f.extents.size(); ++d) extents << (d ? " " : "") << f.extents[d];
  const std::string dims = extents.str();
  if (f.components > 1) extents << " " << f.components;
  const std::string data_dims = extents.str();
  const std::string zeros = rank == 2 ? "0 0" : "0 0 0", ones = rank == 2 ? "1 1" : "1 1 1";
  std::string dataset = f.dataset;
  if (dataset.empty() || dataset.front() != '/') dataset.insert(dataset.begin(), '/');
  const std::string file = std::filesystem::path(h5_path).filename().string();
  std::ostringstream x;
  x.precision(17);
  x << "<?xml version=\"1.0\" ?>\n"
    << "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
    << "<!-- Written by weft: dataset " << xml_escape(dataset) << " of " << xml_escape(file)
    << " on a uniform grid of unit spacing (index space). -->\n"
    << "<Xdmf Version=\"2.0\">\n"
    << "  <Domain>\n"
    << "    <Grid Name=\"" << xml_escape(f.dataset) << "\" GridType=\"Uniform\">\n";
  if (f.time) x << "      <Time Value=\"" << *f.time << "\"/>\n";
  x << "      <Topology TopologyType=\"" << rank << "DCoRectMesh\" Dimensions=\"" << dims << "\"/>\n"
    << "      <Geometry GeometryType=\"" << (rank == 2 ? "ORIGIN_DXDY" : "ORIGIN_DXDYDZ") << "\">\n"
    << "        <DataItem Name=\"Origin\" Dimensions=\"" << rank
    << "\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">" << zeros << "</DataItem>\n"
    << "        <DataItem Name=\"Spacing\" Dimensions=\"" << rank
    << "\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">" << ones << "</DataItem>\n"
    << "      </Geometry>\n"
    << "      <Attribute Name=\"" << xml_escape(f.dataset) << "\" AttributeType=\""
    << (f.components == 1 ? "Scalar" : "Vector") << "\" Center=\"Node\">\n"
    << "        <DataItem Dimensions=\"" << data_dims << "\" NumberType=\"" << f.number_type << "\" Precision=\""
    << f.precision << "\" Format=\"HDF\">" << xml_escape(file) << ":" << xml_escape(dataset) << "</DataItem>\n"
    << "      </Attribute>\n"
    << "    </Grid>\n"
    << "  </Domain>\n"
    << "</Xdmf>\n";
  return x.str();
}

/// Writes `text` into `path` (one process; rank 0). Returns what went wrong,
/// or an empty string.
inline std::string write_text_file(const std::string& path, const std::string& text, const char* algorithm) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return std::string(algorithm) + ": cannot write the XDMF sidecar '" + path + "'";
  return {};
}

/// Writes the sidecar (one process; rank 0), replacing the old one by a
/// rename. Returns what went wrong, or an empty string.
inline std::string write_xdmf(const std::string& h5_path, const xdmf_field& f, const char* algorithm) {
  const std::string path = xdmf_path(h5_path, f.dataset), temporary = path + ".tmp";
  if (auto problem = write_text_file(temporary, xdmf_text(h5_path, f), algorithm); !problem.empty()) {
    std::remove(temporary.c_str());
    return problem;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    return std::string(algorithm) + ": cannot rename '" + temporary + "' to '" + path + "': " + std::strerror(errno);
  return {};
}

}  // namespace weft::detail
