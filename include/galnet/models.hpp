// galnet/models.hpp — the four published networks (opt-in; includes the core).
#pragma once

#include "galnet/galnet.hpp"
#include "galnet/models/line_ew.hpp"
#include "galnet/models/line_ew_predictor.hpp"
#include "galnet/models/line_ew_table.hpp"
#include "galnet/models/resnet.hpp"
#include "galnet/models/sfnet.hpp"
#include "galnet/models/spin_cnn.hpp"
#include "galnet/models/wu_boada.hpp"
