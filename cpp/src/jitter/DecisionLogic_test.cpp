#include "cbcs/jitter/DecisionLogic.hpp"

#include <gtest/gtest.h>

namespace cbcs::jitter {
namespace {

DecisionInput In(bool current, int avail, bool concealing, bool newer, double age,
                 double reorder, double excess) {
  DecisionInput in;
  in.has_current = current;
  in.available = avail;
  in.block = 160;
  in.min_stretch = 40;
  in.concealing = concealing;
  in.newer_buffered = newer;
  in.newer_age_ms = age;
  in.reorder_wait_ms = reorder;
  in.excess_ms = excess;
  return in;
}

TEST(DecisionLogic, Table) {
  struct Case { DecisionInput in; Operation op; const char* why; };
  const Case cases[] = {
      {In(true, 320, false, false, 0, 0, 0), Operation::kNormal, "on target"},
      {In(true, 320, false, false, 0, 0, 30), Operation::kAccelerate, "too late, enough audio"},
      {In(true, 170, false, false, 0, 0, 30), Operation::kNormal, "too late, too little audio"},
      {In(true, 320, false, false, 0, 0, -30), Operation::kPreemptiveExpand, "too early"},
      {In(true, 320, true, false, 0, 0, 30), Operation::kMerge, "back from concealment"},
      {In(false, 0, false, false, 0, 0, 0), Operation::kWait, "missing, nothing newer"},
      {In(false, 0, true, true, 5, 0, 0), Operation::kConcealLoss, "missing, newer here"},
      {In(false, 0, true, true, 5, 20, 0), Operation::kWait, "reordering seen: wait"},
      {In(false, 0, true, true, 25, 20, 0), Operation::kConcealLoss, "waited long enough"},
  };
  for (const Case& c : cases) {
    DecisionLogic d;
    EXPECT_EQ(d.Decide(c.in), c.op) << c.why;
  }
}

TEST(DecisionLogic, HysteresisKeepsARunGoingUntilCloseToTarget) {
  DecisionLogic d;
  EXPECT_EQ(d.Decide(In(true, 400, false, false, 0, 0, 5)), Operation::kNormal);
  EXPECT_EQ(d.Decide(In(true, 400, false, false, 0, 0, 16)), Operation::kAccelerate);
  EXPECT_EQ(d.Decide(In(true, 400, false, false, 0, 0, 5)), Operation::kAccelerate);
  EXPECT_EQ(d.Decide(In(true, 400, false, false, 0, 0, 2)), Operation::kNormal);
  EXPECT_EQ(d.Decide(In(true, 400, false, false, 0, 0, 5)), Operation::kNormal);
}

}  // namespace
}  // namespace cbcs::jitter
