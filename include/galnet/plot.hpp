// galnet/plot.hpp — the papers' figures as PNG (optional part: link galnet::plot, which needs
// cairo).
#pragma once
#include "galnet/eval/plot.hpp"
#include "galnet/eval/plot_bpt.hpp"
#include "galnet/eval/plot_lr_find.hpp"
#include "galnet/eval/plot_residuals.hpp"
#include "galnet/eval/plot_sweep.hpp"
