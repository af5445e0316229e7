// Target playout delay from quantiles of the relative arrival delay, with forgetting.
#include "cbcs/jitter/DelayManager.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cbcs::jitter {

DelayManager::DelayManager(const JitterConfig& config)
    : hist_(kBins, 0.0),
      forget_ms_(config.forget_ms),
      margin_ms_(config.margin_ms),
      min_delay_ms_(config.min_delay_ms),
      max_delay_ms_(config.max_delay_ms) {
  high_.q = config.quantile;
  low_.q = kLowQuantile;
}

void DelayManager::Reset() noexcept {
  std::fill(hist_.begin(), hist_.end(), 0.0);
  total_ = 0.0;
  weight_ = 1.0;
  has_data_ = false;
  high_.k = low_.k = 0;
  high_.below = low_.below = 0.0;
  drift_count_ = 0;
  bucket_open_ = false;
  slope_ = 0.0;
  trend_base_ = 0.0;
}

void DelayManager::Shift(double shift_ms) noexcept {
  anchor_ += shift_ms;
  drift_count_ = 0;  // the old points belong to the old timeline
  bucket_open_ = false;
}

void DelayManager::Update(double relative_ms, double duration_ms, double arrival_ms) noexcept {
  if (!std::isfinite(relative_ms)) return;
  if (!std::isfinite(arrival_ms)) arrival_ms = last_arrival_ms_;
  if (!has_data_) {
    anchor_ = std::floor(relative_ms);
    has_data_ = true;
    trend_ref_ms_ = last_arrival_ms_ = arrival_ms;
    trend_base_ = 0.0;
  }
  last_arrival_ms_ = std::max(last_arrival_ms_, arrival_ms);
  UpdateDrift(relative_ms, arrival_ms);
  relative_ms -= TrendAt(arrival_ms);
  // Forgetting in time, not per packet, so 60 ms packets forget as fast as 10 ms ones.
  weight_ *= std::exp(std::max(duration_ms, 1.0) / forget_ms_);
  if (weight_ > 1e200) Renormalize();
  const double pos = relative_ms - anchor_ + kAnchorBin;
  const int bin = pos <= 0 ? 0 : pos >= kBins - 1 ? kBins - 1 : static_cast<int>(pos);
  hist_[bin] += weight_;
  total_ += weight_;
  if (bin < high_.k) high_.below += weight_;
  if (bin < low_.k) low_.below += weight_;
  Rebalance(high_);
  Rebalance(low_);
  if (low_.k < kBins / 8 || low_.k > kBins * 3 / 8) Recenter();
}

void DelayManager::UpdateDrift(double relative_ms, double arrival_ms) noexcept {
  // Minimum raw relative delay per second of arrival time: jitter and queueing only add
  // delay, so minima follow the clock drift (and nothing fed back from the histogram).
  if (drift_count_ > 0 && arrival_ms < next_drift_ms_ && arrival_ms > next_drift_ms_ - 2000.0) {
    bucket_min_ = std::min(bucket_min_, relative_ms);
    return;
  }
  if (drift_count_ > 0 && arrival_ms > next_drift_ms_ + 5000.0) drift_count_ = -1;  // DTX gap
  if (drift_count_ >= 0 && bucket_open_) {
    if (drift_count_ == kDriftPoints) {
      for (int i = 1; i < kDriftPoints; ++i) drift_points_[i - 1] = drift_points_[i];
      --drift_count_;
    }
    drift_points_[drift_count_++] = bucket_min_;
  } else {
    drift_count_ = 0;
  }
  bucket_open_ = true;
  bucket_min_ = relative_ms;
  next_drift_ms_ = arrival_ms + 1000.0;
  if (drift_count_ < 6) return;
  // Least-squares slope over evenly spaced points (x = 0..m-1 seconds).
  const int m = drift_count_;
  const double mx = (m - 1) / 2.0;
  double my = 0.0;
  for (int i = 0; i < m; ++i) my += drift_points_[i];
  my /= m;
  double sxy = 0.0, sxx = 0.0;
  for (int i = 0; i < m; ++i) {
    sxy += (i - mx) * (drift_points_[i] - my);
    sxx += (i - mx) * (i - mx);
  }
  const double slope = std::clamp(sxy / sxx / 1000.0, -kMaxDrift, kMaxDrift);
  // Re-anchor the trend at the latest arrival so the change of slope does not move
  // anything already in the histogram.
  trend_base_ = TrendAt(last_arrival_ms_);
  trend_ref_ms_ = last_arrival_ms_;
  slope_ = slope;
}

void DelayManager::Rebalance(Tracker& t) noexcept {
  const double goal = t.q * total_;
  while (t.k < kBins - 1 && t.below + hist_[t.k] < goal) {
    t.below += hist_[t.k];
    ++t.k;
  }
  while (t.k > 0 && t.below >= goal) {
    --t.k;
    t.below -= hist_[t.k];
  }
  if (t.below < 0) t.below = 0;
}

void DelayManager::Recompute(Tracker& t) noexcept {
  double below = 0.0;
  for (int i = 0; i < t.k; ++i) below += hist_[i];
  t.below = below;
  Rebalance(t);
}

void DelayManager::Renormalize() noexcept {
  // Rare (once in tens of minutes): scale everything down so weights stay finite.
  const double scale = 1.0 / weight_;
  for (double& h : hist_) h *= scale;
  total_ *= scale;
  weight_ = 1.0;
  Recompute(high_);
  Recompute(low_);
}

void DelayManager::Recenter() noexcept {
  // Sender clock drift moves the whole distribution; keep it inside the histogram.
  const int shift = low_.k - kAnchorBin;  // > 0: move contents down
  if (shift > 0) {
    double edge = 0.0;
    for (int i = 0; i <= shift && i < kBins; ++i) edge += hist_[i];
    std::memmove(hist_.data(), hist_.data() + shift, (kBins - shift) * sizeof(double));
    std::fill(hist_.end() - shift, hist_.end(), 0.0);
    hist_[0] = edge;
  } else if (shift < 0) {
    const int s = -shift;
    double edge = 0.0;
    for (int i = kBins - 1 - s; i < kBins; ++i) edge += hist_[i];
    std::memmove(hist_.data() + s, hist_.data(), (kBins - s) * sizeof(double));
    std::fill(hist_.begin(), hist_.begin() + s, 0.0);
    hist_[kBins - 1] = edge;
  }
  anchor_ += shift;
  high_.k = std::clamp(high_.k - shift, 0, kBins - 1);
  low_.k = std::clamp(low_.k - shift, 0, kBins - 1);
  Recompute(high_);
  Recompute(low_);
}

double DelayManager::HighRelativeMs() const noexcept {
  return BinValue(high_.k) + TrendAt(last_arrival_ms_);
}
double DelayManager::LowRelativeMs() const noexcept {
  return BinValue(low_.k) + TrendAt(last_arrival_ms_);
}

double DelayManager::TargetRelativeMs() const noexcept {
  const double low = LowRelativeMs();
  const double t = HighRelativeMs() + margin_ms_;
  return std::clamp(t, low + min_delay_ms_, low + max_delay_ms_);
}

}  // namespace cbcs::jitter
