#include "cbcs/quality/EModel.hpp"

#include <gtest/gtest.h>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::quality {
namespace {

TEST(EModel, DefaultConnectionRatesAbout93) {
  const EModelResult r = EvaluateEModel({});
  EXPECT_NEAR(r.r, 93.2, 0.15);
  EXPECT_NEAR(r.mos, 4.41, 0.02);
}

TEST(EModel, DelayAndLossOnlyLowerTheRating) {
  const CodecImpairment g711_plc{0.0, 25.1};
  double previous = 100.0;
  for (double delay : {0.0, 100.0, 150.0, 200.0, 300.0, 400.0, 600.0}) {
    const double r = EvaluateEModel({delay, 0.0, 1.0, g711_plc, 0.0}).r;
    EXPECT_LT(r, previous + 1e-9) << delay;
    previous = r;
  }
  // Well-known reference points: about 0 loss, 150 ms gives R in the high 80s; 400 ms
  // drops below 70 ("many users dissatisfied").
  EXPECT_GT(EvaluateEModel({150.0, 0.0, 1.0, g711_plc, 0.0}).r, 85.0);
  EXPECT_LT(EvaluateEModel({400.0, 0.0, 1.0, g711_plc, 0.0}).r, 70.0);
}

TEST(EModel, BurstyLossHurtsMoreThanRandom) {
  const CodecImpairment codec{0.0, 25.1};
  const double random = EvaluateEModel({100.0, 5.0, 1.0, codec, 0.0}).r;
  const double bursty = EvaluateEModel({100.0, 5.0, 3.0, codec, 0.0}).r;
  EXPECT_LT(bursty, random);
  // G.113 example: Ie,eff for G.711+PLC at 5 % random loss is about 15.
  EXPECT_NEAR(EvaluateEModel({0.0, 5.0, 1.0, codec, 0.0}).equipment_impairment, 15.8, 0.5);
}

TEST(EModel, RejectsNonsense) {
  EXPECT_THROW(EvaluateEModel({-1.0, 0.0, 1.0, {}, 0.0}), ConfigError);
  EXPECT_THROW(EvaluateEModel({0.0, 101.0, 1.0, {}, 0.0}), ConfigError);
  EXPECT_THROW(EvaluateEModel({0.0, 1.0, 0.5, {}, 0.0}), ConfigError);
}

TEST(EModel, MosMappingEndpoints) {
  EXPECT_DOUBLE_EQ(MosFromR(-5.0), 1.0);
  EXPECT_DOUBLE_EQ(MosFromR(120.0), 4.5);
  EXPECT_NEAR(MosFromR(50.0), 2.58, 0.01);
}

TEST(EModel, BurstRatioOfRandomLossIsOne) {
  EXPECT_NEAR(BurstRatio(0.05, 1.0 / 0.95), 1.0, 1e-9);
  EXPECT_NEAR(BurstRatio(0.04, 3.0), 2.88, 1e-9);
}

}  // namespace
}  // namespace cbcs::quality
