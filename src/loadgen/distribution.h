// Random draws for the load generator: lengths and think times from a distribution named on
// the command line, and request arrival times (Poisson or gamma). Value types; each instance
// is used from one thread with the caller's generator.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "base/status.h"

namespace turbine::loadgen {

using Rng = std::mt19937_64;

// "N" (always N), "uniform:LO:HI" (integers, both ends included), "normal:MEAN:STD" and
// "lognormal:MEAN:STD" (MEAN and STD of the values themselves, not of their log). Draws are
// rounded and clamped to [min_value, max_value], so a length is never below 1.
class Distribution {
 public:
  enum class Kind { kFixed, kUniform, kNormal, kLogNormal };

  // `what` names the flag in errors ("--input-len"). min_value: the smallest allowed draw.
  static Result<Distribution> parse(std::string_view spec, std::string_view what,
                                    int64_t min_value = 1);
  static Distribution fixed(int64_t value);

  int64_t sample(Rng& rng) const;
  double mean() const;  // of the distribution as given, before rounding and clamping
  std::string spec() const;  // parse(spec()) gives this distribution back

 private:
  Kind kind_ = Kind::kFixed;
  double a_ = 0, b_ = 0;  // fixed: value; uniform: lo, hi; (log)normal: mean, std
  int64_t min_value_ = 1;
  int64_t max_value_ = int64_t(1) << 40;
};

// Gaps between request arrivals at `rate` per second: gamma distributed with shape
// `burstiness` and mean 1/rate. burstiness 1 is a Poisson process; below 1 the arrivals come
// in bursts, above 1 more evenly (the coefficient of variation is 1/sqrt(burstiness)).
class ArrivalProcess {
 public:
  // Preconditions: rate > 0 and burstiness > 0 (checked by the caller's flag parsing).
  ArrivalProcess(double rate, double burstiness);
  double next_gap_seconds(Rng& rng);

 private:
  std::gamma_distribution<double> gamma_;
};

}  // namespace turbine::loadgen
