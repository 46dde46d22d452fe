#pragma once
// Image files for the examples: PNG through libpng's simplified API, and
// binary or ASCII PGM (P5/P2), which is simple enough to read directly.
// Pixels are 8-bit, row-major, `width` per row. Host code only.

#include <png.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace image_io {

struct gray_image {
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::vector<std::uint8_t> pixels;  // height * width
};

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Reads a PNG (any colour type, converted to 8-bit grey by libpng).
inline gray_image read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    throw std::runtime_error("cannot read PNG " + path + ": " + image.message);
  image.format = PNG_FORMAT_GRAY;
  gray_image out{image.height, image.width, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    png_image_free(&image);
    throw std::runtime_error("cannot decode PNG " + path + ": " + image.message);
  }
  return out;
}

/// Grey (1 channel) or RGB (3 channels, interleaved) 8-bit pixels.
struct colour_image {
  std::int64_t height = 0;
  std::int64_t width = 0;
  int channels = 1;
  std::vector<std::uint8_t> pixels;  // height * width * channels

  /// Channel c as a grey image.
  gray_image channel(int c) const {
    gray_image out{height, width, std::vector<std::uint8_t>(static_cast<std::size_t>(height * width))};
    for (std::size_t k = 0; k < out.pixels.size(); ++k) out.pixels[k] = pixels[k * channels + c];
    return out;
  }
};

/// Reads a PNG as it is stored: grey (with or without alpha) as 1 channel,
/// colour or palette as RGB; alpha is composited onto black, 16-bit
/// samples reduced to 8.
inline colour_image read_png_colour(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    throw std::runtime_error("cannot read PNG " + path + ": " + image.message);
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  image.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  colour_image out{image.height, image.width, colour ? 3 : 1, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
  const png_color black{0, 0, 0};
  if (!png_image_finish_read(&image, &black, out.pixels.data(), 0, nullptr)) {
    png_image_free(&image);
    throw std::runtime_error("cannot decode PNG " + path + ": " + image.message);
  }
  return out;
}

/// Reads a PGM: P5 (binary) or P2 (ASCII), maxval up to 65535, scaled to 0..255.
inline gray_image read_pgm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string magic;
  in >> magic;
  if (magic != "P5" && magic != "P2") throw std::runtime_error(path + " is not a PGM (P5 or P2)");
  // Header fields, skipping '#' comments.
  auto field = [&]() -> std::int64_t {
    for (;;) {
      in >> std::ws;
      if (in.peek() != '#') break;
      std::string comment;
      std::getline(in, comment);
    }
    std::int64_t v = -1;
    if (!(in >> v) || v < 0) throw std::runtime_error("bad PGM header in " + path);
    return v;
  };
  gray_image out;
  out.width = field();
  out.height = field();
  const std::int64_t maxval = field();
  if (maxval < 1 || maxval > 65535) throw std::runtime_error("bad PGM maxval in " + path);
  in.get();  // the single whitespace before binary data
  out.pixels.resize(static_cast<std::size_t>(out.width * out.height));
  for (auto& p : out.pixels) {
    std::int64_t v = 0;
    if (magic == "P2") {
      in >> v;
    } else if (maxval < 256) {
      v = static_cast<unsigned char>(in.get());
    } else {
      const int hi = in.get();
      v = hi * 256 + in.get();
    }
    if (!in) throw std::runtime_error("truncated PGM " + path);
    p = static_cast<std::uint8_t>((v * 255 + maxval / 2) / maxval);
  }
  return out;
}

/// PNG or PGM, by the file's extension.
inline gray_image read_gray(const std::string& path) {
  return ends_with(path, ".pgm") ? read_pgm(path) : read_png(path);
}

/// Writes 8-bit grey pixels as PNG, or as binary PGM if the name ends in .pgm.
inline void write_gray(const std::string& path, const gray_image& img) {
  if (ends_with(path, ".pgm")) {
    std::ofstream out(path, std::ios::binary);
    out << "P5\n" << img.width << ' ' << img.height << "\n255\n";
    out.write(reinterpret_cast<const char*>(img.pixels.data()), static_cast<std::streamsize>(img.pixels.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
    return;
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(img.width);
  image.height = static_cast<png_uint_32>(img.height);
  image.format = PNG_FORMAT_GRAY;
  if (!png_image_write_to_file(&image, path.c_str(), 0, img.pixels.data(), 0, nullptr))
    throw std::runtime_error("cannot write PNG " + path + ": " + image.message);
}

/// PNG (grey or RGB, as stored) or PGM (grey), by the file's extension.
inline colour_image read_image(const std::string& path) {
  if (!ends_with(path, ".pgm")) return read_png_colour(path);
  gray_image g = read_pgm(path);
  return colour_image{g.height, g.width, 1, std::move(g.pixels)};
}

/// Writes 8-bit RGB pixels (3 per point, row-major) as PNG.
inline void write_rgb_png(const std::string& path, std::int64_t height, std::int64_t width,
                          const std::vector<std::uint8_t>& rgb) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&image, path.c_str(), 0, rgb.data(), 0, nullptr))
    throw std::runtime_error("cannot write PNG " + path + ": " + image.message);
}

/// A perceptually ordered colour for t in [0, 1] (black, purple, red,
/// orange, pale yellow: roughly matplotlib's "inferno").
inline void heat_colour(double t, std::uint8_t rgb[3]) {
  static constexpr double stops[][3] = {
      {0, 0, 4}, {40, 11, 84}, {101, 21, 110}, {159, 42, 99}, {212, 72, 66}, {245, 125, 21}, {250, 193, 39},
      {252, 255, 164}};
  constexpr int last = sizeof(stops) / sizeof(stops[0]) - 1;
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * last;
  const int k = std::min(static_cast<int>(t), last - 1);
  const double f = t - k;
  for (int c = 0; c < 3; ++c) rgb[c] = static_cast<std::uint8_t>(std::lround(stops[k][c] + f * (stops[k + 1][c] - stops[k][c])));
}

}  // namespace image_io
