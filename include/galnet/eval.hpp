// galnet/eval.hpp — evaluation (opt-in): the papers' regression metrics, predictions and
// metrics files. Figures need cairo: galnet/plot.hpp.
#pragma once
#include "galnet/eval/bpt.hpp"
#include "galnet/eval/metrics.hpp"
