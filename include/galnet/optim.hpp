// galnet/optim.hpp — optimizers, gradient clipping and learning-rate schedules.
#pragma once
#include "galnet/optim/adam.hpp"
#include "galnet/optim/clip.hpp"
#include "galnet/optim/lookahead.hpp"
#include "galnet/optim/optimizer.hpp"
#include "galnet/optim/plateau.hpp"
#include "galnet/optim/radam.hpp"
#include "galnet/optim/schedule.hpp"
#include "galnet/optim/sgd.hpp"
