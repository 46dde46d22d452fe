#pragma once
// The UCI handwritten digits for the examples: 8 x 8 images, 16 grey levels
// (0..16), ten classes. Debian's python3-sklearn ships them as
// sklearn/datasets/data/digits.csv.gz, one sample a line: 64 pixel values
// in row-major order, then the label. read_digits reads that file (gzip
// through zlib, which also reads an uncompressed file as it is); the
// examples fall back to synthetic_digits where it is missing. Host code only.

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace digits_io {

constexpr int side = 8;
constexpr int pixels = side * side;
constexpr int classes = 10;

/// One image, pixels in 0..16, row-major, and its class 0..9.
struct digit {
  float x[pixels];
  int label;
};

/// Where Debian's python3-sklearn puts the digits.
inline const char* default_path() {
#ifdef WEFT_EXAMPLE_DIGITS
  return WEFT_EXAMPLE_DIGITS;
#else
  return "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
#endif
}

/// Parses one line: 64 integers in 0..16 and a label in 0..9, separated by
/// commas. Throws std::runtime_error naming `where` on anything else.
inline digit parse_line(const std::string& line, const std::string& where) {
  digit d{};
  std::size_t at = 0;
  for (int field = 0; field <= pixels; ++field) {
    if (at >= line.size()) throw std::runtime_error(where + ": " + std::to_string(field) + " fields, expected 65");
    std::size_t end = line.find(',', at);
    if (end == std::string::npos) end = line.size();
    const std::string text = line.substr(at, end - at);
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    // Trailing blanks (a CR before the newline) are allowed, nothing else.
    while (used < text.size() && (text[used] == ' ' || text[used] == '\r')) ++used;
    if (text.empty() || used != text.size() || value != static_cast<double>(static_cast<int>(value)))
      throw std::runtime_error(where + ": field " + std::to_string(field + 1) + " (\"" + text +
                               "\") is not an integer");
    const int v = static_cast<int>(value);
    if (field < pixels) {
      if (v < 0 || v > 16) throw std::runtime_error(where + ": pixel " + text + " outside 0..16");
      d.x[field] = static_cast<float>(v);
    } else {
      if (v < 0 || v >= classes) throw std::runtime_error(where + ": label " + text + " outside 0..9");
      d.label = v;
    }
    at = end + 1;
    if (field < pixels && end == line.size())
      throw std::runtime_error(where + ": " + std::to_string(field + 1) + " fields, expected 65");
    if (field == pixels && end != line.size()) throw std::runtime_error(where + ": more than 65 fields");
  }
  return d;
}

/// Every sample of a digits CSV, gzip-compressed or not, in file order.
/// Blank lines are skipped. Throws std::runtime_error if the file cannot be
/// read or a line is malformed (naming the line).
inline std::vector<digit> read_digits(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<digit> out;
  std::string line;
  std::int64_t number = 0;
  char buffer[4096];
  bool failed = false;
  std::string problem;
  for (;;) {
    const int got = gzread(file, buffer, sizeof buffer);
    if (got < 0) {
      int code = 0;
      problem = path + ": " + gzerror(file, &code);
      failed = true;
      break;
    }
    // A last line without its newline is handled by the newline added at the end.
    const std::string chunk = got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : std::string("\n");
    for (char c : chunk) {
      if (c != '\n') {
        line += c;
        continue;
      }
      ++number;
      if (line.find_first_not_of(" \r") != std::string::npos) {
        try {
          out.push_back(parse_line(line, path + ", line " + std::to_string(number)));
        } catch (const std::exception& e) {
          problem = e.what();
          failed = true;
          break;
        }
      }
      line.clear();
    }
    if (failed || got == 0) break;
  }
  gzclose(file);
  if (failed) throw std::runtime_error(problem);
  if (out.empty()) throw std::runtime_error(path + ": no samples");
  return out;
}

/// A stand-in where the real digits are missing: `n` noisy renderings of a
/// 5 x 7 font of the ten digits, shifted by up to 3 pixels across and 1
/// down, with one stroke pixel in 16 dropped and noise added, in the same 0..16
/// scale. Sample i depends on i and `seed` alone.
inline std::vector<digit> synthetic_digits(std::int64_t n, std::uint64_t seed = 1) {
  static constexpr const char* font[classes][7] = {{".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
                                                   {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
                                                   {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
                                                   {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
                                                   {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
                                                   {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
                                                   {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
                                                   {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
                                                   {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
                                                   {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."}};
  std::uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  auto next = [&state]() {  // SplitMix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  std::vector<digit> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    digit& d = out[static_cast<std::size_t>(i)];
    d.label = static_cast<int>(i % classes);
    const int dx = static_cast<int>(next() % 4), dy = static_cast<int>(next() % 2);
    for (int p = 0; p < pixels; ++p) d.x[p] = static_cast<float>(next() % 2);  // background noise
    for (int r = 0; r < 7; ++r)
      for (int c = 0; c < 5; ++c)
        if (font[d.label][r][c] == '#' && next() % 16 != 0)  // one stroke pixel in 16 dropped
          d.x[(r + dy) * side + c + dx] = static_cast<float>(10 + next() % 7);
  }
  return out;
}

}  // namespace digits_io
