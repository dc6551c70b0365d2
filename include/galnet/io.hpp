// galnet/io.hpp — data and files (opt-in): CSV catalogs, JPEG/PNG cutouts (stb_image),
// resizing and augmentation, the DataLoader, checkpoints, exported weights, the mock survey.
#pragma once

#include "galnet/data/augment.hpp"
#include "galnet/data/catalog.hpp"
#include "galnet/data/image.hpp"
#include "galnet/data/image_source.hpp"
#include "galnet/data/loader.hpp"
#include "galnet/data/mock_survey.hpp"
#include "galnet/data/normalize.hpp"
#include "galnet/data/resize.hpp"
#include "galnet/data/samples.hpp"
#include "galnet/data/split.hpp"
#include "galnet/data/table_source.hpp"
#include "galnet/core/atomic_file.hpp"
#include "galnet/io/checkpoint.hpp"
#include "galnet/io/exported.hpp"
#include "galnet/io/safetensors.hpp"
#include "galnet/io/state_dict.hpp"
