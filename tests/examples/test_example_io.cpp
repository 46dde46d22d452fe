// The examples' file loaders (examples/digits_io.hpp, examples/image_io.hpp)
// on small files the tests write, so that they are tested where the real
// data (python3-sklearn's digits, python3-skimage's photographs) is missing.
#include "digits_io.hpp"
#include "image_io.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {
std::string temporary(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("weft-example-io-" + name)).string();
}

// A sample line as the digits CSV has it: 64 pixels, then the label.
std::string line_of(int seed, int label) {
  std::string line;
  for (int k = 0; k < digits_io::pixels; ++k) line += std::to_string((seed * 7 + k * 3) % 17) + ",";
  return line + std::to_string(label);
}

void check_sample(const digits_io::digit& d, int seed, int label) {
  for (int k = 0; k < digits_io::pixels; ++k) REQUIRE(d.x[k] == float((seed * 7 + k * 3) % 17));
  REQUIRE(d.label == label);
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
}  // namespace

TEST_CASE("read_digits reads a gzip-compressed CSV", "[example_io]") {
  const std::string path = temporary("digits.csv.gz");
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  const int samples = 300;  // more than one read buffer
  for (int i = 0; i < samples; ++i) {
    const std::string line = line_of(i, i % 10) + "\n";
    REQUIRE(gzwrite(file, line.data(), unsigned(line.size())) == int(line.size()));
  }
  gzclose(file);
  const auto digits = digits_io::read_digits(path);
  REQUIRE(digits.size() == std::size_t(samples));
  for (int i = 0; i < samples; ++i) check_sample(digits[std::size_t(i)], i, i % 10);
  std::remove(path.c_str());
}

TEST_CASE("read_digits reads a plain CSV with CRLF, blank lines and no last newline", "[example_io]") {
  const std::string path = temporary("digits.csv");
  write_text(path, line_of(1, 4) + "\r\n\r\n" + line_of(2, 9) + "\n\n" + line_of(3, 0));
  const auto digits = digits_io::read_digits(path);
  REQUIRE(digits.size() == 3);
  check_sample(digits[0], 1, 4);
  check_sample(digits[1], 2, 9);
  check_sample(digits[2], 3, 0);
  std::remove(path.c_str());
}

TEST_CASE("read_digits rejects malformed files, naming the line", "[example_io]") {
  const std::string path = temporary("bad.csv");
  std::string fewer = line_of(1, 3);
  fewer = fewer.substr(fewer.find(',') + 1);  // 64 fields
  const std::vector<std::string> bad = {fewer,
                                        line_of(1, 3) + ",5",
                                        line_of(1, 10),
                                        "17" + line_of(1, 3).substr(line_of(1, 3).find(',')),
                                        "3.5" + line_of(1, 3).substr(line_of(1, 3).find(',')),
                                        "x" + line_of(1, 3).substr(line_of(1, 3).find(',')),
                                        line_of(1, 3) + ","};
  for (const std::string& line : bad) {
    write_text(path, line_of(0, 1) + "\n" + line + "\n");
    bool threw = false;
    try {
      digits_io::read_digits(path);
    } catch (const std::runtime_error& e) {
      threw = true;
      REQUIRE(std::string(e.what()).find("line 2") != std::string::npos);
    }
    INFO(line);
    REQUIRE(threw);
  }
  write_text(path, "\n\n");
  REQUIRE_THROWS_AS(digits_io::read_digits(path), std::runtime_error);  // no samples
  std::remove(path.c_str());
  REQUIRE_THROWS_AS(digits_io::read_digits(temporary("missing.csv.gz")), std::runtime_error);
}

TEST_CASE("synthetic_digits are deterministic, in range, every class", "[example_io]") {
  const auto a = digits_io::synthetic_digits(57), b = digits_io::synthetic_digits(57),
             c = digits_io::synthetic_digits(57, 2);
  REQUIRE(a.size() == 57);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].label == int(i % 10));
    float ink = 0;
    for (int k = 0; k < digits_io::pixels; ++k) {
      REQUIRE(a[i].x[k] == b[i].x[k]);
      REQUIRE((a[i].x[k] >= 0 && a[i].x[k] <= 16));
      ink += a[i].x[k];
      differs = differs || a[i].x[k] != c[i].x[k];
    }
    REQUIRE(ink > 100);  // a stroke, not just noise
  }
  REQUIRE(differs);
}

TEST_CASE("read_image reads grey and colour PNGs and PGMs as stored", "[example_io]") {
  const std::int64_t h = 7, w = 5;
  std::vector<std::uint8_t> rgb(std::size_t(h * w * 3)), grey(std::size_t(h * w));
  for (std::size_t k = 0; k < rgb.size(); ++k) rgb[k] = std::uint8_t((k * 37 + 11) % 256);
  for (std::size_t k = 0; k < grey.size(); ++k) grey[k] = std::uint8_t((k * 53 + 3) % 256);

  const std::string colour_path = temporary("colour.png"), grey_path = temporary("grey.png"),
                    pgm_path = temporary("grey.pgm");
  image_io::write_rgb_png(colour_path, h, w, rgb);
  const auto colour = image_io::read_image(colour_path);
  REQUIRE((colour.height == h && colour.width == w && colour.channels == 3));
  REQUIRE(colour.pixels == rgb);
  const auto green = colour.channel(1);
  for (std::size_t k = 0; k < grey.size(); ++k) REQUIRE(green.pixels[k] == rgb[k * 3 + 1]);

  image_io::write_gray(grey_path, image_io::gray_image{h, w, grey});
  const auto g = image_io::read_image(grey_path);
  REQUIRE((g.height == h && g.width == w && g.channels == 1));
  REQUIRE(g.pixels == grey);

  write_text(pgm_path, "P2\n# a comment\n2 2\n15\n0 15\n5 10\n");
  const auto p = image_io::read_image(pgm_path);
  REQUIRE((p.height == 2 && p.width == 2 && p.channels == 1));
  REQUIRE(p.pixels == std::vector<std::uint8_t>{0, 255, 85, 170});

  write_text(grey_path, "not a PNG");
  REQUIRE_THROWS_AS(image_io::read_image(grey_path), std::runtime_error);
  for (const auto& path : {colour_path, grey_path, pgm_path}) std::remove(path.c_str());
}
