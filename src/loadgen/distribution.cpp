#include "loadgen/distribution.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <vector>

#include "base/check.h"

namespace turbine::loadgen {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool parse_number(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*out);
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Result<Distribution> Distribution::parse(std::string_view spec, std::string_view what,
                                         int64_t min_value) {
  const std::string usage = std::string(what) + " '" + std::string(spec) +
                            "': expected N, uniform:LO:HI, normal:MEAN:STD or lognormal:MEAN:STD";
  auto parts = split(spec, ':');
  std::vector<double> args;
  for (size_t i = (parts.size() == 1 ? 0 : 1); i < parts.size(); ++i) {
    double v = 0;
    if (!parse_number(parts[i], &v)) return invalid_argument(usage);
    args.push_back(v);
  }
  Distribution d;
  d.min_value_ = min_value;
  const std::string_view name = parts.size() == 1 ? std::string_view("fixed") : parts[0];
  if (name == "fixed" && args.size() == 1) {
    d.kind_ = Kind::kFixed;
  } else if (name == "uniform" && args.size() == 2) {
    d.kind_ = Kind::kUniform;
    if (args[1] < args[0]) return invalid_argument(usage + " (HI below LO)");
  } else if ((name == "normal" || name == "lognormal") && args.size() == 2) {
    d.kind_ = name == "normal" ? Kind::kNormal : Kind::kLogNormal;
    if (args[1] < 0) return invalid_argument(usage + " (STD below 0)");
    if (d.kind_ == Kind::kLogNormal && args[0] <= 0) return invalid_argument(usage + " (MEAN must be > 0)");
  } else {
    return invalid_argument(usage);
  }
  d.a_ = args[0];
  d.b_ = args.size() > 1 ? args[1] : 0;
  // A fixed value or a uniform range below the minimum is a mistake, not something to clamp.
  if ((d.kind_ == Kind::kFixed || d.kind_ == Kind::kUniform) && d.a_ < double(min_value))
    return invalid_argument(std::string(what) + " '" + std::string(spec) + "': values below " +
                            std::to_string(min_value));
  return d;
}

Distribution Distribution::fixed(int64_t value) {
  Distribution d;
  d.a_ = double(value);
  d.min_value_ = std::min<int64_t>(value, 1);
  return d;
}

int64_t Distribution::sample(Rng& rng) const {
  double v = a_;
  switch (kind_) {
    case Kind::kFixed:
      break;
    case Kind::kUniform:
      v = double(std::uniform_int_distribution<int64_t>(int64_t(std::llround(a_)),
                                                        int64_t(std::llround(b_)))(rng));
      break;
    case Kind::kNormal:
      v = b_ == 0 ? a_ : std::normal_distribution<double>(a_, b_)(rng);
      break;
    case Kind::kLogNormal: {
      if (b_ == 0) break;
      // The log's parameters that give the values this mean and standard deviation.
      const double sigma2 = std::log1p((b_ * b_) / (a_ * a_));
      const double mu = std::log(a_) - sigma2 / 2;
      v = std::lognormal_distribution<double>(mu, std::sqrt(sigma2))(rng);
      break;
    }
  }
  return std::clamp<int64_t>(int64_t(std::llround(std::min(v, 1e15))), min_value_, max_value_);
}

double Distribution::mean() const {
  return kind_ == Kind::kUniform ? (a_ + b_) / 2 : a_;
}

std::string Distribution::spec() const {
  switch (kind_) {
    case Kind::kFixed: return format_number(a_);
    case Kind::kUniform: return "uniform:" + format_number(a_) + ":" + format_number(b_);
    case Kind::kNormal: return "normal:" + format_number(a_) + ":" + format_number(b_);
    case Kind::kLogNormal: return "lognormal:" + format_number(a_) + ":" + format_number(b_);
  }
  return {};
}

ArrivalProcess::ArrivalProcess(double rate, double burstiness)
    : gamma_(burstiness, 1.0 / (rate * burstiness)) {
  TB_CHECK(rate > 0 && burstiness > 0);
}

double ArrivalProcess::next_gap_seconds(Rng& rng) { return gamma_(rng); }

}  // namespace turbine::loadgen
